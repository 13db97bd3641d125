#!/usr/bin/env bash
# Loss that tapstack does not make: the client sits in a namespace of its own behind a router
# namespace that holds the TAP (and tapstack, gateway 10.0.0.1), and the router drops 5 % of
# what it forwards, both ways, with iptables' statistic match in FORWARD (drops in OUTPUT on the
# sender would not be wire loss: the sender's kernel is told and resends at once). TSO, GSO and
# GRO are off on the veths and the TAP, so a drop is one frame, not a 64 KiB bundle.
# Next to it, in the same run and through the same router and rule, Linux serves the same file to
# the same client (python3's http.server in a third namespace): 20 MiB each, twice, interleaved;
# times and the ratio tapstack/Linux reported, not asserted.
#
#   client 10.0.1.2 --veth-- 10.0.1.1 [router: FORWARD drop 5 %] 10.0.0.1 --tap0-- 10.0.0.2 tapstack
#                                      [router] 10.0.2.1 --veth-- 10.0.2.2 Linux http.server
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need curl
need sha256sum coreutils
need iptables
need ethtool
need python3
setup  # $NS is the router, with tap0 = 10.0.0.1/24
ROUTER=$NS
CLIENT="$ROUTER-client"
SERVER="$ROUTER-linux"
ip netns add "$CLIENT" || fail "could not create $CLIENT"
ns_at_exit "ip netns del '$CLIENT' 2>/dev/null"
ip netns add "$SERVER" || fail "could not create $SERVER"
ns_at_exit "ip netns del '$SERVER' 2>/dev/null"

# link_to NS SUBNET: a veth pair between the router (SUBNET.1) and NS (SUBNET.2), offloads off.
link_to() {
  local ns=$1 net=$2 r="vr${2##*.}" o="vo${2##*.}"
  ip link add "$r" netns "$ROUTER" type veth peer name "$o" netns "$ns" || return 1
  ip -n "$ROUTER" addr add "$net.1/24" dev "$r" && ip -n "$ROUTER" link set "$r" up || return 1
  ip -n "$ns" addr add "$net.2/24" dev "$o" && ip -n "$ns" link set "$o" up && ip -n "$ns" link set lo up || return 1
  ip -n "$ns" route add default via "$net.1" || return 1
  ip netns exec "$ROUTER" ethtool -K "$r" tso off gso off gro off >/dev/null 2>&1 || return 1
  ip netns exec "$ns" ethtool -K "$o" tso off gso off gro off >/dev/null 2>&1 || return 1
}
link_to "$CLIENT" 10.0.1 || fail "could not link the client namespace to the router"
link_to "$SERVER" 10.0.2 || fail "could not link the Linux server namespace to the router"
ns_exec ethtool -K tap0 gso off gro off >/dev/null 2>&1 || true  # (a plain TAP has no TSO to turn off)
gro=$(ns_exec ethtool -k vr1 | awk '/^generic-receive-offload:/ { print $2 }')
[ "$gro" = off ] || fail "GRO is still $gro on the router's veth"
ns_exec sysctl -qw net.ipv4.ip_forward=1 || fail "could not enable forwarding in the router"
ns_exec iptables -A FORWARD -m statistic --mode random --probability 0.05 -j DROP || fail "iptables in the router namespace failed"

random_files big.bin $((20 * 1024))
want=$(sha256sum <"$WORK/root/big.bin")
ip netns exec "$SERVER" python3 -u -m http.server 80 --bind 10.0.2.2 --directory "$WORK/root" >"$WORK/linux.log" 2>&1 </dev/null &
ns_track $!
start --http-root "$WORK/root" --no-pcap --gateway 10.0.0.1
wait_for "$WORK/linux.log" 'Serving HTTP' 10 || fail "python3 http.server did not start: $(cat "$WORK/linux.log")"

# get HOST: one 20 MiB download from the client namespace; prints the seconds.
get() {
  local code secs got
  ip netns exec "$CLIENT" timeout 120 curl -sS -o "$WORK/out" -w '%{http_code} %{time_total}\n' "http://$1/big.bin" \
    >"$WORK/result" 2>"$WORK/curl.log" || fail "download from $1 failed or took over 120 s: $(cat "$WORK/curl.log")"
  read -r code secs <"$WORK/result"
  [ "$code" = 200 ] || fail "$1 answered HTTP $code"
  got=$(sha256sum <"$WORK/out")
  [ "$got" = "$want" ] || fail "sha256 differs for the copy from $1"
  echo "$secs"
}
ours=() linux=()
for round in 1 2; do
  ours+=("$(get 10.0.0.2)") || exit 1
  linux+=("$(get 10.0.2.2)") || exit 1
done
stop
dropped=$(ns_exec iptables -nvL FORWARD | awk '/statistic/ { print $1 }')
[ "${dropped:-0}" -gt 100 ] || fail "the router dropped only ${dropped:-0} packets: was there any loss?"
grep -q 'retransmissions [1-9]' "$WORK/tapstack.err" || fail "tapstack retransmitted nothing through a lossy router"
summary=$(awk -v a="${ours[0]}" -v b="${ours[1]}" -v c="${linux[0]}" -v d="${linux[1]}" 'BEGIN {
  t = (a + b) / 2; l = (c + d) / 2
  printf "tapstack %.2f s and %.2f s, Linux %.2f s and %.2f s: ratio %.2f", a, b, c, d, (l > 0 ? t / l : 0) }')
pass "20 MiB through a router dropping 5 % each way ($dropped packets dropped): $summary; sha256 equal"
