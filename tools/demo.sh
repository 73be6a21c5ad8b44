#!/usr/bin/env bash
# The main job on the built-in default: install, build, tune SqueezeNet 1.1 with
# Bayesian Code Diffusion (a short budget: a few minutes on 2 cores), then build the
# tuned network, verify it against the reference executor and time it end to end,
# and compile it into a package (squeezenet.so) that runs without bcd.
# If an Ansor run with the same budget exists (bash tools/demo.sh --ansor makes
# one), the two runs are compared: the artifact's metric, a table and a plot.
#   bash tools/demo.sh            # diffusion run (+ comparison if an Ansor run exists)
#   bash tools/demo.sh --ansor    # the same budget with the Ansor strategy
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/tools/install-deps.sh"
bash "$root/tools/build.sh"
bcd="${BCD_BUILD_DIR:-$root/build}/bcd"
model=squeezenet_v1.1
strategy=diffusion
[ "${1:-}" = "--ansor" ] && strategy=ansor
budget=(--num-trials 20 --num-measures-per-round 16)
cd "$root"
"$bcd" tune --model "$model" --strategy "$strategy" "${budget[@]}" | tee /tmp/bcd-demo-tune.log
dir=$(sed -n 's/^run dir   //p' /tmp/bcd-demo-tune.log)
"$bcd" run --model "$model" --records "$dir/records.json"
# The deployable form: one library, run as an application would, checked again.
"$bcd" compile --model "$model" --records "$dir" -o squeezenet.so
"$bcd" run --package squeezenet.so --model "$model"
# The latest finished run of the other strategy with the same budget, if any.
other=ansor
[ "$strategy" = ansor ] && other=diffusion
for d in $(ls -d "log_$other/$model"/*/ 2>/dev/null | sort -t/ -k3 -n -r); do
  if [ -s "$d/tuning.tsv" ] && grep -q '"num_trials": 20' "$d/run.json" && grep -q '"num_measures_per_round": 16' "$d/run.json"; then
    if [ "$strategy" = diffusion ]; then "$bcd" compare "$d" "$dir"; else "$bcd" compare "$dir" "$d"; fi
    break
  fi
done
