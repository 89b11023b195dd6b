"""Bad CSV stops the pipeline at ingestion with an error naming the column; nothing is pushed."""
from __future__ import annotations

import os
import re

import pytest
from ml_metadata.proto import metadata_store_pb2

from pipeline.config import load_dataset_config
from pipeline.metadata import open_store, sqlite_spec
from pipeline.paths import LedgerPaths

pytestmark = pytest.mark.pipeline

CONFIG = ("name: broken\npath: csv/data.csv\nlabel: species\n"
          "numeric_features: [bill_length_mm, body_mass_g]\ncategorical_features: [island]\n"
          "missing_values: [NA]\n")


def _penguin_lines():
    from pipeline.paths import PROJECT_ROOT
    with open(os.path.join(PROJECT_ROOT, "data", "penguins", "penguins.csv")) as handle:
        return handle.read().splitlines()


def _run_with_csv(tmp_path, lines, pipeline_runner):
    os.makedirs(tmp_path / "csv")
    (tmp_path / "csv" / "data.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "broken.yaml").write_text(CONFIG)
    paths = LedgerPaths(str(tmp_path / "home"))
    return pipeline_runner(load_dataset_config(str(tmp_path / "broken.yaml")), paths), paths


def _assert_nothing_pushed(paths):
    assert not os.path.exists(os.path.join(paths.serving_root, "broken"))
    store = open_store(sqlite_spec(paths.metadata_path))
    assert store.get_artifacts_by_type("PushedModel") == []
    assert store.get_artifacts_by_type("Model") == []
    states = [e.last_known_state for e in store.get_executions()]
    assert metadata_store_pb2.Execution.FAILED in states


def test_missing_configured_column_is_named(tmp_path, pipeline_runner):
    lines = _penguin_lines()
    lines[0] = lines[0].replace("body_mass_g", "mass")
    run, paths = _run_with_csv(tmp_path, lines, pipeline_runner)
    assert run.error is not None
    assert "body_mass_g" in str(run.error) and "missing" in str(run.error)
    _assert_nothing_pushed(paths)


def test_text_in_numeric_column_is_named(tmp_path, pipeline_runner):
    lines = _penguin_lines()
    cells = lines[7].split(",")
    cells[2] = "forty-one"  # bill_length_mm
    lines[7] = ",".join(cells)
    run, paths = _run_with_csv(tmp_path, lines, pipeline_runner)
    assert run.error is not None
    message = str(run.error)
    assert "bill_length_mm" in message and "forty-one" in message and ":8:" in message
    _assert_nothing_pushed(paths)


def test_one_data_row_is_refused_at_ingestion_naming_split_and_counts(tmp_path, pipeline_runner):
    """Once passed ingestion, wrote an empty eval split and failed in Transform (KeyError)."""
    lines = _penguin_lines()
    run, paths = _run_with_csv(tmp_path, lines[:2], pipeline_runner)
    message = str(run.error)
    assert re.search(r"data.csv: split 'train' would get [01] row\(s\), fewer than "
                     r"min_split_rows=10 \(rows per split: train ([01]), eval ([01])\)", message)
    assert sorted(re.findall(r"(?:train|eval) ([01])\)?[,;]", message)) == ["0", "1"]
    _assert_nothing_pushed(paths)


def test_label_seen_once_is_refused_naming_class_and_counts(tmp_path, pipeline_runner):
    """Once trained silently, or crashed the Trainer: 'label value of -1 outside [0, 3)'."""
    lines = _penguin_lines()
    lines.append(lines[5].replace("Adelie", "Rockhopper", 1))
    run, paths = _run_with_csv(tmp_path, lines, pipeline_runner)
    message = str(run.error)
    assert "label column 'species': class(es) 'Rockhopper' (1 row(s): train " in message
    assert "rare_classes: drop" in message
    _assert_nothing_pushed(paths)
