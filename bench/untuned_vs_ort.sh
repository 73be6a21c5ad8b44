#!/usr/bin/env bash
# Untuned networks against ONNX Runtime (issue 31: "untuned, within 3x"),
# interleaved. Each alternation runs, one after another: bcd's default schedules;
# the same with the C generator's vector statements off (BCD_C_VECTOR_STATEMENTS=0,
# the ablation); the default schedules of a second bcd build when BASELINE names
# its build directory (before and after a change); and ONNX Runtime (CPU provider,
# all graph optimizations) on the ONNX file `bcd export-onnx` writes for the same
# model and weights. Each run reports the median of REPEAT inferences; the table
# gives the median over the alternations.
#   [BASELINE=/path/to/old/build] bash bench/untuned_vs_ort.sh MODEL [ALTERNATIONS] [REPEAT] [THREADS]
# Needs bench/ort set up (cd bench/ort && npm install). Run on a quiet machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bcd="${BCD_BUILD_DIR:-$root/build}/bcd"
model="${1:?usage: untuned_vs_ort.sh MODEL [ALTERNATIONS] [REPEAT] [THREADS]}"
alternations="${2:-5}"
repeat="${3:-30}"
threads="${4:-$(nproc)}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS="$threads"

"$bcd" export-onnx --model "$model" --out "$tmp/model.onnx" >/dev/null
bcd_latency() { "$@" run --model "$model" --repeat "$repeat" --no-verify | sed -n 's/^latency *\([0-9.]*\) ms.*/\1/p'; }
ort_latency() {
  node "$root/bench/ort/ort_time.js" "$tmp/model.onnx" --threads "$threads" --repeat "$repeat" |
    sed -n 's/^ort_latency_ms //p'
}
variants=(default no_vector_statements ort)
[[ -n "${BASELINE:-}" ]] && variants=(default no_vector_statements baseline ort)
run_variant() {
  case "$1" in
    default) bcd_latency "$bcd" ;;
    no_vector_statements) BCD_C_VECTOR_STATEMENTS=0 bcd_latency "$bcd" ;;
    baseline) bcd_latency "$BASELINE/bcd" ;;
    ort) ort_latency ;;
  esac
}
# A first run of each compiles its kernels (kept in the kernel cache); not timed.
for v in "${variants[@]}"; do run_variant "$v" >/dev/null; done
for ((a = 1; a <= alternations; ++a)); do
  for v in "${variants[@]}"; do run_variant "$v" >>"$tmp/$v.txt"; done
  echo "alternation $a/$alternations: $(for v in "${variants[@]}"; do printf '%s %s  ' "$v" "$(tail -1 "$tmp/$v.txt")"; done)" >&2
done
median() { sort -g "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ort=$(median "$tmp/ort.txt")
echo "model $model, $threads threads, $alternations alternations of $repeat inferences, medians"
echo "| runtime | latency (ms) | this / ONNX Runtime |"
echo "|---|---|---|"
for v in "${variants[@]}"; do
  m=$(median "$tmp/$v.txt")
  case "$v" in
    default) name="bcd, default schedules" ;;
    no_vector_statements) name="bcd, default schedules, BCD_C_VECTOR_STATEMENTS=0" ;;
    baseline) name="bcd, default schedules, $BASELINE" ;;
    ort) name="ONNX Runtime" ;;
  esac
  awk -v n="$name" -v m="$m" -v o="$ort" 'BEGIN { printf "| %s | %.3f | %.2fx |\n", n, m, m / o }'
done
