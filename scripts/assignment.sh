#!/usr/bin/env bash
# The course in a box (docs/teaching.md). Assignments are regions of the reference code, marked
#   // ASSIGNMENT NAME: BEGIN     the reference code, as it runs in this tree
#   // ASSIGNMENT NAME: STUB      the stub, written as comment lines ("// " taken off in a starter tree)
#   // ASSIGNMENT NAME: END
# and described by docs/assignments/NAME.assignment (title, order, files, graded tests; format in
# scripts/lib/assignments.sh) beside the handout docs/assignments/NAME.md.
#   scripts/assignment.sh list                  NAME  title, one a line, in course order
#   scripts/assignment.sh make NAME DIR [--solved-before | --cumulative] [--with-hidden]
#        a complete, buildable starter tree in DIR (new or empty): the tracked files, NAME's
#        regions replaced by their stubs (--cumulative: every assignment before it too; the
#        default, --solved-before, leaves those solved), NAME's handout and manifest, no other
#        marker, no reference body, no git history, none of the paths in
#        docs/assignments/starter-exclude.txt (golden traces, fuzz corpora) and no hidden test
#        (--with-hidden keeps them: the tree an autograder grades in)
#   scripts/assignment.sh check                 for every assignment: the reference grades full
#        marks; its starter tree builds, grades below full marks, and holds no reference body
#   scripts/assignment.sh lint                  the markers are well formed and every manifest
#        names exactly the files that hold its regions (make lint runs it)
# Exit status 0 on success, 1 when a check fails, 2 for a usage error.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
# shellcheck source=scripts/lib/assignments.sh
source scripts/lib/assignments.sh

usage() {
  sed -n '8,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() {
  echo "assignment.sh: $*" >&2
  exit 2
}

# The files that hold marked regions (tracked, read from the working tree; none in a starter tree).
marked_files() {
  git grep -l -E '^[[:space:]]*// ASSIGNMENT [a-z][a-z0-9_]*: BEGIN$' -- 'stack' 'netdev' 'apps' 'tests' 2>/dev/null
}

# transform FILE "NAMES...": FILE with the regions of NAMES replaced by their stubs (the stub's
# comment lines without their "// "), and the markers of every other region taken out with its
# stub, leaving its reference code. Checks the markers' structure: errors name FILE:LINE.
transform() {
  awk -v holes="$2" -v file="$1" '
    function fail(msg) { printf "%s:%d: %s\n", file, FNR, msg > "/dev/stderr"; bad = 1; exit 1 }
    BEGIN { n = split(holes, h, " "); for (i = 1; i <= n; i++) hole[h[i]] = 1; state = "code" }
    /^[ \t]*\/\/ ASSIGNMENT / {
      if ($0 !~ /^[ \t]*\/\/ ASSIGNMENT [a-z][a-z0-9_]*: (BEGIN|STUB|END)$/)
        fail("a marker is // ASSIGNMENT name: BEGIN, STUB or END")
      indent = $0; sub(/\/\/.*$/, "", indent)
      name = $0; sub(/^[ \t]*\/\/ ASSIGNMENT /, "", name); what = name
      sub(/:.*$/, "", name); sub(/^.*: /, "", what)
      if (what == "BEGIN") {
        if (state != "code") fail("BEGIN of " name " inside the region of " current)
        current = name; state = "reference"
        if (name in hole) print indent "// ASSIGNMENT " name ": your code here (docs/assignments/" name ".md)"
        next
      }
      if (name != current) fail(what " of " name " outside its region")
      if (what == "STUB") {
        if (state != "reference") fail("a second STUB for " name)
        state = "stub"; next
      }
      if (state != "stub") fail("END of " name " without its STUB")
      if (name in hole) print indent "// ASSIGNMENT " name ": END"
      state = "code"; next
    }
    state == "code" { print; next }
    state == "reference" { if (!(current in hole)) print; next }
    {  # the stub
      if ($0 !~ /^[ \t]*\/\/( |$)/) fail("a line of the stub of " current " is not a // comment")
      if (current in hole) { line = $0; sub(/\/\/ ?/, "", line); if (line ~ /^[ \t]*$/) line = ""; print line }
    }
    END { if (!bad && state != "code") { FNR = NR; fail("the region of " current " has no END") } }' "$1"
}

# reference_blocks FILE NAME: the reference code of NAME's regions in FILE, one block a line, its
# lines trimmed and joined by \037 (what a starter tree must not contain).
reference_blocks() {
  awk -v want="$2" '
    $0 ~ "^[ \t]*// ASSIGNMENT " want ": BEGIN$" { on = 1; block = ""; next }
    on && $0 ~ "^[ \t]*// ASSIGNMENT " want ": STUB$" { on = 0; if (block != "") print block; next }
    on { line = $0; gsub(/^[ \t]+|[ \t]+$/, "", line); if (line != "") block = block (block == "" ? "" : "\037") line }' "$1"
}

# holds_block FILE BLOCK: FILE holds BLOCK's lines one after the other (indentation and blank
# lines aside).
holds_block() {
  BLOCK=$2 awk '
    { line = $0; gsub(/^[ \t]+|[ \t]+$/, "", line); if (line != "") text = text line "\037" }
    END { exit index(text, ENVIRON["BLOCK"] "\037") ? 0 : 1 }' "$1"
}

cmd_list() {
  local n
  for n in $(assignment_names); do
    read_manifest "$n" || exit 1
    printf '%-14s %s\n' "$n" "$A_TITLE"
  done
}

cmd_lint() {
  local f names n failed=0 out
  if [ -z "$(marked_files)" ]; then
    echo "assignment lint: no marked regions here (a starter tree?): nothing to check"
    return 0
  fi
  declare -A files_of=()
  for f in $(marked_files); do
    out=$(transform "$f" "" 2>&1 >/dev/null) || { echo "$out"; failed=1; continue; }
    names=$(sed -n -E 's|^[[:space:]]*// ASSIGNMENT ([a-z][a-z0-9_]*): BEGIN$|\1|p' "$f" | sort -u)
    for n in $names; do files_of[$n]+="$f "; done
  done
  for n in "${!files_of[@]}"; do
    [ -f "$ASSIGNMENT_DIR/$n.assignment" ] || { echo "regions of '$n' (${files_of[$n]% }) but no $ASSIGNMENT_DIR/$n.assignment"; failed=1; }
  done
  for n in $(assignment_names); do
    read_manifest "$n" || { failed=1; continue; }
    [ -f "$ASSIGNMENT_DIR/$n.md" ] || { echo "$ASSIGNMENT_DIR/$n.assignment: no handout $ASSIGNMENT_DIR/$n.md"; failed=1; }
    local listed marked
    listed=$(printf '%s\n' "${A_FILES[@]}" | sort -u | xargs)
    # shellcheck disable=SC2086 # a list of paths, one word each
    marked=$(printf '%s\n' ${files_of[$n]:-} | sort -u | xargs)
    if [ "$listed" != "$marked" ]; then
      echo "$ASSIGNMENT_DIR/$n.assignment: lists the files '$listed', its regions are in '$marked'"
      failed=1
    fi
  done
  return $failed
}

cmd_make() {
  local name="" dir="" mode=solved-before hidden=0 arg
  for arg; do
    case $arg in
    --cumulative) mode=cumulative ;;
    --solved-before) mode=solved-before ;;
    --with-hidden) hidden=1 ;;
    -*) die "make: unknown option '$arg'" ;;
    *) if [ -z "$name" ]; then name=$arg; elif [ -z "$dir" ]; then dir=$arg; else die "make: too many arguments"; fi ;;
    esac
  done
  if [ -z "$name" ] || [ -z "$dir" ]; then
    die "usage: scripts/assignment.sh make NAME DIR [--solved-before|--cumulative] [--with-hidden]"
  fi
  git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
    die "make: starter trees are made from the reference repository (a git checkout), not from a starter tree"
  read_manifest "$name" || exit 2
  local title=$A_TITLE
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then die "make: $dir exists and is not empty"; fi
  mkdir -p "$dir" || die "make: cannot create $dir"

  # The assignments whose regions become holes, and whose handouts and manifests go along.
  local holes=$name order=$A_ORDER n
  if [ "$mode" = cumulative ]; then
    for n in $(assignment_names); do
      [ "$n" = "$name" ] && continue
      read_manifest "$n" || exit 2
      ((A_ORDER < order)) && holes+=" $n"
    done
  fi
  # What a starter tree leaves out: the other assignments' manifests and handouts, the paths of
  # starter-exclude.txt and, unless --with-hidden, the files of hidden tests.
  local -a skip=()
  for n in $(assignment_names); do
    [[ " $holes " == *" $n "* ]] || skip+=("$ASSIGNMENT_DIR/$n.assignment" "$ASSIGNMENT_DIR/$n.md")
    if ((!hidden)); then
      read_manifest "$n" || exit 2
      local t points vis kind args
      for t in "${A_TESTS[@]}"; do
        IFS='|' read -r points vis kind args <<<"$t"
        [ "$vis" = hidden ] || continue
        if [ "$kind" = unit ]; then mapfile -t -O "${#skip[@]}" skip < <(suite_files "$args"); else skip+=("$args"); fi
      done
    fi
  done
  local exclude=$ASSIGNMENT_DIR/starter-exclude.txt
  # tar keeps every file's time: a build directory copied from the reference (check does) then
  # rebuilds only what the holes changed.
  git ls-files -z | tr '\0' '\n' | awk -v skipped="$(printf '%s\n' "${skip[@]}")" -v exclude="$exclude" '
    BEGIN { n = split(skipped, s, "\n"); for (i = 1; i <= n; i++) if (s[i] != "") skip[s[i]] = 1
            while ((getline line < exclude) > 0) { sub(/#.*/, "", line); gsub(/[ \t]/, "", line); if (line != "") prefix[line] = 1 } }
    { if ($0 in skip) next
      for (p in prefix) if (index($0, p) == 1) next
      if (system("test -e \"" $0 "\"") == 0) print }' >"$dir/.files"
  tar -cf - -T "$dir/.files" | tar -C "$dir" -xf - || die "make: copying the tracked files failed"
  rm -f "$dir/.files"

  local f changed
  for f in $(marked_files); do
    [ -f "$dir/$f" ] || continue
    transform "$f" "$holes" >"$dir/$f" || die "make: $f: the markers are broken (scripts/assignment.sh lint)"
    changed=0
    for n in $holes; do grep -qE "^[[:space:]]*// ASSIGNMENT $n: BEGIN$" "$f" && changed=1; done
    # Only comments were taken out: the reference's objects are still right for it.
    ((changed)) || touch -r "$f" "$dir/$f"
  done
  echo "assignment.sh: $dir: $name ($title), holes: $holes; handout: $ASSIGNMENT_DIR/$name.md"
}

# One assignment: the reference's grade is full, the starter tree's builds and is not, and the
# starter tree holds no reference body. Prints one line; returns 1 on a failure.
check_one() {
  local name=$1 work=$2 ref tree=$2/$1 got problems="" start=$SECONDS
  ref=$(scripts/grade.sh "$name" 2>&1)
  cp build/grade/results.json "$work/$name-reference.json" 2>/dev/null
  local ref_score=${ref##*score: }
  [[ $ref_score =~ ^([0-9]+)/([0-9]+)$ ]] || ref_score="?/?"
  if [ "${BASH_REMATCH[1]:-x}" != "${BASH_REMATCH[2]:-y}" ]; then
    problems+=" the reference does not get full marks;"
    printf '%s\n' "$ref" >"$work/$name-reference.log"
  fi
  "$0" make "$name" "$tree" >/dev/null || { echo "$name: FAIL: make failed"; return 1; }
  mkdir -p "$tree/build" && cp -a build/grade "$tree/build/" && rm -rf "$tree/build/grade/$name"
  got=$(cd "$tree" && ${MAKE:-make} --no-print-directory -s grade ASSIGNMENT="$name" 2>&1)
  printf '%s\n' "$got" >"$work/$name-starter.log"
  local score=${got##*score: }
  grep -q '^grade: build FAILED' <<<"$got" && problems+=" the starter tree does not build;"
  if [[ $score =~ ^([0-9]+)/([0-9]+)$ ]]; then
    ((BASH_REMATCH[1] < BASH_REMATCH[2])) || problems+=" the starter tree gets full marks (a hole no test sees);"
  else
    problems+=" no score from the starter tree;" score="?/?"
  fi
  # No marker of a region left, and no reference body.
  local f block leaks
  leaks=$(grep -rlE '^[[:space:]]*// ASSIGNMENT [a-z0-9_]+: (BEGIN|STUB)$' "$tree" --include='*.cc' --include='*.hh' 2>/dev/null)
  [ -n "$leaks" ] && problems+=" markers left in $leaks;"
  read_manifest "$name" || return 1
  for f in "${A_FILES[@]}"; do
    while IFS= read -r block; do
      [ -n "$block" ] && holds_block "$tree/$f" "$block" && problems+=" $f holds reference code;"
    done < <(reference_blocks "$f" "$name")
  done
  if [ -n "$problems" ]; then
    printf '%-14s reference %-7s starter %-7s %3d s  FAIL:%s (logs: %s)\n' "$name" "$ref_score" "$score" \
      $((SECONDS - start)) "$problems" "$work"
    return 1
  fi
  printf '%-14s reference %-7s starter %-7s %3d s  ok\n' "$name" "$ref_score" "$score" $((SECONDS - start))
  rm -rf "$tree"
}

cmd_check() {
  if [ -z "$(marked_files)" ]; then
    echo "assignment check: no marked regions here (a starter tree?): nothing to check"
    return 0
  fi
  cmd_lint || { echo "assignment check: FAIL: scripts/assignment.sh lint"; return 1; }
  local work n failed=0 start=$SECONDS
  work=$(mktemp -d "${TMPDIR:-/tmp}/tapstack-assignments.XXXXXX") || die "check: no temporary directory"
  trap 'rm -rf "$work"; exit 130' INT TERM
  for n in $(assignment_names); do check_one "$n" "$work" || failed=1; done
  if ((failed)); then
    echo "assignment check: FAIL ($((SECONDS - start)) s; the logs stay in $work)"
    return 1
  fi
  rm -rf "$work"
  echo "assignment check: ok, $(assignment_names | wc -l) assignments ($((SECONDS - start)) s)"
}

case ${1:-} in
list) cmd_list ;;
lint) cmd_lint && echo "assignment lint: ok" ;;
make) shift; cmd_make "$@" ;;
check) cmd_check ;;
*) usage ;;
esac
