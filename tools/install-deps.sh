#!/usr/bin/env bash
# Installs the Debian 12 packages bcd needs to build, test and benchmark (as root,
# or through sudo). Packages already present are left alone; apt runs only when
# something is missing.
set -euo pipefail
# Kernels compile with clang 19 (see src/runtime/compiler.cpp). Its libomp-19-dev
# replaces Debian's default libomp-dev (they conflict), so clang 14 cannot link
# OpenMP kernels once it is installed; bcd itself builds with gcc.
packages=(
  build-essential cmake ninja-build clang-19 libomp-19-dev
  libfmt-dev nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas-dev libdnnl-dev libxgboost-dev libonnx-dev libprotobuf-dev zlib1g-dev
  pybind11-dev python3-dev python3-numpy  # the Python package (python/)
  python3-onnx  # generates the ONNX backend node tests of the conformance check
  redis-server libhiredis-dev  # measurement on many machines through a broker (src/broker/)
  libclang-rt-19-dev  # libFuzzer and the sanitizer runtimes of the fuzz targets (fuzz/)
)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bcd: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
