-- tako_discover's hit path (issue 9): a fresh hit is the envelope tako_cache.tako_envelope renders from the
-- row, as json, always of the current row version (renderings are keyed by data_version, which no
-- rewrite or same-transaction save can give another row), counted once in shared memory, with no
-- write; it runs as its caller and resolves no name through search_path; everything else goes to
-- tako_cache.tako_discover_fill, which PUBLIC reaches only through tako_discover. Autocommit: commits matter.
\set QUIET 1
SET client_min_messages = warning;
SELECT * FROM no_plan();

\ir lib/item.sql
CREATE FUNCTION pg_temp.save(key text, title text) RETURNS void LANGUAGE sql AS $$
    SELECT tako_save_cached(key, NULL, NULL, jsonb_build_array(pg_temp.item('1', title)),
                            upstream => '{"total": 100, "fetchedAt": "2026-01-02T03:04:05.678Z"}')
$$;
-- The title tako_discover and tako_get_cached serve for a key (both must agree).
CREATE FUNCTION pg_temp.titles(key text) RETURNS text LANGUAGE sql AS $$
    SELECT (tako_discover(key)->'data'->0->>'title') || '/' || (tako_get_cached(key)->0->>'title')
$$;

SELECT pg_temp.save('deezer:charts:albums', 'First');
SELECT is(pg_typeof(tako_discover('deezer:charts:albums'))::text, 'json', 'a hit is json');
SELECT is(tako_discover('deezer:charts:albums')::text,
          (SELECT tako_cache.tako_envelope(cache_key, data, upstream, updated_at, expires_at, true, false)::text
             FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums'),
          '... the envelope of the stored row, byte for byte');
SELECT is(tako_discover('deezer:charts:albums')::text, tako_discover('deezer:charts:albums')::text,
          '... the same text on the next hit (served from this backend''s rendering)');
SELECT is(tako_discover('deezer:charts')->'meta'->>'cacheKey', 'deezer:charts:albums', 'a short key is served canonical');
SELECT is(tako_discover('deezer:charts:albums')->>'total', '100', 'total is the upstream total stored with the items');
SELECT is(tako_discover('deezer:charts:albums')->'meta'->>'fetchedAt', '2026-01-02T03:04:05.678Z',
          'meta.fetchedAt is when the list was fetched upstream');
SELECT is(tako_discover('deezer:charts:albums')->'meta'->>'expiresAt',
          (SELECT to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
             FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums'),
          'meta.expiresAt is the row''s expiry, in ISO 8601 UTC');

-- Always the current version.
SELECT pg_temp.save('deezer:charts:albums', 'Second');
SELECT is(pg_temp.titles('deezer:charts:albums'), 'Second/Second', 'a save is served at once');
UPDATE tako_cache.discovery_cache SET data = jsonb_build_array(pg_temp.item('3', 'Third')) WHERE cache_key = 'deezer:charts:albums';
SELECT is(pg_temp.titles('deezer:charts:albums'), 'Third/Third', '... and an administrator''s UPDATE');
UPDATE tako_cache.discovery_cache SET expires_at = expires_at + interval '1 hour' WHERE cache_key = 'deezer:charts:albums';
SELECT is(tako_discover('deezer:charts:albums')->'meta'->>'expiresAt',
          (SELECT to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
             FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums'),
          '... and a new expiry');
BEGIN;
UPDATE tako_cache.discovery_cache SET data = jsonb_build_array(pg_temp.item('4', 'Fourth')) WHERE cache_key = 'deezer:charts:albums';
SELECT is(pg_temp.titles('deezer:charts:albums'), 'Fourth/Fourth', '... and the transaction''s own change');
ROLLBACK;
SELECT is(pg_temp.titles('deezer:charts:albums'), 'Third/Third', '... which a rollback takes back');
SELECT tako_cache.tako_flush_hits() \g /dev/null
SELECT is(pg_temp.titles('deezer:charts:albums'), 'Third/Third', 'a hit flush (a new row version, same data) serves the same');

-- One transaction saves two lists (as tako_refresh_all does: same xmin); this backend reads the
-- first; a later refresh saves the first alone; VACUUM FULL moves the second list's tuple to the
-- first one's old place. Keyed by (ctid, xmin) the old list would be served; by data_version not.
BEGIN;
SELECT pg_temp.save('deezer:charts:tracks', 'Tracks 1');
SELECT pg_temp.save('deezer:charts:artists', 'Artists 1');
COMMIT;
SELECT is(pg_temp.titles('deezer:charts:tracks'), 'Tracks 1/Tracks 1', 'two lists saved by one transaction');
SELECT ctid AS old_ctid FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:tracks' \gset
SELECT pg_temp.save('deezer:charts:tracks', 'Tracks 2');
VACUUM FULL tako_cache.discovery_cache;
SELECT is((SELECT cache_key::text FROM tako_cache.discovery_cache WHERE ctid = :'old_ctid'::tid) IS DISTINCT FROM 'deezer:charts:tracks',
          true, 'VACUUM FULL put another row where the first list''s read version was');
SELECT is(pg_temp.titles('deezer:charts:tracks'), 'Tracks 2/Tracks 2', '... and both functions serve the new list');
SELECT is(pg_temp.titles('deezer:charts:artists'), 'Artists 1/Artists 1', '... and the other list is its own');
SELECT pg_temp.save('deezer:charts:tracks', 'Tracks 3');
CLUSTER tako_cache.discovery_cache USING discovery_cache_pkey;
SELECT is(pg_temp.titles('deezer:charts:tracks'), 'Tracks 3/Tracks 3', 'the same after CLUSTER');
SELECT is(pg_temp.titles('deezer:charts:artists'), 'Artists 1/Artists 1', '... for both lists');
SELECT ok((SELECT count(DISTINCT data_version) = count(*) FROM tako_cache.discovery_cache), 'every row has its own data_version');

-- Counting and no write.
SELECT tako_cache.tako_flush_hits() \g /dev/null
SELECT count(tako_discover('deezer:charts:albums')) FROM generate_series(1, 40) \g /dev/null
SELECT is((SELECT hits FROM tako_cache.tako_pending_hits() WHERE cache_key = 'deezer:charts:albums'), 40::bigint,
          '40 hits of tako_discover are 40 pending hits');
SELECT tako_cache.tako_flush_hits() \g /dev/null

-- tako_discover_http: the same answer, with what a route sends beside it.
SELECT data_version || '-' || (extract(epoch FROM updated_at) * 1000000)::bigint AS version,
       extract(epoch FROM expires_at - now())::int AS fresh_for
  FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums' \gset
SELECT is((SELECT envelope::text FROM tako_discover_http('deezer:charts:albums')),
          tako_discover('deezer:charts:albums')::text, 'tako_discover_http''s envelope is tako_discover''s');
SELECT is((SELECT status || ' ' || x_cache || ' ' || etag FROM tako_discover_http('deezer:charts:albums')),
          '200 HIT W/"' || :'version' || '"', 'a fresh hit: 200, HIT, the row version''s ETag');
SELECT ok((SELECT max_age BETWEEN :fresh_for - 2 AND :fresh_for FROM tako_discover_http('deezer:charts:albums')),
          '... max_age: the seconds until the list expires');
SELECT is((SELECT status || ' ' || x_cache || ' ' || (envelope IS NULL) || ' ' || etag
             FROM tako_discover_http('deezer:charts:albums', 'W/"' || :'version' || '"')),
          '304 HIT true W/"' || :'version' || '"', 'If-None-Match with that ETag: 304, no envelope');
SELECT is((SELECT status FROM tako_discover_http('deezer:charts:albums', 'W/"1-1"')), 200,
          'another ETag: 200');
SELECT tako_cache.tako_flush_hits() \g /dev/null
SELECT count(*) FROM tako_discover_http('deezer:charts:albums', 'W/"' || :'version' || '"'), generate_series(1, 3) \g /dev/null
SELECT is((SELECT etag FROM tako_discover_http('deezer:charts:albums')), 'W/"' || :'version' || '"',
          'a hit flush keeps the ETag (what a hit serves did not change)');
SELECT pg_temp.save('deezer:charts:albums', 'Third');
SELECT isnt((SELECT etag FROM tako_discover_http('deezer:charts:albums')), 'W/"' || :'version' || '"',
            'a save gives the list a new ETag');
SELECT is((SELECT status FROM tako_discover_http('deezer:charts:albums', 'W/"' || :'version' || '"')), 200,
          '... and the old one is answered with the list');

-- Expired: the fresh path does not serve it; db_only serves it stale.
UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 second' WHERE cache_key = 'deezer:charts:albums';
SET tako_cache.mode = 'db_only';
SELECT is(tako_discover('deezer:charts:albums')->'meta'->>'stale', 'true', 'expired in db_only: served stale');
SELECT is(tako_discover('deezer:charts:albums')->'data'->0->>'title', 'Third', '... with its items');
SELECT is(tako_discover('tmdb:popular:tv')->>'success', 'false', 'a db_only miss is success false');
SELECT is(tako_discover('tmdb:popular:tv')->'meta'->>'error', 'not in the cache (tako_cache.mode is db_only)', '... saying why');
SELECT is(json_array_length(tako_discover('tmdb:popular:tv')->'data'), 0, '... with no data');
SELECT is((SELECT status || ' ' || x_cache || ' ' || max_age || ' ' || (etag IS NULL)
             FROM tako_discover_http('deezer:charts:albums')),
          '200 STALE 0 true', 'tako_discover_http of a stale serve: STALE, nothing to keep, no ETag');
SELECT is((SELECT status || ' ' || x_cache || ' ' || (etag IS NULL) || ' ' || (envelope->>'success')
             FROM tako_discover_http('tmdb:popular:tv')),
          '404 MISS true false', '... of a db_only miss: 404, MISS, with the envelope saying why');

-- PUBLIC's rights: it may not call tako_cache.tako_discover_fill, yet tako_discover reaches it.
CREATE ROLE tako_tap_reader;
SET ROLE tako_tap_reader;
SELECT throws_ok($$SELECT tako_cache.tako_discover_fill('tmdb:popular:tv')$$, '42501', NULL,
                 'PUBLIC cannot call tako_cache.tako_discover_fill');
SELECT is(tako_discover('tmdb:popular:tv')->>'success', 'false', '... but its tako_discover miss runs it (as the owner)');
SELECT is(tako_discover('deezer:charts:albums')->'meta'->>'stale', 'true', '... and its stale serve too');
SELECT is((SELECT x_cache FROM tako_discover_http('deezer:charts:albums')), 'STALE', '... as does tako_discover_http''s');
RESET ROLE;
RESET tako_cache.mode;
UPDATE tako_cache.discovery_cache SET expires_at = now() + interval '1 hour' WHERE cache_key = 'deezer:charts:albums';
SET ROLE tako_tap_reader;
SELECT is(pg_temp.titles('deezer:charts:albums'), 'Third/Third', 'PUBLIC''s fresh hit');
RESET ROLE;
DROP ROLE tako_tap_reader;

-- A planted search_path: objects named like the extension's never run nor are read.
CREATE SCHEMA planted;
CREATE TABLE planted.discovery_cache (LIKE tako_cache.discovery_cache);
CREATE FUNCTION planted.tako_discover_fill(key text) RETURNS json LANGUAGE sql AS $$ SELECT '"planted"'::json $$;
CREATE FUNCTION planted.tako_envelope(key text, items jsonb, upstream jsonb, saved_at timestamptz,
    expires_at timestamptz, cached boolean, stale boolean, error text DEFAULT NULL)
    RETURNS json LANGUAGE sql AS $$ SELECT '"planted"'::json $$;
CREATE FUNCTION planted.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '1970-01-01'::timestamptz $$;
CREATE FUNCTION planted.tako_canonical_key(key text) RETURNS text LANGUAGE sql AS $$ SELECT 'tmdb:popular:movie' $$;
SET search_path = planted, public;
SELECT is(pg_temp.titles('deezer:charts:albums'), 'Third/Third', 'with planted objects first in search_path: the real row');
SET tako_cache.mode = 'db_only';
SELECT is(tako_discover('tmdb:popular:tv')->>'success', 'false', '... and the real fill');
RESET tako_cache.mode;
RESET search_path;
DROP SCHEMA planted CASCADE;

-- Bad input keeps its SQLSTATE.
SELECT throws_ok($$SELECT tako_discover(NULL)$$, '22004', 'cache key must not be null', 'NULL key: 22004');
SELECT throws_ok($$SELECT tako_discover('tmdb:nope')$$, '22023', NULL, 'unknown family: 22023');
SELECT throws_ok($$SELECT tako_discover('deezer:charts:albums;drop')$$, '22023', NULL, 'hostile part: 22023');
SELECT throws_ok($$SELECT tako_cache.tako_envelope('deezer:charts:albums', '{}', NULL, NULL, NULL, true, false)$$, '22023',
                 'items must be a JSON array', 'tako_envelope of items that are not an array: 22023');

SELECT tako_cache.tako_flush_hits() \g /dev/null
DELETE FROM tako_cache.discovery_cache;
SELECT * FROM finish();
