#!/usr/bin/env bash
# Bring up cloudstack with embedded defaults (SQLite, in-process task queue).
# usage: tools/up.sh [--dashboard] [DATA_DIR] [HOST:PORT]    (defaults: ~/.cloudstack 127.0.0.1:5000)
# Installs into ./.venv on first use, then runs cloudstack-all in the foreground.
# --dashboard also installs the extra cloudstack[dashboard] (Horizon), served at /dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS=
if [ "${1:-}" = --dashboard ]; then EXTRAS='[dashboard]'; shift; fi
DATA_DIR=${1:-$HOME/.cloudstack}
BIND=${2:-127.0.0.1:5000}
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    [ "$(id -u)" = 0 ] && SUDO= || SUDO=sudo
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-venv >/dev/null
fi
[ -x .venv/bin/cloudstack-all ] || {
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e .
}
if [ -n "$EXTRAS" ] && ! .venv/bin/python -c 'import openstack_dashboard' 2>/dev/null; then
    .venv/bin/pip install -q -e ".$EXTRAS"
fi
exec .venv/bin/cloudstack-all --data-dir "$DATA_DIR" --bind "$BIND"
