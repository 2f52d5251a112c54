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

# Suites that count their own checks (set passed=0 and failed=0 first): check DESCRIPTION COMMAND...
# runs the command, adds to `passed` or `failed` and prints "ok N - ..." or "not ok N - ...", with
# the command's output (its first 15 lines, as TAP comments) only when it failed.
n=0
check() {
    local what=$1 out
    shift
    n=$((n + 1))
    if out=$("$@" 2>&1); then
        passed=$((passed + 1))
        echo "ok $n - $what"
    else
        failed=$((failed + 1))
        echo "not ok $n - $what"
        [ -z "$out" ] || echo "$out" | head -15 | sed 's/^/#   /'
    fi
}
# give_up_suite SUITE MESSAGE: the suite cannot go on: MESSAGE, its tally with one more failure, exit.
give_up_suite() {
    echo "# $2"
    record_tally "$1" "$passed" $((failed + 1))
    exit 1
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
