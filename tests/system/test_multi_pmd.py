"""Two PMD threads with pinned rx queues.

The machine has two CPUs, so EAL maps two PMD lcores onto CPU 1
(`--lcores 0@0,1@1,2@1`); with the idle back-off both share it politely.
Port vm1 is polled by the PMD on lcore 1, vm2 by the PMD on lcore 2
(`pmd = N` in [port.*]).  Traffic between the two namespaces must flow, and
each PMD must have received exactly its own port's packets.
"""
import pytest

import rig


class TwoPmdWyvern(rig.Wyvern):
    def config_text(self):
        lines = ["[eal]", "args = --no-huge --no-pci --lcores 0@0,1@1,2@1", "memory-mb = 512",
                 "file-prefix = %s" % self.prefix,
                 "[dp]", "pmd-lcores = 1-2", "idle-sleep-max-us = 200", "mbufs = 8192",
                 "[mgmt]", "socket = %s" % self.sock]
        for (name, devargs), lcore in zip(self.ports, (1, 2)):
            lines += ["[port.%s]" % name, "devargs = %s" % devargs, "pmd = %d" % lcore]
        return "\n".join(lines) + "\n"


@pytest.fixture
def two_pmds():
    ifaces = [rig.ifname("m") for _ in range(2)]
    wy = TwoPmdWyvern([("vm%d" % (i + 1), "net_tap%d,iface=%s" % (i, ifc))
                       for i, ifc in enumerate(ifaces)])
    wy.start()
    ns = []
    for i, ifc in enumerate(ifaces):
        n = rig.Namespace()
        n.adopt(ifc, "02:00:00:00:00:%02x" % (i + 1), "10.0.0.%d/24" % (i + 1))
        ns.append(n)
    yield wy, ns
    wy.stop()


def test_two_pmds_each_poll_their_port(two_pmds):
    wy, ns = two_pmds
    pmds = wy.ctl("show", "pmd", json=True)["pmds"]
    assert sorted(p["lcore"] for p in pmds) == [1, 2]
    wy.ctl("network", "add", "1")
    for i in (1, 2):
        wy.ctl("lport", "add", str(i), "--network", "1", "--mac", "02:00:00:00:00:%02x" % i,
               "--ip", "10.0.0.%d" % i, "--port", "vm%d" % i)
    wy.ctl("stats", "clear")
    before = {p["name"]: p["rx_packets"] for p in wy.ctl("show", "ports", json=True)["ports"]}
    r = ns[0].ping("10.0.0.2", count=10, interval=0.05)
    assert r.returncode == 0, r.stdout
    r = ns[1].ping("10.0.0.1", count=10, interval=0.05)
    assert r.returncode == 0, r.stdout
    # PMD counters first, port counters after: a PMD can only have seen
    # packets its port had received by then
    by_lcore = {p["lcore"]: p for p in wy.ctl("show", "pmd", json=True)["pmds"]}
    ports = {p["name"]: p["rx_packets"] - before[p["name"]]
             for p in wy.ctl("show", "ports", json=True)["ports"]}
    assert by_lcore[1]["rx_packets"] >= 20 and by_lcore[2]["rx_packets"] >= 20
    # each PMD polled only its own port: vm2's 20+ packets never reached lcore 1
    assert by_lcore[1]["rx_packets"] <= ports["vm1"]
    assert by_lcore[2]["rx_packets"] <= ports["vm2"]
    assert by_lcore[1]["tx_packets"] > 0 and by_lcore[2]["tx_packets"] > 0
    # megaflows are per PMD: each holds the direction it forwarded
    mf = wy.ctl("dump", "megaflows", json=True)["megaflows"]
    assert {m["pmd"] for m in mf if m["actions"].startswith("output")} == {0, 1}


class RssWyvern(rig.Wyvern):
    """One PMD, vm1 with two rx queues (RSS), vm2 with one."""
    def config_text(self):
        lines = ["[eal]", "args = --no-huge --no-pci --lcores 0@0,1@1", "memory-mb = 512",
                 "file-prefix = %s" % self.prefix,
                 "[dp]", "pmd-lcores = 1", "idle-sleep-max-us = 200", "mbufs = 8192",
                 "[mgmt]", "socket = %s" % self.sock]
        for (name, devargs), rxqs in zip(self.ports, (2, 1)):
            lines += ["[port.%s]" % name, "devargs = %s" % devargs, "rxqs = %d" % rxqs]
        return "\n".join(lines) + "\n"


def test_rss_key_is_symmetric():
    """A port with several rx queues gets a symmetric RSS key (both
    directions of a connection on one queue) when the driver takes one;
    net_tap does.  `show ports` says which."""
    wy = RssWyvern([("vm%d" % (i + 1), "net_tap%d,iface=%s" % (i, rig.ifname("s")))
                    for i in range(2)])
    wy.start()
    try:
        ports = {p["name"]: p for p in wy.ctl("show", "ports", json=True)["ports"]}
    finally:
        wy.stop()
    assert ports["vm1"]["rxqs"] == 2 and ports["vm1"]["rss"] == "symmetric", ports["vm1"]
    # one rx queue asked: no RSS (net_tap still opens as many rx as tx queues)
    assert ports["vm2"]["rss"] == "none", ports["vm2"]
