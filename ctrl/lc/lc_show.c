/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_show.c — what the controller tells about itself: its counters
 * with the index's counts (`show ctrl`), its configuration, the skipped
 * objects and their reasons, the held objects (`show topology`).  Control
 * thread only, see lc.h.
 */
#include <stdio.h>
#include <string.h>

#include "lc_priv.h"

/* o's share of the counts, as lc_get_stats reports them */
static void share_of(const struct lc_obj *o, bool *ix, bool *hd, bool *lo, bool *bad)
{
	*ix = o->present;
	*hd = o->held && o->type < 8;
	*lo = o->present && o->reach && o->local;
	*bad = o->present && o->why != NULL;
}

void lc_count(struct lc *lc, struct lc_obj *o)
{
	bool ix, hd, lo, bad;
	share_of(o, &ix, &hd, &lo, &bad);
	/* unsigned: a share going away subtracts by wrapping */
	lc->cnt.index += (unsigned)ix - (unsigned)o->c_index;
	if (o->type < 8)
		lc->cnt.held[o->type] += (unsigned)hd - (unsigned)o->c_held;
	lc->cnt.local += (unsigned)lo - (unsigned)o->c_local;
	lc->cnt.bad += (unsigned)bad - (unsigned)o->c_bad;
	o->c_index = ix;
	o->c_held = hd;
	o->c_local = lo;
	o->c_bad = bad;
}

void lc_uncount(struct lc *lc, struct lc_obj *o)
{
	lc->cnt.index -= o->c_index;
	if (o->type < 8)
		lc->cnt.held[o->type] -= o->c_held;
	lc->cnt.local -= o->c_local;
	lc->cnt.bad -= o->c_bad;
	o->c_index = o->c_held = o->c_local = o->c_bad = false;
}

static void count_one(struct lc *lc, struct lc_obj *o, void *arg)
{
	struct lc_stats *st = arg;
	bool ix, hd, lo, bad;
	(void)lc;
	share_of(o, &ix, &hd, &lo, &bad);
	st->n_index += ix;
	if (hd)
		st->held[o->type]++;
	st->n_local_ports += lo;
	st->n_bad += bad;
}

static void get_counts(const struct lc *lc, struct lc_stats *out)
{
	out->n_index = lc->cnt.index;
	out->n_local_ports = lc->cnt.local;
	out->n_bad = lc->cnt.bad;
	memcpy(out->held, lc->cnt.held, sizeof(out->held));
}

void lc_get_stats(const struct lc *lc, struct lc_stats *out)
{
	*out = lc->st;
	out->snapshot_open = lc->snap_open;
	get_counts(lc, out);
}

bool lc_counts_check(struct lc *lc, char *why, size_t size)
{
	struct lc_stats kept = { 0 }, walked = { 0 };
	get_counts(lc, &kept);
	lc_obj_foreach(lc, count_one, &walked);
	snprintf(why, size, "kept index %u held[port] %u local %u bad %u, a walk finds %u %u %u %u",
		 kept.n_index, kept.held[MDL_PORT], kept.n_local_ports, kept.n_bad,
		 walked.n_index, walked.held[MDL_PORT], walked.n_local_ports, walked.n_bad);
	return kept.n_index == walked.n_index && kept.n_local_ports == walked.n_local_ports &&
	       kept.n_bad == walked.n_bad && memcmp(kept.held, walked.held, sizeof(kept.held)) == 0;
}

static void mem_one(struct lc *lc, struct lc_obj *o, void *arg)
{
	(void)lc;
	struct lc_mem *m = arg;
	m->objects++;
	m->object_bytes += lc_msize(o) + lc_msize(o->acl_groups);
	if (o->cs)
		m->object_bytes += lc_msize(o->cs) + lc_msize(o->cs->net) + lc_msize(o->cs->l3) +
				   lc_msize(o->cs->set_addrs);
	if (o->why != lc_why_unknown)
		m->object_bytes += lc_msize(o->why);
	if (o->type != MDL_PORT || o->o == NULL) {
		m->other_bytes += lc_msize(o->val) + lc_msize(o->o);
		return;
	}
	const struct lc_port *p = lc_port_of(o);
	m->ports++;
	/* the group list, name and device id are in p's allocation */
	m->port_bytes += lc_msize(p) + lc_msize(p->allowed_address_pairs);
}

void lc_get_mem(const struct lc *lc, struct lc_mem *out)
{
	memset(out, 0, sizeof(*out));
	lc_obj_foreach((struct lc *)(uintptr_t)lc, mem_one, out);
	out->index_bytes = lc_msize(lc->buckets) + lc_msize(lc->all) + lc_msize(lc->chg);
	out->strings = lc_intern_count(lc);
	out->string_bytes = lc_intern_bytes(lc);
}

struct db *lc_replica_db(struct lc *lc)
{
	return lc->replica;
}

const struct lc_config *lc_get_config(const struct lc *lc)
{
	return &lc->cfg;
}

void lc_foreach_bad(const struct lc *lc, int (*cb)(const char *key, const char *why, void *arg),
		    void *arg)
{
	size_t n;
	struct lc_obj **v = lc_obj_all((struct lc *)(uintptr_t)lc, &n);
	for (size_t i = 0; i < n; i++)
		if (v[i]->present && v[i]->why && cb(v[i]->key, v[i]->why, arg))
			break;
}

void lc_foreach_held(const struct lc *lc,
		     int (*cb)(const struct mdl_hdr *o, bool local, int dp_port, void *arg), void *arg)
{
	size_t n;
	struct lc_obj **v = lc_obj_all((struct lc *)(uintptr_t)lc, &n);
	for (size_t i = 0; i < n; i++) {
		const struct lc_obj *ob = v[i];
		if (!ob->held || ob->o == NULL)
			continue;
		int port = ob->local ? lc_iface_port(lc, ob->o->id) : -1;
		/* a port is kept as struct lc_port: the callback gets a model one */
		struct mdl_port *mp = ob->type == MDL_PORT ? lc_port_to_mdl(lc_port_of(ob)) : NULL;
		if (ob->type == MDL_PORT && mp == NULL)
			break;
		int stop = cb(mp ? &mp->hdr : ob->o, ob->local, port, arg);
		mdl_obj_free(mp ? &mp->hdr : NULL);
		if (stop)
			break;
	}
}

const char *lc_db_url(const struct lc *lc)
{
	return lc->cfg.db_url;
}
