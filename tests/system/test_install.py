"""`meson install` into a DESTDIR: the tree an operator gets.

Installs $WYV_BUILD (with the prefix/sysconfdir it was configured with) into a
fresh DESTDIR and checks: the two programs (wyvernd in sbin, wyctl in bin) run
from there without the build tree; the three man pages render with man/groff
without warnings; the example configuration is conf/wyvernd.conf and passes
the installed wyvernd's --check-config; the systemd unit points at the
installed program and config and has what a DPDK daemon needs.
"""
import configparser
import filecmp
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

import rig

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def meson_dirs(build):
    """{prefix, bindir, sbindir, mandir, sysconfdir, datadir} as absolute paths."""
    r = rig.sh(["meson", "introspect", "--buildoptions", build])
    opts = {o["name"]: o["value"] for o in json.loads(r.stdout)}
    prefix = opts["prefix"]
    return {k: prefix if k == "prefix" else os.path.join(prefix, opts[k])
            for k in ("prefix", "bindir", "sbindir", "mandir", "sysconfdir", "datadir")}


@pytest.fixture(scope="module")
def installed():
    build = rig.build_dir()
    dest = tempfile.mkdtemp(prefix="wyt%d-dest-" % rig.RUN_ID)
    rig.CLEANUP.add(lambda: shutil.rmtree(dest, ignore_errors=True))
    r = rig.sh(["meson", "install", "-C", build, "--no-rebuild", "--destdir", dest],
               check=False, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    dirs = meson_dirs(build)
    yield dest, dirs, lambda p: os.path.join(dest, p.lstrip("/"))


def test_tree(installed):
    dest, d, at = installed
    want = [
        (d["sbindir"], "wyvernd"), (d["bindir"], "wyctl"), (d["sbindir"], "wyvern-api"),
        (d["mandir"], "man8/wyvernd.8"), (d["mandir"], "man8/wyctl.8"),
        (d["mandir"], "man8/wyvern-api.8"),
        (d["mandir"], "man5/wyvernd.conf.5"),
        (d["sysconfdir"], "wyvern/wyvernd.conf.example"),
        (d["prefix"], "lib/systemd/system/wyvernd.service"),
        (d["datadir"], "doc/wyvern/README.md"),
    ]
    for base, rel in want:
        assert os.path.isfile(at(os.path.join(base, rel))), (base, rel, sorted(
            os.path.relpath(os.path.join(p, f), dest) for p, _, fs in os.walk(dest) for f in fs))
    for prog in (at(os.path.join(d["sbindir"], "wyvernd")), at(os.path.join(d["bindir"], "wyctl"))):
        assert os.access(prog, os.X_OK), prog
    # nothing else: no test programs, no static libraries, no headers
    files = sorted(os.path.relpath(os.path.join(p, f), dest)
                   for p, _, fs in os.walk(dest) for f in fs)
    assert len(files) == len(want), files
    assert filecmp.cmp(at(os.path.join(d["sysconfdir"], "wyvern/wyvernd.conf.example")),
                       os.path.join(REPO, "conf", "wyvernd.conf"), shallow=False)


def test_installed_programs_run(installed):
    dest, d, at = installed
    wyvernd = at(os.path.join(d["sbindir"], "wyvernd"))
    wyctl = at(os.path.join(d["bindir"], "wyctl"))
    r = rig.sh([wyvernd, "--help"], check=False)
    assert r.returncode == 0 and "usage: wyvernd" in r.stdout, r.stdout + r.stderr
    conf = at(os.path.join(d["sysconfdir"], "wyvern/wyvernd.conf.example"))
    r = rig.sh([wyvernd, "-c", conf, "--check-config"], check=False)
    assert r.returncode == 0 and "configuration OK" in r.stdout + r.stderr, r.stdout + r.stderr
    # wyctl's usage, with no daemon at this socket (0 once help needs no daemon; 2 before)
    sock = os.path.join(dest, "nobody.sock")
    r = rig.sh([wyctl, "-s", sock, "--help"], check=False)
    assert r.returncode in (0, 2), r.stdout + r.stderr
    assert "usage: wyctl" in r.stdout + r.stderr, r.stdout + r.stderr
    # a northbound command runs from the installed wyctl alone (its own database)
    db = "rocksdb:" + os.path.join(dest, "db")
    r = rig.sh([wyctl, "--db", db, "--json", "network", "create", "blue"], check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["name"] == "blue"


def plain(text):
    """Terminal output without overstrike (bold "N\\bN", underline "_\\bx")."""
    return re.sub(".\b", "", text)


@pytest.mark.parametrize("page", ["man8/wyvernd.8", "man8/wyctl.8", "man5/wyvernd.conf.5"])
def test_man_pages_render(installed, page):
    dest, d, at = installed
    path = at(os.path.join(d["mandir"], page))
    name = os.path.basename(path).rsplit(".", 1)[0].upper()
    if shutil.which("groff"):
        r = rig.sh(["groff", "-man", "-Tutf8", "-ww", path], check=False)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        text = plain(r.stdout)
        assert name in text and "NAME" in text and "SEE ALSO" in text, text[:500]
    if shutil.which("man"):
        r = rig.sh(["man", "-l", path], check=False, env=dict(os.environ, MANPAGER="cat",
                                                               PAGER="cat", MANWIDTH="80"))
        assert r.returncode == 0, r.stderr
        text = plain(r.stdout)
        assert name in text and "SYNOPSIS" in text, text[:500]
    if not shutil.which("groff") and not shutil.which("man"):
        pytest.skip("neither groff nor man installed")


def test_systemd_unit(installed):
    dest, d, at = installed
    unit = at(os.path.join(d["prefix"], "lib/systemd/system/wyvernd.service"))
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str
    cp.read(unit)
    s = cp["Service"]
    conf = os.path.join(d["sysconfdir"], "wyvern", "wyvernd.conf")
    wyvernd = os.path.join(d["sbindir"], "wyvernd")
    assert s["Type"] == "simple"
    assert s["ExecStart"] == "%s -c %s" % (wyvernd, conf)
    assert s["ExecStartPre"] == "%s -c %s --check-config" % (wyvernd, conf)
    assert s["RuntimeDirectory"] == "wyvern"     # /run/wyvern: the default socket's dir
    assert s["StateDirectory"] == "wyvern"       # /var/lib/wyvern: databases, replica
    assert s["Restart"] == "on-failure"
    assert s["LimitMEMLOCK"] == "infinity"
    # malloc is tuned by wyvernd itself (ctrl/main/malloc_tune.c), not the unit
    assert "Environment" not in s
    assert cp["Install"]["WantedBy"] == "multi-user.target"
    assert cp["Unit"]["ConditionPathExists"] == conf
    # the paths the unit names are the ones the install created (under DESTDIR)
    assert os.access(at(wyvernd), os.X_OK)
    assert os.path.isfile(at(conf + ".example"))
    # and the default socket of the config is under the RuntimeDirectory
    with open(at(conf + ".example")) as f:
        assert "socket = /run/wyvern/wyvernd.sock" in f.read()


def test_make_install_honours_destdir_and_prefix():
    """`make install DESTDIR=D` installs under D (the build's own prefix); PREFIX=P
    reconfigures meson's prefix first (checked with make -n, to leave the shared
    build dir's prefix alone)."""
    src = os.path.realpath(rig.build_dir())
    dest = tempfile.mkdtemp(prefix="wyt%d-mkdest-" % rig.RUN_ID)
    rig.CLEANUP.add(lambda: shutil.rmtree(dest, ignore_errors=True))
    r = subprocess.run(["make", "-C", REPO, "install", "BUILD=%s" % src, "DESTDIR=%s" % dest],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:]
    d = meson_dirs(src)
    for path in (os.path.join(d["sbindir"], "wyvernd"), os.path.join(d["bindir"], "wyctl"),
                 os.path.join(d["prefix"], "lib/systemd/system/wyvernd.service")):
        assert os.path.isfile(os.path.join(dest, path.lstrip("/"))), (path, r.stdout[-2000:])
    r = subprocess.run(["make", "-n", "-C", REPO, "install", "BUILD=%s" % src, "PREFIX=/usr",
                        "DESTDIR=%s" % dest],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert r.returncode == 0, r.stdout
    assert "meson configure %s -Dprefix=/usr" % src in r.stdout, r.stdout
    assert "meson install -C %s --no-rebuild --destdir %s" % (src, dest) in r.stdout, r.stdout
