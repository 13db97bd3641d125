#!/usr/bin/env bash
# HTTP through our TCP: the built-in page byte for byte, then a document root: HEAD, 404, 405,
# and a 20 MB file whose sha256 must match.
source "$(dirname "$0")/lib.sh"
need curl
need sha256sum
mkdir -p "$WORK/root"
head -c 20000000 /dev/urandom >"$WORK/root/big.bin"
echo "<h1>index</h1>" >"$WORK/root/index.html"

start --no-pcap
ns_exec timeout 10 curl -sS -o "$WORK/body" http://10.0.0.2/ || fail "curl of the built-in page failed"
printf 'Hello World!\n' | cmp -s - "$WORK/body" || fail "body is '$(head -c 80 "$WORK/body")', expected 'Hello World!\\n'"
ns_stop_tapstack || fail "tapstack did not exit cleanly"

ns_start_tapstack "$WORK/tapstack.log" --no-pcap --http-root "$WORK/root" || fail "tapstack did not start with --http-root"
code=$(ns_exec timeout 10 curl -sS -o /dev/null -w '%{http_code}' http://10.0.0.2/missing.txt) || fail "curl failed"
[ "$code" = 404 ] || fail "missing file gave $code, expected 404"
code=$(ns_exec timeout 10 curl -sS -o /dev/null -w '%{http_code}' -X POST -d x=1 http://10.0.0.2/index.html) || fail "curl failed"
[ "$code" = 405 ] || fail "POST gave $code, expected 405"
ns_exec timeout 10 curl -sS -I http://10.0.0.2/big.bin >"$WORK/head" || fail "HEAD failed"
grep -qi "^content-length: 20000000" "$WORK/head" || fail "HEAD has no Content-Length 20000000: $(tr -d '\r' <"$WORK/head" | head -5)"
ns_exec timeout 10 curl -sS --raw -X HEAD -o "$WORK/headbody" --max-time 5 http://10.0.0.2/big.bin 2>/dev/null
[ ! -s "$WORK/headbody" ] || fail "HEAD returned a body"
ns_exec timeout 120 curl -sS -o "$WORK/big.out" -w '%{speed_download} %{time_total}' http://10.0.0.2/big.bin >"$WORK/speed" || fail "download failed"
want=$(sha256sum <"$WORK/root/big.bin" | cut -d' ' -f1)
got=$(sha256sum <"$WORK/big.out" | cut -d' ' -f1)
[ "$want" = "$got" ] || fail "sha256 differs: got $got, want $want ($(stat -c %s "$WORK/big.out") bytes)"
read -r speed secs <"$WORK/speed"
ns_stop_tapstack || fail "tapstack did not exit cleanly"
pass "20 MB in ${secs} s ($(awk -v s="$speed" 'BEGIN{printf "%.0f", s/1e6}') MB/s), sha256 equal"
