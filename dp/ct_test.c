/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_test.c — conntrack beyond TCP: UDP and other protocols, ICMP echo,
 * RELATED ICMP/ICMPv6 errors (and forged or malformed ones), fragments,
 * expiry with a test clock, zone isolation, per-zone limits, flush, mark and
 * label, two PMD indexes on one thread, two zones in one call.  The multi-threaded stress test is
 * in ct_mt_test.c.
 */
#include <rte_malloc.h>

#include "test_main.h"
#include "ct_test_util.h"

#define A 1
#define B 2
#define R 254

static void test_udp(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct tpk o, r;
	struct dp_ct_entry e;

	for (int af = 4; af <= 6; af += 2) {
		t_udp(&o, af, A, B, 5353, 53);
		t_udp(&r, af, B, A, 53, 5353);
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), CS_NEW);
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), CS_NEW); /* no reply yet: still new */
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &r), CS_RPL);
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), CS_EST);
		CU_ASSERT_EQUAL(t_ct(ct, 1, false, &o), CS_EST);
	}
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 1), 2);
	CU_ASSERT_EQUAL_FATAL(t_dump1(ct, 1, &e), 1);
	CU_ASSERT_EQUAL(e.proto_state, DP_CT_GEN_MULTIPLE);
	CU_ASSERT_EQUAL(e.timeout_left_ms, 30000);
	dp_ct_destroy(ct);
}

static void test_other_proto(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct tpk o, r;
	struct dp_ct_entry e;
	char buf[96];

	t_eth(&o, 4);
	uint32_t at = t_ip(&o, 4, A, B, 47, 0); /* GRE: by address pair */
	tp_u32(&o, 0x00006558);
	t_ip_done(&o, at, 4);
	t_eth(&r, 4);
	at = t_ip(&r, 4, B, A, 47, 0);
	tp_u32(&r, 0x00006558);
	t_ip_done(&r, at, 4);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), CS_NEW);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &r), CS_RPL);
	CU_ASSERT_EQUAL_FATAL(t_dump1(ct, 1, &e), 1);
	dp_ct_key_fmt(&e.orig, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "zone=1 proto=47 10.0.0.1->10.0.0.2");
	dp_ct_destroy(ct);
}

static void test_icmp_echo(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct tpk p;

	for (int af = 4; af <= 6; af += 2) {
		uint8_t req = af == 4 ? 8 : 128, rep = af == 4 ? 0 : 129;
		t_echo(&p, af, A, B, rep, 77);
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &p), CS_INV); /* a reply starts nothing */
		t_echo(&p, af, A, B, req, 77);
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &p), CS_NEW);
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &p), CS_NEW);
		t_echo(&p, af, B, A, rep, 77);
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &p), CS_RPL);
		t_echo(&p, af, B, A, rep, 78);     /* other identifier */
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &p), CS_INV);
		t_echo(&p, af, B, A, req, 77);     /* the peer pings back: its own */
		CU_ASSERT_EQUAL(t_ct(ct, 1, false, &p), CS_NEW);
		t_echo(&p, af, A, B, req, 77);
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &p), CS_EST);
	}
	/* router solicitation (like ND) is not conntrack's business: invalid */
	t_echo(&p, 6, A, B, 133, 0);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &p), CS_INV);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 1), 2);
	dp_ct_destroy(ct);
}

static void test_related_v4(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct tpk syn, sa, err, ping;
	struct dp_ct_result res;
	struct dp_ct_action a = { .zone = 1, .commit = true, .set_mark = true, .mark = 9,
				  .mark_mask = ~0u };
	struct dp_ct_stats st;

	t_tcp(&syn, 4, A, B, 40000, 80, TH_SYN, 1000, 0, 64000, -1, 0);
	CU_ASSERT_EQUAL(t_ct_res(ct, 0, &a, &syn, NULL), CS_NEW);
	t_tcp(&sa, 4, B, A, 80, 40000, TH_SYN | TH_ACK, 5000, 1001, 64000, -1, 0);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &sa), CS_RPL);

	/* fragmentation needed, to A, quoting A's segment: related, reply way */
	t_icmp_err(&err, 4, R, A, 3, 4, &syn, 28);
	CU_ASSERT_EQUAL(t_ct_res(ct, 0, &a, &err, &res), CS_REL | DP_CS_RPL);
	CU_ASSERT_EQUAL(res.mark, 9);
	/* time exceeded, to B, quoting B's segment: related, original way */
	t_icmp_err(&err, 4, R, B, 11, 0, &sa, 576);
	CU_ASSERT_EQUAL(t_ct(ct, 1, false, &err), CS_REL);
	/* the same error in another zone knows nothing */
	CU_ASSERT_EQUAL(t_ct(ct, 2, false, &err), CS_INV);

	/* forged: a quoted tuple that matches nothing */
	struct tpk other;
	t_tcp(&other, 4, A, B, 40001, 80, TH_SYN, 1000, 0, 64000, -1, 0);
	t_icmp_err(&err, 4, R, A, 3, 4, &other, 28);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err), CS_INV);
	/* quoting A's segment but sent to B: not addressed back */
	t_icmp_err(&err, 4, R, B, 3, 4, &syn, 28);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err), CS_INV);
	/* truncated quote: IP header only */
	t_icmp_err(&err, 4, R, A, 3, 4, &syn, 20);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err), CS_INV);
	/* hostile inner IHL (60 bytes) pointing past the packet */
	t_icmp_err(&err, 4, R, A, 3, 4, &syn, 28);
	err.b[14 + 20 + 8] = 0x4f;
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err), CS_INV);
	/* inner IHL below 20 */
	err.b[14 + 20 + 8] = 0x43;
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err), CS_INV);
	/* quoted later fragment */
	t_icmp_err(&err, 4, R, A, 3, 4, &syn, 28);
	err.b[14 + 20 + 8 + 6] = 0x00;
	err.b[14 + 20 + 8 + 7] = 0x10;
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err), CS_INV);

	/* an error about a ping is related to the ping */
	t_echo(&ping, 4, A, B, 8, 5);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &ping), CS_NEW);
	t_icmp_err(&err, 4, R, A, 11, 0, &ping, 28);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err), CS_REL | DP_CS_RPL);
	/* an error quoting an error is not */
	struct tpk err2;
	t_icmp_err(&err2, 4, A, R, 3, 3, &err, 56);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err2), CS_INV);

	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.related, 3);
	CU_ASSERT_EQUAL(st.conns, 2); /* related errors create nothing */
	dp_ct_destroy(ct);
}

static void test_related_v6(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct tpk o, err, ext;

	t_udp(&o, 6, A, B, 4000, 4001);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), CS_NEW);
	/* packet too big to A quoting its datagram */
	t_icmp_err(&err, 6, R, A, 2, 0, &o, 1232);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err), CS_REL | DP_CS_RPL);
	/* destination unreachable; the quote carries a destination-options header */
	t_eth(&ext, 6);
	uint32_t at = t_ip(&ext, 6, A, B, 60, 0);
	tp_u8(&ext, 17); tp_u8(&ext, 0); tp_u16(&ext, 0); tp_u32(&ext, 0); /* 8-byte ext */
	tp_u16(&ext, 4000); tp_u16(&ext, 4001); tp_u16(&ext, 8); tp_u16(&ext, 0);
	t_ip_done(&ext, at, 6);
	t_icmp_err(&err, 6, R, A, 1, 4, &ext, 1232);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err), CS_REL | DP_CS_RPL);
	/* hostile: the extension header claims 2 KB */
	t_icmp_err(&err, 6, R, A, 1, 4, &ext, 1232);
	err.b[14 + 40 + 8 + 40 + 1] = 0xff;
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err), CS_INV);
	/* forged: other ports */
	struct tpk o2;
	t_udp(&o2, 6, A, B, 4000, 4002);
	t_icmp_err(&err, 6, R, A, 2, 0, &o2, 1232);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err), CS_INV);
	/* an ICMPv4 error type inside v6 (time exceeded is 3 in v6, 11 in v4) */
	t_icmp_err(&err, 6, R, A, 11, 0, &o, 1232);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err), CS_INV);
	t_icmp_err(&err, 6, R, A, 3, 0, &o, 1232);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &err), CS_REL | DP_CS_RPL);
	dp_ct_destroy(ct);
}

static void test_fragments(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_stats st;
	struct tpk p;

	/* first fragment (MF, offset 0): has ports, tracked */
	t_eth(&p, 4);
	uint32_t at = t_ip(&p, 4, A, B, 17, 0x2000);
	tp_u16(&p, 1000); tp_u16(&p, 2000); tp_u16(&p, 1480); tp_u16(&p, 0);
	tp_u32(&p, 0);
	t_ip_done(&p, at, 4);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &p), CS_NEW);
	/* later fragment: no L4 header, not reassembled: invalid */
	t_eth(&p, 4);
	at = t_ip(&p, 4, A, B, 17, 185);
	tp_u32(&p, 0); tp_u32(&p, 0);
	t_ip_done(&p, at, 4);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &p), CS_INV);
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.frag_later, 1);
	CU_ASSERT_EQUAL(st.invalid, 1);
	dp_ct_destroy(ct);
}

static void test_expiry(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_timeouts to;
	struct dp_ct_stats st;
	struct tpk o, r;
	uint64_t t0 = t_now;

	t_udp(&o, 4, A, B, 1, 2);
	t_udp(&r, 4, B, A, 2, 1);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), CS_NEW);
	t_now = t0 + 59000;
	CU_ASSERT_EQUAL(dp_ct_expire(ct, 0, t_now, 100000), 0);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &r), CS_RPL); /* multiple: 30 s from now */
	t_now = t0 + 59000 + 29000;
	CU_ASSERT_EQUAL(dp_ct_expire(ct, 0, t_now, 100000), 0);
	t_now = t0 + 59000 + 31000;
	CU_ASSERT_EQUAL(dp_ct_expire(ct, 0, t_now, 100000), 1);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 1), 0);
	CU_ASSERT_EQUAL(t_ct(ct, 1, false, &r), CS_NEW); /* gone: the reply is a stranger */

	/* configurable */
	dp_ct_get_timeouts(ct, &to);
	to.udp_first = 5;
	CU_ASSERT_EQUAL(dp_ct_set_timeouts(ct, &to), 0);
	to.udp_first = 0;
	CU_ASSERT_EQUAL(dp_ct_set_timeouts(ct, &to), -EINVAL);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), CS_NEW);
	t_now += 6000;
	CU_ASSERT_EQUAL(dp_ct_expire(ct, 0, t_now, 100000), 1);

	/* bounded: 200 connections, 64 slots examined per call */
	for (int i = 0; i < 200; i++) {
		t_udp(&o, 4, A, B, (uint16_t)(100 + i), 2);
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), CS_NEW);
	}
	t_now += 3600 * 1000;
	unsigned calls = 0, total = 0;
	while (dp_ct_zone_count(ct, 1) > 0 && calls < 100000) {
		unsigned k = dp_ct_expire(ct, 0, t_now, 64);
		CU_ASSERT(k <= 64);
		total += k;
		calls++;
	}
	CU_ASSERT_EQUAL(total, 200);
	CU_ASSERT(calls > 3);
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.expired, 202);
	CU_ASSERT_EQUAL(st.conns, 0);
	/* slots were recycled: the table fills again */
	for (int i = 0; i < 200; i++) {
		t_udp(&o, 4, A, B, (uint16_t)(100 + i), 2);
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), CS_NEW);
	}
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 1), 200);
	dp_ct_destroy(ct);
}

/* Removed connections wait for the readers' grace period before their slots
 * are reused; flush waits for it too. */
static void test_expiry_rcu(void)
{
	struct rte_rcu_qsbr *rcu = rte_zmalloc("ct_t_rcu", rte_rcu_qsbr_get_memsize(1),
					       RTE_CACHE_LINE_SIZE);
	struct dp_ct_stats st;
	struct dp_ct *ct;
	struct tpk o;

	CU_ASSERT_FATAL(rcu != NULL);
	CU_ASSERT_EQUAL_FATAL(rte_rcu_qsbr_init(rcu, 1), 0);
	ct = t_ct_new(1, rcu, false);
	rte_rcu_qsbr_thread_register(rcu, 0);
	rte_rcu_qsbr_thread_online(rcu, 0);
	t_udp(&o, 4, A, B, 1, 2);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), CS_NEW);
	t_now += 3600 * 1000;
	CU_ASSERT_EQUAL(dp_ct_expire(ct, 0, t_now, 1u << 20), 1);
	CU_ASSERT_EQUAL(t_ct(ct, 1, false, &o), CS_NEW);   /* gone from the table */
	dp_ct_expire(ct, 0, t_now, 16);
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.limbo, 1);                      /* the reader did not move */
	rte_rcu_qsbr_quiescent(rcu, 0);
	dp_ct_expire(ct, 0, t_now, 16);
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.limbo, 0);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), CS_NEW);
	rte_rcu_qsbr_thread_offline(rcu, 0);               /* flush synchronizes */
	CU_ASSERT_EQUAL(dp_ct_flush(ct, -1), 1);
	rte_rcu_qsbr_thread_unregister(rcu, 0);
	dp_ct_destroy(ct);
	rte_free(rcu);
}

static void test_zones(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct tpk o, r;

	t_udp(&o, 4, A, B, 7, 8);
	t_udp(&r, 4, B, A, 8, 7);
	CU_ASSERT_EQUAL(t_ct(ct, 10, true, &o), CS_NEW);
	CU_ASSERT_EQUAL(t_ct(ct, 11, false, &r), CS_NEW);  /* zone 11 never saw it */
	CU_ASSERT_EQUAL(t_ct(ct, 11, false, &o), CS_NEW);
	CU_ASSERT_EQUAL(t_ct(ct, 10, false, &r), CS_RPL);
	CU_ASSERT_EQUAL(t_ct(ct, 11, true, &o), CS_NEW);   /* its own connection */
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 10), 1);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 11), 1);
	CU_ASSERT_EQUAL(t_ct(ct, 11, false, &o), CS_NEW);  /* zone 11: no reply yet */
	CU_ASSERT_EQUAL(t_ct(ct, 10, false, &o), CS_EST);
	dp_ct_destroy(ct);
}

static void test_limits_and_flush(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_stats st;
	struct dp_ct_entry e;
	struct tpk o, r;
	uint32_t cur = 0;
	int n = 0;

	CU_ASSERT_EQUAL(dp_ct_set_zone_limit(ct, 5, 2), 0);
	for (int i = 0; i < 3; i++) {
		t_udp(&o, 4, A, B, (uint16_t)(10 + i), 2);
		CU_ASSERT_EQUAL(t_ct(ct, 5, true, &o), i < 2 ? CS_NEW : CS_INV);
		CU_ASSERT_EQUAL(t_ct(ct, 6, true, &o), CS_NEW);
	}
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 5), 2);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 6), 3);
	dp_ct_set_default_limit(ct, 1);
	t_udp(&o, 4, A, B, 1, 1);
	CU_ASSERT_EQUAL(t_ct(ct, 7, true, &o), CS_NEW);
	t_udp(&o, 4, A, B, 1, 2);
	CU_ASSERT_EQUAL(t_ct(ct, 7, true, &o), CS_INV);
	dp_ct_set_default_limit(ct, 0);
	CU_ASSERT_EQUAL(t_ct(ct, 7, true, &o), CS_NEW);
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.over_limit, 2);

	while (dp_ct_dump_next(ct, 6, &cur, t_now, &e)) {
		CU_ASSERT_EQUAL(e.zone, 6);
		n++;
	}
	CU_ASSERT_EQUAL(n, 3);

	/* flush one zone: the others keep their state */
	t_udp(&r, 4, B, A, 2, 10);
	CU_ASSERT_EQUAL(t_ct(ct, 6, false, &r), CS_RPL);
	CU_ASSERT_EQUAL(dp_ct_flush(ct, 5), 2);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 5), 0);
	CU_ASSERT_EQUAL(t_ct(ct, 5, false, &r), CS_NEW);
	CU_ASSERT_EQUAL(t_ct(ct, 6, false, &r), CS_RPL);
	t_udp(&o, 4, A, B, 12, 2);
	CU_ASSERT_EQUAL(t_ct(ct, 5, true, &o), CS_NEW); /* room again */
	CU_ASSERT_EQUAL(dp_ct_flush(ct, -1), 6);
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.conns, 0);
	CU_ASSERT_EQUAL(st.flushed, 8);
	CU_ASSERT_EQUAL(t_dump1(ct, -1, &e), 0);
	dp_ct_destroy(ct);
}

static void test_table_full(void)
{
	struct dp_ct_params p = { .name = "full", .max_conns = 4, .n_pmds = 1,
				  .socket_id = SOCKET_ID_ANY };
	struct dp_ct *ct = dp_ct_create(&p);
	struct dp_ct_stats st;
	struct tpk o;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ct);
	for (int i = 0; i < 6; i++) {
		t_udp(&o, 4, A, B, (uint16_t)(1 + i), 2);
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), i < 4 ? CS_NEW : CS_INV);
	}
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.conns, 4);
	CU_ASSERT_EQUAL(st.table_full, 2);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 1), 4);
	t_udp(&o, 4, A, B, 1, 2);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), CS_NEW); /* existing ones still work */
	t_now += 3600 * 1000;
	CU_ASSERT_EQUAL(dp_ct_expire(ct, 0, t_now, 1000), 4);
	t_udp(&o, 4, A, B, 9, 2);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &o), CS_NEW);
	dp_ct_destroy(ct);
}

static void test_mark_label(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = { .zone = 1, .commit = true, .set_mark = true, .mark = 0x11,
				  .mark_mask = 0xff, .set_label = true };
	struct dp_ct_result res;
	struct dp_ct_entry e;
	struct tpk o, r;

	a.label[15] = 0xab;
	a.label_mask[15] = 0xff;
	t_udp(&o, 4, A, B, 1, 2);
	t_udp(&r, 4, B, A, 2, 1);
	CU_ASSERT_EQUAL(t_ct_res(ct, 0, &a, &o, &res), CS_NEW);
	CU_ASSERT_EQUAL(res.mark, 0x11);
	CU_ASSERT_EQUAL(res.label[15], 0xab);
	CU_ASSERT_EQUAL(res.zone, 1);
	struct dp_ct_action look = { .zone = 1 };
	CU_ASSERT_EQUAL(t_ct_res(ct, 0, &look, &r, &res), CS_RPL);
	CU_ASSERT_EQUAL(res.mark, 0x11);
	CU_ASSERT_EQUAL(res.label[15], 0xab);
	/* a later commit changes the masked bits only */
	a.mark = 0x20;
	a.mark_mask = 0xf0;
	a.set_label = false;
	CU_ASSERT_EQUAL(t_ct_res(ct, 0, &a, &r, &res), CS_RPL);
	CU_ASSERT_EQUAL(res.mark, 0x21);
	CU_ASSERT_EQUAL(t_dump1(ct, 1, &e), 1);
	CU_ASSERT_EQUAL(e.mark, 0x21);
	CU_ASSERT_EQUAL(e.label[15], 0xab);
	/* without commit, nothing is set */
	a.commit = false;
	a.mark = 0xf0;
	CU_ASSERT_EQUAL(t_ct_res(ct, 0, &a, &o, &res), CS_EST);
	CU_ASSERT_EQUAL(res.mark, 0x21);
	dp_ct_destroy(ct);
}

/* Two PMD indexes on one thread: each direction on its own PMD, and a
 * burst mixing a new connection's first packet with its reply. */
static void test_two_pmds(void)
{
	struct dp_ct *ct = t_ct_new(2, NULL, false);
	struct dp_ct_action a = { .zone = 1, .commit = true };
	struct dp_ct_stats st;
	struct tpk p;

	t_tcp(&p, 4, A, B, 1, 2, TH_SYN, 100, 0, 1000, -1, 0);
	CU_ASSERT_EQUAL(t_ct_res(ct, 0, &a, &p, NULL), CS_NEW);
	t_tcp(&p, 4, B, A, 2, 1, TH_SYN | TH_ACK, 900, 101, 1000, -1, 0);
	CU_ASSERT_EQUAL(t_ct_res(ct, 1, &a, &p, NULL), CS_RPL);
	t_tcp(&p, 4, A, B, 1, 2, TH_ACK, 101, 901, 1000, -1, 0);
	CU_ASSERT_EQUAL(t_ct_res(ct, 0, &a, &p, NULL), CS_EST);
	t_tcp(&p, 4, B, A, 2, 1, TH_ACK, 901, 101, 1000, -1, 10);
	CU_ASSERT_EQUAL(t_ct_res(ct, 1, &a, &p, NULL), CS_RPL);

	/* one burst: UDP first packet (commit) then its reply */
	struct tpk o, r;
	t_udp(&o, 4, A, B, 3, 4);
	t_udp(&r, 4, B, A, 4, 3);
	struct rte_mbuf *m[2];
	struct dp_flow_key k[2];
	struct dp_flow_key *kp[2] = { &k[0], &k[1] };
	struct dp_ct_result res[2];
	const struct tpk *pk[2] = { &o, &r };
	for (int i = 0; i < 2; i++) {
		m[i] = rte_pktmbuf_alloc(t_mp);
		memcpy(rte_pktmbuf_append(m[i], (uint16_t)pk[i]->n), pk[i]->b, pk[i]->n);
		CU_ASSERT_EQUAL(dp_parse(m[i], 1, &k[i]), 0);
	}
	CU_ASSERT_EQUAL(dp_ct_process(ct, 1, &a, m, kp, res, 2, t_now), 0);
	CU_ASSERT_EQUAL(res[0].state, CS_NEW);
	CU_ASSERT_EQUAL(res[1].state, CS_RPL);
	rte_pktmbuf_free_bulk(m, 2);

	/* one burst: the same first packet twice, then the reply: one
	 * connection (the second packet finds the first one's commit) */
	struct dp_flow_key k3[3];
	struct dp_flow_key *kp3[3] = { &k3[0], &k3[1], &k3[2] };
	struct rte_mbuf *m3[3];
	struct dp_ct_result res3[3];
	t_udp(&o, 4, A, B, 5, 6);
	t_udp(&r, 4, B, A, 6, 5);
	const struct tpk *pk3[3] = { &o, &o, &r };
	for (int i = 0; i < 3; i++) {
		m3[i] = rte_pktmbuf_alloc(t_mp);
		memcpy(rte_pktmbuf_append(m3[i], (uint16_t)pk3[i]->n), pk3[i]->b, pk3[i]->n);
		CU_ASSERT_EQUAL(dp_parse(m3[i], 1, &k3[i]), 0);
	}
	CU_ASSERT_EQUAL(dp_ct_process(ct, 0, &a, m3, kp3, res3, 3, t_now), 0);
	CU_ASSERT_EQUAL(res3[0].state, CS_NEW);
	CU_ASSERT_EQUAL(res3[1].state, CS_NEW);
	CU_ASSERT_EQUAL(res3[2].state, CS_RPL);
	rte_pktmbuf_free_bulk(m3, 3);

	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.lookups, 9);
	CU_ASSERT_EQUAL(st.committed, 3);
	CU_ASSERT_EQUAL(st.established, 3);
	CU_ASSERT_EQUAL(ct == NULL, 0);
	/* per-PMD expiry of connections committed elsewhere */
	t_now += 86400ull * 1000 * 2;
	unsigned k1 = dp_ct_expire(ct, 1, t_now, 1u << 20);
	CU_ASSERT_EQUAL(k1, 3);
	dp_ct_destroy(ct);
}

/* Hostile bytes: random ICMP error quotes and random TCP headers/options
 * over a live connection.  Nothing may crash (run under ASan in the debug
 * build), every answer carries trk, and no error is related unless its
 * quote really names the connection. */
static void test_hostile(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct tpk syn, sa, p;
	uint64_t x = 88172645463325252ull;
	unsigned rel = 0, seen = 0;

	t_tcp(&syn, 4, A, B, 40000, 80, TH_SYN, 1000, 0, 64000, 3, 0);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &syn), CS_NEW);
	t_tcp(&sa, 4, B, A, 80, 40000, TH_SYN | TH_ACK, 5000, 1001, 64000, 3, 0);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &sa), CS_RPL);
	for (int i = 0; i < 20000; i++) {
		int af = (i & 1) ? 4 : 6;
		uint32_t qlen = 0;
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		if (i % 3 == 0) {
			/* an ICMP error whose quote is A's SYN with random bytes changed */
			t_tcp(&syn, af, A, B, 40000, 80, TH_SYN, 1000, 0, 64000, 3, 0);
			qlen = (uint32_t)(x % 80);
			t_icmp_err(&p, af, R, A, af == 4 ? 3 : 1, 4, &syn, qlen);
			uint32_t q0 = 14 + (af == 4 ? 20 : 40) + 8;
			for (int k = 0; k < 3 && p.n > q0; k++)
				p.b[q0 + (x >> (8 * k + 8)) % (p.n - q0)] = (uint8_t)(x >> (8 * k + 32));
		} else {
			/* a TCP segment with random flags, seq, ack, options */
			t_tcp(&p, 4, (i & 2) ? A : B, (i & 2) ? B : A, (i & 2) ? 40000 : 80,
			      (i & 2) ? 80 : 40000, (uint8_t)x, (uint32_t)(x >> 8),
			      (uint32_t)(x >> 24), (uint16_t)(x >> 40), 3, (uint16_t)(x % 50));
			p.b[14 + 20 + 12] = (uint8_t)((x >> 56) & 0xf0); /* data offset */
			p.b[14 + 20 + 21] = (uint8_t)(x >> 48);          /* option length */
		}
		uint8_t st = t_ct_try(ct, 1, (x >> 60) & 1, &p);
		if (st == 0)
			continue; /* the parser dropped it */
		CU_ASSERT(st & DP_CS_TRK);
		seen++;
		rel += (st & DP_CS_REL) != 0;
	}
	CU_ASSERT(seen > 10000);
	CU_ASSERT(rel < 20000 / 3);
	dp_ct_destroy(ct);
}

static void test_non_ip_and_args(void)
{
	struct dp_ct_params bad = { .name = "x", .max_conns = 0, .n_pmds = 1 };
	struct dp_ct *ct;
	struct tpk p;

	CU_ASSERT_PTR_NULL(dp_ct_create(&bad));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	CU_ASSERT_PTR_NULL(dp_ct_create(NULL));
	dp_ct_destroy(NULL);
	ct = t_ct_new(1, NULL, false);
	t_eth(&p, 4);
	p.b[12] = 0x08;
	p.b[13] = 0x06; /* ARP */
	tp_u16(&p, 1); tp_u16(&p, 0x0800); tp_u8(&p, 6); tp_u8(&p, 4); tp_u16(&p, 1);
	for (int i = 0; i < 20; i++)
		tp_u8(&p, (uint8_t)i);
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &p) & DP_CS_INV, DP_CS_INV);
	dp_ct_destroy(ct);
}

/* dp_ct_process2 (two zones, one bulk lookup) against dp_ct_process twice
 * in a row on a second table: random bursts (up to 40 packets: two chunks)
 * of UDP, TCP, ICMP echo and ICMP errors over a few hosts and ports, both
 * directions, the two zones sometimes the same (a hairpin: the second
 * action must see what the first committed in the same burst), commit,
 * mark and label at random.  Every result and return value must agree. */
static uint64_t t2_rng = 0x2545f4914f6cdd1dull;
static unsigned t2_rand(unsigned n)
{
	t2_rng ^= t2_rng << 13;
	t2_rng ^= t2_rng >> 7;
	t2_rng ^= t2_rng << 17;
	return (unsigned)(t2_rng >> 33) % n;
}

static void t2_frame(struct tpk *p, struct tpk *last)
{
	int af = t2_rand(4) ? 4 : 6;
	uint8_t s = (uint8_t)(1 + t2_rand(3)), d = (uint8_t)(1 + t2_rand(3));
	uint16_t sp = (uint16_t)(1000 + t2_rand(3)), dpt = (uint16_t)(1000 + t2_rand(3));
	static const uint8_t fl[] = { TH_SYN, TH_SYN | TH_ACK, TH_ACK, TH_FIN | TH_ACK, TH_RST };

	switch (t2_rand(5)) {
	case 0: case 1:
		t_udp(p, af, s, d, sp, dpt);
		break;
	case 2:
		t_tcp(p, af, s, d, sp, dpt, fl[t2_rand(5)], 100 + t2_rand(3), 100 + t2_rand(3),
		      1000, -1, (uint16_t)t2_rand(4));
		break;
	case 3:
		t_echo(p, af, s, d, af == 4 ? (t2_rand(2) ? 8 : 0) : (t2_rand(2) ? 128 : 129),
		       (uint16_t)t2_rand(3));
		break;
	default: /* an error quoting the previous frame, from a router */
		if (last->n == 0) {
			t_udp(p, af, s, d, sp, dpt);
			break;
		}
		af = last->b[12] == 0x08 ? 4 : 6;
		t_icmp_err(p, af, R, last->b[14 + (af == 4 ? 12 : 8) + (af == 4 ? 3 : 15)],
			   af == 4 ? 3 : 1, af == 4 ? 4 : 0, last, 64);
		break;
	}
}

static void test_two_zones_one_call(void)
{
	struct dp_ct *x = t_ct_new(1, NULL, false), *y = t_ct_new(1, NULL, false);
	struct tpk fr[40], last = { .n = 0 };
	struct rte_mbuf *m[40];
	struct dp_flow_key k[40], *kp[40];
	struct dp_ct_result r0[40], r1[40], s0[40], s1[40];
	unsigned same = 0, diff = 0, valid = 0;

	for (unsigned burst = 0; burst < 400; burst++) {
		unsigned n = 1 + t2_rand(40), np = 0;
		struct dp_ct_action a0 = { .zone = (uint16_t)(1 + t2_rand(2)),
					   .commit = t2_rand(3) != 0,
					   .sg_dir = DP_CT_SG_EGRESS };
		struct dp_ct_action a1 = { .zone = (uint16_t)(1 + t2_rand(2)), .commit = true,
					   .sg_dir = DP_CT_SG_INGRESS };
		if (t2_rand(2)) {
			a1.set_mark = true;
			a1.mark = t2_rand(16);
			a1.mark_mask = 0xff;
		}
		if (t2_rand(4) == 0) {
			a0.set_label = true;
			a0.label[3] = (uint8_t)t2_rand(256);
			a0.label_mask[3] = 0xff;
		}
		for (unsigned i = 0; i < n; i++) {
			t2_frame(&fr[np], &last);
			last = fr[np];
			m[np] = rte_pktmbuf_alloc(t_mp);
			CU_ASSERT_FATAL(m[np] != NULL);
			memcpy(rte_pktmbuf_append(m[np], (uint16_t)fr[np].n), fr[np].b, fr[np].n);
			if (dp_parse(m[np], 1, &k[np]) != 0) {
				rte_pktmbuf_free(m[np]);
				continue;
			}
			kp[np] = &k[np];
			np++;
		}
		unsigned ix = dp_ct_process2(x, 0, &a0, &a1, m, kp, r0, r1, np, t_now);
		unsigned iy = dp_ct_process(y, 0, &a0, m, kp, s0, np, t_now);
		iy += dp_ct_process(y, 0, &a1, m, kp, s1, np, t_now);
		CU_ASSERT_EQUAL(ix, iy);
		for (unsigned i = 0; i < np; i++) {
			CU_ASSERT_EQUAL(r0[i].state, s0[i].state);
			CU_ASSERT_EQUAL(r0[i].zone, s0[i].zone);
			CU_ASSERT_EQUAL(r0[i].mark, s0[i].mark);
			CU_ASSERT_EQUAL(memcmp(r0[i].label, s0[i].label, 16), 0);
			CU_ASSERT_EQUAL(r1[i].state, s1[i].state);
			CU_ASSERT_EQUAL(r1[i].zone, s1[i].zone);
			CU_ASSERT_EQUAL(r1[i].mark, s1[i].mark);
			valid += !(s1[i].state & DP_CS_INV);
		}
		rte_pktmbuf_free_bulk(m, np);
		*(a0.zone == a1.zone ? &same : &diff) += 1;
		t_now += t2_rand(3);
	}
	CU_ASSERT_EQUAL(dp_ct_zone_count(x, 1), dp_ct_zone_count(y, 1));
	CU_ASSERT_EQUAL(dp_ct_zone_count(x, 2), dp_ct_zone_count(y, 2));
	CU_ASSERT(same > 50 && diff > 50 && valid > 1000);
	printf("(%u hairpin bursts, %u two-zone, %u valid results) ", same, diff, valid);
	dp_ct_destroy(x);
	dp_ct_destroy(y);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "ct_test", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("ct", t_setup, t_teardown);
	CU_add_test(s, "UDP v4/v6: new until a reply, then est", test_udp);
	CU_add_test(s, "other protocols by address pair", test_other_proto);
	CU_add_test(s, "ICMP/ICMPv6 echo", test_icmp_echo);
	CU_add_test(s, "RELATED ICMPv4 errors; forged and malformed ones", test_related_v4);
	CU_add_test(s, "RELATED ICMPv6 errors, extension headers", test_related_v6);
	CU_add_test(s, "fragments: first tracked, later invalid", test_fragments);
	CU_add_test(s, "expiry with a test clock, bounded per call", test_expiry);
	CU_add_test(s, "removed connections wait for a grace period", test_expiry_rcu);
	CU_add_test(s, "zone isolation", test_zones);
	CU_add_test(s, "per-zone limits, dump, flush by zone", test_limits_and_flush);
	CU_add_test(s, "table full", test_table_full);
	CU_add_test(s, "mark and label on commit", test_mark_label);
	CU_add_test(s, "two PMD indexes, one burst with both directions", test_two_pmds);
	CU_add_test(s, "hostile ICMP quotes and TCP headers", test_hostile);
	CU_add_test(s, "non-IP; bad create arguments", test_non_ip_and_args);
	CU_add_test(s, "two zones in one call = two calls in a row", test_two_zones_one_call);
	return t_run_all();
}
