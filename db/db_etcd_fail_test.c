/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_etcd_fail_test.c — etcd watches under failure, against real etcd
 * processes on loopback:
 *  - a member frozen with SIGSTOP (what a member cut off from the others
 *    looks like to a client: a TCP peer that never answers) is noticed by
 *    the watch's liveness probe and the watch fails over to another member;
 *    the time from the write to its delivery is printed and bounded (15 s);
 *  - history compacted while the watch is cut off: DB_EV_COMPACTED, and a
 *    rescan + re-watch converges;
 *  - etcd restored from a snapshot to an older revision: DB_EV_RESYNC (the
 *    revision went backwards), and a rescan converges to the restored state;
 *  - a scan larger than one page is one snapshot (paged, pinned revision). */
#include "db.h"
#include "db_test_util.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct test_etcd_cluster cl;
static struct test_etcd one;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct rec {
	pthread_mutex_t mu;
	int puts, compacted, resync;
	char last_key[64];
	char why[256];
	double t_last;
};

static void rec_cb(const struct db_event *ev, void *arg)
{
	struct rec *r = arg;

	pthread_mutex_lock(&r->mu);
	if (ev->type == DB_EV_PUT) {
		r->puts++;
		snprintf(r->last_key, sizeof(r->last_key), "%s", ev->key);
	} else if (ev->type == DB_EV_COMPACTED) {
		r->compacted++;
	} else if (ev->type == DB_EV_RESYNC) {
		r->resync++;
		snprintf(r->why, sizeof(r->why), "%s", db_last_error());
	}
	r->t_last = now_s();
	pthread_mutex_unlock(&r->mu);
}

/* Waits until *field (under r->mu) reaches n; the time it happened or -1. */
static double wait_field(struct rec *r, int *field, int n, double secs)
{
	double end = now_s() + secs, t = -1;

	while (now_s() < end) {
		pthread_mutex_lock(&r->mu);
		if (*field >= n)
			t = r->t_last;
		pthread_mutex_unlock(&r->mu);
		if (t >= 0)
			break;
		usleep(10 * 1000);
	}
	return t;
}

/* ---- cluster: partition (SIGSTOP) and compaction ---------------------- */
static int cl_init(void)
{
	int rc = test_etcd_cluster_start(&cl);

	if (rc)
		printf("\n cluster: %s\n", strerror(-rc));
	return rc ? 1 : 0;
}

static int cl_fini(void)
{
	test_etcd_cluster_destroy(&cl);
	return 0;
}

/* URL with member `first` first (the watch starts there), and one of the
 * others only. */
static void urls(int first, char *watch_url, size_t wn, char *other_url, size_t on)
{
	int a = (first + 1) % TEST_CLUSTER_SIZE, b = (first + 2) % TEST_CLUSTER_SIZE;

	snprintf(watch_url, wn, "etcd://127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d",
		 cl.m[first].client_port, cl.m[a].client_port, cl.m[b].client_port);
	snprintf(other_url, on, "etcd://127.0.0.1:%d,127.0.0.1:%d", cl.m[a].client_port,
		 cl.m[b].client_port);
}

static void t_partition_failover(void)
{
	int leader = test_etcd_cluster_leader(&cl);
	int victim = (leader + 1) % TEST_CLUSTER_SIZE;
	char wurl[256], ourl[256];
	struct rec r = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct db *wdb, *odb;
	struct db_watch *w;
	double t0, t1;

	CU_ASSERT_FATAL(leader >= 0);
	urls(victim, wurl, sizeof(wurl), ourl, sizeof(ourl));
	wdb = db_open(wurl);            /* default idle deadline (DB_WATCH_IDLE_MS) */
	odb = db_open(ourl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wdb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(odb);
	w = db_watch(wdb, "/fo/", 0, rec_cb, &r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(db_put(odb, "/fo/a", "1", 1, NULL), 0);
	CU_ASSERT(wait_field(&r, &r.puts, 1, 10) >= 0);
	/* freeze the member the watch is on */
	CU_ASSERT_EQUAL(kill(cl.m[victim].pid, SIGSTOP), 0);
	t0 = now_s();
	CU_ASSERT_EQUAL(db_put(odb, "/fo/b", "2", 1, NULL), 0);
	t1 = wait_field(&r, &r.puts, 2, 20);
	kill(cl.m[victim].pid, SIGCONT);
	CU_ASSERT(t1 >= 0);
	printf("\n   watch on a frozen follower: event delivered after %.2f s "
	       "(idle deadline %u ms)\n", t1 - t0, DB_WATCH_IDLE_MS);
	CU_ASSERT(t1 >= 0 && t1 - t0 < 15);
	CU_ASSERT_STRING_EQUAL(r.last_key, "/fo/b");
	CU_ASSERT_EQUAL(r.resync + r.compacted, 0);
	db_watch_cancel(w);
	db_close(wdb);
	db_close(odb);
}

static void t_partition_leader(void)
{
	int leader = test_etcd_cluster_leader(&cl);
	char wurl[256], ourl[256];
	struct rec r = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct db_opts o = { .watch_idle_ms = 3000 };
	struct db *wdb, *odb;
	struct db_watch *w;
	double t0, t1;

	CU_ASSERT_FATAL(leader >= 0);
	urls(leader, wurl, sizeof(wurl), ourl, sizeof(ourl));
	wdb = db_open_opts(wurl, &o, NULL, 0);
	odb = db_open(ourl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wdb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(odb);
	w = db_watch(wdb, "/fl/", 0, rec_cb, &r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	/* freeze the leader the watch is on: the others elect, the write
	 * waits for that, the watch notices and moves */
	CU_ASSERT_EQUAL(kill(cl.m[leader].pid, SIGSTOP), 0);
	t0 = now_s();
	CU_ASSERT_EQUAL(db_put(odb, "/fl/a", "1", 1, NULL), 0);
	printf("\n   write acknowledged %.2f s after the leader froze\n", now_s() - t0);
	t1 = wait_field(&r, &r.puts, 1, 20);
	kill(cl.m[leader].pid, SIGCONT);
	CU_ASSERT(t1 >= 0);
	printf("   watch on the frozen leader: event delivered after %.2f s "
	       "(idle deadline 3000 ms)\n", t1 - t0);
	CU_ASSERT(t1 >= 0 && t1 - t0 < 15);
	db_watch_cancel(w);
	db_close(wdb);
	db_close(odb);
}

static void t_compact_while_cut_off(void)
{
	int leader = test_etcd_cluster_leader(&cl);
	int victim = (leader + 2) % TEST_CLUSTER_SIZE;
	char wurl[256], ourl[256], key[32];
	struct rec r = { .mu = PTHREAD_MUTEX_INITIALIZER };
	/* the writes and the compaction must be done before the cut-off
	 * watch gives up on its member and moves: 6 s leaves room for a
	 * slow host or an election after the frozen-leader test */
	struct db_opts o = { .watch_idle_ms = 6000 };
	struct db *wdb, *odb;
	struct db_kv_list l;
	struct db_watch *w;
	uint64_t rev;
	double t0;
	int i;

	CU_ASSERT_FATAL(leader >= 0);
	urls(victim, wurl, sizeof(wurl), ourl, sizeof(ourl));
	wdb = db_open_opts(wurl, &o, NULL, 0);
	odb = db_open(ourl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(wdb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(odb);
	w = db_watch(wdb, "/cp/", 0, rec_cb, &r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	/* the watch is live and the cluster writes before the victim freezes */
	CU_ASSERT_EQUAL(db_put(odb, "/cp/live", "x", 1, NULL), 0);
	CU_ASSERT_FATAL(wait_field(&r, &r.puts, 1, 10) >= 0);
	pthread_mutex_lock(&r.mu);
	r.puts = 0;
	pthread_mutex_unlock(&r.mu);
	CU_ASSERT_EQUAL(kill(cl.m[victim].pid, SIGSTOP), 0);
	t0 = now_s();
	for (i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "/cp/%d", i);
		CU_ASSERT_EQUAL(db_put(odb, key, "x", 1, &rev), 0);
	}
	CU_ASSERT_EQUAL(db_compact(odb, rev), 0);
	printf("\n   writes and compaction done %.2f s after the member froze "
	       "(idle deadline 6000 ms)\n", now_s() - t0);
	CU_ASSERT(wait_field(&r, &r.compacted, 1, 20) >= 0);
	kill(cl.m[victim].pid, SIGCONT);
	CU_ASSERT_EQUAL(r.puts, 0);
	db_watch_cancel(w);
	/* what a consumer does: rescan, re-watch from the scan; converges */
	CU_ASSERT_EQUAL(db_scan(wdb, "/cp/", &l), 0);
	CU_ASSERT_EQUAL(l.n, 6);
	memset(&r, 0, sizeof(r));
	pthread_mutex_init(&r.mu, NULL);
	w = db_watch(wdb, "/cp/", l.revision + 1, rec_cb, &r);
	CU_ASSERT_PTR_NOT_NULL(w);
	CU_ASSERT_EQUAL(db_put(odb, "/cp/9", "x", 1, NULL), 0);
	CU_ASSERT(wait_field(&r, &r.puts, 1, 10) >= 0);
	CU_ASSERT_STRING_EQUAL(r.last_key, "/cp/9");
	db_kv_list_clear(&l);
	db_watch_cancel(w);
	db_close(wdb);
	db_close(odb);
}

/* ---- one member: restore from a snapshot; paged scans ----------------- */
static int one_init(void)
{
	test_etcd_cleanup_on_exit(&one);
	return test_etcd_start(&one) ? 1 : 0;
}

static int one_fini(void)
{
	test_etcd_destroy(&one);
	return 0;
}

static void t_restore_older(void)
{
	struct rec r = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct db_opts o = { .watch_idle_ms = 2000 };
	struct db *db = db_open_opts(one.url, &o, NULL, 0);
	struct db_kv_list l;
	struct db_watch *w;
	double t0, t1;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(db_put(db, "/rs/a", "1", 1, NULL), 0);
	CU_ASSERT_EQUAL(db_put(db, "/rs/b", "1", 1, NULL), 0);
	rc = test_sh(one.dir, "ETCDCTL_API=3 etcdctl --endpoints http://127.0.0.1:%d "
		     "snapshot save %s/snap.db", one.client_port, one.dir);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(db_put(db, "/rs/c", "1", 1, NULL), 0);
	CU_ASSERT_EQUAL(db_put(db, "/rs/a", "2", 1, NULL), 0);
	CU_ASSERT_EQUAL(db_delete(db, "/rs/b", NULL), 0);
	w = db_watch(db, "/rs/", 0, rec_cb, &r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	/* the operator restores yesterday's snapshot */
	test_etcd_stop(&one);
	rc = test_sh(one.dir, "rm -rf %s/data && ETCDCTL_API=3 etcdctl snapshot restore "
		     "%s/snap.db --data-dir %s/data --name %s --initial-cluster %s "
		     "--initial-cluster-token %s --initial-advertise-peer-urls "
		     "http://127.0.0.1:%d", one.dir, one.dir, one.dir, one.name, one.cluster,
		     one.token, one.peer_port);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	t0 = now_s();
	CU_ASSERT_EQUAL_FATAL(test_etcd_restart(&one), 0);
	t1 = wait_field(&r, &r.resync, 1, 15);
	CU_ASSERT(t1 >= 0);
	printf("\n   restored store: DB_EV_RESYNC %.2f s after the restart began (%s)\n",
	       t1 - t0, r.why);
	CU_ASSERT_EQUAL(r.puts, 0);     /* nothing of the old future delivered */
	db_watch_cancel(w);
	/* the rescan sees the restored state */
	CU_ASSERT_EQUAL(db_scan(db, "/rs/", &l), 0);
	CU_ASSERT_EQUAL(l.n, 2);
	if (l.n == 2) {
		CU_ASSERT_STRING_EQUAL(l.kvs[0].key, "/rs/a");
		CU_ASSERT_STRING_EQUAL(l.kvs[0].value, "1");
		CU_ASSERT_STRING_EQUAL(l.kvs[1].key, "/rs/b");
	}
	db_kv_list_clear(&l);
	db_close(db);
}

static void t_paged_scan(void)
{
	struct db_opts o = { .scan_page_keys = 1000 };
	struct db *db = db_open_opts(one.url, &o, NULL, 0);
	struct db_kv_list l;
	char key[32], val[32];
	int i, ok = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	/* 2500 keys = 3 pages of 1000, written 100 per txn */
	for (i = 0; i < 2500; i += 100) {
		struct db_op ops[100];
		char keys[100][32];
		bool done;
		uint64_t rev;

		for (int j = 0; j < 100; j++) {
			snprintf(keys[j], sizeof(keys[j]), "/pg/%05d", i + j);
			ops[j] = (struct db_op){ DB_OP_PUT, keys[j], "v", 1 };
		}
		CU_ASSERT_EQUAL_FATAL(db_txn(db, NULL, 0, ops, 100, &done, &rev), 0);
	}
	/* a neighbour prefix that must not leak in */
	CU_ASSERT_EQUAL(db_put(db, "/pg0", "x", 1, NULL), 0);
	CU_ASSERT_EQUAL(db_scan(db, "/pg/", &l), 0);
	CU_ASSERT_EQUAL(l.n, 2500);
	for (i = 0; i < (int)l.n && i < 2500; i++) {
		snprintf(key, sizeof(key), "/pg/%05d", i);
		snprintf(val, sizeof(val), "v");
		ok &= !strcmp(l.kvs[i].key, key) && !strcmp(l.kvs[i].value, val);
	}
	CU_ASSERT(ok);
	db_kv_list_clear(&l);
	db_close(db);
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	signal(SIGPIPE, SIG_IGN);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("etcd-partition", cl_init, cl_fini);
	if (!s || !CU_add_test(s, "frozen follower: watch fails over", t_partition_failover) ||
	    !CU_add_test(s, "frozen leader: watch fails over", t_partition_leader) ||
	    !CU_add_test(s, "compaction while cut off: compacted, rescan converges",
			 t_compact_while_cut_off))
		return 2;
	s = CU_add_suite("etcd-restore", one_init, one_fini);
	if (!s || !CU_add_test(s, "restored to an older revision: DB_EV_RESYNC",
			       t_restore_older) ||
	    !CU_add_test(s, "paged scan: 2500 keys, one snapshot", t_paged_scan))
		return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
		 CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
