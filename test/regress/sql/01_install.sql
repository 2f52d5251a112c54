-- Installing the extension, and a helper the other files use to show an error's SQLSTATE.
CREATE EXTENSION tako_cache CASCADE;
SELECT extname, extversion, extrelocatable, nspname AS schema
  FROM pg_extension JOIN pg_namespace ON pg_namespace.oid = extnamespace
 WHERE extname = 'tako_cache';

-- Works with the default search_path.
SELECT tako_cache_key('tmdb', 'trending', 'movie', 'week');

-- regress.err(sql): 'ok', or the error's SQLSTATE and message.
CREATE SCHEMA regress;
CREATE FUNCTION regress.err(statement text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS OR query_canceled THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
GRANT USAGE ON SCHEMA regress TO PUBLIC;
-- A Format B item of `provider`/`id`, for saving.
CREATE FUNCTION regress.item(provider text, id text, title text DEFAULT 'A title') RETURNS jsonb
LANGUAGE sql AS $$
    SELECT jsonb_build_object(
        'id', provider || ':' || id, 'type', 'movie', 'source', provider, 'sourceId', id,
        'title', title, 'titleOriginal', NULL, 'description', NULL, 'year', 2020,
        'images', jsonb_build_object('primary', NULL, 'thumbnail', NULL, 'gallery', '[]'::jsonb),
        'urls', jsonb_build_object('source', NULL, 'detail', '/api/x/' || id),
        'details', '{}'::jsonb)
$$;

-- Not relocatable. The schema of CREATE EXTENSION (public) receives only the user-facing functions;
-- the tables, sequences and internal routines live in the schema tako_cache, which the extension
-- owns (docs/schema.md).
ALTER EXTENSION tako_cache SET SCHEMA pg_catalog;
SELECT n.nspname AS schema, c.relname IS NULL AS routine, count(*) AS objects
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'
  LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
  LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
  JOIN pg_namespace n ON n.oid = coalesce(p.pronamespace, c.relnamespace)
 WHERE d.deptype = 'e'
 GROUP BY 1, 2 ORDER BY 1, 2;
SELECT nspname, pg_get_userbyid(nspowner) = current_user AS owned,
       (SELECT e.extname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
         WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e') AS member_of,
       has_schema_privilege('public', n.oid, 'USAGE') AS public_usage
  FROM pg_namespace n WHERE nspname = 'tako_cache';
