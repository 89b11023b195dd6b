"""Cost of signed models and signed receipts: sign/verify a pushed version, receipts per prediction.

Needs a ledger home with a pushed model (`ledger run`). Model signing runs on scratch copies of
the pushed version directory; receipt costs are measured side by side in one process, in
interleaved rounds (unsigned, legacy HMAC, Ed25519 issue, Ed25519 verify), so machine noise hits
every variant alike.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import shutil
import sys
import tempfile
import time
from statistics import median

from benchmarks.homes import add_home_options, existing_home
from pipeline.registry import Registry
from pipeline.registry import serving as layout
from pipeline.serving.receipt_checks import ReceiptTrust, verify_receipt
from pipeline.serving.receipts import ReceiptIssuer
from pipeline.settings import resolve
from pipeline.signing import models
from pipeline.signing.allowed_signers import AllowedSigners
from pipeline.signing.identity import service_signer

OUTPUTS = {"classes": "Gentoo", "class_ids": 2, "all_class_ids": [0, 1, 2],
           "all_classes": ["Adelie", "Chinstrap", "Gentoo"],
           "probabilities": [0.0123456789, 0.0234567891, 0.9641975320],
           "logits": [-2.1, -1.4, 2.3]}


def _seconds(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return median(times)


def model_costs(settings, identifier: str, repeats: int) -> dict:
    """Median seconds to sign and to verify one pushed version (a scratch copy of it)."""
    registry = Registry.open(settings.metadata_spec, must_exist=True)
    info = registry.resolve(identifier)
    key = models.model_signing_key(settings)
    trusted = AllowedSigners.load(settings.allowed_signers_path)
    scratch = tempfile.mkdtemp(prefix="bench_signing_")
    copy = os.path.join(scratch, str(info.version))
    try:
        shutil.copytree(info.pushed_destination, copy)
        started = time.perf_counter()
        models.sign_model(copy, key)  # the first call also imports model-signing
        first = time.perf_counter() - started
        sign = _seconds(lambda: models.sign_model(copy, key), repeats)
        verify = _seconds(lambda: models.verify_model(copy, trusted), repeats)
        manifest = _seconds(lambda: layout.verify(copy, info.model_name, info.version,
                                                  info.model_digest), repeats)
        files = models.verify_model(copy, trusted).files
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(copy) for f in fs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"version": info.identifier, "files": files, "bytes": size,
            "first_sign_with_import_s": round(first, 3), "sign_s": round(sign, 4),
            "verify_s": round(verify, 4), "manifest_check_s": round(manifest, 4)}


def receipt_costs(settings, rounds: int, per_round: int) -> dict:
    """Median µs per receipt for each variant, measured in interleaved rounds."""
    signer = service_signer(settings)
    trust = ReceiptTrust.of(settings)
    digest = "ab" * 32
    unsigned = ReceiptIssuer("penguins", 1, digest)
    signed = ReceiptIssuer("penguins", 1, digest, signer)
    mac = hmac.new(b"legacy-bench-key", digestmod=hashlib.sha256)
    sample = signed.issue(OUTPUTS)

    def legacy():  # the former scheme: an HMAC over the five legacy fields
        receipt = unsigned.issue(OUTPUTS)
        state = mac.copy()
        state.update(receipt.canonical().encode("utf-8"))
        return state.hexdigest()

    variants = {
        "unsigned_issue": lambda: unsigned.issue(OUTPUTS),
        "hmac_issue_legacy": legacy,
        "ed25519_issue": lambda: signed.issue(OUTPUTS),
        "ed25519_verify_offline": lambda: verify_receipt(None, sample, trust, OUTPUTS),
    }
    samples = {name: [] for name in variants}
    for _ in range(rounds):
        for name, work in variants.items():
            started = time.perf_counter_ns()
            for _ in range(per_round):
                work()
            samples[name].append((time.perf_counter_ns() - started) / per_round / 1000)
    return {name: round(median(values), 1) for name, values in samples.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_home_options(parser)
    parser.add_argument("--repeats", type=int, default=5, help="model sign/verify repetitions")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--per-round", type=int, default=200)
    args = parser.parse_args(argv)
    home = existing_home(args.home)
    if home is None:
        return 2
    settings = resolve(home=home)
    load_before = os.getloadavg()
    report = {"model_signing": model_costs(settings, args.model, args.repeats),
              "receipt_us_per_prediction": receipt_costs(settings, args.rounds, args.per_round),
              "machine": {"cpus": os.cpu_count(),
                          "loadavg_before": [round(x, 2) for x in load_before],
                          "loadavg_after": [round(x, 2) for x in os.getloadavg()]}}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
