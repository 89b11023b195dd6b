"""A different CSV with its own dataset config runs through the same code, unchanged."""
from __future__ import annotations

import os

import pytest

from pipeline.metadata import open_store, sqlite_spec

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def loans_run(loans_in_penguin_home, penguin_home):
    """The loans config run in the shared store (tests/conftest.py): same code, other data."""
    return loans_in_penguin_home, penguin_home


def test_loans_dataset_trains_on_its_own_columns(loans_run):
    run, paths = loans_run
    store = open_store(sqlite_spec(paths.metadata_path))
    graph = max((a for a in store.get_artifacts_by_type("TransformGraph")
                 if "/ledger-loans/" in a.uri), key=lambda a: a.id)
    with open(os.path.join(graph.uri, "transformed_metadata", "schema.pbtxt")) as handle:
        transformed_schema = handle.read()
    for feature in ("income_k_xf", "debt_ratio_xf", "region_xf", "outcome_xf"):
        assert f'name: "{feature}"' in transformed_schema
    assert "species" not in transformed_schema
    assert run.summary.accuracy is not None and run.summary.accuracy > 0.75
    assert run.summary.pushed_model and "/loans/" in run.summary.pushed_model
