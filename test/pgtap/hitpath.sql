-- The hit path (issue 5): tako_get_cached serves the current version as json, counts each hit
-- exactly once in shared memory, writes no WAL and dirties no page; a flush adds the hits to the
-- table exactly once, and an aborted flush loses none. Runs in autocommit: commits matter here.
\set QUIET 1
SET client_min_messages = warning;
SELECT * FROM no_plan();

\ir lib/item.sql
-- Counters of EXPLAIN (ANALYZE, BUFFERS, WAL) for a statement.
CREATE FUNCTION pg_temp.usage(statement text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    plan jsonb;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON) ' || statement INTO plan;
    RETURN plan->0->'Plan';
END
$$;

SELECT tako_save_cached('deezer:charts:albums', NULL, NULL, jsonb_build_array(pg_temp.item('1', 'First')));
SELECT is(pg_typeof(tako_get_cached('deezer:charts:albums'))::text, 'json', 'a hit is json');
SELECT is(tako_get_cached('deezer:charts:albums')::jsonb, (SELECT data FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums'),
          '... the stored items');

-- Always the current version, though this backend keeps the text it rendered.
SELECT tako_save_cached('deezer:charts:albums', NULL, NULL, jsonb_build_array(pg_temp.item('2', 'Second')));
SELECT is(tako_get_cached('deezer:charts:albums')->0->>'title', 'Second', 'a save is served at once');
UPDATE tako_cache.discovery_cache SET data = jsonb_build_array(pg_temp.item('3', 'Third')) WHERE cache_key = 'deezer:charts:albums';
SELECT is(tako_get_cached('deezer:charts:albums')->0->>'title', 'Third', '... and an administrator''s UPDATE');
BEGIN;
UPDATE tako_cache.discovery_cache SET data = jsonb_build_array(pg_temp.item('4', 'Fourth')) WHERE cache_key = 'deezer:charts:albums';
SELECT is(tako_get_cached('deezer:charts:albums')->0->>'title', 'Fourth', '... and the transaction''s own change');
ROLLBACK;
SELECT is(tako_get_cached('deezer:charts:albums')->0->>'title', 'Third', '... which a rollback takes back');
VACUUM FREEZE tako_cache.discovery_cache;
SELECT is(tako_get_cached('deezer:charts:albums')->0->>'title', 'Third', 'a frozen row is the same row');
UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 second' WHERE cache_key = 'deezer:charts:albums';
SELECT is(tako_get_cached('deezer:charts:albums')::text, NULL, 'expired: NULL');
UPDATE tako_cache.discovery_cache SET expires_at = now() + interval '1 hour' WHERE cache_key = 'deezer:charts:albums';
DELETE FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums';
SELECT is(tako_get_cached('deezer:charts:albums')::text, NULL, 'deleted: NULL');
SELECT tako_save_cached('deezer:charts:albums', NULL, NULL, jsonb_build_array(pg_temp.item('5', 'Fifth')));
SELECT is(tako_get_cached('deezer:charts')->0->>'title', 'Fifth', 're-created: served, by its short key too');

-- Counting: each hit once, in shared memory, added to the table by a flush.
SELECT tako_cache.tako_flush_hits() \g /dev/null
SELECT fetch_count AS before FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums' \gset
SELECT count(tako_get_cached('deezer:charts:albums')) FROM generate_series(1, 250) \g /dev/null
SELECT is((SELECT fetch_count FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums'), :before::bigint,
          '250 hits wrote nothing to the row');
SELECT is((SELECT hits FROM tako_cache.tako_pending_hits() WHERE cache_key = 'deezer:charts:albums'), 250::bigint,
          '... they are pending in shared memory');
BEGIN;
SELECT tako_cache.tako_flush_hits() \g /dev/null
ROLLBACK;
SELECT is((SELECT hits FROM tako_cache.tako_pending_hits() WHERE cache_key = 'deezer:charts:albums'), 250::bigint,
          'an aborted flush loses none');
SELECT is(tako_cache.tako_flush_hits(), 1, 'a flush updates the one entry');
SELECT is((SELECT fetch_count FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums'), :before::bigint + 250,
          '... adding exactly 250 fetches');
SELECT is((SELECT count(*)::int FROM tako_cache.tako_pending_hits()), 0, '... and nothing stays pending');
SELECT ok((SELECT last_accessed > now() - interval '1 minute' FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums'),
          '... last_accessed too');
SELECT count(tako_get_cached('deezer:charts:albums')) FROM generate_series(1, 7) \g /dev/null
SELECT is((tako_cache_stats()->'global'->>'total_fetches')::bigint, :before::bigint + 257,
          'stats read after 7 more hits: exact');
SELECT is((SELECT hits FROM tako_cache.tako_pending_hits() WHERE cache_key = 'deezer:charts:albums'), 7::bigint,
          '... without flushing them (the stats write nothing)');
SELECT is((SELECT fetch_count FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums'), :before::bigint + 250,
          '... nor lock or update the row');
SELECT is(tako_cache.tako_flush_hits(), 1, 'the next flush writes them');
SELECT tako_save_cached('deezer:charts:albums', NULL, NULL, jsonb_build_array(pg_temp.item('6', 'Sixth')));
SELECT is((SELECT fetch_count FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums'), :before::bigint + 257,
          'a save never counts as a fetch');
SELECT is(tako_get_cached('tmdb:popular:tv')::text, NULL, 'a miss...');
SELECT is((SELECT count(*)::int FROM tako_cache.tako_pending_hits() WHERE cache_key = 'tmdb:popular:tv'), 0, '... is not a hit');

-- A hit writes no WAL and dirties no page; the seed's SELECT+UPDATE does both (which shows the
-- measurement can see a write).
SELECT tako_get_cached('deezer:charts:albums') \g /dev/null
SELECT is((pg_temp.usage($$SELECT tako_get_cached('deezer:charts:albums') FROM generate_series(1, 1000)$$)->>'WAL Records')::int,
          0, '1000 hits: no WAL record');
SELECT is((pg_temp.usage($$SELECT tako_get_cached('deezer:charts:albums') FROM generate_series(1, 1000)$$)->>'Shared Dirtied Blocks')::int,
          0, '1000 hits: no dirtied page');
SELECT ok((pg_temp.usage($$SELECT tako_get_cached('deezer:charts:albums') FROM generate_series(1, 1000)$$)->>'Shared Hit Blocks')::int >= 1000,
          '... though they did read the table (the counters see the hit path)');
SELECT is((pg_temp.usage($$SELECT tako_discover('deezer:charts:albums') FROM generate_series(1, 1000)$$)->>'WAL Records')::int,
          0, '1000 hits of tako_discover: no WAL record');
SELECT is((pg_temp.usage($$SELECT tako_discover('deezer:charts:albums') FROM generate_series(1, 1000)$$)->>'Shared Dirtied Blocks')::int,
          0, '1000 hits of tako_discover: no dirtied page');
SELECT ok((pg_temp.usage($$UPDATE tako_cache.discovery_cache SET fetch_count = fetch_count + 1, last_accessed = now()
                           WHERE cache_key = 'deezer:charts:albums'$$)->>'WAL Records')::int > 0,
          'the seed''s per-hit UPDATE writes WAL');

-- A planted search_path changes nothing: the hit path resolves no name.
CREATE SCHEMA planted;
CREATE TABLE planted.discovery_cache (cache_key text, data jsonb, expires_at timestamptz);
INSERT INTO planted.discovery_cache VALUES ('deezer:charts:albums', '[{"planted": true}]', now() + interval '1 day');
CREATE FUNCTION planted.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '1970-01-01'::timestamptz $$;
SET search_path = planted, public;
SELECT is(tako_get_cached('deezer:charts:albums')->0->>'title', 'Sixth', 'a search_path with planted objects: the real cache is read');
RESET search_path;
DROP SCHEMA planted CASCADE;
SELECT tako_cache.tako_flush_hits() \g /dev/null
DELETE FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums';
SELECT * FROM finish();
