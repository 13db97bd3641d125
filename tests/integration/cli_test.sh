#!/usr/bin/env bash
# The command-line contract: --help exits 0, bad arguments exit 2 with one line on stderr.
source "$(dirname "$0")/lib.sh"
trap 'rm -rf "$WORK"' EXIT
"$TOP/build/tapstack" --help >"$WORK/help" 2>&1 || fail "--help exited $?"
grep -q -- "--http-root" "$WORK/help" || fail "--help does not list --http-root"
for args in "--port 0" "--port 70000" "--ip 10.0.0.300/24" "--mac zz" "--no-such-option" "--keep-alive -1" "--tap"; do
  # shellcheck disable=SC2086
  "$TOP/build/tapstack" $args >/dev/null 2>"$WORK/err" </dev/null
  status=$?
  [ "$status" = 2 ] || fail "'tapstack $args' exited $status, expected 2"
  [ "$(wc -l <"$WORK/err")" = 1 ] || fail "'tapstack $args' printed $(wc -l <"$WORK/err") lines on stderr, expected 1"
done
"$TOP/build/tapstack" annotate /nonexistent.pcap >/dev/null 2>&1
[ $? = 1 ] || fail "annotate of a missing file did not exit 1"
"$TOP/build/tapstack" annotate >/dev/null 2>&1
[ $? = 2 ] || fail "annotate without a file did not exit 2"
pass
