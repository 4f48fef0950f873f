/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_plan.c — megaflow -> FULL / PARTIAL / SOFTWARE, and the
 * rte_flow pattern + actions.
 *
 * The pattern is built from the megaflow mask: only masked fields become
 * spec/mask pairs, with the megaflow's own (possibly partial) masks, so the
 * hardware rule matches exactly the packets the megaflow matches.  Fields
 * rte_flow cannot express (ARP, ND, conntrack, tunnel metadata on the uplink,
 * IPv4 "any fragment") make the megaflow SOFTWARE: a rule matching more than
 * the megaflow would steer other flows to its actions.
 *
 * Actions: FULL takes only what the port states it can do (output within the
 * switch domain, drop, set MAC, VLAN push/pop, VXLAN/Geneve encap) and ends
 * with exactly one output or a drop; COUNT (and AGE) are added when the port
 * has them.  PARTIAL is MARK + RSS (or QUEUE): the PMD maps the mark to the
 * megaflow and runs its actions in software, so any action list qualifies.
 * ofl_plan_pattern() is in ofl_plan_match.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>

#include "ofl_plan.h"

static const char *const cap_names[OFL_CAP__COUNT] = {
	"match_l2", "match_l3", "match_l4", "drop", "queue", "rss", "mark", "count", "age",
	"port", "set_mac", "vlan_push", "vlan_pop", "vxlan_encap", "raw_encap",
};

const char *ofl_cap_name(unsigned bit)
{
	return bit < OFL_CAP__COUNT ? cap_names[bit] : NULL;
}

int ofl_caps_parse(const char *s, uint32_t *caps, char *err, size_t errlen)
{
	char buf[256], *save = NULL;
	uint32_t c = 0;
	if (s == NULL)
		s = "";
	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "capability list too long");
		return -EINVAL;
	}
	strcpy(buf, s);
	for (char *w = strtok_r(buf, ",+ ", &save); w; w = strtok_r(NULL, ",+ ", &save)) {
		unsigned i;
		if (strcmp(w, "none") == 0)
			continue;
		if (strcmp(w, "all") == 0) {
			c |= (1u << OFL_CAP__COUNT) - 1;
			continue;
		}
		for (i = 0; i < OFL_CAP__COUNT; i++)
			if (strcmp(w, cap_names[i]) == 0)
				break;
		if (i == OFL_CAP__COUNT) {
			snprintf(err, errlen, "unknown capability '%s'", w);
			return -EINVAL;
		}
		c |= 1u << i;
	}
	if (!(c & OFL_CAP_MATCH_ALL))
		c |= OFL_CAP_MATCH_ALL;
	*caps = c;
	return 0;
}

int ofl_caps_format(char *buf, size_t len, uint32_t caps)
{
	int n = 0;
	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < OFL_CAP__COUNT; i++) {
		if (!(caps & (1u << i)))
			continue;
		int w = snprintf(buf + (n < (int)len ? n : (int)len),
				 n < (int)len ? len - (size_t)n : 0, "%s%s", n ? "," : "",
				 cap_names[i]);
		n += w;
	}
	if (n == 0 && len)
		n = snprintf(buf, len, "none");
	return n;
}

const char *ofl_decision_name(unsigned d)
{
	static const char *const n[] = { "none", "partial", "full" };
	return d < 3 ? n[d] : "?";
}

const char *ofl_mode_name(unsigned m)
{
	static const char *const n[] = { "auto", "full", "partial" };
	return m < 3 ? n[m] : "?";
}

int ofl_mode_parse(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (s && strcmp(s, ofl_mode_name((unsigned)i)) == 0)
			return i;
	return -EINVAL;
}

static void why(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- actions ------------------------------------------------------------ */

static struct rte_flow_action *act_add(struct ofl_rule *r, enum rte_flow_action_type t)
{
	if (r->n_actions >= OFL_MAX_RULE_ACTS)
		return NULL;
	struct rte_flow_action *a = &r->actions[r->n_actions];
	a->type = t;
	a->conf = &r->conf[r->n_actions];
	r->n_actions++;
	return a;
}

static void act_end(struct ofl_rule *r)
{
	r->actions[r->n_actions].type = RTE_FLOW_ACTION_TYPE_END;
	r->actions[r->n_actions].conf = NULL;
}

int ofl_plan_encap_header(const struct dp_overlay_cfg *ovl, const struct dp_action *a,
			  uint8_t out[DP_ENCAP_HLEN])
{
	if (ovl == NULL || a == NULL || a->type != DP_ACT_TNL_PUSH)
		return -EINVAL;
	unsigned encap = a->data[6] == DP_ENCAP_NONE ? ovl->encap : a->data[6];
	if (encap != DP_ENCAP_VXLAN && encap != DP_ENCAP_GENEVE)
		return -EINVAL;
	uint32_t vni = dp_act_vni(a);
	memset(out, 0, DP_ENCAP_HLEN);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)out;
	memcpy(&eh->dst_addr, a->data, 6);
	eh->src_addr = ovl->vtep_mac;
	eh->ether_type = htons(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(out + 14);
	ip->version_ihl = 0x45;
	ip->fragment_offset = htons(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = ovl->vtep_ip;
	ip->dst_addr = a->u32;
	/* total_length and checksum: the NIC fills them per packet */
	uint8_t *udp = out + 34;
	uint16_t dport = htons(encap == DP_ENCAP_VXLAN ? DP_VXLAN_PORT : DP_GENEVE_PORT);
	memcpy(udp + 2, &dport, 2);
	uint8_t *t = out + 42;
	if (encap == DP_ENCAP_VXLAN) {
		t[0] = 0x08;
	} else {
		t[2] = 0x65; /* protocol 0x6558: transparent Ethernet bridging */
		t[3] = 0x58;
	}
	t[4] = (uint8_t)(vni >> 16);
	t[5] = (uint8_t)(vni >> 8);
	t[6] = (uint8_t)vni;
	return 0;
}

/* VXLAN_ENCAP's definition: ETH / IPV4 / UDP / VXLAN / END, from the header. */
static void encap_vxlan_items(struct ofl_rule *r, const uint8_t *h)
{
	memcpy(&r->encap_eth.hdr, h, 14);
	memcpy(&r->encap_ipv4.hdr, h + 14, 20);
	memcpy(&r->encap_udp.hdr, h + 34, 8);
	memcpy(&r->encap_vxlan.hdr, h + 42, 8);
	const struct { enum rte_flow_item_type t; const void *s; } it[] = {
		{ RTE_FLOW_ITEM_TYPE_ETH, &r->encap_eth },
		{ RTE_FLOW_ITEM_TYPE_IPV4, &r->encap_ipv4 },
		{ RTE_FLOW_ITEM_TYPE_UDP, &r->encap_udp },
		{ RTE_FLOW_ITEM_TYPE_VXLAN, &r->encap_vxlan },
		{ RTE_FLOW_ITEM_TYPE_END, NULL },
	};
	for (unsigned i = 0; i < 5; i++) {
		memset(&r->encap_items[i], 0, sizeof(r->encap_items[i]));
		r->encap_items[i].type = it[i].t;
		r->encap_items[i].spec = it[i].s;
	}
}

/* The full action list, or -EOPNOTSUPP and why. */
static int plan_full_actions(struct ofl_rule *r, const struct ofl_plan_ctx *ctx,
			     const struct dp_action *acts, unsigned n, char *w, size_t wl)
{
	unsigned outputs = 0, terminal = 0;
	uint32_t caps = ctx->caps;
	struct rte_flow_action *fa;

	if (n == 0) {
		why(w, wl, "empty action list");
		return -EOPNOTSUPP;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct dp_action *a = &acts[i];
		if (terminal) {
			why(w, wl, "action after output/drop not offloadable");
			return -EOPNOTSUPP;
		}
		switch (a->type) {
		case DP_ACT_DROP:
			if (!(caps & OFL_CAP_DROP)) {
				why(w, wl, "port refuses DROP");
				return -EOPNOTSUPP;
			}
			act_add(r, RTE_FLOW_ACTION_TYPE_DROP)->conf = NULL;
			terminal = 1;
			break;
		case DP_ACT_OUTPUT: {
			uint16_t eth;
			uint32_t dom;
			if (!(caps & OFL_CAP_PORT)) {
				why(w, wl, "port refuses output to another port");
				return -EOPNOTSUPP;
			}
			if (a->port == ctx->dp_port) {
				why(w, wl, "output to the ingress port not offloadable");
				return -EOPNOTSUPP;
			}
			if (ctx->port_lookup == NULL ||
			    ctx->port_lookup(ctx->port_arg, a->port, &eth, &dom) != 0) {
				why(w, wl, "output port %u unknown to offload", a->port);
				return -EOPNOTSUPP;
			}
			if (dom != ctx->domain) {
				why(w, wl, "output port %u on another device", a->port);
				return -EOPNOTSUPP;
			}
			fa = act_add(r, RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT);
			r->conf[fa - r->actions].ethdev.port_id = eth;
			r->out_dp_port = a->port;
			r->attr.transfer = 1;
			outputs++;
			terminal = 1;
			break;
		}
		case DP_ACT_SET_ETH_SRC:
		case DP_ACT_SET_ETH_DST:
			if (!(caps & OFL_CAP_SET_MAC)) {
				why(w, wl, "port refuses SET_MAC");
				return -EOPNOTSUPP;
			}
			fa = act_add(r, a->type == DP_ACT_SET_ETH_SRC ?
				     RTE_FLOW_ACTION_TYPE_SET_MAC_SRC :
				     RTE_FLOW_ACTION_TYPE_SET_MAC_DST);
			memcpy(r->conf[fa - r->actions].set_mac.mac_addr, a->data, 6);
			break;
		case DP_ACT_PUSH_VLAN:
			if (!(caps & OFL_CAP_VLAN_PUSH)) {
				why(w, wl, "port refuses VLAN push");
				return -EOPNOTSUPP;
			}
			fa = act_add(r, RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN);
			r->conf[fa - r->actions].push_vlan.ethertype =
				rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
			fa = act_add(r, RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID);
			r->conf[fa - r->actions].vid.vlan_vid = rte_cpu_to_be_16(a->port & 0xfff);
			fa = act_add(r, RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP);
			r->conf[fa - r->actions].pcp.vlan_pcp = (uint8_t)(a->port >> 13);
			break;
		case DP_ACT_POP_VLAN:
			if (!(caps & OFL_CAP_VLAN_POP)) {
				why(w, wl, "port refuses VLAN pop");
				return -EOPNOTSUPP;
			}
			act_add(r, RTE_FLOW_ACTION_TYPE_OF_POP_VLAN)->conf = NULL;
			break;
		case DP_ACT_TNL_PUSH: {
			unsigned enc;
			if (ctx->ovl == NULL || ofl_plan_encap_header(ctx->ovl, a, r->raw_encap)) {
				why(w, wl, "tunnel push without overlay config");
				return -EOPNOTSUPP;
			}
			enc = a->data[6] == DP_ENCAP_NONE ? ctx->ovl->encap : a->data[6];
			if (enc == DP_ENCAP_VXLAN && (caps & OFL_CAP_VXLAN_ENCAP)) {
				encap_vxlan_items(r, r->raw_encap);
				fa = act_add(r, RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP);
				r->conf[fa - r->actions].vxlan_encap.definition = r->encap_items;
			} else if (caps & OFL_CAP_RAW_ENCAP) {
				fa = act_add(r, RTE_FLOW_ACTION_TYPE_RAW_ENCAP);
				r->conf[fa - r->actions].raw_encap.data = r->raw_encap;
				r->conf[fa - r->actions].raw_encap.size = DP_ENCAP_HLEN;
			} else {
				why(w, wl, "port refuses %s encap",
				    enc == DP_ENCAP_VXLAN ? "VXLAN" : "Geneve");
				return -EOPNOTSUPP;
			}
			break;
		}
		default:
			why(w, wl, "action %s not offloadable", dp_action_name(a->type));
			return -EOPNOTSUPP;
		}
		if (r->n_actions > OFL_MAX_RULE_ACTS - 2) {
			why(w, wl, "too many actions");
			return -EOPNOTSUPP;
		}
	}
	if (!terminal || (outputs == 0 && r->actions[r->n_actions - 1].type !=
			  RTE_FLOW_ACTION_TYPE_DROP)) {
		why(w, wl, "no output or drop at the end");
		return -EOPNOTSUPP;
	}
	/* COUNT (and AGE) go first so they apply whatever the fate. */
	struct rte_flow_action tail[OFL_MAX_RULE_ACTS];
	union ofl_conf_buf tconf[OFL_MAX_RULE_ACTS];
	unsigned nt = r->n_actions;
	memcpy(tail, r->actions, nt * sizeof(tail[0]));
	memcpy(tconf, r->conf, nt * sizeof(tconf[0]));
	r->n_actions = 0;
	if (caps & OFL_CAP_COUNT)
		act_add(r, RTE_FLOW_ACTION_TYPE_COUNT);
	if ((caps & OFL_CAP_AGE) && ctx->age_timeout) {
		fa = act_add(r, RTE_FLOW_ACTION_TYPE_AGE);
		r->conf[fa - r->actions].age.timeout =
			ctx->age_timeout > 0xffffff ? 0xffffff : ctx->age_timeout;
		/* what rte_flow_get_aged_flows hands back: the manager's name
		 * of the rule */
		r->conf[fa - r->actions].age.context = (void *)(uintptr_t)ctx->age_context;
	}
	for (unsigned i = 0; i < nt; i++) {
		fa = act_add(r, tail[i].type);
		r->conf[fa - r->actions] = tconf[i];
		fa->conf = tail[i].conf ? &r->conf[fa - r->actions] : NULL;
	}
	/* confs that point into the rule itself stay valid: encap items and
	 * raw_encap bytes are not moved. */
	act_end(r);
	return 0;
}

static int plan_partial_actions(struct ofl_rule *r, const struct ofl_plan_ctx *ctx, char *w,
				size_t wl)
{
	struct rte_flow_action *fa;
	if (!(ctx->caps & OFL_CAP_MARK)) {
		why(w, wl, "port refuses MARK");
		return -EOPNOTSUPP;
	}
	if (!(ctx->caps & (OFL_CAP_RSS | OFL_CAP_QUEUE))) {
		why(w, wl, "port refuses RSS and QUEUE");
		return -EOPNOTSUPP;
	}
	if (ctx->mark == 0) {
		why(w, wl, "no mark available");
		return -EOPNOTSUPP;
	}
	r->mark = ctx->mark;
	if (ctx->caps & OFL_CAP_COUNT)
		act_add(r, RTE_FLOW_ACTION_TYPE_COUNT);
	fa = act_add(r, RTE_FLOW_ACTION_TYPE_MARK);
	r->conf[fa - r->actions].mark.id = ctx->mark;
	if ((ctx->caps & OFL_CAP_RSS) && ctx->n_rxq > 1) {
		unsigned nq = ctx->n_rxq > OFL_MAX_RSS_Q ? OFL_MAX_RSS_Q : ctx->n_rxq;
		fa = act_add(r, RTE_FLOW_ACTION_TYPE_RSS);
		struct rte_flow_action_rss *rss = &r->conf[fa - r->actions].rss;
		for (unsigned q = 0; q < nq; q++)
			r->rss_queues[q] = (uint16_t)q;
		rss->func = RTE_ETH_HASH_FUNCTION_DEFAULT;
		rss->types = RTE_ETH_RSS_IP | RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV4_TCP;
		rss->queue_num = nq;
		rss->queue = r->rss_queues;
	} else if (ctx->caps & OFL_CAP_QUEUE) {
		fa = act_add(r, RTE_FLOW_ACTION_TYPE_QUEUE);
		r->conf[fa - r->actions].queue.index = ctx->rxq;
	} else {
		why(w, wl, "port has one rx queue and refuses QUEUE");
		return -EOPNOTSUPP;
	}
	act_end(r);
	return 0;
}

/* Transfer (e-switch) rules name their ingress port in the pattern. */
static void pattern_prepend_port(struct ofl_rule *r)
{
	unsigned n = r->n_items;   /* END at [n] moves too */
	memmove(&r->pattern[1], &r->pattern[0], (n + 1) * sizeof(r->pattern[0]));
	memmove(&r->spec[1], &r->spec[0], n * sizeof(r->spec[0]));
	memmove(&r->imask[1], &r->imask[0], n * sizeof(r->imask[0]));
	for (unsigned i = 1; i <= n; i++) {
		r->pattern[i].spec = &r->spec[i];
		r->pattern[i].mask = &r->imask[i];
	}
	memset(&r->spec[0], 0, sizeof(r->spec[0]));
	memset(&r->imask[0], 0, sizeof(r->imask[0]));
	r->spec[0].ethdev.port_id = r->eth_port;
	r->imask[0].ethdev.port_id = 0xffff;
	r->pattern[0].type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT;
	r->pattern[0].spec = &r->spec[0];
	r->pattern[0].mask = &r->imask[0];
	r->pattern[0].last = NULL;
	r->n_items = n + 1;
	r->attr.ingress = 0;   /* transfer rules: the port item says where */
}

static void rule_reset_actions(struct ofl_rule *r)
{
	r->n_actions = 0;
	memset(r->conf, 0, sizeof(r->conf));
	r->attr.transfer = 0;
	r->out_dp_port = 0xffff;
	act_end(r);
}

struct ofl_rule *ofl_plan(const struct ofl_plan_ctx *ctx, const struct dp_flow_key *key,
			  const struct dp_flow_key *mask, const struct dp_action *acts,
			  unsigned n_acts, enum ofl_decision best)
{
	char wfull[OFL_WHY_LEN] = "", wpart[OFL_WHY_LEN] = "";
	if (ctx == NULL || key == NULL || mask == NULL || n_acts > DP_MAX_ACTIONS ||
	    (n_acts && acts == NULL)) {
		errno = EINVAL;
		return NULL;
	}
	struct ofl_rule *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->dp_port = ctx->dp_port;
	r->eth_port = ctx->eth_port;
	r->out_dp_port = 0xffff;
	dp_key_and(&r->key, key, mask);
	r->mask = *mask;
	if (n_acts)
		memcpy(r->acts, acts, n_acts * sizeof(acts[0]));
	r->n_acts = n_acts;
	r->attr.ingress = 1;

	if (ofl_plan_pattern(r, ctx, wfull, sizeof(wfull)) != 0) {
		snprintf(r->why, sizeof(r->why), "%s", wfull);
		r->decision = OFL_SOFTWARE;
		r->n_items = 0;
		return r;
	}
	int try_full = best == OFL_FULL && ctx->mode != OFL_MODE_PARTIAL;
	int try_part = ctx->mode != OFL_MODE_FULL;
	if (!try_full)
		snprintf(wfull, sizeof(wfull), "%s",
			 ctx->mode == OFL_MODE_PARTIAL ? "mode partial" : "full refused before");
	rule_reset_actions(r);
	if (try_full && plan_full_actions(r, ctx, acts, n_acts, wfull, sizeof(wfull)) == 0) {
		r->decision = OFL_FULL;
		if (r->attr.transfer)
			pattern_prepend_port(r);
		return r;
	}
	rule_reset_actions(r);
	if (!try_part)
		snprintf(wpart, sizeof(wpart), "mode full");
	else if (plan_partial_actions(r, ctx, wpart, sizeof(wpart)) == 0) {
		r->decision = OFL_PARTIAL;
		snprintf(r->why, sizeof(r->why), "%s", wfull);
		return r;
	}
	rule_reset_actions(r);
	r->mark = 0;
	r->decision = OFL_SOFTWARE;
	snprintf(r->why, sizeof(r->why), "%.46s; %.46s", wfull, wpart);
	return r;
}

void ofl_rule_destroy(struct ofl_rule *r)
{
	free(r);
}

static const char *item_name(enum rte_flow_item_type t)
{
	switch (t) {
	case RTE_FLOW_ITEM_TYPE_ETH: return "eth";
	case RTE_FLOW_ITEM_TYPE_VLAN: return "vlan";
	case RTE_FLOW_ITEM_TYPE_IPV4: return "ipv4";
	case RTE_FLOW_ITEM_TYPE_IPV6: return "ipv6";
	case RTE_FLOW_ITEM_TYPE_UDP: return "udp";
	case RTE_FLOW_ITEM_TYPE_TCP: return "tcp";
	case RTE_FLOW_ITEM_TYPE_ICMP: return "icmp";
	case RTE_FLOW_ITEM_TYPE_ICMP6: return "icmp6";
	case RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT: return "represented_port";
	default: return "?";
	}
}

static const char *action_name(enum rte_flow_action_type t)
{
	switch (t) {
	case RTE_FLOW_ACTION_TYPE_DROP: return "drop";
	case RTE_FLOW_ACTION_TYPE_COUNT: return "count";
	case RTE_FLOW_ACTION_TYPE_AGE: return "age";
	case RTE_FLOW_ACTION_TYPE_MARK: return "mark";
	case RTE_FLOW_ACTION_TYPE_RSS: return "rss";
	case RTE_FLOW_ACTION_TYPE_QUEUE: return "queue";
	case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT: return "represented_port";
	case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC: return "set_mac_src";
	case RTE_FLOW_ACTION_TYPE_SET_MAC_DST: return "set_mac_dst";
	case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN: return "of_push_vlan";
	case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID: return "of_set_vlan_vid";
	case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP: return "of_set_vlan_pcp";
	case RTE_FLOW_ACTION_TYPE_OF_POP_VLAN: return "of_pop_vlan";
	case RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP: return "vxlan_encap";
	case RTE_FLOW_ACTION_TYPE_RAW_ENCAP: return "raw_encap";
	default: return "?";
	}
}

int ofl_rule_format(char *buf, size_t len, const struct ofl_rule *r)
{
	int n = snprintf(buf, len, "%s", ofl_decision_name(r->decision));
#define APPEND(...) n += snprintf(buf + ((size_t)n < len ? (size_t)n : len), \
				  (size_t)n < len ? len - (size_t)n : 0, __VA_ARGS__)
	if (r->decision == OFL_SOFTWARE) {
		APPEND(" (%s)", r->why);
		return n;
	}
	APPEND(" pattern");
	for (unsigned i = 0; i < r->n_items; i++)
		APPEND("%s%s", i ? "/" : " ", item_name(r->pattern[i].type));
	APPEND(" actions");
	for (unsigned i = 0; i < r->n_actions; i++)
		APPEND("%s%s", i ? "/" : " ", action_name(r->actions[i].type));
	if (r->mark)
		APPEND(" mark=%u", r->mark);
#undef APPEND
	return n;
}
