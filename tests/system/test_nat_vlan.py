"""The external network's wire: a VLAN sharing the uplink with the overlay,
or a port of its own.

The world of test_nat.py (fip_world) with the external network as VLAN 40
on physnet1, the uplink's physical network, whose untagged traffic stays
the overlay's.  The upstream router (172.24.4.1) is played by scapy on the
far end of the uplink veth (vlan_upstream.py; no 8021q here): it answers
only tagged ARP and echo.  Checked, with tcpdump on the upstream side:
- the chassis resolves the upstream through VLAN 40;
- vm1 with a floating IP pings the upstream: the requests leave tagged 40
  from the floating IP, the tagged replies come back to vm1;
- from the upstream, tagged: ARP for the floating IP is answered tagged
  with the FIP's MAC, an echo to the floating IP is answered tagged from it;
- vm2 without a floating IP gets out from the chassis' SNAT address,
  tagged;
- nothing of the external network leaves untagged.
With [ctrl] physnet-port (test_external_network_on_its_own_port) the flat
external network has its own port: floating IP both ways, SNAT, and the
uplink's wire sees none of it.
"""
import pytest

import etcd
import rig
import vlan_upstream
from test_api import OPENSTACK
from test_ctrl import ping_ok
from test_nat import UP_IP, cleanup_all, fip_of, fip_world  # noqa: F401 (fixtures)
from test_nat_icmp import snat_port

pytestmark = [
    pytest.mark.skipif(not etcd.available(), reason="etcd not installed"),
    pytest.mark.skipif(OPENSTACK is None, reason="python3-openstackclient not installed"),
]

UP_MAC = "02:99:00:00:00:01"


@pytest.mark.parametrize("fip_world", [{"ext_vlan": 40}], indirect=True)
def test_floating_ip_and_snat_on_a_vlan_external_network(fip_world):
    w = fip_world
    o, wy, up, ub, ns = w["o"], w["wy"], w["up"], w["ub"], w["ns"]
    nets = {n["name"]: n for n in wy.ctl("show", "networks", json=True)["networks"]}
    ext = [n for n in nets.values() if n.get("vlan") == 40]
    assert ext and ext[0]["type"] == "vlan", nets
    fip = o.js("floating", "ip", "create", "ext", "--port", "vm1")["floating_ip_address"]
    rig.wait_for(lambda: fip in fip_of(wy), timeout=20, what="FIP in the NAT tables")
    fmac = fip_of(wy)[fip]["mac"]
    sip = snat_port(w)
    with rig.Capture(up, ub) as cap:
        ping_ok(ns["vm1"], UP_IP)
        r = vlan_upstream.probe(up, ub, UP_MAC, UP_IP, 40, fip)
        ping_ok(ns["vm2"], UP_IP)
    print("INFO probe from the VLAN upstream: %s" % r)
    assert r.get("arp_mac") == fmac and r.get("arp_vlan") == 40, r
    assert r.get("echo_src") == fip and r.get("echo_type") == 0 and r.get("echo_vlan") == 40, r
    rows = cap.tshark_fields(["vlan.id", "ip.src", "ip.dst", "icmp.type", "eth.src"], "icmp")
    assert rows, rows
    # everything of the external network on the wire is tagged 40
    assert all(x[0] == "40" for x in rows), rows
    out = {(x[1], x[4]) for x in rows if x[2] == UP_IP and x[3] == "8"}
    # vm1 from its floating IP and MAC; vm2 from the SNAT address
    assert (fip, fmac) in out and {a for a, _ in out} == {fip, sip}, out
    assert [x for x in rows if x[1] == UP_IP and x[2] == fip and x[3] == "0"], rows
    untagged = cap.tshark_fields(["ip.src", "ip.dst"], "ip and not vlan and not udp.port == 4789")
    assert not untagged, untagged
    assert wy.alive() and wy.ctrl()["table_errors"] == 0


@pytest.mark.parametrize("fip_world", [{"physnet_port": True}], indirect=True)
def test_external_network_on_its_own_port(fip_world):
    w = fip_world
    o, wy, up, ub, ns, under = w["o"], w["wy"], w["up"], w["ub"], w["ns"], w["under"]
    ov = wy.ctl("show", "overlay", json=True)
    assert ov["provider_port"] != ov["uplink"], ov
    fip = o.js("floating", "ip", "create", "ext", "--port", "vm1")["floating_ip_address"]
    rig.wait_for(lambda: fip in fip_of(wy), timeout=20, what="FIP in the NAT tables")
    sip = snat_port(w)
    with rig.Capture(up, ub) as cap, rig.Capture(None, under) as cu:
        ping_ok(ns["vm1"], UP_IP)
        ping_ok(ns["vm2"], UP_IP)
        ping_ok(up, fip)
    rows = {(x[0], x[1]) for x in cap.tshark_fields(["ip.src", "ip.dst"], "icmp")}
    assert {(fip, UP_IP), (sip, UP_IP), (UP_IP, fip)} <= rows, rows
    leaked = cu.tshark_fields(["ip.src", "ip.dst"], "ip")
    assert not leaked, leaked
    assert wy.alive() and wy.ctrl()["table_errors"] == 0
