# shellcheck shell=bash
# Sourced by every integration test. A test runs as root, builds its own network namespace
# (scripts/lib/netns.sh) with tap0 and tapstack inside, and ends with exactly one verdict line:
#   PASS name[: details]        exit 0
#   FAIL name: reason           exit 1
#   SKIP name: reason           exit 77 (only outside CI, when a tool is missing)
# run_all.sh counts the exit statuses.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../scripts/lib/netns.sh
source "$TOP/scripts/lib/netns.sh"
TEST=$(basename "$0" .sh)
TEST=${TEST%_test}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tapstack-e2e-$TEST.XXXXXX")
ns_at_exit 'rm -rf "$WORK"'
# Without a namespace the cleanup trap is not installed yet; make sure $WORK still goes.
trap '[ -n "$NS" ] || rm -rf "$WORK"' EXIT

pass() {
  echo "PASS $TEST${1:+: $1}"
  exit 0
}

# fail REASON: the verdict, then whatever helps to see why (tapstack's stderr tail).
fail() {
  echo "FAIL $TEST: $*"
  local f
  for f in "$WORK"/*.err; do
    [ -s "$f" ] || continue
    echo "  last lines of $(basename "$f"):"
    tail -n 6 "$f" | sed 's/^/    /'
  done
  exit 1
}

# need TOOL [PACKAGE]: in CI everything is installed, so a missing tool fails the test;
# elsewhere the test is skipped, loudly.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  local pkg=${2:-$1}
  if [ "${CI:-}" = true ]; then fail "'$1' is not installed (Debian package $pkg) and CI=true"; fi
  echo "SKIP $TEST: '$1' is not installed -- install the Debian package $pkg (scripts/install-deps.sh --test)"
  exit 77
}

# A namespace of our own with tap0 (kernel side 10.0.0.1/24) in it.
setup() {
  [ "$(id -u)" = 0 ] || fail "needs root (network namespaces)"
  [ -x "$TAPSTACK_BIN" ] || fail "$TAPSTACK_BIN is missing (run make)"
  ns_create "$TEST" || fail "could not create a network namespace"
  ns_tap || fail "setup_tap.sh --netns $NS failed"
}

# random_files NAME KIB [NAME KIB]...: files of random bytes in $WORK/root, the document root
# the tests serve (20 MiB is the usual download; 1 MiB a small one).
random_files() {
  mkdir -p "$WORK/root"
  while (($# >= 2)); do
    head -c $(($2 * 1024)) /dev/urandom >"$WORK/root/$1" || fail "could not write $WORK/root/$1"
    shift 2
  done
}

# start ARGS...: tapstack in the namespace; its output in $WORK/tapstack.out and .err.
start() {
  ns_start_tapstack "$WORK/tapstack" "$@" 2>"$WORK/start.log" || fail "tapstack did not start: $(tr '\n' ' ' <"$WORK/start.log")"
}

# stop: SIGINT; tapstack must exit 0 within 10 s.
stop() {
  local status=0
  ns_stop_tapstack 10 2>"$WORK/stop.log" || status=$?
  ((status == 0)) || fail "tapstack exited with status $status after SIGINT $(tr '\n' ' ' <"$WORK/stop.log")"
}

# tshark with checksum validation on. Its stderr goes to $WORK/tshark.stderr; the only line
# allowed there is the warning about running as root (check with tshark_stderr_clean).
ts() {
  timeout 60 tshark -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "$@" 2>"$WORK/tshark.stderr"
}
tshark_stderr_clean() {
  ! grep -v -e '^Running as user "root" and group "root". This could be dangerous.$' -e '^$' "$WORK/tshark.stderr" >/dev/null
}

# pcap_flip_last_byte IN OUT N: OUT is IN with the last byte of frame N (from 1) inverted, which
# breaks that frame's TCP (or UDP/ICMP) checksum. Plain bash and coreutils: od reads the record
# lengths in host byte order, the same order libpcap wrote them in.
pcap_flip_last_byte() {
  local in=$1 out=$2 want=$3 pos=24 n=0 size incl at byte
  size=$(stat -c %s "$in")
  cp "$in" "$out"
  while ((pos + 16 <= size)); do
    incl=$(od -An -tu4 -j $((pos + 8)) -N 4 "$in" | tr -d ' ')
    [ -n "$incl" ] || return 1
    n=$((n + 1))
    if ((n == want)); then
      at=$((pos + 16 + incl - 1))
      byte=$(od -An -tu1 -j "$at" -N 1 "$in" | tr -d ' ')
      # shellcheck disable=SC2059
      printf "\\$(printf '%03o' $((byte ^ 0xff)))" | dd of="$out" bs=1 seek="$at" conv=notrunc status=none
      return 0
    fi
    pos=$((pos + 16 + incl))
  done
  return 1
}

# wait_for FILE EXTENDED-REGEX SECONDS: returns 0 as soon as a line of FILE matches, 1 after
# SECONDS without one.
wait_for() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# fetch FILE LIMIT: curl http://10.0.0.2/FILE from the namespace into $WORK/out; prints the seconds
# it took. Fails on a curl error or a run over LIMIT seconds, a status other than 200, or a body
# whose sha256 differs from $WORK/root/FILE.
fetch() {
  local file=$1 limit=$2 code secs
  ns_exec timeout "$limit" curl -sS -o "$WORK/out" -w '%{http_code} %{time_total}\n' "http://10.0.0.2/$file" \
    >"$WORK/result" 2>"$WORK/curl.log" || fail "$file: curl failed or took over $limit s: $(cat "$WORK/curl.log") ($(stat -c %s "$WORK/out" 2>/dev/null || echo 0) bytes arrived)"
  read -r code secs <"$WORK/result"
  [ "$code" = 200 ] || fail "$file: HTTP $code"
  [ "$(sha256sum <"$WORK/out")" = "$(sha256sum <"$WORK/root/$file")" ] || fail "$file: sha256 differs ($(stat -c %s "$WORK/out") bytes arrived)"
  echo "$secs"
}
