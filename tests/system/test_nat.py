"""Floating IPs on an external provider network, translated on the VM's
chassis (conntrack NAT).

An "upstream" namespace sits on the external network (flat, physnet1), on
the far side of the uplink veth, at the external subnet's gateway address
172.24.4.1: it plays the Internet router.  wyvern-api on etcd writes the
topology (external network + subnet, tenant network, router with its
gateway and an interface, two VM ports bound to one wyvernd, a floating
IP); the wyvernd resolves the upstream's MAC by ARP and answers ARP for the
floating IP.  Checked, with tcpdump on the upstream side:
- upstream -> FIP: ping and TCP reach vm1;
- vm1 -> upstream: ping and TCP leave with the FIP as source (never the
  fixed IP), from the FIP's MAC;
- the FIP moves to vm2 live: a gratuitous ARP updates the upstream's
  neighbor entry, traffic reaches vm2, and vm1 no longer gets out;
- disassociated (wyctl floating-ip set --no-port): traffic to the FIP stops;
- an ICMP error from vm1 (port unreachable) leaves from the FIP, its quoted
  header translated too;
- `wyctl show nat` shows the gateway (next hop resolved) and the FIP;
  `wyctl trace` shows the ct(nat) decisions on both passes, both ways.
Two chassis (their uplinks and the upstream on a bridge in the upstream
namespace): each translates its own VM's FIP and its VM's traffic leaves its
own uplink; a FIP moved to a port on the other chassis is announced by that
chassis (gratuitous ARP, its own MAC) and traffic follows.
Distributed SNAT (test_distributed_snat): a VM without a floating IP gets
out from the chassis' own SNAT address (a network:floatingip_agent_gateway
port of the router bound to the chassis, which the chassis creates itself
through the northbound and deletes when the router loses SNAT); ping, TCP,
UDP; the upstream sees only that address and its MAC.
Two chassis with distributed SNAT (test_distributed_snat_on_two_chassis):
each VM leaves its own chassis from that chassis' own address.
Exhaustion ([ctrl] snat-ports of one port): the counter rises.
Gateway SNAT and its failover: test_nat_gw.py.
"""
import json
import os
import subprocess
import time

import pytest
from scapy.layers.inet import ICMP

import etcd
import rig
import vlan_upstream
from test_api import OPENSTACK, Api, Os
from test_ctrl import CtrlWyvern, chassis_name, ping_ok

pytestmark = [
    pytest.mark.skipif(not etcd.available(), reason="etcd not installed"),
    pytest.mark.skipif(OPENSTACK is None, reason="python3-openstackclient not installed"),
]

UP_IP = "172.24.4.1"


@pytest.fixture
def cleanup_all():
    with rig.CLEANUP._lock:
        before = set(map(id, rig.CLEANUP._items))
    yield
    with rig.CLEANUP._lock:
        mine = [fn for fn in rig.CLEANUP._items if id(fn) not in before]
    for fn in reversed(mine):
        rig.CLEANUP.run(fn)


SNAT_OWNER = "network:floatingip_agent_gateway"


def snat_ports(wy, host):
    """The SNAT address ports bound to chassis host (wyctl port list, the
    northbound's view)."""
    return [p for p in json.loads(wy.wy("--json", "port", "list").stdout)
            if p.get("device_owner") == SNAT_OWNER and p.get("binding:host_id") == host]


def fip_of(wy):
    return {f["floating_ip"]: f for f in wy.ctl("show", "nat", json=True)["floating_ips"]}


def sources(cap, proto_filter):
    rows = cap.tshark_fields(["ip.src", "eth.src"], proto_filter)
    return {(r[0], r[1]) for r in rows if r and r[0]}


SERVER = ("import socket,sys\n"
          "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
          "s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(1); s.settimeout(15)\n"
          "c, a = s.accept(); d = c.recv(100); c.sendall(d.upper()); c.close()\n"
          "print(a[0])\n")
CLIENT = ("import socket,sys\n"
          "c=socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)\n"
          "c.sendall(b'hello'); print(c.recv(100).decode())\n")


def tcp_ok(client, server, server_ip, port):
    """One TCP exchange client -> server_ip:port; the peer address the
    server saw (None when it failed)."""
    srv = server.popen(["/usr/bin/python3", "-c", SERVER, str(port)], stdout=subprocess.PIPE,
                       text=True)
    time.sleep(0.4)
    r = client.run(["/usr/bin/python3", "-c", CLIENT, server_ip, str(port)], check=False,
                   timeout=20)
    try:
        out, _ = srv.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        rig.stop_pid(srv)
        return None
    if r.returncode != 0 or srv.returncode != 0 or "HELLO" not in r.stdout:
        print("tcp", r.returncode, r.stdout, r.stderr, srv.returncode)
        return None
    return out.strip()


@pytest.fixture
def fip_world(cleanup_all, request):
    cl = etcd.EtcdCluster(1).start()
    api = Api(cl.url)
    o = Os(api.url)
    ch = chassis_name("nat")
    extra = dict(getattr(request, "param", None) or {})   # more [ctrl] keys
    # ext_vlan: the external network is VLAN ext_vlan on the uplink (the
    # overlay stays untagged there); the upstream is played by scapy
    # (vlan_upstream.py: this kernel has no 8021q)
    vlan = extra.pop("ext_vlan", None)
    seg = (["vlan", "--provider-segment", str(vlan)] if vlan else ["flat"])
    o.ok("network", "create", "ext", "--external", "--provider-network-type", *seg,
         "--provider-physical-network", "physnet1")
    o.ok("subnet", "create", "exts", "--network", "ext", "--subnet-range", "172.24.4.0/24",
         "--gateway", UP_IP, "--no-dhcp")
    o.ok("network", "create", "in")
    o.ok("subnet", "create", "ins", "--network", "in", "--subnet-range", "10.60.0.0/24")
    o.ok("router", "create", "r")
    o.ok("router", "set", "r", "--external-gateway", "ext")
    gw = o.js("router", "show", "r")["external_gateway_info"]["external_fixed_ips"]
    assert len(gw) == 1 and gw[0]["ip_address"].startswith("172.24.4."), gw
    o.ok("router", "add", "subnet", "r", "ins")
    # two_networks: vm2 on a second network of the router (10.61.0.0/24)
    two = extra.pop("two_networks", False)
    if two:
        o.ok("network", "create", "in2")
        o.ok("subnet", "create", "ins2", "--network", "in2", "--subnet-range", "10.61.0.0/24")
        o.ok("router", "add", "subnet", "r", "ins2")
    vms = {n: o.js("port", "create", n, "--network", "in2" if two and n == "vm2" else "in",
                   "--host", ch, "--disable-port-security") for n in ("vm1", "vm2")}
    # the uplink: a veth whose far end is the upstream router's; with
    # physnet_port the external network has a port of its own ("ext", [ctrl]
    # physnet-port) and the uplink's far end (underlay) stays in the root
    # namespace, where nothing external may show up
    sep = extra.pop("physnet_port", False)

    def veth():
        a, b = rig.ifname("ua"), rig.ifname("ub")
        rig.sh(["ip", "link", "add", a, "type", "veth", "peer", "name", b])
        rig.CLEANUP.add(lambda: rig.sh(["ip", "link", "del", a], check=False))
        rig.sh(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % a], check=False)
        rig.sh(["ip", "link", "set", a, "up"])
        return a, b
    ua, ub = veth()
    under = None
    if sep:
        under = ub
        rig.sh(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % ub], check=False)
        rig.sh(["ip", "link", "set", ub, "up"])
        ea, ub = veth()
        extra["physnet-port"] = "ext"
    up = rig.Namespace()
    up.adopt(ub, "02:99:00:00:00:01", None if vlan else UP_IP + "/24")
    up.run(["ethtool", "-K", ub, "tx", "off"], check=False)
    if vlan:
        vlan_upstream.start(up, ub, "02:99:00:00:00:01", UP_IP, vlan)
    taps = {n: rig.ifname("t") for n in vms}
    ports = [("up", "net_af_packet0,iface=%s" % ua, None)]
    if sep:
        ports.append(("ext", "net_af_packet1,iface=%s" % ea, None))
    ports += [(n, "net_tap%d,iface=%s" % (i, taps[n]), vms[n]["id"])
              for i, n in enumerate(sorted(vms))]
    wy = CtrlWyvern(ports, dict(db=cl.url, chassis=ch, uplink="up", **{"vtep-ip": "192.0.2.1"},
                                replica=os.path.join(api.dir, "replica"), **extra)).start()
    wy.wait_connected(True)
    ns = {}
    for n, p in vms.items():
        ns[n] = rig.Namespace()
        ip = p["fixed_ips"][0]["ip_address"]
        ns[n].adopt(taps[n], p["mac_address"], ip + "/24")
        ns[n].run(["ip", "route", "add", "default", "via", ip.rsplit(".", 1)[0] + ".1"])
    rig.wait_for(lambda: wy.ctrl()["held"]["port"] >= 2, what="ports held")
    # the gateway is compiled and its next hop resolved by ARP
    try:
        rig.wait_for(lambda: any(g["nexthop_mac"] == "02:99:00:00:00:01" for g in
                                 wy.ctl("show", "nat", json=True)["gateways"]),
                     timeout=20, what="upstream next hop resolved")
    except AssertionError:
        for c in (("show", "nat"), ("show", "routers"), ("show", "ctrl"), ("show", "networks"),
                  ("show", "topology")):
            print(wy.ctl(*c, check=False).stdout)
        raise
    yield dict(o=o, wy=wy, up=up, ub=ub, ns=ns, vms=vms, ch=ch, under=under)


@pytest.mark.parametrize("fip_world", [{"snat": "off"}], indirect=True)
def test_floating_ip_both_ways_move_and_unset(fip_world):
    w = fip_world
    o, wy, up, ub, ns, vms = w["o"], w["wy"], w["up"], w["ub"], w["ns"], w["vms"]
    fixed = {n: p["fixed_ips"][0]["ip_address"] for n, p in vms.items()}
    f = o.js("floating", "ip", "create", "ext", "--port", "vm1")
    fip = f["floating_ip_address"]
    rig.wait_for(lambda: fip in fip_of(wy), timeout=20, what="FIP in the NAT tables")
    mac1 = fip_of(wy)[fip]["mac"]
    # the gratuitous ARP already told the upstream; ping and TCP in
    ping_ok(up, fip)
    with rig.Capture(up, ub) as dbg:
        ok = tcp_ok(up, ns["vm1"], fip, 5001) == UP_IP
        time.sleep(0.3)
    if not ok:
        print(rig.sh(["tcpdump", "-nn", "-e", "-v", "-r", dbg.path], check=False).stdout)
        print(wy.ctl("show", "pmd", check=False).stdout)
    assert ok
    # out: the upstream sees only the FIP, from the FIP's MAC
    with rig.Capture(up, ub) as cap:
        ping_ok(ns["vm1"], UP_IP)
        assert tcp_ok(ns["vm1"], up, UP_IP, 5002) == fip   # the upstream saw the FIP
        time.sleep(0.5)
    src = sources(cap, "ip.dst == %s" % UP_IP)
    assert src == {(fip, mac1)}, src
    # ICMP errors: vm1's "port unreachable" for a UDP datagram to the FIP
    # leaves from the FIP, the quoted header translated back too
    with rig.Capture(up, ub) as cap:
        up.run(["/usr/bin/python3", "-c", "import socket; s = socket.socket(socket.AF_INET, "
                "socket.SOCK_DGRAM); s.sendto(b'x', ('%s', 9))" % fip])
        cap.wait_for(lambda p: p.haslayer(ICMP) and p[ICMP].type == 3, timeout=10,
                     what="ICMP port unreachable upstream")
    rows = cap.tshark_fields(["ip.src", "ip.dst"], "icmp.type == 3")
    assert rows and rows[0][0] == "%s,%s" % (fip, UP_IP) and rows[0][1] == "%s,%s" % (
        UP_IP, fip), rows
    # wyctl trace shows the NAT decisions of both passes, both ways
    rmac = ns["vm1"].run(["ip", "neigh", "show", "10.60.0.1"]).stdout.split("lladdr ")[1].split()[0]
    out = wy.ctl("trace", "vm1", "udp,eth_src=%s,eth_dst=%s,ip_src=%s,ip_dst=%s,tp_src=4000,"
                 "tp_dst=53" % (vms["vm1"]["mac_address"], rmac, fixed["vm1"], UP_IP)).stdout
    assert "nat(src=%s)" % fip in out and "source is floating IP %s" % fip in out, out
    out = wy.ctl("trace", "up", "udp,eth_src=02:99:00:00:00:01,eth_dst=%s,ip_src=%s,ip_dst=%s,"
                 "tp_src=53,tp_dst=4000" % (mac1, UP_IP, fip)).stdout
    assert "nat(dst=%s)" % fixed["vm1"] in out and "output" in out, out
    # move the FIP to vm2: a new MAC, announced
    o.ok("floating", "ip", "set", "--port", "vm2", f["id"])
    rig.wait_for(lambda: fip_of(wy).get(fip, {}).get("fixed_ip") == fixed["vm2"], timeout=20,
                 what="FIP moved to vm2")
    mac2 = fip_of(wy)[fip]["mac"]
    assert mac2 != mac1
    rig.wait_for(lambda: mac2 in up.run(["ip", "neigh", "show", fip]).stdout, timeout=10,
                 what="upstream neighbor entry updated by the gratuitous ARP")
    ping_ok(up, fip)
    assert tcp_ok(up, ns["vm2"], fip, 5003) == UP_IP
    with rig.Capture(up, ub) as cap:
        ping_ok(ns["vm2"], UP_IP)
        assert ns["vm1"].ping(UP_IP, count=2).returncode != 0   # no FIP, no SNAT: dropped
        time.sleep(0.5)
    assert sources(cap, "ip.dst == %s" % UP_IP) == {(fip, mac2)}
    # disassociated: traffic to the FIP stops
    # through wyctl this time (the same northbound operations as the API)
    listed = json.loads(wy.wy("--json", "floating-ip", "list").stdout)
    assert [(x["floating_ip_address"], x["fixed_ip_address"]) for x in listed] == [
        (fip, fixed["vm2"])], listed
    wy.wy("floating-ip", "set", fip, "--no-port")
    rig.wait_for(lambda: fip not in fip_of(wy), timeout=20, what="FIP gone from the tables")
    up.run(["ip", "neigh", "flush", "dev", ub], check=False)
    assert up.ping(fip, count=2).returncode != 0
    st = wy.ctrl()
    assert st["table_errors"] == 0, st
    assert wy.alive()


@pytest.fixture
def two_chassis_fip(cleanup_all):
    """Two wyvernd on one etcd; their uplinks and the upstream's address
    meet on a bridge in the upstream namespace; vm1 on A, vm2 on B, same
    tenant network."""
    cl = etcd.EtcdCluster(1).start()
    api = Api(cl.url)
    o = Os(api.url)
    cha, chb = chassis_name("nata"), chassis_name("natb")
    o.ok("network", "create", "ext", "--external", "--provider-network-type", "flat",
         "--provider-physical-network", "physnet1")
    o.ok("subnet", "create", "exts", "--network", "ext", "--subnet-range", "172.24.4.0/24",
         "--gateway", UP_IP, "--no-dhcp")
    o.ok("network", "create", "in")
    o.ok("subnet", "create", "ins", "--network", "in", "--subnet-range", "10.60.0.0/24")
    o.ok("router", "create", "r")
    o.ok("router", "set", "r", "--external-gateway", "ext")
    o.ok("router", "add", "subnet", "r", "ins")
    vms = {"vm1": o.js("port", "create", "vm1", "--network", "in", "--host", cha,
                       "--disable-port-security"),
           "vm2": o.js("port", "create", "vm2", "--network", "in", "--host", chb,
                       "--disable-port-security")}
    up = rig.Namespace()
    up.run(["ip", "link", "add", "br0", "type", "bridge"])
    up.run(["ip", "addr", "add", UP_IP + "/24", "dev", "br0"])
    up.run(["ip", "link", "set", "br0", "address", "02:99:00:00:00:01"])
    up.run(["ip", "link", "set", "br0", "up"])
    wys, ns, peers = {}, {}, {}
    for ch, vm, vtep in ((cha, "vm1", "192.0.2.1"), (chb, "vm2", "192.0.2.2")):
        ua, ub = rig.ifname("ua"), rig.ifname("ub")
        rig.sh(["ip", "link", "add", ua, "type", "veth", "peer", "name", ub])
        rig.CLEANUP.add(lambda ua=ua: rig.sh(["ip", "link", "del", ua], check=False))
        rig.sh(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % ua], check=False)
        rig.sh(["ip", "link", "set", ua, "up"])
        rig.sh(["ip", "link", "set", ub, "netns", up.name])
        up.run(["ip", "link", "set", ub, "master", "br0"])
        up.run(["ip", "link", "set", ub, "up"])
        up.run(["ethtool", "-K", ub, "tx", "off"], check=False)
        peers[vm] = ub
        tap = rig.ifname("t")
        wys[vm] = CtrlWyvern([("up", "net_af_packet0,iface=%s" % ua, None),
                              (vm, "net_tap0,iface=%s" % tap, vms[vm]["id"])],
                             dict(db=cl.url, chassis=ch, uplink="up", **{"vtep-ip": vtep},
                                  replica=os.path.join(api.dir, "replica-" + vm))).start()
        wys[vm].wait_connected(True)
        ns[vm] = rig.Namespace()
        ns[vm].adopt(tap, vms[vm]["mac_address"], vms[vm]["fixed_ips"][0]["ip_address"] + "/24")
        ns[vm].run(["ip", "route", "add", "default", "via", "10.60.0.1"])
    for wy in wys.values():
        rig.wait_for(lambda wy=wy: any(g["nexthop_mac"] == "02:99:00:00:00:01" for g in
                                       wy.ctl("show", "nat", json=True)["gateways"]),
                     timeout=20, what="upstream next hop resolved")
    yield dict(o=o, wys=wys, up=up, peers=peers, ns=ns, vms=vms, chs={"vm1": cha, "vm2": chb})


def test_floating_ips_on_two_chassis_and_a_move_between_them(two_chassis_fip):
    """Each chassis translates its own VM's FIP and sends its traffic out of
    its own uplink; the FIP of vm1 moves to vm2 on the other chassis and
    traffic follows after the gratuitous ARP."""
    w = two_chassis_fip
    o, wys, up, peers, ns = w["o"], w["wys"], w["up"], w["peers"], w["ns"]
    f1 = o.js("floating", "ip", "create", "ext", "--port", "vm1")
    f2 = o.js("floating", "ip", "create", "ext", "--port", "vm2")
    fip1, fip2 = f1["floating_ip_address"], f2["floating_ip_address"]
    rig.wait_for(lambda: fip1 in fip_of(wys["vm1"]) and fip2 in fip_of(wys["vm2"]),
                 timeout=20, what="each FIP on its own chassis")
    assert fip2 not in fip_of(wys["vm1"]) and fip1 not in fip_of(wys["vm2"])
    ping_ok(up, fip1)
    ping_ok(up, fip2)
    # each VM's traffic leaves its own chassis' uplink, from its own FIP
    with rig.Capture(up, peers["vm1"]) as ca, rig.Capture(up, peers["vm2"]) as cb:
        ping_ok(ns["vm1"], UP_IP)
        ping_ok(ns["vm2"], UP_IP)
        time.sleep(0.5)
    assert {s for s, _ in sources(ca, "ip.dst == %s" % UP_IP)} == {fip1}
    assert {s for s, _ in sources(cb, "ip.dst == %s" % UP_IP)} == {fip2}
    # vm1's FIP moves to... vm2 has one: free it first, then move
    o.ok("floating", "ip", "delete", f2["id"])
    rig.wait_for(lambda: fip2 not in fip_of(wys["vm2"]), timeout=20, what="FIP 2 gone")
    o.ok("floating", "ip", "set", "--port", "vm2", f1["id"])
    rig.wait_for(lambda: fip1 in fip_of(wys["vm2"]) and fip1 not in fip_of(wys["vm1"]),
                 timeout=20, what="FIP moved to chassis B")
    mac_b = fip_of(wys["vm2"])[fip1]["mac"]
    rig.wait_for(lambda: mac_b in up.run(["ip", "neigh", "show", fip1]).stdout, timeout=10,
                 what="upstream follows the gratuitous ARP from chassis B")
    with rig.Capture(up, peers["vm2"]) as cb:
        ping_ok(up, fip1)
        time.sleep(0.3)
    assert (fip1, mac_b) in {(r[0], r[1]) for r in cb.tshark_fields(
        ["ip.src", "eth.src"], "icmp.type == 0") if r and r[0]}
    for wy in wys.values():
        assert wy.ctrl()["table_errors"] == 0 and wy.alive()


UDP_SERVER = ("import socket,sys\n"
              "s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 5353))\n"
              "s.settimeout(15); d, a = s.recvfrom(100); s.sendto(d.upper(), a); print(a[0])\n")
UDP_CLIENT = ("import socket,sys\n"
              "c=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(5)\n"
              "c.sendto(b'hello', (sys.argv[1], 5353)); print(c.recv(100).decode())\n")


def test_distributed_snat(fip_world):
    """A VM without a floating IP reaches the upstream through this
    chassis' own SNAT address: a network:floatingip_agent_gateway port of
    the router bound to the chassis ([ctrl] snat = distributed, the
    default).  Ping, TCP and UDP; the upstream sees only that address, from
    its MAC; nothing new gets in through it."""
    w = fip_world
    o, wy, up, ub, ns = w["o"], w["wy"], w["up"], w["ub"], w["ns"]
    rid = o.js("router", "show", "r")["id"]
    host = w["ch"]
    # the chassis created its SNAT address port itself (nobody else did)
    sp = rig.wait_for(lambda: snat_ports(wy, host), timeout=30,
                      what="SNAT address port created by the chassis")
    assert len(sp) == 1 and sp[0]["device_id"] == rid, sp
    sip = sp[0]["fixed_ips"][0]["ip_address"]

    def gw():
        gws = wy.ctl("show", "nat", json=True)["gateways"]
        return gws[0] if gws and gws[0].get("snat_address") == sip else None
    rig.wait_for(gw, timeout=20, what="SNAT address in the NAT tables")
    g = gw()
    smac = g["snat_mac"]
    assert "SNAT address of this chassis: %s" % sip in wy.ctl("show", "nat").stdout
    # announced by gratuitous ARP (three, a second apart): the upstream
    # takes it once it accepts unsolicited ARP
    up.run(["sysctl", "-qw", "net.ipv4.conf.%s.arp_accept=1" % ub])
    assert g["snat_ports"] == [1024, 65535], g
    nat = wy.ctl("show", "nat", json=True)
    assert nat["snat_mode"] == "distributed", nat
    rts = [x for x in wy.ctl("show", "routers", json=True)["routers"] if "snat" in x]
    assert [x["snat"] for x in rts] == [{"mode": "distributed", "address": sip,
                                         "gateway_chassis": ""}], rts
    with rig.Capture(up, ub) as cap:
        ping_ok(ns["vm1"], UP_IP)
        assert tcp_ok(ns["vm1"], up, UP_IP, 5011) == sip
        srv = up.popen(["/usr/bin/python3", "-c", UDP_SERVER], stdout=subprocess.PIPE,
                       text=True)
        time.sleep(0.4)
        r = ns["vm2"].run(["/usr/bin/python3", "-c", UDP_CLIENT, UP_IP], check=False,
                          timeout=20)
        out, _ = srv.communicate(timeout=20)
        assert "HELLO" in r.stdout and out.strip() == sip, (r.stdout, r.stderr, out)
        time.sleep(0.5)
    src = sources(cap, "ip.dst == %s" % UP_IP)
    assert src == {(sip, smac)}, src
    # iperf3 through SNAT (a throughput line, never an assert on the rate)
    port = str(5301 + rig.uniq())
    srv = up.popen(["iperf3", "-s", "-1", "-B", UP_IP, "-p", port, "-J"], stdout=subprocess.PIPE,
                   text=True)
    rig.wait_for(lambda: ":%s" % port in up.run(["ss", "-ltnH"]).stdout, timeout=15,
                 what="iperf3 server to listen")
    cli = ns["vm1"].run(["iperf3", "-c", UP_IP, "-p", port, "-t", "2", "-J"], check=False,
                        timeout=60)
    sout, _ = srv.communicate(timeout=30)
    res = json.loads(cli.stdout)
    assert cli.returncode == 0 and "error" not in res, cli.stdout[-2000:]
    assert res["end"]["sum_received"]["bytes"] > 0
    peer = json.loads(sout)["start"]["connected"][0]["remote_host"]
    assert peer == sip, peer
    print("INFO snat=distributed iperf3_gbps=%.2f" % (
        res["end"]["sum_received"]["bits_per_second"] / 1e9))
    # the upstream resolves the SNAT address to this chassis
    assert smac in up.run(["ip", "neigh", "show", sip]).stdout
    # nothing new gets in through the SNAT address
    assert up.ping(sip, count=2).returncode != 0
    rmac = ns["vm1"].run(["ip", "neigh", "show", "10.60.0.1"]).stdout.split("lladdr ")[1].split()[0]
    fixed = w["vms"]["vm1"]["fixed_ips"][0]["ip_address"]
    out = wy.ctl("trace", "vm1", "udp,eth_src=%s,eth_dst=%s,ip_src=%s,ip_dst=%s,tp_src=4000,"
                 "tp_dst=53" % (w["vms"]["vm1"]["mac_address"], rmac, fixed, UP_IP)).stdout
    assert "nat(src=%s:1024-65535)" % sip in out and (
        "source is this chassis' SNAT address %s" % sip) in out, out
    nat = wy.ctl("show", "nat", json=True)
    assert nat["nat_conns"] >= 1, nat   # this test's connections, translated
    print("INFO snat=distributed address=%s nat=%s" % (sip, {k: nat[k] for k in (
        "nat_conns", "nat_exhausted")}))
    # still one port: the chassis never doubled it
    assert [p["id"] for p in snat_ports(wy, host)] == [sp[0]["id"]]
    # the router stops SNAT: the chassis deletes its port, no SNAT again
    o.ok("router", "set", "r", "--external-gateway", "ext", "--disable-snat")
    rig.wait_for(lambda: not snat_ports(wy, host), timeout=30, what="SNAT address port deleted")
    rig.wait_for(lambda: gw() is None, timeout=20, what="SNAT address gone")
    assert ns["vm1"].ping(UP_IP, count=1).returncode != 0


def test_distributed_snat_on_two_chassis(two_chassis_fip):
    """Distributed SNAT: each chassis has its own SNAT address for the
    router (a port per chassis); each VM (no floating IP) leaves its own
    chassis' uplink from its own chassis' address and MAC."""
    w = two_chassis_fip
    o, wys, up, peers, ns, chs = w["o"], w["wys"], w["up"], w["peers"], w["ns"], w["chs"]
    rid = o.js("router", "show", "r")["id"]
    sip = {}
    for vm, ch in chs.items():   # each chassis created its own
        sp = rig.wait_for(lambda ch=ch: snat_ports(wys[vm], ch), timeout=30,
                          what="SNAT address port of %s" % ch)
        assert len(sp) == 1 and sp[0]["device_id"] == rid, sp
        sip[vm] = sp[0]["fixed_ips"][0]["ip_address"]
    assert sip["vm1"] != sip["vm2"]

    def snat_of(vm):
        gws = wys[vm].ctl("show", "nat", json=True)["gateways"]
        return (gws[0].get("snat_address"), gws[0].get("snat_mac")) if gws else (None, None)
    for vm in chs:
        rig.wait_for(lambda vm=vm: snat_of(vm)[0] == sip[vm], timeout=20,
                     what="SNAT address of %s's chassis" % vm)
    mac = {vm: snat_of(vm)[1] for vm in chs}
    with rig.Capture(up, peers["vm1"]) as ca, rig.Capture(up, peers["vm2"]) as cb:
        ping_ok(ns["vm1"], UP_IP)
        ping_ok(ns["vm2"], UP_IP)
        assert tcp_ok(ns["vm1"], up, UP_IP, 5021) == sip["vm1"]
        assert tcp_ok(ns["vm2"], up, UP_IP, 5022) == sip["vm2"]
        time.sleep(0.5)
    assert sources(ca, "ip.dst == %s" % UP_IP) == {(sip["vm1"], mac["vm1"])}
    assert sources(cb, "ip.dst == %s" % UP_IP) == {(sip["vm2"], mac["vm2"])}
    print("INFO snat=distributed chassis_addresses=%s" % sip)
    for wy in wys.values():
        assert wy.ctrl()["table_errors"] == 0 and wy.alive()


UDP_FROM = ("import socket,sys\n"
            "c=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "c.bind(('0.0.0.0', int(sys.argv[2]))); c.sendto(b'x', (sys.argv[1], 7000))\n")


@pytest.mark.parametrize("fip_world", [{"snat-ports": "2000-2000"}], indirect=True)
def test_distributed_snat_exhaustion(fip_world):
    """[ctrl] snat-ports = 2000-2000: one source port.  The first UDP flow
    to the upstream takes it; a second flow to the same destination finds
    no free tuple: nothing leaves, `show nat` counts it exhausted."""
    w = fip_world
    o, wy, up, ub, ns = w["o"], w["wy"], w["up"], w["ub"], w["ns"]
    sp = rig.wait_for(lambda: snat_ports(wy, w["ch"]), timeout=30,
                      what="SNAT address port created by the chassis")
    sip = sp[0]["fixed_ips"][0]["ip_address"]
    rig.wait_for(lambda: any(g.get("snat_address") == sip and g.get("snat_ports") == [2000, 2000]
                             for g in wy.ctl("show", "nat", json=True)["gateways"]),
                 timeout=20, what="SNAT address with one port")
    ex0 = wy.ctl("show", "nat", json=True)["nat_exhausted"]
    with rig.Capture(up, ub) as cap:
        ns["vm1"].run(["/usr/bin/python3", "-c", UDP_FROM, UP_IP, "40001"])
        time.sleep(0.3)
        ns["vm1"].run(["/usr/bin/python3", "-c", UDP_FROM, UP_IP, "40002"])
        ns["vm2"].run(["/usr/bin/python3", "-c", UDP_FROM, UP_IP, "40003"])
        time.sleep(0.5)
    rows = cap.tshark_fields(["ip.src", "udp.srcport"], "udp.dstport == 7000 and not icmp")
    seen = {(r[0], r[1]) for r in rows if r and r[0]}
    assert seen == {(sip, "2000")}, seen
    ex1 = wy.ctl("show", "nat", json=True)["nat_exhausted"]
    assert ex1 >= ex0 + 2, (ex0, ex1)
    out = wy.ctl("show", "nat").stdout
    assert "ports 2000-2000" in out and "exhausted" in out, out
    print("INFO snat exhaustion: nat_exhausted %d -> %d" % (ex0, ex1))
