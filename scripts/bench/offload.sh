#!/usr/bin/env bash
# Offload benchmark, XDP tier: two namespaces joined through veths, the host
# ends forwarded by
#   wyvern-xdp:    wyvernd with [offload] backend = xdp on the same
#                  net_af_xdp ports and lports, loading pmd-offload's XDP
#                  program itself (xdp_prog=, native mode; wyv_xdp_pass on the
#                  namespace ends, which native redirect into a veth needs):
#                  the first frames go through the PMD, whose megaflows
#                  (UDP: they match the destination port) the offload
#                  manager installs as XDP flows; the rest is forwarded in
#                  XDP.  Its CPU time counts (the PMD polls its sockets).
#   wyvern-afxdp:  wyvernd (offload disabled) with the host ends as net_af_xdp
#                  ports, one lport each (no port security: the generators'
#                  addresses are not the ports'), PMD on lcore 1: every
#                  frame crosses the AF_XDP socket into the PMD and back out
#   linux-bridge:  a kernel bridge holding both host ends
# Traffic (OFFLOAD_GEN):
#   testpmd (default when dpdk-testpmd exists): txonly, 64-byte UDP frames to
#     B's MAC, from a net_af_packet port on A's veth end (kept in the root
#     namespace; so is B's end).  pps = frames B's veth end received / seconds
#     (its rx_packets counter); cpu_ns_per_pkt = softirq CPU time (/proc/stat,
#     where both XDP on veth and the bridge run), plus wyvernd's own CPU
#     time (/proc/PID/stat: the PMD polling its AF_XDP sockets) for the
#     wyvern systems, / received frames.  testpmd forwards on lcore 0.
#   iperf3: UDP, 64-byte payloads, unlimited rate (-b 0), namespace A -> B.
#     pps = datagrams the receiver got / seconds; cpu_ns_per_pkt = the whole
#     machine's busy CPU (sender and receiver included) / datagrams.
#
# Partial offload (offload-partial-1k, offload-partial-100k; build/pmd-offload/
# ofl_bench, in process, one core, no root needed): the L2 workload (two
# lports, 64-byte UDP frames of 1k / 100k flows, one megaflow) through the
# PMD, plain software against partial offload with the dummy backend's MARK
# emulation (an rx callback marks the frames, as a NIC would).  The PMD's
# cycles per packet (rx + datapath + tx) exclude the emulation's own cost (the
# NIC's job), printed apart as emulation_cycles_per_pkt.
# Environment: BUILD (default build), OFFLOAD_SECONDS (5), OFFLOAD_GEN,
# OFFLOAD_WORKLOADS (default "offload-partial-1k offload-partial-100k xdp-l2").
# Prints: BENCH workload=xdp-l2 system=<wyvern-xdp|wyvern-afxdp|linux-bridge> pps=..
#               cpu_ns_per_pkt=..
#         BENCH workload=offload-partial-<1k|100k> system=<wyvern-sw|wyvern-partial>
#               mpps=.. cycles_per_pkt=..
#         INFO workload=offload-partial-<..> saved_cycles_per_pkt=.. ...
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD="$ROOT/$BUILD"
SECS=${OFFLOAD_SECONDS:-5}
GEN=${OFFLOAD_GEN:-}
if [[ -z $GEN ]]; then
    if command -v dpdk-testpmd >/dev/null; then GEN=testpmd; else GEN=iperf3; fi
fi
WORKLOADS=${OFFLOAD_WORKLOADS:-offload-partial-1k offload-partial-100k xdp-l2}
for w in $WORKLOADS; do
    case $w in
    offload-partial-*)
        [[ -x $BUILD/pmd-offload/ofl_bench ]] || { echo "offload.sh: ofl_bench not built" >&2; exit 1; }
        "$BUILD/pmd-offload/ofl_bench" "${w#offload-partial-}" ;;
    xdp-l2) ;;
    *) echo "offload.sh: unknown workload '$w'" >&2; exit 2 ;;
    esac
done
[[ " $WORKLOADS " == *" xdp-l2 "* ]] || exit 0

XDP="$BUILD/pmd-offload/wyv-xdp"
XOBJ="$BUILD/pmd-offload/wyv_xdp.bpf.o"
WYVERND="$BUILD/ctrl/wyvernd" WYCTL="$BUILD/ctrl/wyctl"
for f in "$XDP" "$WYVERND" "$WYCTL"; do
    [[ -e $f ]] || { echo "offload.sh: $f not built" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "offload.sh: needs root" >&2; exit 1; }

ID=$$
NSA=wyboa$ID NSB=wybob$ID
HA=wyba$ID PA=wybpa$ID HB=wybb$ID PB=wybpb$ID BR=wybbr$ID
MAC_A=02:00:00:88:00:0a MAC_B=02:00:00:88:00:0b
PIDS=()
TMP=$(mktemp -d /tmp/wybo.XXXXXX)
WYPID=

cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    ip link del "$HA" 2>/dev/null || true
    ip link del "$HB" 2>/dev/null || true
    ip link del "$BR" 2>/dev/null || true
    ip netns del "$NSA" 2>/dev/null || true
    ip netns del "$NSB" 2>/dev/null || true
    rm -rf "/var/run/dpdk/wybo$ID" "/var/run/dpdk/wybw$ID" "$TMP"
    rm -f /sys/fs/bpf/wyv_*   # net_af_xdp's libbpf pinned our maps there
}
trap cleanup EXIT INT TERM

setup() {
    mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
    ip link add "$HA" type veth peer name "$PA"
    ip link add "$HB" type veth peer name "$PB"
    if [[ $GEN == testpmd ]]; then
        ip link set "$PA" address $MAC_A; ip link set "$PB" address $MAC_B
        ip link set "$PA" up; ip link set "$PB" up; ip link set "$HA" up; ip link set "$HB" up
        return
    fi
    ip netns add "$NSA"; ip netns add "$NSB"
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

softirq_jiffies() {   # softirq of all CPUs, plus wyvernd's user+system when it runs
    local j
    j=$(awk '/^cpu /{print $8}' /proc/stat)
    if [[ -n $WYPID ]]; then
        j=$((j + $(awk '{print $14 + $15}' "/proc/$WYPID/stat")))
    fi
    echo "$j"
}

# wyvernd on the host ends (net_af_xdp), one lport each; $1 = xdp: the XDP
# tier on, driven by wyvernd (else offload disabled).
wy_start() {
    local xprog="" ofl=""
    if [[ ${1:-} == xdp ]]; then
        xprog=",xdp_prog=$XOBJ"
        ofl=$'[offload]\nenable = true\nbackend = xdp\nmode = full\nstats-interval-ms = 200'
    fi
    cat >"$TMP/wyvernd.conf" <<EOF
[eal]
args = --no-huge --no-pci
memory-mb = 512
file-prefix = wybw$ID
lcores = 0,1
[dp]
pmd-lcores = 1
idle-sleep-max-us = 200
mbufs = 16384
[mgmt]
socket = $TMP/wy.sock
$ofl
[port.a]
devargs = net_af_xdp0,iface=$HA$xprog
[port.b]
devargs = net_af_xdp1,iface=$HB$xprog
EOF
    "$WYVERND" -c "$TMP/wyvernd.conf" >"$TMP/wyvernd.log" 2>&1 &
    WYPID=$!
    PIDS+=($WYPID)
    for _ in $(seq 200); do
        [[ -S $TMP/wy.sock ]] && "$WYCTL" -s "$TMP/wy.sock" show ports >/dev/null 2>&1 && break
        kill -0 "$WYPID" 2>/dev/null || { cat "$TMP/wyvernd.log" >&2; exit 1; }
        sleep 0.1
    done
    "$WYCTL" -s "$TMP/wy.sock" network add 88 >/dev/null
    "$WYCTL" -s "$TMP/wy.sock" lport add 881 --network 88 --mac $MAC_A --port a \
        --no-port-security >/dev/null
    "$WYCTL" -s "$TMP/wy.sock" lport add 882 --network 88 --mac $MAC_B --port b \
        --no-port-security >/dev/null
}

wy_stop() {
    "$WYCTL" -s "$TMP/wy.sock" show ports >&2 || true
    kill "$WYPID" 2>/dev/null || true
    wait "$WYPID" 2>/dev/null || true
    local keep=()
    for p in "${PIDS[@]}"; do [[ $p == "$WYPID" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
    WYPID=
    rm -f "$TMP/wy.sock"
}

measure_testpmd() {   # $1 system name
    local r0 r1 j0 j1 hz
    local rxf=/sys/class/net/$PB/statistics/rx_packets
    (printf 'start\n'; sleep $((SECS + 2)); printf 'stop\nquit\n') |
        dpdk-testpmd --no-huge -m 512 --no-pci --file-prefix wybo$ID -l 0,1 --main-lcore 1 \
            --vdev "net_af_packet0,iface=$PA" -- -i --forward-mode=txonly \
            --eth-peer=0,$MAC_B --txpkts=64 --total-num-mbufs=8192 >/dev/null 2>&1 &
    PIDS+=($!)
    sleep 2   # EAL start + warm-up
    r0=$(cat "$rxf"); j0=$(softirq_jiffies)
    sleep "$SECS"
    r1=$(cat "$rxf"); j1=$(softirq_jiffies)
    wait "${PIDS[-1]}" 2>/dev/null || true
    hz=$(getconf CLK_TCK)
    /usr/bin/python3 - "$1" "$((r1 - r0))" "$SECS" "$j0" "$j1" "$hz" <<'PY'
import sys
name, recv, secs, j0, j1, hz = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
ns = (j1 - j0) / hz * 1e9 / recv if recv else 0
print("BENCH workload=xdp-l2 system=%s pps=%.0f cpu_ns_per_pkt=%.0f" % (name, recv / secs, ns))
PY
}

measure() {   # $1 system name
    if [[ $GEN == testpmd ]]; then measure_testpmd "$1"; return; fi
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
inns() {   # run in namespace $1 unless the testpmd generator keeps ends in root
    local ns=$1; shift
    if [[ $GEN == testpmd ]]; then "$@"; else ip netns exec "$ns" "$@"; fi
}
warm() {   # the first frames through the PMD (megaflows)
    if [[ $GEN == testpmd ]]; then
        /usr/bin/python3 -c "from scapy.all import sendp, Ether, IP, UDP; sendp(Ether(src='$MAC_B', dst='$MAC_A')/IP()/UDP(), iface='$PB', verbose=0)"
    else
        ip netns exec "$NSA" ping -c 3 -i 0.2 -W 2 10.88.0.2 >/dev/null || true
    fi
    sleep 1
}
# --- XDP tier, driven by wyvernd
rm -f /sys/fs/bpf/wyv_*   # stale pins of an earlier run
wy_start xdp
inns "$NSA" "$XDP" attach "$PA" wyv_xdp_pass
inns "$NSB" "$XDP" attach "$PB" wyv_xdp_pass
warm
if [[ $GEN != testpmd ]]; then
    # a short UDP run installs the UDP megaflows; wait for their XDP flows
    ip netns exec "$NSB" iperf3 -s -1 -B 10.88.0.2 >/dev/null 2>&1 &
    PIDS+=($!)
    sleep 0.5
    ip netns exec "$NSA" iperf3 -c 10.88.0.2 -u -b 1M -l 64 -t 1 >/dev/null 2>&1 || true
    wait "${PIDS[-1]}" 2>/dev/null || true
fi
"$WYCTL" -s "$TMP/wy.sock" show offload >&2
measure wyvern-xdp
"$XDP" -p /sys/fs/bpf stats "$HA" >&2
"$XDP" -p /sys/fs/bpf flows >&2
wy_stop
inns "$NSA" "$XDP" detach "$PA"
inns "$NSB" "$XDP" detach "$PB"
# --- wyvernd's PMD over AF_XDP
wy_start
warm
measure wyvern-afxdp
wy_stop
# --- Linux bridge
ip link add "$BR" type bridge
ip link set "$HA" master "$BR"; ip link set "$HB" master "$BR"; ip link set "$BR" up
# the bridge learns B's MAC from one frame B sends (else it floods back to A)
if [[ $GEN == testpmd ]]; then
    /usr/bin/python3 -c "from scapy.all import sendp, Ether; sendp(Ether(src='$MAC_B', dst='$MAC_A'), iface='$PB', verbose=0)"
else
    ip netns exec "$NSA" ping -c 1 -W 2 10.88.0.2 >/dev/null
fi
measure linux-bridge
