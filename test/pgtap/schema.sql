-- Schema (docs/schema.md): tables, column types, constraints, indexes, triggers, pg_dump membership.
BEGIN;
SELECT plan(40);

SELECT has_table('tako_cache', 'discovery_cache', 'discovery_cache exists in the extension schema');
SELECT columns_are('tako_cache', 'discovery_cache', ARRAY[
    'id', 'cache_key', 'provider', 'endpoint', 'category', 'period', 'params', 'data',
    'total_results', 'created_at', 'updated_at', 'expires_at', 'last_accessed', 'fetch_count',
    'refresh_count', 'last_refresh_at', 'last_refresh_status', 'last_error', 'consecutive_failures',
    'upstream', 'data_version']);
SELECT col_is_pk('tako_cache', 'discovery_cache', 'id', 'id is the primary key');
SELECT col_type_is('tako_cache', 'discovery_cache', 'cache_key', 'character varying(255)', 'discovery_cache.cache_key is character varying(255)');
SELECT col_not_null('tako_cache', 'discovery_cache', 'cache_key', 'cache_key is NOT NULL');
SELECT col_is_unique('tako_cache', 'discovery_cache', 'cache_key', 'cache_key is UNIQUE');
SELECT col_type_is('tako_cache', 'discovery_cache', 'provider', 'character varying(50)', 'discovery_cache.provider is character varying(50)');
SELECT col_type_is('tako_cache', 'discovery_cache', 'endpoint', 'character varying(50)', 'discovery_cache.endpoint is character varying(50)');
SELECT col_type_is('tako_cache', 'discovery_cache', 'data', 'jsonb', 'discovery_cache.data is jsonb');
SELECT col_not_null('tako_cache', 'discovery_cache', 'data', 'data is NOT NULL');
SELECT col_type_is('tako_cache', 'discovery_cache', 'total_results', 'integer', 'discovery_cache.total_results is integer');
SELECT col_type_is('tako_cache', 'discovery_cache', 'created_at', 'timestamp with time zone', 'discovery_cache.created_at is timestamp with time zone');
SELECT col_type_is('tako_cache', 'discovery_cache', 'updated_at', 'timestamp with time zone', 'discovery_cache.updated_at is timestamp with time zone');
SELECT col_type_is('tako_cache', 'discovery_cache', 'expires_at', 'timestamp with time zone', 'discovery_cache.expires_at is timestamp with time zone');
SELECT col_not_null('tako_cache', 'discovery_cache', 'expires_at', 'expires_at is NOT NULL');
SELECT col_type_is('tako_cache', 'discovery_cache', 'last_accessed', 'timestamp with time zone', 'discovery_cache.last_accessed is timestamp with time zone');
SELECT col_default_is('tako_cache', 'discovery_cache', 'fetch_count', '0', 'fetch_count starts at 0');
SELECT col_default_is('tako_cache', 'discovery_cache', 'refresh_count', '0', 'refresh_count starts at 0');

SELECT is(
    (SELECT count(*)::int
       FROM pg_attribute a
      WHERE a.attrelid IN ('tako_cache.discovery_cache'::regclass, 'tako_cache.tako_refresh_log'::regclass)
        AND a.atttypid = 'timestamp without time zone'::regtype AND NOT a.attisdropped),
    0, 'no timestamp without time zone');

SELECT is(
    (SELECT array_agg(attname::text ORDER BY attname)
       FROM pg_attribute
      WHERE attrelid = 'tako_cache.discovery_cache'::regclass AND attgenerated = 's'),
    ARRAY['category', 'endpoint', 'params', 'period', 'provider', 'total_results'],
    'provider, endpoint, category, period, params follow the key and total_results follows data');

SELECT indexes_are('tako_cache', 'discovery_cache', ARRAY[
    'discovery_cache_pkey', 'discovery_cache_cache_key_key',
    'discovery_cache_provider_endpoint_idx', 'discovery_cache_expires_at_idx',
    'discovery_cache_last_accessed_idx']);
SELECT is(
    (SELECT count(*)::int FROM pg_index i
      WHERE i.indrelid = 'tako_cache.discovery_cache'::regclass
        AND i.indkey[0] = (SELECT attnum FROM pg_attribute
                            WHERE attrelid = 'tako_cache.discovery_cache'::regclass AND attname = 'cache_key')),
    1, 'cache_key has exactly one index: the UNIQUE constraint (the seed''s idx_cache_key was redundant)');
SELECT index_is_unique('tako_cache', 'discovery_cache', 'discovery_cache_cache_key_key');
SELECT is_indexed('tako_cache', 'discovery_cache', ARRAY['provider', 'endpoint'], 'provider, endpoint is indexed');
SELECT is_indexed('tako_cache', 'discovery_cache', ARRAY['expires_at'], 'expires_at is indexed');
SELECT is_indexed('tako_cache', 'discovery_cache', ARRAY['last_accessed'], 'last_accessed is indexed');

SELECT triggers_are('tako_cache', 'discovery_cache',
                    ARRAY['discovery_cache_check_row', 'discovery_cache_count_refresh',
                          'discovery_cache_data_version', 'discovery_cache_notify']);
SELECT trigger_is('tako_cache', 'discovery_cache', 'discovery_cache_count_refresh',
                  'tako_cache', 'tako_count_refresh');
SELECT is(
    (SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'discovery_cache_count_refresh'),
    'CREATE TRIGGER discovery_cache_count_refresh BEFORE UPDATE OF data ON tako_cache.discovery_cache '
    'FOR EACH ROW EXECUTE FUNCTION tako_cache.tako_count_refresh()',
    'the refresh counter fires on writes of data only, never on reads'' bookkeeping');

SELECT has_table('tako_cache', 'tako_refresh_log', 'the refresh log exists');
SELECT columns_are('tako_cache', 'tako_refresh_log', ARRAY[
    'id', 'cache_key', 'provider', 'origin', 'started_at', 'finished_at', 'http_status',
    'outcome', 'error', 'bytes', 'items', 'attempts', 'pid']);
SELECT col_type_is('tako_cache', 'tako_refresh_log', 'started_at', 'timestamp with time zone', 'tako_refresh_log.started_at is timestamp with time zone');
SELECT is_indexed('tako_cache', 'tako_refresh_log', ARRAY['started_at'], 'started_at is indexed');

SELECT ok(
    (SELECT 'tako_cache.discovery_cache'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'tako_cache'),
    'pg_dump keeps the rows of tako_cache.discovery_cache');
SELECT ok(
    NOT (SELECT 'tako_cache.tako_refresh_log'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'tako_cache'),
    'the refresh log is operational history, not dumped');
SELECT ok(
    (SELECT 'tako_cache.tako_platforms'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'tako_cache'),
    'pg_dump keeps the platform ids (editable config)');
SELECT ok(
    NOT (SELECT 'tako_cache.tako_request_usage'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'tako_cache'),
    'the request counts are operational, not dumped');
SELECT ok(
    (SELECT 'tako_cache.tako_jikan_pictures'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'tako_cache'),
    'pg_dump keeps the Jikan backdrops (a restored cache does not ask for them again)');
SELECT has_pk('tako_cache', 'tako_jikan_pictures', 'tako_jikan_pictures has a primary key (mal_id)');
SELECT is(
    (SELECT extrelocatable FROM pg_extension WHERE extname = 'tako_cache'), false,
    'the extension is not relocatable after install');

SELECT * FROM finish();
ROLLBACK;
