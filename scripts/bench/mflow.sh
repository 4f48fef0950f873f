#!/usr/bin/env bash
# Megaflow lifecycle benchmarks (make bench, suite mflow).  Two lines:
#
#   BENCH workload=invalidate system=wyvern tags=1000 megaflows=65536 pmd_stall_us=X ...
#     the longest PMD loop iteration's invalidation step (kill + reap) while a
#     batch of invalidation tags is applied ($BUILD/dp/dp_mflow_bench; the
#     minimum over rounds).  Target: <= 100 us.
#
#   BENCH workload=flood-isolation system=wyvern victim_mpps_ratio=X ...
#     port B's forwarding rate (the l2-1k workload of run.sh: net_pcap ->
#     net_null, two lports with port security) while port A floods new flows
#     (net_pcap of FLOOD_FRAMES random-source, random-destination frames,
#     infinite_rx, on the same PMD), as a fraction of B's rate alone.  Two
#     wyvernd runs, one after the other, same settings.  Target: >= 0.9.
#     Then the same two runs on OVS-DPDK (same ports, OpenFlow port security
#     for the three ports as run.sh's pipeline).
#
# Environment: BUILD (default build), BENCH_SECONDS, BENCH_WARMUP (lib.sh),
#   BENCH_REPEAT (alone/flooded pairs per system, interleaved; default 3; the
#   BENCH line is the pair with the median ratio, RUNS lists every ratio),
#   BENCH_HUGEPAGES (0 default, or 1), FLOOD_FRAMES (default 32768),
#   BENCH_CACHE (pcap cache dir, default $BUILD/bench).
set -euo pipefail

WB_BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench/lib.sh
source "$WB_BENCH_DIR/lib.sh"
WB_BUILD=${BUILD:-build}
[[ $WB_BUILD == /* ]] || WB_BUILD="$PWD/$WB_BUILD"
huge=${BENCH_HUGEPAGES:-0}
flood_frames=${FLOOD_FRAMES:-32768}

# shellcheck disable=SC2317  # called from a trap
wb_on_signal() {
    trap - INT TERM
    wb_log "interrupted"
    exit 130
}

# ------------------------------------------------------------ invalidate ---
if [[ -x $WB_BUILD/dp/dp_mflow_bench ]]; then
    "$WB_BUILD/dp/dp_mflow_bench" 65536 1000 7
else
    echo "SKIP workload=invalidate system=wyvern: $WB_BUILD/dp/dp_mflow_bench not built"
fi

# ------------------------------------------------------- flood isolation ---
[[ $EUID -eq 0 ]] || wb_die "needs root (DPDK)"
if [[ ! -x $WB_BUILD/ctrl/wyvernd ]]; then
    echo "SKIP workload=flood-isolation system=wyvern: $WB_BUILD/ctrl/wyvernd not built"
    exit 0
fi
trap 'wb_cleanup; [[ $huge == 1 ]] && wb_huge_restore' EXIT
trap wb_on_signal INT TERM
wb_mktemp
[[ $huge == 1 ]] && wb_huge_setup
cache=${BENCH_CACHE:-$WB_BUILD/bench}
mkdir -p "$cache"
victim="$cache/l2-1k.pcap"
flood="$cache/flood-$flood_frames.pcap"
[[ -s $victim ]] || "$WB_PY" "$WB_BENCH_DIR/gen_pcap.py" "$victim" 1000 >&2
[[ -s $flood ]] || "$WB_PY" "$WB_BENCH_DIR/gen_flood_pcap.py" "$flood" "$flood_frames" >&2
mbufs=$((1024 + flood_frames + 16384))

# one measurement: B alone (flooded=0) or with A flooding (flooded=1)
wy_victim() {
    local flooded=$1 extra=""
    [[ $flooded == 0 ]] ||
        extra=$(printf '[port.p2]\ndevargs = net_pcap1,rx_pcap=%s,infinite_rx=1' "$flood")
    wb_wy_start "$victim" "$huge" "$mbufs" "net_null0,no-rx=1" "$extra"
    "${WB_WYCTL[@]}" network add 1 --name bench >&2
    "${WB_WYCTL[@]}" lport add 1 --network 1 --mac 02:00:00:00:00:01 --ip 10.0.0.1 --port p0 >&2
    "${WB_WYCTL[@]}" lport add 2 --network 1 --mac 02:00:00:00:00:02 --ip 10.0.0.2 --port p1 >&2
    [[ $flooded == 0 ]] ||
        "${WB_WYCTL[@]}" lport add 3 --network 1 --mac 02:00:00:00:00:03 --ip 10.0.0.3 --port p2 >&2
    wb_wy_measure 0
    # B's frames are the only ones transmitted (the flood's random sources
    # are dropped by port security), so the PMD's tx rate is B's rate.
}
# BENCH_REPEAT pairs (alone, flooded), interleaved so that a slow phase of
# the machine hits both; the ratio of each pair, and the median pair, count.
# (Called in this shell, not in $(...): the pids must reach wb_cleanup.)
repeat=${BENCH_REPEAT:-3}
pairs() { # SYSTEM FUNCTION
    local sys=$1 fn=$2 r alone flooded ainfo finfo head ratios=() lines=()
    for ((r = 0; r < repeat; r++)); do
        "$fn" 0 >&2
        alone=$RES_MPPS ainfo=$RES_INFO
        "$fn" 1 >&2
        flooded=$RES_MPPS finfo=$RES_INFO
        ratios+=("$(awk -v a="$alone" -v b="$flooded" 'BEGIN { printf "%.3f", (a > 0) ? (b / a) : 0 }')")
        lines+=("$(printf '%s victim_alone_mpps=%s victim_flooded_mpps=%s|%s|%s' \
            "${ratios[-1]}" "$alone" "$flooded" "$ainfo" "$finfo")")
    done
    local med
    med=$(printf '%s\n' "${lines[@]}" | sort -n -k1,1 | awk -v n="$repeat" 'NR == int((n + 1) / 2)')
    IFS="|" read -r head ainfo finfo <<<"$med"
    printf 'BENCH workload=flood-isolation system=%s hugepages=%s victim_mpps_ratio=%s\n' \
        "$sys" "$huge" "$head"
    printf 'RUNS workload=flood-isolation system=%s ratios=%s\n' "$sys" "$(IFS=,; echo "${ratios[*]}")"
    printf 'INFO workload=flood-isolation system=%s alone: %s\n' "$sys" "$ainfo"
    printf 'INFO workload=flood-isolation system=%s flooded: %s\n' "$sys" "$finfo"
}
pairs wyvern wy_victim

# The same two runs on OVS-DPDK (wb_run_ovs's bridge and OpenFlow port
# security, plus p2 with its own port-security rules when flooded).
ovs_victim() {
    local flooded=$1 prefix="wyvb-ovs-$$-${ovs_runs:-0}" br="wyvb$$" tx0
    WB_PREFIXES+=("$prefix")
    ovs_runs=$((${ovs_runs:-0} + 1))
    wb_ovs_start "$WB_TMP/ovs$ovs_runs" "$(wb_ovs_eal "$huge" "$prefix")" 60 >&2
    WB_LINKS+=("$br")
    local -a p2=()
    [[ $flooded == 0 ]] || p2=(-- add-port "$br" p2 -- set Interface p2 type=dpdk ofport_request=3
        "options:dpdk-devargs=\"net_pcap1,rx_pcap=$flood,infinite_rx=1\"")
    "${WB_VSCTL[@]}" add-br "$br" -- set bridge "$br" datapath_type=netdev fail-mode=secure \
        -- add-port "$br" p0 -- set Interface p0 type=dpdk ofport_request=1 \
        "options:dpdk-devargs=\"net_pcap0,rx_pcap=$victim,infinite_rx=1\"" \
        -- add-port "$br" p1 -- set Interface p1 type=dpdk ofport_request=2 \
        "options:dpdk-devargs=\"net_null0,no-rx=1\"" "${p2[@]}" >&2
    wb_ovs_check_ifaces p0 p1 >&2
    ovs-ofctl del-flows "$br"
    ovs-ofctl add-flows "$br" - <<EOF2
table=0,priority=100,in_port=1,dl_src=02:00:00:00:00:01,ip,nw_src=10.0.0.1,actions=goto_table:1
table=0,priority=100,in_port=1,dl_src=02:00:00:00:00:01,arp,arp_spa=10.0.0.1,arp_sha=02:00:00:00:00:01,actions=goto_table:1
table=0,priority=100,in_port=2,dl_src=02:00:00:00:00:02,ip,nw_src=10.0.0.2,actions=goto_table:1
table=0,priority=100,in_port=2,dl_src=02:00:00:00:00:02,arp,arp_spa=10.0.0.2,arp_sha=02:00:00:00:00:02,actions=goto_table:1
table=0,priority=100,in_port=3,dl_src=02:00:00:00:00:03,ip,nw_src=10.0.0.3,actions=goto_table:1
table=0,priority=100,in_port=3,dl_src=02:00:00:00:00:03,arp,arp_spa=10.0.0.3,arp_sha=02:00:00:00:00:03,actions=goto_table:1
table=0,priority=0,actions=drop
table=1,priority=100,dl_dst=02:00:00:00:00:02,actions=output:2
table=1,priority=100,dl_dst=02:00:00:00:00:01,actions=output:1
table=1,priority=100,dl_dst=02:00:00:00:00:03,actions=output:3
table=1,priority=50,dl_dst=ff:ff:ff:ff:ff:ff,actions=flood
table=1,priority=0,actions=drop
EOF2
    local deadline=$((SECONDS + BENCH_START_TIMEOUT))
    until tx0=$(wb_ovs_tx "$br" p1) && [[ -n $tx0 && $tx0 -gt 0 ]]; do
        kill -0 "$WB_OVS_VSPID" 2>/dev/null || wb_die "ovs-vswitchd died"
        ((SECONDS < deadline)) || wb_die "ovs: no packets out of p1"
        sleep 0.2
    done
    wb_sleep "$BENCH_WARMUP"
    wb_ovs_measure "$br" p1 >&2
    "${WB_VSCTL[@]}" del-br "$br" >&2 || true
    wb_stop_pid "$WB_OVS_VSPID"
    wb_stop_pid "$WB_OVS_DBPID"
}
if [[ -x $WB_OVS_VSWITCHD ]]; then
    pairs ovs-dpdk ovs_victim
else
    echo "SKIP workload=flood-isolation system=ovs-dpdk: $WB_OVS_VSWITCHD not installed"
fi
