/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_dp_test.c — the offload manager wired into the datapath
 * (dp_set_offload), the way wyvernd wires it, on net_ring ports with the
 * dummy backend's NIC emulation; the PMD is driven by hand
 * (dp_pmd_process), the offload thread by ofl_sync.
 *
 *  - install: a megaflow's install event gives a partial rule; marked
 *    packets then skip parse, EMC and classifier (counters) and leave
 *    byte-identical to the software path;
 *  - an invalidating table change kills the megaflow: packets still marked
 *    are stale (counted, software path, still forwarded), the old rule goes
 *    and the new megaflow gets its own;
 *  - aging removes the rule; hardware counters merged into the megaflow
 *    keep it from aging;
 *  - a full rule table falls back to software; a refused put is cached per
 *    port; a full event queue is counted by the PMD;
 *  - marks of no megaflow / of another PMD; port deletion removes the rules;
 *  - two PMDs with the same flow share one rule and one mark: each uses its
 *    own megaflow on the mark path; the rule stays while one of them lives
 *    and goes with the last.
 *
 *  - AGE: a FULL rule idle for its timeout (the dummy's clock) is reported,
 *    taken down, and the owning PMD removes its megaflow.
 *
 * Run: ./build/pmd-offload/ofl_dp_test
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "dp_priv.h"
#include "ofl.h"
#include "ofl_dummy.h"
#include "test_util.h"

static struct dp *DP;
static struct ofl *O;
static int P[3];
static uint16_t ETH[3];
static struct dp_lport_cfg L[3];

static int h_installed(void *arg, uint64_t id, uint16_t in_port, uint16_t rxq,
		       const struct dp_flow_key *key, const struct dp_flow_key *mask,
		       const struct dp_action *acts, unsigned n_acts)
{
	return ofl_megaflow_installed(arg, id, in_port, rxq, key, mask, acts, n_acts);
}

static int h_removed(void *arg, uint64_t id)
{
	return ofl_megaflow_removed(arg, id);
}

static void h_port_removing(void *arg, uint16_t port)
{
	ofl_port_del(arg, port);
}

static void set_hooks(struct ofl *o)
{
	const struct ofl_mark_table *mt = ofl_mark_table(o);
	struct dp_offload_ops ops = {
		.arg = o, .installed = h_installed, .removed = h_removed,
		.port_removing = h_port_removing, .mark_ids = mt->ids, .n_marks = mt->n,
		.mark_stride = mt->stride,
	};
	CU_ASSERT_EQUAL_FATAL(dp_set_offload(DP, &ops), 0);
}

static void add_port(struct ofl *o, int i, const char *args)
{
	struct ofl_port_cfg pc = { .dp_port = (uint16_t)P[i], .eth_port = ETH[i],
				   .backend = "dummy", .args = args, .n_rxq = 1,
				   .domain = 100 + (uint32_t)i };
	CU_ASSERT_EQUAL_FATAL(ofl_port_add(o, &pc), 0);
}

static int setup(void)
{
	struct dp_config cfg;
	dp_config_defaults(&cfg);
	cfg.n_pmds = 2;              /* driven by hand: never started */
	cfg.pmd_lcores[0] = 1;
	cfg.pmd_lcores[1] = 1;
	cfg.idle_sleep_max_us = 0;
	cfg.emc_insert_inv_prob = 1;
	cfg.n_mbufs = 4096;
	DP = dp_create(&cfg);
	if (DP == NULL)
		return -1;
	const char *dev[3] = { "net_ring0", "net_ring1", "net_ring2" };
	const char *nm[3] = { "p0", "p1", "p2" };
	struct dp_network_cfg n1 = t_net(1);
	if (dp_table_network_put(dp_tables(DP), &n1))
		return -1;
	for (int i = 0; i < 3; i++) {
		P[i] = dp_port_add(DP, nm[i], dev[i], NULL);
		if (P[i] < 0)
			return -1;
		ETH[i] = DP->ports[P[i]].ethdev;
		L[i] = t_lport((uint32_t)i + 1, 1, (uint16_t)P[i]);
		if (dp_table_lport_put(dp_tables(DP), &L[i]))
			return -1;
	}
	return 0;
}

static int teardown(void)
{
	dp_set_offload(DP, NULL);
	ofl_destroy(O);
	dp_destroy(DP);
	return 0;
}

static struct rte_mbuf *udp(int s, int d, uint16_t sport)
{
	struct rte_mbuf *m = t_pkt_ipv4(dp_mempool(DP), L[s].macs[0].addr_bytes,
					L[d].macs[0].addr_bytes, L[s].ips[0].addr, L[d].ips[0].addr,
					IPPROTO_UDP, sport, 53, 64, 18);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	m->l2_len = m->l3_len = 0;   /* as a NIC delivers it */
	return m;
}

/* Send n packets from lport s to lport d onto port s's wire, receive them
 * there (the dummy's rx callback marks what its rules match) and run them
 * through the PMD. */
static void send_pkts_pmd(unsigned pi, int s, int d, unsigned n, uint16_t sport0)
{
	struct rte_mbuf *in[DP_BURST], *rx[DP_BURST];
	struct dp_pmd *pmd = DP->pmds[pi];
	t_rng_state = 42;   /* the same bytes for the same (s, d, sport) */
	for (unsigned i = 0; i < n; i++)
		in[i] = udp(s, d, (uint16_t)(sport0 + i));
	CU_ASSERT_EQUAL_FATAL(rte_eth_tx_burst(ETH[s], 0, in, (uint16_t)n), n);
	uint16_t k = rte_eth_rx_burst(ETH[s], 0, rx, DP_BURST);
	CU_ASSERT_EQUAL_FATAL(k, n);
	dp_pmd_apply_invalidations(pmd);
	pmd->cur_rxq = 0;
	dp_pmd_process(pmd, (uint16_t)P[s], rx, k);
	dp_pmd_flush_tx(pmd);
}

/* The same on PMD 0. */
static void send_pkts(int s, int d, unsigned n, uint16_t sport0)
{
	send_pkts_pmd(0, s, d, n, sport0);
}

/* What port i transmitted: count, and a copy of the first frame's bytes. */
static unsigned drain(int i, uint8_t *first, unsigned *first_len)
{
	struct rte_mbuf *m[64];
	unsigned total = 0;
	uint16_t n;
	while ((n = rte_eth_rx_burst(ETH[i], 0, m, RTE_DIM(m))) > 0) {
		for (uint16_t j = 0; j < n; j++) {
			if (first && total == 0 && j == 0) {
				*first_len = rte_pktmbuf_data_len(m[j]);
				memcpy(first, rte_pktmbuf_mtod(m[j], void *), *first_len);
			}
			rte_pktmbuf_free(m[j]);
		}
		total += n;
	}
	return total;
}

/* The one live megaflow of PMD pi with ingress port p (id 0: none). */
static uint64_t mflow_of_pmd(unsigned pi, int p)
{
	struct dp_megaflow *buf = calloc(64, sizeof(*buf));
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	int n = dp_pmd_dump_now(DP->pmds[pi], buf, 64);
	uint64_t id = 0;
	for (int i = 0; i < n; i++)
		if (buf[i].in_port == P[p])
			id = buf[i].id;
	free(buf);
	return id;
}

static uint64_t mflow_of(int p)
{
	return mflow_of_pmd(0, p);
}

static void test_lifecycle_partial(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct ofl_config cfg = { .enable = true, .name = "odt", .max_flows = 1024,
				  .n_pmds = 2 };
	O = ofl_create(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(O);
	add_port(O, 0, "caps=mark,queue,count");
	add_port(O, 1, "caps=mark,queue,count;refuse=partial");
	add_port(O, 2, "caps=mark,queue,count;max=1");
	set_hooks(O);
	struct ofl_backend *b0 = ofl_port_backend(O, (uint16_t)P[0]);

	/* software path: first packets install the megaflow -> event */
	struct dp_pmd_stats s0 = pmd->st;
	send_pkts(0, 1, 4, 1000);
	uint8_t sw[256], hw[256];
	unsigned sw_len = 0, hw_len = 0;
	CU_ASSERT_EQUAL(drain(1, sw, &sw_len), 4);
	CU_ASSERT_EQUAL(pmd->st.ofl_events - s0.ofl_events, 1);
	CU_ASSERT_EQUAL(pmd->st.mark_hits, 0);
	CU_ASSERT_EQUAL_FATAL(ofl_sync(O, 2000), 0);
	uint64_t id = mflow_of(0);
	struct ofl_flow_info fi;
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(O, id, &fi), 0);
	CU_ASSERT_EQUAL(fi.state, OFL_PARTIAL);
	CU_ASSERT(fi.mark != 0);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b0), 1);

	/* marked path: no parse, no EMC, no classifier, same bytes out */
	s0 = pmd->st;
	send_pkts(0, 1, 8, 1000);
	CU_ASSERT_EQUAL(pmd->st.mark_hits - s0.mark_hits, 8);
	CU_ASSERT_EQUAL(pmd->st.mark_parsed - s0.mark_parsed, 0);
	CU_ASSERT_EQUAL(pmd->st.emc_hits - s0.emc_hits, 0);
	CU_ASSERT_EQUAL(pmd->st.mfc_hits - s0.mfc_hits, 0);
	CU_ASSERT_EQUAL(pmd->st.misses - s0.misses, 0);
	CU_ASSERT_EQUAL(drain(1, hw, &hw_len), 8);
	CU_ASSERT_EQUAL(hw_len, sw_len);
	CU_ASSERT(memcmp(hw, sw, sw_len) == 0);
	CU_ASSERT_EQUAL(ofl_dummy_marked(b0), 8);

	/* an invalidating table change (lport 2's binding rewritten): the
	 * megaflow dies; packets marked before the rule goes are stale, still
	 * forwarded in software; the new megaflow gets a new rule */
	struct dp_lport_cfg l1 = L[1];
	l1.admin_up = !l1.admin_up;
	CU_ASSERT_EQUAL_FATAL(dp_table_lport_put(dp_tables(DP), &l1), 0);
	CU_ASSERT_EQUAL_FATAL(dp_table_lport_put(dp_tables(DP), &L[1]), 0);
	s0 = pmd->st;
	send_pkts(0, 1, 4, 1000);   /* still marked by the old rule */
	CU_ASSERT_EQUAL(pmd->st.mark_stale - s0.mark_stale, 4);
	CU_ASSERT_EQUAL(pmd->st.mark_hits - s0.mark_hits, 0);
	CU_ASSERT_EQUAL(drain(1, NULL, NULL), 4);
	CU_ASSERT_EQUAL(pmd->st.ofl_events - s0.ofl_events, 2);   /* removed + installed */
	CU_ASSERT_EQUAL_FATAL(ofl_sync(O, 2000), 0);
	uint64_t id2 = mflow_of(0);
	CU_ASSERT(id2 != 0 && id2 != id);
	CU_ASSERT_EQUAL(ofl_flow_info(O, id, &fi), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(O, id2, &fi), 0);
	CU_ASSERT_EQUAL(fi.state, OFL_PARTIAL);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b0), 1);
	s0 = pmd->st;
	send_pkts(0, 1, 4, 1000);
	CU_ASSERT_EQUAL(pmd->st.mark_hits - s0.mark_hits, 4);
	CU_ASSERT_EQUAL(drain(1, NULL, NULL), 4);

	/* hardware counters reach the megaflow (and its last-used time) */
	struct dp_megaflow *f = dp_mfc_get(pmd->mfc, DP_MFLOW_ID_SLOT(id2), DP_MFLOW_ID_GEN(id2));
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	uint64_t hits = f->hits;
	f->used_tsc = 1;   /* idle since forever */
	CU_ASSERT_EQUAL(dp_offload_stats(DP, id2, 5, 300), 0);
	uint64_t now = rte_rdtsc();
	dp_pmd_ofl_stats_step(pmd, now);
	CU_ASSERT_EQUAL(f->hits, hits + 5);
	CU_ASSERT_EQUAL(f->used_tsc, now);
	CU_ASSERT_EQUAL(dp_offload_stats(DP, DP_MFLOW_ID(9, 0, 0), 1, 1), -ENOENT);
	/* so aging keeps it ... */
	pmd->max_idle_tsc = rte_get_tsc_hz();   /* 1 s */
	dp_pmd_age(pmd, now + rte_get_tsc_hz() / 2);
	CU_ASSERT_EQUAL(mflow_of(0), id2);
	/* ... until it is idle: then the rule goes with it */
	for (unsigned i = 0; i < 4; i++)
		dp_pmd_age(pmd, now + 3 * rte_get_tsc_hz());
	CU_ASSERT_EQUAL(mflow_of(0), 0);
	CU_ASSERT_EQUAL_FATAL(ofl_sync(O, 2000), 0);
	CU_ASSERT_EQUAL(ofl_flow_info(O, id2, &fi), -ENOENT);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b0), 0);
	pmd->max_idle_tsc = 0;

	/* a refused put is cached per port: the second megaflow of port 1
	 * does not try again (one probe, one refused put) */
	send_pkts(1, 0, 1, 2000);
	send_pkts(1, 2, 1, 2000);
	CU_ASSERT_EQUAL(drain(0, NULL, NULL) + drain(2, NULL, NULL), 2);
	CU_ASSERT_EQUAL_FATAL(ofl_sync(O, 2000), 0);
	struct ofl_port_stats ps;
	CU_ASSERT_EQUAL_FATAL(ofl_port_stats(O, (uint16_t)P[1], &ps), 0);
	CU_ASSERT_EQUAL(ps.failed, 1);
	CU_ASSERT_EQUAL(ps.installed, 0);
	CU_ASSERT_EQUAL(ofl_dummy_probe_calls(ofl_port_backend(O, (uint16_t)P[1])), 1);
	uint64_t idb = mflow_of(1);
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(O, idb, &fi), 0);
	CU_ASSERT_EQUAL(fi.state, OFL_SOFTWARE);
	CU_ASSERT(strlen(fi.why) > 0);

	/* a full rule table (max=1): the second megaflow stays in software */
	send_pkts(2, 0, 1, 3000);
	send_pkts(2, 1, 1, 3000);
	CU_ASSERT_EQUAL(drain(0, NULL, NULL) + drain(1, NULL, NULL), 2);
	CU_ASSERT_EQUAL_FATAL(ofl_sync(O, 2000), 0);
	CU_ASSERT_EQUAL_FATAL(ofl_port_stats(O, (uint16_t)P[2], &ps), 0);
	CU_ASSERT_EQUAL(ps.installed, 1);
	CU_ASSERT_EQUAL(ps.table_full, 1);
	CU_ASSERT_EQUAL(ps.n_partial, 1);

	/* overlay-free VLAN-free L2 forwarding needs no parse on the mark
	 * path; a megaflow whose actions read headers is parsed (unit-level:
	 * the flag the classifier sets at insert) */
	struct dp_action a[2] = { { .type = DP_ACT_SET_ETH_DST }, { .type = DP_ACT_OUTPUT } };
	CU_ASSERT_EQUAL(dp_actions_need_headers(a, 2), 0);
	a[0].type = DP_ACT_TNL_PUSH;
	CU_ASSERT_EQUAL(dp_actions_need_headers(a, 2), 1);
}

/* Every megaflow gone, and the manager o told so. */
static void settle(struct ofl *o)
{
	dp_flush_caches(DP);
	dp_pmd_apply_invalidations(DP->pmds[0]);
	dp_pmd_apply_invalidations(DP->pmds[1]);
	CU_ASSERT_EQUAL(ofl_sync(o, 2000), 0);
}

static int h_none(void *arg, uint64_t id, uint16_t in_port, uint16_t rxq,
		  const struct dp_flow_key *key, const struct dp_flow_key *mask,
		  const struct dp_action *acts, unsigned n_acts)
{
	return -ENOTSUP;
}

static int h_none_rm(void *arg, uint64_t id)
{
	return -ENOTSUP;
}

/* Marks that map to nothing, out of range, or to another PMD's megaflow:
 * software path, counted; the packets are forwarded all the same. */
static void test_bad_marks(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	static uint64_t ids[8];
	ids[5] = DP_MFLOW_ID(3, 7, 1);   /* PMD 3: not ours */
	ids[6] = DP_MFLOW_ID(0, 1000, 77); /* our PMD, a slot/generation that is not live */
	struct dp_offload_ops ops = { .installed = h_none, .removed = h_none_rm,
				      .mark_ids = ids, .n_marks = 8 };
	settle(O);
	CU_ASSERT_EQUAL_FATAL(dp_set_offload(DP, &ops), 0);
	struct rte_mbuf *pk[4];
	const uint32_t marks[4] = { 5, 6, 7, 123456 };
	for (unsigned i = 0; i < 4; i++) {
		pk[i] = udp(0, 1, (uint16_t)(4000 + i));
		pk[i]->ol_flags |= RTE_MBUF_F_RX_FDIR | RTE_MBUF_F_RX_FDIR_ID;
		pk[i]->hash.fdir.hi = marks[i];
	}
	struct dp_pmd_stats s0 = pmd->st;
	dp_pmd_apply_invalidations(pmd);
	dp_pmd_process(pmd, (uint16_t)P[0], pk, 4);
	dp_pmd_flush_tx(pmd);
	CU_ASSERT_EQUAL(pmd->st.mark_foreign - s0.mark_foreign, 1);
	CU_ASSERT_EQUAL(pmd->st.mark_stale - s0.mark_stale, 3);
	CU_ASSERT_EQUAL(pmd->st.mark_hits - s0.mark_hits, 0);
	CU_ASSERT_EQUAL(drain(1, NULL, NULL), 4);
	dp_flush_caches(DP);
	dp_pmd_apply_invalidations(pmd);
	set_hooks(O);
}

/* A full event queue: the PMD never blocks, counts what it could not hand
 * over, and the megaflows simply stay in software. */
static void test_queue_full(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct ofl_config cfg = { .enable = true, .name = "odq", .queue_size = 4 };
	struct ofl *q = ofl_create(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	struct ofl_port_cfg pc = { .dp_port = (uint16_t)P[0], .eth_port = ETH[0],
				   .backend = "dummy", .args = "caps=mark,queue;emulate=0",
				   .n_rxq = 1 };
	CU_ASSERT_EQUAL_FATAL(ofl_port_add(q, &pc), 0);
	settle(O);
	set_hooks(q);
	struct dp_pmd_stats s0 = pmd->st;
	/* 12 megaflows (unknown destination MACs flood: one megaflow each) */
	struct rte_mbuf *pk[12];
	for (unsigned i = 0; i < 12; i++) {
		pk[i] = udp(0, 1, 5000);
		rte_pktmbuf_mtod(pk[i], uint8_t *)[5] = (uint8_t)(0x40 + i);
	}
	dp_pmd_apply_invalidations(pmd);
	dp_pmd_process(pmd, (uint16_t)P[0], pk, 12);
	dp_pmd_flush_tx(pmd);
	drain(1, NULL, NULL);
	drain(2, NULL, NULL);
	CU_ASSERT(pmd->st.ofl_events_dropped - s0.ofl_events_dropped > 0);
	CU_ASSERT_EQUAL(pmd->st.ofl_events - s0.ofl_events +
				pmd->st.ofl_events_dropped - s0.ofl_events_dropped, 12);
	settle(q);
	set_hooks(O);
	ofl_destroy(q);
}

/* Packets PMD pi transmitted since s.  PMD 1 sends on tx queue 1 of the
 * ring ports, which lands on their rx queue 1 (not configured: not read
 * back); PMD 0's output is read back and compared by drain(). */
static unsigned sent_by(unsigned pi, const struct dp_pmd_stats *s)
{
	return (unsigned)(DP->pmds[pi]->st.tx_packets - s->tx_packets);
}

/* Age out every megaflow of PMD pi (and tell the manager). */
static void age_pmd(unsigned pi)
{
	struct dp_pmd *pmd = DP->pmds[pi];
	uint64_t now = rte_rdtsc();
	pmd->max_idle_tsc = rte_get_tsc_hz();
	for (unsigned i = 0; i < 4; i++)
		dp_pmd_age(pmd, now + 3 * rte_get_tsc_hz());
	pmd->max_idle_tsc = 0;
	CU_ASSERT_EQUAL(ofl_sync(O, 2000), 0);
}

/* The same flow on two PMDs (RSS sends a port's packets to both): one rule,
 * one mark; each PMD's column names its own megaflow, so both take the mark
 * path.  Losing one megaflow keeps the rule; losing both removes it. */
static void test_two_pmds(void)
{
	struct dp_pmd *p1 = DP->pmds[1];
	struct ofl_backend *b0 = ofl_port_backend(O, (uint16_t)P[0]);
	struct ofl_port_stats ps0, ps;
	struct ofl_flow_info fi0, fi1;
	struct ofl_stats os;
	uint8_t sw[256], hw[256];
	unsigned sw_len = 0, hw_len = 0;

	settle(O);
	CU_ASSERT_EQUAL_FATAL(ofl_dummy_rule_count(b0), 0);
	CU_ASSERT_EQUAL_FATAL(ofl_port_stats(O, (uint16_t)P[0], &ps0), 0);

	/* PMD 0 sees the flow first: its megaflow gets the rule */
	send_pkts_pmd(0, 0, 1, 4, 7000);
	CU_ASSERT_EQUAL(drain(1, sw, &sw_len), 4);
	CU_ASSERT_EQUAL_FATAL(ofl_sync(O, 2000), 0);
	uint64_t id0 = mflow_of_pmd(0, 0);
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(O, id0, &fi0), 0);
	CU_ASSERT_EQUAL(fi0.state, OFL_PARTIAL);
	CU_ASSERT_EQUAL(fi0.refs, 1);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b0), 1);

	/* the NIC steers the flow to PMD 1's queue: marked, but PMD 1 has no
	 * megaflow of the rule yet -> foreign, software path, which installs
	 * PMD 1's megaflow; its install joins the rule (no second rule) */
	struct dp_pmd_stats s1 = p1->st;
	send_pkts_pmd(1, 0, 1, 4, 7000);
	CU_ASSERT_EQUAL(p1->st.mark_foreign - s1.mark_foreign, 4);
	CU_ASSERT_EQUAL(p1->st.mark_hits - s1.mark_hits, 0);
	CU_ASSERT_EQUAL(sent_by(1, &s1), 4);
	CU_ASSERT_EQUAL_FATAL(ofl_sync(O, 2000), 0);
	uint64_t id1 = mflow_of_pmd(1, 0);
	CU_ASSERT(id1 != 0 && id1 != id0);
	CU_ASSERT_EQUAL(DP_MFLOW_ID_PMD(id1), 1);
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(O, id1, &fi1), 0);
	CU_ASSERT_EQUAL(fi1.state, OFL_PARTIAL);
	CU_ASSERT_EQUAL(fi1.mark, fi0.mark);
	CU_ASSERT_EQUAL(fi1.refs, 2);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b0), 1);
	CU_ASSERT_EQUAL_FATAL(ofl_port_stats(O, (uint16_t)P[0], &ps), 0);
	CU_ASSERT_EQUAL(ps.shared - ps0.shared, 1);
	CU_ASSERT_EQUAL(ps.installed - ps0.installed, 1);
	CU_ASSERT_EQUAL(ps.n_partial, 1);
	const struct ofl_mark_table *mt = ofl_mark_table(O);
	CU_ASSERT_EQUAL(ofl_mark_lookup(mt, fi0.mark, 0), id0);
	CU_ASSERT_EQUAL(ofl_mark_lookup(mt, fi0.mark, 1), id1);

	/* both PMDs now take the mark path with their own megaflow */
	for (unsigned pi = 0; pi < 2; pi++) {
		struct dp_pmd *pmd = DP->pmds[pi];
		struct dp_pmd_stats s = pmd->st;
		send_pkts_pmd(pi, 0, 1, 8, 7000);
		CU_ASSERT_EQUAL(pmd->st.mark_hits - s.mark_hits, 8);
		CU_ASSERT_EQUAL(pmd->st.mark_foreign - s.mark_foreign, 0);
		CU_ASSERT_EQUAL(pmd->st.mark_stale - s.mark_stale, 0);
		CU_ASSERT_EQUAL(pmd->st.emc_hits - s.emc_hits, 0);
		CU_ASSERT_EQUAL(pmd->st.mfc_hits - s.mfc_hits, 0);
		CU_ASSERT_EQUAL(pmd->st.misses - s.misses, 0);
		CU_ASSERT_EQUAL(sent_by(pi, &s), 8);
		if (pi == 0) {
			CU_ASSERT_EQUAL(drain(1, hw, &hw_len), 8);
			CU_ASSERT_EQUAL(hw_len, sw_len);
			CU_ASSERT(memcmp(hw, sw, sw_len) == 0);
		}
	}
	struct dp_megaflow *f1 = dp_mfc_get(p1->mfc, DP_MFLOW_ID_SLOT(id1), DP_MFLOW_ID_GEN(id1));
	CU_ASSERT_PTR_NOT_NULL_FATAL(f1);
	CU_ASSERT(f1->hits >= 8);

	/* PMD 0's megaflow ages out: the rule stays for PMD 1 */
	age_pmd(0);
	CU_ASSERT_EQUAL(mflow_of_pmd(0, 0), 0);
	CU_ASSERT_EQUAL(ofl_flow_info(O, id0, &fi0), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(O, id1, &fi1), 0);
	CU_ASSERT_EQUAL(fi1.state, OFL_PARTIAL);
	CU_ASSERT_EQUAL(fi1.refs, 1);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b0), 1);
	CU_ASSERT_EQUAL(ofl_mark_lookup(mt, fi1.mark, 0), OFL_ID_NONE);
	CU_ASSERT_EQUAL(ofl_mark_lookup(mt, fi1.mark, 1), id1);
	s1 = p1->st;
	send_pkts_pmd(1, 0, 1, 4, 7000);
	CU_ASSERT_EQUAL(p1->st.mark_hits - s1.mark_hits, 4);
	CU_ASSERT_EQUAL(sent_by(1, &s1), 4);

	/* ... and goes when PMD 1's megaflow does too (mark freed) */
	ofl_get_stats(O, &os);
	uint32_t marks = os.marks_used;
	age_pmd(1);
	CU_ASSERT_EQUAL(mflow_of_pmd(1, 0), 0);
	CU_ASSERT_EQUAL(ofl_flow_info(O, id1, &fi1), -ENOENT);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b0), 0);
	CU_ASSERT_EQUAL_FATAL(ofl_port_stats(O, (uint16_t)P[0], &ps), 0);
	CU_ASSERT_EQUAL(ps.n_partial, 0);
	CU_ASSERT_EQUAL(ps.removed - ps0.removed, 1);
	ofl_get_stats(O, &os);
	CU_ASSERT_EQUAL(os.marks_used, marks - 1);
	CU_ASSERT_EQUAL(ofl_mark_lookup(mt, fi0.mark, 1), OFL_ID_NONE);
}

/* Port deletion: the port's rules go before its ethdev does. */
static void test_port_del(void)
{
	send_pkts(0, 1, 2, 6000);
	CU_ASSERT_EQUAL(drain(1, NULL, NULL), 2);
	CU_ASSERT_EQUAL_FATAL(ofl_sync(O, 2000), 0);
	struct ofl_port_stats ps;
	CU_ASSERT_EQUAL_FATAL(ofl_port_stats(O, (uint16_t)P[0], &ps), 0);
	CU_ASSERT_EQUAL(ps.n_partial, 1);
	struct ofl_backend *b0 = ofl_port_backend(O, (uint16_t)P[0]);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b0), 1);
	uint64_t id = mflow_of(0);
	CU_ASSERT_EQUAL_FATAL(dp_port_del(DP, "p0"), 0);
	CU_ASSERT_PTR_NULL(ofl_port_backend(O, (uint16_t)P[0]));
	CU_ASSERT_EQUAL(ofl_port_stats(O, (uint16_t)P[0], &ps), -ENOENT);
	struct ofl_flow_info fi;
	if (ofl_flow_info(O, id, &fi) == 0)   /* record kept: back in software */
		CU_ASSERT_EQUAL(fi.state, OFL_SOFTWARE);
	/* the megaflow dies with the port (dpport tag): its removal follows */
	dp_pmd_apply_invalidations(DP->pmds[0]);
	CU_ASSERT_EQUAL(ofl_sync(O, 2000), 0);
	CU_ASSERT_EQUAL(ofl_flow_info(O, id, &fi), -ENOENT);
}

static unsigned N_AGED;

static void h_aged(void *arg, uint64_t id)
{
	CU_ASSERT_PTR_EQUAL(arg, DP);
	CU_ASSERT_EQUAL(dp_offload_aged(arg, id), 0);
	N_AGED++;
}

/* A spoofed frame (a source MAC lport 2 does not own) on port 1, through
 * PMD 0: a psec-mac drop megaflow. */
static void send_spoofed(void)
{
	static const uint8_t bogus[6] = { 0x02, 0x66, 0, 0, 0, 0x66 };
	struct rte_mbuf *m = t_pkt_ipv4(dp_mempool(DP), bogus, L[2].macs[0].addr_bytes,
					L[1].ips[0].addr, L[2].ips[0].addr, IPPROTO_UDP, 7, 9,
					64, 18), *rx[4];
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(rte_eth_tx_burst(ETH[1], 0, &m, 1), 1);
	CU_ASSERT_EQUAL_FATAL(rte_eth_rx_burst(ETH[1], 0, rx, 4), 1);
	dp_pmd_apply_invalidations(DP->pmds[0]);
	DP->pmds[0]->cur_rxq = 0;
	dp_pmd_process(DP->pmds[0], (uint16_t)P[1], rx, 1);
	dp_pmd_flush_tx(DP->pmds[0]);
}

/* AGE with wyvernd's wiring: a FULL drop rule carries the AGE action; the
 * dummy NIC sees hits (its rx callback counts them), which keep it; once
 * idle for the timeout on its clock it is reported, the manager takes the
 * rule down and tells the dp, the owning PMD removes the megaflow, and its
 * removal event ends the record. */
static void test_age_full(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	dp_set_offload(DP, NULL);
	ofl_destroy(O);
	struct ofl_config cfg = { .enable = true, .name = "odtage", .max_flows = 1024,
				  .n_pmds = 2, .age_timeout = 1, .aged_cb = h_aged,
				  .aged_arg = DP };
	O = ofl_create(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(O);
	add_port(O, 1, "caps=drop,count,age");
	set_hooks(O);
	struct ofl_backend *b1 = ofl_port_backend(O, (uint16_t)P[1]);
	ofl_dummy_set_clock(b1, 0);
	uint64_t d0 = pmd->st.drops[DP_DROP_PSEC_MAC];
	send_spoofed();
	CU_ASSERT_EQUAL(pmd->st.drops[DP_DROP_PSEC_MAC] - d0, 1);
	CU_ASSERT_EQUAL_FATAL(ofl_sync(O, 2000), 0);
	uint64_t id = mflow_of(1);
	struct ofl_flow_info fi;
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(O, id, &fi), 0);
	CU_ASSERT_EQUAL(fi.state, OFL_FULL);
	CU_ASSERT(strstr(fi.rule, "age") != NULL);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b1), 1);
	struct ofl_dummy_rec rec;
	CU_ASSERT_EQUAL(ofl_dummy_log_get(b1, ofl_dummy_log_count(b1) - 1, &rec), 0);
	CU_ASSERT_EQUAL(rec.age_timeout, 1);

	/* a hit at 800 ms (the NIC counts it) keeps the rule past 1 s */
	ofl_dummy_set_clock(b1, 800);
	send_spoofed();
	CU_ASSERT_EQUAL(ofl_age_poll(O), 0);
	ofl_dummy_set_clock(b1, 1500);
	CU_ASSERT_EQUAL(ofl_age_poll(O), 0);
	CU_ASSERT_EQUAL(N_AGED, 0);
	/* idle for 1 s: aged */
	ofl_dummy_set_clock(b1, 1800);
	CU_ASSERT_EQUAL(ofl_age_poll(O), 1);
	CU_ASSERT_EQUAL(N_AGED, 1);
	CU_ASSERT_EQUAL(ofl_dummy_rule_count(b1), 0);
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(O, id, &fi), 0);
	CU_ASSERT_EQUAL(fi.state, OFL_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(fi.why, "aged in hardware");
	/* the PMD removes the megaflow; the manager hears of it */
	CU_ASSERT_EQUAL(mflow_of(1), id);
	dp_pmd_ofl_stats_step(pmd, rte_rdtsc());
	CU_ASSERT_EQUAL(mflow_of(1), 0);
	CU_ASSERT_EQUAL_FATAL(ofl_sync(O, 2000), 0);
	CU_ASSERT_EQUAL(ofl_flow_info(O, id, &fi), -ENOENT);
	struct ofl_port_stats ps;
	CU_ASSERT_EQUAL_FATAL(ofl_port_stats(O, (uint16_t)P[1], &ps), 0);
	CU_ASSERT(ps.aged == 1 && ps.removed == 1 && ps.n_full == 0 && ps.installed == 1);
	/* an aged report for a megaflow already gone changes nothing */
	CU_ASSERT_EQUAL(dp_offload_aged(DP, id), 0);
	dp_pmd_ofl_stats_step(pmd, rte_rdtsc());
	CU_ASSERT_EQUAL(mflow_of(1), 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "ofl_dp", "-l", "0,1", "--vdev=net_ring0", "--vdev=net_ring1",
		       "--vdev=net_ring2", (char *)NULL) != 0)
		return 1;
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("ofl_dp", setup, teardown);
	CU_add_test(s, "install, mark path, invalidation, aging, cache, table full",
		    test_lifecycle_partial);
	CU_add_test(s, "stale and foreign marks", test_bad_marks);
	CU_add_test(s, "event queue full", test_queue_full);
	CU_add_test(s, "two PMDs share one rule", test_two_pmds);
	CU_add_test(s, "port deletion removes rules", test_port_del);
	CU_add_test(s, "AGE: an aged rule takes its megaflow", test_age_full);
	return t_run_all();
}
