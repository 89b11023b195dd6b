"""Reliability suite fixtures: helper modules, the `slow` marker and each case's `lost` count."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import pytest

# Test modules import the helpers next to this file (importlib mode adds no paths by itself).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

KINDS = {"bad_input": "bad input", "faults": "fault", "concurrency": "concurrency",
         "tamper": "tampering"}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: full reliability form only (`make reliability`); CI skips it")


@pytest.fixture
def outcome(request, record_property):
    """outcome(lost=N, detail=...): what a case lost (must be 0), kept for the summary table."""
    module = request.node.module.__name__.rsplit(".", 1)[-1]
    kind = next((label for key, label in KINDS.items() if key in module), module)
    record_property("kind", kind)

    def record(lost: int | None = None, detail: str = "") -> None:
        if lost is not None:
            record_property("lost", int(lost))
        if detail:
            record_property("detail", detail)

    return record


@pytest.fixture(scope="session")
def reliability_work(tmp_path_factory):
    """Scratch space shared by the subprocess runs (logs, marker directories, homes)."""
    return str(tmp_path_factory.mktemp("reliability"))


@dataclass(frozen=True)
class RecoveredHome:
    """A home killed three times (training, validating, mid-push), then rerun while a second run
    races it."""

    paths: object
    leftovers_before_rerun: list
    killed_models: list  # Model ids the killed runs trained: each must end with one version
    seconds: float  # the whole chain: three killed runs, then the rerun racing a new run
    facts: dict
    after_kills: dict = None  # kill point -> (its active executions, its unfinished outputs)


@pytest.fixture(scope="session")
def recovered_home(reliability_work) -> RecoveredHome:
    """The CI fault chain and concurrency case in one: the recovering rerun races a new run.

    After each kill, the killed node's execution is RUNNING (crash() checks it); the next run
    must fail it and remove its partial outputs, InfraValidator work dir included.
    """
    from reliability_faults import KillPoint, crash, ledger_facts
    from reliability_runs import finish, start_run, wait_no_tagged_processes
    from reliability_state import (
        active_executions,
        leftovers,
        trained_models,
        unfinished_outputs,
    )

    from pipeline.paths import LedgerPaths

    started = time.monotonic()
    paths = LedgerPaths(os.path.join(reliability_work, "recovered-home"))
    after_kills = {}
    for point in (KillPoint("LedgerTrainer", "mid", 3.0),
                  KillPoint("LedgerInfraValidator", "server"),
                  KillPoint("VersionedPusher", "rename")):
        crash(point, paths, reliability_work)
        after_kills[point.name] = (active_executions(paths), unfinished_outputs(paths))
    staged, killed = leftovers(paths), trained_models(paths)
    runs = [start_run(paths.home, reliability_work, train_steps=n) for n in (200, 250)]
    for run in runs:
        finish(run)
        assert wait_no_tagged_processes(run.tag) == [], "a run left a process behind"
    return RecoveredHome(paths, staged, killed, time.monotonic() - started, ledger_facts(paths),
                         after_kills)
