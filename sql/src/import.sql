-- tako_cache: importing the lists Tako's own discovery cache holds (tako_import), so switching to
-- tako_cache does not start cold. Part of the current install script (see sql/src/README.md).

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
CREATE FUNCTION @extschema@.tako_import(source regclass)
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
