#!/usr/bin/env bash
# The README's two commands for a fresh machine, read from the README itself (the sh block under
# "## A fresh Debian machine"), so that CI and tests/fresh_machine.sh run them exactly as a user
# reads them, and a change to the README changes what is tested.
#   tests/readme_commands.sh list       one command a line, as written (comments dropped)
#   tests/readme_commands.sh run N      runs the Nth (from 1) with bash, in the current directory;
#                                       as root on a machine without sudo, a leading `sudo ` is
#                                       dropped (a root shell needs none); exits with its status
set -euo pipefail
readme=$(cd "$(dirname "$0")/.." && pwd)/README.md

list() {
  awk '
    /^## A fresh Debian machine/ { section = 1; next }
    section && /^## / { exit }
    section && /^```/ { if (inblock) exit; inblock = 1; next }
    inblock {
      sub(/[ \t]+#.*$/, "")
      if ($0 ~ /[^ \t]/) print
    }' "$readme"
}

case "${1:-}" in
  list)
    list
    ;;
  run)
    [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "readme_commands.sh: run takes a number from 1" >&2; exit 2; }
    cmd=$(list | sed -n "${2}p")
    [ -n "$cmd" ] || { echo "readme_commands.sh: the README has no command $2 under '## A fresh Debian machine'" >&2; exit 2; }
    if [[ $cmd == "sudo "* ]] && [ "$(id -u)" = 0 ] && ! command -v sudo >/dev/null 2>&1; then
      cmd=${cmd#sudo }
    fi
    echo "readme_commands.sh: $cmd"
    exec bash -c "$cmd"
    ;;
  *)
    sed -n '2,8p' "$0" >&2
    exit 2
    ;;
esac
