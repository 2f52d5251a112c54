-- tako_cache: the refresh worker's SQL side: its queue, what it does when it starts and fetches.
-- Part of the current install script (see sql/src/README.md).

-- The queue (shared memory) and the worker's steps
CREATE FUNCTION tako_cache.tako_queue_refresh(key text, origin text DEFAULT 'queued')
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_queue_refresh';
COMMENT ON FUNCTION tako_cache.tako_queue_refresh(text, text) IS
    'tako_cache: asks the refresh worker to refresh a key when this transaction commits; false when no worker serves this database';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_queue_refresh(text, text) FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_queue_stats()
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_queue_stats';
COMMENT ON FUNCTION tako_cache.tako_queue_stats() IS
    'tako_cache: the refresh worker (pid, database, starts) and its queue (pending, in flight, done, failed, refused, last run)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_queue_stats() FROM PUBLIC;

-- The worker's first step for a key: its 'running' refresh-log row, durable before any request.
CREATE FUNCTION tako_cache.tako_worker_begin(key text, origin text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    id bigint;
BEGIN
    INSERT INTO tako_cache.tako_refresh_log (cache_key, provider, origin, started_at, outcome, pid)
    VALUES (key, split_part(key, ':', 1), origin, clock_timestamp(), 'running', pg_backend_pid())
    RETURNING tako_refresh_log.id INTO id;
    PERFORM pg_catalog.set_config('synchronous_commit', 'on', true);
    RETURN id;
END
$$;
COMMENT ON FUNCTION tako_cache.tako_worker_begin(text, text) IS
    'tako_cache internal: the refresh worker''s running refresh-log row for a key';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_worker_begin(text, text) FROM PUBLIC;

-- When the worker starts: the 'running' rows of sessions that are gone are marked interrupted;
-- the keys of the worker's own are returned, to be queued again.
CREATE FUNCTION tako_cache.tako_worker_recover()
RETURNS TABLE (cache_key text, origin text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    running bigint[] := ARRAY(SELECT l.id FROM tako_cache.tako_refresh_log AS l WHERE l.outcome = 'running');
BEGIN
    PERFORM tako_cache.tako_mark_interrupted();
    RETURN QUERY
        SELECT DISTINCT ON (l.cache_key) l.cache_key, l.origin FROM tako_cache.tako_refresh_log AS l
         WHERE l.id = ANY (running) AND l.outcome = 'interrupted'
           AND l.origin IN ('stale', 'ahead', 'miss', 'queued', 'recovered')
         ORDER BY l.cache_key;
END
$$;
COMMENT ON FUNCTION tako_cache.tako_worker_recover() IS
    'tako_cache internal: marks interrupted refreshes and returns the refresh worker''s, to queue again';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_worker_recover() FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_worker_fetch(key text, new_key boolean DEFAULT false)
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_worker_fetch';
COMMENT ON FUNCTION tako_cache.tako_worker_fetch(text, boolean) IS
    'tako_cache internal: has the refresh worker fetch a key now and waits for it, every caller of the key waiting for one request (NULL: no worker for this session); new_key: the request spends one of the provider''s new keys this hour';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_worker_fetch(text, boolean) FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_worker_refresh(keys text[], origin text)
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_worker_refresh';
COMMENT ON FUNCTION tako_cache.tako_worker_refresh(text[], text) IS
    'tako_cache internal: has the refresh worker refresh keys for a session that waits (tako_refresh_keys, tako_refresh_job): one result per key, null where the session refreshes it itself; NULL when the worker does not refresh for this session';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_worker_refresh(text[], text) FROM PUBLIC;
