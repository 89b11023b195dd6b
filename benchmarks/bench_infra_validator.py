"""Benchmark: LedgerInfraValidator on the tests' tiny model, server start to verdict, as JSON."""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # Runs as a script too, not only as `python -m benchmarks....`.
FIXTURES = os.path.join(ROOT, "tests", "components", "infra_validator", "conftest.py")


def _fixtures():
    """The test suite's model and example builders, so the benchmark measures the tested model."""
    spec = importlib.util.spec_from_file_location("iv_fixtures", FIXTURES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--num_requests", type=int, default=20)
    args = parser.parse_args(argv)
    from components.infra_validator import validation

    fixtures = _fixtures()
    with tempfile.TemporaryDirectory(prefix="bench_iv_") as work:
        model = fixtures.save_example_model(os.path.join(work, "model", "Format-Serving"))
        examples = fixtures.write_examples(os.path.join(work, "examples"))
        settings = validation.ValidationSettings(num_requests=args.num_requests)
        runs = []
        for _ in range(args.runs):
            started = time.perf_counter()
            verdict = validation.validate(
                model, os.path.join(examples, "Split-eval", "*.gz"), settings)
            runs.append({
                "start_to_verdict_s": round(time.perf_counter() - started, 3),
                "blessed": verdict.blessed, "reason": verdict.reason,
                "requests_sent": verdict.requests_sent,
                "load_time_s": round(verdict.load_time_s, 3),
                "latency_p50_ms": round(verdict.latency_p50_ms, 3),
                "latency_p99_ms": round(verdict.latency_p99_ms, 3),
                "peak_rss_mb": round(verdict.peak_rss_mb, 1),
            })
    totals = sorted(r["start_to_verdict_s"] for r in runs)
    result = {"benchmark": "infra_validator", "cpus": os.cpu_count(),
              "load_average_1m": round(os.getloadavg()[0], 2),
              "median_start_to_verdict_s": totals[len(totals) // 2], "runs": runs}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
