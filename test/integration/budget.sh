#!/usr/bin/env bash
# A provider's daily request budget survives a server restart (issue 10): the requests counted
# today are written to tako_cache.tako_request_usage after every fetch and loaded back by the first fetch
# after the restart. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
source test/lib/cluster.sh
used() { q -c "SELECT requests_today FROM tako_cache.tako_provider_health() WHERE provider = 'itunes'"; }

$ctl reset >/dev/null
q -c "SELECT tako_cache.tako_refresh_keys(ARRAY['itunes:charts:fr-album', 'itunes:charts:us-song'])" >/dev/null
before=$(used)
check '[ "${before:-0}" -ge 2 ]' "requests counted today before the restart ($before)"
as_server_user "$PG_BINDIR/pg_ctl" -D "$PGDATA" -m fast -w restart -l "$CLUSTER_LOG" >/dev/null 2>&1
check 'wait_ready' "the server restarted"
check '[ "$(used)" = 0 ]' "... shared memory starts empty"
# A budget of exactly what was used: the first fetch after the restart loads the count, and is refused.
q -c "ALTER SYSTEM SET tako_cache.itunes_daily_requests = $before" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
$ctl reset >/dev/null
outcome=$(q -c "SELECT tako_refresh('itunes:charts:fr-album')->>'outcome'")
check '[ "$outcome" = quota_exhausted ]' "the budget spent before the restart is still spent after it ($outcome)"
check '[ "$(count_requests /itunes/)" = 0 ]' "... nothing was sent"
check '[ "$(used)" = "$before" ]' "... and the count is the one before the restart ($(used))"
q -c "ALTER SYSTEM RESET tako_cache.itunes_daily_requests" -c "SELECT pg_reload_conf()" >/dev/null
echo "1..$n"
