#!/usr/bin/env bash
# wyvern watch fan-out benchmark (suite `fanout`): one northbound update
# delivered to many simulated hosts watching one etcd.  See "Watch fan-out
# benchmark" in scripts/bench/README.md.
#
#   BENCH workload=fanout-<N> system=wyvern-etcd watchers=N p50_ms=.. p99_ms=..
#
# Environment:
#   BUILD                build dir (default build): $BUILD/ctrl/lc/wyv-fanout
#   BENCH_FANOUT_SIZES   watchers per run (default "1000")
#   BENCH_FANOUT_UPDATES updates timed per run (default 50)
#   BENCH_FANOUT_TTL     liveness lease of each simulated host, s (default 0:
#                        watchers only; see the README on why)
#
# Each simulated host is the sync half of wyvernd's controller (wyv-fanout,
# ctrl/lc/lc_fanout.c): its own connection, chassis registration, snapshot,
# watch.  etcd is one member in a temp dir on loopback, stopped by pid.
set -euo pipefail

WB_BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench/lib.sh
source "$WB_BENCH_DIR/lib.sh"

WB_BUILD=${BUILD:-build}
[[ $WB_BUILD == /* ]] || WB_BUILD="$PWD/$WB_BUILD"
FO_BIN=$WB_BUILD/ctrl/lc/wyv-fanout
: "${BENCH_FANOUT_SIZES:=1000}"
: "${BENCH_FANOUT_UPDATES:=50}"
: "${BENCH_FANOUT_TTL:=0}"

# shellcheck disable=SC2317  # called from a trap
wb_on_signal() {
    trap - INT TERM
    wb_log "interrupted"
    exit 130
}

fo_free_port() {
    "$WB_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

command -v etcd >/dev/null || { echo "SKIP workload=fanout system=wyvern-etcd: etcd not installed"; exit 0; }
[[ -x $FO_BIN ]] || wb_die "no $FO_BIN (build first)"
[[ $BENCH_FANOUT_UPDATES =~ ^[1-9][0-9]*$ && $BENCH_FANOUT_TTL =~ ^[0-9]+$ ]] ||
    wb_die "BENCH_FANOUT_UPDATES / BENCH_FANOUT_TTL must be integers"
trap wb_cleanup EXIT
trap wb_on_signal INT TERM
wb_mktemp

failed=0
for n in $(tr ',' ' ' <<<"$BENCH_FANOUT_SIZES"); do
    [[ $n =~ ^[1-9][0-9]*$ ]] || wb_die "bad size '$n'"
    d="$WB_TMP/fanout-$n"
    mkdir -p "$d"
    cport=$(fo_free_port)
    pport=$(fo_free_port)
    # every watcher holds a stream and a probe: raise the open files limit
    # of etcd and of the tool (the tool raises its own soft limit too)
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    etcd --name fo --data-dir "$d/etcd" \
        --listen-client-urls "http://127.0.0.1:$cport" \
        --advertise-client-urls "http://127.0.0.1:$cport" \
        --listen-peer-urls "http://127.0.0.1:$pport" \
        --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
        --initial-cluster "fo=http://127.0.0.1:$pport" >"$d/etcd.log" 2>&1 &
    epid=$!
    WB_PIDS+=("$epid")
    wb_wait_for "$epid" "etcd" curl -sf "http://127.0.0.1:$cport/health" ||
        { wb_tail_log "$d/etcd.log"; wb_die "etcd did not start"; }
    wb_log "fanout-$n: $n simulated hosts on etcd pid $epid (127.0.0.1:$cport), ttl $BENCH_FANOUT_TTL"
    rc=0
    "$FO_BIN" "etcd://127.0.0.1:$cport" "$n" "$BENCH_FANOUT_UPDATES" --ttl "$BENCH_FANOUT_TTL" \
        >"$d/out" 2>"$d/err" &
    fpid=$!
    WB_PIDS+=("$fpid")
    wait "$fpid" || rc=$?
    out=$(<"$d/out")
    if [[ -z $out ]]; then
        wb_tail_log "$d/err"
        echo "FAIL workload=fanout-$n system=wyvern-etcd rc=$rc"
        failed=1
    else
        field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$out"; }
        echo "BENCH workload=fanout-$n system=wyvern-etcd watchers=$n p50_ms=$(field p50_ms) p99_ms=$(field p99_ms)"
        echo "INFO workload=fanout-$n system=wyvern-etcd $out ttl_s=$BENCH_FANOUT_TTL"
        [[ $rc == 0 ]] || { echo "FAIL workload=fanout-$n system=wyvern-etcd: updates missed or out of order ($out)"; failed=1; }
    fi
    # the floor: the same etcd, the same number of bare watch streams (no
    # decode, one thread), the same update (fanout_bare.py)
    brc=0
    bare=$("$WB_PY" "$WB_BENCH_DIR/fanout_bare.py" "etcd://127.0.0.1:$cport" "$n" \
        "$BENCH_FANOUT_UPDATES" 2>"$d/bare.err") || brc=$?
    if [[ -z $bare ]]; then
        wb_tail_log "$d/bare.err"
        echo "FAIL workload=fanout-$n system=etcd-bare rc=$brc"
        failed=1
    else
        bfield() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$bare"; }
        ratio=""
        [[ -n $out ]] && ratio=" wyvern_vs_bare_p99=$(awk -v a="$(field p99_ms)" -v b="$(bfield p99_ms)" 'BEGIN{ if (b > 0) printf "%.2f", a / b }')"
        echo "BENCH workload=fanout-$n system=etcd-bare watchers=$n p50_ms=$(bfield p50_ms) p99_ms=$(bfield p99_ms)$ratio"
        echo "INFO workload=fanout-$n system=etcd-bare $bare"
    fi
    wb_stop_pid "$epid"
done
exit "$failed"
