/* SPDX-License-Identifier: BSD-3-Clause
 * dp/pmd_test.c — the PMD's burst path end to end with net_ring ports,
 * driven by hand (dp_pmd_process + dp_pmd_flush_tx, no PMD thread):
 * EMC/megaflow counters, grouping of a burst by megaflow, drops per reason,
 * the ARP responder answering out of the input port, re-translation
 * after a table change, ct(nat) and the TTL check before SNAT.
 *
 * Run: ./build/dp/dp_pmd_test   (EAL: -l 0,1 --vdev=net_ring0..2)
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "test_util.h"
#include "parse.h"
#include "translate.h"
#include "ct.h"
#include "emc.h"
#include "mfc.h"
#include "dp_priv.h"

/* ---- end to end: ring ports, PMD driven by hand --------------------------------------------- */

static struct dp *DP;
static int P0, P1, P2;
static uint16_t ETH[3];
static struct dp_lport_cfg EA, EB, EC;

static int e2e_init(void)
{
	struct dp_config cfg;
	dp_config_defaults(&cfg);
	cfg.n_pmds = 1;
	cfg.pmd_lcores[0] = 1;
	cfg.idle_sleep_max_us = 0;
	cfg.emc_insert_inv_prob = 1;
	cfg.n_mbufs = 4096;
	DP = dp_create(&cfg);
	if (DP == NULL) {
		fprintf(stderr, "dp_create: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	P0 = dp_port_add(DP, "p0", "net_ring0", NULL);
	P1 = dp_port_add(DP, "p1", "net_ring1", NULL);
	P2 = dp_port_add(DP, "p2", "net_ring2", NULL);
	if (P0 < 0 || P1 < 0 || P2 < 0) {
		fprintf(stderr, "dp_port_add: %d %d %d\n", P0, P1, P2);
		return -1;
	}
	ETH[0] = DP->ports[P0].ethdev;
	ETH[1] = DP->ports[P1].ethdev;
	ETH[2] = DP->ports[P2].ethdev;
	struct dp_network_cfg n1 = t_net(1);
	EA = t_lport(1, 1, (uint16_t)P0);
	EB = t_lport(2, 1, (uint16_t)P1);
	EC = t_lport(3, 1, (uint16_t)P2);
	if (dp_table_network_put(dp_tables(DP), &n1) || dp_table_lport_put(dp_tables(DP), &EA) ||
	    dp_table_lport_put(dp_tables(DP), &EB) || dp_table_lport_put(dp_tables(DP), &EC))
		return -1;
	return 0;
}

static int e2e_clean(void)
{
	dp_destroy(DP);
	return 0;
}

/* Drain what a ring port transmitted; returns the count, frees the mbufs
 * (optionally copies their UDP source ports into sports). */
static unsigned drain(unsigned port_idx, uint16_t *sports)
{
	struct rte_mbuf *m[64];
	unsigned total = 0;
	uint16_t n;
	while ((n = rte_eth_rx_burst(ETH[port_idx], 0, m, RTE_DIM(m))) > 0) {
		for (uint16_t i = 0; i < n; i++) {
			if (sports) {
				const struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(
					m[i], const struct rte_udp_hdr *, 14 + 20);
				sports[total + i] = ntohs(uh->src_port);
			}
			rte_pktmbuf_free(m[i]);
		}
		total += n;
	}
	return total;
}

static void run(uint16_t in_port, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_pmd *pmd = DP->pmds[0];
	dp_pmd_apply_invalidations(pmd);
	dp_pmd_process(pmd, in_port, pkts, n);
	dp_pmd_flush_tx(pmd);
}

static struct rte_mbuf *udp(const struct dp_lport_cfg *s, const struct dp_lport_cfg *d,
			    uint16_t sport)
{
	struct rte_mbuf *m = t_pkt_ipv4(dp_mempool(DP), s->macs[0].addr_bytes,
					d->macs[0].addr_bytes, s->ips[0].addr, d->ips[0].addr,
					IPPROTO_UDP, sport, 53, 64, 18);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

/* n packets A -> B (n <= DP_BURST), UDP source ports sport0 .. sport0 + n - 1
 * (every period-th one repeats: sport0 + i % period), run from port P0. */
static void ab_burst(unsigned n, unsigned sport0, unsigned period)
{
	struct rte_mbuf *pkts[DP_BURST];
	for (unsigned i = 0; i < n; i++)
		pkts[i] = udp(&EA, &EB, (uint16_t)(sport0 + i % period));
	run((uint16_t)P0, pkts, (uint16_t)n);
}

static void test_e2e(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct rte_mempool *mp = dp_mempool(DP);
	struct rte_mbuf *pkts[DP_BURST];
	uint16_t sports[256];
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct dp_pmd_stats st0 = pmd->st;

	/* burst 1: 8 packets A->B, different L4 ports: one megaflow */
	ab_burst(8, 1000, 8);
	CU_ASSERT_EQUAL(drain(1, sports), 8);
	for (unsigned i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(sports[i], 1000 + i); /* order kept */
	CU_ASSERT_EQUAL(drain(0, NULL), 0);
	CU_ASSERT_EQUAL(drain(2, NULL), 0);
	CU_ASSERT_EQUAL(pmd->st.misses - st0.misses, 1);
	CU_ASSERT_EQUAL(pmd->st.mfc_hits - st0.mfc_hits, 7);
	CU_ASSERT_EQUAL(pmd->st.emc_hits - st0.emc_hits, 0);
	CU_ASSERT_EQUAL(pmd->st.tx_packets - st0.tx_packets, 8);
	CU_ASSERT_EQUAL(dp_mfc_count(pmd->mfc), 1);

	/* burst 2: the same 8 flows: EMC hits */
	ab_burst(8, 1000, 8);
	CU_ASSERT_EQUAL(drain(1, NULL), 8);
	CU_ASSERT_EQUAL(pmd->st.emc_hits - st0.emc_hits, 8);
	CU_ASSERT_EQUAL(pmd->st.misses - st0.misses, 1);

	/* burst 3: new L4 ports for the same megaflow: megaflow hits, no miss */
	ab_burst(8, 2000, 8);
	CU_ASSERT_EQUAL(drain(1, NULL), 8);
	CU_ASSERT_EQUAL(pmd->st.mfc_hits - st0.mfc_hits, 15);
	CU_ASSERT_EQUAL(pmd->st.misses - st0.misses, 1);
	struct dp_megaflow mf[8];
	int nmf = dp_pmd_dump_megaflows(DP, 0, mf, 8);
	CU_ASSERT_EQUAL(nmf, 1);
	if (nmf == 1) {
		CU_ASSERT_EQUAL(mf[0].hits, 24);
		CU_ASSERT_EQUAL(mf[0].actions[0].type, DP_ACT_OUTPUT);
		CU_ASSERT_EQUAL(mf[0].actions[0].port, P1);
	}

	/* burst 4: interleaved A->B, A->C, spoofed, broadcast ARP, truncated */
	struct dp_pmd_stats s1 = pmd->st;
	unsigned n = 0;
	for (unsigned i = 0; i < 6; i++) {
		pkts[n++] = udp(&EA, &EB, (uint16_t)(3000 + i));
		pkts[n++] = udp(&EA, &EC, (uint16_t)(4000 + i));
	}
	for (unsigned i = 0; i < 3; i++) { /* spoofed source IP */
		struct dp_lport_cfg spoof = EA;
		spoof.ips[0].addr[3] = 99;
		pkts[n++] = udp(&spoof, &EB, 5000);
	}
	pkts[n++] = t_pkt_arp(mp, EA.macs[0].addr_bytes, EA.macs[0].addr_bytes,
			      EA.ips[0].addr, EB.ips[0].addr);
	struct rte_mbuf *tr = rte_pktmbuf_alloc(mp);
	memset(rte_pktmbuf_append(tr, 10), 0xab, 10);
	pkts[n++] = tr;
	run((uint16_t)P0, pkts, (uint16_t)n);
	CU_ASSERT_EQUAL(drain(1, sports), 6);
	for (unsigned i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(sports[i], 3000 + i);
	CU_ASSERT_EQUAL(drain(2, sports), 6);
	for (unsigned i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(sports[i], 4000 + i);
	/* the ARP request for B's known address is answered by the datapath's
	 * responder back out of A's port, never flooded */
	CU_ASSERT_EQUAL(drain(0, NULL), 1);
	CU_ASSERT_EQUAL(pmd->st.drops[DP_DROP_PSEC_IP] - s1.drops[DP_DROP_PSEC_IP], 3);
	CU_ASSERT_EQUAL(pmd->st.drops[DP_DROP_TRUNC_ETH] - s1.drops[DP_DROP_TRUNC_ETH], 1);
	CU_ASSERT_EQUAL(pmd->st.misses - s1.misses, 3); /* A->C, spoof, ARP */
	CU_ASSERT_EQUAL(pmd->st.tx_packets - s1.tx_packets, 13);
	CU_ASSERT_EQUAL(dp_mfc_count(pmd->mfc), 4);
	nmf = dp_pmd_dump_megaflows(DP, 0, mf, 8);
	CU_ASSERT_EQUAL(nmf, 4);

	/* delete B: its megaflow goes; A->B re-translates (now unknown: flood to C) */
	struct dp_pmd_stats s2 = pmd->st;
	CU_ASSERT_EQUAL(dp_table_lport_del(dp_tables(DP), EB.key), 0);
	ab_burst(4, 1000, 4); /* were EMC entries */
	CU_ASSERT(pmd->st.invalidations > s2.invalidations);
	CU_ASSERT_EQUAL(pmd->st.misses - s2.misses, 1);
	CU_ASSERT_EQUAL(pmd->st.emc_hits - s2.emc_hits, 0);
	CU_ASSERT_EQUAL(drain(1, NULL), 0);
	CU_ASSERT_EQUAL(drain(2, NULL), 4);
	/* re-add B: the flood megaflow (FDB tag) goes, unicast again */
	CU_ASSERT_EQUAL(dp_table_lport_put(dp_tables(DP), &EB), 0);
	ab_burst(4, 1000, 4);
	CU_ASSERT_EQUAL(pmd->st.misses - s2.misses, 2);
	CU_ASSERT_EQUAL(drain(1, NULL), 4);
	CU_ASSERT_EQUAL(drain(2, NULL), 0);

	/* stats API agrees with the raw counters */
	struct dp_pmd_stats ps;
	CU_ASSERT_EQUAL(dp_pmd_stats(DP, 0, &ps), 0);
	CU_ASSERT_EQUAL(ps.misses, pmd->st.misses - DP->base[0].misses);
	CU_ASSERT_EQUAL(ps.megaflows, dp_mfc_count(pmd->mfc));

	/* flush: everything misses again */
	dp_flush_caches(DP);
	struct dp_pmd_stats s3 = pmd->st;
	pkts[0] = udp(&EA, &EB, 1000);
	run((uint16_t)P0, pkts, 1);
	CU_ASSERT_EQUAL(pmd->st.flushes - s3.flushes, 1);
	CU_ASSERT_EQUAL(pmd->st.misses - s3.misses, 1);
	CU_ASSERT_EQUAL(drain(1, NULL), 1);

	/* nothing leaked */
	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), avail0);
}

/* ct(commit,nat(src=...)) in a megaflow: run_ct decodes the DP_ACT_CT_NAT
 * after the ct(), conntrack rewrites the packet, the rest of the list
 * outputs it; the reply through ct(nat) comes back de-NATed. */
static struct dp_megaflow *put_flow(uint16_t in_port, const struct dp_action *acts, unsigned n)
{
	struct dp_megaflow_spec spec;

	memset(&spec, 0, sizeof(spec));
	spec.key.in_port = in_port;
	spec.mask.in_port = UINT16_MAX;
	spec.mask.recirc_id = UINT32_MAX;
	spec.mask.eth_type = UINT16_MAX;
	spec.key.eth_type = htons(RTE_ETHER_TYPE_IPV4);
	memcpy(spec.actions, acts, n * sizeof(*acts));
	spec.n_actions = (uint16_t)n;
	return dp_mfc_insert(DP->pmds[0]->mfc, &spec);
}

/* The ingress port's first-pass hint: with the EMC out of the way, the
 * keys of a port that match the megaflow the classifier last answered for
 * it skip the classifier; another megaflow's keys do not; a dead megaflow
 * is never a hint. */
static void test_port_hint(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_pmd_stats s0;

	dp_emc_set_insert_inv_prob(pmd->emc, 0);
	dp_emc_clear(pmd->emc);
	ab_burst(16, 40000, 16); /* the classifier answers (or a miss) */
	CU_ASSERT_EQUAL(drain(1, NULL), 16);
	s0 = pmd->st;
	ab_burst(16, 41000, 16);
	CU_ASSERT_EQUAL(drain(1, NULL), 16);
	CU_ASSERT_EQUAL(pmd->st.port_hint_hits - s0.port_hint_hits, 16);
	CU_ASSERT_EQUAL(pmd->st.mfc_hits - s0.mfc_hits, 16);
	CU_ASSERT_EQUAL(pmd->st.emc_hits - s0.emc_hits, 0);
	/* A->B and A->C in one burst: only A->B's keys match the hint */
	s0 = pmd->st;
	for (unsigned i = 0; i < 16; i++)
		pkts[i] = udp(&EA, (i & 1) ? &EC : &EB, (uint16_t)(42000 + i));
	run((uint16_t)P0, pkts, 16);
	CU_ASSERT_EQUAL(drain(1, NULL), 8);
	CU_ASSERT_EQUAL(drain(2, NULL), 8);
	CU_ASSERT_EQUAL(pmd->st.port_hint_hits - s0.port_hint_hits, 8);
	/* B goes: its megaflow dies and is no one's hint; A->B floods to C */
	CU_ASSERT_EQUAL(dp_table_lport_del(dp_tables(DP), EB.key), 0);
	ab_burst(16, 43000, 16);
	CU_ASSERT_EQUAL(drain(1, NULL), 0);
	CU_ASSERT_EQUAL(drain(2, NULL), 16);
	CU_ASSERT_EQUAL(dp_table_lport_put(dp_tables(DP), &EB), 0);
	ab_burst(16, 44000, 16);
	CU_ASSERT_EQUAL(drain(1, NULL), 16);
	CU_ASSERT_EQUAL(drain(2, NULL), 0);
	dp_emc_set_insert_inv_prob(pmd->emc, DP->cfg.emc_insert_inv_prob);
}

/* More live flows than the EMC holds: after a window of misses the PMD
 * stops probing it (but for one burst in DP_EMC_SAMPLE) and every packet is
 * still forwarded by the classifier; a few flows again bring it back. */
static void test_emc_bypass(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct dp_pmd_stats st0 = pmd->st;
	unsigned sent = 0, got = 0, b;

	dp_emc_set_min_hit_pct(pmd->emc, 50);
	dp_emc_clear(pmd->emc);
	/* 2 x DP_EMC_WINDOW distinct flows, each seen once: every probe misses */
	for (b = 0; b < 2 * DP_EMC_WINDOW / DP_BURST; b++) {
		ab_burst(DP_BURST, b * DP_BURST, DP_BURST);
		sent += DP_BURST;
		got += drain(1, NULL);
	}
	CU_ASSERT_EQUAL(got, sent);
	CU_ASSERT(dp_emc_bypassed(pmd->emc));
	/* the second window ran bypassed but for its sampled bursts */
	CU_ASSERT(pmd->st.emc_bypassed - st0.emc_bypassed >=
		  DP_EMC_WINDOW - DP_EMC_WINDOW / DP_EMC_SAMPLE - DP_BURST);
	CU_ASSERT(pmd->st.emc_bypassed - st0.emc_bypassed <= DP_EMC_WINDOW);
	CU_ASSERT_EQUAL(pmd->st.emc_hits - st0.emc_hits, 0);
	CU_ASSERT_EQUAL(pmd->st.tx_packets - st0.tx_packets, sent);

	/* 8 flows, over and over: the sampled bursts hit, the bypass ends */
	struct dp_pmd_stats st1 = pmd->st;
	for (b = 0; b < 4 * DP_EMC_SAMPLE * DP_EMC_WINDOW / DP_BURST && dp_emc_bypassed(pmd->emc);
	     b++) {
		ab_burst(DP_BURST, 20000, 8);
		CU_ASSERT_EQUAL(drain(1, NULL), DP_BURST);
	}
	CU_ASSERT(!dp_emc_bypassed(pmd->emc));
	CU_ASSERT(pmd->st.emc_hits - st1.emc_hits > 0);
	/* from now on every burst probes it, and hits */
	struct dp_pmd_stats st2 = pmd->st;
	ab_burst(DP_BURST, 20000, 8);
	CU_ASSERT_EQUAL(drain(1, NULL), DP_BURST);
	CU_ASSERT_EQUAL(pmd->st.emc_hits - st2.emc_hits, DP_BURST);
	CU_ASSERT_EQUAL(pmd->st.emc_bypassed - st2.emc_bypassed, 0);

	/* 0: never bypassed, whatever the hit rate */
	dp_emc_set_min_hit_pct(pmd->emc, 0);
	for (b = 0; b < 2 * DP_EMC_WINDOW / DP_BURST; b++) {
		ab_burst(DP_BURST, 30000 + b * DP_BURST, DP_BURST);
		drain(1, NULL);
	}
	CU_ASSERT(!dp_emc_bypassed(pmd->emc));
	dp_emc_set_min_hit_pct(pmd->emc, DP->cfg.emc_min_hit_pct);
}

static void test_ct_nat(void)
{
	const uint32_t ext = htonl(0xcb00710a); /* 203.0.113.10 */
	struct dp_action out[3], back[3];
	struct rte_mbuf *m, *got[4];
	uint16_t n;

	memset(out, 0, sizeof(out));
	out[0].type = DP_ACT_CT;
	out[0].port = 9;
	out[0].data[0] = DP_CT_F_COMMIT | DP_CT_F_NAT;
	dp_act_ct_nat_set(&out[1], DP_CT_NAT_SRC, ext, ext, 1024, 65535);
	out[2].type = DP_ACT_OUTPUT;
	out[2].port = (uint16_t)P2;
	memcpy(back, out, sizeof(back));
	back[0].data[0] = DP_CT_F_NAT;                  /* ct(zone=9,nat) */
	dp_act_ct_nat_set(&back[1], 0, 0, 0, 0, 0);
	back[2].port = (uint16_t)P0;
	/* only these two megaflows: test_e2e's would match the packets too */
	dp_mfc_flush(DP->pmds[0]->mfc);
	dp_emc_clear(DP->pmds[0]->emc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(put_flow((uint16_t)P0, out, 3));
	CU_ASSERT_PTR_NOT_NULL_FATAL(put_flow((uint16_t)P2, back, 3));
	drain(0, NULL);
	drain(2, NULL);

	m = udp(&EA, &EB, 4242);
	run((uint16_t)P0, &m, 1);
	n = rte_eth_rx_burst(ETH[2], 0, got, 4);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(got[0], struct rte_ipv4_hdr *, 14);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	CU_ASSERT_EQUAL(ip->src_addr, ext);
	CU_ASSERT_EQUAL(ntohs(uh->src_port), 4242);
	uint16_t ck = ip->hdr_checksum;
	ip->hdr_checksum = 0;
	CU_ASSERT_EQUAL(rte_ipv4_cksum(ip), ck);
	/* the reply: to 203.0.113.10:4242, in on p2, out on p0 to EA */
	uint32_t peer = ip->dst_addr;
	rte_pktmbuf_free(got[0]);
	m = t_pkt_ipv4(dp_mempool(DP), EB.macs[0].addr_bytes, EA.macs[0].addr_bytes,
		       (const uint8_t *)&peer, (const uint8_t *)&ext, IPPROTO_UDP, 53, 4242, 64, 18);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	run((uint16_t)P2, &m, 1);
	n = rte_eth_rx_burst(ETH[0], 0, got, 4);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	ip = rte_pktmbuf_mtod_offset(got[0], struct rte_ipv4_hdr *, 14);
	CU_ASSERT_EQUAL(memcmp(&ip->dst_addr, EA.ips[0].addr, 4), 0);
	ck = ip->hdr_checksum;
	ip->hdr_checksum = 0;
	CU_ASSERT_EQUAL(rte_ipv4_cksum(ip), ck);
	rte_pktmbuf_free(got[0]);
	struct dp_ct_stats st;
	dp_ct_stats_get(DP->ct, &st);
	CU_ASSERT_EQUAL(st.nat_conns, 1);
	CU_ASSERT_EQUAL(st.nat_rewritten, 2);
}

/* ct(commit,nat(src=...)) with DP_CT_F_TTL (the router's SNAT toward an
 * external network): in one burst, a packet with TTL 1 is punted as it is
 * (DP_PUNT_TTL, source untranslated, no connection), one with TTL 64 is
 * translated and output. */
static void test_ct_nat_ttl(void)
{
	const uint32_t ext = htonl(0xcb00710b); /* 203.0.113.11 */
	struct dp_action out[3];
	struct rte_mbuf *m[2], *got[4], *p = NULL;
	struct dp_ct_stats st0, st1;

	memset(out, 0, sizeof(out));
	out[0].type = DP_ACT_CT;
	out[0].port = 10;
	out[0].data[0] = DP_CT_F_COMMIT | DP_CT_F_NAT | DP_CT_F_TTL;
	dp_act_ct_nat_set(&out[1], DP_CT_NAT_SRC, ext, ext, 1024, 65535);
	out[2].type = DP_ACT_OUTPUT;
	out[2].port = (uint16_t)P2;
	dp_mfc_flush(DP->pmds[0]->mfc);
	dp_emc_clear(DP->pmds[0]->emc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(put_flow((uint16_t)P0, out, 3));
	drain(2, NULL);
	while (rte_ring_dequeue(DP->punt_ring, (void **)&p) == 0)
		rte_pktmbuf_free(p);
	dp_ct_stats_get(DP->ct, &st0);

	m[0] = t_pkt_ipv4(dp_mempool(DP), EA.macs[0].addr_bytes, EB.macs[0].addr_bytes,
			  EA.ips[0].addr, EB.ips[0].addr, IPPROTO_UDP, 33434, 33434, 1, 18);
	m[1] = udp(&EA, &EB, 4343);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m[0]);
	run((uint16_t)P0, m, 2);
	/* the TTL 64 one: translated, out on p2 */
	uint16_t n = rte_eth_rx_burst(ETH[2], 0, got, 4);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(got[0], struct rte_ipv4_hdr *, 14);
	CU_ASSERT_EQUAL(ip->src_addr, ext);
	CU_ASSERT_EQUAL(ip->time_to_live, 64);
	rte_pktmbuf_free(got[0]);
	/* the TTL 1 one: punted for time exceeded, untouched */
	CU_ASSERT_EQUAL_FATAL(rte_ring_dequeue(DP->punt_ring, (void **)&p), 0);
	CU_ASSERT_EQUAL(p->hash.usr, DP_PUNT_TTL);
	ip = rte_pktmbuf_mtod_offset(p, struct rte_ipv4_hdr *, 14);
	CU_ASSERT_EQUAL(memcmp(&ip->src_addr, EA.ips[0].addr, 4), 0);
	CU_ASSERT_EQUAL(ip->time_to_live, 1);
	rte_pktmbuf_free(p);
	CU_ASSERT_NOT_EQUAL(rte_ring_dequeue(DP->punt_ring, (void **)&p), 0);
	/* one connection translated, not two */
	dp_ct_stats_get(DP->ct, &st1);
	CU_ASSERT_EQUAL(st1.nat_conns - st0.nat_conns, 1);
	CU_ASSERT_EQUAL(st1.nat_rewritten - st0.nat_rewritten, 1);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "pmd_test", "-l", "0,1", "--vdev=net_ring0", "--vdev=net_ring1",
		       "--vdev=net_ring2", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("pmd end to end", e2e_init, e2e_clean);
	CU_add_test(s, "ring ports: counters, grouping, drops, invalidation", test_e2e);
	CU_add_test(s, "EMC bypassed while its hit rate is low, and back", test_emc_bypass);
	CU_add_test(s, "the ingress port's first-pass megaflow hint", test_port_hint);
	CU_add_test(s, "ct(commit,nat(src=...)) and ct(nat) through the PMD", test_ct_nat);
	CU_add_test(s, "SNAT ct() with the TTL check: expiring packets punted untranslated",
		    test_ct_nat_ttl);
	return t_run_all();
}
