#!/usr/bin/env bash
# End-to-end benchmark: generates a ~1 GB nginx combined log (once, in bench-data/), then times,
# in the same run and on the same warm page cache:
#   cat FILE > /dev/null                     the I/O floor
#   statuslens FILE --format json            end to end
#   decode FILE.gz (statuslens's own gzip)   decoding alone
#   gzip -dc FILE.gz > /dev/null             GNU gzip, for reference
#   statuslens FILE.gz --format json
#   cat / statuslens on a ~1 GB ALB log and a ~1 GB JSON-lines log (nginx JSON shape)
#   statuslens FILE --openapi SPEC           with a 5 000-path OpenAPI document (issue 7): the
#                                            log's 60 operations and 4 976 more paths
# Each command runs RUNS times (default 3); the best wall time is reported, with the peak RSS of
# that run (GNU time). Usage: scripts/bench.sh [SIZE_BYTES]   (default 1073741824)
#
# scripts/bench.sh --compare [SIZE_BYTES]   (default 400000000) instead runs the side-by-side:
# statuslens against the best program we found for DuckDB, chDB (embedded ClickHouse), polars,
# mawk and GoAccess on the same generated combined log and its .gz, each computing the basic
# table (requests per method, path and status: scripts/compare/peers.py). DuckDB, chDB and
# polars are installed from PyPI into target/compare-venv (never in CI); GoAccess and mawk come
# from apt (`apt-get install goaccess mawk`) and are skipped with a note when missing. Each
# peer's answer is checked against mawk's count before anything is timed; then the commands run
# interleaved (one of each per round, RUNS rounds, default 3) and the median wall time and the
# peak RSS of each are printed, as ratios to `cat` and to statuslens. GoAccess runs once.
# statuslens runs twice per round: the default `cargo install` build (release profile) and the
# `dist` profile build (`cargo install --profile dist`, whole-program LTO), rows `*-dist`; and,
# for scaling, with one parse worker (`--jobs 1`) and held to one core (`taskset -c 0`).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--compare" ]; then
  shift
  exec bash scripts/compare/compare.sh "$@"
fi
SIZE=${1:-1073741824}
RUNS=${RUNS:-3}
. scripts/bench-data.sh
combined_log "$SIZE"
ALB=$DATA/alb-$SIZE.log
JSONL=$DATA/json-$SIZE.log
[ -s "$ALB" ] || target/release/examples/gen_log --bytes "$SIZE" --seed 8 --format alb > "$ALB"
[ -s "$JSONL" ] || target/release/examples/gen_log --bytes "$SIZE" --seed 9 --format json > "$JSONL"
SPEC=$DATA/openapi-5000.yaml
if [ ! -s "$SPEC" ]; then
  awk 'BEGIN {
    print "openapi: 3.0.3\ninfo: {title: bench, version: \"1\"}\nservers: [{url: /api/v1}]\npaths:"
    split("invoices reviews tickets shipments payments sessions products users teams carts orders projects", r, " ")
    for (i = 1; i <= 12; i++) {
      printf "  /%s:\n    get: {responses: {\"200\": {description: ok}}}\n    post: {responses: {\"201\": {description: ok}, 4XX: {description: bad}}}\n", r[i]
      printf "  /%s/{id}:\n    get: {responses: {\"200\": {description: ok}, \"404\": {description: no}}}\n    put: {responses: {\"200\": {description: ok}}}\n    delete: {responses: {\"204\": {description: ok}}}\n", r[i]
    }
    for (i = 0; i < 4976; i++) printf "  /pad%d/items%d/{id}:\n    get: {responses: {\"200\": {description: ok}}}\n", i % 50, i
  }' > "$SPEC"
fi
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
cat "$LOG" > /dev/null   # warm the page cache

best() { # label, command...: prints "label seconds maxrss_kb" for the fastest of RUNS runs
  local label=$1; shift
  local best_t="" best_m=""
  for _ in $(seq "$RUNS"); do
    local out
    out=$( { /usr/bin/time -f "%e %M" "$@" > /dev/null; } 2>&1 | tail -1)
    local t=${out% *} m=${out#* }
    if [ -z "$best_t" ] || awk "BEGIN{exit !($t < $best_t)}"; then best_t=$t; best_m=$m; fi
  done
  echo "$label $best_t $best_m"
}

bytes=$(stat -c %s "$LOG")
lines=$(wc -l < "$LOG")
{
  best cat cat "$LOG"
  best statuslens "$BIN" "$LOG" --format json
  best statuslens-openapi "$BIN" "$LOG" --format json --openapi "$SPEC"
  best decode target/release/examples/decode "$LOG.gz"
  best gzip-dc gzip -dc "$LOG.gz"
  best statuslens-gz "$BIN" "$LOG.gz" --format json
  cat "$ALB" > /dev/null
  best cat-alb cat "$ALB"
  best statuslens-alb "$BIN" "$ALB" --format json
  cat "$JSONL" > /dev/null
  best cat-json cat "$JSONL"
  best statuslens-json "$BIN" "$JSONL" --format json
} > "$DATA/results.txt"

awk -v bytes="$bytes" -v lines="$lines" -v cores="$(nproc)" '
  { t[$1]=$2; m[$1]=$3 }
  END {
    printf "input: %.2f GB, %d lines, %d cores\n\n", bytes/1e9, lines, cores
    printf "(GB/s of the ALB and JSON rows are relative to the combined log size; all logs are about the same size)\n\n"
    printf "| command | seconds | GB/s (uncompressed) | peak RSS |\n|---|---:|---:|---:|\n"
    n = split("cat statuslens statuslens-openapi decode gzip-dc statuslens-gz cat-alb statuslens-alb cat-json statuslens-json", k, " ")
    for (i = 1; i <= n; i++) printf "| %s | %.2f | %.2f | %.1f MB |\n", k[i], t[k[i]], bytes/1e9/t[k[i]], m[k[i]]/1024
    printf "\nstatuslens / cat: %.1fx the time (target <= 6x)\n", t["statuslens"]/t["cat"]
    printf "statuslens .gz speed / decoding alone: %.2fx (target >= 0.9x)\n", t["decode"]/t["statuslens-gz"]
    printf "statuslens .gz vs gzip -dc alone: %.2fx faster\n", t["gzip-dc"]/t["statuslens-gz"]
    printf "ALB: statuslens / cat: %.1fx the time (target <= 6x)\n", t["statuslens-alb"]/t["cat-alb"]
    printf "JSON: statuslens / cat: %.1fx the time (target <= 10x)\n", t["statuslens-json"]/t["cat-json"]
    printf "with a 5 000-path OpenAPI document: %.2fx the time without\n", t["statuslens-openapi"]/t["statuslens"]
  }' "$DATA/results.txt"

# ---- scale (issue 6): memory on an adversarial log, merging partials, and other tools ----------
# Peak RSS on ~10 million lines of distinct random paths (a scanner's dream: every line a new
# route), the time to merge 1 000 partial aggregates, and — when installed (apt-get install
# goaccess mawk) — GoAccess and a one-pass mawk count of status per (method, path) over the same
# 1 GB combined log.
ADV=$DATA/adversarial-10M.log
if [ ! -s "$ADV" ]; then
  echo "generating $ADV ..." >&2
  awk 'BEGIN { srand(3); for (i = 0; i < 10000000; i++) {
      n = 1 + int(rand() * 3); p = "";
      for (j = 0; j < n; j++) p = p "/" sprintf("%x%x", int(rand() * 2147483647), int(rand() * 65535));
      printf "10.%d.%d.%d - - [01/May/2024:%02d:%02d:%02d +0000] \"GET %s HTTP/1.1\" 404 12 \"-\" \"scan\" 0.001\n",
        int(rand() * 256), int(rand() * 256), int(rand() * 256), int(i / 3600000) % 24, int(i / 60000) % 60, int(i / 1000) % 60, p } }' > "$ADV"
fi
# The route table's memory in --jobs (issue 12): 3 M distinct random paths from 1 M client
# addresses, at --jobs 2 and --jobs 16 (target: <= 256 MB, and --jobs 16 <= 1.5x --jobs 2).
RAND3M=$DATA/random-3M.log
if [ ! -s "$RAND3M" ]; then
  echo "generating $RAND3M ..." >&2
  awk 'BEGIN { srand(11); for (i = 0; i < 3000000; i++) {
      c = i < 1000000 ? i : int(rand() * 1000000);
      printf "10.%d.%d.%d - - [02/May/2024:%02d:%02d:%02d +0000] \"GET /%x%x/%x HTTP/1.1\" 404 0 \"-\" \"scan\"\n",
        int(c / 65536) % 256, int(c / 256) % 256, c % 256, 10 + int(i / 3600000), int(i / 60000) % 60, int(i / 1000) % 60,
        int(rand() * 2147483647), int(rand() * 65535), int(rand() * 16777215) } }' > "$RAND3M"
fi
PARTS=$DATA/partials-1000
if [ ! -d "$PARTS" ]; then
  mkdir -p "$PARTS"
  "$BIN" fixtures/sample/ -o "partial=$PARTS/p0000.partial"
  for i in $(seq 1 999); do cp "$PARTS/p0000.partial" "$PARTS/p$(printf %04d "$i").partial"; done
fi
{
  best statuslens-adversarial "$BIN" "$ADV" --format json
  best merge-1000-partials "$BIN" "$PARTS" --format json
  best random-3M-jobs-1 "$BIN" "$RAND3M" --format json --jobs 1
  best random-3M-jobs-2 "$BIN" "$RAND3M" --format json --jobs 2
  best random-3M-jobs-16 "$BIN" "$RAND3M" --format json --jobs 16
  if command -v goaccess > /dev/null; then
    RUNS=1 best goaccess goaccess "$LOG" --log-format=COMBINED --no-global-config -o "$DATA/goaccess.json"
  fi
  if command -v mawk > /dev/null; then
    best mawk mawk '{ c[$6 " " $7 " " $9]++ } END { for (k in c) n++; print n }' "$LOG"
  fi
} > "$DATA/results-scale.txt"
awk -v base="$(awk '$1 == "statuslens" { print $2 }' "$DATA/results.txt")" '
  { t[$1]=$2; m[$1]=$3 }
  END {
    printf "\n| command | seconds | peak RSS |\n|---|---:|---:|\n"
    for (k in t) printf "| %s | %.2f | %.1f MB |\n", k, t[k], m[k]/1024
    printf "\nadversarial 10M distinct paths: peak RSS %.1f MB (target < 256 MB)\n", m["statuslens-adversarial"]/1024
    printf "3M random paths: peak RSS %.1f MB at --jobs 2, %.1f MB at --jobs 16 (%.2fx; target <= 256 MB, <= 1.5x)\n", m["random-3M-jobs-2"]/1024, m["random-3M-jobs-16"]/1024, m["random-3M-jobs-16"]/m["random-3M-jobs-2"]
    printf "3M random paths: %.2f s at --jobs 1, %.2f s at --jobs 2 (the reducer bounds a log of new endpoints)\n", t["random-3M-jobs-1"], t["random-3M-jobs-2"]
    if ("goaccess" in t) printf "GoAccess / statuslens on the 1 GB combined log: %.1fx (goal >= 60x)\n", t["goaccess"]/base
    if ("mawk" in t) printf "mawk count / statuslens on the 1 GB combined log: %.1fx (goal >= 4x)\n", t["mawk"]/base
  }' "$DATA/results-scale.txt"
