#!/usr/bin/env bash
# A save never replaces a list with an older answer (1.6). A refresh by hand of two lists, one of
# them slow (a session saves its lists once they are all fetched): the fast one's answer is in,
# waiting for the slow one, when the owner saves that list by hand. The refresh's save of its older
# answer then leaves the owner's list in place and logs "superseded". Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
fast=itunes:charts:mx-album
slow=itunes:charts:ar-album
q -c "SELECT tako_refresh_keys(ARRAY['$fast', '$slow'])" \
  -c "UPDATE discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key IN ('$fast', '$slow')" >/dev/null
wait_queue
$ctl fault '{"match": "/ar/rss/", "times": 1, "fault": {"delay_ms": 3000}}' >/dev/null
q -c "SELECT tako_refresh_keys(ARRAY['$fast', '$slow'])" >/dev/null &
refresh=$!
sleep 1.5
check '[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '"'SELECT tako_refresh_keys(ARRAY[''$fast''%'"' AND state = '"'active'"'")" = 1 ]' \
    "the refresh fetches both lists, the slow one still waiting"
# By hand: the list's first item only.
q -c "SELECT tako_save_cached('$fast', NULL, NULL, jsonb_build_array(data->0)) FROM discovery_cache WHERE cache_key = '$fast'" >/dev/null
wait "$refresh"
check '[ "$(q -c "SELECT total_results FROM discovery_cache WHERE cache_key = '"'$fast'"'")" = 1 ]' \
    "the list saved by hand while the refresh's older answer waited is kept"
outcome=$(q -c "SELECT outcome || ': ' || error FROM tako_refresh_log WHERE cache_key = '$fast' ORDER BY id DESC LIMIT 1")
check '[[ "$outcome" == "superseded: not saved: the list saved at "*" is newer than this answer"* ]]' \
    "... and the refresh says why ($outcome)"
check '[ "$(q -c "SELECT total_results || '"' '"' || (expires_at > now()) FROM discovery_cache WHERE cache_key = '"'$slow'"'")" = "2 true" ]' \
    "the slow list of the refresh is saved"
# A later answer does replace it.
check '[ "$(q -c "SELECT tako_refresh('"'$fast'"')->>'"'outcome'"'")" = ok ] &&
       [ "$(q -c "SELECT total_results FROM discovery_cache WHERE cache_key = '"'$fast'"'")" = 2 ]' \
    "an answer received after the save replaces it"
$ctl reset >/dev/null
echo "1..$n"
