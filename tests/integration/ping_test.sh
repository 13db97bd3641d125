#!/usr/bin/env bash
# ICMP echo: the kernel pings tapstack; replies carry the request's data exactly.
source "$(dirname "$0")/lib.sh"
need ping
start --no-pcap
ns_exec timeout 10 ping -c 3 -i 0.2 -W 2 10.0.0.2 >"$WORK/ping1" 2>&1 || fail "ping failed: $(tail -2 "$WORK/ping1")"
grep -q " 0% packet loss" "$WORK/ping1" || fail "packet loss: $(grep loss "$WORK/ping1")"
# 1000 bytes of a pattern: ping itself reports "wrong data byte" if a reply differs.
ns_exec timeout 10 ping -c 2 -i 0.2 -W 2 -s 1000 -p a55a 10.0.0.2 >"$WORK/ping2" 2>&1 || fail "ping -s 1000 failed"
grep -qiE "wrong data|corrupted|DUP" "$WORK/ping2" && fail "reply data differs: $(grep -iE 'wrong|corrupt|DUP' "$WORK/ping2" | head -1)"
grep -q "1008 bytes from 10.0.0.2" "$WORK/ping2" || fail "no full-size reply: $(head -3 "$WORK/ping2")"
ns_stop_tapstack || fail "tapstack did not exit cleanly"
pass
