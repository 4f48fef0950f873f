/* SPDX-License-Identifier: BSD-3-Clause
 * dp/parse.c — packet bytes -> struct dp_flow_key.
 *
 * Design: one straight-line pass over the bytes of the first segment; the
 * common-path helpers are forced inline into one body shared by dp_parse()
 * (mbuf) and dp_parse_buf() (raw bytes).  Untagged IPv4 + UDP/TCP and IPv6 +
 * UDP/TCP make no calls at all; the rare paths (IPv6 extension headers, ND
 * options, ARP) are plain out-of-line direct calls, never function pointers.
 * Every header read is preceded by a check against the bytes that remain,
 * where "remain" shrinks at L3 to the IP total/payload length (Ethernet
 * padding is never parsed as L4).  For a multi-segment mbuf the IP lengths are
 * checked against the packet length but only the first segment is read:
 * headers that run past it are reported as truncated.

 * Field values are copied in network order as they sit in the packet (the key
 * contract), except the VLAN TCIs, which are host order with DP_VLAN_PRESENT.
 *
 * l2_len: Ethernet + tags.  l3_len: IPv4 header incl. options, IPv6 header incl.
 * extension headers, 28 for ARP, 0 otherwise.  An IPv6 header chain longer than
 * an mbuf's l3_len can hold (511 bytes) is rejected as DP_DROP_BAD_IPV6_EXT.
 *
 * Thread: any; no state.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_mbuf.h>

#include "drop.h"
#include "flow_key.h"
#include "parse.h"

#define DP_ETH_HLEN   14
#define DP_VLAN_HLEN  4
#define DP_ARP_LEN    28
#define DP_IPV4_HLEN  20
#define DP_IPV6_HLEN  40
#define DP_MAX_V6_EXT 8   /* extension headers accepted before giving up */
#define DP_MAX_L3_LEN ((1u << RTE_MBUF_L3_LEN_BITS) - 1)

#define DP_ET_IPV4 RTE_BE16(0x0800)
#define DP_ET_ARP  RTE_BE16(0x0806)
#define DP_ET_IPV6 RTE_BE16(0x86dd)
#define DP_ET_VLAN RTE_BE16(0x8100)
#define DP_ET_QINQ RTE_BE16(0x88a8)

#define DP_ND_NS 135
#define DP_ND_NA 136
#define DP_ND_OPT_SLL 1
#define DP_ND_OPT_TLL 2

/* Unaligned 16-bit load, left in network order. */
static __rte_always_inline uint16_t dp_rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static __rte_always_inline uint32_t dp_rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Neighbor Discovery NS/NA body: target, then options in 8-byte units.
 * p points at the ICMPv6 header, len bytes remain (len >= 4). */
static __rte_noinline unsigned dp_parse_nd(const uint8_t *p, uint32_t len,
					   struct dp_flow_key *key)
{
	uint8_t want = p[0] == DP_ND_NS ? DP_ND_OPT_SLL : DP_ND_OPT_TLL;
	bool have_ll = false;
	uint32_t off = 24, olen;

	if (len < 24)
		return DP_DROP_TRUNC_L4;
	memcpy(key->nd_target, p + 8, 16);
	while (off < len) {
		if (len - off < 8)
			return DP_DROP_TRUNC_L4;
		olen = (uint32_t)p[off + 1] * 8;
		if (olen == 0 || olen > len - off)
			return DP_DROP_TRUNC_L4;
		/* Only an Ethernet-sized (one unit) option carries a MAC. */
		if (p[off] == want && olen == 8 && !have_ll) {
			memcpy(key->nd_ll, p + off + 2, 6);
			have_ll = true;
		}
		off += olen;
	}
	return DP_DROP_NONE;
}

/* L4 at p with len bytes up to the end of the IP payload. */
static __rte_always_inline unsigned dp_parse_l4(const uint8_t *p, uint32_t len, uint8_t proto,
						bool v6, struct dp_flow_key *key)
{
	if (likely(proto == IPPROTO_UDP)) {
		if (unlikely(len < 8))
			return DP_DROP_TRUNC_L4;
		memcpy(&key->tp_src, p, 2);
		memcpy(&key->tp_dst, p + 2, 2);
		return DP_DROP_NONE;
	}
	if (likely(proto == IPPROTO_TCP)) {
		uint32_t doff;

		if (unlikely(len < 20))
			return DP_DROP_TRUNC_L4;
		doff = (uint32_t)(p[12] >> 4) * 4;
		if (unlikely(doff < 20 || doff > len))
			return DP_DROP_BAD_TCP;
		memcpy(&key->tp_src, p, 2);
		memcpy(&key->tp_dst, p + 2, 2);
		key->tcp_flags = dp_rd16(p + 12) & RTE_BE16(0x0fff);
		return DP_DROP_NONE;
	}
	if (proto == IPPROTO_ICMP && !v6) {
		if (unlikely(len < 8))
			return DP_DROP_TRUNC_L4;
		key->tp_src = rte_cpu_to_be_16(p[0]);
		key->tp_dst = rte_cpu_to_be_16(p[1]);
		return DP_DROP_NONE;
	}
	if (proto == IPPROTO_ICMPV6 && v6) {
		if (unlikely(len < 4))
			return DP_DROP_TRUNC_L4;
		key->tp_src = rte_cpu_to_be_16(p[0]);
		key->tp_dst = rte_cpu_to_be_16(p[1]);
		/* RFC 4861: ND messages have code 0; others are not ND. */
		if (unlikely((p[0] == DP_ND_NS || p[0] == DP_ND_NA) && p[1] == 0))
			return dp_parse_nd(p, len, key);
		return DP_DROP_NONE;
	}
	if (proto == IPPROTO_SCTP) {
		if (unlikely(len < 12))
			return DP_DROP_TRUNC_L4;
		memcpy(&key->tp_src, p, 2);
		memcpy(&key->tp_dst, p + 2, 2);
	}
	return DP_DROP_NONE;
}

static __rte_always_inline unsigned dp_parse_ipv4(const uint8_t *p, uint32_t len, uint32_t wire,
						  struct dp_flow_key *key, uint16_t *l3)
{
	uint32_t ihl, tot;
	uint16_t frag;

	if (unlikely(len < DP_IPV4_HLEN))
		return DP_DROP_TRUNC_IPV4;
	ihl = (uint32_t)(p[0] & 0x0f) * 4;
	if (unlikely((p[0] >> 4) != 4 || ihl < DP_IPV4_HLEN))
		return DP_DROP_BAD_IPV4;
	if (unlikely(ihl > len))
		return DP_DROP_TRUNC_IPV4;
	tot = rte_be_to_cpu_16(dp_rd16(p + 2));
	if (unlikely(tot < ihl || tot > wire))
		return DP_DROP_BAD_IPV4;
	*l3 = (uint16_t)ihl;
	key->ip_tos = p[1];
	key->ip_ttl = p[8];
	key->ip_proto = p[9];
	memcpy(key->ip_src, p + 12, 4);
	memcpy(key->ip_dst, p + 16, 4);
	frag = dp_rd16(p + 6) & RTE_BE16(0x3fff); /* MF + offset */
	if (unlikely(frag != 0)) {
		key->ip_frag = DP_FRAG_ANY;
		if (frag & RTE_BE16(0x1fff)) {
			key->ip_frag |= DP_FRAG_LATER;
			return DP_DROP_NONE;
		}
	}
	return dp_parse_l4(p + ihl, RTE_MIN(tot, len) - ihl, key->ip_proto, false, key);
}

/* Walk the extension header chain from *off; on return *off is the L4
 * offset and *nh the final next header.  Returns a drop reason, or
 * DP_DROP__MAX to mean "later fragment: stop, no L4". */
static __rte_noinline unsigned dp_parse_v6_ext(const uint8_t *p, uint32_t end, uint32_t *offp,
					       uint8_t *nhp, struct dp_flow_key *key)
{
	uint32_t off = *offp, hl;
	uint8_t nh = *nhp;
	uint16_t fo;

	for (unsigned n = 0;; n++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_FRAGMENT:
		case IPPROTO_AH:
			break;
		default:
			*offp = off;
			*nhp = nh;
			return DP_DROP_NONE;
		}
		if (n >= DP_MAX_V6_EXT || end - off < 8)
			return DP_DROP_BAD_IPV6_EXT;
		if (nh == IPPROTO_FRAGMENT)
			hl = 8;
		else if (nh == IPPROTO_AH)
			hl = ((uint32_t)p[off + 1] + 2) * 4;
		else
			hl = ((uint32_t)p[off + 1] + 1) * 8;
		if (hl > end - off)
			return DP_DROP_BAD_IPV6_EXT;
		if (nh == IPPROTO_FRAGMENT) {
			fo = dp_rd16(p + off + 2);
			if (fo & RTE_BE16(0xfff9)) /* offset or M */
				key->ip_frag = DP_FRAG_ANY;
			if (fo & RTE_BE16(0xfff8)) {
				key->ip_frag |= DP_FRAG_LATER;
				*offp = off + hl;
				*nhp = p[off];
				return DP_DROP__MAX;
			}
		}
		nh = p[off];
		off += hl;
	}
}

static __rte_always_inline unsigned dp_parse_ipv6(const uint8_t *p, uint32_t len, uint32_t wire,
						  struct dp_flow_key *key, uint16_t *l3)
{
	uint32_t vtcfl, end, off = DP_IPV6_HLEN;
	uint8_t nh;
	unsigned r;

	if (unlikely(len < DP_IPV6_HLEN))
		return DP_DROP_TRUNC_IPV6;
	vtcfl = rte_be_to_cpu_32(dp_rd32(p));
	end = DP_IPV6_HLEN + rte_be_to_cpu_16(dp_rd16(p + 4));
	if (unlikely((vtcfl >> 28) != 6 || end > wire))
		return DP_DROP_BAD_IPV6;
	end = RTE_MIN(end, len); /* readable part: first segment only */
	key->ip_tos = (uint8_t)(vtcfl >> 20);
	key->ipv6_label = rte_cpu_to_be_32(vtcfl & 0xfffff);
	key->ip_ttl = p[7];
	memcpy(key->ip_src, p + 8, 16);
	memcpy(key->ip_dst, p + 24, 16);
	nh = p[6];
	if (unlikely(nh != IPPROTO_TCP && nh != IPPROTO_UDP)) {
		r = dp_parse_v6_ext(p, end, &off, &nh, key);
		if (unlikely(off > DP_MAX_L3_LEN))
			return DP_DROP_BAD_IPV6_EXT;
		if (r != DP_DROP_NONE) {
			if (r != DP_DROP__MAX)
				return r;
			key->ip_proto = nh;
			*l3 = (uint16_t)off;
			return DP_DROP_NONE;
		}
	}
	key->ip_proto = nh;
	*l3 = (uint16_t)off;
	return dp_parse_l4(p + off, end - off, nh, true, key);
}

static __rte_noinline unsigned dp_parse_arp(const uint8_t *p, uint32_t len,
					    struct dp_flow_key *key, uint16_t *l3)
{
	if (len < DP_ARP_LEN)
		return DP_DROP_TRUNC_ARP;
	if (dp_rd16(p) != RTE_BE16(1) || dp_rd16(p + 2) != DP_ET_IPV4 || p[4] != 6 || p[5] != 4)
		return DP_DROP_BAD_ARP;
	*l3 = DP_ARP_LEN;
	key->arp_op = dp_rd16(p + 6);
	memcpy(key->arp_sha, p + 8, 6);
	memcpy(key->ip_src, p + 14, 4);
	memcpy(key->arp_tha, p + 18, 6);
	memcpy(key->ip_dst, p + 24, 4);
	return DP_DROP_NONE;
}

/* len: readable bytes (first segment); wire: whole packet length (>= len),
 * against which the IP total/payload length is checked. */
static __rte_always_inline unsigned dp_parse_bytes(const uint8_t *d, uint32_t len, uint32_t wire,
						   uint16_t in_port, struct dp_flow_key *key,
						   uint16_t *l2, uint16_t *l3)
{
	uint32_t off = DP_ETH_HLEN;
	uint16_t type;

	dp_key_zero(key);
	key->in_port = in_port;
	*l2 = 0;
	*l3 = 0;
	if (unlikely(len < DP_ETH_HLEN))
		return DP_DROP_TRUNC_ETH;
	memcpy(key->eth_dst, d, 6);
	memcpy(key->eth_src, d + 6, 6);
	type = dp_rd16(d + 12);
	if (unlikely(type == DP_ET_VLAN || type == DP_ET_QINQ)) {
		if (len < DP_ETH_HLEN + DP_VLAN_HLEN)
			return DP_DROP_TRUNC_VLAN;
		key->vlan_tci = rte_be_to_cpu_16(dp_rd16(d + 14)) | DP_VLAN_PRESENT;
		type = dp_rd16(d + 16);
		off += DP_VLAN_HLEN;
		if (type == DP_ET_VLAN || type == DP_ET_QINQ) {
			if (len < DP_ETH_HLEN + 2 * DP_VLAN_HLEN)
				return DP_DROP_TRUNC_VLAN;
			key->vlan_inner_tci = rte_be_to_cpu_16(dp_rd16(d + 18)) | DP_VLAN_PRESENT;
			type = dp_rd16(d + 20);
			off += DP_VLAN_HLEN;
			if (type == DP_ET_VLAN || type == DP_ET_QINQ)
				return DP_DROP_TOO_MANY_VLANS;
		}
	}
	key->eth_type = type;
	*l2 = (uint16_t)off;
	if (likely(type == DP_ET_IPV4))
		return dp_parse_ipv4(d + off, len - off, wire - off, key, l3);
	if (type == DP_ET_IPV6)
		return dp_parse_ipv6(d + off, len - off, wire - off, key, l3);
	if (type == DP_ET_ARP)
		return dp_parse_arp(d + off, len - off, key, l3);
	return DP_DROP_NONE;
}

unsigned dp_parse(struct rte_mbuf *m, uint16_t in_port, struct dp_flow_key *key)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	uint16_t l2, l3;
	unsigned r;

	r = dp_parse_bytes(rte_pktmbuf_mtod(m, const uint8_t *), len,
			   RTE_MAX(rte_pktmbuf_pkt_len(m), len), in_port, key, &l2, &l3);
	/* one store: l2/l3 lengths, and the outer lengths cleared (an mbuf a
	 * vector rx path recycled may still carry a tunnel's; ct() and
	 * tnl_pop read outer_l3_len) */
	m->tx_offload = rte_mbuf_tx_offload(l2, l3, 0, 0, 0, 0, 0);
	return r;
}

unsigned dp_parse_buf(const uint8_t *data, uint32_t len, uint16_t in_port,
		      struct dp_flow_key *key, uint16_t *l2_len, uint16_t *l3_len)
{
	uint16_t l2, l3;
	unsigned r;

	if (!data)
		len = 0;
	r = dp_parse_bytes(data, len, len, in_port, key, &l2, &l3);
	if (l2_len)
		*l2_len = l2;
	if (l3_len)
		*l3_len = l3;
	return r;
}

/* ---- the uplink: VXLAN / Geneve ------------------------------------------
 * A UDP/IPv4 packet to our VTEP IP and port 4789 (VXLAN) or 6081 (Geneve),
 * unfragmented and untagged, is a tunnel packet (other VXLAN on the uplink
 * belongs to a provider network's VMs): its header is checked (VXLAN: I flag;
 * Geneve: version 0, no critical options, Ethernet payload), then the key is
 * the INNER packet's, plus tun_vni / tun_src / tun_dst from the outer
 * headers, and *outer is the number of bytes before the inner Ethernet
 * header (TNL_POP strips them).  Anything else is parsed as is. */
static __rte_noinline unsigned dp_parse_tnl_bytes(const uint8_t *d, uint32_t len, uint32_t wire,
						  uint16_t in_port, uint32_t vtep_ip,
						  struct dp_flow_key *key, uint16_t *l2, uint16_t *l3,
						  uint16_t *outer)
{
	unsigned r = dp_parse_bytes(d, len, wire, in_port, key, l2, l3);
	*outer = 0;
	if (r != DP_DROP_NONE || key->eth_type != DP_ET_IPV4 || key->ip_proto != IPPROTO_UDP ||
	    key->ip_frag != 0 || key->vlan_tci != 0 || vtep_ip == 0 ||
	    memcmp(key->ip_dst, &vtep_ip, 4) != 0)
		return r;
	uint16_t dport = rte_be_to_cpu_16(key->tp_dst);
	if (dport != 4789 && dport != 6081)
		return r;
	uint32_t off = (uint32_t)*l2 + *l3 + 8, hl = 8;
	if (len < off + 8)
		return DP_DROP_BAD_TUNNEL;
	const uint8_t *t = d + off;
	if (dport == 4789) {
		if (!(t[0] & 0x08))
			return DP_DROP_BAD_TUNNEL;
	} else {
		/* version 0; C: critical options we cannot understand -> drop
		 * (RFC 8926 3.5); payload must be Ethernet */
		if ((t[0] >> 6) != 0 || (t[1] & 0x40) || t[2] != 0x65 || t[3] != 0x58)
			return DP_DROP_BAD_TUNNEL;
		hl += (uint32_t)(t[0] & 0x3f) * 4;
	}
	if (len < off + hl + DP_ETH_HLEN)
		return DP_DROP_BAD_TUNNEL;
	uint32_t vni = (uint32_t)t[4] << 16 | (uint32_t)t[5] << 8 | t[6];
	uint32_t src, dst;
	memcpy(&src, key->ip_src, 4);
	memcpy(&dst, key->ip_dst, 4);
	r = dp_parse_bytes(t + hl, len - off - hl, wire - off - hl, in_port, key, l2, l3);
	if (r != DP_DROP_NONE)
		return r;
	key->tun_vni = vni;
	key->tun_src = src;
	key->tun_dst = dst;
	*outer = (uint16_t)(off + hl);
	return DP_DROP_NONE;
}

unsigned dp_parse_tnl(struct rte_mbuf *m, uint16_t in_port, uint32_t vtep_ip,
		      struct dp_flow_key *key)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	uint16_t l2, l3, outer;
	unsigned r = dp_parse_tnl_bytes(rte_pktmbuf_mtod(m, const uint8_t *), len,
					RTE_MAX(rte_pktmbuf_pkt_len(m), len), in_port, vtep_ip,
					key, &l2, &l3, &outer);
	m->l2_len = l2;
	m->l3_len = l3;
	m->outer_l2_len = 0;
	m->outer_l3_len = outer;
	return r;
}

unsigned dp_parse_tnl_buf(const uint8_t *data, uint32_t len, uint16_t in_port, uint32_t vtep_ip,
			  struct dp_flow_key *key, uint16_t *outer_len)
{
	uint16_t l2, l3, outer;
	if (!data)
		len = 0;
	unsigned r = dp_parse_tnl_bytes(data, len, len, in_port, vtep_ip, key, &l2, &l3, &outer);
	if (outer_len)
		*outer_len = outer;
	return r;
}
