"""Watch fan-out: `wyv-fanout` plays many hosts watching one etcd through the
controller's own sync code (ctrl/lc/lc_fanout.c; `make bench` runs it with
1000 hosts, scripts/bench/fanout.sh).  Here with 40 hosts on a real etcd:
every host registers its chassis (no dp_key: they must not meet on the
shared counter), keeps its liveness key, takes its snapshot, and receives
every northbound update exactly once at the revision it was written.
"""
import base64
import json
import os
import subprocess

import pytest

import etcd
import rig
from test_ctrl import cleanup_all  # noqa: F401

needs_etcd = pytest.mark.skipif(not etcd.available(), reason="etcd not installed")
FANOUT = os.path.join(rig.build_dir(), "ctrl", "lc", "wyv-fanout")


def b64(s):
    return base64.b64encode(s.encode()).decode()


def prefix(cl, p):
    end = p[:-1] + chr(ord(p[-1]) + 1)
    r = etcd._post(cl.members[0].client_url, "/v3/kv/range",
                   {"key": b64(p), "range_end": b64(end)}, timeout=10)
    return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv["value"]).decode()
            for kv in r.get("kvs", [])}


def fields(line):
    return dict(w.split("=", 1) for w in line.split())


@needs_etcd
def test_forty_hosts_get_every_update_once(cleanup_all):  # noqa: F811
    cl = etcd.EtcdCluster(1).start()
    r = subprocess.run([FANOUT, cl.url, "40", "10", "--ttl", "3", "--timeout", "20"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    f = fields(r.stdout.strip())
    print("INFO fanout-40:", r.stdout.strip())
    assert f["watchers"] == "40" and f["updates"] == "10", f
    assert f["missed"] == "0" and f["wrong"] == "0" and f["resyncs"] == "0", f
    assert 0 < float(f["p50_ms"]) <= float(f["p99_ms"]) <= float(f["max_ms"]), f
    # every simulated host registered its chassis, none with a dp_key
    ch = {k: json.loads(v) for k, v in prefix(cl, "/wyvern/v1/chassis/").items()}
    names = sorted(c["name"] for c in ch.values())
    assert names == ["fanout-%04d" % i for i in range(40)], names
    assert all(c.get("dp_key", 0) == 0 for c in ch.values()), ch
    # a clean stop revoked every liveness lease: no alive key is left
    alive = [k for k in prefix(cl, "/wyvern/v1/_status/") if k.endswith("/alive")]
    assert alive == [], alive
    # the probe network got all eleven writes (one warm-up)
    probe = [json.loads(v) for k, v in prefix(cl, "/wyvern/v1/network/").items()]
    assert [p["name"] for p in probe] == ["fanout-probe-11"], probe


def test_bad_arguments_and_no_database():
    r = subprocess.run([FANOUT, "etcd://127.0.0.1:1", "zero", "1"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2 and "bad number 'zero'" in r.stderr, r.stderr
    r = subprocess.run([FANOUT, "etcd://127.0.0.1:1", "2", "1", "--gap-ms"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "usage" in r.stderr, r.stderr
    port = etcd.free_ports(1)[0]
    r = subprocess.run([FANOUT, "etcd://127.0.0.1:%d" % port, "2", "1"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1 and "Connection refused" in r.stderr, r.stderr
