#!/usr/bin/env bash
# pg_dump and restore keep what users edit (docs/schema.md): the refresh slots and warm keys, with
# their edits and additions, and the cached lists, restored over CREATE EXTENSION's pre-filled
# rows without an error. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
dump=$(mktemp)
clean_dump=$(mktemp)
trap 'rm -f "$dump" "$clean_dump"; q -d postgres -c "DROP DATABASE IF EXISTS tako_dump_src" -c "DROP DATABASE IF EXISTS tako_dump_dst" >/dev/null 2>&1' EXIT

q -d postgres -c "DROP DATABASE IF EXISTS tako_dump_src" -c "DROP DATABASE IF EXISTS tako_dump_dst" >/dev/null 2>&1
q -d postgres -c "CREATE DATABASE tako_dump_src" -c "CREATE DATABASE tako_dump_dst" >/dev/null
q -d tako_dump_src -c "CREATE EXTENSION tako_cache" >/dev/null
q -d tako_dump_src <<'SQL' >/dev/null
UPDATE tako_cache.tako_refresh_slots SET local_times = '{02:15}' WHERE list = 'trending' AND provider = 'tmdb';
UPDATE tako_cache.tako_refresh_slots SET enabled = false WHERE list = 'charts' AND provider = 'itunes';
INSERT INTO tako_cache.tako_refresh_slots (list, provider, endpoints, local_times) VALUES ('nightly', 'rawg', '{popular,trending}', '{01:10}');
UPDATE tako_cache.tako_warm_keys SET enabled = false WHERE cache_key = 'itunes:charts:jp-album';
INSERT INTO tako_cache.tako_warm_keys (cache_key) VALUES ('itunes:charts:de-song'), ('rawg:popular:4,187');
SELECT tako_cache.tako_refresh_keys(ARRAY['deezer:charts:albums', 'tmdb:popular:tv']);
SELECT tako_get_cached('deezer:charts:albums');
SQL
snapshot() {  # the user-visible state of a database
    q -d "$1" -c "SELECT list, provider, endpoints, local_times, enabled, standard FROM tako_cache.tako_refresh_slots ORDER BY 1, 2" \
              -c "SELECT cache_key, enabled, standard FROM tako_cache.tako_warm_keys ORDER BY 1" \
              -c "SELECT cache_key, provider, endpoint, category, md5(data::text), total_results, fetch_count,
                         refresh_count, expires_at FROM tako_cache.discovery_cache ORDER BY 1"
}
before=$(snapshot tako_dump_src)

pg_dump -d tako_dump_src -f "$dump" 2>/dev/null
check '[ -s "$dump" ]' "pg_dump of a database with tako_cache"
errors=$(psql -X -q -d tako_dump_dst -v ON_ERROR_STOP=0 -f "$dump" 2>&1 | grep -c ERROR)
check '[ "$errors" = 0 ]' "the dump restores into a new database without an error ($errors errors)"
after=$(snapshot tako_dump_dst)
check '[ -n "$before" ] && [ "$before" = "$after" ]' \
    "slots, warm keys and cached lists are identical after the restore (edits, additions, disabled rows)"
check '[ "$(q -d tako_dump_dst -c "SELECT count(*) FROM tako_cache.tako_refresh_slots")" = 16 ]' "... 15 standard slots and the added one"
check '[ "$(q -d tako_dump_dst -c "SELECT count(*) FROM tako_cache.tako_warm_keys")" = 43 ]' "... 41 standard warm keys and the two added"
check '[ "$(q -d tako_dump_dst -c "SELECT json_array_length(tako_get_cached('"'deezer:charts:albums'"'))")" = 10 ]' \
    "the restored cache serves its lists"

# A session that keeps its renderings across a restore over its own database serves the restored
# lists, through both hit paths (issue 9): one psql session reads, another writes, then the
# --clean dump of the source is restored under it.
pg_dump --clean --if-exists -d tako_dump_src -f "$clean_dump" 2>/dev/null
both="SELECT json_array_length(tako_get_cached('deezer:charts:albums')) || '/' || json_array_length(tako_discover('deezer:charts:albums')->'data');"
served=$(psql -X -q -At -d tako_dump_dst 2>&1 <<SQL
$both
\\! psql -X -q -d tako_dump_dst -c "UPDATE tako_cache.discovery_cache SET data = jsonb_path_query_array(data, '\\\$[0 to 1]') WHERE cache_key = 'deezer:charts:albums'" >/dev/null
$both
\\! psql -X -q -d tako_dump_dst -f "$clean_dump" >/dev/null 2>&1
$both
SQL
)
check '[ "$(echo $served)" = "10/10 2/2 10/10" ]' \
    "a session's renderings follow a change and a restore over its database (served: $(echo $served))"
echo "1..$n"
