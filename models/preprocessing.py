"""tf.Transform preprocessing_fn: imputation, z-score scaling, vocabularies, label vocabulary."""
from __future__ import annotations

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import tensorflow as tf  # noqa: E402
import tensorflow_transform as tft  # noqa: E402

from models import features  # noqa: E402


def _dense(x, default) -> tf.Tensor:
    """A [batch, 1] dense tensor from a dense or sparse (VarLen) raw feature."""
    if isinstance(x, tf.SparseTensor):
        x = tf.sparse.to_dense(
            tf.SparseTensor(x.indices, x.values, [x.dense_shape[0], 1]), default_value=default)
    return tf.reshape(x, [-1, 1])


def _impute_mean(x) -> tf.Tensor:
    """Missing values become the mean of the present ones (computed over the training data)."""
    if isinstance(x, tf.SparseTensor):
        x = tf.SparseTensor(x.indices, tf.cast(x.values, tf.float32), x.dense_shape)
        present = x.values
    else:
        x = tf.cast(x, tf.float32)
        present = tf.reshape(x, [-1])
    dense = _dense(x, float("nan"))
    return tf.where(tf.math.is_nan(dense), tft.mean(present), dense)


def preprocessing_fn(inputs, custom_config):
    """Maps raw features to model inputs; `custom_config['features']` names the columns."""
    spec = custom_config["features"]
    outputs = {}
    for key in spec["numeric"]:
        outputs[features.transformed_name(key)] = tft.scale_to_z_score(_impute_mean(inputs[key]))
    for key in spec["categorical"]:
        outputs[features.transformed_name(key)] = tft.compute_and_apply_vocabulary(
            _dense(inputs[key], features.MISSING_CATEGORY),
            num_oov_buckets=features.OOV_BUCKETS,
            vocab_filename=features.vocab_name(key))
    label = spec["label"]
    outputs[features.transformed_name(label)] = tft.compute_and_apply_vocabulary(
        _dense(inputs[label], features.MISSING_CATEGORY), vocab_filename=features.LABEL_VOCAB)
    return outputs
