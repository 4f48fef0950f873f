#!/usr/bin/env bash
# Megaflow lifecycle benchmarks (make bench, suite mflow).  Two lines:
#
#   BENCH workload=invalidate system=wyvern tags=1000 megaflows=65536 pmd_stall_us=X ...
#     what one batch of invalidation tags costs a PMD ($BUILD/dp/dp_mflow_bench;
#     the minimum over rounds).  Target: <= 100 us.
#
#   BENCH workload=flood-isolation system=wyvern victim_mpps_ratio=X ...
#     port B's forwarding rate (the l2-1k workload of run.sh: net_pcap ->
#     net_null, two lports with port security) while port A floods new flows
#     (net_pcap of FLOOD_FRAMES random-source, random-destination frames,
#     infinite_rx, on the same PMD), as a fraction of B's rate alone.  Two
#     wyvernd runs, one after the other, same settings.  Target: >= 0.9.
#     The OVS-DPDK side of this comparison is not written yet (SKIP line).
#
# Environment: BUILD (default build), BENCH_SECONDS, BENCH_WARMUP (lib.sh),
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
    printf '%s %s\n' "$RES_MPPS" "$RES_INFO"
}
read -r alone alone_info < <(wy_victim 0)
read -r flooded flooded_info < <(wy_victim 1)
ratio=$(awk -v a="$alone" -v b="$flooded" 'BEGIN { printf "%.3f", (a > 0) ? (b / a) : 0 }')
printf 'BENCH workload=flood-isolation system=wyvern hugepages=%s victim_mpps_ratio=%s victim_alone_mpps=%s victim_flooded_mpps=%s\n' \
    "$huge" "$ratio" "$alone" "$flooded"
printf 'INFO workload=flood-isolation system=wyvern alone: %s\n' "$alone_info"
printf 'INFO workload=flood-isolation system=wyvern flooded: %s\n' "$flooded_info"
echo "SKIP workload=flood-isolation system=ovs-dpdk: not written yet"
