#!/usr/bin/env bash
# The main job on the built-in default: install, build, then build a ResNet-18
# 3x3 convolution, verify it against the reference and report its speed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/tools/install-deps.sh"
bash "$root/tools/build.sh"
"${BCD_BUILD_DIR:-$root/build}/bcd" op conv2d "$@"
