"""Distributed L3: two networks joined by a router, namespaces on each side.

Static topology (wyctl, no database), one daemon for the module:
  network 1: vm1 (10.0.1.10, 2001:db8:1::10), vm3 (10.0.1.30)
  network 2: vm2 (10.0.2.20, 2001:db8:2::20)
  router 100: rport 101 on network 1 (10.0.1.1/24, 2001:db8:1::1/64, RA slaac)
              rport 102 on network 2 (10.0.2.1/24, 2001:db8:2::1/64)
The namespaces route via the router addresses.  Checked: ping across both
ways, iperf3 across, router addresses answer ping, `ping -t 1` across gets
ICMP time exceeded from the router, ARP for a known port is answered by the
datapath (the owner never sees the request), trace shows the ARP/ND and L3
stages, IPv6 ping across and to the router, SLAAC from router advertisements.
Plus a DB-driven variant: `wyctl router create r --add-subnet s1 --add-subnet
s2` compiled by the local controller, ping across.
"""
import ipaddress
import json
import os

import pytest
from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import ARP, Ether

import rig
from test_ctrl import CtrlWyvern, cleanup_all, nb, ping_ok, work  # noqa: F401 (fixtures)

R1 = "02:ee:00:00:00:01"
R2 = "02:ee:00:00:00:02"
VMS = {  # port: (mac, v4, v6, network, lport)
    "vm1": ("02:00:00:00:01:0a", "10.0.1.10", "2001:db8:1::10", 1, 11),
    "vm2": ("02:00:00:00:02:14", "10.0.2.20", "2001:db8:2::20", 2, 12),
    "vm3": ("02:00:00:00:01:1e", "10.0.1.30", None, 1, 13),
}


def eui64(prefix, mac):
    b = [int(x, 16) for x in mac.split(":")]
    b[0] ^= 2
    iid = "%02x%02x:%02xff:fe%02x:%02x%02x" % (b[0], b[1], b[2], b[3], b[4], b[5])
    return prefix + iid


class L3Rig:
    def __init__(self):
        self.ifaces = {n: rig.ifname("t") for n in VMS}
        self.wy = rig.Wyvern([(n, "net_tap%d,iface=%s" % (i, self.ifaces[n]))
                              for i, n in enumerate(VMS)])
        self.ns = {}

    def start(self):
        self.wy.start()
        for name, (mac, v4, _v6, net, _lk) in VMS.items():
            ns = rig.Namespace()
            ns.adopt(self.ifaces[name], mac, v4 + "/24")
            ns.run(["ip", "route", "add", "default", "via", "10.0.%d.1" % net])
            self.ns[name] = ns
        w = self.wy
        w.ctl("network", "add", 1)
        w.ctl("network", "add", 2)
        for name, (mac, v4, v6, net, lk) in VMS.items():
            ips = ["--ip", v4] + (["--ip", v6, "--ip", eui64("2001:db8:%d::" % net, mac)]
                                  if v6 else [])
            w.ctl("lport", "add", lk, "--network", net, "--mac", mac, *ips, "--port", name)
        w.ctl("router", "add", 100, "--name", "r1")
        w.ctl("rport", "add", 101, "--router", 100, "--network", 1, "--mac", R1,
              "--ip", "10.0.1.1/24", "--ip", "2001:db8:1::1/64", "--ra", "slaac")
        w.ctl("rport", "add", 102, "--router", 100, "--network", 2, "--mac", R2,
              "--ip", "10.0.2.1/24", "--ip", "2001:db8:2::1/64")
        return self

    def close(self):
        self.wy.stop()
        for ns in self.ns.values():
            ns.delete()


@pytest.fixture(scope="module")
def l3():
    r = L3Rig()
    try:
        r.start()
        yield r
    finally:
        r.close()


def icmp_stats(wy):
    return wy.ctl("show", "routers", json=True)["icmp"]


# ------------------------------------------------------------------ IPv4

def test_show_routers(l3):
    r = l3.wy.ctl("show", "routers", json=True)["routers"]
    assert len(r) == 1 and r[0]["key"] == 100, r
    ports = {p["key"]: p for p in r[0]["ports"]}
    assert set(ports) == {101, 102}, ports
    assert ports[101]["mac"] == R1 and "10.0.1.1/24" in ports[101]["ips"], ports


def test_ping_across_both_ways(l3):
    ping_ok(l3.ns["vm1"], "10.0.2.20")
    ping_ok(l3.ns["vm2"], "10.0.1.10")
    # the sender learned the router's MAC for its gateway
    out = l3.ns["vm1"].run(["ip", "neigh", "show", "10.0.1.1"]).stdout
    assert R1 in out, out


def test_router_ips_answer_ping(l3):
    before = icmp_stats(l3.wy)["echo_replies"]
    for ns, dst in (("vm1", "10.0.1.1"), ("vm1", "10.0.2.1"), ("vm2", "10.0.2.1"),
                    ("vm2", "10.0.1.1")):
        r = l3.ns[ns].ping(dst, count=2, interval=0.2)
        assert r.returncode == 0 and " 0% packet loss" in r.stdout, (ns, dst, r.stdout)
    assert icmp_stats(l3.wy)["echo_replies"] >= before + 8


def test_iperf3_across(l3):
    a, b = l3.ns["vm1"], l3.ns["vm2"]
    port = str(5301 + rig.uniq())
    srv = b.popen(["iperf3", "-s", "-1", "-B", "10.0.2.20", "-p", port, "-J"])
    rig.wait_for(lambda: ":%s" % port in b.run(["ss", "-ltnH"]).stdout,
                 timeout=15, what="iperf3 server to listen")
    cli = a.run(["iperf3", "-c", "10.0.2.20", "-p", port, "-t", "3", "-J"],
                check=False, timeout=60)
    srv_out, _ = srv.communicate(timeout=30)
    res = json.loads(cli.stdout)
    assert cli.returncode == 0 and "error" not in res, cli.stdout[-2000:]
    assert res["end"]["sum_sent"]["bytes"] > 0 and res["end"]["sum_received"]["bytes"] > 0
    assert json.loads(srv_out)["end"]["sum_received"]["bytes"] > 0


def test_ttl_expiry_answered_with_time_exceeded(l3):
    ping_ok(l3.ns["vm1"], "10.0.2.20")  # neighbours resolved
    before = icmp_stats(l3.wy)["time_exceeded"]
    r = l3.ns["vm1"].run(["ping", "-n", "-c", "2", "-i", "0.3", "-t", "1", "10.0.2.20"],
                         check=False)
    assert "From 10.0.1.1" in r.stdout and "Time to live exceeded" in r.stdout, r.stdout
    assert icmp_stats(l3.wy)["time_exceeded"] >= before + 2
    # TTL 2 gets through (one routed hop)
    r = l3.ns["vm1"].run(["ping", "-n", "-c", "1", "-t", "2", "10.0.2.20"], check=False)
    assert r.returncode == 0, r.stdout


def test_arp_for_known_port_answered_locally(l3):
    a, c = l3.ns["vm1"], l3.ns["vm3"]
    a.run(["ip", "neigh", "flush", "all"])
    with c.capture() as cap:
        r = a.ping("10.0.1.30", count=2, interval=0.2)
        assert r.returncode == 0, r.stdout
        cap.wait_for(lambda p: p.haslayer(ICMP) and p[ICMP].type == 8, what="echo at vm3")
    asked = [p.summary() for p in cap.packets()
             if p.haslayer(ARP) and p[ARP].op == 1 and p[ARP].psrc == "10.0.1.10"]
    assert not asked, "vm3 saw vm1's ARP requests: %s" % asked
    out = a.run(["ip", "neigh", "show", "10.0.1.30"]).stdout
    assert VMS["vm3"][0] in out, out
    # the router's address likewise
    a.run(["ip", "neigh", "flush", "all"])
    with c.capture() as cap:
        assert a.ping("10.0.1.1", count=1).returncode == 0
        assert a.ping("10.0.1.30", count=1).returncode == 0
        cap.wait_for(lambda p: p.haslayer(ICMP) and p[ICMP].type == 8, what="echo at vm3")
    assert not [p for p in cap.packets() if p.haslayer(ARP) and p[ARP].pdst == "10.0.1.1"]


def test_trace_shows_arp_and_l3_stages(l3):
    ids = l3.wy.port_ids()
    mac1 = VMS["vm1"][0]
    flow = "ip,eth_src=%s,eth_dst=%s,ip_src=10.0.1.10,ip_dst=10.0.2.20,ip_ttl=64" % (mac1, R1)
    t = l3.wy.ctl("trace", "vm1", flow, json=True)
    assert t["megaflow"]["actions"] == ("dec_ttl,set_eth_src:%s,set_eth_dst:%s,output:%d" %
                                        (R2, VMS["vm2"][0], ids["vm2"])), t
    assert "l3-routing" in t["stages"] and "router port 101" in t["stages"], t["stages"]
    arp = (Ether(src=mac1, dst="ff:ff:ff:ff:ff:ff") /
           ARP(op=1, hwsrc=mac1, psrc="10.0.1.10", pdst="10.0.1.1"))
    t = l3.wy.ctl("trace", "vm1", "--hex", bytes(arp).hex(), json=True)
    assert t["megaflow"]["actions"] == "arp_reply:%s,output:%d" % (R1, ids["vm1"]), t
    assert "arp-nd" in t["stages"], t["stages"]
    out = l3.wy.ctl("trace", "vm1", flow).stdout
    assert "l3-routing" in out and "connected 10.0.2.20" in out, out


# ------------------------------------------------------------------ IPv6

def enable_v6(ns, iface, addr, gw):
    ns.run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=0" % iface])
    ns.run(["ip", "-6", "addr", "add", addr, "dev", iface, "nodad"])
    ns.run(["ip", "-6", "route", "replace", "default", "via", gw, "dev", iface])


@pytest.fixture(scope="module")
def l3v6(l3):
    for name in ("vm1", "vm2"):
        _mac, _v4, v6, net, _lk = VMS[name]
        enable_v6(l3.ns[name], l3.ifaces[name], v6 + "/64", "2001:db8:%d::1" % net)
    return l3


def ping6_ok(ns, dst, timeout=20.0):
    rig.wait_for(lambda: ns.run(["ping", "-6", "-n", "-c", "1", "-W", "1", dst],
                                check=False).returncode == 0,
                 timeout=timeout, interval=0.2, what="%s: ping6 %s" % (ns.name, dst))


def test_ipv6_ping_across_and_router(l3v6):
    ping6_ok(l3v6.ns["vm1"], "2001:db8:2::20")
    ping6_ok(l3v6.ns["vm2"], "2001:db8:1::10")
    ping6_ok(l3v6.ns["vm1"], "2001:db8:1::1")
    ping6_ok(l3v6.ns["vm1"], "2001:db8:2::1")
    out = l3v6.ns["vm1"].run(["ip", "-6", "neigh", "show", "2001:db8:1::1"]).stdout
    assert R1 in out, out
    r = l3v6.ns["vm1"].run(["ping", "-6", "-n", "-c", "1", "-t", "1", "2001:db8:2::20"],
                           check=False)
    assert "2001:db8:1::1" in r.stdout and "Time exceeded" in r.stdout, r.stdout


def test_slaac_from_router_advertisement(l3v6):
    """vm1's network advertises 2001:db8:1::/64 (slaac): a solicitation at link-up
    gets an RA, the namespace configures its EUI-64 address and a default route
    via the router's link-local address, and that address routes."""
    ns, ifc, mac = l3v6.ns["vm1"], l3v6.ifaces["vm1"], VMS["vm1"][0]
    before = icmp_stats(l3v6.wy)["ra_sent"]
    for k, v in (("accept_ra", 2), ("autoconf", 1), ("router_solicitation_interval", 1)):
        ns.run(["sysctl", "-qw", "net.ipv6.conf.%s.%s=%d" % (ifc, k, v)])
    ns.run(["ip", "link", "set", ifc, "down"])
    ns.run(["ip", "link", "set", ifc, "up"])
    want = str(ipaddress.IPv6Address(eui64("2001:db8:1::", mac)))
    rig.wait_for(lambda: want in ns.run(["ip", "-6", "addr", "show", "dev", ifc]).stdout,
                 timeout=30, interval=0.2, what="SLAAC address %s" % want)
    assert icmp_stats(l3v6.wy)["ra_sent"] > before
    out = ns.run(["ip", "-6", "route", "show", "default"]).stdout
    assert "fe80::" in out or "2001:db8:1::1" in out, out
    ping6_ok(ns, "2001:db8:2::20")
    ns.run(["ip", "-6", "route", "replace", "default", "via", "2001:db8:1::1", "dev", ifc])


# ------------------------------------------------------------------ DB-driven

def test_db_router_create_add_subnets(work, cleanup_all):  # noqa: F811
    url = "rocksdb:%s/db" % work
    ch = "wyt%d-l3" % rig.RUN_ID
    nb(url, "network", "create", "n1")
    nb(url, "subnet", "create", "s1", "--network", "n1", "--cidr", "10.1.1.0/24")
    nb(url, "network", "create", "n2")
    nb(url, "subnet", "create", "s2", "--network", "n2", "--cidr", "10.1.2.0/24")
    p1 = nb(url, "port", "create", "pa", "--network", "n1", "--host", ch,
            "--fixed-ip", "subnet=s1,ip=10.1.1.10")
    p2 = nb(url, "port", "create", "pb", "--network", "n2", "--host", ch,
            "--fixed-ip", "subnet=s2,ip=10.1.2.20")
    nb(url, "router", "create", "r", "--add-subnet", "s1", "--add-subnet", "s2")
    taps = [rig.ifname("t"), rig.ifname("t")]
    wy = CtrlWyvern([("pa", "net_tap0,iface=%s" % taps[0], p1["id"]),
                     ("pb", "net_tap1,iface=%s" % taps[1], p2["id"])],
                    dict(db=url, chassis=ch, replica=os.path.join(work, "replica"))).start()
    wy.wait_connected(True)
    routers = rig.wait_for(
        lambda: (lambda r: r if r and len(r[0]["ports"]) == 2 else None)(
            wy.ctl("show", "routers", json=True)["routers"]),
        timeout=20, what="router with 2 ports compiled")
    ips = sorted(ip for p in routers[0]["ports"] for ip in p["ips"])
    assert ips == ["10.1.1.1/24", "10.1.2.1/24"], routers
    st = wy.ctrl()
    assert st["table_errors"] == 0 and st["bad_now"] == 0, st
    a, b = rig.Namespace(), rig.Namespace()
    a.adopt(taps[0], p1["mac_address"], "10.1.1.10/24")
    b.adopt(taps[1], p2["mac_address"], "10.1.2.20/24")
    a.run(["ip", "route", "add", "default", "via", "10.1.1.1"])
    b.run(["ip", "route", "add", "default", "via", "10.1.2.1"])
    ping_ok(a, "10.1.2.20")
    ping_ok(b, "10.1.1.10")
    ping_ok(a, "10.1.2.1")
    # detaching a subnet removes its router port: no more routing
    wy.wy("router", "update", "r", "--remove-subnet", "s2")
    rig.wait_for(lambda: len(wy.ctl("show", "routers", json=True)["routers"][0]["ports"]) == 1,
                 timeout=20, what="router port removed")
    r = a.ping("10.1.2.20", count=2, interval=0.2)
    assert r.returncode != 0, r.stdout
