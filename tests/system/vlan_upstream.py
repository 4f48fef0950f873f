"""An upstream router on a VLAN of the wire, played by scapy: this kernel
has no 8021q module (tests/rig-notes.md), so no VLAN device can carry a
namespace's own stack.

start() runs a responder in a namespace on its end of the uplink veth: it
answers ARP requests for the router's address and ICMP echo requests to it,
both only when tagged with the VLAN, with tagged frames.  probe() asks, from
there, tagged, for a floating IP: its ARP answer and an echo reply."""
import json

import rig

RESPONDER = r"""
import sys
from scapy.all import ARP, ICMP, IP, Dot1Q, Ether, conf, sniff
iface, mac, ip, vlan = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
out = conf.L2socket(iface=iface)

def answer(p):
    if Dot1Q not in p or p[Dot1Q].vlan != vlan or p[Ether].src == mac:
        return
    if ARP in p and p[ARP].op == 1 and p[ARP].pdst == ip:
        out.send(Ether(src=mac, dst=p[Ether].src) / Dot1Q(vlan=vlan) /
                 ARP(op=2, hwsrc=mac, psrc=ip, hwdst=p[ARP].hwsrc, pdst=p[ARP].psrc))
    elif IP in p and ICMP in p and p[IP].dst == ip and p[ICMP].type == 8:
        out.send(Ether(src=mac, dst=p[Ether].src) / Dot1Q(vlan=vlan) /
                 IP(src=ip, dst=p[IP].src) /
                 ICMP(type=0, id=p[ICMP].id, seq=p[ICMP].seq) / bytes(p[ICMP].payload))

print("ready", flush=True)
sniff(iface=iface, prn=answer, store=0)
"""

PROBE = r"""
import json, sys
from scapy.all import ARP, ICMP, IP, Dot1Q, Ether, srp1
iface, mac, ip, vlan, fip = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
res = {}
a = srp1(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=vlan) /
         ARP(op=1, hwsrc=mac, psrc=ip, pdst=fip), iface=iface, timeout=3, retry=2, verbose=0)
if a is not None and ARP in a:
    res["arp_mac"] = a[ARP].hwsrc
    res["arp_vlan"] = a[Dot1Q].vlan if Dot1Q in a else None
    e = srp1(Ether(src=mac, dst=a[ARP].hwsrc) / Dot1Q(vlan=vlan) / IP(src=ip, dst=fip) /
             ICMP(id=4242, seq=1) / b"vlan-probe", iface=iface, timeout=3, retry=2, verbose=0)
    if e is not None and IP in e:
        res["echo_src"] = e[IP].src
        res["echo_type"] = e[ICMP].type if ICMP in e else None
        res["echo_vlan"] = e[Dot1Q].vlan if Dot1Q in e else None
print(json.dumps(res))
"""


def start(ns, iface, mac, ip, vlan):
    p = ns.popen([rig.PY, "-c", RESPONDER, iface, mac, ip, str(vlan)])
    line = p.stdout.readline()
    assert line.strip() == "ready", (line, p.poll())
    return p


def probe(ns, iface, mac, ip, vlan, fip):
    r = ns.run([rig.PY, "-c", PROBE, iface, mac, ip, str(vlan), fip], timeout=60)
    return json.loads(r.stdout.strip().splitlines()[-1])
