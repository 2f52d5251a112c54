#!/usr/bin/env bash
# bench/http/run.sh RESULTS: one hot key (tmdb:trending:movie:week) served end to end over HTTP by
# the Tako API (test/route/app.js, 2 workers under Node's cluster module), three ways:
#   seed   the seed's getCached from Node (SELECT, then the UPDATE of fetch_count not awaited), its
#          envelope built in JS, res.json;
#   tako   the README's route: tako_discover_http(...), the server's JSON text sent as it is;
#   redis  Redis GET, JSON.parse, the same JS envelope, res.json;
#   tako304  the README route asked with the list's ETag in If-None-Match: 304, no list sent (not
#          by PostgreSQL to Node, not by Node to the client).
# Each gets a 2 s warm-up, then wrk for BENCH_HTTP_SECONDS (default 8), 32 connections, 2 threads.
# wrk, Node, PostgreSQL and Redis share the machine (2 cores on ours): the figures compare the
# routes with one another, they are not what a dedicated server would do.
# Appends to RESULTS, per route: rps, p50_ms, p99_ms, errors, bytes_per_response, and the CPU time
# per request of Node (primary and workers), PostgreSQL (the postmaster and all its children) and
# Redis in µs (utime + stime from /proc): "http tako rps 1234".
#
# With PGDATA (and PGHOST, PGPORT, PGUSER, PGDATABASE) of a running cluster with tako_cache, as
# bench/run.sh has, it uses that cluster; without PGDATA it starts its own cluster and the test
# upstream. Either way it fills what is missing: the key, the seed schema, the seed's row, Redis.
set -euo pipefail
results=$(realpath -m "${1:?usage: bench/http/run.sh RESULTS}")
cd "$(dirname "$0")/../.."
source test/lib/deps.sh
source test/lib/cluster.sh
source test/lib/upstream.sh
SECONDS_PER_RUN=${BENCH_HTTP_SECONDS:-8}
KEY=tmdb:trending:movie:week
QUERY='category=movie&period=week'
declare -A ROUTES=([seed]="/bench/seed/tmdb/trending?$QUERY" [tako]="/api/media/tmdb/trending?$QUERY"
                   [redis]="/bench/redis/tmdb/trending?$QUERY" [tako304]="/api/media/tmdb/trending?$QUERY")
ORDER=(seed tako redis tako304)

work=$(mktemp -d /tmp/tako_cache.bench-http.XXXXXX)
chmod 755 "$work"
own_cluster=0 app_pid="" redis_pid=""
cleanup() {
    set +e  # stop everything, whatever fails (a killed process's wait does)
    [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
    [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    if [ "$own_cluster" = 1 ]; then
        cluster_stop
        upstream_stop
    fi
    rm -rf "$work"
}
trap cleanup EXIT

missing=()
for tool in wrk:wrk redis-server:redis-server redis-cli:redis-tools node:nodejs npm:npm jq:jq; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}"
fi
(cd test/route && npm ci --no-audit --no-fund >/dev/null)

if [ -z "${PGDATA:-}" ]; then
    own_cluster=1
    upstream_start "$work/upstream" >/dev/null
    conf=()
    while IFS= read -r line; do conf+=(--conf "$line"); done < <(upstream_conf_lines)
    # bench/run.sh's settings: production durability, so that the seed's UPDATE pays its commit.
    cluster_start bench-http --conf "cron.database_name = 'postgres'" --conf "shared_buffers = 256MB" \
        --conf "max_connections = 60" --conf "fsync = on" --conf "synchronous_commit = on" \
        --conf "full_page_writes = on" "${conf[@]}"
    export PGDATABASE=postgres
    cluster_psql -c "CREATE EXTENSION tako_cache"
fi
sql() { cluster_psql -At -c "$1"; }
[ "$(sql "SELECT count(*) FROM tako_cache.discovery_cache WHERE cache_key = '$KEY' AND expires_at > now()")" = 1 ] ||
    sql "SELECT tako_refresh('$KEY')->>'status'" | grep -qx ok || { echo "could not fill $KEY" >&2; exit 1; }
[ "$(sql "SELECT to_regnamespace('seed') IS NOT NULL")" = t ] || cluster_psql -f bench/seed_schema.sql >/dev/null
sql "INSERT INTO seed.discovery_cache (cache_key, provider, endpoint, category, period, data, total_results, expires_at)
     SELECT cache_key, provider, endpoint, category, period, data, total_results, now() + interval '1 day'
       FROM tako_cache.discovery_cache WHERE cache_key = '$KEY'
     ON CONFLICT (cache_key) DO UPDATE SET data = EXCLUDED.data, total_results = EXCLUDED.total_results,
                                           expires_at = EXCLUDED.expires_at" >/dev/null

# Redis as Debian runs it (its own user when we are root), memory only, holding the list's JSON text.
redis_port=$(free_port)
redis_cmd=(redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no)
[ "$(id -u)" = 0 ] && redis_cmd=(setpriv --reuid=redis --regid=redis --clear-groups "${redis_cmd[@]}")
"${redis_cmd[@]}" >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
sql "SELECT data::text FROM tako_cache.discovery_cache WHERE cache_key = '$KEY'" | head -c -1 |
    redis-cli -p "$redis_port" -x SET "$KEY" | grep -qx OK || { cat "$work/redis.log" >&2; exit 1; }

# start_app WORKERS LOG: the app with the bench routes; sets app_pid and port (exits on failure).
start_app() {
    WORKERS=$1 BENCH_ROUTES=1 PORT=0 REDIS_URL="redis://127.0.0.1:$redis_port" node test/route/app.js >"$2" 2>&1 &
    app_pid=$!
    port=""
    for _ in $(seq 1 100); do
        port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$2")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$2" >&2; exit 1; }
}
start_app 2 "$work/app.log"

# Every route must serve the same list before any is timed; the 304 route, nothing with the ETag.
for route in seed tako redis; do
    curl -sf --noproxy '*' "http://127.0.0.1:$port${ROUTES[$route]}" |
        jq -ce 'select(.success == true and .meta.cacheKey == $k) | .data' --arg k "$KEY" >"$work/$route.data" ||
        { echo "the $route route does not serve $KEY: $(tail -5 "$work/app.log")" >&2; exit 1; }
done
cmp -s "$work/seed.data" "$work/tako.data" && cmp -s "$work/tako.data" "$work/redis.data" ||
    { echo "the routes do not serve the same list" >&2; exit 1; }
etag=$(curl -sf --noproxy '*' -D - -o /dev/null "http://127.0.0.1:$port${ROUTES[tako]}" | tr -d '\r' | sed -n 's/^etag: //Ip')
[ -n "$etag" ] && [ "$(curl -s --noproxy '*' -o "$work/304.body" -w '%{http_code}' -H "If-None-Match: $etag" \
                      "http://127.0.0.1:$port${ROUTES[tako]}")" = 304 ] && [ ! -s "$work/304.body" ] ||
    { echo "the tako route does not answer 304 to its ETag ($etag)" >&2; exit 1; }
# wrk's arguments for a route: the 304 route sends the list's ETag.
headers_of() { [ "$1" = tako304 ] && printf '%s\0' -H "If-None-Match: $etag"; true; }

# CPU ticks (user + system) of these processes, plus those of their children already gone (the
# backends a pool replaced); /proc/PID/stat fields 14-17, counted after the ")" ending the name.
ticks() {
    local pid stat total=0
    for pid in "$@"; do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        read -r -a f <<<"${stat##*) }"
        total=$((total + f[11] + f[12] + f[13] + f[14]))
    done
    echo "$total"
}
postmaster=$(head -1 "$PGDATA/postmaster.pid")
node_ticks() { ticks "$app_pid" $(pgrep -P "$app_pid"); }
postgres_ticks() { ticks "$postmaster" $(pgrep -P "$postmaster"); }
hz=$(getconf CLK_TCK)
value() { awk -v k="$1" '$1 == k { print $2 }' "$work/$route.wrk"; }  # from the current route's summary
per_request_us() { awk -v t="$1" -v n="$2" -v hz="$hz" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }'; }

{
    echo "http run seconds $SECONDS_PER_RUN"
    echo "http run connections 32"
    echo "http run threads 2"
    echo "http run workers 2"
    echo "http run cores $(nproc)"
    echo "http run payload_bytes $(sql "SELECT length(data::text) FROM tako_cache.discovery_cache WHERE cache_key = '$KEY'")"
    echo "machine node $(node --version)"
    echo "machine wrk $(wrk -v 2>&1 | awk 'NR == 1 { sub(/.*\//, "", $2); print $2 }')"
    echo "machine redis $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')"
} >>"$results"
printf '  %-6s %9s %8s %8s %12s %12s %12s\n' route req/s p50_ms p99_ms node_µs/req pg_µs/req redis_µs/req
for route in "${ORDER[@]}"; do
    url="http://127.0.0.1:$port${ROUTES[$route]}"
    mapfile -d '' -t hdr < <(headers_of "$route")
    wrk -t2 -c32 -d2s "${hdr[@]}" "$url" >/dev/null
    n0=$(node_ticks) p0=$(postgres_ticks) r0=$(ticks "$redis_pid")
    wrk -t2 -c32 -d"${SECONDS_PER_RUN}s" -s bench/http/summary.lua "${hdr[@]}" "$url" >"$work/$route.wrk"
    n1=$(node_ticks) p1=$(postgres_ticks) r1=$(ticks "$redis_pid")
    requests=$(value requests)
    rps=$(awk -v n="$requests" -v s="$(value seconds)" 'BEGIN { printf "%.0f", n / s }')
    p50=$(awk -v us="$(value p50_us)" 'BEGIN { printf "%.2f", us / 1000 }')
    p99=$(awk -v us="$(value p99_us)" 'BEGIN { printf "%.2f", us / 1000 }')
    node_us=$(per_request_us $((n1 - n0)) "$requests")
    pg_us=$(per_request_us $((p1 - p0)) "$requests")
    redis_us=$(per_request_us $((r1 - r0)) "$requests")
    {
        echo "http $route rps $rps"
        echo "http $route p50_ms $p50"
        echo "http $route p99_ms $p99"
        echo "http $route errors $(value errors)"
        echo "http $route bytes_per_response $(($(value bytes) / (requests ? requests : 1)))"
        echo "http $route node_cpu_us $node_us"
        echo "http $route postgres_cpu_us $pg_us"
        echo "http $route redis_cpu_us $redis_us"
    } >>"$results"
    printf '  %-6s %9s %8s %8s %12s %12s %12s\n' "$route" "$rps" "$p50" "$p99" "$node_us" "$pg_us" "$redis_us"
    [ "$(value errors)" = 0 ] || echo "  $route: $(value errors) errors (see the results file)" >&2
done

# The same routes from one Node process (WORKERS=0): where Node alone is the bottleneck, what each
# route costs Node decides (the README route passes the text through; the others parse and
# serialize). Requests per second only.
kill "$app_pid" && wait "$app_pid" 2>/dev/null
start_app 0 "$work/app1.log"
echo "  one Node process:"
for route in "${ORDER[@]}"; do
    url="http://127.0.0.1:$port${ROUTES[$route]}"
    mapfile -d '' -t hdr < <(headers_of "$route")
    wrk -t2 -c32 -d2s "${hdr[@]}" "$url" >/dev/null
    wrk -t2 -c32 -d"${SECONDS_PER_RUN}s" -s bench/http/summary.lua "${hdr[@]}" "$url" >"$work/$route.wrk1"
    rps=$(awk '$1 == "requests" { n = $2 } $1 == "seconds" { s = $2 } END { printf "%.0f", n / s }' "$work/$route.wrk1")
    echo "http single-$route rps $rps" >>"$results"
    printf '  %-6s %9s\n' "$route" "$rps"
done
