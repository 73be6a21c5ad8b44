#!/usr/bin/env bash
# bcd's end-to-end latency against tuning time, with ONNX Runtime's as a line
# (issue 31, item 5). A tuning run's records log is in measurement order and its
# tuning.tsv says how many trials each round had ended with and when, so the first
# N lines of records.json are the run as it stood at that time. POINTS snapshots at
# even shares of the run's time, and the untuned network as time 0, are timed end
# to end interleaved with ONNX Runtime by bench/bcd_vs_ort.sh. Writes to OUT:
#   curve.md       tuning time, trials, bcd's estimate, end-to-end latency, ORT / bcd
#   compare.svg    the plot (bcd compare of onnxruntime.tsv against bcd.tsv)
#   bcd_vs_ort.txt the interleaved runs' table; snapshot_<trials>.json the snapshots
#   [POINTS=4] [ALTERNATIONS=5] [REPEAT=30] bash bench/tuning_curve.sh MODEL RUN_DIR OUT
# Needs bench/ort set up (cd bench/ort && npm install). Run on a quiet machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bcd="${BCD_BUILD_DIR:-$root/build}/bcd"
model="${1:?usage: tuning_curve.sh MODEL RUN_DIR OUT}"
run="${2:?a tuning run directory (records.json and tuning.tsv)}"
out="${3:?an output directory}"
points="${POINTS:-4}"
for f in records.json tuning.tsv; do [[ -s "$run/$f" ]] || { echo "no $f in $run" >&2; exit 2; }; done
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# Rows of tuning.tsv: ElapsedTime(s) E EstimatedLatency(ms) L Trials T.
# The last round ended by each k/POINTS of the run's time (at least the first).
awk -F'\t' -v p="$points" '{ e[NR] = $2; l[NR] = $4; t[NR] = $6 }
  END {
    for (k = 1; k <= p; ++k) {
      at = 1
      for (i = 1; i <= NR; ++i) if (e[i] <= e[NR] * k / p) at = i
      if (at != last) print e[at], l[at], t[at]
      last = at
    }
  }' "$run/tuning.tsv" >"$out/points.txt"
snapshots=()
while read -r elapsed estimate trials; do
  head -n "$trials" "$run/records.json" >"$out/snapshot_$trials.json"
  snapshots+=("$out/snapshot_$trials.json")
done <"$out/points.txt"

bash "$root/bench/bcd_vs_ort.sh" "$model" "${snapshots[@]}" | tee "$out/bcd_vs_ort.txt"

# The table's latency of a row whose first cell starts with $1.
latency_of() { awk -F' *\\| *' -v r="$1" 'index($2, r) == 1 { print $3 }' "$out/bcd_vs_ort.txt"; }
ort=$(latency_of "ONNX Runtime")
untuned=$(latency_of "bcd, default schedules")
total=$(tail -1 "$out/points.txt" | cut -d' ' -f1)
{
  printf 'ElapsedTime(s)\t0\tEstimatedLatency(ms)\t%s\tTrials\t0\n' "$untuned"
  while read -r elapsed estimate trials; do
    printf 'ElapsedTime(s)\t%s\tEstimatedLatency(ms)\t%s\tTrials\t%s\n' "$elapsed" \
      "$(latency_of "bcd, records $out/snapshot_$trials.json")" "$trials"
  done <"$out/points.txt"
} >"$out/bcd.tsv"
printf 'ElapsedTime(s)\t0\tEstimatedLatency(ms)\t%s\tTrials\t0\nElapsedTime(s)\t%s\tEstimatedLatency(ms)\t%s\tTrials\t1\n' \
  "$ort" "$total" "$ort" >"$out/onnxruntime.tsv"
(cd "$out" && "$bcd" compare onnxruntime.tsv bcd.tsv --out . \
  --title "$model: end-to-end latency of the records at points of the run" >/dev/null)
rm -f "$out/compare.md"  # its A/B table is about two tuning runs, not a run against a constant

{
  echo "$(head -1 "$out/bcd_vs_ort.txt"); records of the run $run at points of its tuning"
  echo
  echo "| tuning time (s) | trials | bcd's estimate (ms) | bcd end to end (ms) | ONNX Runtime / bcd |"
  echo "|---|---|---|---|---|"
  awk -v o="$ort" -v u="$untuned" 'BEGIN { printf "| 0 (untuned) | 0 | | %.3f | %.2fx |\n", u, o / u }'
  paste -d' ' "$out/points.txt" <(cut -f4 "$out/bcd.tsv" | tail -n +2) |
    awk -v o="$ort" '{ printf "| %s | %s | %s | %.3f | %.2fx |\n", $1, $3, $2, $4, o / $4 }'
  awk -v o="$ort" 'BEGIN { printf "| ONNX Runtime | | | %.3f | 1.00x |\n", o }'
} | tee "$out/curve.md"
echo "plot      $out/compare.svg"
