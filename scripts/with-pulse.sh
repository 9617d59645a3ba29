#!/usr/bin/env bash
# Runs a command next to a private PulseAudio server with the null devices of
# scripts/pulse-null.pa, and stops it afterwards (by PID). Nothing touches the machine's
# own sound setup.
#   scripts/with-pulse.sh cargo test -p dialtone-core --test audio
set -euo pipefail

scratch=$(mktemp -d /tmp/dialtone-pulse.XXXXXX)
mkdir -p "$scratch/runtime" "$scratch/home"
chmod 700 "$scratch/runtime"
# Not PULSE_RUNTIME_PATH: the pure-Rust client cpal uses misreads it; the socket lands in
# $XDG_RUNTIME_DIR/pulse/native.
export XDG_RUNTIME_DIR="$scratch/runtime"
# The cookie and client config go here, not into the user's home.
export PULSE_COOKIE="$scratch/cookie" PULSE_CONFIG_PATH="$scratch/home"
pulseaudio -n -F "$(dirname "$0")/pulse-null.pa" --exit-idle-time=-1 --disallow-exit --daemonize=no \
  --log-target=file:"$scratch/pulse.log" >/dev/null 2>&1 &
pulse_pid=$!
cleanup() {
  kill "$pulse_pid" 2>/dev/null || true
  wait "$pulse_pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
for _ in $(seq 100); do
  pactl info >/dev/null 2>&1 && break
  sleep 0.05
done
pactl info >/dev/null 2>&1 || { echo "with-pulse: PulseAudio did not start:" >&2; cat "$scratch/pulse.log" >&2; exit 1; }
export DIALTONE_IN_PULSE_SESSION=1
"$@"
