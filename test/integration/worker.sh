#!/usr/bin/env bash
# The refresh worker (issue 11), in a cluster of its own (its database is dropped at the end):
# stale-while-revalidate under 50 concurrent readers, a failing miss on record, refresh-ahead,
# NOTIFY of its saves, its stats and name; the worker terminated, killed (-9) and the server
# restarted while it fetches; DROP EXTENSION and DROP DATABASE while it is busy; a database it
# does not serve. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
source test/lib/cluster.sh
source test/lib/upstream.sh
dir=$(mktemp -d /tmp/tako_cache.worker-test.XXXXXX)
chmod 755 "$dir"
conf=()
while IFS= read -r line; do conf+=(--conf "$line"); done < <(upstream_conf_lines)
cluster_start worker --conf "tako_cache.database_name = 'tako_wk'" --conf "cron.database_name = 'postgres'" \
    "${conf[@]}" >/dev/null || {
    echo "not ok 1 - a cluster for the worker test starts"
    exit 1
}
trap 'cluster_stop; rm -rf "$dir"' EXIT
export PGDATABASE=tako_wk
createdb tako_wk && q -c "CREATE EXTENSION tako_cache" >/dev/null

worker_pid() { q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'tako_cache refresh worker'"; }
# Waits (up to $1 s) until a worker serves tako_wk, other than pid $2 if given.
wait_worker() {
    local pid
    for _ in $(seq 1 $(($1 * 10))); do
        pid=$(q -c "SELECT tako_cache.tako_queue_stats()->>'worker_pid' WHERE (tako_cache.tako_queue_stats()->>'serves_this_database')::boolean" 2>/dev/null)
        [ -n "$pid" ] && [ "$pid" != "${2:-}" ] && return 0
        sleep 0.1
    done
    return 1
}
# Waits (up to 10 s) until the worker is fetching from the upstream.
wait_fetching() {
    for _ in $(seq 1 100); do
        [ "$(q -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'tako_cache refresh worker' AND state = 'active' AND query LIKE 'tako_cache: fetching%'")" = 1 ] && return 0
        sleep 0.1
    done
    return 1
}
# Waits (up to $2 s) until every key of $1 (space-separated) is fresh.
wait_fresh() {
    local keys
    keys=$(printf "'%s'," $1)
    for _ in $(seq 1 $(($2 * 10))); do
        [ "$(q -c "SELECT count(*) FILTER (WHERE expires_at > now()) = count(*) FROM tako_cache.discovery_cache WHERE cache_key IN (${keys%,})" 2>/dev/null)" = t ] && return 0
        sleep 0.1
    done
    return 1
}
expire() { q -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key IN ($(printf "'%s'," $1 | sed 's/,$//'))" >/dev/null; }
running_rows() { q -c "SELECT count(*) FROM tako_cache.tako_refresh_log WHERE outcome = 'running'"; }

check 'wait_worker 30' "the worker starts in tako_cache.database_name"
check '[ "$(q -c "SELECT application_name FROM pg_stat_activity WHERE backend_type = '"'tako_cache refresh worker'"' AND datname = '"'tako_wk'"'")" = "tako_cache refresh worker" ]' \
    "pg_stat_activity names it (backend_type and application_name 'tako_cache refresh worker')"

albums=deezer:charts:albums tracks=deezer:charts:tracks artists=deezer:charts:artists
$ctl reset >/dev/null
for key in $albums $tracks $artists; do q -c "SELECT tako_refresh('$key')" >/dev/null; done
check '[ "$(q -c "SELECT count(*) FROM tako_cache.discovery_cache")" = 3 ]' "three lists cached"

# 1. Stale-while-revalidate: 50 sessions read an expired list while the upstream takes 3 s.
expire $albums
$ctl reset >/dev/null
$ctl config '{"latency_ms": 3000}' >/dev/null
q -c "CREATE TABLE swr_seen (stale text, items integer)"
echo "INSERT INTO swr_seen SELECT d->'meta'->>'stale', (d->>'count')::integer FROM tako_discover('$albums') AS d;" >"$dir/swr.sql"
started=$(ms)
pgbench -n -c 50 -j 2 -t 1 -f "$dir/swr.sql" -l --log-prefix="$dir/swr" tako_wk >"$dir/swr.out" 2>&1
# pgbench's log: client, transaction, latency (µs), script, epoch, µs.
slowest_ms=$(cat "$dir"/swr.[0-9]* 2>/dev/null | awk 'NF >= 6 { if ($3 + 0 > m) m = $3 + 0 } END { printf "%d", m / 1000 }')
calls=$(cat "$dir"/swr.[0-9]* 2>/dev/null | wc -l)
check '[ "$(q -c "SELECT count(*) FILTER (WHERE stale = '"'true'"' AND items = 10) FROM swr_seen")" = 50 ]' \
    "50 concurrent tako_discover calls of an expired list all return the stale list (meta.stale, 10 items)"
check '[ "$calls" = 50 ] && [ "$slowest_ms" -lt 3000 ]' "... at once: the slowest of $calls took ${slowest_ms} ms, the upstream takes 3000 ms"
wait_fresh $albums 15
fresh_ms=$(($(ms) - started))
check '[ "$(q -c "SELECT expires_at > now() FROM tako_cache.discovery_cache WHERE cache_key = '"'$albums'"'")" = t ]' \
    "the list is fresh again after the worker's refresh (seen ${fresh_ms} ms after the reads began)"
check '[ "$(count_requests /deezer/chart/0/albums)" = 1 ]' "... and the upstream saw one request"
check '[ "$(q -c "SELECT origin || '"' '"' || outcome || '"' '"' || (extract(epoch FROM finished_at - started_at) >= 3) FROM tako_cache.tako_refresh_log WHERE cache_key = '"'$albums'"' ORDER BY id DESC LIMIT 1")" = "stale ok true" ]' \
    "the worker logged its refresh (origin stale, ok, the upstream's 3 s)"
$ctl config '{"latency_ms": 0}' >/dev/null

# 2. A miss that fails raises, and its failure is on record (the worker's own transaction).
$ctl reset >/dev/null
$ctl fault '{"match": "/itunes/", "times": 20, "fault": {"status": 500}}' >/dev/null
err=$(q -c "SELECT tako_discover('itunes:charts:us-album')" 2>&1)
check 'echo "$err" | grep -q "server_error"' "a failing miss raises (server_error)"
check '[ "$(q -c "SELECT origin || '"' '"' || outcome FROM tako_cache.tako_refresh_log WHERE cache_key = '"'itunes:charts:us-album'"' ORDER BY id DESC LIMIT 1")" = "miss server_error" ]' \
    "... and tako_cache.tako_refresh_log has its failure, whatever happened to the statement"
$ctl reset >/dev/null
check '[ "$(q -c "SELECT d->'"'meta'"'->>'"'cached'"' FROM tako_discover('"'itunes:charts:fr-song'"') AS d")" = false ]' \
    "a miss waits for the worker's fetch and returns the list"
check '[ "$(q -c "SELECT origin FROM tako_cache.tako_refresh_log WHERE cache_key = '"'itunes:charts:fr-song'"' ORDER BY id DESC LIMIT 1")" = miss ]' \
    "... fetched by the worker (origin miss)"

# 3. Refresh-ahead: a read in the last 20% of the TTL queues a refresh; one before it does not.
before=$(q -c "SELECT count(*) FROM tako_cache.tako_refresh_log WHERE cache_key = '$tracks'")
q -c "UPDATE tako_cache.discovery_cache SET updated_at = now() - interval '50 s', expires_at = now() + interval '50 s' WHERE cache_key = '$tracks'" >/dev/null
q -c "SELECT tako_discover('$tracks')" >/dev/null
sleep 1.5
check '[ "$(q -c "SELECT count(*) FROM tako_cache.tako_refresh_log WHERE cache_key = '"'$tracks'"'")" = "$before" ]' \
    "a read in the first 80% of the TTL queues nothing"
q -c "UPDATE tako_cache.discovery_cache SET updated_at = now() - interval '90 s', expires_at = now() + interval '10 s' WHERE cache_key = '$tracks'" >/dev/null
check '[ "$(q -c "SELECT d->'"'meta'"'->>'"'stale'"' FROM tako_discover('"'$tracks'"') AS d")" = false ]' \
    "a read in the last 20% of the TTL is a fresh hit"
ahead_ok=0
for _ in $(seq 1 50); do
    [ "$(q -c "SELECT origin || ' ' || outcome FROM tako_cache.tako_refresh_log WHERE cache_key = '$tracks' ORDER BY id DESC LIMIT 1")" = "ahead ok" ] && { ahead_ok=1; break; }
    sleep 0.1
done
check '[ $ahead_ok = 1 ]' "... and the worker refreshes it ahead of its expiry (origin ahead)"
check '[ "$(q -c "SELECT expires_at > now() + interval '"'1 hour'"' FROM tako_cache.discovery_cache WHERE cache_key = '"'$tracks'"'")" = t ]' \
    "... so it does not expire"

# 4. A session that LISTENs receives the key of each of the worker's saves.
expire $artists
psql -X -q -At >"$dir/listen.out" 2>&1 <<EOF &
LISTEN tako_cache;
\! psql -X -q -At -d tako_wk -c "SELECT tako_discover('$artists')" >/dev/null
\! sleep 2
SELECT 'listened';
EOF
wait $!
check 'grep -q "notification \"tako_cache\" with payload \"$artists\"" "$dir/listen.out"' \
    "a LISTENing session receives the key the worker saved"

# 5. Stats.
stats=$(q -c "SELECT tako_cache_stats()->'queue'")
check 'echo "$stats" | python3 -c "import json,sys; q=json.load(sys.stdin); assert q[\"worker_running\"] and q[\"done\"] >= 4 and q[\"failed\"] >= 1 and q[\"pending\"] == 0 and q[\"in_flight\"] == 0 and q[\"last_run_at\"]"' \
    "tako_cache_stats() shows the worker and its queue (pending, in flight, done, failed, last run)"

# 6-8. The worker terminated, killed, and the server restarted, each while it fetches.
interrupted() {  # label, how
    local label=$1 how=$2 old
    expire "$albums $tracks"
    $ctl reset >/dev/null
    $ctl config '{"latency_ms": 3000}' >/dev/null
    q -c "SELECT count(*) FROM tako_discover('$albums') AS a, tako_discover('$tracks') AS t" >/dev/null
    old=$(worker_pid)
    check 'wait_fetching' "$label: the worker is fetching two expired lists"
    case $how in
    terminate) q -c "SELECT pg_terminate_backend($old)" >/dev/null ;;
    kill) as_server_user kill -9 "$old"; sleep 1; wait_ready ;;
    restart) as_server_user "$PG_BINDIR/pg_ctl" -D "$PGDATA" -l "$CLUSTER_LOG" -m fast -w restart >/dev/null; wait_ready ;;
    esac
    $ctl config '{"latency_ms": 0}' >/dev/null
    check 'wait_worker 30 $old' "$label: a new worker starts"
    check 'wait_fresh "$albums $tracks" 30' "$label: ... and finishes the queue (both lists fresh again)"
    check '[ "$(running_rows)" = 0 ]' "$label: no refresh-log row is left 'running'"
    check '[ "$(q -c "SELECT count(*) FROM tako_cache.tako_refresh_log WHERE outcome = '"'interrupted'"' AND pid = $old AND error LIKE '"'the refresh never finished%'"'")" -ge 1 ]' \
        "$label: the interrupted refreshes are marked, saying why"
    check '[ "$(q -c "SELECT count(*) FROM tako_cache.discovery_cache")" = "$rows" ] && [ "$(q -c "SELECT md5(data::text) FROM tako_cache.discovery_cache WHERE cache_key = '"'$artists'"'")" = "$artists_md5" ]' \
        "$label: no committed data lost"
}
artists_md5=$(q -c "SELECT md5(data::text) FROM tako_cache.discovery_cache WHERE cache_key = '$artists'")
rows=$(q -c "SELECT count(*) FROM tako_cache.discovery_cache")
interrupted "pg_terminate_backend" terminate
interrupted "kill -9" kill
interrupted "server restart" restart

# 9. DROP EXTENSION while the worker fetches: it succeeds at once; the worker stays.
expire $albums
$ctl config '{"latency_ms": 3000}' >/dev/null
q -c "SELECT tako_discover('$albums')" >/dev/null
wait_fetching
pid=$(worker_pid)
started=$(ms)
check 'q -c "DROP EXTENSION tako_cache" >/dev/null' "DROP EXTENSION succeeds while the worker fetches"
check '[ $(($(ms) - started)) -lt 2500 ]' "... without waiting for the fetch ($(($(ms) - started)) ms)"
$ctl config '{"latency_ms": 0}' >/dev/null
sleep 3.5
check '[ "$(worker_pid)" = "$pid" ] && ! grep -q "tako_cache refresh worker: .*does not exist" "$CLUSTER_LOG"' \
    "... and the worker goes on quietly"
q -c "CREATE EXTENSION tako_cache" >/dev/null
check '[ "$(q -c "SELECT d->>'"'count'"' FROM tako_discover('"'$albums'"') AS d")" = 10 ]' \
    "the extension created again: the worker serves it"

# 10. A database the worker does not serve: the session refreshes, and the WARNING says why.
createdb tako_other && q -d tako_other -c "CREATE EXTENSION tako_cache" >/dev/null
q -d tako_other -c "SELECT tako_refresh('$albums')" >/dev/null
q -d tako_other -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute'" >/dev/null
out=$(psql -X -At -d tako_other -c "SELECT d->'meta'->>'stale' FROM tako_discover('$albums') AS d" 2>&1)
check 'echo "$out" | grep -q "refresh worker does not serve this database"' "elsewhere a WARNING says the worker does not serve the database"
check '[ "$(echo "$out" | tail -1)" = false ]' "... and the session refreshes the expired list itself, as before"

# 11. DROP DATABASE of the worker's database while it fetches: not blocked.
expire $albums
$ctl config '{"latency_ms": 3000}' >/dev/null
q -c "SELECT tako_discover('$albums')" >/dev/null
wait_fetching
started=$(ms)
check 'q -d postgres -c "DROP DATABASE tako_wk" >/dev/null' "DROP DATABASE of the worker's database succeeds while it fetches"
check '[ $(($(ms) - started)) -lt 4000 ]' "... at once ($(($(ms) - started)) ms; it fails after 5 s when a session stays)"
$ctl config '{"latency_ms": 0}' >/dev/null

# 12. Without the worker (tako_cache not preloaded): everything works as before, and a WARNING says
# what is missing.
cluster_stop
cluster_start nopreload --conf "shared_preload_libraries = ''" "${conf[@]}" >/dev/null || {
    echo "not ok $((n + 1)) - a cluster without tako_cache preloaded starts"
    exit 1
}
export PGDATABASE=postgres
q -c "CREATE EXTENSION tako_cache" >/dev/null 2>&1
$ctl reset >/dev/null
$ctl config '{"latency_ms": 0}' >/dev/null
out=$(psql -X -At -c "SELECT d->'meta'->>'cached' FROM tako_discover('$albums') AS d" 2>&1)
check 'echo "$out" | grep -q "tako_cache is not in shared_preload_libraries: there is no refresh worker"' \
    "not preloaded: a WARNING says there is no refresh worker"
check '[ "$(echo "$out" | tail -1)" = false ]' "... and a miss is fetched by the session itself"
q -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute'" >/dev/null
check '[ "$(q -c "SELECT d->'"'meta'"'->>'"'stale'"' FROM tako_discover('"'$albums'"') AS d" 2>/dev/null)" = false ]' \
    "... and an expired list is refreshed by its reader, as before"
check '[ "$(q -c "SELECT tako_cache_stats()->'"'queue'"'->>'"'worker_running'"'" 2>/dev/null)" = false ]' \
    "... and the stats say no worker runs"
