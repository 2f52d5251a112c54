#!/usr/bin/env bash
# One refresh engine (1.7), and a save never replaces a list with an older answer (1.6).
# A refresh by hand of two lists, one of them slow:
# - where the refresh worker serves the session, it refreshes them: the fast list is saved as soon
#   as its answer is in, while the slow one is still fetched, and the caller waits for both;
# - in a transaction block the session refreshes them itself and saves them once both are fetched:
#   the fast one's answer is in, waiting for the slow one, when the owner saves that list by hand.
#   The refresh's save of its older answer then leaves the owner's list in place and logs
#   "superseded". Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
fast=itunes:charts:mx-album
slow=itunes:charts:ar-album
q -c "SELECT tako_cache.tako_refresh_keys(ARRAY['$fast', '$slow'])" \
  -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key IN ('$fast', '$slow')" >/dev/null
wait_queue
expire() {
    q -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key IN ('$fast', '$slow')" >/dev/null
}
fresh() { q -c "SELECT expires_at > now() FROM tako_cache.discovery_cache WHERE cache_key = '$1'"; }

# The worker's path.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
$ctl fault '{"match": "/ar/rss/", "times": 1, "fault": {"delay_ms": 3000}}' >/dev/null
q -c "SELECT tako_cache.tako_refresh_keys(ARRAY['$fast', '$slow'])" >"$out" &
refresh=$!
sleep 1.5
check '[ "$(fresh "$fast")" = t ] && [ "$(fresh "$slow")" = f ] &&
       [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '"'SELECT tako_cache.tako_refresh_keys(ARRAY[''$fast''%'"' AND state = '"'active'"'")" = 1 ]' \
    "through the worker, the fast list is saved while the slow one is fetched and the caller waits"
wait "$refresh"
summary=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
print(r["total"], r["succeeded"], r["results"][0]["key"], r["results"][1]["items"])' "$out")
check '[ "$summary" = "2 2 $slow 2" ]' \
    "... then it has both results, in key order, as a session's refresh gives them ($summary)"
logged=$(q -c "SELECT string_agg(DISTINCT l.origin || ' ' || (l.pid = (tako_cache.tako_queue_stats()->>'worker_pid')::int), ',')
                 FROM (SELECT origin, pid FROM tako_cache.tako_refresh_log WHERE cache_key IN ('$fast', '$slow')
                        ORDER BY id DESC LIMIT 2) AS l")
check '[ "$(fresh "$slow")" = t ] && [ "$logged" = "manual true" ]' \
    "... both logged by the worker, with the origin manual ($logged)"

# A session's own path, in a transaction block.
expire
$ctl fault '{"match": "/ar/rss/", "times": 1, "fault": {"delay_ms": 3000}}' >/dev/null
q -c "BEGIN" -c "SELECT tako_cache.tako_refresh_keys(ARRAY['$fast', '$slow'])" -c "COMMIT" >/dev/null &
refresh=$!
sleep 1.5
check '[ "$(fresh "$fast")" = f ] &&
       [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '"'SELECT tako_cache.tako_refresh_keys(ARRAY[''$fast''%'"' AND state = '"'active'"'")" = 1 ]' \
    "in a transaction block the session refreshes both lists itself, the slow one still waiting"
# By hand: the list's first item only.
q -c "SELECT tako_save_cached('$fast', NULL, NULL, jsonb_build_array(data->0)) FROM tako_cache.discovery_cache WHERE cache_key = '$fast'" >/dev/null
wait "$refresh"
check '[ "$(q -c "SELECT total_results FROM tako_cache.discovery_cache WHERE cache_key = '"'$fast'"'")" = 1 ]' \
    "the list saved by hand while the refresh's older answer waited is kept"
outcome=$(q -c "SELECT outcome || ': ' || error FROM tako_cache.tako_refresh_log WHERE cache_key = '$fast' ORDER BY id DESC LIMIT 1")
check '[[ "$outcome" == "superseded: not saved: the list saved at "*" is newer than this answer"* ]]' \
    "... and the refresh says why ($outcome)"
check '[ "$(q -c "SELECT total_results || '"' '"' || (expires_at > now()) FROM tako_cache.discovery_cache WHERE cache_key = '"'$slow'"'")" = "2 true" ]' \
    "the slow list of the refresh is saved"
# A later answer does replace it.
check '[ "$(q -c "SELECT tako_refresh('"'$fast'"')->>'"'outcome'"'")" = ok ] &&
       [ "$(q -c "SELECT total_results FROM tako_cache.discovery_cache WHERE cache_key = '"'$fast'"'")" = 2 ]' \
    "an answer received after the save replaces it"
$ctl reset >/dev/null
echo "1..$n"
