#!/usr/bin/env bash
# System packages the test suite needs: Debian's chromium renders the lineage HTML report headless.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    echo "chromium: $(command -v chromium)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium
command -v chromium
