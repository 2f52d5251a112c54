# Debian roots for the Debian packages (scripts/deb.sh, test/suites/deb.sh). Source this file;
# needs root (debootstrap, mount, chroot).
#
#   deb_suite_of VERSION          the Debian suite whose PostgreSQL is VERSION (15 bookworm, 17 trixie,
#                                 18 forky)
#   deb_minbase SUITE             a pristine `debootstrap --variant=minbase` root of SUITE, built once and
#                                 kept in $TAKO_ROOTS_DIR/<suite>-minbase, never changed (copy it); prints
#                                 its path. bookworm-minbase is the one test/suites/bare.sh keeps.
#   deb_build_root VERSION        $TAKO_ROOTS_DIR/<suite>-deb-build: a copy of the minbase root with
#                                 Debian's packaging tools and the build dependencies of debian/control.in,
#                                 kept between runs (made again when its recipe changes); prints its path
#   deb_root_prepare ROOT         a fresh copy's set-up: resolv.conf, /run/lock, no service starts
#   deb_in_root ROOT [--bind DIR]... CMD...
#                                 CMD in ROOT, as root, in a mount namespace of its own (/proc, /sys,
#                                 /dev mounted; each DIR bind-mounted at its own path), with a clean
#                                 environment; nothing stays mounted afterwards
#
# These roots never touch the ones of scripts/pg_root.sh (trixie, forky: the tests' servers), nor
# the machine's own packages.

TAKO_ROOTS_DIR=${TAKO_ROOTS_DIR:-/var/cache/tako_cache/roots}
TAKO_DEBIAN_MIRROR=${TAKO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh" || return 1

# What dpkg-buildpackage needs beside build-essential: debian/control.in's Build-Depends (kept in
# step with it: the build checks them, dpkg-checkbuilddeps).
DEB_BUILD_PACKAGES="build-essential debhelper postgresql-server-dev-all libcurl4-openssl-dev nlohmann-json3-dev"
DEB_BUILD_RECIPE_VERSION=1

deb_suite_of() {
    case $1 in
    15) echo bookworm ;;
    17) echo trixie ;;
    18) echo forky ;;
    *) echo "PostgreSQL $1 has no Debian package here: 15, 17 or 18" >&2; return 1 ;;
    esac
}

deb_minbase() {  # SUITE
    local suite=$1 pristine=$TAKO_ROOTS_DIR/$1-minbase script=""
    command -v debootstrap >/dev/null || apt_install debootstrap || { echo "could not install debootstrap" >&2; return 1; }
    # Debian 12's debootstrap has no script for forky (testing): sid's does for any later suite.
    [ -e "/usr/share/debootstrap/scripts/$suite" ] || script=/usr/share/debootstrap/scripts/sid
    mkdir -p "$TAKO_ROOTS_DIR"
    # Built once, under the lock test/suites/bare.sh takes for bookworm-minbase too.
    (
        exec 9>"$pristine.lock"
        flock 9
        [ -f "$pristine/.tako_minbase" ] && exit 0
        rm -rf --one-file-system "$pristine.new"
        unshare --mount --propagation private -- debootstrap --variant=minbase --components=main \
            "$suite" "$pristine.new" "$TAKO_DEBIAN_MIRROR" $script >"$pristine.log" 2>&1 || {
            tail -20 "$pristine.log" >&2
            echo "debootstrap of a Debian $suite minbase root failed (log: $pristine.log)" >&2
            exit 1
        }
        touch "$pristine.new/.tako_minbase"
        rm -rf --one-file-system "$pristine"
        mv "$pristine.new" "$pristine"
    ) || return 1
    echo "$pristine"
}

deb_root_prepare() {  # ROOT
    local root=$1
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
    mkdir -p "$root/run/lock"  # a booted machine's /run/lock (/var/lock)
    # No service starts inside a chroot (postgresql's postinst would start its cluster, which
    # would outlive the command); and no main cluster either: the tests make their own.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    mkdir -p "$root/etc/postgresql-common"
    echo "create_main_cluster = false" >"$root/etc/postgresql-common/createcluster.conf"
    # A testing suite's Release can be past its Valid-Until.
    echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99tako_cache"
    grep -qs localhost "$root/etc/hosts" ||
        printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >>"$root/etc/hosts"
}

deb_in_root() {  # ROOT [--bind DIR]... CMD...
    local root=$1 binds=()
    shift
    while [ "${1:-}" = --bind ]; do
        binds+=("$2")
        mkdir -p "$root$2"
        shift 2
    done
    unshare --mount --propagation private -- /bin/sh -c '
        root=$1 nbinds=$2
        shift 2
        for d in proc sys dev; do mount --rbind "/$d" "$root/$d" || exit 125; done
        while [ "$nbinds" -gt 0 ]; do
            mount --bind "$1" "$root$1" || exit 125
            shift
            nbinds=$((nbinds - 1))
        done
        exec chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
    ' deb_in_root "$root" "${#binds[@]}" "${binds[@]}" "$@"
}

# apt-get in a root. Each root has its own dpkg lock (nothing else installs there), but apt waits
# for it rather than give up, as scripts/lib/apt.sh does on the machine.
deb_apt_in_root() {  # ROOT APT-GET-ARGS...
    local root=$1
    shift
    deb_in_root "$root" apt-get -q -o DPkg::Lock::Timeout=900 "$@"
}

deb_build_root() {  # VERSION
    local v=$1 suite root pristine recipe
    suite=$(deb_suite_of "$v") || return 1
    root=$TAKO_ROOTS_DIR/$suite-deb-build
    recipe="tako_cache deb build root v$DEB_BUILD_RECIPE_VERSION suite=$suite packages=$DEB_BUILD_PACKAGES"
    if [ "$(cat "$root/.tako_deb_build" 2>/dev/null)" = "$recipe" ]; then
        echo "$root"
        return 0
    fi
    pristine=$(deb_minbase "$suite") || return 1
    (
        exec 9>"$root.lock"
        flock 9
        [ "$(cat "$root/.tako_deb_build" 2>/dev/null)" = "$recipe" ] && exit 0
        echo "deb: making the $suite build root of the Debian package ($root)..." >&2
        rm -rf --one-file-system "$root.new"
        cp -a "$pristine" "$root.new" || exit 1
        rm -f "$root.new/.tako_minbase"
        deb_root_prepare "$root.new"
        # Build dependencies only: no recommends.
        # shellcheck disable=SC2086
        { deb_apt_in_root "$root.new" update &&
            deb_apt_in_root "$root.new" install -y --no-install-recommends $DEB_BUILD_PACKAGES &&
            deb_apt_in_root "$root.new" clean; } >"$root.log" 2>&1 || {
            tail -20 "$root.log" >&2
            echo "installing the build dependencies in the $suite build root failed (log: $root.log)" >&2
            exit 1
        }
        echo "$recipe" >"$root.new/.tako_deb_build"
        rm -rf --one-file-system "$root"
        mv "$root.new" "$root"
    ) || return 1
    echo "$root"
}
