"""wyctl northbound commands (network|subnet|port|router|security-group
create|list|show|update|delete) against the database directly, without
wyvernd: RocksDB in a temp dir, and a real etcd started on loopback.

Self-contained: the fixtures live here.  Binary: $WYV_BUILD/ctrl/wyctl.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

BUILD = os.environ.get("WYV_BUILD") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")
WYCTL = os.path.join(BUILD, "ctrl", "wyctl")
TYPES = ["network", "subnet", "port", "router", "security-group"]

pytestmark = pytest.mark.skipif(not os.access(WYCTL, os.X_OK),
                                reason="wyctl not built in %s" % BUILD)


class Cli:
    """Runs wyctl against one database URL."""

    def __init__(self, url):
        self.url = url

    def run(self, *args, timeout=60):
        env = dict(os.environ)
        env.pop("WYVERN_DB", None)
        return subprocess.run([WYCTL, "--db", self.url] + [str(a) for a in args],
                              capture_output=True, text=True, timeout=timeout, env=env)

    def ok(self, *args):
        r = self.run(*args)
        assert r.returncode == 0, "wyctl %s: rc=%d\n%s%s" % (
            " ".join(map(str, args)), r.returncode, r.stdout, r.stderr)
        return r.stdout

    def js(self, *args):
        return json.loads(self.ok("--json", *args))

    def fail(self, rc, *args):
        r = self.run(*args)
        assert r.returncode == rc, "wyctl %s: expected rc=%d, got %d\n%s%s" % (
            " ".join(map(str, args)), rc, r.returncode, r.stdout, r.stderr)
        return r.stderr

    def state(self):
        return {t: self.js(t, "list") for t in TYPES}


@pytest.fixture
def cli(tmp_path):
    yield Cli("rocksdb:%s" % (tmp_path / "db"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


@pytest.fixture
def etcd_cli():
    if not shutil.which("etcd"):
        pytest.skip("etcd not installed")
    d = tempfile.mkdtemp(prefix="wyv-nb-etcd-")
    cp, pp = free_port(), free_port()
    curl = "http://127.0.0.1:%d" % cp
    log = open(os.path.join(d, "etcd.log"), "w")
    proc = subprocess.Popen(
        ["etcd", "--data-dir", os.path.join(d, "data"), "--name", "t",
         "--listen-client-urls", curl, "--advertise-client-urls", curl,
         "--listen-peer-urls", "http://127.0.0.1:%d" % pp,
         "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % pp,
         "--initial-cluster", "t=http://127.0.0.1:%d" % pp],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while True:
            assert proc.poll() is None, "etcd exited:\n" + open(log.name).read()
            try:
                with urllib.request.urlopen(curl + "/health", timeout=1) as r:
                    if json.load(r).get("health") in ("true", True):
                        break
            except OSError:
                pass
            assert time.time() < deadline, "etcd not healthy:\n" + open(log.name).read()
            time.sleep(0.2)
        yield Cli("etcd://127.0.0.1:%d" % cp)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(d, ignore_errors=True)


def fields(text):
    """show's text output as {field: value} (first line of each field)."""
    out = {}
    for line in text.splitlines():
        if line and not line[0].isspace():
            k, _, v = line.partition(" ")
            out[k] = v.strip()
    return out


def ids(objs):
    return sorted(o["id"] for o in objs)


# ---- create / list / show / update / delete per type (RocksDB) ----

def test_network_crud(cli):
    n = cli.js("network", "create", "net1", "--mtu", 1450, "--segment", 100)
    assert n["name"] == "net1" and n["mtu"] == 1450
    assert n["provider:network_type"] == "vxlan"
    assert n["provider:segmentation_id"] == 100
    assert n["revision_number"] == 1 and n["dp_key"] > 0
    v = cli.js("network", "create", "vl", "--type", "vlan", "--segment", 10,
               "--physnet", "phys0", "--external", "--disable")
    assert v["router:external"] is True and v["admin_state_up"] is False
    lst = cli.ok("network", "list")
    assert lst.splitlines()[0].split()[:3] == ["ID", "NAME", "TYPE"]
    assert n["id"] in lst and v["id"] in lst and "vlan" in lst
    assert ids(cli.js("network", "list")) == sorted([n["id"], v["id"]])
    # show by name and by id, text and JSON
    f = fields(cli.ok("network", "show", "net1"))
    assert f["id"] == n["id"] and f["mtu"] == "1450"
    assert f["provider:network_type"] == "vxlan"
    assert cli.js("network", "show", n["id"]) == n
    # the provider attributes are immutable (Neutron), wyctl as the API
    r = cli.run("network", "update", "net1", "--no-segment")
    assert r.returncode != 0 and "Cannot update read-only attribute provider:segmentation_id" \
        in r.stderr, r
    u = cli.js("network", "update", "net1", "--mtu", 9000, "--name", "renamed")
    assert u["mtu"] == 9000 and u["name"] == "renamed"
    assert u["provider:segmentation_id"] == 100
    # without --segment: allocated from the ranges (1048576.. by default),
    # MTU from the encapsulation
    a = cli.js("network", "create", "auto")
    assert a["provider:segmentation_id"] >= 1 << 20 and a["mtu"] == 1450, a
    cli.ok("network", "delete", "auto")
    assert u["revision_number"] == 2 and u["dp_key"] == n["dp_key"]
    cli.ok("network", "delete", "renamed")
    cli.ok("network", "delete", v["id"])
    assert cli.js("network", "list") == []
    assert "no network" in cli.fail(1, "network", "show", "renamed")


def test_subnet_crud(cli):
    net = cli.js("network", "create", "n")
    s = cli.js("subnet", "create", "s1", "--network", "n", "--cidr", "10.1.0.0/24",
               "--dns", "8.8.8.8", "--dns", "1.1.1.1",
               "--host-route", "10.9.0.0/16=10.1.0.254", "--pool", "10.1.0.10-10.1.0.99")
    assert s["network_id"] == net["id"] and s["ip_version"] == 4
    assert s["gateway_ip"] == "10.1.0.1"           # Neutron's default
    assert s["enable_dhcp"] is True
    assert s["dns_nameservers"] == ["8.8.8.8", "1.1.1.1"]
    assert s["host_routes"] == [{"destination": "10.9.0.0/16", "nexthop": "10.1.0.254"}]
    assert s["allocation_pools"] == [{"start": "10.1.0.10", "end": "10.1.0.99"}]
    s6 = cli.js("subnet", "create", "s6", "--network", net["id"], "--cidr", "fd00::/64",
                "--gateway", "none", "--no-dhcp")
    assert s6["ip_version"] == 6 and s6["gateway_ip"] is None
    assert s6["enable_dhcp"] is False
    # without --pool: the API's pools (the cidr without network, gateway,
    # broadcast), as `openstack subnet create` gets
    s3 = cli.js("subnet", "create", "s3", "--network", "n", "--cidr", "10.3.0.0/24")
    assert s3["allocation_pools"] == [{"start": "10.3.0.2", "end": "10.3.0.254"}], s3
    cli.ok("subnet", "delete", "s3")
    lst = cli.ok("subnet", "list")
    assert "10.1.0.0/24" in lst and "fd00::/64" in lst
    assert ids(cli.js("subnet", "list", "--network", "n")) == sorted([s["id"], s6["id"]])
    # list options replace the stored list on update
    u = cli.js("subnet", "update", "s1", "--dns", "9.9.9.9", "--no-dhcp",
               "--gateway", "10.1.0.254", "--no-host-route")
    assert u["dns_nameservers"] == ["9.9.9.9"] and u["enable_dhcp"] is False
    assert u["gateway_ip"] == "10.1.0.254" and u["host_routes"] == []
    assert u["revision_number"] == 2
    assert fields(cli.ok("subnet", "show", "s1"))["dns_nameservers"] == "9.9.9.9"
    # as Neutron: a network with ports is in use; without, it goes with its
    # subnets in one transaction
    cli.ok("port", "create", "p", "--network", "n")
    assert "NetworkInUse" in cli.fail(1, "network", "delete", "n")
    cli.ok("port", "delete", "p")
    cli.ok("subnet", "delete", "s6")
    cli.ok("network", "delete", "n")
    assert cli.js("subnet", "list") == []
    st = cli.state()
    assert all(st[t] == [] for t in TYPES if t != "security-group"), st


def test_port_crud(cli):
    net = cli.js("network", "create", "n")
    sub = cli.js("subnet", "create", "s", "--network", "n", "--cidr", "10.2.0.0/24")
    sg = cli.js("security-group", "create", "web")
    p1 = cli.js("port", "create", "p1", "--network", "n", "--security-group", "web")
    assert p1["network_id"] == net["id"]
    assert p1["mac_address"].startswith("fa:16:3e:")
    # no --fixed-ip: one address from the network's subnet, not the gateway
    assert p1["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.2.0.2"}]
    assert p1["security_groups"] == [sg["id"]]
    p2 = cli.js("port", "create", "p2", "--network", "n", "--mac", "fa:16:3e:00:00:02",
                "--fixed-ip", "subnet=s,ip=10.2.0.50",
                "--allowed-address", "10.2.0.0/24,mac=fa:16:3e:00:00:99",
                "--host", "chassis-1", "--device-owner", "compute:nova", "--disable")
    assert p2["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.2.0.50"}]
    assert p2["allowed_address_pairs"] == [
        {"ip_address": "10.2.0.0/24", "mac_address": "fa:16:3e:00:00:99"}]
    assert p2["binding:host_id"] == "chassis-1" and p2["admin_state_up"] is False
    p3 = cli.js("port", "create", "p3", "--network", "n", "--fixed-ip", "ip=10.2.0.7",
                "--fixed-ip", "subnet=s")
    assert p3["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.2.0.7"},
                               {"subnet_id": sub["id"], "ip_address": "10.2.0.3"}]
    p4 = cli.js("port", "create", "p4", "--network", "n", "--no-fixed-ip",
                "--no-port-security")
    assert p4["fixed_ips"] == [] and p4["port_security_enabled"] is False
    lst = cli.ok("port", "list")
    assert "10.2.0.50" in lst and "chassis-1" in lst and "fa:16:3e:00:00:02" in lst
    assert len(cli.js("port", "list", "--network", "n")) == 4
    u = cli.js("port", "update", "p1", "--host", "chassis-2",
               "--fixed-ip", "subnet=s,ip=10.2.0.60")
    assert u["binding:host_id"] == "chassis-2"
    assert u["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.2.0.60"}]
    assert u["mac_address"] == p1["mac_address"] and u["revision_number"] == 2
    # port security off needs the groups cleared (the model's rule)
    err = cli.fail(1, "port", "update", "p1", "--no-port-security")
    assert "security_groups: must be empty when port_security_enabled is false" in err
    u = cli.js("port", "update", "p1", "--no-port-security", "--no-security-group")
    assert u["port_security_enabled"] is False and u["security_groups"] == []
    assert fields(cli.ok("port", "show", "p1"))["binding:host_id"] == "chassis-2"
    for p in ("p1", "p2", "p3", "p4"):
        cli.ok("port", "delete", p)
    assert cli.js("port", "list") == []


def test_router_crud(cli):
    ext = cli.js("network", "create", "ext", "--external")
    cli.ok("subnet", "create", "ext-s", "--network", "ext", "--cidr", "172.24.0.0/24")
    cli.ok("network", "create", "n")
    s1 = cli.js("subnet", "create", "s1", "--network", "n", "--cidr", "10.1.0.0/24")
    s2 = cli.js("subnet", "create", "s2", "--network", "n", "--cidr", "10.2.0.0/24",
                "--gateway", "10.2.0.254")
    cli.js("subnet", "create", "nogw", "--network", "n", "--cidr", "10.3.0.0/24",
           "--gateway", "none")
    cli.ok("network", "create", "n2")
    cli.js("subnet", "create", "s1b", "--network", "n2", "--cidr", "10.1.0.0/25")
    r = cli.js("router", "create", "r1", "--external-gateway", "ext")
    assert r["external_gateway_info"]["network_id"] == ext["id"]
    assert r["external_gateway_info"]["external_fixed_ips"][0]["ip_address"] == "172.24.0.2"
    assert r["interfaces"] == []
    # interfaces are the API's add_router_interface: a port on the
    # subnet's gateway address, owned by the router, with the router update
    r = cli.js("router", "update", "r1", "--add-subnet", "s1", "--add-subnet", s2["id"],
               "--route", "192.168.0.0/16=10.1.0.200")
    ports = {p["id"]: p for p in cli.js("port", "list")}
    assert [(i["subnet_id"], i["ip_address"]) for i in r["interfaces"]] == [
        (s1["id"], "10.1.0.1"), (s2["id"], "10.2.0.254")]
    for i in r["interfaces"]:
        p = ports[i["port_id"]]
        assert p["device_owner"] == "network:router_interface" and p["device_id"] == r["id"]
        assert p["fixed_ips"] == [{"subnet_id": i["subnet_id"], "ip_address": i["ip_address"]}]
    assert r["routes"] == [{"destination": "192.168.0.0/16", "nexthop": "10.1.0.200"}]
    before = cli.state()
    assert "Router already has a port on subnet" in cli.fail(
        1, "router", "update", "r1", "--add-subnet", "s1")
    assert "does not have a gateway IP" in cli.fail(
        1, "router", "update", "r1", "--add-subnet", "nogw")
    # all or nothing: the first interface is removed again when the second
    # is refused, and the name is not changed
    assert "overlaps with cidr" in cli.fail(
        1, "router", "update", "r1", "--name", "renamed", "--remove-subnet", "s2",
        "--add-subnet", "s1b")
    assert cli.state() == before
    cli.ok("router", "create", "r2")
    before = cli.state()
    err = cli.fail(1, "router", "update", "r2", "--add-subnet", "s2", "--add-subnet", "s1")
    assert "IpAddressInUse" in err and "10.2.0.254" in err
    assert cli.state() == before
    # a router whose interfaces fail is not created
    assert "IpAddressInUse" in cli.fail(1, "router", "create", "r3", "--add-subnet", "s1")
    assert [x["name"] for x in cli.js("router", "list")] == ["r1", "r2"]
    assert cli.state() == before
    # the subnet holds the interface's address
    assert "SubnetInUse" in cli.fail(1, "subnet", "delete", "s1")
    lst = cli.ok("router", "list")
    assert "10.1.0.1,10.2.0.254" in lst and ext["id"] in lst
    r = cli.js("router", "update", "r1", "--remove-subnet", "s1", "--no-route",
               "--no-external-gateway")
    assert [i["subnet_id"] for i in r["interfaces"]] == [s2["id"]]
    assert r["routes"] == [] and r["external_gateway_info"] is None
    assert "has no interface on subnet" in cli.fail(
        1, "router", "update", "r1", "--remove-subnet", "s1")
    before = cli.state()
    assert "has no interface on subnet" in cli.fail(
        1, "router", "update", "r1", "--add-subnet", "s1", "--name", "x",
        "--remove-subnet", "s1b")
    assert cli.state() == before
    cli.ok("subnet", "delete", "s1")
    # by port, as `openstack router add port`
    p = cli.js("port", "create", "rp", "--network", "n2", "--fixed-ip",
               "subnet=s1b,ip=10.1.0.9")
    r = cli.js("router", "update", "r2", "--add-port", "rp")
    assert [(i["port_id"], i["ip_address"]) for i in r["interfaces"]] == [(p["id"], "10.1.0.9")]
    assert cli.js("port", "show", "rp")["device_owner"] == "network:router_interface"
    assert "RouterInUse" in cli.fail(1, "router", "delete", "r2")
    cli.js("router", "update", "r2", "--remove-port", "rp")
    assert fields(cli.ok("router", "show", "r1"))["name"] == "r1"
    cli.ok("router", "update", "r1", "--remove-subnet", "s2")
    cli.ok("router", "delete", "r1")
    cli.ok("router", "delete", "r2")
    assert cli.js("router", "list") == []
    assert cli.js("port", "list") == []


def test_security_group_crud(cli):
    g = cli.js("security-group", "create", "web")
    # Neutron's default egress rules
    assert sorted((x["direction"], x["ethertype"]) for x in g["security_group_rules"]) == [
        ("egress", "IPv4"), ("egress", "IPv6")]
    bare = cli.js("security-group", "create", "bare", "--no-default-rules")
    assert bare["security_group_rules"] == []
    # timestamps as the API keeps them; "default" only comes with a port
    assert g["attrs"]["created_at"] == g["attrs"]["updated_at"]
    assert all(x["attrs"]["created_at"] for x in cli.js("security-group", "rule", "list",
                                                           "--group", "web")), \
        cli.js("security-group", "rule", "list", "--group", "web")
    assert "SecurityGroupDefaultAlreadyExists" in cli.fail(
        1, "security-group", "create", "default")
    g = cli.js("security-group", "update", "web", "--add-rule",
               "direction=ingress,ethertype=IPv4,protocol=tcp,port_min=22,port_max=22,"
               "remote_prefix=0.0.0.0/0",
               "--add-rule", "protocol=udp,port=5000:5010,remote_group=bare")
    new = g["security_group_rules"][2:]
    assert new[0]["protocol"] == "tcp" and new[0]["port_range_min"] == 22
    assert new[0]["port_range_max"] == 22 and new[0]["remote_ip_prefix"] == "0.0.0.0/0"
    assert new[1]["direction"] == "ingress" and new[1]["ethertype"] == "IPv4"
    assert (new[1]["port_range_min"], new[1]["port_range_max"]) == (5000, 5010)
    assert new[1]["remote_group_id"] == bare["id"]
    # rules are objects of their own: the group itself did not change
    assert g["revision_number"] == 1
    assert all(x["security_group_id"] == g["id"] for x in g["security_group_rules"])
    assert [x["id"] for x in cli.js("security-group", "rule", "list", "--group", "web")] == [
        x["id"] for x in g["security_group_rules"]]
    out = cli.ok("security-group", "show", "web")
    assert "port_range_min=22" in out and "remote_ip_prefix=0.0.0.0/0" in out
    # the model's rule checks
    err = cli.fail(1, "security-group", "update", "web", "--add-rule",
                   "protocol=tcp,port_min=22,port_max=21")
    assert "port_range_min 22 is greater than port_range_max 21" in err
    err = cli.fail(1, "security-group", "update", "web", "--add-rule",
                   "ethertype=IPv6,remote_prefix=10.0.0.0/8")
    assert "does not match ethertype IPv6" in err
    # a rule of another group names it (the API's answer)
    assert "SecurityGroupInUse" in cli.fail(1, "security-group", "delete", "bare")
    g = cli.js("security-group", "update", "web", "--remove-rule", new[1]["id"])
    assert [x["id"] for x in g["security_group_rules"]][-1] == new[0]["id"]
    assert len(g["security_group_rules"]) == 3
    assert "has no rule" in cli.fail(1, "security-group", "update", "web",
                                     "--remove-rule", new[1]["id"])
    assert "web" in cli.ok("security-group", "list")
    cli.ok("security-group", "delete", "bare")
    cli.ok("security-group", "delete", "web")       # with its rules
    assert cli.js("security-group", "list") == []
    assert cli.js("security-group", "rule", "list") == []


# ---- validation errors: exit 1, the model's message, nothing written ----

@pytest.fixture
def populated(cli):
    cli.ok("network", "create", "n")
    cli.ok("subnet", "create", "s", "--network", "n", "--cidr", "10.1.0.0/24")
    mac = cli.js("port", "create", "p", "--network", "n",
                 "--fixed-ip", "subnet=s,ip=10.1.0.5")["mac_address"]
    cli.ok("security-group", "create", "g")
    cli.ok("router", "create", "r")
    return cli, mac


BAD = [
    (("subnet", "create", "x", "--network", "n", "--cidr", "10.1.0/24"),
     "cidr: '10.1.0/24' is not a valid CIDR"),
    (("subnet", "create", "x", "--network", "n", "--cidr", "10.2.0.1/24"),
     "cidr: 10.2.0.1/24 has host bits set"),
    (("port", "create", "x", "--network", "n", "--fixed-ip", "subnet=s,ip=10.9.0.5"),
     "fixed_ips[0].ip_address 10.9.0.5 is outside subnet 10.1.0.0/24"),
    # subnets through the API's operations: Neutron's words
    (("subnet", "create", "x", "--network", "n", "--cidr", "10.1.0.0/16"),
     "Requested subnet with cidr: 10.1.0.0/16 for network: "),
    (("port", "create", "x", "--network", "n", "--fixed-ip", "subnet=s,ip=10.1.0.5"),
     "fixed_ips[0].ip_address: 10.1.0.5 is already used by port"),
    (("port", "create", "x", "--network", "00000000-0000-4000-8000-000000000001"),
     "NetworkNotFound: Network 00000000-0000-4000-8000-000000000001 could not be found"),
    (("subnet", "create", "x", "--network", "00000000-0000-4000-8000-000000000001",
      "--cidr", "10.5.0.0/24"),
     "NetworkNotFound: Network 00000000-0000-4000-8000-000000000001 could not be found"),
    (("network", "create", "x", "--mtu", "20"), "mtu: 20 out of range 68..9216"),
    (("network", "create", "x", "--type", "vlan"),
     "provider:segmentation_id: required for vlan"),
    (("network", "create", "x", "--type", "gre"), "provider:network_type: unknown value 'gre'"),
    (("network", "update", "n", "--type", "vlan"),
     "Cannot update read-only attribute provider:network_type"),
    (("subnet", "update", "s", "--gateway", "10.7.0.1"),
     "gateway_ip: 10.7.0.1 is outside cidr 10.1.0.0/24"),
    (("port", "update", "p", "--mac", "01:00:5e:00:00:01"), "is a multicast address"),
    (("port", "create", "x", "--network", "n", "--security-group",
      "00000000-0000-4000-8000-000000000002"),
     "SecurityGroupNotFound: SecurityGroup 00000000-0000-4000-8000-000000000002 could not"),
    (("router", "update", "r", "--route", "10.0.0.0/8=fd00::1"),
     "routes[0].nexthop: fd00::1 is not the same IP version"),
    (("network", "delete", "n"), "NetworkInUse: Unable to complete operation on network"),
    (("port", "show", "nope"), "no port with id or name 'nope'"),
]


@pytest.mark.parametrize("args,msg", BAD, ids=[" ".join(a[:2]) + ":" + m[:30]
                                               for a, m in BAD])
def test_validation_errors_write_nothing(populated, args, msg):
    cli, _ = populated
    before = cli.state()
    r = cli.run(*args)
    assert r.returncode == 1, r.stdout + r.stderr
    assert msg in r.stderr
    assert r.stdout == ""
    assert "usage:" not in r.stderr
    assert cli.state() == before


def test_duplicate_mac(populated):
    cli, mac = populated
    before = cli.state()
    err = cli.fail(1, "port", "create", "x", "--network", "n", "--mac", mac)
    assert "mac_address: %s is already used by port" % mac in err
    assert cli.state() == before


def test_ambiguous_name(cli):
    a = cli.js("network", "create", "dup")
    b = cli.js("network", "create", "dup")
    err = cli.fail(1, "network", "show", "dup")
    assert "ambiguous" in err and a["id"] in err and b["id"] in err
    err = cli.fail(1, "subnet", "create", "s", "--network", "dup", "--cidr", "10.0.0.0/24")
    assert "ambiguous" in err
    assert cli.js("subnet", "list") == []
    cli.ok("network", "delete", a["id"])
    assert cli.js("network", "show", "dup")["id"] == b["id"]


# ---- usage errors: exit 2 with the command's usage ----

USAGE = [
    (("network", "create"), "missing NAME", "network create NAME"),
    (("network", "create", "a", "b"), "unexpected argument 'b'", "network create NAME"),
    (("network", "create", "x", "--bogus"), "unknown option --bogus", "network create"),
    (("network", "create", "x", "--mtu"), "--mtu needs a value", "network create"),
    (("network", "create", "x", "--mtu", "big"), "--mtu: 'big' is not an integer",
     "network create"),
    (("network", "create", "x", "--external=yes"), "--external takes no value",
     "network create"),
    (("subnet", "create", "x", "--network", "n"), "--cidr is required", "subnet create"),
    (("port", "create", "x"), "--network is required", "port create"),
    (("port", "create", "x", "--network", "n", "--fixed-ip", "subnet"),
     "is not KEY=VALUE", "port create"),
    (("port", "create", "x", "--network", "n", "--fixed-ip", "foo=1"),
     "unknown key 'foo'", "port create"),
    (("network", "update", "n"), "nothing to update", "network update"),
    (("network", "update"), "missing NAME or ID", "network update"),
    (("subnet", "update", "s", "--cidr", "10.0.0.0/8"), "--cidr cannot be used with update",
     "subnet update"),
    (("router", "create", "r", "--remove-subnet", "s"),
     "--remove-subnet cannot be used with create", "router create"),
    (("security-group", "update", "g", "--add-rule", "port=x"), "is not an integer",
     "security-group update"),
    (("router", "update", "r", "--route", "10.0.0.0/8"), "is not DEST=NEXTHOP",
     "router update"),
    (("network", "list", "extra"), "unexpected argument", "network list"),
    (("network", "show"), "missing NAME or ID", "network show"),
    (("network", "delete"), "missing NAME or ID", "network delete"),
]


@pytest.mark.parametrize("args,msg,usage", USAGE,
                         ids=[" ".join(a) for a, _, _ in USAGE])
def test_usage_errors(populated, args, msg, usage):
    cli, _ = populated
    before = cli.state()
    err = cli.fail(2, *args)
    assert msg in err
    assert "usage: wyctl" in err and usage in err
    assert cli.state() == before


def test_bad_url_and_help(tmp_path):
    err = Cli("bogus:%s" % tmp_path).fail(2, "network", "list")
    assert "bad database URL" in err
    r = Cli("rocksdb:%s" % (tmp_path / "db")).run("port", "create", "--help")
    assert r.returncode == 0 and "port create NAME --network NETWORK" in r.stdout


def test_default_url_from_env(tmp_path):
    env = dict(os.environ, WYVERN_DB="rocksdb:%s" % (tmp_path / "envdb"))
    r = subprocess.run([WYCTL, "network", "create", "e"], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "envdb").is_dir()
    assert Cli("rocksdb:%s" % (tmp_path / "envdb")).js("network", "list")[0]["name"] == "e"


def test_socket_commands_still_go_to_daemon(tmp_path):
    env = dict(os.environ, WYVERN_SOCKET=str(tmp_path / "none.sock"))
    r = subprocess.run([WYCTL, "network", "add", "5"], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1 and "cannot talk to wyvernd" in r.stderr


# ---- etcd ----

def test_etcd_flow(etcd_cli):
    cli = etcd_cli
    net = cli.js("network", "create", "en", "--type", "geneve", "--segment", 77)
    sub = cli.js("subnet", "create", "es", "--network", "en", "--cidr", "172.16.0.0/24")
    sg = cli.js("security-group", "create", "eg")
    port = cli.js("port", "create", "ep", "--network", "en", "--security-group", "eg")
    rt = cli.js("router", "create", "er", "--add-subnet", "es")
    assert port["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "172.16.0.2"}]
    assert rt["interfaces"][0]["ip_address"] == "172.16.0.1"
    keys = [o["dp_key"] for o in (net, sub, sg, port, rt)]
    assert len(set(keys)) == 5
    st = cli.state()
    assert [o["id"] for o in st["network"]] == [net["id"]]
    assert [o["id"] for o in st["port"] if not o.get("device_owner")] == [port["id"]]
    # the router interface is a port of its own, as the API makes it
    rif = [o for o in st["port"] if o.get("device_owner") == "network:router_interface"]
    assert [(o["device_id"], o["fixed_ips"][0]["ip_address"]) for o in rif] == [
        (rt["id"], "172.16.0.1")]
    assert rt["interfaces"][0]["port_id"] == rif[0]["id"]
    assert "172.16.0.0/24" in cli.ok("subnet", "list")
    assert "geneve" in cli.ok("network", "list")
    u = cli.js("port", "update", "ep", "--host", "h9")
    assert u["binding:host_id"] == "h9" and u["revision_number"] == 2
    # validation and reference errors on etcd too, nothing written
    before = cli.state()
    err = cli.fail(1, "port", "create", "x", "--network", "en", "--fixed-ip",
                   "subnet=es,ip=10.0.0.1")
    assert "fixed_ips[0].ip_address 10.0.0.1 is outside subnet 172.16.0.0/24" in err
    assert "NetworkInUse" in cli.fail(1, "network", "delete", "en")
    assert cli.state() == before
    assert "RouterInUse" in cli.fail(1, "router", "delete", "er")
    cli.ok("router", "update", "er", "--remove-subnet", "es")
    cli.ok("router", "delete", "er")
    cli.ok("port", "delete", "ep")
    cli.ok("subnet", "delete", "es")
    cli.ok("security-group", "delete", "eg")
    cli.ok("network", "delete", "en")
    assert cli.state() == {t: [] for t in TYPES}


def test_etcd_unreachable():
    # the etcd driver retries for ~20 s before giving up
    r = Cli("etcd://127.0.0.1:%d" % free_port()).run("network", "list", timeout=90)
    assert r.returncode == 1
    assert "cannot reach database etcd://" in r.stderr
