"""Fixtures: a tiny CSV and stock-component outputs for it in TFX's artifact layout."""
from __future__ import annotations

import csv
import json
import os
import shutil

import pytest

from components.data_lineage import lineage

SPLITS = ("train", "eval")
MISSING_X_ROWS = (3, 8, 15)
ANOMALOUS_ROW = 16  # an eval row whose color never appears in train: one schema anomaly


def _rows() -> list[dict]:
    rows = []
    for i in range(20):
        color = "purple" if i == ANOMALOUS_ROW else ("red", "green", "blue")[i % 3]
        x = "" if i in MISSING_X_ROWS else f"{i * 1.5}"
        rows.append({"id": str(i), "x": x, "color": color, "label": str(i % 2)})
    return rows


def _split(row: dict) -> str:
    return "eval" if int(row["id"]) % 4 == 0 else "train"


def _example(row: dict):
    import tensorflow as tf

    feature = {
        "id": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(row["id"])])),
        "color": tf.train.Feature(bytes_list=tf.train.BytesList(value=[row["color"].encode()])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(row["label"])])),
    }
    if row["x"]:  # CsvExampleGen leaves empty cells out of the tf.Example
        feature["x"] = tf.train.Feature(float_list=tf.train.FloatList(value=[float(row["x"])]))
    return tf.train.Example(features=tf.train.Features(feature=feature))


def _write_source(root: str) -> str:
    source = os.path.join(root, "source")
    os.makedirs(source)
    with open(os.path.join(source, "data.csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "x", "color", "label"])
        writer.writeheader()
        writer.writerows(_rows())
    return source


def _write_examples(root: str) -> str:
    """ExampleGen layout: <uri>/Split-<name>/data_tfrecord-00000-of-00001.gz."""
    import tensorflow as tf

    uri = os.path.join(root, "examples")
    options = tf.io.TFRecordOptions(compression_type="GZIP")
    for split in SPLITS:
        os.makedirs(os.path.join(uri, f"Split-{split}"))
        path = os.path.join(uri, f"Split-{split}", "data_tfrecord-00000-of-00001.gz")
        with tf.io.TFRecordWriter(path, options) as writer:
            for row in _rows():
                if _split(row) == split:
                    writer.write(_example(row).SerializeToString())
    return uri


def _write_stats_schema_anomalies(root: str, examples: str) -> dict:
    """StatisticsGen, SchemaGen and ExampleValidator outputs, computed with TFDV itself."""
    import tensorflow_data_validation as tfdv

    paths = {k: os.path.join(root, k) for k in ("statistics", "schema", "anomalies")}
    stats = {}
    for split in SPLITS:
        stats[split] = tfdv.generate_statistics_from_tfrecord(
            data_location=os.path.join(examples, f"Split-{split}", "*.gz"))
        os.makedirs(os.path.join(paths["statistics"], f"Split-{split}"))
        stats_file = os.path.join(paths["statistics"], f"Split-{split}", "FeatureStats.pb")
        with open(stats_file, "wb") as handle:
            handle.write(stats[split].SerializeToString())
    schema = tfdv.infer_schema(stats["train"])
    os.makedirs(paths["schema"])
    tfdv.write_schema_text(schema, os.path.join(paths["schema"], "schema.pbtxt"))
    anomaly_names = set()
    for split in SPLITS:
        anomalies = tfdv.validate_statistics(stats[split], schema)
        anomaly_names.update(anomalies.anomaly_info.keys())
        os.makedirs(os.path.join(paths["anomalies"], f"Split-{split}"))
        with open(os.path.join(paths["anomalies"], f"Split-{split}", "SchemaDiff.pb"), "wb") as f:
            f.write(anomalies.SerializeToString())
    paths["expected_anomalies"] = sorted(anomaly_names)
    return paths


def _write_transform_graph(root: str) -> str:
    uri = os.path.join(root, "transform_graph")
    os.makedirs(os.path.join(uri, "transform_fn"))
    with open(os.path.join(uri, "transform_fn", "saved_model.pb"), "wb") as handle:
        handle.write(b"stand-in for a tf.Transform graph")
    return uri


@pytest.fixture(scope="session")
def lineage_data(tmp_path_factory) -> dict:
    """Paths of the pristine fixture (never modified by tests: copy the source to mutate it)."""
    root = str(tmp_path_factory.mktemp("lineage_data"))
    paths = {"root": root, "source": _write_source(root), "examples": _write_examples(root)}
    paths.update(_write_stats_schema_anomalies(root, paths["examples"]))
    paths["transform_graph"] = _write_transform_graph(root)
    paths["rows"] = _rows()
    return paths


@pytest.fixture
def source_copy(lineage_data, tmp_path) -> str:
    """A private copy of the source directory that a test may change."""
    return shutil.copytree(lineage_data["source"], str(tmp_path / "source"))


def _run_lineage(data: dict, source: str, exec_properties: dict, recorded: dict | None = None,
                 read_files: list[str] | None = None):
    """Runs the DataLineage executor on the fixture artifacts; returns the DatasetVersion.

    `read_files` (names in `source`) are recorded on the Examples as the files ExampleGen read.
    """
    from tfx.types import artifact_utils, standard_artifacts

    from components.data_lineage.artifacts import DatasetVersion, RawData
    from components.data_lineage.executor import Executor

    def make(cls, uri, split=False):
        artifact = cls()
        artifact.uri = uri
        if split:
            artifact.split_names = artifact_utils.encode_split_names(["train", "eval"])
        return artifact

    raw = make(RawData, source)
    for name, value in (recorded or {}).items():
        setattr(raw, name, value)
    examples = make(standard_artifacts.Examples, data["examples"], True)
    if read_files is not None:
        examples.set_string_custom_property(
            "input_files", json.dumps([os.path.join(source, name) for name in read_files]))
    inputs = {
        "source": [raw],
        "examples": [examples],
        "statistics": [make(standard_artifacts.ExampleStatistics, data["statistics"], True)],
        "schema": [make(standard_artifacts.Schema, data["schema"])],
        "anomalies": [make(standard_artifacts.ExampleAnomalies, data["anomalies"], True)],
        "transform_graph": [make(standard_artifacts.TransformGraph, data["transform_graph"])],
    }
    version = make(DatasetVersion, os.path.join(data["root"], "out"))
    Executor().Do(inputs, {"dataset_version": [version]}, exec_properties)
    return version


@pytest.fixture(scope="session")
def run_lineage():
    """run_lineage(data, source_dir, exec_properties, recorded=None, read_files=None)."""
    return _run_lineage


STEPS = [
    {"name": "ExampleGen", "component": "CsvExampleGen",
     "output_config": {"split_config": {"splits": [{"name": "train", "hash_buckets": 3},
                                                   {"name": "eval", "hash_buckets": 1}]}}},
    {"name": "Transform", "component": "Transform",
     "preprocessing_fn": "models.preprocessing.preprocessing_fn",
     "imputes": {"x": "mean"}, "scales": {"x": "z_score"}, "encodes": {"color": "one_hot"}},
]
MODULE_PATHS = ["models.preprocessing", "components/data_lineage/lineage.py"]


@pytest.fixture(scope="session")
def exec_properties() -> dict:
    return {"processing_steps": json.dumps(STEPS), "module_paths": json.dumps(MODULE_PATHS),
            "span": 3}


@pytest.fixture(scope="session")
def recorded_properties():
    """What the local runner records on RawData at run start."""
    return lineage.recorded_properties
