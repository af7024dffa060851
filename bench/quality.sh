#!/bin/bash
# Suggestion quality, BENCHMARKS.md §1: ktune's plugins and Optuna's samplers on the same
# functions, seeds and protocols, in the same run, then one side-by-side table.
#
#   bench/quality.sh [BUILD_DIR]
# Environment (defaults in brackets):
#   ALGORITHMS [random]   ktune algorithms, comma-separated
#   SAMPLERS   [tpe,mv-tpe,qmc,random]  Optuna samplers
#   FUNCTIONS  [all]      comma-separated subset of branin,hartmann6,rosenbrock5,ackley5,levy4,mixed
#   SEEDS [10]  BUDGET [100]  PARALLEL [1,4]  JOBS [1]
#   SETTINGS              extra flags for the C++ harness, e.g. "--settings tpe:gamma=0.25"
#   OUT [BUILD_DIR/quality-out]     where the JSON files and the comparison go
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
bin=$build/bin/suggestion_quality_bench
[[ -x $bin ]] || { echo "no $bin: build the suggestion_quality_bench target first" >&2; exit 2; }
python=/usr/bin/python3
"$python" -c 'import optuna' 2>/dev/null ||
  { echo "quality.sh: Debian's Optuna is missing: apt-get install python3-optuna" >&2; exit 2; }
out=${OUT:-$build/quality-out}
mkdir -p "$out"
all=branin,hartmann6,rosenbrock5,ackley5,levy4,mixed
functions=${FUNCTIONS:-$all}
common=(--functions "$functions" --seeds "${SEEDS:-10}" --budget "${BUDGET:-100}"
        --parallel "${PARALLEL:-1,4}" --jobs "${JOBS:-1}")

echo "== ktune: $bin" >&2
# shellcheck disable=SC2086  # SETTINGS is a list of flags
"$bin" --algorithms "${ALGORITHMS:-random}" "${common[@]}" ${SETTINGS:-} --json "$out/ktune.json"
echo "== Optuna" >&2
"$python" "$here/optuna_quality.py" --samplers "${SAMPLERS:-tpe,mv-tpe,qmc,random}" "${common[@]}" \
  --json "$out/optuna.json"
echo "== comparison" >&2
"$python" "$here/compare_quality.py" "$out/ktune.json" "$out/optuna.json" | tee "$out/compare.md"
