"""The XDP tier (pmd-offload/xdp) on real veths between two namespaces.

Host ends of two veth pairs run wyv_xdp (native mode); the namespace ends run
wyv_xdp_pass, which native XDP redirect into a veth needs (rig notes).
L2 flows installed with the wyv-xdp loader forward ping and iperf3 in XDP
(the flow hit counters and the redirect counter rise), a spoofed frame is
dropped by the port-security map, and removing a flow sends that traffic to
the pass path at once (its counter rises, the ping fails: nothing behind it).
"""
import os
import re
import shutil

import pytest

import rig

MAC_A = "02:00:00:77:00:0a"
MAC_B = "02:00:00:77:00:0b"
IP_A, IP_B = "10.77.%d.1", "10.77.%d.2"


def wyv_xdp():
    return os.path.join(rig.build_dir(), "pmd-offload", "wyv-xdp")


class XdpPair:
    def __init__(self):
        rig.ensure_bpffs()
        self.pin = "/sys/fs/bpf/wyvt%d_%d" % (rig.RUN_ID, rig.uniq())
        rig.CLEANUP.add(lambda: shutil.rmtree(self.pin, ignore_errors=True))
        net = rig.uniq() % 250
        self.ip_a, self.ip_b = IP_A % net, IP_B % net
        self.ns_a, self.ns_b = rig.Namespace(), rig.Namespace()
        self.va, self.vb = rig.Veth(), rig.Veth()
        self.ns_a.adopt(self.va.peer, MAC_A, self.ip_a + "/24")
        self.ns_b.adopt(self.vb.peer, MAC_B, self.ip_b + "/24")
        for ns, peer in ((self.ns_a, self.va.peer), (self.ns_b, self.vb.peer)):
            # XDP_REDIRECT carries no checksum offload state: fill it in software
            ns.run(["ethtool", "-K", peer, "tx", "off"], check=False)
        # static neighbours: ARP broadcasts are not offloaded flows
        self.ns_a.run(["ip", "neigh", "replace", self.ip_b, "lladdr", MAC_B, "dev",
                       self.va.peer, "nud", "permanent"])
        self.ns_b.run(["ip", "neigh", "replace", self.ip_a, "lladdr", MAC_A, "dev",
                       self.vb.peer, "nud", "permanent"])
        for host in (self.va.host, self.vb.host):
            self.x("attach", host)
        self.ns_a.run([wyv_xdp(), "attach", self.va.peer, "wyv_xdp_pass"])
        self.ns_b.run([wyv_xdp(), "attach", self.vb.peer, "wyv_xdp_pass"])

    def x(self, *args, check=True):
        return rig.sh([wyv_xdp(), "-p", self.pin] + list(args), check=check)

    def stats(self, host):
        out = self.x("stats", host).stdout
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", out)}

    def flows(self):
        res = {}
        for line in self.x("flows").stdout.splitlines():
            d = dict(re.findall(r"(\w+)=(\S+)", line))
            if "type" not in d:   # the L2 flows (dst [+ src]) only
                res[(d["in"], d["dst"])] = d
        return res

    def add_flows(self):
        self.x("flow-add", self.va.host, MAC_B, self.vb.host)
        self.x("flow-add", self.vb.host, MAC_A, self.va.host)


@pytest.fixture(scope="module")
def pair():
    if not os.access(wyv_xdp(), os.X_OK):
        pytest.skip("wyv-xdp not built")
    p = XdpPair()
    yield p
    for ns in (p.ns_a, p.ns_b):
        ns.delete()
    for v in (p.va, p.vb):
        v.delete()


def test_forwarded_in_xdp(pair):
    pair.add_flows()
    before_a = pair.stats(pair.va.host)
    r = pair.ns_a.ping(pair.ip_b, count=5)
    assert r.returncode == 0, r.stdout + r.stderr
    f = pair.flows()
    assert int(f[(pair.va.host, MAC_B)]["packets"]) >= 5
    assert int(f[(pair.vb.host, MAC_A)]["packets"]) >= 5
    after_a = pair.stats(pair.va.host)
    assert after_a["redirect"] - before_a["redirect"] >= 5
    assert after_a["pass"] == before_a["pass"]   # nothing went to the stack

    # TCP through XDP both ways
    srv = pair.ns_b.popen(["iperf3", "-s", "-1", "-B", pair.ip_b])
    try:
        rig.wait_for(lambda: "iperf3" in pair.ns_b.run(["ss", "-ltnp"]).stdout,
                     what="iperf3 server")
        c = pair.ns_a.run(["iperf3", "-c", pair.ip_b, "-t", "2", "-J"], timeout=30)
        assert '"sum_received"' in c.stdout
        m = re.search(r'"sum_received":\s*{[^}]*"bytes":\s*(\d+)', c.stdout)
        assert m and int(m.group(1)) > 100000, c.stdout[-2000:]
    finally:
        rig.stop_pid(srv)
    f2 = pair.flows()
    assert int(f2[(pair.va.host, MAC_B)]["packets"]) > \
        int(f[(pair.va.host, MAC_B)]["packets"]) + 100


def test_spoofed_frame_dropped(pair):
    pair.x("portsec-set", pair.va.host, MAC_A, pair.ip_a)
    try:
        before = pair.stats(pair.va.host)
        # wrong source MAC, and right MAC with a wrong source IP
        code = ("import sys; from scapy.all import sendp, Ether, IP, UDP;"
                "sendp([Ether(src='02:00:00:77:00:66', dst=sys.argv[2])/IP(src=sys.argv[3],"
                "dst=sys.argv[4])/UDP(dport=9)]*3 + [Ether(src=sys.argv[5], dst=sys.argv[2])/"
                "IP(src='10.99.0.9', dst=sys.argv[4])/UDP(dport=9)]*2, iface=sys.argv[1],"
                " verbose=0)")
        pair.ns_a.run([rig.PY, "-c", code, pair.va.peer, MAC_B, pair.ip_a, pair.ip_b, MAC_A])
        rig.wait_for(lambda: pair.stats(pair.va.host)["drop_portsec"] -
                     before["drop_portsec"] >= 5, what="port-security drops")
        after = pair.stats(pair.va.host)
        assert after["redirect"] == before["redirect"]   # none of them forwarded
        # the legitimate sender still gets through
        assert pair.ns_a.ping(pair.ip_b, count=2).returncode == 0
    finally:
        pair.x("portsec-del", pair.va.host)


def test_tagged_frames_match_no_flow(pair):
    """802.1Q and 802.1ad tagged frames to B's MAC never match the (untagged)
    L2 flow: the dp parses both TPIDs as tags (and refuses them on access
    ports), so XDP hands them on instead of redirecting them."""
    pair.add_flows()
    before = pair.stats(pair.va.host)
    code = ("import sys; from scapy.all import sendp, Ether, Dot1Q, Dot1AD, IP, UDP;"
            "sendp([Ether(src=sys.argv[2], dst=sys.argv[3])/Dot1Q(vlan=5)/IP()/UDP()]*2 +"
            "[Ether(src=sys.argv[2], dst=sys.argv[3])/Dot1AD(vlan=5)/Dot1Q(vlan=6)/IP()/UDP()]*2"
            "+ [Ether(src=sys.argv[2], dst=sys.argv[3], type=0x88a8)/b'\\x00\\x05\\x08\\x00'"
            "/IP()/UDP()]*2, iface=sys.argv[1], verbose=0)")
    pair.ns_a.run([rig.PY, "-c", code, pair.va.peer, MAC_A, MAC_B])
    rig.wait_for(lambda: pair.stats(pair.va.host)["rx"] - before["rx"] >= 6, what="6 frames")
    after = pair.stats(pair.va.host)
    assert after["redirect"] == before["redirect"], (before, after)
    assert after["pass"] - before["pass"] >= 6, (before, after)


def test_flow_removal_goes_to_pass_path(pair):
    pair.add_flows()
    assert pair.ns_a.ping(pair.ip_b, count=2).returncode == 0
    before = pair.stats(pair.va.host)
    pair.x("flow-del", pair.va.host, MAC_B)
    r = pair.ns_a.ping(pair.ip_b, count=3)
    assert r.returncode != 0   # no AF_XDP socket, no bridge: nothing forwards it
    after = pair.stats(pair.va.host)
    assert after["pass"] - before["pass"] >= 3
    assert after["redirect"] == before["redirect"]
    assert (pair.va.host, MAC_B) not in pair.flows()
    # and back
    pair.x("flow-add", pair.va.host, MAC_B, pair.vb.host)
    assert pair.ns_a.ping(pair.ip_b, count=2).returncode == 0


def test_drop_and_xsk_flows(pair):
    pair.add_flows()
    before = pair.stats(pair.va.host)
    pair.x("flow-add", pair.va.host, MAC_B, "drop")
    assert pair.ns_a.ping(pair.ip_b, count=3).returncode != 0
    after = pair.stats(pair.va.host)
    assert after["drop_flow"] - before["drop_flow"] >= 3
    assert after["redirect"] == before["redirect"]
    # "xsk": explicitly to the PMD's socket (none bound here: the stack)
    pair.x("flow-add", pair.va.host, MAC_B, "xsk")
    assert pair.ns_a.ping(pair.ip_b, count=2).returncode != 0
    after2 = pair.stats(pair.va.host)
    assert after2["pass"] - after["pass"] >= 2
    assert after2["drop_flow"] == after["drop_flow"]
    pair.add_flows()
    assert pair.ns_a.ping(pair.ip_b, count=2).returncode == 0


def test_cli_rejects_bad_input(pair):
    r = pair.x("flow-add", pair.va.host, "02:zz:00:00:00:01", pair.vb.host, check=False)
    assert r.returncode == 1 and "bad MAC" in r.stderr
    r = pair.x("flow-add", "wyno_such_if", MAC_B, pair.vb.host, check=False)
    assert r.returncode == 1 and "no interface" in r.stderr
    r = pair.x("portsec-set", pair.va.host, MAC_A, "1.2.3.4", "1.2.3.5", "1.2.3.6",
               "1.2.3.7", "1.2.3.8", check=False)
    assert r.returncode == 1
    r = pair.x("flow-del", pair.va.host, "02:00:00:00:00:99", check=False)
    assert r.returncode == 1 and "No such file" in r.stderr


def test_attach_refuses_a_pin_of_another_layout(pair):
    """A pinned flow map of another layout (an older build's, whose key was
    smaller) is refused with a clear error, not reused."""
    if not shutil.which("bpftool"):
        pytest.skip("bpftool not installed")
    pin = "/sys/fs/bpf/wyvt%d_%d" % (rig.RUN_ID, rig.uniq())
    os.makedirs(pin)
    rig.CLEANUP.add(lambda: shutil.rmtree(pin, ignore_errors=True))
    rig.sh(["bpftool", "map", "create", pin + "/wyv_l2_flows", "type", "hash", "key", "32",
            "value", "24", "entries", "65536", "name", "wyv_l2_flows"])
    v = rig.Veth()
    try:
        r = rig.sh([wyv_xdp(), "-p", pin, "-m", "skb", "attach", v.host], check=False)
        assert r.returncode == 1 and "has another layout" in r.stderr, r.stderr
    finally:
        v.delete()


def udp_send(ns, dst, port, n=5):
    code = ("import socket, sys; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "for _ in range(int(sys.argv[3])): s.sendto(b'x' * 64, (sys.argv[1], int(sys.argv[2])))")
    ns.run(["/usr/bin/python3", "-c", code, dst, str(port), str(n)])


def test_manager_with_xdp_backend(pair):
    """The offload manager plans megaflows onto the xdp backend: L2 forwarding
    megaflows become XDP flows (full), one matching a field XDP does not look
    up (IPv4 TTL) stays in software with the reason, one with the
    port-security shape (source MAC, IPv4 source, protocol) is taken, and so
    are L4 ones: a security-group deny (no destination MAC, an IPv4
    destination prefix, UDP port 7777 -> drop) and UDP to 5120-6143 under
    the dp's 0xfc00 port mask (-> B).  UDP frames to those ports are dropped
    / redirected in XDP by those flows; removing a megaflow removes its XDP
    flow; exit flushes the rest."""
    for host, mac in ((pair.va.host, MAC_B), (pair.vb.host, MAC_A)):
        pair.x("flow-del", host, mac, check=False)
    assert pair.ns_a.ping(pair.ip_b, count=1).returncode != 0
    check = os.path.join(rig.build_dir(), "pmd-offload", "ofl-xdp-check")
    import subprocess
    p = subprocess.Popen([check, pair.pin, pair.va.host, pair.vb.host, MAC_A, MAC_B],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    rig.CLEANUP.add(lambda: rig.stop_pid(p))
    lines = []
    while True:
        line = p.stdout.readline()
        assert line, "ofl-xdp-check ended early: %s" % lines
        if line.strip() == "ready":
            break
        lines.append(line.strip())
    state = {l.split()[0]: l for l in lines}
    for i in (1, 2, 4, 5, 6):
        assert "state=full" in state["id=%d" % i], lines
    # an IPv4 TTL match: the program does not look it up (refused for that
    # megaflow only, the port's later megaflows still went)
    assert "state=none" in state["id=3"] and "xdp matches" in state["id=3"], lines
    flows = pair.x("flows").stdout.splitlines()
    shapes = [l for l in flows if "ip_src=10.255.0.1" in l and "proto=17" in l]
    assert len(shapes) == 1 and "in=%s" % pair.va.host in shapes[0], shapes
    deny = [l for l in flows if "tp_dst=7777/0xffff" in l]
    assert len(deny) == 1 and "dst=any" in deny[0] and "ip_dst=10.77.0.0/16" in deny[0] \
        and "action=drop" in deny[0], flows
    high = [l for l in flows if "tp_dst=5120/0xfc00" in l]
    assert len(high) == 1 and "action=redirect" in high[0], flows
    r = pair.ns_a.ping(pair.ip_b, count=3)
    assert r.returncode == 0, r.stdout
    f = pair.flows()
    assert int(f[(pair.va.host, MAC_B)]["packets"]) >= 3

    p.stdin.write("remove 1\n")
    p.stdin.flush()
    assert p.stdout.readline().strip() == "id=1 state=gone"
    assert (pair.va.host, MAC_B) not in pair.flows()
    assert pair.ns_a.ping(pair.ip_b, count=1).returncode != 0

    # without the L2 flow, UDP goes by its L4 flows: port 7777 dropped in
    # XDP, 5201 (in 5120-6143) redirected to B, 9999 (no flow) passed on
    def l4_pkts(what):
        return int([l for l in pair.x("flows").stdout.splitlines() if what in l][0]
                   .split("packets=")[1].split()[0])
    s0 = pair.stats(pair.va.host)
    udp_send(pair.ns_a, pair.ip_b, 7777)
    udp_send(pair.ns_a, pair.ip_b, 5201)
    udp_send(pair.ns_a, pair.ip_b, 9999)
    s1 = pair.stats(pair.va.host)
    assert s1["drop_flow"] - s0["drop_flow"] == 5, (s0, s1)
    assert s1["redirect"] - s0["redirect"] == 5, (s0, s1)
    assert s1["pass"] + s1["xsk"] - s0["pass"] - s0["xsk"] >= 5, (s0, s1)
    assert l4_pkts("tp_dst=7777/0xffff") == 5
    assert l4_pkts("tp_dst=5120/0xfc00") == 5
    p.stdin.close()
    assert p.wait(timeout=20) == 0
    assert (pair.vb.host, MAC_A) not in pair.flows()   # flushed on exit
    assert pair.x("flows").stdout.strip() == ""
