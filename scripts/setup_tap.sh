#!/usr/bin/env bash
# Creates the TAP device tapstack attaches to: tap0, owned by the invoking user, with the kernel's
# side of the link at 10.0.0.1/24 and up. Then ./build/tapstack needs no root and `curl 10.0.0.2`
# reaches it. --down removes it. --netns NAME does all of it inside a network namespace instead
# of this machine's own network (what tapstack's tests and demo do).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: sudo ./scripts/setup_tap.sh [--tap NAME] [--addr A.B.C.D/NN] [--user USER] [--netns NS] [--down]

  --tap NAME        device name                          [tap0]
  --addr CIDR       the kernel's address on the link     [10.0.0.1/24]
  --user USER       owner of the device                  [$SUDO_USER, else the current user]
  --netns NS        work inside the existing network namespace NS
  --down            remove the device instead
  -h, --help        this help

Then run ./build/tapstack (address 10.0.0.2/24 by default) and: curl http://10.0.0.2/
USAGE
}

tap=tap0 addr=10.0.0.1/24 user="${SUDO_USER:-$(id -un)}" netns="" down=0
while (($#)); do
  case "$1" in
    --tap) tap=${2:?--tap needs a name}; shift 2 ;;
    --addr) addr=${2:?--addr needs A.B.C.D/NN}; shift 2 ;;
    --user) user=${2:?--user needs a name}; shift 2 ;;
    --netns) netns=${2:?--netns needs a namespace}; shift 2 ;;
    --down) down=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "setup_tap.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done

die() { echo "setup_tap.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root: sudo $0 $*"
command -v ip >/dev/null || die "the 'ip' command is missing (apt-get install iproute2)"
[ -c /dev/net/tun ] || die "/dev/net/tun is missing (sudo modprobe tun)"
[[ "$tap" =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || die "'$tap' is not a valid device name"
id "$user" >/dev/null 2>&1 || die "no such user: $user"

ipcmd=(ip)
if [ -n "$netns" ]; then
  ip netns list | awk '{print $1}' | grep -qx "$netns" || die "no network namespace '$netns' (ip netns add $netns)"
  ipcmd=(ip -n "$netns")
fi

if ((down)); then
  if "${ipcmd[@]}" link show "$tap" >/dev/null 2>&1; then
    "${ipcmd[@]}" tuntap del dev "$tap" mode tap
    echo "removed $tap${netns:+ in namespace $netns}"
  else
    echo "$tap does not exist${netns:+ in namespace $netns}; nothing to do"
  fi
  exit 0
fi

if ! "${ipcmd[@]}" link show "$tap" >/dev/null 2>&1; then
  "${ipcmd[@]}" tuntap add dev "$tap" mode tap user "$user"
fi
# tapstack speaks IPv4 only: without IPv6 on this link the kernel sends no neighbour discovery
# or MLD frames, and the capture holds just the conversation (as the article's did).
sysctl_cmd=(sysctl)
[ -n "$netns" ] && sysctl_cmd=(ip netns exec "$netns" sysctl)
"${sysctl_cmd[@]}" -q -w "net.ipv6.conf.$tap.disable_ipv6=1" 2>/dev/null || true
"${ipcmd[@]}" addr replace "$addr" dev "$tap"
"${ipcmd[@]}" link set "$tap" up
echo "$tap is up${netns:+ in namespace $netns}: the kernel is $addr, owner $user. Now: ./build/tapstack${netns:+ (inside the namespace)}"
