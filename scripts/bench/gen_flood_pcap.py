#!/usr/bin/python3
"""Write a pcap of N 64-byte frames that are all new flows: random unicast
source MAC and IPv4 source, random unicast destination MAC, UDP to 10.0.0.2
(the flood of the flood-isolation benchmark, scripts/bench/mflow.sh).

Usage: gen_flood_pcap.py OUT.pcap N [--seed S]
Reproducible for a given seed (default 1).
"""
import argparse
import random
import struct


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)

    def mac():
        b = bytearray(rnd.getrandbits(48).to_bytes(6, "big"))
        b[0] = (b[0] & 0xfc) | 0x02
        return bytes(b)

    with open(a.out + ".tmp", "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(a.n):
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, 0, 0, 64, 17, 0,
                             rnd.getrandbits(32).to_bytes(4, "big"), bytes([10, 0, 0, 2]))
            frame = (mac() + mac() + b"\x08\x00" + ip +
                     struct.pack("!HHHH", 1024 + i % 1000, 9, 26, 0) + bytes(18))
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(frame), len(frame)))
            f.write(frame)
    import os
    os.replace(a.out + ".tmp", a.out)


if __name__ == "__main__":
    main()
