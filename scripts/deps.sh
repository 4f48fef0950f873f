#!/usr/bin/env bash
# Install every Debian package wyvern needs. Idempotent: installs only what is missing.
#   scripts/deps.sh          build + test dependencies
#   scripts/deps.sh bench    also the benchmark peers (OVS-DPDK, OVN, testpmd)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
BUILD="build-essential pkg-config meson ninja-build dpdk dpdk-dev libdpdk-dev
 libjansson-dev libyajl-dev libcurl4-openssl-dev libmicrohttpd-dev libgnutls28-dev librocksdb-dev libcunit1-dev
 libbpf-dev libxdp-dev libpcap-dev clang libfuzzer-14-dev bpftool"
TEST="python3-pytest python3-scapy iproute2 iputils-ping iperf3 ethtool tcpdump
 etcd-server etcd-client isc-dhcp-client busybox dhcpcd5 dnsmasq-base procps psmisc bc tshark
 traceroute
 curl man-db groff-base openssl python3-openstackclient keystone tempest"
BENCH="openvswitch-switch-dpdk ovn-central ovn-host hyperfine valgrind"
want="$BUILD $TEST"
[ "${1:-}" = bench ] && want="$want $BENCH"
missing=()
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps.sh: installing ${missing[*]}" >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
