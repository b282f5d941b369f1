# Sourced by scripts/bench.sh and scripts/compare/compare.sh, so both time the same file: builds
# the binary and the examples, and generates the nginx combined log of SIZE bytes (seed 7) and
# its .gz once, in bench-data/. Usage: combined_log SIZE   (sets DATA, BIN and LOG)
DATA=bench-data
BIN=target/release/statuslens
combined_log() {
  LOG=$DATA/access-$1.log
  mkdir -p "$DATA"
  cargo build --release --quiet --bin statuslens --examples
  if [ ! -s "$LOG" ]; then
    echo "generating $LOG ..." >&2
    target/release/examples/gen_log --bytes "$1" --seed 7 > "$LOG"
  fi
  [ -s "$LOG.gz" ] || gzip -1 -c "$LOG" > "$LOG.gz"
}
