-- tako_cache 1.7 → 1.8: adoption where Tako runs.
--
-- * tako_discover_http(key, if_none_match): what a route sends beside the envelope (status, X-Cache,
--   max-age, ETag), and a 304 without the list when the client's copy is current.
-- * tako_metrics(): the counters and gauges monitoring/postgres_exporter.yaml exports (hits, misses,
--   stale serves, refreshes by outcome and provider, upstream latency, budgets, queue, breaker).
-- * Administration that can be granted: the refresh, purge, save and scheduling functions run as
--   the extension's owner (SECURITY DEFINER), so a role granted EXECUTE on one needs no grant on
--   what it calls (SECURITY.md shows the grants of a maintenance role).
-- * tako_import(regclass): the lists of Tako's own discovery_cache, imported.

\echo Use "ALTER EXTENSION tako_cache UPDATE TO '1.8'" to load this file. \quit

-- tako_discover's answer with what an HTTP route sends beside it: the status (200; 304 when
-- if_none_match names the fresh list's ETag, the envelope then NULL so the list never crosses the
-- wire; 404 for a db_only miss), X-Cache (HIT, MISS or STALE), the seconds the list stays fresh
-- (Cache-Control's max-age; 0 when stale), and the ETag of a fresh hit's row version (NULL
-- otherwise: core/envelope/response_head.hpp says why). Like tako_discover: no SET clause.
CREATE FUNCTION @extschema@.tako_discover_http(key text, if_none_match text DEFAULT NULL,
                                               OUT status integer, OUT x_cache text,
                                               OUT max_age integer, OUT etag text,
                                               OUT envelope json)
RETURNS record
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'tako_discover_http';
COMMENT ON FUNCTION @extschema@.tako_discover_http(text, text) IS
    'tako_cache: tako_discover for an HTTP route: status (200, 304, 404), X-Cache, max-age, ETag and the envelope (NULL on a 304)';

-- Monitoring (sql/src/metrics.sql): tako_metrics() and the counters it reads.

-- The counters kept in shared memory since the server started (src/pg/shared/metrics.hpp).
CREATE FUNCTION @extschema@.tako_metric_counters()
RETURNS TABLE (metric text, provider text, label text, le double precision, value double precision)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_metric_counters';
COMMENT ON FUNCTION @extschema@.tako_metric_counters() IS
    'tako_cache internal: the monitoring counters of shared memory since the server started (reads by result, fetches by outcome, the fetches'' durations), per provider';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_metric_counters() FROM PUBLIC;

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
    WITH counters AS (SELECT * FROM @extschema@.tako_metric_counters()),
    health AS (SELECT * FROM @extschema@.tako_provider_health()),
    queue AS (SELECT @extschema@.tako_queue_stats() AS q)
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
      LEFT JOIN @extschema@.discovery_cache AS c ON true
     GROUP BY s.state
$$;
COMMENT ON FUNCTION @extschema@.tako_metrics() IS
    'tako_cache: every monitoring metric, one row per series, named as Prometheus names them (what monitoring/postgres_exporter.yaml reads; pg_monitor and roles granted it)';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_metrics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tako_metrics() TO pg_monitor;

-- Administration that can be granted (SECURITY.md).
ALTER FUNCTION @extschema@.tako_refresh(text) SECURITY DEFINER;
ALTER FUNCTION @extschema@.tako_refresh_provider(text, text) SECURITY DEFINER;
ALTER FUNCTION @extschema@.tako_refresh_all() SECURITY DEFINER;
ALTER FUNCTION @extschema@.tako_refresh_expired(integer) SECURITY DEFINER;
ALTER FUNCTION @extschema@.tako_purge_old_entries(integer) SECURITY DEFINER;
ALTER FUNCTION @extschema@.tako_purge_refresh_log(integer) SECURITY DEFINER;
ALTER FUNCTION @extschema@.tako_save_cached(text, text, text, jsonb, text, text, interval, jsonb) SECURITY DEFINER;
ALTER FUNCTION @extschema@.tako_schedule_refreshes(timestamptz) SECURITY DEFINER;
ALTER FUNCTION @extschema@.tako_unschedule_refreshes() SECURITY DEFINER;

-- Imports the rows of `source`, a table shaped like Tako's discovery_cache (cache_key, data,
-- expires_at; updated_at when it has one). Each row is imported or skipped, with its reason in the
-- refresh log (origin 'import', outcome 'imported' or 'skipped'):
--   * its key is canonicalized (tako_canonical_key): a key that is none of the families is skipped;
--   * its items are data when data is an array, or data's "data" when data is an object holding one
--     (Tako stores some lists inside their envelope: then its "total" is kept as the upstream's), and
--     must be Format B items of the key's provider: Tako's raw Deezer and iTunes answers are not;
--   * two rows of one canonical key: the one saved last is imported, the other skipped;
--   * a key tako_cache already holds is skipped: the cache's list is never replaced by an import;
--   * expires_at is kept (a timestamp without time zone is read in the session's TimeZone): an expired
--     list is imported and served stale until it is refreshed.
-- The source is only read, as the caller: who may not SELECT it may not import it. SECURITY DEFINER
-- so that a role granted EXECUTE needs no grant on the extension's tables (SECURITY.md).
CREATE FUNCTION @extschema@.tako_import(source regclass)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- The role the caller acts as: SECURITY DEFINER changes current_user, not the session's role.
    caller text := CASE WHEN current_setting('role') = 'none' THEN session_user::text
                        ELSE current_setting('role') END;
    has_updated boolean;
    r record;
    key text;
    info jsonb;
    items jsonb;
    up jsonb;
    reason text;
    done text[] := '{}';
    imported integer := 0;
    skipped integer := 0;
    reasons jsonb := '{}';
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be null' USING ERRCODE = '22004';
    END IF;
    IF NOT has_table_privilege(caller, source, 'SELECT') THEN
        RAISE EXCEPTION 'permission denied for table %', source USING ERRCODE = '42501';
    END IF;
    IF source = '@extschema@.discovery_cache'::regclass THEN
        RAISE EXCEPTION 'cannot import discovery_cache into itself' USING ERRCODE = '22023';
    END IF;
    FOR i IN 1..3 LOOP
        IF NOT EXISTS (SELECT FROM pg_attribute
                        WHERE attrelid = source AND attname = (ARRAY['cache_key', 'data', 'expires_at'])[i]
                          AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION '% has no column %', source, (ARRAY['cache_key', 'data', 'expires_at'])[i]
                USING ERRCODE = '22023',
                      HINT = 'tako_import reads a table shaped like the Tako API''s discovery_cache.';
        END IF;
    END LOOP;
    has_updated := EXISTS (SELECT FROM pg_attribute
                            WHERE attrelid = source AND attname = 'updated_at' AND attnum > 0 AND NOT attisdropped);
    FOR r IN EXECUTE format(
        'SELECT cache_key::text AS cache_key, data::jsonb AS data, expires_at::timestamptz AS expires_at, %s AS updated_at
           FROM %s ORDER BY 4 DESC NULLS LAST, 1',
        CASE WHEN has_updated THEN 'updated_at::timestamptz' ELSE 'NULL::timestamptz' END, source)
    LOOP
        reason := NULL;
        key := NULL;
        items := NULL;
        BEGIN
            key := @extschema@.tako_canonical_key(r.cache_key);
            info := @extschema@.tako_key_info(key);
        EXCEPTION WHEN OTHERS THEN
            reason := 'invalid key: ' || SQLERRM;
        END;
        IF reason IS NULL THEN
            items := CASE
                WHEN jsonb_typeof(r.data) = 'array' THEN r.data
                WHEN jsonb_typeof(r.data) = 'object' AND jsonb_typeof(r.data->'data') = 'array' THEN r.data->'data'
            END;
            IF items IS NULL THEN
                reason := 'no items: data is neither an array nor an object holding a "data" array';
            ELSIF r.expires_at IS NULL THEN
                reason := 'no expires_at';
            ELSIF key = ANY (done) THEN
                reason := 'duplicate: a row saved later has the same canonical key ' || key;
            ELSIF EXISTS (SELECT FROM @extschema@.discovery_cache AS c WHERE c.cache_key = key) THEN
                reason := 'already cached: tako_cache''s list of ' || key || ' is kept';
            END IF;
        END IF;
        IF reason IS NULL THEN
            up := jsonb_strip_nulls(jsonb_build_object(
                'total', CASE WHEN jsonb_typeof(r.data->'total') = 'number' AND jsonb_typeof(r.data) = 'object'
                              THEN r.data->'total' END,
                'fetchedAt', to_char(r.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
            BEGIN
                PERFORM @extschema@.tako_validate_items(items, info->>'provider');
                INSERT INTO @extschema@.discovery_cache (cache_key, data, upstream, expires_at, updated_at,
                                                         last_refresh_at, last_refresh_status)
                VALUES (key, items, up, r.expires_at, coalesce(r.updated_at, now()), now(), 'ok');
            EXCEPTION WHEN OTHERS THEN
                reason := CASE WHEN SQLSTATE = '22023' THEN 'not Format B: ' ELSE 'not saved: ' END || SQLERRM;
            END;
        END IF;
        INSERT INTO @extschema@.tako_refresh_log (cache_key, provider, origin, started_at, finished_at,
                                                  outcome, error, items)
        VALUES (coalesce(key, left(r.cache_key, 255), ''),
                coalesce(info->>'provider', nullif(split_part(r.cache_key, ':', 1), ''), 'unknown'),
                'import', clock_timestamp(), clock_timestamp(),
                CASE WHEN reason IS NULL THEN 'imported' ELSE 'skipped' END, reason,
                CASE WHEN reason IS NULL THEN jsonb_array_length(items) END);
        IF reason IS NULL THEN
            imported := imported + 1;
            done := done || key;
        ELSE
            skipped := skipped + 1;
            reason := split_part(reason, ':', 1);
            reasons := jsonb_set(reasons, ARRAY[reason], to_jsonb(coalesce((reasons->>reason)::int, 0) + 1));
        END IF;
    END LOOP;
    RETURN jsonb_build_object('imported', imported, 'skipped', skipped, 'reasons', reasons);
END
$$;
COMMENT ON FUNCTION @extschema@.tako_import(regclass) IS
    'tako_cache: imports the lists of a table shaped like Tako''s discovery_cache (keys canonicalized, items '
    'checked, expires_at kept); returns {imported, skipped, reasons}, each row''s reason in the refresh log';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_import(regclass) FROM PUBLIC;
