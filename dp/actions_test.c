/* SPDX-License-Identifier: BSD-3-Clause
 * dp/actions_test.c — incremental checksums against full recomputes, and
 * the action executor on real mbufs through net_ring ports: rewrites with
 * valid checksums, TTL, VLAN, output clones, flood, drop and punt counters,
 * the punt rate limit, mbuf accounting, and dp_actions_format.
 *
 * Run: ./build/dp/dp_actions_test   (EAL: -l 0,1 --vdev=net_ring0..2)
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "test_util.h"
#include "dp_priv.h"

/* ---- checksums ------------------------------------------------------------------------------ */

static void rand_ipv4_hdr(struct rte_ipv4_hdr *ip)
{
	uint8_t *b = (uint8_t *)ip;
	for (unsigned i = 0; i < sizeof(*ip); i++)
		b[i] = (uint8_t)t_rand();
	ip->version_ihl = 0x45;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

static uint16_t full_ip_csum(struct rte_ipv4_hdr *ip)
{
	struct rte_ipv4_hdr c = *ip;
	c.hdr_checksum = 0;
	return rte_ipv4_cksum(&c);
}

static void test_csum_update(void)
{
	unsigned bad16 = 0, bad32 = 0, bad_l4 = 0;
	for (unsigned it = 0; it < 20000; it++) {
		union {
			struct rte_ipv4_hdr h;
			uint16_t w[10];
		} u;
		struct rte_ipv4_hdr *ipp = &u.h;
#define ip (*ipp)
		rand_ipv4_hdr(&ip);
		/* 16-bit word (not the checksum itself, word 5) */
		uint16_t *w = u.w;
		unsigned wi = t_randn(10);
		if (wi == 5)
			wi = 4;
		if (wi == 0)
			wi = 1; /* keep version/IHL */
		uint16_t old = ntohs(w[wi]), nw = (uint16_t)t_rand();
		if (it % 7 == 0)
			nw = old; /* no-op change */
		w[wi] = htons(nw);
		ip.hdr_checksum = htons(dp_csum_update16(ntohs(ip.hdr_checksum), old, nw));
		if (ip.hdr_checksum != full_ip_csum(&ip))
			bad16++;
		/* 32-bit address */
		uint32_t olda = ntohl(ip.src_addr), na = (uint32_t)t_rand();
		if (it % 11 == 0)
			na = ~olda;
		ip.src_addr = htonl(na);
		ip.hdr_checksum = htons(dp_csum_update32(ntohs(ip.hdr_checksum), olda, na));
		if (ip.hdr_checksum != full_ip_csum(&ip))
			bad32++;
#undef ip
	}
	/* the checksum is in network order in the packet; dp_csum_update* is
	 * byte-order agnostic as long as all three are in the same order */
	for (unsigned it = 0; it < 5000; it++) {
		uint8_t buf[128];
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
		memset(buf, 0, sizeof(buf));
		rand_ipv4_hdr(ip);
		ip->next_proto_id = IPPROTO_UDP;
		uint16_t plen = (uint16_t)(8 + t_randn(60));
		ip->total_length = htons((uint16_t)(20 + plen));
		for (unsigned i = 8; i < plen; i++)
			((uint8_t *)uh)[i] = (uint8_t)t_rand();
		uh->dgram_len = htons(plen);
		uh->src_port = (uint16_t)t_rand();
		uh->dgram_cksum = 0;
		uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
		uint32_t olda = ntohl(ip->dst_addr), na = (uint32_t)t_rand();
		ip->dst_addr = htonl(na);
		uint16_t c = dp_csum_update32(ntohs(uh->dgram_cksum), olda, na);
		uh->dgram_cksum = htons(c == 0 ? 0xffff : c);
		uint16_t want = 0;
		uint16_t got = uh->dgram_cksum;
		uh->dgram_cksum = 0;
		want = rte_ipv4_udptcp_cksum(ip, uh);
		if (got != want)
			bad_l4++;
	}
	CU_ASSERT_EQUAL(bad16, 0);
	CU_ASSERT_EQUAL(bad32, 0);
	CU_ASSERT_EQUAL(bad_l4, 0);
	/* RFC 1624 section 4: HC 0xDD2F, m 0x5555 -> m' 0x3285 gives HC' 0x0000 */
	CU_ASSERT_EQUAL(dp_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

/* ---- the executor through ring ports ---------------------------------------------------------- */

static struct dp *DP;
static struct dp_pmd *PMD;
static int P[3];
static uint16_t ETH[3];
static const uint8_t MA[6] = { 0x02, 0, 0, 0, 0, 0xa1 }, MB[6] = { 0x02, 0, 0, 0, 0, 0xb2 };
static const uint8_t IA[4] = { 10, 0, 0, 1 }, IB[4] = { 10, 0, 0, 2 };

static int dp_init(void)
{
	struct dp_config cfg;
	dp_config_defaults(&cfg);
	cfg.n_pmds = 1;
	cfg.pmd_lcores[0] = 1;
	cfg.idle_sleep_max_us = 0;
	cfg.n_mbufs = 4096;
	cfg.punt_rate_pps = 1;
	cfg.punt_burst = 3;
	DP = dp_create(&cfg);
	if (DP == NULL)
		return -1;
	PMD = DP->pmds[0];
	char name[8], dev[16];
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(dev, sizeof(dev), "net_ring%d", i);
		P[i] = dp_port_add(DP, name, dev, NULL);
		if (P[i] < 0)
			return -1;
		ETH[i] = DP->ports[P[i]].ethdev;
	}
	return 0;
}

static int dp_fini(void)
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

static void drain_all(void)
{
	struct rte_mbuf *m[64];
	for (unsigned i = 0; i < 3; i++) {
		unsigned n;
		while ((n = rx(i, m, RTE_DIM(m))) > 0)
			rte_pktmbuf_free_bulk(m, n);
	}
	for (unsigned n; (n = dp_punt_dequeue(DP, m, RTE_DIM(m))) > 0;)
		rte_pktmbuf_free_bulk(m, n);
}

static void exec(const struct dp_action *a, unsigned na, const uint16_t *flood,
		 struct rte_mbuf **pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		pkts[i]->port = (uint16_t)P[0];
	dp_actions_execute(PMD, a, na, flood, pkts, n);
	dp_pmd_flush_tx(PMD);
}

static struct rte_mbuf *pkt(uint8_t proto, uint8_t ttl)
{
	struct rte_mbuf *m = t_pkt_ipv4(DP->mp, MA, MB, IA, IB, proto, 1111, 2222, ttl, 40);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

static const struct rte_ipv4_hdr *ip_of(const struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, 14);
}

static const uint16_t *ports_of(const struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, const uint16_t *, 34);
}

static void test_set_eth(void)
{
	unsigned avail = rte_mempool_avail_count(DP->mp);
	struct rte_mbuf *in[4], *out[8];
	static const uint8_t NS[6] = { 0x02, 1, 2, 3, 4, 5 }, ND[6] = { 0x02, 6, 7, 8, 9, 10 };
	struct dp_action a[3] = {
		{ .type = DP_ACT_SET_ETH_SRC }, { .type = DP_ACT_SET_ETH_DST },
		{ .type = DP_ACT_OUTPUT, .port = (uint16_t)P[1] },
	};
	memcpy(a[0].data, NS, 6);
	memcpy(a[1].data, ND, 6);
	for (unsigned i = 0; i < 4; i++)
		in[i] = pkt(IPPROTO_UDP, 64);
	exec(a, 3, NULL, in, 4);
	unsigned n = rx(1, out, 8);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	for (unsigned i = 0; i < n; i++) {
		const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(out[i], const struct rte_ether_hdr *);
		CU_ASSERT_EQUAL(memcmp(&eh->src_addr, NS, 6), 0);
		CU_ASSERT_EQUAL(memcmp(&eh->dst_addr, ND, 6), 0);
		CU_ASSERT(t_ipv4_csums_ok(out[i]));
	}
	rte_pktmbuf_free_bulk(out, n);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(DP->mp), avail);
}

static void test_set_ipv4(void)
{
	struct rte_mbuf *in[3], *out[8];
	uint32_t ns, nd;
	memcpy(&ns, (uint8_t[4]){ 192, 168, 7, 9 }, 4);
	memcpy(&nd, (uint8_t[4]){ 172, 31, 200, 254 }, 4);
	struct dp_action a[3] = {
		{ .type = DP_ACT_SET_IPV4_SRC, .u32 = ns },
		{ .type = DP_ACT_SET_IPV4_DST, .u32 = nd },
		{ .type = DP_ACT_OUTPUT, .port = (uint16_t)P[1] },
	};
	for (unsigned round = 0; round < 50; round++) {
		in[0] = pkt(IPPROTO_UDP, 64);
		in[1] = pkt(IPPROTO_TCP, 64);
		in[2] = pkt(IPPROTO_UDP, 64);
		/* UDP without checksum */
		struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(in[2], struct rte_udp_hdr *, 34);
		uh->dgram_cksum = 0;
		memcpy(&ns, (uint32_t[1]){ (uint32_t)t_rand() }, 4);
		a[0].u32 = ns;
		a[1].u32 = (uint32_t)t_rand();
		exec(a, 3, NULL, in, 3);
		unsigned n = rx(1, out, 8);
		CU_ASSERT_EQUAL_FATAL(n, 3);
		for (unsigned i = 0; i < 3; i++) {
			CU_ASSERT_EQUAL(ip_of(out[i])->src_addr, a[0].u32);
			CU_ASSERT_EQUAL(ip_of(out[i])->dst_addr, a[1].u32);
			CU_ASSERT(t_ipv4_csums_ok(out[i]));
		}
		uh = rte_pktmbuf_mtod_offset(out[2], struct rte_udp_hdr *, 34);
		CU_ASSERT_EQUAL(uh->dgram_cksum, 0);
		rte_pktmbuf_free_bulk(out, n);
	}
}

static void test_set_tp(void)
{
	struct rte_mbuf *in[2], *out[4];
	struct dp_action a[3] = {
		{ .type = DP_ACT_SET_TP_SRC }, { .type = DP_ACT_SET_TP_DST },
		{ .type = DP_ACT_OUTPUT, .port = (uint16_t)P[2] },
	};
	for (unsigned round = 0; round < 50; round++) {
		uint16_t sp = (uint16_t)t_rand(), dpt = (uint16_t)t_rand();
		a[0].port = htons(sp);
		a[1].port = htons(dpt);
		in[0] = pkt(IPPROTO_UDP, 64);
		in[1] = pkt(IPPROTO_TCP, 64);
		exec(a, 3, NULL, in, 2);
		unsigned n = rx(2, out, 4);
		CU_ASSERT_EQUAL_FATAL(n, 2);
		for (unsigned i = 0; i < 2; i++) {
			CU_ASSERT_EQUAL(ntohs(ports_of(out[i])[0]), sp);
			CU_ASSERT_EQUAL(ntohs(ports_of(out[i])[1]), dpt);
			CU_ASSERT(t_ipv4_csums_ok(out[i]));
		}
		rte_pktmbuf_free_bulk(out, n);
	}
}

static void test_dec_ttl_and_punt(void)
{
	struct rte_mbuf *in[4], *out[8];
	struct dp_action a[2] = {
		{ .type = DP_ACT_DEC_TTL },
		{ .type = DP_ACT_OUTPUT, .port = (uint16_t)P[1] },
	};
	uint64_t punts0 = PMD->st.punts[DP_PUNT_TTL];
	in[0] = pkt(IPPROTO_UDP, 64);
	in[1] = pkt(IPPROTO_UDP, 1);
	in[2] = pkt(IPPROTO_TCP, 2);
	in[3] = pkt(IPPROTO_UDP, 0);
	exec(a, 2, NULL, in, 4);
	unsigned n = rx(1, out, 8);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(ip_of(out[0])->time_to_live, 63);
	CU_ASSERT_EQUAL(ip_of(out[1])->time_to_live, 1);
	CU_ASSERT(t_ipv4_csums_ok(out[0]));
	CU_ASSERT(t_ipv4_csums_ok(out[1]));
	rte_pktmbuf_free_bulk(out, n);
	n = dp_punt_dequeue(DP, out, 8);
	CU_ASSERT_EQUAL(n, 2);
	for (unsigned i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(out[i]->hash.usr, DP_PUNT_TTL);
		CU_ASSERT_EQUAL(out[i]->port, P[0]);
		CU_ASSERT(ip_of(out[i])->time_to_live <= 1);
	}
	rte_pktmbuf_free_bulk(out, n);
	CU_ASSERT_EQUAL(PMD->st.punts[DP_PUNT_TTL] - punts0, 2);
}

static void test_vlan(void)
{
	struct rte_mbuf *in[1], *out[2];
	struct dp_action a[2] = {
		{ .type = DP_ACT_PUSH_VLAN, .port = DP_VLAN_PRESENT | 100 },
		{ .type = DP_ACT_OUTPUT, .port = (uint16_t)P[1] },
	};
	in[0] = pkt(IPPROTO_UDP, 64);
	uint16_t len0 = (uint16_t)in[0]->pkt_len;
	exec(a, 2, NULL, in, 1);
	CU_ASSERT_EQUAL_FATAL(rx(1, out, 2), 1);
	const uint8_t *d = rte_pktmbuf_mtod(out[0], const uint8_t *);
	CU_ASSERT_EQUAL(out[0]->pkt_len, len0 + 4u);
	CU_ASSERT_EQUAL(memcmp(d, MB, 6), 0);
	CU_ASSERT_EQUAL(memcmp(d + 6, MA, 6), 0);
	CU_ASSERT(d[12] == 0x81 && d[13] == 0x00);
	CU_ASSERT_EQUAL(((d[14] << 8) | d[15]) & 0xfff, 100);
	CU_ASSERT(d[16] == 0x08 && d[17] == 0x00);
	CU_ASSERT_EQUAL(d[18], 0x45);
	/* the tagged frame parses back and pops back to the original */
	out[0]->l2_len = 18;
	out[0]->l3_len = 20;
	struct dp_action b[3] = {
		{ .type = DP_ACT_POP_VLAN },
		{ .type = DP_ACT_SET_IPV4_SRC, .u32 = 0x01020304 },
		{ .type = DP_ACT_OUTPUT, .port = (uint16_t)P[2] },
	};
	exec(b, 3, NULL, out, 1);
	CU_ASSERT_EQUAL_FATAL(rx(2, out, 2), 1);
	d = rte_pktmbuf_mtod(out[0], const uint8_t *);
	CU_ASSERT_EQUAL(out[0]->pkt_len, len0);
	CU_ASSERT(d[12] == 0x08 && d[13] == 0x00);
	CU_ASSERT_EQUAL(memcmp(d, MB, 6), 0);
	CU_ASSERT(ip_of(out[0])->src_addr == 0x01020304);
	CU_ASSERT(t_ipv4_csums_ok(out[0]));
	rte_pktmbuf_free(out[0]);
	/* pop on an untagged frame: no-op */
	in[0] = pkt(IPPROTO_UDP, 64);
	struct dp_action c[2] = { { .type = DP_ACT_POP_VLAN },
				  { .type = DP_ACT_OUTPUT, .port = (uint16_t)P[1] } };
	exec(c, 2, NULL, in, 1);
	CU_ASSERT_EQUAL_FATAL(rx(1, out, 2), 1);
	CU_ASSERT_EQUAL(out[0]->pkt_len, len0);
	CU_ASSERT(t_ipv4_csums_ok(out[0]));
	rte_pktmbuf_free(out[0]);
}

static void test_output_clones_and_flood(void)
{
	unsigned avail = rte_mempool_avail_count(DP->mp);
	struct rte_mbuf *in[8], *o1[16], *o2[16];
	/* output + output: both ports, same bytes */
	struct dp_action a[2] = { { .type = DP_ACT_OUTPUT, .port = (uint16_t)P[1] },
				  { .type = DP_ACT_OUTPUT, .port = (uint16_t)P[2] } };
	for (unsigned i = 0; i < 8; i++)
		in[i] = pkt(IPPROTO_UDP, 64);
	exec(a, 2, NULL, in, 8);
	unsigned n1 = rx(1, o1, 16), n2 = rx(2, o2, 16);
	CU_ASSERT_EQUAL(n1, 8);
	CU_ASSERT_EQUAL(n2, 8);
	for (unsigned i = 0; i < n1 && i < n2; i++)
		CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(o1[i], void *), rte_pktmbuf_mtod(o2[i], void *),
				       o1[i]->data_len), 0);
	rte_pktmbuf_free_bulk(o1, n1);
	rte_pktmbuf_free_bulk(o2, n2);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(DP->mp), avail);

	/* output, then rewrite, then output: the first copy is not rewritten
	 * (tx is deferred to the flush, so it needs a real copy) */
	static const uint8_t NEWD[6] = { 0x02, 0xee, 0xee, 0xee, 0xee, 0xee };
	struct dp_action b[3] = { { .type = DP_ACT_OUTPUT, .port = (uint16_t)P[1] },
				  { .type = DP_ACT_SET_ETH_DST },
				  { .type = DP_ACT_OUTPUT, .port = (uint16_t)P[2] } };
	memcpy(b[1].data, NEWD, 6);
	for (unsigned i = 0; i < 4; i++)
		in[i] = pkt(IPPROTO_UDP, 64);
	exec(b, 3, NULL, in, 4);
	n1 = rx(1, o1, 16);
	n2 = rx(2, o2, 16);
	CU_ASSERT_EQUAL_FATAL(n1, 4);
	CU_ASSERT_EQUAL_FATAL(n2, 4);
	for (unsigned i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(o1[i], uint8_t *), MB, 6), 0);
		CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(o2[i], uint8_t *), NEWD, 6), 0);
	}
	rte_pktmbuf_free_bulk(o1, n1);
	rte_pktmbuf_free_bulk(o2, n2);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(DP->mp), avail);

	/* flood over a list (as a megaflow carries it), offset into the list */
	uint16_t fl[4] = { 99, (uint16_t)P[1], (uint16_t)P[2], 98 };
	struct dp_action c[1] = { { .type = DP_ACT_FLOOD, .u32 = 1, .port = 2 } };
	for (unsigned i = 0; i < 5; i++)
		in[i] = pkt(IPPROTO_TCP, 64);
	exec(c, 1, fl, in, 5);
	n1 = rx(1, o1, 16);
	n2 = rx(2, o2, 16);
	CU_ASSERT_EQUAL(n1, 5);
	CU_ASSERT_EQUAL(n2, 5);
	CU_ASSERT_EQUAL(rx(0, o1 + n1, 1), 0);
	rte_pktmbuf_free_bulk(o1, n1);
	rte_pktmbuf_free_bulk(o2, n2);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(DP->mp), avail);

	/* flood then punt (trace copy) */
	struct dp_action d[2] = { { .type = DP_ACT_FLOOD, .u32 = 1, .port = 2 },
				  { .type = DP_ACT_PUNT, .u32 = DP_PUNT_TRACE } };
	in[0] = pkt(IPPROTO_UDP, 64);
	PMD->punt_tb[P[0]].last_tsc = 0; /* full bucket */
	exec(d, 2, fl, in, 1);
	CU_ASSERT_EQUAL(rx(1, o1, 4), 1);
	CU_ASSERT_EQUAL(rx(2, o2, 4), 1);
	rte_pktmbuf_free(o1[0]);
	rte_pktmbuf_free(o2[0]);
	CU_ASSERT_EQUAL(dp_punt_dequeue(DP, o1, 4), 1);
	rte_pktmbuf_free(o1[0]);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(DP->mp), avail);
}

static void test_drop_and_port_gone(void)
{
	unsigned avail = rte_mempool_avail_count(DP->mp);
	struct rte_mbuf *in[8];
	struct dp_pmd_stats s0 = PMD->st;
	struct dp_action a[1] = { { .type = DP_ACT_DROP, .u32 = DP_DROP_PSEC_MAC } };
	for (unsigned i = 0; i < 6; i++)
		in[i] = pkt(IPPROTO_UDP, 64);
	exec(a, 1, NULL, in, 6);
	CU_ASSERT_EQUAL(PMD->st.drops[DP_DROP_PSEC_MAC] - s0.drops[DP_DROP_PSEC_MAC], 6);
	/* empty list and rewrite-only list: policy drop */
	struct dp_action r[1] = { { .type = DP_ACT_SET_TP_SRC, .port = 5 } };
	in[0] = pkt(IPPROTO_UDP, 64);
	exec(NULL, 0, NULL, in, 1);
	in[0] = pkt(IPPROTO_UDP, 64);
	exec(r, 1, NULL, in, 1);
	CU_ASSERT_EQUAL(PMD->st.drops[DP_DROP_POLICY] - s0.drops[DP_DROP_POLICY], 2);
	/* output to a port that is not there */
	struct dp_action o[1] = { { .type = DP_ACT_OUTPUT, .port = 40 } };
	in[0] = pkt(IPPROTO_UDP, 64);
	in[1] = pkt(IPPROTO_UDP, 64);
	exec(o, 1, NULL, in, 2);
	CU_ASSERT_EQUAL(PMD->st.drops[DP_DROP_PORT_GONE] - s0.drops[DP_DROP_PORT_GONE], 2);
	/* a reason out of range is counted as policy, not out of bounds */
	struct dp_action x[1] = { { .type = DP_ACT_DROP, .u32 = 1000 } };
	in[0] = pkt(IPPROTO_UDP, 64);
	exec(x, 1, NULL, in, 1);
	CU_ASSERT_EQUAL(PMD->st.drops[DP_DROP_POLICY] - s0.drops[DP_DROP_POLICY], 3);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(DP->mp), avail);
}

static void test_punt_rate(void)
{
	unsigned avail = rte_mempool_avail_count(DP->mp);
	struct rte_mbuf *in[10], *out[16];
	struct dp_pmd_stats s0 = PMD->st;
	drain_all();
	PMD->punt_tb[P[0]].last_tsc = 0; /* start with a full bucket (punt_burst 3) */
	struct dp_action a[1] = { { .type = DP_ACT_PUNT, .u32 = DP_PUNT_DHCP,
				    .port = (uint16_t)P[0] } };
	for (unsigned i = 0; i < 10; i++)
		in[i] = pkt(IPPROTO_UDP, 64);
	exec(a, 1, NULL, in, 10);
	CU_ASSERT_EQUAL(PMD->st.punts[DP_PUNT_DHCP] - s0.punts[DP_PUNT_DHCP], 3);
	CU_ASSERT_EQUAL(PMD->st.drops[DP_DROP_PUNT_RATE] - s0.drops[DP_DROP_PUNT_RATE], 7);
	unsigned n = dp_punt_dequeue(DP, out, 16);
	CU_ASSERT_EQUAL(n, 3);
	for (unsigned i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(out[i]->hash.usr, DP_PUNT_DHCP);
		CU_ASSERT_EQUAL(out[i]->port, P[0]);
	}
	rte_pktmbuf_free_bulk(out, n);
	/* another port has its own bucket */
	for (unsigned i = 0; i < 2; i++) {
		in[i] = pkt(IPPROTO_UDP, 64);
		in[i]->port = (uint16_t)P[1];
	}
	PMD->punt_tb[P[1]].last_tsc = 0;
	dp_actions_execute(PMD, a, 1, NULL, in, 2);
	CU_ASSERT_EQUAL(PMD->st.punts[DP_PUNT_DHCP] - s0.punts[DP_PUNT_DHCP], 5);
	n = dp_punt_dequeue(DP, out, 16);
	CU_ASSERT_EQUAL(n, 2);
	rte_pktmbuf_free_bulk(out, n);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(DP->mp), avail);
}

static void test_format(void)
{
	char buf[256];
	uint16_t fl[3] = { 7, 3, 5 };
	struct dp_action a[12] = {
		{ .type = DP_ACT_OUTPUT, .port = 3 },
		{ .type = DP_ACT_FLOOD, .u32 = 1, .port = 2 },
		{ .type = DP_ACT_DROP, .u32 = DP_DROP_PSEC_MAC },
		{ .type = DP_ACT_PUNT, .u32 = DP_PUNT_TTL },
		{ .type = DP_ACT_SET_ETH_SRC, .data = { 0x02, 0, 0, 0, 0, 0xab } },
		{ .type = DP_ACT_SET_ETH_DST, .data = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
		{ .type = DP_ACT_SET_IPV4_SRC },
		{ .type = DP_ACT_SET_TP_DST, .port = htons(8080) },
		{ .type = DP_ACT_DEC_TTL },
		{ .type = DP_ACT_PUSH_VLAN, .port = DP_VLAN_PRESENT | 42 },
		{ .type = DP_ACT_POP_VLAN },
		{ .type = 999 },
	};
	memcpy(&a[6].u32, (uint8_t[4]){ 10, 1, 2, 3 }, 4);
	int n = dp_actions_format(buf, sizeof(buf), a, 12, fl);
	CU_ASSERT_STRING_EQUAL(buf, "output:3,flood:[3 5],drop:psec-mac,punt:ttl,"
			       "set_eth_src:02:00:00:00:00:ab,set_eth_dst:ff:ff:ff:ff:ff:ff,"
			       "set_ipv4_src:10.1.2.3,set_tp_dst:8080,dec_ttl,push_vlan:42,"
			       "pop_vlan,unknown");
	CU_ASSERT_EQUAL(n, (int)strlen(buf));
	/* truncation follows snprintf: full length returned, buffer terminated */
	char small[10];
	memset(small, 'Z', sizeof(small));
	int m = dp_actions_format(small, 8, a, 12, fl);
	CU_ASSERT_EQUAL(m, n);
	CU_ASSERT_EQUAL(strlen(small), 7);
	CU_ASSERT_EQUAL(small[8], 'Z');
	CU_ASSERT_EQUAL(dp_actions_format(buf, sizeof(buf), a, 0, fl), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_STRING_EQUAL(dp_action_name(DP_ACT_OUTPUT), "output");
	CU_ASSERT_STRING_EQUAL(dp_action_name(0), "unknown");
	CU_ASSERT_STRING_EQUAL(dp_punt_name(DP_PUNT_DHCP), "dhcp");
	CU_ASSERT_STRING_EQUAL(dp_punt_name(77), "unknown");
}

int main(int argc, char **argv)
{
	CU_pSuite s;
	(void)argc;
	if (t_eal_init(argv[0], "actions_test", "-l", "0,1", "--vdev=net_ring0",
		       "--vdev=net_ring1", "--vdev=net_ring2", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("checksums", NULL, NULL);
	CU_add_test(s, "incremental vs full recompute", test_csum_update);
	CU_add_test(s, "dp_actions_format", test_format);
	s = CU_add_suite("executor", dp_init, dp_fini);
	CU_add_test(s, "set_eth_src/dst", test_set_eth);
	CU_add_test(s, "set_ipv4_src/dst checksums", test_set_ipv4);
	CU_add_test(s, "set_tp_src/dst checksums", test_set_tp);
	CU_add_test(s, "dec_ttl and ttl punt", test_dec_ttl_and_punt);
	CU_add_test(s, "push/pop vlan", test_vlan);
	CU_add_test(s, "output clones, flood, no leaks", test_output_clones_and_flood);
	CU_add_test(s, "drop counters, port gone", test_drop_and_port_gone);
	CU_add_test(s, "punt rate limit", test_punt_rate);
	return t_run_all();
}
