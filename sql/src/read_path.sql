-- tako_cache: the read path: a hit (tako_get_cached, tako_discover and Tako's envelope), the hits counted
-- in shared memory and flushed, and what a miss or a stale read does (tako_discover_fill).
-- Part of the current install script (see sql/src/README.md).

-- Cache functions

-- The items of a fresh entry as JSON text, NULL on a miss or an expired entry; counts the hit once
-- without writing a row (shared memory; see tako_flush_hits). json, not jsonb: the same text, and
-- node-postgres parses both alike, but jsonb output would cost a hit ~4x (BENCHMARKS.md). One
-- index probe under the caller's snapshot: works on a hot standby. The one function without a
-- pinned search_path: it resolves no name (the table is found through the catalog, in the
-- extension's schema), and the SET clause's per-call save/restore would cost a hit ~15%.
CREATE FUNCTION @extschema@.tako_get_cached(key text)
RETURNS json
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'tako_get_cached';
COMMENT ON FUNCTION @extschema@.tako_get_cached(text) IS
    'tako_cache: the items of a fresh entry as json (NULL on a miss or expired); the hit is counted in shared memory';

-- Read-through: what the Tako routes call

-- Counts a hit of `key` (tako_discover's), like tako_get_cached: in shared memory.
CREATE FUNCTION tako_cache.tako_count_hit(key text)
RETURNS void
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_count_hit';
COMMENT ON FUNCTION tako_cache.tako_count_hit(text) IS
    'tako_cache internal: counts one hit of a key in shared memory';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_count_hit(text) FROM PUBLIC;

-- Hits counted in shared memory and not yet added to discovery_cache, for this database. With
-- take, they are subtracted from shared memory when the calling transaction commits.
CREATE FUNCTION tako_cache.tako_pending_hits(take boolean DEFAULT false)
RETURNS TABLE (cache_key text, hits bigint, last_access timestamptz)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_pending_hits';
COMMENT ON FUNCTION tako_cache.tako_pending_hits(boolean) IS
    'tako_cache: the hits counted in shared memory and not yet added to discovery_cache';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_pending_hits(boolean) FROM PUBLIC;

-- Writers that never deadlock: batch refreshes lock their rows in key order, the purge and the
-- hit flush never wait for a row another session holds (it is being refreshed: neither stale nor
-- in need of its count right now).

-- The hits still pending in shared memory, except those of except_keys.
CREATE FUNCTION tako_cache.tako_pending_hits(take boolean, except_keys text[])
RETURNS TABLE (cache_key text, hits bigint, last_access timestamptz)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_pending_hits';
COMMENT ON FUNCTION tako_cache.tako_pending_hits(boolean, text[]) IS
    'tako_cache internal: the pending hits except some keys (what tako_flush_hits takes)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_pending_hits(boolean, text[]) FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_flush_hits()
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
    WITH pending AS (SELECT p.cache_key FROM tako_cache.tako_pending_hits(false) AS p),
    locked AS (SELECT c.cache_key::text AS cache_key FROM tako_cache.discovery_cache AS c
                WHERE c.cache_key IN (SELECT pending.cache_key FROM pending)
                ORDER BY c.cache_key FOR UPDATE SKIP LOCKED)
    SELECT coalesce(array_agg(c.cache_key::text), '{}') INTO busy
      FROM tako_cache.discovery_cache AS c
     WHERE c.cache_key IN (SELECT pending.cache_key FROM pending)
       AND c.cache_key NOT IN (SELECT locked.cache_key FROM locked);
    UPDATE tako_cache.discovery_cache AS c
       SET fetch_count = c.fetch_count + p.hits,
           last_accessed = greatest(c.last_accessed, p.last_access)
      FROM tako_cache.tako_pending_hits(true, busy) AS p
     WHERE c.cache_key = p.cache_key;
    GET DIAGNOSTICS flushed = ROW_COUNT;
    RETURN flushed;
END
$$;
COMMENT ON FUNCTION tako_cache.tako_flush_hits() IS
    'tako_cache: adds the hits counted in shared memory to fetch_count and last_accessed (every minute from pg_cron)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_flush_hits() FROM PUBLIC;

-- Tako's response envelope for `key` around `items` (NULL: a miss, success false).
CREATE FUNCTION tako_cache.tako_envelope(key text, items jsonb, upstream jsonb, saved_at timestamptz,
                                          expires_at timestamptz, cached boolean, stale boolean,
                                          error text DEFAULT NULL)
RETURNS json
LANGUAGE c STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_envelope';
COMMENT ON FUNCTION tako_cache.tako_envelope(text, jsonb, jsonb, timestamptz, timestamptz, boolean, boolean, text) IS
    'tako_cache: the Tako route''s response envelope of a key around its items (what tako_discover returns)';

-- The read-through the Tako routes call: Tako's envelope for `key`, as json text. A fresh hit is
-- one index probe under the caller's snapshot, the envelope rendered once per row version and
-- backend, the hit counted in shared memory (works on a hot standby); anything else is
-- tako_discover_fill's, which runs as the extension's owner. No SECURITY DEFINER or SET clause
-- here: they would cost every hit their save and restore; this C function resolves no name (the
-- table and tako_discover_fill are found through the catalog) and runs no SQL on a hit.
CREATE FUNCTION @extschema@.tako_discover(key text)
RETURNS json
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'tako_discover';
COMMENT ON FUNCTION @extschema@.tako_discover(text) IS
    'tako_cache: the read-through a Tako route calls; returns the route''s JSON envelope (fresh hits served from a per-backend rendering)';

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

-- The read-through policy (core/read/read_policy.hpp): the next step of a read that is not a fresh
-- hit, from what this session knows and what the read has learned so far (see tako_discover_fill).
CREATE FUNCTION tako_cache.tako_read_step(key text, learned jsonb)
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_read_step';
COMMENT ON FUNCTION tako_cache.tako_read_step(text, jsonb) IS
    'tako_cache internal: the next step of a read-through (the policy of core/read/read_policy.hpp)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_read_step(text, jsonb) FROM PUBLIC;

-- Read-through: everything but a fresh hit. The policy (core/read/read_policy.hpp, asked through
-- tako_read_step) decides each step; this function carries the steps out: it reads the row,
-- queues a refresh, takes the key's single flight, spends a new key of the hour or fetches as it is
-- told, tells the policy what came of it, and asks again until a step serves or raises.
CREATE FUNCTION tako_cache.tako_discover_fill(key text)
RETURNS json
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text := @extschema@.tako_canonical_key(key);
    entry record;
    learned jsonb;
    step jsonb;
    fetched record;
    result jsonb;
    failure jsonb;
    said text;
    checked boolean := false;
BEGIN
    SELECT c.data, c.upstream, c.updated_at, c.expires_at INTO entry
      FROM tako_cache.discovery_cache AS c WHERE c.cache_key = k;
    learned := jsonb_build_object(
        'row', CASE WHEN NOT FOUND THEN 'missing' WHEN entry.expires_at > now() THEN 'fresh' ELSE 'expired' END,
        -- Cached or warm: fetching it spends none of the provider's new keys of the hour.
        'warm', FOUND OR EXISTS (SELECT 1 FROM tako_cache.tako_warm_keys AS w WHERE w.cache_key = k AND w.enabled));
    LOOP
        step := tako_cache.tako_read_step(k, learned);
        failure := step->'failure';
        -- A key nobody asked for yet is fetched only with real platform ids.
        IF NOT checked AND learned->>'row' = 'missing'
           AND step->>'action' NOT IN ('serve_hit', 'serve_stale', 'not_cached') THEN
            PERFORM tako_cache.tako_require_platforms(k);
            checked := true;
        END IF;
        -- The upstream failed, now or a moment ago (then no fetch was made): in words any role may read.
        IF step->>'reason' = 'error' OR step->>'action' = 'raise_error' THEN
            IF result IS NULL THEN
                result := jsonb_build_object('outcome', failure->>'outcome', 'sqlstate', failure->>'sqlstate');
                said := format('%s (%s s ago; not retried before %s)',
                               tako_cache.tako_public_error(failure->>'outcome', failure->>'error'),
                               round(extract(epoch FROM clock_timestamp() - (failure->>'failed_at')::timestamptz)),
                               to_char((failure->>'retry_at')::timestamptz AT TIME ZONE 'UTC', 'HH24:MI:SS "UTC"'));
            ELSE
                said := tako_cache.tako_public_error(result->>'outcome', result->>'error');
            END IF;
        END IF;
        CASE step->>'action'
        WHEN 'serve_hit', 'serve_stale' THEN
            IF (step->>'count_hit')::boolean THEN
                PERFORM tako_cache.tako_count_hit(k);
            END IF;
            RETURN tako_cache.tako_envelope(k, entry.data, entry.upstream, entry.updated_at, entry.expires_at,
                true, step->>'action' = 'serve_stale',
                CASE step->>'reason'
                WHEN 'failure' THEN
                    CASE WHEN failure IS NOT NULL
                         THEN format('%s: %s', failure->>'outcome',
                                     tako_cache.tako_public_error(failure->>'outcome', failure->>'error'))
                         ELSE format('circuit_open: %s is paused after repeated failures until %s', split_part(k, ':', 1),
                                     to_char((step->>'paused_until')::timestamptz AT TIME ZONE 'UTC',
                                             'YYYY-MM-DD HH24:MI:SS "UTC"')) END
                WHEN 'in_block' THEN 'not refreshed inside a transaction block without the refresh worker'
                WHEN 'flight_busy' THEN 'being refreshed by another session'
                WHEN 'error' THEN format('%s: %s', result->>'outcome', said)
                END);
        WHEN 'not_cached' THEN
            RETURN tako_cache.tako_envelope(k, NULL, NULL, NULL, NULL, false, false,
                                             'not in the cache (tako_cache.mode is db_only)');
        WHEN 'bypass' THEN
            -- The cache is disabled: fetched, served, nothing saved.
            SELECT * INTO fetched FROM tako_cache.tako_fetch_lists(ARRAY[k], 'discover');
            IF fetched.outcome <> 'ok' THEN
                RAISE EXCEPTION USING ERRCODE = fetched.sqlstate,
                    MESSAGE = format('upstream request for %s failed (%s): %s', k, fetched.outcome,
                                     tako_cache.tako_public_error(fetched.outcome, fetched.error));
            END IF;
            RETURN tako_cache.tako_envelope(k, fetched.items, fetched.upstream, fetched.finished_at, NULL,
                                             false, false);
        WHEN 'queue_refresh' THEN
            -- Refreshed by the worker when this transaction commits; false without a worker.
            learned := learned || jsonb_build_object('queue',
                CASE WHEN tako_cache.tako_queue_refresh(k, 'stale') THEN 'queued' ELSE 'refused' END);
        WHEN 'take_flight' THEN
            learned := learned || jsonb_build_object('flight',
                CASE WHEN tako_cache.tako_flight_lock(k, (step->>'wait_ms')::integer) THEN 'held' ELSE 'busy' END);
        WHEN 'reread' THEN
            -- A new snapshot: what the session that held the single flight saved.
            SELECT c.data, c.upstream, c.updated_at, c.expires_at INTO entry
              FROM tako_cache.discovery_cache AS c WHERE c.cache_key = k;
            learned := learned || jsonb_build_object('reread', true,
                'row', CASE WHEN NOT FOUND THEN 'missing' WHEN entry.expires_at > now() THEN 'fresh' ELSE 'expired' END);
        WHEN 'take_new_key' THEN
            learned := learned || jsonb_build_object('budget',
                CASE WHEN tako_cache.tako_take_new_key(split_part(k, ':', 1)) THEN 'granted' ELSE 'refused' END);
        WHEN 'fetch' THEN
            IF step->>'fetcher' = 'worker' THEN
                -- One request per key however many callers wait for it, logged in the worker's own
                -- transactions whatever happens to this statement; it spends the new key itself.
                result := tako_cache.tako_worker_fetch(k, NOT (learned->>'warm')::boolean);
                IF result IS NULL THEN
                    learned := learned || jsonb_build_object('worker_declined', true);
                    CONTINUE;
                END IF;
            ELSE
                SELECT * INTO fetched FROM tako_cache.tako_fetch_lists(ARRAY[k], 'discover');
                IF step->>'fetcher' = 'session_unsaved' THEN
                    -- Served, not saved (nor logged): in a transaction block nothing written stays
                    -- locked after this statement; another session holds the key's single flight.
                    result := jsonb_build_object('status', CASE WHEN fetched.outcome = 'ok' THEN 'ok' ELSE 'error' END,
                                                 'outcome', CASE WHEN fetched.outcome = 'ok' THEN 'unsaved' ELSE fetched.outcome END,
                                                 'error', fetched.error, 'sqlstate', fetched.sqlstate);
                ELSE
                    result := tako_cache.tako_apply_fetched(
                        fetched.cache_key, fetched.provider, fetched.outcome, fetched.http_status, fetched.items,
                        fetched.error, fetched.bytes, fetched.attempts, fetched.started_at, fetched.finished_at,
                        fetched.sqlstate, 'discover', upstream => fetched.upstream);
                END IF;
            END IF;
            learned := learned || jsonb_build_object('fetched',
                CASE WHEN result->>'outcome' = 'new_key_budget' THEN 'budget_spent'
                     -- A save that waited too long for the row's lock: what was fetched is served.
                     WHEN step->>'fetcher' <> 'worker' AND result->>'outcome' IN ('unsaved', 'locked') THEN 'unsaved'
                     WHEN result->>'status' = 'ok' THEN 'saved'
                     ELSE 'failed' END);
        WHEN 'serve_saved' THEN
            -- Served from the cache (meta.cached) when another caller's request fetched it.
            SELECT c.data, c.upstream, c.updated_at, c.expires_at INTO entry
              FROM tako_cache.discovery_cache AS c WHERE c.cache_key = k;
            RETURN tako_cache.tako_envelope(k, entry.data, entry.upstream, entry.updated_at,
                                             entry.expires_at, coalesce((result->>'joined')::boolean, false), false);
        WHEN 'serve_fetched' THEN
            RETURN tako_cache.tako_envelope(k, fetched.items, fetched.upstream, fetched.finished_at,
                                             NULL, false, false);
        WHEN 'refuse_budget' THEN
            RAISE EXCEPTION 'new-key budget spent: % may not fetch more keys it has not cached this hour', split_part(k, ':', 1)
                USING ERRCODE = 'TK429',
                      DETAIL = format('%s is neither cached nor a warm key; read-through fetches at most %s such keys '
                                      'per hour and provider (tako_cache.new_keys_per_hour).',
                                      k, current_setting('tako_cache.new_keys_per_hour')),
                      HINT = 'Retry later, or add the key to tako_cache.tako_warm_keys.';
        ELSE  -- raise_error
            RAISE EXCEPTION USING ERRCODE = result->>'sqlstate',
                MESSAGE = format('upstream request for %s failed (%s): %s', k, result->>'outcome', said);
        END CASE;
    END LOOP;
END
$$;
COMMENT ON FUNCTION tako_cache.tako_discover_fill(text) IS
    'tako_cache internal: tako_discover beyond a fresh hit (fetch, single flight, stale-if-error, modes)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_discover_fill(text) FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_in_transaction_block()
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_in_transaction_block';
COMMENT ON FUNCTION tako_cache.tako_in_transaction_block() IS
    'tako_cache internal: whether the statement runs in a transaction block (a save there would hold its row lock until the caller ends it)';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_in_transaction_block() FROM PUBLIC;

CREATE FUNCTION tako_cache.tako_flight_lock(key text, wait_ms integer)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    salt text := (SELECT s.salt FROM tako_cache.tako_secret AS s LIMIT 1);
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
COMMENT ON FUNCTION tako_cache.tako_flight_lock(text, integer) IS
    'tako_cache internal: the single-flight lock of a key this session fetches itself, held to the end of the transaction; waits at most wait_ms (0: does not wait); false when not taken';
REVOKE EXECUTE ON FUNCTION tako_cache.tako_flight_lock(text, integer) FROM PUBLIC;
