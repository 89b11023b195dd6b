"""Lineage queries on small synthetic stores shaped like ours: fast, no pipeline run."""

from __future__ import annotations

import hashlib

import pytest

from pipeline.lineage import UnknownTargetError
from pipeline.lineage.layout import layout
from pipeline.registry import Registry


def _digest(*parts) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def _executions(trace, type_name: str) -> list:
    return [n for n in trace.graph.nodes if n.kind == "execution" and n.type == type_name]


@pytest.mark.parametrize("kfp", [False, True])
def test_trace_reaches_raw_data_in_both_dialects(synthetic_store, kfp):
    lineage, _ = synthetic_store(20, kfp=kfp)
    trace = lineage.trace("model-000@3")  # run 4: the data snapshot of runs 0..8 of model-000
    assert trace.data.raw_data_sha256 == _digest("raw", "model-000-0")
    assert trace.data.raw_files[0]["sha256"] == _digest("file", "model-000-0")
    assert trace.data.dataset_version_id == "dsv-" + _digest("dsv", "model-000-0")[:16]
    assert trace.training.hyperparameters["hidden_units"] == [16, 8]


def test_cached_reruns_and_later_baselines_stay_out_of_a_trace(synthetic_store):
    lineage, _ = synthetic_store(20)
    trace = lineage.trace("model-000@3")
    assert not [n for n in trace.graph.nodes if n.state == "CACHED"]
    assert len(_executions(trace, "DataLineage")) == 1  # not the CACHED reruns of @2..@5
    # model-000@4's Evaluator read @3 as its baseline; it must not appear in @3's lineage.
    assert len(_executions(trace, "Evaluator")) == 1
    assert len([n for n in trace.graph.nodes if n.type == "Model"]) == 1


@pytest.mark.parametrize("kfp", [False, True])
def test_impact_of_a_dataset_finds_exactly_its_versions(synthetic_store, kfp):
    lineage, _ = synthetic_store(20, kfp=kfp)
    by_id = lineage.impact("dsv-" + _digest("dsv", "model-000-0")[:16])
    by_file = lineage.impact(_digest("file", "model-000-0"))
    expected = [f"model-000@{n}" for n in range(1, 6)]
    assert [v.identifier for v in by_id.versions] == expected
    assert [v.identifier for v in by_file.versions] == expected
    assert {n.type for n in by_file.matched} == {"RawData", "DatasetVersion"}


def test_impact_of_an_unknown_digest_is_refused(synthetic_store):
    lineage, _ = synthetic_store(4)
    with pytest.raises(UnknownTargetError, match="no raw data or dataset version"):
        lineage.impact("0" * 64)


def test_rejected_versions_were_never_deployed(synthetic_store):
    lineage, _ = synthetic_store(20)
    version = lineage.impact("dsv-" + _digest("dsv", "model-001-0")[:16]).versions[-1]
    assert (version.identifier, version.stage, version.deployed) == ("model-001@5", "rejected", [])


def test_as_of_replays_the_registry_rule_after_a_deprecation(synthetic_store):
    lineage, path = synthetic_store(8)  # model-000@1..4, deployed 00:00, 00:20, 00:40, 01:00
    assert lineage.as_of("model-000", "2026-01-01T00:30:00Z").version.version == 2
    assert lineage.as_of("model-000", "2025-12-31T23:59:59Z").deployed is False
    registry = Registry.open(f'{{"sqlite": "{path}"}}')
    record = registry.deprecate("model-000", 4, actor="auditor", reason="withdrawn")
    # Once @4 is deprecated, @3 (still deployed) is production again, as the registry says.
    assert lineage.as_of("model-000", record.decided_at).version.version == 3
    assert lineage.as_of("model-000", "2026-01-01T02:00:00Z").version.version == 4


def test_diff_of_two_versions_on_different_data(synthetic_store):
    lineage, _ = synthetic_store(24, models=2)  # model-000@6 is the first on snapshot 1
    rows = {r.field: r for r in lineage.diff("model-000@5", "model-000@6").rows}
    assert not rows["dataset_version_id"].same and not rows["digest.raw_data"].same
    assert rows["stage"].same


def test_layout_draws_every_edge_downwards(synthetic_store):
    trace = synthetic_store(8)[0].trace("model-000@2")
    boxes = layout(trace.graph).boxes
    assert set(boxes) == {n.key for n in trace.graph.nodes}
    assert all(boxes[e.source].y < boxes[e.target].y for e in trace.graph.edges)
