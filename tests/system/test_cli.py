"""wyctl for a newcomer: help without a daemon, typo suggestions, global
options anywhere, JSON errors, the database traps (a locked embedded
database names its holder and is reached through it, a read creates
nothing, a write creates its directories), trace defaults, link state of
moved taps, the idle `show pmd`, and `show topology` against the northbound.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile

import pytest

import rig
from test_ctrl import CtrlWyvern, chassis_name, cleanup_all, nb, work  # noqa: F401


def env(**kw):
    e = dict(os.environ)
    e.pop("WYVERN_DB", None)
    # no daemon answers here unless a test says so
    e["WYVERN_SOCKET"] = "/nonexistent/wyt-no-daemon.sock"
    e.update(kw)
    return e


def wyctl(*args, timeout=30, **kw):
    return rig.sh([rig.wyctl_bin()] + [str(a) for a in args], check=False, timeout=timeout,
                  env=env(**kw))


# ---------------------------------------------------------------- no daemon

def test_help_lists_every_command_without_a_daemon():
    r = wyctl("help")
    assert r.returncode == 0, r.stderr
    for words in ("show ports", "show pmd", "show topology", "trace", "dump megaflows",
                  "capture", "port add", "network create", "port create",
                  "security-group delete", "router create"):
        assert "\n  " + words in r.stdout, words
    # arguments and a description for each
    assert "trace PORT FLOW | PORT --hex HEXBYTES" in r.stdout
    assert "run a packet through the pipeline" in r.stdout
    assert wyctl("--help").stdout == r.stdout
    one = wyctl("help", "network", "create")
    assert one.returncode == 0 and "usage: wyctl network create" in one.stdout
    assert "--mtu" in one.stdout or "--provider" in one.stdout, one.stdout  # the nb options
    # `COMMAND --help` is the same as `help COMMAND`
    assert wyctl("network", "create", "--help").stdout == one.stdout
    group = wyctl("help", "show")
    assert group.returncode == 0 and "show ports" in group.stdout and "port add" not in group.stdout
    v = wyctl("--version")
    assert v.returncode == 0 and v.stdout.startswith("wyctl ")
    v = rig.sh([rig.wyvernd_bin(), "--version"], check=False)
    assert v.returncode == 0 and v.stdout.startswith("wyvernd ")


def test_typo_gets_a_suggestion_and_json_errors_are_json():
    r = wyctl("shwo", "ports")
    assert r.returncode == 2
    assert "Did you mean 'wyctl show ports'?" in r.stderr, r.stderr
    r = wyctl("show", "prots", "--json")
    assert r.returncode == 2
    o = json.loads(r.stdout)
    assert o["ok"] is False and o["usage"] is True and o["suggestion"] == "show ports"
    r = wyctl("help", "nosuchthing", "--json")
    assert r.returncode == 2 and json.loads(r.stdout)["ok"] is False
    # a daemon that is not there: still JSON
    r = wyctl("--json", "show", "pmd")
    assert r.returncode == 1
    o = json.loads(r.stdout)
    assert o["ok"] is False and "cannot talk to wyvernd" in o["error"]


def test_a_read_creates_no_database_and_a_write_makes_its_directories(tmp_path):
    path = tmp_path / "a" / "b" / "db"
    r = wyctl("--db", "rocksdb:%s" % path, "network", "list")
    assert r.returncode == 1 and "no database at" in r.stderr, r.stderr
    assert not (tmp_path / "a").exists()
    r = wyctl("network", "list", "--json", "--db", "rocksdb:%s" % path)
    assert r.returncode == 1 and "no database at" in json.loads(r.stdout)["error"]
    assert not (tmp_path / "a").exists()
    # a write creates the parents, like wyvernd does for its replica
    r = wyctl("network", "create", "blue", "--db", "rocksdb:%s" % path)
    assert r.returncode == 0, r.stderr
    r = wyctl("--json", "network", "list", "--db", "rocksdb:%s" % path)
    assert r.returncode == 0 and [n["name"] for n in json.loads(r.stdout)] == ["blue"]
    # a northbound validation error under --json is JSON too
    r = wyctl("subnet", "create", "s", "--network", "blue", "--cidr", "10.0.0.0/33", "--json",
              "--db", "rocksdb:%s" % path)
    assert r.returncode != 0
    o = json.loads(r.stdout)
    assert o["ok"] is False and "cidr" in o["error"].lower()


def test_config_checks_catch_what_cannot_start(tmp_path):
    cases = [
        ("[eal]\nargs = --no-huge --no-pci\n[dp]\nmbufs = 16384\n", 2, "too small"),
        ("[dp]\npmd-lcores = 1,1\n", 2, "listed twice"),
        ("[port.vm1]\ndevargs = net_null0\niface-id = vm1\n", 3, "not a UUID"),
        ("[port.vm1]\ndevargs = net_null0\n[ctrl]\nvtep-ip = 192.0.2.1\nuplink = up\n", 5,
         "uplink 'up' is no [port.up]"),
    ]
    for text, line, want in cases:
        conf = tmp_path / "c.conf"
        conf.write_text(text)
        r = rig.sh([rig.wyvernd_bin(), "-c", str(conf), "--check-config"], check=False)
        assert r.returncode == 2, (text, r.stdout, r.stderr)
        assert "%s:%d:" % (conf, line) in r.stderr and want in r.stderr, (text, r.stderr)


# ---------------------------------------------------------------- one daemon

@pytest.fixture
def static_daemon():
    wy = rig.Wyvern([("p1", "net_null0,no-rx=1"), ("p2", "net_null1,no-rx=1")]).start()
    try:
        yield wy
    finally:
        wy.stop()


def test_global_options_anywhere_and_trace_defaults(static_daemon):
    wy = static_daemon
    for argv in (["show", "pmd", "--json", "-s", wy.sock],
                 ["--json", "show", "-s", wy.sock, "pmd"],
                 ["-s", wy.sock, "show", "pmd", "--json"]):
        r = wyctl(*argv)
        assert r.returncode == 0, (argv, r.stderr)
        assert "pmds" in json.loads(r.stdout) or isinstance(json.loads(r.stdout), dict)
    # an idle PMD: no per-packet figure out of idle time
    r = wyctl("show", "pmd", "-s", wy.sock)
    assert "processing cycles/packet: -" in r.stdout, r.stdout
    wy.ctl("network", "add", "1")
    wy.ctl("lport", "add", "1", "--network", "1", "--mac", "02:00:00:00:00:01", "--ip",
           "10.0.0.1", "--port", "p1")
    wy.ctl("lport", "add", "2", "--network", "1", "--mac", "02:00:00:00:00:02", "--ip",
           "10.0.0.2", "--port", "p2")
    flow = "ip,eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:02,ip_src=10.0.0.1,ip_dst=10.0.0.2"
    r = wyctl("trace", "p1", flow, "-s", wy.sock)
    assert r.returncode == 0, r.stderr
    assert "defaulted (not in the flow given): ip_ttl=64" in r.stdout, r.stdout
    assert "output" in r.stdout and "expire" not in r.stdout, r.stdout
    r = wyctl("--json", "trace", "p1", flow + ",ip_ttl=9", "-s", wy.sock)
    assert json.loads(r.stdout)["defaulted"] == ""
    # tags by name, not numbers
    r = wyctl("-s", wy.sock, "trace", "p1", flow)
    assert "lport:1" in r.stdout and "dpport:0" in r.stdout and "?:" not in r.stdout
    # a daemon error under --json is JSON
    r = wyctl("--json", "-s", wy.sock, "trace", "nosuchport", flow)
    assert r.returncode != 0 and json.loads(r.stdout)["ok"] is False


def test_moved_tap_link_is_reported_as_the_namespace_sees_it_or_unknown():
    ifc = rig.ifname("t")
    wy = rig.Wyvern([("vm1", "net_tap0,iface=%s" % ifc)]).start()
    ns = None
    try:
        ns = rig.Namespace()
        ns.adopt(ifc, "02:00:00:00:00:01", "10.0.0.1/24")
        port = wy.ctl("show", "ports", json=True)["ports"][0]
        assert port["link"] in ("up", "unknown"), port
        assert "down" not in [l.split()[4] for l in wy.ctl("show", "ports").stdout.splitlines()[1:]]
    finally:
        wy.stop()
        if ns:
            ns.delete()


# ---------------------------------------------------------------- the database

def test_locked_database_is_reached_through_its_daemon_or_named(work, cleanup_all):
    url = "rocksdb:%s/central" % work
    nb(url, "network", "create", "blue")
    wy = CtrlWyvern([("p1", "net_null0,no-rx=1", None)],
                    {"db": url, "chassis": chassis_name("lock"), "replica": work + "/replica"})
    wy.start()
    wy.wait_connected()
    # no -s: wyctl finds the process holding the database and goes through it
    r = wyctl("--db", url, "network", "create", "red")
    assert r.returncode == 0, r.stderr
    r = wyctl("--db", url, "--json", "network", "list")
    assert r.returncode == 0, r.stderr
    assert sorted(n["name"] for n in json.loads(r.stdout)) == ["blue", "red"]
    # its socket gone: the message names the daemon and its pid
    moved = wy.sock + ".moved"
    os.rename(wy.sock, moved)
    try:
        r = wyctl("--db", url, "network", "list")
        assert r.returncode == 1
        assert "is held by wyvernd (pid %d)" % wy.proc.pid in r.stderr, r.stderr
        assert "-s SOCKET" in r.stderr
    finally:
        os.rename(moved, wy.sock)


def test_show_topology_matches_the_northbound(work, cleanup_all):
    url = "rocksdb:%s/central" % work
    ch = chassis_name("topo")
    nb(url, "network", "create", "blue")
    nb(url, "subnet", "create", "s1", "--network", "blue", "--cidr", "10.9.1.0/24")
    nb(url, "network", "create", "red")
    nb(url, "subnet", "create", "s2", "--network", "red", "--cidr", "10.9.2.0/24")
    p1 = nb(url, "port", "create", "vm1", "--network", "blue", "--host", ch)
    p2 = nb(url, "port", "create", "vm2", "--network", "red", "--host", "elsewhere")
    nb(url, "router", "create", "r", "--add-subnet", "s1", "--add-subnet", "s2")
    wy = CtrlWyvern([("p1", "net_null0,no-rx=1", p1["id"])],
                    {"db": url, "chassis": ch, "replica": work + "/replica"})
    wy.start()
    wy.wait_connected()

    def held():
        t = wy.ctl("show", "topology", json=True)
        return t if len(t["networks"]) == 2 and t["routers"] else None
    topo = rig.wait_for(held, timeout=20, what="topology with two networks and a router")
    nets = {n["id"]: n for n in json.loads(wy.wy("--json", "network", "list").stdout)}
    subnets = {s["id"]: s for s in json.loads(wy.wy("--json", "subnet", "list").stdout)}
    ports = {p["id"]: p for p in json.loads(wy.wy("--json", "port", "list").stdout)}
    routers = json.loads(wy.wy("--json", "router", "list").stdout)
    assert {n["id"] for n in topo["networks"]} == set(nets)
    for n in topo["networks"]:
        assert n["name"] == nets[n["id"]]["name"]
        for s in n["subnets"]:
            assert subnets[s["id"]]["cidr"] == s["cidr"]
            assert subnets[s["id"]]["network_id"] == n["id"]
        for p in n["ports"]:
            want = ports[p["id"]]
            assert want["network_id"] == n["id"] and want["mac_address"] == p["mac_address"]
            assert p["ips"] == [f["ip_address"] for f in want["fixed_ips"]]
    by_id = {p["id"]: p for n in topo["networks"] for p in n["ports"]}
    assert by_id[p1["id"]]["binding"] == "bound here to p1"
    assert by_id[p2["id"]]["binding"] == "remote" and by_id[p2["id"]]["host"] == "elsewhere"
    assert [r["id"] for r in topo["routers"]] == [r["id"] for r in routers]
    assert sorted(i["subnet_id"] for i in topo["routers"][0]["interfaces"]) == sorted(subnets)
    text = wy.ctl("show", "topology").stdout
    assert "network blue" in text and "router r" in text and "bound here to p1" in text
