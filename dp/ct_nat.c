/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_nat.c — conntrack NAT (IPv4): allocation of a new connection's
 * translated tuple, and the rewrite of a packet (or of an ICMP error, outer
 * and quoted headers) with incremental checksums.  What is translated and
 * when: ct.h, "NAT"; the design: DESIGN.md, "Conntrack".
 *
 * Allocation runs under ct->wlock (ct_commit_new) and probes at most
 * DP_CT_NAT_TRIES (+1) candidate reply keys with rte_hash lookups: a few
 * microseconds at worst under the writers' lock, never a walk over a port
 * range.  A candidate is free when neither direction of any connection
 * holds it (both keys of every connection are in the one hash), so a
 * translated tuple is held exactly as long as its connection's reply key
 * is in the table: expiry, flush and kill free it by deleting key[1].
 *
 * Rewrites read the old field from the packet and update every checksum
 * that covers it by RFC 1624 (dp_csum_update16/32): the IPv4 header
 * checksum for an address, the TCP/UDP checksum for an address (pseudo
 * header) or a port, the ICMP checksum for an echo identifier, and, in an
 * ICMP error, the ICMP checksum for every 16-bit word of the quote that
 * changes (the quote starts at an even offset of the ICMP message, so each
 * change is a whole word of its sum).
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "actions.h"   /* dp_csum_update16/32 */
#include "ct_priv.h"

/* ------------------------------------------------------------ allocation --- */

static inline bool ct_nat_has_port(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_ICMP;
}

/* Candidate (addr, port) host order of original key k: the reply key it
 * gives, in *rk. */
static void ct_nat_cand(const struct dp_ct_key *k, bool src, uint32_t addr, uint16_t port,
			struct dp_ct_key *rk)
{
	struct dp_ct_key t = *k;
	uint32_t a = rte_cpu_to_be_32(addr);
	uint16_t pt = rte_cpu_to_be_16(port);

	if (src)
		memcpy(t.src, &a, 4);
	else
		memcpy(t.dst, &a, 4);
	if (t.proto == IPPROTO_ICMP)
		t.sport = pt;          /* the identifier, both directions */
	else if (t.proto == IPPROTO_TCP || t.proto == IPPROTO_UDP) {
		if (src)
			t.sport = pt;
		else
			t.dport = pt;
	}
	ct_key_reverse(&t, rk);
}

/* The search space of one allocation and its first candidate. */
struct ct_nat_plan {
	bool src, port;
	uint32_t amin, pmin, a0, p0, h;
	uint64_t nport, total;
	uint32_t oaddr_be;
	uint16_t oport_be;
};

static int ct_nat_plan(const struct dp_ct_key *k, const struct dp_ct_nat *cfg,
		       struct ct_nat_plan *pl)
{
	uint32_t amax = rte_be_to_cpu_32(cfg->addr_max), oaddr, pmax;
	uint16_t oport;

	pl->src = cfg->kind == DP_CT_NAT_SRC;
	pl->port = ct_nat_has_port(k->proto);
	pl->amin = rte_be_to_cpu_32(cfg->addr_min);
	if (pl->amin == 0 || pl->amin > amax || cfg->port_min > cfg->port_max ||
	    (cfg->kind != DP_CT_NAT_SRC && cfg->kind != DP_CT_NAT_DST))
		return -EINVAL;
	memcpy(&pl->oaddr_be, pl->src ? k->src : k->dst, 4);
	oaddr = rte_be_to_cpu_32(pl->oaddr_be);
	pl->oport_be = (k->proto == IPPROTO_ICMP || pl->src) ? k->sport : k->dport;
	oport = pl->port ? rte_be_to_cpu_16(pl->oport_be) : 0;
	/* 0-0, or an ICMP identifier (a port range is for TCP/UDP) */
	bool keep = (cfg->port_min == 0 && cfg->port_max == 0) || k->proto == IPPROTO_ICMP;
	if (!pl->port) {
		pl->pmin = pmax = 0;
	} else if (keep) {
		if (!pl->src)
			pl->pmin = pmax = oport;         /* DNAT keeps the port */
		else if (k->proto == IPPROTO_ICMP)
			pl->pmin = 0, pmax = 65535;
		else
			pl->pmin = 1024, pmax = 65535;
	} else {
		pl->pmin = cfg->port_min;
		pmax = cfg->port_max;
	}
	pl->nport = (uint64_t)pmax - pl->pmin + 1;
	pl->total = ((uint64_t)amax - pl->amin + 1) * pl->nport;
	pl->h = ct_key_hash(k, sizeof(*k), 0x6e6174u);
	/* the first candidate: the original address if in range, else one
	 * chosen by the address (a client keeps its external address across
	 * connections); the original port if in range, or with 0-0 (SNAT) */
	if (oaddr >= pl->amin && oaddr <= amax)
		pl->a0 = oaddr;
	else
		pl->a0 = pl->amin + (uint32_t)(rte_hash_crc_4byte(oaddr, 0x6e6174u) %
					       ((uint64_t)amax - pl->amin + 1));
	pl->p0 = oport;
	if (pl->port && (oport < pl->pmin || oport > pmax) && !(pl->src && keep))
		pl->p0 = pl->pmin + (uint32_t)(pl->h % pl->nport);
	return 0;
}

int ct_nat_first(const struct dp_ct_key *k, const struct dp_ct_nat *cfg, struct dp_ct_key *rk)
{
	struct ct_nat_plan pl;

	if (ct_nat_plan(k, cfg, &pl) != 0)
		return -EINVAL;
	ct_nat_cand(k, pl.src, pl.a0, (uint16_t)pl.p0, rk);
	return 0;
}

int ct_nat_alloc(const struct dp_ct *ct, struct ct_conn *c, const struct dp_ct_nat *cfg,
		 const struct dp_ct_key *rk0, hash_sig_t rsig0, hash_sig_t *rsig)
{
	const struct dp_ct_key *k = &c->key[0];
	struct ct_nat_plan pl;
	unsigned tries;

	if (ct_nat_plan(k, cfg, &pl) != 0)
		return -EINVAL;
	tries = pl.total <= DP_CT_NAT_TRIES ? (unsigned)pl.total + 1 : DP_CT_NAT_TRIES;
	for (unsigned j = 0; j < tries; j++) {
		uint32_t a, pt;
		if (j == 0) {
			a = pl.a0;
			pt = pl.p0;
		} else {
			uint64_t idx;
			if (pl.total <= DP_CT_NAT_TRIES) {
				idx = j - 1;               /* every tuple in turn */
			} else {
				uint64_t r = (uint64_t)ct_key_hash(k, sizeof(*k), pl.h + j) << 32 |
					     ct_key_hash(k, sizeof(*k), ~(pl.h + j));
				idx = r % pl.total;
			}
			a = pl.amin + (uint32_t)(idx / pl.nport);
			pt = pl.pmin + (uint32_t)(idx % pl.nport);
			if (a == pl.a0 && pt == pl.p0)
				continue;
		}
		if (j == 0 && rk0 != NULL) {       /* built and hashed before the lock */
			c->key[1] = *rk0;
			*rsig = rsig0;
		} else {
			ct_nat_cand(k, pl.src, a, (uint16_t)pt, &c->key[1]);
			*rsig = ct_key_hash(&c->key[1], sizeof(c->key[1]), 0);
		}
		if (memcmp(&c->key[1], &c->key[0], sizeof(c->key[0])) == 0)
			continue;
		if (rte_hash_lookup_with_hash(ct->h, &c->key[1], *rsig) >= 0)
			continue;
		c->nat_flags = cfg->kind;
		c->nat_addr[0] = rte_cpu_to_be_32(a);
		c->nat_port[0] = pl.port ? rte_cpu_to_be_16((uint16_t)pt) : 0;
		c->nat_addr[1] = pl.oaddr_be;
		c->nat_port[1] = pl.port ? pl.oport_be : 0;
		return 0;
	}
	return -ENOSPC;
}

/* --------------------------------------------------------------- rewrite --- */

/* Writable pointer to [off, off + len) of m when those bytes are below end
 * (the IP datagram's end: never the Ethernet padding) and sit in one
 * segment, else NULL. */
static void *ct_wptr(struct rte_mbuf *m, uint32_t off, uint32_t len, uint32_t end)
{
	if ((uint64_t)off + len > end || (uint64_t)off + len > m->pkt_len)
		return NULL;
	for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
		if (off < s->data_len)
			return off + len <= s->data_len ? rte_pktmbuf_mtod_offset(s, uint8_t *, off)
							: NULL;
		off -= s->data_len;
	}
	return NULL;
}

static inline uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Checksums are kept as stored (network order); the RFC 1624 arithmetic
 * is byte-order independent when old, new and sum are all in one order. */
static inline void csum16(uint8_t *ck, uint16_t old, uint16_t new_)
{
	uint16_t c = rd16(ck);
	c = dp_csum_update16(c, old, new_);
	memcpy(ck, &c, 2);
}

static inline void csum32(uint8_t *ck, uint32_t old, uint32_t new_)
{
	uint16_t c = rd16(ck);
	c = dp_csum_update32(c, old, new_);
	memcpy(ck, &c, 2);
}

/* UDP: 0 means "no checksum" and stays 0; a sum that comes out 0 is sent
 * as 0xffff (RFC 768). */
static inline void csum_udp32(uint8_t *ck, uint32_t old, uint32_t new_)
{
	if (rd16(ck) == 0)
		return;
	csum32(ck, old, new_);
	if (rd16(ck) == 0)
		memset(ck, 0xff, 2);
}

static inline void csum_udp16(uint8_t *ck, uint16_t old, uint16_t new_)
{
	if (rd16(ck) == 0)
		return;
	csum16(ck, old, new_);
	if (rd16(ck) == 0)
		memset(ck, 0xff, 2);
}

/* Offset of the L4 checksum in a header of proto, 0 if none. */
static inline uint32_t l4_ck_off(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : proto == IPPROTO_ICMP ? 2 : 0;
}

/* An ordinary tracked packet of direction dir. */
static int ct_nat_pkt(const struct ct_conn *c, int dir, struct rte_mbuf *m,
		      const struct ct_pkt *p, struct dp_flow_key *fk)
{
	uint8_t side = ct_nat_side(c, dir), done = 0;
	uint32_t l3 = (uint32_t)m->outer_l3_len + m->l2_len, na = c->nat_addr[dir], oa;
	uint16_t np = c->nat_port[dir], op;
	uint8_t proto = p->key.proto, *ip, *l4 = NULL;
	uint32_t aoff = side == DP_CT_NAT_SRC ? 12 : 16, ck = l4_ck_off(proto), poff;
	uint32_t end = p->l4_off + p->l4_len;

	if ((ip = ct_wptr(m, l3, 20, p->l4_off)) == NULL)
		return -1;
	if (ct_nat_has_port(proto) && (l4 = ct_wptr(m, p->l4_off, ck + 2, end)) == NULL)
		return -1;
	oa = rd32(ip + aoff);
	if (oa != na) {
		memcpy(ip + aoff, &na, 4);
		csum32(ip + 10, oa, na);
		if (proto == IPPROTO_TCP)
			csum32(l4 + ck, oa, na);
		else if (proto == IPPROTO_UDP)
			csum_udp32(l4 + ck, oa, na);
		memcpy(side == DP_CT_NAT_SRC ? fk->ip_src : fk->ip_dst, &na, 4);
		done = side;
	}
	if (l4 == NULL)
		return done;
	poff = proto == IPPROTO_ICMP ? 4 : side == DP_CT_NAT_SRC ? 0 : 2;
	op = rd16(l4 + poff);
	if (op != np) {
		memcpy(l4 + poff, &np, 2);
		if (proto == IPPROTO_UDP)
			csum_udp16(l4 + ck, op, np);
		else
			csum16(l4 + ck, op, np);
		if (proto != IPPROTO_ICMP) {
			if (side == DP_CT_NAT_SRC)
				fk->tp_src = np;
			else
				fk->tp_dst = np;
		}
		done = side;
	}
	return done;
}

/* An ICMP error travelling in direction dir: its outer header gets dir's
 * translation on dir's side; the quoted packet (which travelled the other
 * way, translated) gets it back on the other side. */
static int ct_nat_err(const struct ct_conn *c, int dir, struct rte_mbuf *m,
		      const struct ct_pkt *p, struct dp_flow_key *fk)
{
	uint8_t side = ct_nat_side(c, dir), done = 0;
	bool in_src = side != DP_CT_NAT_SRC; /* the quote's side */
	uint32_t l3 = (uint32_t)m->outer_l3_len + m->l2_len, na = c->nat_addr[dir], oa;
	uint16_t np = c->nat_port[dir], op;
	uint8_t *ip, *icmp, *in, *il4, proto;
	uint32_t aoff = side == DP_CT_NAT_SRC ? 12 : 16, ioff = p->l4_off + 8, ihl, ck;
	uint32_t end = p->l4_off + p->l4_len;

	if ((ip = ct_wptr(m, l3, 20, p->l4_off)) == NULL ||
	    (icmp = ct_wptr(m, p->l4_off, 8, end)) == NULL ||
	    (in = ct_wptr(m, ioff, 20, end)) == NULL)
		return -1;
	ihl = (in[0] & 0xfu) * 4u;
	proto = in[9];
	/* the outer header: no pseudo header in ICMPv4's checksum */
	oa = rd32(ip + aoff);
	if (oa != na) {
		memcpy(ip + aoff, &na, 4);
		csum32(ip + 10, oa, na);
		memcpy(side == DP_CT_NAT_SRC ? fk->ip_src : fk->ip_dst, &na, 4);
		done = side;
	}
	/* the quoted IP header (ct_icmp_inner_key checked it: v4, ihl >= 20) */
	uint32_t iaoff = in_src ? 12 : 16;
	oa = rd32(in + iaoff);
	if (oa != na) {
		uint16_t oldck = rd16(in + 10);
		memcpy(in + iaoff, &na, 4);
		csum32(in + 10, oa, na);
		csum32(icmp + 2, oa, na);
		csum16(icmp + 2, oldck, rd16(in + 10));
		done = side;
	}
	if (!ct_nat_has_port(proto))
		return done;             /* tracked by address pair */
	/* the quoted L4 header: ports / identifier always (the lookup read
	 * them), its checksum when the quote holds it */
	ck = l4_ck_off(proto);
	uint32_t poff = proto == IPPROTO_ICMP ? 4 : in_src ? 0 : 2;
	if ((il4 = ct_wptr(m, ioff + ihl, poff + 2, end)) == NULL)
		return -1;
	uint8_t *ick = ct_wptr(m, ioff + ihl + ck, 2, end);
	uint16_t ick_old = ick != NULL ? rd16(ick) : 0;
	if (ick != NULL && oa != na) {
		if (proto == IPPROTO_TCP)
			csum32(ick, oa, na);
		else if (proto == IPPROTO_UDP)
			csum_udp32(ick, oa, na);
	}
	op = rd16(il4 + poff);
	if (op != np) {
		memcpy(il4 + poff, &np, 2);
		csum16(icmp + 2, op, np);
		if (ick != NULL) {
			if (proto == IPPROTO_UDP)
				csum_udp16(ick, op, np);
			else
				csum16(ick, op, np);
		}
		done = side;
	}
	if (ick != NULL && rd16(ick) != ick_old)
		csum16(icmp + 2, ick_old, rd16(ick));
	return done;
}

int ct_nat_apply(const struct ct_conn *c, int dir, struct rte_mbuf *m, const struct ct_pkt *p,
		 struct dp_flow_key *fk)
{
	return p->kind == CT_PK_ICMP_ERR ? ct_nat_err(c, dir, m, p, fk)
					 : ct_nat_pkt(c, dir, m, p, fk);
}

uint8_t ct_nat_would(const struct ct_conn *c, int dir, const struct ct_pkt *p)
{
	uint8_t side = ct_nat_side(c, dir);
	const uint8_t *a = side == DP_CT_NAT_SRC ? p->key.src : p->key.dst;
	uint16_t pt;

	if (memcmp(a, &c->nat_addr[dir], 4) != 0)
		return side;
	if (p->kind == CT_PK_ICMP_ERR || !ct_nat_has_port(p->key.proto))
		return 0;
	pt = (p->key.proto == IPPROTO_ICMP || side == DP_CT_NAT_SRC) ? p->key.sport
									: p->key.dport;
	return pt != c->nat_port[dir] ? side : 0;
}
