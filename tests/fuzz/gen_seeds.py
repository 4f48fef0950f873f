#!/usr/bin/python3
"""Write the committed seed corpora of tests/fuzz (a dozen small valid inputs
per harness).  Run from anywhere: /usr/bin/python3 tests/fuzz/gen_seeds.py
Re-running rewrites the gen-* files only; other files in corpus/ (inputs that
once found a bug, e.g. xlate/regress-*) are kept.

fuzz_xlate inputs are 2 bytes + a frame: byte 0 = ingress port index (0..3
access ports p0..p3, 4 the uplink), byte 1 bit 0 = also run the PMD burst
path.  Addresses match the fixed tables in fuzz_xlate.c."""
import json
import logging
import os
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (ARP, BOOTP, DHCP, Dot1AD, Dot1Q, Ether, ICMP, ICMPv6EchoRequest,
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6NDOptDstLLAddr,
                       ICMPv6NDOptSrcLLAddr, IP, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, SCTP, TCP, UDP, raw)
from scapy.contrib.geneve import GENEVE
from scapy.layers.vxlan import VXLAN

HERE = os.path.dirname(os.path.abspath(__file__))
BCAST = "ff:ff:ff:ff:ff:ff"


def mac(net, key):
    return "02:00:00:00:%02x:%02x" % (net, key)


def rmac(net):
    return "02:ee:00:00:%02x:01" % net


A, B, C, D = mac(1, 1), mac(1, 2), mac(2, 4), mac(3, 5)
R = mac(1, 3)
VTEP_L, VTEP_R = "192.168.0.1", "192.168.0.2"
VMAC_L, VMAC_R = "02:fe:00:00:00:01", "02:fe:00:00:00:02"


def write(kind, name, data):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "gen-" + name), "wb") as f:
        f.write(data)


def vx(inner, vni=5001, dport=4789, src=VTEP_R, dst=VTEP_L):
    outer = Ether(src=VMAC_R, dst=VMAC_L) / IP(src=src, dst=dst) / UDP(sport=50000, dport=dport)
    if dport == 6081:
        return outer / GENEVE(vni=vni, proto=0x6558, optionlen=2, options=b"\x01\x02\x03\x04" * 2) / inner
    return outer / VXLAN(vni=vni) / inner


def parse_seeds():
    s = {
        "udp4": Ether(src=A, dst=B) / IP(src="10.0.1.10", dst="10.0.1.20") / UDP(sport=1234, dport=53) / (b"q" * 8),
        "tcp4-opts": Ether() / IP(options=b"\x01" * 8, flags="DF") / TCP(sport=40000, dport=80, flags="SA", options=[("MSS", 1460), ("NOP", None), ("WScale", 7)]),
        "qinq": Ether() / Dot1AD(vlan=10) / Dot1Q(vlan=20) / IP() / UDP(sport=68, dport=67),
        "arp": Ether(dst=BCAST) / ARP(psrc="10.0.0.1", pdst="10.0.0.2"),
        "icmp4": Ether() / IP() / ICMP(type=3, code=1) / (b"\0" * 8),
        "frag4-later": Ether() / IP(frag=185, proto=17) / (b"x" * 16),
        "tcp6": Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") / TCP(sport=443, dport=50000),
        "chain6": Ether() / IPv6() / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting() / IPv6ExtHdrFragment(m=1) / UDP(sport=546, dport=547),
        "dst6-later": Ether() / IPv6() / IPv6ExtHdrDestOpt() / IPv6ExtHdrFragment(offset=100) / (b"y" * 16),
        "ns": Ether() / IPv6(dst="ff02::1:ff00:1") / ICMPv6ND_NS(tgt="fe80::1") / ICMPv6NDOptSrcLLAddr(lladdr=A),
        "na": Ether() / IPv6() / ICMPv6ND_NA(tgt="fe80::1") / ICMPv6NDOptDstLLAddr(lladdr=B),
        "sctp4": Ether() / IP() / SCTP(sport=2905, dport=2906),
        "vxlan-arp": vx(Ether(src=R, dst=BCAST) / ARP(hwsrc=R, psrc="10.0.1.30", pdst="10.0.1.10")),
        "geneve-udp": vx(Ether(src=R, dst=A) / IP(src="10.0.1.30", dst="10.0.1.10") / UDP(sport=1, dport=2), dport=6081),
        "vxlan-tcp6": vx(Ether(src=R, dst=A) / IPv6(src="2001:db8:1::30", dst="2001:db8:1::10") / TCP()),
    }
    for k, p in s.items():
        write("parse", k, raw(p))


def xl(port, pkt, burst=1):
    return bytes([port, burst]) + raw(pkt)


def xlate_seeds():
    s = {
        "a-to-b": xl(0, Ether(src=A, dst=B) / IP(src="10.0.1.10", dst="10.0.1.20") / UDP(sport=1000, dport=2000) / (b"d" * 20)),
        "a-bcast-flood": xl(0, Ether(src=A, dst=BCAST) / IP(src="10.0.1.10", dst="10.0.1.255") / UDP(sport=5, dport=6), 0),
        "a-arp-b": xl(0, Ether(src=A, dst=BCAST) / ARP(hwsrc=A, psrc="10.0.1.10", pdst="10.0.1.20")),
        "a-arp-router": xl(0, Ether(src=A, dst=BCAST) / ARP(hwsrc=A, psrc="10.0.1.10", pdst="10.0.1.1")),
        "a-routed-to-c": xl(0, Ether(src=A, dst=rmac(1)) / IP(src="10.0.1.10", dst="10.0.2.40", ttl=64) / TCP(sport=3333, dport=80)),
        "a-ping-router": xl(0, Ether(src=A, dst=rmac(1)) / IP(src="10.0.1.10", dst="10.0.1.1") / ICMP()),
        "a-ttl1": xl(0, Ether(src=A, dst=rmac(1)) / IP(src="10.0.1.10", dst="10.0.2.40", ttl=1) / UDP()),
        "a-dhcp-discover": xl(0, Ether(src=A, dst=BCAST) / IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) / BOOTP(chaddr=bytes.fromhex("020000000101")) / DHCP(options=[("message-type", "discover"), "end"])),
        "a-ns-router": xl(0, Ether(src=A, dst="33:33:ff:00:00:01") / IPv6(src="2001:db8:1::10", dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt="2001:db8:1::1") / ICMPv6NDOptSrcLLAddr(lladdr=A)),
        "a-ra": xl(0, Ether(src=A, dst="33:33:00:00:00:01") / IPv6(src="fe80::1", dst="ff02::1", hlim=255) / ICMPv6ND_RA()),
        "a-spoofed": xl(0, Ether(src=A, dst=B) / IP(src="10.0.1.99", dst="10.0.1.20") / UDP()),
        "a-to-remote": xl(0, Ether(src=A, dst=R) / IP(src="10.0.1.10", dst="10.0.1.30") / UDP(sport=7, dport=8)),
        "b-aap-v6": xl(1, Ether(src=B, dst=A) / IPv6(src="2001:db8:1::20", dst="2001:db8:1::10") / ICMPv6EchoRequest()),
        "c-routed-to-a": xl(2, Ether(src=C, dst=rmac(2)) / IP(src="10.0.2.40", dst="10.0.1.10") / UDP(sport=9, dport=10)),
        "c-default-route": xl(2, Ether(src=C, dst=rmac(2)) / IP(src="10.0.2.40", dst="8.8.8.8") / UDP()),
        "d-provider": xl(3, Ether(src=D, dst=mac(3, 6)) / IP(src="10.0.3.50", dst="10.0.3.60") / UDP()),
        "d-tagged": xl(3, Ether(src=D, dst=BCAST) / Dot1Q(vlan=30) / IP() / UDP()),
        "up-vxlan-to-a": xl(4, vx(Ether(src=R, dst=A) / IP(src="10.0.1.30", dst="10.0.1.10") / UDP(sport=11, dport=12))),
        "up-vxlan-bcast": xl(4, vx(Ether(src=R, dst=BCAST) / ARP(hwsrc=R, psrc="10.0.1.30", pdst="10.0.1.10"))),
        "up-geneve-to-a": xl(4, vx(Ether(src=R, dst=A) / IP(src="10.0.1.30", dst="10.0.1.10") / TCP(), dport=6081)),
        "up-vlan30-to-d": xl(4, Ether(src=mac(3, 6), dst=D) / Dot1Q(vlan=30) / IP(src="10.0.3.60", dst="10.0.3.50") / UDP()),
        "a-routed-2seg": xl(0, Ether(src=A, dst=rmac(1)) / IP(src="10.0.1.10", dst="10.0.2.40") / UDP(sport=1, dport=2) / (b"s" * 40), 3 | 10 << 2),
        "a-ns-2seg": xl(0, Ether(src=A, dst="33:33:ff:00:00:01") / IPv6(src="2001:db8:1::10", dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt="2001:db8:1::1") / ICMPv6NDOptSrcLLAddr(lladdr=A), 3 | 20 << 2),
        "up-vxlan-2seg": xl(4, vx(Ether(src=R, dst=A) / IP(src="10.0.1.30", dst="10.0.1.10") / UDP(sport=11, dport=12) / (b"v" * 30)), 3 | 30 << 2),
        "up-arp-vtep": xl(4, Ether(src=VMAC_R, dst=BCAST) / ARP(hwsrc=VMAC_R, psrc=VTEP_R, pdst=VTEP_L)),
    }
    for k, p in s.items():
        write("xlate", k, p)


def dhcp_seeds():
    cm = bytes.fromhex("020000000101")
    disc = BOOTP(op=1, chaddr=cm, xid=0x1234) / DHCP(options=[
        ("message-type", "discover"), ("param_req_list", [1, 3, 6, 15, 26, 121]),
        ("max_dhcp_size", 1500), "end"])
    req = BOOTP(op=1, chaddr=cm, xid=0x1235) / DHCP(options=[
        ("message-type", "request"), ("requested_addr", "10.0.1.10"),
        ("server_id", "10.0.1.2"), "end"])
    offer = BOOTP(op=2, chaddr=cm, yiaddr="10.0.1.10", siaddr="10.0.1.2", xid=0x1234) / DHCP(options=[
        ("message-type", "offer"), ("server_id", "10.0.1.2"), ("lease_time", 86400),
        ("renewal_time", 43200), ("rebinding_time", 75600), ("subnet_mask", "255.255.255.0"),
        ("router", "10.0.1.1"), ("name_server", "8.8.8.8", "1.1.1.1"), ("domain", b"example.org"),
        ("interface-mtu", 1450), ("broadcast_address", "10.0.1.255"),
        (121, b"\x10\x0a\x09\x0a\x00\x01\xfe\x00\x0a\x00\x01\x01"), "end"])
    ack = BOOTP(op=2, chaddr=cm, yiaddr="10.0.1.10", xid=0x1235) / DHCP(options=[
        ("message-type", "ack"), ("server_id", "10.0.1.2"), ("lease_time", 3600), "end"])
    nak = BOOTP(op=2, chaddr=cm, xid=0x1236) / DHCP(options=[("message-type", "nak"), ("server_id", "10.0.1.2"), "end"])
    # option overload: the file field carries more options
    ovl_file = bytes([53, 1, 8, 255]) + b"\0" * 124
    infm = BOOTP(op=1, chaddr=cm, ciaddr="10.0.1.10", file=ovl_file) / DHCP(options=[("overload", 1), "end"])
    rel = BOOTP(op=1, chaddr=cm, ciaddr="10.0.1.10") / DHCP(options=[("message-type", "release"), ("server_id", "10.0.1.2"), "end"])
    client = lambda p: Ether(src="02:00:00:00:01:01", dst=BCAST) / IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) / p
    server = lambda p: Ether(src="02:00:00:00:01:02", dst="02:00:00:00:01:01") / IP(src="10.0.1.2", dst="10.0.1.10") / UDP(sport=67, dport=68) / p
    s = {
        "discover-frame": client(disc), "request-frame": client(req), "inform-overload-frame": client(infm),
        "release-frame": client(rel), "offer-frame": server(offer), "ack-frame": server(ack),
        "nak-frame": server(nak),
        "discover": disc, "request": req, "offer": offer, "ack": ack, "inform-overload": infm,
    }
    for k, p in s.items():
        write("dhcp", k, raw(p))
    write("dhcp", "routes121", b"\x18\xc0\xa8\x05\x0a\x00\x02\x14\x00\x0a\x00\x00\x01\xfe")


def model_seeds():
    net, net2 = "11111111-1111-4111-8111-111111111111", "11111111-1111-4111-8111-111111111112"
    sub, sub6, subx = ("22222222-2222-4222-8222-222222222221", "22222222-2222-4222-8222-222222222226",
                       "22222222-2222-4222-8222-222222222229")
    port, sg, rtr = "33333333-3333-4333-8333-333333333331", "44444444-4444-4444-8444-444444444441", "55555555-5555-4555-8555-555555555551"
    fip, chs, rule = "66666666-6666-4666-8666-666666666661", "77777777-7777-4777-8777-777777777771", "88888888-8888-4888-8888-888888888881"
    s = {
        "chassis": {"id": chs, "dp_key": 1, "revision_number": 2, "name": "host-a", "vtep_ip": "192.0.2.1", "encap_types": ["geneve", "vxlan"]},
        "network": {"id": net, "dp_key": 7, "revision_number": 3, "name": "net", "project_id": "p1", "mtu": 1450,
                    "provider:network_type": "vxlan", "provider:segmentation_id": 1001,
                    "provider:physical_network": None, "router:external": False, "admin_state_up": True},
        "network-vlan": {"id": net2, "name": "prov", "provider:network_type": "vlan", "provider:segmentation_id": 30,
                         "provider:physical_network": "physnet1", "router:external": True},
        "subnet": {"id": sub, "dp_key": 0, "revision_number": 1, "name": "s", "project_id": "p1", "network_id": net,
                   "ip_version": 4, "cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.1", "enable_dhcp": True,
                   "dns_nameservers": ["8.8.8.8"], "host_routes": [{"destination": "10.9.0.0/16", "nexthop": "10.0.0.254"}],
                   "allocation_pools": [{"start": "10.0.0.2", "end": "10.0.0.200"}],
                   "ipv6_address_mode": None, "ipv6_ra_mode": None},
        "subnet6": {"id": sub6, "network_id": net, "ip_version": 6, "cidr": "2001:db8:1::/64", "gateway_ip": "2001:db8:1::1",
                    "ipv6_address_mode": "slaac", "ipv6_ra_mode": "slaac"},
        "port": {"id": port, "dp_key": 9, "revision_number": 1, "name": "vm1", "project_id": "p1", "network_id": net,
                 "mac_address": "fa:16:3e:00:00:01", "fixed_ips": [{"subnet_id": sub, "ip_address": "10.0.0.5"}],
                 "allowed_address_pairs": [{"ip_address": "10.0.0.0/28", "mac_address": "fa:16:3e:00:00:99"}],
                 "port_security_enabled": True, "security_groups": [sg], "device_owner": "compute:nova",
                 "device_id": "vm-1", "binding:host_id": "host-a", "admin_state_up": True},
        "router": {"id": rtr, "dp_key": 4, "revision_number": 5, "name": "r", "project_id": "p1", "admin_state_up": True,
                   "interfaces": [{"subnet_id": sub, "port_id": port, "ip_address": "10.0.0.1"}],
                   "routes": [{"destination": "0.0.0.0/0", "nexthop": "10.0.0.254"}],
                   "external_gateway_info": {"network_id": net2, "enable_snat": True,
                                             "external_fixed_ips": [{"subnet_id": subx, "ip_address": "10.1.0.9"}]}},
        "security_group": {"id": sg, "dp_key": 3, "revision_number": 1, "name": "default", "project_id": "p1",
                           "security_group_rules": [
                               {"id": rule, "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
                                "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0", "remote_group_id": None},
                               {"id": rule, "direction": "egress", "ethertype": "IPv6", "protocol": 58,
                                "port_range_min": None, "port_range_max": None, "remote_ip_prefix": None, "remote_group_id": sg}]},
        "floating_ip": {"id": fip, "dp_key": 0, "revision_number": 1, "project_id": "p1", "floating_network_id": net2,
                        "floating_ip_address": "198.51.100.7", "port_id": port, "fixed_ip_address": "10.0.0.5", "router_id": rtr},
        "subnetpool": {"id": "12121212-1212-4212-8212-121212121212", "dp_key": 0, "revision_number": 1,
                       "name": "sp", "project_id": "p1", "prefixes": ["10.0.0.0/16", "10.2.0.0/16"], "ip_version": 4,
                       "default_prefixlen": 24, "min_prefixlen": 8, "max_prefixlen": 32, "shared": False,
                       "is_default": True, "address_scope_id": None},
        "subnet-pooled": {"id": sub, "network_id": net, "ip_version": 4, "cidr": "10.0.3.0/24",
                          "subnetpool_id": "12121212-1212-4212-8212-121212121212"},
        "port-bad-mac": {"id": port, "network_id": net, "mac_address": "fa:16:3e:zz:00:01", "fixed_ips": []},
        "subnet-bad-cidr": {"id": sub, "network_id": net, "ip_version": 4, "cidr": "10.0.0.1/33"},
    }
    for k, o in s.items():
        write("model", k + ".json", json.dumps(o, separators=(",", ":")).encode())


def main():
    parse_seeds()
    xlate_seeds()
    dhcp_seeds()
    model_seeds()
    return 0


if __name__ == "__main__":
    sys.exit(main())
