#!/usr/bin/env bash
# Bring up cloudstack with embedded defaults (SQLite, in-process task queue).
# usage: tools/up.sh [DATA_DIR] [HOST:PORT]    (defaults: ~/.cloudstack 127.0.0.1:5000)
# Installs into ./.venv on first use, then runs cloudstack-all in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
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
exec .venv/bin/cloudstack-all --data-dir "$DATA_DIR" --bind "$BIND"
