-- tako_cache 1.6 → 1.7: one refresh engine.
--
-- * Where the refresh worker serves the session, tako_refresh_keys (so tako_refresh,
--   tako_refresh_provider, tako_refresh_all) and the pg_cron procedures (tako_refresh_job) have the
--   worker refresh their keys and wait for them (tako_worker_refresh): each list is saved as soon
--   as its answer is in, the same results and refresh-log rows as before. Where it does not (not
--   preloaded, another database, a transaction block, repeatable read, or settings of the session's
--   own), the session refreshes the keys itself, as 1.6 did.
-- * tako_run_hourly_job (the hourly pg_cron job) runs again: it passed a subquery to CALL, which
--   PostgreSQL refuses, so every run failed before refreshing the expired lists.
-- * The worker takes the keys queued while it fetches into the fetch under way: a miss is fetched
--   at once, never after another key's slow list.

\echo Use "ALTER EXTENSION tako_cache UPDATE TO '1.7'" to load this file. \quit

CREATE FUNCTION @extschema@.tako_worker_refresh(keys text[], origin text)
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_worker_refresh';
COMMENT ON FUNCTION @extschema@.tako_worker_refresh(text[], text) IS
    'tako_cache internal: has the refresh worker refresh keys for a session that waits (tako_refresh_keys, tako_refresh_job): one result per key, null where the session refreshes it itself; NULL when the worker does not refresh for this session';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_worker_refresh(text[], text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.tako_refresh_keys(keys text[], origin text DEFAULT 'manual')
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
    results jsonb := '[]';
    by_worker jsonb;
    begun timestamptz := clock_timestamp();
BEGIN
    IF keys IS NULL THEN
        RAISE EXCEPTION 'keys must not be null' USING ERRCODE = '22004';
    END IF;
    -- Each key once, in key order: every writer locks rows in the same order (no deadlock).
    keys := ARRAY(SELECT DISTINCT @extschema@.tako_canonical_key(k) FROM unnest(keys) AS k ORDER BY 1);
    -- Where the refresh worker refreshes for this session, it does (each list saved as soon as its
    -- answer is in) and this waits; the keys it could not take are refreshed here.
    by_worker := @extschema@.tako_worker_refresh(keys, origin);
    IF by_worker IS NOT NULL THEN
        results := coalesce((SELECT jsonb_agg(e) FROM jsonb_array_elements(by_worker) AS e
                              WHERE e <> 'null'::jsonb), '[]');
        keys := ARRAY(SELECT keys[i] FROM generate_subscripts(keys, 1) AS i
                       WHERE by_worker->(i - 1) = 'null'::jsonb);
    END IF;
    FOR r IN SELECT * FROM @extschema@.tako_fetch_lists(keys, origin) LOOP
        results := results || @extschema@.tako_apply_fetched(
            r.cache_key, r.provider, r.outcome, r.http_status, r.items, r.error, r.bytes, r.attempts,
            r.started_at, r.finished_at, r.sqlstate, origin, upstream => r.upstream);
    END LOOP;
    results := coalesce((SELECT jsonb_agg(e ORDER BY e->>'key') FROM jsonb_array_elements(results) AS e),
                        '[]');
    RETURN jsonb_build_object(
        'total', jsonb_array_length(results),
        'succeeded', (SELECT count(*) FROM jsonb_array_elements(results) AS e WHERE e->>'status' = 'ok'),
        'failed', (SELECT count(*) FROM jsonb_array_elements(results) AS e WHERE e->>'status' <> 'ok'),
        'duration_ms', round(extract(epoch FROM clock_timestamp() - begun) * 1000)::bigint,
        'results', results);
END
$$;
COMMENT ON FUNCTION @extschema@.tako_refresh_keys(text[], text) IS
    'tako_cache: refreshes lists (by the refresh worker when it serves this session, else here), each list saved as its answer comes; one result and one refresh-log row per key';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_refresh_keys(text[], text) FROM PUBLIC;

CREATE OR REPLACE PROCEDURE @extschema@.tako_refresh_job(keys text[], origin text DEFAULT 'cron')
LANGUAGE plpgsql
AS $$
DECLARE
    r record;
    announced jsonb;
    by_worker jsonb;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    PERFORM @extschema@.tako_mark_interrupted();
    IF keys IS NULL THEN
        RAISE EXCEPTION 'keys must not be null' USING ERRCODE = '22004';
    END IF;
    keys := ARRAY(SELECT DISTINCT @extschema@.tako_canonical_key(k) FROM unnest(keys) AS k ORDER BY 1);
    COMMIT;  -- what this transaction wrote (interrupted rows marked) holds no row the refresh saves
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    -- Where the refresh worker refreshes for this session, it does (it announces each key, saves
    -- each list as soon as its answer is in) and this waits; the keys it could not take, or all of
    -- them where it does not run, are refreshed here the same way but saved once all are fetched.
    by_worker := @extschema@.tako_worker_refresh(keys, origin);
    IF by_worker IS NOT NULL THEN
        keys := ARRAY(SELECT keys[i] FROM generate_subscripts(keys, 1) AS i
                       WHERE by_worker->(i - 1) = 'null'::jsonb);
    END IF;
    IF cardinality(keys) = 0 THEN
        RETURN;
    END IF;
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
            r.started_at, r.finished_at, r.sqlstate, origin, (announced->>r.cache_key)::bigint,
            r.upstream);
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    END LOOP;
END
$$;
COMMENT ON PROCEDURE @extschema@.tako_refresh_job(text[], text) IS
    'tako_cache: the scheduled form of tako_refresh_keys (by the refresh worker when it serves this session), committing as it goes (CALL it at top level)';
REVOKE EXECUTE ON PROCEDURE @extschema@.tako_refresh_job(text[], text) FROM PUBLIC;

CREATE OR REPLACE PROCEDURE @extschema@.tako_run_hourly_job()
LANGUAGE plpgsql
AS $$
DECLARE
    -- A variable: CALL takes no subquery as an argument.
    expired text[];
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    PERFORM @extschema@.tako_mark_interrupted();
    expired := coalesce((SELECT array_agg(e.cache_key) FROM @extschema@.tako_get_expired_entries(20) AS e), '{}');
    -- The hits flushed above lock their rows until this commits: the refresh must not wait on them.
    COMMIT;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    CALL @extschema@.tako_refresh_job(expired, 'expired');
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    PERFORM @extschema@.tako_sync_schedule();
END
$$;
