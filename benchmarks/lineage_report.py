"""bench_lineage's verdict: per back end, each figure at every size, PASS/FAIL against issue 19's
targets (on the median; p95 in brackets) and the load average the figures were taken under.

CPU-time rows are no targets: on a machine shared with other jobs, wall time is CPU time plus
waiting for a core, so they show what a quiet machine's wall time would be at least."""

from __future__ import annotations

import os

ROWS = (  # (result key, label, unit)
    ("resolve_production_ms", "resolve `MODEL@production`", "ms"),
    ("production_trace_ms", "`@production` resolution + trace", "ms"),
    ("production_trace_ms_cpu", "  the same, CPU time", "ms"),
    ("trace_ms", "trace of `MODEL@N`", "ms"),
    ("as_of_ms", "as-of", "ms"),
    ("versions_page_ms", "`versions` first page of 20", "ms"),
    ("history_version_ms", "`history MODEL@N`", "ms"),
    ("ledger_trace_production_s", "`ledger trace MODEL@production` process", "s"),
    ("ledger_trace_production_s_cpu", "  the same, CPU time (user + sys)", "s"),
    ("verify_incremental_s", "incremental verify, 10 new records", "s"),
    ("rollback_fallback_production_ms", "rollback fallback: next `@production`", "ms"),
    ("rollback_fallback_approved_ms", "deprecation fallback: next `@latest-approved`", "ms"),
)


def load() -> str:
    """The 1/5/15-minute load averages, as `uptime` prints them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _cell(result: dict, key: str, target: float | None) -> str:
    figure = result.get(key)
    if figure is None:
        return "-"
    text = f"{figure['median']} ({figure['p95']})"
    if target is None:
        return text
    return f"{text} {'PASS' if figure['median'] <= target else 'FAIL'}"


def table(results: list[dict], targets: dict) -> list[str]:
    """One markdown table per back end: figures as rows, sizes as columns."""
    lines = []
    for backend in dict.fromkeys(r["backend"] for r in results):
        mine = sorted((r for r in results if r["backend"] == backend), key=lambda r: r["runs"])
        lines += ["", f"{backend}: median (p95); PASS/FAIL on the median against the target",
                  "", "| figure | target | " + " | ".join(f"{r['runs']:,} runs" for r in mine)
                  + " |", "| --- | --- |" + " --- |" * len(mine)]
        for key, label, unit in ROWS:
            target = targets.get(key)
            limit = f"≤ {target:g} {unit}" if target is not None else "-"
            lines.append(f"| {label} ({unit}) | {limit} | "
                         + " | ".join(_cell(r, key, target) for r in mine) + " |")
        lines.append("| full verify (s) | - | "
                     + " | ".join(str(r.get("verify_full_s", "-")) for r in mine) + " |")
        for key, label in (("load_in_process", "load, in-process rounds"),
                           ("load_process", "load, process + verify")):
            lines.append(f"| {label} | - | " + " | ".join(r.get(key, "-") for r in mine) + " |")
    return lines


def print_report(results: list[dict], targets: dict) -> None:
    print("\n".join(table(results, targets)))
