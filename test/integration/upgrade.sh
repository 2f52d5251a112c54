#!/usr/bin/env bash
# Upgrades: install 1.0, fill the cache, update to 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8 and 1.9,
# and find everything intact at each step; the updated extension is the same, object for object, as
# a fresh install (the script generated from sql/src), and so is 1.0 updated straight to the newest
# version. 1.9 moves the tables and internal routines into the schema tako_cache: also from a 1.8
# installed in a schema of its own (1.8's documented way beside Tako's table) and in one named
# tako_cache (nothing moves). Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
cleanup() { q -d postgres -c "DROP DATABASE IF EXISTS tako_up_old" -c "DROP DATABASE IF EXISTS tako_up_new" \
               -c "DROP DATABASE IF EXISTS tako_up_direct" -c "DROP DATABASE IF EXISTS tako_up_own" \
               -c "DROP ROLE IF EXISTS tako_up_reader" >/dev/null 2>&1; }
trap cleanup EXIT
cleanup
q -d postgres -c "CREATE DATABASE tako_up_old" -c "CREATE DATABASE tako_up_new" -c "CREATE DATABASE tako_up_direct" \
    -c "CREATE DATABASE tako_up_own" >/dev/null

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
tables_of() {  # DB: the schema of the extension's tables (the extension's own before 1.9, tako_cache since)
    q -d "$1" -c "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
                   JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'
                  WHERE c.relname = 'discovery_cache'"
}
state() {  # what users have in a database
    local t
    t=$(tables_of "$1")
    q -d "$1" -c "SELECT cache_key, md5(data::text), total_results, fetch_count, refresh_count, expires_at, updated_at,
                         created_at, last_refresh_status FROM $t.discovery_cache ORDER BY 1" \
              -c "SELECT id, cache_key, origin, outcome, http_status, items, attempts, started_at FROM $t.tako_refresh_log ORDER BY id" \
              -c "SELECT * FROM $t.tako_warm_keys ORDER BY 1" -c "SELECT * FROM $t.tako_refresh_slots ORDER BY 1, 2"
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

# 1.6 → 1.7: one refresh engine (sessions' refreshes through the worker); nothing stored changes.
before=$(state tako_up_old)
q -d tako_up_old -c "ALTER EXTENSION tako_cache UPDATE TO '1.7'"
check '[ "$(q -d tako_up_old -c "SELECT extversion FROM pg_extension WHERE extname = '"'tako_cache'"'")" = 1.7 ]' "updated to 1.7"
check '[ -n "$before" ] && [ "$before" = "$(state tako_up_old)" ]' "cached lists, counters, refresh log, warm keys and slots are intact"

# 1.7 → 1.8: adoption where Tako runs; nothing stored changes.
before=$(state tako_up_old)
q -d tako_up_old -c "ALTER EXTENSION tako_cache UPDATE TO '1.8'"
check '[ "$(q -d tako_up_old -c "SELECT extversion FROM pg_extension WHERE extname = '"'tako_cache'"'")" = 1.8 ]' "updated to 1.8"
check '[ -n "$before" ] && [ "$before" = "$(state tako_up_old)" ]' "cached lists, counters, refresh log, warm keys and slots are intact"

# 1.8 → 1.9: the extension's own schema. The tables (rows, counters, what was granted on them) and
# the internal routines move into tako_cache; the schema of the extension keeps the 22 user-facing
# functions; the hits not yet flushed stay.
q -d tako_up_old -c "CREATE ROLE tako_up_reader" -c "GRANT SELECT ON discovery_cache TO tako_up_reader" >/dev/null
q -d tako_up_old -c "SELECT count(tako_get_cached('deezer:charts:albums')) FROM generate_series(1, 2)" >/dev/null
before=$(state tako_up_old)
pending_before=$(q -d tako_up_old -c "SELECT hits FROM tako_pending_hits() WHERE cache_key = 'deezer:charts:albums'")
q -d tako_up_old -c "ALTER EXTENSION tako_cache UPDATE TO '1.9'"
check '[ "$(q -d tako_up_old -c "SELECT extversion FROM pg_extension WHERE extname = '"'tako_cache'"'")" = 1.9 ]' "updated to 1.9"
check '[ "$(tables_of tako_up_old)" = tako_cache ] && [ -n "$before" ] && [ "$before" = "$(state tako_up_old)" ]' \
    "the tables are in the schema tako_cache now, cached lists, counters, refresh log, warm keys and slots intact"
check '[ -n "$pending_before" ] && [ "$(q -d tako_up_old -c "SELECT hits FROM tako_cache.tako_pending_hits() WHERE cache_key = '"'deezer:charts:albums'"'")" = "$pending_before" ]' \
    "... and the hits not yet flushed ($pending_before)"
public_routines() {  # DB: the extension's routines in the schema of CREATE EXTENSION, and all else's schemas
    q -d "$1" -c "SELECT count(*) FILTER (WHERE p.pronamespace = e.extnamespace) || ' ' ||
                         coalesce(string_agg(DISTINCT n.nspname, ',') FILTER (WHERE p.pronamespace <> e.extnamespace), '')
                    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
                    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'"
}
check '[ "$(public_routines tako_up_old)" = "22 tako_cache" ]' \
    "the extension's schema keeps the 22 user-facing functions, every other routine is in tako_cache"
check '[ "$(q -d tako_up_old -c "SELECT has_table_privilege('"'tako_up_reader'"', '"'tako_cache.discovery_cache'"', '"'SELECT'"') || '"' '"' || has_table_privilege('"'public'"', '"'tako_cache.discovery_cache'"', '"'SELECT'"') || '"' '"' || has_schema_privilege('"'public'"', '"'tako_cache'"', '"'USAGE'"')")" = "true false false" ]' \
    "a grant made on the table before is kept; PUBLIC's SELECT is gone, and PUBLIC has no USAGE on tako_cache"
q -d tako_up_old -c "REVOKE ALL ON tako_cache.discovery_cache FROM tako_up_reader" >/dev/null  # (the dump below)
check '[ "$(q -d tako_up_old -c "SELECT json_array_length(tako_discover('"'deezer:charts:albums'"')->'"'data'"')")" = 10 ] &&
       [ "$(q -d tako_up_old -c "SELECT tako_refresh('"'tmdb:popular:tv'"')->>'"'status'"'")" = ok ]' \
    "the cache serves and refreshes after the move"
check '[ "$(q -d tako_up_old -c "SELECT count(*) FROM tako_schedule_plan() WHERE command ~ '"'^(CALL|SELECT) tako_cache\.'"'")" = 30 ]' \
    "the planned jobs call the procedures and the hit flush where they now are (28 slots, hourly, flush)"

# A 1.8 installed in a schema of its own, beside Tako's public.discovery_cache (1.8's way), updated:
# its internals move to tako_cache, its user-facing functions stay where they were; Tako's table
# is untouched. Installed in a schema named tako_cache, nothing moves.
q -d tako_up_own <<'SQL' >/dev/null
CREATE TABLE public.discovery_cache (id serial PRIMARY KEY, cache_key varchar(255) UNIQUE, data jsonb);
INSERT INTO public.discovery_cache (cache_key, data) VALUES ('tmdb:trending:movie:week', '{"from": "Tako"}');
CREATE SCHEMA tako;
CREATE EXTENSION tako_cache SCHEMA tako VERSION '1.8';
SELECT tako.tako_refresh('deezer:charts:albums');
SQL
q -d tako_up_own -c "ALTER EXTENSION tako_cache UPDATE TO '1.9'" >/dev/null
check '[ "$(tables_of tako_up_own)" = tako_cache ] && [ "$(public_routines tako_up_own)" = "22 tako_cache" ] &&
       [ "$(q -d tako_up_own -c "SELECT count(*) FROM pg_proc WHERE pronamespace = '"'tako'"'::regnamespace")" = 22 ]' \
    "a 1.8 in its own schema: the 22 user-facing functions stay there, the rest moves to tako_cache"
check '[ "$(q -d tako_up_own -c "SELECT json_array_length(tako.tako_discover('"'deezer:charts:albums'"')->'"'data'"')")" = 10 ] &&
       [ "$(q -d tako_up_own -c "SELECT data->>'"'from'"' FROM public.discovery_cache")" = Tako ]' \
    "... it serves its list, and Tako's own discovery_cache is untouched"
q -d tako_up_own -c "DROP EXTENSION tako_cache" -c "DROP SCHEMA tako" -c "CREATE SCHEMA tako_cache" \
    -c "CREATE EXTENSION tako_cache SCHEMA tako_cache VERSION '1.8'" -c "SELECT tako_cache.tako_refresh('deezer:charts:tracks')" >/dev/null
q -d tako_up_own -c "ALTER EXTENSION tako_cache UPDATE TO '1.9'" >/dev/null
check '[ "$(q -d tako_up_own -c "SELECT extversion FROM pg_extension WHERE extname = '"'tako_cache'"'")" = 1.9 ] &&
       [ "$(public_routines tako_up_own)" = "82 " ] &&
       [ "$(q -d tako_up_own -c "SELECT json_array_length(tako_cache.tako_discover('"'deezer:charts:tracks'"')->'"'data'"')")" = 10 ]' \
    "a 1.8 installed in a schema named tako_cache: everything stays in that one schema, and serves"

# 1.0 straight to the newest version.
newest=$(sed -n "s/^default_version = '\\(.*\\)'/\\1/p" tako_cache.control)
q -d tako_up_direct -c "CREATE EXTENSION tako_cache VERSION '1.0'" -c "SELECT tako_refresh('deezer:charts:tracks')" >/dev/null
q -d tako_up_direct -c "ALTER EXTENSION tako_cache UPDATE" >/dev/null
check '[ "$(q -d tako_up_direct -c "SELECT extversion FROM pg_extension WHERE extname = '"'tako_cache'"'")" = "$newest" ] &&
       [ "$(q -d tako_up_direct -c "SELECT json_array_length(tako_discover('"'deezer:charts:tracks'"')->'"'data'"')")" = 10 ]' \
    "1.0 updated straight to the newest version serves its list through tako_discover"

# The updated extensions are the fresh install, object for object. The fresh install runs the
# current install script the build generates from sql/src (not the chain of upgrades): two paths,
# one result. pg_dump leaves an extension's objects out, so each database's are detached from it
# first, then dumped (--schema-only: every table, function, trigger, comment and grant).
q -d tako_up_new -c "CREATE EXTENSION tako_cache" >/dev/null
check '[ "$(q -d tako_up_new -c "SELECT (pg_stat_file(setting || '"'/extension/tako_cache--$newest.sql'"', true)).size > 0 FROM pg_config WHERE name = '"'SHAREDIR'"'")" = t ]' \
    "a fresh install runs tako_cache--$newest.sql, the install script generated from sql/src"
installed_rows() {  # the rows the extension installs (their added_at aside: the time of the install)
    q -d "$1" -c "SELECT md5(string_agg(p::text, ',' ORDER BY provider, id)) FROM tako_cache.tako_platforms AS p" \
              -c "SELECT string_agg(cache_key || ' ' || standard, ',' ORDER BY cache_key) FROM tako_cache.tako_warm_keys WHERE standard" \
              -c "SELECT md5(string_agg(s::text, ',' ORDER BY list, provider)) FROM tako_cache.tako_refresh_slots AS s WHERE standard" \
              -c "SELECT count(*) || ' ' || min(length(salt)) FROM tako_cache.tako_secret"
}
check '[ "$(installed_rows tako_up_direct)" = "$(installed_rows tako_up_new)" ]' \
    "1.0 updated to $newest has the rows a fresh install has: the platforms (generated from sql/data/platforms.tsv for a fresh install, written out by 1.3's script), the warm keys and slots, a secret"
dump_schema() {  # DB: pg_dump --schema-only of the extension's objects, detached from it
    q -d "$1" -c "SELECT format('ALTER EXTENSION tako_cache DROP %s %s;', upper(i.type), i.identity)
                    FROM pg_depend AS d, pg_identify_object(d.classid, d.objid, 0) AS i
                   WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
                     AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'tako_cache')
                     -- A table's row and array types follow it (17 lists them as members too).
                     AND i.type <> 'type'" |
        psql -X -q -v ON_ERROR_STOP=1 -d "$1" 2>&1 >/dev/null | sed "s/^/# /"
    pg_dump --schema-only --no-owner -d "$1" | grep -vE '^--|^$|^\\(un)?restrict '
}
new_schema=$(dump_schema tako_up_new)
for db in tako_up_old tako_up_direct; do
    old_schema=$(dump_schema $db)
    check '[ "$(echo "$new_schema" | grep -c "^CREATE FUNCTION")" -gt 50 ] && [ "$old_schema" = "$new_schema" ]' \
        "$db dumps exactly as a fresh $newest install ($(echo "$new_schema" | grep -c '^CREATE FUNCTION') functions, $(echo "$new_schema" | grep -c '^CREATE TABLE') tables, $(echo "$new_schema" | grep -c '^COMMENT ON') comments, $(echo "$new_schema" | wc -l) lines of pg_dump --schema-only)"
    if [ "$old_schema" != "$new_schema" ]; then diff <(echo "$old_schema") <(echo "$new_schema") | head -20 | sed 's/^/# /'; fi
done
echo "1..$n"
