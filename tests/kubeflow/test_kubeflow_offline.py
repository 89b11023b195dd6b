"""Compiling needs neither network nor GCS: the session compile ran cut off from both."""
from __future__ import annotations

import os
import subprocess
import sys

# Tries a real TCP connection to a public address and to the proxy; prints what happened.
PROBE = """
import socket
for host, port in (("8.8.8.8", 53), ("127.0.0.1", 9)):
    s = socket.socket(); s.settimeout(3)
    print(host, s.connect_ex((host, port)))
"""


def test_compile_succeeded_offline_and_wrote_both_files(compiled):
    assert os.path.getsize(compiled.spec_path) > 10_000
    assert os.path.getsize(compiled.job_path) > 10_000
    assert not [name for name in compiled.env if name.startswith(("GOOGLE_", "CLOUDSDK_"))]
    assert compiled.env["https_proxy"] == compiled.env["HTTPS_PROXY"] == "http://127.0.0.1:9"


def test_the_isolation_used_really_blocks_the_network(compiled):
    result = subprocess.run(compiled.isolation + [sys.executable, "-c", PROBE],
                            env=compiled.env, capture_output=True, text=True, timeout=60)
    codes = dict(line.split() for line in result.stdout.splitlines())
    assert codes["127.0.0.1"] != "0"  # the proxy every HTTP client was pointed at is dead
    if compiled.isolation:  # own network namespace: nothing outside is reachable at all
        assert codes["8.8.8.8"] != "0"
