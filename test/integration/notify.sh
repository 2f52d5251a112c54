#!/usr/bin/env bash
# Every save of a list is announced (issue 11, item 5): a session that LISTENs on tako_cache
# receives the key of each list saved, refreshed, updated by hand or deleted, once the writing
# transaction commits, and nothing from a rolled-back one. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
$ctl reset >/dev/null

# One listening session; the writes run in other sessions (\! psql) between its commands, and psql
# prints the notifications it received after each command.
heard=$(psql -X -q -At 2>&1 <<'SQL'
LISTEN tako_cache;
\! psql -X -q -c "SELECT tako_refresh('deezer:charts:albums')" >/dev/null
SELECT 1;
\! psql -X -q -c "SELECT tako_save_cached('itunes:charts:fr-album', NULL, NULL, data) FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums'" >/dev/null 2>&1
SELECT 2;
\! psql -X -q -c "BEGIN" -c "UPDATE tako_cache.discovery_cache SET data = data WHERE cache_key = 'deezer:charts:albums'" -c "ROLLBACK" >/dev/null
SELECT 3;
\! psql -X -q -c "UPDATE tako_cache.discovery_cache SET fetch_count = fetch_count + 1 WHERE cache_key = 'deezer:charts:albums'" >/dev/null
SELECT 4;
\! psql -X -q -c "DELETE FROM tako_cache.discovery_cache WHERE cache_key = 'deezer:charts:albums'" >/dev/null
SELECT 5;
SQL
)
got() { echo "$heard" | grep -c "notification \"tako_cache\" with payload \"$1\""; }
# Notifications heard between the result lines $1 and $2 of the listening session.
between() { echo "$heard" | sed -n "/^$1\$/,/^$2\$/p" | grep -c 'notification'; }
refreshed=$(got deezer:charts:albums)
check '[ "$refreshed" = 2 ]' "a refresh and a deletion are each heard once ($refreshed)"
first=$(between 1 2)
check '[ "$first" = 1 ]' "... the refresh's right after it committed ($first)"
check '[ "$(got itunes:charts:fr-album)" = 0 ]' "a save that failed (not iTunes items) sends nothing"
quiet=$(between 2 4)
check '[ "$quiet" = 0 ]' "a rolled-back write and a hit count's update send nothing ($quiet)"
echo "1..$n"
