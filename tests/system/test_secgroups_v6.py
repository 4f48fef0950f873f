"""Security groups over IPv6, and ICMP errors as RELATED traffic (IPv4 and
IPv6), one chassis, real namespaces (busybox nc, ping -6, scapy).

Network blue is dual stack (10.0.0.0/24, fd00:b::/64); every VM has both.
test_ipv6_prefix_replies_and_icmpv6: vm1 (.11) and vm3 (.13) are in sg-a
(the default rules only), vm2 (.12) in sg-b (ingress TCP 22 from
fd00:b::11/128 only, IPv6):
  - vm1 -> [vm2]:22 connects, the replies reach vm1 (no ingress rule) as
    established; vm3 -> [vm2]:22 and vm1 -> vm2:22 over IPv4 are refused;
  - vm2 -> [vm1]:22 (unsolicited) is refused;
  - ping -6 vm1 -> vm2 only once an ICMPv6 type-128 ingress rule exists;
    vm2 -> vm1 stays refused, and IPv4 ping is still refused.
test_icmp_errors_for_a_connection_are_related: vm1 (sg-a) sends UDP to vm2
(sg-b: ingress UDP 5000, IPv4 and IPv6).  From vm2, scapy sends the ICMP
"fragmentation needed" (IPv4) / ICMPv6 "packet too big" that a router would
send, quoting vm1's packet: it reaches vm1 (tcpdump there) although vm1
allows no ingress; the same error quoting a flow that never existed is
dropped.
"""
import rig
from sg_rig import (Scenario, Sniffer, conns, nc_connect, nc_listen, ping6, refused,
                    wait_connects, zone_of)
from test_ctrl import chassis_name, cleanup_all, work  # noqa: F401


def rocksdb(work):  # noqa: F811
    return "rocksdb:%s/db" % work


def test_ipv6_prefix_replies_and_icmpv6(work, cleanup_all):  # noqa: F811
    s = Scenario(rocksdb(work), work, chassis_name("sg6"))
    s.group("sg-a")
    s.group("sg-b", "direction=ingress,protocol=tcp,port=22,remote_prefix=fd00:b::11/128")
    s.vm("vm1", 11, ["sg-a"])
    s.vm("vm2", 12, ["sg-b"])
    s.vm("vm3", 13, ["sg-a"])
    wy = s.start()
    st = wy.ctrl()
    assert st["bad_now"] == 0 and st["table_errors"] == 0, st
    ns1, ns2, ns3 = s.ns["vm1"], s.ns["vm2"], s.ns["vm3"]

    nc_listen(ns2, 22, "hello-22")
    nc_listen(ns1, 22, "vm1-22")
    # allowed by prefix; the replies pass vm1's ingress as established
    wait_connects(ns1, "fd00:b::12", 22, "hello-22")
    tcp = [c for c in conns(wy) if c["proto"] == 6 and "[fd00:b::12]:22" in c["orig"]]
    assert tcp and all("[fd00:b::11]" in c["orig"] for c in tcp), tcp
    assert {c["zone"] for c in tcp} == {zone_of(wy, "vm1"), zone_of(wy, "vm2")}, tcp
    # refused from elsewhere (vm3 is not in the prefix) ...
    refused([wy], ns3, "fd00:b::12", 22)
    # ... and over IPv4 (the rule is an IPv6 rule)
    refused([wy], ns1, "10.0.0.12", 22)
    # unsolicited ingress to vm1 (sg-a allows none)
    refused([wy], ns2, "fd00:b::11", 22)

    # ICMPv6: refused until sg-b allows echo requests (type 128)
    before = wy.drops("acl-deny")
    r = ping6(ns1, "fd00:b::12")
    assert r.returncode != 0, r.stdout
    rig.wait_for(lambda: wy.drops("acl-deny") >= before + 2, what="acl-deny drops >= +2 (ping6)")
    s.update("security-group", "update", "sg-b", "--add-rule",
             "direction=ingress,ethertype=IPv6,protocol=ipv6-icmp,port_min=128")
    rig.wait_for(lambda: ping6(ns1, "fd00:b::12", count=1).returncode == 0, timeout=20,
                 interval=0.2, what="ping -6 vm1 -> vm2 after the ICMPv6 rule")
    r = ping6(ns1, "fd00:b::12", count=3)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout
    # the echo replies were established traffic at vm1's ingress
    icmp6 = [c for c in conns(wy, zone_of(wy, "vm1")) if c["proto"] == 58]
    assert icmp6 and icmp6[0]["reply_seen"], icmp6
    # still refused: vm2 -> vm1 (sg-a unchanged), IPv4 echo to vm2 (no rule)
    r = ping6(ns2, "fd00:b::11")
    assert r.returncode != 0, r.stdout
    before = wy.drops("acl-deny")
    r = ns1.ping("10.0.0.12", count=2, interval=0.2)
    assert r.returncode != 0, r.stdout
    rig.wait_for(lambda: wy.drops("acl-deny") >= before + 2, what="acl-deny drops (IPv4 ping)")
    # vm3 -> vm2 echo: the ICMPv6 rule has no prefix, so it is allowed
    r = ping6(ns3, "fd00:b::12", count=2)
    assert r.returncode == 0, r.stdout
    # the TCP rule is still prefix-bound
    assert nc_connect(ns3, "fd00:b::12", 22, timeout=1) == ""


def _icmp_errors(s, wy, v6):
    """vm1 -> vm2 UDP 40000 -> 5000 (a connection), then from vm2 the ICMP
    error for it and one for a flow that never existed (40001 -> 7777)."""
    from scapy.all import ICMP, IP, UDP, Ether, ICMPv6PacketTooBig, IPv6, Raw
    m1, m2 = s.ports["vm1"]["mac_address"], s.ports["vm2"]["mac_address"]
    ns1, ns2 = s.ns["vm1"], s.ns["vm2"]
    if v6:
        a1, a2 = s.ip6("vm1"), s.ip6("vm2")

        def l3(src, dst):
            return IPv6(src=src, dst=dst)

        def err(quote):
            return ICMPv6PacketTooBig(mtu=1280) / quote
        want_kind, want_val = 6, 1280
    else:
        a1, a2 = s.ip4("vm1"), s.ip4("vm2")

        def l3(src, dst):
            return IP(src=src, dst=dst)

        def err(quote):
            return ICMP(type=3, code=4, nexthopmtu=1300) / quote
        want_kind, want_val = 4, 4

    def quote(sport, dport):
        return l3(a1, a2) / UDP(sport=sport, dport=dport) / Raw(b"q" * 64)

    sn = Sniffer(ns1, s.taps["vm1"])
    try:
        # the connection: vm1's egress commits it, sg-b's UDP 5000 lets it in
        ns1.send_frames([Ether(src=m1, dst=m2) / quote(40000, 5000)], count=2)
        rig.wait_for(lambda: [c for c in conns(wy, zone_of(wy, "vm1"))
                              if c["proto"] == 17 and ":40000" in c["orig"]],
                     what="UDP connection in vm1's zone")
        related0 = wy.ctl("show", "pmd", json=True)["conntrack"]["related"]

        # unrelated first: dropped (counted) ...
        before = sum(wy.all_drops().values())
        ns2.send_frames([Ether(src=m2, dst=m1) / l3(a2, a1) / err(quote(40001, 7777))], count=2)
        rig.wait_for(lambda: sum(wy.all_drops().values()) >= before + 2,
                     what="the unrelated ICMP error dropped (drop counters)")
        # ... then the related one, which must arrive
        ns2.send_frames([Ether(src=m2, dst=m1) / l3(a2, a1) / err(quote(40000, 5000))], count=2)
        rig.wait_for(lambda: (want_kind, want_val, 40000, 5000) in sn.icmp_errors(),
                     what="the ICMP error for the connection at vm1")
        got = sn.icmp_errors()
        assert not [e for e in got if e[3] == 7777], got
        ct = wy.ctl("show", "pmd", json=True)["conntrack"]
        assert ct["related"] > related0, ct
    finally:
        sn.stop()


def test_icmp_errors_for_a_connection_are_related(work, cleanup_all):  # noqa: F811
    s = Scenario(rocksdb(work), work, chassis_name("sgie"))
    s.group("sg-a")
    s.group("sg-b", "direction=ingress,protocol=udp,port=5000",
            "direction=ingress,ethertype=IPv6,protocol=udp,port=5000")
    s.vm("vm1", 11, ["sg-a"])
    s.vm("vm2", 12, ["sg-b"])
    wy = s.start()
    _icmp_errors(s, wy, v6=False)
    _icmp_errors(s, wy, v6=True)
