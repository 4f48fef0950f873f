#!/usr/bin/env bash
# Stateful security groups, routed, bidirectional (workload l3-sg-10k):
# wyvern vs OVN on OVS-DPDK vs testpmd io forwarding.  See "Security-group
# benchmark" in scripts/bench/README.md.
#
# Two VM ports on one chassis, VM A (10.0.1.10, network 1) and VM B
# (10.0.2.10, network 2), joined by a router; both in one stateful security
# group with Neutron's default rules (egress any IPv4/IPv6, ingress from the
# group itself: a remote-group rule) and default drop.  Each port is a pcap
# vdev with infinite_rx: A's file holds 10k UDP flows A -> B (to the router
# MAC), B's file the replies of the same 10k flows B -> A.  Both run at once
# on ONE PMD, so after the first pass every connection has seen both
# directions: the window measures ESTABLISHED connections (checked: no new
# connection committed in the window, conntrack entries replied).  Mpps =
# packets sent out of both ports per second; cycles/pkt = all cycles of the
# PMD core / packets received.
#   wyvern   wyvernd with its controller on an embedded RocksDB: the northbound
#            objects (networks, subnets, router, group, ports) made with wyctl,
#            ports bound by iface-id, as a cloud would do it
#   ovn      OVN 23.03 on OVS-DPDK: the same topology, a port group with
#            Neutron's ACLs (allow-related, $pg_ip4 for the remote group,
#            neutron_pg_drop), OVS's userspace conntrack
#   testpmd  io forwarding port 0 <-> port 1 on the same two pcap ports: the
#            ceiling of the ports
#
# Environment:
#   BUILD                 build dir (default build)
#   BENCH_SYSTEMS         subset of "testpmd ovn wyvern" (space or comma separated)
#   BENCH_HUGEPAGES       0 or 1 to run only that mode (default: both, without
#                         hugepages first; wyvernd's own default is hugepages)
#   BENCH_SECONDS         measurement window, s (default 5)
#   BENCH_WARMUP          warm-up before the window, s (default 2)
#   BENCH_REPEAT          runs per system, median reported (default 1)
#   BENCH_START_TIMEOUT   seconds to wait for daemons / first packets (60)
#   BENCH_ESTABLISH_TIMEOUT  seconds wyvern may take to establish the 2 x 10k
#                         connections before the warm-up (180)
#
# Prints: BENCH workload=l3-sg-10k system=S mpps=X cycles_per_pkt=Y state=established|none hugepages=0|1
#         (wyvern's adds own_cycles_per_pkt=Z: its PMD's timed iterations,
#         cycles outside the drivers' burst calls, a packet)
#         INFO ... (hit rates, conntrack figures), RATIO workload=l3-sg-10k ...,
#         OWN workload=l3-sg-10k ... (Z and wyvern's total minus testpmd's)
# Internal: l3sg.sh --one SYSTEM HUGEPAGES runs one measurement (inputs in
# the SG_* variables the parent exports).
set -euo pipefail

WB_BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench/lib.sh
source "$WB_BENCH_DIR/lib.sh"

WB_BUILD=${BUILD:-build}
[[ $WB_BUILD == /* ]] || WB_BUILD="$PWD/$WB_BUILD"

SG_WORKLOAD=l3-sg-10k
SG_FLOWS=10000
SG_VMA_MAC=02:00:00:00:00:01
SG_VMA_IP=10.0.1.10
SG_VMB_MAC=02:00:00:00:00:02
SG_VMB_IP=10.0.2.10
SG_CHASSIS=wyvb-sg

# shellcheck disable=SC2317  # called from a trap
wb_on_signal() {
    trap - INT TERM
    wb_log "interrupted"
    exit 130
}

# ----------------------------------------------------------------- OVN ---
sg_run_ovn() { # HUGEPAGES
    local huge=$1 d="$WB_TMP/ovn" prefix="wyvb-ovn-$$" bi="wysg-int-$$"
    local deadline txa txb ct est lflows offlows
    WB_PREFIXES+=("$prefix")
    wb_ovs_start "$d" "$(wb_ovs_eal "$huge" "$prefix")" 60 \
        external_ids:system-id=chassis-a \
        "external_ids:ovn-remote=\"unix:$d/run/sb.sock\"" \
        external_ids:ovn-encap-type=geneve external_ids:ovn-encap-ip=127.0.0.1 \
        external_ids:ovn-bridge="$bi" external_ids:ovn-bridge-datapath-type=netdev
    wb_log "ovn: ovsdb-server pid $WB_OVS_DBPID, ovs-vswitchd pid $WB_OVS_VSPID (prefix $prefix, bridge $bi)"
    WB_LINKS+=("$bi")
    "${WB_VSCTL[@]}" add-br "$bi" -- set bridge "$bi" datapath_type=netdev fail-mode=secure \
        other_config:disable-in-band=true \
        -- add-port "$bi" vma -- set Interface vma type=dpdk \
        "options:dpdk-devargs=\"net_pcap0,rx_pcap=$SG_PCAP_A,infinite_rx=1\"" external_ids:iface-id=vma \
        -- add-port "$bi" vmb -- set Interface vmb type=dpdk \
        "options:dpdk-devargs=\"net_pcap1,rx_pcap=$SG_PCAP_B,infinite_rx=1\"" external_ids:iface-id=vmb
    wb_ovs_check_ifaces vma vmb

    wb_ovn_central_start "$d"
    wb_ovn_northd_start "$d"
    # Neutron's ML2/OVN mapping of a stateful group with the default rules:
    # a port group per security group, allow-related ACLs at priority 1002
    # (egress any v4/v6; ingress from the group's own address sets), and the
    # neutron_pg_drop group dropping all other IP at 1001.
    # shellcheck disable=SC2016  # $pg_sg_ip4/6 are OVN address sets, not shell
    ovn-nbctl --timeout="$BENCH_START_TIMEOUT" --wait=sb \
        -- ls-add net1 -- ls-add net2 \
        -- lsp-add net1 vma -- lsp-set-addresses vma "$SG_VMA_MAC $SG_VMA_IP" \
        -- lsp-set-port-security vma "$SG_VMA_MAC $SG_VMA_IP" \
        -- lsp-add net2 vmb -- lsp-set-addresses vmb "$SG_VMB_MAC $SG_VMB_IP" \
        -- lsp-set-port-security vmb "$SG_VMB_MAC $SG_VMB_IP" \
        -- lr-add r1 \
        -- lrp-add r1 r1-net1 "$SG_R1_MAC" 10.0.1.1/24 \
        -- lrp-add r1 r1-net2 "$SG_R2_MAC" 10.0.2.1/24 \
        -- lsp-add net1 net1-r1 -- lsp-set-type net1-r1 router \
        -- lsp-set-addresses net1-r1 router -- lsp-set-options net1-r1 router-port=r1-net1 \
        -- lsp-add net2 net2-r1 -- lsp-set-type net2-r1 router \
        -- lsp-set-addresses net2-r1 router -- lsp-set-options net2-r1 router-port=r1-net2 \
        -- pg-add pg_sg vma vmb -- pg-add neutron_pg_drop vma vmb \
        -- --type=port-group acl-add pg_sg from-lport 1002 'inport == @pg_sg && ip4' allow-related \
        -- --type=port-group acl-add pg_sg from-lport 1002 'inport == @pg_sg && ip6' allow-related \
        -- --type=port-group acl-add pg_sg to-lport 1002 'outport == @pg_sg && ip4 && ip4.src == $pg_sg_ip4' allow-related \
        -- --type=port-group acl-add pg_sg to-lport 1002 'outport == @pg_sg && ip6 && ip6.src == $pg_sg_ip6' allow-related \
        -- --type=port-group acl-add neutron_pg_drop from-lport 1001 'inport == @neutron_pg_drop && ip' drop \
        -- --type=port-group acl-add neutron_pg_drop to-lport 1001 'outport == @neutron_pg_drop && ip' drop ||
        { wb_tail_log "$d/log/northd.log"; wb_die "ovn: NB configuration failed"; }
    wb_ovn_controller_start "$d"
    wb_log "ovn: NB pid $WB_OVN_NBPID, SB pid $WB_OVN_SBPID, northd pid $WB_OVN_NORTHD_PID, ovn-controller pid $WB_OVN_CONTROLLER_PID"

    # Programmed = both ports transmit (each direction routed and allowed).
    deadline=$((SECONDS + BENCH_START_TIMEOUT))
    until txa=$(wb_ovs_tx "$bi" vma) && txb=$(wb_ovs_tx "$bi" vmb) &&
        [[ -n $txa && -n $txb && $txa -gt 1000 && $txb -gt 1000 ]]; do
        for p in "$WB_OVS_VSPID" "$WB_OVN_NORTHD_PID" "$WB_OVN_CONTROLLER_PID"; do
            kill -0 "$p" 2>/dev/null || { wb_tail_log "$d/log/ovn-controller.log"; wb_die "ovn: process $p died"; }
        done
        if ((SECONDS >= deadline)); then
            "${WB_APPCTL[@]}" dpctl/dump-flows >&2 || true
            wb_tail_log "$d/log/ovn-controller.log"
            wb_die "ovn: not both directions forwarded within ${BENCH_START_TIMEOUT}s (tx vma=$txa vmb=$txb)"
        fi
        sleep 0.2
    done
    wb_log "ovn: both directions flow, warm-up ${BENCH_WARMUP}s, window ${BENCH_SECONDS}s"
    wb_sleep "$BENCH_WARMUP"
    wb_ovs_measure "$bi" vma vmb
    # What the window measured: the datapath flows forwarding the traffic
    # match ct_state=+est (established), and the conntrack table size.
    est=$(grep -c 'ct_state(.*+est' "$WB_TMP/dpctl-flows.txt" || true)
    ct=$("${WB_APPCTL[@]}" dpctl/dump-conntrack 2>/dev/null | grep -c '^udp' || true)
    lflows=$(ovn-sbctl --bare --columns=_uuid list Logical_Flow | grep -c . || true)
    offlows=$(ovs-ofctl -O OpenFlow15 dump-flows "$bi" | grep -c 'actions=' || true)
    ((est > 0)) || wb_die "ovn: no megaflow matches ct_state +est: not measuring established traffic"
    RES_INFO+=" est_megaflows=$est ct_udp_conns=$ct lflows=$lflows openflow_flows=$offlows"
    RES_STATE=established
    wb_stop_pid "$WB_OVN_CONTROLLER_PID"
    wb_stop_pid "$WB_OVS_VSPID"
}

# -------------------------------------------------------------- wyvern ---
sg_wy_ct() { # prints "conns committed established lookups" from show pmd
    "${WB_WYCTL[@]}" --json show pmd | "$WB_PY" -c '
import json, sys
c = json.load(sys.stdin)["conntrack"]
print(c["connections"], c["committed"], c["established"], c["lookups"])'
}

sg_run_wyvern() { # HUGEPAGES
    local huge=$1 db="$WB_TMP/nb" json parsed tx deadline ct0 ct1 sample
    cp -a "$SG_DB_DIR" "$db"
    # 2 zones x 10k connections: above the default table (16384)
    BENCH_WYVERN_DP=$(printf 'ct-max-conns = 65536\n%s' "${BENCH_WYVERN_DP:-}")
    WB_WY_P0_EXTRA="iface-id = $SG_VMA_ID"
    WB_WY_P1_EXTRA="iface-id = $SG_VMB_ID"
    wb_wy_start "$SG_PCAP_A" "$huge" "$SG_MBUFS" "net_pcap1,rx_pcap=$SG_PCAP_B,infinite_rx=1" \
        "$(printf '[ctrl]\ndb = rocksdb:%s/db\nchassis = %s\nreplica = %s/replica\n' "$db" "$SG_CHASSIS" "$WB_TMP")"
    deadline=$((SECONDS + BENCH_START_TIMEOUT))
    until tx=$(wb_wy_tx) && [[ -n $tx && $tx -gt 1000 ]]; do
        kill -0 "$WB_WY_PID" 2>/dev/null || { wb_tail_log "$WB_WY_LOG"; wb_die "wyvernd died"; }
        ((SECONDS < deadline)) || { wb_tail_log "$WB_WY_LOG"; wb_die "wyvern: nothing forwarded within ${BENCH_START_TIMEOUT}s"; }
        sleep 0.2
    done
    # Every connection's first packets are upcalls (a new connection's
    # megaflows match its 5-tuple), limited by the PMD's upcall budget: wait
    # until both zones hold every flow and nothing new is committed for 1 s.
    local t0=$SECONDS prev=-1 same=0
    deadline=$((SECONDS + ${BENCH_ESTABLISH_TIMEOUT:-180}))
    while :; do
        read -r -a ct0 <<<"$(sg_wy_ct)"
        if ((ct0[0] >= 2 * SG_FLOWS && ct0[1] == prev)); then
            ((++same < 2)) || break
        else
            same=0
        fi
        prev=${ct0[1]}
        kill -0 "$WB_WY_PID" 2>/dev/null || { wb_tail_log "$WB_WY_LOG"; wb_die "wyvernd died"; }
        ((SECONDS < deadline)) || wb_die "wyvern: connections not established within ${BENCH_ESTABLISH_TIMEOUT:-180}s (conns=${ct0[0]} committed=${ct0[1]})"
        sleep 0.5
    done
    wb_log "wyvern: ${ct0[0]} connections established after $((SECONDS - t0))s, warm-up ${BENCH_WARMUP}s, window ${BENCH_SECONDS}s"
    wb_sleep "$BENCH_WARMUP"
    read -r -a ct0 <<<"$(sg_wy_ct)"
    "${WB_WYCTL[@]}" stats clear >&2
    wb_sleep "$BENCH_SECONDS"
    json=$("${WB_WYCTL[@]}" --json show pmd)
    read -r -a ct1 <<<"$(sg_wy_ct)"
    kill -0 "$WB_WY_PID" 2>/dev/null || { wb_tail_log "$WB_WY_LOG"; wb_die "wyvernd died"; }
    printf '%s\n' "$json" >"$WB_TMP/pmd.json"
    parsed=$("$WB_PY" "$WB_BENCH_DIR/wy_pmd_stats.py" "$WB_TMP/pmd.json") ||
        wb_die "wyvern: cannot use 'show pmd' output: $json"
    RES_MPPS=$(sed -n 's/^mpps=//p' <<<"$parsed")
    RES_CPP=$(sed -n 's/^cycles_per_pkt=//p' <<<"$parsed")
    RES_OWN=" own_cycles_per_pkt=$(sed -n 's/^own_cycles_per_pkt=//p' <<<"$parsed")"
    RES_INFO=$(sed -n 's/^info=//p' <<<"$parsed")
    # Established: both zones hold every flow, none was committed during the
    # window, and the listed entries have seen their replies.
    sample=$("${WB_WYCTL[@]}" --json show conntrack | "$WB_PY" -c '
import json, sys
c = json.load(sys.stdin)["connections"]
print("%d/%d" % (sum(1 for e in c if e["reply_seen"]), len(c)))')
    RES_INFO+=" ct_conns=${ct1[0]} ct_committed_in_window=$((ct1[1] - ct0[1])) ct_lookups_in_window=$((ct1[3] - ct0[3])) ct_listed_replied=$sample"
    if ((ct1[0] < 2 * SG_FLOWS || ct1[1] - ct0[1] != 0)) || [[ ${sample%/*} != "${sample#*/}" ]]; then
        "${WB_WYCTL[@]}" show conntrack | tail -n 1 >&2
        wb_log "wyvern: $RES_INFO"
        wb_die "wyvern: not all connections established (conns=${ct1[0]}, committed in window $((ct1[1] - ct0[1])), replied $sample)"
    fi
    RES_STATE=established
    wb_stop_pid "$WB_WY_PID"
}

# ---------------------------------------------------------------- child ---
if [[ ${1:-} == --one ]]; then
    [[ $# -eq 3 ]] || wb_die "usage: l3sg.sh --one SYSTEM HUGEPAGES"
    trap wb_cleanup EXIT
    trap wb_on_signal INT TERM
    wb_mktemp
    RES_STATE=""
    RES_OWN=""
    case $2 in
        testpmd) wb_run_testpmd_pcap "$3" "$SG_PCAP_A" "$SG_PCAP_B" "$SG_MBUFS" "" ;;
        ovn) sg_run_ovn "$3" ;;
        wyvern) sg_run_wyvern "$3" ;;
        *) wb_die "unknown system $2" ;;
    esac
    printf 'BENCH workload=%s system=%s mpps=%s cycles_per_pkt=%s state=%s hugepages=%s%s\n' \
        "$SG_WORKLOAD" "$2" "$RES_MPPS" "$RES_CPP" "$RES_STATE" "$3" "$RES_OWN"
    printf 'INFO workload=%s system=%s hugepages=%s flows=%s bidirectional=1 pmds=1 %s\n' \
        "$SG_WORKLOAD" "$2" "$3" "$SG_FLOWS" "$RES_INFO"
    exit 0
fi

# --------------------------------------------------------------- parent ---
wb_words() { tr ',' ' ' <<<"$1"; }
read -r -a systems <<<"$(wb_words "${BENCH_SYSTEMS:-testpmd ovn wyvern}")"
wb_hugemodes
[[ $BENCH_SECONDS =~ ^[0-9]+(\.[0-9]+)?$ && $BENCH_WARMUP =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
    wb_die "BENCH_SECONDS and BENCH_WARMUP must be numbers of seconds"
BENCH_REPEAT=${BENCH_REPEAT:-1}
[[ $BENCH_REPEAT =~ ^[1-9][0-9]*$ ]] || wb_die "BENCH_REPEAT must be a positive integer"
for s in "${systems[@]}"; do
    case $s in testpmd | ovn | wyvern) ;; *) wb_die "unknown system '$s' (testpmd, ovn, wyvern)" ;; esac
done
[[ $EUID -eq 0 ]] || wb_die "needs root (DPDK, OVS)"
export BENCH_SECONDS BENCH_WARMUP BENCH_START_TIMEOUT

WB_CHILD=""
SG_NETDEV_PRE=0
! ip link show dev ovs-netdev >/dev/null 2>&1 || SG_NETDEV_PRE=1
# shellcheck disable=SC2317  # called from a trap
sg_parent_cleanup() {
    if [[ -n $WB_CHILD ]]; then
        WB_PIDS+=("$WB_CHILD")
        WB_PREFIXES+=("wyvb-tp-$WB_CHILD" "wyvb-ovn-$WB_CHILD" "wyvb-wy-$WB_CHILD")
        WB_LINKS+=("wysg-int-$WB_CHILD")
    fi
    [[ $SG_NETDEV_PRE == 1 ]] || WB_LINKS+=(ovs-netdev)
    wb_cleanup
    wb_huge_restore
}
trap sg_parent_cleanup EXIT
trap wb_on_signal INT TERM
wb_mktemp

WYCTL=$WB_BUILD/ctrl/wyctl
have_wy=0
[[ -x $WB_BUILD/ctrl/wyvernd && -x $WYCTL ]] && have_wy=1

# The northbound (wyvern's): networks, subnets, router, one group with
# Neutron's default rules (+ its remote-group ingress), two ports.
SG_DB_DIR="$WB_TMP/nbdb"
SG_R1_MAC=02:00:00:00:aa:01
SG_R2_MAC=02:00:00:00:aa:02
SG_VMA_ID=""
SG_VMB_ID=""
nbj() { "$WYCTL" --db "rocksdb:$SG_DB_DIR/db" --json "$@"; }
jfield() { "$WB_PY" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
if [[ $have_wy == 1 ]]; then
    mkdir -p "$SG_DB_DIR"
    {
        nbj network create net1 && nbj subnet create s1 --network net1 --cidr 10.0.1.0/24 &&
            nbj network create net2 && nbj subnet create s2 --network net2 --cidr 10.0.2.0/24 &&
            nbj security-group create sg-bench &&
            nbj security-group update sg-bench --add-rule direction=ingress,ethertype=IPv4,remote_group=sg-bench \
                --add-rule direction=ingress,ethertype=IPv6,remote_group=sg-bench &&
            nbj router create r1 --add-subnet s1 --add-subnet s2
    } >/dev/null || wb_die "wyvern: northbound set-up failed"
    SG_VMA_ID=$(nbj port create vma --network net1 --mac "$SG_VMA_MAC" --host "$SG_CHASSIS" \
        --fixed-ip "subnet=s1,ip=$SG_VMA_IP" --security-group sg-bench | jfield id)
    SG_VMB_ID=$(nbj port create vmb --network net2 --mac "$SG_VMB_MAC" --host "$SG_CHASSIS" \
        --fixed-ip "subnet=s2,ip=$SG_VMB_IP" --security-group sg-bench | jfield id)
    # The router's MACs are derived by the controller from (router, network)
    # ids: ask a short-lived wyvernd (null ports) for them, so that all
    # systems get the same pcaps.
    probe="$WB_TMP/probe"
    mkdir -p "$probe"
    cp -a "$SG_DB_DIR" "$probe/nb"
    cat >"$probe/wyvernd.conf" <<EOF
[eal]
args = --no-huge -m 512 --no-pci --file-prefix wyvb-sgp-$$
lcores = 0,1
[dp]
pmd-lcores = 1
idle-sleep-max-us = 200
mbufs = 4096
[mgmt]
socket = $probe/wy.sock
[ctrl]
db = rocksdb:$probe/nb/db
chassis = $SG_CHASSIS
replica = $probe/replica
[port.p0]
devargs = net_null0,no-rx=1
iface-id = $SG_VMA_ID
[port.p1]
devargs = net_null1,no-rx=1
iface-id = $SG_VMB_ID
EOF
    WB_PREFIXES+=("wyvb-sgp-$$")
    "$WB_BUILD/ctrl/wyvernd" -c "$probe/wyvernd.conf" >"$probe/wyvernd.log" 2>&1 &
    ppid=$!
    WB_PIDS+=("$ppid")
    macs=""
    deadline=$((SECONDS + BENCH_START_TIMEOUT))
    while [[ -z $macs ]]; do
        kill -0 "$ppid" 2>/dev/null || { wb_tail_log "$probe/wyvernd.log"; wb_die "wyvern: probe daemon died"; }
        ((SECONDS < deadline)) || { wb_tail_log "$probe/wyvernd.log"; wb_die "wyvern: the router never appeared"; }
        sleep 0.2
        macs=$("$WYCTL" -s "$probe/wy.sock" --json show routers 2>/dev/null | "$WB_PY" -c '
import json, sys
m = {}
for r in json.load(sys.stdin)["routers"]:
    for p in r["ports"]:
        for ip in p["ips"]:
            m[ip] = p["mac"]
if "10.0.1.1/24" in m and "10.0.2.1/24" in m:
    print(m["10.0.1.1/24"], m["10.0.2.1/24"])' 2>/dev/null || true)
    done
    wb_stop_pid "$ppid"
    read -r SG_R1_MAC SG_R2_MAC <<<"$macs"
    wb_log "wyvern: router MACs $SG_R1_MAC (net1) $SG_R2_MAC (net2)"
fi

# The two inputs: A -> B via the router, and the replies B -> A.
SG_PCAP_A="$WB_TMP/l3-sg-a.pcap"
SG_PCAP_B="$WB_TMP/l3-sg-b.pcap"
"$WB_PY" "$WB_BENCH_DIR/gen_pcap.py" "$SG_PCAP_A" "$SG_FLOWS" --src-mac "$SG_VMA_MAC" \
    --dst-mac "$SG_R1_MAC" --src-ip "$SG_VMA_IP" --dst-ip "$SG_VMB_IP" >&2
"$WB_PY" "$WB_BENCH_DIR/gen_pcap.py" "$SG_PCAP_B" "$SG_FLOWS" --src-mac "$SG_VMB_MAC" \
    --dst-mac "$SG_R2_MAC" --src-ip "$SG_VMB_IP" --dst-ip "$SG_VMA_IP" --reverse >&2
# The pcap PMD keeps both files in mbufs: pool = frames + 16384.
frames=$(((($(stat -c %s "$SG_PCAP_A") - 24) + ($(stat -c %s "$SG_PCAP_B") - 24)) / (16 + 60)))
SG_MBUFS=$((frames + 16384))
export SG_PCAP_A SG_PCAP_B SG_MBUFS SG_DB_DIR SG_VMA_ID SG_VMB_ID SG_R1_MAC SG_R2_MAC

# wyvern's own cycles a packet, two ways, from the BENCH lines just
# reported (medians): its PMD's timed iterations (cycles outside the
# drivers' burst calls, same run) and its total minus testpmd's (two runs).
sg_own_line() { # HUGEPAGES
    local res="$WB_TMP/results" own tot tp diff="-" runs least
    [[ -f $res ]] || return 0
    own=$(wb_sys_field wyvern own_cycles_per_pkt "$res")
    tot=$(wb_sys_field wyvern cycles_per_pkt "$res")
    tp=$(wb_sys_field testpmd cycles_per_pkt "$res")
    [[ -n $own ]] || return 0
    [[ -z $tot || -z $tp ]] || diff=$(awk -v a="$tot" -v b="$tp" 'BEGIN { printf "%.1f", a - b }')
    # every run's, and the least: other tenants' load only adds cycles
    runs=$(sed -n 's/^BENCH .* own_cycles_per_pkt=\([0-9.]*\).*/\1/p' "$WB_TMP"/out.wyvern.* 2>/dev/null | paste -sd, -)
    least=$(tr ',' '\n' <<<"$runs" | sort -n | head -n 1)
    echo "OWN workload=$SG_WORKLOAD hugepages=$1 timed_own_cycles_per_pkt=$own runs=$runs least=$least wyvern_minus_testpmd=$diff target<=250"
}

rc=0
for huge in "${hugemodes[@]}"; do
    wb_drive_three "$SG_WORKLOAD" "$huge" "$have_wy" "$WB_BUILD/ctrl/wyvernd" "${systems[@]}" || rc=1
    sg_own_line "$huge"
done
exit $rc
