"""Crash recovery: a dead run's RUNNING executions fail with a reason, its partial outputs go.

Real processes hold real leases: one is killed with SIGKILL, one stays alive; the store is a
real MLMD SQLite store laid out as LocalDagRunner lays it out (pipeline_run and node contexts,
`<root>/<node>/<output>/<execution id>` and `.system` directories).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline import recovery
from pipeline.metadata import open_store, sqlite_spec
from pipeline.paths import PROJECT_ROOT

HOLDER = textwrap.dedent("""
    import sys, time
    from pipeline import recovery
    home, run_id, root = sys.argv[1:4]
    with recovery.run_lease(home, run_id, "ledger-test", root):
        print("held", flush=True)
        time.sleep(600)
""")


def _store(tmp_path):
    return open_store(sqlite_spec(str(tmp_path / "metadata.sqlite")))


def _execution(store, run_id: str, node: str, state=pb.Execution.RUNNING) -> pb.Execution:
    """An execution in the run's pipeline_run context and its node context, as TFX records."""
    exec_type = store.put_execution_type(pb.ExecutionType(name=f"tfx.{node}"))
    types = {name: store.put_context_type(pb.ContextType(name=name))
             for name in ("pipeline_run", "node")}
    contexts = []
    for kind, name in (("pipeline_run", run_id), ("node", f"ledger-test.{node}")):
        found = store.get_context_by_type_and_name(kind, name)
        contexts.append(found.id if found else store.put_contexts(
            [pb.Context(type_id=types[kind], name=name)])[0])
    execution = pb.Execution(type_id=exec_type, last_known_state=state)
    execution.custom_properties["__stateful_working_dir_index__"].string_value = "abc"
    [execution_id] = store.put_executions([execution])
    store.put_attributions_and_associations(
        [], [pb.Association(context_id=c, execution_id=execution_id) for c in contexts])
    return store.get_executions_by_id([execution_id])[0]


def _partial_outputs(root: str, node: str, execution_id: int) -> list[str]:
    paths = [os.path.join(root, node, "model", str(execution_id)),
             os.path.join(root, node, ".system", "executor_execution", str(execution_id),
                          ".temp", "1", "infra_validation_x"),
             os.path.join(root, node, ".system", "stateful_working_dir", "abc")]
    for path in paths:
        os.makedirs(path)
        with open(os.path.join(path, "partial"), "w") as handle:
            handle.write("half")
    return paths


def _hold(home: str, run_id: str, root: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, home, run_id, root],
                            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": PROJECT_ROOT})
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.fixture
def killed_and_live(tmp_path):
    home, root = str(tmp_path / "home"), str(tmp_path / "root")
    store = _store(tmp_path)
    dead, live = "2026-11-30T08:00:00.000001", "2026-11-30T08:00:05.000002"
    killed = _hold(home, dead, root)
    running = _hold(home, live, root)
    trainer = _execution(store, dead, "LedgerTrainer")
    done = _execution(store, dead, "Transform", pb.Execution.COMPLETE)
    other = _execution(store, live, "LedgerTrainer")
    partial = _partial_outputs(root, "LedgerTrainer", trainer.id)
    kept = _partial_outputs(root, "Evaluator", other.id)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    yield store, home, dict(trainer=trainer, done=done, other=other), partial, kept
    running.kill()
    running.wait()


def test_dead_run_is_failed_with_reason_and_cleaned_live_run_untouched(killed_and_live):
    store, home, executions, partial, kept = killed_and_live
    [recovered] = recovery.recover_dead_runs(store, home)
    trainer = executions["trainer"]
    assert recovered.failed_executions == [trainer.id]
    assert sorted(recovered.removed_paths) == sorted(
        p if "executor_execution" not in p else p.split(os.sep + ".temp")[0] for p in partial)
    [after] = store.get_executions_by_id([trainer.id])
    assert after.last_known_state == pb.Execution.FAILED
    reason = after.custom_properties[recovery.FAILURE_REASON].string_value
    assert reason.startswith("abandoned: the run 2026-11-30T08:00:00.000001 (pid ")
    assert not any(os.path.exists(p) for p in partial)
    [done] = store.get_executions_by_id([executions["done"].id])
    assert done.last_known_state == pb.Execution.COMPLETE  # finished work is kept
    [other] = store.get_executions_by_id([executions["other"].id])
    assert other.last_known_state == pb.Execution.RUNNING  # the live run is left alone
    assert all(os.path.exists(p) for p in kept)
    assert os.listdir(os.path.join(home, recovery.LEASE_DIR)) == [
        "2026-11-30T08-00-05.000002.lease"]
    assert recovery.recover_dead_runs(store, home) == []  # done once


def test_lease_of_a_run_that_raised_stays_for_the_next_run(tmp_path):
    home, store = str(tmp_path / "home"), _store(tmp_path)
    run_id = recovery.new_run_id()
    with pytest.raises(KeyboardInterrupt):
        with recovery.run_lease(home, run_id, "ledger-test", str(tmp_path / "root")):
            execution = _execution(store, run_id, "LedgerInfraValidator")
            raise KeyboardInterrupt
    [recovered] = recovery.recover_dead_runs(store, home)
    assert recovered.failed_executions == [execution.id]
    with recovery.run_lease(home, recovery.new_run_id(), "ledger-test", str(tmp_path / "root")):
        pass
    assert os.listdir(os.path.join(home, recovery.LEASE_DIR)) == []  # a completed run's goes


def test_pending_output_artifact_is_abandoned(tmp_path):
    home, store = str(tmp_path / "home"), _store(tmp_path)
    run_id = "2026-11-30T09:00:00"
    with pytest.raises(RuntimeError):
        with recovery.run_lease(home, run_id, "ledger-test", str(tmp_path / "root")):
            execution = _execution(store, run_id, "LedgerTrainer")
            model_type = store.put_artifact_type(pb.ArtifactType(name="Model"))
            [artifact_id] = store.put_artifacts([pb.Artifact(
                type_id=model_type, uri=str(tmp_path / "root" / "m"), state=pb.Artifact.PENDING)])
            store.put_events([pb.Event(artifact_id=artifact_id, execution_id=execution.id,
                                       type=pb.Event.PENDING_OUTPUT)])
            raise RuntimeError("component failed")
    [recovered] = recovery.recover_dead_runs(store, home)
    assert recovered.abandoned_artifacts == [artifact_id]
    [artifact] = store.get_artifacts_by_id([artifact_id])
    assert artifact.state == pb.Artifact.ABANDONED
    assert "abandoned: the run 2026-11-30T09:00:00" in artifact.custom_properties[
        recovery.ABANDONED_BY].string_value
