"""What a benchmark ends with: percentiles, the machine's load, and each target PASS or FAIL."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from statistics import fmean


@dataclass(frozen=True)
class Target:
    """A figure the issue sets a limit on: met when measured <= limit."""

    name: str
    measured: float | None  # None: could not be measured
    limit: float
    unit: str

    @property
    def passed(self) -> bool:
        return self.measured is not None and self.measured <= self.limit

    def line(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        figure = "not measured" if self.measured is None else f"{self.measured:g}{unit}"
        return (f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {figure} "
                f"(target <= {self.limit:g}{unit})")


def percentiles(samples: list[float], digits: int = 3) -> dict:
    """p50, p99 and mean in milliseconds of samples in seconds, and how many there were."""
    ordered = sorted(samples)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3, digits)  # noqa: E731
    return {"p50_ms": pick(0.5), "p99_ms": pick(0.99),
            "mean_ms": round(fmean(ordered) * 1e3, digits), "n": len(ordered)}


def uptime() -> str:
    """`uptime`'s line: the load other jobs put on the machine while this one measured."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def bytecode_compiled(package: str = "tensorflow") -> bool | None:
    """Whether `package` has its .pyc: without them (uv installs none unless asked) every
    process compiles TensorFlow's sources again, which doubles a server's start-up."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        return None
    return os.path.exists(importlib.util.cache_from_source(spec.origin))


def machine(load_before: tuple[float, ...]) -> dict:
    return {"cpus": os.cpu_count(), "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()], "uptime": uptime(),
            "tensorflow_bytecode": bytecode_compiled()}


def finish(report: dict, targets: list[Target]) -> int:
    """Print the report as JSON (the last document on stdout, for run_all), then the uptime
    line and one PASS/FAIL line per target; exit code 0 only if every target passed."""
    report["targets"] = {t.name: {"measured": t.measured, "limit": t.limit, "unit": t.unit,
                                  "passed": t.passed} for t in targets}
    print(json.dumps(report, indent=2), flush=True)
    about = report.get("machine", {})
    lines = [f"uptime: {about.get('uptime') or uptime()}"]
    if about.get("tensorflow_bytecode") is False:
        lines.append("note: TensorFlow has no .pyc here (start-up figures include compiling "
                     "it): scripts/bootstrap.sh compiles them")
    print("\n".join([*lines, *(t.line() for t in targets)]), file=sys.stderr, flush=True)
    return 0 if all(t.passed for t in targets) else 1
