-- tako_cache: the last step of an install. Part of the current install script (see
-- sql/src/README.md).

-- Jobs a previous install left in pg_cron are brought to this version's procedures (a no-op
-- without pg_cron or without jobs).
SELECT tako_cache.tako_sync_schedule();
