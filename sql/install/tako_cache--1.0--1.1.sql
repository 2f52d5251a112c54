-- tako_cache 1.0 → 1.1: scheduled refreshes that survive a killed session, a restart or a crash.
--
-- A scheduled refresh now runs as a procedure that commits as it goes: one 'running' row per key
-- in the refresh log, committed before any upstream request, then each list saved and its row
-- finished in turn. A session that dies on the way (pg_terminate_backend, kill -9, a restart, a
-- crash) leaves its 'running' rows; the next run marks them 'interrupted'. The cache itself only
-- ever changes by committed saves, so it keeps its last good data.

\echo Use "ALTER EXTENSION tako_cache UPDATE TO '1.1'" to load this file. \quit

-- The session that wrote a 'running' row (to tell a live refresh from an interrupted one).
ALTER TABLE @extschema@.tako_refresh_log ADD COLUMN pid integer;
CREATE INDEX tako_refresh_log_running_idx ON @extschema@.tako_refresh_log (pid) WHERE outcome = 'running';

-- Marks as 'interrupted' the 'running' rows whose session is gone; returns how many.
CREATE FUNCTION @extschema@.tako_mark_interrupted()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    marked integer;
BEGIN
    UPDATE @extschema@.tako_refresh_log AS l
       SET outcome = 'interrupted', finished_at = clock_timestamp(),
           error = 'the refresh never finished: its session ended (terminated, crashed, or the server '
                   'restarted) before saving; the cache kept its previous data'
     WHERE l.outcome = 'running'
       AND NOT EXISTS (SELECT 1 FROM pg_stat_activity AS a
                        WHERE a.pid = l.pid AND a.backend_start <= l.started_at);
    GET DIAGNOSTICS marked = ROW_COUNT;
    RETURN marked;
END
$$;

-- What happens to one fetched list: saved in its own subtransaction (a list that cannot be saved
-- is a failure like any other), the entry's failure columns updated otherwise, and its refresh-log
-- row written (or finished, when the caller announced it as log_id). Returns the result object of
-- tako_refresh.
CREATE FUNCTION @extschema@.tako_apply_fetched(
    cache_key text, provider text, outcome text, http_status integer, items jsonb, error text,
    bytes bigint, attempts integer, started_at timestamptz, finished_at timestamptz, error_sqlstate text,
    origin text, log_id bigint DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    item_count integer;
BEGIN
    IF outcome = 'ok' THEN
        BEGIN
            PERFORM @extschema@.tako_save_cached(cache_key, NULL, NULL, items);
            item_count := jsonb_array_length(items);
        EXCEPTION WHEN OTHERS THEN
            outcome := 'invalid_response';
            error := 'could not save the list: ' || SQLERRM;
            error_sqlstate := SQLSTATE;
        END;
    END IF;
    IF outcome <> 'ok' THEN
        UPDATE @extschema@.discovery_cache AS c
           SET last_refresh_at = tako_apply_fetched.finished_at, last_refresh_status = 'error',
               last_error = tako_apply_fetched.error, consecutive_failures = c.consecutive_failures + 1
         WHERE c.cache_key = tako_apply_fetched.cache_key;
    END IF;
    IF log_id IS NULL THEN
        INSERT INTO @extschema@.tako_refresh_log
            (cache_key, provider, origin, started_at, finished_at, http_status, outcome, error, bytes,
             items, attempts)
        VALUES (cache_key, provider, origin, started_at, finished_at, http_status, outcome, error,
                bytes, item_count, attempts);
    ELSE
        UPDATE @extschema@.tako_refresh_log AS l
           SET started_at = tako_apply_fetched.started_at, finished_at = tako_apply_fetched.finished_at,
               http_status = tako_apply_fetched.http_status, outcome = tako_apply_fetched.outcome,
               error = tako_apply_fetched.error, bytes = tako_apply_fetched.bytes, items = item_count,
               attempts = tako_apply_fetched.attempts
         WHERE l.id = log_id;
    END IF;
    RETURN jsonb_build_object(
        'key', cache_key,
        'status', CASE WHEN outcome = 'ok' THEN 'ok' ELSE 'error' END,
        'outcome', outcome,
        'http_status', http_status,
        'items', item_count,
        'attempts', attempts,
        'duration_ms', round(extract(epoch FROM finished_at - started_at) * 1000)::bigint,
        'error', error,
        'sqlstate', CASE WHEN outcome = 'ok' THEN NULL ELSE error_sqlstate END);
END
$$;

-- The same as 1.0, through tako_apply_fetched.
CREATE OR REPLACE FUNCTION @extschema@.tako_refresh_keys(keys text[], origin text DEFAULT 'manual')
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    results jsonb := '[]';
    begun timestamptz := clock_timestamp();
BEGIN
    IF keys IS NULL THEN
        RAISE EXCEPTION 'keys must not be null' USING ERRCODE = '22004';
    END IF;
    -- Each key once, in key order: every writer locks rows in the same order (no deadlock).
    keys := ARRAY(SELECT DISTINCT @extschema@.tako_canonical_key(k) FROM unnest(keys) AS k ORDER BY 1);
    FOR r IN SELECT * FROM @extschema@.tako_fetch_lists(keys, origin) LOOP
        results := results || @extschema@.tako_apply_fetched(
            r.cache_key, r.provider, r.outcome, r.http_status, r.items, r.error, r.bytes, r.attempts,
            r.started_at, r.finished_at, r.sqlstate, origin);
    END LOOP;
    RETURN jsonb_build_object(
        'total', jsonb_array_length(results),
        'succeeded', (SELECT count(*) FROM jsonb_array_elements(results) AS e WHERE e->>'status' = 'ok'),
        'failed', (SELECT count(*) FROM jsonb_array_elements(results) AS e WHERE e->>'status' <> 'ok'),
        'duration_ms', round(extract(epoch FROM clock_timestamp() - begun) * 1000)::bigint,
        'results', results);
END
$$;

-- The scheduled form of tako_refresh_keys (CALL it at top level, as pg_cron does): announces every
-- key as 'running' and commits before the first upstream request, then saves each list and
-- finishes its row, committing each. Procedures that COMMIT cannot carry a SET clause: the body
-- pins search_path itself, after each COMMIT too.
CREATE PROCEDURE @extschema@.tako_refresh_job(keys text[], origin text DEFAULT 'cron')
LANGUAGE plpgsql
AS $$
DECLARE
    r record;
    announced jsonb;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    PERFORM @extschema@.tako_mark_interrupted();
    IF keys IS NULL THEN
        RAISE EXCEPTION 'keys must not be null' USING ERRCODE = '22004';
    END IF;
    keys := ARRAY(SELECT DISTINCT @extschema@.tako_canonical_key(k) FROM unnest(keys) AS k ORDER BY 1);
    WITH rows AS (
        INSERT INTO @extschema@.tako_refresh_log (cache_key, provider, origin, started_at, outcome, pid)
        SELECT k, split_part(k, ':', 1), origin, clock_timestamp(), 'running', pg_backend_pid()
          FROM unnest(keys) AS k
        RETURNING id, cache_key)
    SELECT coalesce(jsonb_object_agg(rows.cache_key, rows.id), '{}') INTO announced FROM rows;
    -- Durable even where commits are asynchronous: the trace must survive a crash.
    PERFORM pg_catalog.set_config('synchronous_commit', 'on', true);
    COMMIT;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    FOR r IN SELECT * FROM @extschema@.tako_fetch_lists(keys, origin) LOOP
        PERFORM @extschema@.tako_apply_fetched(
            r.cache_key, r.provider, r.outcome, r.http_status, r.items, r.error, r.bytes, r.attempts,
            r.started_at, r.finished_at, r.sqlstate, origin, (announced->>r.cache_key)::bigint);
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    END LOOP;
END
$$;

-- The keys a slot refreshes (its provider's cached keys of its endpoints, plus the warm keys).
CREATE FUNCTION @extschema@.tako_slot_keys(list text, provider text)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    slot record;
BEGIN
    SELECT * INTO slot FROM @extschema@.tako_refresh_slots AS s
     WHERE s.list = tako_slot_keys.list AND s.provider = tako_slot_keys.provider;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no refresh slot %/%', list, provider USING ERRCODE = '22023';
    END IF;
    RETURN ARRAY(
        SELECT c.cache_key::text FROM @extschema@.discovery_cache AS c
         WHERE c.provider = slot.provider AND c.endpoint = ANY (slot.endpoints)
        UNION
        SELECT w.cache_key FROM @extschema@.tako_warm_keys AS w
         WHERE w.enabled AND split_part(w.cache_key, ':', 1) = slot.provider
           AND split_part(w.cache_key, ':', 2) = ANY (slot.endpoints)
        ORDER BY 1);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.tako_run_slot(list text, provider text)
RETURNS jsonb
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT @extschema@.tako_refresh_keys(@extschema@.tako_slot_keys(list, provider), 'cron')
$$;

-- What a slot's pg_cron job runs.
CREATE PROCEDURE @extschema@.tako_run_slot_job(list text, provider text)
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    CALL @extschema@.tako_refresh_job(@extschema@.tako_slot_keys(list, provider), 'cron');
END
$$;

-- What the hourly job runs: interrupted refreshes marked, up to 20 expired entries refreshed, the
-- schedule re-synced (DST).
CREATE PROCEDURE @extschema@.tako_run_hourly_job()
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    PERFORM @extschema@.tako_mark_interrupted();
    CALL @extschema@.tako_refresh_job(
        coalesce((SELECT array_agg(e.cache_key) FROM @extschema@.tako_get_expired_entries(20) AS e), '{}'),
        'expired');
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    PERFORM @extschema@.tako_sync_schedule();
END
$$;

-- The plan of 1.0, with the jobs calling the procedures.
CREATE OR REPLACE FUNCTION @extschema@.tako_schedule_plan(at timestamptz DEFAULT now())
RETURNS TABLE (jobname text, schedule text, command text, list text, provider text,
               local_time time, cron_time time)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tz text := current_setting('tako_cache.schedule_timezone');
    -- pg_cron 1.4 runs in GMT; later versions may have a cron.timezone setting.
    cron_tz text := coalesce(nullif(current_setting('cron.timezone', true), ''), 'GMT');
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
           CASE WHEN j.local_time IS NULL THEN '* * * * *'  -- every minute
                WHEN j.hourly THEN format('%s * * * *', extract(minute FROM c.t)::int)
                ELSE format('%s %s * * *', extract(minute FROM c.t)::int, extract(hour FROM c.t)::int) END,
           j.command, j.list, j.provider, j.local_time, c.t
      FROM jobs AS j,
           LATERAL (SELECT CASE WHEN j.local_time IS NOT NULL
                                THEN @extschema@.tako_cron_time(j.local_time, tz, cron_tz, at) END AS t) AS c
     ORDER BY j.jobname;
END
$$;

------------------------------------------------------------------------------------------------
-- Writers that never deadlock: batch refreshes lock their rows in key order, the purge and the
-- hit flush never wait for a row another session holds (it is being refreshed: neither stale nor
-- in need of its count right now).
------------------------------------------------------------------------------------------------

-- The hits still pending in shared memory, except those of except_keys.
CREATE FUNCTION @extschema@.tako_pending_hits(take boolean, except_keys text[])
RETURNS TABLE (cache_key text, hits bigint, last_access timestamptz)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_pending_hits';

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
    -- One flush at a time: hits are subtracted from shared memory at commit.
    PERFORM pg_advisory_xact_lock(hashtext('tako_cache'), 0);
    -- Lock the rows to update in key order, skipping those another session holds: their hits
    -- stay pending for the next flush.
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

CREATE OR REPLACE FUNCTION @extschema@.tako_purge_old_entries(days integer DEFAULT 90)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    purged integer;
BEGIN
    IF days IS NULL OR days < 0 THEN
        RAISE EXCEPTION 'days must be zero or more, not %', coalesce(days::text, 'NULL')
            USING ERRCODE = '22023';
    END IF;
    PERFORM @extschema@.tako_flush_hits();  -- a list read a minute ago is not unread
    DELETE FROM @extschema@.discovery_cache AS c
     WHERE c.id IN (SELECT o.id FROM @extschema@.discovery_cache AS o
                     WHERE o.last_accessed < now() - make_interval(days => days)
                     FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS purged = ROW_COUNT;
    RETURN purged;
END
$$;

REVOKE EXECUTE ON FUNCTION @extschema@.tako_pending_hits(boolean, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_mark_interrupted() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_apply_fetched(text, text, text, integer, jsonb, text, bigint, integer,
                                                          timestamptz, timestamptz, text, text, bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_slot_keys(text, text) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE @extschema@.tako_refresh_job(text[], text) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE @extschema@.tako_run_slot_job(text, text) FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE @extschema@.tako_run_hourly_job() FROM PUBLIC;

-- Jobs scheduled under 1.0 move to the procedures now (a no-op without pg_cron or without jobs).
SELECT @extschema@.tako_sync_schedule();
