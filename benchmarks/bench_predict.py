"""Warm prediction latency and batch throughput: direct model call vs Predictor (receipts+capture).

Needs a ledger home with a pushed model (`ledger run`). Runs on a scratch copy of its MLMD store
so the capture files and their MLMD records do not land in the real home.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pipeline.paths import LedgerPaths, ledger_home  # noqa: E402
from pipeline.serving import Predictor  # noqa: E402

TARGET_P50_MS = 5.0
TARGET_OVERHEAD = 0.15
ROW = {"island": "Biscoe", "bill_length_mm": 46.5, "bill_depth_mm": 15.2,
       "flipper_length_mm": 216.0, "body_mass_g": 5100.0, "sex": "female"}


def _scratch_home(home: str) -> LedgerPaths:
    scratch = tempfile.mkdtemp(prefix="bench_predict_")
    shutil.copy(os.path.join(home, "metadata.sqlite"), scratch)
    return LedgerPaths(scratch)


def _direct(predictor):
    """A caller without the ledger: tf.Examples built by hand, the signature called, read out."""
    from tensorflow.core.example import example_pb2

    signature, constant = predictor._signature, predictor._constant

    def encode(instance: dict) -> bytes:
        example = example_pb2.Example()
        for name, value in instance.items():
            if isinstance(value, str):
                example.features.feature[name].bytes_list.value.append(value.encode())
            elif value is not None:
                example.features.feature[name].float_list.value.append(value)
        return example.SerializeToString()

    def call(instances):
        serialized = constant([encode(x) for x in instances])
        return {k: v.numpy() for k, v in signature(examples=serialized).items()}

    return call


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3  # noqa: E731
    return {"p50_ms": round(pick(0.5), 4), "p99_ms": round(pick(0.99), 4),
            "mean_ms": round(statistics.fmean(ordered) * 1e3, 4)}


def latency(predictor, iterations: int) -> dict:
    """Single-instance latency, the three paths interleaved so CPU noise hits them alike."""
    paths = {"direct_model_call": _direct(predictor),
             "predictor_no_receipts_no_capture": predictor._infer,
             "predictor_receipts_and_capture": predictor.predict}
    samples = {name: [] for name in paths}
    for _ in range(50):  # warm every path
        for call in paths.values():
            call([dict(ROW)])
    for _ in range(iterations):
        for name, call in paths.items():
            started = time.perf_counter()
            call([dict(ROW)])
            samples[name].append(time.perf_counter() - started)
    return {name: _percentiles(values) for name, values in samples.items()}


def throughput(predictor, batch_sizes: list[int], seconds: float) -> dict:
    """Predictions per second for each batch size, direct and through the full Predictor."""
    results = {}
    for size in batch_sizes:
        batch = [dict(ROW, body_mass_g=4000.0 + i) for i in range(size)]
        for name, call in (("direct", _direct(predictor)), ("predictor", predictor.predict)):
            call(batch)
            count, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                call(batch)
                count += size
            results[f"{name}_batch_{size}"] = round(count / (time.perf_counter() - started))
    return results


def run(home: str, identifier: str, iterations: int, batch_sizes: list[int], seconds: float):
    paths = _scratch_home(home)
    try:
        with Predictor.load(identifier, paths) as predictor:
            report = {"model": predictor.version.identifier, "iterations": iterations,
                      "signed": predictor.issuer.signing,
                      "latency": latency(predictor, iterations),
                      "throughput_per_s": throughput(predictor, batch_sizes, seconds),
                      "captured_lines": predictor.capture._captured}
    finally:
        shutil.rmtree(paths.home, ignore_errors=True)
    lat = {name: values["p50_ms"] for name, values in report["latency"].items()}
    direct, full = lat["direct_model_call"], lat["predictor_receipts_and_capture"]
    receipts_cost = (full - lat["predictor_no_receipts_no_capture"]) / direct
    report["p50_overhead_vs_direct"] = {
        "receipts_and_capture": round(receipts_cost, 4),
        "whole_predictor": round(full / direct - 1, 4),
    }
    report["targets"] = {
        f"predictor p50 <= {TARGET_P50_MS} ms": full <= TARGET_P50_MS,
        f"receipts+capture <= {TARGET_OVERHEAD:.0%} of direct": receipts_cost <= TARGET_OVERHEAD,
    }
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=None, help="Ledger home (default $LEDGER_HOME/.ledger)")
    parser.add_argument("--model", default="penguins@production")
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--batch-sizes", default="1,16,128,512")
    parser.add_argument("--seconds", type=float, default=2.0, help="per throughput measurement")
    args = parser.parse_args(argv)
    home = ledger_home(args.home).home
    if not os.path.exists(os.path.join(home, "metadata.sqlite")):
        print(f"no ledger home with an MLMD store at {home}: run `ledger run` first",
              file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.batch_sizes.split(",")]
    report = run(home, args.model, args.iterations, sizes, args.seconds)
    print(json.dumps(report, indent=2))
    return 0 if all(report["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
