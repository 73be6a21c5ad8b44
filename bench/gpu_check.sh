#!/usr/bin/env bash
# The device check of the CUDA target, in one call on a lent H100/H200 (about 6
# minutes). Build and pack here first (`bash tools/gpu_package.sh`), then run on the
# device machine with gpu_pkg carried:
#   device run  carry=[gpu_pkg]  command: bash bench/gpu_check.sh
# Steps, each logged under $OUT (or /tmp/gpu_check):
#   1. the GPU tests: the device equivalence oracle (random GPU States of every
#      operator run on the GPU against the references), measurement error kinds,
#      whole networks on default GPU schedules;
#   2. a short diffusion tuning run of squeezenet_v1.1 with --target cuda;
#   3. `bcd run --target cuda` end to end on those records, verified against the
#      CPU reference executor;
#   4. torchvision's squeezenet1_1 in PyTorch on the same GPU (fp32, TF32 off,
#      batch 1; eager and CUDA graph) for comparison.
# Environment: TRIALS (per task, default 20), PER_ROUND (default 16), REPEAT (50).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pkg="$root/gpu_pkg"
out="${OUT:-/tmp/gpu_check}"
mkdir -p "$out"
[ -x "$pkg/bin/bcd" ] || { echo "gpu_check: $pkg/bin/bcd missing: run tools/gpu_package.sh and carry gpu_pkg" >&2; exit 2; }
export LD_LIBRARY_PATH="$pkg/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
export BCD_CACHE_DIR="$out/kernel-cache"
# The CPU reference programs are compiled C; the device image has gcc (nvcc's host
# compiler) but maybe no clang.
command -v clang >/dev/null || export BCD_CC="${BCD_CC:-gcc}"
bcd="$pkg/bin/bcd"
export BCD_BINARY="$bcd"
trials="${TRIALS:-20}"
per_round="${PER_ROUND:-16}"
repeat="${REPEAT:-50}"
status=0
step() { echo; echo "=== $* ($(date +%T))"; }

step "device"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee "$out/device.txt"

step "1. GPU tests"
timeout 200 "$pkg/bin/bcd_tests" \
  --gtest_filter='GpuDeviceOracle.*:CudaRunGpu.*:CudaDriver*:CudaKernel*:Executor/ExecutorGpuZoo.*:CudaTargetCli.*' \
  2>&1 | tee "$out/gpu_tests.log" | grep -E '^\[ *(OK|FAILED|SKIPPED|PASSED) *\]|GPU oracle|Failure' || true
grep -q '^\[  PASSED  \]' "$out/gpu_tests.log" && ! grep -q '^\[  FAILED  \]' "$out/gpu_tests.log" || status=1

step "2. diffusion tuning of squeezenet_v1.1 on cuda ($trials trials per task, $per_round per round)"
rm -rf "$out/tune"
timeout 240 "$bcd" tune --model squeezenet_v1.1 --target cuda --strategy diffusion --num-trials "$trials" \
  --num-measures-per-round "$per_round" --log-dir "$out/tune" -v 2>&1 | tee "$out/tune.log" | \
  grep -vE '^ +task time so far' | tail -45 || status=1

step "3. bcd run --target cuda"
"$bcd" run --model squeezenet_v1.1 --target cuda --records "$out/tune/records.json" --repeat "$repeat" -v \
  2>&1 | tee "$out/run.log" || status=1
"$bcd" run --model squeezenet_v1.1 --target cuda --repeat "$repeat" 2>&1 | tee "$out/run_default.log" | \
  grep -E 'latency|verify' || status=1

step "4. PyTorch squeezenet1_1 on the same GPU"
python3 "$root/bench/gpu/torch_squeezenet.py" 200 2>&1 | tee "$out/torch.log" || status=1

step "summary"
grep -E 'GPU oracle' "$out/gpu_tests.log"
grep -E '^\[  (PASSED|FAILED) ' "$out/gpu_tests.log"
echo "tuned:    $(grep latency "$out/run.log")"
echo "default:  $(grep latency "$out/run_default.log")"
grep -E '^torch (eager|cuda graph)' "$out/torch.log"
exit $status
