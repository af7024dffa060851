#!/bin/bash
# Shows that suggestion_quality_bench refuses bad suggestions: runs it on the "misbehaving"
# plugin (bench/quality_misbehaving_plugin.cc, loaded through KTUNE_PLUGIN_PATH) with each
# fault and expects exit status 1 and the matching message; with fault=none, and with the
# grid algorithm on the finite "discrete" space, it must succeed.
#   bench/quality_selfcheck.sh [BUILD_DIR]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
bin=$build/bin/suggestion_quality_bench
export KTUNE_PLUGIN_PATH=$build/bench/selfcheck-plugins
failures=0

expect() {  # expect STATUS PATTERN ARGS...
  local want=$1 pattern=$2
  shift 2
  local output status
  output=$("$bin" --seeds 1 --budget 10 --parallel 1,4 "$@" 2>&1)
  status=$?
  if [[ $status -ne $want ]] || ! grep -q -- "$pattern" <<< "$output"; then
    echo "FAILED: $* -> status $status (want $want), output:"
    echo "$output" | tail -n 3
    failures=$((failures + 1))
  else
    echo "ok: $* -> status $status: $(grep -m1 -- "$pattern" <<< "$output" | cut -c1-150)"
  fi
}

mis=(--algorithms misbehaving)
expect 0 "| branin | misbehaving | 1 |" "${mis[@]}" --functions branin,mixed --settings misbehaving:fault=none
expect 1 "outside \[-5, 10\]" "${mis[@]}" --functions branin --settings misbehaving:fault=out_of_bounds
expect 1 "\"x\" = \"11\": outside \[-5, 10\]" "${mis[@]}" --functions discrete --settings misbehaving:fault=out_of_bounds
expect 1 "not on the step 2" "${mis[@]}" --functions mixed --settings misbehaving:fault=off_step
expect 1 "not a finite number" "${mis[@]}" --functions branin --settings misbehaving:fault=not_a_number
expect 1 "not in the list" "${mis[@]}" --functions mixed --settings misbehaving:fault=unknown_value
expect 1 "2 parameters assigned, the space has 3" "${mis[@]}" --functions mixed --settings misbehaving:fault=missing
expect 1 "repeats an earlier point in a finite space" "${mis[@]}" --functions discrete --settings misbehaving:fault=repeat
expect 1 "asked for 1 assignments, got 0" "${mis[@]}" --functions branin --settings misbehaving:fault=fewer
# A real plugin on the finite space, with a budget that covers most of it.
"$bin" --algorithms grid,random --functions discrete --seeds 2 --budget 600 --parallel 1,4 > /dev/null 2>&1
status=$?
if [[ $status -ne 0 ]]; then
  echo "FAILED: grid,random on discrete -> status $status"
  failures=$((failures + 1))
else
  echo "ok: grid,random on discrete (600 of 704 points) -> no invalid or repeated point"
fi
if [[ $failures -ne 0 ]]; then
  echo "$failures self-check(s) failed"
  exit 1
fi
echo "all self-checks passed"
