"""etcd on loopback for system tests: one member or a 3-member cluster.

Every member has its own data dir (under one tmp dir per cluster), its own
free client/peer ports on 127.0.0.1, and is signalled only by its pid.
Everything is registered in rig.CLEANUP (members killed, tmp dir removed).

    c = EtcdCluster(3).start()     # waits until every member is healthy
    c.url                          # "etcd://127.0.0.1:A,127.0.0.1:B,127.0.0.1:C"
    m = c.leader()                 # EtcdMember (via /v3/maintenance/status)
    m.kill()                       # SIGKILL by pid;  m.stop() = SIGTERM
    m.start(); m.wait_healthy()    # same data dir, same ports
    c.revision()                   # current revision (POST /v3/kv/range header)
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import urllib.request

import rig

ETCD = shutil.which("etcd") or "/usr/bin/etcd"


def available():
    return os.access(ETCD, os.X_OK)


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1 (all bound at once, then released)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _post(base, path, body, timeout=2.0):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.load(r)


class EtcdMember:
    def __init__(self, name, root, client_port, peer_port):
        self.name = name
        self.client_port, self.peer_port = client_port, peer_port
        self.data = os.path.join(root, name + ".data")
        self.logpath = os.path.join(root, name + ".log")
        self.client_url = "http://127.0.0.1:%d" % client_port
        self.peer_url = "http://127.0.0.1:%d" % peer_port
        self.endpoint = "127.0.0.1:%d" % client_port
        self.cluster = None     # "--initial-cluster" value
        self.token = None
        self.proc = None
        self._log = None
        self._cleanup = None

    def start(self):
        assert not self.alive(), "%s already running" % self.name
        self._log = open(self.logpath, "a")
        cmd = [ETCD, "--name", self.name, "--data-dir", self.data,
               "--listen-client-urls", self.client_url,
               "--advertise-client-urls", self.client_url,
               "--listen-peer-urls", self.peer_url,
               "--initial-advertise-peer-urls", self.peer_url,
               "--initial-cluster", self.cluster,
               "--initial-cluster-state", "new",
               "--initial-cluster-token", self.token]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if self._cleanup is None:
            self._cleanup = rig.CLEANUP.add(self._kill_current)
        return self

    def _kill_current(self):
        if self.proc is not None:
            rig.stop_pid(self.proc, signal.SIGKILL, timeout=5)
        if self._log:
            self._log.close()
            self._log = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signal our etcd by pid (SIGKILL after timeout); returns its exit status."""
        if self.proc is None:
            return None
        rc = rig.stop_pid(self.proc, sig, timeout=timeout)
        if self._log:
            self._log.close()
            self._log = None
        return rc

    def kill(self):
        """SIGKILL by pid."""
        return self.stop(signal.SIGKILL, timeout=5)

    def destroy(self):
        if self._cleanup:
            rig.CLEANUP.run(self._cleanup)
            self._cleanup = None

    def status(self, timeout=1.0):
        """/v3/maintenance/status of this member (None if it does not answer)."""
        try:
            return _post(self.client_url, "/v3/maintenance/status", {}, timeout=timeout)
        except (OSError, ValueError):
            return None

    def healthy(self):
        if not self.alive():
            return False
        try:
            with urllib.request.urlopen(self.client_url + "/health", timeout=1) as r:
                return json.load(r).get("health") in ("true", True)
        except (OSError, ValueError):
            return False

    def wait_healthy(self, timeout=40.0):
        def ok():
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError("etcd %s exited rc=%s:\n%s" %
                                   (self.name, self.proc.returncode, self.log_tail()))
            return self.healthy()
        try:
            rig.wait_for(ok, timeout=timeout, interval=0.2, what="etcd %s healthy" % self.name)
        except AssertionError:
            raise AssertionError("etcd %s not healthy after %.0fs:\n%s" %
                                 (self.name, timeout, self.log_tail()))
        return self

    def log_tail(self, n=3000):
        try:
            with open(self.logpath) as f:
                return f.read()[-n:]
        except OSError:
            return ""


class EtcdCluster:
    """n members m0..m(n-1) on loopback, one tmp dir, one cluster token."""

    def __init__(self, n=1):
        self.dir = tempfile.mkdtemp(prefix="wyt%d-etcd-" % rig.RUN_ID)
        self._cleanup = rig.CLEANUP.add(lambda: shutil.rmtree(self.dir, ignore_errors=True))
        ports = free_ports(2 * n)
        self.members = [EtcdMember("m%d" % i, self.dir, ports[2 * i], ports[2 * i + 1])
                        for i in range(n)]
        cluster = ",".join("%s=%s" % (m.name, m.peer_url) for m in self.members)
        token = os.path.basename(self.dir)
        for m in self.members:
            m.cluster, m.token = cluster, token
        self.url = "etcd://" + ",".join(m.endpoint for m in self.members)
        self.endpoints = ",".join(m.client_url for m in self.members)

    def start(self, timeout=40.0):
        for m in self.members:
            m.start()
        for m in self.members:
            m.wait_healthy(timeout)
        return self

    def alive_members(self):
        return [m for m in self.members if m.alive()]

    def leader(self, timeout=30.0):
        """The member that is leader by its own /v3/maintenance/status (waits for one)."""
        def find():
            for m in self.alive_members():
                st = m.status()
                if st and st.get("leader") and st.get("leader") == st["header"].get("member_id"):
                    return m
            return None
        return rig.wait_for(find, timeout=timeout, interval=0.2, what="an etcd leader")

    def revision(self, timeout=30.0):
        """Current revision, asked of any member that answers."""
        def ask():
            for m in self.alive_members():
                try:
                    r = _post(m.client_url, "/v3/kv/range", {"key": "AA=="}, timeout=2)
                    return int(r["header"]["revision"])
                except (OSError, ValueError, KeyError):
                    continue
            return None
        return rig.wait_for(ask, timeout=timeout, interval=0.2, what="etcd revision")

    def destroy(self):
        for m in self.members:
            m.destroy()
        rig.CLEANUP.run(self._cleanup)
