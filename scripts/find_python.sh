#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (TFX 1.16 needs >=3.9,<3.11), or explains what to install.
set -u

is_310() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1
}

if [ -n "${PYTHON:-}" ]; then
    if is_310 "$PYTHON"; then command -v "$PYTHON" || echo "$PYTHON"; exit 0; fi
    echo "error: PYTHON=$PYTHON is not a working Python 3.10 interpreter (TFX 1.16 needs 3.10)." >&2
    exit 1
fi

candidates=(python3.10)
if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.[0-9]+)?$' | sort -t. -k3 -n -r); do
        candidates+=("$(pyenv root)/versions/$v/bin/python3.10")
    done
fi
for dir in "$HOME/.pyenv/versions"/3.10*; do
    [ -x "$dir/bin/python3.10" ] && candidates+=("$dir/bin/python3.10")
done

for c in "${candidates[@]}"; do
    if is_310 "$c"; then command -v "$c" || echo "$c"; exit 0; fi
done

cat >&2 <<'MSG'
error: no Python 3.10 interpreter found. TFX 1.16 requires Python >=3.9,<3.11.
Install one of:
  - pyenv:   pyenv install 3.10.13
  - Debian:  apt-get install python3.10 python3.10-venv (where available)
then rerun, or point PYTHON at it:  make PYTHON=/path/to/python3.10 test
MSG
exit 1
