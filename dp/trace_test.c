/* SPDX-License-Identifier: BSD-3-Clause
 * dp/trace_test.c — the public trace and megaflow dump (trace.h): a traced
 * frame, the same flow traced as text, a frame the parser drops, a bad
 * flow, and the megaflow the PMD installs for that frame dumped as text —
 * it must be the megaflow the trace predicted.
 *
 * Run: ./build/dp/dp_trace_test   (EAL: -l 0,1 --vdev=net_ring0..1)
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_ethdev.h>

#include "test_util.h"
#include "dp_priv.h"
#include "trace.h"

static struct dp *DP;
static int P0, P1;
static struct dp_lport_cfg EA, EB;

static int tr_init(void)
{
	struct dp_config cfg;
	dp_config_defaults(&cfg);
	cfg.n_pmds = 1;
	cfg.pmd_lcores[0] = 1;
	cfg.n_mbufs = 1024;
	DP = dp_create(&cfg);
	if (DP == NULL)
		return -1;
	P0 = dp_port_add(DP, "p0", "net_ring0", NULL);
	P1 = dp_port_add(DP, "p1", "net_ring1", NULL);
	if (P0 < 0 || P1 < 0)
		return -1;
	struct dp_network_cfg n1 = t_net(1);
	EA = t_lport(1, 1, (uint16_t)P0);
	EB = t_lport(2, 1, (uint16_t)P1);
	if (dp_table_network_put(dp_tables(DP), &n1) || dp_table_lport_put(dp_tables(DP), &EA) ||
	    dp_table_lport_put(dp_tables(DP), &EB))
		return -1;
	return 0;
}

static int tr_clean(void)
{
	dp_destroy(DP);
	return 0;
}

static struct rte_mbuf *udp_a_to_b(void)
{
	struct rte_mbuf *m = t_pkt_ipv4(dp_mempool(DP), EA.macs[0].addr_bytes,
					EB.macs[0].addr_bytes, EA.ips[0].addr, EB.ips[0].addr,
					IPPROTO_UDP, 1000, 53, 64, 18);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

struct collect {
	unsigned n;
	struct dp_megaflow_info first;
};

static int collect_cb(const struct dp_megaflow_info *f, void *arg)
{
	struct collect *c = arg;
	if (c->n++ == 0)
		c->first = *f;
	return 0;
}

static void test_trace(void)
{
	struct dp_trace *t = malloc(sizeof(*t)), *t2 = malloc(sizeof(*t2));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t2);
	char want_out[32], err[256];
	snprintf(want_out, sizeof(want_out), "output:%d", P1);

	/* a frame A -> B: parsed, forwarded to B's port, tagged with the lports */
	struct rte_mbuf *m = udp_a_to_b();
	CU_ASSERT_EQUAL(dp_trace_packet(DP, (uint16_t)P0, rte_pktmbuf_mtod(m, uint8_t *),
					m->data_len, t), 0);
	CU_ASSERT_EQUAL(t->parse_drop, DP_DROP_NONE);
	CU_ASSERT_EQUAL(t->outer_len, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(t->megaflow.actions, want_out));
	CU_ASSERT_PTR_NOT_NULL(strstr(t->megaflow.tags, "lport:"));
	CU_ASSERT(t->flow[0] != 0 && t->stages[0] != 0 && t->megaflow.match[0] != 0);
	CU_ASSERT_FALSE(t->no_install);

	/* the same flow as text gives the same megaflow */
	CU_ASSERT_EQUAL(dp_trace_flow(DP, (uint16_t)P0, t->flow, t2, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(t2->flow, t->flow);
	CU_ASSERT_STRING_EQUAL(t2->megaflow.match, t->megaflow.match);
	CU_ASSERT_STRING_EQUAL(t2->megaflow.actions, t->megaflow.actions);

	/* a frame shorter than an Ethernet header: the parser's reason, no megaflow */
	CU_ASSERT_EQUAL(dp_trace_packet(DP, (uint16_t)P0, rte_pktmbuf_mtod(m, uint8_t *), 10, t2),
			0);
	CU_ASSERT_EQUAL(t2->parse_drop, DP_DROP_TRUNC_ETH);
	CU_ASSERT_EQUAL(t2->megaflow.actions[0], 0);

	/* a flow that does not parse */
	err[0] = 0;
	CU_ASSERT_EQUAL(dp_trace_flow(DP, (uint16_t)P0, "no_such_field=1", t2, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT(err[0] != 0);

	/* the PMD handles the frame twice (by hand, no thread: a miss that
	 * installs, then a hit): the dump shows the megaflow the trace
	 * predicted, hit */
	struct dp_pmd *pmd = DP->pmds[0];
	struct rte_mbuf *m2 = udp_a_to_b();
	dp_pmd_apply_invalidations(pmd);
	dp_pmd_process(pmd, (uint16_t)P0, &m, 1);
	dp_pmd_process(pmd, (uint16_t)P0, &m2, 1);
	dp_pmd_flush_tx(pmd);
	struct rte_mbuf *rx[8];
	uint16_t n = rte_eth_rx_burst(DP->ports[P1].ethdev, 0, rx, 8);
	CU_ASSERT_EQUAL(n, 2);
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(rx[i]);
	struct collect c = { 0 };
	CU_ASSERT_EQUAL(dp_dump_megaflows(DP, 0, 16, collect_cb, &c), 1);
	CU_ASSERT_EQUAL(c.n, 1);
	CU_ASSERT_STRING_EQUAL(c.first.text.match, t->megaflow.match);
	CU_ASSERT_STRING_EQUAL(c.first.text.actions, t->megaflow.actions);
	CU_ASSERT_STRING_EQUAL(c.first.text.tags, t->megaflow.tags);
	CU_ASSERT(c.first.hits >= 1);
	CU_ASSERT(c.first.used_s >= 0);
	CU_ASSERT_EQUAL(dp_dump_megaflows(DP, 1, 16, collect_cb, &c), -ENOENT);
	free(t);
	free(t2);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "trace_test", "-l", "0,1", "--vdev=net_ring0", "--vdev=net_ring1",
		       (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("trace and megaflow dump", tr_init, tr_clean);
	CU_add_test(s, "trace a frame and a flow; dump the installed megaflow", test_trace);
	return t_run_all();
}
