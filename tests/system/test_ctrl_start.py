"""wyvernd's start-up with a controller: glibc malloc tuned by a re-exec
(ctrl/main/malloc_tune.c) and the replica loaded on a thread of its own while
EAL and the datapath start (lc_preload).

1. the re-exec: GLIBC_TUNABLES of the running daemon holds
   glibc.malloc.arena_max=1, glibc.malloc.mmap_threshold=262144 and, when the
   kernel has transparent huge pages, glibc.malloc.hugetlb=1; the process keeps its name and pid;
   WYVERN_MALLOC_TUNE=0 turns it off; an operator's own setting of a
   tunable is kept;
2. the preload: a daemon restarted on its replica (central db gone) holds
   and forwards the replica's objects; a replica another daemon holds open
   stops the second one with a clear error, before EAL, and nothing is
   left running.
"""
import os

import pytest

import etcd
import rig
# work: test_ctrl's fixture (a tmp dir for the central db and the replica)
from test_ctrl import CtrlWyvern, chassis_name, make_blue, nb, wait_lport, work  # noqa: F401


def thp_available():
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            return "[never]" not in f.read()
    except OSError:
        return False


def proc_env(pid):
    """The NUL-separated strings of /proc/PID/environ.  glibc splits
    GLIBC_TUNABLES at its ':' in place when it parses it, so its tunables
    after the first show up as strings of their own."""
    with open("/proc/%d/environ" % pid, "rb") as f:
        return [i.decode() for i in f.read().split(b"\0") if i]


def tunables(env):
    """GLIBC_TUNABLES' name=value items, however glibc left them."""
    out = []
    for i, s in enumerate(env):
        if s.startswith("GLIBC_TUNABLES="):
            out = s.split("=", 1)[1].split(":")
            out += [t for t in env[i + 1:] if t.startswith("glibc.")]
    return out


def proc_comm(pid):
    with open("/proc/%d/comm" % pid) as f:
        return f.read().strip()


def cpus_allowed(pid, tid):
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        for line in f:
            if line.startswith("Cpus_allowed_list:"):
                return line.split(":", 1)[1].strip()
    return None


def assert_off_pmd_cores(pid):
    """The controller's threads (the sync thread and its watch threads,
    started before EAL) and RocksDB's run where the main lcore's thread
    runs, never on the PMD's core: lcores 0,1 with the PMD on 1."""
    main = cpus_allowed(pid, pid)
    assert main == "0", main
    seen = {}
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                comm = f.read().strip()
            if comm.startswith("wyv-") or comm.startswith("rocksdb:"):
                seen[comm + "/" + t] = cpus_allowed(pid, int(t))
        except OSError:
            continue        # the thread ended meanwhile
    assert any(k.startswith("wyv-lc-sync/") for k in seen), seen
    assert all(v == main for v in seen.values()), seen


def daemon(url, ch, replica, ports=None):
    """A controller daemon on two null ports (vm1/vm2 bound by iface-id when
    ports are given)."""
    ids = [ports["vm1"]["id"], ports["vm2"]["id"]] if ports else [None, None]
    return CtrlWyvern([("p1", "net_null0,no-rx=1", ids[0]),
                       ("p2", "net_null1,no-rx=1", ids[1])],
                      dict(db=url, chassis=ch, replica=replica))


def test_malloc_tunables_by_reexec(work, monkeypatch):
    if rig.sanitized():
        pytest.skip("a sanitizer owns malloc: wyvernd does not tune it (malloc_tune.c)")
    url = "rocksdb:%s/db" % work
    ch = chassis_name("malloc")
    replica = os.path.join(work, "replica")
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.delenv("WYVERN_MALLOC_TUNE", raising=False)
    wy = daemon(url, ch, replica).start()
    try:
        env = proc_env(wy.proc.pid)
        tun = tunables(env)
        assert "glibc.malloc.arena_max=1" in tun, env
        assert "glibc.malloc.mmap_threshold=262144" in tun, env
        assert ("glibc.malloc.hugetlb=1" in tun) == thp_available(), env
        assert "WYVERN_MALLOC_TUNED=1" in env
        # same pid (the one we started and signal), same name for ps/pgrep
        assert proc_comm(wy.proc.pid) == "wyvernd"
        assert wy.ctrl()["chassis"] == ch
    finally:
        assert wy.stop() == 0, wy.log_text()

    # the operator's choice stays: arena_max=4 kept, hugetlb still added
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.arena_max=4")
    wy = daemon(url, ch, replica).start()
    try:
        tun = tunables(proc_env(wy.proc.pid))
        assert tun[0] == "glibc.malloc.arena_max=4" and "glibc.malloc.arena_max=1" not in tun
        assert ("glibc.malloc.hugetlb=1" in tun) == thp_available(), tun
    finally:
        assert wy.stop() == 0, wy.log_text()

    # turned off: glibc's defaults, the environment untouched
    monkeypatch.delenv("GLIBC_TUNABLES")
    monkeypatch.setenv("WYVERN_MALLOC_TUNE", "0")
    wy = daemon(url, ch, replica).start()
    try:
        env = proc_env(wy.proc.pid)
        assert tunables(env) == [] and "WYVERN_MALLOC_TUNED=1" not in env, env
        assert proc_comm(wy.proc.pid) == "wyvernd"
    finally:
        assert wy.stop() == 0, wy.log_text()


def test_replica_preload_restart_and_locked_replica(work):
    url = "rocksdb:%s/db" % work
    ch = chassis_name("preload")
    replica = os.path.join(work, "replica")
    ports = make_blue(url, ch)
    nb(url, "port", "create", "vm3", "--network", "blue", "--host", "elsewhere",
       "--fixed-ip", "subnet=blue-v4,ip=10.0.0.13")
    wy = daemon(url, ch, replica, ports).start()
    rig.wait_for(lambda: wy.ctrl()["held"]["port"] == 3, what="3 ports held")
    assert_off_pmd_cores(wy.proc.pid)
    assert wy.stop() == 0, wy.log_text()

    # no central db answers (nothing listens on that port): everything
    # comes from the preloaded replica
    wy = daemon("etcd://127.0.0.1:%d" % etcd.free_ports(1)[0], ch, replica, ports).start()
    try:
        rig.wait_for(lambda: wy.ctrl()["held"]["port"] == 3, what="3 ports from the replica")
        lps = wait_lport(wy, "vm1", lambda lp: lp["dp_port"] is not None, "vm1 bound")
        assert lps["ips"] == ["10.0.0.11"], lps
        wait_lport(wy, "vm3", lambda lp: lp["dp_port"] is None, "vm3 remote")
        st = wy.ctrl()
        assert st["bad_now"] == 0 and st["table_errors"] == 0, st
        assert st["connected"] is False, st

        # a second daemon on the same replica: RocksDB's lock refuses it in
        # the preload; wyvernd says which replica and exits 1, before EAL
        other = daemon("rocksdb:%s/db-other" % work, ch + "-b", replica)
        with pytest.raises(RuntimeError) as e:
            other.start(timeout=30)
        assert other.proc.returncode == 1, str(e.value)
        assert "controller replica %s:" % replica in str(e.value), str(e.value)
        assert "EAL: Detected" not in str(e.value), str(e.value)
        # the first one is unharmed
        assert wy.ctrl()["held"]["port"] == 3
    finally:
        assert wy.stop() == 0, wy.log_text()
