#!/usr/bin/env bash
# The device check of the CUDA target, in one call of at most 8 minutes on a lent
# H100/H200. Build and pack here first (`bash tools/gpu_package.sh`), then run on
# the device machine with gpu_pkg carried:
#   device run  carry=[gpu_pkg]  timeout_s=540  command: bash bench/gpu_check.sh
# Steps, each logged under $OUT (or /tmp/gpu_check):
#   1. the GPU tests: the device equivalence oracle (random GPU States of every
#      operator, vector accesses included, run on the GPU against the
#      references), CUDA graph capture and replay, measurement error kinds, whole
#      networks on default GPU schedules (graph replay against launches one by one);
#   2. for squeezenet_v1.1 and resnet-18: a diffusion tuning run with
#      --target cuda (TRIALS per task), then `bcd run --target cuda` on its
#      records, verified against the CPU reference executor: the end-to-end
#      latency (host copies included) and the device-only one (one CUDA graph
#      replay), REPEAT runs each; then the same records launched one by one
#      (--no-cuda-graph) and with scalar accesses (BCD_CUDA_VECTOR_ACCESS=0);
#   3. the same torchvision models in PyTorch on the same GPU (fp32, TF32 off,
#      batch 1): eager, CUDA graph and torch.compile, REPEAT runs each;
#   4. a summary: bcd's device-only latency against PyTorch's CUDA graph.
# Environment: TRIALS (per task, default 10), PER_ROUND (default 16), REPEAT
# (default 200), TUNE_SECONDS (limit of each tuning run, default 110).
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
trials="${TRIALS:-10}"
per_round="${PER_ROUND:-16}"
repeat="${REPEAT:-200}"
tune_seconds="${TUNE_SECONDS:-110}"
status=0
step() { echo; echo "=== $* ($(date +%T))"; }

step "device"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee "$out/device.txt"

step "1. GPU tests"
timeout 150 "$pkg/bin/bcd_tests" \
  --gtest_filter='GpuDeviceOracle.*:CudaRunGpu.*:CudaDriver*:CudaKernel*:CudaGraphGpu.*:Executor/ExecutorGpuZoo.*:CudaTargetCli.*' \
  2>&1 | tee "$out/gpu_tests.log" | grep -E '^\[ *(OK|FAILED|SKIPPED|PASSED) *\]|GPU oracle|Failure' || true
grep -q '^\[  PASSED  \]' "$out/gpu_tests.log" && ! grep -q '^\[  FAILED  \]' "$out/gpu_tests.log" || status=1

for model in squeezenet_v1.1 resnet-18; do
  step "2. $model: diffusion tuning on cuda ($trials trials per task, $per_round per round, at most ${tune_seconds} s)"
  rm -rf "$out/tune-$model"
  # --time-limit ends the run after the round in progress; timeout is the safety net.
  timeout $((tune_seconds + 60)) "$bcd" tune --model "$model" --target cuda --strategy diffusion \
    --num-trials "$trials" --num-measures-per-round "$per_round" --time-limit "$tune_seconds" \
    --log-dir "$out/tune-$model" 2>&1 | tee "$out/tune-$model.log" | tail -6
  step "2. $model: bcd run --target cuda"
  records="$out/tune-$model/records.json"
  "$bcd" run --model "$model" --target cuda --records "$records" --repeat "$repeat" \
    2>&1 | tee "$out/run-$model.log" || status=1
  # Ablations on the same schedules: kernels launched one by one, and every
  # access scalar (no float4/float2).
  "$bcd" run --model "$model" --target cuda --records "$records" --repeat "$repeat" --no-verify --no-cuda-graph \
    2>&1 | tee "$out/run-$model-no-graph.log" | grep -E '^(latency|device only)'
  BCD_CUDA_VECTOR_ACCESS=0 "$bcd" run --model "$model" --target cuda --records "$records" --repeat "$repeat" \
    2>&1 | tee "$out/run-$model-scalar.log" | grep -E '^(verify|latency|device only)'
done

step "3. PyTorch on the same GPU"
timeout 180 python3 "$root/bench/gpu/torch_models.py" "$repeat" squeezenet1_1 resnet18 2>&1 | tee "$out/torch.log" || status=1

step "4. summary"
grep -E 'GPU oracle' "$out/gpu_tests.log"
grep -E '^\[  (PASSED|FAILED) ' "$out/gpu_tests.log"
for pair in squeezenet_v1.1:squeezenet1_1 resnet-18:resnet18; do
  model="${pair%%:*}" torch_name="${pair##*:}"
  device=$(awk '/^device only/{print $3}' "$out/run-$model.log")
  e2e=$(awk '/^latency/{print $2}' "$out/run-$model.log")
  graph=$(awk -v m="$torch_name" '$2 == m && $3 == "cuda-graph" {print $4}' "$out/torch.log")
  last_round=$(grep -E '^round ' "$out/tune-$model.log" | tail -1 | sed -E 's/.*\| est\. *([^|]*) \| trials *([^ ]*) \| *([0-9]+) s$/estimate \1, \2 trials in \3 s/')
  echo "$model: bcd device only ${device:-?} ms, end to end ${e2e:-?} ms; torch cuda graph ${graph:-?} ms;" \
       "ratio torch/bcd $(awk -v a="${graph:-0}" -v b="${device:-0}" 'BEGIN{ if (b > 0) printf "%.3f", a / b; else print "?" }')"
  echo "  tuning: ${last_round:-none}"
  echo "  ablations: device only $(awk '/^device only/{print $3}' "$out/run-$model-no-graph.log") ms without the" \
       "CUDA graph, $(awk '/^device only/{print $3}' "$out/run-$model-scalar.log") ms with scalar accesses"
  grep -E "^torch $torch_name " "$out/torch.log" | sed 's/^/  /'
done
exit $status
