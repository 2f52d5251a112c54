-- Administration that can be granted (SECURITY.md's roles, created here from the same lines), and
-- tako_import on a table made by Tako's own migration: valid, invalid and non-canonical rows.
-- One transaction, rolled back: the roles, the imported lists and the jobs leave nothing behind.
\set QUIET 1
SET client_min_messages = warning;
BEGIN;
SELECT * FROM no_plan();
\ir ../pgtap/lib/item.sql
-- The Deezer lists earlier files cached are not this file's (rolled back at the end).
DELETE FROM tako_cache.discovery_cache WHERE cache_key LIKE 'deezer:%';
-- pg_cron, for scheduling (schedule.sql, later, checks its absence first).
CREATE EXTENSION pg_cron;

-- docs:begin roles
-- The Tako API's role: it reads (tako_discover, tako_get_cached, tako_cache_stats): PUBLIC's rights.
CREATE ROLE tako_api LOGIN;
-- A maintenance role: refreshes, purges, saves, schedules and imports, and reads the cache and the
-- refresh log (tables of the extension's schema, tako_cache).
CREATE ROLE tako_maintenance LOGIN;
GRANT EXECUTE ON FUNCTION
    tako_refresh(text), tako_refresh_provider(text, text), tako_refresh_all(), tako_refresh_expired(integer),
    tako_get_expired_entries(integer), tako_purge_old_entries(integer), tako_purge_refresh_log(integer),
    tako_save_cached(text, text, text, jsonb, text, text, interval, jsonb),
    tako_schedule_refreshes(timestamptz), tako_unschedule_refreshes(), tako_import(regclass)
    TO tako_maintenance;
GRANT USAGE ON SCHEMA tako_cache TO tako_maintenance;
GRANT SELECT ON tako_cache.discovery_cache, tako_cache.tako_refresh_log TO tako_maintenance;
-- docs:end roles

-- Tako's own table (its migration's), owned by Tako's role.
CREATE SCHEMA tako_app AUTHORIZATION tako_maintenance;
SET LOCAL ROLE tako_maintenance;
SET LOCAL search_path = tako_app;
\ir ../route/migrations/001_create_discovery_cache.sql
RESET search_path;
INSERT INTO tako_app.discovery_cache (cache_key, provider, endpoint, category, data, expires_at, updated_at) VALUES
  -- a bare array of items, as Tako's RAWG and IGDB routes store them (a Deezer list here)
  ('deezer:charts:albums', 'deezer', 'charts', 'albums',
   jsonb_build_array(pg_temp.item('1', 'Bare'), pg_temp.item('2', 'Array')), now() + interval '5 hours', now() - interval '1 hour'),
  -- not canonical (the category left to its default): the same list, saved earlier: the later row wins
  ('deezer:charts', 'deezer', 'charts', NULL, jsonb_build_array(pg_temp.item('9', 'Older')),
   now() + interval '5 hours', now() - interval '2 hours'),
  -- a list tako_cache holds already (refreshed below)
  ('deezer:charts:tracks', 'deezer', 'charts', 'tracks', jsonb_build_array(pg_temp.item('6', 'From Tako')),
   now() + interval '1 hour', now()),
  -- a key of no family
  ('spotify:charts:albums', 'spotify', 'charts', 'albums', jsonb_build_array(pg_temp.item('4', 'No')), now() + interval '1 hour', now()),
  -- raw upstream items (Tako's refresher stores Deezer's raw answer): not Format B
  ('itunes:charts:de-song', 'itunes', 'charts', 'de-song',
   '{"data": [{"id": 27, "name": "Daft Punk", "type": "artist"}], "total": 10}', now() + interval '1 hour', now()),
  -- iTunes' raw RSS, as Tako stores it: no items at all
  ('itunes:charts:de-album', 'itunes', 'charts', 'de-album', '{"feed": {"entry": []}}', now() + interval '1 hour', now());
RESET ROLE;

-- The read-only API role: reads, and nothing else. (A list saved here: earlier files may have left
-- a failure of the upstream in memory for some keys, which a read would answer with.)
SELECT tako_save_cached('deezer:charts:artists', NULL, NULL, jsonb_build_array(pg_temp.item('8', 'For the API'))) \g /dev/null
SET LOCAL ROLE tako_api;
SELECT is(tako_discover('deezer:charts:artists')->'data'->0->>'title', 'For the API', 'tako_api reads through tako_discover');
SELECT throws_ok($$SELECT tako_refresh('deezer:charts:tracks')$$, '42501', NULL, 'tako_api may not refresh');
SELECT throws_ok($$SELECT tako_save_cached('deezer:charts:tracks', NULL, NULL, '[]')$$, '42501', NULL, '... nor save');
SELECT throws_ok($$SELECT tako_purge_old_entries(90)$$, '42501', NULL, '... nor purge');
SELECT throws_ok($$SELECT tako_import('tako_app.discovery_cache')$$, '42501', NULL, '... nor import');
SELECT throws_ok($$SELECT count(*) FROM tako_cache.tako_refresh_log$$, '42501', NULL, '... nor read the refresh log');
SELECT throws_ok($$SELECT count(*) FROM tako_cache.discovery_cache$$, '42501', NULL,
                 '... nor the table itself (no USAGE on the schema tako_cache: it reads through the functions)');
RESET ROLE;

-- The maintenance role, with the grants above only.
SET LOCAL ROLE tako_maintenance;
SELECT is(tako_refresh('deezer:charts:tracks')->>'status', 'ok',
          'tako_maintenance refreshes a list (tako_refresh, through what it calls: no other grant)');
SELECT ok((SELECT last_refresh_at > now() - interval '1 minute' FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:tracks'), '... saved');
SELECT is(jsonb_typeof(tako_refresh_provider('itunes', 'charts')), 'object', '... refreshes a provider''s lists');
SELECT lives_ok($$SELECT tako_refresh_expired(1)$$, '... refreshes the expired lists');
SELECT lives_ok($$SELECT * FROM tako_get_expired_entries(5)$$, '... lists the expired entries');
SELECT is(tako_save_cached('deezer:charts:artists', NULL, NULL, jsonb_build_array(pg_temp.item('5', 'By hand'))), true,
          '... saves a list by hand');
SELECT lives_ok($$SELECT tako_purge_old_entries(90)$$, '... purges the lists unread for 90 days');
SELECT lives_ok($$SELECT tako_purge_refresh_log(30)$$, '... purges the refresh log');
SELECT ok((SELECT count(*) > 0 FROM tako_cache.tako_refresh_log WHERE cache_key = 'deezer:charts:tracks'), '... reads the refresh log');
SELECT ok((SELECT count(*) > 0 FROM tako_schedule_refreshes()), '... schedules the refreshes with pg_cron');
SELECT ok(tako_unschedule_refreshes() > 0, '... and unschedules them');
SELECT throws_ok($$SELECT tako_cache.tako_refresh_keys(ARRAY['deezer:charts:tracks'], 'manual')$$, '42501', NULL,
                 '... but may not call the internals itself');
SELECT throws_ok($$UPDATE tako_cache.discovery_cache SET fetch_count = 0$$, '42501', NULL, '... nor write the table');

RESET ROLE;

-- tako_import on Tako's table. One more row: an iTunes list in the envelope Tako's routes store
-- (its items real ones, from the refresh above), expired; tako_cache's own copy dropped.
INSERT INTO tako_app.discovery_cache (cache_key, provider, endpoint, category, data, expires_at, updated_at)
SELECT cache_key, 'itunes', 'charts', 'fr-album', jsonb_build_object('total', 321, 'count', jsonb_array_length(data), 'data', data),
       now() - interval '1 hour', now() - interval '25 hours'
  FROM tako_cache.discovery_cache WHERE cache_key = 'itunes:charts:fr-album';
SELECT data->0->>'title' AS fr_album_first FROM tako_cache.discovery_cache WHERE cache_key = 'itunes:charts:fr-album' \gset
DELETE FROM tako_cache.discovery_cache WHERE cache_key = 'itunes:charts:fr-album';
SELECT md5(string_agg(t::text, '|' ORDER BY id)) AS source_before FROM tako_app.discovery_cache AS t \gset
SET LOCAL ROLE tako_maintenance;
SELECT is(tako_import('tako_app.discovery_cache'),
          '{"imported": 2, "skipped": 5, "reasons": {"duplicate": 1, "invalid key": 1, "no items": 1, "not Format B": 1, "already cached": 1}}'::jsonb,
          'tako_import: 2 lists imported, 5 rows skipped, counted by reason');
RESET ROLE;
SELECT is((SELECT string_agg(d->>'title', ',') FROM tako_cache.discovery_cache, jsonb_array_elements(data) AS d
            WHERE cache_key = 'deezer:charts:albums'), 'Bare,Array',
          'a bare array is imported as is, under its canonical key; of two rows of one key, the later');
SELECT is((SELECT expires_at FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums'),
          (SELECT expires_at::timestamptz FROM tako_app.discovery_cache WHERE cache_key = 'deezer:charts:albums'),
          '... its expires_at kept');
SELECT is((SELECT data->0->>'title' || ' ' || (upstream->>'total') FROM tako_cache.discovery_cache WHERE cache_key = 'itunes:charts:fr-album'),
          :'fr_album_first' || ' 321', 'an envelope''s items are imported, with the upstream total it held');
SET LOCAL tako_cache.mode = db_only;
SELECT is(tako_discover('itunes:charts:fr-album')->'meta'->>'stale', 'true', '... and, expired, it is served stale');
RESET tako_cache.mode;
SELECT isnt((SELECT data->0->>'title' FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:tracks'), 'From Tako',
            'a list tako_cache holds is kept');
SELECT is((SELECT count(*) FROM tako_cache.discovery_cache WHERE cache_key IN ('itunes:charts:de-song', 'itunes:charts:de-album')),
          0::bigint, 'raw upstream answers are not imported');
SELECT is((SELECT string_agg(outcome || ' ' || cache_key || ': ' || coalesce(split_part(error, ':', 1), ''), '; ' ORDER BY cache_key, outcome)
             FROM tako_cache.tako_refresh_log WHERE origin = 'import'),
          'imported deezer:charts:albums: ; skipped deezer:charts:albums: duplicate; '
          'skipped deezer:charts:tracks: already cached; skipped itunes:charts:de-album: no items; '
          'skipped itunes:charts:de-song: not Format B; imported itunes:charts:fr-album: ; '
          'skipped spotify:charts:albums: invalid key',
          'each row''s outcome and reason is in the refresh log');
SELECT is((SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM tako_app.discovery_cache AS t), :'source_before',
          'the source is not modified');
SELECT is(tako_import('tako_app.discovery_cache')->>'imported', '0', 'importing again imports nothing (all cached now)');

-- Only a table its caller may read.
CREATE TABLE tako_app.secret_lists (cache_key text, data jsonb, expires_at timestamptz);
REVOKE ALL ON tako_app.secret_lists FROM tako_maintenance;
SET LOCAL ROLE tako_maintenance;
SELECT throws_ok($$SELECT tako_import('tako_app.secret_lists')$$, '42501', NULL,
                 'tako_import reads only what its caller may SELECT');
RESET ROLE;
SELECT throws_ok($$SELECT tako_import('pg_class')$$, '22023', NULL, 'a table not shaped like Tako''s is refused');

SELECT * FROM finish();
ROLLBACK;
