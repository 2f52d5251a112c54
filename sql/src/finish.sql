-- tako_cache: the last step of an install. Part of the current install script (see
-- sql/src/README.md).

-- PUBLIC may execute no routine of the extension's schema: the functions it may call live in the
-- schema of CREATE EXTENSION and reach these by OID or as the owner. (Installed into a schema
-- named tako_cache, everything shares that schema and each routine keeps its own grants.)
DO $$
BEGIN
    IF '@extschema@' <> 'tako_cache' THEN
        REVOKE EXECUTE ON ALL ROUTINES IN SCHEMA tako_cache FROM PUBLIC;
    END IF;
END
$$;

-- Jobs a previous install left in pg_cron are brought to this version's procedures (a no-op
-- without pg_cron or without jobs).
SELECT tako_cache.tako_sync_schedule();
