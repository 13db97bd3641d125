#!/usr/bin/env bash
# HTTP through our TCP. The built-in page is exactly "Hello World!\n". With a document root:
# a 20 MiB random file arrives with the same sha256 (the rate is printed); HEAD answers the
# headers with the file's Content-Length and not one byte of body (read off a raw socket);
# a missing path is 404; POST is 405 (with the Allow header RFC 9110 requires).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
need curl
need sha256sum coreutils
setup
size=$((20 * 1024 * 1024))
random_files big.bin $((size / 1024))
printf '<p>index</p>\n' >"$WORK/root/index.html"

# 1. The built-in page, byte for byte.
start --no-pcap
code=$(ns_exec timeout 10 curl -sS -o "$WORK/hello" -w '%{http_code}' http://10.0.0.2/ 2>"$WORK/curl.log") || fail "curl http://10.0.0.2/ failed: $(cat "$WORK/curl.log")"
[ "$code" = 200 ] || fail "GET / answered $code, expected 200"
printf 'Hello World!\n' | cmp -s - "$WORK/hello" || fail "the body is not exactly 'Hello World!\\n': $(od -c "$WORK/hello" | head -n 3 | tr '\n' ' ')"
stop

# 2. A document root.
start --no-pcap --http-root "$WORK/root"
code=$(ns_exec timeout 10 curl -sS -o /dev/null -w '%{http_code}' http://10.0.0.2/no-such-file.txt 2>"$WORK/curl.log") || fail "curl of a missing path failed: $(cat "$WORK/curl.log")"
[ "$code" = 404 ] || fail "a missing path answered $code, expected 404"

ns_exec timeout 10 curl -sS -D "$WORK/post.headers" -o /dev/null -X POST --data 'x=1' http://10.0.0.2/index.html 2>"$WORK/curl.log" || fail "curl -X POST failed: $(cat "$WORK/curl.log")"
code=$(sed -n '1s|^HTTP/1\.[01] \([0-9]*\).*|\1|p' "$WORK/post.headers")
[ "$code" = 405 ] || fail "POST answered '$(head -n 1 "$WORK/post.headers" | tr -d '\r')', expected 405"
grep -qi '^Allow: *GET' "$WORK/post.headers" || fail "the 405 response has no 'Allow: GET, ...' header"

# HEAD through curl (headers as curl parses them) ...
ns_exec timeout 10 curl -sS -I http://10.0.0.2/big.bin >"$WORK/head.headers" 2>"$WORK/curl.log" || fail "curl -I failed: $(cat "$WORK/curl.log")"
head -n 1 "$WORK/head.headers" | grep -q '^HTTP/1\.1 200' || fail "HEAD answered '$(head -n 1 "$WORK/head.headers" | tr -d '\r')'"
grep -qi "^Content-Length: *$size"$'\r'"\?$" "$WORK/head.headers" || fail "HEAD has no 'Content-Length: $size': $(grep -i content-length "$WORK/head.headers" | tr -d '\r')"
# ... and off a raw socket: everything after the blank line would be a body. The server closes
# (Connection: close), which ends the read; timeout bounds it if it does not.
ns_exec timeout 10 bash -c 'exec 3<>/dev/tcp/10.0.0.2/80 &&
  printf "HEAD /big.bin HTTP/1.1\r\nHost: 10.0.0.2\r\nConnection: close\r\n\r\n" >&3 && cat <&3' >"$WORK/head.raw" 2>"$WORK/raw.log" \
  || fail "raw HEAD request failed or hung: $(cat "$WORK/raw.log")"
header_end=$(LC_ALL=C awk 'BEGIN { RS = "\r\n\r\n" } NR == 1 { print length($0) + 4; exit }' "$WORK/head.raw")
total=$(stat -c %s "$WORK/head.raw")
grep -q $'\r$' "$WORK/head.raw" && [ "$header_end" -le "$total" ] || fail "raw HEAD answer is not an HTTP header block: $(head -c 200 "$WORK/head.raw")"
[ "$total" = "$header_end" ] || fail "HEAD sent $((total - header_end)) bytes of body after the headers"

# 20 MiB, sha256 on both ends.
ns_exec timeout 120 curl -sS -o "$WORK/big.out" -w '%{http_code} %{time_total}\n' http://10.0.0.2/big.bin >"$WORK/big.result" 2>"$WORK/curl.log" \
  || fail "20 MiB download failed: $(cat "$WORK/curl.log") ($(stat -c %s "$WORK/big.out" 2>/dev/null || echo 0) bytes arrived)"
read -r code secs <"$WORK/big.result"
[ "$code" = 200 ] || fail "GET /big.bin answered $code"
want=$(sha256sum <"$WORK/root/big.bin")
got=$(sha256sum <"$WORK/big.out")
[ "$want" = "$got" ] || fail "sha256 differs: sent ${want%% *}, received ${got%% *} ($(stat -c %s "$WORK/big.out") of $size bytes)"
stop
rate=$(awk -v b="$size" -v s="$secs" 'BEGIN { printf "%.1f", (s > 0 ? b / s / 1e6 : 0) }')
pass "Hello World! exact; 404, 405 (Allow), HEAD without body; 20 MiB in ${secs} s = ${rate} MB/s, sha256 equal"
