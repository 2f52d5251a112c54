-- tako_cache: statistics: what tako_cache_stats() shows the owner and PUBLIC.
-- Part of the current install script (see sql/src/README.md).

CREATE FUNCTION tako_cache.tako_hit_stats()
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_hit_stats';
COMMENT ON FUNCTION tako_cache.tako_hit_stats() IS
    'tako_cache internal: how hits are counted (shared memory or not), the counters in use, hits skipped or dropped';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_hit_stats() FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_provider_health()
RETURNS TABLE (provider text, last_success_at timestamptz, last_error_at timestamptz,
               last_error text, consecutive_failures integer, paused_until timestamptz,
               requests_today bigint, daily_budget bigint, read_through_budget bigint,
               new_keys_per_hour integer, new_keys_this_hour bigint)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_provider_health';
COMMENT ON FUNCTION tako_cache.tako_provider_health() IS
    'tako_cache: each provider''s health, circuit breaker, requests today and budgets (NULL: unlimited), from shared memory';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_provider_health() FROM PUBLIC;

-- Everything the stats know, for the extension's owner and the roles granted it.
CREATE FUNCTION tako_cache.tako_cache_stats_detailed()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    stats jsonb;
    jobs jsonb := '[]';
BEGIN
    -- Exact counts without writing: the hits still pending in shared memory are added to the
    -- table's (a flush would lock rows until the caller's transaction ends).
    WITH entries AS (
        SELECT c.provider, c.endpoint, c.total_results, c.refresh_count, c.updated_at, c.expires_at,
               c.fetch_count + coalesce(p.hits, 0) AS fetch_count,
               greatest(c.last_accessed, p.last_access) AS last_accessed
          FROM tako_cache.discovery_cache AS c
          LEFT JOIN tako_cache.tako_pending_hits(false) AS p ON p.cache_key = c.cache_key)
    SELECT jsonb_build_object(
        'global', (
            SELECT jsonb_build_object(
                'total_entries', count(*),
                'total_items', coalesce(sum(c.total_results), 0),
                'total_fetches', coalesce(sum(c.fetch_count), 0),
                'valid_entries', count(*) FILTER (WHERE c.expires_at > now()),
                'expired_entries', count(*) FILTER (WHERE c.expires_at <= now()),
                'accessed_today', count(*) FILTER (WHERE c.last_accessed > now() - interval '24 hours'))
              FROM entries AS c),
        'byProvider', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'provider', g.provider,
                       'endpoint', g.endpoint,
                       'total_entries', g.total_entries,
                       'total_items', g.total_items,
                       'total_fetches', g.total_fetches,
                       'avg_refreshes', g.avg_refreshes,
                       'oldest_update', g.oldest_update,
                       'latest_update', g.latest_update,
                       'valid_entries', g.valid_entries,
                       'expired_entries', g.expired_entries)
                   ORDER BY g.provider, g.endpoint)
              FROM (SELECT c.provider, c.endpoint,
                           count(*) AS total_entries,
                           sum(c.total_results) AS total_items,
                           sum(c.fetch_count) AS total_fetches,
                           round(avg(c.refresh_count))::integer AS avg_refreshes,
                           min(c.updated_at) AS oldest_update,
                           max(c.updated_at) AS latest_update,
                           count(*) FILTER (WHERE c.expires_at > now()) AS valid_entries,
                           count(*) FILTER (WHERE c.expires_at <= now()) AS expired_entries
                      FROM entries AS c
                     GROUP BY c.provider, c.endpoint) AS g), '[]'::jsonb),
        'providers', (
            SELECT jsonb_agg(jsonb_build_object(
                       'provider', h.provider,
                       'last_success', h.last_success_at,
                       'last_error', h.last_error_at,
                       'last_error_message', h.last_error,
                       'consecutive_failures', h.consecutive_failures,
                       'paused', h.paused_until IS NOT NULL,
                       'paused_until', h.paused_until,
                       'requests_today', h.requests_today,
                       'daily_budget', h.daily_budget,
                       'read_through_budget', h.read_through_budget,
                       'new_keys_per_hour', h.new_keys_per_hour,
                       'new_keys_this_hour', h.new_keys_this_hour)
                   ORDER BY h.provider)
              FROM tako_cache.tako_provider_health() AS h))
      INTO stats;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'jobname', j.jobname,
                   'schedule', j.schedule,
                   'active', j.active,
                   'next_run', tako_cache.tako_next_run(j.schedule, now()),
                   'last_run', r.end_time,
                   'last_status', r.status) ORDER BY j.jobname), '[]')
          INTO jobs
          FROM cron.job AS j
          LEFT JOIN LATERAL (SELECT d.end_time, d.status FROM cron.job_run_details AS d
                              WHERE d.jobid = j.jobid ORDER BY d.runid DESC LIMIT 1) AS r ON true
         WHERE starts_with(j.jobname, 'tako_cache:');
    END IF;
    RETURN stats || jsonb_build_object('queue', tako_cache.tako_queue_stats(), 'jobs', jobs,
                                       'hits', tako_cache.tako_hit_stats());
END
$$;
COMMENT ON FUNCTION tako_cache.tako_cache_stats_detailed() IS
    'tako_cache: the full stats, with the worker''s pid, the last key and error texts (owner, pg_monitor and roles granted it)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_cache_stats_detailed() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tako_cache.tako_cache_stats_detailed() TO pg_monitor;

-- What any role may see: counts and states. No process id, database or key named, no error text
-- (an upstream's error can carry addresses and internal detail).
CREATE FUNCTION tako_cache.tako_cache_stats_public()
RETURNS jsonb
LANGUAGE sql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s - 'providers' - 'queue'
           || jsonb_build_object(
                  'providers', coalesce((SELECT jsonb_agg(p - 'last_error_message')
                                           FROM jsonb_array_elements(s->'providers') AS p), '[]'),
                  'queue', (s->'queue') - 'worker_pid' - 'worker_database' - 'last_key' - 'dropped_database')
      FROM tako_cache.tako_cache_stats_detailed() AS s
$$;
COMMENT ON FUNCTION tako_cache.tako_cache_stats_public() IS
    'tako_cache internal: the stats any role may read (counts and states; what tako_cache_stats() shows PUBLIC)';

-- C: it calls the one the caller may read by OID (PUBLIC has no USAGE on the extension's schema).
CREATE FUNCTION @extschema@.tako_cache_stats()
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_cache_stats';
COMMENT ON FUNCTION @extschema@.tako_cache_stats() IS
    'tako_cache: Tako''s /api/cache/stats cache object, plus provider health, budgets, the refresh queue, jobs and hit counting (details for the owner and pg_monitor)';
