"""Security-group rules as objects, the project's default group and port
security off, end to end: wyctl (on the database, then through wyvernd) ->
central RocksDB -> wyvernd's controller -> the datapath's ACLs -> traffic
between three namespaces.

- `security-group rule create|list|show|delete`: each rule its own object;
  bad input gives a clear message and exit code, and writes nothing.
- vm1 and vm2 are created without a group: they get the project's default
  group (created on first use, Neutron's four rules).  So vm1 <-> vm2 pass
  (ingress from a member of the same group), vm3 -> vm1 unsolicited is
  refused, vm1 -> vm3 passes and its replies come back.
- vm3 has port security off: no group, no filtering (any port answers).
- `show security-groups` shows what is installed: vm1 and vm2 with the
  default group, its rule ids, the address set with both members; not vm3.
- A rule created through the daemon opens vm3 -> vm1 ping; deleting it
  closes it again.
"""
import json
import os
import time

import rig
from test_ctrl import CtrlWyvern, chassis_name, cleanup_all, nb, work  # noqa: F401
from test_secgroups import nc_connect, nc_listen


def state(url):
    """Everything the northbound holds (to prove a failed command wrote nothing)."""
    return {t: nb(url, t, "list") for t in ("security-group", "port")} | {
        "rules": nb(url, "security-group", "rule", "list")}


def test_rules_default_group_port_security(work, cleanup_all):  # noqa: F811
    url = "rocksdb:%s/db" % work
    ch = chassis_name("sgr")
    nb(url, "network", "create", "blue")
    nb(url, "subnet", "create", "blue-v4", "--network", "blue", "--cidr", "10.0.0.0/24")

    # ---- rule objects through wyctl, on the database ----
    web = nb(url, "security-group", "create", "web", "--no-default-rules")
    assert web["security_group_rules"] == []
    r = nb(url, "security-group", "rule", "create", "web", "--protocol", "tcp",
           "--dst-port", "22", "--remote-ip", "10.0.0.0/24", "--description", "ssh")
    assert r["security_group_id"] == web["id"] and r["direction"] == "ingress"
    assert r["ethertype"] == "IPv4" and r["protocol"] == "tcp"
    assert (r["port_range_min"], r["port_range_max"]) == (22, 22)
    assert r["remote_ip_prefix"] == "10.0.0.0/24" and r["description"] == "ssh"
    icmp = nb(url, "security-group", "rule", "create", "web", "--egress", "--ethertype",
              "IPv6", "--protocol", "icmpv6", "--icmp-type", "128", "--icmp-code", "0")
    assert (icmp["port_range_min"], icmp["port_range_max"]) == (128, 0)
    listed = nb(url, "security-group", "rule", "list", "--group", "web")
    assert [x["id"] for x in listed] == [r["id"], icmp["id"]]
    assert nb(url, "security-group", "rule", "show", r["id"]) == r
    shown = nb(url, "security-group", "show", "web")
    assert [x["id"] for x in shown["security_group_rules"]] == [r["id"], icmp["id"]]

    # bad input: clear message, exit code, nothing written
    before = state(url)
    bad = [
        (["--ethertype", "IPv6", "--remote-ip", "10.0.0.0/8"], 1,
         "remote_ip_prefix: 10.0.0.0/8 does not match ethertype IPv6"),
        (["--protocol", "tcp", "--dst-port", "30:20"], 1,
         "port_range_min 30 is greater than port_range_max 20"),
        (["--protocol", "gre", "--dst-port", "5"], 1, "ports need protocol tcp, udp"),
        (["--protocol", "tcp", "--icmp-type", "3"], 2,
         "--icmp-type/--icmp-code need --protocol icmp or icmpv6"),
        (["--protocol", "bogus"], 1, "protocol: unknown protocol 'bogus'"),
        (["--protocol", "tcp", "--dst-port", "22", "--remote-ip", "10.0.0.0/24"], 1,
         "already has this rule: %s" % r["id"]),
        (["--remote-group", "nosuchgroup"], 1, "no security-group with id or name"),
        (["--sideways"], 2, "unknown option --sideways"),
    ]
    for args, rc, msg in bad:
        res = nb(url, "security-group", "rule", "create", "web", *args, check=False)
        assert res.returncode == rc, (args, res.returncode, res.stdout, res.stderr)
        assert msg in res.stdout, (args, res.stdout)   # --json: the error on stdout
    res = nb(url, "security-group", "rule", "delete", "not-a-uuid", check=False)
    assert res.returncode == 2 and "is not a rule id" in res.stdout, res.stdout
    assert state(url) == before
    nb(url, "security-group", "rule", "delete", icmp["id"])
    res = nb(url, "security-group", "rule", "show", icmp["id"], check=False)
    assert res.returncode == 1 and "does not exist" in res.stdout, res.stdout

    # ---- ports: no group -> the project's default group; port security off ----
    ports = {}
    for i in (1, 2):
        ports["vm%d" % i] = nb(url, "port", "create", "vm%d" % i, "--network", "blue",
                               "--host", ch, "--fixed-ip", "subnet=blue-v4,ip=10.0.0.1%d" % i)
    groups = {g["name"]: g for g in nb(url, "security-group", "list")}
    default = groups["default"]
    assert ports["vm1"]["security_groups"] == [default["id"]]
    assert ports["vm2"]["security_groups"] == [default["id"]]
    rules = default["security_group_rules"]
    assert sorted((x["direction"], x["ethertype"], x["remote_group_id"]) for x in rules) == [
        ("egress", "IPv4", None), ("egress", "IPv6", None),
        ("ingress", "IPv4", default["id"]), ("ingress", "IPv6", default["id"])]
    before = state(url)
    res = nb(url, "port", "create", "x", "--network", "blue", "--no-port-security",
             "--security-group", "web", check=False)
    assert res.returncode == 1, res.stdout
    assert "port security disabled cannot have security groups" in res.stdout
    assert state(url) == before
    ports["vm3"] = nb(url, "port", "create", "vm3", "--network", "blue", "--host", ch,
                      "--no-port-security", "--fixed-ip", "subnet=blue-v4,ip=10.0.0.13")
    assert ports["vm3"]["security_groups"] == []
    # the default group is in use by the ports
    res = nb(url, "security-group", "delete", "default", check=False)
    assert res.returncode == 1 and "is in use by port" in res.stdout, res.stdout

    # ---- wyvernd ----
    taps = [rig.ifname("t") for _ in range(3)]
    wy = CtrlWyvern([("vm%d" % i, "net_tap%d,iface=%s" % (i - 1, taps[i - 1]),
                      ports["vm%d" % i]["id"]) for i in (1, 2, 3)],
                    dict(db=url, chassis=ch, replica=os.path.join(work, "replica"))).start()
    wy.wait_connected(True)
    rig.wait_for(lambda: wy.ctrl()["held"]["port"] == 3, what="3 ports held")
    st = wy.ctrl()
    assert st["bad_now"] == 0 and st["table_errors"] == 0, st
    ns = []
    for i in (1, 2, 3):
        n = rig.Namespace()
        n.adopt(taps[i - 1], ports["vm%d" % i]["mac_address"], "10.0.0.1%d/24" % i)
        ns.append(n)
    for i in range(3):
        for j in range(3):
            if i != j:
                ns[i].run(["ip", "neigh", "replace", "10.0.0.1%d" % (j + 1), "lladdr",
                           ports["vm%d" % (j + 1)]["mac_address"], "dev", taps[i],
                           "nud", "permanent"])

    # show security-groups: what is installed
    sg = wy.ctl("show", "security-groups", json=True)
    by_name = {p["name"]: p for p in sg["ports"]}
    assert sorted(by_name) == ["vm1", "vm2"], sg        # vm3: port security off
    vm1 = by_name["vm1"]
    assert vm1["port"] == ports["vm1"]["id"] and vm1["stateful"] is True
    assert vm1["groups"] == [{"id": default["id"], "name": "default"}]
    assert 0 < vm1["zone"] <= 65535 and vm1["zone"] != by_name["vm2"]["zone"]
    ids_in = {x["rule_id"] for x in vm1["rules"]["ingress"]["IPv4"]}
    ids_out = {x["rule_id"] for x in vm1["rules"]["egress"]["IPv4"]}
    want_in = [x for x in rules if x["direction"] == "ingress" and x["ethertype"] == "IPv4"]
    want_out = [x for x in rules if x["direction"] == "egress" and x["ethertype"] == "IPv4"]
    assert want_in[0]["id"] in ids_in and want_out[0]["id"] in ids_out, vm1["rules"]
    rs = [x for x in vm1["rules"]["ingress"]["IPv4"] if x["rule_id"] == want_in[0]["id"]][0]
    assert rs["remote_set"] == default["dp_key"], rs
    sets = {s["set"]: s for s in sg["address_sets"]}
    assert sets[default["dp_key"]]["group"] == default["id"]
    assert sorted(sets[default["dp_key"]]["members"]) == ["10.0.0.11/32", "10.0.0.12/32"]
    one = wy.ctl("show", "security-groups", "--port", "vm2", json=True)
    assert [p["name"] for p in one["ports"]] == ["vm2"]
    text = wy.ctl("show", "security-groups", "--port", "vm1").stdout
    assert "port vm1" in text and "default (%s)" % default["id"] in text, text
    assert want_in[0]["id"] in text and "10.0.0.12/32" in text, text
    res = wy.ctl("show", "security-groups", "--port", "vm3", check=False)
    assert res.returncode == 1 and "no port 'vm3'" in res.stderr, res.stderr

    # default group: vm1 <-> vm2 (ingress from a member of the group)
    rig.wait_for(lambda: ns[0].ping("10.0.0.12", count=1, interval=0.2).returncode == 0,
                 timeout=20, interval=0.2, what="ping vm1 -> vm2 (same default group)")
    assert ns[1].ping("10.0.0.11", count=2, interval=0.2).returncode == 0
    nc_listen(ns[1], 2222, "hello-vm2")
    time.sleep(0.3)
    assert rig.wait_for(lambda: nc_connect(ns[0], "10.0.0.12", 2222) == "hello-vm2" or None,
                        timeout=20, interval=0.2, what="vm1 -> vm2 tcp 2222")
    # unsolicited ingress from outside the group: refused
    before_drops = wy.drops("acl-deny")
    r3 = ns[2].ping("10.0.0.11", count=2, interval=0.2)
    assert r3.returncode != 0, r3.stdout
    rig.wait_for(lambda: wy.drops("acl-deny") >= before_drops + 2, what="acl-deny drops +2")
    nc_listen(ns[0], 2222, "hello-vm1")
    time.sleep(0.3)
    assert nc_connect(ns[2], "10.0.0.11", 2222) == ""
    # egress from vm1 and the replies: pass; vm3 is not filtered (any port)
    nc_listen(ns[2], 4444, "hello-vm3")
    time.sleep(0.3)
    assert ns[0].ping("10.0.0.13", count=2, interval=0.2).returncode == 0
    assert rig.wait_for(lambda: nc_connect(ns[0], "10.0.0.13", 4444) == "hello-vm3" or None,
                        timeout=20, interval=0.2, what="vm1 -> vm3 tcp 4444")
    # vm3 has no ACL, so no zone: only vm1's and vm2's zones hold connections
    zones = {by_name["vm1"]["zone"], by_name["vm2"]["zone"]}
    assert not [p for p in wy.ctl("show", "conntrack", json=True)["connections"]
                if p["zone"] not in zones]

    # a rule created through the daemon: vm3 may ping vm1; deleted: refused again
    rule = wy.wy("--json", "security-group", "rule", "create", "default", "--protocol", "icmp",
                 "--remote-ip", "10.0.0.13/32")
    rule = json.loads(rule.stdout)
    rig.wait_for(lambda: ns[2].ping("10.0.0.11", count=1, interval=0.2).returncode == 0,
                 timeout=20, interval=0.2, what="ping vm3 -> vm1 after the rule")
    text = wy.ctl("show", "security-groups", "--port", "vm1").stdout
    assert rule["id"] in text, text
    wy.wy("security-group", "rule", "delete", rule["id"])
    rig.wait_for(lambda: rule["id"] not in wy.ctl("show", "security-groups").stdout,
                 timeout=20, interval=0.2, what="the rule gone from show security-groups")
    r3 = ns[2].ping("10.0.0.11", count=2, interval=0.2)
    assert r3.returncode != 0, r3.stdout
