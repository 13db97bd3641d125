#!/usr/bin/env bash
# `tapstack get`: our stack as the article's client against Linux's TCP and a kernel HTTP server
# (python3's http.server on 10.0.0.1, the kernel side of tap0). A 300 KiB file arrives with the
# same sha256; a missing file exits 1 with the 404 status line; a port nobody listens on exits 1
# as "connection refused"; the capture has only good checksums and our side of the conversation
# in the article's shape: SYN, the GET, the server's FIN, our FIN, and nothing reset.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need python3
need sha256sum coreutils
need tshark
setup
random_files file.bin 300
ns_spawn "$WORK/server.log" python3 -u -m http.server 8000 --bind 10.0.0.1 --directory "$WORK/root"
wait_for "$WORK/server.log" 'Serving HTTP' 10 || fail "python3 http.server did not start: $(cat "$WORK/server.log")"

# 1. The file, byte for byte.
ns_exec timeout 30 "$TAPSTACK_BIN" get http://10.0.0.1:8000/file.bin -o "$WORK/out" --pcap "$WORK/get.pcap" \
  >"$WORK/get.stdout" 2>"$WORK/get.err" || fail "tapstack get exited $?: $(tail -n 3 "$WORK/get.err" | tr '\n' ' ')"
[ "$(sha256sum <"$WORK/out")" = "$(sha256sum <"$WORK/root/file.bin")" ] || fail "sha256 differs ($(stat -c %s "$WORK/out") bytes arrived)"
grep -q '^tapstack get: HTTP/1.0 200 OK' "$WORK/get.err" || fail "no status line on stderr: $(head -n 2 "$WORK/get.err")"
[ ! -s "$WORK/get.stdout" ] || fail "with -o, nothing belongs on standard output"

# 2. The body on standard output, and a 404.
ns_exec timeout 30 "$TAPSTACK_BIN" get http://10.0.0.1:8000/file.bin --no-pcap 2>/dev/null | cmp -s - "$WORK/root/file.bin" \
  || fail "the body on standard output differs"
status=0
ns_exec timeout 30 "$TAPSTACK_BIN" get http://10.0.0.1:8000/missing --no-pcap >/dev/null 2>"$WORK/404.err" || status=$?
[ "$status" = 1 ] || fail "a 404 exited $status, expected 1"
grep -q 'HTTP/1.0 404' "$WORK/404.err" || fail "the 404 status line is not shown: $(head -n 2 "$WORK/404.err")"

# 3. Nobody listening: the kernel answers our SYN with RST,ACK.
status=0
ns_exec timeout 30 "$TAPSTACK_BIN" get http://10.0.0.1:9/ --no-pcap >/dev/null 2>"$WORK/refused.err" || status=$?
[ "$status" = 1 ] && grep -q 'connection refused' "$WORK/refused.err" || fail "port 9 gave status $status: $(cat "$WORK/refused.err")"

# 4. The capture of the first fetch.
bad=$(ts -r "$WORK/get.pcap" -Y 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad"' -T fields -e frame.number | wc -l)
[ "$bad" = 0 ] || fail "$bad frames with a bad checksum"
fields=$(ts -r "$WORK/get.pcap" -Y tcp -T fields -e ip.src -e tcp.flags.str -e tcp.len)
tshark_stderr_clean || fail "tshark complained: $(head -n 3 "$WORK/tshark.stderr")"
syn=$(awk -F'\t' '$1 == "10.0.0.2" && $2 ~ /S/ && $2 !~ /A/' <<<"$fields" | wc -l)
rst=$(awk -F'\t' '$2 ~ /R/' <<<"$fields" | wc -l)
our_fin=$(awk -F'\t' '$1 == "10.0.0.2" && $2 ~ /F/' <<<"$fields" | wc -l)
their_fin=$(awk -F'\t' '$1 == "10.0.0.1" && $2 ~ /F/' <<<"$fields" | wc -l)
[ "$syn" = 1 ] && [ "$rst" = 0 ] && [ "$our_fin" = 1 ] && [ "$their_fin" = 1 ] \
  || fail "capture: our SYNs $syn, resets $rst, our FINs $our_fin, the server's FINs $their_fin (want 1 0 1 1); it begins: $(ts -r "$WORK/get.pcap" -c 6 | tr '\n' '|')"
pass "300 KiB from a kernel HTTP server with equal sha256; body to stdout or -o; 404 and refused exit 1; capture: checksums good, one SYN, both FINs, no RST"
