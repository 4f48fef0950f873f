/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_status.c — port status, from the chassis back to the northbound.
 *
 * Every port bound to this chassis (binding:host_id = our name) gets
 * /wyvern/v1/_status/<chassis-id>/port/<port-id> = {"status": "ACTIVE" |
 * "DOWN", "chassis": name}: ACTIVE when its interface is attached here and
 * the port is installed in the tables (and admin up), DOWN while it is not.
 * The keys live under the chassis' liveness lease (lc_alive.c), so a chassis
 * that dies takes its ports' status with it; the northbound (db/nb_index.c,
 * nb_port_status) then reports them DOWN, as the Neutron API shows them.
 * A port no longer bound here has its key deleted.
 *
 * Two maps of port id -> status: the control thread's `published` (what it
 * last handed over, to send only changes) and the sync thread's (under
 * lc_sync.mu: what must be in the database, with a dirty flag per entry).
 * The sync thread writes dirty entries from its idle tick, after the
 * liveness lease is refreshed, and marks everything dirty when that lease
 * is new (the old one's keys are gone with it).
 *
 * Threads: lc_status_publish on the control thread; lc_status_flush on the
 * sync thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "lc_priv.h"

#define SMAP_BUCKETS 1024

struct lc_sent {
	struct lc_sent *next;
	char id[MDL_ID_SIZE];
	char status[8];         /* "" = to delete (sync map) */
	bool dirty;             /* sync map: not written yet */
	bool seen;              /* published map: still bound here this pass */
};

struct lc_smap {
	struct lc_sent *b[SMAP_BUCKETS];
	size_t n;
};

static struct lc_sent **slot(struct lc_smap *m, const char *id)
{
	struct lc_sent **pp = &m->b[lc_hash_str(id) % SMAP_BUCKETS];
	while (*pp && strcmp((*pp)->id, id))
		pp = &(*pp)->next;
	return pp;
}

struct lc_smap *lc_smap_new(void)
{
	return calloc(1, sizeof(struct lc_smap));
}

void lc_smap_free(struct lc_smap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < SMAP_BUCKETS; i++)
		for (struct lc_sent *e = m->b[i], *nx; e; e = nx) {
			nx = e->next;
			free(e);
		}
	free(m);
}

/* Sets id's status ("" = delete) and marks it dirty; false when out of memory. */
static bool smap_set(struct lc_smap *m, const char *id, const char *status)
{
	struct lc_sent **pp = slot(m, id), *e = *pp;
	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return false;
		snprintf(e->id, sizeof(e->id), "%s", id);
		*pp = e;
		m->n++;
	}
	snprintf(e->status, sizeof(e->status), "%s", status);
	e->dirty = true;
	return true;
}

/* ---- control thread ----------------------------------------------------- */
struct pub_arg {
	const struct lc *lc;
	struct lc_smap *pub;
	struct lc_sync *s;
	const char *chassis;
	bool mark;              /* full pass: mark what is still bound here */
};

static void hand_over(struct lc_sync *s, const char *id, const char *status)
{
	pthread_mutex_lock(&s->mu);
	if (s->status)
		smap_set(s->status, id, status);
	s->status_wanted = true;
	pthread_cond_signal(&s->cv);    /* the sync thread writes it now */
	pthread_mutex_unlock(&s->mu);
}

/* Publish port o's status if it is bound here (true). */
static bool publish(struct lc_obj *o, struct pub_arg *a)
{
	if (o->type != MDL_PORT || !o->present || o->o == NULL)
		return false;
	const struct lc_port *p = lc_port_of(o);
	if (strcmp(p->binding_host_id, a->chassis) != 0)
		return false;
	const struct dp_lport_cfg *lp = lc_lp(a->lc, o);
	const char *st = lp && lp->dp_port != DP_NO_PORT && p->admin_state_up ? "ACTIVE"
										     : "DOWN";
	struct lc_sent **pp = slot(a->pub, o->o->id), *e = *pp;
	if (e == NULL || strcmp(e->status, st)) {
		if (!smap_set(a->pub, o->o->id, st))
			return true;
		hand_over(a->s, o->o->id, st);
		e = *slot(a->pub, o->o->id);
	}
	e->seen = a->mark;
	return true;
}

static void pub_one(struct lc *lc, struct lc_obj *o, void *arg)
{
	(void)lc;
	publish(o, arg);
}

/* Withdraw the published entry *pp (its port is no longer bound here). */
static void withdraw(struct pub_arg *a, struct lc_sent **pp)
{
	struct lc_sent *e = *pp;
	hand_over(a->s, e->id, "");
	*pp = e->next;
	a->pub->n--;
	free(e);
}

/* o is a port this batch changed: publish it, or withdraw its key when it
 * is no longer bound here. */
static void pub_changed(struct lc_obj *o, struct pub_arg *a)
{
	const char *id;
	if (publish(o, a) || lc_key_type(o->key, &id) != MDL_PORT)
		return;
	struct lc_sent **pp = slot(a->pub, id);
	if (*pp != NULL)
		withdraw(a, pp);
}

void lc_status_publish(struct lc *lc)
{
	if (lc->sync == NULL)
		return;
	if (lc->status_pub == NULL && (lc->status_pub = lc_smap_new()) == NULL)
		return;
	struct pub_arg a = { lc, lc->status_pub, lc->sync, lc->cfg.chassis, false };
	/* a port's status reads its value, its lport and the ifaces: without a
	 * change to anything but the ports this batch changed, those suffice */
	if (!lc->status_full && !lc->lp_other && !lc->reach_ran && !lc->ifaces_changed &&
	    lc->n_chg != SIZE_MAX) {
		for (size_t i = 0; i < lc->n_chg; i++)
			if (lc->chg[i]->type == MDL_PORT)
				pub_changed(lc->chg[i], &a);
		return;
	}
	lc->status_full = false;
	a.mark = true;
	lc_obj_foreach(lc, pub_one, &a);
	/* ports no longer bound here (moved, deleted): withdraw their key */
	for (size_t i = 0; i < SMAP_BUCKETS; i++)
		for (struct lc_sent **pp = &a.pub->b[i]; *pp;) {
			struct lc_sent *e = *pp;
			if (e->seen) {
				e->seen = false;
				pp = &e->next;
				continue;
			}
			withdraw(&a, pp);
		}
}

/* ---- sync thread -------------------------------------------------------- */
int lc_status_flush(struct lc_sync *s, struct db *db, int64_t lease, bool all)
{
	char me[MDL_ID_SIZE], key[192], val[160];
	int rc = 0;
	mdl_chassis_id(s->cfg.chassis, me);
	pthread_mutex_lock(&s->mu);
	s->status_wanted = false;       /* what is handed over from here on sets it again */
	if (s->status == NULL) {
		pthread_mutex_unlock(&s->mu);
		return 0;
	}
	for (size_t i = 0; i < SMAP_BUCKETS; i++) {
		for (struct lc_sent **pp = &s->status->b[i]; *pp;) {
			struct lc_sent e = **pp;
			if (!e.dirty && !(all && e.status[0])) {
				pp = &(*pp)->next;
				continue;
			}
			/* write without the lock: the control thread may mark it
			 * again meanwhile (then it stays dirty for the next flush) */
			(*pp)->dirty = false;
			pthread_mutex_unlock(&s->mu);
			snprintf(key, sizeof(key), LC_PREFIX "_status/%s/port/%s", me, e.id);
			int r;
			if (e.status[0] == 0) {
				r = db_delete(db, key, NULL);
				if (r == -ENOENT)
					r = 0;
			} else {
				int n = snprintf(val, sizeof(val), "{\"status\":\"%s\",\"chassis\":\"%s\"}",
						 e.status, s->cfg.chassis);
				r = lease ? db_put_lease(db, key, val, (size_t)n, lease, NULL)
					  : db_put(db, key, val, (size_t)n, NULL);
			}
			pthread_mutex_lock(&s->mu);
			pp = slot(s->status, e.id);
			if (*pp == NULL)
				break;  /* cannot happen: only this thread removes */
			if (r) {
				(*pp)->dirty = true;
				s->status_wanted = true;
				rc = r;
			} else if (!(*pp)->dirty && (*pp)->status[0] == 0) {
				struct lc_sent *gone = *pp;   /* deleted for good */
				*pp = gone->next;
				s->status->n--;
				free(gone);
				continue;
			}
			pp = &(*pp)->next;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}
