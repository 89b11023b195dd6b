"""Data scaling: 10k, 100k, 1M synthetic rows through ExampleGen -> statistics -> DataLineage,
each size in its own process (so peak memory is that size's). Writes results/scaling.{json,md}.

python -m benchmarks.bench_scaling [--sizes 10000,100000,1000000]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from pipeline.paths import PROJECT_ROOT

RESULTS = os.path.join(PROJECT_ROOT, "benchmarks", "results")
PER_ROW_TARGET = 1.5  # per-row cost at the largest size / at the previous size
# Flat memory: going from the previous size to the largest (10x the rows), the peak above the
# import baseline may grow by at most this much. Anything that holds the data grows far more.
FLAT_GROWTH_MB = 50


def run_size(rows: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="ledger-scaling-") as workdir:
        done = subprocess.run([sys.executable, "-m", "benchmarks.scaling", str(rows), workdir],
                              capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"{rows} rows failed:\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH "))
    return json.loads(line[len("BENCH "):])


def summarize(results: list[dict]) -> dict:
    largest, previous = results[-1], results[-2] if len(results) > 1 else results[-1]
    per_row = largest["us_per_row"] / previous["us_per_row"]
    growth = largest["above_baseline_mb"] - previous["above_baseline_mb"]
    return {
        "compared": f"{largest['rows']:,} vs {previous['rows']:,} rows",
        "per_row_ratio": round(per_row, 3), "per_row_target": PER_ROW_TARGET,
        "per_row_met": per_row <= PER_ROW_TARGET,
        "peak_rss_ratio": round(largest["peak_rss_mb"] / previous["peak_rss_mb"], 3),
        "above_baseline_growth_mb": growth, "flat_growth_limit_mb": FLAT_GROWTH_MB,
        "memory_flat_met": growth <= FLAT_GROWTH_MB,
    }


def markdown(results: list[dict], summary: dict) -> str:
    lines = [f"Data scaling, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
             f"{os.cpu_count()} cores, `python -m benchmarks.bench_scaling`.", "",
             "| rows | in runner | rows/s | µs per row | baseline RSS | peak RSS | above baseline "
             "| peak per component (MB) |", "|---|---|---|---|---|---|---|---|"]
    for r in results:
        nodes = ", ".join(f"{node} {mb}" for node, mb in r["component_peak_rss_mb"].items())
        lines.append(f"| {r['rows']:,} | {r['in_runner_s']} s | {r['rows_per_s']:,} | "
                     f"{r['us_per_row']} | {r['baseline_rss_mb']} MB | {r['peak_rss_mb']} MB | "
                     f"{r['above_baseline_mb']} MB | {nodes} |")
    met = {True: "met", False: "**not met**"}
    lines += ["", f"Per-row cost, {summary['compared']}: {summary['per_row_ratio']}× "
              f"(target ≤ {PER_ROW_TARGET}×: {met[summary['per_row_met']]}).",
              f"Peak memory, {summary['compared']}: {summary['peak_rss_ratio']}× the whole "
              f"process; the part above the baseline grew {summary['above_baseline_growth_mb']} MB "
              f"(flat means ≤ {FLAT_GROWTH_MB} MB: {met[summary['memory_flat_met']]}).",
              "Baseline: RSS after importing TensorFlow/TFX, before the run; the peak is the "
              "kernel's high-water mark (VmHWM), reset at each component.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    results = []
    for rows in (int(size) for size in args.sizes.split(",")):
        results.append(run_size(rows))
        print(json.dumps(results[-1]), flush=True)
    document = {"sizes": results, "summary": summarize(results)}
    table = markdown(results, document["summary"])
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "scaling.json"), "w") as out:
        json.dump(document, out, indent=2)
    with open(os.path.join(RESULTS, "scaling.md"), "w") as out:
        out.write(table)
    print(table)
    # Last, as one document: benchmarks.run_all reads the final JSON a benchmark prints.
    print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
