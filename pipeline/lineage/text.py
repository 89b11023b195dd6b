"""Plain-text and JSON renderings of lineage results for the `ledger` CLI."""

from __future__ import annotations

import dataclasses
import json
import re

from pipeline.registry.render import headline_metrics, table

from .records import AsOf, Impact, Trace, VersionDiff

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def as_json(value) -> str:
    """A result dataclass as indented, key-sorted JSON."""
    return json.dumps(dataclasses.asdict(value), indent=2, sort_keys=True, default=str)


def _kv(values: dict) -> str:
    return " ".join(f"{k}={json.dumps(v) if isinstance(v, (list, dict)) else v}"
                    for k, v in sorted(values.items())) or "-"


def _section(title: str, rows: list[tuple[str, object]]) -> list[str]:
    width = max(len(k) for k, _ in rows)
    return [title] + [f"  {k.ljust(width)}  {'-' if v in ('', None) else v}" for k, v in rows]


def _data_lines(trace: Trace) -> list[str]:
    data = trace.data
    dirty = {True: " (uncommitted changes)", False: "", None: ""}[data.code_dirty]
    rows = [("dataset version", data.dataset_version_id), ("raw data", data.raw_data_uri),
            ("raw data sha256", data.raw_data_sha256)]
    rows += [(f"  {f.get('name')}", f"sha256 {f.get('sha256')}  {f.get('size')} bytes")
             for f in data.raw_files]
    rows += [("examples digest", data.examples_root_digest), ("schema digest", data.schema_digest),
             ("processing steps", len(data.processing_steps)),
             ("code revision", f"{data.code_revision}{dirty}")]
    return _section("data", rows)


def _checks_lines(trace: Trace) -> list[str]:
    ev, infra, approval = trace.evaluation, trace.infra, trace.approval
    blessed = {True: "blessed", False: "NOT blessed", None: "-"}
    rows = [("metrics", headline_metrics(ev.metrics, limit=10) or "-"),
            ("evaluator", f"{blessed[ev.blessed]}  {ev.evaluation_uri}")]
    if infra:
        rows.append(("infra validator", f"{blessed[infra.blessed]}  p50 {infra.latency_p50_ms} ms"
                     f"  p99 {infra.latency_p99_ms} ms  {infra.requests_sent} requests"))
    if approval:
        rows.append(("approval", f"{approval.decision} by {approval.decided_by} at "
                     f"{approval.decided_at}: {'; '.join(approval.reasons)}"))
    return _section("checks", rows)


def prediction_dict(verified, captured: dict | None) -> dict:
    """A traced prediction: its receipt, what was checked, and its captured inputs and outputs
    (None when the prediction was not captured in this home)."""
    receipt = verified.receipt
    return {"prediction_id": receipt.prediction_id, "issued_at": receipt.issued_at,
            "receipt": receipt.to_dict(), "receipt_valid": True, "checked": verified.how,
            "signer": verified.signer, "stage_now": verified.stage,
            "captured": captured is not None,
            "inputs": captured["features"] if captured else None,
            "outputs": captured["outputs"] if captured else None}


def prediction_text(verified, captured: dict | None) -> str:
    """The prediction's receipt check, then the inputs it was given and what it answered."""
    receipt = verified.receipt
    lines = [f"prediction {receipt.prediction_id} at {receipt.issued_at}: receipt valid "
             f"({verified.how})"]
    if captured is None:
        return "\n".join(lines + ["  inputs and outputs: not captured in this home"])
    return "\n".join(lines + [f"  inputs   {_kv(captured['features'])}",
                              f"  outputs  {_kv(captured['outputs'])}"])


def trace_text(trace: Trace) -> str:
    """The facts an auditor asks for first, then the governance log of the version."""
    info, train = trace.version, trace.training
    failed = any(s.startswith("FAILED") for s in trace.history_status)
    stage = f"UNVERIFIED({info.stage})" if failed else info.stage
    lines = [f"{info.identifier}  stage {stage}  (ModelVersion {info.artifact_id}, "
             f"Model {info.model_artifact_id})", f"  model digest  {info.model_digest}"]
    lines += _data_lines(trace)
    lines += _section("training", [
        ("trainer execution", train.trainer_execution_id or "-"),
        ("transform execution", train.transform_execution_id or "-"),
        ("hyperparameters", _kv(train.hyperparameters)),
        ("code revision", train.code_revision)])
    lines += _checks_lines(trace)
    lines += _section("deployments", [("pushed to", ", ".join(trace.deployments) or "never")])
    lines.append("governance log")
    statuses = trace.history_status or [""] * len(trace.history)
    for t, status in zip(trace.history, statuses, strict=True):
        shown = (t.to_stage, t.actor, t.reason)
        if status.startswith("FAILED"):  # never a failed record's values as facts
            shown = tuple(f"UNVERIFIED({value})" for value in shown)
        lines.append(f"  #{t.seq} {t.decided_at} {t.from_stage} -> {shown[0]} by {shown[1]}: "
                     f"{shown[2]}" + (f" [{status}]" if status else ""))
    kinds = [n.kind for n in trace.graph.nodes]
    lines.append(f"graph: {kinds.count('artifact')} artifacts, {kinds.count('execution')} "
                 f"executions, {len(trace.graph.edges)} events (--dot to draw it)")
    return "\n".join(lines)


def impact_text(impact: Impact) -> str:
    """What the data reached: matched artifacts, then one row per registry version."""
    lines = [f"impact of {impact.target}"]
    lines += [f"  matched {n.type} {n.id}: {n.uri or n.label}" for n in impact.matched]
    lines.append(f"  dataset versions: {', '.join(impact.dataset_version_ids) or '-'}")
    lines.append(f"  models trained: {len(impact.model_artifact_ids)} "
                 f"(Model artifacts {', '.join(map(str, impact.model_artifact_ids)) or '-'})")
    rows = [[v.identifier, v.stage, v.dataset_version_id, ", ".join(v.pushed_to) or "-",
             ", ".join(f"{t.decided_at} (#{t.seq} {t.actor})" for t in v.deployed) or "-",
             len(v.captures)] for v in impact.versions]
    lines.append(table(["VERSION", "STAGE", "DATASET", "PUSHED TO", "DEPLOYED", "CAPTURES"], rows))
    if not impact.captures_recorded:
        lines.append("prediction captures: none recorded downstream")
    return "\n".join(lines)


def as_of_text(result: AsOf) -> str:
    """Which version served at the moment, or that nothing did."""
    if not result.deployed:
        first = (f"first deployment {result.first_deployed_at}" if result.first_deployed_at
                 else "never deployed")
        return f"{result.model_name} at {result.at}: nothing deployed ({first})"
    info = result.version
    return "\n".join([
        f"{result.model_name} at {result.at}: {info.identifier}",
        f"  deployed      {result.deployed_at} by {result.deployed_by} "
        f"(record #{result.record_seq})",
        f"  approved by   {info.approved_by or '-'} at {info.approved_at or '-'}",
        f"  dataset       {info.dataset_version_id or '-'}",
        f"  model digest  {info.model_digest}"])


def _short(value) -> str:
    text = "-" if value in (None, "") else str(value)
    return text[:16] + "..." if _DIGEST.match(text) else text


def diff_text(result: VersionDiff) -> str:
    """One row per fact, `*` where the versions differ; digests shortened (--json: whole)."""
    rows = [["*" if not r.same else "", r.field, _short(r.a), _short(r.b)] for r in result.rows]
    changed = sum(1 for r in result.rows if not r.same)
    return table(["", "FIELD", result.a, result.b], rows) + f"\n{changed} facts differ"
