#!/usr/bin/env bash
# Runs a command next to a private PulseAudio server with two null devices, and stops it
# afterwards (by PID). Nothing touches the machine's own sound setup.
#   mic      a null sink; its monitor "mic.monitor" is the microphone: play into "mic"
#   speaker  a null sink (the default output); record what was played from "speaker.monitor"
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
cat >"$scratch/default.pa" <<'PA'
load-module module-native-protocol-unix auth-anonymous=1
load-module module-null-sink sink_name=speaker rate=48000 sink_properties=device.description=Speaker
load-module module-null-sink sink_name=mic rate=48000 sink_properties=device.description=Mic
set-default-sink speaker
set-default-source mic.monitor
PA
pulseaudio -n -F "$scratch/default.pa" --exit-idle-time=-1 --disallow-exit --daemonize=no \
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
