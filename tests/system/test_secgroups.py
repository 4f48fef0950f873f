"""Stateful security groups end to end: northbound security groups -> central
db (embedded RocksDB) -> wyvernd's controller -> the datapath's ACLs and
conntrack -> real traffic between two namespaces (ping, busybox nc, a
python echo server and client).

vm1 (10.0.0.11) is in sg-a: the default rules only (egress any IPv4/IPv6, no
ingress).  vm2 (10.0.0.12) is in sg-b: the default egress rules plus ingress
TCP 22 from 10.0.0.0/24.  So:
  - vm1 -> vm2 TCP 22 connects (vm2's rule; the replies reach vm1 as an
    established connection although vm1 allows no ingress at all);
  - vm1 -> vm2 TCP 23 does not (acl-deny on vm2's ingress);
  - vm1 pings vm2: refused until an ICMP ingress rule is added to sg-b;
  - vm2 pings vm1: refused (unsolicited ingress to vm1);
  - a TCP stream to vm2 port 2222 (a rule added for it) is cut when the rule
    is removed (ct-blocked drops, conntrack `blocked`), and a new connection
    passes once the rule is back;
  - trace shows what conntrack knows (new, est) and the rule;
  - show conntrack lists the connections, conntrack flush removes them;
  - deleting vm2 flushes its conntrack zone.
"""
import json as jsonlib
import os
import re
import time

import rig
from test_ctrl import CtrlWyvern, chassis_name, cleanup_all, nb, work  # noqa: F401


def nc_listen(ns, port, reply):
    """A persistent busybox nc server answering `reply` to every connection."""
    return ns.popen(["busybox", "nc", "-ll", "-p", str(port), "-e", "/bin/echo", reply])


def nc_connect(ns, ip, port, timeout=3):
    r = ns.run(["busybox", "nc", "-w", str(timeout), ip, str(port)], check=False,
               timeout=timeout + 10)
    return r.stdout.strip()


ECHO_SERVER = r"""
import socket, sys, threading
def serve(c):
    while True:
        d = c.recv(4096)
        if not d:
            break
        c.sendall(d)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(8)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""

# One TCP connection, a byte every 50 ms; each echo seen appends a time.
STREAM_CLIENT = r"""
import socket, sys, time
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
c.settimeout(0.2)
end = time.time() + float(sys.argv[4])
with open(sys.argv[3], "a") as f:
    while time.time() < end:
        try:
            c.sendall(b"x")
            if c.recv(64):
                f.write("%f\n" % time.time())
                f.flush()
        except socket.timeout:
            pass
        except OSError:
            break
        time.sleep(0.05)
"""


def echoes(path):
    try:
        with open(path) as f:
            return [float(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def test_stateful_security_groups(work, cleanup_all):  # noqa: F811
    url = "rocksdb:%s/db" % work
    ch = chassis_name("sg")
    nb(url, "network", "create", "blue")
    nb(url, "subnet", "create", "blue-v4", "--network", "blue", "--cidr", "10.0.0.0/24")
    nb(url, "security-group", "create", "sg-a")
    nb(url, "security-group", "create", "sg-b", "--add-rule",
       "direction=ingress,protocol=tcp,port=22,remote_prefix=10.0.0.0/24")
    ports = {}
    for i, sg in ((1, "sg-a"), (2, "sg-b")):
        ports["vm%d" % i] = nb(url, "port", "create", "vm%d" % i, "--network", "blue",
                               "--host", ch, "--security-group", sg,
                               "--fixed-ip", "subnet=blue-v4,ip=10.0.0.1%d" % i)
    taps = [rig.ifname("t"), rig.ifname("t")]
    wy = CtrlWyvern([("vm%d" % i, "net_tap%d,iface=%s" % (i - 1, taps[i - 1]),
                      ports["vm%d" % i]["id"]) for i in (1, 2)],
                    dict(db=url, chassis=ch, replica=os.path.join(work, "replica"))).start()
    wy.wait_connected(True)
    rig.wait_for(lambda: wy.ctrl()["held"]["port"] == 2, what="2 ports held")
    st = wy.ctrl()
    assert st["bad_now"] == 0 and st["table_errors"] == 0, st

    ns = []
    for i in (1, 2):
        n = rig.Namespace()
        n.adopt(taps[i - 1], ports["vm%d" % i]["mac_address"], "10.0.0.1%d/24" % i)
        ns.append(n)
    # static neighbours: the ACL decisions, not ARP timing, decide below
    ns[0].run(["ip", "neigh", "replace", "10.0.0.12", "lladdr", ports["vm2"]["mac_address"],
               "dev", taps[0], "nud", "permanent"])
    ns[1].run(["ip", "neigh", "replace", "10.0.0.11", "lladdr", ports["vm1"]["mac_address"],
               "dev", taps[1], "nud", "permanent"])

    # TCP 22 allowed by sg-b, replies pass vm1's ingress as established
    nc_listen(ns[1], 22, "hello-22")
    nc_listen(ns[1], 23, "hello-23")
    time.sleep(0.3)
    got = rig.wait_for(lambda: nc_connect(ns[0], "10.0.0.12", 22) == "hello-22" or None,
                       timeout=20, interval=0.2, what="nc 10.0.0.12 22 answered")
    assert got
    conns = wy.ctl("show", "conntrack", json=True)["connections"]
    tcp22 = [c for c in conns if c["proto"] == 6 and ":22" in c["orig"]]
    assert tcp22, conns
    # both ports' zones hold the connection (vm1's egress, vm2's ingress)
    assert len({c["zone"] for c in tcp22}) == 2, tcp22

    # TCP 23: no rule -> acl-deny, nothing comes back
    before = wy.drops("acl-deny")
    assert nc_connect(ns[0], "10.0.0.12", 23) == ""
    rig.wait_for(lambda: wy.drops("acl-deny") > before, what="acl-deny drops rise (tcp 23)")

    # trace follows the recirculations and names the deciding rule
    # (a SYN: the trace looks conntrack up, and only a SYN opens a TCP
    # connection)
    flow = "tcp,eth_src=%s,eth_dst=%s,ip_src=10.0.0.11,ip_dst=10.0.0.12,tp_src=%%d," \
        "tp_dst=%%d,tcp_flags=%%s" % (ports["vm1"]["mac_address"], ports["vm2"]["mac_address"])
    t = wy.ctl("trace", "vm1", flow % (40000, 23, "0x002"), json=True)
    assert "ct(zone=" in t["megaflow"]["actions"], t
    assert "conntrack says ct_state=new|trk (no connection)" in t["stages"], t["stages"]
    assert "ct_state new|trk, no rule allows it" in t["stages"], t["stages"]
    assert "drop:acl-deny" in t["recirc_actions"], t
    t = wy.ctl("trace", "vm1", flow % (40000, 22, "0x002"), json=True)
    assert "ct_state new|trk, allowed by rule" in t["stages"], t["stages"]
    assert "output:" in t["recirc_actions"], t
    # the connection nc made: conntrack knows it, read-only
    sport = int(re.search(r":(\d+)->", tcp22[0]["orig"]).group(1))
    t = wy.ctl("trace", "vm1", flow % (sport, 22, "0x010"), json=True)
    assert re.search(r"ct_zone=\d+: conntrack says ct_state=est\|trk", t["stages"]), t["stages"]
    assert "committed under rule" in t["stages"], t["stages"]

    # ping vm1 -> vm2: sg-b has no ICMP ingress rule
    before = wy.drops("acl-deny")
    r = ns[0].ping("10.0.0.12", count=2, interval=0.2)
    assert r.returncode != 0, r.stdout
    rig.wait_for(lambda: wy.drops("acl-deny") >= before + 2, what="acl-deny drops >= +2")
    # unsolicited vm2 -> vm1: sg-a allows no ingress
    r = ns[1].ping("10.0.0.11", count=2, interval=0.2)
    assert r.returncode != 0, r.stdout

    # add ICMP ingress to sg-b: vm1 -> vm2 pings now work (replies est|rpl)
    wy.wy("security-group", "update", "sg-b", "--add-rule", "direction=ingress,protocol=icmp")
    rig.wait_for(lambda: ns[0].ping("10.0.0.12", count=1, interval=0.2).returncode == 0,
                 timeout=20, interval=0.2, what="ping vm1 -> vm2 after the ICMP rule")
    r = ns[0].ping("10.0.0.12", count=3, interval=0.2)
    assert r.returncode == 0 and " 0% packet loss" in r.stdout, r.stdout
    # still refused the other way (vm1's group did not change)
    r = ns[1].ping("10.0.0.11", count=2, interval=0.2)
    assert r.returncode != 0, r.stdout

    # a rule removed during a live TCP stream cuts it (re-validation: the
    # connection is blocked, its packets dropped ct-blocked both ways);
    # the rule added again lets a new connection in
    ns[1].popen(["/usr/bin/python3", "-c", ECHO_SERVER, "2222"])
    sg = jsonlib.loads(wy.wy("--json", "security-group", "update", "sg-b", "--add-rule",
                             "direction=ingress,protocol=tcp,port=2222").stdout)
    rid = [r["id"] for r in sg["security_group_rules"]
           if r.get("port_range_min") == 2222][0]
    log1 = os.path.join(work, "stream1")
    rig.wait_for(lambda: ns[0].run(["/usr/bin/python3", "-c", STREAM_CLIENT, "10.0.0.12",
                                    "2222", log1, "0.5"], check=False).returncode == 0
                 and echoes(log1), timeout=20, interval=0.3, what="echo server answers")
    stream = ns[0].popen(["/usr/bin/python3", "-c", STREAM_CLIENT, "10.0.0.12", "2222",
                          log1, "30"])
    start = len(echoes(log1))
    rig.wait_for(lambda: len(echoes(log1)) >= start + 10, timeout=10, what="stream flows")
    blocked0 = wy.ctl("show", "pmd", json=True)["conntrack"]["blocked"]
    cut0 = wy.drops("ct-blocked")
    t_asked = time.time()
    wy.wy("security-group", "update", "sg-b", "--remove-rule", rid)
    t_removed = time.time()
    rig.wait_for(lambda: wy.drops("ct-blocked") > cut0, timeout=10, interval=0.1,
                 what="ct-blocked drops rise")
    time.sleep(3)
    last = max(echoes(log1))
    print("last echo %.2f s after wyctl was started, %.2f s after it returned"
          % (last - t_asked, last - t_removed))
    assert last < t_removed + 2.5, (last, t_removed)  # generous: noisy shared machine
    assert wy.ctl("show", "pmd", json=True)["conntrack"]["blocked"] > blocked0
    t = wy.ctl("trace", "vm1", flow % (40001, 2222, "0x002"), json=True)
    assert "drop:acl-deny" in t["recirc_actions"], t
    stream.kill()
    stream.wait()
    wy.wy("security-group", "update", "sg-b", "--add-rule",
          "direction=ingress,protocol=tcp,port=2222")
    log2 = os.path.join(work, "stream2")
    rig.wait_for(lambda: ns[0].run(["/usr/bin/python3", "-c", STREAM_CLIENT, "10.0.0.12",
                                    "2222", log2, "0.5"], check=False).returncode == 0
                 and echoes(log2), timeout=20, interval=0.3,
                 what="a new connection after the rule is back")

    pmd = wy.ctl("show", "pmd", json=True)
    assert pmd["conntrack"]["committed"] >= 2, pmd["conntrack"]
    assert sum(p["recirculations"] for p in pmd["pmds"]) > 0, pmd["pmds"]
    text = wy.ctl("show", "conntrack").stdout
    assert "tcp" in text and "connection(s)" in text, text

    # flush: everything goes
    flushed = wy.ctl("conntrack", "flush", json=True)["flushed"]
    assert flushed >= 2
    left = [c for c in wy.ctl("show", "conntrack", json=True)["connections"]
            if c["proto"] == 6 and ":22" in c["orig"]]
    assert left == [], left
    bad = wy.ctl("show", "conntrack", "--zone", "x", check=False)
    assert bad.returncode != 0

    # deleting a port flushes its zone: new connections in vm2's zone, then
    # vm2 goes
    sgs = {p["name"]: p for p in wy.ctl("show", "security-groups", json=True)["ports"]}
    zone2 = sgs["vm2"]["zone"]
    assert zone2 != sgs["vm1"]["zone"], sgs     # a zone of its own per port
    r = ns[0].ping("10.0.0.12", count=2, interval=0.2)
    assert r.returncode == 0, r.stdout
    mine = wy.ctl("show", "conntrack", "--zone", zone2, json=True)["connections"]
    assert mine and all(c["zone"] == zone2 for c in mine), mine
    # --port names the same connections, and each says whose zone it is
    byport = wy.ctl("show", "conntrack", "--port", "vm2", json=True)["connections"]
    assert byport and all(c["zone"] == zone2 and c["port"] == "vm2" for c in byport), byport
    bad = wy.ctl("show", "conntrack", "--port", "no-such-port", check=False)
    assert bad.returncode != 0 and "no security-group ACL" in (bad.stdout + bad.stderr)
    wy.wy("port", "delete", "vm2")
    rig.wait_for(lambda: not wy.ctl("show", "conntrack", "--zone", zone2,
                                    json=True)["connections"],
                 timeout=20, interval=0.2, what="vm2's conntrack zone flushed")
