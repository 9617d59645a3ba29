#!/usr/bin/env bash
# Runs a command on a desktop of its own: a private D-Bus session bus (single-instance)
# without service activation (no portals mounting into the runtime dir, no stray daemons),
# and an Xvfb display big enough for 1920×1080.
# Everything it starts goes when the command ends.
#   scripts/with-desktop.sh cargo test -p dialtone-app
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -m 700 "$work/xdg"
# Inside scripts/with-pulse.sh the runtime dir holds the private sound server's socket: keep it.
if [ -z "${DIALTONE_IN_PULSE_SESSION:-}" ]; then export XDG_RUNTIME_DIR=$work/xdg; fi
export NO_AT_BRIDGE=1
dbus-run-session --config-file="$(dirname "$0")/desktop-bus.conf" -- xvfb-run -a -s "-screen 0 1920x1200x24" "$@" \
  2> >(grep --line-buffered -v -E 'dbus-daemon|Failed to set fd limit' >&2)
