"""1,000 Neutron API writes while the etcd leader is killed.

A 3-member etcd cluster on loopback, one stateless wyvern-api over it, and
8 client threads that POST 1,000 ports (plain urllib against the REST API),
each with its own name, MAC and fixed IP, so no two writes can collide.
wyvern-api's first endpoint is the leader, so the API's own requests are
in flight to it; when a third of the writes are acknowledged, it gets
SIGKILL (by pid); the clients go on.  Then:

- no false errors: no write is answered 409 (already exists / in use) or
  404 — each write is unique, so either answer would be a retried write
  whose first try committed, reported wrongly;
- no duplicates: each name appears at most once in the store;
- the final state equals the acknowledged writes: every 201 is in the
  store with the id, MAC and IP it was answered with; a write that failed
  with a 5xx or a client timeout is absent or present exactly once (how
  many of each is printed);
- nothing is half-written: the store's MAC and IP claim keys of the
  network / subnet are exactly those of the ports there, each naming its
  port;
- the API's own index (a list) converges on the store's content after the
  leader change (its watch resumed on another member).

The store is read directly through etcd's JSON gateway from a live member.
"""
import base64
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request

import pytest

import etcd
import rig
from test_api import API_BIN, Api, cleanup_all, http  # noqa: F401 (fixture)

N_WRITES = 1000
N_CLIENTS = 8
KILL_AT = N_WRITES // 3

pytestmark = [
    pytest.mark.skipif(not os.access(API_BIN, os.X_OK), reason="wyvern-api not built"),
    pytest.mark.skipif(not etcd.available(), reason="etcd not installed"),
]


def b64(s):
    return base64.b64encode(s.encode()).decode()


def etcd_prefix(cluster, prefix):
    """{key: value} under prefix, read from any live member (one range)."""
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    for m in cluster.alive_members():
        try:
            r = etcd._post(m.client_url, "/v3/kv/range",
                           {"key": b64(prefix), "range_end": b64(end)}, timeout=10)
        except (OSError, ValueError):
            continue
        return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv.get("value", "")).decode()
                for kv in r.get("kvs", [])}
    raise AssertionError("no etcd member answers")


def post_port(url, body, timeout):
    """(status, body): 0 for a client timeout or a connection failure."""
    data = json.dumps({"port": body}).encode()
    req = urllib.request.Request(url + "/v2.0/ports", data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")
    except OSError as e:        # timeout, reset, refused
        return 0, str(e)


def test_leader_kill_during_api_writes(cleanup_all):
    cl = etcd.EtcdCluster(3).start()
    # the leader first: the driver talks to the first endpoint until it
    # fails, so the kill cuts the API's own connections mid-write (unknown
    # outcomes), not only the followers' link to the leader
    leader = cl.leader()
    order = [leader] + [m for m in cl.members if m is not leader]
    api = Api("etcd://" + ",".join(m.endpoint for m in order))
    st, net = http(api.url, "POST", "/v2.0/networks", {"network": {"name": "lk"}})
    assert st == 201, net
    net_id = net["network"]["id"]
    st, sub = http(api.url, "POST", "/v2.0/subnets",
                   {"subnet": {"network_id": net_id, "cidr": "10.201.0.0/16", "ip_version": 4}})
    assert st == 201, sub
    sub_id = sub["subnet"]["id"]

    def body(i):
        return {"network_id": net_id, "name": "lk-%04d" % i,
                "mac_address": "fa:16:3e:5a:%02x:%02x" % (i >> 8, i & 0xff),
                "fixed_ips": [{"subnet_id": sub_id,
                               "ip_address": "10.201.%d.%d" % (1 + i // 200, 10 + i % 200)}]}

    results = [None] * N_WRITES         # (status, body, seconds)
    next_i = [0]
    acked = [0]
    lock = threading.Lock()
    killed = threading.Event()
    kill_info = {}

    def client():
        while True:
            with lock:
                i = next_i[0]
                if i >= N_WRITES:
                    return
                next_i[0] += 1
            t0 = time.monotonic()
            st, b = post_port(api.url, body(i), timeout=60)
            results[i] = (st, b, time.monotonic() - t0)
            if st == 201:
                with lock:
                    acked[0] += 1

    def killer():
        rig.wait_for(lambda: acked[0] >= KILL_AT or next_i[0] >= N_WRITES, timeout=600,
                     interval=0.01, what="a third of the writes acknowledged")
        leader = cl.leader()
        kill_info.update(first=leader is order[0], name=leader.name, at_acked=acked[0], at_sent=next_i[0],
                         t=time.monotonic())
        leader.kill()
        killed.set()

    t_start = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(N_CLIENTS)]
    kt = threading.Thread(target=killer)
    kt.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)
    kt.join(timeout=60)
    elapsed = time.monotonic() - t_start
    assert killed.is_set(), "the leader was never killed"
    assert kill_info["first"], "leadership moved before the kill: %r" % kill_info
    assert kill_info["at_sent"] < N_WRITES, "the kill came after the last write: %r" % kill_info
    assert all(r is not None for r in results), "a client thread did not finish"

    by_status = {}
    for st, _, _ in results:
        by_status[st] = by_status.get(st, 0) + 1
    slow = sorted(r[2] for r in results)
    print("\nINFO leader-kill: %d writes by %d clients in %.1fs; killed %s after %d acked "
          "(%d sent); answers %s; latency p50 %.0f ms, max %.0f ms" %
          (N_WRITES, N_CLIENTS, elapsed, kill_info["name"], kill_info["at_acked"],
           kill_info["at_sent"], dict(sorted(by_status.items())),
           1000 * slow[len(slow) // 2], 1000 * slow[-1]))

    # no false errors: every write is unique, so 4xx is always wrong
    false = [(i, st, b) for i, (st, b, _) in enumerate(results) if 400 <= st < 500]
    assert not false, "false errors (4xx for unique writes): %r" % false[:5]
    odd = [(i, st) for i, (st, _, _) in enumerate(results) if st not in (0, 201) and st < 500]
    assert not odd, odd

    # the store, straight from etcd
    objs = etcd_prefix(cl, "/wyvern/v1/port/")
    ports = [json.loads(v) for v in objs.values()]
    ports = [p for p in ports if p.get("network_id") == net_id]
    names = {}
    for p in ports:
        names.setdefault(p.get("name"), []).append(p)
    dups = {n: len(v) for n, v in names.items() if len(v) > 1}
    assert not dups, "duplicates in the store: %r" % dups
    assert set(names) <= {"lk-%04d" % i for i in range(N_WRITES)}, set(names)

    failed_present = failed_absent = 0
    for i, (st, b, _) in enumerate(results):
        name = "lk-%04d" % i
        if st == 201:
            assert name in names, "acknowledged write %s (%s) is not in the store" % (
                name, b["port"]["id"])
            p = names[name][0]
            want = body(i)
            assert p["id"] == b["port"]["id"], (p, b)
            assert p["mac_address"] == want["mac_address"], p
            assert [f["ip_address"] for f in p["fixed_ips"]] == \
                [want["fixed_ips"][0]["ip_address"]], p
        elif name in names:
            failed_present += 1
        else:
            failed_absent += 1
    n_acked = by_status.get(201, 0)
    assert len(ports) == n_acked + failed_present
    print("INFO leader-kill: %d acknowledged, all present once; %d failed (5xx/timeout): "
          "%d present, %d absent" % (n_acked, N_WRITES - n_acked, failed_present,
                                     failed_absent))

    # nothing half-written: the claims are exactly those of the ports
    macs = etcd_prefix(cl, "/wyvern/v1/_uniq/mac/%s/" % net_id)
    ips = etcd_prefix(cl, "/wyvern/v1/_uniq/ip/%s/" % sub_id)
    want_macs = {"/wyvern/v1/_uniq/mac/%s/%s" % (net_id, p["mac_address"]): "port/" + p["id"]
                 for p in ports}
    want_ips = {"/wyvern/v1/_uniq/ip/%s/%s" % (sub_id, f["ip_address"]): "port/" + p["id"]
                for p in ports for f in p["fixed_ips"]}
    assert macs == want_macs, (len(macs), len(want_macs))
    assert ips == want_ips, (len(ips), len(want_ips))

    # the API's index follows the store through the leader change
    ids = {p["id"] for p in ports}

    def listed():
        st, b = http(api.url, "GET", "/v2.0/ports?network_id=%s&fields=id" % net_id, timeout=30)
        return st == 200 and {p["id"] for p in b["ports"]} == ids
    rig.wait_for(listed, timeout=60, interval=0.5, what="the API's list equal to the store")

    # the server's own account of the unknown outcomes it resolved
    rig.stop_pid(api.proc)
    m = re.search(r"nb: (.*)", api.log_text())
    api.stop()
    print("INFO leader-kill: wyvern-api %s" % (m.group(1) if m else "(no nb stats line)"))
