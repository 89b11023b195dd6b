"""Real public datasets shipped inside installed packages train with only a config each.

scikit-learn's iris and breast cancer CSVs (whose first line is not column names) and the
Chicago taxi sample in the TFX wheel (rare payment types dropped and recorded): the configs
in data/ are the only dataset-specific input. Three full pipeline runs, so marked slow.
"""
from __future__ import annotations

import json
import os

import pytest

from pipeline.config import load_dataset_config
from pipeline.metadata import open_store, sqlite_spec
from pipeline.paths import PROJECT_ROOT, LedgerPaths

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]
CONFIGS = {"iris": 150, "breast_cancer": 569, "chicago_taxi": 15002}  # rows in each CSV


@pytest.fixture(scope="module")
def public_home(tmp_path_factory):
    from pipeline.local_runner import run_local

    paths = LedgerPaths(str(tmp_path_factory.mktemp("public-datasets")))
    summaries = {}
    for name in CONFIGS:
        config = load_dataset_config(os.path.join(PROJECT_ROOT, "data", f"{name}.yaml"))
        summaries[name] = run_local(config, paths, train_steps=200)
    return paths, summaries


def _dataset_version(paths: LedgerPaths, name: str) -> dict:
    store = open_store(sqlite_spec(paths.metadata_path))
    [version] = [a for a in store.get_artifacts_by_type("DatasetVersion")
                 if f"/ledger-{name}/" in a.uri]
    return {k: getattr(v, v.WhichOneof("value")) for k, v in
            [*version.properties.items(), *version.custom_properties.items()]}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_public_dataset_trains_and_is_recorded(public_home, name):
    paths, summaries = public_home
    summary = summaries[name]
    assert summary.accuracy is not None and summary.accuracy > 0.6, summary
    version = _dataset_version(paths, name)
    counts = json.loads(version["split_counts"])
    dropped = json.loads(version["dropped_classes"])
    assert sum(counts.values()) + sum(sum(d.values()) for d in dropped.values()) == CONFIGS[name]
    assert [f["name"] for f in json.loads(version["source_files"])] == [
        os.path.basename(load_dataset_config(
            os.path.join(PROJECT_ROOT, "data", f"{name}.yaml")).path)]


def test_rare_taxi_payment_types_are_dropped_and_recorded(public_home):
    paths, _ = public_home
    dropped = json.loads(_dataset_version(paths, "chicago_taxi")["dropped_classes"])
    assert {"Prcard", "Pcard", "Dispute"} <= set(dropped)
    assert "Cash" not in dropped and "Credit Card" not in dropped
    assert sum(dropped["Prcard"].values()) == 1
