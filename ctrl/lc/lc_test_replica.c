/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_test_replica.c — a replica write that fails (fault injection:
 * the test links with -Wl,--wrap=rocksdb_write and fails the next write
 * whose batch holds the replica's revision key): the tables move on, the
 * replica keeps its last cut, the next batch writes what the failed one
 * did not (lc_replica.c's retry), the replica ends equal to a fresh
 * controller's, and a restart from it forwards as before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <rocksdb/c.h>

#include "db.h"
#include "lc.h"
#include "lc_priv.h"        /* LC_REV_KEY */
#include "lc_test_gen.h"
#include "lc_test_util.h"
#include "nb.h"
#include "tables.h"

void __real_rocksdb_write(rocksdb_t *db, const rocksdb_writeoptions_t *o,
			  rocksdb_writebatch_t *b, char **errptr);
void __wrap_rocksdb_write(rocksdb_t *db, const rocksdb_writeoptions_t *o,
			  rocksdb_writebatch_t *b, char **errptr);

static int fail_replica_txns;   /* atomic: replica writes to fail */

/* RocksDB's C API is a shared library: the wrap holds with LTO, where a
 * wrap of our own db_txn would not (a call inside one LTO unit) */
void __wrap_rocksdb_write(rocksdb_t *db, const rocksdb_writeoptions_t *o,
			  rocksdb_writebatch_t *b, char **errptr)
{
	size_t len = 0;
	const char *rep = rocksdb_writebatch_data(b, &len);
	if (memmem(rep, len, LC_REV_KEY, strlen(LC_REV_KEY)) != NULL &&
	    __atomic_load_n(&fail_replica_txns, __ATOMIC_ACQUIRE) > 0 &&
	    __atomic_sub_fetch(&fail_replica_txns, 1, __ATOMIC_ACQ_REL) >= 0) {
		*errptr = strdup("IO error: injected by lc_test_replica.c");
		return;
	}
	__real_rocksdb_write(db, o, b, errptr);
}

void t_replica_fail(void)
{
	struct db *db = central_open();
	char na[MDL_ID_SIZE], nb2[MDL_ID_SIZE], sb[MDL_ID_SIZE], q[MDL_ID_SIZE];
	char err[MDL_ERR_SIZE];
	const char *p1 = "cccccccc-0000-4000-8000-000000000001";
	struct inst x;
	struct lc_stats st;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, na, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"X\"}", p1, na), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, q, "{\"network_id\":\"%s\","
		"\"binding:host_id\":\"Y\"}", na), 0);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, &p1, 1), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_TRUE(replica_has(&x, q));
	lc_get_stats(x.lc, &st);
	CU_ASSERT_EQUAL(st.replica_errors, 0);
	uint64_t txns0 = st.replica_txns;
	CU_ASSERT(txns0 > 0);

	/* the next write fails: a subnet of the local network */
	__atomic_store_n(&fail_replica_txns, 1, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, sb, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"10.8.0.0/24\"}", na), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	/* the tables moved on; the replica did not */
	CU_ASSERT_EQUAL(__atomic_load_n(&fail_replica_txns, __ATOMIC_ACQUIRE), 0);
	CU_ASSERT_FALSE(replica_has(&x, sb));
	lc_get_stats(x.lc, &st);
	CU_ASSERT_EQUAL(st.replica_errors, 1);

	/* the next batch (a port's new MAC: no reachability pass, so only
	 * what a batch changed would be looked at) writes what the failed one
	 * did not, too */
	struct mdl_hdr *h;
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_PORT, q, &h, NULL), 0);
	snprintf(mdl_hdr_to_port(h)->mac_address, sizeof(mdl_hdr_to_port(h)->mac_address),
		 "fa:16:3e:00:00:42");
	CU_ASSERT_EQUAL_FATAL(nb_update(db, h, 0, NULL, err, sizeof(err)), 0);
	mdl_obj_free(h);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_TRUE(replica_has(&x, sb));
	CU_ASSERT_TRUE(replica_has(&x, "fa:16:3e:00:00:42") || replica_has(&x, q));

	/* and then a port gone, a network that is not held */
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, nb2, "{\"name\":\"B\","
		"\"provider:network_type\":\"vxlan\",\"provider:segmentation_id\":88}"), 0);
	CU_ASSERT_EQUAL_FATAL(nb_delete(db, MDL_PORT, q, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_FALSE(replica_has(&x, q));
	CU_ASSERT_FALSE(replica_has(&x, nb2));
	CU_ASSERT_TRUE(replica_has(&x, sb));
	fresh_agrees(&x, db, &p1, 1, "after a failed replica write");
	lc_get_stats(x.lc, &st);
	CU_ASSERT_EQUAL(st.replica_errors, 1);
	CU_ASSERT(st.replica_txns >= txns0 + 2);

	/* a restart from that replica, the central db gone: same tables */
	char *before = dump(&x, true);
	char rep[256];
	snprintf(rep, sizeof(rep), "%s", x.replica);
	inst_stop(&x);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, NULL, "etcd://127.0.0.1:1", "X", rep, &p1, 1), 0);
	char *after = dump(&x, true);
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);
	inst_stop(&x);
	db_close(db);
}
