#!/usr/bin/env bash
# Runs the GoogleTest binary given as $1 (further arguments are passed on) and ends with the
# line "unit: N passed, N failed" (, N skipped) that CI reads. Exit status: the binary's.
set -uo pipefail
bin=$1; shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$bin" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
if [ -z "$passed" ] && [ -z "$failed" ]; then
  echo "unit: the test binary ended without a summary (status $status)"
  echo "unit: 0 passed, 1 failed"
  exit 1
fi
echo "unit: ${passed:-0} passed, ${failed:-0} failed${skipped:+, $skipped skipped}"
exit "$status"
