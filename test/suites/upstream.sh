#!/usr/bin/env bash
# The test upstream itself (test/upstream/server.py, driven through test/lib/upstream.sh): every
# route family serves its recorded fixture byte for byte, the auth rules hold, gzip works, and each
# fault kind of the control API does what it says. Needs python3 and curl; each check counts.
set -u
source "$(dirname "$0")/../lib/suite.sh"
source "$TAKO_ROOT/test/lib/upstream.sh"
cd "$TAKO_ROOT"

FIX=$TAKO_ROOT/test/fixtures
T=$(mktemp -d /tmp/tako_cache.upstream-suite.XXXXXX)
passed=0
failed=0
BG_PIDS=()

cleanup() {
    local pid
    for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    upstream_stop
    rm -rf "$T"
}
trap cleanup EXIT

if ! upstream_start; then
    record_tally upstream 0 1
    exit 1
fi
U=$TAKO_UPSTREAM
TMDB_KEY=$UPSTREAM_TMDB_KEY
RAWG_KEY=$UPSTREAM_RAWG_KEY
CLIENT_ID=$UPSTREAM_IGDB_CLIENT_ID
CLIENT_SECRET=$UPSTREAM_IGDB_CLIENT_SECRET

# -- helpers ----------------------------------------------------------------------------------------

pass() {
    passed=$((passed + 1))
    echo "ok $((passed + failed)) - $1"
}
fail() {
    failed=$((failed + 1))
    echo "not ok $((passed + failed)) - $1"
    echo "#   status=${CODE:-} curl_rc=${RC:-} time=${TIME:-} size=${SIZE:-}"
    [ -s "$T/err" ] && sed 's/^/#   curl: /' "$T/err" | head -3
    [ -s "$T/body" ] && { printf '#   body: '; head -c 300 "$T/body" | tr '\r\n' '  '; echo; }
    return 0
}
# check NAME COMMAND...: one test, passing when COMMAND succeeds.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}
# req [curl options...] URL: sets CODE, TIME, SIZE, RC; the body lands in $T/body, headers in $T/headers.
req() {
    local out
    : >"$T/body"
    : >"$T/headers"
    out=$(curl -sS --noproxy '*' --max-time 10 -o "$T/body" -D "$T/headers" \
        -w '%{http_code} %{time_total} %{size_download}' "$@" 2>"$T/err")
    RC=$?
    read -r CODE TIME SIZE <<<"$out"
}
header() {  # the last value of a response header
    grep -i "^$1:" "$T/headers" | tail -1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'
}
has() { grep -qF -- "$1" "$T/body"; }
same_as() { cmp -s "$T/body" "$FIX/$1"; }
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
below() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }
json_is() {  # json_is PYTHON_EXPR: evaluates with d = the parsed body
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1], "rb")); sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' \
        "$T/body" "$1" 2>/dev/null
}
fault() { upstream_fault "$1" >/dev/null; }
reset() { upstream_reset "${1:-}" >/dev/null; }
token() {  # prints a fresh IGDB token
    curl -sS --noproxy '*' --max-time 5 -X POST \
        --data "client_id=$CLIENT_ID&client_secret=$CLIENT_SECRET&grant_type=client_credentials" \
        "$U/twitch/oauth2/token" | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# -- routes: each serves its fixture byte for byte --------------------------------------------------

# path | fixture | a value only that fixture has
routes=(
    "/tmdb/trending/movie/week?api_key=$TMDB_KEY|tmdb/trending-movie-week__themoviedbapi-java.json|Scream VI"
    "/tmdb/trending/movie/day?api_key=$TMDB_KEY&language=fr-FR&page=1|tmdb/trending-movie-week__themoviedbapi-java.json|Scream VI"
    "/tmdb/trending/tv/week?api_key=$TMDB_KEY|tmdb/trending-tv-week__themoviedbapi-java.json|Sweet Tooth"
    "/tmdb/trending/tv/day?api_key=$TMDB_KEY|tmdb/trending-tv-week__themoviedbapi-java.json|Sweet Tooth"
    "/tmdb/movie/popular?api_key=$TMDB_KEY|tmdb/movie-popular__tmdb-api-rs.json|Wonka"
    "/tmdb/tv/popular?api_key=$TMDB_KEY|tmdb/tv-popular__tmdb-api-rs.json|Tomorrow Is Ours"
    "/tmdb/movie/top_rated?api_key=$TMDB_KEY|tmdb/movie-top-rated__tmdb-api-rs.json|The Shawshank Redemption"
    "/tmdb/tv/top_rated?api_key=$TMDB_KEY|tmdb/tv-popular__themoviedbapi-java.json|Binnelanders"
    "/tmdb/discover/movie?api_key=$TMDB_KEY&primary_release_date.gte=2024-01-01|tmdb/movie-upcoming__tmdb-api-rs.json|\"dates\""
    "/tmdb/discover/tv?api_key=$TMDB_KEY|tmdb/tv-on-the-air__themoviedbapi-java.json|Binnelanders"
    "/tmdb/tv/on_the_air?api_key=$TMDB_KEY|tmdb/tv-on-the-air__themoviedbapi-java.json|Binnelanders"
    "/tmdb/tv/airing_today?api_key=$TMDB_KEY|tmdb/tv-airing-today__themoviedbapi-java.json|Binnelanders"
    "/jikan/top/anime?type=tv&page=1|jikan/top-anime-type-tv__jikanpy.json|Fullmetal Alchemist: Brotherhood"
    "/jikan/top/manga|jikan/top-manga__reactive-jikan.json|Berserk"
    "/jikan/seasons/now?sfw=true|jikan/seasons-now__jikanpy.json|Chainsaw Man"
    "/jikan/seasons/upcoming|jikan/seasons-upcoming__jikanpy.json|Tate no Yuusha no Nariagari Season 3"
    "/jikan/schedules?filter=monday|jikan/schedules-monday__jikanpy.json|Ganbare! Choushuu-kun"
    "/rawg/games?key=$RAWG_KEY&ordering=-added|rawg/games__rawgclient-cs.json|Grand Theft Auto V"
    "/deezer/chart/0/albums|deezer/chart-0-albums__deezer-python.json|Lacrim"
    "/deezer/chart/0/tracks|deezer/chart-0-tracks__deezer-python.json|Khapta"
    "/deezer/chart/0/artists|deezer/chart-0-artists__deezer-python.json|\"type\":\"artist\""
    "/deezer/chart/0|deezer/chart-0__deezer-python.json|Bad Habits"
    "/itunes/us/rss/topalbums/limit=25/json|itunes/legacy-rss-topalbums-limit2__front-end-challenge.json|Look Up Child"
    "/itunes/fr/rss/topsongs/limit=10/json|itunes/legacy-rss-topalbums-limit2__front-end-challenge.json|Look Up Child"
)
route_ok() {
    [ "$CODE" = 200 ] && same_as "$2" && has "$3" &&
        [ "$(header Content-Type)" = "application/json; charset=utf-8" ] &&
        [ "$(header Content-Length)" = "$(wc -c <"$FIX/$2" | tr -d ' ')" ]
}
for route in "${routes[@]}"; do
    IFS='|' read -r path fixture value <<<"$route"
    req "$U$path"
    check "GET ${path%%\?*} serves $fixture" route_ok "$path" "$fixture" "$value"
done

TOKEN=$(token)
req -X POST -H "Client-ID: $CLIENT_ID" -H "Authorization: Bearer $TOKEN" --data 'fields name,cover.image_id; limit 50;' "$U/igdb/games"
check "POST /igdb/games with a token serves igdb/games-search" \
    route_ok x igdb/games-search__henry-sarabia-igdb.json "Super Robot Taisen W"

# -- auth and unknown paths -------------------------------------------------------------------------

req "$U/tmdb/trending/movie/week"
check "tmdb without a key: 401 status_code 7" eval '[ "$CODE" = 401 ] && same_as tmdb/error-invalid-api-key__tmdb-api-rs.json'
req "$U/tmdb/trending/movie/week?api_key=wrong"
check "tmdb with a wrong api_key: 401" eval '[ "$CODE" = 401 ] && has "\"status_code\": 7"'
req -H "Authorization: Bearer $TMDB_KEY" "$U/tmdb/movie/popular"
check "tmdb with Authorization: Bearer KEY: 200" eval '[ "$CODE" = 200 ] && same_as tmdb/movie-popular__tmdb-api-rs.json'
req -H "Authorization: Bearer wrong" "$U/tmdb/movie/popular"
check "tmdb with a wrong Bearer: 401" eval '[ "$CODE" = 401 ]'
req "$U/tmdb/movie/nope?api_key=$TMDB_KEY"
check "tmdb unknown path: 404 status_code 34" eval '[ "$CODE" = 404 ] && same_as tmdb/error-resource-not-found__tmdb-api-rs.json'
req "$U/jikan/anime/-1"
check "jikan unknown path: 404 with the recorded error" eval '[ "$CODE" = 404 ] && same_as jikan/error-404-anime__jikanpy.json'
req "$U/rawg/games"
check "rawg without key: 401 'not provided'" eval '[ "$CODE" = 401 ] && has "The key parameter is not provided"'
req "$U/rawg/games?key=wrong"
check "rawg with a wrong key: 401 'Invalid API key'" eval '[ "$CODE" = 401 ] && has "Invalid API key"'
req -X POST --data "client_id=$CLIENT_ID&client_secret=$CLIENT_SECRET&grant_type=client_credentials" \
    "$U/twitch/oauth2/token"
check "twitch token: 200 with access_token, expires_in, token_type" \
    eval '[ "$CODE" = 200 ] && json_is "len(d[\"access_token\"]) >= 20 and d[\"expires_in\"] == 5184000 and d[\"token_type\"] == \"bearer\""'
req -X POST "$U/twitch/oauth2/token?client_id=$CLIENT_ID&client_secret=$CLIENT_SECRET&grant_type=client_credentials"
check "twitch credentials in the query string: 400" \
    eval '[ "$CODE" = 400 ] && has "secret must be sent in the body"'
req -X POST --data "client_id=$CLIENT_ID&client_secret=wrong&grant_type=client_credentials" "$U/twitch/oauth2/token"
check "twitch wrong secret: 403 invalid client secret" eval '[ "$CODE" = 403 ] && has "invalid client secret"'
req -X POST "$U/igdb/games" --data 'fields name;'
check "igdb without headers: 401 Authorization Failure" \
    eval '[ "$CODE" = 401 ] && json_is "d[\"message\"] == \"Authorization Failure. Have you tried:\" and \"Tip 1\" in d"'
req -X POST -H "Client-ID: wrong" -H "Authorization: Bearer $TOKEN" "$U/igdb/games" --data 'fields name;'
check "igdb with a wrong Client-ID: 401" eval '[ "$CODE" = 401 ]'
req -X POST -H "Client-ID: $CLIENT_ID" -H "Authorization: Bearer not-issued" "$U/igdb/games" --data 'fields name;'
check "igdb with a token it never issued: 401" eval '[ "$CODE" = 401 ]'
req -X POST -H "Client-ID: $CLIENT_ID" -H "Authorization: Bearer $TOKEN" "$U/igdb/nope" --data 'fields name;'
check "igdb unknown path: 404 [{title, status, cause}]" \
    eval '[ "$CODE" = 404 ] && json_is "d[0][\"title\"] == \"Not Found\" and d[0][\"status\"] == 404"'
req "$U/deezer/album/-1"
check "deezer unknown path: HTTP 200 with error code 800" \
    eval '[ "$CODE" = 200 ] && same_as deezer/error-album-not-found__deezer-python.json'
req "$U/itunes/US/rss/topalbums/limit=10/json"
check "itunes unknown path: 404 text/html" \
    eval '[ "$CODE" = 404 ] && [[ "$(header Content-Type)" == text/html* ]] && has "<html><body>Not Found</body></html>"'

# -- HTTP: gzip, keep-alive, recorded requests -----------------------------------------------------

req --compressed "$U/jikan/seasons/now"
check "gzip when Accept-Encoding has gzip (decoded bytes = fixture)" \
    eval '[ "$CODE" = 200 ] && [ "$(header Content-Encoding)" = gzip ] && same_as jikan/seasons-now__jikanpy.json &&
          below "$(header Content-Length)" 50000'
req "$U/jikan/seasons/now"
check "no gzip without Accept-Encoding" eval '[ "$CODE" = 200 ] && [ -z "$(header Content-Encoding)" ]'
curl -sS --noproxy '*' -v -o /dev/null -o /dev/null "$U/deezer/chart/0" "$U/deezer/chart/0/tracks" 2>"$T/err"
check "keep-alive: the second request reuses the connection" grep -q 'Re-using existing connection' "$T/err"

reset
req -H 'X-Test: Yes' "$U/tmdb/movie/popular?api_key=$TMDB_KEY&page=2"
fault '{"match": "/deezer/chart/0", "fault": {"status": 500}}'
upstream_health
req -X POST -H 'Content-Type: text/plain' --data 'fields name; limit 3;' "$U/igdb/games"
req "$U/deezer/chart/0"
upstream_requests >"$T/body"
check "requests are recorded in order with method, path, query, headers, body, at, fault" json_is '
    len(d) == 3 and [r["method"] for r in d] == ["GET", "POST", "GET"]
    and d[0]["path"] == "/tmdb/movie/popular" and d[0]["query"] == "api_key=test-tmdb-key&page=2"
    and d[0]["headers"]["x-test"] == "Yes" and d[0]["fault"] is None and d[0]["body"] == ""
    and d[1]["body"] == "fields name; limit 3;" and d[1]["headers"]["content-type"] == "text/plain"
    and d[2]["fault"] == {"status": 500} and d[0]["at"] <= d[1]["at"] <= d[2]["at"]'
upstream_requests /igdb >"$T/body"
check "requests can be filtered by a path substring" json_is 'len(d) == 1 and d[0]["path"] == "/igdb/games"'
reset
upstream_requests >"$T/body"
check "reset clears recorded requests and rules" \
    eval 'json_is "d == []" && req "$U/deezer/chart/0" && [ "$CODE" = 200 ]'

# -- faults -----------------------------------------------------------------------------------------

reset
fault '{"match": "/tmdb/trending/movie/week", "fault": {"status": 429, "headers": {"Retry-After": "2"}}}'
req "$U/tmdb/trending/movie/week?api_key=$TMDB_KEY"
check "status 429 + Retry-After: 2 (TMDB-shaped body, status_code 25)" \
    eval '[ "$CODE" = 429 ] && [ "$(header Retry-After)" = 2 ] && json_is "d[\"status_code\"] == 25"'
fault '{"match": "/jikan/", "fault": {"status": 503, "headers": {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}}}'
req "$U/jikan/top/anime"
check "status 503 + Retry-After HTTP-date (Jikan-shaped body)" \
    eval '[ "$CODE" = 503 ] && [ "$(header Retry-After)" = "Wed, 21 Oct 2015 07:28:00 GMT" ] &&
          json_is "d[\"status\"] == 503 and \"message\" in d"'
fault '{"match": "/rawg/", "fault": {"status": 502, "body": "{\"custom\": true}"}}'
req "$U/rawg/games?key=$RAWG_KEY"
check "status with a given body" eval '[ "$CODE" = 502 ] && json_is "d == {\"custom\": True}"'

reset
fault '{"match": "/deezer/chart/0/albums", "fault": {"delay_ms": 400}}'
req "$U/deezer/chart/0/albums"
check "delay_ms 400: normal answer after >= 0.4 s" \
    eval '[ "$CODE" = 200 ] && same_as deezer/chart-0-albums__deezer-python.json && at_least "$TIME" 0.4'

reset
fault '{"match": "/deezer/chart/0/albums", "fault": {"hang": true}}'
req --max-time 0.5 "$U/deezer/chart/0/albums"
check "hang: no answer (curl times out)" eval '[ "$RC" = 28 ] && [ "$SIZE" = 0 ]'
curl -sS --noproxy '*' --max-time 3 -o /dev/null "$U/deezer/chart/0/albums" 2>/dev/null &
BG_PIDS+=($!)
sleep 0.2
start=$(date +%s%N)
ok=1
for _ in 1 2 3; do
    req "$U/deezer/chart/0/tracks"
    [ "$CODE" = 200 ] || ok=0
done
check "a hanging request does not block others" eval '[ $ok = 1 ] && below $(( ($(date +%s%N) - start) / 1000000 )) 1000'
kill "${BG_PIDS[-1]}" 2>/dev/null
wait "${BG_PIDS[-1]}" 2>/dev/null

reset
fault '{"match": "/tmdb/", "fault": {"malformed": true}}'
req "$U/tmdb/movie/popular?api_key=$TMDB_KEY"
check "malformed: 200 with a cut JSON body" \
    eval '[ "$CODE" = 200 ] && [ "$(cat "$T/body")" = "{\"results\": [{\"id\": 1," ] && ! json_is True'

reset
fault '{"match": "/deezer/", "fault": {"truncated": true}}'
req "$U/deezer/chart/0"
check "truncated: Content-Length 1000 bytes more than sent, then closed" \
    eval '[ "$RC" = 18 ] && [ "$CODE" = 200 ] && [ "$SIZE" = "$(wc -c <"$FIX/deezer/chart-0__deezer-python.json" | tr -d " ")" ]'

reset
fault '{"match": "/rawg/", "fault": {"oversize_bytes": 3000000}}'
req --compressed "$U/rawg/games?key=$RAWG_KEY"
check "oversize_bytes 3000000: 200, exactly that many bytes of valid JSON, not gzipped" \
    eval '[ "$CODE" = 200 ] && [ "$SIZE" = 3000000 ] && [ "$(header Content-Length)" = 3000000 ] &&
          [ -z "$(header Content-Encoding)" ] && json_is "d[\"results\"] == []"'
fault '{"match": "/rawg/", "fault": {"oversize_bytes": 200000, "chunked": true}}'
req "$U/rawg/games?key=$RAWG_KEY"
check "oversize + chunked: no Content-Length, chunked transfer" \
    eval '[ "$CODE" = 200 ] && [ "$SIZE" = 200000 ] && [ -z "$(header Content-Length)" ] &&
          [ "$(header Transfer-Encoding)" = chunked ]'

reset
fault '{"match": "/jikan/", "fault": {"reset": true}}'
req "$U/jikan/top/anime"
check "reset: connection reset by peer, no response" eval '[ "$RC" = 56 ] && grep -qi reset "$T/err"'

reset
fault '{"match": "/tmdb/", "fault": {"content_type": "text/html"}}'
req "$U/tmdb/movie/popular?api_key=$TMDB_KEY"
check "content_type text/html: 200 with an HTML page" \
    eval '[ "$CODE" = 200 ] && [ "$(header Content-Type)" = text/html ] && has "<html>Service Unavailable</html>"'
fault '{"match": "/tmdb/", "fault": {"content_type": "text/html", "status": 503}}'
req "$U/tmdb/movie/popular?api_key=$TMDB_KEY"
check "content_type with a status" eval '[ "$CODE" = 503 ] && [ "$(header Content-Type)" = text/html ]'

reset
fault '{"match": "/deezer/", "fault": {"error200": true}}'
fault '{"match": "/igdb/", "fault": {"error200": true}}'
fault '{"match": "/tmdb/", "fault": {"error200": true}}'
req "$U/deezer/chart/0/albums"
check "error200 deezer: 200 with the recorded Deezer error" \
    eval '[ "$CODE" = 200 ] && same_as deezer/error-album-not-found__deezer-python.json'
req -X POST -H "Client-ID: $CLIENT_ID" -H "Authorization: Bearer $TOKEN" --data 'x' "$U/igdb/games"
check "error200 igdb: 200 with [{title: Syntax Error, status: 400}]" \
    eval '[ "$CODE" = 200 ] && json_is "d[0][\"title\"] == \"Syntax Error\" and d[0][\"status\"] == 400"'
req "$U/tmdb/movie/popular?api_key=$TMDB_KEY"
check "error200 tmdb: 200 with the recorded TMDB error" \
    eval '[ "$CODE" = 200 ] && json_is "d[\"status_code\"] == 7 and \"results\" not in d"'

reset
fault '{"match": "/tmdb/trending", "fault": {"json": {"page": 1, "results": [], "total_pages": 0, "total_results": 0}}}'
req "$U/tmdb/trending/tv/week?api_key=$TMDB_KEY"
check "json: serves the given value" \
    eval '[ "$CODE" = 200 ] && json_is "d == {\"page\": 1, \"results\": [], \"total_pages\": 0, \"total_results\": 0}"'
fault '{"match": "/tmdb/movie/popular", "fault": {"fixture": "tmdb/movie-now-playing__tmdb-api-rs.json"}}'
req "$U/tmdb/movie/popular?api_key=$TMDB_KEY"
check "fixture: serves another recorded file" eval '[ "$CODE" = 200 ] && same_as tmdb/movie-now-playing__tmdb-api-rs.json'

reset
fault '{"match": "/deezer/chart/0/artists", "fault": {"drip_bytes_per_sec": 20000}}'
req "$U/deezer/chart/0/artists"
check "drip_bytes_per_sec 20000: the 7711-byte body takes >= 0.3 s, intact" \
    eval '[ "$CODE" = 200 ] && same_as deezer/chart-0-artists__deezer-python.json && at_least "$TIME" 0.3'

reset
fault '{"match": "/deezer/chart/0/albums", "fault": {"redirect": "/deezer/chart/0/tracks"}}'
req "$U/deezer/chart/0/albums"
check "redirect: 302 with Location" eval '[ "$CODE" = 302 ] && [ "$(header Location)" = /deezer/chart/0/tracks ]'
req -L "$U/deezer/chart/0/albums"
check "redirect: followed, lands on the target" eval '[ "$CODE" = 200 ] && same_as deezer/chart-0-tracks__deezer-python.json'

reset
fault '{"match": "/jikan/top/anime", "times": 2, "fault": {"status": 500}}'
codes=""
for _ in 1 2 3; do
    req "$U/jikan/top/anime"
    codes="$codes $CODE"
done
check "times 2: two faults, then normal" eval '[ "$codes" = " 500 500 200" ]'
reset
fault '{"match": "/jikan/", "fault": {"status": 500}}'
fault '{"match": "/jikan/top", "fault": {"status": 503}}'
req "$U/jikan/top/manga"
c1=$CODE
req "$U/jikan/schedules"
check "the newest matching rule wins" eval '[ "$c1" = 503 ] && [ "$CODE" = 500 ]'
reset
fault '{"match": "/tmdb/", "method": "POST", "fault": {"status": 500}}'
req "$U/tmdb/movie/popular?api_key=$TMDB_KEY"
check "method: a POST rule leaves GET alone" eval '[ "$CODE" = 200 ]'
check "a rule with an unknown fault field is refused" eval '! upstream_fault "{\"match\": \"/x\", \"fault\": {\"stauts\": 500}}" >/dev/null 2>&1'

reset
req -X POST -H "Client-ID: $CLIENT_ID" -H "Authorization: Bearer $TOKEN" --data 'x' "$U/igdb/games"
c1=$CODE
upstream_revoke_tokens >/dev/null
req -X POST -H "Client-ID: $CLIENT_ID" -H "Authorization: Bearer $TOKEN" --data 'x' "$U/igdb/games"
c2=$CODE
TOKEN=$(token)
req -X POST -H "Client-ID: $CLIENT_ID" -H "Authorization: Bearer $TOKEN" --data 'x' "$U/igdb/games"
check "revoke_tokens: old token 401, a new one works" eval '[ "$c1 $c2 $CODE" = "200 401 200" ]'
reset
req -X POST -H "Client-ID: $CLIENT_ID" -H "Authorization: Bearer $TOKEN" --data 'x' "$U/igdb/games"
c1=$CODE
reset '{"tokens": true}'
req -X POST -H "Client-ID: $CLIENT_ID" -H "Authorization: Bearer $TOKEN" --data 'x' "$U/igdb/games"
check "reset keeps tokens; reset {tokens: true} drops them" eval '[ "$c1 $CODE" = "200 401" ]'

reset
upstream_config '{"latency_ms": 300}' >/dev/null
req "$U/deezer/chart/0/tracks"
c1=$CODE
t1=$TIME
reset
req "$U/deezer/chart/0/tracks"
check "config latency_ms 300 delays every answer; reset clears it" \
    eval '[ "$c1" = 200 ] && at_least "$t1" 0.3 && below "$TIME" 0.25'

# -- robustness: clients that leave mid-response ---------------------------------------------------

reset
fault '{"match": "/rawg/", "fault": {"oversize_bytes": 50000000}}'
curl -sS --noproxy '*' --max-time 5 "$U/rawg/games?key=$RAWG_KEY" 2>/dev/null | head -c 1000 >/dev/null
fault '{"match": "/deezer/", "fault": {"drip_bytes_per_sec": 2000}}'
curl -sS --noproxy '*' --max-time 0.3 -o /dev/null "$U/deezer/chart/0" 2>/dev/null
sleep 0.3
req "$U/tmdb/movie/popular?api_key=$TMDB_KEY"
check "clients leaving mid-response: logged, server keeps serving" \
    eval '[ "$CODE" = 200 ] && kill -0 "$UPSTREAM_PID" && grep -q "client went away" "$UPSTREAM_LOG" &&
          ! grep -q -e "internal error" -e Traceback "$UPSTREAM_LOG"'

record_tally upstream "$passed" "$failed"
[ "$failed" = 0 ]
