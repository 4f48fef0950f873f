"""[log]: level and destination for wyvernd's and DPDK's messages.

With destination = file:PATH everything (our lines with a timestamp and
level, DPDK's as they are) goes to the file, nothing to the console; net_tap's
expected first-configure refusal and qdisc complaints are replaced by one
explanation each.  Bad [log]/[metrics] lines fail with FILE:LINE.
"""
import os
import re
import subprocess

import pytest

import rig


def start_with(extra, n=2):
    r = rig.TapRig(n)
    base = r.wy.config_text
    r.wy.config_text = lambda: base() + extra
    return r


def test_file_destination_info(tmp_path):
    path = str(tmp_path / "wyvernd-file.log")
    r = start_with("[log]\nlevel = info\ndestination = file:%s\n" % path)
    with r:
        assert r.wy.ctl("show", "ports", json=True)["ports"]
        text = open(path).read()
        console = r.wy.log_text()
    assert "wyvernd: ready:" in text, text
    assert " info    wyvernd: port vm1 is dp port 0" in text, text
    assert "EAL: " in text                       # DPDK's lines follow [log] too
    assert "wyvernd: ready:" not in console and "EAL: " not in console, console
    # the tap queue-count refusal is explained, not shown as an error
    assert "must be equal to number of tx queues" not in text, text
    assert "dev_configure = -1" not in text, text
    assert "port vm1: the driver refused unequal rx/tx queue counts" in text, text
    assert "port vm2: the driver refused unequal rx/tx queue counts" in text, text
    assert "Could not add multiq qdisc" not in text and "qdisc kind is unknown" not in text
    # shutting down is logged too (SIGTERM by the rig)
    assert "wyvernd: shutting down" in open(path).read()


def test_sighup_reopens_file(tmp_path):
    """logrotate moves the file away, SIGHUP makes wyvernd write to a new one
    at the same path; the daemon keeps running."""
    import signal
    import time
    path = str(tmp_path / "wyvernd-rot.log")
    r = start_with("[log]\nlevel = info\ndestination = file:%s\n" % path, n=1)
    with r:
        assert r.wy.ctl("show", "ports", json=True)["ports"]
        os.rename(path, path + ".1")
        os.kill(r.wy.proc.pid, signal.SIGHUP)
        deadline = time.time() + 10
        while not os.path.exists(path) and time.time() < deadline:
            time.sleep(0.05)
        assert os.path.exists(path), "no new log file after SIGHUP"
        assert r.wy.alive()
        assert r.wy.ctl("show", "ports", json=True)["ports"]
    new, old = open(path).read(), open(path + ".1").read()
    assert "log file reopened (SIGHUP)" in new, new
    assert "wyvernd: shutting down" in new and "shutting down" not in old, (old, new)
    assert "wyvernd: ready:" in old and "ready:" not in new


def test_level_error_keeps_info_out(tmp_path):
    path = str(tmp_path / "wyvernd-err.log")
    r = start_with("[log]\nlevel = error\ndestination = file:%s\n" % path, n=1)
    with r:
        assert r.wy.ctl("show", "ports", json=True)["ports"]
        text = open(path).read()
    assert "ready:" not in text and "EAL: Detected" not in text and "USER1" not in text, text


def test_default_is_console(tmp_path):
    r = start_with("", n=1)
    with r:
        console = r.wy.log_text()
    assert "wyvernd: ready:" in console
    assert "must be equal to number of tx queues" not in console


BASE = "[eal]\nargs = --no-huge -m 512\n"


@pytest.mark.parametrize("extra,line,msg", [
    ("[log]\nlevel = loud\n", 5, "level must be"),
    ("[log]\ndestination = file:relative.log\n", 5, "destination must be"),
    ("[log]\ndestination = journal\n", 5, "destination must be"),
    ("[log]\ncolour = red\n", 5, "unknown key"),
    ("[metrics]\nlisten = localhost\n", 5, "listen must be"),
    ("[metrics]\nlisten = 127.0.0.1:99999\n", 5, "listen must be"),
    ("[metrics]\nport = 9464\n", 5, "unknown key 'port' in [metrics]"),
])
def test_bad_lines(tmp_path, extra, line, msg):
    path = tmp_path / "bad.conf"
    path.write_text(BASE + "\n" + extra)
    r = subprocess.run([rig.wyvernd_bin(), "-c", str(path), "--check-config"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 2, r
    assert "%s:%d:" % (path, line) in r.stderr and msg in r.stderr, r.stderr


def test_good_lines_check(tmp_path):
    path = tmp_path / "good.conf"
    path.write_text(BASE + "[log]\nlevel = debug\ndestination = syslog\n"
                    "[metrics]\nlisten = [::1]:9464\n")
    r = subprocess.run([rig.wyvernd_bin(), "-c", str(path), "--check-config"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 0, r.stderr


SYSLOG_RUN = r"""set -e
mount --make-rprivate /
mkdir -p {d}/olddev
mount --bind /dev {d}/olddev
mount -t tmpfs none /dev
for n in null zero urandom random; do touch /dev/$n; mount --bind {d}/olddev/$n /dev/$n; done
mkdir /dev/shm && mount --bind {d}/olddev/shm /dev/shm
{py} -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
f = open(sys.argv[1], "ab", buffering=0)
while True:
    f.write(s.recv(65536) + b"\n")
' {d}/syslog.txt &
R=$!
i=0; while [ ! -e {d}/syslog.txt.ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
{wyvernd} -c {d}/wy.conf > {d}/console.txt 2>&1 &
W=$!
i=0; while ! grep -q "ready:" {d}/syslog.txt && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
kill $W; wait $W || true
kill $R
"""


def test_syslog_destination(tmp_path):
    """In a private mount namespace /dev/log is our own datagram socket (the
    host's /dev is untouched): wyvernd's and DPDK's lines arrive there, each
    at its priority (facility daemon: <30> info, <28> warning), none on the console."""
    d = str(tmp_path)
    prefix = "wyt%d-sl%d" % (os.getpid(), rig.uniq())
    (tmp_path / "wy.conf").write_text(
        "[eal]\nargs = --no-huge --no-pci\nmemory-mb = 256\nfile-prefix = %s\nlcores = 0,1\n"
        "[dp]\npmd-lcores = 1\nmbufs = 4096\n[mgmt]\nsocket = %s/wy.sock\n"
        "[port.n1]\ndevargs = net_null0,no-rx=1\n[log]\ndestination = syslog\n" % (prefix, d))
    (tmp_path / "run.sh").write_text(SYSLOG_RUN.format(d=d, py=rig.PY, wyvernd=rig.wyvernd_bin()))
    try:
        r = rig.sh(["unshare", "-m", "sh", str(tmp_path / "run.sh")], check=False, timeout=90)
    finally:
        rig.sh(["rm", "-rf", "/var/run/dpdk/%s" % prefix], check=False)
    text = (tmp_path / "syslog.txt").read_text() if (tmp_path / "syslog.txt").exists() else ""
    assert r.returncode == 0, r.stdout + r.stderr + text
    assert re.search(r"^<30>.* wyvernd\[\d+\]: ready: 1 ports", text, re.M), text
    assert re.search(r"^<30>.* wyvernd\[\d+\]: EAL: Detected", text, re.M), text
    assert "shutting down" in text
    assert (tmp_path / "console.txt").read_text() == ""
