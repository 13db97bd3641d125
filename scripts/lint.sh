#!/usr/bin/env bash
# make lint: the promises the code makes about itself, checked by grep. Each rule names the
# promise; a broken rule prints the offending lines and the script exits 1.
# Comments (// to the end of the line, and lines inside /* */ blocks that start with *) are not
# code and are ignored, so a comment may mention now() or ntohs without tripping a rule.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

failed=0
report() {  # report RULE LINES: LINES empty means the rule holds
  if [ -n "$2" ]; then
    echo "lint: FAIL: $1"
    printf '%s\n' "$2" | sed 's/^/    /'
    failed=$((failed + 1))
  else
    echo "lint: ok:   $1"
  fi
}

# code_grep ERE FILES...: file:line:text for every line whose code (comments removed) matches.
code_grep() {
  local re=$1
  shift
  (($#)) || return 0
  awk -v re="$re" '
    { line = $0
      if (line ~ /^[ \t]*\*/ || line ~ /^[ \t]*\/\*/) next
      sub(/\/\/.*$/, "", line)
      if (line ~ re) print FILENAME ":" FNR ": " $0 }' "$@"
}
sources() { find "$@" -type f \( -name '*.cc' -o -name '*.hh' -o -name '*.h' -o -name '*.cpp' \) 2>/dev/null | sort; }

[ -d stack/tcp ] || { echo "lint: run from the tapstack tree (no stack/tcp here)"; exit 1; }
mapfile -t stack_files < <(sources stack)
mapfile -t tcp_files < <(sources stack/tcp)

# 1. One function changes a TCP connection's state (set_state): exactly one `state_ =`.
hits=$(code_grep '(^|[^A-Za-z0-9_])state_[ \t]*=([^=]|$)' "${tcp_files[@]}")
n=$(printf '%s' "$hits" | grep -c . || true)
if [ "$n" = 1 ]; then
  report "exactly one 'state_ =' assignment in stack/tcp/ (the set_state function)" ""
else
  report "exactly one 'state_ =' assignment in stack/tcp/ (the set_state function); found $n" "$hits"
fi

# 1b. The congestion window has one owner (stack/tcp/congestion.{hh,cc}): no `cwnd_ =` or `ssthresh_ =`
# (nor +=, -=, ...) anywhere else in stack/, so a new controller replaces one file.
report "'cwnd_ =' and 'ssthresh_ =' only in stack/tcp/congestion.{hh,cc} (the congestion controller)" \
  "$(code_grep '(^|[^A-Za-z0-9_])(cwnd_|ssthresh_)[ \t]*([-+*/|&^]|<<|>>)?=([^=]|$)' "${stack_files[@]}" | grep -vE '^stack/tcp/congestion\.(cc|hh):')"

# 1c. Loss recovery's state has one owner (stack/tcp/loss_recovery.{hh,cc}): the SACK scoreboard,
# HighRxt, the recovery point and the duplicate ACK count are named nowhere else in stack/.
report "scoreboard_, high_rxt_, recover_, dup_acks_ only in stack/tcp/loss_recovery.{hh,cc} (loss recovery)" \
  "$(code_grep '(^|[^A-Za-z0-9_])(scoreboard_|high_rxt_|recover_|dup_acks_|in_recovery_)([^A-Za-z0-9_]|$)' "${stack_files[@]}" | grep -vE '^stack/tcp/loss_recovery\.(cc|hh):')"

# 2. Time is a parameter: nothing in stack/ reads a clock.
report "no clock reads in stack/ (now(), gettimeofday, clock_gettime, time(), std::chrono clocks)" \
  "$(code_grep '(^|[^A-Za-z0-9_])(now[ \t]*\(|gettimeofday|clock_gettime|time[ \t]*\(|(steady|system|high_resolution)_clock)' "${stack_files[@]}")"

# 3. Bytes are reinterpreted in one place only.
report "no reinterpret_cast in stack/ outside stack/base/bytes.hh" \
  "$(code_grep 'reinterpret_cast' "${stack_files[@]}" | grep -v '^stack/base/bytes\.hh:')"

# 4. Byte order lives in stack/base/byte_order.hh (load_be16/store_be32 ...), never ntohs & co.
report "no ntohs/htons/ntohl/htonl in stack/" \
  "$(code_grep '(^|[^A-Za-z0-9_])(ntohs|htons|ntohl|htonl|be16toh|be32toh|htobe16|htobe32)([^A-Za-z0-9_]|$)' "${stack_files[@]}")"

# 5. Dependencies point downwards (docs/design.md, "The tree"): base <- wire <- the protocol
# layers (link, ip, tcp, trace) <- stack.{hh,cc}; stack/ defines the device interface
# (stack/device.hh) and includes nothing from netdev/, apps/ or tests/; netdev/ implements the
# device with stack/base, stack/wire and stack/device.hh only; stack/posix/ (the socket layer) sees
# only the stack's public API; apps/pkt/'s parser uses only itself and stack/base, its runner the
# stack's public API, stack/posix and stack/wire; the rest of apps/ may use anything. Each rule is
# "files under DIR include only headers matching ALLOWED".
include_rule() {  # include_rule DESCRIPTION DIR ALLOWED_ERE
  local files
  # shellcheck disable=SC2086 # DIR may name several directories
  mapfile -t files < <(sources $2)
  report "$1" "$(code_grep '^[ \t]*#[ \t]*include[ \t]*"' "${files[@]}" | grep -vE "#[ \t]*include[ \t]*\"($3)\"")"
}
include_rule "stack/base/ includes only stack/base/" stack/base 'stack/base/[^"]*'
include_rule "stack/wire/ includes only stack/base/ and stack/wire/" stack/wire 'stack/(base|wire)/[^"]*'
include_rule "the protocol layers (stack/link, ip, tcp, trace) include base, wire, each other and the leaf headers (device, stats, observer), never stack/stack.hh" \
  "stack/link stack/ip stack/tcp stack/trace" 'stack/(base|wire|link|ip|tcp|trace)/[^"]*|stack/(device|stats|observer)\.hh'
include_rule "stack/ includes nothing from netdev/, apps/ or tests/" stack 'stack/[^"]*'
include_rule "netdev/ includes only netdev/, stack/base/, stack/wire/ and stack/device.hh" netdev 'netdev/[^"]*|stack/(base|wire)/[^"]*|stack/device\.hh'
# The socket layer stands on the stack's public API: stack/stack.hh and the headers it exposes
# (socket.hh, tcp_settings.hh, the address and time types), never wire/ or the TCP internals.
include_rule "stack/posix/ includes only stack/posix/, stack/stack.hh and the public headers" stack/posix \
  'stack/posix/[^"]*|stack/stack\.hh|stack/base/[^"]*|stack/tcp/(socket|tcp_state|tcp_settings)\.hh|stack/wire/address\.hh'
# The packetdrill script parser reads text and knows nothing of the stack it will drive; the
# runner beside it drives a stack through its public API, the socket layer, the wire formats and
# an in-memory link, never the TCP internals.
include_rule "apps/pkt/'s parser (pkt_lexer, pkt_parser, pkt_script) includes only itself and stack/base/" \
  "apps/pkt/pkt_lexer.* apps/pkt/pkt_parser.* apps/pkt/pkt_script.*" 'apps/pkt/pkt_(lexer|parser|script)\.hh|stack/base/[^"]*'
include_rule "apps/pkt/ includes only apps/pkt/, stack/stack.hh, stack/posix/, stack/base/, stack/wire/ and netdev/memory_link.hh" \
  apps/pkt 'apps/pkt/[^"]*|stack/stack\.hh|stack/posix/[^"]*|stack/(base|wire)/[^"]*|netdev/memory_link\.hh'

# 6. The docs name functions that exist (docs/article-in-code.md): a renamed or deleted function
# must take its reference with it. The checker first shows that it catches a bad reference.
if ! scripts/check_doc_refs.sh --self-test >/dev/null || ! doc_refs=$(scripts/check_doc_refs.sh docs/*.md docs/assignments/*.md 2>&1); then
  echo "lint: FAIL: every code reference in docs/ names an existing file and function"
  echo "${doc_refs:-the self-test of the checker failed}" | sed 's/^/    /'
  failed=$((failed + 1))
else
  echo "lint: ok:   $doc_refs"
fi

# 6b. The course's markers are well formed, and each manifest names exactly the files that hold
# its regions (scripts/assignment.sh; docs/teaching.md, "Writing an assignment").
report "the assignment markers and manifests agree (scripts/assignment.sh lint)" \
  "$(scripts/assignment.sh lint 2>&1 | grep -vE '^assignment lint: (ok|no marked regions)')"

# 7. One layout: every C++ file is as clang-format lays it out by .clang-format (make format
# applies it). The style is the one the code was written in (the file says how), so that a
# contributor's editor and `make format` agree with the tree instead of rewriting it.
if ! command -v clang-format >/dev/null 2>&1; then
  report "the layout follows .clang-format" "clang-format is missing: sudo scripts/install-deps.sh --lint"
else
  mapfile -t all_files < <(sources stack netdev apps tests)
  report "the layout follows .clang-format (make format fixes it)" \
    "$(clang-format --dry-run "${all_files[@]}" 2>&1 | sed -nE 's/^([^ :]+):[0-9]+:[0-9]+: (warning|error): .*/\1/p' | uniq -c |
      awk '{ printf "%s: %d place(s) laid out otherwise\n", $2, $1 }')"
fi

if ((failed)); then
  echo "lint: $failed rule(s) broken"
  exit 1
fi
echo "lint: all rules hold"
