/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_tcp_test.c — conntrack's TCP state machine: handshake, simultaneous
 * open, retransmits, window tracking (strict and liberal, window scaling),
 * RST in and out of window, FIN/TIME_WAIT and reopen, invalid flags.
 * Real frames through dp_parse() and dp_ct_process().
 */
#include <rte_eal.h>

#include "test_main.h"
#include "ct_test_util.h"

#define A 1
#define B 2
#define PA 40000
#define PB 80

/* a -> b or b -> a of one flow */
static uint8_t ab(struct dp_ct *ct, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
		  uint16_t plen)
{
	struct tpk p;
	t_tcp(&p, 4, A, B, PA, PB, flags, seq, ack, win, -1, plen);
	return t_ct(ct, 1, true, &p);
}

static uint8_t ba(struct dp_ct *ct, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
		  uint16_t plen)
{
	struct tpk p;
	t_tcp(&p, 4, B, A, PB, PA, flags, seq, ack, win, -1, plen);
	return t_ct(ct, 1, true, &p);
}

static uint8_t tcp_state(struct dp_ct *ct)
{
	struct dp_ct_entry e;
	if (!t_dump1(ct, -1, &e))
		return 0xff;
	return e.proto_state;
}

/* SYN, SYN-ACK, ACK with ISNs 1000 / 5000 and 64000-byte windows. */
static void handshake(struct dp_ct *ct)
{
	CU_ASSERT_EQUAL(ab(ct, TH_SYN, 1000, 0, 64000, 0), CS_NEW);
	CU_ASSERT_EQUAL(ba(ct, TH_SYN | TH_ACK, 5000, 1001, 64000, 0), CS_RPL);
	CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1001, 5001, 64000, 0), CS_EST);
}

static void test_handshake(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_stats st;
	struct dp_ct_entry e;
	char buf[128];

	CU_ASSERT_EQUAL(ab(ct, TH_SYN, 1000, 0, 64000, 0), CS_NEW);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_SYN_SENT);
	CU_ASSERT_EQUAL(ab(ct, TH_SYN, 1000, 0, 64000, 0), CS_NEW); /* retransmitted SYN */
	CU_ASSERT_EQUAL(ba(ct, TH_SYN | TH_ACK, 5000, 1001, 64000, 0), CS_RPL);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_SYN_RECV);
	CU_ASSERT_EQUAL(ba(ct, TH_SYN | TH_ACK, 5000, 1001, 64000, 0), CS_RPL); /* retransmit */
	CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1001, 5001, 64000, 0), CS_EST);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(ab(ct, TH_ACK | TH_PSH, 1001, 5001, 64000, 100), CS_EST);
	CU_ASSERT_EQUAL(ba(ct, TH_ACK | TH_PSH, 5001, 1101, 64000, 200), CS_RPL);
	CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1101, 5201, 64000, 0), CS_EST);

	CU_ASSERT_EQUAL_FATAL(t_dump1(ct, 1, &e), 1);
	dp_ct_key_fmt(&e.orig, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "zone=1 tcp 10.0.0.1:40000->10.0.0.2:80");
	dp_ct_key_fmt(&e.reply, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "zone=1 tcp 10.0.0.2:80->10.0.0.1:40000");
	CU_ASSERT(e.reply_seen);
	CU_ASSERT_EQUAL(e.timeout_left_ms, 86400u * 1000);
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.committed, 1);
	CU_ASSERT_EQUAL(st.established, 1);
	CU_ASSERT_EQUAL(st.invalid, 0);
	CU_ASSERT_EQUAL(st.conns, 1);
	CU_ASSERT_EQUAL(st.lookups, 8);
	dp_ct_destroy(ct);
}

static void test_no_commit_and_bad_first(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct tpk p;
	struct dp_ct_stats st;

	/* lookup without commit: new, nothing stored; the answer is then invalid */
	t_tcp(&p, 4, A, B, PA, PB, TH_SYN, 1000, 0, 64000, -1, 0);
	CU_ASSERT_EQUAL(t_ct(ct, 1, false, &p), CS_NEW);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 1), 0);
	CU_ASSERT_EQUAL(ba(ct, TH_SYN | TH_ACK, 5000, 1001, 64000, 0), CS_INV);
	/* only a SYN starts a connection; nonsense flags are invalid */
	CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1001, 5001, 64000, 0), CS_INV);
	CU_ASSERT_EQUAL(ab(ct, TH_SYN | TH_FIN, 1000, 0, 64000, 0), CS_INV);
	CU_ASSERT_EQUAL(ab(ct, TH_SYN | TH_RST, 1000, 0, 64000, 0), CS_INV);
	CU_ASSERT_EQUAL(ab(ct, 0, 1000, 0, 64000, 0), CS_INV);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 1), 0);
	handshake(ct);
	CU_ASSERT_EQUAL(ab(ct, TH_FIN, 1001, 0, 64000, 0), CS_INV); /* FIN without ACK */
	CU_ASSERT_EQUAL(ab(ct, TH_SYN, 7777, 0, 64000, 0), CS_INV); /* new ISN, established */
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.invalid, 7);
	CU_ASSERT_EQUAL(st.committed, 1);
	dp_ct_destroy(ct);
}

/* The server speaks first after its SYN-ACK, before the third ACK arrives
 * (the two directions on two PMDs make any order possible). */
static void test_server_data_first(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);

	CU_ASSERT_EQUAL(ab(ct, TH_SYN, 1000, 0, 64000, 0), CS_NEW);
	CU_ASSERT_EQUAL(ba(ct, TH_SYN | TH_ACK, 5000, 1001, 64000, 0), CS_RPL);
	CU_ASSERT_EQUAL(ba(ct, TH_ACK | TH_PSH, 5001, 1001, 64000, 300), CS_RPL);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_SYN_RECV);
	CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1001, 5001, 64000, 0), CS_EST); /* the late third ACK */
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1001, 5301, 64000, 0), CS_EST);
	dp_ct_destroy(ct);
}

static void test_simultaneous_open(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);

	CU_ASSERT_EQUAL(ab(ct, TH_SYN, 1000, 0, 64000, 0), CS_NEW);
	CU_ASSERT_EQUAL(ba(ct, TH_SYN, 5000, 0, 64000, 0), CS_RPL); /* crossing SYN */
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_SYN_RECV);
	CU_ASSERT_EQUAL(ab(ct, TH_SYN | TH_ACK, 1000, 5001, 64000, 0), CS_EST);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_SYN_RECV);
	CU_ASSERT_EQUAL(ba(ct, TH_SYN | TH_ACK, 5000, 1001, 64000, 0), CS_RPL);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_ESTABLISHED);
	CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1001, 5001, 64000, 10), CS_EST);
	CU_ASSERT_EQUAL(ba(ct, TH_ACK, 5001, 1011, 64000, 0), CS_RPL);
	/* a SYN-ACK that acks the wrong sequence is not part of it */
	CU_ASSERT_EQUAL(ba(ct, TH_SYN | TH_ACK, 5000, 999, 64000, 0), CS_INV);
	dp_ct_destroy(ct);
}

static void test_retransmit_and_window(void)
{
	struct dp_ct *strict = t_ct_new(1, NULL, false), *lib = t_ct_new(1, NULL, true);
	struct dp_ct *cts[2] = { strict, lib };

	for (int i = 0; i < 2; i++) {
		struct dp_ct *ct = cts[i];
		handshake(ct);
		CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1001, 5001, 64000, 1000), CS_EST);
		CU_ASSERT_EQUAL(ab(ct, TH_ACK, 2001, 5001, 64000, 1000), CS_EST);
		/* retransmits: the first segment again, and a partial overlap */
		CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1001, 5001, 64000, 1000), CS_EST);
		CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1501, 5001, 64000, 1000), CS_EST);
		/* the receiver acks what it got, and a duplicate ack */
		CU_ASSERT_EQUAL(ba(ct, TH_ACK, 5001, 3001, 64000, 0), CS_RPL);
		CU_ASSERT_EQUAL(ba(ct, TH_ACK, 5001, 3001, 64000, 0), CS_RPL);
		/* last byte of the window, and one past it */
		CU_ASSERT_EQUAL(ab(ct, TH_ACK, 3001 + 64000 - 100, 5001, 64000, 100), CS_EST);
		uint8_t past = ab(ct, TH_ACK, 3001 + 64000, 5001, 64000, 100);
		/* far ahead, and far behind (older than a window) */
		uint8_t ahead = ab(ct, TH_ACK, 3001 + 500000, 5001, 64000, 100);
		uint8_t behind = ab(ct, TH_ACK, 1001 - 70000, 5001, 64000, 100);
		/* acks data the other side never sent */
		uint8_t bad_ack = ab(ct, TH_ACK, 3001, 5001 + 100000, 64000, 0);
		if (ct == strict) {
			CU_ASSERT_EQUAL(past, CS_INV);
			CU_ASSERT_EQUAL(ahead, CS_INV);
			CU_ASSERT_EQUAL(behind, CS_INV);
			CU_ASSERT_EQUAL(bad_ack, CS_INV);
		} else {
			CU_ASSERT_EQUAL(past, CS_EST);
			CU_ASSERT_EQUAL(ahead, CS_EST);
			CU_ASSERT_EQUAL(behind, CS_EST);
			CU_ASSERT_EQUAL(bad_ack, CS_EST);
		}
		CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_ESTABLISHED);
	}
	/* liberal can be switched at run time */
	dp_ct_set_tcp_liberal(strict, true);
	CU_ASSERT_EQUAL(ab(strict, TH_ACK, 3001 + 900000, 5001, 64000, 100), CS_EST);
	dp_ct_destroy(strict);
	dp_ct_destroy(lib);
}

static void test_window_scale(void)
{
	for (int scaled = 0; scaled < 2; scaled++) {
		struct dp_ct *ct = t_ct_new(1, NULL, false);
		struct tpk p;

		t_tcp(&p, 4, A, B, PA, PB, TH_SYN, 1000, 0, 1000, scaled ? 7 : -1, 0);
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &p), CS_NEW);
		t_tcp(&p, 4, B, A, PB, PA, TH_SYN | TH_ACK, 5000, 1001, 1000, 7, 0);
		CU_ASSERT_EQUAL(t_ct(ct, 1, true, &p), CS_RPL);
		/* 512 << 7 = 65536 bytes when both sides scale, else 512 */
		CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1001, 5001, 512, 0), CS_EST);
		CU_ASSERT_EQUAL(ba(ct, TH_ACK, 5001 + 60000, 1001, 512, 100),
				scaled ? CS_RPL : CS_INV);
		CU_ASSERT_EQUAL(ba(ct, TH_ACK, 5001, 1001, 512, 400), CS_RPL);
		dp_ct_destroy(ct);
	}
}

static void test_rst(void)
{
	for (int lib = 0; lib < 2; lib++) {
		struct dp_ct *ct = t_ct_new(1, NULL, lib);
		handshake(ct);
		/* blind RSTs, out of window: ignored even in liberal mode */
		CU_ASSERT_EQUAL(ba(ct, TH_RST, 5001 + 1000000, 0, 0, 0), CS_INV);
		CU_ASSERT_EQUAL(ab(ct, TH_RST | TH_ACK, 1001 - 200000, 5001, 0, 0), CS_INV);
		CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_ESTABLISHED);
		/* in window: closes */
		CU_ASSERT_EQUAL(ba(ct, TH_RST, 5001, 0, 0, 0), CS_RPL);
		CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_CLOSE);
		struct dp_ct_entry e;
		CU_ASSERT_EQUAL(t_dump1(ct, 1, &e), 1);
		CU_ASSERT_EQUAL(e.timeout_left_ms, 30000);
		/* a new SYN reopens a closed connection */
		CU_ASSERT_EQUAL(ab(ct, TH_SYN, 77000, 0, 64000, 0), CS_NEW);
		CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_SYN_SENT);
		dp_ct_destroy(ct);
	}
}

/* A closed port answers the SYN with RST+ACK: valid (the client must see
 * it), only when it acks the SYN. */
static void test_refused(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);

	CU_ASSERT_EQUAL(ab(ct, TH_SYN, 1000, 0, 64000, 0), CS_NEW);
	CU_ASSERT_EQUAL(ba(ct, TH_RST | TH_ACK, 0, 7777, 0, 0), CS_INV); /* acks nothing sent */
	CU_ASSERT_EQUAL(ba(ct, TH_RST, 0, 0, 0, 0), CS_INV);             /* blind */
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_SYN_SENT);
	CU_ASSERT_EQUAL(ba(ct, TH_RST | TH_ACK, 0, 1001, 0, 0), CS_RPL);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_CLOSE);
	/* the client retries: a new connection */
	CU_ASSERT_EQUAL(ab(ct, TH_SYN, 3000, 0, 64000, 0), CS_NEW);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_SYN_SENT);
	dp_ct_destroy(ct);
}

static void test_fin_time_wait_reopen(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_stats st;
	struct dp_ct_entry e;
	struct tpk p;

	handshake(ct);
	CU_ASSERT_EQUAL(ab(ct, TH_FIN | TH_ACK, 1001, 5001, 64000, 0), CS_EST);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_FIN_WAIT);
	CU_ASSERT_EQUAL(ba(ct, TH_ACK, 5001, 1002, 64000, 0), CS_RPL);
	CU_ASSERT_EQUAL(ba(ct, TH_ACK, 5001, 1002, 64000, 50), CS_RPL); /* half-closed data */
	CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1002, 5051, 64000, 0), CS_EST);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_FIN_WAIT);
	CU_ASSERT_EQUAL(ba(ct, TH_FIN | TH_ACK, 5051, 1002, 64000, 0), CS_RPL);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_FIN_WAIT);
	CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1002, 5052, 64000, 0), CS_EST);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_TIME_WAIT);
	CU_ASSERT_EQUAL(t_dump1(ct, 1, &e), 1);
	CU_ASSERT_EQUAL(e.timeout_left_ms, 45000);
	/* last ACK retransmitted: still fine */
	CU_ASSERT_EQUAL(ab(ct, TH_ACK, 1002, 5052, 64000, 0), CS_EST);

	/* SYN without commit: new, the old connection stays */
	t_tcp(&p, 4, A, B, PA, PB, TH_SYN, 90000, 0, 64000, -1, 0);
	CU_ASSERT_EQUAL(t_ct(ct, 1, false, &p), CS_NEW);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_TIME_WAIT);
	/* with commit: a fresh connection replaces it */
	CU_ASSERT_EQUAL(t_ct(ct, 1, true, &p), CS_NEW);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_SYN_SENT);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 1), 1);
	CU_ASSERT_EQUAL(ba(ct, TH_SYN | TH_ACK, 31000, 90001, 64000, 0), CS_RPL);
	CU_ASSERT_EQUAL(ab(ct, TH_ACK, 90001, 31001, 64000, 0), CS_EST);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_ESTABLISHED);
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.reopened, 1);
	CU_ASSERT_EQUAL(st.committed, 2);
	CU_ASSERT_EQUAL(st.conns, 1);
	CU_ASSERT_EQUAL(st.invalid, 0);
	/* the replaced connection is freed (no RCU here): slots balance */
	CU_ASSERT_EQUAL(dp_ct_flush(ct, -1), 1);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 1), 0);
	dp_ct_destroy(ct);
}

/* A reopening SYN and its retransmit in one burst: the second finds the
 * connection the first committed (the bulk lookup's answer, the killed one,
 * is out of date), not a second copy of the tuple. */
static void test_reopen_twice_in_a_burst(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = { .zone = 1, .commit = true };
	struct dp_ct_stats st;
	struct tpk p;
	struct rte_mbuf *m[2];
	struct dp_flow_key k[2], *kp[2] = { &k[0], &k[1] };
	struct dp_ct_result r[2];

	handshake(ct);
	CU_ASSERT_EQUAL(ab(ct, TH_RST | TH_ACK, 1001, 5001, 64000, 0), CS_EST);
	CU_ASSERT_EQUAL(tcp_state(ct), DP_CT_TCP_CLOSE);
	t_tcp(&p, 4, A, B, PA, PB, TH_SYN, 90000, 0, 64000, -1, 0);
	for (int i = 0; i < 2; i++) {
		m[i] = rte_pktmbuf_alloc(t_mp);
		memcpy(rte_pktmbuf_append(m[i], (uint16_t)p.n), p.b, p.n);
		CU_ASSERT_EQUAL(dp_parse(m[i], 1, &k[i]), 0);
	}
	CU_ASSERT_EQUAL(dp_ct_process(ct, 0, &a, m, kp, r, 2, t_now), 0);
	rte_pktmbuf_free_bulk(m, 2);
	CU_ASSERT_EQUAL(r[0].state, CS_NEW);
	CU_ASSERT_EQUAL(r[1].state, CS_NEW);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 1), 1);
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.reopened, 1);
	CU_ASSERT_EQUAL(st.committed, 2);
	CU_ASSERT_EQUAL(ba(ct, TH_SYN | TH_ACK, 31000, 90001, 64000, 0), CS_RPL);
	CU_ASSERT_EQUAL(dp_ct_flush(ct, -1), 1);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 1), 0);
	dp_ct_destroy(ct);
}

static void test_tcp_v6(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct tpk p;
	struct dp_ct_entry e;
	char buf[128];

	t_tcp(&p, 6, A, B, PA, PB, TH_SYN, 1000, 0, 64000, 2, 0);
	CU_ASSERT_EQUAL(t_ct(ct, 3, true, &p), CS_NEW);
	t_tcp(&p, 6, B, A, PB, PA, TH_SYN | TH_ACK, 5000, 1001, 64000, 2, 0);
	CU_ASSERT_EQUAL(t_ct(ct, 3, true, &p), CS_RPL);
	t_tcp(&p, 6, A, B, PA, PB, TH_ACK, 1001, 5001, 30000, -1, 500);
	CU_ASSERT_EQUAL(t_ct(ct, 3, true, &p), CS_EST);
	t_tcp(&p, 6, B, A, PB, PA, TH_ACK, 5001, 1501, 30000, -1, 0);
	CU_ASSERT_EQUAL(t_ct(ct, 3, true, &p), CS_RPL);
	t_tcp(&p, 6, A, B, PA, PB, TH_ACK, 1501 + 200000, 5001, 30000, -1, 10);
	CU_ASSERT_EQUAL(t_ct(ct, 3, true, &p), CS_INV);
	CU_ASSERT_EQUAL_FATAL(t_dump1(ct, 3, &e), 1);
	CU_ASSERT_EQUAL(e.proto_state, DP_CT_TCP_ESTABLISHED);
	dp_ct_key_fmt(&e.orig, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "zone=3 tcp [2001:db8::1]:40000->[2001:db8::2]:80");
	dp_ct_destroy(ct);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "ct_tcp_test", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("ct_tcp", t_setup, t_teardown);
	CU_add_test(s, "handshake, retransmitted SYN and SYN-ACK", test_handshake);
	CU_add_test(s, "lookup without commit; only SYN starts; bad flags", test_no_commit_and_bad_first);
	CU_add_test(s, "server data before the third ACK", test_server_data_first);
	CU_add_test(s, "simultaneous open", test_simultaneous_open);
	CU_add_test(s, "retransmits; out of window strict vs liberal", test_retransmit_and_window);
	CU_add_test(s, "window scaling only when both SYNs carry it", test_window_scale);
	CU_add_test(s, "RST only in window; reopen after RST", test_rst);
	CU_add_test(s, "refused: RST+ACK acking the SYN", test_refused);
	CU_add_test(s, "FIN, TIME_WAIT, SYN reopens", test_fin_time_wait_reopen);
	CU_add_test(s, "a reopening SYN twice in one burst", test_reopen_twice_in_a_burst);
	CU_add_test(s, "IPv6 handshake and window", test_tcp_v6);
	return t_run_all();
}
