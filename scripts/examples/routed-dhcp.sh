#!/usr/bin/env bash
# Two networks joined by a router, on one chassis, with the embedded database:
# the northbound CLI creates the objects, wyvernd's local controller binds two
# taps to two ports (iface-id), DHCP (answered by wyvernd) configures each
# namespace, and vm1 pings vm2 through the router.
# Run as root from the repository root after `make`.
set -euo pipefail
export PATH="$PWD/build/bin:$PATH"
say() { printf '\n== %s\n' "$*"; }

tag=wr$$                                   # unique names: taps, namespaces, chassis, DPDK prefix
dir=$(mktemp -d /tmp/wyvern-routed.XXXXXX) # database, config, socket, log
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

# The embedded database (RocksDB) is a directory (created with its parents).
# Only one process can open it at a time: before wyvernd runs, wyctl opens it
# itself (--db); once wyvernd holds it, wyctl goes through the daemon (-s).
mkdir -p "$dir/db"
DB="rocksdb:$dir/db/central"
NB() { echo "+ wyctl --db $DB $*"; wyctl --db "$DB" "$@"; }
W() { echo "+ wyctl -s $dir/wy.sock $*"; wyctl -s "$dir/wy.sock" "$@"; }
field() {   # field KEY WYCTL-ARGS...: one field of a `wyctl --json ... port show` (ip: first fixed IP)
  local key=$1; shift
  wyctl "$@" | /usr/bin/python3 -c 'import json, sys; p = json.load(sys.stdin); k = sys.argv[1]
print(p["fixed_ips"][0]["ip_address"] if k == "ip" else p[k])' "$key"
}

say "northbound: networks blue and red, a subnet each, a router joining them, two ports"
NB network create blue
NB subnet create s1 --network blue --cidr 10.0.1.0/24     # DHCP is on by default
NB network create red
NB subnet create s2 --network red --cidr 10.0.2.0/24
NB router create r --add-subnet s1 --add-subnet s2         # gateways 10.0.1.1 and 10.0.2.1
NB port create vm1 --network blue --host "$tag"            # bound on chassis "$tag" (below)
NB port create vm2 --network red --host "$tag"
id1=$(field id --db "$DB" --json port show vm1)
id2=$(field id --db "$DB" --json port show vm2)

say "wyvernd: its controller on that database; each tap carries a port's id as iface-id"
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
[ctrl]
db = $DB
chassis = $tag
replica = $dir/replica
[port.vm1]
devargs = net_tap0,iface=${tag}t1
iface-id = $id1
[port.vm2]
devargs = net_tap1,iface=${tag}t2
iface-id = $id2
EOC
cat "$dir/wyvernd.conf"
wyvernd -c "$dir/wyvernd.conf" > "$dir/wyvernd.log" 2>&1 &
pid=$!
lports() { wyctl -s "$dir/wy.sock" --json show lports 2>/dev/null | grep -c '"dp_port": [0-9]'; }
for _ in $(seq 150); do                    # until the controller has compiled both ports
  [ "$(lports)" = 2 ] && break
  kill -0 "$pid" 2>/dev/null || exit 1
  sleep 0.2
done
W show ctrl
W show lports
[ "$(lports)" = 2 ] || { echo "the controller did not bind both ports"; exit 1; }

say "each tap into a namespace with its port's MAC (port security drops any other)"
# wyvernd holds the database now: wyctl reads it through the daemon (-s)
for i in 1 2; do
  mac=$(field mac_address -s "$dir/wy.sock" --json port show vm$i)
  ip netns add "${tag}n$i"
  ip link set "${tag}t$i" netns "${tag}n$i"
  ip -n "${tag}n$i" link set "${tag}t$i" address "$mac"
  ip -n "${tag}n$i" link set "${tag}t$i" up
  echo "vm$i: ${tag}t$i in namespace ${tag}n$i, MAC $mac"
done

say "DHCP in each namespace (busybox udhcpc; our script, so /etc/resolv.conf is untouched)"
cat > "$dir/udhcpc.sh" <<'EOS'
#!/bin/sh
# udhcpc calls this with $1 = deconfig|bound|renew|...; apply address, MTU, router
[ "$1" = bound ] || exit 0
ip addr add "$ip/$mask" dev "$interface"
[ -z "$mtu" ] || ip link set "$interface" mtu "$mtu"
[ -z "$router" ] || ip route add default via "${router%% *}" dev "$interface"
echo "udhcpc: $interface got $ip/$mask router $router mtu ${mtu:-unset}"
EOS
chmod +x "$dir/udhcpc.sh"
for i in 1 2; do
  ip netns exec "${tag}n$i" busybox udhcpc -i "${tag}t$i" -s "$dir/udhcpc.sh" -n -q -f -t 5 -T 1
  ip -n "${tag}n$i" -br addr show dev "${tag}t$i"
done
W show dhcp

say "ping vm1 (blue) -> vm2 (red): routed by the router in vm1's datapath"
ip2=$(field ip -s "$dir/wy.sock" --json port show vm2)
ip netns exec "${tag}n1" ping -c 3 -i 0.2 -W 2 "$ip2"
W show routers

say "routed-dhcp: OK"
