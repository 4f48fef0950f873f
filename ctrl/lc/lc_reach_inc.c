/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_reach_inc.c — reachability followed port by port.  Control
 * thread only.
 *
 * A full pass (lc_reach.c) finds three sets: the reachable networks (the
 * local ports' networks closed under routers), the gateway networks of
 * held routers, and the held security groups (closed under remote
 * groups).  A port changes them only when a network loses its last local
 * port or gets a first one it did not reach, when a group or a host gets
 * its first held port or loses its last.  So the sets are kept, each entry
 * with a count (a network: its local ports; a group: the held ports that
 * name it; a host: the held ports bound there), and a batch in which only
 * ports changed what reachability reads (lc_reach_sig) updates the counts
 * of its changed ports and sets their flags: O(changed ports), not
 * O(objects).  A count that would cross zero, any other object's change,
 * or an iface change runs the full pass, which counts again from scratch.
 *
 * A port's share is taken out when its record is replaced
 * (lc_reach_forget, from lc.c before the old record is freed), or, for a
 * port deleted or changed without a new record, by the batch's pass while
 * its record is still there; o->counted says it is in.  Keys are interned
 * ids (one reference per entry) compared by pointer: a port's ids are
 * interned, so one id is one pointer.
 */
#include <stdlib.h>
#include <string.h>

#include "lc_priv.h"

struct rent {
	void *next;        /* struct rent (lc_chain_grow) */
	const char *key;   /* interned, one reference */
	uint32_t n;        /* the count */
	bool zeroed;       /* fell to 0 in this batch (listed in st->zeroed) */
};

struct rmap {
	void **b;          /* struct rent chains */
	size_t n_b, n;
};

struct lc_reach_state {
	struct rmap nets;     /* reachable network -> its local ports */
	struct rmap ext;      /* gateway network of a held router */
	struct rmap sgs;      /* held group -> held ports naming it */
	struct rmap hosts;    /* host -> held ports bound there */
	struct rent **zeroed; /* entries that fell to 0 in this batch */
	size_t n_zeroed, cap_zeroed;
	bool valid;           /* the sets of the last full pass, counted */
	bool broken;          /* a count went wrong (no memory): full pass */
};

static size_t phash(const char *k)
{
	uint64_t x = (uint64_t)(uintptr_t)k;
	x ^= x >> 29;
	x *= 0x9e3779b97f4a7c15ull;
	return (size_t)(x >> 32);
}

static struct rent *rmap_find(const struct rmap *m, const char *k)
{
	if (m->n_b == 0 || k == NULL)
		return NULL;
	for (struct rent *e = m->b[phash(k) & (m->n_b - 1)]; e; e = e->next)
		if (e->key == k)
			return e;
	return NULL;
}

bool lc_chain_grow(void ***b, size_t *n_b, size_t (*hash)(const void *e))
{
	size_t nb = *n_b ? *n_b * 2 : 64;
	void **x = calloc(nb, sizeof(*x));
	if (x == NULL)
		return false;
	for (size_t i = 0; i < *n_b; i++)
		for (void *e = (*b)[i], *nx; e; e = nx) {
			void **next = e;   /* the entry's first member */
			nx = *next;
			*next = x[hash(e) & (nb - 1)];
			x[hash(e) & (nb - 1)] = e;
		}
	free(*b);
	*b = x;
	*n_b = nb;
	return true;
}

static size_t rent_hash(const void *e)
{
	return phash(((const struct rent *)e)->key);
}

static bool rmap_grow(struct rmap *m)
{
	return lc_chain_grow(&m->b, &m->n_b, rent_hash);
}

/* id's entry, made (holding a reference on its interned copy) when there
 * is none; NULL: no memory */
static struct rent *rmap_get(struct lc *lc, struct rmap *m, const char *id)
{
	const char *k = lc_intern(lc, id);
	if (k == NULL)
		return NULL;
	struct rent *e = rmap_find(m, k);
	if (e) {
		lc_unintern(lc, k);
		return e;
	}
	if ((m->n >= m->n_b && !rmap_grow(m)) || (e = calloc(1, sizeof(*e))) == NULL) {
		lc_unintern(lc, k);
		return NULL;
	}
	e->key = k;
	e->next = m->b[phash(k) & (m->n_b - 1)];
	m->b[phash(k) & (m->n_b - 1)] = e;
	m->n++;
	return e;
}

static void rmap_clear(struct lc *lc, struct rmap *m)
{
	for (size_t i = 0; i < m->n_b; i++)
		for (struct rent *e = m->b[i], *nx; e; e = nx) {
			nx = e->next;
			lc_unintern(lc, e->key);
			free(e);
		}
	free(m->b);
	memset(m, 0, sizeof(*m));
}

static void state_clear(struct lc *lc, struct lc_reach_state *st)
{
	rmap_clear(lc, &st->nets);
	rmap_clear(lc, &st->ext);
	rmap_clear(lc, &st->sgs);
	rmap_clear(lc, &st->hosts);
	free(st->zeroed);
	st->zeroed = NULL;
	st->n_zeroed = st->cap_zeroed = 0;
	st->valid = st->broken = false;
}

void lc_reach_state_free(struct lc *lc)
{
	if (lc->rs == NULL)
		return;
	state_clear(lc, lc->rs);
	free(lc->rs);
	lc->rs = NULL;
}

static void down(struct lc_reach_state *st, struct rent *e)
{
	if (e->n == 0) {
		st->broken = true;   /* never: more taken out than put in */
		return;
	}
	if (--e->n || e->zeroed)
		return;
	if (st->n_zeroed == st->cap_zeroed) {
		size_t cap = st->cap_zeroed ? st->cap_zeroed * 2 : 16;
		struct rent **z = realloc(st->zeroed, cap * sizeof(*z));
		if (z == NULL) {
			st->broken = true;
			return;
		}
		st->zeroed = z;
		st->cap_zeroed = cap;
	}
	e->zeroed = true;
	st->zeroed[st->n_zeroed++] = e;
}

/* Port o's share (its flags as they are) in or out of the counts; false:
 * an entry it needs is not there, i.e. a set would grow.  A host entry is
 * made only by the full pass's count (lc != NULL). */
static bool share(struct lc *lc, struct lc_reach_state *st, const struct lc_obj *o, bool in)
{
	const struct lc_port *p = lc_port_of(o);
	struct rent *net = rmap_find(&st->nets, p->network_id), *e;
	if (o->local) {
		if (net == NULL)
			return false;
		in ? (void)net->n++ : down(st, net);
	}
	if (!o->reach || net == NULL)
		return true;         /* not held through a reachable network */
	for (size_t k = 0; k < p->n_security_groups; k++) {
		if ((e = rmap_find(&st->sgs, p->security_groups[k])) == NULL)
			return false;
		in ? (void)e->n++ : down(st, e);
	}
	if (p->binding_host_id[0] == 0)
		return true;
	e = rmap_find(&st->hosts, p->binding_host_id);
	if (e == NULL && lc && in)
		e = rmap_get(lc, &st->hosts, p->binding_host_id);
	/* a host that no held port named: its chassis is not held yet */
	if (e == NULL || (in && lc == NULL && e->n == 0 && !e->zeroed))
		return false;
	in ? (void)e->n++ : down(st, e);
	return true;
}

static bool set_fill(struct lc *lc, struct rmap *m, const struct idset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i] && rmap_get(lc, m, s->v[i]) == NULL)
			return false;
	return true;
}

/* st from a full pass's sets and every port's flags; mark: set
 * o->counted (the controller's own state; a check's copy does not). */
static bool build(struct lc *lc, struct lc_reach_state *st, const struct lc_reach_sets *s,
		  bool mark)
{
	if (!set_fill(lc, &st->nets, &s->nets) || !set_fill(lc, &st->ext, &s->ext) ||
	    !set_fill(lc, &st->sgs, &s->sgs))
		return false;
	size_t n, lo, hi;
	struct lc_obj **v = lc_obj_all(lc, &n);
	lc_type_range(v, n, MDL_PORT, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		struct lc_obj *o = v[i];
		if (mark)
			o->counted = false;
		if (!o->present || o->o == NULL)
			continue;
		if (!share(lc, st, o, true))
			return false;   /* never after a full pass; no memory */
		if (mark)
			o->counted = true;
	}
	return true;
}

void lc_reach_adopt(struct lc *lc, const struct lc_reach_sets *s)
{
	if (lc->rs == NULL && (lc->rs = calloc(1, sizeof(*lc->rs))) == NULL)
		return;   /* every batch with a port change runs the full pass */
	state_clear(lc, lc->rs);
	if (build(lc, lc->rs, s, true)) {
		lc->rs->valid = true;
		return;
	}
	state_clear(lc, lc->rs);
	size_t n;
	struct lc_obj **v = lc_obj_all(lc, &n);
	for (size_t i = 0; i < n; i++)
		v[i]->counted = false;
}

void lc_reach_forget(struct lc *lc, struct lc_obj *o)
{
	if (!o->counted)
		return;
	o->counted = false;
	if (lc->rs && lc->rs->valid && !share(NULL, lc->rs, o, false))
		lc->rs->broken = true;
}

/* Floating IPs follow their port's local flag: only when one changed. */
static void fips_follow(struct lc *lc, const struct lc_reach_state *st)
{
	size_t n, lo, hi;
	struct lc_obj **v = lc_obj_all(lc, &n);
	lc_type_range(v, n, MDL_FLOATING_IP, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		struct lc_obj *o = v[i];
		if (!o->present || o->o == NULL)
			continue;
		const struct mdl_floating_ip *f = mdl_hdr_to_fip(o->o);
		struct lc_obj *po = f->port_id[0] ? lc_obj_find_id(lc, MDL_PORT, f->port_id) : NULL;
		const char *net = lc_intern_find(lc, f->floating_network_id);
		bool r = po && po->present && po->o && po->local && net &&
			 rmap_find(&st->ext, net);
		if (r != o->reach) {
			o->reach = r;
			lc_obj_changed(lc, o);   /* compile and replica see it */
		}
	}
}

static bool ports_pass(struct lc *lc, struct lc_reach_state *st, bool *fips)
{
	for (size_t i = 0; i < lc->n_chg; i++) {
		struct lc_obj *o = lc->chg[i];
		if (o->type != MDL_PORT)
			continue;
		lc_reach_forget(lc, o);   /* deleted, or the same record */
		bool was_local = o->local;
		if (!o->present || o->o == NULL) {
			o->reach = o->local = false;
			lc_count(lc, o);
			*fips |= was_local;
			lc->local_moved |= was_local;
			continue;
		}
		const struct lc_port *p = lc_port_of(o);
		bool ours = strcmp(p->binding_host_id, lc->cfg.chassis) == 0;
		o->local = ours && lc_iface_port(lc, o->o->id) >= 0;
		*fips |= was_local != o->local;
		lc->local_moved |= was_local || o->local;
		if (rmap_find(&st->nets, p->network_id))
			o->reach = true;
		else   /* our SNAT address port on a gateway network */
			o->reach = rmap_find(&st->ext, p->network_id) && ours &&
				   strcmp(p->device_owner, LC_SNAT_OWNER) == 0;
		lc_count(lc, o);
		if (!share(NULL, st, o, true))
			return false;
		o->counted = true;
	}
	return true;
}

bool lc_reach_ports(struct lc *lc)
{
	struct lc_reach_state *st = lc->rs;
	if (st == NULL || !st->valid || st->broken || lc->n_chg == SIZE_MAX)
		return false;
	bool fips = false, ok = ports_pass(lc, st, &fips);
	/* a count that fell to zero and stayed there: a set may shrink */
	for (size_t i = 0; i < st->n_zeroed; i++) {
		ok &= st->zeroed[i]->n != 0;
		st->zeroed[i]->zeroed = false;
	}
	st->n_zeroed = 0;
	if (!ok || st->broken) {
		st->broken = true;
		lc->reach_stale = true;
		return false;
	}
	if (fips)
		fips_follow(lc, st);
	return true;
}

static bool rmap_same(const struct rmap *a, const struct rmap *b, const char *what, char *why,
		      size_t size)
{
	for (size_t i = 0; i < b->n_b; i++)
		for (const struct rent *e = b->b[i]; e; e = e->next) {
			const struct rent *x = rmap_find(a, e->key);
			if (x == NULL || x->n != e->n) {
				snprintf(why, size, "%s %s: kept %s%u, a full pass counts %u", what,
					 e->key, x ? "" : "none, ", x ? x->n : 0, e->n);
				return false;
			}
		}
	if (a->n != b->n) {
		snprintf(why, size, "%s: %zu kept, a full pass has %zu", what, a->n, b->n);
		return false;
	}
	return true;
}

bool lc_reach_verify(struct lc *lc, char *why, size_t size)
{
	size_t n;
	struct lc_obj **v = lc_obj_all(lc, &n);
	uint8_t *f = malloc(n ? n : 1);
	struct lc_reach_sets s;
	if (f == NULL)
		return snprintf(why, size, "no memory"), false;
	for (size_t i = 0; i < n; i++)
		f[i] = (uint8_t)(v[i]->reach | v[i]->local << 1);
	if (!lc_reach_pass(lc, &s)) {
		free(f);
		return snprintf(why, size, "no memory"), false;
	}
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		uint8_t x = (uint8_t)(v[i]->reach | v[i]->local << 1);
		if (ok && x != f[i] && v[i]->present) {
			snprintf(why, size, "%s: reach %d local %d, a full pass gives %d %d",
				 v[i]->key, f[i] & 1, f[i] >> 1, x & 1, x >> 1);
			ok = false;
		}
		v[i]->reach = f[i] & 1;
		v[i]->local = f[i] >> 1;
	}
	free(f);
	const struct lc_reach_state *st = lc->rs;
	if (ok && st && st->valid && !st->broken) {
		struct lc_reach_state fresh = { 0 };
		if (!build(lc, &fresh, &s, false))
			ok = snprintf(why, size, "no memory") < 0;
		ok = ok && rmap_same(&st->nets, &fresh.nets, "network", why, size) &&
		     rmap_same(&st->ext, &fresh.ext, "gateway network", why, size) &&
		     rmap_same(&st->sgs, &fresh.sgs, "group", why, size) &&
		     rmap_same(&st->hosts, &fresh.hosts, "host", why, size);
		state_clear(lc, &fresh);
	}
	lc_reach_sets_free(&s);
	return ok;
}
