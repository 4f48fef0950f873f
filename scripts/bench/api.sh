#!/usr/bin/env bash
# wyvern Neutron API benchmark (suite `api`): port creates and a filtered
# list at N existing ports, on the embedded RocksDB and on etcd.  See
# "Neutron API benchmark" in scripts/bench/README.md.
#
#   BENCH workload=api-ports-<N> system=wyvern-<rocksdb|etcd> create_p50_ms=..
#         create_p99_ms=.. creates_per_s=.. list_filtered_ms=..
#
# Environment:
#   BUILD                  build dir (default build): $BUILD/api/wyvern-api
#   BENCH_API_SIZES        existing ports: 10k 100k or integers (default "10k 100k")
#   BENCH_API_SYSTEMS      subset of "wyvern-rocksdb wyvern-etcd" (default both)
#   BENCH_API_CREATES      creates timed, and again for the throughput (default 500)
#   BENCH_API_LISTS        filtered lists timed (default 50)
#   BENCH_API_CLIENTS      preload clients at once (default 16)
#
# Needs no root and no DPDK: wyvern-api serves the same code as the API
# inside wyvernd ([api] enable), over a RocksDB directory or a one-member
# etcd in a temp dir.  Every process is stopped by pid, the temp dir removed.
set -euo pipefail

WB_BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench/lib.sh
source "$WB_BENCH_DIR/lib.sh"

WB_BUILD=${BUILD:-build}
[[ $WB_BUILD == /* ]] || WB_BUILD="$PWD/$WB_BUILD"
API_BIN=$WB_BUILD/api/wyvern-api
: "${BENCH_API_CREATES:=500}"
: "${BENCH_API_LISTS:=50}"
: "${BENCH_API_CLIENTS:=16}"

# shellcheck disable=SC2317  # called from a trap
wb_on_signal() {
    trap - INT TERM
    wb_log "interrupted"
    exit 130
}

api_free_port() {
    "$WB_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# One measurement: SYSTEM N.  Prints its BENCH line (or SKIP).
api_one() {
    local system=$1 n=$2 label=$3 url dir epid apid line rc=0
    dir=$(mktemp -d "$WB_TMP/$system-$n.XXXXXX")
    if [[ $system == wyvern-etcd ]]; then
        local cport pport
        cport=$(api_free_port)
        pport=$(api_free_port)
        etcd --name apib --data-dir "$dir/etcd" \
            --listen-client-urls "http://127.0.0.1:$cport" \
            --advertise-client-urls "http://127.0.0.1:$cport" \
            --listen-peer-urls "http://127.0.0.1:$pport" \
            --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
            --initial-cluster "apib=http://127.0.0.1:$pport" \
            --quota-backend-bytes 8589934592 >"$dir/etcd.log" 2>&1 &
        epid=$!
        WB_PIDS+=("$epid")
        wb_wait_for "$epid" "etcd" curl -sf "http://127.0.0.1:$cport/health" ||
            { wb_tail_log "$dir/etcd.log"; wb_die "etcd did not start"; }
        url="etcd://127.0.0.1:$cport"
    else
        url="rocksdb:$dir/db"
    fi
    "$API_BIN" --db "$url" --listen 127.0.0.1:0 --threads 8 >"$dir/api.out" 2>"$dir/api.log" &
    apid=$!
    WB_PIDS+=("$apid")
    wb_wait_for "$apid" "wyvern-api" grep -q "listening on" "$dir/api.out" ||
        { wb_tail_log "$dir/api.log"; wb_die "wyvern-api did not start"; }
    local api_url
    api_url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$dir/api.out")
    wb_log "$system: $n ports, wyvern-api pid $apid on $api_url ($url)"
    line=$("$WB_PY" "$WB_BENCH_DIR/api_drive.py" "$api_url" "$n" "$BENCH_API_CREATES" \
        "$BENCH_API_LISTS" "$BENCH_API_CLIENTS" 2>"$dir/drive.log") || rc=$?
    sed 's/^/    /' "$dir/drive.log" >&2
    wb_stop_pid "$apid"
    grep -h "nb:" "$dir/api.log" | sed 's/^/INFO /' || true
    [[ $system != wyvern-etcd ]] || wb_stop_pid "$epid"
    if ((rc != 0)); then
        wb_tail_log "$dir/api.log"
        echo "FAIL workload=api-ports-$label system=$system (api_drive exit $rc)"
        return 1
    fi
    echo "BENCH workload=api-ports-$label system=$system $line"
    rm -rf "$dir"
}

wb_words() { tr ',' ' ' <<<"$1"; }
read -r -a sizes <<<"$(wb_words "${BENCH_API_SIZES:-10k 100k}")"
read -r -a systems <<<"$(wb_words "${BENCH_API_SYSTEMS:-wyvern-rocksdb wyvern-etcd}")"
for v in "$BENCH_API_CREATES" "$BENCH_API_LISTS" "$BENCH_API_CLIENTS"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || wb_die "BENCH_API_CREATES / LISTS / CLIENTS must be positive integers"
done
for s in "${systems[@]}"; do
    case $s in wyvern-rocksdb | wyvern-etcd) ;; *) wb_die "unknown system '$s'" ;; esac
done

trap wb_cleanup EXIT
trap wb_on_signal INT TERM
wb_mktemp

if [[ ! -x $API_BIN ]]; then
    for s in "${systems[@]}"; do echo "SKIP system=$s: $API_BIN not built"; done
    exit 0
fi
failed=0
for size in "${sizes[@]}"; do
    case $size in
        *k) v=${size%k}; [[ $v =~ ^[0-9]+$ ]] || wb_die "bad size '$size'"; n=$((v * 1000)) ;;
        *) [[ $size =~ ^[0-9]+$ ]] || wb_die "bad size '$size'"; n=$size ;;
    esac
    for s in "${systems[@]}"; do
        if [[ $s == wyvern-etcd ]] && ! command -v etcd >/dev/null; then
            echo "SKIP system=$s: etcd not installed"
            continue
        fi
        api_one "$s" "$n" "$size" || failed=1
    done
done
exit "$failed"
