"""Subnet pools (the subnet_allocation extension) through the real openstack
CLI (--os-auth-type none) against wyvern-api on an embedded RocksDB:

1. `subnet pool create / list / show / set / delete`, Neutron's canonical
   prefixes and defaults, prefixes that only grow, errors as the CLI prints
   them;
2. `subnet create --subnet-pool`: the lowest free block of the pool's
   default length, the next one, `--prefix-length`, a port on a pooled
   subnet gets an address, a pool in use cannot be deleted;
3. exhaustion (409) and concurrent allocations over HTTP from threads on
   different networks: no two subnets overlap.

Every process and tmp dir is registered in rig.CLEANUP (test_api.Api).
"""
import ipaddress
import threading

from test_api import Os, api, cleanup_all, http  # noqa: F401 (fixtures)


def test_cli_subnet_pool(api):
    o = Os(api.url)
    p1 = o.js("subnet", "pool", "create", "--pool-prefix", "10.50.0.0/16",
              "--default-prefix-length", "24", "--description", "tenant space", "p1")
    assert p1["prefixes"] == ["10.50.0.0/16"], p1
    assert p1["default_prefixlen"] == 24 and p1["min_prefixlen"] == 8, p1
    assert p1["max_prefixlen"] == 32 and p1["ip_version"] == 4, p1
    assert p1["is_default"] is False and p1["shared"] is False, p1
    assert p1["description"] == "tenant space", p1
    assert [p["Name"] for p in o.js("subnet", "pool", "list")] == ["p1"]
    long = o.js("subnet", "pool", "list", "--long")
    assert long[0]["Default Prefix Length"] == 24, long
    assert o.js("subnet", "pool", "show", "p1")["id"] == p1["id"]

    # canonical prefixes: masked, merged; prefixes only grow
    o.ok("subnet", "pool", "set", "--pool-prefix", "10.51.0.9/16", "--name", "p1x", "p1")
    assert o.js("subnet", "pool", "show", "p1x")["prefixes"] == ["10.50.0.0/15"]
    o.ok("subnet", "pool", "set", "--name", "p1", "p1x")
    err = o.fail("subnet", "pool", "set", "--max-prefix-length", "20", "p1")
    assert "Illegal prefix bounds: default_prefixlen=24, max_prefixlen=20" in err, err
    err = o.fail("subnet", "pool", "create", "--pool-prefix", "10.9.0.0/16",
                 "--pool-prefix", "fd00::/64", "mixed")
    assert "Cannot mix IPv4 and IPv6 prefixes in a subnet pool" in err, err
    st, v = http(api.url, "PUT", "/v2.0/subnetpools/" + p1["id"],
                 {"subnetpool": {"prefixes": ["10.50.0.0/16"]}})
    assert st == 400 and v["NeutronError"]["type"] == "IllegalSubnetPoolPrefixUpdate", v

    # subnets from the pool
    o.ok("network", "create", "n1")
    o.ok("network", "create", "n2")
    s1 = o.js("subnet", "create", "--subnet-pool", "p1", "--network", "n1", "s1")
    assert s1["cidr"] == "10.50.0.0/24" and s1["subnetpool_id"] == p1["id"], s1
    assert s1["gateway_ip"] == "10.50.0.1", s1
    s2 = o.js("subnet", "create", "--subnet-pool", "p1", "--network", "n2", "s2")
    assert s2["cidr"] == "10.50.1.0/24", s2
    s3 = o.js("subnet", "create", "--subnet-pool", "p1", "--prefix-length", "26",
              "--network", "n1", "s3")
    assert s3["cidr"] == "10.50.2.0/26", s3
    err = o.fail("subnet", "create", "--subnet-pool", "p1", "--subnet-range",
                 "10.99.0.0/24", "--network", "n1", "outside")
    assert "Cannot allocate requested subnet from the available set of prefixes" in err, err
    assert {s["Name"] for s in o.js("subnet", "list", "--subnet-pool", "p1")} \
        == {"s1", "s2", "s3"}
    # one network, one IP version: one pool (Neutron's rule)
    err = o.fail("subnet", "create", "--subnet-range", "192.168.50.0/24", "--network", "n2",
                 "mixed")
    assert "Subnets hosted on the same network must be allocated from the same subnet pool" \
        in err, err
    # a subnet without a pool, as before
    o.ok("network", "create", "n3")
    plain = o.js("subnet", "create", "--subnet-range", "192.168.50.0/24", "--network", "n3",
                 "plain")
    assert plain["subnetpool_id"] is None, plain

    port = o.js("port", "create", "--network", "n1", "--fixed-ip", "subnet=s3", "pp")
    ip = ipaddress.ip_address(port["fixed_ips"][0]["ip_address"])
    assert ip in ipaddress.ip_network("10.50.2.0/26"), port

    err = o.fail("subnet", "pool", "delete", "p1")
    assert "Subnet pool has existing allocations" in err, err
    o.ok("port", "delete", "pp")
    o.ok("subnet", "delete", "s1", "s2", "s3")
    o.ok("subnet", "pool", "delete", "p1")
    assert o.js("subnet", "pool", "list") == []
    err = o.fail("subnet", "pool", "show", p1["id"])
    assert "No SubnetPool found for %s" % p1["id"] in err, err
    st, v = http(api.url, "GET", "/v2.0/subnetpools/" + p1["id"])
    assert st == 404 and v["NeutronError"]["type"] == "SubnetPoolNotFound", v
    assert v["NeutronError"]["message"] == "Subnet pool %s could not be found." % p1["id"]


def test_pool_exhausted_and_concurrent(api):
    o = Os(api.url)
    pool = o.js("subnet", "pool", "create", "--pool-prefix", "10.40.0.0/26",
                "--default-prefix-length", "28", "small")
    nets = [o.js("network", "create", "c%d" % i)["id"] for i in range(4)]
    results = []
    lock = threading.Lock()

    def worker(net):
        for _ in range(2):
            st, v = http(api.url, "POST", "/v2.0/subnets",
                         {"subnet": {"network_id": net, "subnetpool_id": pool["id"],
                                     "ip_version": 4}})
            with lock:
                results.append((st, v))

    threads = [threading.Thread(target=worker, args=(n,)) for n in nets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [v["subnet"]["cidr"] for st, v in results if st == 201]
    full = [v for st, v in results if st != 201]
    # a /26 holds four /28: four succeed, the others find the pool full
    assert sorted(ok) == ["10.40.0.0/28", "10.40.0.16/28", "10.40.0.32/28",
                          "10.40.0.48/28"], results
    assert len(full) == 4 and all(v["NeutronError"]["type"] == "SubnetAllocationError"
                                  for v in full), full
    err = o.fail("subnet", "create", "--subnet-pool", "small", "--network", "c0", "more")
    assert "Insufficient prefix space to allocate subnet size /28" in err, err
