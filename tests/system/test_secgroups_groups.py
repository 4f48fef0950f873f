"""Security groups, one chassis: remote_group_id following membership live,
port security off, stateless groups.  Real namespaces, busybox nc, ping.

test_remote_group_follows_membership: sg-web allows TCP 22 from the members
  of sg-clients.  vm1 (sg-clients) connects to vm2 (sg-web), vm3 (sg-other)
  does not; vm3 joins sg-clients -> it connects; vm1 leaves -> its new
  connections are refused.
test_port_security_off_means_no_filtering: vm2 and vm3 have port security
  off: anything reaches them and leaves them (TCP to any port, ping both
  ways, a source address that is not theirs) and nothing of theirs is in
  conntrack; vm1 (sg-a, no ingress) stays filtered.
test_stateless_group: vm1 and vm2 in stateless groups (Neutron `stateful:
  false`, written to etcd since wyctl has no option for it yet): TCP 22 works
  only with explicit rules both ways (vm1 must allow the replies to its
  ephemeral ports), ping with an ICMP rule on each side, no conntrack entry
  and no ct() in the megaflows; removing vm1's reply rule breaks it.
"""
import pytest

import etcd
import rig
from sg_rig import (Scenario, conns, make_stateless, nc_connect, nc_listen, refused,
                    sg_rule_ids, wait_connects, wait_refused, zone_of)
from test_ctrl import chassis_name, cleanup_all, nb, work  # noqa: F401

needs_etcd = pytest.mark.skipif(not etcd.available(), reason="etcd not installed")


def test_remote_group_follows_membership(work, cleanup_all):  # noqa: F811
    s = Scenario("rocksdb:%s/db" % work, work, chassis_name("sgrg"), v6=False)
    s.group("sg-clients")
    s.group("sg-other")
    s.group("sg-web", "direction=ingress,protocol=tcp,port=22,remote_group=sg-clients")
    s.vm("vm1", 11, ["sg-clients"])
    s.vm("vm2", 12, ["sg-web"])
    s.vm("vm3", 13, ["sg-other"])
    wy = s.start()
    ns1, ns2, ns3 = s.ns["vm1"], s.ns["vm2"], s.ns["vm3"]
    nc_listen(ns2, 22, "web-22")

    wait_connects(ns1, "10.0.0.12", 22, "web-22")
    refused([wy], ns3, "10.0.0.12", 22)

    # vm3 joins sg-clients: the address set grows, vm3 gets in
    s.update("port", "update", "vm3", "--security-group", "sg-clients")
    wait_connects(ns3, "10.0.0.12", 22, "web-22")
    # vm1 leaves: its new connections are refused, vm3's still pass
    s.update("port", "update", "vm1", "--security-group", "sg-other")
    wait_refused([wy], ns1, "10.0.0.12", 22)
    assert nc_connect(ns3, "10.0.0.12", 22) == "web-22"
    # and back again
    s.update("port", "update", "vm1", "--security-group", "sg-clients")
    wait_connects(ns1, "10.0.0.12", 22, "web-22")
    st = wy.ctrl()
    assert st["bad_now"] == 0 and st["table_errors"] == 0, st


def test_port_security_off_means_no_filtering(work, cleanup_all):  # noqa: F811
    from scapy.all import IP, UDP, Ether, Raw
    s = Scenario("rocksdb:%s/db" % work, work, chassis_name("sgps"), v6=False)
    s.group("sg-a")
    s.vm("vm1", 11, ["sg-a"])
    s.vm("vm2", 12, port_security=False)
    s.vm("vm3", 13, port_security=False)
    wy = s.start()
    ns1, ns2, ns3 = s.ns["vm1"], s.ns["vm2"], s.ns["vm3"]
    lps = wy.lports()
    assert lps["vm2"]["port_security"] is False and lps["vm3"]["port_security"] is False, lps
    assert lps["vm1"]["port_security"] is True, lps

    for port in (23, 4242):
        nc_listen(ns2, port, "open-%d" % port)
    # any TCP port of vm2, from a filtered port (its egress allows) and not
    wait_connects(ns1, "10.0.0.12", 23, "open-23")
    assert nc_connect(ns3, "10.0.0.12", 4242) == "open-4242"
    for a, b in ((ns2, "10.0.0.13"), (ns3, "10.0.0.12"), (ns1, "10.0.0.13")):
        r = a.ping(b, count=2, interval=0.2)
        assert r.returncode == 0, (a.name, b, r.stdout)
    # vm1 is still filtered: nothing unsolicited gets in
    nc_listen(ns1, 22, "vm1-22")
    refused([wy], ns3, "10.0.0.11", 22)
    # no port security, no spoofing check: vm3 sends from an address that
    # is not its own, and vm2 receives it
    cap = ns2.capture()
    with cap:
        ns3.send_frames([Ether(src=s.ports["vm3"]["mac_address"], dst=s.ports["vm2"]["mac_address"])
                         / IP(src="10.0.0.99", dst="10.0.0.12") / UDP(sport=9, dport=9)
                         / Raw(b"spoof")], count=2)
        cap.wait_for(lambda p: p.haslayer(IP) and p[IP].src == "10.0.0.99",
                     what="vm3's frame from 10.0.0.99 at vm2")
    # nothing of vm2/vm3 in conntrack: only vm1's zone has connections
    z1 = zone_of(wy, "vm1")
    zones = {c["zone"] for c in conns(wy)}
    assert zones == {z1}, (zones, z1)


@needs_etcd
def test_stateless_group(work, cleanup_all):  # noqa: F811
    cl = etcd.EtcdCluster(1).start()
    s = Scenario(cl.url, work, chassis_name("sgsl"), v6=False)
    # vm1 allows replies to its ephemeral ports, vm2 allows TCP 22
    a = s.group("sl-a", "direction=ingress,protocol=tcp,port_min=32768,port_max=60999")
    b = s.group("sl-b", "direction=ingress,protocol=tcp,port=22")
    make_stateless(cl, a)
    make_stateless(cl, b)
    assert nb(cl.url, "security-group", "show", "sl-a")["stateful"] is False
    s.vm("vm1", 11, ["sl-a"])
    s.vm("vm2", 12, ["sl-b"])
    wy = s.start()
    ns1, ns2 = s.ns["vm1"], s.ns["vm2"]
    ns1.run(["sysctl", "-qw", "net.ipv4.ip_local_port_range=32768 60999"])
    nc_listen(ns2, 22, "sl-22")
    nc_listen(ns2, 23, "sl-23")

    wy.ctl("stats", "clear")
    wait_connects(ns1, "10.0.0.12", 22, "sl-22")
    refused([wy], ns1, "10.0.0.12", 23)
    # stateless: no connection tracked, no ct() on the path
    assert conns(wy) == [], conns(wy)
    pmd = wy.ctl("show", "pmd", json=True)
    assert pmd["conntrack"]["committed"] == 0, pmd["conntrack"]
    assert sum(p["recirculations"] for p in pmd["pmds"]) == 0, pmd["pmds"]
    mf = wy.megaflows()
    assert mf and not [m for m in mf if "ct(" in m["actions"]], mf
    flow = "tcp,eth_src=%s,eth_dst=%s,ip_src=10.0.0.11,ip_dst=10.0.0.12,tp_src=40000," \
        "tp_dst=22" % (s.ports["vm1"]["mac_address"], s.ports["vm2"]["mac_address"])
    t = wy.ctl("trace", "vm1", flow, json=True)
    assert "ct(" not in t["megaflow"]["actions"] and "output:" in t["megaflow"]["actions"], t

    # ICMP: a rule on each side, since the replies are not tracked either
    r = ns1.ping("10.0.0.12", count=2, interval=0.2)
    assert r.returncode != 0, r.stdout
    nb(cl.url, "security-group", "update", "sl-b", "--add-rule", "direction=ingress,protocol=icmp")
    before = wy.drops("acl-deny")
    r = ns1.ping("10.0.0.12", count=2, interval=0.2)
    assert r.returncode != 0, r.stdout   # requests get in, replies do not
    rig.wait_for(lambda: wy.drops("acl-deny") >= before + 2, what="echo replies refused at vm1")
    nb(cl.url, "security-group", "update", "sl-a", "--add-rule", "direction=ingress,protocol=icmp")
    rig.wait_for(lambda: ns1.ping("10.0.0.12", count=1).returncode == 0, timeout=20,
                 interval=0.2, what="ping vm1 -> vm2 with ICMP rules on both sides")
    r = ns2.ping("10.0.0.11", count=2, interval=0.2)
    assert r.returncode == 0, r.stdout   # and the other way: the same two rules
    assert nb(cl.url, "security-group", "show", "sl-a")["stateful"] is False
    assert conns(wy) == [], conns(wy)

    # removing vm1's reply rule: TCP 22 breaks (no conntrack lets replies in)
    rid = [r["id"] for r in sg_rule_ids(cl.url, "sl-a")
           if r.get("protocol") == "tcp" and r["direction"] == "ingress"]
    assert len(rid) == 1, sg_rule_ids(cl.url, "sl-a")
    nb(cl.url, "security-group", "update", "sl-a", "--remove-rule", rid[0])
    wait_refused([wy], ns1, "10.0.0.12", 22)
    assert conns(wy) == [], conns(wy)
    assert wy.ctl("show", "pmd", json=True)["conntrack"]["committed"] == 0
