"""Warm prediction latency and batch throughput: direct model call vs Predictor (receipts+capture).

Needs a ledger home with a pushed model (`ledger run`). Runs on a scratch copy of its MLMD store
so the capture files and their MLMD records do not land in the real home. Receipts are signed
with the home's service key (Ed25519) unless --unsigned is given.
"""
from __future__ import annotations

import argparse
import itertools
import os
import shutil
import sys
import tempfile
import time
from statistics import fmean, median, quantiles

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks.homes import add_home_options, existing_home  # noqa: E402
from benchmarks.targets import Target, finish, machine, percentiles  # noqa: E402
from pipeline.paths import LedgerPaths  # noqa: E402
from pipeline.serving import Predictor  # noqa: E402
from pipeline.serving.capture import read_lines  # noqa: E402
from pipeline.serving.receipts import ReceiptIssuer  # noqa: E402
from pipeline.settings import resolve  # noqa: E402

TARGET_P50_MS = 5.0
TARGET_OVERHEAD = 0.15
ROW = {"island": "Biscoe", "bill_length_mm": 46.5, "bill_depth_mm": 15.2,
       "flipper_length_mm": 216.0, "body_mass_g": 5100.0, "sex": "female"}
DIRECT, BARE, FULL = ("direct_model_call", "predictor_no_receipts_no_capture",
                      "predictor_receipts_and_capture")


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


def _spread(ratios: list[float]) -> dict:
    """Median of per-round ratios (the figure judged) and its quartiles (how noisy it was)."""
    q1, middle, q3 = quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return {"median": round(middle, 4), "q1": round(q1, 4), "q3": round(q3, 4)}


def _capture_thread_cpu(predictor) -> float | None:
    """CPU seconds the capture writer's thread has used (Linux schedstat), None if unknown."""
    thread = predictor.capture._queue._thread
    try:
        with open(f"/proc/self/task/{thread.native_id}/schedstat") as stat:
            return int(stat.read().split()[0]) / 1e9
    except (AttributeError, OSError):
        return None


def _alternating(paths: dict, rounds: int, per_round: int) -> list[dict]:
    """Per round, {path: seconds of each call}: the paths called in turn, the order rotating."""
    orders = list(itertools.permutations(paths))
    per_round_samples = []
    for r in range(rounds):
        samples = {name: [] for name in paths}
        for i in range(per_round):
            for name in orders[(r * per_round + i) % len(orders)]:
                started = time.perf_counter()
                paths[name]([dict(ROW)])
                samples[name].append(time.perf_counter() - started)
        per_round_samples.append(samples)
    return per_round_samples


def latency(predictor, rounds: int, per_round: int) -> dict:
    """Single-instance latency of the three paths, alternating call by call.

    The order rotates through every permutation, so no path always runs first or after
    another, and load from other jobs hits all three alike. Each round's ratio is taken on its
    own and the median over rounds is reported. The capture thread's work is on no caller's
    clock, so the amortized figure adds its CPU time and the final drain, spread over the
    Predictor's calls, to that path's mean: as if none of it had run in parallel.
    """
    paths = {DIRECT: _direct(predictor), BARE: predictor._infer, FULL: predictor.predict}
    for _ in range(100):  # warm every path (and start the capture thread)
        for call in paths.values():
            call([dict(ROW)])
    predictor.capture.flush()
    thread_cpu = _capture_thread_cpu(predictor)
    per_round_samples = _alternating(paths, rounds, per_round)
    started = time.perf_counter()
    predictor.capture.flush()
    drain = time.perf_counter() - started
    thread_cpu = None if thread_cpu is None else _capture_thread_cpu(predictor) - thread_cpu
    report = {"per_path": {name: percentiles([x for s in per_round_samples for x in s[name]], 4)
                           for name in paths},
              "receipts_and_capture_p50": _spread([
                  (median(s[FULL]) - median(s[BARE])) / median(s[DIRECT])
                  for s in per_round_samples]),
              "whole_predictor_p50": _spread([
                  median(s[FULL]) / median(s[DIRECT]) - 1 for s in per_round_samples]),
              "capture_thread_cpu_s": thread_cpu, "final_drain_s": round(drain, 6),
              "receipts_and_capture_amortized": None}
    if thread_cpu is not None:
        background = (thread_cpu + drain) / (rounds * per_round)
        report["capture_background_us_per_prediction"] = round(background * 1e6, 2)
        report["receipts_and_capture_amortized"] = _spread([
            (fmean(s[FULL]) + background - fmean(s[BARE])) / fmean(s[DIRECT])
            for s in per_round_samples])
    return report


def throughput(predictor, batch_sizes: list[int], seconds: float) -> dict:
    """Predictions per second for each batch size, direct and through the full Predictor."""
    results = {}
    for size in batch_sizes:
        batch = [dict(ROW, body_mass_g=4000.0 + i) for i in range(size)]
        for name, call in (("direct", _direct(predictor)), ("predictor", predictor.predict)):
            call(batch)
            predictor.capture.flush()
            count, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                call(batch)
                count += size
            predictor.capture.flush()  # captures still queued are part of the work
            results[f"{name}_batch_{size}"] = round(count / (time.perf_counter() - started))
    return results


def run(home: str, identifier: str, rounds: int, per_round: int, batch_sizes: list[int],
        seconds: float, signed: bool = True) -> dict:
    paths = _scratch_home(home)
    load_before = os.getloadavg()
    try:
        # The real home's keys and allowed signers; captures go to the scratch copy.
        with Predictor.load(identifier, paths, settings=resolve(home=home)) as predictor:
            if not signed:
                info = predictor.version
                predictor.issuer = ReceiptIssuer(info.model_name, info.version, info.model_digest)
            report = {"model": predictor.version.identifier, "rounds": rounds,
                      "calls_per_path_per_round": per_round, "signed": predictor.issuer.signing,
                      "latency": latency(predictor, rounds, per_round),
                      "throughput_per_s": throughput(predictor, batch_sizes, seconds)}
        report["captured_lines"] = sum(1 for f in predictor.capture.files for _ in read_lines(f))
    finally:
        shutil.rmtree(paths.home, ignore_errors=True)
    report["machine"] = machine(load_before)
    return report


def targets(report: dict) -> list[Target]:
    """The Predictor's targets: its p50, and what receipts and capture add over a direct call."""
    latency = report["latency"]
    amortized = (latency["receipts_and_capture_amortized"] or {}).get("median")  # None: unknown
    return [
        Target("Predictor p50 (receipts and capture on)",
               latency["per_path"][FULL]["p50_ms"], TARGET_P50_MS, "ms"),
        Target("receipts+capture p50, fraction of a direct call",
               latency["receipts_and_capture_p50"]["median"], TARGET_OVERHEAD, ""),
        Target("receipts+capture amortized (capture thread included), fraction of a direct call",
               amortized, TARGET_OVERHEAD, ""),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_home_options(parser)
    parser.add_argument("--rounds", type=int, default=200, help="latency rounds (ratio per round)")
    parser.add_argument("--per-round", type=int, default=18, help="calls per path per round")
    parser.add_argument("--batch-sizes", default="1,16,128,512")
    parser.add_argument("--seconds", type=float, default=2.0, help="per throughput measurement")
    parser.add_argument("--unsigned", action="store_true", help="receipts without a signature")
    args = parser.parse_args(argv)
    home = existing_home(args.home)
    if home is None:
        return 2
    sizes = [int(s) for s in args.batch_sizes.split(",")]
    report = run(home, args.model, args.rounds, args.per_round, sizes, args.seconds,
                 signed=not args.unsigned)
    return finish(report, targets(report))


if __name__ == "__main__":
    sys.exit(main())
