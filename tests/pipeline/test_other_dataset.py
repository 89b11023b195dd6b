"""A different CSV with its own dataset config runs through the same code, unchanged."""
from __future__ import annotations

import os

import pytest

from pipeline.config import load_dataset_config
from pipeline.metadata import open_store, sqlite_spec
from pipeline.paths import LedgerPaths

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def loans_run(loans_config, tmp_path_factory, pipeline_runner):
    paths = LedgerPaths(str(tmp_path_factory.mktemp("loans-home")))
    run = pipeline_runner(load_dataset_config(loans_config), paths)
    if run.error:
        raise run.error
    return run, paths


def test_loans_dataset_trains_on_its_own_columns(loans_run):
    run, paths = loans_run
    store = open_store(sqlite_spec(paths.metadata_path))
    graph = max(store.get_artifacts_by_type("TransformGraph"), key=lambda a: a.id)
    with open(os.path.join(graph.uri, "transformed_metadata", "schema.pbtxt")) as handle:
        transformed_schema = handle.read()
    for feature in ("income_k_xf", "debt_ratio_xf", "region_xf", "outcome_xf"):
        assert f'name: "{feature}"' in transformed_schema
    assert "species" not in transformed_schema
    assert run.summary.accuracy is not None and run.summary.accuracy > 0.75
    assert run.summary.pushed_model and "/loans/" in run.summary.pushed_model
