"""`ledger run` as a killable subprocess: start, wait for a node, SIGKILL the group, orphans."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field

from pipeline.paths import DEFAULT_DATASET_CONFIG, PROJECT_ROOT

HOOKED_LEDGER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hooked_ledger.py")
TAG_ENV = "LEDGER_RELIABILITY_TAG"  # inherited by every process a run starts, model servers too
PUSH_PAUSE_ENV = "LEDGER_PUSH_PAUSE_BEFORE_RENAME_S"  # pipeline.registry.serving.PAUSE_ENV
RUN_TIMEOUT_S = 900  # a cold run is ~90 s alone; 2-3x that when other test suites share the CPUs


@dataclass
class LedgerProcess:
    """One `ledger run` in its own process group, with its marker directory and log."""

    proc: subprocess.Popen
    markers: str
    log_path: str
    tag: str
    train_steps: int
    killed: bool = False
    extra: dict = field(default_factory=dict)

    def log_tail(self, chars: int = 3000) -> str:
        with open(self.log_path, errors="replace") as handle:
            return handle.read()[-chars:]


def start_run(home: str, work: str, *, train_steps: int = 200, hold: str | None = None,
              config: str = DEFAULT_DATASET_CONFIG, env: dict | None = None) -> LedgerProcess:
    """Launch `ledger run` (with marker hooks) as a new session, so one killpg reaches it all."""
    tag = uuid.uuid4().hex
    markers = os.path.join(work, f"markers-{tag[:8]}")
    os.makedirs(markers)
    child_env = dict(os.environ, **(env or {}), LEDGER_RELIABILITY_MARKERS=markers,
                     PYTHONPATH=PROJECT_ROOT, **{TAG_ENV: tag})
    child_env.pop("LEDGER_RELIABILITY_HOLD", None)
    if hold:
        child_env["LEDGER_RELIABILITY_HOLD"] = hold
    log_path = os.path.join(work, f"run-{tag[:8]}.log")
    command = [sys.executable, HOOKED_LEDGER, "--home", home, "run", "--dataset-config", config,
               "--train-steps", str(train_steps)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=PROJECT_ROOT, env=child_env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    return LedgerProcess(proc, markers, log_path, tag, train_steps)


def wait_for(run: LedgerProcess, condition, what: str, timeout_s: float = RUN_TIMEOUT_S) -> None:
    """Poll `condition()` until true; fail naming `what` if the run exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if run.proc.poll() is not None:
            raise AssertionError(f"run ended (exit {run.proc.returncode}) before {what}:\n"
                                 + run.log_tail())
        if time.monotonic() > deadline:
            kill_group(run)
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def marker(run: LedgerProcess, node: str, event: str) -> bool:
    return os.path.exists(os.path.join(run.markers, f"{node}.{event}"))


def kill_group(run: LedgerProcess) -> None:
    """SIGKILL the run's whole process group (kill -9 of the pipeline) and reap it."""
    try:
        os.killpg(run.proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    run.proc.wait()
    run.killed = True


def finish(run: LedgerProcess, timeout_s: float = RUN_TIMEOUT_S) -> str:
    """Wait for a run to end; return its log, failing with the log tail on a non-zero exit."""
    try:
        code = run.proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        kill_group(run)
        raise AssertionError(f"run did not finish in {timeout_s} s:\n{run.log_tail()}") from None
    if code != 0:
        raise AssertionError(f"run exited {code}:\n{run.log_tail()}")
    with open(run.log_path, errors="replace") as handle:
        return handle.read()


def tagged_processes(tag: str) -> list[int]:
    """Live (non-zombie) pids whose environment carries TAG_ENV=tag: what a run left behind."""
    needle = f"{TAG_ENV}={tag}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            with open(f"/proc/{entry}/environ", "rb") as environ:
                if needle in environ.read().split(b"\0"):
                    found.append(int(entry))
        except (OSError, IndexError):
            continue  # gone, or not ours to read
    return found


def wait_no_tagged_processes(tag: str, timeout_s: float = 10.0) -> list[int]:
    """The kernel kills PDEATHSIG children asynchronously: allow it a moment, then report."""
    deadline = time.monotonic() + timeout_s
    while (left := tagged_processes(tag)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def model_server_running(tag: str) -> bool:
    """Whether a model-server process started by the tagged run is alive."""
    for pid in tagged_processes(tag):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"model_server" in cmdline.read():
                    return True
        except OSError:
            continue
    return False
