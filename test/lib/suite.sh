# Helpers for the suite scripts in test/suites/. Source this file.
# Each suite records "passed failed" in test/.results/<suite>.tally; test/run_all.sh adds them up.

TAKO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TAKO_RESULTS=$TAKO_ROOT/test/.results
mkdir -p "$TAKO_RESULTS"

record_tally() {  # suite passed failed
    echo "$2 $3" >"$TAKO_RESULTS/$1.tally"
    echo "[$1] $2 passed, $3 failed"
}
