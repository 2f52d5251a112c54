-- tako_cache 1.3 → 1.4: no user waits on the upstream for a list that has data.
--
-- * A refresh worker (a background worker in tako_cache.database_name, started when tako_cache is
--   preloaded) refreshes the keys queued in shared memory, outside the readers' transactions, and
--   logs every attempt in tako_refresh_log in its own transactions (origins stale, ahead, miss,
--   queued, recovered).
-- * Stale-while-revalidate: in hybrid mode tako_discover serves an expired list at once
--   (meta.stale) and queues its refresh; a key with nothing to serve waits for the worker's fetch.
-- * Refresh-ahead: a read in the last tako_cache.refresh_ahead_percent of a list's TTL queues it.
-- * tako_cache_stats() shows the worker and its queue.
-- * Jikan backdrops (docs/items.md): the first picture of each anime of the lists Tako enriches,
--   kept a month in tako_jikan_pictures so that a refresh asks only for anime it has not seen.

\echo Use "ALTER EXTENSION tako_cache UPDATE TO '1.4'" to load this file. \quit

------------------------------------------------------------------------------------------------
-- The queue (shared memory) and the worker's steps
------------------------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.tako_queue_refresh(key text, origin text DEFAULT 'queued')
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_queue_refresh';
COMMENT ON FUNCTION @extschema@.tako_queue_refresh(text, text) IS
    'tako_cache: asks the refresh worker to refresh a key when this transaction commits; false when no worker serves this database';

CREATE FUNCTION @extschema@.tako_worker_fetch(key text)
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_worker_fetch';
COMMENT ON FUNCTION @extschema@.tako_worker_fetch(text) IS
    'tako_cache internal: has the refresh worker fetch a key now and waits for it (NULL: no worker for this session)';

CREATE FUNCTION @extschema@.tako_queue_stats()
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_queue_stats';
COMMENT ON FUNCTION @extschema@.tako_queue_stats() IS
    'tako_cache: the refresh worker (pid, database, starts) and its queue (pending, in flight, done, failed, refused, last run)';

-- The worker's first step for a key: its 'running' refresh-log row, durable before any request.
CREATE FUNCTION @extschema@.tako_worker_begin(key text, origin text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
BEGIN
    INSERT INTO @extschema@.tako_refresh_log (cache_key, provider, origin, started_at, outcome, pid)
    VALUES (key, split_part(key, ':', 1), origin, clock_timestamp(), 'running', pg_backend_pid())
    RETURNING tako_refresh_log.id INTO id;
    PERFORM pg_catalog.set_config('synchronous_commit', 'on', true);
    RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_worker_begin(text, text) IS
    'tako_cache internal: the refresh worker''s running refresh-log row for a key';

-- When the worker starts: the 'running' rows of sessions that are gone are marked interrupted;
-- the keys of the worker's own are returned, to be queued again.
CREATE FUNCTION @extschema@.tako_worker_recover()
RETURNS TABLE (cache_key text, origin text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    running bigint[] := ARRAY(SELECT l.id FROM @extschema@.tako_refresh_log AS l WHERE l.outcome = 'running');
BEGIN
    PERFORM @extschema@.tako_mark_interrupted();
    RETURN QUERY
        SELECT DISTINCT ON (l.cache_key) l.cache_key, l.origin FROM @extschema@.tako_refresh_log AS l
         WHERE l.id = ANY (running) AND l.outcome = 'interrupted'
           AND l.origin IN ('stale', 'ahead', 'miss', 'queued', 'recovered')
         ORDER BY l.cache_key;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_worker_recover() IS
    'tako_cache internal: marks interrupted refreshes and returns the refresh worker''s, to queue again';

REVOKE EXECUTE ON FUNCTION @extschema@.tako_queue_refresh(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_worker_fetch(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_queue_stats() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_worker_begin(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_worker_recover() FROM PUBLIC;

COMMENT ON COLUMN @extschema@.tako_refresh_log.origin IS
    'what asked for the refresh: manual, cron, expired, discover (a session), or the worker''s stale, ahead, miss, queued, recovered';

------------------------------------------------------------------------------------------------
-- Request counts: loaded before a fetch, written after it
------------------------------------------------------------------------------------------------

-- Before a fetch: only the first call of the server's life loads today's counts (no row is written,
-- so none stays locked while the upstream answers).
CREATE FUNCTION @extschema@.tako_load_request_usage()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF @extschema@.tako_first_usage_load() THEN
        PERFORM @extschema@.tako_restore_request_usage(u.provider, u.requests)
           FROM @extschema@.tako_request_usage AS u WHERE u.day = (now() AT TIME ZONE 'UTC')::date;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_load_request_usage() IS
    'tako_cache internal: loads the requests counted today after a restart (before a fetch; writes nothing)';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_load_request_usage() FROM PUBLIC;

-- After a fetch: today's counts written back, locking only the rows whose count grew.
CREATE OR REPLACE FUNCTION @extschema@.tako_sync_request_usage()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
BEGIN
    PERFORM @extschema@.tako_load_request_usage();
    IF pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean THEN
        RETURN;
    END IF;
    INSERT INTO @extschema@.tako_request_usage AS u (provider, day, requests)
    SELECT h.provider, today, h.requests_today FROM @extschema@.tako_provider_health() AS h
     WHERE h.requests_today > 0
       AND NOT EXISTS (SELECT 1 FROM @extschema@.tako_request_usage AS k
                        WHERE k.provider = h.provider AND k.day = today AND k.requests >= h.requests_today)
     ORDER BY h.provider
    ON CONFLICT (provider, day) DO UPDATE SET requests = greatest(u.requests, EXCLUDED.requests)
     WHERE u.requests < EXCLUDED.requests;
END
$$;

------------------------------------------------------------------------------------------------
-- Jikan backdrops
------------------------------------------------------------------------------------------------

CREATE TABLE @extschema@.tako_jikan_pictures (
    mal_id     bigint PRIMARY KEY,
    backdrop   text,                                -- NULL: the anime has no picture
    fetched_at timestamptz NOT NULL DEFAULT now()   -- asked again after 30 days
);
COMMENT ON TABLE @extschema@.tako_jikan_pictures IS
    'tako_cache: the backdrop of each anime (first picture of /anime/{id}/pictures), kept 30 days; dumped with the cache';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tako_jikan_pictures', '');
REVOKE ALL ON @extschema@.tako_jikan_pictures FROM PUBLIC;

CREATE FUNCTION @extschema@.tako_known_backdrops()
RETURNS TABLE (mal_id bigint, backdrop text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.mal_id, p.backdrop FROM @extschema@.tako_jikan_pictures AS p
     WHERE p.fetched_at > now() - interval '30 days'
$$;
COMMENT ON FUNCTION @extschema@.tako_known_backdrops() IS
    'tako_cache internal: the backdrops fetched within 30 days (a fetch does not ask for them again)';

-- What a fetch learned: each picture asked for is kept (in MAL id order: concurrent savers lock
-- rows in one order); a failed one is not (it is asked again next time) but goes to the refresh
-- log, under the pseudo-key jikan:pictures:<id>. The list itself was saved without that backdrop.
CREATE FUNCTION @extschema@.tako_save_pictures(pictures jsonb, origin text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO @extschema@.tako_jikan_pictures AS t (mal_id, backdrop, fetched_at)
    SELECT DISTINCT ON ((p->>'mal_id')::bigint) (p->>'mal_id')::bigint, p->>'url', now()
      FROM jsonb_array_elements(pictures) AS p
     WHERE p->>'outcome' = 'ok'
     ORDER BY (p->>'mal_id')::bigint
    ON CONFLICT (mal_id) DO UPDATE SET backdrop = EXCLUDED.backdrop, fetched_at = EXCLUDED.fetched_at;
    INSERT INTO @extschema@.tako_refresh_log
        (cache_key, provider, origin, started_at, finished_at, http_status, outcome, error, attempts)
    SELECT 'jikan:pictures:' || (p->>'mal_id'), 'jikan', origin, now(), clock_timestamp(),
           nullif((p->>'http_status')::integer, 0), p->>'outcome', p->>'error', (p->>'attempts')::integer
      FROM jsonb_array_elements(pictures) AS p
     WHERE p->>'outcome' <> 'ok';
END
$$;
COMMENT ON FUNCTION @extschema@.tako_save_pictures(jsonb, text) IS
    'tako_cache internal: keeps the backdrops a fetch asked for, and logs the pictures requests that failed';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_known_backdrops() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_save_pictures(jsonb, text) FROM PUBLIC;

------------------------------------------------------------------------------------------------
-- Read-through: stale-while-revalidate, misses fetched by the worker
------------------------------------------------------------------------------------------------

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
        ELSE
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

    IF result IS NULL AND NOT have
       AND NOT EXISTS (SELECT 1 FROM @extschema@.tako_warm_keys AS w WHERE w.cache_key = k AND w.enabled)
       AND NOT @extschema@.tako_take_new_key(split_part(k, ':', 1)) THEN
        RAISE EXCEPTION 'new-key budget spent: % may not fetch more keys it has not cached this hour', split_part(k, ':', 1)
            USING ERRCODE = 'TK429',
                  DETAIL = format('%s is neither cached nor a warm key; read-through fetches at most %s such keys '
                                  'per hour and provider (tako_cache.new_keys_per_hour).',
                                  k, current_setting('tako_cache.new_keys_per_hour')),
                  HINT = 'Retry later, or add the key to tako_warm_keys.';
    END IF;
    IF result IS NULL THEN
        -- The refresh worker fetches it (logged in its own transactions, whatever happens to this
        -- statement); without it, this session does.
        result := coalesce(@extschema@.tako_worker_fetch(k),
                           @extschema@.tako_refresh_keys(ARRAY[k], 'discover')->'results'->0);
        IF result->>'status' = 'ok' THEN
            SELECT c.data, c.upstream, c.updated_at, c.expires_at INTO entry
              FROM @extschema@.discovery_cache AS c WHERE c.cache_key = k;
            RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at,
                                             entry.expires_at, false, false);
        END IF;
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

CREATE OR REPLACE FUNCTION @extschema@.tako_cache_stats()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    stats jsonb;
    jobs jsonb := '[]';
BEGIN
    -- Exact counts: flush the hits counted in shared memory first; those that cannot be flushed
    -- (a standby) are added below.
    PERFORM @extschema@.tako_flush_hits();
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
    RETURN stats || jsonb_build_object('queue', @extschema@.tako_queue_stats(), 'jobs', jobs);
END
$$;
COMMENT ON FUNCTION @extschema@.tako_cache_stats() IS
    'tako_cache: Tako''s /api/cache/stats cache object, plus provider health, budgets, the refresh queue and jobs';

------------------------------------------------------------------------------------------------
-- pg_cron 1.5 and later: schedules in cron.timezone, and seconds schedules. pg_cron 1.4 keeps
-- running in GMT with minute schedules, as before.
------------------------------------------------------------------------------------------------

-- Whether the pg_cron the server runs is 1.5 or later: its cron.timezone setting exists (it came
-- with 1.5, as did seconds schedules). A cron.timezone set by hand for 1.4 is a placeholder, which
-- 1.4 ignores and pg_settings does not list.
CREATE FUNCTION @extschema@.tako_cron_is_1_5()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'cron.timezone')
$$;
COMMENT ON FUNCTION @extschema@.tako_cron_is_1_5() IS
    'tako_cache: whether the server''s pg_cron is 1.5 or later (cron.timezone, seconds schedules)';

-- The time zone pg_cron reads the jobs' times in: cron.timezone on 1.5 and later, GMT on 1.4.
CREATE FUNCTION @extschema@.tako_cron_timezone()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN @extschema@.tako_cron_is_1_5()
                THEN coalesce(nullif(current_setting('cron.timezone', true), ''), 'GMT')
                ELSE 'GMT' END
$$;
COMMENT ON FUNCTION @extschema@.tako_cron_timezone() IS
    'tako_cache: the time zone pg_cron reads schedules in (cron.timezone from pg_cron 1.5, GMT before)';

-- The plan of 1.1, with the jobs' times in pg_cron's time zone (with cron.timezone equal to
-- tako_cache.schedule_timezone, they are the local times and DST moves nothing), and on pg_cron
-- 1.5 and later the hit counters flushed every 30 seconds (1.4: every minute), so that a crash,
-- which loses the hits still in shared memory, loses fewer.
CREATE OR REPLACE FUNCTION @extschema@.tako_schedule_plan(at timestamptz DEFAULT now())
RETURNS TABLE (jobname text, schedule text, command text, list text, provider text,
               local_time time, cron_time time)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tz text := current_setting('tako_cache.schedule_timezone');
    cron_tz text := @extschema@.tako_cron_timezone();
    flush_schedule text := CASE WHEN @extschema@.tako_cron_is_1_5() THEN '30 seconds' ELSE '* * * * *' END;
    ext text := quote_ident('@extschema@');
BEGIN
    RETURN QUERY
    WITH slots AS (
        SELECT s.list, s.provider, t AS local_time
          FROM @extschema@.tako_refresh_slots AS s, unnest(s.local_times) AS t
         WHERE s.enabled),
    jobs AS (
        SELECT format('tako_cache:%s:%s:%s', s.list, s.provider, to_char(s.local_time, 'HH24MI')) AS jobname,
               format('CALL %s.tako_run_slot_job(%L, %L)', ext, s.list, s.provider) AS command,
               s.list, s.provider, s.local_time, false AS hourly
          FROM slots AS s
        UNION ALL
        SELECT 'tako_cache:expired', format('CALL %s.tako_run_hourly_job()', ext), 'expired', NULL, '00:15'::time, true
        UNION ALL
        SELECT 'tako_cache:flush-hits', format('SELECT %s.tako_flush_hits()', ext), 'flush-hits', NULL, NULL::time, false
        UNION ALL
        SELECT 'tako_cache:purge', format('SELECT %s.tako_purge_old_entries(90)', ext), 'purge', NULL, '05:00'::time, false
        UNION ALL
        SELECT 'tako_cache:log-cleanup', format('SELECT %s.tako_purge_refresh_log(30)', ext), 'log-cleanup', NULL,
               '05:15'::time, false)
    SELECT j.jobname,
           CASE WHEN j.local_time IS NULL THEN flush_schedule
                WHEN j.hourly THEN format('%s * * * *', extract(minute FROM c.t)::int)
                ELSE format('%s %s * * *', extract(minute FROM c.t)::int, extract(hour FROM c.t)::int) END,
           j.command, j.list, j.provider, j.local_time, c.t
      FROM jobs AS j,
           LATERAL (SELECT CASE WHEN j.local_time IS NOT NULL
                                THEN @extschema@.tako_cron_time(j.local_time, tz, cron_tz, at) END AS t) AS c
     ORDER BY j.jobname;
END
$$;

-- The next time strictly after `after` that a tako_cache job schedule ("M H * * *" or "M * * * *",
-- in pg_cron's time zone) fires; NULL for a schedule of another form. 1.0 counted the current
-- minute as "next" (pg_cron starts a job at the start of its minute: by then it has run).
CREATE OR REPLACE FUNCTION @extschema@.tako_next_run(schedule text, after timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts text[] := regexp_match(schedule, '^(\d{1,2}) (\d{1,2}|\*) \* \* \*$');
    cron_tz text := @extschema@.tako_cron_timezone();
    base timestamp := date_trunc('minute', after AT TIME ZONE cron_tz);
    candidate timestamp;
BEGIN
    IF parts IS NULL THEN
        RETURN NULL;
    END IF;
    IF parts[2] = '*' THEN
        candidate := date_trunc('hour', base) + make_interval(mins => parts[1]::int);
        IF candidate <= base THEN candidate := candidate + interval '1 hour'; END IF;
    ELSE
        candidate := date_trunc('day', base) + make_interval(hours => parts[2]::int, mins => parts[1]::int);
        IF candidate <= base THEN candidate := candidate + interval '1 day'; END IF;
    END IF;
    RETURN candidate AT TIME ZONE cron_tz;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_next_run(text, timestamptz) IS
    'tako_cache: the next time after a given one that a tako_cache job schedule fires';
