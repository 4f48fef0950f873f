/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb_index_test.c — northbound index and dp_key block tests, against RocksDB (temp
 * dir) and a real etcd on loopback: an indexed handle follows writes made
 * through another handle (watch), its filtered finds equal a filtered scan,
 * validation does not trust a lagging index, and dp_key blocks give unique
 * keys across handles.  Last, a 3-member etcd whose leader is killed
 * (SIGKILL) during 1,000 creates: every create is acknowledged, no
 * duplicates, and the store equals the acknowledged writes. */
#include "nb_test_util.h"
#include "db_test_util.h"

#include <CUnit/Basic.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static char rocks_dir[256];
static struct test_etcd etcd;
static struct test_etcd_cluster cluster;
static struct db *db_a, *db_b;          /* same handle for rocksdb */

static int ids_equal(struct mdl_hdr **a, size_t na, struct mdl_hdr **b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i]->id, b[i]->id))
			return 0;
	return 1;
}

/* find through the index == find through a scan; returns the count */
static size_t check_find(struct nb *idx, struct nb *scan, enum mdl_type t,
			 const struct nb_filter *f)
{
	struct mdl_hdr **a, **b;
	size_t na, nb;

	CU_ASSERT_EQUAL_FATAL(nb_find(idx, t, f, &a, &na), 0);
	CU_ASSERT_EQUAL_FATAL(nb_find(scan, t, f, &b, &nb), 0);
	CU_ASSERT_TRUE(ids_equal(a, na, b, nb));
	nb_list_free(a, na);
	nb_list_free(b, nb);
	return na;
}

static void t_index_follows(void)
{
	struct nb *a = nb_open(db_a, NB_F_INDEX), *b = nb_open(db_b, NB_F_DP_BLOCK);
	struct nb *scan = nb_open(db_a, 0);
	char err[MDL_ERR_SIZE], mac[32], ip[32], pid[MDL_ID_SIZE];
	struct mdl_hdr *n, *s, *p, *got;
	uint64_t rev = 0;
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(scan);
	n = t_obj(MDL_NETWORK, "{\"provider:network_type\":\"geneve\"}");
	CU_ASSERT_EQUAL_FATAL(nb_h_create(b, n, NULL, err, sizeof(err)), 0);
	s = t_obj(MDL_SUBNET, "{\"network_id\":\"%s\",\"ip_version\":4,\"cidr\":"
		  "\"10.90.0.0/24\"}", n->id);
	CU_ASSERT_EQUAL_FATAL(nb_h_create(b, s, NULL, err, sizeof(err)), 0);
	/* validation on `a` right away: its index may not have the subnet yet */
	p = t_obj(MDL_PORT, "{\"network_id\":\"%s\",\"device_id\":\"vm-x\",\"fixed_ips\":"
		  "[{\"subnet_id\":\"%s\",\"ip_address\":\"10.90.0.250\"}]}", n->id, s->id);
	CU_ASSERT_EQUAL(nb_h_create(a, p, NULL, err, sizeof(err)), 0);
	mdl_obj_free(p);
	for (i = 0; i < 50; i++) {
		p = t_obj(MDL_PORT, "{\"network_id\":\"%s\",\"device_id\":\"vm-%d\","
			  "\"device_owner\":\"compute:%s\",\"mac_address\":\"fa:16:3e:90:00:%02x\","
			  "\"fixed_ips\":[{\"subnet_id\":\"%s\",\"ip_address\":\"10.90.0.%d\"}]}",
			  n->id, i % 5, i % 2 ? "a" : "b", i, s->id, 10 + i);
		CU_ASSERT_EQUAL_FATAL(nb_h_create(b, p, &rev, err, sizeof(err)), 0);
		if (i == 7)
			strcpy(pid, p->id);
		mdl_obj_free(p);
	}
	CU_ASSERT_EQUAL_FATAL(nb_index_wait(a, rev, 10000), 0);
	CU_ASSERT_EQUAL(check_find(a, scan, MDL_PORT, &(struct nb_filter){ .device_id = "vm-2" }),
			10);
	CU_ASSERT_EQUAL(check_find(a, scan, MDL_PORT, &(struct nb_filter){
		.device_id = "vm-2", .device_owner = "compute:b" }), 5);
	CU_ASSERT_EQUAL(check_find(a, scan, MDL_PORT, &(struct nb_filter){
		.network_id = n->id, .mac_address = "FA:16:3E:90:00:07" }), 1);
	CU_ASSERT_EQUAL(check_find(a, scan, MDL_PORT, &(struct nb_filter){
		.subnet_id = s->id, .ip_address = "10.90.0.17" }), 1);
	CU_ASSERT_EQUAL(check_find(a, scan, MDL_PORT, &(struct nb_filter){
		.network_id = n->id }), 51);
	CU_ASSERT_EQUAL(check_find(a, scan, MDL_PORT, &(struct nb_filter){
		.subnet_id = s->id }), 51);
	CU_ASSERT_EQUAL(check_find(a, scan, MDL_SUBNET, &(struct nb_filter){
		.network_id = n->id }), 1);
	/* an update moves the port between groups */
	CU_ASSERT_EQUAL_FATAL(nb_get(db_b, MDL_PORT, pid, &got, NULL), 0);
	snprintf(mdl_hdr_to_port(got)->device_id, MDL_NAME_SIZE, "vm-moved");
	snprintf(mdl_hdr_to_port(got)->fixed_ips[0].ip_address, MDL_IP_SIZE, "10.90.0.200");
	CU_ASSERT_EQUAL_FATAL(nb_h_update(b, got, 0, &rev, err, sizeof(err)), 0);
	mdl_obj_free(got);
	CU_ASSERT_EQUAL_FATAL(nb_index_wait(a, rev, 10000), 0);
	CU_ASSERT_EQUAL(check_find(a, scan, MDL_PORT, &(struct nb_filter){ .device_id = "vm-2" }),
			9);
	CU_ASSERT_EQUAL(check_find(a, scan, MDL_PORT, &(struct nb_filter){
		.device_id = "vm-moved" }), 1);
	CU_ASSERT_EQUAL(check_find(a, scan, MDL_PORT, &(struct nb_filter){
		.subnet_id = s->id, .ip_address = "10.90.0.17" }), 0);
	CU_ASSERT_EQUAL(check_find(a, scan, MDL_PORT, &(struct nb_filter){
		.subnet_id = s->id, .ip_address = "10.90.0.200" }), 1);
	/* the released IP is free again, the new one is taken */
	for (i = 0; i < 2; i++) {
		snprintf(ip, sizeof(ip), "10.90.0.%d", i ? 200 : 17);
		snprintf(mac, sizeof(mac), "fa:16:3e:91:00:%02x", i);
		p = t_obj(MDL_PORT, "{\"network_id\":\"%s\",\"mac_address\":\"%s\",\"fixed_ips\":"
			  "[{\"subnet_id\":\"%s\",\"ip_address\":\"%s\"}]}", n->id, mac, s->id, ip);
		CU_ASSERT_EQUAL(nb_h_create(a, p, NULL, err, sizeof(err)), i ? -EADDRINUSE : 0);
		mdl_obj_free(p);
	}
	/* a delete through b disappears from a */
	CU_ASSERT_EQUAL_FATAL(nb_h_delete(b, MDL_PORT, pid, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(nb_index_wait(a, 0, 10000), 0);
	CU_ASSERT_EQUAL(check_find(a, scan, MDL_PORT, &(struct nb_filter){
		.device_id = "vm-moved" }), 0);
	CU_ASSERT_EQUAL(check_find(a, scan, MDL_PORT, &(struct nb_filter){
		.network_id = n->id }), 51);
	mdl_obj_free(n);
	mdl_obj_free(s);
	nb_close(a);
	nb_close(b);
	nb_close(scan);
	CU_ASSERT_EQUAL(t_check_consistent(db_a), 0);
}

/* ---- dp_key blocks ---- */

#define BLK_N 150

struct blk {
	pthread_t th;
	struct nb *nb;
	struct db *db;
	uint32_t keys[BLK_N];
	int fails;
};

static void *blk_run(void *arg)
{
	struct blk *b = arg;
	char err[MDL_ERR_SIZE];
	int i;

	for (i = 0; i < BLK_N; i++) {
		struct mdl_hdr *n = t_obj(MDL_NETWORK, "{\"provider:network_type\":\"local\"}");

		/* every 10th through the db-level API (counter in the txn) */
		if (b->nb && i % 10 ? nb_h_create(b->nb, n, NULL, err, sizeof(err)) :
		    nb_create(b->db, n, NULL, err, sizeof(err)))
			b->fails++;
		b->keys[i] = n->dp_key;
		mdl_obj_free(n);
	}
	return NULL;
}

static int u32cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void t_blocks(void)
{
	static struct blk b[2];
	uint32_t all[2 * BLK_N];
	int i, j, dups = 0, runs = 0;

	for (i = 0; i < 2; i++) {
		b[i] = (struct blk){ .db = i ? db_b : db_a };
		b[i].nb = nb_open(b[i].db, NB_F_DP_BLOCK);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b[i].nb);
		pthread_create(&b[i].th, NULL, blk_run, &b[i]);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(b[i].th, NULL);
		CU_ASSERT_EQUAL(b[i].fails, 0);
		/* block keys of one handle come in runs of consecutive numbers */
		for (j = 2; j < BLK_N; j++)
			runs += j % 10 && (j - 1) % 10 && b[i].keys[j] == b[i].keys[j - 1] + 1;
		memcpy(all + i * BLK_N, b[i].keys, sizeof(b[i].keys));
		nb_close(b[i].nb);
	}
	qsort(all, 2 * BLK_N, sizeof(all[0]), u32cmp);
	for (i = 1; i < 2 * BLK_N; i++)
		dups += all[i] == all[i - 1];
	CU_ASSERT_EQUAL(dups, 0);
	CU_ASSERT_NOT_EQUAL(all[0], 0);
	CU_ASSERT_TRUE(runs > BLK_N);   /* handed out locally, not one CAS each */
	CU_ASSERT_EQUAL(t_check_consistent(db_a), 0);
}

/* ---- leader killed during 1,000 creates ---- */

#define KILL_N 1000
#define KILL_WRITERS 4

struct kill_ctx {
	struct nb *h;
	const char *net;
	_Atomic int next, done;
	char acked[KILL_N][MDL_ID_SIZE];
	_Atomic int n_ok;
};

/* Writers take the next index until KILL_N; acked ids are recorded. */
static void *kill_writer(void *arg)
{
	struct kill_ctx *c = arg;
	char err[MDL_ERR_SIZE];
	int i;

	while ((i = atomic_fetch_add(&c->next, 1)) < KILL_N) {
		struct mdl_hdr *o = t_obj(MDL_PORT, "{\"network_id\":\"%s\",\"mac_address\":"
					  "\"fa:16:3e:a0:%02x:%02x\"}", c->net, i / 256, i % 256);
		int rc = nb_h_create(c->h, o, NULL, err, sizeof(err));

		if (rc)
			printf("\n create %d: %d %s", i, rc, err);
		else
			strcpy(c->acked[atomic_fetch_add(&c->n_ok, 1)], o->id);
		c->done++;
		mdl_obj_free(o);
	}
	return NULL;
}

static void t_leader_kill(void)
{
	static struct kill_ctx c;
	pthread_t th[KILL_WRITERS];
	int leader = test_etcd_cluster_leader(&cluster), i, n_ok, found = 0;
	char url[512], err[MDL_ERR_SIZE], net[MDL_ID_SIZE];
	struct mdl_hdr *o, **objs;
	struct nb_stats st;
	struct db *db;
	struct nb *h;
	size_t n, k;

	CU_ASSERT_TRUE_FATAL(leader >= 0);
	snprintf(url, sizeof(url), "etcd://127.0.0.1:%d", cluster.m[leader].client_port);
	for (i = 0; i < TEST_CLUSTER_SIZE; i++)
		if (i != leader)
			snprintf(url + strlen(url), sizeof(url) - strlen(url),
				 ",127.0.0.1:%d", cluster.m[i].client_port);
	db = db_open(url);
	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	h = nb_open(db, NB_F_INDEX | NB_F_DP_BLOCK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	o = t_obj(MDL_NETWORK, "{\"provider:network_type\":\"geneve\"}");
	CU_ASSERT_EQUAL_FATAL(nb_h_create(h, o, NULL, err, sizeof(err)), 0);
	strcpy(net, o->id);
	mdl_obj_free(o);
	memset(&c, 0, sizeof(c));
	c.h = h;
	c.net = net;
	for (i = 0; i < KILL_WRITERS; i++)
		pthread_create(&th[i], NULL, kill_writer, &c);
	while (c.done < KILL_N / 3)
		usleep(1000);
	/* the leader dies with requests in flight */
	kill(cluster.m[leader].pid, SIGKILL);
	waitpid(cluster.m[leader].pid, NULL, 0);
	cluster.m[leader].pid = 0;
	for (i = 0; i < KILL_WRITERS; i++)
		pthread_join(th[i], NULL);
	n_ok = c.n_ok;
	CU_ASSERT_EQUAL(n_ok, KILL_N);          /* no false errors */
	nb_get_stats(h, &st);
	printf("\n ops %llu txns %llu retries %llu unknown %llu resolved-by-reread %llu ",
	       (unsigned long long)st.ops, (unsigned long long)st.txns,
	       (unsigned long long)st.retries, (unsigned long long)st.unknown,
	       (unsigned long long)st.resolved);
	CU_ASSERT_EQUAL_FATAL(nb_list(db, MDL_PORT, &objs, &n), 0);
	for (k = 0; k < n; k++) {
		if (strcmp(mdl_hdr_to_port(objs[k])->network_id, net))
			continue;
		found++;
		for (i = 0; i < n_ok && strcmp(c.acked[i], objs[k]->id); i++)
			;
		CU_ASSERT_TRUE(i < n_ok);       /* nothing unacknowledged */
	}
	CU_ASSERT_EQUAL(found, n_ok);           /* each acked once, no duplicates */
	nb_list_free(objs, n);
	CU_ASSERT_EQUAL(t_check_consistent(db), 0);
	nb_close(h);
	db_close(db);
}

/* ---- suites ---- */

static int rocks_init(void)
{
	char url[300];

	snprintf(rocks_dir, sizeof(rocks_dir), "/tmp/wyv-nbidx-XXXXXX");
	if (!mkdtemp(rocks_dir))
		return -1;
	snprintf(url, sizeof(url), "rocksdb:%s/db", rocks_dir);
	db_a = db_b = db_open(url);             /* one store per process */
	return db_a ? 0 : -1;
}

static int rocks_fini(void)
{
	db_close(db_a);
	return test_rm_rf(rocks_dir) ? -1 : 0;
}

static int etcd_init(void)
{
	int rc = test_etcd_start(&etcd);

	if (rc) {
		printf("\n cannot start etcd: %s\n", strerror(-rc));
		return -1;
	}
	db_a = db_open(etcd.url);
	db_b = db_open(etcd.url);
	return db_a && db_b ? 0 : -1;
}

static int etcd_fini(void)
{
	db_close(db_a);
	db_close(db_b);
	test_etcd_destroy(&etcd);
	return 0;
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

int main(void)
{
	const char *names[] = { "nbidx-rocksdb", "nbidx-etcd" };
	int (*inits[])(void) = { rocks_init, etcd_init };
	int (*finis[])(void) = { rocks_fini, etcd_fini };
	unsigned int failed;
	CU_pSuite s;
	int i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	test_etcd_cleanup_on_exit(&etcd);
	for (i = 0; i < 2; i++) {
		s = CU_add_suite(names[i], inits[i], finis[i]);
		if (!s || !CU_add_test(s, "index follows another handle's writes",
				       t_index_follows) ||
		    !CU_add_test(s, "dp_key blocks: unique across handles", t_blocks))
			goto fail;
	}
	s = CU_add_suite("nbidx-etcd-cluster", cluster_init, cluster_fini);
	if (!s || !CU_add_test(s, "leader killed during 1,000 creates", t_leader_kill))
		goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
		 CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
fail:
	CU_cleanup_registry();
	return 2;
}
