#!/usr/bin/env bash
# `make deb`: the Debian package of tako_cache for each PostgreSQL version given (default
# "15 17 18"), dist/postgresql-<v>-tako-cache_<version>_<arch>.deb, built with Debian's own tooling
# (dpkg-buildpackage, debhelper, pg_buildext: debian/) in a Debian root of the version's suite
# (15 bookworm, 17 trixie, 18 forky: scripts/lib/debian_root.sh), so that its dependencies
# (libcurl, libstdc++, postgresql-<v>) are the ones of the suite it installs on.
# <version> is tako_cache.control's default_version. Needs root (debootstrap, chroot).
#
#   scripts/deb.sh [VERSION...]
#
# The sources (the files git tracks, with their changes not yet committed) are copied to
# build/deb/pg<v>/tako-cache-<version>/, where debian/changelog and debian/control are written;
# the build's log is build/deb/pg<v>/build.log. Compilers take turns with the tests' when
# TAKO_BUILD_LOCK names a lock (test/run_all.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
CLONE=$(pwd -P)
source scripts/lib/debian_root.sh

die() { echo "deb: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, mount and chroot): run as root or through sudo"

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(15 17 18)
version=$(sed -n "s/^default_version = '\\(.*\\)'/\\1/p" tako_cache.control)
[ -n "$version" ] || die "no default_version in tako_cache.control"

# The changelog's date: the last commit's (the same sources give the same package), else now.
changelog_date=$(git log -1 --format=%aD 2>/dev/null || date -R)

with_lock() {
    if [ -n "${TAKO_BUILD_LOCK:-}" ]; then
        flock "$TAKO_BUILD_LOCK" "$@"
    else
        "$@"
    fi
}

build_one() {  # VERSION
    local v=$1 suite root work src arch deb
    suite=$(deb_suite_of "$v") || return 1
    root=$(deb_build_root "$v") || return 1
    work=$CLONE/build/deb/pg$v
    src=$work/tako-cache-$version
    rm -rf "$work"
    mkdir -p "$src"
    git ls-files -z --cached --others --exclude-standard -- Makefile tako_cache.control LICENSE README.md \
        CHANGELOG.md scripts/install_sql.sh src sql docs debian |
        tar --null -T - -cf - | tar -C "$src" -xf - || return 1
    # A native package whose version is the extension's, built for this suite.
    cat >"$src/debian/changelog" <<EOF
tako-cache ($version) $suite; urgency=medium

  * tako_cache $version for PostgreSQL $v (Debian $suite), built by make deb.

 -- $(sed -n 's/^Maintainer: //p' "$src/debian/control.in")  $changelog_date
EOF
    echo "deb: building postgresql-$v-tako-cache $version in the $suite root (log: $work/build.log)..." >&2
    # PG_SUPPORTED_VERSIONS: this version only, whatever else the suite supports. noddebs: no
    # -dbgsym package.
    if ! with_lock bash -c 'source "$1"; shift; deb_in_root "$@"' deb "$CLONE/scripts/lib/debian_root.sh" \
        "$root" --bind "$work" /bin/sh -c '
            cd "$1" && export PG_SUPPORTED_VERSIONS="$2" DEB_BUILD_OPTIONS=noddebs &&
            pg_buildext updatecontrol && dpkg-buildpackage -b -us -uc -j2' sh "$src" "$v" >"$work/build.log" 2>&1; then
        tail -30 "$work/build.log" >&2
        die "the build of postgresql-$v-tako-cache failed (log: $work/build.log)"
    fi
    arch=$(deb_in_root "$root" dpkg --print-architecture)
    deb=postgresql-$v-tako-cache_${version}_$arch.deb
    [ -f "$work/$deb" ] || die "dpkg-buildpackage made no $deb (log: $work/build.log)"
    mkdir -p dist
    cp "$work/$deb" "dist/$deb.tmp"
    mv "dist/$deb.tmp" "dist/$deb"
    echo "deb: dist/$deb ($(stat -c %s "dist/$deb") bytes)" >&2
}

for v in "${versions[@]}"; do
    build_one "$v" || exit 1
done
