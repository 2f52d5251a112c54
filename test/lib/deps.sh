# The Debian 12 packages that the build, the tests and the demo need. Source this file, then call
# ensure_deps: it installs whatever is missing (as root, or through sudo).
# PG=17 or 18: build_and_install builds and installs into that version's Debian root instead
# (test/lib/pg_version.sh); what this side needs (clients, pg_prove, the test upstream) is the same.
source "$(dirname "${BASH_SOURCE[0]}")/pg_version.sh" || return 1
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/apt.sh" || return 1

TAKO_PACKAGES=(
    make g++ cmake pkg-config                          # build
    postgresql-15 postgresql-server-dev-15             # server and PGXS
    postgresql-15-cron                                 # scheduling (pg_cron 1.4)
    libcurl4-openssl-dev nlohmann-json3-dev            # HTTP and JSON
    libgtest-dev zlib1g-dev                            # C++ unit tests (zlib: the loopback server gzips)
    clang libclang-rt-14-dev llvm-14                   # fuzz targets: clang, libFuzzer + sanitizer runtimes, llvm-symbolizer
    postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl  # pgTAP and pg_prove
    python3 curl ca-certificates                       # the test upstream and its control calls; TLS roots
    prometheus-postgres-exporter                       # the monitoring suite runs the real exporter
    debootstrap                                        # the Debian roots of 17 and 18 (built in parallel:
                                                       # installed here, before they start)
)

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "need root (or sudo) for: $*" >&2
        return 1
    fi
}

ensure_deps() {
    local missing=() pkg
    for pkg in "${TAKO_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "Installing missing Debian packages: ${missing[*]}"
    apt_install "${missing[@]}"
}

# The PostgreSQL 15 pg_config, whichever other versions are installed.
pg15_config() {
    if [ -x /usr/lib/postgresql/15/bin/pg_config ]; then
        echo /usr/lib/postgresql/15/bin/pg_config
    else
        echo pg_config
    fi
}

# Builds the extension and installs it, with the test-only boundary probe, into PostgreSQL 15 (or PG's).
build_and_install() {
    if pg_uses_root; then
        pg_make -s -j2 >/dev/null && pg_make -s install probe-install >/dev/null
        return
    fi
    local pgc
    pgc=$(pg15_config)
    make -s -j2 PG_CONFIG="$pgc" >/dev/null || return 1
    as_root make -s PG_CONFIG="$pgc" install probe-install >/dev/null
}
