#!/usr/bin/env bash
# One `curl http://10.0.0.2/` must produce the article's conversation, numbers included:
#   SYN (0) / SYN,ACK (0, ack 1) / ACK (1, 1) / request (seq 1, len L) / our ACK (ack 1+L) /
#   response (seq 1, len R; our FIN rides on it: FIN seq 1+R) / client ACK 2+R (may share the
#   client's FIN segment) / client FIN (seq 1+L, ack 2+R) / our ACK (seq 2+R, ack 2+L).
# Checked twice, independently: by tshark's own dissection, and by `tapstack annotate`.
source "$(dirname "$0")/lib.sh"
need curl
need tshark
start
ns_exec timeout 10 curl -sS -o /dev/null http://10.0.0.2/ || fail "curl failed"
ns_stop_tapstack || fail "tapstack did not exit cleanly"

tshark -r "$WORK/capture.pcap" -o tcp.relative_sequence_numbers:TRUE -Y tcp -T fields \
  -e ip.src -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin -e tcp.flags.reset -e tcp.seq -e tcp.ack -e tcp.len \
  >"$WORK/fields" 2>/dev/null || fail "tshark failed"
awk -v client=10.0.0.1 '
  function bad(msg) { print "frame " NR ": " msg; failed = 1; exit 1 }
  { src=$1; syn=$2; ack=$3; fin=$4; rst=$5; seq=$6; a=$7; len=$8; c = (src == client) }
  rst == 1 { bad("RST") }
  NR == 1 { if (!(c && syn && !ack && seq == 0)) bad("expected the client SYN seq=0"); next }
  NR == 2 { if (!(!c && syn && ack && seq == 0 && a == 1)) bad("expected SYN,ACK seq=0 ack=1"); next }
  NR == 3 { if (!(c && !syn && ack && seq == 1 && a == 1 && len == 0)) bad("expected ACK seq=1 ack=1"); next }
  NR == 4 { if (!(c && seq == 1 && len > 0)) bad("expected the request at seq=1"); L = len; next }
  NR == 5 { if (!(!c && ack && seq == 1 && a == 1 + L && len == 0 && !fin)) bad("expected our ACK of " 1 + L); next }
  NR == 6 { if (!(!c && seq == 1 && a == 1 + L && len > 0 && fin)) bad("expected our response at seq=1 with the FIN"); R = len; next }
  NR == 7 && c && !fin { if (!(a == 2 + R && seq == 1 + L)) bad("expected the client ACK " 2 + R); sawack = 1; next }
  c && fin && !cfin { if (!(seq == 1 + L && a == 2 + R)) bad("expected the client FIN seq=" 1 + L " ack=" 2 + R); cfin = 1; next }
  !c && cfin && !last { if (!(seq == 2 + R && a == 2 + L && len == 0)) bad("expected our final ACK seq=" 2 + R " ack=" 2 + L); last = 1; next }
  { bad("unexpected segment") }
  END { if (!failed && !(cfin && last)) { print "the close is incomplete"; exit 1 } }
' "$WORK/fields" >"$WORK/shape" || fail "tshark's view: $(cat "$WORK/shape")"

"$TOP/build/tapstack" annotate "$WORK/capture.pcap" --check-article --expect server-first >"$WORK/annotate" 2>&1 \
  || fail "tapstack annotate: $(grep 'article check' "$WORK/annotate")"
grep -q "article check: PASS" "$WORK/annotate" || fail "no verdict from annotate"
pass "$(grep -o 'request [0-9]* bytes -> ack [0-9]*' "$WORK/annotate"); $(grep -o 'response [0-9]* bytes -> FIN seq [0-9]*' "$WORK/annotate")"
