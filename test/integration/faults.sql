-- The fault matrix (docs/errors.md): every injected upstream fault leaves the previous data in place,
-- writes a refresh-log row naming the cause, and never crashes the backend.
\set QUIET 1
SET client_min_messages = warning;
-- Short timeouts and retry waits keep the matrix fast; the logic is the same at any scale.
SET tako_cache.http_timeout_ms = 1500;
SET tako_cache.http_connect_timeout_ms = 1000;
SET tako_cache.retry_after_max_ms = 1000;
SELECT * FROM no_plan();
SELECT coalesce(max(id), 0) AS log_start FROM tako_cache.tako_refresh_log \gset

-- fault_case(key, expected outcome, error pattern, expected attempts): refresh `key` (the fault is
-- already armed) and check what must hold after a failure.
CREATE FUNCTION pg_temp.fault_case(k text, expected text, pattern text, attempts integer)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    before_data jsonb;
    before_updated timestamptz;
    before_refreshes integer;
    result jsonb;
    logged record;
BEGIN
    SELECT data, updated_at, refresh_count INTO before_data, before_updated, before_refreshes
      FROM tako_cache.discovery_cache WHERE cache_key = k;
    result := tako_refresh(k);
    RETURN NEXT is(result->>'status', 'error', format('%s: %s makes the refresh fail', k, expected));
    RETURN NEXT is(result->>'outcome', expected, format('%s: outcome is %s', k, expected));
    RETURN NEXT is((result->>'attempts')::int, attempts, format('%s: %s attempt(s)', k, attempts));
    RETURN NEXT ok((SELECT data = before_data AND updated_at = before_updated AND refresh_count = before_refreshes
                      FROM tako_cache.discovery_cache WHERE cache_key = k),
                   format('%s: the previous data is kept', k));
    RETURN NEXT is(json_array_length(tako_get_cached(k)), jsonb_array_length(before_data),
                   format('%s: and still served', k));
    RETURN NEXT is((SELECT last_refresh_status FROM tako_cache.discovery_cache WHERE cache_key = k), 'error',
                   format('%s: the entry records the failed refresh', k));
    SELECT * INTO logged FROM tako_cache.tako_refresh_log WHERE cache_key = k ORDER BY id DESC LIMIT 1;
    RETURN NEXT is(logged.outcome, expected, format('%s: the log row has outcome %s', k, expected));
    RETURN NEXT matches(logged.error, pattern, format('%s: the log row names the cause (%s)', k, pattern));
    RETURN NEXT ok(logged.finished_at >= logged.started_at AND logged.items IS NULL,
                   format('%s: the log row has its times and no items', k));
END
$$;

-- Good data first, for every key the matrix breaks.
SELECT is(tako_cache.tako_refresh_keys(ARRAY['tmdb:popular:movie', 'tmdb:popular:tv', 'tmdb:top-rated:movie',
    'tmdb:top-rated:tv', 'tmdb:trending:movie:day', 'tmdb:trending:tv:day', 'tmdb:trending:movie:week',
    'tmdb:trending:tv:week', 'tmdb:upcoming:movie', 'tmdb:upcoming:tv', 'tmdb:upcoming:tv:on-the-air',
    'tmdb:upcoming:tv:airing-today', 'jikan:top:anime', 'jikan:schedule:all', 'deezer:charts:albums',
    'deezer:charts:tracks', 'rawg:popular:all', 'itunes:charts:fr-album'])->>'failed', '0',
    'baseline: every key of the matrix refreshes');

-- HTTP statuses.
\! test/upstream/ctl fault '{"match": "/tmdb/movie/popular", "fault": {"status": 500}}'
SELECT * FROM pg_temp.fault_case('tmdb:popular:movie', 'server_error', 'HTTP 500', 3);
\! test/upstream/ctl fault '{"match": "/tmdb/tv/popular", "fault": {"status": 503, "headers": {"Retry-After": "1"}}}'
SELECT * FROM pg_temp.fault_case('tmdb:popular:tv', 'server_error', 'HTTP 503', 3);
\! test/upstream/ctl fault '{"match": "/tmdb/movie/top_rated", "fault": {"status": 429, "headers": {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}}}'
SELECT * FROM pg_temp.fault_case('tmdb:top-rated:movie', 'rate_limited', 'HTTP 429.*status_code 25', 3);
\! test/upstream/ctl fault '{"match": "/tmdb/tv/top_rated", "fault": {"status": 404}}'
SELECT * FROM pg_temp.fault_case('tmdb:top-rated:tv', 'http_error', 'HTTP 404', 1);
\! test/upstream/ctl fault '{"match": "/tmdb/trending/movie/day", "fault": {"status": 401}}'
SELECT * FROM pg_temp.fault_case('tmdb:trending:movie:day', 'auth_error', 'HTTP 401.*Invalid API key', 1);
\! test/upstream/ctl fault '{"match": "/jikan/top/anime", "fault": {"status": 503}}'
SELECT * FROM pg_temp.fault_case('jikan:top:anime', 'server_error', 'HTTP 503', 3);

-- Slow, hanging and broken transfers.
\! test/upstream/ctl fault '{"match": "/tmdb/trending/tv/day", "fault": {"delay_ms": 4000}}'
SELECT * FROM pg_temp.fault_case('tmdb:trending:tv:day', 'timeout', 'timeout', 3);
\! test/upstream/ctl fault '{"match": "/tmdb/trending/movie/week", "fault": {"hang": true}}'
SELECT * FROM pg_temp.fault_case('tmdb:trending:movie:week', 'timeout', 'timeout', 3);
\! test/upstream/ctl fault '{"match": "/tmdb/trending/tv/week", "fault": {"malformed": true}}'
SELECT * FROM pg_temp.fault_case('tmdb:trending:tv:week', 'invalid_response', 'not well-formed JSON', 1);
\! test/upstream/ctl fault '{"match": "/tmdb/discover/movie", "fault": {"truncated": true}}'
SELECT * FROM pg_temp.fault_case('tmdb:upcoming:movie', 'network_error', 'incomplete', 3);
SET tako_cache.max_response_bytes = '1MB';
\! test/upstream/ctl fault '{"match": "/tmdb/discover/tv", "fault": {"oversize_bytes": 3000000}}'
SELECT * FROM pg_temp.fault_case('tmdb:upcoming:tv', 'too_large', 'larger than 1048576 bytes', 1);
RESET tako_cache.max_response_bytes;
\! test/upstream/ctl fault '{"match": "/tmdb/tv/on_the_air", "fault": {"reset": true}}'
SELECT * FROM pg_temp.fault_case('tmdb:upcoming:tv:on-the-air', 'network_error', 'incomplete', 3);
\! test/upstream/ctl fault '{"match": "/tmdb/tv/airing_today", "fault": {"content_type": "text/html", "body": "<html>Service Unavailable</html>"}}'
SELECT * FROM pg_temp.fault_case('tmdb:upcoming:tv:airing-today', 'invalid_response', 'content type text/html', 1);

-- Well-formed answers that are errors or not the list.
\! test/upstream/ctl fault '{"match": "/deezer/chart/0/albums", "fault": {"error200": true}}'
SELECT * FROM pg_temp.fault_case('deezer:charts:albums', 'upstream_error', 'no data', 1);
\! test/upstream/ctl fault '{"match": "/deezer/chart/0/tracks", "fault": {"json": {"data": [], "total": 0}}}'
SELECT * FROM pg_temp.fault_case('deezer:charts:tracks', 'empty', 'empty list', 1);
\! test/upstream/ctl fault '{"match": "/rawg/games", "fault": {"json": {"count": 3, "items": []}}}'
SELECT * FROM pg_temp.fault_case('rawg:popular:all', 'invalid_response', 'unexpected RAWG response', 1);
\! test/upstream/ctl fault '{"match": "/itunes/fr/rss/topalbums", "fault": {"status": 404}}'
SELECT * FROM pg_temp.fault_case('itunes:charts:fr-album', 'http_error', 'HTTP 404', 1);

-- Nobody listening, and no credentials.
SET tako_cache.jikan_base_url = 'http://127.0.0.1:9';
SELECT * FROM pg_temp.fault_case('jikan:schedule:all', 'network_error', 'connect', 3);
RESET tako_cache.jikan_base_url;
SET tako_cache.rawg_api_key = '';
SELECT * FROM pg_temp.fault_case('rawg:popular:all', 'not_configured', 'tako_cache.rawg_api_key is not set', 0);
RESET tako_cache.rawg_api_key;

-- A transient failure is retried, and the retry's success is saved.
\! test/upstream/ctl reset
\! test/upstream/ctl fault '{"match": "/tmdb/movie/popular", "times": 2, "fault": {"status": 503, "headers": {"Retry-After": "0"}}}'
SELECT is(tako_refresh('tmdb:popular:movie')->>'status', 'ok', 'two 503s then a success: the refresh succeeds');
SELECT is((SELECT attempts FROM tako_cache.tako_refresh_log WHERE cache_key = 'tmdb:popular:movie' ORDER BY id DESC LIMIT 1),
          3, '... on the third attempt');
SELECT is((SELECT last_refresh_status FROM tako_cache.discovery_cache WHERE cache_key = 'tmdb:popular:movie'), 'ok',
          '... and the entry is back to ok');

-- Retry-After is honoured: a 503 asking for 1 s makes the next attempt wait at least that long.
\! test/upstream/ctl reset
\! test/upstream/ctl fault '{"match": "/tmdb/tv/popular", "times": 1, "fault": {"status": 503, "headers": {"Retry-After": "1"}}}'
SELECT ok((SELECT (r->>'status') = 'ok' AND (r->>'duration_ms')::int >= 950
             FROM (SELECT tako_refresh('tmdb:popular:tv') AS r) AS x),
          'a 503 with Retry-After: 1 is retried after at least one second');

-- The backend survived all of it.
SELECT is((SELECT count(*)::int FROM tako_cache.tako_refresh_log WHERE outcome <> 'ok' AND id > :log_start), 19,
          'each of the 19 failures above left exactly one log row');
SELECT * FROM finish();
