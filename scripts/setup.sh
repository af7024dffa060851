#!/usr/bin/env bash
# Installs the Debian 12 packages ktune needs to build, test and run. Idempotent: when every
# package is present it does nothing (no apt-get at all).
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
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
