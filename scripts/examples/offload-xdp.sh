#!/usr/bin/env bash
# The XDP tier driven by wyvernd: two namespaces on veth pairs, wyvernd's
# ports are net_af_xdp with wyvern's XDP program (xdp_prog=), and
# `[offload] backend = xdp` turns their megaflows into entries of the
# program's flow map.  The first pings go through the PMD; the rest are
# redirected between the veths in XDP (the PMD's rx counters stay put).
# Run as root from the repository root after `make`.
set -euo pipefail
export PATH="$PWD/build/bin:$PATH"
say() { printf '\n== %s\n' "$*"; }
xdp=$PWD/build/pmd-offload                 # wyv_xdp.bpf.o and the wyv-xdp tool

tag=wx$$                                   # unique names: veths, namespaces, DPDK prefix
dir=$(mktemp -d /tmp/wyvern-xdp.XXXXXX)    # config, socket, log
pid=
cleanup() {
  [ $? -eq 0 ] || tail -n 20 "$dir/wyvernd.log" 2>/dev/null || true
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  for i in 1 2; do
    ip netns del "${tag}n$i" 2>/dev/null || true
    ip link del "${tag}h$i" 2>/dev/null || true
  done
  rm -f /sys/fs/bpf/wyv_*                  # the maps net_af_xdp pinned for our program
  rm -rf "$dir" "/var/run/dpdk/$tag"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say "two namespaces, each on a veth whose host end wyvernd opens with AF_XDP"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
rm -f /sys/fs/bpf/wyv_*                    # maps of an older build would not fit
for i in 1 2; do
  ip netns add "${tag}n$i"
  ip netns exec "${tag}n$i" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1   # no ND/MLD chatter in the dumps
  ip link add "${tag}h$i" type veth peer name "${tag}p$i" netns "${tag}n$i"
  ip link set "${tag}h$i" up
  ip -n "${tag}n$i" link set "${tag}p$i" address 02:00:00:00:01:0$i
  ip -n "${tag}n$i" addr add 10.1.0.$i/24 dev "${tag}p$i"
  ip -n "${tag}n$i" link set "${tag}p$i" up
  ip netns exec "${tag}n$i" ethtool -K "${tag}p$i" tx off > /dev/null
  # native XDP redirect into a veth needs a program on the receiving peer
  ip netns exec "${tag}n$i" "$xdp/wyv-xdp" attach "${tag}p$i" wyv_xdp_pass
done

say "configuration: [offload] on, backend xdp, our program in the af_xdp ports"
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
mode = full
backend = xdp
stats-interval-ms = 200
[port.x1]
devargs = net_af_xdp0,iface=${tag}h1,xdp_prog=$xdp/wyv_xdp.bpf.o
[port.x2]
devargs = net_af_xdp1,iface=${tag}h2,xdp_prog=$xdp/wyv_xdp.bpf.o
EOC
cat "$dir/wyvernd.conf"

say "start wyvernd (log: $dir/wyvernd.log)"
wyvernd -c "$dir/wyvernd.conf" > "$dir/wyvernd.log" 2>&1 &
pid=$!
W() { echo "+ wyctl $*"; wyctl -s "$dir/wy.sock" "$@"; }   # wyctl through the daemon's socket
for _ in $(seq 100); do                    # until it answers (or exits)
  wyctl -s "$dir/wy.sock" show ports > /dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || exit 1
  sleep 0.2
done

say "a network, two logical ports with port security (their MAC and IP)"
W network add 1 --name blue
W lport add 1 --network 1 --mac 02:00:00:00:01:01 --ip 10.1.0.1 --port x1
W lport add 2 --network 1 --mac 02:00:00:00:01:02 --ip 10.1.0.2 --port x2

say "first pings: through the PMD; their megaflows go into the XDP flow map"
ip netns exec "${tag}n1" ping -c 3 -i 0.2 -W 2 10.1.0.2
sleep 0.5
W show offload
W dump megaflows
echo "+ wyv-xdp -p /sys/fs/bpf flows"
"$xdp/wyv-xdp" -p /sys/fs/bpf flows

say "more pings: redirected in XDP, the PMD's rx counters do not move"
W show ports | grep -E 'x1|x2'
ip netns exec "${tag}n1" ping -c 5 -i 0.2 -W 2 10.1.0.2
W show ports | grep -E 'x1|x2'
"$xdp/wyv-xdp" -p /sys/fs/bpf stats "${tag}h1"

say "offload-xdp: OK"
