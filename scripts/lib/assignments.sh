# shellcheck shell=bash
# The course's manifests, read for scripts/assignment.sh and scripts/grade.sh. Source this file
# from the tree's root; do not run it. docs/teaching.md ("Writing an assignment") describes the
# format; one manifest, docs/assignments/NAME.assignment, holds lines of
#   title   WORDS...                 what `assignment.sh list` prints beside the name
#   order   N                        the place in the course (list's order; --cumulative stubs
#                                    every assignment of a lower order too)
#   file    PATH                     a file holding NAME's marked regions (one line each)
#   test    POINTS KIND ARGS...      a graded test; KIND is unit (ARGS: a GoogleTest filter),
#                                    simulate (SCENARIO EXPECT: `tapstack --simulate SCENARIO`,
#                                    then `annotate --check-article --expect EXPECT` on its
#                                    capture) or pkt (FILE: `tapstack pkt FILE` must pass)
#   hidden  POINTS KIND ARGS...      the same, for a test kept out of starter trees (its source,
#                                    for unit, in files that define nothing else)
# and `#` comments and blank lines.

ASSIGNMENT_DIR=docs/assignments

# The names of the assignments, in course order (then by name).
assignment_names() {
  local f name order
  for f in "$ASSIGNMENT_DIR"/*.assignment; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .assignment)
    order=$(awk '$1 == "order" { print $2; exit }' "$f")
    printf '%s %s\n' "${order:-0}" "$name"
  done | sort -k1,1n -k2,2 | awk '{ print $2 }'
}

# read_manifest NAME: sets A_TITLE, A_ORDER, A_FILES (paths) and A_TESTS (one entry per
# graded test: "POINTS|visible or hidden|KIND|ARGS"). Prints a clear error and returns 1 when the
# manifest is missing or a line is wrong.
read_manifest() {
  local name=$1 file="$ASSIGNMENT_DIR/$1.assignment" n=0 key rest points kind args
  A_TITLE="" A_ORDER="" A_FILES=() A_TESTS=()
  if [[ ! $name =~ ^[a-z][a-z0-9_]*$ ]] || [ ! -f "$file" ]; then
    echo "no assignment '$name' (scripts/assignment.sh list prints them)" >&2
    return 1
  fi
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line%%#*}
    read -r key rest <<<"$line"
    [ -n "$key" ] || continue
    case $key in
    title) A_TITLE=$rest ;;
    order)
      [[ $rest =~ ^[0-9]+$ ]] || { echo "$file:$n: order must be a number (got '$rest')" >&2; return 1; }
      A_ORDER=$rest ;;
    file)
      [ -f "$rest" ] || { echo "$file:$n: no file '$rest'" >&2; return 1; }
      A_FILES+=("$rest") ;;
    test | hidden)
      read -r points kind args <<<"$rest"
      [[ $points =~ ^[1-9][0-9]*$ ]] || { echo "$file:$n: points must be a positive number (got '$points')" >&2; return 1; }
      case $kind in
      unit | pkt) [ -n "$args" ] || { echo "$file:$n: $kind needs an argument" >&2; return 1; } ;;
      simulate) [[ $args =~ ^[a-z-]+\ [a-z-]+$ ]] || { echo "$file:$n: simulate needs SCENARIO EXPECT" >&2; return 1; } ;;
      *) echo "$file:$n: a test is unit, simulate or pkt (got '$kind')" >&2; return 1 ;;
      esac
      A_TESTS+=("$points|$([ "$key" = test ] && echo visible || echo hidden)|$kind|$args") ;;
    *) echo "$file:$n: unknown key '$key' (title, order, file, test, hidden)" >&2; return 1 ;;
    esac
  done <"$file"
  [ -n "$A_TITLE" ] || { echo "$file: no title" >&2; return 1; }
  [ -n "$A_ORDER" ] || { echo "$file: no order" >&2; return 1; }
  ((${#A_FILES[@]} > 0)) || { echo "$file: no file" >&2; return 1; }
  ((${#A_TESTS[@]} > 0)) || { echo "$file: no test" >&2; return 1; }
  return 0
}

# The unit test sources that define the suites a GoogleTest filter names (Suite.Test, Suite.*,
# Prefix/Suite.*; a negative part after '-' is ignored).
suite_files() {
  local filter=${1%%-*} pattern suite
  local -a suites=()
  IFS=: read -ra patterns <<<"$filter"
  for pattern in "${patterns[@]}"; do
    suite=${pattern%%.*}
    suite=${suite##*/}
    [ -n "$suite" ] && suites+=("$suite")
  done
  ((${#suites[@]})) || return 0
  for suite in "${suites[@]}"; do
    grep -lE "^TEST(_F|_P)?\(${suite//\*/[A-Za-z0-9_]*}," tests/unit/*/*.cc 2>/dev/null
  done | sort -u
}
