"""wyctl and the Neutron API over one etcd: the same claims decide, the
same sentences explain.

A duplicate MAC or fixed IP is refused whichever client took the address
first and whichever asks second, and the reason is the northbound's one
sentence ("mac_address: M is already used by port P in network N"), which
wyctl prints and the API puts in its NeutronError message (409
MacAddressInUse / IpAddressAlreadyAllocated).  Nothing the refused write
would have claimed is left behind.
"""
import json
import os
import subprocess

import pytest

import etcd
import rig
from test_api import API_BIN, Api, cleanup_all, http  # noqa: F401 (fixture)

WYCTL = rig.wyctl_bin()

pytestmark = [
    pytest.mark.skipif(not os.access(API_BIN, os.X_OK), reason="wyvern-api not built"),
    pytest.mark.skipif(not os.access(WYCTL, os.X_OK), reason="wyctl not built"),
    pytest.mark.skipif(not etcd.available(), reason="etcd not installed"),
]


def wyctl(url, *args):
    env = {k: v for k, v in os.environ.items() if k != "WYVERN_DB"}
    return subprocess.run([WYCTL, "--db", url] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=60, env=env)


def test_duplicates_same_error_wyctl_and_api(cleanup_all):
    cl = etcd.EtcdCluster(1).start()
    api = Api(cl.url)
    st, net = http(api.url, "POST", "/v2.0/networks", {"network": {"name": "shared"}})
    assert st == 201, net
    net = net["network"]["id"]
    st, sub = http(api.url, "POST", "/v2.0/subnets", {"subnet": {
        "network_id": net, "cidr": "10.93.0.0/24", "ip_version": 4}})
    assert st == 201, sub
    sub = sub["subnet"]["id"]

    # the API takes a MAC and an IP first; wyctl asks for them
    st, a = http(api.url, "POST", "/v2.0/ports", {"port": {
        "network_id": net, "mac_address": "fa:16:3e:93:00:01",
        "fixed_ips": [{"subnet_id": sub, "ip_address": "10.93.0.11"}]}})
    assert st == 201, a
    a = a["port"]["id"]
    mac_sentence = "mac_address: fa:16:3e:93:00:01 is already used by port %s in network %s" % (
        a, net)
    r = wyctl(cl.url, "port", "create", "w1", "--network", net, "--mac", "fa:16:3e:93:00:01")
    assert r.returncode == 1 and mac_sentence in r.stderr, r.stderr
    st, e = http(api.url, "POST", "/v2.0/ports", {"port": {
        "network_id": net, "mac_address": "fa:16:3e:93:00:01"}})
    assert st == 409 and e["NeutronError"]["type"] == "MacAddressInUse", (st, e)
    assert mac_sentence in e["NeutronError"]["message"], e

    ip_sentence = "ip_address: 10.93.0.11 is already used by port %s in network %s" % (a, net)
    r = wyctl(cl.url, "port", "create", "w2", "--network", net, "--mac", "fa:16:3e:93:00:02",
              "--fixed-ip", "subnet=%s,ip=10.93.0.11" % sub)
    assert r.returncode == 1 and ip_sentence in r.stderr, r.stderr
    st, e = http(api.url, "POST", "/v2.0/ports", {"port": {
        "network_id": net, "mac_address": "fa:16:3e:93:00:02",
        "fixed_ips": [{"subnet_id": sub, "ip_address": "10.93.0.11"}]}})
    assert st == 409 and e["NeutronError"]["type"] == "IpAddressAlreadyAllocated", (st, e)
    assert ip_sentence in e["NeutronError"]["message"], e

    # wyctl takes them first; the API asks
    r = wyctl(cl.url, "--json", "port", "create", "w3", "--network", net,
              "--mac", "fa:16:3e:93:00:03", "--fixed-ip", "subnet=%s,ip=10.93.0.33" % sub)
    assert r.returncode == 0, r.stderr
    w3 = json.loads(r.stdout)["id"]
    st, e = http(api.url, "POST", "/v2.0/ports", {"port": {
        "network_id": net, "mac_address": "fa:16:3e:93:00:03"}})
    assert st == 409 and e["NeutronError"]["type"] == "MacAddressInUse", (st, e)
    assert "mac_address: fa:16:3e:93:00:03 is already used by port %s" % w3 in \
        e["NeutronError"]["message"], e
    st, e = http(api.url, "POST", "/v2.0/ports", {"port": {
        "network_id": net, "fixed_ips": [{"subnet_id": sub, "ip_address": "10.93.0.33"}]}})
    assert st == 409 and e["NeutronError"]["type"] == "IpAddressAlreadyAllocated", (st, e)
    r = wyctl(cl.url, "port", "create", "w4", "--network", net, "--mac", "fa:16:3e:93:00:03")
    assert r.returncode == 1 and \
        "mac_address: fa:16:3e:93:00:03 is already used by port %s" % w3 in r.stderr, r.stderr

    # the refused writes left nothing: two ports, their four claims
    st, ports = http(api.url, "GET", "/v2.0/ports?network_id=%s" % net)
    assert st == 200 and sorted(p["id"] for p in ports["ports"]) == sorted([a, w3]), ports
    r = wyctl(cl.url, "--json", "port", "list")
    assert r.returncode == 0 and sorted(p["id"] for p in json.loads(r.stdout)) == \
        sorted([a, w3]), r.stdout
