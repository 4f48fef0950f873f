#!/usr/bin/python3
"""Generate the conntrack benchmark pcaps for the OVS-DPDK side of ct.sh.

Usage: gen_ct_pcap.py new OUT.pcap NCONNS
       gen_ct_pcap.py snat OUT.pcap NCONNS
       gen_ct_pcap.py establish OUT.pcap NCONNS
       gen_ct_pcap.py lookup OUT.pcap NCONNS NPACKETS [--seed S]

The tuples are those of dp/ct_bench.c (wyvern's side): connection i is UDP
10.(1 + (i >> 22)).(i >> 14).(i >> 6):(1024 + (i & 63)) -> 10.0.0.2:80, its
reply the reverse.  64-byte frames (60 before the FCS).
  new        every connection's first packet, once each (ct-new)
  snat       the same clients, each to its own server so that every
             (server, client port) pair is distinct and a SNAT to one
             address can keep every client port: connection i goes to
             198.(18 + (i >> 22)).(i >> 14).(i >> 6):80 (snat-new)
  establish  every connection's packet, then its reply (so OVS sees both
             directions: established)
  lookup     NPACKETS packets of random connections in random directions
             (ct-lookup; Python's random with a fixed seed)
"""
import argparse
import random
import struct
import sys

from gen_pcap import ETH_LEN, FRAME_LEN, IP_LEN, ones_sum

SRV = bytes([10, 0, 0, 2])
MAC_C = bytes.fromhex("020000000001")
MAC_S = bytes.fromhex("020000000002")


def client(i):
    return bytes([10, (1 + (i >> 22)) & 255, (i >> 14) & 255, (i >> 6) & 255]), 1024 + (i & 63)


def server(i, snat):
    if not snat:
        return SRV
    return bytes([198, 18 + ((i >> 22) & 1), (i >> 14) & 255, (i >> 6) & 255])


def frame(i, reply, snat=False):
    cip, cport = client(i)
    srv = server(i, snat)
    src, dst = (srv, cip) if reply else (cip, srv)
    sport, dport = (80, cport) if reply else (cport, 80)
    eth = (MAC_C if reply else MAC_S) + (MAC_S if reply else MAC_C) + b"\x08\x00"
    udp_len = FRAME_LEN - ETH_LEN - IP_LEN
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, IP_LEN + udp_len, 0, 0, 64, 17, 0,
                               src, dst))
    struct.pack_into("!H", ip, 10, (~ones_sum(bytes(ip))) & 0xFFFF)
    udp = bytearray(struct.pack("!HHHH", sport, dport, udp_len, 0) + b"\0" * (udp_len - 8))
    total = ones_sum(src + dst + struct.pack("!BBH", 0, 17, udp_len)) + ones_sum(bytes(udp))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    struct.pack_into("!H", udp, 6, ((~total) & 0xFFFF) or 0xFFFF)
    return eth + bytes(ip) + bytes(udp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=("new", "snat", "establish", "lookup"))
    ap.add_argument("out")
    ap.add_argument("nconns", type=int)
    ap.add_argument("npackets", type=int, nargs="?", default=0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if not 1 <= a.nconns <= (1 << 23 if a.kind == "snat" else 1 << 24):
        ap.error("nconns out of range")
    if a.kind == "lookup" and a.npackets < 1:
        ap.error("lookup needs NPACKETS")
    rng = random.Random(a.seed)
    if a.kind in ("new", "snat"):
        seq = ((i, False) for i in range(a.nconns))
    elif a.kind == "establish":
        seq = ((i, r) for i in range(a.nconns) for r in (False, True))
    else:
        seq = ((rng.randrange(a.nconns), rng.random() < 0.5) for _ in range(a.npackets))
    n = 0
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        rec = struct.pack("<IIII", 0, 0, FRAME_LEN, FRAME_LEN)
        for i, reply in seq:
            f.write(rec)
            f.write(frame(i, reply, a.kind == "snat"))
            n += 1
    print("gen_ct_pcap: %s: %s, %d connections, %d frames" % (a.out, a.kind, a.nconns, n),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
