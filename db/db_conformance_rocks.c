/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_conformance_rocks.c — the conformance suite's RocksDB-only tests:
 * the change log compacts itself (db_opts.log_keep), and a store opened
 * without a log (db_opts.no_log, the controller's replica) refuses watches
 * and drops a log left from before; what a store holds in the process's
 * memory and its flush (db_mem, db_flush: RocksDB's memtables; etcd holds
 * none).  Part of db_conformance_test (db_conformance.h). */
#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_conformance.h"
#include "db_test_util.h"

static int put_n(struct db *db, const char *prefix, int n, uint64_t *rev)
{
	char key[64], val[16];
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%s%d", prefix, i % 7);
		snprintf(val, sizeof(val), "%d", i);
		int rc = db_put(db, key, val, strlen(val), rev);
		if (rc)
			return rc;
	}
	return 0;
}

/* With log_keep = 10, 40 writes leave the log with the last 10..20
 * revisions: a watch from the start is told COMPACTED, one from 10
 * revisions back gets every event since. */
void t_rocks_log_self_compacts(void)
{
	char dir[] = "/tmp/wyv-rlog-XXXXXX", url[128];
	struct db_opts o = { .log_keep = 10 };
	struct collector c, c2;
	uint64_t first = 0, rev = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(url, sizeof(url), "rocksdb:%s/db", dir);
	struct db *db = db_open_opts(url, &o, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	collector_init(&c);
	collector_init(&c2);
	CU_ASSERT_EQUAL(put_n(db, "/t/rl/", 1, &first), 0);
	CU_ASSERT_EQUAL(put_n(db, "/t/rl/", 39, &rev), 0);
	struct db_watch *w = db_watch(db, "/t/rl/", first, collect, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(wait_events(&c, 1, 10000), 1);
	CU_ASSERT_EQUAL(c.evs[0].type, DB_EV_COMPACTED);
	CU_ASSERT(c.evs[0].revision > first && c.evs[0].revision + 10 <= rev + 1);
	CU_ASSERT(c.evs[0].revision + 20 >= rev);       /* not more than 2x kept */
	struct db_watch *w2 = db_watch(db, "/t/rl/", rev - 9, collect, &c2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w2);
	CU_ASSERT_EQUAL(wait_events(&c2, 10, 10000), 10);
	CU_ASSERT_EQUAL(c2.evs[0].type, DB_EV_PUT);
	CU_ASSERT_EQUAL(c2.evs[0].revision, rev - 9);
	CU_ASSERT_EQUAL(c2.evs[9].revision, rev);
	db_watch_cancel(w);
	db_watch_cancel(w2);
	collector_fini(&c);
	collector_fini(&c2);
	db_close(db);
	test_rm_rf(dir);
}

/* no_log: data, revisions and transactions as usual, no watch (ENOTSUP);
 * opened again with a log, the history it did not keep is compacted away,
 * also the log written before it was opened without one. */
void t_rocks_no_log(void)
{
	char dir[] = "/tmp/wyv-rnolog-XXXXXX", url[128];
	struct db_opts nolog = { .no_log = true };
	struct collector c;
	uint64_t r0 = 0, r1 = 0, r2 = 0;
	struct db_kv kv;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(url, sizeof(url), "rocksdb:%s/db", dir);
	collector_init(&c);
	/* first with a log (a replica written by an older wyvernd) */
	struct db *db = db_open(url);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(put_n(db, "/t/nl/", 5, &r0), 0);
	db_close(db);
	db = db_open_opts(url, &nolog, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	errno = 0;
	CU_ASSERT_PTR_NULL(db_watch(db, "/t/nl/", 0, collect, &c));
	CU_ASSERT_EQUAL(errno, ENOTSUP);
	CU_ASSERT_EQUAL(put_n(db, "/t/nl/", 5, &r1), 0);
	CU_ASSERT_EQUAL(r1, r0 + 5);
	CU_ASSERT_EQUAL(db_get(db, "/t/nl/4", &kv), 0);
	CU_ASSERT_STRING_EQUAL(kv.value, "4");
	CU_ASSERT_EQUAL(kv.mod_revision, r1);
	db_kv_clear(&kv);
	db_close(db);
	/* with a log again: everything up to r1 was never kept */
	db = db_open(url);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL(put_n(db, "/t/nl/", 1, &r2), 0);
	struct db_watch *w = db_watch(db, "/t/nl/", 1, collect, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(wait_events(&c, 1, 10000), 1);
	CU_ASSERT_EQUAL(c.evs[0].type, DB_EV_COMPACTED);
	db_watch_cancel(w);
	collector_fini(&c);
	collector_init(&c);
	w = db_watch(db, "/t/nl/", r2, collect, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(wait_events(&c, 1, 10000), 1);
	CU_ASSERT_EQUAL(c.evs[0].type, DB_EV_PUT);
	CU_ASSERT_EQUAL(c.evs[0].revision, r2);
	db_watch_cancel(w);
	collector_fini(&c);
	db_close(db);
	test_rm_rf(dir);
}

/* RocksDB: writes sit in the memtable, db_mem counts them, db_flush sends
 * them to the files (the memtable empties, the values stay); etcd keeps
 * nothing in our process: -ENOTSUP, and its flush does nothing. */
void t_mem_flush(void)
{
	struct db *db = open_db();
	struct db_mem m;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	if (strncmp(conformance_url(), "etcd", 4) == 0) {
		CU_ASSERT_EQUAL(db_mem(db, &m), -ENOTSUP);
		CU_ASSERT_EQUAL(db_flush(db), 0);
		db_close(db);
		return;
	}
	static char val[1024];
	memset(val, 'm', sizeof(val) - 1);
	char key[64];
	for (int i = 0; i < 1500; i++) {
		snprintf(key, sizeof(key), "/t/mem/%04d", i);
		CU_ASSERT_EQUAL_FATAL(db_put(db, key, val, strlen(val), NULL), 0);
	}
	CU_ASSERT_EQUAL(db_mem(db, &m), 0);
	CU_ASSERT(m.memtables >= 1500 * 1024);
	CU_ASSERT_EQUAL(db_flush(db), 0);
	/* in the background: wait for it (10 s at most) */
	for (int i = 0; i < 1000 && db_mem(db, &m) == 0 && m.memtables >= 1500 * 1024; i++)
		usleep(10000);
	CU_ASSERT(m.memtables < 1500 * 1024);
	struct db_kv kv;
	CU_ASSERT_EQUAL(db_get(db, "/t/mem/1499", &kv), 0);
	CU_ASSERT_EQUAL(kv.value_len, strlen(val));
	db_kv_clear(&kv);
	db_close(db);
}
