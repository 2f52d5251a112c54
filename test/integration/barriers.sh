#!/usr/bin/env bash
# DROP DATABASE of another database never waits for upstream (1.5). DROP DATABASE waits until every
# backend has absorbed a procsignal barrier (closing the dropped database's files); a backend that
# absorbs them only between fetches made it wait for a whole slow fetch. A session's refresh and a
# miss fetched by the refresh worker both wait 6 s on the upstream here; meanwhile a database is
# created and dropped, within a second or two. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh

session_key=deezer:charts:albums
session_path=/deezer/chart/0/albums
miss_key=deezer:charts:tracks
miss_path=/deezer/chart/0/tracks
q -c "DROP DATABASE IF EXISTS tako_barrier" -c "DELETE FROM tako_cache.discovery_cache WHERE cache_key = '$miss_key'" >/dev/null
$ctl reset
$ctl fault '{"match": "'"$session_path"'", "fault": {"delay_ms": 6000}}'
$ctl fault '{"match": "'"$miss_path"'", "fault": {"delay_ms": 6000}}'

q -c "SELECT tako_refresh('$session_key')->>'status'" >/tmp/tako_barrier_session.$$ 2>&1 &
session=$!
q -c "SELECT tako_discover('$miss_key')->'meta'->>'cached'" >/tmp/tako_barrier_miss.$$ 2>&1 &
miss=$!
# Both requests have reached the upstream.
for _ in $(seq 1 100); do
    [ "$(count_requests "$session_path")" = 1 ] && [ "$(count_requests "$miss_path")" = 1 ] && break
    sleep 0.05
done
check '[ "$(count_requests "$session_path")" = 1 ] && [ "$(count_requests "$miss_path")" = 1 ]' \
    "a session's refresh and the worker's fetch of a miss are both waiting on the upstream"

t0=$(ms)
q -c "CREATE DATABASE tako_barrier" -c "DROP DATABASE tako_barrier" >/dev/null 2>&1
status=$?
elapsed=$(($(ms) - t0))
check '[ $status = 0 ] && [ $elapsed -lt 2500 ]' \
    "CREATE and DROP DATABASE meanwhile take $elapsed ms, not the 6 s of the fetches (status $status)"
wait $session $miss
check '[ "$(cat /tmp/tako_barrier_session.$$)" = ok ] && [ "$(cat /tmp/tako_barrier_miss.$$)" = false ]' \
    "... and both fetches end well: the refresh ($(cat /tmp/tako_barrier_session.$$)), the miss (cached: $(cat /tmp/tako_barrier_miss.$$))"
rm -f /tmp/tako_barrier_session.$$ /tmp/tako_barrier_miss.$$
$ctl reset >/dev/null
echo "1..$n"
