#!/bin/sh
# `ktune server` (BENCHMARKS.md section 7, issue 9 item 6): with E experiments of T trials
# stored (ktune_server_seed; default 1000 x 100 = 100 000 trials), start `ktune server` on the
# store and measure
#   - resident memory (VmRSS, /proc/PID/status) idle after start and after the requests below;
#   - latency of listing experiments as JSON and as the Table kubectl asks for, of getting one
#     and of listing one experiment's trials by label selector: median / p99 of N sequential
#     curl requests (time_total);
#   - requests/second with wrk (Debian's) for list experiments, get one, list trials by label;
# then, on a fresh store, submit 50 experiments of 20 trials each at once through the REST API
# (`/bin/echo loss=0.5`, --max-running-trials 8) and measure the overhead per trial as
# bench/controller_overhead_bench does: (wall - N x direct run time / cap) / N, with the server's
# peak memory and CPU during that load. Prints a Markdown table (also written to --out).
#
#   bench/server_bench.sh [BUILD_DIR] [--experiments=1000] [--trials=100] [--requests=50]
#                         [--duration=10s] [--connections=4] [--load=50x20] [--cap=8]
#                         [--load-store=fresh|seeded] [--out=FILE] [--perf] [--keep]
#
# BUILD_DIR defaults to build (binaries BUILD_DIR/bin/ktune and BUILD_DIR/bin/ktune_server_seed).
# --load-store=seeded runs the 50 experiments on the seeded server (after the lists) instead of
# a fresh one. --perf records `perf record -g` of the server during the list-experiments wrk run and prints
# the top symbols. --keep leaves the temporary directory (store, server logs) in place.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=build
experiments=1000
trials=100
requests=50
duration=10s
connections=4
load=50x20
cap=8
out=
perf=no
keep=no
load_store=fresh
for arg in "$@"; do
  case "$arg" in
    --experiments=*) experiments=${arg#--experiments=} ;;
    --trials=*) trials=${arg#--trials=} ;;
    --requests=*) requests=${arg#--requests=} ;;
    --duration=*) duration=${arg#--duration=} ;;
    --connections=*) connections=${arg#--connections=} ;;
    --load=*) load=${arg#--load=} ;;
    --cap=*) cap=${arg#--cap=} ;;
    --out=*) out=${arg#--out=} ;;
    --load-store=fresh | --load-store=seeded) load_store=${arg#--load-store=} ;;
    --perf) perf=yes ;;
    --keep) keep=yes ;;
    -*) echo "server_bench.sh: unknown option $arg" >&2; exit 2 ;;
    *) build=$arg ;;
  esac
done
ktune="$build/bin/ktune"
seed="$build/bin/ktune_server_seed"
for b in "$ktune" "$seed"; do
  [ -x "$b" ] || { echo "server_bench.sh: $b not built (cmake --build $build --target ktune ktune_server_seed)" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "server_bench.sh: wrk is missing: apt-get install wrk" >&2; exit 2; }
command -v curl >/dev/null || { echo "server_bench.sh: curl is missing: apt-get install curl" >&2; exit 2; }
[ "$perf" = no ] || command -v perf >/dev/null || { echo "server_bench.sh: perf is missing: apt-get install linux-perf" >&2; exit 2; }
py="/usr/bin/python3 $here/server_bench.py"
load_experiments=${load%x*}
load_trials=${load#*x}

tmp=$(mktemp -d)
pid=
stop_server() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  pid=
}
cleanup() {
  stop_server
  if [ "$keep" = yes ]; then echo "server_bench.sh: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
results="$tmp/results.jsonl"
: >"$results"
# record WHAT JSON [KEY=VALUE ...]: appends one result line.
record() {
  what=$1 json=$2
  shift 2
  /usr/bin/python3 - "$what" "$json" "$@" >>"$results" <<'EOF'
import json, sys
r = json.loads(sys.argv[2])
r["what"] = sys.argv[1]
for kv in sys.argv[3:]:
    k, _, v = kv.partition("=")
    r[k] = v
print(json.dumps(r))
EOF
}

# start_server DB WORKDIR: starts ktune server in the background; sets pid and base. Each server
# gets its own stdout file, so that the listening line of an earlier one is never read.
servers=0
start_server() {
  mkdir -p "$2"
  servers=$((servers + 1))
  server_out="$tmp/server-$servers.out"
  "$ktune" server --port 0 --grpc-port 0 --db "$1" --workdir "$2" --max-running-trials "$cap" \
    --log-level warn >"$server_out" 2>>"$tmp/server.err" &
  pid=$!
  started=$(date +%s.%N)
  i=0
  while ! grep -qs '^ktune server: listening on ' "$server_out"; do
    kill -0 "$pid" 2>/dev/null || { echo "server_bench.sh: ktune server exited:" >&2; cat "$tmp/server.err" >&2; exit 1; }
    i=$((i + 1))
    [ $i -lt 1200 ] || { echo "server_bench.sh: no listening line after 120 s" >&2; exit 1; }
    sleep 0.1
  done
  # ktune server: listening on http://127.0.0.1:PORT grpc GPORT
  base=$(sed -n 's/^ktune server: listening on \(http:[^ ]*\).*/\1/p' "$server_out" | head -1)
  # Ready when it answers a list (readyz may come later than listening).
  i=0
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ]; do
    i=$((i + 1))
    [ $i -lt 1200 ] || { echo "server_bench.sh: $base/readyz not 200 after 120 s" >&2; exit 1; }
    sleep 0.1
  done
  startup_s=$(echo "$(date +%s.%N) - $started" | bc)
  echo "server_bench.sh: ktune server pid $pid at $base, ready after ${startup_s}s" >&2
}

# wrk_run LABEL URL [ACCEPT]
wrk_run() {
  label=$1 url=$2 accept=${3:-application/json}
  wrk -t2 -c"$connections" -d"$duration" -H "Accept: $accept" "$url" >"$tmp/wrk.txt" 2>&1 ||
    { cat "$tmp/wrk.txt" >&2; exit 1; }
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.txt")
  lat=$(awk '$1 == "Latency" {print $2; exit}' "$tmp/wrk.txt")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$tmp/wrk.txt")
  echo "server_bench.sh: wrk $label: $rps req/s, latency avg $lat" >&2
  record wrk '{}' label="$label" rps="$rps" latency="$lat" non2xx="${non2xx:-0}" \
    threads=2 connections="$connections" duration="$duration"
}

# ---- 1. the stored history -------------------------------------------------------------------
db="$tmp/seeded.db"
echo "server_bench.sh: seeding $experiments experiments x $trials trials" >&2
seed_start=$(date +%s.%N)
"$seed" --db "$db" --experiments "$experiments" --trials "$trials" 2>"$tmp/seed.err" >&2 ||
  { cat "$tmp/seed.err" >&2; exit 1; }
grep -A8 '^store calls' "$tmp/seed.err" >&2 || true
seed_s=$(echo "$(date +%s.%N) - $seed_start" | bc)
db_mb=$(du -m "$db" | cut -f1)
record info '{}' date="$(date -u +%Y-%m-%dT%H:%MZ)" experiments="$experiments" \
  trials="$((experiments * trials))" db_mb="$db_mb" seed_s="$seed_s" \
  load="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 2. idle, lists, wrk on the seeded store --------------------------------------------------
start_server "$db" "$tmp/work"
record rss "$($py rss "$pid")" when="just after start ($(printf '%.1f' "$startup_s") s to ready)"
record rss "$($py settle "$pid")" when="idle"
ns=default
exps="$base/apis/kubeflow.org/v1beta1/namespaces/$ns/experiments"
one=$(printf 'seed-%05d' $((experiments / 2)))
trials_url="$base/apis/kubeflow.org/v1beta1/namespaces/$ns/trials?labelSelector=katib.kubeflow.org%2Fexperiment%3D$one"
table='application/json;as=Table;v=v1;g=meta.k8s.io,application/json'
record latency "$($py latency "$exps" "$requests")" label="list experiments (JSON)"
record latency "$($py latency "$exps" "$requests" "$table")" label="list experiments (Table)"
record latency "$($py latency "$exps/$one" "$requests")" label="get one experiment"
record latency "$($py latency "$trials_url" "$requests")" label="list one experiment's $trials trials by label"
record rss "$($py rss "$pid")" when="idle after the list requests"

if [ "$perf" = yes ]; then
  # DWARF call graphs: the build has no frame pointers.
  perf record -F 199 --call-graph dwarf,16384 -p "$pid" -o "$tmp/perf.data" -- sleep "${duration%s}" \
    2>"$tmp/perf.err" >&2 &
  perf_pid=$!
fi
wrk_run "list experiments (JSON)" "$exps"
if [ "$perf" = yes ]; then
  wait "$perf_pid" || true
  echo "server_bench.sh: perf, list experiments (JSON): self time, then with callees:" >&2
  perf report -i "$tmp/perf.data" --no-children --sort symbol --stdio -g none \
    --percent-limit 1 2>/dev/null | grep -E '^ +[0-9.]+%' | sed 's/  *- *- *$//' |
    cut -c1-160 | head -25 >&2 || true
  perf report -i "$tmp/perf.data" --children --sort symbol --stdio -g none \
    --percent-limit 5 2>/dev/null | grep -E '^ +[0-9.]+%' | grep 'ktune::' |
    sed 's/  *- *- *$//' | cut -c1-160 | head -25 >&2 || true
fi
wrk_run "list experiments (Table)" "$exps" "$table"
wrk_run "get one experiment" "$exps/$one"
wrk_run "list one experiment's trials by label" "$trials_url"
record rss "$($py rss "$pid")" when="after the wrk runs"

# ---- 3. 50 experiments at once, on a fresh store (or the seeded one) --------------------------
echo "server_bench.sh: load: $load_experiments experiments x $load_trials trials, cap $cap, $load_store store" >&2
if [ "$load_store" = fresh ]; then
  stop_server
  start_server "$tmp/load.db" "$tmp/load-work"
  record rss "$($py settle "$pid")" when="idle, empty store"
fi
record load "$($py load "$base" "$pid" "$load_experiments" "$load_trials" 3 "$cap" "$ns")" store="$load_store"
stop_server

$py report "$results" | tee "$tmp/report.md"
if [ -n "$out" ]; then
  mkdir -p "$(dirname "$out")"
  cp "$tmp/report.md" "$out"
  echo "server_bench.sh: wrote $out" >&2
fi
