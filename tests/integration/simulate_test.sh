#!/usr/bin/env bash
# --simulate needs no TAP and no root: the article scenario must reproduce the article's numbers
# exactly (322-byte request -> ACK 323, 279-byte response -> FIN 280, final ACKs 281 and 324),
# byte for byte the same pcap on every run; the other scenarios must complete.
source "$(dirname "$0")/lib.sh"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
for scenario in article client-first lost-segment; do
  "$TOP/build/tapstack" --simulate "$scenario" >"$scenario.trace" 2>"$scenario.err" || fail "--simulate $scenario: $(cat "$scenario.err")"
  [ -s "tapstack-$scenario.pcap" ] || fail "--simulate $scenario wrote no pcap"
done
"$TOP/build/tapstack" annotate tapstack-article.pcap --check-article --expect server-first >annotate 2>&1 || fail "article check: $(grep 'article check' annotate)"
grep -q "request 322 bytes -> ack 323 (article: 322 -> 323); response 279 bytes -> FIN seq 280 (article: 279 -> 280); final acks 281 and 324" annotate \
  || fail "not the article's numbers: $(grep 'request' annotate)"
[ "$(grep -c 'state ' article.trace)" -ge 6 ] || fail "the trace shows too few state changes"
grep -q "LISTEN → SYN-RECEIVED" article.trace || fail "no LISTEN → SYN-RECEIVED in the trace"
"$TOP/build/tapstack" annotate tapstack-client-first.pcap --check-article --expect client-first >cf 2>&1 || fail "client-first: $(grep 'article check' cf)"
grep -q "CLOSE-WAIT → LAST-ACK" client-first.trace || fail "client-first did not go through LAST-ACK"
# The FIN that arrives alone draws a duplicate ACK (ack=1), and with only the response and the
# FIN outstanding one duplicate is enough (early retransmit, RFC 5827): the response goes again.
grep -q "client→server.*\[ACK\]  seq=323 ack=1 " lost-segment.trace || fail "no duplicate ACK for the lost response"
[ "$(grep -c 'server→client.*seq=1 ack=323 .*len=279.*HTTP/1.1 200 OK' lost-segment.trace)" = 2 ] \
  || fail "the lost response was not sent a second time"
cp tapstack-article.pcap first.pcap
"$TOP/build/tapstack" --simulate article >/dev/null 2>&1 || fail "second run failed"
cmp -s first.pcap tapstack-article.pcap || fail "two runs with the same seed gave different pcaps"
"$TOP/build/tapstack" --simulate article --trace-format json >json 2>/dev/null || fail "json run failed"
grep -q '"http":"GET / HTTP/1.1"' json || fail "no JSON line with the request"
"$TOP/scripts/golden.sh" check >golden.diff 2>&1 || fail "the trace differs from tests/data/golden: $(head -n 20 golden.diff | tr '\n' '|')"
pass "golden traces equal; the article's numbers exactly, deterministic pcap, client-first and lost-segment complete"
