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
 *
 * The control thread builds that txn (keys and values copied into a job
 * of its own); a writer thread ("wyv-lc-rep") runs it, so that the batch
 * and the next one do not wait for RocksDB (a third of a second at 100k
 * ports).  One job at a time: the next commit, a walk of the replica and
 * the close wait for it first.  A job that failed is kept and goes first
 * into the next one, so nothing a batch wrote is lost and the replica
 * stays a cut at some revision.
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
	lc_rep_stop(lc);
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

/* The op for o (0: none, 1: *op set), and the arena bytes it takes (its
 * key, its value; a port's binary record, which is encoded into the job
 * when j is given). */
static int obj_op(struct lc_obj *o, struct db_op *op, struct lc_rep_job *j, size_t *bytes)
{
	bool want = held_wanted(o);
	if (want && (!o->held || o->dirty)) {
		size_t len = o->type == MDL_PORT ? lc_port_encode_to(lc_port_of(o), NULL, 0) : o->len;
		*op = (struct db_op){ DB_OP_PUT, o->key, o->val, len };
		if (j && o->type == MDL_PORT) {
			char *d = lc_rep_job_reserve(j, len);
			if (d)
				lc_port_encode_to(lc_port_of(o), d, len);
			op->value = d;
		} else if (j) {
			op->value = lc_rep_job_put(j, o->val, len, false);
		}
		*bytes = len;
	} else if (!want && o->held) {
		*op = (struct db_op){ DB_OP_DELETE, o->key, NULL, 0 };
		*bytes = 0;
	} else {
		return 0;
	}
	*bytes += strlen(o->key) + 1;
	if (j)
		op->key = lc_rep_job_put(j, o->key, strlen(o->key), true);
	return 1;
}

int lc_replica_commit(struct lc *lc)
{
	if (lc->replica == NULL)
		return -ENOENT;
	size_t n, k = 0, bytes = 0, b;
	struct lc_rep_job *j = NULL;
	struct lc_obj **v = lc_obj_all(lc, &n);
	/* held = present, reachable and decodable: without a reachability
	 * pass only the objects this batch changed can move in or out (a
	 * failed write's ops wait in the writer, lc_replica_job.c) */
	if (!lc->reach_ran && lc->n_chg != SIZE_MAX && !lc->replica_all) {
		v = lc->chg;
		n = lc->n_chg;
	}
	size_t held_after = lc->n_held;   /* written with the revision */
	struct db_op op;
	for (size_t i = 0; i < n; i++) {
		struct lc_obj *o = v[i];
		bool want = held_wanted(o);
		held_after += want && !o->held;
		held_after -= !want && o->held;
		if (obj_op(o, &op, NULL, &b) > 0) {
			k++;
			bytes += b;
		}
	}
	char cnt[32], rev[32];
	snprintf(cnt, sizeof(cnt), "%zu", held_after);
	snprintf(rev, sizeof(rev), "%" PRIu64, lc->st.applied_revision);
	/* nothing to write: unless revision or count moved (from what was
	 * last submitted; read from the replica the first time) or a failed
	 * write waits for its retry */
	if (k == 0 && !lc->rep_last_set) {
		const char *const key[2] = { LC_REV_KEY, LC_COUNT_KEY };
		char *const dst[2] = { lc->rep_last_rev, lc->rep_last_cnt };
		struct db_kv cur;
		for (int c = 0; c < 2; c++)
			if (db_get(lc->replica, key[c], &cur) == 0) {
				snprintf(dst[c], sizeof(lc->rep_last_rev), "%s", (const char *)cur.value);
				db_kv_clear(&cur);
			}
		lc->rep_last_set = true;
	}
	if (k == 0 && strcmp(rev, lc->rep_last_rev) == 0 && strcmp(cnt, lc->rep_last_cnt) == 0 &&
	    !lc_rep_failed(lc))
		goto done;

	bytes += strlen(LC_REV_KEY) + strlen(rev) + strlen(LC_COUNT_KEY) + strlen(cnt) + 2;
	j = lc_rep_job_new(k + 2, bytes);
	if (j == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		if (obj_op(v[i], &op, j, &b) == 0)
			continue;
		if (op.key == NULL || (op.type == DB_OP_PUT && op.value == NULL && op.value_len))
			goto nomem;    /* counted wrong: never here */
		j->ops[j->n++] = op;
	}
	j->ops[j->n++] = (struct db_op){ DB_OP_PUT,
		lc_rep_job_put(j, LC_REV_KEY, strlen(LC_REV_KEY), true),
		lc_rep_job_put(j, rev, strlen(rev), false), strlen(rev) };
	j->ops[j->n++] = (struct db_op){ DB_OP_PUT,
		lc_rep_job_put(j, LC_COUNT_KEY, strlen(LC_COUNT_KEY), true),
		lc_rep_job_put(j, cnt, strlen(cnt), false), strlen(cnt) };
	if (lc_rep_submit(lc, j) < 0)
		goto nomem;
	snprintf(lc->rep_last_rev, sizeof(lc->rep_last_rev), "%s", rev);
	snprintf(lc->rep_last_cnt, sizeof(lc->rep_last_cnt), "%s", cnt);
	lc->rep_last_set = true;
done:
	lc->replica_all = false;
	lc->n_held = held_after;
	for (size_t i = 0; i < n; i++) {
		struct lc_obj *o = v[i];
		o->held = held_wanted(o);
		o->dirty = false;
	}
	return 0;
nomem:
	lc_rep_job_free(j);
	lc->replica_all = true;   /* next time: every object */
	lc->st.replica_errors++;
	lc_log(lc, "replica txn: no memory; the next batch tries again");
	return -ENOMEM;
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
	lc_replica_wait(lc);
	struct rep_walk w = { lc, cb, arg };
	int rc = db_scan_each(lc->replica, "", rep_one, &w, NULL);
	return rc < 0 ? rc : 0;
}
