#!/usr/bin/env bash
# Concurrency (issue 6): refreshes of one key from a scheduled job, tako_discover and tako_refresh
# at once; saves racing with purges; 50 sessions reading while refreshes rewrite the lists. No
# error, no lost or duplicated row, no deadlock. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log_lines_before=$(wc -l <"$CLUSTER_LOG")

# 1. One key refreshed by a scheduled job, tako_discover and tako_refresh at the same time.
key=tmdb:top-rated:movie
q -c "SELECT tako_refresh('$key')" >/dev/null
q -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key = '$key'"
refreshes_before=$(q -c "SELECT refresh_count FROM tako_cache.discovery_cache WHERE cache_key = '$key'")
$ctl reset
$ctl fault '{"match": "/tmdb/movie/top_rated", "fault": {"delay_ms": 800}}'
pids=()
for i in 1 2 3; do psql -X -q -v ON_ERROR_STOP=1 -c "CALL tako_cache.tako_refresh_job(ARRAY['$key'])" >"$work/job.$i" 2>&1 & pids+=($!); done
for i in 1 2 3 4 5; do psql -X -q -v ON_ERROR_STOP=1 -At -c "SELECT tako_discover('$key')->>'success'" >"$work/discover.$i" 2>&1 & pids+=($!); done
for i in 1 2; do psql -X -q -v ON_ERROR_STOP=1 -At -c "SELECT tako_refresh('$key')->>'status'" >"$work/refresh.$i" 2>&1 & pids+=($!); done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
check '[ $failed = 0 ]' "3 scheduled jobs, 5 tako_discover and 2 tako_refresh of one key at once: no error"
check '[ "$(cat "$work"/discover.* | sort -u)" = true ] && [ "$(cat "$work"/refresh.* | sort -u)" = ok ]' "... every caller got the list"
check '[ "$(q -c "SELECT count(*) FROM tako_cache.discovery_cache WHERE cache_key = '"'$key'"'")" = 1 ]' "... still exactly one row for the key"
check '[ "$(q -c "SELECT refresh_count > $refreshes_before AND expires_at > now() AND tako_validate_items(data, '"'tmdb'"') FROM tako_cache.discovery_cache WHERE cache_key = '"'$key'"'")" = t ]' \
    "... refreshed, fresh and valid"
wait_queue  # tako_discover served the expired list and queued its refresh: the worker's, now done
check '[ "$(q -c "SELECT count(*) FROM tako_cache.tako_refresh_log WHERE cache_key = '"'$key'"' AND outcome = '"'running'"'")" = 0 ]' \
    "... and no refresh left 'running'"
$ctl reset

# 2. Saves racing with purges.
q -c "CREATE TABLE IF NOT EXISTS race_items AS SELECT data FROM tako_cache.discovery_cache WHERE cache_key = '$key'" >/dev/null
pids=()
for i in $(seq 1 8); do
    psql -X -q -v ON_ERROR_STOP=1 -c "
        DO \$\$ BEGIN
            FOR j IN 1..60 LOOP
                PERFORM tako_save_cached(k, NULL, NULL, (SELECT data FROM race_items))
                   FROM unnest(ARRAY['tmdb:trending:movie:day', 'tmdb:trending:tv:day', 'tmdb:popular:tv',
                                     'tmdb:upcoming:tv', 'tmdb:top-rated:tv']) AS k
                  WHERE k LIKE 'tmdb:%';
            END LOOP;
        END \$\$" >"$work/save.$i" 2>&1 &
    pids+=($!)
done
for i in $(seq 1 4); do
    psql -X -q -v ON_ERROR_STOP=1 -c "DO \$\$ BEGIN FOR j IN 1..60 LOOP PERFORM tako_purge_old_entries(0); END LOOP; END \$\$" \
        >"$work/purge.$i" 2>&1 &
    pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
check '[ $failed = 0 ]' "8 sessions saving 5 lists 60 times while 4 sessions purge 60 times: no error"
check '[ -z "$(cat "$work"/save.* "$work"/purge.*)" ]' "... nothing reported"
check '[ "$(q -c "SELECT count(*) = count(DISTINCT cache_key) AND bool_and(tako_validate_items(data, provider)) FROM tako_cache.discovery_cache")" = t ]' \
    "... no duplicated key, every list valid"
q -c "DROP TABLE race_items" >/dev/null

# 3. 50 sessions reading while refreshes and saves rewrite the lists (a read that finds nothing fails).
read_key=deezer:charts:albums
q -c "SELECT tako_refresh('$read_key')" >/dev/null
# (1 / 0 behind random(): a constant 1 / 0 would be folded, and fail, at plan time)
echo "SELECT CASE WHEN json_array_length(tako_get_cached(:key)) > 0 THEN 1 ELSE 1 / (random() * 0)::int END;" >"$work/read.sql"
psql -X -q -v ON_ERROR_STOP=1 -c "
    DO \$\$ BEGIN
        FOR j IN 1..40 LOOP
            PERFORM tako_refresh('$read_key');
            PERFORM tako_save_cached('$read_key', NULL, NULL, (SELECT data FROM tako_cache.discovery_cache WHERE cache_key = '$read_key'));
            PERFORM tako_cache.tako_flush_hits();
            PERFORM pg_sleep(0.05);
        END LOOP;
    END \$\$" >"$work/writer" 2>&1 &
writer=$!
pgbench -n -M prepared -c 50 -j 2 -T 5 -D key=$read_key -f "$work/read.sql" >"$work/pgbench" 2>&1
reader_status=$?
wait $writer
writer_status=$?
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/pgbench")
failed_tx=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/pgbench")
check '[ $reader_status = 0 ] && [ "${failed_tx:-x}" = 0 ] && [ "${processed:-0}" -gt 1000 ]' \
    "50 sessions read $processed times while the list was rewritten: every read found it"
check '[ $writer_status = 0 ] && [ -z "$(cat "$work/writer")" ]' "... and the 40 refreshes, saves and flushes beside them succeeded"

# No deadlock anywhere above.
check '! tail -n +$((log_lines_before + 1)) "$CLUSTER_LOG" | grep -q "deadlock detected"' "no deadlock in the server log"
echo "1..$n"
