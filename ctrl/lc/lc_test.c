/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_test.c — local controller tests (CUnit).  The central db is a
 * RocksDB in a temp dir written through nb_*; each controller gets its own
 * tables (dp_tables_create, no PMDs) and replica dir.
 *  - property: random northbound streams; at checkpoints the incremental
 *    tables + replica equal a fresh controller's from-scratch compile;
 *  - selective distribution through a router;
 *  - restart from the replica while the central db (etcd) is down;
 *  - idempotency: old versions and old revisions change nothing;
 *  - bad values: garbage JSON and unsupported ports are counted, skipped;
 *  - security groups and NAT compiles: lc_test_sg_nat.c.
 * Harness (instances, sync, canonical dumps): lc_test_util.c.
 * Single-threaded test (control thread = main), EAL --no-huge.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>
#include <rte_eal.h>
#include <rte_ether.h>

#include "acl.h"
#include "db.h"
#include "lc.h"
#include "lc_test_gen.h"
#include "mdl.h"
#include "nb.h"
#include "tables.h"
#include "tables_l3.h"
#include "tables_nat.h"
#include "test_eal_dir.h"

#include "lc_priv.h"
#include "lc_test_util.h"

/* The flags and counts the batches left equal a full pass's. */
static void reach_agrees(struct lc *lc, const char *what, int step)
{
	char why[320] = "";
	bool ok = lc_reach_verify(lc, why, sizeof(why));
	if (!ok)
		printf("\n  %s step %d: reachability kept differs: %s\n", what, step, why);
	CU_ASSERT(ok);
}

/* ---- tests -------------------------------------------------------------- */
void t_property(void)
{
	static const unsigned seeds[] = { 1, 7, 42, 1234, 99, 2024 };
	for (size_t si = 0; si < sizeof(seeds) / sizeof(seeds[0]); si++) {
		struct db *db = central_open();
		struct gen g;
		struct inst a;
		CU_ASSERT_PTR_NOT_NULL_FATAL(db);
		gen_init(&g, db, seeds[si]);
		CU_ASSERT_EQUAL_FATAL(inst_start(&a, db, NULL, "X", NULL,
						 (const char *const *)g.iface_ptrs, GEN_IFACES), 0);
		unsigned checks = 0, ok_steps = 0;
		for (int step = 1; step <= 450; step++) {
			ok_steps += gen_step(&g) == 0;
			/* apply in small random batches (one change alone half of
			 * the time: the incremental paths), sometimes mid-stream */
			char what[64];
			snprintf(what, sizeof(what), "seed %u", seeds[si]);
			if (rand_r(&g.seed) % 2 == 0) {
				lc_run(a.lc);
				reach_agrees(a.lc, what, step);
			}
			if (step % 25 != 0)
				continue;
			CU_ASSERT_EQUAL_FATAL(inst_sync(&a, db), 0);
			reach_agrees(a.lc, what, step);
			snprintf(what, sizeof(what), "seed %u step %d", seeds[si], step);
			fresh_agrees(&a, db, (const char *const *)g.iface_ptrs, GEN_IFACES, what);
			checks++;
			printf("%s[%u n %u lp]", checks == 1 ? "\n  " : " ", dp_tables_n_networks(a.t),
			       dp_tables_n_lports(a.t));
		}
		struct lc_stats st;
		lc_get_stats(a.lc, &st);
		printf("\n  seed %u: %u/450 nb ops ok, %u checkpoints, %u indexed, held %u nets "
		       "%u ports, %u local, tables %u nets %u lports, events %llu/%llu ign, "
		       "reachability %llu full %llu by port\n",
		       seeds[si], ok_steps, checks, st.n_index, st.held[MDL_NETWORK],
		       st.held[MDL_PORT], st.n_local_ports, dp_tables_n_networks(a.t),
		       dp_tables_n_lports(a.t), (unsigned long long)st.events_applied,
		       (unsigned long long)st.events_ignored, (unsigned long long)st.reach_runs,
		       (unsigned long long)st.reach_ports);
		CU_ASSERT(ok_steps > 150);
		CU_ASSERT(st.reach_ports > 0);
		CU_ASSERT_EQUAL(st.table_errors, 0);
		inst_stop(&a);
		db_close(db);
	}
	printf("\n  ACL entries compared: %u\n", acl_lines);
	CU_ASSERT(acl_lines > 0);
}

static bool floods_to(struct inst *x, uint32_t net_key, const char *vtep)
{
	const struct dp_network *n = dp_table_network_get(x->t, net_key);
	struct in_addr a;
	inet_pton(AF_INET, vtep, &a);
	for (uint32_t i = 0; n != NULL && i < n->cfg.n_flood_vteps; i++)
		if (n->cfg.flood_vteps[i] == a.s_addr)
			return true;
	return false;
}

static void port_on(struct db *db, char id[MDL_ID_SIZE], const char *net, const char *sub,
		    const char *sg, const char *host, unsigned ip)
{
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, id, "{\"network_id\":\"%s\","
		"\"binding:host_id\":\"%s\",\"security_groups\":[\"%s\"],\"fixed_ips\":"
		"[{\"subnet_id\":\"%s\",\"ip_address\":\"10.7.0.%u\"}]}", net, host, sg, sub,
		ip), 0);
}

/* Ports created and deleted where their network, group and host are held
 * already: reachability follows those ports alone (no full pass) and the
 * flood pairs move by count; a host no held port named yet, or its last
 * port leaving, runs the full pass.  Each step is what a full pass and a
 * fresh controller give. */
void t_port_create_by_port(void)
{
	struct db *db = central_open();
	char net[MDL_ID_SIZE], sub[MDL_ID_SIZE], sg[MDL_ID_SIZE], id[MDL_ID_SIZE];
	char r[MDL_ID_SIZE], z[MDL_ID_SIZE], err[MDL_ERR_SIZE], why[320] = "";
	const char *local = "aaaaaaaa-0000-4000-8000-0000000000a1";
	struct lc_stats a, b;
	struct inst x;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(chassis_create(db, "Y", "192.0.2.22"), 0);
	CU_ASSERT_EQUAL_FATAL(chassis_create(db, "Z", "192.0.2.33"), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, net, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, sub, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"10.7.0.0/24\"}", net), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP, sg, "{\"name\":\"G\"}"), 0);
	snprintf(id, sizeof(id), "%s", local);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"X\",\"security_groups\":[\"%s\"]}", local,
		net, sg), 0);
	port_on(db, id, net, sub, sg, "Y", 10);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, &local, 1), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	uint32_t nk = dpkey(db, MDL_NETWORK, net);
	CU_ASSERT(floods_to(&x, nk, "192.0.2.22") && !floods_to(&x, nk, "192.0.2.33"));
	/* a second port on Y: by port; its lport is in */
	lc_get_stats(x.lc, &a);
	port_on(db, r, net, sub, sg, "Y", 11);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	lc_get_stats(x.lc, &b);
	CU_ASSERT_EQUAL(b.reach_runs, a.reach_runs);
	CU_ASSERT(b.reach_ports > a.reach_ports);
	CU_ASSERT_PTR_NOT_NULL(dp_table_lport_get(x.t, dpkey(db, MDL_PORT, r)));
	CU_ASSERT(lc_reach_verify(x.lc, why, sizeof(why)));
	/* a port on Z, which no held port named: the full pass holds Z's
	 * chassis, and Z joins the network's flood list */
	port_on(db, z, net, sub, sg, "Z", 12);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	lc_get_stats(x.lc, &a);
	CU_ASSERT(a.reach_runs > b.reach_runs);
	CU_ASSERT(floods_to(&x, nk, "192.0.2.33"));
	/* Z's last port goes: so do Z and its flood entry (a full pass) */
	uint32_t zk = dpkey(db, MDL_PORT, z);
	CU_ASSERT_EQUAL_FATAL(nb_delete(db, MDL_PORT, z, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	lc_get_stats(x.lc, &b);
	CU_ASSERT(b.reach_runs > a.reach_runs);
	CU_ASSERT(!floods_to(&x, nk, "192.0.2.33") && floods_to(&x, nk, "192.0.2.22"));
	CU_ASSERT_PTR_NULL(dp_table_lport_get(x.t, zk));
	/* r goes, q stays on Y: by port, Y still floods */
	uint32_t rk = dpkey(db, MDL_PORT, r);
	CU_ASSERT_EQUAL_FATAL(nb_delete(db, MDL_PORT, r, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	lc_get_stats(x.lc, &a);
	CU_ASSERT_EQUAL(a.reach_runs, b.reach_runs);
	CU_ASSERT_PTR_NULL(dp_table_lport_get(x.t, rk));
	CU_ASSERT(floods_to(&x, nk, "192.0.2.22"));
	CU_ASSERT(lc_reach_verify(x.lc, why, sizeof(why)));
	if (why[0])
		printf("\n  reachability kept differs: %s\n", why);
	fresh_agrees(&x, db, &local, 1, "ports by port");
	inst_stop(&x);
	db_close(db);
}

void t_selective(void)
{
	struct db *db = central_open();
	char na[MDL_ID_SIZE], nbid[MDL_ID_SIZE], sa[MDL_ID_SIZE], sb[MDL_ID_SIZE];
	char q[MDL_ID_SIZE], r[MDL_ID_SIZE], rt[MDL_ID_SIZE], err[MDL_ERR_SIZE];
	const char *p1 = "aaaaaaaa-0000-4000-8000-000000000001";
	struct inst x;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(chassis_create(db, "Y", "192.0.2.22"), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, na, "{\"name\":\"A\","
		"\"provider:network_type\":\"vxlan\",\"provider:segmentation_id\":10}"), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, nbid, "{\"name\":\"B\","
		"\"provider:network_type\":\"vxlan\",\"provider:segmentation_id\":11}"), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, sa, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"10.1.0.0/24\"}", na), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, sb, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"10.2.0.0/24\"}", nbid), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"X\"}", p1, na), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, q, "{\"network_id\":\"%s\","
		"\"binding:host_id\":\"Y\"}", na), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, r, "{\"network_id\":\"%s\","
		"\"binding:host_id\":\"Y\"}", nbid), 0);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, &p1, 1), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	uint32_t ka = dpkey(db, MDL_NETWORK, na), kb = dpkey(db, MDL_NETWORK, nbid);
	uint32_t kp1 = dpkey(db, MDL_PORT, p1), kq = dpkey(db, MDL_PORT, q);
	uint32_t kr = dpkey(db, MDL_PORT, r);
	CU_ASSERT_PTR_NOT_NULL(dp_table_network_get(x.t, ka));
	CU_ASSERT_PTR_NULL(dp_table_network_get(x.t, kb));
	const struct dp_lport *lp = dp_table_lport_get(x.t, kp1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lp);
	CU_ASSERT_EQUAL(lp->cfg.dp_port, 1);
	lp = dp_table_lport_get(x.t, kq);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lp);
	CU_ASSERT_EQUAL(lp->cfg.dp_port, DP_NO_PORT);
	CU_ASSERT_EQUAL(lp->cfg.remote_vtep, inet_addr("192.0.2.22"));
	CU_ASSERT_PTR_NULL(dp_table_lport_get(x.t, kr));
	CU_ASSERT_TRUE(replica_has(&x, sa));
	CU_ASSERT_FALSE(replica_has(&x, nbid));
	CU_ASSERT_FALSE(replica_has(&x, sb));
	CU_ASSERT_FALSE(replica_has(&x, r));

	/* a router joins A and B: X now holds B */
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_ROUTER, rt, "{\"name\":\"r\",\"interfaces\":["
		"{\"subnet_id\":\"%s\",\"ip_address\":\"10.1.0.1\"},"
		"{\"subnet_id\":\"%s\",\"ip_address\":\"10.2.0.1\"}]}", sa, sb), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_PTR_NOT_NULL(dp_table_network_get(x.t, kb));
	if (dp_table_network_get(x.t, kb) == NULL) {
		struct lc_stats s0;
		uint64_t rv = 0;
		db_revision(db, &rv);
		lc_get_stats(x.lc, &s0);
		char *d = dump(&x, true);
		printf("\nDEBUG rev %llu applied %llu ev %llu/%llu syncs %llu idx %u\n%s",
		       (unsigned long long)rv, (unsigned long long)s0.applied_revision,
		       (unsigned long long)s0.events_applied, (unsigned long long)s0.events_ignored,
		       (unsigned long long)s0.syncs, s0.n_index, d);
		free(d);
	}
	lp = dp_table_lport_get(x.t, kr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lp);
	CU_ASSERT_EQUAL(lp->cfg.dp_port, DP_NO_PORT);
	CU_ASSERT_EQUAL(lp->cfg.remote_vtep, inet_addr("192.0.2.22"));
	CU_ASSERT_TRUE(replica_has(&x, nbid));
	CU_ASSERT_TRUE(replica_has(&x, sb));
	CU_ASSERT_TRUE(replica_has(&x, r));
	CU_ASSERT_TRUE(replica_has(&x, rt));

	/* router gone: B dropped again */
	CU_ASSERT_EQUAL_FATAL(nb_delete(db, MDL_ROUTER, rt, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_PTR_NULL(dp_table_network_get(x.t, kb));
	CU_ASSERT_PTR_NULL(dp_table_lport_get(x.t, kr));
	CU_ASSERT_PTR_NOT_NULL(dp_table_network_get(x.t, ka));
	CU_ASSERT_FALSE(replica_has(&x, nbid));
	CU_ASSERT_FALSE(replica_has(&x, sb));
	CU_ASSERT_FALSE(replica_has(&x, r));
	CU_ASSERT_FALSE(replica_has(&x, rt));
	struct lc_stats st;
	lc_get_stats(x.lc, &st);
	CU_ASSERT_EQUAL(st.n_local_ports, 1);
	CU_ASSERT_EQUAL(st.held[MDL_NETWORK], 1);
	inst_stop(&x);
	db_close(db);
}

void t_restart(void)
{
	struct db *db = central_open();
	char na[MDL_ID_SIZE], sa[MDL_ID_SIZE];
	const char *p1 = "bbbbbbbb-0000-4000-8000-000000000001";
	struct inst x;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, na, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, sa, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"10.9.0.0/24\"}", na), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"X\",\"fixed_ips\":[{\"subnet_id\":\"%s\","
		"\"ip_address\":\"10.9.0.5\"}]}", p1, na, sa), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"network_id\":\"%s\","
		"\"binding:host_id\":\"Z\"}", na), 0);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, &p1, 1), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	char rep[256];
	snprintf(rep, sizeof(rep), "%s", x.replica);
	char *before = dump(&x, true);
	CU_ASSERT_EQUAL(dp_tables_n_lports(x.t), 2);
	inst_stop(&x);

	/* central db unreachable: tables come from the replica at once */
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, NULL, "etcd://127.0.0.1:1", "X", rep, &p1, 1), 0);
	char *after = dump(&x, true);
	CU_ASSERT_STRING_EQUAL(before, after);
	CU_ASSERT_EQUAL(dp_tables_n_lports(x.t), 2);
	CU_ASSERT_EQUAL(dp_tables_n_networks(x.t), 1);
	lc_run(x.lc);
	struct lc_stats st;
	lc_get_stats(x.lc, &st);
	CU_ASSERT_FALSE(st.connected);
	free(before);
	free(after);
	inst_stop(&x);   /* the sync thread is stuck in etcd retries: detached */
	db_close(db);
}

/* A network's flood list has no fixed bound: 100 remote chassis each host
 * one of its ports, every VTEP is in the list, and one leaving is dropped. */
void t_flood_many(void)
{
	struct db *db = central_open();
	char na[MDL_ID_SIZE], pid[MDL_ID_SIZE], err[MDL_ERR_SIZE];
	const char *p1 = "aaaaaaaa-0000-4000-8000-0000000000f1";
	struct inst x;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, na, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"X\"}", p1, na), 0);
	for (unsigned i = 0; i < 100; i++) {
		char name[16], vtep[32];
		snprintf(name, sizeof(name), "H%u", i);
		snprintf(vtep, sizeof(vtep), "198.18.%u.%u", i / 200, 1 + i % 200);
		CU_ASSERT_EQUAL_FATAL(chassis_create(db, name, vtep), 0);
		CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, pid, "{\"network_id\":\"%s\","
			"\"binding:host_id\":\"%s\"}", na, name), 0);
	}
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, &p1, 1), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	const struct dp_network *n = dp_table_network_get(x.t, dpkey(db, MDL_NETWORK, na));
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL(n->cfg.n_flood_vteps, 100);
	CU_ASSERT(dp_network_has_vtep(n, inet_addr("198.18.0.1")));
	CU_ASSERT(dp_network_has_vtep(n, inet_addr("198.18.0.100")));
	/* the last port created (on H99, 198.18.0.100) goes */
	CU_ASSERT_EQUAL_FATAL(nb_delete(db, MDL_PORT, pid, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	n = dp_table_network_get(x.t, dpkey(db, MDL_NETWORK, na));
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL(n->cfg.n_flood_vteps, 99);
	CU_ASSERT(!dp_network_has_vtep(n, inet_addr("198.18.0.100")));
	CU_ASSERT(dp_network_has_vtep(n, inet_addr("198.18.0.99")));
	inst_stop(&x);
	db_close(db);
}

void t_idempotent(void)
{
	struct db *db = central_open();
	char na[MDL_ID_SIZE], key[128], err[MDL_ERR_SIZE];
	const char *p1 = "cccccccc-0000-4000-8000-000000000001";
	struct inst x;
	struct mdl_hdr *h;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, na, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"X\",\"name\":\"v1\"}", p1, na), 0);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, &p1, 1), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_PORT, p1, &h, NULL), 0);
	char *v1 = mdl_obj_to_string(h);
	snprintf(mdl_hdr_to_port(h)->name, MDL_NAME_SIZE, "v2");
	snprintf(mdl_hdr_to_port(h)->mac_address, MDL_MAC_SIZE, "fa:16:3e:00:00:99");
	CU_ASSERT_EQUAL_FATAL(nb_update(db, h, 0, NULL, err, sizeof(err)), 0);
	mdl_obj_free(h);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	char *d1 = dump(&x, true);
	CU_ASSERT_PTR_NOT_NULL(strstr(d1, "name=v2"));
	struct lc_stats s1, s2;
	lc_get_stats(x.lc, &s1);
	nb_key(MDL_PORT, p1, key, sizeof(key));
	/* old revision re-delivered (delete and put): ignored */
	lc_inject(x.lc, LC_EV_DELETE, key, NULL, 2);
	lc_inject(x.lc, LC_EV_PUT, key, v1, 3);
	char *d2 = dump(&x, true);
	CU_ASSERT_STRING_EQUAL(d1, d2);
	lc_get_stats(x.lc, &s2);
	CU_ASSERT_EQUAL(s2.events_ignored, s1.events_ignored + 2);
	CU_ASSERT_EQUAL(s2.events_applied, s1.events_applied);
	/* an older revision_number under a newer mod_revision is applied: order
	 * is the db's, not the writer's JSON field */
	lc_inject(x.lc, LC_EV_PUT, key, v1, s1.applied_revision + 1);
	char *d3 = dump(&x, true);
	CU_ASSERT_PTR_NOT_NULL(strstr(d3, "name=v1"));
	free(d3);
	/* and the live stream continues normally */
	CU_ASSERT_EQUAL_FATAL(nb_delete(db, MDL_PORT, p1, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(dp_tables_n_lports(x.t), 0);
	CU_ASSERT_EQUAL(dp_tables_n_networks(x.t), 0);
	free(v1);
	free(d1);
	free(d2);
	inst_stop(&x);
	db_close(db);
}

void t_bad_values(void)
{
	struct db *db = central_open();
	char na[MDL_ID_SIZE], key[128], sa[MDL_ID_SIZE];
	const char *p1 = "dddddddd-0000-4000-8000-000000000001";
	const char *bad = "dddddddd-0000-4000-8000-00000000000b";
	const char *many = "dddddddd-0000-4000-8000-00000000000c";
	struct inst x;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, na, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, sa, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"10.7.0.0/24\"}", na), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"X\"}", p1, na), 0);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, &p1, 1), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	char *d0 = dump(&x, false);
	/* garbage JSON */
	nb_key(MDL_PORT, bad, key, sizeof(key));
	CU_ASSERT_EQUAL_FATAL(db_put(db, key, "{garbage", 8, NULL), 0);
	/* a port with 9 fixed IPs (more than the tables take), written raw */
	char json[4096];
	int o = snprintf(json, sizeof(json), "{\"id\":\"%s\",\"dp_key\":9999,\"revision_number\":1,"
			 "\"network_id\":\"%s\",\"mac_address\":\"fa:16:3e:00:00:0c\","
			 "\"fixed_ips\":[", many, na);
	for (int i = 0; i < 9; i++)
		o += snprintf(json + o, sizeof(json) - (size_t)o,
			      "%s{\"subnet_id\":\"%s\",\"ip_address\":\"10.7.0.%d\"}", i ? "," : "",
			      sa, 10 + i);
	snprintf(json + o, sizeof(json) - (size_t)o, "]}");
	nb_key(MDL_PORT, many, key, sizeof(key));
	CU_ASSERT_EQUAL_FATAL(db_put(db, key, json, strlen(json), NULL), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	struct lc_stats st;
	lc_get_stats(x.lc, &st);
	CU_ASSERT_EQUAL(st.bad_total, 2);
	CU_ASSERT_EQUAL(st.n_bad, 2);
	char *d1 = dump(&x, false);
	CU_ASSERT_STRING_EQUAL(d0, d1);
	fresh_agrees(&x, db, &p1, 1, "bad db values");
	free(d0);
	free(d1);
	inst_stop(&x);
	db_close(db);
}

/* device_owner decides which ports may send DHCP server messages (dhcp_server)
 * and RAs / redirects (router); port security in the datapath reads both. */
void t_device_owner(void)
{
	struct db *db = central_open();
	char na[MDL_ID_SIZE];
	static const char *const ids[4] = { "eeeeeeee-0000-4000-8000-000000000001",
					    "eeeeeeee-0000-4000-8000-000000000002",
					    "eeeeeeee-0000-4000-8000-000000000003",
					    "eeeeeeee-0000-4000-8000-000000000004" };
	static const char *const owners[4] = { "compute:nova", "network:dhcp",
					       "network:router_interface_distributed",
					       "network:ha_router_replicated_interface" };
	struct inst x;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, na, NET_A), 0);
	for (unsigned i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
			"\"%s\",\"binding:host_id\":\"X\",\"device_owner\":\"%s\"}", ids[i], na,
			owners[i]), 0);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, ids, 4), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	static const bool dhcp[4] = { false, true, false, false }, router[4] = { false, false, true, true };
	for (unsigned i = 0; i < 4; i++) {
		const struct dp_lport *lp = dp_table_lport_get(x.t, dpkey(db, MDL_PORT, ids[i]));
		CU_ASSERT_PTR_NOT_NULL_FATAL(lp);
		CU_ASSERT_EQUAL(lp->cfg.dhcp_server, dhcp[i]);
		CU_ASSERT_EQUAL(lp->cfg.router, router[i]);
	}
	inst_stop(&x);
	db_close(db);
}

/* Chassis ids are derived from the name and written into the database and
 * the etcd roles (scripts/etcd-roles.sh computes the same): they never change. */
static void t_chassis_uuid(void)
{
	char id[MDL_ID_SIZE];
	mdl_chassis_id("host1", id);
	CU_ASSERT_STRING_EQUAL(id, "d41b0e58-68d6-5614-a450-7168da547a9f");
	char cmd[128], out[128] = "";
	snprintf(cmd, sizeof(cmd), "../scripts/etcd-roles.sh chassis-key wyv-x1 2>/dev/null");
	FILE *f = popen(cmd, "r");
	if (f != NULL) {
		if (fgets(out, sizeof(out), f) == NULL)
			out[0] = 0;
		pclose(f);
	}
	mdl_chassis_id("wyv-x1", id);
	char want[160];
	snprintf(want, sizeof(want), "/wyvern/v1/chassis/%s\n", id);
	CU_ASSERT_STRING_EQUAL(out, want);
}

int main(int argc, char **argv)
{
	char pfx[64];
	snprintf(pfx, sizeof(pfx), "lc_test_%d", getpid());
	char *eal[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-telemetry",
			"--file-prefix", pfx, "-l", "0", "--log-level", "error", NULL };
	(void)argc;
	if (rte_eal_init(12, eal) < 0)
		return 2;
	snprintf(tmp, sizeof(tmp), "/tmp/lc_test_XXXXXX");
	if (mkdtemp(tmp) == NULL)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("lc", NULL, NULL);
	if (getenv("LC_TEST_ONLY_SELECTIVE")) {
		CU_add_test(s, "selective distribution via router", t_selective);
		CU_basic_run_tests();
		return CU_get_number_of_failures() ? 1 : 0;
	}
	CU_add_test(s, "chassis id from its name (as etcd-roles.sh)", t_chassis_uuid);
	CU_add_test(s, "selective distribution via router", t_selective);
	CU_add_test(s, "idempotent / out of order", t_idempotent);
	CU_add_test(s, "flood list of 100 remote chassis", t_flood_many);
	CU_add_test(s, "bad db values", t_bad_values);
	CU_add_test(s, "device_owner: DHCP server and router ports", t_device_owner);
	CU_add_test(s, "security groups: no-group ports, per-group recompile", t_sg_incremental);
	CU_add_test(s, "restart from replica, central down", t_restart);
	CU_add_test(s, "router gateway and floating IP -> L3 and NAT tables", t_nat);
	CU_add_test(s, "gateway SNAT: election, failover, the gateway IP here", t_nat_gateway);
	CU_add_test(s, "DHCP: index of the local lports, 1500 ports, delete, re-key, move", t_dhcp_index);
	CU_add_test(s, "a batch of port updates works on those ports", t_port_batch);
	CU_add_test(s, "ports created and deleted: reachability by port", t_port_create_by_port);
	CU_add_test(s, "a member's new address in a batch without reach", t_sg_batch);
	CU_add_test(s, "address sets only for the groups local rules read", t_sg_sets_read);
	CU_add_test(s, "ports as records: round trip, shared strings, none left", t_port_records);
	CU_add_test(s, "port records: binary MAC and IPs, other text kept as written",
		    t_port_text_forms);
	CU_add_test(s, "time slice: passes stop between revisions", t_time_slice);
	CU_add_test(s, "yield: punts served inside a long pass", t_yield);
	CU_add_test(s, "a snapshot in pages: compiled at its end, a restart voids", t_snapshot_pages);
	CU_add_test(s, "a replica write that fails: the next batch repairs it",
		    t_replica_fail);
	CU_add_test(s, "property: incremental == from scratch", t_property);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (fails == 0 && system(cmd) != 0)
		fails = 0;
	t_eal_cleanup();
	return fails ? 1 : 0;
}
