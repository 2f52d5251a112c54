-- tako_cache 1.8 → 1.9: the extension's own schema.
--
-- The tables, sequences and internal routines move into the schema tako_cache, which the extension
-- creates; the schema it was installed in keeps only the user-facing functions (docs/schema.md), so
-- the extension can sit beside the Tako API's own public.discovery_cache. Rows, privileges granted
-- on the tables and the pg_cron jobs are kept (the jobs' commands are rewritten by
-- tako_sync_schedule() at the end). PUBLIC keeps no privilege on the tables: it reads through the
-- functions. tako_parse_key, tako_schedule_plan and tako_get_expired_entries run as the owner, and
-- tako_cache_stats() is C, because what they read is now behind the schema.
--
-- Installed in a schema named tako_cache, 1.8 is already where 1.9 puts it: nothing moves.
--
-- Every routine is then defined again as 1.9 has it (its body names the new schema).

\echo Use "ALTER EXTENSION tako_cache UPDATE TO '1.9'" to load this file. \quit

DO $$
DECLARE
    user_facing text[] := ARRAY['tako_get_cached', 'tako_discover', 'tako_discover_http',
        'tako_cache_key', 'tako_canonical_key', 'tako_parse_key', 'tako_normalize',
        'tako_validate_items', 'tako_cache_stats', 'tako_metrics', 'tako_save_cached',
        'tako_get_expired_entries', 'tako_purge_old_entries', 'tako_purge_refresh_log',
        'tako_import', 'tako_refresh', 'tako_refresh_provider', 'tako_refresh_all',
        'tako_refresh_expired', 'tako_schedule_refreshes', 'tako_unschedule_refreshes',
        'tako_schedule_plan'];
    ext oid := (SELECT e.oid FROM pg_catalog.pg_extension AS e WHERE e.extname = 'tako_cache');
    member record;
BEGIN
    IF '@extschema@' = 'tako_cache' THEN
        RETURN;
    END IF;
    CREATE SCHEMA tako_cache;
    COMMENT ON SCHEMA tako_cache IS
        'tako_cache internal: the discovery cache''s tables and internal routines (the user-facing functions are in the schema of CREATE EXTENSION)';
    -- Tables (their indexes, constraints, triggers and owned sequences move with them), then the
    -- sequences no table owns.
    FOR member IN
        SELECT c.oid::regclass AS name, c.relkind
          FROM pg_catalog.pg_depend AS d
          JOIN pg_catalog.pg_class AS c ON c.oid = d.objid
         WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refclassid = 'pg_catalog.pg_extension'::regclass
           AND d.refobjid = ext AND d.deptype = 'e' AND c.relkind IN ('r', 'S')
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend AS o
                            WHERE o.classid = 'pg_catalog.pg_class'::regclass AND o.objid = c.oid
                              AND o.refclassid = 'pg_catalog.pg_class'::regclass AND o.deptype IN ('a', 'i'))
         ORDER BY c.relkind, c.relname
    LOOP
        EXECUTE format('ALTER %s %s SET SCHEMA tako_cache',
                       CASE member.relkind WHEN 'r' THEN 'TABLE' ELSE 'SEQUENCE' END, member.name);
    END LOOP;
    FOR member IN
        SELECT p.oid::regprocedure AS name
          FROM pg_catalog.pg_depend AS d
          JOIN pg_catalog.pg_proc AS p ON p.oid = d.objid
         WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.refclassid = 'pg_catalog.pg_extension'::regclass
           AND d.refobjid = ext AND d.deptype = 'e' AND p.proname <> ALL (user_facing)
         ORDER BY p.oid
    LOOP
        EXECUTE format('ALTER ROUTINE %s SET SCHEMA tako_cache', member.name);
    END LOOP;
END
$$;

-- PUBLIC reads through tako_get_cached and tako_discover, which reach the table by OID.
REVOKE ALL ON tako_cache.discovery_cache FROM PUBLIC;
REVOKE ALL ON tako_cache.tako_platforms FROM PUBLIC;

-- The seed's generateCacheKey: parts joined in order, NULL/empty parts and sfw 'all' left out,
-- then validated and returned in canonical form (defaults filled).
CREATE OR REPLACE FUNCTION @extschema@.tako_cache_key(
    provider text, endpoint text, category text DEFAULT NULL, period text DEFAULT NULL,
    type text DEFAULT NULL, filter text DEFAULT NULL, day text DEFAULT NULL, sfw text DEFAULT NULL)
RETURNS text
LANGUAGE c IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_cache_key';

COMMENT ON FUNCTION @extschema@.tako_cache_key(text, text, text, text, text, text, text, text) IS
    'tako_cache: builds a cache key from its parts (the seed''s generateCacheKey), validated and canonical';

-- The canonical form of a key; ERROR 22023 naming the bad part when it is not a valid key.
CREATE OR REPLACE FUNCTION @extschema@.tako_canonical_key(key text)
RETURNS text
LANGUAGE c IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_canonical_key';

COMMENT ON FUNCTION @extschema@.tako_canonical_key(text) IS
    'tako_cache: the canonical form of a cache key (defaults filled, platform ids sorted); 22023 if invalid';

-- Everything the families table says about a key:
-- {key, provider, endpoint, category, period, params, ttl_seconds, pattern}.
CREATE OR REPLACE FUNCTION tako_cache.tako_key_info(key text)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_key_info';

COMMENT ON FUNCTION tako_cache.tako_key_info(text) IS
    'tako_cache: what the families table says of a key, as jsonb (provider, endpoint, params, ttl...)';

CREATE OR REPLACE FUNCTION @extschema@.tako_parse_key(
    key text,
    OUT cache_key text, OUT provider text, OUT endpoint text, OUT category text,
    OUT period text, OUT params jsonb, OUT ttl interval)
RETURNS record
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SECURITY DEFINER  -- PUBLIC's: tako_key_info is in the extension's schema, where PUBLIC has no USAGE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT i->>'key', i->>'provider', i->>'endpoint', i->>'category', i->>'period', i->'params',
           make_interval(secs => (i->>'ttl_seconds')::int)
      FROM tako_cache.tako_key_info(key) AS i
$$;

COMMENT ON FUNCTION @extschema@.tako_parse_key(text) IS
    'tako_cache: what the families table says of a key, as a record';

-- The key families served: provider, endpoint, grammar, default key, TTL.
CREATE OR REPLACE FUNCTION tako_cache.tako_families()
RETURNS TABLE (provider text, endpoint text, pattern text, default_key text, ttl_seconds integer)
LANGUAGE c IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_families';

COMMENT ON FUNCTION tako_cache.tako_families() IS
    'tako_cache: the key families served, with their default keys and TTLs';

-- true when data is an array of Format B items (of `provider`, when given); otherwise
-- ERROR 22023 naming the first bad item and field.
CREATE OR REPLACE FUNCTION @extschema@.tako_validate_items(data jsonb, provider text DEFAULT NULL)
RETURNS boolean
LANGUAGE c IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_validate_items';

COMMENT ON FUNCTION @extschema@.tako_validate_items(jsonb, text) IS
    'tako_cache: true when data is an array of Format B items (of a provider); else 22023 naming the item and field';

-- A provider's raw list response → an array of Format B items. Pure.
CREATE OR REPLACE FUNCTION @extschema@.tako_normalize(provider text, endpoint text, raw jsonb,
                                           category text DEFAULT NULL)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_normalize';

COMMENT ON FUNCTION @extschema@.tako_normalize(text, text, jsonb, text) IS
    'tako_cache: a provider''s raw list response turned into Format B items (pure)';

-- ERROR 22023 unless `key` is a valid key in canonical form (the hint gives that form).
CREATE OR REPLACE FUNCTION tako_cache.tako_require_canonical_key(key text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    canonical text := @extschema@.tako_canonical_key(key);
BEGIN
    IF canonical <> key THEN
        RAISE EXCEPTION 'cache key "%" is not in canonical form', key
            USING ERRCODE = '22023', HINT = format('Use "%s".', canonical);
    END IF;
END
$$;

COMMENT ON FUNCTION tako_cache.tako_require_canonical_key(text) IS
    'tako_cache: ERROR 22023 unless a key is valid and in canonical form';

-- ERROR 22023 naming the first platform id of `key` that is not one of its provider's platforms.
CREATE OR REPLACE FUNCTION tako_cache.tako_require_platforms(key text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    info jsonb := tako_cache.tako_key_info(key);
    unknown integer;
BEGIN
    IF coalesce(info->'params'->>'platforms', 'all') = 'all' THEN
        RETURN;
    END IF;
    SELECT i INTO unknown
      FROM unnest(string_to_array(info->'params'->>'platforms', ',')::integer[]) AS i
     WHERE NOT EXISTS (SELECT 1 FROM tako_cache.tako_platforms AS p
                        WHERE p.provider = info->>'provider' AND p.id = i)
     ORDER BY i LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'invalid cache key "%": unknown % platform id %', info->>'key', info->>'provider', unknown
            USING ERRCODE = '22023',
                  HINT = format('The %s platform ids are the rows of tako_cache.tako_platforms.', info->>'provider');
    END IF;
END
$$;

COMMENT ON FUNCTION tako_cache.tako_require_platforms(text) IS
    'tako_cache: ERROR 22023 naming the first platform id of a key that tako_platforms does not list';

-- Checks what any writer (tako_save_cached, a refresh, an admin's UPDATE, a restore) puts in
-- cache_key and data: a canonical key, and an array of Format B items of the key's provider.
CREATE OR REPLACE FUNCTION tako_cache.tako_check_row()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM tako_cache.tako_require_canonical_key(NEW.cache_key);
    PERFORM @extschema@.tako_validate_items(NEW.data, split_part(NEW.cache_key, ':', 1));
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION tako_cache.tako_check_row() IS
    'tako_cache trigger: every write of a list has a canonical key and Format B items of its provider';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_check_row() FROM PUBLIC;

-- Bookkeeping of a write to data: one more refresh, updated now. It fires on UPDATE OF data only,
-- so a hit (fetch_count, last_accessed) never counts as a refresh and a refresh never touches
-- fetch_count (the seed's trigger counted every UPDATE as a fetch).
CREATE OR REPLACE FUNCTION tako_cache.tako_count_refresh()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.refresh_count := OLD.refresh_count + 1;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION tako_cache.tako_count_refresh() IS
    'tako_cache trigger: a write of data counts one refresh and sets updated_at';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_count_refresh() FROM PUBLIC;

-- A new data_version for every insert and every write of what a hit serves; whatever the writer
-- put there is overwritten (a restore too), so a version is never shared by two row versions.
-- SECURITY DEFINER: whoever may write the table need not be granted the sequence.
CREATE OR REPLACE FUNCTION tako_cache.tako_next_data_version()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.data_version := nextval('tako_cache.tako_data_version_seq'::regclass);
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION tako_cache.tako_next_data_version() IS
    'tako_cache trigger: gives a discovery_cache row a new data_version when what a hit serves changes';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_next_data_version() FROM PUBLIC;

-- An application that keeps its own copies of lists can LISTEN tako_cache and drop the key it is
-- told about: every write of a list's items (a save, a refresh, an administrator's UPDATE, a
-- restore) and every deletion sends its key, once per key and transaction.
CREATE OR REPLACE FUNCTION tako_cache.tako_notify_save()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_notify('tako_cache', CASE WHEN TG_OP = 'DELETE' THEN OLD.cache_key ELSE NEW.cache_key END);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION tako_cache.tako_notify_save() IS
    'tako_cache trigger: NOTIFY tako_cache with the key of every list written or deleted';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_notify_save() FROM PUBLIC;

CREATE OR REPLACE FUNCTION tako_cache.tako_warm_keys_upsert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM tako_cache.tako_require_canonical_key(NEW.cache_key);
    PERFORM tako_cache.tako_require_platforms(NEW.cache_key);
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM tako_cache.tako_warm_keys AS w
                                     WHERE w.cache_key = NEW.cache_key) THEN
        UPDATE tako_cache.tako_warm_keys AS w
           SET enabled = NEW.enabled, standard = NEW.standard, added_at = NEW.added_at
         WHERE w.cache_key = NEW.cache_key;
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION tako_cache.tako_warm_keys_upsert() IS
    'tako_cache trigger: warm keys are canonical with real platforms; an INSERT of a known key updates it';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_warm_keys_upsert() FROM PUBLIC;

-- Slots must name real families and times; a slot inserted again updates the existing one (so a
-- pg_dump restores over the pre-filled rows, as for tako_warm_keys).
CREATE OR REPLACE FUNCTION tako_cache.tako_refresh_slots_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    bad text;
BEGIN
    SELECT e INTO bad FROM unnest(NEW.endpoints) AS e
     WHERE NOT EXISTS (SELECT 1 FROM tako_cache.tako_families() AS f
                        WHERE f.provider = NEW.provider AND f.endpoint = e)
     LIMIT 1;
    IF bad IS NOT NULL OR cardinality(NEW.endpoints) = 0 THEN
        RAISE EXCEPTION 'slot %/%: "%" is not an endpoint of provider "%"', NEW.list, NEW.provider,
                        coalesce(bad, ''), NEW.provider
            USING ERRCODE = '22023', HINT = 'SELECT provider, endpoint FROM tako_cache.tako_families() lists them.';
    END IF;
    IF cardinality(NEW.local_times) = 0 OR array_position(NEW.local_times, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'slot %/%: local_times must list at least one time and no NULL', NEW.list, NEW.provider
            USING ERRCODE = '22023';
    END IF;
    IF TG_OP = 'INSERT' AND EXISTS (SELECT 1 FROM tako_cache.tako_refresh_slots AS s
                                     WHERE s.list = NEW.list AND s.provider = NEW.provider) THEN
        UPDATE tako_cache.tako_refresh_slots AS s
           SET endpoints = NEW.endpoints, local_times = NEW.local_times, enabled = NEW.enabled,
               standard = NEW.standard
         WHERE s.list = NEW.list AND s.provider = NEW.provider;
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION tako_cache.tako_refresh_slots_check() IS
    'tako_cache trigger: a refresh slot names a provider''s endpoints and valid local times';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_refresh_slots_check() FROM PUBLIC;

-- An INSERT of a platform that is already there updates it instead, so that restoring a pg_dump
-- (which replays these rows after CREATE EXTENSION has pre-filled the standard ones) keeps the
-- dumped state instead of failing on the primary key.
CREATE OR REPLACE FUNCTION tako_cache.tako_platforms_upsert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM tako_cache.tako_platforms AS p
                WHERE p.provider = NEW.provider AND p.id = NEW.id) THEN
        UPDATE tako_cache.tako_platforms AS p
           SET name = NEW.name, slug = NEW.slug, standard = NEW.standard
         WHERE p.provider = NEW.provider AND p.id = NEW.id;
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION tako_cache.tako_platforms_upsert() IS
    'tako_cache trigger: an INSERT of a known platform updates it (pg_dump restores over the pre-filled rows)';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_platforms_upsert() FROM PUBLIC;

-- The items of a fresh entry as JSON text, NULL on a miss or an expired entry; counts the hit once
-- without writing a row (shared memory; see tako_flush_hits). json, not jsonb: the same text, and
-- node-postgres parses both alike, but jsonb output would cost a hit ~4x (BENCHMARKS.md). One
-- index probe under the caller's snapshot: works on a hot standby. The one function without a
-- pinned search_path: it resolves no name (the table is found through the catalog, in the
-- extension's schema), and the SET clause's per-call save/restore would cost a hit ~15%.
CREATE OR REPLACE FUNCTION @extschema@.tako_get_cached(key text)
RETURNS json
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'tako_get_cached';

COMMENT ON FUNCTION @extschema@.tako_get_cached(text) IS
    'tako_cache: the items of a fresh entry as json (NULL on a miss or expired); the hit is counted in shared memory';

-- Counts a hit of `key` (tako_discover's), like tako_get_cached: in shared memory.
CREATE OR REPLACE FUNCTION tako_cache.tako_count_hit(key text)
RETURNS void
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_count_hit';

COMMENT ON FUNCTION tako_cache.tako_count_hit(text) IS
    'tako_cache internal: counts one hit of a key in shared memory';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_count_hit(text) FROM PUBLIC;

-- Hits counted in shared memory and not yet added to discovery_cache, for this database. With
-- take, they are subtracted from shared memory when the calling transaction commits.
CREATE OR REPLACE FUNCTION tako_cache.tako_pending_hits(take boolean DEFAULT false)
RETURNS TABLE (cache_key text, hits bigint, last_access timestamptz)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_pending_hits';

COMMENT ON FUNCTION tako_cache.tako_pending_hits(boolean) IS
    'tako_cache: the hits counted in shared memory and not yet added to discovery_cache';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_pending_hits(boolean) FROM PUBLIC;

-- The hits still pending in shared memory, except those of except_keys.
CREATE OR REPLACE FUNCTION tako_cache.tako_pending_hits(take boolean, except_keys text[])
RETURNS TABLE (cache_key text, hits bigint, last_access timestamptz)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_pending_hits';

COMMENT ON FUNCTION tako_cache.tako_pending_hits(boolean, text[]) IS
    'tako_cache internal: the pending hits except some keys (what tako_flush_hits takes)';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_pending_hits(boolean, text[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION tako_cache.tako_flush_hits()
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
CREATE OR REPLACE FUNCTION tako_cache.tako_envelope(key text, items jsonb, upstream jsonb, saved_at timestamptz,
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
CREATE OR REPLACE FUNCTION @extschema@.tako_discover(key text)
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
CREATE OR REPLACE FUNCTION @extschema@.tako_discover_http(key text, if_none_match text DEFAULT NULL,
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
CREATE OR REPLACE FUNCTION tako_cache.tako_read_step(key text, learned jsonb)
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
CREATE OR REPLACE FUNCTION tako_cache.tako_discover_fill(key text)
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

CREATE OR REPLACE FUNCTION tako_cache.tako_in_transaction_block()
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_in_transaction_block';

COMMENT ON FUNCTION tako_cache.tako_in_transaction_block() IS
    'tako_cache internal: whether the statement runs in a transaction block (a save there would hold its row lock until the caller ends it)';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_in_transaction_block() FROM PUBLIC;

CREATE OR REPLACE FUNCTION tako_cache.tako_flight_lock(key text, wait_ms integer)
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

-- The raw upstream JSON of a key: one request (IGDB: its token, then the query), no retry,
-- credentials redacted. A failure raises with its SQLSTATE (08xxx, 57014, 22P02, 28000, 55000).
CREATE OR REPLACE FUNCTION tako_cache.tako_fetch(key text)
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_fetch';

COMMENT ON FUNCTION tako_cache.tako_fetch(text) IS
    'tako_cache: the raw upstream JSON of a key (one request, no retry, credentials redacted)';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_fetch(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION tako_cache.tako_fetch_lists(keys text[], origin text DEFAULT 'manual')
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
CREATE OR REPLACE FUNCTION tako_cache.tako_public_error(outcome text, error text)
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

CREATE OR REPLACE FUNCTION @extschema@.tako_save_cached(
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
CREATE OR REPLACE FUNCTION tako_cache.tako_apply_fetched(
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
CREATE OR REPLACE FUNCTION tako_cache.tako_recent_failure(key text, within_ms integer DEFAULT 60000)
RETURNS TABLE (outcome text, error text, failed_at timestamptz, sqlstate text)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_recent_failure';

COMMENT ON FUNCTION tako_cache.tako_recent_failure(text, integer) IS
    'tako_cache internal: a key''s latest failed fetch, if recent (shared memory)';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_recent_failure(text, integer) FROM PUBLIC;

-- One key: {key, status, outcome, http_status, items, attempts, duration_ms, error}.
CREATE OR REPLACE FUNCTION @extschema@.tako_refresh(key text)
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

CREATE OR REPLACE FUNCTION tako_cache.tako_refresh_keys(keys text[], origin text DEFAULT 'manual')
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
CREATE OR REPLACE FUNCTION @extschema@.tako_refresh_expired(max_entries integer DEFAULT 10)
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
CREATE OR REPLACE FUNCTION @extschema@.tako_get_expired_entries(max_entries integer DEFAULT 10)
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
CREATE OR REPLACE FUNCTION tako_cache.tako_provider_keys(provider text, endpoint text DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION @extschema@.tako_refresh_provider(provider text, endpoint text DEFAULT NULL)
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
CREATE OR REPLACE FUNCTION @extschema@.tako_refresh_all()
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
CREATE OR REPLACE FUNCTION tako_cache.tako_mark_interrupted()
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

CREATE OR REPLACE FUNCTION tako_cache.tako_known_backdrops()
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

CREATE OR REPLACE FUNCTION tako_cache.tako_save_pictures(pictures jsonb, origin text)
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
CREATE OR REPLACE FUNCTION tako_cache.tako_fill_backdrops(key text, saved jsonb, filled jsonb)
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

CREATE OR REPLACE FUNCTION @extschema@.tako_purge_old_entries(days integer DEFAULT 90)
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
CREATE OR REPLACE FUNCTION @extschema@.tako_purge_refresh_log(days integer DEFAULT 30)
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

-- Imports the rows of `source`, a table shaped like Tako's discovery_cache (cache_key, data,
-- expires_at; updated_at when it has one). Each row is imported or skipped, with its reason in the
-- refresh log (origin 'import', outcome 'imported' or 'skipped'):
--   * its key is canonicalized (tako_canonical_key): a key that is none of the families is skipped;
--   * its items are data when data is an array, or data's "data" when data is an object holding one
--     (Tako stores some lists inside their envelope: then its "total" is kept as the upstream's), and
--     must be Format B items of the key's provider: Tako's raw Deezer and iTunes answers are not;
--   * two rows of one canonical key: the one saved last is imported, the other skipped;
--   * a key tako_cache already holds is skipped: the cache's list is never replaced by an import;
--   * expires_at is kept (a timestamp without time zone is read in the session's TimeZone): an expired
--     list is imported and served stale until it is refreshed.
-- The source is only read, as the caller: who may not SELECT it may not import it. SECURITY DEFINER
-- so that a role granted EXECUTE needs no grant on the extension's tables (SECURITY.md).
CREATE OR REPLACE FUNCTION @extschema@.tako_import(source regclass)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- The role the caller acts as: SECURITY DEFINER changes current_user, not the session's role.
    caller text := CASE WHEN current_setting('role') = 'none' THEN session_user::text
                        ELSE current_setting('role') END;
    has_updated boolean;
    r record;
    key text;
    info jsonb;
    items jsonb;
    up jsonb;
    reason text;
    done text[] := '{}';
    imported integer := 0;
    skipped integer := 0;
    reasons jsonb := '{}';
BEGIN
    IF source IS NULL THEN
        RAISE EXCEPTION 'source must not be null' USING ERRCODE = '22004';
    END IF;
    IF NOT has_table_privilege(caller, source, 'SELECT') THEN
        RAISE EXCEPTION 'permission denied for table %', source USING ERRCODE = '42501';
    END IF;
    IF source = 'tako_cache.discovery_cache'::regclass THEN
        RAISE EXCEPTION 'cannot import discovery_cache into itself' USING ERRCODE = '22023';
    END IF;
    FOR i IN 1..3 LOOP
        IF NOT EXISTS (SELECT FROM pg_attribute
                        WHERE attrelid = source AND attname = (ARRAY['cache_key', 'data', 'expires_at'])[i]
                          AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION '% has no column %', source, (ARRAY['cache_key', 'data', 'expires_at'])[i]
                USING ERRCODE = '22023',
                      HINT = 'tako_import reads a table shaped like the Tako API''s discovery_cache.';
        END IF;
    END LOOP;
    has_updated := EXISTS (SELECT FROM pg_attribute
                            WHERE attrelid = source AND attname = 'updated_at' AND attnum > 0 AND NOT attisdropped);
    FOR r IN EXECUTE format(
        'SELECT cache_key::text AS cache_key, data::jsonb AS data, expires_at::timestamptz AS expires_at, %s AS updated_at
           FROM %s ORDER BY 4 DESC NULLS LAST, 1',
        CASE WHEN has_updated THEN 'updated_at::timestamptz' ELSE 'NULL::timestamptz' END, source)
    LOOP
        reason := NULL;
        key := NULL;
        items := NULL;
        BEGIN
            key := @extschema@.tako_canonical_key(r.cache_key);
            info := tako_cache.tako_key_info(key);
        EXCEPTION WHEN OTHERS THEN
            reason := 'invalid key: ' || SQLERRM;
        END;
        IF reason IS NULL THEN
            items := CASE
                WHEN jsonb_typeof(r.data) = 'array' THEN r.data
                WHEN jsonb_typeof(r.data) = 'object' AND jsonb_typeof(r.data->'data') = 'array' THEN r.data->'data'
            END;
            IF items IS NULL THEN
                reason := 'no items: data is neither an array nor an object holding a "data" array';
            ELSIF r.expires_at IS NULL THEN
                reason := 'no expires_at';
            ELSIF key = ANY (done) THEN
                reason := 'duplicate: a row saved later has the same canonical key ' || key;
            ELSIF EXISTS (SELECT FROM tako_cache.discovery_cache AS c WHERE c.cache_key = key) THEN
                reason := 'already cached: tako_cache''s list of ' || key || ' is kept';
            END IF;
        END IF;
        IF reason IS NULL THEN
            up := jsonb_strip_nulls(jsonb_build_object(
                'total', CASE WHEN jsonb_typeof(r.data->'total') = 'number' AND jsonb_typeof(r.data) = 'object'
                              THEN r.data->'total' END,
                'fetchedAt', to_char(r.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
            BEGIN
                PERFORM @extschema@.tako_validate_items(items, info->>'provider');
                INSERT INTO tako_cache.discovery_cache (cache_key, data, upstream, expires_at, updated_at,
                                                         last_refresh_at, last_refresh_status)
                VALUES (key, items, up, r.expires_at, coalesce(r.updated_at, now()), now(), 'ok');
            EXCEPTION WHEN OTHERS THEN
                reason := CASE WHEN SQLSTATE = '22023' THEN 'not Format B: ' ELSE 'not saved: ' END || SQLERRM;
            END;
        END IF;
        INSERT INTO tako_cache.tako_refresh_log (cache_key, provider, origin, started_at, finished_at,
                                                  outcome, error, items)
        VALUES (coalesce(key, left(r.cache_key, 255), ''),
                coalesce(info->>'provider', nullif(split_part(r.cache_key, ':', 1), ''), 'unknown'),
                'import', clock_timestamp(), clock_timestamp(),
                CASE WHEN reason IS NULL THEN 'imported' ELSE 'skipped' END, reason,
                CASE WHEN reason IS NULL THEN jsonb_array_length(items) END);
        IF reason IS NULL THEN
            imported := imported + 1;
            done := done || key;
        ELSE
            skipped := skipped + 1;
            reason := split_part(reason, ':', 1);
            reasons := jsonb_set(reasons, ARRAY[reason], to_jsonb(coalesce((reasons->>reason)::int, 0) + 1));
        END IF;
    END LOOP;
    RETURN jsonb_build_object('imported', imported, 'skipped', skipped, 'reasons', reasons);
END
$$;

COMMENT ON FUNCTION @extschema@.tako_import(regclass) IS
    'tako_cache: imports the lists of a table shaped like Tako''s discovery_cache (keys canonicalized, items '
    'checked, expires_at kept); returns {imported, skipped, reasons}, each row''s reason in the refresh log';

REVOKE EXECUTE ON FUNCTION @extschema@.tako_import(regclass) FROM PUBLIC;

-- The queue (shared memory) and the worker's steps
CREATE OR REPLACE FUNCTION tako_cache.tako_queue_refresh(key text, origin text DEFAULT 'queued')
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_queue_refresh';

COMMENT ON FUNCTION tako_cache.tako_queue_refresh(text, text) IS
    'tako_cache: asks the refresh worker to refresh a key when this transaction commits; false when no worker serves this database';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_queue_refresh(text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION tako_cache.tako_queue_stats()
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_queue_stats';

COMMENT ON FUNCTION tako_cache.tako_queue_stats() IS
    'tako_cache: the refresh worker (pid, database, starts) and its queue (pending, in flight, done, failed, refused, last run)';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_queue_stats() FROM PUBLIC;

-- The worker's first step for a key: its 'running' refresh-log row, durable before any request.
CREATE OR REPLACE FUNCTION tako_cache.tako_worker_begin(key text, origin text)
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
CREATE OR REPLACE FUNCTION tako_cache.tako_worker_recover()
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

CREATE OR REPLACE FUNCTION tako_cache.tako_worker_fetch(key text, new_key boolean DEFAULT false)
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_worker_fetch';

COMMENT ON FUNCTION tako_cache.tako_worker_fetch(text, boolean) IS
    'tako_cache internal: has the refresh worker fetch a key now and waits for it, every caller of the key waiting for one request (NULL: no worker for this session); new_key: the request spends one of the provider''s new keys this hour';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_worker_fetch(text, boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION tako_cache.tako_worker_refresh(keys text[], origin text)
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_worker_refresh';

COMMENT ON FUNCTION tako_cache.tako_worker_refresh(text[], text) IS
    'tako_cache internal: has the refresh worker refresh keys for a session that waits (tako_refresh_keys, tako_refresh_job): one result per key, null where the session refreshes it itself; NULL when the worker does not refresh for this session';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_worker_refresh(text[], text) FROM PUBLIC;

-- tako_cache: budgets: the new keys a role may ask for and the requests sent to each provider per day,
-- kept in tako_request_usage across restarts.
-- Part of the current install script (see sql/src/README.md).
CREATE OR REPLACE FUNCTION tako_cache.tako_take_new_key(provider text)
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_take_new_key';

COMMENT ON FUNCTION tako_cache.tako_take_new_key(text) IS
    'tako_cache internal: takes one of the new keys read-through may fetch this hour from a provider; false when none is left';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_take_new_key(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION tako_cache.tako_restore_request_usage(provider text, requests bigint)
RETURNS void
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_restore_request_usage';

COMMENT ON FUNCTION tako_cache.tako_restore_request_usage(text, bigint) IS
    'tako_cache internal: raises a provider''s count of requests today in shared memory (after a restart)';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_restore_request_usage(text, bigint) FROM PUBLIC;

CREATE OR REPLACE FUNCTION tako_cache.tako_first_usage_load()
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_first_usage_load';

COMMENT ON FUNCTION tako_cache.tako_first_usage_load() IS
    'tako_cache internal: true once per server life, for the fetch that loads tako_request_usage';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_first_usage_load() FROM PUBLIC;

-- Before a fetch: only the first call of the server's life loads today's counts (no row is written,
-- so none stays locked while the upstream answers).
CREATE OR REPLACE FUNCTION tako_cache.tako_load_request_usage()
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
CREATE OR REPLACE FUNCTION tako_cache.tako_sync_request_usage()
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

-- Whether the pg_cron the server runs is 1.5 or later: its cron.timezone setting exists (it came
-- with 1.5, as did seconds schedules). A cron.timezone set by hand for 1.4 is a placeholder, which
-- 1.4 ignores and pg_settings does not list.
CREATE OR REPLACE FUNCTION tako_cache.tako_cron_is_1_5()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'cron.timezone')
$$;

COMMENT ON FUNCTION tako_cache.tako_cron_is_1_5() IS
    'tako_cache: whether the server''s pg_cron is 1.5 or later (cron.timezone, seconds schedules)';

-- The time zone pg_cron reads the jobs' times in: cron.timezone on 1.5 and later, GMT on 1.4.
CREATE OR REPLACE FUNCTION tako_cache.tako_cron_timezone()
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
CREATE OR REPLACE FUNCTION tako_cache.tako_cron_time(local time, tz text, cron_tz text, at timestamptz)
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
CREATE OR REPLACE FUNCTION tako_cache.tako_next_run(schedule text, after timestamptz)
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
CREATE OR REPLACE FUNCTION tako_cache.tako_require_pg_cron()
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
CREATE OR REPLACE FUNCTION tako_cache.tako_slot_keys(list text, provider text)
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
CREATE OR REPLACE FUNCTION @extschema@.tako_schedule_plan(at timestamptz DEFAULT now())
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
CREATE OR REPLACE FUNCTION tako_cache.tako_schedule_commands()
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
CREATE OR REPLACE FUNCTION @extschema@.tako_schedule_refreshes(at timestamptz DEFAULT now())
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
CREATE OR REPLACE FUNCTION @extschema@.tako_unschedule_refreshes()
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
CREATE OR REPLACE FUNCTION tako_cache.tako_sync_schedule()
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

CREATE OR REPLACE FUNCTION tako_cache.tako_run_slot(list text, provider text)
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
CREATE OR REPLACE FUNCTION tako_cache.tako_run_hourly()
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

CREATE OR REPLACE PROCEDURE tako_cache.tako_refresh_job(keys text[], origin text DEFAULT 'cron')
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
CREATE OR REPLACE PROCEDURE tako_cache.tako_run_slot_job(list text, provider text)
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
CREATE OR REPLACE PROCEDURE tako_cache.tako_run_hourly_job()
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

-- tako_cache: statistics: what tako_cache_stats() shows the owner and PUBLIC.
-- Part of the current install script (see sql/src/README.md).
CREATE OR REPLACE FUNCTION tako_cache.tako_hit_stats()
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_hit_stats';

COMMENT ON FUNCTION tako_cache.tako_hit_stats() IS
    'tako_cache internal: how hits are counted (shared memory or not), the counters in use, hits skipped or dropped';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_hit_stats() FROM PUBLIC;

CREATE OR REPLACE FUNCTION tako_cache.tako_provider_health()
RETURNS TABLE (provider text, last_success_at timestamptz, last_error_at timestamptz,
               last_error text, consecutive_failures integer, paused_until timestamptz,
               requests_today bigint, daily_budget bigint, read_through_budget bigint,
               new_keys_per_hour integer, new_keys_this_hour bigint)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_provider_health';

COMMENT ON FUNCTION tako_cache.tako_provider_health() IS
    'tako_cache: each provider''s health, circuit breaker, requests today and budgets (NULL: unlimited), from shared memory';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_provider_health() FROM PUBLIC;

-- Everything the stats know, for the extension's owner and the roles granted it.
CREATE OR REPLACE FUNCTION tako_cache.tako_cache_stats_detailed()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    stats jsonb;
    jobs jsonb := '[]';
BEGIN
    -- Exact counts without writing: the hits still pending in shared memory are added to the
    -- table's (a flush would lock rows until the caller's transaction ends).
    WITH entries AS (
        SELECT c.provider, c.endpoint, c.total_results, c.refresh_count, c.updated_at, c.expires_at,
               c.fetch_count + coalesce(p.hits, 0) AS fetch_count,
               greatest(c.last_accessed, p.last_access) AS last_accessed
          FROM tako_cache.discovery_cache AS c
          LEFT JOIN tako_cache.tako_pending_hits(false) AS p ON p.cache_key = c.cache_key)
    SELECT jsonb_build_object(
        'global', (
            SELECT jsonb_build_object(
                'total_entries', count(*),
                'total_items', coalesce(sum(c.total_results), 0),
                'total_fetches', coalesce(sum(c.fetch_count), 0),
                'valid_entries', count(*) FILTER (WHERE c.expires_at > now()),
                'expired_entries', count(*) FILTER (WHERE c.expires_at <= now()),
                'accessed_today', count(*) FILTER (WHERE c.last_accessed > now() - interval '24 hours'))
              FROM entries AS c),
        'byProvider', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'provider', g.provider,
                       'endpoint', g.endpoint,
                       'total_entries', g.total_entries,
                       'total_items', g.total_items,
                       'total_fetches', g.total_fetches,
                       'avg_refreshes', g.avg_refreshes,
                       'oldest_update', g.oldest_update,
                       'latest_update', g.latest_update,
                       'valid_entries', g.valid_entries,
                       'expired_entries', g.expired_entries)
                   ORDER BY g.provider, g.endpoint)
              FROM (SELECT c.provider, c.endpoint,
                           count(*) AS total_entries,
                           sum(c.total_results) AS total_items,
                           sum(c.fetch_count) AS total_fetches,
                           round(avg(c.refresh_count))::integer AS avg_refreshes,
                           min(c.updated_at) AS oldest_update,
                           max(c.updated_at) AS latest_update,
                           count(*) FILTER (WHERE c.expires_at > now()) AS valid_entries,
                           count(*) FILTER (WHERE c.expires_at <= now()) AS expired_entries
                      FROM entries AS c
                     GROUP BY c.provider, c.endpoint) AS g), '[]'::jsonb),
        'providers', (
            SELECT jsonb_agg(jsonb_build_object(
                       'provider', h.provider,
                       'last_success', h.last_success_at,
                       'last_error', h.last_error_at,
                       'last_error_message', h.last_error,
                       'consecutive_failures', h.consecutive_failures,
                       'paused', h.paused_until IS NOT NULL,
                       'paused_until', h.paused_until,
                       'requests_today', h.requests_today,
                       'daily_budget', h.daily_budget,
                       'read_through_budget', h.read_through_budget,
                       'new_keys_per_hour', h.new_keys_per_hour,
                       'new_keys_this_hour', h.new_keys_this_hour)
                   ORDER BY h.provider)
              FROM tako_cache.tako_provider_health() AS h))
      INTO stats;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'jobname', j.jobname,
                   'schedule', j.schedule,
                   'active', j.active,
                   'next_run', tako_cache.tako_next_run(j.schedule, now()),
                   'last_run', r.end_time,
                   'last_status', r.status) ORDER BY j.jobname), '[]')
          INTO jobs
          FROM cron.job AS j
          LEFT JOIN LATERAL (SELECT d.end_time, d.status FROM cron.job_run_details AS d
                              WHERE d.jobid = j.jobid ORDER BY d.runid DESC LIMIT 1) AS r ON true
         WHERE starts_with(j.jobname, 'tako_cache:');
    END IF;
    RETURN stats || jsonb_build_object('queue', tako_cache.tako_queue_stats(), 'jobs', jobs,
                                       'hits', tako_cache.tako_hit_stats());
END
$$;

COMMENT ON FUNCTION tako_cache.tako_cache_stats_detailed() IS
    'tako_cache: the full stats, with the worker''s pid, the last key and error texts (owner, pg_monitor and roles granted it)';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_cache_stats_detailed() FROM PUBLIC;

GRANT EXECUTE ON FUNCTION tako_cache.tako_cache_stats_detailed() TO pg_monitor;

-- What any role may see: counts and states. No process id, database or key named, no error text
-- (an upstream's error can carry addresses and internal detail).
CREATE OR REPLACE FUNCTION tako_cache.tako_cache_stats_public()
RETURNS jsonb
LANGUAGE sql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s - 'providers' - 'queue'
           || jsonb_build_object(
                  'providers', coalesce((SELECT jsonb_agg(p - 'last_error_message')
                                           FROM jsonb_array_elements(s->'providers') AS p), '[]'),
                  'queue', (s->'queue') - 'worker_pid' - 'worker_database' - 'last_key' - 'dropped_database')
      FROM tako_cache.tako_cache_stats_detailed() AS s
$$;

COMMENT ON FUNCTION tako_cache.tako_cache_stats_public() IS
    'tako_cache internal: the stats any role may read (counts and states; what tako_cache_stats() shows PUBLIC)';

-- C: it calls the one the caller may read by OID (PUBLIC has no USAGE on the extension's schema).
CREATE OR REPLACE FUNCTION @extschema@.tako_cache_stats()
RETURNS jsonb
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_cache_stats';

COMMENT ON FUNCTION @extschema@.tako_cache_stats() IS
    'tako_cache: Tako''s /api/cache/stats cache object, plus provider health, budgets, the refresh queue, jobs and hit counting (details for the owner and pg_monitor)';

-- The counters kept in shared memory since the server started (src/pg/shared/metrics.hpp).
CREATE OR REPLACE FUNCTION tako_cache.tako_metric_counters()
RETURNS TABLE (metric text, provider text, label text, le double precision, value double precision)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_metric_counters';

COMMENT ON FUNCTION tako_cache.tako_metric_counters() IS
    'tako_cache internal: the monitoring counters of shared memory since the server started (reads by result, fetches by outcome, the fetches'' durations), per provider';

REVOKE EXECUTE ON FUNCTION tako_cache.tako_metric_counters() FROM PUBLIC;

-- Every metric, named as Prometheus names them: counters end in _total and only grow (until the
-- server restarts), durations are in seconds, times are Unix seconds. `label` is the metric's
-- own label (result, outcome or state), `le` a histogram bucket's upper bound. No key, error text,
-- process id or database is named: a monitoring role learns counts and states only.
CREATE OR REPLACE FUNCTION @extschema@.tako_metrics()
RETURNS TABLE (metric text, provider text, label text, le double precision, value double precision)
LANGUAGE sql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH counters AS (SELECT * FROM tako_cache.tako_metric_counters()),
    health AS (SELECT * FROM tako_cache.tako_provider_health()),
    queue AS (SELECT tako_cache.tako_queue_stats() AS q)
    -- Reads (tako_get_cached, tako_discover): a fresh hit, an expired list served, anything else.
    SELECT CASE c.label WHEN 'hit' THEN 'tako_cache_hits_total'
                        WHEN 'stale' THEN 'tako_cache_stale_serves_total'
                        ELSE 'tako_cache_misses_total' END,
           c.provider, NULL::text, NULL::double precision, c.value
      FROM counters AS c WHERE c.metric = 'reads'
    UNION ALL
    -- Lists fetched from the upstream (refreshes, read-through fetches), by outcome.
    SELECT 'tako_cache_refreshes_total', c.provider, c.label, NULL, c.value
      FROM counters AS c WHERE c.metric = 'fetches'
    UNION ALL
    SELECT 'tako_cache_upstream_request_duration_seconds_' || substr(c.metric, 10), c.provider,
           NULL, c.le, c.value
      FROM counters AS c WHERE c.metric LIKE 'duration\_%'
    UNION ALL
    -- The refresh worker and its queue.
    SELECT 'tako_cache_worker_up', NULL, NULL, NULL,
           CASE WHEN (queue.q->>'serves_this_database')::boolean THEN 1 ELSE 0 END
      FROM queue
    UNION ALL
    SELECT 'tako_cache_queue_depth', NULL, s.state, NULL, (queue.q->>s.state)::double precision
      FROM queue, unnest(ARRAY['pending', 'in_flight']) AS s(state)
    UNION ALL
    SELECT 'tako_cache_queue_refreshes_total', NULL, s.result, NULL, (queue.q->>s.result)::double precision
      FROM queue, unnest(ARRAY['done', 'failed', 'refused']) AS s(result)
    UNION ALL
    -- Providers: circuit breaker, failures, budgets.
    SELECT 'tako_cache_circuit_breaker_open', h.provider, NULL, NULL,
           CASE WHEN h.paused_until IS NOT NULL THEN 1 ELSE 0 END
      FROM health AS h
    UNION ALL
    SELECT 'tako_cache_provider_consecutive_failures', h.provider, NULL, NULL, h.consecutive_failures
      FROM health AS h
    UNION ALL
    SELECT 'tako_cache_provider_last_success_timestamp_seconds', h.provider, NULL, NULL,
           coalesce(extract(epoch FROM h.last_success_at), 0)::double precision
      FROM health AS h
    UNION ALL
    SELECT 'tako_cache_daily_requests', h.provider, NULL, NULL, h.requests_today
      FROM health AS h
    UNION ALL
    SELECT 'tako_cache_daily_request_budget', h.provider, NULL, NULL, h.daily_budget
      FROM health AS h WHERE h.daily_budget IS NOT NULL
    UNION ALL
    SELECT 'tako_cache_new_keys_this_hour', h.provider, NULL, NULL, h.new_keys_this_hour
      FROM health AS h
    UNION ALL
    SELECT 'tako_cache_new_keys_per_hour', h.provider, NULL, NULL, h.new_keys_per_hour
      FROM health AS h
    UNION ALL
    -- The cache's lists, fresh or expired.
    SELECT 'tako_cache_entries', NULL, s.state, NULL,
           count(*) FILTER (WHERE (c.expires_at > now()) = (s.state = 'fresh'))
      FROM unnest(ARRAY['fresh', 'expired']) AS s(state)
      LEFT JOIN tako_cache.discovery_cache AS c ON true
     GROUP BY s.state
$$;

COMMENT ON FUNCTION @extschema@.tako_metrics() IS
    'tako_cache: every monitoring metric, one row per series, named as Prometheus names them (what monitoring/postgres_exporter.yaml reads; pg_monitor and roles granted it)';

REVOKE EXECUTE ON FUNCTION @extschema@.tako_metrics() FROM PUBLIC;

GRANT EXECUTE ON FUNCTION @extschema@.tako_metrics() TO pg_monitor;


-- PUBLIC may execute no routine of the extension's schema (those it may call are in the schema of
-- CREATE EXTENSION).
DO $$
BEGIN
    IF '@extschema@' <> 'tako_cache' THEN
        REVOKE EXECUTE ON ALL ROUTINES IN SCHEMA tako_cache FROM PUBLIC;
    END IF;
END
$$;


-- The pg_cron jobs call the procedures where they now are (a no-op without pg_cron or jobs).
SELECT tako_cache.tako_sync_schedule();
