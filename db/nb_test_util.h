/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb_test_util.h — northbound tests: helpers shared by nb_txn_test.c and
 * nb_index_test.c — object decoding, a whole-store consistency check
 * (claims <-> objects, back-references <-> references, CIDR sets), and a
 * wrapping db provider that injects unknown outcomes around a real driver.
 * Test-only; header-only (static functions). */
#ifndef WYV_DB_NB_TEST_UTIL_H
#define WYV_DB_NB_TEST_UTIL_H

#include "nb_priv.h"
#include "db_provider.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline struct mdl_hdr *t_obj(enum mdl_type t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline struct mdl_hdr *t_obj(enum mdl_type t, const char *fmt, ...)
{
	char json[2048], err[MDL_ERR_SIZE];
	struct mdl_hdr *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(json, sizeof(json), fmt, ap);
	va_end(ap);
	o = mdl_obj_from_string(t, json, err, sizeof(err));
	if (!o)
		printf("\n decode: %s\n", err);
	return o;
}

static int t_kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct db_kv *)a)->key, ((const struct db_kv *)b)->key);
}

static const struct db_kv *t_kv_find(const struct db_kv_list *l, const char *key)
{
	struct db_kv k = { .key = (char *)key };

	return bsearch(&k, l->kvs, l->n, sizeof(k), t_kv_cmp);
}

static const char *t_type_of_key(const char *key, char *tbuf, size_t size)
{
	const char *t = key + strlen(NB_PREFIX), *s = strchr(t, '/');

	snprintf(tbuf, size, "%.*s", s ? (int)(s - t) : 0, t);
	return s ? s + 1 : NULL;
}

/* Number of inconsistencies in the whole store (printed).  Every object's
 * claims and back-references exist; every claim and back-reference has its
 * object; every subnet is in its network's CIDR set and vice versa. */
static int t_check_consistent(struct db *db)
{
	char key[NB_KEY_SIZE], tbuf[64], owner[128];
	struct db_kv_list l;
	size_t i, j, n;
	int bad = 0;

	if (db_scan(db, NB_PREFIX, &l))
		return 1000;
	for (i = 0; i < l.n; i++) {
		const char *k = l.kvs[i].key, *id = t_type_of_key(k, tbuf, sizeof(tbuf));
		int type = tbuf[0] != '_' ? mdl_type_from_name(tbuf) : -1;
		struct mdl_hdr *o;
		struct nb_claim *c;
		struct nb_ref *r;

		if (!strncmp(k, NB_PREFIX "_uniq/cidrs/", strlen(NB_PREFIX "_uniq/cidrs/")) ||
		    !strncmp(k, NB_PREFIX "_uniq/poolcidrs/",
			     strlen(NB_PREFIX "_uniq/poolcidrs/"))) {     /* network / pool */
			const char *p = l.kvs[i].value, *net = strrchr(k, '/') + 1;
			char sid[MDL_ID_SIZE], cidr[MDL_CIDR_SIZE];

			for (; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
				const struct db_kv *s;

				sscanf(p, "%36s %63s", sid, cidr);
				nb_key(MDL_SUBNET, sid, key, sizeof(key));
				s = t_kv_find(&l, key);
				if (!s || !strstr(s->value, net) || !strstr(s->value, cidr)) {
					printf("\n cidr set %s: %s %s has no subnet", net, sid, cidr);
					bad++;
				}
			}
			continue;
		}
		if (!strncmp(k, NB_PREFIX "_uniq/", strlen(NB_PREFIX "_uniq/"))) {
			const char *oid = strchr(l.kvs[i].value, '/');
			char ot[32];

			snprintf(ot, sizeof(ot), "%.*s", oid ? (int)(oid - (char *)l.kvs[i].value) : 0,
				 (char *)l.kvs[i].value);
			if (!oid || mdl_type_from_name(ot) < 0 ||
			    nb_key(mdl_type_from_name(ot), oid + 1, key, sizeof(key)) < 0 ||
			    !t_kv_find(&l, key)) {
				printf("\n claim %s -> %s: no object", k, (char *)l.kvs[i].value);
				bad++;
				continue;
			}
			o = mdl_obj_from_string(mdl_type_from_name(ot), t_kv_find(&l, key)->value,
						NULL, 0);
			if (!o || nb_obj_claims(o, &c, &n)) {
				bad++;
				mdl_obj_free(o);
				continue;
			}
			for (j = 0; j < n && strcmp(c[j].key, k); j++)
				;
			if (j == n) {
				printf("\n claim %s: owner %s does not hold it", k, oid + 1);
				bad++;
			}
			free(c);
			mdl_obj_free(o);
			continue;
		}
		if (!strncmp(k, NB_PREFIX "_ref/", strlen(NB_PREFIX "_ref/"))) {
			char x[MDL_ID_SIZE], rt[32], rid[MDL_ID_SIZE];
			const char *rest = k + strlen(NB_PREFIX "_ref/");

			if (strlen(rest) == MDL_ID_SIZE - 1)
				continue;       /* guard */
			if (sscanf(rest, "%36[^/]/%31[^/]/%36s", x, rt, rid) != 3 ||
			    mdl_type_from_name(rt) < 0 ||
			    nb_key(mdl_type_from_name(rt), rid, key, sizeof(key)) < 0 ||
			    !t_kv_find(&l, key)) {
				printf("\n ref %s: no referrer", k);
				bad++;
				continue;
			}
			o = mdl_obj_from_string(mdl_type_from_name(rt), t_kv_find(&l, key)->value,
						NULL, 0);
			if (!o || nb_obj_refs(o, &r, &n)) {
				bad++;
				mdl_obj_free(o);
				continue;
			}
			for (j = 0; j < n && strcmp(r[j].id, x); j++)
				;
			if (j == n || nb_key(r[j].type, x, key, sizeof(key)) < 0 ||
			    !t_kv_find(&l, key)) {
				printf("\n ref %s: not referenced or target gone", k);
				bad++;
			}
			free(r);
			mdl_obj_free(o);
			continue;
		}
		if (type < 0 || type == MDL_CHASSIS || !id)
			continue;
		o = mdl_obj_from_string(type, l.kvs[i].value, NULL, 0);
		if (!o) {
			bad++;
			continue;
		}
		nb_owner(o, owner, sizeof(owner));
		if (!nb_obj_claims(o, &c, &n)) {
			for (j = 0; j < n; j++) {
				const struct db_kv *ck = t_kv_find(&l, c[j].key);

				if (!ck || strcmp(ck->value, owner)) {
					printf("\n %s: claim %s missing", owner, c[j].key);
					bad++;
				}
			}
			free(c);
		}
		if (!nb_obj_refs(o, &r, &n)) {
			for (j = 0; j < n; j++) {
				nb_ref_key(r[j].id, o->type, o->id, key, sizeof(key));
				if (!t_kv_find(&l, key)) {
					printf("\n %s: back-reference %s missing", owner, key);
					bad++;
				}
			}
			free(r);
		}
		if (type == MDL_SUBNET) {
			const struct db_kv *s;
			char line[160];

			nb_cidrs_key(mdl_hdr_to_subnet(o)->network_id, key, sizeof(key));
			s = t_kv_find(&l, key);
			snprintf(line, sizeof(line), "%s %s\n", o->id, mdl_hdr_to_subnet(o)->cidr);
			if (!s || !strstr(s->value, line)) {
				printf("\n %s: not in the CIDR set", owner);
				bad++;
			}
		}
		mdl_obj_free(o);
	}
	db_kv_list_clear(&l);
	return bad;
}

/* ---- a db that injects unknown outcomes around a real driver ---- */

enum t_inject {
	T_INJ_NONE,
	T_INJ_COMMIT_TIMEOUT,   /* apply, then answer -ETIMEDOUT */
	T_INJ_COMMIT_REPLAY,    /* apply, then apply again and answer that (an
				 * etcd-driver retry: compares now fail) */
	T_INJ_LOST_TIMEOUT,     /* do not apply, answer -ETIMEDOUT */
};

struct t_wrap {
	struct db up;
	struct db *inner;
	_Atomic int mode;       /* enum t_inject, for the next txn */
	_Atomic int count;      /* txns that may still be injected */
	_Atomic int injected;
};

static struct t_wrap *t_wrap_of(struct db *db)
{
	return (struct t_wrap *)db;
}

static int tw_get(struct db *db, const char *key, struct db_kv *out)
{
	return db_get(t_wrap_of(db)->inner, key, out);
}

static int tw_scan(struct db *db, const char *prefix, struct db_kv_list *out)
{
	return db_scan(t_wrap_of(db)->inner, prefix, out);
}

static int tw_txn(struct db *db, const struct db_cmp *cmps, size_t n_cmps,
		  const struct db_op *ops, size_t n_ops, bool *ok, uint64_t *rev)
{
	struct t_wrap *w = t_wrap_of(db);
	int mode = w->mode, rc;

	if (mode == T_INJ_NONE || atomic_fetch_sub(&w->count, 1) <= 0)
		return db_txn(w->inner, cmps, n_cmps, ops, n_ops, ok, rev);
	w->injected++;
	if (mode == T_INJ_LOST_TIMEOUT)
		return -ETIMEDOUT;
	rc = db_txn(w->inner, cmps, n_cmps, ops, n_ops, ok, rev);
	if (rc)
		return rc;
	if (mode == T_INJ_COMMIT_TIMEOUT)
		return -ETIMEDOUT;
	return db_txn(w->inner, cmps, n_cmps, ops, n_ops, ok, rev);
}

static int tw_revision(struct db *db, uint64_t *rev)
{
	return db_revision(t_wrap_of(db)->inner, rev);
}

static int tw_compact(struct db *db, uint64_t rev)
{
	return db_compact(t_wrap_of(db)->inner, rev);
}

static struct db_watch *tw_watch(struct db *db, const char *prefix, uint64_t from,
				 void (*cb)(const struct db_event *, void *), void *arg)
{
	return db_watch(t_wrap_of(db)->inner, prefix, from, cb, arg);
}

static void tw_close(struct db *db)
{
	free(db);
}

static const struct db_driver t_wrap_driver = {
	.scheme = "test-wrap",
	.close = tw_close,
	.get = tw_get,
	.scan = tw_scan,
	.txn = tw_txn,
	.revision = tw_revision,
	.compact = tw_compact,
	.watch = tw_watch,
	/* watches belong to the inner driver: db_watch_cancel finds it */
};

static inline struct t_wrap *t_wrap_open(struct db *inner)
{
	struct t_wrap *w = calloc(1, sizeof(*w));

	if (w) {
		w->up.drv = &t_wrap_driver;
		w->inner = inner;
	}
	return w;
}

#endif
