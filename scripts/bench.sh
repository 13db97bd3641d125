#!/usr/bin/env bash
# tapstack against Linux, with the same HTTP application, and against nginx. Root: everything runs
# in network namespaces this script creates and deletes (scripts/lib/netns.sh):
#   client namespace $NS: tap0 (10.0.0.1) to tapstack (10.0.0.2), and a veth (10.0.1.1) to
#   server namespace $NS-srv (10.0.1.2), where tapstack-kernel-httpd (port 80) and nginx (8080) run.
# Every workload runs from the client namespace; targets are interleaved A B C D A B C D, one
# repetition after another, and the summary gives medians and tapstack/Linux ratios.
#
#   scripts/bench.sh [--reps N] [--quick] [--targets LIST] [--workloads LIST] [--pin split|same|both]
#                    [--no-callgrind] [--out DIR]
#   --reps N         repetitions of every (target, workload) (default 3)
#   --quick          smoke test (< 90 s): 1 repetition, small counts, no callgrind, --pin split
#   --targets LIST   comma-separated from: tapstack,tapstack-nopcap,tapstack-offload,kernel,nginx
#                    (default all; tapstack-offload: --offload --no-pcap)
#   --workloads LIST from: ab1,ab10,wrk,download,ping,hold (default all)
#   --pin MODE       split: server on CPU 0, client on CPU 1; same: both on CPU 0; both (default)
#   --no-callgrind   skip the instructions-per-request measurement
#   --out DIR        results.csv, summary.txt and results.png go there (default build/bench)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/netns.sh
source "$TOP/scripts/lib/netns.sh"

reps=3 quick=0 targets=tapstack,tapstack-nopcap,tapstack-offload,kernel,nginx workloads=ab1,ab10,wrk,download,ping,hold
pin=both callgrind=1 out=$TOP/build/bench
while (($#)); do
  case $1 in
    --reps) reps=$2; shift ;;
    --quick) quick=1 ;;
    --targets) targets=$2; shift ;;
    --workloads) workloads=$2; shift ;;
    --pin) pin=$2; shift ;;
    --no-callgrind) callgrind=0 ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
# Sizes: full run / quick run.
ab_n=2000 wrk_s=5 dl_mb=50 ping_n=100 hold_n=10000
if ((quick)); then reps=1 pin=split callgrind=0 ab_n=200 wrk_s=1 dl_mb=5 ping_n=20 hold_n=1000; fi
case $pin in split) placements=split ;; same) placements=same ;; both) placements="split same" ;;
  *) echo "bench.sh: --pin split|same|both" >&2; exit 2 ;; esac

for tool in ab wrk curl ping python3 taskset; do
  command -v "$tool" >/dev/null || { echo "bench.sh: '$tool' is missing (scripts/install-deps.sh --bench)" >&2; exit 1; }
done
[[ ,$targets, != *,nginx,* ]] || command -v nginx >/dev/null || { echo "bench.sh: nginx is missing (nginx-light)" >&2; exit 1; }
for bin in "$TOP/build/tapstack" "$TOP/build/tapstack-kernel-httpd"; do
  [ -x "$bin" ] || { echo "bench.sh: $bin is missing (run make)" >&2; exit 1; }
done

mkdir -p "$out"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tapstack-bench.XXXXXX")
ns_create bench || exit 1
ns_at_exit 'rm -rf "$WORK"'
SRV=$NS-srv
ns_at_exit 'ip netns del "$SRV" 2>/dev/null'
ip netns add "$SRV"
ip -n "$SRV" link set lo up
ns_tap
ip -n "$NS" link add bc0 type veth peer name bs0 netns "$SRV"
ip -n "$NS" addr add 10.0.1.1/24 dev bc0
ip -n "$SRV" addr add 10.0.1.2/24 dev bs0
ip -n "$NS" link set bc0 up
ip -n "$SRV" link set bs0 up
# Held connections close client-first and leave TIME-WAIT on the client (namespace-local sysctl):
# a wide port range keeps two rounds of 10,000 from running out of ports.
ns_exec sysctl -q -w net.ipv4.ip_local_port_range="1024 65000"
# Thousands of held connections: descriptors for the servers and the client.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# The document root: the built-in-sized page at / and the download.
mkdir -p "$WORK/www"
printf 'Hello World!\n' >"$WORK/www/index.html"
head -c $((dl_mb * 1024 * 1024)) /dev/zero >"$WORK/www/big.bin"
cat >"$WORK/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 19000;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 30000; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-body;
  proxy_temp_path $WORK/nginx-proxy;
  sendfile on;
  keepalive_timeout 10;
  server { listen 10.0.1.2:8080; root $WORK/www; }
}
EOF

SERVER_PID=""
# start_server TARGET CPU: the target's server, pinned to CPU; sets SERVER_PID, HOST, URL.
start_server() {
  local target=$1 cpu=$2 i
  local -a cmd
  case $target in
    tapstack) HOST=10.0.0.2 PORT=80 ns=$NS cmd=("$TOP/build/tapstack" --pcap "$WORK/tapstack.pcap") ;;
    tapstack-nopcap) HOST=10.0.0.2 PORT=80 ns=$NS cmd=("$TOP/build/tapstack" --no-pcap) ;;
    tapstack-offload) HOST=10.0.0.2 PORT=80 ns=$NS cmd=("$TOP/build/tapstack" --no-pcap --offload) ;;
    kernel) HOST=10.0.1.2 PORT=80 ns=$SRV cmd=("$TOP/build/tapstack-kernel-httpd" --addr 10.0.1.2) ;;
    nginx) HOST=10.0.1.2 PORT=8080 ns=$SRV cmd=(nginx -c "$WORK/nginx.conf") ;;
    *) echo "bench.sh: unknown target $target" >&2; exit 2 ;;
  esac
  case $target in tapstack*|kernel) cmd+=(--http-root "$WORK/www" --keep-alive 10) ;; esac
  URL=http://$HOST:$PORT
  ip netns exec "$ns" taskset -c "$cpu" "${VALGRIND[@]}" "${cmd[@]}" >"$WORK/server.out" 2>"$WORK/server.err" </dev/null &
  SERVER_PID=$!
  ns_track "$SERVER_PID"
  for ((i = 0; i < 100; i++)); do
    ns_exec curl -s -o /dev/null -m 1 "$URL/" && return 0
    sleep 0.1
  done
  echo "bench.sh: $target did not answer within 10 s; its stderr:" >&2
  tail -n 5 "$WORK/server.err" >&2
  exit 1
}
stop_server() {
  kill -INT "$SERVER_PID" 2>/dev/null || true
  timeout 10 tail --pid="$SERVER_PID" -f /dev/null || kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

client() { ns_exec taskset -c "$CLIENT_CPU" timeout 120 "$@"; }

# measure WORKLOAD: prints "value unit", or "NA unit" when the workload failed.
measure() {
  local v
  case $1 in
    ab1 | ab10)
      v=$(client ab -q -n "$ab_n" -c "${1#ab}" -s 10 "$URL/" 2>/dev/null |
        awk '/^Failed requests:/ { f = $3 } /^Requests per second:/ { r = $4 } END { print (f == 0 && r) ? r : "NA" }')
      echo "$v req/s" ;;
    wrk)
      v=$(client wrk -t1 -c10 -d"${wrk_s}s" "$URL/" 2>/dev/null | awk '/^Requests\/sec:/ { print $2 }')
      echo "${v:-NA} req/s" ;;
    download)
      v=$(client curl -s -o /dev/null -w '%{speed_download} %{size_download}' "$URL/big.bin" |
        awk -v want=$((dl_mb * 1024 * 1024)) '$2 == want { printf "%.1f", $1 / 1e6 }')
      echo "${v:-NA} MB/s" ;;
    ping)
      v=$(client ping -q -c "$ping_n" -i 0.01 "$HOST" 2>/dev/null | awk -F/ '/^rtt/ { print $5 * 1000 }')
      echo "${v:-NA} us" ;;
    hold)
      local before after held
      rm -f "$WORK/held"
      before=$(rss_kib "$SERVER_PID")
      client python3 "$TOP/tests/tools/hold_connections.py" "$HOST" "$PORT" "$hold_n" 2 "$WORK/held" >/dev/null 2>&1 &
      local hold_pid=$!
      for ((i = 0; i < 300; i++)); do [ -s "$WORK/held" ] && break; sleep 0.1; done
      sleep 0.5
      after=$(rss_kib "$SERVER_PID")
      held=$(cat "$WORK/held" 2>/dev/null || echo 0)
      wait "$hold_pid" || true
      if ((held >= hold_n)); then
        awk -v a="$after" -v b="$before" -v n="$held" 'BEGIN { printf "%.2f KiB/conn\n", (a - b) / n }'
      else
        echo "NA KiB/conn"
      fi
      sleep 3 ;;  # let the connections' close finish before the next workload
  esac
}

csv=$out/results.csv
echo "placement,rep,target,workload,value,unit" >"$csv"
VALGRIND=()
IFS=, read -ra target_list <<<"$targets"
IFS=, read -ra workload_list <<<"$workloads"
for placement in $placements; do
  SERVER_CPU=0
  if [ "$placement" = split ]; then CLIENT_CPU=1; else CLIENT_CPU=0; fi
  for ((rep = 1; rep <= reps; rep++)); do
    for target in "${target_list[@]}"; do
      start_server "$target" "$SERVER_CPU"
      for w in "${workload_list[@]}"; do
        # Not `< <(measure ...)`: read would return at the first line while measure went on
        # (its settling sleep then overlapped the next workload, and outlived the script).
        read -r value unit <<<"$(measure "$w")"
        echo "$placement,$rep,$target,$w,$value,$unit" >>"$csv"
        printf '%-6s rep %d  %-16s %-9s %10s %s\n' "$placement" "$rep" "$target" "$w" "$value" "$unit" >&2
      done
      stop_server
    done
  done
done

# Instructions per request (user space only: the kernel's TCP work is not counted for Linux):
# callgrind on 100 and on 300 connection-per-request requests; the difference over 200.
if ((callgrind)) && command -v valgrind >/dev/null; then
  CLIENT_CPU=1
  for target in tapstack-nopcap kernel; do
    for n in 100 300; do
      VALGRIND=(valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$target.$n")
      start_server "$target" 0
      client ab -q -n "$n" -c 1 "$URL/" >/dev/null 2>&1 || true
      stop_server
    done
    VALGRIND=()
    i1=$(awk '/^summary:/ { print $2 }' "$WORK/cg.$target.100" 2>/dev/null || true)
    i3=$(awk '/^summary:/ { print $2 }' "$WORK/cg.$target.300" 2>/dev/null || true)
    [ -n "$i1" ] && [ -n "$i3" ] && echo "fixed,1,$target,instr_per_req,$(((i3 - i1) / 200)),instr" >>"$csv"
  done
fi

python3 - "$csv" "$out" <<'EOF'
import csv, statistics, sys
from collections import defaultdict
rows = list(csv.DictReader(open(sys.argv[1])))
vals, units = defaultdict(list), {}
for r in rows:
    if r["value"] != "NA":
        vals[(r["placement"], r["target"], r["workload"])].append(float(r["value"]))
    units[r["workload"]] = r["unit"]
med = {k: statistics.median(v) for k, v in vals.items()}
targets = list(dict.fromkeys(r["target"] for r in rows))
lines = [f"{'placement':<9} {'workload':<13} " + " ".join(f"{t:>16}" for t in targets) + "   tapstack/kernel  nopcap/kernel  offload/kernel  nopcap/nginx"]
plot = []
for p in dict.fromkeys(r["placement"] for r in rows):
    for w in dict.fromkeys(r["workload"] for r in rows if r["placement"] == p):
        m = {t: med.get((p, t, w)) for t in targets}
        cells = " ".join(f"{m[t]:>16.1f}" if m[t] is not None else f"{'NA':>16}" for t in targets)
        def ratio(a, b):
            return f"{m[a] / m[b]:.2f}" if m.get(a) and m.get(b) else "-"
        lines.append(f"{p:<9} {w:<13} {cells}   {ratio('tapstack', 'kernel'):>15}  {ratio('tapstack-nopcap', 'kernel'):>13}  {ratio('tapstack-offload', 'kernel'):>14}  {ratio('tapstack-nopcap', 'nginx'):>12}   {units[w]}")
        if m.get("tapstack-nopcap") and m.get("kernel"):
            plot.append((f"{w}-{p}", m["tapstack-nopcap"] / m["kernel"]))
text = "\n".join(lines) + "\n(medians; ratios > 1 favour tapstack except for ping (us) and hold (KiB/conn), where lower is better)\n"
print(text)
open(sys.argv[2] + "/summary.txt", "w").write(text)
with open(sys.argv[2] + "/ratios.dat", "w") as f:
    for name, r in plot:
        f.write(f"{name} {r:.3f}\n")
EOF

if command -v gnuplot >/dev/null && [ -s "$out/ratios.dat" ]; then
  gnuplot <<EOF
set terminal png size 900,500 noenhanced
set output "$out/results.png"
set title "tapstack (no pcap) / Linux with the same HTTP app: median ratio per workload"
set style data histograms
set style fill solid 0.6
set boxwidth 0.8
set xtics rotate by -30
set yrange [0:*]
set grid ytics
plot "$out/ratios.dat" using 2:xtic(1) title "ratio", 1 with lines title "Linux = 1"
EOF
fi
echo "bench.sh: $csv, $out/summary.txt$([ -s "$out/results.png" ] && echo ", $out/results.png")" >&2
