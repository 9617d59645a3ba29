#!/usr/bin/env bash
# Runs make targets one after another and prints the seconds each took, so a slow CI run
# says where its time went (make test's last lines).
#   scripts/steps.sh TARGET...
set -uo pipefail
make=${MAKE:-make}
lines=()
begin=$(date +%s)
report() {
  printf '\nmake test, seconds per step:\n'
  printf '  %s\n' "${lines[@]}"
  printf '  %-14s %6d s\n' total "$(($(date +%s) - begin))"
}
for step in "$@"; do
  start=$(date +%s)
  "$make" --no-print-directory "$step"
  rc=$?
  lines+=("$(printf '%-14s %6d s' "$step" "$(($(date +%s) - start))")")
  if [ "$rc" -ne 0 ]; then
    lines[-1]+="  FAILED (exit $rc)"
    report
    exit "$rc"
  fi
done
report
