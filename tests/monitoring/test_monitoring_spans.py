"""Continuous training: span 2 appears, drift triggers a retrain, lineage keeps spans apart."""
from __future__ import annotations

import hashlib
import json
import os

import pytest

from pipeline.lineage import Lineage
from pipeline.metadata import sqlite_spec
from pipeline.monitoring.baseline import find_baseline

pytestmark = pytest.mark.pipeline


def _sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.fixture(scope="module")
def span2(span_config, span_writer, penguins, monitor_home, capture, requests_sample, std_of,
          invoke):
    """`ledger drift penguins@1 --retrain` after span 2 landed: drift found, then a new run."""
    csv_path = span_writer(span_config, penguins.path, 2)
    shift = 3 * std_of("flipper_length_mm")
    requests = [dict(r, flipper_length_mm=None if r["flipper_length_mm"] is None
                     else r["flipper_length_mm"] + shift) for r in requests_sample]
    code, out, err = invoke([
        "--home", monitor_home.home, "drift", "penguins@1", "--capture",
        capture("penguins@1", requests), "--retrain", "--json",
        "--dataset-config", span_config, "--train-steps", "200"])
    assert code == 3, err[-2000:]
    return {"csv": csv_path, "document": json.loads(out)}


def test_the_first_run_trained_penguins_1_on_span_1(span1_outcome, span_config):
    assert span1_outcome["span"] == 1
    assert span1_outcome["source_dir"].endswith(os.path.join("spans", "span-1"))
    assert span1_outcome["was_deployed"] is None


def test_drift_retrain_runs_the_pipeline_on_the_newest_span(span2):
    document = span2["document"]
    assert document["flagged"] == ["flipper_length_mm"]
    retrain = document["retrain"]
    assert retrain["span"] == 2 and retrain["source_dir"] == os.path.dirname(span2["csv"])
    assert (retrain["was_deployed"], retrain["was_trained_on_span"]) == ("penguins@1", 1)
    # Same gates as any run: the new version was decided by the approval policy, either way.
    assert retrain["decision"].split(" (")[0] in ("approved", "rejected")
    assert "(penguins@2)" in retrain["decision"]


def test_dataset_versions_record_their_span(span2, registry):
    old = find_baseline(registry.store, registry.version("penguins", 1))
    new = find_baseline(registry.store, registry.version("penguins", 2))
    assert (old.span, new.span) == (1, 2)
    assert old.dataset_version_id != new.dataset_version_id
    [dataset] = [a for a in registry.store.get_artifacts_by_type("DatasetVersion")
                 if a.properties["dataset_version_id"].string_value == new.dataset_version_id]
    assert dataset.properties["span"].int_value == 2


def test_lineage_of_each_version_reaches_its_own_span_file(span2, penguins, monitor_home):
    lineage = Lineage.open(sqlite_spec(monitor_home.metadata_path))
    new, old = lineage.trace("penguins@2").data, lineage.trace("penguins@1").data
    assert new.raw_data_uri == os.path.dirname(span2["csv"])
    assert new.raw_data_sha256 == _sha256(span2["csv"])
    assert old.raw_data_uri.endswith(os.path.join("spans", "span-1"))
    assert old.raw_data_sha256 == _sha256(penguins.path)


def test_a_version_without_captures_gets_a_clear_message(span2, monitor_home, invoke):
    code, _, err = invoke(["--home", monitor_home.home, "drift", "penguins@2"])
    assert code == 1
    assert "penguins@2 has no captured predictions: serve it with" in err


def test_data_lineage_refuses_a_span_other_than_the_runners():
    from tfx.types import standard_artifacts

    from components.data_lineage.executor import _span
    from components.data_lineage.lineage import SourceFileError

    examples = standard_artifacts.Examples()
    examples.set_int_custom_property("span", 3)
    assert _span(examples, {"span": 3}) == 3
    with pytest.raises(SourceFileError, match="ExampleGen read span 3 but the RawData "
                                              "importer recorded span 2"):
        _span(examples, {"span": 2})
