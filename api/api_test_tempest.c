/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_test_tempest.c — Neutron behaviours tempest's network API tests
 * rely on, through api_handle() on a real RocksDB store in a temp dir:
 * bulk create (all or nothing), an overlapping cidr answered 400 with
 * Neutron's "overlaps with another subnet", a router created with an empty
 * external_gateway_info ({} = no gateway).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "api.h"
#include "api_priv.h"
#include "db.h"
#include "nb.h"

static char dir[64];
static struct db *db;
static struct nb *nbh;
static struct nbo nbo;

static int setup(void)
{
	struct nbo_config cfg;
	char url[128];

	snprintf(dir, sizeof(dir), "/tmp/wyv-api-tt-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(url, sizeof(url), "rocksdb:%s/db", dir);
	db = db_open(url);
	nbh = db ? nb_open(db, NB_F_INDEX | NB_F_DP_BLOCK) : NULL;
	nbo_config_defaults(&cfg);
	nbo_init(&nbo, nbh, &cfg);
	return nbh ? 0 : -1;
}

static int teardown(void)
{
	char cmd[128];

	nbo_fini(&nbo);
	nb_close(nbh);
	db_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static unsigned req(const char *method, const char *path, const char *body, json_t **out)
{
	struct api_req r = { .method = method, .path = path, .body = body,
			     .body_len = body ? strlen(body) : 0, .base_url = "http://t" };
	struct api_resp resp;

	api_handle(&nbo, &r, &resp);
	if (out)
		*out = resp.body;
	else
		json_decref(resp.body);
	return resp.status;
}

static size_t count(const char *coll)
{
	char path[64];
	json_t *j;
	size_t n;

	snprintf(path, sizeof(path), "/v2.0/%s", coll);
	if (req("GET", path, NULL, &j) != 200)
		return (size_t)-1;
	n = json_array_size(json_object_get(j, coll));
	json_decref(j);
	return n;
}

static const char *err_type(const json_t *j)
{
	return json_string_value(json_object_get(json_object_get(j, "NeutronError"), "type"));
}

static const char *ip_of(const json_t *port)
{
	const json_t *f = json_array_get(json_object_get(port, "fixed_ips"), 0);

	return json_string_value(json_object_get(f, "ip_address")) ?: "";
}

static void test_bulk(void)
{
	char body[512], nid[40];
	json_t *j, *a;
	size_t n0 = count("networks");

	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"networks\":[{\"name\":\"b1\"},"
			    "{\"name\":\"b2\",\"admin_state_up\":false}]}", &j), 201);
	a = json_object_get(j, "networks");
	CU_ASSERT_EQUAL(json_array_size(a), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(a, 1), "name")),
			       "b2");
	CU_ASSERT_TRUE(json_is_false(json_object_get(json_array_get(a, 1), "admin_state_up")));
	snprintf(nid, sizeof(nid), "%s",
		 json_string_value(json_object_get(json_array_get(a, 0), "id")));
	json_decref(j);
	CU_ASSERT_EQUAL(count("networks"), n0 + 2);

	/* the second item fails: the first is undone, the answer is its error */
	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"networks\":[{\"name\":\"b3\"},"
			    "{\"bogus\":1}]}", &j), 400);
	CU_ASSERT_PTR_NOT_NULL(err_type(j));
	json_decref(j);
	CU_ASSERT_EQUAL(count("networks"), n0 + 2);

	/* subnets and ports in bulk; a colliding second subnet undoes the first */
	snprintf(body, sizeof(body), "{\"subnets\":[{\"network_id\":\"%s\",\"cidr\":"
		 "\"10.91.0.0/24\",\"ip_version\":4},{\"network_id\":\"%s\",\"cidr\":"
		 "\"10.91.0.0/25\",\"ip_version\":4}]}", nid, nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/subnets", body, &j), 400);
	CU_ASSERT_STRING_EQUAL(err_type(j), "InvalidInput");
	json_decref(j);
	CU_ASSERT_EQUAL(count("subnets"), 0);
	snprintf(body, sizeof(body), "{\"subnets\":[{\"network_id\":\"%s\",\"cidr\":"
		 "\"10.91.0.0/24\",\"ip_version\":4},{\"network_id\":\"%s\",\"cidr\":"
		 "\"10.92.0.0/24\",\"ip_version\":4}]}", nid, nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/subnets", body, NULL), 201);
	snprintf(body, sizeof(body), "{\"ports\":[{\"network_id\":\"%s\"},{\"network_id\":"
		 "\"%s\"}]}", nid, nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/ports", body, &j), 201);
	a = json_object_get(j, "ports");
	CU_ASSERT_EQUAL(json_array_size(a), 2);
	CU_ASSERT_STRING_NOT_EQUAL(ip_of(json_array_get(a, 0)), ip_of(json_array_get(a, 1)));
	json_decref(j);
	CU_ASSERT_EQUAL(count("ports"), 2);

	/* not a list, an empty list, a list of non-objects, mixed keys */
	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"networks\":{}}", NULL), 400);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"networks\":[]}", NULL), 400);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"networks\":[1]}", NULL), 400);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"networks\":[{}],\"network\":{}}",
			    NULL), 400);
	CU_ASSERT_EQUAL(count("networks"), n0 + 2);
}

static void test_overlap_and_gateway(void)
{
	char body[256], nid[40];
	const char *msg;
	json_t *j, *x;

	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"network\":{\"name\":\"ov\"}}", &j),
			201);
	snprintf(nid, sizeof(nid), "%s",
		 json_string_value(json_object_get(json_object_get(j, "network"), "id")));
	json_decref(j);
	snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":"
		 "\"10.93.0.0/24\",\"ip_version\":4}}", nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/subnets", body, NULL), 201);
	snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":"
		 "\"10.93.0.128/25\",\"ip_version\":4}}", nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/subnets", body, &j), 400);
	CU_ASSERT_STRING_EQUAL(err_type(j), "InvalidInput");
	msg = json_string_value(json_object_get(json_object_get(j, "NeutronError"), "message"));
	CU_ASSERT_PTR_NOT_NULL(msg && strstr(msg, "overlaps with another subnet") ? msg : NULL);
	CU_ASSERT_PTR_NOT_NULL(msg && strstr(msg, nid) ? msg : NULL);
	json_decref(j);

	/* {} is no gateway (create and update) */
	CU_ASSERT_EQUAL(req("POST", "/v2.0/routers", "{\"router\":{\"name\":\"g\","
			    "\"external_gateway_info\":{}}}", &j), 201);
	x = json_object_get(j, "router");
	CU_ASSERT_TRUE(json_is_null(json_object_get(x, "external_gateway_info")));
	snprintf(body, sizeof(body), "/v2.0/routers/%s",
		 json_string_value(json_object_get(x, "id")));
	json_decref(j);
	CU_ASSERT_EQUAL(req("PUT", body, "{\"router\":{\"external_gateway_info\":{}}}", &j), 200);
	CU_ASSERT_TRUE(json_is_null(json_object_get(json_object_get(j, "router"),
						    "external_gateway_info")));
	json_decref(j);
	CU_ASSERT_EQUAL(req("DELETE", body, NULL, NULL), 204);
}

int main(void)
{
	CU_pSuite w;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	w = CU_add_suite("api-tempest", setup, teardown);
	if (!w || !CU_add_test(w, "bulk create", test_bulk) ||
	    !CU_add_test(w, "overlapping cidr, empty gateway", test_overlap_and_gateway)) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
