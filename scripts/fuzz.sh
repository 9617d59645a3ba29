#!/usr/bin/env bash
# The fuzz targets (fuzz/fuzz_targets/): everything Dialtone reads from a peer or a server.
#   scripts/fuzz.sh time SECONDS [TARGET...]   # each target for SECONDS (make fuzz; make test: 5)
#   scripts/fuzz.sh runs COUNT [TARGET...]     # each target to COUNT executions
# Prints one line per target: executions, seconds, executions per second, corpus size.
# New inputs go to target/fuzz-corpus/<target> (the committed seeds in fuzz/corpus stay as
# they are); a crash stops with its input in fuzz/artifacts/<target>/ and libFuzzer's report.
set -euo pipefail
cd "$(dirname "$0")/.."
# make test lints its own builds with stable clippy-driver; the fuzz build is nightly's.
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
mode=${1:?usage: scripts/fuzz.sh time SECONDS | runs COUNT [TARGET...]}
amount=${2:?usage: scripts/fuzz.sh time SECONDS | runs COUNT [TARGET...]}
shift 2
case "$mode" in
  time) limit=(-max_total_time="$amount") ;;
  runs) limit=(-runs="$amount") ;;
  *) echo "usage: scripts/fuzz.sh time SECONDS | runs COUNT [TARGET...]" >&2; exit 2 ;;
esac
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)

# -s none: the targets are safe Rust over safe crates, where AddressSanitizer finds nothing a
# panic would not, at half the speed. Debug assertions stay on (overflow checks).
build=$(mktemp)
cargo +nightly fuzz build -s none --debug-assertions >"$build" 2>&1 || { cat "$build" >&2; exit 1; }
rm -f "$build"

printf '%-15s %12s %8s %10s %8s\n' target executions seconds exec/s corpus
# Inputs as large as the target's input can usefully be: an SDP up to the 64 KiB `parse`
# accepts; a message or body of 16 KiB; a few hundred jitter or DTMF steps; a typed number.
max_len() {
  case "$1" in
    sdp) echo 65536 ;;
    camara_event | alexa_message | intake) echo 16384 ;;
    jitter | rfc4733) echo 4096 ;;
    numbers) echo 256 ;;
    *) echo 4096 ;;
  esac
}

for t in "${targets[@]}"; do
  work=target/fuzz-corpus/$t
  mkdir -p "$work" "fuzz/corpus/$t"
  log=$(mktemp)
  start=$(date +%s.%N)
  if ! cargo +nightly fuzz run -s none --debug-assertions "$t" "$work" "fuzz/corpus/$t" -- \
    "${limit[@]}" -print_final_stats=1 -max_len="$(max_len "$t")" >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz: $t FAILED; the input is in fuzz/artifacts/$t/ (cargo +nightly fuzz run $t <file> replays it)" >&2
    rm -f "$log"
    exit 1
  fi
  end=$(date +%s.%N)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
  rate=$(awk -v r="$runs" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? r / s : r) }')
  printf '%-15s %12s %8s %10s %8s\n' "$t" "$runs" "$secs" "$rate" "$(ls "$work" | wc -l)"
  rm -f "$log"
done
