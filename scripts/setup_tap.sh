#!/usr/bin/env bash
# Creates the TAP device tapstack attaches to, owned by you, so that ./build/tapstack then runs
# without root. The kernel gets its own side of the link (10.0.0.1/24 by default); tapstack is
# 10.0.0.2 on the same link. Safe to run twice; --down removes the device again.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: sudo ./scripts/setup_tap.sh [--tap NAME] [--addr A.B.C.D/NN] [--user USER] [--netns NAME] [--down]

Creates TAP device NAME owned by USER, gives the kernel's side of the link the address
A.B.C.D/NN and brings it up. Running it again changes nothing.

  --tap NAME      the device                                   (default: tap0)
  --addr CIDR     the kernel's address on the link             (default: 10.0.0.1/24)
  --user USER     who may attach to the device without root    (default: $SUDO_USER, else you)
  --netns NAME    do all of it inside the existing network namespace NAME instead of this
                  machine's own network (tapstack's tests and demo always do this)
  --down          remove the device (and with it the address)
  -h, --help      this text

Then, in another terminal: ./build/tapstack    and here: curl http://10.0.0.2/
Afterwards:                sudo ./scripts/setup_tap.sh --down
EOF
}

die() { echo "setup_tap.sh: $*" >&2; exit 1; }

args_given=$*

tap=tap0
addr=10.0.0.1/24
user=${SUDO_USER:-$(id -un)}
netns=""
down=0
while (($#)); do
  case $1 in
    --tap) (($# >= 2)) || die "--tap needs a device name"; tap=$2; shift 2 ;;
    --addr) (($# >= 2)) || die "--addr needs A.B.C.D/NN"; addr=$2; shift 2 ;;
    --user) (($# >= 2)) || die "--user needs a user name"; user=$2; shift 2 ;;
    --netns) (($# >= 2)) || die "--netns needs a namespace name"; netns=$2; shift 2 ;;
    --down) down=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "setup_tap.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

[[ $tap =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || die "'$tap' is not a usable device name (1-15 of A-Z a-z 0-9 _ . -)"
octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
[[ $addr =~ ^$octet\.$octet\.$octet\.$octet/([0-9]|[12][0-9]|3[0-2])$ ]] || die "'$addr' is not A.B.C.D/NN"
[ "$(id -u)" = 0 ] || die "needs root to create a network device; run: sudo $0${args_given:+ $args_given}"
command -v ip >/dev/null 2>&1 || die "the 'ip' command is missing (Debian: apt-get install iproute2)"
[ -c /dev/net/tun ] || die "/dev/net/tun is missing: load the tun module (modprobe tun) or, in a container, pass the device in"

ip_=(ip)
where="this machine's network"
if [ -n "$netns" ]; then
  # `ip netns add NAME` keeps the namespace at /run/netns/NAME; look there, not through a pipe.
  [ -e "/run/netns/$netns" ] || die "no network namespace '$netns' (create it with: ip netns add $netns)"
  ip_=(ip -n "$netns")
  where="network namespace $netns"
fi

if ((down)); then
  if "${ip_[@]}" link show dev "$tap" >/dev/null 2>&1; then
    "${ip_[@]}" tuntap del dev "$tap" mode tap || die "could not remove $tap in $where"
    echo "setup_tap.sh: removed $tap from $where"
  else
    echo "setup_tap.sh: $where has no $tap; nothing to do"
  fi
  exit 0
fi

id -u "$user" >/dev/null 2>&1 || die "no such user '$user' (see --user)"
uid=$(id -u "$user")

if details=$("${ip_[@]}" -details link show dev "$tap" 2>/dev/null); then
  [[ $details == *"tun type tap"* ]] || die "$tap already exists in $where and is not a TAP device; pick another --tap"
  # `ip -d link` prints "user NAME" (or a bare uid) for a device with an owner.
  if [[ $details =~ [[:space:]]user[[:space:]]+([^[:space:]]+) ]]; then
    owner=${BASH_REMATCH[1]}
    if [ "$owner" != "$user" ] && [ "$owner" != "$uid" ]; then
      die "$tap already exists in $where but belongs to '$owner', not '$user'; remove it first with --down"
    fi
  fi
else
  "${ip_[@]}" tuntap add dev "$tap" mode tap user "$user" || die "could not create $tap in $where"
fi

# tapstack speaks IPv4 only. Without IPv6 on this one link the kernel sends it no router
# solicitations or MLD reports, and the capture holds just the conversation, as the article's did.
if [ -n "$netns" ]; then
  ip netns exec "$netns" sysctl -q -w "net.ipv6.conf.$tap.disable_ipv6=1" >/dev/null 2>&1 || true
else
  sysctl -q -w "net.ipv6.conf.$tap.disable_ipv6=1" >/dev/null 2>&1 || true
fi
"${ip_[@]}" addr replace "$addr" dev "$tap" || die "could not give $tap the address $addr"
"${ip_[@]}" link set dev "$tap" up || die "could not bring $tap up"
echo "setup_tap.sh: $tap is up in $where: kernel side $addr, owner $user"
