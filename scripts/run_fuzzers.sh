#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build (scripts/sanitize.sh asan builds them) for a
# bounded time each, starting from its committed seed corpus (tests/fuzz/corpus/<target>/).
#   scripts/run_fuzzers.sh BUILD_DIR SECONDS [TARGET...]
# New inputs go to BUILD_DIR/fuzz/corpus/<target>/ (kept between runs, never committed), crash
# reproducers to BUILD_DIR/fuzz/artifacts/<target>/; a crash, leak, timeout or out-of-memory
# stops that target and makes the script exit 1 after the others ran. Prints each target's
# executions and coverage.
set -euo pipefail
cd "$(dirname "$0")/.."

build="${1:?usage: run_fuzzers.sh BUILD_DIR SECONDS [TARGET...]}"
seconds="${2:?usage: run_fuzzers.sh BUILD_DIR SECONDS [TARGET...]}"
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for d in tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi

# libFuzzer's own flags are the command line; these reach the sanitizers it runs under.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
for t in "${targets[@]}"; do
  bin="$build/bin/fuzz_$t"
  seeds="tests/fuzz/corpus/$t"
  [ -x "$bin" ] || { echo "run_fuzzers: $bin not built" >&2; exit 2; }
  [ -d "$seeds" ] || { echo "run_fuzzers: no seed corpus $seeds" >&2; exit 2; }
  work="$build/fuzz/corpus/$t"
  artifacts="$build/fuzz/artifacts/$t"
  log="$build/fuzz/$t.log"
  mkdir -p "$work" "$artifacts"
  # -timeout: one input taking longer is a finding (the webhook answers in under a second);
  # -rss_limit_mb: so is a process above 2 GB; -max_len: a few 3 MB AdmissionReviews would cost
  # the run most of its time, 64 KB inputs reach the same code.
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "$work" "$seeds" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz_$t: ok, ${seconds}s, ${runs:-?} executions, ${cov:-cov: ?}, corpus $(ls "$work" | wc -l) + $(ls "$seeds" | wc -l) seeds"
  else
    echo "fuzz_$t: FAILED (log $log, reproducer in $artifacts/):" >&2
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' "$log" | head -10 >&2 || true
    tail -40 "$log" >&2
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "run_fuzzers: crashed: ${failed[*]}; reproduce with $build/bin/fuzz_<target> <artifact>" >&2
  exit 1
fi
