"""[metrics] listen: the Prometheus text endpoint, scraped with urllib.

The exposition is parsed strictly (HELP/TYPE before samples, one TYPE per
family, every sample of a TYPE'd family, numeric values, wyvern_ prefix,
_total on counters, no duplicate series); then traffic must move the port,
PMD and drop-reason counters.
"""
import re
import socket
import urllib.error
import urllib.request

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

import rig

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def parse(text):
    """Strict 0.0.4 text parser: {family: {"type", "help", "samples": {labels: value}}}."""
    fams, cur = {}, None
    assert text.endswith("\n")
    for ln, line in enumerate(text.splitlines(), 1):
        assert line.strip() == line and line, "line %d: blank or padded %r" % (ln, line)
        if line.startswith("# HELP "):
            name, _, help_ = line[7:].partition(" ")
            assert NAME.fullmatch(name) and help_, line
            assert name not in fams, "line %d: family %s repeated" % (ln, name)
            fams[name] = {"help": help_, "type": None, "samples": {}}
            cur = name
        elif line.startswith("# TYPE "):
            name, _, typ = line[7:].partition(" ")
            assert name == cur and fams[name]["type"] is None, "line %d: %s" % (ln, line)
            assert typ in ("counter", "gauge"), line
            fams[name]["type"] = typ
        else:
            assert not line.startswith("#"), line
            m = SAMPLE.match(line)
            assert m, "line %d: not a sample: %r" % (ln, line)
            name, _, lbl, val = m.groups()
            assert name == cur and fams[cur]["type"], "line %d: %s has no TYPE'd family" % (ln, name)
            labels = ()
            if lbl:
                pairs = LABEL.findall(lbl)
                assert ",".join('%s="%s"' % (k, v) for k, v, _ in pairs) == lbl, line
                labels = tuple(sorted((k, v) for k, v, _ in pairs))
            assert labels not in fams[cur]["samples"], "line %d: duplicate series" % ln
            fams[cur]["samples"][labels] = float(val)   # raises on a non-number
    for name, f in fams.items():
        assert name.startswith("wyvern_") and name == name.lower(), name
        assert f["type"], name
        assert (f["type"] == "counter") == name.endswith("_total"), name
        if f["type"] == "counter":
            assert all(v >= 0 for v in f["samples"].values()), name
    return fams


def value(fams, name, **labels):
    return fams[name]["samples"][tuple(sorted(labels.items()))]


@pytest.fixture(scope="module")
def mrig():
    r = rig.TapRig(2)
    port = free_port()
    base = r.wy.config_text
    r.wy.config_text = lambda: base() + "[metrics]\nlisten = 127.0.0.1:%d\n" % port
    r.url = "http://127.0.0.1:%d" % port
    with r:
        t = rig.Topo(r.wy, r.ns)
        t.network(1)
        for i in (1, 2):
            t.lport(10 + i, 1, r.mac(i), ips=[r.ip(i)], port="vm%d" % i)
        yield r
        t.teardown()


def scrape(r, path="/metrics"):
    with urllib.request.urlopen(r.url + path, timeout=10) as resp:
        assert resp.status == 200
        ctype = resp.headers["Content-Type"]
        assert ctype.startswith("text/plain; version=0.0.4"), ctype
        return parse(resp.read().decode())


def test_exposition_is_well_formed(mrig):
    f = scrape(mrig)
    for fam in ("wyvern_port_rx_packets_total", "wyvern_port_tx_bytes_total",
                "wyvern_port_rx_missed_packets_total", "wyvern_pmd_rx_packets_total",
                "wyvern_pmd_emc_hits_total", "wyvern_pmd_megaflow_hits_total",
                "wyvern_pmd_upcalls_total", "wyvern_pmd_busy_cycles_total", "wyvern_drops_total",
                "wyvern_punts_total", "wyvern_mbuf_pool_size", "wyvern_mbuf_pool_in_use",
                "wyvern_dhcp_requests_total", "wyvern_dhcp_replies_total",
                "wyvern_dhcp_drops_total"):
        assert fam in f, fam
    assert {dict(k)["port"] for k in f["wyvern_port_rx_packets_total"]["samples"]} == {"vm1", "vm2"}
    assert ("reason", "psec-mac") in [kv for k in f["wyvern_drops_total"]["samples"] for kv in k]
    assert 0 < value(f, "wyvern_mbuf_pool_in_use") <= value(f, "wyvern_mbuf_pool_size")
    assert value(f, "wyvern_dhcp_requests_total", type="discover") >= 0


def test_other_paths_and_methods(mrig):
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(mrig.url + "/", timeout=10)
    assert e.value.code == 404
    req = urllib.request.Request(mrig.url + "/metrics", data=b"x=1", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 405


def test_counters_rise_with_traffic(mrig):
    a = mrig.ns[0]
    before = scrape(mrig)
    r = a.ping(mrig.ip(2), count=5, interval=0.1)
    assert " 0% packet loss" in r.stdout, r.stdout

    def risen():
        f = scrape(mrig)
        ok = all(value(f, n, port=p) >= value(before, n, port=p) + 5
                 for n in ("wyvern_port_rx_packets_total", "wyvern_port_tx_packets_total")
                 for p in ("vm1", "vm2"))
        ok = ok and value(f, "wyvern_port_rx_bytes_total", port="vm1") > \
            value(before, "wyvern_port_rx_bytes_total", port="vm1")
        ok = ok and value(f, "wyvern_pmd_rx_packets_total", pmd="1") >= \
            value(before, "wyvern_pmd_rx_packets_total", pmd="1") + 10
        hits = sum(value(f, n, pmd="1") for n in ("wyvern_pmd_emc_hits_total",
                                                 "wyvern_pmd_megaflow_hits_total",
                                                 "wyvern_pmd_upcalls_total"))
        hits0 = sum(value(before, n, pmd="1") for n in ("wyvern_pmd_emc_hits_total",
                                                       "wyvern_pmd_megaflow_hits_total",
                                                       "wyvern_pmd_upcalls_total"))
        return ok and hits >= hits0 + 10 and f
    f = rig.wait_for(risen, timeout=10, interval=0.2, what="port and PMD counters to rise")
    assert value(f, "wyvern_pmd_busy_cycles_total", pmd="1") > \
        value(before, "wyvern_pmd_busy_cycles_total", pmd="1")


def test_timed_iterations_split_driver_and_own_cycles(mrig):
    """One busy iteration in 16 is timed in detail: its packets, its cycles,
    and of those the cycles inside the drivers' rx/tx bursts."""
    a = mrig.ns[0]
    names = ("wyvern_pmd_timed_packets_total", "wyvern_pmd_timed_cycles_total",
             "wyvern_pmd_timed_driver_cycles_total", "wyvern_pmd_rx_packets_total")
    before = scrape(mrig)
    frames = [Ether(src=mrig.mac(1), dst=mrig.mac(2)) / IP(src=mrig.ip(1), dst=mrig.ip(2)) /
              UDP(sport=5000 + i, dport=9) / Raw(b"t" * 32) for i in range(100)]
    a.send_frames(frames, count=30)

    def timed():
        f = scrape(mrig)
        return value(f, names[0], pmd="1") >= value(before, names[0], pmd="1") + 20 and f
    f = rig.wait_for(timed, timeout=20, interval=0.3, what="timed iterations to count packets")
    d = {n: value(f, n, pmd="1") - value(before, n, pmd="1") for n in names}
    assert 0 < d[names[2]] < d[names[1]], d       # the driver's share is a part
    assert d[names[0]] <= d[names[3]], d          # a sample of the packets
    text = mrig.wy.ctl("show", "pmd").stdout
    assert "timed iterations (1 in 16" in text and "own work:" in text, text


def test_drop_reason_counter_rises_on_spoofed_frame(mrig):
    a = mrig.ns[0]
    before = value(scrape(mrig), "wyvern_drops_total", pmd="1", reason="psec-mac")
    spoof = (Ether(src="02:00:00:00:00:99", dst=mrig.mac(2)) /
             IP(src=mrig.ip(1), dst=mrig.ip(2)) / UDP(sport=4000, dport=4001) / Raw(b"spoof"))
    a.send_frames([spoof], count=3)
    rig.wait_for(lambda: value(scrape(mrig), "wyvern_drops_total", pmd="1",
                               reason="psec-mac") >= before + 3,
                 timeout=10, interval=0.2, what="psec-mac drops to rise")


def test_control_requests_still_served(mrig):
    """Scrapes and wyctl requests interleave; the daemon stays healthy."""
    for _ in range(5):
        scrape(mrig)
        assert mrig.wy.ctl("show", "pmd", json=True)["pmds"]
    f = scrape(mrig)
    assert value(f, "wyvern_metrics_scrapes_total") >= 6


# ------------------------------------------------ controller and DHCP counters

@pytest.fixture(scope="module")
def crig():
    """A DB-driven daemon: one network with a DHCP subnet, one port (tap) bound here."""
    import os
    import shutil
    import tempfile
    from test_ctrl import CtrlWyvern, chassis_name, nb

    d = tempfile.mkdtemp(prefix="wyt%d-met-" % rig.RUN_ID)
    rig.CLEANUP.add(lambda: shutil.rmtree(d, ignore_errors=True))
    url = "rocksdb:%s/db" % d
    ch = chassis_name("met")
    nb(url, "network", "create", "mn")
    nb(url, "subnet", "create", "mn-v4", "--network", "mn", "--cidr", "10.40.0.0/24",
       "--gateway", "10.40.0.1")
    port = nb(url, "port", "create", "m1", "--network", "mn", "--host", ch,
              "--fixed-ip", "subnet=mn-v4,ip=10.40.0.11")
    tap = rig.ifname("t")
    mport = free_port()
    wy = CtrlWyvern([("m1", "net_tap0,iface=%s" % tap, port["id"])],
                    dict(db=url, chassis=ch, replica=os.path.join(d, "replica")))
    base = wy.config_text
    wy.config_text = lambda: base() + "[metrics]\nlisten = 127.0.0.1:%d\n" % mport
    wy.start()
    ns = None
    try:
        wy.wait_connected(True)
        rig.wait_for(lambda: len(wy.lports()) == 1, timeout=30, what="lport compiled")
        ns = rig.Namespace()
        ns.adopt(tap, port["mac_address"])

        class R:
            pass
        o = R()
        o.wy, o.ns, o.url = wy, ns, "http://127.0.0.1:%d" % mport
        yield o
    finally:
        wy.stop()
        if ns:
            ns.delete()


def test_controller_and_dhcp_counters(crig):
    f = scrape(crig)
    assert value(f, "wyvern_ctrl_connected") == 1
    assert value(f, "wyvern_ctrl_applied_revision") > 0
    assert value(f, "wyvern_ctrl_objects_held", type="port") >= 1
    assert value(f, "wyvern_ctrl_objects_held", type="network") >= 1
    assert value(f, "wyvern_ctrl_local_ports") == 1
    d0 = value(f, "wyvern_dhcp_requests_total", type="discover")
    a0 = value(f, "wyvern_dhcp_replies_total", type="ack")
    r = crig.ns.run(["busybox", "udhcpc", "-i", crig.ns.iface, "-n", "-q", "-f", "-t", "5",
                     "-T", "1", "-s", "/bin/true"], check=False, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr

    def moved():
        g = scrape(crig)
        return (value(g, "wyvern_dhcp_requests_total", type="discover") > d0 and
                value(g, "wyvern_dhcp_replies_total", type="ack") > a0 and
                value(g, "wyvern_punts_total", pmd="1", reason="dhcp") >= 2 and g)
    rig.wait_for(moved, timeout=10, interval=0.2, what="DHCP counters to rise")


def test_listen_in_use_is_a_clear_error():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        r = rig.TapRig(1)
        base = r.wy.config_text
        r.wy.config_text = lambda: base() + "[metrics]\nlisten = 127.0.0.1:%d\n" % port
        with pytest.raises(RuntimeError) as e:
            r.start()
        r.close()
        assert "metrics on 127.0.0.1:%d" % port in str(e.value), str(e.value)[-2000:]
        assert r.wy.proc.returncode == 1
    finally:
        s.close()
