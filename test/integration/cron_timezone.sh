#!/usr/bin/env bash
# What pg_cron 1.5 added, used when the server runs it, in a cluster of its own whose
# cron.timezone is Europe/Paris: on 1.5 and later the jobs carry the local slot times (DST moves
# nothing) and the hit counters are flushed by a 30-second job that pg_cron really runs; on 1.4,
# which ignores cron.timezone, the jobs stay in GMT and the flush runs every minute. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
source test/lib/cluster.sh
cluster_start crontz --conf "cron.timezone = 'Europe/Paris'" --conf "tako_cache.schedule_timezone = 'Europe/Paris'" \
    >/dev/null || {
    echo "not ok 1 - a cluster with cron.timezone = 'Europe/Paris' starts"
    exit 1
}
trap 'cluster_stop' EXIT
export PGDATABASE=postgres
q -c "CREATE EXTENSION pg_cron" >/dev/null && q -c "CREATE EXTENSION tako_cache" >/dev/null
cron_version=$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'")
is_1_5=$(q -c "SELECT tako_cache.tako_cron_is_1_5()")
# 1.4's extension version is 1.4-1; 1.5 and later: 1.5, 1.6...
case $cron_version in 1.[0-4]*) want_1_5=f ;; *) want_1_5=t ;; esac
check '[ "$is_1_5" = "$want_1_5" ]' "pg_cron $cron_version: tako_cache.tako_cron_is_1_5() is $is_1_5"

plan_at() {  # the schedule of every job of the plan at $1
    q -c "SELECT string_agg(jobname || '=' || schedule, ' ' ORDER BY jobname) FROM tako_schedule_plan('$1')"
}
winter=$(plan_at '2026-01-15 12:00+00')
summer=$(plan_at '2026-07-15 12:00+00')
winter_tmdb=$(q -c "SELECT schedule FROM tako_schedule_plan('2026-01-15 12:00+00') WHERE jobname = 'tako_cache:trending:tmdb:0200'")
summer_tmdb=$(q -c "SELECT schedule FROM tako_schedule_plan('2026-07-15 12:00+00') WHERE jobname = 'tako_cache:trending:tmdb:0200'")
next=$(q -c "SELECT tako_cache.tako_next_run('0 2 * * *', '2026-11-24 12:00+00') = '2026-11-25 01:00+00'")
if [ "$want_1_5" = t ]; then
    check '[ "$(q -c "SELECT tako_cache.tako_cron_timezone()")" = Europe/Paris ]' "tako_cron_timezone() is cron.timezone: Europe/Paris"
    check '[ "$winter_tmdb" = "0 2 * * *" ] && [ "$summer_tmdb" = "0 2 * * *" ]' \
        "the 02:00 Paris slot is scheduled at 02:00, winter and summer ($winter_tmdb, $summer_tmdb)"
    check '[ "$winter" = "$summer" ]' "... and DST moves no job of the plan"
    check '[ "$(q -c "SELECT count(*) FROM tako_schedule_plan() WHERE local_time IS NOT NULL AND local_time <> cron_time")" = 0 ]' \
        "every job's time is its local slot time"
    check '[ "$next" = t ]' "tako_next_run reads the schedule in Paris time (02:00 Paris = 01:00 UTC in November)"
    want_flush="30 seconds"
else
    check '[ "$(q -c "SELECT tako_cache.tako_cron_timezone()")" = GMT ]' "tako_cron_timezone() is GMT: pg_cron 1.4 ignores cron.timezone"
    check '[ "$winter_tmdb" = "0 1 * * *" ] && [ "$summer_tmdb" = "0 0 * * *" ]' \
        "the 02:00 Paris slot is at its GMT time: 01:00 in winter, 00:00 in summer ($winter_tmdb, $summer_tmdb)"
    check '[ "$(q -c "SELECT tako_cache.tako_next_run('"'0 1 * * *'"', '"'2026-11-24 12:00+00'"') = '"'2026-11-25 01:00+00'"'")" = t ]' \
        "tako_next_run reads the schedule in GMT"
    want_flush="* * * * *"
fi

# The flush job, really run by pg_cron on its schedule.
q -c "SELECT count(*) FROM tako_schedule_refreshes()" >/dev/null
flush=$(q -c "SELECT schedule FROM cron.job WHERE jobname = 'tako_cache:flush-hits'")
check '[ "$flush" = "$want_flush" ]' "tako_cache:flush-hits is scheduled '$flush'"
want_runs=2
[ "$want_1_5" = t ] || want_runs=1
runs=0
for _ in $(seq 1 80); do
    runs=$(q -c "SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                  WHERE j.jobname = 'tako_cache:flush-hits' AND d.status = 'succeeded'")
    [ "$runs" -ge "$want_runs" ] && break
    sleep 1
done
gap=$(q -c "SELECT round(extract(epoch FROM max(d.start_time) - min(d.start_time)))::int
              FROM (SELECT d.start_time FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                     WHERE j.jobname = 'tako_cache:flush-hits' AND d.status = 'succeeded'
                     ORDER BY d.runid LIMIT 2) AS d")
if [ "$want_1_5" = t ]; then
    check '[ "$runs" -ge 2 ] && [ "${gap:-0}" -ge 25 ] && [ "${gap:-0}" -le 35 ]' \
        "pg_cron ran it twice, 30 seconds apart (runs: $runs, gap: ${gap:-none} s)"
else
    check '[ "$runs" -ge 1 ]' "pg_cron ran it (runs: $runs)"
fi
echo "1..$n"
