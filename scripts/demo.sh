#!/usr/bin/env bash
# The demo (sudo make demo): tapstack answers `curl -v http://10.0.0.2/` inside a network
# namespace made for the occasion, and the conversation is printed the way the Wireshark article
# reads it. The capture stays in ./tapstack-demo.pcap. Nothing outside the namespace changes:
# the namespace, the TAP device in it and every process started here are gone afterwards.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
out_pcap=$PWD/tapstack-demo.pcap

if [ "$(id -u)" != 0 ]; then
  echo "demo.sh: needs root to create a network namespace and a TAP device in it: sudo make demo" >&2
  exit 1
fi
[ -x "${TAPSTACK_BIN:-$TOP/build/tapstack}" ] || { echo "demo.sh: ${TAPSTACK_BIN:-build/tapstack} is missing: run make" >&2; exit 1; }
for tool in ip curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "demo.sh: '$tool' is missing: scripts/install-deps.sh --test" >&2; exit 1; }
done

# shellcheck source=scripts/lib/netns.sh
source "$TOP/scripts/lib/netns.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/tapstack-demo.XXXXXX")
ns_at_exit 'rm -rf "$work"'
ns_create demo
ns_tap
pcap=$work/demo.pcap
if [ -t 1 ]; then
  say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  say() { printf '\n== %s\n' "$*"; }
fi
indent() { sed 's/^/   /' "$@"; }

say "1. A network namespace ($NS) with tap0 in it: the kernel is 10.0.0.1, tapstack 10.0.0.2"
ns_start_tapstack "$work/tapstack" --pcap "$pcap" --trace
indent "$work/tapstack.err"

say "2. curl -v http://10.0.0.2/  (Linux's TCP, the client, talks to ours)"
status=0
ns_exec timeout 10 curl -v --no-progress-meter -o "$work/body" http://10.0.0.2/ >"$work/curl.log" 2>&1 || status=$?
indent "$work/curl.log"
if ((status != 0)); then
  echo "demo.sh: curl failed (status $status)" >&2
  exit 1
fi
echo "   the body, $(stat -c %s "$work/body") bytes:"
sed 's/^/   | /' "$work/body"
# The client's FIN and our last ACK follow curl's exit by a moment: wait for our TIME-WAIT.
for ((i = 0; i < 30; i++)); do
  grep -q 'TIME-WAIT' "$work/tapstack.out" && break
  sleep 0.1
done

say "3. tapstack stops (SIGINT), completes the pcap and prints its counters"
ns_stop_tapstack 10 || echo "demo.sh: tapstack did not exit cleanly" >&2
tail -n +3 "$work/tapstack.err" | indent

say "4. Every frame as tapstack saw it (--trace): relative seq/ack as Wireshark shows them, and our TCP state changes"
indent "$work/tapstack.out"

say "5. The capture against the article (build/tapstack annotate --check-article --expect server-first)"
annotate_status=0
"${TAPSTACK_BIN:-$TOP/build/tapstack}" annotate "$pcap" --check-article --expect server-first >"$work/annotate.txt" 2>&1 || annotate_status=$?
if grep -q '^conversation' "$work/annotate.txt"; then
  sed -n '/^conversation/,$p' "$work/annotate.txt" | indent
else
  indent "$work/annotate.txt"
fi
((annotate_status == 0)) || echo "   (annotate exited with status $annotate_status)"

if command -v tshark >/dev/null 2>&1; then
  say "6. The same frames dissected by tshark (an independent reading), relative numbers"
  timeout 30 tshark -r "$pcap" -Y tcp -o tcp.relative_sequence_numbers:TRUE -T fields \
    -e tcp.stream -e frame.number -e ip.src -e tcp.flags.str -e tcp.seq -e tcp.ack -e tcp.len 2>/dev/null |
    LC_ALL=C sed 's/\xc2\xb7/./g' >"$work/fields" || true
  awk -F'\t' 'BEGIN { printf "%-6s %-9s %-12s %-8s %-8s %s\n", "frame", "ip.src", "flags", "seq", "ack", "len" }
    { printf "%-6s %-9s %-12s %-8s %-8s %s\n", $2, $3, $4, $5, $6, $7 }' "$work/fields" | indent
  if LC_ALL=C awk -F'\t' -v client=10.0.0.1 -v server=10.0.0.2 -v runs=1 \
    -f "$TOP/tests/integration/article_shape.awk" "$work/fields" >"$work/shape.txt"; then
    echo "   tshark's numbers have the article's shape: $(cat "$work/shape.txt")"
  else
    echo "   tshark's numbers differ from the article's shape: $(cat "$work/shape.txt")"
  fi
fi

cp "$pcap" "$out_pcap"
[ -n "${SUDO_USER:-}" ] && chown "$SUDO_USER": "$out_pcap"
say "The capture is in $out_pcap"
cat <<EOF
   Open it in Wireshark:   wireshark tapstack-demo.pcap
   Or in a terminal, with the article's relative numbers, flags and lengths:
     tshark -r tapstack-demo.pcap -Y tcp -o tcp.relative_sequence_numbers:TRUE \\
       -T fields -E header=y -e frame.number -e ip.src -e tcp.flags.str -e tcp.seq -e tcp.ack -e tcp.len
   Or tapstack's own reading of it:
     ./build/tapstack annotate tapstack-demo.pcap --check-article
EOF
