/* SPDX-License-Identifier: BSD-3-Clause
 * dp/tables_acl.c — the security-group ACL table: ports, shared rule sets,
 * address sets (writer side; the lookup is in acl_build.c).
 *
 *   ports : lport -> struct acl_port *  (rte_hash, lock-free readers)
 *   rule sets : distinct rule lists, each with a reference count and four
 *           classifiers [dir][family], indexed by a hash of the normalised
 *           list (collisions chained, then memcmp); a port_put whose rules
 *           equal an existing set's takes a reference instead of building
 *   sets  : address-set key -> struct acl_set * (writer only)
 *
 * Costs: a port_put with a new rule list builds up to 4 rte_acl tries; with a
 * known list it builds nothing.  A set change scans the rule sets (cheap next
 * to a build) and rebuilds the (rule set, dir, family) classifiers holding a
 * rule with that set, then waits one grace period for all of them together.
 * Every change is all-or-nothing: builds happen before anything is
 * published, a failed build frees what was built and changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "acl_priv.h"
#include "megaflow.h"

#define ACL_PORTS_MAX 131072
#define ACL_SETS_MAX  65536

static struct rte_hash *make_hash(const char *prefix, const char *what, uint32_t entries,
				  uint32_t key_len, bool lf)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.entries = entries,
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE |
			      (lf ? RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF : 0),
	};
	snprintf(name, sizeof(name), "%s_%s", prefix, what);
	p.name = name;
	return rte_hash_create(&p);
}

struct dp_acl *dp_acl_create(const char *name, struct rte_rcu_qsbr *rcu,
			     dp_acl_change_cb *on_change, void *arg)
{
	struct dp_acl *a;

	if (name == NULL || strlen(name) > 20) {
		rte_errno = EINVAL;
		return NULL;
	}
	a = rte_zmalloc("dp_acl", sizeof(*a), RTE_CACHE_LINE_SIZE);
	if (a == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->rcu = rcu;
	a->on_change = on_change;
	a->cb_arg = arg;
	a->ports = make_hash(name, "aclp", ACL_PORTS_MAX, sizeof(uint32_t), true);
	a->sets = make_hash(name, "acls", ACL_SETS_MAX, sizeof(uint32_t), false);
	a->rs_index = make_hash(name, "aclrs", ACL_PORTS_MAX, sizeof(uint64_t), false);
	if (a->ports == NULL || a->sets == NULL || a->rs_index == NULL) {
		dp_acl_destroy(a);
		rte_errno = ENOMEM;
		return NULL;
	}
	return a;
}

static void rs_free(struct dp_acl *a, struct acl_rs *rs)
{
	if (rs == NULL)
		return;
	for (unsigned d = 0; d < 2; d++)
		for (unsigned f = 0; f < 2; f++)
			dp_acl_ctx_free(a, rs->ctx[d][f]);
	rte_free(rs->rules);
	rte_free(rs);
}

void dp_acl_destroy(struct dp_acl *a)
{
	const void *k;
	void *d;
	uint32_t it = 0;

	if (a == NULL)
		return;
	while (a->ports && rte_hash_iterate(a->ports, &k, &d, &it) >= 0)
		rte_free(d);
	it = 0;
	while (a->sets && rte_hash_iterate(a->sets, &k, &d, &it) >= 0) {
		struct acl_set *s = d;
		rte_free(s->addrs);
		rte_free(s);
	}
	while (a->rs_list != NULL) {
		struct acl_rs *rs = a->rs_list;
		a->rs_list = rs->next;
		rs_free(a, rs);
	}
	rte_hash_free(a->ports);
	rte_hash_free(a->sets);
	rte_hash_free(a->rs_index);
	rte_free(a);
}

static void grace(struct dp_acl *a)
{
	if (a->rcu != NULL)
		rte_rcu_qsbr_synchronize(a->rcu, RTE_QSBR_THRID_INVALID);
}

static void notify(struct dp_acl *a, const uint64_t *tags, unsigned n)
{
	if (a->on_change != NULL && n > 0)
		a->on_change(a->cb_arg, tags, n);
}

const struct acl_set *dp_acl_set_find(const struct dp_acl *a, uint32_t key)
{
	void *d;
	if (rte_hash_lookup_data(a->sets, &key, &d) < 0)
		return NULL;
	return d;
}

static const struct acl_port *port_find(const struct dp_acl *a, uint32_t lport)
{
	void *d;
	if (rte_hash_lookup_data(a->ports, &lport, &d) < 0)
		return NULL;
	return d;
}

bool dp_acl_port_has(const struct dp_acl *a, uint32_t lport)
{
	return port_find(a, lport) != NULL;
}

int dp_acl_port_zone(const struct dp_acl *a, uint32_t lport)
{
	const struct acl_port *p = port_find(a, lport);
	return p ? p->zone : -ENOENT;
}

static bool zone_busy(const struct dp_acl *a, unsigned z)
{
	return (a->zone_used[z / 64] >> (z % 64)) & 1;
}

static int zone_alloc(struct dp_acl *a)
{
	for (unsigned i = 1; i < 65536; i++) {
		unsigned z = (a->zone_last + i) & 0xffff;
		if (z == 0 || zone_busy(a, z))
			continue;
		a->zone_used[z / 64] |= 1ull << (z % 64);
		a->zone_last = (uint16_t)z;
		return (int)z;
	}
	return -ENOSPC;
}

static void zone_free(struct dp_acl *a, unsigned z)
{
	a->zone_used[z / 64] &= ~(1ull << (z % 64));
}

int dp_acl_zone_alloc(struct dp_acl *a)
{
	return a != NULL ? zone_alloc(a) : -EINVAL;
}

void dp_acl_zone_free(struct dp_acl *a, uint16_t zone)
{
	if (a != NULL && zone != 0)
		zone_free(a, zone);
}

uint32_t dp_acl_port_rule_set(const struct dp_acl *a, uint32_t lport)
{
	const struct acl_port *p = port_find(a, lport);
	return p ? p->rs->id : 0;
}

static void port_info(const struct acl_port *p, struct dp_acl_port_info *info)
{
	memset(info, 0, sizeof(*info));
	info->lport = p->lport;
	info->stateful = p->stateful;
	info->zone = p->zone;
	info->rule_set = p->rs->id;
	info->rule_set_ports = p->rs->refcnt;
	info->n_rules = p->rs->n_rules;
	info->rules = p->rs->rules;
	for (unsigned d = 0; d < 2; d++)
		for (unsigned f = 0; f < 2; f++)
			info->acl_rules[d][f] = p->rs->ctx[d][f]->n_acl_rules;
}

int dp_acl_port_info(const struct dp_acl *a, uint32_t lport, struct dp_acl_port_info *info)
{
	const struct acl_port *p = port_find(a, lport);
	if (p == NULL)
		return -ENOENT;
	port_info(p, info);
	return 0;
}

void dp_acl_foreach_port(const struct dp_acl *a,
			 int (*cb)(const struct dp_acl_port_info *info, void *arg), void *arg)
{
	struct dp_acl_port_info info;
	const void *k;
	void *d;
	uint32_t it = 0;

	while (rte_hash_iterate(a->ports, &k, &d, &it) >= 0) {
		port_info(d, &info);
		if (cb(&info, arg) != 0)
			return;
	}
}

void dp_acl_get_stats(const struct dp_acl *a, struct dp_acl_stats *st)
{
	*st = a->st;
	st->ports = (uint32_t)rte_hash_count(a->ports);
	st->sets = (uint32_t)rte_hash_count(a->sets);
}

/* ---- validation and normalisation ---------------------------------------- */

static bool ip_ok(const struct dp_ip *ip)
{
	return (ip->family == 4 && ip->plen <= 32) || (ip->family == 6 && ip->plen <= 128);
}

/* Clear the host bits so equal prefixes compare equal. */
static void ip_norm(struct dp_ip *o, const struct dp_ip *ip)
{
	unsigned full = ip->plen / 8, rem = ip->plen % 8;
	memset(o, 0, sizeof(*o));
	if (ip->plen == 0)
		return;
	o->family = ip->family;
	o->plen = ip->plen;
	memcpy(o->addr, ip->addr, full);
	if (rem)
		o->addr[full] = ip->addr[full] & (uint8_t)(0xff << (8 - rem));
}

static int rule_norm(struct dp_acl_rule *o, const struct dp_acl_rule *r)
{
	if (r->key == 0 || r->priority == 0 || r->priority > DP_ACL_MAX_PRIORITY ||
	    r->dir > DP_ACL_EGRESS || (r->family != 4 && r->family != 6) ||
	    r->src_min > r->src_max || r->dst_min > r->dst_max)
		return -EINVAL;
	if (r->remote.plen != 0 && (!ip_ok(&r->remote) || r->remote.family != r->family))
		return -EINVAL;
	if (r->remote_set != 0 && r->remote.plen != 0)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	o->key = r->key;
	o->priority = r->priority;
	o->dir = r->dir;
	o->family = r->family;
	o->any_proto = r->any_proto;
	o->proto = r->any_proto ? 0 : r->proto;
	o->src_min = r->src_min;
	o->src_max = r->src_max;
	o->dst_min = r->dst_min;
	o->dst_max = r->dst_max;
	ip_norm(&o->remote, &r->remote);
	o->remote_set = r->remote_set;
	return 0;
}

static uint64_t fnv64(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* ---- rule sets ------------------------------------------------------------ */

/* A rule set with exactly rules[0..n) (normalised), referenced once more;
 * built when new.  NULL + rte_errno. */
static struct acl_rs *rs_get(struct dp_acl *a, struct dp_acl_rule *rules, uint32_t n)
{
	uint64_t h = fnv64(rules, sizeof(*rules) * n);
	struct acl_rs *rs, *head = NULL;
	void *d;

	if (rte_hash_lookup_data(a->rs_index, &h, &d) >= 0)
		head = d;
	for (rs = head; rs != NULL; rs = rs->hnext)
		if (rs->n_rules == n && memcmp(rs->rules, rules, sizeof(*rules) * n) == 0) {
			rs->refcnt++;
			rte_free(rules);
			return rs;
		}
	rs = rte_zmalloc("dp_acl_rs", sizeof(*rs), RTE_CACHE_LINE_SIZE);
	if (rs == NULL) {
		rte_free(rules);
		rte_errno = ENOMEM;
		return NULL;
	}
	rs->hash = h;
	rs->n_rules = n;
	rs->rules = rules;
	for (unsigned d2 = 0; d2 < 2; d2++)
		for (unsigned f = 0; f < 2; f++) {
			rs->ctx[d2][f] = dp_acl_ctx_build(a, rs, d2, f);
			if (rs->ctx[d2][f] == NULL) {
				int e = rte_errno;
				rs_free(a, rs);
				rte_errno = e;
				return NULL;
			}
		}
	rs->hnext = head;
	if (rte_hash_add_key_data(a->rs_index, &h, rs) < 0) {
		rs_free(a, rs);
		rte_errno = ENOSPC;
		return NULL;
	}
	rs->id = ++a->next_rs_id;
	rs->refcnt = 1;
	rs->next = a->rs_list;
	a->rs_list = rs;
	a->st.rule_sets++;
	return rs;
}

/* Drop a reference; the last one unlinks and frees (callers have waited a
 * grace period since the last port pointing at it was unpublished). */
static void rs_put(struct dp_acl *a, struct acl_rs *rs)
{
	struct acl_rs **pp;
	void *d;

	if (rs == NULL || --rs->refcnt > 0)
		return;
	for (pp = &a->rs_list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == rs) {
			*pp = rs->next;
			break;
		}
	if (rte_hash_lookup_data(a->rs_index, &rs->hash, &d) >= 0) {
		if (d == rs) {
			if (rs->hnext != NULL)
				rte_hash_add_key_data(a->rs_index, &rs->hash, rs->hnext);
			else
				rte_hash_del_key(a->rs_index, &rs->hash);
		} else {
			for (struct acl_rs *c = d; c != NULL; c = c->hnext)
				if (c->hnext == rs) {
					c->hnext = rs->hnext;
					break;
				}
		}
	}
	a->st.rule_sets--;
	rs_free(a, rs);
}

/* ---- ports ---------------------------------------------------------------- */

int dp_acl_port_put(struct dp_acl *a, uint32_t lport, const struct dp_acl_port_cfg *cfg)
{
	struct dp_acl_rule *rules;
	struct acl_port *np;
	struct acl_rs *rs;
	int rc;

	if (lport == 0 || cfg == NULL || cfg->n_rules > DP_ACL_MAX_RULES ||
	    (cfg->n_rules > 0 && cfg->rules == NULL))
		return -EINVAL;
	rules = rte_zmalloc("dp_acl_rules", sizeof(*rules) * (cfg->n_rules + 1), 0);
	if (rules == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < cfg->n_rules; i++)
		if ((rc = rule_norm(&rules[i], &cfg->rules[i])) < 0) {
			rte_free(rules);
			return rc;
		}
	rs = rs_get(a, rules, cfg->n_rules);   /* takes rules */
	if (rs == NULL)
		return -rte_errno;
	const struct acl_port *old = port_find(a, lport);
	if (old != NULL && old->rs == rs && old->stateful == cfg->stateful) {
		rs_put(a, rs);                   /* unchanged */
		return 0;
	}
	np = rte_zmalloc("dp_acl_port", sizeof(*np), 0);
	if (np == NULL) {
		rs_put(a, rs);
		return -ENOMEM;
	}
	np->lport = lport;
	np->stateful = cfg->stateful;
	np->rs = rs;
	if (old != NULL) {
		np->zone = old->zone;
	} else if ((rc = zone_alloc(a)) < 0) {
		rte_free(np);
		rs_put(a, rs);
		return rc;
	} else {
		np->zone = (uint16_t)rc;
	}
	if (rte_hash_add_key_data(a->ports, &lport, np) < 0) {
		if (old == NULL)
			zone_free(a, np->zone);
		rte_free(np);
		rs_put(a, rs);
		return -ENOSPC;
	}
	if (old != NULL) {
		grace(a);   /* a first put frees nothing: no wait */
		struct acl_rs *ors = old->rs;
		rte_free((void *)(uintptr_t)old);
		rs_put(a, ors);
	}
	uint64_t tag = DP_TAG(DP_TAG_ACL_PORT, lport);
	notify(a, &tag, 1);
	return 0;
}

int dp_acl_port_del(struct dp_acl *a, uint32_t lport)
{
	const struct acl_port *old = port_find(a, lport);
	if (old == NULL)
		return -ENOENT;
	int32_t pos = rte_hash_del_key(a->ports, &lport);
	grace(a);
	if (pos >= 0)
		rte_hash_free_key_with_position(a->ports, pos);
	struct acl_rs *ors = old->rs;
	int zone = old->zone;
	zone_free(a, old->zone);
	rte_free((void *)(uintptr_t)old);
	rs_put(a, ors);
	uint64_t tag = DP_TAG(DP_TAG_ACL_PORT, lport);
	notify(a, &tag, 1);
	return zone;
}

/* ---- address sets ----------------------------------------------------------- */

struct rebuilt {
	struct acl_rs *rs;
	unsigned dir, fam6;
	struct acl_ctx *ctx;   /* new, then old after the swap */
};

static bool ctx_uses_set(const struct acl_rs *rs, unsigned dir, unsigned fam6, uint32_t set)
{
	for (uint32_t i = 0; i < rs->n_rules; i++) {
		const struct dp_acl_rule *r = &rs->rules[i];
		if (r->remote_set == set && r->dir == dir && r->family == (fam6 ? 6 : 4))
			return true;
	}
	return false;
}

/* Install ns as set `set` (NULL: remove it), rebuild what depends on it. */
static int set_replace(struct dp_acl *a, uint32_t set, struct acl_set *ns)
{
	struct acl_set *old = (struct acl_set *)(uintptr_t)dp_acl_set_find(a, set);
	struct rebuilt *rb = NULL;
	uint64_t *tags = NULL;
	unsigned n_rb = 0, cap = 0, n_tags = 0;
	int rc = 0;

	if (ns != NULL) {
		if (rte_hash_add_key_data(a->sets, &set, ns) < 0)
			return -ENOSPC;
	} else {
		rte_hash_del_key(a->sets, &set);   /* builds must see it empty */
	}
	for (struct acl_rs *rs = a->rs_list; rs != NULL && rc == 0; rs = rs->next)
		for (unsigned c = 0; c < 4 && rc == 0; c++) {
			unsigned d = c >> 1, f = c & 1;
			if (!ctx_uses_set(rs, d, f, set))
				continue;
			if (n_rb == cap) {
				unsigned ncap = cap ? cap * 2 : 16;
				struct rebuilt *nrb = rte_realloc(rb, sizeof(*rb) * ncap, 0);
				if (nrb == NULL) {
					rc = -ENOMEM;
					break;
				}
				rb = nrb;
				cap = ncap;
			}
			rb[n_rb] = (struct rebuilt){ .rs = rs, .dir = d, .fam6 = f };
			rb[n_rb].ctx = dp_acl_ctx_build(a, rs, d, f);
			if (rb[n_rb].ctx == NULL)
				rc = -rte_errno;
			else
				n_rb++;
		}
	if (rc == 0 && n_rb > 0) {
		tags = rte_malloc("dp_acl_tags", sizeof(*tags) * n_rb, 0);
		if (tags == NULL)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		/* undo: drop the new builds, put the old set back */
		for (unsigned i = 0; i < n_rb; i++)
			dp_acl_ctx_free(a, rb[i].ctx);
		rte_free(rb);
		if (old != NULL)
			rte_hash_add_key_data(a->sets, &set, old);
		else
			rte_hash_del_key(a->sets, &set);
		return rc;
	}
	for (unsigned i = 0; i < n_rb; i++) {
		struct acl_ctx **slot = &rb[i].rs->ctx[rb[i].dir][rb[i].fam6];
		struct acl_ctx *prev = *slot;
		__atomic_store_n(slot, rb[i].ctx, __ATOMIC_RELEASE);
		rb[i].ctx = prev;
		uint64_t t = DP_TAG(DP_TAG_ACL_RS, rb[i].rs->id);
		if (n_tags == 0 || tags[n_tags - 1] != t)
			tags[n_tags++] = t;
	}
	if (n_rb > 0)
		grace(a);
	for (unsigned i = 0; i < n_rb; i++)
		dp_acl_ctx_free(a, rb[i].ctx);
	if (old != NULL && old != ns) {
		rte_free(old->addrs);
		rte_free(old);
	}
	notify(a, tags, n_tags);
	rte_free(tags);
	rte_free(rb);
	return 0;
}

int dp_acl_set_put(struct dp_acl *a, uint32_t set, const struct dp_ip *addrs, uint32_t n)
{
	struct acl_set *ns;
	int rc;

	if (set == 0 || n > DP_ACL_MAX_SET_ADDRS || (n > 0 && addrs == NULL))
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (!ip_ok(&addrs[i]))
			return -EINVAL;
	ns = rte_zmalloc("dp_acl_set", sizeof(*ns), 0);
	if (ns == NULL)
		return -ENOMEM;
	ns->key = set;
	ns->n = n;
	ns->addrs = rte_zmalloc("dp_acl_set_addrs", sizeof(*ns->addrs) * (n + 1), 0);
	if (ns->addrs == NULL) {
		rte_free(ns);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		ip_norm(&ns->addrs[i], &addrs[i]);
		ns->addrs[i].family = addrs[i].family;   /* a /0 member keeps its family */
	}
	if ((rc = set_replace(a, set, ns)) < 0) {
		rte_free(ns->addrs);
		rte_free(ns);
	}
	return rc;
}

int dp_acl_set_del(struct dp_acl *a, uint32_t set)
{
	if (dp_acl_set_find(a, set) == NULL)
		return -ENOENT;
	return set_replace(a, set, NULL);
}
