"""Unit tests of process supervision with cheap non-TF processes: limits, group kill, timeout."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil

from components.infra_validator import supervisor

LIMITS = supervisor.ResourceLimits(memory_mb=512, cpu_s=30)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_command_uses_tf_serving_binary_when_given():
    command = supervisor.server_command(
        "/m/base", "ledger", 8500, binary="/opt/tensorflow_model_server")
    assert command == ["/opt/tensorflow_model_server", "--port=8500", "--model_name=ledger",
                       "--model_base_path=/m/base"]


def test_command_finds_tf_serving_on_path(tmp_path, monkeypatch):
    fake = tmp_path / "tensorflow_model_server"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert supervisor.server_command("/b", "m", 1)[0] == str(fake)


def test_command_falls_back_to_our_server_module(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    command = supervisor.server_command("/b", "m", 9)
    assert command[:3] == [sys.executable, "-m", "components.infra_validator.model_server"]
    assert "--model_base_path=/b" in command and "--port=9" in command


def test_limits_apply_in_own_session_and_stop_kills_grandchildren(tmp_path):
    script = ("import os, resource, subprocess, sys, time;"
              "p = subprocess.Popen(['sleep', '300']);"
              "print(os.getsid(0), resource.getrlimit(resource.RLIMIT_AS)[0],"
              " resource.getrlimit(resource.RLIMIT_CPU)[0], p.pid, flush=True);"
              "time.sleep(300)")
    log = tmp_path / "server.log"
    server = supervisor.ServerProcess([sys.executable, "-c", script], LIMITS, str(log))
    with server:
        server.start(timeout_s=60)
        while not log.read_text().strip():
            time.sleep(0.05)
        sid, as_limit, cpu_limit, grandchild = map(int, log.read_text().split())
        assert sid == server.pid != os.getsid(0)
        assert (as_limit, cpu_limit) == (512 * 1024 * 1024, 30)
        assert _alive(grandchild)
    assert not _alive(server.pid) and not _alive(grandchild)
    assert supervisor.live_group_members(server.pid) == []
    assert server.peak_rss_mb > 1


def test_watchdog_kills_on_timeout(tmp_path):
    server = supervisor.ServerProcess(["sleep", "300"], LIMITS, str(tmp_path / "log"))
    server.start(timeout_s=0.5)
    assert server.wait_exit(10) == -signal.SIGKILL
    assert server.timed_out
    server.stop()


def test_exit_descriptions_name_the_cpu_limit():
    assert supervisor.describe_exit(3, LIMITS) == "exit code 3"
    assert "CPU limit 30 s" in supervisor.describe_exit(-signal.SIGXCPU, LIMITS)
    assert supervisor.describe_exit(-signal.SIGKILL, LIMITS) == "killed by SIGKILL"


def test_server_dies_with_a_killed_executor(tmp_path):
    """A SIGKILLed executor runs no cleanup; PDEATHSIG must still take the server down."""
    log = tmp_path / "server.log"
    executor = ("import sys, time; from components.infra_validator import supervisor;"
                "s = supervisor.ServerProcess(['sleep', '300'],"
                " supervisor.ResourceLimits(512, 30), sys.argv[1]); s.start(300);"
                "print(s.pid, flush=True); time.sleep(300)")
    parent = psutil.Popen([sys.executable, "-c", executor, str(log)], stdout=subprocess.PIPE,
                          env=supervisor.server_env())
    server_pid = int(parent.stdout.readline())
    assert _alive(server_pid)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(server_pid)
