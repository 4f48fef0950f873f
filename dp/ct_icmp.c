/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_icmp.c — ICMP and ICMPv6: queries tracked as connections, errors
 * matched to the connection of the packet they quote (RELATED).
 *
 * Queries: echo (v4 8/0, v6 128/129), and for v4 timestamp (13/14) and
 * information (15/16).  Key ports = (identifier, htons(type)); the reply key
 * carries the reply type, so a request sent back by the peer with the same
 * identifier is its own connection, not a "reply".  Only a request starts a
 * connection; a lone reply is invalid.  States FIRST -> MULTIPLE (reply
 * seen), timeouts icmp_first / icmp_reply.
 *
 * Errors: v4 destination unreachable (incl. fragmentation needed), source
 * quench, redirect, time exceeded, parameter problem; v6 destination
 * unreachable, packet too big, time exceeded, parameter problem.  The quoted
 * header is hostile data: every byte is read through ct_read() (bounded by
 * the packet), the inner IP header must be well formed, addressed back to
 * the error's destination (inner source == outer destination), not a later
 * fragment, and not itself an ICMP error (no nesting).  v6 extension headers
 * in the quote are skipped (hop-by-hop, routing, destination options,
 * fragment, AH; at most 8), as dp/parse.c does.  Other ICMP types (ND,
 * router discovery, MLD, ...) are invalid to conntrack: the datapath should
 * not send them through ct(), as OVN does not.
 */
#include <string.h>
#include <netinet/in.h>

#include <rte_byteorder.h>

#include "ct_priv.h"

static bool ct_icmp_is_query(bool v4, uint8_t t)
{
	if (v4)
		return t == 8 || t == 0 || t == 13 || t == 14 || t == 15 || t == 16;
	return t == 128 || t == 129;
}

static bool ct_icmp_is_request(bool v4, uint8_t t)
{
	return v4 ? (t == 8 || t == 13 || t == 15) : t == 128;
}

static bool ct_icmp_is_error(bool v4, uint8_t t)
{
	if (v4)
		return t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
	return t >= 1 && t <= 4;
}

void ct_icmp_classify(struct ct_pkt *p, const struct dp_flow_key *fk)
{
	bool v4 = p->key.af == CT_AF4;
	uint8_t buf[2];
	const uint8_t *id;

	p->icmp_type = (uint8_t)rte_be_to_cpu_16(fk->tp_src);
	p->icmp_code = (uint8_t)rte_be_to_cpu_16(fk->tp_dst);
	if (p->l4_len < 8) {
		p->kind = CT_PK_INVALID;
		return;
	}
	if (ct_icmp_is_error(v4, p->icmp_type)) {
		p->kind = CT_PK_ICMP_ERR;
		return;
	}
	if (!ct_icmp_is_query(v4, p->icmp_type) ||
	    (id = ct_read(p->m, p->l4_off + 4, 2, buf)) == NULL) {
		p->kind = CT_PK_INVALID;
		return;
	}
	memcpy(&p->key.sport, id, 2);
	p->key.dport = rte_cpu_to_be_16(p->icmp_type);
}

bool ct_icmp_valid_new(const struct ct_pkt *p)
{
	return ct_icmp_is_request(p->key.af == CT_AF4, p->icmp_type);
}

void ct_icmp_init(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p, uint64_t now)
{
	(void)p;
	c->proto_state = DP_CT_GEN_FIRST;
	c->expires = now + ct_sec(ct_rd_relaxed(&ct->to.icmp_first));
}

enum ct_upd ct_icmp_update(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p, int dir,
			   uint64_t now)
{
	uint32_t s;

	(void)p;
	if (dir == 1)
		c->proto_state = DP_CT_GEN_MULTIPLE;
	s = c->proto_state == DP_CT_GEN_MULTIPLE ? ct_rd_relaxed(&ct->to.icmp_reply)
						 : ct_rd_relaxed(&ct->to.icmp_first);
	__atomic_store_n(&c->expires, now + ct_sec(s), __ATOMIC_RELAXED);
	return CT_UPD_VALID;
}

/* Inner IPv4 header at off: fills k (addresses, proto), *l4 = its L4
 * offset.  Returns 0 or -1. */
static int ct_inner_v4(const struct rte_mbuf *m, uint32_t off, struct dp_ct_key *k, uint32_t *l4)
{
	uint8_t buf[20];
	const uint8_t *ip = ct_read(m, off, 20, buf);
	unsigned ihl;
	uint16_t frag;

	if (ip == NULL || (ip[0] >> 4) != 4)
		return -1;
	ihl = (ip[0] & 0xf) * 4u;
	if (ihl < 20)
		return -1;
	memcpy(&frag, ip + 6, 2);
	if (rte_be_to_cpu_16(frag) & 0x1fff)
		return -1; /* a later fragment quotes no L4 header */
	k->proto = ip[9];
	memcpy(k->src, ip + 12, 4);
	memcpy(k->dst, ip + 16, 4);
	*l4 = off + ihl;
	return 0;
}

static int ct_inner_v6(const struct rte_mbuf *m, uint32_t off, struct dp_ct_key *k, uint32_t *l4)
{
	uint8_t buf[40];
	const uint8_t *ip = ct_read(m, off, 40, buf), *h;
	uint8_t nh;

	if (ip == NULL || (ip[0] >> 4) != 6)
		return -1;
	memcpy(k->src, ip + 8, 16);
	memcpy(k->dst, ip + 24, 16);
	nh = ip[6];
	off += 40;
	for (int i = 0; i < 8; i++) {
		uint16_t fo;
		switch (nh) {
		case 0: case 43: case 60: /* hop-by-hop, routing, destination options */
			if ((h = ct_read(m, off, 2, buf)) == NULL)
				return -1;
			nh = h[0];
			off += (h[1] + 1u) * 8;
			continue;
		case 51: /* AH */
			if ((h = ct_read(m, off, 2, buf)) == NULL)
				return -1;
			nh = h[0];
			off += (h[1] + 2u) * 4;
			continue;
		case 44: /* fragment */
			if ((h = ct_read(m, off, 8, buf)) == NULL)
				return -1;
			memcpy(&fo, h + 2, 2);
			if (rte_be_to_cpu_16(fo) & 0xfff8)
				return -1;
			nh = h[0];
			off += 8;
			continue;
		default:
			k->proto = nh;
			*l4 = off;
			return 0;
		}
	}
	return -1;
}

int ct_icmp_inner_key(const struct ct_pkt *p, struct dp_ct_key *k)
{
	bool v4 = p->key.af == CT_AF4;
	uint8_t buf[8];
	const uint8_t *l4;
	uint32_t l4_off;

	memset(k, 0, sizeof(*k));
	k->af = p->key.af;
	k->zone = p->key.zone;
	if ((v4 ? ct_inner_v4(p->m, p->l4_off + 8, k, &l4_off)
		: ct_inner_v6(p->m, p->l4_off + 8, k, &l4_off)) != 0)
		return -1;
	/* The error goes back to the quoted packet's sender. */
	if (memcmp(k->src, p->key.dst, 16) != 0)
		return -1;
	switch (k->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if ((l4 = ct_read(p->m, l4_off, 4, buf)) == NULL)
			return -1;
		memcpy(&k->sport, l4, 2);
		memcpy(&k->dport, l4 + 2, 2);
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((k->proto == IPPROTO_ICMP) != v4 ||
		    (l4 = ct_read(p->m, l4_off, 8, buf)) == NULL ||
		    !ct_icmp_is_query(v4, l4[0]))
			return -1; /* errors about errors are not related */
		memcpy(&k->sport, l4 + 4, 2);
		k->dport = rte_cpu_to_be_16(l4[0]);
		return 0;
	default:
		return 0;
	}
}
