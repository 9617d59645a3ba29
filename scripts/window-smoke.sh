#!/usr/bin/env bash
# Opens the app window under Xvfb, waits for it, saves a screenshot, and checks that the
# page rendered (the logo and title draw in the accent colour). Leaves no process behind.
#   scripts/window-smoke.sh <app binary> <screenshot.png>
# The page sets the window title to "Dialtone <version>" once the core has answered over
# IPC, so the title proves the UI loaded and the command round trip works.
set -euo pipefail
app=$(realpath "$1")
shot=$(realpath -m "$2")
mkdir -p "$(dirname "$shot")"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -m 700 "$work/xdg"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$(dirname "$0")/../Cargo.toml" | head -1)
export EXPECT_TITLE="Dialtone $version"

cat >"$work/inner.sh" <<'INNER'
#!/usr/bin/env bash
set -uo pipefail
app=$1 shot=$2
"$app" >"$WORK/app.log" 2>&1 &
pid=$!
found=""
for _ in $(seq 1 120); do
  if xwininfo -root -tree 2>/dev/null | grep -qF "\"$EXPECT_TITLE\""; then found=yes; break; fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.25
done
status=0
if [ -z "$found" ]; then
  echo "window-smoke: no window titled '$EXPECT_TITLE' appeared; windows:" >&2
  xwininfo -root -tree 2>/dev/null | grep -E '^ +0x[0-9a-f]+ "' >&2
  tail -20 "$WORK/app.log" >&2
  status=1
else
  sleep 1 # let the page finish painting
  import -window root "$shot"
  accent=$(convert "$shot" -fuzz 12% -fill black +opaque '#2f6fde' -fill white -opaque '#2f6fde' \
    -format '%[fx:round(mean*w*h)]' info:)
  echo "window-smoke: window up, screenshot $shot ($accent accent pixels)"
  if [ "$accent" -lt 400 ]; then
    echo "window-smoke: the page did not render (too few accent pixels)" >&2
    status=1
  fi
fi
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exit $status
INNER
chmod +x "$work/inner.sh"

export WORK=$work HOME=$work XDG_RUNTIME_DIR=$work/xdg NO_AT_BRIDGE=1
exec dbus-run-session --config-file="$(dirname "$0")/desktop-bus.conf" -- xvfb-run -a -s "-screen 0 1024x768x24" "$work/inner.sh" "$app" "$shot" 2> >(grep -v -E 'dbus-daemon|Failed to set fd limit' >&2)
