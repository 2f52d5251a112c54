-- tako_cache: the read path: a hit (tako_get_cached, tako_discover and Tako's envelope), the hits counted
-- in shared memory and flushed, and what a miss or a stale read does (tako_discover_fill).
-- Part of the current install script (see sql/src/README.md).

-- Cache functions

-- The items of a fresh entry as JSON text, NULL on a miss or an expired entry; counts the hit once
-- without writing a row (shared memory; see tako_flush_hits). json, not jsonb: the same text, and
-- node-postgres parses both alike, but jsonb output would cost a hit ~4x (BENCHMARKS.md). One
-- index probe under the caller's snapshot: works on a hot standby. The one function without a
-- pinned search_path: it resolves no name (the table is found by OID in the function's own
-- schema), and the SET clause's per-call save/restore would cost a hit ~15%.
CREATE FUNCTION @extschema@.tako_get_cached(key text)
RETURNS json
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'tako_get_cached';
COMMENT ON FUNCTION @extschema@.tako_get_cached(text) IS
    'tako_cache: the items of a fresh entry as json (NULL on a miss or expired); the hit is counted in shared memory';

-- Read-through: what the Tako routes call

-- Counts a hit of `key` (tako_discover's), like tako_get_cached: in shared memory.
CREATE FUNCTION @extschema@.tako_count_hit(key text)
RETURNS void
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_count_hit';
COMMENT ON FUNCTION @extschema@.tako_count_hit(text) IS
    'tako_cache internal: counts one hit of a key in shared memory';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_count_hit(text) FROM PUBLIC;

-- Hits counted in shared memory and not yet added to discovery_cache, for this database. With
-- take, they are subtracted from shared memory when the calling transaction commits.
CREATE FUNCTION @extschema@.tako_pending_hits(take boolean DEFAULT false)
RETURNS TABLE (cache_key text, hits bigint, last_access timestamptz)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_pending_hits';
COMMENT ON FUNCTION @extschema@.tako_pending_hits(boolean) IS
    'tako_cache: the hits counted in shared memory and not yet added to discovery_cache';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_pending_hits(boolean) FROM PUBLIC;

-- Writers that never deadlock: batch refreshes lock their rows in key order, the purge and the
-- hit flush never wait for a row another session holds (it is being refreshed: neither stale nor
-- in need of its count right now).

-- The hits still pending in shared memory, except those of except_keys.
CREATE FUNCTION @extschema@.tako_pending_hits(take boolean, except_keys text[])
RETURNS TABLE (cache_key text, hits bigint, last_access timestamptz)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_pending_hits';
COMMENT ON FUNCTION @extschema@.tako_pending_hits(boolean, text[]) IS
    'tako_cache internal: the pending hits except some keys (what tako_flush_hits takes)';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_pending_hits(boolean, text[]) FROM PUBLIC;

CREATE FUNCTION @extschema@.tako_flush_hits()
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
COMMENT ON FUNCTION @extschema@.tako_flush_hits() IS
    'tako_cache: adds the hits counted in shared memory to fetch_count and last_accessed (every minute from pg_cron)';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_flush_hits() FROM PUBLIC;

-- Tako's response envelope for `key` around `items` (NULL: a miss, success false).
CREATE FUNCTION @extschema@.tako_envelope(key text, items jsonb, upstream jsonb, saved_at timestamptz,
                                          expires_at timestamptz, cached boolean, stale boolean,
                                          error text DEFAULT NULL)
RETURNS json
LANGUAGE c STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_envelope';
COMMENT ON FUNCTION @extschema@.tako_envelope(text, jsonb, jsonb, timestamptz, timestamptz, boolean, boolean, text) IS
    'tako_cache: the Tako route''s response envelope of a key around its items (what tako_discover returns)';

-- The read-through the Tako routes call: Tako's envelope for `key`, as json text. A fresh hit is
-- one index probe under the caller's snapshot, the envelope rendered once per row version and
-- backend, the hit counted in shared memory (works on a hot standby); anything else is
-- tako_discover_fill's, which runs as the extension's owner. No SECURITY DEFINER or SET clause
-- here: they would cost every hit their save and restore; this C function resolves no name (the
-- table and tako_discover_fill are found by OID in its own schema) and runs no SQL on a hit.
CREATE FUNCTION @extschema@.tako_discover(key text)
RETURNS json
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'tako_discover';
COMMENT ON FUNCTION @extschema@.tako_discover(text) IS
    'tako_cache: the read-through a Tako route calls; returns the route''s JSON envelope (fresh hits served from a per-backend rendering)';

-- Read-through: the single flight of a session that fetches for itself, and nothing written in
-- the caller's transaction block
CREATE FUNCTION @extschema@.tako_discover_fill(key text)
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
    serves boolean;
    worker boolean;
    in_block boolean;
    unsaved boolean;
    said text;
BEGIN
    IF NOT current_setting('tako_cache.enabled')::boolean THEN
        PERFORM @extschema@.tako_require_platforms(k);
        SELECT * INTO fetched FROM @extschema@.tako_fetch_lists(ARRAY[k], 'discover');
        IF fetched.outcome <> 'ok' THEN
            RAISE EXCEPTION USING ERRCODE = fetched.sqlstate,
                MESSAGE = format('upstream request for %s failed (%s): %s', k, fetched.outcome,
                                 @extschema@.tako_public_error(fetched.outcome, fetched.error));
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

    -- The refresh worker fetches for this session unless its snapshot could not see what the
    -- worker saves; otherwise the session fetches the list itself.
    serves := coalesce((@extschema@.tako_queue_stats()->>'serves_this_database')::boolean, false);
    worker := serves AND current_setting('transaction_isolation') NOT IN ('repeatable read', 'serializable');
    in_block := @extschema@.tako_in_transaction_block();
    unsaved := in_block;

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
            stale_reason := CASE WHEN FOUND THEN format('%s: %s', failure.outcome,
                                                        @extschema@.tako_public_error(failure.outcome, failure.error)) END;
            served_stale := CASE WHEN stale_reason IS NULL THEN @extschema@.tako_queue_refresh(k, 'stale')
                                 ELSE (@extschema@.tako_queue_stats()->>'serves_this_database')::boolean END;
            IF served_stale THEN
                PERFORM @extschema@.tako_count_hit(k);
                RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at,
                                                 entry.expires_at, true, true, stale_reason);
            END IF;
        END IF;
        IF NOT worker THEN
            -- This session fetches the list itself.
            IF in_block AND have THEN
                -- Its save would hold the row's lock until the caller ends its transaction: the
                -- list is served stale; a read outside a transaction block, or the hourly pass of
                -- expired lists, refreshes it.
                PERFORM @extschema@.tako_count_hit(k);
                RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at,
                                                 entry.expires_at, true, true,
                                                 'not refreshed inside a transaction block without the refresh worker');
            END IF;
            IF have AND NOT in_block THEN
                -- One session at a time per key; the others get the list stale.
                IF NOT @extschema@.tako_flight_lock(k, 0) THEN
                    PERFORM @extschema@.tako_count_hit(k);
                    RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at,
                                                     entry.expires_at, true, true,
                                                     'being refreshed by another session');
                END IF;
            ELSIF NOT in_block THEN
                -- A miss: the callers of the key wait for the one that fetches it, a second at
                -- most (then they fetch it too, and serve it without saving it: the session that
                -- holds the lock saves it).
                unsaved := NOT @extschema@.tako_flight_lock(k, 1000);
                IF NOT unsaved THEN
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
            END IF;
        END IF;
        -- A key that just failed is not fetched again for a minute.
        SELECT f.outcome, f.error, f.failed_at, f.sqlstate INTO failure
          FROM @extschema@.tako_recent_failure(k, 60000) AS f;
        IF FOUND THEN
            result := jsonb_build_object('outcome', failure.outcome, 'sqlstate', failure.sqlstate, 'public', true,
                'error', format('%s (%s s ago; not retried before %s)',
                                @extschema@.tako_public_error(failure.outcome, failure.error),
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
        IF worker OR NOT serves THEN
            -- Without a worker for this database, NULL (and a WARNING, once per session, says why).
            result := @extschema@.tako_worker_fetch(k, NOT warm);
        END IF;
        IF result IS NULL AND (warm OR @extschema@.tako_take_new_key(split_part(k, ':', 1))) THEN
            SELECT * INTO fetched FROM @extschema@.tako_fetch_lists(ARRAY[k], 'discover');
            IF unsaved THEN
                -- Served, not saved (nor logged): in a transaction block nothing written stays
                -- locked after this statement; another session holds the key's single flight.
                result := jsonb_build_object('status', CASE WHEN fetched.outcome = 'ok' THEN 'ok' ELSE 'error' END,
                                             'outcome', fetched.outcome, 'error', fetched.error,
                                             'sqlstate', fetched.sqlstate);
            ELSE
                result := @extschema@.tako_apply_fetched(
                    fetched.cache_key, fetched.provider, fetched.outcome, fetched.http_status, fetched.items,
                    fetched.error, fetched.bytes, fetched.attempts, fetched.started_at, fetched.finished_at,
                    fetched.sqlstate, 'discover', upstream => fetched.upstream);
            END IF;
            IF fetched.outcome = 'ok' AND (unsaved OR result->>'outcome' = 'locked') THEN
                RETURN @extschema@.tako_envelope(k, fetched.items, fetched.upstream, fetched.finished_at,
                                                 NULL, false, false);
            END IF;
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
    -- The upstream failed, now or a moment ago: stale-if-error, or the error (in words any role
    -- may read).
    said := CASE WHEN result ? 'public' THEN result->>'error'
                 ELSE @extschema@.tako_public_error(result->>'outcome', result->>'error') END;
    IF have THEN
        PERFORM @extschema@.tako_count_hit(k);
        RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at, entry.expires_at,
                                         true, true, format('%s: %s', result->>'outcome', said));
    END IF;
    RAISE EXCEPTION USING ERRCODE = result->>'sqlstate',
        MESSAGE = format('upstream request for %s failed (%s): %s', k, result->>'outcome', said);
END
$$;
COMMENT ON FUNCTION @extschema@.tako_discover_fill(text) IS
    'tako_cache internal: tako_discover beyond a fresh hit (fetch, single flight, stale-if-error, modes)';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_discover_fill(text) FROM PUBLIC;

CREATE FUNCTION @extschema@.tako_in_transaction_block()
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_in_transaction_block';
COMMENT ON FUNCTION @extschema@.tako_in_transaction_block() IS
    'tako_cache internal: whether the statement runs in a transaction block (a save there would hold its row lock until the caller ends it)';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_in_transaction_block() FROM PUBLIC;

CREATE FUNCTION @extschema@.tako_flight_lock(key text, wait_ms integer)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    salt text := (SELECT s.salt FROM @extschema@.tako_secret AS s LIMIT 1);
    -- The keys change every hour: a key seen in pg_locks is of no use for long.
    space integer := hashtext(salt || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24'));
    id integer := hashtext(salt || key);
    previous text := current_setting('lock_timeout');
BEGIN
    IF wait_ms <= 0 THEN
        RETURN pg_try_advisory_xact_lock(space, id);
    END IF;
    PERFORM set_config('lock_timeout', wait_ms || 'ms', true);
    BEGIN
        PERFORM pg_advisory_xact_lock(space, id);
    EXCEPTION WHEN lock_not_available THEN
        PERFORM set_config('lock_timeout', previous, true);
        RETURN false;
    END;
    PERFORM set_config('lock_timeout', previous, true);
    RETURN true;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_flight_lock(text, integer) IS
    'tako_cache internal: the single-flight lock of a key this session fetches itself, held to the end of the transaction; waits at most wait_ms (0: does not wait); false when not taken';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_flight_lock(text, integer) FROM PUBLIC;
