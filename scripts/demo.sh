#!/usr/bin/env bash
# Single-node demo: wyvernd with two tap ports, each moved into a namespace,
# one logical network, two logical ports; ping and iperf3 between them, then
# the tables, PMD counters, megaflows and a trace. Cleans up on every exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (namespaces, tap devices)"; exit 1; }
tag=wd$$
dir=$(mktemp -d /tmp/wyvern-demo.XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  for i in 1 2; do ip netns del "${tag}n$i" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
cat > "$dir/wyvernd.conf" <<EOC
[eal]
args = --no-huge --no-pci
memory-mb = 512
file-prefix = $tag
[dp]
pmd-lcores = 1
idle-sleep-max-us = 200
mbufs = 8192
[mgmt]
socket = $dir/wy.sock
[port.vm1]
devargs = net_tap0,iface=${tag}t1
[port.vm2]
devargs = net_tap1,iface=${tag}t2
EOC
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say "starting wyvernd"
"$BUILD/ctrl/wyvernd" -c "$dir/wyvernd.conf" > "$dir/wyvernd.log" 2>&1 &
pid=$!
W() { echo "+ wyctl $*"; "$BUILD/ctrl/wyctl" -s "$dir/wy.sock" "$@"; }
for _ in $(seq 100); do [ -S "$dir/wy.sock" ] && break; sleep 0.1; done
[ -S "$dir/wy.sock" ] || { cat "$dir/wyvernd.log"; exit 1; }
W show ports
say "one network, two logical ports bound to the tap ports"
W network add 1 --name blue
W lport add 1 --network 1 --name vm1 --mac 02:00:00:00:00:01 --ip 10.0.0.1 --port vm1
W lport add 2 --network 1 --name vm2 --mac 02:00:00:00:00:02 --ip 10.0.0.2 --port vm2
for i in 1 2; do
  ns=${tag}n$i
  ip netns add "$ns"
  ip link set "${tag}t$i" netns "$ns"
  ip -n "$ns" link set "${tag}t$i" address 02:00:00:00:00:0$i
  ip -n "$ns" addr add 10.0.0.$i/24 dev "${tag}t$i"
  ip -n "$ns" link set "${tag}t$i" up
  ip -n "$ns" link set lo up
done
say "ping vm1 -> vm2"
ip netns exec "${tag}n1" ping -c 3 -i 0.2 10.0.0.2
say "iperf3 vm1 -> vm2 (3 s)"
ip netns exec "${tag}n2" iperf3 -s -1 -D --logfile "$dir/iperf3.log"
sleep 0.5
ip netns exec "${tag}n1" iperf3 -c 10.0.0.2 -t 3 | tail -4
say "tables, counters and the megaflows that carried that traffic"
W show lports
W show pmd
W dump megaflows
say "trace: a spoofed source IP from vm1"
W trace vm1 'ip,eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:02,ip_src=10.0.0.99,ip_dst=10.0.0.2,udp,tp_src=5000,tp_dst=53'
say "done; tearing down"
