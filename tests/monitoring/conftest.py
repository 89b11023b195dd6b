"""Monitoring fixtures: a span dataset in its own ledger home, penguins@1 trained on span 1."""
from __future__ import annotations

import csv
import json
import os
import random
import shutil
import statistics

import pytest
from click.testing import CliRunner

from components.csv_ingest.parsing import ColumnTypes, read_rows
from pipeline.config import load_dataset_config
from pipeline.metadata import sqlite_spec
from pipeline.paths import LedgerPaths
from pipeline.registry import Registry
from pipeline.registry.log import utc_now
from pipeline.serving.capture import CaptureWriter

TRAIN_STEPS = 200
SAMPLE = 150  # requests per capture file: enough that sampling noise stays below thresholds
SPAN_CONFIG = """name: penguins
path: spans/span-{SPAN}/penguins.csv
label: species
numeric_features: [bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g]
categorical_features: [island, sex]
missing_values: ["NA", ""]
slice_by: [island]
"""


def _invoke(args: list[str]):
    """Run `ledger ARGS` in-process; returns (exit code, stdout, stderr)."""
    from pipeline.cli import cli

    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="session")
def invoke():
    """invoke(args) -> (exit code, stdout, stderr) of `ledger ARGS`, run in this process."""
    return _invoke


@pytest.fixture(scope="session")
def span_config(tmp_path_factory, penguins) -> str:
    """spans/span-1/penguins.csv = the bundled rows; a config reading spans/span-{SPAN}/."""
    root = tmp_path_factory.mktemp("span-data")
    (root / "spans" / "span-1").mkdir(parents=True)
    shutil.copyfile(penguins.path, root / "spans" / "span-1" / "penguins.csv")
    (root / "penguins_spans.yaml").write_text(SPAN_CONFIG)
    return str(root / "penguins_spans.yaml")


def write_next_span(config_path: str, source_csv: str, span: int, extra: int = 20) -> str:
    """spans/span-<span>/penguins.csv: the source rows reshuffled plus `extra` new, slightly
    different complete rows (new measurements of known penguins); returns the file's path."""
    rng = random.Random(span)
    with open(source_csv, newline="") as handle:
        reader = csv.DictReader(handle)
        columns, rows = reader.fieldnames, list(reader)
    complete = [r for r in rows if "NA" not in r.values()]
    new = [dict(r, bill_length_mm=f"{float(r['bill_length_mm']) + 0.1:.1f}")
           for r in rng.sample(complete, extra)]
    rows = rows + new
    rng.shuffle(rows)
    path = load_dataset_config(config_path).path.replace("{SPAN}", str(span))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=columns)
        out.writeheader()
        out.writerows(rows)
    return path


@pytest.fixture(scope="session")
def monitor_home(tmp_path_factory) -> LedgerPaths:
    return LedgerPaths(str(tmp_path_factory.mktemp("monitor-home")))


@pytest.fixture(scope="session")
def span1_outcome(span_config, monitor_home) -> dict:
    """`ledger retrain --json` on span 1 of an empty home: penguins@1."""
    code, out, err = _invoke([
        "--home", monitor_home.home, "retrain", "--dataset-config", span_config,
        "--train-steps", str(TRAIN_STEPS), "--json"])
    assert code == 0, err[-2000:]
    return json.loads(out)


@pytest.fixture(scope="session")
def registry(span1_outcome, monitor_home) -> Registry:
    return Registry.open(sqlite_spec(monitor_home.metadata_path), must_exist=True)


@pytest.fixture(scope="session")
def training_rows(penguins) -> list[dict]:
    """The bundled CSV's rows as {column: float | str | None}, parsed as ExampleGen parses them."""
    types = ColumnTypes(numeric=tuple(penguins.numeric_features),
                        strings=(*penguins.categorical_features, penguins.label),
                        missing_values=tuple(penguins.missing_values))
    with open(penguins.path, encoding="utf-8") as handle:
        return list(read_rows(handle, types, penguins.path))


@pytest.fixture(scope="session")
def requests_sample(training_rows, penguins) -> list[dict]:
    """SAMPLE requests drawn from the training rows: the model's features only, no label."""
    columns = penguins.numeric_features + penguins.categorical_features
    rows = random.Random(7).sample(training_rows, SAMPLE)
    return [{name: row[name] for name in columns} for row in rows]


@pytest.fixture(scope="session")
def std_of(training_rows):
    """std_of(column) -> population standard deviation of a numeric column (missing skipped)."""
    return lambda column: statistics.pstdev(
        [r[column] for r in training_rows if r[column] is not None])


@pytest.fixture(scope="session")
def capture(registry, monitor_home):
    """capture(identifier, requests) -> the file the serving CaptureWriter wrote."""
    def write(identifier: str, requests: list[dict]) -> str:
        version = registry.resolve(identifier)
        writer = CaptureWriter(registry.store, version, monitor_home.captures_root)
        writer.write([{"prediction_id": f"{identifier}:{i:032x}", "issued_at": utc_now(),
                       "features": features, "outputs": {"classes": "Adelie"}, "receipt": {}}
                      for i, features in enumerate(requests)])
        writer.close()
        [path] = writer.files
        return path
    return write


@pytest.fixture(scope="session")
def span_writer():
    """write_next_span(config_path, source_csv, span, extra=20) -> the new span's CSV path."""
    return write_next_span
