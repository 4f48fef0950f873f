"""Megaflow offload in wyvernd (`[offload]`), on real ports.

1. The dummy backend (MARK emulation in an rx callback) on two net_tap ports
   and an af_packet overlay uplink (`offload = none` on it: the per-port
   override) with a Linux VXLAN device as the remote VTEP:
   - ping works; `show offload` lists both tap ports with the dummy's
     capabilities and the partial rules it installed; `show pmd` counts
     marked packets (EMC and classifier skipped; parse skipped for plain
     forwarding); `dump megaflows` shows each flow's offload state;
   - the same frame forwarded by the software path (first packet: it
     creates the megaflow) and by the mark path (after the rule is in) leaves
     byte-identical, for L2 forwarding and for VXLAN encapsulation (whose
     outer UDP source port hashes the inner headers: the mark path must parse
     for it);
   - a table change while the offload thread is paused: the NIC keeps
     marking with the rule of a megaflow that is gone, the PMD counts stale
     marks and forwards in software; resumed, the rule goes and the new
     megaflow gets its own.
2. rte_flow on net_tap: the probe's answer is shown; flows the port can take
   are accepted, the rest stay in software with the reason shown (net_tap
   refuses MARK: no partial tier).
"""
import os
import re
import shutil
import time

import pytest

import rig

VTEP_A, VTEP_B = "192.0.2.1", "192.0.2.2"
MAC = {1: "02:00:00:00:0e:11", 2: "02:00:00:00:0e:12", 3: "02:00:00:00:0e:13"}
IP = {1: "10.0.0.11", 2: "10.0.0.12", 3: "10.0.0.13"}
KERNEL_VTEP_MAC = "02:00:00:00:0e:b2"


class OflWyvern(rig.Wyvern):
    """A Wyvern with [ctrl], [offload] and per-port keys.

    ports: list of (name, devargs, {key: value}) (the dict: extra port keys)."""

    def __init__(self, ports, ctrl=None, offload=None):
        super().__init__([(n, d) for n, d, _ in ports])
        self.port_keys = {n: k or {} for n, _, k in ports}
        self.ctrl_cfg = dict(ctrl or {})
        self.offload_cfg = dict(offload or {})
        rig.CLEANUP.add(lambda: shutil.rmtree(self.dir, ignore_errors=True)
                        if not os.environ.get("WYT_KEEP") else None)

    def config_text(self):
        lines = ["[eal]", "args = --no-huge --no-pci", "memory-mb = 512",
                 "file-prefix = %s" % self.prefix, "lcores = 0,1",
                 "[dp]", "pmd-lcores = 1", "idle-sleep-max-us = 200", "mbufs = 8192",
                 "[mgmt]", "socket = %s" % self.sock]
        if self.ctrl_cfg:
            lines += ["[ctrl]"] + ["%s = %s" % kv for kv in self.ctrl_cfg.items()]
        lines += ["[offload]"] + ["%s = %s" % kv for kv in self.offload_cfg.items()]
        for name, devargs in self.ports:
            lines += ["[port.%s]" % name, "devargs = %s" % devargs]
            lines += ["%s = %s" % kv for kv in self.port_keys[name].items()]
        return "\n".join(lines) + "\n"

    def offload(self):
        return self.ctl("show", "offload", json=True)

    def ofl_port(self, name):
        pid = self.port_ids()[name]
        return [p for p in self.offload()["ports"] if p["port"] == pid]

    def pmd_ofl(self):
        tot = {}
        for p in self.pmd_stats():
            for k, v in p["offload"].items():
                tot[k] = tot.get(k, 0) + v
        return tot


def underlay_pair():
    a, b = rig.ifname("ua"), rig.ifname("ub")
    rig.sh(["ip", "link", "add", a, "type", "veth", "peer", "name", b])
    rig.CLEANUP.add(lambda: rig.sh(["ip", "link", "del", a], check=False))
    for i in (a, b):
        rig.sh(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % i], check=False)
        rig.sh(["ip", "link", "set", i, "up"])
    return a, b


@pytest.fixture(scope="module")
def dummy():
    """vm1, vm3: net_tap with the dummy backend; up: af_packet uplink, not
    offloaded; K: a namespace with the kernel VTEP (vx0 = lport 2, remote)."""
    ua, ub = underlay_pair()
    taps = [rig.ifname("t"), rig.ifname("t")]
    wy = OflWyvern([("up", "net_af_packet9,iface=%s" % ua, {"offload": "none"}),
                    ("vm1", "net_tap9,iface=%s" % taps[0], None),
                    ("vm3", "net_tap10,iface=%s" % taps[1], None)],
                   ctrl={"vtep-ip": VTEP_A, "uplink": "up", "encap": "vxlan"},
                   offload={"enable": "true", "mode": "auto", "backend": "dummy",
                            "backend-args": "caps=mark,rss,queue,count",
                            "stats-interval-ms": "100"})
    nss = []
    try:
        wy.start()
        k = rig.Namespace()
        nss.append(k)
        k.adopt(ub, KERNEL_VTEP_MAC, VTEP_B + "/24")
        k.run(["ip", "link", "add", "vx0", "type", "vxlan", "id", "100", "local", VTEP_B,
               "remote", VTEP_A, "dstport", "4789", "dev", ub])
        k.run(["ip", "link", "set", "vx0", "mtu", "1450"])
        k.configure("vx0", MAC[2], IP[2] + "/24")
        k.iface = ub
        for i, t in ((1, taps[0]), (3, taps[1])):
            ns = rig.Namespace()
            ns.adopt(t, MAC[i], IP[i] + "/24")
            ns.run(["ip", "link", "set", t, "mtu", "1450"])
            ns.iface = t
            nss.append(ns)
        wy.ctl("network", "add", "1", "--name", "blue", "--vni", "100", "--mtu", "1450",
               "--flood-vtep", VTEP_B)
        wy.ctl("vtep", "add", VTEP_B)
        wy.ctl("lport", "add", "1", "--network", "1", "--mac", MAC[1], "--ip", IP[1],
               "--port", "vm1")
        wy.ctl("lport", "add", "3", "--network", "1", "--mac", MAC[3], "--ip", IP[3],
               "--port", "vm3")
        wy.ctl("lport", "add", "2", "--network", "1", "--mac", MAC[2], "--ip", IP[2],
               "--remote-vtep", VTEP_B)
        yield wy, nss[1], nss[2], k
    finally:
        wy.stop()
        for ns in nss:
            ns.delete()


def udp_frame(src, dst_mac, dst_ip, sport, dport, payload=b"wyvern-offload-test"):
    from scapy.all import Ether, IP as IPL, UDP, Raw
    return bytes(Ether(src=MAC[src], dst=dst_mac) /
                 IPL(src=IP[src], dst=dst_ip, id=7, ttl=64) /
                 UDP(sport=sport, dport=dport) / Raw(payload))


def received(cap_pkts, pred):
    return [bytes(p) for p in cap_pkts if pred(p)]


def send_until_marked(wy, ns, frame, counter="mark_hits"):
    """Send frame (its first copy creates the megaflow, in software) until a
    copy is taken by the mark path (its rule is in); returns the copies sent."""
    sent = [0]
    s0 = wy.pmd_ofl()[counter]

    def one():
        ns.send_frames([frame], iface=ns.iface)
        sent[0] += 1
        return wy.pmd_ofl()[counter] > s0
    rig.wait_for(one, timeout=20, interval=0.2, what="a copy on the mark path (%s)" % counter)
    return sent[0]


def flows_with_state(wy, state):
    return [f for f in wy.ctl("dump", "megaflows", json=True)["megaflows"]
            if f.get("offload", {}).get("state") == state]


def test_ping_rules_and_marked_hits(dummy):
    wy, ns1, ns3, _ = dummy
    rig.wait_for(lambda: ns1.ping(IP[3], count=1).returncode == 0, timeout=20,
                 what="vm1 -> vm3 ping")
    show = wy.offload()
    assert show["enabled"] is True
    names = {p["name"]: p for p in show["ports"]}
    assert set(names) == {"vm1", "vm3"}, names          # up: offload = none
    for p in names.values():
        assert p["backend"] == "dummy"
        assert "mark" in p["caps"].split(",") and "rss" in p["caps"].split(","), p
    before = wy.pmd_ofl()
    r = ns1.ping(IP[3], count=10, interval=0.05)
    assert r.returncode == 0, r.stdout
    show = wy.offload()
    names = {p["name"]: p for p in show["ports"]}
    assert names["vm1"]["installed"] >= 1 and names["vm1"]["partial"] >= 1, names
    assert names["vm3"]["installed"] >= 1 and names["vm3"]["partial"] >= 1, names
    after = wy.pmd_ofl()
    # echo requests and replies after the first: marked, looked up by mark
    assert after["mark_hits"] - before["mark_hits"] >= 10, (before, after)
    # ICMP forwarding reads no header length: parse skipped too
    assert (after["mark_hits"] - after["mark_parsed"]) - \
        (before["mark_hits"] - before["mark_parsed"]) >= 10, (before, after)
    text = wy.ctl("show", "pmd").stdout
    assert re.search(r"marked packets: [1-9]\d*", text), text
    part = flows_with_state(wy, "partial")
    assert part and all(f["offload"]["mark"] > 0 for f in part), part
    dump = wy.ctl("dump", "megaflows").stdout
    assert "offload=partial" in dump, dump
    # the uplink is not offloaded: its megaflows say so
    text = wy.ctl("show", "offload").stdout
    assert "port vm1" in text and "backend dummy" in text, text
    # partial rules carry no AGE: nothing aged (the field is shown)
    assert re.search(r"removed \d+ aged 0 ", text), text
    assert wy.ofl_port("vm1")[0]["aged"] == 0


def test_l2_output_identical_on_both_paths(dummy):
    wy, ns1, ns3, _ = dummy
    # to vm3's MAC, an address nobody has: vm3's kernel drops it silently.
    # The first copy creates the megaflow (software path); once its rule is
    # in, copies come marked (mark path).  Every copy must leave as it came.
    f = udp_frame(1, MAC[3], "10.0.0.99", 40001, 40002)
    with ns3.capture() as cap:
        n = send_until_marked(wy, ns1, f)
        time.sleep(0.3)
    assert n >= 2
    got = received(cap.packets(), lambda p: p.haslayer("UDP") and p["UDP"].sport == 40001)
    assert len(got) == n, (n, len(got))
    assert all(g == f for g in got)


def test_vxlan_output_identical_on_both_paths(dummy):
    wy, ns1, _, k = dummy
    rig.wait_for(lambda: [v for v in wy.ctl("show", "overlay", json=True)["vteps"]
                          if v["resolved"]], timeout=20, what="remote VTEP resolved")
    f = udp_frame(1, MAC[2], IP[2], 41001, 41002, payload=b"x" * 40)
    with k.capture() as cap:
        # encap reads the inner headers (outer UDP source port): the mark
        # path parses these packets
        n = send_until_marked(wy, ns1, f, counter="mark_parsed")
        time.sleep(0.3)
    assert n >= 2
    assert [x for x in flows_with_state(wy, "partial") if "tnl_push" in x["actions"]]
    # what we sent (the kernel's ICMP error back quotes the payload too)
    outer = received(cap.packets(), lambda p: p.haslayer("UDP") and p["UDP"].dport == 4789
                     and p["IP"].src == VTEP_A and bytes(p).endswith(f))
    assert len(outer) == n, (n, len(outer))
    assert all(o == outer[0] for o in outer)


def test_stale_marks_after_table_change(dummy):
    wy, ns1, ns3, _ = dummy
    f = udp_frame(1, MAC[3], "10.0.0.98", 42001, 42002)
    send_until_marked(wy, ns1, f)
    removed0 = wy.ofl_port("vm1")[0]["removed"]
    wy.ctl("offload", "pause")
    try:
        assert wy.offload()["paused"] is True
        # a table change every megaflow of vm3 depends on
        wy.ctl("lport", "set", "3", "--network", "1", "--mac", MAC[3], "--ip", IP[3],
               "--ip", "10.0.0.98", "--port", "vm3")
        s0 = wy.pmd_ofl()
        with ns3.capture() as cap:
            ns1.send_frames([f], iface=ns1.iface, count=3)
            rig.wait_for(lambda: wy.pmd_ofl()["mark_stale"] >= s0["mark_stale"] + 3,
                         timeout=10, what="stale marks counted")
            time.sleep(0.3)
        got = received(cap.packets(), lambda p: p.haslayer("UDP") and p["UDP"].sport == 42001)
        assert len(got) == 3, "stale-marked frames still forwarded (software path)"
    finally:
        wy.ctl("offload", "resume")
    rig.wait_for(lambda: wy.ofl_port("vm1")[0]["removed"] > removed0, timeout=10,
                 what="the dead megaflow's rule removed")
    send_until_marked(wy, ns1, f)      # the new megaflow got its own rule


def test_check_config_errors(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("[eal]\nargs = --no-huge\n[offload]\nenable = true\nmode = fastest\n")
    r = rig.sh([rig.wyvernd_bin(), "-c", str(conf), "--check-config"], check=False)
    assert r.returncode != 0
    assert "bad.conf:5:" in (r.stdout + r.stderr) and "mode" in (r.stdout + r.stderr)
    conf.write_text("[eal]\nargs = --no-huge\n[port.a]\ndevargs = net_null0\n"
                    "offload = magic\n")
    r = rig.sh([rig.wyvernd_bin(), "-c", str(conf), "--check-config"], check=False)
    assert r.returncode != 0 and "bad.conf:5:" in (r.stdout + r.stderr), r.stdout + r.stderr


def test_dummy_refusing_mark(tmp_path):
    """A NIC without MARK (dummy told so): every flow stays in software, and
    says why."""
    taps = [rig.ifname("t"), rig.ifname("t")]
    wy = OflWyvern([("a", "net_tap11,iface=%s" % taps[0], None),
                    ("b", "net_tap12,iface=%s" % taps[1], {"offload-args": "caps=queue,count"})],
                   offload={"enable": "true", "backend": "dummy",
                            "backend-args": "caps=queue,count"})
    nss = []
    try:
        wy.start()
        for i, t in ((1, taps[0]), (3, taps[1])):
            ns = rig.Namespace()
            ns.adopt(t, MAC[i], IP[i] + "/24")
            nss.append(ns)
        wy.ctl("network", "add", "1")
        wy.ctl("lport", "add", "1", "--network", "1", "--mac", MAC[1], "--ip", IP[1],
               "--port", "a")
        wy.ctl("lport", "add", "3", "--network", "1", "--mac", MAC[3], "--ip", IP[3],
               "--port", "b")
        rig.wait_for(lambda: nss[0].ping(IP[3], count=1).returncode == 0, timeout=20,
                     what="ping")
        nss[0].ping(IP[3], count=3, interval=0.1)
        wy.offload()
        flows = [f for f in wy.ctl("dump", "megaflows", json=True)["megaflows"] if "offload" in f]
        assert flows
        for f in flows:
            assert f["offload"]["state"] == "none", f
            assert f["offload"]["why"], f
        icmp = [f for f in flows if "ip_proto=1" in f["match"] or "icmp" in f["match"]]
        assert icmp and all("MARK" in f["offload"]["why"] for f in icmp), icmp
        assert wy.pmd_ofl()["mark_hits"] == 0
        assert all(p["partial"] == 0 and p["full"] == 0 for p in wy.offload()["ports"])
    finally:
        wy.stop()
        for ns in nss:
            ns.delete()


def tc_flower():
    """Does this kernel have TC flower (what net_tap creates rules with)?"""
    ns = rig.Namespace()
    try:
        ns.run(["ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"])
        ns.run(["tc", "qdisc", "add", "dev", "v0", "ingress"], check=False)
        r = ns.run(["tc", "filter", "add", "dev", "v0", "ingress", "protocol", "ip", "prio",
                    "1", "flower", "dst_ip", "10.0.0.1", "action", "drop"], check=False)
        return r.returncode == 0
    finally:
        ns.delete()


def test_rte_flow_on_net_tap():
    """net_tap validates DROP and QUEUE; it creates rules as TC flower
    filters, so whether the drop megaflow is really created depends on the
    kernel (asked of tc(8) first): with flower, it is created and counts; without (this
    rig), the create failure is the port's refusal, cached, with tap's reason."""
    taps = [rig.ifname("t"), rig.ifname("t")]
    wy = OflWyvern([("a", "net_tap13,iface=%s" % taps[0], None),
                    ("b", "net_tap14,iface=%s" % taps[1], None)],
                   offload={"enable": "true", "backend": "rte_flow"})
    nss = []
    try:
        wy.start()
        for i, t in ((1, taps[0]), (3, taps[1])):
            ns = rig.Namespace()
            ns.adopt(t, MAC[i], IP[i] + "/24")
            ns.iface = t
            nss.append(ns)
        wy.ctl("network", "add", "1")
        wy.ctl("lport", "add", "1", "--network", "1", "--mac", MAC[1], "--ip", IP[1],
               "--port", "a")
        wy.ctl("lport", "add", "3", "--network", "1", "--mac", MAC[3], "--ip", IP[3],
               "--port", "b")
        show = wy.offload()
        ports = {p["port"]: p for p in show["ports"]}
        assert len(ports) == 2
        for p in ports.values():
            assert p["backend"] == "rte_flow"
            caps = p["caps"].split(",")
            # what net_tap validates here: drop and queue; never MARK
            assert "mark" not in caps, p
        rig.wait_for(lambda: nss[0].ping(IP[3], count=1).returncode == 0, timeout=20,
                     what="ping through rte_flow-probed ports")
        # a spoofed source: port security drops it (a drop megaflow, the
        # one shape net_tap can take in full: ETH/IPV4 + DROP)
        from scapy.all import Ether, IP as IPL, UDP

        def spoof(src_ip):
            nss[0].send_frames([bytes(Ether(src=MAC[1], dst=MAC[3]) /
                                      IPL(src=src_ip, dst=IP[3]) / UDP(sport=9, dport=9))],
                               iface=nss[0].iface, count=2)

        def drop_flows():
            return [f for f in wy.ctl("dump", "megaflows", json=True)["megaflows"]
                    if "offload" in f and f["actions"].startswith("drop")
                    and f["offload"]["state"] != "pending"]

        spoof("10.0.0.66")
        rig.wait_for(lambda: drop_flows(), what="a port-security drop megaflow")
        wy.offload()                               # syncs the offload thread
        flows = [f for f in wy.ctl("dump", "megaflows", json=True)["megaflows"] if "offload" in f]
        for f in flows:
            st, why = f["offload"]["state"], f["offload"]["why"]
            assert st in ("full", "none"), f      # no partial tier without MARK
            if st == "none":
                assert why, f                     # the reason is shown
        fwd = [f for f in flows if f["actions"].startswith("output:")]
        assert fwd and all("MARK" in f["offload"]["why"] for f in fwd), \
            [(f["match"], f["actions"], f["offload"]) for f in flows]
        drop = drop_flows()
        pa = wy.ofl_port("a")[0]
        if tc_flower():
            # the rule is really created: a TC flower filter on the tap
            # (net_tap has no COUNT: its hits are the filter's counters)
            assert drop[0]["offload"]["state"] == "full", drop
            assert pa["installed"] >= 1 and pa["full"] >= 1, pa
            spoof("10.0.0.66")
            st = nss[0].run(["tc", "-s", "filter", "show", "dev", nss[0].iface, "ingress"])
            assert re.search(r"Sent \d+ bytes [1-9]\d* pkt", st.stdout), st.stdout
        else:
            # this kernel has no TC flower (nor gact, multiq): net_tap
            # validates in user space and fails every create.  The drop
            # megaflow is refused at create with tap's reason, the FULL
            # tier is cached refused for the port: one failed create only,
            # the next drop megaflow does not try (refused_cached)
            # (the spoof's megaflow tried the create, or one before it did:
            # a drop megaflow of the port before its lport was bound)
            mine = [f for f in drop if "10.0.0.66" in f["match"]]
            why = mine[0]["offload"]["why"] if mine else ""
            assert mine and mine[0]["offload"]["state"] == "none", mine
            assert why.startswith("full refused: create: ") or \
                why.startswith("full refused before"), why
            assert pa["refused"].startswith("full refused: create: ") and \
                "flower" in pa["refused"], pa
            assert "cached refusal: full refused: create: " in wy.ctl("show", "offload").stdout
            assert pa["installed"] == 0 and pa["full"] == 0 and pa["failed"] == 1, pa
            cached = pa["refused_cached"]
            spoof("10.0.0.67")
            rig.wait_for(lambda: any("10.0.0.67" in f["match"] for f in drop_flows()),
                         what="a second drop megaflow")
            pa = wy.ofl_port("a")[0]
            assert pa["failed"] == 1 and pa["refused_cached"] > cached, pa
            second = [f for f in drop_flows() if "10.0.0.67" in f["match"]]
            assert second and "full refused before" in second[0]["offload"]["why"], second
        text = wy.ctl("show", "offload").stdout
        assert "backend rte_flow" in text, text
    finally:
        wy.stop()
        for ns in nss:
            ns.delete()


def test_ports_added_and_removed_at_run_time(dummy):
    """`port add` brings a port under the global backend; `port del` takes
    its rules out before its device goes."""
    wy = dummy[0]
    tap = rig.ifname("t")
    wy.ctl("port", "add", "vm9", "net_tap15,iface=%s" % tap)
    try:
        p = wy.ofl_port("vm9")
        assert p and p[0]["backend"] == "dummy" and "mark" in p[0]["caps"], wy.offload()
    finally:
        wy.ctl("port", "del", "vm9")
    assert "vm9" not in [p.get("name") for p in wy.offload()["ports"]]
    assert "offload: port vm9 backend dummy" in wy.log_text()
