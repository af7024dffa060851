#!/bin/sh
# Suggestion latency (BENCHMARKS.md section 2), ktune and Optuna in the same run, side by side:
# suggestion_latency_bench (GetSuggestions round trips through `ktune suggestion`'s service over
# loopback gRPC, the full history in every request) and bench/optuna_latency.py (Optuna's ask()
# in process, in-memory storage). Prints one table of medians in milliseconds.
#
#   bench/latency.sh [BUILD_DIR] [--algorithms=a,b] [--histories=100,1000,5000] [--budget=1]
#
# BUILD_DIR defaults to build (the binary is BUILD_DIR/bin/suggestion_latency_bench).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=build
algorithms=
histories=100,1000,5000
budget=1
for arg in "$@"; do
  case "$arg" in
    --algorithms=*) algorithms=${arg#--algorithms=} ;;
    --histories=*) histories=${arg#--histories=} ;;
    --budget=*) budget=${arg#--budget=} ;;
    -*) echo "latency.sh: unknown option $arg" >&2; exit 2 ;;
    *) build=$arg ;;
  esac
done
bench="$build/bin/suggestion_latency_bench"
[ -x "$bench" ] || { echo "latency.sh: $bench not built (cmake --build $build --target suggestion_latency_bench)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

filter=$(echo "$histories" | sed 's/,/|/g')
set -- --benchmark_filter="history:($filter)/" --call_budget_s="$budget" \
  --benchmark_format=json --benchmark_out="$tmp/ktune.json" --benchmark_out_format=json
[ -n "$algorithms" ] && set -- "$@" --algorithms="$algorithms"
echo "ktune: $bench $*" >&2
"$bench" "$@" >/dev/null
/usr/bin/python3 -c 'import optuna' 2>/dev/null ||
  { echo "latency.sh: Debian's Optuna is missing: apt-get install python3-optuna" >&2; exit 2; }
echo "optuna: /usr/bin/python3 $here/optuna_latency.py --histories $histories --budget-s $budget" >&2
/usr/bin/python3 "$here/optuna_latency.py" --histories "$histories" --budget-s "$budget" \
  --json "$tmp/optuna.json" >/dev/null

/usr/bin/python3 - "$tmp/ktune.json" "$tmp/optuna.json" "$histories" <<'EOF'
import json, sys
ktune, optuna, histories = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
rows = {}
for b in ktune["benchmarks"]:
    # BM_GetSuggestions/<algorithm>/history:N/batch:B/...
    parts = b["name"].split("/")
    alg = "ktune " + (b.get("label") or parts[1]) + " (gRPC round trip)"
    h, n = int(parts[2].split(":")[1]), int(parts[3].split(":")[1])
    value = "skipped" if b.get("error_occurred") else "%.3g" % b["median_ms"]
    rows.setdefault(alg, {})[(h, n)] = value
for r in optuna["results"]:
    rows.setdefault(r["algorithm"] + " (ask)", {})[(r["history"], r["batch"])] = "%.3g" % r["median_ms"]
columns = [(int(h), b) for h in histories.split(",") for b in (1, 8)]
ctx = ktune.get("context", {})
print("median ms per suggestion call; %s, %d CPUs, load average %s; optuna %s" % (
    ctx.get("date", "?"), ctx.get("num_cpus", 0),
    " ".join("%.1f" % x for x in ctx.get("load_avg", [])), optuna["optuna_version"]))
print()
print("| algorithm | " + " | ".join("%d @ %d" % (b, h) for h, b in columns) + " |")
print("|---" * (len(columns) + 1) + "|")
for alg, cells in rows.items():
    print("| %s | " % alg + " | ".join(cells.get(c, "-") for c in columns) + " |")
EOF
