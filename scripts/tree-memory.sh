#!/usr/bin/env bash
# Memory of a process and every process descending from it (an app and the WebKit
# processes it spawns), from /proc/PID/smaps_rollup: "RSS_KB PSS_KB COUNT" on one line;
# with --each, each process's "PSS_KB RSS_KB NAME" on stderr first.
#   scripts/tree-memory.sh [--each] PID
set -euo pipefail
each=false
if [[ ${1:-} == --each ]]; then each=true; shift; fi
root=$1
pids=$(ps -e -o pid=,ppid= | awk -v root="$root" '
  { parent[$1] = $2; all[NR] = $1 }
  END {
    for (i = 1; i <= NR; i++) {
      p = all[i]
      for (q = p; q != "" && q != 0 && q != 1; q = parent[q]) if (q == root) { print p; break }
    }
  }')
rss=0 pss=0 n=0
for p in $pids; do
  read -r r s < <(awk '/^Rss:/{r=$2} /^Pss:/{s=$2} END{print r+0, s+0}' "/proc/$p/smaps_rollup" 2>/dev/null || echo "0 0")
  rss=$((rss + r)) pss=$((pss + s)) n=$((n + 1))
  if $each; then echo "$s $r $(cat "/proc/$p/comm" 2>/dev/null)" >&2; fi
done
echo "$rss $pss $n"
