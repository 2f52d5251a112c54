#!/usr/bin/env bash
# `make demo`: installs what is missing, builds and installs tako_cache, starts a local cluster in
# .demo/ (its own port and socket), creates the extension and shows a save, a hit and the stats.
# The cluster keeps running; `make demo-stop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
source test/lib/deps.sh
source test/lib/cluster.sh

# The cluster lives in .demo/ unless the server's user cannot reach the repository (a checkout
# under /root, run as root): then in /tmp, with .demo pointing at it.
demo_dir() {
    if [ "$(id -u)" != 0 ] || runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
        echo "$ROOT/.demo"
    else
        echo "/tmp/tako_cache-demo-$(echo "$ROOT" | md5sum | cut -c1-8)"
    fi
}

DIR=$(demo_dir)
if [ "${1:-}" = --stop ]; then
    [ -d "$DIR/data" ] && as_server_user /usr/lib/postgresql/15/bin/pg_ctl -D "$DIR/data" -m fast stop || true
    exit 0
fi

ensure_deps
PG_BINDIR=$(/usr/lib/postgresql/15/bin/pg_config --bindir)
echo "Building and installing tako_cache..."
build_and_install

if [ "$DIR" != "$ROOT/.demo" ]; then
    mkdir -p "$DIR"
    ln -sfn "$DIR" "$ROOT/.demo"
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

psql -X -q -v ON_ERROR_STOP=1 -v items="$(cat scripts/demo/tmdb-trending-movie-week.json)" <<SQL
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS tako_cache CASCADE;
CREATE EXTENSION tako_cache CASCADE;
\echo
\echo '-- save: tako_save_cached(key, provider, endpoint, items)'
SELECT tako_save_cached(tako_cache_key('tmdb', 'trending', 'movie', 'week'), 'tmdb', 'trending',
                        :'items'::jsonb) AS saved;
\echo '-- hit: tako_get_cached(key)'
SELECT item->>'id' AS id, item->>'title' AS title, item->>'year' AS year
  FROM jsonb_array_elements(tako_get_cached('tmdb:trending:movie:week')) AS item;
\timing on
SELECT jsonb_array_length(tako_get_cached('tmdb:trending:movie:week')) AS items_in_hit;
\timing off
\echo '-- stats: tako_cache_stats()'
SELECT jsonb_pretty(tako_cache_stats());
SQL
echo
echo "The cluster is still running: psql -h $PGHOST -p $PGPORT -U postgres; stop it with 'make demo-stop'."
