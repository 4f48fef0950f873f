/* SPDX-License-Identifier: BSD-3-Clause
 * dp/capture_test.c — capture filters (dp_key_mask_from_string +
 * dp_capture_match) and the capture ring: budget, directions, filtered
 * count, EPB copies, stop frees everything.
 *
 * Run: ./build/dp/dp_capture_test   (EAL: --vdev=net_ring0)
 */
#define ALLOW_EXPERIMENTAL_API 1
#include <CUnit/Basic.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "capture.h"
#include "dp.h"
#include "dp_priv.h"
#include "parse.h"
#include "parse_test_pkt.h"
#include "test_main.h"

/* eth(mac_a -> mac_b) / IPv4 10.0.0.1 -> 10.0.0.2 / UDP sport -> dport */
static void udp_pkt(struct pkt *p, uint16_t sport, uint16_t dport)
{
	p_eth(p, 0x0800);
	uint32_t at = p_ipv4(p, 17, 0, 0);
	p_udp(p, sport, dport);
	p_fill(p, 0, 18);
	p_ipv4_done(p, at);
}

static bool match(const char *filter, const struct pkt *p)
{
	struct dp_capture_cfg cfg = { .rx = true };
	char err[128];
	if (filter) {
		CU_ASSERT_EQUAL_FATAL(dp_key_mask_from_string(filter, &cfg.key, &cfg.mask, err,
							      sizeof(err)), 0);
		cfg.filter = true;
	}
	return dp_capture_match(&cfg, p->b, p->n, 3);
}

static void test_filter(void)
{
	struct pkt p, arp;
	udp_pkt(&p, 1000, 53);
	CU_ASSERT_TRUE(match(NULL, &p));
	CU_ASSERT_TRUE(match("udp", &p));
	CU_ASSERT_FALSE(match("tcp", &p));
	CU_ASSERT_FALSE(match("icmp", &p));
	CU_ASSERT_TRUE(match("udp,tp_dst=53", &p));
	CU_ASSERT_FALSE(match("udp,tp_dst=54", &p));
	CU_ASSERT_TRUE(match("tp_src=1000,tp_dst=53", &p));
	CU_ASSERT_TRUE(match("ip_src=10.0.0.1", &p));
	CU_ASSERT_FALSE(match("ip_src=10.0.0.2", &p));
	CU_ASSERT_TRUE(match("ip_dst=10.0.0.0/24", &p));
	CU_ASSERT_FALSE(match("ip_dst=10.0.1.0/24", &p));
	CU_ASSERT_TRUE(match("eth_src=00:11:22:33:44:55", &p));
	CU_ASSERT_FALSE(match("eth_src=00:11:22:33:44:56", &p));
	CU_ASSERT_TRUE(match("eth_src=00:11:22:33:44:00/ff:ff:ff:ff:ff:00", &p));
	/* a masked number: 53 = 0x35 */
	CU_ASSERT_TRUE(match("tp_dst=0x30/0xf0", &p));
	CU_ASSERT_FALSE(match("tp_dst=0x40/0xf0", &p));
	/* in_port is ignored (the capture's port is the port) */
	CU_ASSERT_TRUE(match("in_port=7,udp", &p));
	/* zero values constrain too: tp_src=0 is not "any" */
	CU_ASSERT_FALSE(match("tp_src=0", &p));
	/* ARP */
	p_eth(&arp, 0x0806);
	p_u16(&arp, 1), p_u16(&arp, 0x0800), p_u8(&arp, 6), p_u8(&arp, 4), p_u16(&arp, 1);
	p_bytes(&arp, mac_a, 6), p_bytes(&arp, ip4_a, 4);
	p_fill(&arp, 0, 6), p_bytes(&arp, ip4_b, 4);
	CU_ASSERT_TRUE(match("arp", &arp));
	CU_ASSERT_FALSE(match("udp", &arp));
	CU_ASSERT_FALSE(match("ip", &arp));
	/* a malformed frame matches no filter, but is captured without one */
	struct pkt bad = { .n = 10 };
	CU_ASSERT_FALSE(match("udp", &bad));
	CU_ASSERT_TRUE(match(NULL, &bad));
	/* bad filters are errors */
	struct dp_flow_key k, m;
	char err[128];
	CU_ASSERT(dp_key_mask_from_string("udp,colour=red", &k, &m, err, sizeof(err)) < 0);
	CU_ASSERT(strstr(err, "colour") != NULL);
	CU_ASSERT(dp_key_mask_from_string("tp_dst=99999", &k, &m, err, sizeof(err)) < 0);
}

static struct rte_mbuf *mk(struct rte_mempool *mp, const struct pkt *p)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)p->n), p->b, p->n);
	return m;
}

static void test_ring(void)
{
	struct dp_config dc;
	dp_config_defaults(&dc);
	dc.n_pmds = 1;
	dc.pmd_lcores[0] = 1;
	dc.n_mbufs = 2048;
	struct dp *dp = dp_create(&dc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
	int port = dp_port_add(dp, "p0", "net_ring0", NULL);
	CU_ASSERT_FATAL(port >= 0);
	struct rte_mempool *mp = dp_mempool(dp);
	unsigned avail0 = rte_mempool_avail_count(mp);

	struct dp_capture_cfg cfg = { .port = (uint16_t)port, .rx = true, .tx = false, .limit = 5 };
	char err[64];
	CU_ASSERT_EQUAL(dp_key_mask_from_string("udp,tp_dst=53", &cfg.key, &cfg.mask, err,
						sizeof(err)), 0);
	cfg.filter = true;
	CU_ASSERT_EQUAL(dp_capture_start(dp, &cfg), 0);
	CU_ASSERT_EQUAL(dp_capture_start(dp, &cfg), -EBUSY);
	CU_ASSERT_TRUE(dp_capture_running(dp));

	struct pkt yes, no;
	udp_pkt(&yes, 1, 53);
	udp_pkt(&no, 1, 54);
	struct rte_mbuf *b[8];
	for (int i = 0; i < 8; i++)
		b[i] = mk(mp, i % 2 ? &no : &yes);   /* 4 matching */
	uint16_t eth = dp->ports[port].ethdev;
	dp_capture_burst(dp->capture, (uint16_t)port, eth, 0, b, 8, true);
	dp_capture_burst(dp->capture, (uint16_t)port, eth, 0, b, 8, false); /* tx: not wanted */
	dp_capture_burst(dp->capture, (uint16_t)(port + 1), eth, 0, b, 8, true); /* other port */
	dp_capture_burst(dp->capture, (uint16_t)port, eth, 0, b, 8, true); /* budget: 1 more */

	struct dp_capture_stats st;
	dp_capture_get_stats(dp, &st);
	CU_ASSERT_EQUAL(st.copied, 5);
	CU_ASSERT_EQUAL(st.filtered, 5);          /* 4, then 1 before the budget ran out */
	struct rte_mbuf *out[16];
	unsigned n = dp_capture_dequeue(dp, out, 16);
	CU_ASSERT_EQUAL(n, 5);
	for (unsigned i = 0; i < n; i++) {
		const uint32_t *w = rte_pktmbuf_mtod(out[i], const uint32_t *);
		CU_ASSERT_EQUAL(w[0], 6);                 /* an Enhanced Packet Block */
		CU_ASSERT_EQUAL(w[5], yes.n);             /* captured length */
		CU_ASSERT_EQUAL(out[i]->hash.usr, 1);     /* received */
		CU_ASSERT_EQUAL(memcmp((const uint8_t *)w + 28, yes.b, yes.n), 0);
	}
	rte_pktmbuf_free_bulk(out, n);
	/* the originals are untouched and still ours */
	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(b[0]), yes.n);
	rte_pktmbuf_free_bulk(b, 8);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), avail0);

	dp_capture_stop(dp, NULL);
	CU_ASSERT_FALSE(dp_capture_running(dp));
	/* stop with copies still queued frees them */
	struct dp_capture_cfg all = { .port = (uint16_t)port, .rx = true, .tx = true };
	CU_ASSERT_EQUAL(dp_capture_start(dp, &all), 0);
	b[0] = mk(mp, &yes);
	dp_capture_burst(dp->capture, (uint16_t)port, eth, 0, b, 1, false);
	rte_pktmbuf_free(b[0]);
	dp_capture_stop(dp, &st);
	CU_ASSERT_EQUAL(st.copied, 1);
	CU_ASSERT_FALSE(dp_capture_running(dp));
	CU_ASSERT_EQUAL(dp_capture_dequeue(dp, out, 16), 0);
	CU_ASSERT_EQUAL(dp_capture_start(dp, &(struct dp_capture_cfg){ .port = 40, .rx = true }),
			-ENOENT);
	dp_destroy(dp);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "capture_test", "-l", "0,1", "--vdev=net_ring0", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("capture", NULL, NULL);
	CU_add_test(s, "filter: every given field must match", test_filter);
	CU_add_test(s, "ring: budget, direction, port, EPB copies, stop", test_ring);
	return t_run_all();
}
