"""kill -9 of `ledger run` during each component, then a rerun: it completes with nothing lost."""
from __future__ import annotations

import os

import pytest
from reliability_faults import ALL_POINTS, crash, recover

from pipeline.paths import LedgerPaths

pytestmark = pytest.mark.pipeline
# Run by the recovered_home fixture:
CI_POINTS = ("LedgerTrainer (mid)", "LedgerInfraValidator (server)", "VersionedPusher (rename)")


def _assert_recovered(facts: dict, model_id: int, outcome) -> int:
    """The killed run's model ends with exactly one version, pushed once; returns that version."""
    versions = facts["by_model"].get(model_id, [])
    lost = (len(facts["lost_decisions"]) + len(facts["trained_unregistered"])
            + (len(versions) != 1) + len(set(versions) - set(facts["served"])))
    outcome(lost=lost, detail=f"model {model_id} -> versions {versions}; served "
                              f"{facts['served']}; deploy records {facts['deployed_records']}")
    assert facts["unfinished"] == {}
    assert facts["active"] == [], "an execution of a killed run is still RUNNING"
    assert facts["unfinished_outputs"] == [], "a killed execution's partial output survived"
    assert facts["verify"][0] == 0, facts["verify"][1]
    assert facts["leftovers"] == [], "partial push directories survived the rerun"
    assert facts["duplicate_registrations"] == {} and facts["trained_unregistered"] == []
    assert facts["lost_decisions"] == []
    assert len(versions) == 1, f"exactly one version for the killed run's model, got {versions}"
    assert versions[0] in facts["served"], "the rerun must finish the push"
    assert facts["deployed_records"].count(versions[0]) == 1, "one deploy record, no redeploys"
    return versions[0]


def test_two_kills_in_a_row_then_rerun(recovered_home, outcome):
    """CI form: killed while training, while validating (model server up), then mid-push
    (staged, not renamed), then rerun."""
    assert recovered_home.leftovers_before_rerun, "the mid-push kill left no staging directory"
    for point, (active, partial) in recovered_home.after_kills.items():
        node = point.split(" ")[0]
        assert [n for n, _, _ in active] == [node], f"{point}: not left RUNNING by the kill"
        assert partial, f"{point}: the kill left nothing to clean up (the test could not fail)"
    _, validating = recovered_home.after_kills["LedgerInfraValidator (server)"]
    assert any(os.path.basename(p).startswith("infra_validation_") for p in validating)
    [model_id] = recovered_home.killed_models
    _assert_recovered(recovered_home.facts, model_id, outcome)
    outcome(detail=f"3 kills + rerun racing a new run: {recovered_home.seconds:.0f} s; "
                   f"model {model_id} -> one version, pushed once")


@pytest.mark.slow
@pytest.mark.parametrize("point", [p for p in ALL_POINTS if p.name not in CI_POINTS],
                         ids=lambda p: p.name.replace(" ", ""))
def test_kill_during_component_then_rerun(point, reliability_work, tmp_path, outcome):
    paths = LedgerPaths(str(tmp_path / "home"))
    crash(point, paths, reliability_work)
    facts = recover(paths, reliability_work)
    assert len(facts["trained"]) == 1, "the rerun trains at most the one model the kill lost"
    assert _assert_recovered(facts, facts["trained"][0], outcome) == 1
    assert facts["versions"] == [1] and facts["production"] == 1
