/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_conformance_test.c — conformance suite: the same test functions run against every
 * driver — RocksDB in a mkdtemp directory and a real etcd started on
 * loopback by the test (see db_test_util.c).  Each test works under its own
 * key prefix so tests do not see each other's keys.  A few tests need a
 * process to kill and only run for etcd (watch resume after a restart). */
#include "db.h"
#include "db_test_util.h"
#include "db_conformance.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char cur_url[512];               /* URL of the backend under test */
static char rocks_dir[256];
static struct test_etcd etcd;
static struct test_etcd_cluster cluster;

const char *conformance_url(void)
{
	return cur_url;
}

struct db *open_db(void)
{
	struct db *db = db_open(cur_url);

	if (!db)
		printf("\n db_open(%s): %s\n", cur_url, strerror(errno));
	return db;
}

/* ---- event collector ------------------------------------------------ */


void collector_init(struct collector *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cond, NULL);
}

void collector_fini(struct collector *c)
{
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cond);
}

void collect(const struct db_event *ev, void *arg)
{
	struct collector *c = arg;

	pthread_mutex_lock(&c->mu);
	if (c->n < sizeof(c->evs) / sizeof(c->evs[0])) {
		struct ev_copy *e = &c->evs[c->n++];

		e->type = ev->type;
		snprintf(e->key, sizeof(e->key), "%s", ev->key ? ev->key : "");
		snprintf(e->value, sizeof(e->value), "%.*s", (int)ev->value_len,
			 ev->value ? (const char *)ev->value : "");
		e->revision = ev->revision;
		e->rev_end = ev->rev_end;
	} else {
		c->overflow++;
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mu);
}

/* Waits until at least n events arrived (or timeout); returns the count. */
size_t wait_events(struct collector *c, size_t n, int timeout_ms)
{
	struct timespec ts;
	size_t got;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&c->mu);
	while (c->n < n && pthread_cond_timedwait(&c->cond, &c->mu, &ts) == 0)
		;
	got = c->n;
	pthread_mutex_unlock(&c->mu);
	return got;
}

static int put_str(struct db *db, const char *k, const char *v, uint64_t *rev)
{
	return db_put(db, k, v, strlen(v), rev);
}

/* ---- tests ---------------------------------------------------------- */

static void t_put_get_delete(void)
{
	struct db *db = open_db();
	struct db_kv kv;
	uint64_t r1, r2, r3;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db_get(db, "/t/pgd/missing", &kv), -ENOENT);
	CU_ASSERT_EQUAL(put_str(db, "/t/pgd/a", "one", &r1), 0);
	CU_ASSERT_EQUAL_FATAL(db_get(db, "/t/pgd/a", &kv), 0);
	CU_ASSERT_STRING_EQUAL(kv.key, "/t/pgd/a");
	CU_ASSERT_EQUAL(kv.value_len, 3);
	CU_ASSERT_STRING_EQUAL(kv.value, "one");
	CU_ASSERT_EQUAL(kv.mod_revision, r1);
	CU_ASSERT_EQUAL(kv.create_revision, r1);
	db_kv_clear(&kv);
	CU_ASSERT_EQUAL(put_str(db, "/t/pgd/a", "two", &r2), 0);
	CU_ASSERT_TRUE(r2 > r1);
	CU_ASSERT_EQUAL_FATAL(db_get(db, "/t/pgd/a", &kv), 0);
	CU_ASSERT_STRING_EQUAL(kv.value, "two");
	CU_ASSERT_EQUAL(kv.mod_revision, r2);
	CU_ASSERT_EQUAL(kv.create_revision, r1);
	db_kv_clear(&kv);
	/* binary value with NULs, and an empty value */
	CU_ASSERT_EQUAL(db_put(db, "/t/pgd/bin", "a\0b\xff", 4, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(db_get(db, "/t/pgd/bin", &kv), 0);
	CU_ASSERT_EQUAL(kv.value_len, 4);
	CU_ASSERT_EQUAL(memcmp(kv.value, "a\0b\xff", 4), 0);
	db_kv_clear(&kv);
	CU_ASSERT_EQUAL(db_put(db, "/t/pgd/empty", "", 0, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(db_get(db, "/t/pgd/empty", &kv), 0);
	CU_ASSERT_EQUAL(kv.value_len, 0);
	db_kv_clear(&kv);
	CU_ASSERT_EQUAL(db_delete(db, "/t/pgd/a", &r3), 0);
	CU_ASSERT_TRUE(r3 > r2);
	CU_ASSERT_EQUAL(db_get(db, "/t/pgd/a", &kv), -ENOENT);
	CU_ASSERT_EQUAL(db_delete(db, "/t/pgd/a", NULL), -ENOENT);
	/* bad arguments */
	CU_ASSERT_EQUAL(db_put(db, "", "x", 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(db_get(db, NULL, &kv), -EINVAL);
	CU_ASSERT_EQUAL(db_put(db, "/t/pgd/x", NULL, 3, NULL), -EINVAL);
	db_close(db);
}

struct each_seen {
	const struct db_kv_list *want;
	size_t n, bad;
	size_t stop_at;          /* 0: never */
};

static int each_cmp(const struct db_kv *kv, void *arg)
{
	struct each_seen *e = arg;
	const struct db_kv *w = e->n < e->want->n ? &e->want->kvs[e->n] : NULL;
	if (w == NULL || strcmp(w->key, kv->key) || w->value_len != kv->value_len ||
	    memcmp(w->value, kv->value, kv->value_len) || ((const char *)kv->value)[kv->value_len] ||
	    w->mod_revision != kv->mod_revision)
		e->bad++;
	e->n++;
	return e->stop_at && e->n == e->stop_at ? 7 : 0;
}

static void t_scan_order(void)
{
	static const char *const keys[] = { "/t/scan/b", "/t/scan/a", "/t/scan/c/1",
					    "/t/scan/c", "/t/scanx", "/t/sca" };
	struct db *db = open_db();
	struct db_kv_list l;
	uint64_t rev = 0;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CU_ASSERT_EQUAL(put_str(db, keys[i], keys[i], &rev), 0);
	CU_ASSERT_EQUAL_FATAL(db_scan(db, "/t/scan/", &l), 0);
	CU_ASSERT_EQUAL_FATAL(l.n, 4);
	CU_ASSERT_STRING_EQUAL(l.kvs[0].key, "/t/scan/a");
	CU_ASSERT_STRING_EQUAL(l.kvs[1].key, "/t/scan/b");
	CU_ASSERT_STRING_EQUAL(l.kvs[2].key, "/t/scan/c");
	CU_ASSERT_STRING_EQUAL(l.kvs[3].key, "/t/scan/c/1");
	CU_ASSERT_STRING_EQUAL(l.kvs[3].value, "/t/scan/c/1");
	CU_ASSERT_TRUE(l.revision >= rev);
	db_kv_list_clear(&l);
	CU_ASSERT_EQUAL(db_scan(db, "/t/nothing/", &l), 0);
	CU_ASSERT_EQUAL(l.n, 0);
	CU_ASSERT_TRUE(l.revision >= rev);
	db_kv_list_clear(&l);
	/* "" scans everything, still sorted */
	CU_ASSERT_EQUAL_FATAL(db_scan(db, "", &l), 0);
	CU_ASSERT_TRUE(l.n >= 6);
	for (i = 1; i < l.n; i++)
		CU_ASSERT_TRUE(strcmp(l.kvs[i - 1].key, l.kvs[i].key) < 0);
	/* db_scan_each: the same pairs, order and revision, without a list */
	struct each_seen e = { &l, 0, 0 };
	uint64_t erev = 0;
	CU_ASSERT_EQUAL(db_scan_each(db, "", each_cmp, &e, &erev), 0);
	CU_ASSERT_EQUAL(e.n, l.n);
	CU_ASSERT_EQUAL(e.bad, 0);
	CU_ASSERT_EQUAL(erev, l.revision);
	/* a callback's non-zero return ends the scan and is returned */
	e = (struct each_seen){ &l, 0, 0 };
	e.stop_at = 2;
	CU_ASSERT_EQUAL(db_scan_each(db, "", each_cmp, &e, NULL), 7);
	CU_ASSERT_EQUAL(e.n, 2);
	CU_ASSERT_EQUAL(db_scan_each(db, "", NULL, NULL, NULL), -EINVAL);
	db_kv_list_clear(&l);
	db_close(db);
}

static void t_revisions(void)
{
	struct db *db = open_db();
	uint64_t prev = 0, rev, cur;
	char key[64];
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db_revision(db, &prev), 0);
	CU_ASSERT_TRUE(prev >= 1);
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "/t/rev/%d", i % 3);
		CU_ASSERT_EQUAL(put_str(db, key, "v", &rev), 0);
		CU_ASSERT_EQUAL(rev, prev + 1);     /* one write, one revision */
		prev = rev;
	}
	CU_ASSERT_EQUAL(db_delete(db, "/t/rev/0", &rev), 0);
	CU_ASSERT_EQUAL(rev, prev + 1);
	CU_ASSERT_EQUAL(db_revision(db, &cur), 0);
	CU_ASSERT_EQUAL(cur, rev);
	/* a failed delete does not create a revision */
	CU_ASSERT_EQUAL(db_delete(db, "/t/rev/0", NULL), -ENOENT);
	CU_ASSERT_EQUAL(db_revision(db, &cur), 0);
	CU_ASSERT_EQUAL(cur, rev);
	db_close(db);
}

static void t_txn(void)
{
	struct db *db = open_db();
	uint64_t r1, r2, rev, before;
	struct db_kv kv;
	bool ok = true;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(put_str(db, "/t/txn/k1", "v1", &r1), 0);
	CU_ASSERT_EQUAL(put_str(db, "/t/txn/k2", "v2", &r2), 0);
	{
		struct db_cmp bad[] = {
			{ "/t/txn/k1", DB_CMP_EQUAL, r1 },
			{ "/t/txn/k2", DB_CMP_EQUAL, r1 },     /* fails */
		};
		struct db_op ops[] = {
			{ DB_OP_PUT, "/t/txn/k1", "x", 1 },
			{ DB_OP_DELETE, "/t/txn/k2", NULL, 0 },
			{ DB_OP_PUT, "/t/txn/k3", "new", 3 },
		};

		CU_ASSERT_EQUAL(db_revision(db, &before), 0);
		CU_ASSERT_EQUAL(db_txn(db, bad, 2, ops, 3, &ok, &rev), 0);
		CU_ASSERT_FALSE(ok);
		CU_ASSERT_EQUAL(rev, before);
		CU_ASSERT_EQUAL_FATAL(db_get(db, "/t/txn/k1", &kv), 0);
		CU_ASSERT_STRING_EQUAL(kv.value, "v1");
		db_kv_clear(&kv);
		CU_ASSERT_EQUAL(db_get(db, "/t/txn/k2", &kv), 0);
		db_kv_clear(&kv);
		CU_ASSERT_EQUAL(db_get(db, "/t/txn/k3", &kv), -ENOENT);

		bad[1].mod_revision = r2;
		CU_ASSERT_EQUAL(db_txn(db, bad, 2, ops, 3, &ok, &rev), 0);
		CU_ASSERT_TRUE(ok);
		CU_ASSERT_EQUAL(rev, before + 1);       /* one revision for all */
		CU_ASSERT_EQUAL_FATAL(db_get(db, "/t/txn/k1", &kv), 0);
		CU_ASSERT_STRING_EQUAL(kv.value, "x");
		CU_ASSERT_EQUAL(kv.mod_revision, rev);
		db_kv_clear(&kv);
		CU_ASSERT_EQUAL(db_get(db, "/t/txn/k2", &kv), -ENOENT);
		CU_ASSERT_EQUAL_FATAL(db_get(db, "/t/txn/k3", &kv), 0);
		CU_ASSERT_EQUAL(kv.mod_revision, rev);
		CU_ASSERT_EQUAL(kv.create_revision, rev);
		db_kv_clear(&kv);
	}
	{
		/* existence compares: EQUAL 0 = absent, GREATER 0 = present */
		struct db_cmp absent = { "/t/txn/k4", DB_CMP_EQUAL, 0 };
		struct db_cmp present = { "/t/txn/k4", DB_CMP_GREATER, 0 };
		struct db_cmp less = { "/t/txn/k1", DB_CMP_LESS, 1 };
		struct db_cmp ne = { "/t/txn/k1", DB_CMP_NOT_EQUAL, 0 };
		struct db_op put = { DB_OP_PUT, "/t/txn/k4", "4", 1 };
		struct db_op dup[] = { { DB_OP_PUT, "/t/txn/k5", "a", 1 },
				       { DB_OP_DELETE, "/t/txn/k5", NULL, 0 } };

		CU_ASSERT_EQUAL(db_txn(db, &present, 1, &put, 1, &ok, &rev), 0);
		CU_ASSERT_FALSE(ok);
		CU_ASSERT_EQUAL(db_txn(db, &absent, 1, &put, 1, &ok, &rev), 0);
		CU_ASSERT_TRUE(ok);
		CU_ASSERT_EQUAL(db_txn(db, &absent, 1, &put, 1, &ok, &rev), 0);
		CU_ASSERT_FALSE(ok);
		CU_ASSERT_EQUAL(db_txn(db, &less, 1, NULL, 0, &ok, &rev), 0);
		CU_ASSERT_FALSE(ok);
		CU_ASSERT_EQUAL(db_txn(db, &ne, 1, NULL, 0, &ok, &rev), 0);
		CU_ASSERT_TRUE(ok);
		CU_ASSERT_EQUAL(db_txn(db, NULL, 0, dup, 2, &ok, &rev), -EINVAL);
		CU_ASSERT_EQUAL(db_get(db, "/t/txn/k5", &kv), -ENOENT);
	}
	db_close(db);
}

static void t_watch_replay_live(void)
{
	struct db *db = open_db();
	struct collector c;
	struct db_watch *w;
	uint64_t first, rev;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	collector_init(&c);
	CU_ASSERT_EQUAL(put_str(db, "/t/w/a", "1", &first), 0);
	CU_ASSERT_EQUAL(put_str(db, "/t/other", "x", NULL), 0);
	CU_ASSERT_EQUAL(put_str(db, "/t/w/b", "2", NULL), 0);
	CU_ASSERT_EQUAL(put_str(db, "/t/w/a", "3", NULL), 0);
	w = db_watch(db, "/t/w/", first, collect, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(wait_events(&c, 3, 10000), 3);          /* history */
	CU_ASSERT_EQUAL(db_delete(db, "/t/w/b", NULL), 0);       /* live */
	CU_ASSERT_EQUAL(put_str(db, "/t/wx", "not mine", NULL), 0);
	{
		/* the last op of the revision is outside the prefix */
		struct db_op ops[] = { { DB_OP_PUT, "/t/w/c", "4", 1 },
				       { DB_OP_PUT, "/t/w/d", "5", 1 },
				       { DB_OP_PUT, "/t/wz", "6", 1 } };
		bool ok;

		CU_ASSERT_EQUAL(db_txn(db, NULL, 0, ops, 3, &ok, &rev), 0);
	}
	CU_ASSERT_EQUAL(wait_events(&c, 6, 10000), 6);
	usleep(300 * 1000);
	db_watch_cancel(w);
	CU_ASSERT_EQUAL_FATAL(c.n, 6);
	CU_ASSERT_STRING_EQUAL(c.evs[0].key, "/t/w/a");
	CU_ASSERT_STRING_EQUAL(c.evs[0].value, "1");
	CU_ASSERT_EQUAL(c.evs[0].revision, first);
	CU_ASSERT_STRING_EQUAL(c.evs[1].key, "/t/w/b");
	CU_ASSERT_STRING_EQUAL(c.evs[2].value, "3");
	CU_ASSERT_EQUAL(c.evs[3].type, DB_EV_DELETE);
	CU_ASSERT_STRING_EQUAL(c.evs[3].key, "/t/w/b");
	CU_ASSERT_STRING_EQUAL(c.evs[4].key, "/t/w/c");
	CU_ASSERT_STRING_EQUAL(c.evs[5].key, "/t/w/d");
	CU_ASSERT_EQUAL(c.evs[4].revision, rev);
	CU_ASSERT_EQUAL(c.evs[5].revision, rev);
	/* every revision's last event (under the prefix) is marked, only it */
	for (i = 0; i < 4; i++)
		CU_ASSERT_TRUE(c.evs[i].rev_end);
	CU_ASSERT_FALSE(c.evs[4].rev_end);
	CU_ASSERT_TRUE(c.evs[5].rev_end);
	for (i = 1; i < 5; i++)
		CU_ASSERT_TRUE(c.evs[i].revision > c.evs[i - 1].revision);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(c.evs[i].type, DB_EV_PUT);
	collector_fini(&c);
	db_close(db);
}

/* from_revision 0 = only what happens after the call. */
static void t_watch_from_now(void)
{
	struct db *db = open_db();
	struct collector c;
	struct db_watch *w;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	collector_init(&c);
	CU_ASSERT_EQUAL(put_str(db, "/t/now/old", "old", NULL), 0);
	w = db_watch(db, "/t/now/", 0, collect, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(put_str(db, "/t/now/new", "new", NULL), 0);
	CU_ASSERT_EQUAL(wait_events(&c, 1, 10000), 1);
	usleep(200 * 1000);
	db_watch_cancel(w);
	CU_ASSERT_EQUAL(c.n, 1);
	CU_ASSERT_STRING_EQUAL(c.evs[0].key, "/t/now/new");
	collector_fini(&c);
	db_close(db);
}

struct alloc_arg {
	struct db *db;
	uint32_t keys[40];
	int rc;
};

static void *alloc_thread(void *p)
{
	struct alloc_arg *a = p;
	size_t i;

	for (i = 0; i < 40 && !a->rc; i++)
		a->rc = db_alloc_key(a->db, "conf", &a->keys[i]);
	return NULL;
}

static void t_alloc_contention(void)
{
	struct db *db = open_db();      /* one handle shared by both threads */
	struct alloc_arg a[2];
	pthread_t th[2];
	bool seen[81] = { false };
	uint32_t k;
	int i, j;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	for (i = 0; i < 2; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].db = db;
	}
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, alloc_thread, &a[i]);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(a[i].rc, 0);
		for (j = 0; j < 40; j++) {
			k = a[i].keys[j];
			CU_ASSERT_TRUE(k >= 1 && k <= 80);
			if (k >= 1 && k <= 80) {
				CU_ASSERT_FALSE(seen[k]);
				seen[k] = true;
			}
		}
	}
	CU_ASSERT_EQUAL(db_alloc_key(db, "conf", &k), 0);
	CU_ASSERT_EQUAL(k, 81);
	CU_ASSERT_EQUAL(db_alloc_key(db, "other", &k), 0);
	CU_ASSERT_EQUAL(k, 1);
	CU_ASSERT_EQUAL(db_alloc_key(db, "a/b", &k), -EINVAL);
	db_close(db);
}

static void t_compaction(void)
{
	struct db *db = open_db();
	struct collector c, c2;
	struct db_watch *w, *w2;
	uint64_t r0, r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	collector_init(&c);
	collector_init(&c2);
	CU_ASSERT_EQUAL(put_str(db, "/t/cmp/a", "1", &r0), 0);
	CU_ASSERT_EQUAL(put_str(db, "/t/cmp/b", "2", NULL), 0);
	CU_ASSERT_EQUAL(put_str(db, "/t/cmp/c", "3", &r), 0);
	CU_ASSERT_EQUAL(db_compact(db, r + 100), -EINVAL);      /* future */
	CU_ASSERT_EQUAL(db_compact(db, r), 0);
	CU_ASSERT_EQUAL(db_compact(db, r), -ERANGE);            /* already */
	w = db_watch(db, "/t/cmp/", r0, collect, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(wait_events(&c, 1, 10000), 1);
	CU_ASSERT_EQUAL(c.evs[0].type, DB_EV_COMPACTED);
	CU_ASSERT_EQUAL(c.evs[0].revision, r);
	/* from the compaction revision itself, history is still there */
	w2 = db_watch(db, "/t/cmp/", r, collect, &c2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w2);
	CU_ASSERT_EQUAL(wait_events(&c2, 1, 10000), 1);
	CU_ASSERT_EQUAL(c2.evs[0].type, DB_EV_PUT);
	CU_ASSERT_STRING_EQUAL(c2.evs[0].key, "/t/cmp/c");
	usleep(200 * 1000);
	db_watch_cancel(w);
	db_watch_cancel(w2);
	CU_ASSERT_EQUAL(c.n, 1);                /* nothing after COMPACTED */
	collector_fini(&c);
	collector_fini(&c2);
	db_close(db);
}

/* Close with a live watch cancels it; open of bad URLs fails cleanly. */
static void t_lifecycle(void)
{
	struct db *db = open_db();
	struct collector c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	collector_init(&c);
	CU_ASSERT_PTR_NOT_NULL(db_watch(db, "/t/lc/", 0, collect, &c));
	db_close(db);
	collector_fini(&c);
	CU_ASSERT_PTR_NULL(db_open("nosuch:/x"));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(db_open("etcd://"));
	CU_ASSERT_PTR_NULL(db_open("etcd:127.0.0.1:1"));
	CU_ASSERT_PTR_NULL(db_open("rocksdb:"));
	CU_ASSERT_PTR_NULL(db_open(NULL));
	db_close(NULL);
	db_watch_cancel(NULL);
}

/* ---- etcd only: a process we can stop, restart and route around ----- */


static void check_sequence(struct collector *c, const char *prefix, int n)
{
	char key[64];
	int i;

	CU_ASSERT_EQUAL(c->n, (size_t)n);
	for (i = 0; i < n && (size_t)i < c->n; i++) {
		snprintf(key, sizeof(key), "%s%02d", prefix, i);
		CU_ASSERT_STRING_EQUAL(c->evs[i].key, key);
		if (i)
			CU_ASSERT_TRUE(c->evs[i].revision > c->evs[i - 1].revision);
	}
}

static void put_range(struct db *db, const char *prefix, int from, int to)
{
	char key[64];
	int i;

	for (i = from; i < to; i++) {
		snprintf(key, sizeof(key), "%s%02d", prefix, i);
		CU_ASSERT_EQUAL(put_str(db, key, "v", NULL), 0);
	}
}

static void t_etcd_watch_resume_restart(void)
{
	struct db *db = open_db();
	struct collector c;
	struct db_watch *w;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	collector_init(&c);
	w = db_watch(db, "/t/res/", 0, collect, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	put_range(db, "/t/res/", 0, 5);
	CU_ASSERT_EQUAL(wait_events(&c, 5, 10000), 5);
	test_etcd_stop(&etcd);                  /* the stream drops */
	usleep(300 * 1000);
	CU_ASSERT_EQUAL_FATAL(test_etcd_restart(&etcd), 0);
	put_range(db, "/t/res/", 5, 10);
	CU_ASSERT_EQUAL(wait_events(&c, 10, 20000), 10);
	usleep(500 * 1000);                     /* any duplicate would land now */
	db_watch_cancel(w);
	check_sequence(&c, "/t/res/", 10);
	collector_fini(&c);
	db_close(db);
}

static void t_etcd_watch_sigstop(void)
{
	struct db *db = open_db();
	struct collector c;
	struct db_watch *w;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	collector_init(&c);
	w = db_watch(db, "/t/stop/", 0, collect, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	put_range(db, "/t/stop/", 0, 3);
	CU_ASSERT_EQUAL(wait_events(&c, 3, 10000), 3);
	kill(etcd.pid, SIGSTOP);
	usleep(1500 * 1000);
	kill(etcd.pid, SIGCONT);
	put_range(db, "/t/stop/", 3, 6);
	CU_ASSERT_EQUAL(wait_events(&c, 6, 20000), 6);
	usleep(300 * 1000);
	db_watch_cancel(w);
	check_sequence(&c, "/t/stop/", 6);
	collector_fini(&c);
	db_close(db);
}

/* The first endpoint is dead: requests and watches move to the next one. */
static void t_etcd_failover(void)
{
	char url[256];
	struct collector c;
	struct db_watch *w;
	struct db_kv kv;
	struct db *db;

	snprintf(url, sizeof(url), "etcd://127.0.0.1:1,127.0.0.1:%d", etcd.client_port);
	db = db_open(url);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	collector_init(&c);
	w = db_watch(db, "/t/fo/", 0, collect, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(put_str(db, "/t/fo/a", "x", NULL), 0);
	CU_ASSERT_EQUAL(db_get(db, "/t/fo/a", &kv), 0);
	db_kv_clear(&kv);
	CU_ASSERT_EQUAL(wait_events(&c, 1, 10000), 1);
	db_watch_cancel(w);
	collector_fini(&c);
	db_close(db);
}

static int add_etcd_tests(CU_pSuite s)
{
	if (!CU_add_test(s, "etcd: an unrefreshed lease expires with its key",
			 t_etcd_lease_expiry) ||
	    !CU_add_test(s, "etcd: failover to the next endpoint", t_etcd_failover) ||
	    !CU_add_test(s, "etcd: watch survives SIGSTOP/SIGCONT", t_etcd_watch_sigstop) ||
	    !CU_add_test(s, "etcd: watch resumes after restart, no loss/dup",
			 t_etcd_watch_resume_restart))
		return -1;
	return 0;
}


/* ---- 3-member cluster: kill the leader --------------------------------- */

static void t_cluster_leader_kill(void)
{
	int leader = test_etcd_cluster_leader(&cluster), i;
	struct collector c;
	struct db_watch *w;
	struct db_kv kv;
	uint32_t k1, k2;
	char url[512];
	struct db *db;

	/* list the leader first, so requests and the watch stream start on the
	 * member that gets killed and must fail over */
	CU_ASSERT_TRUE_FATAL(leader >= 0);
	snprintf(url, sizeof(url), "etcd://127.0.0.1:%d", cluster.m[leader].client_port);
	for (i = 0; i < TEST_CLUSTER_SIZE; i++)
		if (i != leader)
			snprintf(url + strlen(url), sizeof(url) - strlen(url),
				 ",127.0.0.1:%d", cluster.m[i].client_port);
	db = db_open(url);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	collector_init(&c);
	w = db_watch(db, "/t/cl/", 0, collect, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	put_range(db, "/t/cl/", 0, 5);
	CU_ASSERT_EQUAL(db_alloc_key(db, "cl", &k1), 0);
	CU_ASSERT_EQUAL(wait_events(&c, 5, 10000), 5);
	CU_ASSERT_EQUAL(test_etcd_cluster_leader(&cluster), leader);
	test_etcd_stop(&cluster.m[leader]);     /* SIGTERM + wait: the leader is gone */
	put_range(db, "/t/cl/", 5, 10);          /* rides the election out */
	CU_ASSERT_EQUAL(db_alloc_key(db, "cl", &k2), 0);
	CU_ASSERT_EQUAL(k2, k1 + 1);
	CU_ASSERT_EQUAL(db_get(db, "/t/cl/09", &kv), 0);
	db_kv_clear(&kv);
	CU_ASSERT_EQUAL(wait_events(&c, 10, 30000), 10);
	usleep(500 * 1000);
	db_watch_cancel(w);
	check_sequence(&c, "/t/cl/", 10);
	CU_ASSERT_TRUE(test_etcd_cluster_leader(&cluster) >= 0);
	collector_fini(&c);
	db_close(db);
}

static int cluster_init(void)
{
	int rc = test_etcd_cluster_start(&cluster);

	if (rc)
		printf("\n cannot start the etcd cluster: %s\n", strerror(-rc));
	return rc ? -1 : 0;
}

static int cluster_fini(void)
{
	test_etcd_cluster_destroy(&cluster);
	return 0;
}

/* ---- suites --------------------------------------------------------- */

static int rocks_init(void)
{
	snprintf(rocks_dir, sizeof(rocks_dir), "/tmp/wyv-rocks-XXXXXX");
	if (!mkdtemp(rocks_dir))
		return -1;
	snprintf(cur_url, sizeof(cur_url), "rocksdb:%s/db", rocks_dir);
	return 0;
}

static int rocks_fini(void)
{
	return test_rm_rf(rocks_dir) ? -1 : 0;
}

static int etcd_init(void)
{
	int rc = test_etcd_start(&etcd);

	if (rc) {
		printf("\n cannot start etcd: %s\n", strerror(-rc));
		return -1;
	}
	snprintf(cur_url, sizeof(cur_url), "%s", etcd.url);
	return 0;
}

static int etcd_fini(void)
{
	test_etcd_destroy(&etcd);
	return 0;
}

static const struct {
	const char *name;
	void (*fn)(void);
} common_tests[] = {
	{ "put/get/delete", t_put_get_delete },
	{ "scan ordering", t_scan_order },
	{ "scan in pages", t_scan_pages },
	{ "memory held in the process, flush", t_mem_flush },
	{ "revisions monotonic", t_revisions },
	{ "txn all-or-nothing", t_txn },
	{ "watch replays history then live", t_watch_replay_live },
	{ "watch from now", t_watch_from_now },
	{ "alloc_key unique under contention", t_alloc_contention },
	{ "compaction reported", t_compaction },
	{ "lifecycle and bad urls", t_lifecycle },
	{ "lease: put, keepalive, revoke deletes", t_lease_revoke },
};

static int add_suite(const char *name, int (*init)(void), int (*fini)(void), bool etcd_only)
{
	CU_pSuite s = CU_add_suite(name, init, fini);
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < sizeof(common_tests) / sizeof(common_tests[0]); i++)
		if (!CU_add_test(s, common_tests[i].name, common_tests[i].fn))
			return -1;
	if (etcd_only && add_etcd_tests(s))
		return -1;
	if (!etcd_only &&
	    (!CU_add_test(s, "rocksdb: the change log compacts itself", t_rocks_log_self_compacts) ||
	     !CU_add_test(s, "rocksdb: no change log (replica)", t_rocks_no_log)))
		return -1;
	return 0;
}

int main(void)
{
	unsigned int failed;
	CU_pSuite cs;

	signal(SIGPIPE, SIG_IGN);
	test_etcd_cleanup_on_exit(&etcd);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (add_suite("db-rocksdb", rocks_init, rocks_fini, false) ||
	    add_suite("db-etcd", etcd_init, etcd_fini, true) ||
	    !(cs = CU_add_suite("db-etcd-cluster", cluster_init, cluster_fini)) ||
	    !CU_add_test(cs, "3 members: leader killed, no loss/dup", t_cluster_leader_kill)) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
		 CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
