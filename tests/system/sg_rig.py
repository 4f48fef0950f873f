"""Helpers shared by the security-group system tests (test_secgroups_*.py).

A scenario is: northbound objects made with `wyctl --db URL` (RocksDB, or a
real etcd when a test needs a second chassis or a raw db write), one or two
wyvernd with a [ctrl] section binding net_tap ports by iface-id, and one
namespace per VM port with static neighbours, so that the ACL and conntrack
decisions, not ARP/ND timing, decide what passes.

Traffic comes from real clients: busybox nc (TCP), ping / ping -6, and scapy
for the ICMP errors (a real kernel would only send them for real MTU
problems).  "Refused" is never a bare timeout: each test also waits for the
datapath's drop counter (acl-deny) to rise, or for a later frame to arrive.
"""
import json as jsonlib
import os
import subprocess

import rig
from test_ctrl import CtrlWyvern, nb


def nc_listen(ns, port, reply):
    """A persistent busybox nc server answering `reply` to every connection
    (IPv4 and IPv6: busybox binds a dual-stack socket)."""
    return ns.popen(["busybox", "nc", "-ll", "-p", str(port), "-e", "/bin/echo", reply])


def nc_connect(ns, ip, port, timeout=2, sport=None):
    cmd = ["busybox", "nc", "-w", str(timeout)]
    if sport:
        cmd += ["-p", str(sport)]
    try:
        r = ns.run(cmd + [ip, str(port)], check=False, timeout=timeout + 10)
    except subprocess.TimeoutExpired:
        # busybox nc's -w bounds the connect, not a read after it: a
        # connection whose replies are dropped can hang; that is no answer
        return ""
    return r.stdout.strip()


def ping6(ns, dst, count=2, interval=0.2):
    return ns.run(["ping", "-6", "-n", "-c", str(count), "-i", str(interval), "-W", "1", dst],
                  check=False, timeout=60)


def wait_connects(ns, ip, port, reply, timeout=20):
    return rig.wait_for(lambda: nc_connect(ns, ip, port) == reply or None, timeout=timeout,
                        interval=0.2, what="nc %s %s answered %r" % (ip, port, reply))


def refused(wys, ns, ip, port, tries=2):
    """nc gets no answer and the acl-deny drops (summed over the daemons)
    rise: the SYN reached the datapath and was refused there."""
    before = sum(w.drops("acl-deny") for w in wys)
    for _ in range(tries):
        assert nc_connect(ns, ip, port, timeout=1) == "", "%s:%s answered" % (ip, port)
    rig.wait_for(lambda: sum(w.drops("acl-deny") for w in wys) > before,
                 what="acl-deny drops rise (%s:%s)" % (ip, port))


def wait_refused(wys, ns, ip, port, timeout=20):
    """Poll until a new connection gets no answer (the controller applies NB
    changes asynchronously), then check it is an acl-deny."""
    rig.wait_for(lambda: nc_connect(ns, ip, port, timeout=1) == "", timeout=timeout,
                 interval=0.2, what="%s:%s refused" % (ip, port))
    refused(wys, ns, ip, port)


def enable_ipv6(ns, iface, addr):
    """IPv6 on a VM namespace: the address without DAD, no RA/autoconf (the
    neighbours are static, so nothing but the test's traffic is sent)."""
    for k, v in (("disable_ipv6", 0), ("accept_ra", 0), ("autoconf", 0), ("accept_dad", 0)):
        ns.run(["sysctl", "-qw", "net.ipv6.conf.%s.%s=%d" % (iface, k, v)])
    ns.run(["ip", "-6", "addr", "add", addr, "dev", iface, "nodad"])


def static_neigh(ns, iface, ip, mac):
    ns.run(["ip", "neigh", "replace", ip, "lladdr", mac, "dev", iface, "nud", "permanent"])


def sg_rule_ids(url_or_wy, sg):
    """The rules of a group as the northbound shows them (each with its id)."""
    if isinstance(url_or_wy, CtrlWyvern):
        obj = jsonlib.loads(url_or_wy.wy("--json", "security-group", "show", sg).stdout)
    else:
        obj = nb(url_or_wy, "security-group", "show", sg)
    return obj["security_group_rules"]


def conns(wy, zone=None):
    args = ["show", "conntrack"] + (["--zone", zone] if zone is not None else [])
    return wy.ctl(*args, json=True)["connections"]


def zone_of(wy, lport):
    """The conntrack zone wyvernd gave the port (show security-groups)."""
    for p in wy.ctl("show", "security-groups", json=True)["ports"]:
        if p["lport"] == wy.lports()[lport]["key"]:
            return p["zone"]
    raise AssertionError("port %s has no ACL" % lport)


# ---------------------------------------------------------------- etcd raw write

def etcd_get(cl, key):
    r = rig.sh(["etcdctl", "--endpoints", cl.members[0].client_url, "get", key,
                "--print-value-only"], env=dict(os.environ, ETCDCTL_API="3"))
    return r.stdout.rstrip("\n")


def etcd_put(cl, key, value):
    rig.sh(["etcdctl", "--endpoints", cl.members[0].client_url, "put", key],
           input=value, env=dict(os.environ, ETCDCTL_API="3"))


def make_stateless(cl, sg_obj):
    """Neutron's `stateful: false` on a group.  wyctl has no option for it
    yet, so the test rewrites the stored object (the same JSON, stateful
    false, revision_number + 1) with etcdctl: the controller sees it through
    its watch like any other db write."""
    key = "/wyvern/v1/security_group/%s" % sg_obj["id"]
    obj = jsonlib.loads(etcd_get(cl, key))
    assert obj["stateful"] is True, obj
    obj["stateful"] = False
    obj["revision_number"] = obj.get("revision_number", 1) + 1
    etcd_put(cl, key, jsonlib.dumps(obj, separators=(",", ":")))
    return obj


# ---------------------------------------------------------------- ICMP errors

class Sniffer:
    """tcpdump in a VM namespace (rig.Capture); lists the ICMP errors seen:
    (4, code, inner sport, inner dport) for IPv4 destination-unreachable,
    (6, mtu, inner sport, inner dport) for ICMPv6 packet-too-big."""

    def __init__(self, ns, iface):
        self.cap = rig.Capture(ns, iface).start()

    def icmp_errors(self):
        from scapy.all import ICMP, ICMPv6PacketTooBig, IPerror6, UDPerror
        found = []
        for p in self.cap.packets():
            if p.haslayer(ICMP) and p[ICMP].type == 3 and p.haslayer(UDPerror):
                found.append((4, p[ICMP].code, p[UDPerror].sport, p[UDPerror].dport))
            elif p.haslayer(ICMPv6PacketTooBig) and p.haslayer(IPerror6) and \
                    p.haslayer(UDPerror):
                found.append((6, p[ICMPv6PacketTooBig].mtu, p[UDPerror].sport,
                              p[UDPerror].dport))
        return found

    def stop(self):
        self.cap.stop()


# ---------------------------------------------------------------- one chassis

class Scenario:
    """Network blue with an IPv4 (10.0.0.0/24) and an IPv6 (fd00:b::/64)
    subnet, VM ports created in the northbound, one wyvernd binding them
    (net_tap, by iface-id), one namespace per VM with static neighbours.

    vm(name, n, groups) makes port NAME with 10.0.0.n and fd00:b::n."""

    def __init__(self, url, work, chassis, v6=True):
        self.url, self.work, self.chassis, self.v6 = url, work, chassis, v6
        self.ports, self.ns, self.taps, self.n = {}, {}, {}, {}
        self.wy = None
        nb(url, "network", "create", "blue")
        nb(url, "subnet", "create", "blue-v4", "--network", "blue", "--cidr", "10.0.0.0/24")
        if v6:
            nb(url, "subnet", "create", "blue-v6", "--network", "blue", "--cidr", "fd00:b::/64",
               "--ip-version", "6", "--no-dhcp")

    def group(self, name, *rules):
        args = ["security-group", "create", name]
        for r in rules:
            args += ["--add-rule", r]
        return nb(self.url, *args)

    def vm(self, name, n, groups=(), port_security=True):
        args = ["port", "create", name, "--network", "blue", "--host", self.chassis,
                "--fixed-ip", "subnet=blue-v4,ip=10.0.0.%d" % n]
        if self.v6:
            args += ["--fixed-ip", "subnet=blue-v6,ip=fd00:b::%d" % n]
        for g in groups:
            args += ["--security-group", g]
        if not port_security:
            args.append("--no-port-security")
        self.ports[name] = nb(self.url, *args)
        self.taps[name] = rig.ifname("t")
        self.n[name] = n
        return self.ports[name]

    def daemon_ports(self):
        return [(name, "net_tap%d,iface=%s" % (i, self.taps[name]), self.ports[name]["id"])
                for i, name in enumerate(self.ports)]

    def start(self, wy_class=CtrlWyvern, **ctrl):
        cfg = dict(db=self.url, chassis=self.chassis,
                   replica=os.path.join(self.work, "replica-" + self.chassis))
        cfg.update(ctrl)
        self.wy = wy_class(self.daemon_ports(), cfg).start()
        self.wy.wait_connected(True)
        rig.wait_for(lambda: self.wy.ctrl()["held"]["port"] >= len(self.ports),
                     what="%d ports held" % len(self.ports))
        self.adopt(self.ports)
        return self.wy

    def adopt(self, names):
        for name in names:
            ns = rig.Namespace()
            ns.adopt(self.taps[name], self.ports[name]["mac_address"],
                     "%s/24" % self.ip4(name))
            if self.v6:
                enable_ipv6(ns, self.taps[name], "%s/64" % self.ip6(name))
            self.ns[name] = ns
        self.neighbours()

    def neighbours(self, others=None):
        """Static ARP/ND entries between every pair of VMs (others: extra
        {name: (mac, ip4, ip6)} of ports on another chassis)."""
        peers = {n: (self.ports[n]["mac_address"], self.ip4(n), self.ip6(n)) for n in self.ports}
        peers.update(others or {})
        for name, ns in self.ns.items():
            for other, (mac, ip4, ip6) in peers.items():
                if other == name:
                    continue
                static_neigh(ns, self.taps[name], ip4, mac)
                if self.v6:
                    static_neigh(ns, self.taps[name], ip6, mac)

    def ip4(self, name):
        return "10.0.0.%d" % self.n[name]

    def ip6(self, name):
        return "fd00:b::%d" % self.n[name]

    def update(self, *args):
        """A northbound change through the daemon (it holds the embedded
        RocksDB) or directly on etcd."""
        if self.url.startswith("rocksdb:"):
            return self.wy.wy(*args)
        return nb(self.url, *args)
