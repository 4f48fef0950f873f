"""wyvernd drives the XDP tier itself: `[offload] enable = true`,
`backend = xdp`, on net_af_xdp ports whose program is ours (xdp_prog=).

Two namespaces on veth pairs, one lport each (port security: its MAC and
IPv4 address).  The first packets go through the PMD (AF_XDP socket); the
megaflows they create are offloaded by the manager's xdp backend into the
pinned wyv_l2_flows map; from then on ping and iperf3 are forwarded in XDP
(the PMD's rx counters stay flat, the XDP flows' hit counters rise, `show
offload` lists the rules).  wyvernd also fills the program's port-security
map (wyv_port_sec) from each bound lport, so a spoofed frame (source MAC/IP
not the port's) is dropped in XDP: the PMD never sees it.  A port-security
change (the lport's allowed IP updated) kills the megaflows, their removal
deletes the XDP flows, and the map follows: the old address is dropped in
XDP, the new one passes to the PMD.
"""
import glob
import os
import re
import time

import pytest

import rig
from test_offload import OflWyvern

MAC = ("02:00:00:00:79:01", "02:00:00:00:79:02")
IP = ("10.79.0.1", "10.79.0.2")
PIN = "/sys/fs/bpf"   # net_af_xdp's libbpf pins our maps by name here


def wyv_xdp():
    return os.path.join(rig.build_dir(), "pmd-offload", "wyv-xdp")


def xobj():
    return os.path.join(rig.build_dir(), "pmd-offload", "wyv_xdp.bpf.o")


def unpin():
    for p in glob.glob(os.path.join(PIN, "wyv_*")):
        os.unlink(p)


@pytest.fixture(scope="module")
def xw():
    if not os.access(wyv_xdp(), os.X_OK) or not os.path.exists(xobj()):
        pytest.skip("pmd-offload XDP tier not built")
    rig.ensure_bpffs()
    unpin()
    rig.CLEANUP.add(unpin)
    veths = [rig.Veth(), rig.Veth()]
    wy = OflWyvern([("x%d" % (i + 1),
                     "net_af_xdp%d,iface=%s,xdp_prog=%s" % (i, v.host, xobj()), None)
                    for i, v in enumerate(veths)],
                   offload={"enable": "true", "backend": "xdp", "mode": "full",
                            "stats-interval-ms": "100"})
    nss = []
    try:
        try:
            wy.start()
        except RuntimeError:
            log = wy.log_text()
            if "feature offload" in log:
                raise
            bad = [l for l in log.splitlines() if re.search(r"af_xdp|xsk|xdp", l, re.I)]
            pytest.skip("net_af_xdp with xdp_prog unusable here: %s" % " | ".join(bad[:3]))
        for i, v in enumerate(veths):
            ns = rig.Namespace()
            ns.adopt(v.peer, MAC[i], IP[i] + "/24")
            ns.run(["ethtool", "-K", v.peer, "tx", "off"])
            ns.run(["ip", "neigh", "replace", IP[1 - i], "lladdr", MAC[1 - i], "dev", v.peer,
                    "nud", "permanent"])
            # native redirect into a veth needs a program on the receiving peer
            ns.run([wyv_xdp(), "attach", v.peer, "wyv_xdp_pass"])
            ns.iface = v.peer
            nss.append(ns)
        wy.ctl("network", "add", 9)
        for i in range(2):
            wy.ctl("lport", "add", 91 + i, "--network", 9, "--mac", MAC[i], "--ip", IP[i],
                   "--port", "x%d" % (i + 1))
        yield wy, nss, veths
    finally:
        wy.stop()
        for ns in nss:
            ns.delete()
        for v in veths:
            v.delete()


def x(*args, check=True):
    return rig.sh([wyv_xdp(), "-p", PIN] + list(args), check=check)


def rx(wy):
    return {p["name"]: p["rx_packets"] for p in wy.ctl("show", "ports", json=True)["ports"]}


def xstats(host):
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", x("stats", host).stdout)}


def xflow_list():
    return [dict(re.findall(r"(\w+)=(\S+)", line)) for line in x("flows").stdout.splitlines()
            if line.startswith("in=")]


def xflows():
    """{(in, dst, src, proto): {"packets": n, ...}} of the pinned flow map."""
    return {(kv["in"], kv["dst"], kv.get("src"), kv.get("proto")): kv for kv in xflow_list()}


def flow_pkts(va_host, i, proto="1"):
    """XDP hit counter of the offloaded flow from lport i (ingress va_host),
    ICMP unless told."""
    f = xflows().get((va_host, MAC[1 - i], MAC[i], proto))
    return int(f["packets"]) if f else None


def full_rules(wy):
    return {p["name"]: p["full"] for p in wy.offload()["ports"]}


def offloaded(wy, va, vb):
    """Both directions' flows are in XDP."""
    return flow_pkts(va.host, 0) is not None and flow_pkts(vb.host, 1) is not None


def test_forwarded_in_xdp(xw):
    wy, (a, b), (va, vb) = xw
    out = rig.sh(["ip", "link", "show", va.host]).stdout
    assert "wyv_xdp" in out, out   # our program, not net_af_xdp's default
    # the first packets go through the PMD; their megaflows are offloaded
    # by the manager's xdp backend (megaflow -> wyv_l2_flows entry)
    assert a.ping(IP[1], count=2).returncode == 0
    rig.wait_for(lambda: offloaded(wy, va, vb), what="XDP flows installed by wyvernd")
    rules = full_rules(wy)
    assert rules["x1"] >= 1 and rules["x2"] >= 1, wy.offload()
    mf = [m for m in wy.megaflows() if m.get("offload", {}).get("state") == "full"]
    assert len(mf) >= 2, wy.ctl("dump", "megaflows").stdout

    # ping: the PMD sees nothing, XDP redirects, the flows count
    r0, s0, f0 = rx(wy), xstats(va.host), flow_pkts(va.host, 0)
    assert a.ping(IP[1], count=5).returncode == 0
    r1, s1, f1 = rx(wy), xstats(va.host), flow_pkts(va.host, 0)
    assert r1["x1"] == r0["x1"] and r1["x2"] == r0["x2"], (r0, r1)
    assert s1["redirect"] - s0["redirect"] >= 5 and s1["xsk"] == s0["xsk"], (s0, s1)
    assert f1 - f0 >= 5
    # `show offload` merges the XDP counters (stats-interval-ms = 100)
    rig.wait_for(lambda: {p["name"]: p["hits"] for p in wy.offload()["ports"]}["x1"] >= f1,
                 what="show offload hits")

    # iperf3 (TCP: megaflows of protocol 6): a first short run installs them,
    # the second runs entirely in XDP
    srv = b.popen(["iperf3", "-s", "-B", IP[1]])
    try:
        rig.wait_for(lambda: "iperf3" in b.run(["ss", "-ltnp"]).stdout, what="iperf3 server")
        a.run(["iperf3", "-c", IP[1], "-t", "1", "-J"], timeout=30)
        rig.wait_for(lambda: full_rules(wy)["x1"] >= 2 and full_rules(wy)["x2"] >= 2,
                     what="TCP megaflows offloaded")
        r2, s2 = rx(wy), xstats(va.host)
        c = a.run(["iperf3", "-c", IP[1], "-t", "2", "-J"], timeout=30)
        m = re.search(r'"sum_received":\s*{[^}]*"bytes":\s*(\d+)', c.stdout)
        assert m and int(m.group(1)) > 100000, c.stdout[-2000:]
        r3, s3 = rx(wy), xstats(va.host)
        assert r3["x1"] == r2["x1"] and r3["x2"] == r2["x2"], (r2, r3)
        assert s3["redirect"] - s2["redirect"] > 1000 and s3["xsk"] == s2["xsk"], (s2, s3)
    finally:
        rig.stop_pid(srv)


def test_udp_forwarded_in_xdp(xw):
    """wyvernd's UDP megaflows match the destination port (under the dp's
    fixed 0xfc00 mask for ports >= 1024): the XDP tier takes them, so an
    iperf3 -u run after the first one is forwarded entirely in XDP."""
    wy, (a, b), (va, vb) = xw
    srv = b.popen(["iperf3", "-s", "-B", IP[1]])
    try:
        rig.wait_for(lambda: "iperf3" in b.run(["ss", "-ltnp"]).stdout, what="iperf3 server")
        a.run(["iperf3", "-u", "-b", "20M", "-c", IP[1], "-t", "1", "-J"], timeout=30)

        def udp_flow():
            f = [kv for kv in xflow_list() if kv["in"] == va.host and kv.get("proto") == "17"
                 and kv.get("tp_dst") == "5120/0xfc00"]
            return f[0] if f else None
        f0 = rig.wait_for(udp_flow, what="UDP megaflow (port 5201 under 0xfc00) in XDP")
        assert f0["action"] == "redirect" and f0["out"] == vb.host, f0
        assert f0["src"] == MAC[0] and f0["ip_src"] == IP[0], f0
        dump = wy.ctl("dump", "megaflows").stdout
        assert "refuses L4 match" not in dump, dump
        r2, s2 = rx(wy), xstats(va.host)
        c = a.run(["iperf3", "-u", "-b", "50M", "-c", IP[1], "-t", "2", "-J"], timeout=30)
        m = re.search(r'"sum":\s*{[^}]*"packets":\s*(\d+)', c.stdout)
        assert m and int(m.group(1)) > 1000, c.stdout[-2000:]
        r3, s3 = rx(wy), xstats(va.host)
        # the data (a -> b) never reaches the PMD; b's UDP handshake reply
        # goes to the client's new ephemeral port, in a 1024-port block the
        # first run may not have used: at most that one datagram
        assert r3["x1"] == r2["x1"] and r3["x2"] - r2["x2"] <= 1, (r2, r3)
        assert s3["redirect"] - s2["redirect"] > 1000 and s3["xsk"] == s2["xsk"], (s2, s3)
        assert int(udp_flow()["packets"]) - int(f0["packets"]) > 1000
    finally:
        rig.stop_pid(srv)


def test_dhcp_server_message_dropped_in_xdp(xw):
    """A DHCP server message (UDP 67 -> 68) from a port that is not a DHCP
    server: port security drops it (psec-dhcp-server) in a megaflow that
    matches the L4 ports and no destination MAC.  The XDP tier takes that
    drop: the next ones are dropped in XDP (PMD rx flat, no frame to the
    socket) and still counted under psec-dhcp-server (the flow's hits are
    merged into the megaflow, which counts them under its reason)."""
    wy, (a, b), (va, vb) = xw
    code = ("import sys; from scapy.all import sendp, Ether, IP, UDP;"
            "sendp(Ether(src=sys.argv[1], dst=sys.argv[2]) / IP(src=sys.argv[3], "
            "dst=sys.argv[4]) / UDP(sport=67, dport=68) / (b'x' * 40), iface=sys.argv[5], "
            "count=int(sys.argv[6]), verbose=False)")

    def send(n):
        a.run(["/usr/bin/python3", "-c", code, MAC[0], MAC[1], IP[0], IP[1], va.peer, str(n)])

    d0 = wy.drops("psec-dhcp-server")
    send(1)
    rig.wait_for(lambda: wy.drops("psec-dhcp-server") >= d0 + 1, what="psec-dhcp-server +1")

    def drop_flow():
        f = [kv for kv in xflow_list() if kv["in"] == va.host and kv["action"] == "drop"
             and kv.get("tp_dst") == "68/0xffff"]
        return f[0] if f else None
    f0 = rig.wait_for(drop_flow, what="the DHCP-server drop megaflow in XDP")
    assert f0.get("tp_src") == "67/0xffff" and f0["dst"] == "any", f0
    d1, r0, s0 = wy.drops("psec-dhcp-server"), rx(wy), xstats(va.host)
    send(20)
    rig.wait_for(lambda: xstats(va.host)["drop_flow"] >= s0["drop_flow"] + 20,
                 what="XDP flow drops +20")
    s1, r1 = xstats(va.host), rx(wy)
    assert s1["xsk"] == s0["xsk"] and s1["drop_portsec"] == s0["drop_portsec"], (s0, s1)
    assert r1["x1"] == r0["x1"], (r0, r1)
    assert int(drop_flow()["packets"]) - int(f0["packets"]) == 20
    # the reason's counter follows through the hardware-counter merge
    rig.wait_for(lambda: wy.drops("psec-dhcp-server") >= d1 + 20,
                 what="psec-dhcp-server +20 (merged XDP hits)")
    assert wy.drops("psec-dhcp-server") == d1 + 20
    # ping still works (its flows are others)
    assert a.ping(IP[1], count=1).returncode == 0


def spoof(ns, iface, src_mac, src_ip, n=5):
    code = ("import sys; from scapy.all import sendp, Ether, IP, ICMP;"
            "sendp(Ether(src=sys.argv[1], dst=sys.argv[2]) / IP(src=sys.argv[3], "
            "dst=sys.argv[4]) / ICMP(), iface=sys.argv[5], count=int(sys.argv[6]), "
            "verbose=False)")
    ns.run(["/usr/bin/python3", "-c", code, src_mac, MAC[1], src_ip, IP[1], iface, str(n)])


def psec_text(wy, name):
    return [p for p in wy.offload()["ports"] if p["name"] == name][0]["port_security"]


def test_spoofed_frame_dropped_in_xdp(xw):
    """wyvernd put the lport's MAC and IPv4 address into wyv_port_sec: a
    spoofed frame (wrong source MAC; wrong source IP) is dropped by the
    program's port-security check; the PMD neither receives it nor counts a
    port-security drop."""
    wy, (a, b), (va, vb) = xw
    assert a.ping(IP[1], count=2).returncode == 0
    rig.wait_for(lambda: offloaded(wy, va, vb), what="XDP flows installed by wyvernd")
    rig.wait_for(lambda: psec_text(wy, "x1") == "xdp: mac %s, ipv4 %s" % (MAC[0], IP[0]),
                 what="port security of lport 91 in XDP")
    assert psec_text(wy, "x2") == "xdp: mac %s, ipv4 %s" % (MAC[1], IP[1])
    for src_mac, src_ip in ((MAC[0], "10.79.0.99"), ("02:00:00:00:79:66", IP[0])):
        d0 = (wy.drops("psec-ip"), wy.drops("psec-mac"))
        s0, r0, f0 = xstats(va.host), rx(wy), flow_pkts(va.host, 0)
        spoof(a, va.peer, src_mac, src_ip)
        rig.wait_for(lambda: xstats(va.host)["drop_portsec"] >= s0["drop_portsec"] + 5,
                     what="XDP port-security drops +5")
        s1, r1 = xstats(va.host), rx(wy)
        assert s1["xsk"] == s0["xsk"] and s1["redirect"] == s0["redirect"], (s0, s1)
        assert r1["x1"] == r0["x1"] and r1["x2"] == r0["x2"], (r0, r1)
        assert (wy.drops("psec-ip"), wy.drops("psec-mac")) == d0
        assert flow_pkts(va.host, 0) == f0
    # the real sender is still forwarded in XDP
    s2 = xstats(va.host)
    assert a.ping(IP[1], count=2).returncode == 0
    s3 = xstats(va.host)
    assert s3["redirect"] - s2["redirect"] >= 2 and s3["drop_portsec"] == s2["drop_portsec"]


def test_portsec_change_removes_xdp_flow(xw):
    """The lport's allowed IP changes: its megaflows die, their removal deletes
    the XDP flows, and wyv_port_sec follows: frames from the old address are
    dropped in XDP, frames from the new one pass to the PMD.  Restored,
    traffic is offloaded again."""
    wy, (a, b), (va, vb) = xw
    assert a.ping(IP[1], count=2).returncode == 0
    rig.wait_for(lambda: offloaded(wy, va, vb), what="XDP flows installed by wyvernd")
    try:
        wy.ctl("lport", "set", 91, "--network", 9, "--mac", MAC[0], "--ip", "10.79.0.77",
               "--port", "x1")
        rig.wait_for(lambda: flow_pkts(va.host, 0) is None, timeout=5,
                     what="XDP flow of lport 91 removed")
        rig.wait_for(lambda: psec_text(wy, "x1") == "xdp: mac %s, ipv4 10.79.0.77" % MAC[0],
                     timeout=5, what="wyv_port_sec of lport 91 updated")
        # the old address: dropped in XDP, the PMD sees nothing
        d0, r0, s0 = wy.drops("psec-ip"), rx(wy), xstats(va.host)
        assert a.ping(IP[1], count=3).returncode != 0   # no longer allowed
        r1, s1 = rx(wy), xstats(va.host)
        assert s1["drop_portsec"] - s0["drop_portsec"] >= 3, (s0, s1)
        assert r1["x1"] == r0["x1"] and s1["xsk"] == s0["xsk"], (r0, r1, s0, s1)
        assert wy.drops("psec-ip") == d0
        assert flow_pkts(va.host, 0) is None
        # the new address passes XDP's port security: the first frame reaches
        # the PMD, which forwards it (its megaflow may be offloaded before the
        # next ones arrive: those are redirected in XDP)
        spoof(a, va.peer, MAC[0], "10.79.0.77")
        rig.wait_for(lambda: xstats(va.host)["rx"] >= s1["rx"] + 5, what="XDP rx +5")
        s2 = xstats(va.host)
        assert s2["xsk"] - s1["xsk"] >= 1, (s1, s2)
        assert s2["xsk"] + s2["redirect"] - s1["xsk"] - s1["redirect"] >= 5, (s1, s2)
        assert s2["drop_portsec"] == s1["drop_portsec"], (s1, s2)
        rig.wait_for(lambda: rx(wy)["x1"] >= r1["x1"] + 1, what="PMD rx")
        assert wy.drops("psec-ip") == d0
    finally:
        wy.ctl("lport", "set", 91, "--network", 9, "--mac", MAC[0], "--ip", IP[0],
               "--port", "x1")
    rig.wait_for(lambda: a.ping(IP[1], count=1).returncode == 0, what="ping after restore")
    rig.wait_for(lambda: offloaded(wy, va, vb), what="offloaded again")
    assert psec_text(wy, "x1") == "xdp: mac %s, ipv4 %s" % (MAC[0], IP[0])


def test_unbound_lport_clears_port_security(xw):
    """An lport deleted (the port unbound): its wyv_port_sec entry goes, and a
    frame from any source is handed to the PMD (which drops it: no lport);
    bound again, the entry is back."""
    wy, (a, b), (va, vb) = xw
    rig.wait_for(lambda: psec_text(wy, "x1").startswith("xdp: mac"), what="entry of x1")
    try:
        wy.ctl("lport", "del", 91)
        rig.wait_for(lambda: psec_text(wy, "x1") == "", timeout=5, what="entry of x1 removed")
        s0 = xstats(va.host)
        spoof(a, va.peer, "02:00:00:00:79:66", "10.79.0.99")
        rig.wait_for(lambda: xstats(va.host)["rx"] >= s0["rx"] + 5, what="XDP rx +5")
        s1 = xstats(va.host)
        # the first goes to the PMD (its drop megaflow may then be offloaded)
        assert s1["xsk"] - s0["xsk"] >= 1 and s1["drop_portsec"] == s0["drop_portsec"], (s0, s1)
    finally:
        wy.ctl("lport", "add", 91, "--network", 9, "--mac", MAC[0], "--ip", IP[0],
               "--port", "x1", check=False)
    rig.wait_for(lambda: psec_text(wy, "x1") == "xdp: mac %s, ipv4 %s" % (MAC[0], IP[0]),
                 what="entry of x1 back")
    rig.wait_for(lambda: a.ping(IP[1], count=1).returncode == 0, what="ping after rebind")
