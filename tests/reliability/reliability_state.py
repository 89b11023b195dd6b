"""What a ledger home holds after a run or a crash: node states, versions, decisions, leftovers."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.metadata import open_store, sqlite_spec
from pipeline.paths import LedgerPaths
from pipeline.registry import Registry
from pipeline.registry.serving import MANIFEST, TMP_PREFIX

MODEL = "penguins"
STATE = {v: k for k, v in pb.Execution.State.items()}


def store(paths: LedgerPaths):
    return open_store(sqlite_spec(paths.metadata_path), must_exist=True)


def node_executions(paths: LedgerPaths) -> dict[str, list[pb.Execution]]:
    """{node id: its executions, oldest first}, from each execution's `node` context."""
    mlmd = store(paths)
    by_node: dict[str, list[pb.Execution]] = {}
    for context in mlmd.get_contexts_by_type("node"):
        node = context.name.split(".")[-1]
        by_node[node] = sorted(mlmd.get_executions_by_context(context.id), key=lambda e: e.id)
    return by_node


def last_state(paths: LedgerPaths, node: str) -> str:
    """State name of the newest execution of `node` ('absent' if it never ran)."""
    executions = node_executions(paths).get(node, [])
    return STATE[executions[-1].last_known_state] if executions else "absent"


def registry(paths: LedgerPaths) -> Registry:
    return Registry.open(sqlite_spec(paths.metadata_path), must_exist=True)


def leftovers(paths: LedgerPaths) -> list[str]:
    """Partial pushes: staging dirs, version dirs without a manifest, half-written configs."""
    found = []
    model_dir = os.path.join(paths.serving_root, MODEL)
    for name in sorted(os.listdir(model_dir)) if os.path.isdir(model_dir) else []:
        full = os.path.join(model_dir, name)
        if name.startswith(TMP_PREFIX) or not os.path.isfile(os.path.join(full, MANIFEST)):
            found.append(full)
    if os.path.isdir(paths.serving_root):
        found += [os.path.join(paths.serving_root, n) for n in os.listdir(paths.serving_root)
                  if n.endswith(".tmp")]
    return found


def served_versions(paths: LedgerPaths) -> list[int]:
    model_dir = os.path.join(paths.serving_root, MODEL)
    names = os.listdir(model_dir) if os.path.isdir(model_dir) else []
    return sorted(int(n) for n in names if n.isdigit())


@dataclass(frozen=True)
class Decisions:
    """ModelApproval outputs and whether each one's decision reached the governance log."""

    blessings: list  # (model artifact id, version, decision) per ModelApproval output
    missing: list  # decisions with no matching governance record: lost records


def approval_decisions(paths: LedgerPaths) -> Decisions:
    """Every ModelApproval decision, checked against the version's governance history."""
    reg = registry(paths)
    found, missing = [], []
    for blessing in reg.store.get_artifacts_by_type("ModelBlessing"):
        props = blessing.custom_properties
        if "decision" not in props or blessing.state != pb.Artifact.LIVE:
            continue  # the Evaluator's blessing, or an output of a run killed before publishing
        version, decision = props["version"].int_value, props["decision"].string_value
        found.append((props["current_model_id"].int_value, version, decision))
        wanted = {"approved": "approved", "rejected": "rejected", "pending": "validated"}
        stages = {t.to_stage for t in reg.history(MODEL, version)}
        if decision in wanted and wanted[decision] not in stages:
            missing.append((version, decision))
    return Decisions(found, missing)


def versions_by_model(paths: LedgerPaths) -> dict[int, list[int]]:
    """{Model artifact id: registry versions registered for it}; one each when nothing is lost."""
    out: dict[int, list[int]] = {}
    for info in registry(paths).versions(MODEL):
        out.setdefault(info.model_artifact_id, []).append(info.version)
    return out


def ledger_verify(paths: LedgerPaths) -> subprocess.CompletedProcess:
    """`ledger --home HOME verify` as a user runs it (ml_metadata only, so it starts fast)."""
    return subprocess.run([sys.executable, "-m", "pipeline.cli", "--home", paths.home, "verify"],
                          capture_output=True, text=True, timeout=120)


def trained_models(paths: LedgerPaths) -> list[int]:
    """Ids of Model artifacts a LedgerTrainer execution published (the runs that got that far)."""
    mlmd = store(paths)
    trainer = node_executions(paths).get("LedgerTrainer", [])
    ids = set()
    for event in mlmd.get_events_by_execution_ids([e.id for e in trainer]):
        if event.type == pb.Event.OUTPUT:
            ids.add(event.artifact_id)
    model_type = mlmd.get_artifact_type("Model").id
    return sorted(a.id for a in mlmd.get_artifacts_by_id(sorted(ids))
                  if a.type_id == model_type and a.state == pb.Artifact.LIVE)


def active_executions(paths: LedgerPaths) -> list[tuple[str, int, str]]:
    """(node, execution id, state) of every execution still NEW or RUNNING, in any run."""
    return [(node, e.id, STATE[e.last_known_state])
            for node, executions in node_executions(paths).items() for e in executions
            if e.last_known_state in (pb.Execution.NEW, pb.Execution.RUNNING)]


def unfinished_outputs(paths: LedgerPaths, pipeline: str = "ledger-penguins") -> list[str]:
    """What executions that did not complete left in the pipeline root: output directories,
    executor temp dirs, and any InfraValidator work dir wherever it is."""
    root = os.path.join(paths.pipeline_root, pipeline)
    done = (pb.Execution.COMPLETE, pb.Execution.CACHED)
    found = []
    for node, executions in node_executions(paths).items():
        node_dir = os.path.join(root, node)
        keys = os.listdir(node_dir) if os.path.isdir(node_dir) else []
        keys = [k for k in keys if k != ".system"]
        for execution in executions:
            if execution.last_known_state in done:
                continue
            candidates = [os.path.join(node_dir, k, str(execution.id)) for k in keys]
            candidates.append(os.path.join(node_dir, ".system", "executor_execution",
                                           str(execution.id)))
            found += [c for c in candidates if os.path.exists(c)]
    for parent, dirs, _ in os.walk(root):
        found += [os.path.join(parent, d) for d in dirs if d.startswith("infra_validation_")]
    return sorted(set(found))
