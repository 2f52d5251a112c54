-- Nothing a caller does spends the upstream quota or grows the cache without bound (issue 10):
-- platform lists in one form and from the provider's real platforms, an hourly budget of new keys
-- for read-through, a daily request budget per provider with the schedule's reserved share, and
-- the stats that show them. (The budget kept across a restart is in budget.sh.)
\set QUIET 1
SET client_min_messages = error;
SELECT * FROM no_plan();

\! test/upstream/ctl reset
-- What this file adds is taken away at its end: the files after it expect the lists it uses to be
-- missing.
SELECT coalesce(max(id), 0) AS log_before FROM tako_cache.tako_refresh_log \gset
CREATE TEMP TABLE keys_before AS SELECT cache_key FROM tako_cache.discovery_cache;

-- Platform lists: one form, real ids only.
SELECT is(tako_canonical_key('rawg:popular:187,4'), 'rawg:popular:4,187', 'a platform list is sorted');
SELECT is(tako_canonical_key('igdb:trending:48,6,48'), 'igdb:trending:6,48', '... once per id');
SELECT is(tako_cache_key('rawg', 'popular', '187,4'), 'rawg:popular:4,187', 'tako_cache_key agrees');
SELECT is((tako_parse_key('rawg:upcoming:187,4')).cache_key, 'rawg:upcoming:4,187', 'tako_parse_key agrees');
SELECT throws_ok($$SELECT tako_canonical_key('rawg:popular:1,2,3,4,5,6,7,8,9')$$, '22023', NULL, 'nine platform ids: 22023');
SELECT throws_like($$SELECT tako_discover('rawg:popular:4,999999')$$, '%unknown rawg platform id 999999%',
                   'an id RAWG does not have: 22023 naming it');
SELECT throws_ok($$SELECT tako_discover('igdb:popular:6,999998')$$, '22023', NULL, '... with SQLSTATE 22023');
SELECT throws_like($$INSERT INTO tako_cache.tako_warm_keys (cache_key) VALUES ('rawg:popular:999999')$$,
                   '%unknown rawg platform id 999999%', 'a warm key is checked too');
\set requests `test/upstream/ctl requests 999999`
SELECT is(jsonb_array_length(:'requests'::jsonb), 0, '... and nothing was sent upstream');
SELECT is(tako_discover('rawg:popular:187,4')->'meta'->>'cacheKey', 'rawg:popular:4,187', 'read-through serves the one form');
SELECT is((SELECT count(*)::int FROM tako_cache.discovery_cache WHERE cache_key LIKE 'rawg:popular:%187%'), 1, '... under one row');
INSERT INTO tako_cache.tako_platforms (provider, id, name) VALUES ('rawg', 999999, 'A console of ours');
SELECT is(tako_discover('rawg:popular:999999')->>'success', 'true', 'tako_platforms is editable: an added id is accepted');
DELETE FROM tako_cache.tako_platforms WHERE provider = 'rawg' AND id = 999999;
SELECT ok((SELECT count(*) FROM tako_cache.tako_platforms WHERE provider = 'rawg') >= 50 AND
          (SELECT count(*) FROM tako_cache.tako_platforms WHERE provider = 'igdb') >= 200,
          'RAWG''s and IGDB''s published platform lists are installed');

-- The hourly budget of new keys: 1000 distinct valid keys from a PUBLIC-only role.
SELECT new_keys_this_hour AS taken FROM tako_cache.tako_provider_health() WHERE provider = 'rawg' \gset
SELECT set_config('tako_cache.new_keys_per_hour', (:taken + 3)::text, false) \g /dev/null
\! test/upstream/ctl reset
SELECT count(*) AS rows_before FROM tako_cache.discovery_cache \gset
CREATE TEMP TABLE outcomes (key text, sqlstate text, message text);
GRANT ALL ON outcomes TO PUBLIC;
-- The keys, named for the role (it may not read tako_cache.tako_platforms).
CREATE TEMP TABLE budget_keys AS
    SELECT format('rawg:trending:%s,%s', a.id, b.id) AS k
      FROM tako_cache.tako_platforms AS a JOIN tako_cache.tako_platforms AS b ON a.provider = b.provider AND a.id < b.id
     WHERE a.provider = 'rawg' ORDER BY a.id, b.id LIMIT 1000;
GRANT SELECT ON budget_keys TO PUBLIC;
CREATE ROLE tap_budget_reader NOLOGIN;
SET ROLE tap_budget_reader;
DO $$
DECLARE
    k text;
BEGIN
    FOR k IN SELECT b.k FROM budget_keys AS b LOOP
        BEGIN
            PERFORM tako_discover(k);
            INSERT INTO outcomes VALUES (k, '00000', NULL);
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO outcomes VALUES (k, SQLSTATE, SQLERRM);
        END;
    END LOOP;
END
$$;
SELECT is(tako_discover('rawg:popular:4,187')->'meta'->>'cached', 'true', '... an existing key is still served meanwhile');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM outcomes), 1000, '1000 distinct valid keys asked for');
SELECT is((SELECT count(*)::int FROM outcomes WHERE sqlstate = '00000'), 3, '... 3 fetched: the new-key budget');
SELECT is((SELECT count(*)::int FROM outcomes WHERE sqlstate = 'TK429'), 997, '... the other 997 refused with SQLSTATE TK429');
SELECT matches((SELECT message FROM outcomes WHERE sqlstate = 'TK429' LIMIT 1), '^new-key budget spent: rawg',
               '... saying which budget');
SELECT is((SELECT count(*)::int FROM tako_cache.discovery_cache) - :rows_before, 3, '... 3 rows created');
\set requests `test/upstream/ctl requests /rawg/games`
SELECT is(jsonb_array_length(:'requests'::jsonb), 3, '... 3 upstream requests');
SELECT is((SELECT new_keys_this_hour FROM tako_cache.tako_provider_health() WHERE provider = 'rawg'), :taken + 3::bigint,
          'the stats count them');
-- A warm key is not new, however the budget stands.
INSERT INTO tako_cache.tako_warm_keys (cache_key) VALUES ('rawg:trending:1,4');
SET ROLE tap_budget_reader;
SELECT is(tako_discover('rawg:trending:1,4')->>'success', 'true', 'a warm key is fetched past the new-key budget');
RESET ROLE;
DELETE FROM tako_cache.tako_warm_keys WHERE cache_key = 'rawg:trending:1,4';
DROP OWNED BY tap_budget_reader;
DROP ROLE tap_budget_reader;
RESET tako_cache.new_keys_per_hour;

-- The daily request budget: read-through leaves the schedule its share; at the budget, nothing
-- reaches the provider; the lists it has are served stale, saying why. Read-through is the refresh
-- worker's, which follows the server's settings: they are set with ALTER SYSTEM.
CREATE FUNCTION pg_temp.wait_queue() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..300 LOOP
        EXIT WHEN (tako_cache.tako_queue_stats()->>'pending')::int = 0 AND (tako_cache.tako_queue_stats()->>'in_flight')::int = 0;
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
-- (ALTER SYSTEM, then a reload that every process, the worker too, has applied.)
CREATE FUNCTION pg_temp.set_server(name text, value text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_reload_conf();
    FOR i IN 1..50 LOOP
        EXIT WHEN current_setting(name) = value;
        PERFORM pg_sleep(0.1);
    END LOOP;
    PERFORM pg_sleep(0.3);
END $$;
SELECT tako_cache.tako_refresh_keys(ARRAY['deezer:charts:albums', 'deezer:charts:tracks']) \g /dev/null
SELECT requests_today AS used FROM tako_cache.tako_provider_health() WHERE provider = 'deezer' \gset
-- 50% reserved of 2 × (used + 2): read-through may make 2 more requests, the schedule 2 + used more.
SELECT (2 * (:used + 2))::text AS budget \gset
ALTER SYSTEM SET tako_cache.deezer_daily_requests = :'budget';
ALTER SYSTEM SET tako_cache.scheduled_reserve_percent = 50;
SELECT pg_temp.set_server('tako_cache.deezer_daily_requests', :'budget') \g /dev/null
SELECT is((SELECT read_through_budget FROM tako_cache.tako_provider_health() WHERE provider = 'deezer'), :used + 2::bigint,
          'the read-through share is half the budget');
UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key LIKE 'deezer:%';
\! test/upstream/ctl reset
SELECT is(tako_discover('deezer:charts:albums')->'meta'->>'stale', 'true', 'an expired list is served stale at once');
SELECT is(tako_discover('deezer:charts:tracks')->'meta'->>'stale', 'true', '... and another');
SELECT pg_temp.wait_queue() \g /dev/null
SELECT is((SELECT count(*)::int FROM tako_cache.discovery_cache WHERE cache_key IN ('deezer:charts:albums', 'deezer:charts:tracks')
              AND expires_at > now()), 2, '... and the worker refreshes both with read-through''s share');
SELECT throws_like($$SELECT tako_discover('deezer:charts:artists')$$, '%(quota_exhausted): deezer''s daily request budget is spent%',
                   'past its share, a list with nothing to serve is an error');
SELECT throws_ok($$SELECT tako_discover('deezer:charts:artists')$$, 'TK429', NULL, '... SQLSTATE TK429');
UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key = 'deezer:charts:albums';
SELECT tako_discover('deezer:charts:albums') \g /dev/null
SELECT pg_temp.wait_queue() \g /dev/null
SELECT matches(tako_discover('deezer:charts:albums')->'meta'->>'error', '^quota_exhausted: ',
               'an expired list is served stale, meta.error saying why');
\set requests `test/upstream/ctl requests /deezer/`
SELECT is(jsonb_array_length(:'requests'::jsonb), 2, 'read-through sent its 2 requests and no more');
ALTER SYSTEM RESET tako_cache.deezer_daily_requests;
ALTER SYSTEM RESET tako_cache.scheduled_reserve_percent;
SELECT pg_temp.set_server('tako_cache.scheduled_reserve_percent', '25') \g /dev/null
-- The rest is this session's own refreshes: its settings.
SELECT set_config('tako_cache.deezer_daily_requests', :'budget', false) \g /dev/null
SET tako_cache.scheduled_reserve_percent = 50;
SELECT is(tako_cache.tako_refresh_keys(ARRAY['deezer:charts:albums'], 'cron')->>'succeeded', '1',
          'the schedule still has its reserved share');
SELECT is(tako_cache.tako_refresh_keys(ARRAY['deezer:charts:tracks'], 'expired')->>'succeeded', '1',
          '... and so does the refresh of expired entries');
SELECT set_config('tako_cache.deezer_daily_requests',
                  (SELECT requests_today FROM tako_cache.tako_provider_health() WHERE provider = 'deezer')::text, false) \g /dev/null
\! test/upstream/ctl reset
SELECT is(tako_cache.tako_refresh_keys(ARRAY['deezer:charts:tracks'], 'cron')->'results'->0->>'outcome', 'quota_exhausted',
          'at the budget a scheduled refresh is not sent: outcome quota_exhausted');
SELECT is(tako_refresh('deezer:charts:tracks')->>'outcome', 'quota_exhausted', '... nor a manual one');
SELECT is((SELECT outcome FROM tako_cache.tako_refresh_log WHERE cache_key = 'deezer:charts:tracks' ORDER BY id DESC LIMIT 1),
          'quota_exhausted', '... the refresh log names the outcome');
SELECT is((SELECT json_array_length(tako_get_cached('deezer:charts:tracks')) > 0 OR
                  (SELECT jsonb_array_length(data) FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:tracks') > 0),
          true, '... the data is kept');
\set requests `test/upstream/ctl requests /deezer/`
SELECT is(jsonb_array_length(:'requests'::jsonb), 0, '... and the provider received nothing');
SELECT is((SELECT count(*)::int FROM tako_cache.tako_provider_health() WHERE provider = 'deezer' AND consecutive_failures = 0), 1,
          'a spent budget is not a failure of the provider (no breaker)');
-- The budget renews (at UTC midnight: unit-tested; here, raised by its setting).
SELECT set_config('tako_cache.deezer_daily_requests', '0', false) \g /dev/null
SELECT is(tako_refresh('deezer:charts:tracks')->>'outcome', 'ok', '0 is unlimited: fetched again');

-- The stats show each provider's budgets and their use.
SELECT set_config('tako_cache.deezer_daily_requests', '1000', false) \g /dev/null
SELECT is((SELECT p->>'daily_budget' FROM jsonb_array_elements(tako_cache_stats()->'providers') AS p WHERE p->>'provider' = 'deezer'),
          '1000', 'tako_cache_stats: daily_budget');
SELECT is((SELECT p->>'read_through_budget' FROM jsonb_array_elements(tako_cache_stats()->'providers') AS p WHERE p->>'provider' = 'deezer'),
          '500', '... read_through_budget');
SELECT ok((SELECT (p->>'requests_today')::int > 0 FROM jsonb_array_elements(tako_cache_stats()->'providers') AS p WHERE p->>'provider' = 'deezer'),
          '... requests_today');
SELECT ok((SELECT p ? 'new_keys_per_hour' AND p ? 'new_keys_this_hour' FROM jsonb_array_elements(tako_cache_stats()->'providers') AS p WHERE p->>'provider' = 'rawg'),
          '... new_keys_per_hour and new_keys_this_hour');
SELECT is((SELECT p->>'daily_budget' FROM jsonb_array_elements(tako_cache_stats()->'providers') AS p WHERE p->>'provider' = 'tmdb'),
          NULL, '... null where unlimited');
SELECT ok((SELECT requests > 0 FROM tako_cache.tako_request_usage WHERE provider = 'deezer' AND day = (now() AT TIME ZONE 'UTC')::date),
          'the requests of the day are written to tako_cache.tako_request_usage');
RESET tako_cache.deezer_daily_requests;
RESET tako_cache.scheduled_reserve_percent;

-- A key whose budget was spent is remembered as failing for a minute: a successful fetch forgets it
-- (the next files ask for it).
\! test/upstream/ctl reset
SELECT tako_refresh('deezer:charts:artists') \g /dev/null
SELECT tako_cache.tako_flush_hits() \g /dev/null
DELETE FROM tako_cache.discovery_cache WHERE cache_key NOT IN (SELECT cache_key FROM keys_before);
DELETE FROM tako_cache.tako_refresh_log WHERE id > :log_before;
SELECT * FROM finish();
