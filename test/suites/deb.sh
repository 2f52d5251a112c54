#!/usr/bin/env bash
# The Debian package (docs/debian-package.md) of one PostgreSQL version (PG: 15, 17 or 18; default
# 15), as a user of that Debian suite meets it: `make deb` builds it; its control fields and files
# are checked; then a fresh Debian root of the suite with no compiler (a copy of a pristine minbase
# root, made for this run and deleted after it) gets it with `apt-get install ./<the .deb>`, which
# pulls postgresql-<v> and, as recommended, pg_cron from Debian's archive. A cluster started there
# as the unprivileged postgres user creates the extension, reads a key, refreshes it against the
# test upstream (test/lib/upstream.sh, on loopback, which the chroot shares) and reads the saved
# list back. Needs root (debootstrap, mount and chroot).
#
# Roots (scripts/lib/debian_root.sh), in TAKO_ROOTS_DIR like the other suites' but never theirs:
# <suite>-minbase (pristine, built once) and <suite>-deb-build (the package's build root).
# TAKO_DEB_KEEP=1 keeps the fresh root for a look.
set -u
source "$(dirname "$0")/../lib/suite.sh"
source "$TAKO_ROOT/scripts/lib/debian_root.sh"
source "$TAKO_ROOT/test/lib/upstream.sh"
cd "$TAKO_ROOT"

export PG=${PG:-15}
suite=deb
passed=0
failed=0
give_up() {
    echo "not ok - $1"
    record_tally "$suite" "$passed" $((failed + 1))
    exit 1
}

[ "$(id -u)" = 0 ] || give_up "the Debian package suite needs root (debootstrap, mount and chroot)"
debian=$(deb_suite_of "$PG") || give_up "PG=$PG: no Debian package for it"
started=$(date +%s)
version=$(sed -n "s/^default_version = '\\(.*\\)'/\\1/p" tako_cache.control)
arch=$(dpkg --print-architecture)
deb=dist/postgresql-$PG-tako-cache_${version}_$arch.deb

# --- the build ------------------------------------------------------------------------------
work=$(mktemp -d /var/tmp/tako_cache.deb.XXXXXX)
root=$work/root
cleanup() {
    local pid
    # The server (and whatever else) still running inside the root goes first.
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        case $(readlink "/proc/$pid/root" 2>/dev/null) in "$root" | "$root"/*) kill -KILL "$pid" 2>/dev/null ;; esac
    done
    sleep 0.2
    upstream_stop
    [ "${TAKO_DEB_KEEP:-0}" = 1 ] || rm -rf --one-file-system "$work"
}
trap cleanup EXIT
rm -f "$deb"
make -s deb PG="$PG" >"$work/make-deb.log" 2>&1
rc=$?
check "make deb PG=$PG builds $deb (Debian $debian)" test $rc = 0 -a -f "$deb"
[ -f "$deb" ] || { tail -30 "$work/make-deb.log" | sed 's/^/#   /'; give_up "no package to install"; }

field() { dpkg-deb -f "$deb" "$1"; }
check "... its version is tako_cache.control's default_version ($version)" test "$(field Version)" = "$version"
# Run-time libraries from ${shlibs:Depends} (dpkg-shlibdeps): libcurl, libstdc++; the server from
# pg_buildext's ${postgresql:Depends}.
depends_on() {
    local want=$1
    field Depends | tr ',' '\n' | sed 's/^ *//' | grep -Eq "^($want)( |\$)"
}
check "... it depends on postgresql-$PG" depends_on "postgresql-$PG"
check '... on libcurl (${shlibs:Depends})' depends_on 'libcurl4|libcurl4t64'
check "... on libstdc++6" depends_on 'libstdc\+\+6'
check "... and recommends postgresql-$PG-cron" bash -c "dpkg-deb -f '$deb' Recommends | grep -q 'postgresql-$PG-cron'"
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$work/files"
has_files() {
    local f
    for f in "/usr/lib/postgresql/$PG/lib/tako_cache.so" \
        "/usr/share/postgresql/$PG/extension/tako_cache.control" \
        "/usr/share/postgresql/$PG/extension/tako_cache--$version.sql"; do
        grep -qx "$f" "$work/files" || { echo "# missing: $f"; return 1; }
    done
    for f in sql/install/tako_cache--*.sql; do
        grep -qx "/usr/share/postgresql/$PG/extension/$(basename "$f")" "$work/files" || { echo "# missing: $f"; return 1; }
    done
}
check "... it holds the library, the control file, the generated install script and every upgrade script" has_files
check "... and no test probe" bash -c "! grep -q probe '$work/files'"

# --- a fresh root of the suite -------------------------------------------------------------
pristine=$(deb_minbase "$debian") || give_up "no pristine Debian $debian minbase root"
cp -a "$pristine" "$root" || give_up "could not copy the minbase root"
deb_root_prepare "$root"
in_root() { deb_in_root "$root" "$@"; }

# (Succeeds only when the root answered: a chroot that failed is no proof.)
no_compiler() { in_root sh -c 'for c in g++ gcc cc c++; do command -v $c && exit 1; done; exit 0'; }
check "the fresh Debian $debian root has no compiler" no_compiler
check "... and no PostgreSQL" bash -c "! ls '$root/usr/lib/postgresql' >/dev/null 2>&1"

mkdir -p "$root/tmp/deb"
cp "$deb" "$root/tmp/deb/"
# As a user would: apt's defaults (recommends too), the package by its path.
{ in_root apt-get -q update &&
    in_root apt-get -q -y -o DPkg::Lock::Timeout=900 -o Dpkg::Options::=--force-confdef \
        -o Dpkg::Options::=--force-confold install "./tmp/deb/$(basename "$deb")"; } >"$work/apt.log" 2>&1
rc=$?
check "apt-get install ./$(basename "$deb") in it exits 0" test $rc = 0
[ $rc = 0 ] || tail -20 "$work/apt.log" | sed 's/^/#   /'
installed() { in_root dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
check "... postgresql-$PG-tako-cache is installed" installed "postgresql-$PG-tako-cache"
check "... with postgresql-$PG from Debian's archive" installed "postgresql-$PG"
check "... and pg_cron (postgresql-$PG-cron, recommended)" installed "postgresql-$PG-cron"
check "... still no compiler" no_compiler
echo "# installed: $(in_root dpkg-query -W -f='${Package} ${Version}, ' "postgresql-$PG" "postgresql-$PG-cron" "postgresql-$PG-tako-cache" 2>/dev/null | sed 's/, $//')"

# --- a cluster in it, as postgres ----------------------------------------------------------
upstream_start >/dev/null || give_up "the test upstream did not start"
dir=/var/tmp/tako_deb  # inside the root
mkdir -p "$root$dir"
in_root chown postgres: "$dir"
as_postgres() { in_root runuser -u postgres -- "$@"; }
bindir=/usr/lib/postgresql/$PG/bin
start_cluster() {
    as_postgres "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C \
        >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log"; return 1; }
    # Sockets only (no TCP port to collide with the machine's servers); the server reaches the
    # upstream on 127.0.0.1.
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$dir'"
        echo "shared_preload_libraries = 'pg_cron,tako_cache'"
        echo "cron.database_name = 'tako_deb'"
        echo "cron.host = '$dir'"
        echo "tako_cache.database_name = 'tako_deb'"
        echo "fsync = off"
        upstream_conf_lines
    } >>"$root$dir/data/postgresql.conf"
    as_postgres env NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
        "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >"$work/pg_ctl.log" 2>&1 ||
        { cat "$work/pg_ctl.log" "$root$dir/server.log"; return 1; }
}
check "a PostgreSQL $PG cluster with pg_cron and tako_cache preloaded starts as postgres" start_cluster
q() { as_postgres "$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$dir" -d tako_deb "$@"; }
key=tmdb:trending:movie:week
# tako_discover's miss is fetched by the refresh worker, which starts with the server and serves
# tako_deb once it exists (up to 30 s).
worker_serves() {
    local i
    for i in $(seq 1 300); do
        [ "$(q -c "SELECT tako_cache.tako_queue_stats()->>'serves_this_database'" 2>/dev/null)" = true ] && return 0
        sleep 0.1
    done
    return 1
}
create_extension() {
    q -d postgres -c 'CREATE DATABASE tako_deb' && q -c 'CREATE EXTENSION pg_cron' -c 'CREATE EXTENSION tako_cache'
}
check "CREATE EXTENSION tako_cache (and pg_cron)" create_extension
check "... its version is $version" test "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'tako_cache'")" = "$version"
check "... the refresh worker serves the database" worker_serves
log_mark=$(stat -c %s "$root$dir/server.log")
check "a read of $key before any refresh: tako_get_cached is NULL (a miss)" \
    test "$(q -c "SELECT tako_get_cached('$key') IS NULL")" = t
status=$(q -c "SELECT tako_refresh('$key')->>'status'" 2>&1)
check "tako_refresh('$key') against the test upstream: ok" test "$status" = ok
[ "$status" = ok ] || echo "# $status"
asked_upstream() { upstream_requests trending/movie/week | grep -q trending/movie/week; }
check "... its request reached the upstream (libcurl, from the packaged library)" asked_upstream
saved=$(q -c "SELECT total_results FROM tako_cache.discovery_cache WHERE cache_key = '$key' AND last_refresh_status = 'ok'")
check "... the list is saved in tako_cache.discovery_cache ($saved items)" test "${saved:-0}" -gt 0
check "tako_get_cached('$key') reads the saved items" \
    test "$(q -c "SELECT json_array_length(tako_get_cached('$key'))")" = "${saved:-x}"
check "tako_discover('$key') serves it from the cache" \
    test "$(q -c "SELECT tako_discover('$key')->'meta'->>'cached'")" = true
miss=itunes:charts:de-song
check "tako_discover('$miss'), a miss, is fetched (cached false)" \
    test "$(q -c "SELECT tako_discover('$miss')->'meta'->>'cached'")" = false
# (In a statement of its own: the worker saved it in a transaction of its own.)
check "... and saved: tako_cache.discovery_cache has its items" \
    test "$(q -c "SELECT count(*) FROM tako_cache.discovery_cache WHERE cache_key = '$miss' AND total_results > 0")" = 1
# Before the database existed, the worker and pg_cron's launcher said so (FATAL) and retried.
check "no ERROR or FATAL in the server's log since the database exists" \
    bash -c "! tail -c +$((log_mark + 1)) '$root$dir/server.log' | grep -E 'ERROR|FATAL'"
as_postgres "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
check "the server stops" test ! -e "$root$dir/data/postmaster.pid"

if [ "$failed" != 0 ]; then
    for log in make-deb apt; do
        echo "# --- $log.log (end)"
        tail -n 15 "$work/$log.log" 2>/dev/null | sed 's/^/#   /'
    done
    echo "# --- server.log (end)"
    tail -n 15 "$root$dir/server.log" 2>/dev/null | sed 's/^/#   /'
fi
echo "[$suite@$PG] $(($(date +%s) - started)) s"
record_tally "$suite" "$passed" "$failed"
[ "$failed" = 0 ]
