/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_test_pool.c — subnet pools (subnet_allocation) through
 * api_handle() on a real RocksDB store in a temp dir: the pool's
 * attributes, defaults, canonical prefixes and Neutron's errors; prefix
 * updates that only grow; subnets allocated from a pool (lowest free
 * aligned block, across networks; prefixlen; a requested cidr; bounds;
 * exhaustion); delete refused while subnets use the pool; one default pool
 * per IP version; an allocation that loses its block to a racing one
 * (interleaved by hand) and many allocating threads at once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "api.h"
#include "api_priv.h"
#include "api_test_util.h"
#include "db.h"
#include "nb.h"


static int setup(void)
{
	return api_fx_open("pool", NULL);
}

static int teardown(void)
{
	return api_fx_close();
}

static const char *as_project;  /* non-NULL: requests as a non-admin of it */

/* path may carry one query argument ("?k=v") */
static unsigned req(const char *method, const char *path, const char *body, json_t **out)
{
	char p[256], *q;
	struct api_arg arg;
	struct api_req r = { .method = method, .path = p, .body = body,
			     .body_len = body ? strlen(body) : 0, .base_url = "http://t",
			     .project = as_project, .scoped = as_project != NULL };

	snprintf(p, sizeof(p), "%s", path);
	if ((q = strchr(p, '?')) && strchr(q, '=')) {
		*q++ = '\0';
		arg.key = q;
		arg.val = strchr(q, '=') + 1;
		*strchr(q, '=') = '\0';
		r.args = &arg;
		r.n_args = 1;
	}
	return api_fx_call(&r, out);
}

static const char *err_type(const json_t *j)
{
	const char *t = json_string_value(json_object_get(json_object_get(j, "NeutronError"),
							  "type"));
	return t ? t : "";
}

static const char *err_msg(const json_t *j)
{
	const char *t = json_string_value(json_object_get(json_object_get(j, "NeutronError"),
							  "message"));
	return t ? t : "";
}

static const char *str(const json_t *j, const char *k1, const char *k2)
{
	const char *s = json_string_value(json_object_get(json_object_get(j, k1), k2));

	return s ? s : "";
}

static long long num(const json_t *j, const char *k1, const char *k2)
{
	return json_integer_value(json_object_get(json_object_get(j, k1), k2));
}

/* POST body to coll; the new object's id into id (status returned). */
static unsigned create(const char *coll, const char *body, char id[40], json_t **out)
{
	char path[64];
	json_t *j = NULL;
	unsigned st;

	snprintf(path, sizeof(path), "/v2.0/%s", coll);
	st = req("POST", path, body, &j);
	if (id) {
		json_t *o = json_object_iter_value(json_object_iter(j));

		snprintf(id, 40, "%s", json_string_value(json_object_get(o, "id")) ?: "");
	}
	if (out)
		*out = j;
	else
		json_decref(j);
	return st;
}

/* A subnet from pool pid on network nid (extra: more members); its cidr
 * into cidr (status returned). */
static unsigned pooled(const char *nid, const char *pid, const char *extra, char cidr[64],
		       char id[40])
{
	char body[512];
	json_t *j;
	unsigned st;

	snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"subnetpool_id\":\"%s\""
		 "%s%s}}", nid, pid, extra[0] ? "," : "", extra);
	st = create("subnets", body, id, &j);
	if (cidr)
		snprintf(cidr, 64, "%s", st == 201 ? str(j, "subnet", "cidr") : err_type(j));
	json_decref(j);
	return st;
}

static void test_pool_attrs(void)
{
	char id[40], path[128];
	json_t *j, *p;

	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"p\",\"prefixes\":"
			       "[\"10.51.0.0/16\",\"10.50.7.9/16\",\"10.50.3.0/24\"]}}", id, &j),
			201);
	p = json_object_get(j, "subnetpool");
	/* masked, the /24 inside the /16 dropped, the two /16 halves merged */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(p, "prefixes"),
								 0)), "10.50.0.0/15");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(p, "prefixes")), 1);
	CU_ASSERT_EQUAL(num(j, "subnetpool", "ip_version"), 4);
	CU_ASSERT_EQUAL(num(j, "subnetpool", "min_prefixlen"), 8);
	CU_ASSERT_EQUAL(num(j, "subnetpool", "max_prefixlen"), 32);
	CU_ASSERT_EQUAL(num(j, "subnetpool", "default_prefixlen"), 8);
	CU_ASSERT_TRUE(json_is_false(json_object_get(p, "is_default")));
	CU_ASSERT_TRUE(json_is_false(json_object_get(p, "shared")));
	CU_ASSERT_TRUE(json_is_null(json_object_get(p, "address_scope_id")));
	CU_ASSERT_TRUE(json_is_null(json_object_get(p, "default_quota")));
	CU_ASSERT_EQUAL(num(j, "subnetpool", "revision_number"), 1);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(p, "tenant_id"));
	CU_ASSERT_PTR_NOT_NULL(json_object_get(p, "created_at"));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(p, "tags")), 0);
	json_decref(j);

	snprintf(path, sizeof(path), "/v2.0/subnetpools/%s", id);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"subnetpool\":{\"name\":\"q\",\"min_prefixlen\":16,"
			    "\"default_prefixlen\":24}}", &j), 200);
	CU_ASSERT_STRING_EQUAL(str(j, "subnetpool", "name"), "q");
	CU_ASSERT_EQUAL(num(j, "subnetpool", "default_prefixlen"), 24);
	json_decref(j);
	/* prefixes only grow: a new list must cover the old one */
	CU_ASSERT_EQUAL(req("PUT", path, "{\"subnetpool\":{\"prefixes\":[\"10.50.0.0/16\"]}}",
			    &j), 400);
	CU_ASSERT_STRING_EQUAL(err_type(j), "IllegalSubnetPoolPrefixUpdate");
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(j), "Illegal update to prefixes"));
	json_decref(j);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"subnetpool\":{\"prefixes\":[\"10.50.0.0/15\","
			    "\"10.52.0.0/16\"]}}", &j), 200);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(j, "subnetpool"),
							"prefixes")), 2);
	json_decref(j);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"subnetpool\":{\"ip_version\":6}}", &j), 400);
	json_decref(j);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"subnetpool\":{\"max_prefixlen\":20}}", &j), 400);
	CU_ASSERT_STRING_EQUAL(err_type(j), "IllegalSubnetPoolPrefixBounds");
	CU_ASSERT_STRING_EQUAL(err_msg(j), "Illegal prefix bounds: default_prefixlen=24, "
			       "max_prefixlen=20.");
	json_decref(j);
	CU_ASSERT_EQUAL(req("GET", path, NULL, &j), 200);    /* nothing half-applied */
	CU_ASSERT_EQUAL(num(j, "subnetpool", "max_prefixlen"), 32);
	CU_ASSERT_EQUAL(num(j, "subnetpool", "revision_number"), 3);
	json_decref(j);

	/* Neutron's errors */
	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"e\",\"prefixes\":"
			       "[\"10.0.0.0/8\",\"fd00::/8\"]}}", NULL, &j), 400);
	CU_ASSERT_STRING_EQUAL(err_type(j), "PrefixVersionMismatch");
	json_decref(j);
	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"e\",\"prefixes\":[]}}",
			       NULL, &j), 400);
	CU_ASSERT_STRING_EQUAL(err_type(j), "EmptySubnetPoolPrefixList");
	json_decref(j);
	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"e\",\"prefixes\":"
			       "[\"10.9.0.0/16\"],\"min_prefixlen\":24,\"default_prefixlen\":20}}",
			       NULL, &j), 400);
	CU_ASSERT_STRING_EQUAL(err_type(j), "IllegalSubnetPoolPrefixBounds");
	json_decref(j);
	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"e\",\"prefixes\":"
			       "[\"10.9.0.0/16\"],\"address_scope_id\":"
			       "\"6a1c4e5e-93cf-4a36-9c8a-0c3c3ad1b1d4\"}}", NULL, &j), 404);
	CU_ASSERT_STRING_EQUAL(err_type(j), "AddressScopeNotFound");
	json_decref(j);
	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"e\",\"prefixes\":"
			       "[\"10.9.0.0/33\"]}}", NULL, &j), 400);
	json_decref(j);
	CU_ASSERT_EQUAL(req("GET", "/v2.0/subnetpools/6a1c4e5e-93cf-4a36-9c8a-0c3c3ad1b1d4",
			    NULL, &j), 404);
	CU_ASSERT_STRING_EQUAL(err_type(j), "SubnetPoolNotFound");
	json_decref(j);

	/* IPv6 defaults; list and tags */
	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"v6\",\"prefixes\":"
			       "[\"fd12:3456::/48\"]}}", NULL, &j), 201);
	CU_ASSERT_EQUAL(num(j, "subnetpool", "ip_version"), 6);
	CU_ASSERT_EQUAL(num(j, "subnetpool", "min_prefixlen"), 64);
	CU_ASSERT_EQUAL(num(j, "subnetpool", "max_prefixlen"), 128);
	json_decref(j);
	CU_ASSERT_EQUAL(req("GET", "/v2.0/subnetpools?ip_version=6", NULL, &j), 200);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "subnetpools")), 1);
	json_decref(j);
	/* bulk: all or nothing */
	CU_ASSERT_EQUAL(req("POST", "/v2.0/subnetpools", "{\"subnetpools\":[{\"name\":\"b1\","
			    "\"prefixes\":[\"10.90.0.0/16\"]},{\"name\":\"b2\",\"prefixes\":"
			    "[\"10.91.0.0/16\"],\"min_prefixlen\":40}]}", &j), 400);
	json_decref(j);
	CU_ASSERT_EQUAL(req("GET", "/v2.0/subnetpools?name=b1", NULL, &j), 200);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "subnetpools")), 0);
	json_decref(j);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/subnetpools", "{\"subnetpools\":[{\"name\":\"b1\","
			    "\"prefixes\":[\"10.90.0.0/16\"]},{\"name\":\"b2\",\"prefixes\":"
			    "[\"10.91.0.0/16\"]}]}", &j), 201);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "subnetpools")), 2);
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/subnetpools/%s/tags/red", id);
	CU_ASSERT_EQUAL(req("PUT", path, NULL, NULL) / 100, 2);
	CU_ASSERT_EQUAL(req("GET", "/v2.0/subnetpools?tags=red", NULL, &j), 200);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "subnetpools")), 1);
	json_decref(j);
}

static void test_pool_alloc(void)
{
	char pid[40], n1[40], n2[40], s[4][40], cidr[64], path[128];
	json_t *j;

	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"a\",\"prefixes\":"
			       "[\"10.60.0.0/16\"],\"default_prefixlen\":24,\"min_prefixlen\":"
			       "16,\"max_prefixlen\":28}}", pid, NULL), 201);
	CU_ASSERT_EQUAL(create("networks", "{\"network\":{\"name\":\"n1\"}}", n1, NULL), 201);
	CU_ASSERT_EQUAL(create("networks", "{\"network\":{\"name\":\"n2\"}}", n2, NULL), 201);

	CU_ASSERT_EQUAL(pooled(n1, pid, "\"ip_version\":4", cidr, s[0]), 201);
	CU_ASSERT_STRING_EQUAL(cidr, "10.60.0.0/24");
	snprintf(path, sizeof(path), "/v2.0/subnets/%s", s[0]);
	CU_ASSERT_EQUAL(req("GET", path, NULL, &j), 200);
	CU_ASSERT_STRING_EQUAL(str(j, "subnet", "subnetpool_id"), pid);
	CU_ASSERT_STRING_EQUAL(str(j, "subnet", "gateway_ip"), "10.60.0.1");
	json_decref(j);
	/* the pool spans networks: the next block, whichever network */
	CU_ASSERT_EQUAL(pooled(n2, pid, "", cidr, s[1]), 201);
	CU_ASSERT_STRING_EQUAL(cidr, "10.60.1.0/24");
	CU_ASSERT_EQUAL(pooled(n1, pid, "\"prefixlen\":26", cidr, s[2]), 201);
	CU_ASSERT_STRING_EQUAL(cidr, "10.60.2.0/26");
	CU_ASSERT_EQUAL(pooled(n2, pid, "", cidr, s[3]), 201);     /* aligned past the /26 */
	CU_ASSERT_STRING_EQUAL(cidr, "10.60.3.0/24");
	CU_ASSERT_EQUAL(pooled(n2, pid, "\"cidr\":\"10.60.2.64/26\"", cidr, NULL), 201);
	CU_ASSERT_STRING_EQUAL(cidr, "10.60.2.64/26");

	{       /* IPv6: /64s from a /48, ip_version from the pool */
		char p6[40];

		CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"a6\","
				       "\"prefixes\":[\"fd12:3456::/48\"]}}", p6, NULL), 201);
		CU_ASSERT_EQUAL(pooled(n1, p6, "", cidr, NULL), 201);
		CU_ASSERT_STRING_EQUAL(cidr, "fd12:3456::/64");
		CU_ASSERT_EQUAL(pooled(n2, p6, "\"ip_version\":6", cidr, NULL), 201);
		CU_ASSERT_STRING_EQUAL(cidr, "fd12:3456:0:1::/64");
	}
	{       /* one network, one IP version: one pool (or none) */
		char p2[40], body[256];

		CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"a2\","
				       "\"prefixes\":[\"10.65.0.0/16\"],\"default_prefixlen\":24}}", p2,
				       NULL), 201);
		CU_ASSERT_EQUAL(pooled(n1, p2, "", cidr, NULL), 400);
		CU_ASSERT_STRING_EQUAL(cidr, "NetworkSubnetPoolAffinityError");
		snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":"
			 "\"192.168.78.0/24\",\"ip_version\":4}}", n1);
		CU_ASSERT_EQUAL(create("subnets", body, NULL, &j), 400);
		CU_ASSERT_STRING_EQUAL(err_type(j), "NetworkSubnetPoolAffinityError");
		json_decref(j);
	}
	/* a requested cidr: inside the pool and free in it */
	CU_ASSERT_EQUAL(pooled(n2, pid, "\"cidr\":\"10.60.2.0/27\"", cidr, NULL), 400);
	CU_ASSERT_STRING_EQUAL(cidr, "SubnetAllocationError");
	CU_ASSERT_EQUAL(pooled(n2, pid, "\"cidr\":\"10.70.0.0/24\"", cidr, NULL), 400);
	CU_ASSERT_STRING_EQUAL(cidr, "SubnetAllocationError");
	CU_ASSERT_EQUAL(pooled(n2, pid, "\"prefixlen\":12", cidr, NULL), 400);
	CU_ASSERT_STRING_EQUAL(cidr, "MinPrefixSubnetAllocationError");
	CU_ASSERT_EQUAL(pooled(n2, pid, "\"prefixlen\":30", cidr, NULL), 400);
	CU_ASSERT_STRING_EQUAL(cidr, "MaxPrefixSubnetAllocationError");
	CU_ASSERT_EQUAL(pooled(n2, pid, "\"ip_version\":6", cidr, NULL), 400);
	CU_ASSERT_EQUAL(pooled(n2, "6a1c4e5e-93cf-4a36-9c8a-0c3c3ad1b1d4", "", cidr, NULL), 404);
	CU_ASSERT_STRING_EQUAL(cidr, "SubnetPoolNotFound");

	/* a subnet without a pool: as before */
	{
		char body[256];

		char n3[40];

		CU_ASSERT_EQUAL(create("networks", "{\"network\":{\"name\":\"n3\"}}", n3, NULL),
				201);
		snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":"
			 "\"192.168.77.0/24\",\"ip_version\":4}}", n3);
		CU_ASSERT_EQUAL(create("subnets", body, NULL, &j), 201);
		CU_ASSERT_TRUE(json_is_null(json_object_get(json_object_get(j, "subnet"),
							    "subnetpool_id")));
		json_decref(j);
	}

	/* in use: Neutron's 400 SubnetPoolDeleteError, then gone with its subnets */
	snprintf(path, sizeof(path), "/v2.0/subnetpools/%s", pid);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, &j), 400);
	CU_ASSERT_STRING_EQUAL(err_type(j), "SubnetPoolDeleteError");
	CU_ASSERT_STRING_EQUAL(err_msg(j), "Unable to delete subnet pool: Subnet pool has "
			       "existing allocations.");
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/networks/%s", n2);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, NULL), 204);
	/* n2's blocks are free again: the lowest is allocated next */
	CU_ASSERT_EQUAL(pooled(n1, pid, "", cidr, NULL), 201);
	CU_ASSERT_STRING_EQUAL(cidr, "10.60.1.0/24");
	snprintf(path, sizeof(path), "/v2.0/networks/%s", n1);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, NULL), 204);
	snprintf(path, sizeof(path), "/v2.0/subnetpools/%s", pid);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, NULL), 204);
}

/* The race on one network: the block lost shows first as an overlap in
 * the network's CIDR set; that is retried the same way. */
static void test_pool_race_same_network(void)
{
	char pid[40], nid[40], cidr[64], err[256];
	struct nbo_err e;
	struct mdl_hdr *h;
	json_t *m, *m0 = json_object(), *avoid = json_array();
	uint64_t rev;

	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"w\",\"prefixes\":"
			       "[\"10.64.0.0/16\"],\"default_prefixlen\":24}}", pid, NULL), 201);
	CU_ASSERT_EQUAL(create("networks", "{\"network\":{\"name\":\"nw\"}}", nid, NULL), 201);
	m = json_pack("{s:s,s:s,s:s,s:s}", "id", "1f6c1d3e-5b1a-4c55-9f43-2d6e3f1a7b21",
		      "network_id", nid, "subnetpool_id", pid, "project_id", "p");
	CU_ASSERT_EQUAL_FATAL(nbo_subnet_pool(&api_fx.nbo, m, avoid, &e), 0);
	CU_ASSERT_EQUAL(pooled(nid, pid, "", cidr, NULL), 201);
	CU_ASSERT_STRING_EQUAL(cidr, "10.64.0.0/24");
	h = mdl_obj_from_json(MDL_SUBNET, m, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(nb_h_create(api_fx.nb, h, &rev, err, sizeof(err)), -EADDRINUSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, " in network "));
	CU_ASSERT_TRUE(nbo_pool_retry(m0, h, err, avoid));
	CU_ASSERT_FALSE(nbo_pool_retry(json_object_get(m, "cidr") ? m : m0, h,
				       "cidr: 10.64.0.0/24 is not in subnetpool x", avoid));
	mdl_obj_free(h);
	json_object_del(m, "cidr");
	json_object_del(m, "gateway_ip");
	json_object_del(m, "allocation_pools");
	CU_ASSERT_EQUAL(nbo_subnet_pool(&api_fx.nbo, m, avoid, &e), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "cidr")), "10.64.1.0/24");
	json_decref(m);
	json_decref(m0);
	json_decref(avoid);
}

static void test_pool_exhausted(void)
{
	char pid[40], nid[40], cidr[64];
	json_t *j;

	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"x\",\"prefixes\":"
			       "[\"10.61.0.0/24\"],\"default_prefixlen\":25}}", pid, NULL), 201);
	CU_ASSERT_EQUAL(create("networks", "{\"network\":{\"name\":\"nx\"}}", nid, NULL), 201);
	CU_ASSERT_EQUAL(pooled(nid, pid, "", cidr, NULL), 201);
	CU_ASSERT_EQUAL(pooled(nid, pid, "", cidr, NULL), 201);
	CU_ASSERT_STRING_EQUAL(cidr, "10.61.0.128/25");
	{
		char body[256];

		snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"subnetpool_id\":"
			 "\"%s\"}}", nid, pid);
		CU_ASSERT_EQUAL(create("subnets", body, NULL, &j), 409);
		CU_ASSERT_STRING_EQUAL(err_type(j), "SubnetAllocationError");
		CU_ASSERT_STRING_EQUAL(err_msg(j), "Failed to allocate subnet: Insufficient prefix "
				       "space to allocate subnet size /25.");
		json_decref(j);
	}
	/* a grown pool allocates again */
	{
		char path[128];

		snprintf(path, sizeof(path), "/v2.0/subnetpools/%s", pid);
		CU_ASSERT_EQUAL(req("PUT", path, "{\"subnetpool\":{\"prefixes\":[\"10.61.0.0/24\","
				    "\"10.61.9.0/24\"]}}", NULL), 200);
	}
	CU_ASSERT_EQUAL(pooled(nid, pid, "", cidr, NULL), 201);
	CU_ASSERT_STRING_EQUAL(cidr, "10.61.9.0/25");
}

static void test_pool_default(void)
{
	char a[40], b[40], c[40], nid[40], cidr[64], path[128];
	json_t *j;

	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"d1\",\"prefixes\":"
			       "[\"10.80.0.0/16\"],\"is_default\":true,\"default_prefixlen\":24}}",
			       a, NULL), 201);
	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"d2\",\"prefixes\":"
			       "[\"10.81.0.0/16\"],\"is_default\":true}}", b, &j), 400);
	CU_ASSERT_STRING_EQUAL(err_type(j), "InvalidInput");
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(j), "Only one default may exist per IP family"));
	json_decref(j);
	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"d6\",\"prefixes\":"
			       "[\"fd99::/48\"],\"is_default\":true}}", c, NULL), 201);
	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"d2\",\"prefixes\":"
			       "[\"10.81.0.0/16\"]}}", b, NULL), 201);
	snprintf(path, sizeof(path), "/v2.0/subnetpools/%s", b);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"subnetpool\":{\"is_default\":true}}", NULL), 400);
	/* use_default_subnetpool takes the default of the subnet's version */
	CU_ASSERT_EQUAL(create("networks", "{\"network\":{\"name\":\"nd\"}}", nid, NULL), 201);
	{
		char body[256];

		snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"ip_version\":4,"
			 "\"use_default_subnetpool\":true}}", nid);
		CU_ASSERT_EQUAL(create("subnets", body, NULL, &j), 201);
		CU_ASSERT_STRING_EQUAL(str(j, "subnet", "cidr"), "10.80.0.0/24");
		CU_ASSERT_STRING_EQUAL(str(j, "subnet", "subnetpool_id"), a);
		json_decref(j);
	}
	snprintf(path, sizeof(path), "/v2.0/subnetpools/%s", a);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"subnetpool\":{\"is_default\":false}}", NULL), 200);
	snprintf(path, sizeof(path), "/v2.0/subnetpools/%s", b);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"subnetpool\":{\"is_default\":true}}", NULL), 200);
	(void)cidr;
}

/* The race by hand: an allocation picks a block, a second one takes the
 * same block first; the first one's write must fail inside its
 * transaction and its retry must take the next block. */
static void test_pool_race_interleaved(void)
{
	char pid[40], nid[40], nid2[40], cidr[64], err[256];
	struct nbo_err e;
	struct mdl_hdr *h;
	json_t *m, *avoid = json_array();
	uint64_t rev;
	int rc;

	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"r\",\"prefixes\":"
			       "[\"10.62.0.0/16\"],\"default_prefixlen\":24}}", pid, NULL), 201);
	CU_ASSERT_EQUAL(create("networks", "{\"network\":{\"name\":\"nr\"}}", nid, NULL), 201);
	CU_ASSERT_EQUAL(create("networks", "{\"network\":{\"name\":\"nr2\"}}", nid2, NULL), 201);
	m = json_pack("{s:s,s:s,s:s,s:s}", "id", "0f6c1d3e-5b1a-4c55-9f43-2d6e3f1a7b20",
		      "network_id", nid, "subnetpool_id", pid, "project_id", "p");
	CU_ASSERT_EQUAL_FATAL(nbo_subnet_pool(&api_fx.nbo, m, avoid, &e), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "cidr")), "10.62.0.0/24");
	/* the other allocation (another network: only the pool's set can
	 * tell) commits first and gets the same block */
	CU_ASSERT_EQUAL(pooled(nid2, pid, "", cidr, NULL), 201);
	CU_ASSERT_STRING_EQUAL(cidr, "10.62.0.0/24");
	h = mdl_obj_from_json(MDL_SUBNET, m, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	rc = nb_h_create(api_fx.nb, h, &rev, err, sizeof(err));
	CU_ASSERT_EQUAL(rc, -EADDRINUSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, " of subnetpool "));
	{
		json_t *m0 = json_object();     /* the request had no cidr */

		CU_ASSERT_TRUE(nbo_pool_retry(m0, h, err, avoid));
		json_decref(m0);
	}
	mdl_obj_free(h);
	json_object_del(m, "cidr");
	json_object_del(m, "gateway_ip");
	json_object_del(m, "allocation_pools");
	CU_ASSERT_EQUAL(nbo_subnet_pool(&api_fx.nbo, m, avoid, &e), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(m, "cidr")), "10.62.1.0/24");
	h = mdl_obj_from_json(MDL_SUBNET, m, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(nb_h_create(api_fx.nb, h, &rev, err, sizeof(err)), 0);
	mdl_obj_free(h);
	json_decref(m);
	json_decref(avoid);
}

#define RACERS 4
#define PER_RACER 6

struct racer {
	const char *pid;
	char nid[40];
	char cidrs[PER_RACER][64];
	int fails;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	int i;

	for (i = 0; i < PER_RACER; i++)
		if (pooled(r->nid, r->pid, "", r->cidrs[i], NULL) != 201)
			r->fails++;
	return NULL;
}

/* Threads allocating from one pool at once (each on its own network, so
 * only the pool's set can keep them apart): all succeed, no two overlap,
 * and together they fill exactly the lowest blocks. */
static void test_pool_race_threads(void)
{
	struct racer r[RACERS];
	pthread_t th[RACERS];
	char pid[40], seen[RACERS * PER_RACER][64], want[64];
	size_t n = 0, i, k;
	int t;

	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"t\",\"prefixes\":"
			       "[\"10.63.0.0/16\"],\"default_prefixlen\":24}}", pid, NULL), 201);
	for (t = 0; t < RACERS; t++) {
		memset(&r[t], 0, sizeof(r[t]));
		r[t].pid = pid;
		CU_ASSERT_EQUAL(create("networks", "{\"network\":{\"name\":\"nt\"}}", r[t].nid,
				       NULL), 201);
	}
	for (t = 0; t < RACERS; t++)
		CU_ASSERT_EQUAL(pthread_create(&th[t], NULL, race, &r[t]), 0);
	for (t = 0; t < RACERS; t++)
		pthread_join(th[t], NULL);
	for (t = 0; t < RACERS; t++) {
		CU_ASSERT_EQUAL(r[t].fails, 0);
		for (i = 0; i < PER_RACER; i++)
			snprintf(seen[n++], 64, "%s", r[t].cidrs[i]);
	}
	for (k = 0; k < n; k++) {     /* exactly 10.63.0.0/24 .. 10.63.(n-1).0/24 */
		bool found = false;

		snprintf(want, sizeof(want), "10.63.%zu.0/24", k);
		for (i = 0; i < n; i++)
			found |= !strcmp(seen[i], want);
		CU_ASSERT_TRUE(found);
		if (!found)
			printf("\n %s not allocated", want);
	}
}

/* A non-admin project sees its own pools and shared ones, allocates from
 * a shared pool, and may not set shared / is_default. */
static void test_pool_scoped(void)
{
	char shared[40], other[40], mine[40], nid[40], cidr[64], path[128];
	json_t *j;

	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"sh\",\"prefixes\":"
			       "[\"10.70.0.0/16\"],\"shared\":true,\"default_prefixlen\":24,"
			       "\"project_id\":\"admin\"}}", shared, NULL), 201);
	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"ot\",\"prefixes\":"
			       "[\"10.71.0.0/16\"],\"project_id\":\"other\"}}", other, NULL), 201);
	as_project = "demo";
	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"mi\",\"prefixes\":"
			       "[\"10.72.0.0/16\"]}}", mine, NULL), 201);
	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"x\",\"prefixes\":"
			       "[\"10.73.0.0/16\"],\"is_default\":true}}", NULL, NULL), 403);
	CU_ASSERT_EQUAL(create("subnetpools", "{\"subnetpool\":{\"name\":\"x\",\"prefixes\":"
			       "[\"10.73.0.0/16\"],\"shared\":true}}", NULL, NULL), 403);
	CU_ASSERT_EQUAL(req("GET", "/v2.0/subnetpools?name=ot", NULL, &j), 200);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "subnetpools")), 0);
	json_decref(j);
	CU_ASSERT_EQUAL(req("GET", "/v2.0/subnetpools?name=sh", NULL, &j), 200);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "subnetpools")), 1);
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/subnetpools/%s", other);
	CU_ASSERT_EQUAL(req("GET", path, NULL, &j), 404);
	CU_ASSERT_STRING_EQUAL(err_type(j), "SubnetPoolNotFound");
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/subnetpools/%s", shared);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"subnetpool\":{\"name\":\"z\"}}", NULL), 403);
	CU_ASSERT_EQUAL(create("networks", "{\"network\":{\"name\":\"ns\"}}", nid, NULL), 201);
	CU_ASSERT_EQUAL(pooled(nid, shared, "", cidr, NULL), 201);
	CU_ASSERT_STRING_EQUAL(cidr, "10.70.0.0/24");
	CU_ASSERT_EQUAL(pooled(nid, other, "", cidr, NULL), 404);
	CU_ASSERT_STRING_EQUAL(cidr, "SubnetPoolNotFound");
	as_project = NULL;
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("api-pool", setup, teardown);
	CU_add_test(s, "attributes, canonical prefixes, updates, errors", test_pool_attrs);
	CU_add_test(s, "allocation from a pool", test_pool_alloc);
	CU_add_test(s, "a lost block on one network is retried", test_pool_race_same_network);
	CU_add_test(s, "exhausted pool", test_pool_exhausted);
	CU_add_test(s, "one default pool per IP version", test_pool_default);
	CU_add_test(s, "project scoping", test_pool_scoped);
	CU_add_test(s, "a lost block is retried (interleaved)", test_pool_race_interleaved);
	CU_add_test(s, "allocating threads never overlap", test_pool_race_threads);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
