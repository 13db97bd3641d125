# shellcheck shell=bash
# Network-namespace helpers for tapstack's demo and integration tests. Source this file; do not
# run it. Everything here happens inside a namespace the calling script creates, and all of it is
# undone when the script exits (normally, by error, or on SIGINT/SIGTERM):
#
#   ns_create PURPOSE             creates namespace tapstack-$$-PURPOSE (in $NS) with lo up, and
#                                 installs the cleanup trap
#   ns_at_exit 'COMMAND'          also runs COMMAND at cleanup (before the namespace goes)
#   ns_exec CMD ARGS...           runs CMD inside $NS (put `timeout N` in front of anything that
#                                 could hang)
#   ns_tap [setup_tap.sh ARGS]    tap0 inside $NS, kernel side 10.0.0.1/24, up
#   ns_track PID                  PID is ours: cleanup stops it (by that PID, nothing else)
#   ns_spawn LOG CMD ARGS...      CMD in $NS in the background (stdout and stderr to LOG, stdin
#                                 /dev/null); SPAWNED_PID is CMD itself, tracked for cleanup
#   ns_start_tapstack PREFIX ARGS...
#                                 starts build/tapstack ARGS in $NS in the background, stdout to
#                                 PREFIX.out and stderr to PREFIX.err; sets TAPSTACK_PID; waits at
#                                 most TAPSTACK_READY_SECONDS (10) for "tapstack: listening on"
#   ns_stop_tapstack [SECONDS]    SIGINT, then waits at most SECONDS (10) for the exit; returns
#                                 tapstack's exit status (124 if it had to be killed)
#   rss_kib PID                   VmRSS of PID in KiB
#
# TAPSTACK_BIN overrides the program (e.g. TAPSTACK_BIN=build/asan/tapstack).
# Rules kept here (docs: /work/shared/PITFALLS.md): a daemon is never started inside $(...) or a
# pipeline, every wait has a bound, and only PIDs this script started are ever signalled.

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TAPSTACK_BIN=${TAPSTACK_BIN:-$TOP/build/tapstack}
TAPSTACK_READY_SECONDS=${TAPSTACK_READY_SECONDS:-10}
NS=""
TAPSTACK_PID=""
SPAWNED_PID=""
_NS_PIDS=()
_NS_EXIT_HOOKS=()

# Stops a PID we started: SIGTERM, up to 5 s, then SIGKILL. Never anything but that PID.
_ns_kill_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

_ns_cleanup() {
  local status=$? pid hook
  trap - EXIT INT TERM
  for pid in "${_NS_PIDS[@]}"; do _ns_kill_pid "$pid"; done
  # Whatever still runs inside our namespace was started by this script (a child of a tracked
  # process, say): it goes too, before the namespace does.
  if [ -n "$NS" ] && [ -e "/run/netns/$NS" ]; then
    for pid in $(ip netns pids "$NS" 2>/dev/null); do _ns_kill_pid "$pid"; done
  fi
  for hook in "${_NS_EXIT_HOOKS[@]}"; do eval "$hook" || true; done
  if [ -n "$NS" ] && [ -e "/run/netns/$NS" ]; then
    ip netns del "$NS" 2>/dev/null || echo "warning: could not delete network namespace $NS" >&2
  fi
  exit "$status"
}

ns_at_exit() { _NS_EXIT_HOOKS+=("$1"); }
ns_track() { _NS_PIDS+=("$1"); }

ns_create() {
  local purpose=${1:-run}
  [ "$(id -u)" = 0 ] || { echo "ns_create: network namespaces need root" >&2; return 1; }
  NS="tapstack-$$-$purpose"
  # Install the trap first: from here on, whatever happens, the namespace goes away.
  trap _ns_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ip netns add "$NS" || { NS=""; return 1; }
  ip -n "$NS" link set lo up
}

ns_exec() { ip netns exec "$NS" "$@"; }

# Not `ns_exec CMD &`: that backgrounds a subshell running the function, so $! would be the
# subshell and stopping it would leave CMD running. Here $! is CMD (ip netns exec execs it).
ns_spawn() {
  local log=$1
  shift
  ip netns exec "$NS" "$@" >"$log" 2>&1 </dev/null &
  SPAWNED_PID=$!
  ns_track "$SPAWNED_PID"
}

ns_tap() {
  "$TOP/scripts/setup_tap.sh" --netns "$NS" --user "$(id -un)" "$@" >/dev/null
}

# `ip netns exec` execs the program after entering the namespace, so $! is tapstack itself:
# signals and /proc/$TAPSTACK_PID/status reach the right process.
ns_start_tapstack() {
  local prefix=$1 i
  shift
  : >"$prefix.out"
  : >"$prefix.err"
  ip netns exec "$NS" "$TAPSTACK_BIN" "$@" >"$prefix.out" 2>"$prefix.err" </dev/null &
  TAPSTACK_PID=$!
  ns_track "$TAPSTACK_PID"
  for ((i = 0; i < TAPSTACK_READY_SECONDS * 10; i++)); do
    if grep -q '^tapstack: listening on' "$prefix.err"; then return 0; fi
    if ! kill -0 "$TAPSTACK_PID" 2>/dev/null; then
      wait "$TAPSTACK_PID" 2>/dev/null
      echo "tapstack exited (status $?) before it was ready; its stderr:" >&2
      sed 's/^/    /' "$prefix.err" >&2
      TAPSTACK_PID=""
      return 1
    fi
    sleep 0.1
  done
  echo "tapstack printed no 'tapstack: listening on' line within $TAPSTACK_READY_SECONDS s" >&2
  return 1
}

ns_stop_tapstack() {
  local limit=${1:-10} pid=$TAPSTACK_PID status i
  [ -n "$pid" ] || return 0
  TAPSTACK_PID=""
  kill -INT "$pid" 2>/dev/null || true
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "tapstack (PID $pid) was still running $limit s after SIGINT; killed" >&2
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null
    return 124
  fi
  wait "$pid" 2>/dev/null
  status=$?
  return "$status"
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
