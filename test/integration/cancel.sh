#!/usr/bin/env bash
# Transfers are cancellable (docs/errors.md): a refresh stuck on a hanging upstream, or waiting out a
# Retry-After, stops within about a second of pg_cancel_backend or statement_timeout, with SQLSTATE
# 57014, leaves the data as it was, and the session goes on. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh

key=deezer:charts:artists
check '[ "$(q -c "SELECT tako_refresh('"'$key'"')->>'"'status'"'")" = ok ]' "baseline: $key refreshed"
before=$(q -c "SELECT md5(data::text) FROM tako_cache.discovery_cache WHERE cache_key = '$key'")
$ctl fault '{"match": "/deezer/chart/0/artists", "fault": {"hang": true}}'

# statement_timeout on a hanging transfer.
t0=$(ms)
out=$(psql -X -q -At -v VERBOSITY=verbose -c "SET tako_cache.http_timeout_ms = 600000" \
      -c "SET statement_timeout = '1s'" -c "SELECT tako_refresh('$key')" -c "SELECT 'still alive'" 2>&1)
elapsed=$(($(ms) - t0))
check '[[ $out == *"57014: canceling statement due to statement timeout"* ]]' \
    "statement_timeout stops a refresh on a hanging upstream with 57014"
check '[ $elapsed -lt 2500 ]' "... about a second after the 1 s timeout (took ${elapsed} ms)"
check '[[ $out == *"still alive"* ]]' "... and the session goes on"

# pg_cancel_backend on a hanging transfer, from another session.
cancel_after_start() {  # cancel_after_start APPNAME SQL → sets out and elapsed (ms from cancel to exit)
    local app=$1 sql=$2 file
    file=$(mktemp)
    PGAPPNAME=$app psql -X -q -At -v VERBOSITY=verbose -c "SET tako_cache.http_timeout_ms = 600000" \
        -c "SET tako_cache.retry_after_max_ms = 600000" -c "$sql" -c "SELECT 'still alive'" >"$file" 2>&1 &
    local pid=$!
    # Wait until the backend is inside the statement (and the upstream has the request).
    for _ in $(seq 1 100); do
        [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$app' AND state = 'active'")" = 1 ] && break
        sleep 0.05
    done
    sleep 0.5
    # From the moment the cancel is sent (pg_cancel_backend has returned): the canceller's own
    # start (a psql, through the root's wrapper for 17 and 18) is not the cache's to answer for.
    local t0
    q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = '$app'" >/dev/null
    t0=$(ms)
    wait $pid
    elapsed=$(($(ms) - t0))
    out=$(cat "$file")
    rm -f "$file"
}

cancel_after_start tako_cancel_refresh "SELECT tako_refresh('$key')"
check '[[ $out == *"57014: canceling statement due to user request"* ]]' \
    "pg_cancel_backend stops a refresh on a hanging upstream with 57014"
check '[ $elapsed -lt 1500 ]' "... within about a second (took ${elapsed} ms)"
check '[[ $out == *"still alive"* ]]' "... and the session goes on"

cancel_after_start tako_cancel_fetch "SELECT tako_cache.tako_fetch('$key')"
check '[[ $out == *"57014: canceling statement due to user request"* ]]' "pg_cancel_backend stops tako_cache.tako_fetch too"
check '[ $elapsed -lt 1500 ]' "... within about a second (took ${elapsed} ms)"

# A refresh waiting out a long Retry-After before its next attempt is cancellable as well.
$ctl reset
$ctl fault '{"match": "/deezer/chart/0/artists", "fault": {"status": 503, "headers": {"Retry-After": "120"}}}'
cancel_after_start tako_cancel_backoff "SELECT tako_refresh('$key')"
check '[[ $out == *"57014: canceling statement due to user request"* ]]' \
    "pg_cancel_backend stops a refresh waiting out Retry-After: 120"
check '[ $elapsed -lt 1500 ]' "... within about a second (took ${elapsed} ms)"

# Nothing was lost.
$ctl reset
after=$(q -c "SELECT md5(data::text) FROM tako_cache.discovery_cache WHERE cache_key = '$key'")
check '[ -n "$before" ] && [ "$before" = "$after" ]' "the data of $key is what it was before the cancels"
check '[ "$(q -c "SELECT json_array_length(tako_get_cached('"'$key'"'))")" = 10 ]' "... and is still served"
check '[ "$(q -c "SELECT tako_refresh('"'$key'"')->>'"'status'"'")" = ok ]' "the next refresh succeeds"
echo "1..$n"
