#!/usr/bin/env bash
# libFuzzer targets of the core (test/fuzz, see its README.md): builds them with clang and
# ASan+UBSan in build/fuzz, then runs each on its committed corpus (every input once: the seeds and
# the inputs that once found a bug), or fuzzes it for FUZZ_SECONDS from a copy of that corpus,
# FUZZ_JOBS targets at a time (default 2). One passed test per target that ran clean, one failed
# per target that crashed, broke an invariant, leaked, hung or ran out of memory.
#
#   bash test/suites/fuzz.sh                         replay the corpus (`make test`)
#   FUZZ_SECONDS=600 bash test/suites/fuzz.sh        fuzz 600 s each (`make fuzz`)
#   FUZZ_TARGETS="key quote" bash test/suites/fuzz.sh  only these targets
#   FUZZ_SEED=0 ...                                   a random seed (default 1: reproducible)
#   FUZZ_MERGE=1 ...                                  afterwards, merge the inputs that found new
#                                                     coverage into test/fuzz/corpus (commit them
#                                                     only if the corpus stays small)
# The committed corpus is never modified otherwise.
set -u
source "$(dirname "$0")/../lib/suite.sh"
source "$TAKO_ROOT/test/lib/deps.sh"
cd "$TAKO_ROOT"

suite=fuzz
build=build/fuzz
seconds=${FUZZ_SECONDS:-0}  # 0: replay only
# A fixed seed by default, so the short run of make test explores the same inputs on every machine
# and a failure there replays; `make fuzz` passes 0 (libFuzzer picks a random seed each run).
fuzz_seed=${FUZZ_SEED:-1}
jobs=${FUZZ_JOBS:-2}
started=$(date +%s)

# The dictionary of each target, when it has one (test/fuzz/*.dict, written by make_corpus.py),
# and the corpora it is seeded with besides its own test/fuzz/corpus/<target>.
declare -A DICT=([normalize]=json [upstream_error]=json [igdb_token]=json [judge]=judge
                 [key]=key [retry_after]=retry_after)
declare -A EXTRA_SEEDS=([upstream_error]=normalize)

if ! ensure_deps; then
    echo "[$suite] could not install the Debian packages the fuzz build needs"
    record_tally "$suite" 0 1
    exit 1
fi

echo "[$suite] building the targets in $build (clang, ASan+UBSan, libFuzzer)"
if ! { cmake -S . -B "$build" -DTAKO_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
           -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.log" 2>&1 &&
       with_build_lock cmake --build "$build" -j2 --target fuzz_targets >>"$build.log" 2>&1; }; then
    tail -40 "$build.log"
    echo "[$suite] build failed"
    record_tally "$suite" 0 1
    exit 1
fi
built=$(date +%s)

if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    targets=()
    for source in test/fuzz/fuzz_*.cpp; do
        name=$(basename "$source" .cpp)
        targets+=("${name#fuzz_}")
    done
fi

symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH=$symbolizer
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Runs one target in build/fuzz/run/<target>/ (its corpus, artifacts, log, exit code).
run_target() {
    local target=$1 run=$build/run/$1 seed
    rm -rf "$run"
    mkdir -p "$run/corpus" "$run/artifacts"
    for seed in "$target" ${EXTRA_SEEDS[$target]:-}; do
        [ -d "test/fuzz/corpus/$seed" ] && cp test/fuzz/corpus/"$seed"/* "$run/corpus/" 2>/dev/null
    done
    local args=(-seed="$fuzz_seed" -timeout=10 -rss_limit_mb=2048
                -print_final_stats=1
                -artifact_prefix="$run/artifacts/")
    if [ "$seconds" = 0 ]; then
        args+=(-runs=0)  # each input of the corpus once, then stop
    else
        args+=(-max_total_time="$seconds")
    fi
    [ -n "${DICT[$target]:-}" ] && args+=(-dict="test/fuzz/${DICT[$target]}.dict")
    timeout --kill-after=10 $((seconds + 120)) "$build/fuzz_$target" "${args[@]}" "$run/corpus" \
        >"$run/log" 2>&1
    echo $? >"$run/rc"
}

if [ "$seconds" = 0 ]; then
    echo "[$suite] replaying the corpus of ${#targets[@]} targets, $jobs at a time"
else
    echo "[$suite] running ${#targets[@]} targets for ${seconds} s each, $jobs at a time"
fi
running=0
for target in "${targets[@]}"; do
    if [ ! -x "$build/fuzz_$target" ]; then
        mkdir -p "$build/run/$target"
        echo "no such target: $build/fuzz_$target" >"$build/run/$target/log"
        echo 127 >"$build/run/$target/rc"
        continue
    fi
    run_target "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

passed=0
failed=0
for target in "${targets[@]}"; do
    run=$build/run/$target
    rc=$(cat "$run/rc" 2>/dev/null || echo 1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log" | tail -1)
    corpus=$(find "$run/corpus" -type f 2>/dev/null | wc -l)
    if [ "$rc" = 0 ] && [ -n "$runs" ]; then
        passed=$((passed + 1))
        printf '  ok      %-16s %10s runs, corpus %s inputs\n' "$target" "$runs" "$corpus"
        if [ "${FUZZ_MERGE:-0}" = 1 ]; then
            mkdir -p "test/fuzz/corpus/$target"
            "$build/fuzz_$target" -merge=1 "test/fuzz/corpus/$target" "$run/corpus" \
                >"$run/merge.log" 2>&1 || echo "  merge of $target failed: see $run/merge.log"
        fi
    else
        failed=$((failed + 1))
        printf '  FAILED  %-16s exit code %s, log %s\n' "$target" "$rc" "$run/log"
        grep -E -m 12 'fuzz invariant|value \(|ERROR: |runtime error|SUMMARY|Test unit written' \
            "$run/log" | sed 's/^/          /'
        for artifact in "$run"/artifacts/*; do
            [ -e "$artifact" ] || continue
            echo "          reproducer: $artifact"
            echo "          replay:     $build/fuzz_$target $artifact"
        done
    fi
done
echo "[$suite] build $((built - started)) s, fuzzing $(($(date +%s) - built)) s"
record_tally "$suite" "$passed" "$failed"
[ "$failed" = 0 ]
