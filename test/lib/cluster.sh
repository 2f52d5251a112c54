# Temporary PostgreSQL clusters (15, or PG's) for the tests and the demo. Source this file.
#
# PostgreSQL refuses to run as root, and CI runs as root: then the server runs as the `postgres`
# system user that Debian's postgresql package creates, in a directory that user owns. A
# non-root developer runs it as themselves.
#
#   cluster_start NAME [--dir DIR] [--conf 'line'...]  initdb + start; exports PGHOST PGPORT PGUSER
#                                                    PGDATA CLUSTER_DIR CLUSTER_LOG
#   cluster_psql ...                                 psql against it, ON_ERROR_STOP, quiet
#   cluster_stop                                     stop it and remove its directory (unless
#                                                    KEEP_CLUSTER=1 or it was given with --dir)

# PG=17 or 18: that version's server, in its Debian root (test/lib/pg_version.sh); default 15.
source "$(dirname "${BASH_SOURCE[0]}")/pg_version.sh" || return 1
# (On a bare machine there is no pg_config yet: the demo installs PostgreSQL, then sets PG_BINDIR.)
PG_BINDIR=${PG_BINDIR:-$(pg_config --bindir 2>/dev/null || true)}

as_server_user() {
    if [ "$(id -u)" = 0 ]; then
        pg_in_root runuser -u postgres -- "$@"
    else
        pg_in_root "$@"
    fi
}

# A port nobody listens on (sockets live in the cluster's own directory, but replicas and
# clients still name the port). Below Linux's ephemeral range (32768-60999), where client sockets
# would otherwise collide with it.
free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((10000 + RANDOM % 22000))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "no free port found" >&2
    return 1
}

cluster_start() {
    local name=$1
    shift
    local dir="" keep_dir=0
    local conf=()
    while [ $# -gt 0 ]; do
        case $1 in
        --dir) dir=$2; keep_dir=1; shift 2 ;;
        --conf) conf+=("$2"); shift 2 ;;
        *) echo "cluster_start: unknown option $1" >&2; return 2 ;;
        esac
    done
    if [ -z "$dir" ]; then
        dir=$(mktemp -d "/tmp/tako_cache.$name.XXXXXX")
    fi
    mkdir -p "$dir"
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"

    CLUSTER_DIR=$dir
    CLUSTER_KEEP_DIR=$keep_dir
    PGDATA=$dir/data
    CLUSTER_LOG=$dir/server.log
    PGHOST=$dir
    PGUSER=postgres
    export PGDATA PGHOST PGUSER CLUSTER_DIR CLUSTER_LOG
    unset PGDATABASE PGPASSWORD PGSERVICE

    as_server_user "$PG_BINDIR/initdb" -D "$PGDATA" -U postgres --auth=trust --no-sync \
        -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        return 1
    }
    {
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$dir'"
        echo "shared_preload_libraries = 'pg_cron,tako_cache'"
        echo "cron.host = '$dir'"  # pg_cron's job connections use the cluster's own socket
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
        echo "max_connections = 120"
        echo "log_min_messages = warning"
        echo "log_line_prefix = '%m [%p] %q%u@%d '"
        for line in "${conf[@]}"; do echo "$line"; done
    } | as_server_user tee -a "$PGDATA/postgresql.conf" >/dev/null
    # A port can still be taken between the check and the bind: try a few.
    local attempt
    for attempt in 1 2 3 4 5; do
        PGPORT=$(free_port) || return 1
        export PGPORT
        # The server talks to the test upstream on 127.0.0.1: never through a proxy of the environment.
        if as_server_user env NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
            "$PG_BINDIR/pg_ctl" -D "$PGDATA" -l "$CLUSTER_LOG" -w -t 60 -o "-p $PGPORT" start >/dev/null; then
            # Later plain starts and restarts (tests, the demo) keep the port.
            echo "port = $PGPORT" | as_server_user tee -a "$PGDATA/postgresql.conf" >/dev/null
            return 0
        fi
        grep -q "could not create any TCP/IP sockets" "$CLUSTER_LOG" || break
    done
    cat "$CLUSTER_LOG" >&2
    return 1
}

cluster_psql() {
    psql -X -q -v ON_ERROR_STOP=1 "$@"
}

cluster_stop() {
    [ -n "${PGDATA:-}" ] || return 0
    as_server_user "$PG_BINDIR/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
    if [ "${KEEP_CLUSTER:-0}" != 1 ] && [ "${CLUSTER_KEEP_DIR:-0}" != 1 ] && [ -n "${CLUSTER_DIR:-}" ]; then
        rm -rf "$CLUSTER_DIR"
    fi
    unset PGDATA
}

# cluster_wait_worker DB: waits (up to 30 s) until tako_cache's refresh worker serves DB (it starts
# with the server, and retries every few seconds while its database does not exist yet).
cluster_wait_worker() {
    local i
    for i in $(seq 1 300); do
        [ "$(psql -X -q -At -d "$1" -c "SELECT tako_cache.tako_queue_stats()->>'serves_this_database'" 2>/dev/null)" = true ] && return 0
        sleep 0.1
    done
    echo "cluster_wait_worker: no refresh worker serves $1" >&2
    return 1
}
