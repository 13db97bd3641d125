#!/usr/bin/env bash
# Runs every integration test (tests/integration/*_test.sh), each in a network namespace of its
# own; needs root. Ends with the line "e2e: N passed, N failed" and fails if any test failed.
set -u
cd "$(dirname "$0")"
[ "$(id -u)" = 0 ] || { echo "run_all.sh: the integration tests need root (network namespaces)" >&2; exit 1; }
passed=0 failed=0 failures=()
for t in ./*_test.sh; do
  name=$(basename "$t" .sh)
  if timeout 300 bash "$t"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
done
((failed)) && echo "failed: ${failures[*]}"
echo "e2e: $passed passed, $failed failed"
((failed == 0))
