#!/usr/bin/env bash
# Run OpenStack Tempest against a cloudstack deployment (or any Keystone v3 cloud).
#
# usage: tools/run-tempest.sh SUBSET RESULTS_DIR [options]
#   SUBSET       identity | image | object-storage | compute | volume | network | all | regex:RE
#   RESULTS_DIR  gets tempest.subunit, console.log, tempest.log, tempest.conf (password
#                hidden), selected-tests.txt, failed-tests.txt, summary.txt, summary.json
# options:
#   --data-dir DIR     credentials from DIR/openrc (written by cloudstack); else the OS_* env
#   --concurrency N    parallel test workers (default 2)
#   --exclude RE       skip the tests matching RE
#   --extra-conf FILE  ini whose options override the generated tempest.conf (repeatable;
#                      later files win)
#   --timeout SECONDS  stop the run after this long (default 7200)
#   --no-fail          exit 0 even when tests failed or none ran
# env: TEMPEST_VENV (default ${BENCH:-$HOME/bench}/tempest/venv, created with Tempest 47.0.0
#      when missing), OS_TEST_TIMEOUT (seconds per test, default 600).
# The last line printed is `N passed, M failed, K skipped`. Exit status: 0 when every
# selected test passed or skipped and at least one ran, 1 otherwise, 2 when Tempest could
# not be set up or run.
set -uo pipefail

TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEMPEST_VENV=${TEMPEST_VENV:-${BENCH:-$HOME/bench}/tempest/venv}
TEMPEST_VERSION=47.0.0

usage() { awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0" >&2; exit 2; }
die() { echo "run-tempest: $*" >&2; exit 2; }

[ $# -ge 2 ] || usage
SUBSET=$1 RESULTS=$2; shift 2
DATA_DIR="" CONCURRENCY=2 EXCLUDE="" EXTRA_CONF=() TIMEOUT=7200 NO_FAIL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir)    DATA_DIR=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --exclude)     EXCLUDE=$2; shift 2 ;;
    --extra-conf)  EXTRA_CONF+=(--extra-conf "$(readlink -f "$2")"); shift 2 ;;
    --timeout)     TIMEOUT=$2; shift 2 ;;
    --no-fail)     NO_FAIL=1; shift ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done

case "$SUBSET" in
  identity|image|compute|volume|network) REGEX="^tempest\\.api\\.$SUBSET\\." ;;
  object-storage) REGEX='^tempest\.api\.object_storage\.' ;;
  all)            REGEX='^tempest\.api\.' ;;
  regex:?*)       REGEX=${SUBSET#regex:} ;;
  *) echo "unknown subset: $SUBSET" >&2; usage ;;
esac

if [ -n "$DATA_DIR" ]; then
  [ -r "$DATA_DIR/openrc" ] || die "no $DATA_DIR/openrc (is it a cloudstack data dir?)"
  set -a; . "$DATA_DIR/openrc"; set +a
fi
for var in OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME; do
  [ -n "${!var:-}" ] || die "$var is not set: give --data-dir DIR or export the OS_* variables"
done

mkdir -p "$RESULTS" && RESULTS=$(readlink -f "$RESULTS") || die "cannot create $RESULTS"

if [ ! -x "$TEMPEST_VENV/bin/tempest" ]; then
  echo "installing tempest $TEMPEST_VERSION into $TEMPEST_VENV"
  { python3 -m venv "$TEMPEST_VENV" && "$TEMPEST_VENV/bin/pip" install "tempest==$TEMPEST_VERSION"; } \
    > "$RESULTS/tempest-install.log" 2>&1 \
    || { tail -n 5 "$RESULTS/tempest-install.log"; die "could not install tempest, see above"; }
fi
PY=$TEMPEST_VENV/bin/python
TEMPEST_PKG=$("$PY" -c 'import os, tempest; print(os.path.dirname(tempest.__file__))') \
  || die "tempest is not importable in $TEMPEST_VENV"

# A private workspace: no `tempest init`, nothing left in ~/.tempest.
WORKSPACE=$(mktemp -d "${TMPDIR:-/tmp}/run-tempest.XXXXXX")
trap 'rm -rf "$WORKSPACE"' EXIT
cat > "$WORKSPACE/.stestr.conf" <<EOF
[DEFAULT]
test_path=$TEMPEST_PKG/test_discover
top_dir=$TEMPEST_PKG
group_regex=([^\.]*\.)*
EOF

CONF_ARGS=("$WORKSPACE" "${EXTRA_CONF[@]}")
SERVICES=$("$PY" "$TOOLS/tempest/write_conf.py" "${CONF_ARGS[@]}") \
  || die "could not write tempest.conf for $OS_AUTH_URL (see above)"
CONF=$WORKSPACE/etc/tempest.conf
sed -E 's/^(admin_password *= *).*/\1***/' "$CONF" > "$RESULTS/tempest.conf"

cd "$WORKSPACE" || die "cannot enter $WORKSPACE"
"$TEMPEST_VENV/bin/stestr" init > /dev/null || die "stestr init failed"
FILTER=(--regex "$REGEX"); [ -n "$EXCLUDE" ] && FILTER+=(--exclude-regex "$EXCLUDE")
"$TEMPEST_VENV/bin/tempest" run --config-file "$CONF" --list-tests "${FILTER[@]}" \
  2> "$RESULTS/list.log" | grep -E '^[a-z_]+\.[A-Za-z0-9_.]+' > "$RESULTS/selected-tests.txt"
SELECTED=$(wc -l < "$RESULTS/selected-tests.txt")
echo "tempest $TEMPEST_VERSION against $OS_AUTH_URL; services: $SERVICES"
echo "subset $SUBSET: $SELECTED tests, concurrency $CONCURRENCY"
[ "$SELECTED" -gt 0 ] || echo "no test matches $REGEX ${EXCLUDE:+less $EXCLUDE }(see list.log)"

STARTED=$(date +%s)
OS_TEST_TIMEOUT=${OS_TEST_TIMEOUT:-600} timeout --kill-after=30 "$TIMEOUT" \
  "$TEMPEST_VENV/bin/tempest" run --config-file "$CONF" --concurrency "$CONCURRENCY" \
  "${FILTER[@]}" > "$RESULTS/console.log" 2>&1
RUN_RC=$?
[ "$RUN_RC" = 124 ] && echo "tempest run stopped after the ${TIMEOUT}s timeout"
"$TEMPEST_VENV/bin/stestr" last --subunit > "$RESULTS/tempest.subunit" 2> /dev/null
cp "$WORKSPACE/tempest.log" "$RESULTS/" 2> /dev/null
echo "ran in $(( $(date +%s) - STARTED )) s; results in $RESULTS"

"$PY" "$TOOLS/tempest/summarize.py" "$RESULTS/tempest.subunit" "$RESULTS/selected-tests.txt" \
  --json "$RESULTS/summary.json" --failed "$RESULTS/failed-tests.txt" > "$RESULTS/summary.txt" \
  || { tail -n 20 "$RESULTS/summary.txt" "$RESULTS/console.log"; die "could not read the results"; }
cat "$RESULTS/summary.txt"

read -r PASSED FAILED <<< "$(tail -n 1 "$RESULTS/summary.txt" | awk '{print $1, $3}')"
if [ "$NO_FAIL" = 0 ] && { [ "$FAILED" -gt 0 ] || [ "$PASSED" -eq 0 ]; }; then
  exit 1
fi
exit 0
