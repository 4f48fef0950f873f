#!/usr/bin/env bash
# wyvern control-plane benchmark.  See "Control-plane benchmark" in
# scripts/bench/README.md.
#
# Environment:
#   BUILD                 build dir (default build): $BUILD/ctrl/wyvernd, static libs
#   BENCH_CP_SIZES        ports: 1k 10k 100k or integers (default "1k 10k")
#   BENCH_CP_SYSTEMS      subset of "wyvern-rocksdb wyvern-etcd ovn" (default all)
#   BENCH_CP_CHANGES      northbound changes timed per system (default 200)
#   BENCH_CP_CREATES      ports created then deleted, timed (default 50)
#   BENCH_CP_OVN_CHANGES  changes for OVN (default BENCH_CP_CHANGES)
#   BENCH_CP_TIMEOUT      seconds allowed for "tables ready" (default 1800)
#   BENCH_HUGEPAGES       the restart line: "" both modes (default), 0 or 1 one
#
# Internal: cp.sh --one SYSTEM N GENDIR BINDIR runs one measurement (own
# temp dir, own EXIT trap, as run.sh --one) and prints its BENCH/INFO lines.
set -euo pipefail

WB_BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench/lib.sh
source "$WB_BENCH_DIR/lib.sh"

WB_BUILD=${BUILD:-build}
[[ $WB_BUILD == /* ]] || WB_BUILD="$PWD/$WB_BUILD"
WB_SRC=$(cd "$WB_BENCH_DIR/../.." && pwd)
: "${BENCH_CP_CHANGES:=200}"
: "${BENCH_CP_CREATES:=50}"
: "${BENCH_CP_OVN_CHANGES:=$BENCH_CP_CHANGES}"
: "${BENCH_CP_TIMEOUT:=1800}"
CP_CHASSIS=cp-host
export BENCH_CP_CHANGES BENCH_CP_OVN_CHANGES BENCH_CP_TIMEOUT

# shellcheck disable=SC2317  # called from a trap
wb_on_signal() {
    trap - INT TERM
    wb_log "interrupted"
    exit 130
}

cp_meta() { # field of meta.json: cp_meta GENDIR PYEXPR(m)
    "$WB_PY" -c "import json,sys; m=json.load(open(sys.argv[1])); print($2)" "$1/meta.json"
}

cp_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# A free loopback TCP port (the kernel picks it; tiny race, fine for a bench).
cp_free_port() {
    "$WB_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ------------------------------------------------------------ wyvern side ---
# wyvernd with the controller on; two net_null dp ports carry the two
# host-bound ports with dp ports (meta local_ports) via iface-id.
cp_wy_conf() { # CONF SOCK DBURL REPLICA PREFIX GENDIR
    local conf=$1 sock=$2 url=$3 replica=$4 prefix=$5 gen=$6 id0 id1
    id0=$(cp_meta "$gen" 'm["local_ports"][0]["id"]')
    id1=$(cp_meta "$gen" 'm["local_ports"][-1]["id"]')
    cat >"$conf" <<EOF
[eal]
args = ${CP_EAL_MEM:---no-huge -m 1024} --no-pci --file-prefix $prefix
lcores = 0,1
[dp]
pmd-lcores = 1
idle-sleep-max-us = 1000
mbufs = 4096
[mgmt]
socket = $sock
[ctrl]
db = $url
chassis = $CP_CHASSIS
vtep-ip = 192.0.2.1
replica = $replica
[port.p0]
devargs = net_null0,no-rx=1
iface-id = $id0
[port.p1]
devargs = net_null1,no-rx=1
iface-id = $id1
EOF
}

# Starts wyvernd (DIR/NAME.conf, replica DIR/replica, socket DIR/NAME.sock,
# DPDK prefix PREFIX) and waits with `cp_drive.py MODE` (wy-ready or
# wy-forward: META, X = the revision or the MAC, the start time, TIMEOUT).
# Sets CP_WY_PID, CP_WY_SOCK, CP_WY_LOG, CP_WY_OUT (the "seconds=..." line).
cp_wy_run() { # DIR NAME PREFIX DBURL GENDIR MODE META X TIMEOUT
    local d=$1 name=$2 prefix=$3 url=$4 gen=$5 mode=$6 meta=$7 x=$8 tmo=$9 t0
    mkdir -p "$d"
    WB_PREFIXES+=("$prefix")
    cp_wy_conf "$d/$name.conf" "$d/$name.sock" "$url" "$d/replica" "$prefix" "$gen"
    t0=$EPOCHREALTIME
    # wyvernd tunes glibc malloc itself (one arena on transparent
    # hugepages, ctrl/main/malloc_tune.c); BENCH_CP_MALLOC_TUNE=0: without
    local tune=1
    [[ ${BENCH_CP_MALLOC_TUNE:-1} != 0 ]] || tune=0
    WYVERN_MALLOC_TUNE=$tune "$WB_BUILD/ctrl/wyvernd" -c "$d/$name.conf" >"$d/$name.log" 2>&1 &
    CP_WY_PID=$!
    WB_PIDS+=("$CP_WY_PID")
    CP_WY_SOCK="$d/$name.sock"
    CP_WY_LOG="$d/$name.log"
    if ! cp_bg "$WB_PY" "$WB_BENCH_DIR/cp_drive.py" "$mode" "$CP_WY_SOCK" "$CP_WY_PID" \
        "$meta" "$x" "$t0" "$tmo"; then
        wb_tail_log "$CP_WY_LOG"
        wb_die "wyvern ($name): $mode failed"
    fi
    CP_WY_OUT=$(<"$CP_OUT")
    wb_log "wyvern ($name): $CP_WY_OUT"
}

# wyvernd on DBURL with a fresh replica, until tables are ready (META's
# expected counts, revision REV).  Sets CP_READY (and the CP_WY_* above).
cp_wy_start() { # TAG DBURL REV METAFILE GENDIR
    cp_wy_run "$WB_TMP/wy-$1" "$1" "wycp-$1-$$" "$2" "$5" wy-ready "$4" "$3" "$BENCH_CP_TIMEOUT"
    CP_READY=$CP_WY_OUT
}

# After the full run's wyvernd was SIGKILLed and the central db stopped:
# wyvernd again on the same replica directory (new DPDK prefix and socket),
# timed until it forwards to the victim's MAC.  Sets CP_RESTART.
cp_wy_restart() { # GENDIR DBURL MAC [HUGEPAGES]
    local hp=${4:-0} name=restart
    # with hugepages as a host runs it: EAL's dynamic memory, no -m
    [[ $hp == 0 ]] || name=restart-hp
    CP_EAL_MEM=$([[ $hp == 0 ]] && echo "--no-huge -m 1024" || echo "--huge-unlink") \
        cp_wy_run "$WB_TMP/wy-full" "$name" "wycp-$name-$$" "$2" "$1" wy-forward \
        "$1/meta.json" "$3" 120
    CP_RESTART=$CP_WY_OUT
    # where the first batch's time went (lc.c logs a batch over 100 ms)
    local b
    b=$(grep -m1 -o 'batch of .*' "$CP_WY_LOG" || true)
    [[ -z $b ]] || wb_log "wyvern ($name): first $b"
    b=$(grep -m1 -o 'start-up: .*' "$CP_WY_LOG" || true)
    [[ -z $b ]] || wb_log "wyvern ($name): $b"
    # BENCH_CP_KEEP=DIR: keep the replica and the restart's config and log
    # there, to run the restart again by hand (perf, callgrind)
    if [[ -n ${BENCH_CP_KEEP:-} ]]; then
        rm -rf "$BENCH_CP_KEEP"
        cp -r "$WB_TMP/wy-full" "$BENCH_CP_KEEP"
        sed -i "s|$WB_TMP/wy-full|$BENCH_CP_KEEP|g" "$BENCH_CP_KEEP/$name.conf"
    fi
}

# Runs "$@" in the background with stdout to CP_OUT (a file), records its
# pid and waits for it, so that a TERM reaches our trap at once (bash defers
# traps while a foreground command runs; the parent KILLs a child that does
# not exit within 10 s, and then the child's trap never runs).  Returns the
# command's status; the output is in CP_OUT.
cp_bg() {
    CP_OUT="$WB_TMP/bg.$((++CP_BG_N))"
    "$@" >"$CP_OUT" &
    local pid=$!
    WB_PIDS+=("$pid")
    wait "$pid"
}
CP_BG_N=0

cp_field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

cp_run_wyvern() { # DRIVER N GENDIR BINDIR
    local drv=$1 n=$2 gen=$3 bin=$4 url url_empty rev load ready rss0 rss1 bpp
    local ch="" p50="SKIP" p99="SKIP" extra=""
    [[ -x $WB_BUILD/ctrl/wyvernd ]] || wb_die "no $WB_BUILD/ctrl/wyvernd"
    echo '{"expect_held": {"chassis": 1}}' >"$WB_TMP/empty-meta.json"
    if [[ $drv == etcd ]]; then
        local cport pport
        cport=$(cp_free_port)
        pport=$(cp_free_port)
        mkdir -p "$WB_TMP/etcd"
        etcd --name cp --data-dir "$WB_TMP/etcd/data" \
            --listen-client-urls "http://127.0.0.1:$cport" \
            --advertise-client-urls "http://127.0.0.1:$cport" \
            --listen-peer-urls "http://127.0.0.1:$pport" \
            --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
            --initial-cluster "cp=http://127.0.0.1:$pport" \
            --max-request-bytes 16777216 --quota-backend-bytes 8589934592 \
            >"$WB_TMP/etcd/etcd.log" 2>&1 &
        local epid=$!
        WB_PIDS+=("$epid")
        wb_wait_for "$epid" "etcd" curl -sf "http://127.0.0.1:$cport/health" ||
            { wb_tail_log "$WB_TMP/etcd/etcd.log"; wb_die "etcd did not start"; }
        url="etcd://127.0.0.1:$cport"
        url_empty=$url
        CP_ETCD_HTTP="http://127.0.0.1:$cport"
        wb_log "etcd pid $epid on 127.0.0.1:$cport"
    else
        url="rocksdb:$WB_TMP/central"
        url_empty="rocksdb:$WB_TMP/central-empty"
    fi

    # 1. baseline: identical wyvernd on an empty database
    cp_wy_start empty "$url_empty" 1 "$WB_TMP/empty-meta.json" "$gen"
    local empty_s
    empty_s=$(cp_field seconds "$CP_READY")
    wb_sleep 1
    rss0=$(cp_rss_kb "$CP_WY_PID")
    wb_stop_pid "$CP_WY_PID"

    # 2. populate (bulk loader, model-checked objects)
    cp_bg "$bin/cp_load" "$url" "$gen/wy.tsv" 100 || wb_die "cp_load failed"
    load=$(<"$CP_OUT")
    rev=$(cp_field revision "$load")
    wb_log "wyvern-$drv: populated: $load"

    # 3. tables ready from wyvernd start
    cp_wy_start full "$url" "$rev" "$gen/meta.json" "$gen"
    ready=$CP_READY
    local full_log=$CP_WY_LOG
    # where the time went: the sync thread's snapshot read, the control
    # thread's batches over 100 ms (lc.c), wyvernd's start-up phases
    grep -E -o '(central db: snapshot .*|batch of .*|start-up: .*)' "$full_log" |
        while read -r l; do wb_log "wyvern-$drv (full): $l"; done || true
    wb_sleep 1
    rss1=$(cp_rss_kb "$CP_WY_PID")
    bpp=$(( (rss1 - rss0) * 1024 / n ))
    # where that RSS is (wyctl show memory), into the log
    "$BUILD/ctrl/wyctl" -s "$CP_WY_SOCK" show memory 2>/dev/null |
        grep -E '^(process|C heap|DPDK heap|controller|db |  [a-z]+ )' |
        while read -r l; do wb_log "wyvern-$drv (full, memory): $l"; done || true
    # the longest the controller kept the control thread from punts (DHCP)
    # during the full sync: what its yields left (INFO max_hold_ms)
    local hold
    hold=$("$BUILD/ctrl/wyctl" -s "$CP_WY_SOCK" --json show ctrl 2>/dev/null |
        "$WB_PY" -c 'import json,sys; b=json.load(sys.stdin)["batches"]; print("%.1f %d" % (b["max_hold_us"] / 1000, b["yields"]))' ||
        true)
    [[ -z $hold ]] || {
        wb_log "wyvern-$drv (full): longest hold ${hold% *} ms, ${hold#* } yields"
        extra+=" max_hold_ms=${hold% *} yields=${hold#* }"
    }
    # where RSS goes after that sample (a batch's heap handed back, the
    # replica's memtable flushed): INFO only, bytes_per_port is the 1 s one
    local rss_later="" s
    for s in 2 3 4; do
        wb_sleep 1
        rss_later+="${rss_later:+,}${s}s:$(cp_rss_kb "$CP_WY_PID")"
    done

    # 4. change -> forwarding, through wyvernd's northbound command path
    #    (the only writer of an embedded db that wyvernd holds)
    cp_bg "$WB_PY" "$WB_BENCH_DIR/cp_drive.py" wy-change "$CP_WY_SOCK" "$gen/meta.json" nb \
        "$BENCH_CP_CHANGES" ||
        { wb_tail_log "$CP_WY_LOG"; wb_die "wyvern-$drv: change measurement failed"; }
    ch=$(<"$CP_OUT")
    p50=$(cp_field p50_ms "$ch")
    p99=$(cp_field p99_ms "$ch")
    extra="change_via=wyvernd-nb+trace change_max_ms=$(cp_field max_ms "$ch") nb_request_p50_ms=$(cp_field write_p50_ms "$ch") nb_request_p99_ms=$(cp_field write_p99_ms "$ch")"
    # a port created and deleted (a remote one, in the victim's network):
    # what a VM boot or teardown elsewhere costs this host
    cp_bg "$WB_PY" "$WB_BENCH_DIR/cp_drive.py" wy-create "$CP_WY_SOCK" "$gen/meta.json" \
        "$BENCH_CP_CREATES" ||
        { wb_tail_log "$CP_WY_LOG"; wb_die "wyvern-$drv: create measurement failed"; }
    local cr
    cr=$(<"$CP_OUT")
    # a create or delete batch over 100 ms is logged with its phases (lc.c)
    local b
    b=$(grep -o 'batch of .*' "$CP_WY_LOG" | tail -n 1 || true)
    [[ -z $b ]] || wb_log "wyvern-$drv (create/delete): last slow $b"
    extra+=" create_p50_ms=$(cp_field create_p50_ms "$cr") create_p99_ms=$(cp_field create_p99_ms "$cr") delete_p50_ms=$(cp_field delete_p50_ms "$cr") delete_p99_ms=$(cp_field delete_p99_ms "$cr") create_request_p50_ms=$(cp_field create_request_p50_ms "$cr") create_batch_p50_ms=$(cp_field batch_p50_ms "$cr")"
    if [[ $drv == etcd ]]; then
        # raw etcd write (no validation) -> forwarding, same trace check
        cp_bg "$WB_PY" "$WB_BENCH_DIR/cp_drive.py" wy-change "$CP_WY_SOCK" "$gen/meta.json" etcd \
            "$BENCH_CP_CHANGES" "$CP_ETCD_HTTP" ||
            { wb_tail_log "$CP_WY_LOG"; wb_die "wyvern-etcd: raw change measurement failed"; }
        ch=$(<"$CP_OUT")
        extra+=" rawput_change_p50_ms=$(cp_field p50_ms "$ch") rawput_change_p99_ms=$(cp_field p99_ms "$ch")"
        # restart-N (below): wyvernd dies without a word, at rest (its
        # last batch committed to the replica)
        wb_sleep 1
        kill -KILL "$CP_WY_PID" 2>/dev/null || true
        wait "$CP_WY_PID" 2>/dev/null || true
    fi
    local last_mac
    last_mac=$(cp_field last_mac "$ch")
    wb_stop_pid "$CP_WY_PID"
    # cross-check: the controller alone (write -> table, no validation, no
    # mgmt socket), in-process with the same driver (cp_lcbench.c)
    if [[ -x $bin/cp_lcbench ]]; then
        local lcb prefix="wycp-lcb-$$" victim local0
        WB_PREFIXES+=("$prefix")
        victim=$(cp_meta "$gen" 'm["victim"]["id"]')
        local0=$(cp_meta "$gen" 'm["local_ports"][0]["id"]')
        cp_bg "$bin/cp_lcbench" "$url" "$CP_CHASSIS" "$local0" "$victim" "$BENCH_CP_CHANGES" \
            "$WB_TMP/lcb-replica" "$prefix" 2>"$WB_TMP/lcb.log" ||
            { tail -n 20 "$WB_TMP/lcb.log" >&2; wb_die "cp_lcbench failed"; }
        lcb=$(<"$CP_OUT")
        wb_log "wyvern-$drv: in-process controller: $(grep -m 1 'last batch' "$WB_TMP/lcb.log")"
        wb_log "wyvern-$drv: in-process controller: $lcb"
        extra+=" inproc_change_p50_ms=$(cp_field p50_ms "$lcb") inproc_change_p99_ms=$(cp_field p99_ms "$lcb")"
    fi
    RES_RESTART=()
    if [[ $drv == etcd ]]; then
        # restart-N: etcd down, wyvernd (killed above) started again on the
        # same replica: time until it forwards to the victim's last MAC;
        # without and with hugepages (the parent set them up: CP_HP_OK)
        wb_stop_pid "$epid"
        local hp
        for hp in $(cp_hp_modes); do
            cp_wy_restart "$gen" "$url" "$last_mac" "$hp"
            RES_RESTART+=("hugepages=$hp seconds_to_forward=$(cp_field seconds "$CP_RESTART")")
            extra+=" restart_hugepages$hp=\"$CP_RESTART\""
            # SIGKILL, as the first death: the next start finds the replica
            # as a crash leaves it
            kill -KILL "$CP_WY_PID" 2>/dev/null || true
            wait "$CP_WY_PID" 2>/dev/null || true
        done
    fi
    if [[ $(cp_field table_errors "$ready") != 0 || $(cp_field bad "$ready") != 0 ]]; then
        # held counts matched, but the controller could not put everything
        # into the tables: say so next to the figures
        echo "WARN workload=cp-$(cp_label "$n") system=wyvern-$drv: tables ready with table_errors=$(cp_field table_errors "$ready") skipped_objects=$(cp_field bad "$ready"); first reasons: $(grep -m 3 'skipping' "$full_log" | sed 's/.*: skipping //' | tr '\n' ';')"
    fi
    RES_LINE="seconds=$(cp_field seconds "$ready") bytes_per_port=$bpp change_p50_ms=$p50 change_p99_ms=$p99"
    RES_INFO="populate=\"$load\" empty_db_seconds=$empty_s rss_empty_kb=$rss0 rss_full_kb=$rss1 rss_full_later_kb=$rss_later table_ops=$(cp_field table_ops "$ready") table_errors=$(cp_field table_errors "$ready") bad=$(cp_field bad "$ready") changes=$BENCH_CP_CHANGES $extra"
}

# --------------------------------------------------------------- OVN side ---
cp_run_ovn() { # N GENDIR
    local n=$1 gen=$2 d prefix extra vsctl vspid
    local l0 l1 t0 ready rss0c rss0v rss1c rss1v ch flows bpp load tsb
    d="$WB_TMP/ovn"
    prefix="wycp-ovs-$$"
    WB_PREFIXES+=("$prefix")
    extra="--no-huge --legacy-mem -m 1024 --no-pci --file-prefix $prefix"

    # OVS-DPDK (netdev)
    wb_ovs_start "$d" "$extra" 120 \
        other_config:pmd-maxsleep=1000 \
        external_ids:system-id=$CP_CHASSIS \
        "external_ids:ovn-remote=\"unix:$d/run/sb.sock\"" \
        external_ids:ovn-encap-type=geneve external_ids:ovn-encap-ip=127.0.0.1 \
        external_ids:ovn-bridge-datapath-type=netdev
    vsctl=("${WB_VSCTL[@]}")
    vspid=$WB_OVS_VSPID
    # br-int is a tap that outlives ovs-vswitchd: remove it if we made it
    ip link show dev br-int >/dev/null 2>&1 || WB_LINKS+=(br-int)
    l0=$(cp_meta "$gen" 'm["local_ports"][0]["name"]')
    l1=$(cp_meta "$gen" 'm["local_ports"][-1]["name"]')
    "${vsctl[@]}" add-br br-int -- set bridge br-int datapath_type=netdev fail-mode=secure \
        other_config:disable-in-band=true \
        -- add-port br-int cp0 -- set Interface cp0 type=dpdk \
        "options:dpdk-devargs=\"net_null0,no-rx=1\"" external_ids:iface-id="$l0" \
        -- add-port br-int cp1 -- set Interface cp1 type=dpdk \
        "options:dpdk-devargs=\"net_null1,no-rx=1\"" external_ids:iface-id="$l1"

    # OVN central: NB and SB ovsdb-servers
    wb_ovn_central_start "$d"

    # 1. baseline: northd + controller on an empty NB, until synced
    cp_ovn_up "$d" empty
    wb_sleep 1
    rss0c=$(cp_rss_kb "$CP_OVNC_PID")
    rss0v=$(cp_rss_kb "$vspid")
    cp_ovn_down

    # 2. populate NB (one transaction; northd and ovn-controller are down)
    t0=$EPOCHREALTIME
    cp_bg "$WB_PY" "$WB_BENCH_DIR/cp_drive.py" ovn-load "$d/run/nb.sock" "$gen/ovn.json" ||
        wb_die "ovn: NB populate failed"
    load=$(<"$CP_OUT")
    load="$load seconds=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')"
    wb_log "ovn: NB populated: $load"

    # 3. tables ready: from starting northd + ovn-controller on the populated
    #    NB until `ovn-nbctl --wait=hv sync` returns (ovn-controller reports
    #    the nb_cfg only after the flows are installed in br-int)
    cp_ovn_up "$d" full
    ready=$CP_OVN_READY
    tsb=$CP_OVN_SB
    wb_sleep 1
    rss1c=$(cp_rss_kb "$CP_OVNC_PID")
    rss1v=$(cp_rss_kb "$vspid")
    flows=$(ovs-ofctl -O OpenFlow15 dump-flows br-int 2>/dev/null | grep -c "actions=" || true)
    # the two ports with OVS interfaces must be bound to our chassis
    local bound
    bound=$(ovn-sbctl --bare --columns=logical_port find Port_Binding "chassis!=[]" | grep -c . || true)
    [[ $bound -ge 1 ]] || wb_die "ovn: no port bound to $CP_CHASSIS (check br-int interfaces)"
    bpp=$(( ((rss1c + rss1v) - (rss0c + rss0v)) * 1024 / n ))

    # 4. change -> flows installed
    cp_bg "$WB_PY" "$WB_BENCH_DIR/cp_drive.py" ovn-change "$CP_NBD_CTL" "$gen/meta.json" \
        "$BENCH_CP_OVN_CHANGES" "$BENCH_CP_TIMEOUT" || wb_die "ovn: change measurement failed"
    ch=$(<"$CP_OUT")
    RES_LINE="seconds=$ready bytes_per_port=$bpp change_p50_ms=$(cp_field p50_ms "$ch") change_p99_ms=$(cp_field p99_ms "$ch")"
    RES_INFO="populate=\"$load\" northd_sb_seconds=$tsb flows=$flows bound_ports=$bound rss_empty_kb=ovn-controller:$rss0c,ovs-vswitchd:$rss0v rss_full_kb=ovn-controller:$rss1c,ovs-vswitchd:$rss1v changes=$BENCH_CP_OVN_CHANGES change_max_ms=$(cp_field max_ms "$ch") nbctl_spawn_ms=$(cp_field spawn_ms "$ch") change_via=ovn-nbctl-daemon+--wait=hv"
    cp_ovn_down
}

# Starts an ovn-nbctl daemon (so commands need not download the NB DB),
# then ovn-northd + ovn-controller; measures until --wait=sb and --wait=hv
# syncs return.  Sets CP_OVN_READY (s), CP_OVN_SB (s), CP_*_PID.
cp_ovn_up() { # DIR TAG
    local d=$1 tag=$2 t0
    ovn-nbctl --detach --pidfile="$d/run/nbctl-$tag.pid" --unixctl="$d/run/nbctl-$tag.ctl" \
        --log-file="$d/log/nbctl-$tag.log" -vconsole:off >/dev/null 2>&1 ||
        wb_die "ovn-nbctl daemon did not start"
    CP_NBD_PID=$(cat "$d/run/nbctl-$tag.pid")
    WB_PIDS+=("$CP_NBD_PID")
    CP_NBD_CTL="$d/run/nbctl-$tag.ctl"
    OVN_NB_DAEMON=$CP_NBD_CTL ovn-nbctl --timeout="$BENCH_CP_TIMEOUT" --wait=none sync >/dev/null
    t0=$EPOCHREALTIME
    wb_ovn_northd_start "$d"
    CP_NORTHD_PID=$WB_OVN_NORTHD_PID
    wb_ovn_controller_start "$d"
    CP_OVNC_PID=$WB_OVN_CONTROLLER_PID
    # the chassis must exist in the SB before --wait=hv means anything
    local deadline=$((SECONDS + BENCH_CP_TIMEOUT))
    until [[ -n $(ovn-sbctl --no-leader-only --bare --columns=name find Chassis_Private \
        name=$CP_CHASSIS 2>/dev/null) ]]; do
        kill -0 "$CP_OVNC_PID" 2>/dev/null || {
            wb_tail_log "$d/log/ovn-controller.log"
            wb_tail_log "$d/log/ovn-controller.out"
            wb_die "ovn-controller died"
        }
        ((SECONDS < deadline)) || wb_die "ovn: chassis not registered"
        sleep 0.01
    done
    cp_ovn_sync "$d" sb
    CP_OVN_SB=$(awk -v a="$t0" -v b="$CP_SYNC_T" 'BEGIN { printf "%.3f", b - a }')
    cp_ovn_sync "$d" hv
    CP_OVN_READY=$(awk -v a="$t0" -v b="$CP_SYNC_T" 'BEGIN { printf "%.3f", b - a }')
    wb_log "ovn ($tag): northd->SB ${CP_OVN_SB}s, flows installed ${CP_OVN_READY}s"
}

# `ovn-nbctl --wait=sb|hv sync` through the daemon, in the background, while
# checking that ovn-northd and ovn-controller stay alive (a blocking sync
# would otherwise wait BENCH_CP_TIMEOUT for a dead daemon).  CP_SYNC_T = the
# epoch time the sync returned.
cp_ovn_sync() { # DIR sb|hv
    local d=$1 w=$2 out="$WB_TMP/sync.$2" pid
    rm -f "$out"
    (OVN_NB_DAEMON=$CP_NBD_CTL ovn-nbctl --timeout="$BENCH_CP_TIMEOUT" --wait="$w" sync \
        >/dev/null && echo "$EPOCHREALTIME" >"$out") &
    pid=$!
    WB_PIDS+=("$pid")
    while kill -0 "$pid" 2>/dev/null; do
        if ! kill -0 "$CP_OVNC_PID" 2>/dev/null || ! kill -0 "$CP_NORTHD_PID" 2>/dev/null; then
            wb_tail_log "$d/log/ovn-controller.log"
            wb_tail_log "$d/log/northd.log"
            wb_die "ovn: ovn-controller ($CP_OVNC_PID) or ovn-northd ($CP_NORTHD_PID) exited during --wait=$w sync"
        fi
        sleep 0.02
    done
    wait "$pid" || wb_die "ovn: --wait=$w sync failed"
    [[ -s $out ]] || wb_die "ovn: --wait=$w sync gave no time"
    CP_SYNC_T=$(<"$out")
}

cp_ovn_down() {
    wb_stop_pid "$CP_OVNC_PID"
    wb_stop_pid "$CP_NORTHD_PID"
    wb_stop_pid "$CP_NBD_PID"
}

# ------------------------------------------------------------------ child ---
# The restart's hugepage modes: BENCH_HUGEPAGES, and 1 only when the parent
# could set hugepages up (CP_HP_OK).
cp_hp_modes() {
    case ${BENCH_HUGEPAGES:-} in
        0) echo 0 ;;
        1) [[ ${CP_HP_OK:-0} == 1 ]] && echo 1 ;;
        *) echo 0; [[ ${CP_HP_OK:-0} == 1 ]] && echo 1 ;;
    esac
    return 0
}

cp_one() { # SYSTEM N GENDIR BINDIR
    local system=$1 n=$2 gen=$3 bin=$4 label RES_RESTART=()
    trap wb_cleanup EXIT
    trap wb_on_signal INT TERM
    wb_mktemp
    RES_LINE=""
    case $system in
        wyvern-rocksdb) cp_run_wyvern rocksdb "$n" "$gen" "$bin" ;;
        wyvern-etcd) cp_run_wyvern etcd "$n" "$gen" "$bin" ;;
        ovn) cp_run_ovn "$n" "$gen" ;;
        *) wb_die "unknown system $system" ;;
    esac
    label=$(cp_label "$n")
    echo "BENCH workload=cp-$label system=$system $RES_LINE"
    echo "INFO workload=cp-$label system=$system $RES_INFO"
    local r
    for r in "${RES_RESTART[@]}"; do
        echo "BENCH workload=restart-$label system=wyvern $r"
    done
}

cp_label() {
    case $1 in
        1000) echo 1k ;; 10000) echo 10k ;; 100000) echo 100k ;; *) echo "$1" ;;
    esac
}

if [[ ${1:-} == --one ]]; then
    shift
    [[ $# -eq 4 ]] || wb_die "usage: cp.sh --one SYSTEM N GENDIR BINDIR"
    cp_one "$@"
    exit 0
fi

# ----------------------------------------------------------------- parent ---
wb_words() { tr ',' ' ' <<<"$1"; }
read -r -a sizes <<<"$(wb_words "${BENCH_CP_SIZES:-1k 10k}")"
read -r -a systems <<<"$(wb_words "${BENCH_CP_SYSTEMS:-wyvern-rocksdb wyvern-etcd ovn}")"
[[ $BENCH_CP_CHANGES =~ ^[1-9][0-9]*$ && $BENCH_CP_OVN_CHANGES =~ ^[1-9][0-9]*$ ]] ||
    wb_die "BENCH_CP_CHANGES / BENCH_CP_OVN_CHANGES must be positive integers"
ns=()
for s in "${sizes[@]}"; do
    case $s in
        *k) v=${s%k}; [[ $v =~ ^[0-9]+$ ]] || wb_die "bad size '$s'"; ns+=($((v * 1000))) ;;
        *) [[ $s =~ ^[1-9][0-9]*$ ]] || wb_die "bad size '$s'"; ns+=("$s") ;;
    esac
done
for s in "${systems[@]}"; do
    case $s in wyvern-rocksdb | wyvern-etcd | ovn) ;; *) wb_die "unknown system '$s'" ;; esac
done
[[ $EUID -eq 0 ]] || wb_die "needs root (DPDK, OVS)"

WB_CHILD=""
# shellcheck disable=SC2317  # called from a trap
cp_parent_cleanup() {
    if [[ -n $WB_CHILD ]]; then
        WB_PIDS+=("$WB_CHILD")
        WB_PREFIXES+=("wycp-empty-$WB_CHILD" "wycp-full-$WB_CHILD" "wycp-lcb-$WB_CHILD"
            "wycp-ovs-$WB_CHILD" "wycp-restart-$WB_CHILD" "wycp-restart-hp-$WB_CHILD")
    fi
    wb_cleanup
    wb_huge_restore
}
trap cp_parent_cleanup EXIT
trap wb_on_signal INT TERM
wb_mktemp

# Which systems can run; build the helpers into the temp dir.
bin="$WB_TMP/bin"
mkdir -p "$bin"
run_systems=()
wy_ok=1
wy_why=""
if [[ ! -x $WB_BUILD/ctrl/wyvernd ]]; then
    wy_ok=0
    wy_why="$WB_BUILD/ctrl/wyvernd does not exist (not built yet)"
elif ! printf '[eal]\nargs = --no-huge -m 1024\n[mgmt]\nsocket = %s/probe.sock\n[ctrl]\ndb = rocksdb:%s/probe-db\n[port.p0]\ndevargs = net_null0,no-rx=1\n' \
    "$WB_TMP" "$WB_TMP" >"$WB_TMP/probe.conf" ||
    [[ $("$WB_BUILD/ctrl/wyvernd" -c "$WB_TMP/probe.conf" --check-config 2>&1 || true) != *"controller rocksdb:"* ]]; then
    wy_ok=0
    wy_why="wyvernd does not accept a [ctrl] db (no local controller yet)"
else
    # the bulk loader links the build's db/ and model/ libraries
    if ! gcc -O2 -w -I "$WB_SRC/db" -I "$WB_SRC/model" "$WB_BENCH_DIR/cp_load.c" -o "$bin/cp_load" \
        "$WB_BUILD/db/libwyvern_db.a" "$WB_BUILD/model/libwyvern_model.a" \
        -ljansson -lyajl -lrocksdb -lcurl -lpthread 2>"$WB_TMP/gcc-load.log"; then
        wy_ok=0
        wy_why="cp_load does not build against db/ + model/: $(head -n 3 "$WB_TMP/gcc-load.log" | tr '\n' ' ')"
    fi
    # the in-process controller bench links the build's static libraries
    # shellcheck disable=SC2046  # pkg-config output is a list of words
    if ! gcc -O2 -w -I "$WB_SRC/ctrl/lc" -I "$WB_SRC/dp/include" -I "$WB_SRC/db" -I "$WB_SRC/model" \
        "$WB_BENCH_DIR/cp_lcbench.c" -o "$bin/cp_lcbench" \
        "$WB_BUILD/ctrl/lc/libwyvctrl_lc.a" "$WB_BUILD/ctrl/nb/libwyvctrl_nb.a" \
        "$WB_BUILD/ctrl/libwyvctrl_log.a" "$WB_BUILD/dp/libwyvdp.a" "$WB_BUILD/db/libwyvern_db.a" \
        "$WB_BUILD/model/libwyvern_model.a" $(pkg-config --cflags --libs libdpdk) \
        -ljansson -lyajl -lrocksdb -lcurl -lpthread 2>"$WB_TMP/gcc-lcb.log"; then
        wb_log "cp_lcbench does not build (rocksdb change latency will be SKIP): $(head -n 3 "$WB_TMP/gcc-lcb.log" | tr '\n' ' ')"
        rm -f "$bin/cp_lcbench"
    fi
fi
for s in "${systems[@]}"; do
    case $s in
        wyvern-*)
            [[ $wy_ok == 1 ]] || { echo "SKIP system=$s: $wy_why"; continue; }
            [[ $s != wyvern-etcd ]] || command -v etcd >/dev/null ||
                { echo "SKIP system=$s: etcd not installed"; continue; } ;;
        ovn)
            if [[ ! -x $WB_OVS_VSWITCHD ]] || ! command -v ovn-northd >/dev/null ||
                ! command -v ovn-controller >/dev/null; then
                echo "SKIP system=ovn: OVS-DPDK or OVN not installed"
                continue
            fi ;;
    esac
    run_systems+=("$s")
done
((${#run_systems[@]} > 0)) || { wb_log "nothing to run"; exit 0; }

# The restart (wyvern-etcd) runs once more with hugepages, as a host runs
# wyvernd: set them up here (restored on exit), unless BENCH_HUGEPAGES=0.
CP_HP_OK=0
if [[ ${BENCH_HUGEPAGES:-} != 0 && " ${run_systems[*]} " == *" wyvern-etcd "* ]]; then
    if [[ -d $WB_HP_SYS ]]; then
        wb_huge_setup
        CP_HP_OK=1
    else
        wb_log "no 2 MB hugepages here: the restart runs without them only"
    fi
fi
export CP_HP_OK

failed=0
for n in "${ns[@]}"; do
    gen="$WB_TMP/gen-$n"
    mkdir -p "$gen"
    wb_log "generating topology for $n ports"
    "$WB_PY" "$WB_BENCH_DIR/cp_gen.py" "$n" "$gen" "$CP_CHASSIS"
    wb_log "$n ports: $(cp_meta "$gen" '"networks=%d routers=%d sgs=%d (5 rules each)" % (m["networks"], m["routers"], m["sgs"])')"
    for s in "${run_systems[@]}"; do
        wb_log "=== workload=cp-$(cp_label "$n") system=$s"
        out="$WB_TMP/out.$s.$n"
        "$0" --one "$s" "$n" "$gen" "$bin" >"$out" &
        WB_CHILD=$!
        rc=0
        wait "$WB_CHILD" || rc=$?
        WB_CHILD=""
        if [[ $rc -ne 0 ]] || ! grep -q '^BENCH ' "$out"; then
            echo "FAIL workload=cp-$(cp_label "$n") system=$s rc=$rc (see messages above)"
            failed=1
        fi
        cat "$out"
    done
    rm -rf "$gen"
done
exit "$failed"
