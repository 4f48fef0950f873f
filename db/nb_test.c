/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb_test.c — northbound adapter tests on the RocksDB driver: create (id, MAC,
 * dp_key, version), get, update with version bump, CAS conflict, validation
 * failures that leave nothing written, duplicate ids, delete with and
 * without references, list; subnet pools: the pool's CIDR set across
 * networks, in use while it has subnets, one default per IP version. */
#include "nb.h"
#include "db_test_util.h"
#include "mdl_addr.h"
#include "nb_test_util.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[256];
static struct db *db;

static struct mdl_hdr *obj(enum mdl_type t, const char *json)
{
	char err[MDL_ERR_SIZE];
	struct mdl_hdr *o = mdl_obj_from_string(t, json, err, sizeof(err));

	if (!o)
		printf("\n decode: %s\n", err);
	return o;
}

/* Everything under /wyvern/v1/ as one string, to prove "nothing written". */
static char *dump_all(void)
{
	struct db_kv_list l;
	size_t i, len = 1;
	char *s;

	if (db_scan(db, "/wyvern/v1/", &l))
		return NULL;
	for (i = 0; i < l.n; i++)
		len += strlen(l.kvs[i].key) + l.kvs[i].value_len + 24;
	s = calloc(1, len);
	for (i = 0; s && i < l.n; i++)
		sprintf(s + strlen(s), "%s=%s@%llu;", l.kvs[i].key, (char *)l.kvs[i].value,
			(unsigned long long)l.kvs[i].mod_revision);
	db_kv_list_clear(&l);
	return s;
}

static char net_id[MDL_ID_SIZE], sub_id[MDL_ID_SIZE], port_id[MDL_ID_SIZE];

static void t_create_get(void)
{
	struct mdl_hdr *n = obj(MDL_NETWORK, "{\"name\":\"n1\",\"provider:network_type\":\"vxlan\","
				 "\"provider:segmentation_id\":100}");
	struct mdl_hdr *s, *p, *got;
	char err[MDL_ERR_SIZE], json[512];
	uint64_t rev, mod;

	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL_FATAL(nb_create(db, n, &rev, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(mdl_uuid_valid(n->id));
	CU_ASSERT_EQUAL(n->dp_key, 1);
	CU_ASSERT_EQUAL(n->version, 1);
	strcpy(net_id, n->id);
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_NETWORK, n->id, &got, &mod), 0);
	CU_ASSERT_EQUAL(mod, rev);
	CU_ASSERT_EQUAL(got->dp_key, 1);
	CU_ASSERT_STRING_EQUAL(mdl_hdr_to_network(got)->name, "n1");
	mdl_obj_free(got);

	snprintf(json, sizeof(json), "{\"network_id\":\"%s\",\"ip_version\":4,"
		 "\"cidr\":\"10.0.0.0/24\",\"gateway_ip\":\"10.0.0.1\"}", net_id);
	s = obj(MDL_SUBNET, json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL_FATAL(nb_create(db, s, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(s->dp_key, 2);
	strcpy(sub_id, s->id);

	snprintf(json, sizeof(json), "{\"network_id\":\"%s\",\"fixed_ips\":[{\"subnet_id\":"
		 "\"%s\",\"ip_address\":\"10.0.0.5\"}]}", net_id, sub_id);
	p = obj(MDL_PORT, json);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL_FATAL(nb_create(db, p, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(p->dp_key, 3);
	CU_ASSERT_EQUAL(strncmp(mdl_hdr_to_port(p)->mac_address, "fa:16:3e:", 9), 0);
	strcpy(port_id, p->id);

	/* same id again */
	CU_ASSERT_EQUAL(nb_create(db, n, NULL, err, sizeof(err)), -EEXIST);
	CU_ASSERT_EQUAL(strstr(err, "already exists") != NULL, 1);
	CU_ASSERT_EQUAL(nb_get(db, MDL_NETWORK, "11111111-1111-4111-8111-000000000000", &got,
			       NULL), -ENOENT);
	CU_ASSERT_EQUAL(nb_get(db, MDL_NETWORK, "nope", &got, NULL), -EINVAL);
	mdl_obj_free(n);
	mdl_obj_free(s);
	mdl_obj_free(p);
}

static void t_update_version_cas(void)
{
	struct mdl_hdr *a, *b, *got;
	char err[MDL_ERR_SIZE];
	uint64_t mod, mod2, rev;

	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_NETWORK, net_id, &a, &mod), 0);
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_NETWORK, net_id, &b, NULL), 0);
	/* first writer wins */
	snprintf(mdl_hdr_to_network(a)->name, MDL_NAME_SIZE, "renamed");
	a->dp_key = 999;                        /* ignored: dp_key is immutable */
	CU_ASSERT_EQUAL(nb_update(db, a, mod, &rev, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a->version, 2);
	CU_ASSERT_EQUAL(a->dp_key, 1);
	/* second writer read the same mod_revision: conflict */
	snprintf(mdl_hdr_to_network(b)->name, MDL_NAME_SIZE, "loser");
	CU_ASSERT_EQUAL(nb_update(db, b, mod, NULL, err, sizeof(err)), -EAGAIN);
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_NETWORK, net_id, &got, &mod2), 0);
	CU_ASSERT_STRING_EQUAL(mdl_hdr_to_network(got)->name, "renamed");
	CU_ASSERT_EQUAL(got->version, 2);
	CU_ASSERT_EQUAL(got->dp_key, 1);
	CU_ASSERT_EQUAL(mod2, rev);
	mdl_obj_free(got);
	/* retry with the fresh revision succeeds and bumps again */
	CU_ASSERT_EQUAL(nb_update(db, b, mod2, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(b->version, 3);
	/* expected 0 = unconditional on what is stored now */
	CU_ASSERT_EQUAL(nb_update(db, b, 0, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(b->version, 4);
	/* update of something that does not exist */
	snprintf(a->id, MDL_ID_SIZE, "11111111-1111-4111-8111-000000000000");
	CU_ASSERT_EQUAL(nb_update(db, a, 0, NULL, err, sizeof(err)), -ENOENT);
	mdl_obj_free(a);
	mdl_obj_free(b);
}

static void t_validation_writes_nothing(void)
{
	char err[MDL_ERR_SIZE], json[512], *before, *after;
	struct mdl_hdr *p, *n;
	uint64_t mod;

	before = dump_all();
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	/* single-object failure */
	snprintf(json, sizeof(json), "{\"network_id\":\"%s\",\"mac_address\":\"zz\"}", net_id);
	p = obj(MDL_PORT, json);
	CU_ASSERT_EQUAL(nb_create(db, p, NULL, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "mac_address: 'zz' is not a valid MAC address");
	mdl_obj_free(p);
	/* cross-object failure */
	snprintf(json, sizeof(json), "{\"network_id\":\"%s\",\"fixed_ips\":[{\"subnet_id\":"
		 "\"%s\",\"ip_address\":\"10.1.0.5\"}]}", net_id, sub_id);
	p = obj(MDL_PORT, json);
	CU_ASSERT_EQUAL(nb_create(db, p, NULL, err, sizeof(err)), -EINVAL);
	snprintf(json, sizeof(json), "fixed_ips[0].ip_address 10.1.0.5 is outside subnet "
		 "10.0.0.0/24 (%s)", sub_id);
	CU_ASSERT_STRING_EQUAL(err, json);
	mdl_obj_free(p);
	/* dangling network */
	p = obj(MDL_PORT, "{\"network_id\":\"11111111-1111-4111-8111-000000000000\"}");
	CU_ASSERT_EQUAL(nb_create(db, p, NULL, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "network_id: network 11111111-1111-4111-8111-000000000000 "
			       "does not exist");
	mdl_obj_free(p);
	/* invalid update */
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_NETWORK, net_id, &n, &mod), 0);
	mdl_hdr_to_network(n)->mtu = 10;
	CU_ASSERT_EQUAL(nb_update(db, n, mod, NULL, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "mtu: 10 out of range 68..9216");
	mdl_obj_free(n);
	after = dump_all();
	CU_ASSERT_PTR_NOT_NULL_FATAL(after);
	CU_ASSERT_STRING_EQUAL(before, after);  /* incl. the dp_key counter */
	free(before);
	free(after);
}

static void t_delete_and_list(void)
{
	struct mdl_hdr **objs, *got;
	char err[MDL_ERR_SIZE], want[256];
	uint64_t mod;
	size_t n;

	CU_ASSERT_EQUAL(nb_list(db, MDL_NETWORK, &objs, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	nb_list_free(objs, n);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_NETWORK, net_id, 0, err, sizeof(err)), -EBUSY);
	snprintf(want, sizeof(want), "network %s is in use by subnet %s", net_id, sub_id);
	CU_ASSERT_STRING_EQUAL(err, want);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_SUBNET, sub_id, 0, err, sizeof(err)), -EBUSY);
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_PORT, port_id, &got, &mod), 0);
	mdl_obj_free(got);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_PORT, port_id, mod + 1000, err, sizeof(err)),
			-EAGAIN);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_PORT, port_id, mod, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_PORT, port_id, 0, err, sizeof(err)), -ENOENT);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_SUBNET, sub_id, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_NETWORK, net_id, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_list(db, MDL_NETWORK, &objs, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	nb_list_free(objs, n);
	/* dp_keys are never reused */
	got = obj(MDL_NETWORK, "{\"provider:network_type\":\"geneve\"}");
	CU_ASSERT_EQUAL(nb_create(db, got, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(got->dp_key, 4);
	mdl_obj_free(got);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_NETWORK, "bad", 0, err, sizeof(err)), -EINVAL);
}

/* A subnet of pool pool on network net with cidr: nb_create's result. */
static int pooled(const char *net, const char *pool, const char *cidr, char *err, size_t es,
		  char id[MDL_ID_SIZE])
{
	char json[512];
	struct mdl_hdr *s;
	int rc;

	snprintf(json, sizeof(json), "{\"network_id\":\"%s\",\"ip_version\":4,\"cidr\":\"%s\","
		 "\"subnetpool_id\":\"%s\"}", net, cidr, pool);
	s = obj(MDL_SUBNET, json);
	if (!s)
		return -EINVAL;
	rc = nb_create(db, s, NULL, err, es);
	if (id)
		snprintf(id, MDL_ID_SIZE, "%s", s->id);
	mdl_obj_free(s);
	return rc;
}

static void t_pools(void)
{
	char err[MDL_ERR_SIZE], pool[MDL_ID_SIZE], n1[MDL_ID_SIZE], n2[MDL_ID_SIZE];
	char s1[MDL_ID_SIZE], s2[MDL_ID_SIZE], *set;
	struct mdl_hdr *h;
	const char *pj = "{\"prefixes\":[\"10.50.0.0/16\"],\"ip_version\":4,"
		"\"default_prefixlen\":24,\"min_prefixlen\":8,\"max_prefixlen\":32,"
		"\"is_default\":true}";

	h = obj(MDL_SUBNETPOOL, pj);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL_FATAL(nb_create(db, h, NULL, err, sizeof(err)), 0);
	snprintf(pool, sizeof(pool), "%s", h->id);
	mdl_obj_free(h);
	h = obj(MDL_SUBNETPOOL, pj);            /* a second default IPv4 pool */
	CU_ASSERT_EQUAL(nb_create(db, h, NULL, err, sizeof(err)), -EADDRINUSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is_default: subnetpool "));
	mdl_obj_free(h);
	h = obj(MDL_NETWORK, "{\"provider:network_type\":\"vxlan\",\"provider:segmentation_id\":301}");
	CU_ASSERT_EQUAL(nb_create(db, h, NULL, err, sizeof(err)), 0);
	snprintf(n1, sizeof(n1), "%s", h->id);
	mdl_obj_free(h);
	h = obj(MDL_NETWORK, "{\"provider:network_type\":\"vxlan\",\"provider:segmentation_id\":302}");
	CU_ASSERT_EQUAL(nb_create(db, h, NULL, err, sizeof(err)), 0);
	snprintf(n2, sizeof(n2), "%s", h->id);
	mdl_obj_free(h);

	CU_ASSERT_EQUAL(pooled(n1, pool, "10.50.0.0/24", err, sizeof(err), s1), 0);
	/* another network, the same pool: its set refuses an overlap */
	CU_ASSERT_EQUAL(pooled(n2, pool, "10.50.0.128/25", err, sizeof(err), NULL), -EADDRINUSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, " of subnetpool "));
	CU_ASSERT_EQUAL(pooled(n2, pool, "10.50.1.0/24", err, sizeof(err), s2), 0);
	CU_ASSERT_EQUAL(pooled(n2, pool, "10.60.0.0/24", err, sizeof(err), NULL), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not in subnetpool"));
	CU_ASSERT_EQUAL(pooled(n2, "99999999-9999-4999-8999-999999999999", "10.50.2.0/24", err, sizeof(err), NULL), -EINVAL);
	CU_ASSERT_EQUAL(nb_pool_cidrs_get(db, pool, &set), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(set, "10.50.0.0/24"));
	CU_ASSERT_PTR_NOT_NULL(strstr(set, "10.50.1.0/24"));
	free(set);
	CU_ASSERT_EQUAL(t_check_consistent(db), 0);

	/* in use while a subnet refers to it */
	CU_ASSERT_EQUAL(nb_delete(db, MDL_SUBNETPOOL, pool, 0, err, sizeof(err)), -EBUSY);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_SUBNET, s1, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_SUBNET, s2, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(nb_pool_cidrs_get(db, pool, &set), 0);
	CU_ASSERT_STRING_EQUAL(set, "");        /* the empty set is deleted */
	free(set);
	CU_ASSERT_EQUAL(nb_delete(db, MDL_SUBNETPOOL, pool, 0, err, sizeof(err)), 0);
	h = obj(MDL_SUBNETPOOL, pj);            /* the default claim went with it */
	CU_ASSERT_EQUAL(nb_create(db, h, NULL, err, sizeof(err)), 0);
	mdl_obj_free(h);
	CU_ASSERT_EQUAL(t_check_consistent(db), 0);
}

static int suite_init(void)
{
	char url[300];

	snprintf(dir, sizeof(dir), "/tmp/wyv-nb-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(url, sizeof(url), "rocksdb:%s/db", dir);
	db = db_open(url);
	return db ? 0 : -1;
}

static int suite_fini(void)
{
	db_close(db);
	return test_rm_rf(dir) ? -1 : 0;
}

/* vxlan and geneve share the datapath's VNI space: one claim for both; a
 * VLAN id is per physical network. */
static void t_segid_claims(void)
{
	static const char *const j[] = {
		"{\"name\":\"x\",\"provider:network_type\":\"vxlan\","
		"\"provider:segmentation_id\":100}",
		"{\"name\":\"g\",\"provider:network_type\":\"geneve\","
		"\"provider:segmentation_id\":100}",
		"{\"name\":\"g\",\"provider:network_type\":\"geneve\","
		"\"provider:segmentation_id\":101}",
		"{\"name\":\"v\",\"provider:network_type\":\"vlan\","
		"\"provider:physical_network\":\"p1\",\"provider:segmentation_id\":100}",
		"{\"name\":\"v\",\"provider:network_type\":\"vlan\","
		"\"provider:physical_network\":\"p2\",\"provider:segmentation_id\":100}",
		"{\"name\":\"v\",\"provider:network_type\":\"vlan\","
		"\"provider:physical_network\":\"p1\",\"provider:segmentation_id\":100}",
		"{\"name\":\"x\",\"provider:network_type\":\"vxlan\","
		"\"provider:segmentation_id\":101}",
	};
	static const int want[] = { 0, -EADDRINUSE, 0, 0, 0, -EADDRINUSE, -EADDRINUSE };
	char err[MDL_ERR_SIZE];

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct mdl_hdr *n = obj(MDL_NETWORK, j[i]);
		char *before = dump_all();

		CU_ASSERT_PTR_NOT_NULL_FATAL(n);
		CU_ASSERT_EQUAL(nb_create(db, n, NULL, err, sizeof(err)), want[i]);
		if (want[i]) {
			char *after = dump_all();

			CU_ASSERT_PTR_NOT_NULL(strstr(err, "is already used by network"));
			CU_ASSERT_STRING_EQUAL(before, after);
			free(after);
		}
		free(before);
		mdl_obj_free(n);
	}
}

/* A chassis takes no dp_key (nothing is compiled from it), so hosts that
 * register at once do not meet on the shared counter: 16 threads, one
 * chassis each, all succeed, and the counter does not move. */
static void *register_one(void *arg)
{
	char json[128], err[MDL_ERR_SIZE];
	snprintf(json, sizeof(json), "{\"name\":\"h%ld\",\"vtep_ip\":\"192.0.2.%ld\","
		 "\"encap_types\":[\"vxlan\"]}",
		 (long)(intptr_t)arg, (long)(intptr_t)arg + 1);
	struct mdl_hdr *c = obj(MDL_CHASSIS, json);
	long rc = c ? nb_create(db, c, NULL, err, sizeof(err)) : -ENOMEM;
	if (rc)
		printf("\n chassis h%ld: %s\n", (long)(intptr_t)arg, err);
	if (rc == 0 && c->dp_key != 0)
		rc = -EPROTO;
	mdl_obj_free(c);
	return (void *)(intptr_t)rc;
}

static void t_chassis_no_dp_key(void)
{
	char ckey[128];
	struct db_kv before, after;
	pthread_t th[16];

	db_alloc_counter_key("dp_key", ckey, sizeof(ckey));
	CU_ASSERT_EQUAL_FATAL(db_get(db, ckey, &before), 0);
	for (long i = 0; i < 16; i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, register_one,
						     (void *)(intptr_t)i), 0);
	for (int i = 0; i < 16; i++) {
		void *rc;
		pthread_join(th[i], &rc);
		CU_ASSERT_EQUAL((long)(intptr_t)rc, 0);
	}
	CU_ASSERT_EQUAL_FATAL(db_get(db, ckey, &after), 0);
	CU_ASSERT_STRING_EQUAL(after.value, before.value);
	db_kv_clear(&before);
	db_kv_clear(&after);
	struct mdl_hdr **v = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(nb_list(db, MDL_CHASSIS, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 16);
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(v[i]->dp_key, 0);
		mdl_obj_free(v[i]);
	}
	free(v);
}

/* Without an index a port's status is one read of its binding host's key
 * (the chassis id derives from the name, as wyvernd writes it). */
static void t_port_status_direct(void)
{
	const char *pid = "abababab-0000-4000-8000-000000000001";
	char cid[MDL_ID_SIZE], key[160], st[16];
	uint64_t rev;
	struct nb *nb = nb_open(db, 0);

	CU_ASSERT_PTR_NOT_NULL_FATAL(nb);
	mdl_chassis_id("host-a", cid);
	snprintf(key, sizeof(key), "/wyvern/v1/_status/%s/port/%s", cid, pid);
	CU_ASSERT_EQUAL_FATAL(db_put(db, key, "{\"status\":\"ACTIVE\"}", 19, &rev), 0);
	CU_ASSERT_EQUAL(nb_port_status(nb, pid, "host-a", st, sizeof(st)), 0);
	CU_ASSERT_STRING_EQUAL(st, "ACTIVE");
	/* another host's (the port moved) or no binding: no status */
	CU_ASSERT_EQUAL(nb_port_status(nb, pid, "host-b", st, sizeof(st)), -ENOENT);
	CU_ASSERT_EQUAL(nb_port_status(nb, pid, "", st, sizeof(st)), -ENOENT);
	/* host unknown to the caller: the scan finds it */
	CU_ASSERT_EQUAL(nb_port_status(nb, pid, NULL, st, sizeof(st)), 0);
	CU_ASSERT_EQUAL(db_delete(db, key, &rev), 0);
	CU_ASSERT_EQUAL(nb_port_status(nb, pid, "host-a", st, sizeof(st)), -ENOENT);
	nb_close(nb);
}

static char memo_net[MDL_ID_SIZE];

/* Another writer: a rename on its own thread (its own read memo). */
static void *rename_elsewhere(void *arg)
{
	struct mdl_hdr *h;
	char err[MDL_ERR_SIZE];
	uint64_t mod;

	if (nb_get(db, MDL_NETWORK, memo_net, &h, &mod) == 0) {
		snprintf(mdl_hdr_to_network(h)->name, MDL_NAME_SIZE, "%s", (const char *)arg);
		if (nb_update(db, h, mod, NULL, err, sizeof(err)) != 0)
			printf("\n rename: %s\n", err);
		mdl_obj_free(h);
	}
	return NULL;
}

static void rename_on_thread(const char *name)
{
	pthread_t t;

	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, rename_elsewhere, (void *)(uintptr_t)name), 0);
	pthread_join(t, NULL);
}

static void t_read_memo(void)
{
	const char *gone = "11111111-2222-4333-8444-555555555555";
	struct mdl_hdr *h, *x;
	char err[MDL_ERR_SIZE];
	uint64_t mod, mod2, hits = nb_memo_hits();

	h = obj(MDL_NETWORK, "{\"name\":\"memo\",\"provider:network_type\":\"vxlan\","
		"\"provider:segmentation_id\":4242}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL_FATAL(nb_create(db, h, NULL, err, sizeof(err)), 0);
	snprintf(memo_net, sizeof(memo_net), "%s", h->id);
	mdl_obj_free(h);

	/* off: every read asks the db */
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_NETWORK, memo_net, &h, NULL), 0);
	mdl_obj_free(h);
	CU_ASSERT_EQUAL(nb_memo_hits(), hits);

	nb_memo_begin();
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_NETWORK, memo_net, &h, &mod), 0);
	rename_on_thread("memo-other");
	/* the second read is the first one's copy, at its revision */
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_NETWORK, memo_net, &x, &mod2), 0);
	CU_ASSERT_EQUAL(nb_memo_hits(), hits + 1);
	CU_ASSERT_EQUAL(mod2, mod);
	CU_ASSERT_STRING_EQUAL(mdl_hdr_to_network(x)->name, mdl_hdr_to_network(h)->name);
	mdl_obj_free(x);
	/* a write at that revision still loses to the other writer ... */
	snprintf(mdl_hdr_to_network(h)->name, MDL_NAME_SIZE, "memo-mine");
	CU_ASSERT_EQUAL(nb_update(db, h, mod, NULL, err, sizeof(err)), -EAGAIN);
	mdl_obj_free(h);
	/* ... and forgot the memo: the update's own retry read again, so
	 * now the memo holds what the other wrote */
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_NETWORK, memo_net, &h, &mod2), 0);
	CU_ASSERT_STRING_EQUAL(mdl_hdr_to_network(h)->name, "memo-other");
	CU_ASSERT_NOT_EQUAL(mod2, mod);
	/* a successful write forgets it too */
	snprintf(mdl_hdr_to_network(h)->name, MDL_NAME_SIZE, "memo-mine");
	CU_ASSERT_EQUAL(nb_update(db, h, mod2, NULL, err, sizeof(err)), 0);
	mdl_obj_free(h);
	hits = nb_memo_hits();
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_NETWORK, memo_net, &h, NULL), 0);
	CU_ASSERT_STRING_EQUAL(mdl_hdr_to_network(h)->name, "memo-mine");
	CU_ASSERT_EQUAL(nb_memo_hits(), hits);
	mdl_obj_free(h);
	/* an absent key is remembered as absent */
	CU_ASSERT_EQUAL(nb_get(db, MDL_NETWORK, gone, &h, NULL), -ENOENT);
	CU_ASSERT_EQUAL(nb_get(db, MDL_NETWORK, gone, &h, NULL), -ENOENT);
	CU_ASSERT_EQUAL(nb_memo_hits(), hits + 1);
	/* at most NB_MEMO_MAX keys: the others are read every time */
	for (unsigned i = 0; i < NB_MEMO_MAX + 4; i++) {
		char id[MDL_ID_SIZE];
		snprintf(id, sizeof(id), "11111111-2222-4333-8444-%012u", i);
		CU_ASSERT_EQUAL(nb_get(db, MDL_PORT, id, &h, NULL), -ENOENT);
	}
	uint64_t before = nb_memo_hits();
	CU_ASSERT_EQUAL(nb_get(db, MDL_PORT, "11111111-2222-4333-8444-000000000019", &h, NULL),
			-ENOENT);
	CU_ASSERT_EQUAL(nb_memo_hits(), before);
	nb_memo_end();
	/* off again: fresh reads */
	rename_on_thread("memo-after");
	CU_ASSERT_EQUAL_FATAL(nb_get(db, MDL_NETWORK, memo_net, &h, NULL), 0);
	CU_ASSERT_STRING_EQUAL(mdl_hdr_to_network(h)->name, "memo-after");
	CU_ASSERT_EQUAL(nb_memo_hits(), before);
	mdl_obj_free(h);
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("nb-rocksdb", suite_init, suite_fini);
	if (!s ||
	    !CU_add_test(s, "create, dp_key, get", t_create_get) ||
	    !CU_add_test(s, "update: version bump, CAS conflict", t_update_version_cas) ||
	    !CU_add_test(s, "validation failure writes nothing", t_validation_writes_nothing) ||
	    !CU_add_test(s, "delete with references, list", t_delete_and_list) ||
	    !CU_add_test(s, "vxlan and geneve share VNIs, vlan per physnet", t_segid_claims) ||
	    !CU_add_test(s, "subnet pools: CIDR set, in use, default", t_pools) ||
	    !CU_add_test(s, "chassis: no dp_key, concurrent registration", t_chassis_no_dp_key) ||
	    !CU_add_test(s, "port status: one read of the binding host's key",
			 t_port_status_direct) ||
	    !CU_add_test(s, "a command's read memo: copies, forgotten on any write",
			 t_read_memo)) {
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
