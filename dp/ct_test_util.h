/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_test_util.h — what the conntrack tests share: real frames built byte
 * by byte, parsed by dp_parse() into an mbuf + flow key, then run through
 * dp_ct_process() one at a time with a test-controlled clock.
 */
#ifndef WYV_DP_CT_TEST_UTIL_H
#define WYV_DP_CT_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ct.h"
#include "parse.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

static struct rte_mempool *t_mp;
static uint64_t t_now = 1000000;      /* ms; tests move it */
static unsigned t_seq;

struct tpk {
	uint8_t b[1600];
	uint32_t n;
};

static inline void tp_put(struct tpk *p, const void *d, uint32_t n)
{
	memcpy(p->b + p->n, d, n);
	p->n += n;
}
static inline void tp_u8(struct tpk *p, uint8_t v) { tp_put(p, &v, 1); }
static inline void tp_u16(struct tpk *p, uint16_t v) { v = htons(v); tp_put(p, &v, 2); }
static inline void tp_u32(struct tpk *p, uint32_t v) { v = htonl(v); tp_put(p, &v, 4); }

/* Host i: v4 10.0.0.i, v6 2001:db8::i. */
static inline void t_addr(int af, uint8_t i, uint8_t out[16])
{
	memset(out, 0, 16);
	if (af == 4) {
		out[0] = 10;
		out[3] = i;
	} else {
		out[0] = 0x20; out[1] = 0x01; out[2] = 0x0d; out[3] = 0xb8;
		out[15] = i;
	}
}

/* IP header (no Ethernet); returns its offset; t_ip_done() sets lengths. */
static inline uint32_t t_ip(struct tpk *p, int af, uint8_t s, uint8_t d, uint8_t proto, uint16_t frag)
{
	uint8_t a[16], b[16];
	uint32_t at = p->n;

	t_addr(af, s, a);
	t_addr(af, d, b);
	if (af == 4) {
		tp_u8(p, 0x45); tp_u8(p, 0); tp_u16(p, 0); tp_u16(p, 1);
		tp_u16(p, frag); tp_u8(p, 64); tp_u8(p, proto); tp_u16(p, 0);
		tp_put(p, a, 4); tp_put(p, b, 4);
	} else {
		tp_u32(p, 0x60000000); tp_u16(p, 0); tp_u8(p, proto); tp_u8(p, 64);
		tp_put(p, a, 16); tp_put(p, b, 16);
	}
	return at;
}

static inline void t_ip_done(struct tpk *p, uint32_t at, int af)
{
	uint16_t v;
	if (af == 4) {
		v = htons((uint16_t)(p->n - at));
		memcpy(p->b + at + 2, &v, 2);
	} else {
		v = htons((uint16_t)(p->n - at - 40));
		memcpy(p->b + at + 4, &v, 2);
	}
}

static inline void t_eth(struct tpk *p, int af)
{
	static const uint8_t m[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	p->n = 0;
	tp_put(p, m, 12);
	tp_u16(p, af == 4 ? 0x0800 : 0x86dd);
}

/* TCP segment; wscale < 0: no option; plen payload bytes. */
static inline void t_tcp_hdr(struct tpk *p, uint16_t sp, uint16_t dp, uint8_t flags, uint32_t seq,
		      uint32_t ack, uint16_t win, int wscale, uint16_t plen)
{
	tp_u16(p, sp); tp_u16(p, dp); tp_u32(p, seq); tp_u32(p, ack);
	tp_u8(p, wscale >= 0 ? 0x60 : 0x50); tp_u8(p, flags); tp_u16(p, win);
	tp_u16(p, 0); tp_u16(p, 0);
	if (wscale >= 0) {
		tp_u8(p, 1); tp_u8(p, 3); tp_u8(p, 3); tp_u8(p, (uint8_t)wscale);
	}
	for (uint16_t i = 0; i < plen; i++)
		tp_u8(p, (uint8_t)i);
}

static inline void t_tcp(struct tpk *p, int af, uint8_t s, uint8_t d, uint16_t sp, uint16_t dp,
		  uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, int wscale, uint16_t plen)
{
	t_eth(p, af);
	uint32_t at = t_ip(p, af, s, d, 6, 0);
	t_tcp_hdr(p, sp, dp, flags, seq, ack, win, wscale, plen);
	t_ip_done(p, at, af);
}

static inline void t_udp(struct tpk *p, int af, uint8_t s, uint8_t d, uint16_t sp, uint16_t dp)
{
	t_eth(p, af);
	uint32_t at = t_ip(p, af, s, d, 17, 0);
	tp_u16(p, sp); tp_u16(p, dp); tp_u16(p, 12); tp_u16(p, 0);
	tp_u32(p, 0xdeadbeef);
	t_ip_done(p, at, af);
}

/* ICMP query (v4 type 8/0, v6 128/129) with identifier id. */
static inline void t_echo(struct tpk *p, int af, uint8_t s, uint8_t d, uint8_t type, uint16_t id)
{
	t_eth(p, af);
	uint32_t at = t_ip(p, af, s, d, af == 4 ? 1 : 58, 0);
	tp_u8(p, type); tp_u8(p, 0); tp_u16(p, 0); tp_u16(p, id); tp_u16(p, 1);
	tp_u32(p, 0x01020304);
	t_ip_done(p, at, af);
}

/* ICMP error from router r to d quoting inner (an IP packet, no Ethernet),
 * cut to quote_len bytes. */
static inline void t_icmp_err(struct tpk *p, int af, uint8_t r, uint8_t d, uint8_t type, uint8_t code,
		       const struct tpk *inner_frame, uint32_t quote_len)
{
	t_eth(p, af);
	uint32_t at = t_ip(p, af, r, d, af == 4 ? 1 : 58, 0);
	tp_u8(p, type); tp_u8(p, code); tp_u16(p, 0); tp_u32(p, af == 4 ? 1400 : 1280);
	uint32_t q = inner_frame->n - 14;
	if (q > quote_len)
		q = quote_len;
	tp_put(p, inner_frame->b + 14, q);
	t_ip_done(p, at, af);
}

/* Run one frame through conntrack; returns ct_state, fills *r if given. */
static inline uint8_t t_ct_res(struct dp_ct *ct, unsigned pmd, const struct dp_ct_action *a,
			const struct tpk *p, struct dp_ct_result *out)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_mp);
	struct dp_flow_key k;
	struct dp_ct_result r;
	struct dp_flow_key *kp = &k;

	CU_ASSERT_FATAL(m != NULL);
	memcpy(rte_pktmbuf_append(m, (uint16_t)p->n), p->b, p->n);
	CU_ASSERT_EQUAL(dp_parse(m, 1, &k), 0);
	dp_ct_process(ct, pmd, a, &m, &kp, &r, 1, t_now);
	rte_pktmbuf_free(m);
	if (out != NULL)
		*out = r;
	return r.state;
}

/* Like t_ct, for hostile frames: 0 when the parser (which runs before ct()
 * in the datapath) already refuses the frame. */
static inline uint8_t t_ct_try(struct dp_ct *ct, uint16_t zone, bool commit, const struct tpk *p)
{
	struct dp_ct_action a = { .zone = zone, .commit = commit };
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_mp);
	struct dp_flow_key k;
	struct dp_flow_key *kp = &k;
	struct dp_ct_result r = { 0 };

	CU_ASSERT_FATAL(m != NULL);
	memcpy(rte_pktmbuf_append(m, (uint16_t)p->n), p->b, p->n);
	if (dp_parse(m, 1, &k) == 0)
		dp_ct_process(ct, 0, &a, &m, &kp, &r, 1, t_now);
	rte_pktmbuf_free(m);
	return r.state;
}

static inline uint8_t t_ct(struct dp_ct *ct, uint16_t zone, bool commit, const struct tpk *p)
{
	struct dp_ct_action a = { .zone = zone, .commit = commit };
	return t_ct_res(ct, 0, &a, p, NULL);
}

#define CS_NEW (DP_CS_TRK | DP_CS_NEW)
#define CS_EST (DP_CS_TRK | DP_CS_EST)
#define CS_RPL (DP_CS_TRK | DP_CS_EST | DP_CS_RPL)
#define CS_INV (DP_CS_TRK | DP_CS_INV)
#define CS_REL (DP_CS_TRK | DP_CS_REL)

static inline struct dp_ct *t_ct_new(unsigned n_pmds, struct rte_rcu_qsbr *rcu, bool liberal)
{
	char name[32];
	snprintf(name, sizeof(name), "t%u", t_seq++);
	struct dp_ct_params p = {
		.name = name, .max_conns = 8192, .n_pmds = n_pmds, .socket_id = SOCKET_ID_ANY,
		.rcu = rcu, .tcp_liberal = liberal,
	};
	struct dp_ct *ct = dp_ct_create(&p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ct);
	return ct;
}

/* First entry of a dump (zone < 0: any); 0 if none. */
static inline int t_dump1(struct dp_ct *ct, int zone, struct dp_ct_entry *e)
{
	uint32_t cur = 0;
	return dp_ct_dump_next(ct, zone, &cur, t_now, e);
}

static inline int t_setup(void)
{
	if (t_mp == NULL)
		t_mp = rte_pktmbuf_pool_create("ct_test_mp", 1023, 0, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return t_mp == NULL;
}

static inline int t_teardown(void)
{
	return 0;
}

#endif
