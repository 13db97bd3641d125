#!/usr/bin/env bash
# Our pcap, read by an independent tool: tshark with IP and TCP checksum validation on must find
# no bad checksum and no expert warning or error, and must see the frames curl caused. Then the
# check itself is shown to work: a frame with a broken TCP checksum must be flagged.
source "$(dirname "$0")/lib.sh"
need curl
need tshark
start
ns_exec timeout 10 curl -sS -o /dev/null http://10.0.0.2/ || fail "curl failed"
ns_exec timeout 10 curl -sS -o /dev/null http://10.0.0.2/ || fail "curl failed"
ns_stop_tapstack || fail "tapstack did not exit cleanly"
pcap="$WORK/capture.pcap"
ts() { tshark -r "$1" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "${@:2}" 2>"$WORK/tshark.err"; }

bad_filter='ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || icmp.checksum.status == "Bad"'
good=$(ts "$pcap" -Y 'tcp.checksum.status == "Good"' | wc -l)
[ "$good" -ge 10 ] || fail "tshark verified only $good TCP checksums (is validation on?)"
bad=$(ts "$pcap" -Y "$bad_filter" | wc -l)
[ "$bad" = 0 ] || fail "$bad frames with a bad checksum: $(ts "$pcap" -Y "$bad_filter" | head -2)"
warnings=$(ts "$pcap" -Y '_ws.expert.severity >= "Warning"' | wc -l)  # "Warning" and "Error"
[ "$warnings" = 0 ] || fail "tshark expert warnings/errors: $(ts "$pcap" -q -z expert,warn | grep -vE '^$|^=+$' | head -8)"
syns=$(ts "$pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' | wc -l)
fins=$(ts "$pcap" -Y 'tcp.flags.fin == 1' | wc -l)
[ "$syns" = 2 ] || fail "expected 2 SYNs from curl, tshark sees $syns"
[ "$fins" = 4 ] || fail "expected 4 FINs (both sides, two connections), tshark sees $fins"
http=$(ts "$pcap" -Y 'http.response.code == 200' | wc -l)
[ "$http" = 2 ] || fail "expected 2 HTTP 200 responses, tshark sees $http"

# The check can fail: flip one payload byte of our response (the TCP checksum no longer matches).
frame=$(ts "$pcap" -Y 'http.response.code == 200' -T fields -e frame.number | head -1)
python3 - "$pcap" "$WORK/broken.pcap" "$frame" <<'PY' || fail "could not write the broken capture"
import struct, sys
src, dst, target = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = bytearray(open(src, 'rb').read())
pos, n = 24, 0
while pos < len(data):
    incl = struct.unpack_from('<I', data, pos + 8)[0]
    n += 1
    if n == target:
        data[pos + 16 + incl - 1] ^= 0xff  # last byte of the frame's payload
    pos += 16 + incl
open(dst, 'wb').write(data)
PY
flagged=$(ts "$WORK/broken.pcap" -Y "$bad_filter" | wc -l)
[ "$flagged" = 1 ] || fail "tshark did not flag a deliberately broken checksum (the check would be blind)"
flagged=$(ts "$WORK/broken.pcap" -Y '_ws.expert.severity >= "Warning"' | wc -l)
[ "$flagged" -ge 1 ] || fail "tshark's expert filter missed a deliberately broken checksum (the check would be blind)"
pass "$good TCP checksums verified, none bad, no expert warnings; $syns SYNs, $fins FINs, $http responses"
