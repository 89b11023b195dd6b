"""Model code: preprocessing_fn run by tf.Transform on a tiny in-memory dataset; hyperparameters."""
from __future__ import annotations

import math
import tempfile

import pytest

from models import features
from models.model import DEFAULT_HYPERPARAMETERS, hyperparameters

SPEC = {"label": "kind", "numeric": ["mass"], "categorical": ["colour"]}


def test_hyperparameters_default_and_override():
    assert hyperparameters(None) == DEFAULT_HYPERPARAMETERS
    merged = hyperparameters({"hyperparameters": {"learning_rate": 0.1}})
    assert merged["learning_rate"] == 0.1
    assert merged["hidden_units"] == DEFAULT_HYPERPARAMETERS["hidden_units"]


def test_processing_steps_name_every_column_in_order():
    steps = features.processing_steps(SPEC)
    assert [s["step"] for s in steps] == ["impute_mean", "scale_to_z_score", "impute_constant",
                                          "vocabulary", "label_vocabulary"]
    assert steps[0]["columns"] == ["mass"] and steps[-1]["columns"] == ["kind"]


@pytest.fixture(scope="module")
def transformed():
    import tensorflow as tf
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils

    from models.preprocessing import preprocessing_fn

    rows = [{"mass": [2.0], "colour": [b"red"], "kind": [b"a"]},
            {"mass": [], "colour": [b"red"], "kind": [b"b"]},  # mass missing -> mean (3.0)
            {"mass": [4.0], "colour": [], "kind": [b"a"]}]     # colour missing -> ''
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec({
        "mass": tf.io.VarLenFeature(tf.float32),
        "colour": tf.io.VarLenFeature(tf.string),
        "kind": tf.io.VarLenFeature(tf.string)}))
    with tft_beam.Context(temp_dir=tempfile.mkdtemp()):
        (data, _), _ = (rows, metadata) | tft_beam.AnalyzeAndTransformDataset(
            lambda inputs: preprocessing_fn(inputs, {"features": SPEC}))
    return data


def test_numeric_imputed_with_mean_then_z_scored(transformed):
    values = [float(row["mass_xf"][0]) for row in transformed]
    # imputed column is [2, 3, 4]: mean 3, population std sqrt(2/3)
    std = math.sqrt(2 / 3)
    assert values == pytest.approx([-1 / std, 0.0, 1 / std], abs=1e-5)


def test_categories_and_labels_become_vocabulary_ids(transformed):
    colours = [int(row["colour_xf"][0]) for row in transformed]
    assert colours[0] == colours[1] != colours[2]  # '' (missing) is its own category
    kinds = [int(row["kind_xf"][0]) for row in transformed]
    assert kinds[0] == kinds[2] == 0 and kinds[1] == 1  # most frequent label gets id 0
