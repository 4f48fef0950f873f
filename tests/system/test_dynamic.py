"""Configuration changes while traffic flows: lport del/add, runtime port add/del,
and targeted megaflow invalidation.

One daemon for the module with two tap ports vm1 (A, 10.0.0.1) and vm2 (B, 10.0.0.2);
a third port is added at runtime where needed.
"""
import pytest

import rig


@pytest.fixture(scope="module")
def tap2():
    with rig.TapRig(2) as r:
        yield r


@pytest.fixture
def net(tap2):
    t = rig.Topo(tap2.wy, tap2.ns)
    t.network(1)
    for i in (1, 2):
        t.lport(10 + i, 1, tap2.mac(i), ips=[tap2.ip(i)], port="vm%d" % i)
    yield t
    t.teardown()


@pytest.fixture
def ping_ab(tap2, net):
    """A continuous ping A -> B every 50 ms, already answered a few times."""
    p = rig.PingStream(tap2.ns[0], tap2.ip(2), interval=0.05)
    try:
        rig.wait_for(lambda: len(p.replied) >= 5, timeout=15, what="first ping replies")
        yield p
    finally:
        p.stop()


def test_lport_del_and_add_while_pinging(tap2, net, ping_ab):
    wy = tap2.wy
    net.lport_del(12)
    s_del = ping_ab.max_seen()
    # Replies stop: a run of 10 consecutive unanswered requests after the delete.
    rig.wait_for(lambda: ping_ab.has_run_of_unanswered(s_del, 10), timeout=20,
                 what="pings to stop being answered after lport del")
    assert "02:00:00:00:00:02" not in wy.ctl("dump", "fdb").stdout

    net.lport(12, 1, tap2.mac(2), ips=[tap2.ip(2)], port="vm2")
    s_add = ping_ab.max_seen()
    rig.wait_for(lambda: ping_ab.max_replied() > s_add, timeout=20,
                 what="ping replies to resume after lport add")


def test_runtime_port_add_del_does_not_disturb_others(tap2, net, ping_ab):
    wy = tap2.wy
    s0 = ping_ab.max_seen()

    iface = rig.ifname("t")
    wy.ctl("port", "add", "vm3", "net_tap%d,iface=%s" % (50 + rig.uniq(), iface))
    c = rig.Namespace()
    try:
        c.adopt(iface, tap2.mac(3), "10.0.0.3/24")
        net.lport(13, 1, tap2.mac(3), ips=["10.0.0.3"], port="vm3")
        # The new port works ...
        r = c.ping(tap2.ip(1), count=3)
        assert r.returncode == 0, r.stdout
        net.lport_del(13)
        wy.ctl("port", "del", "vm3")
        assert "vm3" not in wy.port_ids()
    finally:
        c.delete()

    # ... and the A <-> B ping was not disturbed by it (correctness, not timing:
    # a few losses are tolerated, a broken datapath or a stall is not).
    s1 = ping_ab.max_seen()
    rig.wait_for(lambda: ping_ab.max_seen() >= s1 + 20, timeout=20, what="20 more pings")
    hi = s1 + 20
    sent = hi - s0
    got = ping_ab.replies_in(s0 + 1, hi)
    assert got >= 0.9 * sent, "only %d of %d pings answered during port add/del" % (got, sent)
    r = tap2.ns[0].ping(tap2.ip(2), count=3)
    assert r.returncode == 0, r.stdout


def _ab_megaflow(wy, a_id, b_id):
    for m in wy.megaflows():
        if ("in_port=%d," % a_id) in m["match"] and "eth_type=0x0800" in m["match"] \
                and m["actions"] == "output:%d" % b_id:
            return m
    return None


def test_unrelated_lport_add_keeps_megaflow(tap2, net, ping_ab):
    wy = tap2.wy
    ids = wy.port_ids()
    a_id, b_id = ids["vm1"], ids["vm2"]
    m0 = rig.wait_for(lambda: (lambda m: m if m and m["hits"] >= 30 else None)(
        _ab_megaflow(wy, a_id, b_id)), timeout=20, what="A->B megaflow with >= 30 hits")

    net.lport(19, 1, "02:00:00:00:00:99", ips=["10.0.0.99"], port="none")
    m1 = _ab_megaflow(wy, a_id, b_id)
    assert m1 is not None, "A->B megaflow gone after adding an unrelated lport"
    assert m1["match"] == m0["match"] and m1["hits"] >= m0["hits"], (m0, m1)
    rig.wait_for(lambda: (_ab_megaflow(wy, a_id, b_id) or {"hits": -1})["hits"] >= m1["hits"] + 10,
                 timeout=20, what="the same megaflow's hits to keep rising")
    m2 = _ab_megaflow(wy, a_id, b_id)
    assert m2["match"] == m0["match"]

    # Control: a cache flush does reinstall it, which this check would notice.
    wy.ctl("cache", "flush")
    m3 = _ab_megaflow(wy, a_id, b_id)
    assert m3 is None or m3["hits"] < m2["hits"], (m2, m3)


def test_relevant_lport_change_takes_effect(tap2, net, ping_ab):
    """Changing B's MAC must invalidate the cached A->B path (stale megaflows would
    keep delivering to the old binding)."""
    wy = tap2.wy
    wy.ctl("lport", "set", 12, "--network", 1, "--mac", "02:00:00:00:00:42",
           "--ip", tap2.ip(2), "--port", "vm2")
    s = ping_ab.max_seen()
    # B still uses 02:..:02, so its replies now fail port security.
    before = wy.drops("psec-mac")
    rig.wait_for(lambda: ping_ab.has_run_of_unanswered(s, 10), timeout=20,
                 what="pings to fail after B's lport MAC changed")
    assert wy.drops("psec-mac") > before
    wy.ctl("lport", "set", 12, "--network", 1, "--mac", tap2.mac(2),
           "--ip", tap2.ip(2), "--port", "vm2")
    s = ping_ab.max_seen()
    rig.wait_for(lambda: ping_ab.max_replied() > s, timeout=20, what="pings to resume")


def test_deleted_port_unbinds_and_its_id_is_not_reused_stale(tap2, net):
    """port del of a port with a bound lport unbinds the lport; a new port that reuses
    the dp port id receives neither the old lport's unicast nor network floods."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw

    wy = tap2.wy
    a, b = tap2.ns
    if1, if2 = rig.ifname("t"), rig.ifname("t")
    wy.ctl("port", "add", "vm3", "net_tap%d,iface=%s" % (50 + rig.uniq(), if1))
    c = rig.Namespace()
    c2 = rig.Namespace()
    try:
        c.adopt(if1, tap2.mac(3), "10.0.0.3/24")
        net.lport(13, 1, tap2.mac(3), ips=["10.0.0.3"], port="vm3")
        assert a.ping("10.0.0.3", count=2).returncode == 0   # warms A->vm3 megaflows
        old_id = wy.port_ids()["vm3"]
        wy.ctl("port", "del", "vm3")
        lp = {l["key"]: l for l in wy.ctl("show", "lports", json=True)["lports"]}
        assert lp[13]["dp_port"] is None, lp[13]

        wy.ctl("port", "add", "vm3b", "net_tap%d,iface=%s" % (50 + rig.uniq(), if2))
        c2.adopt(if2, "02:00:00:00:00:33", "10.0.0.33/24")
        new_id = wy.port_ids()["vm3b"]
        tag = ("wyt-stale-%d" % rig.uniq()).encode()
        ucast = (Ether(src=tap2.mac(1), dst=tap2.mac(3)) / IP(src=tap2.ip(1), dst="10.0.0.3") /
                 UDP(sport=40000, dport=40001) / Raw(tag + b"-u"))
        bcast = (Ether(src=tap2.mac(1), dst="ff:ff:ff:ff:ff:ff") /
                 IP(src=tap2.ip(1), dst="10.0.0.255") / UDP(sport=40000, dport=40001) /
                 Raw(tag + b"-b"))
        no_dest = wy.drops("no-dest")
        with c2.capture() as cap, b.capture() as capb:
            a.send_frames([ucast, bcast])
            # Both frames have been through the datapath: the broadcast reached vm2,
            # the unicast to the unbound lport was dropped.
            capb.wait_for(lambda p: tag + b"-b" in bytes(p), what="broadcast on vm2")
            rig.wait_for(lambda: wy.drops("no-dest") > no_dest, what="no-dest drop")
        got = [p.summary() for p in cap.packets() if tag in bytes(p)]
        assert not got, "new port %d (old id %d) received %s" % (new_id, old_id, got)
        wy.ctl("port", "del", "vm3b")
    finally:
        c.delete()
        c2.delete()
