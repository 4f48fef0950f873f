#!/usr/bin/env bash
# An external network, a router gateway and a floating IP: the openstack CLI
# writes the topology through the Neutron API (wyvern-api on the embedded
# database), then wyvernd holds that database and forwards; an "upstream" namespace
# at 172.24.4.1 sits on the external flat network behind the uplink veth and
# plays the Internet router.  The floating IP is translated on this chassis
# (conntrack NAT): upstream pings the VM at its floating IP, the VM pings
# upstream and upstream sees the floating IP as the source.
# Run as root from the repository root after `make` (needs python3-openstackclient).
set -euo pipefail
export PATH="$PWD/build/bin:$PATH"
say() { printf '\n== %s\n' "$*"; }

tag=wf$$                                   # unique names: taps, namespaces, veths, DPDK prefix
dir=$(mktemp -d /tmp/wyvern-fip.XXXXXX)
pid= cap=
cleanup() {
  [ $? -eq 0 ] || tail -n 20 "$dir/wyvernd.log" 2>/dev/null || true
  for p in $cap $pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  ip link del "${tag}u" 2>/dev/null || true
  ip netns del "${tag}vm" 2>/dev/null || true
  ip netns del "${tag}up" 2>/dev/null || true
  rm -rf "$dir" "/var/run/dpdk/$tag"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
OS() { echo "+ openstack $*"; openstack --os-auth-type none --os-endpoint "$URL" "$@"; }
val() { openstack --os-auth-type none --os-endpoint "$URL" "$@" -f value; }
wy() { echo "+ wyctl $*"; wyctl -s "$dir/wy.sock" "$@"; }

say "the uplink: a veth; its far end is the upstream router, 172.24.4.1 on the external network"
ip link add "${tag}u" type veth peer name "${tag}p"
ip netns add "${tag}up"
ip link set "${tag}p" netns "${tag}up"
ip -n "${tag}up" addr add 172.24.4.1/24 dev "${tag}p"
ip -n "${tag}up" link set "${tag}p" up
ip netns exec "${tag}up" ethtool -K "${tag}p" tx off >/dev/null   # af_packet: no checksum offload
ip link set "${tag}u" up

say "wyvern-api alone on the embedded database: the topology"
DB="rocksdb:$dir/db"
wyvern-api --db "$DB" --listen 127.0.0.1:0 > "$dir/api.out" 2> "$dir/api.log" &
pid=$!
for _ in $(seq 100); do grep -q listening "$dir/api.out" && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$dir/api.out")
OS network create ext --external --provider-network-type flat --provider-physical-network physnet1 -c id
OS subnet create ext-s --network ext --subnet-range 172.24.4.0/24 --gateway 172.24.4.1 --no-dhcp -c id
OS network create tenant -c id
OS subnet create tenant-s --network tenant --subnet-range 10.0.5.0/24 -c gateway_ip
OS router create r -c id
OS router set r --external-gateway ext
OS router add subnet r tenant-s
OS router show r -c external_gateway_info
# security groups apply to floating-IP traffic: this one lets ICMP in
OS security group create pingable -c id
OS security group rule create pingable --ingress --protocol icmp -c id
OS port create vm1 --network tenant --host "$tag" --security-group pingable -c fixed_ips -c mac_address

say "a floating IP for vm1"
OS floating ip create ext --port vm1 -c floating_ip_address -c fixed_ip_address -c router_id
fip=$(val floating ip list -c "Floating IP Address")
id=$(val port show vm1 -c id)
kill "$pid"; wait "$pid" || true; pid=

say "wyvernd: the uplink (physnet1) and the VM port"
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
uplink = up
vtep-ip = 192.0.2.1
physnet = physnet1
[port.up]
devargs = net_af_packet0,iface=${tag}u
[port.vm1]
devargs = net_tap0,iface=${tag}t1
iface-id = $id
EOC
wyvernd -c "$dir/wyvernd.conf" > "$dir/wyvernd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  wyctl -s "$dir/wy.sock" show ctrl >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || exit 1
  sleep 0.2
done

say "the VM: its tap in a namespace with the port's MAC and address"
mac=$(wyctl -s "$dir/wy.sock" --json port show vm1 | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["mac_address"])')
ip=$(wyctl -s "$dir/wy.sock" --json port show vm1 | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["fixed_ips"][0]["ip_address"])')
for _ in $(seq 100); do ip link show "${tag}t1" >/dev/null 2>&1 && break; sleep 0.1; done
ip netns add "${tag}vm"
ip link set "${tag}t1" netns "${tag}vm"
ip -n "${tag}vm" link set "${tag}t1" address "$mac"
ip -n "${tag}vm" addr add "$ip/24" dev "${tag}t1"
ip -n "${tag}vm" link set "${tag}t1" up
ip -n "${tag}vm" route add default via 10.0.5.1

say "this chassis translates the floating IP; the upstream's MAC was resolved by ARP"
for _ in $(seq 100); do
  wyctl -s "$dir/wy.sock" show nat | grep -q "$fip" &&
    ! wyctl -s "$dir/wy.sock" show nat | grep -q unresolved && break
  sleep 0.2
done
wy show nat

say "upstream -> the floating IP reaches vm1"
ip netns exec "${tag}up" ping -c 3 -i 0.2 -W 2 "$fip"

say "vm1 -> upstream: upstream sees the floating IP as the source"
ip netns exec "${tag}up" tcpdump -l -n -i "${tag}p" -c 1 icmp and dst host 172.24.4.1 \
  > "$dir/seen.txt" 2>/dev/null &
cap=$!
sleep 1
ip netns exec "${tag}vm" ping -c 3 -i 0.2 -W 2 172.24.4.1
wait "$cap" || true; cap=
cat "$dir/seen.txt"
grep -q "IP $fip > 172.24.4.1" "$dir/seen.txt"

say "floating-ip: OK"
