/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_nat_test_util.h — what dp/ct_nat_test.c builds its NAT cases
 * from: IPv4 frames with chosen addresses and correct checksums, a
 * from-scratch checksum verifier (rte_ipv4_cksum, rte_ipv4_udptcp_cksum,
 * rte_raw_cksum; an ICMP error's quote included), one frame through
 * dp_ct_process() with the frame and key as they come out, field readers,
 * and SNAT action builders.  On top of ct_test_util.h.
 */
#ifndef WYV_DP_CT_NAT_TEST_UTIL_H
#define WYV_DP_CT_NAT_TEST_UTIL_H

#include <rte_ip.h>

#include "ct_test_util.h"

#define A 1
#define B 2
#define C 3
#define R 254

static inline uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return htonl((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d);
}

#define EXT   ip4(203, 0, 113, 10)   /* the SNAT address */
#define FIP   ip4(203, 0, 113, 20)   /* a floating IP */
#define UP    ip4(198, 51, 100, 7)   /* "the Internet" */

static inline uint32_t h10(uint8_t i)
{
	return ip4(10, 0, 0, i);
}

/* ---- frames: addresses set by value, checksums made right ---------------- */

static inline void set_addrs(struct tpk *p, uint32_t at, uint32_t s, uint32_t d)
{
	memcpy(p->b + at + 12, &s, 4);
	memcpy(p->b + at + 16, &d, 4);
}

/* Fill the IPv4 header checksum and the L4 one (TCP, UDP unless udp0,
 * ICMP) of the IPv4 packet at offset at. */
static inline void fix_csums(uint8_t *b, uint32_t at, bool udp0)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + at);
	uint32_t ihl = (ip->version_ihl & 0xf) * 4u, len = ntohs(ip->total_length);
	uint8_t *l4 = b + at + ihl;

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		memset(l4 + 16, 0, 2);
		*(uint16_t *)(l4 + 16) = rte_ipv4_udptcp_cksum(ip, l4);
		break;
	case IPPROTO_UDP:
		memset(l4 + 6, 0, 2);
		if (!udp0)
			*(uint16_t *)(l4 + 6) = rte_ipv4_udptcp_cksum(ip, l4);
		break;
	case IPPROTO_ICMP:
		memset(l4 + 2, 0, 2);
		*(uint16_t *)(l4 + 2) = (uint16_t)~rte_raw_cksum(l4, len - ihl);
		break;
	}
}

/* Are all checksums of the IPv4 packet at `at` right, recomputed from
 * scratch?  An ICMP error's quote: its IP header always, its TCP/UDP
 * checksum when quote_full. */
static inline bool csums_ok(const uint8_t *b0, uint32_t at, bool quote_full)
{
	uint8_t b[1600];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + at);
	uint32_t ihl, len;
	uint16_t stored, want;
	uint8_t *l4;

	memcpy(b, b0, sizeof(b));
	ihl = (ip->version_ihl & 0xf) * 4u;
	len = ntohs(ip->total_length);
	l4 = b + at + ihl;
	stored = ip->hdr_checksum;
	ip->hdr_checksum = 0;
	if (rte_ipv4_cksum(ip) != stored)
		return false;
	ip->hdr_checksum = stored;
	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		memcpy(&stored, l4 + 16, 2);
		memset(l4 + 16, 0, 2);
		want = rte_ipv4_udptcp_cksum(ip, l4);
		return stored == want;
	case IPPROTO_UDP:
		memcpy(&stored, l4 + 6, 2);
		if (stored == 0)
			return true;
		memset(l4 + 6, 0, 2);
		want = rte_ipv4_udptcp_cksum(ip, l4);
		return stored == want;
	case IPPROTO_ICMP:
		if (rte_raw_cksum(l4, len - ihl) != 0xffff)
			return false;
		if (l4[0] == 3 || l4[0] == 11) { /* the quote */
			struct rte_ipv4_hdr *in = (struct rte_ipv4_hdr *)(l4 + 8);
			stored = in->hdr_checksum;
			in->hdr_checksum = 0;
			if (rte_ipv4_cksum(in) != stored)
				return false;
			in->hdr_checksum = stored;
			if (quote_full) {
				uint8_t *il4 = l4 + 8 + (in->version_ihl & 0xf) * 4u;
				uint32_t off = in->next_proto_id == IPPROTO_TCP ? 16 : 6;
				memcpy(&stored, il4 + off, 2);
				memset(il4 + off, 0, 2);
				if (rte_ipv4_udptcp_cksum(in, il4) != stored)
					return false;
			}
		}
		return true;
	}
	return true;
}

static inline void mk_tcp(struct tpk *p, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp, uint8_t fl,
		   uint32_t seq, uint32_t ack)
{
	t_tcp(p, 4, A, B, sp, dp, fl, seq, ack, 64000, -1, (fl & TH_SYN) ? 0 : 10);
	set_addrs(p, 14, s, d);
	fix_csums(p->b, 14, false);
}

static inline void mk_udp(struct tpk *p, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp, bool udp0)
{
	t_udp(p, 4, A, B, sp, dp);
	set_addrs(p, 14, s, d);
	fix_csums(p->b, 14, udp0);
}

static inline void mk_echo(struct tpk *p, uint32_t s, uint32_t d, uint8_t type, uint16_t id)
{
	t_echo(p, 4, A, B, type, id);
	set_addrs(p, 14, s, d);
	fix_csums(p->b, 14, false);
}

/* ICMP error from r to d quoting the IP packet of frame q (quote bytes). */
static inline void mk_err(struct tpk *p, uint32_t r, uint32_t d, uint8_t type, uint8_t code,
		   const struct tpk *q, uint32_t quote)
{
	t_icmp_err(p, 4, R, A, type, code, q, quote);
	set_addrs(p, 14, r, d);
	fix_csums(p->b, 14, false);
}

/* ---- one frame through ct(): the frame and key as they come out ---------- */

struct out {
	uint8_t state, nat;
	struct dp_flow_key k;
	struct tpk f;
};

static inline uint8_t run(struct dp_ct *ct, unsigned pmd, const struct dp_ct_action *a,
		   const struct tpk *in, struct out *o)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_mp);
	struct dp_flow_key *kp = &o->k;
	struct dp_ct_result r;

	CU_ASSERT_FATAL(m != NULL);
	memcpy(rte_pktmbuf_append(m, (uint16_t)in->n), in->b, in->n);
	CU_ASSERT_FATAL(dp_parse(m, 1, &o->k) == 0);
	dp_ct_process(ct, pmd, a, &m, &kp, &r, 1, t_now);
	o->f.n = rte_pktmbuf_pkt_len(m);
	memcpy(o->f.b, rte_pktmbuf_read(m, 0, o->f.n, o->f.b), o->f.n);
	rte_pktmbuf_free(m);
	o->state = r.state;
	o->nat = r.nat;
	return r.state;
}

static inline uint32_t f_src(const struct tpk *f, uint32_t at) { uint32_t v; memcpy(&v, f->b + at + 12, 4); return v; }
static inline uint32_t f_dst(const struct tpk *f, uint32_t at) { uint32_t v; memcpy(&v, f->b + at + 16, 4); return v; }
static inline uint16_t f_u16(const struct tpk *f, uint32_t off) { uint16_t v; memcpy(&v, f->b + off, 2); return ntohs(v); }
static inline uint32_t k_src(const struct dp_flow_key *k) { uint32_t v; memcpy(&v, k->ip_src, 4); return v; }
static inline uint32_t k_dst(const struct dp_flow_key *k) { uint32_t v; memcpy(&v, k->ip_dst, 4); return v; }

static inline struct dp_ct_action snat(uint16_t zone, uint32_t a0, uint32_t a1, uint16_t p0, uint16_t p1)
{
	struct dp_ct_action a = { .zone = zone, .commit = true, .nat = true,
				  .nat_cfg = { .kind = DP_CT_NAT_SRC, .addr_min = a0, .addr_max = a1,
					       .port_min = p0, .port_max = p1 } };
	return a;
}

static const struct dp_ct_action nat_only = { .zone = 1, .nat = true };
static const struct dp_ct_action nat_commit = { .zone = 1, .commit = true, .nat = true };

#endif
