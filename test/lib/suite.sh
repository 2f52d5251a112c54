# Helpers for the suite scripts in test/suites/. Source this file.
# Each suite records "passed failed" in test/.results/<suite>.tally (<suite>@<version> under PG=15,
# 17 or 18: test/lib/pg_version.sh); test/run_all.sh adds them up.

TAKO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TAKO_RESULTS=$TAKO_ROOT/test/.results
mkdir -p "$TAKO_RESULTS"

record_tally() {  # suite passed failed
    local name=$1${PG:+@$PG}
    echo "$2 $3" >"$TAKO_RESULTS/$name.tally"
    echo "[$name] $2 passed, $3 failed"
}

# Suites that count their own checks: check DESCRIPTION COMMAND... adds to `passed` or `failed`
# (set them to 0 first) and prints an "ok" or "not ok" line.
check() {
    local what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok - $what"
    else
        failed=$((failed + 1))
        echo "not ok - $what"
    fi
}

# Runs a command holding the build lock when TAKO_BUILD_LOCK names one (test/run_all.sh: suites
# run side by side and their compilers take turns, each with both cores).
with_build_lock() {
    [ -n "${TAKO_BUILD_LOCK:-}" ] || { "$@"; return; }
    local fd rc
    exec {fd}>>"$TAKO_BUILD_LOCK"
    flock "$fd"
    "$@"
    rc=$?
    flock -u "$fd"
    exec {fd}>&-
    return $rc
}
