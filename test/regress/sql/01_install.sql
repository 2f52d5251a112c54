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

-- Not relocatable, and every object lives in the extension's schema.
ALTER EXTENSION tako_cache SET SCHEMA pg_catalog;
SELECT count(*) AS objects_outside_public
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'tako_cache'
  JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
 WHERE p.pronamespace <> 'public'::regnamespace;
