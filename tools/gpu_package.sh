#!/usr/bin/env bash
# Packs what the lent GPU machine needs to run bcd: that machine has no Debian
# packages and no network, so the binaries travel stripped, with the shared
# libraries they load (collected with ldd), in gpu_pkg/ (git-ignored; name it in
# the device tool's `carry`). The CUDA toolkit there provides NVRTC and the driver
# provides libcuda; the C library and the C++ runtime there are newer than ours.
#   bash tools/gpu_package.sh        # builds build/ first if needed
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BCD_BUILD_DIR:-$root/build}"
pkg="$root/gpu_pkg"
[ -x "$build/bcd" ] || bash "$root/tools/build.sh"
ninja -C "$build" bcd bcd-worker bcd_tests >/dev/null
rm -rf "$pkg"
mkdir -p "$pkg/bin" "$pkg/lib"
for b in bcd bcd-worker bcd_tests; do strip -o "$pkg/bin/$b" "$build/$b"; done
# Everything the binaries link except the base system and CUDA's own libraries.
skip='^(libc|libm|libdl|librt|libpthread|ld-linux-x86-64|libgcc_s|libstdc\+\+|libnvrtc.*|libcuda)\.so'
for b in "$pkg"/bin/*; do
  ldd "$b" | awk '/=> \//{print $1, $3}' | while read -r name path; do
    [[ "$name" =~ $skip ]] || cp -nL "$path" "$pkg/lib/$name"
  done
done
du -sh "$pkg"
