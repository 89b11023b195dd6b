"""Kill points: how a SIGKILL is made to land while a given pipeline node is running."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

from reliability_runs import (
    PUSH_PAUSE_ENV,
    LedgerProcess,
    finish,
    kill_group,
    marker,
    model_server_running,
    start_run,
    wait_for,
    wait_no_tagged_processes,
)
from reliability_state import (
    active_executions,
    approval_decisions,
    last_state,
    ledger_verify,
    leftovers,
    node_executions,
    registry,
    served_versions,
    trained_models,
    unfinished_outputs,
    versions_by_model,
)

from pipeline.paths import LedgerPaths
from pipeline.registry.serving import MANIFEST, TMP_PREFIX

DONE = {"COMPLETE", "CACHED"}


@dataclass(frozen=True)
class KillPoint:
    """Where in `node` the kill lands.

    how: "mid" - `delay` s after the node's work began (long nodes, killed while working);
         "hold" - its work is done (files written, registry records appended) but TFX has not
                  published the execution: the most side effects a crash can leave behind;
         "server" - while the infra validator's model server process is up;
         "rename" - the push has staged its copy but not renamed it into place.
    """

    node: str
    how: str
    delay: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.node} ({self.how})"


# Delays are well under each node's run time on this machine, so the kill lands inside it.
ALL_POINTS = [
    KillPoint("RawDataImporter", "hold"),
    KillPoint("TypedCsvExampleGen", "mid", 1.0),
    KillPoint("StatisticsGen", "mid", 2.0),
    KillPoint("SchemaGen", "hold"),
    KillPoint("ExampleValidator", "hold"),
    KillPoint("Transform", "mid", 4.0),
    KillPoint("DataLineage", "hold"),
    KillPoint("LedgerTrainer", "mid", 3.0),
    KillPoint("Evaluator", "mid", 2.0),
    KillPoint("LedgerInfraValidator", "server"),
    KillPoint("ModelApproval", "hold"),
    KillPoint("VersionedPusher", "hold"),
    KillPoint("VersionedPusher", "rename"),
]


def _staged_push(serving_root: str) -> bool:
    model_dir = os.path.join(serving_root, "penguins")
    names = os.listdir(model_dir) if os.path.isdir(model_dir) else []
    return any(n.startswith(TMP_PREFIX) and os.path.exists(os.path.join(model_dir, n, MANIFEST))
               for n in names)


def _reached(point: KillPoint, run: LedgerProcess, serving_root: str):
    if point.how == "hold":
        return lambda: marker(run, point.node, "done")
    if point.how == "server":
        return lambda: model_server_running(run.tag)
    if point.how == "rename":
        return lambda: _staged_push(serving_root)
    return lambda: marker(run, point.node, "started")


def crash_at(point: KillPoint, home: str, work: str, serving_root: str,
             train_steps: int = 200) -> LedgerProcess:
    """Start a run, wait until it is inside `point`, then kill -9 its process group."""
    env = {PUSH_PAUSE_ENV: "600"} if point.how == "rename" else {}
    run = start_run(home, work, train_steps=train_steps,
                    hold=point.node if point.how == "hold" else None, env=env)
    wait_for(run, _reached(point, run, serving_root), f"{point.name} to be reached")
    time.sleep(point.delay)
    kill_group(run)
    return run


def crash(point: KillPoint, paths: LedgerPaths, work: str) -> None:
    """Kill at `point` and prove the kill landed inside it and left no process behind."""
    run = crash_at(point, paths.home, work, paths.serving_root)
    state = last_state(paths, point.node)
    assert state in ("RUNNING", "NEW"), f"kill missed {point.name}: its execution is {state}"
    assert wait_no_tagged_processes(run.tag) == [], "orphan process after kill -9"


def recover(paths: LedgerPaths, work: str, train_steps: int = 200) -> dict:
    """Rerun to completion and collect everything a crash could have lost or left behind."""
    run = start_run(paths.home, work, train_steps=train_steps)
    finish(run)
    assert wait_no_tagged_processes(run.tag) == [], "the rerun left a process behind"
    return ledger_facts(paths)


def ledger_facts(paths: LedgerPaths) -> dict:
    """Node states, versions, pushes, leftovers and lost decisions of a home, plus verify."""
    by_model = versions_by_model(paths)
    verify = ledger_verify(paths)
    return {
        "unfinished": {n: s for n, s in ((n, last_state(paths, n)) for n in node_executions(paths))
                       if s not in DONE},
        "active": active_executions(paths),  # of any run, killed ones included
        "unfinished_outputs": unfinished_outputs(paths),
        "versions": sorted(v for vs in by_model.values() for v in vs),
        "by_model": by_model,
        "trained": trained_models(paths),
        "served": served_versions(paths),
        "production": getattr(registry(paths).production("penguins"), "version", None),
        "leftovers": leftovers(paths),
        "lost_decisions": approval_decisions(paths).missing,
        "duplicate_registrations": {m: vs for m, vs in by_model.items() if len(vs) > 1},
        "trained_unregistered": [m for m in trained_models(paths) if m not in by_model],
        "deployed_records": [t.version for t in registry(paths).history("penguins")
                             if t.to_stage == "deployed"],
        "verify": (verify.returncode, verify.stdout.strip() + verify.stderr.strip()[-300:]),
    }
