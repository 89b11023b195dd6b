"""Benchmark: LedgerInfraValidator server start to verdict, as JSON.

python -m benchmarks.bench_infra_validator            the penguin model of $LEDGER_HOME
                                                       (`make run` first), its eval split
python -m benchmarks.bench_infra_validator --model test   the tests' tiny linear model
"""
from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import statistics
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


def _penguin_model(home: str, model_name: str) -> tuple[str, str]:
    """(newest pushed SavedModel, eval-split pattern of the newest ingested examples)."""
    model_root = os.path.join(home, "serving", model_name)
    versions = sorted((int(v) for v in os.listdir(model_root) if v.isdigit()), reverse=True) \
        if os.path.isdir(model_root) else []
    splits = sorted(glob.glob(os.path.join(
        home, "pipelines", f"ledger-{model_name}", "TypedCsvExampleGen", "examples", "*",
        "Split-eval")), key=lambda p: int(p.split(os.sep)[-2]))
    if not versions or not splits:
        raise SystemExit(f"no pushed {model_name} model or examples under {home}: "
                         "run `make run` first, or pass --model test")
    return os.path.join(model_root, str(versions[0])), os.path.join(splits[-1], "*.gz")


def _one(validation, model: str, pattern: str, settings) -> dict:
    started = time.perf_counter()
    verdict = validation.validate(model, pattern, settings)
    return {
        "start_to_verdict_s": round(time.perf_counter() - started, 3),
        "blessed": verdict.blessed, "reason": verdict.reason,
        "requests_sent": verdict.requests_sent,
        "load_time_s": round(verdict.load_time_s, 3),
        "latency_p50_ms": round(verdict.latency_p50_ms, 3),
        "latency_p99_ms": round(verdict.latency_p99_ms, 3),
        "peak_rss_mb": round(verdict.peak_rss_mb, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=("penguins", "test"), default="penguins")
    parser.add_argument("--home", default=os.environ.get("LEDGER_HOME",
                                                         os.path.join(ROOT, ".ledger")))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--num_requests", type=int, default=20)
    parser.add_argument("--target_s", type=float, default=15.0)
    args = parser.parse_args(argv)
    from components.infra_validator import validation  # Imports TensorFlow, as the executor.

    settings = validation.ValidationSettings(num_requests=args.num_requests)
    with tempfile.TemporaryDirectory(prefix="bench_iv_") as work:
        if args.model == "test":
            fixtures = _fixtures()
            model = fixtures.save_example_model(os.path.join(work, "model", "Format-Serving"))
            pattern = os.path.join(fixtures.write_examples(os.path.join(work, "examples")),
                                   "Split-eval", "*.gz")
        else:
            model, pattern = _penguin_model(args.home, args.model)
        runs = [_one(validation, model, pattern, settings) for _ in range(args.runs)]
    median = statistics.median(r["start_to_verdict_s"] for r in runs)
    result = {"benchmark": "infra_validator", "model": args.model, "model_path": model,
              "cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2),
              "median_start_to_verdict_s": median, "target_s": args.target_s,
              "target_met": median <= args.target_s and all(r["blessed"] for r in runs),
              "runs": runs}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
