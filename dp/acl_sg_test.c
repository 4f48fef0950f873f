/* SPDX-License-Identifier: BSD-3-Clause
 * dp/acl_sg_test.c — Neutron semantics end to end: random security groups
 * (Neutron rule text: protocol names and numbers, port ranges, ICMP type in
 * port_range_min and code in port_range_max, prefixes with host bits, remote
 * groups) -> mdl_sg_compile (model/) -> the dp ACL table, against a
 * reference interpreter written from Neutron's documentation, not from the
 * compile code.  The only dp test that links model/: it checks the seam the
 * controller will use (struct mdl_acl_rule copied into struct dp_acl_rule).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>

#include "acl.h"
#include "mdl.h"
#include "mdl_sg.h"
#include "test_main.h"

/* the controller may copy the compile output as is */
#define SAME(f) static_assert(offsetof(struct mdl_acl_rule, f) == offsetof(struct dp_acl_rule, f), #f)
SAME(key); SAME(priority); SAME(dir); SAME(family); SAME(proto); SAME(any_proto);
SAME(src_min); SAME(src_max); SAME(dst_min); SAME(dst_max); SAME(remote); SAME(remote_set);
static_assert(sizeof(struct mdl_acl_rule) == sizeof(struct dp_acl_rule), "size");
static_assert(sizeof(struct mdl_acl_addr) == sizeof(struct dp_ip), "addr size");
static_assert(MDL_SG_PRIO_TOP == DP_ACL_MAX_PRIORITY, "priority range");

#define GA "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define GB "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"

static uint64_t rng = 0x1234567887654321ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

/* ---- remote groups: member addresses ------------------------------------------ */

struct members {
	unsigned n;
	struct dp_ip a[8];
};
static struct members g_mem[2];   /* GA, GB */

static uint32_t set_key(void *ctx, const char *gid)
{
	(void)ctx;
	return !strcmp(gid, GA) ? 101 : !strcmp(gid, GB) ? 102 : 0;
}

static void rand_addr(unsigned fam, uint8_t *a)
{
	memset(a, 0, 16);
	if (fam == 4) {
		a[0] = 10; a[2] = (uint8_t)rnd(4); a[3] = (uint8_t)rnd(8);
	} else {
		a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8;
		a[9] = (uint8_t)rnd(4); a[15] = (uint8_t)rnd(8);
	}
}

/* ---- reference: Neutron's rule semantics, from the API documentation ------------ */

static int proto_of(const char *p, bool v6)
{
	static const struct { const char *n; int v; } t[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 }, { "sctp", 132 },
		{ "gre", 47 }, { "any", -1 },
	};
	int v = -2;
	if (!*p)
		v = -1;
	else if (*p >= '0' && *p <= '9')
		v = atoi(p) == 0 ? -1 : atoi(p);
	for (size_t i = 0; v == -2 && i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(p, t[i].n))
			v = t[i].v;
	return v == 1 && v6 ? 58 : v;   /* legacy: "icmp" on an IPv6 rule is ICMPv6 */
}

static bool ref_rule(const struct mdl_sg_rule *r, unsigned dir, const struct dp_flow_key *k)
{
	bool v6 = k->eth_type == htons(0x86dd);
	int proto = proto_of(r->protocol, !strcmp(r->ethertype, "IPv6"));
	const uint8_t *remote = dir == DP_ACL_INGRESS ? k->ip_src : k->ip_dst;
	unsigned fam = v6 ? 6 : 4;

	if (strcmp(r->direction, dir == DP_ACL_INGRESS ? "ingress" : "egress") ||
	    strcmp(r->ethertype, v6 ? "IPv6" : "IPv4"))
		return false;
	if (proto >= 0 && proto != k->ip_proto)
		return false;
	if (proto == 1 || proto == 58) {            /* type = min, code = max */
		if (r->port_range_min >= 0 && ntohs(k->tp_src) != r->port_range_min)
			return false;
		if (r->port_range_max >= 0 && ntohs(k->tp_dst) != r->port_range_max)
			return false;
	} else if (proto >= 0 && r->port_range_min >= 0) {   /* destination port range */
		if (ntohs(k->tp_dst) < r->port_range_min || ntohs(k->tp_dst) > r->port_range_max)
			return false;
	}
	if (r->remote_ip_prefix[0]) {
		struct dp_ip p;
		if (dp_ip_parse(r->remote_ip_prefix, &p) < 0)
			return false;
		return dp_ip_in_prefix(&p, (uint8_t)fam, remote);
	}
	if (r->remote_group_id[0]) {
		const struct members *m = &g_mem[strcmp(r->remote_group_id, GA) ? 1 : 0];
		for (unsigned i = 0; i < m->n; i++)
			if (dp_ip_in_prefix(&m->a[i], (uint8_t)fam, remote))
				return true;
		return false;
	}
	return true;
}

static bool ref_allow(struct mdl_security_group *const *g, unsigned ng, unsigned dir,
		      const struct dp_flow_key *k)
{
	if (k->eth_type != htons(0x0800) && k->eth_type != htons(0x86dd))
		return k->eth_type == htons(0x0806);
	for (unsigned i = 0; i < ng; i++)
		for (size_t j = 0; j < g[i]->n_rules; j++)
			if (ref_rule(&g[i]->rules[j], dir, k))
				return true;
	return false;
}

/* ---- random Neutron rules -------------------------------------------------------- */

static const uint16_t ports[] = { 1, 22, 53, 80, 443, 1000, 2000, 65535 };

static void rand_rule(struct mdl_sg_rule *r)
{
	static const char *const p4[] = { "", "any", "0", "tcp", "udp", "6", "17", "icmp", "1",
					  "sctp", "gre", "47" };
	static const char *const p6[] = { "", "any", "tcp", "udp", "icmp", "icmpv6", "58",
					  "132", "gre" };
	static const int types[] = { 0, 3, 8, 128, 135 };
	bool v6 = rnd(2);
	memset(r, 0, sizeof(*r));
	strcpy(r->direction, rnd(2) ? "ingress" : "egress");
	strcpy(r->ethertype, v6 ? "IPv6" : "IPv4");
	strcpy(r->protocol, v6 ? p6[rnd(RTE_DIM(p6))] : p4[rnd(RTE_DIM(p4))]);
	r->port_range_min = r->port_range_max = -1;
	int proto = proto_of(r->protocol, v6);
	if ((proto == 6 || proto == 17 || proto == 132) && rnd(3)) {
		uint16_t a = ports[rnd(RTE_DIM(ports))], b = ports[rnd(RTE_DIM(ports))];
		r->port_range_min = a < b ? a : b;
		r->port_range_max = a < b ? b : a;
	} else if ((proto == 1 || proto == 58) && rnd(3)) {
		r->port_range_min = types[rnd(RTE_DIM(types))];
		if (rnd(2))
			r->port_range_max = (int)rnd(3);
	}
	switch (rnd(3)) {
	case 0: {
		uint8_t a[16];
		char s[64];
		unsigned plen = v6 ? 64 + rnd(65) : 16 + rnd(17);
		rand_addr(v6 ? 6 : 4, a);
		if (rnd(2))
			a[v6 ? 15 : 3] ^= 1;   /* host bits: Neutron accepts and ignores them */
		inet_ntop(v6 ? AF_INET6 : AF_INET, a, s, sizeof(s));
		snprintf(r->remote_ip_prefix, sizeof(r->remote_ip_prefix), "%s/%u", s, plen);
		break;
	}
	case 1:
		strcpy(r->remote_group_id, rnd(2) ? GA : GB);
		break;
	default:
		break;
	}
}

static void rand_key(struct dp_flow_key *k)
{
	static const uint8_t protos[] = { 6, 17, 1, 58, 132, 47, 50 };
	unsigned fam = rnd(2) ? 6 : 4;
	dp_key_zero(k);
	k->eth_type = htons(rnd(30) == 0 ? 0x0806 : fam == 4 ? 0x0800 : 0x86dd);
	k->ip_proto = protos[rnd(RTE_DIM(protos))];
	rand_addr(fam, k->ip_src);
	rand_addr(fam, k->ip_dst);
	if (k->ip_proto == 1 || k->ip_proto == 58) {
		static const uint16_t t[] = { 0, 3, 8, 128, 135, 11 };
		k->tp_src = htons(t[rnd(RTE_DIM(t))]);
		k->tp_dst = htons((uint16_t)rnd(4));
	} else {
		k->tp_src = htons(ports[rnd(RTE_DIM(ports))]);
		k->tp_dst = htons(rnd(4) ? ports[rnd(RTE_DIM(ports))] : (uint16_t)rnd(65536));
	}
}

static struct mdl_security_group *rand_group(const char *id)
{
	struct mdl_security_group *g = mdl_hdr_to_sg(mdl_obj_alloc(MDL_SECURITY_GROUP));
	char err[MDL_ERR_SIZE];
	snprintf(g->hdr.id, sizeof(g->hdr.id), "%s", id);
	g->n_rules = 1 + rnd(8);
	g->rules = calloc(g->n_rules, sizeof(*g->rules));
	for (size_t i = 0; i < g->n_rules; i++)
		rand_rule(&g->rules[i]);
	if (mdl_obj_validate(&g->hdr, err, sizeof(err)) != 0) {
		printf("\n generated an invalid group: %s\n", err);
		CU_FAIL("generator");
	}
	return g;
}

static void test_neutron_end_to_end(void)
{
	struct dp_acl *a = dp_acl_create("aclsg", NULL, NULL, NULL);
	unsigned cases = 0, allowed = 0;
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	for (unsigned iter = 0; iter < 250; iter++) {
		struct mdl_security_group *g[2];
		unsigned ng = 1 + rnd(2);
		g[0] = rand_group(GA);
		g[1] = rand_group(GB);
		for (unsigned s = 0; s < 2; s++) {
			g_mem[s].n = rnd(5);
			for (unsigned i = 0; i < g_mem[s].n; i++) {
				unsigned fam = rnd(2) ? 6 : 4;
				memset(&g_mem[s].a[i], 0, sizeof(g_mem[s].a[i]));
				g_mem[s].a[i].family = (uint8_t)fam;
				g_mem[s].a[i].plen = fam == 4 ? 32 : 128;
				rand_addr(fam, g_mem[s].a[i].addr);
			}
			CU_ASSERT_EQUAL_FATAL(dp_acl_set_put(a, 101 + s, g_mem[s].a, g_mem[s].n), 0);
		}
		struct mdl_sg_input in[2] = { { g[0], NULL, 0 }, { g[1], NULL, 0 } };
		struct mdl_acl_rule *rules;
		size_t n;
		bool stateful;
		char err[MDL_ERR_SIZE];
		CU_ASSERT_EQUAL_FATAL(mdl_sg_compile(in, ng, set_key, NULL, 0, &rules, &n,
						     &stateful, err, sizeof(err)), 0);
		struct dp_acl_port_cfg cfg = { .stateful = stateful, .n_rules = (uint32_t)n,
					       .rules = (const struct dp_acl_rule *)rules };
		CU_ASSERT_EQUAL_FATAL(dp_acl_port_put(a, 1, &cfg), 0);
		for (unsigned j = 0; j < 60; j++) {
			struct dp_flow_key k, m;
			struct dp_acl_result res;
			unsigned dir = rnd(2);
			rand_key(&k);
			dp_key_zero(&m);
			CU_ASSERT_EQUAL(dp_acl_lookup(a, 1, dir, &k, &m, &res), 1);
			bool want = ref_allow(g, ng, dir, &k);
			if (res.allow != want) {
				CU_FAIL("dp ACL disagrees with the Neutron reference");
				break;
			}
			cases++;
			allowed += want;
		}
		free(rules);
		mdl_obj_free(&g[0]->hdr);
		mdl_obj_free(&g[1]->hdr);
	}
	printf("\n    %u cases, %u allowed ", cases, allowed);
	CU_ASSERT(allowed > cases / 10 && allowed < cases * 9 / 10);
	dp_acl_destroy(a);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "dp_acl_sg_test", (char *)NULL) < 0)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("acl_sg", NULL, NULL);
	CU_add_test(s, "neutron_rules_end_to_end", test_neutron_end_to_end);
	return t_run_all();
}
