#!/usr/bin/env bash
# Installs the Debian 12 packages ktune needs to build, test and run, and the web UI's npm
# packages (npm ci in ui/ when ui/node_modules is missing or older than ui/package-lock.json).
# Idempotent: when everything is present it does nothing and prints nothing (no apt-get, no npm).
# KTUNE_UI=OFF: nothing for the UI (no Node.js, npm, Chromium or npm packages).
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config make
  # the sanitizer and fuzz builds, -Wthread-safety and the format check (make test): clang's
  # sanitizer and libFuzzer runtimes are only a Recommends of clang, llvm brings llvm-symbolizer
  clang libclang-rt-dev llvm clang-format
  # libraries (ARCHITECTURE.md, DEVELOPERS.md)
  libabsl-dev libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  libsqlite3-dev libyaml-cpp-dev nlohmann-json3-dev libre2-dev libspdlog-dev libcxxopts-dev
  libcpp-httplib-dev libeigen3-dev libssl-dev
  # bounded L-BFGS (LBFGSpp, header-only over Eigen) for the bayesianoptimization plugin
  liblbfgspp-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # the quickstart's training script and the e2e tests
  python3 curl
  # tests/e2e/server/sdk_replay_test.py: the Katib SDK's REST calls and its DBManager gRPC
  # call (get_trial_metrics), replayed
  python3-kubernetes python3-yaml python3-grpcio
  # the Python SDK's tests (sdk/python/tests, pytest; grpcio above is their gRPC peer) and the
  # example notebook they execute (examples/notebook: nbconvert with an IPython kernel, the
  # scikit-learn model it tunes, pandas for its table)
  python3-pytest jupyter-nbconvert python3-ipykernel python3-pandas python3-sklearn
  # the reference HPACK encoder the SDK's own gRPC client is tested against
  python3-hpack
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# The web UI (ui/, built into ktune; cmake -DKTUNE_UI=OFF skips it): Node.js and npm from
# Debian only when none is on PATH (a newer Node, e.g. from nodesource or nvm, is kept), and
# Chromium for its browser tests.
ui=1
[ "${KTUNE_UI:-ON}" = OFF ] && ui=0
if [ "$ui" = 1 ]; then
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q 'install ok installed' ||
    missing+=(chromium)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[ "$ui" = 1 ] || exit 0
# The UI's build (Vite 6) and unit tests (Vitest 3) run on Node 18 (Debian 12's), its browser
# tests' playwright-core needs Node 20 or later.
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js $(node --version) is older than 20: the UI builds, but its browser tests" \
       "(playwright-core) need Node 20 or later" >&2
fi
# The UI's npm packages, exactly as ui/package-lock.json pins them, when missing or older.
ui_dir="$(cd "$(dirname "$0")/../ui" && pwd)"
installed="$ui_dir/node_modules/.package-lock.json"
if [ ! -e "$installed" ] || [ "$ui_dir/package-lock.json" -nt "$installed" ]; then
  echo "setup: npm ci in ui/"
  (cd "$ui_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
