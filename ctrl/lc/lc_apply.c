/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_apply.c — what the sync thread queued, applied to the object
 * index: a snapshot's pages and its end (the sweep of what no page held),
 * and one watch event.  Control thread only (called from lc_run and
 * lc_inject in lc.c); nothing here compiles.
 */
#include <string.h>

#include "lc_priv.h"

static void snap_mark(struct lc *lc, struct lc_obj *o, void *arg)
{
	o->seen = false;
}

static void snap_unseen(struct lc *lc, struct lc_obj *o, void *arg)
{
	if (o->present && !o->seen) {
		o->present = false;
		lc_obj_changed(lc, o);
		lc->n_gone++;
	}
}

/* A snapshot arrives in pages (lc_sync.c): the first marks every object
 * unseen, each page sets what it holds, the end removes what no page
 * held.  Nothing compiles while one is open (lc->snap_open): the tables
 * keep the last complete state until the end, or until a later snapshot
 * that completes (a scan that failed half-way leaves it open). */
void lc_apply_snap_page(struct lc *lc, const struct lc_snap *s)
{
	char cid[MDL_ID_SIZE];
	if (s->first) {
		lc_obj_foreach(lc, snap_mark, NULL);
		lc_alive_clear(lc);
		lc->snap_open = true;
		lc->st.snapshot_pages = lc->st.snapshot_keys = 0;
	}
	if (!lc->snap_open)
		return;         /* never: a page without its first */
	lc->st.snapshot_pages++;
	lc->st.snapshot_keys += s->n;
	lc_reserve(lc, lc->n_objs + s->n);
	for (size_t i = 0; i < s->n; i++) {
		lc_yield_point(lc);
		if (lc_alive_key(s->keys[i], cid))
			lc_alive_set(lc, cid, true);
		if (lc_key_type(s->keys[i], NULL) < 0)
			continue;
		struct lc_obj *o;
		lc_obj_set_get(lc, s->keys[i], s->vals[i], s->lens[i], false, &o);
		if (o)
			o->seen = true;
	}
}

void lc_apply_snap_end(struct lc *lc, const struct lc_snap *s)
{
	if (!lc->snap_open)
		return;
	lc->snap_open = false;
	lc_obj_foreach(lc, snap_unseen, NULL);
	lc->st.applied_revision = s->revision;
	lc->st.syncs++;
	if (lc->st.syncs > 1)
		lc->st.resyncs++;
}

void lc_apply_event(struct lc *lc, enum lc_qtype type, const char *key, const char *val,
		    size_t len, uint64_t rev)
{
	/* events of one txn share a revision, hence '<' */
	if (rev < lc->st.applied_revision) {
		lc->st.events_ignored++;
		return;
	}
	lc->st.applied_revision = rev;
	char cid[MDL_ID_SIZE];
	if (lc_alive_key(key, cid)) {
		if (lc_alive_set(lc, cid, type == LC_Q_PUT))
			lc->st.events_applied++;
		return;
	}
	if (lc_key_type(key, NULL) < 0)
		return;
	bool changed = false;
	if (type == LC_Q_PUT) {
		changed = lc_obj_set(lc, key, val, len, false);
	} else {
		struct lc_obj *o = lc_obj_find(lc, key);
		if (o && o->present) {
			o->present = false;
			lc_obj_changed(lc, o);
			lc->n_gone++;
			changed = true;
		}
	}
	if (changed)
		lc->st.events_applied++;
	else
		lc->st.events_ignored++;
}
