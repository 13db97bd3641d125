#!/usr/bin/env bash
# The demo (sudo make demo): in a network namespace of its own, tapstack answers `curl -v`, and
# the captured conversation is printed the way the Wireshark article reads it. The pcap stays in
# ./tapstack-demo.pcap for Wireshark. Nothing outside the namespace is touched.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
[ "$(id -u)" = 0 ] || { echo "demo.sh: needs root for the network namespace: sudo make demo" >&2; exit 1; }
[ -x build/tapstack ] || { echo "demo.sh: build/tapstack is missing: run make" >&2; exit 1; }
# shellcheck source=scripts/lib/netns.sh
source scripts/lib/netns.sh

work=$(mktemp -d)
ns_create demo
trap '_ns_cleanup; rm -rf "$work"' EXIT
ns_tap
pcap="$work/tapstack-demo.pcap"

echo "== 1. tapstack starts in namespace $NS on tap0 (10.0.0.2; the kernel is 10.0.0.1)"
ns_start_tapstack "$work/tapstack.log" --pcap "$pcap" --trace
echo
echo "== 2. curl -v http://10.0.0.2/   (the kernel's TCP talks to ours)"
ns_exec timeout 10 curl -v --silent --show-error http://10.0.0.2/ -o "$work/body" 2>&1 | sed 's/^/   /'
echo "   body: $(cat "$work/body")"
sleep 0.2
ns_stop_tapstack || true
echo
echo "== 3. every frame, as tapstack saw it (relative seq/ack like Wireshark; indented: our TCP state changes)"
sed 's/^/   /' "$work/tapstack.log.out"
echo
echo "== 4. the same capture against the article's numbers"
build/tapstack annotate "$pcap" --check-article --expect server-first --port 80 | sed -n '/^conversation/,$p' | sed 's/^/   /'
echo
cp "$pcap" ./tapstack-demo.pcap
[ -n "${SUDO_USER:-}" ] && chown "$SUDO_USER": ./tapstack-demo.pcap
tail -2 "$work/tapstack.log" | sed 's/^/   /'
cat <<MSG

The capture is in ./tapstack-demo.pcap. Open it with:
   wireshark tapstack-demo.pcap
or read it in a terminal with Wireshark's relative numbers:
   tshark -r tapstack-demo.pcap -o tcp.relative_sequence_numbers:TRUE -Y tcp
   build/tapstack annotate tapstack-demo.pcap
MSG
