#!/usr/bin/env bash
# DHCP benchmark: wyvern's distributed DHCP (controller app) vs dnsmasq
# serving the same subnet (10.40.0.0/24, same options: router, 2 DNS, MTU
# 1400, classless routes) to the same client.
#
#   wyvern:  client namespace --tap--> wyvernd (PMD punts DHCP, control thread
#            answers from the held model; DB-driven: NB CLI on an embedded
#            RocksDB, [ctrl] db, iface-id).  PMD busy-polls (idle-sleep-max-us
#            = 0) on lcore 1; DHCP's per-port rate limit and the datapath's
#            punt rate limit are lifted for the run (WYVERN_DHCP_RATE,
#            punt-rate-pps), as they would cap the measurement.
#   dnsmasq: client namespace --veth--> dnsmasq namespace (kernel sockets),
#            --no-ping, lease file in the run's tmp dir.
# Client: scripts/bench/dhcp_client.c on a raw AF_PACKET socket (gcc-built
# here with ctrl/apps/dhcp_msg.c).  Latency: one DISCOVER at a time, N samples of
# DISCOVER->OFFER.  Leases/s: full DORA with WINDOW transactions in flight
# for SECONDS.  wyvern answers only a port's own MAC, so every lease is for
# the one client port's MAC (repeated leases of the same address); dnsmasq
# gets the same single MAC (a static --dhcp-host, i.e. a lease renewal too).
#
# Environment: BUILD (default build), DHCP_N (latency samples, 2000),
# DHCP_SECONDS (5), DHCP_WINDOW (16).
# Prints: BENCH workload=dhcp system=<wyvern|dnsmasq> p50_us=.. p99_us=.. leases_per_s=..
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD="$PWD/$BUILD"
N=${DHCP_N:-2000}
SECS=${DHCP_SECONDS:-5}
WIN=${DHCP_WINDOW:-16}
ID=$$
TMP=$(mktemp -d "/tmp/wyb-dhcp-$ID-XXXX")
NSC="wybdc$((ID % 100000))"   # client namespace
NSS="wybds$((ID % 100000))"   # dnsmasq namespace
TAP="wybt$((ID % 100000))"
VC="wybvc$((ID % 100000))"
VS="wybvs$((ID % 100000))"
MAC=02:00:00:40:00:0b
PIDS=()

log() { echo "dhcp.sh: $*" >&2; }

cleanup() {
    set +e
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    ip netns del "$NSC" 2>/dev/null
    ip netns del "$NSS" 2>/dev/null
    ip link del "$VC" 2>/dev/null
    rm -rf "/var/run/dpdk/wyb-dhcp-$ID"
    [[ -n ${KEEP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

WYVERND=$BUILD/ctrl/wyvernd
WYCTL=$BUILD/ctrl/wyctl
[[ -x $WYVERND && -x $WYCTL ]] || { log "build first ($BUILD)"; exit 1; }
command -v dnsmasq >/dev/null || { log "dnsmasq (dnsmasq-base) missing"; exit 1; }
gcc -O2 -Wall -I"$ROOT/ctrl/apps" "$HERE/dhcp_client.c" "$ROOT/ctrl/apps/dhcp_msg.c" -o "$TMP/dhcp_client"

run_client() {   # NS IF -> "p50 p99 lps"
    local ns=$1 ifc=$2 lat lps
    lat=$(ip netns exec "$ns" "$TMP/dhcp_client" -i "$ifc" -m "$MAC" latency "$N")
    log "$lat"
    lps=$(ip netns exec "$ns" "$TMP/dhcp_client" -i "$ifc" -m "$MAC" leases "$SECS" "$WIN")
    log "$lps"
    echo "$(sed -n 's/.*p50_us=\([^ ]*\).*/\1/p' <<<"$lat") \
$(sed -n 's/.*p99_us=\([^ ]*\).*/\1/p' <<<"$lat") \
$(sed -n 's/.*leases_per_s=\([^ ]*\).*/\1/p' <<<"$lps")"
}

ip netns add "$NSC"
ip -n "$NSC" link set lo up

# ---------------------------------------------------------------- wyvern
DB="rocksdb:$TMP/db"
CH="wyb-dhcp-$ID"
nbc() { env -u WYVERN_DB -u WYVERN_SOCKET "$WYCTL" --db "$DB" --json "$@"; }
nbc network create bn --mtu 1400 >/dev/null
nbc subnet create bn-v4 --network bn --cidr 10.40.0.0/24 --gateway 10.40.0.1 \
    --dns 10.40.0.2 --dns 10.40.0.3 --host-route 192.168.50.0/24=10.40.0.5 >/dev/null
PORT_ID=$(nbc port create c1 --network bn --host "$CH" --mac "$MAC" \
    --fixed-ip subnet=bn-v4,ip=10.40.0.11 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
cat >"$TMP/wyvernd.conf" <<EOF
[eal]
args = --no-huge --no-pci
memory-mb = 512
file-prefix = wyb-dhcp-$ID
lcores = 0,1
[dp]
pmd-lcores = 1
idle-sleep-max-us = 0
mbufs = 16384
punt-rate-pps = 10000000
punt-burst = 100000
[mgmt]
socket = $TMP/wy.sock
[ctrl]
db = $DB
chassis = $CH
replica = $TMP/replica
[port.c1]
devargs = net_tap0,iface=$TAP
iface-id = $PORT_ID
EOF
WYVERN_DHCP_RATE=100000000,100000000,0 "$WYVERND" -c "$TMP/wyvernd.conf" >"$TMP/wyvernd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do
    [[ -S $TMP/wy.sock ]] && "$WYCTL" -s "$TMP/wy.sock" show lports 2>/dev/null | grep -q c1 && break
    kill -0 "${PIDS[0]}" 2>/dev/null || { cat "$TMP/wyvernd.log" >&2; exit 1; }
    sleep 0.1
done
ip link set "$TAP" netns "$NSC"
ip -n "$NSC" link set "$TAP" address "$MAC" up
sleep 0.5
read -r W50 W99 WLPS <<<"$(run_client "$NSC" "$TAP")"
"$WYCTL" -s "$TMP/wy.sock" show dhcp >&2 || true
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true
PIDS=()
ip netns del "$NSC"; ip netns add "$NSC"; ip -n "$NSC" link set lo up

# ---------------------------------------------------------------- dnsmasq
ip netns add "$NSS"
ip link add "$VC" type veth peer name "$VS"
ip link set "$VC" netns "$NSC"
ip link set "$VS" netns "$NSS"
ip -n "$NSC" link set "$VC" address "$MAC" up
ip -n "$NSS" addr add 10.40.0.1/24 dev "$VS"
ip -n "$NSS" link set "$VS" up
ip -n "$NSS" link set lo up
ip netns exec "$NSS" dnsmasq --no-daemon --port=0 --bind-interfaces --interface="$VS" \
    --except-interface=lo --no-ping --dhcp-authoritative \
    --dhcp-range=10.40.0.100,10.40.0.200,255.255.255.0,24h \
    --dhcp-host="$MAC,10.40.0.11" \
    --dhcp-option=option:router,10.40.0.1 --dhcp-option=option:dns-server,10.40.0.2,10.40.0.3 \
    --dhcp-option=option:mtu,1400 \
    --dhcp-option=option:classless-static-route,0.0.0.0/0,10.40.0.1,192.168.50.0/24,10.40.0.5 \
    --dhcp-leasefile="$TMP/dnsmasq.leases" --pid-file="$TMP/dnsmasq.pid" \
    >"$TMP/dnsmasq.log" 2>&1 &
PIDS+=($!)
sleep 1
read -r D50 D99 DLPS <<<"$(run_client "$NSC" "$VC")"

printf 'BENCH workload=dhcp system=wyvern p50_us=%s p99_us=%s leases_per_s=%s\n' "$W50" "$W99" "$WLPS"
printf 'BENCH workload=dhcp system=dnsmasq p50_us=%s p99_us=%s leases_per_s=%s\n' "$D50" "$D99" "$DLPS"
