/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_compile_sg.c — security groups -> the datapath's ACL table
 * (dp/include/acl.h).  Control thread only; runs inside lc_compile after
 * the lports are compiled.
 *
 *  - Address sets first: every wanted security group with a dp_key gets the
 *    set keyed by that dp_key, its members computed by mdl_sg_members over
 *    the held (wanted) ports; put only when the member list changed (a
 *    signature per group object), deleted when the group goes.
 *  - Then every local compiled port: port security on and at least one
 *    group (a port without groups stays unfiltered for now: the northbound
 *    does not yet give new ports their project's default group) -> its groups (from
 *    port->security_groups; rules from the group's embedded array and the
 *    security_group_rule objects naming it) through mdl_sg_compile (with the
 *    base rules) into dp_acl_port_put; port security off, not local, or gone
 *    -> dp_acl_port_del.  Put only when the compiled list or the lport key
 *    changed (signature), so an incremental pass issues only differences and
 *    ends in what a from-scratch compile gives.  A group that does not
 *    compile skips the port (no ACL would mean "not filtered", so a port that
 *    had one keeps its old ACL, counted in show ctrl).
 *  - A port whose ACL is deleted has its conntrack zone flushed by whoever
 *    owns the conntrack (lc->on_acl_del).
 * Nothing happens when the tables have no ACL table (unit tests with bare
 * tables).  Membership is recomputed per group over all ports: groups x
 * ports per pass.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "lc_priv.h"
#include "mdl_sg.h"

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static bool wanted(const struct lc_obj *o)
{
	return o->present && o->reach && o->o;
}

static uint32_t set_key(void *ctx, const char *group_id)
{
	struct lc *lc = ctx;
	struct lc_obj *g = lc_obj_find_id(lc, MDL_SECURITY_GROUP, group_id);
	return g != NULL && wanted(g) ? g->o->dp_key : 0;
}

static void compile_sets(struct lc *lc, struct dp_acl *acl, struct lc_obj **v, size_t n)
{
	const struct mdl_port **ports = malloc((n + 1) * sizeof(*ports));
	size_t np = 0;
	if (ports == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		if (v[i]->type == MDL_PORT && wanted(v[i]))
			ports[np++] = mdl_hdr_to_port(v[i]->o);
	for (size_t i = 0; i < n; i++) {
		struct lc_obj *o = v[i];
		if (o->type != MDL_SECURITY_GROUP)
			continue;
		uint32_t key = wanted(o) ? o->o->dp_key : 0;
		if (o->set_key && o->set_key != key) {
			lc->st.table_ops++;
			dp_acl_set_del(acl, o->set_key);
			o->set_key = 0;
			o->set_sig = 0;
		}
		if (key == 0)
			continue;
		struct mdl_acl_addr *m = NULL;
		size_t nm = 0;
		if (mdl_sg_members(ports, np, o->o->id, &m, &nm) < 0)
			continue;
		uint64_t sig = fnv(m, nm * sizeof(*m), 0xcbf29ce484222325ull ^ nm);
		if (o->set_key != key || o->set_sig != sig) {
			struct dp_ip *a = calloc(nm + 1, sizeof(*a));
			if (a != NULL) {
				for (size_t k = 0; k < nm; k++) {
					a[k].family = m[k].family;
					a[k].plen = m[k].plen;
					memcpy(a[k].addr, m[k].addr, 16);
				}
				lc->st.table_ops++;
				int rc = dp_acl_set_put(acl, key, a, (uint32_t)nm);
				if (rc < 0) {
					lc->st.table_errors++;
					lc_skip(lc, o, "acl_set_put: %s", strerror(-rc));
				} else {
					o->set_key = key;
					o->set_sig = sig;
				}
				free(a);
			}
		}
		free(m);
	}
	free(ports);
}

static void acl_del(struct lc *lc, struct dp_acl *acl, struct lc_obj *o)
{
	lc->st.table_ops++;
	dp_acl_port_del(acl, o->acl_lport);
	if (lc->cfg.on_acl_del)
		lc->cfg.on_acl_del(lc->cfg.on_acl_del_arg, o->acl_lport);
	o->acl_lport = 0;
	o->acl_sig = 0;
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
	const struct mdl_port *p = mdl_hdr_to_port(o->o);
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
	compile_sets(lc, acl, v, n);
	struct rule_ref *refs = malloc((n + 1) * sizeof(*refs));
	size_t n_refs = 0;
	if (refs == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		if (v[i]->type == MDL_SECURITY_GROUP_RULE && wanted(v[i])) {
			const struct mdl_security_group_rule *r = mdl_hdr_to_sg_rule(v[i]->o);
			refs[n_refs++] = (struct rule_ref){ r->security_group_id, r };
		}
	qsort(refs, n_refs, sizeof(*refs), cmp_rule_ref);
	for (size_t i = 0; i < n; i++) {
		struct lc_obj *o = v[i];
		if (o->type != MDL_PORT)
			continue;
		const struct mdl_port *p = wanted(o) ? mdl_hdr_to_port(o->o) : NULL;
		/* a port with no group stays unfiltered until the northbound
		 * gives every port its project's default group (Neutron would
		 * deny everything but the base rules) */
		bool want = p != NULL && o->lp != NULL && o->lp->dp_port != DP_NO_PORT &&
			    p->port_security_enabled && p->n_security_groups > 0;
		if (!want) {
			if (o->acl_lport)
				acl_del(lc, acl, o);
			continue;
		}
		struct mdl_acl_rule *rules = NULL;
		size_t nr = 0;
		bool stateful = true;
		if (port_rules(lc, o, refs, n_refs, &rules, &nr, &stateful) < 0)
			continue;   /* an older ACL stays: never unfiltered by mistake */
		uint64_t sig = fnv(rules, nr * sizeof(*rules), 0xcbf29ce484222325ull ^ nr);
		sig = fnv(&stateful, sizeof(stateful), sig);
		uint32_t lport = o->lp->key;
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
			}
		}
		free(rules);
	}
	free(refs);
}
