/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_rte_flow.c — the backend for NICs: rte_flow.
 *
 * probe validates one representative rule per capability (pattern
 * ETH / IPV4 / UDP for the actions; the match tiers alone with a QUEUE or
 * DROP fate) and returns the set the port accepted.  The manager calls it
 * once per port and caches it: no validation per megaflow, let alone per
 * packet.  put = rte_flow_create of the planner's arrays (a failed create
 * is then validated to tell "this pattern" from "this port"; see rtef_put);
 * del = destroy; query = COUNT query; flush = rte_flow_flush.
 * Thread: the manager's (under its lock).
 */
#define ALLOW_EXPERIMENTAL_API 1 /* rte_flow_get_aged_flows (experimental in 22.11) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include "ofl_provider.h"

struct rtef {
	struct ofl_backend base;
	char err[96];
	unsigned probe_calls;
	int no_has_vlan;    /* the port refuses ETH.has_vlan (net_tap) */
};

static struct rtef *R(struct ofl_backend *b)
{
	return (struct rtef *)b;
}

static void set_err(struct rtef *r, const struct rte_flow_error *e, int rc)
{
	snprintf(r->err, sizeof(r->err), "%s", e->message ? e->message : rte_strerror(-rc));
}

static struct ofl_backend *rtef_open(uint16_t eth_port, uint16_t dp_port, const char *args)
{
	if (!rte_eth_dev_is_valid_port(eth_port)) {
		errno = ENODEV;
		return NULL;
	}
	struct rtef *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->base.drv = &ofl_rte_flow_driver;
	r->base.eth_port = eth_port;
	r->base.dp_port = dp_port;
	return &r->base;
}

static void rtef_close(struct ofl_backend *b)
{
	free(b);
}

/* Validate pattern (ETH/IPV4/UDP unless given) with the actions; 1 = accepted. */
static int try_rule(uint16_t port, const struct rte_flow_item *pat,
		    const struct rte_flow_action *acts, int transfer)
{
	struct rte_flow_attr attr = { .ingress = !transfer, .transfer = (uint32_t)!!transfer };
	struct rte_flow_error e;
	static const struct rte_flow_item_ipv4 ip_spec = { .hdr.dst_addr = 0x0100000a };
	static const struct rte_flow_item_ipv4 ip_mask = { .hdr.dst_addr = 0xffffffff };
	struct rte_flow_item def[] = {
		{ .type = RTE_FLOW_ITEM_TYPE_ETH },
		{ .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &ip_spec, .mask = &ip_mask },
		{ .type = RTE_FLOW_ITEM_TYPE_UDP },
		{ .type = RTE_FLOW_ITEM_TYPE_END },
	};
	memset(&e, 0, sizeof(e));
	return rte_flow_validate(port, &attr, pat ? pat : def, acts, &e) == 0;
}

static int rtef_probe(struct ofl_backend *b, uint32_t *caps)
{
	uint16_t port = b->eth_port;
	uint32_t c = 0;
	R(b)->probe_calls++;
	struct rte_flow_action_queue q0 = { .index = 0 };
	struct rte_flow_action_mark mk = { .id = 1 };
	uint16_t queues[1] = { 0 };
	struct rte_flow_action_rss rss = { .queue_num = 1, .queue = queues,
					   .types = RTE_ETH_RSS_IP };
	struct rte_flow_action_set_mac smac = { .mac_addr = { 2, 0, 0, 0, 0, 1 } };
	struct rte_flow_action_of_push_vlan pv = { .ethertype = RTE_BE16(0x8100) };
	struct rte_flow_action_of_set_vlan_vid vid = { .vlan_vid = RTE_BE16(10) };
	struct rte_flow_action_age age = { .timeout = 10 };
	struct rte_flow_action_ethdev out = { .port_id = port };
	static uint8_t raw[50];
	struct rte_flow_action_raw_encap re = { .data = raw, .size = sizeof(raw) };
	struct rte_flow_item_eth ee = { .hdr.ether_type = RTE_BE16(0x0800) };
	struct rte_flow_item_ipv4 ei = { .hdr = { .version_ihl = 0x45, .time_to_live = 64,
						  .next_proto_id = 17 } };
	struct rte_flow_item_udp eu = { .hdr.dst_port = RTE_BE16(4789) };
	struct rte_flow_item_vxlan ev = { .hdr.vx_flags = RTE_BE32(0x08000000) };
	struct rte_flow_item encap[] = {
		{ .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &ee },
		{ .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &ei },
		{ .type = RTE_FLOW_ITEM_TYPE_UDP, .spec = &eu },
		{ .type = RTE_FLOW_ITEM_TYPE_VXLAN, .spec = &ev },
		{ .type = RTE_FLOW_ITEM_TYPE_END },
	};
	struct rte_flow_action_vxlan_encap ve = { .definition = encap };
#define A(t, c) { .type = RTE_FLOW_ACTION_TYPE_##t, .conf = c }
#define END A(END, NULL)
	struct rte_flow_action a_drop[] = { A(DROP, NULL), END };
	struct rte_flow_action a_queue[] = { A(QUEUE, &q0), END };
	struct rte_flow_action a_rss[] = { A(RSS, &rss), END };
	struct rte_flow_action a_mark[] = { A(MARK, &mk), A(QUEUE, &q0), END };
	struct rte_flow_action a_mark_rss[] = { A(MARK, &mk), A(RSS, &rss), END };
	struct rte_flow_action a_count[] = { A(COUNT, NULL), A(QUEUE, &q0), END };
	struct rte_flow_action a_age[] = { A(AGE, &age), A(QUEUE, &q0), END };
	struct rte_flow_action a_port[] = { A(REPRESENTED_PORT, &out), END };
	struct rte_flow_action a_smac[] = { A(SET_MAC_SRC, &smac), A(QUEUE, &q0), END };
	struct rte_flow_action a_push[] = { A(OF_PUSH_VLAN, &pv), A(OF_SET_VLAN_VID, &vid),
					    A(QUEUE, &q0), END };
	struct rte_flow_action a_pop[] = { A(OF_POP_VLAN, NULL), A(QUEUE, &q0), END };
	struct rte_flow_action a_vx[] = { A(VXLAN_ENCAP, &ve), A(QUEUE, &q0), END };
	struct rte_flow_action a_raw[] = { A(RAW_ENCAP, &re), A(QUEUE, &q0), END };
#undef A
#undef END
	struct rte_flow_item p_l2[] = { { .type = RTE_FLOW_ITEM_TYPE_ETH },
					{ .type = RTE_FLOW_ITEM_TYPE_END } };
	struct rte_flow_item p_l3[] = { { .type = RTE_FLOW_ITEM_TYPE_ETH },
					{ .type = RTE_FLOW_ITEM_TYPE_IPV4 },
					{ .type = RTE_FLOW_ITEM_TYPE_END } };
	struct rte_flow_item_ethdev src = { .port_id = port };
	struct rte_flow_item p_tr[] = { { .type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT,
					  .spec = &src },
					{ .type = RTE_FLOW_ITEM_TYPE_ETH },
					{ .type = RTE_FLOW_ITEM_TYPE_END } };
	const struct rte_flow_action *fate = a_queue;
	if (try_rule(port, NULL, a_drop, 0))
		c |= OFL_CAP_DROP;
	if (try_rule(port, NULL, a_queue, 0))
		c |= OFL_CAP_QUEUE;
	if (try_rule(port, NULL, a_rss, 0))
		c |= OFL_CAP_RSS;
	if (!(c & OFL_CAP_QUEUE) && (c & OFL_CAP_DROP))
		fate = a_drop;
	if (try_rule(port, p_l2, fate, 0))
		c |= OFL_CAP_MATCH_L2;
	/* ETH.has_vlan (the planner's "untagged" bit): net_tap's flower
	 * translation refuses it; put then leaves it out where ETH.type
	 * already excludes tagged frames */
	struct rte_flow_item_eth hv_s = { .has_vlan = 0 }, hv_m = { .has_vlan = 1 };
	struct rte_flow_item p_hv[] = { { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &hv_s,
					  .mask = &hv_m },
					{ .type = RTE_FLOW_ITEM_TYPE_END } };
	R(b)->no_has_vlan = !try_rule(port, p_hv, fate, 0);
	if (try_rule(port, p_l3, fate, 0))
		c |= OFL_CAP_MATCH_L3 | OFL_CAP_MATCH_L2;
	if (try_rule(port, NULL, fate, 0))
		c |= OFL_CAP_MATCH_ALL;
	if (try_rule(port, NULL, a_mark, 0) || try_rule(port, NULL, a_mark_rss, 0))
		c |= OFL_CAP_MARK;
	if (try_rule(port, NULL, a_count, 0))
		c |= OFL_CAP_COUNT;
	if (try_rule(port, NULL, a_age, 0))
		c |= OFL_CAP_AGE;
	if (try_rule(port, p_tr, a_port, 1))
		c |= OFL_CAP_PORT;
	if (try_rule(port, NULL, a_smac, 0))
		c |= OFL_CAP_SET_MAC;
	if (try_rule(port, NULL, a_push, 0))
		c |= OFL_CAP_VLAN_PUSH;
	if (try_rule(port, NULL, a_pop, 0))
		c |= OFL_CAP_VLAN_POP;
	if (try_rule(port, NULL, a_vx, 0))
		c |= OFL_CAP_VXLAN_ENCAP;
	if (try_rule(port, NULL, a_raw, 0))
		c |= OFL_CAP_RAW_ENCAP;
	*caps = c;
	return 0;
}

#define RTEF_MAX_ITEMS 16

/* The rule's pattern for a port that refuses ETH.has_vlan: "untagged"
 * (has_vlan 0) is left out when ETH.type is exact and not a VLAN TPID (the
 * type of a tagged frame is its TPID, so the type alone excludes tagged
 * frames).  Returns the pattern to use (pat or the copy in out/eth), NULL
 * when the rule needs has_vlan. */
static const struct rte_flow_item *strip_has_vlan(const struct rte_flow_item *pat,
						  struct rte_flow_item *out,
						  struct rte_flow_item_eth eth[2])
{
	unsigned n = 0;
	int changed = 0;
	for (; n < RTEF_MAX_ITEMS && pat[n].type != RTE_FLOW_ITEM_TYPE_END; n++) {
		out[n] = pat[n];
		const struct rte_flow_item_eth *s = pat[n].spec, *m = pat[n].mask;
		if (pat[n].type != RTE_FLOW_ITEM_TYPE_ETH || m == NULL || !m->has_vlan || changed)
			continue;
		uint16_t t = rte_be_to_cpu_16(s->hdr.ether_type);
		if (s->has_vlan || m->hdr.ether_type != 0xffff || t == RTE_ETHER_TYPE_VLAN ||
		    t == RTE_ETHER_TYPE_QINQ)
			return NULL;
		eth[0] = *s;
		eth[1] = *m;
		eth[0].has_vlan = eth[1].has_vlan = 0;
		out[n].spec = &eth[0];
		out[n].mask = &eth[1];
		changed = 1;
	}
	if (n == RTEF_MAX_ITEMS)
		return NULL;
	out[n] = pat[n];
	return changed ? out : pat;
}

/* A failed create is told apart by validating the same rule: refused by
 * validate = this megaflow's pattern/actions (-OFL_EFLOW: the port's other
 * megaflows are still tried); validate passes = the port cannot create
 * what it validates (net_tap without TC flower in the kernel): the error
 * is returned as is and the manager refuses the tier for the port when it
 * never worked there (ofl.c). */
static int rtef_put(struct ofl_backend *b, const struct ofl_rule *r, uint64_t *handle)
{
	struct rte_flow_error e;
	struct rte_flow_item items[RTEF_MAX_ITEMS + 1];
	struct rte_flow_item_eth eth[2];
	const struct rte_flow_item *pat = r->pattern;
	memset(&e, 0, sizeof(e));
	if (R(b)->no_has_vlan && (pat = strip_has_vlan(r->pattern, items, eth)) == NULL) {
		snprintf(R(b)->err, sizeof(R(b)->err), "port cannot match untagged-only");
		return -OFL_EFLOW;
	}
	struct rte_flow *f = rte_flow_create(b->eth_port, &r->attr, pat, r->actions, &e);
	if (f == NULL) {
		int rc = rte_errno ? -rte_errno : -EIO;
		char msg[80];
		snprintf(msg, sizeof(msg), "%s", e.message ? e.message : rte_strerror(-rc));
		memset(&e, 0, sizeof(e));
		if (rc != -ENOSPC && rc != -ENOMEM &&
		    rte_flow_validate(b->eth_port, &r->attr, pat, r->actions, &e) != 0) {
			snprintf(R(b)->err, sizeof(R(b)->err), "pattern: %s", msg);
			return -OFL_EFLOW;
		}
		snprintf(R(b)->err, sizeof(R(b)->err), "create: %s", msg);
		if (rc == -ENOTSUP || rc == -ENOSYS)
			rc = -EOPNOTSUPP;
		else if (rc == -ENOMEM)
			rc = -ENOSPC;
		return rc;
	}
	*handle = (uint64_t)(uintptr_t)f;
	return 0;
}

static int rtef_del(struct ofl_backend *b, uint64_t handle)
{
	struct rte_flow_error e;
	memset(&e, 0, sizeof(e));
	int rc = rte_flow_destroy(b->eth_port, (struct rte_flow *)(uintptr_t)handle, &e);
	if (rc)
		set_err(R(b), &e, rc);
	return rc;
}

static int rtef_query(struct ofl_backend *b, uint64_t handle, struct ofl_flow_stats *st)
{
	struct rte_flow_error e;
	struct rte_flow_query_count qc = { .reset = 0 };
	struct rte_flow_action count[] = {
		{ .type = RTE_FLOW_ACTION_TYPE_COUNT },
		{ .type = RTE_FLOW_ACTION_TYPE_END },
	};
	memset(&e, 0, sizeof(e));
	int rc = rte_flow_query(b->eth_port, (struct rte_flow *)(uintptr_t)handle, count, &qc, &e);
	if (rc) {
		set_err(R(b), &e, rc);
		return rc == -ENOTSUP ? -EOPNOTSUPP : rc;
	}
	if (qc.hits != st->packets)
		st->last_used = rte_get_tsc_cycles();
	st->packets = qc.hits_set ? qc.hits : 0;
	st->bytes = qc.bytes_set ? qc.bytes : 0;
	return 0;
}

static int rtef_flush(struct ofl_backend *b)
{
	struct rte_flow_error e;
	memset(&e, 0, sizeof(e));
	int rc = rte_flow_flush(b->eth_port, &e);
	if (rc)
		set_err(R(b), &e, rc);
	return rc;
}

/* Aged rules: their AGE contexts (the manager's serials).  A driver that
 * cannot tell (-ENOTSUP) has none. */
static int rtef_aged(struct ofl_backend *b, uint64_t *ctx, unsigned max)
{
	struct rte_flow_error e;
	void *c[64];
	if (max > RTE_DIM(c))
		max = RTE_DIM(c);
	memset(&e, 0, sizeof(e));
	int n = rte_flow_get_aged_flows(b->eth_port, c, max, &e);
	if (n < 0) {
		if (n == -ENOTSUP || n == -ENOSYS)
			return 0;
		set_err(R(b), &e, n);
		return n;
	}
	for (int i = 0; i < n; i++)
		ctx[i] = (uint64_t)(uintptr_t)c[i];
	return n;
}

static const char *rtef_last_error(struct ofl_backend *b)
{
	return R(b)->err;
}

const struct ofl_driver ofl_rte_flow_driver = {
	.name = "rte_flow",
	.open = rtef_open,
	.close = rtef_close,
	.probe = rtef_probe,
	.put = rtef_put,
	.del = rtef_del,
	.query = rtef_query,
	.flush = rtef_flush,
	.last_error = rtef_last_error,
	.aged = rtef_aged,
};
