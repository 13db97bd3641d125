#!/usr/bin/env bash
# The golden traces: what `tapstack --simulate SCENARIO --seed 1` prints, kept in tests/data/golden/
# and compared byte for byte by tests/integration/simulate_test.sh.
#   scripts/golden.sh check    compare (exit 1 with a diff when something changed)
#   scripts/golden.sh update   rewrite the files (make golden); review the diff before committing
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: scripts/golden.sh check|update}
bin=${TAPSTACK_BIN:-build/tapstack}
dir=tests/data/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for spec in article:text article:json lost-segment:text client-first:text; do
  scenario=${spec%%:*} format=${spec##*:}
  file=$dir/simulate-$scenario.$([ "$format" = json ] && echo jsonl || echo txt)
  "$bin" --simulate "$scenario" --seed 1 --no-pcap --trace-format "$format" >"$tmp/out" 2>"$tmp/err" \
    || { echo "golden: --simulate $scenario failed: $(cat "$tmp/err")" >&2; exit 1; }
  if [ "$mode" = update ]; then
    cp "$tmp/out" "$file"
    echo "golden: wrote $file"
  elif ! diff -u --label "$file (golden)" --label "tapstack --simulate $scenario --seed 1 --trace-format $format" "$file" "$tmp/out"; then
    status=1
  fi
done
if [ "$mode" = check ] && ((status != 0)); then
  echo "golden: the trace changed; if that is intended, run 'make golden' and commit the new files" >&2
fi
exit "$status"
