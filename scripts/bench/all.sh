#!/usr/bin/env bash
# `make bench`: every benchmark suite, each side by side with its peer.
#   BENCH_SUITES  subset of "dp overlay sg nat dhcp cp fanout ct offload mflow api" (default: all)
#     dp       datapath, L2: wyvern vs testpmd vs OVS-DPDK (run.sh)
#     overlay  datapath, routed + VXLAN: wyvern vs OVN vs testpmd (overlay.sh)
#     sg       datapath, routed + stateful security groups, bidirectional,
#              established: wyvern vs OVN vs testpmd (l3sg.sh)
#     nat      datapath, upstream <-> VM through a floating IP (DNAT/SNAT),
#              bidirectional, established: wyvern vs OVN distributed floating
#              IPs vs testpmd (fip.sh)
#     dhcp     DHCP: wyvern's distributed DHCP vs dnsmasq (dhcp.sh)
#     cp       control plane: wyvern (rocksdb, etcd) vs OVN (cp.sh)
#     fanout   one update delivered to 1000 simulated hosts watching one etcd
#              (fanout.sh; no peer)
#     ct       conntrack alone, one core: new connections/s, lookup ns, wyvern vs
#              OVS-DPDK's userspace conntrack (ct.sh)
#     offload  partial offload (dummy MARK) vs software through the PMD; XDP tier
#              between veth namespaces vs wyvernd's PMD over af_xdp vs a Linux
#              bridge (offload.sh)
#     mflow    megaflow lifecycle: invalidation stall, flood isolation (mflow.sh)
#     api      Neutron API: port create latency / rate and a filtered list at
#              10k and 100k ports, RocksDB and etcd (api.sh)
# A suite that fails does not stop the others; the exit status is non-zero
# if any failed.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
status=0
for s in $(tr ',' ' ' <<<"${BENCH_SUITES:-dp overlay sg nat dhcp cp fanout ct offload mflow api}"); do
  case $s in
    dp) script=scripts/bench/run.sh ;;
    overlay) script=scripts/bench/overlay.sh ;;
    sg) script=scripts/bench/l3sg.sh ;;
    nat) script=scripts/bench/fip.sh ;;
    dhcp) script=scripts/bench/dhcp.sh ;;
    cp) script=scripts/bench/cp.sh ;;
    fanout) script=scripts/bench/fanout.sh ;;
    ct) script=scripts/bench/ct.sh ;;
    offload) script=scripts/bench/offload.sh ;;
    mflow) script=scripts/bench/mflow.sh ;;
    api) script=scripts/bench/api.sh ;;
    *) echo "all.sh: unknown suite '$s' (dp, overlay, sg, nat, dhcp, cp, fanout, ct, offload, mflow, api)" >&2; status=2; continue ;;
  esac
  echo "=== bench suite: $s ($script)"
  "$script" || { echo "=== bench suite $s failed (exit $?)"; status=1; }
done
exit "$status"
