#!/usr/bin/env bash
# No unprivileged caller can stall the cache (1.5). A role with PUBLIC's grants only calls every
# function PUBLIC may execute inside one transaction it keeps open, and holds the advisory locks
# 1.4 relied on for the hit flush and the single flight of lists it read (pg_advisory_lock is
# PUBLIC's and their keys are predictable), the one of a miss among them. Meanwhile the
# owner's saves, refreshes, a pg_cron slot's procedure, the hit flush and the daily purge, a miss
# and a stale read of another PUBLIC-only role all finish, each within a second. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
cached=deezer:charts:albums   # read by the hostile role
stale=deezer:charts:artists   # expired, read by the hostile role and later by a reader
miss=itunes:charts:gb-album   # not cached (no other file fails it)
q -c "SELECT tako_cache.tako_refresh_keys(ARRAY['$cached', '$stale'])" \
  -c "DELETE FROM tako_cache.discovery_cache WHERE cache_key = '$miss'" \
  -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key = '$stale'" \
  -c "DROP ROLE IF EXISTS stall_hostile" -c "DROP ROLE IF EXISTS stall_reader" \
  -c "CREATE ROLE stall_hostile LOGIN" -c "CREATE ROLE stall_reader LOGIN" >/dev/null
wait_queue

# The hostile session: each call in a savepoint of its own (a call refused with 42501 leaves the
# transaction open), then its locks, then it sleeps with all of it held.
hostile_sql() {
    cat <<SQL
\\set ON_ERROR_ROLLBACK on
BEGIN;
SELECT tako_get_cached('$cached'), tako_get_cached('$stale');
SELECT tako_discover('$cached'), tako_discover('$stale');
SELECT tako_cache_stats();
SELECT tako_cache.tako_cache_stats_public();
SELECT tako_cache_key('tmdb', 'popular', 'tv'), tako_canonical_key('deezer:charts'), tako_parse_key('$cached'),
       tako_cache.tako_key_info('$cached'), tako_cache.tako_families(), tako_validate_items('[]');
SELECT tako_normalize('deezer', 'charts', '{"data": []}');
SELECT tako_cache.tako_envelope('$cached', '[]', '{}', now(), now() + interval '1 hour', true, false, NULL);
SELECT tako_cache.tako_cron_is_1_5(), tako_cache.tako_cron_timezone(), tako_cache.tako_next_run('0 2 * * *', now());
SELECT tako_cache.tako_cron_time('02:00', 'tmdb', 'trending', now());
SELECT tako_cache.tako_require_canonical_key('$cached'), tako_cache.tako_require_platforms('$cached');
SELECT tako_cache.tako_require_pg_cron();
SELECT tako_cache.tako_schedule_commands();
SELECT * FROM tako_schedule_plan(now());
SELECT count(*) FROM tako_cache.discovery_cache;
LOCK TABLE tako_cache.discovery_cache IN ACCESS SHARE MODE;
SELECT pg_advisory_lock(hashtext('tako_cache'), 0), pg_advisory_xact_lock(hashtext('tako_cache'), 1),
       pg_advisory_lock(hashtext('tako_cache'), hashtext('$cached')),
       pg_advisory_lock(hashtext('tako_cache'), hashtext('$stale')),
       pg_advisory_lock(hashtext('tako_cache'), hashtext('$miss'));
SELECT pg_sleep(120);
SQL
}
hostile_sql | psql -X -q -U stall_hostile >/dev/null 2>&1 &
hostile=$!
for _ in $(seq 1 100); do
    [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'stall_hostile' AND query LIKE 'SELECT pg_sleep%'")" = 1 ] && break
    sleep 0.1
done
check '[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE usename = '"'stall_hostile'"' AND state = '"'active'"' AND backend_xid IS NULL")" = 1 ]' \
    "the hostile role sits in its open transaction, having called every PUBLIC function: it holds no transaction id, so no row lock"

# Each of these runs with a one-second statement timeout: a wait on the hostile role fails it. The
# time shown is the statement's, as psql's \timing measures it (the connection's start is not a
# wait, and on a loaded machine it alone can take a few hundred ms).
timed() {  # LABEL SQL [ROLE]: runs SQL, prints "ms|status"
    local out status
    if out=$(PGOPTIONS="-c statement_timeout=1s" psql -X -q -At ${3:+-U "$3"} -c '\timing on' -c "$2" 2>"/tmp/tako_stalls.$$.err"); then
        status=ok
    else
        status=$(head -1 /tmp/tako_stalls.$$.err)
    fi
    echo "$(echo "$out" | statement_ms)|$status"
}
verdict() {  # LABEL RESULT
    local ms_taken=${2%%|*} status=${2#*|}
    check '[ "$status" = ok ] && [ "$ms_taken" -lt 1000 ]' "$1: $status in $ms_taken ms"
}
verdict "the owner saves a list the hostile role read" \
    "$(timed save "SELECT tako_save_cached('$cached', NULL, NULL, data) FROM tako_cache.discovery_cache WHERE cache_key = '$cached'")"
verdict "the hit flush" "$(timed flush "SELECT tako_cache.tako_flush_hits()")"
verdict "a refresh by hand of a list it read" "$(timed refresh "SELECT tako_refresh('$cached')")"
verdict "a pg_cron slot's procedure on that list" "$(timed job "CALL tako_cache.tako_refresh_job(ARRAY['$cached'])")"
verdict "the daily purge" "$(timed purge "SELECT tako_purge_old_entries(90)")"
verdict "a PUBLIC-only role's miss" \
    "$(timed miss "SELECT tako_discover('$miss')->'meta'->>'cached'" stall_reader)"
verdict "a PUBLIC-only role's stale read" "$(timed stale "SELECT tako_discover('$stale')" stall_reader)"
wait_queue
check '[ "$(q -c "SELECT expires_at > now() FROM tako_cache.discovery_cache WHERE cache_key = '"'$stale'"'")" = t ]' \
    "... and the worker refreshed the stale list beside the hostile role"
check '[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE usename = '"'stall_hostile'"'")" = 1 ]' \
    "the hostile role was there all along"
q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'stall_hostile'" >/dev/null
wait "$hostile" 2>/dev/null

# A database the refresh worker does not serve: sessions fetch lists themselves, under the single
# flight of a lock whose keys no role can guess. One hostile session reads two misses and a stale
# list inside its open transaction (what it fetched is served, not saved: nothing stays locked);
# another reads a miss in a statement that goes on for two minutes after the list's save (it holds
# the row and the single-flight lock of that key while it lasts).
solo=tako_stalls_solo
block_miss=itunes:charts:fr-album     # read by the hostile role in its transaction block
long_miss=itunes:charts:de-album      # read by the hostile role's long statement
reader_block_miss=itunes:charts:it-album
q -d postgres -c "DROP DATABASE IF EXISTS $solo" -c "CREATE DATABASE $solo" \
  -c "ALTER DATABASE $solo SET tako_cache.new_keys_per_hour = 1000" >/dev/null
trap 'q -d postgres -c "DROP DATABASE IF EXISTS $solo WITH (FORCE)" >/dev/null 2>&1' EXIT
export PGDATABASE=$solo
q -c "CREATE EXTENSION tako_cache" -c "SELECT tako_cache.tako_refresh_keys(ARRAY['$stale'])" \
  -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key = '$stale'" >/dev/null
check '[ "$(q -c "SELECT tako_cache.tako_queue_stats()->>'"'serves_this_database'"'")" = false ]' \
    "a second database, which the refresh worker does not serve"
solo_sql() {
    cat <<SQL
\\set ON_ERROR_ROLLBACK on
BEGIN;
SELECT tako_discover('$block_miss')->'meta'->>'cached', tako_discover('$stale')->'meta'->>'stale';
SELECT tako_discover('$block_miss'), tako_get_cached('$stale'), tako_cache_stats();
SELECT pg_advisory_lock(hashtext('tako_cache'), 0), pg_advisory_lock(hashtext('tako_cache'), hashtext('$block_miss')),
       pg_advisory_lock(hashtext('tako_cache'), hashtext('$long_miss')), pg_advisory_lock(hashtext('tako_cache'), hashtext('$stale')),
       pg_advisory_lock(hashtext('tako_cache'), hashtext('$reader_block_miss'));
SELECT pg_sleep(120);
SQL
}
solo_sql | psql -X -q -U stall_hostile >/dev/null 2>&1 &
hostile=$!
psql -X -q -U stall_hostile -c "SELECT tako_discover('$long_miss') IS NOT NULL, pg_sleep(120)" >/dev/null 2>&1 &
hostile_long=$!
for _ in $(seq 1 100); do
    [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$solo' AND usename = 'stall_hostile' AND query LIKE '%pg_sleep(120)%' AND wait_event = 'PgSleep'")" = 2 ] && break
    sleep 0.1
done
check '[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '"'$solo'"' AND usename = '"'stall_hostile'"' AND wait_event = '"'PgSleep'"'")" = 2 ]' \
    "the hostile role sits in its open transaction and in its long statement"
check '[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '"'$solo'"' AND usename = '"'stall_hostile'"' AND query LIKE '"'SELECT pg_sleep%'"' AND backend_xid IS NULL")" = 1 ]' \
    "... the open transaction read a miss (twice) and a stale list, and holds no transaction id: it wrote nothing"
check '[ "$(q -c "SELECT count(*) FROM tako_cache.discovery_cache WHERE cache_key = '"'$block_miss'"'")" = 0 ]' \
    "... the miss it read in its transaction block was served, not saved"

verdict "(no worker) a PUBLIC-only role's miss of the list the open transaction read" \
    "$(timed miss "SELECT tako_discover('$block_miss')->'meta'->>'cached'" stall_reader)"
check '[ "$(q -c "SELECT count(*) FROM tako_cache.discovery_cache WHERE cache_key = '"'$block_miss'"'")" = 1 ]' \
    "... and saved it"
verdict "(no worker) a PUBLIC-only role's stale read (the list is refreshed)" \
    "$(timed stale "SELECT tako_discover('$stale')" stall_reader)"
check '[ "$(q -c "SELECT expires_at > now() FROM tako_cache.discovery_cache WHERE cache_key = '"'$stale'"'")" = t ]' \
    "... saved fresh"
res=$(timed reader_block "BEGIN; SELECT tako_discover('$reader_block_miss')->'meta'->>'cached'; COMMIT;" stall_reader)
verdict "(no worker) a PUBLIC-only role's miss in its own transaction block" "$res"
verdict "(no worker) the hit flush" "$(timed flush "SELECT tako_cache.tako_flush_hits()")"
verdict "(no worker) the daily purge" "$(timed purge "SELECT tako_purge_old_entries(90)")"
verdict "(no worker) a refresh by hand of every list read" \
    "$(timed refresh "SELECT tako_cache.tako_refresh_keys(ARRAY['$block_miss', '$stale'])")"
verdict "(no worker) a pg_cron slot's procedure on them" \
    "$(timed job "CALL tako_cache.tako_refresh_job(ARRAY['$block_miss', '$stale'])")"
# The long statement holds the row of its list: a writer waits for it three times 150 ms, then
# leaves the list as it is and says so; a reader waits a second for the single flight, then fetches
# the list and serves it without saving it.
# What the refresh waited is its statement's time less its fetch's (the upstream's answer, slower on
# a loaded machine, is not a wait).
out=$(PGOPTIONS="-c statement_timeout=5s" q -c '\timing on' \
    -c "SELECT r->>'outcome', r->>'duration_ms' FROM tako_refresh('$long_miss') AS r" 2>&1)
outcome=$(echo "$out" | head -1 | cut -d'|' -f1)
fetch_ms=$(echo "$out" | head -1 | cut -d'|' -f2)
statement=$(echo "$out" | statement_ms)
waited=$((statement - ${fetch_ms:-0}))
check '[ "$outcome" = locked ] && [ "$waited" -ge 400 ] && [ "$waited" -lt 1000 ]' \
    "(no worker) a refresh of the list the long statement holds waits $waited ms for its row (statement $statement ms, fetch ${fetch_ms:-?} ms), then gives up: $outcome"
out=$(PGOPTIONS="-c statement_timeout=5s -c client_min_messages=error" q -U stall_reader -c '\timing on' \
    -c "SELECT (d->'meta'->>'cached') || ' ' || json_array_length(d->'data') FROM tako_discover('$long_miss') AS d" 2>&1)
took=$(echo "$out" | statement_ms)
out=$(echo "$out" | head -1)
check '[ "$out" = "false 2" ] && [ "$took" -ge 1000 ] && [ "$took" -lt 2000 ]' \
    "(no worker) a PUBLIC-only role's miss of that list waits a second, then is served from the upstream, in $took ms: $out"
check '[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '"'$solo'"' AND usename = '"'stall_hostile'"'")" = 2 ]' \
    "the hostile sessions were there all along"
q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'stall_hostile'" >/dev/null
wait "$hostile" "$hostile_long" 2>/dev/null
unset PGDATABASE
q -d postgres -c "DROP DATABASE IF EXISTS $solo WITH (FORCE)" >/dev/null
rm -f /tmp/tako_stalls.$$.err
q -c "DROP ROLE stall_hostile" -c "DROP ROLE stall_reader" >/dev/null 2>&1
echo "1..$n"
