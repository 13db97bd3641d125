#!/usr/bin/env bash
# scripts/gdb/tapstack.py in batch mode on `--simulate article` (no TAP, no root): it must stop at
# every TCP state change of both sides, in the article's order, with the right numbers, and make
# no call into the program (`set may-call-functions off`: an inferior call fails on every machine
# here, as it fails on Intel CPUs with AMX, where gdb 13.1 cannot write the register state back).
# A plain `break tapstack::TcpConnection::set_state` must show the true arguments (the debug build
# keeps fmt's headers at -O0: see the Makefile).
source "$(dirname "$0")/lib.sh"
trap 'rm -rf "$WORK"' EXIT
need gdb
# Always through make: a stale debug binary would not match the sources.
make -C "$TOP" debug >/dev/null || fail "make debug failed"
cd "$WORK"
timeout 300 gdb -batch -nx -ex 'set may-call-functions off' -x "$TOP/scripts/gdb/tapstack.py" -ex run \
  --args "$TOP/build/debug/tapstack" --simulate article --no-pcap >gdb.out 2>&1 || fail "gdb exited $?: $(tail -3 gdb.out)"
! grep -E 'Cannot call functions|Python Exception|Error occurred in Python' gdb.out >/dev/null \
  || fail "the helpers failed: $(grep -m2 -E 'Cannot call|Python|Error' gdb.out | tr '\n' ' ')"
grep '^\[tcp\]' gdb.out | sed 's/   because.*//' >states
expected='[tcp] CLOSED -> SYN-SENT
[tcp] LISTEN -> SYN-RECEIVED
[tcp] SYN-SENT -> ESTABLISHED
[tcp] SYN-RECEIVED -> ESTABLISHED
[tcp] ESTABLISHED -> FIN-WAIT-1
[tcp] ESTABLISHED -> CLOSE-WAIT
[tcp] FIN-WAIT-1 -> FIN-WAIT-2
[tcp] CLOSE-WAIT -> LAST-ACK
[tcp] FIN-WAIT-2 -> TIME-WAIT
[tcp] LAST-ACK -> CLOSED
[tcp] TIME-WAIT -> CLOSED'
[ "$(cat states)" = "$expected" ] || fail "state changes differ: $(tr '\n' ';' <states)"
# When the server enters FIN-WAIT-1 it has received the 322-byte request (RCV.NXT 323) and has
# the 279-byte response queued.
at_fw1=$(grep -A4 '^\[tcp\] ESTABLISHED -> FIN-WAIT-1' gdb.out)
grep -q 'RCV.NXT=323' <<<"$at_fw1" || fail "no RCV.NXT=323 at FIN-WAIT-1: $at_fw1"
grep -q 'queued to send=279' <<<"$at_fw1" || fail "no 279 bytes queued at FIN-WAIT-1: $at_fw1"
grep -q '10.0.0.2:80 <-> 10.0.0.1:' <<<"$at_fw1" || fail "no addresses at FIN-WAIT-1: $at_fw1"

# The pretty-printers and tcp-conn, stopped at the first state change; and a plain breakpoint
# (no helpers) that must show the real arguments, not what the stack held before the prologue.
timeout 300 gdb -batch -nx -ex 'set may-call-functions off' -x "$TOP/scripts/gdb/tapstack.py" -ex 'tcp-stop on' -ex run \
  -ex 'print next' -ex 'print snd_.una' -ex 'print tuple_' -ex 'tcp-conn' \
  --args "$TOP/build/debug/tapstack" --simulate article --no-pcap >stop.out 2>&1 || fail "gdb (tcp-stop on) exited $?: $(tail -3 stop.out)"
grep -q '^\$1 = SYN-SENT$' stop.out || fail "print next: $(grep -m1 '^\$1' stop.out)"
grep -qE '^\$2 = [0-9]+$' stop.out || fail "print snd_.una: $(grep -m1 '^\$2' stop.out)"
grep -qE '^\$3 = 10\.0\.0\.1:[0-9]+ <-> 10\.0\.0\.2:80$' stop.out || fail "print tuple_: $(grep -m1 '^\$3' stop.out)"
grep -qE '^  CLOSED  10\.0\.0\.1:[0-9]+ <-> 10\.0\.0\.2:80$' stop.out || fail "tcp-conn: $(tail -5 stop.out | tr '\n' ' ')"
timeout 300 gdb -batch -nx -ex 'break tapstack::TcpConnection::set_state' -ex run -ex 'info args' \
  --args "$TOP/build/debug/tapstack" --simulate article --no-pcap >plain.out 2>&1 || fail "gdb (plain break) exited $?: $(tail -3 plain.out)"
grep -q '^why = "active open"$' plain.out || fail "a plain break shows wrong arguments: $(grep -A4 '^Breakpoint 1,' plain.out | tr '\n' ' ')"
pass "11 state changes in the article's order (RCV.NXT=323, 279 bytes queued at FIN-WAIT-1), no inferior calls; printers, tcp-conn and a plain breakpoint show true values"
