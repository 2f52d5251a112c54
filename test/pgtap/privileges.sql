-- Privileges (SECURITY.md) and settings (docs/settings.md), seen by a role that has only PUBLIC's grants.
BEGIN;
SELECT plan(54);

CREATE ROLE tap_public_only NOLOGIN;
SELECT tako_cache.tako_flush_hits();
SELECT tako_save_cached('deezer:charts:artists', 'deezer', 'charts', jsonb_build_array(jsonb_build_object(
    'id', 'deezer:1', 'type', 'music_artist', 'source', 'deezer', 'sourceId', '1', 'title', 'T',
    'titleOriginal', NULL, 'description', NULL, 'year', NULL,
    'images', jsonb_build_object('primary', NULL, 'thumbnail', NULL, 'gallery', '[]'::jsonb),
    'urls', jsonb_build_object('source', NULL, 'detail', '/api/music/deezer/artists/1'),
    'details', jsonb_build_object('position', 1))));
SET tako_cache.tmdb_api_key = 'tap-secret';

SET ROLE tap_public_only;

-- What everyone may do.
SELECT is(json_array_length(tako_get_cached('deezer:charts:artists')), 1,
          'a PUBLIC-only role reads the cache through tako_get_cached');
SELECT is((tako_discover('deezer:charts:artists')->'data'->0->>'title'), 'T', '... and through tako_discover');
SELECT throws_ok($$SELECT count(*) FROM tako_cache.discovery_cache$$, '42501', NULL,
                 '... but not the table itself: PUBLIC has no USAGE on the extension''s schema');
SELECT lives_ok($$SELECT tako_cache_stats()$$, '... and read the stats');
SELECT lives_ok($$SELECT tako_cache_key('tmdb', 'popular', 'tv')$$, '... and build keys');
SELECT lives_ok($$SELECT * FROM tako_parse_key('jikan:top')$$, '... and parse keys');
SELECT lives_ok($$SELECT tako_validate_items('[]')$$, '... and validate items');

-- What it may not.
SELECT throws_ok($$SELECT tako_save_cached('deezer:charts:artists', 'deezer', 'charts', '[]')$$,
                 '42501', NULL, 'cannot save');
SELECT throws_ok($$SELECT * FROM tako_get_expired_entries()$$, '42501', NULL, 'cannot list expired entries');
SELECT throws_ok($$SELECT tako_purge_old_entries(0)$$, '42501', NULL, 'cannot purge');
SELECT throws_ok($$UPDATE tako_cache.discovery_cache SET fetch_count = 0$$, '42501', NULL, 'cannot UPDATE the cache');
SELECT throws_ok($$DELETE FROM tako_cache.discovery_cache$$, '42501', NULL, 'cannot DELETE from the cache');
SELECT throws_ok($$INSERT INTO tako_cache.discovery_cache (cache_key, data, expires_at) VALUES ('deezer:charts:tracks', '[]', now())$$,
                 '42501', NULL, 'cannot INSERT into the cache');
SELECT throws_ok($$SELECT * FROM tako_cache.tako_refresh_log$$, '42501', NULL, 'cannot read the refresh log');
SELECT throws_ok($$SELECT tako_cache.tako_fetch('deezer:charts:artists')$$, '42501', NULL, 'cannot fetch from upstream');
SELECT throws_ok($$SELECT * FROM tako_cache.tako_fetch_lists(ARRAY['deezer:charts:artists'])$$, '42501', NULL, 'cannot fetch lists');
SELECT throws_ok($$SELECT tako_refresh('deezer:charts:artists')$$, '42501', NULL, 'cannot refresh a key');
SELECT throws_ok($$SELECT tako_refresh_all()$$, '42501', NULL, 'cannot refresh everything');
SELECT throws_ok($$SELECT tako_refresh_provider('tmdb')$$, '42501', NULL, 'cannot refresh a provider');
SELECT throws_ok($$SELECT tako_refresh_expired()$$, '42501', NULL, 'cannot refresh expired entries');
SELECT throws_ok($$SELECT * FROM tako_cache.tako_warm_keys$$, '42501', NULL, 'cannot read or edit the warm keys');
SELECT lives_ok($$SELECT tako_normalize('deezer', 'charts', '{"data": []}')$$, 'may normalize (pure)');
SELECT throws_ok($$SELECT * FROM tako_schedule_refreshes()$$, '42501', NULL, 'cannot schedule');
SELECT throws_ok($$SELECT tako_unschedule_refreshes()$$, '42501', NULL, 'cannot unschedule');
SELECT throws_ok($$SELECT tako_cache.tako_run_slot('charts', 'deezer')$$, '42501', NULL, 'cannot run a slot');
SELECT throws_ok($$SELECT * FROM tako_cache.tako_refresh_slots$$, '42501', NULL, 'cannot read or edit the slots');
SELECT throws_ok($$SELECT * FROM tako_cache.tako_provider_health()$$, '42501', NULL, 'cannot read provider health directly');
SELECT lives_ok($$SELECT tako_cache_stats()->'providers'$$, '... but sees it in the stats');
SELECT is(tako_cache_stats()->'queue' ? 'worker_pid' OR tako_cache_stats()->'queue' ? 'last_key', false,
          '... without the worker''s pid or the last key');
SELECT is((SELECT count(*)::int FROM jsonb_array_elements(tako_cache_stats()->'providers') AS p
            WHERE p ? 'last_error_message'), 0, '... or any error text');
SELECT ok(tako_cache_stats()->'hits' ? 'skipped' AND tako_cache_stats()->'queue' ? 'pending',
          '... but with the counts and states');
SELECT throws_ok($$SELECT tako_cache.tako_cache_stats_detailed()$$, '42501', NULL, 'cannot call the detailed stats');
SELECT throws_ok($$SHOW tako_cache.tmdb_api_key$$, '42501', NULL, 'cannot SHOW an API key');
SELECT throws_ok($$SELECT current_setting('tako_cache.igdb_client_secret')$$, '42501', NULL,
                 'cannot read the IGDB secret');
SELECT is((SELECT count(*)::int FROM pg_settings
            WHERE name IN ('tako_cache.tmdb_api_key', 'tako_cache.rawg_api_key',
                           'tako_cache.igdb_client_id', 'tako_cache.igdb_client_secret')),
          0, 'API keys are absent from its pg_settings');
SELECT throws_ok($$SET tako_cache.tmdb_base_url = 'http://attacker.example'$$, '42501', NULL,
                 'cannot point a provider elsewhere');
SELECT throws_ok($$SET tako_cache.mode = 'api_only'$$, '42501', NULL, 'cannot change the mode');

RESET ROLE;
SELECT tako_cache.tako_flush_hits();

-- The hit it made was counted once, and the owner still sees the secret.
SELECT is((SELECT fetch_count FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:artists'), 2::bigint,
          'the PUBLIC-only role''s two hits (tako_get_cached, tako_discover) were counted exactly once each');
SELECT is(current_setting('tako_cache.tmdb_api_key'), 'tap-secret', 'a superuser reads the key');
SELECT ok(tako_cache_stats()->'queue' ? 'worker_pid' AND tako_cache_stats()->'providers'->0 ? 'last_error_message',
          'the owner sees the worker''s pid and the error texts');
SELECT function_privs_are('tako_cache', 'tako_cache_stats_detailed', ARRAY[]::text[], 'pg_monitor', ARRAY['EXECUTE'],
                          'pg_monitor may read the detailed stats');
SELECT function_privs_are('public', 'tako_metrics', ARRAY[]::text[], 'pg_monitor', ARRAY['EXECUTE'],
                          'pg_monitor may read the metrics (docs/monitoring.md)');
SELECT function_privs_are('public', 'tako_save_cached',
                          ARRAY['text', 'text', 'text', 'jsonb', 'text', 'text', 'interval', 'jsonb'],
                          'public', ARRAY[]::text[], 'PUBLIC has no EXECUTE on tako_save_cached');
SELECT function_privs_are('tako_cache', 'tako_discover_fill', ARRAY['text'], 'public', ARRAY[]::text[],
                          'PUBLIC has no EXECUTE on tako_discover_fill (tako_discover calls it)');
-- The schema of CREATE EXTENSION holds the user-facing functions only (docs/schema.md); the rest is
-- in the schema tako_cache, where PUBLIC has no privilege at all.
SELECT is(
    (SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text)
       FROM pg_proc p
       JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
       JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'
      WHERE p.pronamespace = e.extnamespace),
    ARRAY['tako_cache_key(text,text,text,text,text,text,text,text)', 'tako_cache_stats()',
          'tako_canonical_key(text)', 'tako_discover(text)', 'tako_discover_http(text,text)',
          'tako_get_cached(text)', 'tako_get_expired_entries(integer)', 'tako_import(regclass)', 'tako_metrics()',
          'tako_normalize(text,text,jsonb,text)', 'tako_parse_key(text)', 'tako_purge_old_entries(integer)',
          'tako_purge_refresh_log(integer)', 'tako_refresh(text)', 'tako_refresh_all()',
          'tako_refresh_expired(integer)', 'tako_refresh_provider(text,text)',
          'tako_save_cached(text,text,text,jsonb,text,text,interval,jsonb)',
          'tako_schedule_plan(timestamp with time zone)', 'tako_schedule_refreshes(timestamp with time zone)',
          'tako_unschedule_refreshes()', 'tako_validate_items(jsonb,text)'],
    'the extension''s schema receives the 22 user-facing functions and nothing else');
SELECT is(
    (SELECT count(*)::int
       FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'
       JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
      WHERE d.deptype = 'e' AND c.relnamespace <> 'tako_cache'::regnamespace),
    0, 'every table and sequence of the extension is in the schema tako_cache');
SELECT is(
    (SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text)
       FROM pg_proc p
       JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
       JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'
      WHERE has_function_privilege('public', p.oid, 'EXECUTE')
        AND has_schema_privilege('public', p.pronamespace, 'USAGE')),
    ARRAY['tako_cache_key(text,text,text,text,text,text,text,text)', 'tako_cache_stats()',
          'tako_canonical_key(text)', 'tako_discover(text)', 'tako_discover_http(text,text)',
          'tako_get_cached(text)', 'tako_normalize(text,text,jsonb,text)', 'tako_parse_key(text)',
          'tako_schedule_plan(timestamp with time zone)', 'tako_validate_items(jsonb,text)'],
    'PUBLIC may execute only the functions that read, build keys, render, validate or show the plan: no fetch, '
    'budget, save or refresh');
SELECT is(
    (SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc p
      WHERE p.pronamespace = 'tako_cache'::regnamespace AND has_function_privilege('public', p.oid, 'EXECUTE')),
    NULL, 'PUBLIC may execute no routine of the schema tako_cache (should it be granted USAGE there)');
SELECT ok(NOT has_schema_privilege('public', 'tako_cache', 'USAGE')
          AND NOT has_schema_privilege('public', 'tako_cache', 'CREATE'),
          'PUBLIC has neither USAGE nor CREATE on the schema tako_cache');
SELECT is(
    (SELECT count(*)::int FROM pg_class c
      WHERE c.relnamespace = 'tako_cache'::regnamespace AND c.relkind IN ('r', 'S')
        AND EXISTS (SELECT 1 FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) AS a
                     WHERE a.grantee = 0)),
    0, 'PUBLIC holds no privilege on any table or sequence of the schema tako_cache');
SELECT table_privs_are('tako_cache', 'discovery_cache', 'public', ARRAY[]::text[],
                       'PUBLIC has no privilege on tako_cache.discovery_cache (it reads through the functions)');
SELECT table_privs_are('tako_cache', 'tako_jikan_pictures', 'public', ARRAY[]::text[],
                       'PUBLIC may not read or write tako_jikan_pictures');
SELECT table_privs_are('tako_cache', 'tako_secret', 'public', ARRAY[]::text[],
                       'PUBLIC may not read the salt of the single-flight lock keys');
SET LOCAL ROLE tap_public_only;
SELECT throws_ok('SELECT salt FROM tako_cache.tako_secret', '42501', NULL,
                 'a PUBLIC-only role cannot read it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
