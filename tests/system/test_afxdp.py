"""One pair of namespaces switched through net_af_xdp ports on veths."""
import json
import re

import pytest

import rig

MAC = ("02:00:00:00:01:01", "02:00:00:00:01:02")
IP = ("10.1.0.1", "10.1.0.2")


@pytest.fixture(scope="module")
def xdp_pair():
    rig.ensure_bpffs()
    veths = [rig.Veth(), rig.Veth()]
    wy = rig.Wyvern([("x%d" % (i + 1), "net_af_xdp%d,iface=%s" % (i, v.host))
                     for i, v in enumerate(veths)])
    nss = []
    try:
        try:
            wy.start()
        except RuntimeError as e:
            log = wy.log_text()
            # Skip only when the af_xdp PMD itself could not come up on this kernel.
            bad = [l for l in log.splitlines()
                   if re.search(r"af_xdp|xsk|AF_XDP", l, re.I) and
                   re.search(r"fail|error|not supported|cannot", l, re.I)]
            if bad:
                pytest.skip("net_af_xdp unusable here: %s" % " | ".join(bad[:3]))
            raise
        for i, v in enumerate(veths):
            ns = rig.Namespace()
            ns.adopt(v.peer, MAC[i], IP[i] + "/24")
            ns.run(["ethtool", "-K", v.peer, "tx", "off"])
            nss.append(ns)
        wy.ctl("network", "add", 7)
        for i in range(2):
            wy.ctl("lport", "add", 71 + i, "--network", 7, "--mac", MAC[i], "--ip", IP[i],
                   "--port", "x%d" % (i + 1))
        yield wy, nss
    finally:
        wy.stop()
        for ns in nss:
            ns.delete()
        for v in veths:
            v.delete()


def test_afxdp_ping(xdp_pair):
    wy, (a, b) = xdp_pair
    drivers = {p["name"]: p["driver"] for p in wy.ctl("show", "ports", json=True)["ports"]}
    assert drivers == {"x1": "net_af_xdp", "x2": "net_af_xdp"}, drivers
    r = a.ping(IP[1], count=3)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout
    r = b.ping(IP[0], count=3)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout


def test_afxdp_iperf3(xdp_pair):
    wy, (a, b) = xdp_pair
    port = str(5301 + rig.uniq())
    srv = b.popen(["iperf3", "-s", "-1", "-B", IP[1], "-p", port, "-J"])
    rig.wait_for(lambda: ":%s" % port in b.run(["ss", "-ltnH"]).stdout,
                 timeout=15, what="iperf3 server to listen")
    cli = a.run(["iperf3", "-c", IP[1], "-p", port, "-t", "2", "-J"], check=False, timeout=60)
    srv.communicate(timeout=30)
    res = json.loads(cli.stdout)
    assert cli.returncode == 0 and "error" not in res, cli.stdout[-2000:]
    assert res["end"]["sum_sent"]["bytes"] > 0 and res["end"]["sum_received"]["bytes"] > 0
