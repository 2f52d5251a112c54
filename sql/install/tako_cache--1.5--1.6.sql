-- tako_cache 1.5 → 1.6: no caller can stall a session that fetches a list itself, nor a writer;
-- what PUBLIC reads of an upstream failure names no address.
--
-- * A session without a refresh worker for it (not preloaded, another database, repeatable read)
--   fetches a list under a single-flight advisory lock whose keys are salted with a secret of the
--   installation (tako_secret, the owner's only) and change every hour: no role can guess them. A
--   miss waits for that lock a second at most, then fetches the list too and serves it unsaved.
-- * Inside a transaction block such a session writes nothing: what it fetched is served, not
--   saved (a saved row would stay locked until the caller ends its transaction).
-- * Every save of a fetched list (worker, pg_cron jobs, tako_refresh*, read-through) waits for a
--   locked row at most three times 150 ms, then leaves the list with the outcome "locked"; the
--   usage counts and Jikan pictures written after a fetch wait 200 ms at most. A save never
--   replaces a list saved after its answer was received (outcome "superseded").
-- * tako_public_error(): an upstream failure as any role may read it (outcome, HTTP status,
--   attempts), in a miss's error, meta.error and discovery_cache.last_error. The whole text stays
--   in tako_refresh_log and the stats' details.
-- * The read-through policy is one pure function in C++ (core/read/read_policy.hpp), asked step
--   by step through tako_read_step(); tako_discover_fill only carries its steps out.
-- * The refresh worker saves each list as soon as its answer is in; a Jikan list is saved before
--   the pictures of its anime, which are written in afterwards (tako_fill_backdrops). A picture
--   whose request failed is asked again only after a back-off (tako_jikan_pictures.retry_at).

\echo Use "ALTER EXTENSION tako_cache UPDATE TO '1.6'" to load this file. \quit

-- A fetch this session makes itself (no refresh worker for it) has its own single flight: an
-- advisory lock whose keys no role can guess (they are salted with a secret of this installation,
-- which only the extension's owner can read, and change every hour), waited for a second at most.
CREATE TABLE @extschema@.tako_secret (
    salt text NOT NULL
);
INSERT INTO @extschema@.tako_secret (salt)
SELECT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
REVOKE ALL ON @extschema@.tako_secret FROM PUBLIC;
COMMENT ON TABLE @extschema@.tako_secret IS
    'tako_cache internal: a secret of this installation (the salt of the single-flight lock keys; not dumped: a restore makes another)';

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

-- What an upstream failure says to any role: the outcome's own words, the HTTP status and the
-- attempts, never the text the transfer or the upstream gave (it can name internal addresses,
-- ports, or quote what the upstream answered). The whole text is in tako_refresh_log and in
-- tako_cache_stats()'s details, for the extension's owner and the roles granted them.
CREATE FUNCTION @extschema@.tako_public_error(outcome text, error text)
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
COMMENT ON FUNCTION @extschema@.tako_public_error(text, text) IS
    'tako_cache internal: an upstream failure as any role may read it (no address or upstream text; those are in the refresh log)';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_public_error(text, text) FROM PUBLIC;

-- Every save of a fetched list bounds its wait for the list's row: another transaction may hold
-- it (a reader's save in a statement that goes on, an administrator's UPDATE). Three waits of
-- 150 ms, then the list is left as it is and the refresh says so (outcome "locked"; the next
-- refresh, or the hourly pass of expired lists, saves it). The worker, the pg_cron jobs,
-- tako_refresh* and read-through all save through here.
-- A save never replaces a list with an older answer: a list saved (by hand, or by another refresh)
-- after this answer was received is kept, and the refresh says so (outcome "superseded", a success:
-- the list is there, newer). Nor does a failure received before that save mark the list failed.
CREATE OR REPLACE FUNCTION @extschema@.tako_apply_fetched(
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
                SELECT c.updated_at INTO saved_at FROM @extschema@.discovery_cache AS c
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
            UPDATE @extschema@.discovery_cache AS c
               SET last_refresh_at = tako_apply_fetched.finished_at, last_refresh_status = 'error',
                   last_error = @extschema@.tako_public_error(tako_apply_fetched.outcome, tako_apply_fetched.error),
                   consecutive_failures = c.consecutive_failures + 1
             WHERE c.cache_key = tako_apply_fetched.cache_key AND c.updated_at <= tako_apply_fetched.finished_at;
            PERFORM set_config('lock_timeout', previous, true);
        EXCEPTION WHEN lock_not_available THEN
            NULL;  -- the refresh log below still records the failure
        END;
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

-- The requests counted today and the Jikan pictures a fetch learned are written after every fetch;
-- a row another transaction holds is not waited for beyond 200 ms: its count stays in shared
-- memory for the next fetch to write, its picture is asked again later.
CREATE OR REPLACE FUNCTION @extschema@.tako_sync_request_usage()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
    previous text := current_setting('lock_timeout');
BEGIN
    PERFORM @extschema@.tako_load_request_usage();
    IF pg_is_in_recovery() OR current_setting('transaction_read_only')::boolean THEN
        RETURN;
    END IF;
    BEGIN
        PERFORM set_config('lock_timeout', '200ms', true);
        INSERT INTO @extschema@.tako_request_usage AS u (provider, day, requests)
        SELECT h.provider, today, h.requests_today FROM @extschema@.tako_provider_health() AS h
         WHERE h.requests_today > 0
           AND NOT EXISTS (SELECT 1 FROM @extschema@.tako_request_usage AS k
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

-- A Jikan picture whose request failed is kept with the time it may be asked again (retry_at):
-- an hour, doubling at each failure up to a day; until then a fetch does not ask for it.
ALTER TABLE @extschema@.tako_jikan_pictures ADD COLUMN retry_at timestamptz;
COMMENT ON COLUMN @extschema@.tako_jikan_pictures.retry_at IS
    'when the pictures request of an anime that failed may be made again (NULL: it did not fail); the wait doubles at each failure, from an hour to a day';

CREATE OR REPLACE FUNCTION @extschema@.tako_known_backdrops()
RETURNS TABLE (mal_id bigint, backdrop text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.mal_id, p.backdrop FROM @extschema@.tako_jikan_pictures AS p
     WHERE p.fetched_at > now() - interval '30 days' AND (p.retry_at IS NULL OR p.retry_at > now())
$$;
COMMENT ON FUNCTION @extschema@.tako_known_backdrops() IS
    'tako_cache internal: the backdrops fetched within 30 days, and the failed ones not to ask again yet (a fetch does not ask for them)';

CREATE OR REPLACE FUNCTION @extschema@.tako_save_pictures(pictures jsonb, origin text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    previous text := current_setting('lock_timeout');
BEGIN
    BEGIN
        PERFORM set_config('lock_timeout', '200ms', true);
        INSERT INTO @extschema@.tako_jikan_pictures AS t (mal_id, backdrop, fetched_at)
        SELECT DISTINCT ON ((p->>'mal_id')::bigint) (p->>'mal_id')::bigint, p->>'url', now()
          FROM jsonb_array_elements(pictures) AS p
         WHERE p->>'outcome' = 'ok'
         ORDER BY (p->>'mal_id')::bigint
        ON CONFLICT (mal_id) DO UPDATE
           SET backdrop = EXCLUDED.backdrop, fetched_at = EXCLUDED.fetched_at, retry_at = NULL;
        -- A failed request is not made again before its back-off: an hour, then twice the last
        -- wait at each failure, a day at most. A picture fetched before is kept meanwhile.
        INSERT INTO @extschema@.tako_jikan_pictures AS t (mal_id, backdrop, fetched_at, retry_at)
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
    INSERT INTO @extschema@.tako_refresh_log
        (cache_key, provider, origin, started_at, finished_at, http_status, outcome, error, attempts)
    SELECT 'jikan:pictures:' || (p->>'mal_id'), 'jikan', origin, now(), clock_timestamp(),
           nullif((p->>'http_status')::integer, 0), p->>'outcome', p->>'error', (p->>'attempts')::integer
      FROM jsonb_array_elements(pictures) AS p
     WHERE p->>'outcome' <> 'ok';
END
$$;
COMMENT ON FUNCTION @extschema@.tako_save_pictures(jsonb, text) IS
    'tako_cache internal: keeps the backdrops a fetch asked for, and when to ask again for those that failed (which it logs)';

-- A Jikan list the refresh worker saved as soon as its answer was in, before the pictures of its
-- anime came, written again with them: only if the row still holds what was saved then (a list
-- saved since is newer and is kept), and without waiting for a locked row beyond 200 ms (the next
-- refresh brings the pictures anyway). Writing the pictures in is not a refresh: refresh_count
-- stays as the save left it.
CREATE FUNCTION @extschema@.tako_fill_backdrops(key text, saved jsonb, filled jsonb)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    previous text := current_setting('lock_timeout');
    written boolean;
BEGIN
    PERFORM set_config('lock_timeout', '200ms', true);
    UPDATE @extschema@.discovery_cache AS c SET data = filled
     WHERE c.cache_key = tako_fill_backdrops.key AND c.data = saved;
    written := FOUND;
    IF written THEN
        -- The trigger counted the write of data as a refresh.
        UPDATE @extschema@.discovery_cache AS c SET refresh_count = c.refresh_count - 1
         WHERE c.cache_key = tako_fill_backdrops.key;
    END IF;
    PERFORM set_config('lock_timeout', previous, true);
    RETURN written;
EXCEPTION WHEN lock_not_available THEN
    RETURN false;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_fill_backdrops(text, jsonb, jsonb) IS
    'tako_cache internal: a Jikan list saved before its pictures, written again with them (if it was not saved again since)';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_fill_backdrops(text, jsonb, jsonb) FROM PUBLIC;

-- The read-through policy (core/read/read_policy.hpp): the next step of a read that is not a fresh
-- hit, from what this session knows and what the read has learned so far (see tako_discover_fill).
CREATE FUNCTION @extschema@.tako_read_step(key text, learned jsonb)
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_read_step';
COMMENT ON FUNCTION @extschema@.tako_read_step(text, jsonb) IS
    'tako_cache internal: the next step of a read-through (the policy of core/read/read_policy.hpp)';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_read_step(text, jsonb) FROM PUBLIC;

-- Read-through: everything but a fresh hit. The policy (core/read/read_policy.hpp, asked through
-- tako_read_step) decides each step; this function carries the steps out: it reads the row,
-- queues a refresh, takes the key's single flight, spends a new key of the hour or fetches as it is
-- told, tells the policy what came of it, and asks again until a step serves or raises.
CREATE OR REPLACE FUNCTION @extschema@.tako_discover_fill(key text)
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
      FROM @extschema@.discovery_cache AS c WHERE c.cache_key = k;
    learned := jsonb_build_object(
        'row', CASE WHEN NOT FOUND THEN 'missing' WHEN entry.expires_at > now() THEN 'fresh' ELSE 'expired' END,
        -- Cached or warm: fetching it spends none of the provider's new keys of the hour.
        'warm', FOUND OR EXISTS (SELECT 1 FROM @extschema@.tako_warm_keys AS w WHERE w.cache_key = k AND w.enabled));
    LOOP
        step := @extschema@.tako_read_step(k, learned);
        failure := step->'failure';
        -- A key nobody asked for yet is fetched only with real platform ids.
        IF NOT checked AND learned->>'row' = 'missing'
           AND step->>'action' NOT IN ('serve_hit', 'serve_stale', 'not_cached') THEN
            PERFORM @extschema@.tako_require_platforms(k);
            checked := true;
        END IF;
        -- The upstream failed, now or a moment ago (then no fetch was made): in words any role may read.
        IF step->>'reason' = 'error' OR step->>'action' = 'raise_error' THEN
            IF result IS NULL THEN
                result := jsonb_build_object('outcome', failure->>'outcome', 'sqlstate', failure->>'sqlstate');
                said := format('%s (%s s ago; not retried before %s)',
                               @extschema@.tako_public_error(failure->>'outcome', failure->>'error'),
                               round(extract(epoch FROM clock_timestamp() - (failure->>'failed_at')::timestamptz)),
                               to_char((failure->>'retry_at')::timestamptz AT TIME ZONE 'UTC', 'HH24:MI:SS "UTC"'));
            ELSE
                said := @extschema@.tako_public_error(result->>'outcome', result->>'error');
            END IF;
        END IF;
        CASE step->>'action'
        WHEN 'serve_hit', 'serve_stale' THEN
            IF (step->>'count_hit')::boolean THEN
                PERFORM @extschema@.tako_count_hit(k);
            END IF;
            RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at, entry.expires_at,
                true, step->>'action' = 'serve_stale',
                CASE step->>'reason'
                WHEN 'failure' THEN
                    CASE WHEN failure IS NOT NULL
                         THEN format('%s: %s', failure->>'outcome',
                                     @extschema@.tako_public_error(failure->>'outcome', failure->>'error'))
                         ELSE format('circuit_open: %s is paused after repeated failures until %s', split_part(k, ':', 1),
                                     to_char((step->>'paused_until')::timestamptz AT TIME ZONE 'UTC',
                                             'YYYY-MM-DD HH24:MI:SS "UTC"')) END
                WHEN 'in_block' THEN 'not refreshed inside a transaction block without the refresh worker'
                WHEN 'flight_busy' THEN 'being refreshed by another session'
                WHEN 'error' THEN format('%s: %s', result->>'outcome', said)
                END);
        WHEN 'not_cached' THEN
            RETURN @extschema@.tako_envelope(k, NULL, NULL, NULL, NULL, false, false,
                                             'not in the cache (tako_cache.mode is db_only)');
        WHEN 'bypass' THEN
            -- The cache is disabled: fetched, served, nothing saved.
            SELECT * INTO fetched FROM @extschema@.tako_fetch_lists(ARRAY[k], 'discover');
            IF fetched.outcome <> 'ok' THEN
                RAISE EXCEPTION USING ERRCODE = fetched.sqlstate,
                    MESSAGE = format('upstream request for %s failed (%s): %s', k, fetched.outcome,
                                     @extschema@.tako_public_error(fetched.outcome, fetched.error));
            END IF;
            RETURN @extschema@.tako_envelope(k, fetched.items, fetched.upstream, fetched.finished_at, NULL,
                                             false, false);
        WHEN 'queue_refresh' THEN
            -- Refreshed by the worker when this transaction commits; false without a worker.
            learned := learned || jsonb_build_object('queue',
                CASE WHEN @extschema@.tako_queue_refresh(k, 'stale') THEN 'queued' ELSE 'refused' END);
        WHEN 'take_flight' THEN
            learned := learned || jsonb_build_object('flight',
                CASE WHEN @extschema@.tako_flight_lock(k, (step->>'wait_ms')::integer) THEN 'held' ELSE 'busy' END);
        WHEN 'reread' THEN
            -- A new snapshot: what the session that held the single flight saved.
            SELECT c.data, c.upstream, c.updated_at, c.expires_at INTO entry
              FROM @extschema@.discovery_cache AS c WHERE c.cache_key = k;
            learned := learned || jsonb_build_object('reread', true,
                'row', CASE WHEN NOT FOUND THEN 'missing' WHEN entry.expires_at > now() THEN 'fresh' ELSE 'expired' END);
        WHEN 'take_new_key' THEN
            learned := learned || jsonb_build_object('budget',
                CASE WHEN @extschema@.tako_take_new_key(split_part(k, ':', 1)) THEN 'granted' ELSE 'refused' END);
        WHEN 'fetch' THEN
            IF step->>'fetcher' = 'worker' THEN
                -- One request per key however many callers wait for it, logged in the worker's own
                -- transactions whatever happens to this statement; it spends the new key itself.
                result := @extschema@.tako_worker_fetch(k, NOT (learned->>'warm')::boolean);
                IF result IS NULL THEN
                    learned := learned || jsonb_build_object('worker_declined', true);
                    CONTINUE;
                END IF;
            ELSE
                SELECT * INTO fetched FROM @extschema@.tako_fetch_lists(ARRAY[k], 'discover');
                IF step->>'fetcher' = 'session_unsaved' THEN
                    -- Served, not saved (nor logged): in a transaction block nothing written stays
                    -- locked after this statement; another session holds the key's single flight.
                    result := jsonb_build_object('status', CASE WHEN fetched.outcome = 'ok' THEN 'ok' ELSE 'error' END,
                                                 'outcome', CASE WHEN fetched.outcome = 'ok' THEN 'unsaved' ELSE fetched.outcome END,
                                                 'error', fetched.error, 'sqlstate', fetched.sqlstate);
                ELSE
                    result := @extschema@.tako_apply_fetched(
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
              FROM @extschema@.discovery_cache AS c WHERE c.cache_key = k;
            RETURN @extschema@.tako_envelope(k, entry.data, entry.upstream, entry.updated_at,
                                             entry.expires_at, coalesce((result->>'joined')::boolean, false), false);
        WHEN 'serve_fetched' THEN
            RETURN @extschema@.tako_envelope(k, fetched.items, fetched.upstream, fetched.finished_at,
                                             NULL, false, false);
        WHEN 'refuse_budget' THEN
            RAISE EXCEPTION 'new-key budget spent: % may not fetch more keys it has not cached this hour', split_part(k, ':', 1)
                USING ERRCODE = 'TK429',
                      DETAIL = format('%s is neither cached nor a warm key; read-through fetches at most %s such keys '
                                      'per hour and provider (tako_cache.new_keys_per_hour).',
                                      k, current_setting('tako_cache.new_keys_per_hour')),
                      HINT = 'Retry later, or add the key to tako_warm_keys.';
        ELSE  -- raise_error
            RAISE EXCEPTION USING ERRCODE = result->>'sqlstate',
                MESSAGE = format('upstream request for %s failed (%s): %s', k, result->>'outcome', said);
        END CASE;
    END LOOP;
END
$$;
