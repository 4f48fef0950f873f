/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_partial_test.c — the partial path with the dummy's NIC
 * emulation on a real ethdev (net_ring from rte_eth_from_rings): packets
 * matching a PARTIAL rule come out of rte_eth_rx_burst with the FDIR mark
 * the mark table maps to their megaflow; others (and everything after the
 * rule's removal) without.  Hardware counters reach the stats callback.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>
#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "ofl.h"
#include "ofl_dummy.h"
#include "test_main.h"

static struct rte_mempool *t_pool;
static struct rte_ring *t_rxr, *t_txr;
static uint16_t t_port;

/* Ethernet / IPv4 / UDP to dport from 10.0.0.1 */
static struct rte_mbuf *t_udp(uint16_t dport)
{
	static const uint8_t hdr[42] = {
		0x02, 0, 0, 0, 0, 0x0b, 0x02, 0, 0, 0, 0, 0x0a, 0x08, 0x00,
		0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x04, 0xd2, 0, 0, 0, 8, 0, 0,
	};
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_pool);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rte_pktmbuf_append(m, 60));
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0, 60);
	memcpy(p, hdr, sizeof(hdr));
	p[36] = (uint8_t)(dport >> 8);
	p[37] = (uint8_t)dport;
	return m;
}

static uint64_t t_cb_pkts, t_cb_id;
static void t_stats_cb(void *arg, uint64_t id, uint64_t dpkts, uint64_t dbytes, uint64_t used)
{
	t_cb_pkts += dpkts;
	t_cb_id = id;
}

/* Put n packets (dports[i]) on the wire and receive them. */
static unsigned t_rx(const uint16_t *dports, unsigned n, struct rte_mbuf **out)
{
	struct rte_mbuf *in[32];
	for (unsigned i = 0; i < n; i++)
		in[i] = t_udp(dports[i]);
	CU_ASSERT_EQUAL_FATAL(rte_ring_enqueue_burst(t_rxr, (void **)in, n, NULL), n);
	return rte_eth_rx_burst(t_port, 0, out, 32);
}

static void test_partial_marks(void)
{
	struct ofl_config cfg = { .enable = true, .name = "pt", .stats_interval_ms = 1,
				  .stats_cb = t_stats_cb };
	struct ofl *o = ofl_create(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	struct ofl_port_cfg pc = { .dp_port = 3, .eth_port = t_port, .backend = "dummy",
				   .args = "caps=mark,queue,count", .n_rxq = 1 };
	CU_ASSERT_EQUAL_FATAL(ofl_port_add(o, &pc), 0);
	struct ofl_backend *b = ofl_port_backend(o, 3);

	/* megaflow: in_port 3, IPv4, UDP dst 53 -> output 4 (not offloadable: partial) */
	struct dp_flow_key k, m;
	memset(&k, 0, sizeof(k));
	memset(&m, 0, sizeof(m));
	k.in_port = 3;
	k.eth_type = htons(0x0800);
	k.ip_proto = 17;
	k.tp_dst = htons(53);
	DP_MARK(&m, in_port);
	DP_MARK(&m, recirc_id);
	DP_MARK(&m, eth_type);
	DP_MARK(&m, ip_proto);
	DP_MARK(&m, tp_dst);
	struct dp_action out = { .type = DP_ACT_OUTPUT, .port = 4 };
	CU_ASSERT_EQUAL(ofl_megaflow_installed(o, 77, 3, 0, &k, &m, &out, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	struct ofl_flow_info fi;
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(o, 77, &fi), 0);
	CU_ASSERT_EQUAL_FATAL(fi.state, OFL_PARTIAL);
	CU_ASSERT_STRING_EQUAL(fi.why, "port refuses output to another port");

	struct rte_mbuf *rx[32];
	const uint16_t dports[4] = { 53, 54, 53, 1000 };
	unsigned n = t_rx(dports, 4, rx);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	for (unsigned i = 0; i < n; i++) {
		uint32_t mk = ofl_mbuf_mark(rx[i]);
		if (dports[i] == 53) {
			CU_ASSERT(rx[i]->ol_flags & RTE_MBUF_F_RX_FDIR);
			CU_ASSERT_EQUAL(mk, fi.mark);
			CU_ASSERT_EQUAL(ofl_mark_lookup(ofl_mark_table(o), mk, 0), 77);
		} else {
			CU_ASSERT_EQUAL(rx[i]->ol_flags & (RTE_MBUF_F_RX_FDIR |
							   RTE_MBUF_F_RX_FDIR_ID), 0);
			CU_ASSERT_EQUAL(mk, 0);
		}
		rte_pktmbuf_free(rx[i]);
	}
	CU_ASSERT_EQUAL(ofl_dummy_marked(b), 2);

	/* the PMD's per-burst call */
	uint64_t ids[32];
	unsigned stale;
	n = t_rx(dports, 4, rx);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(ofl_mark_burst(ofl_mark_table(o), 0, rx, n, ids, &stale), 2);
	CU_ASSERT_EQUAL(stale, 0);
	CU_ASSERT(ids[0] == 77 && ids[1] == OFL_ID_NONE && ids[2] == 77 && ids[3] == OFL_ID_NONE);
	/* a bogus mark (a NIC bug, or a mark from before a restart) is stale */
	rx[1]->hash.fdir.hi = 123456;
	rx[1]->ol_flags |= RTE_MBUF_F_RX_FDIR | RTE_MBUF_F_RX_FDIR_ID;
	CU_ASSERT_EQUAL(ofl_mark_burst(ofl_mark_table(o), 0, rx, n, ids, &stale), 3);
	CU_ASSERT_EQUAL(stale, 1);
	CU_ASSERT_EQUAL(ids[1], OFL_ID_NONE);
	for (unsigned i = 0; i < n; i++)
		rte_pktmbuf_free(rx[i]);

	/* hardware counters: on demand and through the stats callback */
	struct ofl_flow_stats st;
	CU_ASSERT_EQUAL(ofl_flow_stats(o, 77, &st), 0);
	CU_ASSERT_EQUAL(st.packets, 4);
	CU_ASSERT_EQUAL(st.bytes, 240);
	CU_ASSERT(st.last_used != 0);
	n = t_rx(dports, 1, rx);
	CU_ASSERT_EQUAL(n, 1);
	rte_pktmbuf_free(rx[0]);
	rte_delay_us_sleep(3000);
	ofl_run(o, 16);
	CU_ASSERT_EQUAL(t_cb_id, 77);
	CU_ASSERT_EQUAL(t_cb_pkts, 5);   /* everything the dp has not been told yet */
	rte_delay_us_sleep(3000);
	ofl_run(o, 16);
	CU_ASSERT_EQUAL(t_cb_pkts, 5);   /* no traffic, no delta */
	struct ofl_port_stats ps;
	CU_ASSERT_EQUAL(ofl_port_stats(o, 3, &ps), 0);
	CU_ASSERT_EQUAL(ps.hits, 5);

	/* removed: the same packets come in unmarked, the old mark maps nowhere */
	CU_ASSERT_EQUAL(ofl_megaflow_removed(o, 77), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	n = t_rx(dports, 4, rx);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	for (unsigned i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(ofl_mbuf_mark(rx[i]), 0);
		rte_pktmbuf_free(rx[i]);
	}
	CU_ASSERT_EQUAL(ofl_mark_lookup(ofl_mark_table(o), fi.mark, 0), OFL_ID_NONE);
	ofl_destroy(o);

	/* the rx callback is gone with the backend */
	n = t_rx(dports, 1, rx);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(ofl_mbuf_mark(rx[0]), 0);
	rte_pktmbuf_free(rx[0]);
}

/* A port without rte_flow (net_ring): the probe finds nothing, every
 * megaflow stays in software with the reason, nothing is created. */
static void test_rte_flow_on_ring(void)
{
	struct ofl_config cfg = { .enable = true, .name = "ptr" };
	struct ofl *o = ofl_create(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	struct ofl_port_cfg pc = { .dp_port = 3, .eth_port = t_port, .backend = "rte_flow",
				   .n_rxq = 1 };
	CU_ASSERT_EQUAL_FATAL(ofl_port_add(o, &pc), 0);
	struct ofl_port_stats ps;
	CU_ASSERT_EQUAL(ofl_port_stats(o, 3, &ps), 0);
	CU_ASSERT_EQUAL(ps.caps, 0);
	struct dp_flow_key k, m;
	memset(&k, 0, sizeof(k));
	memset(&m, 0, sizeof(m));
	k.in_port = 3;
	DP_MARK(&m, in_port);
	DP_MARK(&m, eth_dst);
	struct dp_action drop = { .type = DP_ACT_DROP };
	CU_ASSERT_EQUAL(ofl_megaflow_installed(o, 5, 3, 0, &k, &m, &drop, 1), 0);
	CU_ASSERT_EQUAL(ofl_sync(o, 1000), 0);
	struct ofl_flow_info fi;
	CU_ASSERT_EQUAL_FATAL(ofl_flow_info(o, 5, &fi), 0);
	CU_ASSERT_EQUAL(fi.state, OFL_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(fi.why, "port refuses Ethernet match");
	CU_ASSERT_EQUAL(ofl_port_stats(o, 3, &ps), 0);
	CU_ASSERT_EQUAL(ps.failed, 0);
	CU_ASSERT_EQUAL(ps.installed, 0);
	ofl_destroy(o);
}

static int t_setup(void)
{
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	t_pool = rte_pktmbuf_pool_create("pt_pool", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 (int)rte_socket_id());
	t_rxr = rte_ring_create("pt_rx", 256, (int)rte_socket_id(), 0);
	t_txr = rte_ring_create("pt_tx", 256, (int)rte_socket_id(), 0);
	if (t_pool == NULL || t_rxr == NULL || t_txr == NULL)
		return -1;
	int p = rte_eth_from_rings("pt_ring", &t_rxr, 1, &t_txr, 1, (unsigned)rte_socket_id());
	if (p < 0)
		return -1;
	t_port = (uint16_t)p;
	if (rte_eth_dev_configure(t_port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(t_port, 0, 256, (unsigned)rte_socket_id(), NULL, t_pool) ||
	    rte_eth_tx_queue_setup(t_port, 0, 256, (unsigned)rte_socket_id(), NULL) ||
	    rte_eth_dev_start(t_port) != 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	if (t_eal_init(argv[0], "ofl_partial", (char *)NULL) != 0)
		return 1;
	if (t_setup() != 0) {
		fprintf(stderr, "ring port setup failed\n");
		return 1;
	}
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("ofl_partial", NULL, NULL);
	CU_add_test(s, "dummy NIC marks partial-rule packets", test_partial_marks);
	CU_add_test(s, "rte_flow on a port without rte_flow", test_rte_flow_on_ring);
	int rc = t_run_all();
	return rc;
}
