/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc.c — local controller lifecycle, the global object index and the
 * event loop (lc_run).  Control thread only, see lc.h.
 *
 * lc_run() takes the queue and applies it to the index (version checks
 * make re-delivered/old events no-ops) for at most its time slice
 * (LC_SLICE_MS): then, between two revisions, it gives the rest back to
 * the queue.  Once per batch: reachability -> table ops -> one replica txn
 * -> sweep of deleted objects.  The queue's entries are applied in lc_apply.c.
 */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "db.h"
#include "log.h"
#include "mdl_addr.h"
#include "lc_priv.h"

/* ---- config ------------------------------------------------------------ */
void lc_config_defaults(struct lc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	if (gethostname(cfg->chassis, sizeof(cfg->chassis)) < 0 || cfg->chassis[0] == 0)
		snprintf(cfg->chassis, sizeof(cfg->chassis), "localhost");
	cfg->chassis[sizeof(cfg->chassis) - 1] = 0;
	snprintf(cfg->vtep_ip, sizeof(cfg->vtep_ip), "0.0.0.0");
	snprintf(cfg->encap, sizeof(cfg->encap), "vxlan");
	snprintf(cfg->physnet, sizeof(cfg->physnet), "physnet1");
	cfg->underlay_mtu = 1500;
	cfg->chassis_ttl_s = 10;
}

void lc_config_finish(struct lc_config *cfg)
{
	if (cfg->replica[0] == 0)
		snprintf(cfg->replica, sizeof(cfg->replica), "/var/lib/wyvern/replica-%s",
			 cfg->chassis);
}

/* ---- logging (rate-limited: 10 lines per second) ----------------------- */
void lc_log(struct lc *lc, const char *fmt, ...)
{
	uint64_t now = rte_get_tsc_cycles(), hz = rte_get_tsc_hz();
	if (now - lc->last_log_tsc > hz) {
		lc->last_log_tsc = now;
		lc->log_budget = 10;
	}
	if (lc->log_budget == 0)
		return;
	lc->log_budget--;
	va_list ap;
	char msg[512];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	CTRL_WARN("ctrl: %s", msg);
}

/* Why an object is skipped (o->why): counted and logged once per version. */
void lc_skip(struct lc *lc, struct lc_obj *o, const char *fmt, ...)
{
	char why[LC_WHY_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (o->why == NULL || !o->why_counted) {
		lc->st.bad_total++;
		lc_log(lc, "skipping %s (version %llu): %s", o->key,
		       (unsigned long long)o->version, why);
	}
	if (o->why == NULL || strcmp(o->why, why) != 0) {
		char *w = strdup(why);
		if (w == NULL)            /* still skipped: a reason without words */
			w = o->why ? o->why : (char *)(uintptr_t)lc_why_unknown;
		else
			lc_why_clear(lc, o);
		o->why = w;
		lc_count(lc, o);
	}
	o->why_counted = true;
}

/* ---- index ------------------------------------------------------------- */
int lc_key_type(const char *key, const char **id)
{
	if (strncmp(key, LC_PREFIX, strlen(LC_PREFIX)) != 0)
		return -1;
	const char *t = key + strlen(LC_PREFIX), *sl = strchr(t, '/');
	if (sl == NULL || sl == t || sl[1] == 0 || strchr(sl + 1, '/'))
		return -1;
	char name[32];
	if ((size_t)(sl - t) >= sizeof(name))
		return -1;
	memcpy(name, t, (size_t)(sl - t));
	name[sl - t] = 0;
	int type = mdl_type_from_name(name);
	if (type < 0)
		return -1;
	if (id)
		*id = sl + 1;
	return type;
}

static struct lc_obj *find_h(struct lc *lc, const char *key, uint32_t h)
{
	struct lc_obj *o = lc->buckets[h & (lc->n_buckets - 1)];
	for (; o; o = o->next)
		if (o->khash == h && strcmp(o->key, key) == 0)
			return o;
	return NULL;
}

struct lc_obj *lc_obj_find(struct lc *lc, const char *key)
{
	return find_h(lc, key, (uint32_t)lc_hash_str(key));
}

struct lc_obj *lc_obj_find_id(struct lc *lc, enum mdl_type type, const char *id)
{
	char key[160];
	snprintf(key, sizeof(key), LC_PREFIX "%s/%s", mdl_type_name(type), id);
	struct lc_obj *o = lc_obj_find(lc, key);
	return o && o->present && o->o ? o : NULL;
}

static void grow(struct lc *lc, size_t min)
{
	size_t nb = lc->n_buckets * 2;
	while (nb < min)
		nb *= 2;
	struct lc_obj **b = calloc(nb, sizeof(*b));
	if (b == NULL)
		return;
	for (size_t i = 0; i < lc->n_buckets; i++)
		for (struct lc_obj *o = lc->buckets[i], *nx; o; o = nx) {
			nx = o->next;
			size_t h = o->khash & (nb - 1);
			o->next = b[h];
			b[h] = o;
		}
	free(lc->buckets);
	lc->buckets = b;
	lc->n_buckets = nb;
}

void lc_reserve(struct lc *lc, size_t n)
{
	if (n > lc->n_buckets)
		grow(lc, n);
	lc_intern_reserve(lc, 2 * n);
}

/* 100k of these with a port's 53-byte key: 112 + 53 + malloc's 8 fit a
 * 176-byte chunk (128 took 192) */
_Static_assert(sizeof(struct lc_obj) == 112, "struct lc_obj grew");

static struct lc_obj *obj_new(struct lc *lc, const char *key, uint32_t kh, enum mdl_type type)
{
	size_t kl = strlen(key) + 1;
	struct lc_obj *o = calloc(1, sizeof(*o) + kl);
	if (o == NULL || (type != MDL_PORT && (o->cs = calloc(1, sizeof(*o->cs))) == NULL)) {
		free(o);
		return NULL;
	}
	memcpy(o->key, key, kl);
	o->type = type;
	o->khash = kh;
	if (lc->n_all == lc->cap_all) {
		size_t cap = lc->cap_all ? lc->cap_all * 2 : 256;
		struct lc_obj **a = realloc(lc->all, cap * sizeof(*a));
		if (a == NULL) {
			free(o->cs);
			free(o);
			return NULL;
		}
		lc->all = a;
		lc->cap_all = cap;
	}
	lc->all[lc->n_all++] = o;
	if (lc->n_objs + 1 > lc->n_buckets)
		grow(lc, 0);
	size_t h = kh & (lc->n_buckets - 1);
	o->next = lc->buckets[h];
	lc->buckets[h] = o;
	lc->n_objs++;
	return o;
}

/* A decoded value as the index keeps it (a port's is its struct lc_port). */
static void rec_drop(struct lc *lc, struct mdl_hdr *h)
{
	if (h && h->type == MDL_PORT)
		lc_port_free(lc, (struct lc_port *)(void *)h);
	else
		mdl_obj_free(h);
}

static void rec_free(struct lc *lc, struct lc_obj *o)
{
	rec_drop(lc, o->o);
	o->o = NULL;
}

const char lc_why_unknown[] = "(out of memory for the reason)";

static void obj_free(struct lc *lc, struct lc_obj *o)
{
	lc_uncount(lc, o);
	rec_free(lc, o);
	lc_why_clear(lc, o);
	free(o->val);
	if (o->cs) {
		free(o->cs->net);
		free(o->cs->l3);
		free(o->cs->set_addrs);
		free(o->cs);
	}
	free(o->acl_groups);
	free(o);
}

/* val decoded as the object of `type` with this id: the model's struct,
 * or for a port its struct lc_port (NULL and err: bad or no memory).  A
 * port from the replica may be in its binary form (lc_port_encode). */
static struct mdl_hdr *rec_decode(struct lc *lc, enum mdl_type type, const char *id,
				  const char *val, size_t len, bool replica, char *err,
				  size_t size)
{
	if (type == MDL_PORT && replica && len > 0 && LC_PORT_IS_BIN(val[0])) {
		struct lc_port *p = lc_port_decode(lc, val, len, err, size);
		if (p && strcmp(p->hdr.id, id) != 0) {
			snprintf(err, size, "id does not match its key");
			lc_port_free(lc, p);
			p = NULL;
		}
		return p ? &p->hdr : NULL;
	}
	json_error_t jerr;
	json_t *j = json_loadb(val, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		snprintf(err, size, "invalid JSON at line %d column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		return NULL;
	}
	struct mdl_hdr *h = mdl_obj_from_json(type, j, err, size);
	json_decref(j);
	if (h && (h->type != type || strcmp(h->id, id) != 0)) {
		snprintf(err, size, "id/type does not match its key");
		mdl_obj_free(h);
		return NULL;
	}
	if (h == NULL || type != MDL_PORT)
		return h;
	struct lc_port *p = lc_port_from_mdl(lc, mdl_hdr_to_port(h), err, size);
	mdl_obj_free(h);
	return p ? &p->hdr : NULL;
}

bool lc_obj_set(struct lc *lc, const char *key, const char *val, size_t len, bool replica)
{
	struct lc_obj *o;
	return lc_obj_set_get(lc, key, val, len, replica, &o);
}

bool lc_obj_set_get(struct lc *lc, const char *key, const char *val, size_t len, bool replica,
		    struct lc_obj **out)
{
	const char *id;
	int type = lc_key_type(key, &id);
	*out = NULL;
	if (type < 0)
		return false;     /* _alloc counters and other non-objects */
	uint32_t kh = (uint32_t)lc_hash_str(key);
	struct lc_obj *o = find_h(lc, key, kh);
	*out = o;
	bool port = type == MDL_PORT;
	/* idempotency: events are ordered and deduplicated on the db's
	 * mod_revision (lc_apply_event); the JSON's revision_number is the
	 * writer's and decides nothing.  Same value: no change (a resync's
	 * snapshot holds mostly what we have).  Ports keep no bytes: the same
	 * record is the same value (attributes compile does not read aside). */
	if (!port && o && o->present && o->len == len && memcmp(o->val, val, len) == 0)
		return false;
	char err[MDL_ERR_SIZE] = "";
	struct mdl_hdr *h = rec_decode(lc, (enum mdl_type)type, id, val, len, replica, err,
				       sizeof(err));
	if (port && h && o && o->present && o->o &&
	    lc_port_same(lc_port_of(o), (const struct lc_port *)(const void *)h)) {
		rec_drop(lc, h);
		return false;
	}
	char *copy = port || len >= UINT32_MAX ? NULL : malloc(len + 1);
	if ((!port && copy == NULL) ||
	    (o == NULL && (o = obj_new(lc, key, kh, (enum mdl_type)type)) == NULL)) {
		free(copy);
		rec_drop(lc, h);
		return false;
	}
	if (copy) {
		memcpy(copy, val, len);
		copy[len] = 0;
	}
	free(o->val);
	lc_reach_forget(lc, o);   /* what the old record counted */
	lc_sg_forget(lc, o);      /* and the group lists it was in */
	rec_free(lc, o);
	o->val = copy;
	o->len = copy ? (uint32_t)len : 0;
	o->o = h;
	uint64_t version = h ? h->version : 0;
	if (o->version != version)
		o->why_counted = false;   /* a skip of the new version is news */
	o->version = version;
	o->present = true;
	*out = o;
	lc_obj_changed(lc, o);
	if (h == NULL)
		lc_skip(lc, o, "bad value: %s", err);
	else
		lc_why_clear(lc, o);
	return true;
}

void lc_obj_changed(struct lc *lc, struct lc_obj *o)
{
	o->dirty = true;
	lc->chg_types |= 1u << o->type;
	uint64_t sig = lc_reach_sig(o);
	if (sig != o->rsig) {
		lc->reach_stale = true;
		/* a port's change alone may be followed port by port */
		lc->reach_full |= o->type != MDL_PORT;
	}
	o->rsig = sig;
	lc_count(lc, o);      /* present may have changed */
	if (o->in_chg || lc->n_chg == SIZE_MAX)
		return;
	if (lc->n_chg == lc->cap_chg) {
		size_t cap = lc->cap_chg ? lc->cap_chg * 2 : 64;
		struct lc_obj **a = realloc(lc->chg, cap * sizeof(*a));
		if (a == NULL) {
			/* the list is only a shortcut: without it, every pass
			 * that reads it sees "too many changes" and goes full */
			lc->n_chg = SIZE_MAX;
			return;
		}
		lc->chg = a;
		lc->cap_chg = cap;
	}
	o->in_chg = true;
	lc->chg[lc->n_chg++] = o;
}

static void chg_clear(struct lc *lc)
{
	for (size_t i = 0; lc->n_chg != SIZE_MAX && i < lc->n_chg; i++)
		lc->chg[i]->in_chg = false;
	if (lc->n_chg == SIZE_MAX)
		for (size_t i = 0; i < lc->n_all; i++)
			lc->all[i]->in_chg = false;
	lc->n_chg = 0;
	lc->chg_types = 0;
	lc->reach_ran = false;
	lc->local_moved = false;
	lc->lp_other = false;
}

void lc_obj_foreach(struct lc *lc, void (*fn)(struct lc *lc, struct lc_obj *o, void *arg),
		    void *arg)
{
	for (size_t i = 0; i < lc->n_buckets; i++)
		for (struct lc_obj *o = lc->buckets[i], *nx; o; o = nx) {
			nx = o->next;
			fn(lc, o, arg);
		}
}

static int cmp_obj(const void *a, const void *b)
{
	return strcmp((*(struct lc_obj *const *)a)->key, (*(struct lc_obj *const *)b)->key);
}

/* Every object, sorted by key: lc->all[0..n_sorted) is sorted, objects
 * created since were appended after it; they are sorted alone and merged
 * in (O(new log new + all)), so a batch that changes existing objects
 * sorts nothing. */
struct lc_obj **lc_obj_all(struct lc *lc, size_t *n)
{
	size_t ns = lc->n_sorted, na = lc->n_all;
	/* a snapshot's pages and the replica come in key order: then the new
	 * run is sorted already, and often follows the sorted part */
	size_t run = ns + 1;
	while (run < na && cmp_obj(&lc->all[run - 1], &lc->all[run]) <= 0)
		run++;
	if (ns < na && run >= na && (ns == 0 || cmp_obj(&lc->all[ns - 1], &lc->all[ns]) <= 0))
		lc->n_sorted = ns = na;
	if (ns < na) {
		if (run < na)
			qsort(lc->all + ns, na - ns, sizeof(*lc->all), cmp_obj);
		struct lc_obj **m = ns ? malloc(lc->cap_all * sizeof(*m)) : NULL;
		if (m != NULL) {
			size_t i = 0, j = ns, k = 0;
			while (i < ns && j < na)
				m[k++] = cmp_obj(&lc->all[i], &lc->all[j]) <= 0 ? lc->all[i++]
										: lc->all[j++];
			while (i < ns)
				m[k++] = lc->all[i++];
			while (j < na)
				m[k++] = lc->all[j++];
			free(lc->all);
			lc->all = m;
		} else if (ns) {
			qsort(lc->all, na, sizeof(*lc->all), cmp_obj);   /* no memory to merge */
		}
		lc->n_sorted = na;
	}
	*n = na;
	return lc->all;
}

/* First index in the sorted v[0..n) whose key is >= k. */
static size_t lower_bound(struct lc_obj *const *v, size_t n, const char *k)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(v[mid]->key, k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void lc_type_range(struct lc_obj *const *v, size_t n, enum mdl_type t, size_t *lo, size_t *hi)
{
	/* keys are "/wyvern/v1/<type>/<id>": one type is one run of the order
	 * ('/' + 1 = '0' ends it: "security_group/" stops before
	 * "security_group_rule/") */
	char k[64];
	int len = snprintf(k, sizeof(k), LC_PREFIX "%s/", mdl_type_name(t));
	*lo = lower_bound(v, n, k);
	k[len - 1] = '/' + 1;
	*hi = lower_bound(v, n, k);
}

/* Remove objects that are gone and no longer in tables or replica; only
 * when an object left since (lc->n_gone), keeping lc->all's order. */
static bool sweepable(const struct lc_obj *o)
{
	if (o->present || o->held || o->lp_key || o->acl_lport)
		return false;
	return o->cs == NULL ||
	       (o->cs->net == NULL && o->cs->stale_net_key == 0 && o->cs->set_key == 0);
}

static void sweep(struct lc *lc)
{
	if (lc->n_gone == 0)
		return;
	size_t k = 0, gone = 0, sorted = lc->n_sorted;
	for (size_t i = 0; i < lc->n_all; i++) {
		struct lc_obj *o = lc->all[i];
		if (!sweepable(o)) {
			gone += !o->present;
			lc->all[k++] = o;
			continue;
		}
		if (i < lc->n_sorted)
			sorted--;
		struct lc_obj **pp = &lc->buckets[o->khash & (lc->n_buckets - 1)];
		while (*pp != o)
			pp = &(*pp)->next;
		*pp = o->next;
		obj_free(lc, o);
		lc->n_objs--;
	}
	lc->n_all = k;
	lc->n_sorted = sorted;
	lc->n_gone = gone;    /* still in tables or replica: next batch */
}

/* ---- ifaces ------------------------------------------------------------ */
int lc_set_iface(struct lc *lc, const char *iface_id, uint16_t dp_port)
{
	for (unsigned i = 0; i < lc->n_ifaces; i++)
		if (strcmp(lc->ifaces[i].id, iface_id) == 0) {
			lc->ifaces[i].dp_port = dp_port;
			lc->ifaces_changed = true;
			return 0;
		}
	if (lc->n_ifaces >= LC_MAX_IFACES)
		return -ENOSPC;
	struct lc_iface *f = &lc->ifaces[lc->n_ifaces++];
	snprintf(f->id, sizeof(f->id), "%s", iface_id);
	f->dp_port = dp_port;
	lc->ifaces_changed = true;
	return 0;
}

int lc_iface_port(const struct lc *lc, const char *id)
{
	for (unsigned i = 0; i < lc->n_ifaces; i++)
		if (strcmp(lc->ifaces[i].id, id) == 0)
			return lc->ifaces[i].dp_port;
	return -1;
}

/* ---- lifecycle --------------------------------------------------------- */
struct lc *lc_create(const struct lc_config *cfg, struct dp_tables *t)
{
	struct lc *lc = calloc(1, sizeof(*lc));
	if (lc == NULL)
		return NULL;
	lc->cfg = *cfg;
	lc_config_finish(&lc->cfg);
	lc->t = t;
	lc->status_full = true;
	lc->n_buckets = 256;
	lc->buckets = calloc(lc->n_buckets, sizeof(*lc->buckets));
	if (lc->buckets == NULL) {
		free(lc);
		errno = ENOMEM;
		return NULL;
	}
	return lc;
}

static uint64_t us_since(uint64_t *t)
{
	uint64_t now = rte_get_tsc_cycles(), d = now - *t;
	*t = now;
	return d * 1000000 / rte_get_tsc_hz();
}

void lc_set_yield(struct lc *lc, void (*fn)(void *arg), void *arg)
{
	lc->yield_fn = fn;
	lc->yield_arg = arg;
}

/* A pass starts holding the control thread: its slice, from now. */
static uint64_t hold_start(struct lc *lc)
{
	lc->yield_cyc = (lc->slice_us ? lc->slice_us : LC_SLICE_US) * rte_get_tsc_hz() / 1000000;
	return lc->hold_t0 = rte_get_tsc_cycles();
}

/* the hold that ends now (a yield or lc_run's return) */
static void hold_end(struct lc *lc, uint64_t now)
{
	uint64_t us = (now - lc->hold_t0) * 1000000 / rte_get_tsc_hz();
	if (us > lc->st.max_hold_us)
		lc->st.max_hold_us = us;
}

void lc_yield_slow(struct lc *lc)
{
	if (lc->in_yield)
		return;
	hold_end(lc, rte_get_tsc_cycles());
	lc->in_yield = true;
	lc->yield_fn(lc->yield_arg);
	lc->in_yield = false;
	lc->st.yields++;
	lc->hold_t0 = rte_get_tsc_cycles();
}

static void after_batch(struct lc *lc)
{
	uint64_t t = rte_get_tsc_cycles();
	struct lc_stats *st = &lc->st;
	lc_reach_compute(lc);
	st->batch_reach_us = us_since(&t);
	lc_compile(lc);
	st->batch_compile_us = us_since(&t);
	lc_status_publish(lc);
	lc_snat_ports_publish(lc);
	st->batch_other_us = us_since(&t);
	lc_replica_commit(lc);
	st->batch_replica_us = us_since(&t);
	chg_clear(lc);
	sweep(lc);
	lc->ifaces_changed = false;
	st->batch_other_us += us_since(&t);
	uint64_t all = st->batch_apply_us + st->batch_reach_us + st->batch_compile_us +
		       st->batch_replica_us + st->batch_other_us;
	if (all > st->max_batch_us)
		st->max_batch_us = all;
	st->batches++;
	if (all >= LC_SLOW_BATCH_US)   /* a full sync, a restart, a big change */
		lc_log(lc, "batch of %llu ms: apply %llu, reach %llu, compile %llu, replica %llu, "
		       "other %llu ms", (unsigned long long)all / 1000,
		       (unsigned long long)st->batch_apply_us / 1000,
		       (unsigned long long)st->batch_reach_us / 1000,
		       (unsigned long long)st->batch_compile_us / 1000,
		       (unsigned long long)st->batch_replica_us / 1000,
		       (unsigned long long)st->batch_other_us / 1000);
}

void lc_set_tables(struct lc *lc, struct dp_tables *t)
{
	lc->t = t;
}

int lc_start(struct lc *lc)
{
	bool ran;
	int rc = lc_preload_join(lc, &ran);
	if (!ran)
		rc = lc_replica_open_load(lc, &lc->preload_us);
	if (rc < 0)
		return rc;
	lc->st.batch_apply_us = lc->preload_us;
	hold_start(lc);
	/* forward from the replica before the central db answers */
	after_batch(lc);
	return lc_sync_start(lc);       /* unless lc_preload started it */
}

int lc_fd(const struct lc *lc)
{
	return lc->sync ? lc->sync->evfd : -1;
}

void lc_destroy(struct lc *lc)
{
	if (lc == NULL)
		return;
	bool ran;
	(void)lc_preload_join(lc, &ran);
	lc_sync_stop(lc);
	lc_replica_close(lc);
	for (size_t i = 0; i < lc->n_buckets; i++)
		for (struct lc_obj *o = lc->buckets[i], *nx; o; o = nx) {
			nx = o->next;
			obj_free(lc, o);
		}
	free(lc->buckets);
	free(lc->all);
	free(lc->chg);
	lc_compile_free(lc);
	lc_compile_sg_free(lc);
	lc_lport_index_free(lc);
	lc_reach_state_free(lc);   /* holds interned ids */
	lc_intern_free(lc);
	free(lc->dhcp_cache);
	lc_alive_free(lc);
	lc_smap_free(lc->status_pub);
	free(lc);
}

/* ---- events (applied in lc_apply.c) ------------------------------------ */
int lc_inject(struct lc *lc, enum lc_ev_type type, const char *key, const char *value,
	      uint64_t revision)
{
	uint64_t t = hold_start(lc);
	lc_apply_event(lc, type == LC_EV_PUT ? LC_Q_PUT : LC_Q_DELETE, key, value,
		    value ? strlen(value) : 0, revision);
	lc->st.batch_apply_us = us_since(&t);
	after_batch(lc);
	return 0;
}

int lc_run(struct lc *lc)
{
	int n = 0;
	bool big = false;
	uint64_t t = hold_start(lc);
	if (lc->sync) {
		uint64_t x;
		if (read(lc->sync->evfd, &x, sizeof(x)) < 0) {
			/* EAGAIN: nothing signalled, the queue may still hold work */
		}
		struct lc_qev *ev = lc_sync_take(lc->sync);
		uint64_t gen;
		pthread_mutex_lock(&lc->sync->mu);
		gen = lc->sync->gen;
		snprintf(lc->st.last_error, sizeof(lc->st.last_error), "%s",
			 lc->sync->last_error);
		pthread_mutex_unlock(&lc->sync->mu);
		uint64_t slice = lc->yield_cyc;
		while (ev) {
			struct lc_qev *nx = ev->next;
			n++;
			if (ev->gen != gen && ev->type != LC_Q_STATUS) {
				/* from a watch we already replaced */
			} else if (ev->type == LC_Q_SNAP_PAGE) {
				lc_apply_snap_page(lc, ev->snap);
			} else if (ev->type == LC_Q_SNAPSHOT) {
				lc_apply_snap_end(lc, ev->snap);
				lc->st.connected = true;
				big = true;
			} else if (ev->type == LC_Q_PUT || ev->type == LC_Q_DELETE) {
				lc_apply_event(lc, ev->type, ev->key, ev->value, ev->len,
					    ev->revision);
			} else if (ev->type == LC_Q_RESYNC) {
				lc_log(lc, "central db history lost at %llu (%s): resync",
				       (unsigned long long)ev->revision,
				       ev->key ? ev->key : "store restored or recreated");
				lc->st.connected = false;
				lc_sync_request(lc);
			} else if (ev->type == LC_Q_COMPACTED) {
				lc_log(lc, "watch compacted at %llu: resync",
				       (unsigned long long)ev->revision);
				lc->st.connected = false;
				lc_sync_request(lc);
			} else if (ev->type == LC_Q_STATUS) {
				if (ev->key)
					lc_log(lc, "central db: %s", ev->key);
			}
			uint64_t rev = ev->type == LC_Q_PUT || ev->type == LC_Q_DELETE ? ev->revision : 0;
			lc_qev_free(ev);
			ev = nx;
			/* the slice is over: stop between two revisions (never in
			 * the middle of one txn's events) */
			if (ev && rte_get_tsc_cycles() - t > slice &&
			    (rev == 0 || (ev->type != LC_Q_PUT && ev->type != LC_Q_DELETE) ||
			     ev->revision != rev)) {
				lc_sync_untake(lc->sync, ev);
				lc->st.slices_cut++;
				break;
			}
		}
	}
	/* a snapshot's pages are applied over several passes: their time
	 * adds up to the batch that compiles them */
	if (n > 0)
		lc->apply_acc_us += us_since(&t);
	if ((n > 0 || lc->ifaces_changed) && !lc->snap_open) {
		lc->st.batch_apply_us = lc->apply_acc_us;
		lc->apply_acc_us = 0;
		after_batch(lc);
	}
	/* A snapshot or a long queue was decoded (on the sync thread's malloc
	 * arena) and freed here: give those pages back instead of keeping the
	 * peak of a full sync resident for the life of the process.  The
	 * replica's memtable, which the snapshot's write filled, goes to its
	 * files in the background (its blocks are mappings of their own:
	 * unmapped once written, some MiB). */
	if (big && lc->replica)
		db_flush(lc->replica);
	if (big || n >= LC_TRIM_EVENTS)
		malloc_trim(0);
	hold_end(lc, rte_get_tsc_cycles());
	return n;
}

/* ---- ctrl's one IP parser (lc.h) ---------------------------------------- */
int lc_ip_parse(const char *s, struct dp_ip *out)
{
	struct mdl_prefix p;
	memset(out, 0, sizeof(*out));
	if (mdl_ip_or_prefix_parse(s, &p) < 0)
		return -EINVAL;
	out->family = (uint8_t)p.addr.family;
	out->plen = (uint8_t)p.len;
	memcpy(out->addr, p.addr.b, p.addr.family == 4 ? 4 : 16);
	for (unsigned b = out->plen; b < (out->family == 4 ? 32u : 128u); b++)
		out->addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	return 0;
}
