"""Start, limit, watch and kill a model-server process group (no TensorFlow, no TFX)."""
from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SERVER_MODULE = "components.infra_validator.model_server"
TF_SERVING_BINARY = "tensorflow_model_server"
_PR_SET_PDEATHSIG = 1
_GRACE_S = 2.0


def _find_prctl():
    """libc prctl, looked up before fork: the forked child should only call it (Linux only)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _find_prctl()


@dataclass(frozen=True)
class ResourceLimits:
    """Address-space and CPU-time ceilings applied to the server process."""

    memory_mb: int
    cpu_s: int


def free_port() -> int:
    """A TCP port that was free a moment ago (the server binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(
    model_base_path: str, model_name: str, port: int, binary: str | None = None
) -> list[str]:
    """Command line of TF Serving when on PATH, else of our Python server; both take a base path."""
    binary = shutil.which(TF_SERVING_BINARY) if binary is None else binary
    if binary:
        return [
            binary,
            f"--port={port}",
            f"--model_name={model_name}",
            f"--model_base_path={model_base_path}",
        ]
    return [
        sys.executable, "-m", SERVER_MODULE,
        f"--port={port}", f"--model_name={model_name}", f"--model_base_path={model_base_path}",
    ]


def server_env() -> dict[str, str]:
    """Environment for the server: ours plus this repo on PYTHONPATH so `-m` finds the module."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _limit_child(limits: ResourceLimits) -> None:
    """Runs in the forked child before exec: apply limits, die with the parent."""
    as_bytes = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (as_bytes, as_bytes))
    # Soft limit sends SIGXCPU; the hard limit a few seconds later is SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
    if _PRCTL is not None:
        # If the executor is SIGKILLed no `finally` runs; the kernel then kills the server.
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


def describe_exit(code: int, limits: ResourceLimits) -> str:
    """Human wording of a Popen return code, naming the limit that killed it if any."""
    if code >= 0:
        return f"exit code {code}"
    name = signal.Signals(-code).name
    if -code == signal.SIGXCPU:
        return f"killed by {name} (CPU limit {limits.cpu_s} s)"
    return f"killed by {name}"


_OUT_OF_MEMORY_SIGNS = ("MemoryError", "bad_alloc", "Cannot allocate memory", "failed to map")


def memory_hint(log: str, limits: ResourceLimits) -> str:
    """' (memory limit N MB ...)' when the server log shows allocation failures, else ''."""
    if any(sign in log for sign in _OUT_OF_MEMORY_SIGNS):
        return f" (memory limit {limits.memory_mb} MB of address space reached)"
    return ""


class ServerProcess:
    """One model-server process in its own session; stop() kills the whole group."""

    def __init__(self, command: list[str], limits: ResourceLimits, log_path: str):
        self.command, self.limits, self.log_path = command, limits, log_path
        self.timed_out = False
        self._proc: subprocess.Popen | None = None
        self._timer: threading.Timer | None = None
        self._peak_kb = 0

    def start(self, timeout_s: float) -> None:
        """Spawn the server; a watchdog kills the group when timeout_s passes."""
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env=server_env(),
                preexec_fn=lambda: _limit_child(self.limits),
            )
        self._timer = threading.Timer(timeout_s, self._on_timeout)
        self._timer.daemon = True
        self._timer.start()

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _on_timeout(self) -> None:
        self.timed_out = True
        self._kill_group(signal.SIGKILL)

    def exit_code(self) -> int | None:
        """None while running (or never started), else the Popen return code."""
        if self._proc is None:
            return None
        self.sample_peak_rss()
        return self._proc.poll()

    def wait_exit(self, seconds: float) -> int | None:
        """Exit code once the process ends within `seconds`, else None."""
        until = time.monotonic() + seconds
        while (code := self.exit_code()) is None and self._proc and time.monotonic() < until:
            time.sleep(0.05)
        return code

    def sample_peak_rss(self) -> None:
        """Remember the kernel's RSS high-water mark (VmHWM) while the process still exists."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{self._proc.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        self._peak_kb = max(self._peak_kb, int(line.split()[1]))

    @property
    def peak_rss_mb(self) -> float:
        return self._peak_kb / 1024.0

    def log_tail(self, chars: int = 400) -> str:
        """Last characters of the server log, on one line, for failure reasons."""
        with contextlib.suppress(OSError):
            text = Path(self.log_path).read_text(errors="replace")
            return " | ".join(text[-chars:].strip().splitlines())
        return ""

    def _kill_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)

    def stop(self) -> None:
        """TERM then KILL the whole process group and reap the leader; safe to call twice."""
        if self._proc is None:
            return
        if self._timer:
            self._timer.cancel()
        self.sample_peak_rss()
        self._kill_group(signal.SIGTERM)
        deadline = time.monotonic() + _GRACE_S
        while self._proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        # KILL even after the leader exited: children it forked share the group.
        self._kill_group(signal.SIGKILL)
        self._proc.wait()
        self._wait_group_gone(_GRACE_S)

    def _wait_group_gone(self, seconds: float) -> None:
        """SIGKILL is asynchronous: return once no live process is left in the group (bounded)."""
        until = time.monotonic() + seconds
        while live_group_members(self._proc.pid) and time.monotonic() < until:
            time.sleep(0.02)

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def live_group_members(pgid: int) -> list[int]:
    """Pids in process group `pgid` that are not zombies (zombies wait for init to reap them)."""
    if not os.path.isdir("/proc"):
        try:
            os.killpg(pgid, 0)
            return [pgid]
        except (ProcessLookupError, PermissionError):
            return []
    members = []
    for entry in os.listdir("/proc"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if entry.isdigit():
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    members.append(int(entry))
    return members


@contextlib.contextmanager
def sigterm_raises():
    """Turn SIGTERM (pod eviction on Kubeflow) into SystemExit so `finally` cleans up."""
    def _raise(signum, frame):
        raise SystemExit(f"received signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, _raise)
    except ValueError:  # Not the main thread: signals cannot be handled here.
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
