/* SPDX-License-Identifier: BSD-3-Clause
 * model/model_test.c — unit tests: codec round-trips for every type, every decode and validation
 * error message, cross-object checks against an in-memory store, and the address helpers.  Cases
 * are tables: a valid base object per type is patched and the exact error text is asserted. */
#include "mdl.h"
#include "mdl_addr.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NET  "11111111-1111-4111-8111-111111111111"
#define NET2 "11111111-1111-4111-8111-111111111112"
#define SUB  "22222222-2222-4222-8222-222222222221"
#define SUB6 "22222222-2222-4222-8222-222222222226"
#define SUBX "22222222-2222-4222-8222-222222222229"
#define PORT "33333333-3333-4333-8333-333333333331"
#define PRTB "33333333-3333-4333-8333-333333333332"
#define SG   "44444444-4444-4444-8444-444444444441"
#define SGB  "44444444-4444-4444-8444-444444444442"
#define RTR  "55555555-5555-4555-8555-555555555551"
#define FIP  "66666666-6666-4666-8666-666666666661"
#define CHS  "77777777-7777-4777-8777-777777777771"
#define RULE "88888888-8888-4888-8888-888888888881"
#define NOPE "99999999-9999-4999-8999-999999999999"

/* Valid objects with every field present, in canonical form (round-trip). */
static const char *const full[MDL_N_TYPES] = {
	[MDL_CHASSIS] = "{\"id\":\"" CHS "\",\"dp_key\":1,\"revision_number\":2,"
		"\"name\":\"host-a\",\"vtep_ip\":\"192.0.2.1\",\"encap_types\":[\"geneve\",\"vxlan\"],"
		"\"gateway\":true,\"gateway_priority\":100}",
	[MDL_NETWORK] = "{\"id\":\"" NET "\",\"dp_key\":7,\"revision_number\":3,"
		"\"name\":\"net\",\"project_id\":\"p1\",\"mtu\":1450,"
		"\"provider:network_type\":\"vxlan\",\"provider:segmentation_id\":1001,"
		"\"provider:physical_network\":null,\"router:external\":false,"
		"\"admin_state_up\":true}",
	[MDL_SUBNET] = "{\"id\":\"" SUB "\",\"dp_key\":0,\"revision_number\":1,"
		"\"name\":\"s\",\"project_id\":\"p1\",\"network_id\":\"" NET "\","
		"\"ip_version\":4,\"cidr\":\"10.0.0.0/24\",\"gateway_ip\":\"10.0.0.1\","
		"\"enable_dhcp\":true,\"dns_nameservers\":[\"8.8.8.8\"],"
		"\"host_routes\":[{\"destination\":\"10.9.0.0/16\",\"nexthop\":\"10.0.0.254\"}],"
		"\"allocation_pools\":[{\"start\":\"10.0.0.2\",\"end\":\"10.0.0.200\"}],"
		"\"ipv6_address_mode\":null,\"ipv6_ra_mode\":null}",
	[MDL_PORT] = "{\"id\":\"" PORT "\",\"dp_key\":9,\"revision_number\":1,"
		"\"name\":\"vm1\",\"project_id\":\"p1\",\"network_id\":\"" NET "\","
		"\"mac_address\":\"fa:16:3e:00:00:01\","
		"\"fixed_ips\":[{\"subnet_id\":\"" SUB "\",\"ip_address\":\"10.0.0.5\"}],"
		"\"allowed_address_pairs\":[{\"ip_address\":\"10.0.0.0/28\",\"mac_address\":\"fa:16:3e:00:00:99\"}],"
		"\"port_security_enabled\":true,\"security_groups\":[\"" SG "\"],"
		"\"device_owner\":\"compute:nova\",\"device_id\":\"vm-1\","
		"\"binding:host_id\":\"host-a\",\"admin_state_up\":true}",
	[MDL_ROUTER] = "{\"id\":\"" RTR "\",\"dp_key\":4,\"revision_number\":5,"
		"\"name\":\"r\",\"project_id\":\"p1\",\"admin_state_up\":true,"
		"\"interfaces\":[{\"subnet_id\":\"" SUB "\",\"port_id\":\"" PORT "\",\"ip_address\":\"10.0.0.1\"}],"
		"\"routes\":[{\"destination\":\"0.0.0.0/0\",\"nexthop\":\"10.0.0.254\"}],"
		"\"external_gateway_info\":{\"network_id\":\"" NET2 "\",\"enable_snat\":true,"
		"\"external_fixed_ips\":[{\"subnet_id\":\"" SUBX "\",\"ip_address\":\"10.1.0.9\"}]}}",
	[MDL_SECURITY_GROUP] = "{\"id\":\"" SG "\",\"dp_key\":3,\"revision_number\":1,"
		"\"name\":\"default\",\"project_id\":\"p1\",\"stateful\":true,\"security_group_rules\":["
		"{\"id\":\"" RULE "\",\"direction\":\"ingress\",\"ethertype\":\"IPv4\","
		"\"protocol\":\"tcp\",\"port_range_min\":22,\"port_range_max\":22,"
		"\"remote_ip_prefix\":\"0.0.0.0/0\",\"remote_group_id\":null},"
		"{\"id\":\"" RULE "\",\"direction\":\"egress\",\"ethertype\":\"IPv6\","
		"\"protocol\":58,\"port_range_min\":null,\"port_range_max\":null,"
		"\"remote_ip_prefix\":null,\"remote_group_id\":\"" SG "\"},"
		"{\"id\":\"" RULE "\",\"direction\":\"egress\",\"ethertype\":\"IPv4\","
		"\"protocol\":null,\"port_range_min\":null,\"port_range_max\":null,"
		"\"remote_ip_prefix\":null,\"remote_group_id\":null}]}",
	[MDL_FLOATING_IP] = "{\"id\":\"" FIP "\",\"dp_key\":0,\"revision_number\":1,"
		"\"project_id\":\"p1\",\"floating_network_id\":\"" NET2 "\","
		"\"floating_ip_address\":\"198.51.100.7\",\"router_id\":\"" RTR "\","
		"\"fixed_ip_address\":\"10.0.0.5\",\"port_id\":\"" PORT "\",\"subnet_id\":\"" SUBX "\"}",
	[MDL_SECURITY_GROUP_RULE] = "{\"id\":\"" RULE "\",\"dp_key\":12,\"revision_number\":1,"
		"\"security_group_id\":\"" SG "\",\"description\":\"ssh\",\"project_id\":\"p1\","
		"\"direction\":\"ingress\",\"ethertype\":\"IPv6\",\"protocol\":\"tcp\","
		"\"port_range_min\":22,\"port_range_max\":22,\"remote_ip_prefix\":\"2001:db8::/32\","
		"\"remote_group_id\":null}",
	[MDL_SUBNETPOOL] = "{\"id\":\"12121212-1212-4212-8212-121212121212\",\"dp_key\":0,\"revision_number\""
		":1,\"name\":\"sp\",\"project_id\":\"p1\",\"prefixes\":[\"10.0.0.0/16\"],\"ip_version\":4,\"shared\""
		":false,\"default_prefixlen\":24,\"min_prefixlen\":8,\"max_prefixlen\":32,\"is_default\":true,\"address_scope_id\":null}",
};

/* ------------------------------------------------------------------ */

static void test_roundtrip(void)
{
	char err[MDL_ERR_SIZE];
	int t;

	for (t = 0; t < MDL_N_TYPES; t++) {
		json_t *in = json_loads(full[t], 0, NULL), *out;
		struct mdl_hdr *o, *d;
		char *s1, *s2;

		CU_ASSERT_PTR_NOT_NULL_FATAL(in);
		o = mdl_obj_from_json(t, in, err, sizeof(err));
		if (!o)
			printf("\n%s: %s\n", mdl_type_name(t), err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_EQUAL(o->type, (enum mdl_type)t);
		CU_ASSERT_EQUAL(mdl_obj_validate(o, err, sizeof(err)), 0);
		if (err[0])
			printf("\n%s: %s\n", mdl_type_name(t), err);
		out = mdl_obj_to_json(o);
		CU_ASSERT_TRUE(json_equal(in, out));
		d = mdl_obj_dup(o);
		CU_ASSERT_PTR_NOT_NULL_FATAL(d);
		s1 = mdl_obj_to_string(o);
		s2 = mdl_obj_to_string(d);
		CU_ASSERT_STRING_EQUAL(s1, s2);
		free(s1);
		free(s2);
		json_decref(in);
		json_decref(out);
		mdl_obj_free(o);
		mdl_obj_free(d);
	}
}

static void test_defaults(void)
{
	struct mdl_hdr *o = mdl_obj_from_string(MDL_NETWORK,
		"{\"provider:network_type\":\"geneve\"}", NULL, 0);
	struct mdl_network *n;
	struct mdl_port *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	n = mdl_hdr_to_network(o);
	CU_ASSERT_EQUAL(n->mtu, 1500);
	CU_ASSERT_EQUAL(n->segmentation_id, -1);
	CU_ASSERT_TRUE(n->admin_state_up);
	CU_ASSERT_FALSE(n->external);
	mdl_obj_free(o);
	o = mdl_obj_alloc(MDL_PORT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	p = mdl_hdr_to_port(o);
	CU_ASSERT_TRUE(p->port_security_enabled);
	mdl_obj_free(o);
	CU_ASSERT_PTR_NULL(mdl_obj_alloc(MDL_N_TYPES));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_EQUAL(mdl_type_from_name("floating_ip"), MDL_FLOATING_IP);
	CU_ASSERT_EQUAL(mdl_type_from_name("bogus"), -EINVAL);
	mdl_obj_free(NULL);
}

/* Protocol given as an integer stays an integer; as a string stays a string. */
static void test_protocol_forms(void)
{
	struct mdl_hdr *o = mdl_obj_from_string(MDL_SECURITY_GROUP, full[MDL_SECURITY_GROUP],
						NULL, 0);
	struct mdl_security_group *sg;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	sg = mdl_hdr_to_sg(o);
	CU_ASSERT_EQUAL(sg->n_rules, 3);
	CU_ASSERT_STRING_EQUAL(sg->rules[0].protocol, "tcp");
	CU_ASSERT_FALSE(sg->rules[0].protocol_is_number);
	CU_ASSERT_STRING_EQUAL(sg->rules[1].protocol, "58");
	CU_ASSERT_TRUE(sg->rules[1].protocol_is_number);
	CU_ASSERT_STRING_EQUAL(sg->rules[2].protocol, "");
	mdl_obj_free(o);
}

/* ------------------------------------------------------------------ */
/* Decode + single-object validation: base object patched, exact message. */

struct vcase {
	enum mdl_type type;
	const char *patch;      /* JSON object merged over full[type] */
	const char *del;        /* key removed from the result, or NULL */
	const char *msg;
};

static const struct vcase vcases[] = {
	/* structural (decode) */
	{ MDL_NETWORK, "{\"bogus\":1}", NULL, "bogus: unknown field" },
	{ MDL_NETWORK, "{\"name\":5}", NULL, "name: expected a string" },
	{ MDL_NETWORK, "{\"provider:physical_network\":5}", NULL,
	  "provider:physical_network: expected a string or null" },
	{ MDL_NETWORK, "{\"name\":\"a\\u0000b\"}", NULL, "name: contains a NUL character" },
	{ MDL_NETWORK, "{\"admin_state_up\":\"yes\"}", NULL, "admin_state_up: expected a boolean" },
	{ MDL_NETWORK, "{\"mtu\":\"1500\"}", NULL, "mtu: expected an integer" },
	{ MDL_NETWORK, "{\"mtu\":1500.0}", NULL, "mtu: expected an integer" },
	{ MDL_NETWORK, "{\"provider:segmentation_id\":\"x\"}", NULL,
	  "provider:segmentation_id: expected an integer or null" },
	{ MDL_NETWORK, "{\"dp_key\":-1}", NULL, "dp_key: expected an integer in 0..4294967295" },
	{ MDL_NETWORK, "{\"dp_key\":4294967296}", NULL, "dp_key: expected an integer in 0..4294967295" },
	{ MDL_NETWORK, "{\"revision_number\":-3}", NULL,
	  "revision_number: expected a non-negative integer" },
	{ MDL_NETWORK, NULL, "provider:network_type",
	  "provider:network_type: missing required field" },
	{ MDL_SUBNET, "{\"dns_nameservers\":\"8.8.8.8\"}", NULL, "dns_nameservers: expected an array" },
	{ MDL_SUBNET, "{\"dns_nameservers\":[1]}", NULL, "dns_nameservers[0]: expected a string" },
	{ MDL_SUBNET, "{\"host_routes\":[\"x\"]}", NULL, "host_routes[0]: expected an object" },
	{ MDL_SUBNET, "{\"host_routes\":[{\"destination\":\"10.9.0.0/16\"}]}", NULL,
	  "host_routes[0].nexthop: missing required field" },
	{ MDL_PORT, "{\"fixed_ips\":[{\"subnet_id\":\"" SUB "\",\"ip_address\":7}]}", NULL,
	  "fixed_ips[0].ip_address: expected a string" },
	{ MDL_PORT, "{\"fixed_ips\":[{\"subnet_id\":\"" SUB "\",\"ip_address\":\"10.0.0.5\",\"x\":1}]}",
	  NULL, "fixed_ips[0].x: unknown field" },
	{ MDL_ROUTER, "{\"external_gateway_info\":[]}", NULL,
	  "external_gateway_info: expected an object or null" },
	{ MDL_ROUTER, "{\"external_gateway_info\":{\"enable_snat\":false}}", NULL,
	  "external_gateway_info.network_id: missing required field" },
	{ MDL_SECURITY_GROUP, "{\"security_group_rules\":[{\"direction\":\"ingress\","
	  "\"ethertype\":\"IPv4\",\"protocol\":300}]}", NULL,
	  "security_group_rules[0].protocol: protocol number 300 out of range 0..255" },
	{ MDL_SECURITY_GROUP, "{\"security_group_rules\":[{\"direction\":\"ingress\","
	  "\"ethertype\":\"IPv4\",\"protocol\":true}]}", NULL,
	  "security_group_rules[0].protocol: expected a string, integer or null" },
	{ MDL_CHASSIS, "{\"name\":\"" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
	  NULL, "name: too long (max 255 characters)" },
	/* common */
	{ MDL_NETWORK, "{\"id\":\"\"}", NULL, "id: missing" },
	{ MDL_NETWORK, "{\"id\":\"not-a-uuid\"}", NULL, "id: 'not-a-uuid' is not a valid UUID" },
	{ MDL_NETWORK, "{\"id\":\"1111111x-1111-4111-8111-111111111111\"}", NULL,
	  "id: '1111111x-1111-4111-8111-111111111111' is not a valid UUID" },
	/* chassis */
	{ MDL_CHASSIS, "{\"name\":\"\"}", NULL, "name: must not be empty" },
	{ MDL_CHASSIS, "{\"vtep_ip\":\"192.0.2.300\"}", NULL,
	  "vtep_ip: '192.0.2.300' is not a valid IP address" },
	{ MDL_CHASSIS, "{\"gateway_priority\":65536}", NULL,
	  "gateway_priority: must be 0..65535" },
	{ MDL_CHASSIS, "{\"encap_types\":[]}", NULL,
	  "encap_types: must list at least one of vxlan, geneve" },
	{ MDL_CHASSIS, "{\"encap_types\":[\"vxlan\",\"gre\"]}", NULL,
	  "encap_types[1]: unknown value 'gre' (expected vxlan, geneve)" },
	/* network */
	{ MDL_NETWORK, "{\"mtu\":67}", NULL, "mtu: 67 out of range 68..9216" },
	{ MDL_NETWORK, "{\"mtu\":9217}", NULL, "mtu: 9217 out of range 68..9216" },
	{ MDL_NETWORK, "{\"provider:network_type\":\"gre\"}", NULL,
	  "provider:network_type: unknown value 'gre' (expected vxlan, geneve, vlan, flat, local)" },
	{ MDL_NETWORK, "{\"provider:segmentation_id\":16777216}", NULL,
	  "provider:segmentation_id: 16777216 out of range 1..16777215 for vxlan" },
	{ MDL_NETWORK, "{\"provider:network_type\":\"geneve\",\"provider:segmentation_id\":0}", NULL,
	  "provider:segmentation_id: 0 out of range 1..16777215 for geneve" },
	{ MDL_NETWORK, "{\"provider:network_type\":\"vlan\",\"provider:segmentation_id\":null,"
	  "\"provider:physical_network\":\"phys\"}", NULL,
	  "provider:segmentation_id: required for vlan" },
	{ MDL_NETWORK, "{\"provider:network_type\":\"vlan\",\"provider:segmentation_id\":4095,"
	  "\"provider:physical_network\":\"phys\"}", NULL,
	  "provider:segmentation_id: 4095 out of range 1..4094 for vlan" },
	{ MDL_NETWORK, "{\"provider:network_type\":\"flat\",\"provider:physical_network\":\"phys\"}",
	  NULL, "provider:segmentation_id: must be null for flat" },
	{ MDL_NETWORK, "{\"provider:network_type\":\"flat\",\"provider:segmentation_id\":null}",
	  NULL, "provider:physical_network: required for flat" },
	{ MDL_NETWORK, "{\"provider:physical_network\":\"phys\"}", NULL,
	  "provider:physical_network: must be null for vxlan" },
	{ MDL_NETWORK, "{\"provider:network_type\":\"local\"}", NULL,
	  "provider:segmentation_id: must be null for local" },
	/* subnet */
	{ MDL_SUBNET, "{\"network_id\":\"\"}", NULL, "network_id: missing" },
	{ MDL_SUBNET, "{\"network_id\":\"x\"}", NULL, "network_id: 'x' is not a valid UUID" },
	{ MDL_SUBNET, "{\"ip_version\":5}", NULL, "ip_version: 5 is not 4 or 6" },
	{ MDL_SUBNET, "{\"cidr\":\"10.0.0.0/33\"}", NULL, "cidr: '10.0.0.0/33' is not a valid CIDR" },
	{ MDL_SUBNET, "{\"cidr\":\"10.0.0.0\"}", NULL, "cidr: '10.0.0.0' is not a valid CIDR" },
	{ MDL_SUBNET, "{\"cidr\":\"10.0.0.0/024\"}", NULL, "cidr: '10.0.0.0/024' is not a valid CIDR" },
	{ MDL_SUBNET, "{\"cidr\":\"fd00::/64\"}", NULL, "cidr: fd00::/64 is not an IPv4 prefix" },
	{ MDL_SUBNET, "{\"cidr\":\"10.0.0.1/24\"}", NULL, "cidr: 10.0.0.1/24 has host bits set" },
	{ MDL_SUBNET, "{\"gateway_ip\":\"10.0.0\"}", NULL,
	  "gateway_ip: '10.0.0' is not a valid IP address" },
	{ MDL_SUBNET, "{\"gateway_ip\":\"10.0.1.1\"}", NULL,
	  "gateway_ip: 10.0.1.1 is outside cidr 10.0.0.0/24" },
	{ MDL_SUBNET, "{\"dns_nameservers\":[\"8.8.8.8\",\"dns\"]}", NULL,
	  "dns_nameservers[1]: 'dns' is not a valid IP address" },
	{ MDL_SUBNET, "{\"host_routes\":[{\"destination\":\"10.9.0.0\",\"nexthop\":\"10.0.0.254\"}]}",
	  NULL, "host_routes[0].destination: '10.9.0.0' is not a valid CIDR" },
	{ MDL_SUBNET, "{\"host_routes\":[{\"destination\":\"10.9.0.0/16\",\"nexthop\":\"x\"}]}",
	  NULL, "host_routes[0].nexthop: 'x' is not a valid IP address" },
	{ MDL_SUBNET, "{\"host_routes\":[{\"destination\":\"fd00::/8\",\"nexthop\":\"10.0.0.2\"}]}",
	  NULL, "host_routes[0].nexthop: 10.0.0.2 is not the same IP version as destination fd00::/8" },
	{ MDL_SUBNET, "{\"allocation_pools\":[{\"start\":\"10.0.1.2\",\"end\":\"10.0.0.9\"}]}", NULL,
	  "allocation_pools[0].start: 10.0.1.2 is outside cidr 10.0.0.0/24" },
	{ MDL_SUBNET, "{\"allocation_pools\":[{\"start\":\"10.0.0.2\",\"end\":\"y\"}]}", NULL,
	  "allocation_pools[0].end: 'y' is not a valid IP address" },
	{ MDL_SUBNET, "{\"allocation_pools\":[{\"start\":\"10.0.0.9\",\"end\":\"10.0.0.5\"}]}", NULL,
	  "allocation_pools[0]: start 10.0.0.9 is after end 10.0.0.5" },
	{ MDL_SUBNET, "{\"allocation_pools\":[{\"start\":\"10.0.0.1\",\"end\":\"10.0.0.5\"}]}", NULL,
	  "allocation_pools[0]: contains gateway_ip 10.0.0.1" },
	{ MDL_SUBNET, "{\"allocation_pools\":[{\"start\":\"10.0.0.2\",\"end\":\"10.0.0.50\"},"
	  "{\"start\":\"10.0.0.50\",\"end\":\"10.0.0.60\"}]}", NULL,
	  "allocation_pools[1]: overlaps allocation_pools[0]" },
	{ MDL_SUBNET, "{\"ipv6_address_mode\":\"slaac\"}", NULL,
	  "ipv6_address_mode: must be null for an IPv4 subnet" },
	{ MDL_SUBNET, "{\"ipv6_ra_mode\":\"slaac\"}", NULL,
	  "ipv6_ra_mode: must be null for an IPv4 subnet" },
	{ MDL_SUBNET, "{\"ip_version\":6,\"cidr\":\"fd00::/64\",\"gateway_ip\":null,"
	  "\"allocation_pools\":[],\"host_routes\":[],\"ipv6_address_mode\":\"magic\"}", NULL,
	  "ipv6_address_mode: unknown value 'magic' (expected slaac, dhcpv6-stateful, dhcpv6-stateless)" },
	{ MDL_SUBNET, "{\"ip_version\":6,\"cidr\":\"fd00::/64\",\"gateway_ip\":null,"
	  "\"allocation_pools\":[],\"host_routes\":[],\"ipv6_ra_mode\":\"x\"}", NULL,
	  "ipv6_ra_mode: unknown value 'x' (expected slaac, dhcpv6-stateful, dhcpv6-stateless)" },
	{ MDL_SUBNET, "{\"ip_version\":6,\"cidr\":\"fd00::/64\",\"gateway_ip\":\"fd00::1\","
	  "\"allocation_pools\":[],\"host_routes\":[],\"ipv6_address_mode\":\"slaac\","
	  "\"ipv6_ra_mode\":\"dhcpv6-stateful\"}", NULL,
	  "ipv6_ra_mode: dhcpv6-stateful does not match ipv6_address_mode slaac" },
	/* port */
	{ MDL_PORT, "{\"network_id\":\"zz\"}", NULL, "network_id: 'zz' is not a valid UUID" },
	{ MDL_PORT, "{\"mac_address\":\"\"}", NULL, "mac_address: missing" },
	{ MDL_PORT, "{\"mac_address\":\"fa:16:3e:00:00\"}", NULL,
	  "mac_address: 'fa:16:3e:00:00' is not a valid MAC address" },
	{ MDL_PORT, "{\"mac_address\":\"fa-16-3e-00-00-01\"}", NULL,
	  "mac_address: 'fa-16-3e-00-00-01' is not a valid MAC address" },
	{ MDL_PORT, "{\"mac_address\":\"01:00:5e:00:00:01\"}", NULL,
	  "mac_address: 01:00:5e:00:00:01 is a multicast address" },
	{ MDL_PORT, "{\"mac_address\":\"00:00:00:00:00:00\"}", NULL,
	  "mac_address: 00:00:00:00:00:00 is all zeros" },
	{ MDL_PORT, "{\"fixed_ips\":[{\"subnet_id\":\"s\",\"ip_address\":\"10.0.0.5\"}]}", NULL,
	  "fixed_ips[0].subnet_id: 's' is not a valid UUID" },
	{ MDL_PORT, "{\"fixed_ips\":[{\"subnet_id\":\"" SUB "\",\"ip_address\":\"10.0.0.256\"}]}",
	  NULL, "fixed_ips[0].ip_address: '10.0.0.256' is not a valid IP address" },
	{ MDL_PORT, "{\"fixed_ips\":[{\"subnet_id\":\"" SUB "\",\"ip_address\":\"10.0.0.2\"},{\"subnet_id\":\"" SUB "\",\"ip_address\":\"10.0.0.3\"},{\"subnet_id\":\"" SUB "\",\"ip_address\":\"10.0.0.4\"},{\"subnet_id\":\"" SUB "\",\"ip_address\":\"10.0.0.5\"},{\"subnet_id\":\"" SUB "\",\"ip_address\":\"10.0.0.6\"},{\"subnet_id\":\"" SUB "\",\"ip_address\":\"10.0.0.7\"},{\"subnet_id\":\"" SUB "\",\"ip_address\":\"10.0.0.8\"},{\"subnet_id\":\"" SUB "\",\"ip_address\":\"10.0.0.9\"},{\"subnet_id\":\"" SUB "\",\"ip_address\":\"10.0.0.10\"}]}", NULL,
	  "fixed_ips: exceeded maximum amount of fixed ips per port (8)" },
	{ MDL_PORT, "{\"allowed_address_pairs\":[{\"ip_address\":\"10.0.1.2\"},{\"ip_address\":\"10.0.1.3\"},{\"ip_address\":\"10.0.1.4\"},{\"ip_address\":\"10.0.1.5\"},{\"ip_address\":\"10.0.1.6\"},{\"ip_address\":\"10.0.1.7\"},{\"ip_address\":\"10.0.1.8\"},{\"ip_address\":\"10.0.1.9\"},{\"ip_address\":\"10.0.1.10\"}]}", NULL,
	  "allowed_address_pairs: exceeded maximum amount of allowed address pairs (8)" },
	{ MDL_PORT, "{\"allowed_address_pairs\":[{\"ip_address\":\"10.0.0.0/40\"}]}", NULL,
	  "allowed_address_pairs[0].ip_address: '10.0.0.0/40' is not a valid IP address or CIDR" },
	{ MDL_PORT, "{\"allowed_address_pairs\":[{\"ip_address\":\"10.0.0.7\",\"mac_address\":\"q\"}]}",
	  NULL, "allowed_address_pairs[0].mac_address: 'q' is not a valid MAC address" },
	{ MDL_PORT, "{\"security_groups\":[\"" SG "\",\"nope\"]}", NULL,
	  "security_groups[1]: 'nope' is not a valid UUID" },
	{ MDL_PORT, "{\"port_security_enabled\":false,\"allowed_address_pairs\":[]}", NULL,
	  "security_groups: must be empty when port_security_enabled is false" },
	{ MDL_PORT, "{\"port_security_enabled\":false,\"security_groups\":[]}", NULL,
	  "allowed_address_pairs: must be empty when port_security_enabled is false" },
	/* router */
	{ MDL_ROUTER, "{\"interfaces\":[{\"subnet_id\":\"s\",\"ip_address\":\"10.0.0.1\"}]}", NULL,
	  "interfaces[0].subnet_id: 's' is not a valid UUID" },
	{ MDL_ROUTER, "{\"interfaces\":[{\"subnet_id\":\"" SUB "\",\"port_id\":\"p\",\"ip_address\":\"10.0.0.1\"}]}",
	  NULL, "interfaces[0].port_id: 'p' is not a valid UUID" },
	{ MDL_ROUTER, "{\"interfaces\":[{\"subnet_id\":\"" SUB "\",\"ip_address\":\"::g\"}]}", NULL,
	  "interfaces[0].ip_address: '::g' is not a valid IP address" },
	{ MDL_ROUTER, "{\"routes\":[{\"destination\":\"0.0.0.0/0\",\"nexthop\":\"fd00::1\"}]}", NULL,
	  "routes[0].nexthop: fd00::1 is not the same IP version as destination 0.0.0.0/0" },
	{ MDL_ROUTER, "{\"external_gateway_info\":{\"network_id\":\"n\"}}", NULL,
	  "external_gateway_info.network_id: 'n' is not a valid UUID" },
	{ MDL_ROUTER, "{\"external_gateway_info\":{\"network_id\":\"" NET2 "\",\"external_fixed_ips\":"
	  "[{\"subnet_id\":\"" SUBX "\",\"ip_address\":\"1.2.3\"}]}}", NULL,
	  "external_gateway_info.external_fixed_ips[0].ip_address: '1.2.3' is not a valid IP address" },
	/* security group rules */
#define R1(x) "{\"security_group_rules\":[{\"direction\":\"ingress\",\"ethertype\":\"IPv4\"," x "}]}"
	{ MDL_SECURITY_GROUP, R1("\"id\":\"r\""), NULL,
	  "security_group_rules[0].id: 'r' is not a valid UUID" },
	{ MDL_SECURITY_GROUP, "{\"security_group_rules\":[{\"direction\":\"up\",\"ethertype\":\"IPv4\"}]}",
	  NULL, "security_group_rules[0].direction: unknown value 'up' (expected ingress, egress)" },
	{ MDL_SECURITY_GROUP, "{\"security_group_rules\":[{\"direction\":\"egress\",\"ethertype\":\"ipv4\"}]}",
	  NULL, "security_group_rules[0].ethertype: unknown value 'ipv4' (expected IPv4, IPv6)" },
	{ MDL_SECURITY_GROUP, R1("\"protocol\":\"tcpp\""), NULL,
	  "security_group_rules[0].protocol: unknown protocol 'tcpp'" },
	{ MDL_SECURITY_GROUP, R1("\"protocol\":\"999\""), NULL,
	  "security_group_rules[0].protocol: unknown protocol '999'" },
	{ MDL_SECURITY_GROUP, R1("\"protocol\":\"tcp\",\"port_range_min\":0,\"port_range_max\":5"), NULL,
	  "security_group_rules[0].port_range_min: 0 out of range 1..65535" },
	{ MDL_SECURITY_GROUP, R1("\"protocol\":\"udp\",\"port_range_min\":1,\"port_range_max\":65536"),
	  NULL, "security_group_rules[0].port_range_max: 65536 out of range 1..65535" },
	{ MDL_SECURITY_GROUP, R1("\"protocol\":6,\"port_range_min\":80"), NULL,
	  "security_group_rules[0].port_range_min and port_range_max must both be set or both null" },
	{ MDL_SECURITY_GROUP, R1("\"protocol\":\"tcp\",\"port_range_min\":100,\"port_range_max\":10"),
	  NULL, "security_group_rules[0].port_range_min 100 is greater than port_range_max 10" },
	{ MDL_SECURITY_GROUP, R1("\"protocol\":\"icmp\",\"port_range_min\":256"), NULL,
	  "security_group_rules[0].port_range_min: ICMP type 256 out of range 0..255" },
	{ MDL_SECURITY_GROUP, R1("\"protocol\":\"icmp\",\"port_range_min\":8,\"port_range_max\":300"),
	  NULL, "security_group_rules[0].port_range_max: ICMP code 300 out of range 0..255" },
	{ MDL_SECURITY_GROUP, R1("\"protocol\":\"icmp\",\"port_range_max\":0"), NULL,
	  "security_group_rules[0].port_range_max: ICMP code requires an ICMP type in port_range_min" },
	{ MDL_SECURITY_GROUP, R1("\"protocol\":\"gre\",\"port_range_min\":1,\"port_range_max\":2"), NULL,
	  "security_group_rules[0].port_range_min: ports need protocol tcp, udp, sctp, dccp, udplite, icmp or icmpv6" },
	{ MDL_SECURITY_GROUP, R1("\"remote_ip_prefix\":\"10.0.0.0/99\""), NULL,
	  "security_group_rules[0].remote_ip_prefix: '10.0.0.0/99' is not a valid CIDR" },
	{ MDL_SECURITY_GROUP, R1("\"remote_ip_prefix\":\"fd00::/8\""), NULL,
	  "security_group_rules[0].remote_ip_prefix: fd00::/8 does not match ethertype IPv4" },
	{ MDL_SECURITY_GROUP, R1("\"remote_group_id\":\"g\""), NULL,
	  "security_group_rules[0].remote_group_id: 'g' is not a valid UUID" },
	{ MDL_SECURITY_GROUP, R1("\"remote_ip_prefix\":\"10.0.0.0/8\",\"remote_group_id\":\"" SG "\""),
	  NULL, "security_group_rules[0].remote_ip_prefix and remote_group_id are mutually exclusive" },
	/* floating ip */
	{ MDL_FLOATING_IP, "{\"floating_network_id\":\"f\"}", NULL,
	  "floating_network_id: 'f' is not a valid UUID" },
	{ MDL_FLOATING_IP, "{\"floating_ip_address\":\"198.51.100\"}", NULL,
	  "floating_ip_address: '198.51.100' is not a valid IP address" },
	{ MDL_FLOATING_IP, "{\"port_id\":\"p\"}", NULL, "port_id: 'p' is not a valid UUID" },
	{ MDL_FLOATING_IP, "{\"router_id\":\"r\"}", NULL, "router_id: 'r' is not a valid UUID" },
	{ MDL_FLOATING_IP, "{\"fixed_ip_address\":\"10.0.0.x\"}", NULL,
	  "fixed_ip_address: '10.0.0.x' is not a valid IP address" },
	{ MDL_FLOATING_IP, "{\"port_id\":null}", NULL, "fixed_ip_address: requires port_id" },
};

/* Decodes base+patch and validates; returns the first error message. */
static int decode_validate(enum mdl_type t, const char *patch, const char *del,
			   char *err, size_t es)
{
	json_t *j = json_loads(full[t], 0, NULL), *p = NULL;
	struct mdl_hdr *o;
	int rc = 0;

	if (!j)
		return -99;
	if (patch) {
		json_error_t je;

		p = json_loads(patch, JSON_ALLOW_NUL, &je);
		if (!p) {
			snprintf(err, es, "bad test patch: %s", je.text);
			json_decref(j);
			return -99;
		}
		json_object_update(j, p);
		json_decref(p);
	}
	if (del)
		json_object_del(j, del);
	o = mdl_obj_from_json(t, j, err, es);
	if (!o)
		rc = -errno;
	else
		rc = mdl_obj_validate(o, err, es);
	mdl_obj_free(o);
	json_decref(j);
	return rc;
}

static void test_validation_errors(void)
{
	size_t i;

	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		const struct vcase *c = &vcases[i];
		char err[MDL_ERR_SIZE] = "";
		int rc = decode_validate(c->type, c->patch, c->del, err, sizeof(err));

		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_STRING_EQUAL(err, c->msg);
		if (rc != -EINVAL || strcmp(err, c->msg))
			printf("\n case %zu: rc %d\n   got  '%s'\n   want '%s'\n", i, rc,
			       err, c->msg);
	}
}

static void test_decode_top_level(void)
{
	char err[MDL_ERR_SIZE];
	json_t *a = json_array();

	CU_ASSERT_PTR_NULL(mdl_obj_from_json(MDL_PORT, a, err, sizeof(err)));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "port: expected a JSON object");
	json_decref(a);
	CU_ASSERT_PTR_NULL(mdl_obj_from_json(MDL_N_TYPES, NULL, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "unknown object type 9");
	CU_ASSERT_PTR_NULL(mdl_obj_from_string(MDL_PORT, "{\"a\":", err, sizeof(err)));
	CU_ASSERT_EQUAL(strncmp(err, "invalid JSON at line 1", 22), 0);
	CU_ASSERT_PTR_NULL(mdl_obj_from_string(MDL_PORT, NULL, err, sizeof(err)));
	CU_ASSERT_PTR_NULL(mdl_obj_from_string(MDL_PORT, "{\"name\":\"a\",\"name\":\"b\"}",
					       err, sizeof(err)));
	CU_ASSERT_EQUAL(mdl_obj_validate(NULL, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid object");
}

/* ------------------------------------------------------------------ */
/* Cross-object checks against an in-memory store. */

struct store {
	struct mdl_hdr *objs[16];
	size_t n;
	int fail;               /* errno to fail lookups with, 0 = work */
};

static struct mdl_hdr *store_get(void *ctx, enum mdl_type t, const char *id)
{
	struct store *s = ctx;
	size_t i;

	if (s->fail) {
		errno = s->fail;
		return NULL;
	}
	for (i = 0; i < s->n; i++)
		if (s->objs[i]->type == t && !strcmp(s->objs[i]->id, id))
			return mdl_obj_dup(s->objs[i]);
	errno = ENOENT;
	return NULL;
}

static int store_foreach(void *ctx, enum mdl_type t,
			 int (*fn)(const struct mdl_hdr *, void *), void *arg)
{
	struct store *s = ctx;
	size_t i;
	int rc;

	for (i = 0; i < s->n; i++)
		if (s->objs[i]->type == t && (rc = fn(s->objs[i], arg)))
			return rc;
	return 0;
}

static const struct { enum mdl_type t; const char *json; } store_objs[] = {
	{ MDL_NETWORK, "{\"id\":\"" NET "\",\"provider:network_type\":\"vxlan\"}" },
	{ MDL_NETWORK, "{\"id\":\"" NET2 "\",\"provider:network_type\":\"vxlan\",\"router:external\":true}" },
	{ MDL_SUBNET, "{\"id\":\"" SUB "\",\"network_id\":\"" NET "\",\"ip_version\":4,\"cidr\":\"10.0.0.0/24\"}" },
	{ MDL_SUBNET, "{\"id\":\"" SUB6 "\",\"network_id\":\"" NET "\",\"ip_version\":6,\"cidr\":\"fd00::/64\"}" },
	{ MDL_SUBNET, "{\"id\":\"" SUBX "\",\"network_id\":\"" NET2 "\",\"ip_version\":4,\"cidr\":\"10.1.0.0/24\"}" },
	{ MDL_PORT, NULL },
	{ MDL_SECURITY_GROUP, NULL },
	{ MDL_ROUTER, NULL },
};

static void store_init(struct store *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < sizeof(store_objs) / sizeof(store_objs[0]); i++) {
		const char *j = store_objs[i].json ? store_objs[i].json : full[store_objs[i].t];

		s->objs[s->n] = mdl_obj_from_string(store_objs[i].t, j, NULL, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s->objs[s->n]);
		s->n++;
	}
}

static void store_fini(struct store *s)
{
	while (s->n)
		mdl_obj_free(s->objs[--s->n]);
}

#define NEWSUB "\"id\":\"" "22222222-2222-4222-8222-2222222222aa" "\",\"gateway_ip\":null," \
	"\"allocation_pools\":[],\"host_routes\":[]"
#define NEWPORT "\"id\":\"" PRTB "\",\"mac_address\":\"fa:16:3e:00:00:02\""
#define FIX(sub, ip) "\"fixed_ips\":[{\"subnet_id\":\"" sub "\",\"ip_address\":\"" ip "\"}]"
#define NEWRTR "\"id\":\"55555555-5555-4555-8555-5555555555aa\""
#define NEWFIP "\"id\":\"66666666-6666-4666-8666-6666666666aa\""

static const struct vcase xcases[] = {
	{ MDL_SUBNET, "{" NEWSUB ",\"network_id\":\"" NOPE "\"}", NULL,
	  "network_id: network " NOPE " does not exist" },
	{ MDL_SUBNET, "{" NEWSUB ",\"cidr\":\"10.0.0.128/25\"}", NULL,
	  "cidr: 10.0.0.128/25 overlaps subnet 10.0.0.0/24 (" SUB ") in network " NET },
	{ MDL_PORT, "{" NEWPORT ",\"network_id\":\"" NOPE "\"}", NULL,
	  "network_id: network " NOPE " does not exist" },
	{ MDL_PORT, "{" NEWPORT "," FIX(NOPE, "10.0.0.7") "}", NULL,
	  "fixed_ips[0].subnet_id: subnet " NOPE " does not exist" },
	{ MDL_PORT, "{" NEWPORT "," FIX(SUBX, "10.1.0.7") "}", NULL,
	  "fixed_ips[0].subnet_id: subnet " SUBX " belongs to network " NET2 ", not " NET },
	{ MDL_PORT, "{" NEWPORT "," FIX(SUB6, "10.0.0.7") "}", NULL,
	  "fixed_ips[0].ip_address: 10.0.0.7 is not IPv6 like subnet fd00::/64 (" SUB6 ")" },
	{ MDL_PORT, "{" NEWPORT "," FIX(SUB, "10.1.0.5") "}", NULL,
	  "fixed_ips[0].ip_address 10.1.0.5 is outside subnet 10.0.0.0/24 (" SUB ")" },
	{ MDL_PORT, "{" NEWPORT "," FIX(SUB, "10.0.0.7") ",\"security_groups\":[\"" NOPE "\"]}", NULL,
	  "security_groups[0]: security_group " NOPE " does not exist" },
	{ MDL_PORT, "{\"id\":\"" PRTB "\"," FIX(SUB, "10.0.0.7") "}", NULL,
	  "mac_address: fa:16:3e:00:00:01 is already used by port " PORT " in network " NET },
	{ MDL_PORT, "{\"id\":\"" PRTB "\",\"mac_address\":\"FA:16:3E:00:00:01\"," FIX(SUB, "10.0.0.7") "}",
	  NULL, "mac_address: FA:16:3E:00:00:01 is already used by port " PORT " in network " NET },
	{ MDL_PORT, "{" NEWPORT "}", NULL,
	  "fixed_ips[0].ip_address: 10.0.0.5 is already used by port " PORT " in network " NET },
	{ MDL_ROUTER, "{" NEWRTR ",\"interfaces\":[{\"subnet_id\":\"" NOPE "\",\"ip_address\":\"10.0.0.1\"}]}",
	  NULL, "interfaces[0].subnet_id: subnet " NOPE " does not exist" },
	{ MDL_ROUTER, "{" NEWRTR ",\"interfaces\":[{\"subnet_id\":\"" SUB "\",\"port_id\":\"" NOPE "\","
	  "\"ip_address\":\"10.0.0.1\"}]}", NULL, "interfaces[0].port_id: port " NOPE " does not exist" },
	{ MDL_ROUTER, "{" NEWRTR ",\"external_gateway_info\":{\"network_id\":\"" NOPE "\"}}", NULL,
	  "external_gateway_info.network_id: network " NOPE " does not exist" },
	{ MDL_SECURITY_GROUP, "{\"id\":\"" SGB "\",\"security_group_rules\":[{\"direction\":\"ingress\","
	  "\"ethertype\":\"IPv4\",\"remote_group_id\":\"" NOPE "\"}]}", NULL,
	  "security_group_rules[0].remote_group_id: security_group " NOPE " does not exist" },
	{ MDL_FLOATING_IP, "{" NEWFIP ",\"floating_network_id\":\"" NOPE "\"}", NULL,
	  "floating_network_id: network " NOPE " does not exist" },
	{ MDL_FLOATING_IP, "{" NEWFIP ",\"port_id\":\"" NOPE "\"}", NULL,
	  "port_id: port " NOPE " does not exist" },
	{ MDL_FLOATING_IP, "{" NEWFIP ",\"router_id\":\"" NOPE "\"}", NULL,
	  "router_id: router " NOPE " does not exist" },
};

static int decode_against(enum mdl_type t, const char *patch, struct store *s,
			  char *err, size_t es)
{
	struct mdl_lookup lk = { store_get, store_foreach, s };
	json_t *j = json_loads(full[t], 0, NULL), *p = json_loads(patch, 0, NULL);
	struct mdl_hdr *o;
	int rc;

	if (!j || !p) {
		json_decref(j);
		json_decref(p);
		snprintf(err, es, "bad test json");
		return -99;
	}
	json_object_update(j, p);
	json_decref(p);
	o = mdl_obj_from_json(t, j, err, es);
	json_decref(j);
	if (!o)
		return -98;
	rc = mdl_obj_validate(o, err, es);
	if (!rc)
		rc = mdl_validate_against(o, &lk, err, es);
	mdl_obj_free(o);
	return rc;
}

static void test_xval_errors(void)
{
	struct store s;
	char err[MDL_ERR_SIZE];
	size_t i;
	int rc;

	store_init(&s);
	for (i = 0; i < sizeof(xcases) / sizeof(xcases[0]); i++) {
		const struct vcase *c = &xcases[i];

		err[0] = '\0';
		rc = decode_against(c->type, c->patch, &s, err, sizeof(err));
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_STRING_EQUAL(err, c->msg);
		if (rc != -EINVAL || strcmp(err, c->msg))
			printf("\n xcase %zu: rc %d\n   got  '%s'\n   want '%s'\n", i, rc,
			       err, c->msg);
	}
	/* a failing lookup is reported as its errno, not as a dangling reference */
	s.fail = EIO;
	CU_ASSERT_EQUAL(decode_against(MDL_PORT, "{" NEWPORT "}", &s, err, sizeof(err)), -EIO);
	store_fini(&s);
}

static void test_xval_ok(void)
{
	static const struct { enum mdl_type t; const char *patch; } ok[] = {
		{ MDL_PORT, "{}" },                     /* itself: own MAC/IP skipped */
		{ MDL_SUBNET, "{}" },                   /* its own cidr is no overlap */
		{ MDL_ROUTER, "{}" },
		{ MDL_SECURITY_GROUP, "{}" },
		{ MDL_FLOATING_IP, "{}" },
		{ MDL_NETWORK, "{}" },
		{ MDL_CHASSIS, "{}" },
		/* same MAC and IP in another network is fine */
		{ MDL_PORT, "{\"id\":\"" PRTB "\",\"network_id\":\"" NET2 "\","
		  FIX(SUBX, "10.1.0.5") ",\"security_groups\":[]}" },
		/* same cidr in another network is fine */
		{ MDL_SUBNET, "{" NEWSUB ",\"network_id\":\"" NET2 "\",\"cidr\":\"10.0.0.0/24\"}" },
		/* a group may reference itself */
		{ MDL_SECURITY_GROUP, "{\"id\":\"" SGB "\",\"security_group_rules\":[{\"direction\":"
		  "\"ingress\",\"ethertype\":\"IPv4\",\"remote_group_id\":\"" SGB "\"}]}" },
	};
	struct store s;
	char err[MDL_ERR_SIZE];
	size_t i;
	int rc;

	store_init(&s);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		err[0] = '\0';
		rc = decode_against(ok[i].t, ok[i].patch, &s, err, sizeof(err));
		CU_ASSERT_EQUAL(rc, 0);
		if (rc)
			printf("\n ok %zu: %d %s\n", i, rc, err);
	}
	store_fini(&s);
}


/* Every field of every type (and of the first element of each list) replaced
 * by every JSON kind: decode must fail cleanly or the object must validate
 * and encode without crashing (run under ASan/UBSan). */
static void sweep_object(enum mdl_type t, json_t *root, json_t *target)
{
	const char *kinds[] = { "null", "true", "-1", "4294967296", "1.5", "\"\"",
				"\"x\"", "[]", "[1]", "{}", "[{}]" };
	json_t *v, *orig;
	size_t i;
	void *iter;

	for (iter = json_object_iter(target); iter;
	     iter = json_object_iter_next(target, iter)) {
		orig = json_incref(json_object_iter_value(iter));
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			char err[MDL_ERR_SIZE];
			struct mdl_hdr *o;

			v = json_loads(kinds[i], JSON_DECODE_ANY, NULL);
			json_object_iter_set_new(target, iter, v);
			o = mdl_obj_from_json(t, root, err, sizeof(err));
			if (o) {
				char *txt;

				mdl_obj_validate(o, err, sizeof(err));
				txt = mdl_obj_to_string(o);
				CU_ASSERT_PTR_NOT_NULL(txt);
				free(txt);
				mdl_obj_free(o);
			} else {
				CU_ASSERT_TRUE(err[0] != '\0');
			}
		}
		json_object_iter_set_new(target, iter, orig);
	}
}

static void test_type_confusion_sweep(void)
{
	int t;

	for (t = 0; t < MDL_N_TYPES; t++) {
		json_t *root = json_loads(full[t], 0, NULL), *v;
		const char *key;

		CU_ASSERT_PTR_NOT_NULL_FATAL(root);
		sweep_object(t, root, root);
		json_object_foreach(root, key, v) {
			if (json_is_array(v) && json_is_object(json_array_get(v, 0)))
				sweep_object(t, root, json_array_get(v, 0));
			else if (json_is_object(v))
				sweep_object(t, root, v);
		}
		json_decref(root);
	}
}

static void test_addr(void)
{
	struct mdl_prefix a, b;
	struct mdl_ip ip, first, last;
	char buf[64], u1[MDL_ID_SIZE], u2[MDL_ID_SIZE];
	uint8_t mac[6];

	CU_ASSERT_EQUAL(mdl_prefix_parse("10.0.0.0/8", &a), 0);
	CU_ASSERT_EQUAL(mdl_prefix_parse("10.1.0.0/16", &b), 0);
	CU_ASSERT_TRUE(mdl_prefix_overlap(&a, &b));
	CU_ASSERT_TRUE(mdl_prefix_overlap(&b, &a));
	CU_ASSERT_EQUAL(mdl_prefix_parse("11.0.0.0/8", &b), 0);
	CU_ASSERT_FALSE(mdl_prefix_overlap(&a, &b));
	CU_ASSERT_EQUAL(mdl_ip_parse("10.255.255.255", &ip), 0);
	CU_ASSERT_TRUE(mdl_prefix_contains(&a, &ip));
	CU_ASSERT_EQUAL(mdl_ip_parse("fd00::1", &ip), 0);
	CU_ASSERT_FALSE(mdl_prefix_contains(&a, &ip));
	CU_ASSERT_EQUAL(mdl_prefix_parse("fd00::/63", &a), 0);
	CU_ASSERT_EQUAL(mdl_ip_parse("fd00:0:0:1:ffff::", &ip), 0);
	CU_ASSERT_TRUE(mdl_prefix_contains(&a, &ip));
	CU_ASSERT_EQUAL(mdl_ip_parse("fd00:0:0:2::", &ip), 0);
	CU_ASSERT_FALSE(mdl_prefix_contains(&a, &ip));
	mdl_prefix_last(&a, &last);
	CU_ASSERT_STRING_EQUAL(mdl_ip_format(&last, buf, sizeof(buf)),
			       "fd00::1:ffff:ffff:ffff:ffff");
	CU_ASSERT_EQUAL(mdl_prefix_parse("10.0.0.129/25", &a), 0);
	CU_ASSERT_TRUE(mdl_prefix_has_host_bits(&a));
	mdl_prefix_first(&a, &first);
	CU_ASSERT_STRING_EQUAL(mdl_ip_format(&first, buf, sizeof(buf)), "10.0.0.128");
	CU_ASSERT_EQUAL(mdl_prefix_parse("0.0.0.0/0", &a), 0);
	CU_ASSERT_FALSE(mdl_prefix_has_host_bits(&a));
	CU_ASSERT_EQUAL(mdl_ip_parse("010.0.0.1", &ip), -EINVAL);
	CU_ASSERT_EQUAL(mdl_ip_parse("", &ip), -EINVAL);
	CU_ASSERT_EQUAL(mdl_ip_parse(NULL, &ip), -EINVAL);
	CU_ASSERT_EQUAL(mdl_prefix_parse("/8", &a), -EINVAL);
	CU_ASSERT_EQUAL(mdl_prefix_parse("::/129", &a), -EINVAL);
	CU_ASSERT_EQUAL(mdl_prefix_parse("1.2.3.4/", &a), -EINVAL);
	CU_ASSERT_EQUAL(mdl_prefix_parse("1.2.3.4/-1", &a), -EINVAL);
	CU_ASSERT_EQUAL(mdl_ip_or_prefix_parse("1.2.3.4", &a), 0);
	CU_ASSERT_EQUAL(a.len, 32);
	CU_ASSERT_EQUAL(mdl_mac_parse("FA:16:3e:00:00:0A", mac), 0);
	CU_ASSERT_EQUAL(mac[0], 0xfa);
	CU_ASSERT_EQUAL(mac[5], 0x0a);
	CU_ASSERT_EQUAL(mdl_mac_parse("fa:16:3e:00:00:0g", mac), -EINVAL);
	CU_ASSERT_EQUAL(mdl_uuid_generate(u1), 0);
	CU_ASSERT_EQUAL(mdl_uuid_generate(u2), 0);
	CU_ASSERT_TRUE(mdl_uuid_valid(u1));
	CU_ASSERT_STRING_NOT_EQUAL(u1, u2);
	CU_ASSERT_EQUAL(u1[14], '4');
	CU_ASSERT_FALSE(mdl_uuid_valid(NULL));
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("model", NULL, NULL);
	if (!s ||
	    !CU_add_test(s, "codec round-trip, every type", test_roundtrip) ||
	    !CU_add_test(s, "defaults and type names", test_defaults) ||
	    !CU_add_test(s, "sg protocol name/number/null", test_protocol_forms) ||
	    !CU_add_test(s, "decode: top level", test_decode_top_level) ||
	    !CU_add_test(s, "every decode/validation error", test_validation_errors) ||
	    !CU_add_test(s, "every cross-object error", test_xval_errors) ||
	    !CU_add_test(s, "cross-object: valid objects pass", test_xval_ok) ||
	    !CU_add_test(s, "type-confusion sweep never crashes", test_type_confusion_sweep) ||
	    !CU_add_test(s, "address helpers", test_addr)) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
