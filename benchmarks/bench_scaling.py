"""Data scaling: 10k, 100k, 1M synthetic rows through ExampleGen -> statistics -> DataLineage,
each size in its own process (so peak memory is that size's).

python -m benchmarks.bench_scaling [--sizes 10000,100000,1000000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile


def run_size(rows: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="ledger-scaling-") as workdir:
        done = subprocess.run([sys.executable, "-m", "benchmarks.scaling", str(rows), workdir],
                              capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"{rows} rows failed:\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH "))
    return json.loads(line[len("BENCH "):])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    results = []
    for rows in (int(size) for size in args.sizes.split(",")):
        results.append(run_size(rows))
        print(json.dumps(results[-1]), flush=True)
    largest, previous = results[-1], results[-2] if len(results) > 1 else results[-1]
    summary = {"per_row_ratio_largest_vs_previous":
               round(largest["us_per_row"] / previous["us_per_row"], 3),
               "peak_rss_ratio_largest_vs_smallest":
               round(largest["peak_rss_mb"] / results[0]["peak_rss_mb"], 3)}
    print(json.dumps({"sizes": results, "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
