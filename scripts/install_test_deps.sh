#!/usr/bin/env bash
# System packages the test suite needs, from Debian: chromium (browser tests of the web UI and the
# lineage report) and mariadb-server (MLMD on MySQL, as on a Kubeflow cluster; tests start their own).
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)

if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
    fi
    echo "installing: ${need[*]}"
    $SUDO apt-get update
    # mariadb-server's post-install would start a system server; tests start their own instead.
    DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $SUDO apt-get install -y --no-install-recommends "${need[@]}"
fi
echo "chromium: $(command -v chromium)"
echo "mariadbd: $(command -v mariadbd || echo /usr/sbin/mariadbd)"
