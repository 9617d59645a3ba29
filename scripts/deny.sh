#!/usr/bin/env bash
# The supply-chain gate of `make test`:
#   1. cargo deny (deny.toml): licenses, bans and sources always; advisories against the
#      RustSec database, refreshed from GitHub when GitHub answers.
#   2. npm audit of the pinned test tools (tests/contract, tests/ui-types).
# A machine that cannot reach a database says so in one line and checks what it can; it never
# reports a database it did not read as clean.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1mdeny:\033[0m %s\n' "$*"; }

# cargo deny reads every package's manifest; on a fresh machine they are not downloaded
# yet (the builds come later in make test).
cargo fetch --locked --quiet

if cargo deny --locked fetch db >/tmp/dialtone-deny-fetch.$$ 2>&1; then
  log "RustSec advisory database refreshed"
  cargo deny --locked --offline check
else
  reason=$(grep -m1 -oE "Could not resolve host: [^ ]+|unable to access [^ ]+|failed to clone[^:]*" \
    /tmp/dialtone-deny-fetch.$$ | head -1 || true)
  reason=${reason:-the fetch failed}
  dbs="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
  db=$(find "$dbs" -mindepth 1 -maxdepth 1 -type d -name 'advisory-db-*' 2>/dev/null | head -1)
  if [ -n "$db" ] && git -C "$db" rev-parse HEAD >/dev/null 2>&1; then
    log "could not refresh the RustSec database ($reason); checking against the copy from $(git -C "$db" log -1 --format=%cs)"
    cargo deny --locked --offline check
  else
    log "ADVISORIES NOT CHECKED: the RustSec database cannot be fetched here ($reason) and no copy exists in $dbs"
    cargo deny --locked --offline check bans licenses sources
  fi
fi
rm -f /tmp/dialtone-deny-fetch.$$

# npm audit asks the registry's bulk advisory endpoint. Only a report (JSON with metadata) is
# judged; an endpoint that refuses the question is named, not taken for a clean answer.
for dir in tests/contract tests/ui-types; do
  out=$(npm audit --prefix "$dir" --json 2>/dev/null || true)
  if ! counts=$(printf '%s' "$out" | python3 -c '
import json, sys
v = json.load(sys.stdin)["metadata"]["vulnerabilities"]
print(v.get("high", 0) + v.get("critical", 0), v.get("total", 0))' 2>/dev/null); then
    log "NPM AUDIT NOT RUN for $dir: the registry's advisory endpoint did not answer with a report"
    continue
  fi
  read -r severe total <<<"$counts"
  if [ "$severe" -gt 0 ]; then
    npm audit --prefix "$dir" --audit-level=high || true
    log "$dir: $severe high or critical advisories in the pinned test tools"
    exit 1
  fi
  log "$dir: npm audit found no high or critical advisory ($total in all)"
done
