"""`ledger ui` page speed on a synthetic store: server time of the model page (and others).

    python -m benchmarks.bench_ui [--runs 1000] [--store PATH] [--samples 20]

Target: the model page of a store with 1,000 runs in <= 300 ms server time (the app's own
Server-Timing, from request to response start), read from the real server over HTTP. The CPU
time the server thread spent is reported next to it: on a shared, busy machine the wall time
grows with the load, the CPU time much less.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchmarks.make_synthetic_store import build
from pipeline.metadata import open_store, sqlite_spec

MODEL_PAGE_TARGET_MS = 300.0
MODELS = 10
LEDGER = os.path.join(os.path.dirname(sys.executable), "ledger")
TIMING = re.compile(r"app;dur=([0-9.]+), cpu;dur=([0-9.]+)")


def _server_ms(url: str) -> tuple[float, float]:
    """(wall, CPU) milliseconds the server spent on `url`, from its Server-Timing header."""
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
        wall, cpu = TIMING.search(response.headers["Server-Timing"]).groups()
        return float(wall), float(cpu)


def _summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median": round(statistics.median(ordered), 1),
            "p90": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
            "max": round(ordered[-1], 1)}


def _start(home: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([LEDGER, "--home", home, "ui", "--port", "0"], text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    line = process.stdout.readline()
    found = re.search(r"http://\S+/", line)
    if not found:
        process.kill()
        raise SystemExit(f"ledger ui did not start: {line}")
    return process, found.group(0)


def measure(home: str, runs: int, samples: int) -> dict:
    process, url = _start(home)
    try:
        versions = runs // MODELS
        pages = {
            "model_page_ms": f"{url}models/model-003",
            "version_page_ms": f"{url}models/model-003/versions/{versions // 2}",
            "models_page_ms": url,
        }
        results = {}
        for name, page in pages.items():
            _server_ms(page)  # first request warms SQLite's page cache; not counted
            timed = [_server_ms(page) for _ in range(samples)]
            results[name] = {"server": _summary([wall for wall, _ in timed]),
                             "cpu": _summary([cpu for _, cpu in timed])}
        return results
    finally:
        process.terminate()
        process.wait(timeout=10)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--store", help="An existing synthetic store of --runs runs to copy.")
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args(argv)
    home = tempfile.mkdtemp(prefix="bench-ui-")
    try:
        path = os.path.join(home, "metadata.sqlite")
        started = time.monotonic()
        if args.store:
            shutil.copyfile(args.store, path)
        else:
            build(open_store(sqlite_spec(path)), args.runs, MODELS, 5, "/synthetic")
        generated_s = round(time.monotonic() - started, 1)
        results = measure(home, args.runs, args.samples)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    model = results["model_page_ms"]["server"]["median"]
    print(json.dumps({"runs": args.runs, "store_ready_s": generated_s, **results,
                      "model_page_target_ms": MODEL_PAGE_TARGET_MS,
                      "within_target": model <= MODEL_PAGE_TARGET_MS,
                      "load_average": os.getloadavg()}, indent=2))
    return 0 if model <= MODEL_PAGE_TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
