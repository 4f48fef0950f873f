/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_test.c — local controller tests (CUnit).  The central db is a
 * RocksDB in a temp dir written through nb_*; each controller gets its own
 * tables (dp_tables_create, no PMDs) and replica dir.
 *  - property: random northbound streams; at checkpoints the incremental
 *    tables + replica equal a fresh controller's from-scratch compile;
 *  - selective distribution through a router;
 *  - restart from the replica while the central db (etcd) is down;
 *  - idempotency: old versions and old revisions change nothing;
 *  - bad values: garbage JSON and unsupported ports are counted, skipped.
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

#define NET_A "{\"name\":\"A\",\"provider:network_type\":\"vxlan\"," \
	"\"provider:segmentation_id\":77}"

static char tmp[128];
static unsigned n_made;

struct inst {
	struct dp_tables *t;
	struct lc *lc;
	char replica[256];
};

static void fresh_dir(char *out, size_t len, const char *what)
{
	snprintf(out, len, "%s/%s%u", tmp, what, n_made++);
}

static int inst_start(struct inst *in, struct db *central, const char *url, const char *chassis,
		      const char *replica, const char *const *ifaces, unsigned n_if)
{
	char name[32];
	struct lc_config cfg;
	memset(in, 0, sizeof(*in));
	snprintf(name, sizeof(name), "lct%u", n_made++);
	in->t = dp_tables_create(name, NULL, NULL, NULL);
	if (in->t == NULL)
		return -ENOMEM;
	/* the security-group ACLs are compiled too (lc_compile_sg.c) */
	struct dp_acl *acl = dp_acl_create(name, NULL, NULL, NULL);
	if (acl == NULL)
		return -ENOMEM;
	dp_tables_set_acl(in->t, acl);
	/* routers, gateways and floating IPs too (lc_compile_l3.c, _nat.c) */
	if (dp_l3_create(name, in->t, NULL, NULL, NULL) == NULL ||
	    dp_nat_create(name, in->t, NULL, NULL, NULL) == NULL)
		return -ENOMEM;
	lc_config_defaults(&cfg);
	snprintf(cfg.chassis, sizeof(cfg.chassis), "%s", chassis);
	snprintf(cfg.vtep_ip, sizeof(cfg.vtep_ip), "192.0.2.1");
	if (replica)
		snprintf(in->replica, sizeof(in->replica), "%s", replica);
	else
		fresh_dir(in->replica, sizeof(in->replica), "rep");
	snprintf(cfg.replica, sizeof(cfg.replica), "%s", in->replica);
	if (url)
		snprintf(cfg.db_url, sizeof(cfg.db_url), "%s", url);
	cfg.db = central;
	in->lc = lc_create(&cfg, in->t);
	if (in->lc == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < n_if; i++)
		lc_set_iface(in->lc, ifaces[i], (uint16_t)(i + 1));
	return lc_start(in->lc);
}

static void inst_stop(struct inst *in)
{
	lc_destroy(in->lc);
	dp_nat_destroy(dp_nat_find(in->t)); /* before the ACL: its zones */
	dp_l3_destroy(dp_l3_find(in->t));
	struct dp_acl *acl = in->t ? dp_tables_get_acl(in->t) : NULL;
	if (in->t)
		dp_tables_set_acl(in->t, NULL);
	dp_acl_destroy(acl);
	dp_tables_destroy(in->t);
	memset(in, 0, sizeof(*in));
}

/* Drive the event loop until the controller applied the db's revision. */
static int inst_sync(struct inst *in, struct db *central)
{
	uint64_t want;
	if (db_revision(central, &want) < 0)
		return -EIO;
	for (int i = 0; i < 1000; i++) {
		struct lc_stats st;
		lc_run(in->lc);
		lc_get_stats(in->lc, &st);
		if (st.connected && st.applied_revision >= want) {
			/* the watch delivers one txn's keys one by one: wait
			 * until it has been quiet for 50 ms */
			struct pollfd q = { .fd = lc_fd(in->lc), .events = POLLIN };
			while (poll(&q, 1, 50) > 0)
				lc_run(in->lc);
			lc_run(in->lc);
			return 0;
		}
		struct pollfd p = { .fd = lc_fd(in->lc), .events = POLLIN };
		poll(&p, 1, 10);
	}
	return -ETIMEDOUT;
}

/* ---- canonical dumps ---------------------------------------------------- */
struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char line[2048];
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, line, (size_t)n + 1);
	b->len += (size_t)n;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct lines {
	char **v;
	size_t n;
};

static void add_line(struct lines *l, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	l->v = realloc(l->v, (l->n + 1) * sizeof(char *));
	l->v[l->n++] = s;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int net_cb(const struct dp_network *n, void *arg)
{
	uint16_t lp[DP_NET_MAX_LOCAL];
	char buf[512] = "";
	memcpy(lp, n->local_ports, n->n_local * sizeof(uint16_t));
	qsort(lp, n->n_local, sizeof(uint16_t), cmp_u16);
	for (unsigned i = 0; i < n->n_local; i++)
		sprintf(buf + strlen(buf), "%u,", lp[i]);
	add_line(arg, "net %u name=%s vni=%u mtu=%u local=%s", n->cfg.key, n->cfg.name,
		 n->cfg.vni, n->cfg.mtu, buf);
	return 0;
}

static int lport_cb(const struct dp_lport *p, void *arg)
{
	const struct dp_lport_cfg *c = &p->cfg;
	char buf[1024] = "", ip[64];
	for (unsigned i = 0; i < c->n_macs; i++)
		sprintf(buf + strlen(buf), "mac=" RTE_ETHER_ADDR_PRT_FMT " ",
			RTE_ETHER_ADDR_BYTES(&c->macs[i]));
	for (unsigned i = 0; i < c->n_ips; i++) {
		dp_ip_format(ip, sizeof(ip), &c->ips[i]);
		sprintf(buf + strlen(buf), "ip=%s ", ip);
	}
	for (unsigned i = 0; i < c->n_aaps; i++) {
		dp_ip_format(ip, sizeof(ip), &c->aaps[i].ip);
		sprintf(buf + strlen(buf), "aap=%s@" RTE_ETHER_ADDR_PRT_FMT " ", ip,
			RTE_ETHER_ADDR_BYTES(&c->aaps[i].mac));
	}
	add_line(arg, "lport %u net=%u name=%s %sps=%d up=%d port=%u vtep=%08x", c->key,
		 c->network, c->name, buf, c->port_security, c->admin_up, c->dp_port,
		 c->remote_vtep);
	return 0;
}

static int fdb_cb(uint32_t net, const uint8_t mac[6], uint32_t lport, void *arg)
{
	add_line(arg, "fdb %u %02x:%02x:%02x:%02x:%02x:%02x %u", net, mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5], lport);
	return 0;
}

static int rep_cb(const char *key, uint64_t version, void *arg)
{
	if (strncmp(key, "/wyvern/v1/", 11) == 0)
		add_line(arg, "replica %s v%llu", key, (unsigned long long)version);
	return 0;
}

/* Tables (+ replica keys when rep) as one sorted text. */
static unsigned acl_lines; /* ACL entries seen in dumps (the property covers them) */

static int acl_cb(const struct dp_acl_port_info *pi, void *arg)
{
	acl_lines++;
	char buf[4096] = "";
	for (uint32_t i = 0; i < pi->n_rules && strlen(buf) < sizeof(buf) - 128; i++) {
		const struct dp_acl_rule *r = &pi->rules[i];
		char ip[64];
		dp_ip_format(ip, sizeof(ip), &r->remote);
		sprintf(buf + strlen(buf), "[%u %u d%u f%u p%u%s %u-%u %u-%u %s s%u]", r->key,
			r->priority, r->dir, r->family, r->proto, r->any_proto ? "*" : "",
			r->src_min, r->src_max, r->dst_min, r->dst_max, r->remote.plen ? ip : "-",
			r->remote_set);
	}
	add_line(arg, "acl %u stateful=%d %s", pi->lport, pi->stateful, buf);
	return 0;
}

static char *dump(struct inst *in, bool rep)
{
	struct lines l = { 0 };
	struct sbuf b = { 0 };
	dp_table_foreach_network(in->t, net_cb, &l);
	dp_table_foreach_lport(in->t, lport_cb, &l);
	dp_table_foreach_fdb(in->t, fdb_cb, &l);
	dp_acl_foreach_port(dp_tables_get_acl(in->t), acl_cb, &l);
	if (rep)
		lc_replica_foreach(in->lc, rep_cb, &l);
	qsort(l.v, l.n, sizeof(char *), cmp_line);
	sb_printf(&b, "%s", "");
	for (size_t i = 0; i < l.n; i++) {
		sb_printf(&b, "%s\n", l.v[i]);
		free(l.v[i]);
	}
	free(l.v);
	return b.s;
}

/* ---- northbound helpers ------------------------------------------------- */
static struct db *central_open(void)
{
	char d[256], url[300];
	fresh_dir(d, sizeof(d), "central");
	snprintf(url, sizeof(url), "rocksdb:%s", d);
	return db_open(url);
}

static uint32_t dpkey(struct db *db, enum mdl_type t, const char *id)
{
	struct mdl_hdr *h;
	if (nb_get(db, t, id, &h, NULL) < 0)
		return 0;
	uint32_t k = h->dp_key;
	mdl_obj_free(h);
	return k;
}

/* ---- tests -------------------------------------------------------------- */
static void t_property(void)
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
		for (int step = 1; step <= 300; step++) {
			ok_steps += gen_step(&g) == 0;
			/* apply in small random batches, sometimes mid-stream */
			if (rand_r(&g.seed) % 3 == 0)
				lc_run(a.lc);
			if (step % 25 != 0)
				continue;
			CU_ASSERT_EQUAL_FATAL(inst_sync(&a, db), 0);
			struct inst f;
			CU_ASSERT_EQUAL_FATAL(inst_start(&f, db, NULL, "X", NULL,
							 (const char *const *)g.iface_ptrs,
							 GEN_IFACES), 0);
			CU_ASSERT_EQUAL_FATAL(inst_sync(&f, db), 0);
			char *x = dump(&a, true), *y = dump(&f, true);
			CU_ASSERT_STRING_EQUAL(x, y);
			if (strcmp(x, y) != 0)
				printf("\nseed %u step %d\n--- incremental\n%s--- fresh\n%s", seeds[si],
				       step, x, y);
			checks++;
			printf("%s[%u n %u lp]", checks == 1 ? "\n  " : " ", dp_tables_n_networks(a.t),
			       dp_tables_n_lports(a.t));
			free(x);
			free(y);
			inst_stop(&f);
		}
		struct lc_stats st;
		lc_get_stats(a.lc, &st);
		printf("\n  seed %u: %u/300 nb ops ok, %u checkpoints, %u indexed, held %u nets "
		       "%u ports, %u local, tables %u nets %u lports, events %llu/%llu ign\n",
		       seeds[si], ok_steps, checks, st.n_index, st.held[MDL_NETWORK],
		       st.held[MDL_PORT], st.n_local_ports, dp_tables_n_networks(a.t),
		       dp_tables_n_lports(a.t), (unsigned long long)st.events_applied,
		       (unsigned long long)st.events_ignored);
		CU_ASSERT(ok_steps > 100);
		CU_ASSERT_EQUAL(st.table_errors, 0);
		inst_stop(&a);
		db_close(db);
	}
	printf("\n  ACL entries compared: %u\n", acl_lines);
	CU_ASSERT(acl_lines > 0);
}

static bool replica_has(struct inst *in, const char *id)
{
	char *d = dump(in, true);
	bool r = strstr(d, id) != NULL;
	free(d);
	return r;
}

static void t_selective(void)
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

static void t_restart(void)
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

static void t_idempotent(void)
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

static void t_bad_values(void)
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
	/* a fresh controller agrees */
	struct inst f;
	CU_ASSERT_EQUAL_FATAL(inst_start(&f, db, NULL, "X", NULL, &p1, 1), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&f, db), 0);
	char *a = dump(&x, true), *b = dump(&f, true);
	CU_ASSERT_STRING_EQUAL(a, b);
	free(a);
	free(b);
	inst_stop(&f);
	free(d0);
	free(d1);
	inst_stop(&x);
	db_close(db);
}

/* device_owner decides which ports may send DHCP server messages (dhcp_server)
 * and RAs / redirects (router); port security in the datapath reads both. */
static void t_device_owner(void)
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

/* Security groups: a port with port security and no group is filtered
 * (base rules only), port security off is not; a rule created or deleted
 * recompiles only the ports of its group; the compiled view names the
 * groups and the rule keys map back to rule ids. */
static int sg_port_cb(const struct lc_sg_port *p, void *arg)
{
	(*(unsigned *)arg)++;
	(void)p;
	return 0;
}

struct key_find {
	uint32_t key;
	char id[MDL_ID_SIZE];
};

static int sg_rule_cb(uint32_t key, const char *rule_id, const char *group_id, void *arg)
{
	struct key_find *k = arg;
	(void)group_id;
	if (key == k->key)
		snprintf(k->id, sizeof(k->id), "%s", rule_id);
	return 0;
}

static bool acl_has_key(struct inst *x, uint32_t lport, uint32_t key, bool *only_base)
{
	struct dp_acl_port_info pi;
	bool has = false;
	*only_base = true;
	if (dp_acl_port_info(dp_tables_get_acl(x->t), lport, &pi) < 0)
		return false;
	for (uint32_t i = 0; i < pi.n_rules; i++) {
		has |= pi.rules[i].key == key;
		*only_base &= pi.rules[i].key >= 0xfffff000u;
	}
	return has;
}

static uint64_t compiles(struct inst *x)
{
	struct lc_stats st;
	lc_get_stats(x->lc, &st);
	return st.sg_port_compiles;
}

static void t_sg_incremental(void)
{
	struct db *db = central_open();
	char na[MDL_ID_SIZE], ga[MDL_ID_SIZE], gb[MDL_ID_SIZE], rule[MDL_ID_SIZE];
	static const char *const ids[5] = { "aaaaaaaa-0000-4000-8000-000000000001",
					    "aaaaaaaa-0000-4000-8000-000000000002",
					    "aaaaaaaa-0000-4000-8000-000000000003",
					    "aaaaaaaa-0000-4000-8000-000000000004",
					    "aaaaaaaa-0000-4000-8000-000000000005" };
	struct inst x;
	bool base;
	char err[MDL_ERR_SIZE];
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, na, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP, ga, "{\"name\":\"A\"}"), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP, gb, "{\"name\":\"B\"}"), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP_RULE, NULL,
		"{\"security_group_id\":\"%s\",\"direction\":\"egress\",\"ethertype\":\"IPv4\"}",
		ga), 0);
	static const char *const grp[5] = { "A", "A", "B", "", "" };
	for (unsigned i = 0; i < 5; i++) {
		char sgs[64] = "";
		if (grp[i][0])
			snprintf(sgs, sizeof(sgs), "\"%s\"", grp[i][0] == 'A' ? ga : gb);
		CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\","
			"\"network_id\":\"%s\",\"binding:host_id\":\"X\",\"security_groups\":[%s],"
			"\"port_security_enabled\":%s}", ids[i], na, sgs, i == 4 ? "false" : "true"),
			0);
	}
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, ids, 5), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	struct dp_acl *acl = dp_tables_get_acl(x.t);
	uint32_t lp[5];
	for (unsigned i = 0; i < 5; i++)
		lp[i] = dpkey(db, MDL_PORT, ids[i]);
	for (unsigned i = 0; i < 4; i++)
		CU_ASSERT_TRUE(dp_acl_port_has(acl, lp[i]));
	CU_ASSERT_FALSE(dp_acl_port_has(acl, lp[4]));     /* port security off */
	acl_has_key(&x, lp[3], 0, &base);
	CU_ASSERT_TRUE(base);                              /* no group: base rules only */
	unsigned n_ports = 0;
	lc_foreach_sg_port(x.lc, sg_port_cb, &n_ports);
	CU_ASSERT_EQUAL(n_ports, 4);

	/* a rule in B: only B's one port is compiled again */
	uint64_t c0 = compiles(&x);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP_RULE, rule,
		"{\"security_group_id\":\"%s\",\"direction\":\"ingress\",\"ethertype\":\"IPv4\","
		"\"protocol\":\"tcp\",\"port_range_min\":22,\"port_range_max\":22}", gb), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(compiles(&x), c0 + 1);
	uint32_t rkey = dpkey(db, MDL_SECURITY_GROUP_RULE, rule);
	CU_ASSERT_TRUE(acl_has_key(&x, lp[2], rkey, &base));
	CU_ASSERT_FALSE(acl_has_key(&x, lp[0], rkey, &base));
	struct key_find kf = { rkey, "" };
	lc_foreach_sg_rule(x.lc, sg_rule_cb, &kf);
	CU_ASSERT_STRING_EQUAL(kf.id, rule);
	/* deleting it: again only B's port */
	c0 = compiles(&x);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_SECURITY_GROUP_RULE, rule, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(compiles(&x), c0 + 1);
	CU_ASSERT_FALSE(acl_has_key(&x, lp[2], rkey, &base));
	/* a rule in A: A's two ports */
	c0 = compiles(&x);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP_RULE, rule,
		"{\"security_group_id\":\"%s\",\"direction\":\"ingress\",\"ethertype\":\"IPv6\"}",
		ga), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(compiles(&x), c0 + 2);
	rkey = dpkey(db, MDL_SECURITY_GROUP_RULE, rule);
	CU_ASSERT_TRUE(acl_has_key(&x, lp[0], rkey, &base));
	CU_ASSERT_TRUE(acl_has_key(&x, lp[1], rkey, &base));
	CU_ASSERT_FALSE(acl_has_key(&x, lp[2], rkey, &base));
	/* the group-less port joins B: that port only */
	c0 = compiles(&x);
	struct mdl_hdr *p;
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_PORT, ids[3], &p, NULL), 0);
	struct mdl_port *pp = mdl_hdr_to_port(p);
	pp->security_groups = calloc(1, sizeof(*pp->security_groups));
	snprintf(pp->security_groups[0], MDL_ID_SIZE, "%s", gb);
	pp->n_security_groups = 1;
	CU_ASSERT_EQUAL(nb_update(db, p, 0, NULL, err, sizeof(err)), 0);
	mdl_obj_free(p);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(compiles(&x), c0 + 1);
	/* a port whose group is not there (yet): base rules only, never
	 * unfiltered; the group arriving gives it its rules */
	static const char *const gid = "aaaaaaaa-0000-4000-8000-0000000000cc";
	char key[128], val[512];
	snprintf(key, sizeof(key), "/wyvern/v1/port/%s", ids[4]);
	snprintf(val, sizeof(val), "{\"id\":\"%s\",\"dp_key\":%u,\"revision_number\":9,"
		 "\"network_id\":\"%s\",\"mac_address\":\"fa:16:3e:00:00:55\","
		 "\"binding:host_id\":\"X\",\"security_groups\":[\"%s\"]}", ids[4], lp[4], na, gid);
	CU_ASSERT_EQUAL_FATAL(db_put(db, key, val, strlen(val), NULL), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_TRUE(dp_acl_port_has(acl, lp[4]));
	acl_has_key(&x, lp[4], 0, &base);
	CU_ASSERT_TRUE(base);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP, NULL, "{\"id\":\"%s\"}", gid),
			      0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SECURITY_GROUP_RULE, rule,
		"{\"security_group_id\":\"%s\",\"direction\":\"ingress\",\"ethertype\":\"IPv4\"}",
		gid), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	rkey = dpkey(db, MDL_SECURITY_GROUP_RULE, rule);
	CU_ASSERT_TRUE(acl_has_key(&x, lp[4], rkey, &base));
	inst_stop(&x);
	db_close(db);
}


/* A router's gateway on a held external network and a floating IP of a
 * local port: the gateway rport + default route, the NAT gateway and the
 * FIP entry (MAC from chassis + port); disassociation and the gateway's
 * removal take them out again. */
static void t_nat(void)
{
	struct db *db = central_open();
	char ext[MDL_ID_SIZE], exts[MDL_ID_SIZE], na[MDL_ID_SIZE], sa[MDL_ID_SIZE];
	char rt[MDL_ID_SIZE], fip[MDL_ID_SIZE], err[MDL_ERR_SIZE];
	const char *p1 = "aaaaaaaa-0000-4000-8000-0000000000f1";
	struct inst x;
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, ext, "{\"name\":\"ext\","
		"\"provider:network_type\":\"flat\",\"provider:physical_network\":\"physnet1\","
		"\"router:external\":true}"), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, exts, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"172.24.4.0/24\",\"gateway_ip\":\"172.24.4.1\"}",
		ext), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_NETWORK, na, NET_A), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_SUBNET, sa, "{\"network_id\":\"%s\","
		"\"ip_version\":4,\"cidr\":\"10.1.0.0/24\"}", na), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"X\",\"fixed_ips\":[{\"subnet_id\":\"%s\","
		"\"ip_address\":\"10.1.0.5\"}]}", p1, na, sa), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_ROUTER, rt, "{\"name\":\"r\",\"interfaces\":["
		"{\"subnet_id\":\"%s\",\"ip_address\":\"10.1.0.1\"}],\"external_gateway_info\":"
		"{\"network_id\":\"%s\",\"enable_snat\":true,\"external_fixed_ips\":["
		"{\"subnet_id\":\"%s\",\"ip_address\":\"172.24.4.10\"}]}}", sa, ext, exts), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_FLOATING_IP, fip, "{\"floating_network_id\":"
		"\"%s\",\"floating_ip_address\":\"172.24.4.100\",\"port_id\":\"%s\","
		"\"fixed_ip_address\":\"10.1.0.5\",\"router_id\":\"%s\"}", ext, p1, rt), 0);
	CU_ASSERT_EQUAL_FATAL(inst_start(&x, db, NULL, "X", NULL, &p1, 1), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	uint32_t kext = dpkey(db, MDL_NETWORK, ext), kr = dpkey(db, MDL_ROUTER, rt);
	uint32_t kp = dpkey(db, MDL_PORT, p1);
	const struct dp_network *en = dp_table_network_get(x.t, kext);
	CU_ASSERT_PTR_NOT_NULL_FATAL(en);
	CU_ASSERT_EQUAL(en->cfg.type, DP_NET_FLAT);
	const struct dp_l3 *l3 = dp_l3_find(x.t);
	const struct dp_rport *gp = dp_l3_rport_get(l3, DP_RPORT_KEY(kr, 127));
	CU_ASSERT_PTR_NOT_NULL_FATAL(gp);
	CU_ASSERT_EQUAL(gp->cfg.network, kext);
	CU_ASSERT(gp->cfg.n_ips == 1 && gp->cfg.ips[0].plen == 24 &&
		  memcmp(gp->cfg.ips[0].addr, "\xac\x18\x04\x0a", 4) == 0);
	const struct dp_router *r = dp_l3_router_get(l3, kr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT(r->n_routes == 1 && r->routes[0].prefix.plen == 0 &&
		  memcmp(r->routes[0].gw.addr, "\xac\x18\x04\x01", 4) == 0);
	const struct dp_nat *nat = dp_nat_find(x.t);
	const struct dp_nat_gw_cfg *g = dp_nat_gw_get(nat, kr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT(g->rport == DP_RPORT_KEY(kr, 127) && g->network == kext &&
		  g->nexthop == inet_addr("172.24.4.1") && g->zone != 0);
	const struct dp_nat_fip_cfg *f = dp_nat_fip_by_ext(nat, kext, inet_addr("172.24.4.100"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(f->lport == kp && f->router == kr && f->fixed == inet_addr("10.1.0.5"));
	struct rte_ether_addr m;
	lc_fip_mac(&m, "X", p1);
	CU_ASSERT(rte_is_same_ether_addr(&m, &f->mac));
	/* distributed SNAT: no address port yet; then one bound here and one
	 * bound to chassis Y: ours is the gateway's SNAT address, neither
	 * becomes an lport, Y's is not even held */
	CU_ASSERT_EQUAL(dp_nat_gw_get(nat, kr)->snat_ip, 0);
	const char *sx = "aaaaaaaa-0000-4000-8000-0000000000f2";
	const char *sy = "aaaaaaaa-0000-4000-8000-0000000000f3";
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"X\",\"device_owner\":"
		"\"network:floatingip_agent_gateway\",\"device_id\":\"%s\",\"fixed_ips\":"
		"[{\"subnet_id\":\"%s\",\"ip_address\":\"172.24.4.50\"}]}", sx, ext, rt, exts), 0);
	CU_ASSERT_EQUAL_FATAL(create_json(db, MDL_PORT, NULL, "{\"id\":\"%s\",\"network_id\":"
		"\"%s\",\"binding:host_id\":\"Y\",\"device_owner\":"
		"\"network:floatingip_agent_gateway\",\"device_id\":\"%s\",\"fixed_ips\":"
		"[{\"subnet_id\":\"%s\",\"ip_address\":\"172.24.4.51\"}]}", sy, ext, rt, exts), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	g = dp_nat_gw_get(nat, kr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(g->snat_ip, inet_addr("172.24.4.50"));
	lc_fip_mac(&m, "X", sx);
	CU_ASSERT(rte_is_same_ether_addr(&m, &g->snat_mac));
	CU_ASSERT_PTR_NULL(dp_table_lport_get(x.t, dpkey(db, MDL_PORT, sx)));
	CU_ASSERT_PTR_NULL(dp_table_lport_get(x.t, dpkey(db, MDL_PORT, sy)));
	CU_ASSERT_PTR_NOT_NULL(dp_nat_gw_by_snat_ip(nat, kext, inet_addr("172.24.4.50")));
	CU_ASSERT_PTR_NULL(dp_nat_gw_by_snat_ip(nat, kext, inet_addr("172.24.4.51")));
	/* the FIP is still there (the gateway was replaced, not removed) */
	CU_ASSERT_PTR_NOT_NULL(dp_nat_fip_by_ext(nat, kext, inet_addr("172.24.4.100")));
	/* our port goes: no SNAT address any more */
	CU_ASSERT_EQUAL_FATAL(nb_delete(db, MDL_PORT, sx, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_EQUAL(dp_nat_gw_get(nat, kr)->snat_ip, 0);
	CU_ASSERT_PTR_NULL(dp_nat_gw_by_snat_ip(nat, kext, inet_addr("172.24.4.50")));
	/* disassociated: the entry goes, the gateway stays */
	struct mdl_hdr *h;
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_FLOATING_IP, fip, &h, NULL), 0);
	mdl_hdr_to_fip(h)->port_id[0] = 0;
	mdl_hdr_to_fip(h)->fixed_ip_address[0] = 0;
	mdl_hdr_to_fip(h)->router_id[0] = 0;
	CU_ASSERT_EQUAL_FATAL(nb_update(db, h, 0, NULL, err, sizeof(err)), 0);
	mdl_obj_free(h);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_PTR_NULL(dp_nat_fip_by_ext(nat, kext, inet_addr("172.24.4.100")));
	CU_ASSERT_PTR_NOT_NULL(dp_nat_gw_get(nat, kr));
	/* the gateway goes: its rport, route and NAT entry, and the network */
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_ROUTER, rt, &h, NULL), 0);
	mdl_hdr_to_router(h)->has_gateway = false;
	CU_ASSERT_EQUAL_FATAL(nb_update(db, h, 0, NULL, err, sizeof(err)), 0);
	mdl_obj_free(h);
	CU_ASSERT_EQUAL_FATAL(inst_sync(&x, db), 0);
	CU_ASSERT_PTR_NULL(dp_nat_gw_get(nat, kr));
	CU_ASSERT_PTR_NULL(dp_l3_rport_get(l3, DP_RPORT_KEY(kr, 127)));
	r = dp_l3_router_get(l3, kr);
	CU_ASSERT(r != NULL && r->n_routes == 0);
	CU_ASSERT_PTR_NULL(dp_table_network_get(x.t, kext));
	struct lc_stats st;
	lc_get_stats(x.lc, &st);
	CU_ASSERT_EQUAL(st.table_errors, 0);
	inst_stop(&x);
	db_close(db);
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
	CU_add_test(s, "selective distribution via router", t_selective);
	CU_add_test(s, "idempotent / out of order", t_idempotent);
	CU_add_test(s, "bad db values", t_bad_values);
	CU_add_test(s, "device_owner: DHCP server and router ports", t_device_owner);
	CU_add_test(s, "security groups: no-group ports, per-group recompile", t_sg_incremental);
	CU_add_test(s, "restart from replica, central down", t_restart);
	CU_add_test(s, "router gateway and floating IP -> L3 and NAT tables", t_nat);
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
