# shellcheck shell=bash disable=SC2034  # RES_* are read by run.sh
# wyvern datapath benchmark: helpers sourced by scripts/bench/run.sh.
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
    local prefix="wyvb-ovs-$$" br="wyvb$$" d mem extra vsctl appctl dbpid vspid
    local tx0 tx1 t0 t1 stats flows
    d="$WB_TMP/ovs"
    mkdir -p "$d/run" "$d/db" "$d/log" "$d/etc"
    export OVS_RUNDIR="$d/run" OVS_DBDIR="$d/db" OVS_LOGDIR="$d/log" OVS_SYSCONFDIR="$d/etc"
    mem=$(wb_eal_mem "$huge")
    if [[ $huge == 1 ]]; then
        extra="$mem --no-pci --file-prefix $prefix"
    else
        extra="--legacy-mem $mem --no-pci --file-prefix $prefix"
    fi
    WB_PREFIXES+=("$prefix")

    ovsdb-tool create "$d/db/conf.db" "$WB_OVS_SCHEMA"
    ovsdb-server "$d/db/conf.db" --remote="punix:$d/run/db.sock" \
        --unixctl="$d/run/ovsdb-server.ctl" --pidfile="$d/run/ovsdb-server.pid" \
        --log-file="$d/log/ovsdb-server.log" -vconsole:off >>"$d/log/ovsdb-server.out" 2>&1 &
    dbpid=$!
    WB_PIDS+=("$dbpid")
    wb_wait_for "$dbpid" "ovsdb-server socket" test -S "$d/run/db.sock"
    vsctl=(ovs-vsctl --db="unix:$d/run/db.sock" --timeout=60)
    "${vsctl[@]}" --no-wait init
    "${vsctl[@]}" --no-wait set Open_vSwitch . \
        other_config:dpdk-init=true \
        "other_config:dpdk-extra=\"$extra\"" \
        other_config:dpdk-lcore-mask=0x1 \
        other_config:pmd-cpu-mask=0x2

    "$WB_OVS_VSWITCHD" "unix:$d/run/db.sock" --unixctl="$d/run/ovs-vswitchd.ctl" \
        --pidfile="$d/run/ovs-vswitchd.pid" --log-file="$d/log/ovs-vswitchd.log" \
        -vconsole:off >>"$d/log/ovs-vswitchd.out" 2>&1 &
    vspid=$!
    WB_PIDS+=("$vspid")
    appctl=(ovs-appctl --timeout=60 -t "$d/run/ovs-vswitchd.ctl")
    wb_wait_for "$vspid" "ovs-vswitchd control socket" "${appctl[@]}" version ||
        { wb_tail_log "$d/log/ovs-vswitchd.log"; wb_die "ovs-vswitchd did not start"; }
    wb_log "ovs: ovsdb-server pid $dbpid, ovs-vswitchd pid $vspid (prefix $prefix, bridge $br)"

    WB_LINKS+=("$br")
    "${vsctl[@]}" add-br "$br" -- set bridge "$br" datapath_type=netdev fail-mode=secure \
        -- add-port "$br" p0 -- set Interface p0 type=dpdk ofport_request=1 \
        "options:dpdk-devargs=\"net_pcap0,rx_pcap=$pcap,infinite_rx=1\"" \
        -- add-port "$br" p1 -- set Interface p1 type=dpdk ofport_request=2 \
        "options:dpdk-devargs=\"net_null0,no-rx=1\""
    local ifc err
    for ifc in p0 p1; do
        err=$("${vsctl[@]}" get Interface "$ifc" error 2>/dev/null || true)
        if [[ -n $err && $err != '[]' ]]; then
            wb_tail_log "$d/log/ovs-vswitchd.log"
            wb_die "ovs: interface $ifc: $err"
        fi
    done

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
        kill -0 "$vspid" 2>/dev/null || wb_die "ovs-vswitchd died"
        if ((SECONDS >= deadline)); then
            wb_tail_log "$d/log/ovs-vswitchd.log"
            wb_die "ovs: no packets out of p1"
        fi
        sleep 0.2
    done
    wb_log "ovs: traffic flows, warm-up ${BENCH_WARMUP}s, window ${BENCH_SECONDS}s"
    wb_sleep "$BENCH_WARMUP"

    "${appctl[@]}" dpif-netdev/pmd-stats-clear >/dev/null
    t0=$EPOCHREALTIME
    tx0=$(wb_ovs_tx "$br" p1)
    t0=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", (a + b) / 2 }')
    wb_sleep "$BENCH_SECONDS"
    t1=$EPOCHREALTIME
    tx1=$(wb_ovs_tx "$br" p1)
    t1=$(awk -v a="$t1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.6f", (a + b) / 2 }')
    stats=$("${appctl[@]}" dpif-netdev/pmd-stats-show)
    flows=$("${appctl[@]}" dpctl/dump-flows | grep -c "actions:" || true)
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
    wb_stop_pid "$vspid"
    wb_stop_pid "$dbpid"
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
    local prefix="wyvb-wy-$$" conf sock log pid mem wyctl json
    local wyvernd="$WB_BUILD/ctrl/wyvernd" wyctl_bin="$WB_BUILD/ctrl/wyctl"
    [[ -x $wyvernd && -x $wyctl_bin ]] || wb_die "wyvern: $wyvernd or $wyctl_bin missing"
    conf="$WB_TMP/wyvernd.conf"
    sock="$WB_TMP/wyvernd.sock"
    log="$WB_TMP/wyvernd.log"
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
[mgmt]
socket = $sock
[port.p0]
devargs = net_pcap0,rx_pcap=$pcap,infinite_rx=1
[port.p1]
devargs = net_null0,no-rx=1
EOF
    # All EAL options live in [eal]: wyvernd appends the words after "--" to
    # them, and EAL rejects a second -l, so only BENCH_WYVERN_EAL (extra
    # options, empty by default) goes there.
    local -a eal_extra=()
    read -r -a eal_extra <<<"${BENCH_WYVERN_EAL:-}"
    "$wyvernd" -c "$conf" -- "${eal_extra[@]}" >"$log" 2>&1 &
    pid=$!
    WB_PIDS+=("$pid")
    wb_log "wyvernd pid $pid (prefix $prefix)"
    wyctl=("$wyctl_bin" -s "$sock")
    wb_wait_for "$pid" "wyvernd socket" test -S "$sock" ||
        { wb_tail_log "$log"; wb_die "wyvernd did not create $sock"; }
    wb_wait_for "$pid" "wyctl show ports" "${wyctl[@]}" show ports ||
        { wb_tail_log "$log"; wb_die "wyvernd does not answer"; }
    "${wyctl[@]}" network add 1 --name bench >&2
    "${wyctl[@]}" lport add 1 --network 1 --mac 02:00:00:00:00:01 --ip 10.0.0.1 --port p0 >&2
    "${wyctl[@]}" lport add 2 --network 1 --mac 02:00:00:00:00:02 --ip 10.0.0.2 --port p1 >&2

    wb_log "wyvern: configured, warm-up ${BENCH_WARMUP}s, window ${BENCH_SECONDS}s"
    wb_sleep "$BENCH_WARMUP"
    "${wyctl[@]}" stats clear >&2
    wb_sleep "$BENCH_SECONDS"
    json=$("${wyctl[@]}" --json show pmd)
    kill -0 "$pid" 2>/dev/null || { wb_tail_log "$log"; wb_die "wyvernd died"; }
    printf '%s\n' "$json" >"$WB_TMP/pmd.json"
    local parsed
    parsed=$("$WB_PY" "$WB_BENCH_DIR/wy_pmd_stats.py" "$WB_TMP/pmd.json") ||
        wb_die "wyvern: cannot use 'show pmd' output: $json"
    RES_MPPS=$(sed -n 's/^mpps=//p' <<<"$parsed")
    RES_CPP=$(sed -n 's/^cycles_per_pkt=//p' <<<"$parsed")
    RES_INFO=$(sed -n 's/^info=//p' <<<"$parsed")
    wb_stop_pid "$pid"
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
