#!/usr/bin/env bash
# Conntrack alone, one core: new connections/s and lookup ns, wyvern
# (dp/ct_bench.c) side by side with OVS-DPDK's userspace conntrack.
#
#   ct-new     ct(commit) of CT_NEW_CONNS distinct UDP 5-tuples, each once
#   snat-new   ct(commit,nat(src=203.0.113.10:1024-65535)) of CT_NEW_CONNS
#              distinct UDP 5-tuples, each once, each client to its own
#              server so every client port can be kept (the common case):
#              new SNAT connections per second per core
#   ct-lookup  ct() of CT_LOOKUP_PACKETS packets of random connections in
#              random directions, out of CT_TABLE_CONNS established UDP
#              connections (both directions seen)
# The tuples are the same on both sides (see gen_ct_pcap.py).
#
# wyvern: the process runs without hugepages on lcore 1 (`--no-huge -m 1024`),
# in process, TSC-timed: the 10th percentile of 1024-packet groups, minus a
# baseline loop that only stages the flow keys (ct-lookup builds each
# burst's keys in place, as parse does; see the header of dp/ct_bench.c).  INFO lines add established TCP (window tracking) and the
# table choice (private rte_hash vs the shared lock-free one, same keys).
#
# ovs-dpdk: ovs-vswitchd-dpdk (no hugepages, PMD on core 1) reads the tuples
# from pcap files (net_pcap rx_pcap, read once: not infinite_rx, so ct-new
# sees every connection exactly once) into a bridge whose OpenFlow pipeline
# is `ct(commit,zone=1,table=1)` then output (ct-new, and the establishing
# pass of ct-lookup), `ct(commit,zone=1,nat(src=203.0.113.10:1024-65535),
# table=1)` then output (snat-new), or `ct(zone=1,table=1)` then output
# (ct-lookup).  The
# PMD's "avg processing cycles per packet" (pmd-stats-show, busy iterations
# only) of that pipeline minus the same file through a pipeline without ct
# (output only) is the conntrack cost: it includes the recirculation OVS
# needs for ct(), which is how OVS's conntrack is used.  CT_ROUNDS rounds of
# each, the lowest cycles/packet of each kept (OVS's figure is an average
# over the whole file, so preemption on a shared host inflates it).  ns = cycles / TSC
# rate (wb_tsc_hz).  The pcaps are cached in BENCH_CACHE ($BUILD/bench).
#
# Environment: BUILD (default build), CT_NEW_CONNS (1000000),
# CT_TABLE_CONNS (100000), CT_LOOKUP_PACKETS (2000000), CT_ROUNDS (3),
# CT_SYSTEMS ("wyvern ovs-dpdk"), BENCH_START_TIMEOUT (60).
# Prints: BENCH workload=ct-new system=wyvern|ovs-dpdk conns_per_s=.. ns_per_conn=..
#         BENCH workload=snat-new system=wyvern|ovs-dpdk conns_per_s=.. ns_per_conn=..
#         BENCH workload=ct-lookup system=wyvern|ovs-dpdk ns_per_lookup=..
#         RATIO workload=ct-new|snat-new|ct-lookup wyvern/ovs-dpdk=..
# Internal: ct.sh --ovs runs the OVS-DPDK side alone (own EXIT trap).
set -euo pipefail

WB_BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench/lib.sh
source "$WB_BENCH_DIR/lib.sh"

BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD="$PWD/$BUILD"
WB_BUILD=$BUILD
CT_NEW_CONNS=${CT_NEW_CONNS:-1000000}
CT_TABLE_CONNS=${CT_TABLE_CONNS:-100000}
CT_LOOKUP_PACKETS=${CT_LOOKUP_PACKETS:-2000000}
CT_ROUNDS=${CT_ROUNDS:-3}
for v in CT_NEW_CONNS CT_TABLE_CONNS CT_LOOKUP_PACKETS CT_ROUNDS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || wb_die "$v must be a positive integer"
done

# shellcheck disable=SC2317  # called from a trap
wb_on_signal() {
    trap - INT TERM
    wb_log "interrupted"
    exit 130
}

# ------------------------------------------------------------ ovs-dpdk ---
CT_PCAP_N=0
# ct_ovs_feed FILE FRAMES: attach FILE as port p0 (rx once), wait until OVS
# has received FRAMES packets, print the PMD's avg processing cycles/packet
# and passes/packet (stats cleared first), detach p0.
ct_ovs_feed() {
    local file=$1 frames=$2 rx="" prev="" stall=0 stats pmd cpp passes
    "${WB_APPCTL[@]}" dpif-netdev/pmd-stats-clear >/dev/null
    CT_PCAP_N=$((CT_PCAP_N + 1))
    "${WB_VSCTL[@]}" add-port "$CT_BR" p0 -- set Interface p0 type=dpdk ofport_request=1 \
        "options:dpdk-devargs=\"net_pcap$CT_PCAP_N,rx_pcap=$file\""
    wb_ovs_check_ifaces p0
    local deadline=$((SECONDS + BENCH_START_TIMEOUT + frames / 100000))
    while :; do
        rx=$(ovs-ofctl dump-ports "$CT_BR" p0 | sed -n 's/.*rx pkts=\([0-9]*\).*/\1/p' | head -n 1)
        [[ -z $rx || $rx -lt $frames ]] || break
        if [[ $rx == "$prev" && -n $rx && $rx -gt 0 ]]; then
            ((++stall < 50)) || wb_die "ovs-dpdk: p0 stopped at $rx of $frames packets"
        else
            stall=0
        fi
        prev=$rx
        kill -0 "$WB_OVS_VSPID" 2>/dev/null || wb_die "ovs-vswitchd died"
        ((SECONDS < deadline)) || wb_die "ovs-dpdk: only ${rx:-0} of $frames packets received"
        sleep 0.2
    done
    stats=$("${WB_APPCTL[@]}" dpif-netdev/pmd-stats-show)
    pmd=$(printf '%s\n' "$stats" | awk '/^pmd thread/ {on=1} /^main thread/ {on=0} on')
    cpp=$(wb_field "$pmd" 'avg processing cycles per packet')
    passes=$(wb_field "$pmd" 'avg. datapath passes per packet')
    [[ -n $cpp ]] || { printf '%s\n' "$stats" >&2; wb_die "ovs-dpdk: cannot parse pmd-stats-show"; }
    "${WB_VSCTL[@]}" del-port "$CT_BR" p0
    printf '%s %s\n' "$cpp" "${passes:-?}"
}

# ct_min ARRAY "CPP PASSES": keep in ARRAY (cycles, passes) the lower
# cycles/packet seen so far (the least disturbed round on a shared host).
ct_min() {
    local -n arr=$1
    local v
    read -r -a v <<<"$2"
    if ((${#arr[@]} == 0)) || awk -v a="${v[0]}" -v b="${arr[0]}" 'BEGIN { exit !(a < b) }'; then
        arr=("${v[@]}")
    fi
}

ct_ovs_flows() { # base | commit | snat | lookup
    local first
    case $1 in
        base) first="actions=output:2" ;;
        commit) first="ct_state=-trk,actions=ct(commit,zone=1,table=1)" ;;
        snat) first="ct_state=-trk,actions=ct(commit,zone=1,nat(src=203.0.113.10:1024-65535),table=1)" ;;
        lookup) first="ct_state=-trk,actions=ct(zone=1,table=1)" ;;
    esac
    ovs-ofctl del-flows "$CT_BR"
    # by port number: p0 comes and goes (ofport_request=1), p1 is 2
    ovs-ofctl add-flows "$CT_BR" - <<FLOWS
table=0,priority=100,in_port=1,ip,$first
table=1,priority=100,in_port=1,ip,ct_state=+trk,actions=output:2
table=0,priority=0,actions=drop
FLOWS
}

ct_run_ovs() {
    local prefix="wyvb-ovsct-$$" cache hz nsc nsl
    local -a base ct
    local new_pcap est_pcap look_pcap snat_pcap
    trap wb_cleanup EXIT
    trap wb_on_signal INT TERM
    wb_mktemp
    cache=${BENCH_CACHE:-$BUILD/bench}
    mkdir -p "$cache"
    new_pcap="$cache/ct-new-$CT_NEW_CONNS.pcap"
    est_pcap="$cache/ct-establish-$CT_TABLE_CONNS.pcap"
    look_pcap="$cache/ct-lookup-$CT_TABLE_CONNS-$CT_LOOKUP_PACKETS.pcap"
    snat_pcap="$cache/ct-snat-$CT_NEW_CONNS.pcap"
    [[ -s $new_pcap ]] || "$WB_PY" "$WB_BENCH_DIR/gen_ct_pcap.py" new "$new_pcap" "$CT_NEW_CONNS"
    [[ -s $snat_pcap ]] || "$WB_PY" "$WB_BENCH_DIR/gen_ct_pcap.py" snat "$snat_pcap" "$CT_NEW_CONNS"
    [[ -s $est_pcap ]] || "$WB_PY" "$WB_BENCH_DIR/gen_ct_pcap.py" establish "$est_pcap" "$CT_TABLE_CONNS"
    [[ -s $look_pcap ]] || "$WB_PY" "$WB_BENCH_DIR/gen_ct_pcap.py" lookup "$look_pcap" \
        "$CT_TABLE_CONNS" "$CT_LOOKUP_PACKETS"

    WB_PREFIXES+=("$prefix")
    wb_ovs_start "$WB_TMP/ovs" "$(wb_ovs_eal 0 "$prefix")" 60
    CT_BR="wyct$$"
    WB_LINKS+=("$CT_BR")
    "${WB_VSCTL[@]}" add-br "$CT_BR" -- set bridge "$CT_BR" datapath_type=netdev fail-mode=secure \
        -- add-port "$CT_BR" p1 -- set Interface p1 type=dpdk ofport_request=2 \
        "options:dpdk-devargs=\"net_null0,no-rx=1\""
    wb_ovs_check_ifaces p1
    wb_log "ovs-dpdk: ovs-vswitchd pid $WB_OVS_VSPID (prefix $prefix, bridge $CT_BR)"
    hz=$(wb_tsc_hz)

    # ct-new: the same file through output-only, then through ct(commit)
    # (empty table each time); CT_ROUNDS rounds, the lowest of each kept
    local r conns
    base=() ct=()
    for ((r = 0; r < CT_ROUNDS; r++)); do
        ct_ovs_flows base
        ct_min base "$(ct_ovs_feed "$new_pcap" "$CT_NEW_CONNS")"
        ct_ovs_flows commit
        "${WB_APPCTL[@]}" dpctl/flush-conntrack >/dev/null
        ct_min ct "$(ct_ovs_feed "$new_pcap" "$CT_NEW_CONNS")"
        conns=$("${WB_APPCTL[@]}" dpctl/ct-stats-show 2>/dev/null | awk '/Total:/ {print $2; exit}' || true)
    done
    nsc=$(awk -v c="${ct[0]}" -v b="${base[0]}" -v h="$hz" 'BEGIN { printf "%.1f", (c - b) / h * 1e9 }')
    printf 'BENCH workload=ct-new system=ovs-dpdk conns_per_s=%s ns_per_conn=%s\n' \
        "$(awk -v n="$nsc" 'BEGIN { printf "%.0f", (n > 0 ? 1e9 / n : 0) }')" "$nsc"
    printf 'INFO workload=ct-new system=ovs-dpdk conns=%s ct_table_after=%s cycles_per_pkt_ct=%s cycles_per_pkt_base=%s passes_ct=%s passes_base=%s rounds=%s tsc_hz=%s\n' \
        "$CT_NEW_CONNS" "${conns:-?}" "${ct[0]}" "${base[0]}" "${ct[1]}" "${base[1]}" "$CT_ROUNDS" "$hz"

    # snat-new: the same for ct(commit,nat(src=...)) with its own tuples
    base=() ct=()
    for ((r = 0; r < CT_ROUNDS; r++)); do
        ct_ovs_flows base
        ct_min base "$(ct_ovs_feed "$snat_pcap" "$CT_NEW_CONNS")"
        ct_ovs_flows snat
        "${WB_APPCTL[@]}" dpctl/flush-conntrack >/dev/null
        ct_min ct "$(ct_ovs_feed "$snat_pcap" "$CT_NEW_CONNS")"
        conns=$("${WB_APPCTL[@]}" dpctl/ct-stats-show 2>/dev/null | awk '/Total:/ {print $2; exit}' || true)
    done
    nsc=$(awk -v c="${ct[0]}" -v b="${base[0]}" -v h="$hz" 'BEGIN { printf "%.1f", (c - b) / h * 1e9 }')
    printf 'BENCH workload=snat-new system=ovs-dpdk conns_per_s=%s ns_per_conn=%s\n' \
        "$(awk -v n="$nsc" 'BEGIN { printf "%.0f", (n > 0 ? 1e9 / n : 0) }')" "$nsc"
    printf 'INFO workload=snat-new system=ovs-dpdk conns=%s ct_table_after=%s cycles_per_pkt_ct=%s cycles_per_pkt_base=%s passes_ct=%s passes_base=%s rounds=%s tsc_hz=%s\n' \
        "$CT_NEW_CONNS" "${conns:-?}" "${ct[0]}" "${base[0]}" "${ct[1]}" "${base[1]}" "$CT_ROUNDS" "$hz"
    "${WB_APPCTL[@]}" dpctl/flush-conntrack >/dev/null

    # ct-lookup: establish the table (commit, both directions), then the
    # lookup packets through ct() without commit; baseline: output-only
    "${WB_APPCTL[@]}" dpctl/flush-conntrack >/dev/null
    ct_ovs_flows commit
    ct_ovs_feed "$est_pcap" $((2 * CT_TABLE_CONNS)) >/dev/null
    conns=$("${WB_APPCTL[@]}" dpctl/ct-stats-show 2>/dev/null | awk '/Total:/ {print $2; exit}' || true)
    base=() ct=()
    for ((r = 0; r < CT_ROUNDS; r++)); do
        ct_ovs_flows lookup
        ct_min ct "$(ct_ovs_feed "$look_pcap" "$CT_LOOKUP_PACKETS")"
        ct_ovs_flows base
        ct_min base "$(ct_ovs_feed "$look_pcap" "$CT_LOOKUP_PACKETS")"
    done
    nsl=$(awk -v c="${ct[0]}" -v b="${base[0]}" -v h="$hz" 'BEGIN { printf "%.1f", (c - b) / h * 1e9 }')
    printf 'BENCH workload=ct-lookup system=ovs-dpdk ns_per_lookup=%s\n' "$nsl"
    printf 'INFO workload=ct-lookup system=ovs-dpdk conns=%s ct_table=%s packets=%s proto=udp state=est cycles_per_pkt_ct=%s cycles_per_pkt_base=%s passes_ct=%s passes_base=%s rounds=%s tsc_hz=%s\n' \
        "$CT_TABLE_CONNS" "${conns:-?}" "$CT_LOOKUP_PACKETS" "${ct[0]}" "${base[0]}" "${ct[1]}" "${base[1]}" "$CT_ROUNDS" "$hz"
    wb_stop_pid "$WB_OVS_VSPID"
}

if [[ ${1:-} == --ovs ]]; then
    ct_run_ovs
    exit 0
fi

# --------------------------------------------------------------- parent ---
[[ $EUID -eq 0 ]] || wb_die "needs root (DPDK, OVS)"
export BENCH_START_TIMEOUT
WB_TMP=$(mktemp -d /tmp/wyvb.XXXXXX)
CT_CHILD=""
# shellcheck disable=SC2317  # called from a trap
ct_cleanup() {
    if [[ -n $CT_CHILD ]]; then
        WB_PIDS+=("$CT_CHILD")
        WB_PREFIXES+=("wyvb-ovsct-$CT_CHILD")
        WB_LINKS+=("wyct$CT_CHILD")
    fi
    WB_PREFIXES+=("wybct$$")
    wb_cleanup
}
trap ct_cleanup EXIT
trap wb_on_signal INT TERM
status=0
out="$WB_TMP/results"
: >"$out"
for s in ${CT_SYSTEMS:-wyvern ovs-dpdk}; do
    case $s in
        wyvern)
            BIN=$BUILD/dp/dp_ct_bench
            if [[ ! -x $BIN ]]; then
                echo "SKIP system=wyvern: $BIN missing (build first)"
                status=1
                continue
            fi
            "$BIN" --no-huge -m 1024 --no-pci --no-telemetry --file-prefix="wybct$$" \
                --log-level=error -l 1 -- "$CT_NEW_CONNS" "$CT_TABLE_CONNS" "$CT_ROUNDS" |
                tee -a "$out" || status=1 ;;
        ovs-dpdk)
            if [[ ! -x $WB_OVS_VSWITCHD ]]; then
                echo "SKIP system=ovs-dpdk workload=ct-new,snat-new,ct-lookup: $WB_OVS_VSWITCHD not installed (scripts/deps.sh bench)"
                continue
            fi
            "$0" --ovs >"$WB_TMP/ovs.out" &
            CT_CHILD=$!
            rc=0
            wait "$CT_CHILD" || rc=$?
            CT_CHILD=""
            cat "$WB_TMP/ovs.out"
            cat "$WB_TMP/ovs.out" >>"$out"
            if [[ $rc -ne 0 ]]; then
                echo "FAIL system=ovs-dpdk workload=ct-new,snat-new,ct-lookup rc=$rc (see messages above)"
                status=1
            fi ;;
        *) wb_die "unknown system '$s' (wyvern, ovs-dpdk)" ;;
    esac
done

# Ratios, where both sides were measured (per-core rates; lower ns is better).
ct_val() { # WORKLOAD SYSTEM FIELD
    awk -v w="workload=$1" -v s="system=$2" -v f="$3=" '$1 == "BENCH" && $2 == w && $3 == s {
        for (i = 4; i <= NF; i++) if (index($i, f) == 1) { print substr($i, length(f) + 1); exit } }' "$out"
}
a=$(ct_val ct-new wyvern conns_per_s)
b=$(ct_val ct-new ovs-dpdk conns_per_s)
[[ -z $a || -z $b ]] ||
    echo "RATIO workload=ct-new wyvern/ovs-dpdk=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }') (connections/s)"
a=$(ct_val snat-new wyvern conns_per_s)
b=$(ct_val snat-new ovs-dpdk conns_per_s)
[[ -z $a || -z $b ]] ||
    echo "RATIO workload=snat-new wyvern/ovs-dpdk=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }') (new SNAT connections/s)"
a=$(ct_val ct-lookup wyvern ns_per_lookup)
b=$(ct_val ct-lookup ovs-dpdk ns_per_lookup)
[[ -z $a || -z $b ]] ||
    echo "RATIO workload=ct-lookup ovs-dpdk/wyvern=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }') (ns per lookup: wyvern is this many times faster)"
exit "$status"
