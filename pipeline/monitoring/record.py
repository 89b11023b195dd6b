"""Writes a drift report file and records it in MLMD: DriftCheck execution -> DriftReport."""
from __future__ import annotations

import json
import os
import tempfile

from ml_metadata.proto import metadata_store_pb2 as pb

from pipeline.digest import sha256_file
from pipeline.registry.log import retry_transient

from .report import DriftResult

DRIFT_REPORT = "DriftReport"
DRIFT_CHECK = "DriftCheck"
MLMD_ATTEMPTS = 50


def report_path(monitoring_root: str, result: DriftResult) -> str:
    """<monitoring_root>/<model>/<version>/drift-<checked_at>.json (sortable by time)."""
    stamp = result.checked_at.replace(":", "").replace("-", "")
    return os.path.join(monitoring_root, result.model_name, str(result.version),
                        f"drift-{stamp}.json")


def write_report(path: str, document: dict) -> str:
    """Write the JSON report atomically (temp file + rename); returns its SHA-256."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(temp, path)
    return sha256_file(path)


def _set(table, values: dict) -> None:
    for key, value in values.items():
        if isinstance(value, float):
            table[key].double_value = value
        elif isinstance(value, (bool, int)):
            table[key].int_value = int(value)
        else:
            table[key].string_value = value if isinstance(value, str) else json.dumps(value)


def _event(kind, key: str, index: int = 0, artifact_id: int | None = None) -> pb.Event:
    event = pb.Event(type=kind)
    if artifact_id is not None:
        event.artifact_id = artifact_id
    # Same path shape TFX writes (key, index), so lineage readers see the input/output names.
    event.path.steps.add().key = key
    event.path.steps.add().index = index
    return event


def _edges(result: DriftResult, version_artifact_id: int) -> list:
    base = result.baseline
    inputs = [("model_version", 0, version_artifact_id),
              ("training_statistics", 0, base["statistics_id"]), ("schema", 0, base["schema_id"])]
    inputs += [("captures", i, f["artifact_id"]) for i, f in enumerate(result.capture_files)]
    edges = [(0, None, _event(pb.Event.INPUT, key, i, artifact_id))
             for key, i, artifact_id in inputs]
    return edges + [(0, 0, _event(pb.Event.OUTPUT, "drift_report"))]


def _retry(write):
    return retry_transient(write, MLMD_ATTEMPTS)


def record(store, result: DriftResult, version_artifact_id: int, sha256: str) -> tuple[int, int]:
    """One DriftCheck execution reading the version, baseline and captures; (execution, report)."""
    report_type = _retry(lambda: store.put_artifact_type(pb.ArtifactType(name=DRIFT_REPORT)))
    check_type = _retry(lambda: store.put_execution_type(pb.ExecutionType(name=DRIFT_CHECK)))
    facts = {"model_name": result.model_name, "version": result.version,
             "checked_at": result.checked_at, "requests": result.requests,
             "flagged": int(bool(result.flagged)), "drifted_features": result.flagged}
    report = pb.Artifact(type_id=report_type, uri=result.report_path, state=pb.Artifact.LIVE)
    _set(report.custom_properties, {**facts, "max_scores": result.max_scores(), "sha256": sha256,
                                    **{f"max_{k}": v for k, v in result.max_scores().items()}})
    check = pb.Execution(type_id=check_type, last_known_state=pb.Execution.COMPLETE)
    _set(check.custom_properties, {**facts, "thresholds": result.thresholds_source})
    ids = _retry(lambda: store.put_lineage_subgraph(
        [check], [report], [], _edges(result, version_artifact_id)))
    return ids[0][0], ids[1][0]
