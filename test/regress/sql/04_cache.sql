-- The cache functions (docs/sql-api.md) and the bookkeeping trigger (docs/schema.md).
SELECT tako_save_cached('tmdb:trending:movie:week', 'tmdb', 'trending',
                        jsonb_build_array(regress.item('tmdb', '1'), regress.item('tmdb', '2')),
                        'movie', 'week');

-- Three hits count three fetches; no read counts as a refresh.
SELECT json_array_length(tako_get_cached('tmdb:trending:movie:week')) AS hit_1;
SELECT tako_get_cached('tmdb:trending:movie:week')->0->>'id' AS hit_2;
SELECT tako_get_cached('tmdb:trending')->1->>'title' AS hit_3_by_short_key;
-- Counted in shared memory (no row written per hit), added to the table by a flush.
SELECT cache_key, hits FROM tako_cache.tako_pending_hits();
SELECT tako_cache.tako_flush_hits() AS flushed;
SELECT cache_key, provider, endpoint, category, period, params, total_results, fetch_count,
       refresh_count, updated_at = created_at AS never_refreshed,
       expires_at - created_at = interval '24 hours' AS ttl_24h_from_family,
       last_refresh_status
  FROM tako_cache.discovery_cache;

-- A save is a refresh, never a fetch; total_results and updated_at follow data.
SELECT pg_sleep(0.01);
SELECT tako_save_cached('tmdb:trending:movie:week', NULL, NULL,
                        jsonb_build_array(regress.item('tmdb', '3')));
SELECT total_results, fetch_count, refresh_count, updated_at > created_at AS updated
  FROM tako_cache.discovery_cache WHERE cache_key = 'tmdb:trending:movie:week';

-- So is an administrator's direct UPDATE of data; an UPDATE of anything else is not.
UPDATE tako_cache.discovery_cache SET data = data || regress.item('tmdb', '4')
 WHERE cache_key = 'tmdb:trending:movie:week';
UPDATE tako_cache.discovery_cache SET expires_at = expires_at + interval '1 hour'
 WHERE cache_key = 'tmdb:trending:movie:week';
SELECT total_results, fetch_count, refresh_count
  FROM tako_cache.discovery_cache WHERE cache_key = 'tmdb:trending:movie:week';

-- Derived columns cannot be written, and writes are checked on every path.
SELECT regress.err($$UPDATE tako_cache.discovery_cache SET total_results = 99$$);
SELECT regress.err($$UPDATE tako_cache.discovery_cache SET provider = 'rawg'$$);
SELECT regress.err($$UPDATE tako_cache.discovery_cache SET data = '{"not": "an array"}'$$);
SELECT regress.err($$UPDATE tako_cache.discovery_cache SET data = '[{"id": "tmdb:1"}]'$$);
SELECT regress.err($$INSERT INTO tako_cache.discovery_cache (cache_key, data, expires_at) VALUES ('deezer:charts', '[]', now())$$);
SELECT regress.err($$INSERT INTO tako_cache.discovery_cache (cache_key, data, expires_at) VALUES ('bogus:key', '[]', now())$$);

-- TTL: the family's, or the one given.
SELECT tako_save_cached('tmdb:upcoming:tv:on-the-air', 'tmdb', 'upcoming', '[]');
SELECT tako_save_cached('jikan:schedule:monday', 'jikan', 'schedule', '[]');
SELECT tako_save_cached('deezer:charts:tracks', 'deezer', 'charts', '[]', 'tracks', NULL, interval '5 minutes');
SELECT cache_key, category, period, params, round(extract(epoch FROM expires_at - now()) / 60) AS ttl_minutes
  FROM tako_cache.discovery_cache ORDER BY cache_key;

-- Misses: unknown key, expired entry.
SELECT tako_get_cached('tmdb:popular:tv') IS NULL AS miss;
UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute'
 WHERE cache_key IN ('jikan:schedule:monday', 'deezer:charts:tracks');
SELECT tako_get_cached('jikan:schedule:monday') IS NULL AS expired_is_a_miss;
SELECT fetch_count FROM tako_cache.discovery_cache WHERE cache_key = 'jikan:schedule:monday';

-- Expired entries, most fetched first.
UPDATE tako_cache.discovery_cache SET fetch_count = 5 WHERE cache_key = 'deezer:charts:tracks';
SELECT cache_key, provider, endpoint, category, period, fetch_count FROM tako_get_expired_entries();
SELECT count(*) FROM tako_get_expired_entries(1);
SELECT count(*) FROM tako_get_expired_entries(0);

-- Stats: Tako's /api/cache/stats `cache` object.
SELECT jsonb_pretty(tako_cache_stats()->'global') AS global;
SELECT array(SELECT jsonb_object_keys(tako_cache_stats()) ORDER BY 1) AS stats_keys;
SELECT e->>'provider' AS provider, e->>'endpoint' AS endpoint, e->'total_entries' AS entries,
       e->'total_items' AS items, e->'total_fetches' AS fetches, e->'avg_refreshes' AS avg_refreshes,
       e->'valid_entries' AS valid, e->'expired_entries' AS expired,
       (e->>'latest_update')::timestamptz <= now() AS latest_update_is_a_time
  FROM jsonb_array_elements(tako_cache_stats()->'byProvider') AS e;

-- Purge: entries not read for `days`.
UPDATE tako_cache.discovery_cache SET last_accessed = now() - interval '100 days'
 WHERE cache_key = 'deezer:charts:tracks';
SELECT tako_purge_old_entries() AS purged_default_90_days;
SELECT tako_purge_old_entries(1000) AS purged_none;
SELECT count(*) AS remaining FROM tako_cache.discovery_cache;
