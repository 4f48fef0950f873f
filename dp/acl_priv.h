/* SPDX-License-Identifier: BSD-3-Clause
 * dp/acl_priv.h — what tables_acl.c (writer bookkeeping) and acl_build.c
 * (rte_acl contexts: build and lookup) share.  Not a public header.
 */
#ifndef WYV_DP_ACL_PRIV_H
#define WYV_DP_ACL_PRIV_H

#include <stdint.h>
#include "acl.h"

struct rte_acl_ctx;
struct rte_hash;

/* Where a port field's verdict can change: the starts (lo) and ends + 1
 * (hi + 1) of the rules' ranges on it, deduplicated.  A megaflow then needs
 * only the leading port bits that keep the packet's block of ports clear of
 * every boundary (the verdict is constant between two boundaries), not all
 * 16: a DHCP rule on ports 67-68 leaves most of a UDP port wildcarded.
 * More boundaries than fit: n = ACL_PORT_ALL, the whole field is read. */
#define ACL_PORT_BOUNDS 8
#define ACL_PORT_ALL 0xff
struct acl_port_bounds {
	uint8_t n;
	uint16_t b[ACL_PORT_BOUNDS];
};

/* What the rules of one context read, per IP protocol of the packet:
 * the remote prefix length and the boundaries on tp_src / tp_dst. */
struct acl_read {
	uint8_t plen;
	struct acl_port_bounds src, dst;
};

/* One (rule set, direction, family) classifier, immutable once published.
 * ctx NULL: no rule can match (default deny). */
struct acl_ctx {
	struct rte_acl_ctx *ctx;
	uint32_t n_acl_rules;       /* after set expansion */
	uint8_t proto_read;         /* some rule names a protocol */
	struct acl_read by_proto[256];
};

/* A distinct rule list, shared by every port that has exactly these rules.
 * rules[] never changes; ctx[][] is swapped under RCU when an address set
 * the context references changes.  Writer-only: refcnt, hash, next. */
struct acl_rs {
	uint32_t id;                        /* DP_TAG_ACL_RS key */
	uint32_t refcnt;                    /* ports using it */
	uint64_t hash;                      /* of the rule list */
	uint32_t n_rules;
	struct dp_acl_rule *rules;          /* userdata i+1 = rules[i] */
	struct acl_ctx *ctx[2][2];          /* [dir][family == 6] */
	struct acl_rs *next;                /* all rule sets */
	struct acl_rs *hnext;               /* same hash (index collision chain) */
};

/* Published per-port entry (immutable). */
struct acl_port {
	uint32_t lport;
	bool stateful;
	uint16_t zone;          /* conntrack zone, 1..65535, unique per chassis */
	struct acl_rs *rs;
};

/* Address set (writer only). */
struct acl_set {
	uint32_t key;
	uint32_t n;
	struct dp_ip *addrs;
};

struct dp_acl {
	char name[24];
	struct rte_rcu_qsbr *rcu;
	dp_acl_change_cb *on_change;
	void *cb_arg;
	struct rte_hash *ports;     /* lport -> struct acl_port * (LF readers) */
	struct rte_hash *sets;      /* set key -> struct acl_set * (writer only) */
	struct acl_rs *rs_list;
	struct rte_hash *rs_index;  /* rule-list hash -> struct acl_rs * chain (writer only) */
	uint32_t next_rs_id;
	uint32_t next_ctx_no;       /* rte_acl context names */
	/* conntrack zones (writer only): a bit per zone in use; handed out
	 * next-fit after the last one, so a freed zone (its connections flushed)
	 * comes back only after the other 65534 */
	uint64_t zone_used[65536 / 64];
	uint16_t zone_last;
	struct dp_acl_stats st;
};

/* Build the classifier of rs for (dir, family), reading set members from a.
 * NULL + rte_errno on failure.  Control thread. */
struct acl_ctx *dp_acl_ctx_build(struct dp_acl *a, const struct acl_rs *rs,
				 unsigned dir, unsigned fam6);
void dp_acl_ctx_free(struct dp_acl *a, struct acl_ctx *c);
/* The address set, NULL when unknown (reads as empty). */
const struct acl_set *dp_acl_set_find(const struct dp_acl *a, uint32_t key);

#endif
