"""Pipeline runs at once on one MLMD store and home: unique, gapless versions, nothing lost."""
from __future__ import annotations

import pytest
from reliability_faults import ledger_facts
from reliability_runs import finish, start_run, wait_no_tagged_processes
from reliability_state import approval_decisions, registry

from pipeline.paths import LedgerPaths

pytestmark = pytest.mark.pipeline


def _run_together(paths: LedgerPaths, work: str, steps: list[int]) -> None:
    """Start one `ledger run` per training budget at the same moment; wait for all."""
    runs = [start_run(paths.home, work, train_steps=n) for n in steps]
    for run in runs:
        finish(run)
        assert wait_no_tagged_processes(run.tag) == [], "a run left a process behind"


def _check(paths: LedgerPaths, facts: dict, runs: int, outcome, models_before=()) -> None:
    """Every trained model has one version (1..N, no gaps), a logged decision, and if approved
    a push; `runs` of them are new."""
    new_models = [m for m in facts["trained"] if m not in models_before]
    decided = {model for model, _, _ in approval_decisions(paths).blessings}
    undecided = [m for m in facts["trained"] if m not in decided]
    reg = registry(paths)
    approved = {v.version for v in reg.versions("penguins")
                if any(t.to_stage == "approved" for t in reg.history("penguins", v.version))}
    lost = len(facts["lost_decisions"]) + len(undecided) + len(approved - set(facts["served"]))
    outcome(lost=lost, detail=f"versions {facts['versions']}, approved {sorted(approved)}, "
                              f"served {facts['served']}")
    assert facts["verify"][0] == 0, facts["verify"][1]
    assert facts["unfinished"] == {} and facts["leftovers"] == []
    assert facts["versions"] == list(range(1, len(facts["trained"]) + 1)), "unique and gapless"
    assert len(new_models) == runs, "each run trains its own model"
    assert facts["duplicate_registrations"] == {} and facts["trained_unregistered"] == []
    assert undecided == [], "a run's ModelApproval decision was not recorded"
    assert facts["lost_decisions"] == [], "a ModelApproval decision is missing from the log"
    assert approved <= set(facts["served"]), "an approved version was never pushed"


def test_recovering_rerun_races_a_new_run(recovered_home, outcome):
    """CI form: the rerun after two kills and a 250-step run, at once on one store and home."""
    _check(recovered_home.paths, recovered_home.facts, 1, outcome,
           models_before=recovered_home.killed_models)


@pytest.mark.slow
def test_four_cold_runs_at_once(reliability_work, tmp_path, outcome):
    paths = LedgerPaths(str(tmp_path / "home"))
    _run_together(paths, reliability_work, [150, 200, 250, 300])
    _check(paths, ledger_facts(paths), 4, outcome)
