#!/usr/bin/env bash
# Reads that never fail because of the cache's own state (1.5). Long-lived sessions of a role with
# PUBLIC's grants only (a pooled Node connection) read lists through tako_get_cached and
# tako_discover while the table is vacuumed, rewritten, clustered, purged and restored under them;
# then 10,000 distinct cached keys are read, with tako_cache preloaded and without. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
source test/lib/cluster.sh
db=tako_reads
q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
trap 'q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; q -d postgres -c "DROP ROLE IF EXISTS reads_public" >/dev/null 2>&1' EXIT
q -d postgres -c "DROP ROLE IF EXISTS reads_public" -c "CREATE ROLE reads_public LOGIN" >/dev/null

# A Format B list of one item, and N lists under distinct keys (IGDB platform pairs: thousands of
# valid keys, as budgets let them accumulate in production).
setup_sql() {
    cat <<'SQL'
CREATE EXTENSION IF NOT EXISTS tako_cache CASCADE;
CREATE FUNCTION pg_temp.items(key text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_array(jsonb_build_object(
        'id', split_part(key, ':', 1) || ':1',
        'type', CASE split_part(key, ':', 1) WHEN 'igdb' THEN 'videogame' ELSE 'music_artist' END,
        'source', split_part(key, ':', 1), 'sourceId', '1', 'title', key,
        'titleOriginal', NULL, 'description', repeat('x', 300), 'year', NULL,
        'images', jsonb_build_object('primary', NULL, 'thumbnail', NULL, 'gallery', '[]'::jsonb),
        'urls', jsonb_build_object('source', NULL, 'detail', '/api/music/deezer/artists/1'),
        'details', jsonb_build_object('position', 1)))
$$;
SQL
}
# SQL on stdin, as the owner; only its errors are shown.
run_sql() { q -d $db 2>&1 >/dev/null | head -5 | sed 's/^/# /'; }
# The first N keys igdb:trending:a,b.
keys_sql() {
    echo "SELECT format('igdb:trending:%s,%s', a.id, b.id) AS k
            FROM tako_cache.tako_platforms a JOIN tako_cache.tako_platforms b ON a.provider = 'igdb' AND b.provider = 'igdb'
                                                         AND a.id < b.id
           ORDER BY a.id, b.id LIMIT $1"
}
{ setup_sql; echo "SELECT count(tako_save_cached(k, NULL, NULL, pg_temp.items(k))) FROM ($(keys_sql 3000)) AS f;
                   SELECT tako_save_cached('deezer:charts:artists', NULL, NULL, pg_temp.items('deezer:charts:artists'));"; } |
    run_sql

# One long-lived session of the PUBLIC-only role. Between its reads, the owner's maintenance runs
# in other sessions (\!). Each read prints "label|items via tako_get_cached|items via tako_discover".
read_both() { echo "SELECT '$1' || '|' || coalesce(json_array_length(tako_get_cached('deezer:charts:artists'))::text, 'null') || '|' || json_array_length(tako_discover('deezer:charts:artists')->'data');"; }
as_owner() { echo "\\! psql -X -q -d $db -c \"$1\" >/dev/null"; }
table_oid=$(q -d $db -c "SELECT 'tako_cache.discovery_cache'::regclass::oid")
out=$({
    read_both start
    # The daily purge of every list but one, which is then saved anew while a VACUUM truncated the
    # table under it: the address this session saw is past the table's end.
    as_owner "UPDATE tako_cache.discovery_cache SET last_accessed = now() - interval '100 days' WHERE cache_key LIKE 'igdb:%'"
    as_owner "SELECT tako_purge_old_entries(90)"
    as_owner "DELETE FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:artists'"
    as_owner "VACUUM tako_cache.discovery_cache"
    echo "\\! psql -X -q -d $db -c \"INSERT INTO tako_cache.discovery_cache (cache_key, data, expires_at) SELECT 'deezer:charts:artists', data, now() + interval '1 day' FROM (SELECT jsonb_build_array(jsonb_build_object('id', 'deezer:1', 'type', 'music_artist', 'source', 'deezer', 'sourceId', '1', 'title', 'moved', 'titleOriginal', NULL, 'description', NULL, 'year', NULL, 'images', jsonb_build_object('primary', NULL, 'thumbnail', NULL, 'gallery', '[]'::jsonb), 'urls', jsonb_build_object('source', NULL, 'detail', '/x'), 'details', jsonb_build_object('position', 1))) AS data) AS d\" >/dev/null"
    echo "SELECT 'blocks|' || pg_relation_size($table_oid) / 8192;  -- (the role may not name the table)"
    read_both purge_vacuum
    { setup_sql | sed 1d; echo "SELECT count(tako_save_cached(k, NULL, NULL, pg_temp.items(k))) FROM ($(keys_sql 3000)) AS f;"; } >"/tmp/tako_reads_fill.$$.sql"
    echo "\\! psql -X -q -d $db -f /tmp/tako_reads_fill.$$.sql >/dev/null"
    read_both refilled
    as_owner "DELETE FROM tako_cache.discovery_cache WHERE cache_key LIKE 'igdb:%'"
    as_owner "VACUUM FULL tako_cache.discovery_cache"
    read_both vacuum_full
    echo "\\! psql -X -q -d $db -f /tmp/tako_reads_fill.$$.sql >/dev/null"
    read_both refilled_again
    as_owner "CLUSTER tako_cache.discovery_cache USING discovery_cache_pkey"
    read_both cluster
    # A restore of the table's data: emptied, then loaded back from a dump (new row addresses,
    # the same data versions).
    echo "\\! pg_dump -d $db --data-only -t tako_cache.discovery_cache -f /tmp/tako_reads_dump.$$.sql"
    as_owner "TRUNCATE tako_cache.discovery_cache"
    echo "SELECT 'truncated|' || coalesce(json_array_length(tako_get_cached('deezer:charts:artists'))::text, 'null');"
    echo "\\! psql -X -q -d $db -c 'ALTER TABLE tako_cache.discovery_cache DISABLE TRIGGER USER' -f /tmp/tako_reads_dump.$$.sql -c 'ALTER TABLE tako_cache.discovery_cache ENABLE TRIGGER USER' >/dev/null"
    read_both restored
} | psql -X -q -At -U reads_public -d $db 2>&1)
[ -n "${READS_DEBUG:-}" ] && echo "$out" | sed "s/^/# /"
rm -f /tmp/tako_reads_fill.$$.sql /tmp/tako_reads_dump.$$.sql
got() { echo "$out" | grep "^$1|" | head -1 | cut -d'|' -f2-; }
check '[ "$(got start)" = "1|1" ]' "a PUBLIC-only session reads the list through both functions ($(got start))"
check '[ "$(got purge_vacuum)" = "1|1" ]' "... after the daily purge, the list saved anew and a VACUUM that shrank the table to $(got blocks) blocks ($(got purge_vacuum))"
check '[ "$(got refilled)" = "1|1" ]' "... after 3,000 more lists ($(got refilled))"
check '[ "$(got vacuum_full)" = "1|1" ]' "... after VACUUM FULL ($(got vacuum_full))"
check '[ "$(got cluster)" = "1|1" ]' "... after CLUSTER ($(got cluster))"
check '[ "$(got truncated)" = null ]' "... a TRUNCATE is a miss for tako_get_cached ($(got truncated))"
check '[ "$(got restored)" = "1|1" ]' "... and a restore of the data serves it again ($(got restored))"
check '! echo "$out" | grep -qiE "error|could not read block|permission denied"' "no read failed"
if echo "$out" | grep -qiE "error|could not"; then echo "$out" | grep -iE "error|could not" | head -5 | sed 's/^/# /'; fi

# 10,000 distinct cached keys, each read once through each function by the PUBLIC-only role: more
# keys than there are hit counters. Every read succeeds; every hit is counted or said skipped.
{ setup_sql | sed 1d; echo "SELECT count(tako_save_cached(k, NULL, NULL, pg_temp.items(k))) FROM ($(keys_sql 10000)) AS f;"; } |
    run_sql
q -d $db -c "SELECT tako_cache.tako_flush_hits()" >/dev/null
# The keys, as the PUBLIC-only role may name them (it may not read tako_cache.tako_platforms).
all_keys=$(q -d $db -c "SELECT string_agg(k, ' ' ORDER BY n) FROM (SELECT k, row_number() OVER () AS n FROM ($(keys_sql 10000)) AS f) AS g")
public_keys_sql() { echo "SELECT k FROM unnest(string_to_array('$all_keys', ' ')) WITH ORDINALITY AS f(k, i) WHERE i <= $1"; }
read_all="SELECT count(tako_get_cached(f.k)) || '|' || count(tako_discover(f.k)->'data') FROM ($(public_keys_sql 10000)) AS f"
before=$(q -d $db -c "SELECT (h->>'skipped')::bigint FROM tako_cache.tako_hit_stats() AS h")
res=$(q -U reads_public -d $db <<<"$read_all" 2>&1)
check '[ "$res" = "10000|10000" ]' "preloaded: 10,000 distinct keys read by a PUBLIC-only role through both functions ($res)"
accounted=$(q -d $db -c "SELECT coalesce(sum(hits), 0) + (SELECT (h->>'skipped')::bigint FROM tako_cache.tako_hit_stats() AS h) - $before FROM tako_cache.tako_pending_hits()")
check '[ "$accounted" = 20000 ]' "... each of the 20,000 hits counted or counted as skipped ($accounted)"
stats=$(q -U reads_public -d $db -c "SELECT tako_cache_stats()->'hits'")
check 'echo "$stats" | grep -q "\"counting\": \"shared_memory\""' "... and the stats say how hits are counted: $stats"
q -d $db -c "SELECT tako_cache.tako_flush_hits()" >/dev/null
used=$(q -d $db -c "SELECT h->>'slots_used' FROM tako_cache.tako_hit_stats() AS h")
check '[ "$used" -lt 100 ]' "a flush frees the counters it emptied ($used in use after it)"
before=$(q -d $db -c "SELECT (h->>'skipped')::bigint FROM tako_cache.tako_hit_stats() AS h")
res=$(q -U reads_public -d $db <<<"SELECT count(tako_get_cached(f.k)) FROM ($(public_keys_sql 5000)) AS f" 2>&1)
skipped=$(q -d $db -c "SELECT (h->>'skipped')::bigint - $before FROM tako_cache.tako_hit_stats() AS h")
pending=$(q -d $db -c "SELECT coalesce(sum(hits), 0) FROM tako_cache.tako_pending_hits()")
check '[ "$res" = 5000 ] && [ "$skipped" = 0 ] && [ "$pending" = 5000 ]' \
    "... so 5,000 more distinct keys are all counted (read $res, pending $pending, skipped $skipped)"

# The renderings a backend keeps are in a memory context of their own, within
# tako_cache.render_cache_size, however many lists it reads.
mem=$(q -d $db <<SQL
SET tako_cache.render_cache_size = '1MB';
SELECT count(tako_discover(f.k)) FROM ($(keys_sql 10000)) AS f \g /dev/null
SELECT total_bytes FROM pg_backend_memory_contexts WHERE name = 'tako_cache render cache';
SQL
)
check '[ -n "$mem" ] && [ "$mem" -le $((1024 * 1024 + 256 * 1024)) ]' \
    "10,000 lists rendered by one backend: its \"tako_cache render cache\" context holds $mem bytes (setting: 1 MB)"

# A dropped database's counters go with it: its keys do not hold slots for an hour.
used_before=$(q -c "SELECT h->>'slots_used' FROM tako_cache.tako_hit_stats() AS h")
dropped_before=$(q -c "SELECT h->>'dropped' FROM tako_cache.tako_hit_stats() AS h")
q -d postgres -c "DROP DATABASE $db WITH (FORCE)" >/dev/null
used_after=$(q -c "SELECT h->>'slots_used' FROM tako_cache.tako_hit_stats() AS h")
dropped=$(q -c "SELECT (h->>'dropped')::bigint - $dropped_before FROM tako_cache.tako_hit_stats() AS h")
check '[ "$used_before" -gt 5000 ] && [ "$used_after" -lt 100 ] && [ "$dropped" -ge 5000 ]' \
    "DROP DATABASE frees its hit counters ($used_before in use before, $used_after after; $dropped unflushed hits dropped)"

# Without preloading (a documented mode): no shared memory, hits are not counted, reads never fail.
port_pre=$PGPORT host_pre=$PGHOST data_pre=$PGDATA dir_pre=$CLUSTER_DIR
conf=(--conf "shared_preload_libraries = 'pg_cron'" --conf "cron.database_name = 'postgres'")
if cluster_start reads_nopreload "${conf[@]}" >/dev/null; then
    q -d postgres -c "CREATE DATABASE $db" -c "CREATE ROLE reads_public LOGIN" >/dev/null
    { setup_sql; echo "SELECT count(tako_save_cached(k, NULL, NULL, pg_temp.items(k))) FROM ($(keys_sql 10000)) AS f;"; } |
        q -d $db >/dev/null 2>&1
    res=$(q -U reads_public -d $db <<<"$read_all" 2>&1)
    check '[ "$res" = "10000|10000" ]' "not preloaded: 10,000 distinct keys read by a PUBLIC-only role through both functions ($res)"
    counting=$(q -U reads_public -d $db -c "SELECT tako_cache_stats()->'hits'->>'counting'")
    check '[ "$counting" = "off: tako_cache is not preloaded" ]' "... and the stats say hits are not counted ($counting)"
    written=$(q -d $db -c "SELECT count(*) FROM tako_cache.discovery_cache WHERE fetch_count > 0")
    check '[ "$written" = 0 ]' "... no hit wrote a row ($written)"
    cluster_stop
else
    check false "a cluster without tako_cache preloaded starts"
fi
export PGPORT=$port_pre PGHOST=$host_pre PGDATA=$data_pre CLUSTER_DIR=$dir_pre
echo "1..$n"
