#!/usr/bin/env bash
# Configures and builds bcd into build/ (Release with debug info, Ninja).
# Extra arguments go to cmake, e.g. -DBCD_SANITIZE=ON.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BCD_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -G Ninja "$@" >/dev/null
ninja -C "$build"
