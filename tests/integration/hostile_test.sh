#!/usr/bin/env bash
# Hostile input, bounded, while honest clients keep working (frames made by tests/tools/hostile.py
# with an AF_PACKET socket on the kernel side of tap0, inside this test's namespace):
#   1. a SYN flood of 20,000 forged SYNs; curl gets its page meanwhile within 5 s (SYN cookies);
#   2. 1,000 idle connections held open: curl still works, and tapstack's RSS grows by at most
#      8 KiB per connection;
#   3. 10,000 malformed and random frames: tapstack answers curl afterwards and counts the drops;
#   4. a blind RST and SYN injection (4,096 sequence numbers of each across the whole space) on
#      the tuple of a live 20 MiB download: the download completes with the same sha256.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need python3
need curl
need sha256sum coreutils
need ss iproute2
setup
H="$TOP/tests/tools/hostile.py"
MAC=02:00:00:00:00:02
random_files big.bin $((20 * 1024))
printf 'Hello hostile world\n' >"$WORK/root/index.html"
start --http-root "$WORK/root" --no-pcap

page() {  # page LIMIT: curl the small page; prints the seconds it took
  local out
  out=$(ns_exec timeout 20 curl -sS -m "$1" -o "$WORK/page" -w '%{time_total}' http://10.0.0.2/index.html 2>"$WORK/curl.log") \
    || fail "curl failed ($2): $(cat "$WORK/curl.log")"
  cmp -s "$WORK/page" "$WORK/root/index.html" || fail "curl got the wrong page ($2)"
  echo "$out"
}
counters() {  # the counters tapstack prints on SIGUSR1, once they appear after this call
  local before
  before=$(grep -c '^tapstack: frames received' "$WORK/tapstack.err")
  kill -USR1 "$TAPSTACK_PID"
  for _ in $(seq 1 50); do
    [ "$(grep -c '^tapstack: frames received' "$WORK/tapstack.err")" -gt "$before" ] && break
    sleep 0.1
  done
  grep '^tapstack: frames received' "$WORK/tapstack.err" | tail -n 1
}

# 1. SYN flood, and curl in the middle of it.
ns_spawn "$WORK/flood.log" timeout 60 python3 "$H" synflood tap0 "$MAC" 20000
flood=$SPAWNED_PID
sleep 0.3
t_flood=$(page 5 "during the SYN flood") || exit 1
wait "$flood" || fail "the flood tool failed: $(cat "$WORK/flood.log")"
line=$(counters)
cookies=$(sed -n 's/.*SYN cookies sent \([0-9]*\).*/\1/p' <<<"$line")
[ "${cookies:-0}" -gt 0 ] || fail "no SYN cookies were sent during the flood: $line"
kill -0 "$TAPSTACK_PID" || fail "tapstack died in the SYN flood"

# 2. 1,000 idle connections.
rss0=$(rss_kib "$TAPSTACK_PID")
ns_spawn "$WORK/hold.log" timeout 60 python3 "$H" hold 10.0.0.2 80 1000 4
holder=$SPAWNED_PID
wait_for "$WORK/hold.log" '^held' 40 || fail "the idle connections were not opened: $(cat "$WORK/hold.log")"
held=$(awk '/^held/ { print $2 }' "$WORK/hold.log")
[ "$held" -ge 990 ] || fail "only $held of 1000 idle connections were accepted"
rss1=$(rss_kib "$TAPSTACK_PID")
t_held=$(page 5 "with 1000 idle connections") || exit 1
per_conn=$(((rss1 - rss0) * 1024 / held))
[ "$per_conn" -le 8192 ] || fail "RSS grew $((rss1 - rss0)) KiB for $held idle connections: $per_conn bytes each (cap 8192)"
wait "$holder"

# 3. Junk.
ns_exec timeout 60 python3 "$H" junk tap0 "$MAC" 10000 7 >"$WORK/junk.log" 2>&1 || fail "the junk tool failed: $(cat "$WORK/junk.log")"
kill -0 "$TAPSTACK_PID" || fail "tapstack died on the junk frames"
t_junk=$(page 5 "after 10,000 junk frames") || exit 1
drops=$(grep '^tapstack: dropped' "$WORK/tapstack.err" | tail -n 1)
counters >/dev/null
drops=$(grep '^tapstack: dropped' "$WORK/tapstack.err" | tail -n 1)

# 4. Blind injection during a download.
ns_spawn "$WORK/big.log" timeout 60 curl -sS -o "$WORK/big.out" --limit-rate 10M http://10.0.0.2/big.bin
download=$SPAWNED_PID
port=""
for _ in $(seq 1 50); do
  port=$(ns_exec ss -tnH state established '( dport = :80 )' | awk '{ split($3, a, ":"); print a[2]; exit }')
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || fail "could not find the download's connection"
ns_exec timeout 60 python3 "$H" inject tap0 "$MAC" "$port" >"$WORK/inject.log" 2>&1 || fail "the injection tool failed: $(cat "$WORK/inject.log")"
wait "$download" || fail "the download failed under blind RST/SYN injection: $(cat "$WORK/big.log")"
[ "$(sha256sum <"$WORK/big.out")" = "$(sha256sum <"$WORK/root/big.bin")" ] || fail "sha256 differs after the injection"
line=$(counters)
suppressed=$(sed -n 's/.*challenge ACKs suppressed \([0-9]*\).*/\1/p' <<<"$line")
stop
pass "curl in ${t_flood} s during a 20,000-SYN flood ($cookies cookies); $held idle connections at $per_conn bytes of RSS each, curl in ${t_held} s; 10,000 junk frames ($drops), curl in ${t_junk} s; 8,192 blind RSTs/SYNs during a 20 MiB download: sha256 equal ($suppressed challenge ACKs suppressed)"
