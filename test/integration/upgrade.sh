#!/usr/bin/env bash
# Upgrades: install 1.0, fill the cache, update to 1.1, 1.2, 1.3, 1.4, 1.5 and 1.6, and find
# everything intact at each step; the updated extension is the same, object for object, as a fresh
# install, and so is 1.0 updated straight to the newest version. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
cleanup() { q -d postgres -c "DROP DATABASE IF EXISTS tako_up_old" -c "DROP DATABASE IF EXISTS tako_up_new" \
               -c "DROP DATABASE IF EXISTS tako_up_direct" >/dev/null 2>&1; }
trap cleanup EXIT
cleanup
q -d postgres -c "CREATE DATABASE tako_up_old" -c "CREATE DATABASE tako_up_new" -c "CREATE DATABASE tako_up_direct" >/dev/null

q -d tako_up_old -c "CREATE EXTENSION tako_cache VERSION '1.0'"
check '[ "$(q -d tako_up_old -c "SELECT extversion FROM pg_extension WHERE extname = '"'tako_cache'"'")" = 1.0 ]' "installed version 1.0"
q -d tako_up_old <<'SQL' >/dev/null
SELECT tako_refresh_keys(ARRAY['deezer:charts:albums', 'tmdb:popular:tv', 'jikan:top:manga', 'itunes:charts:us-song']);
SELECT tako_refresh('rawg:popular:all');
UPDATE tako_refresh_slots SET local_times = '{02:20}' WHERE list = 'trending' AND provider = 'tmdb';
INSERT INTO tako_warm_keys (cache_key) VALUES ('itunes:charts:de-album');
UPDATE tako_warm_keys SET enabled = false WHERE cache_key = 'jikan:top:movie';
SELECT count(tako_get_cached('deezer:charts:albums')) FROM generate_series(1, 5);
SELECT tako_flush_hits();
SELECT count(tako_get_cached('deezer:charts:albums')) FROM generate_series(1, 3);
SQL
state() {  # what users have in a database
    q -d "$1" -c "SELECT cache_key, md5(data::text), total_results, fetch_count, refresh_count, expires_at, updated_at,
                         created_at, last_refresh_status FROM discovery_cache ORDER BY 1" \
              -c "SELECT id, cache_key, origin, outcome, http_status, items, attempts, started_at FROM tako_refresh_log ORDER BY id" \
              -c "SELECT * FROM tako_warm_keys ORDER BY 1" -c "SELECT * FROM tako_refresh_slots ORDER BY 1, 2"
}
before=$(state tako_up_old)
pending_before=$(q -d tako_up_old -c "SELECT hits FROM tako_pending_hits() WHERE cache_key = 'deezer:charts:albums'")

q -d tako_up_old -c "ALTER EXTENSION tako_cache UPDATE TO '1.1'"
check '[ "$(q -d tako_up_old -c "SELECT extversion FROM pg_extension WHERE extname = '"'tako_cache'"'")" = 1.1 ]' "updated to 1.1"
after=$(state tako_up_old)
check '[ -n "$before" ] && [ "$before" = "$after" ]' "cached lists, counters, refresh log, warm keys and slots are intact"
check '[ "$(q -d tako_up_old -c "SELECT hits FROM tako_pending_hits() WHERE cache_key = '"'deezer:charts:albums'"'")" = "$pending_before" ]' \
    "... and so are the hits not yet flushed ($pending_before)"
check '[ "$(q -d tako_up_old -c "SELECT json_array_length(tako_get_cached('"'deezer:charts:albums'"'))")" = 10 ]' "the cache serves after the update"
check '[ "$(q -d tako_up_old -c "SELECT tako_refresh('"'tmdb:popular:tv'"')->>'"'status'"'")" = ok ]' "refreshes work after the update"
q -d tako_up_old -c "CALL tako_refresh_job(ARRAY['deezer:charts:tracks'])" >/dev/null
check '[ "$(q -d tako_up_old -c "SELECT outcome || '"'/'"' || (pid IS NOT NULL) FROM tako_refresh_log WHERE cache_key = '"'deezer:charts:tracks'"'")" = "ok/true" ]' \
    "1.1's scheduled refresh (a procedure) works on the updated extension"
check '[ "$(q -d tako_up_old -c "SELECT count(*) FROM tako_schedule_plan() WHERE command LIKE '"'CALL %'"'")" = 29 ]' \
    "the planned jobs now call the procedures (28 slots and the hourly job)"

# 1.1 → 1.2: every list and its bookkeeping kept; lists saved before 1.2 have no upstream
# metadata ({}) and each row its own data_version; tako_discover (now C, json) serves them.
q -d tako_up_old -c "SELECT count(tako_get_cached('deezer:charts:albums')) FROM generate_series(1, 2)" >/dev/null
before=$(state tako_up_old)
pending_before=$(q -d tako_up_old -c "SELECT hits FROM tako_pending_hits() WHERE cache_key = 'deezer:charts:albums'")
q -d tako_up_old -c "ALTER EXTENSION tako_cache UPDATE TO '1.2'"
check '[ "$(q -d tako_up_old -c "SELECT extversion FROM pg_extension WHERE extname = '"'tako_cache'"'")" = 1.2 ]' "updated to 1.2"
check '[ -n "$before" ] && [ "$before" = "$(state tako_up_old)" ]' "cached lists, counters, refresh log, warm keys and slots are intact"
check '[ "$(q -d tako_up_old -c "SELECT hits FROM tako_pending_hits() WHERE cache_key = '"'deezer:charts:albums'"'")" = "$pending_before" ]' \
    "... and the hits not yet flushed ($pending_before)"
check '[ "$(q -d tako_up_old -c "SELECT count(*) FILTER (WHERE upstream = '"'{}'"') || '"'/'"' || count(DISTINCT data_version) || '"'/'"' || count(*) FROM discovery_cache")" = "6/6/6" ]' \
    "the lists saved before 1.2 have no upstream metadata and each its own data_version"
check '[ "$(q -d tako_up_old -c "SELECT (tako_discover('"'deezer:charts:albums'"')::jsonb - '"'meta'"') = (tako_envelope(cache_key, data, upstream, updated_at, expires_at, true, false)::jsonb - '"'meta'"') FROM discovery_cache WHERE cache_key = '"'deezer:charts:albums'"'")" = t ]' \
    "tako_discover serves an old list in the 1.2 envelope"
check '[ "$(q -d tako_up_old -c "SELECT tako_discover('"'deezer:charts:albums'"')->>'"'total'"'")" = 10 ]' \
    "... with the stored count as total (no upstream total was kept before 1.2)"
check '[ "$(q -d tako_up_old -c "SELECT tako_refresh('"'deezer:charts:albums'"')->>'"'status'"'")" = ok ] &&
       [ "$(q -d tako_up_old -c "SELECT upstream->>'"'total'"' FROM discovery_cache WHERE cache_key = '"'deezer:charts:albums'"'")" = 10 ]' \
    "a refresh after the update stores the upstream metadata"

# 1.2 → 1.3: lists saved by 1.2 under a platform list in another order are carried to the one
# form, or merged into the row already there (newer data, every hit of both).
q -d tako_up_old <<'SQL' >/dev/null
SELECT tako_refresh_keys(ARRAY['rawg:popular:4,187', 'igdb:popular:6,48']);
ALTER TABLE discovery_cache DISABLE TRIGGER discovery_cache_check_row;  -- 1.2 took keys as they came
INSERT INTO discovery_cache (cache_key, data, expires_at, fetch_count)
SELECT 'rawg:popular:187,4', data, expires_at, 5 FROM discovery_cache WHERE cache_key = 'rawg:popular:4,187';
INSERT INTO discovery_cache (cache_key, data, expires_at, fetch_count)
SELECT 'igdb:trending:48,6', data, expires_at, 7 FROM discovery_cache WHERE cache_key = 'igdb:popular:6,48';
ALTER TABLE discovery_cache ENABLE TRIGGER discovery_cache_check_row;
UPDATE discovery_cache SET fetch_count = 2 WHERE cache_key = 'rawg:popular:4,187';
SQL
rows_before=$(q -d tako_up_old -c "SELECT count(*) FROM discovery_cache")
q -d tako_up_old -c "ALTER EXTENSION tako_cache UPDATE TO '1.3'"
check '[ "$(q -d tako_up_old -c "SELECT extversion FROM pg_extension WHERE extname = '"'tako_cache'"'")" = 1.3 ]' "updated to 1.3"
check '[ "$(q -d tako_up_old -c "SELECT fetch_count FROM discovery_cache WHERE cache_key = '"'rawg:popular:4,187'"'")" = 7 ] &&
       [ "$(q -d tako_up_old -c "SELECT count(*) FROM discovery_cache WHERE cache_key LIKE '"'rawg:popular:%4%'"'")" = 1 ]' \
    "an unsorted list whose sorted key exists is merged into it (one row, the hits of both)"
check '[ "$(q -d tako_up_old -c "SELECT fetch_count FROM discovery_cache WHERE cache_key = '"'igdb:trending:6,48'"'")" = 7 ]' \
    "an unsorted list alone is carried to its sorted key"
check '[ "$(q -d tako_up_old -c "SELECT count(*) FROM discovery_cache")" = $((rows_before - 1)) ] &&
       [ "$(q -d tako_up_old -c "SELECT count(*) FROM discovery_cache WHERE cache_key <> tako_canonical_key(cache_key)")" = 0 ]' \
    "every other list is kept, and every key is in its one form"
check '[ "$(q -d tako_up_old -c "SELECT json_array_length(tako_discover('"'igdb:trending:48,6'"')->'"'data'"')")" -gt 0 ]' \
    "the carried list is served, by either order"

# 1.3 → 1.4: the refresh worker's functions; nothing stored changes.
before=$(state tako_up_old)
q -d tako_up_old -c "ALTER EXTENSION tako_cache UPDATE TO '1.4'"
check '[ "$(q -d tako_up_old -c "SELECT extversion FROM pg_extension WHERE extname = '"'tako_cache'"'")" = 1.4 ]' "updated to 1.4"
check '[ -n "$before" ] && [ "$before" = "$(state tako_up_old)" ]' "cached lists, counters, refresh log, warm keys and slots are intact"
check '[ "$(q -d tako_up_old -c "SELECT tako_cache_stats()->'"'queue'"' ? '"'pending'"'")" = t ]' \
    "the stats show the refresh queue"

# 1.4 → 1.5: hit counting and the stats change, nothing stored does; the hits not yet flushed stay.
q -d tako_up_old -c "SELECT count(tako_get_cached('deezer:charts:albums')) FROM generate_series(1, 4)" >/dev/null
before=$(state tako_up_old)
pending_before=$(q -d tako_up_old -c "SELECT hits FROM tako_pending_hits() WHERE cache_key = 'deezer:charts:albums'")
q -d tako_up_old -c "ALTER EXTENSION tako_cache UPDATE TO '1.5'"
check '[ "$(q -d tako_up_old -c "SELECT extversion FROM pg_extension WHERE extname = '"'tako_cache'"'")" = 1.5 ]' "updated to 1.5"
check '[ -n "$before" ] && [ "$before" = "$(state tako_up_old)" ]' "cached lists, counters, refresh log, warm keys and slots are intact"
check '[ -n "$pending_before" ] && [ "$(q -d tako_up_old -c "SELECT hits FROM tako_pending_hits() WHERE cache_key = '"'deezer:charts:albums'"'")" = "$pending_before" ]' \
    "... and the hits not yet flushed ($pending_before), which the stats no longer flush"
check '[ "$(q -d tako_up_old -c "SELECT tako_cache_stats()->'"'hits'"'->>'"'counting'"'")" = shared_memory ]' \
    "the stats say how hits are counted"

# 1.5 → 1.6: the single-flight secret and bounded saves; nothing stored changes.
before=$(state tako_up_old)
q -d tako_up_old -c "ALTER EXTENSION tako_cache UPDATE TO '1.6'"
check '[ "$(q -d tako_up_old -c "SELECT extversion FROM pg_extension WHERE extname = '"'tako_cache'"'")" = 1.6 ]' "updated to 1.6"
check '[ -n "$before" ] && [ "$before" = "$(state tako_up_old)" ]' "cached lists, counters, refresh log, warm keys and slots are intact"
check '[ "$(q -d tako_up_old -c "SELECT count(*) || '"' '"' || min(length(salt)) FROM tako_secret")" = "1 64" ]' \
    "the installation has its single-flight secret (64 hex digits)"

# 1.0 straight to the newest version.
newest=$(sed -n "s/^default_version = '\\(.*\\)'/\\1/p" tako_cache.control)
q -d tako_up_direct -c "CREATE EXTENSION tako_cache VERSION '1.0'" -c "SELECT tako_refresh('deezer:charts:tracks')" >/dev/null
q -d tako_up_direct -c "ALTER EXTENSION tako_cache UPDATE" >/dev/null
check '[ "$(q -d tako_up_direct -c "SELECT extversion FROM pg_extension WHERE extname = '"'tako_cache'"'")" = "$newest" ] &&
       [ "$(q -d tako_up_direct -c "SELECT json_array_length(tako_discover('"'deezer:charts:tracks'"')->'"'data'"')")" = 10 ]' \
    "1.0 updated straight to the newest version serves its list through tako_discover"

# The updated extensions are the fresh install, object for object.
q -d tako_up_new -c "CREATE EXTENSION tako_cache" >/dev/null
catalog() {
    q -d "$1" <<'SQL'
SELECT 'function ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid)) || ' ' || coalesce(array_to_string(p.proacl, ','), '')
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'
UNION ALL
SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull
       || ' ' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '') || ' ' || a.attgenerated::text
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
 WHERE c.relkind = 'r'
UNION ALL
SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
 WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
UNION ALL
SELECT 'acl ' || c.relname || ' ' || coalesce(array_to_string(c.relacl, ','), '') FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
UNION ALL
SELECT 'config ' || array_to_string(extconfig::regclass[], ',') FROM pg_extension WHERE extname = 'tako_cache'
ORDER BY 1;
SQL
}
new_catalog=$(catalog tako_up_new)
for db in tako_up_old tako_up_direct; do
    old_catalog=$(catalog $db)
    check '[ -n "$new_catalog" ] && [ "$old_catalog" = "$new_catalog" ]' \
        "$db has exactly the objects of a fresh $newest install ($(echo "$new_catalog" | wc -l) compared)"
    if [ "$old_catalog" != "$new_catalog" ]; then diff <(echo "$old_catalog") <(echo "$new_catalog") | head -20 | sed 's/^/# /'; fi
done
echo "1..$n"
