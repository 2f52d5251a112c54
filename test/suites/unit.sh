#!/usr/bin/env bash
# C++ unit tests of the core (GoogleTest under CTest), built once, with AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer, every report fatal: a test fails on a wrong answer
# and on any memory error, undefined behaviour or leak. TAKO_SANITIZE=0: a plain -O2 build instead
# (build/unit-plain), for a debugger or a profiler.
set -u
source "$(dirname "$0")/../lib/suite.sh"
cd "$TAKO_ROOT"

suite=unit
if [ "${TAKO_SANITIZE:-1}" = 0 ]; then
    build=build/unit-plain
    cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAKO_SANITIZE=OFF)
else
    build=build/unit
    # -O0 with line tables only: the sanitizers check the same, and the build takes a third of the
    # time of -O2 -g (80 s against 290 s from scratch on 2 cores).
    cmake_args=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" -DTAKO_SANITIZE=ON)
    # LeakSanitizer runs at each test process's exit (ASan's default on Linux, made explicit): a
    # leak fails the test that leaked. abort_on_error=0 keeps the exit code non-zero without a core.
    export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    export LSAN_OPTIONS="report_objects=1${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
fi
# A build tree configured without sanitizers (before they were the default) is started afresh.
if [ -f "$build/CMakeCache.txt" ] && ! grep -q "^TAKO_SANITIZE:BOOL=$([ "$build" = build/unit ] && echo ON || echo OFF)" "$build/CMakeCache.txt"; then
    rm -rf "$build"
fi
started=$(date +%s)
if ! { cmake -S . -B "$build" "${cmake_args[@]}" >/dev/null &&
       with_build_lock cmake --build "$build" -j2 >"$build.log" 2>&1; }; then
    tail -40 "$build.log" 2>/dev/null
    echo "[$suite] build failed"
    record_tally "$suite" 0 1
    exit 1
fi
built=$(date +%s)
out=$(cd "$build" && ctest -j2 --output-on-failure 2>&1)
echo "$out" | grep -E 'tests passed|Failed|\*\*\*' | head -60
echo "[$suite] build $((built - started)) s, tests $(($(date +%s) - built)) s"
total=$(echo "$out" | sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p')
failed=$(echo "$out" | sed -n 's/.*tests passed, \([0-9]*\) tests failed.*/\1/p')
if [ -z "$total" ] || [ "$total" = 0 ]; then
    record_tally "$suite" 0 1
    exit 1
fi
record_tally "$suite" $((total - failed)) "$failed"
[ "$failed" = 0 ]
