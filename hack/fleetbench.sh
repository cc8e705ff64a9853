#!/usr/bin/env bash
# hack/fleetbench.sh: whole-process cost of servelayer at fleet scale, side
# by side with its floor, measured in the same run with /usr/bin/time -v.
#
#   hack/fleetbench.sh [SIZE...]          (default: 1 100 1000 10000)
#
# For each fleet size N (internal/corpus.Fleet: a third of the models on each
# layer, against internal/corpus.FleetPlatform) it runs, RUNS times each and
# reports the median wall time and the median peak RSS:
#   render    bin/servelayer render -f models.yaml --platform platform.yaml
#   function  bin/servelayer < resourcelist.yaml (the KRM function, transformer)
#   floor     go.yaml.in/yaml/v3 decoding render's own output and encoding it
#             again (hack/fleet floor; internal/corpus.YAMLFloor)
# and the ratios render/floor and function/floor. Then one model, the P/D
# example (examples/llm-d-pd), per run over a loop of LOOP runs, since
# /usr/bin/time reports wall time in centiseconds.
#
# The targets (issue 18) are printed beside the figures: at 10,000 models
# render at most 1.0x the floor's wall time and at most 256 MiB peak RSS;
# one model at most 8 ms and 12 MiB. Nothing here fails on a figure: it is
# a measurement, not a test.
#
# Environment: SERVELAYER (default bin/servelayer, built by `make build`),
# RUNS (default 3), LOOP (default 50), WORK (default a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."

SERVELAYER=${SERVELAYER:-bin/servelayer}
RUNS=${RUNS:-3}
LOOP=${LOOP:-50}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1 100 1000 10000)
[ -x /usr/bin/time ] || { echo "fleetbench: /usr/bin/time is required (Debian: apt-get install time)" >&2; exit 2; }
[ -x "$SERVELAYER" ] || { echo "fleetbench: $SERVELAYER is not built (make build)" >&2; exit 2; }
SERVELAYER=$(cd "$(dirname "$SERVELAYER")" && pwd)/$(basename "$SERVELAYER")

own_work=
if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d)
  own_work=1
fi
cleanup() { [ -z "$own_work" ] || rm -rf "$WORK"; }
trap cleanup EXIT
FLEET=$WORK/fleet-tool
go build -o "$FLEET" ./hack/fleet

# measure OUT CMD...: runs CMD under /usr/bin/time -v with stdout to OUT;
# prints "<wall seconds> <peak RSS KiB>".
measure() {
  local out=$1
  shift
  /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$out" 2>"$WORK/stderr.txt" || {
    echo "fleetbench: failed: $*" >&2
    cat "$WORK/stderr.txt" >&2
    exit 1
  }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; wall = s }
    /Maximum resident set size/ { rss = $2 }
    END { printf "%.3f %d\n", wall, rss }' "$WORK/time.txt"
}

# median RUNS CMD...: the median wall time and the median peak RSS of RUNS
# runs (output to $WORK/out.yaml).
median() {
  local runs=$1 i
  shift
  for ((i = 0; i < runs; i++)); do measure "$WORK/out.yaml" "$@"; done >"$WORK/runs.txt"
  local m=$(((runs + 1) / 2))
  echo "$(cut -d' ' -f1 "$WORK/runs.txt" | sort -g | sed -n "${m}p") $(cut -d' ' -f2 "$WORK/runs.txt" | sort -g | sed -n "${m}p")"
}

mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "n/a" }'; }

echo "servelayer fleet benchmark: $(nproc) CPUs, $RUNS runs each (median), $(date -u +%Y-%m-%d)"
echo "binary: $SERVELAYER"
echo
printf '| %8s | %-22s | %-22s | %-22s | %-12s | %-12s |\n' models "render -f: wall, RSS" "function: wall, RSS" "floor: wall, RSS" render/floor function/floor
printf '|%s|%s|%s|%s|%s|%s|\n' ---------: ------------------------ ------------------------ ------------------------ -------------: ---------------:
for n in "${SIZES[@]}"; do
  dir=$WORK/fleet-$n
  "$FLEET" gen -n "$n" -dir "$dir"
  read -r rw rr < <(median "$RUNS" "$SERVELAYER" render -f "$dir/models.yaml" --platform "$dir/platform.yaml")
  cp "$WORK/out.yaml" "$dir/out.yaml"
  read -r fw fr < <(median "$RUNS" sh -c 'exec "$0" <"$1"' "$SERVELAYER" "$dir/resourcelist.yaml")
  read -r lw lr < <(median "$RUNS" "$FLEET" floor "$dir/out.yaml")
  printf '| %8d | %8.3f s, %5s MiB | %8.3f s, %5s MiB | %8.3f s, %5s MiB | %12s | %12s |\n' "$n" \
    "$rw" "$(mib "$rr")" "$fw" "$(mib "$fr")" "$lw" "$(mib "$lr")" "$(ratio "$rw" "$lw")" "$(ratio "$fw" "$lw")"
  if [ "$n" = 10000 ]; then
    big_ratio=$(ratio "$rw" "$lw")
    big_rss=$(mib "$rr")
    big_fn_rss=$(mib "$fr")
  fi
done

# One model: LOOP runs in one shell, so the centisecond clock resolves it.
pd=examples/llm-d-pd/qwen-pd.yaml
read -r pw pr < <(median "$RUNS" sh -c 'i=0; while [ $i -lt "$2" ]; do "$0" render -f "$1" >/dev/null || exit 1; i=$((i+1)); done' "$SERVELAYER" "$pd" "$LOOP")
one_ms=$(awk -v w="$pw" -v n="$LOOP" 'BEGIN { printf "%.1f", w / n * 1000 }')
echo
echo "one model ($pd, $LOOP runs in a loop): $one_ms ms per run, $(mib "$pr") MiB peak RSS (target: at most 8 ms and 12 MiB)"
if [ -n "${big_ratio:-}" ]; then
  echo "10,000 models: render -f at $big_ratio the floor (target: at most 1.00x), $big_rss MiB peak RSS (target: at most 256 MiB); function $big_fn_rss MiB"
fi
