#!/usr/bin/env bash
# `make demo`: installs what is missing, builds and installs tako_cache, starts a local cluster in
# .demo/ (its own port and socket), creates the extension, fills the cache with tako_refresh_all(),
# schedules the refreshes with pg_cron and shows a few items, what a Tako route gets from
# tako_discover (a hit, a miss that fills), the pg_cron jobs and the stats.
#
# Upstream: the bundled offline test upstream (test/upstream, serving recorded responses), unless
# API keys are in the environment (TMDB_API_KEY, RAWG_API_KEY, IGDB_CLIENT_ID and
# IGDB_CLIENT_SECRET): then the real APIs. The cluster (and the offline upstream) keep running;
# `make demo-stop` stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source test/lib/deps.sh
source test/lib/cluster.sh
source test/lib/upstream.sh

# The cluster lives in .demo/ unless the server's user cannot reach the repository (a checkout
# under /root, run as root): then in /tmp, with .demo pointing at it. TAKO_DEMO_DIR puts it
# elsewhere (test/suites/demo.sh runs the demo there, beside a demo of your own). PostgreSQL 17
# or 18 (PG=17, PG=18: test/lib/pg_version.sh) have .demo-17/ and .demo-18/ beside it.
DEMO_NAME=.demo
if pg_uses_root; then DEMO_NAME=.demo-$PG; fi
demo_dir() {
    if [ -n "${TAKO_DEMO_DIR:-}" ]; then
        echo "$TAKO_DEMO_DIR"
    elif [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
        echo "$ROOT/$DEMO_NAME"
    else
        echo "/tmp/tako_cache$DEMO_NAME-$(echo "$ROOT" | md5sum | cut -c1-8)"
    fi
}

DIR=$(demo_dir)
# The offline upstream runs in a session of its own (setsid): stop that whole process group, and
# wait until it is gone.
stop_upstream() {
    if [ -f "$DIR/upstream.pid" ]; then
        local pid
        pid=$(cat "$DIR/upstream.pid")
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$pid" 2>/dev/null || true
        rm -f "$DIR/upstream.pid"
    fi
}
if [ "${1:-}" = --stop ]; then
    if [ -f "$DIR/data/postmaster.pid" ]; then
        as_server_user "$PG_BINDIR/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null || true
    fi
    stop_upstream
    echo "Stopped the demo's server and upstream ($DIR)."
    exit 0
fi

ensure_deps
[ -n "${PG:-}" ] || PG_BINDIR=$(/usr/lib/postgresql/15/bin/pg_config --bindir)
echo "Building and installing tako_cache..."
build_and_install

mkdir -p "$DIR"
if [ "$DIR" != "$ROOT/$DEMO_NAME" ] && [ -z "${TAKO_DEMO_DIR:-}" ]; then
    ln -sfn "$DIR" "$ROOT/$DEMO_NAME"
fi
export PGHOST=$DIR PGUSER=postgres PGDATABASE=postgres
if [ -f "$DIR/port" ] && [ -d "$DIR/data" ]; then
    export PGPORT=$(cat "$DIR/port") PGDATA=$DIR/data
    if ! as_server_user "$PG_BINDIR/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        as_server_user "$PG_BINDIR/pg_ctl" -D "$PGDATA" -l "$DIR/server.log" -w start >/dev/null
    fi
else
    rm -rf "${DIR:?}"/*
    cluster_start demo --dir "$DIR" --conf "cron.database_name = 'postgres'"
    echo "$PGPORT" >"$DIR/port"
fi
echo "Cluster: socket $PGHOST, port $PGPORT (psql -h $PGHOST -p $PGPORT -U postgres)"

# Where the lists come from. Settings go through ALTER SYSTEM: postgresql.auto.conf is readable by
# the server's user only, and pg_db_role_setting would show the keys to every role.
settings=()
if [ -n "${TMDB_API_KEY:-}${RAWG_API_KEY:-}${IGDB_CLIENT_ID:-}${IGDB_CLIENT_SECRET:-}" ]; then
    stop_upstream
    echo "Upstream: the real APIs (API keys found in the environment)"
    for provider in tmdb jikan rawg igdb deezer itunes; do settings+=("tako_cache.${provider}_base_url"); done
    settings+=(tako_cache.igdb_token_url)
    keys=(tmdb_api_key="${TMDB_API_KEY:-}" rawg_api_key="${RAWG_API_KEY:-}"
          igdb_client_id="${IGDB_CLIENT_ID:-}" igdb_client_secret="${IGDB_CLIENT_SECRET:-}")
    sql="$(for s in "${settings[@]}"; do echo "ALTER SYSTEM RESET $s;"; done)"
    for kv in "${keys[@]}"; do
        sql+=$'\n'"ALTER SYSTEM SET tako_cache.${kv%%=*} = '$(printf '%s' "${kv#*=}" | sed "s/'/''/g")';"
    done
else
    if ! { [ -f "$DIR/upstream.pid" ] && kill -0 "$(cat "$DIR/upstream.pid")" 2>/dev/null; }; then
        mkdir -p "$DIR/upstream"
        rm -f "$DIR/upstream/port"
        setsid --fork nohup python3 test/upstream/server.py --port 0 --port-file "$DIR/upstream/port" \
            --log "$DIR/upstream/upstream.log" >/dev/null 2>&1 &
        for _ in $(seq 1 100); do [ -s "$DIR/upstream/port" ] && break; sleep 0.1; done
        # setsid --fork: the server leads its own session, whatever this script's process group.
        pgrep -f -n -- "--port-file $DIR/upstream/port" >"$DIR/upstream.pid"
    fi
    TAKO_UPSTREAM=http://127.0.0.1:$(cat "$DIR/upstream/port")
    echo "Upstream: the offline test upstream at $TAKO_UPSTREAM (recorded responses of test/fixtures)"
    sql="$(upstream_conf_lines | sed -e 's/^/ALTER SYSTEM SET /' -e 's/$/;/')"
fi
printf "%s\n" "$sql" | psql -X -q -v ON_ERROR_STOP=1 >/dev/null
psql -X -q -c "SELECT pg_reload_conf()" >/dev/null

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS tako_cache CASCADE;
DROP EXTENSION IF EXISTS pg_cron;
CREATE EXTENSION tako_cache CASCADE;
\echo
\echo '-- fill: tako_refresh_all() (every warm key, fetched concurrently under the rate limits)'
SELECT r->>'total' AS lists, r->>'succeeded' AS succeeded, r->>'failed' AS failed,
       r->>'duration_ms' AS duration_ms
  FROM tako_refresh_all() AS r;
SELECT cache_key, outcome, error FROM tako_cache.tako_refresh_log WHERE outcome <> 'ok' ORDER BY cache_key;
\echo '-- a few items of each provider'
SELECT DISTINCT ON (provider) provider, cache_key, total_results AS items,
       data->0->>'title' AS first_title, data->0->>'type' AS type
  FROM tako_cache.discovery_cache ORDER BY provider, cache_key;
\echo '-- what a Tako route gets: tako_discover(key), a hit'
SELECT d->>'provider' AS provider, d->>'endpoint' AS endpoint, d->>'query' AS query, d->>'total' AS total,
       d->>'count' AS count, d->'pagination' AS pagination, d->'meta'->>'cached' AS cached,
       d->'meta'->>'fetchedAt' AS fetched_at
  FROM tako_discover('tmdb:trending:movie:week') AS d;
\echo '-- a miss that fills (a chart nobody asked for yet), then the same key again'
SELECT d->>'cacheKey' AS key, d->>'cached' AS cached FROM (
    SELECT tako_discover('itunes:charts:de-song')->'meta' AS d) AS first;
SELECT d->>'cacheKey' AS key, d->>'cached' AS cached FROM (
    SELECT tako_discover('itunes:charts:de-song')->'meta' AS d) AS again;
\echo '-- a hit: tako_get_cached(key), the items alone'
SELECT item->>'id' AS id, item->>'title' AS title, item->>'year' AS year
  FROM json_array_elements(tako_get_cached('tmdb:trending:movie:week')) AS item LIMIT 5;
\timing on
SELECT json_array_length(tako_get_cached('tmdb:trending:movie:week')) AS items_in_hit;
\timing off
\echo '-- the refresh schedule: tako_schedule_refreshes() installs these pg_cron jobs (cron.job)'
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT count(*) AS tako_cache_jobs FROM tako_schedule_refreshes();
SELECT jobid, jobname, schedule, command FROM cron.job WHERE jobname LIKE 'tako_cache:%' ORDER BY jobname;
\echo '-- stats: tako_cache_stats()'
SELECT jsonb_pretty(tako_cache_stats()->'global');
SQL
echo
echo "The cluster is still running: psql -h $PGHOST -p $PGPORT -U postgres; stop it with 'make demo-stop${PG:+ PG=$PG}'."
