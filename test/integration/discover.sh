#!/usr/bin/env bash
# tako_discover under concurrency (docs/read-and-refresh.md): 20 sessions asking for a missing key make exactly one
# upstream request and all get its result; an expired entry is served stale at once while the
# refresh worker refreshes it; 20 sessions asking for a failing key still make one request. Prints
# TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Keys no other test uses, and their upstream paths.
missing=jikan:top:movie:sfw
missing_path='/jikan/top/anime?page=1&limit=25&sfw=true&filter=bypopularity&type=movie'
expired=jikan:upcoming:tv:sfw
expired_path='/jikan/seasons/upcoming?page=1&limit=25&sfw=true&filter=tv'
failing=jikan:trending:music:nsfw
failing_path='/jikan/seasons/now?page=1&limit=25&sfw=false&filter=music'
psql -X -q -c "DELETE FROM tako_cache.discovery_cache WHERE cache_key IN ('$missing', '$expired', '$failing')"

# 20 sessions, one missing key, a slow upstream (so that all of them arrive during the fetch).
new_keys() { q -c "SELECT new_keys_this_hour FROM tako_cache.tako_provider_health() WHERE provider = 'jikan'"; }
new_keys_before=$(new_keys)
$ctl reset
$ctl fault '{"match": "'"$missing_path"'", "fault": {"delay_ms": 1500}}'
for i in $(seq 1 20); do
    psql -X -q -At -c "SELECT (d->>'success') || ' ' || (d->'meta'->>'cached') || ' ' || (d->>'count')
                         FROM tako_discover('$missing') AS d" >"$dir/miss.$i" 2>&1 &
done
wait
check '[ "$(count_requests "$missing_path")" = 1 ]' \
    "20 concurrent tako_discover calls on a missing key make exactly one upstream request"
check '[ "$(cat "$dir"/miss.* | grep -c "^true .* 25$")" = 20 ]' "... and all 20 get its 25 items"
check '[ "$(cat "$dir"/miss.* | grep -c "^true false 25$")" = 1 ] && [ "$(cat "$dir"/miss.* | grep -c "^true true 25$")" = 19 ]' \
    "... one fetched them, 19 were served what it saved"
new_keys_spent=$(($(new_keys) - new_keys_before))
check '[ "$new_keys_spent" = 1 ]' "... and they spent one new key of Jikan's hour between them ($new_keys_spent)"

# An expired entry being refreshed by one session is served stale to the others at once.
psql -X -q -At -c "SELECT tako_refresh('$expired')->>'status'" >/dev/null
psql -X -q -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key = '$expired'"
$ctl reset
$ctl fault '{"match": "'"$expired_path"'", "fault": {"delay_ms": 3000}}'
psql -X -q -At -c "SELECT d->'meta'->>'cached' FROM tako_discover('$expired') AS d" >"$dir/leader" 2>&1 &
leader=$!
sleep 0.7
# The statement's own time (psql's \timing): the connection's start is not the read's.
out=$(psql -X -q -At -c '\timing on' -c "SELECT (d->'meta'->>'stale') || ' ' || (d->>'count') FROM tako_discover('$expired') AS d" 2>&1)
other=$(echo "$out" | grep -v '^Time: ')
elapsed=$(echo "$out" | statement_ms)
wait $leader
check '[ "$other" = "true 25" ]' "an expired entry being refreshed elsewhere is served stale (meta.stale = true)"
check '[ $elapsed -lt 1000 ]' "... at once (${elapsed} ms, while the refresh takes 3 s)"
check '[ "$(cat "$dir/leader")" = true ]' "... the first reader too: the refresh worker refreshes it, nobody waits"
fresh=0
for _ in $(seq 1 100); do
    [ "$(q -c "SELECT expires_at > now() FROM tako_cache.discovery_cache WHERE cache_key = '$expired'")" = t ] && { fresh=1; break; }
    sleep 0.1
done
check '[ $fresh = 1 ]' "... and the entry is fresh again once the worker's refresh is done"
check '[ "$(count_requests "$expired_path")" = 1 ]' "... one upstream request in all"

# 20 sessions, one missing key, a failing upstream: still one request, 20 errors. (One attempt per
# request: the server's setting, which the refresh worker follows.)
q -c "ALTER SYSTEM SET tako_cache.retry_attempts = 1" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
$ctl reset
$ctl fault '{"match": "'"$failing_path"'", "fault": {"status": 503, "delay_ms": 1000}}'
for i in $(seq 1 20); do
    psql -X -q -At -v VERBOSITY=sqlstate -c "SELECT tako_discover('$failing')" >"$dir/fail.$i" 2>&1 &
done
wait
q -c "ALTER SYSTEM RESET tako_cache.retry_attempts" -c "SELECT pg_reload_conf()" >/dev/null
check '[ "$(count_requests "$failing_path")" = 1 ]' \
    "20 concurrent calls on a missing key whose upstream fails make one request"
check '[ "$(cat "$dir"/fail.* | grep -c "ERROR:  08000")" = 20 ]' "... and each gets the error (08000)"
echo "1..$n"
