#!/usr/bin/env bash
# `make test`: installs what is missing, builds and installs the extension, then runs every suite
# (even when one fails) and ends with one tally line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
source test/lib/deps.sh
source test/lib/suite.sh

# Suites in order; each is test/suites/<name>.sh and records its own tally.
SUITES=(unit unit-asan fuzz upstream regress pgtap demo integration route)
NEEDS_EXTENSION=(regress pgtap demo integration route)
SUITE_TIMEOUT=${SUITE_TIMEOUT:-1200}

rm -rf "$TAKO_RESULTS"
mkdir -p "$TAKO_RESULTS"
started=$(date +%s)

if ! ensure_deps; then
    echo "could not install the Debian packages the tests need"
    echo "0 passed, 1 failed"
    exit 1
fi

built=1
echo "== build and install =="
if ! build_and_install; then
    built=0
    record_tally build 0 1
fi

for suite in "${SUITES[@]}"; do
    echo "== $suite =="
    if [ $built = 0 ] && [[ " ${NEEDS_EXTENSION[*]} " == *" $suite "* ]]; then
        echo "[$suite] not run: the extension did not build"
        record_tally "$suite" 0 1
        continue
    fi
    suite_started=$(date +%s)
    timeout --kill-after=30 "$SUITE_TIMEOUT" bash "test/suites/$suite.sh"
    echo "[$suite] $(($(date +%s) - suite_started)) s"
    [ -f "$TAKO_RESULTS/$suite.tally" ] || record_tally "$suite" 0 1
done

passed=0
failed=0
echo "== summary =="
for tally in "$TAKO_RESULTS"/*.tally; do
    read -r p f <"$tally"
    printf '  %-14s %4d passed, %d failed\n' "$(basename "$tally" .tally)" "$p" "$f"
    passed=$((passed + p))
    failed=$((failed + f))
done
echo "  ($(($(date +%s) - started)) s)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
