#!/bin/sh
# Runs each libFuzzer target for SECONDS, from its seed corpus (tests/fuzz/corpus/<target>)
# and what earlier runs found (build/fuzz/corpus/<target>, where new inputs go),
# then prints how many inputs it ran. A crash fails the run and keeps its input
# in build/fuzz/. Usage: run.sh SECONDS TARGET...
set -eu
seconds=$1
shift
here=$(dirname "$0")
for target in "$@"; do
  case $target in
    envelope) max_len=4200 ;;
    config) max_len=2048 ;;
    *) max_len=4096 ;;
  esac
  mkdir -p "build/fuzz/corpus/$target"
  log="build/fuzz/$target.log"
  dict=""
  [ -f "$here/$target.dict" ] && dict="-dict=$here/$target.dict"
  if ! "build/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len="$max_len" $dict \
      -print_final_stats=1 -artifact_prefix="build/fuzz/$target-" \
      "build/fuzz/corpus/$target" "$here/corpus/$target" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: $target failed; see $log"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  corpus=$(ls "build/fuzz/corpus/$target" | wc -l)
  echo "fuzz: $target ran $runs inputs in $seconds s, no failure ($corpus inputs in its corpus)"
done
