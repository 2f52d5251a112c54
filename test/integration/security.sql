-- Security (issue 6): what a role with only PUBLIC's grants can and cannot do; secrets never reach
-- the refresh log; objects planted in the caller's search_path change nothing, whoever calls.
\set QUIET 1
SET client_min_messages = warning;
SELECT * FROM no_plan();

SELECT tako_cache.tako_refresh_keys(ARRAY['deezer:charts:albums', 'tmdb:popular:movie']) \g /dev/null
CREATE ROLE tap_public NOLOGIN;
-- The attacker's own schema, where it plants look-alikes of what the extension's functions use;
-- every planted function records that it ran.
CREATE SCHEMA attacker AUTHORIZATION tap_public;
SET ROLE tap_public;
CREATE TABLE attacker.calls (what text);
GRANT INSERT, SELECT ON attacker.calls TO PUBLIC;
CREATE FUNCTION attacker.now() RETURNS timestamptz LANGUAGE sql AS
    $$ INSERT INTO attacker.calls VALUES ('now'); SELECT '2000-01-01'::timestamptz $$;
CREATE FUNCTION attacker.jsonb_build_object(VARIADIC text[]) RETURNS jsonb LANGUAGE sql AS
    $$ INSERT INTO attacker.calls VALUES ('jsonb_build_object'); SELECT '{"planted": true}'::jsonb $$;
CREATE FUNCTION attacker.pg_is_in_recovery() RETURNS boolean LANGUAGE sql AS
    $$ INSERT INTO attacker.calls VALUES ('pg_is_in_recovery'); SELECT true $$;
CREATE FUNCTION attacker.tako_canonical_key(text) RETURNS text LANGUAGE sql AS
    $$ INSERT INTO attacker.calls VALUES ('tako_canonical_key'); SELECT 'deezer:charts:tracks' $$;
CREATE FUNCTION attacker.tako_key_info(text) RETURNS jsonb LANGUAGE sql AS
    $$ INSERT INTO attacker.calls VALUES ('tako_key_info'); SELECT '{}'::jsonb $$;
CREATE FUNCTION attacker.hashtext(text) RETURNS integer LANGUAGE sql AS
    $$ INSERT INTO attacker.calls VALUES ('hashtext'); SELECT 1 $$;
CREATE FUNCTION attacker.text_eq(text, text) RETURNS boolean LANGUAGE sql AS
    $$ INSERT INTO attacker.calls VALUES ('='); SELECT true $$;
CREATE OPERATOR attacker.= (LEFTARG = text, RIGHTARG = text, FUNCTION = attacker.text_eq);
CREATE TABLE attacker.discovery_cache (cache_key text, data jsonb, expires_at timestamptz);
INSERT INTO attacker.discovery_cache VALUES ('deezer:charts:albums', '[{"planted": true}]', 'infinity');
RESET ROLE;

-- What a PUBLIC-only role may do.
SET ROLE tap_public;
SELECT is(json_array_length(tako_get_cached('deezer:charts:albums')), 10, 'PUBLIC may read a list (tako_get_cached)');
SELECT throws_ok($$SELECT count(*) FROM tako_cache.discovery_cache$$, '42501', NULL,
                 '... but not SELECT the table (no USAGE on the schema tako_cache: reads go through the functions)');
SELECT is(tako_discover('deezer:charts:albums')->>'success', 'true', '... and call tako_discover');
SELECT lives_ok($$SELECT tako_cache_stats()$$, '... and read the stats');

-- What it may not: nothing that reaches the network beyond tako_discover's validated keys,
-- nothing that writes, schedules, or reads secrets.
SELECT throws_ok(format('SELECT %s', f), '42501', NULL, 'PUBLIC cannot ' || f)
  FROM unnest(ARRAY[
    $$tako_cache.tako_fetch('deezer:charts:albums')$$, $$* FROM tako_cache.tako_fetch_lists(ARRAY['deezer:charts:albums'])$$,
    $$tako_refresh('deezer:charts:albums')$$, $$tako_cache.tako_refresh_keys(ARRAY['deezer:charts:albums'])$$,
    $$tako_refresh_expired()$$, $$tako_refresh_provider('deezer')$$, $$tako_refresh_all()$$,
    $$tako_save_cached('deezer:charts:albums', NULL, NULL, '[]')$$, $$tako_purge_old_entries(0)$$,
    $$tako_purge_refresh_log(0)$$, $$* FROM tako_schedule_refreshes()$$, $$tako_unschedule_refreshes()$$,
    $$tako_cache.tako_sync_schedule()$$, $$tako_cache.tako_run_slot('charts', 'deezer')$$, $$tako_cache.tako_run_hourly()$$,
    $$tako_cache.tako_flush_hits()$$, $$* FROM tako_cache.tako_pending_hits()$$, $$* FROM tako_cache.tako_provider_health()$$,
    $$* FROM tako_cache.tako_recent_failure('deezer:charts:albums')$$, $$tako_cache.tako_mark_interrupted()$$,
    $$tako_cache.tako_count_hit('deezer:charts:albums')$$]) AS f;
SELECT throws_ok(format('CALL %s', p), '42501', NULL, 'PUBLIC cannot CALL ' || p)
  FROM unnest(ARRAY[$$tako_cache.tako_refresh_job(ARRAY['deezer:charts:albums'])$$, $$tako_cache.tako_run_slot_job('charts', 'deezer')$$,
                    $$tako_cache.tako_run_hourly_job()$$]) AS p;
SELECT throws_ok(format('SELECT * FROM %s', t), '42501', NULL, 'PUBLIC cannot read ' || t)
  FROM unnest(ARRAY['tako_cache.tako_refresh_log', 'tako_cache.tako_warm_keys', 'tako_cache.tako_refresh_slots']) AS t;
SELECT throws_ok(s, '42501', NULL, 'PUBLIC cannot write: ' || s)
  FROM unnest(ARRAY[$$UPDATE tako_cache.discovery_cache SET fetch_count = 0$$, $$DELETE FROM tako_cache.discovery_cache$$,
                    $$INSERT INTO tako_cache.tako_warm_keys (cache_key) VALUES ('rawg:popular:4')$$]) AS s;
SELECT throws_ok(s, '42501', NULL, 'PUBLIC cannot read an API key: ' || s)
  FROM unnest(ARRAY[$$SHOW tako_cache.tmdb_api_key$$, $$SHOW tako_cache.rawg_api_key$$,
                    $$SELECT current_setting('tako_cache.igdb_client_id')$$,
                    $$SELECT current_setting('tako_cache.igdb_client_secret')$$]) AS s;
SELECT is((SELECT count(*)::int FROM pg_settings WHERE name ~ '^tako_cache\.(.*_api_key|igdb_client_.*)$'), 0,
          'PUBLIC does not see the API keys in pg_settings');
SELECT throws_ok(s, '42501', NULL, 'PUBLIC cannot change a setting: ' || s)
  FROM unnest(ARRAY[$$SET tako_cache.tmdb_base_url = 'http://169.254.169.254'$$,
                    $$SET tako_cache.igdb_token_url = 'http://attacker.example/token'$$,
                    $$SET tako_cache.mode = 'api_only'$$, $$SET tako_cache.enabled = off$$,
                    $$SET tako_cache.max_response_bytes = '1GB'$$,
                    $$SET tako_cache.tmdb_requests_per_second = 10000$$,
                    $$ALTER ROLE tap_public SET tako_cache.tmdb_base_url = 'http://169.254.169.254'$$]) AS s;
-- No other host: tako_discover only takes keys, and a key is never a URL.
SELECT throws_ok(format('SELECT tako_discover(%L)', k), '22023', NULL,
                 'a key cannot name a host: ' || replace(replace(k, E'\r', '\r'), E'\n', '\n'))
  FROM unnest(ARRAY['tmdb:http://169.254.169.254', 'itunes:charts:../../evil-album', 'rawg:popular:1@evil.example',
                    'igdb:popular:6);fields *;where id > 0', E'deezer:charts:albums\r\nHost: evil']) AS k;
RESET ROLE;

-- Secrets never reach the refresh log, even when an upstream echoes them in an error.
SET tako_cache.tmdb_api_key = 'tap-secret-key-1234';
\! test/upstream/ctl fault '{"match": "/tmdb/movie/popular", "times": 1, "fault": {"status": 401, "body": "{\"status_code\": 7, \"status_message\": \"Invalid API key: tap-secret-key-1234\"}"}}'
SELECT is(tako_refresh('tmdb:popular:movie')->>'outcome', 'auth_error', 'an upstream that echoes the API key in its error');
SELECT is((SELECT count(*)::int FROM tako_cache.tako_refresh_log WHERE error LIKE '%tap-secret-key-1234%'), 0,
          '... leaves no trace of it in the refresh log');
SELECT matches((SELECT error FROM tako_cache.tako_refresh_log WHERE cache_key = 'tmdb:popular:movie' ORDER BY id DESC LIMIT 1),
               'Invalid API key: REDACTED', '... where it reads REDACTED');
SELECT is((SELECT count(*)::int FROM tako_cache.discovery_cache WHERE last_error LIKE '%tap-secret-key-1234%'), 0,
          '... nor in tako_cache.discovery_cache.last_error');
SELECT is((SELECT count(*)::int FROM tako_cache.tako_refresh_log WHERE error ~ 'test-tmdb-key|test-rawg-key|test-igdb-secret'), 0,
          'no configured key appears anywhere in the refresh log');
RESET tako_cache.tmdb_api_key;

-- search_path attacks: the planted objects are never used, by PUBLIC's calls to the functions
-- that run as the owner, nor by a superuser's calls. The calls run under the planted path and
-- their results are compared after it is gone (pgTAP's own comparisons would use the planted =).
SET ROLE tap_public;
SET search_path = attacker, public, pg_catalog;
SELECT tako_discover('deezer:charts:albums')->'meta'->>'cacheKey' AS discover_key,
       json_array_length(tako_get_cached('deezer:charts:albums')) AS hit_items,
       public.tako_cache_stats()->'global'->>'total_entries' AS stats_entries,
       tako_cache_key('deezer', 'charts') AS built_key,
       jsonb_array_length(tako_normalize('deezer', 'charts', '{"data": []}')) AS normalized \gset
RESET ROLE;
SELECT count(*) AS entries_then FROM tako_cache.discovery_cache \gset
CALL tako_cache.tako_refresh_job(ARRAY['deezer:charts:tracks']);
SELECT public.tako_refresh('deezer:charts:albums')->>'status' AS superuser_refresh,
       (SELECT count(*) FROM public.tako_schedule_plan()) AS plan_jobs \gset
RESET search_path;
SELECT is(:'discover_key'::text, 'deezer:charts:albums', 'tako_discover (SECURITY DEFINER) under a planted search_path: the real key');
SELECT is(:'hit_items'::text, '10', 'tako_get_cached: the real cache');
SELECT is(:'stats_entries'::text, :'entries_then'::text, 'tako_cache_stats (SECURITY DEFINER): the real stats');
SELECT is(:'built_key'::text, 'deezer:charts:albums', 'tako_cache_key: the real grammar');
SELECT is(:'normalized'::text, '0', 'tako_normalize: unaffected');
SELECT is(:'superuser_refresh'::text, 'ok', 'a superuser''s refresh and scheduled refresh (a procedure) under that search_path work');
SELECT is(:'plan_jobs'::text, '32', '... and its scheduling plan');
SELECT is((SELECT array_agg(DISTINCT what) FROM attacker.calls), NULL, 'no planted object ever ran');

DROP SCHEMA attacker CASCADE;
DROP ROLE tap_public;
SELECT * FROM finish();
