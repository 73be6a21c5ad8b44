#!/usr/bin/env bash
# The artifact's whole evaluation in one command: bench/diffusion_experiment.sh for
# every model of a list (each with its own seeds), then one summary table over all
# of them and each run's plots and tables under docs/results/diffusion/.
#
#   bash bench/diffusion_evaluation.sh [MODELS] [NUM_TRIALS] [VARIANTS] [RUNS_DIR] [RESULTS_DIR]
#
# MODELS is a list of MODEL[:SEEDS] (seeds comma-separated, default 0,1,2), e.g.
# "squeezenet_v1.1 resnet-18 mobilenetv2 bert mobilenet:0 inception_v3:0"; the
# default is the issue's: four models with 3 seeds and the other six with one.
# NUM_TRIALS defaults to 50 per task (64 measures per round), VARIANTS to
# "default artifact" (see diffusion_experiment.sh). Started again it skips every
# finished run, so the evaluation can be split over days; the summary is rebuilt
# from whatever has finished. Runs (records, logs) go to RUNS_DIR
# (bench_out/diffusion); the summary, plots, comparisons and TSVs to RESULTS_DIR
# (docs/results/diffusion). Run it on a quiet machine: it measures tuning time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
all_models="squeezenet_v1.1 resnet-18 mobilenetv2 bert mobilenet:0 inception_v3:0 mxnet:0 vgg-16:0 vgg-19:0 efficientnet:0"
models="${1:-$all_models}"
trials="${2:-50}"
variants="${3:-default artifact}"
runs="${4:-$root/bench_out/diffusion}"
results="${5:-$root/docs/results/diffusion}"
mkdir -p "$results"

for spec in $models; do
  model="${spec%%:*}"
  seeds="0 1 2"
  [ "$spec" != "$model" ] && seeds="${spec#*:}" && seeds="${seeds//,/ }"
  echo "=== $model (seeds $seeds)"
  # The results directory is the lasting record (RUNS_DIR is scratch a fresh
  # checkout does not have): the runs it lists count as finished, and are neither
  # run again nor lost from the summaries.
  mkdir -p "$runs/$model" "$results/$model"
  if [ -f "$results/$model/metrics.tsv" ]; then
    { cat "$runs/$model/metrics.tsv" 2>/dev/null || true; cat "$results/$model/metrics.tsv"; } |
      awk -F'\t' '!seen[$1 FS $2]++' >"$runs/$model/metrics.merged"
    mv "$runs/$model/metrics.merged" "$runs/$model/metrics.tsv"
  fi
  bash "$root/bench/diffusion_experiment.sh" "$model" "$trials" "$seeds" "$variants" "$runs/$model" >/dev/null
  cp "$runs/$model/metrics.tsv" "$results/$model/metrics.tsv"
  # Keep what a reader needs (the records stay in the run directories).
  for d in "$runs/$model"/diffusion_*_s*/; do
    [ -f "$d/compare.md" ] || continue
    name="$(basename "$d")"
    seed="${name##*_s}"
    keep="$results/$model/${name#diffusion_}"
    mkdir -p "$keep"
    cp "$d/compare.md" "$d/compare.svg" "$keep/" 2>/dev/null || true
    cp "$d/tuning.tsv" "$keep/diffusion_tuning.tsv"
    cp "$runs/$model/ansor_s$seed/tuning.tsv" "$keep/ansor_tuning.tsv"
  done
  cp "$runs/$model/summary.md" "$results/$model/summary.md"
done

# One table over every model with finished runs in RESULTS_DIR (not only this
# call's: the evaluation is split over several calls), the issue's models first: per model
# and variant, the median and per-seed speedups, the worst final estimate against
# Ansor's, and the end-to-end latencies `bcd run` verified.
{
  echo "# Bayesian Code Diffusion against Ansor: the evaluation"
  echo
  echo "$trials trials per task, 64 measures per round, made by \`bash bench/diffusion_evaluation.sh\`."
  echo "Speedup = Ansor's tuning time to its best estimate / the variant's time to reach it"
  echo "(\"never\" counts as 0 in the median). Estimate ratio = the variant's final estimated"
  echo "latency / Ansor's (goal: at most 1.02). Latencies: \`bcd run\` end to end, median of 10,"
  echo "Ansor's / the variant's, every network verified against the reference executor unless marked."
  echo "Adjusted: the same with the measurement drift between the two runs divided out of the variant's"
  echo "estimates (the median time ratio of the programs both runs measured). Re-measured: the variant's"
  echo "best programs against Ansor's timed side by side in one process, the worst ratio (\"-\": not computed)."
  echo
  echo "| model | variant | seeds | median speedup | per-seed speedup | worst estimate ratio | adjusted: per-seed speedup | worst ratio | re-measured: worst ratio | latency ms (Ansor / variant) |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  listed=""
  for spec in $all_models; do listed="$listed ${spec%%:*}"; done
  for d in "$results"/*/; do
    m="$(basename "$d")"
    [[ " $listed " == *" $m "* ]] || listed="$listed $m"
  done
  for model in $listed; do
    metrics="$results/$model/metrics.tsv"
    [ -f "$metrics" ] || continue
    for v in $(awk -F'\t' '$1 ~ /^diffusion-/ && !seen[$1]++ { print substr($1, 11) }' "$metrics"); do
      awk -F'\t' -v model="$model" -v name="diffusion-$v" 'BEGIN { n = 0; worst = 0; aworst = 0; rworst = 0 }
        $1 == "ansor" { alat[$2] = $6; aok[$2] = $7 }
        $1 == name {
          seeds[n] = $2; sp[n] = $3; s[n] = ($3 == "never" ? 0 : $3); lat[n] = $6; ok[n] = $7; r = $11
          adj[n] = ($13 == "" ? "-" : $13); n++
          if (r != "?" && r + 0 > worst) worst = r + 0
          if ($14 != "" && $14 != "-" && $14 + 0 > aworst) aworst = $14 + 0
          if ($15 != "" && $15 != "-" && $15 + 0 > rworst) rworst = $15 + 0
        }
        END {
          if (n == 0) exit
          for (i = 0; i < n; i++) {
            per = per (i ? " / " : "") sp[i]
            aper = aper (i ? " / " : "") adj[i]
            mark = (ok[i] == "PASS" && aok[seeds[i]] == "PASS") ? "" : " (not verified)"
            l = l (i ? ", " : "") alat[seeds[i]] " / " lat[i] mark
            ids = ids (i ? "," : "") seeds[i]
            sorted[i] = s[i]
          }
          for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (sorted[j] < sorted[i]) { t = sorted[i]; sorted[i] = sorted[j]; sorted[j] = t }
          m = (n % 2) ? sorted[int(n / 2)] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
          printf "| %s | %s | %s | %.2fx | %s | %s | %s | %s | %s | %s |\n", model, substr(name, 11), ids, m, per,
            (worst > 0 ? sprintf("%.4f", worst) : "?"), aper, (aworst > 0 ? sprintf("%.4f", aworst) : "-"),
            (rworst > 0 ? sprintf("%.4f", rworst) : "-"), l
        }' "$metrics"
    done
  done
  echo
  echo "Per model: \`<model>/summary.md\` (every run), and per variant and seed \`compare.svg\`"
  echo "(estimated latency against tuning time), \`compare.md\` (every task's best) and both TSVs."
} >"$results/summary.md"
cat "$results/summary.md"
