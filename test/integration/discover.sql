-- The read-through tako_discover (docs/read-and-refresh.md): envelope, modes, stale-if-error, errors cached for a
-- minute, the circuit breaker and the stats that report it. Concurrency is in discover.sh.
\set QUIET 1
SET client_min_messages = error;
SELECT * FROM no_plan();

\! test/upstream/ctl reset

-- hybrid: a miss is fetched once and saved, then served from the cache.
SELECT is(tako_discover('deezer:charts:tracks')::jsonb - 'data' - 'meta',
          '{"success": true, "provider": "deezer", "domain": "music", "endpoint": "charts", "query": null,
            "total": 10, "count": 10, "pagination": null}'::jsonb,
          'a miss: Tako''s envelope');
SELECT is((SELECT tako_discover('deezer:charts:tracks')->'meta'->>'cached'), 'true', 'the next call is served from the cache');
\set requests `test/upstream/ctl requests /deezer/chart/0/tracks`
SELECT is(jsonb_array_length(:'requests'::jsonb), 1, '... with one upstream request in all');
SELECT is((SELECT tako_discover('deezer:charts:tracks')->'meta'->>'cacheKey'), 'deezer:charts:tracks', 'meta.cacheKey');
SELECT is((SELECT tako_discover('deezer:charts:tracks')->'meta'->>'fetchedAt'),
          (SELECT to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM tako_cache.tako_refresh_log
            WHERE cache_key = 'deezer:charts:tracks' ORDER BY id DESC LIMIT 1),
          'meta.fetchedAt is when the list was fetched upstream (the refresh log''s end, in ISO 8601 UTC)');
SELECT is((SELECT tako_discover('deezer:charts:tracks')->'meta'->>'stale'), 'false', 'meta.stale is false when fresh');
SELECT tako_cache.tako_flush_hits() \g /dev/null
SELECT is((SELECT fetch_count FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:tracks'), 4::bigint,
          'each cache hit counted once (the miss was a fetch, not a hit)');
SELECT is(tako_discover('tmdb:upcoming:tv:on-the-air')->>'endpoint', 'on-the-air', 'endpoint is Tako''s route name');
SELECT is(tako_discover('tmdb:upcoming:tv:on-the-air')->>'domain', 'media', 'domain per provider');
SELECT is(tako_discover('deezer:charts')->'meta'->>'cacheKey', 'deezer:charts:albums', 'keys are canonicalised');
SELECT throws_ok($$SELECT tako_discover('netflix:top')$$, '22023', NULL, 'an invalid key is 22023, nothing fetched');

-- Stale-if-error: an expired entry whose refresh fails is served stale.
UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key = 'deezer:charts:tracks';
\! test/upstream/ctl fault '{"match": "/deezer/chart/0/tracks", "fault": {"status": 503}}'
SELECT is(tako_discover('deezer:charts:tracks')->'meta'->>'stale', 'true', 'upstream down: the expired entry is served, meta.stale = true');
-- (Its refresh is the worker's: wait until its queue is empty.)
CREATE FUNCTION pg_temp.wait_queue() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..300 LOOP
        EXIT WHEN (tako_cache.tako_queue_stats()->>'pending')::int = 0 AND (tako_cache.tako_queue_stats()->>'in_flight')::int = 0;
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT pg_temp.wait_queue() \g /dev/null
SELECT is(json_array_length(tako_discover('deezer:charts:tracks')->'data'), 10, '... with its data');
SELECT matches(tako_discover('deezer:charts:tracks')->'meta'->>'error', '^server_error: HTTP 503',
               '... and meta.error says why');
-- Errors are cached for a minute: the three calls above made one refresh (3 attempts), not three.
\set requests `test/upstream/ctl requests /deezer/chart/0/tracks`
SELECT is(jsonb_array_length(:'requests'::jsonb), 1 + 3, 'a key that just failed is not fetched again for a minute');

-- A missing key whose fetch fails is an error; again within the minute: no new request.
\! test/upstream/ctl fault '{"match": "/deezer/chart/0/artists", "fault": {"status": 404}}'
SELECT throws_like($$SELECT tako_discover('deezer:charts:artists')$$,
                   'upstream request for deezer:charts:artists failed (http_error): HTTP 404%', 'no data and no upstream: the error');
SELECT throws_ok($$SELECT tako_discover('deezer:charts:artists')$$, '08000', NULL, '... with SQLSTATE 08000');
SELECT throws_like($$SELECT tako_discover('deezer:charts:artists')$$, '%not retried before%', '... and within a minute, the same error');
\set requests `test/upstream/ctl requests /deezer/chart/0/artists`
SELECT is(jsonb_array_length(:'requests'::jsonb), 1, '... without asking the upstream again');

-- db_only: never fetched.
SET tako_cache.mode = 'db_only';
SELECT is(tako_discover('tmdb:popular:tv')::jsonb - 'meta',
          '{"success": false, "provider": "tmdb", "domain": "media", "endpoint": "popular", "query": "popular-tv",
            "searchType": "tv", "total": 0, "count": 0, "data": [], "pagination": null}'::jsonb,
          'db_only: a miss is a success:false envelope');
SELECT is(tako_discover('deezer:charts:tracks')->'meta'->>'stale', 'true', 'db_only: an expired entry is served stale');
\set requests `test/upstream/ctl requests /tmdb/tv/popular`
SELECT is(jsonb_array_length(:'requests'::jsonb), 0, 'db_only never asks the upstream');
RESET tako_cache.mode;

-- api_only: always fetched, and saved.
SET tako_cache.mode = 'api_only';
SELECT is(tako_discover('tmdb:popular:movie')->'meta'->>'cached', 'false', 'api_only: fetched');
SELECT is(tako_discover('tmdb:popular:movie')->'meta'->>'cached', 'false', 'api_only: fetched again');
\set requests `test/upstream/ctl requests /tmdb/movie/popular`
SELECT is(jsonb_array_length(:'requests'::jsonb), 2, '... two requests');
SELECT is((SELECT total_results FROM tako_cache.discovery_cache WHERE cache_key = 'tmdb:popular:movie'), 20, '... and saved');
RESET tako_cache.mode;

-- enabled = off: the cache is bypassed.
SET tako_cache.enabled = off;
SELECT is(tako_discover('tmdb:trending:tv:day')->'meta'->>'cached', 'false', 'enabled off: fetched');
SELECT is((SELECT count(*)::int FROM tako_cache.discovery_cache WHERE cache_key = 'tmdb:trending:tv:day'), 0, '... and not saved');
SELECT is(json_array_length(tako_discover('tmdb:trending:tv:day')->'data'), 20, '... but served');
RESET tako_cache.enabled;

-- The circuit breaker: a provider failing again and again is paused.
SET tako_cache.breaker_failures = 3;
SET tako_cache.breaker_pause_ms = 60000;
SELECT is(tako_cache.tako_refresh_keys(ARRAY['rawg:trending:all', 'rawg:popular:4,187'])->>'succeeded', '2', 'rawg works');
\! test/upstream/ctl fault '{"match": "/rawg/games", "fault": {"status": 502}}'
SET tako_cache.retry_attempts = 1;
SELECT is(tako_cache.tako_refresh_keys(ARRAY['rawg:popular:all', 'rawg:upcoming:all', 'rawg:trending:all'])->>'failed', '3',
          'three rawg lists fail in a row');
SELECT is((SELECT p->>'paused' FROM jsonb_array_elements(tako_cache_stats()->'providers') AS p WHERE p->>'provider' = 'rawg'),
          'true', 'stats: rawg is paused');
SELECT ok((SELECT (p->>'consecutive_failures')::int >= 3 AND (p->>'paused_until')::timestamptz > now() + interval '50 seconds'
                  AND p->>'last_error_message' LIKE 'HTTP 502%'
             FROM jsonb_array_elements(tako_cache_stats()->'providers') AS p WHERE p->>'provider' = 'rawg'),
          'stats: consecutive failures, paused until a minute from now, the last error');
SELECT ok((SELECT (p->>'requests_today')::int >= 4 AND (p->>'last_success')::timestamptz IS NOT NULL
             FROM jsonb_array_elements(tako_cache_stats()->'providers') AS p WHERE p->>'provider' = 'rawg'),
          'stats: requests made today and the last success');
-- The breaker is shared: paused now for every session, whatever its own settings. Back to the
-- server's values, so that a miss is the refresh worker's (1.7: a session with values of its own
-- fetches itself).
RESET tako_cache.retry_attempts;
RESET tako_cache.breaker_failures;
RESET tako_cache.breaker_pause_ms;
\! test/upstream/ctl reset
SELECT throws_like($$SELECT tako_discover('rawg:popular:4')$$, '%(circuit_open): rawg is paused after repeated failures until%',
                   'while paused, a missing rawg key is not fetched: the error says why');
UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key IN ('rawg:popular:4,187', 'rawg:trending:all');
SELECT matches(tako_discover('rawg:popular:4,187')->'meta'->>'error', '^circuit_open: rawg is paused',
               'an expired one is served stale, meta.error saying why');
SELECT matches(tako_discover('rawg:trending:all')->'meta'->>'error', '^server_error: HTTP 502',
               'an expired one that failed a moment ago: stale, with that failure');
\set requests `test/upstream/ctl requests /rawg/`
SELECT is(jsonb_array_length(:'requests'::jsonb), 0, 'no request reached rawg while it was paused');
SELECT pg_temp.wait_queue() \g /dev/null
SELECT is((SELECT string_agg(origin, ',' ORDER BY origin) FROM tako_cache.tako_refresh_log WHERE outcome = 'circuit_open'), 'miss',
          'the refresh log records the skipped fetch whose tako_discover raised (the worker logs it); the stale '
          'reads queued nothing while rawg was paused');
SELECT is(tako_refresh('rawg:trending:all')->>'status', 'ok', 'a manual refresh is not held back, and succeeds');
SELECT is((SELECT p->>'paused' FROM jsonb_array_elements(tako_cache_stats()->'providers') AS p WHERE p->>'provider' = 'rawg'),
          'false', '... which closes the breaker');

-- Who may call it: tako_discover runs as the owner, for any role.
CREATE ROLE tap_reader_it NOLOGIN;
GRANT USAGE ON SCHEMA public TO tap_reader_it;
SET ROLE tap_reader_it;
SELECT is(tako_discover('tmdb:top-rated:tv')->>'success', 'true', 'a PUBLIC-only role may call tako_discover (and fill a miss)');
SELECT throws_ok($$SELECT tako_refresh('tmdb:top-rated:tv')$$, '42501', NULL, '... but not tako_refresh');
RESET ROLE;
REVOKE USAGE ON SCHEMA public FROM tap_reader_it;
DROP ROLE tap_reader_it;

SELECT * FROM finish();
