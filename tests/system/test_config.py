"""Configuration errors are reported as FILE:LINE: and exit status 2."""
import os
import subprocess

import pytest

import rig

BASE = """[eal]
args = --no-huge --no-pci
memory-mb = 512
file-prefix = {prefix}
lcores = 0,1
[dp]
pmd-lcores = 1
idle-sleep-max-us = 200
mbufs = 8192
[mgmt]
socket = {sock}
"""


def write_conf(tmp_path, extra):
    text = BASE.format(prefix="wytcfg%d-%d" % (os.getpid(), rig.uniq()),
                       sock=tmp_path / "wy.sock") + extra
    path = tmp_path / "wyvernd.conf"
    path.write_text(text)
    return str(path), len(BASE.splitlines())


def run_wyvernd(*args):
    # A bad config must fail before EAL starts; the timeout kills it if it did start.
    return subprocess.run([rig.wyvernd_bin()] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


def test_valid_config_checks_ok(tmp_path):
    path, _ = write_conf(tmp_path, "[port.vm1]\ndevargs = net_null0\n")
    r = run_wyvernd("-c", path, "--check-config")
    assert r.returncode == 0, r.stderr


CASES = [
    ("unknown key in port", "[port.vm1]\ndevargs = net_null0\ncolour = red\n", 3),
    ("not key=value", "[port.vm1]\nthis line is wrong\n", 2),
    ("unknown section", "[frobnicate]\n", 1),
    ("bad section header", "[port.vm1\n", 1),
    ("bad value", "[port.vm1]\ndevargs = net_null0\nrxqs = lots\n", 3),
    ("value out of range", "[port.vm1]\ndevargs = net_null0\nrxqs = 100000\n", 3),
    ("uplink names no port", "[port.vm1]\ndevargs = net_null0\n[ctrl]\nvtep-ip = 192.0.2.1\n"
     "uplink = eth9\n", 5),
    ("uplink without vtep-ip", "[port.up]\ndevargs = net_null0\n[ctrl]\nuplink = up\n", 4),
    ("underlay-mtu out of range", "[ctrl]\nunderlay-mtu = 100\n", 2),
]


@pytest.mark.parametrize("mode", ["check", "start"])
@pytest.mark.parametrize("name,extra,line", CASES, ids=[c[0] for c in CASES])
def test_bad_config_line(tmp_path, name, extra, line, mode):
    path, base_lines = write_conf(tmp_path, extra)
    args = ["-c", path] + (["--check-config"] if mode == "check" else [])
    r = run_wyvernd(*args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    want = "%s:%d:" % (path, base_lines + line)
    assert want in r.stderr, "expected %r in stderr: %r" % (want, r.stderr)


@pytest.mark.parametrize("key,val", [("idle-sleep-max-us", "soon"), ("idle-sleep-max-us", "-5"),
                                     ("frobnicate", "1"), ("mbufs", "12"),
                                     ("pmd-lcores", "one")])
def test_bad_dp_key_reports_its_line(tmp_path, key, val):
    path, _ = write_conf(tmp_path, "")
    lines = [l for l in open(path).read().splitlines() if not l.startswith(key + " ")]
    at = lines.index("[dp]") + 1
    lines.insert(at, "%s = %s" % (key, val))
    open(path, "w").write("\n".join(lines) + "\n")
    r = run_wyvernd("-c", path, "--check-config")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "%s:%d:" % (path, at + 1) in r.stderr, r.stderr


def test_missing_config_file(tmp_path):
    r = run_wyvernd("-c", str(tmp_path / "nope.conf"), "--check-config")
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "nope.conf" in r.stderr
