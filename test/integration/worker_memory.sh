#!/usr/bin/env bash
# The refresh worker bounds the memory of the responses it has in flight (1.5): a batch fetches at
# most tako_cache.worker_fetch_memory / tako_cache.max_response_bytes lists at once. With room for
# one list, four stale lists are fetched one after the other; with the defaults, together (iTunes's
# rate limit spaces their starts by 200 ms). Seen from the test upstream, which answers each
# request 400 ms late. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
source test/lib/tap.sh
keys="'itunes:charts:ca-album', 'itunes:charts:au-album', 'itunes:charts:es-album', 'itunes:charts:br-album'"

# Seconds between the first and the last of the four requests the worker makes for them.
spread() {
    q -c "SELECT tako_cache.tako_refresh_keys(ARRAY[$keys])" \
      -c "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key IN ($keys)" >/dev/null
    wait_queue
    $ctl reset >/dev/null
    $ctl config '{"latency_ms": 400}' >/dev/null
    q -c "SELECT count(tako_discover(k)) FROM unnest(ARRAY[$keys]) AS k" >/dev/null
    wait_queue
    $ctl requests /itunes/ | python3 -c '
import json, sys
at = sorted(r["at"] for r in json.load(sys.stdin))
print(len(at), round(at[-1] - at[0], 2) if at else -1)'
    $ctl reset >/dev/null
}

q -c "ALTER SYSTEM SET tako_cache.max_response_bytes = '1MB'" \
  -c "ALTER SYSTEM SET tako_cache.worker_fetch_memory = '1MB'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
read -r count seconds <<<"$(spread)"
check '[ "$count" = 4 ] && python3 -c "import sys; sys.exit(0 if $seconds >= 1.1 else 1)"' \
    "room for one response: the worker fetches the 4 stale lists one at a time ($count requests over $seconds s)"
q -c "ALTER SYSTEM RESET tako_cache.max_response_bytes" \
  -c "ALTER SYSTEM RESET tako_cache.worker_fetch_memory" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
read -r count seconds <<<"$(spread)"
check '[ "$count" = 4 ] && python3 -c "import sys; sys.exit(0 if $seconds < 1.0 else 1)"' \
    "the defaults (256 MB for 16 MB responses): the worker fetches them together ($count requests over $seconds s)"
echo "1..$n"
