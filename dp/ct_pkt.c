/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_pkt.c — a packet as conntrack sees it: its tuple (from the flow
 * key), its kind (tracked, ICMP error, invalid, not IP, later fragment) and
 * its L4 bounds from the IP length, never past the packet; and the reverse
 * of a tuple (ICMP queries map request <-> reply).  Used by ct.c (the
 * burst), ct_reval.c (the read-only lookup) and ct_nat.c (candidates).
 */
#include <string.h>
#include <netinet/in.h>

#include <rte_byteorder.h>

#include "ct_priv.h"

#define ET_IPV4 RTE_BE16(0x0800)
#define ET_IPV6 RTE_BE16(0x86dd)

/* ------------------------------------------------------------ classify --- */

void ct_classify(struct ct_pkt *p, const struct rte_mbuf *m, const struct dp_flow_key *fk,
		 uint16_t zone)
{
	uint8_t buf[4];
	const uint8_t *ip;
	/* a tunnelled packet is tracked by its inner headers: the ingress ct()
	 * runs before tnl_pop, with the outer headers (outer_l3_len bytes, 0
	 * for a plain packet: dp_parse clears it) still in front */
	uint32_t l3_off = (uint32_t)m->outer_l3_len + m->l2_len, avail, iplen;

	memset(&p->key, 0, sizeof(p->key));
	p->m = m;
	p->tcp_flags = 0;
	p->icmp_type = p->icmp_code = 0;
	if (fk->eth_type == ET_IPV4) {
		p->key.af = CT_AF4;
		memcpy(p->key.src, fk->ip_src, 4);
		memcpy(p->key.dst, fk->ip_dst, 4);
		ip = ct_read(m, l3_off, 4, buf);
		iplen = ip ? (uint32_t)(ip[2] << 8 | ip[3]) : 0;
	} else if (fk->eth_type == ET_IPV6) {
		p->key.af = CT_AF6;
		memcpy(p->key.src, fk->ip_src, 16);
		memcpy(p->key.dst, fk->ip_dst, 16);
		ip = ct_read(m, l3_off + 4, 2, buf);
		iplen = ip ? 40u + (uint32_t)(ip[0] << 8 | ip[1]) : 0;
	} else {
		p->kind = CT_PK_NOT_IP;
		return;
	}
	p->key.zone = zone;
	p->key.proto = fk->ip_proto;
	if (fk->ip_frag & DP_FRAG_LATER) {
		p->kind = CT_PK_FRAG_LATER;
		return;
	}
	/* L4 bytes: by the IP length, never past the packet. */
	p->l4_off = l3_off + m->l3_len;
	avail = m->pkt_len > p->l4_off ? m->pkt_len - p->l4_off : 0;
	p->l4_len = iplen > m->l3_len ? iplen - m->l3_len : 0;
	if (p->l4_len > avail)
		p->l4_len = avail;
	p->kind = CT_PK_TRACK;
	switch (fk->ip_proto) {
	case IPPROTO_TCP:
		if (p->l4_len < 20) {
			p->kind = CT_PK_INVALID;
			return;
		}
		p->key.sport = fk->tp_src;
		p->key.dport = fk->tp_dst;
		p->tcp_flags = rte_be_to_cpu_16(fk->tcp_flags) & 0xfff;
		break;
	case IPPROTO_UDP:
		if (p->l4_len < 8) {
			p->kind = CT_PK_INVALID;
			return;
		}
		p->key.sport = fk->tp_src;
		p->key.dport = fk->tp_dst;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((fk->ip_proto == IPPROTO_ICMP) != (p->key.af == CT_AF4)) {
			p->kind = CT_PK_INVALID; /* ICMPv4 over v6 or v6 over v4 */
			return;
		}
		ct_icmp_classify(p, fk);
		break;
	default:
		break; /* by address pair */
	}
}

void ct_key_reverse(const struct dp_ct_key *k, struct dp_ct_key *r)
{
	*r = *k;
	memcpy(r->src, k->dst, 16);
	memcpy(r->dst, k->src, 16);
	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) {
		uint8_t t = (uint8_t)rte_be_to_cpu_16(k->dport), rt;
		/* request <-> reply; ports are (id, type) */
		switch (t) {
		case 8: rt = 0; break;     case 0: rt = 8; break;
		case 13: rt = 14; break;   case 14: rt = 13; break;
		case 15: rt = 16; break;   case 16: rt = 15; break;
		case 128: rt = 129; break; case 129: rt = 128; break;
		default: rt = t; break;
		}
		r->dport = rte_cpu_to_be_16(rt);
		return;
	}
	r->sport = k->dport;
	r->dport = k->sport;
}
