#!/usr/bin/env bash
# Conntrack alone, one core: new connections/s and lookup ns (dp/ct_bench.c).
#
#   ct-new     ct(commit) of CT_NEW_CONNS distinct UDP 5-tuples, bursts of 32
#   ct-lookup  ct() of random packets (both directions) of CT_TABLE_CONNS
#              established UDP connections
# The process runs without hugepages on lcore 1 (`--no-huge -m 1024`), in
# process, TSC-timed: the 10th percentile of 1024-packet groups, minus a baseline
# loop that only stages the flow keys (see the header of dp/ct_bench.c).
# INFO lines add established TCP (window tracking) and the table choice
# (private rte_hash vs the shared lock-free one, same keys).
#
# Environment: BUILD (default build), CT_NEW_CONNS (1000000),
# CT_TABLE_CONNS (100000), CT_ROUNDS (3).
# Prints: BENCH workload=ct-new system=wyvern conns_per_s=.. ns_per_conn=..
#         BENCH workload=ct-lookup system=wyvern ns_per_lookup=..
# The OVS-DPDK side by side (an OpenFlow ct(commit) pipeline on the same
# tuples) is not implemented yet: the script says SKIP for it.
set -euo pipefail

BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD="$PWD/$BUILD"
BIN=$BUILD/dp/dp_ct_bench
PREFIX="wybct$$"

cleanup() {
    rm -rf "/var/run/dpdk/$PREFIX" 2>/dev/null || true
}
trap cleanup EXIT

if [[ ! -x $BIN ]]; then
    echo "SKIP system=wyvern: $BIN missing (build first)"
    exit 1
fi
"$BIN" --no-huge -m 1024 --no-pci --no-telemetry --file-prefix="$PREFIX" --log-level=error \
    -l 1 -- "${CT_NEW_CONNS:-1000000}" "${CT_TABLE_CONNS:-100000}" "${CT_ROUNDS:-3}"
echo "SKIP system=ovs-dpdk workload=ct-new,ct-lookup: the OpenFlow ct(commit) pipeline is not scripted yet"
