"""Crash recovery for local runs: what a killed `ledger run` left RUNNING is failed and cleaned.

Each run holds a lease for its whole life: `<home>/runs/<run id>.lease`, a JSON file (pid,
host, pipeline name and root) with an exclusive flock on it. The kernel drops the flock when
the process dies, kill -9 included, so a lease whose lock can be taken belongs to a dead run.
The next run, before it starts its own, takes each such lease and:
- marks the dead run's executions still NEW or RUNNING as FAILED, with the reason;
- removes what those executions had written in the pipeline root (output directories, the
  executor's temp and working directories: the InfraValidator's model-server work dir lives
  there) and marks any output artifact MLMD holds for them ABANDONED;
- removes the lease.
A live run's lease cannot be taken, so a run racing another on the same home leaves it alone.
"""
from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import logging
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass, field

from ml_metadata.proto import metadata_store_pb2 as pb

LEASE_DIR = "runs"
LEASE_SUFFIX = ".lease"
FAILURE_REASON = "failure_reason"  # execution custom property
ABANDONED_BY = "abandoned_by"  # artifact custom property
_ACTIVE = (pb.Execution.NEW, pb.Execution.RUNNING)
_SYSTEM_DIRS = ((".system", "executor_execution", "{id}"),
                (".system", "stateful_working_dir", "{index}"))
_WORKING_DIR_INDEX = "__stateful_working_dir_index__"  # TFX's outputs_utils


@dataclass
class Recovered:
    """What recovery did for one dead run."""

    run_id: str
    pid: int
    failed_executions: list[int] = field(default_factory=list)
    removed_paths: list[str] = field(default_factory=list)
    abandoned_artifacts: list[int] = field(default_factory=list)


def new_run_id() -> str:
    """A pipeline run id in LocalDagRunner's own format (its pipeline_run context name)."""
    return datetime.datetime.now().isoformat()


def _lease_path(home: str, run_id: str) -> str:
    return os.path.join(home, LEASE_DIR, run_id.replace(":", "-") + LEASE_SUFFIX)


@contextlib.contextmanager
def run_lease(home: str, run_id: str, pipeline_name: str, pipeline_root: str):
    """Holds the run's lease while the block runs; removes it when the block completes.

    The lease is written and locked under a temporary name, then renamed into place: whoever
    opens it by its final name finds it already locked. When the block raises (a failed
    component, Ctrl-C), the lease stays, unlocked: the next run cleans up whatever the
    interruption left RUNNING.
    """
    directory = os.path.join(home, LEASE_DIR)
    os.makedirs(directory, exist_ok=True)
    record = {"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname(),
              "pipeline_name": pipeline_name, "pipeline_root": os.path.abspath(pipeline_root)}
    fd, staging = tempfile.mkstemp(dir=directory, prefix=".staging-")
    path = _lease_path(home, run_id)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, json.dumps(record).encode())
        os.replace(staging, path)
        yield record
        os.remove(path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(staging)
        os.close(fd)


def run_local(tfx_pipeline, home: str, store) -> list[Recovered]:
    """Recovers this home's dead runs, then runs `tfx_pipeline` with LocalDagRunner under a lease.

    The run id is chosen here (LocalDagRunner would choose it inside) so the lease can name it.
    Returns what was recovered.
    """
    from tfx.dsl.compiler import constants
    from tfx.orchestration.local.local_dag_runner import LocalDagRunner
    from tfx.orchestration.portable import runtime_parameter_utils, tfx_runner

    recovered = recover_dead_runs(store, home)
    ir = tfx_runner._make_pipeline_proto(tfx_pipeline)  # what LocalDagRunner.run compiles
    run_id = new_run_id()
    runtime_parameter_utils.substitute_runtime_parameter(
        ir, {constants.PIPELINE_RUN_ID_PARAMETER_NAME: run_id})
    with run_lease(home, run_id, ir.pipeline_info.id, tfx_pipeline.pipeline_info.pipeline_root):
        LocalDagRunner().run_with_ir(ir)
    return recovered


def _take_dead_lease(path: str):
    """(fd, record) when the lease's owner is dead (its lock is free), else None."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return None  # finished or recovered meanwhile
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None  # a live run
    try:
        with open(path, encoding="utf-8") as handle:
            return fd, json.loads(handle.read() or "{}")
    except (OSError, ValueError):
        return fd, {}


def recover_dead_runs(store, home: str) -> list[Recovered]:
    """Fails and cleans up after every run of this home whose process died; returns what."""
    directory = os.path.join(home, LEASE_DIR)
    names = sorted(os.listdir(directory)) if os.path.isdir(directory) else []
    recovered = []
    for name in names:
        if not name.endswith(LEASE_SUFFIX):
            continue
        path = os.path.join(directory, name)
        taken = _take_dead_lease(path)
        if taken is None:
            continue
        fd, record = taken
        try:
            if record.get("run_id"):
                recovered.append(_recover_run(store, record))
            os.remove(path)
        finally:
            os.close(fd)
    return recovered


def _run_executions(store, run_id: str) -> list[pb.Execution]:
    context = store.get_context_by_type_and_name("pipeline_run", run_id)
    return store.get_executions_by_context(context.id) if context else []


def _recover_run(store, record: dict) -> Recovered:
    run_id, pid = record["run_id"], int(record.get("pid") or 0)
    result = Recovered(run_id, pid)
    reason = (f"abandoned: the run {run_id} (pid {pid} on {record.get('host', '?')}) died "
              "before this execution finished; marked failed by the next run at "
              f"{datetime.datetime.now().isoformat(timespec='seconds')}")
    for execution in _run_executions(store, run_id):
        if execution.last_known_state not in _ACTIVE:
            continue
        node_dir = _node_dir(store, execution, record.get("pipeline_root", ""))
        if node_dir:
            result.removed_paths += _remove_partial_outputs(node_dir, execution)
        result.abandoned_artifacts += _abandon_outputs(store, execution, reason)
        execution.last_known_state = pb.Execution.FAILED
        execution.custom_properties[FAILURE_REASON].string_value = reason
        store.put_executions([execution])
        result.failed_executions.append(execution.id)
    logging.warning("Recovered dead run %s: failed executions %s, removed %s", run_id,
                    result.failed_executions, result.removed_paths)
    return result


def _node_dir(store, execution: pb.Execution, pipeline_root: str) -> str:
    """<pipeline root>/<node id>, from the execution's `node` context (`<pipeline>.<node>`)."""
    if not pipeline_root:
        return ""
    for context in store.get_contexts_by_execution(execution.id):
        if store.get_context_types_by_id([context.type_id])[0].name == "node":
            return os.path.join(pipeline_root, context.name.split(".", 1)[-1])
    return ""


def _remove_partial_outputs(node_dir: str, execution: pb.Execution) -> list[str]:
    """The execution's output dirs (<node>/<output key>/<id>) and its .system dirs."""
    index = ""
    if _WORKING_DIR_INDEX in execution.custom_properties:
        value = execution.custom_properties[_WORKING_DIR_INDEX]
        index = value.string_value or str(value.int_value)
    names = {"id": str(execution.id), "index": index}
    candidates = [os.path.join(node_dir, key, str(execution.id))
                  for key in (os.listdir(node_dir) if os.path.isdir(node_dir) else [])
                  if key != ".system"]
    candidates += [os.path.join(node_dir, *(part.format(**names) for part in parts))
                   for parts in _SYSTEM_DIRS if names["index"] or "{index}" not in parts[-1]]
    removed = []
    for path in candidates:
        if os.path.lexists(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _abandon_outputs(store, execution: pb.Execution, reason: str) -> list[int]:
    """Output artifacts MLMD holds for the execution that never became LIVE: ABANDONED."""
    output_types = (pb.Event.OUTPUT, pb.Event.PENDING_OUTPUT)
    ids = [e.artifact_id for e in store.get_events_by_execution_ids([execution.id])
           if e.type in output_types]
    abandoned = []
    for artifact in store.get_artifacts_by_id(ids) if ids else []:
        if artifact.state == pb.Artifact.LIVE:
            continue
        artifact.state = pb.Artifact.ABANDONED
        artifact.custom_properties[ABANDONED_BY].string_value = reason
        store.put_artifacts([artifact])
        abandoned.append(artifact.id)
    return abandoned
