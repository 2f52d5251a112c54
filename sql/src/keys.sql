-- tako_cache: cache keys: building, parsing and checking them, and the items a key's provider gives (the
-- key functions come first: discovery_cache's generated columns call tako_key_info).
-- Part of the current install script (see sql/src/README.md).

-- Keys, implemented in C++ (src/core/key.cpp)

-- The seed's generateCacheKey: parts joined in order, NULL/empty parts and sfw 'all' left out,
-- then validated and returned in canonical form (defaults filled).
CREATE FUNCTION @extschema@.tako_cache_key(
    provider text, endpoint text, category text DEFAULT NULL, period text DEFAULT NULL,
    type text DEFAULT NULL, filter text DEFAULT NULL, day text DEFAULT NULL, sfw text DEFAULT NULL)
RETURNS text
LANGUAGE c IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_cache_key';
COMMENT ON FUNCTION @extschema@.tako_cache_key(text, text, text, text, text, text, text, text) IS
    'tako_cache: builds a cache key from its parts (the seed''s generateCacheKey), validated and canonical';

-- The canonical form of a key; ERROR 22023 naming the bad part when it is not a valid key.
CREATE FUNCTION @extschema@.tako_canonical_key(key text)
RETURNS text
LANGUAGE c IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_canonical_key';
COMMENT ON FUNCTION @extschema@.tako_canonical_key(text) IS
    'tako_cache: the canonical form of a cache key (defaults filled, platform ids sorted); 22023 if invalid';

-- Everything the families table says about a key:
-- {key, provider, endpoint, category, period, params, ttl_seconds, pattern}.
CREATE FUNCTION tako_cache.tako_key_info(key text)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_key_info';
COMMENT ON FUNCTION tako_cache.tako_key_info(text) IS
    'tako_cache: what the families table says of a key, as jsonb (provider, endpoint, params, ttl...)';

CREATE FUNCTION @extschema@.tako_parse_key(
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
CREATE FUNCTION tako_cache.tako_families()
RETURNS TABLE (provider text, endpoint text, pattern text, default_key text, ttl_seconds integer)
LANGUAGE c IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_families';
COMMENT ON FUNCTION tako_cache.tako_families() IS
    'tako_cache: the key families served, with their default keys and TTLs';

-- true when data is an array of Format B items (of `provider`, when given); otherwise
-- ERROR 22023 naming the first bad item and field.
CREATE FUNCTION @extschema@.tako_validate_items(data jsonb, provider text DEFAULT NULL)
RETURNS boolean
LANGUAGE c IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_validate_items';
COMMENT ON FUNCTION @extschema@.tako_validate_items(jsonb, text) IS
    'tako_cache: true when data is an array of Format B items (of a provider); else 22023 naming the item and field';

-- A provider's raw list response → an array of Format B items. Pure.
CREATE FUNCTION @extschema@.tako_normalize(provider text, endpoint text, raw jsonb,
                                           category text DEFAULT NULL)
RETURNS jsonb
LANGUAGE c IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'tako_normalize';
COMMENT ON FUNCTION @extschema@.tako_normalize(text, text, jsonb, text) IS
    'tako_cache: a provider''s raw list response turned into Format B items (pure)';

-- ERROR 22023 unless `key` is a valid key in canonical form (the hint gives that form).
CREATE FUNCTION tako_cache.tako_require_canonical_key(key text)
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
CREATE FUNCTION tako_cache.tako_require_platforms(key text)
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
