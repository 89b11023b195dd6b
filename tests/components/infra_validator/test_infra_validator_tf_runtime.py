"""The server's lean TensorFlow import: same answers as full TensorFlow, and its fallback."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from components.infra_validator import model_server, tf_runtime

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
# Runs in a fresh interpreter: the lean import must be the first TensorFlow import there.
PREDICT = """
import json, sys
from components.infra_validator import tf_runtime
tf = tf_runtime.import_runtime(sys.argv[1])
package = sys.modules["tensorflow"]
model = tf.load(sys.argv[2])
examples = [bytes.fromhex(h) for h in json.loads(sys.argv[3])]
outputs = model.signatures["serving_default"](examples=tf.constant(examples))
print(json.dumps({"mode": tf.mode, "public_api": hasattr(package, "saved_model"),
                  "outputs": outputs["outputs"].numpy().tolist()}))
"""


def _predict(mode: str, model: str, examples: list[bytes]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PREDICT, mode, model, json.dumps([e.hex() for e in examples])],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_lean_runtime_skips_the_public_api_and_predicts_like_full(model_uris, examples_uri):
    from components.infra_validator.reference import read_serialized_examples

    model = os.path.join(model_uris["good"], "Format-Serving")
    examples = read_serialized_examples(os.path.join(examples_uri, "Split-eval", "*.gz"), 6)
    lean, full = _predict("lean", model, examples), _predict("full", model, examples)
    assert (lean["mode"], lean["public_api"]) == ("lean", False)
    assert (full["mode"], full["public_api"]) == ("full", True)
    assert len(lean["outputs"]) == len(examples)
    assert lean["outputs"] == full["outputs"]


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown TensorFlow import mode 'fast'"):
        tf_runtime.import_runtime("fast")


def test_a_process_that_already_imported_tensorflow_gets_it_whole():
    import tensorflow  # noqa: F401 (the condition under test)

    assert tf_runtime.import_runtime(tf_runtime.LEAN).mode == tf_runtime.FULL


class _Exec(Exception):
    pass


def test_a_lean_load_failure_restarts_the_server_with_full_tensorflow(monkeypatch):
    calls = []

    def fake_execv(path, args):  # exec would replace the test process itself
        calls.append(args)
        raise _Exec

    monkeypatch.setattr(os, "execv", fake_execv)
    argv = ["--port=1", "--model_name=m", "--model_base_path=/b", "--tensorflow=lean"]
    restart = model_server._restart_with_full_tensorflow(argv)
    with pytest.raises(_Exec):
        restart("NotFoundError: Op type not registered 'Frobnicate'")
    assert calls == [[sys.executable, "-m", "components.infra_validator.model_server",
                      "--port=1", "--model_name=m", "--model_base_path=/b",
                      "--tensorflow=full"]]


@pytest.mark.parametrize("error", [
    "DecodeError: Error parsing message", "OSError: SavedModel file does not exist",
    "FileNotFoundError: no numeric version directory under /b"])
def test_a_bad_file_is_not_retried(error, monkeypatch):
    monkeypatch.setattr(os, "execv", lambda *a: pytest.fail("restarted for a bad file"))
    model_server._restart_with_full_tensorflow(["--port=1"])(error)
