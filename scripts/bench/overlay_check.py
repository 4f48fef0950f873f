#!/usr/bin/python3
"""Check the frames an overlay benchmark system sent out of its uplink.

Usage: overlay_check.py CAPTURE.pcap --outer-dst-mac M --outer-src-ip A
           --outer-dst-ip A --vni N --inner-src-mac M --inner-dst-mac M
           --inner-src-ip A --inner-dst-ip A --inner-ttl T [--max N]

overlay.sh captures the uplink (net_pcap tx_pcap instead of net_null) for a
moment and calls this.  Every frame must be IPv4/UDP/VXLAN to port 4789
with the expected outer addresses and VNI, carrying the routed inner frame
(router MAC -> VM B MAC, inner TTL decremented, UDP flow ports of
gen_pcap.py) with valid IPv4 and UDP checksums.  The outer UDP checksum may
be 0 (RFC 7348's SHOULD) or valid; the line says which.  A few frames that
are not VXLAN (e.g. ARP or IPv6 from a kernel interface) are tolerated and
counted (at most 1%).  The capture may end in a truncated record (the
writer was stopped while writing).

Prints one line "ok frames=N ..." (key=value facts: outer TTL, source MAC,
outer UDP source port spread, checksum mode, distinct inner flows) and
exits 0, or "bad: REASON" and exits 1.
"""

import argparse
import socket
import struct
import sys


def csum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def mac(b: bytes) -> str:
    return ":".join("%02x" % x for x in b)


def frames(path: str, limit: int):
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            endian = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            endian = ">"
        else:
            raise ValueError("not a pcap file (magic 0x%08x)" % magic)
        if struct.unpack(endian + "I", hdr[20:24])[0] != 1:
            raise ValueError("pcap link type is not Ethernet")
        n = 0
        while n < limit:
            rec = f.read(16)
            if len(rec) < 16:
                return
            caplen, wirelen = struct.unpack(endian + "II", rec[8:16])
            data = f.read(caplen)
            if len(data) < caplen:
                return  # truncated last record
            if caplen != wirelen:
                raise ValueError("frame %d captured %d of %d bytes" % (n, caplen, wirelen))
            yield data
            n += 1


def check_ip_udp(b: bytes, what: str, src: str, dst: str, ttl):
    """IPv4 header at b[0:], UDP after it. Returns (ttl, udp_off, ip_len)."""
    if len(b) < 28:
        raise ValueError("%s: short IPv4/UDP" % what)
    vihl, _tos, tot = struct.unpack("!BBH", b[:4])
    if vihl != 0x45:
        raise ValueError("%s: IPv4 version/IHL 0x%02x" % (what, vihl))
    if tot > len(b) or tot < 28:
        raise ValueError("%s: IPv4 total length %d, %d bytes present" % (what, tot, len(b)))
    frag = struct.unpack("!H", b[6:8])[0]
    if frag & 0x3FFF:
        raise ValueError("%s: fragment (0x%04x)" % (what, frag))
    if b[9] != 17:
        raise ValueError("%s: IP protocol %d, not UDP" % (what, b[9]))
    if csum16(b[:20]) != 0xFFFF:
        raise ValueError("%s: bad IPv4 header checksum" % what)
    s, d = socket.inet_ntoa(b[12:16]), socket.inet_ntoa(b[16:20])
    if (s, d) != (src, dst):
        raise ValueError("%s: IPv4 %s -> %s, want %s -> %s" % (what, s, d, src, dst))
    if ttl is not None and b[8] != ttl:
        raise ValueError("%s: TTL %d, want %d" % (what, b[8], ttl))
    udp = b[20:tot]
    ulen, ucs = struct.unpack("!HH", udp[4:8])
    if ulen != len(udp):
        raise ValueError("%s: UDP length %d, IP says %d" % (what, ulen, len(udp)))
    mode = "zero"
    if ucs != 0:
        pseudo = b[12:20] + struct.pack("!BBH", 0, 17, ulen)
        if csum16(pseudo + udp) != 0xFFFF:
            raise ValueError("%s: bad UDP checksum 0x%04x" % (what, ucs))
        mode = "valid"
    return b[8], udp, mode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pcap")
    ap.add_argument("--outer-dst-mac", required=True)
    ap.add_argument("--outer-src-ip", required=True)
    ap.add_argument("--outer-dst-ip", required=True)
    ap.add_argument("--vni", type=int, required=True)
    ap.add_argument("--inner-src-mac", required=True)
    ap.add_argument("--inner-dst-mac", required=True)
    ap.add_argument("--inner-src-ip", required=True)
    ap.add_argument("--inner-dst-ip", required=True)
    ap.add_argument("--inner-ttl", type=int, required=True)
    ap.add_argument("--min", type=int, default=1000, help="VXLAN frames needed (default 1000)")
    ap.add_argument("--max", type=int, default=20000, help="frames read (default 20000)")
    a = ap.parse_args()

    vxlan = other = 0
    outer_ttl = set()
    outer_src = set()
    sports = set()
    csum_modes = set()
    flows = set()
    try:
        for i, f in enumerate(frames(a.pcap, a.max)):
            if len(f) < 14 or f[12:14] != b"\x08\x00" or len(f) < 42 or f[23] != 17 or \
                    struct.unpack("!H", f[36:38])[0] != 4789:
                other += 1
                continue
            where = "frame %d" % i
            if mac(f[0:6]) != a.outer_dst_mac.lower():
                raise ValueError("%s: outer dst MAC %s, want %s" % (where, mac(f[0:6]), a.outer_dst_mac))
            ttl, udp, mode = check_ip_udp(f[14:], where + " outer", a.outer_src_ip, a.outer_dst_ip, None)
            outer_ttl.add(ttl)
            outer_src.add(mac(f[6:12]))
            csum_modes.add(mode)
            sports.add(struct.unpack("!H", udp[0:2])[0])
            vx = udp[8:16]
            if len(vx) < 8:
                raise ValueError("%s: short VXLAN header" % where)
            flags, vni_word = struct.unpack("!B3xI", vx)
            if flags != 0x08:
                raise ValueError("%s: VXLAN flags 0x%02x, want 0x08" % (where, flags))
            vni = vni_word >> 8
            if vni != a.vni:
                raise ValueError("%s: VNI %d (0x%x), want %d (0x%x)" % (where, vni, vni, a.vni, a.vni))
            inner = udp[16:]
            if len(inner) < 14 + 28:
                raise ValueError("%s: inner frame of %d bytes" % (where, len(inner)))
            if mac(inner[0:6]) != a.inner_dst_mac.lower() or mac(inner[6:12]) != a.inner_src_mac.lower():
                raise ValueError("%s: inner MACs %s -> %s, want %s -> %s" % (
                    where, mac(inner[6:12]), mac(inner[0:6]), a.inner_src_mac, a.inner_dst_mac))
            if inner[12:14] != b"\x08\x00":
                raise ValueError("%s: inner ethertype 0x%s" % (where, inner[12:14].hex()))
            _, iudp, imode = check_ip_udp(inner[14:], where + " inner", a.inner_src_ip, a.inner_dst_ip,
                                          a.inner_ttl)
            if imode != "valid":
                raise ValueError("%s: inner UDP checksum is 0 (the input has one)" % where)
            sp, dp = struct.unpack("!HH", iudp[0:4])
            if not (1024 <= sp < 2024 and 5000 <= dp < 5000 + 60000):
                raise ValueError("%s: inner UDP ports %d -> %d are not a gen_pcap.py flow" % (where, sp, dp))
            flows.add((sp, dp))
            vxlan += 1
    except (OSError, ValueError) as e:
        print("bad: %s" % e)
        return 1
    if vxlan < a.min:
        print("bad: only %d VXLAN frames (and %d others) in the capture, want >= %d" % (vxlan, other, a.min))
        return 1
    if other * 100 > vxlan:
        print("bad: %d frames that are not VXLAN next to %d VXLAN frames" % (other, vxlan))
        return 1
    print("ok frames=%d other_frames=%d vni=%d outer_ttl=%s outer_src_mac=%s outer_udp_csum=%s "
          "outer_sports=%d inner_flows=%d" % (
              vxlan, other, a.vni, "/".join(str(t) for t in sorted(outer_ttl)),
              "/".join(sorted(outer_src)), "/".join(sorted(csum_modes)), len(sports), len(flows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
