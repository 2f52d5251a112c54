# The test upstream (test/upstream/server.py): a local stand-in for the six providers that answers
# with the recorded responses in test/fixtures/ and injects faults on demand. Source this file.
# Needs python3 and curl.
#
#   upstream_start [DIR]      start it in the background (port file and log in DIR, else a temporary
#                             directory); exports TAKO_UPSTREAM=http://127.0.0.1:PORT, UPSTREAM_PID,
#                             UPSTREAM_PORT, UPSTREAM_DIR, UPSTREAM_LOG. Non-zero (log on stderr) on
#                             failure.
#   upstream_stop             stop it (and remove its temporary directory unless KEEP_UPSTREAM=1)
#   upstream_conf_lines       postgresql.conf lines pointing tako_cache at it, with the test keys
#   upstream_fault JSON       add a fault rule ({"match": ..., "method": ..., "times": N, "fault": {...}})
#   upstream_reset [JSON]     clear rules, recorded requests and latency ('{"tokens": true}': tokens too)
#   upstream_requests [MATCH] print the recorded provider requests (JSON array), optionally only those
#                             whose path?query contains MATCH
#   upstream_config JSON      e.g. '{"latency_ms": 50}'
#   upstream_revoke_tokens    invalidate every IGDB token issued so far
#   upstream_health           succeeds when the server answers
# The control calls print the server's JSON answer and fail when it is not a 2xx.
# The control API is described in test/upstream/README.md.

UPSTREAM_SERVER=${UPSTREAM_SERVER:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/upstream/server.py}
UPSTREAM_TMDB_KEY=${UPSTREAM_TMDB_KEY:-test-tmdb-key}
UPSTREAM_RAWG_KEY=${UPSTREAM_RAWG_KEY:-test-rawg-key}
UPSTREAM_IGDB_CLIENT_ID=${UPSTREAM_IGDB_CLIENT_ID:-test-igdb-client}
UPSTREAM_IGDB_CLIENT_SECRET=${UPSTREAM_IGDB_CLIENT_SECRET:-test-igdb-secret}

upstream_start() {
    local dir=${1:-} own=0
    if [ -n "${UPSTREAM_PID:-}" ] && kill -0 "$UPSTREAM_PID" 2>/dev/null; then
        echo "upstream_start: already running (pid $UPSTREAM_PID)" >&2
        return 1
    fi
    if [ -z "$dir" ]; then
        dir=$(mktemp -d /tmp/tako_cache.upstream.XXXXXX) || return 1
        own=1
    fi
    mkdir -p "$dir" || return 1
    UPSTREAM_DIR=$dir
    UPSTREAM_OWN_DIR=$own
    UPSTREAM_LOG=$dir/upstream.log
    rm -f "$dir/upstream.port"
    python3 "$UPSTREAM_SERVER" --port 0 --port-file "$dir/upstream.port" --log "$UPSTREAM_LOG" \
        --tmdb-key "$UPSTREAM_TMDB_KEY" --rawg-key "$UPSTREAM_RAWG_KEY" \
        --igdb-client-id "$UPSTREAM_IGDB_CLIENT_ID" \
        --igdb-client-secret "$UPSTREAM_IGDB_CLIENT_SECRET" </dev/null >>"$UPSTREAM_LOG" 2>&1 &
    UPSTREAM_PID=$!
    export UPSTREAM_PID UPSTREAM_DIR UPSTREAM_LOG
    local i
    for i in $(seq 1 100); do
        if [ -s "$dir/upstream.port" ]; then
            UPSTREAM_PORT=$(cat "$dir/upstream.port")
            TAKO_UPSTREAM=http://127.0.0.1:$UPSTREAM_PORT
            export UPSTREAM_PORT TAKO_UPSTREAM
            return 0
        fi
        kill -0 "$UPSTREAM_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "upstream_start: the test upstream did not start; its log ($UPSTREAM_LOG):" >&2
    cat "$UPSTREAM_LOG" >&2 2>/dev/null
    kill "$UPSTREAM_PID" 2>/dev/null
    wait "$UPSTREAM_PID" 2>/dev/null
    unset UPSTREAM_PID
    return 1
}

upstream_stop() {
    if [ -n "${UPSTREAM_PID:-}" ]; then
        kill "$UPSTREAM_PID" 2>/dev/null
        local i
        for i in $(seq 1 50); do
            kill -0 "$UPSTREAM_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$UPSTREAM_PID" 2>/dev/null
        wait "$UPSTREAM_PID" 2>/dev/null
    fi
    if [ "${UPSTREAM_OWN_DIR:-0}" = 1 ] && [ "${KEEP_UPSTREAM:-0}" != 1 ] && [ -n "${UPSTREAM_DIR:-}" ]; then
        rm -rf "$UPSTREAM_DIR"
    fi
    unset UPSTREAM_PID UPSTREAM_PORT TAKO_UPSTREAM UPSTREAM_OWN_DIR
    return 0
}

upstream_conf_lines() {
    local base=${TAKO_UPSTREAM:?upstream_conf_lines: the upstream is not started} p
    for p in tmdb jikan rawg igdb deezer itunes; do
        echo "tako_cache.${p}_base_url = '$base/$p'"
    done
    echo "tako_cache.igdb_token_url = '$base/twitch/oauth2/token'"
    echo "tako_cache.tmdb_api_key = '$UPSTREAM_TMDB_KEY'"
    echo "tako_cache.rawg_api_key = '$UPSTREAM_RAWG_KEY'"
    echo "tako_cache.igdb_client_id = '$UPSTREAM_IGDB_CLIENT_ID'"
    echo "tako_cache.igdb_client_secret = '$UPSTREAM_IGDB_CLIENT_SECRET'"
}

# _upstream_call METHOD PATH [JSON]: prints the answer; fails unless the status is 2xx.
_upstream_call() {
    local method=$1 path=$2 data=${3:-} out code
    local args=(-sS --noproxy '*' --max-time 10 -X "$method" -w '\n%{http_code}')
    [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
    out=$(curl "${args[@]}" "${TAKO_UPSTREAM:?the upstream is not started}$path") || return 1
    code=${out##*$'\n'}
    out=${out%$'\n'*}
    echo "$out"
    case $code in
    2??) return 0 ;;
    *) echo "upstream: $method $path -> HTTP $code" >&2; return 1 ;;
    esac
}

upstream_fault() { _upstream_call POST /_control/faults "$1"; }
upstream_reset() {
    local body=${1:-}
    [ -n "$body" ] || body='{}'
    _upstream_call POST /_control/reset "$body"
}
upstream_config() { _upstream_call POST /_control/config "$1"; }
upstream_revoke_tokens() { _upstream_call POST /_control/revoke_tokens; }
upstream_health() { _upstream_call GET /_control/health >/dev/null; }
upstream_requests() {
    if [ -n "${1:-}" ]; then
        _upstream_call GET "/_control/requests?match=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1")"
    else
        _upstream_call GET /_control/requests
    fi
}
