/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_etcd_test.c — the local controller against real etcd processes
 * on loopback when etcd loses history:
 *  - etcd restored from a snapshot to an older revision: the watch reports
 *    DB_EV_RESYNC, the controller resyncs and its tables converge to the
 *    restored state (the port created after the snapshot disappears);
 *  - history compacted while the controller's member is frozen (SIGSTOP on
 *    one of 3 members): the watch fails over, gets DB_EV_COMPACTED, the
 *    controller resyncs and converges to the writes it missed;
 *  - an event the watch callback cannot queue (calloc fails: the test links
 *    with -Wl,--wrap=calloc and fails one call on the db watch thread) makes
 *    the controller resync and converge.
 * Single-threaded (control thread = main), EAL --no-huge. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <rte_eal.h>

#include "acl.h"
#include "db.h"
#include "db_test_util.h"
#include "lc.h"
#include "lc_priv.h"            /* struct lc_qev: the allocation to fail */
#include "lc_test_gen.h"
#include "mdl.h"
#include "nb.h"
#include "tables.h"
#include "test_eal_dir.h"

#define NET_A "{\"name\":\"A\",\"provider:network_type\":\"vxlan\"," \
	"\"provider:segmentation_id\":77}"
#define P1 "cccccccc-0000-4000-8000-0000000000e1"
#define P2 "cccccccc-0000-4000-8000-0000000000e2"
#define P3 "cccccccc-0000-4000-8000-0000000000e3"

static char tmp[128];
static unsigned n_made;

/* ---- fault injection: calloc of our own code (static libraries) -------- */
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
static pthread_t main_thread;
static int fail_watch_callocs;          /* atomic: callocs to fail */
static int failed_callocs;              /* atomic: how many were failed */

/* Fails the next calloc of a queue entry (struct lc_qev) off the main
 * thread: while the controller is connected and idle, that is watch_cb's,
 * on the db watch thread. */
void *__wrap_calloc(size_t n, size_t size)
{
	if (n == 1 && size == sizeof(struct lc_qev) &&
	    __atomic_load_n(&fail_watch_callocs, __ATOMIC_ACQUIRE) > 0 &&
	    !pthread_equal(pthread_self(), main_thread) &&
	    __atomic_sub_fetch(&fail_watch_callocs, 1, __ATOMIC_ACQ_REL) >= 0) {
		__atomic_add_fetch(&failed_callocs, 1, __ATOMIC_RELEASE);
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}

struct inst {
	struct dp_tables *t;
	struct lc *lc;
};

static int inst_start(struct inst *in, const char *url, unsigned idle_ms)
{
	static const char *const ifaces[] = { P1, P2, P3 };
	struct lc_config cfg;
	char name[32];

	memset(in, 0, sizeof(*in));
	snprintf(name, sizeof(name), "lce%u", n_made++);
	in->t = dp_tables_create(name, NULL, NULL, NULL);
	struct dp_acl *acl = dp_acl_create(name, NULL, NULL, NULL);
	if (in->t == NULL || acl == NULL)
		return -ENOMEM;
	dp_tables_set_acl(in->t, acl);
	lc_config_defaults(&cfg);
	snprintf(cfg.chassis, sizeof(cfg.chassis), "X");
	snprintf(cfg.vtep_ip, sizeof(cfg.vtep_ip), "192.0.2.1");
	snprintf(cfg.replica, sizeof(cfg.replica), "%s/rep%u", tmp, n_made++);
	snprintf(cfg.db_url, sizeof(cfg.db_url), "%s", url);
	cfg.db_watch_idle_ms = idle_ms;
	cfg.db_scan_page_keys = 4;      /* every resync in pages (lc.c) */
	in->lc = lc_create(&cfg, in->t);
	if (in->lc == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < 3; i++)
		lc_set_iface(in->lc, ifaces[i], (uint16_t)(i + 1));
	return lc_start(in->lc);
}

static void inst_stop(struct inst *in)
{
	lc_destroy(in->lc);
	struct dp_acl *acl = in->t ? dp_tables_get_acl(in->t) : NULL;
	if (in->t)
		dp_tables_set_acl(in->t, NULL);
	dp_acl_destroy(acl);
	dp_tables_destroy(in->t);
	memset(in, 0, sizeof(*in));
}

/* Runs the controller until it is connected with n_lports local ports and
 * at least `resyncs` resyncs, or secs pass.  0 / -ETIMEDOUT. */
static int run_until(struct inst *in, unsigned n_lports, uint64_t resyncs, double secs)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct lc_stats st;
		struct pollfd p = { .fd = lc_fd(in->lc), .events = POLLIN };
		poll(&p, 1, 20);
		lc_run(in->lc);
		lc_get_stats(in->lc, &st);
		if (st.connected && st.resyncs >= resyncs &&
		    dp_tables_n_lports(in->t) == n_lports)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 > secs) {
			printf("\n   timeout: connected %d resyncs %llu lports %u (%s)\n",
			       st.connected, (unsigned long long)st.resyncs,
			       dp_tables_n_lports(in->t), st.last_error);
			return -ETIMEDOUT;
		}
	}
}

/* Waits until n port-status keys are in the store (lc_status.c). */
static int wait_status_keys(struct db *db, size_t n, double secs)
{
	for (int i = 0; i < (int)(secs * 10); i++) {
		struct db_kv_list l;
		size_t k = 0;
		if (db_scan(db, "/wyvern/v1/_status/", &l) == 0) {
			for (size_t j = 0; j < l.n; j++)
				k += strstr(l.kvs[j].key, "/port/") != NULL;
			db_kv_list_clear(&l);
		}
		if (k >= n)
			return 0;
		usleep(100000);
	}
	return -ETIMEDOUT;
}

static int port(struct db *db, const char *id, const char *net)
{
	return create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":\"%s\","
			   "\"binding:host_id\":\"X\",\"name\":\"%s\"}", id, net, id + 30);
}

static void t_restore(void)
{
	struct test_etcd e;
	struct inst x;
	char net[MDL_ID_SIZE];
	struct db *db;

	test_etcd_cleanup_on_exit(&e);
	CU_ASSERT_EQUAL_FATAL(test_etcd_start(&e), 0);
	db = db_open(e.url);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, net, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(port(db, P1, net), 0);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, e.url, 2000), 0);
	CU_ASSERT_EQUAL_FATAL(run_until(&x, 1, 0, 15), 0);
	CU_ASSERT_EQUAL_FATAL(test_sh(e.dir, "ETCDCTL_API=3 etcdctl --endpoints "
				      "http://127.0.0.1:%d snapshot save %s/snap.db",
				      e.client_port, e.dir), 0);
	CU_ASSERT_EQUAL(port(db, P2, net), 0);
	CU_ASSERT_EQUAL(port(db, P3, net), 0);
	CU_ASSERT_EQUAL(run_until(&x, 3, 0, 15), 0);
	/* let the chassis finish reporting the ports' status: a write still
	 * in flight when etcd stops is retried by the driver and lands in the
	 * restored store, moving its revision up to what the watch saw, which
	 * is the one thing revision-based detection cannot see (db/DESIGN.md) */
	CU_ASSERT_EQUAL(wait_status_keys(db, 3, 15), 0);
	/* restore the snapshot: P2 and P3 never happened */
	test_etcd_stop(&e);
	CU_ASSERT_EQUAL_FATAL(test_sh(e.dir, "rm -rf %s/data && ETCDCTL_API=3 etcdctl "
		"snapshot restore %s/snap.db --data-dir %s/data --name %s --initial-cluster %s "
		"--initial-cluster-token %s --initial-advertise-peer-urls http://127.0.0.1:%d",
		e.dir, e.dir, e.dir, e.name, e.cluster, e.token, e.peer_port), 0);
	CU_ASSERT_EQUAL_FATAL(test_etcd_restart(&e), 0);
	CU_ASSERT_EQUAL(run_until(&x, 1, 1, 20), 0);
	/* and it keeps following the restored store */
	CU_ASSERT_EQUAL(port(db, P2, net), 0);
	CU_ASSERT_EQUAL(run_until(&x, 2, 1, 15), 0);
	inst_stop(&x);
	db_close(db);
	test_etcd_destroy(&e);
}

static void t_compact_cut_off(void)
{
	struct test_etcd_cluster c;
	char url[256], others[256], net[MDL_ID_SIZE];
	struct inst x;
	struct db *db;
	int victim, a, b;
	uint64_t rev;

	CU_ASSERT_EQUAL_FATAL(test_etcd_cluster_start(&c), 0);
	victim = (test_etcd_cluster_leader(&c) + 1) % TEST_CLUSTER_SIZE;
	a = (victim + 1) % TEST_CLUSTER_SIZE;
	b = (victim + 2) % TEST_CLUSTER_SIZE;
	snprintf(url, sizeof(url), "etcd://127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d",
		 c.m[victim].client_port, c.m[a].client_port, c.m[b].client_port);
	snprintf(others, sizeof(others), "etcd://127.0.0.1:%d,127.0.0.1:%d",
		 c.m[a].client_port, c.m[b].client_port);
	db = db_open(others);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, net, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(port(db, P1, net), 0);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, url, 2000), 0);
	CU_ASSERT_EQUAL_FATAL(run_until(&x, 1, 0, 15), 0);
	/* the controller's member freezes; the others go on and compact */
	CU_ASSERT_EQUAL(kill(c.m[victim].pid, SIGSTOP), 0);
	CU_ASSERT_EQUAL(port(db, P2, net), 0);
	CU_ASSERT_EQUAL(port(db, P3, net), 0);
	CU_ASSERT_EQUAL(db_revision(db, &rev), 0);
	CU_ASSERT_EQUAL(db_compact(db, rev), 0);
	CU_ASSERT_EQUAL(run_until(&x, 3, 1, 20), 0);
	kill(c.m[victim].pid, SIGCONT);
	inst_stop(&x);
	db_close(db);
	test_etcd_cluster_destroy(&c);
}

static void t_lost_event(void)
{
	struct test_etcd e;
	struct inst x;
	char net[MDL_ID_SIZE];
	struct db *db;

	test_etcd_cleanup_on_exit(&e);
	CU_ASSERT_EQUAL_FATAL(test_etcd_start(&e), 0);
	db = db_open(e.url);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, net, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(port(db, P1, net), 0);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, e.url, 2000), 0);
	CU_ASSERT_EQUAL_FATAL(run_until(&x, 1, 0, 15), 0);
	/* the next queue entry of the watch cannot be allocated */
	__atomic_store_n(&fail_watch_callocs, 1, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(port(db, P2, net), 0);
	CU_ASSERT_EQUAL(run_until(&x, 2, 1, 15), 0);
	CU_ASSERT_EQUAL(__atomic_load_n(&failed_callocs, __ATOMIC_ACQUIRE), 1);
	/* and the new watch goes on */
	CU_ASSERT_EQUAL(port(db, P3, net), 0);
	CU_ASSERT_EQUAL(run_until(&x, 3, 1, 15), 0);
	__atomic_store_n(&fail_watch_callocs, 0, __ATOMIC_RELEASE);
	inst_stop(&x);
	db_close(db);
	test_etcd_destroy(&e);
}

int main(int argc, char **argv)
{
	char pfx[64];
	snprintf(pfx, sizeof(pfx), "lc_etcd_test_%d", getpid());
	char *eal[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-telemetry",
			"--file-prefix", pfx, "-l", "0", "--log-level", "error", NULL };
	(void)argc;
	main_thread = pthread_self();
	signal(SIGPIPE, SIG_IGN);
	if (rte_eal_init(12, eal) < 0)
		return 2;
	snprintf(tmp, sizeof(tmp), "/tmp/lc_etcd_test_XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("lc-etcd", NULL, NULL);
	CU_add_test(s, "etcd restored to an older revision: resync, converge", t_restore);
	CU_add_test(s, "compaction while cut off: resync, converge", t_compact_cut_off);
	CU_add_test(s, "an event lost to a failed allocation: resync, converge", t_lost_event);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	test_rm_rf(tmp);
	t_eal_cleanup();
	return fails ? 1 : 0;
}
