/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_test_tempest.c — Neutron behaviours tempest's network API tests
 * rely on, through api_handle() on a real RocksDB store in a temp dir:
 * bulk create (all or nothing), an overlapping cidr answered 400 with
 * Neutron's "overlaps with another subnet", a router created with an empty
 * external_gateway_info ({} = no gateway), SLAAC (EUI-64) addresses, a
 * port created with "security_groups": [], Neutron's security-group rule
 * errors, the empty agent list, floating IPs when their port or network
 * is deleted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>

#include "api.h"
#include "api_priv.h"
#include "api_test_util.h"
#include "db.h"
#include "nb.h"


static int setup(void)
{
	return api_fx_open("tt", NULL);
}

static int teardown(void)
{
	return api_fx_close();
}

static unsigned req(const char *method, const char *path, const char *body, json_t **out)
{
	struct api_req r = { .method = method, .path = path, .body = body,
			     .body_len = body ? strlen(body) : 0, .base_url = "http://t" };
	return api_fx_call(&r, out);
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
	/* routes null clears them */
	CU_ASSERT_EQUAL(req("PUT", body, "{\"router\":{\"routes\":null}}", &j), 200);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(j, "router"), "routes")),
			0);
	json_decref(j);
	CU_ASSERT_EQUAL(req("DELETE", body, NULL, NULL), 204);
}

static char *new_net(const char *name, char *id)
{
	char body[128];
	json_t *j;

	snprintf(body, sizeof(body), "{\"network\":{\"name\":\"%s\"}}", name);
	id[0] = '\0';
	if (req("POST", "/v2.0/networks", body, &j) == 201)
		snprintf(id, 40, "%s", json_string_value(json_object_get(
			json_object_get(j, "network"), "id")));
	json_decref(j);
	return id;
}

static void test_slaac(void)
{
	char nid[40], body[512], s6[40], pid[2][40];
	json_t *j, *f;

	new_net("slaac", nid);
	snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":"
		 "\"2001:db8:5::/64\",\"ip_version\":6,\"ipv6_ra_mode\":\"slaac\","
		 "\"ipv6_address_mode\":\"slaac\"}}", nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/subnets", body, &j), 201);
	snprintf(s6, sizeof(s6), "%s", json_string_value(json_object_get(
		json_object_get(j, "subnet"), "id")));
	json_decref(j);
	snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":"
		 "\"10.94.0.0/24\",\"ip_version\":4}}", nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/subnets", body, NULL), 201);
	/* no fixed_ips: the IPv4 pool address and the EUI-64 address */
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\",\"mac_address\":"
		 "\"fa:16:3e:12:34:56\"}}", nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/ports", body, &j), 201);
	f = json_object_get(json_object_get(j, "port"), "fixed_ips");
	CU_ASSERT_EQUAL(json_array_size(f), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(f, 1),
							       "ip_address")),
			       "2001:db8:5:0:f816:3eff:fe12:3456");
	snprintf(pid[0], sizeof(pid[0]), "%s", json_string_value(json_object_get(
		json_object_get(j, "port"), "id")));
	json_decref(j);
	/* by subnet, with a MAC made for it */
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\",\"fixed_ips\":"
		 "[{\"subnet_id\":\"%s\"}]}}", nid, s6);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/ports", body, &j), 201);
	{
		const json_t *p = json_object_get(j, "port");
		const char *mac = json_string_value(json_object_get(p, "mac_address"));
		const char *ip = json_string_value(json_object_get(json_array_get(
			json_object_get(p, "fixed_ips"), 0), "ip_address"));
		char want[64];

		snprintf(pid[1], sizeof(pid[1]), "%s",
			 json_string_value(json_object_get(p, "id")));
		CU_ASSERT_PTR_NOT_NULL_FATAL(mac);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ip);
		snprintf(want, sizeof(want), "2001:db8:5:0:f816:3eff:fe%.2s:%.2s%.2s", mac + 9,
			 mac + 12, mac + 15);
		{       /* compared as addresses: the text drops leading zeros */
			unsigned char a[16], b[16];

			CU_ASSERT_EQUAL(inet_pton(AF_INET6, ip, a), 1);
			CU_ASSERT_EQUAL(inet_pton(AF_INET6, want, b), 1);
			CU_ASSERT_EQUAL(memcmp(a, b, 16), 0);
		}
	}
	json_decref(j);
	/* the same MAC again: 409 (the MAC, not a second EUI-64 holder) */
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\",\"mac_address\":"
		 "\"fa:16:3e:12:34:56\"}}", nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/ports", body, NULL), 409);
	/* the SLAAC subnet can go while ports hold its addresses: they lose
	 * them; the network, with its ports, cannot */
	snprintf(body, sizeof(body), "/v2.0/subnets/%s", s6);
	CU_ASSERT_EQUAL(req("DELETE", body, NULL, NULL), 204);
	for (size_t i = 0; i < 2; i++) {        /* read back from the store */
		snprintf(body, sizeof(body), "/v2.0/ports/%s", pid[i]);
		CU_ASSERT_EQUAL(req("GET", body, NULL, &j), 200);
		f = json_object_get(json_object_get(j, "port"), "fixed_ips");
		CU_ASSERT_EQUAL(json_array_size(f), 1 - i);
		for (size_t k = 0; k < json_array_size(f); k++)
			CU_ASSERT_STRING_NOT_EQUAL(json_string_value(json_object_get(
				json_array_get(f, k), "subnet_id")), s6);
		json_decref(j);
	}
	snprintf(body, sizeof(body), "/v2.0/networks/%s", nid);
	CU_ASSERT_EQUAL(req("DELETE", body, NULL, &j), 409);
	CU_ASSERT_STRING_EQUAL(err_type(j), "NetworkInUse");
	json_decref(j);
}

static void test_port_no_groups(void)
{
	char nid[40], body[256];
	json_t *j;

	new_net("nogroups", nid);
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\",\"security_groups\":[]}}",
		 nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/ports", body, &j), 201);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(j, "port"),
							"security_groups")), 0);
	json_decref(j);
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\"}}", nid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/ports", body, &j), 201);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(j, "port"),
							"security_groups")), 1);
	json_decref(j);
}

static const char *msg_of(const json_t *j)
{
	return json_string_value(json_object_get(json_object_get(j, "NeutronError"), "message"))
	       ?: "";
}

static void test_sg_rules(void)
{
	static const struct { const char *rule; unsigned st; const char *text; } bad[] = {
		{ "\"protocol\":\"tcp\",\"port_range_min\":-16,\"port_range_max\":80", 400,
		  "Invalid value for port -16" },
		{ "\"protocol\":\"tcp\",\"port_range_min\":80,\"port_range_max\":79", 400,
		  "port_range_min must be <= port_range_max" },
		{ "\"protocol\":\"tcp\",\"port_range_min\":80,\"port_range_max\":65536", 400,
		  "Invalid value for port 65536" },
		{ "\"protocol\":\"tcp\",\"port_range_max\":6", 400,
		  "port_range_min must be <= port_range_max" },
		{ "\"protocol\":\"icmp\",\"port_range_min\":1,\"port_range_max\":256", 400,
		  "Invalid value for ICMP code" },
		{ "\"protocol\":\"icmp\",\"port_range_min\":300,\"port_range_max\":1", 400,
		  "Invalid value for ICMP type" },
		{ "\"protocol\":\"icmp\",\"port_range_max\":6", 400,
		  "ICMP type (port-range-min) is missing" },
		{ "\"ethertype\":\"IPv6\",\"remote_ip_prefix\":\"10.0.0.0/8\"", 400,
		  "Conflicting value ethertype IPv6" },
		{ "\"remote_group_id\":\"bad_group_id\"", 404, "does not exist" },
		{ "\"remote_group_id\":\"00000000-0000-4000-8000-000000000000\"", 404,
		  "does not exist" },
	};
	char gid[40], body[512];
	json_t *j;
	size_t i;

	CU_ASSERT_EQUAL(req("POST", "/v2.0/security-groups",
			    "{\"security_group\":{\"name\":\"default\"}}", &j), 409);
	CU_ASSERT_STRING_EQUAL(err_type(j), "SecurityGroupDefaultAlreadyExists");
	json_decref(j);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/security-groups",
			    "{\"security_group\":{\"name\":\"web\"}}", &j), 201);
	snprintf(gid, sizeof(gid), "%s", json_string_value(json_object_get(
		json_object_get(j, "security_group"), "id")));
	json_decref(j);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"security_group_rule\":{\"security_group_id\":"
			 "\"%s\",\"direction\":\"ingress\",%s}}", gid, bad[i].rule);
		CU_ASSERT_EQUAL(req("POST", "/v2.0/security-group-rules", body, &j), bad[i].st);
		if (!strstr(msg_of(j), bad[i].text))
			fprintf(stderr, "%s -> %s\n", bad[i].rule, msg_of(j));
		CU_ASSERT_PTR_NOT_NULL(strstr(msg_of(j), bad[i].text));
		json_decref(j);
	}
	/* no ethertype: IPv4; the same rule again (protocol by number): 409 */
	snprintf(body, sizeof(body), "{\"security_group_rule\":{\"security_group_id\":\"%s\","
		 "\"direction\":\"ingress\",\"protocol\":\"tcp\",\"port_range_min\":22,"
		 "\"port_range_max\":22}}", gid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/security-group-rules", body, &j), 201);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(
		j, "security_group_rule"), "ethertype")), "IPv4");
	json_decref(j);
	snprintf(body, sizeof(body), "{\"security_group_rule\":{\"security_group_id\":\"%s\","
		 "\"direction\":\"ingress\",\"protocol\":\"6\",\"port_range_min\":22,"
		 "\"port_range_max\":22,\"ethertype\":\"IPv4\"}}", gid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/security-group-rules", body, &j), 409);
	CU_ASSERT_STRING_EQUAL(err_type(j), "SecurityGroupRuleExists");
	json_decref(j);
	/* another port: a new rule */
	snprintf(body, sizeof(body), "{\"security_group_rule\":{\"security_group_id\":\"%s\","
		 "\"direction\":\"ingress\",\"protocol\":\"tcp\",\"port_range_min\":23,"
		 "\"port_range_max\":23}}", gid);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/security-group-rules", body, NULL), 201);
}

static void test_agents(void)
{
	json_t *j;

	CU_ASSERT_EQUAL(req("GET", "/v2.0/agents", NULL, &j), 200);
	CU_ASSERT_TRUE(json_is_array(json_object_get(j, "agents")));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "agents")), 0);
	json_decref(j);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/agents", "{}", NULL), 404);
}

/* openstackclient sends --provider-segment and --mtu as strings: Neutron
 * converts them (convert_to_int); a non-number stays an error. */
static void test_int_strings(void)
{
	json_t *j, *n;

	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"network\":{\"name\":\"v40\","
			    "\"provider:network_type\":\"vlan\",\"provider:physical_network\":"
			    "\"physnet1\",\"provider:segmentation_id\":\"40\",\"mtu\":\"1400\"}}",
			    &j), 201);
	n = json_object_get(j, "network");
	CU_ASSERT_TRUE(json_is_integer(json_object_get(n, "provider:segmentation_id")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(n, "provider:segmentation_id")), 40);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(n, "mtu")), 1400);
	json_decref(j);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"network\":{\"provider:network_type\":"
			    "\"vlan\",\"provider:physical_network\":\"physnet1\","
			    "\"provider:segmentation_id\":\"4x\"}}", &j), 400);
	json_decref(j);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"network\":{\"mtu\":\" 1400\"}}", &j),
			400);
	json_decref(j);
}

static char *id_in(json_t *j, const char *key, char *id)
{
	snprintf(id, 40, "%s", json_string_value(json_object_get(json_object_get(j, key), "id"))
		 ?: "");
	json_decref(j);
	return id;
}

/* The router gateway port: a view of external_gateway_info, listed with
 * the index filters, shown by its id, refused to update and delete (409),
 * gone with the gateway. */
/* GET /v2.0/ports with query arguments: the ports (owned: decref *j). */
static json_t *ports_q(const struct api_arg *args, size_t n, json_t **j)
{
	struct api_req r = { .method = "GET", .path = "/v2.0/ports", .args = args, .n_args = n,
			     .base_url = "http://t" };
	struct api_resp resp;

	api_handle(&api_fx.nbo, &r, &resp);
	*j = resp.body;
	CU_ASSERT_EQUAL(resp.status, 200);
	return json_object_get(resp.body, "ports");
}

static void test_gw_port(void)
{
	char ext[40], esub[40], rt[40], gp[40], body[512], path[160];
	json_t *j, *ps, *p;

	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"network\":{\"name\":\"pub\","
			    "\"router:external\":true}}", &j), 201);
	id_in(j, "network", ext);
	snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":"
		 "\"172.30.44.0/24\",\"ip_version\":4}}", ext);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/subnets", body, &j), 201);
	id_in(j, "subnet", esub);
	snprintf(body, sizeof(body), "{\"router\":{\"name\":\"gwr\",\"external_gateway_info\":"
		 "{\"network_id\":\"%s\"}}}", ext);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/routers", body, &j), 201);
	const char *gip = json_string_value(json_object_get(json_array_get(json_object_get(
		json_object_get(json_object_get(j, "router"), "external_gateway_info"),
		"external_fixed_ips"), 0), "ip_address"));
	char gw_ip[48];
	snprintf(gw_ip, sizeof(gw_ip), "%s", gip ? gip : "?");
	id_in(j, "router", rt);
	const struct api_arg q[] = { { "network_id", ext }, { "device_id", rt },
				     { "device_owner", "network:router_gateway" } };
	ps = ports_q(q, 3, &j);
	CU_ASSERT_EQUAL_FATAL(json_array_size(ps), 1);
	p = json_array_get(ps, 0);
	snprintf(gp, sizeof(gp), "%s", json_string_value(json_object_get(p, "id")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "device_owner")),
			       "network:router_gateway");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "tenant_id")), "");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "status")), "ACTIVE");
	p = json_array_get(json_object_get(p, "fixed_ips"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "subnet_id")), esub);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(p, "ip_address")), gw_ip);
	json_decref(j);
	/* by owner alone, by its address; not by another device */
	CU_ASSERT_EQUAL(json_array_size(ports_q(q + 2, 1, &j)), 1);
	json_decref(j);
	char fa[96];
	snprintf(fa, sizeof(fa), "ip_address=%s", gw_ip);
	const struct api_arg qa[] = { { "fixed_ips", fa } };
	CU_ASSERT_EQUAL(json_array_size(ports_q(qa, 1, &j)), 1);
	json_decref(j);
	const struct api_arg qd[] = { { "device_id", esub } };
	CU_ASSERT_EQUAL(json_array_size(ports_q(qd, 1, &j)), 0);
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/ports/%s", gp);
	CU_ASSERT_EQUAL(req("GET", path, NULL, &j), 200);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(j, "port"),
								 "device_id")), rt);
	json_decref(j);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"port\":{\"name\":\"x\"}}", &j), 409);
	CU_ASSERT_STRING_EQUAL(err_type(j), "L3PortInUse");
	json_decref(j);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, &j), 409);
	CU_ASSERT_STRING_EQUAL(err_type(j), "L3PortInUse");
	json_decref(j);
	/* the gateway cleared: the port is gone */
	snprintf(path, sizeof(path), "/v2.0/routers/%s", rt);
	CU_ASSERT_EQUAL(req("PUT", path, "{\"router\":{\"external_gateway_info\":{}}}", NULL), 200);
	snprintf(path, sizeof(path), "/v2.0/ports/%s", gp);
	CU_ASSERT_EQUAL(req("GET", path, NULL, NULL), 404);
	CU_ASSERT_EQUAL(json_array_size(ports_q(q + 2, 1, &j)), 0);
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/routers/%s", rt);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, NULL), 204);
}

static void test_fip_port_delete(void)
{
	char ext[40], in[40], sub[40], rt[40], port[40], fip[40], fip2[40], body[512], path[96];
	char esub[40], eport[40];
	json_t *j;

	CU_ASSERT_EQUAL(req("POST", "/v2.0/networks", "{\"network\":{\"name\":\"ext\","
			    "\"router:external\":true}}", &j), 201);
	id_in(j, "network", ext);
	snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":"
		 "\"172.30.9.0/24\",\"ip_version\":4}}", ext);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/subnets", body, &j), 201);
	id_in(j, "subnet", esub);
	/* a port's address is no gateway's; a floating IP's is no port's */
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\",\"fixed_ips\":"
		 "[{\"ip_address\":\"172.30.9.50\"}]}}", ext);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/ports", body, &j), 201);
	id_in(j, "port", eport);
	snprintf(body, sizeof(body), "{\"router\":{\"external_gateway_info\":{\"network_id\":"
		 "\"%s\",\"external_fixed_ips\":[{\"subnet_id\":\"%s\",\"ip_address\":"
		 "\"172.30.9.50\"}]}}}", ext, esub);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/routers", body, &j), 409);
	CU_ASSERT_STRING_EQUAL(err_type(j), "IpAddressAlreadyAllocated");
	json_decref(j);
	snprintf(path, sizeof(path), "/v2.0/ports/%s", eport);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, NULL), 204);
	snprintf(body, sizeof(body), "{\"floatingip\":{\"floating_network_id\":\"%s\","
		 "\"floating_ip_address\":\"172.30.9.60\"}}", ext);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/floatingips", body, &j), 201);
	id_in(j, "floatingip", fip2);
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\",\"fixed_ips\":"
		 "[{\"ip_address\":\"172.30.9.60\"}]}}", ext);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/ports", body, &j), 409);
	CU_ASSERT_STRING_EQUAL(err_type(j), "IpAddressAlreadyAllocated");
	json_decref(j);
	/* the floating IP's address is claimed in its subnet like a port's:
	 * a port written past the API's checks (straight to the northbound)
	 * is refused by the claim, in the same transaction */
	snprintf(body, sizeof(body), "{\"id\":\"0b3c1c2e-8a77-4f0e-9d59-3c1f7f2b2a99\","
		 "\"network_id\":\"%s\",\"mac_address\":\"fa:16:3e:00:00:99\","
		 "\"fixed_ips\":[{\"subnet_id\":\"%s\",\"ip_address\":\"172.30.9.60\"}]}",
		 ext, esub);
	struct mdl_hdr *ph = mdl_obj_from_string(MDL_PORT, body, NULL, 0);
	char err[256] = "";
	CU_ASSERT_PTR_NOT_NULL_FATAL(ph);
	CU_ASSERT_EQUAL(nb_create(api_fx.db, ph, NULL, err, sizeof(err)), -EADDRINUSE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "floating_ip"));
	mdl_obj_free(ph);
	snprintf(path, sizeof(path), "/v2.0/floatingips/%s", fip2);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, NULL), 204);
	/* released with it */
	ph = mdl_obj_from_string(MDL_PORT, body, NULL, 0);
	CU_ASSERT_EQUAL(nb_create(api_fx.db, ph, NULL, err, sizeof(err)), 0);
	mdl_obj_free(ph);
	CU_ASSERT_EQUAL(req("DELETE", "/v2.0/ports/0b3c1c2e-8a77-4f0e-9d59-3c1f7f2b2a99", NULL,
			    NULL), 204);
	new_net("inside", in);
	snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":"
		 "\"10.95.0.0/24\",\"ip_version\":4}}", in);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/subnets", body, &j), 201);
	id_in(j, "subnet", sub);
	snprintf(body, sizeof(body), "{\"router\":{\"external_gateway_info\":{\"network_id\":"
		 "\"%s\"}}}", ext);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/routers", body, &j), 201);
	id_in(j, "router", rt);
	snprintf(path, sizeof(path), "/v2.0/routers/%s/add_router_interface", rt);
	snprintf(body, sizeof(body), "{\"subnet_id\":\"%s\"}", sub);
	CU_ASSERT_EQUAL(req("PUT", path, body, NULL), 200);
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\"}}", in);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/ports", body, &j), 201);
	id_in(j, "port", port);
	snprintf(body, sizeof(body), "{\"floatingip\":{\"floating_network_id\":\"%s\","
		 "\"port_id\":\"%s\"}}", ext, port);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/floatingips", body, &j), 201);
	id_in(j, "floatingip", fip);
	/* the port goes; its floating IP stays, disassociated */
	snprintf(path, sizeof(path), "/v2.0/ports/%s", port);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, NULL), 204);
	snprintf(path, sizeof(path), "/v2.0/floatingips/%s", fip);
	CU_ASSERT_EQUAL(req("GET", path, NULL, &j), 200);
	CU_ASSERT_TRUE(json_is_null(json_object_get(json_object_get(j, "floatingip"), "port_id")));
	CU_ASSERT_TRUE(json_is_null(json_object_get(json_object_get(j, "floatingip"),
						    "fixed_ip_address")));
	json_decref(j);
	/* the router goes; the external network goes with its unassociated
	 * floating IPs */
	snprintf(path, sizeof(path), "/v2.0/routers/%s/remove_router_interface", rt);
	snprintf(body, sizeof(body), "{\"subnet_id\":\"%s\"}", sub);
	CU_ASSERT_EQUAL(req("PUT", path, body, NULL), 200);
	snprintf(path, sizeof(path), "/v2.0/routers/%s", rt);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, NULL), 204);
	snprintf(body, sizeof(body), "{\"floatingip\":{\"floating_network_id\":\"%s\"}}", ext);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/floatingips", body, &j), 201);
	id_in(j, "floatingip", fip2);
	snprintf(path, sizeof(path), "/v2.0/networks/%s", ext);
	CU_ASSERT_EQUAL(req("DELETE", path, NULL, NULL), 204);
	snprintf(path, sizeof(path), "/v2.0/floatingips/%s", fip);
	CU_ASSERT_EQUAL(req("GET", path, NULL, NULL), 404);
	snprintf(path, sizeof(path), "/v2.0/floatingips/%s", fip2);
	CU_ASSERT_EQUAL(req("GET", path, NULL, NULL), 404);
}

static void test_router_overlap(void)
{
	char n1[40], n2[40], s1[40], s2[40], rt[40], body[256], path[96];
	json_t *j;

	new_net("ov1", n1);
	new_net("ov2", n2);
	snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":"
		 "\"10.96.0.0/24\",\"ip_version\":4}}", n1);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/subnets", body, &j), 201);
	id_in(j, "subnet", s1);
	snprintf(body, sizeof(body), "{\"subnet\":{\"network_id\":\"%s\",\"cidr\":"
		 "\"10.96.0.0/25\",\"ip_version\":4}}", n2);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/subnets", body, &j), 201);  /* other network */
	id_in(j, "subnet", s2);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/routers", "{\"router\":{\"name\":\"ov\"}}", &j), 201);
	id_in(j, "router", rt);
	snprintf(path, sizeof(path), "/v2.0/routers/%s/add_router_interface", rt);
	snprintf(body, sizeof(body), "{\"subnet_id\":\"%s\"}", s1);
	CU_ASSERT_EQUAL(req("PUT", path, body, NULL), 200);
	snprintf(body, sizeof(body), "{\"subnet_id\":\"%s\"}", s2);
	CU_ASSERT_EQUAL(req("PUT", path, body, &j), 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg_of(j), "overlaps with cidr"));
	json_decref(j);
	/* by port too */
	snprintf(body, sizeof(body), "{\"port\":{\"network_id\":\"%s\"}}", n2);
	CU_ASSERT_EQUAL(req("POST", "/v2.0/ports", body, &j), 201);
	snprintf(body, sizeof(body), "{\"port_id\":\"%s\"}",
		 json_string_value(json_object_get(json_object_get(j, "port"), "id")));
	json_decref(j);
	CU_ASSERT_EQUAL(req("PUT", path, body, &j), 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg_of(j), "overlaps with cidr"));
	json_decref(j);
	/* a gateway on a network that is not external: 400 */
	snprintf(path, sizeof(path), "/v2.0/routers/%s", rt);
	snprintf(body, sizeof(body), "{\"router\":{\"external_gateway_info\":{\"network_id\":"
		 "\"%s\"}}}", n1);
	CU_ASSERT_EQUAL(req("PUT", path, body, &j), 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg_of(j), "not an external network"));
	json_decref(j);
}

/* A caller with the reader role only (api_req.read_only): it reads, and
 * every write is 403 PolicyNotAuthorized naming Neutron's rule, with
 * nothing written. */
static void test_reader(void)
{
	static const struct { const char *method, *path, *rule; } w[] = {
		{ "POST", "/v2.0/networks", "rule:create_network " },
		{ "PUT", "/v2.0/networks/00000000-0000-4000-8000-000000000001",
		  "rule:update_network " },
		{ "DELETE", "/v2.0/ports/00000000-0000-4000-8000-000000000001",
		  "rule:delete_port " },
		{ "PUT", "/v2.0/routers/00000000-0000-4000-8000-000000000001/add_router_interface",
		  "rule:add_router_interface " },
		{ "PUT", "/v2.0/networks/00000000-0000-4000-8000-000000000001/tags/x",
		  "rule:update_network_tags " },
	};
	size_t before = count("networks");

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		struct api_req r = { .method = w[i].method, .path = w[i].path,
				     .body = "{\"network\":{\"name\":\"r\"}}", .project = "p",
				     .scoped = true, .read_only = true, .base_url = "http://t" };
		struct api_resp resp;

		r.body_len = strlen(r.body);
		api_handle(&api_fx.nbo, &r, &resp);
		CU_ASSERT_EQUAL(resp.status, 403);
		CU_ASSERT_STRING_EQUAL(err_type(resp.body), "PolicyNotAuthorized");
		CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(json_object_get(
			resp.body, "NeutronError"), "message")) ?: "", w[i].rule));
		json_decref(resp.body);
	}
	struct api_req g = { .method = "GET", .path = "/v2.0/networks", .project = "p",
			     .scoped = true, .read_only = true, .base_url = "http://t" };
	struct api_resp resp;

	api_handle(&api_fx.nbo, &g, &resp);
	CU_ASSERT_EQUAL(resp.status, 200);
	json_decref(resp.body);
	CU_ASSERT_EQUAL(count("networks"), before);
}

int main(void)
{
	CU_pSuite w;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	w = CU_add_suite("api-tempest", setup, teardown);
	if (!w || !CU_add_test(w, "bulk create", test_bulk) ||
	    !CU_add_test(w, "overlapping cidr, empty gateway", test_overlap_and_gateway) ||
	    !CU_add_test(w, "SLAAC addresses", test_slaac) ||
	    !CU_add_test(w, "port without groups", test_port_no_groups) ||
	    !CU_add_test(w, "security-group rules", test_sg_rules) ||
	    !CU_add_test(w, "agents", test_agents) ||
	    !CU_add_test(w, "integers given as strings", test_int_strings) ||
	    !CU_add_test(w, "router gateway port", test_gw_port) ||
	    !CU_add_test(w, "floating IPs of deleted ports and networks", test_fip_port_delete) ||
	    !CU_add_test(w, "overlapping router interfaces", test_router_overlap) ||
	    !CU_add_test(w, "reader role: reads, writes refused", test_reader)) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
