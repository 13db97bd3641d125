#!/usr/bin/env bash
# The command-line contract others script against: --help exits 0 and lists the options; a bad
# argument exits 2 with exactly one line on stderr; SIGTERM (like SIGINT) ends a running
# tapstack with status 0 and its counters on stderr. Every run happens inside a namespace of
# its own with a timeout, so a parser that wrongly accepted an argument could neither create a
# device on this machine nor hang the test.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
setup

ns_exec timeout 5 "$TAPSTACK_BIN" --help >"$WORK/help.out" 2>"$WORK/help.stderr"
status=$?
((status == 0)) || fail "--help exited $status"
for opt in --tap --ip --mac --gateway --http-root --port --pcap --no-pcap --keep-alive --trace --trace-format --log-level \
  --msl --congestion --stats --seed --simulate --replay --drop --duplicate --reorder --corrupt --delay --faults --timeout --help; do
  grep -q -- "$opt" "$WORK/help.out" || fail "--help does not mention $opt"
done

check_bad() {  # check_bad ARGS...: exit status 2, one line on stderr, no device left behind
  ns_exec timeout 5 "$TAPSTACK_BIN" "$@" >"$WORK/bad.out" 2>"$WORK/bad.stderr" </dev/null
  local status=$? lines
  lines=$(wc -l <"$WORK/bad.stderr")
  ((status == 2)) || fail "'tapstack $*' exited $status, expected 2 (stderr: $(head -n 2 "$WORK/bad.stderr" | tr '\n' ' '))"
  [ "$lines" = 1 ] || fail "'tapstack $*' printed $lines lines on stderr, expected one: $(head -n 3 "$WORK/bad.stderr" | tr '\n' '|')"
}
check_bad --port 0
port0=$(cat "$WORK/bad.stderr")
check_bad --port 65536
check_bad --port 80x
check_bad --ip 10.0.0.256/24
check_bad --ip 10.0.0.2/33
check_bad --mac 02:00:00:00:00
check_bad --log-level loud
check_bad --trace-format xml
check_bad --no-such-option
check_bad --tap
check_bad --msl -1
check_bad --congestion cubic
check_bad --keep-alive x
check_bad --drop 101
check_bad --drop 5%%
check_bad --delay 20+-
check_bad --faults sideways
check_bad --stats x
check_bad get
check_bad get ftp://10.0.0.1/
check_bad get http://example.com/
check_bad --simulate article --replay x.pcap

# SIGTERM: a clean exit, status 0, with the counters.
start --no-pcap --tap tap0
pid=$TAPSTACK_PID
TAPSTACK_PID=""
kill -TERM "$pid"
for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "tapstack still runs 10 s after SIGTERM"
wait "$pid"
status=$?
((status == 0)) || fail "tapstack exited $status after SIGTERM, expected 0"
grep -q 'frames received' "$WORK/tapstack.err" || fail "no counters on stderr after SIGTERM"
pass "--help lists every option; 22 kinds of bad argument exit 2 with one line (e.g. '$port0'); SIGTERM exits 0"
