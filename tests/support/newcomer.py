"""Commands run as a newcomer's shell runs them: from the checkout, no ledger settings, not
inside another make, in their own session so a timeout stops everything they started."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from pipeline.paths import PROJECT_ROOT

MAKE_RUN = "make run"  # exactly what README.md tells a newcomer to type
RUN_TIMEOUT_S = 1800
# `make test` would otherwise make an inner make print "Entering directory" lines.
NOT_INHERITED = {"TF_CPP_MIN_LOG_LEVEL", "MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}


def newcomer_env(home: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LEDGER_") and k not in NOT_INHERITED}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return dict(env, LEDGER_HOME=home)


def run_as_newcomer(command: list[str], home: str) -> subprocess.CompletedProcess:
    with subprocess.Popen(command, cwd=PROJECT_ROOT, env=newcomer_env(home),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, text=True,
                          start_new_session=True) as process:
        try:
            out, err = process.communicate(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    return subprocess.CompletedProcess(command, process.returncode, out, err)
