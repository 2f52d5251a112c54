-- tako_cache: metrics for monitoring: tako_metrics(), one row per series, what
-- monitoring/postgres_exporter.yaml gives Prometheus (docs/monitoring.md).
-- Part of the current install script (see sql/src/README.md).

-- The counters kept in shared memory since the server started (src/pg/shared/metrics.hpp).
CREATE FUNCTION tako_cache.tako_metric_counters()
RETURNS TABLE (metric text, provider text, label text, le double precision, value double precision)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_metric_counters';
COMMENT ON FUNCTION tako_cache.tako_metric_counters() IS
    'tako_cache internal: the monitoring counters of shared memory since the server started (reads by result, fetches by outcome, the fetches'' durations), per provider';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_metric_counters() FROM PUBLIC;

-- Every metric, named as Prometheus names them: counters end in _total and only grow (until the
-- server restarts), durations are in seconds, times are Unix seconds. `label` is the metric's
-- own label (result, outcome or state), `le` a histogram bucket's upper bound. No key, error text,
-- process id or database is named: a monitoring role learns counts and states only.
CREATE FUNCTION @extschema@.tako_metrics()
RETURNS TABLE (metric text, provider text, label text, le double precision, value double precision)
LANGUAGE sql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH counters AS (SELECT * FROM tako_cache.tako_metric_counters()),
    health AS (SELECT * FROM tako_cache.tako_provider_health()),
    queue AS (SELECT tako_cache.tako_queue_stats() AS q)
    -- Reads (tako_get_cached, tako_discover): a fresh hit, an expired list served, anything else.
    SELECT CASE c.label WHEN 'hit' THEN 'tako_cache_hits_total'
                        WHEN 'stale' THEN 'tako_cache_stale_serves_total'
                        ELSE 'tako_cache_misses_total' END,
           c.provider, NULL::text, NULL::double precision, c.value
      FROM counters AS c WHERE c.metric = 'reads'
    UNION ALL
    -- Lists fetched from the upstream (refreshes, read-through fetches), by outcome.
    SELECT 'tako_cache_refreshes_total', c.provider, c.label, NULL, c.value
      FROM counters AS c WHERE c.metric = 'fetches'
    UNION ALL
    SELECT 'tako_cache_upstream_request_duration_seconds_' || substr(c.metric, 10), c.provider,
           NULL, c.le, c.value
      FROM counters AS c WHERE c.metric LIKE 'duration\_%'
    UNION ALL
    -- The refresh worker and its queue.
    SELECT 'tako_cache_worker_up', NULL, NULL, NULL,
           CASE WHEN (queue.q->>'serves_this_database')::boolean THEN 1 ELSE 0 END
      FROM queue
    UNION ALL
    SELECT 'tako_cache_queue_depth', NULL, s.state, NULL, (queue.q->>s.state)::double precision
      FROM queue, unnest(ARRAY['pending', 'in_flight']) AS s(state)
    UNION ALL
    SELECT 'tako_cache_queue_refreshes_total', NULL, s.result, NULL, (queue.q->>s.result)::double precision
      FROM queue, unnest(ARRAY['done', 'failed', 'refused']) AS s(result)
    UNION ALL
    -- Providers: circuit breaker, failures, budgets.
    SELECT 'tako_cache_circuit_breaker_open', h.provider, NULL, NULL,
           CASE WHEN h.paused_until IS NOT NULL THEN 1 ELSE 0 END
      FROM health AS h
    UNION ALL
    SELECT 'tako_cache_provider_consecutive_failures', h.provider, NULL, NULL, h.consecutive_failures
      FROM health AS h
    UNION ALL
    SELECT 'tako_cache_provider_last_success_timestamp_seconds', h.provider, NULL, NULL,
           coalesce(extract(epoch FROM h.last_success_at), 0)::double precision
      FROM health AS h
    UNION ALL
    SELECT 'tako_cache_daily_requests', h.provider, NULL, NULL, h.requests_today
      FROM health AS h
    UNION ALL
    SELECT 'tako_cache_daily_request_budget', h.provider, NULL, NULL, h.daily_budget
      FROM health AS h WHERE h.daily_budget IS NOT NULL
    UNION ALL
    SELECT 'tako_cache_new_keys_this_hour', h.provider, NULL, NULL, h.new_keys_this_hour
      FROM health AS h
    UNION ALL
    SELECT 'tako_cache_new_keys_per_hour', h.provider, NULL, NULL, h.new_keys_per_hour
      FROM health AS h
    UNION ALL
    -- The cache's lists, fresh or expired.
    SELECT 'tako_cache_entries', NULL, s.state, NULL,
           count(*) FILTER (WHERE (c.expires_at > now()) = (s.state = 'fresh'))
      FROM unnest(ARRAY['fresh', 'expired']) AS s(state)
      LEFT JOIN tako_cache.discovery_cache AS c ON true
     GROUP BY s.state
$$;
COMMENT ON FUNCTION @extschema@.tako_metrics() IS
    'tako_cache: every monitoring metric, one row per series, named as Prometheus names them (what monitoring/postgres_exporter.yaml reads; pg_monitor and roles granted it)';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_metrics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tako_metrics() TO pg_monitor;
