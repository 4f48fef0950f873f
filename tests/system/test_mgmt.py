"""The management socket: who may connect and run what, and that no client
and no northbound write can stall the control thread.

1. access: the socket is 0660 root:[mgmt] group; a user of that group gets
   answers for read-only commands and a clear "permission denied" for admin
   commands; a user of [mgmt] admin-group may run them; a user outside the
   group cannot connect.  Users and groups are made by the test (unique
   names) and removed at the end; commands run as them through setpriv.
2. blocking: clients trickling a byte a second do not delay `show pmd`;
   they get a timeout error once the whole-request deadline passes; an
   oversized request is refused.
3. a northbound write against a stopped (SIGSTOP) etcd runs on the worker:
   `show ctrl` answers and DHCP answers a namespace's dhclient meanwhile;
   the write completes once etcd continues.
4. `port add` refuses devargs that name files, unless allow-file-devargs.
"""
import json as jsonlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time

import pytest

import etcd
import rig
from test_ctrl import CtrlWyvern, chassis_name, nb, _env
from test_dhcp import DHCLIENT_CONF, SCRIPT, records, tool

SETPRIV = "/usr/bin/setpriv"


class MgmtWyvern(rig.Wyvern):
    """A Wyvern with extra [mgmt] keys."""

    def __init__(self, ports, mgmt=None, tmpdir=None):
        super().__init__(ports, tmpdir=tmpdir)
        self.mgmt = dict(mgmt or {})

    def config_text(self):
        extra = "".join("%s = %s\n" % kv for kv in self.mgmt.items())
        line = "socket = %s\n" % self.sock
        return super().config_text().replace(line, line + extra)


def _group(name):
    rig.sh(["groupadd", name])
    rig.CLEANUP.add(lambda: rig.sh(["groupdel", name], check=False))
    return int(rig.sh(["getent", "group", name]).stdout.split(":")[2])


def _user(name, groups):
    """A system user without home or login, member of groups (supplementary)."""
    cmd = ["useradd", "-M", "-N", "-r", "-s", "/usr/sbin/nologin"]
    if groups:
        cmd += ["-G", ",".join(groups)]
    rig.sh(cmd + [name])
    rig.CLEANUP.add(lambda: rig.sh(["userdel", name], check=False))
    return name


def as_user(user, cmd, timeout=20):
    """cmd as user: its uid, primary gid and supplementary groups."""
    gid = rig.sh(["id", "-g", user]).stdout.strip()
    return rig.sh([SETPRIV, "--reuid", user, "--regid", gid, "--init-groups"] + cmd,
                  check=False, timeout=timeout, env=_env())


@pytest.fixture(scope="module")
def access():
    tag = "%d" % rig.RUN_ID
    g_sock, g_adm = "wytg%s" % tag, "wyta%s" % tag
    gid_sock = _group(g_sock)
    _group(g_adm)
    reader = _user("wytr%s" % tag, [g_sock])
    admin = _user("wytd%s" % tag, [g_sock, g_adm])
    outsider = _user("wyto%s" % tag, [])
    d = tempfile.mkdtemp(prefix="wyt%d-mgmt-" % rig.RUN_ID)
    os.chmod(d, 0o755)   # others may reach the socket; its own mode decides
    wy = MgmtWyvern([("p0", "net_null0")], {"group": g_sock, "admin-group": g_adm},
                    tmpdir=d).start()

    class A:
        pass
    a = A()
    a.wy, a.reader, a.admin, a.outsider, a.gid, a.g_adm = wy, reader, admin, outsider, \
        gid_sock, g_adm
    yield a
    wy.stop()


def ctl_as(a, user, *args):
    return as_user(user, [rig.wyctl_bin(), "-s", a.wy.sock] + list(args))


def test_socket_mode_and_owner(access):
    st = os.stat(access.wy.sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660, oct(st.st_mode)
    assert st.st_uid == 0 and st.st_gid == access.gid, (st.st_uid, st.st_gid)


def test_reader_reads_but_cannot_change(access):
    r = ctl_as(access, access.reader, "show", "pmd")
    assert r.returncode == 0, r.stderr
    assert "pmd" in r.stdout.lower()
    r = ctl_as(access, access.reader, "--json", "show", "ports")
    assert r.returncode == 0 and jsonlib.loads(r.stdout)["ports"][0]["name"] == "p0"
    for cmd in (["cache", "flush"], ["network", "create", "x"], ["stats", "clear"],
                ["port", "del", "p0"], ["network", "add", "5"]):
        r = ctl_as(access, access.reader, *cmd)
        assert r.returncode != 0, (cmd, r.stdout)
        want = "permission denied: '%s' needs uid 0 or group %s" % (" ".join(cmd[:2]),
                                                                     access.g_adm)
        assert want in r.stderr, (cmd, r.stderr)
    # nothing happened: the port is still there
    assert "p0" in access.wy.port_ids()


def test_admin_group_may_change(access):
    r = ctl_as(access, access.admin, "cache", "flush")
    assert r.returncode == 0, r.stderr
    r = ctl_as(access, access.admin, "network", "add", "77", "--vni", "77")
    assert r.returncode == 0, r.stderr
    assert any(n["key"] == 77 for n in access.wy.ctl("show", "networks", json=True)["networks"])
    # a northbound write passes the check (and fails: this daemon has no db)
    r = ctl_as(access, access.admin, "network", "create", "x")
    assert "permission denied" not in r.stderr and "no database" in r.stderr, r.stderr


def test_outsider_cannot_connect(access):
    r = ctl_as(access, access.outsider, "show", "pmd")
    assert r.returncode != 0
    assert "Permission denied" in r.stderr, r.stderr
    probe = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
             "try:\n s.connect(%r)\nexcept PermissionError:\n sys.exit(13)\n" % access.wy.sock)
    assert as_user(access.outsider, [rig.PY, "-c", probe]).returncode == 13


HOG = r'''
import json, socket, sys, time
socks = []
for i in range(20):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    socks.append(s)
time.sleep(1.0)
refused = 0
for s in socks:
    s.settimeout(0.2)
    try:
        got = s.recv(4096)
    except socket.timeout:
        continue
    if b"too many connections from uid" in got:
        refused += 1
print(json.dumps({"refused": refused}), flush=True)
time.sleep(3)
'''


def test_one_user_cannot_take_every_slot(access):
    """A user holding idle connections gets at most 16 slots; root still answers."""
    gid = rig.sh(["id", "-g", access.reader]).stdout.strip()
    hog = subprocess.Popen([SETPRIV, "--reuid", access.reader, "--regid", gid,
                            "--init-groups", rig.PY, "-c", HOG, access.wy.sock],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = hog.stdout.readline()
        assert line, hog.stderr.read()
        assert jsonlib.loads(line)["refused"] == 4, line
        t0 = time.monotonic()
        r = ctl_as(access, access.admin, "show", "pmd")
        assert r.returncode == 0, r.stderr
        assert time.monotonic() - t0 < 2.0
    finally:
        hog.wait(timeout=20)


# ---------------------------------------------------------------- blocking

@pytest.fixture(scope="module")
def plain():
    wy = rig.Wyvern([("p0", "net_null0")]).start()
    yield wy
    wy.stop()


def _trickle(path, seconds, out):
    """Send a request one byte a second; record what the daemon answered."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.settimeout(0.05)
    got = b""
    body = b'{"argv":["show","pmd"]}' + b" " * 100
    start = time.monotonic()
    try:
        for i in range(seconds):
            try:
                s.send(body[i:i + 1])
            except OSError:
                break
            t_end = time.monotonic() + 1.0
            while time.monotonic() < t_end:
                try:
                    chunk = s.recv(4096)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                got += chunk
            if got.endswith(b"\n"):
                break
    finally:
        out.append((time.monotonic() - start, got))
        s.close()


def test_trickling_clients_delay_nobody(plain):
    out = []
    threads = [threading.Thread(target=_trickle, args=(plain.sock, 9, out)) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.5)
        for _ in range(3):
            t0 = time.monotonic()
            r = plain.ctl("show", "pmd")
            dt = time.monotonic() - t0
            assert r.returncode == 0
            assert dt < 2.0, "show pmd took %.2fs while clients trickle" % dt
            time.sleep(0.5)
    finally:
        for t in threads:
            t.join(20)
    # one deadline for the whole request (5 s), not one per recv
    assert len(out) == 4
    for took, got in out:
        reply = jsonlib.loads(got.decode())
        assert reply["ok"] is False and "not complete within 5 s" in reply["error"], reply
        assert took < 8.0, took


def test_oversized_request(plain):
    s = socket.socket(socket.AF_UNIX)
    s.connect(plain.sock)
    s.settimeout(10)
    try:
        s.sendall(b'{"argv":["' + b"x" * (70 * 1024))
    except OSError:
        pass   # the daemon may close before reading it all
    got = b""
    while not got.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()
    reply = jsonlib.loads(got.decode())
    assert reply["ok"] is False and "larger than 64 KiB" in reply["error"]
    assert plain.ctl("show", "pmd").returncode == 0


# ---------------------------------------------------------------- devargs

def test_port_add_file_devargs_refused(plain):
    r = plain.ctl("port", "add", "px", "net_pcap0,rx_pcap=/etc/passwd", check=False)
    assert r.returncode != 0
    assert "refused" in r.stderr and "rx_pcap" in r.stderr and \
        "allow-file-devargs" in r.stderr, r.stderr
    assert "px" not in plain.port_ids()
    # file-free devargs are fine
    r = plain.ctl("port", "add", "pn", "net_null7", check=False)
    assert r.returncode == 0, r.stderr
    plain.ctl("port", "del", "pn")


def test_port_add_file_devargs_allowed_by_config():
    from scapy.all import Ether, IP, UDP, wrpcap
    d = tempfile.mkdtemp(prefix="wyt%d-pcap-" % rig.RUN_ID)
    wy = MgmtWyvern([("p0", "net_null0")], {"allow-file-devargs": "true"}, tmpdir=d).start()
    try:
        src = os.path.join(d, "in.pcap")
        wrpcap(src, [Ether() / IP() / UDP()] * 3)
        dst = os.path.join(d, "out.pcap")
        r = wy.ctl("port", "add", "px", "net_pcap3,rx_pcap=%s,tx_pcap=%s" % (src, dst),
                   check=False)
        assert r.returncode == 0, r.stderr
        assert "px" in wy.port_ids()
        wy.ctl("port", "del", "px")
    finally:
        wy.stop()


# ---------------------------------------------------------------- northbound worker

@pytest.mark.skipif(not etcd.available(), reason="etcd not installed")
@pytest.mark.skipif(not tool("dhclient"), reason="dhclient not installed")
def test_nb_write_on_stopped_etcd_stalls_nothing():
    cl = etcd.EtcdCluster(1).start()
    m = cl.members[0]
    ch = chassis_name("mgmt")
    nb(cl.url, "network", "create", "mg")
    nb(cl.url, "subnet", "create", "mg-v4", "--network", "mg", "--cidr", "10.40.0.0/24",
       "--gateway", "10.40.0.1")
    port = nb(cl.url, "port", "create", "m1", "--network", "mg", "--host", ch,
              "--fixed-ip", "subnet=mg-v4,ip=10.40.0.11")
    tap = rig.ifname("m")
    d = tempfile.mkdtemp(prefix="wyt%d-mgnb-" % rig.RUN_ID)
    rig.CLEANUP.add(lambda: shutil.rmtree(d, ignore_errors=True))
    wy = CtrlWyvern([("m1", "net_tap0,iface=%s" % tap, port["id"])],
                    dict(db=cl.url, chassis=ch, replica=os.path.join(d, "replica")))
    wy.start()
    ns = None
    writer = None
    stopped = False
    try:
        wy.wait_connected(True)
        rig.wait_for(lambda: "m1" in wy.lports(), timeout=30, what="lport compiled")
        ns = rig.Namespace()
        ns.adopt(tap, port["mac_address"])
        os.kill(m.proc.pid, signal.SIGSTOP)
        stopped = True
        writer = subprocess.Popen([rig.wyctl_bin(), "-s", wy.sock, "network", "create",
                                   "late"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=_env())
        time.sleep(1.0)
        assert writer.poll() is None, "the write did not wait for the stopped etcd"
        for _ in range(3):
            t0 = time.monotonic()
            st = wy.ctrl()
            dt = time.monotonic() - t0
            assert dt < 2.0, "show ctrl took %.2fs during a northbound write" % dt
            assert st["chassis"] == ch
        # DHCP answers from the controller's held objects meanwhile
        sc = os.path.join(d, "dh.py")
        out = os.path.join(d, "dh.jsonl")
        with open(sc, "w") as f:
            f.write(SCRIPT % out)
        os.chmod(sc, 0o755)
        conf = os.path.join(d, "dhclient.conf")
        with open(conf, "w") as f:
            f.write(DHCLIENT_CONF)
        pidf = os.path.join(d, "dhclient.pid")
        try:
            r = ns.run(["dhclient", "-4", "-1", "-v", "-sf", sc, "-cf", conf, "-pf", pidf,
                        "-lf", os.path.join(d, "dhclient.leases"), ns.iface],
                       check=False, timeout=60)
        finally:
            ns.run(["dhclient", "-x", "-pf", pidf], check=False)
        bound = [e for e in records(out) if e.get("reason") in ("BOUND", "REBOOT")]
        assert bound and bound[-1]["new_ip_address"] == "10.40.0.11", \
            "%s%s\n%s" % (r.stdout, r.stderr, wy.ctl("show", "dhcp").stdout)
        assert writer.poll() is None, "the write finished while etcd was stopped"
        os.kill(m.proc.pid, signal.SIGCONT)
        stopped = False
        writer.wait(timeout=90)
        assert wy.alive()
        assert writer.returncode in (0, 1), (writer.returncode, writer.stderr.read())
    finally:
        if stopped:
            os.kill(m.proc.pid, signal.SIGCONT)
        if writer is not None and writer.poll() is None:
            writer.kill()
            writer.wait()
        wy.stop()
        if ns is not None:
            ns.delete()
