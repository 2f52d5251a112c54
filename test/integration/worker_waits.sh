#!/usr/bin/env bash
# Refreshes a session waits for go through the refresh worker (1.7): tako_refresh* and the pg_cron
# procedures queue their keys, wait for them and return the same results; a cancel or
# statement_timeout ends the wait within about a second (the worker still refreshes the key); a
# session with its own values of the fetch settings, or in a transaction block, refreshes itself.
# Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
key=deezer:charts:artists
path=/chart/0/artists
worker_pid() { q -c "SELECT tako_cache.tako_queue_stats()->>'worker_pid'"; }
last_log() {  # origin, outcome and whether the worker wrote the key's last refresh-log row
    q -c "SELECT origin || ' ' || outcome || ' ' || coalesce((pid = $(worker_pid))::text, 'session') FROM tako_cache.tako_refresh_log
           WHERE cache_key = '$key' ORDER BY id DESC LIMIT 1"
}
wait_queue

result=$(q -c "SELECT (r->>'status') || ' ' || (r->>'outcome') || ' ' || (r->>'items') || ' ' || (r ? 'duration_ms')
                 FROM tako_refresh('$key') AS r")
check '[ "$result" = "ok ok 10 true" ] && [ "$(last_log)" = "manual ok true" ]' \
    "tako_refresh is carried out by the worker: $result, logged $(last_log)"

$ctl fault "{\"match\": \"$path\", \"times\": 1, \"fault\": {\"delay_ms\": 4000}}" >/dev/null
started=$(ms)
out=$(psql -X -q -At -v VERBOSITY=verbose -c "SET statement_timeout = '1s'" -c "SELECT tako_refresh('$key')" \
      -c "SELECT 'still alive'" 2>&1)
took=$(($(ms) - started))
check '[[ "$out" == *"57014"*"canceling statement due to statement timeout"*"still alive"* ]] && [ "$took" -lt 2500 ]' \
    "statement_timeout (1 s) ends the wait for the worker in $took ms"
wait_queue
check '[ "$(last_log)" = "manual ok true" ]' "... and the worker still refreshes the key"

$ctl fault "{\"match\": \"$path\", \"times\": 1, \"fault\": {\"delay_ms\": 4000}}" >/dev/null
PGAPPNAME=tako_wait_cancel psql -X -q -At -c "SELECT tako_refresh('$key')" >/dev/null 2>&1 &
waiting=$!
for _ in $(seq 1 50); do
    [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tako_wait_cancel' AND state = 'active'")" = 1 ] && break
    sleep 0.05
done
sleep 0.3
started=$(ms)
q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'tako_wait_cancel'" >/dev/null
wait "$waiting"
took=$(($(ms) - started))
check '[ "$took" -lt 1500 ]' "pg_cancel_backend ends the wait in $took ms"
wait_queue

done_count() { q -c "SELECT (tako_cache.tako_queue_stats()->>'done')::int + (tako_cache.tako_queue_stats()->>'failed')::int"; }
before=$(done_count)
own=$(q -c "SET tako_cache.http_timeout_ms = 9000" -c "SELECT tako_refresh('$key')->>'status'")
check '[ "$own" = ok ] && [ "$(done_count)" = "$before" ] && [ "$(last_log)" = "manual ok session" ]' \
    "a session with its own value of a fetch setting refreshes itself (the worker refreshed nothing; logged $(last_log))"
own=$(q -c "BEGIN" -c "SELECT tako_refresh('$key')->>'status'" -c "COMMIT")
check '[ "$own" = ok ] && [ "$(done_count)" = "$before" ] && [ "$(last_log)" = "manual ok session" ]' \
    "... and so does one in a transaction block"

q -c "CALL tako_cache.tako_refresh_job(ARRAY['$key'], 'cron')" >/dev/null
check '[ "$(last_log)" = "cron ok true" ]' "a pg_cron procedure is carried out by the worker too ($(last_log))"
# Hits not yet flushed: the hourly job flushes them (its transaction then holds the row) before
# it refreshes the expired lists.
q -c "SELECT count(tako_get_cached('$key')) FROM generate_series(1, 3)" >/dev/null
q -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key = '$key'" >/dev/null
hourly=$(q -c "CALL tako_cache.tako_run_hourly_job()" 2>&1)
check '[ "$(last_log)" = "expired ok true" ] && [ "$(q -c "SELECT expires_at > now() FROM tako_cache.discovery_cache WHERE cache_key = '"'$key'"'")" = t ]' \
    "... and the hourly pg_cron job's pass of expired lists ($(last_log)${hourly:+; $hourly})"
$ctl reset >/dev/null
echo "1..$n"
