-- tako_cache: the extension's own schema. Part of the current install script (see
-- sql/src/README.md).
--
-- The tables, sequences and internal routines live in the schema tako_cache, which the extension
-- creates and owns (DROP EXTENSION drops it). The schema named by CREATE EXTENSION ... SCHEMA (by
-- default the first of search_path, usually public) receives only the user-facing functions, so
-- the extension installs beside the Tako API's own public.discovery_cache (docs/schema.md).
-- PUBLIC has no privilege on tako_cache: the read functions it may call reach the table by OID
-- (C) or run as the extension's owner.
--
-- Installed into a schema named tako_cache (CREATE SCHEMA tako_cache; CREATE EXTENSION tako_cache
-- SCHEMA tako_cache), everything shares that one schema, which stays the user's.
DO $$
BEGIN
    IF '@extschema@' <> 'tako_cache' THEN
        CREATE SCHEMA tako_cache;
        COMMENT ON SCHEMA tako_cache IS
            'tako_cache internal: the discovery cache''s tables and internal routines (the user-facing functions are in the schema of CREATE EXTENSION)';
    END IF;
END
$$;
