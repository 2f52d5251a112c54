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
cd "$TAKO_ROOT" || exit 1

n=0
passed=0
failed=0
check() {  # check DESCRIPTION COMMAND...: one TAP line; the command's output shows only on failure
    local what=$1 out
    shift
    n=$((n + 1))
    if out=$("$@" 2>&1); then
        passed=$((passed + 1))
        echo "ok $n - $what"
    else
        failed=$((failed + 1))
        echo "not ok $n - $what"
        [ -z "$out" ] || echo "$out" | head -5 | sed 's/^/#   /'
    fi
}
give_up() {
    echo "# $1"
    record_tally route "$passed" $((failed + 1))
    exit 1
}

# Node for the app, jq for reading its answers: Debian's packages when they are missing.
missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v jq >/dev/null || missing+=(jq)
if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}" ||
        give_up "could not install ${missing[*]}"
fi

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

# Once for every version (their route suites may run side by side): under a lock, and only when
# the lockfile changed since the last install.
npm_install() {
    local stamp=node_modules/.tako_installed
    [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ] && [ "$stamp" -nt package.json ] && return 0
    npm ci --no-audit --no-fund && touch "$stamp"
}
(cd test/route && exec 9>>.npm.lock && flock 9 && npm_install) >"$work/npm.log" 2>&1 ||
    give_up "npm ci failed in test/route: $(tail -5 "$work/npm.log")"

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

# get PATH: the answer's body in $work/body; its status and Content-Type in $status and $ctype.
get() {
    local out
    out=$(curl -sS --noproxy '*' --max-time 30 -o "$work/body" -w '%{http_code} %{content_type}' \
        "http://127.0.0.1:$port$1") || out="000 none"
    status=${out%% *}
    ctype=${out#* }
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
get "$trending"
check "second GET: 200, a hit (meta.cached true)" \
    answered 200 '.success == true and .meta.cached == true'
check "... and no new upstream request" test "$(requests /tmdb/trending/movie/week)" = 1
check "... Content-Type application/json (got $ctype)" test "${ctype%%;*}" = application/json
printf '%s' "$(sql "SELECT tako_discover('tmdb:trending:movie:week')::text")" >"$work/psql"
check "... the body is byte for byte what tako_discover returns in psql" cmp "$work/body" "$work/psql"

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

# 3. Failures: the HTTP status of each SQLSTATE, the body {success: false, error, code}.
# One attempt per fetch keeps them quick and keeps the providers' circuit breakers closed.
set_conf tako_cache.retry_attempts 1
get "/api/media/tmdb/trending?category=bogus"
check "a bad key part: 400, code 22023, the message names it" \
    answered 400 '.success == false and .code == "22023" and (.error | test("bogus"))'
get "/api/anime-manga/jikan/trending?filter=tv:sfw"
check "a part holding \":\" is a bad part, not two: 400, code 22023" \
    answered 400 '.success == false and .code == "22023"'

set_conf tako_cache.rawg_api_key ''
upstream_reset >/dev/null
get "/api/videogames/rawg/popular?platforms=4"
check "the provider's key not configured: 503, code 55000" answered 503 '.success == false and .code == "55000"'
check "... nothing was sent upstream" test "$(requests /rawg/)" = 0
set_conf tako_cache.rawg_api_key

upstream_fault '{"match": "/tmdb/movie/popular", "fault": {"status": 500}}' >/dev/null
get "/api/media/tmdb/popular?category=movie"
check "the upstream failing, nothing cached: 502, code 08000" answered 502 '.success == false and .code == "08000"'

set_conf tako_cache.http_timeout_ms 300
upstream_fault '{"match": "/deezer/chart/0/artists", "fault": {"delay_ms": 2000}}' >/dev/null
get "/api/music/deezer/charts?category=artists"
check "the upstream timing out, nothing cached: 504, code 57014" answered 504 '.success == false and .code == "57014"'
set_conf tako_cache.http_timeout_ms

set_conf tako_cache.new_keys_per_hour 0
upstream_reset >/dev/null
get "/api/videogames/igdb/popular?platforms=6,48"
check "the new-key budget spent: 429, code TK429" answered 429 '.success == false and .code == "TK429"'
check "... nothing was sent upstream" test "$(requests /igdb/)" = 0
set_conf tako_cache.new_keys_per_hour

set_conf tako_cache.mode db_only
upstream_reset >/dev/null
get "/api/anime-manga/jikan/schedule?day=sunday"
check "a db_only miss: the 200 envelope with success false, passed through" \
    answered 200 '.success == false and .meta.cacheKey == "jikan:schedule:sunday"'
check "... nothing was sent upstream" test "$(requests /jikan/)" = 0
set_conf tako_cache.mode
set_conf tako_cache.retry_attempts

# SQLSTATEs that need a broken upstream of each kind.
check "SQLSTATE → HTTP status for every mapped code" node --input-type=module -e "
    import { statusOf } from './test/route/errors.js';
    const want = { '22023': 400, '22004': 400, '55000': 503, '57014': 504, TK429: 429, '08000': 502,
                   '08001': 502, '08006': 502, '28000': 502, '54000': 502, '22P02': 502, XX000: 500,
                   '42883': 500, ECONNREFUSED: 500 };
    const wrong = Object.entries(want).filter(([code, s]) => statusOf(code) !== s);
    if (wrong.length) { console.log(JSON.stringify(wrong)); process.exit(1); }"

# 4. /api/cache/stats: the extension's stats and the pool's.
get /api/cache/stats
entries=$(sql "SELECT count(*) FROM discovery_cache")
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
