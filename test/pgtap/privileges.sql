-- Privileges (SECURITY.md) and settings (docs/settings.md), seen by a role that has only PUBLIC's grants.
BEGIN;
SELECT plan(48);

CREATE ROLE tap_public_only NOLOGIN;
SELECT tako_flush_hits();
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
SELECT is((SELECT count(*)::int FROM discovery_cache WHERE cache_key = 'deezer:charts:artists'), 1, '... and may SELECT the table');
SELECT lives_ok($$SELECT tako_cache_stats()$$, '... and read the stats');
SELECT lives_ok($$SELECT tako_cache_key('tmdb', 'popular', 'tv')$$, '... and build keys');
SELECT lives_ok($$SELECT * FROM tako_parse_key('jikan:top')$$, '... and parse keys');
SELECT lives_ok($$SELECT tako_validate_items('[]')$$, '... and validate items');

-- What it may not.
SELECT throws_ok($$SELECT tako_save_cached('deezer:charts:artists', 'deezer', 'charts', '[]')$$,
                 '42501', NULL, 'cannot save');
SELECT throws_ok($$SELECT * FROM tako_get_expired_entries()$$, '42501', NULL, 'cannot list expired entries');
SELECT throws_ok($$SELECT tako_purge_old_entries(0)$$, '42501', NULL, 'cannot purge');
SELECT throws_ok($$UPDATE discovery_cache SET fetch_count = 0$$, '42501', NULL, 'cannot UPDATE the cache');
SELECT throws_ok($$DELETE FROM discovery_cache$$, '42501', NULL, 'cannot DELETE from the cache');
SELECT throws_ok($$INSERT INTO discovery_cache (cache_key, data, expires_at) VALUES ('deezer:charts:tracks', '[]', now())$$,
                 '42501', NULL, 'cannot INSERT into the cache');
SELECT throws_ok($$SELECT * FROM tako_refresh_log$$, '42501', NULL, 'cannot read the refresh log');
SELECT throws_ok($$SELECT tako_fetch('deezer:charts:artists')$$, '42501', NULL, 'cannot fetch from upstream');
SELECT throws_ok($$SELECT * FROM tako_fetch_lists(ARRAY['deezer:charts:artists'])$$, '42501', NULL, 'cannot fetch lists');
SELECT throws_ok($$SELECT tako_refresh('deezer:charts:artists')$$, '42501', NULL, 'cannot refresh a key');
SELECT throws_ok($$SELECT tako_refresh_all()$$, '42501', NULL, 'cannot refresh everything');
SELECT throws_ok($$SELECT tako_refresh_provider('tmdb')$$, '42501', NULL, 'cannot refresh a provider');
SELECT throws_ok($$SELECT tako_refresh_expired()$$, '42501', NULL, 'cannot refresh expired entries');
SELECT throws_ok($$SELECT * FROM tako_warm_keys$$, '42501', NULL, 'cannot read or edit the warm keys');
SELECT lives_ok($$SELECT tako_normalize('deezer', 'charts', '{"data": []}')$$, 'may normalize (pure)');
SELECT throws_ok($$SELECT * FROM tako_schedule_refreshes()$$, '42501', NULL, 'cannot schedule');
SELECT throws_ok($$SELECT tako_unschedule_refreshes()$$, '42501', NULL, 'cannot unschedule');
SELECT throws_ok($$SELECT tako_run_slot('charts', 'deezer')$$, '42501', NULL, 'cannot run a slot');
SELECT throws_ok($$SELECT * FROM tako_refresh_slots$$, '42501', NULL, 'cannot read or edit the slots');
SELECT throws_ok($$SELECT * FROM tako_provider_health()$$, '42501', NULL, 'cannot read provider health directly');
SELECT lives_ok($$SELECT tako_cache_stats()->'providers'$$, '... but sees it in the stats');
SELECT is(tako_cache_stats()->'queue' ? 'worker_pid' OR tako_cache_stats()->'queue' ? 'last_key', false,
          '... without the worker''s pid or the last key');
SELECT is((SELECT count(*)::int FROM jsonb_array_elements(tako_cache_stats()->'providers') AS p
            WHERE p ? 'last_error_message'), 0, '... or any error text');
SELECT ok(tako_cache_stats()->'hits' ? 'skipped' AND tako_cache_stats()->'queue' ? 'pending',
          '... but with the counts and states');
SELECT throws_ok($$SELECT tako_cache_stats_detailed()$$, '42501', NULL, 'cannot call the detailed stats');
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
SELECT tako_flush_hits();

-- The hit it made was counted once, and the owner still sees the secret.
SELECT is((SELECT fetch_count FROM discovery_cache WHERE cache_key = 'deezer:charts:artists'), 1::bigint,
          'the PUBLIC-only role''s hit was counted exactly once');
SELECT is(current_setting('tako_cache.tmdb_api_key'), 'tap-secret', 'a superuser reads the key');
SELECT ok(tako_cache_stats()->'queue' ? 'worker_pid' AND tako_cache_stats()->'providers'->0 ? 'last_error_message',
          'the owner sees the worker''s pid and the error texts');
SELECT function_privs_are('public', 'tako_cache_stats_detailed', ARRAY[]::text[], 'pg_monitor', ARRAY['EXECUTE'],
                          'pg_monitor may read the detailed stats');
SELECT function_privs_are('public', 'tako_metrics', ARRAY[]::text[], 'pg_monitor', ARRAY['EXECUTE'],
                          'pg_monitor may read the metrics (docs/monitoring.md)');
SELECT function_privs_are('public', 'tako_save_cached',
                          ARRAY['text', 'text', 'text', 'jsonb', 'text', 'text', 'interval', 'jsonb'],
                          'public', ARRAY[]::text[], 'PUBLIC has no EXECUTE on tako_save_cached');
SELECT function_privs_are('public', 'tako_discover_fill', ARRAY['text'], 'public', ARRAY[]::text[],
                          'PUBLIC has no EXECUTE on tako_discover_fill (tako_discover calls it)');
SELECT is(
    (SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text)
       FROM pg_proc p
       JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
       JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'
      WHERE has_function_privilege('public', p.oid, 'EXECUTE')),
    ARRAY['tako_cache_key(text,text,text,text,text,text,text,text)', 'tako_cache_stats()',
          'tako_cache_stats_public()',
          'tako_canonical_key(text)', 'tako_cron_is_1_5()',
          'tako_cron_time(time without time zone,text,text,timestamp with time zone)', 'tako_cron_timezone()',
          'tako_discover(text)', 'tako_discover_http(text,text)',
          'tako_envelope(text,jsonb,jsonb,timestamp with time zone,timestamp with time zone,boolean,boolean,text)',
          'tako_families()', 'tako_get_cached(text)', 'tako_key_info(text)',
          'tako_next_run(text,timestamp with time zone)', 'tako_normalize(text,text,jsonb,text)',
          'tako_parse_key(text)', 'tako_require_canonical_key(text)', 'tako_require_pg_cron()',
          'tako_require_platforms(text)', 'tako_schedule_commands()',
          'tako_schedule_plan(timestamp with time zone)', 'tako_validate_items(jsonb,text)'],
    'PUBLIC may execute only the functions that read, build keys, render or validate: no fetch, '
    'budget, save or refresh');
SELECT table_privs_are('public', 'discovery_cache', 'public', ARRAY['SELECT'],
                       'PUBLIC may only SELECT discovery_cache');
SELECT table_privs_are('public', 'tako_jikan_pictures', 'public', ARRAY[]::text[],
                       'PUBLIC may not read or write tako_jikan_pictures');
SELECT table_privs_are('public', 'tako_secret', 'public', ARRAY[]::text[],
                       'PUBLIC may not read the salt of the single-flight lock keys');
SET LOCAL ROLE tap_public_only;
SELECT throws_ok('SELECT salt FROM tako_secret', '42501', NULL,
                 'a PUBLIC-only role cannot read it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
