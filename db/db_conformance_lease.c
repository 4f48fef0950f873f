/* SPDX-License-Identifier: BSD-3-Clause
 * db/db_conformance_lease.c — the conformance suite's lease tests (db.h
 * leases): put with a lease, keepalive, revoke deletes, on every driver;
 * expiry on etcd.  Part of db_conformance_test (db_conformance.h).
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <unistd.h>

#include "db_conformance.h"

/* Leases, as every driver has them: put with a lease, keepalive, revoke
 * deletes the key (a watcher sees the delete); an unknown lease is -ENOENT. */
void t_lease_revoke(void)
{
	struct db *db = open_db();
	struct collector c;
	struct db_watch *w;
	struct db_kv kv;
	int64_t id = 0, id2 = 0;
	unsigned ttl = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	collector_init(&c);
	CU_ASSERT_EQUAL(db_lease_grant(db, 0, &id), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(db_lease_grant(db, 30, &id), 0);
	CU_ASSERT_EQUAL_FATAL(db_lease_grant(db, 30, &id2), 0);
	CU_ASSERT_NOT_EQUAL(id, id2);
	w = db_watch(db, "/t/lease/", 0, collect, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_EQUAL(db_put_lease(db, "/t/lease/a", "x", 1, id, NULL), 0);
	CU_ASSERT_EQUAL(db_put_lease(db, "/t/lease/a", "y", 1, id, NULL), 0); /* again */
	CU_ASSERT_EQUAL(db_put_lease(db, "/t/lease/b", "z", 1, id2, NULL), 0);
	CU_ASSERT_EQUAL(db_lease_keepalive(db, id, &ttl), 0);
	CU_ASSERT(ttl > 0 && ttl <= 30);
	CU_ASSERT_EQUAL(db_get(db, "/t/lease/a", &kv), 0);
	db_kv_clear(&kv);
	CU_ASSERT_EQUAL(db_lease_revoke(db, id), 0);
	CU_ASSERT_EQUAL(db_get(db, "/t/lease/a", &kv), -ENOENT);
	CU_ASSERT_EQUAL(db_get(db, "/t/lease/b", &kv), 0); /* the other lease's */
	db_kv_clear(&kv);
	CU_ASSERT_EQUAL(wait_events(&c, 4, 5000), 4);
	if (c.n >= 4) {
		CU_ASSERT_EQUAL(c.evs[3].type, DB_EV_DELETE);
		CU_ASSERT_STRING_EQUAL(c.evs[3].key, "/t/lease/a");
	}
	/* a revoked lease is gone for keepalive and put */
	CU_ASSERT_EQUAL(db_lease_keepalive(db, id, NULL), -ENOENT);
	CU_ASSERT_EQUAL(db_put_lease(db, "/t/lease/c", "x", 1, id, NULL), -ENOENT);
	CU_ASSERT_EQUAL(db_get(db, "/t/lease/c", &kv), -ENOENT);
	CU_ASSERT_EQUAL(db_lease_revoke(db, id2), 0);
	db_watch_cancel(w);
	collector_fini(&c);
	db_close(db);
}

/* A lease nobody refreshes expires and takes its key with it (what tells
 * the other chassis that one is gone); one that is refreshed stays. */
void t_etcd_lease_expiry(void)
{
	struct db *db = open_db();
	struct db_kv kv;
	int64_t dead = 0, live = 0;
	int i, gone = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(db_lease_grant(db, 2, &dead), 0);
	CU_ASSERT_EQUAL_FATAL(db_lease_grant(db, 2, &live), 0);
	CU_ASSERT_EQUAL(db_put_lease(db, "/t/lexp/dead", "x", 1, dead, NULL), 0);
	CU_ASSERT_EQUAL(db_put_lease(db, "/t/lexp/live", "x", 1, live, NULL), 0);
	for (i = 0; i < 40 && !gone; i++) {  /* up to 10 s; etcd may raise a 2 s TTL */
		usleep(250000);
		CU_ASSERT_EQUAL(db_lease_keepalive(db, live, NULL), 0);
		if (db_get(db, "/t/lexp/dead", &kv) == -ENOENT)
			gone = 1;
		else
			db_kv_clear(&kv);
	}
	CU_ASSERT_TRUE(gone);
	CU_ASSERT_EQUAL(db_get(db, "/t/lexp/live", &kv), 0);
	db_kv_clear(&kv);
	CU_ASSERT_EQUAL(db_lease_keepalive(db, dead, NULL), -ENOENT);
	CU_ASSERT_EQUAL(db_put_lease(db, "/t/lexp/dead", "x", 1, dead, NULL), -ENOENT);
	CU_ASSERT_EQUAL(db_lease_revoke(db, live), 0);
	db_close(db);
}
