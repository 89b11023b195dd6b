""":classify and :regress on a model whose signatures support them, like TF Serving's
half_plus_three test model: y = 0.5 x + 3, and a two-class classification of x."""

from __future__ import annotations

import os

import pytest

from pipeline.metadata import sqlite_spec
from pipeline.paths import LedgerPaths
from pipeline.registry import Registry
from pipeline.serving import Predictor, rest
from pipeline.serving.errors import SignatureError
from tests.support.versions import publish


def _half_plus_three(path: str) -> str:
    """A TF1 SavedModel fed serialized tf.Examples with a float feature x: predict, classify and
    regress signatures (method names tensorflow/serving/...), as Estimators exported them."""
    import tensorflow as tf

    v1 = tf.compat.v1
    with tf.Graph().as_default():
        serialized = v1.placeholder(tf.string, [None], name="tf_example")
        x = v1.io.parse_example(serialized, {"x": v1.io.FixedLenFeature([1], tf.float32)})["x"]
        y = 0.5 * x + 3.0
        high = tf.sigmoid(x - 2.0)
        scores = tf.concat([1.0 - high, high], axis=1)
        classes = tf.tile(tf.constant([["low", "high"]]), [tf.shape(x)[0], 1])
        with v1.Session() as session:
            builder = v1.saved_model.Builder(path)
            builder.add_meta_graph_and_variables(session, ["serve"], signature_def_map={
                "serving_default": v1.saved_model.predict_signature_def(
                    {"examples": serialized}, {"y": y}),
                "tensorflow/serving/classify": v1.saved_model.classification_signature_def(
                    serialized, classes, scores),
                "tensorflow/serving/regress": v1.saved_model.regression_signature_def(
                    serialized, y),
            })
            builder.save()
    return path


@pytest.fixture(scope="module")
def half_plus_three(tmp_path_factory):
    root = tmp_path_factory.mktemp("half-plus-three")
    home = LedgerPaths(str(root / "home"))
    os.makedirs(home.home)
    registry = Registry.open(sqlite_spec(home.metadata_path), must_exist=False)
    publish(registry, home, _half_plus_three(str(root / "model")), name="half_plus_three")
    with Predictor.load("half_plus_three@production", home, capture_rate=0) as predictor:
        yield predictor


def test_regress_answers_like_the_documented_example(half_plus_three):
    # curl -d '{"signature_name": "tensorflow/serving/regress", "examples": [{"x": 1.0},
    #   {"x": 2.0}]}' .../v1/models/half_plus_three:regress  ->  {"results": [3.5, 4.0]}
    rows = rest.example_rows({"examples": [{"x": 1.0}, {"x": 2.0}]})
    answers = half_plus_three.predict(rows, "tensorflow/serving/regress", rest.REGRESS)
    assert rest.regress_results([a.outputs for a in answers]) == [3.5, 4.0]
    assert [a.receipt.version for a in answers] == [1, 1]


def test_classify_answers_label_score_pairs(half_plus_three):
    rows = rest.example_rows({"context": {}, "examples": [{"x": 2.0}, {"x": 12.0}]})
    answers = half_plus_three.predict(rows, "tensorflow/serving/classify", rest.CLASSIFY)
    [even, high] = rest.classify_results([a.outputs for a in answers])
    assert [label for label, _ in even] == ["low", "high"]
    assert [score for _, score in even] == pytest.approx([0.5, 0.5])
    assert high[1][1] > 0.99


def test_a_signature_of_another_kind_is_refused_as_tf_serving_does(half_plus_three):
    with pytest.raises(SignatureError, match="Expected regression signature method_name to be "
                       "tensorflow/serving/regress. Was: tensorflow/serving/classify"):
        half_plus_three.predict([{"x": 1.0}], "tensorflow/serving/classify", rest.REGRESS)
    with pytest.raises(SignatureError, match='Serving signature name: "nope" not found'):
        half_plus_three.predict([{"x": 1.0}], "nope", rest.CLASSIFY)


def test_metadata_lists_every_signature_with_its_method(half_plus_three):
    defs = half_plus_three.metadata()["signature_def"]["signature_def"]
    assert {name: d["method_name"] for name, d in defs.items()} == {
        "serving_default": rest.PREDICT, "tensorflow/serving/classify": rest.CLASSIFY,
        "tensorflow/serving/regress": rest.REGRESS}
    assert defs["tensorflow/serving/regress"]["inputs"]["inputs"]["dtype"] == "DT_STRING"
    assert defs["tensorflow/serving/classify"]["outputs"]["scores"]["tensor_shape"] == {
        "dim": [{"size": "-1", "name": ""}, {"size": "2", "name": ""}], "unknown_rank": False}
