#!/usr/bin/env bash
# pgTAP files (test/pgtap/*.sql) run by pg_prove on a fresh cluster; each assertion counts.
set -u
source "$(dirname "$0")/../lib/suite.sh"
source "$TAKO_ROOT/test/lib/cluster.sh"
cd "$TAKO_ROOT"

cluster_start pgtap --conf "cron.database_name = 'tako_tap'" --conf "tako_cache.database_name = 'tako_tap'" || {
    record_tally pgtap 0 1
    exit 1
}
trap cluster_stop EXIT
createdb tako_tap &&
    cluster_psql -d tako_tap -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION tako_cache CASCADE" &&
    cluster_wait_worker tako_tap || {
    record_tally pgtap 0 1
    exit 1
}

out=$(pg_prove -v -d tako_tap test/pgtap/*.sql 2>&1)
echo "$out" | grep -E '^not ok|^# |^test/|^Result' | grep -vE '^# +(Looks|Failed test)' | head -80
passed=$(echo "$out" | grep -cE '^ok [0-9]' || true)
failed=$(echo "$out" | grep -cE '^not ok [0-9]' || true)
# A file that dies or breaks its plan fails even when no single assertion did.
if echo "$out" | grep -q '^Result: FAIL' && [ "$failed" = 0 ]; then
    echo "$out" | tail -20
    failed=1
fi
record_tally pgtap "$passed" "$failed"
[ "$failed" = 0 ]
