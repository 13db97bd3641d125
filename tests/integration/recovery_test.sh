#!/usr/bin/env bash
# After the storm (issue 12): each attack of the hostile test, and after it tapstack must be back
# to full quality within a stated time, counted from the end of the attack and polled every
# 0.5 s against a deadline (no fixed sleeps); the PASS line gives the time each check first passed:
#   (a) a new connection negotiates MSS, SACK, window scale and timestamps (the client kernel's
#       TCP_INFO: the options both SYNs carried, and an MSS of 1460 less the timestamps' 12 bytes);
#   (c) tapstack's connection count (still open + in TIME-WAIT, from the counters it prints on SIGUSR1) is
#       back to the baseline, and its RSS within RSS_MARGIN_KIB (1024) of the baseline (seen:
#       up to 560 KiB after the idle attack, whose download runs while its 1,000 connections go;
#       a leak of a few dozen bytes per flood SYN, or of the connections, shows);
#   (b) a 20 MiB download through a router that drops 20 % of the client's packets each way
#       (iptables statistic in FORWARD, TSO/GSO/GRO off) arrives with the same sha256.
# The cheap checks first: (a), (c), then (b). The attacks, with their deadlines:
#   flood   20,000 SYNs from 20 forged addresses on the link that nobody answers ARP for (this
#           used to hold the half-open table for minutes, and every later connection got a SYN
#           cookie without options): 80 s, the half-open expiry (63 s) plus a margin;
#   junk    10,000 malformed frames of every kind: 30 s;
#   inject  8,192 blind RSTs and SYNs on the tuple of a live download, which must arrive whole: 30 s;
#   idle    1,000 idle connections from a holder namespace that then vanishes without a FIN or RST
#           reaching tapstack (its namespace drops everything it sends, then the holder is
#           killed; the router counts the holder's FINs and RSTs: none may pass). tapstack closes
#           each after the HTTP request timeout (30 s) and gives up its FIN after 9 timeouts, from
#           an RTO of 200 ms 0.2 + 0.4 + ... + 51.2 = 102 s, so 132 s: 175 s. As they cannot go sooner, the
#           download (b) runs while they drain (the count may then include its connection, and
#           must be back to the baseline itself once it is done).
# Each attack has a world of its own, and the four run at the same time (a 20 % download takes
# 1-1.5 min here, and the idle connections 2.2; one after the other the test would take 7 min):
# a router namespace with tap0 and its own tapstack (--msl 1: TIME-WAIT 2 s, so the count
# settles within seconds of a check), a client namespace behind it, and for idle the holder's:
#
#   client 10.0.1.2 --veth-- 10.0.1.1 [router: FORWARD drops 20 % to and from vr1] 10.0.0.1 --tap0-- 10.0.0.2 tapstack
#   holder 10.0.3.2 --veth-- 10.0.3.1 [router]           10.0.0.10-29: forged, silent (flood)
#
# The baseline is taken after a warm-up that gives tapstack the peak it will see again: a 20 MiB
# download (its rings grow to full size) and 1,000 connections opened and closed cleanly. Freed
# memory stays with the allocator, so without it RSS would not come back after the idle attack
# even when every connection is gone (1.4 MiB for 1,000 of them).
# RECOVERY_ATTACKS="flood idle" runs only those.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need python3
need curl
need sha256sum coreutils
need ss iproute2
need iptables
need ethtool
RSS_MARGIN_KIB=${RSS_MARGIN_KIB:-1024}
DOWNLOAD_LIMIT=${DOWNLOAD_LIMIT:-240}  # seconds for one 20 MiB download at 20 % loss (52–153 s seen, four at once)
read -r -a ATTACKS <<<"${RECOVERY_ATTACKS:-flood junk inject idle}"
declare -A DEADLINE=([flood]=80 [junk]=30 [inject]=30 [idle]=175)
for a in "${ATTACKS[@]}"; do [ -n "${DEADLINE[$a]:-}" ] || fail "no attack '$a' (RECOVERY_ATTACKS)"; done
H="$TOP/tests/tools/hostile.py"
MAC=02:00:00:00:00:02

setup  # $NS, with tap0 = 10.0.0.1/24: the first world's router
EXTRA_NS=()
add_ns() {  # add_ns NAME: a namespace of ours besides $NS, lo up; deleted at exit
  ip netns add "$1" || return 1
  EXTRA_NS+=("$1")
  ip -n "$1" link set lo up
}
# Whatever still runs in them was started here: it goes before they do.
remove_extra_ns() {
  local ns pid
  for ns in "${EXTRA_NS[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do _ns_kill_pid "$pid"; done
  done
  for ns in "${EXTRA_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
}
ns_at_exit remove_extra_ns

# link_to ROUTER NS SUBNET: a veth pair between ROUTER (SUBNET.1, vrN) and NS (SUBNET.2, voN),
# offloads off.
link_to() {
  local router=$1 ns=$2 net=$3 r="vr${3##*.}" o="vo${3##*.}"
  ip link add "$r" netns "$router" type veth peer name "$o" netns "$ns" || return 1
  ip -n "$router" addr add "$net.1/24" dev "$r" && ip -n "$router" link set "$r" up || return 1
  ip -n "$ns" addr add "$net.2/24" dev "$o" && ip -n "$ns" link set "$o" up || return 1
  ip -n "$ns" route add default via "$net.1" || return 1
  ip netns exec "$router" ethtool -K "$r" tso off gso off gro off >/dev/null 2>&1 || return 1
  ip netns exec "$ns" ethtool -K "$o" tso off gso off gro off >/dev/null 2>&1 || return 1
}

random_files big.bin $((20 * 1024))
want=$(sha256sum <"$WORK/root/big.bin")

declare -A ROUTER TPID
for a in "${ATTACKS[@]}"; do
  r=$NS
  if [ "$a" != "${ATTACKS[0]}" ]; then
    r="$NS-$a"
    add_ns "$r" || fail "could not create $r"
    "$TOP/scripts/setup_tap.sh" --netns "$r" --user "$(id -un)" >/dev/null || fail "setup_tap.sh --netns $r failed"
  fi
  ROUTER[$a]=$r
  add_ns "$r-client" || fail "could not create $r-client"
  link_to "$r" "$r-client" 10.0.1 || fail "could not link the client namespace to the router ($a)"
  if [ "$a" = idle ]; then
    add_ns "$r-holder" || fail "could not create $r-holder"
    link_to "$r" "$r-holder" 10.0.3 || fail "could not link the holder namespace to the router"
    # Counted, never dropped: whatever the holder sends with FIN or RST.
    for flag in FIN RST; do
      ip netns exec "$r" iptables -A FORWARD -s 10.0.3.2 -p tcp --tcp-flags "$flag" "$flag" || fail "iptables in $r failed"
    done
  fi
  ip netns exec "$r" ethtool -K tap0 gso off gro off >/dev/null 2>&1 || true  # (a plain TAP has no TSO to turn off)
  gro=$(ip netns exec "$r" ethtool -k vr1 | awk '/^generic-receive-offload:/ { print $2 }')
  [ "$gro" = off ] || fail "GRO is still $gro on the router's veth ($a)"
  ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 || fail "could not enable forwarding in $r"
  NS=$r ns_start_tapstack "$WORK/$a-tapstack" --http-root "$WORK/root" --no-pcap --gateway 10.0.0.1 --msl 1 2>"$WORK/start.log" ||
    fail "tapstack did not start ($a): $(tr '\n' ' ' <"$WORK/start.log")"
  TPID[$a]=$TAPSTACK_PID
done

now() { echo "${EPOCHREALTIME/./}"; }  # microseconds
secs_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }

# ---- what each world's scenario uses: $A (the attack), $R, $C (router and client namespaces),
# $TP (tapstack's PID), $ERR (its stderr), base_live and base_rss.
counters() {  # the counters tapstack prints on SIGUSR1 (the frames line, then the connections
  # line, printed last), once they appear after this call
  local before
  before=$(grep -c '^tapstack: connections opened' "$ERR")
  kill -USR1 "$TP"
  for _ in $(seq 1 50); do
    [ "$(grep -c '^tapstack: connections opened' "$ERR")" -gt "$before" ] && break
    sleep 0.1
  done
  grep '^tapstack: frames received' "$ERR" | tail -n 1
  grep '^tapstack: connections opened' "$ERR" | tail -n 1
}
live() {  # connections in tapstack's table now: still open, and in TIME-WAIT
  counters | sed -n 's/.*in TIME-WAIT \([0-9]*\),.*still open \([0-9]*\).*/\1 \2/p' | awk '{ print $1 + $2 }'
}
# (a) One connection from the client: both SYNs carried SACK, timestamps and window scale, and
# the MSS was 1460 (1448 with the timestamps' 12 bytes). The client closes first: no TIME-WAIT
# on tapstack's side.
options_ok() {
  ip netns exec "$C" timeout 10 python3 "$H" probe 10.0.0.2 80 5 >"$WORK/$A-probe.log" 2>&1 || return 1
  grep -qE '^options sack ts wscale wscale=[0-9]+,[0-9]+ snd_mss=1448$' "$WORK/$A-probe.log"
}
# (c) The connection count back to the baseline (plus ALLOW), RSS within the margin. The
# reading goes to $WORK/$A-state (poll runs in a subshell).
state_ok() {
  local n rss
  n=$(live)
  rss=$(rss_kib "$TP")
  echo "$n connections, RSS $rss KiB" >"$WORK/$A-state"
  [ -n "$n" ] && ((n <= base_live + ${ALLOW:-0} && rss <= base_rss + RSS_MARGIN_KIB))
}
# poll CHECK SINCE DEADLINE: runs CHECK every 0.5 s until it passes (prints the seconds since
# SINCE) or DEADLINE seconds after SINCE have passed (returns 1).
poll() {
  local check=$1 since=$2 deadline=$3 i
  for ((i = 0; i < deadline * 2 + 2; i++)); do
    if "$check"; then
      secs_since "$since"
      return 0
    fi
    (($(now) - since >= deadline * 1000000)) && return 1
    sleep 0.5
  done
  return 1
}
loss() {  # loss -A|-D: add or remove the router's drops of 20 % to and from the client
  ip netns exec "$R" iptables "$1" FORWARD -i vr1 -m statistic --mode random --probability 0.2 -j DROP &&
    ip netns exec "$R" iptables "$1" FORWARD -o vr1 -m statistic --mode random --probability 0.2 -j DROP
}
# download LIMIT [lossy]: 20 MiB from the client, through 20 % loss each way if asked; prints
# the seconds curl took.
download() {
  local limit=$1 lossy=${2:-} code secs status=0
  if [ -n "$lossy" ]; then loss -A || fail "could not add the loss rules"; fi
  ip netns exec "$C" timeout "$limit" curl -sS -o "$WORK/$A-out" -w '%{http_code} %{time_total}\n' http://10.0.0.2/big.bin \
    >"$WORK/$A-result" 2>"$WORK/$A-curl.log" || status=$?
  if [ -n "$lossy" ]; then loss -D || fail "could not remove the loss rules"; fi
  # Seen once in CI (flood world): curl reset after 518 KB while tapstack counted no RST of its
  # own; the message carries tapstack's counters and drops so the next sighting says more.
  ((status == 0)) || fail "$A: the 20 MiB download ${lossy:+through 20 % loss }failed or took over $limit s: $(cat "$WORK/$A-curl.log") ($(stat -c %s "$WORK/$A-out" 2>/dev/null || echo 0) bytes arrived); $(counters | tr '\n' ' ') $(grep '^tapstack: dropped' "$ERR" | tail -n 1)"
  read -r code secs <"$WORK/$A-result"
  [ "$code" = 200 ] || fail "$A: the download got HTTP $code"
  [ "$(sha256sum <"$WORK/$A-out")" = "$want" ] || fail "$A: the download's sha256 differs"
  printf '%.1f' "$secs"
}
# hold HOLDER_NS SECONDS: 1,000 connections from HOLDER_NS, held SECONDS; waits for "held" and
# sets HOLDER_PID and HELD.
hold() {
  ip netns exec "$1" timeout $((${2%.*} + 60)) python3 "$H" hold 10.0.0.2 80 1000 "$2" >"$WORK/$A-hold.log" 2>&1 </dev/null &
  HOLDER_PID=$!
  wait_for "$WORK/$A-hold.log" '^held [0-9]+$' 40 || fail "$A: the 1,000 connections were not opened: $(cat "$WORK/$A-hold.log")"
  HELD=$(awk '/^held/ { print $2 }' "$WORK/$A-hold.log")
  [ "$HELD" -ge 990 ] || fail "$A: only $HELD of 1,000 connections were accepted"
}

# scenario ATTACK: warm-up and baseline, the attack, the checks. Runs in a subshell of its own;
# its last line is the summary for the PASS line.
scenario() {
  fail() {  # here: the reason only, on stderr (also from inside $(...)); the caller gives the verdict
    echo "FAIL $TEST: $*" >&2
    exit 1
  }
  A=$1 R=${ROUTER[$1]} C=${ROUTER[$1]}-client TP=${TPID[$1]} ERR="$WORK/$1-tapstack.err"
  local t0 t_a t_b t_c n deadline=${DEADLINE[$1]}
  options_ok || fail "$A: a fresh tapstack does not negotiate SACK, timestamps, window scale and MSS: $(cat "$WORK/$A-probe.log")"
  download 30 >/dev/null || exit 1
  hold "$C" 0.5
  wait "$HOLDER_PID" || fail "$A: the warm-up's connections did not close cleanly: $(cat "$WORK/$A-hold.log")"
  base_live=0 base_rss=$((1 << 30))
  poll state_ok "$(now)" 10 >/dev/null || fail "$A: tapstack's connections did not go after the warm-up: $(cat "$WORK/$A-state")"
  base_live=$(live)
  base_rss=$(rss_kib "$TP")
  echo "$A: baseline $base_live connections, RSS $base_rss KiB"

  case $A in
  flood)
    t=$(now)
    ip netns exec "$R" timeout 60 python3 "$H" synflood tap0 "$MAC" 20000 20 >"$WORK/$A-tool.log" 2>&1 || fail "$A: the flood tool failed: $(cat "$WORK/$A-tool.log")"
    t0=$(now)
    line=$(counters)
    cookies=$(sed -n 's/.*SYN cookies sent \([0-9]*\).*/\1/p' <<<"$line")
    [ "${cookies:-0}" -gt 0 ] || fail "$A: no SYN cookies were sent: the flood did not fill the half-open table: $line"
    echo "$A: 20,000 SYNs sent in $(awk -v a="$t" -v b="$t0" 'BEGIN { printf "%.1f", (b - a) / 1e6 }') s, $cookies SYN cookies; $(live) connections right after"
    ;;
  junk)
    ip netns exec "$R" timeout 60 python3 "$H" junk tap0 "$MAC" 10000 7 >"$WORK/$A-tool.log" 2>&1 || fail "$A: the junk tool failed: $(cat "$WORK/$A-tool.log")"
    t0=$(now)
    kill -0 "$TP" || fail "$A: tapstack died on the junk frames"
    echo "$A: 10,000 frames sent; $(counters >/dev/null; grep '^tapstack: dropped' "$ERR" | tail -n 1 | sed 's/^tapstack: //')"
    ;;
  inject)
    ip netns exec "$C" timeout 60 curl -sS -o "$WORK/$A-live.out" --limit-rate 10M http://10.0.0.2/big.bin >"$WORK/$A-live.log" 2>&1 </dev/null &
    local live_dl=$! port=""
    for _ in $(seq 1 50); do
      port=$(ip netns exec "$C" ss -tnH state established '( dport = :80 )' | awk '{ split($3, a, ":"); print a[2]; exit }')
      [ -n "$port" ] && break
      sleep 0.1
    done
    [ -n "$port" ] || fail "$A: could not find the live download's connection"
    ip netns exec "$R" timeout 60 python3 "$H" inject tap0 "$MAC" "$port" 10.0.1.2 >"$WORK/$A-tool.log" 2>&1 || fail "$A: the injection tool failed: $(cat "$WORK/$A-tool.log")"
    t0=$(now)
    wait "$live_dl" || fail "$A: the live download failed under blind RST/SYN injection: $(cat "$WORK/$A-live.log")"
    [ "$(sha256sum <"$WORK/$A-live.out")" = "$want" ] || fail "$A: the live download's sha256 differs after the injection"
    echo "$A: 8,192 RSTs and SYNs sent; the live download arrived whole; $(counters | sed -n 's/.*\(challenge ACKs suppressed [0-9]*\).*/\1/p')"
    ;;
  idle)
    hold "$R-holder" 100
    n=$(live)
    ((n >= base_live + HELD)) || fail "$A: tapstack holds $n connections, not the $HELD idle ones"
    local rss
    rss=$(rss_kib "$TP")
    t0=$(now)
    ip netns exec "$R-holder" iptables -A OUTPUT -j DROP || fail "$A: could not cut the holder off"
    kill -TERM "$HOLDER_PID"
    wait "$HOLDER_PID" 2>/dev/null
    echo "$A: $HELD connections held ($n in tapstack's table, RSS $rss KiB), then the holder vanished"
    ;;
  esac

  t_a=$(poll options_ok "$t0" "$deadline") || fail "$A: no connection with SACK, timestamps, window scale and MSS 1460 within $deadline s: $(cat "$WORK/$A-probe.log")"
  if [ "$A" = idle ]; then
    # The idle connections cannot go before ~132 s: the download runs meanwhile, and until it is
    # done the count may include its connection.
    download "$DOWNLOAD_LIMIT" lossy >"$WORK/$A-secs" &
    local dl=$!
    ALLOW=1
    t_c=$(poll state_ok "$t0" "$deadline") || fail "$A: not back to the baseline (+1, the download) ($base_live connections, RSS $base_rss KiB + $RSS_MARGIN_KIB) within $deadline s: $(cat "$WORK/$A-state")"
    wait "$dl" || exit 1
    t_b=$(cat "$WORK/$A-secs")
    ALLOW=0
    poll state_ok "$(now)" 10 >/dev/null || fail "$A: not back to the baseline ($base_live connections, RSS $base_rss KiB + $RSS_MARGIN_KIB) 10 s after the download: $(cat "$WORK/$A-state")"
    finrst=$(ip netns exec "$R" iptables -nvxL FORWARD | awk '/10\.0\.3\.2/ && /tcp flags/ { n += $1 } END { print n + 0 }')
    ((finrst == 0)) || fail "$A: the vanished holder's kernel sent tapstack $finrst FIN or RST segments"
  else
    t_c=$(poll state_ok "$t0" "$deadline") || fail "$A: not back to the baseline ($base_live connections, RSS $base_rss KiB + $RSS_MARGIN_KIB) within $deadline s: $(cat "$WORK/$A-state")"
    t_b=$(download "$DOWNLOAD_LIMIT" lossy) || exit 1
  fi
  kill -0 "$TP" || fail "$A: tapstack died"
  echo "$A: options after $t_a s, baseline after $t_c s ($(cat "$WORK/$A-state")), 20 MiB at 20 % loss in $t_b s"
  echo "$A $t_a/$t_c/$t_b s"
}

t_start=$SECONDS
declare -A SUB
for a in "${ATTACKS[@]}"; do
  (scenario "$a") >"$WORK/$a.log" 2>&1 </dev/null &
  SUB[$a]=$!
  ns_track "${SUB[$a]}"
done
failed=()
for a in "${ATTACKS[@]}"; do
  wait "${SUB[$a]}" || failed+=("$a")
done
for a in "${ATTACKS[@]}"; do grep -v -e '^FAIL ' -e '^[a-z]* [0-9.]*/' "$WORK/$a.log" | sed "/^$a: /!s/^/$a: /"; done
if ((${#failed[@]})); then
  fail "$(for a in "${failed[@]}"; do sed -n "s/^FAIL $TEST: //p" "$WORK/$a.log" | tail -n 1 | grep . || echo "$a: ended without a verdict"; done | paste -sd ';')"
fi
for a in "${ATTACKS[@]}"; do
  TAPSTACK_PID=${TPID[$a]}
  status=0
  ns_stop_tapstack 10 2>"$WORK/stop.log" || status=$?
  ((status == 0)) || fail "tapstack ($a) exited with status $status after SIGINT $(tr '\n' ' ' <"$WORK/stop.log")"
done
summary=$(for a in "${ATTACKS[@]}"; do tail -n 1 "$WORK/$a.log"; done | paste -sd ',' | sed 's/,/, /g')
pass "recovered after each attack (seconds until SACK+TS+WS+MSS / connections back and RSS within $RSS_MARGIN_KIB KiB / 20 MiB at 20 % loss each way done): $summary; all at once in $((SECONDS - t_start)) s"
