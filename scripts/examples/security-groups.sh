#!/usr/bin/env bash
# Security groups on one chassis with the embedded database: a group whose
# rules are objects of their own, the project's default group that a port
# gets when it names none, a port with port security off, and the compiled
# view wyvernd installed (show security-groups).
# Run as root from the repository root after `make`.
set -euo pipefail
export PATH="$PWD/build/bin:$PATH"
say() { printf '\n== %s\n' "$*"; }

tag=ws$$                                   # unique names: taps, namespaces, chassis, DPDK prefix
dir=$(mktemp -d /tmp/wyvern-sg.XXXXXX)     # database, config, socket, log
pid=
cleanup() {
  [ $? -eq 0 ] || tail -n 20 "$dir/wyvernd.log" 2>/dev/null || true
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  for i in 1 2 3; do ip netns del "${tag}n$i" 2>/dev/null || true; done
  rm -rf "$dir" "/var/run/dpdk/$tag"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$dir/db"
DB="rocksdb:$dir/db/central"
NB() { echo "+ wyctl --db $DB $*"; wyctl --db "$DB" "$@"; }
W() { echo "+ wyctl -s $dir/wy.sock $*"; wyctl -s "$dir/wy.sock" "$@"; }
id_of() { wyctl --db "$DB" --json port show "$1" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }
ping_ok() { for _ in $(seq 20); do ip netns exec "${tag}n$1" ping -c 1 -W 1 "$2" > /dev/null && return 0; sleep 0.3; done; return 1; }
refused() { ! ip netns exec "${tag}n$1" ping -c 2 -i 0.3 -W 1 "$2" > /dev/null; }

say "northbound: group web lets TCP 8080 in from 10.0.0.0/24 (a rule object of its own)"
NB network create blue
NB subnet create s --network blue --cidr 10.0.0.0/24
NB security-group create web                          # + egress IPv4/IPv6 to anywhere
NB security-group rule create web --protocol tcp --dst-port 8080 --remote-ip 10.0.0.0/24
NB security-group rule list --group web

say "three ports: vm1 names no group (it gets the project's default group), vm2 is in web, vm3 has port security off"
NB port create vm1 --network blue --host "$tag" --fixed-ip subnet=s,ip=10.0.0.11
NB port create vm2 --network blue --host "$tag" --fixed-ip subnet=s,ip=10.0.0.12 --security-group web
NB port create vm3 --network blue --host "$tag" --fixed-ip subnet=s,ip=10.0.0.13 --no-port-security
NB security-group list                                # web, and default (created for vm1)

say "wyvernd: its controller on that database, one tap per port (iface-id)"
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
EOC
for i in 1 2 3; do
  printf '[port.vm%s]\ndevargs = net_tap%s,iface=%st%s\niface-id = %s\n' "$i" "$((i - 1))" "$tag" "$i" "$(id_of vm$i)" >> "$dir/wyvernd.conf"
done
wyvernd -c "$dir/wyvernd.conf" > "$dir/wyvernd.log" 2>&1 &
pid=$!
lports() { wyctl -s "$dir/wy.sock" --json show lports 2>/dev/null | grep -c '"dp_port": [0-9]'; }
for _ in $(seq 150); do                    # until the controller has compiled the three ports
  [ "$(lports)" = 3 ] && break
  kill -0 "$pid" 2>/dev/null || exit 1
  sleep 0.2
done
[ "$(lports)" = 3 ] || { echo "the controller did not bind the ports"; exit 1; }
for i in 1 2 3; do
  mac=$(wyctl -s "$dir/wy.sock" --json port show vm$i | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["mac_address"])')
  ip netns add "${tag}n$i"
  ip link set "${tag}t$i" netns "${tag}n$i"
  ip -n "${tag}n$i" link set "${tag}t$i" address "$mac"
  ip -n "${tag}n$i" addr add "10.0.0.1$i/24" dev "${tag}t$i"
  ip -n "${tag}n$i" link set "${tag}t$i" up
done

say "what wyvernd installed: vm1 and vm2 filtered (vm3 is not), rule ids, the default group's members"
W show security-groups

say "vm1 -> vm3: vm1 may send anything, the replies come back; vm3 is not filtered"
ping_ok 1 10.0.0.13 && echo "vm1 -> vm3: answered"
say "vm3 -> vm1: refused (vm3 is not in vm1's default group)"
refused 3 10.0.0.11 && echo "vm3 -> vm1: refused"
say "vm1 -> vm2: refused (web allows TCP 8080 in, not ICMP) until a rule allows it"
refused 1 10.0.0.12 && echo "vm1 -> vm2: refused"
W security-group rule create web --protocol icmp --remote-ip 10.0.0.0/24
ping_ok 1 10.0.0.12 && echo "vm1 -> vm2: answered"

say "security-groups: OK"
