#!/usr/bin/env bash
# Runs a GoogleTest binary (make unit: scripts/run_unit.sh build/asan/unit_tests [gtest flags])
# with its output as usual, then prints the summary line CI reads:
#   unit: N passed, N failed
# GoogleTest's own summary is "[  PASSED  ] N tests." / "[  FAILED  ] N tests, listed below:".
# When the binary dies half-way (a sanitizer report, a crash) there is no summary: the tests
# that finished are counted from their "[       OK ]" / "[  FAILED  ]" lines and the one that
# was running counts as failed. Exit status: the binary's (1 if it died without failing a test).
set -uo pipefail
if (($# < 1)) || [ ! -x "$1" ]; then
  echo "usage: scripts/run_unit.sh GTEST-BINARY [ARGS...]  (got '${1:-}')" >&2
  echo "unit: 0 passed, 1 failed"
  exit 2
fi
bin=$1
shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The binary writes to a file and tail shows it as it grows; no pipe for anything to hold open.
"$bin" "$@" >"$log" 2>&1 &
pid=$!
tail -n +1 -s 0.2 --pid="$pid" -f "$log"
wait "$pid"
status=$?

passed=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) tests\{0,1\}\..*/\1/p' "$log" | tail -n 1)
failed=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) tests\{0,1\}, listed below.*/\1/p' "$log" | tail -n 1)
skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9][0-9]*\) tests\{0,1\}, listed below.*/\1/p' "$log" | tail -n 1)
if grep -q '^\[==========\] [0-9]* tests\{0,1\} from .* ran\.' "$log"; then
  passed=${passed:-0}
  failed=${failed:-0}
  if ((status != 0 && failed == 0)); then
    echo "unit: the test binary exited with status $status after a clean run (a leak report?)"
    failed=1
  fi
else
  # No final summary: it died in the middle.
  passed=$(grep -c '^\[       OK \]' "$log")
  failed=$(grep -c '^\[  FAILED  \] [A-Za-z_].*(' "$log")
  failed=$((failed + 1))
  echo "unit: the test binary stopped before its summary (status $status); the test that was running counts as failed"
  ((status != 0)) || status=1
fi
((${skipped:-0} > 0)) && echo "unit: $skipped skipped"
if ((passed + failed == 0)); then
  echo "unit: no test ran (a filter that matches nothing?)"
  failed=1
  status=1
fi
echo "unit: $passed passed, $failed failed"
exit "$status"
