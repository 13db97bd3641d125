#!/usr/bin/env bash
# Load and memory. `ab -n 5000 -c 10` (HTTP/1.0, a new connection per request, the server
# closing first, so every connection ends in TIME-WAIT on our side) must complete all 5000 with
# no failed request and no non-2xx answer. With --msl 1 TIME-WAIT lasts 2 s: after a round and
# 4 s of quiet every connection of the round is gone, so the resident memory measured after a
# second identical round must be within 2 MiB of the first measurement.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need ab apache2-utils
setup
start --no-pcap --msl 1
[ "$(cat "/proc/$TAPSTACK_PID/comm" 2>/dev/null)" = tapstack ] || fail "PID $TAPSTACK_PID is not tapstack: cannot read its memory"
requests=5000
limit_kib=2048

round() {  # round N: one ab run; sets rate
  local out=$WORK/ab$1.txt
  ns_exec timeout 180 ab -n "$requests" -c 10 -s 10 http://10.0.0.2/ >"$out" 2>&1 || fail "ab round $1 failed (status $?): $(grep -vE '^(Completed|Finished|Benchmarking|This is|Copyright|Licensed|$)' "$out" | tail -n 3 | tr '\n' ' ')"
  local complete failed non2xx
  complete=$(awk '/^Complete requests:/ { print $3 }' "$out")
  failed=$(awk '/^Failed requests:/ { print $3 }' "$out")
  non2xx=$(awk '/^Non-2xx responses:/ { print $3 }' "$out")
  [ "$complete" = "$requests" ] || fail "round $1: $complete of $requests requests completed"
  [ "$failed" = 0 ] || fail "round $1: $failed failed requests ($(grep -A 1 '^Failed requests' "$out" | tail -n 1 | tr -s ' '))"
  [ -z "$non2xx" ] || [ "$non2xx" = 0 ] || fail "round $1: $non2xx non-2xx responses"
  rate=$(awk '/^Requests per second:/ { print $4 }' "$out")
  kill -0 "$TAPSTACK_PID" 2>/dev/null || fail "tapstack died during round $1"
}

round 1
rate1=$rate
sleep 4  # 2 x TIME-WAIT
rss1=$(rss_kib "$TAPSTACK_PID")
round 2
rate2=$rate
sleep 4
rss2=$(rss_kib "$TAPSTACK_PID")
[ -n "$rss1" ] && [ -n "$rss2" ] || fail "could not read VmRSS of PID $TAPSTACK_PID"
growth=$((rss2 - rss1))
stop
((growth <= limit_kib)) || fail "resident memory grew by $growth KiB between two identical rounds ($rss1 -> $rss2 KiB; the bound is $limit_kib KiB)"
pass "2 x $requests requests, 0 failed, $rate1 and $rate2 requests/s; VmRSS $rss1 -> $rss2 KiB ($((growth >= 0 ? growth : -growth)) KiB $( ((growth >= 0)) && echo more || echo less))"
