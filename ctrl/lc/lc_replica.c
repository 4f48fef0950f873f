/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_replica.c — the local replica: a RocksDB database (db_open
 * "rocksdb:<dir>") holding exactly the objects this chassis holds, under
 * their central keys ("/wyvern/v1/<type>/<id>"; the same JSON, except a
 * port: its binary record, lc_port_encode, which loads without a JSON
 * parse), and the last applied central revision at LC_REV_KEY; no change
 * log (db_opts.no_log).
 * Control thread only.
 *
 * Every event batch ends with ONE db_txn: puts of held objects that are new
 * or changed, deletes of objects no longer held, and the revision — so the
 * replica is always a consistent cut of the central db at that revision
 * (restricted to what was reachable).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "lc_priv.h"

int lc_replica_open(struct lc *lc)
{
	char url[LC_PATH_LEN + 16];
	/* nobody watches the replica: no change log (one left by an older
	 * wyvernd is dropped at open) */
	struct db_opts o = { .no_log = true };
	snprintf(url, sizeof(url), "rocksdb:%s", lc->cfg.replica);
	lc->replica = db_open_opts(url, &o, NULL, 0);
	return lc->replica ? 0 : (errno ? -errno : -EIO);
}

void lc_replica_close(struct lc *lc)
{
	db_close(lc->replica);
	lc->replica = NULL;
}

static int load_one(const struct db_kv *kv, void *arg)
{
	struct lc *lc = arg;
	struct lc_obj *o;
	if (lc_obj_set_get(lc, kv->key, kv->value, kv->value_len, true, &o) && o) {
		o->held = true;
		o->dirty = false;
		lc->n_held++;
		lc_count(lc, o);
	}
	return 0;
}

int lc_replica_load(struct lc *lc)
{
	struct db_kv kv;
	if (db_get(lc->replica, LC_COUNT_KEY, &kv) == 0) {
		unsigned long long n = strtoull(kv.value, NULL, 10);
		db_kv_clear(&kv);
		if (n < (1ull << 26))   /* a sane count: room for it at once */
			lc_reserve(lc, (size_t)n);
	}
	/* streamed: no list of every key and value, no copy of the store */
	int rc = db_scan_each(lc->replica, LC_PREFIX, load_one, lc, NULL);
	if (rc < 0)
		return rc;
	if (db_get(lc->replica, LC_REV_KEY, &kv) == 0) {
		lc->st.applied_revision = strtoull(kv.value, NULL, 10);
		db_kv_clear(&kv);
	}
	return 0;
}

/* The preload runs before EAL knows the TSC's rate: lc_mono_us. */
int lc_replica_open_load(struct lc *lc, uint64_t *us)
{
	uint64_t t0 = lc_mono_us();
	int rc = lc->replica ? 0 : lc_replica_open(lc);
	if (rc == 0)
		rc = lc_replica_load(lc);
	*us = lc_mono_us() - t0;
	return rc;
}

static void *preload_main(void *arg)
{
	struct lc *lc = arg;
	lc->preload_rc = lc_replica_open_load(lc, &lc->preload_us);
	return NULL;
}

int lc_preload(struct lc *lc)
{
	if (lc->preloading || lc->replica != NULL)
		return -EALREADY;
	/* opened here, so that a replica another process holds is refused
	 * at once, before the caller starts anything */
	int rc = lc_replica_open(lc);
	if (rc < 0)
		return rc;
	rc = pthread_create(&lc->preload_tid, NULL, preload_main, lc);
	if (rc == 0) {
		pthread_setname_np(lc->preload_tid, "wyv-preload");
		lc->preloading = true;
	}   /* else no thread: lc_start loads the open replica */
	/* The sync thread starts now too: it reads the central db's snapshot
	 * into its queue while EAL starts (a third of a second at 100k ports
	 * via etcd); lc_run applies it once lc_start has compiled the
	 * replica.  It touches only its own copy of the config and its queue
	 * (lc_sync.c).  No thread: lc_start tries again. */
	(void)lc_sync_start(lc);
	return 0;
}

int lc_preload_join(struct lc *lc, bool *ran)
{
	*ran = lc->preloading;
	if (!lc->preloading)
		return 0;
	pthread_join(lc->preload_tid, NULL);
	lc->preloading = false;
	return lc->preload_rc;
}

/* What the replica holds of an object: present, reachable, decodable. */
static bool held_wanted(const struct lc_obj *o)
{
	return o->present && o->reach && o->o;
}

int lc_replica_commit(struct lc *lc)
{
	size_t n, k = 0;
	struct lc_obj **v = lc_obj_all(lc, &n);
	/* held = present, reachable and decodable: without a reachability
	 * pass only the objects this batch changed can move in or out */
	if (!lc->reach_ran && lc->n_chg != SIZE_MAX && !lc->replica_retry) {
		v = lc->chg;
		n = lc->n_chg;
	}
	struct db_op *ops = malloc((n + 2) * sizeof(*ops));
	char **bins = calloc(n + 1, sizeof(*bins));   /* ports' binary records */
	size_t nb = 0;
	char rev[32];
	int rc = -ENOMEM;
	bool ok;

	if (ops == NULL || bins == NULL || lc->replica == NULL)
		goto out;
	size_t held_after = lc->n_held;   /* written with the revision */
	for (size_t i = 0; i < n; i++) {
		struct lc_obj *o = v[i];
		lc_yield_point(lc);
		bool want = held_wanted(o);
		held_after += want && !o->held;
		held_after -= !want && o->held;
		if (want && (!o->held || o->dirty)) {
			const char *val = o->val;
			size_t len = o->len;
			if (o->type == MDL_PORT &&
			    (val = bins[nb++] = lc_port_encode(lc_port_of(o), &len)) == NULL)
				goto out;
			ops[k++] = (struct db_op){ DB_OP_PUT, o->key, val, len };
		} else if (!want && o->held) {
			ops[k++] = (struct db_op){ DB_OP_DELETE, o->key, NULL, 0 };
		}
	}
	char cnt[32];
	snprintf(cnt, sizeof(cnt), "%zu", held_after);
	struct db_kv cur;
	bool same = k == 0;     /* nothing to write: unless revision or count moved */
	snprintf(rev, sizeof(rev), "%" PRIu64, lc->st.applied_revision);
	const char *const chk[2][2] = { { LC_REV_KEY, rev }, { LC_COUNT_KEY, cnt } };
	for (int c = 0; c < 2 && same; c++) {
		same = db_get(lc->replica, chk[c][0], &cur) == 0;
		if (same) {
			same = strcmp(cur.value, chk[c][1]) == 0;
			db_kv_clear(&cur);
		}
	}
	if (same) {
		rc = 0;
		goto done;
	}
	ops[k++] = (struct db_op){ DB_OP_PUT, LC_REV_KEY, rev, strlen(rev) };
	ops[k++] = (struct db_op){ DB_OP_PUT, LC_COUNT_KEY, cnt, strlen(cnt) };
	rc = db_txn(lc->replica, NULL, 0, ops, k, &ok, NULL);
	lc->st.replica_txns++;
	if (rc < 0) {
		lc->st.replica_errors++;
		lc_log(lc, "replica txn (%zu ops): %s", k, strerror(-rc));
		goto out;
	}
done:
	lc->replica_retry = false;
	lc->n_held = held_after;
	for (size_t i = 0; i < n; i++) {
		struct lc_obj *o = v[i];
		o->held = held_wanted(o);
		o->dirty = false;
		lc_count(lc, o);
	}
out:
	if (rc < 0)
		lc->replica_retry = true;    /* next time: every object */
	for (size_t i = 0; bins && i < nb; i++)
		free(bins[i]);
	free(bins);
	free(ops);
	return rc;
}

struct rep_walk {
	struct lc *lc;
	int (*cb)(const char *key, uint64_t version, void *arg);
	void *arg;
};

static int rep_one(const struct db_kv *kv, void *arg)
{
	struct rep_walk *w = arg;
	struct lc_obj *o;
	uint64_t ver = 0;
	/* the revision and the object count show their values */
	if (strcmp(kv->key, LC_REV_KEY) == 0 || strcmp(kv->key, LC_COUNT_KEY) == 0)
		ver = strtoull(kv->value, NULL, 10);
	else if ((o = lc_obj_find(w->lc, kv->key)) != NULL)
		ver = o->version;
	return w->cb(kv->key, ver, w->arg) ? 1 : 0;
}

int lc_replica_foreach(struct lc *lc, int (*cb)(const char *key, uint64_t version, void *arg),
		       void *arg)
{
	if (lc->replica == NULL)
		return -ENOENT;
	struct rep_walk w = { lc, cb, arg };
	int rc = db_scan_each(lc->replica, "", rep_one, &w, NULL);
	return rc < 0 ? rc : 0;
}
