/* scripts/bench/cp_lcbench.c — northbound change -> datapath table latency
 * of the local controller, in one process (built by cp.sh, not by meson).
 *
 * Why in-process: the embedded RocksDB driver locks its directory, so while
 * wyvernd's controller has the central db open nothing else can write it,
 * and wyvernd has no northbound write path yet.  This program runs the SAME
 * controller code (ctrl/lc/lc*.c from $BUILD/ctrl/lc/libwyvctrl_lc.a) with the same
 * db driver and the datapath table API, and drives it exactly like
 * wyvernd's main loop does (poll on lc_fd(), then lc_run(): ctrl_lc_poll).
 * It also works with an etcd URL (cross-check of the etcd figure).
 *
 *   cp_lcbench URL CHASSIS LOCAL_PORT_ID VICTIM_PORT_ID K REPLICA_DIR FILE_PREFIX
 *
 * Latency of change i = from just before db_txn() (the write of the
 * victim's new MAC, compare-and-swap on mod_revision, version + 1) to the
 * moment dp_table_fdb_lookup(network, new MAC) returns the victim's lport
 * key — the L2 table entry the PMDs read.  Prints
 * "ready_seconds=.. p50_ms=.. p99_ms=.. max_ms=.. n=K".
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_ether.h>

#include "db.h"
#include "lc.h"
#include "mdl.h"
#include "nb.h"
#include "tables.h"
#include "acl.h"
#include "tables_l3.h"
#include "tables_nat.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *v, int n, double p)
{
	int k = (int)(p / 100.0 * n + 0.5 + 0.5) - 1;
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return v[k];
}

static void pump(struct lc *lc, int timeout_ms)
{
	struct pollfd p = { .fd = lc_fd(lc), .events = POLLIN };
	if (poll(&p, 1, timeout_ms) > 0)
		lc_run(lc);
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: cp_lcbench URL CHASSIS LOCAL_ID VICTIM_ID K REPLICA PREFIX\n");
		return 2;
	}
	const char *url = argv[1], *victim_id = argv[4];
	int k = atoi(argv[5]);
	char *eal[] = { "cp_lcbench", "--no-huge", "-m", "256", "--no-pci", "-l", "0",
			"--file-prefix", argv[7], "--log-level", "lib.*:error", NULL };
	if (rte_eal_init(11, eal) < 0) {
		fprintf(stderr, "cp_lcbench: EAL init failed\n");
		return 1;
	}
	struct db *db = db_open(url);
	if (!db) {
		fprintf(stderr, "cp_lcbench: db_open %s: %s\n", url, strerror(errno));
		return 1;
	}
	uint64_t rev0 = 0;
	db_revision(db, &rev0);
	struct dp_tables *t = dp_tables_create("cpbench", NULL, NULL, NULL);
	/* the tables wyvernd has: security-group ACLs, L3, NAT (so the
	 * controller's compile of those is measured too) */
	struct dp_acl *acl = t ? dp_acl_create("cpbench", NULL, NULL, NULL) : NULL;
	if (acl == NULL || dp_l3_create("cpbench", t, NULL, NULL, NULL) == NULL ||
	    dp_nat_create("cpbench", t, NULL, NULL, NULL) == NULL) {
		fprintf(stderr, "cp_lcbench: no memory for the tables\n");
		return 1;
	}
	dp_tables_set_acl(t, acl);
	struct lc_config cfg;
	lc_config_defaults(&cfg);
	snprintf(cfg.chassis, sizeof(cfg.chassis), "%s", argv[2]);
	snprintf(cfg.vtep_ip, sizeof(cfg.vtep_ip), "192.0.2.1");
	snprintf(cfg.replica, sizeof(cfg.replica), "%s", argv[6]);
	snprintf(cfg.db_url, sizeof(cfg.db_url), "%s", url);
	cfg.db = db;
	struct lc *lc = t ? lc_create(&cfg, t) : NULL;
	if (!lc || lc_set_iface(lc, argv[3], 0) < 0 || lc_start(lc) < 0) {
		fprintf(stderr, "cp_lcbench: controller start failed\n");
		return 1;
	}
	double t0 = now();
	struct lc_stats st;
	for (;;) {
		pump(lc, 10);
		lc_get_stats(lc, &st);
		if (st.connected && st.applied_revision >= rev0)
			break;
		if (now() - t0 > 600) {
			fprintf(stderr, "cp_lcbench: not synced after 600 s (%s)\n", st.last_error);
			return 1;
		}
	}
	double ready = now() - t0;

	struct mdl_hdr *vh, *nh;
	uint64_t mod;
	if (nb_get(db, MDL_PORT, victim_id, &vh, &mod) != 0) {
		fprintf(stderr, "cp_lcbench: victim port %s not found\n", victim_id);
		return 1;
	}
	struct mdl_port *vp = mdl_hdr_to_port(vh);
	if (nb_get(db, MDL_NETWORK, vp->network_id, &nh, NULL) != 0) {
		fprintf(stderr, "cp_lcbench: victim network not found\n");
		return 1;
	}
	uint32_t net = nh->dp_key, lport = vh->dp_key;
	double *lat = calloc((size_t)k, sizeof(*lat));
	char key[160];
	nb_key(MDL_PORT, victim_id, key, sizeof(key));
	for (int i = 0; i < k; i++) {
		struct rte_ether_addr ea;
		snprintf(vp->mac_address, sizeof(vp->mac_address), "fa:18:00:%02x:%02x:%02x",
			 (i >> 16) & 255, (i >> 8) & 255, i & 255);
		rte_ether_unformat_addr(vp->mac_address, &ea);
		if (dp_table_fdb_lookup(t, net, ea.addr_bytes) == lport) {
			fprintf(stderr, "cp_lcbench: new MAC already in the table\n");
			return 1;
		}
		vh->version++;
		char *json = mdl_obj_to_string(vh);
		struct db_cmp cmp = { key, DB_CMP_EQUAL, mod };
		struct db_op op = { DB_OP_PUT, key, json, strlen(json) };
		bool ok = false;
		double s = now();
		int rc = db_txn(db, &cmp, 1, &op, 1, &ok, &mod);
		free(json);
		if (rc || !ok) {
			fprintf(stderr, "cp_lcbench: txn failed (%d, %d)\n", rc, ok);
			return 1;
		}
		while (dp_table_fdb_lookup(t, net, ea.addr_bytes) != lport) {
			pump(lc, 1);
			if (now() - s > 10) {
				fprintf(stderr, "cp_lcbench: change %d not applied after 10 s\n", i);
				return 1;
			}
		}
		lat[i] = (now() - s) * 1000;
	}
	qsort(lat, (size_t)k, sizeof(*lat), cmpd);
	printf("ready_seconds=%.3f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f n=%d\n", ready,
	       pct(lat, k, 50), pct(lat, k, 99), lat[k - 1], k);
	lc_get_stats(lc, &st);
	fprintf(stderr, "cp_lcbench: last batch: reach_us=%llu compile_us=%llu replica_us=%llu "
		"other_us=%llu batches=%llu\n", (unsigned long long)st.batch_reach_us,
		(unsigned long long)st.batch_compile_us, (unsigned long long)st.batch_replica_us,
		(unsigned long long)st.batch_other_us, (unsigned long long)st.batches);
	fflush(stdout);
	mdl_obj_free(vh);
	mdl_obj_free(nh);
	lc_destroy(lc);
	db_close(db);
	rte_eal_cleanup();
	return 0;
}
