#!/usr/bin/env bash
# The article's conversation, numbers included, for each of 3 `curl http://10.0.0.2/` in a row
# (Connection: close, the server closes first). Relative numbers; L = request length, R =
# response length; C = client 10.0.0.1 (the kernel), S = tapstack 10.0.0.2:
#   No6  C [SYN]        seq 0                  No11 S [PSH, ACK]  seq 1     ack 1+L  len R
#   No7  S [SYN, ACK]   seq 0   ack 1          No12 S [FIN, ACK]  seq 1+R   ack 1+L  (on the No11 segment)
#   No8  C [ACK]        seq 1   ack 1          No13 C [ACK]       seq 1+L   ack 2+R
#   No9  C [PSH, ACK]   seq 1   ack 1  len L   No14 C [FIN, ACK]  seq 1+L   ack 2+R
#   No10 S [ACK]        seq 1   ack 1+L        No16 S [ACK]       seq 2+R   ack 2+L
# Our segments must be exactly these, except that our FIN rides on the response segment (No11
# and No12 in one: docs/design.md, "Why the FIN rides on the last data segment"; a separate FIN is
# accepted too). The client's ACK timing is the client's choice, and Linux
# makes two choices the article's browser did not (seen with a Linux server and curl over veth):
# it merges No13 into its FIN (it delays the ACK of a FIN and curl closes within that delay), and
# it may acknowledge the response (ack 1+R) before our FIN arrives. Both are accepted and named;
# nothing else is. Checked three ways: tshark's dissection (-T fields, relative numbers), our
# server's state changes in the --trace output, and `tapstack annotate --check-article`.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need curl
need tshark
setup
pcap=$WORK/capture.pcap
runs=3
start --pcap "$pcap" --trace
for ((i = 1; i <= runs; i++)); do
  ns_exec timeout 10 curl -sS -o /dev/null http://10.0.0.2/ 2>"$WORK/curl.log" || fail "curl #$i failed: $(cat "$WORK/curl.log")"
  # Next connection only once this one is closed on our side (TIME-WAIT), so they do not mix.
  for ((t = 0; t < 50; t++)); do
    (($(grep -c '→ TIME-WAIT' "$WORK/tapstack.out") >= i)) && break
    sleep 0.1
  done
done
stop

# 1. tshark's view. tcp.flags.str marks unset flags with a middle dot; make it ASCII so that
# awk (any awk, any locale) can read the letters by position: ....U A P R S F at 7..12.
ts -r "$pcap" -Y tcp -o tcp.relative_sequence_numbers:TRUE -o tcp.analyze_sequence_numbers:TRUE -T fields \
  -e tcp.stream -e frame.number -e ip.src -e tcp.flags.str -e tcp.seq -e tcp.ack -e tcp.len >"$WORK/fields.raw" \
  || fail "tshark could not read the capture: $(grep -v '^Running as user' "$WORK/tshark.stderr" | head -n 2)"
tshark_stderr_clean || fail "tshark: $(grep -v '^Running as user' "$WORK/tshark.stderr" | head -n 2 | tr '\n' ' ')"
LC_ALL=C sed 's/\xc2\xb7/./g' "$WORK/fields.raw" >"$WORK/fields"

LC_ALL=C awk -F'\t' -v client=10.0.0.1 -v server=10.0.0.2 -v runs="$runs" -f "$(dirname "$0")/article_shape.awk" \
  "$WORK/fields" >"$WORK/shape.txt" || fail "tshark's view: $(cat "$WORK/shape.txt")"

# 2. Our server's state changes, from --trace: the article's server path, once per connection.
sed -n 's/.*state \([A-Z0-9-]*\) → \([A-Z0-9-]*\).*/\1>\2/p' "$WORK/tapstack.out" | tr '\n' ' ' >"$WORK/states.txt"
path='LISTEN>SYN-RECEIVED SYN-RECEIVED>ESTABLISHED ESTABLISHED>FIN-WAIT-1 FIN-WAIT-1>FIN-WAIT-2 FIN-WAIT-2>TIME-WAIT '
want=""
for ((i = 1; i <= runs; i++)); do want+=$path; done
[ "$(cat "$WORK/states.txt")" = "$want" ] || fail "our TCP states: '$(cat "$WORK/states.txt")', expected $runs times '$path'"

# 3. tapstack's own reading of the capture.
"$TAPSTACK_BIN" annotate "$pcap" --check-article --expect server-first >"$WORK/annotate.txt" 2>"$WORK/annotate.err"
status=$?
((status == 0)) || fail "tapstack annotate --check-article exited $status: $(grep -iE 'article check|error|unknown' "$WORK/annotate.txt" "$WORK/annotate.err" | head -n 2 | tr '\n' ' ')"
grep -q '^article check: PASS' "$WORK/annotate.txt" || fail "tapstack annotate printed no 'article check: PASS'"

# Replayed: curl's side of the first conversation fed back to a fresh stack in virtual time gets
# the same answers (flags, relative numbers, lengths) as it got over the TAP.
"$TAPSTACK_BIN" --replay "$pcap" >"$WORK/replay.txt" 2>&1 || fail "--replay of the capture differs: $(grep -E 'DIFFERS|replay:' "$WORK/replay.txt" | head -n 4 | tr '\n' '|')"
pass "$(head -n 1 "$WORK/shape.txt"); $((runs - 1)) more alike; states as the article's server; annotate agrees; the replay answers alike"
