#!/usr/bin/env bash
# wyvern datapath benchmark (make bench).  See scripts/bench/README.md.
#
# Environment:
#   BUILD                build dir (default build); wyvernd is $BUILD/ctrl/wyvernd
#   BENCH_WORKLOADS      subset of "l2-1 l2-1k l2-100k" (space or comma separated)
#   BENCH_SYSTEMS        subset of "testpmd ovs-dpdk wyvern"
#   BENCH_HUGEPAGES      0 or 1 to run only that mode (default: both)
#   BENCH_SECONDS        measurement window, s (default 5)
#   BENCH_WARMUP         warm-up before the window, s (default 2)
#   BENCH_REPEAT         runs per system and workload, median reported (default 1)
#   BENCH_CACHE          pcap cache dir (default $BUILD/bench)
#
# Internal: run.sh --one SYSTEM WORKLOAD HUGEPAGES PCAP MBUFS runs one
# measurement and prints its BENCH and INFO lines.
set -euo pipefail

WB_BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/bench/lib.sh
source "$WB_BENCH_DIR/lib.sh"

WB_BUILD=${BUILD:-build}
[[ $WB_BUILD == /* ]] || WB_BUILD="$PWD/$WB_BUILD"

# shellcheck disable=SC2317  # called from a trap
wb_on_signal() {
    trap - INT TERM
    wb_log "interrupted"
    exit 130
}

# ---------------------------------------------------------------- child ---
wb_one() {
    local system=$1 workload=$2 huge=$3 pcap=$4 mbufs=$5
    trap wb_cleanup EXIT
    trap wb_on_signal INT TERM
    wb_mktemp
    case $system in
        testpmd) wb_run_testpmd "$pcap" "$huge" "$mbufs" ;;
        ovs-dpdk) wb_run_ovs "$pcap" "$huge" ;;
        wyvern) wb_run_wyvern "$pcap" "$huge" "$mbufs" ;;
        *) wb_die "unknown system $system" ;;
    esac
    printf 'BENCH workload=%s system=%s hugepages=%s mpps=%s cycles_per_pkt=%s\n' \
        "$workload" "$system" "$huge" "$RES_MPPS" "$RES_CPP"
    printf 'INFO workload=%s system=%s hugepages=%s %s\n' "$workload" "$system" "$huge" "$RES_INFO"
}

if [[ ${1:-} == --one ]]; then
    shift
    [[ $# -eq 5 ]] || wb_die "usage: run.sh --one SYSTEM WORKLOAD HUGEPAGES PCAP MBUFS"
    wb_one "$@"
    exit 0
fi

# --------------------------------------------------------------- parent ---
wb_words() { tr ',' ' ' <<<"$1"; }

read -r -a workloads <<<"$(wb_words "${BENCH_WORKLOADS:-l2-1 l2-1k l2-100k}")"
read -r -a systems <<<"$(wb_words "${BENCH_SYSTEMS:-testpmd ovs-dpdk wyvern}")"
wb_hugemodes
[[ $BENCH_SECONDS =~ ^[0-9]+(\.[0-9]+)?$ && $BENCH_WARMUP =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
    wb_die "BENCH_SECONDS and BENCH_WARMUP must be numbers of seconds"
BENCH_REPEAT=${BENCH_REPEAT:-1}
[[ $BENCH_REPEAT =~ ^[1-9][0-9]*$ ]] || wb_die "BENCH_REPEAT must be a positive integer"
export BENCH_SECONDS BENCH_WARMUP BENCH_START_TIMEOUT

wb_flows() {
    case $1 in
        l2-1) echo 1 ;;
        l2-1k) echo 1000 ;;
        l2-100k) echo 100000 ;;
        *) return 1 ;;
    esac
}
for w in "${workloads[@]}"; do
    wb_flows "$w" >/dev/null || wb_die "unknown workload '$w' (l2-1, l2-1k, l2-100k)"
done
for s in "${systems[@]}"; do
    case $s in testpmd | ovs-dpdk | wyvern) ;; *) wb_die "unknown system '$s' (testpmd, ovs-dpdk, wyvern)" ;; esac
done
[[ $EUID -eq 0 ]] || wb_die "needs root (DPDK, hugepages, OVS)"

WB_CHILD=""
# shellcheck disable=SC2317  # called from a trap
wb_parent_cleanup() {
    if [[ -n $WB_CHILD ]]; then
        # TERM the child: its own trap stops its daemons.  Then also remove
        # what a child that died hard may have left.
        WB_PIDS+=("$WB_CHILD")
        WB_PREFIXES+=("wyvb-tp-$WB_CHILD" "wyvb-ovs-$WB_CHILD" "wyvb-wy-$WB_CHILD")
        WB_LINKS+=("wyvb$WB_CHILD")
    fi
    wb_cleanup
    wb_huge_restore
}
trap wb_parent_cleanup EXIT
trap wb_on_signal INT TERM
wb_mktemp

# Inputs: one pcap per workload, generated once into the cache dir.
cache=${BENCH_CACHE:-$WB_BUILD/bench}
mkdir -p "$cache"
for w in "${workloads[@]}"; do
    if [[ ! -s $cache/$w.pcap ]]; then
        wb_log "generating $cache/$w.pcap"
        "$WB_PY" "$WB_BENCH_DIR/gen_pcap.py" "$cache/$w.pcap" "$(wb_flows "$w")" >&2
    fi
done

# Which systems can run.
run_systems=()
for s in "${systems[@]}"; do
    case $s in
        testpmd)
            command -v dpdk-testpmd >/dev/null || { echo "SKIP system=testpmd: dpdk-testpmd not installed"; continue; } ;;
        ovs-dpdk)
            [[ -x $WB_OVS_VSWITCHD ]] || { echo "SKIP system=ovs-dpdk: $WB_OVS_VSWITCHD not installed"; continue; } ;;
        wyvern)
            if [[ ! -x $WB_BUILD/ctrl/wyvernd ]]; then
                echo "SKIP system=wyvern: $WB_BUILD/ctrl/wyvernd does not exist (not built yet)"
                continue
            fi ;;
    esac
    run_systems+=("$s")
done
((${#run_systems[@]} > 0)) || { wb_log "nothing to run"; exit 0; }

results="$WB_TMP/results"
: >"$results"
failed=0
for huge in "${hugemodes[@]}"; do
    [[ $huge == 0 ]] || wb_huge_setup
    for w in "${workloads[@]}"; do
        pcap="$cache/$w.pcap"
        # The pcap PMD keeps the whole file in mbufs: pool = frames + 16384.
        frames=$(($(stat -c %s "$pcap") - 24))
        frames=$((frames / (16 + 60)))
        mbufs=$((frames + 16384))
        # Repetitions interleave the systems, so slow phases of a noisy host
        # hit all of them; each system then reports its median run.
        for ((rep = 1; rep <= BENCH_REPEAT; rep++)); do
            for s in "${run_systems[@]}"; do
                wb_log "=== workload=$w system=$s hugepages=$huge run $rep/$BENCH_REPEAT"
                out="$WB_TMP/out.$s.$w.$huge.$rep"
                "$0" --one "$s" "$w" "$huge" "$pcap" "$mbufs" >"$out" &
                WB_CHILD=$!
                rc=0
                wait "$WB_CHILD" || rc=$?
                WB_CHILD=""
                if [[ $rc -ne 0 ]] || ! grep -q '^BENCH ' "$out"; then
                    echo "FAIL workload=$w system=$s hugepages=$huge run=$rep rc=$rc (see messages above)"
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
                [[ ! -f $WB_TMP/out.$s.$w.$huge.$rep ]] || runs+=("$WB_TMP/out.$s.$w.$huge.$rep")
            done
            ((${#runs[@]} > 0)) || continue
            # median by mpps (lower median for an even count)
            median=$(wb_median "${runs[@]}")
            if ((BENCH_REPEAT > 1)); then
                cat "$median"
                echo "RUNS workload=$w system=$s hugepages=$huge mpps=$(wb_runs_mpps "${runs[@]}")"
            fi
            grep '^BENCH ' "$median" >>"$results"
        done
    done
done

# Ratios of Mpps, per workload and hugepage mode, for the pairs measured.
wb_mpps() {
    awk -v w="$1" -v s="$2" -v h="$3" '$1 == "BENCH" && $2 == "workload=" w && $3 == "system=" s &&
        $4 == "hugepages=" h { sub(/^mpps=/, "", $5); print $5 }' "$results" | tail -n 1
}
for huge in "${hugemodes[@]}"; do
    for w in "${workloads[@]}"; do
        line=""
        for pair in wyvern/ovs-dpdk wyvern/testpmd ovs-dpdk/testpmd; do
            a=$(wb_mpps "$w" "${pair%/*}" "$huge")
            b=$(wb_mpps "$w" "${pair#*/}" "$huge")
            [[ -n $a && -n $b ]] || continue
            line+=" $pair=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
        done
        [[ -z $line ]] || echo "RATIO workload=$w hugepages=$huge$line"
    done
done

exit "$failed"
