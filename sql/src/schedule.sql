-- tako_cache: scheduling with pg_cron: the slots' times, the jobs and the procedures they call.
-- Part of the current install script (see sql/src/README.md).

-- pg_cron 1.5 and later: schedules in cron.timezone, and seconds schedules. pg_cron 1.4 keeps
-- running in GMT with minute schedules, as before.

-- Whether the pg_cron the server runs is 1.5 or later: its cron.timezone setting exists (it came
-- with 1.5, as did seconds schedules). A cron.timezone set by hand for 1.4 is a placeholder, which
-- 1.4 ignores and pg_settings does not list.
CREATE FUNCTION tako_cache.tako_cron_is_1_5()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'cron.timezone')
$$;
COMMENT ON FUNCTION tako_cache.tako_cron_is_1_5() IS
    'tako_cache: whether the server''s pg_cron is 1.5 or later (cron.timezone, seconds schedules)';

-- The time zone pg_cron reads the jobs' times in: cron.timezone on 1.5 and later, GMT on 1.4.
CREATE FUNCTION tako_cache.tako_cron_timezone()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN tako_cache.tako_cron_is_1_5()
                THEN coalesce(nullif(current_setting('cron.timezone', true), ''), 'GMT')
                ELSE 'GMT' END
$$;
COMMENT ON FUNCTION tako_cache.tako_cron_timezone() IS
    'tako_cache: the time zone pg_cron reads schedules in (cron.timezone from pg_cron 1.5, GMT before)';

-- The time of day, in cron_tz, of the next occurrence at or after `at` of `local` in `tz`. pg_cron
-- 1.4 runs in GMT: its jobs carry the GMT time of each local slot for the offset in force now,
-- and the hourly job moves them when the offset changes (DST).
CREATE FUNCTION tako_cache.tako_cron_time(local time, tz text, cron_tz text, at timestamptz)
RETURNS time
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ((CASE WHEN today >= at THEN today ELSE tomorrow END) AT TIME ZONE cron_tz)::time
      FROM (SELECT ((at AT TIME ZONE tz)::date + local) AT TIME ZONE tz AS today,
                   ((at AT TIME ZONE tz)::date + 1 + local) AT TIME ZONE tz AS tomorrow) AS t
$$;
COMMENT ON FUNCTION tako_cache.tako_cron_time(time, text, text, timestamptz) IS
    'tako_cache: a local slot time as pg_cron''s time in its time zone, for the offset in force';

-- The next time strictly after `after` that a tako_cache job schedule ("M H * * *" or "M * * * *",
-- in pg_cron's time zone) fires; NULL for a schedule of another form. 1.0 counted the current
-- minute as "next" (pg_cron starts a job at the start of its minute: by then it has run).
CREATE FUNCTION tako_cache.tako_next_run(schedule text, after timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parts text[] := regexp_match(schedule, '^(\d{1,2}) (\d{1,2}|\*) \* \* \*$');
    cron_tz text := tako_cache.tako_cron_timezone();
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
COMMENT ON FUNCTION tako_cache.tako_next_run(text, timestamptz) IS
    'tako_cache: the next time after a given one that a tako_cache job schedule fires';

-- ERROR 55000 with what to do when pg_cron is not in this database.
CREATE FUNCTION tako_cache.tako_require_pg_cron()
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cron_db text := current_setting('cron.database_name', true);
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RETURN;
    END IF;
    IF cron_db IS NOT NULL AND cron_db <> current_database() THEN
        RAISE EXCEPTION 'pg_cron lives in database "%", not in "%"', cron_db, current_database()
            USING ERRCODE = '55000',
                  DETAIL = 'tako_cache schedules its refreshes with pg_cron, which runs jobs of one database.',
                  HINT = format('In database %I, run each statement of: SELECT * FROM tako_cache.tako_schedule_commands(); '
                                '(they call cron.schedule_in_database(jobname, schedule, command, %L)). '
                                'The hourly DST re-sync cannot reach another database: re-run them after a DST change.',
                                cron_db, current_database());
    END IF;
    RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
        USING ERRCODE = '55000',
              HINT = 'Add pg_cron to shared_preload_libraries, set cron.database_name to this database, '
                     'restart, then CREATE EXTENSION pg_cron; or, if pg_cron lives in another database, '
                     'run there the statements of SELECT * FROM tako_cache.tako_schedule_commands().';
END
$$;
COMMENT ON FUNCTION tako_cache.tako_require_pg_cron() IS
    'tako_cache: ERROR 55000 unless pg_cron is installed in this database';

-- The keys a slot refreshes (its provider's cached keys of its endpoints, plus the warm keys).
CREATE FUNCTION tako_cache.tako_slot_keys(list text, provider text)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    slot record;
BEGIN
    SELECT * INTO slot FROM tako_cache.tako_refresh_slots AS s
     WHERE s.list = tako_slot_keys.list AND s.provider = tako_slot_keys.provider;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no refresh slot %/%', list, provider USING ERRCODE = '22023';
    END IF;
    RETURN ARRAY(
        SELECT c.cache_key::text FROM tako_cache.discovery_cache AS c
         WHERE c.provider = slot.provider AND c.endpoint = ANY (slot.endpoints)
        UNION
        SELECT w.cache_key FROM tako_cache.tako_warm_keys AS w
         WHERE w.enabled AND split_part(w.cache_key, ':', 1) = slot.provider
           AND split_part(w.cache_key, ':', 2) = ANY (slot.endpoints)
        ORDER BY 1);
END
$$;
COMMENT ON FUNCTION tako_cache.tako_slot_keys(text, text) IS
    'tako_cache: the keys a refresh slot refreshes';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_slot_keys(text, text) FROM PUBLIC;

-- The jobs tako_schedule_refreshes() makes: one per refresh slot and time, at the time in pg_cron's
-- time zone (with cron.timezone equal to tako_cache.schedule_timezone, they are the local times
-- and DST moves nothing), the hourly and daily jobs, and the hit flush: every 30 seconds on pg_cron
-- 1.5 and later (1.4: every minute), so that a crash, which loses the hits still in shared memory,
-- loses fewer.
CREATE FUNCTION @extschema@.tako_schedule_plan(at timestamptz DEFAULT now())
RETURNS TABLE (jobname text, schedule text, command text, list text, provider text,
               local_time time, cron_time time)
LANGUAGE plpgsql STABLE
SECURITY DEFINER  -- PUBLIC's: the slots and the pg_cron helpers are in the extension's schema
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tz text := current_setting('tako_cache.schedule_timezone');
    cron_tz text := tako_cache.tako_cron_timezone();
    flush_schedule text := CASE WHEN tako_cache.tako_cron_is_1_5() THEN '30 seconds' ELSE '* * * * *' END;
    ext text := quote_ident('@extschema@');  -- the user-facing functions (the purges)
    internal text := 'tako_cache';           -- the job procedures and the hit flush
BEGIN
    RETURN QUERY
    WITH slots AS (
        SELECT s.list, s.provider, t AS local_time
          FROM tako_cache.tako_refresh_slots AS s, unnest(s.local_times) AS t
         WHERE s.enabled),
    jobs AS (
        SELECT format('tako_cache:%s:%s:%s', s.list, s.provider, to_char(s.local_time, 'HH24MI')) AS jobname,
               format('CALL %s.tako_run_slot_job(%L, %L)', internal, s.list, s.provider) AS command,
               s.list, s.provider, s.local_time, false AS hourly
          FROM slots AS s
        UNION ALL
        SELECT 'tako_cache:expired', format('CALL %s.tako_run_hourly_job()', internal), 'expired', NULL, '00:15'::time, true
        UNION ALL
        SELECT 'tako_cache:flush-hits', format('SELECT %s.tako_flush_hits()', internal), 'flush-hits', NULL, NULL::time, false
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
                                THEN tako_cache.tako_cron_time(j.local_time, tz, cron_tz, at) END AS t) AS c
     ORDER BY j.jobname;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_schedule_plan(timestamptz) IS
    'tako_cache: the pg_cron jobs tako_cache wants, with local and cron times';

-- The statements that schedule tako_cache's jobs from the database where pg_cron lives.
CREATE FUNCTION tako_cache.tako_schedule_commands()
RETURNS SETOF text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('SELECT cron.schedule_in_database(%L, %L, %L, %L);', p.jobname, p.schedule, p.command,
                  current_database())
      FROM @extschema@.tako_schedule_plan() AS p
$$;
COMMENT ON FUNCTION tako_cache.tako_schedule_commands() IS
    'tako_cache: the cron.schedule_in_database statements to run where pg_cron lives';

-- Installs the pg_cron jobs of tako_schedule_plan(at): creates or updates the tako_cache: jobs by
-- name (a job paused with cron.alter_job stays paused) and removes the tako_cache: jobs no longer
-- planned. Other jobs are never touched. Running it twice changes nothing.
CREATE FUNCTION @extschema@.tako_schedule_refreshes(at timestamptz DEFAULT now())
RETURNS TABLE (jobid bigint, jobname text, schedule text, command text, active boolean)
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    planned record;
    existing record;
BEGIN
    PERFORM tako_cache.tako_require_pg_cron();
    FOR planned IN SELECT * FROM @extschema@.tako_schedule_plan(at) LOOP
        SELECT j.jobid, j.schedule, j.command, j.active INTO existing
          FROM cron.job AS j WHERE j.jobname = planned.jobname AND j.username = current_user;
        CONTINUE WHEN FOUND AND existing.schedule = planned.schedule AND existing.command = planned.command;
        PERFORM cron.schedule(planned.jobname, planned.schedule, planned.command);
        IF FOUND AND NOT existing.active THEN
            PERFORM cron.alter_job(existing.jobid, active := false);
        END IF;
    END LOOP;
    PERFORM cron.unschedule(j.jobid)
       FROM cron.job AS j
      WHERE starts_with(j.jobname, 'tako_cache:')
        AND j.jobname NOT IN (SELECT p.jobname FROM @extschema@.tako_schedule_plan(at) AS p);
    RETURN QUERY
        SELECT j.jobid, j.jobname::text, j.schedule, j.command, j.active
          FROM cron.job AS j WHERE starts_with(j.jobname, 'tako_cache:') ORDER BY j.jobname;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_schedule_refreshes(timestamptz) IS
    'tako_cache: installs (or updates) the tako_cache: pg_cron jobs of the refresh slots; idempotent';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_schedule_refreshes(timestamptz) FROM PUBLIC;

-- Removes every tako_cache: job; returns how many.
CREATE FUNCTION @extschema@.tako_unschedule_refreshes()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    removed integer;
BEGIN
    PERFORM tako_cache.tako_require_pg_cron();
    SELECT count(cron.unschedule(j.jobid))::integer INTO removed
      FROM cron.job AS j WHERE starts_with(j.jobname, 'tako_cache:');
    RETURN removed;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_unschedule_refreshes() IS
    'tako_cache: removes every tako_cache: pg_cron job; returns how many';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_unschedule_refreshes() FROM PUBLIC;

-- Re-applies the schedule when the planned jobs differ from cron.job (a DST change, an edited
-- slot or time zone); returns whether anything changed. A no-op without pg_cron.
CREATE FUNCTION tako_cache.tako_sync_schedule()
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RETURN false;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cron.job AS j WHERE starts_with(j.jobname, 'tako_cache:')) THEN
        RETURN false;  -- never scheduled (or unscheduled on purpose): leave it so
    END IF;
    IF NOT EXISTS (
        (SELECT p.jobname, p.schedule, p.command FROM @extschema@.tako_schedule_plan() AS p
         EXCEPT
         SELECT j.jobname, j.schedule, j.command FROM cron.job AS j WHERE starts_with(j.jobname, 'tako_cache:'))
        UNION ALL
        (SELECT j.jobname, j.schedule, j.command FROM cron.job AS j WHERE starts_with(j.jobname, 'tako_cache:')
         EXCEPT
         SELECT p.jobname, p.schedule, p.command FROM @extschema@.tako_schedule_plan() AS p)) THEN
        RETURN false;
    END IF;
    PERFORM @extschema@.tako_schedule_refreshes();
    RETURN true;
END
$$;
COMMENT ON FUNCTION tako_cache.tako_sync_schedule() IS
    'tako_cache: moves the scheduled jobs to the cron times of the offset in force (DST)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_sync_schedule() FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_run_slot(list text, provider text)
RETURNS jsonb
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT tako_cache.tako_refresh_keys(tako_cache.tako_slot_keys(list, provider), 'cron')
$$;
COMMENT ON FUNCTION tako_cache.tako_run_slot(text, text) IS
    'tako_cache: runs a refresh slot in one transaction';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_run_slot(text, text) FROM PUBLIC;

-- The hourly job: refreshes up to 20 expired entries, then re-syncs the schedule (DST).
CREATE FUNCTION tako_cache.tako_run_hourly()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    refreshed jsonb := tako_cache.tako_refresh_keys(
        coalesce((SELECT array_agg(e.cache_key) FROM @extschema@.tako_get_expired_entries(20) AS e), '{}'),
        'expired');
BEGIN
    RETURN refreshed || jsonb_build_object('schedule_resynced', tako_cache.tako_sync_schedule());
END
$$;
COMMENT ON FUNCTION tako_cache.tako_run_hourly() IS
    'tako_cache: the hourly work: refresh of expired entries, then the schedule re-sync';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_run_hourly() FROM PUBLIC;

CREATE PROCEDURE tako_cache.tako_refresh_job(keys text[], origin text DEFAULT 'cron')
LANGUAGE plpgsql
AS $$
DECLARE
    r record;
    announced jsonb;
    by_worker jsonb;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    PERFORM tako_cache.tako_mark_interrupted();
    IF keys IS NULL THEN
        RAISE EXCEPTION 'keys must not be null' USING ERRCODE = '22004';
    END IF;
    keys := ARRAY(SELECT DISTINCT @extschema@.tako_canonical_key(k) FROM unnest(keys) AS k ORDER BY 1);
    COMMIT;  -- what this transaction wrote (interrupted rows marked) holds no row the refresh saves
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    -- Where the refresh worker refreshes for this session, it does (it announces each key, saves
    -- each list as soon as its answer is in) and this waits; the keys it could not take, or all of
    -- them where it does not run, are refreshed here the same way but saved once all are fetched.
    by_worker := tako_cache.tako_worker_refresh(keys, origin);
    IF by_worker IS NOT NULL THEN
        keys := ARRAY(SELECT keys[i] FROM generate_subscripts(keys, 1) AS i
                       WHERE by_worker->(i - 1) = 'null'::jsonb);
    END IF;
    IF cardinality(keys) = 0 THEN
        RETURN;
    END IF;
    WITH rows AS (
        INSERT INTO tako_cache.tako_refresh_log (cache_key, provider, origin, started_at, outcome, pid)
        SELECT k, split_part(k, ':', 1), origin, clock_timestamp(), 'running', pg_backend_pid()
          FROM unnest(keys) AS k
        RETURNING id, cache_key)
    SELECT coalesce(jsonb_object_agg(rows.cache_key, rows.id), '{}') INTO announced FROM rows;
    -- Durable even where commits are asynchronous: the trace must survive a crash.
    PERFORM pg_catalog.set_config('synchronous_commit', 'on', true);
    COMMIT;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    FOR r IN SELECT * FROM tako_cache.tako_fetch_lists(keys, origin) LOOP
        PERFORM tako_cache.tako_apply_fetched(
            r.cache_key, r.provider, r.outcome, r.http_status, r.items, r.error, r.bytes, r.attempts,
            r.started_at, r.finished_at, r.sqlstate, origin, (announced->>r.cache_key)::bigint,
            r.upstream);
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    END LOOP;
END
$$;
COMMENT ON PROCEDURE tako_cache.tako_refresh_job(text[], text) IS
    'tako_cache: the scheduled form of tako_refresh_keys (by the refresh worker when it serves this session), committing as it goes (CALL it at top level)';
REVOKE EXECUTE ON PROCEDURE tako_cache.tako_refresh_job(text[], text) FROM PUBLIC;

-- What a slot's pg_cron job runs.
CREATE PROCEDURE tako_cache.tako_run_slot_job(list text, provider text)
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    CALL tako_cache.tako_refresh_job(tako_cache.tako_slot_keys(list, provider), 'cron');
END
$$;
COMMENT ON PROCEDURE tako_cache.tako_run_slot_job(text, text) IS
    'tako_cache: what a slot''s pg_cron job runs (commits as it goes)';
REVOKE EXECUTE ON PROCEDURE tako_cache.tako_run_slot_job(text, text) FROM PUBLIC;

-- What the hourly job runs: interrupted refreshes marked, up to 20 expired entries refreshed, the
-- schedule re-synced (DST).
CREATE PROCEDURE tako_cache.tako_run_hourly_job()
LANGUAGE plpgsql
AS $$
DECLARE
    -- A variable: CALL takes no subquery as an argument.
    expired text[];
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    PERFORM tako_cache.tako_mark_interrupted();
    expired := coalesce((SELECT array_agg(e.cache_key) FROM @extschema@.tako_get_expired_entries(20) AS e), '{}');
    -- The hits flushed above lock their rows until this commits: the refresh must not wait on them.
    COMMIT;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    CALL tako_cache.tako_refresh_job(expired, 'expired');
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    PERFORM tako_cache.tako_sync_schedule();
END
$$;
COMMENT ON PROCEDURE tako_cache.tako_run_hourly_job() IS
    'tako_cache: what the hourly pg_cron job runs';
REVOKE EXECUTE ON PROCEDURE tako_cache.tako_run_hourly_job() FROM PUBLIC;
