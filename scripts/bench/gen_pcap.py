#!/usr/bin/python3
"""Generate the wyvern benchmark pcaps (64-byte UDP frames, VM A -> VM B).

Usage: gen_pcap.py OUT.pcap NFLOWS [--packets N] [--seed S]
                   [--src-mac M] [--dst-mac M] [--src-ip A] [--dst-ip A] [--ttl T]
                   [--reverse] [--arp-reply-to MAC]

By default every frame is 02:00:00:00:00:01 / 10.0.0.1 -> 02:00:00:00:00:02 /
10.0.0.2, TTL 64 (the L2 workloads of run.sh); the options change the
addresses, e.g. the routed workload of overlay.sh sends to the router MAC
and another subnet.  UDP, 60 bytes on the wire before the FCS (64 with it).
Flows differ only in the UDP source/destination ports:
    flow i: sport = 1024 + (i % 1000), dport = 5000 + (i // 1000)
so 1 flow, 1000 flows (one dport) and 100000 flows (100 dports) are all
distinct 5-tuples.  --reverse swaps the two ports (sport = 5000 + i // 1000,
dport = 1024 + i % 1000): with swapped addresses too, the file holds the
replies of the same flows (the bidirectional workload of l3sg.sh).
--arp-reply-to MAC puts one more frame first: an ARP reply from --src-mac /
--src-ip to MAC (fip.sh: the upstream router answering wyvern's next-hop
resolver, once per pass of the file; padded to 60 bytes too).  The file holds every flow once, in a shuffled but
reproducible order (fixed seed), repeated until it has at least --packets
frames (default: max(NFLOWS, 1024)), so that a 1-flow file still feeds whole
bursts.  Note that the pcap PMD with infinite_rx=1 keeps every frame of the
file in an mbuf for the whole run: the mbuf pool must be larger than the file.

scapy builds and checks one template frame; the per-flow frames are that
template with the two ports and the UDP checksum patched (scapy is too slow
to build 100k frames one by one).
"""

import argparse
import os
import random
import socket
import struct
import sys

from scapy.all import ARP, IP, UDP, Ether, Raw, raw  # type: ignore

SRC_MAC = "02:00:00:00:00:01"
DST_MAC = "02:00:00:00:00:02"
SRC_IP = "10.0.0.1"
DST_IP = "10.0.0.2"
FRAME_LEN = 60  # 64 bytes on the wire with the FCS
ETH_LEN = 14
IP_LEN = 20


def ones_sum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def template(src_mac: str, dst_mac: str, src_ip: str, dst_ip: str, ttl: int) -> bytes:
    hdr = Ether(src=src_mac, dst=dst_mac) / IP(src=src_ip, dst=dst_ip, ttl=ttl) / UDP(sport=1024, dport=5000)
    pad = FRAME_LEN - len(hdr)
    frame = raw(hdr / Raw(b"\x00" * pad))
    assert len(frame) == FRAME_LEN, len(frame)
    return frame


def flow_frame(tmpl: bytes, pseudo_sum: int, sport: int, dport: int) -> bytes:
    udp_off = ETH_LEN + IP_LEN
    udp = bytearray(tmpl[udp_off:])
    struct.pack_into("!HH", udp, 0, sport, dport)
    struct.pack_into("!H", udp, 6, 0)
    total = pseudo_sum + ones_sum(bytes(udp))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    csum = (~total) & 0xFFFF
    struct.pack_into("!H", udp, 6, csum or 0xFFFF)
    return tmpl[:udp_off] + bytes(udp)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("nflows", type=int)
    ap.add_argument("--packets", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--src-mac", default=SRC_MAC)
    ap.add_argument("--dst-mac", default=DST_MAC)
    ap.add_argument("--src-ip", default=SRC_IP)
    ap.add_argument("--dst-ip", default=DST_IP)
    ap.add_argument("--ttl", type=int, default=64)
    ap.add_argument("--reverse", action="store_true")
    ap.add_argument("--arp-reply-to", default="")
    args = ap.parse_args()
    if args.nflows < 1 or args.nflows > 1000 * 60000:
        ap.error("nflows out of range")
    if not 1 <= args.ttl <= 255:
        ap.error("ttl out of range")
    try:
        src_ip = socket.inet_aton(args.src_ip)
        dst_ip = socket.inet_aton(args.dst_ip)
    except OSError:
        ap.error("--src-ip/--dst-ip must be dotted IPv4 addresses")

    tmpl = template(args.src_mac, args.dst_mac, args.src_ip, args.dst_ip, args.ttl)
    udp_len = FRAME_LEN - ETH_LEN - IP_LEN
    pseudo = (
        src_ip
        + dst_ip
        + struct.pack("!BBH", 0, 17, udp_len)
    )
    pseudo_sum = ones_sum(pseudo)

    def ports(i):
        a, b = 1024 + i % 1000, 5000 + i // 1000
        return (b, a) if args.reverse else (a, b)
    flows = [flow_frame(tmpl, pseudo_sum, *ports(i)) for i in range(args.nflows)]
    rng = random.Random(args.seed)
    rng.shuffle(flows)

    # Cross-check the patched checksum path against scapy on a few frames.
    for frame in flows[:4]:
        pkt = Ether(frame)
        want = pkt[UDP].chksum
        del pkt[UDP].chksum
        if Ether(raw(pkt))[UDP].chksum != want or pkt[UDP].len != FRAME_LEN - ETH_LEN - IP_LEN:
            print("gen_pcap: UDP checksum mismatch", file=sys.stderr)
            return 1

    if args.arp_reply_to:
        arp = raw(Ether(src=args.src_mac, dst=args.arp_reply_to) /
                  ARP(op=2, hwsrc=args.src_mac, psrc=args.src_ip, hwdst=args.arp_reply_to,
                      pdst=args.dst_ip))
        flows.insert(0, arp + b"\x00" * (FRAME_LEN - len(arp)))
    npackets = max(args.packets or max(args.nflows, 1024), len(flows))
    tmp = args.out + ".tmp.%d" % os.getpid()
    with open(tmp, "wb") as f:
        # pcap global header: magic, v2.4, thiszone, sigfigs, snaplen, DLT_EN10MB
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        rec = struct.pack("<IIII", 0, 0, FRAME_LEN, FRAME_LEN)
        written = 0
        while written < npackets:
            for frame in flows:
                if written >= npackets:
                    break
                f.write(rec)
                f.write(frame)
                written += 1
    os.replace(tmp, args.out)
    print("gen_pcap: %s: %d flows, %d frames" % (args.out, args.nflows, npackets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
