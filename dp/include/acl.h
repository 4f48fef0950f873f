/* SPDX-License-Identifier: BSD-3-Clause
 * dp/acl.h — security-group ACLs: per logical port and direction, an
 * rte_acl classifier compiled from the port's security-group rules, looked
 * up by translate on the megaflow miss path.
 *
 * Model.  The controller hands each port with port security a flat list of
 * ALLOW rules (struct dp_acl_rule, both directions and both families mixed)
 * plus the port's `stateful` flag; it compiles Neutron rules into that list
 * with mdl_sg_compile() (model/mdl_sg.h).  A packet is allowed when at least
 * one rule of its (port, direction, family) matches; the highest-priority
 * match is reported (rule key, for trace).  Nothing matches: deny.  A port
 * with no entry here (port security off) is not filtered at all.
 * Remote groups are address sets (dp_acl_set_put): a rule with remote_set
 * matches when the remote address is inside one of the set's members.
 *
 * Sharing.  Ports whose rule lists are identical (the common case: thousands
 * of ports in the same groups) share one "rule set" and so one rte_acl
 * context per (direction, family) — at most 4 contexts per distinct rule
 * list, not per port.  A set membership change rebuilds only the contexts
 * (rule set x direction x family) that hold a rule referencing that set.
 *
 * Threads and ownership (same contract as table_api.h):
 *  - ONE writer: dp_acl_create, dp_acl_destroy and every put and del run on a single
 *    control thread.  Builds (rte_acl_build) happen there, never on a PMD.
 *  - Readers: dp_acl_lookup from PMD threads (translate on a miss) and the
 *    control thread (trace), lock-free.  A PMD reader must be registered
 *    with the rcu variable given to dp_acl_create and report quiescence
 *    between bursts; results hold no pointers into the table.
 *  - A rebuilt context is published with an atomic pointer store, the writer
 *    waits one grace period (rte_rcu_qsbr_synchronize) and then frees the
 *    old one; a reader sees the old or the new context, never a torn one.
 *  - After publishing, every mutation reports dependency tags through the
 *    on_change callback: DP_TAG_ACL_PORT(lport) when a port's ACL entry
 *    appears, changes or goes away, DP_TAG_ACL_RS(rule set id) when a shared
 *    context is rebuilt.  dp_acl_lookup returns the two tags a megaflow must
 *    carry.
 *
 * Memory is rte_malloc'ed; rte_acl contexts are named "<name>_<n>".
 */
#ifndef WYV_DP_ACL_H
#define WYV_DP_ACL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

#include "flow_key.h"
#include "tables.h"   /* struct dp_ip */

enum dp_acl_dir {
	DP_ACL_INGRESS = 0,   /* to the port (the VM receives): remote = ip_src */
	DP_ACL_EGRESS = 1,    /* from the port: remote = ip_dst */
};

#define DP_ACL_MAX_RULES     4096    /* rules per port (before set expansion) */
#define DP_ACL_MAX_SET_ADDRS 65536   /* members of one address set */
#define DP_ACL_MAX_CTX_RULES 262144  /* rte_acl rules of one context after
				       * set expansion; more: -ENOSPC */
#define DP_ACL_MAX_PRIORITY  0x1fffffff

/* One allow rule.  Ports are tp_src/tp_dst ranges in host order; for ICMP
 * and ICMPv6 the flow key carries the type in tp_src and the code in tp_dst,
 * so an ICMP type rule is src range [type, type], a code dst [code, code].
 * Full ranges (0..65535) mean "any". */
struct dp_acl_rule {
	uint32_t key;          /* controller's rule id, reported by lookup; != 0 */
	uint32_t priority;     /* 1..DP_ACL_MAX_PRIORITY, highest match decides;
				* give distinct priorities for a defined answer */
	uint8_t dir;           /* enum dp_acl_dir */
	uint8_t family;        /* 4 | 6 */
	uint8_t proto;         /* IP protocol / IPv6 next header (after ext headers) */
	bool any_proto;        /* proto ignored */
	uint16_t src_min, src_max;
	uint16_t dst_min, dst_max;
	struct dp_ip remote;   /* remote prefix; plen 0 = any (family may be 0 then) */
	uint32_t remote_set;   /* != 0: remote must be in address set remote_set
				* (remote must then be plen 0) */
};

struct dp_acl_port_cfg {
	bool stateful;         /* connections go through conntrack (Neutron default) */
	uint32_t n_rules;
	const struct dp_acl_rule *rules;
};

/* What a lookup decided. */
struct dp_acl_result {
	bool allow;
	bool stateful;         /* the port's groups are stateful */
	uint16_t zone;         /* the port's conntrack zone (when it has an ACL) */
	uint32_t rule_key;     /* deciding rule; 0 = default (deny, or non-IP) */
	uint8_t n_tags;
	uint64_t tags[2];      /* to add to the megaflow's dependency tags */
};

/* Counters and sizes (control thread). */
struct dp_acl_stats {
	uint32_t ports;        /* ports with an ACL */
	uint32_t rule_sets;    /* distinct rule lists (shared) */
	uint32_t contexts;     /* rte_acl contexts alive (non-empty ones) */
	uint32_t sets;         /* address sets */
	uint64_t builds;       /* rte_acl_build calls so far */
	uint64_t build_fails;
	uint64_t build_ns;     /* total time in context builds */
	uint64_t acl_rules;    /* rte_acl rules in live contexts (after expansion) */
};

typedef void dp_acl_change_cb(void *arg, const uint64_t *tags, unsigned n);

struct dp_acl;

/* Create an empty table.  rcu: the QSBR variable readers report to (NULL in
 * single-threaded tests: frees are then immediate).  on_change: called after
 * each published mutation with its tags (may be NULL).  name: unique per
 * process, at most 20 characters.  NULL + rte_errno. */
struct dp_acl *dp_acl_create(const char *name, struct rte_rcu_qsbr *rcu,
			     dp_acl_change_cb *on_change, void *arg);
void dp_acl_destroy(struct dp_acl *a);   /* accepts NULL; no reader may be left */

/* ---- writer (control thread) ------------------------------------------- */
/* Insert or replace the ACL of lport (non-zero).  The rules are copied.
 * -EINVAL: a bad rule (key 0, priority, dir, family, ranges min > max, prefix
 * length, remote prefix family, prefix and set together); -ENOSPC (table
 * full, or a context would exceed DP_ACL_MAX_CTX_RULES), -ENOMEM or a build
 * error: nothing changed, the old ACL stays. */
int dp_acl_port_put(struct dp_acl *a, uint32_t lport, const struct dp_acl_port_cfg *cfg);
/* Remove the ACL (the port is then unfiltered).  The conntrack zone it
 * freed (> 0: flush it), or -ENOENT when none. */
int dp_acl_port_del(struct dp_acl *a, uint32_t lport);

/* Replace address set `set` (non-zero) with addrs[0..n) (host addresses or
 * prefixes, both families mixed).  Rebuilds exactly the contexts whose rules
 * reference the set; rule sets referencing a set that does not exist see it
 * empty.  -EINVAL / -ENOSPC (a context would exceed DP_ACL_MAX_CTX_RULES) /
 * -ENOMEM / build error: nothing changed. */
int dp_acl_set_put(struct dp_acl *a, uint32_t set, const struct dp_ip *addrs, uint32_t n);
/* Same as an empty put, and forget the set.  -ENOENT when unknown. */
int dp_acl_set_del(struct dp_acl *a, uint32_t set);

/* ---- readers (PMD translate, control) ----------------------------------- */
/* Decide key (a packet entering lport for DP_ACL_INGRESS, leaving it for
 * DP_ACL_EGRESS).  Returns 0 when the port has no ACL (res->allow = true,
 * one tag: a later ACL for the port must invalidate the megaflow), 1 when the
 * ACL decided.  Sets in *mask every bit the decision depended on (eth_type;
 * for IP: ip_proto, the remote address up to the longest prefix any
 * candidate rule looks at, tp_src/tp_dst when a candidate rule restricts
 * them — "candidate" = rules of the packet's protocol or any protocol), so a
 * megaflow built from the mask never covers a packet the ACL would decide
 * otherwise.  Non-IP frames: ARP is allowed (port security owns it), the
 * rest denied. */
int dp_acl_lookup(const struct dp_acl *a, uint32_t lport, enum dp_acl_dir dir,
		  const struct dp_flow_key *key, struct dp_flow_key *mask,
		  struct dp_acl_result *res);

/* True when lport has an ACL. */
bool dp_acl_port_has(const struct dp_acl *a, uint32_t lport);

/* Conntrack zones.  Every port with an ACL gets its own zone, 1..65535,
 * from dp_acl_port_put (kept while the port keeps an ACL; -ENOSPC when all
 * are in use), so ports never share connections whatever their lport keys.
 * dp_acl_port_zone: the zone of lport, or -ENOENT (any thread: reads the
 * published port).  dp_acl_port_del returns the zone it freed, for the
 * caller to flush. */
int dp_acl_port_zone(const struct dp_acl *a, uint32_t lport);
/* A zone for another owner (a router's NAT, tables_nat.h) from the same
 * space, so it never collides with a port's.  -ENOSPC when none is left.
 * Control thread only. */
int dp_acl_zone_alloc(struct dp_acl *a);
void dp_acl_zone_free(struct dp_acl *a, uint16_t zone);

/* The compiled view of one port (`show security-groups`). */
struct dp_acl_port_info {
	uint32_t lport;
	bool stateful;
	uint16_t zone;                 /* conntrack zone */
	uint32_t rule_set;             /* shared rule set id (DP_TAG_ACL_RS key) */
	uint32_t rule_set_ports;       /* ports sharing it */
	uint32_t n_rules;
	const struct dp_acl_rule *rules;   /* valid during the callback only */
	uint32_t acl_rules[2][2];      /* rte_acl rules per [dir][IPv6] after set
					* expansion; 0 = nothing can match */
};

/* Control thread: visit every port with an ACL; stop when cb returns non-zero. */
void dp_acl_foreach_port(const struct dp_acl *a,
			 int (*cb)(const struct dp_acl_port_info *info, void *arg), void *arg);
/* Control thread: one port; -ENOENT when it has no ACL. */
int dp_acl_port_info(const struct dp_acl *a, uint32_t lport, struct dp_acl_port_info *info);

/* Control thread. */
void dp_acl_get_stats(const struct dp_acl *a, struct dp_acl_stats *st);
/* The rule set id lport uses (its DP_TAG_ACL_RS key), 0 when none. */
uint32_t dp_acl_port_rule_set(const struct dp_acl *a, uint32_t lport);

#endif
