#!/usr/bin/env bash
# ICMP echo through tapstack's ARP and IPv4: every one of 3 pings is answered (including the
# first, which needs an ARP resolution on both sides), and 1000-byte echoes filled with the
# pattern 0xa5 come back byte for byte (ping itself compares the data and reports "wrong data").
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need ping iputils-ping
setup
start --no-pcap

ns_exec timeout 15 ping -n -c 3 -i 0.2 -W 2 10.0.0.2 >"$WORK/ping.txt" 2>&1 || fail "ping -c 3 10.0.0.2 failed: $(tail -n 2 "$WORK/ping.txt" | tr '\n' ' ')"
grep -q '^3 packets transmitted, 3 received' "$WORK/ping.txt" || fail "not every ping was answered: $(grep transmitted "$WORK/ping.txt")"

ns_exec timeout 15 ping -n -c 2 -i 0.2 -W 2 -s 1000 -p a5 10.0.0.2 >"$WORK/big.txt" 2>&1 || fail "ping -s 1000 -p a5 failed: $(tail -n 2 "$WORK/big.txt" | tr '\n' ' ')"
if grep -qiE 'wrong data|corrupted|truncated|DUP!|error' "$WORK/big.txt"; then
  fail "echo replies differ from the requests: $(grep -iE 'wrong data|corrupted|truncated|DUP!|error' "$WORK/big.txt" | head -n 2 | tr '\n' ' ')"
fi
grep -q '^2 packets transmitted, 2 received' "$WORK/big.txt" || fail "1000-byte pings lost: $(grep transmitted "$WORK/big.txt")"
replies=$(grep -c '^1008 bytes from 10.0.0.2: icmp_seq=' "$WORK/big.txt")
[ "$replies" = 2 ] || fail "expected 2 replies of 1008 bytes, got $replies: $(head -n 3 "$WORK/big.txt" | tr '\n' ' ')"

# Larger than the MTU: the kernel sends fragments, we reassemble and send the reply in fragments.
ns_exec timeout 15 ping -n -c 3 -i 0.2 -W 2 -s 2000 -p 5a 10.0.0.2 >"$WORK/frag.txt" 2>&1 || fail "ping -s 2000 failed: $(tail -n 2 "$WORK/frag.txt" | tr '\n' ' ')"
if grep -qiE 'wrong data|corrupted|truncated|DUP!|error' "$WORK/frag.txt"; then
  fail "fragmented echo replies differ: $(grep -iE 'wrong data|corrupted|truncated|DUP!|error' "$WORK/frag.txt" | head -n 2 | tr '\n' ' ')"
fi
grep -q '^3 packets transmitted, 3 received' "$WORK/frag.txt" || fail "2000-byte pings lost: $(grep transmitted "$WORK/frag.txt")"
[ "$(grep -c '^2008 bytes from 10.0.0.2: icmp_seq=' "$WORK/frag.txt")" = 3 ] || fail "expected 3 replies of 2008 bytes: $(head -n 3 "$WORK/frag.txt" | tr '\n' ' ')"

stop
grep -q 'ipv4_fragment' "$WORK/tapstack.err" && fail "fragments were dropped: $(grep -o 'ipv4_fragment[a-z_]*=[0-9]*' "$WORK/tapstack.err" | tr '\n' ' ')"
rtt=$(sed -n 's|^rtt min/avg/max/mdev = [0-9.]*/\([0-9.]*\)/.*|\1|p' "$WORK/ping.txt")
pass "3/3 answered (avg ${rtt} ms), 2/2 1000-byte echoes intact, 3/3 2000-byte echoes through fragmentation both ways"
