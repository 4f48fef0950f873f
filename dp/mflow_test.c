/* SPDX-License-Identifier: BSD-3-Clause
 * dp/mflow_test.c — the megaflow lifecycle: tag-index invalidation against a
 * brute-force reference at 64k megaflows, incremental idle aging, LRU
 * eviction under a flood, per-port quota end to end (over-quota packets
 * still forwarded), the flush generation, dp_port_del of the uplink, the
 * PMD's bounded invalidation step (tags read and megaflows reaped per loop
 * iteration), the dump buffer after a timeout and dp_start with a bad lcore.
 * Two-step removal in detail: mflow_reap_test.c.
 *
 * Run: ./build/dp/dp_mflow_test   (EAL: -l 0,1 --vdev=net_ring0..3)
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "test_util.h"
#include "parse.h"
#include "translate.h"
#include "tables_ovl.h"
#include "dp_priv.h"

static unsigned name_seq;

static struct dp_mfc *mk_mfc(uint32_t flows, uint32_t st)
{
	char name[16];
	snprintf(name, sizeof(name), "mlt%u", name_seq++);
	struct dp_mfc *c = dp_mfc_create(name, flows, st, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

static void spec_for(struct dp_megaflow_spec *s, uint32_t i, uint16_t port, unsigned mask_kind)
{
	memset(s, 0, sizeof(*s));
	s->key.recirc_id = i;
	s->key.in_port = port;
	s->key.eth_type = htons(0x0800);
	DP_MARK(&s->mask, recirc_id);
	DP_MARK(&s->mask, in_port);
	if (mask_kind & 1)
		DP_MARK(&s->mask, eth_type);
	if (mask_kind & 2)
		DP_MARK(&s->mask, nd_ll); /* word 15, shared with the subtable id */
	s->n_actions = 1;
	s->actions[0].type = DP_ACT_OUTPUT;
	s->actions[0].port = 1;
}

/* ---- tag index -------------------------------------------------------------------------- */

#define NFLOWS 65536u
#define NTAGS  1000u

static uint64_t ref_tags[NFLOWS][6];
static uint8_t ref_ntags[NFLOWS];

static uint64_t pick_tag(void)
{
	switch (t_randn(8)) {
	case 0: return DP_TAG(DP_TAG_LPORT, t_randn(600));          /* ~110 flows */
	case 1: return DP_TAG(DP_TAG_NETWORK, 1000 + t_randn(40));  /* some absent */
	default: return DP_TAG(DP_TAG_FDB, t_randn(NFLOWS + 4096)); /* 0..2 flows */
	}
}

static void test_tag_index_vs_bruteforce(void)
{
	struct dp_mfc *c = mk_mfc(NFLOWS, 8);
	struct dp_megaflow_spec s;
	static struct dp_megaflow *f[NFLOWS];
	static uint64_t id[NFLOWS];
	static uint8_t expect_gone[NFLOWS];
	uint64_t tags[NTAGS];

	for (uint32_t i = 0; i < NFLOWS; i++) {
		spec_for(&s, i, (uint16_t)(i % 8), i % 4);
		unsigned n = 0;
		ref_tags[i][n++] = DP_TAG(DP_TAG_DPPORT, i % 8);
		ref_tags[i][n++] = DP_TAG(DP_TAG_LPORT, i % 512);
		ref_tags[i][n++] = DP_TAG(DP_TAG_FDB, t_randn(NFLOWS));
		if (i % 5 == 0)
			ref_tags[i][n++] = DP_TAG(DP_TAG_NETWORK, 1000 + i % 37);
		if (i % 7 == 0) /* the same tag twice: linked once, removed once */
			ref_tags[i][n++] = DP_TAG(DP_TAG_LPORT, i % 512);
		ref_ntags[i] = (uint8_t)n;
		memcpy(s.tags, ref_tags[i], n * sizeof(uint64_t));
		s.n_tags = (uint16_t)n;
		f[i] = dp_mfc_insert(c, &s);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f[i]);
		id[i] = f[i]->id;
	}
	CU_ASSERT_EQUAL(dp_mfc_count(c), NFLOWS);
	CU_ASSERT_EQUAL(dp_mfc_counters(c)->evicted, 0);

	for (unsigned round = 0; round < 3; round++) {
		unsigned expect = 0;
		for (unsigned j = 0; j < NTAGS; j++)
			tags[j] = pick_tag();
		for (uint32_t i = 0; i < NFLOWS; i++) {
			expect_gone[i] = 0;
			if (id[i] == UINT64_MAX) /* gone in an earlier round */
				continue;
			for (unsigned t = 0; t < ref_ntags[i] && !expect_gone[i]; t++)
				for (unsigned j = 0; j < NTAGS; j++)
					if (ref_tags[i][t] == tags[j]) {
						expect_gone[i] = 1;
						break;
					}
			expect += expect_gone[i];
		}
		unsigned live_before = dp_mfc_count(c);
		unsigned got = dp_mfc_invalidate_tags(c, tags, NTAGS);
		if (got != expect)
			printf("round %u: removed %u, expected %u\n", round, got, expect);
		CU_ASSERT_EQUAL(got, expect);
		CU_ASSERT_EQUAL(dp_mfc_count(c), live_before - expect);
		unsigned wrong = 0;
		for (uint32_t i = 0; i < NFLOWS; i++) {
			bool alive = f[i]->live && f[i]->id == id[i];
			bool was_alive = id[i] != UINT64_MAX;
			if (was_alive && alive == (bool)expect_gone[i])
				wrong++;
			if (expect_gone[i])
				id[i] = UINT64_MAX; /* never an id: gone */
		}
		CU_ASSERT_EQUAL(wrong, 0);
		CU_ASSERT_EQUAL(dp_mfc_invalidate_tags(c, tags, NTAGS), 0); /* idempotent */
		/* killed, not reaped yet: every removed key misses, every
		 * survivor is found (keys are unique per i) */
		CU_ASSERT_EQUAL(dp_mfc_dead_count(c), expect);
		wrong = 0;
		for (uint32_t i = 0; i < NFLOWS; i++) {
			spec_for(&s, i, (uint16_t)(i % 8), i % 4);
			struct dp_megaflow *want = id[i] == UINT64_MAX ? NULL : f[i];
			wrong += dp_mfc_lookup(c, &s.key) != want;
		}
		CU_ASSERT_EQUAL(wrong, 0);
		/* reaping, 32 a step, takes exactly ceil(expect / 32) steps, and
		 * frees the slots only then (the live count does not move) */
		unsigned steps = 0, freed = 0, n;
		while ((n = dp_mfc_reap(c, 32)) > 0) {
			freed += n;
			steps++;
			CU_ASSERT_EQUAL(dp_mfc_count(c), live_before - expect);
		}
		CU_ASSERT_EQUAL(freed, expect);
		CU_ASSERT_EQUAL(steps, (expect + 31) / 32);
		CU_ASSERT_EQUAL(dp_mfc_dead_count(c), 0);
		/* survivors are still found by lookup */
		for (uint32_t i = round; i < NFLOWS; i += 97) {
			if (id[i] == UINT64_MAX)
				continue;
			spec_for(&s, i, (uint16_t)(i % 8), i % 4);
			CU_ASSERT_PTR_EQUAL(dp_mfc_lookup(c, &s.key), f[i]);
		}
	}
	/* the port tags reach every remaining flow; the index ends empty */
	uint64_t ports[8];
	for (unsigned p = 0; p < 8; p++)
		ports[p] = DP_TAG(DP_TAG_DPPORT, p);
	unsigned left = dp_mfc_count(c);
	CU_ASSERT_EQUAL(dp_mfc_invalidate_tags(c, ports, 8), left);
	CU_ASSERT_EQUAL(dp_mfc_count(c), 0);
	while (dp_mfc_dead_count(c) > 0) /* killed: subtables go once reaped */
		dp_mfc_reap(c, 1000);
	CU_ASSERT_EQUAL(dp_mfc_subtable_count(c), 0);
	/* and it works again after being emptied */
	spec_for(&s, 1, 1, 0);
	s.n_tags = 1;
	s.tags[0] = DP_TAG(DP_TAG_FDB, 7);
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_insert(c, &s));
	CU_ASSERT_EQUAL(dp_mfc_invalidate_tags(c, s.tags, 1), 1);
	dp_mfc_destroy(c);
}

/* ---- aging and eviction ---------------------------------------------------------------- */

static void test_aging(void)
{
	struct dp_mfc *c = mk_mfc(64, 4);
	struct dp_megaflow_spec s;
	struct dp_megaflow *f[10];
	const uint64_t now = 1000000, idle = 1000;

	for (uint32_t i = 0; i < 10; i++) {
		spec_for(&s, i, 1, 0);
		f[i] = dp_mfc_insert(c, &s);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f[i]);
		f[i]->used_tsc = i < 5 ? now - 2 * idle : now - idle / 2;
	}
	f[9]->used_tsc = now + 5; /* a hit stamped after our "now": not idle */
	/* bounded work: 3 slots per step */
	CU_ASSERT_EQUAL(dp_mfc_age(c, now, idle, 3), 3);
	CU_ASSERT_EQUAL(dp_mfc_count(c), 7);
	CU_ASSERT_EQUAL(dp_mfc_age(c, now, idle, 3), 2);
	CU_ASSERT_EQUAL(dp_mfc_age(c, now, idle, 64), 0);
	CU_ASSERT_EQUAL(dp_mfc_count(c), 5);
	for (uint32_t i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(f[i]->live, i >= 5);
	CU_ASSERT_EQUAL(dp_mfc_counters(c)->expired, 5);
	/* later, everything is idle */
	CU_ASSERT_EQUAL(dp_mfc_age(c, now + 10 * idle, idle, 64), 5);
	CU_ASSERT_EQUAL(dp_mfc_count(c), 0);
	CU_ASSERT_EQUAL(dp_mfc_subtable_count(c), 0);
	dp_mfc_destroy(c);
}

/* A flood of new flows through a full pool replaces its own entries; the
 * victim's megaflows, hit between the flood's inserts, survive. */
static void test_lru_under_flood(void)
{
	struct dp_mfc *c = mk_mfc(64, 4);
	struct dp_megaflow_spec s;
	struct dp_megaflow *v[4], *r[4];
	uint64_t vid[4];
	struct dp_flow_key vk[4];
	const struct dp_flow_key *vkp[4];

	for (uint32_t i = 0; i < 4; i++) {
		spec_for(&s, 100000 + i, 2, 1);
		v[i] = dp_mfc_insert(c, &s);
		CU_ASSERT_PTR_NOT_NULL_FATAL(v[i]);
		vid[i] = v[i]->id;
		vk[i] = s.key;
		vkp[i] = &vk[i];
	}
	for (uint32_t i = 0; i < 2000; i++) {
		spec_for(&s, i, 1, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(dp_mfc_insert(c, &s));
		if (i % 8 == 0) { /* the victim keeps sending */
			rte_delay_us_block(1);
			CU_ASSERT_EQUAL(dp_mfc_lookup_burst(c, vkp, 4, r), 4);
		}
	}
	for (uint32_t i = 0; i < 4; i++)
		CU_ASSERT(v[i]->live && v[i]->id == vid[i]);
	CU_ASSERT_EQUAL(dp_mfc_count(c), 64);
	CU_ASSERT_EQUAL(dp_mfc_counters(c)->evicted, 2000 - 60);
	CU_ASSERT_EQUAL(dp_mfc_counters(c)->uncached, 0);
	dp_mfc_destroy(c);
}

static void test_ids_and_quota_unit(void)
{
	struct dp_mfc *c = mk_mfc(64, 4);
	struct dp_megaflow_spec s;
	dp_mfc_set_owner(c, 3);
	dp_mfc_set_port_quota(c, 5);
	for (uint32_t i = 0; i < 8; i++) {
		spec_for(&s, i, 7, 0);
		struct dp_megaflow *f = dp_mfc_insert(c, &s);
		if (i < 5) {
			CU_ASSERT_PTR_NOT_NULL_FATAL(f);
			CU_ASSERT_EQUAL(DP_MFLOW_ID_PMD(f->id), 3);
			CU_ASSERT_PTR_EQUAL(dp_mfc_get(c, DP_MFLOW_ID_SLOT(f->id), DP_MFLOW_ID_GEN(f->id)), f);
		} else {
			CU_ASSERT_PTR_NULL(f);
			CU_ASSERT_EQUAL(rte_errno, EDQUOT);
		}
	}
	CU_ASSERT_EQUAL(dp_mfc_port_count(c, 7), 5);
	CU_ASSERT_EQUAL(dp_mfc_counters(c)->over_quota, 3);
	spec_for(&s, 0, 7, 0); /* an existing megaflow is found even at quota */
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_insert(c, &s));
	spec_for(&s, 50, 8, 0); /* another port has its own quota */
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_insert(c, &s));
	spec_for(&s, 0, 7, 0);
	dp_mfc_remove(c, dp_mfc_lookup(c, &s.key));
	CU_ASSERT_EQUAL(dp_mfc_port_count(c, 7), 4);
	spec_for(&s, 6, 7, 0);
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_insert(c, &s)); /* room again */
	dp_mfc_destroy(c);
}

/* ---- end to end: ring ports, PMD driven by hand ----------------------------------------- */

static struct dp *DP;
static int P[4];
static uint16_t ETH[4];
static struct dp_lport_cfg LA, LB, LC, LD;

static int e2e_init(void)
{
	struct dp_config cfg;
	dp_config_defaults(&cfg);
	cfg.n_pmds = 2;
	cfg.pmd_lcores[0] = 1;
	cfg.pmd_lcores[1] = 7;  /* not an EAL lcore here: dp_start must refuse */
	cfg.idle_sleep_max_us = 0;
	cfg.emc_insert_inv_prob = 1;
	cfg.upcall_budget_pct = 5; /* the budget test below reasons in 5 % */
	cfg.n_mbufs = 4096;
	cfg.megaflows_max = 4096;
	cfg.megaflows_per_port = 4;
	cfg.megaflow_max_idle_ms = 100;
	DP = dp_create(&cfg);
	if (DP == NULL)
		return -1;
	for (unsigned i = 0; i < 4; i++) {
		char name[8], dev[16];
		snprintf(name, sizeof(name), "p%u", i);
		snprintf(dev, sizeof(dev), "net_ring%u", i);
		P[i] = dp_port_add(DP, name, dev, NULL);
		if (P[i] < 0)
			return -1;
		ETH[i] = DP->ports[P[i]].ethdev;
	}
	struct dp_network_cfg n1 = t_net(1), n2 = t_net(2);
	n2.vni = 0;
	n2.type = DP_NET_VLAN;
	n2.vlan = 30;
	LA = t_lport(1, 1, (uint16_t)P[0]);
	LB = t_lport(2, 1, (uint16_t)P[1]);
	LC = t_lport(3, 2, (uint16_t)P[2]);
	LD = t_lport(4, 2, DP_NO_PORT);
	LC.port_security = LD.port_security = false;
	struct dp_overlay_cfg ov = { .uplink = (uint16_t)P[3], .vtep_ip = htonl(0xc0a80001),
				     .encap = DP_ENCAP_VXLAN, .underlay_mtu = 1500 };
	ov.vtep_mac = t_mac(0xee, 1);
	struct dp_tables *t = dp_tables(DP);
	if (dp_table_network_put(t, &n1) || dp_table_network_put(t, &n2) ||
	    dp_table_lport_put(t, &LA) || dp_table_lport_put(t, &LB) ||
	    dp_table_lport_put(t, &LC) || dp_table_lport_put(t, &LD) || dp_overlay_set(t, &ov))
		return -1;
	return 0;
}

static int e2e_clean(void)
{
	dp_destroy(DP);
	return 0;
}

static unsigned drain(unsigned i)
{
	return t_drain_port(ETH[i]);
}

static void run(unsigned port_idx, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_pmd *pmd = DP->pmds[0];
	dp_pmd_apply_invalidations(pmd);
	dp_pmd_process(pmd, (uint16_t)P[port_idx], pkts, n);
	dp_pmd_flush_tx(pmd);
}

static struct rte_mbuf *pkt(const struct dp_lport_cfg *s, const uint8_t *dmac, const uint8_t *dip)
{
	struct rte_mbuf *m = t_pkt_ipv4(dp_mempool(DP), s->macs[0].addr_bytes, dmac,
					s->ips[0].addr, dip, IPPROTO_UDP, 1000, 53, 64, 18);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

static uint64_t drops_total(const struct dp_pmd *pmd)
{
	uint64_t n = 0;
	for (unsigned d = 0; d < DP_DROP__MAX; d++)
		n += pmd->st.drops[d];
	return n;
}

static void test_e2e_quota(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_pmd_stats s0, s1;

	/* the victim: B -> A, cached */
	pkts[0] = pkt(&LB, LA.macs[0].addr_bytes, LA.ips[0].addr);
	run(1, pkts, 1);
	CU_ASSERT_EQUAL(drain(0), 1);
	CU_ASSERT_EQUAL(dp_mfc_port_count(pmd->mfc, (uint16_t)P[1]), 1);
	CU_ASSERT_EQUAL(dp_pmd_stats(DP, 0, &s0), 0);
	uint64_t d0 = drops_total(pmd);

	/* A sends to 10 unknown MACs, twice: 10 flood megaflows wanted, 4 allowed */
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < 10; i++) {
			uint8_t dmac[6] = { 2, 0x77, 0, 0, 0, (uint8_t)i };
			pkts[i] = pkt(&LA, dmac, LB.ips[0].addr);
		}
		run(0, pkts, 10);
		CU_ASSERT_EQUAL(drain(1), 10); /* every one flooded to B */
		CU_ASSERT_EQUAL(drain(0), 0);
	}
	CU_ASSERT_EQUAL(dp_mfc_port_count(pmd->mfc, (uint16_t)P[0]), 4);
	CU_ASSERT_EQUAL(dp_pmd_stats(DP, 0, &s1), 0);
	CU_ASSERT_EQUAL(s1.mflow.over_quota - s0.mflow.over_quota, 12);
	CU_ASSERT_EQUAL(s1.mflow.uncached - s0.mflow.uncached, 0);
	CU_ASSERT_EQUAL(drops_total(pmd), d0); /* over quota is not a drop */
	/* the victim's megaflow stays and still serves B -> A */
	CU_ASSERT_EQUAL(dp_mfc_port_count(pmd->mfc, (uint16_t)P[1]), 1);
	uint64_t miss0 = pmd->st.misses;
	pkts[0] = pkt(&LB, LA.macs[0].addr_bytes, LA.ips[0].addr);
	run(1, pkts, 1);
	CU_ASSERT_EQUAL(drain(0), 1);
	CU_ASSERT_EQUAL(pmd->st.misses, miss0);
}

static int stamp_used(const struct dp_megaflow *f, void *arg)
{
	((struct dp_megaflow *)(uintptr_t)f)->used_tsc = *(const uint64_t *)arg;
	return 0;
}

static void test_e2e_aging(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct rte_mbuf *pkts[1];
	struct dp_flow_key k;

	CU_ASSERT(pmd->max_idle_tsc > 0);
	pkts[0] = pkt(&LB, LA.macs[0].addr_bytes, LA.ips[0].addr);
	run(1, pkts, 1);
	CU_ASSERT_EQUAL(drain(0), 1);
	t_key_ipv4(&k, (uint16_t)P[1], LB.macs[0].addr_bytes, LA.macs[0].addr_bytes,
		   LB.ips[0].addr, LA.ips[0].addr, IPPROTO_UDP, 1000, 53);
	struct dp_megaflow *f = dp_mfc_lookup(pmd->mfc, &k);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	uint64_t now = rte_rdtsc(), exp0 = dp_mfc_counters(pmd->mfc)->expired;
	uint32_t n0 = dp_mfc_count(pmd->mfc);
	/* the megaflows of earlier tests as if used just now: a host that
	 * stalls past the 100 ms limit between tests must not age them too */
	dp_mfc_foreach(pmd->mfc, stamp_used, &now);
	f->used_tsc = now - 2 * pmd->max_idle_tsc;  /* as if idle for two limits */
	dp_pmd_age(pmd, now);
	CU_ASSERT_PTR_NULL(dp_mfc_lookup(pmd->mfc, &k));
	CU_ASSERT_EQUAL(dp_mfc_counters(pmd->mfc)->expired - exp0, 1);
	CU_ASSERT_EQUAL(dp_mfc_count(pmd->mfc), n0 - 1); /* the others were used just now */
	/* a pool this small is swept whole every half idle limit */
	CU_ASSERT(dp_mfc_high_water(pmd->mfc) <= DP_AGE_BUDGET);
	CU_ASSERT_EQUAL(pmd->age_next_tsc, now + pmd->max_idle_tsc / 2);
	/* and the flow comes back on the next packet */
	pkts[0] = pkt(&LB, LA.macs[0].addr_bytes, LA.ips[0].addr);
	run(1, pkts, 1);
	CU_ASSERT_EQUAL(drain(0), 1);
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_lookup(pmd->mfc, &k));
}

static volatile int spin_stop;

static int pseudo_pmd(void *arg)
{
	struct dp_pmd *pmd = arg;
	while (!spin_stop)
		dp_pmd_apply_invalidations(pmd);
	return 0;
}

/* A PMD polling while the control thread asks for a flush must flush: the
 * old 1024-tag flood let a PMD that read the log head mid-flood apply
 * "nothing" twice and keep every megaflow. */
static void test_e2e_flush_gen(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct rte_mbuf *pkts[1];
	unsigned kept = 0;
	for (unsigned round = 0; round < 20; round++) {
		pkts[0] = pkt(&LB, LA.macs[0].addr_bytes, LA.ips[0].addr);
		run(1, pkts, 1);
		CU_ASSERT_EQUAL(drain(0), 1);
		CU_ASSERT(dp_mfc_count(pmd->mfc) > 0);
		spin_stop = 0;
		/* on lcore 1: really in parallel with this thread */
		CU_ASSERT_EQUAL_FATAL(rte_eal_remote_launch(pseudo_pmd, pmd, 1), 0);
		rte_delay_us_block(200);
		dp_flush_caches(DP);
		rte_delay_us_block(200);
		spin_stop = 1;
		rte_eal_wait_lcore(1);
		dp_pmd_apply_invalidations(pmd);
		kept += dp_mfc_count(pmd->mfc) > 0;
	}
	CU_ASSERT_EQUAL(kept, 0);
	/* the tables' "everything" tag is the same flush */
	pkts[0] = pkt(&LB, LA.macs[0].addr_bytes, LA.ips[0].addr);
	run(1, pkts, 1);
	CU_ASSERT_EQUAL(drain(0), 1);
	uint64_t fl = pmd->st.flushes, tag = DP_TAG_FLUSH;
	dp_invalidate(DP, &tag, 1);
	dp_pmd_apply_invalidations(pmd);
	CU_ASSERT_EQUAL(dp_mfc_count(pmd->mfc), 0);
	CU_ASSERT_EQUAL(pmd->st.flushes, fl + 1);
	/* ordinary tags never flush */
	uint64_t some[100];
	for (unsigned i = 0; i < 100; i++)
		some[i] = DP_TAG(DP_TAG_FDB, 5000 + i);
	pkts[0] = pkt(&LB, LA.macs[0].addr_bytes, LA.ips[0].addr);
	run(1, pkts, 1);
	CU_ASSERT_EQUAL(drain(0), 1);
	dp_invalidate(DP, some, 100);
	dp_pmd_apply_invalidations(pmd);
	CU_ASSERT_EQUAL(pmd->st.flushes, fl + 1);
	CU_ASSERT_EQUAL(dp_mfc_count(pmd->mfc), 1);
}

/* The uplink is bound to no lport: deleting it must still invalidate the
 * megaflows that output to it. */
static void test_e2e_port_del_uplink(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct rte_mbuf *pkts[1];
	pkts[0] = pkt(&LC, LD.macs[0].addr_bytes, LD.ips[0].addr);
	run(2, pkts, 1);
	CU_ASSERT_EQUAL(drain(3), 1); /* VLAN 30 out of the uplink */
	CU_ASSERT_EQUAL(dp_mfc_port_count(pmd->mfc, (uint16_t)P[2]), 1);
	CU_ASSERT_EQUAL(dp_port_del(DP, "p3"), 0);
	dp_pmd_apply_invalidations(pmd);
	CU_ASSERT_EQUAL(dp_mfc_port_count(pmd->mfc, (uint16_t)P[2]), 0);
	CU_ASSERT_EQUAL(dp_mfc_port_count(pmd->mfc, (uint16_t)P[1]), 1); /* unrelated: kept */
}

/* The PMD's invalidation step is bounded (DP_INV_STEP_WORK units: a tag
 * looked up, a tag-list entry visited; then DP_REAP_BUDGET reaps), resumes
 * where it stopped, even inside one tag's list whose next entry was removed
 * meanwhile, and kills everything in the end. */
static void test_e2e_inv_step_bounded(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct dp_megaflow_spec s;
	enum { NF = 1500, NT = 600 };
	static struct dp_megaflow *f[NF];
	static uint64_t tags[NT];
	const uint64_t big = DP_TAG(DP_TAG_NETWORK, 777);

	dp_pmd_apply_invalidations(pmd);
	while (dp_mfc_dead_count(pmd->mfc) > 0)
		dp_pmd_inv_step(pmd);
	dp_mfc_set_port_quota(pmd->mfc, 0);
	for (uint32_t i = 0; i < NF; i++) { /* flow i: fdb:70000+i and one big tag */
		spec_for(&s, 70000 + i, 60, 0);
		s.n_tags = 2;
		s.tags[0] = DP_TAG(DP_TAG_FDB, 70000 + i);
		s.tags[1] = big;
		f[i] = dp_mfc_insert(pmd->mfc, &s);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f[i]);
	}
	dp_mfc_set_port_quota(pmd->mfc, dp_config_port_quota(&DP->cfg));
	uint32_t live0 = dp_mfc_count(pmd->mfc);

	/* 600 tags, 200 of them match a flow each: killed in tag order, at
	 * most one unit of work per kill */
	for (unsigned j = 0; j < NT; j++)
		tags[j] = j % 3 == 0 ? DP_TAG(DP_TAG_FDB, 70000 + j / 3) : DP_TAG(DP_TAG_FDB, 9000 + j);
	dp_invalidate(DP, tags, NT);
	unsigned steps = 0, prev = 0;
	bool more;
	do {
		uint32_t dead0 = dp_mfc_dead_count(pmd->mfc);
		more = dp_pmd_inv_step(pmd);
		steps++;
		unsigned upto = 0, wrong = 0;
		while (upto < 200 && !f[upto]->live)
			upto++;
		for (uint32_t i = 0; i < NF; i++) {
			spec_for(&s, 70000 + i, 60, 0);
			wrong += (dp_mfc_lookup(pmd->mfc, &s.key) == NULL) != (i < upto);
		}
		CU_ASSERT_EQUAL(wrong, 0); /* a prefix in tag order, nothing else */
		CU_ASSERT(upto - prev <= DP_INV_STEP_WORK / 2);
		CU_ASSERT_EQUAL(dp_mfc_count(pmd->mfc), live0 - upto);
		uint32_t dead = dead0 + (upto - prev);
		CU_ASSERT_EQUAL(dp_mfc_dead_count(pmd->mfc), dead - RTE_MIN(dead, (uint32_t)DP_REAP_BUDGET));
		prev = upto;
	} while (more && steps < 20);
	CU_ASSERT_FALSE(more);
	CU_ASSERT_EQUAL(prev, 200);
	/* 600 lookups + 200 entries (+ at most one resumed entry a step) */
	CU_ASSERT(steps >= (NT + 200 + DP_INV_STEP_WORK - 1) / DP_INV_STEP_WORK);
	CU_ASSERT(steps <= (NT + 200 + DP_INV_STEP_WORK - 1) / DP_INV_STEP_WORK + 1);

	/* one tag carrying 1300 megaflows: DP_INV_STEP_WORK - 1 kills in the
	 * first step (newest first: the list's order), the walk then resumes */
	dp_invalidate(DP, &big, 1);
	CU_ASSERT_TRUE(dp_pmd_inv_step(pmd));
	unsigned k1 = DP_INV_STEP_WORK - 1;
	CU_ASSERT_EQUAL(dp_mfc_count(pmd->mfc), live0 - 200 - k1);
	CU_ASSERT(!f[NF - k1]->live && f[NF - k1 - 1]->live);
	/* the next entry of the walk is removed meanwhile (aging, eviction):
	 * the walk must not lose its place */
	dp_mfc_remove(pmd->mfc, f[NF - k1 - 1]);
	steps = 1;
	while (dp_pmd_inv_step(pmd) && steps < 20)
		steps++;
	CU_ASSERT_EQUAL(dp_mfc_count(pmd->mfc), live0 - NF);
	CU_ASSERT(steps <= (NF - 200 + 1 + DP_INV_STEP_WORK - 1) / DP_INV_STEP_WORK + 1);
	unsigned alive = 0;
	for (uint32_t i = 200; i < NF; i++)
		alive += f[i]->live;
	CU_ASSERT_EQUAL(alive, 0);
	/* then reaping only, DP_REAP_BUDGET per step, until none is left */
	uint32_t left = dp_mfc_dead_count(pmd->mfc), reap_steps = 0;
	while (dp_mfc_dead_count(pmd->mfc) > 0 && reap_steps < 200) {
		CU_ASSERT_FALSE(dp_pmd_inv_step(pmd));
		reap_steps++;
	}
	CU_ASSERT_EQUAL(reap_steps, (left + DP_REAP_BUDGET - 1) / DP_REAP_BUDGET);
	CU_ASSERT(pmd->st.inv_cycles_max > 0);
}

static void test_e2e_dump_timeout(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct dp_megaflow *out = calloc(4, sizeof(*out));
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	DP->running = true; /* pretend: no PMD thread will answer */
	CU_ASSERT_EQUAL(dp_pmd_dump_megaflows(DP, 0, out, 4), -ETIMEDOUT);
	/* the late PMD would write here: the dp's buffer, not the caller's */
	CU_ASSERT_PTR_EQUAL(pmd->req.out, DP->dump_buf[0]);
	CU_ASSERT_PTR_NOT_EQUAL(pmd->req.out, out);
	free(out);
	struct dp_megaflow other[2];
	CU_ASSERT_EQUAL(dp_pmd_dump_megaflows(DP, 0, other, 2), -EBUSY);
	/* the PMD answers at last: writes the dp's buffer, acknowledges */
	pmd->req.result = dp_pmd_dump_now(pmd, pmd->req.out, pmd->req.max);
	__atomic_store_n(&pmd->req_ack, pmd->req_seq, __ATOMIC_RELEASE);
	DP->running = false;
	CU_ASSERT(dp_pmd_dump_megaflows(DP, 0, other, 2) >= 1);
}

/* A port whose bursts translate pays for them from its upcall budget; once
 * overspent it is not polled until the budget has refilled; hits are free. */
static void test_e2e_upcall_budget(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct rte_mbuf *pkts[DP_BURST];
	uint16_t a = (uint16_t)P[0], b = (uint16_t)P[1];
	CU_ASSERT_FATAL(pmd->upcall_credit_cap > 0 && pmd->upcall_credit_div == 20); /* 5 % */
	uint64_t now = rte_rdtsc();
	dp_pmd_upcall_charge(pmd, a, now, 0); /* refill to the cap */
	dp_pmd_upcall_charge(pmd, b, now, 0);
	int64_t ca = pmd->upcall_credit[a], cb = pmd->upcall_credit[b];
	CU_ASSERT_EQUAL(ca, pmd->upcall_credit_cap);
	/* a burst of new flows from A is charged to A ... */
	for (unsigned i = 0; i < 8; i++) {
		uint8_t dmac[6] = { 2, 0x66, 0, 0, 1, (uint8_t)i };
		pkts[i] = pkt(&LA, dmac, LB.ips[0].addr);
	}
	run(0, pkts, 8);
	drain(1);
	CU_ASSERT(pmd->upcall_credit[a] < ca);
	/* ... a burst of B that only hits its cached megaflow costs nothing */
	pkts[0] = pkt(&LB, LA.macs[0].addr_bytes, LA.ips[0].addr);
	run(1, pkts, 1);
	drain(0);
	pkts[0] = pkt(&LB, LA.macs[0].addr_bytes, LA.ips[0].addr);
	uint64_t miss0 = pmd->st.misses;
	run(1, pkts, 1);
	CU_ASSERT_EQUAL(drain(0), 1);
	CU_ASSERT_EQUAL(pmd->st.misses, miss0);
	CU_ASSERT(pmd->upcall_credit[b] <= cb);
	int64_t cb1 = pmd->upcall_credit[b];
	pkts[0] = pkt(&LB, LA.macs[0].addr_bytes, LA.ips[0].addr);
	run(1, pkts, 1);
	drain(0);
	CU_ASSERT_EQUAL(pmd->upcall_credit[b], cb1);
	/* overspent: throttled now, polled again once 20x the debt has passed */
	now = rte_rdtsc();
	dp_pmd_upcall_charge(pmd, a, now, (uint64_t)pmd->upcall_credit_cap + 1000);
	int64_t debt = -pmd->upcall_credit[a];
	CU_ASSERT_FATAL(debt >= 1000);
	CU_ASSERT(dp_pmd_upcall_throttled(pmd, a, now));
	CU_ASSERT(dp_pmd_upcall_throttled(pmd, a, now + (uint64_t)debt * 20 - 40));
	CU_ASSERT(!dp_pmd_upcall_throttled(pmd, b, now));
	CU_ASSERT(!dp_pmd_upcall_throttled(pmd, a, now + (uint64_t)debt * 20 + 20));
	/* the refill stops at the cap */
	dp_pmd_upcall_charge(pmd, a, now + (UINT64_C(1) << 40), 0);
	CU_ASSERT_EQUAL(pmd->upcall_credit[a], pmd->upcall_credit_cap);
}

static void test_e2e_start_bad_lcore(void)
{
	CU_ASSERT_EQUAL(dp_start(DP), -EINVAL);
	CU_ASSERT_EQUAL(rte_eal_get_lcore_state(1), WAIT); /* nothing launched */
	CU_ASSERT(!DP->running);
	dp_stop(DP);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "mflow_test", "-l", "0,1", "--vdev=net_ring0", "--vdev=net_ring1",
		       "--vdev=net_ring2", "--vdev=net_ring3", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("megaflow lifecycle", NULL, NULL);
	CU_add_test(s, "tag index vs brute force, 64k megaflows x 1k tags",
		    test_tag_index_vs_bruteforce);
	CU_add_test(s, "idle aging, bounded steps", test_aging);
	CU_add_test(s, "LRU eviction under a flood keeps the victim", test_lru_under_flood);
	CU_add_test(s, "ids and per-port quota", test_ids_and_quota_unit);
	s = CU_add_suite("megaflow lifecycle, end to end", e2e_init, e2e_clean);
	CU_add_test(s, "quota: over-quota packets forwarded, counted, others kept", test_e2e_quota);
	CU_add_test(s, "PMD aging step and pacing", test_e2e_aging);
	CU_add_test(s, "flush generation seen by a PMD mid-publication", test_e2e_flush_gen);
	CU_add_test(s, "port del of the uplink removes megaflows to it", test_e2e_port_del_uplink);
	CU_add_test(s, "bounded invalidation step: tags per step, reaps per step",
		    test_e2e_inv_step_bounded);
	CU_add_test(s, "dump buffer outlives a timed-out request", test_e2e_dump_timeout);
	CU_add_test(s, "per-port upcall budget", test_e2e_upcall_budget);
	CU_add_test(s, "dp_start with a bad lcore launches nothing", test_e2e_start_bad_lcore);
	return t_run_all();
}
