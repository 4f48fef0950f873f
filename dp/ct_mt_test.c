/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_mt_test.c — conntrack with two PMD threads on two lcores and real
 * RCU: both commit the same connections at once (each must be created
 * once), then each thread carries one direction of every connection, then
 * both sweep a re-validation (each connection checked once, half blocked)
 * while replies flow, then both expire concurrently while reporting
 * quiescence, and the freed slots are reused.  The worker never calls CUnit (not thread-safe): it counts
 * surprises, the main thread asserts.
 */
#include <stdatomic.h>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "test_main.h"
#include "ct_test_util.h"

#define NFLOW 3000
#define A_HOST 1

struct mt {
	struct dp_ct *ct;
	struct rte_rcu_qsbr *rcu;
	_Atomic int phase;            /* main sets, worker follows */
	_Atomic int done;             /* worker's last finished phase */
	_Atomic unsigned bad;         /* unexpected states seen by the worker */
	_Atomic unsigned expired;
	uint64_t now;
};

/* flow f: 10.0.(f>>8).(f&255) port 1000+f -> 10.0.0.2:80 */
static void mt_pkt(struct tpk *p, unsigned f, bool reply, uint8_t flags, uint32_t seq,
		   uint32_t ack, uint16_t plen)
{
	uint16_t sp = (uint16_t)(1000 + f);
	if (!reply)
		t_tcp(p, 4, A_HOST, 2, sp, 80, flags, seq, ack, 64000, -1, plen);
	else
		t_tcp(p, 4, 2, A_HOST, 80, sp, flags, seq, ack, 64000, -1, plen);
}

static uint8_t mt_ct(struct mt *x, unsigned pmd, const struct tpk *p)
{
	struct dp_ct_action a = { .zone = 4, .commit = true, .sg_dir = DP_CT_SG_EGRESS };
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_mp);
	struct dp_flow_key k;
	struct dp_flow_key *kp = &k;
	struct dp_ct_result r;

	if (m == NULL)
		return 0;
	memcpy(rte_pktmbuf_append(m, (uint16_t)p->n), p->b, p->n);
	if (dp_parse(m, 1, &k) != 0) {
		rte_pktmbuf_free(m);
		return 0;
	}
	dp_ct_process(x->ct, pmd, &a, &m, &kp, &r, 1, x->now);
	rte_pktmbuf_free(m);
	return r.state;
}

/* Re-validation verdict: even flows stay allowed; the zone's cookie is 7. */
static _Atomic unsigned mt_bad_cookie;
static bool mt_allowed(void *arg, uint32_t cookie, const struct dp_ct_key *o, uint8_t sg)
{
	(void)arg;
	if (cookie != 7 || sg != DP_CT_SG_EGRESS)
		atomic_fetch_add(&mt_bad_cookie, 1);
	return (rte_be_to_cpu_16(o->sport) - 1000) % 2 == 0;
}

/* One phase's work for thread `me` (0 main, 1 worker); returns surprises. */
static unsigned mt_phase(struct mt *x, unsigned me, int phase)
{
	unsigned bad = 0;
	struct tpk p;

	for (unsigned i = 0; i < NFLOW; i++) {
		/* phase 1: the same order on both, so the commits really race */
		unsigned f = (me == 0 || phase == 1) ? i : NFLOW - 1 - i;
		uint8_t st;
		switch (phase) {
		case 1: /* both commit the same SYNs */
			mt_pkt(&p, f, false, TH_SYN, 1000, 0, 0);
			st = mt_ct(x, me, &p);
			bad += st != CS_NEW;
			break;
		case 2: /* worker answers, main retransmits SYNs */
			if (me == 1) {
				mt_pkt(&p, f, true, TH_SYN | TH_ACK, 5000, 1001, 0);
				bad += mt_ct(x, me, &p) != CS_RPL;
			} else {
				mt_pkt(&p, f, false, TH_SYN, 1000, 0, 0);
				st = mt_ct(x, me, &p);
				bad += st != CS_NEW && st != CS_EST;
			}
			break;
		case 3: /* data both ways, each direction on its own PMD */
			if (me == 1) {
				mt_pkt(&p, f, true, TH_ACK, 5001, 1001, 100);
				bad += mt_ct(x, me, &p) != CS_RPL;
			} else {
				mt_pkt(&p, f, false, TH_ACK, 1001, 5001, 100);
				bad += mt_ct(x, me, &p) != CS_EST;
			}
			break;
		case 4: /* both sweep the re-validation; the worker's replies
			 * keep flowing meanwhile (blocked ones stay est|rpl to
			 * conntrack: the security-group stage drops them) */
			dp_ct_revalidate_step(x->ct, me, x->now, 8, mt_allowed, NULL);
			if (me == 1) {
				mt_pkt(&p, f, true, TH_ACK, 5001, 1001, 0);
				bad += mt_ct(x, me, &p) != CS_RPL;
			}
			break;
		case 5: /* expire everything together */
			atomic_fetch_add(&x->expired, dp_ct_expire(x->ct, me, x->now, 97));
			break;
		}
		rte_rcu_qsbr_quiescent(x->rcu, me);
	}
	return bad;
}

static int mt_worker(void *arg)
{
	struct mt *x = arg;
	int seen = 0;

	rte_rcu_qsbr_thread_register(x->rcu, 1);
	rte_rcu_qsbr_thread_online(x->rcu, 1);
	while (seen < 5) {
		int ph = atomic_load(&x->phase);
		if (ph == seen) {
			rte_rcu_qsbr_quiescent(x->rcu, 1);
			rte_pause();
			continue;
		}
		atomic_fetch_add(&x->bad, mt_phase(x, 1, ph));
		seen = ph;
		atomic_store(&x->done, ph);
	}
	/* let the main thread's final expiry and flush finish their grace periods */
	rte_rcu_qsbr_thread_offline(x->rcu, 1);
	rte_rcu_qsbr_thread_unregister(x->rcu, 1);
	return 0;
}

static void mt_run_phase(struct mt *x, int ph)
{
	atomic_store(&x->phase, ph);
	CU_ASSERT_EQUAL(mt_phase(x, 0, ph), 0);
	while (atomic_load(&x->done) != ph) {
		rte_rcu_qsbr_quiescent(x->rcu, 0);
		rte_pause();
	}
}

static void test_two_threads(void)
{
	unsigned lc = rte_get_next_lcore(-1, 1, 0);
	struct mt x = { 0 };
	struct dp_ct_stats st;
	struct dp_ct_entry e;
	uint32_t cur = 0;
	unsigned n = 0, est = 0;

	CU_ASSERT_FATAL(lc < RTE_MAX_LCORE);
	x.rcu = rte_zmalloc("ct_mt_rcu", rte_rcu_qsbr_get_memsize(2), RTE_CACHE_LINE_SIZE);
	CU_ASSERT_FATAL(x.rcu != NULL);
	CU_ASSERT_EQUAL_FATAL(rte_rcu_qsbr_init(x.rcu, 2), 0);
	x.ct = t_ct_new(2, x.rcu, false);
	x.now = t_now;
	rte_rcu_qsbr_thread_register(x.rcu, 0);
	rte_rcu_qsbr_thread_online(x.rcu, 0);
	CU_ASSERT_EQUAL_FATAL(rte_eal_remote_launch(mt_worker, &x, lc), 0);

	mt_run_phase(&x, 1);
	dp_ct_stats_get(x.ct, &st);
	CU_ASSERT_EQUAL(st.committed, NFLOW);   /* each connection created once */
	CU_ASSERT_EQUAL(st.conns, NFLOW);
	CU_ASSERT_EQUAL(dp_ct_zone_count(x.ct, 4), NFLOW);
	mt_run_phase(&x, 2);
	mt_run_phase(&x, 3);
	while (dp_ct_dump_next(x.ct, 4, &cur, x.now, &e)) {
		n++;
		est += e.reply_seen && e.proto_state == DP_CT_TCP_ESTABLISHED;
	}
	CU_ASSERT_EQUAL(n, NFLOW);
	CU_ASSERT_EQUAL(est, NFLOW);
	dp_ct_stats_get(x.ct, &st);
	CU_ASSERT_EQUAL(st.established, NFLOW);
	CU_ASSERT_EQUAL(st.invalid, 0);
	CU_ASSERT_EQUAL(st.lookups, 6u * NFLOW);

	/* re-validation shared by the two threads: every connection checked
	 * exactly once, the odd half blocked once */
	dp_ct_revalidate_zone(x.ct, 4, 7);
	mt_run_phase(&x, 4);
	while (dp_ct_reval_pending(x.ct))
		dp_ct_revalidate_step(x.ct, 0, x.now, 8, mt_allowed, NULL);
	dp_ct_stats_get(x.ct, &st);
	CU_ASSERT_EQUAL(st.reval_checked, NFLOW);
	CU_ASSERT_EQUAL(st.blocked, NFLOW / 2);
	CU_ASSERT_EQUAL(atomic_load(&mt_bad_cookie), 0);
	cur = 0;
	unsigned nb = 0;
	while (dp_ct_dump_next(x.ct, 4, &cur, x.now, &e))
		nb += (e.mark & DP_CT_MARK_BLOCKED) != 0 &&
		      (ntohs(e.orig.sport) - 1000) % 2 == 1;
	CU_ASSERT_EQUAL(nb, NFLOW / 2);

	x.now += 2ull * 86400 * 1000;
	mt_run_phase(&x, 5);
	CU_ASSERT_EQUAL(rte_eal_wait_lcore(lc), 0);
	CU_ASSERT_EQUAL(atomic_load(&x.bad), 0);
	/* whatever the two sweeps missed, a last full pass removes */
	atomic_fetch_add(&x.expired, dp_ct_expire(x.ct, 0, x.now, UINT32_MAX));
	CU_ASSERT_EQUAL(atomic_load(&x.expired), NFLOW);
	dp_ct_stats_get(x.ct, &st);
	CU_ASSERT_EQUAL(st.expired, NFLOW);
	CU_ASSERT_EQUAL(st.conns, 0);
	CU_ASSERT_EQUAL(dp_ct_zone_count(x.ct, 4), 0);

	/* slots come back after the grace period (only thread 0 is online
	 * now), and the table takes the same connections again */
	rte_rcu_qsbr_quiescent(x.rcu, 0);
	for (int i = 0; i < 4; i++) {
		dp_ct_expire(x.ct, 0, x.now, 0);
		dp_ct_expire(x.ct, 1, x.now, 0);
	}
	dp_ct_stats_get(x.ct, &st);
	CU_ASSERT_EQUAL(st.limbo, 0);
	rte_rcu_qsbr_thread_offline(x.rcu, 0);
	x.now += 1;
	struct tpk p;
	unsigned again = 0;
	for (unsigned f = 0; f < NFLOW; f++) {
		mt_pkt(&p, f, false, TH_SYN, 1000, 0, 0);
		again += mt_ct(&x, 0, &p) == CS_NEW;
	}
	CU_ASSERT_EQUAL(again, NFLOW);
	CU_ASSERT_EQUAL(dp_ct_flush(x.ct, 4), NFLOW); /* synchronize: no reader online */
	rte_rcu_qsbr_thread_unregister(x.rcu, 0);
	dp_ct_destroy(x.ct);
	rte_free(x.rcu);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "ct_mt_test", "-l", "0,1", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("ct_mt", t_setup, t_teardown);
	CU_add_test(s, "two PMD threads: racing commits, one direction each, expiry", test_two_threads);
	return t_run_all();
}
