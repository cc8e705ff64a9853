# hack/measure.sh: whole-process measurements with /usr/bin/time -v, sourced
# by hack/fleetbench.sh and hack/kustomize-knee.sh, whose name is in ME (for
# messages). Scratch files go to WORK, a temporary directory removed on exit
# unless the caller names one.

if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi

[ -x /usr/bin/time ] || { echo "$ME: /usr/bin/time is required (Debian: apt-get install time)" >&2; exit 2; }

# measure NAME OUT CMD...: runs CMD under /usr/bin/time -v with stdout to
# OUT, and appends "<wall s> <CPU s (user + sys)> <peak RSS KiB>" to
# $WORK/NAME.runs. A failing CMD stops the script with its stderr.
measure() {
  local name=$1 out=$2
  shift 2
  /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$out" 2>"$WORK/stderr.txt" || {
    echo "$ME: failed: $*" >&2
    cat "$WORK/stderr.txt" >&2
    exit 1
  }
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; wall = s }
    /User time/ { cpu += $2 }
    /System time/ { cpu += $2 }
    /Maximum resident set size/ { rss = $2 }
    END { printf "%.3f %.3f %d\n", wall, cpu, rss }' "$WORK/time.txt" >>"$WORK/$name.runs"
}

# median NAME: "<wall> <CPU> <RSS>", each the median of its column in
# $WORK/NAME.runs.
median() {
  local f=$WORK/$1.runs m
  m=$((($(wc -l <"$f") + 1) / 2))
  echo "$(cut -d' ' -f1 "$f" | sort -g | sed -n "${m}p") $(cut -d' ' -f2 "$f" | sort -g | sed -n "${m}p") $(cut -d' ' -f3 "$f" | sort -g | sed -n "${m}p")"
}

# mib KIB: KiB to MiB, rounded.
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# abs PATH: PATH made absolute.
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
