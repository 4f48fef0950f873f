#!/usr/bin/env bash
# Partial offload on two tap ports with the dummy backend (a NIC emulated in
# software: it marks the packets its rules match, as a NIC with rte_flow MARK
# does).  vm1's "NIC" can MARK; vm2's is told it cannot (caps without mark), as
# many NICs refuse MARK: its megaflows stay in software and say why.
# Run as root from the repository root after `make`.
set -euo pipefail
export PATH="$PWD/build/bin:$PATH"
say() { printf '\n== %s\n' "$*"; }

tag=wo$$                                   # unique names: taps, namespaces, DPDK prefix
dir=$(mktemp -d /tmp/wyvern-ofl.XXXXXX)    # config, socket, log
pid=
cleanup() {
  [ $? -eq 0 ] || tail -n 20 "$dir/wyvernd.log" 2>/dev/null || true
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  ip netns del "${tag}n1" 2>/dev/null || true
  ip netns del "${tag}n2" 2>/dev/null || true
  rm -rf "$dir" "/var/run/dpdk/$tag"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say "configuration: [offload] on, dummy backend; vm2's 'NIC' refuses MARK"
cat > "$dir/wyvernd.conf" <<EOC
[eal]
args = --no-huge --no-pci
memory-mb = 512
file-prefix = $tag
lcores = 0,1
[dp]
pmd-lcores = 1
idle-sleep-max-us = 200
mbufs = 8192
[mgmt]
socket = $dir/wy.sock
[offload]
enable = true
mode = auto
backend = dummy
backend-args = caps=mark,rss,queue,count
[port.vm1]
devargs = net_tap0,iface=${tag}t1
[port.vm2]
devargs = net_tap1,iface=${tag}t2
offload-args = caps=queue,count
EOC
cat "$dir/wyvernd.conf"
wyvernd -c "$dir/wyvernd.conf" --check-config

say "start wyvernd (log: $dir/wyvernd.log)"
wyvernd -c "$dir/wyvernd.conf" > "$dir/wyvernd.log" 2>&1 &
pid=$!
W() { echo "+ wyctl $*"; wyctl -s "$dir/wy.sock" "$@"; }   # wyctl through the daemon's socket
for _ in $(seq 100); do                    # until it answers (or exits)
  wyctl -s "$dir/wy.sock" show ports > /dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || exit 1
  sleep 0.2
done
W show offload

say "a network, two logical ports, each tap in its own namespace"
W network add 1 --name blue
W lport add 1 --network 1 --mac 02:00:00:00:00:01 --ip 10.0.0.1 --port vm1
W lport add 2 --network 1 --mac 02:00:00:00:00:02 --ip 10.0.0.2 --port vm2
for i in 1 2; do
  ip netns add "${tag}n$i"
  ip link set "${tag}t$i" netns "${tag}n$i"
  ip -n "${tag}n$i" link set "${tag}t$i" address 02:00:00:00:00:0$i
  ip -n "${tag}n$i" addr add 10.0.0.$i/24 dev "${tag}t$i"
  ip -n "${tag}n$i" link set "${tag}t$i" up
done

say "ping vm1 -> vm2: the first packet of each direction installs a megaflow"
ip netns exec "${tag}n1" ping -c 10 -i 0.1 -W 2 10.0.0.2

say "rules per port: vm1 got partial (MARK) rules, vm2 none"
W show offload

say "marked packets skipped parse, exact-match cache and classifier"
W show pmd | grep -E 'pmd thread|marked packets'

say "each megaflow's offload state, and why not better"
W dump megaflows

say "offload-dummy: OK"
