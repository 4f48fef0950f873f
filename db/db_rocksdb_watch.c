/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_rocksdb_watch.c — RocksDB driver — watches.
 *
 * One thread per watch.  It sleeps on the store's condition until the
 * revision passes the next one it wants, then reads the change log from a
 * RocksDB snapshot (history and live changes take the same path), calls back
 * for records under its prefix, and moves on to the snapshot's revision + 1.
 * If the log was compacted past the next wanted revision it reports
 * DB_EV_COMPACTED once and stops.  No lock is held while calling back. */
#include "db_rocksdb_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct rdb_watch {
	struct db_watch up;
	struct rdb *r;
	char *prefix;
	size_t plen;
	uint64_t next;                  /* first revision not yet delivered */
	void (*cb)(const struct db_event *, void *);
	void *arg;
	pthread_t thread;
	bool stop;                      /* under r->mu */
	struct rdb_watch *next_w;       /* r->watches list, under r->mu */
};

/* One record held back until the next shows whether it ends its revision
 * (a transaction's records share one). */
struct held {
	struct db_event ev;
	char *key;
	void *val;
	bool have;
};

static void held_flush(struct rdb_watch *w, struct held *h, bool rev_end)
{
	if (!h->have)
		return;
	h->ev.rev_end = rev_end;
	w->cb(&h->ev, w->arg);
	free(h->key);
	free(h->val);
	h->key = h->val = NULL;
	h->have = false;
}

/* Delivers log records with revision >= w->next from one snapshot.
 * Returns 1 if the watch was compacted, 0 otherwise, -errno on failure. */
static int deliver(struct rdb_watch *w)
{
	struct rdb *r = w->r;
	const rocksdb_snapshot_t *snap = rocksdb_create_snapshot(r->db);
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	uint8_t start[RDB_LOG_KEY_LEN];
	rocksdb_iterator_t *it;
	uint64_t rev, compact;
	struct held h = { .have = false };
	int rc;

	rocksdb_readoptions_set_snapshot(ro, snap);
	rc = rdb_read_u64(r, ro, RDB_REV_KEY, RDB_REV_KEY_LEN, &rev);
	if (!rc)
		rc = rdb_read_u64(r, ro, RDB_COMPACT_KEY, RDB_COMPACT_KEY_LEN, &compact);
	if (rc)
		goto out;
	if (w->next < compact) {
		struct db_event ev = { DB_EV_COMPACTED, NULL, NULL, 0, compact };

		w->cb(&ev, w->arg);
		rc = 1;
		goto out;
	}
	rdb_log_key(start, w->next, 0);
	it = rocksdb_create_iterator(r->db, ro);
	for (rocksdb_iter_seek(it, (const char *)start, sizeof(start));
	     rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t klen, vlen, kl;
		const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &klen);
		const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vlen);
		struct db_event ev;
		char *key;

		if (klen != RDB_LOG_KEY_LEN || memcmp(k, RDB_LOG_PREFIX, RDB_LOG_PREFIX_LEN))
			break;
		if (vlen < 5)
			continue;
		kl = ((size_t)v[1] << 24) | ((size_t)v[2] << 16) | ((size_t)v[3] << 8) | v[4];
		if (5 + kl > vlen || kl < w->plen || memcmp(v + 5, w->prefix, w->plen))
			continue;
		ev.type = v[0] ? DB_EV_DELETE : DB_EV_PUT;
		ev.value_len = v[0] ? 0 : vlen - 5 - kl;
		ev.revision = rdb_get_be64(k + RDB_LOG_PREFIX_LEN);
		ev.rev_end = false;
		held_flush(w, &h, h.have && h.ev.revision != ev.revision);
		key = db_memdup0(v + 5, kl);
		h.val = ev.value_len ? db_memdup0(v + 5 + kl, ev.value_len) : NULL;
		if (!key || (ev.value_len && !h.val)) {
			free(key);
			free(h.val);
			h.val = NULL;
			rc = -ENOMEM;
			break;
		}
		ev.key = h.key = key;
		ev.value = v[0] ? NULL : (h.val ? h.val : (const void *)"");
		h.ev = ev;
		h.have = true;
	}
	if (!rc)
		held_flush(w, &h, true);
	free(h.key);
	free(h.val);
	rocksdb_iter_destroy(it);
	if (!rc && rev + 1 > w->next)
		w->next = rev + 1;
out:
	rocksdb_readoptions_destroy(ro);
	rocksdb_release_snapshot(r->db, snap);
	return rc;
}

static void *watch_main(void *arg)
{
	struct rdb_watch *w = arg;
	struct rdb *r = w->r;

	for (;;) {
		pthread_mutex_lock(&r->mu);
		while (!w->stop && r->rev < w->next && r->compact_rev <= w->next)
			pthread_cond_wait(&r->changed, &r->mu);
		if (w->stop) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		pthread_mutex_unlock(&r->mu);
		if (deliver(w))
			break;          /* compacted (reported) or broken */
	}
	return NULL;
}

struct db_watch *rdb_watch(struct db *db, const char *prefix, uint64_t from,
			   void (*cb)(const struct db_event *, void *), void *arg)
{
	struct rdb *r = (struct rdb *)db;
	struct rdb_watch *w;
	int rc;

	if (r->no_log) {
		errno = ENOTSUP;        /* nothing to watch from */
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->prefix = strdup(prefix);
	if (!w->prefix) {
		free(w);
		return NULL;
	}
	w->up.db = db;
	w->r = r;
	w->plen = strlen(prefix);
	w->cb = cb;
	w->arg = arg;
	pthread_mutex_lock(&r->mu);
	w->next = from ? from : r->rev + 1;
	rc = pthread_create(&w->thread, NULL, watch_main, w);
	if (!rc) {
		w->next_w = r->watches;
		r->watches = w;
	}
	pthread_mutex_unlock(&r->mu);
	if (rc) {
		free(w->prefix);
		free(w);
		errno = rc;
		return NULL;
	}
	return &w->up;
}

void rdb_watch_cancel(struct db_watch *dw)
{
	struct rdb_watch *w = (struct rdb_watch *)dw, **pp;
	struct rdb *r = w->r;

	pthread_mutex_lock(&r->mu);
	w->stop = true;
	pthread_cond_broadcast(&r->changed);
	for (pp = &r->watches; *pp; pp = &(*pp)->next_w) {
		if (*pp == w) {
			*pp = w->next_w;
			break;
		}
	}
	pthread_mutex_unlock(&r->mu);
	pthread_join(w->thread, NULL);
	free(w->prefix);
	free(w);
}
