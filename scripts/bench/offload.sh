#!/usr/bin/env bash
# Offload benchmark, XDP tier: two namespaces joined through veths, the host
# ends forwarded by
#   wyvern-xdp:    pmd-offload's XDP program (native mode, one L2 flow each way,
#                  installed with build/pmd-offload/wyv-xdp; wyv_xdp_pass on the
#                  namespace ends, which native redirect into a veth needs)
#   linux-bridge:  a kernel bridge holding both host ends
# Traffic: iperf3 UDP, 64-byte payloads, unlimited rate (-b 0), SECONDS long,
# A -> B.  pps = datagrams the receiver got / seconds; cpu_ns_per_pkt = busy
# CPU time of the whole machine (/proc/stat, both cores: sender, receiver and
# forwarding together) / received datagrams.
# Not measured yet: the same through wyvernd's af_xdp PMD (the integration
# step), and offload-partial (needs the PMD's mark path).
# Environment: BUILD (default build), OFFLOAD_SECONDS (5).
# Prints: BENCH workload=xdp-l2 system=<wyvern-xdp|linux-bridge> pps=.. cpu_ns_per_pkt=..
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD="$ROOT/$BUILD"
SECS=${OFFLOAD_SECONDS:-5}
XDP="$BUILD/pmd-offload/wyv-xdp"
[[ -x $XDP ]] || { echo "offload.sh: $XDP not built" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "offload.sh: needs root" >&2; exit 1; }

ID=$$
NSA=wyboa$ID NSB=wybob$ID
HA=wyba$ID PA=wybpa$ID HB=wybb$ID PB=wybpb$ID BR=wybbr$ID
PIN=/sys/fs/bpf/wybo$ID
MAC_A=02:00:00:88:00:0a MAC_B=02:00:00:88:00:0b
PIDS=()

cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    ip link del "$HA" 2>/dev/null || true
    ip link del "$HB" 2>/dev/null || true
    ip link del "$BR" 2>/dev/null || true
    ip netns del "$NSA" 2>/dev/null || true
    ip netns del "$NSB" 2>/dev/null || true
    rm -rf "$PIN"
}
trap cleanup EXIT INT TERM

setup() {
    mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
    ip netns add "$NSA"; ip netns add "$NSB"
    ip link add "$HA" type veth peer name "$PA"
    ip link add "$HB" type veth peer name "$PB"
    ip link set "$PA" netns "$NSA"; ip link set "$PB" netns "$NSB"
    ip -n "$NSA" link set "$PA" address $MAC_A
    ip -n "$NSB" link set "$PB" address $MAC_B
    ip -n "$NSA" addr add 10.88.0.1/24 dev "$PA"
    ip -n "$NSB" addr add 10.88.0.2/24 dev "$PB"
    for n in "$NSA:$PA" "$NSB:$PB"; do
        ip -n "${n%%:*}" link set "${n#*:}" up
        ip -n "${n%%:*}" link set lo up
        ip netns exec "${n%%:*}" ethtool -K "${n#*:}" tx off >/dev/null 2>&1 || true
    done
    ip -n "$NSA" neigh replace 10.88.0.2 lladdr $MAC_B dev "$PA" nud permanent
    ip -n "$NSB" neigh replace 10.88.0.1 lladdr $MAC_A dev "$PB" nud permanent
    ip link set "$HA" up; ip link set "$HB" up
}

busy_jiffies() {   # user+nice+system+irq+softirq+steal of all CPUs
    awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat
}

measure() {   # $1 system name
    local out j0 j1 hz recv
    ip netns exec "$NSB" iperf3 -s -1 -B 10.88.0.2 >/dev/null 2>&1 &
    PIDS+=($!)
    for _ in $(seq 50); do
        ip netns exec "$NSB" ss -lun | grep -q 5201 && break
        ip netns exec "$NSB" ss -ltn | grep -q 5201 && break
        sleep 0.1
    done
    j0=$(busy_jiffies)
    out=$(ip netns exec "$NSA" iperf3 -c 10.88.0.2 -u -b 0 -l 64 -t "$SECS" -J)
    j1=$(busy_jiffies)
    hz=$(getconf CLK_TCK)
    recv=$(/usr/bin/python3 -c '
import json,sys
d=json.load(sys.stdin)["end"]["sum"]
print(int(d["packets"])-int(d.get("lost_packets",0)))' <<<"$out")
    /usr/bin/python3 - "$1" "$recv" "$SECS" "$j0" "$j1" "$hz" <<'PY'
import sys
name, recv, secs, j0, j1, hz = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
pps = recv / secs
ns = (j1 - j0) / hz * 1e9 / recv if recv else 0
print("BENCH workload=xdp-l2 system=%s pps=%.0f cpu_ns_per_pkt=%.0f" % (name, pps, ns))
PY
}

setup
# --- XDP tier
"$XDP" -p "$PIN" attach "$HA"
"$XDP" -p "$PIN" attach "$HB"
ip netns exec "$NSA" "$XDP" attach "$PA" wyv_xdp_pass
ip netns exec "$NSB" "$XDP" attach "$PB" wyv_xdp_pass
"$XDP" -p "$PIN" flow-add "$HA" $MAC_B "$HB"
"$XDP" -p "$PIN" flow-add "$HB" $MAC_A "$HA"
ip netns exec "$NSA" ping -c 1 -W 2 10.88.0.2 >/dev/null
measure wyvern-xdp
"$XDP" -p "$PIN" stats "$HA" >&2
"$XDP" detach "$HA"; "$XDP" detach "$HB"
ip netns exec "$NSA" "$XDP" detach "$PA"
ip netns exec "$NSB" "$XDP" detach "$PB"
# --- Linux bridge
ip link add "$BR" type bridge
ip link set "$HA" master "$BR"; ip link set "$HB" master "$BR"; ip link set "$BR" up
ip netns exec "$NSA" ping -c 1 -W 2 10.88.0.2 >/dev/null
measure linux-bridge
