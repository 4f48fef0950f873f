#!/usr/bin/python3
"""Control-plane benchmark topology generator (see scripts/bench/README.md).

    cp_gen.py N OUTDIR CHASSIS

Writes, for N ports:
  OUTDIR/wy.tsv      one wyvern northbound object per line: "TYPE<TAB>JSON"
                     (model JSON without dp_key/revision_number; cp_load fills them)
  OUTDIR/ovn.json    the same topology as ONE OVN_Northbound "transact" (JSON-RPC params)
  OUTDIR/meta.json   sizes, expected held counts, the ids/MACs the bench needs

Topology (deterministic):
  networks  = max(1, N/50), each with one IPv4 subnet 10.(i>>8).(i&255).0/24,
              gateway .1; ports 50 per network, fixed IP .10 + j.
  routers   = ceil(networks/10): router r has an interface (.1) on networks
              10r .. 10r+9 and, except the last, a chain interface (.2) on
              network 10r+10, so every network is reachable from every other.
  sgs       = max(1, N/100), 5 rules each (ssh, http range, icmp, dns from the
              group itself, egress any); port p is in sg p % sgs.
  binding   = the first port of every network is bound to CHASSIS (2% of the
              ports); the others to remote chassis cp-remote-0..7 (wyvern
              chassis objects with a VTEP).  The bench gives wyvernd / OVS two
              dp ports, carrying port 0 (network 0) and the first port of the
              last network.
"""
import json
import sys


def uid(kind, i):
    return "%08x-0000-4000-8000-%012x" % (kind, i)


K_NET, K_SUB, K_PORT, K_RTR, K_SG, K_RULE, K_CH = 1, 2, 3, 4, 5, 6, 7
N_REMOTE = 8
PER_NET = 50


def mac_of(p):
    return "fa:16:3e:%02x:%02x:%02x" % ((p >> 16) & 255, (p >> 8) & 255, p & 255)


def net_prefix(i):
    return "10.%d.%d" % (i >> 8, i & 255)


def main():
    n, out, chassis = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    nets = max(1, n // PER_NET)
    if nets > 65536:
        sys.exit("too many networks")
    routers = (nets + 9) // 10
    sgs = max(1, n // 100)

    def net_of(p):
        return min(p // PER_NET, nets - 1)

    def ip_of(p):
        # ports beyond nets*50 (N not a multiple of 50) go to the last network
        j = p - net_of(p) * PER_NET
        return "%s.%d" % (net_prefix(net_of(p)), 10 + j)

    local_ports = [0, (nets - 1) * PER_NET]
    if local_ports[1] == local_ports[0]:
        local_ports = [0]

    # ---------------------------------------------------------------- wyvern
    with open(out + "/wy.tsv", "w") as f:
        def put(t, o):
            f.write(t + "\t" + json.dumps(o, separators=(",", ":")) + "\n")

        for c in range(N_REMOTE):
            put("chassis", {"id": uid(K_CH, c), "name": "cp-remote-%d" % c,
                            "vtep_ip": "192.0.2.%d" % (10 + c), "encap_types": ["vxlan"]})
        for i in range(nets):
            put("network", {"id": uid(K_NET, i), "name": "net%d" % i,
                            "provider:network_type": "vxlan",
                            "provider:segmentation_id": 1000 + i})
            put("subnet", {"id": uid(K_SUB, i), "name": "sub%d" % i,
                           "network_id": uid(K_NET, i), "ip_version": 4,
                           "cidr": net_prefix(i) + ".0/24",
                           "gateway_ip": net_prefix(i) + ".1", "enable_dhcp": False})
        for s in range(sgs):
            rules = [
                {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
                 "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"},
                {"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
                 "port_range_min": 80, "port_range_max": 443, "remote_ip_prefix": "10.0.0.0/8"},
                {"direction": "ingress", "ethertype": "IPv4", "protocol": "icmp"},
                {"direction": "ingress", "ethertype": "IPv4", "protocol": "udp",
                 "port_range_min": 53, "port_range_max": 53, "remote_group_id": uid(K_SG, s)},
                {"direction": "egress", "ethertype": "IPv4"},
            ]
            for k, r in enumerate(rules):
                r["id"] = uid(K_RULE, s * 5 + k)
            put("security_group", {"id": uid(K_SG, s), "name": "sg%d" % s,
                                   "security_group_rules": rules})
        for r in range(routers):
            ifs = []
            for i in range(10 * r, min(10 * r + 10, nets)):
                ifs.append({"subnet_id": uid(K_SUB, i), "ip_address": net_prefix(i) + ".1"})
            if 10 * r + 10 < nets:
                i = 10 * r + 10
                ifs.append({"subnet_id": uid(K_SUB, i), "ip_address": net_prefix(i) + ".2"})
            put("router", {"id": uid(K_RTR, r), "name": "r%d" % r, "interfaces": ifs})
        for p in range(n):
            i = net_of(p)
            host = chassis if p % PER_NET == 0 else "cp-remote-%d" % (p % N_REMOTE)
            put("port", {"id": uid(K_PORT, p), "name": "p%d" % p,
                         "network_id": uid(K_NET, i), "mac_address": mac_of(p),
                         "fixed_ips": [{"subnet_id": uid(K_SUB, i), "ip_address": ip_of(p)}],
                         "security_groups": [uid(K_SG, p % sgs)],
                         "device_owner": "compute:nova", "device_id": "vm%d" % p,
                         "binding:host_id": host})

    # ------------------------------------------------------------------- OVN
    ops = []
    sw_ports = [[] for _ in range(nets)]
    for p in range(n):
        sw_ports[net_of(p)].append(p)
    pg_ports = [[] for _ in range(sgs)]
    for p in range(n):
        pg_ports[p % sgs].append("p%d" % p)

    def nu(name):
        return ["named-uuid", name]

    def oset(items):
        return ["set", items]

    for p in range(n):
        a = "%s %s" % (mac_of(p), ip_of(p))
        ops.append({"op": "insert", "table": "Logical_Switch_Port", "uuid-name": "p%d" % p,
                    "row": {"name": "p%d" % p, "addresses": a, "port_security": a}})
    rsp = [[] for _ in range(nets)]
    lrps = [[] for _ in range(routers)]
    for r in range(routers):
        members = [(i, ".1") for i in range(10 * r, min(10 * r + 10, nets))]
        if 10 * r + 10 < nets:
            members.append((10 * r + 10, ".2"))
        for i, last in members:
            lrp = "rp%d_%d" % (r, i)
            lsp = "rsp%d_%d" % (r, i)
            k = r * 16 + (i - 10 * r)
            mac = "fa:16:3f:%02x:%02x:%02x" % ((k >> 16) & 255, (k >> 8) & 255, k & 255)
            ops.append({"op": "insert", "table": "Logical_Router_Port", "uuid-name": lrp,
                        "row": {"name": lrp, "mac": mac,
                                "networks": net_prefix(i) + last + "/24"}})
            ops.append({"op": "insert", "table": "Logical_Switch_Port", "uuid-name": lsp,
                        "row": {"name": lsp, "type": "router", "addresses": "router",
                                "options": ["map", [["router-port", lrp]]]}})
            rsp[i].append(lsp)
            lrps[r].append(lrp)
        ops.append({"op": "insert", "table": "Logical_Router",
                    "row": {"name": "r%d" % r, "ports": oset([nu(x) for x in lrps[r]])}})
    for i in range(nets):
        ports = [nu("p%d" % p) for p in sw_ports[i]] + [nu(x) for x in rsp[i]]
        ops.append({"op": "insert", "table": "Logical_Switch",
                    "row": {"name": "net%d" % i, "ports": oset(ports)}})
    for s in range(sgs):
        pg = "pg_%d" % s
        m_out, m_in = "outport == @%s && ip4" % pg, "inport == @%s && ip4" % pg
        acls = [
            ("to-lport", m_out + " && tcp.dst == 22"),
            ("to-lport", m_out + " && ip4.src == 10.0.0.0/8 && tcp.dst >= 80 && tcp.dst <= 443"),
            ("to-lport", m_out + " && icmp4"),
            ("to-lport", m_out + " && ip4.src == $%s_ip4 && udp.dst == 53" % pg),
            ("from-lport", m_in),
        ]
        names = []
        for k, (d, m) in enumerate(acls):
            nm = "acl%d_%d" % (s, k)
            names.append(nm)
            ops.append({"op": "insert", "table": "ACL", "uuid-name": nm,
                        "row": {"direction": d, "priority": 1002, "match": m,
                                "action": "allow-related"}})
        ops.append({"op": "insert", "table": "Port_Group",
                    "row": {"name": pg, "ports": oset([nu(x) for x in pg_ports[s]]),
                            "acls": oset([nu(x) for x in names])}})
    # Neutron's default drop for ports with security groups
    for k, (d, m) in enumerate([("to-lport", "outport == @pg_drop && ip"),
                                ("from-lport", "inport == @pg_drop && ip")]):
        ops.append({"op": "insert", "table": "ACL", "uuid-name": "dropacl%d" % k,
                    "row": {"direction": d, "priority": 1001, "match": m, "action": "drop"}})
    ops.append({"op": "insert", "table": "Port_Group",
                "row": {"name": "pg_drop", "ports": oset([nu("p%d" % p) for p in range(n)]),
                        "acls": oset([nu("dropacl0"), nu("dropacl1")])}})
    with open(out + "/ovn.json", "w") as f:
        json.dump(["OVN_Northbound"] + ops, f, separators=(",", ":"))

    # ------------------------------------------------------------------ meta
    # the port the change phase modifies: a remote port in network 0
    victim = 1 if n > 1 else 0
    meta = {
        "n": n, "networks": nets, "subnets": nets, "routers": routers, "sgs": sgs,
        "remote_chassis": N_REMOTE,
        # everything is reachable through the router chain: the host holds all
        "expect_held": {"network": nets, "subnet": nets, "port": n, "router": routers,
                        "security_group": sgs, "chassis": N_REMOTE + 1},
        "local_ports": [{"id": uid(K_PORT, p), "name": "p%d" % p, "mac": mac_of(p),
                         "ip": ip_of(p)} for p in local_ports],
        "victim": {"id": uid(K_PORT, victim), "name": "p%d" % victim, "mac": mac_of(victim),
                   "ip": ip_of(victim), "network": uid(K_NET, net_of(victim)),
                   "security_group": uid(K_SG, victim % sgs), "host": "cp-remote-0"},
    }
    with open(out + "/meta.json", "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
