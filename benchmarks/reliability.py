"""Reliability summary: runs tests/reliability under pytest, writes JSON and a Markdown table.

    python -m benchmarks.reliability          # reduced (CI) form: results/reliability-reduced.*
    python -m benchmarks.reliability --full   # every case: results/reliability.json and .md
Extra arguments go to pytest (e.g. -k faults, --basetemp=DIR).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

from pipeline.paths import PROJECT_ROOT

RESULTS = os.path.join(PROJECT_ROOT, "benchmarks", "results")
SUITE = os.path.join("tests", "reliability")


def run_suite(full: bool, junit: str, extra: list[str]) -> int:
    """Run pytest on the suite (one process: pipeline-level input cases share imports)."""
    marks = "slow or not slow" if full else "not slow"
    # xunit1 keeps the per-case properties (kind, lost, detail) the table is built from.
    command = [sys.executable, "-m", "pytest", SUITE, "-m", marks, "-q", "-rfE",
               f"--junitxml={junit}", "-o", "junit_family=xunit1",
               "-W", "ignore::FutureWarning", *extra]
    return subprocess.run(command, cwd=PROJECT_ROOT).returncode


def _result(case: ET.Element) -> str:
    """passed, failed, error, or skipped with its reason."""
    if case.find("failure") is not None:
        return "failed"
    if case.find("error") is not None:
        return "error"
    skipped = case.find("skipped")
    if skipped is not None:
        if skipped.get("type") == "pytest.xfail":
            return "known gap (xfail)"  # the case's detail says which
        return f"skipped: {(skipped.get('message') or '-').splitlines()[0][:80]}"
    return "passed"


def cases(junit: str) -> list[dict]:
    """One row per test case: name, kind, result, lost (None when nothing could be lost)."""
    rows = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        module = case.get("classname", "").rsplit(".", 1)[-1]
        rows.append({
            "case": case.get("name"),
            "module": module,
            "kind": props.get("kind", module),
            "result": _result(case),
            "lost": int(props["lost"]) if "lost" in props else None,
            "detail": props.get("detail", ""),
            "seconds": round(float(case.get("time", 0)), 1),
        })
    return rows


def summary(rows: list[dict], form: str, seconds: float) -> dict:
    return {
        "form": form,
        "cases_tried": len([r for r in rows if not r["result"].startswith("skipped")]),
        "passed": len([r for r in rows if r["result"] == "passed"]),
        "known_gaps": len([r for r in rows if r["result"].startswith("known gap")]),
        "lost": sum(r["lost"] or 0 for r in rows),
        "wall_seconds": round(seconds, 1),
        "machine": f"{os.cpu_count()} cores",
        "run_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def markdown(head: dict, rows: list[dict]) -> str:
    lines = [f"Reliability suite ({head['form']} form), {head['run_at']}, "
             f"{head['machine']}: {head['passed']}/{head['cases_tried']} passed "
             f"({head['known_gaps']} known gap), lost {head['lost']}, "
             f"{head['wall_seconds']:.0f} s.", "",
             "| case | kind | result | lost | s | detail |", "|---|---|---|---|---|---|"]
    for row in sorted(rows, key=lambda r: (r["kind"], r["case"])):
        lost = "-" if row["lost"] is None else str(row["lost"])
        detail = row["detail"].replace("|", "/")
        lines.append(f"| {row['case']} | {row['kind']} | {row['result']} | {lost} | "
                     f"{row['seconds']:.1f} | {detail} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="include the slow cases")
    args, extra = parser.parse_known_args(argv)
    form = "full" if args.full else "reduced"
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as scratch:
        junit = os.path.join(scratch, "reliability.xml")
        code = run_suite(args.full, junit, extra)
        rows = cases(junit) if os.path.exists(junit) else []
    head = summary(rows, form, time.monotonic() - started)
    os.makedirs(RESULTS, exist_ok=True)
    # The full form is the published result; the reduced (CI) form never overwrites it.
    stem = os.path.join(RESULTS, "reliability" if args.full else "reliability-reduced")
    with open(f"{stem}.json", "w") as out:
        json.dump({**head, "cases": rows}, out, indent=2)
    table = markdown(head, rows)
    with open(f"{stem}.md", "w") as out:
        out.write(table)
    print(table)
    return code or (1 if head["lost"] else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
