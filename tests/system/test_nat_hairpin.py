"""Hairpin through the router: a VM reaches a floating IP of a VM on another
network of the same router.

The world of test_nat.py (fip_world: an "upstream" namespace at 172.24.4.1
on the external flat network behind the uplink veth, a router with its
gateway there, one wyvernd), with vm1 on 10.60.0.0/24 and vm2 on a second
network of the router, 10.61.0.0/24.  Checked:
- vm1 (floating IP F1) pings and opens TCP to vm2's floating IP F2: vm2
  sees F1 as the source (as it would from outside), the replies come back
  from F2, and nothing of it leaves on the uplink (tshark upstream);
- the other way round, vm2 -> F1;
- vm1 without a floating IP (distributed SNAT): vm2 sees the chassis' SNAT
  address;
- `wyctl trace` shows the hairpin decision;
- another address of the external subnet (not the gateway, not held here)
  is reached through the external gateway;
- two chassis (test_nat.py's two_chassis_fip): vm1's traffic to the
  floating IP of vm2, held by the other chassis, goes through the upstream
  router, which forwards it back onto the external subnet; vm2 sees vm1's
  floating IP.
"""
import pytest

import etcd
import rig
from test_api import OPENSTACK
from test_ctrl import ping_ok
from test_nat import (UP_IP, cleanup_all, fip_of, fip_world, tcp_ok,  # noqa: F401 (fixtures)
                      two_chassis_fip)
from test_nat_icmp import snat_port

pytestmark = [
    pytest.mark.skipif(not etcd.available(), reason="etcd not installed"),
    pytest.mark.skipif(OPENSTACK is None, reason="python3-openstackclient not installed"),
]

TWO_NETS = [{"two_networks": True}]


def fip_for(w, port):
    fip = w["o"].js("floating", "ip", "create", "ext", "--port", port)["floating_ip_address"]
    rig.wait_for(lambda: fip in fip_of(w["wy"]), timeout=20, what="FIP %s in the NAT tables" % fip)
    return fip


@pytest.mark.parametrize("fip_world", TWO_NETS, indirect=True)
def test_floating_ip_to_floating_ip_of_the_same_router(fip_world):
    w = fip_world
    wy, up, ub, ns, vms = w["wy"], w["up"], w["ub"], w["ns"], w["vms"]
    fixed = {n: p["fixed_ips"][0]["ip_address"] for n, p in vms.items()}
    assert fixed["vm2"].startswith("10.61.0."), fixed
    f1, f2 = fip_for(w, "vm1"), fip_for(w, "vm2")
    ping_ok(ns["vm1"], UP_IP)
    with rig.Capture(up, ub) as cap:
        ping_ok(ns["vm1"], f2)
        ping_ok(ns["vm2"], f1)
        seen2 = tcp_ok(ns["vm1"], ns["vm2"], f2, 5101)
        seen1 = tcp_ok(ns["vm2"], ns["vm1"], f1, 5102)
    assert seen2 == f1, seen2      # vm2 saw vm1's floating IP
    assert seen1 == f2, seen1
    leaked = cap.tshark_fields(["ip.src", "ip.dst"], "ip")
    assert not leaked, leaked      # nothing of it on the external network
    rmac = ns["vm1"].run(["ip", "neigh", "show", "10.60.0.1"]).stdout.split("lladdr ")[1].split()[0]
    out = wy.ctl("trace", "vm1", "udp,eth_src=%s,eth_dst=%s,ip_src=%s,ip_dst=%s,tp_src=4000,"
                 "tp_dst=53" % (vms["vm1"]["mac_address"], rmac, fixed["vm1"], f2)).stdout
    assert "nat(src=%s)" % f1 in out, out
    assert "hairpin: %s is the floating IP" % f2 in out, out
    # conntrack holds both halves: vm1's SNAT to F1, and the DNAT of F2
    dump = wy.ctl("show", "conntrack", check=False).stdout
    assert f1 in dump and f2 in dump and fixed["vm2"] in dump, dump
    st = wy.ctrl()
    assert st["table_errors"] == 0, st
    assert wy.alive()


@pytest.mark.parametrize("fip_world", TWO_NETS, indirect=True)
def test_snat_address_to_floating_ip(fip_world):
    """vm1 has no floating IP: it reaches F2 from this chassis' SNAT
    address; an address of the external subnet other than the gateway is
    reached through the gateway."""
    w = fip_world
    up, ub, ns = w["up"], w["ub"], w["ns"]
    sip = snat_port(w)
    f2 = fip_for(w, "vm2")
    with rig.Capture(up, ub) as cap:
        ping_ok(ns["vm1"], f2)
        seen = tcp_ok(ns["vm1"], ns["vm2"], f2, 5103)
    assert seen == sip, (seen, sip)
    assert not cap.tshark_fields(["ip.src", "ip.dst"], "ip")
    # a second address of the upstream host, never resolved by the chassis
    up.run(["ip", "addr", "add", "172.24.4.77/24", "dev", ub])
    ping_ok(ns["vm1"], "172.24.4.77")
    assert tcp_ok(ns["vm1"], up, "172.24.4.77", 5104) == sip
    assert w["wy"].alive()



def test_floating_ip_on_another_chassis(two_chassis_fip):
    w = two_chassis_fip
    o, wys, up, peers, ns = w["o"], w["wys"], w["up"], w["peers"], w["ns"]
    f1 = o.js("floating", "ip", "create", "ext", "--port", "vm1")["floating_ip_address"]
    f2 = o.js("floating", "ip", "create", "ext", "--port", "vm2")["floating_ip_address"]
    rig.wait_for(lambda: f1 in fip_of(wys["vm1"]) and f2 in fip_of(wys["vm2"]),
                 timeout=20, what="each FIP on its own chassis")
    # the upstream routes between addresses of its own subnet (no redirects)
    up.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    up.run(["sysctl", "-qw", "net.ipv4.conf.all.send_redirects=0"])
    up.run(["sysctl", "-qw", "net.ipv4.conf.br0.send_redirects=0"])
    with rig.Capture(up, peers["vm1"]) as ca, rig.Capture(up, peers["vm2"]) as cb:
        ping_ok(ns["vm1"], f2)
        seen = tcp_ok(ns["vm1"], ns["vm2"], f2, 5105)
    assert seen == f1, seen
    # out of chassis A toward the upstream's MAC, into chassis B to F2's MAC
    mac2 = fip_of(wys["vm2"])[f2]["mac"]
    out_a = {(r[0], r[1], r[2]) for r in ca.tshark_fields(["ip.src", "ip.dst", "eth.dst"],
                                                           "ip.dst == %s" % f2) if r and r[0]}
    in_b = {(r[0], r[1], r[2]) for r in cb.tshark_fields(["ip.src", "ip.dst", "eth.dst"],
                                                          "ip.dst == %s" % f2) if r and r[0]}
    assert out_a == {(f1, f2, "02:99:00:00:00:01")}, out_a
    assert in_b == {(f1, f2, mac2)}, in_b
    for wy in wys.values():
        assert wy.ctrl()["table_errors"] == 0 and wy.alive()
