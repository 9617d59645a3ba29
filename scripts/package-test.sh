#!/usr/bin/env bash
# The package scenario: installs the .deb on this machine the way a user would (apt, which
# also proves its Depends resolve), checks its files, the tel:/callto: handler registration
# made at install, the `dialtone` CLI (a real call on the embedded sandbox), opens the
# installed app under Xvfb, then removes the package and checks that nothing is left.
#   scripts/package-test.sh <Dialtone_x.y.z_amd64.deb>
# Needs root (or sudo). Refuses to run where Dialtone is already installed by someone else.
set -euo pipefail
deb=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
pkg=$(dpkg-deb -f "$deb" Package)
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
work=$(mktemp -d /tmp/dialtone-package.XXXXXX)
installed=""

log() { printf '\033[1mpackage-test:\033[0m %s\n' "$*"; }
fail() { printf 'package-test: FAILED: %s\n' "$*" >&2; exit 1; }
cleanup() {
  if [ -n "$installed" ]; then "${sudo[@]}" dpkg -r "$pkg" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
  fail "$pkg is already installed here; remove it first (dpkg -r $pkg) so this test can own it"
fi

log "checking $(basename "$deb")"
depends=$(dpkg-deb -f "$deb" Depends)
for d in libwebkit2gtk-4.1-0 libgtk-3-0 libwebrtc-audio-processing1 libasound2 libsoup-3.0-0 desktop-file-utils; do
  grep -qw -- "$d" <<<"$depends" || fail "Depends lacks $d: $depends"
done
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||' >"$work/contents"
for f in usr/bin/dialtone-app usr/bin/dialtone usr/share/applications/Dialtone.desktop \
  usr/share/icons/hicolor/128x128/apps/dialtone-app.png usr/share/icons/hicolor/32x32/apps/dialtone-app.png; do
  grep -qx "$f" "$work/contents" || fail "the package lacks $f"
done

log "installing (apt-get install ./$(basename "$deb"))"
installed=yes
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$deb" >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log" >&2; fail "apt could not install the package"; }

desktop=/usr/share/applications/Dialtone.desktop
desktop-file-validate "$desktop" || fail "desktop-file-validate rejects $desktop"
grep -qx 'Exec=dialtone-app %u' "$desktop" || fail "Exec must pass the link on (%u): $(grep ^Exec= "$desktop")"
if ldd /usr/bin/dialtone-app /usr/bin/dialtone | grep -F 'not found'; then fail "unresolved libraries"; fi

# Registered at install: desktop-file-utils' trigger rebuilt the MIME cache, and xdg-mime
# (with an empty home, so no user's own choice interferes) names Dialtone for both schemes.
for scheme in tel callto; do
  grep -Eq "^x-scheme-handler/$scheme=(.*;)?Dialtone\.desktop;" /usr/share/applications/mimeinfo.cache ||
    fail "mimeinfo.cache does not list Dialtone for $scheme:"
  mkdir -p "$work/home"
  handler=$(env -i PATH="$PATH" HOME="$work/home" XDG_DATA_DIRS=/usr/local/share:/usr/share \
    xdg-mime query default "x-scheme-handler/$scheme")
  [ "$handler" = Dialtone.desktop ] || fail "xdg-mime gives '$handler' for $scheme:, not Dialtone.desktop"
done
log "handler registered for tel: and callto: (mimeinfo.cache, xdg-mime)"

# The installed CLI places a real call: preflight on the embedded sandbox's echo.
log "dialtone preflight (installed CLI, embedded sandbox)"
HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share" \
  "$here/with-pulse.sh" /usr/bin/dialtone preflight --json >"$work/preflight.json" 2>"$work/preflight.err" ||
  { cat "$work/preflight.json" "$work/preflight.err" >&2; fail "the installed dialtone's preflight failed"; }
grep -q '"pass":true' "$work/preflight.json" || fail "no passing verdict: $(tail -1 "$work/preflight.json")"

log "opening the installed app under Xvfb"
"$here/window-smoke.sh" /usr/bin/dialtone-app "$work/window.png"

log "removing"
"${sudo[@]}" dpkg -r "$pkg" >"$work/remove.log" 2>&1 || { cat "$work/remove.log" >&2; fail "dpkg -r failed"; }
installed=""
for f in /usr/bin/dialtone-app /usr/bin/dialtone "$desktop"; do
  [ ! -e "$f" ] || fail "$f is still there after dpkg -r"
done
if grep -q 'Dialtone\.desktop' /usr/share/applications/mimeinfo.cache 2>/dev/null; then
  fail "mimeinfo.cache still names Dialtone after removal"
fi
log "passed: installed, registered for tel:/callto:, called, opened and removed cleanly"
