"""Fixtures: tiny SavedModels (good and broken) and an Examples dir, built once per module."""
from __future__ import annotations

import gzip
import os
import shutil

import pytest

FEATURES = ("x1", "x2")
NUM_EVAL_EXAMPLES = 6


def _tf():
    import tensorflow as tf  # Imported lazily: collection must not pay TF's 17 s start-up.

    return tf


def save_example_model(export_dir: str) -> str:
    """A linear model whose serving_default parses serialized tf.Examples into x1, x2."""
    tf = _tf()
    spec = {k: tf.io.FixedLenFeature([1], tf.float32, default_value=[0.0]) for k in FEATURES}

    class Linear(tf.Module):
        def __init__(self):
            self.w = tf.Variable([[0.5], [-1.25]])
            self.b = tf.Variable([0.1])

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
        def serve(self, examples):
            parsed = tf.io.parse_example(examples, spec)
            x = tf.concat([parsed[k] for k in FEATURES], axis=1)
            return {"outputs": tf.matmul(x, self.w) + self.b}

    module = Linear()
    tf.saved_model.save(module, export_dir, signatures={"serving_default": module.serve})
    return export_dir


def save_float_input_model(export_dir: str) -> str:
    """A model whose serving_default takes a float matrix, so serialized examples are rejected."""
    tf = _tf()

    class Dense(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="inputs")])
        def serve(self, inputs):
            return {"outputs": tf.reduce_sum(inputs, axis=1, keepdims=True)}

    module = Dense()
    tf.saved_model.save(module, export_dir, signatures={"serving_default": module.serve})
    return export_dir


def corrupt_model(good_dir: str, export_dir: str) -> str:
    """A copy of a good model whose saved_model.pb is garbage."""
    shutil.copytree(good_dir, export_dir)
    with open(os.path.join(export_dir, "saved_model.pb"), "wb") as handle:
        handle.write(b"\x08\x96\x01 this is not a SavedModel proto \xff\xfe")
    return export_dir


def write_examples(uri: str, count: int = NUM_EVAL_EXAMPLES) -> str:
    """Examples artifact layout: <uri>/Split-{train,eval}/*.gz of serialized tf.Examples."""
    tf = _tf()
    for split in ("train", "eval"):
        path = os.path.join(uri, f"Split-{split}", "data_tfrecord-00000-of-00001.gz")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with tf.io.TFRecordWriter(path, options="GZIP") as writer:
            for i in range(count):
                example = tf.train.Example()
                example.features.feature["x1"].float_list.value.append(i * 0.75)
                example.features.feature["x2"].float_list.value.append(1.0 - i)
                writer.write(example.SerializeToString())
    with gzip.open(path) as check:  # Fail early if the writer ignored GZIP.
        check.read(1)
    return uri


@pytest.fixture(scope="module")
def model_uris(tmp_path_factory):
    """Model artifact uris (<uri>/Format-Serving) for good, corrupt and float-input models."""
    root = tmp_path_factory.mktemp("models")
    good = save_example_model(str(root / "good" / "Format-Serving"))
    save_float_input_model(str(root / "float_input" / "Format-Serving"))
    corrupt_model(good, str(root / "corrupt" / "Format-Serving"))
    return {name: str(root / name) for name in ("good", "float_input", "corrupt")}


@pytest.fixture(scope="module")
def examples_uri(tmp_path_factory):
    return write_examples(str(tmp_path_factory.mktemp("examples")))
