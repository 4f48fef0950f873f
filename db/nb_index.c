/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb_index.c — northbound index: every object under /wyvern/v1/<type>/<id> in
 * memory (its JSON and mod_revision), loaded by one scan and then kept
 * current by a db_watch from the scan's revision + 1.
 *
 * Secondary keys are groups in one string-keyed hash table; an object has
 * one entry per key it appears under (doubly linked within the group, so
 * removal is O(1)).  Keys ('|' separates fields; ids never contain it):
 *   i|<id>                 the object
 *   t|<type>               every object of a type
 *   pn|<net>  pm|<net>|<mac>  pa|<subnet>|<ip>  ps|<subnet>  pd|<device_id>
 *   sn|<net>               subnets of a network
 *   rg|<group>             security-group rules of a group
 * A lookup walks one group, so its cost follows the result.
 *
 * Events of one revision are applied as they arrive (the drivers do not
 * mark the end of a revision yet), so a reader may see half of a
 * multi-object transaction for a moment.  Writes never trust the index: the
 * txn compares decide, and a failed compare retries with db reads.  After
 * DB_EV_COMPACTED the index is stale: gets miss and finds fail with
 * -ESTALE, so callers fall back to the db.
 * Threads: the watch thread writes under the rwlock; any thread reads. */
#include "nb_priv.h"
#include "mdl_addr.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include <string.h>
#include <time.h>

struct nbi_grp;
struct nbi_obj;

struct nbi_ent {
	struct nbi_ent *prev, *next;
	struct nbi_grp *grp;
	struct nbi_obj *obj;
};

struct nbi_grp {
	struct nbi_grp *hnext;
	struct nbi_ent head;            /* circular list sentinel */
	size_t n;
	uint64_t hash;
	char key[];
};

struct nbi_obj {
	enum mdl_type type;
	char id[MDL_ID_SIZE];
	uint64_t mod;
	char *json;
	struct nbi_ent *ents;
	size_t n_ents;
};

/* A port's status as its chassis reported it (_status/<chassis>/port/<id>). */
struct nbi_status {
	struct nbi_status *next;
	char port[MDL_ID_SIZE];
	char chassis[MDL_ID_SIZE];
	char status[16];
};
#define NBI_STATUS_BUCKETS 4096

struct nb_index {
	struct db *db;
	struct nbi_status *status[NBI_STATUS_BUCKETS];
	struct db_watch *watch;
	pthread_rwlock_t lock;
	struct nbi_grp **buckets;
	size_t n_buckets, n_grps;
	pthread_mutex_t mu;             /* applied, stale */
	pthread_cond_t cond;
	uint64_t applied;
	bool stale;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	return h;
}

static struct nbi_grp *grp_find(struct nb_index *x, const char *key, uint64_t h)
{
	struct nbi_grp *g = x->buckets[h & (x->n_buckets - 1)];

	while (g && (g->hash != h || strcmp(g->key, key)))
		g = g->hnext;
	return g;
}

static void grow(struct nb_index *x)
{
	size_t nb = x->n_buckets * 2, i;
	struct nbi_grp **nv = calloc(nb, sizeof(*nv)), *g, *next;

	if (!nv)
		return;                 /* longer chains, still correct */
	for (i = 0; i < x->n_buckets; i++)
		for (g = x->buckets[i]; g; g = next) {
			next = g->hnext;
			g->hnext = nv[g->hash & (nb - 1)];
			nv[g->hash & (nb - 1)] = g;
		}
	free(x->buckets);
	x->buckets = nv;
	x->n_buckets = nb;
}

static int ent_add(struct nb_index *x, struct nbi_ent *e, const char *key)
{
	uint64_t h = hash_str(key);
	struct nbi_grp *g = grp_find(x, key, h);

	if (!g) {
		g = calloc(1, sizeof(*g) + strlen(key) + 1);
		if (!g)
			return -ENOMEM;
		strcpy(g->key, key);
		g->hash = h;
		g->head.prev = g->head.next = &g->head;
		g->hnext = x->buckets[h & (x->n_buckets - 1)];
		x->buckets[h & (x->n_buckets - 1)] = g;
		if (++x->n_grps > x->n_buckets)
			grow(x);
	}
	e->grp = g;
	e->next = &g->head;
	e->prev = g->head.prev;
	g->head.prev->next = e;
	g->head.prev = e;
	g->n++;
	return 0;
}

static void ent_del(struct nb_index *x, struct nbi_ent *e)
{
	struct nbi_grp *g = e->grp, **pp;

	if (!g)
		return;
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->grp = NULL;
	if (--g->n)
		return;
	for (pp = &x->buckets[g->hash & (x->n_buckets - 1)]; *pp != g; pp = &(*pp)->hnext)
		;
	*pp = g->hnext;
	x->n_grps--;
	free(g);
}

static void obj_free(struct nb_index *x, struct nbi_obj *o)
{
	size_t i;

	for (i = 0; i < o->n_ents; i++)
		ent_del(x, &o->ents[i]);
	free(o->ents);
	free(o->json);
	free(o);
}

/* The secondary keys of a decoded object. */
static int obj_keys(const struct mdl_hdr *h, char (**keys)[NB_KEY_SIZE], size_t *n)
{
	size_t cap = 4, i, j;
	char ip[64], mac[MDL_MAC_SIZE];
	struct mdl_ip a;

	if (h->type == MDL_PORT)
		cap += 2 * mdl_hdr_to_port((struct mdl_hdr *)h)->n_fixed_ips + 3;
	*keys = calloc(cap, sizeof(**keys));
	if (!*keys)
		return -ENOMEM;
	*n = 0;
	snprintf((*keys)[(*n)++], NB_KEY_SIZE, "i|%s", h->id);
	snprintf((*keys)[(*n)++], NB_KEY_SIZE, "t|%s", mdl_type_name(h->type));
	if (h->type == MDL_SUBNET) {
		snprintf((*keys)[(*n)++], NB_KEY_SIZE, "sn|%s",
			 ((const struct mdl_subnet *)h)->network_id);
	} else if (h->type == MDL_SECURITY_GROUP_RULE) {
		snprintf((*keys)[(*n)++], NB_KEY_SIZE, "rg|%s",
			 ((const struct mdl_security_group_rule *)h)->security_group_id);
	} else if (h->type == MDL_PORT) {
		const struct mdl_port *p = (const struct mdl_port *)h;

		for (i = 0; i < sizeof(mac) - 1 && p->mac_address[i]; i++)
			mac[i] = (char)tolower((unsigned char)p->mac_address[i]);
		mac[i] = '\0';
		snprintf((*keys)[(*n)++], NB_KEY_SIZE, "pn|%s", p->network_id);
		snprintf((*keys)[(*n)++], NB_KEY_SIZE, "pm|%s|%s", p->network_id, mac);
		if (p->device_id[0])
			snprintf((*keys)[(*n)++], NB_KEY_SIZE, "pd|%s", p->device_id);
		for (i = 0; i < p->n_fixed_ips; i++) {
			const char *s = p->fixed_ips[i].subnet_id;
			bool dup = false;

			for (j = 0; j < i && !dup; j++)
				dup = !strcmp(p->fixed_ips[j].subnet_id, s);
			if (!dup)
				snprintf((*keys)[(*n)++], NB_KEY_SIZE, "ps|%s", s);
			if (!mdl_ip_parse(p->fixed_ips[i].ip_address, &a)) {
				mdl_ip_format(&a, ip, sizeof(ip));
				snprintf((*keys)[(*n)++], NB_KEY_SIZE, "pa|%s|%s", s, ip);
			}
		}
	}
	return 0;
}

static struct nbi_obj *obj_by_id(struct nb_index *x, const char *id)
{
	char key[64];
	struct nbi_grp *g;

	snprintf(key, sizeof(key), "i|%s", id);
	g = grp_find(x, key, hash_str(key));
	return g && g->n ? g->head.next->obj : NULL;
}

/* Parses "/wyvern/v1/<type>/<uuid>"; -1 for any other key. */
static int parse_key(const char *key, char id[MDL_ID_SIZE])
{
	const char *t = key + strlen(NB_PREFIX), *slash;
	char tname[32];
	int type;

	if (strncmp(key, NB_PREFIX, strlen(NB_PREFIX)) || !(slash = strchr(t, '/')) ||
	    slash - t >= (long)sizeof(tname) || strlen(slash + 1) != MDL_ID_SIZE - 1)
		return -1;
	snprintf(tname, sizeof(tname), "%.*s", (int)(slash - t), t);
	type = mdl_type_from_name(tname);
	if (type < 0 || !mdl_uuid_valid(slash + 1))
		return -1;
	memcpy(id, slash + 1, MDL_ID_SIZE);
	return type;
}

/* "/wyvern/v1/_status/<chassis>/port/<port>": true, with both ids. */
static bool parse_status_key(const char *key, char chassis[MDL_ID_SIZE], char port[MDL_ID_SIZE])
{
	const char *p = key + strlen(NB_PREFIX "_status/");
	size_t idl = MDL_ID_SIZE - 1;

	if (strncmp(key, NB_PREFIX "_status/", strlen(NB_PREFIX "_status/")) ||
	    strlen(p) != idl + strlen("/port/") + idl || strncmp(p + idl, "/port/", 6))
		return false;
	memcpy(chassis, p, idl);
	chassis[idl] = 0;
	memcpy(port, p + idl + 6, idl + 1);
	return mdl_uuid_valid(port);
}

static struct nbi_status **status_slot(struct nb_index *x, const char *port)
{
	struct nbi_status **pp = &x->status[hash_str(port) % NBI_STATUS_BUCKETS];

	while (*pp && strcmp((*pp)->port, port))
		pp = &(*pp)->next;
	return pp;
}

/* Under the write lock: a chassis reported (put) or withdrew (delete, its
 * lease gone) a port's status.  The last report wins; a withdrawal counts
 * only from the chassis whose report stands. */
static void apply_status(struct nb_index *x, bool put, const char *chassis, const char *port,
			 const void *val, size_t len)
{
	struct nbi_status **pp = status_slot(x, port), *s = *pp;
	json_t *j;
	const char *st;

	if (!put) {
		if (s && !strcmp(s->chassis, chassis)) {
			*pp = s->next;
			free(s);
		}
		return;
	}
	j = json_loadb(val, len, 0, NULL);
	st = json_string_value(json_object_get(j, "status"));
	if (st && strlen(st) < sizeof(s->status) && (s || (s = calloc(1, sizeof(*s))))) {
		if (!*pp)
			*pp = s;
		memcpy(s->port, port, MDL_ID_SIZE);
		memcpy(s->chassis, chassis, MDL_ID_SIZE);
		snprintf(s->status, sizeof(s->status), "%s", st);
	}
	json_decref(j);
}

int nbi_port_status(struct nb_index *x, const char *port, char *out, size_t size)
{
	struct nbi_status *s;
	int rc = -ENOENT;

	pthread_rwlock_rdlock(&x->lock);
	s = *status_slot(x, port);
	if (s) {
		snprintf(out, size, "%s", s->status);
		rc = 0;
	}
	pthread_rwlock_unlock(&x->lock);
	return rc;
}

/* Under the write lock. */
static void apply(struct nb_index *x, bool put, const char *key, const void *val,
		  size_t len, uint64_t mod)
{
	char id[MDL_ID_SIZE], chassis[MDL_ID_SIZE], (*keys)[NB_KEY_SIZE] = NULL;
	struct mdl_hdr *h = NULL;
	struct nbi_obj *o, *old;
	size_t n = 0, i;
	int type = parse_key(key, id);

	if (type < 0) {
		if (parse_status_key(key, chassis, id))
			apply_status(x, put, chassis, id, val, len);
		return;                 /* claims, refs, counters */
	}
	if ((old = obj_by_id(x, id)))
		obj_free(x, old);
	if (!put)
		return;
	o = calloc(1, sizeof(*o));
	if (o)
		o->json = malloc(len + 1);
	if (!o || !o->json)
		goto fail;
	memcpy(o->json, val, len);
	o->json[len] = '\0';
	h = mdl_obj_from_string(type, o->json, NULL, 0);
	if (!h || obj_keys(h, &keys, &n))
		goto fail;              /* undecodable: not indexed, like nb_list */
	o->type = type;
	memcpy(o->id, id, MDL_ID_SIZE);
	o->mod = mod;
	o->ents = calloc(n, sizeof(*o->ents));
	if (!o->ents)
		goto fail;
	for (i = 0; i < n; i++) {
		o->ents[i].obj = o;
		if (ent_add(x, &o->ents[i], keys[i]))
			break;
	}
	o->n_ents = i;
	if (i < n) {
		obj_free(x, o);
		o = NULL;
		x->stale = true;        /* out of memory: stop trusting the index */
	}
	free(keys);
	mdl_obj_free(h);
	return;
fail:
	free(keys);
	mdl_obj_free(h);
	if (o) {
		free(o->ents);
		free(o->json);
		free(o);
	}
}

static void on_event(const struct db_event *ev, void *arg)
{
	struct nb_index *x = arg;

	pthread_rwlock_wrlock(&x->lock);
	if (ev->type == DB_EV_COMPACTED)
		x->stale = true;
	else
		apply(x, ev->type == DB_EV_PUT, ev->key, ev->value, ev->value_len,
		      ev->revision);
	pthread_rwlock_unlock(&x->lock);
	pthread_mutex_lock(&x->mu);
	/* a revision counts as applied once all of it is (nb_index_wait) */
	if (ev->type != DB_EV_COMPACTED && ev->rev_end && ev->revision > x->applied)
		x->applied = ev->revision;
	pthread_cond_broadcast(&x->cond);
	pthread_mutex_unlock(&x->mu);
}

struct nb_index *nbi_open(struct db *db)
{
	struct nb_index *x = calloc(1, sizeof(*x));
	struct db_kv_list l;
	size_t i;
	int rc;

	if (!x)
		return NULL;
	x->db = db;
	x->n_buckets = 1024;
	x->buckets = calloc(x->n_buckets, sizeof(*x->buckets));
	pthread_rwlock_init(&x->lock, NULL);
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->cond, NULL);
	if (!x->buckets) {
		nbi_close(x);
		errno = ENOMEM;
		return NULL;
	}
	rc = db_scan(db, NB_PREFIX, &l);
	if (rc) {
		nbi_close(x);
		errno = -rc;
		return NULL;
	}
	for (i = 0; i < l.n; i++)
		apply(x, true, l.kvs[i].key, l.kvs[i].value, l.kvs[i].value_len,
		      l.kvs[i].mod_revision);
	x->applied = l.revision;
	db_kv_list_clear(&l);
	x->watch = db_watch(db, NB_PREFIX, x->applied + 1, on_event, x);
	if (!x->watch) {
		rc = errno;
		nbi_close(x);
		errno = rc;
		return NULL;
	}
	return x;
}

void nbi_close(struct nb_index *x)
{
	size_t i;

	if (!x)
		return;
	db_watch_cancel(x->watch);
	for (i = 0; x->buckets && i < x->n_buckets; i++) {
		struct nbi_grp *g;

		/* freeing an object empties (and frees) its groups */
		while ((g = x->buckets[i]) != NULL)
			obj_free(x, g->head.next->obj);
	}
	free(x->buckets);
	for (i = 0; i < NBI_STATUS_BUCKETS; i++) {
		struct nbi_status *s, *nx;

		for (s = x->status[i]; s; s = nx) {
			nx = s->next;
			free(s);
		}
	}
	pthread_rwlock_destroy(&x->lock);
	pthread_mutex_destroy(&x->mu);
	pthread_cond_destroy(&x->cond);
	free(x);
}

int nbi_wait(struct nb_index *x, uint64_t revision, int timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&x->mu);
	while (x->applied < revision && !rc)
		rc = pthread_cond_timedwait(&x->cond, &x->mu, &ts);
	pthread_mutex_unlock(&x->mu);
	return x->applied >= revision ? 0 : -ETIMEDOUT;
}

static bool obj_at(struct nb_index *x, const char *id, uint64_t revision, bool gone)
{
	struct nbi_obj *o;
	bool ok;

	pthread_rwlock_rdlock(&x->lock);
	o = obj_by_id(x, id);
	ok = gone ? o == NULL : (o != NULL && o->mod >= revision);
	pthread_rwlock_unlock(&x->lock);
	return ok;
}

int nbi_wait_obj(struct nb_index *x, const char *id, uint64_t revision, bool gone,
		 int timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	/* the event thread broadcasts under mu after each apply: checking
	 * under mu cannot miss the wake-up */
	pthread_mutex_lock(&x->mu);
	while (!obj_at(x, id, revision, gone) && !rc)
		rc = pthread_cond_timedwait(&x->cond, &x->mu, &ts);
	pthread_mutex_unlock(&x->mu);
	return obj_at(x, id, revision, gone) ? 0 : -ETIMEDOUT;
}

struct mdl_hdr *nbi_get(struct nb_index *x, enum mdl_type type, const char *id,
			uint64_t *mod_revision)
{
	struct mdl_hdr *h = NULL;
	struct nbi_obj *o;

	pthread_rwlock_rdlock(&x->lock);
	o = x->stale ? NULL : obj_by_id(x, id);
	if (o && o->type == type) {
		h = mdl_obj_from_string(type, o->json, NULL, 0);
		if (h && mod_revision)
			*mod_revision = o->mod;
	}
	pthread_rwlock_unlock(&x->lock);
	return h;
}

static int by_id(const void *a, const void *b)
{
	return strcmp((*(struct mdl_hdr *const *)a)->id, (*(struct mdl_hdr *const *)b)->id);
}

static bool set(const char *s)
{
	return s && s[0];
}

static void group_key(enum mdl_type type, const struct nb_filter *f, char *key,
		      size_t size)
{
	char ip[64];
	struct mdl_ip a;
	size_t i;

	snprintf(key, size, "t|%s", mdl_type_name(type));
	if (!f)
		return;
	if (type == MDL_SUBNET && set(f->network_id)) {
		snprintf(key, size, "sn|%s", f->network_id);
	} else if (type == MDL_SECURITY_GROUP_RULE && set(f->security_group_id)) {
		snprintf(key, size, "rg|%s", f->security_group_id);
	} else if (type == MDL_PORT) {
		if (set(f->mac_address) && set(f->network_id)) {
			int n = snprintf(key, size, "pm|%s|", f->network_id);

			for (i = 0; f->mac_address[i] && n + 1 < (int)size; i++)
				key[n++] = (char)tolower((unsigned char)f->mac_address[i]);
			key[n] = '\0';
		} else if (set(f->ip_address) && set(f->subnet_id) &&
			   !mdl_ip_parse(f->ip_address, &a)) {
			snprintf(key, size, "pa|%s|%s", f->subnet_id,
				 mdl_ip_format(&a, ip, sizeof(ip)));
		} else if (set(f->device_id)) {
			snprintf(key, size, "pd|%s", f->device_id);
		} else if (set(f->subnet_id)) {
			snprintf(key, size, "ps|%s", f->subnet_id);
		} else if (set(f->network_id)) {
			snprintf(key, size, "pn|%s", f->network_id);
		}
	}
}

int nbi_find(struct nb_index *x, enum mdl_type type, const struct nb_filter *f,
	     struct mdl_hdr ***objs, size_t *n)
{
	char key[NB_KEY_SIZE];
	struct nbi_grp *g;
	struct nbi_ent *e;
	size_t k = 0;
	int rc = 0;

	*objs = NULL;
	*n = 0;
	if (!mdl_type_name(type))
		return -EINVAL;
	group_key(type, f, key, sizeof(key));
	pthread_rwlock_rdlock(&x->lock);
	if (x->stale) {
		pthread_rwlock_unlock(&x->lock);
		return -ESTALE;
	}
	g = grp_find(x, key, hash_str(key));
	*objs = calloc((g ? g->n : 0) + 1, sizeof(**objs));
	if (!*objs)
		rc = -ENOMEM;
	for (e = g ? g->head.next : NULL; !rc && e && e != &g->head; e = e->next) {
		struct mdl_hdr *h;

		if (e->obj->type != type)
			continue;
		h = mdl_obj_from_string(type, e->obj->json, NULL, 0);
		if (!h) {
			rc = -ENOMEM;
			break;
		}
		if (nb_filter_match(h, f))
			(*objs)[k++] = h;
		else
			mdl_obj_free(h);
	}
	pthread_rwlock_unlock(&x->lock);
	if (rc) {
		nb_list_free(*objs, k);
		*objs = NULL;
		return rc;
	}
	qsort(*objs, k, sizeof(**objs), by_id);
	*n = k;
	return 0;
}

int nbi_ip_used(struct nb_index *x, const char *subnet_id, const char *ip)
{
	char key[NB_KEY_SIZE];
	struct nb_filter f = { .subnet_id = subnet_id, .ip_address = ip };
	struct nbi_grp *g;
	struct mdl_ip a;
	int rc;

	if (!subnet_id || !ip || mdl_ip_parse(ip, &a))
		return -EINVAL;
	group_key(MDL_PORT, &f, key, sizeof(key));
	pthread_rwlock_rdlock(&x->lock);
	if (x->stale) {
		pthread_rwlock_unlock(&x->lock);
		return -ESTALE;
	}
	g = grp_find(x, key, hash_str(key));
	rc = g && g->n > 0;
	pthread_rwlock_unlock(&x->lock);
	return rc;
}
