#!/usr/bin/env bash
# A bare Debian 12 machine's first try: a fresh Debian 12 root made by debootstrap (minbase: no
# compiler, no PostgreSQL, no make, no debootstrap) gets a copy of the project and runs, at once and
# side by side, what a new machine runs first: `make demo` (after installing make, as CI does) and
# the builds of the Debian roots of PostgreSQL 17 and 18. Every install step then meets the others
# on dpkg's lock, as they do in `make test` on a new machine: none may give up. Needs root.
#
# The pristine minbase root is kept in /var/cache/tako_cache/roots/bookworm-minbase (built once,
# never changed) and copied afresh for each run; TAKO_BARE_KEEP=1 keeps the copy for a look.
set -u
source "$(dirname "$0")/../lib/suite.sh"
source "$TAKO_ROOT/scripts/lib/apt.sh"
cd "$TAKO_ROOT"

suite=bare
passed=0
failed=0
give_up() {
    echo "not ok - $1"
    record_tally "$suite" "$passed" $((failed + 1))
    exit 1
}

[ "$(id -u)" = 0 ] || give_up "the bare-machine suite needs root (debootstrap, mount and chroot)"
command -v debootstrap >/dev/null || apt_install debootstrap || give_up "could not install debootstrap"

roots=${TAKO_ROOTS_DIR:-/var/cache/tako_cache/roots}
mirror=${TAKO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
pristine=$roots/bookworm-minbase
mkdir -p "$roots"
(
    exec 9>"$roots/bookworm-minbase.lock"
    flock 9
    [ -f "$pristine/.tako_minbase" ] && exit 0
    rm -rf --one-file-system "$pristine.new"
    unshare --mount --propagation private -- debootstrap --variant=minbase --components=main \
        bookworm "$pristine.new" "$mirror" >"$roots/bookworm-minbase.log" 2>&1 || exit 1
    touch "$pristine.new/.tako_minbase"
    rm -rf --one-file-system "$pristine"
    mv "$pristine.new" "$pristine"
) || give_up "debootstrap of a Debian 12 minbase root failed (log: $roots/bookworm-minbase.log)"

work=$(mktemp -d /var/tmp/tako_cache.bare.XXXXXX)
bare=$work/root
cleanup() {
    local pid
    # Whatever still runs inside the root (a server the demo left, say) goes first.
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        case $(readlink "/proc/$pid/root" 2>/dev/null) in "$bare" | "$bare"/*) kill -KILL "$pid" 2>/dev/null ;; esac
    done
    sleep 0.2
    [ "${TAKO_BARE_KEEP:-0}" = 1 ] || rm -rf --one-file-system "$work"
}
trap cleanup EXIT
cp -a "$pristine" "$bare" || give_up "could not copy the minbase root"
cp /etc/resolv.conf "$bare/etc/resolv.conf" 2>/dev/null
mkdir -p "$bare/run/lock"  # a booted machine's /run/lock (/var/lock), where apt_install's lock lives
# No service starts inside a chroot (a machine's init would start postgresql@15-main; here it
# would outlive the test).
printf '#!/bin/sh\nexit 101\n' >"$bare/usr/sbin/policy-rc.d"
chmod 755 "$bare/usr/sbin/policy-rc.d"
# The project as a clone has it: the files git tracks, with their changes not yet committed.
mkdir -p "$bare/src/tako_cache"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -C "$bare/src/tako_cache" -xf - ||
    give_up "could not copy the project into the root"

in_bare() {  # CMD...: in the bare root, as root, with its own /tmp, and /proc, /sys, /dev mounted
    unshare --mount --propagation private -- /bin/sh -c '
        root=$1
        shift
        # The root a mount point of its own, as a machine'"'"'s / is (unshare --propagation, which the
        # root builds use, needs one).
        mount --bind "$root" "$root" && mount -t proc proc "$root/proc" && mount --rbind /sys "$root/sys" &&
            mount --rbind /dev "$root/dev" || exit 125
        exec chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            HOME=/root LANG=C.UTF-8 CI=true /bin/sh -c "cd /src/tako_cache && exec \"\$@\"" sh "$@"
    ' bare "$bare" "$@"
}

nothing_installed() {
    ! in_bare dpkg-query -W -f='${Status}\n' make g++ postgresql-15 debootstrap python3 curl 2>/dev/null |
        grep -q "install ok installed"
}
check "the root is bare: no make, g++, postgresql-15, debootstrap, python3 or curl" nothing_installed

started=$(date +%s)
# As .ci/run: make first; then the demo and the two root builds at once.
in_bare bash -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make' \
    >"$work/make.log" 2>&1
check "apt-get install make, as CI does" test $? = 0
in_bare make demo >"$work/demo.log" 2>&1 &
demo_pid=$!
in_bare bash scripts/pg_root.sh ensure 17 >"$work/root-17.log" 2>&1 &
root17_pid=$!
in_bare bash scripts/pg_root.sh ensure 18 >"$work/root-18.log" 2>&1 &
root18_pid=$!
wait $demo_pid
demo_rc=$?
wait $root17_pid
root17_rc=$?
wait $root18_pid
root18_rc=$?
check "make demo exits 0 on the bare machine ($(($(date +%s) - started)) s with the roots beside it)" test $demo_rc = 0
check "... every warm key filled, none failed" grep -Eq '^ *([0-9]+) *\| *\1 *\| *0 *\| *[0-9]+ *$' "$work/demo.log"
check "... a hit of tako_discover served from the cache" \
    bash -c "grep -A4 -- 'tako_discover(key), a hit' '$work/demo.log' | grep -Eq '\\| true +\\|'"
check "the Debian root of PostgreSQL 17 builds beside it" test $root17_rc = 0
check "the Debian root of PostgreSQL 18 builds beside it" test $root18_rc = 0
in_bare make demo-stop >"$work/stop.log" 2>&1
check "make demo-stop exits 0" test $? = 0
if [ "$failed" != 0 ]; then
    for log in make demo root-17 root-18 stop; do
        echo "# --- $log.log (end)"
        tail -n 15 "$work/$log.log" 2>/dev/null | sed 's/^/#   /'
    done
fi
echo "[$suite] $(($(date +%s) - started)) s"
record_tally "$suite" "$passed" "$failed"
[ "$failed" = 0 ]
