"""Registry and lineage query speed on synthetic stores of 1k, 10k and 100k runs, on SQLite and
on MariaDB: in-process and `ledger trace MODEL@production` as a whole process.

    python -m benchmarks.bench_lineage [--runs 1000 10000 100000] [--backend sqlite mariadb]
        [--keep benchmarks/results/lineage] [--mariadb-port 33061]

Stores are generated once into --keep (git-ignored) and reused. Targets at 100,000 runs: see
TARGETS. The whole-process figure is taken with Python's bytecode cache, as an installed CLI has.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

from benchmarks.lineage_stores import MODELS, mariadb_store, sqlite_store
from pipeline.lineage import Lineage
from pipeline.registry import Registry

TARGETS = {"production_trace_ms": 25.0, "as_of_ms": 50.0, "versions_page_ms": 50.0,
           "ledger_trace_production_s": 0.6, "verify_incremental_s": 1.0}
SAMPLES, PROCESS_SAMPLES, APPENDED = 20, 5, 10
FULL_VERIFY_UP_TO = 10000  # a full verify of 100k runs (390k records) takes many minutes
LEDGER = os.path.join(os.path.dirname(sys.executable), "ledger")


def _stats(samples: list[float], scale: float = 1000.0) -> dict:
    ordered = sorted(samples)
    return {"median": round(statistics.median(ordered) * scale, 2),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))] * scale, 2)}


def _timed(function, *args, **kwargs) -> float:
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


def _in_process(spec, runs: int, rng: random.Random) -> dict:
    lineage = Lineage.open(spec)
    # model-009 gets runs 9, 19, ...: every tenth run is rejected, so it never deploys.
    models = [f"model-{rng.randrange(MODELS - 1):03d}" for _ in range(SAMPLES)]
    numbered = [f"{m}@{rng.randint(1, runs // MODELS)}" for m in models]
    moments = [f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T12:00:00Z"
               for _ in range(SAMPLES)]
    lineage.trace(numbered[0])  # the first query pays the page-cache warm-up
    prod = [f"{m}@production" for m in models]
    return {
        "resolve_production_ms": _stats([_timed(lineage.registry.resolve, t) for t in prod]),
        "production_trace_ms": _stats([_timed(lineage.trace, t) for t in prod]),
        "trace_ms": _stats([_timed(lineage.trace, t) for t in numbered]),
        "as_of_ms": _stats([_timed(lineage.as_of, m, t)
                            for m, t in zip(models, moments, strict=True)]),
        "versions_page_ms": _stats([_timed(lineage.registry.versions_page, m) for m in models]),
        "history_version_ms": _stats([_timed(lineage.registry.history, *t.split("@"))
                                      for t in numbered]),
    }


def _whole_process(spec) -> dict:
    # The session may forbid writing .pyc files; an installed CLI has them, so allow it here.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [LEDGER, "trace", "model-001@production", "--metadata", json.dumps(spec)
               if isinstance(spec, dict) else spec]
    subprocess.run(command, check=True, capture_output=True, env=env, timeout=120)  # warm-up
    return {"ledger_trace_production_s": _stats(
        [_timed(subprocess.run, command, check=True, capture_output=True, env=env, timeout=120)
         for _ in range(PROCESS_SAMPLES)], scale=1.0)}


def _verify(spec, directory: str, name: str, runs: int) -> dict:
    """Incremental verify of APPENDED new records since a checkpoint kept in `directory`."""
    from pipeline.registry import checkpoint

    registry, path = Registry.open(spec), os.path.join(directory, f"{name}.checkpoint.json")
    result = {}
    if not os.path.exists(path) and runs <= FULL_VERIFY_UP_TO:
        started = time.perf_counter()
        checkpoint.write(path, registry.checkpoint())
        result["verify_full_s"] = round(time.perf_counter() - started, 2)
    elif not os.path.exists(path):  # a full verify takes minutes here; start from the head
        checkpoint.write(path, checkpoint.current(registry.store, "bench"))
    since = checkpoint.read(checkpoint.write(path, registry.checkpoint(checkpoint.read(path))))
    for version in _deployed_but_not_production(registry, APPENDED):
        registry.deprecate(*version, actor="bench", reason="bench: records since checkpoint")
    samples = [_timed(registry.verify, since) for _ in range(3)]
    report = registry.verify(since)
    assert report.ok and report.records_checked >= 1, report.problems
    result.update(verify_incremental_s=_stats(samples, scale=1.0),
                  verify_incremental_records=report.records_checked)
    return result


def _deployed_but_not_production(registry, count: int) -> list[tuple[str, int]]:
    found = []
    for summary in registry.models():
        for info in registry.versions_page(summary.name, limit=50):
            if info.stage == "deployed" and info.version != summary.production_version:
                found.append((summary.name, info.version))
                break
    return (found * count)[:count] if len(found) >= count else found


def bench(spec, made: dict, runs: int, directory: str, rng: random.Random) -> dict:
    result = dict(made, runs=runs)
    result.update(_in_process(spec, runs, rng))
    result.update(_whole_process(spec))
    result.update(_verify(spec, directory, f"{made['backend']}-{runs}", runs))
    result["meets_targets"] = {k: _value(result[k]) <= v for k, v in TARGETS.items()}
    return result


def _value(figure) -> float:
    return figure["p95"] if isinstance(figure, dict) else figure


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--backend", nargs="+", choices=["sqlite", "mariadb"],
                        default=["sqlite", "mariadb"])
    parser.add_argument("--keep", default=os.path.join("benchmarks", "results", "lineage"))
    parser.add_argument("--mariadb-port", type=int, default=33061)
    args = parser.parse_args(argv)
    os.makedirs(args.keep, exist_ok=True)
    rng, results, server = random.Random(7), [], None
    if "mariadb" in args.backend:
        from tests.support.mariadb import MariaDB  # the test suite's server, data dir kept

        server = MariaDB(os.path.abspath(os.path.join(args.keep, "mariadb")),
                         port=args.mariadb_port).start()
    try:
        for runs in sorted(args.runs):
            for backend in args.backend:
                spec, made = (sqlite_store(args.keep, runs) if backend == "sqlite"
                              else mariadb_store(server, args.keep, runs))
                results.append(bench(spec, made, runs, args.keep, rng))
                print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    finally:
        if server is not None:
            server.stop()
    print(json.dumps({"targets_at_100k": TARGETS, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
