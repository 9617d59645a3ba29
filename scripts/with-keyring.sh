#!/usr/bin/env bash
# Runs a command in its own D-Bus session with an unlocked gnome-keyring (the Secret
# Service), a throw-away config and keyring directory, and stops what it started.
#   scripts/with-keyring.sh cargo test -p dialtone-cli
set -euo pipefail

if [ -z "${DIALTONE_IN_KEYRING_SESSION:-}" ]; then
  scratch=$(mktemp -d /tmp/dialtone-keyring.XXXXXX)
  trap 'rm -rf "$scratch"' EXIT
  mkdir -p "$scratch/data" "$scratch/config" "$scratch/runtime"
  chmod 700 "$scratch/runtime"
  # Only the keyring and our config move; cargo and rustup keep their homes.
  export XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config" XDG_RUNTIME_DIR="$scratch/runtime"
  export DIALTONE_IN_KEYRING_SESSION=1
  status=0
  dbus-run-session -- "$0" "$@" || status=$?
  exit $status
fi

# Inside the session: an unlocked "login" keyring with a throw-away password.
printf 'dialtone-test' | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
keyring_pid=$!
trap 'kill "$keyring_pid" 2>/dev/null || true; wait "$keyring_pid" 2>/dev/null || true' EXIT
# Ready when the Secret Service name answers on the bus.
for _ in $(seq 50); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
    string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
    break
  fi
  sleep 0.1
done
"$@"
