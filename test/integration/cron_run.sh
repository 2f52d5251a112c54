#!/usr/bin/env bash
# pg_cron really runs tako_cache's jobs (docs/scheduling.md): a slot's planned command, run by pg_cron on a
# near-term schedule, refreshes the keys of its provider and list plus the warm keys; and in a
# database other than cron.database_name, scheduling says how to do it from there. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh

q -c "CREATE EXTENSION IF NOT EXISTS pg_cron" 2>/dev/null
test/upstream/ctl reset
q -c "DELETE FROM tako_cache.tako_refresh_log WHERE origin = 'cron'"
# The deezer charts slot moved to the coming minute (pg_cron 1.4 counts in minutes), scheduled by
# tako_schedule_refreshes(): the real job, run by pg_cron.
slot_time=$(q -c "SELECT to_char(date_trunc('minute', now() AT TIME ZONE 'UTC')
                          + CASE WHEN extract(second FROM now()) < 45 THEN interval '1 minute' ELSE interval '2 minutes' END, 'HH24:MI')")
q -c "UPDATE tako_cache.tako_refresh_slots SET local_times = '{$slot_time}' WHERE list = 'charts' AND provider = 'deezer'"
# The other slots are off meanwhile: an upcoming slot runs at every hour's minute 0, which the
# coming minute may be.
q -c "UPDATE tako_cache.tako_refresh_slots SET enabled = false WHERE (list, provider) <> ('charts', 'deezer') AND enabled"
jobname="tako_cache:charts:deezer:${slot_time/:/}"
check '[ "$(q -c "SELECT count(*) FROM tako_schedule_refreshes() WHERE jobname = '"'$jobname'"'")" = 1 ]' \
    "tako_schedule_refreshes() installs $jobname"
status=""
for _ in $(seq 1 150); do
    status=$(q -c "SELECT d.status FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                    WHERE j.jobname = '$jobname' AND d.status IN ('succeeded', 'failed')
                    ORDER BY d.runid LIMIT 1")
    [ -n "$status" ] && break
    sleep 1
done
check '[ "$status" = succeeded ]' "pg_cron ran it at $slot_time UTC (status: ${status:-none after 150 s})"
logged=$(q -c "SELECT string_agg(DISTINCT cache_key, ',' ORDER BY cache_key) FROM tako_cache.tako_refresh_log WHERE origin = 'cron' AND outcome = 'ok'")
check '[ "$logged" = "deezer:charts:albums,deezer:charts:artists,deezer:charts:tracks" ]' \
    "... which refreshed the three deezer charts (warm keys and cached ones): $logged"
check '[ "$(q -c "SELECT count(*) FROM tako_cache.discovery_cache WHERE provider = '"'deezer'"' AND updated_at > now() - interval '"'3 minutes'"'")" = 3 ]' \
    "... and saved them"
check '[ "$(q -c "SELECT count(*) FROM tako_cache.tako_refresh_log WHERE origin = '"'cron'"' AND provider <> '"'deezer'"'")" = 0 ]' \
    "... and nothing of another provider"
q -c "UPDATE tako_cache.tako_refresh_slots SET local_times = '{04:00}' WHERE list = 'charts' AND provider = 'deezer'"
q -c "UPDATE tako_cache.tako_refresh_slots SET enabled = true"
q -c "SELECT tako_unschedule_refreshes()" >/dev/null

# Another database: pg_cron is in cron.database_name only.
q -c "DROP DATABASE IF EXISTS tako_other" >/dev/null 2>&1
q -c "CREATE DATABASE tako_other" >/dev/null
q -d tako_other -c "CREATE EXTENSION tako_cache" >/dev/null
out=$(psql -X -q -At -v VERBOSITY=verbose -d tako_other -c "SELECT * FROM tako_schedule_refreshes()" 2>&1)
check '[[ $out == *"55000: pg_cron lives in database \"$PGDATABASE\", not in \"tako_other\""* ]]' \
    "in another database: 55000, naming where pg_cron lives"
check '[[ $out == *"tako_schedule_commands()"* ]]' "... and pointing at tako_cache.tako_schedule_commands()"
stmt=$(q -d tako_other -c "SELECT * FROM tako_cache.tako_schedule_commands() LIMIT 1")
check 'echo "$stmt" | grep -qE "^SELECT cron\.schedule_in_database\(.tako_cache:[a-z]+.*, .tako_other.\);$"' \
    "tako_schedule_commands() gives the cron.schedule_in_database statements: $stmt"
q -c "DROP DATABASE tako_other" >/dev/null
echo "1..$n"
