"""Registry and lineage query speed on synthetic stores of 1k, 10k and 100k runs, on SQLite and
on MariaDB: in-process and `ledger trace MODEL@production` as a whole process.

    python -m benchmarks.bench_lineage [--runs 1000 10000 100000] [--backend sqlite mariadb]
        [--keep benchmarks/results/lineage] [--mariadb-port 33061]

Stores are generated once into --keep (git-ignored) and reused; MariaDB's larger ones are bulk
copies of the SQLite stores (lineage_stores.py). Prints the JSON results, then per back end a
table of every figure per size with PASS/FAIL against TARGETS (issue 19, on the median), CPU
times and the load average (lineage_report.py). The whole-process figure is taken with Python's
bytecode cache, as an installed CLI has.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time

from benchmarks.lineage_report import load, print_report
from benchmarks.lineage_stores import MODELS, mariadb_store, sqlite_store
from pipeline.lineage import Lineage
from pipeline.registry import Registry, chain, fallback, heads, stages

TARGETS = {"production_trace_ms": 25.0, "as_of_ms": 50.0, "versions_page_ms": 50.0,
           "ledger_trace_production_s": 0.6, "verify_incremental_s": 1.0}
SAMPLES, PROCESS_SAMPLES, APPENDED = 20, 5, 10
FULL_VERIFY_UP_TO = 10000  # a full verify of 100k runs (390k records) takes many minutes
# The bulk load of 27 million rows and the reads of a 100k-run store want the working set in
# memory; the test suite's 64 MB buffer pool made the load thrash for hours.
SERVER_OPTIONS = ("--innodb-buffer-pool-size=2G", "--innodb-flush-log-at-trx-commit=2",
                  "--innodb-log-file-size=512M")
LEDGER = os.path.join(os.path.dirname(sys.executable), "ledger")


def _stats(samples: list[float], scale: float = 1000.0) -> dict:
    ordered = sorted(samples)
    return {"median": round(statistics.median(ordered) * scale, 2),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))] * scale, 2)}


def _timed(function, *args, **kwargs) -> float:
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


def _cpu_timed(function, *args) -> tuple[float, float]:
    """(wall, CPU) seconds of one call; CPU is what a loaded machine inflates least."""
    wall, cpu = time.perf_counter(), time.process_time()
    function(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def _child_timed(command, env) -> tuple[float, float]:
    """(wall, user + system CPU) seconds of one whole process."""
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, timeout=120)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def _queries(lineage, runs: int, rng: random.Random) -> dict:
    """One sample of every in-process query on one store: name -> (function, arguments)."""
    # model-009 gets runs 9, 19, ...: every tenth run is rejected, so it never deploys.
    model = f"model-{rng.randrange(MODELS - 1):03d}"
    number = str(rng.randint(1, runs // MODELS))
    moment = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T12:00:00Z"
    return {
        "resolve_production_ms": (lineage.registry.resolve, (f"{model}@production",)),
        "production_trace_ms": (lineage.trace, (f"{model}@production",)),
        "trace_ms": (lineage.trace, (f"{model}@{number}",)),
        "as_of_ms": (lineage.as_of, (model, moment)),
        "versions_page_ms": (lineage.registry.versions_page, (model,)),
        "history_version_ms": (lineage.registry.history, (model, number)),
        "rollback_fallback_production_ms": (_fallback, (lineage.store, model, "production")),
        "rollback_fallback_approved_ms": (_fallback, (lineage.store, model, "latest_approved")),
    }


def _fallback(store, model: str, alias: str) -> int:
    """What an append that retires the holder of `alias` reads to find the next one (the head,
    then records or versions newest first), the holder taken as already retired; no target."""
    head = heads.read(store, model)
    if alias == "production":
        return fallback.production(store, model, {head.production: stages.ROLLED_BACK}, [],
                                   head.records)
    return fallback.latest_approved(store, model, head.latest_approved,
                                    {head.latest_approved: stages.DEPRECATED})


def in_process(stores: list[tuple[dict, object]], rng: random.Random) -> None:
    """Time every query on every store, interleaved round by round so that the machine's load
    falls on all sizes alike; adds the medians and p95s to each store's result."""
    opened = [(result, Lineage.open(spec)) for result, spec in stores]
    samples = [{} for _ in opened]
    for round_ in range(SAMPLES + 1):
        for (result, lineage), times in zip(opened, samples, strict=True):
            for name, (function, args) in _queries(lineage, result["runs"], rng).items():
                wall, cpu = _cpu_timed(function, *args)
                if round_:  # the first round pays the page-cache warm-up
                    times.setdefault(name, []).append(wall)
                    times.setdefault(f"{name}_cpu", []).append(cpu)
    for (result, _), times in zip(opened, samples, strict=True):
        result.update({name: _stats(values) for name, values in times.items()})


def _whole_process(spec) -> dict:
    # The session may forbid writing .pyc files; an installed CLI has them, so allow it here.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [LEDGER, "--metadata", json.dumps(spec) if isinstance(spec, dict) else spec,
               "trace", "model-001@production"]
    subprocess.run(command, check=True, capture_output=True, env=env, timeout=120)  # warm-up
    samples = [_child_timed(command, env) for _ in range(PROCESS_SAMPLES)]
    return {"ledger_trace_production_s": _stats([wall for wall, _ in samples], scale=1.0),
            "ledger_trace_production_s_cpu": _stats([cpu for _, cpu in samples], scale=1.0)}


def _checkpoint_before(registry, count: int):
    """The checkpoint the log had `count` records ago, rebuilt from the records since: each
    record's embedded head names the model's previous record. (Appending new records here would
    date them today, before the synthetic log's last dates, which verify rightly flags.)"""
    from pipeline.registry import checkpoint, heads, log, schema

    last = schema.prop(log.read_anchor(registry.store), "head_seq", 0)
    found = {h.model_name: h.seq for h in heads.read_all(registry.store)}
    decoded = [chain.from_execution(registry.store.get_execution_by_type_and_name(
        schema.STAGE_TRANSITION, chain.execution_name(seq)))
        for seq in range(last - count + 1, last + 1)]
    for record in reversed(decoded):
        found[record.model_name] = heads.parse_state(record.model_head)["prev"]
    return checkpoint.Checkpoint(last - count, decoded[0].prev_hash, found, "bench")


def _verify(spec, runs: int) -> dict:
    """Incremental verify of the log's last APPENDED records; a full verify up to 10k runs."""
    registry, result = Registry.open(spec), {}
    if runs <= FULL_VERIFY_UP_TO:
        result["verify_full_s"] = round(_timed(registry.verify), 2)
    since = _checkpoint_before(registry, APPENDED)
    samples = [_timed(registry.verify, since) for _ in range(5)]
    report = registry.verify(since)
    assert report.ok and report.records_checked == APPENDED, report.problems
    result.update(verify_incremental_s=_stats(samples, scale=1.0),
                  verify_incremental_records=report.records_checked)
    return result


def per_store(spec, result: dict) -> None:
    """The whole-process and verify figures of one store, then its verdicts (on the median)."""
    result["load_process"] = load()
    result.update(_whole_process(spec))
    result.update(_verify(spec, result["runs"]))
    result["meets_targets"] = {k: result[k]["median"] <= v for k, v in TARGETS.items()}


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
                         port=args.mariadb_port, options=SERVER_OPTIONS).start()
    try:
        stores = []
        for runs in sorted(args.runs):
            for backend in args.backend:
                spec, made = (sqlite_store(args.keep, runs) if backend == "sqlite"
                              else mariadb_store(server, args.keep, runs))
                stores.append((dict(made, runs=runs), spec))
        load_before = load()
        in_process(stores, rng)
        for result, _ in stores:
            result["load_in_process"] = f"{load_before} -> {load()}"
        for result, spec in stores:
            per_store(spec, result)
            results.append(result)
            print(json.dumps(result), file=sys.stderr, flush=True)
    finally:
        if server is not None:
            server.stop()
    print(json.dumps({"targets_at_100k": TARGETS, "results": results}, indent=2))
    print_report(results, TARGETS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
