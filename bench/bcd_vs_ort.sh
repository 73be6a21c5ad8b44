#!/usr/bin/env bash
# A network in bcd against ONNX Runtime (issue 31), interleaved. Each alternation
# runs, one after another: bcd's default schedules (untuned); bcd with each RECORDS
# file (tuned; e.g. snapshots of one run at several points of its tuning); with
# ABLATE=1, the default schedules with the C generator's vector statements off
# (BCD_C_VECTOR_STATEMENTS=0); with BASELINE=<build dir>, another build's default
# schedules and each RECORDS file (before and after a change); and ONNX Runtime (CPU provider, all graph
# optimizations) on the ONNX file `bcd export-onnx` writes for the same model and
# weights. Each run reports the median of REPEAT inferences; the table gives the
# median over the alternations and the ratio to ONNX Runtime's. A RECORDS argument
# may end in "::" and `bcd run` flags for its runs, e.g. "r.json::--layout NHWC"
# for records tuned with that layout.
#   [ALTERNATIONS=5] [REPEAT=30] [THREADS=nproc] [ABLATE=1] [BASELINE=dir] \
#     bash bench/bcd_vs_ort.sh MODEL [RECORDS[::FLAGS]...]
# Needs bench/ort set up (cd bench/ort && npm install). Run on a quiet machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bcd="${BCD_BUILD_DIR:-$root/build}/bcd"
model="${1:?usage: bcd_vs_ort.sh MODEL [RECORDS...]}"
shift
alternations="${ALTERNATIONS:-5}"
repeat="${REPEAT:-30}"
threads="${THREADS:-$(nproc)}"
for r in "$@"; do [[ -f "${r%%::*}" ]] || { echo "no records file ${r%%::*}" >&2; exit 2; }; done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS="$threads"

"$bcd" export-onnx --model "$model" --out "$tmp/model.onnx" >/dev/null
latency() { "$@" --model "$model" --repeat "$repeat" --no-verify | sed -n 's/^latency *\([0-9.]*\) ms.*/\1/p'; }
variants=(default)
for ((i = 0; i < $#; ++i)); do variants+=("records$i"); done
[[ "${ABLATE:-0}" == 1 ]] && variants+=(no_vector_statements)
if [[ -n "${BASELINE:-}" ]]; then
  variants+=(baseline)
  for ((i = 0; i < $#; ++i)); do variants+=("baseline_records$i"); done
fi
variants+=(ort)
records=("$@")
run_variant() {
  case "$1" in
    default) latency "$bcd" run ;;
    records* | baseline_records*)
      local r="${records[${1##*records}]}" flags=() build="$bcd"
      [[ "$1" == baseline_* ]] && build="$BASELINE/bcd"
      [[ "$r" == *::* ]] && read -ra flags <<<"${r#*::}"
      latency "$build" run --records "${r%%::*}" "${flags[@]}" ;;
    no_vector_statements) BCD_C_VECTOR_STATEMENTS=0 latency "$bcd" run ;;
    baseline) latency "$BASELINE/bcd" run ;;
    ort)
      node "$root/bench/ort/ort_time.js" "$tmp/model.onnx" --threads "$threads" --repeat "$repeat" |
        sed -n 's/^ort_latency_ms //p' ;;
  esac
}
describe() {
  case "$1" in
    default) echo "bcd, default schedules (untuned)" ;;
    records*) echo "bcd, records ${records[${1#records}]/::/ }" ;;
    no_vector_statements) echo "bcd, default schedules, BCD_C_VECTOR_STATEMENTS=0" ;;
    baseline) echo "bcd, default schedules, $BASELINE" ;;
    baseline_records*) echo "bcd, records ${records[${1##*records}]/::/ }, $BASELINE" ;;
    ort) echo "ONNX Runtime" ;;
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
echo "| runtime | latency (ms) | ONNX Runtime / this |"
echo "|---|---|---|"
for v in "${variants[@]}"; do
  awk -v n="$(describe "$v")" -v m="$(median "$tmp/$v.txt")" -v o="$ort" \
    'BEGIN { printf "| %s | %.3f | %.2fx |\n", n, m, o / m }'
done
