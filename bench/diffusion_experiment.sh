#!/usr/bin/env bash
# The diffusion experiment (issue "Bayesian Code Diffusion"), like the artifact's
# experiments/script.sh + eval.py: for each seed, tune MODEL with the Ansor strategy
# and with diffusion (operator, sketch and/or loops clusters) under the same budget, then
# compare each diffusion run with the Ansor run of its seed (compilation-time
# speedup to reach Ansor's best, first/last latency ratios), build and verify
# every final network end to end with `bcd run`, and write summary.md with the
# per-seed numbers and the medians.
#
#   bash bench/diffusion_experiment.sh MODEL [NUM_TRIALS] [SEEDS] [VARIANTS] [OUT]
#   e.g. bash bench/diffusion_experiment.sh squeezenet_v1.1 100 "0 1 2" "operator sketch"
#
# A variant is a preset ("default": `bcd tune --strategy diffusion` as it is;
# "artifact": `--preset artifact`) or a cluster kind (operator, sketch, loops) over
# the artifact preset, optionally followed by options: "-releaseN" for
# `--release-after-rounds N`, "-priorN" for `--max-prior-rounds N`, "-belowP" for
# `--release-below-rate P/100`, "-unrollP" for `--unroll-copy-rate P/100`,
# "-persketch" for `--prior-per-sketch`, "-openP" for `--posterior-open-fraction
# P/100`, "-roles" for `--stage-naming role`, "-fullsingletons" for
# `--full-singletons`, "-floor" for `--posterior-floor`, "-sfloor" for
# `--singleton-floor`, "-explore" for `--explore-sketches`, "-firstN" for
# `--posterior-first-measures N` (e.g. "operator-prior3-release3", "operator-below50",
# "sketch-unroll0", "default-open50", "default-sfloor").
#
# Called again it skips every finished run (tuning and `bcd run` alike): metrics.tsv
# keeps one line per run across calls, so variants may be added later.
#
# Run it on a quiet machine: it measures tuning time. $BCD_MODEL_ARGS go to `bcd
# tune` and `bcd run` (e.g. "--image-size 64" for a quick check), $BCD_TUNE_ARGS to
# `bcd tune` only (e.g. "--population 256"), $BCD_MEASURES_PER_ROUND overrides 64.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bcd="${BCD_BUILD_DIR:-$root/build}/bcd"
model="${1:?usage: diffusion_experiment.sh MODEL [NUM_TRIALS] [SEEDS] [VARIANTS] [OUT]}"
trials="${2:-100}"
seeds="${3:-0 1 2}"
variants="${4:-default artifact}"
out="${5:-$root/bench_out/diffusion/$model}"
per_round="${BCD_MEASURES_PER_ROUND:-64}"
model_args=(${BCD_MODEL_ARGS:-})
tune_args=(${BCD_TUNE_ARGS:-})
mkdir -p "$out"
summary="$out/summary.md"
metrics="$out/metrics.tsv"
touch "$metrics"  # kept across calls: each finished run has its line once

tune() {  # strategy seed dir [extra bcd tune args]
  local dir="$3"
  if [ -f "$dir/tuning.tsv" ] && [ -f "$dir/done" ]; then return; fi
  local resume=()
  [ -f "$dir/run.json" ] && resume=(--resume)
  # Each run compiles into a kernel cache of its own, emptied unless it resumes:
  # a cache shared between runs would let a later run (the second variant, whose
  # prior phase repeats the first's programs; or any re-run) skip compiles the
  # earlier one paid for, and tuning time is what the experiment compares.
  local cache="$dir/kernel_cache"
  [ ${#resume[@]} -eq 0 ] && rm -rf "$cache"
  BCD_CACHE_DIR="$cache" /usr/bin/time -v "$bcd" tune --model "$model" --strategy "$1" --seed "$2" \
    --num-trials "$trials" --num-measures-per-round "$per_round" --log-dir "$dir" "${resume[@]}" "${model_args[@]}" "${tune_args[@]}" "${@:4}" \
    >"$dir.log" 2>"$dir.time" || { tail -n 5 "$dir.log" "$dir.time"; exit 1; }
  touch "$dir/done"
  rm -rf "$cache"  # about 30 KB per trial; `bcd run` uses the default cache
}

best_estimate() {  # dir -> the run's best estimated latency (ms), the last of the TSV's column 4
  awk -F'\t' '$4 != "N/A" {e = $4} END {print (e == "" ? "?" : e)}' "$1/tuning.tsv"
}

has_metrics() {  # name seed -> whether metrics.tsv has that run's line
  [ -f "$metrics" ] && awk -F'\t' -v n="$1" -v s="$2" '$1 == n && $2 == s { found = 1 } END { exit !found }' "$metrics"
}

run_network() {  # dir -> "latency_ms verified" (a finished check kept beside the run is read again)
  grep -q '^latency' "$1.run" 2>/dev/null ||
    "$bcd" run --model "$model" --records "$1/records.json" --repeat 10 "${model_args[@]}" >"$1.run" 2>&1 || true
  local latency status
  latency=$(sed -n 's/^latency *\([0-9.]*\) ms.*/\1/p' "$1.run" | head -1)
  status=$(grep -o 'PASS\|FAIL' "$1.run" | head -1 || true)
  echo "${latency:-?} ${status:-?}"
}

for seed in $seeds; do
  # Every run of this seed in the metrics (e.g. kept from an earlier checkout whose
  # run directories are gone): nothing to tune. Otherwise Ansor's run is needed, if
  # only for the comparison.
  finished=1
  has_metrics ansor "$seed" || finished=0
  for v in $variants; do has_metrics "diffusion-$v" "$seed" || finished=0; done
  [ "$finished" = 1 ] && echo "== seed $seed: every run finished" && continue
  echo "== seed $seed: ansor"
  tune ansor "$seed" "$out/ansor_s$seed"
  a_best=$(best_estimate "$out/ansor_s$seed")
  # A run already in the metrics (a repeated call) is neither run nor counted again.
  if ! has_metrics ansor "$seed"; then
    read -r a_lat a_ok < <(run_network "$out/ansor_s$seed")
    a_rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/ansor_s$seed.time")
    a_first=$(awk -F'\t' '$4 != "N/A" {print $2; exit}' "$out/ansor_s$seed/tuning.tsv")
    printf 'ansor\t%s\t-\t-\t-\t%s\t%s\t%s\t%s\t%s\t-\n' "$seed" "$a_lat" "$a_ok" "$a_first" "$a_rss" "$a_best" >>"$metrics"
  fi
  for v in $variants; do
    echo "== seed $seed: diffusion ($v)"
    d="$out/diffusion_${v}_s$seed"
    extra=()
    IFS=- read -r -a parts <<<"$v"
    case "${parts[0]}" in
      default) ;;
      artifact) extra+=(--preset artifact) ;;
      operator|sketch|loops) extra+=(--preset artifact --group-type "${parts[0]}") ;;
      *) echo "unknown variant '$v' (default, artifact, or operator/sketch/loops with options)" >&2; exit 2 ;;
    esac
    for p in "${parts[@]:1}"; do
      case "$p" in
        release[0-9]*) extra+=(--release-after-rounds "${p#release}") ;;
        prior[0-9]*) extra+=(--max-prior-rounds "${p#prior}") ;;
        below[0-9]*) extra+=(--release-below-rate "$(awk -v p="${p#below}" 'BEGIN { print p / 100 }')") ;;
        unroll[0-9]*) extra+=(--unroll-copy-rate "$(awk -v p="${p#unroll}" 'BEGIN { print p / 100 }')") ;;
        persketch) extra+=(--prior-per-sketch) ;;
        roles) extra+=(--stage-naming role) ;;
        fullsingletons) extra+=(--full-singletons) ;;
        floor) extra+=(--posterior-floor) ;;
        sfloor) extra+=(--singleton-floor) ;;
        open[0-9]*) extra+=(--posterior-open-fraction "$(awk -v p="${p#open}" 'BEGIN { print p / 100 }')") ;;
        explore) extra+=(--explore-sketches) ;;
        first[0-9]*) extra+=(--posterior-first-measures "${p#first}") ;;
        *) echo "unknown variant option '$p' in '$v' (releaseN, priorN, belowP, unrollP, persketch, openP, roles, fullsingletons, floor, sfloor, explore, firstN)" >&2; exit 2 ;;
      esac
    done
    tune diffusion "$seed" "$d" "${extra[@]}"
    has_metrics "diffusion-$v" "$seed" && continue
    # --remeasure: both runs' best programs timed side by side, 5 rounds (about a
    # minute for squeezenet_v1.1): the final estimates compared on one machine state.
    m=$("$bcd" compare "$out/ansor_s$seed" "$d" --out "$d" --remeasure 5 | sed -n 's/^metric //p')
    read -r _ speedup _ first _ last _ drift _ _ _ adj_speedup _ remeasured <<<"$m"
    read -r d_lat d_ok < <(run_network "$d")
    d_rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$d.time")
    d_first=$(awk -F'\t' '$4 != "N/A" {print $2; exit}' "$d/tuning.tsv")
    d_best=$(best_estimate "$d")
    d_ratio=$(awk -v d="$d_best" -v a="$a_best" 'BEGIN { if (a + 0 > 0 && d + 0 > 0) printf "%.4f", d / a; else print "?" }')
    # The same ratio with the measurement drift between the two runs divided out
    # (bcd compare: the median time ratio of the programs both measured).
    adj_ratio=$(awk -v r="$d_ratio" -v f="$drift" 'BEGIN { if (r + 0 > 0 && f + 0 > 0) printf "%.4f", r / f; else print "-" }')
    printf 'diffusion-%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$seed" "$speedup" "$first" \
      "$last" "$d_lat" "$d_ok" "$d_first" "$d_rss" "$d_best" "$d_ratio" "${drift:--}" "${adj_speedup:--}" "$adj_ratio" \
      "${remeasured:--}" >>"$metrics"
  done
done

{
  echo "# Diffusion vs Ansor: $model, $trials trials per task, $per_round measures per round"
  echo
  echo "Compilation-time speedup = Ansor's elapsed time at its best estimated latency / the"
  echo "run's first elapsed time at or below it (\"never\": it did not get there). Latency ="
  echo "\`bcd run\` end to end (median of 10), verified against the reference executor. Drift = how"
  echo "slowly the run's machine timed the programs Ansor's run also measured (median ratio); the"
  echo "adjusted speedup and ratio divide it out of the run's estimates. Re-measured = the run's best"
  echo "programs against Ansor's, timed side by side in one process (\`bcd compare --remeasure 5\`):"
  echo "the final estimates compared on one machine state (\"-\": not computed)."
  echo
  echo "| run | seed | speedup | first-round ratio | last-round ratio | latency (ms) | verified | first complete estimate (s) | peak RSS of tune (KiB) | final estimate (ms) | to Ansor's | drift | adjusted speedup | adjusted ratio | re-measured ratio |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' '{ for (i = 12; i <= 15; i++) if ($i == "") $i = "-"
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15}' "$metrics"
  echo
  for v in $(awk -F'\t' '$1 ~ /^diffusion-/ && !seen[$1]++ { print substr($1, 11) }' "$metrics"); do
    # A seed that never reached Ansor's best counts as no speedup (0) in the median.
    awk -F'\t' -v name="diffusion-$v" '
      function median(v, k,   i, j, t) {
        for (i = 0; i < k; i++) for (j = i + 1; j < k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return (k % 2) ? v[int(k / 2)] : (v[k / 2 - 1] + v[k / 2]) / 2
      }
      $1 == name {
        s[n++] = ($3 == "never" ? 0 : $3); if ($3 != "never") reached++
        if ($13 != "" && $13 != "-") { a[na++] = ($13 == "never" ? 0 : $13); if ($13 != "never") areached++ }
      }
      END {
        if (n == 0) exit
        printf "- %s: median speedup %.2fx over %d seeds (%d reached Ansor'\''s best; a seed that never did counts as 0)", name, median(s, n), n, reached
        if (na > 0) printf "; drift divided out, %.2fx over %d (%d reached)", median(a, na), na, areached
        printf "\n"
      }' "$metrics"
  done
  echo
  echo "Plots: \`diffusion_<variant>_s<seed>/compare.svg\`."
} >"$summary"
cat "$summary"
