"""Minimal TF Serving stand-in: serves a SavedModel over PredictionService/ModelService gRPC."""
from __future__ import annotations

import argparse
import os
import sys

from components.infra_validator import tf_runtime

# Test hooks, used only by tests/components/infra_validator to simulate broken servers.
CRASH_AFTER_ENV = "LEDGER_IV_TEST_CRASH_AFTER"
HANG_S_ENV = "LEDGER_IV_TEST_HANG_S"
CRASH_EXIT_CODE = 70
TENSORFLOW_ENV = "LEDGER_IV_TENSORFLOW"  # lean (default) or full; see tf_runtime.
# Load errors that full TensorFlow could not fix either: the files themselves are bad.
_FILE_ERRORS = ("FileNotFoundError", "OSError", "DecodeError", "Error parsing message")


def _restart_with_full_tensorflow(argv: list[str]):
    """exec() this server again with full TensorFlow: same pid, group and limits."""
    def restart(error: str) -> None:
        if any(sign in error for sign in _FILE_ERRORS):
            return
        print(f"load failed with lean TensorFlow ({error}); restarting with full TensorFlow",
              flush=True)
        args = [a for a in argv if not a.startswith("--tensorflow")] + ["--tensorflow=full"]
        os.execv(sys.executable, [sys.executable, "-m", __spec__.name, *args])
    return restart


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model_name", required=True)
    parser.add_argument("--model_base_path", required=True)
    parser.add_argument("--tensorflow", choices=tf_runtime.MODES,
                        default=os.environ.get(TENSORFLOW_ENV, tf_runtime.LEAN),
                        help="lean: load only TensorFlow's runtime (starts in about a third "
                             "of the time); full: `import tensorflow`")
    args = parser.parse_args(argv)
    runtime = tf_runtime.import_runtime(args.tensorflow)
    from components.infra_validator import grpc_services  # After the runtime: it imports TF.

    grpc_services.serve(runtime, args.model_name, args.model_base_path, args.port,
                        _restart_with_full_tensorflow(argv))


if __name__ == "__main__":
    main()
