"""`make bench`: every benchmark, each in its own process; JSON per benchmark and a Markdown
summary in benchmarks/results/. Pass names to run a subset: python -m benchmarks.run_all scaling."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from pipeline.paths import PROJECT_ROOT, ledger_home

RESULTS = os.path.join(PROJECT_ROOT, "benchmarks", "results")
BENCHMARKS = {
    "pipeline": ["benchmarks.bench_pipeline", "--rounds", "2"],
    "scaling": ["benchmarks.bench_scaling"],
    "lineage": ["benchmarks.bench_lineage"],
    "infra_validator": ["benchmarks.bench_infra_validator"],
    "digest": ["benchmarks.bench_digest"],
    "predict": ["benchmarks.bench_predict"],  # needs a pushed model: `make run` first
    "serve": ["benchmarks.bench_serve"],  # the same
}


def _last_json(stdout: str) -> dict:
    """The last JSON document a benchmark printed (they print progress lines before it)."""
    start = stdout.rfind("\n{")
    return json.loads(stdout[start + 1:] if start >= 0 else stdout)


def run(name: str) -> dict:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", *BENCHMARKS[name]], capture_output=True,
                          text=True, timeout=4 * 3600, cwd=PROJECT_ROOT,
                          env={**os.environ, "LEDGER_HOME": ledger_home().home})
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    return {**_last_json(done.stdout), "bench_seconds": round(time.monotonic() - started, 1)}


def markdown(results: dict) -> str:
    lines = ["# Benchmark results", "", f"Machine: {os.cpu_count()} cores; "
             f"run at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", ""]
    for name, result in results.items():
        lines += [f"## {name}", "", "```json", json.dumps(result, indent=2), "```", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    names = argv[1:] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    os.makedirs(RESULTS, exist_ok=True)
    results = {}
    for name in names:
        print(f"running {name} ...", flush=True)
        results[name] = run(name)
        with open(os.path.join(RESULTS, f"{name}.json"), "w") as out:
            json.dump(results[name], out, indent=2)
    with open(os.path.join(RESULTS, "results.md"), "w") as out:
        out.write(markdown(results))
    print(markdown(results))
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
