#!/usr/bin/env bash
# `make test`: installs what is missing, builds and installs the extension, then runs every suite
# (even when one fails) and ends with one tally line: "N passed, N failed".
# The C++ suites run once; the build and the suites that need a server run on each PostgreSQL
# version, tallied as <suite>@<version>: 15 (the machine's own), 17 and 18 (each in a Debian root,
# built or reused: test/lib/pg_version.sh). The C++ suites and each version run side by side.
# PG=17 (make test PG=17), or PG="15 18": those versions' build and server suites only.
# The Debian packages (make deb) are built and installed into fresh roots of each version's suite.
# --check (`make check`): the quick loop for a change: the unit tests (under the sanitizers), then
# one version's (PG, default 15) build, pg_regress and pgTAP suites.
set -u
cd "$(dirname "$0")/.."
check_only=0
[ "${1:-}" = --check ] && check_only=1
if [ $check_only = 1 ]; then
    read -r -a VERSIONS <<<"${PG:-15}"
    only_versions=""
else
    read -r -a VERSIONS <<<"${PG:-15 17 18}"
    only_versions=${PG:+1}
fi
unset PG  # each version's suites get theirs below
source test/lib/deps.sh
source test/lib/suite.sh

# Suites in order; each is test/suites/<name>.sh and records its own tally.
CXX_SUITES=(unit fuzz upstream)
SERVER_SUITES=(regress pgtap demo integration route docs monitoring)
[ -n "$only_versions" ] && CXX_SUITES=()
if [ $check_only = 1 ]; then
    CXX_SUITES=(unit)
    SERVER_SUITES=(regress pgtap)
fi
# A suite's time includes its waits for the build lock, behind the compilers of the other
# pipelines (the Debian roots of 17 and 18 and their builds): the unit suite's sanitized build took
# 832 s of its 952 s in one fresh-clone run, and ran out of 1200 s in another; the Debian
# package suite of 17 took 1,899 s with its roots cached (three package builds wait on the lock).
SUITE_TIMEOUT=${SUITE_TIMEOUT:-3600}
for v in "${VERSIONS[@]}"; do
    case $v in 15 | 17 | 18) ;; *) echo "PG=$v: the tests run on PostgreSQL 15, 17 or 18"; echo "0 passed, 1 failed"; exit 1 ;; esac
done

rm -rf "$TAKO_RESULTS"
mkdir -p "$TAKO_RESULTS"
started=$(date +%s)

if ! ensure_deps; then
    echo "could not install the Debian packages the tests need"
    echo "0 passed, 1 failed"
    exit 1
fi

run_suite() {  # SUITE TALLY-NAME [VAR=value...]
    local suite=$1 name=$2 suite_started
    shift 2
    echo "== $name =="
    suite_started=$(date +%s)
    env "$@" timeout --kill-after=30 "$SUITE_TIMEOUT" bash "test/suites/$suite.sh"
    echo "[$name] $(($(date +%s) - suite_started)) s"
    [ -f "$TAKO_RESULTS/$name.tally" ] || record_tally "$name" 0 1
}

# The C++ suites, one after the other.
cxx_pipeline() {
    local suite
    for suite in "${CXX_SUITES[@]}"; do
        run_suite "$suite" "$suite"
    done
}

# One PostgreSQL version: its Debian root (built unless cached), its build, then its server suites
# one after the other. Versions run side by side: each has its own clusters (temporary
# directories, free ports), test upstream, build tree and demo directory; compilers take turns
# (TAKO_BUILD_LOCK), the suites mostly wait (pg_cron's minute, injected delays, restarts).
version_pipeline() {
    local v=$1 ready=1 version_started build_started suite
    echo "== PostgreSQL $v =="
    version_started=$(date +%s)
    if [ "$v" != "$TAKO_HOST_PG" ]; then
        if bash scripts/pg_root.sh ensure "$v" >"$TAKO_RESULTS/root-$v.log" 2>&1; then
            if grep -q '^pg_root: ' "$TAKO_RESULTS/root-$v.log"; then
                sed -n "s/^pg_root: /[root@$v] /p" "$TAKO_RESULTS/root-$v.log"
            else
                echo "[root@$v] cached: $(tail -1 "$TAKO_RESULTS/root-$v.log")"
            fi
        else
            tail -30 "$TAKO_RESULTS/root-$v.log"
            record_tally "root@$v" 0 1
            ready=0
        fi
    fi
    if [ $ready = 1 ]; then
        echo "== build and install@$v =="
        build_started=$(date +%s)
        if (export PG=$v; source test/lib/pg_version.sh && with_build_lock build_and_install); then
            echo "[build@$v] $(($(date +%s) - build_started)) s"
        else
            record_tally "build@$v" 0 1
            ready=0
        fi
    fi
    for suite in "${SERVER_SUITES[@]}"; do
        if [ $ready = 0 ]; then
            echo "[$suite@$v] not run: no build of the extension on PostgreSQL $v"
            record_tally "$suite@$v" 0 1
            continue
        fi
        run_suite "$suite" "$suite@$v" PG="$v"
    done
    echo "[PostgreSQL $v] $(($(date +%s) - version_started)) s"
}

# Every pipeline in the background, its output in its own log, printed whole when it ends (in
# this order), so that the output reads as if they had run one after the other.
export TAKO_BUILD_LOCK=$TAKO_RESULTS/build.lock
declare -a logs=() pids=()
for v in "${VERSIONS[@]}"; do
    logs+=("$TAKO_RESULTS/pipeline-$v.log")
    version_pipeline "$v" >"${logs[-1]}" 2>&1 &
    pids+=($!)
done
# The Debian package of each version (test/suites/deb.sh): built in its suite's root, installed into
# a fresh root of that suite. A pipeline of its own (its roots are not the versions'), the versions
# side by side: each mostly waits on Debian's archive (its roots' first builds: debootstrap and
# the build dependencies, several minutes each; the install) and on the build lock.
deb_pipeline() {
    local v deb_pids=()
    for v in "${VERSIONS[@]}"; do
        run_suite deb "deb@$v" PG="$v" >"$TAKO_RESULTS/deb-$v.log" 2>&1 &
        deb_pids+=($!)
    done
    wait "${deb_pids[@]}"
    for v in "${VERSIONS[@]}"; do cat "$TAKO_RESULTS/deb-$v.log"; done
}
if [ $check_only = 0 ]; then
    logs+=("$TAKO_RESULTS/pipeline-deb.log")
    deb_pipeline >"${logs[-1]}" 2>&1 &
    pids+=($!)
fi
# A bare Debian 12 machine's first try (test/suites/bare.sh): with the whole run only.
if [ $check_only = 0 ] && [ -z "$only_versions" ]; then
    logs+=("$TAKO_RESULTS/pipeline-bare.log")
    run_suite bare bare >"${logs[-1]}" 2>&1 &
    pids+=($!)
fi
if [ ${#CXX_SUITES[@]} -gt 0 ]; then
    logs=("$TAKO_RESULTS/pipeline-cxx.log" "${logs[@]}")
    cxx_pipeline >"${logs[0]}" 2>&1 &
    pids=($! "${pids[@]}")
fi
for i in "${!pids[@]}"; do
    wait "${pids[$i]}"
    cat "${logs[$i]}"
done

passed=0
failed=0
echo "== summary =="
for tally in "$TAKO_RESULTS"/*.tally; do
    read -r p f <"$tally"
    printf '  %-16s %4d passed, %d failed\n' "$(basename "$tally" .tally)" "$p" "$f"
    passed=$((passed + p))
    failed=$((failed + f))
done
echo "  ($(($(date +%s) - started)) s)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
