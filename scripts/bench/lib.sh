# shellcheck shell=bash disable=SC2034  # RES_*/WB_* are read by the suites
# wyvern benchmarks: helpers sourced by scripts/bench/run.sh, overlay.sh and
# cp.sh.
#
# Process model: run.sh (the parent) prepares pcaps and hugepages, then runs
# every (system, workload, hugepages) measurement as a child `run.sh --one ...`
# so that each measurement has its own EXIT trap and `set -e` stays in force.
# Every helper that starts a process records its pid in WB_PIDS; every DPDK
# file prefix goes to WB_PREFIXES; wb_cleanup undoes exactly those.
#
# Results are returned in globals (never via $(...), which would fork a
# subshell and lose the pids): RES_MPPS, RES_CPP, RES_INFO.

WB_PIDS=()
WB_PREFIXES=()
WB_LINKS=()
WB_TMP=""
RES_MPPS=""
RES_CPP=""
RES_INFO=""

: "${BENCH_WARMUP:=2}"
: "${BENCH_SECONDS:=5}"
: "${BENCH_START_TIMEOUT:=60}"
WB_PY=/usr/bin/python3
WB_OVS_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
WB_OVS_SCHEMA=/usr/share/openvswitch/vswitch.ovsschema
WB_HUGEDIR=/dev/hugepages
WB_DPDK_RUNDIR=/var/run/dpdk

wb_log() {
    printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2
}

wb_die() {
    wb_log "ERROR: $*"
    exit 1
}

# Sleep in the background and wait for it, so that a TERM/INT reaches our
# trap at once instead of after the sleep.
wb_sleep() {
    sleep "$1" &
    local pid=$!
    WB_PIDS+=("$pid")
    wait "$pid"
}

wb_mktemp() {
    WB_TMP=$(mktemp -d /tmp/wyvb.XXXXXX)
}

# Stop one pid we started: TERM, up to 10 s grace, then KILL.
wb_stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        wb_log "pid $pid ignored SIGTERM, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# Undo everything this process started, newest first.  Safe to call twice.
wb_cleanup() {
    local i p l
    for ((i = ${#WB_PIDS[@]} - 1; i >= 0; i--)); do
        wb_stop_pid "${WB_PIDS[i]}"
    done
    WB_PIDS=()
    for l in "${WB_LINKS[@]}"; do
        if ip link show dev "$l" >/dev/null 2>&1; then
            ip link del dev "$l" 2>/dev/null || true
        fi
    done
    WB_LINKS=()
    for p in "${WB_PREFIXES[@]}"; do
        [[ -n $p ]] || continue
        rm -f "$WB_HUGEDIR/$p"map_* "$WB_HUGEDIR/$p"seg_* 2>/dev/null || true
        rm -rf "${WB_DPDK_RUNDIR:?}/$p"
    done
    WB_PREFIXES=()
    if [[ -n $WB_TMP && -d $WB_TMP ]]; then
        rm -rf "$WB_TMP"
    fi
    WB_TMP=""
}

# Wait until "$@" succeeds, up to $BENCH_START_TIMEOUT s; fail if pid $1 dies.
wb_wait_for() {
    local pid=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + BENCH_START_TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || { wb_log "$what: process $pid exited"; return 1; }
        ((SECONDS < deadline)) || { wb_log "$what: timed out"; return 1; }
        sleep 0.2
    done
}

# TSC frequency in Hz.  Method: /proc/cpuinfo "cpu MHz" of the forwarding
# cpu (1).  This is only valid as a TSC rate because these VMs have an
# invariant TSC (flags constant_tsc + nonstop_tsc + tsc_known_freq), and the
# kernel reports the TSC rate it detected at boot as "cpu MHz" there.  We
# check the flags and fail rather than print a wrong cycles/packet.
wb_tsc_hz() {
    local flags mhz
    flags=$(awk -F: '/^flags/ {print $2; exit}' /proc/cpuinfo)
    [[ " $flags " == *" constant_tsc "* && " $flags " == *" nonstop_tsc "* ]] ||
        wb_die "no invariant TSC: cannot derive cycles from /proc/cpuinfo"
    mhz=$(awk -F: '/^processor/ {cpu=$2+0} /^cpu MHz/ && cpu==1 {print $2+0; exit}' /proc/cpuinfo)
    [[ -n $mhz ]] || mhz=$(awk -F: '/^cpu MHz/ {print $2+0; exit}' /proc/cpuinfo)
    [[ -n $mhz ]] || wb_die "no 'cpu MHz' in /proc/cpuinfo"
    awk -v m="$mhz" 'BEGIN { printf "%.0f\n", m * 1e6 }'
}

# EAL memory options for hugepages=0|1 (file prefix added by the caller).
wb_eal_mem() {
    if [[ $1 == 1 ]]; then
        printf '%s\n' "-m 1024 --huge-unlink"
    else
        printf '%s\n' "--no-huge -m 1024"
    fi
}

wb_tail_log() {
    local f=$1
    [[ -f $f ]] || return 0
    wb_log "last lines of $f:"
    tail -n 25 "$f" >&2 || true
}

# --------------------------------------------------------------------------
# 1. dpdk-testpmd, io forwarding: the ceiling of the two ports.
#    Mpps = port 1 tx delta / window (telemetry, see dpdk_stats.py).
#    cycles/pkt = tsc_hz * window / packets: the forwarding lcore busy-polls,
#    so every TSC cycle of the window belongs to it.
# --------------------------------------------------------------------------
wb_run_testpmd() {
    local pcap=$1 huge=$2 mbufs=$3
    local prefix="wyvb-tp-$$" log fifo hz out pid packets seconds mem
    log="$WB_TMP/testpmd.log"
    fifo="$WB_TMP/testpmd.stdin"
    mem=$(wb_eal_mem "$huge")
    WB_PREFIXES+=("$prefix")
    # testpmd without -i waits for a line on stdin before it quits: give it a
    # fifo that we hold open (read-write, so neither open blocks).
    mkfifo "$fifo"
    exec {WB_TP_FD}<>"$fifo"
    # shellcheck disable=SC2086  # $mem is a list of EAL words
    dpdk-testpmd -l 0,1 --main-lcore 0 $mem --no-pci --file-prefix "$prefix" \
        --vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" --vdev "net_null0,no-rx=1" \
        -- --forward-mode=io --nb-cores=1 --total-num-mbufs="$mbufs" --auto-start \
        <"$fifo" >"$log" 2>&1 &
    pid=$!
    WB_PIDS+=("$pid")
    wb_log "testpmd pid $pid (prefix $prefix), warm-up ${BENCH_WARMUP}s, window ${BENCH_SECONDS}s"

    out="$WB_TMP/testpmd.meas"
    "$WB_PY" "$WB_BENCH_DIR/dpdk_stats.py" --prefix "$prefix" --port 1 \
        --timeout "$BENCH_START_TIMEOUT" --warmup "$BENCH_WARMUP" --window "$BENCH_SECONDS" \
        >"$out" &
    local mpid=$!
    WB_PIDS+=("$mpid")
    if ! wait "$mpid"; then
        wb_tail_log "$log"
        wb_die "testpmd: measurement failed"
    fi
    kill -0 "$pid" 2>/dev/null || { wb_tail_log "$log"; wb_die "testpmd died"; }
    packets=$(sed -n 's/.*packets=\([0-9]*\) .*/\1/p' "$out")
    seconds=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$out")
    [[ -n $packets && $packets -gt 0 ]] || wb_die "testpmd: no packets in window ($(cat "$out"))"
    hz=$(wb_tsc_hz)
    RES_MPPS=$(awk -v p="$packets" -v s="$seconds" 'BEGIN { printf "%.2f", p / s / 1e6 }')
    RES_CPP=$(awk -v p="$packets" -v s="$seconds" -v h="$hz" 'BEGIN { printf "%.1f", h * s / p }')
    RES_INFO="packets=$packets seconds=$seconds tsc_hz=$hz tsc_source=proc_cpuinfo"
    wb_stop_pid "$pid"
    exec {WB_TP_FD}>&-
}

# --------------------------------------------------------------------------
# OVS-DPDK and OVN daemons, private to one measurement: every socket, db,
# pid and log file lives under DIR (inside $WB_TMP), every pid goes to
# WB_PIDS.  Used by run.sh (ovs-dpdk), overlay.sh (ovn) and cp.sh (ovn).
# --------------------------------------------------------------------------

# dpdk-extra for OVS in hugepage mode $1 with file prefix $2 (the caller adds
# the prefix to WB_PREFIXES).  Without hugepages OVS needs --legacy-mem.
wb_ovs_eal() {
    local mem
    mem=$(wb_eal_mem "$1")
    if [[ $1 == 1 ]]; then
        printf '%s\n' "$mem --no-pci --file-prefix $2"
    else
        printf '%s\n' "--legacy-mem $mem --no-pci --file-prefix $2"
    fi
}

# wb_ovs_start DIR DPDK_EXTRA VSCTL_TIMEOUT [COLUMN=VALUE ...]
# ovsdb-server + ovs-vswitchd-dpdk with dpdk-init, lcore mask 0x1 and the
# PMD on core 1 (pmd-cpu-mask=0x2); COLUMN=VALUE pairs are added to the same
# `ovs-vsctl set Open_vSwitch .` (e.g. other_config:pmd-maxsleep=1000,
# external_ids:ovn-remote=...).  Exports OVS_RUNDIR etc. (so ovs-ofctl and
# ovs-appctl find the daemons); sets WB_OVS_DBPID, WB_OVS_VSPID, WB_VSCTL and
# WB_APPCTL (command arrays).  The netdev datapath creates a tap
# "ovs-netdev" that outlives ovs-vswitchd: if it did not exist before, it is
# put on WB_LINKS.
wb_ovs_start() {
    local d=$1 extra=$2 timeout=$3
    shift 3
    mkdir -p "$d/run" "$d/db" "$d/log" "$d/etc"
    export OVS_RUNDIR="$d/run" OVS_DBDIR="$d/db" OVS_LOGDIR="$d/log" OVS_SYSCONFDIR="$d/etc"
    ip link show dev ovs-netdev >/dev/null 2>&1 || WB_LINKS+=(ovs-netdev)
    ovsdb-tool create "$d/db/conf.db" "$WB_OVS_SCHEMA"
    ovsdb-server "$d/db/conf.db" --remote="punix:$d/run/db.sock" \
        --unixctl="$d/run/ovsdb-server.ctl" --pidfile="$d/run/ovsdb-server.pid" \
        --log-file="$d/log/ovsdb-server.log" -vconsole:off >>"$d/log/ovsdb-server.out" 2>&1 &
    WB_OVS_DBPID=$!
    WB_PIDS+=("$WB_OVS_DBPID")
    wb_wait_for "$WB_OVS_DBPID" "ovsdb-server socket" test -S "$d/run/db.sock" ||
        { wb_tail_log "$d/log/ovsdb-server.log"; wb_die "ovsdb-server (OVS) did not start"; }
    WB_VSCTL=(ovs-vsctl --db="unix:$d/run/db.sock" --timeout="$timeout")
    "${WB_VSCTL[@]}" --no-wait init
    "${WB_VSCTL[@]}" --no-wait set Open_vSwitch . \
        other_config:dpdk-init=true \
        "other_config:dpdk-extra=\"$extra\"" \
        other_config:dpdk-lcore-mask=0x1 \
        other_config:pmd-cpu-mask=0x2 "$@"

    "$WB_OVS_VSWITCHD" "unix:$d/run/db.sock" --unixctl="$d/run/ovs-vswitchd.ctl" \
        --pidfile="$d/run/ovs-vswitchd.pid" --log-file="$d/log/ovs-vswitchd.log" \
        -vconsole:off >>"$d/log/ovs-vswitchd.out" 2>&1 &
    WB_OVS_VSPID=$!
    WB_PIDS+=("$WB_OVS_VSPID")
    WB_APPCTL=(ovs-appctl --timeout=60 -t "$d/run/ovs-vswitchd.ctl")
    wb_wait_for "$WB_OVS_VSPID" "ovs-vswitchd control socket" "${WB_APPCTL[@]}" version ||
        { wb_tail_log "$d/log/ovs-vswitchd.log"; wb_die "ovs-vswitchd did not start"; }
}

# Fails (with the vswitchd log) if OVS reports an error on interface $1...
wb_ovs_check_ifaces() {
    local ifc err
    for ifc in "$@"; do
        err=$("${WB_VSCTL[@]}" get Interface "$ifc" error 2>/dev/null || true)
        if [[ -n $err && $err != '[]' ]]; then
            wb_tail_log "$OVS_LOGDIR/ovs-vswitchd.log"
            wb_die "ovs: interface $ifc: $err"
        fi
    done
}

# wb_ovn_central_start DIR: OVN_Northbound and OVN_Southbound ovsdb-servers
# on Unix sockets DIR/run/nb.sock and sb.sock, then `ovn-nbctl init`.
# Exports OVN_RUNDIR etc., OVN_NB_DB and OVN_SB_DB; sets WB_OVN_NBPID,
# WB_OVN_SBPID.
wb_ovn_central_start() {
    local d=$1
    mkdir -p "$d/run" "$d/db" "$d/log" "$d/etc"
    export OVN_RUNDIR="$d/run" OVN_DBDIR="$d/db" OVN_LOGDIR="$d/log" OVN_SYSCONFDIR="$d/etc"
    ovsdb-tool create "$d/db/nb.db" /usr/share/ovn/ovn-nb.ovsschema
    ovsdb-tool create "$d/db/sb.db" /usr/share/ovn/ovn-sb.ovsschema
    ovsdb-server "$d/db/nb.db" --remote="punix:$d/run/nb.sock" \
        --unixctl="$d/run/nb.ctl" --pidfile="$d/run/nb.pid" \
        --log-file="$d/log/nb.log" -vconsole:off >>"$d/log/nb.out" 2>&1 &
    WB_OVN_NBPID=$!
    WB_PIDS+=("$WB_OVN_NBPID")
    ovsdb-server "$d/db/sb.db" --remote="punix:$d/run/sb.sock" \
        --unixctl="$d/run/sb.ctl" --pidfile="$d/run/sb.pid" \
        --log-file="$d/log/sb.log" -vconsole:off >>"$d/log/sb.out" 2>&1 &
    WB_OVN_SBPID=$!
    WB_PIDS+=("$WB_OVN_SBPID")
    wb_wait_for "$WB_OVN_NBPID" "ovsdb-server (NB)" test -S "$d/run/nb.sock" ||
        wb_die "ovsdb-server (NB) did not start"
    wb_wait_for "$WB_OVN_SBPID" "ovsdb-server (SB)" test -S "$d/run/sb.sock" ||
        wb_die "ovsdb-server (SB) did not start"
    export OVN_NB_DB="unix:$d/run/nb.sock" OVN_SB_DB="unix:$d/run/sb.sock"
    ovn-nbctl --no-wait init
}

# wb_ovn_northd_start DIR: ovn-northd on OVN_NB_DB/OVN_SB_DB; sets
# WB_OVN_NORTHD_PID.  Does not wait.
wb_ovn_northd_start() {
    local d=$1
    ovn-northd --ovnnb-db="$OVN_NB_DB" --ovnsb-db="$OVN_SB_DB" \
        --pidfile="$d/run/northd.pid" --unixctl="$d/run/northd.ctl" \
        --log-file="$d/log/northd.log" -vconsole:off >>"$d/log/northd.out" 2>&1 &
    WB_OVN_NORTHD_PID=$!
    WB_PIDS+=("$WB_OVN_NORTHD_PID")
}

# wb_ovn_controller_start DIR: ovn-controller on the OVS db of wb_ovs_start
# (its external_ids say which SB, chassis and encap); sets
# WB_OVN_CONTROLLER_PID.  Does not wait.
wb_ovn_controller_start() {
    local d=$1
    ovn-controller "unix:$d/run/db.sock" --pidfile="$d/run/ovn-controller.pid" \
        --log-file="$d/log/ovn-controller.log" \
        -vconsole:off >>"$d/log/ovn-controller.out" 2>&1 &
    WB_OVN_CONTROLLER_PID=$!
    WB_PIDS+=("$WB_OVN_CONTROLLER_PID")
}

# --------------------------------------------------------------------------
# 2. OVS-DPDK with the equivalent OpenFlow pipeline (port security, then MAC).
#    Mpps = p1 tx delta (ovs-ofctl dump-ports, live ethdev stats) / window;
#    cycles/pkt = "avg cycles per packet" of pmd-stats-show (idle+processing
#    cycles of the PMD / packets received), i.e. all cycles of the core.
# --------------------------------------------------------------------------
wb_ovs_tx() {
    # tx packets of OpenFlow port $2 on bridge $1
    ovs-ofctl dump-ports "$1" "$2" | sed -n 's/.*tx pkts=\([0-9]*\).*/\1/p' | head -n 1
}

wb_run_ovs() {
    local pcap=$1 huge=$2
    local prefix="wyvb-ovs-$$" br="wyvb$$" tx0
    WB_PREFIXES+=("$prefix")
    wb_ovs_start "$WB_TMP/ovs" "$(wb_ovs_eal "$huge" "$prefix")" 60
    wb_log "ovs: ovsdb-server pid $WB_OVS_DBPID, ovs-vswitchd pid $WB_OVS_VSPID (prefix $prefix, bridge $br)"

    WB_LINKS+=("$br")
    "${WB_VSCTL[@]}" add-br "$br" -- set bridge "$br" datapath_type=netdev fail-mode=secure \
        -- add-port "$br" p0 -- set Interface p0 type=dpdk ofport_request=1 \
        "options:dpdk-devargs=\"net_pcap0,rx_pcap=$pcap,infinite_rx=1\"" \
        -- add-port "$br" p1 -- set Interface p1 type=dpdk ofport_request=2 \
        "options:dpdk-devargs=\"net_null0,no-rx=1\""
    wb_ovs_check_ifaces p0 p1

    # OpenFlow pipeline equivalent to wyvern's port security + L2 stages.
    ovs-ofctl del-flows "$br"
    ovs-ofctl add-flows "$br" - <<EOF
table=0,priority=100,in_port=p0,dl_src=02:00:00:00:00:01,ip,nw_src=10.0.0.1,actions=goto_table:1
table=0,priority=100,in_port=p0,dl_src=02:00:00:00:00:01,arp,arp_spa=10.0.0.1,arp_sha=02:00:00:00:00:01,actions=goto_table:1
table=0,priority=100,in_port=p1,dl_src=02:00:00:00:00:02,ip,nw_src=10.0.0.2,actions=goto_table:1
table=0,priority=100,in_port=p1,dl_src=02:00:00:00:00:02,arp,arp_spa=10.0.0.2,arp_sha=02:00:00:00:00:02,actions=goto_table:1
table=0,priority=0,actions=drop
table=1,priority=100,dl_dst=02:00:00:00:00:02,actions=output:p1
table=1,priority=100,dl_dst=02:00:00:00:00:01,actions=output:p0
table=1,priority=50,dl_dst=ff:ff:ff:ff:ff:ff,actions=flood
table=1,priority=0,actions=drop
EOF

    local deadline=$((SECONDS + BENCH_START_TIMEOUT))
    until tx0=$(wb_ovs_tx "$br" p1) && [[ -n $tx0 && $tx0 -gt 0 ]]; do
        kill -0 "$WB_OVS_VSPID" 2>/dev/null || wb_die "ovs-vswitchd died"
        if ((SECONDS >= deadline)); then
            wb_tail_log "$OVS_LOGDIR/ovs-vswitchd.log"
            wb_die "ovs: no packets out of p1"
        fi
        sleep 0.2
    done
    wb_log "ovs: traffic flows, warm-up ${BENCH_WARMUP}s, window ${BENCH_SECONDS}s"
    wb_sleep "$BENCH_WARMUP"
    wb_ovs_measure "$br" p1
    wb_stop_pid "$WB_OVS_VSPID"
    wb_stop_pid "$WB_OVS_DBPID"
}

# Sum of the tx packets of OpenFlow ports $2... on bridge $1 (a port
# written OTHER_BRIDGE:PORT is read on that bridge).
wb_ovs_tx_sum() {
    local br=$1 sum=0 n p
    shift
    for p in "$@"; do
        if [[ $p == *:* ]]; then
            n=$(wb_ovs_tx "${p%%:*}" "${p#*:}")
        else
            n=$(wb_ovs_tx "$br" "$p")
        fi
        sum=$((sum + ${n:-0}))
    done
    printf '%s\n' "$sum"
}

# wb_ovs_measure BRIDGE PORT...: one window of BENCH_SECONDS on a running
# ovs-vswitchd (wb_ovs_start) whose traffic is warm.  Mpps = tx delta of
# OpenFlow ports PORT... (summed; OTHER_BRIDGE:PORT for a port elsewhere) on BRIDGE / wall time between the reads; cycles/pkt
# = "avg cycles per packet" of the PMD after a pmd-stats-clear at the start.
# Sets RES_MPPS, RES_CPP, RES_INFO; pmd-stats-show goes to
# $WB_TMP/pmd-stats.txt, dpctl/dump-flows to $WB_TMP/dpctl-flows.txt.
wb_ovs_measure() {
    local br=$1 tx0 tx1 t0 t1 stats flows
    shift
    "${WB_APPCTL[@]}" dpif-netdev/pmd-stats-clear >/dev/null
    t0=$EPOCHREALTIME
    tx0=$(wb_ovs_tx_sum "$br" "$@")
    t0=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", (a + b) / 2 }')
    wb_sleep "$BENCH_SECONDS"
    t1=$EPOCHREALTIME
    tx1=$(wb_ovs_tx_sum "$br" "$@")
    t1=$(awk -v a="$t1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", (a + b) / 2 }')
    stats=$("${WB_APPCTL[@]}" dpif-netdev/pmd-stats-show)
    "${WB_APPCTL[@]}" dpctl/dump-flows >"$WB_TMP/dpctl-flows.txt"
    flows=$(grep -c "actions:" "$WB_TMP/dpctl-flows.txt" || true)
    printf '%s\n' "$stats" >"$WB_TMP/pmd-stats.txt"

    # Only the PMD section (skip "main thread:").
    local pmd
    pmd=$(printf '%s\n' "$stats" | awk '/^pmd thread/ {on=1} /^main thread/ {on=0} on')
    local rx emc smc mfh up upf cpp
    rx=$(wb_field "$pmd" 'packets received')
    emc=$(wb_field "$pmd" 'emc hits')
    smc=$(wb_field "$pmd" 'smc hits')
    mfh=$(wb_field "$pmd" 'megaflow hits')
    up=$(wb_field "$pmd" 'miss with success upcall')
    upf=$(wb_field "$pmd" 'miss with failed upcall')
    cpp=$(wb_field "$pmd" 'avg cycles per packet')
    [[ -n $cpp && -n $rx ]] || { printf '%s\n' "$stats" >&2; wb_die "ovs: cannot parse pmd-stats-show"; }

    RES_MPPS=$(awk -v a="$tx0" -v b="$tx1" -v s="$t0" -v e="$t1" \
        'BEGIN { printf "%.2f", (b - a) / (e - s) / 1e6 }')
    RES_CPP=$(awk -v c="$cpp" 'BEGIN { printf "%.1f", c }')
    RES_INFO=$(awk -v rx="$rx" -v emc="$emc" -v smc="$smc" -v mf="$mfh" -v up="$up" -v upf="$upf" \
        -v flows="$flows" -v tx=$((tx1 - tx0)) 'BEGIN {
            d = rx > 0 ? rx : 1
            printf "megaflows=%d tx_packets=%d rx_packets=%d emc_hits=%d smc_hits=%d megaflow_hits=%d upcalls=%d failed_upcalls=%d emc_rate=%.3f smc_rate=%.3f megaflow_rate=%.3f",
                flows, tx, rx, emc, smc, mf, up, upf, emc / d, smc / d, mf / d }')
}

# Value after "NAME:" in an OVS stats block (first number).
wb_field() {
    printf '%s\n' "$1" | awk -v k="$2" '{
        line = $0; sub(/^[ \t]+/, "", line)
        if (index(line, k ":") == 1) { v = substr(line, length(k) + 2); sub(/^[ \t]+/, "", v); split(v, a, /[ \t]/); print a[1]; exit }
    }'
}

# --------------------------------------------------------------------------
# 3. wyvernd (ctrl/): configured through wyctl like a cloud would, with two
#    lports of one network.  Mpps = sum over PMDs of tx_packets / seconds;
#    cycles/pkt = (busy + idle cycles) / rx_packets (all cycles of the core,
#    as for testpmd).  Numbers come from the daemon's own rte_rdtsc counters.
# --------------------------------------------------------------------------
wb_run_wyvern() {
    local pcap=$1 huge=$2 mbufs=$3
    wb_wy_start "$pcap" "$huge" "$mbufs" "net_null0,no-rx=1" ""
    "${WB_WYCTL[@]}" network add 1 --name bench >&2
    "${WB_WYCTL[@]}" lport add 1 --network 1 --mac 02:00:00:00:00:01 --ip 10.0.0.1 --port p0 >&2
    "${WB_WYCTL[@]}" lport add 2 --network 1 --mac 02:00:00:00:00:02 --ip 10.0.0.2 --port p1 >&2
    wb_wy_measure 0
}

# wb_wy_start PCAP HUGEPAGES MBUFS P1_DEVARGS EXTRA_CONF
# Writes wyvernd.conf (port p0 = PCAP with infinite_rx, port p1 =
# P1_DEVARGS, PMD on lcore 1 busy-polling, EXTRA_CONF appended verbatim,
# e.g. a [ctrl] section), starts wyvernd and waits until its management
# socket answers.  Sets WB_WY_PID, WB_WY_LOG and WB_WYCTL (command array).
# WB_WY_P0_EXTRA / WB_WY_P1_EXTRA (optional): lines added to the [port.p0] /
# [port.p1] sections (e.g. "iface-id = ..." for a controller-bound port).
wb_wy_start() {
    local pcap=$1 huge=$2 mbufs=$3 p1=$4 extra=$5
    local prefix="wyvb-wy-$$" conf sock log mem
    local wyvernd="$WB_BUILD/ctrl/wyvernd" wyctl_bin="$WB_BUILD/ctrl/wyctl"
    [[ -x $wyvernd && -x $wyctl_bin ]] || wb_die "wyvern: $wyvernd or $wyctl_bin missing"
    conf="$WB_TMP/wyvernd.conf"
    sock="$WB_TMP/wyvernd.sock"
    log="$WB_TMP/wyvernd.log"
    WB_WY_LOG=$log
    mem=$(wb_eal_mem "$huge")
    WB_PREFIXES+=("$prefix")
    cat >"$conf" <<EOF
[eal]
args = $mem --no-pci --file-prefix $prefix
lcores = 0,1
[dp]
pmd-lcores = 1
idle-sleep-max-us = 0
mbufs = $mbufs
${BENCH_WYVERN_DP:-}
[mgmt]
socket = $sock
[port.p0]
devargs = net_pcap0,rx_pcap=$pcap,infinite_rx=1
${WB_WY_P0_EXTRA:-}
[port.p1]
devargs = $p1
${WB_WY_P1_EXTRA:-}
EOF
    [[ -z $extra ]] || printf '%s\n' "$extra" >>"$conf"
    # All EAL options live in [eal]: wyvernd appends the words after "--" to
    # them, and EAL rejects a second -l, so only BENCH_WYVERN_EAL (extra
    # options, empty by default) goes there.
    local -a eal_extra=()
    read -r -a eal_extra <<<"${BENCH_WYVERN_EAL:-}"
    "$wyvernd" -c "$conf" -- "${eal_extra[@]}" >"$log" 2>&1 &
    WB_WY_PID=$!
    WB_PIDS+=("$WB_WY_PID")
    wb_log "wyvernd pid $WB_WY_PID (prefix $prefix)"
    WB_WYCTL=("$wyctl_bin" -s "$sock")
    wb_wait_for "$WB_WY_PID" "wyvernd socket" test -S "$sock" ||
        { wb_tail_log "$log"; wb_die "wyvernd did not create $sock"; }
    wb_wait_for "$WB_WY_PID" "wyctl show ports" "${WB_WYCTL[@]}" show ports ||
        { wb_tail_log "$log"; wb_die "wyvernd does not answer"; }
}

# Sum of tx_packets over the PMDs of the running wyvernd (since the last
# `stats clear`).
wb_wy_tx() {
    "${WB_WYCTL[@]}" --json show pmd >"$WB_TMP/pmd-poll.json" 2>/dev/null &&
        "$WB_PY" "$WB_BENCH_DIR/wy_pmd_stats.py" --tx "$WB_TMP/pmd-poll.json"
}

# wb_wy_measure WAIT_TX: warm-up, `stats clear`, one window, `show pmd`
# (wy_pmd_stats.py), stop wyvernd.  With WAIT_TX=1 it first waits (up to
# BENCH_START_TIMEOUT) until the PMDs transmit, for set-ups that the
# controller programs asynchronously.  Sets RES_MPPS, RES_CPP, RES_INFO.
wb_wy_measure() {
    local wait_tx=$1 json parsed tx
    if [[ $wait_tx == 1 ]]; then
        local deadline=$((SECONDS + BENCH_START_TIMEOUT))
        until tx=$(wb_wy_tx) && [[ -n $tx && $tx -gt 0 ]]; do
            kill -0 "$WB_WY_PID" 2>/dev/null || { wb_tail_log "$WB_WY_LOG"; wb_die "wyvernd died"; }
            if ((SECONDS >= deadline)); then
                wb_tail_log "$WB_WY_LOG"
                wb_die "wyvern: no packets transmitted within ${BENCH_START_TIMEOUT}s"
            fi
            sleep 0.2
        done
    fi
    wb_log "wyvern: configured, warm-up ${BENCH_WARMUP}s, window ${BENCH_SECONDS}s"
    wb_sleep "$BENCH_WARMUP"
    "${WB_WYCTL[@]}" stats clear >&2
    wb_sleep "$BENCH_SECONDS"
    json=$("${WB_WYCTL[@]}" --json show pmd)
    kill -0 "$WB_WY_PID" 2>/dev/null || { wb_tail_log "$WB_WY_LOG"; wb_die "wyvernd died"; }
    printf '%s\n' "$json" >"$WB_TMP/pmd.json"
    parsed=$("$WB_PY" "$WB_BENCH_DIR/wy_pmd_stats.py" "$WB_TMP/pmd.json") ||
        wb_die "wyvern: cannot use 'show pmd' output: $json"
    RES_MPPS=$(sed -n 's/^mpps=//p' <<<"$parsed")
    RES_CPP=$(sed -n 's/^cycles_per_pkt=//p' <<<"$parsed")
    RES_INFO=$(sed -n 's/^info=//p' <<<"$parsed")
    wb_stop_pid "$WB_WY_PID"
}

# --------------------------------------------------------------------------
# Repetitions (parent): wb_median FILE... prints the file whose BENCH line
# has the median mpps (the lower median for an even count).
# --------------------------------------------------------------------------
wb_median() {
    local f
    for f in "$@"; do
        printf '%s %s\n' "$(sed -n 's/^BENCH .* mpps=\([0-9.]*\) .*/\1/p' "$f")" "$f"
    done | sort -n -k1,1 | awk -v n="$#" 'NR == int((n + 1) / 2) { print $2 }'
}

# The mpps of every file's BENCH line, comma separated (for RUNS lines).
wb_runs_mpps() {
    local f
    for f in "$@"; do sed -n 's/^BENCH .* mpps=\([0-9.]*\) .*/\1/p' "$f"; done | paste -sd, -
}

# The hugepage modes a parent runs (array hugemodes): both by default,
# BENCH_HUGEPAGES=0 or 1 for one.
wb_hugemodes() {
    case ${BENCH_HUGEPAGES:-} in
        "") hugemodes=(0 1) ;;
        0 | 1) hugemodes=("$BENCH_HUGEPAGES") ;;
        *) wb_die "BENCH_HUGEPAGES must be 0 or 1" ;;
    esac
}

# --------------------------------------------------------------------------
# Hugepages (parent only): make sure 1024 free 2 MB pages and a hugetlbfs
# mount exist; remember what we changed so wb_huge_restore can undo it.
# --------------------------------------------------------------------------
WB_HP_SYS=/sys/kernel/mm/hugepages/hugepages-2048kB
WB_HP_OLD=""
WB_HP_MOUNTED=0

wb_huge_setup() {
    local want=1024 nr free
    [[ -d $WB_HP_SYS ]] || wb_die "no 2048 kB hugepage support ($WB_HP_SYS)"
    nr=$(<"$WB_HP_SYS/nr_hugepages")
    free=$(<"$WB_HP_SYS/free_hugepages")
    if ((free < want)); then
        WB_HP_OLD=$nr
        echo $((nr + want - free)) >"$WB_HP_SYS/nr_hugepages"
        free=$(<"$WB_HP_SYS/free_hugepages")
        wb_log "hugepages: nr_hugepages $nr -> $(<"$WB_HP_SYS/nr_hugepages"), $free free"
        ((free >= 512)) || wb_die "hugepages: only $free free 2 MB pages (need 512 for -m 1024)"
    fi
    if ! findmnt -n -t hugetlbfs "$WB_HUGEDIR" >/dev/null 2>&1; then
        mkdir -p "$WB_HUGEDIR"
        mount -t hugetlbfs nodev "$WB_HUGEDIR"
        WB_HP_MOUNTED=1
        wb_log "hugepages: mounted hugetlbfs on $WB_HUGEDIR"
    fi
}

wb_huge_restore() {
    if [[ $WB_HP_MOUNTED == 1 ]]; then
        # Leave the mount if someone else put files there meanwhile.
        if [[ -z $(ls -A "$WB_HUGEDIR" 2>/dev/null) ]]; then
            umount "$WB_HUGEDIR" 2>/dev/null || wb_log "hugepages: could not unmount $WB_HUGEDIR"
        fi
        WB_HP_MOUNTED=0
    fi
    if [[ -n $WB_HP_OLD ]]; then
        echo "$WB_HP_OLD" >"$WB_HP_SYS/nr_hugepages" || true
        wb_log "hugepages: nr_hugepages restored to $WB_HP_OLD (now $(<"$WB_HP_SYS/nr_hugepages"))"
        WB_HP_OLD=""
    fi
}

# The value of field $2 (e.g. mpps) on the last BENCH line of system $1 in
# results file $3; empty when there is none.
wb_sys_field() {
    awk -v s="$1" -v f="$2=" '$1 == "BENCH" && $3 == "system=" s {
        for (i = 4; i <= NF; i++) if (index($i, f) == 1) print substr($i, length(f) + 1) }' "$3" |
        tail -n 1
}

# The driver l3sg.sh and fip.sh share: each available system of "$@"
# (testpmd, ovn, wyvern) is measured BENCH_REPEAT times, interleaved, by a
# child `"$0" --one SYSTEM HUGE`; one BENCH line per system (the median with
# its RUNS when repeated), then the RATIO line wyvern/ovn, wyvern/testpmd,
# ovn/testpmd.  $1 workload, $2 hugepages (0/1), $3 wyvern built (1/0),
# $4 what wyvern needs (for its SKIP line).  Returns 1 if a run failed.
wb_drive_three() {
    local w=$1 huge=$2 have_wy=$3 wy_needs=$4
    shift 4
    local systems=("$@") run_systems s rep rc out results runs median line pair a b failed
    run_systems=()
    for s in "${systems[@]}"; do
        case $s in
            testpmd)
                command -v dpdk-testpmd >/dev/null || { echo "SKIP workload=$w system=testpmd: dpdk-testpmd not installed"; continue; } ;;
            ovn)
                if [[ ! -x $WB_OVS_VSWITCHD ]] || ! command -v ovn-northd >/dev/null ||
                    ! command -v ovn-controller >/dev/null; then
                    echo "SKIP workload=$w system=ovn: OVS-DPDK or OVN not installed (scripts/deps.sh bench)"
                    continue
                fi ;;
            wyvern)
                [[ $have_wy == 1 ]] || { echo "SKIP workload=$w system=wyvern: $wy_needs not built"; continue; } ;;
        esac
        run_systems+=("$s")
    done
    ((${#run_systems[@]} > 0)) || { wb_log "nothing to run"; return 0; }
    [[ $huge == 0 ]] || wb_huge_setup

    failed=0
    results="$WB_TMP/results"
    : >"$results"
    for ((rep = 1; rep <= BENCH_REPEAT; rep++)); do
        for s in "${run_systems[@]}"; do
            wb_log "=== workload=$w system=$s hugepages=$huge run $rep/$BENCH_REPEAT"
            out="$WB_TMP/out.$s.$rep"
            rc=0
            "$0" --one "$s" "$huge" >"$out" &
            WB_CHILD=$!
            wait "$WB_CHILD" || rc=$?
            WB_CHILD=""
            if [[ $rc -ne 0 ]] || ! grep -q '^BENCH ' "$out"; then
                echo "FAIL workload=$w system=$s run=$rep rc=$rc (see messages above)"
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
            echo "RUNS workload=$w system=$s hugepages=$huge mpps=$(wb_runs_mpps "${runs[@]}")"
        fi
        grep '^BENCH ' "$median" >>"$results"
    done

    line=""
    for pair in wyvern/ovn wyvern/testpmd ovn/testpmd; do
        a=$(wb_sys_field "${pair%/*}" mpps "$results")
        b=$(wb_sys_field "${pair#*/}" mpps "$results")
        [[ -n $a && -n $b ]] || continue
        line+=" $pair=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
    done
    [[ -z $line ]] || echo "RATIO workload=$w state=established hugepages=$huge$line"
    return "$failed"
}

# testpmd io-forwarding between two net_pcap ports replaying pcap files
# $2 and $3 (infinite_rx), $4 mbufs, hugepages $1: the ceiling of the
# two-port pcap benches (l3sg.sh, fip.sh).  Sets RES_MPPS, RES_CPP,
# RES_INFO (ending with $5, e.g. ", no translation"), RES_STATE=none.
wb_run_testpmd_pcap() { # HUGEPAGES PCAP_A PCAP_B MBUFS NOTE
    local huge=$1 pa=$2 pb=$3 mbufs=$4 note=$5 prefix="wyvb-tp-$$" log fifo out pid packets seconds hz mem
    log="$WB_TMP/testpmd.log"
    fifo="$WB_TMP/testpmd.stdin"
    mem=$(wb_eal_mem "$huge")
    WB_PREFIXES+=("$prefix")
    mkfifo "$fifo"
    exec {WB_TP_FD}<>"$fifo"
    # shellcheck disable=SC2086  # $mem is a list of EAL words
    dpdk-testpmd -l 0,1 --main-lcore 0 $mem --no-pci --file-prefix "$prefix" \
        --vdev "net_pcap0,rx_pcap=$pa,infinite_rx=1" \
        --vdev "net_pcap1,rx_pcap=$pb,infinite_rx=1" \
        -- --forward-mode=io --nb-cores=1 --total-num-mbufs="$mbufs" --auto-start \
        <"$fifo" >"$log" 2>&1 &
    pid=$!
    WB_PIDS+=("$pid")
    wb_log "testpmd pid $pid (prefix $prefix), warm-up ${BENCH_WARMUP}s, window ${BENCH_SECONDS}s"
    out="$WB_TMP/testpmd.meas"
    "$WB_PY" "$WB_BENCH_DIR/dpdk_stats.py" --prefix "$prefix" --ports 0,1 \
        --timeout "$BENCH_START_TIMEOUT" --warmup "$BENCH_WARMUP" --window "$BENCH_SECONDS" \
        >"$out" &
    local mpid=$!
    WB_PIDS+=("$mpid")
    wait "$mpid" || { wb_tail_log "$log"; wb_die "testpmd: measurement failed"; }
    kill -0 "$pid" 2>/dev/null || { wb_tail_log "$log"; wb_die "testpmd died"; }
    packets=$(sed -n 's/.*packets=\([0-9]*\) .*/\1/p' "$out")
    seconds=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$out")
    [[ -n $packets && $packets -gt 0 ]] || wb_die "testpmd: no packets in window ($(cat "$out"))"
    hz=$(wb_tsc_hz)
    RES_MPPS=$(awk -v p="$packets" -v s="$seconds" 'BEGIN { printf "%.2f", p / s / 1e6 }')
    RES_CPP=$(awk -v p="$packets" -v s="$seconds" -v h="$hz" 'BEGIN { printf "%.1f", h * s / p }')
    RES_INFO="packets=$packets seconds=$seconds tsc_hz=$hz ports=2 (io forwarding both ways$note)"
    RES_STATE=none
    wb_stop_pid "$pid"
    exec {WB_TP_FD}>&-
}
