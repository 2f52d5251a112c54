-- tako_cache 1.4 → 1.5: reads that never fail, and no caller that can stall the cache.
--
-- * Hits are counted in shared memory only, never written as the caller; a hit that finds no
--   counter is skipped and counted as such (tako_hit_stats, in the stats' "hits").
-- * tako_cache_stats() writes nothing: it adds the pending hits instead of flushing them, so a
--   caller's open transaction holds no row lock. PUBLIC sees counts and states; the worker's pid,
--   the last key and error texts are for the extension's owner and roles granted
--   tako_cache_stats_detailed() (pg_monitor is).
-- * tako_flush_hits() takes no advisory lock.

\echo Use "ALTER EXTENSION tako_cache UPDATE TO '1.5'" to load this file. \quit

CREATE FUNCTION @extschema@.tako_hit_stats()
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_hit_stats';
COMMENT ON FUNCTION @extschema@.tako_hit_stats() IS
    'tako_cache internal: how hits are counted (shared memory or not), the counters in use, hits skipped or dropped';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_hit_stats() FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.tako_flush_hits()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    flushed integer;
    busy text[];
BEGIN
    IF pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean THEN
        RETURN 0;
    END IF;
    -- Lock the rows to update in key order, skipping those another session holds: their hits
    -- stay pending for the next flush. Two flushes at once take disjoint rows, so no lock of their
    -- own is needed (1.4 took an advisory lock, which any role could hold to stall every flush).
    -- Hits are subtracted from shared memory when this transaction commits.
    WITH pending AS (SELECT p.cache_key FROM @extschema@.tako_pending_hits(false) AS p),
    locked AS (SELECT c.cache_key::text AS cache_key FROM @extschema@.discovery_cache AS c
                WHERE c.cache_key IN (SELECT pending.cache_key FROM pending)
                ORDER BY c.cache_key FOR UPDATE SKIP LOCKED)
    SELECT coalesce(array_agg(c.cache_key::text), '{}') INTO busy
      FROM @extschema@.discovery_cache AS c
     WHERE c.cache_key IN (SELECT pending.cache_key FROM pending)
       AND c.cache_key NOT IN (SELECT locked.cache_key FROM locked);
    UPDATE @extschema@.discovery_cache AS c
       SET fetch_count = c.fetch_count + p.hits,
           last_accessed = greatest(c.last_accessed, p.last_access)
      FROM @extschema@.tako_pending_hits(true, busy) AS p
     WHERE c.cache_key = p.cache_key;
    GET DIAGNOSTICS flushed = ROW_COUNT;
    RETURN flushed;
END
$$;


-- Everything the stats know, for the extension's owner and the roles granted it.
CREATE FUNCTION @extschema@.tako_cache_stats_detailed()
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
          FROM @extschema@.discovery_cache AS c
          LEFT JOIN @extschema@.tako_pending_hits(false) AS p ON p.cache_key = c.cache_key)
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
              FROM @extschema@.tako_provider_health() AS h))
      INTO stats;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'jobname', j.jobname,
                   'schedule', j.schedule,
                   'active', j.active,
                   'next_run', @extschema@.tako_next_run(j.schedule, now()),
                   'last_run', r.end_time,
                   'last_status', r.status) ORDER BY j.jobname), '[]')
          INTO jobs
          FROM cron.job AS j
          LEFT JOIN LATERAL (SELECT d.end_time, d.status FROM cron.job_run_details AS d
                              WHERE d.jobid = j.jobid ORDER BY d.runid DESC LIMIT 1) AS r ON true
         WHERE starts_with(j.jobname, 'tako_cache:');
    END IF;
    RETURN stats || jsonb_build_object('queue', @extschema@.tako_queue_stats(), 'jobs', jobs,
                                       'hits', @extschema@.tako_hit_stats());
END
$$;
COMMENT ON FUNCTION @extschema@.tako_cache_stats_detailed() IS
    'tako_cache: the full stats, with the worker''s pid, the last key and error texts (owner, pg_monitor and roles granted it)';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_cache_stats_detailed() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.tako_cache_stats_detailed() TO pg_monitor;

-- What any role may see: counts and states. No process id, database or key named, no error text
-- (an upstream's error can carry addresses and internal detail).
CREATE FUNCTION @extschema@.tako_cache_stats_public()
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
      FROM @extschema@.tako_cache_stats_detailed() AS s
$$;
COMMENT ON FUNCTION @extschema@.tako_cache_stats_public() IS
    'tako_cache internal: the stats any role may read (counts and states; what tako_cache_stats() shows PUBLIC)';

CREATE OR REPLACE FUNCTION @extschema@.tako_cache_stats()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Run as the caller: which of the two it may see depends on who calls.
    IF has_function_privilege('@extschema@.tako_cache_stats_detailed()', 'EXECUTE') THEN
        RETURN @extschema@.tako_cache_stats_detailed();
    END IF;
    RETURN @extschema@.tako_cache_stats_public();
END
$$;
COMMENT ON FUNCTION @extschema@.tako_cache_stats() IS
    'tako_cache: Tako''s /api/cache/stats cache object, plus provider health, budgets, the refresh queue, jobs and hit counting (details for the owner and pg_monitor)';

------------------------------------------------------------------------------------------------
-- Read-through: the single flight of a miss is the refresh queue's (no advisory lock any role
-- could hold), and a miss spends a new key of the hour once per request, not once per caller
------------------------------------------------------------------------------------------------

DROP FUNCTION @extschema@.tako_worker_fetch(text);
CREATE FUNCTION @extschema@.tako_worker_fetch(key text, new_key boolean DEFAULT false)
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_worker_fetch';
COMMENT ON FUNCTION @extschema@.tako_worker_fetch(text, boolean) IS
    'tako_cache internal: has the refresh worker fetch a key now and waits for it, every caller of the key waiting for one request (NULL: no worker for this session); new_key: the request spends one of the provider''s new keys this hour';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_worker_fetch(text, boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.tako_discover_fill(key text)
RETURNS json
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text := @extschema@.tako_canonical_key(key);
    mode text := current_setting('tako_cache.mode');
    read_only boolean := pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean;
    entry record;
    have boolean;
    fetched record;
    failure record;
    stale_reason text;
    served_stale boolean;
    warm boolean;
    result jsonb;
BEGIN
    IF NOT current_setting('tako_cache.enabled')::boolean THEN
        PERFORM @extschema@.tako_require_platforms(k);
        SELECT * INTO fetched FROM @extschema@.tako_fetch_lists(ARRAY[k], 'discover');
        IF fetched.outcome <> 'ok' THEN
            RAISE EXCEPTION USING ERRCODE = fetched.sqlstate,
                MESSAGE = format('upstream request for %s failed (%s): %s', k, fetched.outcome, fetched.error);
        END IF;
        RETURN @extschema@.tako_envelope(k, fetched.items, fetched.upstream, fetched.finished_at, NULL,
                                         false, false);
    END IF;
    IF read_only THEN
        mode := 'db_only';
    END IF;

    SELECT c.data, c.upstream, c.updated_at, c.expires_at INTO entry
      FROM @extschema@.discovery_cache AS c WHERE c.cache_key = k;
    have := FOUND;
    IF have AND mode <> 'api_only' AND (entry.expires_at > now() OR mode = 'db_only') THEN
        IF NOT read_only THEN
            PERFORM @extschema@.tako_count_hit(k);
        END IF;
        RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at, entry.expires_at,
                                         true, entry.expires_at <= now());
    END IF;
    IF mode = 'db_only' THEN
        RETURN @extschema@.tako_envelope(k, NULL, NULL, NULL, NULL, false, false,
                                         'not in the cache (tako_cache.mode is db_only)');
    END IF;

    -- A key nobody asked for yet: only real platform ids, and only so many new keys per hour and
    -- provider (the warm keys are not new: the schedule fetches them anyway).
    IF NOT have THEN
        PERFORM @extschema@.tako_require_platforms(k);
    END IF;

    IF mode = 'hybrid' THEN
        -- Stale-while-revalidate: with the refresh worker, an expired list is served at once and
        -- its refresh queued (when this transaction commits). A recent failure of the key, or its
        -- provider's pause, says why it is still stale.
        -- Nothing is queued while such a failure or pause says the refresh would fail now.
        IF have THEN
            SELECT f.outcome, f.error INTO failure FROM @extschema@.tako_recent_failure(k, 60000) AS f;
            IF NOT FOUND THEN
                SELECT 'circuit_open' AS outcome,
                       format('%s is paused after repeated failures until %s', h.provider,
                              to_char(h.paused_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')) AS error
                  INTO failure
                  FROM @extschema@.tako_provider_health() AS h
                 WHERE h.provider = split_part(k, ':', 1) AND h.paused_until IS NOT NULL;
            END IF;
            stale_reason := CASE WHEN FOUND THEN format('%s: %s', failure.outcome, failure.error) END;
            served_stale := CASE WHEN stale_reason IS NULL THEN @extschema@.tako_queue_refresh(k, 'stale')
                                 ELSE (@extschema@.tako_queue_stats()->>'serves_this_database')::boolean END;
            IF served_stale THEN
                PERFORM @extschema@.tako_count_hit(k);
                RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at,
                                                 entry.expires_at, true, true, stale_reason);
            END IF;
        END IF;
        -- Single flight: one fetch per key at a time.
        IF have THEN
            IF NOT pg_try_advisory_xact_lock(hashtext('tako_cache'), hashtext(k)) THEN
                PERFORM @extschema@.tako_count_hit(k);
                RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at,
                                                 entry.expires_at, true, true,
                                                 'being refreshed by another session');
            END IF;
        ELSIF NOT coalesce((@extschema@.tako_queue_stats()->>'serves_this_database')::boolean, false)
              OR current_setting('transaction_isolation') IN ('repeatable read', 'serializable') THEN
            -- A miss this session fetches itself (no refresh worker for it): one session at a
            -- time per key. With the worker, the queue is the single flight (tako_worker_fetch):
            -- no lock that another role could hold.
            PERFORM pg_advisory_xact_lock(hashtext('tako_cache'), hashtext(k));
            -- A new snapshot: what the session that held the lock saved.
            SELECT c.data, c.upstream, c.updated_at, c.expires_at INTO entry
              FROM @extschema@.discovery_cache AS c WHERE c.cache_key = k;
            have := FOUND;
            IF have AND entry.expires_at > now() THEN
                PERFORM @extschema@.tako_count_hit(k);
                RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at,
                                                 entry.expires_at, true, false);
            END IF;
        END IF;
        -- A key that just failed is not fetched again for a minute.
        SELECT f.outcome, f.error, f.failed_at, f.sqlstate INTO failure
          FROM @extschema@.tako_recent_failure(k, 60000) AS f;
        IF FOUND THEN
            result := jsonb_build_object('outcome', failure.outcome, 'sqlstate', failure.sqlstate,
                'error', format('%s (%s s ago; not retried before %s)', failure.error,
                                round(extract(epoch FROM clock_timestamp() - failure.failed_at)),
                                to_char((failure.failed_at + interval '1 minute') AT TIME ZONE 'UTC',
                                        'HH24:MI:SS "UTC"')));
        END IF;
    END IF;

    IF result IS NULL THEN
        -- The refresh worker fetches it (logged in its own transactions, whatever happens to this
        -- statement), spending a new key of the hour once per request of it, whoever waits for
        -- it; without the worker, this session fetches it and spends one.
        warm := have OR EXISTS (SELECT 1 FROM @extschema@.tako_warm_keys AS w WHERE w.cache_key = k AND w.enabled);
        result := @extschema@.tako_worker_fetch(k, NOT warm);
        IF result IS NULL AND (warm OR @extschema@.tako_take_new_key(split_part(k, ':', 1))) THEN
            result := @extschema@.tako_refresh_keys(ARRAY[k], 'discover')->'results'->0;
        END IF;
        IF result->>'status' = 'ok' THEN
            -- Served from the cache (meta.cached) when another caller's request fetched it.
            SELECT c.data, c.upstream, c.updated_at, c.expires_at INTO entry
              FROM @extschema@.discovery_cache AS c WHERE c.cache_key = k;
            RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at,
                                             entry.expires_at, coalesce((result->>'joined')::boolean, false), false);
        END IF;
    END IF;
    IF result IS NULL OR result->>'outcome' = 'new_key_budget' THEN
        RAISE EXCEPTION 'new-key budget spent: % may not fetch more keys it has not cached this hour', split_part(k, ':', 1)
            USING ERRCODE = 'TK429',
                  DETAIL = format('%s is neither cached nor a warm key; read-through fetches at most %s such keys '
                                  'per hour and provider (tako_cache.new_keys_per_hour).',
                                  k, current_setting('tako_cache.new_keys_per_hour')),
                  HINT = 'Retry later, or add the key to tako_warm_keys.';
    END IF;
    -- The upstream failed, now or a moment ago: stale-if-error, or the error.
    IF have THEN
        PERFORM @extschema@.tako_count_hit(k);
        RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at, entry.expires_at,
                                         true, true, format('%s: %s', result->>'outcome', result->>'error'));
    END IF;
    RAISE EXCEPTION USING ERRCODE = result->>'sqlstate',
        MESSAGE = format('upstream request for %s failed (%s): %s', k, result->>'outcome', result->>'error');
END
$$;
