"""What signatures cost: `ledger verify` on signed vs unsigned stores, and approve with a key.

    python -m benchmarks.bench_governance [--records 10000] [--approvals 15] [--work DIR]

Verify: two synthetic stores of the same shape (benchmarks/make_synthetic_store.py), one with
every record signed by the home's service key, one unsigned; `ledger verify` runs on each as a
whole process, alternating, and wall and CPU seconds are reported. Approve: the same sequence
(register, validate, approve) on two registries, one unsigned and one where each approval loads
the person's key and the allowed signers and signs, as `ledger approve --key` does; the median
time of the approve step is reported for each.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks import make_synthetic_store
from pipeline.paths import PROJECT_ROOT

RECORDS_PER_RUN = 3.9  # candidate, validated, approved|rejected (+ deployed for 9 runs in 10)


def _store(root: str, name: str, records: int, signed: bool) -> str:
    home = os.path.join(root, name)
    path = os.path.join(home, "metadata.sqlite")
    if not os.path.exists(path):
        os.makedirs(home, exist_ok=True)
        runs = round(records / RECORDS_PER_RUN)
        make_synthetic_store.main([str(runs), path] + (["--signed"] if signed else []))
    return home


def _verify(home: str) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ledger"), "verify",
                           "--home", home], capture_output=True, text=True, cwd=PROJECT_ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout.splitlines()[0][:60]


def bench_verify(root: str, records: int, repeats: int) -> dict:
    homes = {"signed": _store(root, "signed", records, True),
             "unsigned": _store(root, "unsigned", records, False)}
    results: dict = {name: {"wall_s": [], "cpu_s": []} for name in homes}
    for _ in range(repeats):
        for name, home in homes.items():  # alternating: both see the same machine load
            wall, cpu, first_line = _verify(home)
            results[name]["wall_s"].append(round(wall, 2))
            results[name]["cpu_s"].append(round(cpu, 2))
            results[name]["says"] = first_line
    return results


def bench_approve(root: str, approvals: int) -> dict:
    sys.path.insert(0, os.path.join(PROJECT_ROOT, "tests", "registry"))
    from signed_store import as_pipeline, candidate, settings_for

    from pipeline.registry import Registry
    from pipeline.signing.identity import person_signer
    from pipeline.signing.keys import ensure_key

    times: dict[str, list[float]] = {"unsigned": [], "signed": []}
    cpu: dict[str, list[float]] = {"unsigned": [], "signed": []}
    for mode in ("unsigned", "signed"):
        home = os.path.join(root, f"approve-{mode}")
        os.makedirs(home, exist_ok=True)
        key = ensure_key(os.path.join(root, "alice"))[0]
        registry = as_pipeline(home) if mode == "signed" else Registry.open(
            settings_for(home).metadata_spec, must_exist=False)
        if mode == "signed":
            with open(settings_for(home).allowed_signers_path, "a") as handle:
                handle.write(f"alice {key.public_line}\n")
        for number in range(1, approvals + 1):
            info = candidate(registry, os.path.join(root, mode), f"m{number}")
            started, started_cpu = time.perf_counter(), time.process_time()
            settings = settings_for(home, key.path)
            if mode == "signed":  # what `ledger approve --key` adds: load key + signers, sign
                deciding = Registry.from_settings(settings,
                                                  signer=person_signer(settings, "alice"))
            else:  # the command opens its registry either way
                deciding = Registry.open(settings.metadata_spec)
            deciding.approve("penguins", info.version, by="alice", reason="ok",
                             current_digest=info.model_digest)
            times[mode].append((time.perf_counter() - started) * 1000)
            cpu[mode].append((time.process_time() - started_cpu) * 1000)
    return {mode: {"median_ms": round(statistics.median(values), 1),
                   "median_cpu_ms": round(statistics.median(cpu[mode]), 1),
                   "all_ms": [round(v, 1) for v in values]} for mode, values in times.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--approvals", type=int, default=15)
    parser.add_argument("--work", default=None, help="Directory kept between runs (stores).")
    parser.add_argument("--only", choices=("verify", "approve"), default=None)
    args = parser.parse_args(argv)
    root = args.work or tempfile.mkdtemp(prefix="bench-signing-")
    report = {"load": os.getloadavg()}
    if args.only != "approve":
        report["verify"] = bench_verify(root, args.records, args.repeats)
    if args.only != "verify":
        report["approve"] = bench_approve(root, args.approvals)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
