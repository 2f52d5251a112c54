# The PostgreSQL version that the tests, the demo and the bench run against: PG in the environment
# (15, 17 or 18; default 15). Source this file (test/lib/cluster.sh and test/lib/deps.sh do).
#
#   PG=15  the machine's own PostgreSQL 15 (Debian 12's packages), built in the clone as always.
#   PG=17, PG=18  that version's server in a Debian root kept by scripts/pg_root.sh (Debian 13 for 17,
#          Debian testing for 18), run there with chroot; /tmp, /proc, /sys, /dev and the clone are
#          mounted inside at their own paths, so sockets and files have one path on both sides. The
#          server's commands (initdb, pg_ctl, postgres), the PGXS build and install (from a copy of
#          the sources in build/pg<v>/) and pg_regress run inside; the version's client programs
#          (psql, pg_dump, pgbench...) come first in PATH as wrappers that run them inside; pg_prove,
#          node, python3 and curl stay on this side and reach the server's socket or 127.0.0.1.
#          Needs root (chroot and mounts).
#   TAKO_HOST_PG=none  15 in a Debian 12 root as well: nothing is installed into the machine's own
#          server (TAKO_HOST_PG names the version of the machine's own packages: 15 by default).
#
#   PG_BINDIR             the version's server programs (their path inside the root for 17 and 18)
#   pg_in_root CMD...     CMD where the version's server runs: inside its root (as root), else as is
#   pg_uses_root          succeeds when the version runs in a root
#   pg_make ARGS...       make with the version's PGXS (in the clone for 15, in build/pg<v>/ for the
#                         others, sources copied there first)
#   pg_make_dir           the folder pg_make runs in (test/regress/results/, regression.diffs)
#   pg_version_ready      builds the version's root when missing, and its client wrappers

[ "${TAKO_PG_VERSION_SH:-}" = "${PG:-}/${TAKO_HOST_PG:-}" ] && return 0
TAKO_PG_VERSION_SH=${PG:-}/${TAKO_HOST_PG:-}

TAKO_CLONE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
TAKO_HOST_PG=${TAKO_HOST_PG:-15}  # the version the machine's own packages serve (none: every one in a root)

case ${PG:-} in
"")
    # As before: PG_BINDIR as given, else PostgreSQL 15's (when installed), else pg_config's.
    if [ -z "${PG_BINDIR:-}" ] && [ -x /usr/lib/postgresql/$TAKO_HOST_PG/bin/pg_ctl ]; then
        PG_BINDIR=/usr/lib/postgresql/$TAKO_HOST_PG/bin
    fi
    ;;
15 | 17 | 18) PG_BINDIR=/usr/lib/postgresql/$PG/bin ;;
16)
    echo "PostgreSQL 16 cannot be installed here (no Debian suite this machine reaches has it): it has" \
         "never been compiled nor tested; PG=15, 17 or 18" >&2
    return 1 2>/dev/null || exit 1
    ;;
*)
    echo "PG=$PG: the tests run on PostgreSQL 15, 17 or 18" >&2
    return 1 2>/dev/null || exit 1
    ;;
esac

pg_uses_root() { [ -n "${PG:-}" ] && [ "$PG" != "$TAKO_HOST_PG" ]; }

if pg_uses_root; then
    export PG
    TAKO_PG_BUILD=$TAKO_CLONE/build/pg$PG
    # The version's client programs before the machine's (wrappers made by pg_version_ready).
    case ":$PATH:" in *":$TAKO_PG_BUILD/bin:"*) ;; *) PATH=$TAKO_PG_BUILD/bin:$PATH ;; esac
    export PATH
fi

pg_version_ready() {
    pg_uses_root || return 0
    local root
    root=$(bash "$TAKO_CLONE/scripts/pg_root.sh" ensure "$PG") || return 1
    [ -f "$TAKO_PG_BUILD/bin/.made" ] && [ "$TAKO_PG_BUILD/bin/.made" -nt "$root/.tako_root" ] && return 0
    local tmp=$TAKO_PG_BUILD/bin.new tool
    rm -rf "$tmp"
    mkdir -p "$tmp"
    for tool in "$root$PG_BINDIR"/*; do
        tool=$(basename "$tool")
        # (Inside the root already, as a psql's \! psql is: the program itself.)
        printf '#!/bin/sh\n# PostgreSQL %s'\''s %s, run in its Debian root (test/lib/pg_version.sh)\n[ "${TAKO_IN_ROOT:-}" = %s ] && exec %q "$@"\nexec bash %q run %s %q "$@"\n' \
            "$PG" "$tool" "$PG" "$PG_BINDIR/$tool" "$TAKO_CLONE/scripts/pg_root.sh" "$PG" "$PG_BINDIR/$tool" >"$tmp/$tool"
        chmod 755 "$tmp/$tool"
    done
    touch "$tmp/.made"
    rm -rf "$TAKO_PG_BUILD/bin"
    mv "$tmp" "$TAKO_PG_BUILD/bin"
    hash -r
}

pg_in_root() {
    if pg_uses_root; then
        pg_version_ready || return 1
        bash "$TAKO_CLONE/scripts/pg_root.sh" run "$PG" "$@"
    else
        "$@"
    fi
}

pg_make_dir() {
    if pg_uses_root; then echo "$TAKO_PG_BUILD/tree"; else echo "$TAKO_CLONE"; fi
}

# The sources PGXS builds and tests from, copied into build/pg<v>/tree (modification times kept, so
# make rebuilds only what changed; files gone from the clone are removed from the copy), with
# pg_regress's alternative outputs for the server's wording since 16 (test/lib/regress_alternates.py).
pg_sync_sources() {
    local dst=$TAKO_PG_BUILD/tree paths=(Makefile tako_cache.control scripts/install_sql.sh src sql test/regress test/probe)
    mkdir -p "$dst"
    (cd "$TAKO_CLONE" && tar cf - --exclude='*.o' --exclude='*.so' --exclude='*.bc' "${paths[@]}") |
        (cd "$dst" && tar xpf -) || return 1
    (cd "$dst" && find "${paths[@]}" -type f ! -name '*.o' ! -name '*.so' ! -name '*.bc' -print) |
        while IFS= read -r file; do
            [ -e "$TAKO_CLONE/$file" ] || rm -f "$dst/$file"
        done
    if [ "$PG" -ge 16 ]; then python3 "$TAKO_CLONE/test/lib/regress_alternates.py" "$dst/test/regress/expected" || return 1; fi
}

pg_make() {
    if pg_uses_root; then
        pg_version_ready && pg_sync_sources || return 1
        pg_in_root sh -c 'cd "$0" && exec make "$@"' \
            "$TAKO_PG_BUILD/tree" PG_CONFIG="$PG_BINDIR/pg_config" "$@"
    else
        local pgc=${PG_BINDIR:+$PG_BINDIR/pg_config}
        [ -n "$pgc" ] && [ -x "$pgc" ] || pgc=pg_config
        (cd "$TAKO_CLONE" && make PG_CONFIG="$pgc" "$@")
    fi
}
