/* SPDX-License-Identifier: BSD-3-Clause
 * dp/acl_test.c — the security-group ACL table (acl.h) against a plain
 * reference interpreter of the same rules: random rule sets and packets
 * (IPv4 and IPv6, ranges, ICMP type/code, prefixes, address sets), the
 * megaflow mask property, shared rule sets and targeted rebuilds on address
 * set changes, and an RCU swap under a reader thread.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "acl.h"
#include "megaflow.h"
#include "test_main.h"

/* ---- tag recorder ---------------------------------------------------------- */

static uint64_t g_tags[4096];
static unsigned g_ntags;

static void rec_tags(void *arg, const uint64_t *tags, unsigned n)
{
	(void)arg;
	for (unsigned i = 0; i < n && g_ntags < RTE_DIM(g_tags); i++)
		g_tags[g_ntags++] = tags[i];
}

static bool saw_tag(uint64_t t)
{
	for (unsigned i = 0; i < g_ntags; i++)
		if (g_tags[i] == t)
			return true;
	return false;
}

/* ---- random numbers (fixed seed) ---------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

/* ---- reference interpreter --------------------------------------------------- */

#define MAX_SETS 4
struct ref_set {
	uint32_t n;
	struct dp_ip a[16];
};
static struct ref_set g_sets[MAX_SETS + 1];   /* index = set key */

static bool in_prefix(const struct dp_ip *p, unsigned fam, const uint8_t *addr)
{
	return p->plen == 0 ? p->family == fam : dp_ip_in_prefix(p, (uint8_t)fam, addr);
}

static bool ref_match(const struct dp_acl_rule *r, unsigned dir, const struct dp_flow_key *k)
{
	unsigned fam = k->eth_type == htons(0x0800) ? 4 : k->eth_type == htons(0x86dd) ? 6 : 0;
	uint16_t sp = ntohs(k->tp_src), dport = ntohs(k->tp_dst);
	const uint8_t *remote = dir == DP_ACL_INGRESS ? k->ip_src : k->ip_dst;

	if (r->dir != dir || r->family != fam)
		return false;
	if (!r->any_proto && r->proto != k->ip_proto)
		return false;
	if (sp < r->src_min || sp > r->src_max || dport < r->dst_min || dport > r->dst_max)
		return false;
	if (r->remote_set) {
		const struct ref_set *s = &g_sets[r->remote_set];
		for (uint32_t i = 0; i < s->n; i++)
			if (in_prefix(&s->a[i], fam, remote))
				return true;
		return false;
	}
	return r->remote.plen == 0 || dp_ip_in_prefix(&r->remote, (uint8_t)fam, remote);
}

/* allow?, deciding key in *rk (highest priority). */
static bool ref_decide(const struct dp_acl_rule *rules, unsigned n, unsigned dir,
		       const struct dp_flow_key *k, uint32_t *rk)
{
	const struct dp_acl_rule *best = NULL;
	*rk = 0;
	if (k->eth_type != htons(0x0800) && k->eth_type != htons(0x86dd))
		return k->eth_type == htons(0x0806);
	for (unsigned i = 0; i < n; i++)
		if (ref_match(&rules[i], dir, k) && (best == NULL || rules[i].priority > best->priority))
			best = &rules[i];
	if (best)
		*rk = best->key;
	return best != NULL;
}

/* ---- generators ------------------------------------------------------------- */

static const uint16_t port_pool[] = { 0, 1, 21, 22, 23, 53, 79, 80, 81, 443, 1000, 1500,
				      2000, 65535 };
static const uint8_t proto_pool[] = { 6, 17, 1, 58, 132, 47 };

static void rand_addr(unsigned fam, uint8_t *a)
{
	memset(a, 0, 16);
	if (fam == 4) {
		a[0] = 10;
		a[1] = (uint8_t)rnd(2);
		a[2] = (uint8_t)rnd(4);
		a[3] = (uint8_t)rnd(8);
	} else {
		a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8;
		a[4] = (uint8_t)rnd(2);
		a[9] = (uint8_t)rnd(4);
		a[15] = (uint8_t)rnd(8);
	}
}

static void rand_prefix(unsigned fam, struct dp_ip *p)
{
	static const uint8_t l4[] = { 8, 15, 16, 23, 24, 29, 30, 32 };
	static const uint8_t l6[] = { 32, 38, 40, 72, 77, 96, 120, 125, 128 };
	memset(p, 0, sizeof(*p));
	p->family = (uint8_t)fam;
	rand_addr(fam, p->addr);
	p->plen = fam == 4 ? l4[rnd(RTE_DIM(l4))] : l6[rnd(RTE_DIM(l6))];
}

static void rand_range(uint16_t *lo, uint16_t *hi)
{
	uint16_t a = port_pool[rnd(RTE_DIM(port_pool))], b = port_pool[rnd(RTE_DIM(port_pool))];
	switch (rnd(3)) {
	case 0: *lo = 0; *hi = UINT16_MAX; break;
	case 1: *lo = *hi = a; break;
	default: *lo = a < b ? a : b; *hi = a < b ? b : a; break;
	}
}

static void rand_rule(struct dp_acl_rule *r, uint32_t idx)
{
	memset(r, 0, sizeof(*r));
	r->key = 1000 + idx;
	r->priority = 1 + idx;             /* distinct */
	r->dir = (uint8_t)rnd(2);
	r->family = rnd(2) ? 6 : 4;
	r->any_proto = rnd(4) == 0;
	r->proto = r->any_proto ? 0 : proto_pool[rnd(RTE_DIM(proto_pool))];
	r->src_max = r->dst_max = UINT16_MAX;
	if (!r->any_proto && (r->proto == 1 || r->proto == 58)) {
		if (rnd(2)) {                   /* ICMP type in tp_src, code in tp_dst */
			r->src_min = r->src_max = (uint16_t)(rnd(3) * 4);
			if (rnd(2))
				r->dst_min = r->dst_max = (uint16_t)rnd(3);
		}
	} else if (!r->any_proto) {
		rand_range(&r->dst_min, &r->dst_max);
		if (rnd(5) == 0)
			rand_range(&r->src_min, &r->src_max);
	}
	switch (rnd(3)) {
	case 0: break;                     /* any remote */
	case 1: rand_prefix(r->family, &r->remote); break;
	default: r->remote_set = 1 + rnd(MAX_SETS); break;
	}
}

static void rand_key(struct dp_flow_key *k)
{
	unsigned fam = rnd(2) ? 6 : 4;
	uint8_t proto = rnd(8) == 0 ? (uint8_t)rnd(256) : proto_pool[rnd(RTE_DIM(proto_pool))];
	dp_key_zero(k);
	for (unsigned i = 0; i < 6; i++)
		k->eth_src[i] = (uint8_t)rnd(256);
	k->in_port = (uint16_t)rnd(4);
	unsigned e = rnd(40);
	k->eth_type = htons(e == 0 ? 0x0806 : e == 1 ? 0x88cc : fam == 4 ? 0x0800 : 0x86dd);
	k->ip_proto = proto;
	k->ip_ttl = (uint8_t)rnd(256);
	rand_addr(fam, k->ip_src);
	rand_addr(fam, k->ip_dst);
	if (proto == 1 || proto == 58) {
		k->tp_src = htons((uint16_t)(rnd(3) * 4 + (rnd(4) == 0)));
		k->tp_dst = htons((uint16_t)rnd(4));
	} else {
		k->tp_src = htons(port_pool[rnd(RTE_DIM(port_pool))]);
		k->tp_dst = htons(rnd(6) == 0 ? (uint16_t)rnd(65536) :
					       port_pool[rnd(RTE_DIM(port_pool))]);
	}
}

static void rand_sets(struct dp_acl *a)
{
	for (uint32_t s = 1; s <= MAX_SETS; s++) {
		struct ref_set *rs = &g_sets[s];
		rs->n = rnd(6);
		for (uint32_t i = 0; i < rs->n; i++) {
			unsigned fam = rnd(2) ? 6 : 4;
			if (rnd(4) == 0) {
				rand_prefix(fam, &rs->a[i]);   /* an allowed-address-pair prefix */
			} else {
				memset(&rs->a[i], 0, sizeof(rs->a[i]));
				rs->a[i].family = (uint8_t)fam;
				rs->a[i].plen = fam == 4 ? 32 : 128;
				rand_addr(fam, rs->a[i].addr);
			}
		}
		CU_ASSERT_EQUAL_FATAL(dp_acl_set_put(a, s, rs->a, rs->n), 0);
	}
}

/* ---- tests ----------------------------------------------------------------------- */

static struct dp_acl_rule mk_rule(uint32_t key, unsigned dir, unsigned fam, int proto,
				  uint16_t dlo, uint16_t dhi, const char *remote)
{
	struct dp_acl_rule r = { .key = key, .priority = key, .dir = (uint8_t)dir,
				 .family = (uint8_t)fam, .src_max = UINT16_MAX,
				 .dst_min = dlo, .dst_max = dhi };
	r.any_proto = proto < 0;
	r.proto = proto < 0 ? 0 : (uint8_t)proto;
	if (remote)
		CU_ASSERT_EQUAL(dp_ip_parse(remote, &r.remote), 0);
	return r;
}

static void key4(struct dp_flow_key *k, uint8_t proto, const char *src, const char *dst,
		 uint16_t sp, uint16_t dport)
{
	dp_key_zero(k);
	k->eth_type = htons(0x0800);
	k->ip_proto = proto;
	inet_pton(AF_INET, src, k->ip_src);
	inet_pton(AF_INET, dst, k->ip_dst);
	k->tp_src = htons(sp);
	k->tp_dst = htons(dport);
}

static void test_basic(void)
{
	struct dp_acl *a = dp_acl_create("aclb", NULL, rec_tags, NULL);
	struct dp_acl_rule rules[] = {
		mk_rule(7, DP_ACL_INGRESS, 4, 6, 22, 22, "10.0.0.0/8"),
		mk_rule(8, DP_ACL_EGRESS, 4, -1, 0, UINT16_MAX, NULL),
	};
	struct dp_acl_port_cfg cfg = { .stateful = true, .n_rules = 2, .rules = rules };
	struct dp_flow_key k, m;
	struct dp_acl_result res;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	/* no ACL: allowed, tagged with the port, mask untouched */
	key4(&k, 6, "10.1.2.3", "192.168.0.5", 40000, 22);
	dp_key_zero(&m);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 5, DP_ACL_INGRESS, &k, &m, &res), 0);
	CU_ASSERT(res.allow);
	CU_ASSERT_EQUAL(res.n_tags, 1);
	CU_ASSERT_EQUAL(res.tags[0], DP_TAG(DP_TAG_ACL_PORT, 5));
	CU_ASSERT_EQUAL(m.eth_type, 0);

	g_ntags = 0;
	CU_ASSERT_EQUAL(dp_acl_port_put(a, 5, &cfg), 0);
	CU_ASSERT(saw_tag(DP_TAG(DP_TAG_ACL_PORT, 5)));
	CU_ASSERT(dp_acl_port_has(a, 5));
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 5, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(res.allow);
	CU_ASSERT(res.stateful);
	CU_ASSERT_EQUAL(res.rule_key, 7);
	CU_ASSERT_EQUAL(res.n_tags, 2);
	CU_ASSERT_EQUAL(res.tags[1], DP_TAG(DP_TAG_ACL_RS, dp_acl_port_rule_set(a, 5)));
	/* read: proto, ip_src /8, tp_dst; not tp_src, not ip_dst */
	CU_ASSERT_EQUAL(m.ip_proto, 0xff);
	CU_ASSERT_EQUAL(m.ip_src[0], 0xff);
	CU_ASSERT_EQUAL(m.ip_src[1], 0);
	CU_ASSERT_EQUAL(m.tp_dst, 0xffff);
	CU_ASSERT_EQUAL(m.tp_src, 0);
	CU_ASSERT_EQUAL(m.ip_dst[0], 0);
	/* UDP: no UDP rule, so neither the ports nor the source are read */
	key4(&k, 17, "10.1.2.3", "192.168.0.5", 40000, 22);
	dp_key_zero(&m);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 5, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(!res.allow);
	CU_ASSERT_EQUAL(res.rule_key, 0);
	CU_ASSERT_EQUAL(m.tp_dst, 0);
	CU_ASSERT_EQUAL(m.ip_src[0], 0);
	CU_ASSERT_EQUAL(m.ip_proto, 0xff);
	/* other source, other port */
	key4(&k, 6, "11.1.2.3", "192.168.0.5", 40000, 22);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 5, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(!res.allow);
	key4(&k, 6, "10.1.2.3", "192.168.0.5", 40000, 23);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 5, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(!res.allow);
	/* egress any (IPv4 only): v4 anything out, v6 out denied, reads nothing */
	key4(&k, 17, "192.168.0.5", "8.8.8.8", 1234, 53);
	dp_key_zero(&m);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 5, DP_ACL_EGRESS, &k, &m, &res), 1);
	CU_ASSERT(res.allow);
	CU_ASSERT_EQUAL(res.rule_key, 8);
	CU_ASSERT_EQUAL(m.ip_proto | m.tp_dst | m.tp_src | m.ip_dst[0], 0);
	CU_ASSERT_EQUAL(m.eth_type, 0xffff);
	k.eth_type = htons(0x86dd);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 5, DP_ACL_EGRESS, &k, &m, &res), 1);
	CU_ASSERT(!res.allow);
	/* non-IP: ARP passes, LLDP does not */
	k.eth_type = htons(0x0806);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 5, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(res.allow);
	k.eth_type = htons(0x88cc);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 5, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(!res.allow);

	/* bad rules: -EINVAL and the old ACL stays */
	struct dp_acl_rule bad[3] = { rules[0], rules[0], rules[0] };
	bad[0].dst_min = 30;                      /* min > max */
	bad[1].key = 0;
	bad[2].remote_set = 3;                    /* prefix and set together */
	for (unsigned i = 0; i < 3; i++) {
		struct dp_acl_port_cfg bc = { .n_rules = 1, .rules = &bad[i] };
		CU_ASSERT_EQUAL(dp_acl_port_put(a, 5, &bc), -EINVAL);
	}
	key4(&k, 6, "10.1.2.3", "192.168.0.5", 40000, 22);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 5, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(res.allow);
	CU_ASSERT_EQUAL(dp_acl_port_put(a, 0, &cfg), -EINVAL);

	/* no rules at all: every IP packet denied (port security on, no group) */
	struct dp_acl_port_cfg none = { .stateful = false };
	CU_ASSERT_EQUAL(dp_acl_port_put(a, 6, &none), 0);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 6, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(!res.allow);
	CU_ASSERT(!res.stateful);

	g_ntags = 0;
	CU_ASSERT(dp_acl_port_del(a, 5) > 0);
	CU_ASSERT(saw_tag(DP_TAG(DP_TAG_ACL_PORT, 5)));
	CU_ASSERT_EQUAL(dp_acl_port_del(a, 5), -ENOENT);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 5, DP_ACL_INGRESS, &k, &m, &res), 0);
	CU_ASSERT(res.allow);
	dp_acl_destroy(a);
}

/* Random rule sets and packets: the table agrees with the reference, and any
 * packet agreeing with a looked-up one on its mask gets the same answer. */
static void test_property(void)
{
	struct dp_acl *a = dp_acl_create("aclp", NULL, NULL, NULL);
	struct dp_acl_rule rules[40];
	unsigned cases = 0, mask_cases = 0, allowed = 0, narrow = 0, v6 = 0, by_set = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	for (unsigned iter = 0; iter < 300; iter++) {
		unsigned n = 1 + rnd(RTE_DIM(rules));
		uint32_t lport = 1 + rnd(8);
		rand_sets(a);
		for (unsigned i = 0; i < n; i++)
			rand_rule(&rules[i], i);
		struct dp_acl_port_cfg cfg = { .stateful = rnd(2), .n_rules = n, .rules = rules };
		CU_ASSERT_EQUAL_FATAL(dp_acl_port_put(a, lport, &cfg), 0);
		for (unsigned j = 0; j < 40; j++) {
			struct dp_flow_key k, m, q;
			struct dp_acl_result res, rq;
			unsigned dir = rnd(2);
			uint32_t rk;
			rand_key(&k);
			dp_key_zero(&m);
			CU_ASSERT_EQUAL(dp_acl_lookup(a, lport, dir, &k, &m, &res), 1);
			bool want = ref_decide(rules, n, dir, &k, &rk);
			CU_ASSERT_EQUAL(res.allow, want);
			CU_ASSERT_EQUAL(res.rule_key, rk);
			CU_ASSERT_EQUAL(res.stateful, cfg.stateful);
			cases++;
			allowed += want;
			v6 += k.eth_type == htons(0x86dd);
			if (rk && rules[rk - 1000].remote_set)
				by_set++;
			if (m.tp_dst == 0 || (dir == DP_ACL_INGRESS ? m.ip_src[3] : m.ip_dst[3]) != 0xff)
				narrow++;
			/* mask property */
			for (unsigned t = 0; t < 4; t++) {
				rand_key(&q);
				dp_kword *qw = dp_key_words_rw(&q);
				const dp_kword *kw = dp_key_words(&k), *mw = dp_key_words(&m);
				for (unsigned w = 0; w < DP_FLOW_KEY_WORDS; w++)
					qw[w] = (qw[w] & ~mw[w]) | (kw[w] & mw[w]);
				struct dp_flow_key m2;
				dp_key_zero(&m2);
				CU_ASSERT_EQUAL(dp_acl_lookup(a, lport, dir, &q, &m2, &rq), 1);
				if (rq.allow != res.allow || rq.rule_key != res.rule_key) {
					CU_FAIL("megaflow mask too wide");
					break;
				}
				CU_ASSERT_EQUAL(ref_decide(rules, n, dir, &q, &rk), res.allow);
				mask_cases++;
			}
		}
	}
	printf("\n    %u cases (%u allowed, %u IPv6, %u by a remote set, %u narrower masks), "
	       "%u mask cases ", cases, allowed, v6, by_set, narrow, mask_cases);
	/* the generator must exercise both answers and the interesting paths */
	CU_ASSERT(allowed > cases / 10 && allowed < cases * 9 / 10);
	CU_ASSERT(v6 > cases / 4);
	CU_ASSERT(by_set > 50);
	CU_ASSERT(narrow > cases / 10);
	dp_acl_destroy(a);
}

static int count_port(const struct dp_acl_port_info *info, void *arg)
{
	(*(unsigned *)arg)++;
	return info->lport == 0;
}

/* Ports with equal rules share one rule set; a set change rebuilds only the
 * contexts that reference it and tags only their rule set. */
static void test_sets_and_sharing(void)
{
	struct dp_acl *a = dp_acl_create("acls", NULL, rec_tags, NULL);
	struct dp_acl_rule grp[2] = {
		mk_rule(1, DP_ACL_EGRESS, 4, -1, 0, UINT16_MAX, NULL),
		mk_rule(2, DP_ACL_INGRESS, 4, -1, 0, UINT16_MAX, NULL),
	};
	struct dp_acl_rule web[1] = { mk_rule(3, DP_ACL_INGRESS, 4, 6, 80, 80, NULL) };
	struct dp_acl_stats st;
	struct dp_flow_key k, m;
	struct dp_acl_result res;
	struct dp_ip member;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	grp[1].remote_set = 42;                    /* ingress from the same group */
	struct dp_acl_port_cfg cg = { .stateful = true, .n_rules = 2, .rules = grp };
	struct dp_acl_port_cfg cw = { .stateful = true, .n_rules = 1, .rules = web };
	for (uint32_t p = 1; p <= 1000; p++)
		CU_ASSERT_EQUAL_FATAL(dp_acl_port_put(a, p, &cg), 0);
	CU_ASSERT_EQUAL(dp_acl_port_put(a, 2000, &cw), 0);
	dp_acl_get_stats(a, &st);
	CU_ASSERT_EQUAL(st.ports, 1001);
	CU_ASSERT_EQUAL(st.rule_sets, 2);
	/* group: egress v4 non-empty, ingress v4 empty (set unknown); web: ingress v4 */
	CU_ASSERT_EQUAL(st.builds, 2);
	CU_ASSERT_EQUAL(st.contexts, 2);
	uint32_t rs_grp = dp_acl_port_rule_set(a, 7), rs_web = dp_acl_port_rule_set(a, 2000);
	CU_ASSERT_EQUAL(dp_acl_port_rule_set(a, 999), rs_grp);
	CU_ASSERT_NOT_EQUAL(rs_grp, rs_web);

	key4(&k, 6, "10.0.0.9", "10.0.0.1", 5555, 80);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 7, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(!res.allow);
	/* 10.0.0.9 joins the group */
	CU_ASSERT_EQUAL(dp_ip_parse("10.0.0.9", &member), 0);
	g_ntags = 0;
	CU_ASSERT_EQUAL(dp_acl_set_put(a, 42, &member, 1), 0);
	dp_acl_get_stats(a, &st);
	CU_ASSERT_EQUAL(st.builds, 3);             /* exactly the group's ingress v4 */
	CU_ASSERT_EQUAL(g_ntags, 1);
	CU_ASSERT(saw_tag(DP_TAG(DP_TAG_ACL_RS, rs_grp)));
	CU_ASSERT(!saw_tag(DP_TAG(DP_TAG_ACL_RS, rs_web)));
	dp_key_zero(&m);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 7, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(res.allow);
	CU_ASSERT_EQUAL(res.rule_key, 2);
	CU_ASSERT_EQUAL(m.ip_src[3], 0xff);       /* a member is a host address */
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 1000, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(res.allow);
	key4(&k, 6, "10.0.0.8", "10.0.0.1", 5555, 80);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 7, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(!res.allow);
	/* an unrelated set: nothing rebuilt, nothing tagged */
	g_ntags = 0;
	CU_ASSERT_EQUAL(dp_acl_set_put(a, 43, &member, 1), 0);
	dp_acl_get_stats(a, &st);
	CU_ASSERT_EQUAL(st.builds, 3);
	CU_ASSERT_EQUAL(g_ntags, 0);
	/* it leaves: denied again */
	key4(&k, 6, "10.0.0.9", "10.0.0.1", 5555, 80);
	CU_ASSERT_EQUAL(dp_acl_set_del(a, 42), 0);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 7, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(!res.allow);
	CU_ASSERT_EQUAL(dp_acl_set_del(a, 42), -ENOENT);
	/* too many expanded rules: -ENOSPC, nothing changed (port and set) */
	struct dp_ip *big = calloc(70000, sizeof(*big));
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	for (uint32_t i = 0; i < 65536; i++) {
		big[i].family = 4;
		big[i].plen = 32;
		big[i].addr[0] = 11;
		big[i].addr[2] = (uint8_t)(i >> 8);
		big[i].addr[3] = (uint8_t)i;
	}
	CU_ASSERT_EQUAL(dp_acl_set_put(a, 44, big, 65536), 0);   /* referenced by no one */
	struct dp_acl_rule many[5];
	for (unsigned i = 0; i < 5; i++) {
		many[i] = mk_rule(10 + i, DP_ACL_INGRESS, 4, 6, (uint16_t)i, (uint16_t)i, NULL);
		many[i].remote_set = 44;
	}
	struct dp_acl_port_cfg cm = { .n_rules = 5, .rules = many };
	CU_ASSERT_EQUAL(dp_acl_port_put(a, 8, &cm), -ENOSPC);
	CU_ASSERT_EQUAL(dp_acl_port_rule_set(a, 8), rs_grp);
	/* the same rules on an empty set build nothing; filling the set would
	 * exceed the limit: -ENOSPC, the empty set stays in force */
	for (unsigned i = 0; i < 5; i++)
		many[i].remote_set = 45;
	CU_ASSERT_EQUAL(dp_acl_port_put(a, 3009, &cm), 0);
	dp_acl_get_stats(a, &st);
	uint64_t builds = st.builds;
	CU_ASSERT_EQUAL(dp_acl_set_put(a, 45, big, 65536), -ENOSPC);
	dp_acl_get_stats(a, &st);
	CU_ASSERT_EQUAL(st.builds, builds);
	CU_ASSERT_EQUAL(st.sets, 2);              /* 43 and 44; 45 was never added */
	key4(&k, 6, "11.0.1.2", "10.0.0.1", 5555, 1);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 3009, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(!res.allow);
	CU_ASSERT_EQUAL(dp_acl_set_put(a, 45, big, 3), 0);
	key4(&k, 6, "11.0.0.2", "10.0.0.1", 5555, 1);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 3009, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(res.allow);
	CU_ASSERT_EQUAL(res.rule_key, 11);
	CU_ASSERT(dp_acl_port_del(a, 3009) > 0);
	CU_ASSERT_EQUAL(dp_acl_set_put(a, 44, big, 70000), -EINVAL);   /* over the set limit */
	free(big);
	/* the compiled view */
	struct dp_acl_port_info info;
	CU_ASSERT_EQUAL(dp_acl_port_info(a, 5, &info), 0);
	CU_ASSERT_EQUAL(info.rule_set, rs_grp);
	CU_ASSERT_EQUAL(info.rule_set_ports, 1000);
	CU_ASSERT_EQUAL(info.n_rules, 2);
	CU_ASSERT_EQUAL(info.rules[1].remote_set, 42);
	CU_ASSERT_EQUAL(info.acl_rules[DP_ACL_EGRESS][0], 1);
	CU_ASSERT_EQUAL(info.acl_rules[DP_ACL_INGRESS][0], 0);   /* set 42 gone: empty */
	CU_ASSERT_EQUAL(dp_acl_port_info(a, 4000, &info), -ENOENT);
	unsigned visited = 0;
	dp_acl_foreach_port(a, count_port, &visited);
	CU_ASSERT_EQUAL(visited, 1001);
	/* a port moving to the web rules shares that rule set; the old one stays
	 * while others use it */
	CU_ASSERT_EQUAL(dp_acl_port_put(a, 7, &cw), 0);
	CU_ASSERT_EQUAL(dp_acl_port_rule_set(a, 7), rs_web);
	for (uint32_t p = 1; p <= 1000; p++)
		if (p != 7)
			CU_ASSERT(dp_acl_port_del(a, p) > 0);
	dp_acl_get_stats(a, &st);
	CU_ASSERT_EQUAL(st.rule_sets, 1);
	CU_ASSERT_EQUAL(st.contexts, 1);
	CU_ASSERT_EQUAL(st.ports, 2);
	dp_acl_destroy(a);
}

/* ---- RCU: a reader keeps looking up while the writer swaps contexts ---------- */

static struct dp_acl *g_acl;
static struct rte_rcu_qsbr *g_rcu;
static volatile int g_stop;
static uint64_t g_allow, g_deny, g_bad;

static int reader(void *arg)
{
	unsigned id = 1;
	struct dp_flow_key k, m;
	struct dp_acl_result res;
	(void)arg;
	rte_rcu_qsbr_thread_register(g_rcu, id);
	rte_rcu_qsbr_thread_online(g_rcu, id);
	key4(&k, 17, "10.9.9.9", "10.0.0.1", 1, 53);
	while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
		dp_key_zero(&m);
		if (dp_acl_lookup(g_acl, 1, DP_ACL_INGRESS, &k, &m, &res) != 1)
			g_bad++;
		else if (res.allow && res.rule_key == 77)
			g_allow++;
		else if (!res.allow && res.rule_key == 0)
			g_deny++;
		else
			g_bad++;
		rte_rcu_qsbr_quiescent(g_rcu, id);
	}
	rte_rcu_qsbr_thread_offline(g_rcu, id);
	rte_rcu_qsbr_thread_unregister(g_rcu, id);
	return 0;
}

static void test_rcu_swap(void)
{
	unsigned lc = rte_get_next_lcore(-1, 1, 0);
	size_t sz = rte_rcu_qsbr_get_memsize(2);
	struct dp_ip in, out[8];
	struct dp_acl_rule r[2] = { mk_rule(77, DP_ACL_INGRESS, 4, 17, 53, 53, NULL),
				    mk_rule(78, DP_ACL_EGRESS, 4, 6, 1, 1, NULL) };

	if (lc >= RTE_MAX_LCORE) {
		CU_FAIL("needs a second lcore (-l 0,1)");
		return;
	}
	g_rcu = rte_zmalloc("acl_rcu", sz, RTE_CACHE_LINE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_rcu);
	CU_ASSERT_EQUAL_FATAL(rte_rcu_qsbr_init(g_rcu, 2), 0);
	g_acl = dp_acl_create("aclr", g_rcu, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_acl);
	r[0].remote_set = 9;
	struct dp_acl_port_cfg cfg = { .stateful = true, .n_rules = 1, .rules = r };
	CU_ASSERT_EQUAL_FATAL(dp_acl_port_put(g_acl, 1, &cfg), 0);
	dp_ip_parse("10.9.9.9", &in);
	for (unsigned i = 0; i < 8; i++) {
		char s[32];
		snprintf(s, sizeof(s), "10.8.0.%u", i + 1);
		dp_ip_parse(s, &out[i]);
	}
	g_stop = 0;
	rte_eal_remote_launch(reader, NULL, lc);
	for (unsigned i = 0; i < 400; i++) {
		/* member / not member, with a few other addresses around it */
		struct dp_ip set[9];
		memcpy(set, out, sizeof(out));
		set[8] = in;
		CU_ASSERT_EQUAL(dp_acl_set_put(g_acl, 9, (i & 1) ? set : out, (i & 1) ? 9 : 8), 0);
		if (i % 20 == 0) {
			/* the port entry is replaced too: another rule set (the old
			 * one is freed under the reader), the stateful flag flips */
			cfg.n_rules = cfg.n_rules == 1 ? 2 : 1;
			cfg.stateful = !cfg.stateful;
			CU_ASSERT_EQUAL(dp_acl_port_put(g_acl, 1, &cfg), 0);
		}
	}
	__atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(lc);
	printf("\n    reader: %" PRIu64 " allowed, %" PRIu64 " denied, %" PRIu64 " wrong ",
	       g_allow, g_deny, g_bad);
	CU_ASSERT_EQUAL(g_bad, 0);
	CU_ASSERT(g_allow + g_deny > 0);
	dp_acl_destroy(g_acl);
	rte_free(g_rcu);
}

/* A rule on a port range reads only the leading port bits that keep the
 * packet's block of ports clear of the range's ends, not the whole field:
 * a DHCP rule (UDP 67-68) must not make every UDP megaflow exact on ports. */
static void test_port_prefix_mask(void)
{
	struct dp_acl *a = dp_acl_create("aclpm", NULL, NULL, NULL);
	struct dp_acl_rule rules[] = {
		mk_rule(1, DP_ACL_INGRESS, 4, 17, 67, 68, NULL),
		mk_rule(2, DP_ACL_INGRESS, 4, 6, 1024, 2047, NULL),
	};
	struct dp_acl_port_cfg cfg = { .stateful = true, .n_rules = 2, .rules = rules };
	struct dp_flow_key k, m;
	struct dp_acl_result res;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL_FATAL(dp_acl_port_put(a, 9, &cfg), 0);
	key4(&k, 17, "10.1.2.3", "192.168.0.5", 40000, 5353);  /* 0x14e9 */
	dp_key_zero(&m);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 9, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(!res.allow);
	CU_ASSERT_EQUAL(ntohs(m.tp_dst), 0xf000);    /* 4096-8191: no rule end inside */
	CU_ASSERT_EQUAL(m.tp_src, 0);
	key4(&k, 17, "10.1.2.3", "192.168.0.5", 40000, 68);
	dp_key_zero(&m);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 9, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(res.allow);
	CU_ASSERT_EQUAL(ntohs(m.tp_dst), 0xffff);    /* 68, next to the end 69 */
	/* an aligned range is one prefix: 1024-2047 reads 6 bits inside it */
	key4(&k, 6, "10.1.2.3", "192.168.0.5", 40000, 1500);
	dp_key_zero(&m);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 9, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT(res.allow);
	CU_ASSERT_EQUAL(ntohs(m.tp_dst), 0xfc00);
	dp_acl_destroy(a);
}

/* Conntrack zones come from the ACL table: one per port with an ACL,
 * whatever the lport keys (65537 and 1 share their low 16 bits), kept across
 * a put that changes the rules, freed by del (which returns it), handed out
 * next-fit so a freed zone is not the next one given. */
static void test_zones(void)
{
	struct dp_acl *a = dp_acl_create("aclz", NULL, NULL, NULL);
	struct dp_acl_rule r1[] = { mk_rule(1, DP_ACL_INGRESS, 4, 6, 22, 22, NULL) };
	struct dp_acl_rule r2[] = { mk_rule(2, DP_ACL_INGRESS, 4, 6, 80, 80, NULL) };
	struct dp_acl_port_cfg c1 = { .stateful = true, .n_rules = 1, .rules = r1 };
	struct dp_acl_port_cfg c2 = { .stateful = true, .n_rules = 1, .rules = r2 };
	struct dp_flow_key k, m;
	struct dp_acl_result res;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(dp_acl_port_zone(a, 1), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(dp_acl_port_put(a, 1, &c1), 0);
	CU_ASSERT_EQUAL_FATAL(dp_acl_port_put(a, 65537, &c1), 0);
	int z1 = dp_acl_port_zone(a, 1), z2 = dp_acl_port_zone(a, 65537);
	CU_ASSERT(z1 > 0 && z2 > 0 && z1 != z2);
	CU_ASSERT_EQUAL_FATAL(dp_acl_port_put(a, 1, &c2), 0);     /* new rules, same zone */
	CU_ASSERT_EQUAL(dp_acl_port_zone(a, 1), z1);
	key4(&k, 6, "10.1.2.3", "192.168.0.5", 40000, 80);
	dp_key_zero(&m);
	CU_ASSERT_EQUAL(dp_acl_lookup(a, 65537, DP_ACL_INGRESS, &k, &m, &res), 1);
	CU_ASSERT_EQUAL(res.zone, z2);
	struct dp_acl_port_info pi;
	CU_ASSERT_EQUAL(dp_acl_port_info(a, 1, &pi), 0);
	CU_ASSERT_EQUAL(pi.zone, z1);
	CU_ASSERT_EQUAL(dp_acl_port_del(a, 1), z1);
	CU_ASSERT_EQUAL(dp_acl_port_del(a, 1), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(dp_acl_port_put(a, 2, &c1), 0);
	int z3 = dp_acl_port_zone(a, 2);
	CU_ASSERT(z3 > 0 && z3 != z1 && z3 != z2);                /* next-fit */
	dp_acl_destroy(a);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "dp_acl_test", "-l", "0,1", (char *)NULL) < 0)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("acl", NULL, NULL);
	CU_add_test(s, "basic", test_basic);
	CU_add_test(s, "property_vs_reference_and_mask", test_property);
	CU_add_test(s, "port_prefix_mask", test_port_prefix_mask);
	CU_add_test(s, "zones", test_zones);
	CU_add_test(s, "sets_and_sharing", test_sets_and_sharing);
	CU_add_test(s, "rcu_swap_under_reader", test_rcu_swap);
	return t_run_all();
}
