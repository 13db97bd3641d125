#!/usr/bin/env bash
# shellcheck disable=SC2154  # count() below assigns its variables through printf -v
# Our pcap, read by an independent dissector. tshark, with IP and TCP checksum validation on,
# must find every checksum good, no expert warning or error, nothing on stderr but the root
# warning (a pcap cut short would show there), and the frames one `curl` and one ping caused:
# one SYN, one SYN/ACK, a FIN from each side, the GET and the 200.
# The check is then shown not to be blind: a copy with one payload byte flipped must be flagged
# as a bad checksum (an expert error), and a copy with two frames removed must raise expert
# warnings ("previous segment not captured"), through exactly the same filters.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need curl
need ping iputils-ping
need tshark
need editcap wireshark-common
setup
pcap=$WORK/capture.pcap
start --pcap "$pcap" --trace
ns_exec timeout 10 ping -n -c 1 -W 2 -s 300 10.0.0.2 >"$WORK/ping.txt" 2>&1 || fail "ping failed: $(tail -n 2 "$WORK/ping.txt" | tr '\n' ' ')"
ns_exec timeout 10 curl -sS -o /dev/null http://10.0.0.2/ 2>"$WORK/curl.log" || fail "curl failed: $(cat "$WORK/curl.log")"
# The conversation is over when our side reaches TIME-WAIT (the trace says so); then stop.
wait_for "$WORK/tapstack.out" 'TIME-WAIT' 5 || fail "tapstack never reached TIME-WAIT: $(grep -E 'state' "$WORK/tapstack.out" | tail -n 3 | tr -s ' ' | tr '\n' ';')"
stop

# Checksum status values are Bad = 0, Good = 1, Unverified = 2: "== 2" would match only frames
# tshark did NOT check. The names say what is meant.
BAD='ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || icmp.checksum.status == "Bad"'
EXPERT='_ws.expert.severity >= 0x00600000'  # 0x00600000 = Warning, 0x00800000 = Error
# count VAR FILE FILTER: VAR = the number of frames of FILE matching FILTER. Anything tshark says
# on stderr besides the root warning (an unknown field, a capture cut short) fails the test.
count() {
  printf -v "$1" '%s' "$(ts -r "$2" -Y "$3" | wc -l)"
  tshark_stderr_clean || fail "tshark on $(basename "$2") with '$3': $(grep -v '^Running as user' "$WORK/tshark.stderr" | head -n 3 | tr '\n' ' ')"
}
[ -s "$pcap" ] || fail "tapstack wrote no pcap"

count frames "$pcap" 'frame'
count tcp "$pcap" 'tcp'
count ip "$pcap" 'ip'
count tcp_good "$pcap" 'tcp.checksum.status == "Good"'
count ip_good "$pcap" 'ip.checksum.status == "Good"'
count icmp_good "$pcap" 'icmp.checksum.status == "Good"'
[ "$tcp" -ge 8 ] || fail "only $tcp TCP frames in the capture"
[ "$tcp_good" = "$tcp" ] || fail "tshark verified $tcp_good of $tcp TCP checksums as good (is validation on?)"
[ "$ip_good" = "$ip" ] || fail "tshark verified $ip_good of $ip IP header checksums as good"
[ "$icmp_good" = 2 ] || fail "tshark verified $icmp_good ICMP checksums as good, expected 2 (request and reply)"
count bad "$pcap" "$BAD"
[ "$bad" = 0 ] || fail "$bad frames with a bad checksum: $(ts -r "$pcap" -Y "$BAD" | head -n 3 | tr '\n' ' ')"
count expert "$pcap" "$EXPERT"
if [ "$expert" != 0 ]; then
  ts -r "$pcap" -q -z expert,warn >"$WORK/expert.txt"
  fail "$expert frames with expert warnings or errors: $(grep -E '^ +[0-9]+ ' "$WORK/expert.txt" | head -n 4 | tr -s ' ' | tr '\n' ';')"
fi

# What curl and ping caused, as tshark sees it.
count syn "$pcap" 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.src == 10.0.0.1'
count synack "$pcap" 'tcp.flags.syn == 1 && tcp.flags.ack == 1 && ip.src == 10.0.0.2'
count cfin "$pcap" 'tcp.flags.fin == 1 && ip.src == 10.0.0.1'
count sfin "$pcap" 'tcp.flags.fin == 1 && ip.src == 10.0.0.2'
count rst "$pcap" 'tcp.flags.reset == 1'
count get "$pcap" 'http.request.method == "GET" && ip.src == 10.0.0.1'
count ok "$pcap" 'http.response.code == 200 && ip.src == 10.0.0.2'
count echo_req "$pcap" 'icmp.type == 8 && ip.src == 10.0.0.1'
count echo_rep "$pcap" 'icmp.type == 0 && ip.src == 10.0.0.2'
count arp_rep "$pcap" 'arp.opcode == 2 && arp.src.proto_ipv4 == 10.0.0.2'
summary="SYN $syn, SYN/ACK $synack, FIN client $cfin / server $sfin, RST $rst, GET $get, 200 $ok, echo $echo_req/$echo_rep, ARP replies $arp_rep"
[ "$syn" = 1 ] && [ "$synack" = 1 ] && [ "$cfin" = 1 ] && [ "$sfin" = 1 ] && [ "$rst" = 0 ] &&
  [ "$get" = 1 ] && [ "$ok" = 1 ] && [ "$echo_req" = 1 ] && [ "$echo_rep" = 1 ] && [ "$arp_rep" -ge 1 ] ||
  fail "the capture does not hold what curl and ping caused: $summary"

# The same filters on captures known to be wrong.
response=$(ts -r "$pcap" -Y 'http.response.code == 200' -T fields -e frame.number | head -n 1)
[ -n "$response" ] || fail "no response frame to break"
pcap_flip_last_byte "$pcap" "$WORK/flipped.pcap" "$response" || fail "could not write the flipped capture"
cmp -s "$pcap" "$WORK/flipped.pcap" && fail "the flipped capture equals the original"
count n "$WORK/flipped.pcap" "$BAD"
[ "$n" = 1 ] || fail "the bad-checksum filter misses a flipped byte in frame $response: the check is blind"
count n "$WORK/flipped.pcap" "$EXPERT"
[ "$n" -ge 1 ] || fail "the expert filter misses a bad checksum: the check is blind"
request=$(ts -r "$pcap" -Y 'http.request' -T fields -e frame.number | head -n 1)
timeout 30 editcap "$pcap" "$WORK/gap.pcap" "$request" "$((request + 1))" 2>"$WORK/editcap.log" || fail "editcap failed: $(cat "$WORK/editcap.log")"
count n "$WORK/gap.pcap" "$EXPERT"
[ "$n" -ge 1 ] || fail "the expert filter misses warnings (frames $request-$((request + 1)) removed): the check is blind"
count n "$WORK/gap.pcap" "$BAD"
[ "$n" = 0 ] || fail "removing frames made checksums bad?"

pass "$frames frames, $tcp TCP + $ip IP checksums good, no expert warnings; $summary; self-check: a flipped byte and a gap are both flagged"
