"""wyvernd with the XDP tier and a stateless security group from the
northbound (RocksDB): the group's verdicts are megaflows that match the
UDP destination port, and the XDP tier takes both kinds.

vm2's group lets in UDP to port 5001 only (stateless: no conntrack, so no
ct() in the megaflows).  From vm1, UDP to 5001 is forwarded and UDP to 5002
is refused (acl-deny) by the PMD for the first datagram; the megaflows
(input port, source MAC/IP, protocol, destination port under the ACL's
mask) are offloaded, and the following datagrams are redirected / dropped
in XDP: the PMD's rx stays flat, and the denied ones are still counted
under acl-deny (the XDP flow's hits are merged into its megaflow).
Stateful groups track connections through ct() and recirculation: those
megaflows are not announced to the offload manager and stay with the PMD.
"""
import os

import pytest

import rig
from test_ctrl import chassis_name, nb
from test_offload import OflWyvern
from test_xdp_wyvernd import rx, unpin, wyv_xdp, xflow_list, xobj, xstats

SEND = ("import socket, sys\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "for _ in range(int(sys.argv[3])): s.sendto(b'x' * 64, (sys.argv[1], int(sys.argv[2])))")
RECV = ("import socket, sys\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.bind((sys.argv[1], int(sys.argv[2]))); s.settimeout(120); n = 0\n"
        "while s.recv(2048) != b'end': n += 1\n"
        "print(n)")


def send(ns, ip, port, n):
    ns.run(["/usr/bin/python3", "-c", SEND, ip, str(port), str(n)])


@pytest.fixture(scope="module")
def sg(tmp_path_factory):
    if not os.access(wyv_xdp(), os.X_OK) or not os.path.exists(xobj()):
        pytest.skip("pmd-offload XDP tier not built")
    work = tmp_path_factory.mktemp("xdpsg")
    rig.ensure_bpffs()
    unpin()
    rig.CLEANUP.add(unpin)
    url = "rocksdb:%s/db" % work
    ch = chassis_name("xsg")
    nb(url, "network", "create", "blue")
    nb(url, "subnet", "create", "blue-v4", "--network", "blue", "--cidr", "10.0.0.0/24")
    nb(url, "security-group", "create", "open", "--stateless", "--add-rule",
       "direction=ingress,ethertype=IPv4")
    nb(url, "security-group", "create", "sl", "--stateless", "--add-rule",
       "direction=ingress,ethertype=IPv4,protocol=udp,port_min=5001,port_max=5001")
    ports = [nb(url, "port", "create", "vm%d" % i, "--network", "blue", "--host", ch,
                "--fixed-ip", "subnet=blue-v4,ip=10.0.0.1%d" % i, "--security-group", g)
             for i, g in ((1, "open"), (2, "sl"))]
    veths = [rig.Veth(), rig.Veth()]
    wy = OflWyvern([("vm%d" % (i + 1), "net_af_xdp%d,iface=%s,xdp_prog=%s" % (i, v.host, xobj()),
                     {"iface-id": ports[i]["id"]}) for i, v in enumerate(veths)],
                   ctrl={"db": url, "chassis": ch, "replica": str(work / "replica")},
                   offload={"enable": "true", "backend": "xdp", "mode": "full",
                            "stats-interval-ms": "100"})
    nss = []
    try:
        try:
            wy.start()
        except RuntimeError:
            if "feature offload" in wy.log_text():
                raise
            pytest.skip("net_af_xdp with xdp_prog unusable here")
        rig.wait_for(lambda: wy.ctl("show", "ctrl", json=True)["held"]["port"] == 2,
                     what="2 ports held")
        for i, v in enumerate(veths):
            ns = rig.Namespace()
            ns.adopt(v.peer, ports[i]["mac_address"], "10.0.0.1%d/24" % (i + 1))
            ns.run(["ethtool", "-K", v.peer, "tx", "off"])
            ns.run(["ip", "neigh", "replace", "10.0.0.1%d" % (2 - i), "lladdr",
                    ports[1 - i]["mac_address"], "dev", v.peer, "nud", "permanent"])
            ns.run([wyv_xdp(), "attach", v.peer, "wyv_xdp_pass"])
            nss.append(ns)
        rig.wait_for(lambda: len(wy.ctl("show", "security-groups", json=True)["ports"]) == 2,
                     what="both ports' ACLs installed")
        yield wy, nss, veths
    finally:
        wy.stop()
        for ns in nss:
            ns.delete()
        for v in veths:
            v.delete()


def udp_flow(host, port, action):
    f = [kv for kv in xflow_list() if kv["in"] == host and kv.get("proto") == "17" and
         kv["action"] == action and kv.get("tp_dst", "").startswith("%d/" % port)]
    return f[0] if f else None


def test_stateless_allow_and_deny_in_xdp(sg):
    wy, (a, b), (va, vb) = sg
    # allowed: the first datagram goes through the PMD, its megaflow to XDP
    rcv = b.popen(["/usr/bin/python3", "-c", RECV, "10.0.0.12", "5001"])
    try:
        rig.wait_for(lambda: ":5001" in b.run(["ss", "-lun"]).stdout, what="UDP receiver")
        d0 = wy.drops("acl-deny")
        send(a, "10.0.0.12", 5001, 1)
        allow = rig.wait_for(lambda: udp_flow(va.host, 5001, "redirect"),
                             what="the allowed UDP megaflow in XDP")
        assert allow["out"] == vb.host, allow
        r0, s0 = rx(wy), xstats(va.host)
        send(a, "10.0.0.12", 5001, 30)
        r1, s1 = rx(wy), xstats(va.host)
        assert r1["vm1"] == r0["vm1"], (r0, r1)
        assert s1["redirect"] - s0["redirect"] == 30 and s1["xsk"] == s0["xsk"], (s0, s1)
        a.run(["/usr/bin/python3", "-c", "import socket; socket.socket(socket.AF_INET, "
               "socket.SOCK_DGRAM).sendto(b'end', ('10.0.0.12', 5001))"])
        out, _ = rcv.communicate(timeout=60)
        assert int(out.strip()) == 31, out   # every datagram arrived
    finally:
        rig.stop_pid(rcv)
    assert wy.drops("acl-deny") == d0

    # denied by vm2's ingress rules: the PMD drops the first (acl-deny), the
    # drop megaflow goes to XDP, which drops the rest
    send(a, "10.0.0.12", 5002, 1)
    rig.wait_for(lambda: wy.drops("acl-deny") >= d0 + 1, what="acl-deny +1")
    deny = rig.wait_for(lambda: udp_flow(va.host, 5002, "drop"),
                        what="the acl-deny drop megaflow in XDP")
    d1, r2, s2 = wy.drops("acl-deny"), rx(wy), xstats(va.host)
    send(a, "10.0.0.12", 5002, 25)
    rig.wait_for(lambda: xstats(va.host)["drop_flow"] >= s2["drop_flow"] + 25,
                 what="XDP flow drops +25")
    r3, s3 = rx(wy), xstats(va.host)
    assert r3["vm1"] == r2["vm1"] and s3["xsk"] == s2["xsk"], (r2, r3, s2, s3)
    hits = [kv for kv in xflow_list() if kv == udp_flow(va.host, 5002, "drop")]
    assert int(hits[0]["packets"]) - int(deny["packets"]) == 25, hits
    rig.wait_for(lambda: wy.drops("acl-deny") >= d1 + 25, what="acl-deny +25 (merged)")
    assert wy.drops("acl-deny") == d1 + 25
    # the megaflow says why it is in XDP
    mf = [m for m in wy.megaflows() if m.get("offload", {}).get("state") == "full"]
    assert len(mf) >= 2, wy.ctl("dump", "megaflows").stdout
