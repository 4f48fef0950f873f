/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_plan.h — the planner: one megaflow (mask, masked key,
 * action list) + the port's probed capabilities -> a decision (FULL, PARTIAL
 * or SOFTWARE, with the reason why not better) and, for FULL/PARTIAL, the
 * rte_flow attribute, pattern and action arrays.
 *
 * A rule owns all its memory (specs, masks, action confs, encap headers live
 * inside the struct; the arrays point into it): ofl_rule_destroy() frees it.
 * Pure functions of their inputs: any thread.
 */
#ifndef WYV_OFL_PLAN_H
#define WYV_OFL_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include <rte_flow.h>

#include "flow_key.h"
#include "actions.h"
#include "tables_ovl.h"

/* Capability bits (what a port accepted in rte_flow_validate, or what a
 * backend states). */
enum ofl_cap {
	OFL_CAP_MATCH_L2 = 1u << 0,   /* ETH (+ VLAN) items */
	OFL_CAP_MATCH_L3 = 1u << 1,   /* IPV4 / IPV6 items */
	OFL_CAP_MATCH_L4 = 1u << 2,   /* UDP / TCP / ICMP / ICMP6 items */
	OFL_CAP_DROP = 1u << 3,
	OFL_CAP_QUEUE = 1u << 4,
	OFL_CAP_RSS = 1u << 5,
	OFL_CAP_MARK = 1u << 6,
	OFL_CAP_COUNT = 1u << 7,
	OFL_CAP_AGE = 1u << 8,
	OFL_CAP_PORT = 1u << 9,       /* REPRESENTED_PORT: output within the device */
	OFL_CAP_SET_MAC = 1u << 10,
	OFL_CAP_VLAN_PUSH = 1u << 11,
	OFL_CAP_VLAN_POP = 1u << 12,
	OFL_CAP_VXLAN_ENCAP = 1u << 13,
	OFL_CAP_RAW_ENCAP = 1u << 14,
};
#define OFL_CAP__COUNT 15
#define OFL_CAP_MATCH_ALL (OFL_CAP_MATCH_L2 | OFL_CAP_MATCH_L3 | OFL_CAP_MATCH_L4)

/* "match_l2", "drop", ... for bit number i (NULL past the end). */
const char *ofl_cap_name(unsigned bit);
/* "mark,queue,drop,count" -> bits. When no match_* name is given, all match
 * capabilities are implied. -EINVAL and the bad word in err on a typo. */
int ofl_caps_parse(const char *s, uint32_t *caps, char *err, size_t errlen);
/* bits -> "match_l2,match_l3,drop" (snprintf rules). */
int ofl_caps_format(char *buf, size_t len, uint32_t caps);

enum ofl_decision { OFL_SOFTWARE = 0, OFL_PARTIAL = 1, OFL_FULL = 2 };
enum ofl_mode { OFL_MODE_AUTO = 0, OFL_MODE_FULL, OFL_MODE_PARTIAL };
const char *ofl_decision_name(unsigned d);   /* "none", "partial", "full" */
const char *ofl_mode_name(unsigned m);
int ofl_mode_parse(const char *s);           /* enum or -EINVAL */

/* Where another dp port lives: its ethdev port and switch domain (output is
 * offloadable only to a port of the same domain). 0 or -ENOENT. */
typedef int (*ofl_port_lookup_fn)(void *arg, uint16_t dp_port, uint16_t *eth_port,
				  uint32_t *domain);

struct ofl_plan_ctx {
	uint32_t caps;            /* OFL_CAP_* of the ingress port */
	enum ofl_mode mode;
	uint16_t dp_port;         /* ingress port of the megaflow */
	uint16_t eth_port;
	uint32_t domain;          /* switch domain of the ingress port */
	uint16_t n_rxq;           /* RSS spreads over queues 0..n_rxq-1 */
	uint16_t rxq;             /* QUEUE fate when RSS is not available */
	uint32_t mark;            /* the MARK id for a partial rule (non-zero) */
	uint32_t age_timeout;     /* seconds; 0: no AGE action (FULL rules only;
				   * capped at 2^24 - 1) */
	uint64_t age_context;     /* the AGE action's context (the manager's
				   * rule serial, reported back when it ages) */
	const struct dp_overlay_cfg *ovl;   /* NULL: no overlay */
	ofl_port_lookup_fn port_lookup;     /* NULL: no output is offloadable */
	void *port_arg;
};

#define OFL_MAX_ITEMS 8
#define OFL_MAX_RULE_ACTS 16
#define OFL_MAX_RSS_Q 64
#define OFL_WHY_LEN 96

union ofl_item_buf {
	struct rte_flow_item_eth eth;
	struct rte_flow_item_vlan vlan;
	struct rte_flow_item_ipv4 ipv4;
	struct rte_flow_item_ipv6 ipv6;
	struct rte_flow_item_udp udp;
	struct rte_flow_item_tcp tcp;
	struct rte_flow_item_icmp icmp;
	struct rte_flow_item_icmp6 icmp6;
	struct rte_flow_item_vxlan vxlan;
	struct rte_flow_item_ethdev ethdev;
};

union ofl_conf_buf {
	struct rte_flow_action_mark mark;
	struct rte_flow_action_queue queue;
	struct rte_flow_action_rss rss;
	struct rte_flow_action_set_mac set_mac;
	struct rte_flow_action_of_push_vlan push_vlan;
	struct rte_flow_action_of_set_vlan_vid vid;
	struct rte_flow_action_of_set_vlan_pcp pcp;
	struct rte_flow_action_ethdev ethdev;
	struct rte_flow_action_count count;
	struct rte_flow_action_age age;
	struct rte_flow_action_vxlan_encap vxlan_encap;
	struct rte_flow_action_raw_encap raw_encap;
};

struct ofl_rule {
	enum ofl_decision decision;
	char why[OFL_WHY_LEN];    /* why not FULL (and not PARTIAL when SOFTWARE) */
	uint32_t mark;            /* PARTIAL: the mark; 0 otherwise */
	uint16_t dp_port, eth_port;
	uint16_t out_dp_port;     /* FULL with output: the egress (else 0xffff) */
	uint32_t out_ifindex;     /* filled by the xdp backend's caller if known */
	/* the megaflow, copied (backends that are not rte_flow read these) */
	struct dp_flow_key key;   /* masked */
	struct dp_flow_key mask;
	struct dp_action acts[DP_MAX_ACTIONS];
	unsigned n_acts;
	/* rte_flow form (FULL / PARTIAL) */
	struct rte_flow_attr attr;
	unsigned n_items, n_actions;    /* without the END entries */
	struct rte_flow_item pattern[OFL_MAX_ITEMS + 1];
	struct rte_flow_action actions[OFL_MAX_RULE_ACTS + 1];
	union ofl_item_buf spec[OFL_MAX_ITEMS], imask[OFL_MAX_ITEMS];
	union ofl_conf_buf conf[OFL_MAX_RULE_ACTS];
	uint16_t rss_queues[OFL_MAX_RSS_Q];
	/* tunnel encap: VXLAN_ENCAP definition (ETH, IPV4, UDP, VXLAN, END) and
	 * RAW_ENCAP bytes (the 50-byte outer header, Geneve or VXLAN) */
	struct rte_flow_item encap_items[5];
	struct rte_flow_item_eth encap_eth;
	struct rte_flow_item_ipv4 encap_ipv4;
	struct rte_flow_item_udp encap_udp;
	struct rte_flow_item_vxlan encap_vxlan;
	uint8_t raw_encap[64];
};

/* Plan one megaflow. best: the best decision allowed (FULL, or PARTIAL when
 * retrying after a refused FULL). Returns a rule (decision SOFTWARE with the
 * reason in rule->why when nothing fits) or NULL + errno (ENOMEM, EINVAL). */
struct ofl_rule *ofl_plan(const struct ofl_plan_ctx *ctx, const struct dp_flow_key *key,
			  const struct dp_flow_key *mask, const struct dp_action *acts,
			  unsigned n_acts, enum ofl_decision best);
void ofl_rule_destroy(struct ofl_rule *r);   /* accepts NULL */

/* The pattern of a megaflow match alone (no actions): 0, or -EOPNOTSUPP and
 * why. Used by the planner and by probes. */
int ofl_plan_pattern(struct ofl_rule *r, const struct ofl_plan_ctx *ctx, char *why,
		     size_t whylen);

/* The 50-byte outer header of a tnl_push action (as dp/actions_tnl.c writes
 * it, UDP source port 0 and IPv4 checksum filled): 0 or -EINVAL. */
int ofl_plan_encap_header(const struct dp_overlay_cfg *ovl, const struct dp_action *a,
			  uint8_t out[DP_ENCAP_HLEN]);

/* One line "pattern eth/ipv4/udp actions mark/rss" for dumps (snprintf rules). */
int ofl_rule_format(char *buf, size_t len, const struct ofl_rule *r);

#endif
