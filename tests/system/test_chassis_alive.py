"""Chassis liveness: each wyvernd keeps a key under a lease of `[ctrl]
chassis-ttl` seconds (etcd leases), so the other chassis see within the ttl
that one was killed, at once that one stopped cleanly, and again when it
comes back (`wyctl show chassis`).

Two wyvernd on one etcd, no ports: only the controllers matter here.
"""
import signal
import time

import pytest

import etcd
import rig
from test_ctrl import CtrlWyvern, chassis_name, cleanup_all, work  # noqa: F401

needs_etcd = pytest.mark.skipif(not etcd.available(), reason="etcd not installed")
TTL = 3


def chassis(wy):
    return {c["name"]: c for c in wy.ctl("show", "chassis", json=True)["chassis"]}


def wait_alive(wy, name, want, timeout):
    t0 = time.monotonic()
    rig.wait_for(lambda: chassis(wy).get(name, {}).get("alive") is want, timeout=timeout,
                 interval=0.1, what="%s alive == %s" % (name, want))
    return time.monotonic() - t0


@needs_etcd
def test_killed_chassis_goes_dead_within_ttl_and_comes_back(work, cleanup_all):  # noqa: F811
    cl = etcd.EtcdCluster(1).start()
    cha, chb = chassis_name("la"), chassis_name("lb")

    def daemon(ch):
        return CtrlWyvern([], {"db": cl.url, "chassis": ch, "vtep-ip": "192.0.2.%d" % (
            1 if ch == cha else 2), "chassis-ttl": TTL, "replica": "%s/replica-%s" % (work, ch)})
    a = daemon(cha).start()
    b = daemon(chb).start()
    a.wait_connected(True)
    b.wait_connected(True)
    wait_alive(a, chb, True, 20)
    wait_alive(b, cha, True, 20)
    ca = chassis(a)
    assert ca[cha]["self"] and not ca[chb]["self"], ca
    assert ca[chb]["vtep_ip"] == "192.0.2.2" and ca[chb]["encap"] == "vxlan", ca
    assert a.ctl("show", "chassis", json=True)["ttl"] == TTL
    text = a.ctl("show", "chassis").stdout
    assert chb in text and "yes" in text and "(this chassis)" in text, text

    # killed: nothing revokes its lease; etcd expires it within the ttl
    # (etcd may raise a short ttl to its minimum) and A sees it dead
    t0 = time.monotonic()
    b.proc.send_signal(signal.SIGKILL)
    b.proc.wait(timeout=10)
    wait_alive(a, chb, False, 30)
    dead_after = time.monotonic() - t0
    print("INFO killed chassis seen dead after %.1f s (ttl %d s)" % (dead_after, TTL))
    # the chassis object itself stays: it is configuration
    assert chb in chassis(a)
    b.stop()

    # back: the same chassis id is alive again
    b2 = daemon(chb).start()
    b2.wait_connected(True)
    wait_alive(a, chb, True, 20)

    # a clean stop revokes the lease: B sees A dead without waiting the ttl
    wait_alive(b2, cha, True, 20)
    t0 = time.monotonic()
    a.stop()
    wait_alive(b2, cha, False, 30)
    print("INFO stopped chassis seen dead after %.1f s" % (time.monotonic() - t0))


def test_chassis_ttl_config_errors(work):  # noqa: F811
    for bad in ("2", "3601", "x", "-1"):
        wy = CtrlWyvern([], {"db": "rocksdb:%s/db" % work, "chassis-ttl": bad})
        with pytest.raises(RuntimeError) as e:
            wy.start(timeout=10)
        assert "chassis-ttl must be 0" in str(e.value), str(e.value)
        wy.stop()
