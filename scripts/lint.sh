#!/usr/bin/env bash
# The code's promises, checked by grep (make lint). Each rule says why it exists.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
check() {  # check "message" command...: the command's output lists violations
  local msg=$1; shift
  local out
  out=$("$@" 2>/dev/null || true)
  if [ -n "$out" ]; then
    echo "lint: $msg"; echo "$out" | sed 's/^/    /'; fail=1
  fi
}
code() { grep -rnE --include='*.cc' --include='*.hh' "$@"; }

# One function changes a connection's state: one breakpoint shows every transition.
n=$(grep -rnE --include='*.cc' --include='*.hh' '\bstate_ = ' stack/tcp | wc -l)
if [ "$n" != 1 ]; then echo "lint: 'state_ =' must appear exactly once in stack/tcp (set_state), found $n"; grep -rnE '\bstate_ = ' stack/tcp | sed 's/^/    /'; fail=1; fi
# Time is a parameter: nothing under stack/ reads a clock.
check "stack/ must not read a clock (time comes in as a parameter)" code '(::now\(\)|gettimeofday|clock_gettime|[^_a-z]time\()' stack
# Byte order lives in stack/base/byte_order.hh; no casts to reinterpret packet bytes.
check "no ntohs/htons/ntohl/htonl in stack/ (use load_be16/store_be16...)" code '\b(ntohs|htons|ntohl|htonl)\b' stack
check "no reinterpret_cast in stack/ outside stack/base/bytes.hh" bash -c "grep -rn --include='*.cc' --include='*.hh' reinterpret_cast stack | grep -v '^stack/base/bytes.hh:'"
# Dependencies point downwards: the stack sees only the device interface.
check "stack/ may include only netdev/net_dev.hh from netdev/, nothing from apps/" bash -c "grep -rnE --include='*.cc' --include='*.hh' '#include \"(apps/|netdev/)' stack | grep -v 'netdev/net_dev.hh'"
check "netdev/ must not include apps/" code '#include "apps/' netdev
if ((fail)); then exit 1; fi
echo "lint: ok"
