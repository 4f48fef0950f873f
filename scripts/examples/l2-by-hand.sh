#!/usr/bin/env bash
# L2 between two namespaces with static tables: no database, no controller.
# Run as root from the repository root after `make`.
set -euo pipefail
export PATH="$PWD/build/bin:$PATH"
say() { printf '\n== %s\n' "$*"; }

tag=wl$$                                   # unique names: taps, namespaces, DPDK prefix
dir=$(mktemp -d /tmp/wyvern-l2.XXXXXX)     # config, socket, log
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

say "the complete configuration: two tap ports, no hugepages, no [ctrl] (static tables)"
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
[port.vm1]
devargs = net_tap0,iface=${tag}t1
[port.vm2]
devargs = net_tap1,iface=${tag}t2
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
W show ports

say "static tables: network 1 and two logical ports, one per tap"
W network add 1 --name blue
W lport add 1 --network 1 --mac 02:00:00:00:00:01 --ip 10.0.0.1 --port vm1
W lport add 2 --network 1 --mac 02:00:00:00:00:02 --ip 10.0.0.2 --port vm2

say "each tap into its own namespace, carrying its logical port's MAC and IP"
for i in 1 2; do
  ip netns add "${tag}n$i"
  ip link set "${tag}t$i" netns "${tag}n$i"
  ip -n "${tag}n$i" link set "${tag}t$i" address 02:00:00:00:00:0$i
  ip -n "${tag}n$i" addr add 10.0.0.$i/24 dev "${tag}t$i"
  ip -n "${tag}n$i" link set "${tag}t$i" up
  echo "vm$i: ${tag}t$i in namespace ${tag}n$i, MAC 02:00:00:00:00:0$i, IP 10.0.0.$i/24"
done

say "ping vm1 -> vm2"
ip netns exec "${tag}n1" ping -c 3 -i 0.2 -W 2 10.0.0.2

say "PMD counters and the megaflows that carried the ping"
W show pmd
W dump megaflows

say "trace a spoofed packet (source IP 10.0.0.9 is not vm1's): port security drops it"
W trace vm1 'ip,eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:02,ip_src=10.0.0.9,ip_dst=10.0.0.2'

say "l2-by-hand: OK"
