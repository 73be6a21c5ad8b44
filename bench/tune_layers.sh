#!/usr/bin/env bash
# Tuning benchmark (issue "Auto-scheduling one task on CPU"): tunes ResNet-18's
# 3x3 conv layers (NCHW) and BERT-base's feed-forward dense layers with the Ansor
# policy, TRIALS measurements each (default 1000), printing trials per minute and
# the per-phase time breakdown of every round, then times the best schedule of each
# layer against oneDNN / OpenBLAS in one process with the same threads.
# Run on a quiet machine:   bash bench/tune_layers.sh [TRIALS] [OUT_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BCD_BUILD_DIR:-$root/build}"
trials="${1:-1000}"
out="${2:-$root/bench_out/tune_layers}"
mkdir -p "$out"
records="$out/records.jsonl"
layers=(
  "conv2d n=1,c=64,h=56,w=56,o=64,kernel=3,stride=1,pad=1"
  "conv2d n=1,c=128,h=28,w=28,o=128,kernel=3,stride=1,pad=1"
  "conv2d n=1,c=256,h=14,w=14,o=256,kernel=3,stride=1,pad=1"
  "conv2d n=1,c=512,h=7,w=7,o=512,kernel=3,stride=1,pad=1"
  "dense m=128,k=768,n=3072"
  "dense m=128,k=3072,n=768"
)
for layer in "${layers[@]}"; do
  read -r op params <<<"$layer"
  echo "== tuning $op $params ($trials trials)"
  "$build/bcd" tune-op "$op" --params "$params" --num-trials "$trials" --log "$records" --resume -v \
    | tee -a "$out/tune.log"
done
"$build/bench/bcd_bench_kernels" --tuned "$records" --json "$out/kernels.json" \
  --only r18_conv56 r18_conv28 r18_conv14 r18_conv7 bert_dense_ff1 bert_dense_ff2 bert_ff1_blas bert_ff2_blas | tee "$out/compare.txt"
