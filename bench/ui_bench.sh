#!/bin/sh
# The web UI's benchmark (issue 10 item 5): bench/ui_bench.mjs with headless Chromium against a
# real `ktune server` on stores of 100, 1 000 and 10 000 finished trials (see the .mjs for what
# is measured). Checks what it needs, then runs it; arguments go to it unchanged.
#
#   bench/ui_bench.sh [BUILD_DIR] [--trials=100,1000,10000] [--reps=5] [--logs=3] [--out=FILE]
#                     [--quick] [--profile] [--assets=DIR] [--keep] [--timeout-ms=60000]
#                     [--max-s=1800]
#
# BUILD_DIR defaults to build (BUILD_DIR/bin/ktune, BUILD_DIR/bin/ktune_server_seed and the
# UI's build in BUILD_DIR/ui-dist: cmake --build BUILD_DIR --target ktune ktune_server_seed).
# --quick: N=100 once, nothing written (a smoke test of the benchmark). Results go to
# bench/results/ui-DATE.md unless --out says otherwise.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=build
for arg in "$@"; do
  case "$arg" in
    -*) ;;
    *) build=$arg ;;
  esac
done
command -v node >/dev/null || { echo "ui_bench.sh: node is missing: scripts/setup.sh" >&2; exit 2; }
[ -d "$here/../ui/node_modules/playwright-core" ] ||
  { echo "ui_bench.sh: ui/node_modules/playwright-core missing: scripts/setup.sh (npm ci in ui/)" >&2; exit 2; }
[ -x "${KTUNE_CHROMIUM:-/usr/bin/chromium}" ] ||
  { echo "ui_bench.sh: no Chromium at ${KTUNE_CHROMIUM:-/usr/bin/chromium}: apt-get install chromium" >&2; exit 2; }
for b in ktune ktune_server_seed; do
  [ -x "$build/bin/$b" ] ||
    { echo "ui_bench.sh: $build/bin/$b not built (cmake --build $build --target ktune ktune_server_seed)" >&2; exit 2; }
done
exec node "$here/ui_bench.mjs" "$@"
