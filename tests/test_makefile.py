"""`make clean` leaves the ledger home alone; `make clean-home` removes it and says what goes."""
from __future__ import annotations

import os
import subprocess

from pipeline.paths import PROJECT_ROOT


def _make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)


def test_clean_never_touches_the_ledger_home():
    planned = _make("-n", "clean")
    assert planned.returncode == 0, planned.stderr
    assert ".ledger" not in planned.stdout and "HOME" not in planned.stdout
    assert planned.stdout.split() == ["rm", "-rf", "build", "*.egg-info"]


def test_clean_home_says_what_it_removes_then_removes_it(tmp_path):
    home = tmp_path / "home"
    (home / "serving" / "penguins" / "1").mkdir(parents=True)
    (home / "metadata.sqlite").write_bytes(b"store")
    done = _make("clean-home", f"HOME_DIR={home}")
    assert done.returncode == 0, done.stderr
    said = done.stdout.splitlines()
    assert said[0] == f"removing {home}/: the MLMD store (model registry, governance log, lineage),"
    assert said[1] == "pipeline outputs, pushed models, prediction captures and run logs"
    assert not os.path.exists(home)
