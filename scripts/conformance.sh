#!/usr/bin/env bash
# Schemathesis against the sandbox, for each CAMARA version and each of its three APIs:
# `dialtone sandbox --camara X` on a free loopback port, a token with every scope, then
# `st run` on the version's spec (tests/contract/specs/X/). Checks: no 5xx, every
# response in its schema, its content type and headers, no status the spec does not
# document, and no request that breaks the schema (or lacks a required header) accepted. Bounded: a fixed seed and example count per operation, so a run is the same
# run every time and takes about a minute per version.
#
#   scripts/conformance.sh [dialtone-binary]     (make conformance builds it first)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/debug/dialtone}"
st=target/test-venv/bin/st
examples="${CONFORMANCE_EXAMPLES:-25}"
seed="${CONFORMANCE_SEED:-20261129}"
[ -x "$st" ] || { echo "schemathesis is not installed: run scripts/setup.sh test" >&2; exit 2; }
[ -x "$bin" ] || { echo "no $bin: cargo build -p dialtone-cli" >&2; exit 2; }

checks=not_a_server_error,response_schema_conformance,content_type_conformance,response_headers_conformance,status_code_conformance,negative_data_rejection,missing_required_header
out=target/conformance
mkdir -p "$out"
pid=
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  pid=
}
trap stop EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

failed=0
for camara in r2.2 wip next; do
  port=$(free_port)
  root="http://127.0.0.1:$port"
  "$bin" sandbox --listen "127.0.0.1:$port" --camara "$camara" >"$out/sandbox-$camara.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    curl -sf -H "Authorization: Bearer sandbox-control" "$root/sandbox/v1/status" >/dev/null 2>&1 && break
    sleep 0.1
  done
  token=$(curl -sf -u dialtone-sandbox:sandbox-secret -d grant_type=client_credentials "$root/oauth2/token" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  for api in webrtc-registration webrtc-call-handling webrtc-events; do
    file=$api
    [ "$camara/$api" = next/webrtc-events ] && file=webrtc-events-subscriptions
    spec="tests/contract/specs/$camara/$file.yaml"
    base=$(python3 - "$spec" <<'EOF'
import re, sys
m = re.search(r"url: '?\"?\{apiRoot\}(/[^'\"\s]+)", open(sys.argv[1]).read())
print(m.group(1))
EOF
)
    log="$out/$camara-$file.txt"
    if "$st" run "$spec" --url "$root$base" -H "Authorization: Bearer $token" \
      --checks "$checks" --max-examples "$examples" --seed "$seed" --workers 1 \
      --generation-deterministic --request-timeout 10 --no-color >"$log" 2>&1; then
      result=ok
    else
      result=FAILED
      failed=1
    fi
    printf '%-5s %-28s %-6s %s\n' "$camara" "$file" "$result" \
      "$(grep -Eo '[0-9]+ generated' "$log" | head -1) test cases"
    [ "$result" = ok ] || sed -n '/FAILURES/,$p' "$log" | head -80
  done
  stop
done
exit "$failed"
