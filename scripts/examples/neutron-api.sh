#!/usr/bin/env bash
# The openstack CLI drives wyvern through its Neutron API: two networks, a
# router joining them, two ports; wyvernd binds the ports to two taps moved
# into namespaces, and vm1 pings vm2 through the router.
# First wyvern-api runs on its own over the embedded database; then wyvernd
# holds that database and serves the same API itself ([api] enable).
# Run as root from the repository root after `make` (needs python3-openstackclient).
set -euo pipefail
export PATH="$PWD/build/bin:$PATH"
say() { printf '\n== %s\n' "$*"; }

tag=wn$$                                   # unique names: taps, namespaces, chassis, DPDK prefix
dir=$(mktemp -d /tmp/wyvern-neutron.XXXXXX)
pid= api=
cleanup() {
  [ $? -eq 0 ] || tail -n 20 "$dir/wyvernd.log" "$dir/api.log" 2>/dev/null || true
  for p in $api $pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  ip netns del "${tag}n1" 2>/dev/null || true
  ip netns del "${tag}n2" 2>/dev/null || true
  rm -rf "$dir" "/var/run/dpdk/$tag"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
DB="rocksdb:$dir/db"
OS() { echo "+ openstack $*"; openstack --os-auth-type none --os-endpoint "$URL" "$@"; }
val() { openstack --os-auth-type none --os-endpoint "$URL" "$@" -f value; }

say "wyvern-api alone on the embedded database (no Keystone: --os-auth-type none)"
wyvern-api --db "$DB" --listen 127.0.0.1:0 > "$dir/api.out" 2> "$dir/api.log" &
api=$!
for _ in $(seq 100); do grep -q listening "$dir/api.out" && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$dir/api.out")
echo "API at $URL"

say "networks blue and red, a subnet each, a router joining them, a port on each"
OS network create blue -c id -c mtu -c provider:segmentation_id
OS subnet create s1 --network blue --subnet-range 10.0.1.0/24 -c allocation_pools -c gateway_ip
OS network create red -c id
OS subnet create s2 --network red --subnet-range 10.0.2.0/24 -c gateway_ip
OS router create r -c id
OS router add subnet r s1
OS router add subnet r s2
OS port create vm1 --network blue --host "$tag" -c fixed_ips -c mac_address
OS port create vm2 --network red --host "$tag" -c fixed_ips -c mac_address
OS port list --router r
id1=$(val port show vm1 -c id)
id2=$(val port show vm2 -c id)
kill "$api"; wait "$api" || true; api=

say "wyvernd: holds the database now, binds the ports (iface-id) and serves the API"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
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
[api]
enable = true
listen = 127.0.0.1:$port
[port.vm1]
devargs = net_tap0,iface=${tag}t1
iface-id = $id1
[port.vm2]
devargs = net_tap1,iface=${tag}t2
iface-id = $id2
EOC
wyvernd -c "$dir/wyvernd.conf" > "$dir/wyvernd.log" 2>&1 &
pid=$!
URL=http://127.0.0.1:$port
for _ in $(seq 150); do                    # until the controller has compiled both ports
  [ "$(wyctl -s "$dir/wy.sock" --json show lports 2>/dev/null | grep -c '"dp_port": [0-9]')" = 2 ] && break
  kill -0 "$pid" 2>/dev/null || exit 1
  sleep 0.2
done
OS port list --long -c Name -c "Fixed IP Addresses" -c Status -c "Device Owner"

say "each tap into a namespace with its port's MAC and address, default route via the router"
for i in 1 2; do
  mac=$(val port show vm$i -c mac_address)
  ip=$(val port show vm$i -c fixed_ips | sed "s/.*ip_address': '\([0-9.]*\)'.*/\1/")
  ip netns add "${tag}n$i"
  ip link set "${tag}t$i" netns "${tag}n$i"
  ip -n "${tag}n$i" link set "${tag}t$i" address "$mac"
  ip -n "${tag}n$i" addr add "$ip/24" dev "${tag}t$i"
  ip -n "${tag}n$i" link set "${tag}t$i" up
  ip -n "${tag}n$i" route add default via "10.0.$i.1"
  echo "vm$i: $ip in namespace ${tag}n$i, MAC $mac"
done

say "ping vm1 (blue) -> vm2 (red) through the router"
ip2=$(val port show vm2 -c fixed_ips | sed "s/.*ip_address': '\([0-9.]*\)'.*/\1/")
ip netns exec "${tag}n1" ping -c 3 -i 0.2 -W 2 "$ip2"

say "neutron-api: OK"
