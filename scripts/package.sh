#!/usr/bin/env bash
# Builds the .deb with Tauri's bundler: the app, the `dialtone` CLI beside it, the icons and a
# desktop file that makes Dialtone the tel:/callto: handler at install (packaging/README.md).
#   scripts/package.sh [release|debug]   # default release; prints the .deb's path last
set -euo pipefail
profile=${1:-release}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
case "$profile" in
  release) flag=(--release) ;;
  debug) flag=() ;;
  *) echo "usage: $0 [release|debug]" >&2; exit 2 ;;
esac

log() { printf '\033[1mpackage:\033[0m %s\n' "$*" >&2; }

# Tauri's CLI, pinned (packaging/package-lock.json); npm ci only when the lock changed.
stamp=packaging/node_modules/.dialtone-lock
if ! cmp -s packaging/package-lock.json "$stamp" 2>/dev/null; then
  log "installing Tauri's CLI (npm ci in packaging)"
  (cd packaging && npm ci --no-fund --loglevel=error >&2)
  cp packaging/package-lock.json "$stamp"
fi

# The CLI ships in the same package; build it first with the same profile.
cargo build --locked "${flag[@]}" -p dialtone-cli >&2

# Tauri's CLI looks for tauri.conf.json beside a crate's Cargo.toml, so the root config, with
# packaging/deb.json laid over it, is written next to src-tauri/Cargo.toml (paths rebased).
python3 - "$profile" <<'PY'
import json, sys
profile = sys.argv[1]
def merge(a, b):
    for k, v in b.items():
        a[k] = merge(a.get(k, {}), v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
    return a
conf = json.load(open("tauri.conf.json"))
merge(conf, json.load(open("packaging/deb.json")))
conf["build"]["frontendDist"] = "../" + conf["build"]["frontendDist"].removeprefix("./")
conf["bundle"]["icon"] = ["../" + p for p in conf["bundle"]["icon"]]
conf["bundle"]["linux"]["deb"]["files"] = {"/usr/bin/dialtone": f"../target/{profile}/dialtone"}
with open("src-tauri/tauri.conf.json", "w") as f:
    json.dump(conf, f, indent=2)
PY

log "bundling ($profile)"
build=(build --bundles deb --ci)
[ "$profile" = debug ] && build+=(--debug)
(cd src-tauri && ../packaging/node_modules/.bin/tauri "${build[@]}" >&2)

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
deb="target/$profile/bundle/deb/Dialtone_${version}_amd64.deb"
[ -f "$deb" ] || { echo "package: no $deb after the build" >&2; exit 1; }
log "$(du -h "$deb" | cut -f1) $deb"
echo "$deb"
