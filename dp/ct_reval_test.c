/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_reval_test.c — what conntrack does for security groups beyond the
 * first packet, through the PMD's burst path (dp_pmd_process with net_ring
 * ports, driven by hand):
 *  - removing a rule cuts the established connections it alone allowed
 *    (re-validation sweep, ct_mark blocked, `ct-blocked` drops in both
 *    directions), re-adding it lets them and new ones through again, a
 *    blocked connection expires early;
 *  - 10k connections are re-validated in a bounded number of steps;
 *  - ct_mark/ct_label reach the key and the conntrack entry (the deciding
 *    rule in the label); ND never goes through ct();
 *  - trace looks conntrack up read-only and shows the real state.
 *
 * Ports (network 1, 10.0.1.<key>):
 *   A(1) ring0 stateful: egress any IPv4; ingress UDP to port 53 (rule 12)
 *   B(2) ring1 stateful: egress any IPv4
 *   D(3) ring2 no security group
 *
 * Run: ./build/dp/dp_ct_reval_test   (EAL: -l 0,1 --vdev=net_ring0..2)
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "acl.h"
#include "ct.h"
#include "ct_priv.h"
#include "dp_priv.h"
#include "parse.h"
#include "test_util.h"
#include "trace.h"
#include "translate.h"

#define NP 3
static struct dp *DP;
static int P[NP];
static uint16_t ETH[NP];
static struct dp_lport_cfg L[NP];
enum { A, B, D };

static struct dp_acl_rule rule(uint32_t key, uint8_t dir, bool any, uint16_t dmin,
			       uint16_t dmax)
{
	struct dp_acl_rule r = {
		.key = key, .priority = key, .dir = dir, .family = 4,
		.proto = any ? 0 : IPPROTO_UDP, .any_proto = any,
		.src_min = 0, .src_max = 65535, .dst_min = dmin, .dst_max = dmax,
	};
	return r;
}

/* A's ACL: egress any, and the ingress UDP 53 rule when `with53`. */
static int put_a(bool with53)
{
	struct dp_acl_rule ra[] = { rule(11, DP_ACL_EGRESS, true, 0, 65535),
				    rule(12, DP_ACL_INGRESS, false, 53, 53) };
	struct dp_acl_port_cfg ca = { .stateful = true, .n_rules = with53 ? 2 : 1, .rules = ra };
	return dp_acl_port_put(dp_get_acl(DP), L[A].key, &ca);
}

/* B's ACL: egress any when `with_egress`, else no rule at all. */
static int put_b(bool with_egress)
{
	struct dp_acl_rule rb[] = { rule(21, DP_ACL_EGRESS, true, 0, 65535) };
	struct dp_acl_port_cfg cb = { .stateful = true, .n_rules = with_egress ? 1 : 0,
				      .rules = rb };
	return dp_acl_port_put(dp_get_acl(DP), L[B].key, &cb);
}

static int init(void)
{
	struct dp_config cfg;
	dp_config_defaults(&cfg);
	cfg.n_pmds = 1;
	cfg.pmd_lcores[0] = 1;
	cfg.idle_sleep_max_us = 0;
	cfg.emc_insert_inv_prob = 1;
	cfg.n_mbufs = 4096;
	cfg.ct_max_conns = 32768; /* 10k connections, each in two zones */
	DP = dp_create(&cfg);
	if (DP == NULL) {
		fprintf(stderr, "dp_create: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	struct dp_network_cfg n1 = t_net(1);
	if (dp_table_network_put(dp_tables(DP), &n1))
		return -1;
	for (unsigned i = 0; i < NP; i++) {
		char name[8], dev[16];
		snprintf(name, sizeof(name), "p%u", i);
		snprintf(dev, sizeof(dev), "net_ring%u", i);
		P[i] = dp_port_add(DP, name, dev, NULL);
		if (P[i] < 0)
			return -1;
		ETH[i] = DP->ports[P[i]].ethdev;
		L[i] = t_lport(i + 1, 1, (uint16_t)P[i]);
		if (dp_table_lport_put(dp_tables(DP), &L[i]))
			return -1;
	}
	if (put_a(true) || put_b(true)) {
		fprintf(stderr, "dp_acl_port_put failed\n");
		return -1;
	}
	return 0;
}

static int clean(void)
{
	dp_destroy(DP);
	return 0;
}

static unsigned drain(unsigned i)
{
	return t_drain_port(ETH[i]);
}

static unsigned drain_all(void)
{
	unsigned t = 0;
	for (unsigned i = 0; i < NP; i++)
		t += drain(i);
	return t;
}

static struct rte_mbuf *udp(unsigned s, unsigned d, uint16_t sport, uint16_t dport)
{
	return t_pkt_ipv4(dp_mempool(DP), L[s].macs[0].addr_bytes, L[d].macs[0].addr_bytes,
			  L[s].ips[0].addr, L[d].ips[0].addr, IPPROTO_UDP, sport, dport, 64, 18);
}

/* n UDP packets s -> d, source ports sport.., to dport; run as one burst. */
static void send_udp(unsigned s, unsigned d, uint16_t sport, uint16_t dport, unsigned n)
{
	struct rte_mbuf *pkts[DP_BURST];
	for (unsigned i = 0; i < n; i++) {
		pkts[i] = udp(s, d, (uint16_t)(sport + i), dport);
		CU_ASSERT_PTR_NOT_NULL_FATAL(pkts[i]);
	}
	struct dp_pmd *pmd = DP->pmds[0];
	dp_pmd_apply_invalidations(pmd);
	dp_pmd_process(pmd, (uint16_t)P[s], pkts, (uint16_t)n);
	dp_pmd_flush_tx(pmd);
}

static uint64_t drops(unsigned reason)
{
	return DP->pmds[0]->st.drops[reason];
}

static uint64_t ct_blocked(void)
{
	struct dp_ct_stats st;
	dp_ct_stats_get(dp_get_ct(DP), &st);
	return st.blocked;
}

/* Run re-validation steps as the PMD loop would, until the sweep is done;
 * returns the number of steps. */
static unsigned reval_all(void)
{
	unsigned steps = 0;
	while (dp_ct_reval_pending(dp_get_ct(DP)) && steps < 100000) {
		dp_pmd_ct_reval_step(DP->pmds[0], rte_rdtsc());
		steps++;
	}
	return steps;
}

/* The zone-A connection whose original source port is sport. */
static bool find_a(uint16_t sport, struct dp_ct_entry *e)
{
	uint32_t cur = 0;
	uint64_t now = rte_rdtsc() / (rte_get_tsc_hz() / 1000);
	while (dp_ct_dump_next(dp_get_ct(DP), (int)(uint16_t)L[A].key, &cur, now, e))
		if (e->orig.sport == htons(sport))
			return true;
	return false;
}

static void test_block_reopen(void)
{
	struct dp_ct *ct = dp_get_ct(DP);
	struct rte_mempool *mp = dp_mempool(DP);
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct dp_ct_entry e;

	/* B -> A to 53: B's egress (zone 2) and A's ingress, rule 12 (zone 1) */
	send_udp(B, A, 5000, 53, 1);
	CU_ASSERT_EQUAL(drain(A), 1);
	send_udp(A, B, 53, 5000, 1);
	CU_ASSERT_EQUAL(drain(B), 1);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, (uint16_t)L[A].key), 1);
	/* the commit wrote the deciding rule into the label, mark clear */
	CU_ASSERT_FATAL(find_a(5000, &e));
	CU_ASSERT_EQUAL(e.label[15], 12);
	CU_ASSERT_EQUAL(e.mark, 0);
	CU_ASSERT(e.reply_seen);

	/* rule 12 goes: the connection is cut */
	uint64_t b0 = ct_blocked(), cb0 = drops(DP_DROP_CT_BLOCKED);
	uint64_t deny0 = drops(DP_DROP_ACL_DENY);
	CU_ASSERT_EQUAL(put_a(false), 0);
	CU_ASSERT(dp_ct_reval_pending(ct));
	CU_ASSERT(reval_all() > 0);
	CU_ASSERT_EQUAL(ct_blocked() - b0, 1);
	CU_ASSERT_FATAL(find_a(5000, &e));
	CU_ASSERT_EQUAL(e.mark & DP_CT_MARK_BLOCKED, DP_CT_MARK_BLOCKED);
	CU_ASSERT(e.timeout_left_ms <= DP_CT_BLOCKED_TIMEOUT_S * 1000u);
	/* both directions dropped as ct-blocked */
	send_udp(B, A, 5000, 53, 1);
	send_udp(A, B, 53, 5000, 1);
	CU_ASSERT_EQUAL(drain_all(), 0);
	CU_ASSERT_EQUAL(drops(DP_DROP_CT_BLOCKED) - cb0, 2);
	/* a new connection is refused by the rules (not a blocked one) */
	send_udp(B, A, 5001, 53, 1);
	CU_ASSERT_EQUAL(drain_all(), 0);
	CU_ASSERT_EQUAL(drops(DP_DROP_ACL_DENY) - deny0, 1);
	/* B's zone-2 connection (B's egress allows it still) is not blocked */
	CU_ASSERT_EQUAL(ct_blocked() - b0, 1);

	/* rule 12 back: the blocked connection reopens through the ACL (the
	 * commit clears the bit), new connections go through */
	b0 = ct_blocked();
	CU_ASSERT_EQUAL(put_a(true), 0);
	reval_all();
	CU_ASSERT_EQUAL(ct_blocked(), b0);
	send_udp(B, A, 5000, 53, 1);
	CU_ASSERT_EQUAL(drain(A), 1);
	CU_ASSERT_FATAL(find_a(5000, &e));
	CU_ASSERT_EQUAL(e.mark & DP_CT_MARK_BLOCKED, 0);
	send_udp(A, B, 53, 5000, 1);
	CU_ASSERT_EQUAL(drain(B), 1);
	send_udp(B, A, 5002, 53, 1);
	CU_ASSERT_EQUAL(drain(A), 1);
	CU_ASSERT_EQUAL(drain_all(), 0);

	/* cut again: a blocked connection expires after the blocked timeout
	 * whatever traffic it sees */
	CU_ASSERT_EQUAL(put_a(false), 0);
	reval_all();
	uint32_t n = dp_ct_zone_count(ct, (uint16_t)L[A].key);
	CU_ASSERT(n >= 2);
	uint64_t now = rte_rdtsc() / (rte_get_tsc_hz() / 1000);
	unsigned ex = 0;
	for (unsigned i = 0; i < 4096; i++)
		ex += dp_ct_expire(ct, 0, now + DP_CT_BLOCKED_TIMEOUT_S * 1000 + 1000, 1024);
	CU_ASSERT(ex >= 2);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, (uint16_t)L[A].key), 0);
	CU_ASSERT_EQUAL(put_a(true), 0);
	reval_all();
	dp_ct_flush(ct, -1);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), avail0);
}

/* The egress side of a two-zone pass (both ends stateful: one
 * recirculation decides both directions, the source zone's state in
 * ct_state_eg): removing B's egress rule cuts B's connection to A in both
 * directions though A's ingress rule still allows it; re-adding reopens. */
static void test_block_egress(void)
{
	struct dp_ct *ct = dp_get_ct(DP);
	struct dp_pmd *pmd = DP->pmds[0];
	struct rte_mempool *mp = dp_mempool(DP);
	unsigned avail0 = rte_mempool_avail_count(mp);

	uint64_t rc0 = pmd->st.recirculations;
	send_udp(B, A, 6000, 53, 1);
	CU_ASSERT_EQUAL(drain(A), 1);
	send_udp(A, B, 53, 6000, 1);
	CU_ASSERT_EQUAL(drain(B), 1);
	/* one recirculation a packet, new and established alike */
	CU_ASSERT_EQUAL(pmd->st.recirculations - rc0, 2);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, (uint16_t)L[B].key), 1);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, (uint16_t)L[A].key), 1);

	/* B's egress rule goes: its zone-2 connection is blocked (A's zone-1
	 * one is not: rule 12 still allows it), both directions dropped */
	uint64_t b0 = ct_blocked(), cb0 = drops(DP_DROP_CT_BLOCKED);
	CU_ASSERT_EQUAL(put_b(false), 0);
	CU_ASSERT(reval_all() > 0);
	CU_ASSERT_EQUAL(ct_blocked() - b0, 1);
	send_udp(B, A, 6000, 53, 1); /* B's egress: ct_state_eg est, blocked */
	send_udp(A, B, 53, 6000, 1); /* B's ingress: est|rpl, blocked */
	CU_ASSERT_EQUAL(drain_all(), 0);
	CU_ASSERT_EQUAL(drops(DP_DROP_CT_BLOCKED) - cb0, 2);

	/* back: reopened by B's side through its ACL */
	CU_ASSERT_EQUAL(put_b(true), 0);
	reval_all();
	send_udp(B, A, 6000, 53, 1);
	CU_ASSERT_EQUAL(drain(A), 1);
	send_udp(A, B, 53, 6000, 1);
	CU_ASSERT_EQUAL(drain(B), 1);
	CU_ASSERT_EQUAL(drain_all(), 0);
	dp_ct_flush(ct, -1);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), avail0);
}

/* 10k established connections in one zone: one sweep blocks them all, in
 * at most ceil(slots / DP_CT_REVAL_BUDGET) + 1 steps (each step bounded). */
static void test_reval_10k(void)
{
	struct dp_ct *ct = dp_get_ct(DP);
	struct rte_mempool *mp = dp_mempool(DP);
	unsigned avail0 = rte_mempool_avail_count(mp);
	const unsigned N = 10000;

	unsigned got = 0;
	for (unsigned i = 0; i < N; i += DP_BURST) {
		send_udp(B, A, (uint16_t)(10000 + i), 53, RTE_MIN((unsigned)DP_BURST, N - i));
		got += drain(A);
	}
	CU_ASSERT_EQUAL(got, N);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, (uint16_t)L[A].key), N);
	uint64_t b0 = ct_blocked();
	CU_ASSERT_EQUAL(put_a(false), 0);
	uint64_t t0 = rte_rdtsc();
	unsigned steps = reval_all();
	uint64_t dt = rte_rdtsc() - t0;
	CU_ASSERT_EQUAL(ct_blocked() - b0, N);
	CU_ASSERT(steps <= (ct->n_slots + DP_CT_REVAL_BUDGET - 1) / DP_CT_REVAL_BUDGET + 1);
	printf("\n    INFO re-validation of %u connections: %u steps of %u slots, %.1f ms in all "
	       "(%.1f us per step)\n", N, steps, (unsigned)DP_CT_REVAL_BUDGET,
	       (double)dt * 1e3 / (double)rte_get_tsc_hz(),
	       (double)dt * 1e6 / (double)rte_get_tsc_hz() / steps);
	uint64_t cb0 = drops(DP_DROP_CT_BLOCKED);
	send_udp(B, A, 10000, 53, 32);
	CU_ASSERT_EQUAL(drain_all(), 0);
	CU_ASSERT_EQUAL(drops(DP_DROP_CT_BLOCKED) - cb0, 32);
	CU_ASSERT_EQUAL(put_a(true), 0);
	reval_all();
	dp_ct_flush(ct, -1);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), avail0);
}

/* Neighbor discovery on a stateful port never goes through ct(): the key
 * keeps its ND fields where a tracked key has ct_label/ct_mark. */
static void test_nd_no_ct(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec spec;
	static const uint8_t dip[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 2 };
	const uint8_t *mac = L[A].macs[0].addr_bytes;
	/* A's EUI-64 link-local address: port security lets it through */
	uint8_t sip[16] = { 0xfe, 0x80, [8] = (uint8_t)(mac[0] ^ 2), mac[1], mac[2], 0xff, 0xfe,
			    mac[3], mac[4], mac[5] };
	char acts[512];
	for (unsigned t = 133; t <= 137; t++) {
		t_key_ipv6(&k, (uint16_t)P[A], L[A].macs[0].addr_bytes, L[D].macs[0].addr_bytes,
			   sip, dip, IPPROTO_ICMPV6, (uint16_t)t, 0);
		dp_translate(dp_tables(DP), &k, &spec, NULL);
		bool has_ct = false;
		for (unsigned i = 0; i < spec.n_actions; i++)
			has_ct |= dp_act_is_ct(&spec.actions[i]);
		/* 130-136 bypass conntrack (137, a redirect, is port security's) */
		if (t <= 136)
			CU_ASSERT(!has_ct);
		t_fmt_actions(acts, sizeof(acts), spec.actions, spec.n_actions, spec.flood_ports);
		if (t == 135) /* an NS reaches the output: it was not dropped before */
			CU_ASSERT_PTR_NOT_NULL(strstr(acts, "output"));
		if (t == 135 && strstr(acts, "output") == NULL)
			fprintf(stderr, "NS: %s\n", acts);
	}
	/* an echo request from A does go through ct() */
	t_key_ipv6(&k, (uint16_t)P[A], L[A].macs[0].addr_bytes, L[D].macs[0].addr_bytes, sip,
		   dip, IPPROTO_ICMPV6, 128, 0);
	dp_translate(dp_tables(DP), &k, &spec, NULL);
	CU_ASSERT(spec.n_actions > 0 && spec.actions[0].type == DP_ACT_CT);
}

/* The trace looks conntrack up read-only: the real state, zone, mark and
 * rule, and nothing changes in conntrack. */
static void test_trace_ct(void)
{
	struct dp_ct *ct = dp_get_ct(DP);
	struct dp_trace *t = malloc(sizeof(*t));
	struct dp_ct_stats s0, s1;
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);

	send_udp(B, A, 6000, 53, 1);
	send_udp(A, B, 53, 6000, 1);
	CU_ASSERT_EQUAL(drain_all(), 2);
	dp_ct_stats_get(ct, &s0);

	struct rte_mbuf *m = udp(B, A, 6000, 53);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(dp_trace_packet(DP, (uint16_t)P[B], rte_pktmbuf_mtod(m, uint8_t *),
					m->data_len, t), 0);
	rte_pktmbuf_free(m);
	/* both ends stateful: one pass, both zones looked up first */
	CU_ASSERT_PTR_NOT_NULL(strstr(t->stages, "recirc_id=5 ct_zone=2: conntrack says "
					 "ct_state_eg=est|trk ct_mark=0 (not blocked)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t->stages, "recirc_id=5 ct_zone=1: conntrack says "
					 "ct_state=est|trk"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t->stages, "ct_state est|trk (source zone), allowed by "
					 "the connection"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t->stages, "committed under rule 12"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t->recirc_actions, "output:"));

	/* the reply: est|rpl in zone 1 */
	m = udp(A, B, 53, 6000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(dp_trace_packet(DP, (uint16_t)P[A], rte_pktmbuf_mtod(m, uint8_t *),
					m->data_len, t), 0);
	rte_pktmbuf_free(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(t->stages, "recirc_id=5 ct_zone=1: conntrack says "
					 "ct_state_eg=est|rpl|trk"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t->stages, "recirc_id=5 ct_zone=2: conntrack says "
					 "ct_state=est|rpl|trk"));

	/* a tuple conntrack does not know: new, and the trace commits nothing */
	m = udp(B, A, 6001, 53);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(dp_trace_packet(DP, (uint16_t)P[B], rte_pktmbuf_mtod(m, uint8_t *),
					m->data_len, t), 0);
	rte_pktmbuf_free(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(t->stages, "ct_state=new|trk (no connection)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t->stages, "allowed by rule 12"));

	/* blocked: the trace says so and ends in ct-blocked */
	CU_ASSERT_EQUAL(put_a(false), 0);
	reval_all();
	m = udp(B, A, 6000, 53);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(dp_trace_packet(DP, (uint16_t)P[B], rte_pktmbuf_mtod(m, uint8_t *),
					m->data_len, t), 0);
	rte_pktmbuf_free(m);
	CU_ASSERT_PTR_NOT_NULL(strstr(t->stages, "ct_mark=0x1 (blocked)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t->recirc_actions, "drop:ct-blocked"));

	/* a text flow (no packet) is looked up too */
	char err[128], flow[256];
	snprintf(flow, sizeof(flow), "udp,eth_src=02:00:00:00:00:02,eth_dst=02:00:00:00:00:01,"
		 "ip_src=10.0.1.2,ip_dst=10.0.1.1,tp_src=6000,tp_dst=53");
	CU_ASSERT_EQUAL(dp_trace_flow(DP, (uint16_t)P[B], flow, t, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(t->stages, "ct_zone=1: conntrack says ct_state=est|trk "
					 "ct_mark=0x1 (blocked)"));
	if (strstr(t->stages, "ct_mark=0x1 (blocked)") == NULL)
		fprintf(stderr, "%s\n", t->stages);

	dp_ct_stats_get(ct, &s1);
	CU_ASSERT_EQUAL(s1.lookups, s0.lookups);
	CU_ASSERT_EQUAL(s1.committed, s0.committed);
	CU_ASSERT_EQUAL(s1.conns, s0.conns);
	CU_ASSERT_EQUAL(put_a(true), 0);
	reval_all();
	dp_ct_flush(ct, -1);
	free(t);
}

/* ct_mark/ct_label in flow text: shown for recirculated keys, parsed, and
 * refused together with the ND/ARP fields they share storage with. */
static void test_key_text(void)
{
	struct dp_flow_key k;
	char buf[1024], err[128];
	CU_ASSERT_EQUAL(dp_key_from_string("udp,recirc_id=1,ct_state=0x22,ct_mark=0x5,"
					   "ct_label=0x1000000000000000000000000000000c",
					   &k, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k.ct_mark, 5);
	CU_ASSERT_EQUAL(k.ct_label[0], 0x10);
	CU_ASSERT_EQUAL(k.ct_label[15], 0x0c);
	dp_key_format(buf, sizeof(buf), &k, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "ct_mark=0x5,ct_label=0x1000000000000000000000000000000c"));
	CU_ASSERT_PTR_NULL(strstr(buf, "nd_target"));
	CU_ASSERT_EQUAL(dp_key_from_string("icmp6,icmp_type=135,nd_target=fe80::1,ct_mark=1",
					   &k, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "share storage"));
	CU_ASSERT_EQUAL(dp_key_from_string("ct_label=12", &k, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k.ct_label[15], 12);
	CU_ASSERT_EQUAL(dp_key_from_string("ct_label=0x123456789012345678901234567890123",
					   &k, err, sizeof(err)), -EINVAL);
	/* a two-zone pass's key: the source zone's state and blocked bit */
	CU_ASSERT_EQUAL(dp_key_from_string("udp,recirc_id=5,ct_state=0x22,ct_state_eg=0x2a,"
					   "ct_mark_eg=0x1", &k, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k.ct_state_eg, 0x2a);
	CU_ASSERT_EQUAL(k.ct_mark_eg, 1);
	dp_key_format(buf, sizeof(buf), &k, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "ct_state_eg=0x2a"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "ct_mark_eg=0x1"));
	CU_ASSERT_EQUAL(dp_key_from_string("icmp6,icmp_type=135,nd_ll=02:00:00:00:00:01,"
					   "ct_mark_eg=1", &k, err, sizeof(err)), -EINVAL);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "ct_reval_test", "-l", "0,1", "--vdev=net_ring0",
		       "--vdev=net_ring1", "--vdev=net_ring2", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("conntrack for security groups", init, clean);
	CU_add_test(s, "a removed rule cuts its connections; re-added reopens", test_block_reopen);
	CU_add_test(s, "a removed egress rule cuts a two-zone connection; re-added reopens",
		    test_block_egress);
	CU_add_test(s, "10k connections re-validated in bounded steps", test_reval_10k);
	CU_add_test(s, "ND never goes through ct()", test_nd_no_ct);
	CU_add_test(s, "trace looks conntrack up read-only", test_trace_ct);
	CU_add_test(s, "ct_mark/ct_label as flow text", test_key_text);
	return t_run_all();
}
