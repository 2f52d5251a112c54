#!/usr/bin/env bash
# The refresh worker saves each list as soon as its answer is in (1.6): a slow key of a batch holds
# no other list, and a cold Jikan list Tako enriches is saved (and its readers answered) before
# the pictures of its anime, which are written in when they come; a miss joins the fetch under
# way (1.7). Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
fast=itunes:charts:ca-album
slow=itunes:charts:au-album
q -c "SELECT tako_cache.tako_refresh_keys(ARRAY['$fast', '$slow'])" \
  -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key IN ('$fast', '$slow')" >/dev/null
wait_queue
$ctl fault '{"match": "/au/rss/", "times": 1, "fault": {"delay_ms": 4000}}' >/dev/null
# One transaction: both refreshes are queued at its commit and taken in one batch.
q -c "SELECT count(tako_discover(k)) FROM unnest(ARRAY['$fast', '$slow']) AS k" >/dev/null
sleep 2
check '[ "$(q -c "SELECT count(*) FROM tako_cache.tako_refresh_log WHERE cache_key = '"'$slow'"' AND origin = '"'stale'"' AND outcome = '"'running'"'")" = 1 ]' \
    "the slow list of the batch is still being fetched"
check '[ "$(q -c "SELECT (expires_at > now()) || '"' '"' || last_refresh_status FROM tako_cache.discovery_cache WHERE cache_key = '"'$fast'"'")" = "true ok" ] &&
       [ "$(q -c "SELECT outcome FROM tako_cache.tako_refresh_log WHERE cache_key = '"'$fast'"' ORDER BY id DESC LIMIT 1")" = ok ]' \
    "... the fast one is saved already"
wait_queue
check '[ "$(q -c "SELECT expires_at > now() FROM tako_cache.discovery_cache WHERE cache_key = '"'$slow'"'")" = t ]' \
    "the slow one is saved when its answer comes"
$ctl reset >/dev/null

# A miss while the worker fetches a slow list (1.7): it joins the fetch under way at once, not
# after it.
miss=itunes:charts:de-album
q -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key = '$slow'" \
  -c "DELETE FROM tako_cache.discovery_cache WHERE cache_key = '$miss'" >/dev/null
$ctl fault '{"match": "/au/rss/", "times": 1, "fault": {"delay_ms": 4000}}' >/dev/null
q -c "SELECT tako_discover('$slow')" >/dev/null  # stale: its refresh is queued
sleep 1
started=$(ms)
served=$(q -c "SELECT json_array_length(tako_discover('$miss')->'data')")
took=$(($(ms) - started))
running=$(q -c "SELECT count(*) FROM tako_cache.tako_refresh_log WHERE cache_key = '$slow' AND outcome = 'running'")
check '[ "$served" -gt 0 ] && [ "$took" -lt 1500 ] && [ "$running" = 1 ]' \
    "a miss while the worker fetches a slow list (4 s) is served in $took ms, the slow one still fetched"
wait_queue
check '[ "$(q -c "SELECT origin FROM tako_cache.tako_refresh_log WHERE cache_key = '"'$miss'"' ORDER BY id DESC LIMIT 1")" = miss ] &&
       [ "$(q -c "SELECT expires_at > now() FROM tako_cache.discovery_cache WHERE cache_key = '"'$slow'"'")" = t ]' \
    "... fetched by the worker (origin miss), and the slow list saved when its answer came"
$ctl reset >/dev/null

# A cold Jikan list Tako enriches: its pictures come slowly (each 2 s).
cold=jikan:top:movie
q -c "DELETE FROM tako_cache.tako_jikan_pictures" -c "DELETE FROM tako_cache.discovery_cache WHERE cache_key = '$cold'" >/dev/null
since=$(q -c "SELECT now()")  # other files refresh this key too
$ctl fault '{"match": "/pictures", "fault": {"delay_ms": 2000}}' >/dev/null
started=$(ms)
envelope=$(q -c "SELECT tako_discover('$cold')")
took=$(($(ms) - started))
items=$(echo "$envelope" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]))')
nulls=$(echo "$envelope" | python3 -c 'import json, sys; d = json.load(sys.stdin)["data"]; print(sum(1 for i in d if i["details"].get("backdrop", "missing") is None))')
check '[ "$items" -gt 0 ] && [ "$nulls" = "$items" ] && [ "$took" -lt 2000 ]' \
    "a miss of $cold is served in $took ms, before any picture came (each takes 2 s): $nulls of its $items backdrops null"
filled=0
for _ in $(seq 1 300); do
    filled=$(q -c "SELECT count(*) FILTER (WHERE i->'details'->>'backdrop' LIKE 'https://%') FROM tako_cache.discovery_cache, jsonb_array_elements(data) AS i WHERE cache_key = '$cold'")
    [ "$filled" = "$items" ] && break
    sleep 0.1
done
check '[ "$filled" = "$items" ]' "... the pictures are written in when they come ($filled of $items backdrops)"
check '[ "$(q -c "SELECT refresh_count || '"' '"' || (SELECT count(*) FROM tako_cache.tako_jikan_pictures) FROM tako_cache.discovery_cache WHERE cache_key = '"'$cold'"'")" = "0 $items" ]' \
    "... which is not another refresh of the list (refresh_count 0), and they are kept for the next one"
check '[ "$(q -c "SELECT count(*) FROM tako_cache.tako_refresh_log WHERE cache_key = '"'$cold'"' AND started_at >= '"'$since'"'")" = 1 ]' \
    "... one refresh in the log"
$ctl reset >/dev/null
echo "1..$n"
