#!/usr/bin/env bash
# C++ unit tests of the core (GoogleTest under CTest). TAKO_SANITIZE=1 builds them with ASan+UBSan.
set -u
source "$(dirname "$0")/../lib/suite.sh"
cd "$TAKO_ROOT"

suite=unit
build=build/unit
cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAKO_SANITIZE=OFF)
if [ "${TAKO_SANITIZE:-0}" = 1 ]; then
    suite=unit-asan
    build=build/unit-asan
    # -O0 with line tables only: the sanitizers check the same, and the build takes a third of the
    # time of -O2 -g (80 s against 290 s from scratch on 2 cores), which keeps make test short.
    cmake_args=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" -DTAKO_SANITIZE=ON)
    # Every error is fatal, and LeakSanitizer runs at each test process's exit (ASan's default on
    # Linux, made explicit): a leak fails the test that leaked. abort_on_error=0 keeps the exit code
    # non-zero without a core dump.
    export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    export LSAN_OPTIONS="report_objects=1${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
fi
if ! { cmake -S . -B "$build" "${cmake_args[@]}" >/dev/null &&
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
