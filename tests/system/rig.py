"""Test rig for wyvern system tests: daemon, namespaces, veths, captures.

Everything this module creates (daemons, namespaces, veths, tcpdump/ping
processes, DPDK runtime dirs) is registered in a cleanup registry that runs
from pytest fixture finalizers and, as a last resort, from atexit.  Only
processes started here are ever signalled, and only by pid.

Names are unique per run: namespaces are ``wyt<pid%10000><n>``, interfaces
``wy<pid%10000><tag><n>`` (always <= 15 characters).
"""
import atexit
import itertools
import json as jsonlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

PY = "/usr/bin/python3"
RUN_ID = os.getpid() % 10000
_seq = itertools.count(1)


def build_dir():
    return os.environ.get("WYV_BUILD") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")


def wyvernd_bin():
    return os.path.join(build_dir(), "ctrl", "wyvernd")


def sanitized():
    """wyvernd built with ASan (make debug): ASan's allocator replaces
    glibc malloc (no malloc tuning, no mallinfo2 statistics)."""
    with open(wyvernd_bin(), "rb") as f:
        return b"__asan_init" in f.read()


def wyctl_bin():
    return os.path.join(build_dir(), "ctrl", "wyctl")


def uniq():
    return next(_seq)


def ifname(tag):
    """A unique interface name of at most 15 characters."""
    name = "wy%d%s%d" % (RUN_ID, tag, uniq())
    assert len(name) <= 15, name
    return name


def sh(cmd, check=True, timeout=30, **kw):
    """Run a command (list), return CompletedProcess with text output."""
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s -> rc %d\nstdout: %s\nstderr: %s" %
                           (" ".join(cmd), r.returncode, r.stdout, r.stderr))
    return r


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    """Poll pred() until it returns a truthy value; raise AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


# ---------------------------------------------------------------- cleanup registry

class _Cleanup:
    """LIFO list of cleanup callbacks; each runs at most once."""

    def __init__(self):
        self._items = []
        self._lock = threading.Lock()

    def add(self, fn):
        with self._lock:
            self._items.append(fn)
        return fn

    def run(self, fn):
        with self._lock:
            if fn not in self._items:
                return
            self._items.remove(fn)
        try:
            fn()
        except Exception:
            pass

    def run_all(self):
        while True:
            with self._lock:
                if not self._items:
                    return
                fn = self._items.pop()
            try:
                fn()
            except Exception:
                pass


CLEANUP = _Cleanup()
LIVE_DAEMONS = []   # Wyvern objects started and not yet stopped (for failure reports)
atexit.register(CLEANUP.run_all)


def stop_pid(proc, sig=signal.SIGTERM, timeout=10.0):
    """Stop a Popen we started: sig, then SIGKILL after timeout. Returns rc."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
    return proc.returncode


def ensure_bpffs():
    if not os.path.ismount("/sys/fs/bpf"):
        sh(["mount", "-t", "bpf", "bpf", "/sys/fs/bpf"], check=False)


# ---------------------------------------------------------------- daemon

class Wyvern:
    """One wyvernd process with its config, socket and log in a tmp dir."""

    def __init__(self, ports, tmpdir=None, extra_dp=None):
        """ports: list of (name, devargs)."""
        self.dir = tmpdir or tempfile.mkdtemp(prefix="wyt%d-" % RUN_ID)
        self.sock = os.path.join(self.dir, "wy.sock")
        self.conf = os.path.join(self.dir, "wyvernd.conf")
        self.log = os.path.join(self.dir, "wyvernd.log")
        self.prefix = "wyt%d-%d" % (os.getpid(), uniq())
        self.ports = list(ports)
        self.extra_dp = extra_dp or {}
        self.proc = None
        self._logf = None
        self._cleanup = None

    def config_text(self):
        lines = ["[eal]", "args = --no-huge --no-pci", "memory-mb = 512",
                 "file-prefix = %s" % self.prefix, "lcores = 0,1",
                 "[dp]", "pmd-lcores = 1", "idle-sleep-max-us = 200", "mbufs = 8192"]
        for k, v in self.extra_dp.items():
            lines.append("%s = %s" % (k, v))
        lines += ["[mgmt]", "socket = %s" % self.sock]
        for name, devargs in self.ports:
            lines += ["[port.%s]" % name, "devargs = %s" % devargs]
        return "\n".join(lines) + "\n"

    def start(self, timeout=20.0):
        with open(self.conf, "w") as f:
            f.write(self.config_text())
        self._logf = open(self.log, "w")
        self.proc = subprocess.Popen([wyvernd_bin(), "-c", self.conf], stdout=self._logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._cleanup = CLEANUP.add(self._stop)
        LIVE_DAEMONS.append(self)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("wyvernd exited with %s during start:\n%s" %
                                   (self.proc.returncode, self.log_text()))
            if os.path.exists(self.sock):
                r = self.ctl("show", "ports", check=False)
                if r.returncode == 0:
                    return self
            if time.monotonic() > deadline:
                raise RuntimeError("wyvernd not ready after %.0fs:\n%s" %
                                   (timeout, self.log_text()))
            time.sleep(0.1)

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def _stop(self):
        if self in LIVE_DAEMONS:
            LIVE_DAEMONS.remove(self)
        if self.proc is not None:
            stop_pid(self.proc, signal.SIGTERM, timeout=10)
        if self._logf:
            self._logf.close()
            self._logf = None
        shutil.rmtree("/var/run/dpdk/%s" % self.prefix, ignore_errors=True)
        if not os.environ.get("WYT_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def stop(self):
        """SIGTERM, SIGKILL after a timeout; returns the exit status."""
        if self._cleanup:
            CLEANUP.run(self._cleanup)
            self._cleanup = None
        return self.proc.returncode if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    # -- wyctl
    def ctl(self, *args, json=False, check=True, timeout=20):
        cmd = [wyctl_bin(), "-s", self.sock] + (["--json"] if json else []) + [str(a) for a in args]
        r = sh(cmd, check=False, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError("%s -> rc %d\nstdout: %s\nstderr: %s\ndaemon alive: %s" %
                               (" ".join(cmd), r.returncode, r.stdout, r.stderr, self.alive()))
        if json and r.returncode == 0:
            return jsonlib.loads(r.stdout)
        return r

    # -- convenience
    def port_ids(self):
        return {p["name"]: p["id"] for p in self.ctl("show", "ports", json=True)["ports"]}

    def pmd_stats(self):
        return self.ctl("show", "pmd", json=True)["pmds"]

    def drops(self, reason):
        return sum(p.get("drops", {}).get(reason, 0) for p in self.pmd_stats())

    def all_drops(self):
        out = {}
        for p in self.pmd_stats():
            for k, v in p.get("drops", {}).items():
                out[k] = out.get(k, 0) + v
        return out

    def megaflows(self):
        return self.ctl("dump", "megaflows", json=True)["megaflows"]


# ---------------------------------------------------------------- namespaces, links

class Namespace:
    def __init__(self):
        self.name = "wyt%d%d" % (RUN_ID, uniq())
        sh(["ip", "netns", "add", self.name])
        self._cleanup = CLEANUP.add(self._delete)
        self.run(["ip", "link", "set", "lo", "up"])
        # No IPv6: keeps link-local/ND/MLD chatter out of captures and drop counters.
        for k in ("all", "default"):
            self.run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % k])
        self.iface = None
        self.mac = None
        self.ip = None

    def _delete(self):
        sh(["ip", "netns", "del", self.name], check=False)

    def delete(self):
        CLEANUP.run(self._cleanup)

    def run(self, cmd, check=True, timeout=30):
        return sh(["ip", "netns", "exec", self.name] + list(cmd), check=check, timeout=timeout)

    def popen(self, cmd, **kw):
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("text", True)
        p = subprocess.Popen(["ip", "netns", "exec", self.name] + list(cmd), **kw)
        CLEANUP.add(lambda: stop_pid(p, signal.SIGTERM, timeout=5))
        return p

    def adopt(self, iface, mac, cidr=None, wait_root=True):
        """Move iface (from the root namespace) in, set MAC/IP, bring it up."""
        if wait_root:
            wait_for(lambda: sh(["ip", "link", "show", iface], check=False).returncode == 0,
                     timeout=10, what="interface %s" % iface)
        sh(["ip", "link", "set", iface, "netns", self.name])
        self.configure(iface, mac, cidr)

    def configure(self, iface, mac, cidr=None):
        self.run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % iface], check=False)
        self.run(["ip", "link", "set", iface, "address", mac])
        if cidr:
            self.run(["ip", "addr", "add", cidr, "dev", iface])
        self.run(["ip", "link", "set", iface, "up"])
        self.iface, self.mac = iface, mac
        self.ip = cidr.split("/")[0] if cidr else None

    def ping(self, dst, count=3, interval=0.2, deadline=None, check=False):
        cmd = ["ping", "-n", "-c", str(count), "-i", str(interval), "-W", "1"]
        if deadline:
            cmd += ["-w", str(deadline)]
        return self.run(cmd + [dst], check=check, timeout=60)

    def send_frames(self, frames, iface=None, count=1):
        """Send raw Ethernet frames (bytes) with scapy sendp from inside the namespace."""
        iface = iface or self.iface
        hexes = [bytes(f).hex() for f in frames]
        code = ("import sys; from scapy.all import sendp, Ether;"
                "fs=[Ether(bytes.fromhex(h)) for h in sys.argv[3:]];"
                "sendp(fs*int(sys.argv[2]), iface=sys.argv[1], verbose=0)")
        self.run([PY, "-c", code, iface, str(count)] + hexes, timeout=60)

    def capture(self, iface=None):
        return Capture(self, iface or self.iface)


class Veth:
    """A veth pair in the root namespace; the peer is usually moved into a Namespace."""

    def __init__(self):
        self.host = ifname("h")
        self.peer = ifname("p")
        sh(["ip", "link", "add", self.host, "type", "veth", "peer", "name", self.peer])
        self._cleanup = CLEANUP.add(self._delete)
        sh(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.host], check=False)
        sh(["ip", "link", "set", self.host, "up"])

    def _delete(self):
        sh(["ip", "link", "del", self.host], check=False)

    def delete(self):
        CLEANUP.run(self._cleanup)


# ---------------------------------------------------------------- topologies

class TapRig:
    """A daemon with N net_tap ports vm1..vmN, each iface in its own namespace.

    Port i (1-based) has MAC 02:00:00:00:00:0i and IP 10.0.0.i/24 in namespace
    self.ns[i-1].
    """

    def __init__(self, n):
        self.ifaces = [ifname("t") for _ in range(n)]
        self.wy = Wyvern([("vm%d" % (i + 1), "net_tap%d,iface=%s" % (i, ifc))
                              for i, ifc in enumerate(self.ifaces)])
        self.ns = []

    def start(self):
        self.wy.start()
        for i, ifc in enumerate(self.ifaces):
            ns = Namespace()
            ns.adopt(ifc, self.mac(i + 1), "%s/24" % self.ip(i + 1))
            self.ns.append(ns)
        return self

    @staticmethod
    def mac(i):
        return "02:00:00:00:00:%02x" % i

    @staticmethod
    def ip(i):
        return "10.0.0.%d" % i

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.wy.stop()
        for ns in self.ns:
            ns.delete()


class Topo:
    """Networks and lports made by one test; removed again at its end."""

    def __init__(self, wy, namespaces=()):
        self.wy = wy
        self.namespaces = namespaces
        self.nets = []
        self.lports = []

    def network(self, key, name=None):
        self.wy.ctl("network", "add", key, *(["--name", name] if name else []))
        self.nets.append(str(key))

    def lport(self, key, network, mac, ips=(), port=None, aaps=(), extra=()):
        args = ["lport", "add", key, "--network", network, "--mac", mac]
        for ip in ips:
            args += ["--ip", ip]
        for a in aaps:
            args += ["--aap", a]
        args += ["--port", port or "none"]
        self.wy.ctl(*args, *extra)
        if str(key) not in self.lports:
            self.lports.append(str(key))

    def lport_del(self, key):
        self.wy.ctl("lport", "del", key)
        if str(key) in self.lports:
            self.lports.remove(str(key))

    def teardown(self):
        if not self.wy.alive():
            return
        for k in reversed(self.lports):
            self.wy.ctl("lport", "del", k, check=False)
        for k in reversed(self.nets):
            self.wy.ctl("network", "del", k, check=False)
        for ns in self.namespaces:
            ns.run(["ip", "neigh", "flush", "all"], check=False)


# ---------------------------------------------------------------- capture

class Capture:
    """tcpdump -w inside a namespace (ns None: the root namespace); read back
    the frames with scapy, or decode them with tshark (tshark_fields)."""

    def __init__(self, ns, iface):
        self.ns, self.iface = ns, iface
        fd, self.path = tempfile.mkstemp(prefix="wyt%d-" % RUN_ID, suffix=".pcap")
        os.close(fd)
        self.proc = None
        self._cleanup = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        self._errpath = self.path + ".err"
        self._err = open(self._errpath, "w")
        prefix = ["ip", "netns", "exec", self.ns.name] if self.ns is not None else []
        self.proc = subprocess.Popen(
            prefix + ["tcpdump", "-n", "-i", self.iface,
                      "--immediate-mode", "-U", "-s", "256", "-w", self.path],
            stdout=subprocess.DEVNULL, stderr=self._err)
        self._cleanup = CLEANUP.add(self._stop)
        wait_for(lambda: "listening on" in open(self._errpath).read() or self.proc.poll() is not None,
                 timeout=15, what="tcpdump to start")
        if self.proc.poll() is not None:
            raise RuntimeError("tcpdump failed: %s" % open(self._errpath).read())
        return self

    def _stop(self):
        stop_pid(self.proc, signal.SIGINT, timeout=5)
        self._err.close()

    def stop(self):
        if self._cleanup:
            CLEANUP.run(self._cleanup)
            self._cleanup = None
        return self.packets()

    def tshark_fields(self, fields, display_filter=None):
        """Decode the capture with tshark: one list of field values per packet.
        A field that occurs several times (outer and inner ip.src) keeps all,
        comma separated, outermost first."""
        cmd = ["tshark", "-n", "-r", self.path, "-T", "fields", "-E", "separator=|",
               "-E", "occurrence=a", "-E", "aggregator=,"]
        if display_filter:
            cmd += ["-Y", display_filter]
        for f in fields:
            cmd += ["-e", f]
        r = sh(cmd, check=True, timeout=60)
        return [line.split("|") for line in r.stdout.splitlines() if line.strip()]

    def packets(self):
        from scapy.utils import rdpcap
        try:
            return list(rdpcap(self.path))
        except Exception:
            return []   # empty or partially written file

    def wait_for(self, pred, timeout=10.0, what="a captured frame"):
        """Wait until some captured frame satisfies pred; returns it."""
        def look():
            for p in self.packets():
                if pred(p):
                    return p
            return None
        return wait_for(look, timeout=timeout, interval=0.1, what=what)

    def __del__(self):
        for p in (self.path, getattr(self, "_errpath", None)):
            if p:
                try:
                    os.unlink(p)
                except OSError:
                    pass


# ---------------------------------------------------------------- continuous ping

class PingStream:
    """ping -i INTERVAL -O running in a namespace; tracks sent/answered seqs live."""

    SEQ_RE = re.compile(r"icmp_seq=(\d+)")

    def __init__(self, ns, dst, interval=0.05):
        self.replied = set()
        self.unanswered = set()
        self._lock = threading.Lock()
        self.proc = ns.popen(["stdbuf", "-oL", "ping", "-n", "-O", "-i", str(interval),
                              "-W", "1", dst], stderr=subprocess.STDOUT)
        self._t = threading.Thread(target=self._reader, daemon=True)
        self._t.start()

    def _reader(self):
        for line in self.proc.stdout:
            m = self.SEQ_RE.search(line)
            if not m:
                continue
            seq = int(m.group(1))
            with self._lock:
                if "bytes from" in line:
                    self.replied.add(seq)
                    self.unanswered.discard(seq)
                elif "no answer yet" in line:
                    self.unanswered.add(seq)

    def max_seen(self):
        with self._lock:
            return max(self.replied | self.unanswered | {0})

    def max_replied(self):
        with self._lock:
            return max(self.replied | {0})

    def replies_in(self, lo, hi):
        with self._lock:
            return len([s for s in self.replied if lo <= s <= hi])

    def has_run_of_unanswered(self, after, n):
        """n consecutive unanswered seqs, all > after."""
        with self._lock:
            u = sorted(s for s in self.unanswered if s > after and s not in self.replied)
        run = 1
        for a, b in zip(u, u[1:]):
            run = run + 1 if b == a + 1 else 1
            if run >= n:
                return True
        return n <= 1 and bool(u)

    def stop(self):
        stop_pid(self.proc, signal.SIGINT, timeout=5)
        self._t.join(timeout=5)
