"""Our full pipeline against TFX's penguin example, alternating, cold and cached, as whole
processes and inside the runner. `python -m benchmarks.bench_pipeline [--rounds N]`."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _timed_run(which: str, home: str) -> dict:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "benchmarks.pipelines", which, home],
                          capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"{which} run failed:\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH "))
    return {"process_s": round(wall, 2), **json.loads(line[len("BENCH "):])}


def measure(rounds: int, reference: str = "reference") -> list[dict]:
    """Each round: ours cold, reference cold, ours cached, reference cached (order alternates)."""
    samples = []
    for number in range(rounds):
        order = ("ours", reference) if number % 2 == 0 else (reference, "ours")
        with tempfile.TemporaryDirectory(prefix="ledger-bench-") as scratch:
            for state in ("cold", "cached"):
                for which in order:
                    run = _timed_run(which, os.path.join(scratch, which))
                    run["pipeline"] = "ours" if which == "ours" else "reference"
                    samples.append({"round": number, "state": state,
                                    "reference_variant": reference, **run})
                    print(json.dumps(samples[-1]), flush=True)
    return samples


def summarize(samples: list[dict]) -> dict:
    summary = {}
    for state in ("cold", "cached"):
        row = {}
        for which in ("ours", "reference"):
            picked = [s for s in samples if s["state"] == state and s["pipeline"] == which]
            row[which] = {key: round(statistics.median(s[key] for s in picked), 2)
                          for key in ("process_s", "in_runner_s")}
        row["ratio_process"] = round(row["ours"]["process_s"] / row["reference"]["process_s"], 3)
        row["ratio_in_runner"] = round(
            row["ours"]["in_runner_s"] / row["reference"]["in_runner_s"], 3)
        summary[state] = row
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--reference-beam", choices=("same", "as-shipped"), default="same",
                        help="same: the reference runs with our DirectRunner settings; "
                             "as-shipped: with the example's own (multi-processing)")
    args = parser.parse_args()
    samples = measure(args.rounds, "reference" if args.reference_beam == "same"
                      else "reference-as-shipped")
    print(json.dumps({"samples": samples, "summary": summarize(samples)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
