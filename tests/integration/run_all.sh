#!/usr/bin/env bash
# Runs the integration tests (tests/integration/*_test.sh, or the ones named on the command
# line), one after the other, each in a network namespace it creates and deletes. Needs root.
# Each test is bounded by E2E_TEST_TIMEOUT seconds (default 300). Ends with the line
#   e2e: N passed, N failed
# and exits 1 if any test failed. A test skipped for a missing tool (never in CI, where CI=true
# makes that a failure) is listed on the line before. A test that leaves a process running
# fails, and the process is stopped (stop_leftovers).
#   sudo tests/integration/run_all.sh                   all of them
#   sudo tests/integration/run_all.sh article load      just these
#   TAPSTACK_BIN=build/asan/tapstack sudo -E tests/integration/run_all.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
limit=${E2E_TEST_TIMEOUT:-300}

if [ "$(id -u)" != 0 ]; then
  echo "run_all.sh: the integration tests need root (they create network namespaces): sudo make e2e" >&2
  echo "e2e: 0 passed, 1 failed"
  exit 1
fi

tests=()
if (($#)); then
  for name in "$@"; do
    name=${name%.sh}
    name=${name%_test}
    [ -f "$here/${name}_test.sh" ] || { echo "run_all.sh: no test '$name'" >&2; exit 2; }
    tests+=("$here/${name}_test.sh")
  done
else
  # Cheap and basic first, load last.
  for name in cli ping http pcap article load; do
    [ -f "$here/${name}_test.sh" ] && tests+=("$here/${name}_test.sh")
  done
  for t in "$here"/*_test.sh; do
    [[ " ${tests[*]} " == *" $t "* ]] || tests+=("$t")
  done
fi

# Namespaces of tests that were killed before their cleanup ran: tapstack-<pid>-<purpose>
# whose <pid> no longer runs and which did not exist before the test. Only those are removed,
# and only the processes inside them are stopped (they were started by the test).
remove_leftovers() {
  local before=$1 ns pid
  for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
    [[ $ns =~ ^tapstack-([0-9]+)- ]] || continue
    [[ " $before " == *" $ns "* ]] && continue
    pid=${BASH_REMATCH[1]}
    kill -0 "$pid" 2>/dev/null && continue
    echo "run_all.sh: removing namespace $ns left behind by $(basename "$2")" >&2
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
}

# Processes a test left running. Every test runs with TAPSTACK_E2E_RUN set to a token of its
# own, which everything it starts inherits (ip netns exec keeps the environment): a process that
# still carries the token after the test ended was started by it and left behind. They are
# listed, stopped (TERM, then KILL) and the test fails.
leftover_pids() {
  grep -lzx "TAPSTACK_E2E_RUN=$1" /proc/[0-9]*/environ 2>/dev/null | awk -F/ '{ print $3 }'
}
stop_leftovers() {  # stop_leftovers TOKEN: prints "PID (command)" for each, stops them
  local token=$1 pids pid i
  pids=$(leftover_pids "$token")
  [ -n "$pids" ] || return 0
  for pid in $pids; do
    printf '%s (%s) ' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80)"
    kill -TERM "$pid" 2>/dev/null
  done
  for ((i = 0; i < 50; i++)); do [ -z "$(leftover_pids "$token")" ] && break; sleep 0.1; done
  for pid in $(leftover_pids "$token"); do kill -KILL "$pid" 2>/dev/null; done
}

passed=0 failed=0 skipped=0
failed_names=() skipped_names=()
log=$(mktemp)
pid=""
trap 'rm -f "$log"' EXIT
# Ctrl-C or a TERM: stop the running test through its timeout (which passes SIGTERM on, and the
# test's trap deletes its namespace), then give up.
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid"; echo "run_all.sh: interrupted"; exit 130' INT TERM
start=$SECONDS
for t in "${tests[@]}"; do
  name=$(basename "$t" .sh)
  name=${name%_test}
  before=$(ip netns list 2>/dev/null | awk '{ print $1 }' | tr '\n' ' ')
  t0=$SECONDS
  # Output goes to a file, read back as it grows: no pipe a stray background process could
  # hold open. timeout sends SIGTERM (the test's trap cleans up), then SIGKILL 30 s later.
  : >"$log"
  token="$$-$name-$SRANDOM"
  TAPSTACK_E2E_RUN=$token timeout -k 30 "$limit" bash "$t" >"$log" 2>&1 &
  pid=$!
  tail -n +1 -s 0.2 --pid="$pid" -f "$log" 2>/dev/null
  wait "$pid"
  status=$?
  pid=""
  remove_leftovers "$before" "$t"
  verdict=$(grep -E "^(PASS|FAIL|SKIP) $name\b" "$log" | tail -n 1)
  left=$(stop_leftovers "$token")
  if [ -n "$left" ]; then
    echo "FAIL $name: left processes running after it ended (now stopped): $left"
    verdict="FAIL left processes"
  fi
  if ((status == 0)) && [[ $verdict == PASS* ]]; then
    passed=$((passed + 1))
  elif ((status == 77)) && [[ $verdict == SKIP* ]]; then
    skipped=$((skipped + 1))
    skipped_names+=("$name")
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    if ((status == 124 || (status == 137 && SECONDS - t0 >= limit))); then
      echo "FAIL $name: timed out after $limit s"
    elif ((status > 128)); then
      echo "FAIL $name: killed by signal $((status - 128))"
    elif [[ $verdict != FAIL* ]]; then
      echo "FAIL $name: exited with status $status without a verdict"
    fi
  fi
  echo "   ($name: $((SECONDS - t0)) s)"
done

echo
((skipped)) && echo "*** e2e: SKIPPED ${skipped_names[*]} (missing tools; scripts/install-deps.sh --test installs them) ***"
((failed)) && echo "e2e: failed: ${failed_names[*]}"
echo "e2e: all tests took $((SECONDS - start)) s"
echo "e2e: $passed passed, $failed failed"
((failed == 0))
