"""Security groups where a connection's packets meet more than one
forwarding context.

test_two_chassis_vxlan: two wyvernd chassis on one etcd, uplinks = the two
  ends of a veth pair (af_packet), VXLAN between VTEPs 192.0.2.1/.2 (as in
  test_overlay.py).  A: vm1 (sg-a), vm3 (sg-c); B: vm2 (sg-b: TCP 22 from
  the members of sg-a, a remote group whose member lives on the other
  chassis).  vm1 -> vm2:22 connects through the tunnel, the replies come
  back as established; vm3 -> vm2:22 and unsolicited vm2 -> vm1 are
  refused; ping only after an ICMP rule; vm3 joining sg-a lets it in.
test_two_pmds_directions_on_different_pmds: one wyvernd, two PMD threads,
  vm1 polled by the PMD on lcore 1, vm2 by the one on lcore 2 (as in
  test_multi_pmd.py): a connection's requests are tracked on one PMD and its
  replies on the other.  nc, iperf3 (TCP, both directions carry data) and
  ping through stateful groups; unsolicited traffic is still refused.
"""
import json as jsonlib
import os
import time

import pytest

import etcd
import rig
from sg_rig import (Scenario, conns, nc_connect, nc_listen, refused, wait_connects, zone_of)
from test_ctrl import CtrlWyvern, chassis_name, cleanup_all, nb, work  # noqa: F401
from test_overlay import VTEP_A, VTEP_B, underlay_pair

needs_etcd = pytest.mark.skipif(not etcd.available(), reason="etcd not installed")


@needs_etcd
def test_two_chassis_vxlan(work, cleanup_all):  # noqa: F811
    cl = etcd.EtcdCluster(1).start()
    url = cl.url
    cha, chb = chassis_name("sgxa"), chassis_name("sgxb")
    s = Scenario(url, work, cha, v6=False)
    s.group("sg-a")
    s.group("sg-c")
    s.group("sg-b", "direction=ingress,protocol=tcp,port=22,remote_group=sg-a")
    s.vm("vm1", 11, ["sg-a"])
    s.vm("vm3", 13, ["sg-c"])
    s.chassis = chb
    s.vm("vm2", 12, ["sg-b"])
    ua, ub = underlay_pair()

    def daemon(ch, vtep, up, names):
        ports = [("up", "net_af_packet0,iface=%s" % up, None)]
        ports += [(n, "net_tap%d,iface=%s" % (i, s.taps[n]), s.ports[n]["id"])
                  for i, n in enumerate(names)]
        return CtrlWyvern(ports, {"db": url, "chassis": ch, "vtep-ip": vtep, "uplink": "up",
                                  "encap": "vxlan",
                                  "replica": os.path.join(work, "replica-" + ch)})
    a = daemon(cha, VTEP_A, ua, ["vm1", "vm3"]).start()
    b = daemon(chb, VTEP_B, ub, ["vm2"]).start()
    a.wait_connected(True)
    b.wait_connected(True)
    rig.wait_for(lambda: a.ctrl()["held"]["port"] == 3 and b.ctrl()["held"]["port"] == 3,
                 what="both chassis hold the 3 ports")
    s.adopt(["vm1", "vm2", "vm3"])
    for n in ("vm1", "vm2", "vm3"):
        s.ns[n].run(["ip", "link", "set", s.taps[n], "mtu", "1450"])
    ns1, ns2, ns3 = s.ns["vm1"], s.ns["vm2"], s.ns["vm3"]
    for wy, peer in ((a, VTEP_B), (b, VTEP_A)):
        rig.wait_for(lambda wy=wy, peer=peer: any(
            v["ip"] == peer and v["resolved"] for v in wy.ctl("show", "overlay", json=True)["vteps"]),
            timeout=20, what="VTEP %s resolved" % peer)

    nc_listen(ns2, 22, "b-22")
    nc_listen(ns1, 22, "a-22")
    wait_connects(ns1, "10.0.0.12", 22, "b-22")
    # each chassis tracked its own port's side of the connection
    ca = [c for c in conns(a, zone_of(a, "vm1")) if c["proto"] == 6 and ":22" in c["orig"]]
    cb = [c for c in conns(b, zone_of(b, "vm2")) if c["proto"] == 6 and ":22" in c["orig"]]
    assert ca and cb, (conns(a), conns(b))
    assert all("10.0.0.11:" in c["orig"] for c in ca + cb), (ca, cb)
    # vm3 is not in sg-a; vm2 -> vm1 is unsolicited (sg-a has no ingress)
    refused([a, b], ns3, "10.0.0.12", 22)
    refused([a, b], ns2, "10.0.0.11", 22)
    before = a.drops("acl-deny") + b.drops("acl-deny")
    r = ns1.ping("10.0.0.12", count=2, interval=0.2)
    assert r.returncode != 0, r.stdout
    rig.wait_for(lambda: a.drops("acl-deny") + b.drops("acl-deny") >= before + 2,
                 what="echo requests refused at vm2")
    nb(url, "security-group", "update", "sg-b", "--add-rule", "direction=ingress,protocol=icmp")
    rig.wait_for(lambda: ns1.ping("10.0.0.12", count=1).returncode == 0, timeout=20,
                 interval=0.2, what="ping vm1 -> vm2 after the ICMP rule")
    r = ns2.ping("10.0.0.11", count=2, interval=0.2)
    assert r.returncode != 0, r.stdout
    # membership across chassis: vm3 (on A) joins sg-a, B's set learns it
    nb(url, "port", "update", "vm3", "--security-group", "sg-a")
    wait_connects(ns3, "10.0.0.12", 22, "b-22")
    for wy in (a, b):
        d = wy.all_drops()
        assert d.get("bad-tunnel", 0) == 0 and d.get("encap-too-big", 0) == 0, d
        st = wy.ctrl()
        assert st["bad_now"] == 0 and st["table_errors"] == 0, st


class TwoPmdCtrlWyvern(CtrlWyvern):
    """CtrlWyvern with two PMDs on CPU 1 (lcores 1 and 2), port i on PMD i."""

    def config_text(self):
        text = super().config_text()
        text = text.replace("args = --no-huge --no-pci\n",
                            "args = --no-huge --no-pci --lcores 0@0,1@1,2@1\n")
        text = text.replace("lcores = 0,1\n", "").replace("pmd-lcores = 1\n", "pmd-lcores = 1-2\n")
        for i, (name, _) in enumerate(self.ports):
            text = text.replace("[port.%s]\n" % name, "[port.%s]\npmd = %d\n" % (name, i + 1))
        return text


def test_two_pmds_directions_on_different_pmds(work, cleanup_all):  # noqa: F811
    s = Scenario("rocksdb:%s/db" % work, work, chassis_name("sgpm"), v6=False)
    s.group("sg-a")
    s.group("sg-b", "direction=ingress,protocol=tcp,port=22,remote_prefix=10.0.0.0/24",
            "direction=ingress,protocol=tcp,port=5201", "direction=ingress,protocol=icmp")
    s.vm("vm1", 11, ["sg-a"])
    s.vm("vm2", 12, ["sg-b"])
    wy = s.start(TwoPmdCtrlWyvern)
    pmds = wy.ctl("show", "pmd", json=True)["pmds"]
    assert sorted(p["lcore"] for p in pmds) == [1, 2], pmds
    ns1, ns2 = s.ns["vm1"], s.ns["vm2"]
    nc_listen(ns2, 22, "pm-22")
    nc_listen(ns1, 22, "pm-1")

    wait_connects(ns1, "10.0.0.12", 22, "pm-22")
    wy.ctl("stats", "clear")
    ports0 = {p["name"]: p["rx_packets"] for p in wy.ctl("show", "ports", json=True)["ports"]}
    # several connections, then a TCP stream with data both ways
    for _ in range(3):
        assert nc_connect(ns1, "10.0.0.12", 22) == "pm-22"
    srv = ns2.popen(["iperf3", "-s", "-1", "-B", "10.0.0.12"])
    time.sleep(0.5)
    r = ns1.run(["iperf3", "-c", "10.0.0.12", "-t", "2", "--bidir", "-J"], check=False,
                timeout=60)
    srv.wait(timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    res = jsonlib.loads(r.stdout)["end"]
    assert res["sum_received"]["bytes"] > 0 and res["sum_received_bidir_reverse"]["bytes"] > 0, res
    r = ns1.ping("10.0.0.12", count=3, interval=0.2)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout

    # each PMD polled its own port: vm1's packets (requests) on lcore 1,
    # vm2's (replies) on lcore 2, and both ran conntrack
    by_lcore = {p["lcore"]: p for p in wy.ctl("show", "pmd", json=True)["pmds"]}
    ports = {p["name"]: p["rx_packets"] - ports0[p["name"]]
             for p in wy.ctl("show", "ports", json=True)["ports"]}
    assert by_lcore[1]["rx_packets"] >= 100 and by_lcore[2]["rx_packets"] >= 100, by_lcore
    assert by_lcore[1]["rx_packets"] <= ports["vm1"], (by_lcore[1], ports)
    assert by_lcore[2]["rx_packets"] <= ports["vm2"], (by_lcore[2], ports)
    assert by_lcore[1]["recirculations"] > 0 and by_lcore[2]["recirculations"] > 0, by_lcore
    ct_mf = {m["pmd"] for m in wy.megaflows() if "ct(" in m["actions"]}
    assert ct_mf == {0, 1}, wy.megaflows()
    # nothing fell through as unsolicited in between
    assert wy.drops("acl-deny") == 0, wy.all_drops()
    # one table for both PMDs: the connection is in both ports' zones
    tcp = [c for c in conns(wy) if c["proto"] == 6 and "10.0.0.12:22" in c["orig"]]
    assert {c["zone"] for c in tcp} == {zone_of(wy, "vm1"), zone_of(wy, "vm2")}, tcp
    assert all(c["reply_seen"] for c in tcp), tcp

    # unsolicited: vm2 -> vm1 refused (from the PMD on lcore 2)
    refused([wy], ns2, "10.0.0.11", 22)
    r = ns2.ping("10.0.0.11", count=2, interval=0.2)
    assert r.returncode != 0, r.stdout
