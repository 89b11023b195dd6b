"""Plain-text and JSON renderings of registry results for the `ledger` CLI."""

from __future__ import annotations

import dataclasses
import json

from .records import ModelSummary, Transition, VerifyReport, VersionInfo


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


def versions_table(versions: list[VersionInfo], production: int | None = None) -> str:
    """One row per version; the production version (what @production resolves to) is marked,
    since earlier pushed versions keep the stage deployed until rolled back or deprecated."""
    rows = [
        [
            v.version,
            f"{v.stage} (production)" if v.version == production else v.stage,
            headline_metrics(v.metrics),
            v.dataset_version_id,
            v.approved_by,
            v.deployed_at,
        ]
        for v in versions
    ]
    return table(["VERSION", "STAGE", "METRICS", "DATASET", "APPROVER", "PUSHED"], rows)


def history_table(records: list[Transition]) -> str:
    rows = [
        [t.seq, t.decided_at, t.version, t.from_stage, t.to_stage, t.actor, t.reason]
        for t in records
    ]
    return table(["SEQ", "DECIDED AT", "VERSION", "FROM", "TO", "ACTOR", "REASON"], rows)


def version_text(info: VersionInfo, history: list[Transition]) -> str:
    """Every field of a version, then its records."""
    lines = [
        f"{k}: {json.dumps(v) if isinstance(v, dict) else v}"
        for k, v in dataclasses.asdict(info).items()
    ]
    lines += [
        f"  #{t.seq} {t.decided_at} {t.from_stage} -> {t.to_stage} by {t.actor}: {t.reason}"
        for t in history
    ]
    return "\n".join(lines)


def verify_text(report: VerifyReport) -> str:
    signed = "signed" if report.signed else "unsigned (no HMAC key)"
    status = "OK" if report.ok else "FAILED"
    since = f" since checkpoint seq {report.since_seq}" if report.since_seq else ""
    lines = [f"{status}: {report.records_checked} records checked{since}, {signed}"]
    return "\n".join(lines + [f"  {problem}" for problem in report.problems])
