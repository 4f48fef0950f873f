"""Gateway SNAT ([ctrl] snat = gateway) and its failover.

Two wyvernd on one etcd, both `gateway = true`: chassis A (priority 200,
no VM) and chassis B (priority 100, the VM).  Their uplinks and the
upstream router (172.24.4.1, the external subnet's gateway) meet on a
bridge in the upstream namespace, as in test_nat.py's two-chassis tests;
the overlay between the chassis runs over the same uplinks.  Checked:
- every controller elects A (`show chassis`, `show nat`, `show routers`);
- the VM (no floating IP) on B reaches the upstream: ping and TCP; tshark
  on A's uplink shows the source = the router's gateway IP, from A's MAC
  for it; nothing leaves B's uplink toward the upstream un-tunneled;
- A's wyvernd is SIGKILLed: its liveness lease expires, B takes over,
  announces the gateway IP by gratuitous ARP (seen upstream, and the
  upstream's neighbor entry follows), and a NEW connection works, leaving
  B's uplink from the gateway IP.  The time from the kill to the first
  working new connection is printed (`INFO failover_s=...`), never asserted
  beyond a generous bound.
"""
import os
import signal
import time

import pytest

import etcd
import rig
from test_api import OPENSTACK, Api, Os
from test_ctrl import CtrlWyvern, chassis_name, ping_ok
from test_nat import UP_IP, cleanup_all, sources, tcp_ok  # noqa: F401

pytestmark = [
    pytest.mark.skipif(not etcd.available(), reason="etcd not installed"),
    pytest.mark.skipif(OPENSTACK is None, reason="python3-openstackclient not installed"),
]

TTL = 3
VTEP = {"a": "192.0.2.1", "b": "192.0.2.2"}


def nat(wy):
    return wy.ctl("show", "nat", json=True)


def gateway(wy):
    gws = nat(wy)["gateways"]
    return gws[0] if gws else {}


@pytest.fixture
def gw_world(cleanup_all):  # noqa: F811
    cl = etcd.EtcdCluster(1).start()
    api = Api(cl.url)
    o = Os(api.url)
    chs = {"a": chassis_name("gwa"), "b": chassis_name("gwb")}
    o.ok("network", "create", "ext", "--external", "--provider-network-type", "flat",
         "--provider-physical-network", "physnet1")
    o.ok("subnet", "create", "exts", "--network", "ext", "--subnet-range", "172.24.4.0/24",
         "--gateway", UP_IP, "--no-dhcp")
    o.ok("network", "create", "in")
    o.ok("subnet", "create", "ins", "--network", "in", "--subnet-range", "10.61.0.0/24")
    o.ok("router", "create", "r")
    o.ok("router", "set", "r", "--external-gateway", "ext")
    o.ok("router", "add", "subnet", "r", "ins")
    gwip = o.js("router", "show", "r")["external_gateway_info"]["external_fixed_ips"][0][
        "ip_address"]
    vm = o.js("port", "create", "vm", "--network", "in", "--host", chs["b"],
              "--disable-port-security")
    up = rig.Namespace()
    up.run(["ip", "link", "add", "br0", "type", "bridge"])
    up.run(["ip", "addr", "add", UP_IP + "/24", "dev", "br0"])
    up.run(["ip", "link", "set", "br0", "address", "02:99:00:00:00:01"])
    up.run(["ip", "link", "set", "br0", "up"])
    wys, peers = {}, {}
    tap = rig.ifname("t")
    for k, prio in (("a", 200), ("b", 100)):
        ua, ub = rig.ifname("ua"), rig.ifname("ub")
        rig.sh(["ip", "link", "add", ua, "type", "veth", "peer", "name", ub])
        rig.CLEANUP.add(lambda ua=ua: rig.sh(["ip", "link", "del", ua], check=False))
        rig.sh(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % ua], check=False)
        rig.sh(["ip", "link", "set", ua, "up"])
        rig.sh(["ip", "link", "set", ub, "netns", up.name])
        up.run(["ip", "link", "set", ub, "master", "br0"])
        up.run(["ip", "link", "set", ub, "up"])
        up.run(["ethtool", "-K", ub, "tx", "off"], check=False)
        peers[k] = ub
        ports = [("up", "net_af_packet0,iface=%s" % ua, None)]
        if k == "b":
            ports.append(("vm", "net_tap0,iface=%s" % tap, vm["id"]))
        wys[k] = CtrlWyvern(ports, {
            "db": cl.url, "chassis": chs[k], "uplink": "up", "vtep-ip": VTEP[k],
            "chassis-ttl": TTL, "snat": "gateway", "gateway": "true",
            "gateway-priority": prio,
            "replica": os.path.join(api.dir, "replica-" + k)}).start()
        wys[k].wait_connected(True)
    ns = rig.Namespace()
    ns.adopt(tap, vm["mac_address"], vm["fixed_ips"][0]["ip_address"] + "/24")
    ns.run(["ip", "route", "add", "default", "via", "10.61.0.1"])
    try:
        # A (priority 200) is elected by both; A holds the gateway IP, B
        # sends to A's VTEP; both resolved the upstream
        rig.wait_for(lambda: gateway(wys["a"]).get("snat_address") == gwip, timeout=30,
                     what="gateway IP on chassis A")
        rig.wait_for(lambda: gateway(wys["b"]).get("gateway_vtep") == VTEP["a"], timeout=30,
                     what="chassis B sends to A's VTEP")
        for wy in wys.values():
            rig.wait_for(lambda wy=wy: gateway(wy).get("nexthop_mac") == "02:99:00:00:00:01",
                         timeout=20, what="upstream next hop resolved")
    except AssertionError:
        for wy in wys.values():
            for c in (("show", "nat"), ("show", "chassis"), ("show", "routers"),
                      ("show", "ctrl")):
                print(wy.ctl(*c, check=False).stdout)
        raise
    yield dict(o=o, wys=wys, up=up, peers=peers, ns=ns, vm=vm, chs=chs, gwip=gwip)


def test_gateway_snat_and_failover(gw_world):
    w = gw_world
    wys, up, peers, ns, chs, gwip = w["wys"], w["up"], w["peers"], w["ns"], w["chs"], w["gwip"]
    # every controller elected A; the commands say so
    for wy in wys.values():
        n = nat(wy)
        assert n["snat_mode"] == "gateway" and n["gateway_chassis"] == chs["a"], n
        cs = {c["name"]: c for c in wy.ctl("show", "chassis", json=True)["chassis"]}
        assert cs[chs["a"]]["is_gateway"] and not cs[chs["b"]]["is_gateway"], cs
        assert cs[chs["a"]]["gateway_priority"] == 200 and cs[chs["b"]]["gateway"], cs
    assert nat(wys["a"])["gateway_self"] and not nat(wys["b"])["gateway_self"]
    rts = [x for x in wys["b"].ctl("show", "routers", json=True)["routers"] if "snat" in x]
    assert [x["snat"] for x in rts] == [{"mode": "gateway", "address": "",
                                         "gateway_chassis": chs["a"]}], rts
    assert "gateway chassis %s" % chs["a"] in wys["b"].ctl("show", "routers").stdout
    mac_a = gateway(wys["a"])["snat_mac"]

    # the VM on B gets out through A, from the gateway IP
    not_tunnel = "ip.dst == %s and not vxlan and not geneve" % UP_IP
    with rig.Capture(up, peers["a"]) as ca, rig.Capture(up, peers["b"]) as cb:
        ping_ok(ns, UP_IP)
        assert tcp_ok(ns, up, UP_IP, 5031) == gwip
        time.sleep(0.5)
    assert sources(ca, not_tunnel) == {(gwip, mac_a)}, sources(ca, not_tunnel)
    assert sources(cb, not_tunnel) == set(), sources(cb, not_tunnel)
    # and B did send it over the overlay to A
    assert cb.tshark_fields(["ip.src"], "vxlan and ip.dst == %s" % VTEP["a"])
    assert mac_a in up.run(["ip", "neigh", "show", gwip]).stdout
    print("INFO snat=gateway gateway_chassis=A address=%s" % gwip)

    # A is killed: nothing revokes its lease; B takes over after the ttl
    cap = rig.Capture(up, "br0").start()
    pid = wys["a"].proc.pid
    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    wys["a"].proc.wait(timeout=10)
    works = None
    while time.monotonic() - t0 < 60:
        # every ping run is a new ICMP id: a new NAT connection
        if ns.ping(UP_IP, count=1).returncode == 0:
            works = time.monotonic() - t0
            break
    if works is None:
        for c in (("show", "nat"), ("show", "chassis"), ("show", "ctrl")):
            print(wys["b"].ctl(*c, check=False).stdout)
    assert works is not None, "no new connection through chassis B within 60 s"
    print("INFO failover_s=%.1f (chassis-ttl %d s)" % (works, TTL))
    assert works < 30 + TTL   # a generous bound, not a timing test
    n = nat(wys["b"])
    assert n["gateway_chassis"] == chs["b"] and n["gateway_self"], n
    mac_b = gateway(wys["b"])["snat_mac"]
    assert mac_b != mac_a
    # the gratuitous ARP for the gateway IP from B, and the upstream follows
    cap.wait_for(lambda p: p.haslayer("ARP") and p["ARP"].psrc == gwip and
                 p["ARP"].pdst == gwip and p["ARP"].hwsrc == mac_b, timeout=10,
                 what="gratuitous ARP for the gateway IP from chassis B")
    cap.stop()
    rig.wait_for(lambda: mac_b in up.run(["ip", "neigh", "show", gwip]).stdout, timeout=10,
                 what="upstream neighbor entry on chassis B")
    # a new TCP connection, out of B's own uplink now
    with rig.Capture(up, peers["b"]) as cb:
        assert tcp_ok(ns, up, UP_IP, 5032) == gwip
        time.sleep(0.5)
    assert sources(cb, not_tunnel) == {(gwip, mac_b)}, sources(cb, not_tunnel)
    assert wys["b"].ctrl()["table_errors"] == 0 and wys["b"].alive()
