-- tako_cache: refreshing a list: fetching it upstream (C), saving what was fetched (tako_apply_fetched,
-- the one place a fetched list is written), the refresh functions and the purge.
-- Part of the current install script (see sql/src/README.md).

-- Upstream fetch and normalization, implemented in C++ (src/core, src/pg)

-- The raw upstream JSON of a key: one request (IGDB: its token, then the query), no retry,
-- credentials redacted. A failure raises with its SQLSTATE (08xxx, 57014, 22P02, 28000, 55000).
CREATE FUNCTION tako_cache.tako_fetch(key text)
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_fetch';
COMMENT ON FUNCTION tako_cache.tako_fetch(text) IS
    'tako_cache: the raw upstream JSON of a key (one request, no retry, credentials redacted)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_fetch(text) FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_fetch_lists(keys text[], origin text DEFAULT 'manual')
RETURNS TABLE (cache_key text, provider text, outcome text, http_status integer, items jsonb,
               error text, bytes bigint, attempts integer, started_at timestamptz,
               finished_at timestamptz, sqlstate text, upstream jsonb)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_fetch_lists';
COMMENT ON FUNCTION tako_cache.tako_fetch_lists(text[], text) IS
    'tako_cache: fetches and normalizes the lists of keys concurrently under the rate limits; one row per key; writes nothing';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_fetch_lists(text[], text) FROM PUBLIC;

-- What an upstream failure says to any role: the outcome's own words, the HTTP status and the
-- attempts, never the text the transfer or the upstream gave (it can name internal addresses,
-- ports, or quote what the upstream answered). The whole text is in tako_refresh_log and in
-- tako_cache_stats()'s details, for the extension's owner and the roles granted them.
CREATE FUNCTION tako_cache.tako_public_error(outcome text, error text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
        WHEN outcome IN ('not_configured', 'circuit_open', 'quota_exhausted', 'new_key_budget', 'locked',
                         'too_large', 'invalid_key', 'not_installed')
            THEN error
        ELSE CASE outcome
                 WHEN 'network_error' THEN 'could not connect to the upstream'
                 WHEN 'timeout' THEN 'the upstream did not answer in time'
                 WHEN 'tls_error' THEN 'the TLS handshake with the upstream failed'
                 WHEN 'invalid_response' THEN 'the upstream''s answer is not a list tako_cache can read'
                 ELSE coalesce('HTTP ' || (regexp_match(error, '^HTTP (\d{3})'))[1] || ' from the upstream',
                               'the upstream answered with an error')
             END
             || ' (' || concat_ws('; ', (regexp_match(error, '\((after \d+ attempts)\)'))[1],
                                 'the details are for the extension''s owner') || ')'
    END
$$;
COMMENT ON FUNCTION tako_cache.tako_public_error(text, text) IS
    'tako_cache internal: an upstream failure as any role may read it (no address or upstream text; those are in the refresh log)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_public_error(text, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.tako_save_cached(
    key text, provider text, endpoint text, data jsonb,
    category text DEFAULT NULL, period text DEFAULT NULL, ttl interval DEFAULT NULL,
    upstream jsonb DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    info jsonb := tako_cache.tako_key_info(key);
    given text[] := ARRAY[provider, endpoint, category, period];
    names text[] := ARRAY['provider', 'endpoint', 'category', 'period'];
BEGIN
    FOR i IN 1..4 LOOP
        IF given[i] IS NOT NULL AND given[i] IS DISTINCT FROM info->>names[i] THEN
            RAISE EXCEPTION '% "%" does not match cache key "%"', names[i], given[i], info->>'key'
                USING ERRCODE = '22023',
                      DETAIL = format('The key''s %s is %s.', names[i],
                                      coalesce('"' || (info->>names[i]) || '"', 'absent'));
        END IF;
    END LOOP;
    IF data IS NULL THEN
        RAISE EXCEPTION 'data must not be null' USING ERRCODE = '22004';
    END IF;
    IF ttl IS NOT NULL AND ttl <= interval '0' THEN
        RAISE EXCEPTION 'ttl must be positive, not %', ttl USING ERRCODE = '22023';
    END IF;
    IF upstream IS NOT NULL AND jsonb_typeof(upstream) <> 'object' THEN
        RAISE EXCEPTION 'upstream must be a JSON object, not %', jsonb_typeof(upstream)
            USING ERRCODE = '22023';
    END IF;
    INSERT INTO tako_cache.discovery_cache AS c (cache_key, data, upstream, expires_at,
                                                 last_refresh_at, last_refresh_status)
    VALUES (info->>'key', data, coalesce(upstream, '{}'),
            now() + coalesce(ttl, make_interval(secs => (info->>'ttl_seconds')::int)),
            now(), 'ok')
    ON CONFLICT (cache_key) DO UPDATE
       SET data = EXCLUDED.data,
           upstream = EXCLUDED.upstream,
           expires_at = EXCLUDED.expires_at,
           last_refresh_at = EXCLUDED.last_refresh_at,
           last_refresh_status = 'ok',
           last_error = NULL,
           consecutive_failures = 0;
    RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_save_cached(text, text, text, jsonb, text, text, interval, jsonb) IS
    'tako_cache: upsert of a list (Format B items, and what the upstream said of it); ttl defaults to the family''s';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_save_cached(text, text, text, jsonb, text, text, interval, jsonb)
    FROM PUBLIC;

-- Every save of a fetched list bounds its wait for the list's row: another transaction may hold
-- it (a reader's save in a statement that goes on, an administrator's UPDATE). Three waits of
-- 150 ms, then the list is left as it is and the refresh says so (outcome "locked"; the next
-- refresh, or the hourly pass of expired lists, saves it). The worker, the pg_cron jobs,
-- tako_refresh* and read-through all save through here.
-- A save never replaces a list with an older answer: a list saved (by hand, or by another refresh)
-- after this answer was received is kept, and the refresh says so (outcome "superseded", a success:
-- the list is there, newer). Nor does a failure received before that save mark the list failed.
CREATE FUNCTION tako_cache.tako_apply_fetched(
    cache_key text, provider text, outcome text, http_status integer, items jsonb, error text,
    bytes bigint, attempts integer, started_at timestamptz, finished_at timestamptz, error_sqlstate text,
    origin text, log_id bigint DEFAULT NULL, upstream jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    item_count integer;
    previous text := current_setting('lock_timeout');
    saved_at timestamptz;
BEGIN
    IF outcome = 'ok' THEN
        FOR attempt IN 1..3 LOOP
            BEGIN
                PERFORM set_config('lock_timeout', '150ms', true);
                SELECT c.updated_at INTO saved_at FROM tako_cache.discovery_cache AS c
                 WHERE c.cache_key = tako_apply_fetched.cache_key FOR UPDATE;
                IF saved_at > finished_at THEN
                    outcome := 'superseded';
                    error := format('not saved: the list saved at %s is newer than this answer (received at %s)',
                                    to_char(saved_at AT TIME ZONE 'UTC', 'HH24:MI:SS.MS "UTC"'),
                                    to_char(finished_at AT TIME ZONE 'UTC', 'HH24:MI:SS.MS "UTC"'));
                ELSE
                    PERFORM @extschema@.tako_save_cached(cache_key, NULL, NULL, items, upstream => upstream);
                    item_count := jsonb_array_length(items);
                END IF;
                PERFORM set_config('lock_timeout', previous, true);
                EXIT;
            EXCEPTION
                WHEN lock_not_available THEN
                    IF attempt = 3 THEN
                        outcome := 'locked';
                        error := 'not saved: another transaction held the list''s row for 450 ms '
                                 '(the next refresh saves it)';
                        error_sqlstate := '55P03';
                    END IF;
                WHEN OTHERS THEN
                    outcome := 'invalid_response';
                    error := 'could not save the list: ' || SQLERRM;
                    error_sqlstate := SQLSTATE;
                    EXIT;
            END;
        END LOOP;
    END IF;
    IF outcome NOT IN ('ok', 'locked', 'superseded') THEN
        BEGIN
            PERFORM set_config('lock_timeout', '200ms', true);
            UPDATE tako_cache.discovery_cache AS c
               SET last_refresh_at = tako_apply_fetched.finished_at, last_refresh_status = 'error',
                   last_error = tako_cache.tako_public_error(tako_apply_fetched.outcome, tako_apply_fetched.error),
                   consecutive_failures = c.consecutive_failures + 1
             WHERE c.cache_key = tako_apply_fetched.cache_key AND c.updated_at <= tako_apply_fetched.finished_at;
            PERFORM set_config('lock_timeout', previous, true);
        EXCEPTION WHEN lock_not_available THEN
            NULL;  -- the refresh log below still records the failure
        END;
    END IF;
    IF log_id IS NULL THEN
        INSERT INTO tako_cache.tako_refresh_log
            (cache_key, provider, origin, started_at, finished_at, http_status, outcome, error, bytes,
             items, attempts)
        VALUES (cache_key, provider, origin, started_at, finished_at, http_status, outcome, error,
                bytes, item_count, attempts);
    ELSE
        UPDATE tako_cache.tako_refresh_log AS l
           SET started_at = tako_apply_fetched.started_at, finished_at = tako_apply_fetched.finished_at,
               http_status = tako_apply_fetched.http_status, outcome = tako_apply_fetched.outcome,
               error = tako_apply_fetched.error, bytes = tako_apply_fetched.bytes, items = item_count,
               attempts = tako_apply_fetched.attempts
         WHERE l.id = log_id;
    END IF;
    RETURN jsonb_build_object(
        'key', cache_key,
        'status', CASE WHEN outcome IN ('ok', 'superseded') THEN 'ok' ELSE 'error' END,
        'outcome', outcome,
        'http_status', http_status,
        'items', item_count,
        'attempts', attempts,
        'duration_ms', round(extract(epoch FROM finished_at - started_at) * 1000)::bigint,
        'error', error,
        'sqlstate', CASE WHEN outcome IN ('ok', 'superseded') THEN NULL ELSE error_sqlstate END);
END
$$;
COMMENT ON FUNCTION tako_cache.tako_apply_fetched(text, text, text, integer, jsonb, text, bigint, integer,
                                                   timestamptz, timestamptz, text, text, bigint, jsonb) IS
    'tako_cache internal: saves one fetched list (or records its failure) and writes its refresh-log row';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_apply_fetched(text, text, text, integer, jsonb, text, bigint, integer,
                                                          timestamptz, timestamptz, text, text, bigint, jsonb)
    FROM PUBLIC;

-- The latest failed fetch of `key`, if it happened within the last `within_ms` milliseconds
-- (kept in shared memory, outside any transaction).
CREATE FUNCTION tako_cache.tako_recent_failure(key text, within_ms integer DEFAULT 60000)
RETURNS TABLE (outcome text, error text, failed_at timestamptz, sqlstate text)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_recent_failure';
COMMENT ON FUNCTION tako_cache.tako_recent_failure(text, integer) IS
    'tako_cache internal: a key''s latest failed fetch, if recent (shared memory)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_recent_failure(text, integer) FROM PUBLIC;

-- One key: {key, status, outcome, http_status, items, attempts, duration_ms, error}.
CREATE FUNCTION @extschema@.tako_refresh(key text)
RETURNS jsonb
LANGUAGE sql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT tako_cache.tako_refresh_keys(ARRAY[@extschema@.tako_canonical_key(key)])->'results'->0
$$;
COMMENT ON FUNCTION @extschema@.tako_refresh(text) IS
    'tako_cache: refreshes one key: {key, status, outcome, http_status, items, attempts, duration_ms, error}';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_refresh(text) FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_refresh_keys(keys text[], origin text DEFAULT 'manual')
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
    by_worker := tako_cache.tako_worker_refresh(keys, origin);
    IF by_worker IS NOT NULL THEN
        results := coalesce((SELECT jsonb_agg(e) FROM jsonb_array_elements(by_worker) AS e
                              WHERE e <> 'null'::jsonb), '[]');
        keys := ARRAY(SELECT keys[i] FROM generate_subscripts(keys, 1) AS i
                       WHERE by_worker->(i - 1) = 'null'::jsonb);
    END IF;
    FOR r IN SELECT * FROM tako_cache.tako_fetch_lists(keys, origin) LOOP
        results := results || tako_cache.tako_apply_fetched(
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
COMMENT ON FUNCTION tako_cache.tako_refresh_keys(text[], text) IS
    'tako_cache: refreshes lists (by the refresh worker when it serves this session, else here), each list saved as its answer comes; one result and one refresh-log row per key';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_refresh_keys(text[], text) FROM PUBLIC;

-- The expired entries, most fetched first (what the hourly job runs).
CREATE FUNCTION @extschema@.tako_refresh_expired(max_entries integer DEFAULT 10)
RETURNS jsonb
LANGUAGE sql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT tako_cache.tako_refresh_keys(
        coalesce((SELECT array_agg(e.cache_key) FROM @extschema@.tako_get_expired_entries(max_entries) AS e),
                 '{}'), 'expired')
$$;
COMMENT ON FUNCTION @extschema@.tako_refresh_expired(integer) IS
    'tako_cache: refreshes the expired entries, most fetched first';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_refresh_expired(integer) FROM PUBLIC;

-- Expired entries, most fetched first: what the hourly job refreshes.
CREATE FUNCTION @extschema@.tako_get_expired_entries(max_entries integer DEFAULT 10)
RETURNS TABLE (cache_key text, provider text, endpoint text, category text, period text,
               expires_at timestamptz, fetch_count bigint)
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF max_entries IS NULL OR max_entries < 0 THEN
        RAISE EXCEPTION 'max_entries must be zero or more, not %', coalesce(max_entries::text, 'NULL')
            USING ERRCODE = '22023';
    END IF;
    PERFORM tako_cache.tako_flush_hits();  -- "most fetched" counts the latest hits
    RETURN QUERY
        SELECT c.cache_key::text, c.provider::text, c.endpoint::text, c.category::text,
               c.period::text, c.expires_at, c.fetch_count
          FROM tako_cache.discovery_cache AS c
         WHERE c.expires_at <= now()
         ORDER BY c.fetch_count DESC, c.expires_at ASC, c.cache_key
         LIMIT max_entries;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_get_expired_entries(integer) IS
    'tako_cache: the expired entries, most fetched first';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_get_expired_entries(integer) FROM PUBLIC;

-- Keys of a provider (and endpoint): those in the cache plus the enabled warm keys.
CREATE FUNCTION tako_cache.tako_provider_keys(provider text, endpoint text DEFAULT NULL)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM tako_cache.tako_families() AS f
                    WHERE f.provider = tako_provider_keys.provider
                      AND (tako_provider_keys.endpoint IS NULL OR f.endpoint = tako_provider_keys.endpoint)) THEN
        RAISE EXCEPTION 'unknown provider/endpoint "%/%"', coalesce(provider, 'NULL'), coalesce(endpoint, '*')
            USING ERRCODE = '22023',
                  HINT = 'SELECT provider, endpoint FROM tako_cache.tako_families() lists the valid ones.';
    END IF;
    RETURN ARRAY(
        SELECT k FROM (
            SELECT c.cache_key::text AS k FROM tako_cache.discovery_cache AS c
             WHERE c.provider = tako_provider_keys.provider
               AND (tako_provider_keys.endpoint IS NULL OR c.endpoint = tako_provider_keys.endpoint)
            UNION
            SELECT w.cache_key FROM tako_cache.tako_warm_keys AS w
             WHERE w.enabled
               AND split_part(w.cache_key, ':', 1) = tako_provider_keys.provider
               AND (tako_provider_keys.endpoint IS NULL
                    OR split_part(w.cache_key, ':', 2) = tako_provider_keys.endpoint)) AS keys
        ORDER BY k);
END
$$;
COMMENT ON FUNCTION tako_cache.tako_provider_keys(text, text) IS
    'tako_cache: a provider''s (endpoint''s) cached keys and enabled warm keys';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_provider_keys(text, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.tako_refresh_provider(provider text, endpoint text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT tako_cache.tako_refresh_keys(tako_cache.tako_provider_keys(provider, endpoint), 'manual')
$$;
COMMENT ON FUNCTION @extschema@.tako_refresh_provider(text, text) IS
    'tako_cache: refreshes a provider''s (endpoint''s) cached keys and enabled warm keys';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_refresh_provider(text, text) FROM PUBLIC;

-- Every list in the cache plus every enabled warm key.
CREATE FUNCTION @extschema@.tako_refresh_all()
RETURNS jsonb
LANGUAGE sql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT tako_cache.tako_refresh_keys(ARRAY(
        SELECT c.cache_key::text FROM tako_cache.discovery_cache AS c
        UNION
        SELECT w.cache_key FROM tako_cache.tako_warm_keys AS w WHERE w.enabled
        ORDER BY 1), 'manual')
$$;
COMMENT ON FUNCTION @extschema@.tako_refresh_all() IS
    'tako_cache: refreshes every cached key and every enabled warm key';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_refresh_all() FROM PUBLIC;

-- Marks as 'interrupted' the 'running' rows whose session is gone; returns how many.
CREATE FUNCTION tako_cache.tako_mark_interrupted()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    marked integer;
BEGIN
    UPDATE tako_cache.tako_refresh_log AS l
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
COMMENT ON FUNCTION tako_cache.tako_mark_interrupted() IS
    'tako_cache: marks as interrupted the running refresh-log rows whose session is gone';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_mark_interrupted() FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_known_backdrops()
RETURNS TABLE (mal_id bigint, backdrop text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.mal_id, p.backdrop FROM tako_cache.tako_jikan_pictures AS p
     WHERE p.fetched_at > now() - interval '30 days' AND (p.retry_at IS NULL OR p.retry_at > now())
$$;
COMMENT ON FUNCTION tako_cache.tako_known_backdrops() IS
    'tako_cache internal: the backdrops fetched within 30 days, and the failed ones not to ask again yet (a fetch does not ask for them)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_known_backdrops() FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_save_pictures(pictures jsonb, origin text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    previous text := current_setting('lock_timeout');
BEGIN
    BEGIN
        PERFORM set_config('lock_timeout', '200ms', true);
        INSERT INTO tako_cache.tako_jikan_pictures AS t (mal_id, backdrop, fetched_at)
        SELECT DISTINCT ON ((p->>'mal_id')::bigint) (p->>'mal_id')::bigint, p->>'url', now()
          FROM jsonb_array_elements(pictures) AS p
         WHERE p->>'outcome' = 'ok'
         ORDER BY (p->>'mal_id')::bigint
        ON CONFLICT (mal_id) DO UPDATE
           SET backdrop = EXCLUDED.backdrop, fetched_at = EXCLUDED.fetched_at, retry_at = NULL;
        -- A failed request is not made again before its back-off: an hour, then twice the last
        -- wait at each failure, a day at most. A picture fetched before is kept meanwhile.
        INSERT INTO tako_cache.tako_jikan_pictures AS t (mal_id, backdrop, fetched_at, retry_at)
        SELECT DISTINCT ON ((p->>'mal_id')::bigint) (p->>'mal_id')::bigint, NULL, now(), now() + interval '1 hour'
          FROM jsonb_array_elements(pictures) AS p
         WHERE p->>'outcome' <> 'ok'
         ORDER BY (p->>'mal_id')::bigint
        ON CONFLICT (mal_id) DO UPDATE
           SET fetched_at = EXCLUDED.fetched_at,
               retry_at = EXCLUDED.fetched_at
                          + least(interval '1 day', greatest(interval '1 hour', 2 * (t.retry_at - t.fetched_at)))
         WHERE t.retry_at IS NOT NULL;
        PERFORM set_config('lock_timeout', previous, true);
    EXCEPTION WHEN lock_not_available THEN
        NULL;
    END;
    INSERT INTO tako_cache.tako_refresh_log
        (cache_key, provider, origin, started_at, finished_at, http_status, outcome, error, attempts)
    SELECT 'jikan:pictures:' || (p->>'mal_id'), 'jikan', origin, now(), clock_timestamp(),
           nullif((p->>'http_status')::integer, 0), p->>'outcome', p->>'error', (p->>'attempts')::integer
      FROM jsonb_array_elements(pictures) AS p
     WHERE p->>'outcome' <> 'ok';
END
$$;
COMMENT ON FUNCTION tako_cache.tako_save_pictures(jsonb, text) IS
    'tako_cache internal: keeps the backdrops a fetch asked for, and when to ask again for those that failed (which it logs)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_save_pictures(jsonb, text) FROM PUBLIC;

-- A Jikan list the refresh worker saved as soon as its answer was in, before the pictures of its
-- anime came, written again with them: only if the row still holds what was saved then (a list
-- saved since is newer and is kept), and without waiting for a locked row beyond 200 ms (the next
-- refresh brings the pictures anyway). Writing the pictures in is not a refresh: refresh_count
-- stays as the save left it.
CREATE FUNCTION tako_cache.tako_fill_backdrops(key text, saved jsonb, filled jsonb)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    previous text := current_setting('lock_timeout');
    written boolean;
BEGIN
    PERFORM set_config('lock_timeout', '200ms', true);
    UPDATE tako_cache.discovery_cache AS c SET data = filled
     WHERE c.cache_key = tako_fill_backdrops.key AND c.data = saved;
    written := FOUND;
    IF written THEN
        -- The trigger counted the write of data as a refresh.
        UPDATE tako_cache.discovery_cache AS c SET refresh_count = c.refresh_count - 1
         WHERE c.cache_key = tako_fill_backdrops.key;
    END IF;
    PERFORM set_config('lock_timeout', previous, true);
    RETURN written;
EXCEPTION WHEN lock_not_available THEN
    RETURN false;
END
$$;
COMMENT ON FUNCTION tako_cache.tako_fill_backdrops(text, jsonb, jsonb) IS
    'tako_cache internal: a Jikan list saved before its pictures, written again with them (if it was not saved again since)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_fill_backdrops(text, jsonb, jsonb) FROM PUBLIC;

CREATE FUNCTION @extschema@.tako_purge_old_entries(days integer DEFAULT 90)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    purged integer;
BEGIN
    IF days IS NULL OR days < 0 THEN
        RAISE EXCEPTION 'days must be zero or more, not %', coalesce(days::text, 'NULL')
            USING ERRCODE = '22023';
    END IF;
    PERFORM tako_cache.tako_flush_hits();  -- a list read a minute ago is not unread
    DELETE FROM tako_cache.discovery_cache AS c
     WHERE c.id IN (SELECT o.id FROM tako_cache.discovery_cache AS o
                     WHERE o.last_accessed < now() - make_interval(days => days)
                     FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS purged = ROW_COUNT;
    RETURN purged;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_purge_old_entries(integer) IS
    'tako_cache: deletes the entries nobody read for a number of days; returns how many';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_purge_old_entries(integer) FROM PUBLIC;

-- Deletes refresh-log rows older than `days` days; returns how many.
CREATE FUNCTION @extschema@.tako_purge_refresh_log(days integer DEFAULT 30)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    purged integer;
BEGIN
    IF days IS NULL OR days < 0 THEN
        RAISE EXCEPTION 'days must be zero or more, not %', coalesce(days::text, 'NULL') USING ERRCODE = '22023';
    END IF;
    DELETE FROM tako_cache.tako_refresh_log WHERE started_at < now() - make_interval(days => days);
    GET DIAGNOSTICS purged = ROW_COUNT;
    RETURN purged;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_purge_refresh_log(integer) IS
    'tako_cache: deletes refresh-log rows older than a number of days';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_purge_refresh_log(integer) FROM PUBLIC;
