"""The XDP tier inside wyvernd's af_xdp ports: net_af_xdp loads wyv_xdp
(xdp_prog= devarg) instead of its default program.  Without flows every frame
reaches the PMD through the AF_XDP socket (wyvernd switches it); with an L2
flow installed in the shared pinned maps, the frames are redirected in XDP and
the PMD's rx counters stay flat; deleting the flow (a port-security change)
sends the traffic back to the PMD at once.
"""
import glob
import os
import re

import pytest

import rig

MAC = ("02:00:00:00:78:01", "02:00:00:00:78:02")
IP = ("10.78.0.1", "10.78.0.2")
PIN = "/sys/fs/bpf"   # net_af_xdp's libbpf pins by name here


def wyv_xdp():
    return os.path.join(rig.build_dir(), "pmd-offload", "wyv-xdp")


def xobj():
    return os.path.join(rig.build_dir(), "pmd-offload", "wyv_xdp.bpf.o")


def unpin():
    for p in glob.glob(os.path.join(PIN, "wyv_*")):
        os.unlink(p)


@pytest.fixture(scope="module")
def afx():
    if not os.access(wyv_xdp(), os.X_OK) or not os.path.exists(xobj()):
        pytest.skip("pmd-offload XDP tier not built")
    rig.ensure_bpffs()
    unpin()
    rig.CLEANUP.add(unpin)
    veths = [rig.Veth(), rig.Veth()]
    wy = rig.Wyvern([("x%d" % (i + 1), "net_af_xdp%d,iface=%s,xdp_prog=%s" % (i, v.host, xobj()))
                     for i, v in enumerate(veths)])
    nss = []
    try:
        try:
            wy.start()
        except RuntimeError:
            log = wy.log_text()
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
            nss.append(ns)
        wy.ctl("network", "add", 8)
        for i in range(2):
            wy.ctl("lport", "add", 81 + i, "--network", 8, "--mac", MAC[i], "--ip", IP[i],
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


def test_pmd_path_then_xdp_then_pmd(afx):
    wy, (a, b), (va, vb) = afx
    out = rig.sh(["ip", "link", "show", va.host]).stdout
    assert "wyv_xdp" in out, out   # our program, not net_af_xdp's default

    # 1. no flow: the PMD switches (every frame through the AF_XDP socket)
    r0 = rx(wy)
    assert a.ping(IP[1], count=3).returncode == 0
    r1 = rx(wy)
    assert r1["x1"] - r0["x1"] >= 3 and r1["x2"] - r0["x2"] >= 3
    assert xstats(va.host)["xsk"] >= 3

    # 2. L2 flows in XDP: forwarded between the kernel ports, PMD rx flat
    x("flow-add", va.host, MAC[1], vb.host)
    x("flow-add", vb.host, MAC[0], va.host)
    s0 = xstats(va.host)
    r2 = rx(wy)
    assert a.ping(IP[1], count=5).returncode == 0
    r3 = rx(wy)
    assert r3["x1"] == r2["x1"] and r3["x2"] == r2["x2"], (r2, r3)
    s1 = xstats(va.host)
    assert s1["redirect"] - s0["redirect"] >= 5
    assert s1["xsk"] == s0["xsk"]
    flows = x("flows").stdout
    assert re.search(r"in=%s .*packets=([5-9]|\d\d)" % va.host, flows), flows

    # 3. the flow goes (port-security change): back to the PMD at once
    x("flow-del", va.host, MAC[1])
    x("flow-del", vb.host, MAC[0])
    r4 = rx(wy)
    assert a.ping(IP[1], count=3).returncode == 0
    r5 = rx(wy)
    assert r5["x1"] - r4["x1"] >= 3 and r5["x2"] - r4["x2"] >= 3
