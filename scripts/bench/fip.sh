#!/usr/bin/env bash
# Floating IP, bidirectional (workload fip-10k): wyvern vs OVN distributed
# floating IPs on OVS-DPDK vs testpmd io forwarding.  See "Floating-IP
# benchmark" in scripts/bench/README.md.
#
# One chassis, two ports: the uplink on the external flat provider network
# (physnet1, 172.24.4.0/24) and a VM port (10.0.5.10 on a tenant network)
# with a floating IP (172.24.4.100); a router joins them, its gateway on the
# external network.  Each port is a pcap vdev with infinite_rx: the uplink's
# file holds 10k UDP flows from the upstream router (172.24.4.1) to the
# floating IP (to the floating IP's MAC), the VM's file the replies of the
# same flows from the fixed IP to the upstream (to the router's MAC).  Both
# run at once on ONE PMD: every packet is translated (DNAT on the way in,
# SNAT on the way out) and, after the first pass, every connection has seen
# both directions: the window measures ESTABLISHED connections.  Mpps =
# packets sent out of both ports per second; cycles/pkt = all cycles of the
# PMD core / packets received.  No security groups (port security off): NAT
# and routing alone.
#   wyvern   wyvernd with its controller on an embedded RocksDB; the topology
#            written through wyvern-api (fip_nb.py) as a cloud would, the VM
#            port bound by iface-id, the uplink = [ctrl] uplink on physnet1
#   ovn      OVN 23.03 on OVS-DPDK: the same topology; the router's gateway
#            port on the external switch (localnet port, bridge mapping to a
#            netdev bridge holding the uplink) with a gateway chassis, and
#            `lr-nat-add r dnat_and_snat FIP VM_IP vm FIP_MAC`: a distributed
#            floating IP (logical_port + external_mac), translated on the
#            VM's chassis; the upstream's MAC as a static MAC binding
#   testpmd  io forwarding port 0 <-> port 1 on the same two pcap ports: the
#            ceiling of the ports
# The next hop: wyvern resolves the upstream by ARP; the uplink's file starts
# with the upstream's ARP reply to wyvern's resolver MAC (one frame per pass
# of the file; OVN drops it: unknown MAC).
#
# Environment:
#   BUILD                 build dir (default build)
#   BENCH_SYSTEMS         subset of "testpmd ovn wyvern" (space or comma separated)
#   BENCH_HUGEPAGES       0 (default) or 1
#   BENCH_SECONDS         measurement window, s (default 5)
#   BENCH_WARMUP          warm-up before the window, s (default 2)
#   BENCH_REPEAT          runs per system, median reported (default 1)
#   BENCH_START_TIMEOUT   seconds to wait for daemons / first packets (60)
#   BENCH_ESTABLISH_TIMEOUT  seconds wyvern may take to establish the 10k
#                         connections before the warm-up (180)
#   BENCH_WYVERN_DP       extra [dp] lines for wyvernd
#
# Prints: BENCH workload=fip-10k system=S mpps=X cycles_per_pkt=Y state=established|none
#         INFO ... (hit rates, NAT evidence), RATIO workload=fip-10k ...
# Internal: fip.sh --one SYSTEM HUGEPAGES runs one measurement (inputs in the
# FP_* variables the parent exports).
set -euo pipefail

WB_BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench/lib.sh
source "$WB_BENCH_DIR/lib.sh"

WB_BUILD=${BUILD:-build}
[[ $WB_BUILD == /* ]] || WB_BUILD="$PWD/$WB_BUILD"

FP_WORKLOAD=fip-10k
FP_FLOWS=10000
FP_UP_MAC=02:99:00:00:00:01
FP_UP_IP=172.24.4.1
FP_VM_MAC=02:00:00:00:00:02
FP_VM_IP=10.0.5.10
FP_FIP=172.24.4.100
FP_CHASSIS=wyvb-fip

# shellcheck disable=SC2317  # called from a trap
wb_on_signal() {
    trap - INT TERM
    wb_log "interrupted"
    exit 130
}

# ----------------------------------------------------------------- OVN ---
fp_run_ovn() { # HUGEPAGES
    local huge=$1 d="$WB_TMP/ovn" prefix="wyvb-ovn-$$" bi="wyfi-int-$$" bx="wyfi-ex-$$"
    local deadline txu txv est natf ct lflows
    WB_PREFIXES+=("$prefix")
    wb_ovs_start "$d" "$(wb_ovs_eal "$huge" "$prefix")" 60 \
        external_ids:system-id=chassis-a \
        "external_ids:ovn-remote=\"unix:$d/run/sb.sock\"" \
        external_ids:ovn-encap-type=geneve external_ids:ovn-encap-ip=127.0.0.1 \
        external_ids:ovn-bridge="$bi" external_ids:ovn-bridge-datapath-type=netdev \
        "external_ids:ovn-bridge-mappings=physnet1:$bx"
    wb_log "ovn: ovsdb-server pid $WB_OVS_DBPID, ovs-vswitchd pid $WB_OVS_VSPID (prefix $prefix, bridges $bi $bx)"
    WB_LINKS+=("$bi" "$bx")
    # The uplink on the provider bridge (ovn-controller patches it to the
    # integration bridge for the localnet port), the VM on the integration
    # bridge: both DPDK ports on the same PMD.
    "${WB_VSCTL[@]}" add-br "$bi" -- set bridge "$bi" datapath_type=netdev fail-mode=secure \
        other_config:disable-in-band=true \
        -- add-port "$bi" vm -- set Interface vm type=dpdk \
        "options:dpdk-devargs=\"net_pcap1,rx_pcap=$FP_PCAP_VM,infinite_rx=1\"" external_ids:iface-id=vm \
        -- add-br "$bx" -- set bridge "$bx" datapath_type=netdev \
        other_config:disable-in-band=true \
        -- add-port "$bx" up -- set Interface up type=dpdk \
        "options:dpdk-devargs=\"net_pcap0,rx_pcap=$FP_PCAP_UP,infinite_rx=1\""
    wb_ovs_check_ifaces vm up

    wb_ovn_central_start "$d"
    wb_ovn_northd_start "$d"
    # Neutron's ML2/OVN mapping of a router gateway and a distributed
    # floating IP: the gateway port has a gateway chassis (a distributed
    # gateway port), the FIP names its logical port and an external MAC, so
    # it is translated on the VM's chassis.
    ovn-nbctl --timeout="$BENCH_START_TIMEOUT" --wait=sb \
        -- ls-add ext \
        -- lsp-add ext ext-ln -- lsp-set-type ext-ln localnet \
        -- lsp-set-addresses ext-ln unknown -- lsp-set-options ext-ln network_name=physnet1 \
        -- ls-add tenant \
        -- lsp-add tenant vm -- lsp-set-addresses vm "$FP_VM_MAC $FP_VM_IP" \
        -- lr-add r \
        -- lrp-add r r-ext "$FP_GW_MAC" "$FP_GW_IP/24" \
        -- lrp-set-gateway-chassis r-ext chassis-a 1 \
        -- lrp-add r r-tenant "$FP_R_MAC" 10.0.5.1/24 \
        -- lsp-add ext ext-r -- lsp-set-type ext-r router \
        -- lsp-set-addresses ext-r router -- lsp-set-options ext-r router-port=r-ext \
        -- lsp-add tenant tenant-r -- lsp-set-type tenant-r router \
        -- lsp-set-addresses tenant-r router -- lsp-set-options tenant-r router-port=r-tenant \
        -- lr-route-add r 0.0.0.0/0 "$FP_UP_IP" \
        -- lr-nat-add r dnat_and_snat "$FP_FIP" "$FP_VM_IP" vm "$FP_FIP_MAC" \
        -- static-mac-binding-add r-ext "$FP_UP_IP" "$FP_UP_MAC" ||
        { wb_tail_log "$d/log/northd.log"; wb_die "ovn: NB configuration failed"; }
    wb_ovn_controller_start "$d"
    wb_log "ovn: NB pid $WB_OVN_NBPID, SB pid $WB_OVN_SBPID, northd pid $WB_OVN_NORTHD_PID, ovn-controller pid $WB_OVN_CONTROLLER_PID"

    # Programmed = both ports transmit (each direction translated and routed).
    deadline=$((SECONDS + BENCH_START_TIMEOUT))
    until txu=$(wb_ovs_tx "$bx" up) && txv=$(wb_ovs_tx "$bi" vm) &&
        [[ -n $txu && -n $txv && $txu -gt 1000 && $txv -gt 1000 ]]; do
        for p in "$WB_OVS_VSPID" "$WB_OVN_NORTHD_PID" "$WB_OVN_CONTROLLER_PID"; do
            kill -0 "$p" 2>/dev/null || { wb_tail_log "$d/log/ovn-controller.log"; wb_die "ovn: process $p died"; }
        done
        if ((SECONDS >= deadline)); then
            "${WB_APPCTL[@]}" dpctl/dump-flows >&2 || true
            wb_tail_log "$d/log/ovn-controller.log"
            wb_die "ovn: not both directions forwarded within ${BENCH_START_TIMEOUT}s (tx up=$txu vm=$txv)"
        fi
        sleep 0.2
    done
    wb_log "ovn: both directions flow, warm-up ${BENCH_WARMUP}s, window ${BENCH_SECONDS}s"
    wb_sleep "$BENCH_WARMUP"
    wb_ovs_measure "$bi" vm "$bx:up"
    # What the window measured.  OVN's NAT pipeline for a known connection
    # is ct(zone,nat) + recirculation, and the megaflows after it match the
    # translated addresses, not ct_state: established = the megaflows that
    # commit (ct(commit,...nat(...)): a connection's first packet in each
    # direction) carried no more than one packet per connection and
    # direction in their whole life, while the others carried the window.
    # Translated = megaflows with ct(...nat...) and conntrack entries that
    # name the floating IP (DNAT in, SNAT out: each entry names it).
    local commitp
    natf=$(grep -c 'ct(.*nat' "$WB_TMP/dpctl-flows.txt" || true)
    commitp=$(awk '/ct\(commit/ { if (match($0, /packets:[0-9]+/)) s += substr($0, RSTART + 8, RLENGTH - 8) }
        END { print s + 0 }' "$WB_TMP/dpctl-flows.txt")
    est=$(grep -c 'ct_state(.*+est' "$WB_TMP/dpctl-flows.txt" || true)
    ct=$("${WB_APPCTL[@]}" dpctl/dump-conntrack 2>/dev/null | grep '^udp' | grep -c "$FP_FIP" || true)
    lflows=$(ovn-sbctl --bare --columns=_uuid list Logical_Flow | grep -c . || true)
    RES_INFO+=" nat_megaflows=$natf commit_megaflow_packets=$commitp est_megaflows=$est ct_fip_conns=$ct lflows=$lflows"
    wb_log "ovn: evidence of translation: $natf megaflows with ct(nat), $ct conntrack entries name the floating IP $FP_FIP, e.g.: $("${WB_APPCTL[@]}" dpctl/dump-conntrack 2>/dev/null | grep '^udp' | grep -m 1 "$FP_FIP" || true); packets through committing megaflows in their life: $commitp"
    if ((natf == 0 || ct < FP_FLOWS || commitp > 2 * FP_FLOWS)); then
        head -n 40 "$WB_TMP/dpctl-flows.txt" >&2
        wb_die "ovn: not all traffic translated and established (nat megaflows $natf, conntrack entries naming $FP_FIP: $ct, packets committed: $commitp)"
    fi
    RES_STATE=established
    wb_stop_pid "$WB_OVN_CONTROLLER_PID"
    wb_stop_pid "$WB_OVS_VSPID"
}

# -------------------------------------------------------------- wyvern ---
fp_wy_ct() { # prints "conns committed established lookups nat_conns nat_rewritten"
    local nat
    # an empty zone: the counters without a dump of the 10k entries
    nat=$("${WB_WYCTL[@]}" --json show conntrack --zone 65535 | "$WB_PY" -c '
import json, sys
s = json.load(sys.stdin)["stats"]
print(s["nat_conns"], s["nat_rewritten"])')
    "${WB_WYCTL[@]}" --json show pmd | "$WB_PY" -c '
import json, sys
c = json.load(sys.stdin)["conntrack"]
print(c["connections"], c["committed"], c["established"], c["lookups"], sys.argv[1])' "$nat"
}

fp_run_wyvern() { # HUGEPAGES
    local huge=$1 db="$WB_TMP/nb" json parsed tx deadline ct0 ct1 sample fips
    cp -a "$FP_DB_DIR" "$db"
    BENCH_WYVERN_DP=$(printf 'ct-max-conns = 65536\n%s' "${BENCH_WYVERN_DP:-}")
    WB_WY_P1_EXTRA="iface-id = $FP_VM_ID"
    wb_wy_start "$FP_PCAP_UP" "$huge" "$FP_MBUFS" "net_pcap1,rx_pcap=$FP_PCAP_VM,infinite_rx=1" \
        "$(fp_ctrl_conf "$db" "$WB_TMP")"
    deadline=$((SECONDS + BENCH_START_TIMEOUT))
    until tx=$(wb_wy_tx) && [[ -n $tx && $tx -gt 1000 ]]; do
        kill -0 "$WB_WY_PID" 2>/dev/null || { wb_tail_log "$WB_WY_LOG"; wb_die "wyvernd died"; }
        ((SECONDS < deadline)) || {
            "${WB_WYCTL[@]}" show nat >&2 || true
            wb_tail_log "$WB_WY_LOG"
            wb_die "wyvern: nothing forwarded within ${BENCH_START_TIMEOUT}s"
        }
        sleep 0.2
    done
    # A new connection's first packets are upcalls (its megaflows match the
    # 5-tuple), under the PMD's upcall budget: wait until the NAT zone holds
    # every flow and nothing new is committed for 1 s.
    local t0=$SECONDS prev=-1 same=0
    deadline=$((SECONDS + ${BENCH_ESTABLISH_TIMEOUT:-180}))
    while :; do
        read -r -a ct0 <<<"$(fp_wy_ct)"
        if ((ct0[0] >= FP_FLOWS && ct0[1] == prev)); then
            ((++same < 2)) || break
        else
            same=0
        fi
        prev=${ct0[1]}
        kill -0 "$WB_WY_PID" 2>/dev/null || { wb_tail_log "$WB_WY_LOG"; wb_die "wyvernd died"; }
        ((SECONDS < deadline)) || wb_die "wyvern: connections not established within ${BENCH_ESTABLISH_TIMEOUT:-180}s (conns=${ct0[0]} committed=${ct0[1]} nat_conns=${ct0[4]})"
        sleep 0.5
    done
    wb_log "wyvern: ${ct0[0]} connections (${ct0[4]} translated) after $((SECONDS - t0))s, warm-up ${BENCH_WARMUP}s, window ${BENCH_SECONDS}s"
    wb_sleep "$BENCH_WARMUP"
    read -r -a ct0 <<<"$(fp_wy_ct)"
    "${WB_WYCTL[@]}" stats clear >&2
    wb_sleep "$BENCH_SECONDS"
    json=$("${WB_WYCTL[@]}" --json show pmd)
    read -r -a ct1 <<<"$(fp_wy_ct)"
    kill -0 "$WB_WY_PID" 2>/dev/null || { wb_tail_log "$WB_WY_LOG"; wb_die "wyvernd died"; }
    printf '%s\n' "$json" >"$WB_TMP/pmd.json"
    parsed=$("$WB_PY" "$WB_BENCH_DIR/wy_pmd_stats.py" "$WB_TMP/pmd.json") ||
        wb_die "wyvern: cannot use 'show pmd' output: $json"
    RES_MPPS=$(sed -n 's/^mpps=//p' <<<"$parsed")
    RES_CPP=$(sed -n 's/^cycles_per_pkt=//p' <<<"$parsed")
    RES_INFO=$(sed -n 's/^info=//p' <<<"$parsed")
    # Translated and established: the NAT counter holds every flow, nothing
    # was committed during the window, the listed entries have seen their
    # replies and carry the floating IP as their NAT address.
    sample=$("${WB_WYCTL[@]}" --json show conntrack | "$WB_PY" -c '
import json, sys
c = json.load(sys.stdin)["connections"]
fip = sys.argv[1]
print("%d/%d/%d" % (sum(1 for e in c if e["reply_seen"]),
                    sum(1 for e in c if fip in json.dumps(e)), len(c)))' "$FP_FIP")
    fips=$("${WB_WYCTL[@]}" --json show nat | "$WB_PY" -c '
import json, sys
print(",".join("%s->%s" % (f["floating_ip"], f["fixed_ip"]) for f in json.load(sys.stdin)["floating_ips"]))')
    local rx
    rx=$(sed -n 's/.* rx_packets=\([0-9]*\).*/\1/p' <<<"$RES_INFO")
    RES_INFO+=" ct_conns=${ct1[0]} nat_conns=${ct1[4]} nat_rewritten_in_window=$((ct1[5] - ct0[5])) nat_rewritten_per_rx=$(awk -v a=$((ct1[5] - ct0[5])) -v b="$rx" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }') ct_committed_in_window=$((ct1[1] - ct0[1])) ct_lookups_in_window=$((ct1[3] - ct0[3])) ct_listed_replied/naming_fip/listed=$sample fips=$fips"
    wb_log "wyvern: evidence of translation: conntrack nat_conns=${ct1[4]}, packets rewritten in the window $((ct1[5] - ct0[5])) of $rx received, floating IPs $fips; listed conntrack entries replied/naming $FP_FIP/total: $sample; e.g.: $("${WB_WYCTL[@]}" show conntrack | grep -m 1 "$FP_FIP" || true)"
    local replied=${sample%%/*} naming listed=${sample##*/}
    naming=${sample#*/}
    naming=${naming%/*}
    # Every packet of the window rewritten (stats clear came after ct0: a
    # few packets more than rx_packets may be counted).
    if ((ct1[4] < FP_FLOWS || ct1[1] - ct0[1] != 0 || ct1[5] - ct0[5] < rx)) || [[ $replied != "$listed" || $naming != "$listed" || $listed == 0 ]]; then
        "${WB_WYCTL[@]}" show conntrack | tail -n 3 >&2
        wb_log "wyvern: $RES_INFO"
        wb_die "wyvern: not all connections translated and established (nat_conns=${ct1[4]}, committed in window $((ct1[1] - ct0[1])), replied/naming fip/listed $sample)"
    fi
    RES_STATE=established
    wb_stop_pid "$WB_WY_PID"
}

# The [ctrl] section of wyvernd: the database, the chassis, the uplink.
fp_ctrl_conf() { # DB_DIR REPLICA_DIR
    printf '[ctrl]\ndb = rocksdb:%s/db\nchassis = %s\nreplica = %s/replica\nuplink = p0\nvtep-ip = 192.0.2.1\nphysnet = physnet1\n' \
        "$1" "$FP_CHASSIS" "$2"
}

# ---------------------------------------------------------------- child ---
if [[ ${1:-} == --one ]]; then
    [[ $# -eq 3 ]] || wb_die "usage: fip.sh --one SYSTEM HUGEPAGES"
    trap wb_cleanup EXIT
    trap wb_on_signal INT TERM
    wb_mktemp
    RES_STATE=""
    case $2 in
        testpmd) wb_run_testpmd_pcap "$3" "$FP_PCAP_UP" "$FP_PCAP_VM" "$FP_MBUFS" ", no translation" ;;
        ovn) fp_run_ovn "$3" ;;
        wyvern) fp_run_wyvern "$3" ;;
        *) wb_die "unknown system $2" ;;
    esac
    printf 'BENCH workload=%s system=%s mpps=%s cycles_per_pkt=%s state=%s\n' \
        "$FP_WORKLOAD" "$2" "$RES_MPPS" "$RES_CPP" "$RES_STATE"
    printf 'INFO workload=%s system=%s hugepages=%s flows=%s bidirectional=1 pmds=1 %s\n' \
        "$FP_WORKLOAD" "$2" "$3" "$FP_FLOWS" "$RES_INFO"
    exit 0
fi

# --------------------------------------------------------------- parent ---
wb_words() { tr ',' ' ' <<<"$1"; }
read -r -a systems <<<"$(wb_words "${BENCH_SYSTEMS:-testpmd ovn wyvern}")"
huge=${BENCH_HUGEPAGES:-0}
[[ $huge == 0 || $huge == 1 ]] || wb_die "BENCH_HUGEPAGES must be 0 or 1"
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
FP_NETDEV_PRE=0
! ip link show dev ovs-netdev >/dev/null 2>&1 || FP_NETDEV_PRE=1
# shellcheck disable=SC2317  # called from a trap
fp_parent_cleanup() {
    if [[ -n $WB_CHILD ]]; then
        WB_PIDS+=("$WB_CHILD")
        WB_PREFIXES+=("wyvb-tp-$WB_CHILD" "wyvb-ovn-$WB_CHILD" "wyvb-wy-$WB_CHILD")
        WB_LINKS+=("wyfi-int-$WB_CHILD" "wyfi-ex-$WB_CHILD")
    fi
    [[ $FP_NETDEV_PRE == 1 ]] || WB_LINKS+=(ovs-netdev)
    wb_cleanup
    wb_huge_restore
}
trap fp_parent_cleanup EXIT
trap wb_on_signal INT TERM
wb_mktemp

WYCTL=$WB_BUILD/ctrl/wyctl
WYAPI=$WB_BUILD/api/wyvern-api
have_wy=0
[[ -x $WB_BUILD/ctrl/wyvernd && -x $WYCTL && -x $WYAPI ]] && have_wy=1

# The addresses every system uses.  Without wyvern (not built) the MACs are
# fixed ones; with it, those wyvern's controller derives (router ports from
# router + network ids, the floating IP's from chassis + port id, the
# resolver's from chassis + router id) are read from a short-lived wyvernd
# first, so that all three systems get the same two pcaps.
FP_DB_DIR="$WB_TMP/nbdb"
FP_R_MAC=02:00:00:00:aa:01
FP_GW_MAC=02:00:00:00:aa:02
FP_GW_IP=172.24.4.2
FP_FIP_MAC=02:00:00:00:aa:03
FP_RESOLVER_MAC=02:00:00:00:aa:04
FP_VM_ID=""
if [[ $have_wy == 1 ]]; then
    # The northbound, written through wyvern-api on the embedded database.
    mkdir -p "$FP_DB_DIR"
    "$WYAPI" --db "rocksdb:$FP_DB_DIR/db" --listen 127.0.0.1:0 >"$WB_TMP/api.out" 2>"$WB_TMP/api.log" &
    apid=$!
    WB_PIDS+=("$apid")
    deadline=$((SECONDS + BENCH_START_TIMEOUT))
    until grep -q listening "$WB_TMP/api.out"; do
        kill -0 "$apid" 2>/dev/null || { wb_tail_log "$WB_TMP/api.log"; wb_die "wyvern-api died"; }
        ((SECONDS < deadline)) || wb_die "wyvern-api did not listen"
        sleep 0.1
    done
    url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$WB_TMP/api.out")
    nb=$("$WB_PY" "$WB_BENCH_DIR/fip_nb.py" "$url" "$FP_CHASSIS" "$FP_VM_MAC" "$FP_VM_IP" "$FP_FIP") ||
        { wb_tail_log "$WB_TMP/api.log"; wb_die "wyvern: northbound set-up failed"; }
    wb_stop_pid "$apid"
    FP_VM_ID=$(sed -n 's/.*VM_ID=\([^ ]*\).*/\1/p' <<<"$nb")
    FP_GW_IP=$(sed -n 's/.*GW_IP=\([^ ]*\).*/\1/p' <<<"$nb")
    probe="$WB_TMP/probe"
    mkdir -p "$probe"
    cp -a "$FP_DB_DIR" "$probe/nb"
    cat >"$probe/wyvernd.conf" <<EOF
[eal]
args = --no-huge -m 512 --no-pci --file-prefix wyvb-fpp-$$
lcores = 0,1
[dp]
pmd-lcores = 1
idle-sleep-max-us = 200
mbufs = 4096
[mgmt]
socket = $probe/wy.sock
[port.p0]
devargs = net_null0,no-rx=1
[port.p1]
devargs = net_null1,no-rx=1
iface-id = $FP_VM_ID
$(fp_ctrl_conf "$probe/nb" "$probe")
EOF
    WB_PREFIXES+=("wyvb-fpp-$$")
    "$WB_BUILD/ctrl/wyvernd" -c "$probe/wyvernd.conf" >"$probe/wyvernd.log" 2>&1 &
    ppid=$!
    WB_PIDS+=("$ppid")
    macs=""
    deadline=$((SECONDS + BENCH_START_TIMEOUT))
    while [[ -z $macs ]]; do
        kill -0 "$ppid" 2>/dev/null || { wb_tail_log "$probe/wyvernd.log"; wb_die "wyvern: probe daemon died"; }
        ((SECONDS < deadline)) || {
            "$WYCTL" -s "$probe/wy.sock" show nat >&2 || true
            wb_tail_log "$probe/wyvernd.log"
            wb_die "wyvern: the router or the floating IP never appeared"
        }
        sleep 0.2
        macs=$( { "$WYCTL" -s "$probe/wy.sock" --json show routers && "$WYCTL" -s "$probe/wy.sock" --json show nat; } 2>/dev/null |
            "$WB_PY" -c '
import json, sys
dec, s, docs = json.JSONDecoder(), sys.stdin.read(), []
i = 0
while i < len(s):
    if s[i].isspace():
        i += 1
        continue
    d, i = dec.raw_decode(s, i)
    docs.append(d)
rt, nat = docs
m = {}
for r in rt["routers"]:
    for p in r["ports"]:
        for ip in p["ips"]:
            m[ip] = p["mac"]
f = [x["mac"] for x in nat["floating_ips"] if x["floating_ip"] == sys.argv[1]]
g = [x for x in nat["gateways"] if x["address"] == sys.argv[2]]
if "10.0.5.1/24" in m and f and g and sys.argv[2] + "/24" in m:
    print(m["10.0.5.1/24"], m[sys.argv[2] + "/24"], f[0], g[0]["resolver_mac"])' "$FP_FIP" "$FP_GW_IP" 2>/dev/null || true)
    done
    wb_stop_pid "$ppid"
    read -r FP_R_MAC FP_GW_MAC FP_FIP_MAC FP_RESOLVER_MAC <<<"$macs"
    wb_log "wyvern: router MACs $FP_R_MAC (tenant) $FP_GW_MAC (gateway $FP_GW_IP), floating IP $FP_FIP MAC $FP_FIP_MAC, resolver $FP_RESOLVER_MAC"
fi

# The two inputs: upstream -> FIP (after the upstream's ARP reply to the
# resolver), and the replies VM -> upstream through the router.
FP_PCAP_UP="$WB_TMP/fip-up.pcap"
FP_PCAP_VM="$WB_TMP/fip-vm.pcap"
"$WB_PY" "$WB_BENCH_DIR/gen_pcap.py" "$FP_PCAP_UP" "$FP_FLOWS" --src-mac "$FP_UP_MAC" \
    --dst-mac "$FP_FIP_MAC" --src-ip "$FP_UP_IP" --dst-ip "$FP_FIP" \
    --arp-reply-to "$FP_RESOLVER_MAC" >&2
"$WB_PY" "$WB_BENCH_DIR/gen_pcap.py" "$FP_PCAP_VM" "$FP_FLOWS" --src-mac "$FP_VM_MAC" \
    --dst-mac "$FP_R_MAC" --src-ip "$FP_VM_IP" --dst-ip "$FP_UP_IP" --reverse >&2
# The pcap PMD keeps both files in mbufs: pool = frames + 16384.
frames=$(((($(stat -c %s "$FP_PCAP_UP") - 24) + ($(stat -c %s "$FP_PCAP_VM") - 24)) / (16 + 60)))
FP_MBUFS=$((frames + 16384))
export FP_PCAP_UP FP_PCAP_VM FP_MBUFS FP_DB_DIR FP_VM_ID FP_R_MAC FP_GW_MAC FP_GW_IP FP_FIP_MAC

wb_drive_three "$FP_WORKLOAD" "$huge" "$have_wy" "$WB_BUILD/ctrl/wyvernd, wyctl or api/wyvern-api" "${systems[@]}"
exit $?
