#!/usr/bin/env bash
# The side-by-side of `scripts/bench.sh --compare` (see there). Usage: compare.sh [SIZE_BYTES]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -n "${CI:-}" ]; then
  echo "the side-by-side installs DuckDB, chDB and polars from PyPI: not in CI" >&2
  exit 1
fi
SIZE=${1:-400000000}
RUNS=${RUNS:-3}
. scripts/bench-data.sh
combined_log "$SIZE"
VENV=target/compare-venv
if ! "$VENV/bin/python" -c "import duckdb, chdb, polars" 2> /dev/null; then
  echo "installing duckdb, chdb and polars into $VENV ..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q duckdb chdb polars
fi
PY=$VENV/bin/python
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
command -v mawk > /dev/null || { echo "needs mawk for the reference count (apt-get install mawk)" >&2; exit 1; }
MAWK='{ split($2, r, " "); split($3, s, " "); c[r[1] " " r[2] " " s[1]]++ } END { for (k in c) { n++; t += c[k] } print n, t }'

# The commands, by name: plain log first, then the .gz.
declare -A CMD
CMD[cat]="cat $LOG"
CMD[statuslens]="$BIN $LOG --format json"
# The `dist` profile (whole-program LTO, one codegen unit): what `cargo install --profile dist`
# builds, the README's "what to ship". `statuslens` above is the default `cargo install`.
cargo build --profile dist --quiet --bin statuslens
DIST=target/dist/statuslens
CMD[statuslens-dist]="$DIST $LOG --format json"
CMD[gz-statuslens-dist]="$DIST $LOG.gz --format json"
# Scaling, in the same rounds: the default run (all cores) against one parse worker
# (`--jobs 1`, whose reader and reducer threads still use the second core) and against the
# whole run held to one core (`taskset -c 0`: SPEC §7's "two cores finish in close to half the
# time of one").
CMD[statuslens-jobs1]="$BIN $LOG --format json --jobs 1"
command -v taskset > /dev/null && CMD[statuslens-1core]="taskset -c 0 $BIN $LOG --format json"
CMD[duckdb]="$PY scripts/compare/peers.py duckdb $LOG"
CMD[chdb]="$PY scripts/compare/peers.py chdb $LOG"
CMD[polars]="$PY scripts/compare/peers.py polars $LOG"
CMD[mawk]="mawk -F'\"' '$MAWK' $LOG"
CMD[gz-decode]="target/release/examples/decode $LOG.gz"
CMD[gz-statuslens]="$BIN $LOG.gz --format json"
CMD[gz-duckdb]="$PY scripts/compare/peers.py duckdb $LOG.gz"
CMD[gz-chdb]="$PY scripts/compare/peers.py chdb $LOG.gz"
CMD[gz-polars]="$PY scripts/compare/peers.py polars $LOG.gz"
CMD[gz-mawk]="gzip -dc $LOG.gz | mawk -F'\"' '$MAWK'"
ORDER="cat statuslens statuslens-dist statuslens-jobs1 ${CMD[statuslens-1core]:+statuslens-1core} duckdb chdb polars mawk gz-decode gz-statuslens gz-statuslens-dist gz-duckdb gz-chdb gz-polars gz-mawk"

# Every peer must give the reference's answer before it is timed.
reference=$(bash -c "${CMD[mawk]}")
echo "reference (mawk): $reference groups/requests" >&2
for name in duckdb chdb polars gz-duckdb gz-chdb gz-polars gz-mawk; do
  got=$(bash -c "${CMD[$name]}")
  [ "$got" = "$reference" ] || { echo "$name answered '$got', not '$reference'" >&2; exit 1; }
done
for name in statuslens statuslens-dist statuslens-jobs1 gz-statuslens gz-statuslens-dist; do
  parsed=$(bash -c "${CMD[$name]}" | "$PY" -c "import json, sys; print(json.load(sys.stdin)['summary']['parsed'])")
  [ "$parsed" = "${reference#* }" ] || { echo "$name parsed $parsed lines, not ${reference#* }" >&2; exit 1; }
done

OUT=$DATA/compare-$SIZE.txt
: > "$OUT"
cat "$LOG" "$LOG.gz" > /dev/null   # warm the page cache
for round in $(seq "$RUNS"); do
  for name in $ORDER; do
    t=$( { /usr/bin/time -f "%e %M" bash -c "${CMD[$name]} > /dev/null"; } 2>&1 | tail -1)
    echo "$name $t" >> "$OUT"
  done
  echo "round $round of $RUNS done" >&2
done
if command -v goaccess > /dev/null; then
  t=$( { /usr/bin/time -f "%e %M" goaccess "$LOG" --log-format=COMBINED --no-global-config -o "$DATA/goaccess.json" > /dev/null; } 2>&1 | tail -1)
  echo "goaccess $t" >> "$OUT"
else
  echo "GoAccess is not installed (apt-get install goaccess): left out" >&2
fi

versions="DuckDB $("$PY" -c 'import duckdb; print(duckdb.__version__)'), chDB $("$PY" -c 'import chdb; print(chdb.__version__)'), polars $("$PY" -c 'import polars; print(polars.__version__)'), $(mawk -W version 2>&1 | head -1 | cut -d' ' -f1-2)"
command -v goaccess > /dev/null && versions="$versions, GoAccess $(goaccess --version | head -1 | grep -o '[0-9][0-9.]*[0-9]')"
echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $versions"
echo "input: $LOG, $(stat -c %s "$LOG") bytes, ${reference#* } lines; median of $RUNS interleaved runs (GoAccess: one)"
echo
awk '
  { t[$1] = t[$1] " " $2; if ($3 > m[$1]) m[$1] = $3; names[$1] = 1 }
  function median(list,   a, n, i, j, x) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    n = split("cat statuslens statuslens-dist statuslens-jobs1 statuslens-1core duckdb chdb polars mawk goaccess gz-decode gz-statuslens gz-statuslens-dist gz-duckdb gz-chdb gz-polars gz-mawk", order, " ")
    for (k in names) med[k] = median(t[k])
    printf "| command | seconds | × cat | × statuslens | peak RSS |\n|---|---:|---:|---:|---:|\n"
    for (i = 1; i <= n; i++) {
      k = order[i]; if (!(k in names)) continue
      base = k ~ /^gz-/ ? "gz-statuslens" : "statuslens"
      printf "| %s | %.2f | %.1f | %.2f | %.0f MB |\n", k, med[k], med[k] / med["cat"], med[k] / med[base], m[k] / 1024
    }
    printf "\nstatuslens / DuckDB: %.2f, / chDB: %.2f (target <= 0.5 each); .gz: %.2f, %.2f\n", med["statuslens"] / med["duckdb"], med["statuslens"] / med["chdb"], med["gz-statuslens"] / med["gz-duckdb"], med["gz-statuslens"] / med["gz-chdb"]
    printf "statuslens / cat: %.1fx (target <= 6x); .gz speed / decoding alone: %.2f (target >= 0.9)\n", med["statuslens"] / med["cat"], med["gz-decode"] / med["gz-statuslens"]
    printf "two workers / one (--jobs 1): %.2fx faster (target >= 1.7)", med["statuslens-jobs1"] / med["statuslens"]
    if ("statuslens-1core" in names) printf "; two cores / one core (taskset -c 0): %.2fx faster", med["statuslens-1core"] / med["statuslens"]
    printf "\n"
    if ("statuslens-dist" in names) {
      printf "dist build: / DuckDB %.2f, / chDB %.2f; .gz %.2f, %.2f; / cat %.1fx; .gz / decoding alone %.2f\n", med["statuslens-dist"] / med["duckdb"], med["statuslens-dist"] / med["chdb"], med["gz-statuslens-dist"] / med["gz-duckdb"], med["gz-statuslens-dist"] / med["gz-chdb"], med["statuslens-dist"] / med["cat"], med["gz-decode"] / med["gz-statuslens-dist"]
    }
  }' "$OUT"
