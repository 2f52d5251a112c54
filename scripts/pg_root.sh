#!/usr/bin/env bash
# PostgreSQL versions other than the machine's own, each in a Debian root of its own built with
# debootstrap from Debian's archive and kept between runs (the tests' servers run there, in chroot;
# test/lib/pg_version.sh is what the tests, the demo and the bench use).
#
#   scripts/pg_root.sh ensure VERSION      build VERSION's root unless a complete one is cached; print its path
#   scripts/pg_root.sh run VERSION CMD...  run CMD in the root, as root, with /proc, /sys, /dev, /tmp and
#                                          this clone bind-mounted at their own paths (a private mount
#                                          namespace: nothing stays mounted afterwards), in the same
#                                          directory when it is one of those
#   scripts/pg_root.sh path VERSION        where the root is (built or not)
#   scripts/pg_root.sh suite VERSION       the Debian suite that has VERSION
#   scripts/pg_root.sh remove VERSION      delete the root
#
# Versions: 17 (Debian 13 trixie, pg_cron 1.6.5) and 18 (Debian testing forky, pg_cron 1.6.8); 15
# (Debian 12 bookworm, pg_cron 1.4) is the machine's own, but has a root too for who asks for one
# (TAKO_HOST_PG=none: test/lib/pg_version.sh), to test without installing into the machine's server.
# TAKO_ROOTS_DIR: where the roots live (default /var/cache/tako_cache/roots, one folder per suite).
# TAKO_DEBIAN_MIRROR: the archive (default http://deb.debian.org/debian).
#
# A root is built in a folder beside its final one (<suite>.new), and renamed into place only once
# complete, with a stamp file (.tako_root) holding its recipe: an interrupted build is never reused. A
# root whose recipe changed is built anew, unless only its package list did: then the packages are
# added in place, its stamp removed meanwhile. Concurrent callers wait for each other on a lock
# (<suite>.lock); the build's log is <suite>.log.
set -euo pipefail

ROOTS_DIR=${TAKO_ROOTS_DIR:-/var/cache/tako_cache/roots}
MIRROR=${TAKO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CLONE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
source "$CLONE/scripts/lib/apt.sh"
RECIPE_VERSION=1

die() { echo "pg_root: $*" >&2; exit 1; }

suite_of() {
    case $1 in
    15) echo bookworm ;;
    17) echo trixie ;;
    18) echo forky ;;
    *) die "PostgreSQL $1 has no Debian root here (16 is in no Debian suite this machine reaches)" ;;
    esac
}

packages_of() {  # VERSION: what the tests need inside its root
    local v=$1
    echo "postgresql-$v postgresql-server-dev-$v postgresql-$v-cron postgresql-$v-pgtap" \
         "postgresql-client-$v g++ make libcurl4-openssl-dev nlohmann-json3-dev procps ca-certificates curl"
}

root_of() { echo "$ROOTS_DIR/$(suite_of "$1")"; }

# The server runs as `postgres` inside the root; its uid and gid are the host's `postgres` (when the
# host has one), so that directories the tests make and chown on the host side belong to it.
host_ids() {
    if getent passwd postgres >/dev/null 2>&1; then
        echo "$(id -u postgres):$(id -g postgres)"
    else
        echo "-"
    fi
}

recipe_base() { echo "tako_cache root v$RECIPE_VERSION suite=$(suite_of "$1") postgresql=$1 postgres=$(host_ids)"; }
recipe_of() { echo "$(recipe_base "$1") packages=$(packages_of "$1")"; }
is_current() { [ -f "$1/.tako_root" ] && [ "$(cat "$1/.tako_root")" = "$(recipe_of "$2")" ]; }

install_packages() {  # ROOT VERSION: apt-get install the version's packages inside ROOT
    # shellcheck disable=SC2046
    ( in_root "$1" env DEBIAN_FRONTEND=noninteractive sh -c \
        "apt-get update -q && apt-get install -y -q $(packages_of "$2") && apt-get clean" )
}

need_root() {
    [ "$(id -u)" = 0 ] || die "needs root (debootstrap, mount and chroot): run as root or through sudo"
}

# No bind mount of ours may be under a folder we delete: refuse rather than follow it.
safe_remove() {
    local dir=$1
    [ -e "$dir" ] || return 0
    if findmnt -rn -o TARGET | grep -q "^$dir\(/\|$\)"; then
        die "$dir has file systems mounted under it: unmount them first ($(findmnt -rn -o TARGET | grep "^$dir" | head -3 | tr '\n' ' '))"
    fi
    rm -rf --one-file-system "$dir"
}

# in_root ROOT CMD...: CMD in ROOT as described at the top; the current directory is kept when it
# is reachable inside.
in_root() {
    local root=$1
    shift
    local clone=$CLONE
    case $clone/ in /tmp/*) clone="" ;; esac  # /tmp is mounted anyway
    [ -z "$clone" ] || [ -d "$root$clone" ] || mkdir -p "$root$clone"
    exec unshare --mount --propagation private -- /bin/sh -c '
        root=$1 clone=$2 cwd=$3
        shift 3
        for d in proc sys dev tmp; do mount --rbind "/$d" "$root/$d" || exit 125; done
        if [ -n "$clone" ]; then mount --bind "$clone" "$root$clone" || exit 125; fi
        exec chroot "$root" /bin/sh -c '\''cd "$0" 2>/dev/null || cd /; exec "$@"'\'' "$cwd" "$@"
    ' pg_root "$root" "$clone" "$PWD" env TAKO_IN_ROOT="${TAKO_IN_ROOT:-building}" "$@"
}

build() {  # VERSION: builds the root in a temporary folder, then renames it into place
    local v=$1 suite root tmp script=""
    suite=$(suite_of "$v")
    root=$(root_of "$v")
    tmp=$root.new
    command -v debootstrap >/dev/null || apt_install debootstrap || die "could not install debootstrap"
    # Debian 12's debootstrap has no script for forky (testing): sid's does for any later suite.
    [ -e "/usr/share/debootstrap/scripts/$suite" ] || script=/usr/share/debootstrap/scripts/sid
    safe_remove "$tmp"
    mkdir -p "$tmp"
    local started=$SECONDS
    echo "pg_root: building the Debian $suite root of PostgreSQL $v in $root (debootstrap from $MIRROR)..." >&2
    # In a mount namespace of its own: the /proc and /sys it mounts inside go away with it.
    if ! unshare --mount --propagation private -- debootstrap --variant=minbase --components=main \
            "$suite" "$tmp" "$MIRROR" $script >"$ROOTS_DIR/$suite.log" 2>&1; then
        tail -20 "$ROOTS_DIR/$suite.log" >&2
        die "debootstrap of $suite failed (log: $ROOTS_DIR/$suite.log)"
    fi
    echo "pg_root: debootstrap done in $((SECONDS - started)) s" >&2

    # apt: a testing suite's Release can be past its Valid-Until; no recommends; no service starts;
    # no default cluster (the tests make their own).
    cat >"$tmp/etc/apt/apt.conf.d/99tako_cache" <<'EOF'
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Dpkg::Options { "--force-confdef"; "--force-confold"; };
EOF
    printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
    chmod 755 "$tmp/usr/sbin/policy-rc.d"
    mkdir -p "$tmp/etc/postgresql-common"
    echo "create_main_cluster = false" >"$tmp/etc/postgresql-common/createcluster.conf"
    cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
    grep -qs localhost "$tmp/etc/hosts" || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >>"$tmp/etc/hosts"

    local ids
    ids=$(host_ids)
    if [ "$ids" != - ]; then
        local uid=${ids%%:*} gid=${ids#*:}
        ( in_root "$tmp" sh -c "
            if getent group $gid >/dev/null; then echo 'gid $gid is taken in the root' >&2; exit 1; fi
            if getent passwd $uid >/dev/null; then echo 'uid $uid is taken in the root' >&2; exit 1; fi
            groupadd --system -g $gid postgres &&
            useradd --system -u $uid -g $gid -d /var/lib/postgresql -s /bin/bash -c 'PostgreSQL administrator' postgres" ) ||
            die "could not give postgres the host's uid and gid ($ids) in the root"
    fi

    if ! install_packages "$tmp" "$v" >>"$ROOTS_DIR/$suite.log" 2>&1; then
        tail -20 "$ROOTS_DIR/$suite.log" >&2
        die "installing PostgreSQL $v's packages in the $suite root failed (log: $ROOTS_DIR/$suite.log)"
    fi
    [ -x "$tmp/usr/lib/postgresql/$v/bin/postgres" ] || die "no PostgreSQL $v server in the $suite root"
    recipe_of "$v" >"$tmp/.tako_root"
    safe_remove "$root"
    mv "$tmp" "$root"
    echo "pg_root: the $suite root of PostgreSQL $v is ready ($((SECONDS - started)) s)" >&2
}

# A complete root whose recipe differs in its package list only gets the packages added in place:
# its stamp is removed first, so that an interrupted install leaves a root that is built anew.
update() {  # VERSION
    local v=$1 root suite
    root=$(root_of "$v")
    suite=$(suite_of "$v")
    echo "pg_root: adding packages to the $suite root of PostgreSQL $v..." >&2
    rm -f "$root/.tako_root"
    install_packages "$root" "$v" >>"$ROOTS_DIR/$suite.log" 2>&1 || {
        tail -20 "$ROOTS_DIR/$suite.log" >&2
        die "installing PostgreSQL $v's packages in the $suite root failed (log: $ROOTS_DIR/$suite.log)"
    }
    recipe_of "$v" >"$root/.tako_root"
}

ensure() {  # VERSION
    local v=$1 root
    root=$(root_of "$v")
    if is_current "$root" "$v"; then
        echo "$root"
        return 0
    fi
    need_root
    mkdir -p "$ROOTS_DIR"
    # One builder at a time per suite; a second caller waits, then finds the root built.
    exec 9>"$ROOTS_DIR/$(suite_of "$v").lock"
    flock 9
    if ! is_current "$root" "$v"; then
        case $(cat "$root/.tako_root" 2>/dev/null) in
        "$(recipe_base "$v") packages="*) update "$v" ;;
        *) build "$v" ;;
        esac
    fi
    exec 9>&-
    echo "$root"
}

cmd=${1:-}
# Inside a root already (a psql of the tests running \! psql, say): the same version runs as it
# is; nothing else is possible there.
if [ -n "${TAKO_IN_ROOT:-}" ]; then
    if [ "$cmd" = run ] && [ "${2:-}" = "$TAKO_IN_ROOT" ] && [ $# -ge 3 ]; then
        shift 2
        exec "$@"
    fi
    die "$* inside the root of PostgreSQL $TAKO_IN_ROOT: not possible"
fi
[ $# -ge 2 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
shift
version=$1
shift
case $cmd in
ensure) ensure "$version" ;;
path) root_of "$version" ;;
suite) suite_of "$version" ;;
run)
    [ $# -gt 0 ] || die "run $version: no command"
    need_root
    TAKO_IN_ROOT=$version
    root=$(root_of "$version")
    [ -f "$root/.tako_root" ] || ensure "$version" >/dev/null
    in_root "$root" "$@"
    ;;
remove)
    need_root
    exec 9>"$ROOTS_DIR/$(suite_of "$version").lock"
    flock 9
    safe_remove "$(root_of "$version")"
    safe_remove "$(root_of "$version").new"
    ;;
*) die "unknown command $cmd" ;;
esac
