#!/usr/bin/env bash
# Two chassis on one machine, joined over VXLAN, with etcd as the central
# database: chassis a and b are two wyvernd processes whose uplinks are the
# two ends of a veth pair (af_packet ports); vm1 on a pings vm2 on b.
# Run as root from the repository root after `make` (needs etcd: scripts/deps.sh).
set -euo pipefail
export PATH="$PWD/build/bin:$PATH"
say() { printf '\n== %s\n' "$*"; }

tag=wv$$                                   # unique names: veths, taps, namespaces, chassis
dir=$(mktemp -d /tmp/wyvern-vxlan.XXXXXX)  # etcd data, configs, sockets, logs
pids=()
cleanup() {
  [ $? -eq 0 ] || tail -n 20 "$dir"/*.log 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  ip netns del "${tag}n1" 2>/dev/null || true
  ip netns del "${tag}n2" 2>/dev/null || true
  ip link del "${tag}ua" 2>/dev/null || true
  rm -rf "$dir" "/var/run/dpdk/${tag}a" "/var/run/dpdk/${tag}b"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say "etcd on loopback: its own data dir and two free ports"
free_port() { local p=$1; while ss -Htan "sport = :$p" | grep -q .; do p=$((p + 1)); done; echo "$p"; }
client=$(free_port $((20000 + $$ % 20000)))
peer=$(free_port $((client + 1)))
etcd --name "$tag" --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "$tag=http://127.0.0.1:$peer" > "$dir/etcd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$client/health" | grep -q true && break; sleep 0.2; done
curl -fsS "http://127.0.0.1:$client/health" | grep true     # {"health":"true",...} or exit
DB="etcd://127.0.0.1:$client"
NB() { echo "+ wyctl --db $DB $*"; wyctl --db "$DB" "$@"; }
field() {   # field KEY PORT: one field of `wyctl --json port show PORT`
  wyctl --db "$DB" --json port show "$2" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

say "northbound first (the configs need the ports' ids): network blue, vm1 on a, vm2 on b"
NB network create blue                      # an overlay network: VXLAN between chassis
NB subnet create s --network blue --cidr 10.0.0.0/24
NB port create vm1 --network blue --host "${tag}a" --fixed-ip subnet=s,ip=10.0.0.11
NB port create vm2 --network blue --host "${tag}b" --fixed-ip subnet=s,ip=10.0.0.12

say "the underlay: a veth pair, one end per chassis, carrying VTEPs 192.0.2.1 and 192.0.2.2"
ip link add "${tag}ua" type veth peer name "${tag}ub"
for e in ua ub; do
  sysctl -qw "net.ipv6.conf.${tag}$e.disable_ipv6=1"
  ip link set "${tag}$e" up
done

say "one wyvernd per chassis: an af_packet uplink, a tap for its VM, [ctrl] on etcd"
n=0
for c in a b; do
  n=$((n + 1))
  id=$(field id vm$n)
  cat > "$dir/$c.conf" <<EOC
[eal]
args = --no-huge --no-pci
memory-mb = 512
file-prefix = ${tag}$c
lcores = 0,1
[dp]
pmd-lcores = 1
idle-sleep-max-us = 200
mbufs = 8192
[mgmt]
socket = $dir/$c.sock
[ctrl]
db = $DB
chassis = ${tag}$c
vtep-ip = 192.0.2.$n
uplink = up
replica = $dir/replica-$c
[port.up]
devargs = net_af_packet0,iface=${tag}u$c
[port.vm$n]
devargs = net_tap0,iface=${tag}t$n
iface-id = $id
EOC
  echo "--- $dir/$c.conf"; cat "$dir/$c.conf"
  wyvernd -c "$dir/$c.conf" > "$dir/wyvernd-$c.log" 2>&1 &
  pids+=($!)
done
connected() { wyctl -s "$dir/$1.sock" --json show ctrl 2>/dev/null | grep -q '"connected": true'; }
for c in a b; do                            # until each controller is connected to etcd
  for _ in $(seq 150); do connected $c && break; sleep 0.2; done
  echo "+ wyctl -s $dir/$c.sock show ctrl"; wyctl -s "$dir/$c.sock" show ctrl
  connected $c || { echo "chassis $c: controller not connected"; exit 1; }
done

say "each tap into a namespace with its port's MAC, IP and the network's MTU"
for i in 1 2; do
  ip netns add "${tag}n$i"
  ip link set "${tag}t$i" netns "${tag}n$i"
  mac=$(field mac_address vm$i)
  ip -n "${tag}n$i" link set "${tag}t$i" address "$mac" mtu 1450   # 1500 - 50 (VXLAN)
  ip -n "${tag}n$i" addr add "10.0.0.1$i/24" dev "${tag}t$i"
  ip -n "${tag}n$i" link set "${tag}t$i" up
  echo "vm$i: ${tag}t$i in namespace ${tag}n$i, MAC $mac, IP 10.0.0.1$i/24, MTU 1450"
done

say "ping vm1 (chassis a) -> vm2 (chassis b), tunnelled in VXLAN over the veth pair"
ok=
for _ in $(seq 10); do                      # the first tries wait for the remote VTEP's ARP
  if ip netns exec "${tag}n1" ping -c 3 -i 0.2 -W 2 10.0.0.12; then ok=1; break; fi
done
[ -n "$ok" ]
for c in a b; do echo "+ wyctl -s $dir/$c.sock show overlay"; wyctl -s "$dir/$c.sock" show overlay; done

say "two-chassis-vxlan: OK"
