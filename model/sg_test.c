/* wyvern model: security_group_rule objects, the group's `stateful` flag,
 * and the compile step to datapath ACL rules (mdl_sg.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>

#include "mdl.h"
#include "mdl_sg.h"

#define SG1 "11111111-1111-4111-8111-111111111111"
#define SG2 "22222222-2222-4222-8222-222222222222"
#define RUL "33333333-3333-4333-8333-333333333333"
#define NET "44444444-4444-4444-8444-444444444444"

static struct mdl_hdr *dec(enum mdl_type t, const char *json)
{
	char err[MDL_ERR_SIZE];
	struct mdl_hdr *o = mdl_obj_from_string(t, json, err, sizeof(err));

	if (!o)
		printf("\n decode: %s\n", err);
	return o;
}

#define RULE_JSON(x) "{\"id\":\"" RUL "\",\"security_group_id\":\"" SG1 "\"," \
	"\"direction\":\"ingress\",\"ethertype\":\"IPv4\"" x "}"

static void test_rule_object(void)
{
	static const struct { const char *json, *msg; } bad[] = {
		{ RULE_JSON(",\"port_range_min\":22,\"port_range_max\":22"),
		  "port_range_min: ports need protocol tcp, udp, sctp, dccp, udplite, icmp or icmpv6" },
		{ RULE_JSON(",\"protocol\":\"tcp\",\"port_range_min\":30,\"port_range_max\":22"),
		  "port_range_min 30 is greater than port_range_max 22" },
		{ RULE_JSON(",\"protocol\":\"tcp\",\"port_range_min\":0,\"port_range_max\":22"),
		  "port_range_min: 0 out of range 1..65535" },
		{ RULE_JSON(",\"protocol\":\"icmp\",\"port_range_min\":256"),
		  "port_range_min: ICMP type 256 out of range 0..255" },
		{ RULE_JSON(",\"protocol\":\"icmp\",\"port_range_min\":8,\"port_range_max\":300"),
		  "port_range_max: ICMP code 300 out of range 0..255" },
		{ RULE_JSON(",\"remote_ip_prefix\":\"2001:db8::/32\""),
		  "remote_ip_prefix: 2001:db8::/32 does not match ethertype IPv4" },
		{ RULE_JSON(",\"remote_ip_prefix\":\"10.0.0.0/8\",\"remote_group_id\":\"" SG2 "\""),
		  "remote_ip_prefix and remote_group_id are mutually exclusive" },
		{ RULE_JSON(",\"protocol\":\"icmpv6\""), "protocol: icmpv6 is not an IPv4 protocol" },
		{ RULE_JSON(",\"protocol\":\"bogus\""), "protocol: unknown protocol 'bogus'" },
	};
	char err[MDL_ERR_SIZE];
	struct mdl_hdr *o;

	o = dec(MDL_SECURITY_GROUP_RULE, RULE_JSON(",\"protocol\":\"tcp\",\"port_range_min\":22,"
		"\"port_range_max\":22,\"remote_ip_prefix\":\"10.0.0.0/8\",\"description\":\"ssh\""));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(mdl_obj_validate(o, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(mdl_type_name(MDL_SECURITY_GROUP_RULE), "security_group_rule");
	CU_ASSERT_EQUAL(mdl_type_from_name("security_group_rule"), MDL_SECURITY_GROUP_RULE);
	struct mdl_security_group_rule *r = mdl_hdr_to_sg_rule(o);
	CU_ASSERT_STRING_EQUAL(r->security_group_id, SG1);
	CU_ASSERT_STRING_EQUAL(r->description, "ssh");
	CU_ASSERT_EQUAL(r->rule.port_range_min, 22);
	char *s = mdl_obj_to_string(o);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"security_group_id\":\"" SG1 "\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"remote_group_id\":null"));
	free(s);
	mdl_obj_free(o);
	/* protocol "icmp" on IPv6 is accepted (Neutron converts it) */
	o = dec(MDL_SECURITY_GROUP_RULE, "{\"id\":\"" RUL "\",\"security_group_id\":\"" SG1 "\","
		"\"direction\":\"egress\",\"ethertype\":\"IPv6\",\"protocol\":\"icmp\","
		"\"port_range_min\":128,\"port_range_max\":0}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(mdl_obj_validate(o, err, sizeof(err)), 0);
	mdl_obj_free(o);
	/* security_group_id is required */
	CU_ASSERT_PTR_NULL(mdl_obj_from_string(MDL_SECURITY_GROUP_RULE, "{\"id\":\"" RUL "\","
		"\"direction\":\"ingress\",\"ethertype\":\"IPv4\"}", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "security_group_id"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = dec(MDL_SECURITY_GROUP_RULE, bad[i].json);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_EQUAL(mdl_obj_validate(o, err, sizeof(err)), -EINVAL);
		if (strcmp(err, bad[i].msg))
			printf("\n case %zu: got '%s'\n", i, err);
		CU_ASSERT_STRING_EQUAL(err, bad[i].msg);
		mdl_obj_free(o);
	}
}

static void test_stateful_flag(void)
{
	struct mdl_hdr *o = dec(MDL_SECURITY_GROUP, "{\"id\":\"" SG1 "\",\"name\":\"a\"}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_TRUE(mdl_hdr_to_sg(o)->stateful);       /* old values: stateful */
	mdl_obj_free(o);
	o = dec(MDL_SECURITY_GROUP, "{\"id\":\"" SG1 "\",\"stateful\":false}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_FALSE(mdl_hdr_to_sg(o)->stateful);
	char *s = mdl_obj_to_string(o);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"stateful\":false"));
	free(s);
	mdl_obj_free(o);
}

/* ---- mdl_validate_against with a small in-memory store ---------------------- */

static struct mdl_hdr *store[8];
static size_t n_store;

static struct mdl_hdr *st_get(void *ctx, enum mdl_type t, const char *id)
{
	(void)ctx;
	for (size_t i = 0; i < n_store; i++)
		if (store[i]->type == t && !strcmp(store[i]->id, id))
			return mdl_obj_dup(store[i]);
	errno = ENOENT;
	return NULL;
}

static int st_foreach(void *ctx, enum mdl_type t, int (*fn)(const struct mdl_hdr *, void *),
		      void *arg)
{
	(void)ctx;
	for (size_t i = 0; i < n_store; i++)
		if (store[i]->type == t) {
			int rc = fn(store[i], arg);
			if (rc)
				return rc;
		}
	return 0;
}

static void test_references(void)
{
	struct mdl_lookup lk = { st_get, st_foreach, NULL };
	char err[MDL_ERR_SIZE];

	n_store = 0;
	store[n_store++] = dec(MDL_NETWORK, "{\"id\":\"" NET "\",\"provider:network_type\":\"vxlan\"}");
	store[n_store++] = dec(MDL_SECURITY_GROUP, "{\"id\":\"" SG1 "\"}");
	store[n_store++] = dec(MDL_SECURITY_GROUP, "{\"id\":\"" SG2 "\",\"stateful\":false}");
	struct mdl_hdr *r = dec(MDL_SECURITY_GROUP_RULE, RULE_JSON(""));
	CU_ASSERT_EQUAL(mdl_validate_against(r, &lk, err, sizeof(err)), 0);
	mdl_obj_free(r);
	r = dec(MDL_SECURITY_GROUP_RULE, "{\"id\":\"" RUL "\",\"security_group_id\":\"" NET "\","
		"\"direction\":\"ingress\",\"ethertype\":\"IPv4\"}");
	CU_ASSERT_EQUAL(mdl_validate_against(r, &lk, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "security_group_id: security_group " NET " does not exist");
	mdl_obj_free(r);
	r = dec(MDL_SECURITY_GROUP_RULE, RULE_JSON(",\"remote_group_id\":\"" NET "\""));
	CU_ASSERT_EQUAL(mdl_validate_against(r, &lk, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "remote_group_id: security_group " NET " does not exist");
	mdl_obj_free(r);
	/* a port may not mix stateful and stateless groups */
	struct mdl_hdr *p = dec(MDL_PORT, "{\"id\":\"" RUL "\",\"network_id\":\"" NET "\","
		"\"mac_address\":\"fa:16:3e:00:00:01\",\"security_groups\":[\"" SG1 "\",\"" SG2 "\"]}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(mdl_validate_against(p, &lk, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "security_groups[1]: cannot mix stateful and stateless "
			       "security groups on a port");
	mdl_obj_free(p);
	for (size_t i = 0; i < n_store; i++)
		mdl_obj_free(store[i]);
	n_store = 0;
}

/* ---- compile ------------------------------------------------------------------ */

static uint32_t set_key(void *ctx, const char *gid)
{
	(void)ctx;
	return !strcmp(gid, SG1) ? 101 : !strcmp(gid, SG2) ? 102 : 0;
}

static const struct mdl_acl_rule *find_key(const struct mdl_acl_rule *v, size_t n, uint32_t key)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].key == key)
			return &v[i];
	return NULL;
}

static void test_compile_default_group(void)
{
	struct mdl_security_group_rule **dr;
	struct mdl_security_group *sg;
	struct mdl_acl_rule *v;
	size_t n_dr, n;
	bool stateful;
	char err[MDL_ERR_SIZE];

	CU_ASSERT_EQUAL_FATAL(mdl_sg_default_rules(SG1, "p1", &dr, &n_dr), 0);
	CU_ASSERT_EQUAL_FATAL(n_dr, 4);
	for (size_t i = 0; i < n_dr; i++) {
		CU_ASSERT_EQUAL(mdl_obj_validate(&dr[i]->hdr, err, sizeof(err)), 0);
		dr[i]->hdr.dp_key = 500 + (uint32_t)i;
	}
	sg = mdl_hdr_to_sg(dec(MDL_SECURITY_GROUP, "{\"id\":\"" SG1 "\",\"name\":\"default\"}"));
	struct mdl_sg_input in = { sg, (const struct mdl_security_group_rule *const *)dr, n_dr };
	CU_ASSERT_EQUAL_FATAL(mdl_sg_compile(&in, 1, set_key, NULL, 0, &v, &n, &stateful,
					     err, sizeof(err)), 0);
	CU_ASSERT_TRUE(stateful);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	unsigned eg = 0, ing = 0;
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_TRUE(v[i].any_proto);
		CU_ASSERT_EQUAL(v[i].remote.plen, 0);
		CU_ASSERT(v[i].src_min == 0 && v[i].src_max == 65535);
		CU_ASSERT(v[i].dst_min == 0 && v[i].dst_max == 65535);
		CU_ASSERT(v[i].key >= 500 && v[i].key < 504);
		if (v[i].dir == MDL_ACL_EGRESS) {
			eg |= 1u << (v[i].family == 6);
			CU_ASSERT_EQUAL(v[i].remote_set, 0);
		} else {
			ing |= 1u << (v[i].family == 6);
			CU_ASSERT_EQUAL(v[i].remote_set, 101);   /* from the same group */
		}
		for (size_t j = 0; j < i; j++)
			CU_ASSERT_NOT_EQUAL(v[i].priority, v[j].priority);
	}
	CU_ASSERT_EQUAL(eg, 3);
	CU_ASSERT_EQUAL(ing, 3);
	free(v);
	/* with the base rules: DHCP and ND/MLD below every group rule */
	CU_ASSERT_EQUAL_FATAL(mdl_sg_compile(&in, 1, set_key, NULL, MDL_SG_BASE, &v, &n,
					     &stateful, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 4 + 15);
	const struct mdl_acl_rule *dhcp = find_key(v, n, MDL_SG_BASE_KEY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dhcp);
	CU_ASSERT(dhcp->dir == MDL_ACL_EGRESS && dhcp->proto == 17 && dhcp->src_min == 68 &&
		  dhcp->dst_min == 67 && dhcp->dst_max == 67 && dhcp->priority == 1);
	free(v);
	for (size_t i = 0; i < n_dr; i++)
		mdl_obj_free(&dr[i]->hdr);
	free(dr);
	mdl_obj_free(&sg->hdr);
}

static void test_compile_rules(void)
{
	struct mdl_security_group *a, *b;
	struct mdl_acl_rule *v, *w;
	size_t n, m;
	bool stateful;
	char err[MDL_ERR_SIZE];

	a = mdl_hdr_to_sg(dec(MDL_SECURITY_GROUP, "{\"id\":\"" SG1 "\",\"security_group_rules\":["
		"{\"id\":\"" RUL "\",\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"protocol\":\"tcp\","
		"\"port_range_min\":22,\"port_range_max\":25,\"remote_ip_prefix\":\"10.0.0.0/8\"},"
		"{\"direction\":\"ingress\",\"ethertype\":\"IPv4\",\"protocol\":\"icmp\",\"port_range_min\":8},"
		"{\"direction\":\"ingress\",\"ethertype\":\"IPv6\",\"protocol\":\"icmp\","
		"\"port_range_min\":128,\"port_range_max\":0},"
		"{\"direction\":\"egress\",\"ethertype\":\"IPv6\",\"protocol\":0},"
		"{\"direction\":\"egress\",\"ethertype\":\"IPv4\",\"protocol\":\"17\",\"remote_group_id\":\"" SG2 "\"},"
		"{\"direction\":\"egress\",\"ethertype\":\"IPv4\",\"remote_group_id\":\"" NET "\"}]}"));
	b = mdl_hdr_to_sg(dec(MDL_SECURITY_GROUP, "{\"id\":\"" SG2 "\",\"security_group_rules\":["
		"{\"direction\":\"egress\",\"ethertype\":\"IPv6\",\"protocol\":\"udp\","
		"\"port_range_min\":53,\"port_range_max\":53}]}"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	struct mdl_sg_input ab[2] = { { a, NULL, 0 }, { b, NULL, 0 } };
	struct mdl_sg_input ba[2] = { { b, NULL, 0 }, { a, NULL, 0 } };
	CU_ASSERT_EQUAL_FATAL(mdl_sg_compile(ab, 2, set_key, NULL, 0, &v, &n, &stateful,
					     err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(n, 6);    /* the rule naming an unknown group is left out */
	/* tcp 22-25 from 10/8: destination ports, any source port */
	CU_ASSERT(v[0].dir == MDL_ACL_INGRESS && v[0].family == 4 && v[0].proto == 6 &&
		  !v[0].any_proto);
	CU_ASSERT(v[0].dst_min == 22 && v[0].dst_max == 25 && v[0].src_min == 0 &&
		  v[0].src_max == 65535);
	CU_ASSERT(v[0].remote.family == 4 && v[0].remote.plen == 8 && v[0].remote.addr[0] == 10);
	/* icmp type 8, any code */
	CU_ASSERT(v[1].proto == 1 && v[1].src_min == 8 && v[1].src_max == 8 &&
		  v[1].dst_min == 0 && v[1].dst_max == 65535);
	/* "icmp" on IPv6 = ICMPv6, type 128 code 0 */
	CU_ASSERT(v[2].family == 6 && v[2].proto == 58 && v[2].src_min == 128 &&
		  v[2].dst_min == 0 && v[2].dst_max == 0);
	CU_ASSERT(v[3].any_proto && v[3].family == 6);      /* protocol 0 = any */
	CU_ASSERT(v[4].proto == 17 && v[4].remote_set == 102);
	CU_ASSERT(v[5].family == 6 && v[5].proto == 17 && v[5].dst_min == 53);  /* group b */
	CU_ASSERT(v[0].priority > v[1].priority && v[4].priority > v[5].priority);
	/* the same groups in another order: an identical list */
	CU_ASSERT_EQUAL_FATAL(mdl_sg_compile(ba, 2, set_key, NULL, 0, &w, &m, &stateful,
					     err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(m, n);
	CU_ASSERT_EQUAL(memcmp(v, w, n * sizeof(*v)), 0);
	CU_ASSERT_NOT_EQUAL(v[0].key, v[1].key);
	free(v);
	free(w);
	/* stateless + stateful: refused */
	b->stateful = false;
	CU_ASSERT_EQUAL(mdl_sg_compile(ab, 2, set_key, NULL, 0, &v, &n, &stateful,
				       err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot mix stateful and stateless"));
	CU_ASSERT_EQUAL(mdl_sg_compile(&ab[1], 1, set_key, NULL, 0, &v, &n, &stateful,
				       err, sizeof(err)), 0);
	CU_ASSERT_FALSE(stateful);
	free(v);
	/* an invalid rule: refused with its path */
	snprintf(a->rules[0].ethertype, sizeof(a->rules[0].ethertype), "IPv6");
	CU_ASSERT_EQUAL(mdl_sg_compile(ab, 1, set_key, NULL, 0, &v, &n, &stateful,
				       err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "security group " SG1 ": security_group_rules[0]."
			       "remote_ip_prefix: 10.0.0.0/8 does not match ethertype IPv6");
	/* no groups: nothing allowed, stateful */
	CU_ASSERT_EQUAL(mdl_sg_compile(NULL, 0, set_key, NULL, 0, &v, &n, &stateful,
				       err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_TRUE(stateful);
	free(v);
	mdl_obj_free(&a->hdr);
	mdl_obj_free(&b->hdr);
}

static void test_members(void)
{
	struct mdl_port *p[3];
	struct mdl_acl_addr *v;
	size_t n;

	p[0] = mdl_hdr_to_port(dec(MDL_PORT, "{\"id\":\"" RUL "\",\"network_id\":\"" NET "\","
		"\"security_groups\":[\"" SG2 "\",\"" SG1 "\"],\"fixed_ips\":["
		"{\"subnet_id\":\"" NET "\",\"ip_address\":\"10.0.0.9\"},"
		"{\"subnet_id\":\"" NET "\",\"ip_address\":\"2001:db8::9\"}],"
		"\"allowed_address_pairs\":[{\"ip_address\":\"10.1.0.0/24\"},{\"ip_address\":\"10.0.0.9\"}]}"));
	p[1] = mdl_hdr_to_port(dec(MDL_PORT, "{\"id\":\"" RUL "\",\"network_id\":\"" NET "\","
		"\"security_groups\":[\"" SG2 "\"],\"fixed_ips\":["
		"{\"subnet_id\":\"" NET "\",\"ip_address\":\"10.0.0.7\"}]}"));
	p[2] = mdl_hdr_to_port(dec(MDL_PORT, "{\"id\":\"" RUL "\",\"network_id\":\"" NET "\","
		"\"port_security_enabled\":false,\"fixed_ips\":["
		"{\"subnet_id\":\"" NET "\",\"ip_address\":\"10.0.0.8\"}]}"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p[1]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p[2]);
	CU_ASSERT_EQUAL_FATAL(mdl_sg_members((const struct mdl_port *const *)p, 3, SG1, &v, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);   /* 10.1.0.0/24, 10.0.0.9 (once), 2001:db8::9 */
	CU_ASSERT(v[0].family == 4 && v[0].plen == 24 && v[0].addr[1] == 1);
	CU_ASSERT(v[1].family == 4 && v[1].plen == 32 && v[1].addr[3] == 9);
	CU_ASSERT(v[2].family == 6 && v[2].plen == 128 && v[2].addr[15] == 9);
	free(v);
	CU_ASSERT_EQUAL(mdl_sg_members((const struct mdl_port *const *)p, 3, SG2, &v, &n), 0);
	CU_ASSERT_EQUAL(n, 4);
	free(v);
	for (int i = 0; i < 3; i++)
		mdl_obj_free(&p[i]->hdr);
}

/* mdl_sg_rule_same: Neutron's "rule already exists" comparison. */
static struct mdl_sg_rule mk(const char *dir, const char *et, const char *proto, int64_t lo,
			     int64_t hi, const char *pfx, const char *grp)
{
	struct mdl_sg_rule r;

	memset(&r, 0, sizeof(r));
	snprintf(r.direction, sizeof(r.direction), "%s", dir);
	snprintf(r.ethertype, sizeof(r.ethertype), "%s", et);
	snprintf(r.protocol, sizeof(r.protocol), "%s", proto);
	r.port_range_min = lo;
	r.port_range_max = hi;
	snprintf(r.remote_ip_prefix, sizeof(r.remote_ip_prefix), "%s", pfx);
	snprintf(r.remote_group_id, sizeof(r.remote_group_id), "%s", grp);
	return r;
}

static void test_rule_same(void)
{
	struct mdl_sg_rule a = mk("ingress", "IPv4", "tcp", 22, 22, "10.0.0.0/8", "");
	struct mdl_sg_rule b = mk("ingress", "IPv4", "6", 22, 22, "10.0.0.0/8", "");

	CU_ASSERT_TRUE(mdl_sg_rule_same(&a, &b));          /* name = number */
	b = mk("ingress", "IPv4", "tcp", 22, 23, "10.0.0.0/8", "");
	CU_ASSERT_FALSE(mdl_sg_rule_same(&a, &b));
	b = mk("egress", "IPv4", "tcp", 22, 22, "10.0.0.0/8", "");
	CU_ASSERT_FALSE(mdl_sg_rule_same(&a, &b));
	b = mk("ingress", "IPv4", "tcp", 22, 22, "10.0.0.0/16", "");
	CU_ASSERT_FALSE(mdl_sg_rule_same(&a, &b));
	a = mk("ingress", "IPv4", "", -1, -1, "", "");
	b = mk("ingress", "IPv4", "any", -1, -1, "", "");
	CU_ASSERT_TRUE(mdl_sg_rule_same(&a, &b));          /* null = any = 0 */
	b = mk("ingress", "IPv4", "0", -1, -1, "", "");
	CU_ASSERT_TRUE(mdl_sg_rule_same(&a, &b));
	a = mk("ingress", "IPv6", "icmp", 128, -1, "fd00::/8", "");
	b = mk("ingress", "IPv6", "icmpv6", 128, -1, "fd00:0::/8", "");
	CU_ASSERT_TRUE(mdl_sg_rule_same(&a, &b));          /* icmp on IPv6 = icmpv6 */
	a = mk("ingress", "IPv4", "", -1, -1, "", "00000000-0000-4000-8000-000000000001");
	b = mk("ingress", "IPv4", "", -1, -1, "", "00000000-0000-4000-8000-000000000002");
	CU_ASSERT_FALSE(mdl_sg_rule_same(&a, &b));
	/* the text form (a claim key's last part): the network, no '/' */
	char fa[MDL_SG_FP_SIZE], fb[MDL_SG_FP_SIZE];
	a = mk("ingress", "IPv4", "tcp", 22, 22, "10.1.2.3/16", "");
	b = mk("ingress", "IPv4", "6", 22, 22, "10.1.0.0/16", "");
	CU_ASSERT_EQUAL(mdl_sg_rule_fingerprint(&a, fa, sizeof(fa)), 0);
	CU_ASSERT_EQUAL(mdl_sg_rule_fingerprint(&b, fb, sizeof(fb)), 0);
	CU_ASSERT_STRING_EQUAL(fa, "ingress,IPv4,6,22,22,10.1.0.0_16,-");
	CU_ASSERT_STRING_EQUAL(fa, fb);
	CU_ASSERT_TRUE(mdl_sg_rule_same(&a, &b));
	a = mk("ingress", "IPv4", "", -1, -1, "not/a/prefix", "");
	CU_ASSERT_EQUAL(mdl_sg_rule_fingerprint(&a, fa, sizeof(fa)), 0);
	CU_ASSERT_PTR_NULL(strchr(fa, '/'));
	CU_ASSERT_EQUAL(mdl_sg_rule_fingerprint(&a, fa, 8), -ENAMETOOLONG);
}

int main(void)
{
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("sg", NULL, NULL);
	CU_add_test(s, "security_group_rule object", test_rule_object);
	CU_add_test(s, "stateful flag", test_stateful_flag);
	CU_add_test(s, "references and stateful mix", test_references);
	CU_add_test(s, "compile: default group", test_compile_default_group);
	CU_add_test(s, "compile: rules", test_compile_rules);
	CU_add_test(s, "remote group members", test_members);
	CU_add_test(s, "rule equality", test_rule_same);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
