#!/usr/bin/env bash
# Builds and runs the sanitizer suites (the tests labelled `sanitized`: controller, executor,
# webhook, metrics, store and the end-to-end tests; tests/CMakeLists.txt) with Debian's clang.
#   scripts/sanitize.sh asan BUILD_DIR   AddressSanitizer + UndefinedBehaviorSanitizer, with
#                                        -Wthread-safety as an error, and the libFuzzer targets
#                                        in the same build directory (run by run_fuzzers.sh)
#   scripts/sanitize.sh tsan BUILD_DIR   ThreadSanitizer
#   asan-build, tsan-build               the same builds without running the tests
# Only what those tests need is built (no benchmarks, no other suites, no web UI: KTUNE_UI=OFF,
# so neither Node.js nor an npm build runs there). Any sanitizer report fails the test that
# triggered it. JOBS (default: nproc) bounds build and test parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."

kind="${1:?usage: sanitize.sh asan|tsan BUILD_DIR}"
build_only=0
case "$kind" in *-build) kind="${kind%-build}"; build_only=1 ;; esac
build="${2:?usage: sanitize.sh asan|tsan BUILD_DIR}"
jobs="${JOBS:-$(nproc)}"
root="$PWD"

common=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
        -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
        -DKTUNE_WERROR="${WERROR:-ON}" -DKTUNE_BUILD_BENCH=OFF -DKTUNE_UI=OFF)
case "$kind" in
  asan)
    flags=(-DKTUNE_SANITIZE="address;undefined" -DKTUNE_BUILD_FUZZ=ON)
    targets=(ktune_sanitized_tests ktune_fuzzers)
    # detect_leaks: a leak fails the test (and a leak in `ktune`, which the e2e tests start,
    # fails its exit status). abort_on_error: a report is a crash the test harness sees.
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1"
    if [ -s tests/sanitizers/lsan.supp ]; then
      export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
    fi
    ;;
  tsan)
    flags=(-DKTUNE_SANITIZE=thread -DKTUNE_BUILD_FUZZ=OFF)
    targets=(ktune_sanitized_tests)
    export TSAN_OPTIONS="halt_on_error=1:abort_on_error=1:second_deadlock_stack=1"
    if [ -s tests/sanitizers/tsan.supp ]; then
      TSAN_OPTIONS+=":suppressions=$root/tests/sanitizers/tsan.supp:print_suppressions=0"
    fi
    ;;
  *) echo "sanitize.sh: unknown kind '$kind' (asan, tsan)" >&2; exit 2 ;;
esac

cmake -S . -B "$build" "${common[@]}" "${flags[@]}" >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]}"
[ "$build_only" = 1 ] && exit 0

# TSan needs the address-space layout its shadow memory assumes; with the kernel's ASLR at more
# bits than clang 14 expects, every instrumented process dies at start-up. Without ASLR it
# always fits, where the container lets us switch it off.
run=()
if [ "$kind" = tsan ] && setarch "$(uname -m)" -R true 2>/dev/null; then
  run=(setarch "$(uname -m)" -R)
fi
"${run[@]}" ctest --test-dir "$build" -L sanitized --output-on-failure -j "$jobs" --timeout 600 \
  --no-tests=error
