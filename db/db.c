/* SPDX-License-Identifier: BSD-3-Clause
 * db/db.c — URL dispatch, argument checks, and the generic operations built
 * on the driver table: put/delete through txn when a driver has none, and
 * 32-bit key allocation as a compare-and-swap loop on a counter key. */
#include "db_provider.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_driver *const drivers[] = {
	&db_rocksdb_driver,
	&db_etcd_driver,
	&db_etcds_driver,
};

static bool key_ok(const char *key)
{
	return key && key[0] != '\0';
}

static __thread char last_error[512];

void db_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

const char *db_last_error(void)
{
	return last_error;
}

struct db *db_open_opts(const char *url, const struct db_opts *opts, char *err,
			size_t err_size)
{
	static const struct db_opts none;
	struct db *db = NULL;
	size_t i, n;

	last_error[0] = '\0';
	if (!url) {
		errno = EINVAL;
		db_set_error("no database URL");
		goto out;
	}
	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		n = strlen(drivers[i]->scheme);
		if (!strncmp(url, drivers[i]->scheme, n) && url[n] == ':') {
			db = drivers[i]->open(url, opts ? opts : &none);
			if (db) {
				db_lease_init(db);
				db->page_keys = opts && opts->scan_page_keys ? opts->scan_page_keys
									     : DB_ETCD_PAGE_KEYS;
			}
			goto out;
		}
	}
	errno = EINVAL;
	db_set_error("unknown database URL scheme (rocksdb:PATH, etcd://HOST:PORT[,...] "
		     "or etcds://HOST:PORT[,...])");
out:
	if (!db && err && err_size) {
		int saved = errno;

		snprintf(err, err_size, "%s", last_error[0] ? last_error : strerror(saved));
		errno = saved;
	}
	return db;
}

struct db *db_open(const char *url)
{
	return db_open_opts(url, NULL, NULL, 0);
}

void db_opts_from_env(struct db_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ca_file = getenv("WYVERN_DB_CA");
	o->cert_file = getenv("WYVERN_DB_CERT");
	o->key_file = getenv("WYVERN_DB_KEY");
	o->user = getenv("WYVERN_DB_USER");
	o->password_file = getenv("WYVERN_DB_PASSWORD_FILE");
}

void db_close(struct db *db)
{
	if (db) {
		db_lease_fini(db);
		db->drv->close(db);
	}
}

int db_get(struct db *db, const char *key, struct db_kv *out)
{
	if (!db || !key_ok(key) || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	return db->drv->get(db, key, out);
}

int db_put(struct db *db, const char *key, const void *value, size_t len,
	   uint64_t *revision)
{
	struct db_op op = { DB_OP_PUT, key, value, len };
	uint64_t rev;
	bool ok;
	int rc;

	if (!db || !key_ok(key) || (!value && len))
		return -EINVAL;
	if (db->drv->put)
		return db->drv->put(db, key, value ? value : "", len, revision);
	rc = db->drv->txn(db, NULL, 0, &op, 1, &ok, &rev);
	if (!rc && revision)
		*revision = rev;
	return rc;
}

int db_delete(struct db *db, const char *key, uint64_t *revision)
{
	struct db_cmp cmp = { key, DB_CMP_GREATER, 0 };
	struct db_op op = { DB_OP_DELETE, key, NULL, 0 };
	uint64_t rev;
	bool ok;
	int rc;

	if (!db || !key_ok(key))
		return -EINVAL;
	if (db->drv->del)
		return db->drv->del(db, key, revision);
	rc = db->drv->txn(db, &cmp, 1, &op, 1, &ok, &rev);
	if (rc)
		return rc;
	if (!ok)
		return -ENOENT;
	if (revision)
		*revision = rev;
	return 0;
}

int db_scan(struct db *db, const char *prefix, struct db_kv_list *out)
{
	if (!db || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	return db->drv->scan(db, prefix ? prefix : "", out);
}

int db_scan_each(struct db *db, const char *prefix,
		 int (*cb)(const struct db_kv *kv, void *arg), void *arg, uint64_t *revision)
{
	if (!db || !cb)
		return -EINVAL;
	if (db->drv->scan_each)
		return db->drv->scan_each(db, prefix ? prefix : "", cb, arg, revision);
	struct db_kv_list l;
	int rc = db_scan(db, prefix, &l);
	if (rc)
		return rc;
	if (revision)
		*revision = l.revision;
	for (size_t i = 0; i < l.n && rc == 0; i++)
		rc = cb(&l.kvs[i], arg);
	db_kv_list_clear(&l);
	return rc;
}

/* db_scan_pages over scan_each: pairs copied into pages of
 * db_opts.scan_page_keys, each handed over when full */
struct pager {
	struct db_kv_list l;
	size_t cap, page_keys;
	bool start;
	int (*page)(struct db_kv_list *l, bool start, void *arg);
	void *arg;
};

static int pager_flush(struct pager *p)
{
	int rc = p->page(&p->l, p->start, p->arg);

	p->start = false;
	for (size_t i = 0; i < p->l.n; i++)
		db_kv_clear(&p->l.kvs[i]);
	p->l.n = 0;
	return rc;
}

static int pager_add(const struct db_kv *kv, void *arg)
{
	struct pager *p = arg;

	if (p->l.n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 256;
		struct db_kv *nk = realloc(p->l.kvs, nc * sizeof(*nk));

		if (!nk)
			return -ENOMEM;
		p->l.kvs = nk;
		p->cap = nc;
	}
	struct db_kv *o = &p->l.kvs[p->l.n];
	*o = *kv;
	o->key = strdup(kv->key);
	o->value = malloc(kv->value_len + 1);
	if (!o->key || !o->value) {
		db_kv_clear(o);
		return -ENOMEM;
	}
	memcpy(o->value, kv->value, kv->value_len);
	((char *)o->value)[kv->value_len] = '\0';
	p->l.n++;
	return p->l.n >= p->page_keys ? pager_flush(p) : 0;
}

int db_scan_pages(struct db *db, const char *prefix,
		  int (*page)(struct db_kv_list *l, bool start, void *arg), void *arg,
		  uint64_t *revision)
{
	if (!db || !page)
		return -EINVAL;
	if (db->drv->scan_pages)
		return db->drv->scan_pages(db, prefix ? prefix : "", page, arg, revision);
	struct pager p = { .start = true, .page = page, .arg = arg,
			   .page_keys = db->page_keys ? db->page_keys : DB_ETCD_PAGE_KEYS };
	uint64_t rev = 0;
	int rc = db_scan_each(db, prefix, pager_add, &p, &rev);
	if (rc == 0 && (p.l.n || p.start))
		rc = pager_flush(&p);   /* the last page, or the only, empty one */
	for (size_t i = 0; i < p.l.n; i++)
		db_kv_clear(&p.l.kvs[i]);
	free(p.l.kvs);
	if (rc == 0 && revision)
		*revision = rev;
	return rc;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool dup_pairwise(const struct db_op *ops, size_t n_ops)
{
	for (size_t i = 0; i < n_ops; i++)
		for (size_t j = i + 1; j < n_ops; j++)
			if (!strcmp(ops[i].key, ops[j].key))
				return true;
	return false;
}

/* Sort the keys and compare neighbours: O(n log n).  Pairwise comparison
 * cost minutes for the controller's first replica snapshot (one
 * transaction of ~100k operations). */
bool db_ops_have_duplicates(const struct db_op *ops, size_t n_ops)
{
	if (n_ops <= 8)
		return dup_pairwise(ops, n_ops);
	const char **keys = malloc(n_ops * sizeof(*keys));
	if (keys == NULL)
		return dup_pairwise(ops, n_ops);
	for (size_t i = 0; i < n_ops; i++)
		keys[i] = ops[i].key;
	qsort(keys, n_ops, sizeof(*keys), key_cmp);
	bool dup = false;
	for (size_t i = 1; i < n_ops && !dup; i++)
		dup = strcmp(keys[i - 1], keys[i]) == 0;
	free(keys);
	return dup;
}

int db_txn(struct db *db, const struct db_cmp *cmps, size_t n_cmps,
	   const struct db_op *ops, size_t n_ops, bool *succeeded, uint64_t *revision)
{
	bool ok_dummy;
	uint64_t rev_dummy;
	size_t i;

	if (!db || (n_cmps && !cmps) || (n_ops && !ops))
		return -EINVAL;
	for (i = 0; i < n_cmps; i++)
		if (!key_ok(cmps[i].key) || (unsigned)cmps[i].result > DB_CMP_LESS)
			return -EINVAL;
	for (i = 0; i < n_ops; i++)
		if (!key_ok(ops[i].key) || (unsigned)ops[i].type > DB_OP_DELETE ||
		    (ops[i].type == DB_OP_PUT && !ops[i].value && ops[i].value_len))
			return -EINVAL;
	if (db_ops_have_duplicates(ops, n_ops))
		return -EINVAL;
	return db->drv->txn(db, cmps, n_cmps, ops, n_ops,
			    succeeded ? succeeded : &ok_dummy,
			    revision ? revision : &rev_dummy);
}

int db_revision(struct db *db, uint64_t *revision)
{
	if (!db || !revision)
		return -EINVAL;
	return db->drv->revision(db, revision);
}

int db_compact(struct db *db, uint64_t revision)
{
	if (!db || !revision)
		return -EINVAL;
	return db->drv->compact(db, revision);
}

int db_mem(struct db *db, struct db_mem *out)
{
	if (!db || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	return db->drv->mem ? db->drv->mem(db, out) : -ENOTSUP;
}

int db_flush(struct db *db)
{
	if (!db)
		return -EINVAL;
	return db->drv->flush ? db->drv->flush(db) : 0;
}

int db_alloc_counter_key(const char *ns, char *buf, size_t size)
{
	return snprintf(buf, size, "/wyvern/v1/_alloc/%s", ns);
}

int db_alloc_key(struct db *db, const char *ns, uint32_t *key)
{
	char ckey[256], val[32];
	int attempt, rc;

	if (!db || !ns || !*ns || !key || strchr(ns, '/'))
		return -EINVAL;
	if (db_alloc_counter_key(ns, ckey, sizeof(ckey)) >= (int)sizeof(ckey))
		return -EINVAL;
	for (attempt = 0; attempt < 1000; attempt++) {
		struct db_kv kv;
		uint64_t cur = 0, seen = 0, rev;
		struct db_cmp cmp;
		struct db_op op;
		bool ok;

		rc = db_get(db, ckey, &kv);
		if (rc && rc != -ENOENT)
			return rc;
		if (!rc) {
			char *end;

			cur = strtoull(kv.value, &end, 10);
			seen = kv.mod_revision;
			rc = (*end || !kv.value_len) ? -EIO : 0;
			db_kv_clear(&kv);
			if (rc)
				return rc;
		}
		if (cur >= UINT32_MAX)
			return -ENOSPC;
		snprintf(val, sizeof(val), "%" PRIu64, cur + 1);
		cmp = (struct db_cmp){ ckey, DB_CMP_EQUAL, seen };
		op = (struct db_op){ DB_OP_PUT, ckey, val, strlen(val) };
		rc = db->drv->txn(db, &cmp, 1, &op, 1, &ok, &rev);
		if (rc)
			return rc;
		if (ok) {
			*key = (uint32_t)(cur + 1);
			return 0;
		}
		sched_yield();
	}
	return -EAGAIN;
}

struct db_watch *db_watch(struct db *db, const char *prefix, uint64_t from_revision,
			  void (*cb)(const struct db_event *ev, void *arg), void *arg)
{
	if (!db || !cb) {
		errno = EINVAL;
		return NULL;
	}
	return db->drv->watch(db, prefix ? prefix : "", from_revision, cb, arg);
}

void db_watch_cancel(struct db_watch *w)
{
	if (w)
		w->db->drv->watch_cancel(w);
}

void db_kv_clear(struct db_kv *kv)
{
	if (!kv)
		return;
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void db_kv_list_clear(struct db_kv_list *list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < list->n; i++)
		db_kv_clear(&list->kvs[i]);
	free(list->kvs);
	memset(list, 0, sizeof(*list));
}

bool db_cmp_holds(enum db_cmp_result r, uint64_t have, uint64_t want)
{
	switch (r) {
	case DB_CMP_EQUAL:
		return have == want;
	case DB_CMP_NOT_EQUAL:
		return have != want;
	case DB_CMP_GREATER:
		return have > want;
	case DB_CMP_LESS:
		return have < want;
	}
	return false;
}

void *db_memdup0(const void *p, size_t len)
{
	char *q = malloc(len + 1);

	if (!q)
		return NULL;
	if (len)
		memcpy(q, p, len);
	q[len] = '\0';
	return q;
}
