"""ICMP through NAT, and security groups on floating-IP traffic.

The world of test_nat.py (fip_world: an "upstream" namespace at 172.24.4.1
on the external flat network behind the uplink veth, a router with its
gateway there, vm1 and vm2 on a tenant network, one wyvernd), plus a second
hop for traceroute: a "far" namespace (198.51.100.2) behind the upstream,
which routes between the two.  Checked:
- traceroute (UDP and ICMP probes) from a VM through distributed SNAT shows
  the hops: the router, the upstream (its ICMP time-exceeded went to the
  chassis' SNAT address and was translated back to the VM's fixed IP, the
  quoted header too: tshark on both sides), and the far host;
- a VM with a floating IP sends UDP to a closed port upstream: the
  upstream's port-unreachable to the floating IP reaches the VM (outer and
  quoted header translated back) and the VM's connected socket sees
  ECONNREFUSED; traceroute from that VM shows the hops too, and traceroute
  from the upstream to the floating IP shows the router's gateway address
  (time exceeded before the DNAT, quoting the floating IP) then the VM;
- a security group that allows no ingress blocks traffic to a floating IP
  (ping, TCP), while the VM still gets out through it; an ingress ICMP rule
  lets ping in but not TCP; a TCP rule lets TCP in.
"""
import subprocess
import time

import pytest

import rig
from test_ctrl import ping_ok
from test_nat import UP_IP, cleanup_all, fip_of, fip_world, snat_ports  # noqa: F401 (fixtures)
import etcd
from test_api import OPENSTACK

pytestmark = [
    pytest.mark.skipif(not etcd.available(), reason="etcd not installed"),
    pytest.mark.skipif(OPENSTACK is None, reason="python3-openstackclient not installed"),
    pytest.mark.skipif(subprocess.run(["sh", "-c", "command -v traceroute"],
                                      capture_output=True).returncode != 0,
                       reason="traceroute not installed (scripts/deps.sh)"),
]

FAR_IP = "198.51.100.2"


def far_host(up):
    """A namespace behind the upstream: 198.51.100.2, default route via the
    upstream (198.51.100.1), which forwards and sends ICMP errors without
    rate limits."""
    far = rig.Namespace()
    a, b = rig.ifname("fa"), rig.ifname("fb")
    rig.sh(["ip", "link", "add", a, "type", "veth", "peer", "name", b])
    rig.CLEANUP.add(lambda: rig.sh(["ip", "link", "del", a], check=False))
    up.adopt(a, "02:99:00:00:01:01", "198.51.100.1/24")
    far.adopt(b, "02:99:00:00:01:02", FAR_IP + "/24")
    far.run(["ip", "route", "add", "default", "via", "198.51.100.1"])
    for ns in (up, far):
        ns.run(["sysctl", "-qw", "net.ipv4.icmp_ratelimit=0"])
    up.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    ping_ok(up, FAR_IP)
    return far


def hops(out):
    """traceroute -n output -> {hop number: [addresses answering]}."""
    res = {}
    for line in out.splitlines()[1:]:
        w = line.split()
        if w and w[0].isdigit():
            res[int(w[0])] = [x for x in w[1:] if x.count(".") == 3 and x[0].isdigit()]
    return res


def traceroute(ns, dst, *opts):
    r = ns.run(["traceroute", "-n", "-q", "2", "-w", "2", "-m", "6"] + list(opts) + [dst],
               check=False, timeout=90)
    print(r.stdout, r.stderr)
    return hops(r.stdout)


def assert_path(h, first_hop):
    """Hop 1 the router, then the upstream, then the far host."""
    assert first_hop in h.get(1, []), h
    assert UP_IP in h.get(2, []), h
    assert FAR_IP in h.get(3, []), h


def icmp_rows(cap, icmp_type):
    """(outer src, outer dst, quoted src, quoted dst) of the captured ICMP
    errors of that type."""
    out = []
    for r in cap.tshark_fields(["ip.src", "ip.dst"], "icmp.type == %d" % icmp_type):
        s, d = r[0].split(","), r[1].split(",")
        if len(s) == 2 and len(d) == 2:
            out.append((s[0], d[0], s[1], d[1]))
    return out


def snat_port(w):
    """This chassis' SNAT address for the router (the port the chassis
    creates itself in distributed mode); returns it once it is in the NAT
    tables."""
    wy = w["wy"]
    sp = rig.wait_for(lambda: snat_ports(wy, w["ch"]), timeout=30,
                      what="SNAT address port created by the chassis")
    sip = sp[0]["fixed_ips"][0]["ip_address"]
    rig.wait_for(lambda: any(g.get("snat_address") == sip for g in
                             wy.ctl("show", "nat", json=True)["gateways"]),
                 timeout=20, what="SNAT address in the NAT tables")
    return sip


def test_traceroute_through_distributed_snat(fip_world):
    """traceroute from vm1 (no floating IP) to a host two hops past the
    router: the upstream's time-exceeded (to the SNAT address) and the far
    host's port-unreachable come back translated to vm1's fixed IP, the
    quoted header included, so traceroute shows every hop."""
    w = fip_world
    up, ub, ns, wy = w["up"], w["ub"], w["ns"], w["wy"]
    fixed = w["vms"]["vm1"]["fixed_ips"][0]["ip_address"]
    far_host(up)
    sip = snat_port(w)
    ping_ok(ns["vm1"], UP_IP)
    with rig.Capture(up, ub) as cu, rig.Capture(ns["vm1"], ns["vm1"].iface) as cv:
        h_udp = traceroute(ns["vm1"], FAR_IP)
        h_icmp = traceroute(ns["vm1"], FAR_IP, "-I")
        time.sleep(0.5)
    assert_path(h_udp, "10.60.0.1")
    assert_path(h_icmp, "10.60.0.1")
    # upstream side: the time-exceeded goes to the SNAT address and quotes
    # the probe as it left the chassis (from the SNAT address)
    te_up = icmp_rows(cu, 11)
    assert te_up and all(r == (UP_IP, sip, sip, FAR_IP) for r in te_up), te_up
    # VM side: translated back, outer destination and quoted source
    te_vm = [r for r in icmp_rows(cv, 11) if r[0] == UP_IP]
    assert te_vm and all(r == (UP_IP, fixed, fixed, FAR_IP) for r in te_vm), te_vm
    # the far host's port-unreachable (end of the UDP traceroute) too
    pu_vm = [r for r in icmp_rows(cv, 3) if r[0] == FAR_IP]
    assert pu_vm and all(r == (FAR_IP, fixed, fixed, FAR_IP) for r in pu_vm), pu_vm
    # no packet of the VM's leaked out untranslated
    leaked = cu.tshark_fields(["ip.src"], "ip.src == %s" % fixed)
    assert not leaked, leaked
    nat = wy.ctl("show", "nat", json=True)
    print("INFO traceroute via SNAT %s: udp hops %s, icmp hops %s, nat_conns %d" % (
        sip, h_udp, h_icmp, nat["nat_conns"]))
    assert wy.alive() and wy.ctrl()["table_errors"] == 0


CONNECTED_UDP = ("import socket,sys\n"
                 "c=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(5)\n"
                 "c.connect((sys.argv[1], 9)); c.send(b'x')\n"
                 "try:\n"
                 "    c.recv(100); print('answer')\n"
                 "except ConnectionRefusedError:\n"
                 "    print('refused')\n"
                 "except socket.timeout:\n"
                 "    print('timeout')\n")


def test_icmp_error_toward_floating_ip(fip_world):
    """vm1 has a floating IP and sends UDP to a closed port upstream: the
    upstream's port-unreachable, addressed to the floating IP, is translated
    back to vm1 (outer destination and quoted source), and vm1's connected
    socket gets ECONNREFUSED.  traceroute from vm1 shows the hops through
    the floating IP."""
    w = fip_world
    o, wy, up, ub, ns = w["o"], w["wy"], w["up"], w["ub"], w["ns"]
    fixed = w["vms"]["vm1"]["fixed_ips"][0]["ip_address"]
    fip = o.js("floating", "ip", "create", "ext", "--port", "vm1")["floating_ip_address"]
    rig.wait_for(lambda: fip in fip_of(wy), timeout=20, what="FIP in the NAT tables")
    ping_ok(ns["vm1"], UP_IP)
    with rig.Capture(up, ub) as cu, rig.Capture(ns["vm1"], ns["vm1"].iface) as cv:
        r = ns["vm1"].run(["/usr/bin/python3", "-c", CONNECTED_UDP, UP_IP], timeout=20)
        cv.wait_for(lambda p: p.haslayer("ICMP") and p["ICMP"].type == 3, timeout=10,
                    what="port unreachable at vm1")
    assert r.stdout.strip() == "refused", r.stdout
    assert icmp_rows(cu, 3) == [(UP_IP, fip, fip, UP_IP)], icmp_rows(cu, 3)
    assert icmp_rows(cv, 3) == [(UP_IP, fixed, fixed, UP_IP)], icmp_rows(cv, 3)
    # the hops, through the floating IP
    far_host(up)
    with rig.Capture(up, ub) as cu:
        h = traceroute(ns["vm1"], FAR_IP)
        time.sleep(0.3)
    assert_path(h, "10.60.0.1")
    te_up = icmp_rows(cu, 11)
    assert te_up and all(x == (UP_IP, fip, fip, FAR_IP) for x in te_up), te_up
    # the other way: traceroute from the upstream to the floating IP shows
    # the router (its gateway address; the probe expired before its DNAT,
    # so the quoted header is the FIP the upstream sent to), then the VM
    gw = o.js("router", "show", "r")["external_gateway_info"]["external_fixed_ips"][0][
        "ip_address"]
    ns["vm1"].run(["sysctl", "-qw", "net.ipv4.icmp_ratelimit=0"])
    with rig.Capture(up, ub) as cu:
        h_in = traceroute(up, fip)
        time.sleep(0.3)
    assert gw in h_in.get(1, []) and fip in h_in.get(2, []), h_in
    te_in = icmp_rows(cu, 11)
    assert te_in and all(x == (gw, UP_IP, UP_IP, fip) for x in te_in), te_in
    print("INFO ICMP errors toward floating IP %s translated back to %s; hops %s; "
          "from upstream %s" % (fip, fixed, h, h_in))
    assert wy.alive() and wy.ctrl()["table_errors"] == 0


TCP_TRY = ("import socket,sys\n"
           "try:\n"
           "    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)\n"
           "    print('open')\n"
           "except ConnectionRefusedError:\n"
           "    print('refused')\n"
           "except OSError:\n"
           "    print('timeout')\n")


def tcp_try(ns, dst, port):
    """'refused' (the VM's RST came back: it was reached), 'open', or
    'timeout' (dropped on the way)."""
    return ns.run(["/usr/bin/python3", "-c", TCP_TRY, dst, str(port)], timeout=20).stdout.strip()


def test_security_group_blocks_floating_ip_ingress(fip_world):
    """vm1 gets port security and a group with Neutron's default rules
    (egress only): it still gets out through its floating IP (replies come
    back), but nothing from the upstream gets in through the floating IP;
    an ingress ICMP rule lets ping in and not TCP; a TCP rule lets TCP in."""
    w = fip_world
    o, wy, up, ns = w["o"], w["wy"], w["up"], w["ns"]
    fip = o.js("floating", "ip", "create", "ext", "--port", "vm1")["floating_ip_address"]
    rig.wait_for(lambda: fip in fip_of(wy), timeout=20, what="FIP in the NAT tables")
    # before: no port security, the upstream reaches vm1 (no listener: RST)
    ping_ok(up, fip)
    assert tcp_try(up, fip, 5001) == "refused"
    sg = o.js("security", "group", "create", "fip-egress-only")
    o.ok("port", "set", "vm1", "--enable-port-security", "--security-group", sg["id"])

    def groups():
        return {p["name"]: [g["id"] for g in p["groups"]] for p in
                wy.ctl("show", "security-groups", json=True)["ports"]}
    rig.wait_for(lambda: groups().get("vm1") == [sg["id"]], timeout=20,
                 what="vm1's security group compiled")
    # out through the floating IP: allowed, and the replies come back
    ping_ok(ns["vm1"], UP_IP)
    # in through the floating IP: blocked
    assert up.ping(fip, count=3).returncode != 0
    assert tcp_try(up, fip, 5001) == "timeout"
    d0 = wy.all_drops()
    print("INFO drops with the group: %s" % d0)
    # an ingress ICMP rule: ping gets in, TCP still does not
    o.ok("security", "group", "rule", "create", sg["id"], "--ingress", "--protocol", "icmp")
    ping_ok(up, fip)
    assert tcp_try(up, fip, 5001) == "timeout"
    # a TCP rule for 5001: TCP reaches vm1 (its RST comes back)
    o.ok("security", "group", "rule", "create", sg["id"], "--ingress", "--protocol", "tcp",
         "--dst-port", "5001")
    rig.wait_for(lambda: tcp_try(up, fip, 5001) == "refused", timeout=20,
                 what="TCP 5001 let in by the rule")
    assert tcp_try(up, fip, 5002) == "timeout"
    assert wy.alive() and wy.ctrl()["table_errors"] == 0
