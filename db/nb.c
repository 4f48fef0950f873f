/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb.c — northbound (see nb.h): the handle (index + dp_key block), reads,
 * the single-object operations and router interfaces as nb_apply batches,
 * and the original db-level API as wrappers over a plain stack handle. */
#include "nb_priv.h"
#include "db_provider.h"       /* db_memdup0 */
#include "mdl_addr.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

int nb_errf(char *err, size_t es, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && es) {
		va_start(ap, fmt);
		vsnprintf(err, es, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int nb_key(enum mdl_type type, const char *id, char *buf, size_t size)
{
	const char *t = mdl_type_name(type);

	if (!t || !id)
		return -EINVAL;
	return snprintf(buf, size, NB_PREFIX "%s/%s", t, id);
}

/* ---- handle ---- */

void nb_init_plain(struct nb *nb, struct db *db)
{
	memset(nb, 0, sizeof(*nb));
	nb->db = db;
	pthread_mutex_init(&nb->mu, NULL);
}

struct nb *nb_open(struct db *db, unsigned flags)
{
	struct nb *nb;

	if (!db || (flags & ~(unsigned)(NB_F_INDEX | NB_F_DP_BLOCK))) {
		errno = EINVAL;
		return NULL;
	}
	nb = malloc(sizeof(*nb));
	if (!nb)
		return NULL;
	nb_init_plain(nb, db);
	nb->flags = flags;
	if ((flags & NB_F_INDEX) && !(nb->idx = nbi_open(db))) {
		int e = errno;

		pthread_mutex_destroy(&nb->mu);
		free(nb);
		errno = e;
		return NULL;
	}
	return nb;
}

void nb_close(struct nb *nb)
{
	if (!nb)
		return;
	nbi_close(nb->idx);
	pthread_mutex_destroy(&nb->mu);
	free(nb);
}

void nb_get_stats(struct nb *nb, struct nb_stats *out)
{
	out->ops = nb->n_ops;
	out->txns = nb->n_txns;
	out->retries = nb->n_retries;
	out->unknown = nb->n_unknown;
	out->resolved = nb->n_resolved;
	out->mac_regen = nb->n_mac_regen;
}

struct db *nb_db(struct nb *nb)
{
	return nb ? nb->db : NULL;
}

int nb_index_wait_obj(struct nb *nb, const char *id, uint64_t revision, bool gone,
		      int timeout_ms)
{
	if (!nb || !nb->idx || !id)
		return -EINVAL;
	return nbi_wait_obj(nb->idx, id, revision, gone, timeout_ms);
}

int nb_index_wait(struct nb *nb, uint64_t revision, int timeout_ms)
{
	int rc;

	if (!nb || !nb->idx)
		return -EINVAL;
	if (!revision && (rc = db_revision(nb->db, &revision)))
		return rc;
	return nbi_wait(nb->idx, revision, timeout_ms);
}

/* Reserves NB_DP_KEY_BLOCK keys with one CAS on the shared counter.  An
 * unknown outcome is not resolved: the block may be lost (keys are never
 * reused, so losing some is safe) and a fresh one is reserved. */
static int reserve_block(struct nb *nb)
{
	char ckey[128], val[32];
	int attempt, rc;

	db_alloc_counter_key(NB_DP_NS, ckey, sizeof(ckey));
	for (attempt = 0; attempt < 1000; attempt++) {
		uint64_t cur = 0, seen = 0, rev;
		struct db_cmp cmp;
		struct db_op op;
		struct db_kv kv;
		bool ok;

		rc = db_get(nb->db, ckey, &kv);
		if (rc && rc != -ENOENT)
			return rc;
		if (!rc) {
			cur = strtoull(kv.value, NULL, 10);
			seen = kv.mod_revision;
			db_kv_clear(&kv);
		}
		if (cur + NB_DP_KEY_BLOCK > UINT32_MAX)
			return -ENOSPC;
		snprintf(val, sizeof(val), "%" PRIu64, cur + NB_DP_KEY_BLOCK);
		cmp = (struct db_cmp){ ckey, DB_CMP_EQUAL, seen };
		op = (struct db_op){ DB_OP_PUT, ckey, val, strlen(val) };
		rc = nb_db_txn(nb->db, &cmp, 1, &op, 1, &ok, &rev);
		if (rc == -EINVAL)
			return rc;
		if (!rc && ok) {
			nb->next_key = (uint32_t)cur + 1;
			nb->end_key = (uint32_t)(cur + NB_DP_KEY_BLOCK + 1);
			return 0;
		}
	}
	return -EAGAIN;
}

int nb_block_key(struct nb *nb, uint32_t *key)
{
	int rc = 0;

	pthread_mutex_lock(&nb->mu);
	if (nb->next_key == nb->end_key)
		rc = reserve_block(nb);
	if (!rc)
		*key = nb->next_key++;
	pthread_mutex_unlock(&nb->mu);
	return rc;
}

/* ---- the read memo (nb.h) ---- */

struct memo_ent {
	const struct db *db;
	char *key, *val;
	size_t len;
	uint64_t mod;
};
static __thread struct {
	bool on;
	unsigned n;
	uint64_t hits;
	struct memo_ent e[NB_MEMO_MAX];
} memo;

void nb_memo_forget(void)
{
	for (unsigned i = 0; i < memo.n; i++) {
		free(memo.e[i].key);
		free(memo.e[i].val);
	}
	memo.n = 0;
}

void nb_memo_begin(void)
{
	nb_memo_forget();
	memo.on = true;
}

void nb_memo_end(void)
{
	nb_memo_forget();
	memo.on = false;
}

uint64_t nb_memo_hits(void)
{
	return memo.hits;
}

int nb_memo_get(struct db *db, const char *key, struct db_kv *kv)
{
	for (unsigned i = 0; memo.on && i < memo.n; i++) {
		const struct memo_ent *m = &memo.e[i];
		if (m->db != db || strcmp(m->key, key) != 0)
			continue;
		memo.hits++;
		if (m->val == NULL)
			return -ENOENT;         /* read before: not there */
		memset(kv, 0, sizeof(*kv));
		kv->key = strdup(key);
		kv->value = db_memdup0(m->val, m->len);
		if (kv->key == NULL || kv->value == NULL) {
			db_kv_clear(kv);
			return -ENOMEM;
		}
		kv->value_len = m->len;
		kv->mod_revision = m->mod;
		return 0;
	}
	int rc = db_get(db, key, kv);
	if ((rc && rc != -ENOENT) || !memo.on || memo.n == NB_MEMO_MAX)
		return rc;
	struct memo_ent *m = &memo.e[memo.n];
	m->key = strdup(key);
	m->val = rc ? NULL : db_memdup0(kv->value, kv->value_len);  /* NULL: absent */
	if (m->key == NULL || (!rc && m->val == NULL)) {
		free(m->key);
		free(m->val);
		return rc;      /* not memoized: the next read asks the db */
	}
	m->db = db;
	m->len = rc ? 0 : kv->value_len;
	m->mod = rc ? 0 : kv->mod_revision;
	memo.n++;
	return rc;
}

/* Every txn of this module goes through here: the memo is forgotten
 * whatever the outcome (a failed compare means someone else wrote). */
int nb_db_txn(struct db *db, const struct db_cmp *cmps, size_t n_cmps, const struct db_op *ops,
	      size_t n_ops, bool *succeeded, uint64_t *revision)
{
	nb_memo_forget();
	return db_txn(db, cmps, n_cmps, ops, n_ops, succeeded, revision);
}

/* ---- reads ---- */

int nb_get(struct db *db, enum mdl_type type, const char *id, struct mdl_hdr **out,
	   uint64_t *mod_revision)
{
	char key[NB_KEY_SIZE];
	struct db_kv kv;
	int rc;

	*out = NULL;
	if (!mdl_uuid_valid(id) || nb_key(type, id, key, sizeof(key)) < 0)
		return -EINVAL;
	rc = nb_memo_get(db, key, &kv);
	if (rc)
		return rc;
	*out = mdl_obj_from_string(type, kv.value, NULL, 0);
	rc = *out ? 0 : -EIO;
	if (!rc && mod_revision)
		*mod_revision = kv.mod_revision;
	db_kv_clear(&kv);
	return rc;
}

void nb_list_free(struct mdl_hdr **objs, size_t n)
{
	size_t i;

	for (i = 0; objs && i < n; i++)
		mdl_obj_free(objs[i]);
	free(objs);
}

/* An id JSON writers put as it is: letters, digits, '-', '_', '.' (a
 * UUID, a chassis name); "" and NULL are not one (they filter nothing). */
static bool plain_id(const char *s)
{
	if (!s || !s[0])
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* Can the stored value match f?  The id fields it compares for equality
 * are in the value as text when it does (a plain id is never escaped), so
 * a value without one of them is not decoded: one network's subnets out
 * of 2,000 decode one or two.  A writer that escapes plain characters
 * (\u0061 for "a") is not expected; wyvern's writers never do. */
static bool raw_may_match(const struct db_kv *kv, const struct nb_filter *f)
{
	const char *ids[] = { f->network_id, f->subnet_id, f->device_id, f->device_owner,
			      f->security_group_id };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (plain_id(ids[i]) && !memmem(kv->value, kv->value_len, ids[i], strlen(ids[i])))
			return false;
	return true;
}

/* The objects of type in db that match f (NULL: all); undecodable
 * values are skipped. */
static int scan(struct db *db, enum mdl_type type, const struct nb_filter *f,
		struct mdl_hdr ***objs, size_t *n)
{
	struct db_kv_list l;
	char prefix[64];
	size_t i;
	int rc;

	*objs = NULL;
	*n = 0;
	if (nb_key(type, "", prefix, sizeof(prefix)) < 0)
		return -EINVAL;
	if ((rc = db_scan(db, prefix, &l)))
		return rc;
	if (!(*objs = calloc(l.n + 1, sizeof(**objs)))) {
		db_kv_list_clear(&l);
		return -ENOMEM;
	}
	for (i = 0; i < l.n; i++) {
		struct mdl_hdr *o = f && !raw_may_match(&l.kvs[i], f) ? NULL :
				    mdl_obj_from_string(type, l.kvs[i].value, NULL, 0);

		if (o && nb_filter_match(o, f))
			(*objs)[(*n)++] = o;
		else
			mdl_obj_free(o);
	}
	db_kv_list_clear(&l);
	return 0;
}

int nb_list(struct db *db, enum mdl_type type, struct mdl_hdr ***objs, size_t *n)
{
	return scan(db, type, NULL, objs, n);
}

int nb_find(struct nb *nb, enum mdl_type type, const struct nb_filter *f,
	    struct mdl_hdr ***objs, size_t *n)
{
	int rc;

	*objs = NULL;
	*n = 0;
	if (!nb)
		return -EINVAL;
	if (nb->idx && (rc = nbi_find(nb->idx, type, f, objs, n)) != -ESTALE)
		return rc;              /* stale after compaction: scan */
	return scan(nb->db, type, f, objs, n);
}

/* A status value's "status" into out; -ENOENT when it has none. */
static int status_of(const char *val, size_t len, char *out, size_t size)
{
	json_t *j = json_loadb(val, len, 0, NULL);
	int rc = -ENOENT;

	if (json_is_string(json_object_get(j, "status"))) {
		snprintf(out, size, "%s", json_string_value(json_object_get(j, "status")));
		rc = 0;
	}
	json_decref(j);
	return rc;
}

int nb_port_status(struct nb *nb, const char *port_id, const char *host, char *out,
		   size_t size)
{
	char key[NB_KEY_SIZE], cid[MDL_ID_SIZE];
	struct db_kv_list l;
	struct db_kv kv;
	size_t i, pl;
	int rc;

	if (!nb || !port_id || !port_id[0] || !out)
		return -EINVAL;
	if (nb->idx)
		return nbi_port_status(nb->idx, port_id, out, size);
	if (host) {
		if (!host[0])
			return -ENOENT;
		mdl_chassis_id(host, cid);
		snprintf(key, sizeof(key), NB_PREFIX "_status/%s/port/%s", cid, port_id);
		if ((rc = nb_memo_get(nb->db, key, &kv)))
			return rc;
		rc = status_of(kv.value, kv.value_len, out, size);
		db_kv_clear(&kv);
		return rc;
	}
	if ((rc = db_scan(nb->db, NB_PREFIX "_status/", &l)))
		return rc;
	rc = -ENOENT;
	pl = strlen(port_id);
	for (i = 0; i < l.n && rc; i++) {
		const char *k = l.kvs[i].key, *p = strstr(k, "/port/");

		if (!p || strlen(p + 6) != pl || strcmp(p + 6, port_id))
			continue;
		rc = status_of(l.kvs[i].value, l.kvs[i].value_len, out, size);
	}
	db_kv_list_clear(&l);
	return rc;
}

int nb_ip_used(struct nb *nb, const char *subnet_id, const char *ip)
{
	char key[NB_KEY_SIZE], canon[MDL_IP_SIZE];
	struct db_kv kv;
	struct mdl_ip a;
	int rc;

	if (!nb || !subnet_id || !ip || mdl_ip_parse(ip, &a))
		return -EINVAL;
	if (nb->idx && (rc = nbi_ip_used(nb->idx, subnet_id, ip)) != -ESTALE)
		return rc;
	/* without an index: the claim key, written with the port (one read) */
	mdl_ip_format(&a, canon, sizeof(canon));
	if (snprintf(key, sizeof(key), NB_PREFIX "_uniq/ip/%s/%s", subnet_id, canon) >=
	    (int)sizeof(key))
		return -EINVAL;
	rc = db_get(nb->db, key, &kv);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	db_kv_clear(&kv);
	return 1;
}

/* ---- single operations ---- */

int nb_h_create(struct nb *nb, struct mdl_hdr *obj, uint64_t *revision,
		char *err, size_t es)
{
	struct nb_op op = { .kind = NB_OP_CREATE, .obj = obj };

	return nb_apply(nb, &op, 1, revision, err, es);
}

int nb_h_update(struct nb *nb, struct mdl_hdr *obj, uint64_t expected, uint64_t *revision,
		char *err, size_t es)
{
	struct nb_op op = { .kind = NB_OP_UPDATE, .obj = obj,
			    .expected_mod_revision = expected };

	return nb_apply(nb, &op, 1, revision, err, es);
}

int nb_h_delete(struct nb *nb, enum mdl_type type, const char *id, uint64_t expected,
		char *err, size_t es)
{
	struct nb_op op = { .kind = NB_OP_DELETE, .type = type,
			    .expected_mod_revision = expected };

	if (!id || strlen(id) >= sizeof(op.id))
		return nb_errf(err, es, -EINVAL, "invalid arguments");
	strcpy(op.id, id);
	return nb_apply(nb, &op, 1, NULL, err, es);
}

int nb_create(struct db *db, struct mdl_hdr *obj, uint64_t *revision, char *err,
	      size_t es)
{
	struct nb nb;
	int rc;

	if (!db)
		return nb_errf(err, es, -EINVAL, "invalid arguments");
	nb_init_plain(&nb, db);
	rc = nb_h_create(&nb, obj, revision, err, es);
	pthread_mutex_destroy(&nb.mu);
	return rc;
}

int nb_update(struct db *db, struct mdl_hdr *obj, uint64_t expected, uint64_t *revision,
	      char *err, size_t es)
{
	struct nb nb;
	int rc;

	if (!db)
		return nb_errf(err, es, -EINVAL, "invalid arguments");
	nb_init_plain(&nb, db);
	rc = nb_h_update(&nb, obj, expected, revision, err, es);
	pthread_mutex_destroy(&nb.mu);
	return rc;
}

int nb_delete(struct db *db, enum mdl_type type, const char *id, uint64_t expected,
	      char *err, size_t es)
{
	struct nb nb;
	int rc;

	if (!db)
		return nb_errf(err, es, -EINVAL, "invalid arguments");
	nb_init_plain(&nb, db);
	rc = nb_h_delete(&nb, type, id, expected, err, es);
	pthread_mutex_destroy(&nb.mu);
	return rc;
}

/* ---- router interfaces: port + router in one transaction ---- */

static int router_copy(struct nb *nb, const char *router_id, struct mdl_hdr **r,
		       uint64_t *mod, char *err, size_t es)
{
	int rc = nb_get(nb->db, MDL_ROUTER, router_id, r, mod);

	if (rc == -ENOENT || rc == -EINVAL)
		return nb_errf(err, es, rc == -EINVAL ? -EINVAL : -ENOENT,
			       "router %s does not exist", router_id);
	return rc;
}

static int add_iface_once(struct nb *nb, const char *router_id, struct mdl_hdr *port,
			  uint64_t *revision, char *err, size_t es)
{
	struct mdl_router_if *ifs;
	struct mdl_router *r;
	struct mdl_port *p;
	struct nb_op ops[2];
	struct mdl_hdr *rh;
	uint64_t mod;
	int rc;

	if (err && es)
		err[0] = '\0';
	if (!nb || !router_id || !port || port->type != MDL_PORT)
		return nb_errf(err, es, -EINVAL, "invalid arguments");
	p = mdl_hdr_to_port(port);
	if (p->n_fixed_ips < 1)
		return nb_errf(err, es, -EINVAL, "a router interface port needs a fixed IP");
	if (!port->id[0] && (rc = mdl_uuid_generate(port->id)))
		return rc;
	snprintf(p->device_owner, sizeof(p->device_owner), "network:router_interface");
	snprintf(p->device_id, sizeof(p->device_id), "%s", router_id);
	if ((rc = router_copy(nb, router_id, &rh, &mod, err, es)))
		return rc;
	r = mdl_hdr_to_router(rh);
	ifs = realloc(r->interfaces, (r->n_interfaces + 1) * sizeof(*ifs));
	if (!ifs) {
		mdl_obj_free(rh);
		return -ENOMEM;
	}
	r->interfaces = ifs;
	memset(&ifs[r->n_interfaces], 0, sizeof(*ifs));
	snprintf(ifs[r->n_interfaces].subnet_id, MDL_ID_SIZE, "%s", p->fixed_ips[0].subnet_id);
	snprintf(ifs[r->n_interfaces].port_id, MDL_ID_SIZE, "%s", port->id);
	snprintf(ifs[r->n_interfaces].ip_address, MDL_IP_SIZE, "%s",
		 p->fixed_ips[0].ip_address);
	r->n_interfaces++;
	ops[0] = (struct nb_op){ .kind = NB_OP_CREATE, .obj = port };
	ops[1] = (struct nb_op){ .kind = NB_OP_UPDATE, .obj = rh, .expected_mod_revision = mod };
	rc = nb_apply(nb, ops, 2, revision, err, es);
	mdl_obj_free(rh);
	return rc;
}

/* The router is updated on the revision it was read at; a concurrent
 * router change (-EAGAIN) re-reads it and tries again. */
int nb_add_router_interface(struct nb *nb, const char *router_id, struct mdl_hdr *port,
			    uint64_t *revision, char *err, size_t es)
{
	int rc = -EAGAIN, attempt;

	for (attempt = 0; attempt < 8 && rc == -EAGAIN; attempt++)
		rc = add_iface_once(nb, router_id, port, revision, err, es);
	return rc == -EAGAIN && !(err && err[0]) ?
	       nb_errf(err, es, rc, "router %s keeps changing; try again", router_id) : rc;
}

static int remove_iface_once(struct nb *nb, const char *router_id, const char *port_id,
			     uint64_t *revision, char *err, size_t es)
{
	struct mdl_router *r;
	struct nb_op ops[2];
	struct mdl_hdr *rh;
	size_t i;
	uint64_t mod;
	int rc;

	if (err && es)
		err[0] = '\0';
	if (!nb || !router_id || !port_id || strlen(port_id) >= MDL_ID_SIZE)
		return nb_errf(err, es, -EINVAL, "invalid arguments");
	if ((rc = router_copy(nb, router_id, &rh, &mod, err, es)))
		return rc;
	r = mdl_hdr_to_router(rh);
	for (i = 0; i < r->n_interfaces && strcmp(r->interfaces[i].port_id, port_id); i++)
		;
	if (i == r->n_interfaces) {
		mdl_obj_free(rh);
		return nb_errf(err, es, -ENOENT, "router %s has no interface on port %s",
			       router_id, port_id);
	}
	memmove(&r->interfaces[i], &r->interfaces[i + 1],
		(r->n_interfaces - i - 1) * sizeof(r->interfaces[0]));
	r->n_interfaces--;
	ops[0] = (struct nb_op){ .kind = NB_OP_UPDATE, .obj = rh, .expected_mod_revision = mod };
	ops[1] = (struct nb_op){ .kind = NB_OP_DELETE, .type = MDL_PORT };
	strcpy(ops[1].id, port_id);
	rc = nb_apply(nb, ops, 2, revision, err, es);
	mdl_obj_free(rh);
	return rc;
}

int nb_remove_router_interface(struct nb *nb, const char *router_id, const char *port_id,
			       uint64_t *revision, char *err, size_t es)
{
	int rc = -EAGAIN, attempt;

	for (attempt = 0; attempt < 8 && rc == -EAGAIN; attempt++)
		rc = remove_iface_once(nb, router_id, port_id, revision, err, es);
	return rc;
}

void nb_set_mac_generator(struct nb *nb, int (*gen)(void *arg, char *mac, size_t size),
			  void *arg)
{
	nb->mac_gen = gen;
	nb->mac_gen_arg = arg;
}

int nb_gen_mac(struct nb *nb, struct mdl_port *p)
{
	char u[MDL_ID_SIZE];
	int rc;

	if (nb->mac_gen)
		return nb->mac_gen(nb->mac_gen_arg, p->mac_address, MDL_MAC_SIZE);
	if ((rc = mdl_uuid_generate(u)))
		return rc;
	snprintf(p->mac_address, MDL_MAC_SIZE, "fa:16:3e:%.2s:%.2s:%.2s", u, u + 2, u + 4);
	return 0;
}
