#!/usr/bin/env bash
# hack/kustomize-knee.sh: where kustomize's own handling of the function's
# output stops growing linearly with the fleet, measured with
# /usr/bin/time -v.
#
#   hack/kustomize-knee.sh [SIZE...]      (default: 100 250 500 1000)
#
# For each fleet size N (internal/corpus.Fleet against FleetPlatform) it
# measures, RUNS rounds each, one after the other (medians of wall time and
# peak RSS):
#   kustomize+fn   kustomize build --enable-alpha-plugins --enable-exec on a
#                  kustomization whose transformer is servelayer (exec):
#                  what a user of the function runs
#   function       servelayer alone on the same fleet as a ResourceList: its
#                  share of the above
#   kustomize      kustomize build of a kustomization listing the rendered
#                  objects (render -f's output) as plain resources: the same
#                  objects without a function
#   render -f      servelayer render -f on the fleet
# and, per model, kustomize+fn's wall time and what it spends beyond the
# function and beyond plain kustomize. A cost per model that grows with N is
# the quadratic part.
#
# Environment: SERVELAYER (default bin/servelayer), KUSTOMIZE (default
# bin/kustomize-v5.8.2, `make tools`), RUNS (default 1), WORK (default a
# temporary directory, removed afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-1}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100 250 500 1000)
ME=kustomize-knee
. hack/measure.sh
SERVELAYER=$(abs "${SERVELAYER:-bin/servelayer}")
KUSTOMIZE=$(abs "${KUSTOMIZE:-bin/kustomize-v5.8.2}")
for b in "$SERVELAYER" "$KUSTOMIZE"; do
  [ -x "$b" ] || { echo "kustomize-knee: $b is missing (make build tools)" >&2; exit 2; }
done
FLEET=$WORK/fleet-tool
go build -o "$FLEET" ./hack/fleet

ms_per() { awk -v s="$1" -v n="$2" 'BEGIN { printf "%.1f", s / n * 1000 }'; }

echo "kustomize at fleet scale: $("$KUSTOMIZE" version 2>/dev/null | head -1), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $RUNS round(s), $(date -u +%Y-%m-%d)"
echo "cells: wall time, peak RSS"
echo
echo "| models | kustomize+fn | function | kustomize (plain) | render -f | kustomize+fn ms/model | beyond the function, ms/model | beyond plain kustomize, ms/model |"
echo "|---:|---|---|---|---|---:|---:|---:|"
for n in "${SIZES[@]}"; do
  dir=$WORK/fleet-$n
  "$FLEET" gen -n "$n" -dir "$dir" -exec "$SERVELAYER"
  "$SERVELAYER" render -f "$dir/models.yaml" --platform "$dir/platform.yaml" >"$dir/rendered.yaml"
  mkdir -p "$dir/plain"
  cp "$dir/rendered.yaml" "$dir/plain/"
  printf 'resources:\n- rendered.yaml\n' >"$dir/plain/kustomization.yaml"
  rm -f "$WORK"/*.runs
  for ((r = 0; r < RUNS; r++)); do
    measure kfn "$dir/kfn.yaml" "$KUSTOMIZE" build --enable-alpha-plugins --enable-exec "$dir"
    measure fn /dev/null sh -c 'exec "$0" <"$1"' "$SERVELAYER" "$dir/resourcelist.yaml"
    measure plain /dev/null "$KUSTOMIZE" build "$dir/plain"
    measure render /dev/null "$SERVELAYER" render -f "$dir/models.yaml" --platform "$dir/platform.yaml"
  done
  read -r kw _ kr < <(median kfn)
  read -r fw _ fr < <(median fn)
  read -r pw _ pr < <(median plain)
  read -r rw _ rr < <(median render)
  echo "| $n | $kw s, $(mib "$kr") MiB | $fw s, $(mib "$fr") MiB | $pw s, $(mib "$pr") MiB | $rw s, $(mib "$rr") MiB | $(ms_per "$kw" "$n") | $(ms_per "$(awk -v a="$kw" -v b="$fw" 'BEGIN{print a-b}')" "$n") | $(ms_per "$(awk -v a="$kw" -v b="$pw" 'BEGIN{print a-b}')" "$n") |"
done
