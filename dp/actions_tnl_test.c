/* SPDX-License-Identifier: BSD-3-Clause
 * dp/actions_tnl_test.c — the executor's consuming actions on real mbufs
 * through ring ports: head-end flood (tnl_flood) copies reach each remote
 * VTEP once, every combination of consuming actions frees each mbuf exactly
 * once (the pool's free count returns to its start), and an ARP/ND answer
 * that cannot be built is dropped instead of being reflected to its sender.
 */
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "dp.h"
#include "dp_priv.h"
#include "test_util.h"

#define NPORT 4     /* p0 input, p1 p2 local, p3 uplink */
#define VTEP_L 0x0100090a /* 10.9.0.1 */
static const uint32_t VTEPS[2] = { 0x0200090a, 0x0300090a }; /* 10.9.0.2, .3 */
#define NET 7
#define VNI 4242

static struct dp *DP;
static struct dp_pmd *PMD;
static int P[NPORT];
static uint16_t ETH[NPORT];
static const uint8_t MA[6] = { 0x02, 0, 0, 0, 0, 0xa1 }, BC[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t IA[4] = { 10, 0, 0, 1 }, IB[4] = { 10, 0, 0, 255 };

static int setup(void)
{
	struct dp_config cfg;
	dp_config_defaults(&cfg);
	cfg.n_pmds = 1;
	cfg.pmd_lcores[0] = 1;
	cfg.idle_sleep_max_us = 0;
	cfg.n_mbufs = 4096;
	cfg.punt_rate_pps = 1000000;
	cfg.punt_burst = 1000;
	DP = dp_create(&cfg);
	if (DP == NULL)
		return -1;
	PMD = DP->pmds[0];
	char name[8], dev[16];
	for (int i = 0; i < NPORT; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(dev, sizeof(dev), "net_ring%d", i);
		P[i] = dp_port_add(DP, name, dev, NULL);
		if (P[i] < 0)
			return -1;
		ETH[i] = DP->ports[P[i]].ethdev;
	}
	struct dp_tables *t = dp_tables(DP);
	struct dp_overlay_cfg ov = { .uplink = (uint16_t)P[3], .vtep_ip = VTEP_L,
				     .encap = DP_ENCAP_VXLAN, .underlay_mtu = 1500,
				     .vtep_mac = { { 0x02, 0xee, 0, 0, 0, 1 } } };
	if (dp_overlay_set(t, &ov) != 0)
		return -1;
	for (unsigned i = 0; i < 2; i++) {
		struct dp_vtep v = { .ip = VTEPS[i], .resolved = true, .is_static = true,
				     .mac = { { 0x02, 0xee, 0, 0, 1, (uint8_t)i } } };
		if (dp_vtep_put(t, &v) != 0)
			return -1;
	}
	struct dp_network_cfg n = t_net(NET);
	n.vni = VNI;
	n.n_flood_vteps = 2;
	n.flood_vteps = VTEPS;
	return dp_table_network_put(t, &n);
}

static int teardown(void)
{
	dp_destroy(DP);
	return 0;
}

static unsigned rx(unsigned i, struct rte_mbuf **out, unsigned max)
{
	unsigned n = 0;
	uint16_t k;
	while (n < max && (k = rte_eth_rx_burst(ETH[i], 0, out + n, (uint16_t)(max - n))) > 0)
		n += k;
	return n;
}

static void exec(const struct dp_action *a, unsigned na, const uint16_t *flood,
		 struct rte_mbuf **pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		pkts[i]->port = (uint16_t)P[0];
	dp_actions_execute(PMD, a, na, flood, pkts, n);
	dp_pmd_flush_tx(PMD);
}

/* What arrived where, all freed. */
struct seen {
	unsigned port[NPORT];
	unsigned vtep[2];      /* uplink copies per outer destination */
	unsigned bad_outer;    /* uplink frames with a wrong outer header */
	unsigned punts;
};

static void collect(struct seen *s)
{
	struct rte_mbuf *m[256];
	memset(s, 0, sizeof(*s));
	for (unsigned p = 0; p < NPORT; p++) {
		unsigned n = rx(p, m, RTE_DIM(m));
		s->port[p] = n;
		for (unsigned i = 0; i < n && p == 3; i++) {
			const uint8_t *d = rte_pktmbuf_mtod(m[i], const uint8_t *);
			uint32_t dst, src, vni_be;
			memcpy(&src, d + 26, 4);
			memcpy(&dst, d + 30, 4);
			memcpy(&vni_be, d + 46, 4);
			bool ok = m[i]->pkt_len >= DP_ENCAP_HLEN + 14 && src == VTEP_L &&
				  (ntohl(vni_be) >> 8) == VNI && d[36] == (DP_VXLAN_PORT >> 8) &&
				  d[37] == (DP_VXLAN_PORT & 0xff) &&
				  memcmp(d + DP_ENCAP_HLEN, BC, 6) == 0;
			if (ok && dst == VTEPS[0])
				s->vtep[0]++;
			else if (ok && dst == VTEPS[1])
				s->vtep[1]++;
			else
				s->bad_outer++;
		}
		rte_pktmbuf_free_bulk(m, n);
	}
	for (unsigned n; (n = dp_punt_dequeue(DP, m, RTE_DIM(m))) > 0;) {
		s->punts += n;
		rte_pktmbuf_free_bulk(m, n);
	}
}

static struct rte_mbuf *bcast(void)
{
	struct rte_mbuf *m = t_pkt_ipv4(DP->mp, MA, BC, IA, IB, IPPROTO_UDP, 1000, 2000, 64, 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

/* tnl_flood alone (as the flood stage emits it for a network with no other
 * local port): one copy per remote VTEP, the originals freed. */
static void test_tnl_flood_alone(void)
{
	unsigned avail = rte_mempool_avail_count(DP->mp);
	struct rte_mbuf *in[16];
	struct dp_action a = { .type = DP_ACT_TNL_FLOOD, .u32 = NET };
	dp_act_set_vni(&a, VNI);
	for (unsigned i = 0; i < 16; i++)
		in[i] = bcast();
	exec(&a, 1, NULL, in, 16);
	struct seen s;
	collect(&s);
	CU_ASSERT_EQUAL(s.vtep[0], 16);
	CU_ASSERT_EQUAL(s.vtep[1], 16);
	CU_ASSERT_EQUAL(s.bad_outer, 0);
	CU_ASSERT_EQUAL(s.port[1] + s.port[2] + s.port[0], 0);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(DP->mp), avail);
}

/* The network or the overlay vanished since the megaflow was made: the
 * packets are still freed. */
static void test_tnl_flood_gone(void)
{
	unsigned avail = rte_mempool_avail_count(DP->mp);
	struct rte_mbuf *in[4];
	struct dp_action a[2] = { { .type = DP_ACT_OUTPUT, .port = (uint16_t)P[1] },
				  { .type = DP_ACT_TNL_FLOOD, .u32 = 999 } };
	for (unsigned i = 0; i < 4; i++)
		in[i] = bcast();
	exec(a, 2, NULL, in, 4);
	struct seen s;
	collect(&s);
	CU_ASSERT_EQUAL(s.port[1], 4);
	CU_ASSERT_EQUAL(s.port[3], 0);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(DP->mp), avail);
}

/* Every list of 1..3 consuming actions drawn from {output, flood, drop,
 * punt, tnl_flood}, each optionally followed by a rewrite: each destination
 * gets exactly one copy of each packet and the pool gets every mbuf back. */
static void test_consuming_combinations(void)
{
	static const uint16_t kinds[5] = { DP_ACT_OUTPUT, DP_ACT_FLOOD, DP_ACT_DROP, DP_ACT_PUNT,
					   DP_ACT_TNL_FLOOD };
	uint16_t fl[2] = { (uint16_t)P[1], (uint16_t)P[2] };
	unsigned avail = rte_mempool_avail_count(DP->mp);
	unsigned combos = 0, bad = 0;
	for (unsigned len = 1; len <= 3; len++) {
		unsigned total = 1;
		for (unsigned i = 0; i < len; i++)
			total *= 5 * 2;
		for (unsigned c = 0; c < total; c++) {
			struct dp_action a[6];
			unsigned na = 0, v = c;
			unsigned exp[NPORT] = { 0 }, exp_vtep = 0, exp_punt = 0;
			const unsigned n = 5;
			bool consumed = false;
			for (unsigned i = 0; i < len; i++) {
				uint16_t k = kinds[v % 5];
				bool rw = (v / 5) % 2;
				v /= 10;
				struct dp_action x = { .type = k };
				if (k == DP_ACT_OUTPUT) {
					x.port = (uint16_t)P[1];
					exp[1] += n;
				} else if (k == DP_ACT_FLOOD) {
					x.u32 = 0;
					x.port = 2;
					exp[1] += n;
					exp[2] += n;
				} else if (k == DP_ACT_DROP) {
					x.u32 = DP_DROP_POLICY;
				} else if (k == DP_ACT_PUNT) {
					x.u32 = DP_PUNT_TRACE;
					exp_punt += n;
				} else {
					x.u32 = NET;
					dp_act_set_vni(&x, VNI);
					exp_vtep += n;
				}
				a[na++] = x;
				consumed = true;
				if (rw) {
					struct dp_action r = { .type = DP_ACT_SET_ETH_SRC,
							       .data = { 0x02, 9, 9, 9, 9, (uint8_t)i } };
					a[na++] = r;
				}
			}
			(void)consumed;
			struct rte_mbuf *in[n];
			for (unsigned i = 0; i < n; i++)
				in[i] = bcast();
			for (unsigned p = 0; p < NPORT; p++)
				PMD->punt_tb[p].last_tsc = 0;
			exec(a, na, fl, in, n);
			struct seen s;
			collect(&s);
			bool ok = s.port[1] == exp[1] && s.port[2] == exp[2] && s.port[0] == 0 &&
				  s.vtep[0] == exp_vtep && s.vtep[1] == exp_vtep &&
				  s.bad_outer == 0 && s.punts == exp_punt &&
				  rte_mempool_avail_count(DP->mp) == avail;
			if (!ok && bad++ < 5) {
				char buf[256];
				t_fmt_actions(buf, sizeof(buf), a, na, fl);
				fprintf(stderr, "\n  %s: p1 %u/%u p2 %u/%u vteps %u,%u/%u punts %u/%u "
					"pool %u/%u\n", buf, s.port[1], exp[1], s.port[2], exp[2],
					s.vtep[0], s.vtep[1], exp_vtep, s.punts, exp_punt,
					rte_mempool_avail_count(DP->mp), avail);
				avail = rte_mempool_avail_count(DP->mp);
			}
			combos++;
		}
	}
	CU_ASSERT_EQUAL(combos, 10 + 100 + 1000);
	CU_ASSERT_EQUAL(bad, 0);
}

/* ---- ARP/ND answers that cannot be built ------------------------------------------------------- */

static struct rte_mbuf *ns_pkt(void)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(DP->mp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, 14 + 40 + 24);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		CU_FAIL_FATAL("append");
		return NULL;
	}
	memset(d, 0, 14 + 40 + 24);
	static const uint8_t dmac[6] = { 0x33, 0x33, 0xff, 0, 0, 1 };
	memcpy(d, dmac, 6);
	memcpy(d + 6, MA, 6);
	d[12] = 0x86;
	d[13] = 0xdd;
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(d + 14);
	ip6->vtc_flow = htonl(6u << 28);
	ip6->payload_len = htons(24);
	ip6->proto = 58;
	ip6->hop_limits = 255;
	struct dp_ip s = t_ip_str("2001:db8::10"), t = t_ip_str("2001:db8::1");
	memcpy(ip6->src_addr, s.addr, 16);
	static const uint8_t sn[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff, [15] = 1 };
	memcpy(ip6->dst_addr, sn, 16);
	d[54] = 135;
	memcpy(d + 54 + 8, t.addr, 16);
	m->l2_len = 14;
	m->l3_len = 40;
	return m;
}

/* Split m after its first `first` bytes into a two-segment chain. */
static struct rte_mbuf *two_segments(struct rte_mbuf *m, uint16_t first)
{
	struct rte_mbuf *tail = rte_pktmbuf_alloc(DP->mp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tail);
	uint16_t rest = (uint16_t)(m->data_len - first);
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(tail, rest);
	memcpy(d, rte_pktmbuf_mtod_offset(m, uint8_t *, first), rest);
	rte_pktmbuf_trim(m, rest);
	CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_chain(m, tail), 0);
	return m;
}

static void test_answer_failed_is_dropped(void)
{
	unsigned avail = rte_mempool_avail_count(DP->mp);
	static const uint8_t RM[6] = { 0x02, 0xee, 0, 0, 0, 0x77 };
	struct dp_action nd[2] = { { .type = DP_ACT_ND_ADVERT, .u32 = 1 },
				   { .type = DP_ACT_OUTPUT, .port = (uint16_t)P[0] } };
	memcpy(nd[0].data, RM, 6);
	uint64_t d0 = PMD->st.drops[DP_DROP_ANSWER_FAILED];
	struct seen s;
	/* a well-formed NS still gets its NA */
	struct rte_mbuf *m = ns_pkt();
	exec(nd, 2, NULL, &m, 1);
	struct rte_mbuf *o[4];
	unsigned k = rx(0, o, 4);
	CU_ASSERT_EQUAL_FATAL(k, 1);
	CU_ASSERT_EQUAL(rte_pktmbuf_mtod(o[0], uint8_t *)[54], 136);
	rte_pktmbuf_free(o[0]);
	/* multi-segment NS (the ICMPv6 header in the second segment, and with
	 * everything in the first but a chained tail): dropped, nothing
	 * reflected to the sender */
	struct rte_mbuf *in[2] = { two_segments(ns_pkt(), 54), two_segments(ns_pkt(), 70) };
	CU_ASSERT_EQUAL(in[0]->nb_segs, 2);
	exec(nd, 2, NULL, in, 2);
	collect(&s);
	CU_ASSERT_EQUAL(s.port[0], 0);
	CU_ASSERT_EQUAL(PMD->st.drops[DP_DROP_ANSWER_FAILED] - d0, 2);
	/* no tailroom for the 8 bytes the NA adds: dropped */
	m = ns_pkt();
	uint8_t copy[78];
	memcpy(copy, rte_pktmbuf_mtod(m, uint8_t *), 78);
	m->data_off = (uint16_t)(m->buf_len - 78 - 4);
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), copy, 78);
	CU_ASSERT(rte_pktmbuf_tailroom(m) < 8);
	exec(nd, 2, NULL, &m, 1);
	collect(&s);
	CU_ASSERT_EQUAL(s.port[0], 0);
	CU_ASSERT_EQUAL(PMD->st.drops[DP_DROP_ANSWER_FAILED] - d0, 3);
	/* an ARP request whose header is not in the first segment */
	struct dp_action arp[2] = { { .type = DP_ACT_ARP_REPLY },
				    { .type = DP_ACT_OUTPUT, .port = (uint16_t)P[0] } };
	memcpy(arp[0].data, RM, 6);
	m = two_segments(t_pkt_arp(DP->mp, MA, MA, IA, IB), 20);
	exec(arp, 2, NULL, &m, 1);
	collect(&s);
	CU_ASSERT_EQUAL(s.port[0], 0);
	CU_ASSERT_EQUAL(PMD->st.drops[DP_DROP_ANSWER_FAILED] - d0, 4);
	CU_ASSERT_STRING_EQUAL(dp_drop_name(DP_DROP_ANSWER_FAILED), "answer-failed");
	CU_ASSERT_EQUAL(rte_mempool_avail_count(DP->mp), avail);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "actions_tnl_test", "-l", "0,1", "--vdev=net_ring0",
		       "--vdev=net_ring1", "--vdev=net_ring2", "--vdev=net_ring3", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("consuming actions", setup, teardown);
	CU_add_test(s, "tnl_flood alone: one copy per VTEP, no leak", test_tnl_flood_alone);
	CU_add_test(s, "tnl_flood to a vanished network: freed", test_tnl_flood_gone);
	CU_add_test(s, "every consuming combination frees each mbuf once",
		    test_consuming_combinations);
	CU_add_test(s, "ARP/ND answer that cannot be built: dropped",
		    test_answer_failed_is_dropped);
	return t_run_all();
}
