-- The SQL API (docs/sql-api.md): signatures, return types, volatility, security, pinned search_path.
BEGIN;
SELECT plan(35);

SELECT has_function('public', 'tako_cache_key',
                    ARRAY['text', 'text', 'text', 'text', 'text', 'text', 'text', 'text']);
SELECT function_returns('public', 'tako_cache_key',
                        ARRAY['text', 'text', 'text', 'text', 'text', 'text', 'text', 'text'], 'text');
SELECT volatility_is('public', 'tako_cache_key',
                     ARRAY['text', 'text', 'text', 'text', 'text', 'text', 'text', 'text'], 'immutable');
SELECT is(tako_cache_key('tmdb', 'trending'), 'tmdb:trending:movie:week',
          'all parts but provider and endpoint default to NULL');

SELECT has_function('public', 'tako_get_cached', ARRAY['text']);
SELECT function_returns('public', 'tako_get_cached', ARRAY['text'], 'json');
SELECT isnt_definer('public', 'tako_get_cached', ARRAY['text'],
                    'tako_get_cached counts hits in shared memory: it needs no owner rights');

SELECT has_function('public', 'tako_save_cached',
                    ARRAY['text', 'text', 'text', 'jsonb', 'text', 'text', 'interval', 'jsonb']);
SELECT function_returns('public', 'tako_save_cached',
                        ARRAY['text', 'text', 'text', 'jsonb', 'text', 'text', 'interval', 'jsonb'], 'boolean');
SELECT is_definer('public', 'tako_save_cached',
                   ARRAY['text', 'text', 'text', 'jsonb', 'text', 'text', 'interval', 'jsonb'],
                   'tako_save_cached runs as the owner: a role granted it needs no grant on the table');

SELECT has_function('public', 'tako_discover_http', ARRAY['text', 'text']);
SELECT function_returns('public', 'tako_discover_http', ARRAY['text', 'text'], 'record');
SELECT isnt_definer('public', 'tako_discover_http', ARRAY['text', 'text'],
                    'tako_discover_http runs as its caller, like tako_discover');

SELECT has_function('public', 'tako_get_expired_entries', ARRAY['integer']);
SELECT function_returns('public', 'tako_get_expired_entries', ARRAY['integer'], 'setof record');
SELECT has_function('public', 'tako_purge_old_entries', ARRAY['integer']);
SELECT function_returns('public', 'tako_purge_old_entries', ARRAY['integer'], 'integer');
SELECT has_function('public', 'tako_cache_stats', ARRAY[]::text[]);
SELECT function_returns('public', 'tako_cache_stats', ARRAY[]::text[], 'jsonb');
SELECT has_function('public', 'tako_parse_key', ARRAY['text']);
SELECT has_function('public', 'tako_validate_items', ARRAY['jsonb', 'text']);
SELECT has_function('public', 'tako_canonical_key', ARRAY['text']);
SELECT has_function('tako_cache', 'tako_key_info', ARRAY['text']);

SELECT is(
    (SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text)
       FROM pg_proc p
       JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
       JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'
      WHERE NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)),
    ARRAY['tako_cache.tako_refresh_job(text[],text)', 'tako_cache.tako_run_hourly_job()',
          'tako_cache.tako_run_slot_job(text,text)', 'tako_discover(text)', 'tako_discover_http(text,text)',
          'tako_get_cached(text)'],
    'every function of the extension pins search_path = pg_catalog, pg_temp, except the C hit paths '
    '(it resolves no name; hitpath.sql shows a planted search_path changes nothing) and the procedures '
    'that COMMIT (PostgreSQL forbids a SET clause there: their body pins it, security.sql checks)');

SELECT is(
    (SELECT array_agg(p.proname::text ORDER BY p.proname)
       FROM pg_proc p
       JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
       JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'
      WHERE p.prosecdef),
    ARRAY['tako_cache_stats_detailed', 'tako_cache_stats_public', 'tako_discover_fill', 'tako_get_expired_entries',
          'tako_import', 'tako_metrics', 'tako_next_data_version', 'tako_parse_key', 'tako_purge_old_entries',
          'tako_purge_refresh_log', 'tako_refresh', 'tako_refresh_all', 'tako_refresh_expired', 'tako_refresh_provider',
          'tako_save_cached', 'tako_schedule_plan', 'tako_schedule_refreshes', 'tako_unschedule_refreshes'],
    'only what must read or write for everyone runs as the owner: the stats and metrics (the detailed ones not '
    'PUBLIC''s), tako_discover''s fill of a miss (not PUBLIC''s to call: tako_discover calls it), the '
    'data_version trigger (writers need no grant on its sequence), PUBLIC''s tako_parse_key and '
    'tako_schedule_plan (what they read is in the extension''s schema, where PUBLIC has no USAGE), and the '
    'administration a role may be granted (refresh, purge, save, schedule, import, the expired list: not '
    'PUBLIC''s)');

SELECT is(
    (SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text)
       FROM pg_proc p
       JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
       JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'
      WHERE p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')),
    ARRAY['tako_cache.tako_count_hit(text)',
          'tako_cache.tako_envelope(text,jsonb,jsonb,timestamp with time zone,timestamp with time zone,boolean,boolean,text)',
          'tako_cache.tako_families()', 'tako_cache.tako_fetch(text)', 'tako_cache.tako_fetch_lists(text[],text)',
          'tako_cache.tako_first_usage_load()', 'tako_cache.tako_hit_stats()', 'tako_cache.tako_in_transaction_block()',
          'tako_cache.tako_key_info(text)', 'tako_cache.tako_metric_counters()', 'tako_cache.tako_pending_hits(boolean)',
          'tako_cache.tako_pending_hits(boolean,text[])', 'tako_cache.tako_provider_health()',
          'tako_cache.tako_queue_refresh(text,text)', 'tako_cache.tako_queue_stats()', 'tako_cache.tako_read_step(text,jsonb)',
          'tako_cache.tako_recent_failure(text,integer)', 'tako_cache.tako_restore_request_usage(text,bigint)',
          'tako_cache.tako_take_new_key(text)', 'tako_cache.tako_worker_fetch(text,boolean)',
          'tako_cache.tako_worker_refresh(text[],text)', 'tako_cache_key(text,text,text,text,text,text,text,text)',
          'tako_cache_stats()', 'tako_canonical_key(text)', 'tako_discover(text)', 'tako_discover_http(text,text)',
          'tako_get_cached(text)', 'tako_normalize(text,text,jsonb,text)', 'tako_validate_items(jsonb,text)'],
    'keys, items, fetching, normalizing, envelopes, the hit paths, the stats'' choice, the read-through policy, '
    'the budgets'' counters and the refresh queue are C++');

SELECT is(tako_get_cached('tmdb:trending:movie:week')::text, NULL, 'a miss is NULL');
SELECT has_function('public', 'tako_discover', ARRAY['text']);
SELECT function_returns('public', 'tako_discover', ARRAY['text'], 'json');
SELECT isnt_definer('public', 'tako_discover', ARRAY['text'],
                    'tako_discover runs as its caller: a fresh hit needs no owner rights');
SELECT is_definer('tako_cache', 'tako_discover_fill', ARRAY['text'],
                  'what tako_discover does beyond a fresh hit runs as the owner');
SELECT has_function('public', 'tako_schedule_refreshes', ARRAY['timestamp with time zone']);
SELECT function_returns('public', 'tako_unschedule_refreshes', ARRAY[]::text[], 'integer');
SELECT is(tako_cache_stats() ? 'byProvider' AND tako_cache_stats() ? 'global', true,
          'stats have Tako''s {global, byProvider} shape');

SELECT is(
    (SELECT array_agg(o ORDER BY o) FROM (
        SELECT p.oid::regprocedure::text AS o FROM pg_proc p
          JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
          JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'
         WHERE obj_description(p.oid, 'pg_proc') IS NULL
        UNION ALL
        SELECT c.oid::regclass::text FROM pg_class c
          JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
          JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'
         WHERE c.relkind IN ('r', 'S') AND obj_description(c.oid, 'pg_class') IS NULL) AS missing),
    NULL, 'every function, procedure, table and sequence of the extension has a COMMENT (what \df+ shows)');

SELECT * FROM finish();
ROLLBACK;
