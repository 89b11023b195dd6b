"""Lineage query speed on synthetic stores of 1,000 and 10,000 runs: in-process and `ledger trace`.

    python -m benchmarks.bench_lineage [--runs 1000 10000] [--max-generate-s 300]

Targets: an upstream trace in-process <= 50 ms; `ledger trace` as a whole process <= 2 s.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.make_synthetic_store import build
from pipeline.lineage import Lineage
from pipeline.metadata import open_store, sqlite_spec

TRACE_TARGET_MS, PROCESS_TARGET_S = 50.0, 2.0
MODELS, SAMPLES, PROCESS_SAMPLES = 10, 30, 5
# The `ledger` console script installed next to this interpreter.
LEDGER = os.path.join(os.path.dirname(sys.executable), "ledger")


def _ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median": round(statistics.median(ordered) * 1000, 2),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
            "max": round(ordered[-1] * 1000, 2)}


def _timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def _targets(runs: int, rng: random.Random) -> list[str]:
    versions_per_model = runs // MODELS
    return [f"model-{rng.randrange(MODELS):03d}@{rng.randint(1, versions_per_model)}"
            for _ in range(SAMPLES)]


def _in_process(spec: str, targets: list[str]) -> dict:
    lineage = Lineage.open(spec)
    lineage.trace(targets[0])  # first query pays SQLite page-cache warm-up; reported apart
    traces = [_timed(lineage.trace, t) for t in targets]
    resolved = [lineage.resolve_trace_target(t) for t in targets]
    dsv = [lineage.trace(t).data.dataset_version_id for t in targets[:5]]
    return {
        "trace_ms": _ms(traces),
        # The same traces minus the registry's MODEL@VERSION resolution.
        "trace_version_ms": _ms([_timed(lineage.trace_version, v) for v in resolved]),
        "trace_production_alias_ms": _ms([_timed(lineage.trace, "model-001@production")
                                          for _ in range(5)]),
        "impact_dataset_ms": _ms([_timed(lineage.impact, d) for d in dsv]),
        "as_of_ms": _ms([_timed(lineage.as_of, "model-002", "2026-03-01T00:00:00Z")
                         for _ in range(5)]),
    }


def _whole_process(spec: str, targets: list[str]) -> dict:
    seconds = []
    for target in targets[:PROCESS_SAMPLES]:
        command = [LEDGER, "trace", target, "--metadata", spec]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)
        seconds.append(time.perf_counter() - started)
    return {"ledger_trace_s": {k: round(v / 1000, 3) for k, v in _ms(seconds).items()}}


def _generate(path: str, runs: int, reuse: bool) -> float | None:
    """Seconds to write the store, or None when an existing one is reused."""
    if reuse and os.path.exists(path):
        return None
    if os.path.exists(path):
        os.remove(path)  # a store from an earlier run would double every model
    started = time.perf_counter()
    build(open_store(sqlite_spec(path)), runs, MODELS, 5, "/synthetic")
    return time.perf_counter() - started


def bench(runs: int, directory: str, rng: random.Random, reuse: bool = False) -> dict:
    """Generate (or reuse) a store of `runs` runs, then time the queries on it."""
    path = os.path.join(directory, f"synthetic-{runs}.sqlite")
    generate_s = _generate(path, runs, reuse)
    spec, targets = sqlite_spec(path), _targets(runs, rng)
    result = {"runs": runs, "store_mb": round(os.path.getsize(path) / 2**20, 1)}
    if generate_s is not None:
        result.update(generate_s=round(generate_s, 1),
                      generate_runs_per_s=round(runs / generate_s, 1))
    result.update(_in_process(spec, targets))
    result.update(_whole_process(spec, targets))
    result["meets_targets"] = (result["trace_ms"]["p95"] <= TRACE_TARGET_MS
                               and result["ledger_trace_s"]["max"] <= PROCESS_TARGET_S)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--max-generate-s", type=float, default=300.0,
                        help="Skip a size whose store would take longer to generate than this.")
    parser.add_argument("--keep", default=None, help="Directory to keep the stores in.")
    parser.add_argument("--reuse", action="store_true",
                        help="Time stores already in --keep instead of generating them.")
    args = parser.parse_args(argv)
    directory = args.keep or tempfile.mkdtemp(prefix="bench-lineage-")
    os.makedirs(directory, exist_ok=True)
    rng, results, rate = random.Random(7), [], None
    for runs in sorted(args.runs):
        stored = os.path.exists(os.path.join(directory, f"synthetic-{runs}.sqlite"))
        if rate and runs / rate > args.max_generate_s and not (args.reuse and stored):
            results.append({"runs": runs, "skipped": f"generation would take about "
                            f"{runs / rate:.0f} s at {rate:.0f} runs/s"})
            continue
        results.append(bench(runs, directory, rng, args.reuse))
        rate = results[-1].get("generate_runs_per_s", rate)
    print(json.dumps({"targets": {"trace_ms_p95": TRACE_TARGET_MS,
                                  "ledger_trace_s": PROCESS_TARGET_S},
                      "results": results}, indent=2))
    return 0 if all(r.get("meets_targets", True) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
