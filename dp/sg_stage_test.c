/* SPDX-License-Identifier: BSD-3-Clause
 * dp/sg_stage_test.c — security groups end to end through the PMD's burst
 * path (dp_pmd_process with net_ring ports, driven by hand): ct() actions,
 * recirculation, the ACL in translate, conntrack state in the key and the
 * megaflow, and the trace.
 *
 * Ports (network 1, 10.0.1.<key>):
 *   A(1) ring0 stateful: egress any IPv4; ingress UDP to port 53 only
 *   B(2) ring1 stateful: egress any IPv4; no ingress rule
 *   C(3) ring2 stateless: egress any IPv4; ingress UDP to port 53 only
 *   D(4) ring3 no security group (port security off)
 *   E(5) ring4 no security group
 *
 * Run: ./build/dp/dp_sg_stage_test   (EAL: -l 0,1 --vdev=net_ring0..4)
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "acl.h"
#include "ct.h"
#include "dp_priv.h"
#include "test_util.h"
#include "trace.h"
#include "translate.h"

#define NP 5
static struct dp *DP;
static int P[NP];
static uint16_t ETH[NP];
static struct dp_lport_cfg L[NP];   /* A..E */
enum { A, B, C, D, E };

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

static int init(void)
{
	struct dp_config cfg;
	dp_config_defaults(&cfg);
	cfg.n_pmds = 1;
	cfg.pmd_lcores[0] = 1;
	cfg.idle_sleep_max_us = 0;
	cfg.emc_insert_inv_prob = 1;
	cfg.n_mbufs = 4096;
	cfg.ct_max_conns = 1024;
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
		if (i == D)
			L[i].port_security = false;
		if (dp_table_lport_put(dp_tables(DP), &L[i]))
			return -1;
	}
	struct dp_acl *acl = dp_get_acl(DP);
	struct dp_acl_rule ra[] = { rule(11, DP_ACL_EGRESS, true, 0, 65535),
				    rule(12, DP_ACL_INGRESS, false, 53, 53) };
	struct dp_acl_rule rb[] = { rule(21, DP_ACL_EGRESS, true, 0, 65535) };
	struct dp_acl_rule rc[] = { rule(31, DP_ACL_EGRESS, true, 0, 65535),
				    rule(32, DP_ACL_INGRESS, false, 53, 53) };
	struct dp_acl_port_cfg ca = { .stateful = true, .n_rules = 2, .rules = ra };
	struct dp_acl_port_cfg cb = { .stateful = true, .n_rules = 1, .rules = rb };
	struct dp_acl_port_cfg cc = { .stateful = false, .n_rules = 2, .rules = rc };
	if (dp_acl_port_put(acl, L[A].key, &ca) || dp_acl_port_put(acl, L[B].key, &cb) ||
	    dp_acl_port_put(acl, L[C].key, &cc)) {
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

/* n UDP packets s -> d, source ports sport.., to dport; run as one burst. */
static void send_udp(unsigned s, unsigned d, uint16_t sport, uint16_t dport, unsigned n)
{
	struct rte_mbuf *pkts[DP_BURST];
	for (unsigned i = 0; i < n; i++) {
		pkts[i] = t_pkt_ipv4(dp_mempool(DP), L[s].macs[0].addr_bytes,
				     L[d].macs[0].addr_bytes, L[s].ips[0].addr, L[d].ips[0].addr,
				     IPPROTO_UDP, (uint16_t)(sport + i), dport, 64, 18);
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

static void test_stateful(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct dp_ct *ct = dp_get_ct(DP);
	struct rte_mempool *mp = dp_mempool(DP);
	unsigned avail0 = rte_mempool_avail_count(mp);

	/* A -> D: A's egress, new, allowed by rule 11: committed in zone 1 and
	 * delivered; D has no group */
	uint64_t rc0 = pmd->st.recirculations;
	send_udp(A, D, 1000, 7777, 4);
	CU_ASSERT_EQUAL(drain(D), 4);
	CU_ASSERT_EQUAL(drain_all(), 0);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, (uint16_t)L[A].key), 4);
	CU_ASSERT_EQUAL(pmd->st.recirculations - rc0, 4);

	/* the replies D -> A: est|rpl in zone 1, allowed on A's ingress
	 * though no rule allows UDP to those ports */
	uint64_t deny0 = drops(DP_DROP_ACL_DENY);
	for (unsigned i = 0; i < 4; i++)
		send_udp(D, A, 7777, (uint16_t)(1000 + i), 1);
	CU_ASSERT_EQUAL(drain(A), 4);
	CU_ASSERT_EQUAL(drops(DP_DROP_ACL_DENY), deny0);

	/* unsolicited D -> A to a port no rule allows: acl-deny, not committed */
	send_udp(D, A, 7777, 4000, 3);
	CU_ASSERT_EQUAL(drain_all(), 0);
	CU_ASSERT_EQUAL(drops(DP_DROP_ACL_DENY) - deny0, 3);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, (uint16_t)L[A].key), 4);

	/* D -> A to port 53: rule 12 allows and commits */
	send_udp(D, A, 5000, 53, 2);
	CU_ASSERT_EQUAL(drain(A), 2);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, (uint16_t)L[A].key), 6);

	/* A -> B, both stateful: A's egress allows (commit in zone 1), B's
	 * ingress has no rule: dropped */
	deny0 = drops(DP_DROP_ACL_DENY);
	send_udp(A, B, 3000, 3001, 1);
	CU_ASSERT_EQUAL(drain_all(), 0);
	CU_ASSERT_EQUAL(drops(DP_DROP_ACL_DENY) - deny0, 1);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, (uint16_t)L[A].key), 7);
	/* B -> A answering it: B's egress allows (commit in zone 2), A's
	 * ingress sees est|rpl in zone 1: delivered; both ends stateful, so
	 * both zones are looked up before one recirculation */
	rc0 = pmd->st.recirculations;
	send_udp(B, A, 3001, 3000, 1);
	CU_ASSERT_EQUAL(drain(A), 1);
	CU_ASSERT_EQUAL(pmd->st.recirculations - rc0, 1);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, (uint16_t)L[B].key), 1);
	/* and the same again is all cache hits: no new megaflow (zone 2 has
	 * seen no reply yet: B's egress commits again each time) */
	uint64_t miss0 = pmd->st.misses;
	send_udp(B, A, 3001, 3000, 1);
	CU_ASSERT_EQUAL(drain(A), 1);
	CU_ASSERT_EQUAL(pmd->st.misses, miss0);
	/* A -> B is now a reply in B's zone too: delivered; then B -> A is
	 * established in both zones: one recirculation and two conntrack
	 * lookups a packet, all cache hits */
	send_udp(A, B, 3000, 3001, 1);
	CU_ASSERT_EQUAL(drain(B), 1);
	send_udp(B, A, 3001, 3000, 1);
	CU_ASSERT_EQUAL(drain(A), 1);
	miss0 = pmd->st.misses;
	uint64_t ct0 = pmd->st.ct_packets;
	rc0 = pmd->st.recirculations;
	for (unsigned i = 0; i < 8; i++)
		send_udp(B, A, 3001, 3000, 1);
	CU_ASSERT_EQUAL(drain(A), 8);
	CU_ASSERT_EQUAL(pmd->st.misses, miss0);
	CU_ASSERT_EQUAL(pmd->st.recirculations - rc0, 8);
	CU_ASSERT_EQUAL(pmd->st.ct_packets - ct0, 16);

	/* flush of zone 1: the replies are now unsolicited */
	CU_ASSERT_EQUAL(dp_ct_flush(ct, (int)L[A].key), 7);
	deny0 = drops(DP_DROP_ACL_DENY);
	send_udp(D, A, 7777, 1000, 1);
	CU_ASSERT_EQUAL(drain_all(), 0);
	CU_ASSERT_EQUAL(drops(DP_DROP_ACL_DENY) - deny0, 1);

	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), avail0);
}

static void test_stateless_and_plain(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct rte_mempool *mp = dp_mempool(DP);
	unsigned avail0 = rte_mempool_avail_count(mp);
	uint64_t ct0 = pmd->st.ct_packets, rc0 = pmd->st.recirculations;
	uint64_t deny0 = drops(DP_DROP_ACL_DENY);

	/* C is stateless: ACL only, never ct() */
	send_udp(D, C, 6000, 53, 2);
	CU_ASSERT_EQUAL(drain(C), 2);
	send_udp(D, C, 6000, 54, 2);
	CU_ASSERT_EQUAL(drain_all(), 0);
	CU_ASSERT_EQUAL(drops(DP_DROP_ACL_DENY) - deny0, 2);
	send_udp(C, D, 53, 6000, 1);
	CU_ASSERT_EQUAL(drain(D), 1);

	/* D and E have no group: forwarded as before, no ct */
	send_udp(D, E, 1, 2, 3);
	CU_ASSERT_EQUAL(drain(E), 3);
	send_udp(E, D, 2, 1, 3);
	CU_ASSERT_EQUAL(drain(D), 3);
	CU_ASSERT_EQUAL(pmd->st.ct_packets, ct0);
	CU_ASSERT_EQUAL(pmd->st.recirculations, rc0);

	/* their megaflow reads no ct_state and outputs directly */
	struct dp_flow_key k;
	struct dp_megaflow_spec spec;
	t_key_ipv4(&k, (uint16_t)P[D], L[D].macs[0].addr_bytes, L[E].macs[0].addr_bytes,
		   L[D].ips[0].addr, L[E].ips[0].addr, IPPROTO_UDP, 1, 2);
	dp_translate(dp_tables(DP), &k, &spec, NULL);
	CU_ASSERT_EQUAL(spec.mask.ct_state, 0);
	CU_ASSERT_EQUAL(spec.n_actions, 1);
	CU_ASSERT_EQUAL(spec.actions[0].type, DP_ACT_OUTPUT);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), avail0);
}

static void test_translate_trace(void)
{
	char buf[4096];
	struct dp_trace_buf tb = { .buf = buf, .len = sizeof(buf) };
	struct dp_flow_key k;
	struct dp_megaflow_spec spec;
	t_key_ipv4(&k, (uint16_t)P[A], L[A].macs[0].addr_bytes, L[D].macs[0].addr_bytes,
		   L[A].ips[0].addr, L[D].ips[0].addr, IPPROTO_UDP, 1, 2);
	/* first pass: ct(zone 1) + recirc, nothing of the ACL in the mask */
	dp_translate(dp_tables(DP), &k, &spec, &tb);
	CU_ASSERT_EQUAL(spec.n_actions, 1);
	CU_ASSERT_EQUAL(spec.actions[0].type, DP_ACT_CT);
	CU_ASSERT_EQUAL(spec.actions[0].port, L[A].key);
	CU_ASSERT_EQUAL(spec.actions[0].data[1], DP_RECIRC_SG_EGRESS);
	CU_ASSERT_EQUAL(spec.mask.ct_state, 0);
	/* recirculated, new: rule 11 decides, commit first, then output */
	k.recirc_id = DP_RECIRC_SG_EGRESS;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	tb.used = 0;
	dp_translate(dp_tables(DP), &k, &spec, &tb);
	/* ct(commit, mark=0/blocked, label=rule key, egress), output */
	CU_ASSERT_EQUAL_FATAL(spec.n_actions, 3);
	CU_ASSERT_EQUAL(spec.actions[0].type, DP_ACT_CT);
	CU_ASSERT(spec.actions[0].data[0] & DP_CT_F_COMMIT);
	CU_ASSERT(spec.actions[0].data[0] & DP_CT_F_SG_EGRESS);
	CU_ASSERT(spec.actions[0].data[0] & DP_CT_F_MARK);
	CU_ASSERT_EQUAL(dp_act_ct_mark_mask(&spec.actions[0]), DP_CT_MARK_BLOCKED);
	CU_ASSERT_EQUAL(spec.actions[0].u32, 0);
	CU_ASSERT_EQUAL(spec.actions[0].data[1], 0);
	CU_ASSERT_EQUAL(spec.actions[1].type, DP_ACT_CT_LABEL);
	CU_ASSERT_EQUAL(spec.actions[1].port, 1);
	CU_ASSERT_EQUAL(spec.actions[1].data[7], 11);
	CU_ASSERT_EQUAL(spec.actions[2].type, DP_ACT_OUTPUT);
	CU_ASSERT_EQUAL(spec.mask.ct_state, 0xff);
	/* the recirculated pass reads the blocked bit of ct_mark, nothing
	 * else of ct_mark or ct_label */
	CU_ASSERT_EQUAL(spec.mask.ct_mark, DP_CT_MARK_BLOCKED);
	for (unsigned i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(spec.mask.ct_label[i], 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "ct_state new|trk, allowed by rule 11"));
	/* invalid: dropped ct-invalid */
	k.ct_state = DP_CS_TRK | DP_CS_INV;
	tb.used = 0;
	dp_translate(dp_tables(DP), &k, &spec, &tb);
	CU_ASSERT_EQUAL(t_spec_drop(&spec), DP_DROP_CT_INVALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "ct_state inv|trk"));
	/* established: no ACL, no commit */
	k.ct_state = DP_CS_TRK | DP_CS_EST;
	dp_translate(dp_tables(DP), &k, &spec, NULL);
	CU_ASSERT_EQUAL(spec.n_actions, 1);
	CU_ASSERT_EQUAL(spec.actions[0].type, DP_ACT_OUTPUT);
	/* wyctl trace follows the recirculations (as a new connection) */
	struct dp_trace *t = malloc(sizeof(*t));
	char err[128];
	char flow[256];
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	snprintf(flow, sizeof(flow), "udp,eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:02,"
		 "ip_src=10.0.1.1,ip_dst=10.0.1.2,tp_src=1,tp_dst=2");
	CU_ASSERT_EQUAL(dp_trace_flow(DP, (uint16_t)P[A], flow, t, err, sizeof(err)), 0);
	/* A and B both stateful: both zones, one pass */
	CU_ASSERT_PTR_NOT_NULL(strstr(t->megaflow.actions, "ct(zone=1,state=eg),ct(zone=2),"
				      "recirc(5)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t->stages, "allowed by rule 11"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t->stages, "ct_state new|trk, no rule allows it"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t->recirc_actions, "drop:acl-deny"));
	if (!strstr(t->stages, "allowed by rule 11"))
		fprintf(stderr, "%s\n%s\n", t->megaflow.actions, t->stages);
	free(t);
	char acts[256];
	struct dp_action ca = { .type = DP_ACT_CT, .port = 7 };
	ca.data[0] = DP_CT_F_COMMIT;
	ca.data[1] = 2;
	dp_actions_format(acts, sizeof(acts), &ca, 1, NULL);
	CU_ASSERT_STRING_EQUAL(acts, "ct(zone=7,commit),recirc(2)");
	struct dp_action cl[3] = { { .type = DP_ACT_CT, .port = 7 },
				   { .type = DP_ACT_CT_LABEL, .port = 0 },
				   { .type = DP_ACT_OUTPUT, .port = 3 } };
	cl[0].data[0] = DP_CT_F_COMMIT | DP_CT_F_LABEL;
	dp_act_ct_set_mark(&cl[0], 0x50, 0xf0);
	cl[1].data[0] = 0xab;
	dp_actions_format(acts, sizeof(acts), cl, 3, NULL);
	CU_ASSERT_STRING_EQUAL(acts, "ct(zone=7,commit,mark=0x50/0xf0,label_hi=0xab00000000000000),"
			       "output:3");
}

/* Both ends stateful (B -> A): the first pass looks both zones up, the
 * source's state into ct_state_eg; one recirculated pass decides egress
 * and ingress and commits in both zones. */
static void test_two_zone_pass(void)
{
	char buf[4096];
	struct dp_trace_buf tb = { .buf = buf, .len = sizeof(buf) };
	struct dp_flow_key k;
	struct dp_megaflow_spec spec;
	char acts[256];
	t_key_ipv4(&k, (uint16_t)P[B], L[B].macs[0].addr_bytes, L[A].macs[0].addr_bytes,
		   L[B].ips[0].addr, L[A].ips[0].addr, IPPROTO_UDP, 4000, 53);
	dp_translate(dp_tables(DP), &k, &spec, &tb);
	CU_ASSERT_EQUAL_FATAL(spec.n_actions, 2);
	CU_ASSERT_EQUAL(spec.actions[0].port, L[B].key);
	CU_ASSERT_EQUAL(spec.actions[0].data[0], DP_CT_F_EG);
	CU_ASSERT_EQUAL(spec.actions[0].data[1], 0);
	CU_ASSERT_EQUAL(spec.actions[1].port, L[A].key);
	CU_ASSERT_EQUAL(spec.actions[1].data[1], DP_RECIRC_SG_BOTH);
	CU_ASSERT_EQUAL(spec.mask.ct_state, 0);
	CU_ASSERT_EQUAL(spec.mask.ct_state_eg, 0);
	dp_actions_format(acts, sizeof(acts), spec.actions, spec.n_actions, NULL);
	CU_ASSERT_STRING_EQUAL(acts, "ct(zone=2,state=eg),ct(zone=1),recirc(5)");
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "ingress lport 1 (stateful)"));

	/* both new: B's egress (rule 21) and A's ingress (rule 12) commit,
	 * each in its zone, then output */
	k.recirc_id = DP_RECIRC_SG_BOTH;
	k.ct_state_eg = DP_CS_TRK | DP_CS_NEW;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	dp_translate(dp_tables(DP), &k, &spec, NULL);
	CU_ASSERT_EQUAL_FATAL(spec.n_actions, 5);
	CU_ASSERT_EQUAL(spec.actions[0].type, DP_ACT_CT);
	CU_ASSERT_EQUAL(spec.actions[0].port, L[B].key);
	CU_ASSERT(spec.actions[0].data[0] & DP_CT_F_SG_EGRESS);
	CU_ASSERT_EQUAL(spec.actions[1].data[7], 21);
	CU_ASSERT_EQUAL(spec.actions[2].type, DP_ACT_CT);
	CU_ASSERT_EQUAL(spec.actions[2].port, L[A].key);
	CU_ASSERT(spec.actions[2].data[0] & DP_CT_F_SG_INGRESS);
	CU_ASSERT_EQUAL(spec.actions[3].data[7], 12);
	CU_ASSERT_EQUAL(spec.actions[4].type, DP_ACT_OUTPUT);
	/* both established: output only; the megaflow reads both states and
	 * both blocked bits */
	k.ct_state_eg = DP_CS_TRK | DP_CS_EST;
	k.ct_state = DP_CS_TRK | DP_CS_EST;
	dp_translate(dp_tables(DP), &k, &spec, NULL);
	CU_ASSERT_EQUAL(spec.n_actions, 1);
	CU_ASSERT_EQUAL(spec.actions[0].type, DP_ACT_OUTPUT);
	CU_ASSERT_EQUAL(spec.mask.ct_state_eg, 0xff);
	CU_ASSERT_EQUAL(spec.mask.ct_state, 0xff);
	CU_ASSERT_EQUAL(spec.mask.ct_mark_eg, DP_CT_MARK_BLOCKED);
	CU_ASSERT_EQUAL(spec.mask.ct_mark, DP_CT_MARK_BLOCKED);
	/* the source zone decides by its own state: invalid there drops
	 * whatever the destination zone says */
	k.ct_state_eg = DP_CS_TRK | DP_CS_INV;
	dp_translate(dp_tables(DP), &k, &spec, NULL);
	CU_ASSERT_EQUAL(t_spec_drop(&spec), DP_DROP_CT_INVALID);
	/* a reply of a connection blocked in the source zone */
	k.ct_state_eg = DP_CS_TRK | DP_CS_EST | DP_CS_RPL;
	k.ct_mark_eg = DP_CT_MARK_BLOCKED;
	dp_translate(dp_tables(DP), &k, &spec, NULL);
	CU_ASSERT_EQUAL(t_spec_drop(&spec), DP_DROP_CT_BLOCKED);
	/* and the destination zone by its: new there, A's ingress has no
	 * rule for port 54 */
	k.ct_state_eg = DP_CS_TRK | DP_CS_EST;
	k.ct_mark_eg = 0;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	k.tp_dst = htons(54);
	dp_translate(dp_tables(DP), &k, &spec, NULL);
	CU_ASSERT_EQUAL(t_spec_drop(&spec), DP_DROP_ACL_DENY);

	/* one stateful end only: the one-zone passes as before */
	t_key_ipv4(&k, (uint16_t)P[B], L[B].macs[0].addr_bytes, L[D].macs[0].addr_bytes,
		   L[B].ips[0].addr, L[D].ips[0].addr, IPPROTO_UDP, 4000, 53);
	dp_translate(dp_tables(DP), &k, &spec, NULL);
	CU_ASSERT_EQUAL_FATAL(spec.n_actions, 1);
	CU_ASSERT_EQUAL(spec.actions[0].data[0], 0);
	CU_ASSERT_EQUAL(spec.actions[0].data[1], DP_RECIRC_SG_EGRESS);
	t_key_ipv4(&k, (uint16_t)P[D], L[D].macs[0].addr_bytes, L[A].macs[0].addr_bytes,
		   L[D].ips[0].addr, L[A].ips[0].addr, IPPROTO_UDP, 4000, 53);
	dp_translate(dp_tables(DP), &k, &spec, NULL);
	CU_ASSERT_EQUAL_FATAL(spec.n_actions, 1);
	CU_ASSERT_EQUAL(spec.actions[0].data[1], DP_RECIRC_SG_INGRESS);
}

/* A broadcast is flooded only to the ports whose ingress rules allow it. */
static void test_flood(void)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t bcip[4] = { 10, 0, 1, 255 };
	struct rte_mempool *mp = dp_mempool(DP);
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct dp_pmd *pmd = DP->pmds[0];
	for (unsigned round = 0; round < 2; round++) {
		uint16_t dport = round == 0 ? 7000 : 53;
		struct rte_mbuf *m = t_pkt_ipv4(mp, L[D].macs[0].addr_bytes, bc,
						L[D].ips[0].addr, bcip, IPPROTO_UDP, 5353, dport,
						64, 18);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		dp_pmd_apply_invalidations(pmd);
		dp_pmd_process(pmd, (uint16_t)P[D], &m, 1);
		dp_pmd_flush_tx(pmd);
		/* E has no group; A and C allow UDP 53 in; B allows nothing */
		CU_ASSERT_EQUAL(drain(E), 1);
		CU_ASSERT_EQUAL(drain(A), round);
		CU_ASSERT_EQUAL(drain(C), round);
		CU_ASSERT_EQUAL(drain(B), 0);
		CU_ASSERT_EQUAL(drain(D), 0);
	}
	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), avail0);
}

/* An ACL appearing on a port that had none invalidates its cached
 * megaflows, unicast and flood (lport / network tags, dp.c acl_changed). */
static void test_acl_appears(void)
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t bcip[4] = { 10, 0, 1, 255 };
	struct rte_mempool *mp = dp_mempool(DP);
	struct dp_pmd *pmd = DP->pmds[0];
	unsigned avail0 = rte_mempool_avail_count(mp);
	struct dp_acl_rule re[] = { rule(51, DP_ACL_EGRESS, true, 0, 65535) };
	struct dp_acl_port_cfg ce = { .stateful = false, .n_rules = 1, .rules = re };
	for (unsigned round = 0; round < 3; round++) {
		if (round == 1)
			CU_ASSERT_EQUAL(dp_acl_port_put(dp_get_acl(DP), L[E].key, &ce), 0);
		if (round == 2)
			CU_ASSERT(dp_acl_port_del(dp_get_acl(DP), L[E].key) > 0);
		unsigned want = round == 1 ? 0 : 1;
		send_udp(D, E, 100, 200, 1);
		CU_ASSERT_EQUAL(drain(E), want);
		struct rte_mbuf *m = t_pkt_ipv4(mp, L[D].macs[0].addr_bytes, bc,
						L[D].ips[0].addr, bcip, IPPROTO_UDP, 5353, 7000,
						64, 18);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		dp_pmd_apply_invalidations(pmd);
		dp_pmd_process(pmd, (uint16_t)P[D], &m, 1);
		dp_pmd_flush_tx(pmd);
		CU_ASSERT_EQUAL(drain(E), want);
		CU_ASSERT_EQUAL(drain_all(), 0);
	}
	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), avail0);
}

/* A megaflow that recirculates forever (every key, ct() with a recirc_id)
 * is cut at DP_RECIRC_MAX and counted. */
static void test_depth_cap(void)
{
	struct dp_pmd *pmd = DP->pmds[0];
	struct rte_mempool *mp = dp_mempool(DP);
	unsigned avail0 = rte_mempool_avail_count(mp);
	dp_pmd_apply_invalidations(pmd);
	dp_mfc_flush(pmd->mfc);
	struct dp_megaflow_spec spec;
	memset(&spec, 0, sizeof(spec));
	spec.actions[0].type = DP_ACT_CT;
	spec.actions[0].port = 99;
	spec.actions[0].data[1] = 3;
	spec.n_actions = 1;
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp_mfc_insert(pmd->mfc, &spec));
	uint64_t d0 = drops(DP_DROP_RECIRC_DEPTH), rc0 = pmd->st.recirculations;
	struct rte_mbuf *m = t_pkt_ipv4(mp, L[E].macs[0].addr_bytes, L[D].macs[0].addr_bytes,
					L[E].ips[0].addr, L[D].ips[0].addr, IPPROTO_UDP, 1, 2,
					64, 18);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	dp_pmd_process(pmd, (uint16_t)P[E], &m, 1);
	dp_pmd_flush_tx(pmd);
	CU_ASSERT_EQUAL(drops(DP_DROP_RECIRC_DEPTH) - d0, 1);
	CU_ASSERT_EQUAL(pmd->st.recirculations - rc0, DP_RECIRC_MAX);
	CU_ASSERT_EQUAL(drain_all(), 0);
	dp_mfc_flush(pmd->mfc);
	CU_ASSERT_EQUAL(rte_mempool_avail_count(mp), avail0);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "sg_stage_test", "-l", "0,1", "--vdev=net_ring0",
		       "--vdev=net_ring1", "--vdev=net_ring2", "--vdev=net_ring3",
		       "--vdev=net_ring4", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("security groups through the pmd", init, clean);
	CU_add_test(s, "stateful: commit, replies, unsolicited, two zones, flush",
		    test_stateful);
	CU_add_test(s, "stateless group and ports without groups", test_stateless_and_plain);
	CU_add_test(s, "translate: ct passes, mask, trace", test_translate_trace);
	CU_add_test(s, "both ends stateful: one pass decides both zones", test_two_zone_pass);
	CU_add_test(s, "flood: only to ports whose ingress rules allow it", test_flood);
	CU_add_test(s, "an ACL appearing/going invalidates cached megaflows", test_acl_appears);
	CU_add_test(s, "recirculation depth cap", test_depth_cap);
	return t_run_all();
}
