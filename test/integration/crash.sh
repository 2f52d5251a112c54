#!/usr/bin/env bash
# Faults of the server itself (issue 6): a backend terminated, a backend killed (-9, which makes
# the postmaster restart every backend), and the server restarted, each in the middle of a
# scheduled refresh stuck on a hanging upstream. Each time the cache keeps its last good data, the
# refresh log tells what happened, and the next run recovers by itself. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
source test/lib/cluster.sh
key=deezer:charts:artists
# Starts the slot job of the deezer charts (a procedure, as pg_cron runs it) against a hanging
# upstream; returns once its 'running' rows are committed; sets job_pid (the client) and backend.
start_stuck_job() {
    $ctl reset
    $ctl fault '{"match": "/deezer/chart/0/artists", "fault": {"hang": true}}'
    psql -X -q -c "SET tako_cache.http_timeout_ms = 600000" -c "CALL tako_cache.tako_run_slot_job('charts', 'deezer')" \
        >/dev/null 2>&1 &
    job_pid=$!
    backend=""
    for _ in $(seq 1 100); do
        backend=$(q -c "SELECT pid FROM tako_cache.tako_refresh_log WHERE cache_key = '$key' AND outcome = 'running' ORDER BY id DESC LIMIT 1")
        [ -n "$backend" ] && break
        sleep 0.1
    done
    sleep 0.5  # the request is at the upstream now
}
# The outcome of the interrupted refresh's log row, once it is $1 (waits up to 10 s).
wait_outcome() {
    for _ in $(seq 1 100); do
        [ "$(q -c "SELECT outcome FROM tako_cache.tako_refresh_log WHERE cache_key = '$key' AND pid = $backend ORDER BY id DESC LIMIT 1")" = "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
after_recovery() {  # label, restarted (1 when every process restarted: the refresh worker too)
    local label=$1 restarted=${2:-0}
    check '[ "$(q -c "SELECT md5(data::text) FROM tako_cache.discovery_cache WHERE cache_key = '"'$key'"'")" = "$good" ]' \
        "$label: the cache kept its last good data"
    if [ "$restarted" = 1 ]; then
        check 'wait_outcome interrupted' \
            "$label: the refresh worker, restarted, marks the refresh that never finished at once"
    else
        check '[ "$(q -c "SELECT count(*) FROM tako_cache.tako_refresh_log WHERE cache_key = '"'$key'"' AND outcome = '"'running'"' AND pid = $backend")" = 1 ]' \
            "$label: the refresh log shows the refresh that never finished"
    fi
    $ctl reset
    q -c "CALL tako_cache.tako_run_slot_job('charts', 'deezer')" >/dev/null
    check '[ "$(q -c "SELECT outcome FROM tako_cache.tako_refresh_log WHERE cache_key = '"'$key'"' AND pid = $backend ORDER BY id DESC LIMIT 1")" = interrupted ]' \
        "$label: the next run marks it interrupted"
    check '[ "$(q -c "SELECT error FROM tako_cache.tako_refresh_log WHERE cache_key = '"'$key'"' AND pid = $backend ORDER BY id DESC LIMIT 1")" = "the refresh never finished: its session ended (terminated, crashed, or the server restarted) before saving; the cache kept its previous data" ]' \
        "$label: ... saying what happened"
    check '[ "$(q -c "SELECT outcome FROM tako_cache.tako_refresh_log WHERE cache_key = '"'$key'"' ORDER BY id DESC LIMIT 1")" = ok ]' \
        "$label: and recovers: its own refresh succeeds"
    good=$(q -c "SELECT md5(data::text) FROM tako_cache.discovery_cache WHERE cache_key = '$key'")
}

check '[ "$(q -c "SELECT tako_refresh('"'$key'"')->>'"'status'"'")" = ok ]' "baseline: $key has good data"
good=$(q -c "SELECT md5(data::text) FROM tako_cache.discovery_cache WHERE cache_key = '$key'")

# 1. pg_terminate_backend.
start_stuck_job
check '[ -n "$backend" ]' "a stuck scheduled refresh committed its 'running' row first (backend $backend)"
q -c "SELECT pg_terminate_backend($backend)" >/dev/null
wait $job_pid
after_recovery "terminated backend"

# 2. kill -9 of the backend: the postmaster restarts every backend (crash recovery).
start_stuck_job
as_server_user kill -9 "$backend"
wait $job_pid
sleep 1
check 'wait_ready' "kill -9 of the refreshing backend: the cluster restarts by itself"
check 'grep -q "terminated by signal 9" "$CLUSTER_LOG"' "... the server log says why"
after_recovery "killed backend" 1

# 3. The server restarted in the middle of the run.
start_stuck_job
as_server_user "$PG_BINDIR/pg_ctl" -D "$PGDATA" -m fast -w restart -l "$CLUSTER_LOG" >/dev/null 2>&1
wait $job_pid
check 'wait_ready' "the server restarted during a scheduled refresh"
after_recovery "server restart" 1

# 4. A crash of the whole cluster (immediate shutdown: no checkpoint, WAL replay on start).
start_stuck_job
as_server_user "$PG_BINDIR/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1
wait $job_pid
as_server_user env NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
    "$PG_BINDIR/pg_ctl" -D "$PGDATA" -l "$CLUSTER_LOG" -w -t 60 start >/dev/null
check 'wait_ready' "crash-restart of the cluster (immediate stop, then recovery)"
after_recovery "crash-restart" 1
check '[ "$(q -c "SELECT json_array_length(tako_get_cached('"'$key'"'))")" = 10 ]' "the cache serves after all of it"
echo "1..$n"
