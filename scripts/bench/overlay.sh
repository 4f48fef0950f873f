#!/usr/bin/env bash
# wyvern overlay benchmark: routed traffic + VXLAN encapsulation
# (workload l3-vxlan-10k), wyvern vs OVN (on OVS-DPDK) vs testpmd io
# forwarding.  See "Overlay benchmark" in scripts/bench/README.md.
#
# Environment:
#   BUILD                 build dir (default build); wyvernd is $BUILD/ctrl/wyvernd
#   BENCH_SYSTEMS         subset of "testpmd ovn wyvern" (space or comma separated)
#   BENCH_HUGEPAGES       0 (default) or 1
#   BENCH_SECONDS         measurement window, s (default 5)
#   BENCH_WARMUP          warm-up before the window, s (default 2)
#   BENCH_REPEAT          runs per system, median reported (default 1)
#   BENCH_VERIFY          1 (default): first capture the uplink of ovn/wyvern
#                         and check the encapsulated frames; 0: skip
#   BENCH_OVN_ENCAP_CSUM  outer UDP checksum in OVN's tunnels: ovn-encap-csum
#                         of both chassis (default true, OVN's default)
#   BENCH_KEEP_CAPTURE    DIR: keep the verify captures as DIR/uplink-SYSTEM.pcap
#   BENCH_CACHE           pcap cache dir (default $BUILD/bench)
#   BENCH_START_TIMEOUT   seconds to wait for daemons / first packets (60)
#
# Internal: overlay.sh --one SYSTEM MODE HUGEPAGES PCAP MBUFS runs one
# measurement (MODE measure) or one capture check (MODE verify) with its own
# temp dir and EXIT trap, and prints its BENCH+INFO or VERIFY line.
set -euo pipefail

WB_BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench/lib.sh
source "$WB_BENCH_DIR/lib.sh"

WB_BUILD=${BUILD:-build}
[[ $WB_BUILD == /* ]] || WB_BUILD="$PWD/$WB_BUILD"
: "${BENCH_VERIFY:=1}"
: "${BENCH_OVN_ENCAP_CSUM:=true}"

# ------------------------------------------------------------- topology ---
OV_WORKLOAD=l3-vxlan-10k
OV_FLOWS=10000
OV_VMA_MAC=02:00:00:00:00:01 # VM A, local, network 1
OV_VMA_IP=10.0.1.10
OV_VMB_MAC=02:00:00:00:00:02 # VM B, on the remote chassis, network 2
OV_VMB_IP=10.0.2.10
OV_R1_MAC=02:00:00:00:aa:01 # router interface on network 1
OV_R1_CIDR=10.0.1.1/24
OV_R2_MAC=02:00:00:00:aa:02 # router interface on network 2
OV_R2_CIDR=10.0.2.1/24
OV_VNI1=5001
OV_VNI2=5002
OV_LOCAL_VTEP=172.31.1.1
OV_REMOTE_VTEP=172.31.1.2
OV_REMOTE_MAC=02:00:00:00:01:02 # underlay MAC of the remote VTEP
OV_UNDERLAY_LEN=24
OV_OVN_PHY_MAC=02:00:00:00:01:01 # OVN: MAC of br-phy, the outer source MAC
OV_INNER_TTL=63

# shellcheck disable=SC2317  # called from a trap
wb_on_signal() {
    trap - INT TERM
    wb_log "interrupted"
    exit 130
}

# Does something on this host already route the underlay subnet?  (The OVN
# run puts OV_LOCAL_VTEP/24 on a tap; it must not shadow a real route.)
ov_underlay_in_use() {
    [[ -n $(ip -4 route show to match "$OV_REMOTE_VTEP" | grep -v '^default ' || true) ]]
}

# Uplink devargs: net_null for measuring, a tx_pcap capture for verifying.
ov_uplink_devargs() { # MODE
    if [[ $1 == verify ]]; then
        printf '%s\n' "net_pcap1,tx_pcap=$WB_TMP/uplink.pcap"
    else
        printf '%s\n' "net_null0,no-rx=1"
    fi
}

# Waits until the capture file has >= 256 KiB (a few thousand frames) while
# pid $1 is alive.
ov_wait_capture() { # PID LOG
    local deadline=$((SECONDS + BENCH_START_TIMEOUT))
    until [[ -f $WB_TMP/uplink.pcap && $(stat -c %s "$WB_TMP/uplink.pcap") -ge 262144 ]]; do
        kill -0 "$1" 2>/dev/null || { wb_tail_log "$2"; wb_die "process $1 died while capturing"; }
        ((SECONDS < deadline)) || { wb_tail_log "$2"; wb_die "no frames captured on the uplink"; }
        sleep 0.05
    done
}

# Checks $WB_TMP/uplink.pcap of system $1; sets RES_VERIFY ("ok ...") or
# dies.  BENCH_KEEP_CAPTURE=DIR keeps the capture as DIR/uplink-SYSTEM.pcap.
ov_check_capture() { # SYSTEM
    local out rc=0
    out=$("$WB_PY" "$WB_BENCH_DIR/overlay_check.py" "$WB_TMP/uplink.pcap" \
        --outer-dst-mac "$OV_REMOTE_MAC" --outer-src-ip "$OV_LOCAL_VTEP" \
        --outer-dst-ip "$OV_REMOTE_VTEP" --vni "$OV_VNI2" \
        --inner-src-mac "$OV_R2_MAC" --inner-dst-mac "$OV_VMB_MAC" \
        --inner-src-ip "$OV_VMA_IP" --inner-dst-ip "$OV_VMB_IP" --inner-ttl "$OV_INNER_TTL") || rc=$?
    if [[ -n ${BENCH_KEEP_CAPTURE:-} ]]; then
        mkdir -p "$BENCH_KEEP_CAPTURE"
        mv "$WB_TMP/uplink.pcap" "$BENCH_KEEP_CAPTURE/uplink-$1.pcap"
        wb_log "uplink capture kept as $BENCH_KEEP_CAPTURE/uplink-$1.pcap"
    fi
    rm -f "$WB_TMP/uplink.pcap"
    [[ $rc == 0 ]] || wb_die "uplink capture: $out"
    RES_VERIFY="result=$out"
}

# ------------------------------------------------------------------ OVN ---
# Chassis A is OVS-DPDK + ovn-controller; NB/SB/northd run next to it.  The
# remote chassis exists only in the SB (chassis-add + lsp-bind), which is
# all ovn-controller needs to tunnel to it.  Userspace tunnelling needs the
# underlay on an OVS bridge: br-phy (netdev, the uplink DPDK port, the local
# VTEP IP on its tap), a route to the remote VTEP via br-phy and a static
# neighbour entry.
ov_ovn_tnl_flow() { # prints the PMD megaflow that encapsulates, if any
    "${WB_APPCTL[@]}" dpctl/dump-flows 2>/dev/null | grep -m 1 'tnl_push(' || true
}

# The encapsulating megaflow must do exactly the routed + VXLAN rewrite.
ov_ovn_check_flow() { # FLOWLINE
    local f=$1 want csum=0x0
    [[ $BENCH_OVN_ENCAP_CSUM == false ]] || csum=0xffff
    for want in "set(eth(src=$OV_R2_MAC,dst=$OV_VMB_MAC))" "set(ipv4(ttl=$OV_INNER_TTL))" \
        "eth(dst=$OV_REMOTE_MAC," "ipv4(src=$OV_LOCAL_VTEP,dst=$OV_REMOTE_VTEP,proto=17," \
        "udp(src=0,dst=4789,csum=$csum)" "vxlan(flags=0x8000000,vni=$(printf '0x%x' "$OV_VNI2")))"; do
        [[ $f == *"$want"* ]] || { wb_log "ovn: megaflow: $f"; wb_die "ovn: the encapsulating megaflow lacks '$want'"; }
    done
}

ov_run_ovn() { # MODE HUGEPAGES PCAP
    local mode=$1 huge=$2 pcap=$3
    local d="$WB_TMP/ovn" prefix="wyvb-ovn-$$" bi="wyo-int-$$" bp="wyo-phy-$$"
    local tx prev="" flow deadline n=0 lflows offlows
    WB_PREFIXES+=("$prefix")
    ! ov_underlay_in_use || wb_die "ovn: $OV_REMOTE_VTEP is already routed on this host"

    # OVN encodes VXLAN's 24-bit VNI as datapath key | port key << 12; these
    # requested keys make the wire VNI of VM B's packets OV_VNI2 (and of VM A's
    # OV_VNI1), as in wyvern.
    local dk1=$((OV_VNI1 & 4095)) pk1=$((OV_VNI1 >> 12)) dk2=$((OV_VNI2 & 4095)) pk2=$((OV_VNI2 >> 12))
    ((dk1 > 0 && dk2 > 0 && pk1 > 0 && pk2 > 0 && pk1 < 2048 && pk2 < 2048)) ||
        wb_die "ovn: VNIs $OV_VNI1/$OV_VNI2 cannot be expressed as OVN VXLAN keys"

    wb_ovs_start "$d" "$(wb_ovs_eal "$huge" "$prefix")" 60 \
        external_ids:system-id=chassis-a \
        "external_ids:ovn-remote=\"unix:$d/run/sb.sock\"" \
        external_ids:ovn-encap-type=vxlan external_ids:ovn-encap-ip="$OV_LOCAL_VTEP" \
        external_ids:ovn-encap-csum="$BENCH_OVN_ENCAP_CSUM" \
        external_ids:ovn-bridge="$bi" external_ids:ovn-bridge-datapath-type=netdev
    wb_log "ovn: ovsdb-server pid $WB_OVS_DBPID, ovs-vswitchd pid $WB_OVS_VSPID (prefix $prefix, bridges $bi $bp)"

    # The bridges' taps outlive ovs-vswitchd: wb_cleanup deletes them.
    WB_LINKS+=("$bi" "$bp")
    "${WB_VSCTL[@]}" add-br "$bp" -- set bridge "$bp" datapath_type=netdev \
        other_config:hwaddr="$OV_OVN_PHY_MAC" \
        -- add-port "$bp" uplink -- set Interface uplink type=dpdk \
        "options:dpdk-devargs=\"$(ov_uplink_devargs "$mode")\""
    "${WB_VSCTL[@]}" add-br "$bi" -- set bridge "$bi" datapath_type=netdev fail-mode=secure \
        other_config:disable-in-band=true \
        -- add-port "$bi" vma -- set Interface vma type=dpdk \
        "options:dpdk-devargs=\"net_pcap0,rx_pcap=$pcap,infinite_rx=1\"" external_ids:iface-id=vma
    wb_ovs_check_ifaces uplink vma

    # Underlay: the local VTEP IP on br-phy's tap (no IPv6 on it, so the
    # kernel sends nothing through the uplink), a route and the remote
    # VTEP's MAC (nobody would answer OVS's ARP on a null port).
    if [[ -w /proc/sys/net/ipv6/conf/$bp/disable_ipv6 ]]; then
        echo 1 >"/proc/sys/net/ipv6/conf/$bp/disable_ipv6"
    fi
    ip addr add "$OV_LOCAL_VTEP/$OV_UNDERLAY_LEN" dev "$bp"
    ip link set "$bp" up
    # ovs/route/add fails while OVS sees no address on the bridge: retry.
    wb_wait_for "$WB_OVS_VSPID" "ovs/route/add" \
        "${WB_APPCTL[@]}" ovs/route/add "$OV_REMOTE_VTEP/32" "$bp" ||
        { "${WB_APPCTL[@]}" ovs/route/show >&2 || true; wb_die "ovn: cannot add the tunnel route"; }
    "${WB_APPCTL[@]}" tnl/arp/set "$bp" "$OV_REMOTE_VTEP" "$OV_REMOTE_MAC" >/dev/null

    # OVN central + the logical topology (one NB transaction).
    wb_ovn_central_start "$d"
    wb_ovn_northd_start "$d"
    ovn-nbctl --timeout="$BENCH_START_TIMEOUT" --wait=sb \
        -- ls-add net1 -- set Logical_Switch net1 other_config:requested-tnl-key=$dk1 \
        -- ls-add net2 -- set Logical_Switch net2 other_config:requested-tnl-key=$dk2 \
        -- lsp-add net1 vma -- lsp-set-addresses vma "$OV_VMA_MAC $OV_VMA_IP" \
        -- lsp-set-port-security vma "$OV_VMA_MAC $OV_VMA_IP" \
        -- set Logical_Switch_Port vma options:requested-tnl-key=$pk1 \
        -- lsp-add net2 vmb -- lsp-set-addresses vmb "$OV_VMB_MAC $OV_VMB_IP" \
        -- lsp-set-port-security vmb "$OV_VMB_MAC $OV_VMB_IP" \
        -- set Logical_Switch_Port vmb options:requested-tnl-key=$pk2 \
        -- lr-add r1 \
        -- lrp-add r1 r1-net1 "$OV_R1_MAC" "$OV_R1_CIDR" \
        -- lrp-add r1 r1-net2 "$OV_R2_MAC" "$OV_R2_CIDR" \
        -- lsp-add net1 net1-r1 -- lsp-set-type net1-r1 router \
        -- lsp-set-addresses net1-r1 router -- lsp-set-options net1-r1 router-port=r1-net1 \
        -- lsp-add net2 net2-r1 -- lsp-set-type net2-r1 router \
        -- lsp-set-addresses net2-r1 router -- lsp-set-options net2-r1 router-port=r1-net2 ||
        { wb_tail_log "$d/log/northd.log"; wb_die "ovn: NB configuration failed"; }
    # The remote chassis and VM B's binding to it, straight into the SB.
    # Whether tunnelled packets carry an outer UDP checksum is the
    # receiver's choice in OVN (its Encap options:csum, which ovn-controller
    # sets from ovn-encap-csum on a real chassis): set it on the fake one.
    local encap
    ovn-sbctl --timeout="$BENCH_START_TIMEOUT" chassis-add remote vxlan "$OV_REMOTE_VTEP"
    encap=$(ovn-sbctl --bare --columns=_uuid find Encap chassis_name=remote)
    ovn-sbctl --timeout="$BENCH_START_TIMEOUT" set Encap "$encap" options:csum="$BENCH_OVN_ENCAP_CSUM"
    ovn-sbctl --timeout="$BENCH_START_TIMEOUT" lsp-bind vmb remote
    wb_ovn_controller_start "$d"
    wb_log "ovn: NB pid $WB_OVN_NBPID, SB pid $WB_OVN_SBPID, northd pid $WB_OVN_NORTHD_PID, ovn-controller pid $WB_OVN_CONTROLLER_PID"

    # Programmed = an encapsulating megaflow exists and the uplink transmits
    # (>= 1000 packets per 0.2 s poll).  While there is no tnl_push the
    # neighbour entry is set again now and then (a safety net: a lost entry
    # would look exactly like "not programmed yet").
    deadline=$((SECONDS + BENCH_START_TIMEOUT))
    while :; do
        local p
        for p in "$WB_OVS_VSPID" "$WB_OVN_NORTHD_PID" "$WB_OVN_CONTROLLER_PID"; do
            kill -0 "$p" 2>/dev/null || {
                wb_tail_log "$d/log/ovs-vswitchd.log"
                wb_tail_log "$d/log/ovn-controller.log"
                wb_die "ovn: process $p died"
            }
        done
        flow=$(ov_ovn_tnl_flow)
        if [[ -n $flow ]]; then
            tx=$(wb_ovs_tx "$bp" uplink)
            [[ -z $prev || $((tx - prev)) -lt 1000 ]] || break
            prev=$tx
        elif ((++n % 5 == 0)); then
            "${WB_APPCTL[@]}" tnl/arp/set "$bp" "$OV_REMOTE_VTEP" "$OV_REMOTE_MAC" >/dev/null
        fi
        if ((SECONDS >= deadline)); then
            "${WB_APPCTL[@]}" dpctl/dump-flows >&2 || true
            "${WB_APPCTL[@]}" tnl/neigh/show >&2 || true
            "${WB_APPCTL[@]}" ovs/route/show >&2 || true
            wb_tail_log "$d/log/ovn-controller.log"
            wb_die "ovn: no encapsulated traffic on the uplink within ${BENCH_START_TIMEOUT}s"
        fi
        sleep 0.2
    done
    ov_ovn_check_flow "$flow"
    wb_log "ovn: encapsulating: ${flow##*actions:}"

    if [[ $mode == verify ]]; then
        ov_wait_capture "$WB_OVS_VSPID" "$d/log/ovs-vswitchd.log"
        # Detaching the port closes the pcap writer (flushes it).
        "${WB_VSCTL[@]}" del-port "$bp" uplink
        ov_check_capture ovn
        return 0
    fi

    wb_log "ovn: traffic flows, warm-up ${BENCH_WARMUP}s, window ${BENCH_SECONDS}s"
    wb_sleep "$BENCH_WARMUP"
    wb_ovs_measure "$bp" uplink
    # Still encapsulating at the end of the window (neighbour entry alive)?
    flow=$(grep -m 1 'tnl_push(' "$WB_TMP/dpctl-flows.txt" || true)
    [[ -n $flow ]] || wb_die "ovn: no tnl_push megaflow at the end of the window"
    ov_ovn_check_flow "$flow"
    lflows=$(ovn-sbctl --bare --columns=_uuid list Logical_Flow | grep -c . || true)
    offlows=$(ovs-ofctl -O OpenFlow15 dump-flows "$bi" | grep -c 'actions=' || true)
    RES_INFO+=" encap=vxlan vni=$OV_VNI2 encap_csum=$BENCH_OVN_ENCAP_CSUM lflows=$lflows openflow_flows=$offlows"
    wb_stop_pid "$WB_OVN_CONTROLLER_PID"
    wb_stop_pid "$WB_OVS_VSPID"
}

# --------------------------------------------------------------- wyvern ---
# wyvernd with the overlay settings of the chassis ([ctrl]) and the
# topology from wyctl, as a cloud would configure it.
ov_wy_ctrl_conf() {
    printf '[ctrl]\nvtep-ip = %s\nuplink = p1\nencap = vxlan\n' "$OV_LOCAL_VTEP"
}

ov_run_wyvern() { # MODE HUGEPAGES PCAP MBUFS
    local mode=$1 huge=$2 pcap=$3 mbufs=$4
    wb_wy_start "$pcap" "$huge" "$mbufs" "$(ov_uplink_devargs "$mode")" "$(ov_wy_ctrl_conf)"
    {
        "${WB_WYCTL[@]}" vtep add "$OV_REMOTE_VTEP" --mac "$OV_REMOTE_MAC" --encap vxlan &&
            "${WB_WYCTL[@]}" network add 1 --name net1 --vni "$OV_VNI1" &&
            "${WB_WYCTL[@]}" network add 2 --name net2 --vni "$OV_VNI2" &&
            "${WB_WYCTL[@]}" lport add 1 --network 1 --mac "$OV_VMA_MAC" --ip "$OV_VMA_IP" --port p0 &&
            "${WB_WYCTL[@]}" lport add 2 --network 2 --mac "$OV_VMB_MAC" --ip "$OV_VMB_IP" \
                --remote-vtep "$OV_REMOTE_VTEP" &&
            "${WB_WYCTL[@]}" router add 100 --name r1 &&
            "${WB_WYCTL[@]}" rport add 101 --router 100 --network 1 --mac "$OV_R1_MAC" --ip "$OV_R1_CIDR" &&
            "${WB_WYCTL[@]}" rport add 102 --router 100 --network 2 --mac "$OV_R2_MAC" --ip "$OV_R2_CIDR"
    } >&2 || { wb_tail_log "$WB_WY_LOG"; wb_die "wyvern: wyctl configuration failed"; }

    if [[ $mode == verify ]]; then
        if ! (ov_wait_capture "$WB_WY_PID" "$WB_WY_LOG"); then
            "${WB_WYCTL[@]}" show pmd >&2 || true
            wb_die "wyvern: nothing encapsulated on the uplink"
        fi
        wb_stop_pid "$WB_WY_PID" # closes the pcap writer
        ov_check_capture wyvern
        return 0
    fi
    wb_wy_measure 1
}

# ---------------------------------------------------------------- child ---
ov_one() { # SYSTEM MODE HUGEPAGES PCAP MBUFS
    local system=$1 mode=$2 huge=$3 pcap=$4 mbufs=$5
    trap wb_cleanup EXIT
    trap wb_on_signal INT TERM
    wb_mktemp
    RES_VERIFY=""
    case $system in
        testpmd) wb_run_testpmd "$pcap" "$huge" "$mbufs" ;;
        ovn) ov_run_ovn "$mode" "$huge" "$pcap" ;;
        wyvern) ov_run_wyvern "$mode" "$huge" "$pcap" "$mbufs" ;;
        *) wb_die "unknown system $system" ;;
    esac
    if [[ $mode == verify ]]; then
        printf 'VERIFY workload=%s system=%s hugepages=%s %s\n' "$OV_WORKLOAD" "$system" "$huge" "$RES_VERIFY"
        return 0
    fi
    printf 'BENCH workload=%s system=%s mpps=%s cycles_per_pkt=%s\n' \
        "$OV_WORKLOAD" "$system" "$RES_MPPS" "$RES_CPP"
    printf 'INFO workload=%s system=%s hugepages=%s %s\n' "$OV_WORKLOAD" "$system" "$huge" "$RES_INFO"
}

if [[ ${1:-} == --one ]]; then
    shift
    [[ $# -eq 5 ]] || wb_die "usage: overlay.sh --one SYSTEM measure|verify HUGEPAGES PCAP MBUFS"
    ov_one "$@"
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
[[ $BENCH_VERIFY == 0 || $BENCH_VERIFY == 1 ]] || wb_die "BENCH_VERIFY must be 0 or 1"
[[ $BENCH_OVN_ENCAP_CSUM == true || $BENCH_OVN_ENCAP_CSUM == false ]] ||
    wb_die "BENCH_OVN_ENCAP_CSUM must be true or false"
export BENCH_SECONDS BENCH_WARMUP BENCH_START_TIMEOUT BENCH_OVN_ENCAP_CSUM
for s in "${systems[@]}"; do
    case $s in testpmd | ovn | wyvern) ;; *) wb_die "unknown system '$s' (testpmd, ovn, wyvern)" ;; esac
done
[[ $EUID -eq 0 ]] || wb_die "needs root (DPDK, OVS, the underlay tap)"

WB_CHILD=""
OV_NETDEV_PRE=0
! ip link show dev ovs-netdev >/dev/null 2>&1 || OV_NETDEV_PRE=1
# shellcheck disable=SC2317  # called from a trap
ov_parent_cleanup() {
    if [[ -n $WB_CHILD ]]; then
        # TERM the child: its own trap stops its daemons.  Then also remove
        # what a child that died hard may have left.
        WB_PIDS+=("$WB_CHILD")
        WB_PREFIXES+=("wyvb-tp-$WB_CHILD" "wyvb-ovn-$WB_CHILD" "wyvb-wy-$WB_CHILD")
        WB_LINKS+=("wyo-int-$WB_CHILD" "wyo-phy-$WB_CHILD")
    fi
    [[ $OV_NETDEV_PRE == 1 ]] || WB_LINKS+=(ovs-netdev)
    wb_cleanup
    wb_huge_restore
}
trap ov_parent_cleanup EXIT
trap wb_on_signal INT TERM
wb_mktemp

# Input: VM A -> router MAC, 10.0.1.10 -> 10.0.2.10, 10k UDP flows.
cache=${BENCH_CACHE:-$WB_BUILD/bench}
mkdir -p "$cache"
pcap="$cache/$OV_WORKLOAD.pcap"
if [[ ! -s $pcap ]]; then
    wb_log "generating $pcap"
    "$WB_PY" "$WB_BENCH_DIR/gen_pcap.py" "$pcap" "$OV_FLOWS" --src-mac "$OV_VMA_MAC" \
        --dst-mac "$OV_R1_MAC" --src-ip "$OV_VMA_IP" --dst-ip "$OV_VMB_IP" --ttl 64 >&2
fi
# The pcap PMD keeps the whole file in mbufs: pool = frames + 16384.
frames=$((($(stat -c %s "$pcap") - 24) / (16 + 60)))
mbufs=$((frames + 16384))

# Which systems can run.
run_systems=()
for s in "${systems[@]}"; do
    case $s in
        testpmd)
            command -v dpdk-testpmd >/dev/null || { echo "SKIP system=testpmd: dpdk-testpmd not installed"; continue; } ;;
        ovn)
            if [[ ! -x $WB_OVS_VSWITCHD ]] || ! command -v ovn-northd >/dev/null ||
                ! command -v ovn-controller >/dev/null; then
                echo "SKIP system=ovn: OVS-DPDK or OVN not installed (scripts/deps.sh bench)"
                continue
            fi
            if ov_underlay_in_use; then
                echo "SKIP system=ovn: $OV_REMOTE_VTEP is already routed on this host ($(ip -4 route show to match "$OV_REMOTE_VTEP" | grep -v '^default ' | head -n 1))"
                continue
            fi ;;
        wyvern)
            if [[ ! -x $WB_BUILD/ctrl/wyvernd || ! -x $WB_BUILD/ctrl/wyctl ]]; then
                echo "SKIP system=wyvern: $WB_BUILD/ctrl/wyvernd does not exist (not built yet)"
                continue
            fi
            # The overlay settings must be known to this wyvernd.
            {
                printf '[eal]\nargs = --no-huge\n[mgmt]\nsocket = %s/probe.sock\n' "$WB_TMP"
                printf '[port.p0]\ndevargs = net_null0,no-rx=1\n[port.p1]\ndevargs = net_null1,no-rx=1\n'
                ov_wy_ctrl_conf
            } >"$WB_TMP/probe.conf"
            if ! why=$("$WB_BUILD/ctrl/wyvernd" -c "$WB_TMP/probe.conf" --check-config 2>&1); then
                echo "SKIP system=wyvern: wyvernd does not accept the overlay [ctrl] settings (no overlay yet): $(tail -n 1 <<<"$why")"
                continue
            fi ;;
    esac
    run_systems+=("$s")
done
((${#run_systems[@]} > 0)) || { wb_log "nothing to run"; exit 0; }
[[ $huge == 0 ]] || wb_huge_setup

failed=0
# Runs one child; its stdout goes to $1.  Returns non-zero if it failed.
ov_child() { # OUT SYSTEM MODE
    local out=$1 rc=0
    "$0" --one "$2" "$3" "$huge" "$pcap" "$mbufs" >"$out" &
    WB_CHILD=$!
    wait "$WB_CHILD" || rc=$?
    WB_CHILD=""
    return "$rc"
}

# Correctness first: what leaves the uplink must be the routed, encapsulated
# frame.  A system that fails is not measured.
if [[ $BENCH_VERIFY == 1 ]]; then
    kept=()
    for s in "${run_systems[@]}"; do
        if [[ $s == testpmd ]]; then
            kept+=("$s")
            continue
        fi
        wb_log "=== workload=$OV_WORKLOAD system=$s: verifying the encapsulation (uplink capture)"
        out="$WB_TMP/verify.$s"
        rc=0
        ov_child "$out" "$s" verify || rc=$?
        if [[ $rc -ne 0 ]] || ! grep -q '^VERIFY ' "$out"; then
            echo "FAIL workload=$OV_WORKLOAD system=$s verify rc=$rc (see messages above); not measured"
            failed=1
            continue
        fi
        cat "$out"
        kept+=("$s")
    done
    run_systems=("${kept[@]}")
fi

results="$WB_TMP/results"
: >"$results"
# Repetitions interleave the systems, so slow phases of a noisy host hit all
# of them; each system then reports its median run.
for ((rep = 1; rep <= BENCH_REPEAT; rep++)); do
    for s in "${run_systems[@]}"; do
        wb_log "=== workload=$OV_WORKLOAD system=$s hugepages=$huge run $rep/$BENCH_REPEAT"
        out="$WB_TMP/out.$s.$rep"
        rc=0
        ov_child "$out" "$s" measure || rc=$?
        if [[ $rc -ne 0 ]] || ! grep -q '^BENCH ' "$out"; then
            echo "FAIL workload=$OV_WORKLOAD system=$s run=$rep rc=$rc (see messages above)"
            rm -f "$out"
            failed=1
            continue
        fi
        if ((BENCH_REPEAT > 1)); then
            wb_log "run $rep: $(grep '^BENCH ' "$out")"
        else
            cat "$out"
        fi
    done
done
for s in "${run_systems[@]}"; do
    runs=()
    for ((rep = 1; rep <= BENCH_REPEAT; rep++)); do
        [[ ! -f $WB_TMP/out.$s.$rep ]] || runs+=("$WB_TMP/out.$s.$rep")
    done
    ((${#runs[@]} > 0)) || continue
    median=$(wb_median "${runs[@]}")
    if ((BENCH_REPEAT > 1)); then
        cat "$median"
        echo "RUNS workload=$OV_WORKLOAD system=$s mpps=$(wb_runs_mpps "${runs[@]}")"
    fi
    grep '^BENCH ' "$median" >>"$results"
done

# Ratios of Mpps for the pairs measured.
ov_mpps() {
    awk -v s="$1" '$1 == "BENCH" && $3 == "system=" s { sub(/^mpps=/, "", $4); print $4 }' "$results" |
        tail -n 1
}
line=""
for pair in wyvern/ovn wyvern/testpmd ovn/testpmd; do
    a=$(ov_mpps "${pair%/*}")
    b=$(ov_mpps "${pair#*/}")
    [[ -n $a && -n $b ]] || continue
    line+=" $pair=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
[[ -z $line ]] || echo "RATIO workload=$OV_WORKLOAD$line"

exit "$failed"
