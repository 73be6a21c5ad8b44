#!/usr/bin/env bash
# End-to-end latency of several tuning runs of one model, measured interleaved:
# `bcd run` of each run in turn, ROUNDS times, then the median per run. One `bcd
# run` per network (as diffusion_experiment.sh does) moves 5-20% between
# invocations on a 2-core machine; interleaving spreads that drift over all runs
# alike, so their ratio can be trusted where single invocations cannot.
#
#   bash bench/e2e_compare.sh MODEL ROUNDS RUN_DIR...
#   e.g. bash bench/e2e_compare.sh resnet-18 5 out/ansor_s0 out/diffusion_sketch_s0
#
# Prints one line per run: its median over the rounds of `bcd run`'s own median
# of 10 timed runs, the minimum and maximum, and the ratio to the first run's
# median (> 1: faster than the first). Verification is left to the experiment
# script (`bcd run` verifies there); here every invocation only times.
set -euo pipefail
cd "$(dirname "$0")/.."
bcd=build/bcd
[ "$#" -ge 3 ] || { echo "usage: $0 MODEL ROUNDS RUN_DIR..." >&2; exit 2; }
model=$1 rounds=$2
shift 2
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer, not '$rounds'" >&2; exit 2; }
for d in "$@"; do
  [ -f "$d/records.json" ] || { echo "$d: no records.json (not a tuning run directory)" >&2; exit 2; }
done

samples=$(mktemp)
trap 'rm -f "$samples"' EXIT
for ((r = 1; r <= rounds; r++)); do
  for d in "$@"; do
    ms=$("$bcd" run --model "$model" --records "$d/records.json" --repeat 10 --no-verify |
      sed -n 's/^latency *\([0-9.]*\) ms.*/\1/p')
    [ -n "$ms" ] || { echo "$d: bcd run printed no latency" >&2; exit 1; }
    printf '%s\t%s\n' "$d" "$ms" >>"$samples"
  done
done

for d in "$@"; do
  awk -F'\t' -v d="$d" '$1 == d { print $2 }' "$samples" | sort -g |
    awk -v d="$d" '{ v[NR] = $1 } END {
      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%s\t%.3f\t%.3f\t%.3f\n", d, m, v[1], v[NR] }'
done | awk -F'\t' 'NR == 1 { base = $2 }
  { printf "%-60s median %8.3f ms  (min %.3f, max %.3f)  %.3fx\n", $1, $2, $3, $4, base / $2 }'
