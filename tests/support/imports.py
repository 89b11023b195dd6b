"""Which heavy libraries a `ledger` command line imports, run in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

from pipeline.paths import PROJECT_ROOT

# Libraries that cost start-up seconds a command that does not need them must not pay.
HEAVY = ("tensorflow", "tfx", "ml_metadata", "grpc", "cryptography", "model_signing",
         "apache_beam", "tensorflow_data_validation")


def imported_by(argv: list[str], env: dict | None = None) -> tuple[int, str, str, list[str]]:
    """Run `ledger argv`: (exit code, stdout, stderr, the HEAVY libraries it imported)."""
    code = ("import json, sys; from pipeline.cli import main; code = main(sys.argv[1:]); "
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))));"
            " sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, env=env, timeout=120)
    *out, heavy = done.stdout.splitlines()
    return done.returncode, "\n".join(out), done.stderr, json.loads(heavy)
