#!/usr/bin/env bash
# ab: 2 rounds of 5000 requests, 10 at a time, a new connection each (the article's pattern):
# no failed request, and tapstack's memory flat between the rounds (TIME-WAIT is 2 s here, so
# every connection of a round is gone before memory is read).
source "$(dirname "$0")/lib.sh"
need ab
start --no-pcap --msl 1
round() {
  ns_exec timeout 120 ab -q -n 5000 -c 10 http://10.0.0.2/ >"$WORK/ab$1" 2>&1 || fail "ab round $1 failed: $(tail -3 "$WORK/ab$1")"
  grep -q "^Complete requests: *5000" "$WORK/ab$1" || fail "round $1: $(grep -E 'Complete|Failed' "$WORK/ab$1")"
  grep -q "^Failed requests: *0" "$WORK/ab$1" || fail "round $1: $(grep Failed -A3 "$WORK/ab$1")"
  grep -q "^Non-2xx" "$WORK/ab$1" && fail "round $1: $(grep Non-2xx "$WORK/ab$1")"
  sleep 4
}
round 1
rss1=$(rss_kib "$TAPSTACK_PID")
round 2
rss2=$(rss_kib "$TAPSTACK_PID")
growth=$((rss2 - rss1))
((growth <= 2048)) || fail "memory grew by $growth KiB between two identical rounds ($rss1 -> $rss2 KiB)"
rate=$(awk '/^Requests per second/ {print $4}' "$WORK/ab2")
ns_stop_tapstack || fail "tapstack did not exit cleanly"
pass "10000 requests, 0 failed, $rate requests/s; RSS $rss1 -> $rss2 KiB"
