#!/usr/bin/env bash
# The app's memory over many calls (the figure heavy softphones lose on): RSS of the app
# process after start, then every 10 echo calls (dial, 2 s up, hang up), driven over
# WebDriver. Printed, never asserted. Run inside with-pulse.sh and with-desktop.sh:
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
trap 'kill $td 2>/dev/null; wait $td 2>/dev/null; rm -rf "$work"' EXIT
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
rss() { awk '/VmRSS/{print $2}' "/proc/$pid/status"; }
sleep 2
start=$(rss)
echo "app memory: RSS after start $((start / 1024)) MB"
for i in $(seq "$calls"); do
  run "return window.__TAURI__.core.invoke('dial', {number: '+15550100'})" >/dev/null
  wait_for Connected
  sleep 2
  run "return window.__TAURI__.core.invoke('hangup')" >/dev/null
  wait_for Ready "Call ended"
  sleep 0.5
  if ((i % 10 == 0)); then
    now=$(rss)
    echo "app memory: after $i calls RSS $((now / 1024)) MB ($(((now - start) / 1024)) MB over start)"
  fi
done
curl -s -X DELETE "$base/session/$sid" >/dev/null
