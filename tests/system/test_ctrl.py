"""Local controller end to end: northbound CLI -> central db (embedded
RocksDB or a real etcd) -> wyvernd's controller -> tables -> traffic.

1. the DB-driven demo (RocksDB): NB objects, iface-id binding, ping, live NB
   changes routed through the daemon (fixed IP change enforced by port
   security, remote port appears without a dp port);
2. restart from the replica with etcd down: the tables come back from the
   replica, ping works, then etcd returns and the controller reconnects;
3. two daemons sharing one etcd: selective distribution (local vs remote
   ports, remote VTEP, an unrelated network held only once a router joins it);
4. a 3-member etcd cluster whose leader is SIGKILLed during a burst of NB
   updates: the controller ends up holding exactly the final db state, and
   never goes back to an older object version.

Every daemon, namespace, etcd member and tmp dir is registered in rig.CLEANUP
(fixture finalizers + session end + atexit); processes are signalled by pid.
"""
import json as jsonlib
import os
import shutil
import tempfile
import threading
import time

import pytest

import etcd
import rig

needs_etcd = pytest.mark.skipif(not etcd.available(), reason="etcd not installed")


# ---------------------------------------------------------------- helpers

def _env():
    env = dict(os.environ)
    env.pop("WYVERN_DB", None)
    env.pop("WYVERN_SOCKET", None)
    return env


def nb(url, *args, check=True, timeout=60):
    """wyctl --db URL --json ARGS (directly on the database, no daemon)."""
    cmd = [rig.wyctl_bin(), "--db", url, "--json"] + [str(a) for a in args]
    r = rig.sh(cmd, check=False, timeout=timeout, env=_env())
    if not check:
        return r
    assert r.returncode == 0, "%s -> rc %d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout,
                                                      r.stderr)
    return jsonlib.loads(r.stdout) if r.stdout.strip() else None


class CtrlWyvern(rig.Wyvern):
    """A Wyvern with a [ctrl] section and iface-id on its ports.

    ports: list of (name, devargs, iface_id or None); ctrl: dict of [ctrl] keys.
    """

    def __init__(self, ports, ctrl):
        super().__init__([(n, d) for n, d, _ in ports])
        self.iface_ids = {n: i for n, _, i in ports}
        self.ctrl_cfg = dict(ctrl)
        # the tmp dir exists from here on, even if start() never gets to
        # register the daemon's own cleanup (e.g. the binary cannot be run)
        rig.CLEANUP.add(self._rm_dir)

    def _rm_dir(self):
        if not os.environ.get("WYT_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def config_text(self):
        lines = ["[eal]", "args = --no-huge --no-pci", "memory-mb = 512",
                 "file-prefix = %s" % self.prefix, "lcores = 0,1",
                 "[dp]", "pmd-lcores = 1", "idle-sleep-max-us = 200", "mbufs = 8192",
                 "[mgmt]", "socket = %s" % self.sock, "[ctrl]"]
        lines += ["%s = %s" % kv for kv in self.ctrl_cfg.items()]
        for name, devargs in self.ports:
            lines += ["[port.%s]" % name, "devargs = %s" % devargs]
            if self.iface_ids.get(name):
                lines.append("iface-id = %s" % self.iface_ids[name])
        return "\n".join(lines) + "\n"

    # wyctl through the daemon (NB commands are routed: -s SOCK, no --db)
    def wy(self, *args, check=True, timeout=60):
        cmd = [rig.wyctl_bin(), "-s", self.sock] + [str(a) for a in args]
        r = rig.sh(cmd, check=False, timeout=timeout, env=_env())
        if check and r.returncode != 0:
            raise AssertionError("%s -> rc %d\n%s%s\ndaemon alive: %s" % (
                " ".join(cmd), r.returncode, r.stdout, r.stderr, self.alive()))
        return r

    def ctrl(self):
        return self.ctl("show", "ctrl", json=True)

    def lports(self):
        # named ports (a router interface's port has no name)
        return {p["name"]: p for p in self.ctl("show", "lports", json=True)["lports"]
                if p["name"]}

    def replica(self):
        return {k["key"]: k["version"] for k in self.ctl("show", "replica", json=True)["keys"]}

    def wait_connected(self, want=True, timeout=30.0):
        def check():
            st = self.ctrl()
            return st if st["connected"] is want else None
        return rig.wait_for(check, timeout=timeout, interval=0.1,
                            what="show ctrl connected == %s" % want)


@pytest.fixture
def work():
    """A tmp dir for the central RocksDB / replicas (outlives daemon restarts)."""
    d = tempfile.mkdtemp(prefix="wyt%d-ctrl-" % rig.RUN_ID)
    fn = rig.CLEANUP.add(lambda: shutil.rmtree(d, ignore_errors=True))
    try:
        yield d
    finally:
        rig.CLEANUP.run(fn)


@pytest.fixture
def cleanup_all():
    """At the test's end, runs (LIFO) every cleanup registered during the test
    (daemons, namespaces, etcd members, tmp dirs), whatever happened; cleanups
    of other modules' fixtures are left alone."""
    with rig.CLEANUP._lock:
        before = set(map(id, rig.CLEANUP._items))
    yield
    with rig.CLEANUP._lock:
        mine = [fn for fn in rig.CLEANUP._items if id(fn) not in before]
    for fn in reversed(mine):
        rig.CLEANUP.run(fn)


def chassis_name(tag):
    return "wyt%d-%s" % (rig.RUN_ID, tag)


def fixed_ips(port):
    return [f["ip_address"] for f in port["fixed_ips"]]


def aap_ips(port):
    return [a["ip_address"] for a in port["allowed_address_pairs"]]


def lport_aap_ips(lp):
    return [a["ip"] for a in lp["allowed_address_pairs"]]


def ping_ok(ns, dst, timeout=20.0):
    """Poll single pings until one is answered (ARP may need a first try)."""
    rig.wait_for(lambda: ns.ping(dst, count=1, interval=0.2).returncode == 0,
                 timeout=timeout, interval=0.1, what="%s: ping %s answered" % (ns.name, dst))
    r = ns.ping(dst, count=3, interval=0.2)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout + r.stderr


def make_blue(url, chassis, extra_host=None):
    """network blue, subnet blue-v4 10.0.0.0/24, ports vm1 .11 and vm2 .12 on chassis."""
    nb(url, "network", "create", "blue")
    nb(url, "subnet", "create", "blue-v4", "--network", "blue", "--cidr", "10.0.0.0/24")
    ports = {}
    for i in (1, 2):
        ports["vm%d" % i] = nb(url, "port", "create", "vm%d" % i, "--network", "blue",
                               "--host", chassis,
                               "--fixed-ip", "subnet=blue-v4,ip=10.0.0.1%d" % i)
    return ports


def blue_daemon(url, chassis, replica, ports, taps):
    return CtrlWyvern([("vm%d" % i, "net_tap%d,iface=%s" % (i - 1, taps[i - 1]),
                        ports["vm%d" % i]["id"]) for i in (1, 2)],
                      dict(db=url, chassis=chassis, replica=replica))


def wait_lport(wy, name, pred, what, timeout=20.0):
    def look():
        lp = wy.lports().get(name)
        return lp if lp is not None and pred(lp) else None
    return rig.wait_for(look, timeout=timeout, interval=0.1, what="lport %s: %s" % (name, what))


# ---------------------------------------------------------------- 1. demo

def test_demo_rocksdb_nb_to_ping_and_live_changes(work, cleanup_all):
    url = "rocksdb:%s/db" % work
    ch = chassis_name("demo")
    ports = make_blue(url, ch)
    taps = [rig.ifname("t"), rig.ifname("t")]
    wy = blue_daemon(url, ch, os.path.join(work, "replica"), ports, taps).start()
    st = wy.wait_connected(True)
    assert st["chassis"] == ch and st["local_ports"] == 2, st
    rig.wait_for(lambda: wy.ctrl()["held"]["port"] == 2, what="2 ports held")
    st = wy.ctrl()
    assert st["held"]["network"] == 1 and st["held"]["subnet"] == 1, st
    assert st["bad_now"] == 0 and st["table_errors"] == 0, st

    lps = wy.lports()
    assert set(lps) == {"vm1", "vm2"}, lps
    for i, name in ((1, "vm1"), (2, "vm2")):
        assert lps[name]["dp_port"] is not None, lps[name]
        assert lps[name]["macs"] == [ports[name]["mac_address"]], lps[name]
        assert lps[name]["ips"] == ["10.0.0.1%d" % i], lps[name]
        assert lps[name]["port_security"] is True

    ns = []
    for i, name in ((1, "vm1"), (2, "vm2")):
        n = rig.Namespace()
        n.adopt(taps[i - 1], ports[name]["mac_address"], "10.0.0.1%d/24" % i)
        ns.append(n)
    ping_ok(ns[0], "10.0.0.12")
    ping_ok(ns[1], "10.0.0.11")

    # Live NB change through the daemon (it holds the embedded RocksDB: a direct
    # --db open would fail on the lock).  vm2 now owns 10.0.0.22 only.
    r = wy.wy("--json", "port", "update", "vm2", "--fixed-ip", "subnet=blue-v4,ip=10.0.0.22")
    assert fixed_ips(jsonlib.loads(r.stdout)) == ["10.0.0.22"], r.stdout
    wait_lport(wy, "vm2", lambda lp: lp["ips"] == ["10.0.0.22"], "ips == [10.0.0.22]")
    # Static neighbours: the ICMP exchange happens without ARP, so the reply
    # from the old address is what port security sees (psec-ip).
    ns[0].run(["ip", "neigh", "replace", "10.0.0.12", "lladdr", ports["vm2"]["mac_address"],
               "dev", taps[0], "nud", "permanent"])
    ns[1].run(["ip", "neigh", "replace", "10.0.0.11", "lladdr", ports["vm1"]["mac_address"],
               "dev", taps[1], "nud", "permanent"])
    before = wy.drops("psec-ip")
    r = ns[0].ping("10.0.0.12", count=3, interval=0.2)
    assert r.returncode != 0, "ping to vm2's old IP still answered:\n" + r.stdout
    rig.wait_for(lambda: wy.drops("psec-ip") >= before + 3, what="psec-ip drops >= +3")

    # ... and back: ping works again.
    wy.wy("port", "update", "vm2", "--fixed-ip", "subnet=blue-v4,ip=10.0.0.12")
    wait_lport(wy, "vm2", lambda lp: lp["ips"] == ["10.0.0.12"], "ips back to 10.0.0.12")
    ping_ok(ns[0], "10.0.0.12")
    ping_ok(ns[1], "10.0.0.11")

    # A remote port created through the daemon: held, no dp port.
    r = wy.wy("--json", "port", "create", "vm3", "--network", "blue", "--host", "elsewhere",
              "--fixed-ip", "subnet=blue-v4,ip=10.0.0.13")
    vm3 = jsonlib.loads(r.stdout)
    lp = wait_lport(wy, "vm3", lambda lp: True, "present")
    assert lp["dp_port"] is None, lp
    assert lp["macs"] == [vm3["mac_address"]] and lp["ips"] == ["10.0.0.13"], lp
    assert lp["network"] == wy.lports()["vm1"]["network"], lp
    rig.wait_for(lambda: wy.ctrl()["held"]["port"] == 3, what="3 ports held")
    # the daemon's NB list shows what it wrote
    listed = jsonlib.loads(wy.wy("--json", "port", "list").stdout)
    assert sorted(p["name"] for p in listed) == ["vm1", "vm2", "vm3"], listed
    st = wy.ctrl()
    assert st["local_ports"] == 2 and st["bad_now"] == 0 and st["table_errors"] == 0, st
    # how long a pass held the control thread, and the yields inside long
    # ones (none at this size: a pass here is far below its 20 ms slice)
    b = st["batches"]
    assert 0 < b["max_hold_us"] and b["yields"] >= 0, b
    assert "longest hold:" in wy.wy("show", "ctrl").stdout

    # Where the memory is: the counts match what is held and installed, and
    # every part is accounted (process, both heaps, memzones, controller).
    mem = jsonlib.loads(wy.wy("--json", "show", "memory").stdout)
    assert mem["process"]["rss_kb"] > 0 and mem["process"]["peak_rss_kb"] >= \
        mem["process"]["rss_kb"] // 2, mem["process"]
    if rig.sanitized():   # ASan's allocator: no glibc statistics, said so
        assert mem["malloc"] is None, mem["malloc"]
    else:
        assert mem["malloc"]["in_use_bytes"] > 0, mem["malloc"]
    assert mem["dpdk_heaps"] and mem["dpdk_heaps"][0]["allocated_bytes"] > 0, mem
    assert any(z["name"].startswith("MP_") for z in mem["memzones"]["biggest"]), mem
    assert mem["tables"]["lports"] == len(wy.lports()) == 3, mem["tables"]
    assert mem["tables"]["networks"] == 1, mem["tables"]
    c = mem["controller"]
    assert c["ports"] == 3 and c["objects"] == st["indexed"], (c, st)
    assert c["port_bytes"] > 3 * 64 and c["object_bytes"] > c["objects"] * 64, c
    assert c["bytes"] == sum(c[k] for k in ("object_bytes", "index_bytes", "port_bytes",
                                            "other_bytes", "string_bytes")), c
    # the RocksDB stores in the process: the replica (written since it
    # started) and, embedded, the central database
    dbs = mem["databases"]
    assert "replica" in dbs, dbs
    for d in dbs.values():
        assert all(d[k] >= 0 for k in ("memtable_bytes", "block_cache_bytes",
                                       "table_reader_bytes")), dbs
    assert dbs["replica"]["memtable_bytes"] + dbs["replica"]["table_reader_bytes"] > 0, dbs
    text = wy.wy("show", "memory").stdout
    assert "DPDK heap" in text and "controller" in text and "3 lports" in text, text
    assert "db replica" in text, text


# ---------------------------------------------------------------- 2. replica restart

@needs_etcd
def test_restart_from_replica_with_etcd_down(work, cleanup_all):
    cl = etcd.EtcdCluster(1).start()
    url = cl.url
    ch = chassis_name("rep")
    replica = os.path.join(work, "replica")
    ports = make_blue(url, ch)
    taps = [rig.ifname("t"), rig.ifname("t")]
    wy = blue_daemon(url, ch, replica, ports, taps).start()
    wy.wait_connected(True)
    ns = [rig.Namespace(), rig.Namespace()]
    for i, n in enumerate(ns):
        n.adopt(taps[i], ports["vm%d" % (i + 1)]["mac_address"], "10.0.0.1%d/24" % (i + 1))
    ping_ok(ns[0], "10.0.0.12")
    # a remote port, held (and in the replica) before the restart
    vm3 = nb(url, "port", "create", "vm3", "--network", "blue", "--host", "elsewhere",
             "--fixed-ip", "subnet=blue-v4,ip=10.0.0.13")
    wait_lport(wy, "vm3", lambda lp: lp["dp_port"] is None, "remote vm3 held")
    rig.wait_for(lambda: wy.ctrl()["held"]["port"] == 3, what="3 ports held")
    rep_before = wy.replica()
    assert any(vm3["id"] in k for k in rep_before), rep_before

    rc = wy.stop()
    assert rc == 0, "wyvernd exit status %s on SIGTERM" % rc
    # While wyvernd is down the db changes: vm3 deleted, vm1 gets an address
    # pair.  The replica cannot know; the snapshot after reconnecting must
    # delete vm3 and update vm1.
    nb(url, "port", "delete", "vm3")
    nb(url, "port", "update", "vm1", "--allowed-address", "10.0.0.77")
    cl.members[0].stop()          # SIGTERM, by pid
    assert not cl.members[0].alive()

    # Same config, same replica, no database: the tables come from the replica.
    wy2 = blue_daemon(url, ch, replica, ports, taps).start()
    lps = rig.wait_for(lambda: (lambda l: l if {"vm1", "vm2"} <= set(l) else None)(wy2.lports()),
                       what="vm1 and vm2 in show lports from the replica")
    # exactly the replica's (old) view
    assert set(lps) == {"vm1", "vm2", "vm3"}, lps
    assert lps["vm3"]["dp_port"] is None and lport_aap_ips(lps["vm1"]) == [], lps
    for i, name in ((1, "vm1"), (2, "vm2")):
        assert lps[name]["dp_port"] is not None, lps[name]
        assert lps[name]["macs"] == [ports[name]["mac_address"]], lps[name]
        assert lps[name]["ips"] == ["10.0.0.1%d" % i], lps[name]
    # wyvernd re-created the taps in the root namespace: move them in again.
    for i, n in enumerate(ns):
        n.adopt(taps[i], ports["vm%d" % (i + 1)]["mac_address"], "10.0.0.1%d/24" % (i + 1))
    ping_ok(ns[0], "10.0.0.12")
    ping_ok(ns[1], "10.0.0.11")
    st = wy2.ctrl()
    assert st["connected"] is False, st
    assert st["held"]["port"] == 3 and st["held"]["network"] == 1, st
    assert not cl.members[0].alive()

    # The database comes back (same data dir, same ports): reconnect, the
    # snapshot diff removes vm3 and updates vm1, and a new NB change is applied.
    cl.members[0].start().wait_healthy()
    st = wy2.wait_connected(True, timeout=60)
    rig.wait_for(lambda: "vm3" not in wy2.lports(), what="vm3 (deleted meanwhile) dropped")
    wait_lport(wy2, "vm1", lambda lp: lport_aap_ips(lp) == ["10.0.0.77"],
               "vm1 address pair set while wyvernd was down")
    assert not any(vm3["id"] in k for k in wy2.replica()), wy2.replica()
    rig.wait_for(lambda: wy2.ctrl()["held"]["port"] == 2, what="2 ports held")
    rev0 = wy2.ctrl()["applied_revision"]
    nb(url, "port", "update", "vm2", "--allowed-address", "10.0.0.99")
    wait_lport(wy2, "vm2", lambda lp: lport_aap_ips(lp) == ["10.0.0.99"],
               "allowed address pair 10.0.0.99", timeout=30)
    rig.wait_for(lambda: wy2.ctrl()["applied_revision"] == cl.revision(),
                 what="applied_revision == etcd revision")
    assert wy2.ctrl()["applied_revision"] > rev0
    rig.wait_for(lambda: wy2.replica().get([k for k in rep_before if "/port/" in k and
                                            ports["vm2"]["id"] in k][0]) == 2,
                 what="replica holds vm2 version 2")
    ping_ok(ns[0], "10.0.0.12")


# ---------------------------------------------------------------- 3. two daemons

@needs_etcd
def test_two_daemons_selective_distribution(work, cleanup_all):
    cl = etcd.EtcdCluster(1).start()
    url = cl.url
    cha, chb = chassis_name("a"), chassis_name("b")
    vtep = {cha: "192.0.2.1", chb: "192.0.2.2"}
    nb(url, "network", "create", "n1")
    nb(url, "subnet", "create", "s1", "--network", "n1", "--cidr", "10.1.0.0/24")
    nb(url, "network", "create", "n2")
    nb(url, "subnet", "create", "s2", "--network", "n2", "--cidr", "10.2.0.0/24")
    pa = nb(url, "port", "create", "pa", "--network", "n1", "--host", cha)
    pb = nb(url, "port", "create", "pb", "--network", "n1", "--host", chb)
    pc = nb(url, "port", "create", "pc", "--network", "n2", "--host", chb)

    def daemon(ch, plist):
        return CtrlWyvern([(p["name"], "net_tap%d,iface=%s" % (i, rig.ifname("t")), p["id"])
                           for i, p in enumerate(plist)],
                          {"db": url, "chassis": ch, "vtep-ip": vtep[ch],
                           "replica": os.path.join(work, "replica-" + ch)})
    a = daemon(cha, [pa]).start()
    b = daemon(chb, [pb, pc]).start()
    assert a.sock != b.sock and a.prefix != b.prefix
    a.wait_connected(True)
    b.wait_connected(True)

    # A: pa local, pb remote behind B's VTEP, pc (network n2) not held.
    la = wait_lport(a, "pb", lambda lp: lp["remote_vtep"] == vtep[chb], "remote vtep of B")
    la = a.lports()
    assert set(la) == {"pa", "pb"}, la
    assert la["pa"]["dp_port"] is not None and la["pb"]["dp_port"] is None, la
    assert la["pa"]["network"] == la["pb"]["network"]
    sa = a.ctrl()
    assert sa["held"]["port"] == 2 and sa["held"]["network"] == 1, sa
    assert sa["held"]["subnet"] == 1 and sa["local_ports"] == 1, sa
    assert sa["indexed"] > sa["held_total"], sa   # it knows pc/n2/s2, holds them not
    # B: pb, pc local, pa remote behind A's VTEP.
    wait_lport(b, "pa", lambda lp: lp["remote_vtep"] == vtep[cha], "remote vtep of A")
    lb = b.lports()
    assert set(lb) == {"pa", "pb", "pc"}, lb
    assert lb["pb"]["dp_port"] is not None and lb["pc"]["dp_port"] is not None, lb
    assert lb["pa"]["dp_port"] is None, lb
    sb = b.ctrl()
    assert sb["held"]["port"] == 3 and sb["held"]["network"] == 2 and sb["local_ports"] == 2, sb

    # A router joining n1 and n2 makes A hold n2 and pc (remote, B's VTEP).
    r = nb(url, "router", "create", "r", "--add-subnet", "s1", "--add-subnet", "s2")
    assert len(r["interfaces"]) == 2, r
    lp = wait_lport(a, "pc", lambda lp: True, "pc held by A through the router")
    assert lp["dp_port"] is None and lp["remote_vtep"] == vtep[chb], lp
    assert lp["ips"] == fixed_ips(pc) and lp["macs"] == [pc["mac_address"]], lp
    rig.wait_for(lambda: a.ctrl()["held"]["router"] == 1, what="A holds the router")
    sa = a.ctrl()
    assert sa["held"]["network"] == 2 and sa["held"]["subnet"] == 2, sa
    # + the router's two interface ports (the API's add_router_interface)
    assert sa["held"]["port"] == 5 and sa["local_ports"] == 1, sa
    rig.wait_for(lambda: b.ctrl()["held"]["router"] == 1, what="B holds the router")
    assert set(a.lports()) == {"pa", "pb", "pc"}

    # Deleting the router drops n2/pc from A again; B keeps its own.
    nb(url, "router", "update", "r", "--remove-subnet", "s1", "--remove-subnet", "s2")
    nb(url, "router", "delete", "r")
    rig.wait_for(lambda: "pc" not in a.lports(), what="pc dropped by A")
    rig.wait_for(lambda: a.ctrl()["held"]["router"] == 0, what="A drops the router")
    sa = a.ctrl()
    assert sa["held"]["network"] == 1 and sa["held"]["subnet"] == 1, sa
    assert sa["held"]["port"] == 2, sa
    assert not any(pc["id"] in k or pc["network_id"] in k for k in a.replica()), a.replica()
    rig.wait_for(lambda: b.ctrl()["held"]["router"] == 0, what="B drops the router")
    assert set(b.lports()) == {"pa", "pb", "pc"}
    for d in (a, b):
        st = d.ctrl()
        assert st["bad_now"] == 0 and st["table_errors"] == 0 and st["replica_errors"] == 0, st
        # the full sync came in pages and ended (nothing left half-applied)
        snap = st["snapshot"]
        assert not snap["open"] and snap["pages"] >= 1 and snap["keys"] > 0, snap


# ---------------------------------------------------------------- 4. leader kill

N_BURST = 60
KILL_AT = 20


@needs_etcd
def test_etcd_cluster_leader_killed_during_burst(work, cleanup_all):
    cl = etcd.EtcdCluster(3).start()
    # The etcd driver starts with the first endpoint: list the current leader
    # first, so the member killed is also the one wyvernd's watch (and wyctl)
    # talk to — the kill forces a fail-over and a watch resume.
    first = cl.leader()
    url = "etcd://" + ",".join(m.endpoint for m in
                               [first] + [m for m in cl.members if m is not first])
    ch = chassis_name("burst")
    nb(url, "network", "create", "green")
    nb(url, "subnet", "create", "green-v4", "--network", "green", "--cidr", "10.3.0.0/24")
    p0 = nb(url, "port", "create", "p0", "--network", "green", "--host", ch)
    for i in range(1, 5):
        nb(url, "port", "create", "p%d" % i, "--network", "green", "--host", "elsewhere")
    wy = CtrlWyvern([("p0", "net_tap0,iface=%s" % rig.ifname("t"), p0["id"])],
                    {"db": url, "chassis": ch, "vtep-ip": "192.0.2.9",
                     "replica": os.path.join(work, "replica")}).start()
    wy.wait_connected(True)
    rig.wait_for(lambda: len(wy.lports()) == 5, what="5 lports")
    assert wy.lports()["p0"]["dp_port"] is not None

    st0 = wy.ctrl()

    # ---- monitor: the controller never goes back to an older version
    violations = []
    mon_errors = []
    stop_mon = threading.Event()
    samples = [0]

    def monitor():
        last_ver, last_rev = {}, 0
        while not stop_mon.is_set():
            try:
                rep = wy.replica()
                rev = wy.ctrl()["applied_revision"]
            except Exception as e:
                mon_errors.append(str(e))
                if not wy.alive():
                    return
                time.sleep(0.05)
                continue
            samples[0] += 1
            if rev < last_rev:
                violations.append("applied_revision went back %d -> %d" % (last_rev, rev))
            last_rev = max(last_rev, rev)
            for k, v in rep.items():
                if v < last_ver.get(k, 0):
                    violations.append("%s: version went back %d -> %d" % (k, last_ver[k], v))
                last_ver[k] = max(v, last_ver.get(k, 0))
            time.sleep(0.05)

    # ---- burst: updates (and every 10th a create), each retried until it succeeds
    ops = []
    for k in range(N_BURST):
        if k % 10 == 9:
            ops.append(("create", "q%d" % k, None))
        else:
            ops.append(("update", "p%d" % (k % 5), "10.9.0.%d" % (k + 1)))
    done = [0]
    failures = []
    errors = []
    reached = threading.Event()
    killed = threading.Event()

    def exists(name):
        r = nb(url, "port", "show", name, check=False)
        return r.returncode == 0

    def burst():
        try:
            for k, (op, name, val) in enumerate(ops):
                if k == KILL_AT:
                    reached.set()
                if k == KILL_AT + 5:
                    killed.wait(30)   # make sure the kill lands mid-burst
                deadline = time.monotonic() + 120
                while True:
                    if op == "update":
                        r = nb(url, "port", "update", name, "--allowed-address", val,
                               check=False, timeout=90)
                    else:
                        r = nb(url, "port", "create", name, "--network", "green",
                               "--host", "elsewhere", check=False, timeout=90)
                    if r.returncode == 0:
                        break
                    failures.append((k, op, name, r.returncode, r.stderr.strip()[-200:]))
                    # an unknown outcome may still have created the port
                    if op == "create" and exists(name):
                        break
                    if time.monotonic() > deadline:
                        raise AssertionError("op %d %s %s never succeeded: %s" %
                                             (k, op, name, r.stderr))
                    time.sleep(0.2)
                done[0] = k + 1
        except Exception as e:
            errors.append(e)
        finally:
            reached.set()

    mon = threading.Thread(target=monitor, daemon=True)
    th = threading.Thread(target=burst, daemon=True)
    mon.start()
    th.start()
    try:
        assert reached.wait(120), "burst did not reach op %d" % KILL_AT
        leader = cl.leader()
        done_at_kill = done[0]
        leader.kill()
        killed.set()
        th.join(400)
        assert not th.is_alive(), "burst still running"
    finally:
        killed.set()
        stop_mon.set()
        mon.join(10)
    assert not errors, errors
    assert done[0] == N_BURST and done_at_kill < N_BURST, (done[0], done_at_kill)
    print("leader %s (wyvernd's first endpoint: %s) killed after %d/%d ops; "
          "%d failed attempts retried: %s" % (leader.name, leader is first, done_at_kill,
                                              N_BURST, len(failures), failures[:5]))

    # ---- the final db state, and the controller holding exactly that
    final = {p["name"]: p for p in nb(url, "port", "list")}
    want_names = {"p0", "p1", "p2", "p3", "p4"} | {n for op, n, _ in ops if op == "create"}
    assert set(final) == want_names, sorted(final)
    for i in range(5):
        last = [v for op, n, v in ops if n == "p%d" % i][-1]
        assert aap_ips(final["p%d" % i]) == [last], final["p%d" % i]

    def matches():
        lps = wy.lports()
        if set(lps) != set(final):
            return None
        for name, p in final.items():
            lp = lps[name]
            if lport_aap_ips(lp) != aap_ips(p) or lp["ips"] != fixed_ips(p) or \
                    lp["macs"] != [p["mac_address"]]:
                return None
        return lps
    try:
        lps = rig.wait_for(matches, timeout=60, interval=0.2,
                           what="show lports == final db state")
    except AssertionError:
        raise AssertionError("lports differ from the db:\nlports: %s\ndb: %s" % (
            {n: (lp["ips"], lport_aap_ips(lp)) for n, lp in wy.lports().items()},
            {n: (fixed_ips(p), aap_ips(p)) for n, p in final.items()}))
    assert lps["p0"]["dp_port"] is not None
    assert all(lp["dp_port"] is None for n, lp in lps.items() if n != "p0")

    db_rev = cl.revision()
    rig.wait_for(lambda: wy.ctrl()["applied_revision"] == db_rev,
                 what="applied_revision == etcd revision %d" % db_rev)
    # the replica holds each port at exactly its final version
    rep = wy.replica()
    for name, p in final.items():
        keys = [k for k in rep if k.endswith("/" + p["id"])]
        assert len(keys) == 1, (name, keys)
        assert rep[keys[0]] == p["revision_number"], (name, rep[keys[0]], p["revision_number"])
    st = wy.ctrl()
    assert st["connected"] is True, st
    assert st["held"]["port"] == len(final) and st["local_ports"] == 1, st
    assert st["bad_now"] == 0 and st["table_errors"] == 0 and st["replica_errors"] == 0, st
    if st["resyncs"] == st0["resyncs"]:
        # no snapshot in between: every burst write reached the controller as
        # an event that changed something (retries of unknown outcomes may add
        # more); re-deliveries after the watch resumed are only ever ignored
        assert st["events_applied"] - st0["events_applied"] >= N_BURST, (st0, st)
    assert samples[0] > 0
    assert not violations, violations[:10]
    assert not mon_errors, mon_errors[:5]
    print("ctrl: applied=%d ignored=%d syncs=%d resyncs=%d rev=%d" % (
        st["events_applied"], st["events_ignored"], st["syncs"], st["resyncs"],
        st["applied_revision"]))
