# shellcheck shell=bash
# Helpers for scripts that run tapstack in a network namespace of their own (sourced, not run).
# Everything they create is removed on exit; they stop only the processes they started, by PID.
#   ns_create PURPOSE         -> sets NS (tapstack-<pid>-<purpose>), lo up; deleted on EXIT
#   ns_tap                    -> tap0 in $NS, kernel side 10.0.0.1/24 (scripts/setup_tap.sh)
#   ns_start_tapstack LOG ARGS...  -> starts build/tapstack in $NS, sets TAPSTACK_PID, waits for "listening on"
#   ns_stop_tapstack          -> SIGINT, waits (bounded) for a clean exit; returns its exit status
#   ns_exec CMD...            -> runs CMD inside $NS

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NS=""
TAPSTACK_PID=""
_ns_pids=()

_ns_cleanup() {
  local pid
  for pid in "${_ns_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${_ns_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -n "$NS" ]; then ip netns del "$NS" 2>/dev/null || true; fi
}

ns_create() {
  NS="tapstack-$$-${1:-test}"
  ip netns add "$NS"
  trap _ns_cleanup EXIT
  trap 'exit 130' INT TERM
  ip -n "$NS" link set lo up
}

ns_exec() { ip netns exec "$NS" "$@"; }

ns_tap() { "$TOP/scripts/setup_tap.sh" --netns "$NS" --user root "$@" >/dev/null; }

# Starts tapstack in the background (never inside $(...) or a pipeline: that would keep a pipe
# open and hang the caller), output to LOG and LOG.out, and waits up to 10 s for it to be ready.
ns_start_tapstack() {
  local log=$1; shift
  ip netns exec "$NS" "$TOP/build/tapstack" "$@" >"$log.out" 2>"$log" </dev/null &
  TAPSTACK_PID=$!
  _ns_pids+=("$TAPSTACK_PID")
  for _ in $(seq 100); do
    grep -q "^tapstack: listening on" "$log" 2>/dev/null && return 0
    kill -0 "$TAPSTACK_PID" 2>/dev/null || { echo "tapstack exited early:" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "tapstack did not become ready in 10 s" >&2
  return 1
}

ns_stop_tapstack() {
  [ -n "$TAPSTACK_PID" ] || return 0
  kill -INT "$TAPSTACK_PID" 2>/dev/null || true
  local status=0
  for _ in $(seq 50); do kill -0 "$TAPSTACK_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$TAPSTACK_PID" 2>/dev/null; then
    echo "tapstack did not exit within 5 s of SIGINT" >&2
    kill -KILL "$TAPSTACK_PID" 2>/dev/null || true
    status=124
  fi
  wait "$TAPSTACK_PID" 2>/dev/null || status=$?
  TAPSTACK_PID=""
  return "$status"
}

# Resident memory of a process, in KiB.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
