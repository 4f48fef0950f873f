/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_rocksdb.c — RocksDB driver — key/value, revisions, transactions.
 *
 * Every write is one RocksDB WriteBatch holding the changed user keys (value
 * prefixed by a 16-byte header: mod_revision, create_revision), one change
 * log record per changed key under "\0log/<be64 rev><be32 seq>", and the new
 * global revision under "\0rev".  The batch is atomic, so the data, the log
 * and the counter never disagree, also after a crash.  Writers are
 * serialised by one mutex (single process); readers use snapshots.  Watches
 * live in db_rocksdb_watch.c. */
#include "db_rocksdb_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct rdb *to_rdb(struct db *db)
{
	return (struct rdb *)db;
}

int rdb_raw_get(struct rdb *r, const rocksdb_readoptions_t *ro, const char *key,
		size_t klen, char **val, size_t *vlen)
{
	char *err = NULL;

	*val = rocksdb_get(r->db, ro, key, klen, vlen, &err);
	if (err) {
		free(err);
		return -EIO;
	}
	return *val ? 0 : -ENOENT;
}

int rdb_read_u64(struct rdb *r, const rocksdb_readoptions_t *ro, const char *key,
		 size_t klen, uint64_t *out)
{
	size_t vlen;
	char *v;
	int rc;

	*out = 0;
	rc = rdb_raw_get(r, ro, key, klen, &v, &vlen);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	if (vlen == 8)
		*out = rdb_get_be64((const uint8_t *)v);
	else
		rc = -EIO;
	free(v);
	return rc;
}

/* mod_revision and create_revision of a user key; 0/0 if absent. */
static int key_meta(struct rdb *r, const char *key, uint64_t *mod, uint64_t *create)
{
	size_t vlen;
	char *v;
	int rc;

	*mod = *create = 0;
	rc = rdb_raw_get(r, r->ropts, key, strlen(key), &v, &vlen);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	if (vlen < RDB_HDR_LEN) {
		free(v);
		return -EIO;
	}
	*mod = rdb_get_be64((const uint8_t *)v);
	*create = rdb_get_be64((const uint8_t *)v + 8);
	free(v);
	return 0;
}

static int kv_from_raw(const char *key, size_t klen, const char *v, size_t vlen,
		       struct db_kv *out)
{
	if (vlen < RDB_HDR_LEN)
		return -EIO;
	out->key = db_memdup0(key, klen);
	out->value = db_memdup0(v + RDB_HDR_LEN, vlen - RDB_HDR_LEN);
	if (!out->key || !out->value) {
		db_kv_clear(out);
		return -ENOMEM;
	}
	out->value_len = vlen - RDB_HDR_LEN;
	out->mod_revision = rdb_get_be64((const uint8_t *)v);
	out->create_revision = rdb_get_be64((const uint8_t *)v + 8);
	return 0;
}

static int rdb_get(struct db *db, const char *key, struct db_kv *out)
{
	struct rdb *r = to_rdb(db);
	size_t vlen;
	char *v;
	int rc;

	rc = rdb_raw_get(r, r->ropts, key, strlen(key), &v, &vlen);
	if (rc)
		return rc;
	rc = kv_from_raw(key, strlen(key), v, vlen, out);
	free(v);
	return rc;
}

/* Every pair under prefix from one snapshot, in key order: fn gets the raw
 * key and stored value (header included); a non-zero return ends the walk. */
static int rdb_iterate(struct rdb *r, const char *prefix, uint64_t *revision,
		       int (*fn)(const char *k, size_t klen, const char *v, size_t vlen, void *a),
		       void *arg)
{
	const rocksdb_snapshot_t *snap = rocksdb_create_snapshot(r->db);
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	size_t plen = strlen(prefix);
	rocksdb_iterator_t *it = NULL;
	uint64_t rev = 0;
	int rc;

	rocksdb_readoptions_set_snapshot(ro, snap);
	rc = rdb_read_u64(r, ro, RDB_REV_KEY, RDB_REV_KEY_LEN, &rev);
	if (rc)
		goto out;
	if (revision)
		*revision = rev;
	it = rocksdb_create_iterator(r->db, ro);
	if (plen)
		rocksdb_iter_seek(it, prefix, plen);
	else
		rocksdb_iter_seek(it, "\x01", 1);       /* skip the reserved space */
	for (; rc == 0 && rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t klen, vlen;
		const char *k = rocksdb_iter_key(it, &klen);
		const char *v = rocksdb_iter_value(it, &vlen);

		if (klen < plen || memcmp(k, prefix, plen) || !klen || !k[0])
			break;
		rc = fn(k, klen, v, vlen, arg);
	}
out:
	if (it)
		rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	rocksdb_release_snapshot(r->db, snap);
	return rc;
}

struct scan_list {
	struct db_kv_list *out;
	size_t cap;
};

static int scan_append(const char *k, size_t klen, const char *v, size_t vlen, void *arg)
{
	struct scan_list *sl = arg;
	struct db_kv_list *out = sl->out;

	if (out->n == sl->cap) {
		size_t cap = sl->cap ? sl->cap * 2 : 16;
		struct db_kv *n = realloc(out->kvs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		out->kvs = n;
		sl->cap = cap;
	}
	memset(&out->kvs[out->n], 0, sizeof(out->kvs[0]));
	int rc = kv_from_raw(k, klen, v, vlen, &out->kvs[out->n]);
	if (rc == 0)
		out->n++;
	return rc;
}

static int rdb_scan(struct db *db, const char *prefix, struct db_kv_list *out)
{
	struct scan_list sl = { out, 0 };
	int rc = rdb_iterate(to_rdb(db), prefix, &out->revision, scan_append, &sl);

	if (rc)
		db_kv_list_clear(out);
	return rc;
}

/* scan_each: key and value copied into two buffers that grow as needed
 * (NUL-terminated for the callback), no allocation per pair. */
struct each {
	int (*cb)(const struct db_kv *kv, void *arg);
	void *arg;
	char *kb, *vb;
	size_t kcap, vcap;
};

static int buf_fit(char **b, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 256;
	while (c < need)
		c *= 2;
	char *n = realloc(*b, c);
	if (!n)
		return -ENOMEM;
	*b = n;
	*cap = c;
	return 0;
}

static int each_one(const char *k, size_t klen, const char *v, size_t vlen, void *arg)
{
	struct each *e = arg;

	if (vlen < RDB_HDR_LEN)
		return -EIO;
	vlen -= RDB_HDR_LEN;
	if (buf_fit(&e->kb, &e->kcap, klen + 1) || buf_fit(&e->vb, &e->vcap, vlen + 1))
		return -ENOMEM;
	memcpy(e->kb, k, klen);
	e->kb[klen] = 0;
	memcpy(e->vb, v + RDB_HDR_LEN, vlen);
	e->vb[vlen] = 0;
	struct db_kv kv = { e->kb, e->vb, vlen, rdb_get_be64((const uint8_t *)v),
			    rdb_get_be64((const uint8_t *)v + 8) };
	return e->cb(&kv, e->arg);
}

static int rdb_scan_each(struct db *db, const char *prefix,
			 int (*cb)(const struct db_kv *kv, void *arg), void *arg,
			 uint64_t *revision)
{
	struct each e = { .cb = cb, .arg = arg };
	int rc = rdb_iterate(to_rdb(db), prefix, revision, each_one, &e);

	free(e.kb);
	free(e.vb);
	return rc;
}

/* Appends one change log record: type, be32 key length, key, value. */
static int log_append(rocksdb_writebatch_t *b, uint64_t rev, uint32_t seq,
		      const struct db_op *op)
{
	size_t klen = strlen(op->key);
	size_t vlen = op->type == DB_OP_PUT ? op->value_len : 0;
	uint8_t lk[RDB_LOG_KEY_LEN];
	uint8_t *rec = malloc(5 + klen + vlen);

	if (!rec)
		return -ENOMEM;
	rec[0] = op->type == DB_OP_PUT ? 0 : 1;
	rec[1] = (uint8_t)(klen >> 24);
	rec[2] = (uint8_t)(klen >> 16);
	rec[3] = (uint8_t)(klen >> 8);
	rec[4] = (uint8_t)klen;
	memcpy(rec + 5, op->key, klen);
	if (vlen)
		memcpy(rec + 5 + klen, op->value, vlen);
	rdb_log_key(lk, rev, seq);
	rocksdb_writebatch_put(b, (const char *)lk, sizeof(lk), (const char *)rec,
			       5 + klen + vlen);
	free(rec);
	return 0;
}

/* The record of one changed key, or only its count without a log. */
static int log_op(struct rdb *r, rocksdb_writebatch_t *b, uint64_t rev, uint32_t *seq,
		  const struct db_op *op)
{
	uint32_t s = (*seq)++;
	return r->no_log ? 0 : log_append(b, rev, s, op);
}

/* Adds "drop the log below `revision`" to batch b (a range tombstone). */
static void compact_into(rocksdb_writebatch_t *b, uint64_t revision)
{
	uint8_t from[RDB_LOG_KEY_LEN], to[RDB_LOG_KEY_LEN], v[8];

	rdb_log_key(from, 0, 0);
	rdb_log_key(to, revision, 0);
	rdb_put_be64(v, revision);
	rocksdb_writebatch_delete_range(b, (const char *)from, sizeof(from),
					(const char *)to, sizeof(to));
	rocksdb_writebatch_put(b, RDB_COMPACT_KEY, RDB_COMPACT_KEY_LEN, (const char *)v, 8);
}

static int add_op(struct rdb *r, rocksdb_writebatch_t *b, uint64_t rev,
		  uint32_t *seq, const struct db_op *op)
{
	uint64_t mod = 0, create = 0;
	uint8_t *val;
	int rc;

	/* without a log (the controller's replica: 100k puts in one txn at a
	 * full sync) no read per key: nothing reports the creation revision
	 * or counts a delete of an absent key there */
	rc = r->no_log ? 0 : key_meta(r, op->key, &mod, &create);
	if (rc)
		return rc;
	if (op->type == DB_OP_DELETE) {
		if (!mod && !r->no_log)
			return 0;       /* deleting an absent key changes nothing */
		rocksdb_writebatch_delete(b, op->key, strlen(op->key));
		return log_op(r, b, rev, seq, op);
	}
	val = malloc(RDB_HDR_LEN + op->value_len);
	if (!val)
		return -ENOMEM;
	rdb_put_be64(val, rev);
	rdb_put_be64(val + 8, mod ? create : rev);
	if (op->value_len)
		memcpy(val + RDB_HDR_LEN, op->value, op->value_len);
	rocksdb_writebatch_put(b, op->key, strlen(op->key), (const char *)val,
			       RDB_HDR_LEN + op->value_len);
	free(val);
	return log_op(r, b, rev, seq, op);
}

static int rdb_txn(struct db *db, const struct db_cmp *cmps, size_t n_cmps,
		   const struct db_op *ops, size_t n_ops, bool *succeeded,
		   uint64_t *revision)
{
	struct rdb *r = to_rdb(db);
	rocksdb_writebatch_t *b = NULL;
	uint8_t revbuf[8];
	uint32_t seq = 0;
	uint64_t mod, create;
	char *err = NULL;
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	*succeeded = false;
	for (i = 0; i < n_cmps; i++) {
		rc = key_meta(r, cmps[i].key, &mod, &create);
		if (rc)
			goto out;
		if (!db_cmp_holds(cmps[i].result, mod, cmps[i].mod_revision))
			goto out;
	}
	*succeeded = true;
	b = rocksdb_writebatch_create();
	for (i = 0; i < n_ops; i++) {
		rc = add_op(r, b, r->rev + 1, &seq, &ops[i]);
		if (rc)
			goto out;
	}
	if (!seq)
		goto out;
	rdb_put_be64(revbuf, r->rev + 1);
	rocksdb_writebatch_put(b, RDB_REV_KEY, RDB_REV_KEY_LEN, (const char *)revbuf, 8);
	/* the log compacts itself: once it holds 2 * log_keep revisions,
	 * the older half goes, in this same batch */
	uint64_t keep_from = 0;
	if (!r->no_log && r->rev + 1 > r->log_keep &&
	    r->rev + 1 - r->log_keep >= (r->compact_rev ? r->compact_rev : 1) + r->log_keep) {
		keep_from = r->rev + 1 - r->log_keep;
		compact_into(b, keep_from);
	}
	rocksdb_write(r->db, r->wopts, b, &err);
	if (err) {
		db_set_error("rocksdb write: %s", err);
		free(err);
		rc = -EIO;
		goto out;
	}
	r->rev++;
	if (keep_from)
		r->compact_rev = keep_from;
	pthread_cond_broadcast(&r->changed);
out:
	*revision = r->rev;
	pthread_mutex_unlock(&r->mu);
	if (b)
		rocksdb_writebatch_destroy(b);
	return rc;
}

static int rdb_revision(struct db *db, uint64_t *revision)
{
	struct rdb *r = to_rdb(db);

	pthread_mutex_lock(&r->mu);
	*revision = r->rev;
	pthread_mutex_unlock(&r->mu);
	return 0;
}

/* Drops the log below `revision` now (under mu, or at open). */
static int compact_now(struct rdb *r, uint64_t revision)
{
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	char *err = NULL;

	compact_into(b, revision);
	rocksdb_write(r->db, r->wopts, b, &err);
	rocksdb_writebatch_destroy(b);
	if (err) {
		free(err);
		return -EIO;
	}
	r->compact_rev = revision;
	pthread_cond_broadcast(&r->changed);
	return 0;
}

static int rdb_compact(struct db *db, uint64_t revision)
{
	struct rdb *r = to_rdb(db);
	int rc;

	pthread_mutex_lock(&r->mu);
	if (revision > r->rev)
		rc = -EINVAL;
	else if (revision <= r->compact_rev)
		rc = -ERANGE;
	else
		rc = compact_now(r, revision);
	pthread_mutex_unlock(&r->mu);
	return rc;
}

static void rdb_close(struct db *db);

/* mkdir -p of path's parent directories (RocksDB creates the last one). */
static int rdb_mkdir_parents(const char *path)
{
	char tmp[4096];

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static struct db *rdb_open(const char *url, const struct db_opts *opts)
{
	const char *path = url + strlen("rocksdb:");
	struct rdb *r;
	char *err = NULL;
	uint8_t v[8];
	int rc = -EINVAL;

	if (!*path)
		goto fail;
	if ((rc = rdb_mkdir_parents(path)) < 0)
		goto fail;
	r = calloc(1, sizeof(*r));
	if (!r) {
		rc = -ENOMEM;
		goto fail;
	}
	r->up.drv = &db_rocksdb_driver;
	r->no_log = opts && opts->no_log;
	r->log_keep = opts && opts->log_keep ? opts->log_keep : DB_ROCKSDB_LOG_KEEP;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->changed, NULL);
	r->opts = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(r->opts, 1);
	/* Memory: RocksDB's defaults (two 64 MiB memtables, an 8 MiB block
	 * cache per store) are sized for a database server; a host keeps the
	 * controller's replica (and maybe the embedded central store) beside
	 * the datapath, where a memtable full of the last sync is resident
	 * memory for nothing.  Small memtables flush early; reads after a
	 * restart go to the files, which the page cache holds anyway. */
	rocksdb_options_set_write_buffer_size(r->opts, RDB_WRITE_BUFFER);
	/* a store nobody watches is the controller's replica: read whole at
	 * every start, small binary values; no block compression to undo */
	if (r->no_log)
		rocksdb_options_set_compression(r->opts, rocksdb_no_compression);
	rocksdb_options_set_max_write_buffer_number(r->opts, 2);
	r->cache = rocksdb_cache_create_lru(RDB_BLOCK_CACHE);
	r->topts = rocksdb_block_based_options_create();
	if (r->cache && r->topts) {
		rocksdb_block_based_options_set_block_cache(r->topts, r->cache);
		/* every put reads the key's create revision first: a bloom
		 * filter answers "absent" (a new key) without the files */
		rocksdb_block_based_options_set_filter_policy(r->topts,
							      rocksdb_filterpolicy_create_bloom(10));
		rocksdb_options_set_block_based_table_factory(r->opts, r->topts);
	}
	r->ropts = rocksdb_readoptions_create();
	r->wopts = rocksdb_writeoptions_create();
	r->db = rocksdb_open(r->opts, path, &err);
	if (err) {
		free(err);
		rc = -EIO;
		goto fail_r;
	}
	rc = rdb_read_u64(r, r->ropts, RDB_REV_KEY, RDB_REV_KEY_LEN, &r->rev);
	if (!rc)
		rc = rdb_read_u64(r, r->ropts, RDB_COMPACT_KEY, RDB_COMPACT_KEY_LEN,
				  &r->compact_rev);
	if (rc)
		goto fail_r;
	if (!r->rev) {
		r->rev = 1;     /* a fresh store is at revision 1, as etcd */
		rdb_put_be64(v, 1);
		rocksdb_put(r->db, r->wopts, RDB_REV_KEY, RDB_REV_KEY_LEN,
			    (const char *)v, 8, &err);
		if (err) {
			free(err);
			rc = -EIO;
			goto fail_r;
		}
	}
	/* no_log: a log written before (the store was opened with one) goes */
	if (r->no_log && r->compact_rev < r->rev && (rc = compact_now(r, r->rev)))
		goto fail_r;
	return &r->up;
fail_r:
	rdb_close(&r->up);
fail:
	errno = -rc;
	return NULL;
}

static void rdb_close(struct db *db)
{
	struct rdb *r = to_rdb(db);

	for (;;) {
		struct rdb_watch *w;

		pthread_mutex_lock(&r->mu);
		w = r->watches;
		pthread_mutex_unlock(&r->mu);
		if (!w)
			break;
		rdb_watch_cancel((struct db_watch *)w);
	}
	if (r->db)
		rocksdb_close(r->db);
	rocksdb_writeoptions_destroy(r->wopts);
	rocksdb_readoptions_destroy(r->ropts);
	rocksdb_options_destroy(r->opts);
	if (r->topts)
		rocksdb_block_based_options_destroy(r->topts);
	if (r->cache)
		rocksdb_cache_destroy(r->cache);
	pthread_cond_destroy(&r->changed);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static int rdb_mem(struct db *db, struct db_mem *out)
{
	struct rdb *r = to_rdb(db);
	static const char *const props[] = { "rocksdb.cur-size-all-mem-tables",
					     "rocksdb.block-cache-usage",
					     "rocksdb.estimate-table-readers-mem" };
	uint64_t *v[] = { &out->memtables, &out->block_cache, &out->table_readers };
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
		if (rocksdb_property_int(r->db, props[i], v[i]) != 0)
			*v[i] = 0;
	return 0;
}

static int rdb_flush(struct db *db)
{
	struct rdb *r = to_rdb(db);
	rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
	if (fo == NULL)
		return -ENOMEM;
	rocksdb_flushoptions_set_wait(fo, 0);
	char *err = NULL;
	rocksdb_flush(r->db, fo, &err);
	rocksdb_flushoptions_destroy(fo);
	if (err) {
		db_set_error("rocksdb flush: %s", err);
		rocksdb_free(err);
		return -EIO;
	}
	return 0;
}

const struct db_driver db_rocksdb_driver = {
	.scheme = "rocksdb",
	.open = rdb_open,
	.close = rdb_close,
	.get = rdb_get,
	.put = NULL,            /* through txn */
	.del = NULL,            /* through txn */
	.scan = rdb_scan,
	.scan_each = rdb_scan_each,
	.txn = rdb_txn,
	.revision = rdb_revision,
	.compact = rdb_compact,
	.watch = rdb_watch,
	.watch_cancel = rdb_watch_cancel,
	.mem = rdb_mem,
	.flush = rdb_flush,
};
