-- tako_cache 1.1 → 1.2: tako_discover sends the Tako route's envelope, at the speed of a hit.
--
-- * discovery_cache.upstream keeps what the upstream said of a list beside its items (totals, page,
--   season, feed date, when it was fetched), so the envelope can report it on every hit; it is
--   written with the items and kept when a later refresh fails.
-- * discovery_cache.data_version changes with every write of what a hit serves (items, upstream,
--   expiry), from a sequence: the key of every backend's rendered text (no rewrite by VACUUM FULL
--   or CLUSTER, no dump and restore can give another row's version the same number).
-- * tako_discover is C: a fresh hit is one index probe and the envelope rendered once per row
--   version and backend, returned as json; everything else goes to tako_discover_fill.

\echo Use "ALTER EXTENSION tako_cache UPDATE TO '1.2'" to load this file. \quit

CREATE SEQUENCE @extschema@.tako_data_version_seq;
COMMENT ON SEQUENCE @extschema@.tako_data_version_seq IS
    'tako_cache: numbers discovery_cache.data_version (one per write of what a hit serves)';

ALTER TABLE @extschema@.discovery_cache
    ADD COLUMN upstream jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(upstream) = 'object'),
    ADD COLUMN data_version bigint NOT NULL
        DEFAULT pg_catalog.nextval('@extschema@.tako_data_version_seq'::regclass);
-- The default numbered the existing rows; from now on the trigger below numbers every write.
ALTER TABLE @extschema@.discovery_cache ALTER COLUMN data_version DROP DEFAULT;
ALTER SEQUENCE @extschema@.tako_data_version_seq OWNED BY @extschema@.discovery_cache.data_version;

COMMENT ON COLUMN @extschema@.discovery_cache.upstream IS
    'What the upstream said of the list when it was fetched: fetchedAt, and per provider total, page, '
    'totalPages, perPage, hasMore, lang, season, year, updated';
COMMENT ON COLUMN @extschema@.discovery_cache.data_version IS
    'Changes with every write of data, upstream or expires_at (a sequence): what rendered copies are keyed by';

-- A new data_version for every insert and every write of what a hit serves; whatever the writer
-- put there is overwritten (a restore too), so a version is never shared by two row versions.
-- SECURITY DEFINER: whoever may write the table need not be granted the sequence.
CREATE FUNCTION @extschema@.tako_next_data_version()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.data_version := nextval('@extschema@.tako_data_version_seq'::regclass);
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.tako_next_data_version() IS
    'tako_cache trigger: gives a discovery_cache row a new data_version when what a hit serves changes';

CREATE TRIGGER discovery_cache_data_version
    BEFORE INSERT OR UPDATE OF cache_key, data, upstream, expires_at, updated_at
    ON @extschema@.discovery_cache
    FOR EACH ROW EXECUTE FUNCTION @extschema@.tako_next_data_version();

-- tako_fetch_lists also returns what the upstream said of each list.
DROP FUNCTION @extschema@.tako_fetch_lists(text[], text);
CREATE FUNCTION @extschema@.tako_fetch_lists(keys text[], origin text DEFAULT 'manual')
RETURNS TABLE (cache_key text, provider text, outcome text, http_status integer, items jsonb,
               error text, bytes bigint, attempts integer, started_at timestamptz,
               finished_at timestamptz, sqlstate text, upstream jsonb)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_fetch_lists';
COMMENT ON FUNCTION @extschema@.tako_fetch_lists(text[], text) IS
    'tako_cache: fetches and normalizes the lists of keys concurrently under the rate limits; one row per key; writes nothing';

-- tako_save_cached takes the upstream metadata too (NULL: none known, stored as {}).
DROP FUNCTION @extschema@.tako_save_cached(text, text, text, jsonb, text, text, interval);
CREATE FUNCTION @extschema@.tako_save_cached(
    key text, provider text, endpoint text, data jsonb,
    category text DEFAULT NULL, period text DEFAULT NULL, ttl interval DEFAULT NULL,
    upstream jsonb DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    info jsonb := @extschema@.tako_key_info(key);
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
    INSERT INTO @extschema@.discovery_cache AS c (cache_key, data, upstream, expires_at,
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

-- tako_apply_fetched saves the upstream metadata with the items.
DROP FUNCTION @extschema@.tako_apply_fetched(text, text, text, integer, jsonb, text, bigint, integer,
                                             timestamptz, timestamptz, text, text, bigint);
CREATE FUNCTION @extschema@.tako_apply_fetched(
    cache_key text, provider text, outcome text, http_status integer, items jsonb, error text,
    bytes bigint, attempts integer, started_at timestamptz, finished_at timestamptz, error_sqlstate text,
    origin text, log_id bigint DEFAULT NULL, upstream jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    item_count integer;
BEGIN
    IF outcome = 'ok' THEN
        BEGIN
            PERFORM @extschema@.tako_save_cached(cache_key, NULL, NULL, items, upstream => upstream);
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
COMMENT ON FUNCTION @extschema@.tako_apply_fetched(text, text, text, integer, jsonb, text, bigint, integer,
                                                   timestamptz, timestamptz, text, text, bigint, jsonb) IS
    'tako_cache internal: saves one fetched list (or records its failure) and writes its refresh-log row';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_apply_fetched(text, text, text, integer, jsonb, text, bigint, integer,
                                                          timestamptz, timestamptz, text, text, bigint, jsonb)
    FROM PUBLIC;

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
            r.started_at, r.finished_at, r.sqlstate, origin, upstream => r.upstream);
    END LOOP;
    RETURN jsonb_build_object(
        'total', jsonb_array_length(results),
        'succeeded', (SELECT count(*) FROM jsonb_array_elements(results) AS e WHERE e->>'status' = 'ok'),
        'failed', (SELECT count(*) FROM jsonb_array_elements(results) AS e WHERE e->>'status' <> 'ok'),
        'duration_ms', round(extract(epoch FROM clock_timestamp() - begun) * 1000)::bigint,
        'results', results);
END
$$;

CREATE OR REPLACE PROCEDURE @extschema@.tako_refresh_job(keys text[], origin text DEFAULT 'cron')
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
            r.started_at, r.finished_at, r.sqlstate, origin, (announced->>r.cache_key)::bigint,
            r.upstream);
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    END LOOP;
END
$$;

------------------------------------------------------------------------------------------------
-- Read-through: the envelope in C, a fresh hit in C, the rest in tako_discover_fill
------------------------------------------------------------------------------------------------

DROP FUNCTION @extschema@.tako_discover(text);
DROP FUNCTION @extschema@.tako_envelope(text, jsonb, timestamptz, timestamptz, boolean, boolean, text);

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

-- Everything tako_discover does beyond a fresh hit (docs/read-and-refresh.md), in tako_cache.mode:
--   hybrid   a missing or expired entry is fetched once (concurrent callers of a missing key wait
--            for that one fetch; callers of an expired key that is being refreshed get it stale at
--            once), saved and served; if the fetch fails the stale entry is served with
--            meta.stale = true, or the error is raised;
--   api_only always fetched (and saved);
--   db_only  never fetched: a miss is a success:false envelope, an expired entry is served stale.
-- A key that failed less than a minute ago is not fetched again, and providers paused by the
-- circuit breaker are not asked: both serve the stale entry or raise. With tako_cache.enabled off
-- the cache is bypassed (fetched, neither read nor written). On a hot standby: db_only.
-- Called by tako_discover (C, through the function manager, so as the owner): not for PUBLIC.
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
    result jsonb;
BEGIN
    IF NOT current_setting('tako_cache.enabled')::boolean THEN
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

    IF mode = 'hybrid' THEN
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

    IF result IS NULL THEN
        result := @extschema@.tako_refresh_keys(ARRAY[k], 'discover')->'results'->0;
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
COMMENT ON FUNCTION @extschema@.tako_discover_fill(text) IS
    'tako_cache internal: tako_discover beyond a fresh hit (fetch, single flight, stale-if-error, modes)';
REVOKE EXECUTE ON FUNCTION @extschema@.tako_discover_fill(text) FROM PUBLIC;

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

REVOKE EXECUTE ON FUNCTION @extschema@.tako_fetch_lists(text[], text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.tako_next_data_version() FROM PUBLIC;
