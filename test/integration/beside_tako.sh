#!/usr/bin/env bash
# Installed where the Tako API runs: in a database where Tako's migration already created
# public.discovery_cache, CREATE EXTENSION tako_cache goes into public beside it (its own tables are
# in the schema tako_cache), serves and refreshes from its own table, imports Tako's lists from
# Tako's table without touching it, and DROP EXTENSION leaves Tako's table as it was. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
cleanup() { q -d postgres -c "DROP DATABASE IF EXISTS tako_beside" >/dev/null 2>&1; }
trap cleanup EXIT
cleanup
q -d postgres -c "CREATE DATABASE tako_beside" >/dev/null
db() { q -d tako_beside "$@"; }

# Tako's migration, in public, and one of Tako's own rows (a list Tako keeps as its envelope).
db -f test/route/migrations/001_create_discovery_cache.sql >/dev/null
db -c "INSERT INTO discovery_cache (cache_key, provider, endpoint, data, expires_at)
       VALUES ('jikan:top', 'jikan', 'top', '{\"note\": \"not a list\"}', now() + interval '1 hour')" >/dev/null
tako_table() { db -c "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM public.discovery_cache AS t"; }
tako_before=$(tako_table)

out=$(db -c "CREATE EXTENSION tako_cache" 2>&1)
check '[ -z "$out" ] && [ "$(db -c "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = '"'tako_cache'"'")" = public ]' \
    "CREATE EXTENSION tako_cache succeeds in public beside Tako's discovery_cache${out:+ ($out)}"
check '[ "$(db -c "SELECT to_regclass('"'discovery_cache'"')::text || '"' '"' || to_regclass('"'tako_cache.discovery_cache'"')::text")" = "discovery_cache tako_cache.discovery_cache" ]' \
    "an unqualified discovery_cache is still Tako's; the extension's is tako_cache.discovery_cache"

db -c "SELECT tako_refresh('deezer:charts:albums')" >/dev/null
check '[ "$(db -c "SELECT json_array_length(tako_get_cached('"'deezer:charts:albums'"'))")" = 10 ] &&
       [ "$(db -c "SELECT json_array_length(tako_discover('"'deezer:charts:albums'"')->'"'data'"')")" = 10 ] &&
       [ "$(db -c "SELECT count(*) FROM tako_cache.discovery_cache")" = 1 ]' \
    "a refresh saves into the extension's table, and tako_get_cached and tako_discover serve it"
check '[ "$(tako_table)" = "$tako_before" ]' "... without touching Tako's table"

# Tako's lists imported: one Tako saved under a non-canonical key, one that is not a list.
db -c "INSERT INTO discovery_cache (cache_key, provider, endpoint, data, expires_at)
       SELECT 'deezer:charts', 'deezer', 'charts', data, now() + interval '2 hours'
         FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums'" \
   -c "DELETE FROM tako_cache.discovery_cache" >/dev/null
tako_before=$(tako_table)
check '[ "$(db -c "SELECT tako_import('"'public.discovery_cache'"') - '"'reasons'"'")" = "{\"skipped\": 1, \"imported\": 1}" ]' \
    "tako_import('public.discovery_cache') imports Tako's list and skips the row that is not one"
check '[ "$(db -c "SELECT json_array_length(tako_get_cached('"'deezer:charts:albums'"'))")" = 10 ] && [ "$(tako_table)" = "$tako_before" ]' \
    "the imported list is served under its canonical key; Tako's table is unchanged"

# A role with only PUBLIC's grants reads through the functions; the extension's schema is closed.
db -c "CREATE ROLE tako_beside_api" >/dev/null 2>&1
check '[ "$(db -c "SET ROLE tako_beside_api" -c "SELECT json_array_length(tako_discover('"'deezer:charts:albums'"')->'"'data'"')")" = 10 ] &&
       db -c "SET ROLE tako_beside_api" -c "SELECT 1 FROM tako_cache.discovery_cache" 2>&1 | grep -q "permission denied for schema tako_cache"' \
    "a role with PUBLIC's grants only reads through tako_discover, and is refused the schema tako_cache"
db -c "DROP ROLE tako_beside_api" >/dev/null 2>&1

db -c "DROP EXTENSION tako_cache" >/dev/null
check '[ "$(db -c "SELECT to_regnamespace('"'tako_cache'"') IS NULL")" = t ] && [ "$(tako_table)" = "$tako_before" ]' \
    "DROP EXTENSION removes the schema tako_cache and leaves Tako's table as it was"
echo "1..$n"
