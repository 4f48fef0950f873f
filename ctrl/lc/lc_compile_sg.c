/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_compile_sg.c — security groups -> the datapath's ACL table
 * (dp/include/acl.h).  Control thread only; runs inside lc_compile after
 * the lports are compiled.
 *
 *  - Address sets: a wanted security group with a dp_key gets the set keyed
 *    by that dp_key once a compiled rule of a local port names it as remote
 *    group (set_key, the compile's callback), its members computed by
 *    mdl_sg_members_many over the held (wanted) ports that list it (the
 *    group -> ports lists of lc->sg_members, rebuilt in one walk over the
 *    ports only when membership may have changed); put only when the
 *    member list changed (a signature per group object), kept up to date
 *    from then on, deleted when the group goes.  Groups no local rule
 *    reads get no set (100k ports in 1000 groups, two of them local: two
 *    sets, not 1000).
 *  - Then every local compiled port with port security (and not owned by
 *    the network, device_owner "network:...", which Neutron trusts): its
 *    groups (from port->security_groups; rules from the group's embedded
 *    array and the security_group_rule objects naming it) through
 *    mdl_sg_compile (with the base rules) into dp_acl_port_put.  A port
 *    with port security and no group gets the base rules only: Neutron
 *    denies everything else (the northbound gives new ports their project's
 *    default group, so this is an old or hand-made port).  Port security
 *    off, not local, or gone -> dp_acl_port_del.  Put only when the compiled
 *    list or the lport key changed (signature), so an incremental pass
 *    issues only differences and ends in what a from-scratch compile gives.
 *    A group that does not compile skips the port (no ACL would mean "not
 *    filtered", so a port that had one keeps its old ACL, counted in show
 *    ctrl).
 *  - Only ports whose inputs changed are compiled again: the port itself
 *    (version, lport, binding), or one of its groups (version) or a rule
 *    object of one of its groups (created, changed, deleted).  Each object
 *    keeps the state it had at the last pass (sg_state); the changed groups
 *    of this pass are a set of id hashes.  A group appearing, going or
 *    changing dp_key changes the address-set keys other groups' rules
 *    compile to, so it recompiles every port (rare).  A port that failed
 *    keeps a zero state and is tried again next pass.
 *  - A port whose ACL is deleted has its conntrack zone flushed by whoever
 *    owns the conntrack (lc->on_acl_del).
 * Nothing happens when the tables have no ACL table (unit tests with bare
 * tables).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "lc_priv.h"
#include "mdl_sg.h"

static bool wanted(const struct lc_obj *o)
{
	return o->present && o->reach && o->o;
}

/* Every wanted group with the wanted ports that list it (lc->sg_members):
 * built by a walk over the ports in a batch that may have changed more
 * than ports (a full reachability pass, a group or rule changed), and
 * otherwise kept: a port whose record is replaced leaves its groups' lists
 * (lc_sg_forget, with its old record), a changed port joins the lists of
 * its groups again when it is wanted, and a deleted one leaves them; the
 * sets of the groups whose lists moved are computed again from the lists.
 * Entries are in group id order (the order of lc_obj_all). */
struct sg_members {
	struct lc_obj *g;
	struct lc_obj **ports;
	size_t n, cap;
	bool todo;              /* its set: compute again in this pass */
};

struct lc_sg_cache {
	struct sg_members *e;
	size_t n;
	bool valid;
};

static void cache_clear(struct lc_sg_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->e[i].ports);
	free(c->e);
	c->e = NULL;
	c->n = 0;
	c->valid = false;
}

void lc_compile_sg_free(struct lc *lc)
{
	if (lc->sg_members)
		cache_clear(lc->sg_members);
	free(lc->sg_members);
	lc->sg_members = NULL;
}

static struct sg_members *cache_find(struct lc_sg_cache *c, const char *group_id)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(c->e[mid].g->o->id, group_id);
		if (d == 0)
			return &c->e[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int member_add(struct sg_members *m, struct lc_obj *o)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4;
		struct lc_obj **np = realloc(m->ports, cap * sizeof(*np));
		if (np == NULL)
			return -ENOMEM;
		m->ports = np;
		m->cap = cap;
	}
	m->ports[m->n++] = o;
	return 0;
}

/* o out of the lists of the groups its record names (those lists' sets
 * are computed again) */
static void members_leave(struct lc_sg_cache *c, struct lc_obj *o)
{
	const struct lc_port *p = lc_port_of(o);
	for (size_t k = 0; k < p->n_security_groups; k++) {
		struct sg_members *m = cache_find(c, p->security_groups[k]);
		for (size_t j = 0; m != NULL && j < m->n; j++)
			if (m->ports[j] == o) {
				m->ports[j] = m->ports[--m->n];
				m->todo = true;
				break;
			}
	}
}

void lc_sg_forget(struct lc *lc, struct lc_obj *o)
{
	if (lc->sg_members && lc->sg_members->valid && o->type == MDL_PORT && o->o)
		members_leave(lc->sg_members, o);
}

/* A changed port's lists: out of them all, then (wanted) into its groups'.
 * -ENOMEM: the lists are no longer right. */
static int members_follow(struct lc_sg_cache *c, struct lc_obj *o)
{
	if (o->o == NULL)
		return 0;
	members_leave(c, o);
	if (!wanted(o))
		return 0;
	const struct lc_port *p = lc_port_of(o);
	for (size_t k = 0; k < p->n_security_groups; k++) {
		struct sg_members *m = cache_find(c, p->security_groups[k]);
		if (m == NULL || (m->n && m->ports[m->n - 1] == o))
			continue;   /* a group not held, or listed twice */
		if (member_add(m, o) < 0)
			return -ENOMEM;
		m->todo = true;
	}
	return 0;
}

static int cache_build(struct lc_sg_cache *c, struct lc_obj **v, size_t n)
{
	size_t lo, hi;
	cache_clear(c);
	lc_type_range(v, n, MDL_SECURITY_GROUP, &lo, &hi);
	if ((c->e = calloc(hi - lo + 1, sizeof(*c->e))) == NULL)
		return -ENOMEM;
	for (size_t i = lo; i < hi; i++)
		if (wanted(v[i]))
			c->e[c->n++].g = v[i];
	lc_type_range(v, n, MDL_PORT, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		if (!wanted(v[i]))
			continue;
		const struct lc_port *p = lc_port_of(v[i]);
		for (size_t k = 0; k < p->n_security_groups; k++) {
			struct sg_members *m = cache_find(c, p->security_groups[k]);
			if (m == NULL || (m->n && m->ports[m->n - 1] == v[i]))
				continue;
			if (member_add(m, v[i]) < 0) {
				cache_clear(c);
				return -ENOMEM;
			}
		}
	}
	c->valid = true;
	return 0;
}

/* Port p's addresses into a group's set: what mdl_sg_set_add reads from a
 * model port's text, from p's binary fixed IPs. */
static void set_add_port(struct mdl_sg_set *set, const struct lc_port *p)
{
	for (size_t i = 0; i < p->n_fixed_ips; i++) {
		const struct lc_fixed_ip *f = &p->fixed_ips[i];
		struct mdl_prefix pr;
		memset(&pr, 0, sizeof(pr));
		if (f->ip.family) {
			pr.addr.family = f->ip.family;
			memcpy(pr.addr.b, f->ip.addr, sizeof(pr.addr.b));
			pr.len = f->ip.plen;
		} else if (mdl_ip_or_prefix_parse(f->odd.text, &pr) < 0) {
			continue;
		}
		mdl_sg_set_add_prefix(set, &pr);
	}
	mdl_sg_set_add(set, NULL, 0, p->allowed_address_pairs, p->n_allowed_address_pairs);
}

/* Put group o's address set when its members changed. */
static void set_update(struct lc *lc, struct dp_acl *acl, struct lc_obj *o,
		       const struct sg_members *m)
{
	struct mdl_sg_set set = { .group_id = o->o->id };
	uint32_t key = o->o->dp_key;
	for (size_t k = 0; k < m->n; k++) {
		if (!wanted(m->ports[k]))
			continue;
		const struct lc_port *p = lc_port_of(m->ports[k]);
		for (size_t j = 0; p->port_security_enabled && j < p->n_security_groups; j++)
			if (strcmp(p->security_groups[j], set.group_id) == 0) {
				set_add_port(&set, p);
				break;
			}
	}
	mdl_sg_set_finish(&set);
	const struct mdl_acl_addr *a = set.addrs;
	size_t nm = set.n;
	uint64_t sig = lc_fnv(a, nm * sizeof(*a), 0xcbf29ce484222325ull ^ nm);
	struct dp_ip *d = set.rc == 0 && (o->cs->set_key != key || o->cs->set_sig != sig) ?
			  calloc(nm + 1, sizeof(*d)) : NULL;
	if (d != NULL) {
		for (size_t k = 0; k < nm; k++) {
			d[k].family = a[k].family;
			d[k].plen = a[k].plen;
			memcpy(d[k].addr, a[k].addr, 16);
		}
		lc->st.table_ops++;
		int rc = dp_acl_set_put(acl, key, d, (uint32_t)nm);
		if (rc < 0) {
			lc->st.table_errors++;
			lc_skip(lc, o, "acl_set_put: %s", strerror(-rc));
		} else {
			o->cs->set_key = key;
			o->cs->set_sig = sig;
			free(o->cs->set_addrs);   /* what is in the table now */
			o->cs->set_addrs = d;
			o->cs->n_set_addrs = (uint32_t)nm;
			d = NULL;
		}
		free(d);
	}
	free(set.addrs);
}

/* The address set of a remote group a port's rule names (mdl_sg_compile's
 * callback): put the first time a compiled rule reads it, then kept up to
 * date while the group is here.  A set no rule of a port bound here reads
 * is not built: at 100k ports in 1000 groups, two local ports read two
 * sets, not a thousand. */
static uint32_t set_key(void *ctx, const char *group_id)
{
	struct lc *lc = ctx;
	struct lc_obj *g = lc_obj_find_id(lc, MDL_SECURITY_GROUP, group_id);
	if (g == NULL || !wanted(g))
		return 0;
	uint32_t key = g->o->dp_key;
	struct dp_acl *acl = dp_tables_get_acl(lc->t);
	struct sg_members *m = lc->sg_members && lc->sg_members->valid ?
			       cache_find(lc->sg_members, group_id) : NULL;
	if (key && m != NULL && g->cs->set_key != key)
		set_update(lc, acl, g, m);
	return key;
}

/* quick: only the sets of the groups of the ports this batch changed (whose
 * groups and reachability it did not change, or reachability would have
 * run); else every set, from a new walk over the ports. */
static void compile_sets(struct lc *lc, struct dp_acl *acl, struct lc_obj **v, size_t n,
			 bool quick)
{
	if (lc->sg_members == NULL &&
	    (lc->sg_members = calloc(1, sizeof(*lc->sg_members))) == NULL)
		return;
	struct lc_sg_cache *c = lc->sg_members;
	bool ok = quick && c->valid;
	for (size_t i = 0; ok && i < lc->n_chg; i++)
		if (lc->chg[i]->type == MDL_PORT)
			ok = members_follow(c, lc->chg[i]) == 0;
	if (ok) {
		/* the sets put (a rule of a port here reads them) whose lists moved */
		for (size_t i = 0; i < c->n; i++) {
			struct sg_members *m = &c->e[i];
			if (m->todo && m->g->o->dp_key && m->g->cs->set_key == m->g->o->dp_key)
				set_update(lc, acl, m->g, m);
			m->todo = false;
		}
		return;
	}
	if (cache_build(c, v, n) < 0)
		return;
	size_t lo, hi;
	lc_type_range(v, n, MDL_SECURITY_GROUP, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		struct lc_obj *o = v[i];
		uint32_t key = wanted(o) ? o->o->dp_key : 0;
		if (o->cs->set_key && o->cs->set_key != key) {
			lc->st.table_ops++;
			dp_acl_set_del(acl, o->cs->set_key);
			o->cs->set_key = 0;
			o->cs->set_sig = 0;
			free(o->cs->set_addrs);
			o->cs->set_addrs = NULL;
			o->cs->n_set_addrs = 0;
		}
		/* a set a rule read is kept up to date; one no rule read yet
		 * is put by set_key when a port's rule first reads it */
		struct sg_members *m = key && o->cs->set_key ? cache_find(c, o->o->id) : NULL;
		if (m != NULL)
			set_update(lc, acl, o, m);
	}
}

static void acl_del(struct lc *lc, struct dp_acl *acl, struct lc_obj *o)
{
	lc->st.table_ops++;
	int zone = dp_acl_port_del(acl, o->acl_lport);
	if (zone > 0 && lc->cfg.on_acl_del)
		lc->cfg.on_acl_del(lc->cfg.on_acl_del_arg, o->acl_lport, (uint16_t)zone);
	o->acl_lport = 0;
	o->acl_sig = 0;
	free(o->acl_groups);
	o->acl_groups = NULL;
	o->n_acl_groups = 0;
}

/* ---- what changed since the last pass ---- */

static uint64_t hash_id(const char *s)
{
	return lc_hash_str(s) | 1;
}

struct changes {
	uint64_t *h;            /* hashes of changed group ids, sorted */
	size_t n, cap;
	bool all;               /* every port */
};

static void changed_add(struct changes *c, uint64_t h)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		uint64_t *v = realloc(c->h, cap * sizeof(*v));
		if (v == NULL) {
			c->all = true;  /* cannot remember: recompile everything */
			return;
		}
		c->h = v;
		c->cap = cap;
	}
	c->h[c->n++] = h;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool changed_has(const struct changes *c, uint64_t h)
{
	return c->all || (c->n > 0 && bsearch(&h, c->h, c->n, sizeof(h), cmp_u64) != NULL);
}

/* Groups and rule objects whose state moved since the last pass. */
static void collect_changes(struct lc_obj **v, size_t n, struct changes *c)
{
	for (size_t i = 0; i < n; i++) {
		struct lc_obj *o = v[i];
		if (o->type == MDL_SECURITY_GROUP) {
			uint64_t st = wanted(o) ? lc_fnv(&o->version, sizeof(o->version),
						      hash_id(o->o->id) ^ o->o->dp_key) | 1 : 0;
			uint64_t key_st = wanted(o) ? o->o->dp_key | (1ull << 32) : 0;
			if (st == o->sg_state)
				continue;
			/* appeared, gone, new dp_key: other groups' rules naming it
			 * as remote group compile differently */
			if ((o->sg_state == 0) != (st == 0) || (o->cs->sg_grp && o->cs->sg_grp != key_st))
				c->all = true;
			o->cs->sg_grp = key_st;
			changed_add(c, hash_id(o->key + strlen(LC_PREFIX "security_group/")));
			o->sg_state = st;
		} else if (o->type == MDL_SECURITY_GROUP_RULE) {
			uint64_t g = wanted(o) ?
				     hash_id(mdl_hdr_to_sg_rule(o->o)->security_group_id) : 0;
			uint64_t st = wanted(o) ? lc_fnv(&o->version, sizeof(o->version),
						      g ^ o->o->dp_key) | 1 : 0;
			if (st == o->sg_state)
				continue;
			if (o->cs->sg_grp)
				changed_add(c, o->cs->sg_grp);
			if (g)
				changed_add(c, g);
			o->cs->sg_grp = g;
			o->sg_state = st;
		}
	}
	if (c->n > 1)
		qsort(c->h, c->n, sizeof(*c->h), cmp_u64);
}

/* The port's own inputs: version, lport key, binding, what it wants. */
static uint64_t port_state(const struct lc_obj *o, const struct dp_lport_cfg *lp)
{
	if (lp == NULL)
		return 0;
	uint64_t h = lc_fnv(&o->version, sizeof(o->version), hash_id(o->key));
	h = lc_fnv(&lp->key, sizeof(lp->key), h);
	h = lc_fnv(&lp->dp_port, sizeof(lp->dp_port), h);
	return h | 1;
}

static bool port_changed(const struct lc_obj *o, const struct lc_port *p, uint64_t st,
			 const struct changes *c)
{
	if (c->all || st != o->sg_state)
		return true;
	for (size_t k = 0; k < p->n_security_groups; k++)
		if (changed_has(c, hash_id(p->security_groups[k])))
			return true;
	return false;
}

/* Remember the groups the port's ACL was compiled from. */
static void keep_groups(struct lc_obj *o, const struct lc_port *p)
{
	char (*g)[MDL_ID_SIZE] = calloc(p->n_security_groups + 1, sizeof(*g));
	if (g == NULL)
		return;
	for (size_t k = 0; k < p->n_security_groups; k++)
		snprintf(g[k], MDL_ID_SIZE, "%s", p->security_groups[k]);
	free(o->acl_groups);
	o->acl_groups = g;
	o->n_acl_groups = p->n_security_groups;
}

/* The rule objects of every group, sorted by group id (bsearch). */
struct rule_ref {
	const char *group;
	const struct mdl_security_group_rule *r;
};

static int cmp_rule_ref(const void *a, const void *b)
{
	const struct rule_ref *x = a, *y = b;
	int c = strcmp(x->group, y->group);
	return c ? c : strcmp(x->r->hdr.id, y->r->hdr.id);
}

static int port_rules(struct lc *lc, struct lc_obj *o, const struct rule_ref *refs,
		      size_t n_refs, struct mdl_acl_rule **out, size_t *n_out, bool *stateful)
{
	const struct lc_port *p = lc_port_of(o);
	struct mdl_sg_input *in = calloc(p->n_security_groups + 1, sizeof(*in));
	const struct mdl_security_group_rule **rl = calloc(n_refs + 1, sizeof(*rl));
	size_t ng = 0, nr = 0;
	int rc = -ENOMEM;
	char err[128] = "";
	if (in == NULL || rl == NULL)
		goto out;
	for (size_t k = 0; k < p->n_security_groups; k++) {
		struct lc_obj *g = lc_obj_find_id(lc, MDL_SECURITY_GROUP, p->security_groups[k]);
		if (g == NULL || !wanted(g)) {
			lc_skip(lc, o, "security group %.40s missing", p->security_groups[k]);
			rc = -ENOENT;
			goto out;
		}
		in[ng].sg = mdl_hdr_to_sg(g->o);
		in[ng].rules = &rl[nr];
		/* the run of rule objects naming this group */
		size_t lo = 0, hi = n_refs;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (strcmp(refs[mid].group, g->o->id) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n_refs && strcmp(refs[lo].group, g->o->id) == 0; lo++)
			rl[nr++] = refs[lo].r;
		in[ng].n_rules = (size_t)(&rl[nr] - in[ng].rules);
		ng++;
	}
	rc = mdl_sg_compile(in, ng, set_key, lc, MDL_SG_BASE, out, n_out, stateful, err,
			    sizeof(err));
	if (rc < 0)
		lc_skip(lc, o, "security groups: %s", err[0] ? err : strerror(-rc));
out:
	free(in);
	free(rl);
	return rc;
}

void lc_compile_sg(struct lc *lc, struct lc_obj **v, size_t n)
{
	struct dp_acl *acl = dp_tables_get_acl(lc->t);
	if (acl == NULL)
		return;
	/* nothing but ports changed, and reachability kept: the member lists
	 * hold, and only changed ports can need a new ACL */
	bool quick = !lc->reach_ran && lc->n_chg != SIZE_MAX &&
		     !(lc->chg_types & ((1u << MDL_SECURITY_GROUP) |
					(1u << MDL_SECURITY_GROUP_RULE)));
	compile_sets(lc, acl, v, n, quick);
	struct changes ch = { NULL, 0, 0, false };
	if (!quick)
		collect_changes(v, n, &ch);
	size_t lo, hi;
	lc_type_range(v, n, MDL_SECURITY_GROUP_RULE, &lo, &hi);
	struct rule_ref *refs = malloc((hi - lo + 1) * sizeof(*refs));
	size_t n_refs = 0;
	if (refs == NULL) {
		free(ch.h);
		return;
	}
	for (size_t i = lo; i < hi; i++)
		if (wanted(v[i])) {
			const struct mdl_security_group_rule *r = mdl_hdr_to_sg_rule(v[i]->o);
			refs[n_refs++] = (struct rule_ref){ r->security_group_id, r };
		}
	if (n_refs > 1)
		qsort(refs, n_refs, sizeof(*refs), cmp_rule_ref);
	/* the ports to look at: the changed ones, or (an lport changed
	 * elsewhere, or groups did) all of them */
	struct lc_obj **pv = v;
	size_t np = n;
	if (quick && !lc->lp_other && !lc->ifaces_changed) {
		pv = lc->chg;
		np = lc->n_chg;
	}
	for (size_t i = 0; i < np; i++) {
		struct lc_obj *o = pv[i];
		lc_yield_point(lc);
		if (o->type != MDL_PORT)
			continue;
		/* an ACL is for a port bound here (its lport has a dp port, set
		 * from o->local): the 100k remote ones are passed over here */
		if (!o->local) {
			if (o->acl_lport)
				acl_del(lc, acl, o);
			o->sg_state = 0;
			continue;
		}
		const struct lc_port *p = wanted(o) ? lc_port_of(o) : NULL;
		/* port security on: filtered, also without a group (base rules
		 * only, as Neutron denies the rest); network-owned ports are
		 * trusted (Neutron's firewall skips them) */
		const struct dp_lport_cfg *lp = p ? lc_lp(lc, o) : NULL;
		bool want = p != NULL && lp != NULL && lp->dp_port != DP_NO_PORT &&
			    p->port_security_enabled &&
			    strncmp(p->device_owner, "network:", 8) != 0;
		uint64_t st = port_state(o, want ? lp : NULL);
		if (!want) {
			if (o->acl_lport)
				acl_del(lc, acl, o);
			o->sg_state = 0;
			continue;
		}
		if (!port_changed(o, p, st, &ch))
			continue;
		o->sg_state = 0;    /* until it compiled and the ACL is in */
		struct mdl_acl_rule *rules = NULL;
		size_t nr = 0;
		bool stateful = true;
		lc->st.sg_port_compiles++;
		bool fallback = false;
		if (port_rules(lc, o, refs, n_refs, &rules, &nr, &stateful) < 0) {
			/* an older ACL stays: never unfiltered by mistake.  A port
			 * without one (its group not here yet: one northbound txn
			 * may arrive over two batches) gets the base rules only
			 * until its groups compile (sg_state stays 0: retried) */
			char err[64];
			if (o->acl_lport != 0 || mdl_sg_compile(NULL, 0, NULL, NULL, MDL_SG_BASE,
								&rules, &nr, &stateful, err,
								sizeof(err)) < 0)
				continue;
			fallback = true;
		}
		uint64_t sig = lc_fnv(rules, nr * sizeof(*rules), 0xcbf29ce484222325ull ^ nr);
		sig = lc_fnv(&stateful, sizeof(stateful), sig);
		uint32_t lport = o->lp_key;
		if (o->acl_lport && o->acl_lport != lport)
			acl_del(lc, acl, o);
		if (o->acl_lport != lport || o->acl_sig != sig) {
			/* struct mdl_acl_rule has dp_acl_rule's layout
			 * (static-asserted in dp/acl_sg_test.c) */
			struct dp_acl_port_cfg c = { .stateful = stateful, .n_rules = (uint32_t)nr,
						     .rules = (const struct dp_acl_rule *)rules };
			lc->st.table_ops++;
			int rc = dp_acl_port_put(acl, lport, &c);
			if (rc < 0) {
				lc->st.table_errors++;
				lc_skip(lc, o, "acl_port_put: %s", strerror(-rc));
			} else {
				o->acl_lport = lport;
				o->acl_sig = sig;
				keep_groups(o, p);
				o->sg_state = fallback ? 0 : st;   /* a fallback: retry */
			}
		} else {
			keep_groups(o, p);
			o->sg_state = fallback ? 0 : st;
		}
		free(rules);
	}
	free(refs);
	free(ch.h);
}

/* ---- the compiled view (show security-groups) ---- */

struct sg_port_walk {
	int (*cb)(const struct lc_sg_port *p, void *arg);
	void *arg;
	int rc;
};

static void sg_port_one(struct lc *lc, struct lc_obj *o, void *arg)
{
	struct sg_port_walk *w = arg;
	(void)lc;
	if (w->rc || o->type != MDL_PORT || o->acl_lport == 0)
		return;
	const char *id = o->key + strlen(LC_PREFIX "port/");
	struct lc_sg_port p = {
		.id = id, .name = o->o ? lc_port_of(o)->name : "",
		.lport = o->acl_lport, .groups = (const char (*)[MDL_ID_SIZE])o->acl_groups,
		.n_groups = o->n_acl_groups,
	};
	w->rc = w->cb(&p, w->arg);
}

void lc_foreach_sg_port(const struct lc *lc, int (*cb)(const struct lc_sg_port *p, void *arg),
			void *arg)
{
	struct sg_port_walk w = { cb, arg, 0 };
	lc_obj_foreach((struct lc *)lc, sg_port_one, &w);
}

struct sg_rule_walk {
	int (*cb)(uint32_t key, const char *rule_id, const char *group_id, void *arg);
	void *arg;
	int rc;
};

static void sg_rule_one(struct lc *lc, struct lc_obj *o, void *arg)
{
	struct sg_rule_walk *w = arg;
	(void)lc;
	if (w->rc || !wanted(o))
		return;
	if (o->type == MDL_SECURITY_GROUP_RULE) {
		const struct mdl_security_group_rule *r = mdl_hdr_to_sg_rule(o->o);
		w->rc = w->cb(mdl_sg_rule_key(r), r->hdr.id, r->security_group_id, w->arg);
	} else if (o->type == MDL_SECURITY_GROUP) {
		const struct mdl_security_group *g = mdl_hdr_to_sg(o->o);
		for (size_t i = 0; i < g->n_rules && !w->rc; i++)
			w->rc = w->cb(mdl_sg_embedded_key(g, i), g->rules[i].id, g->hdr.id,
				      w->arg);
	}
}

void lc_foreach_sg_rule(const struct lc *lc,
			int (*cb)(uint32_t key, const char *rule_id, const char *group_id,
				  void *arg), void *arg)
{
	struct sg_rule_walk w = { cb, arg, 0 };
	lc_obj_foreach((struct lc *)lc, sg_rule_one, &w);
}

struct sg_set_find {
	uint32_t set;
	struct lc_obj *o;
};

static void sg_set_one(struct lc *lc, struct lc_obj *o, void *arg)
{
	struct sg_set_find *f = arg;
	(void)lc;
	if (o->type == MDL_SECURITY_GROUP && o->cs->set_key == f->set)
		f->o = o;
}

int lc_sg_set(const struct lc *lc, uint32_t set, const char **group_id, const char **name,
	      const struct dp_ip **addrs, uint32_t *n)
{
	struct sg_set_find f = { set, NULL };
	if (set == 0)
		return -ENOENT;
	lc_obj_foreach((struct lc *)lc, sg_set_one, &f);
	if (f.o == NULL)
		return -ENOENT;
	*group_id = f.o->key + strlen(LC_PREFIX "security_group/");
	*name = f.o->o ? mdl_hdr_to_sg(f.o->o)->name : "";
	*addrs = f.o->cs->set_addrs;
	*n = f.o->cs->n_set_addrs;
	return 0;
}

const char *lc_sg_group_name(const struct lc *lc, const char *id)
{
	struct lc_obj *g = lc_obj_find_id((struct lc *)lc, MDL_SECURITY_GROUP, id);
	return g != NULL ? mdl_hdr_to_sg(g->o)->name : "";
}
