/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_plan_test.c — the planner, one capability set per test:
 * the decision, the reason, and the generated rte_flow pattern and actions
 * checked field by field.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>

#include "ofl_plan.h"
#include "test_main.h"

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t MAC_R[6] = { 0x02, 0, 0, 0, 0, 0xee };   /* remote VTEP */

/* dp port 1 -> eth 1, 2 -> eth 5 (same domain 7), 3 -> eth 9 (domain 8) */
static int t_lookup(void *arg, uint16_t dp, uint16_t *eth, uint32_t *dom)
{
	switch (dp) {
	case 1: *eth = 1; *dom = 7; return 0;
	case 2: *eth = 5; *dom = 7; return 0;
	case 3: *eth = 9; *dom = 8; return 0;
	default: return -ENOENT;
	}
}

static struct ofl_plan_ctx t_ctx(const char *caps)
{
	char err[64];
	struct ofl_plan_ctx c = {
		.mode = OFL_MODE_AUTO, .dp_port = 1, .eth_port = 1, .domain = 7, .n_rxq = 1,
		.rxq = 0, .mark = 42, .port_lookup = t_lookup,
	};
	CU_ASSERT_FATAL(ofl_caps_parse(caps, &c.caps, err, sizeof(err)) == 0);
	return c;
}

/* in_port 1, eth 0a->0b, IPv4 10.0.0.1 -> 10.0.0.2 UDP 1234 -> 53; mask:
 * in_port, eth_dst, eth_type, ip_dst /32, ip_proto, tp_dst. */
static void t_udp_flow(struct dp_flow_key *k, struct dp_flow_key *m)
{
	memset(k, 0, sizeof(*k));
	memset(m, 0, sizeof(*m));
	k->in_port = 1;
	memcpy(k->eth_src, MAC_A, 6);
	memcpy(k->eth_dst, MAC_B, 6);
	k->eth_type = htons(0x0800);
	k->ip_proto = 17;
	k->ip_src[0] = 10, k->ip_src[3] = 1;
	k->ip_dst[0] = 10, k->ip_dst[3] = 2;
	k->tp_src = htons(1234);
	k->tp_dst = htons(53);
	DP_MARK(m, in_port);
	DP_MARK(m, recirc_id);
	DP_MARK(m, eth_dst);
	DP_MARK(m, eth_type);
	memset(m->ip_dst, 0xff, 4);
	DP_MARK(m, ip_proto);
	DP_MARK(m, tp_dst);
}

static struct dp_action t_act(unsigned type, uint16_t port)
{
	struct dp_action a = { .type = (uint16_t)type, .port = port };
	return a;
}

/* The ETH / IPV4 / UDP items of t_udp_flow starting at pattern[i]. */
static void t_check_udp_pattern(const struct ofl_rule *r, unsigned i)
{
	const struct rte_flow_item *p = r->pattern;
	CU_ASSERT_EQUAL_FATAL(p[i].type, RTE_FLOW_ITEM_TYPE_ETH);
	const struct rte_flow_item_eth *es = p[i].spec, *em = p[i].mask;
	CU_ASSERT(memcmp(&es->hdr.dst_addr, MAC_B, 6) == 0);
	CU_ASSERT(memcmp(&em->hdr.dst_addr, "\xff\xff\xff\xff\xff\xff", 6) == 0);
	CU_ASSERT(memcmp(&em->hdr.src_addr, "\0\0\0\0\0\0", 6) == 0); /* not masked */
	CU_ASSERT_EQUAL(es->hdr.ether_type, htons(0x0800));
	CU_ASSERT_EQUAL(em->hdr.ether_type, 0xffff);
	CU_ASSERT_EQUAL(em->has_vlan, 0);
	CU_ASSERT_EQUAL_FATAL(p[i + 1].type, RTE_FLOW_ITEM_TYPE_IPV4);
	const struct rte_flow_item_ipv4 *is = p[i + 1].spec, *im = p[i + 1].mask;
	CU_ASSERT_EQUAL(is->hdr.dst_addr, htonl(0x0a000002));
	CU_ASSERT_EQUAL(im->hdr.dst_addr, 0xffffffff);
	CU_ASSERT_EQUAL(im->hdr.src_addr, 0);
	CU_ASSERT_EQUAL(is->hdr.next_proto_id, 17);
	CU_ASSERT_EQUAL(im->hdr.next_proto_id, 0xff);
	CU_ASSERT_EQUAL(im->hdr.time_to_live, 0);
	CU_ASSERT_EQUAL_FATAL(p[i + 2].type, RTE_FLOW_ITEM_TYPE_UDP);
	const struct rte_flow_item_udp *us = p[i + 2].spec, *um = p[i + 2].mask;
	CU_ASSERT_EQUAL(us->hdr.dst_port, htons(53));
	CU_ASSERT_EQUAL(um->hdr.dst_port, 0xffff);
	CU_ASSERT_EQUAL(um->hdr.src_port, 0);
	CU_ASSERT_EQUAL(p[i + 3].type, RTE_FLOW_ITEM_TYPE_END);
}

/* Every capability: set MAC + output within the device -> FULL transfer rule. */
static void test_full_all(void)
{
	struct ofl_plan_ctx c = t_ctx("all");
	struct dp_flow_key k, m;
	struct dp_action a[2] = { t_act(DP_ACT_SET_ETH_DST, 0), t_act(DP_ACT_OUTPUT, 2) };
	memcpy(a[0].data, MAC_R, 6);
	t_udp_flow(&k, &m);
	struct ofl_rule *r = ofl_plan(&c, &k, &m, a, 2, OFL_FULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->decision, OFL_FULL);
	CU_ASSERT_EQUAL(r->mark, 0);
	CU_ASSERT_EQUAL(r->attr.transfer, 1);
	CU_ASSERT_EQUAL(r->out_dp_port, 2);
	CU_ASSERT_EQUAL(r->n_items, 4);
	CU_ASSERT_EQUAL_FATAL(r->pattern[0].type, RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT);
	CU_ASSERT_EQUAL(((const struct rte_flow_item_ethdev *)r->pattern[0].spec)->port_id, 1);
	t_check_udp_pattern(r, 1);
	CU_ASSERT_EQUAL_FATAL(r->n_actions, 3);
	CU_ASSERT_EQUAL(r->actions[0].type, RTE_FLOW_ACTION_TYPE_COUNT);
	CU_ASSERT_EQUAL_FATAL(r->actions[1].type, RTE_FLOW_ACTION_TYPE_SET_MAC_DST);
	CU_ASSERT(memcmp(((const struct rte_flow_action_set_mac *)r->actions[1].conf)->mac_addr,
			 MAC_R, 6) == 0);
	CU_ASSERT_EQUAL_FATAL(r->actions[2].type, RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
	CU_ASSERT_EQUAL(((const struct rte_flow_action_ethdev *)r->actions[2].conf)->port_id, 5);
	CU_ASSERT_EQUAL(r->actions[3].type, RTE_FLOW_ACTION_TYPE_END);
	ofl_rule_destroy(r);

	/* output to a port of another device: partial */
	a[1].port = 3;
	r = ofl_plan(&c, &k, &m, a, 2, OFL_FULL);
	CU_ASSERT_EQUAL(r->decision, OFL_PARTIAL);
	CU_ASSERT_STRING_EQUAL(r->why, "output port 3 on another device");
	ofl_rule_destroy(r);
}

/* MARK + QUEUE only (one rx queue): PARTIAL, the pattern alone + MARK/QUEUE. */
static void test_partial_mark_queue(void)
{
	struct ofl_plan_ctx c = t_ctx("mark,queue");
	struct dp_flow_key k, m;
	struct dp_action a[2] = { t_act(DP_ACT_SET_ETH_DST, 0), t_act(DP_ACT_OUTPUT, 2) };
	t_udp_flow(&k, &m);
	c.rxq = 3;
	struct ofl_rule *r = ofl_plan(&c, &k, &m, a, 2, OFL_FULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->decision, OFL_PARTIAL);
	CU_ASSERT_STRING_EQUAL(r->why, "port refuses SET_MAC");
	CU_ASSERT_EQUAL(r->attr.ingress, 1);
	CU_ASSERT_EQUAL(r->attr.transfer, 0);
	CU_ASSERT_EQUAL(r->n_items, 3);
	t_check_udp_pattern(r, 0);
	CU_ASSERT_EQUAL_FATAL(r->n_actions, 2);
	CU_ASSERT_EQUAL_FATAL(r->actions[0].type, RTE_FLOW_ACTION_TYPE_MARK);
	CU_ASSERT_EQUAL(((const struct rte_flow_action_mark *)r->actions[0].conf)->id, 42);
	CU_ASSERT_EQUAL(r->mark, 42);
	CU_ASSERT_EQUAL_FATAL(r->actions[1].type, RTE_FLOW_ACTION_TYPE_QUEUE);
	CU_ASSERT_EQUAL(((const struct rte_flow_action_queue *)r->actions[1].conf)->index, 3);
	CU_ASSERT_EQUAL(r->actions[2].type, RTE_FLOW_ACTION_TYPE_END);
	ofl_rule_destroy(r);
}

/* MARK + RSS + COUNT with 4 queues: COUNT, MARK, RSS over 0..3. */
static void test_partial_mark_rss(void)
{
	struct ofl_plan_ctx c = t_ctx("mark,rss,count");
	struct dp_flow_key k, m;
	struct dp_action a = t_act(DP_ACT_PUNT, 1);
	t_udp_flow(&k, &m);
	c.n_rxq = 4;
	struct ofl_rule *r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->decision, OFL_PARTIAL);
	CU_ASSERT_STRING_EQUAL(r->why, "action punt not offloadable");
	CU_ASSERT_EQUAL_FATAL(r->n_actions, 3);
	CU_ASSERT_EQUAL(r->actions[0].type, RTE_FLOW_ACTION_TYPE_COUNT);
	CU_ASSERT_EQUAL(r->actions[1].type, RTE_FLOW_ACTION_TYPE_MARK);
	CU_ASSERT_EQUAL_FATAL(r->actions[2].type, RTE_FLOW_ACTION_TYPE_RSS);
	const struct rte_flow_action_rss *rss = r->actions[2].conf;
	CU_ASSERT_EQUAL_FATAL(rss->queue_num, 4);
	for (unsigned q = 0; q < 4; q++)
		CU_ASSERT_EQUAL(rss->queue[q], q);
	ofl_rule_destroy(r);
}

/* What net_tap validates (drop, queue): a drop megaflow is FULL, a punt is
 * SOFTWARE with both reasons. */
static void test_tap_like(void)
{
	struct ofl_plan_ctx c = t_ctx("drop,queue");
	struct dp_flow_key k, m;
	struct dp_action a = t_act(DP_ACT_DROP, 0);
	t_udp_flow(&k, &m);
	struct ofl_rule *r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->decision, OFL_FULL);
	CU_ASSERT_EQUAL(r->attr.transfer, 0);
	t_check_udp_pattern(r, 0);
	CU_ASSERT_EQUAL_FATAL(r->n_actions, 1);
	CU_ASSERT_EQUAL(r->actions[0].type, RTE_FLOW_ACTION_TYPE_DROP);
	ofl_rule_destroy(r);

	a = t_act(DP_ACT_PUNT, 1);
	r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL(r->decision, OFL_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(r->why, "action punt not offloadable; port refuses MARK");
	CU_ASSERT_EQUAL(r->n_actions, 0);
	ofl_rule_destroy(r);

	/* flood too, and an output that is not last */
	struct dp_action fl[2] = { t_act(DP_ACT_OUTPUT, 2), t_act(DP_ACT_OUTPUT, 2) };
	c.caps |= OFL_CAP_PORT;
	r = ofl_plan(&c, &k, &m, fl, 2, OFL_FULL);
	CU_ASSERT_EQUAL(r->decision, OFL_SOFTWARE);
	CU_ASSERT(strstr(r->why, "action after output/drop not offloadable") != NULL);
	ofl_rule_destroy(r);
	fl[0] = t_act(DP_ACT_FLOOD, 2);
	r = ofl_plan(&c, &k, &m, fl, 1, OFL_FULL);
	CU_ASSERT(strstr(r->why, "action flood not offloadable") != NULL);
	ofl_rule_destroy(r);
}

/* AGE on a FULL rule: COUNT, AGE {timeout, context}, then the fate; the
 * timeout is capped at 24 bits; no AGE without the capability, without a
 * timeout, or on a PARTIAL rule. */
static void test_full_age(void)
{
	struct ofl_plan_ctx c = t_ctx("drop,count,age,mark,queue");
	struct dp_flow_key k, m;
	struct dp_action a = t_act(DP_ACT_DROP, 0);
	t_udp_flow(&k, &m);
	c.age_timeout = 10;
	c.age_context = 0x1234567890ULL;
	struct ofl_rule *r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->decision, OFL_FULL);
	t_check_udp_pattern(r, 0);
	CU_ASSERT_EQUAL_FATAL(r->n_actions, 3);
	CU_ASSERT_EQUAL(r->actions[0].type, RTE_FLOW_ACTION_TYPE_COUNT);
	CU_ASSERT_EQUAL_FATAL(r->actions[1].type, RTE_FLOW_ACTION_TYPE_AGE);
	const struct rte_flow_action_age *age = r->actions[1].conf;
	CU_ASSERT_PTR_NOT_NULL_FATAL(age);
	CU_ASSERT_EQUAL(age->timeout, 10);
	CU_ASSERT_EQUAL(age->reserved, 0);
	CU_ASSERT_EQUAL((uint64_t)(uintptr_t)age->context, 0x1234567890ULL);
	CU_ASSERT_EQUAL(r->actions[2].type, RTE_FLOW_ACTION_TYPE_DROP);
	CU_ASSERT_PTR_NULL(r->actions[2].conf);
	CU_ASSERT_EQUAL(r->actions[3].type, RTE_FLOW_ACTION_TYPE_END);
	ofl_rule_destroy(r);

	/* a timeout past 24 bits is capped, not wrapped */
	c.age_timeout = 0x1000005;
	r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->actions[1].type, RTE_FLOW_ACTION_TYPE_AGE);
	CU_ASSERT_EQUAL(((const struct rte_flow_action_age *)r->actions[1].conf)->timeout,
			0xffffff);
	ofl_rule_destroy(r);

	/* no timeout: no AGE */
	c.age_timeout = 0;
	r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->n_actions, 2);
	CU_ASSERT_EQUAL(r->actions[0].type, RTE_FLOW_ACTION_TYPE_COUNT);
	CU_ASSERT_EQUAL(r->actions[1].type, RTE_FLOW_ACTION_TYPE_DROP);
	ofl_rule_destroy(r);

	/* the port lacks AGE: none */
	c.age_timeout = 10;
	c.caps &= ~OFL_CAP_AGE;
	r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->n_actions, 2);
	CU_ASSERT_EQUAL(r->actions[1].type, RTE_FLOW_ACTION_TYPE_DROP);
	ofl_rule_destroy(r);

	/* PARTIAL (a punt): MARK + QUEUE (+ COUNT), never AGE (the PMD sees
	 * the packets and ages the megaflow itself) */
	c.caps |= OFL_CAP_AGE;
	a = t_act(DP_ACT_PUNT, 1);
	r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->decision, OFL_PARTIAL);
	for (unsigned i = 0; i < r->n_actions; i++)
		CU_ASSERT_NOT_EQUAL(r->actions[i].type, RTE_FLOW_ACTION_TYPE_AGE);
	ofl_rule_destroy(r);
}

/* VXLAN_ENCAP: the definition carries the outer headers of the tnl_push. */
static void test_full_vxlan(void)
{
	struct ofl_plan_ctx c = t_ctx("vxlan_encap,port,mark,queue");
	struct dp_overlay_cfg ovl = { .uplink = 2, .vtep_ip = htonl(0xc0a80001),
				      .encap = DP_ENCAP_VXLAN, .underlay_mtu = 1500 };
	memcpy(&ovl.vtep_mac, MAC_A, 6);
	c.ovl = &ovl;
	struct dp_flow_key k, m;
	t_udp_flow(&k, &m);
	struct dp_action a[2] = { t_act(DP_ACT_TNL_PUSH, 0), t_act(DP_ACT_OUTPUT, 2) };
	a[0].u32 = htonl(0xc0a80002);
	memcpy(a[0].data, MAC_R, 6);
	a[0].data[6] = DP_ENCAP_NONE;   /* the overlay default: VXLAN */
	dp_act_set_vni(&a[0], 0x123456);
	struct ofl_rule *r = ofl_plan(&c, &k, &m, a, 2, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->decision, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->n_actions, 2);
	CU_ASSERT_EQUAL_FATAL(r->actions[0].type, RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP);
	const struct rte_flow_item *d =
		((const struct rte_flow_action_vxlan_encap *)r->actions[0].conf)->definition;
	CU_ASSERT_EQUAL_FATAL(d[0].type, RTE_FLOW_ITEM_TYPE_ETH);
	const struct rte_flow_item_eth *eth = d[0].spec;
	CU_ASSERT(memcmp(&eth->hdr.dst_addr, MAC_R, 6) == 0);
	CU_ASSERT(memcmp(&eth->hdr.src_addr, MAC_A, 6) == 0);
	CU_ASSERT_EQUAL(eth->hdr.ether_type, htons(0x0800));
	CU_ASSERT_EQUAL_FATAL(d[1].type, RTE_FLOW_ITEM_TYPE_IPV4);
	const struct rte_flow_item_ipv4 *ip = d[1].spec;
	CU_ASSERT_EQUAL(ip->hdr.src_addr, htonl(0xc0a80001));
	CU_ASSERT_EQUAL(ip->hdr.dst_addr, htonl(0xc0a80002));
	CU_ASSERT_EQUAL(ip->hdr.next_proto_id, 17);
	CU_ASSERT_EQUAL(ip->hdr.time_to_live, 64);
	CU_ASSERT_EQUAL_FATAL(d[2].type, RTE_FLOW_ITEM_TYPE_UDP);
	CU_ASSERT_EQUAL(((const struct rte_flow_item_udp *)d[2].spec)->hdr.dst_port,
			htons(4789));
	CU_ASSERT_EQUAL_FATAL(d[3].type, RTE_FLOW_ITEM_TYPE_VXLAN);
	const struct rte_flow_item_vxlan *vx = d[3].spec;
	CU_ASSERT_EQUAL(vx->flags, 0x08);
	CU_ASSERT(vx->vni[0] == 0x12 && vx->vni[1] == 0x34 && vx->vni[2] == 0x56);
	CU_ASSERT_EQUAL(d[4].type, RTE_FLOW_ITEM_TYPE_END);
	CU_ASSERT_EQUAL(r->actions[1].type, RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
	ofl_rule_destroy(r);

	/* Geneve toward this neighbour: VXLAN_ENCAP cannot, RAW_ENCAP can */
	a[0].data[6] = DP_ENCAP_GENEVE;
	r = ofl_plan(&c, &k, &m, a, 2, OFL_FULL);
	CU_ASSERT_EQUAL(r->decision, OFL_PARTIAL);
	CU_ASSERT_STRING_EQUAL(r->why, "port refuses Geneve encap");
	ofl_rule_destroy(r);
	c.caps |= OFL_CAP_RAW_ENCAP;
	r = ofl_plan(&c, &k, &m, a, 2, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->decision, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->actions[0].type, RTE_FLOW_ACTION_TYPE_RAW_ENCAP);
	const struct rte_flow_action_raw_encap *re = r->actions[0].conf;
	CU_ASSERT_EQUAL(re->size, 50);
	CU_ASSERT(memcmp(re->data, MAC_R, 6) == 0);
	CU_ASSERT_EQUAL(re->data[36], 6081 >> 8);   /* UDP dst port */
	CU_ASSERT_EQUAL(re->data[37], 6081 & 0xff);
	CU_ASSERT(re->data[44] == 0x65 && re->data[45] == 0x58);   /* Geneve protocol */
	CU_ASSERT(re->data[46] == 0x12 && re->data[47] == 0x34 && re->data[48] == 0x56);
	ofl_rule_destroy(r);

	/* no overlay config: not offloadable, and no MARK to fall back on */
	c.ovl = NULL;
	c.caps &= ~OFL_CAP_MARK;
	r = ofl_plan(&c, &k, &m, a, 2, OFL_FULL);
	CU_ASSERT_EQUAL(r->decision, OFL_SOFTWARE);
	CU_ASSERT(strstr(r->why, "tunnel push without overlay config") != NULL);
	ofl_rule_destroy(r);
}

/* VLAN match, push and pop. */
static void test_vlan(void)
{
	struct ofl_plan_ctx c = t_ctx("vlan_push,vlan_pop,port");
	struct dp_flow_key k, m;
	t_udp_flow(&k, &m);
	k.vlan_tci = DP_VLAN_PRESENT | (3 << 13) | 100;
	m.vlan_tci = 0xffff;
	struct dp_action a[2] = { t_act(DP_ACT_POP_VLAN, 0), t_act(DP_ACT_OUTPUT, 2) };
	struct ofl_rule *r = ofl_plan(&c, &k, &m, a, 2, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->decision, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->pattern[1].type, RTE_FLOW_ITEM_TYPE_ETH);
	const struct rte_flow_item_eth *es = r->pattern[1].spec, *em = r->pattern[1].mask;
	CU_ASSERT(es->has_vlan == 1 && em->has_vlan == 1);
	CU_ASSERT_EQUAL(em->hdr.ether_type, 0);   /* the TPID is not matched */
	CU_ASSERT_EQUAL_FATAL(r->pattern[2].type, RTE_FLOW_ITEM_TYPE_VLAN);
	const struct rte_flow_item_vlan *vs = r->pattern[2].spec, *vm = r->pattern[2].mask;
	CU_ASSERT_EQUAL(ntohs(vs->hdr.vlan_tci), (3 << 13) | 100);
	CU_ASSERT_EQUAL(ntohs(vm->hdr.vlan_tci), 0xefff);
	CU_ASSERT_EQUAL(vs->hdr.eth_proto, htons(0x0800));
	CU_ASSERT_EQUAL(r->pattern[3].type, RTE_FLOW_ITEM_TYPE_IPV4);
	CU_ASSERT_EQUAL(r->actions[0].type, RTE_FLOW_ACTION_TYPE_OF_POP_VLAN);
	ofl_rule_destroy(r);

	/* untagged + push VID 200 PCP 5 */
	k.vlan_tci = 0;
	a[0] = t_act(DP_ACT_PUSH_VLAN, (5 << 13) | 200);
	r = ofl_plan(&c, &k, &m, a, 2, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->decision, OFL_FULL);
	es = r->pattern[1].spec;
	em = r->pattern[1].mask;
	CU_ASSERT(es->has_vlan == 0 && em->has_vlan == 1);
	CU_ASSERT_EQUAL(r->pattern[2].type, RTE_FLOW_ITEM_TYPE_IPV4);
	CU_ASSERT_EQUAL_FATAL(r->actions[0].type, RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN);
	CU_ASSERT_EQUAL(((const struct rte_flow_action_of_push_vlan *)r->actions[0].conf)
			->ethertype, htons(0x8100));
	CU_ASSERT_EQUAL_FATAL(r->actions[1].type, RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID);
	CU_ASSERT_EQUAL(((const struct rte_flow_action_of_set_vlan_vid *)r->actions[1].conf)
			->vlan_vid, htons(200));
	CU_ASSERT_EQUAL_FATAL(r->actions[2].type, RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP);
	CU_ASSERT_EQUAL(((const struct rte_flow_action_of_set_vlan_pcp *)r->actions[2].conf)
			->vlan_pcp, 5);
	CU_ASSERT_EQUAL(r->actions[3].type, RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
	ofl_rule_destroy(r);
}

/* IPv6 / ICMPv6 with a /64 source prefix and the traffic class. */
static void test_ipv6_icmp6(void)
{
	struct ofl_plan_ctx c = t_ctx("drop");
	struct dp_flow_key k, m;
	memset(&k, 0, sizeof(k));
	memset(&m, 0, sizeof(m));
	k.in_port = 1;
	k.eth_type = htons(0x86dd);
	k.ip_proto = 58;
	k.ip_src[0] = 0xfd;
	k.ip_src[15] = 1;
	k.ip_tos = 0x2e;
	k.tp_src = htons(128);
	DP_MARK(&m, eth_type);
	DP_MARK(&m, ip_proto);
	memset(m.ip_src, 0xff, 8);
	DP_MARK(&m, ip_tos);
	DP_MARK(&m, tp_src);
	DP_MARK(&m, ip_frag);   /* not a fragment */
	struct dp_action a = t_act(DP_ACT_DROP, 0);
	struct ofl_rule *r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->decision, OFL_FULL);
	CU_ASSERT_EQUAL_FATAL(r->n_items, 3);
	CU_ASSERT_EQUAL_FATAL(r->pattern[1].type, RTE_FLOW_ITEM_TYPE_IPV6);
	const struct rte_flow_item_ipv6 *s = r->pattern[1].spec, *mm = r->pattern[1].mask;
	CU_ASSERT_EQUAL(s->hdr.src_addr[0], 0xfd);
	CU_ASSERT_EQUAL(s->hdr.src_addr[15], 0);   /* masked away by the /64 */
	CU_ASSERT_EQUAL(mm->hdr.src_addr[7], 0xff);
	CU_ASSERT_EQUAL(mm->hdr.src_addr[8], 0);
	CU_ASSERT_EQUAL(s->hdr.proto, 58);
	CU_ASSERT_EQUAL(ntohl(s->hdr.vtc_flow), 0x2eu << 20);
	CU_ASSERT_EQUAL(ntohl(mm->hdr.vtc_flow), 0xffu << 20);
	CU_ASSERT(mm->has_frag_ext == 1 && s->has_frag_ext == 0);
	CU_ASSERT_EQUAL_FATAL(r->pattern[2].type, RTE_FLOW_ITEM_TYPE_ICMP6);
	const struct rte_flow_item_icmp6 *is = r->pattern[2].spec, *im = r->pattern[2].mask;
	CU_ASSERT(is->type == 128 && im->type == 0xff && im->code == 0);
	ofl_rule_destroy(r);
}

/* Matches rte_flow cannot express stay in software whatever the caps. */
static void test_unexpressible(void)
{
	struct ofl_plan_ctx c = t_ctx("all");
	struct dp_flow_key k, m;
	struct dp_action a = t_act(DP_ACT_DROP, 0);
	struct ofl_rule *r;

	t_udp_flow(&k, &m);
	k.eth_type = htons(0x0806);
	k.ip_proto = k.tp_dst = 0;
	m.ip_proto = m.tp_dst = 0;
	memset(m.ip_dst, 0, 4);
	k.arp_op = htons(1);
	DP_MARK(&m, arp_op);
	r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL(r->decision, OFL_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(r->why, "match on ARP/ND fields");
	ofl_rule_destroy(r);

	/* tunnel metadata on the uplink */
	struct dp_overlay_cfg ovl = { .uplink = 1, .vtep_ip = 1, .encap = DP_ENCAP_VXLAN };
	c.ovl = &ovl;
	t_udp_flow(&k, &m);
	k.tun_vni = 100;
	DP_MARK(&m, tun_vni);
	r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL(r->decision, OFL_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(r->why, "match on tunnel metadata");
	ofl_rule_destroy(r);

	/* IPv4 "is a fragment" */
	c.ovl = NULL;
	t_udp_flow(&k, &m);
	k.ip_frag = DP_FRAG_ANY;
	DP_MARK(&m, ip_frag);
	r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_STRING_EQUAL(r->why, "match on IPv4 fragments");
	ofl_rule_destroy(r);

	/* a port without L4 match */
	c = t_ctx("match_l2,match_l3,drop,mark,queue");
	t_udp_flow(&k, &m);
	r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL(r->decision, OFL_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(r->why, "port refuses L4 match");
	ofl_rule_destroy(r);
}

/* mode partial skips FULL; mode full never falls back to PARTIAL. */
static void test_modes(void)
{
	struct ofl_plan_ctx c = t_ctx("all");
	struct dp_flow_key k, m;
	struct dp_action a = t_act(DP_ACT_DROP, 0);
	t_udp_flow(&k, &m);
	c.mode = OFL_MODE_PARTIAL;
	struct ofl_rule *r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL(r->decision, OFL_PARTIAL);
	CU_ASSERT_STRING_EQUAL(r->why, "mode partial");
	ofl_rule_destroy(r);
	c.mode = OFL_MODE_FULL;
	a = t_act(DP_ACT_PUNT, 1);
	r = ofl_plan(&c, &k, &m, &a, 1, OFL_FULL);
	CU_ASSERT_EQUAL(r->decision, OFL_SOFTWARE);
	CU_ASSERT_STRING_EQUAL(r->why, "action punt not offloadable; mode full");
	ofl_rule_destroy(r);
	/* retry after a refused FULL */
	c.mode = OFL_MODE_AUTO;
	a = t_act(DP_ACT_DROP, 0);
	r = ofl_plan(&c, &k, &m, &a, 1, OFL_PARTIAL);
	CU_ASSERT_EQUAL(r->decision, OFL_PARTIAL);
	ofl_rule_destroy(r);
}

static void test_caps_parse(void)
{
	uint32_t caps;
	char err[64], buf[256];
	CU_ASSERT_EQUAL(ofl_caps_parse("mark,queue,drop,count", &caps, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(caps, OFL_CAP_MARK | OFL_CAP_QUEUE | OFL_CAP_DROP | OFL_CAP_COUNT |
			OFL_CAP_MATCH_ALL);
	ofl_caps_format(buf, sizeof(buf), caps);
	CU_ASSERT_STRING_EQUAL(buf, "match_l2,match_l3,match_l4,drop,queue,mark,count");
	CU_ASSERT_EQUAL(ofl_caps_parse("mark,qeueu", &caps, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown capability 'qeueu'");
	CU_ASSERT_EQUAL(ofl_mode_parse("partial"), OFL_MODE_PARTIAL);
	CU_ASSERT_EQUAL(ofl_mode_parse("fast"), -EINVAL);
}

int main(int argc, char **argv)
{
	if (t_eal_init(argv[0], "ofl_plan", (char *)NULL) != 0)
		return 1;
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("ofl_plan", NULL, NULL);
	CU_add_test(s, "full: every capability", test_full_all);
	CU_add_test(s, "partial: mark+queue", test_partial_mark_queue);
	CU_add_test(s, "partial: mark+rss+count", test_partial_mark_rss);
	CU_add_test(s, "tap-like: drop+queue", test_tap_like);
	CU_add_test(s, "full: vxlan/geneve encap", test_full_vxlan);
	CU_add_test(s, "full: AGE action", test_full_age);
	CU_add_test(s, "full: vlan match, push, pop", test_vlan);
	CU_add_test(s, "full: ipv6/icmp6", test_ipv6_icmp6);
	CU_add_test(s, "software: unexpressible matches", test_unexpressible);
	CU_add_test(s, "modes", test_modes);
	CU_add_test(s, "caps parse/format", test_caps_parse);
	return t_run_all();
}
