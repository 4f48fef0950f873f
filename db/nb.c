/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb.c — northbound adapter (see nb.h): validation through a db-backed
 * lookup, then one transaction per write.  Reference checks on delete scan
 * the referencing types, like the cross-object validation does. */
#include "nb.h"
#include "mdl_addr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB_DP_NS "dp_key"

static int errf(char *err, size_t es, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int errf(char *err, size_t es, int rc, const char *fmt, ...)
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
	return snprintf(buf, size, "/wyvern/v1/%s/%s", t, id);
}

static struct mdl_hdr *decode_kv(enum mdl_type type, const struct db_kv *kv)
{
	return mdl_obj_from_string(type, kv->value, NULL, 0);
}

int nb_get(struct db *db, enum mdl_type type, const char *id, struct mdl_hdr **out,
	   uint64_t *mod_revision)
{
	char key[128];
	struct db_kv kv;
	int rc;

	*out = NULL;
	if (!mdl_uuid_valid(id) || nb_key(type, id, key, sizeof(key)) < 0)
		return -EINVAL;
	rc = db_get(db, key, &kv);
	if (rc)
		return rc;
	*out = decode_kv(type, &kv);
	rc = *out ? 0 : -EIO;
	if (!rc && mod_revision)
		*mod_revision = kv.mod_revision;
	db_kv_clear(&kv);
	return rc;
}

/* ---- lookup over the db for mdl_validate_against ---- */

static struct mdl_hdr *lk_get(void *ctx, enum mdl_type type, const char *id)
{
	struct mdl_hdr *o;
	int rc = nb_get(ctx, type, id, &o, NULL);

	if (rc) {
		errno = rc == -EINVAL ? ENOENT : -rc;
		return NULL;
	}
	return o;
}

static int lk_foreach(void *ctx, enum mdl_type type,
		      int (*fn)(const struct mdl_hdr *, void *), void *arg)
{
	struct mdl_hdr **objs;
	size_t n, i;
	int rc;

	rc = nb_list(ctx, type, &objs, &n);
	if (rc)
		return rc;
	for (i = 0; i < n && !rc; i++)
		rc = fn(objs[i], arg);
	nb_list_free(objs, n);
	return rc;
}

int nb_list(struct db *db, enum mdl_type type, struct mdl_hdr ***objs, size_t *n)
{
	struct db_kv_list l;
	char prefix[64];
	size_t i;
	int rc;

	*objs = NULL;
	*n = 0;
	if (nb_key(type, "", prefix, sizeof(prefix)) < 0)
		return -EINVAL;
	rc = db_scan(db, prefix, &l);
	if (rc)
		return rc;
	*objs = calloc(l.n + 1, sizeof(**objs));
	if (!*objs) {
		db_kv_list_clear(&l);
		return -ENOMEM;
	}
	for (i = 0; i < l.n; i++) {
		struct mdl_hdr *o = decode_kv(type, &l.kvs[i]);

		if (o)
			(*objs)[(*n)++] = o;    /* undecodable entries are skipped */
	}
	db_kv_list_clear(&l);
	return 0;
}

void nb_list_free(struct mdl_hdr **objs, size_t n)
{
	size_t i;

	for (i = 0; objs && i < n; i++)
		mdl_obj_free(objs[i]);
	free(objs);
}

static int validate(struct db *db, const struct mdl_hdr *obj, char *err, size_t es)
{
	struct mdl_lookup lk = { lk_get, lk_foreach, db };
	int rc = mdl_obj_validate(obj, err, es);

	return rc ? rc : mdl_validate_against(obj, &lk, err, es);
}

static int random_mac(char *out, size_t size)
{
	char u[MDL_ID_SIZE];
	int rc = mdl_uuid_generate(u);

	if (rc)
		return rc;
	/* hex digits 0-5 of a random UUID; 0x16/0x3e prefix as Neutron's base MAC */
	snprintf(out, size, "fa:16:3e:%.2s:%.2s:%.2s", u, u + 2, u + 4);
	return 0;
}

int nb_create(struct db *db, struct mdl_hdr *obj, uint64_t *revision,
	      char *err, size_t es)
{
	char key[128], ckey[128], val[32];
	int attempt, rc;

	if (err && es)
		err[0] = '\0';
	if (!db || !obj || !mdl_type_name(obj->type))
		return errf(err, es, -EINVAL, "invalid arguments");
	if (!obj->id[0] && (rc = mdl_uuid_generate(obj->id)))
		return rc;
	if (obj->type == MDL_PORT && !mdl_hdr_to_port(obj)->mac_address[0] &&
	    (rc = random_mac(mdl_hdr_to_port(obj)->mac_address, MDL_MAC_SIZE)))
		return rc;
	obj->version = 1;
	rc = validate(db, obj, err, es);
	if (rc)
		return rc;
	nb_key(obj->type, obj->id, key, sizeof(key));
	db_alloc_counter_key(NB_DP_NS, ckey, sizeof(ckey));
	for (attempt = 0; attempt < 1000; attempt++) {
		uint64_t cur = 0, seen = 0, rev;
		struct db_cmp cmps[2];
		struct db_op ops[2];
		struct db_kv kv;
		char *json;
		bool ok;

		rc = db_get(db, ckey, &kv);
		if (rc && rc != -ENOENT)
			return rc;
		if (!rc) {
			cur = strtoull(kv.value, NULL, 10);
			seen = kv.mod_revision;
			db_kv_clear(&kv);
		}
		if (cur >= UINT32_MAX)
			return errf(err, es, -ENOSPC, "dp_key space exhausted");
		obj->dp_key = (uint32_t)(cur + 1);
		snprintf(val, sizeof(val), "%u", obj->dp_key);
		json = mdl_obj_to_string(obj);
		if (!json)
			return -ENOMEM;
		cmps[0] = (struct db_cmp){ ckey, DB_CMP_EQUAL, seen };
		cmps[1] = (struct db_cmp){ key, DB_CMP_EQUAL, 0 };
		ops[0] = (struct db_op){ DB_OP_PUT, ckey, val, strlen(val) };
		ops[1] = (struct db_op){ DB_OP_PUT, key, json, strlen(json) };
		rc = db_txn(db, cmps, 2, ops, 2, &ok, &rev);
		free(json);
		if (rc)
			return rc;
		if (ok) {
			if (revision)
				*revision = rev;
			return 0;
		}
		rc = db_get(db, key, &kv);
		if (!rc) {
			db_kv_clear(&kv);
			obj->dp_key = 0;
			return errf(err, es, -EEXIST, "%s %s already exists",
				    mdl_type_name(obj->type), obj->id);
		}
	}
	obj->dp_key = 0;
	return -EAGAIN;
}

int nb_update(struct db *db, struct mdl_hdr *obj, uint64_t expected, uint64_t *revision,
	      char *err, size_t es)
{
	struct mdl_hdr *old;
	uint64_t mod, rev;
	struct db_cmp cmp;
	struct db_op op;
	char key[128], *json;
	bool ok;
	int rc;

	if (err && es)
		err[0] = '\0';
	if (!db || !obj || !mdl_type_name(obj->type))
		return errf(err, es, -EINVAL, "invalid arguments");
	rc = nb_get(db, obj->type, obj->id, &old, &mod);
	if (rc == -EINVAL)
		return errf(err, es, rc, "id: '%s' is not a valid UUID", obj->id);
	if (rc)
		return rc;
	obj->dp_key = old->dp_key;              /* immutable */
	obj->version = old->version + 1;
	mdl_obj_free(old);
	if (expected && expected != mod)
		return -EAGAIN;
	rc = validate(db, obj, err, es);
	if (rc)
		return rc;
	json = mdl_obj_to_string(obj);
	if (!json)
		return -ENOMEM;
	nb_key(obj->type, obj->id, key, sizeof(key));
	cmp = (struct db_cmp){ key, DB_CMP_EQUAL, mod };
	op = (struct db_op){ DB_OP_PUT, key, json, strlen(json) };
	rc = db_txn(db, &cmp, 1, &op, 1, &ok, &rev);
	free(json);
	if (rc)
		return rc;
	if (!ok)
		return -EAGAIN;
	if (revision)
		*revision = rev;
	return 0;
}

struct ref_ctx {
	enum mdl_type type;
	const char *id;
	char *err;
	size_t es;
};

static int busy(struct ref_ctx *c, const struct mdl_hdr *by)
{
	return errf(c->err, c->es, -EBUSY, "%s %s is in use by %s %s",
		    mdl_type_name(c->type), c->id, mdl_type_name(by->type), by->id);
}

static int ref_cb(const struct mdl_hdr *o, void *arg)
{
	struct ref_ctx *c = arg;
	size_t i;

	switch (o->type) {
	case MDL_SUBNET: {
		const struct mdl_subnet *s = (const struct mdl_subnet *)o;

		return !strcmp(s->network_id, c->id) ? busy(c, o) : 0;
	}
	case MDL_PORT: {
		const struct mdl_port *p = (const struct mdl_port *)o;

		if (!strcmp(p->network_id, c->id))
			return busy(c, o);
		for (i = 0; i < p->n_fixed_ips; i++)
			if (!strcmp(p->fixed_ips[i].subnet_id, c->id))
				return busy(c, o);
		for (i = 0; i < p->n_security_groups; i++)
			if (!strcmp(p->security_groups[i], c->id))
				return busy(c, o);
		return 0;
	}
	case MDL_ROUTER: {
		const struct mdl_router *r = (const struct mdl_router *)o;

		for (i = 0; i < r->n_interfaces; i++)
			if (!strcmp(r->interfaces[i].subnet_id, c->id) ||
			    !strcmp(r->interfaces[i].port_id, c->id))
				return busy(c, o);
		if (r->has_gateway && !strcmp(r->gateway.network_id, c->id))
			return busy(c, o);
		return 0;
	}
	case MDL_FLOATING_IP: {
		const struct mdl_floating_ip *f = (const struct mdl_floating_ip *)o;

		if (!strcmp(f->floating_network_id, c->id) || !strcmp(f->port_id, c->id) ||
		    !strcmp(f->router_id, c->id))
			return busy(c, o);
		return 0;
	}
	case MDL_SECURITY_GROUP: {
		const struct mdl_security_group *g = (const struct mdl_security_group *)o;

		if (!strcmp(o->id, c->id))
			return 0;
		for (i = 0; i < g->n_rules; i++)
			if (!strcmp(g->rules[i].remote_group_id, c->id))
				return busy(c, o);
		return 0;
	}
	default:
		return 0;
	}
}

int nb_delete(struct db *db, enum mdl_type type, const char *id, uint64_t expected,
	      char *err, size_t es)
{
	static const enum mdl_type referrers[] = { MDL_SUBNET, MDL_PORT, MDL_ROUTER,
						   MDL_FLOATING_IP, MDL_SECURITY_GROUP };
	struct ref_ctx c = { type, id, err, es };
	struct db_cmp cmp;
	struct db_op op;
	struct db_kv kv;
	char key[128];
	uint64_t rev;
	size_t i;
	bool ok;
	int rc;

	if (err && es)
		err[0] = '\0';
	if (!db || !mdl_uuid_valid(id) || nb_key(type, id, key, sizeof(key)) < 0)
		return errf(err, es, -EINVAL, "invalid arguments");
	for (i = 0; i < sizeof(referrers) / sizeof(referrers[0]); i++) {
		rc = lk_foreach(db, referrers[i], ref_cb, &c);
		if (rc)
			return rc;
	}
	cmp = expected ? (struct db_cmp){ key, DB_CMP_EQUAL, expected } :
			 (struct db_cmp){ key, DB_CMP_GREATER, 0 };
	op = (struct db_op){ DB_OP_DELETE, key, NULL, 0 };
	rc = db_txn(db, &cmp, 1, &op, 1, &ok, &rev);
	if (rc || ok)
		return rc;
	rc = db_get(db, key, &kv);
	if (rc)
		return rc == -ENOENT ? -ENOENT : rc;
	db_kv_clear(&kv);
	return -EAGAIN;
}
