/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_flood.c — the head-end replication pairs: (network, remote
 * VTEP) of every held remote port.  Control thread only (lc_compile).
 *
 * Each pair is counted: how many held remote ports give it.  A port keeps
 * the digest of the pair it gave (o->fl_sig, 0: none), which is that
 * pair's key here, so a batch moves only the counts of its changed ports,
 * O(changed ports), and the sorted list is made again only when a pair
 * came or went (a network's first port on a host, or its last): then the
 * network entries are compiled again (*kept false).  A batch in which
 * what every port reads changed (chassis, networks, ifaces) or a full
 * reachability pass ran counts every port again.
 */
#include <stdlib.h>
#include <string.h>

#include "lc_priv.h"

struct fl_pair {
	void *next;        /* struct fl_pair (lc_chain_grow) */
	uint64_t sig;      /* flood_sig of the ports that give it */
	uint32_t vtep;     /* network order */
	uint32_t n;        /* held remote ports that give it */
	char net[];        /* network id */
};

struct lc_flood_cache {
	struct lc_name_set s;   /* the pairs, sorted; names: the entries' net */
	void **b;               /* struct fl_pair chains */
	size_t n_b, n;
	bool valid;
};

int lc_name_val_pair_cmp(const void *a, const void *b)
{
	const struct lc_name_val *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->val > y->val) - (x->val < y->val);
}

static uint64_t flood_sig(const struct lc *lc, const struct lc_name_set *vteps,
			  const struct lc_obj *o, uint32_t *vt)
{
	if (!lc_wanted_lport(o) || (*vt = lc_remote_vtep(lc, vteps, o)) == 0)
		return 0;
	const char *net = lc_port_of(o)->network_id;
	return lc_fnv(vt, sizeof(*vt), lc_fnv(net, strlen(net), LC_FNV_BASIS)) | 1;
}

static void cache_clear(struct lc_flood_cache *c)
{
	for (size_t i = 0; i < c->n_b; i++)
		for (struct fl_pair *e = c->b[i], *nx; e; e = nx) {
			nx = e->next;
			free(e);
		}
	free(c->b);
	free(c->s.e);
	memset(c, 0, sizeof(*c));
}

void lc_flood_free(struct lc *lc)
{
	if (lc->flood)
		cache_clear(lc->flood);
	free(lc->flood);
	lc->flood = NULL;
}

static size_t sig_hash(uint64_t sig)
{
	return (size_t)(sig ^ sig >> 32);
}

static size_t pair_hash(const void *e)
{
	return sig_hash(((const struct fl_pair *)e)->sig);
}

static void **slot(const struct lc_flood_cache *c, uint64_t sig)
{
	void **pp = &c->b[sig_hash(sig) & (c->n_b - 1)];
	while (*pp && ((struct fl_pair *)*pp)->sig != sig)
		pp = &((struct fl_pair *)*pp)->next;
	return pp;
}

static bool grow(struct lc_flood_cache *c)
{
	return lc_chain_grow(&c->b, &c->n_b, pair_hash);
}

/* One more port gives the pair sig = (net, vt): 1 when the pair is new,
 * 0 when it was there, -1 (no memory, or another pair with this digest) */
static int pair_up(struct lc_flood_cache *c, uint64_t sig, const char *net, uint32_t vt)
{
	if (c->n >= c->n_b && !grow(c))
		return -1;
	void **pp = slot(c, sig);
	struct fl_pair *e = *pp;
	if (e != NULL) {
		if (e->vtep != vt || strcmp(e->net, net) != 0)
			return -1;
		e->n++;
		return 0;
	}
	size_t len = strlen(net) + 1;
	if ((e = malloc(sizeof(*e) + len)) == NULL)
		return -1;
	*e = (struct fl_pair){ .sig = sig, .vtep = vt, .n = 1 };
	memcpy(e->net, net, len);
	*pp = e;
	c->n++;
	return 1;
}

/* One port less gives the pair sig: 1 when it is gone, 0 when it stays,
 * -1 when it is not there (the counts went wrong: count again) */
static int pair_down(struct lc_flood_cache *c, uint64_t sig)
{
	void **pp = c->n_b ? slot(c, sig) : NULL;
	struct fl_pair *e = pp ? *pp : NULL;
	if (e == NULL || e->n == 0)
		return -1;
	if (--e->n)
		return 0;
	*pp = e->next;
	free(e);
	c->n--;
	return 1;
}

static int list_make(struct lc_flood_cache *c)
{
	struct lc_name_val *v = malloc((c->n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < c->n_b; i++)
		for (const struct fl_pair *e = c->b[i]; e; e = e->next)
			v[k++] = (struct lc_name_val){ e->net, e->vtep };
	qsort(v, k, sizeof(*v), lc_name_val_pair_cmp);
	free(c->s.e);
	c->s = (struct lc_name_set){ v, k };
	return 0;
}

static int count_all(struct lc *lc, struct lc_obj **v, size_t n,
		     const struct lc_name_set *vteps)
{
	struct lc_flood_cache *c = lc->flood;
	cache_clear(c);
	for (size_t i = 0; i < n; i++) {
		if (v[i]->type != MDL_PORT)
			continue;
		uint32_t vt;
		uint64_t sig = flood_sig(lc, vteps, v[i], &vt);
		v[i]->fl_sig = sig;
		if (sig && pair_up(c, sig, lc_port_of(v[i])->network_id, vt) < 0)
			return -1;
	}
	if (list_make(c) < 0)
		return -1;
	c->valid = true;
	return 0;
}

/* The changed ports' pairs: 1 when a pair came or went, 0 when none did,
 * -1: count everything again */
static int follow(struct lc *lc, const struct lc_name_set *vteps)
{
	struct lc_flood_cache *c = lc->flood;
	bool moved = false;
	for (size_t i = 0; i < lc->n_chg; i++) {
		struct lc_obj *o = lc->chg[i];
		uint32_t vt;
		uint64_t sig = o->type == MDL_PORT ? flood_sig(lc, vteps, o, &vt) : 0;
		if (o->type != MDL_PORT || sig == o->fl_sig)
			continue;
		int r = o->fl_sig ? pair_down(c, o->fl_sig) : 0;
		o->fl_sig = 0;
		if (r >= 0 && sig) {
			int up = pair_up(c, sig, lc_port_of(o)->network_id, vt);
			r = up < 0 ? -1 : r | up;
			o->fl_sig = sig;
		}
		if (r < 0)
			return -1;
		moved |= r > 0;
	}
	if (moved && list_make(c) < 0)
		return -1;
	return moved;
}

const struct lc_name_set *lc_flood_pairs(struct lc *lc, struct lc_obj **v, size_t n,
					 const struct lc_name_set *vteps, bool ctx, bool *kept)
{
	static const struct lc_name_set none;
	*kept = false;
	if (lc->flood == NULL && (lc->flood = calloc(1, sizeof(*lc->flood))) == NULL)
		return &none;
	struct lc_flood_cache *c = lc->flood;
	if (c->valid && !ctx && !lc->reach_ran && lc->n_chg != SIZE_MAX) {
		int r = follow(lc, vteps);
		if (r >= 0) {
			*kept = r == 0;
			return &c->s;
		}
	}
	if (count_all(lc, v, n, vteps) < 0) {
		cache_clear(c);    /* no memory: no flood lists, tried again */
		return &none;
	}
	return &c->s;
}
