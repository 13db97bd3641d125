#!/usr/bin/env bash
# Checks the code references in the docs: every `path/file.cc: Name::function` (or .hh) written
# in a Markdown file must name a file that exists and still defines that function (its last name
# followed by "(" somewhere in the file). Run by `make lint`.
#   scripts/check_doc_refs.sh [FILE.md ...]   default: docs/*.md
#   scripts/check_doc_refs.sh --self-test     shows that a bad reference is caught
set -euo pipefail
cd "$(dirname "$0")/.."

check() {
  local doc ref file name fn bad=0 count=0
  for doc in "$@"; do
    while IFS= read -r ref; do
      file=${ref%%: *}
      name=${ref#*: }
      fn=${name##*::}
      count=$((count + 1))
      if [ ! -f "$file" ]; then
        echo "$doc: \`$ref\`: there is no file $file" >&2
        bad=1
      elif ! grep -qE "(^|[^A-Za-z0-9_])$fn\(" "$file"; then
        echo "$doc: \`$ref\`: $file does not define $fn()" >&2
        bad=1
      fi
    done < <(grep -oE '`[A-Za-z0-9_./-]+\.(cc|hh): [A-Za-z_][A-Za-z0-9_:]*`' "$doc" | tr -d '`')
  done
  ((bad == 0)) || return 1
  echo "doc references: $count checked in $# files, all found"
}

if [ "${1:-}" = --self-test ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  printf 'fine: `stack/tcp/tcp_input.cc: TcpConnection::process`\n' >"$tmp/good.md"
  printf 'gone: `stack/tcp/tcp_input.cc: TcpConnection::no_such_function`\n' >"$tmp/bad-function.md"
  printf 'gone: `stack/tcp/no_such_file.cc: TcpConnection::process`\n' >"$tmp/bad-file.md"
  check "$tmp/good.md" >/dev/null || { echo "self-test: a good reference was refused" >&2; exit 1; }
  for f in bad-function bad-file; do
    if check "$tmp/$f.md" >/dev/null 2>&1; then echo "self-test: $f.md was not caught" >&2; exit 1; fi
  done
  echo "doc references: self-test passed (a missing function and a missing file are caught)"
  exit 0
fi

if (($# == 0)); then set -- docs/*.md; fi
check "$@"
