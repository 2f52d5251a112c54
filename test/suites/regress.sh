#!/usr/bin/env bash
# pg_regress (test/regress/sql/*.sql against test/regress/expected/*.out) on a fresh cluster with pg_cron and tako_cache
# preloaded.
set -u
source "$(dirname "$0")/../lib/suite.sh"
source "$TAKO_ROOT/test/lib/cluster.sh"
source "$TAKO_ROOT/test/lib/deps.sh"
cd "$TAKO_ROOT"

cluster_start regress --conf "cron.database_name = 'contrib_regression'" --conf "tako_cache.database_name = 'contrib_regression'" || {
    record_tally regress 0 1
    exit 1
}
trap cluster_stop EXIT

# PG=17/18: pg_regress of that version, in its root, from the copy of the sources (pg_make_dir).
out=$(pg_make -s installcheck 2>&1)
echo "$out" | grep -E '^(test |ok |not ok |     )|tests (passed|failed)' 
passed=$(echo "$out" | grep -cE '^(test|ok) .*(\.\.\. ok|^ok )' || true)
passed=$(echo "$out" | grep -E '^test ' | grep -c ' \.\.\. ok' || true)
failed=$(echo "$out" | grep -E '^test ' | grep -c ' \.\.\. FAILED' || true)
# PostgreSQL 16 and later: pg_regress prints TAP ("ok 1 - 01_install", "not ok 5 - 05_settings").
passed=$((passed + $(echo "$out" | grep -cE '^ok [0-9]+ ' || true)))
failed=$((failed + $(echo "$out" | grep -cE '^not ok [0-9]+ ' || true)))
if [ "$failed" != 0 ] && [ -f "$(pg_make_dir)/test/regress/regression.diffs" ]; then
    head -200 "$(pg_make_dir)/test/regress/regression.diffs"
fi
if [ $((passed + failed)) = 0 ]; then
    echo "$out" | tail -30
    failed=1
fi
record_tally regress "$passed" "$failed"
[ "$failed" = 0 ]
