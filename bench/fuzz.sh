#!/usr/bin/env bash
# The long fuzzing run of issue "Hardening": every fuzz target (fuzz/) for
# 1,000,000 executions (or $1), two at a time (one per core), from the committed
# seed corpus. Prints each target's executions and seconds; a crash, sanitizer
# report, leak or timeout fails it with the input under build-fuzz/findings/.
# Add every finding to fuzz/corpus/<target>/ once it is fixed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-1000000}"
bash "$root/tools/fuzz.sh" --runs 0 >/dev/null  # builds, replays the seeds
targets=()
for source in "$root"/fuzz/*_fuzz.cpp; do targets+=("$(basename "$source" .cpp)"); done
status=0
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for t in "${targets[@]:i:2}"; do
    BCD_FUZZ_SKIP_BUILD=1 bash "$root/tools/fuzz.sh" --runs "$runs" "$t" > "$root/build-fuzz/$t.summary" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
done
for t in "${targets[@]}"; do tail -1 "$root/build-fuzz/$t.summary"; done
exit $status
