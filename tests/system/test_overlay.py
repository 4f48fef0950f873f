"""The overlay between chassis: VXLAN and Geneve, and interop with Linux VXLAN.

1. Two wyvernd "chassis" on this machine, one etcd.  Their uplinks are the
   two ends of a veth pair (af_packet ports), with VTEPs 192.0.2.1 and
   192.0.2.2; neither knows the other's underlay MAC (resolved by ARP).
   NB: network blue (10.0.0.0/24) with vm1 on A and vm2 on B; network red
   (10.1.0.0/24) with vm3 on B; router r joining blue and red.
   Checked, for [ctrl] encap = vxlan and = geneve: L2 ping vm1 <-> vm2, L3
   ping vm1 -> vm3 (routed on A, tunnelled to B), iperf3 across, broadcast
   (ARP) replicated head-end, the outer headers on the underlay (UDP port,
   VNI, VTEP addresses, outer source port varying with the inner flow) by
   tshark, the network MTU leaving room for the encapsulation, `wyctl trace`
   showing the tunnel stages on both sides.
2. Interop: one wyvernd (static config) and a Linux kernel VXLAN device in
   a namespace as the remote VTEP (VNI 100, dstport 4789); a wyvern port and
   the kernel's vxlan interface ping each other; tshark on the underlay shows
   correct outer headers both ways.
3. Provider VLAN network through the uplink: 802.1Q tag pushed/popped.
"""
import json as jsonlib
import os
import time

import pytest

import etcd
import rig
from test_ctrl import CtrlWyvern, chassis_name, nb, ping_ok

needs_etcd = pytest.mark.skipif(not etcd.available(), reason="etcd not installed")
VTEP_A, VTEP_B = "192.0.2.1", "192.0.2.2"


def underlay_pair():
    """Two veth ends in the root namespace, no addresses, no IPv6."""
    a, b = rig.ifname("ua"), rig.ifname("ub")
    rig.sh(["ip", "link", "add", a, "type", "veth", "peer", "name", b])
    rig.CLEANUP.add(lambda: rig.sh(["ip", "link", "del", a], check=False))
    for i in (a, b):
        rig.sh(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % i], check=False)
        rig.sh(["ip", "link", "set", i, "up"])
    return a, b


def vm_ns(tap, mac, cidr, mtu=None, gw=None):
    ns = rig.Namespace()
    ns.adopt(tap, mac, cidr)
    if mtu:
        ns.run(["ip", "link", "set", tap, "mtu", str(mtu)])
    if gw:
        ns.run(["ip", "route", "add", "default", "via", gw])
    return ns


def iperf_across(client, server_ns, server_ip, seconds=2):
    srv = server_ns.popen(["iperf3", "-s", "-1", "-B", server_ip])
    time.sleep(0.5)
    r = client.run(["iperf3", "-c", server_ip, "-t", str(seconds), "-J"], check=False,
                   timeout=60)
    srv.wait(timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    bps = jsonlib.loads(r.stdout)["end"]["sum_received"]["bits_per_second"]
    assert bps > 1e6, bps
    return bps


# ---------------------------------------------------------------- two chassis

@pytest.fixture(params=["vxlan", "geneve"])
def two_chassis(request, tmp_path):
    if not etcd.available():
        pytest.skip("etcd not installed")
    encap = request.param
    mine = []
    with rig.CLEANUP._lock:
        before = set(map(id, rig.CLEANUP._items))
    cl = etcd.EtcdCluster(1).start()
    url = cl.url
    cha, chb = chassis_name("oa" + encap[0]), chassis_name("ob" + encap[0])
    nb(url, "network", "create", "blue")
    nb(url, "subnet", "create", "blue4", "--network", "blue", "--cidr", "10.0.0.0/24")
    nb(url, "network", "create", "red")
    nb(url, "subnet", "create", "red4", "--network", "red", "--cidr", "10.1.0.0/24")
    p1 = nb(url, "port", "create", "vm1", "--network", "blue", "--host", cha,
            "--fixed-ip", "subnet=blue4,ip=10.0.0.11")
    p2 = nb(url, "port", "create", "vm2", "--network", "blue", "--host", chb,
            "--fixed-ip", "subnet=blue4,ip=10.0.0.12")
    p3 = nb(url, "port", "create", "vm3", "--network", "red", "--host", chb,
            "--fixed-ip", "subnet=red4,ip=10.1.0.13")
    nb(url, "router", "create", "r", "--add-subnet", "blue4", "--add-subnet", "red4")
    ua, ub = underlay_pair()
    taps = [rig.ifname("t") for _ in range(3)]

    def daemon(ch, vtep, up, plist):
        ports = [("up", "net_af_packet0,iface=%s" % up, None)]
        ports += [(p["name"], "net_tap%d,iface=%s" % (i, taps[int(p["name"][2]) - 1]), p["id"])
                  for i, p in enumerate(plist)]
        return CtrlWyvern(ports, {"db": url, "chassis": ch, "vtep-ip": vtep, "uplink": "up",
                                  "encap": encap,
                                  "replica": str(tmp_path / ("replica-" + ch))})
    a = daemon(cha, VTEP_A, ua, [p1]).start()
    b = daemon(chb, VTEP_B, ub, [p2, p3]).start()
    a.wait_connected(True)
    b.wait_connected(True)
    mtu = 1500 - (58 if encap == "geneve" else 50)
    ns1 = vm_ns(taps[0], p1["mac_address"], "10.0.0.11/24", mtu, "10.0.0.1")
    ns2 = vm_ns(taps[1], p2["mac_address"], "10.0.0.12/24", mtu, "10.0.0.1")
    ns3 = vm_ns(taps[2], p3["mac_address"], "10.1.0.13/24", mtu, "10.1.0.1")
    yield dict(encap=encap, a=a, b=b, ua=ua, ub=ub, ns=(ns1, ns2, ns3), mtu=mtu, url=url)
    with rig.CLEANUP._lock:
        mine = [fn for fn in rig.CLEANUP._items if id(fn) not in before]
    for fn in reversed(mine):
        rig.CLEANUP.run(fn)


def test_two_chassis_l2_l3_and_outer_headers(two_chassis):
    t = two_chassis
    a, b, (ns1, ns2, ns3) = t["a"], t["b"], t["ns"]
    port = 6081 if t["encap"] == "geneve" else 4789
    # the overlay is configured from [ctrl] and each learned the other's VTEP MAC
    for wy, peer in ((a, VTEP_B), (b, VTEP_A)):
        ov = rig.wait_for(lambda wy=wy, peer=peer: (lambda o: o if any(
            v["ip"] == peer and v["resolved"] for v in o["vteps"]) else None)(
                wy.ctl("show", "overlay", json=True)),
            timeout=20, what="VTEP %s resolved" % peer)
        assert ov["enabled"] and ov["encap"] == t["encap"], ov
        assert [v["encap"] for v in ov["vteps"] if v["ip"] == peer] == [t["encap"]], ov
    # networks: the remote chassis is in blue's head-end list; MTU leaves room
    nets = {n["name"]: n for n in a.ctl("show", "networks", json=True)["networks"]}
    assert nets["blue"]["flood_vteps"] == [VTEP_B], nets
    assert nets["blue"]["mtu"] == t["mtu"] and nets["blue"]["type"] == "overlay", nets
    assert nets["blue"]["vni"] > 0

    # af_packet sends bypass the qdisc (and so tcpdump) on the sender's end:
    # each end's capture shows what the other chassis sent
    with rig.Capture(None, t["ua"]) as cap_a, rig.Capture(None, t["ub"]) as cap_b:
        ping_ok(ns1, "10.0.0.12")          # L2 across: ARP broadcast head-end + unicast
        ping_ok(ns2, "10.0.0.11")
        ping_ok(ns1, "10.1.0.13")          # L3 across: routed on A, tunnelled to B
        ping_ok(ns3, "10.0.0.11")          # and back, routed on B
    fields = ["ip.src", "ip.dst", "udp.srcport", "udp.dstport",
              "vxlan.vni" if port == 4789 else "geneve.vni", "eth.src"]
    flt = "udp.dstport == %d" % port
    rows = cap_a.tshark_fields(fields, flt) + cap_b.tshark_fields(fields, flt)
    assert len(rows) >= 8, rows
    blue_vni = nets["blue"]["vni"]
    red_vni = {n["name"]: n for n in a.ctl("show", "networks", json=True)["networks"]}["red"]["vni"]
    seen_vnis, sports = set(), set()
    for src, dst, sport, dport, vni, _ in rows:
        outer_src, outer_dst = src.split(",")[0], dst.split(",")[0]
        assert {outer_src, outer_dst} == {VTEP_A, VTEP_B}, (src, dst)
        assert dport == str(port)
        assert 49152 <= int(sport) <= 65535, sport
        seen_vnis.add(int(vni, 0))   # tshark: geneve.vni in hex
        sports.add(sport)
    assert seen_vnis == {blue_vni, red_vni}, (seen_vnis, blue_vni, red_vni)
    # A routed vm1 -> vm3 itself: it arrived at B in red's VNI, from A's VTEP
    assert [r for r in rows if r[0] == VTEP_A + ",10.0.0.11" and r[1] == VTEP_B + ",10.1.0.13"
            and int(r[4], 0) == red_vni], rows
    assert len(sports) > 1, sports   # the outer source port follows the inner flow

    # TCP across both ways, at the network MTU
    iperf_across(ns1, ns2, "10.0.0.12")
    iperf_across(ns3, ns1, "10.0.0.11")
    for wy in (a, b):
        d = wy.all_drops()
        assert d.get("encap-too-big", 0) == 0 and d.get("bad-tunnel", 0) == 0, d

    # trace: A encapsulates toward B's VTEP; B decapsulates and delivers
    lp = {p["name"]: p for p in a.ctl("show", "lports", json=True)["lports"]}
    tr = a.ctl("trace", "vm1", "eth_src=%s,eth_dst=%s,udp,ip_src=10.0.0.11,ip_dst=10.0.0.12,"
               "udp,tp_src=1,tp_dst=2" % (lp["vm1"]["macs"][0], lp["vm2"]["macs"][0]), json=True)
    assert "behind VTEP %s" % VTEP_B in tr["stages"], tr["stages"]
    # (the ports are in their project's default security group: the first
    # pass may be ct() + recirc, the encapsulation then follows it)
    acts = tr["megaflow"]["actions"] + " " + (tr.get("recirc_actions") or "")
    assert "tnl_push:%s" % t["encap"] in acts, tr
    tr = b.ctl("trace", "up", "tun_src=%s,tun_dst=%s,tun_vni=%d,eth_src=%s,eth_dst=%s,udp,"
               "ip_src=10.0.0.11,ip_dst=10.0.0.12,tp_src=1,tp_dst=2" % (
                   VTEP_A, VTEP_B, blue_vni, lp["vm1"]["macs"][0], lp["vm2"]["macs"][0]),
               json=True)
    assert "tunnel from VTEP %s" % VTEP_A in tr["stages"], tr["stages"]
    # decapsulated on delivery (after vm2's ingress conntrack pass, if any)
    acts = tr["megaflow"]["actions"]
    assert acts.startswith("tnl_pop") or (
        acts.startswith("ct(") and "tnl_pop,output" in (tr.get("recirc_actions") or "")), tr
    # an unknown VNI is dropped and said so
    tr = b.ctl("trace", "up", "tun_src=%s,tun_dst=%s,tun_vni=4242,eth_src=02:00:00:00:00:99,"
               "eth_dst=ff:ff:ff:ff:ff:ff,ip" % (VTEP_A, VTEP_B), json=True)
    assert "no-segment" in tr["megaflow"]["actions"], tr


def test_two_chassis_port_moves_and_vtep_goes(two_chassis):
    """vm2 deleted on B: A's head-end list and B's VTEP entry at A follow."""
    t = two_chassis
    a = t["a"]
    nb(t["url"], "port", "delete", "vm2")
    nb(t["url"], "router", "update", "r", "--remove-subnet", "blue4", "--remove-subnet", "red4")
    nb(t["url"], "router", "delete", "r")
    nb(t["url"], "port", "delete", "vm3")

    def gone():
        nets = {n["name"]: n for n in a.ctl("show", "networks", json=True)["networks"]}
        vteps = a.ctl("show", "overlay", json=True)["vteps"]
        return nets.get("blue", {}).get("flood_vteps") == [] and not vteps
    rig.wait_for(gone, timeout=20, what="A forgets B's VTEP")
    # broadcast from vm1 now stays on A: nothing leaves on the uplink
    with rig.Capture(None, t["ua"]) as cap:
        t["ns"][0].ping("10.0.0.12", count=2, interval=0.2)
    assert not [p for p in cap.packets() if p.haslayer("UDP")], "tunnel traffic after the last remote port left"


# ---------------------------------------------------------------- interop

@pytest.fixture
def kernel_peer():
    """wyvernd (static) with vm1 and an uplink; a namespace K holding the
    underlay peer (192.0.2.2) and a kernel vxlan device vx0 (VNI 100) with
    10.0.0.12/24 as the 'remote VM'."""
    ua, ub = underlay_pair()
    tap = rig.ifname("t")
    wy = CtrlWyvern([("up", "net_af_packet9,iface=%s" % ua, None),
                     ("vm1", "net_tap9,iface=%s" % tap, None)],
                    {"vtep-ip": VTEP_A, "uplink": "up", "encap": "vxlan"})
    wy.start()
    k = rig.Namespace()
    k.adopt(ub, "02:00:00:00:0b:02", VTEP_B + "/24")
    k.run(["ip", "link", "add", "vx0", "type", "vxlan", "id", "100", "local", VTEP_B,
           "remote", VTEP_A, "dstport", "4789", "dev", ub])
    k.run(["ip", "link", "set", "vx0", "mtu", "1450"])
    k.configure("vx0", "02:00:00:00:0c:12", "10.0.0.12/24")
    k.iface = ub
    ns1 = vm_ns(tap, "02:00:00:00:0c:11", "10.0.0.11/24", 1450)
    wy.ctl("network", "add", "1", "--name", "blue", "--vni", "100", "--mtu", "1450",
           "--flood-vtep", VTEP_B)
    wy.ctl("vtep", "add", VTEP_B)     # resolved by ARP on the uplink
    wy.ctl("lport", "add", "1", "--network", "1", "--mac", "02:00:00:00:0c:11",
           "--ip", "10.0.0.11", "--port", "vm1")
    wy.ctl("lport", "add", "2", "--network", "1", "--mac", "02:00:00:00:0c:12",
           "--ip", "10.0.0.12", "--remote-vtep", VTEP_B)
    yield wy, k, ns1
    wy.stop()


def test_kernel_vxlan_interop(kernel_peer):
    wy, k, ns1 = kernel_peer
    rig.wait_for(lambda: [v for v in wy.ctl("show", "overlay", json=True)["vteps"]
                          if v["resolved"] and v["mac"] == "02:00:00:00:0b:02"],
                 timeout=20, what="kernel VTEP's MAC learned by ARP")
    with k.capture() as cap:
        ping_ok(ns1, "10.0.0.12")       # wyvern port -> kernel vxlan
        r = k.run(["ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", "10.0.0.11"], check=False)
        assert r.returncode == 0, r.stdout   # kernel -> wyvern port
    rows = cap.tshark_fields(["eth.src", "eth.dst", "ip.src", "ip.dst", "udp.dstport",
                              "vxlan.vni", "vxlan.flags", "icmp.type"],
                             display_filter="vxlan && icmp")
    assert rows, "no VXLAN-encapsulated ICMP on the underlay"
    to_kernel = [r for r in rows if r[2].split(",")[0] == VTEP_A]
    from_kernel = [r for r in rows if r[2].split(",")[0] == VTEP_B]
    assert to_kernel and from_kernel, rows
    for eth_src, eth_dst, ip_src, ip_dst, dport, vni, flags, _ in to_kernel:
        assert eth_dst.split(",")[0] == "02:00:00:00:0b:02", eth_dst   # learned VTEP MAC
        assert ip_dst.split(",")[0] == VTEP_B and dport == "4789" and vni == "100"
        assert int(flags, 16) & 0x0800, flags                           # I flag
        assert ip_src.split(",")[1] in ("10.0.0.11", "10.0.0.12")      # inner
    ov = wy.ctl("show", "overlay", json=True)
    assert ov["vtep_ip"] == VTEP_A
    # what the kernel sent: decapsulated, no drops
    d = wy.all_drops()
    assert d.get("bad-tunnel", 0) == 0 and d.get("no-segment", 0) == 0, d
    # a wrong VNI from the kernel side is dropped and counted
    k.run(["ip", "link", "add", "vx1", "type", "vxlan", "id", "101", "local", VTEP_B,
           "remote", VTEP_A, "dstport", "4789", "dev", k.iface])
    k.run(["ip", "addr", "add", "10.9.0.2/24", "dev", "vx1"])
    k.run(["ip", "link", "set", "vx1", "up"])
    k.run(["ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", "10.9.0.1"], check=False)
    rig.wait_for(lambda: wy.all_drops().get("no-segment", 0) > 0, timeout=10,
                 what="unknown VNI counted")


# ---------------------------------------------------------------- provider VLAN

def test_provider_vlan_through_the_uplink(kernel_peer):
    """A VLAN provider network (vlan 30) shares the uplink: what its port
    sends leaves the uplink 802.1Q-tagged, and tagged frames from the
    physical side reach the port untagged.  (This kernel has no 8021q
    module, so the physical host is played by scapy in namespace K.)"""
    from scapy.all import ICMP, IP, Dot1Q, Ether
    wy, k, _ = kernel_peer
    tap = rig.ifname("t")
    wy.ctl("port", "add", "vm5", "net_tap7,iface=%s" % tap)
    ns5 = vm_ns(tap, "02:00:00:00:0d:05", "10.30.0.5/24")
    ns5.run(["ip", "neigh", "add", "10.30.0.6", "lladdr", "02:00:00:00:0d:06", "dev", tap])
    wy.ctl("network", "add", "30", "--name", "prov30", "--vlan", "30")
    wy.ctl("lport", "add", "5", "--network", "30", "--mac", "02:00:00:00:0d:05",
           "--ip", "10.30.0.5", "--port", "vm5")
    with k.capture() as cap:
        ns5.ping("10.30.0.6", count=2, interval=0.2)        # out: tagged
        req = (Ether(src="02:00:00:00:0d:06", dst="02:00:00:00:0d:05") / Dot1Q(vlan=30) /
               IP(src="10.30.0.6", dst="10.30.0.5") / ICMP(id=77, seq=1))
        k.send_frames([req], count=3)                       # in: tagged -> popped
        time.sleep(1.0)
    rows = cap.tshark_fields(["vlan.id", "icmp.type", "ip.src", "eth.src"], display_filter="icmp")
    sent_by_vm = [r for r in rows if r[2] == "10.30.0.5"]
    assert sent_by_vm, rows
    assert all(r[0] == "30" for r in sent_by_vm), rows
    # the port answered the tagged requests: echo replies (type 0) came back, tagged
    assert [r for r in sent_by_vm if r[1] == "0"], rows
    nets = {n["name"]: n for n in wy.ctl("show", "networks", json=True)["networks"]}
    assert nets["prov30"]["type"] == "vlan" and nets["prov30"]["vlan"] == 30, nets
    # an untagged frame has no (flat) network here: counted, not delivered
    before = wy.all_drops().get("no-segment", 0)
    k.send_frames([Ether(src="02:00:00:00:0d:06", dst="02:00:00:00:0d:05") /
                   IP(src="10.30.0.6", dst="10.30.0.5") / ICMP()], count=2)
    rig.wait_for(lambda: wy.all_drops().get("no-segment", 0) >= before + 2, timeout=10,
                 what="untagged frame counted as no-segment")
