"""The compiled spec run by the KFP v2 protocol (`ledger kfp-run`) beside a local run, per task.

`python -m benchmarks.bench_kubeflow [--parallel N] [--skip-local]`: starts its own MariaDB (as
the tests do), compiles, runs the spec once in Vertex mode and the local pipeline once, each in
a fresh home, and prints per task: process start to executor start (TFX import and set-up),
executor work, and the local run's time for the same component.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from pipeline.paths import PROJECT_ROOT

# absl's log prefix: I1130 08:00:41.123456 ... ] Starting executor
_EXECUTOR_START = re.compile(r"^[IWE](\d{4}) (\d\d:\d\d:\d\d\.\d+) .*\] Starting executor", re.M)


def executor_started(log_path: str, process_started: float) -> float | None:
    """When TFX's entrypoint called Executor.Do, from its log (absl stamps local time)."""
    with open(log_path, encoding="utf-8", errors="replace") as handle:
        found = _EXECUTOR_START.search(handle.read())
    if not found:
        return None
    day = datetime.datetime.fromtimestamp(process_started)
    stamp = datetime.datetime.strptime(f"{day.year}{found[1]} {found[2]}", "%Y%m%d %H:%M:%S.%f")
    return stamp.timestamp()


def kfp_task_times(result) -> dict:
    """Task -> import (process start to executor start), work, and hook seconds."""
    rows = {}
    for name, task in result.results.items():
        row = {"state": task.state, "task_s": round(task.ended - task.started, 2)}
        for launch in task.launches:
            if launch.phase == "preCacheCheck":
                row["hook_s"] = round(launch.ended - launch.started, 2)
                continue
            began = executor_started(launch.log_path, launch.started)
            if began:
                row["import_s"] = round(began - launch.started, 2)
                row["work_s"] = round(launch.ended - began, 2)
        rows[name] = row
    return rows


def run_kfp(scratch: str, parallel: int) -> dict:
    from kubeflow.local_backend import runner, spec
    from tests.support.mariadb import MariaDB

    server = MariaDB(os.path.join(scratch, "mariadb")).start()
    try:
        metadata = server.create_database("bench")
        config = os.path.join(scratch, "mysql.json")
        with open(config, "w") as handle:
            json.dump(metadata["mysql"], handle)
        subprocess.run([sys.executable, "-m", "kubeflow.compile", "--output-dir", scratch,
                        "--metadata-mysql-config", config, "--serving-root",
                        os.path.join(scratch, "serving"), "--data-root",
                        os.path.join(PROJECT_ROOT, "data", "penguins")],
                       check=True, capture_output=True, timeout=1800)
        started = time.monotonic()
        result = runner.run_pipeline(spec.load(os.path.join(scratch, "pipeline.yaml")),
                                     runner.RunOptions(os.path.join(scratch, "root"), metadata,
                                                       parallel=parallel))
        wall = time.monotonic() - started
        if result.failure:
            raise result.failure
        return {"wall_s": round(wall, 1), "tasks": kfp_task_times(result)}
    finally:
        server.stop()


def recorded_run(metadata: dict, run_id: str) -> dict:
    """Per-task figures of a finished `ledger kfp-run` from its MLMD records and task logs."""
    from pipeline.metadata import open_store

    store = open_store(metadata)
    context = store.get_context_by_type_and_name("system.PipelineRun", run_id)
    root = os.path.join(context.custom_properties["pipeline_root"].string_value,
                        context.custom_properties["pipeline_name"].string_value, run_id)
    rows, first, last = {}, float("inf"), 0.0
    latest = {}  # a retried task: its last attempt (the one its log belongs to)
    for execution in sorted(store.get_executions_by_context(context.id), key=lambda e: e.id):
        latest[execution.custom_properties["task_name"].string_value] = execution
    for execution in latest.values():
        facts = {k: v.string_value for k, v in execution.custom_properties.items()}
        task, began, ended = facts["task_name"], float(facts["started_at"]), float(
            facts.get("ended_at") or 0)
        first, last = min(first, began), max(last, ended)
        row = {"task_s": round(ended - began, 2)}
        # started_at is stamped after any preCacheCheck hook, just before the executor process.
        log = os.path.join(root, task, "executor.log")
        executor_began = executor_started(log, began) if os.path.exists(log) else None
        if executor_began:
            row.update(import_s=round(executor_began - began, 2),
                       work_s=round(ended - executor_began, 2))
        rows[task] = row
    return {"wall_s": round(last - first, 1), "tasks": rows}


def local_times(metadata_path: str) -> dict:
    """Node id -> seconds of its execution in a local run (a fresh home: one run), from MLMD:
    each execution belongs to its node's context (`<pipeline>.<node id>`)."""
    from pipeline.metadata import open_store, sqlite_spec

    store = open_store(sqlite_spec(metadata_path))
    nodes = {}
    for context in store.get_contexts_by_type("node"):
        for execution in store.get_executions_by_context(context.id):
            nodes[context.name.split(".", 1)[1]] = round(
                (execution.last_update_time_since_epoch
                 - execution.create_time_since_epoch) / 1000, 2)
    return nodes


def local_seconds(local: dict | None, task: str):
    """The local run's seconds for a task (the two KFP resolver tasks are one local node)."""
    components = (local or {}).get("components", {})
    return components.get(task, components.get(task.split("-")[0], ""))


def run_local(scratch: str) -> dict:
    """`ledger run --force` in a fresh home; component seconds from its MLMD executions."""
    home = os.path.join(scratch, "local-home")
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "pipeline.cli", "--home", home, "run", "--force"],
                   check=True, capture_output=True, timeout=3600)
    wall = time.monotonic() - started
    return {"wall_s": round(wall, 1),
            "components": local_times(os.path.join(home, "metadata.sqlite"))}


def table(kfp: dict, local: dict | None) -> str:
    """The figures as the Kubeflow guide shows them (Markdown), whole runs last."""
    lines = ["| task | hook (s) | import (s) | executor work (s) | task (s) | local (s) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, row in kfp["tasks"].items():
        cells = [row.get(key, "") for key in ("hook_s", "import_s", "work_s", "task_s")]
        lines.append(f"| {name} | " + " | ".join(str(c) for c in cells)
                     + f" | {local_seconds(local, name)} |")
    local_wall = (local or {}).get("wall_s", "")
    lines.append(f"| whole run (wall) | | | | {kfp['wall_s']} | {local_wall} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument("--from-run", metavar="RUN_ID",
                        help="Report a finished run instead (with --metadata-mysql-config).")
    parser.add_argument("--metadata-mysql-config")
    parser.add_argument("--local-store", help="A local run's metadata.sqlite to compare with.")
    args = parser.parse_args()
    load = os.getloadavg()
    if args.from_run:
        with open(args.metadata_mysql_config) as handle:
            kfp = recorded_run({"mysql": json.load(handle)}, args.from_run)
        local = {"components": local_times(args.local_store)} if args.local_store else None
    else:
        with tempfile.TemporaryDirectory(prefix="ledger-bench-kfp-") as scratch:
            kfp = run_kfp(scratch, args.parallel)
            local = None if args.skip_local else run_local(scratch)
    print(table(kfp, local))
    print(json.dumps({"kfp": kfp, "local": local, "parallel": args.parallel,
                      "load_before": [round(x, 2) for x in load],
                      "load_after": [round(x, 2) for x in os.getloadavg()]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
