#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs each libFuzzer target (built by `make fuzz` into build/fuzz/) for a while on its committed
# seed corpus, and fails when a target crashes, starts without its corpus, or ends below its
# coverage floor in tests/fuzz/floors.txt. `make fuzz FUZZ_SECONDS=N` calls this.
set -u

usage() {
  cat <<'EOF'
Usage: scripts/fuzz.sh [--seconds N] build/fuzz/TARGET...

Runs each target for N seconds (default 60) under ASan+UBSan, one after the other, on
tests/fuzz/corpus/TARGET/ (committed seeds, read only) and build/fuzz/corpus-TARGET/ (what the
fuzzer adds; kept between runs). The log goes to build/fuzz/TARGET.log, an input that crashes to
build/fuzz/TARGET-crash-* (add it to the corpus as a regression once fixed).

Fails (exit 1) when a target
  - has no seed corpus: tests/fuzz/corpus/TARGET/ missing or empty;
  - has no floor in tests/fuzz/floors.txt;
  - crashes, breaks an invariant, leaks, or runs an input for more than 60 s;
  - ends with fewer coverage points ("cov:") than its floor. The floors were measured at 20 s
    with the committed corpora; runs shorter than 20 s are not held to them.
Prints per target: fuzz: TARGET: cov N (floor F), execs E

  --seconds N   fuzzing time per target                         [60]
  -h, --help    show this help
EOF
}

seconds=60
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:-}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "fuzz.sh: --seconds wants a whole number of seconds, got '$seconds'" >&2; exit 2
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz.sh: no targets given" >&2; usage >&2; exit 2; }

floors=tests/fuzz/floors.txt
floor_seconds=20  # the FUZZ_SECONDS the floors were measured at
failed=0
for t in "${targets[@]}"; do
  name=$(basename "$t")
  seeds=tests/fuzz/corpus/$name
  log=build/fuzz/$name.log
  if [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
    echo "fuzz: $name: FAIL: no seed corpus in $seeds/ (is it committed? .gitignore?)"
    failed=1; continue
  fi
  floor=$(awk -v n="$name" '$1 == n { print $2 }' "$floors")
  if [ -z "$floor" ]; then
    echo "fuzz: $name: FAIL: no coverage floor in $floors"
    failed=1; continue
  fi
  mkdir -p "build/fuzz/corpus-$name"
  echo "fuzz: $name for $seconds s"
  if ! "$t" -max_total_time="$seconds" -max_len=4096 -timeout=60 -print_final_stats=1 \
      -artifact_prefix="build/fuzz/$name-" "build/fuzz/corpus-$name" "$seeds" > "$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $name: FAIL: the fuzzer stopped on an input (above; the input is in build/fuzz/$name-*)"
    failed=1; continue
  fi
  # The last status line: "#1234  DONE   cov: 567 ft: ... corp: ..."
  cov=$(grep -E '^#[0-9]+[[:space:]]+DONE[[:space:]]+cov: ' "$log" | tail -1 | sed -E 's/.* cov: ([0-9]+).*/\1/')
  execs=$(awk '/^stat::number_of_executed_units:/ { print $2 }' "$log")
  if [ -z "$cov" ]; then
    echo "fuzz: $name: FAIL: no final coverage line in $log"
    failed=1; continue
  fi
  echo "fuzz: $name: cov $cov (floor $floor), execs ${execs:-?}"
  if [ "$cov" -lt "$floor" ]; then
    if [ "$seconds" -ge "$floor_seconds" ]; then
      echo "fuzz: $name: FAIL: coverage $cov is below the floor $floor (a seed lost? the target reaches less?)"
      failed=1
    else
      echo "fuzz: $name: below the floor, not checked: it holds from $floor_seconds s on"
    fi
  fi
done
exit $failed
