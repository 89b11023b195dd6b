"""Plain-text and JSON renderings of registry results for the `ledger` CLI."""

from __future__ import annotations

import dataclasses
import json

from .records import ModelSummary, Transition, VerifyReport, VersionInfo
from .trust import FAILED, LEGACY_HMAC, LEGACY_UNSIGNED, RecordStatus


def table(headers: list[str], rows: list[list]) -> str:
    """Left-aligned columns separated by two spaces; None prints as empty."""
    cells = [headers] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells)
    return "\n".join(line.rstrip() for line in lines)


def as_json(value) -> str:
    """Dataclasses (or lists of them) as indented, key-sorted JSON."""
    if isinstance(value, list):
        value = [dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v for v in value]
    elif dataclasses.is_dataclass(value):
        value = dataclasses.asdict(value)
    return json.dumps(value, indent=2, sort_keys=True)


def headline_metrics(values: dict, limit: int = 3) -> str:
    """The first few metrics as k=v, floats to 4 significant digits."""
    shown = sorted(values.items())[:limit]
    return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in shown)


def models_table(models: list[ModelSummary]) -> str:
    rows = [
        [m.name, m.version_count, m.latest_version, m.latest_stage, m.production_version]
        for m in models
    ]
    return table(["MODEL", "VERSIONS", "LATEST", "LATEST STAGE", "PRODUCTION"], rows)


UNVERIFIED = "UNVERIFIED"
# Facts of a version that come from its records: shown as claims when a record behind them failed.
_RECORD_FACTS = ("stage", "approved_by", "approved_at", "deployed_at")


def claim(value, status: RecordStatus) -> str:
    """A record's value, marked as an unproven claim when the record failed verification."""
    return f"{UNVERIFIED}({value})" if status.failed else str(value)


def worst(statuses: list[RecordStatus]) -> str:
    """One word for a set of records: FAILED beats legacy beats verified."""
    states = {s.state for s in statuses}
    for state, word in ((FAILED, "FAILED"), (LEGACY_HMAC, "legacy"), (LEGACY_UNSIGNED, "legacy")):
        if state in states:
            return word
    return "verified" if states else ""


def versions_table(versions: list[VersionInfo], production: int | None = None,
                   statuses: dict[int, list[RecordStatus]] | None = None) -> str:
    """One row per version; the production version (what @production resolves to) is marked,
    since earlier pushed versions keep the stage deployed until rolled back or deprecated.
    STATUS sums up the version's records; a failed one turns its facts into claims."""
    rows = []
    for v in versions:
        mine = (statuses or {}).get(v.version, [])
        failed = next((s for s in mine if s.failed), RecordStatus("", ""))
        stage = f"{v.stage} (production)" if v.version == production else v.stage
        rows.append([v.version, claim(stage, failed), worst(mine), headline_metrics(v.metrics),
                     v.dataset_version_id, claim(v.approved_by, failed) if v.approved_by else "",
                     v.deployed_at])
    return table(["VERSION", "STAGE", "STATUS", "METRICS", "DATASET", "APPROVER", "PUSHED"],
                 rows)


def history_table(records: list[Transition], statuses: list[RecordStatus]) -> str:
    rows = [
        [t.seq, t.decided_at, t.version, t.from_stage, claim(t.to_stage, s), claim(t.actor, s),
         s.label if s.failed else s.state, claim(t.reason, s)]
        for t, s in zip(records, statuses, strict=True)
    ]
    return table(["SEQ", "DECIDED AT", "VERSION", "FROM", "TO", "ACTOR", "STATUS", "REASON"],
                 rows)


def version_text(info: VersionInfo, history: list[Transition],
                 statuses: list[RecordStatus]) -> str:
    """Every field of a version, then its records with their verification status."""
    failed = next((s for s in statuses if s.failed), RecordStatus("", ""))
    lines = [f"{k}: {_field(k, v, failed)}" for k, v in dataclasses.asdict(info).items()]
    lines.append(f"status: {worst(statuses)}")
    lines += [
        f"  #{t.seq} {t.decided_at} {t.from_stage} -> {claim(t.to_stage, s)} by "
        f"{claim(t.actor, s)}: {claim(t.reason, s)} [{s.label}]"
        for t, s in zip(history, statuses, strict=True)
    ]
    return "\n".join(lines)


def _field(name: str, value, failed: RecordStatus) -> str:
    if isinstance(value, dict):
        return json.dumps(value)
    return claim(value, failed) if name in _RECORD_FACTS and value else str(value)


def records_json(records: list[Transition], statuses: list[RecordStatus]) -> list[dict]:
    """Records as dicts with `status` and `status_detail`; failed ones say so in `status`."""
    return [dict(dataclasses.asdict(t), status=s.state, status_detail=s.detail)
            for t, s in zip(records, statuses, strict=True)]


def verify_text(report: VerifyReport) -> str:
    """FAILED, LEGACY (intact but not proven) or OK (every record signed by an allowed signer)."""
    since = f" since checkpoint seq {report.since_seq}" if report.since_seq else ""
    counts = (f"{report.records_checked} records checked{since}: {report.verified} signed by "
              f"allowed signers, {report.legacy_hmac} legacy HMAC, {report.legacy_unsigned} "
              "legacy unsigned")
    if report.status == "failed":
        head = f"FAILED: {counts}"
    elif report.status == "legacy":
        head = (f"LEGACY: {counts}; the chain is consistent, but legacy records are not proven "
                "(anyone with write access could have rewritten them)")
    else:
        head = f"OK: {counts}"
    if report.checkpoint:
        head += f"\n  {report.checkpoint}"
    return "\n".join([head] + [f"  {problem}" for problem in report.problems])
