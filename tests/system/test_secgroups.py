"""Stateful security groups end to end: northbound security groups -> central
db (embedded RocksDB) -> wyvernd's controller -> the datapath's ACLs and
conntrack -> real traffic between two namespaces (ping, busybox nc).

vm1 (10.0.0.11) is in sg-a: the default rules only (egress any IPv4/IPv6, no
ingress).  vm2 (10.0.0.12) is in sg-b: the default egress rules plus ingress
TCP 22 from 10.0.0.0/24.  So:
  - vm1 -> vm2 TCP 22 connects (vm2's rule; the replies reach vm1 as an
    established connection although vm1 allows no ingress at all);
  - vm1 -> vm2 TCP 23 does not (acl-deny on vm2's ingress);
  - vm1 pings vm2: refused until an ICMP ingress rule is added to sg-b;
  - vm2 pings vm1: refused (unsolicited ingress to vm1);
  - show conntrack lists the connections, conntrack flush removes them;
  - deleting vm2 flushes its conntrack zone.
"""
import os
import re
import time

import rig
from test_ctrl import CtrlWyvern, chassis_name, cleanup_all, nb, work  # noqa: F401


def nc_listen(ns, port, reply):
    """A persistent busybox nc server answering `reply` to every connection."""
    return ns.popen(["busybox", "nc", "-ll", "-p", str(port), "-e", "/bin/echo", reply])


def nc_connect(ns, ip, port, timeout=3):
    r = ns.run(["busybox", "nc", "-w", str(timeout), ip, str(port)], check=False,
               timeout=timeout + 10)
    return r.stdout.strip()


def test_stateful_security_groups(work, cleanup_all):  # noqa: F811
    url = "rocksdb:%s/db" % work
    ch = chassis_name("sg")
    nb(url, "network", "create", "blue")
    nb(url, "subnet", "create", "blue-v4", "--network", "blue", "--cidr", "10.0.0.0/24")
    nb(url, "security-group", "create", "sg-a")
    nb(url, "security-group", "create", "sg-b", "--add-rule",
       "direction=ingress,protocol=tcp,port=22,remote_prefix=10.0.0.0/24")
    ports = {}
    for i, sg in ((1, "sg-a"), (2, "sg-b")):
        ports["vm%d" % i] = nb(url, "port", "create", "vm%d" % i, "--network", "blue",
                               "--host", ch, "--security-group", sg,
                               "--fixed-ip", "subnet=blue-v4,ip=10.0.0.1%d" % i)
    taps = [rig.ifname("t"), rig.ifname("t")]
    wy = CtrlWyvern([("vm%d" % i, "net_tap%d,iface=%s" % (i - 1, taps[i - 1]),
                      ports["vm%d" % i]["id"]) for i in (1, 2)],
                    dict(db=url, chassis=ch, replica=os.path.join(work, "replica"))).start()
    wy.wait_connected(True)
    rig.wait_for(lambda: wy.ctrl()["held"]["port"] == 2, what="2 ports held")
    st = wy.ctrl()
    assert st["bad_now"] == 0 and st["table_errors"] == 0, st

    ns = []
    for i in (1, 2):
        n = rig.Namespace()
        n.adopt(taps[i - 1], ports["vm%d" % i]["mac_address"], "10.0.0.1%d/24" % i)
        ns.append(n)
    # static neighbours: the ACL decisions, not ARP timing, decide below
    ns[0].run(["ip", "neigh", "replace", "10.0.0.12", "lladdr", ports["vm2"]["mac_address"],
               "dev", taps[0], "nud", "permanent"])
    ns[1].run(["ip", "neigh", "replace", "10.0.0.11", "lladdr", ports["vm1"]["mac_address"],
               "dev", taps[1], "nud", "permanent"])

    # TCP 22 allowed by sg-b, replies pass vm1's ingress as established
    nc_listen(ns[1], 22, "hello-22")
    nc_listen(ns[1], 23, "hello-23")
    time.sleep(0.3)
    got = rig.wait_for(lambda: nc_connect(ns[0], "10.0.0.12", 22) == "hello-22" or None,
                       timeout=20, interval=0.2, what="nc 10.0.0.12 22 answered")
    assert got
    conns = wy.ctl("show", "conntrack", json=True)["connections"]
    tcp22 = [c for c in conns if c["proto"] == 6 and ":22" in c["orig"]]
    assert tcp22, conns
    # both ports' zones hold the connection (vm1's egress, vm2's ingress)
    assert len({c["zone"] for c in tcp22}) == 2, tcp22

    # TCP 23: no rule -> acl-deny, nothing comes back
    before = wy.drops("acl-deny")
    assert nc_connect(ns[0], "10.0.0.12", 23) == ""
    rig.wait_for(lambda: wy.drops("acl-deny") > before, what="acl-deny drops rise (tcp 23)")

    # trace follows the recirculations and names the deciding rule
    # (a SYN: the trace looks conntrack up, and only a SYN opens a TCP
    # connection)
    flow = "tcp,eth_src=%s,eth_dst=%s,ip_src=10.0.0.11,ip_dst=10.0.0.12,tp_src=%%d," \
        "tp_dst=%%d,tcp_flags=%%s" % (ports["vm1"]["mac_address"], ports["vm2"]["mac_address"])
    t = wy.ctl("trace", "vm1", flow % (40000, 23, "0x002"), json=True)
    assert "ct(zone=" in t["megaflow"]["actions"], t
    assert "conntrack says ct_state=new|trk (no connection)" in t["stages"], t["stages"]
    assert "ct_state new|trk, no rule allows it" in t["stages"], t["stages"]
    assert "drop:acl-deny" in t["recirc_actions"], t
    t = wy.ctl("trace", "vm1", flow % (40000, 22, "0x002"), json=True)
    assert "ct_state new|trk, allowed by rule" in t["stages"], t["stages"]
    assert "output:" in t["recirc_actions"], t
    # the connection nc made: conntrack knows it, read-only
    sport = int(re.search(r":(\d+)->", tcp22[0]["orig"]).group(1))
    t = wy.ctl("trace", "vm1", flow % (sport, 22, "0x010"), json=True)
    assert re.search(r"ct_zone=\d+: conntrack says ct_state=est\|trk", t["stages"]), t["stages"]
    assert "committed under rule" in t["stages"], t["stages"]

    # ping vm1 -> vm2: sg-b has no ICMP ingress rule
    before = wy.drops("acl-deny")
    r = ns[0].ping("10.0.0.12", count=2, interval=0.2)
    assert r.returncode != 0, r.stdout
    rig.wait_for(lambda: wy.drops("acl-deny") >= before + 2, what="acl-deny drops >= +2")
    # unsolicited vm2 -> vm1: sg-a allows no ingress
    r = ns[1].ping("10.0.0.11", count=2, interval=0.2)
    assert r.returncode != 0, r.stdout

    # add ICMP ingress to sg-b: vm1 -> vm2 pings now work (replies est|rpl)
    wy.wy("security-group", "update", "sg-b", "--add-rule", "direction=ingress,protocol=icmp")
    rig.wait_for(lambda: ns[0].ping("10.0.0.12", count=1, interval=0.2).returncode == 0,
                 timeout=20, interval=0.2, what="ping vm1 -> vm2 after the ICMP rule")
    r = ns[0].ping("10.0.0.12", count=3, interval=0.2)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout
    # still refused the other way (vm1's group did not change)
    r = ns[1].ping("10.0.0.11", count=2, interval=0.2)
    assert r.returncode != 0, r.stdout

    pmd = wy.ctl("show", "pmd", json=True)
    assert pmd["conntrack"]["committed"] >= 2, pmd["conntrack"]
    assert sum(p["recirculations"] for p in pmd["pmds"]) > 0, pmd["pmds"]
    text = wy.ctl("show", "conntrack").stdout
    assert "tcp" in text and "connection(s)" in text, text

    # flush: everything goes
    flushed = wy.ctl("conntrack", "flush", json=True)["flushed"]
    assert flushed >= 2
    left = [c for c in wy.ctl("show", "conntrack", json=True)["connections"]
            if c["proto"] == 6 and ":22" in c["orig"]]
    assert left == [], left
    bad = wy.ctl("show", "conntrack", "--zone", "x", check=False)
    assert bad.returncode != 0

    # deleting a port flushes its zone: new connections in vm2's zone, then
    # vm2 goes
    zone2 = wy.lports()["vm2"]["key"] & 0xffff
    r = ns[0].ping("10.0.0.12", count=2, interval=0.2)
    assert r.returncode == 0, r.stdout
    mine = wy.ctl("show", "conntrack", "--zone", zone2, json=True)["connections"]
    assert mine and all(c["zone"] == zone2 for c in mine), mine
    wy.wy("port", "delete", "vm2")
    rig.wait_for(lambda: not wy.ctl("show", "conntrack", "--zone", zone2,
                                    json=True)["connections"],
                 timeout=20, interval=0.2, what="vm2's conntrack zone flushed")
