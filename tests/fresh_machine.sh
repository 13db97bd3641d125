#!/usr/bin/env bash
# The fresh-machine test: the README's two commands, exactly as written, on a minimal Debian root
# that has nothing but what the README says a fresh machine needs first (git and make).
#
#   sudo tests/fresh_machine.sh [--keep] [--run 'COMMAND']...
#
# 1. debootstrap --variant=minbase builds a Debian root (this machine's release, from the archive
#    this machine's apt uses; its apt sources and settings are copied in, as on a new machine of
#    this kind), and apt-get adds git and make.
# 2. The repository's committed HEAD is cloned into it with git (a fresh clone, as a user's).
# 3. The root becomes a mount point of its own (without that, `ip netns add` fails inside with
#    "mount --make-rslave /: Invalid argument"), with /proc, /sys, /dev and a fresh /run.
# 4. In a root shell inside it (chroot), the README's commands run one after the other
#    (tests/readme_commands.sh; no sudo in a minimal root, so a root shell runs them without it).
# Passes when both exit 0 and the test command printed `unit: N passed, 0 failed` and
# `e2e: N passed, 0 failed`; the last line is `fresh-machine: PASS ...` or `fresh-machine: FAIL ...`.
# The commands' whole output is kept in build/fresh-machine/cmdN.log.
# Whatever happens, processes left inside the root are stopped, every mount below it is undone and
# checked gone, and only then is the root removed (--keep leaves it, unmounted, for a look).
# --run runs the given commands instead of the README's (say `make fuzz FUZZ_SECONDS=5`, to see
# that another target also installs and builds what it needs on a machine with nothing).
# FRESH_MACHINE_DIR (default /var/tmp) is where the root is made: it needs about 3 GB.
# Needs root and debootstrap (installed when missing: scripts/install-deps.sh --fresh-machine).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
keep=0
commands=()
while (($#)); do
  case "$1" in
    --keep) keep=1 ;;
    --run) [ -n "${2:-}" ] || { echo "fresh_machine.sh: --run takes a command" >&2; exit 2; }
      commands+=("$2"); shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "fresh_machine.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "fresh_machine.sh: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
"$TOP/scripts/install-deps.sh" --fresh-machine

log() { printf 'fresh-machine: %s (%d s)\n' "$*" "$SECONDS"; }
verdict() { echo "fresh-machine: $*"; }

root=$(mktemp -d "${FRESH_MACHINE_DIR:-/var/tmp}/tapstack-fresh.XXXXXX")
root=$(cd "$root" && pwd -P)
# The commands' whole output stays in build/fresh-machine/ (ignored by git) for a look afterwards.
work=$TOP/build/fresh-machine
rm -rf "$work"
mkdir -p "$work"

# Mount points at or below $root, deepest first.
mounts_below() {
  awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}
# PIDs whose root directory is $root: started inside it, so ours.
pids_inside() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && echo "${p#/proc/}"
  done
  return 0
}

cleanup() {
  local status=$? pid m i left
  trap - EXIT INT TERM
  set +e
  # Anything still running in the root was started by this test: TERM, then KILL.
  left=$(pids_inside)
  if [ -n "$left" ]; then
    echo "fresh-machine: stopping processes left in the root: $(echo $left)" >&2
    for pid in $left; do kill -TERM "$pid" 2>/dev/null; done
    for ((i = 0; i < 50; i++)); do [ -z "$(pids_inside)" ] && break; sleep 0.1; done
    for pid in $(pids_inside); do kill -KILL "$pid" 2>/dev/null; done
    sleep 0.2
  fi
  # Unmount deepest first, a few rounds (a busy mount may free up once its process is gone).
  for ((i = 0; i < 5; i++)); do
    [ -z "$(mounts_below)" ] && break
    for m in $(mounts_below); do umount "$m" 2>/dev/null || true; done
  done
  if [ -n "$(mounts_below)" ]; then
    echo "fresh-machine: still mounted below $root, so it is NOT removed: $(mounts_below | tr '\n' ' ')" >&2
    ((status)) || status=1
  elif ((keep)); then
    echo "fresh-machine: kept the root (unmounted) at $root" >&2
  else
    rm -rf --one-file-system "$root"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# This machine's release and the archive its apt uses (deb822 .sources or one-line .list files).
. /etc/os-release
suite=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
mirror=$(
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }
         $1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; break } }' "$f"
  done | grep -Ev -- '-security|-updates' | grep -E '/debian/?$' | head -n 1 || true
)
[ -n "$mirror" ] || { verdict "FAIL: found no Debian archive in this machine's apt sources"; exit 1; }

log "debootstrap --variant=minbase $suite into $root"
if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 20 "$work/debootstrap.log"
  verdict "FAIL: debootstrap failed"
  exit 1
fi
# The same apt sources and settings as this machine (a new machine of this kind has them).
rm -f "$root"/etc/apt/sources.list
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources /etc/apt/apt.conf.d/*; do
  [ -f "$f" ] && cp "$f" "$root$f"
done
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

# Its own mount point, then /proc, /sys, /dev (the host's, via a bind: never removed) and /run.
mount --bind "$root" "$root"
mount --make-private "$root"  # nothing mounted below it propagates back to this machine's /
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
mount -t tmpfs -o mode=755 tmpfs "$root/run"
mkdir -p "$root/run/lock"

# A login-like root shell: a clean environment, CI passed on (a missing tool fails there). It runs
# in the background and is waited for, so that a TERM or INT reaches the traps at once (bash
# would hold them until a foreground command ends) and the cleanup stops it.
inside() {
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 CI="${CI:-}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash -c "$1" &
  wait $!
}

log "apt-get install git make (all the README asks for first)"
if ! inside 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends git make' \
  >"$work/apt.log" 2>&1; then
  tail -n 20 "$work/apt.log"
  verdict "FAIL: apt-get install git make failed"
  exit 1
fi

log "git clone of this repository's HEAD ($(git -C "$TOP" rev-parse --short HEAD))"
mkdir -p "$root/mnt/source"
mount --bind "$TOP" "$root/mnt/source"
mount -o remount,bind,ro "$root/mnt/source"
inside 'git clone -q /mnt/source /root/tapstack' || { verdict "FAIL: git clone failed inside the root"; exit 1; }
umount "$root/mnt/source"

failed=()
n=0
readme=0
if ((${#commands[@]} == 0)); then
  readme=1
  mapfile -t commands < <("$TOP/tests/readme_commands.sh" list)
fi
for cmd in "${commands[@]}"; do
  n=$((n + 1))
  log "command $n: $cmd"
  status=0
  if ((readme)); then
    inside "cd /root/tapstack && tests/readme_commands.sh run $n" >"$work/cmd$n.log" 2>&1 </dev/null || status=$?
  else
    inside "cd /root/tapstack && $cmd" >"$work/cmd$n.log" 2>&1 </dev/null || status=$?
  fi
  echo "---- last lines of '$cmd' (exit status $status):"
  tail -n 15 "$work/cmd$n.log" | sed 's/^/    /'
  if ((status != 0)); then
    failed+=("'$cmd' exited $status")
    grep -E '^(FAIL|SKIP) |^lint: FAIL|\*\*\* ' "$work/cmd$n.log" | head -n 20 | sed 's/^/    /'
  fi
  if [[ $cmd == *"make test"* ]]; then
    grep -qE '^unit: [0-9]+ passed, 0 failed' "$work/cmd$n.log" || failed+=("no 'unit: N passed, 0 failed'")
    grep -qE '^e2e: [0-9]+ passed, 0 failed' "$work/cmd$n.log" || failed+=("no 'e2e: N passed, 0 failed'")
    grep -qE '^\*\*\* SKIPPED' "$work/cmd$n.log" && failed+=("integration tests were skipped")
  fi
done
((readme == 0 || n == 2)) || failed+=("the README lists $n commands, not 2")

if ((${#failed[@]})); then
  verdict "FAIL in $SECONDS s: $(printf '%s; ' "${failed[@]}")"
  exit 1
fi
counts=$(grep -hE '^(unit|e2e): [0-9]+ passed' "$work"/cmd*.log | tr '\n' ' ' || true)
verdict "PASS in $SECONDS s: a minimal $PRETTY_NAME root with git and make, $( ((readme)) && echo "the README's commands" || echo "${commands[*]}"); $counts"
