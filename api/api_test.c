/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_test.c — the request handler without HTTP: list semantics
 * (filters, tags, fields, sorting, pagination and links) over hand-made
 * views, and whole requests (routing, bodies, status codes, NeutronError,
 * If-Match, immutable attributes, defaults) through api_handle() on a real
 * RocksDB store in a temp dir; config keys and ranges.
 */
#include <errno.h>
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

#define ARGS(...) ((const struct api_arg[]){ __VA_ARGS__ })
#define NARGS(...) (sizeof((const struct api_arg[]){ __VA_ARGS__ }) / sizeof(struct api_arg))

static json_t *items(void)
{
	return json_loads("["
		"{\"id\":\"a\",\"name\":\"x\",\"n\":3,\"up\":true,\"gw\":null,\"tags\":[\"t1\",\"t2\"],"
		" \"fixed_ips\":[{\"subnet_id\":\"s1\",\"ip_address\":\"10.0.0.5\"}],\"dns\":[\"1.1.1.1\"]},"
		"{\"id\":\"b\",\"name\":\"y\",\"n\":1,\"up\":false,\"gw\":\"10.0.0.1\",\"tags\":[\"t2\"],"
		" \"fixed_ips\":[{\"subnet_id\":\"s2\",\"ip_address\":\"10.0.1.5\"}],\"dns\":[]},"
		"{\"id\":\"c\",\"name\":\"x\",\"n\":2,\"up\":true,\"gw\":null,\"tags\":[],"
		" \"fixed_ips\":[],\"dns\":[]},"
		"{\"id\":\"d\",\"name\":\"z\",\"n\":2,\"up\":true,\"gw\":null,\"tags\":[\"t3\"],"
		" \"fixed_ips\":[],\"dns\":[]}]", 0, NULL);
}

/* The ids of list result out["things"], joined ("abc"). */
static const char *ids(json_t *out)
{
	static char buf[64];
	json_t *a = json_object_get(out, "things"), *x;
	size_t i, n = 0;

	json_array_foreach(a, i, x)
		if (n < sizeof(buf) - 1)
			buf[n++] = json_string_value(json_object_get(x, "id"))[0];
	buf[n] = '\0';
	return buf;
}

static const char *list(const struct api_arg *args, size_t n, json_t **keep, int *rc)
{
	struct api_req r = { .method = "GET", .path = "/", .args = args, .n_args = n,
			     .base_url = "http://h:1" };
	char err[256];
	json_t *out = NULL;
	const char *s;

	*rc = api_list_finish(&r, "things", items(), &out, err, sizeof(err));
	s = *rc ? "" : ids(out);
	if (keep)
		*keep = out;
	else
		json_decref(out);
	return s;
}

#define LIST(...) list(ARGS(__VA_ARGS__), NARGS(__VA_ARGS__), NULL, &rc)

static void test_filters(void)
{
	int rc;

	CU_ASSERT_STRING_EQUAL(list(NULL, 0, NULL, &rc), "abcd");
	CU_ASSERT_STRING_EQUAL(LIST({ "name", "x" }), "ac");
	CU_ASSERT_STRING_EQUAL(LIST({ "name", "x" }, { "name", "z" }), "acd");     /* OR */
	CU_ASSERT_STRING_EQUAL(LIST({ "name", "x" }, { "n", "3" }), "a");          /* AND */
	CU_ASSERT_STRING_EQUAL(LIST({ "up", "False" }), "b");
	CU_ASSERT_STRING_EQUAL(LIST({ "up", "true" }), "acd");
	CU_ASSERT_STRING_EQUAL(LIST({ "gw", "" }), "acd");
	CU_ASSERT_STRING_EQUAL(LIST({ "gw", "10.0.0.1" }), "b");
	CU_ASSERT_STRING_EQUAL(LIST({ "dns", "1.1.1.1" }), "a");
	CU_ASSERT_STRING_EQUAL(LIST({ "fixed_ips", "ip_address=10.0.1.5" }), "b");
	CU_ASSERT_STRING_EQUAL(LIST({ "fixed_ips", "subnet_id=s1" }), "a");
	CU_ASSERT_STRING_EQUAL(LIST({ "fixed_ips", "subnet_id=s1" },
				    { "fixed_ips", "subnet_id=s2" }), "ab");
	CU_ASSERT_STRING_EQUAL(LIST({ "unknown_attr", "q" }), "abcd");      /* ignored */
	CU_ASSERT_STRING_EQUAL(LIST({ "tags", "t1,t2" }), "a");
	CU_ASSERT_STRING_EQUAL(LIST({ "tags", "t2" }), "ab");
	CU_ASSERT_STRING_EQUAL(LIST({ "tags-any", "t1,t3" }), "ad");
	CU_ASSERT_STRING_EQUAL(LIST({ "not-tags", "t1,t2" }), "bcd");
	CU_ASSERT_STRING_EQUAL(LIST({ "not-tags-any", "t2,t3" }), "c");
	CU_ASSERT_EQUAL(rc, 0);
}

static void test_sort(void)
{
	int rc;

	CU_ASSERT_STRING_EQUAL(LIST({ "sort_key", "n" }), "bcda");
	CU_ASSERT_STRING_EQUAL(LIST({ "sort_key", "n" }, { "sort_dir", "desc" }), "adcb");
	CU_ASSERT_STRING_EQUAL(LIST({ "sort_key", "name" }, { "sort_key", "n" },
				    { "sort_dir", "asc" }, { "sort_dir", "desc" }), "acbd");
	CU_ASSERT_STRING_EQUAL(LIST({ "sort_key", "gw" }), "acdb");         /* null first */
	LIST({ "sort_key", "nope" });
	CU_ASSERT_EQUAL(rc, -EINVAL);
	LIST({ "sort_key", "n" }, { "sort_dir", "up" });
	CU_ASSERT_EQUAL(rc, -EINVAL);
	LIST({ "sort_key", "n" }, { "sort_dir", "asc" }, { "sort_dir", "asc" });
	CU_ASSERT_EQUAL(rc, -EINVAL);
}

static const char *link_of(json_t *out, const char *rel)
{
	json_t *a = json_object_get(out, "things_links"), *x;
	size_t i;

	json_array_foreach(a, i, x)
		if (!strcmp(json_string_value(json_object_get(x, "rel")), rel))
			return json_string_value(json_object_get(x, "href"));
	return "(none)";
}

static void test_pages(void)
{
	json_t *out;
	int rc;

	CU_ASSERT_STRING_EQUAL(list(ARGS({ "limit", "2" }), 1, &out, &rc), "ab");
	CU_ASSERT_STRING_EQUAL(link_of(out, "next"), "http://h:1/v2.0/things?limit=2&marker=b");
	CU_ASSERT_STRING_EQUAL(link_of(out, "previous"), "(none)");
	json_decref(out);
	CU_ASSERT_STRING_EQUAL(list(ARGS({ "limit", "2" }, { "marker", "b" }, { "name", "a b" }),
				    3, &out, &rc), "");
	json_decref(out);
	CU_ASSERT_STRING_EQUAL(list(ARGS({ "limit", "2" }, { "marker", "b" }), 2, &out, &rc), "cd");
	CU_ASSERT_STRING_EQUAL(link_of(out, "next"), "(none)");
	CU_ASSERT_STRING_EQUAL(link_of(out, "previous"),
			       "http://h:1/v2.0/things?limit=2&marker=c&page_reverse=True");
	json_decref(out);
	CU_ASSERT_STRING_EQUAL(list(ARGS({ "limit", "2" }, { "marker", "d" },
					 { "page_reverse", "True" }), 3, &out, &rc), "bc");
	CU_ASSERT_STRING_EQUAL(link_of(out, "previous"),
			       "http://h:1/v2.0/things?limit=2&marker=b&page_reverse=True");
	CU_ASSERT_STRING_EQUAL(link_of(out, "next"), "http://h:1/v2.0/things?limit=2&marker=c");
	json_decref(out);
	/* other arguments are kept, escaped, in the links */
	CU_ASSERT_STRING_EQUAL(list(ARGS({ "limit", "1" }, { "fields", "id,name" }), 2, &out, &rc),
			       "a");
	CU_ASSERT_STRING_EQUAL(link_of(out, "next"),
			       "http://h:1/v2.0/things?limit=1&fields=id%2Cname&marker=a");
	json_decref(out);
	list(ARGS({ "limit", "-1" }), 1, NULL, &rc);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	list(ARGS({ "marker", "q" }), 1, NULL, &rc);
	CU_ASSERT_EQUAL(rc, -ENOENT);
	/* limit=0: everything, no links */
	CU_ASSERT_STRING_EQUAL(list(ARGS({ "limit", "0" }), 1, &out, &rc), "abcd");
	CU_ASSERT_PTR_NULL(json_object_get(out, "things_links"));
	json_decref(out);
}

static void test_fields_and_index_filter(void)
{
	struct api_req r = { .args = ARGS({ "fields", "id,name" }, { "fields", "up" },
					  { "network_id", "N" }, { "device_id", "D" },
					  { "fixed_ips", "ip_address=10.0.0.9" },
					  { "mac_address", "m1" }, { "mac_address", "m2" }),
			     .n_args = 7 };
	json_t *v = json_pack("{s:s,s:s,s:b,s:i}", "id", "a", "name", "x", "up", 1, "n", 3);
	struct nb_filter f;
	char buf[64];

	api_fields(&r, v);
	CU_ASSERT_EQUAL(json_object_size(v), 3);
	CU_ASSERT_PTR_NULL(json_object_get(v, "n"));
	json_decref(v);
	api_list_filter_index(&r, MDL_PORT, &f, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(f.network_id, "N");
	CU_ASSERT_STRING_EQUAL(f.device_id, "D");
	CU_ASSERT_STRING_EQUAL(f.ip_address, "10.0.0.9");
	CU_ASSERT_PTR_NULL(f.mac_address);      /* two values: filtered after the index */
	CU_ASSERT_PTR_NULL(f.subnet_id);
	api_list_filter_index(&r, MDL_ROUTER, &f, buf, sizeof(buf));
	CU_ASSERT_PTR_NULL(f.network_id);
}

static void test_config(void)
{
	struct api_config c;
	char msg[300];

	api_config_defaults(&c);
	CU_ASSERT_STRING_EQUAL(c.listen, "127.0.0.1:9696");
	CU_ASSERT_EQUAL(c.nbo.underlay_mtu, 1500);
	CU_ASSERT_EQUAL(api_config_key(&c, "vni-ranges", "100:200, 300:300", msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(c.nbo.n_vni, 2);
	CU_ASSERT_EQUAL(c.nbo.vni[1].lo, 300);
	CU_ASSERT_EQUAL(api_config_key(&c, "vlan-ranges", "phys:1:4094", msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(c.nbo.vlan[0].physnet, "phys");
	CU_ASSERT_EQUAL(api_config_key(&c, "vlan-ranges", "1:10", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "PHYSNET:LO:HI"));
	CU_ASSERT_EQUAL(api_config_key(&c, "vlan-ranges", "p:1:4095", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "vni-ranges", "5:4", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "vni-ranges", "0:4", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "listen", "[::1]:9696", msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(api_config_key(&c, "listen", "1.2.3.4", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "auth", "keystone", msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(api_config_key(&c, "auth", "basic", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "enable", "yes", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "db", "mysql://x", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_EQUAL(api_config_key(&c, "frobnicate", "1", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "unknown key"));
}

/* ---- whole requests on a real store ---- */


static int setup(void)
{
	struct nbo_config cfg;

	nbo_config_defaults(&cfg);
	cfg.n_vni = 1;
	cfg.vni[0].lo = 7;
	cfg.vni[0].hi = 8;
	return api_fx_open("test", &cfg);
}

static int teardown(void)
{
	return api_fx_close();
}

/* One request; returns the status, *out the body (caller frees) or NULL. */
static unsigned req(const char *method, const char *path, const char *body,
		    const char *if_match, json_t **out)
{
	struct api_req r = { .method = method, .path = path, .body = body,
			     .body_len = body ? strlen(body) : 0, .if_match = if_match,
			     .base_url = "http://t" };
	return api_fx_call(&r, out);
}

/* The same as a caller of project proj (scoped: a non-admin). */
static unsigned preq(const char *proj, bool scoped, const char *method, const char *path,
		     const char *body, json_t **out)
{
	struct api_req r = { .method = method, .path = path, .body = body,
			     .body_len = body ? strlen(body) : 0, .project = proj,
			     .scoped = scoped, .base_url = "http://t" };
	return api_fx_call(&r, out);
}

static const char *err_type(json_t *j)
{
	return json_string_value(json_object_get(json_object_get(j, "NeutronError"), "type"));
}

static void test_routes(void)
{
	json_t *j;

	CU_ASSERT_EQUAL(req("GET", "/", NULL, NULL, &j), 200);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(
		json_object_get(j, "versions"), 0), "id")), "v2.0");
	json_decref(j);
	CU_ASSERT_EQUAL(req("GET", "/v2.0", NULL, NULL, NULL), 200);
	CU_ASSERT_EQUAL(req("GET", "/v2.0/extensions/router", NULL, NULL, NULL), 200);
	CU_ASSERT_EQUAL(req("GET", "/v2.0/extensions/dvr", NULL, NULL, &j), 404);
	CU_ASSERT_PTR_NOT_NULL(err_type(j));
	json_decref(j);
	CU_ASSERT_EQUAL(req("GET", "/v2.0/widgets", NULL, NULL, NULL), 404);
	CU_ASSERT_EQUAL(req("GET", "/v3/networks", NULL, NULL, NULL), 404);
	CU_ASSERT_EQUAL(req("DELETE", "/v2.0/networks", NULL, NULL, NULL), 405);
	CU_ASSERT_EQUAL(req("POST", "/", NULL, NULL, NULL), 405);
	CU_ASSERT_EQUAL(req("GET", "/v2.0/networks.json", NULL, NULL, &j), 200);
	CU_ASSERT_TRUE(json_is_array(json_object_get(j, "networks")));
	json_decref(j);
	CU_ASSERT_EQUAL(req("GET", "/v2.0/networks/x/y/z/w/v", NULL, NULL, NULL), 404);
}

static void test_network_lifecycle(void)
{
	char path[128], im[64];
	json_t *j, *n;
	const char *id;

	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", NULL, NULL, &j), 400);
	json_decref(j);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"network\": 5}", NULL, &j), 400);
	json_decref(j);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "[1]", NULL, &j), 400);
	CU_ASSERT_STRING_EQUAL(err_type(j), "HTTPBadRequest");
	json_decref(j);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"network\":{\"name\":\"a\","
			    "\"tenant_id\":\"p1\",\"description\":\"d\",\"tags\":[\"x\"]}}",
			    NULL, &j), 201);
	n = json_object_get(j, "network");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(n, "provider:segmentation_id")), 7);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(n, "mtu")), 1450);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(n, "project_id")), "p1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(n, "tenant_id")), "p1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(n, "description")), "d");
	CU_ASSERT_PTR_NULL(json_object_get(n, "dp_key"));
	CU_ASSERT_PTR_NULL(json_object_get(n, "attrs"));
	id = json_string_value(json_object_get(n, "id"));
	snprintf(path, sizeof(path), "/v2.0/networks/%s", id);
	json_incref(n);
	json_decref(j);
	/* geneve: 1442; the range 7..8 is then exhausted */
	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"network\":{\"provider:network_type\":"
			    "\"geneve\"}}", NULL, &j), 201);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(j, "network"), "mtu")),
			1442);
	json_decref(j);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"network\":{}}", NULL, &j), 503);
	CU_ASSERT_STRING_EQUAL(err_type(j), "NoNetworkAvailable");
	json_decref(j);
	/* a given segmentation id in use: 409 */
	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"network\":{\"provider:segmentation_id\""
			    ":7}}", NULL, &j), 409);
	json_decref(j);
	/* updates */
	CU_ASSERT_EQUAL(req("PUT", path, "{\"network\":{\"provider:segmentation_id\":9}}", NULL,
			    &j), 400);
	json_decref(j);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"network\":{\"provider:segmentation_id\":7,"
			    "\"name\":\"b\"}}", NULL, &j), 200);       /* unchanged: fine */
	json_decref(j);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"network\":{\"tenant_id\":\"p2\"}}", NULL, &j), 400);
	json_decref(j);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"network\":{\"tags\":\"x\"}}", NULL, &j), 400);
	json_decref(j);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"network\":{\"name\":\"c\"}}", "revision_number=1",
			    &j), 412);
	json_decref(j);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"network\":{\"name\":\"c\"}}", "etag-ish", &j), 400);
	json_decref(j);
	snprintf(im, sizeof(im), "revision_number=%d", 2);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"network\":{\"name\":\"c\",\"mtu\":1400}}", im, &j),
			200);
	{
		json_t *u = json_object_get(j, "network");

		CU_ASSERT_EQUAL(json_integer_value(json_object_get(u, "revision_number")), 3);
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(u, "mtu")), 1400);
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(u, "description")), "d");
	}
	json_decref(j);
	CU_ASSERT_EQUAL(req("GET", "/v2.0/networks/not-a-uuid", NULL, NULL, &j), 404);
	CU_ASSERT_STRING_EQUAL(err_type(j), "NetworkNotFound");
	json_decref(j);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, NULL, &j), 204);
	CU_ASSERT_PTR_NULL(j);
	CU_ASSERT_EQUAL(req("GET", path, NULL, NULL, &j), 404);
	json_decref(j);
	json_decref(n);
}

static json_t *create(const char *coll, const char *key, const char *body)
{
	char path[64];
	json_t *j, *o;

	snprintf(path, sizeof(path), "/v2.0/%s", coll);
	if (req("POST", path, body, NULL, &j) != 201) {
		char *s = json_dumps(j, 0);

		fprintf(stderr, "create %s: %s\n", coll, s);
		free(s);
		json_decref(j);
		return NULL;
	}
	o = json_incref(json_object_get(j, key));
	json_decref(j);
	return o;
}

static void test_subnet_port_router(void)
{
	char body[512], path[160];
	json_t *net, *sub, *p, *r, *j;
	const char *nid, *sid, *rid;

	net = create("networks", "network", "{\"network\":{\"provider:network_type\":\"flat\","
		     "\"provider:physical_network\":\"ph\"}}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(net);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(net, "mtu")), 1500);
	nid = json_string_value(json_object_get(net, "id"));
	/* the gateway in the middle splits the default pool */
	snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":\"10.9.0.0/29\","
		 "\"gateway_ip\":\"10.9.0.3\"}}", nid);
	sub = create("subnets", "subnet", body);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
	sid = json_string_value(json_object_get(sub, "id"));
	j = json_loads("[{\"start\":\"10.9.0.1\",\"end\":\"10.9.0.2\"},"
		       "{\"start\":\"10.9.0.4\",\"end\":\"10.9.0.6\"}]", 0, NULL);
	CU_ASSERT_TRUE(json_equal(json_object_get(sub, "allocation_pools"), j));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(sub, "ip_version")), 4);
	json_decref(j);
	/* ports take the pools in order; bad extra attributes are refused */
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\",\"binding:host_id\":\"h\","
		 "\"extra_dhcp_opts\":[{\"opt_name\":\"mtu\",\"opt_value\":\"1400\"}]}}", nid);
	p = create("ports", "port", body);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(
		json_object_get(p, "fixed_ips"), 0), "ip_address")), "10.9.0.1");
	/* bound, but no chassis has reported it: DOWN, as Neutron before the
	 * agent says the VIF is plugged */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "status")), "DOWN");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "binding:vif_type")), "tap");
	{
		/* its chassis reports it (what ctrl/lc/lc_status.c writes) */
		const char *pid = json_string_value(json_object_get(p, "id"));
		char skey[192], st[16];
		uint64_t rev;
		json_t *g;

		snprintf(skey, sizeof(skey), "/wyvern/v1/_status/"
			 "11111111-2222-5333-8444-555555555555/port/%s", pid);
		CU_ASSERT_EQUAL(db_put(api_fx.db, skey, "{\"status\":\"ACTIVE\"}", 19, &rev), 0);
		CU_ASSERT_EQUAL(nb_index_wait(api_fx.nb, rev, 5000), 0);
		CU_ASSERT_EQUAL(nb_port_status(api_fx.nb, pid, NULL, st, sizeof(st)), 0);
		CU_ASSERT_STRING_EQUAL(st, "ACTIVE");
		snprintf(path, sizeof(path), "/v2.0/ports/%s", pid);
		CU_ASSERT_EQUAL(req("GET", path, NULL, NULL, &g), 200);
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(g, "port"),
									 "status")), "ACTIVE");
		json_decref(g);
		/* the chassis goes (its lease takes the key): DOWN again */
		CU_ASSERT_EQUAL(db_delete(api_fx.db, skey, &rev), 0);
		CU_ASSERT_EQUAL(nb_index_wait(api_fx.nb, rev, 5000), 0);
		CU_ASSERT_EQUAL(nb_port_status(api_fx.nb, pid, NULL, st, sizeof(st)), -ENOENT);
		CU_ASSERT_EQUAL(req("GET", path, NULL, NULL, &g), 200);
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(g, "port"),
									 "status")), "DOWN");
		json_decref(g);
	}
	json_decref(p);
	/* what allocation probes: one index lookup per address */
	CU_ASSERT_EQUAL(nb_ip_used(api_fx.nb, sid, "10.9.0.1"), 1);
	CU_ASSERT_EQUAL(nb_ip_used(api_fx.nb, sid, "10.9.0.2"), 0);
	CU_ASSERT_EQUAL(nb_ip_used(api_fx.nb, nid, "10.9.0.1"), 0);
	CU_ASSERT_EQUAL(nb_ip_used(api_fx.nb, sid, "10.9.0"), -EINVAL);
	/* the next port continues after the last allocated address */
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\"}}", nid);
	p = create("ports", "port", body);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(
		json_object_get(p, "fixed_ips"), 0), "ip_address")), "10.9.0.2");
	json_decref(p);
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\",\"extra_dhcp_opts\":"
		 "[{\"opt_value\":\"x\"}]}}", nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/ports", body, NULL, &j), 400);
	json_decref(j);
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\",\"binding:vnic_type\":"
		 "\"weird\"}}", nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/ports", body, NULL, &j), 400);
	json_decref(j);
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\",\"fixed_ips\":"
		 "[{\"ip_address\":\"10.8.0.1\"}]}}", nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/ports", body, NULL, &j), 400);
	CU_ASSERT_STRING_EQUAL(err_type(j), "InvalidIpForNetwork");
	json_decref(j);
	/* router interface on the gateway; a second one on the subnet is refused */
	r = create("routers", "router", "{\"router\":{\"name\":\"r\"}}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	rid = json_string_value(json_object_get(r, "id"));
	snprintf(path, sizeof(path), "/v2.0/routers/%s/add_router_interface", rid);
	snprintf(body, sizeof(body), "{\"subnet_id\":\"%s\"}", sid);
	CU_ASSERT_EQUAL(req("PUT", path, body, NULL, &j), 200);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "subnet_id")), sid);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "network_id")), nid);
	json_decref(j);
	CU_ASSERT_EQUAL(req("PUT", path, body, NULL, &j), 400);
	json_decref(j);
	snprintf(body, sizeof(body), "{\"subnet_id\":\"%s\",\"port_id\":\"%s\"}", sid, sid);
	CU_ASSERT_EQUAL(req("PUT", path, body, NULL, &j), 400);
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/ports?device_id=%s&device_owner=network:"
		 "router_interface", rid);
	{
		struct api_arg a[2] = { { "device_id", rid },
					{ "device_owner", "network:router_interface" } };
		struct api_req lr = { .method = "GET", .path = "/v2.0/ports", .args = a,
				      .n_args = 2 };
		struct api_resp resp;

		api_handle(&api_fx.nbo, &lr, &resp);
		CU_ASSERT_EQUAL(resp.status, 200);
		CU_ASSERT_EQUAL(json_array_size(json_object_get(resp.body, "ports")), 1);
		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(
			json_object_get(json_array_get(json_object_get(resp.body, "ports"), 0),
					"fixed_ips"), 0), "ip_address")), "10.9.0.3");
		json_decref(resp.body);
	}
	snprintf(path, sizeof(path), "/v2.0/routers/%s", rid);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, NULL, &j), 409);
	CU_ASSERT_STRING_EQUAL(err_type(j), "RouterInUse");
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/subnets/%s", sid);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, NULL, &j), 409);
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/routers/%s/remove_router_interface", rid);
	snprintf(body, sizeof(body), "{\"subnet_id\":\"%s\"}", sid);
	CU_ASSERT_EQUAL(req("PUT", path, body, NULL, &j), 200);
	json_decref(j);
	CU_ASSERT_EQUAL(req("PUT", path, body, NULL, &j), 404);
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/routers/%s/frobnicate", rid);
	CU_ASSERT_EQUAL(req("PUT", path, body, NULL, &j), 404);
	json_decref(j);
	json_decref(r);
	json_decref(sub);
	json_decref(net);
}

/* Hostile or malformed requests: a 4xx NeutronError each, never a 2xx, a
 * 5xx or a crash, and nothing written. */
static void test_hostile(void)
{
	static const char *const coll_bodies[][2] = {
		{ "networks", "null" },
		{ "networks", "{}" },
		{ "networks", "{\"network\":null}" },
		{ "networks", "{\"network\":{\"name\":5}}" },
		{ "networks", "{\"network\":{\"mtu\":\"x\"}}" },
		{ "networks", "{\"network\":{\"mtu\":1e99}}" },
		{ "networks", "{\"network\":{\"mtu\":99999999999999999999}}" },
		{ "networks", "{\"network\":{\"tags\":[1]}}" },
		{ "networks", "{\"network\":{\"tags\":[\"a,b\"]}}" },
		{ "networks", "{\"network\":{\"description\":null}}" },
		{ "networks", "{\"network\":{\"provider:network_type\":\"frob\"}}" },
		{ "networks", "{\"network\":{\"provider:network_type\":\"vlan\"}}" },
		{ "networks", "{\"network\":{\"provider:segmentation_id\":-5}}" },
		{ "networks", "{\"network\":{\"shared\":\"yes\"}}" },
		{ "networks", "{\"network\":{\"id\":\"x\"}}" },
		{ "networks", "{\"network\":{\"name\":\"a\",\"name\":\"b\"}}" },
		{ "networks", "{\"network\":{\"tenant_id\":\"a\",\"project_id\":\"b\"}}" },
		{ "networks", "{\"networks\":[{\"bogus\":1}]}" },
		{ "networks", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]" },
		{ "networks", "\"\xff\xfe\"" },
		{ "subnets", "{\"subnet\":{}}" },
		{ "subnets", "{\"subnet\":{\"network_id\":5,\"cidr\":\"10.0.0.0/8\"}}" },
		{ "subnets", "{\"subnet\":{\"network_id\":\"not-a-uuid\",\"cidr\":\"x\"}}" },
		{ "ports", "{\"port\":{}}" },
		{ "ports", "{\"port\":{\"network_id\":[1]}}" },
		{ "ports", "{\"port\":{\"network_id\":\"00000000-0000-0000-0000-000000000000\"}}" },
		{ "routers", "{\"router\":{\"external_gateway_info\":\"x\"}}" },
		{ "routers", "{\"router\":{\"routes\":[{}]}}" },
		{ "floatingips", "{\"floatingip\":{}}" },
		{ "security-group-rules", "{\"security_group_rule\":{\"direction\":\"up\"}}" },
	};
	static const char *const paths[] = {
		"/v2.0/networks/../../etc/passwd", "/v2.0/ports/%00", "//v2.0//networks//",
		"/v2.0/routers/00000000-0000-0000-0000-000000000000/add_router_interface",
		"/v2.0/networks/00000000-0000-0000-0000-000000000000/tags/x",
	};
	char path[64], big[3000];
	json_t *j, *before, *after;
	size_t i;
	unsigned st;

	CU_ASSERT_EQUAL(req("GET", "/v2.0/networks", NULL, NULL, &before), 200);
	for (i = 0; i < sizeof(coll_bodies) / sizeof(coll_bodies[0]); i++) {
		snprintf(path, sizeof(path), "/v2.0/%s", coll_bodies[i][0]);
		st = req("POST", path, coll_bodies[i][1], NULL, &j);
		if (st < 400 || st >= 500 || !err_type(j))
			fprintf(stderr, "POST %s %s -> %u\n", path, coll_bodies[i][1], st);
		CU_ASSERT_TRUE(st >= 400 && st < 500);
		CU_ASSERT_PTR_NOT_NULL(err_type(j));
		json_decref(j);
	}
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		st = req("PUT", paths[i], "{\"subnet_id\":\"x\"}", NULL, &j);
		CU_ASSERT_TRUE(st >= 400 && st < 500);
		json_decref(j);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '/';
	CU_ASSERT_EQUAL(req("GET", big, NULL, NULL, &j), 414);
	json_decref(j);
	CU_ASSERT_EQUAL(req("GET", "/v2.0/networks", NULL, NULL, &after), 200);
	CU_ASSERT_TRUE(json_equal(before, after));      /* nothing written */
	json_decref(before);
	json_decref(after);
}

static char *id_of(json_t *j, const char *key)
{
	static char ids[4][40];
	static int k;
	char *d = ids[k++ % 4];

	snprintf(d, 40, "%s", json_string_value(json_object_get(json_object_get(j, key), "id")) ?:
		 "");
	json_decref(j);
	return d;
}

/* Project scoping of non-admin callers (api_scope.c). */
static void test_scoping(void)
{
	char path[160], body[300], na[40], nb_[40], ns[40], sa[40], ra[40];
	json_t *j, *x;
	size_t i;
	bool seen_a, seen_b, seen_s;
	char saved_type[sizeof(api_fx.nbo.cfg.network_type)];

	/* networks without a segmentation id: the suite's VNI range is spent */
	memcpy(saved_type, api_fx.nbo.cfg.network_type, sizeof(saved_type));
	snprintf(api_fx.nbo.cfg.network_type, sizeof(api_fx.nbo.cfg.network_type), "local");
	CU_ASSERT_EQUAL(preq("pa", true, "POST", "/v2.0/networks", "{\"network\":{\"name\":\"sa\"}}",
			     &j), 201);
	snprintf(na, sizeof(na), "%s", id_of(j, "network"));
	CU_ASSERT_EQUAL(preq("pb", true, "POST", "/v2.0/networks", "{\"network\":{\"name\":\"sb\"}}",
			     &j), 201);
	snprintf(nb_, sizeof(nb_), "%s", id_of(j, "network"));
	/* an admin (unscoped) makes a shared network for everyone */
	CU_ASSERT_EQUAL(preq("adm", false, "POST", "/v2.0/networks",
			     "{\"network\":{\"name\":\"ss\",\"shared\":true}}", &j), 201);
	snprintf(ns, sizeof(ns), "%s", id_of(j, "network"));
	snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":\"10.9.0.0/24\","
		 "\"ip_version\":4}}", na);
	CU_ASSERT_EQUAL(preq("pa", true, "POST", "/v2.0/subnets", body, &j), 201);
	snprintf(sa, sizeof(sa), "%s", id_of(j, "subnet"));
	CU_ASSERT_EQUAL(preq("pa", true, "POST", "/v2.0/routers", "{\"router\":{\"name\":\"r\"}}",
			     &j), 201);
	snprintf(ra, sizeof(ra), "%s", id_of(j, "router"));

	/* lists: own + shared; the admin sees all */
	CU_ASSERT_EQUAL(preq("pa", true, "GET", "/v2.0/networks", NULL, &j), 200);
	seen_a = seen_b = seen_s = false;
	json_array_foreach(json_object_get(j, "networks"), i, x) {
		const char *id = json_string_value(json_object_get(x, "id"));

		seen_a |= !strcmp(id, na);
		seen_b |= !strcmp(id, nb_);
		seen_s |= !strcmp(id, ns);
	}
	json_decref(j);
	CU_ASSERT_TRUE(seen_a && !seen_b && seen_s);
	CU_ASSERT_EQUAL(preq("adm", false, "GET", "/v2.0/networks", NULL, &j), 200);
	CU_ASSERT_TRUE(json_array_size(json_object_get(j, "networks")) >= 3);
	json_decref(j);
	CU_ASSERT_EQUAL(preq("pb", true, "GET", "/v2.0/subnets", NULL, &j), 200);
	json_array_foreach(json_object_get(j, "subnets"), i, x)
		CU_ASSERT_STRING_NOT_EQUAL(json_string_value(json_object_get(x, "id")), sa);
	json_decref(j);

	/* another project's objects do not exist (404 of their type) */
	snprintf(path, sizeof(path), "/v2.0/networks/%s", na);
	CU_ASSERT_EQUAL(preq("pb", true, "GET", path, NULL, &j), 404);
	CU_ASSERT_STRING_EQUAL(err_type(j), "NetworkNotFound");
	json_decref(j);
	CU_ASSERT_EQUAL(preq("pb", true, "PUT", path, "{\"network\":{\"name\":\"x\"}}", NULL), 404);
	CU_ASSERT_EQUAL(preq("pb", true, "DELETE", path, NULL, NULL), 404);
	snprintf(path, sizeof(path), "/v2.0/networks/%s/tags/t", na);
	CU_ASSERT_EQUAL(preq("pb", true, "PUT", path, NULL, NULL), 404);
	snprintf(path, sizeof(path), "/v2.0/subnets/%s", sa);
	CU_ASSERT_EQUAL(preq("pb", true, "GET", path, NULL, &j), 404);
	CU_ASSERT_STRING_EQUAL(err_type(j), "SubnetNotFound");
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/routers/%s/add_router_interface", ra);
	snprintf(body, sizeof(body), "{\"subnet_id\":\"%s\"}", sa);
	CU_ASSERT_EQUAL(preq("pb", true, "PUT", path, body, &j), 404);
	CU_ASSERT_STRING_EQUAL(err_type(j), "RouterNotFound");
	json_decref(j);
	/* ... nor may B's objects refer to them */
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\"}}", na);
	CU_ASSERT_EQUAL(preq("pb", true, "POST", "/v2.0/ports", body, &j), 404);
	CU_ASSERT_STRING_EQUAL(err_type(j), "NetworkNotFound");
	json_decref(j);
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\",\"fixed_ips\":"
		 "[{\"subnet_id\":\"%s\"}]}}", nb_, sa);
	CU_ASSERT_EQUAL(preq("pb", true, "POST", "/v2.0/ports", body, &j), 404);
	CU_ASSERT_STRING_EQUAL(err_type(j), "SubnetNotFound");
	json_decref(j);

	/* creating in another project: 403 unless admin */
	CU_ASSERT_EQUAL(preq("pb", true, "POST", "/v2.0/networks",
			     "{\"network\":{\"name\":\"x\",\"project_id\":\"pa\"}}", &j), 403);
	CU_ASSERT_STRING_EQUAL(err_type(j), "PolicyNotAuthorized");
	json_decref(j);
	CU_ASSERT_EQUAL(preq("pb", true, "POST", "/v2.0/networks",
			     "{\"network\":{\"name\":\"x\",\"tenant_id\":\"pa\"}}", NULL), 403);
	CU_ASSERT_EQUAL(preq("pb", true, "POST", "/v2.0/networks",
			     "{\"network\":{\"name\":\"x\",\"project_id\":\"pb\"}}", &j), 201);
	snprintf(path, sizeof(path), "/v2.0/networks/%s", id_of(j, "network"));
	CU_ASSERT_EQUAL(preq("pb", true, "DELETE", path, NULL, NULL), 204);
	CU_ASSERT_EQUAL(preq("adm", false, "POST", "/v2.0/networks",
			     "{\"network\":{\"name\":\"x\",\"project_id\":\"pb\"}}", &j), 201);
	snprintf(path, sizeof(path), "/v2.0/networks/%s", id_of(j, "network"));
	CU_ASSERT_EQUAL(preq("pb", true, "GET", path, NULL, NULL), 200);
	CU_ASSERT_EQUAL(preq("pb", true, "DELETE", path, NULL, NULL), 204);

	/* attributes only an admin sets (Neutron's default policy) */
	CU_ASSERT_EQUAL(preq("pb", true, "POST", "/v2.0/networks",
			     "{\"network\":{\"name\":\"x\",\"shared\":true}}", &j), 403);
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(json_object_get(j,
		"NeutronError"), "message")) ?: "", "create_network:shared"));
	json_decref(j);
	CU_ASSERT_EQUAL(preq("pb", true, "POST", "/v2.0/networks",
			     "{\"network\":{\"provider:network_type\":\"local\"}}", NULL), 403);
	snprintf(path, sizeof(path), "/v2.0/networks/%s", na);
	CU_ASSERT_EQUAL(preq("pa", true, "PUT", path, "{\"network\":{\"router:external\":true}}",
			     NULL), 403);
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\",\"binding:host_id\":"
		 "\"h1\"}}", na);
	CU_ASSERT_EQUAL(preq("pa", true, "POST", "/v2.0/ports", body, NULL), 403);

	/* a shared network: readable, not changeable, ports yes, subnets no */
	snprintf(path, sizeof(path), "/v2.0/networks/%s", ns);
	CU_ASSERT_EQUAL(preq("pb", true, "GET", path, NULL, NULL), 200);
	CU_ASSERT_EQUAL(preq("pb", true, "DELETE", path, NULL, NULL), 403);
	snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":\"10.8.0.0/24\","
		 "\"ip_version\":4}}", ns);
	CU_ASSERT_EQUAL(preq("pb", true, "POST", "/v2.0/subnets", body, NULL), 403);
	CU_ASSERT_EQUAL(preq("adm", false, "POST", "/v2.0/subnets", body, &j), 201);
	snprintf(sa, sizeof(sa), "%s", id_of(j, "subnet"));
	snprintf(path, sizeof(path), "/v2.0/subnets/%s", sa);
	CU_ASSERT_EQUAL(preq("pb", true, "GET", path, NULL, NULL), 200);   /* subnet of shared */
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\"}}", ns);
	CU_ASSERT_EQUAL(preq("pb", true, "POST", "/v2.0/ports", body, &j), 201);
	snprintf(path, sizeof(path), "/v2.0/ports/%s", id_of(j, "port"));
	CU_ASSERT_EQUAL(preq("pa", true, "GET", path, NULL, NULL), 404);
	CU_ASSERT_EQUAL(preq("pb", true, "DELETE", path, NULL, NULL), 204);

	/* nothing of A's was changed */
	snprintf(path, sizeof(path), "/v2.0/networks/%s", na);
	CU_ASSERT_EQUAL(preq("pa", true, "GET", path, NULL, &j), 200);
	x = json_object_get(j, "network");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(x, "name")), "sa");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(x, "tags")), 0);
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/routers/%s", ra);
	CU_ASSERT_EQUAL(preq("pa", true, "GET", path, NULL, NULL), 200);
	memcpy(api_fx.nbo.cfg.network_type, saved_type, sizeof(saved_type));
}

int main(void)
{
	CU_pSuite s, w;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("api-list", NULL, NULL);
	w = CU_add_suite("api-requests", setup, teardown);
	if (!s || !w ||
	    !CU_add_test(s, "filters and tags", test_filters) ||
	    !CU_add_test(s, "sorting", test_sort) ||
	    !CU_add_test(s, "pagination and links", test_pages) ||
	    !CU_add_test(s, "fields and the index filter", test_fields_and_index_filter) ||
	    !CU_add_test(s, "config keys", test_config) ||
	    !CU_add_test(w, "routes", test_routes) ||
	    !CU_add_test(w, "network lifecycle", test_network_lifecycle) ||
	    !CU_add_test(w, "subnets, ports, router interfaces", test_subnet_port_router) ||
	    !CU_add_test(w, "hostile requests", test_hostile) ||
	    !CU_add_test(w, "project scoping", test_scoping)) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
