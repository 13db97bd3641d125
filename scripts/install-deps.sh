#!/usr/bin/env bash
# Installs tapstack's Debian packages when something is missing. Idempotent: when all is there it
# prints nothing and exits 0. The make targets call it, so `sudo make demo` / `sudo make test` on a
# fresh Debian machine need no other set-up. Sets can be combined (--build --test):
#   scripts/install-deps.sh --build   compiler, fmt, libpcap, GoogleTest
#   scripts/install-deps.sh --test    what the integration tests and the demo use (with the bench tools)
#   scripts/install-deps.sh --bench   what scripts/bench.sh uses (wrk, nginx-light, gnuplot-nox, valgrind)
#   scripts/install-deps.sh --fuzz    clang and its libFuzzer runtime (make fuzz)
#   scripts/install-deps.sh --lint    clang-format (make lint checks the layout against .clang-format)
#   scripts/install-deps.sh --fresh-machine   debootstrap (tests/fresh_machine.sh, run by CI)
#   scripts/install-deps.sh           all of them but --fresh-machine
# One installer at a time: a parallel make may start several, so each takes a lock
# (flock on /run/lock/tapstack-install-deps.lock, or $TMPDIR when /run/lock is missing) and only
# then looks at what is missing. The second one waits and finds nothing left to install.
set -euo pipefail

want_build=0 want_test=0 want_bench=0 want_fuzz=0 want_lint=0 want_fresh=0
(($#)) || set -- --build --test --bench --fuzz --lint
for arg; do
  case "$arg" in
    --build) want_build=1 ;;
    --test) want_test=1; want_bench=1 ;;  # the integration tests run the benchmark's quick form
    --bench) want_bench=1 ;;
    --fuzz) want_fuzz=1 ;;
    --lint) want_lint=1 ;;
    --fresh-machine) want_fresh=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

missing=()
have_pkgconfig() { pkg-config --exists "$1" 2>/dev/null; }
need() {  # need PACKAGE TEST-COMMAND...
  local pkg=$1; shift
  "$@" >/dev/null 2>&1 || missing+=("$pkg")
}
have_lib() {  # have_lib NAME: libNAME.a or .so in a library directory
  local d
  for d in /usr/lib/*/ /usr/lib/; do
    [ -e "$d/lib$1.a" ] || [ -e "$d/lib$1.so" ] && return 0
  done
  return 1
}

find_missing() {
  missing=()
  if ((want_build)); then
    need g++ command -v g++
    need make command -v make
    need pkg-config command -v pkg-config
    need libfmt-dev have_pkgconfig fmt
    need libpcap-dev have_pkgconfig libpcap
    need libgtest-dev test -f /usr/include/gtest/gtest.h
    need libgtest-dev have_lib gtest
  fi
  if ((want_test)); then
    need iproute2 command -v ip
    need curl command -v curl
    need iputils-ping command -v ping
    need tshark command -v tshark
    need apache2-utils command -v ab
    need procps command -v ps
    need gdb command -v gdb
    need iptables bash -c 'command -v iptables || test -x /usr/sbin/iptables'
    need ethtool bash -c 'command -v ethtool || test -x /usr/sbin/ethtool'
    need python3 command -v python3
  fi
  if ((want_bench)); then
    need wrk command -v wrk
    need nginx-light command -v nginx
    need gnuplot-nox command -v gnuplot
    need valgrind command -v valgrind
    need python3 command -v python3
    need util-linux command -v taskset
  fi
  if ((want_fuzz)); then
    need clang command -v clang++
    need libclang-rt-dev bash -c 'ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a'
  fi
  if ((want_lint)); then
    need clang-format command -v clang-format
  fi
  if ((want_fresh)); then
    need debootstrap bash -c 'command -v debootstrap || test -x /usr/sbin/debootstrap'
  fi
}

find_missing
((${#missing[@]} == 0)) && exit 0

if [ "$(id -u)" != 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "tapstack needs these Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo scripts/install-deps.sh   (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

lockdir=/run/lock
[ -d "$lockdir" ] && [ -w "$lockdir" ] || lockdir=${TMPDIR:-/tmp}
exec 9>"$lockdir/tapstack-install-deps.lock"
flock 9
find_missing  # what another installer did while we waited is not done twice
((${#missing[@]} == 0)) && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

echo "install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
# nginx-light's maintainer script would start nginx on port 80 of this machine; the benchmark
# starts its own, in a namespace. A policy-rc.d answering 101 ("action forbidden") stops that.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  policy=/usr/sbin/policy-rc.d
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
