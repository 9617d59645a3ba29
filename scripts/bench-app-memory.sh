#!/usr/bin/env bash
# The app's memory over many calls (the figure heavy softphones lose on), summed over its
# whole process tree (the app and the WebKit processes it spawns; RSS and PSS from
# /proc/PID/smaps_rollup): after start, then every 10 echo calls (dial, 2 s up, hang up),
# driven over WebDriver; then Linphone desktop's, started the same way on the same display,
# with the ratio. Printed, never asserted. Run inside with-pulse.sh and with-desktop.sh:
#   scripts/with-pulse.sh scripts/with-desktop.sh scripts/bench-app-memory.sh target/debug/dialtone-app [calls]
set -euo pipefail
app=$(realpath "$1")
calls=${2:-30}
driver=$(command -v tauri-driver || echo "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver")
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
native=$((port + 1))
HOME=$work XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config "$driver" --port "$port" --native-port "$native" >/dev/null 2>&1 &
td=$!
# `|| true`: under `set -e` a waited process's SIGTERM status (143) would become ours.
trap 'kill $td 2>/dev/null; wait $td 2>/dev/null || true; rm -rf "$work"' EXIT
base=http://127.0.0.1:$port
until curl -sf "$base/status" >/dev/null; do sleep 0.2; done
post() { curl -s -H 'content-type: application/json' -X POST "$base$1" -d "$2"; }
sid=$(post /session "{\"capabilities\":{\"alwaysMatch\":{\"browserName\":\"wry\",\"tauri:options\":{\"application\":\"$app\"}}}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["value"]["sessionId"])')
run() { post "/session/$sid/execute/sync" "$(python3 -c 'import json,sys; print(json.dumps({"script": sys.argv[1], "args": []}))' "$1")"; }
state() { run "return document.getElementById('state').textContent" | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])'; }
wait_for() { for _ in $(seq 300); do [[ " $* " == *" $(state) "* ]] && return; sleep 0.1; done; echo "bench: stuck in $(state)" >&2; exit 1; }
wait_for Ready
pid=$(pgrep -f "^$app" | head -1)
tree() { "$(dirname "$0")/tree-memory.sh" "$1"; }
mb() { echo "$(($1 / 1024)) MB"; }
sleep 2
read -r start_rss start_pss procs < <("$(dirname "$0")/tree-memory.sh" --each "$pid" 2> >(awk '{printf "  %-22s PSS %4d MB  RSS %4d MB\n", $3, $1/1024, $2/1024}' >&2))
echo "app memory, idle: RSS $(mb "$start_rss"), PSS $(mb "$start_pss") over $procs processes (the app alone: RSS $(mb "$(awk '/VmRSS/{print $2}' "/proc/$pid/status")"))"
for i in $(seq "$calls"); do
  run "return window.__TAURI__.core.invoke('dial', {number: '+15550100'})" >/dev/null
  wait_for Connected
  sleep 2
  run "return window.__TAURI__.core.invoke('hangup')" >/dev/null
  wait_for Ready "Call ended"
  sleep 0.5
  if ((i % 10 == 0)); then
    read -r rss pss procs < <("$(dirname "$0")/tree-memory.sh" $( ((i == calls)) && echo --each) "$pid" 2> >(awk '{printf "  %-22s PSS %4d MB  RSS %4d MB\n", $3, $1/1024, $2/1024}' >&2))
    echo "app memory, after $i calls: RSS $(mb "$rss"), PSS $(mb "$pss") ($(mb $((pss - start_pss))) PSS over idle, $procs processes)"
  fi
done
curl -s -X DELETE "$base/session/$sid" >/dev/null

# Linphone desktop, the reference: its own home, in a network namespace of its own (only
# loopback, so it reaches no server and asks no DNS), measured once it has had 15 s to
# start and settle (Dialtone: 2 s after its window said Ready).
if ! command -v linphone >/dev/null; then
  echo "linphone: not installed (scripts/setup.sh bench installs linphone-desktop): no reference"
  exit 0
fi
lhome=$work/linphone
mkdir -p "$lhome"
HOME=$lhome XDG_CONFIG_HOME=$lhome/config XDG_DATA_HOME=$lhome/data XDG_CACHE_HOME=$lhome/cache \
  unshare -rn linphone >/dev/null 2>&1 &
lp=$!
trap 'kill $td 2>/dev/null; wait $td 2>/dev/null || true; kill $lp 2>/dev/null; wait $lp 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 15
read -r l_rss l_pss l_procs < <(tree "$lp")
echo "linphone memory, idle: RSS $(mb "$l_rss"), PSS $(mb "$l_pss") over $l_procs processes ($(unshare -rn linphone --version 2>/dev/null | head -1 || echo linphone-desktop))"
awk -v d="$start_pss" -v l="$l_pss" -v dr="$start_rss" -v lr="$l_rss" 'BEGIN {
  printf "idle PSS, Dialtone / Linphone: %.2fx (goal <= 0.6x: %s); RSS %.2fx\n", d / l, (d / l <= 0.6 ? "met" : "MISSED"), dr / lr }'

