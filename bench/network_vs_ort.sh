#!/usr/bin/env bash
# Whole-network benchmark (issue "Whole networks with the Ansor strategy"): one
# network end to end with bcd's default schedules, with the tuned schedules of a
# records file, and in ONNX Runtime (the same network, exported with `bcd
# export-onnx`), on the same machine with the same threads, one after another in
# this script. Prints one table row per runtime.
#   bash bench/network_vs_ort.sh MODEL RECORDS [THREADS] [REPEAT]
# Needs bench/ort set up (cd bench/ort && npm install). Run on a quiet machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bcd="${BCD_BUILD_DIR:-$root/build}/bcd"
model="${1:?usage: network_vs_ort.sh MODEL RECORDS [THREADS] [REPEAT]}"
records="${2:?records file of a tuning run}"
threads="${3:-$(nproc)}"
repeat="${4:-30}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS="$threads"

latency() { sed -n 's/^latency *\([0-9.]*\) ms.*/\1/p' "$1"; }
"$bcd" export-onnx --model "$model" --out "$tmp/model.onnx" >/dev/null
"$bcd" run --model "$model" --repeat "$repeat" >"$tmp/default.txt"
"$bcd" run --model "$model" --records "$records" --repeat "$repeat" >"$tmp/tuned.txt"
node "$root/bench/ort/ort_time.js" "$tmp/model.onnx" --threads "$threads" --repeat "$repeat" >"$tmp/ort.txt"
ort=$(sed -n 's/^ort_latency_ms //p' "$tmp/ort.txt")
default=$(latency "$tmp/default.txt")
tuned=$(latency "$tmp/tuned.txt")
echo "model $model, $threads threads, median of $repeat runs; records $records"
grep '^tasks\|^verify' "$tmp/tuned.txt"
echo "| runtime | latency (ms) | ORT latency / this |"
echo "|---|---|---|"
awk -v o="$ort" -v d="$default" -v t="$tuned" 'BEGIN {
  printf "| bcd, default schedules | %.3f | %.2fx |\n", d, o / d
  printf "| bcd, tuned | %.3f | %.2fx |\n", t, o / t
  printf "| ONNX Runtime | %.3f | 1.00x |\n", o }'
