#!/usr/bin/env bash
# Prints the GoogleTest filter that selects one group of unit tests: the suites defined in
# tests/unit/GROUP/*.cc (make unit-GROUP uses it). Groups are the directories under tests/unit:
#   scripts/test_group.sh tcp     ->  TcpClose.*:*/TcpClose.*:TcpListen.*:...
#   scripts/test_group.sh --list  ->  the groups, one per line
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --list ]; then
  for d in tests/unit/*/; do basename "$d"; done
  exit 0
fi
group=${1:?usage: scripts/test_group.sh GROUP|--list}
dir=tests/unit/$group
if [ ! -d "$dir" ]; then
  echo "test_group.sh: no test group '$group' (groups: $(for d in tests/unit/*/; do basename "$d"; done | tr '\n' ' '))" >&2
  exit 2
fi
# TEST(Suite, ...), TEST_F(Suite, ...) and TEST_P(Suite, ...); a TEST_P suite runs as Prefix/Suite.
suites=$(grep -ho '^TEST\(_F\|_P\)\{0,1\}([A-Za-z0-9_]*' "$dir"/*.cc | sed 's/.*(//' | sort -u)
[ -n "$suites" ] || { echo "test_group.sh: no tests in $dir" >&2; exit 1; }
filter=""
for s in $suites; do filter+="${filter:+:}$s.*:*/$s.*"; done
echo "$filter"
