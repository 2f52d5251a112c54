-- tako_cache: budgets: the new keys a role may ask for and the requests sent to each provider per day,
-- kept in tako_request_usage across restarts.
-- Part of the current install script (see sql/src/README.md).

CREATE FUNCTION tako_cache.tako_take_new_key(provider text)
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_take_new_key';
COMMENT ON FUNCTION tako_cache.tako_take_new_key(text) IS
    'tako_cache internal: takes one of the new keys read-through may fetch this hour from a provider; false when none is left';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_take_new_key(text) FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_restore_request_usage(provider text, requests bigint)
RETURNS void
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_restore_request_usage';
COMMENT ON FUNCTION tako_cache.tako_restore_request_usage(text, bigint) IS
    'tako_cache internal: raises a provider''s count of requests today in shared memory (after a restart)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_restore_request_usage(text, bigint) FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_first_usage_load()
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_first_usage_load';
COMMENT ON FUNCTION tako_cache.tako_first_usage_load() IS
    'tako_cache internal: true once per server life, for the fetch that loads tako_request_usage';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_first_usage_load() FROM PUBLIC;

-- Request counts: loaded before a fetch, written after it

-- Before a fetch: only the first call of the server's life loads today's counts (no row is written,
-- so none stays locked while the upstream answers).
CREATE FUNCTION tako_cache.tako_load_request_usage()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF tako_cache.tako_first_usage_load() THEN
        PERFORM tako_cache.tako_restore_request_usage(u.provider, u.requests)
           FROM tako_cache.tako_request_usage AS u WHERE u.day = (now() AT TIME ZONE 'UTC')::date;
    END IF;
END
$$;
COMMENT ON FUNCTION tako_cache.tako_load_request_usage() IS
    'tako_cache internal: loads the requests counted today after a restart (before a fetch; writes nothing)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_load_request_usage() FROM PUBLIC;

-- The requests counted today and the Jikan pictures a fetch learned are written after every fetch;
-- a row another transaction holds is not waited for beyond 200 ms: its count stays in shared
-- memory for the next fetch to write, its picture is asked again later.
CREATE FUNCTION tako_cache.tako_sync_request_usage()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
    previous text := current_setting('lock_timeout');
BEGIN
    PERFORM tako_cache.tako_load_request_usage();
    IF pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean THEN
        RETURN;
    END IF;
    BEGIN
        PERFORM set_config('lock_timeout', '200ms', true);
        INSERT INTO tako_cache.tako_request_usage AS u (provider, day, requests)
        SELECT h.provider, today, h.requests_today FROM tako_cache.tako_provider_health() AS h
         WHERE h.requests_today > 0
           AND NOT EXISTS (SELECT 1 FROM tako_cache.tako_request_usage AS k
                            WHERE k.provider = h.provider AND k.day = today AND k.requests >= h.requests_today)
         ORDER BY h.provider
        ON CONFLICT (provider, day) DO UPDATE SET requests = greatest(u.requests, EXCLUDED.requests)
         WHERE u.requests < EXCLUDED.requests;
        PERFORM set_config('lock_timeout', previous, true);
    EXCEPTION WHEN lock_not_available THEN
        NULL;
    END;
END
$$;
COMMENT ON FUNCTION tako_cache.tako_sync_request_usage() IS
    'tako_cache internal: loads the requests counted today after a restart, and writes the counts back';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_sync_request_usage() FROM PUBLIC;
