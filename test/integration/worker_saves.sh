#!/usr/bin/env bash
# The refresh worker saves each list of a batch in a transaction of its own (1.6): a list whose
# save fails loses no other. A trigger planted on the refresh log fails the save of one list of a
# two-list batch; the other list is saved, and the failed one's waiters hear why. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
good=itunes:charts:pe-album
bad=itunes:charts:cl-album
q -c "SELECT tako_cache.tako_refresh_keys(ARRAY['$good', '$bad'])" \
  -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key IN ('$good', '$bad')" \
  -c "CREATE FUNCTION pg_temp_fail_save() RETURNS trigger LANGUAGE plpgsql AS \$\$
      BEGIN RAISE EXCEPTION 'planted failure'; END \$\$" \
  -c "CREATE TRIGGER planted_failure BEFORE UPDATE ON tako_cache.tako_refresh_log FOR EACH ROW
      WHEN (NEW.cache_key = '$bad' AND NEW.outcome <> 'running') EXECUTE FUNCTION pg_temp_fail_save()" >/dev/null
wait_queue
# One transaction: both refreshes are queued at its commit and taken in one batch.
q -c "SELECT count(tako_discover(k)) FROM unnest(ARRAY['$good', '$bad']) AS k" >/dev/null
wait_queue
check '[ "$(q -c "SELECT expires_at > now() FROM tako_cache.discovery_cache WHERE cache_key = '"'$good'"'")" = t ] &&
       [ "$(q -c "SELECT outcome FROM tako_cache.tako_refresh_log WHERE cache_key = '"'$good'"' ORDER BY id DESC LIMIT 1")" = ok ]' \
    "the list whose save went well is saved and logged"
check '[ "$(q -c "SELECT expires_at < now() FROM tako_cache.discovery_cache WHERE cache_key = '"'$bad'"'")" = t ]' \
    "the list whose save failed is left as it was"
check '[ "$(q -c "SELECT outcome FROM tako_cache.tako_refresh_log WHERE cache_key = '"'$bad'"' ORDER BY id DESC LIMIT 1")" = running ]' \
    "... its log row still says running (the worker's next recovery marks it interrupted)"
q -c "DROP TRIGGER planted_failure ON tako_cache.tako_refresh_log" -c "DROP FUNCTION pg_temp_fail_save()" >/dev/null
# Without the trigger the next read's refresh saves it.
q -c "SELECT tako_discover('$bad')" >/dev/null
wait_queue
check '[ "$(q -c "SELECT expires_at > now() FROM tako_cache.discovery_cache WHERE cache_key = '"'$bad'"'")" = t ]' \
    "... and is saved by the next refresh"
echo "1..$n"
