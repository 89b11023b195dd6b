#!/usr/bin/env bash
# Creates .venv (with pip inside: TFX pip-installs user module wheels) and installs the pinned lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
py=$(scripts/find_python.sh)

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV with $py"
    "$py" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    # An interrupted `python -m venv` leaves a python without pip: start that venv over.
    echo "$VENV has no pip (an interrupted install?): recreating it with $py"
    "$py" -m venv --clear "$VENV"
fi

# uv installs the ~250 pinned packages in about a minute; plain pip takes about four.
# --compile-bytecode: uv (unlike pip) writes no .pyc by default, and with PYTHONDONTWRITEBYTECODE
# set none is ever cached: every process then compiles TensorFlow's sources again, which doubled
# `ledger serve`'s start-up (docs/performance.md).
if "$VENV/bin/python" -m pip install -q 'uv==0.13.9' 2>/dev/null; then
    "$VENV/bin/uv" pip install --python "$VENV/bin/python" --compile-bytecode -r requirements.lock
    "$VENV/bin/uv" pip install --python "$VENV/bin/python" --no-deps -e .
else
    "$VENV/bin/python" -m pip install -r requirements.lock
    "$VENV/bin/python" -m pip install --no-deps -e .
fi
touch "$VENV/.installed"
