#!/usr/bin/env bash
# make grade ASSIGNMENT=NAME: runs the graded tests of one assignment (docs/assignments/NAME.assignment)
# in this tree, a starter tree or the reference, and prints what failed (the test, what it
# expected, the transcript), then one line per graded test with its points, and last
#   score: X/Y
# It also writes build/grade/results.json in the format Gradescope's autograder reads (tests with
# name, score, max_score and output; a top-level score) and keeps each test's whole output in
# build/grade/NAME/. No root. The build is MODE=grade (-O1, assertions on) and links only the
# test files the assignment needs (build/grade/tests-NAME). Exit status 0 once graded (whatever
# the score), 2 for a usage error.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
# shellcheck source=scripts/lib/assignments.sh
source scripts/lib/assignments.sh

name=${1:-}
if [ -z "$name" ] || [ "$name" = --help ]; then
  echo "usage: make grade ASSIGNMENT=NAME   (or scripts/grade.sh NAME); the names:" >&2
  for n in $(assignment_names); do echo "  $n" >&2; done
  exit 2
fi
read_manifest "$name" || exit 2

out=build/grade/$name
rm -rf "$out" build/grade/results.json
mkdir -p "$out"

# The tests this tree holds: a hidden test whose suites are not here (a starter tree) is left out.
declare -a tests=() unit_files=()
need_tapstack=0
for t in "${A_TESTS[@]}"; do
  IFS='|' read -r points visibility kind args <<<"$t"
  if [ "$kind" = unit ]; then
    mapfile -t files < <(suite_files "$args")
    if ((${#files[@]} == 0)); then
      [ "$visibility" = hidden ] && continue
    fi
    unit_files+=("${files[@]}")
  else
    [ "$visibility" = hidden ] && [ "$kind" = pkt ] && [ ! -f "$args" ] && continue
    need_tapstack=1
  fi
  tests+=("$t")
done
mapfile -t unit_files < <(printf '%s\n' "${unit_files[@]}" | sed '/^$/d' | sort -u)

targets=()
((${#unit_files[@]})) && targets+=("build/grade/tests-$name")
((need_tapstack)) && targets+=(build/grade/tapstack)
echo "grade: $name, $A_TITLE: building ($(IFS=' '; echo "${targets[*]}"))"
build_ok=1
if ! ${MAKE:-make} --no-print-directory MODE=grade GRADE_TESTS="${unit_files[*]}" "${targets[@]}" \
  >"$out/build.log" 2>&1; then
  build_ok=0
  echo "grade: build FAILED; the compiler's first errors ($out/build.log has all):"
  grep -m 20 -E 'error|Error' "$out/build.log" | sed 's/^/    /'
fi

# run_test INDEX KIND ARGS: runs one graded test; its output goes to $out/INDEX.log, what a
# student needs to see of a failure to $out/INDEX.fail; the status says pass (0) or fail.
run_test() {
  local i=$1 kind=$2 args=$3 log=$out/$1.log fail=$out/$1.fail status
  case $kind in
  unit)
    timeout 300 "build/grade/tests-$name" --gtest_filter="$args" --gtest_color=no >"$log" 2>&1
    status=$?
    if ! grep -q '^\[==========\] [0-9]* tests\{0,1\} from .* ran\.' "$log"; then
      { echo "the test binary stopped before its summary (status $status: a crash, an assertion or the"
        echo "300 s timeout); the end of its output:"; tail -n 60 "$log"; } >"$fail"
      return 1
    fi
    if grep -q '^\[==========\] 0 tests from' "$log"; then
      echo "no test matches the filter '$args'" >"$fail"
      return 1
    fi
    ((status == 0)) && return 0
    # Each failed test from its [ RUN ] line to its [ FAILED ] line: the expectation and the
    # transcript the test printed.
    awk '/^\[ RUN      \]/ { buf = $0 "\n"; next }
         /^\[       OK \]/ { buf = ""; next }
         /^\[  FAILED  \] [A-Za-z_].* \([0-9]+ ms\)$/ { printf "%s%s\n", buf, $0; buf = ""; next }
         buf != "" { buf = buf $0 "\n" }' "$log" | head -n 400 >"$fail"
    return 1
    ;;
  simulate)
    local scenario=${args% *} expect=${args#* }
    if ! timeout 60 build/grade/tapstack --simulate "$scenario" --pcap "$out/$i.pcap" >"$log" 2>&1; then
      { echo "tapstack --simulate $scenario did not complete; its output:"; tail -n 60 "$log"; } >"$fail"
      return 1
    fi
    if ! timeout 60 build/grade/tapstack annotate "$out/$i.pcap" --check-article --expect "$expect" \
      >>"$log" 2>&1; then
      { echo "tapstack --simulate $scenario: the capture fails the article check (expected $expect):"
        tail -n 60 "$log"; } >"$fail"
      return 1
    fi
    return 0
    ;;
  pkt)
    if ! timeout 120 build/grade/tapstack pkt "$args" >"$log" 2>&1; then
      { echo "tapstack pkt $args failed:"; tail -n 60 "$log"; } >"$fail"
      return 1
    fi
    return 0
    ;;
  esac
}

json_string() {  # the text as a JSON string: quotes, backslashes and control characters escaped
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$(printf '%s' "$s" | tr -d '\000-\037\177')"
}

score=0 total=0 i=0
declare -a lines=() json=()
for t in "${tests[@]}"; do
  i=$((i + 1))
  IFS='|' read -r points visibility kind args <<<"$t"
  label="$kind $args"
  [ "$visibility" = hidden ] && label="$label (hidden)"
  total=$((total + points))
  if ((build_ok)) && run_test "$i" "$kind" "$args"; then
    score=$((score + points))
    lines+=("$(printf '  PASS  %2d/%-2d  %s' "$points" "$points" "$label")")
    output="passed"
  else
    ((build_ok)) || echo "the tree does not build: see $out/build.log" >"$out/$i.fail"
    lines+=("$(printf '  FAIL  %2d/%-2d  %s' 0 "$points" "$label")")
    echo
    echo "---- FAIL: $label (0 of $points points)"
    cat "$out/$i.fail"
    output=$(cat "$out/$i.fail")
  fi
  [ "$output" = passed ] && got=$points || got=0
  json+=("{\"name\": $(json_string "$label"), \"score\": $got, \"max_score\": $points, \"output\": $(json_string "$output")}")
done

{
  echo "{\"score\": $score,"
  echo " \"output\": $(json_string "$name: $A_TITLE"),"
  echo " \"tests\": ["
  for ((k = 0; k < ${#json[@]}; k++)); do
    printf '  %s%s\n' "${json[k]}" "$([ $((k + 1)) -lt ${#json[@]} ] && echo ,)"
  done
  echo " ]}"
} >build/grade/results.json

echo
echo "grade: $name, $A_TITLE (results: build/grade/results.json)"
printf '%s\n' "${lines[@]}"
echo "score: $score/$total"
exit 0
