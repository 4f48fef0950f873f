"""The Neutron API with Keystone auth ([api] auth = keystone) against a REAL
Keystone (Debian `keystone`, sqlite, started here on loopback: ks_rig.py).

1. the openstack CLI with password auth through Keystone, wyvern-api found
   in Keystone's catalog as the `network` endpoint: project A creates a
   network; project B's user cannot see, show or delete it (404) and lists
   nothing; the admin sees both projects' networks;
2. scoping over HTTP: other projects' objects are 404 for show / update /
   delete / tags / router interfaces, a create in another project is 403,
   a subnet on another project's network is 404, a shared network is
   visible to every project but only its owner changes it;
3. tokens: missing / bad token 401 with a NeutronError body and
   WWW-Authenticate, version discovery without a token, validations cached
   (Keystone sees one validation for many requests);
4. Keystone stopped: a cached token still works, an uncached one gets 503;
   Keystone back: it works;
5. service credentials (keystone-user ...): validation with a service
   token; wrong service password gives 503, not an allow;
6. the API inside wyvernd ([api] enable, embedded RocksDB) with the same
   keys;
7. config errors name FILE:LINE (wyvern-api and wyvernd).
"""
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

import etcd
import ks_rig
import rig
from test_api import API_BIN, Api, ApiWyvern, http
from test_ctrl import chassis_name

OPENSTACK = shutil.which("openstack")

pytestmark = [
    pytest.mark.skipif(not os.access(API_BIN, os.X_OK), reason="wyvern-api not built"),
    pytest.mark.skipif(OPENSTACK is None, reason="python3-openstackclient not installed"),
    pytest.mark.skipif(not ks_rig.available(),
                       reason="Debian package keystone not installed (scripts/deps.sh)"),
]


class Cli:
    """The openstack CLI as one Keystone user (password auth, catalog lookup)."""

    def __init__(self, ks, user, password, project):
        self.env = ks.os_env(user, password, project)

    def run(self, *args, timeout=90):
        return subprocess.run([OPENSTACK] + [str(a) for a in args], capture_output=True,
                              text=True, timeout=timeout, env=self.env)

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
        return r.stdout + r.stderr


@pytest.fixture(scope="module")
def ks():
    k = ks_rig.Keystone().start()
    k.project("pa")
    k.project("pb")
    k.user("ua", "pwa", "pa")
    k.user("ub", "pwb", "pb")
    k.user("ur", "pwr", "pa", role="reader")
    yield k
    k.stop()
    rig.CLEANUP.run(k._rm)


@pytest.fixture(scope="module")
def api(ks, tmp_path_factory):
    d = tmp_path_factory.mktemp("api")
    a = Api("rocksdb:%s" % (d / "db"), "--auth", "keystone", "--keystone-url", ks.url)
    ks.register_network(a.url)
    yield a
    a.stop()


def call(api, method, path, token, body=None):
    return http(api.url, method, path, body, headers={"X-Auth-Token": token} if token else {})


def err(j):
    return (j or {}).get("NeutronError", {}).get("type")


# ---------------------------------------------------------------- 1. the CLI

def test_cli_projects_are_isolated(ks, api):
    a = Cli(ks, "ua", "pwa", "pa")
    b = Cli(ks, "ub", "pwb", "pb")
    adm = Cli(ks, "admin", ks_rig.ADMIN_PASSWORD, "admin")
    net = a.js("network", "create", "net-a")
    assert net["project_id"] == ks.ids["pa"], net
    a.ok("subnet", "create", "sub-a", "--network", "net-a", "--subnet-range", "10.61.0.0/24")
    assert [n["Name"] for n in a.js("network", "list")] == ["net-a"]
    # B: empty lists, the object does not exist for it
    assert b.js("network", "list") == []
    assert b.js("subnet", "list") == []
    out = b.fail("network", "show", net["id"])
    assert "No Network found" in out or "404" in out, out
    out = b.fail("network", "delete", net["id"])
    assert "No Network found" in out or "404" in out or "Failed to delete" in out, out
    b.ok("network", "create", "net-b")
    assert [n["Name"] for n in b.js("network", "list")] == ["net-b"]
    # the admin sees both projects
    names = {n["Name"]: n["Project"] for n in adm.js("network", "list", "--long")}
    assert names.get("net-a") == ks.ids["pa"] and names.get("net-b") == ks.ids["pb"], names
    # A's network survived B's attempt
    assert a.js("network", "show", net["id"])["name"] == "net-a"


def test_reader_role_reads_only(ks, api):
    """Neutron's default policy: the reader role lists and shows its
    project's objects; creating, changing or deleting is 403, nothing
    written."""
    a = Cli(ks, "ua", "pwa", "pa")
    r = Cli(ks, "ur", "pwr", "pa")
    net = a.js("network", "create", "net-read")
    assert net["id"] in [n["ID"] for n in r.js("network", "list")]
    assert r.js("network", "show", net["id"])["name"] == "net-read"
    out = r.fail("network", "create", "by-reader")
    assert "rule:create_network is disallowed by policy" in out, out
    out = r.fail("network", "set", "--name", "renamed", net["id"])
    assert "disallowed by policy" in out, out
    out = r.fail("network", "delete", net["id"])
    assert "disallowed by policy" in out or "Failed to delete" in out, out
    assert [n["Name"] for n in a.js("network", "list") if n["ID"] == net["id"]] == [
        "net-read"]
    assert "by-reader" not in a.ok("network", "list")
    # over HTTP: the type and status
    st, j = call(api, "POST", "/v2.0/ports", ks.token("ur", "pwr", "pa"),
                 {"port": {"network_id": net["id"]}})
    assert st == 403 and err(j) == "PolicyNotAuthorized", (st, j)
    a.ok("network", "delete", net["id"])


# ---------------------------------------------------------------- 2. scoping over HTTP

def test_http_scoping(ks, api):
    ta, tb = ks.token("ua", "pwa", "pa"), ks.token("ub", "pwb", "pb")
    tadm = ks.admin_token()
    pa, pb = ks.ids["pa"], ks.ids["pb"]
    st, j = call(api, "POST", "/v2.0/networks", ta, {"network": {"name": "h-a"}})
    assert st == 201 and j["network"]["project_id"] == pa, (st, j)
    nid = j["network"]["id"]
    st, j = call(api, "POST", "/v2.0/subnets", ta, {"subnet": {
        "network_id": nid, "cidr": "10.62.0.0/24", "ip_version": 4}})
    assert st == 201, j
    sid = j["subnet"]["id"]
    st, j = call(api, "POST", "/v2.0/routers", ta, {"router": {"name": "r-a"}})
    assert st == 201, j
    rid = j["router"]["id"]
    # B: every access to A's objects is a 404 of the right type
    for method, path, body, typ in [
            ("GET", "/v2.0/networks/" + nid, None, "NetworkNotFound"),
            ("PUT", "/v2.0/networks/" + nid, {"network": {"name": "x"}}, "NetworkNotFound"),
            ("DELETE", "/v2.0/networks/" + nid, None, "NetworkNotFound"),
            ("GET", "/v2.0/networks/%s/tags" % nid, None, "NetworkNotFound"),
            ("PUT", "/v2.0/networks/%s/tags/t1" % nid, None, "NetworkNotFound"),
            ("GET", "/v2.0/subnets/" + sid, None, "SubnetNotFound"),
            ("DELETE", "/v2.0/routers/" + rid, None, "RouterNotFound"),
            ("PUT", "/v2.0/routers/%s/add_router_interface" % rid, {"subnet_id": sid},
             "RouterNotFound"),
            # B's own objects may not point at A's
            ("POST", "/v2.0/subnets", {"subnet": {"network_id": nid, "cidr": "10.63.0.0/24",
                                                  "ip_version": 4}}, "NetworkNotFound"),
            ("POST", "/v2.0/ports", {"port": {"network_id": nid}}, "NetworkNotFound")]:
        st, j = call(api, method, path, tb, body)
        assert (st, err(j)) == (404, typ), (method, path, st, j)
    st, j = call(api, "POST", "/v2.0/routers", tb, {"router": {"name": "r-b"}})
    assert st == 201
    st, j = call(api, "PUT", "/v2.0/routers/%s/add_router_interface" % j["router"]["id"], tb,
                 {"subnet_id": sid})
    assert (st, err(j)) == (404, "SubnetNotFound"), (st, j)
    # lists: B sees none of A's objects, A sees all of its own, filters apply after
    for coll in ("networks", "subnets", "routers"):
        st, j = call(api, "GET", "/v2.0/" + coll, tb)
        assert st == 200 and all(x["project_id"] == pb for x in j[coll]), j
        st, j = call(api, "GET", "/v2.0/%s?project_id=%s" % (coll, pa), tb)
        assert st == 200 and j[coll] == [], j
    st, j = call(api, "GET", "/v2.0/networks", ta)
    assert nid in [n["id"] for n in j["networks"]]
    # a create in another project: 403 for a member, fine for the admin
    st, j = call(api, "POST", "/v2.0/networks", tb, {"network": {"name": "x", "project_id": pa}})
    assert (st, err(j)) == (403, "PolicyNotAuthorized"), (st, j)
    st, j = call(api, "POST", "/v2.0/networks", tb, {"network": {"name": "x", "tenant_id": pa}})
    assert st == 403, j
    st, j = call(api, "POST", "/v2.0/networks", tadm, {"network": {"name": "adm-for-b",
                                                                   "project_id": pb}})
    assert st == 201 and j["network"]["project_id"] == pb, j
    st, j = call(api, "GET", "/v2.0/networks/" + j["network"]["id"], tb)
    assert st == 200, j         # B sees what the admin made for it
    # nothing was changed by B's attempts
    st, j = call(api, "GET", "/v2.0/networks/" + nid, ta)
    assert st == 200 and j["network"]["name"] == "h-a" and j["network"]["tags"] == [], j
    st, j = call(api, "GET", "/v2.0/routers/" + rid, ta)
    assert st == 200, j


def test_shared_network(ks, api):
    ta, tb = ks.token("ua", "pwa", "pa"), ks.token("ub", "pwb", "pb")
    tadm = ks.admin_token()
    st, j = call(api, "POST", "/v2.0/networks", tadm, {"network": {"name": "public-ish",
                                                                   "shared": True}})
    assert st == 201, j
    nid = j["network"]["id"]
    st, j = call(api, "POST", "/v2.0/subnets", tadm, {"subnet": {
        "network_id": nid, "cidr": "10.64.0.0/24", "ip_version": 4}})
    assert st == 201, j
    sid = j["subnet"]["id"]
    for tok in (ta, tb):
        st, j = call(api, "GET", "/v2.0/networks", tok)
        assert nid in [n["id"] for n in j["networks"]], j
        st, j = call(api, "GET", "/v2.0/subnets", tok)
        assert sid in [s["id"] for s in j["subnets"]], j
        st, j = call(api, "GET", "/v2.0/networks/" + nid, tok)
        assert st == 200
    # visible but not B's: it may not change it, nor add a subnet to it
    st, j = call(api, "DELETE", "/v2.0/networks/" + nid, tb)
    assert st == 403, (st, j)
    st, j = call(api, "PUT", "/v2.0/networks/" + nid, tb, {"network": {"name": "mine"}})
    assert st == 403, (st, j)
    st, j = call(api, "POST", "/v2.0/subnets", tb, {"subnet": {
        "network_id": nid, "cidr": "10.65.0.0/24", "ip_version": 4}})
    assert st == 403, (st, j)
    # only an admin shares a network or sets provider attributes
    st, j = call(api, "POST", "/v2.0/networks", tb, {"network": {"name": "b-shared",
                                                                 "shared": True}})
    assert (st, err(j)) == (403, "PolicyNotAuthorized"), (st, j)
    st, j = call(api, "POST", "/v2.0/networks", tb, {"network": {
        "name": "b-vni", "provider:segmentation_id": 1048999}})
    assert st == 403, (st, j)
    # a port on it is B's own, and A does not see it
    st, j = call(api, "POST", "/v2.0/ports", tb, {"port": {"network_id": nid}})
    assert st == 201 and j["port"]["project_id"] == ks.ids["pb"], j
    pid = j["port"]["id"]
    st, j = call(api, "GET", "/v2.0/ports/" + pid, ta)
    assert (st, err(j)) == (404, "PortNotFound"), j
    st, j = call(api, "GET", "/v2.0/ports?network_id=" + nid, ta)
    assert j["ports"] == [], j
    st, j = call(api, "GET", "/v2.0/ports?network_id=" + nid, tadm)
    assert pid in [p["id"] for p in j["ports"]], j


# ---------------------------------------------------------------- 3. tokens

def test_tokens_401_and_cache(ks, api):
    st, j = http(api.url, "GET", "/")
    assert st == 200 and j["versions"], j           # discovery needs no token
    for tok in (None, "garbage", "gAAAAA" + "x" * 180, "a b"):
        st, j = call(api, "GET", "/v2.0/networks", tok)
        assert (st, err(j)) == (401, "HTTPUnauthorized"), (tok, st, j)
    try:
        urllib.request.urlopen(api.url + "/v2.0/networks", timeout=10)
        raise AssertionError("no 401")
    except urllib.error.HTTPError as e:
        assert e.code == 401 and ks.url in e.headers.get("WWW-Authenticate", ""), e.headers
    # one validation in Keystone for many requests with one token
    tb = ks.token("ub", "pwb", "pb")
    before = ks.validations()
    for _ in range(20):
        st, j = call(api, "GET", "/v2.0/networks", tb)
        assert st == 200
    assert ks.validations() - before == 1, "Keystone validated %d times for 20 requests" % (
        ks.validations() - before)
    # an unscoped token (no project) is refused
    st, _, hd = ks.call("POST", "/auth/tokens", {"auth": {"identity": {
        "methods": ["password"], "password": {"user": {"name": "ua", "domain": {"id": "default"},
                                                       "password": "pwa"}}},
        "scope": "unscoped"}}, want=(201,))
    st, j = call(api, "GET", "/v2.0/networks", hd["X-Subject-Token"])
    assert st == 401, (st, j)


# ---------------------------------------------------------------- 4. Keystone down

def test_keystone_down_is_503(ks, api):
    cached = ks.token("ua", "pwa", "pa")
    fresh = ks.token("ua", "pwa", "pa")
    assert cached != fresh
    st, _ = call(api, "GET", "/v2.0/networks", cached)
    assert st == 200
    ks.stop()
    try:
        st, j = call(api, "GET", "/v2.0/networks", cached)
        assert st == 200, j                          # from the cache
        st, j = call(api, "GET", "/v2.0/networks", fresh)
        assert (st, err(j)) == (503, "ServiceUnavailable"), (st, j)
        st, j = call(api, "POST", "/v2.0/networks", fresh, {"network": {"name": "nope"}})
        assert st == 503, j
        assert api.proc.poll() is None
    finally:
        ks.start()
    st, j = call(api, "GET", "/v2.0/networks", fresh)
    assert st == 200, j
    assert "nope" not in [n["name"] for n in j["networks"]]


# ---------------------------------------------------------------- 5. service credentials

def test_service_credentials(ks, tmp_path, api):
    conf = tmp_path / "api.conf"
    conf.write_text("[api]\nauth = keystone\nkeystone-url = %s\nkeystone-user = admin\n"
                    "keystone-password = %s\nkeystone-project = admin\n"
                    % (ks.url, ks_rig.ADMIN_PASSWORD))
    svc = Api("rocksdb:%s" % (tmp_path / "db"), "--config", str(conf))
    try:
        tb = ks.token("ub", "pwb", "pb")
        st, j = call(svc, "POST", "/v2.0/networks", tb, {"network": {"name": "svc-b"}})
        assert st == 201 and j["network"]["project_id"] == ks.ids["pb"], j
        st, j = call(svc, "GET", "/v2.0/networks", "not-a-token")
        assert st == 401, j
    finally:
        svc.stop()
    conf.write_text("[api]\nauth = keystone\nkeystone-url = %s\nkeystone-user = admin\n"
                    "keystone-password = wrong\nkeystone-project = admin\n" % ks.url)
    bad = Api("rocksdb:%s" % (tmp_path / "db2"), "--config", str(conf))
    try:
        st, j = call(bad, "GET", "/v2.0/networks", ks.token("ub", "pwb", "pb"))
        assert (st, err(j)) == (503, "ServiceUnavailable"), (st, j)
        assert "service credentials" in j["NeutronError"]["message"], j
    finally:
        bad.stop()


# ---------------------------------------------------------------- 6. inside wyvernd

def test_keystone_inside_wyvernd(ks, tmp_path):
    port = etcd.free_ports(1)[0]
    wy = ApiWyvern([], dict(db="rocksdb:%s/db" % tmp_path, chassis=chassis_name("ks"),
                            replica=str(tmp_path / "replica")),
                   {"enable": "true", "listen": "127.0.0.1:%d" % port, "auth": "keystone",
                    "keystone-url": ks.url, "token-cache-time": "60"})
    try:
        wy.start()
        base = "http://127.0.0.1:%d" % port

        def up():
            try:
                return http(base, "GET", "/", timeout=2)[0] == 200
            except OSError:
                return False
        rig.wait_for(up, timeout=30, what="API inside wyvernd up")
        st, j = http(base, "GET", "/v2.0/networks")
        assert (st, err(j)) == (401, "HTTPUnauthorized"), (st, j)
        ta, tb = ks.token("ua", "pwa", "pa"), ks.token("ub", "pwb", "pb")
        st, j = http(base, "POST", "/v2.0/networks", {"network": {"name": "in-wyvernd"}},
                     headers={"X-Auth-Token": ta})
        assert st == 201 and j["network"]["project_id"] == ks.ids["pa"], j
        st, j = http(base, "GET", "/v2.0/networks", headers={"X-Auth-Token": tb})
        assert st == 200 and j["networks"] == [], j
        st, j = http(base, "GET", "/v2.0/networks", headers={"X-Auth-Token": ta})
        assert [n["name"] for n in j["networks"]] == ["in-wyvernd"], j
        assert wy.alive()
    finally:
        wy.stop()


# ---------------------------------------------------------------- 7. config

def test_keystone_config_errors(tmp_path):
    api_conf = tmp_path / "api.conf"
    api_conf.write_text("[api]\ndb = etcd://127.0.0.1:1\nauth = keystone\n")
    r = rig.sh([API_BIN, "--config", str(api_conf), "--check-config"], check=False)
    assert r.returncode == 2 and "%s:3:" % api_conf in r.stderr and "keystone-url" in r.stderr, \
        r.stderr
    api_conf.write_text("[api]\ndb = etcd://127.0.0.1:1\nauth = keystone\n"
                        "keystone-url = ftp://x/v3\n")
    r = rig.sh([API_BIN, "--config", str(api_conf), "--check-config"], check=False)
    assert r.returncode == 2 and "%s:4:" % api_conf in r.stderr, r.stderr
    api_conf.write_text("[api]\ndb = etcd://127.0.0.1:1\nauth = keystone\n"
                        "keystone-url = http://127.0.0.1:5000/v3\nkeystone-user = neutron\n")
    r = rig.sh([API_BIN, "--config", str(api_conf), "--check-config"], check=False)
    assert r.returncode == 2 and "%s:5:" % api_conf in r.stderr, r.stderr
    r = rig.sh([API_BIN, "--db", "etcd://127.0.0.1:1", "--auth", "keystone", "--keystone-url",
                "http://127.0.0.1:5000/v3", "--token-cache-time", "60", "--check-config"],
               check=False)
    assert r.returncode == 0, r.stderr
    r = rig.sh([API_BIN, "--db", "etcd://127.0.0.1:1", "--token-cache-size", "0",
                "--check-config"], check=False)
    assert r.returncode == 2 and "token-cache-size" in r.stderr, r.stderr
    conf = tmp_path / "w.conf"
    conf.write_text("[mgmt]\nsocket = %s/s\n[ctrl]\ndb = rocksdb:%s/db\n[api]\nenable = true\n"
                    "auth = keystone\n" % (tmp_path, tmp_path))
    r = rig.sh([rig.wyvernd_bin(), "-c", str(conf), "--check-config"], check=False)
    assert r.returncode != 0 and "%s:7:" % conf in r.stderr + r.stdout, r.stderr + r.stdout
    assert "keystone-url" in r.stderr + r.stdout
