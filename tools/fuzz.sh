#!/usr/bin/env bash
# Builds the fuzz targets (fuzz/*_fuzz.cpp: libFuzzer with clang 19, AddressSanitizer
# and UBSan) into build-fuzz/, then for each target replays its committed corpus
# (fuzz/corpus/<target>/) and fuzzes it from there:
#   tools/fuzz.sh                each target for 20 s (what CI runs)
#   tools/fuzz.sh --seconds N    each target for N seconds
#   tools/fuzz.sh --runs N       each target for N executions (bench/fuzz.sh)
#   tools/fuzz.sh ... TARGET...  only these targets (e.g. npy_fuzz)
# Inputs that reach new code go to build-fuzz/corpus/<target>/ (the committed corpus
# is only read); a crash, sanitizer report, leak or timeout stops the script with
# the input saved under build-fuzz/findings/<target>/ and a non-zero exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BCD_FUZZ_BUILD_DIR:-$root/build-fuzz}"
limit=(-max_total_time=20)
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    -*) echo "tools/fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ -z "${BCD_FUZZ_SKIP_BUILD:-}" ]; then  # bench/fuzz.sh builds once, then runs targets side by side
  cmake -S "$root/fuzz" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 >/dev/null
  ninja -C "$build"
fi
if [ ${#targets[@]} -eq 0 ]; then
  for source in "$root"/fuzz/*_fuzz.cpp; do targets+=("$(basename "$source" .cpp)"); done
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for target in "${targets[@]}"; do
  seeds="$root/fuzz/corpus/$target"
  work="$build/corpus/$target"
  findings="$build/findings/$target"
  mkdir -p "$work" "$findings"
  echo "== $target: replaying $(ls "$seeds" | wc -l) seed inputs"
  "$build/$target" -runs=0 "$seeds" 2>"$build/$target.replay.log" || {
    tail -40 "$build/$target.replay.log"; echo "tools/fuzz.sh: $target failed on its seed corpus" >&2; exit 1; }
  echo "== $target: fuzzing (${limit[*]})"
  start=$(date +%s)
  "$build/$target" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$findings/" "$work" "$seeds" 2>"$build/$target.log" || {
    tail -60 "$build/$target.log"; echo "tools/fuzz.sh: $target found a failing input (see $findings)" >&2; exit 1; }
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/$target.log" | grep -o '[0-9]*$' || echo "?")
  echo "== $target: $runs executions in $(( $(date +%s) - start )) s, no failure"
done
