#!/usr/bin/env bash
# hack/fleetbench.sh: whole-process cost of servelayer at fleet scale, side
# by side with its floor, measured in the same run with /usr/bin/time -v.
#
#   hack/fleetbench.sh [SIZE...]          (default: 1 100 1000 10000)
#
# For each fleet size N (internal/corpus.Fleet: a third of the models on each
# layer, against internal/corpus.FleetPlatform) it runs, RUNS rounds of:
#   render    bin/servelayer render -f models.yaml --platform platform.yaml
#   function  bin/servelayer < resourcelist.yaml (the KRM function, transformer)
#   floor     go.yaml.in/yaml/v3 decoding render's own output and encoding it
#             again (hack/fleet floor; internal/corpus.YAMLFloor)
#   baseline  BASELINE render -f ... (when BASELINE names another binary,
#             such as a build of main: before and after in the same run)
# one after the other, so a change in the machine's load hits all of them,
# and reports for each the median wall time, the median CPU time (user +
# sys) and the median peak RSS, and the ratios render/floor and
# function/floor (wall time, then CPU time). Then one model, the P/D example
# (examples/llm-d-pd), timed over a loop of LOOP runs, since /usr/bin/time
# reports wall time in centiseconds.
#
# The targets (issue 18) are printed beside the figures: at 10,000 models
# render at most 1.0x the floor's time and at most 256 MiB peak RSS; one
# model at most 8 ms and 12 MiB. Nothing here fails on a figure: it is a
# measurement, not a test.
#
# Environment: SERVELAYER (default bin/servelayer, built by `make build`),
# BASELINE (optional), RUNS (default 3), LOOP (default 50), WORK (default a
# temporary directory, removed afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."

SERVELAYER=${SERVELAYER:-bin/servelayer}
BASELINE=${BASELINE:-}
RUNS=${RUNS:-3}
LOOP=${LOOP:-50}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1 100 1000 10000)
ME=fleetbench
. hack/measure.sh
for b in "$SERVELAYER" ${BASELINE:+"$BASELINE"}; do
  [ -x "$b" ] || { echo "fleetbench: $b is not an executable (make build)" >&2; exit 2; }
done
SERVELAYER=$(abs "$SERVELAYER")
[ -z "$BASELINE" ] || BASELINE=$(abs "$BASELINE")
FLEET=$WORK/fleet-tool
go build -o "$FLEET" ./hack/fleet

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "n/a" }'; }
cell() { printf '%.2f s, %.2f s, %s MiB' "$1" "$2" "$(mib "$3")"; }

echo "servelayer fleet benchmark: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $RUNS rounds (medians), $(date -u +%Y-%m-%d)"
echo "binary: $SERVELAYER${BASELINE:+; baseline: $BASELINE}"
echo "cells: wall time, CPU time (user + sys), peak RSS; ratios: wall (CPU)"
echo
header="| models | render -f | function | floor (yaml.v3) | render/floor | function/floor |"
sep="|---:|---|---|---|---:|---:|"
if [ -n "$BASELINE" ]; then
  header="$header baseline render -f | baseline/floor |"
  sep="$sep---|---:|"
fi
echo "$header"
echo "$sep"
for n in "${SIZES[@]}"; do
  dir=$WORK/fleet-$n
  "$FLEET" gen -n "$n" -dir "$dir"
  rm -f "$WORK"/*.runs
  for ((r = 0; r < RUNS; r++)); do
    measure render "$dir/out.yaml" "$SERVELAYER" render -f "$dir/models.yaml" --platform "$dir/platform.yaml"
    measure function /dev/null sh -c 'exec "$0" <"$1"' "$SERVELAYER" "$dir/resourcelist.yaml"
    measure floor /dev/null "$FLEET" floor "$dir/out.yaml"
    if [ -n "$BASELINE" ]; then
      measure baseline "$dir/baseline.yaml" "$BASELINE" render -f "$dir/models.yaml" --platform "$dir/platform.yaml"
      cmp -s "$dir/out.yaml" "$dir/baseline.yaml" || { echo "fleetbench: $n models: the baseline's output differs" >&2; exit 1; }
    fi
  done
  read -r rw rc rr < <(median render)
  read -r fw fc fr < <(median function)
  read -r lw lc lr < <(median floor)
  row="| $n | $(cell "$rw" "$rc" "$rr") | $(cell "$fw" "$fc" "$fr") | $(cell "$lw" "$lc" "$lr") | $(ratio "$rw" "$lw") ($(ratio "$rc" "$lc")) | $(ratio "$fw" "$lw") ($(ratio "$fc" "$lc")) |"
  if [ -n "$BASELINE" ]; then
    read -r bw bc br < <(median baseline)
    row="$row $(cell "$bw" "$bc" "$br") | $(ratio "$bw" "$lw") ($(ratio "$bc" "$lc")) |"
  fi
  echo "$row"
  if [ "$n" = 10000 ]; then
    big="10,000 models: render -f at $(ratio "$rw" "$lw") the floor's wall time, $(ratio "$rc" "$lc") its CPU time (target: at most 1.00x); $(mib "$rr") MiB peak RSS (target: at most 256 MiB); the function $(mib "$fr") MiB"
  fi
done

# One model: LOOP runs in one shell, so the centisecond clock resolves it.
pd=examples/llm-d-pd/qwen-pd.yaml
loop='i=0; while [ $i -lt "$2" ]; do "$0" render -f "$1" >/dev/null 2>&1 || exit 1; i=$((i+1)); done'
rm -f "$WORK"/*.runs
for ((r = 0; r < RUNS; r++)); do
  measure one /dev/null sh -c "$loop" "$SERVELAYER" "$pd" "$LOOP"
  [ -z "$BASELINE" ] || measure one-baseline /dev/null sh -c "$loop" "$BASELINE" "$pd" "$LOOP"
done
per_run() { awk -v w="$1" -v n="$LOOP" 'BEGIN { printf "%.1f ms", w / n * 1000 }'; }
read -r ow oc or < <(median one)
echo
echo "one model ($pd, $LOOP runs in a loop): $(per_run "$ow") wall, $(per_run "$oc") CPU per run, $(mib "$or") MiB peak RSS (target: at most 8 ms and 12 MiB)"
if [ -n "$BASELINE" ]; then
  read -r bw bc br < <(median one-baseline)
  echo "  baseline: $(per_run "$bw") wall, $(per_run "$bc") CPU per run, $(mib "$br") MiB peak RSS"
fi
[ -z "${big:-}" ] || echo "$big"
