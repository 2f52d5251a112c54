#!/usr/bin/env bash
# The real client over HTTP: Tako's Express routes on node-postgres (test/route/app.js) against a
# cluster with tako_cache and the test upstream. The seed's curl scenario (a miss that fetches once,
# then a hit that is byte for byte what tako_discover returns), every family's route, the HTTP status
# of each kind of failure, and /api/cache/stats. One "ok N"/"not ok N" line per check.
set -u
source "$(dirname "$0")/../lib/suite.sh"
source "$TAKO_ROOT/test/lib/deps.sh"
source "$TAKO_ROOT/test/lib/cluster.sh"
source "$TAKO_ROOT/test/lib/upstream.sh"
source "$TAKO_ROOT/test/lib/node.sh"
cd "$TAKO_ROOT" || exit 1

passed=0
failed=0
give_up() { give_up_suite route "$1"; }

# Node for the app, jq for reading its answers: Debian's packages when they are missing.
node_ready jq || give_up "could not install Node, npm or jq"

work=$(mktemp -d /tmp/tako_cache.route.XXXXXX)
app_pids=()
cleanup() {
    local pid
    for pid in "${app_pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
    cluster_stop
    upstream_stop
    rm -rf "$work"
}
trap cleanup EXIT

npm_ready test/route "$work/npm.log" || give_up "npm ci failed in test/route: $(tail -5 "$work/npm.log")"

upstream_start >/dev/null || give_up "the test upstream did not start"
conf=()
while IFS= read -r line; do conf+=(--conf "$line"); done < <(upstream_conf_lines)
# Every Jikan route is a first miss here, and the families Tako enriches ask /anime/{id}/pictures for
# each of their 25 anime: under Jikan's real limits (3/s, 60/min) the third such route would wait a
# minute for its pictures. The test upstream is local: no limit (the limits are integration's).
conf+=(--conf "tako_cache.jikan_requests_per_second = 1000" --conf "tako_cache.jikan_requests_per_minute = 0")
cluster_start route --conf "cron.database_name = 'tako_route'" --conf "tako_cache.database_name = 'tako_route'" "${conf[@]}" || give_up "the cluster did not start"
export PGDATABASE=tako_route
createdb tako_route && cluster_psql -c "CREATE EXTENSION tako_cache CASCADE" ||
    give_up "CREATE EXTENSION tako_cache failed"
cluster_wait_worker tako_route || give_up "no refresh worker serves tako_route"

# start_app WORKERS LOG: the app in the background; its port in $port (empty if it did not start).
start_app() {
    PORT=0 WORKERS=$1 node test/route/app.js >"$2" 2>&1 &
    app_pids+=($!)
    port=""
    for _ in $(seq 1 100); do
        port=$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$2")
        [ -n "$port" ] && return 0
        kill -0 "$!" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
start_app 0 "$work/app.log" || give_up "the app did not start: $(cat "$work/app.log")"
app_pid=${app_pids[0]}

# get PATH [CURL-ARGS...]: the answer's body in $work/body, its headers in $work/headers; its
# status and Content-Type in $status and $ctype.
get() {
    local out path=$1
    shift
    : >"$work/body"  # curl leaves the file as it was when the answer has no body (a 304)
    asked_at=$(date +%s)
    out=$(curl -sS --noproxy '*' --max-time 30 -o "$work/body" -D "$work/headers" \
        -w '%{http_code} %{content_type}' "$@" "http://127.0.0.1:$port$path") || out="000 none"
    status=${out%% *}
    ctype=${out#* }
    answered_at=$(date +%s)
}
# header NAME: that header's value in the last answer (empty when absent).
header() {
    sed -n "s/^$1: *//Ip" "$work/headers" | tr -d '\r' | tail -1
}
# has_header NAME VALUE-REGEX: the last answer's header matches (shown when not).
has_header() {
    local value
    value=$(header "$1")
    [[ $value =~ $2 ]] || { echo "$1: '$value' (headers: $(tr -d '\r' <"$work/headers" | tr '\n' '|'))"; return 1; }
}
# tako_error STATUS CODE [JQ-FILTER]: Tako's error body {error, message, code} and nothing else,
# with this status and code, not to be kept by a cache.
tako_error() {
    local want=$1 code=$2 more=${3:-true}
    answered "$want" '(keys == ["code", "error", "message"]) and .code == $c and (.error | type) == "string"
                      and (.message | type) == "string" and ('"$more"')' --arg c "$code" &&
        has_header Cache-Control '^no-store$'
}
# answered STATUS JQ-FILTER [jq args...]: the last answer has this status and its body satisfies
# the filter (both shown when not).
answered() {
    local want=$1 filter=$2
    shift 2
    [ "$status" = "$want" ] && jq -e "$@" "$filter" "$work/body" >/dev/null ||
        { echo "status $status: $(head -c 300 "$work/body")"; return 1; }
}
requests() { upstream_requests "$1" | jq length; }
sql() { cluster_psql -At -c "$1"; }
# set_conf NAME VALUE | set_conf NAME (back to what it was): ALTER SYSTEM and a reload, then wait
# until a new session has the value. The postmaster has then signalled the app's pooled sessions,
# and each applies it as it reads its next statement.
declare -A conf_before
set_conf() {
    local name=$1 want
    if [ $# = 2 ]; then
        conf_before[$name]=$(sql "SELECT setting FROM pg_settings WHERE name = '$name'")
        sql "ALTER SYSTEM SET $name = '$2'"
        want=$2
    else
        sql "ALTER SYSTEM RESET $name"
        want=${conf_before[$name]}
    fi
    sql "SELECT pg_reload_conf()" >/dev/null
    for _ in $(seq 1 50); do
        [ "$(sql "SELECT setting FROM pg_settings WHERE name = '$name'")" = "$want" ] && return 0
        sleep 0.1
    done
    echo "# $name did not become '$want'"
}

# 1. The seed's curl scenario: a miss fetches once, the next call is a hit, no new request.
trending='/api/media/tmdb/trending?category=movie&period=week'
upstream_reset >/dev/null
get "$trending"
check "first GET $trending: 200, a miss that fetched (meta.cached false)" \
    answered 200 '.success == true and .meta.cached == false and .meta.cacheKey == "tmdb:trending:movie:week"'
check "... the upstream got exactly one request for it" test "$(requests /tmdb/trending/movie/week)" = 1
check "... X-Cache: MISS" has_header X-Cache '^MISS$'
# Fresh until the list expires (trending: a day after its fetch, the family's TTL).
expires=$(sql "SELECT floor(extract(epoch FROM expires_at))::bigint FROM tako_cache.discovery_cache WHERE cache_key = 'tmdb:trending:movie:week'")
# The Cache-Control of the last answer is public, its max-age the seconds from when it was answered
# (between $asked_at and $answered_at, whole seconds) to $expires.
fresh_for() {
    local age
    age=$(header Cache-Control | sed -n 's/^public, max-age=\([0-9]*\)$/\1/p')
    [ -n "$age" ] && [ "$age" -le $((expires - asked_at + 1)) ] && [ "$age" -ge $((expires - answered_at - 2)) ] ||
        { echo "Cache-Control: '$(header Cache-Control)', asked $((expires - asked_at)) s and answered $((expires - answered_at)) s before the list expires"; return 1; }
}
check "... Cache-Control: public, max-age=<the seconds until it expires, a day>" fresh_for
get "$trending"
check "second GET: 200, a hit (meta.cached true)" \
    answered 200 '.success == true and .meta.cached == true'
check "... and no new upstream request" test "$(requests /tmdb/trending/movie/week)" = 1
check "... Content-Type application/json (got $ctype)" test "${ctype%%;*}" = application/json
printf '%s' "$(sql "SELECT tako_discover('tmdb:trending:movie:week')::text")" >"$work/psql"
check "... the body is byte for byte what tako_discover returns in psql" cmp "$work/body" "$work/psql"
check "... X-Cache: HIT" has_header X-Cache '^HIT$'
check "... Cache-Control: public, max-age=<the seconds left>" fresh_for
version=$(sql "SELECT data_version || '-' || (extract(epoch FROM updated_at) * 1000000)::bigint FROM tako_cache.discovery_cache WHERE cache_key = 'tmdb:trending:movie:week'")
check "... ETag: the list's version, W/\"$version\"" has_header ETag "^W/\"$version\"\$"
etag=$(header ETag)

# The client's copy is current: 304, no body, the same headers; the list did not leave PostgreSQL.
hits_before=$(sql "SELECT coalesce(sum(hits), 0) FROM tako_cache.tako_pending_hits() WHERE cache_key = 'tmdb:trending:movie:week'")
get "$trending" -H "If-None-Match: $etag"
check "GET with If-None-Match: $etag: 304 with an empty body" test "$status:$(wc -c <"$work/body")" = 304:0
check "... ETag, X-Cache: HIT and Cache-Control as on a 200" \
    bash -c "$(declare -f header has_header fresh_for); work=$work expires=$expires asked_at=$asked_at answered_at=$answered_at;
             has_header ETag '^W/\"$version\"\$' && has_header X-Cache '^HIT\$' && fresh_for"
check "... counted as a hit of the list" \
    test "$(sql "SELECT sum(hits) FROM tako_cache.tako_pending_hits() WHERE cache_key = 'tmdb:trending:movie:week'")" = $((hits_before + 1))
check "... tako_discover_http returns no envelope for it: the list never crossed the wire" \
    test "$(sql "SELECT status || ' ' || (envelope IS NULL) FROM tako_discover_http('tmdb:trending:movie:week', '$etag')")" = "304 true"
get "$trending" -H "If-None-Match: W/\"1-1\", $etag"
check "... one tag of a list matching is enough: 304" test "$status" = 304
get "$trending" -H 'If-None-Match: W/"1-1"'
check "another version's ETag: 200 with the list" answered 200 '.success == true and .meta.cached == true'

# A list saved anew has another ETag: the old one is answered with the new list.
sql "SELECT tako_save_cached('tmdb:trending:movie:week', NULL, NULL, data, upstream => upstream) FROM tako_cache.discovery_cache WHERE cache_key = 'tmdb:trending:movie:week'" >/dev/null
get "$trending" -H "If-None-Match: $etag"
check "after the list is saved again, its old ETag: 200 with the list and a new ETag" \
    bash -c "$(declare -f header); work=$work; [ $status = 200 ] && [ -n \"\$(header ETag)\" ] && [ \"\$(header ETag)\" != '$etag' ]"

# An expired list is served stale at once (the refresh worker refreshes it): nothing to keep, and
# no ETag of a version (Express may add its own, a hash of the body).
sql "UPDATE tako_cache.discovery_cache SET expires_at = now() - interval '1 minute' WHERE cache_key = 'tmdb:trending:movie:week'" >/dev/null
get "$trending"
check "an expired list: 200, served stale (meta.stale true)" answered 200 '.success == true and .meta.stale == true'
check "... X-Cache: STALE, Cache-Control: public, max-age=0, no version ETag" \
    bash -c "$(declare -f header has_header); work=$work;
             has_header X-Cache '^STALE\$' && has_header Cache-Control '^public, max-age=0\$' && ! has_header ETag '^W/\"[0-9]+-[0-9]+\"\$'"

# 2. Every family's route: path | canonical key | provider | domain. Each is a first call (a miss).
while IFS='|' read -r path key provider domain; do
    get "$path"
    check "GET $path: 200, $provider/$domain, count = data length, meta.cacheKey $key, a miss" \
        answered 200 '.success == true and .provider == $p and .domain == $d and (.data | type) == "array"
                 and (.data | length) == .count and .count > 0 and .meta.cacheKey == $k
                 and .meta.cached == false' --arg p "$provider" --arg d "$domain" --arg k "$key"
    echo "$path" >>"$work/family-paths"
done <<'ROUTES'
/api/media/tmdb/trending?category=tv&period=day|tmdb:trending:tv:day|tmdb|media
/api/media/tmdb/popular?category=tv|tmdb:popular:tv|tmdb|media
/api/media/tmdb/top-rated|tmdb:top-rated:movie|tmdb|media
/api/media/tmdb/upcoming?category=movie|tmdb:upcoming:movie|tmdb|media
/api/media/tmdb/on-the-air|tmdb:upcoming:tv:on-the-air|tmdb|media
/api/media/tmdb/airing-today|tmdb:upcoming:tv:airing-today|tmdb|media
/api/anime-manga/jikan/top/anime|jikan:top:anime|jikan|anime-manga
/api/anime-manga/jikan/top/manga|jikan:top:manga|jikan|anime-manga
/api/anime-manga/jikan/top/tv?sfw=sfw|jikan:top:tv:sfw|jikan|anime-manga
/api/anime-manga/jikan/top/movie?sfw=all|jikan:top:movie|jikan|anime-manga
/api/anime-manga/jikan/trending|jikan:trending:all|jikan|anime-manga
/api/anime-manga/jikan/trending/tv?sfw=nsfw|jikan:trending:tv:nsfw|jikan|anime-manga
/api/anime-manga/jikan/trending/movie|jikan:trending:movie|jikan|anime-manga
/api/anime-manga/jikan/upcoming?filter=ova|jikan:upcoming:ova|jikan|anime-manga
/api/anime-manga/jikan/upcoming/tv|jikan:upcoming:tv|jikan|anime-manga
/api/anime-manga/jikan/upcoming/movie?sfw=sfw|jikan:upcoming:movie:sfw|jikan|anime-manga
/api/anime-manga/jikan/schedule?day=monday|jikan:schedule:monday|jikan|anime-manga
/api/videogames/rawg/popular|rawg:popular:all|rawg|videogames
/api/videogames/rawg/trending?platforms=4|rawg:trending:4|rawg|videogames
/api/videogames/igdb/popular?platforms=6|igdb:popular:6|igdb|videogames
/api/music/deezer/charts|deezer:charts:albums|deezer|music
/api/music/deezer/charts?category=tracks|deezer:charts:tracks|deezer|music
/api/music/itunes/charts?country=US&category=song|itunes:charts:us-song|itunes|music
/api/music/itunes/charts|itunes:charts:fr-album|itunes|music
ROUTES
all_hits() {  # every family route again: each a hit, under the same key
    local path
    while read -r path; do
        get "$path"
        answered 200 '.success == true and .meta.cached == true' || { echo "$path"; return 1; }
    done <"$work/family-paths"
}
upstream_reset >/dev/null
check "a second GET of each family route is a hit" all_hits
check "... and sends no upstream request" test "$(upstream_requests | jq length)" = 0

# 3. Failures: the HTTP status of each SQLSTATE, Tako's body {error, message, code}.
# One attempt per fetch keeps them quick and keeps the providers' circuit breakers closed.
set_conf tako_cache.retry_attempts 1
get "/api/media/tmdb/trending?category=bogus"
check "a bad key part: 400 {error: Bad Request, code INVALID_PARAMETER}, the message names it" \
    tako_error 400 INVALID_PARAMETER '.error == "Bad Request" and (.message | test("bogus"))'
get "/api/anime-manga/jikan/trending?filter=tv:sfw"
check "a part holding \":\" is a bad part, not two: 400, INVALID_PARAMETER" tako_error 400 INVALID_PARAMETER

set_conf tako_cache.rawg_api_key ''
upstream_reset >/dev/null
get "/api/videogames/rawg/popular?platforms=4"
check "the provider's key not configured: 503, PROVIDER_NOT_CONFIGURED" tako_error 503 PROVIDER_NOT_CONFIGURED
check "... nothing was sent upstream" test "$(requests /rawg/)" = 0
set_conf tako_cache.rawg_api_key

upstream_fault '{"match": "/tmdb/movie/popular", "fault": {"status": 500}}' >/dev/null
get "/api/media/tmdb/popular?category=movie"
check "the upstream failing, nothing cached: 502 {error: Bad Gateway, code UPSTREAM_ERROR}" \
    tako_error 502 UPSTREAM_ERROR '.error == "Bad Gateway"'

set_conf tako_cache.http_timeout_ms 300
upstream_fault '{"match": "/deezer/chart/0/artists", "fault": {"delay_ms": 2000}}' >/dev/null
get "/api/music/deezer/charts?category=artists"
check "the upstream timing out, nothing cached: 504, UPSTREAM_TIMEOUT" tako_error 504 UPSTREAM_TIMEOUT
set_conf tako_cache.http_timeout_ms

set_conf tako_cache.new_keys_per_hour 0
upstream_reset >/dev/null
get "/api/videogames/igdb/popular?platforms=6,48"
check "the new-key budget spent: 429, RATE_LIMITED" tako_error 429 RATE_LIMITED
check "... nothing was sent upstream" test "$(requests /igdb/)" = 0
set_conf tako_cache.new_keys_per_hour

set_conf tako_cache.mode db_only
upstream_reset >/dev/null
get "/api/anime-manga/jikan/schedule?day=sunday"
check "a db_only miss: 404, NOT_CACHED" tako_error 404 NOT_CACHED '.error == "Not Found"'
check "... X-Cache: MISS" has_header X-Cache '^MISS$'
check "... nothing was sent upstream" test "$(requests /jikan/)" = 0
set_conf tako_cache.mode
set_conf tako_cache.retry_attempts

# A fault of the API's own (here the function gone): 500, and nothing of the cause in the body.
sql "ALTER FUNCTION tako_discover_http(text, text) RENAME TO tako_discover_http_away" >/dev/null
get "/api/music/deezer/charts"
check "the API's own fault: 500 {error: Internal Server Error, code INTERNAL_ERROR}, the cause not told" \
    tako_error 500 INTERNAL_ERROR '.error == "Internal Server Error" and .message == "Internal server error"'
check "... (the cause is in the app's log)" grep -q 'tako_discover_http' "$work/app.log"
sql "ALTER FUNCTION tako_discover_http_away(text, text) RENAME TO tako_discover_http" >/dev/null
get "/api/music/deezer/charts"
check "... served again once the function is back" answered 200 '.success == true'

# SQLSTATEs that need a broken upstream of each kind.
check "SQLSTATE → HTTP status for every mapped code" node --input-type=module -e "
    import { errorOf, statusOf } from './test/route/errors.js';
    const want = { '22023': 400, '22004': 400, '55000': 503, '57014': 504, TK429: 429, '08000': 502,
                   '08001': 502, '08006': 502, '28000': 502, '54000': 502, '22P02': 502, XX000: 500,
                   '42883': 500, ECONNREFUSED: 500 };
    const wrong = Object.entries(want).filter(([code, s]) => statusOf(code) !== s);
    const codes = { '22004': 'INVALID_PARAMETER', '08006': 'UPSTREAM_ERROR', '28000': 'UPSTREAM_ERROR',
                    '54000': 'UPSTREAM_ERROR', '22P02': 'UPSTREAM_ERROR', XX000: 'INTERNAL_ERROR' };
    wrong.push(...Object.entries(codes).filter(([code, c]) => errorOf(code)[1] !== c));
    if (wrong.length) { console.log(JSON.stringify(wrong)); process.exit(1); }"

# 4. /api/cache/stats: the extension's stats and the pool's.
get /api/cache/stats
entries=$(sql "SELECT count(*) FROM tako_cache.discovery_cache")
check "GET /api/cache/stats: 200, success, cache.global.total_entries = $entries, database.connected" \
    answered 200 '.success == true and .cache.global.total_entries == ($e | tonumber) and .database.connected == true
             and (.database.totalCount | type) == "number"' --arg e "$entries"

# 5. Under the cluster module (as bench/http runs it): two workers serving on the port announced once.
if start_app 2 "$work/app2.log"; then
    get "$trending"
    check "WORKERS=2: two worker processes, one \"listening\" line, a hit served (status $status)" \
        test "$(pgrep -c -P "${app_pids[1]}"):$(grep -c '^listening' "$work/app2.log"):$status" = 2:1:200
else
    check "WORKERS=2: the app starts" false
fi

kill -0 "$app_pid" 2>/dev/null || { echo "# the app died: $(tail -5 "$work/app.log")"; failed=$((failed + 1)); }
echo "1..$n"
record_tally route "$passed" "$failed"
[ "$failed" = 0 ]
