"""wyctl capture: pcapng of a dp port's rx/tx written by wyvernd, read by tshark.

One daemon for the module (ports vm1, vm2 in namespaces, one network, port
security on).  The capture request answers when its packets are written; the
control thread keeps serving other requests meanwhile.
"""
import re
import json
import os
import signal
import subprocess
import tempfile
import time

import pytest

import rig


@pytest.fixture(scope="module")
def tap2():
    with rig.TapRig(2) as r:
        t = rig.Topo(r.wy, r.ns)
        t.network(1)
        for i in (1, 2):
            t.lport(10 + i, 1, r.mac(i), ips=[r.ip(i)], port="vm%d" % i)
        r.ns[0].ping(r.ip(2), count=1)   # ARP settled
        yield r
        t.teardown()


def tshark(path, *fields, extra=()):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=|"] + list(extra)
    for f in fields:
        cmd += ["-e", f]
    r = rig.sh(cmd, timeout=60)
    return [line.split("|") for line in r.stdout.splitlines() if line.strip()]


def _interruptible():
    # Ctrl-C reaches a foreground wyctl: a runner started in the background
    # by a shell without job control (`cmd &`) passes SIGINT on ignored
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def capture_popen(wy, *args):
    cmd = [rig.wyctl_bin(), "-s", wy.sock, "--json", "capture"] + [str(a) for a in args]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=_interruptible)
    rig.CLEANUP.add(lambda: rig.stop_pid(p, signal.SIGTERM, timeout=5))
    return p


def tmpfile(suffix=".pcapng"):
    fd, path = tempfile.mkstemp(prefix="wyt%d-" % rig.RUN_ID, suffix=suffix)
    os.close(fd)
    rig.CLEANUP.add(lambda: os.path.exists(path) and os.unlink(path))
    return path


def test_capture_ping_readable_by_tshark(tap2):
    a = tap2.ns[0]
    path = tmpfile()
    ping = a.popen(["ping", "-n", "-i", "0.1", "-c", "60", tap2.ip(2)])
    res = tap2.wy.ctl("capture", "vm1", "-c", 5, "-w", path, "--timeout", 20, json=True,
                      timeout=40)
    out, _ = ping.communicate(timeout=60)
    r = res
    assert r["packets"] == 5 and r["stopped"] == "count reached", r
    assert r["file"] == path and r["port"] == "vm1"
    rows = tshark(path, "icmp.type", "frame.interface_name", "frame.interface_description",
                  "frame.time_epoch")
    assert len(rows) == 5, rows
    # timestamps are wall-clock (DPDK 22.11's own conversion is centuries off)
    assert all(abs(float(row[3]) - time.time()) < 3600 for row in rows), rows
    types = {row[0] for row in rows}
    assert types <= {"0", "8"} and types, rows          # echo requests / replies
    assert all(row[1] == "vm1" for row in rows), rows
    assert all("vm1" in row[2] for row in rows), rows
    # the summary in the reply agrees with the file
    assert [p["dir"] for p in r["summary"]] and all("icmp" in p["flow"] or "ip_proto=1" in p["flow"]
                                                    for p in r["summary"]), r["summary"]
    # forwarding went on during the capture.  Not "0% loss": on a loaded
    # 2-core machine a ping or two can time out, and tests never assert timing.
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    assert m and int(m.group(2)) >= int(m.group(1)) // 2, out


def test_capture_directions_and_filter(tap2):
    a = tap2.ns[0]
    path = tmpfile()
    ping = a.popen(["ping", "-n", "-i", "0.1", "-c", "60", tap2.ip(2)])
    # vm1 receives the requests (type 8) from its VM; it sends the replies
    res = tap2.wy.ctl("capture", "vm1", "-c", 3, "-w", path, "--direction", "rx",
                      "--filter", "icmp", "--timeout", 20, json=True, timeout=40)
    assert res["packets"] == 3
    assert [r[0] for r in tshark(path, "icmp.type")] == ["8"] * 3
    res = tap2.wy.ctl("capture", "vm1", "-c", 3, "-w", path, "--direction", "tx",
                      "--filter", "icmp,icmp_type=0", "--timeout", 20, json=True, timeout=40)
    assert res["packets"] == 3
    rows = tshark(path, "icmp.type", "ip.src", "ip.dst")
    assert rows == [["0", tap2.ip(2), tap2.ip(1)]] * 3, rows
    rig.stop_pid(ping)


def test_filter_matching_nothing_captures_nothing(tap2):
    a = tap2.ns[0]
    path = tmpfile()
    ping = a.popen(["ping", "-n", "-i", "0.1", "-c", "30", tap2.ip(2)])
    t0 = time.monotonic()
    res = tap2.wy.ctl("capture", "vm1", "-c", 5, "-w", path, "--filter", "udp,tp_dst=9",
                      "--timeout", 2, json=True, timeout=40)
    r = res
    assert r["packets"] == 0 and r["stopped"] == "timeout", r
    assert r["filtered"] > 0, r                  # it saw the pings and rejected them
    assert time.monotonic() - t0 >= 1.5
    assert tshark(path, "frame.number") == []
    # the file is a valid pcapng naming the port even when empty
    info = rig.sh(["capinfos", path]).stdout
    assert "vm1" in info, info
    rig.stop_pid(ping)


def test_control_thread_serves_during_capture(tap2):
    wy = tap2.wy
    p = capture_popen(wy, "vm2", "-c", 1, "--filter", "udp,tp_dst=9", "--timeout", 30)
    time.sleep(0.5)
    # other requests are answered while the capture waits
    for _ in range(3):
        assert wy.ctl("show", "ports", json=True)["ports"]
    assert p.poll() is None, p.communicate()
    # a second capture is refused while one runs
    r = wy.ctl("capture", "vm1", "-c", 1, "--timeout", 1, check=False)
    assert r.returncode != 0 and "already running" in (r.stdout + r.stderr)
    # the client goes away (Ctrl-C): the capture ends, a new one may start
    p.send_signal(signal.SIGINT)
    p.wait(timeout=10)

    def can_start():
        r = wy.ctl("capture", "vm1", "-c", 1, "--filter", "udp,tp_dst=9", "--timeout", 1,
                   check=False)
        return r.returncode == 0
    rig.wait_for(can_start, timeout=15, interval=0.3, what="the abandoned capture to end")
    assert wy.alive()


def test_without_file_lists_packets(tap2):
    a = tap2.ns[0]
    ping = a.popen(["ping", "-n", "-i", "0.1", "-c", "40", tap2.ip(2)])
    r = tap2.wy.ctl("capture", "vm2", "-c", 4, "--filter", "icmp", "--timeout", 20, timeout=40)
    assert "capture on vm2" in r.stdout and "4 packets" in r.stdout, r.stdout
    lines = [l for l in r.stdout.splitlines() if l.startswith("  ")]
    assert len(lines) == 4 and all("ip_proto=1" in l for l in lines), r.stdout
    rig.stop_pid(ping)


@pytest.mark.parametrize("args,msg", [
    (["nosuchport"], "no port"),
    (["vm1", "--filter", "udp,colour=red"], "bad --filter"),
    (["vm1", "--direction", "up"], "--direction"),
    (["vm1", "-c", "0"], "-c"),
    (["vm1", "-w", "/nonexistent-dir/x.pcapng"], "cannot write"),
])
def test_bad_arguments(tap2, args, msg):
    r = tap2.wy.ctl("capture", *args, check=False)
    assert r.returncode != 0 and msg in (r.stdout + r.stderr), r
    assert tap2.wy.ctl("show", "ports", json=True)["ports"]
