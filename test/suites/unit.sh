#!/usr/bin/env bash
# C++ unit tests of the core (GoogleTest under CTest). TAKO_SANITIZE=1 builds them with ASan+UBSan.
set -u
source "$(dirname "$0")/../lib/suite.sh"
cd "$TAKO_ROOT"

suite=unit
build=build/unit
if [ "${TAKO_SANITIZE:-0}" = 1 ]; then
    suite=unit-asan
    build=build/unit-asan
fi
if ! { cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
           -DTAKO_SANITIZE="$([ "$suite" = unit-asan ] && echo ON || echo OFF)" >/dev/null &&
       cmake --build "$build" -j2 >"$build.log" 2>&1; }; then
    cat "$build.log" 2>/dev/null | tail -40
    echo "[$suite] build failed"
    record_tally "$suite" 0 1
    exit 1
fi
out=$(cd "$build" && ctest -j2 --output-on-failure 2>&1)
echo "$out" | grep -E 'tests passed|Failed|\*\*\*' | head -60
total=$(echo "$out" | sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p')
failed=$(echo "$out" | sed -n 's/.*tests passed, \([0-9]*\) tests failed.*/\1/p')
if [ -z "$total" ] || [ "$total" = 0 ]; then
    record_tally "$suite" 0 1
    exit 1
fi
record_tally "$suite" $((total - failed)) "$failed"
[ "$failed" = 0 ]
