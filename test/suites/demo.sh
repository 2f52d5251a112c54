#!/usr/bin/env bash
# `make demo` as a user runs it (scripts/demo.sh, offline upstream), in a directory of its own so a
# demo you have running is left alone: it must fill every warm key, serve a hit, show the stats, run
# again on the running cluster, and `--stop` must stop the server and the upstream.
set -u
source "$(dirname "$0")/../lib/suite.sh"
cd "$TAKO_ROOT"

suite=demo
passed=0
failed=0

# The demo empties its directory when it creates the cluster: the logs live beside it.
work=$(mktemp -d /tmp/tako_cache.demo-test.XXXXXX)
chmod 755 "$work"
dir=$work/demo
log=$work/demo.log
# The offline upstream, whatever the caller's environment holds.
demo() {
    env -u TMDB_API_KEY -u RAWG_API_KEY -u IGDB_CLIENT_ID -u IGDB_CLIENT_SECRET \
        TAKO_DEMO_DIR="$dir" bash scripts/demo.sh "$@"
}

demo >"$log" 2>&1
rc=$?
check "make demo exits 0" test "$rc" = 0
# The fill line of psql's aligned output: lists | succeeded | failed | duration_ms.
check "every warm key is filled, none failed" \
    grep -Eq '^ *([0-9]+) *\| *\1 *\| *0 *\| *[0-9]+ *$' "$log"
check "one row of items per provider" \
    bash -c "grep -A10 -- '-- a few items of each provider' '$log' | grep -q '(6 rows)'"
check "the hit shows five items" \
    bash -c "grep -A10 -- '-- a hit: tako_get_cached' '$log' | grep -q '(5 rows)'"
check "tako_discover's hit is Tako's TMDB envelope, served from the cache" \
    bash -c "grep -A4 -- 'tako_discover(key), a hit' '$log' | grep -Eq 'tmdb +\| trending +\| trending-movie-week +\| [0-9]+ +\| 20 +\| .*\| true +\| 20[0-9-]+T'"
check "a miss is fetched (cached false), the next call is a hit (cached true)" \
    bash -c "grep -A12 -- 'a miss that fills' '$log' | grep -E 'itunes:charts:de-song' | tr -s ' ' | tr '\n' ' ' | grep -q 'de-song | false .*de-song | true'"
check "the pg_cron jobs are listed" \
    bash -c "grep -A40 -- 'installs these pg_cron jobs' '$log' | grep -q '(32 rows)'"
check "the hit's item count is shown" \
    bash -c "grep -A3 'items_in_hit' '$log' | grep -Eq '^ *[1-9][0-9]* *$'"
check "the stats are shown" grep -q '"total_entries"' "$log"
check "no error on the way" bash -c "test -s '$log' && ! grep -Eq 'ERROR|FATAL' '$log'"
if [ "$rc" != 0 ] || [ "$failed" != 0 ]; then
    sed 's/^/    /' "$log" | tail -40
fi

demo >"$log.again" 2>&1
check "make demo runs again on the running cluster" test $? = 0

demo --stop >"$log.stop" 2>&1
check "make demo-stop exits 0" test $? = 0
check "the server is stopped" test ! -e "$dir/data/postmaster.pid"
check "the offline upstream is stopped" test ! -e "$dir/upstream.pid"
# (The pattern's first character in brackets: it does not match the command line of pgrep's shell.)
check "... no process of the demo is left" bash -c "! pgrep -f -- '[${dir:0:1}]${dir:1}' >/dev/null"

rm -rf "$work"
record_tally "$suite" "$passed" "$failed"
[ "$failed" = 0 ]
