"""`ledger drift` on penguins@1 (trained on span 1): what is flagged, what is recorded in MLMD."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.lineage import Lineage, subgraph
from pipeline.metadata import sqlite_spec
from pipeline.monitoring import NoCapturesError, Thresholds, check_drift
from pipeline.monitoring.report import MISSING, feature_table
from pipeline.paths import PROJECT_ROOT

pytestmark = pytest.mark.pipeline
V1 = "penguins@1"  # explicit: the span tests may deploy penguins@2 in the same home


@pytest.fixture(scope="module")
def shifted(capture, requests_sample, std_of) -> dict:
    """body_mass_g moved up by three standard deviations; every other feature untouched."""
    shift = 3 * std_of("body_mass_g")
    requests = [dict(r, body_mass_g=None if r["body_mass_g"] is None else r["body_mass_g"] + shift)
                for r in requests_sample]
    return {"file": capture(V1, requests), "requests": requests}


@pytest.fixture(scope="module")
def shifted_result(shifted, monitor_home):
    return check_drift(V1, monitor_home, files=[shifted["file"]])


def test_requests_from_the_training_distribution_are_not_flagged(
        capture, requests_sample, monitor_home):
    result = check_drift(V1, monitor_home, files=[capture(V1, requests_sample)])
    assert result.requests == len(requests_sample)
    assert result.flagged == [], feature_table(result)
    assert {f.feature for f in result.features} == {
        "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "island", "sex"}
    assert all(f.score is not None and f.score < f.threshold for f in result.features)


def test_a_numeric_feature_shifted_three_sigma_is_flagged_alone(shifted_result):
    assert shifted_result.flagged == ["body_mass_g"], feature_table(shifted_result)
    [mass] = [f for f in shifted_result.features if f.feature == "body_mass_g"]
    assert (mass.status, mass.metric) == ("DRIFT", "jensen_shannon_divergence")
    assert mass.score > 0.5 > mass.threshold


def test_an_unseen_category_is_flagged_alone(capture, requests_sample, monitor_home):
    requests = [dict(r, island="Atlantis") if i % 5 == 0 else r
                for i, r in enumerate(requests_sample)]
    result = check_drift(V1, monitor_home, files=[capture(V1, requests)])
    assert result.flagged == ["island"], feature_table(result)
    [island] = [f for f in result.features if f.feature == "island"]
    assert island.metric == "l_infinity" and "SKEW" in island.status
    assert any("Atlantis" in text for text in island.anomalies)


def test_a_feature_missing_from_every_request_is_named_not_a_crash(
        capture, requests_sample, monitor_home):
    requests = [{k: v for k, v in r.items() if k != "sex"} for r in requests_sample]
    result = check_drift(V1, monitor_home, files=[capture(V1, requests)])
    assert result.flagged == ["sex"]
    [sex] = [f for f in result.features if f.feature == "sex"]
    assert sex.status == MISSING and sex.score is None
    assert "MISSING: no value in any captured request" in feature_table(result)


def test_no_captured_requests_is_a_clear_error(shifted, monitor_home):
    with pytest.raises(NoCapturesError, match=r"penguins@1: \d+ capture file\(s\) but no "
                                              r"captured request since 2100"):
        check_drift(V1, monitor_home, since="2100-01-01T00:00:00Z")


def test_thresholds_are_configurable_per_feature(shifted, monitor_home):
    lenient = Thresholds(features={"body_mass_g": 0.99}, source="test")
    result = check_drift(V1, monitor_home, files=[shifted["file"]], thresholds=lenient,
                         record=False)
    assert result.flagged == [] and result.report_artifact_id == 0


def _events(store, execution_id: int) -> dict:
    found: dict = {}
    for event in store.get_events_by_execution_ids([execution_id]):
        key = next(step.key for step in event.path.steps if step.key)
        found.setdefault((event.type, key), []).append(event.artifact_id)
    return found


def test_the_report_is_in_mlmd_linked_to_the_version_and_the_captures(
        shifted_result, shifted, registry):
    store = registry.store
    [report] = store.get_artifacts_by_id([shifted_result.report_artifact_id])
    [check] = store.get_executions_by_id([shifted_result.execution_id])
    assert (report.type, check.type) == ("DriftReport", "DriftCheck")
    props = report.custom_properties
    assert props["model_name"].string_value == "penguins" and props["version"].int_value == 1
    assert json.loads(props["drifted_features"].string_value) == ["body_mass_g"]
    assert props["max_jensen_shannon_divergence"].double_value > 0.5
    with open(report.uri) as handle:
        assert json.load(handle)["flagged"] == ["body_mass_g"]
    [capture_artifact] = [a for a in store.get_artifacts_by_type("PredictionCapture")
                          if a.uri == shifted["file"]]
    events = _events(store, check.id)
    version_id = registry.version("penguins", 1).artifact_id
    assert events[(pb.Event.INPUT, "model_version")] == [version_id]
    assert events[(pb.Event.INPUT, "captures")] == [capture_artifact.id]
    assert events[(pb.Event.OUTPUT, "drift_report")] == [report.id]
    assert {"training_statistics", "schema"} <= {key for _, key in events}


def test_lineage_downstream_of_the_version_reaches_the_report(shifted_result, registry,
                                                              monitor_home):
    version = registry.version("penguins", 1)
    below = subgraph.collect(registry.store, [version.artifact_id], subgraph.DOWNSTREAM, 2)
    assert shifted_result.report_artifact_id in below.kept_artifacts
    impact = Lineage.open(sqlite_spec(monitor_home.metadata_path)).impact(
        version.dataset_version_id)
    assert shifted_result.report_artifact_id in {n.id for n in impact.graph.of_type("DriftReport")}


def test_cli_exits_3_on_drift_and_prints_json(shifted, monitor_home, invoke):
    code, out, _ = invoke(["--home", monitor_home.home, "drift", V1, "--capture",
                           shifted["file"], "--json"])
    assert code == 3
    document = json.loads(out)
    assert document["flagged"] == ["body_mass_g"] and document["identifier"] == V1


def test_cli_table_and_exit_0_without_drift(capture, requests_sample, monitor_home, invoke):
    path = capture(V1, requests_sample)
    code, out, _ = invoke(["--home", monitor_home.home, "drift", V1, "--capture", path])
    assert code == 0, out
    assert "FEATURE" in out and "THRESHOLD" in out and "0 of 6 features flagged" in out


def test_cli_no_captures_in_window_exits_1_with_the_reason(shifted, monitor_home, invoke):
    code, _, err = invoke(["--home", monitor_home.home, "drift", V1, "--since", "2100-01-01"])
    assert code == 1 and "no captured request since 2100-01-01" in err


def test_drift_as_a_whole_process_is_quick_and_quiet(shifted, monitor_home):
    """No TensorFlow, Beam or TFDV Python API on the drift path: no library noise on stderr,
    about a second of CPU (importing TensorFlow alone takes several)."""
    argv = [sys.executable, "-m", "pipeline.cli", "--home", monitor_home.home, "drift", V1,
            "--capture", shifted["file"]]
    before, started = os.times(), time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=PROJECT_ROOT))
    elapsed, after = time.monotonic() - started, os.times()
    cpu = (after.children_user + after.children_system
           - before.children_user - before.children_system)
    assert done.returncode == 3 and "body_mass_g" in done.stdout  # 3: drift found
    assert done.stderr == ""
    assert cpu < 4.0 and (elapsed < 8.0 or os.getloadavg()[0] > os.cpu_count()), (cpu, elapsed)
