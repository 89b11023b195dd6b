"""Trainer run_fn: a small Keras classifier on the transformed features, with serving signatures."""
from __future__ import annotations

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import tensorflow as tf  # noqa: E402
import tensorflow_transform as tft  # noqa: E402
from tfx_bsl.public import tfxio  # noqa: E402

from models import features  # noqa: E402

# `seed` fixes the initial weights and the batch order; the run manifest records it with the rest.
DEFAULT_HYPERPARAMETERS = {"hidden_units": [16, 8], "learning_rate": 0.01, "batch_size": 32,
                           "seed": 7}


def hyperparameters(custom_config: dict | None) -> dict:
    """Defaults overridden by custom_config['hyperparameters']."""
    return {**DEFAULT_HYPERPARAMETERS, **((custom_config or {}).get("hyperparameters") or {})}


def _dataset(files, data_accessor, transform_output, label_key, batch_size, seed):
    """Batches in an order fixed by `seed`: one run's inputs give one model, run after run."""
    return data_accessor.tf_dataset_factory(
        files,
        tfxio.TensorFlowDatasetOptions(batch_size=batch_size, label_key=label_key,
                                       shuffle_seed=seed),
        transform_output.transformed_metadata.schema).repeat()


def _build_model(spec: dict, transform_output, hparams: dict) -> tf.keras.Model:
    inputs, encoded = [], []
    for key in spec["numeric"]:
        layer = tf.keras.layers.Input(shape=(1,), name=features.transformed_name(key))
        inputs.append(layer)
        encoded.append(layer)
    for key in spec["categorical"]:
        layer = tf.keras.layers.Input(shape=(1,), name=features.transformed_name(key),
                                      dtype=tf.int64)
        depth = transform_output.vocabulary_size_by_name(features.vocab_name(key))
        inputs.append(layer)
        encoded.append(tf.keras.layers.CategoryEncoding(
            num_tokens=depth + features.OOV_BUCKETS, output_mode="one_hot")(layer))
    hidden = tf.keras.layers.concatenate(encoded)
    for units in hparams["hidden_units"]:
        hidden = tf.keras.layers.Dense(int(units), activation="relu")(hidden)
    n_classes = transform_output.vocabulary_size_by_name(features.LABEL_VOCAB)
    logits = tf.keras.layers.Dense(n_classes)(hidden)
    model = tf.keras.Model(inputs=inputs, outputs=logits)
    model.compile(
        optimizer=tf.keras.optimizers.Adam(float(hparams["learning_rate"])),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])
    return model


def _signatures(model, transform_output, label: str):
    """serving_default: serialized tf.Examples -> class probabilities and names.
    transform_features: the same examples -> transformed features (TFMA uses it for the label)."""
    model.tft_layer = transform_output.transform_features_layer()
    label_names = tf.constant(_label_names(transform_output))
    model.label_names = tf.Variable(label_names, trainable=False)

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def serve(serialized):
        raw_spec = transform_output.raw_feature_spec()
        raw_spec.pop(label, None)
        transformed = model.tft_layer(tf.io.parse_example(serialized, raw_spec))
        probabilities = tf.nn.softmax(model(transformed))
        class_ids = tf.argmax(probabilities, axis=1)
        return {"probabilities": probabilities, "class_ids": class_ids,
                "classes": tf.gather(model.label_names, class_ids)}

    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.string, name="examples")])
    def transform_features(serialized):
        raw = tf.io.parse_example(serialized, transform_output.raw_feature_spec())
        return model.tft_layer(raw)

    return {"serving_default": serve, "transform_features": transform_features}


def _label_names(transform_output) -> list[str]:
    path = transform_output.vocabulary_file_by_name(features.LABEL_VOCAB)
    with tf.io.gfile.GFile(path) as handle:
        return [line.rstrip("\n") for line in handle]


def run_fn(fn_args) -> None:
    """Trains the classifier on the transformed examples and saves it with serving signatures."""
    spec = fn_args.custom_config["features"]
    hparams = hyperparameters(fn_args.custom_config)
    transform_output = tft.TFTransformOutput(fn_args.transform_output)
    label_key = features.transformed_name(spec["label"])
    batch, seed = int(hparams["batch_size"]), int(hparams["seed"])
    tf.keras.utils.set_random_seed(seed)  # weights and every op seeded from here on
    train = _dataset(fn_args.train_files, fn_args.data_accessor, transform_output, label_key,
                     batch, seed)
    evaluation = _dataset(fn_args.eval_files, fn_args.data_accessor, transform_output, label_key,
                          batch, seed)
    model = _build_model(spec, transform_output, hparams)
    model.fit(train, steps_per_epoch=fn_args.train_steps, validation_data=evaluation,
              validation_steps=fn_args.eval_steps, verbose=0)
    tf.saved_model.save(model, fn_args.serving_model_dir,
                        signatures=_signatures(model, transform_output, spec["label"]))
