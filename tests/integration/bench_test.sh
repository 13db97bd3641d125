#!/usr/bin/env bash
# The benchmark cannot rot: `scripts/bench.sh --quick` (every target, every workload, small counts,
# about 50 s) must run to the end, and every one of its measurements must have produced a number.
# The figures themselves are not judged here (they belong in the README, not in a test).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need wrk wrk
need nginx nginx-light
need gnuplot gnuplot-nox
[ "$(id -u)" = 0 ] || fail "needs root (network namespaces)"
[ -x "$TOP/build/tapstack-kernel-httpd" ] || fail "build/tapstack-kernel-httpd is missing (run make)"
timeout 150 "$TOP/scripts/bench.sh" --quick --out "$WORK" >"$WORK/bench.out" 2>"$WORK/bench.err" ||
  fail "bench.sh --quick failed (status $?): $(tail -n 3 "$WORK/bench.err" | tr '\n' ' ')"
csv=$WORK/results.csv
rows=$(($(wc -l <"$csv") - 1))
((rows == 30)) || fail "expected 30 measurements (5 targets x 6 workloads), got $rows"
! grep -q ',NA,' "$csv" || fail "some measurements failed: $(grep ',NA,' "$csv" | tr '\n' ' ')"
[ -s "$WORK/results.png" ] || fail "no plot"
pass "$rows measurements; $(awk -F, '$3 == "tapstack-nopcap" && $4 == "wrk" { printf "tapstack wrk %s req/s", $5 }' "$csv")"
