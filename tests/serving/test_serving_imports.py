"""Serving modules the CLI imports at start-up must not pull in TensorFlow or TFX."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from pipeline.commands.serve import COMMANDS
from pipeline.paths import PROJECT_ROOT
from tests.support.imports import imported_by

CHECK = (
    "import json, sys\n"
    "import pipeline.serving.receipts, pipeline.serving.capture, pipeline.commands.serve\n"
    "import pipeline.serving, pipeline.serving.server, pipeline.serving.follower\n"
    "import pipeline.serving.rest, pipeline.serving.metrics, pipeline.monitoring.request_stats\n"
    "heavy = sorted(m for m in sys.modules if m.split('.')[0] in\n"
    "               ('tensorflow', 'tfx', 'tensorflow_data_validation', 'apache_beam'))\n"
    "print(json.dumps(heavy))\n"
)


def test_importing_receipts_capture_and_the_commands_leaves_tf_and_tfx_out():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=120, check=True)
    assert json.loads(done.stdout) == []


def test_serving_commands_are_exposed():
    assert [c.name for c in COMMANDS] == ["serve", "predict", "verify-receipt"]


def test_a_busy_port_is_refused_before_the_registry_signing_or_tensorflow_load(tmp_path):
    """The port is bound first: a busy one ends the command before ~5 s of imports and load."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, stderr, heavy = imported_by(
            ["--home", str(tmp_path), "serve", "penguins@production", "--port", str(port)])
    assert code == 1 and heavy == []
    assert stderr.startswith(f"error: port {port} on 127.0.0.1 is already in use")
