#!/usr/bin/env bash
# Installs what Dialtone needs on Debian 12 / Ubuntu, and nothing twice.
#   scripts/setup.sh build   # compile the core and its tests (cmake for libopus, pkg-config)
#   scripts/setup.sh app     # + the Tauri window (WebKitGTK) and Xvfb for headless machines
#   scripts/setup.sh test    # everything `make test` uses
#   scripts/setup.sh bench   # `make bench`: + Festival's voice and the PESQ scorer
#   scripts/setup.sh fuzz    # `make fuzz`: a nightly toolchain and cargo-fuzz
# Only the distribution's package archive, crates.io, npm (Prism, for `test`) and PyPI
# (the PESQ scorer, for `bench`) are used.
set -euo pipefail
# make test lints inside its builds (Makefile); the tools installed here are not ours to lint.
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS

want=${1:-test}

# libasound2-dev: cpal always builds its ALSA host on Linux.
# libclang-dev: bindgen for webrtc-audio-processing-sys.
# cmake: opusic-sys builds libopus 1.6 from source (the system's 1.3.1 has no deep PLC).
build_pkgs=(build-essential pkg-config cmake libasound2-dev libwebrtc-audio-processing-dev libclang-dev)
app_pkgs=(libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev
  libayatana-appindicator3-dev libxdo-dev libssl-dev)
headless_pkgs=(xvfb x11-utils imagemagick xauth dbus dbus-x11)
# The OS keyring for the account tests (Secret Service), PulseAudio with null devices for
# the audio tests, and Node for Prism (contract tests).
# webkit2gtk-driver: WebKitWebDriver, which tauri-driver drives for the window's WebDriver suite.
# chromium + chromium-driver: Chromium (libwebrtc) as the far end of the peer scenarios.
# tshark: reads the decrypted capture back (tests/cli/decrypted_capture.rs).
# python3-venv + curl: schemathesis (scripts/conformance.sh) in a venv of its own.
# desktop-file-utils + xdg-utils: the package scenario checks the tel: handler registration.
test_pkgs=(gnome-keyring libsecret-tools pulseaudio pulseaudio-utils webkit2gtk-driver chromium chromium-driver tshark
  python3 python3-venv curl desktop-file-utils xdg-utils)
command -v npm >/dev/null || test_pkgs+=(nodejs npm)

case "$want" in
  build) pkgs=("${build_pkgs[@]}") ;;
  app | run) pkgs=("${build_pkgs[@]}" "${app_pkgs[@]}" "${headless_pkgs[@]}") ;;
  test) pkgs=("${build_pkgs[@]}" "${app_pkgs[@]}" "${headless_pkgs[@]}" "${test_pkgs[@]}") ;;
  # festival + festvox-us-slt-hts: the speech the PESQ benchmark sends; python3-venv: its scorer;
  # linphone-desktop: the reference of the app memory benchmark.
  bench) pkgs=("${build_pkgs[@]}" "${app_pkgs[@]}" "${headless_pkgs[@]}" pulseaudio pulseaudio-utils webkit2gtk-driver curl python3
    python3-venv chromium chromium-driver festival festvox-us-slt-hts linphone-desktop) ;;
  fuzz) pkgs=("${build_pkgs[@]}") ;;
  *) echo "usage: $0 build|app|test|bench|fuzz" >&2; exit 2 ;;
esac

log() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null; then
    echo "setup: these packages are missing and apt-get is not available: ${missing[*]}" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo=(sudo); else
      echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
      exit 1
    fi
  fi
  log "installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "system packages present"
fi

if ! command -v cargo >/dev/null; then
  cat >&2 <<'MSG'
setup: no Rust toolchain found. Install rustup (https://rustup.rs), then run this again:
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
MSG
  exit 1
fi

need_rust="1.90.0"
have_rust=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$need_rust" "$have_rust" | sort -V | head -1)" != "$need_rust" ]; then
  echo "setup: Rust $have_rust is older than $need_rust; run 'rustup update stable'" >&2
  exit 1
fi

if [ "$want" = test ]; then
  for comp in rustfmt clippy; do
    if ! cargo "${comp/rustfmt/fmt}" --version >/dev/null 2>&1; then
      log "adding the $comp component"
      rustup component add "$comp"
    fi
  done
fi
if [ "$want" = test ]; then
  # Prism for the contract tests, pinned by tests/contract/package-lock.json.
  contract="$(dirname "$0")/../tests/contract"
  if [ ! -x "$contract/node_modules/.bin/prism" ] ||
    [ "$contract/package-lock.json" -nt "$contract/node_modules/.package-lock.json" ]; then
    log "installing Prism (npm ci in tests/contract)"
    npm ci --prefix "$contract" --no-audit --no-fund --loglevel=error
  fi
  # TypeScript for `make lint` (ui/main.js against the generated ui/bindings.d.ts), pinned by
  # tests/ui-types/package-lock.json.
  ui_types="$(dirname "$0")/../tests/ui-types"
  if [ ! -x "$ui_types/node_modules/.bin/tsc" ] ||
    [ "$ui_types/package-lock.json" -nt "$ui_types/node_modules/.package-lock.json" ]; then
    log "installing TypeScript (npm ci in tests/ui-types)"
    npm ci --prefix "$ui_types" --no-audit --no-fund --loglevel=error
  fi
  # Schemathesis for `make conformance`, every package pinned by tests/contract/requirements.txt.
  venv="$(dirname "$0")/../target/test-venv"
  pinned=$(grep -Eo '^schemathesis==[^ ]+' "$contract/requirements.txt" | cut -d= -f3)
  if [ "$("$venv/bin/st" --version 2>/dev/null | awk '{print $NF}')" != "$pinned" ]; then
    log "installing schemathesis $pinned in target/test-venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$contract/requirements.txt"
  fi
fi
if [ "$want" = test ]; then
  # cargo-deny for the supply-chain gate (scripts/deny.sh, deny.toml).
  if [ "$(cargo deny --version 2>/dev/null | awk '{print $2}')" != "0.20.2" ]; then
    log "installing cargo-deny 0.20.2"
    cargo install cargo-deny --version 0.20.2 --locked --quiet
  fi
fi
if [ "$want" = test ] || [ "$want" = fuzz ]; then
  # The fuzz targets (fuzz/, scripts/fuzz.sh): cargo-fuzz on a nightly toolchain.
  if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    log "installing a nightly toolchain (minimal) for cargo fuzz"
    rustup toolchain install nightly --profile minimal
  fi
  if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "0.13.2" ]; then
    log "installing cargo-fuzz 0.13.2"
    cargo install cargo-fuzz --version 0.13.2 --locked --quiet
  fi
fi
if [ "$want" = test ] || [ "$want" = bench ]; then
  # tauri-driver 2 (3.x is an alpha) for the WebDriver suite.
  if ! tauri-driver --help >/dev/null 2>&1 && ! "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" --help >/dev/null 2>&1; then
    log "installing tauri-driver 2"
    cargo install tauri-driver --version '^2' --locked --quiet
  fi
fi
if [ "$want" = bench ]; then
  # The PESQ scorer (scripts/pesq-score.py), pinned, in a venv of its own under target/.
  venv="$(dirname "$0")/../target/bench-venv"
  pins=(numpy==1.26.4 scipy==1.11.4 pesq==0.0.4)
  if ! "$venv/bin/python" -c 'import numpy, scipy, pesq' >/dev/null 2>&1; then
    log "installing the PESQ scorer (${pins[*]}) in target/bench-venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
  fi
fi
log "ready for '$want'"
