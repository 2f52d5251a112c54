#!/usr/bin/env bash
# Integration tests against the test upstream (test/upstream): a fresh cluster whose provider base
# URLs and keys point at it. pgTAP files (test/integration/*.sql, run by pg_prove; each assertion
# counts) and shell tests (test/integration/*.sh, TAP output; each "ok" counts).
# IT_ONLY="discover.sql upgrade.sh" runs only those files (while iterating); IT_VERBOSE=1 prints
# every line of their TAP output, not only the failures.
set -u
source "$(dirname "$0")/../lib/suite.sh"
source "$TAKO_ROOT/test/lib/cluster.sh"
source "$TAKO_ROOT/test/lib/upstream.sh"
cd "$TAKO_ROOT"

upstream_start >/dev/null || { record_tally integration 0 1; exit 1; }
conf_args=()
while IFS= read -r line; do conf_args+=(--conf "$line"); done < <(upstream_conf_lines)
cluster_start integration --conf "cron.database_name = 'tako_it'" --conf "tako_cache.database_name = 'tako_it'" "${conf_args[@]}" || {
    upstream_stop
    record_tally integration 0 1
    exit 1
}
trap 'cluster_stop; upstream_stop' EXIT
export PGDATABASE=tako_it
createdb tako_it && cluster_psql -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION tako_cache CASCADE" &&
    cluster_wait_worker tako_it || {
    record_tally integration 0 1
    exit 1
}

passed=0
failed=0
count() {  # TAP text on stdin → adds to passed/failed, prints failures
    local out=$1
    [ -z "${IT_VERBOSE:-}" ] || echo "$out"
    echo "$out" | grep -E '^not ok|^# ' | grep -vE '^# +(Looks like)' | head -60
    passed=$((passed + $(echo "$out" | grep -cE '^ok [0-9]')))
    failed=$((failed + $(echo "$out" | grep -cE '^not ok [0-9]')))
}

only() { [ -z "${IT_ONLY:-}" ] || [[ " $IT_ONLY " == *" $(basename "$1") "* ]]; }
for file in test/integration/*.sql; do
    only "$file" || continue
    echo "-- $file"
    out=$(upstream_reset >/dev/null; pg_prove -v "$file" 2>&1)
    count "$out"
    if echo "$out" | grep -q '^Result: FAIL' && ! echo "$out" | grep -q '^not ok'; then
        echo "$out" | tail -15
        failed=$((failed + 1))
    fi
done
for file in test/integration/*.sh; do
    [ -e "$file" ] || continue
    only "$file" || continue
    echo "-- $file"
    upstream_reset >/dev/null
    out=$(bash "$file" 2>&1)
    status=$?
    count "$out"
    if [ $status != 0 ] && ! echo "$out" | grep -q '^not ok'; then
        echo "$out" | tail -15
        failed=$((failed + 1))
    fi
done
record_tally integration "$passed" "$failed"
[ "$failed" = 0 ]
