# shellcheck shell=bash
# Shared by the integration tests (sourced). Each test runs in a network namespace of its own
# (scripts/lib/netns.sh), prints "PASS name" or "FAIL name: reason", and exits 0 or 1.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib/netns.sh
source "$TOP/scripts/lib/netns.sh"
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/tapstack-e2e-$TEST_NAME.XXXXXX")

pass() { echo "PASS $TEST_NAME${1:+: $1}"; exit 0; }
fail() {
  echo "FAIL $TEST_NAME: $*"
  if [ -s "$WORK/tapstack.log" ]; then echo "  tapstack's log:"; tail -5 "$WORK/tapstack.log" | sed 's/^/    /'; fi
  exit 1
}
# A tool the test needs. In CI every tool is installed, so a missing one fails the test.
need() {
  command -v "$1" >/dev/null && return 0
  if [ "${CI:-}" = true ]; then fail "'$1' is not installed"; fi
  echo "SKIP $TEST_NAME: '$1' is not installed (scripts/install-deps.sh --test)"
  exit 0
}
# Namespace, tap0 (kernel side 10.0.0.1) and tapstack with the given arguments.
start() {
  ns_create "$TEST_NAME"
  trap '_ns_cleanup; rm -rf "$WORK"' EXIT
  ns_tap
  ns_start_tapstack "$WORK/tapstack.log" --pcap "$WORK/capture.pcap" "$@" || fail "tapstack did not start"
}
