#!/usr/bin/env bash
# Reads on a hot standby (issue 5): a streaming replica of the test cluster, started here as the
# same unprivileged user, serves tako_get_cached, follows the primary's refreshes, and
# tako_discover serves from it as db_only. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
source test/lib/cluster.sh
primary_port=$PGPORT
standby_dir=$(mktemp -d /tmp/tako_cache.standby.XXXXXX)
chmod 755 "$standby_dir"
[ "$(id -u)" = 0 ] && chown postgres: "$standby_dir"
standby_port=$(free_port)
cleanup() {
    as_server_user "$PG_BINDIR/pg_ctl" -D "$standby_dir/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$standby_dir"
}
trap cleanup EXIT
[ -n "${KEEP_STANDBY:-}" ] && trap - EXIT

key=deezer:charts:albums
check '[ "$(q -c "SELECT tako_refresh('"'$key'"')->>'"'status'"'")" = ok ]' "the primary has $key"
as_server_user "$PG_BINDIR/pg_basebackup" -D "$standby_dir/data" -h "$PGHOST" -p "$primary_port" -U postgres \
    -R -X stream >"$standby_dir/basebackup.log" 2>&1
check '[ -f "$standby_dir/data/standby.signal" ]' "pg_basebackup -R made a standby"
as_server_user "$PG_BINDIR/pg_ctl" -D "$standby_dir/data" -l "$standby_dir/server.log" -w -t 60 \
    -o "-p $standby_port -c cron.database_name=tako_standby_none -c cron.host=$PGHOST" start >/dev/null
s() { PGPORT=$standby_port q "$@"; }
check '[ "$(s -c "SELECT pg_is_in_recovery()")" = t ]' "the standby is in recovery"

# Wait for the standby to replay up to the primary's current position.
wait_replay() {
    local lsn
    lsn=$(q -c "SELECT pg_current_wal_insert_lsn()")  # the insert position: commits are asynchronous here
    for _ in $(seq 1 100); do
        [ "$(s -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && return 0
        sleep 0.1
    done
    return 1
}
wait_replay
check '[ "$(s -c "SELECT json_array_length(tako_get_cached('"'$key'"'))")" = 10 ]' "tako_get_cached returns the data on the hot standby"
check '[ "$(s -c "SELECT tako_get_cached('"'$key'"')::jsonb = data FROM tako_cache.discovery_cache WHERE cache_key = '"'$key'"'")" = t ]' \
    "... the same items as the table"
first=$(s -c "SELECT tako_get_cached('$key')->0->>'title'")

# The primary changes the list: the standby (which keeps the text it rendered) follows at once.
q -c "UPDATE tako_cache.discovery_cache SET data = jsonb_path_query_array(data, '\$[1 to 2]') WHERE cache_key = '$key'" >/dev/null
wait_replay
items=$(s -c "SELECT json_array_length(tako_get_cached('$key'))")
now_first=$(s -c "SELECT tako_get_cached('$key')->0->>'title'")
check '[ "$items" = 2 ] && [ "$now_first" != "$first" ]' \
    "the standby serves the primary's new version at once ($items items, first \"$now_first\", was \"$first\")"

# tako_discover on a standby: db_only (never fetches, never writes).
served=$(s -c "SELECT concat_ws('/', d->>'success', d->'meta'->>'cached', d->>'count') FROM tako_discover('$key') AS d")
check '[ "$served" = "true/true/2" ]' "tako_discover serves from the standby ($served)"
check '[ "$(s -c "SELECT tako_discover('"'$key'"')::text = tako_cache.tako_envelope(cache_key, data, upstream, updated_at, expires_at, true, false)::text FROM tako_cache.discovery_cache WHERE cache_key = '"'$key'"'")" = t ]' \
    "... the envelope of the replicated row, byte for byte"
miss=$(s -c "SELECT d->>'success' FROM tako_discover('itunes:charts:zw-song') AS d")
check '[ "$miss" = false ]' "... and a miss is success:false, without fetching or writing"
check '[ "$(s -c "SELECT tako_cache.tako_flush_hits()")" = 0 ]' "flushing hits on a standby is a no-op"
pending=$(s -c "SELECT hits FROM tako_cache.tako_pending_hits() WHERE cache_key = '$key'")
check '[ "${pending:-0}" -ge 4 ]' "... its hits stay counted in the standby's shared memory ($pending)"
# The refresh worker does nothing on a standby: it does not run there, and an expired list is
# served as it is, with no request upstream (the primary's worker refreshes it).
check '[ "$(s -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = '"'tako_cache refresh worker'"'")" = 0 ] &&
       [ "$(s -c "SELECT tako_cache.tako_queue_stats()->>'"'worker_running'"'")" = false ]' "no refresh worker runs on the standby"
q -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key = '$key'" >/dev/null
wait_replay
$ctl reset >/dev/null
stale=$(s -c "SELECT concat_ws('/', d->'meta'->>'stale', d->>'count') FROM tako_discover('$key') AS d")
sleep 1
check '[ "$stale" = "true/2" ] && [ "$(count_requests /deezer/)" = 0 ]' \
    "an expired list is served stale on the standby, and nothing is sent upstream ($stale)"
entries=$(s -c "SELECT tako_cache_stats()->'global'->>'total_entries'")
check '[ "${entries:-0}" -gt 0 ]' "tako_cache_stats works on the standby ($entries entries)"
echo "1..$n"
