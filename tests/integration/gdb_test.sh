#!/usr/bin/env bash
# scripts/gdb/tapstack.gdb in batch mode on `--simulate article` (no TAP, no root): it must stop
# at every TCP state change of both sides, in the article's order, with the right numbers.
source "$(dirname "$0")/lib.sh"
trap 'rm -rf "$WORK"' EXIT
need gdb
# Always through make: a stale debug binary would put the breakpoint on the wrong line.
make -C "$TOP" debug >/dev/null || fail "make debug failed"
cd "$WORK"
timeout 300 gdb -batch -x "$TOP/scripts/gdb/tapstack.gdb" -ex run --args "$TOP/build/debug/tapstack" --simulate article --no-pcap \
  >gdb.out 2>&1 || fail "gdb exited $?: $(tail -3 gdb.out)"
grep '^\[tcp\]' gdb.out | sed 's/tapstack::TcpState:://g; s/   because.*//' >states
expected='[tcp] Closed -> SynSent
[tcp] Listen -> SynReceived
[tcp] SynSent -> Established
[tcp] SynReceived -> Established
[tcp] Established -> FinWait1
[tcp] Established -> CloseWait
[tcp] FinWait1 -> FinWait2
[tcp] CloseWait -> LastAck
[tcp] FinWait2 -> TimeWait
[tcp] LastAck -> Closed
[tcp] TimeWait -> Closed'
[ "$(cat states)" = "$expected" ] || fail "state changes differ: $(tr '\n' ';' <states)"
# When the server enters FIN-WAIT-1 it has received the 322-byte request (RCV.NXT 323) and has
# the 279-byte response queued.
grep -A3 'Established -> tapstack::TcpState::FinWait1' gdb.out | grep -q 'RCV.NXT=323' || fail "no RCV.NXT=323 at FIN-WAIT-1"
grep -A3 'Established -> tapstack::TcpState::FinWait1' gdb.out | grep -q 'queued to send=279' || fail "no 279 bytes queued at FIN-WAIT-1"
pass "11 state changes in the article's order, with RCV.NXT=323 and 279 bytes queued at FIN-WAIT-1"
