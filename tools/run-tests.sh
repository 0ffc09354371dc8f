#!/usr/bin/env bash
# Run the whole test suite: unit tests on SQLite and on PostgreSQL, then the
# functional tests (real processes; as root they also get PostgreSQL).
# CLOUDSTACK_TEST_DB_NAME names the scratch PostgreSQL database (default cloudstack_test).
# usage: tools/run-tests.sh [extra pytest args]
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(id -u)
apt_install() {   # packages the tests need, when we may install them
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} = 0 ] && return 0
    [ "$ROOT" = 0 ] || { echo "missing packages: ${missing[*]} (run as root to install)"; return 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}
apt_install python3-venv postgresql qemu-utils rabbitmq-server tgt qemu-block-extra genisoimage || true
# libvirt-python (a test extra) builds against libvirt's headers. The libvirt
# functional tests run libvirtd, QEMU (TCG), dnsmasq and tgtd of their own in
# namespaces: bin/prepare-host installs them without starting the host's daemons.
if [ "$ROOT" = 0 ]; then
    bin/prepare-host --for-tests >/dev/null || echo "bin/prepare-host --for-tests failed"
else
    apt_install libvirt-dev pkg-config gcc libvirt-clients || true
fi
# the linuxbridge network driver's functional tests
apt_install dnsmasq-base iptables ebtables ipset conntrack busybox-static || true
apt_install openssh-client iputils-ping curl || true   # guests reached over SSH, pinged
apt_install slapd ldap-utils || true   # the LDAP identity backend
apt_install chromium chromium-driver || true   # the dashboard's browser tests
apt_install novnc || true   # noVNC's pages, served by Compute's console proxy

if [ ! -x .venv/bin/pytest ] || [ setup.cfg -nt .venv/.installed ]; then
    python3 -m venv .venv && .venv/bin/pip install -q --upgrade pip \
        && .venv/bin/pip install -q -e '.[test,dashboard]' && touch .venv/.installed \
        || { echo "could not install cloudstack into .venv"; exit 1; }
fi
PYTEST=(.venv/bin/python -m pytest -q -p no:cacheprovider "$@")
status=0

# PostgreSQL: a scratch database owned by the current user.
PG_URL=""
if [ "$ROOT" = 0 ] && command -v pg_lsclusters >/dev/null; then
    cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
    if [ -n "$cluster" ]; then
        pg_ctlcluster $cluster start 2>/dev/null || true
        su postgres -c "psql -qtc \"SELECT 1 FROM pg_roles WHERE rolname='root'\" | grep -q 1 \
            || createuser -s root" >/dev/null
        TEST_DB=${CLOUDSTACK_TEST_DB_NAME:-cloudstack_test}
        dropdb --if-exists "$TEST_DB" >/dev/null 2>&1; createdb "$TEST_DB"
        PG_URL="postgresql:///$TEST_DB?host=/var/run/postgresql"
    fi
fi

# The unit tests on SQLite and on PostgreSQL run side by side (one core each).
UNIT=$(mktemp -d /tmp/cloudstack-unit.XXXXXX)
"${PYTEST[@]}" --basetemp="$UNIT/sqlite" tests/unit > "$UNIT/sqlite.log" 2>&1 &
SQLITE_RUN=$!
if [ -n "$PG_URL" ]; then
    CLOUDSTACK_TEST_DB_URL=$PG_URL "${PYTEST[@]}" --basetemp="$UNIT/pg" tests/unit \
        > "$UNIT/pg.log" 2>&1 || status=1
fi
wait $SQLITE_RUN || status=1
echo "== unit tests (SQLite)"; cat "$UNIT/sqlite.log"
if [ -n "$PG_URL" ]; then
    echo "== unit tests (PostgreSQL)"; cat "$UNIT/pg.log"
else
    echo "== unit tests (PostgreSQL): skipped, no PostgreSQL cluster (run as root on Debian)"
fi
rm -rf "$UNIT"

echo "== functional tests"
# the libvirt tests' guest, built once from Debian packages (cached in ~/.cache/cloudstack)
.venv/bin/python tools/build-guest-image --quiet >/dev/null \
    || echo "could not build the test guest (the libvirt tests will skip)"
CLOUDSTACK_FUNCTIONAL_PG_URL=$PG_URL "${PYTEST[@]}" tests/functional || status=1
exit $status
