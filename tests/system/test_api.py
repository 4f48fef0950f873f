"""The Neutron v2.0 REST API (api/), driven by the real openstack CLI
(python3-openstackclient, --os-auth-type none) and by plain HTTP clients.

1. discovery: GET /, /v2.0/, /v2.0/extensions[/alias];
2. networks, subnets, ports, routers: create / list / show / set / delete,
   `router add subnet`, name lookups, --long, filters;
3. lists over HTTP: filters on any attribute, fields, sorting, pagination
   with links;
4. errors as the CLI prints them (duplicate MAC 409, bad CIDR 400, unknown
   id 404, in use 409, overlap 400 as in Neutron) and over HTTP (412 If-Match, 400
   immutable attribute, 404 non-UUID id, NeutronError bodies);
5. concurrency: 20 clients create ports with colliding IPs / MACs: exactly
   one wins each address, and nothing is half-written;
6. the API inside wyvernd ([api] enable, embedded RocksDB) and its config
   errors (--check-config, FILE:LINE);
7. traffic: wyvern-api on etcd, ports created with the CLI bound by a
   wyvernd to namespaces, ping on one network and across a router.

Every process, namespace and tmp dir is registered in rig.CLEANUP; processes
are stopped by pid.
"""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request

import pytest

import etcd
import rig
from test_ctrl import CtrlWyvern, chassis_name, ping_ok

# WYV_API_BIN: another wyvern-api (e.g. a sanitizer build) with the rest from WYV_BUILD
API_BIN = os.environ.get("WYV_API_BIN") or os.path.join(rig.build_dir(), "api", "wyvern-api")
OPENSTACK = shutil.which("openstack")

pytestmark = [
    pytest.mark.skipif(not os.access(API_BIN, os.X_OK), reason="wyvern-api not built"),
    pytest.mark.skipif(OPENSTACK is None, reason="python3-openstackclient not installed"),
]


# ---------------------------------------------------------------- helpers

class Api:
    """One wyvern-api process on a free loopback port."""

    def __init__(self, db, *extra):
        self.dir = tempfile.mkdtemp(prefix="wyt%d-api-" % rig.RUN_ID)
        self.log = open(os.path.join(self.dir, "api.log"), "w+")
        self.proc = subprocess.Popen(
            [API_BIN, "--db", db, "--listen", "127.0.0.1:0"] + list(extra),
            stdout=subprocess.PIPE, stderr=self.log, text=True, stdin=subprocess.DEVNULL)
        self._cleanup = rig.CLEANUP.add(self._stop)
        line = self.proc.stdout.readline()
        assert "listening on http://" in line, "wyvern-api did not start: %r\n%s" % (
            line, self.log_text())
        self.url = line.split("listening on ")[1].split()[0]

    def log_text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def _stop(self):
        rig.stop_pid(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def stop(self):
        rig.CLEANUP.run(self._cleanup)


def http(base, method, path, body=None, headers=None, timeout=30):
    """(status, parsed JSON or None) of one request."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers=dict(headers or {}, **{"Content-Type": "application/json"}))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


class Os:
    """The openstack CLI against one endpoint, without Keystone."""

    def __init__(self, url):
        self.url = url

    def run(self, *args, timeout=60):
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        cmd = [OPENSTACK, "--os-auth-type", "none", "--os-endpoint", self.url] + [str(a) for a in args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)

    def ok(self, *args):
        r = self.run(*args)
        assert r.returncode == 0, "openstack %s: rc=%d\n%s%s" % (
            " ".join(map(str, args)), r.returncode, r.stdout, r.stderr)
        return r.stdout

    def js(self, *args):
        return json.loads(self.ok(*(list(args) + ["-f", "json"])))

    def fail(self, *args):
        r = self.run(*args)
        assert r.returncode != 0, "openstack %s succeeded:\n%s" % (" ".join(map(str, args)),
                                                                  r.stdout)
        return r.stderr


@pytest.fixture
def cleanup_all():
    with rig.CLEANUP._lock:
        before = set(map(id, rig.CLEANUP._items))
    yield
    with rig.CLEANUP._lock:
        mine = [fn for fn in rig.CLEANUP._items if id(fn) not in before]
    for fn in reversed(mine):
        rig.CLEANUP.run(fn)


@pytest.fixture
def api(tmp_path, cleanup_all):
    return Api("rocksdb:%s" % (tmp_path / "db"))


# ---------------------------------------------------------------- 1. discovery

def test_discovery(api):
    st, v = http(api.url, "GET", "/")
    assert st == 200 and v["versions"][0]["id"] == "v2.0", v
    st, v = http(api.url, "GET", "/v2.0/")
    assert st == 200 and {r["collection"] for r in v["resources"]} == {
        "networks", "subnets", "ports", "routers", "security-groups", "security-group-rules",
        "floatingips", "subnetpools"}, v
    st, v = http(api.url, "GET", "/v2.0/extensions")
    aliases = {e["alias"] for e in v["extensions"]}
    assert st == 200 and {"router", "provider", "external-net", "binding", "port-security",
                          "allowed-address-pairs", "net-mtu", "standard-attr-tag",
                          "revision-if-match"} <= aliases, aliases
    # what is not implemented is not listed
    assert not aliases & {"quotas", "agent", "dvr", "l3-ha", "qos"}, aliases
    st, v = http(api.url, "GET", "/v2.0/extensions/router")
    assert st == 200 and v["extension"]["alias"] == "router", v
    st, v = http(api.url, "GET", "/v2.0/extensions/qos")
    assert st == 404 and "NeutronError" in v, v
    st, v = http(api.url, "GET", "/v2.0/nothing")
    assert st == 404 and v["NeutronError"]["type"] == "HTTPNotFound", v


# ---------------------------------------------------------------- 2. CLI CRUD

def test_cli_crud_and_router(api):
    o = Os(api.url)
    net = o.js("network", "create", "blue", "--description", "the blue one")
    assert net["mtu"] == 1450 and net["provider:network_type"] == "vxlan", net
    assert net["provider:segmentation_id"] >= 1 << 20 and net["description"] == "the blue one"
    red = o.js("network", "create", "red")
    assert red["provider:segmentation_id"] != net["provider:segmentation_id"], red
    sub = o.js("subnet", "create", "blue-v4", "--network", "blue", "--subnet-range",
               "10.20.0.0/24", "--dns-nameserver", "10.20.0.53",
               "--host-route", "destination=10.99.0.0/16,gateway=10.20.0.254")
    assert sub["gateway_ip"] == "10.20.0.1", sub
    assert sub["allocation_pools"] == [{"start": "10.20.0.2", "end": "10.20.0.254"}], sub
    assert sub["dns_nameservers"] == ["10.20.0.53"], sub
    assert sub["host_routes"] == [{"destination": "10.99.0.0/16", "nexthop": "10.20.0.254"}]
    pooled = o.js("subnet", "create", "red-v4", "--network", "red", "--subnet-range",
                  "10.30.0.0/24", "--allocation-pool", "start=10.30.0.100,end=10.30.0.110")
    p1 = o.js("port", "create", "p1", "--network", "blue", "--host", "hv1",
              "--device-owner", "compute:nova", "--device", "vm-1",
              "--allowed-address", "ip-address=10.20.0.200",
              "--extra-dhcp-option", "name=mtu,value=1400")
    assert p1["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.20.0.2"}], p1
    assert p1["binding_host_id"] == "hv1" and p1["binding_vif_type"] == "tap", p1
    # bound to a host no wyvernd runs on: no chassis reports it, so DOWN
    assert p1["status"] == "DOWN" and p1["mac_address"].startswith("fa:16:3e:"), p1
    assert p1["allowed_address_pairs"][0]["ip_address"] == "10.20.0.200", p1
    assert p1["extra_dhcp_opts"][0]["opt_name"] == "mtu", p1
    p2 = o.js("port", "create", "p2", "--network", "red", "--disable-port-security",
              "--no-security-group")
    assert p2["fixed_ips"][0]["ip_address"] == "10.30.0.100", p2
    assert p2["port_security_enabled"] is False and p2["status"] == "DOWN", p2

    # show by name, list, --long, filters
    assert o.js("network", "show", "blue")["subnets"] == [sub["id"]]
    assert {n["Name"] for n in o.js("network", "list")} == {"blue", "red"}
    long = o.js("network", "list", "--long")
    assert {n["Name"]: n["Network Type"] for n in long} == {"blue": "vxlan", "red": "vxlan"}
    ports = o.js("port", "list", "--network", "blue")
    assert [p["Name"] for p in ports] == ["p1"], ports
    assert [p["Name"] for p in o.js("port", "list", "--device-owner", "compute:nova")] == ["p1"]
    assert [p["Name"] for p in o.js("port", "list", "--fixed-ip",
                                    "ip-address=10.30.0.100")] == ["p2"]
    assert [p["Name"] for p in o.js("port", "list", "--mac-address",
                                    p1["mac_address"])] == ["p1"]
    assert [s["Name"] for s in o.js("subnet", "list", "--network", "red")] == ["red-v4"]
    assert [p["Name"] for p in o.js("port", "list", "--long")] != []

    # set: partial update, revision grows, tags
    o.ok("network", "set", "blue", "--name", "blue2", "--tag", "prod")
    n2 = o.js("network", "show", "blue2")
    assert n2["revision_number"] > net["revision_number"] and n2["tags"] == ["prod"], n2
    assert n2["description"] == "the blue one" and n2["mtu"] == 1450, n2
    o.ok("port", "set", "p1", "--name", "p1b", "--binding-profile", "k=v")
    p1b = o.js("port", "show", "p1b")
    assert p1b["fixed_ips"] == p1["fixed_ips"] and p1b["binding_profile"] == {"k": "v"}, p1b
    o.ok("subnet", "set", "red-v4", "--dns-nameserver", "10.30.0.53")
    assert o.js("subnet", "show", "red-v4")["dns_nameservers"] == ["10.30.0.53"]

    # routers: add subnet (new port on the gateway), add port, remove
    r = o.js("router", "create", "r1")
    o.ok("router", "add", "subnet", "r1", "blue-v4")
    ifp = o.js("port", "list", "--device-owner", "network:router_interface", "--long")
    assert len(ifp) == 1 and "10.20.0.1" in str(ifp[0]["Fixed IP Addresses"]), ifp
    rp = o.js("port", "create", "rp", "--network", "red",
              "--fixed-ip", "subnet=red-v4,ip-address=10.30.0.1")
    o.ok("router", "add", "port", "r1", "rp")
    rs = o.js("router", "show", "r1")
    assert {i["ip_address"] for i in rs["interfaces_info"]} == {"10.20.0.1", "10.30.0.1"}, rs
    assert o.js("port", "show", "rp")["device_id"] == r["id"]
    err = o.fail("router", "delete", "r1")
    assert "409" in err and "still has ports" in err, err
    o.ok("router", "remove", "subnet", "r1", "blue-v4")
    o.ok("router", "remove", "port", "r1", "rp")
    assert o.js("router", "show", "r1")["interfaces_info"] == []
    assert o.js("port", "list", "--device-owner", "network:router_interface") == []
    err = o.fail("router", "set", "r1", "--external-gateway", "red")
    assert "400" in err and "not an external network" in err, err
    o.ok("network", "set", "red", "--external")
    o.ok("router", "set", "r1", "--external-gateway", "red")
    assert o.js("router", "show", "r1")["external_gateway_info"]["network_id"] == red["id"]

    # delete: ports, then the network takes its subnet with it
    o.ok("port", "delete", "p1b", "p2")
    o.ok("router", "delete", "r1")
    o.ok("network", "delete", "blue2")
    assert http(api.url, "GET", "/v2.0/subnets?network_id=" + net["id"])[1]["subnets"] == []
    assert [n["Name"] for n in o.js("network", "list")] == ["red"]
    assert pooled["id"] in [s["ID"] for s in o.js("subnet", "list")]


# ---------------------------------------------------------------- 3. lists over HTTP

def test_list_filters_fields_sort_pages(api):
    st, v = http(api.url, "POST", "/v2.0/networks", {"network": {"name": "n"}})
    assert st == 201, v
    net = v["network"]["id"]
    st, v = http(api.url, "POST", "/v2.0/subnets", {"subnet": {
        "network_id": net, "cidr": "10.40.0.0/24", "ip_version": 4}})
    assert st == 201, v
    sid = v["subnet"]["id"]
    ids = []
    for i in range(7):
        st, v = http(api.url, "POST", "/v2.0/ports", {"port": {
            "network_id": net, "name": "p%d" % (i % 3), "device_id": "dev%d" % (i % 2),
            "description": "d%d" % i}})
        assert st == 201, v
        ids.append(v["port"]["id"])
    st, v = http(api.url, "GET", "/v2.0/ports?device_id=dev1&fields=id&fields=name")
    assert st == 200 and len(v["ports"]) == 3, v
    assert all(set(p) == {"id", "name"} for p in v["ports"]), v
    st, v = http(api.url, "GET", "/v2.0/ports?name=p0&name=p1")      # OR within a key
    assert len(v["ports"]) == 5, v
    st, v = http(api.url, "GET", "/v2.0/ports?name=p0&device_id=dev0")   # AND across keys
    assert {p["description"] for p in v["ports"]} == {"d0", "d6"}, v
    st, v = http(api.url, "GET", "/v2.0/ports?fixed_ips=ip_address%3D10.40.0.4")
    assert [p["fixed_ips"][0]["ip_address"] for p in v["ports"]] == ["10.40.0.4"], v
    st, v = http(api.url, "GET", "/v2.0/ports?fixed_ips=subnet_id%3D" + sid)
    assert len(v["ports"]) == 7, v
    st, v = http(api.url, "GET", "/v2.0/ports?admin_state_up=True&status=DOWN")
    assert len(v["ports"]) == 7, v
    st, v = http(api.url, "GET", "/v2.0/ports?sort_key=description&sort_dir=desc")
    assert [p["description"] for p in v["ports"]] == ["d%d" % i for i in range(6, -1, -1)]
    # pages of 3 following the links; page_reverse back from the marker
    seen, path = [], "/v2.0/ports?limit=3&sort_key=description&sort_dir=asc"
    while path:
        st, v = http(api.url, "GET", path)
        assert st == 200 and len(v["ports"]) <= 3, v
        seen += [p["description"] for p in v["ports"]]
        nxt = [l["href"] for l in v.get("ports_links", []) if l["rel"] == "next"]
        path = nxt[0][len(api.url):] if nxt else None
    assert seen == ["d%d" % i for i in range(7)], seen
    st, v = http(api.url, "GET", "/v2.0/ports?limit=2&sort_key=description&sort_dir=asc"
                 "&marker=%s&page_reverse=True" % ids[5])
    assert [p["description"] for p in v["ports"]] == ["d3", "d4"], v
    # tags filters
    st, v = http(api.url, "PUT", "/v2.0/ports/%s/tags" % ids[0], {"tags": ["a", "b"]})
    assert st == 200 and v["tags"] == ["a", "b"], v
    st, _ = http(api.url, "PUT", "/v2.0/ports/%s/tags/c" % ids[1])
    assert st == 201
    st, v = http(api.url, "GET", "/v2.0/ports?tags=a,b")
    assert [p["id"] for p in v["ports"]] == [ids[0]], v
    st, v = http(api.url, "GET", "/v2.0/ports?tags-any=b,c&fields=id")
    assert {p["id"] for p in v["ports"]} == {ids[0], ids[1]}, v
    st, v = http(api.url, "GET", "/v2.0/ports?not-tags-any=a,c")
    assert len(v["ports"]) == 5, v
    st, _ = http(api.url, "GET", "/v2.0/ports/%s/tags/c" % ids[1])
    assert st == 204
    st, _ = http(api.url, "DELETE", "/v2.0/ports/%s/tags/c" % ids[1])
    assert st == 204
    st, v = http(api.url, "GET", "/v2.0/ports/%s/tags/c" % ids[1])
    assert st == 404 and v["NeutronError"]["type"] == "TagNotFound", v
    # list errors
    st, v = http(api.url, "GET", "/v2.0/ports?sort_key=nope")
    assert st == 400, v
    st, v = http(api.url, "GET", "/v2.0/ports?limit=x")
    assert st == 400, v
    st, v = http(api.url, "GET", "/v2.0/ports?limit=1&marker=" + "0" * 8 + "-0000-0000-0000-" +
                 "0" * 12)
    assert st == 404, v


# ---------------------------------------------------------------- 4. errors

def test_errors_cli(api):
    o = Os(api.url)
    o.ok("network", "create", "n")
    o.ok("subnet", "create", "s", "--network", "n", "--subnet-range", "10.50.0.0/24")
    p = o.js("port", "create", "a", "--network", "n")
    err = o.fail("port", "create", "b", "--network", "n", "--mac-address", p["mac_address"])
    assert "409" in err and "mac_address" in err and "already used" in err, err
    err = o.fail("port", "create", "c", "--network", "n",
                 "--fixed-ip", "subnet=s,ip-address=%s" % p["fixed_ips"][0]["ip_address"])
    assert "409" in err and "already used" in err, err
    err = o.fail("subnet", "create", "bad", "--network", "n", "--subnet-range", "10.50.1.0/33")
    assert "400" in err and "not a valid CIDR" in err, err
    err = o.fail("subnet", "create", "over", "--network", "n", "--subnet-range", "10.50.0.128/25")
    assert "400" in err and "overlaps with another subnet" in err, err
    err = o.fail("network", "show", "9b7f2a56-1c0e-4a3e-8d0e-3f1c7f8a0b11")
    assert "No Network found" in err, err
    err = o.fail("port", "delete", "9b7f2a56-1c0e-4a3e-8d0e-3f1c7f8a0b11")
    assert "No Port found" in err or "404" in err, err
    err = o.fail("subnet", "delete", "s")
    assert "409" in err and "One or more ports have an IP allocation" in err, err
    err = o.fail("network", "delete", "n")
    assert "409" in err and "ports still in use" in err, err
    # nothing of the failed writes is left
    assert [x["Name"] for x in o.js("port", "list")] == ["a"]
    assert [x["Name"] for x in o.js("subnet", "list")] == ["s"]


def test_errors_http(api):
    st, v = http(api.url, "POST", "/v2.0/networks", {"network": {"name": "n"}})
    net = v["network"]
    st, v = http(api.url, "GET", "/v2.0/networks/not-a-uuid")
    assert st == 404 and v["NeutronError"]["type"] == "NetworkNotFound", v
    assert set(v["NeutronError"]) == {"type", "message", "detail"}, v
    st, v = http(api.url, "PUT", "/v2.0/networks/" + net["id"],
                 {"network": {"name": "m"}}, {"If-Match": "revision_number=99"})
    assert st == 412 and v["NeutronError"]["type"] == "RevisionNumberConstraintFailed", v
    st, v = http(api.url, "PUT", "/v2.0/networks/" + net["id"], {"network": {"name": "m"}},
                 {"If-Match": "revision_number=%d" % net["revision_number"]})
    assert st == 200 and v["network"]["name"] == "m", v
    assert v["network"]["revision_number"] == net["revision_number"] + 1, v
    st, v = http(api.url, "DELETE", "/v2.0/networks/" + net["id"], None,
                 {"If-Match": "revision_number=1"})
    assert st == 412, v
    st, v = http(api.url, "PUT", "/v2.0/networks/" + net["id"],
                 {"network": {"provider:network_type": "geneve"}})
    assert st == 400 and "read-only" in v["NeutronError"]["message"], v
    st, v = http(api.url, "PUT", "/v2.0/networks/" + net["id"], {"network": {"status": "DOWN"}})
    assert st == 400, v
    st, v = http(api.url, "POST", "/v2.0/networks", {"network": {"bogus": 1}})
    assert st == 400 and "Unrecognized attribute" in v["NeutronError"]["message"], v
    st, v = http(api.url, "POST", "/v2.0/networks", {"net": {}})
    assert st == 400, v
    req = urllib.request.Request(api.url + "/v2.0/networks", data=b"{not json", method="POST")
    try:
        urllib.request.urlopen(req, timeout=10)
        assert False, "malformed body accepted"
    except urllib.error.HTTPError as e:
        assert e.code == 400 and b"Malformed" in e.read()
    st, v = http(api.url, "POST", "/v2.0/ports", {"port": {"network_id": net["id"].replace(
        net["id"][:8], "00000000")}})
    assert st == 404 and v["NeutronError"]["type"] == "NetworkNotFound", v
    st, v = http(api.url, "POST", "/v2.0/subnets", {"subnet": {
        "network_id": net["id"], "cidr": "10.60.0.0/30", "ip_version": 4}})
    assert st == 201, v
    st, v = http(api.url, "POST", "/v2.0/ports", {"port": {"network_id": net["id"]}})
    assert st == 201 and v["port"]["fixed_ips"][0]["ip_address"] == "10.60.0.2", v
    st, v = http(api.url, "POST", "/v2.0/ports", {"port": {"network_id": net["id"]}})
    assert st == 409 and v["NeutronError"]["type"] == "IpAddressGenerationFailure", v
    st, v = http(api.url, "DELETE", "/v2.0/networks/" + net["id"])
    assert st == 409 and v["NeutronError"]["type"] == "NetworkInUse", v


# ---------------------------------------------------------------- 5. concurrency

def _collide(urls):
    """20 clients over the API servers in urls (round robin)."""
    api_url = urls[0]
    st, v = http(api_url, "POST", "/v2.0/networks", {"network": {"name": "c"}})
    net = v["network"]["id"]
    st, v = http(api_url, "POST", "/v2.0/subnets", {"subnet": {
        "network_id": net, "cidr": "10.70.0.0/24", "ip_version": 4}})
    sid = v["subnet"]["id"]
    # 20 clients x 3 rounds: in each round every client asks for the same
    # IP, half of them also for the same MAC; plus free-allocated ports
    # (60 of them, from .2 up: they never reach the asked-for .250-.252).
    results = []
    lock = threading.Lock()

    def client(i):
        for rnd in range(3):
            body = {"network_id": net, "name": "c%d-%d" % (i, rnd),
                    "fixed_ips": [{"subnet_id": sid, "ip_address": "10.70.0.%d" % (250 + rnd)}]}
            if i % 2:
                body["mac_address"] = "fa:16:3e:00:00:%02x" % (0x10 + rnd)
            st, v = http(urls[i % len(urls)], "POST", "/v2.0/ports", {"port": body})
            st2, v2 = http(urls[(i + 1) % len(urls)], "POST", "/v2.0/ports", {"port": {"network_id": net,
                                                                    "name": "f%d-%d" % (i, rnd)}})
            with lock:
                results.append((rnd, st, v))
                results.append((None, st2, v2))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 120
    for rnd in range(3):
        mine = [(st, v) for r, st, v in results if r == rnd]
        wins = [v for st, v in mine if st == 201]
        assert len(wins) == 1, [st for st, _ in mine]
        assert all(st == 409 for st, _ in mine if st != 201), mine
        types = {v["NeutronError"]["type"] for st, v in mine if st == 409}
        assert types <= {"IpAddressAlreadyAllocated", "MacAddressInUse"}, types
    free = [v for r, st, v in results if r is None]
    assert all(v.get("port") for v in free), [v for v in free if "port" not in v][:3]
    # the store holds exactly the winners, each address once, MACs unique
    st, v = http(api_url, "GET", "/v2.0/ports?network_id=" + net)
    ports = v["ports"]
    assert len(ports) == 3 + 60, len(ports)
    ips = [p["fixed_ips"][0]["ip_address"] for p in ports]
    macs = [p["mac_address"] for p in ports]
    assert len(set(ips)) == len(ips) and len(set(macs)) == len(macs)
    for p in ports:
        st, v = http(api_url, "GET", "/v2.0/ports?fixed_ips=ip_address%3D" +
                     p["fixed_ips"][0]["ip_address"] + "&fields=id")
        assert [x["id"] for x in v["ports"]] == [p["id"]], v
    # and every one can be deleted (claims released): the address is free again
    for p in ports:
        assert http(api_url, "DELETE", "/v2.0/ports/" + p["id"])[0] == 204
    st, v = http(api_url, "POST", "/v2.0/ports", {"port": {
        "network_id": net, "fixed_ips": [{"ip_address": "10.70.0.250"}],
        "mac_address": "fa:16:3e:00:00:10"}})
    assert st == 201, v


def test_concurrent_colliding_creates(api):
    _collide([api.url])


@pytest.mark.skipif(not etcd.available(), reason="etcd not installed")
def test_concurrent_colliding_creates_two_servers_on_etcd(cleanup_all):
    """Two stateless wyvern-api processes over one etcd: the claims decide
    across processes too."""
    cl = etcd.EtcdCluster(1).start()
    a, b = Api(cl.url), Api(cl.url)
    _collide([a.url, b.url])


# ---------------------------------------------------------------- 6. inside wyvernd

class ApiWyvern(CtrlWyvern):
    def __init__(self, ports, ctrl, api_cfg):
        super().__init__(ports, ctrl)
        self.api_cfg = api_cfg

    def config_text(self):
        return super().config_text() + "[api]\n" + "".join(
            "%s = %s\n" % kv for kv in self.api_cfg.items())


def test_api_inside_wyvernd(tmp_path, cleanup_all):
    port = etcd.free_ports(1)[0]
    url = "rocksdb:%s/db" % tmp_path
    wy = ApiWyvern([], dict(db=url, chassis=chassis_name("api"),
                            replica=str(tmp_path / "replica")),
                   {"enable": "true", "listen": "127.0.0.1:%d" % port,
                    "vni-ranges": "5000:5001", "underlay-mtu": "9000"}).start()
    base = "http://127.0.0.1:%d" % port
    def up():
        try:
            return http(base, "GET", "/", timeout=2)[0] == 200
        except OSError:         # not listening yet: it starts once the store is open
            return False
    rig.wait_for(up, timeout=20, what="API up")
    o = Os(base)
    n1 = o.js("network", "create", "a")
    n2 = o.js("network", "create", "b")
    assert [n1["provider:segmentation_id"], n2["provider:segmentation_id"]] == [5000, 5001]
    assert n1["mtu"] == 8950, n1
    err = o.fail("network", "create", "c")
    assert "No vxlan segmentation id is available" in err, err
    o.ok("subnet", "create", "s", "--network", "a", "--subnet-range", "10.80.0.0/24")
    o.js("port", "create", "p", "--network", "a", "--host", chassis_name("api"))
    # the controller of this wyvernd sees what the API wrote (same store)
    # (2 networks, 1 subnet, 1 port)
    rig.wait_for(lambda: wy.ctrl()["indexed"] >= 4, what="the controller indexed the objects")
    # and wyctl through the daemon sees it too
    r = wy.wy("--json", "port", "list")
    assert [p["name"] for p in json.loads(r.stdout)] == ["p"], r.stdout
    assert wy.alive()


def test_api_config_errors(tmp_path):
    conf = tmp_path / "w.conf"
    conf.write_text("[mgmt]\nsocket = %s/s\n[ctrl]\ndb = rocksdb:%s/db\n[api]\nenable = true\n"
                    "vni-ranges = 10:5\n" % (tmp_path, tmp_path))
    r = rig.sh([rig.wyvernd_bin(), "-c", str(conf), "--check-config"], check=False)
    assert r.returncode != 0 and "%s:7:" % conf in r.stderr + r.stdout, r.stderr + r.stdout
    assert "vni-ranges" in r.stderr + r.stdout
    conf.write_text("[mgmt]\nsocket = %s/s\n[api]\nenable = true\nlisten = nowhere\n" % tmp_path)
    r = rig.sh([rig.wyvernd_bin(), "-c", str(conf), "--check-config"], check=False)
    assert r.returncode != 0 and "%s:5:" % conf in r.stderr + r.stdout, r.stderr + r.stdout
    conf.write_text("[mgmt]\nsocket = %s/s\n[api]\nenable = true\n" % tmp_path)
    r = rig.sh([rig.wyvernd_bin(), "-c", str(conf), "--check-config"], check=False)
    assert r.returncode != 0 and "needs a database" in r.stderr + r.stdout
    api_conf = tmp_path / "api.conf"
    api_conf.write_text("[api]\ndb = etcd://127.0.0.1:1\nthreads = 0\n")
    r = rig.sh([API_BIN, "--config", str(api_conf), "--check-config"], check=False)
    assert r.returncode == 2 and "%s:3:" % api_conf in r.stderr, r.stderr
    api_conf.write_text("[api]\ndb = etcd://127.0.0.1:1\nvlan-ranges = physnet1:100:199\n")
    r = rig.sh([API_BIN, "--config", str(api_conf), "--check-config"], check=False)
    assert r.returncode == 0, r.stderr


# ---------------------------------------------------------------- 7. traffic

@pytest.mark.skipif(not etcd.available(), reason="etcd not installed")
def test_traffic_ports_from_the_api(cleanup_all):
    """wyvern-api on etcd; ports made with the CLI; a wyvernd on the same
    etcd binds them (iface-id = port id) to taps moved into namespaces:
    ping on one network, and across a router between two networks."""
    cl = etcd.EtcdCluster(1).start()
    api = Api(cl.url)
    o = Os(api.url)
    ch = chassis_name("apitr")
    o.ok("network", "create", "left")
    o.ok("network", "create", "right")
    o.ok("subnet", "create", "left-s", "--network", "left", "--subnet-range", "10.91.0.0/24")
    o.ok("subnet", "create", "right-s", "--network", "right", "--subnet-range", "10.92.0.0/24")
    o.ok("router", "create", "r")
    o.ok("router", "add", "subnet", "r", "left-s")
    o.ok("router", "add", "subnet", "r", "right-s")
    vms = {}
    for name, net in (("vm1", "left"), ("vm2", "left"), ("vm3", "right")):
        vms[name] = o.js("port", "create", name, "--network", net, "--host", ch)
        assert vms[name]["status"] == "DOWN", vms[name]   # nothing plugged yet
    taps = {n: rig.ifname("t") for n in vms}
    wy = CtrlWyvern([(n, "net_tap%d,iface=%s" % (i, taps[n]), vms[n]["id"])
                     for i, n in enumerate(sorted(vms))],
                    dict(db=cl.url, chassis=ch, replica=os.path.join(api.dir, "replica"))).start()
    wy.wait_connected(True)
    rig.wait_for(lambda: wy.ctrl()["held"]["port"] >= 3, what="ports held")
    ns = {}
    for n, p in vms.items():
        ns[n] = rig.Namespace()
        ip = p["fixed_ips"][0]["ip_address"]
        ns[n].adopt(taps[n], p["mac_address"], ip + "/24")
        gw = "10.91.0.1" if ip.startswith("10.91.") else "10.92.0.1"
        ns[n].run(["ip", "route", "add", "default", "via", gw])
    ip = {n: p["fixed_ips"][0]["ip_address"] for n, p in vms.items()}
    ping_ok(ns["vm1"], ip["vm2"])           # same network
    ping_ok(ns["vm1"], ip["vm3"])           # across the router
    ping_ok(ns["vm3"], ip["vm2"])
    st = wy.ctrl()
    assert st["bad_now"] == 0 and st["table_errors"] == 0, st
    # the chassis reported its ports: ACTIVE, as a compute service waits for
    def statuses():
        return {p["Name"]: p["Status"] for p in o.js("port", "list", "--long")}
    rig.wait_for(lambda: all(statuses()[n] == "ACTIVE" for n in vms), timeout=20,
                 what="ports ACTIVE")
    o.ok("port", "set", "vm2", "--disable")              # admin down
    assert o.js("port", "show", "vm2")["status"] == "DOWN"
    o.ok("port", "set", "vm2", "--enable")
    rig.wait_for(lambda: o.js("port", "show", "vm2")["status"] == "ACTIVE", timeout=20,
                 what="vm2 ACTIVE again")
    # the chassis stops: its lease (and the status under it) goes with it
    wy.stop()
    rig.wait_for(lambda: all(s == "DOWN" for s in statuses().values()), timeout=30,
                 what="ports DOWN after their chassis stopped")


# ---------------------------------------------------------------- 8. security groups, floating IPs

def test_security_groups_and_floating_ips(api):
    """The thin part: groups with Neutron's egress rules, rule objects,
    delete with the rules, in use by a port; floating IPs stored and
    validated (external network, address allocation, router for the port)."""
    o = Os(api.url)
    g = o.js("security", "group", "create", "web", "--description", "front")
    rules = g["rules"]
    assert sorted((r["direction"], r["ethertype"]) for r in rules) == [
        ("egress", "IPv4"), ("egress", "IPv6")], rules
    r22 = o.js("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
               "--remote-ip", "10.0.0.0/8", "web")
    assert r22["port_range_min"] == 22 and r22["security_group_id"] == g["id"], r22
    listed = o.js("security", "group", "rule", "list", "web")
    assert len(listed) == 3, listed
    err = o.fail("security", "group", "rule", "create", "--protocol", "tcp", "--dst-port",
                 "70000", "web")
    assert "400" in err or "70000" in err, err
    o.ok("network", "create", "in")
    o.ok("subnet", "create", "ins", "--network", "in", "--subnet-range", "10.5.0.0/24")
    p = o.js("port", "create", "vmp", "--network", "in", "--security-group", "web")
    assert p["security_group_ids"] == [g["id"]], p
    err = o.fail("security", "group", "delete", "web")
    assert "409" in err, err
    # floating IPs
    o.ok("network", "create", "ext", "--external")
    o.ok("subnet", "create", "exts", "--network", "ext", "--subnet-range", "192.0.2.0/24",
         "--no-dhcp")
    err = o.fail("floating", "ip", "create", "ext", "--port", "vmp")
    assert "404" in err and "not reachable" in err, err
    o.ok("router", "create", "rr", "--external-gateway", "ext")
    o.ok("router", "add", "subnet", "rr", "ins")
    # the router's gateway took the first address of the external subnet
    gw = o.js("router", "show", "rr")["external_gateway_info"]["external_fixed_ips"]
    assert [x["ip_address"] for x in gw] == ["192.0.2.2"], gw
    f = o.js("floating", "ip", "create", "ext", "--port", "vmp")
    assert f["floating_ip_address"] == "192.0.2.3" and f["fixed_ip_address"] == "10.5.0.2", f
    assert f["router_id"] and f["status"] == "ACTIVE", f
    f2 = o.js("floating", "ip", "create", "ext")
    assert f2["floating_ip_address"] == "192.0.2.4" and f2["port_id"] is None, f2
    err = o.fail("floating", "ip", "create", "in")
    assert "400" in err and "not a valid external network" in err, err
    o.ok("floating", "ip", "unset", "--port", f["id"])
    assert o.js("floating", "ip", "show", f["id"])["port_id"] is None
    o.ok("floating", "ip", "delete", f["id"], f2["id"])
    assert o.js("floating", "ip", "list") == []
    o.ok("port", "delete", "vmp")
    o.ok("security", "group", "delete", "web")
    assert o.js("security", "group", "rule", "list") == []
