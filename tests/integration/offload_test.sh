#!/usr/bin/env bash
# --offload: tapstack attaches with IFF_VNET_HDR and leaves TCP checksums and segmentation to the
# kernel. Both directions:
#   1. curl downloads 20 MiB from tapstack: we send 64 KB segments with partial checksums, the
#      kernel cuts them up (or takes them whole); sha256 equal, bundles counted, no retransmission,
#      and the capture (bundles recorded whole, checksums completed for the record) has no bad
#      checksum for tshark, no "previous segment not captured", no "ACKed unseen segment";
#   2. `tapstack get --offload` downloads 20 MiB from python3's http.server: the kernel hands us
#      its GSO bundles whole with partial checksums, which we complete and verify; sha256 equal.
# Plain mode after offload mode on the same device: the offloads are switched off again, so the
# kernel sends plain frames (a 1 MiB download without --offload still works).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need curl
need python3
need sha256sum coreutils
need tshark
setup
random_files big.bin $((20 * 1024)) small.bin 1024

# 1. tapstack sends.
start --http-root "$WORK/root" --pcap "$WORK/offload.pcap" --offload
grep -q 'offloads on tap0: csum tso4 tso6' "$WORK/tapstack.err" || fail "no offload line: $(head -n 3 "$WORK/tapstack.err")"
t_send=$(fetch big.bin 60) || exit 1
stop
bundles=$(sed -n 's/.* \([0-9]*\) TCP bundles sent.*/\1/p' "$WORK/tapstack.err")
[ -n "$bundles" ] && [ "$bundles" -gt 100 ] || fail "only '${bundles}' bundles sent for 20 MiB: $(grep tap0 "$WORK/tapstack.err")"
grep -q 'retransmissions 0 ' "$WORK/tapstack.err" || fail "retransmissions on a clean link: $(grep -o 'retransmissions [0-9]*' "$WORK/tapstack.err")"
largest=$(ts -r "$WORK/offload.pcap" -Y 'ip.src == 10.0.0.2' -T fields -e frame.len | sort -n | tail -n 1)
[ "$largest" -gt 30000 ] || fail "the capture holds no large segment from us (largest frame $largest bytes)"
ts -r "$WORK/offload.pcap" -Y 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || tcp.analysis.ack_lost_segment || tcp.analysis.lost_segment' \
  -T fields -e frame.number -e ip.src -e tcp.seq -e tcp.len >"$WORK/flagged"
tshark_stderr_clean || fail "tshark complained: $(head -n 3 "$WORK/tshark.stderr")"
[ ! -s "$WORK/flagged" ] || fail "$(wc -l <"$WORK/flagged") frames flagged by tshark: $(head -n 3 "$WORK/flagged" | tr '\n\t' '; ')"

# 2. tapstack receives: the kernel's bundles.
ns_spawn "$WORK/server.log" python3 -u -m http.server 8000 --bind 10.0.0.1 --directory "$WORK/root"
wait_for "$WORK/server.log" 'Serving HTTP' 10 || fail "python3 http.server did not start: $(cat "$WORK/server.log")"
t0=$(date +%s%N)
ns_exec timeout 60 "$TAPSTACK_BIN" get --offload --no-pcap http://10.0.0.1:8000/big.bin -o "$WORK/got" \
  >/dev/null 2>"$WORK/get.err" || fail "tapstack get --offload exited $?: $(tail -n 3 "$WORK/get.err" | tr '\n' ' ')"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$(sha256sum <"$WORK/got")" = "$(sha256sum <"$WORK/root/big.bin")" ] || fail "get: sha256 differs ($(stat -c %s "$WORK/got") bytes)"
received=$(sed -n 's/.* \([0-9]*\) received whole.*/\1/p' "$WORK/get.err")
[ -n "$received" ] && [ "$received" -gt 0 ] || fail "get: no bundle from the kernel arrived whole: $(grep -i 'tap0\|bundle' "$WORK/get.err" | tr '\n' ' ')"

# 3. Without --offload on the same device again: plain frames.
start --http-root "$WORK/root" --no-pcap
fetch small.bin 60 >/dev/null || exit 1
stop
grep -q 'frames too large' "$WORK/tapstack.err" && fail "plain mode after --offload got oversized frames: $(grep 'too large' "$WORK/tapstack.err")"
pass "--offload: 20 MiB sent in ${t_send} s in $bundles bundles (capture clean for tshark, no retransmission), 20 MiB received with $received bundles whole in ${ms} ms (process start included); sha256 equal; plain mode afterwards gets plain frames"
