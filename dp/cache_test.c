/* SPDX-License-Identifier: BSD-3-Clause
 * dp/cache_test.c — caching is invisible:
 *
 *  1. Property: for random tables and random packets, whatever megaflow
 *     dp_mfc_lookup finds for a key gives the same actions (and flood ports)
 *     as a fresh dp_translate of that key — also after random table
 *     mutations whose on_change tags are fed to dp_mfc_invalidate_tags, as
 *     the PMD does (this proves the tags are complete).
 *  2. Invalidation is targeted: unrelated changes keep megaflows installed.
 *  (End to end through a PMD: pmd_test.c.)
 *
 * Run: ./build/dp/dp_cache_test
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "test_util.h"
#include "parse.h"
#include "translate.h"
#include "dp_priv.h"

/* ---- tag collection --------------------------------------------------------------------- */

struct tagbuf {
	uint64_t tags[4096];
	unsigned n;
	bool overflow;
};

static void tag_cb(void *arg, const uint64_t *tags, unsigned n)
{
	struct tagbuf *b = arg;
	for (unsigned i = 0; i < n; i++) {
		if (tags[i] == DP_TAG_FLUSH)
			b->overflow = true; /* "everything": flush */
		else if (b->n < RTE_DIM(b->tags))
			b->tags[b->n++] = tags[i];
		else
			b->overflow = true;
	}
}

static unsigned seq;

static struct dp_mfc *mk_mfc(void)
{
	char name[32];
	snprintf(name, sizeof(name), "ct%u", seq++);
	struct dp_mfc *c = dp_mfc_create(name, 65536, 256, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

static struct dp_tables *mk_tables(struct tagbuf *tb)
{
	char name[32];
	snprintf(name, sizeof(name), "ctt%u", seq++);
	struct dp_tables *t = dp_tables_create(name, NULL, tag_cb, tb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	return t;
}

static void deliver(struct dp_mfc *c, struct tagbuf *tb)
{
	if (tb->overflow)
		dp_mfc_flush(c);
	else if (tb->n)
		dp_mfc_invalidate_tags(c, tb->tags, tb->n);
	tb->n = 0;
	tb->overflow = false;
}

static void fmt_spec(char *buf, size_t len, const struct dp_megaflow_spec *s)
{
	t_fmt_actions(buf, len, s->actions, s->n_actions, s->flood_ports);
}

static void fmt_flow(char *buf, size_t len, const struct dp_megaflow *f)
{
	t_fmt_actions(buf, len, f->actions, f->n_actions, f->flood_ports);
}

/* ---- random world -------------------------------------------------------------------------- */

#define W_NETS   3
#define W_LPORTS 24
#define W_PORTS  12     /* dp ports 1..W_PORTS; 0 and W_PORTS+1 stay unbound */
#define W_MACS   40
#define W_IP4S   24

struct world {
	struct dp_tables *t;
	struct rte_ether_addr macs[W_MACS];
	uint8_t ip4s[W_IP4S][4];
	uint8_t ip6s[8][16];
};

static void w_init_pools(struct world *w)
{
	for (unsigned i = 0; i < W_MACS; i++)
		w->macs[i] = (struct rte_ether_addr){ { 0x02, 0x10, 0, 0, (uint8_t)(i / 7),
							 (uint8_t)i } };
	for (unsigned i = 0; i < W_IP4S; i++) {
		w->ip4s[i][0] = 10;
		w->ip4s[i][1] = 0;
		w->ip4s[i][2] = (uint8_t)(i % 3);
		w->ip4s[i][3] = (uint8_t)(i / 3 + 1);
	}
	for (unsigned i = 0; i < 8; i++) {
		memset(w->ip6s[i], 0, 16);
		w->ip6s[i][0] = 0x20;
		w->ip6s[i][1] = 0x01;
		w->ip6s[i][15] = (uint8_t)(i + 1);
	}
}

static void w_rand_lport(struct world *w, struct dp_lport_cfg *c, uint32_t key)
{
	memset(c, 0, sizeof(*c));
	c->key = key;
	c->network = 1 + t_randn(W_NETS);
	snprintf(c->name, sizeof(c->name), "w%u", key);
	c->n_macs = (uint8_t)(1 + (t_randn(4) == 0));
	for (unsigned i = 0; i < c->n_macs; i++)
		c->macs[i] = w->macs[t_randn(W_MACS)];
	c->n_ips = (uint8_t)t_randn(3);
	for (unsigned i = 0; i < c->n_ips; i++) {
		if (t_randn(3) == 0) {
			c->ips[i].family = 6;
			c->ips[i].plen = 128;
			memcpy(c->ips[i].addr, w->ip6s[t_randn(8)], 16);
		} else {
			c->ips[i] = t_ip4(0, 0, 0, 0, 32);
			memcpy(c->ips[i].addr, w->ip4s[t_randn(W_IP4S)], 4);
		}
	}
	c->n_aaps = (uint8_t)(t_randn(3) == 0 ? 1 + t_randn(2) : 0);
	for (unsigned i = 0; i < c->n_aaps; i++) {
		struct dp_aap *a = &c->aaps[i];
		if (t_randn(3) == 0) {
			a->ip.family = 6;
			a->ip.plen = (uint8_t)(t_randn(2) ? 128 : 64);
			memcpy(a->ip.addr, w->ip6s[t_randn(8)], 16);
		} else {
			a->ip.family = 4;
			a->ip.plen = (uint8_t)(t_randn(2) ? 32 : 24 + t_randn(8));
			memcpy(a->ip.addr, w->ip4s[t_randn(W_IP4S)], 4);
		}
		if (t_randn(2))
			a->mac = w->macs[t_randn(W_MACS)];
	}
	c->port_security = t_randn(4) != 0;
	c->admin_up = t_randn(6) != 0;
	c->dp_port = t_randn(3) ? (uint16_t)(1 + t_randn(W_PORTS)) : DP_NO_PORT;
}

/* dp_table_fdb_put/del mutations leave FDB entries that point at lports
 * which do not exist (yet, or any more); they trip the known bug in
 * stage_l2.c (no LPORT tag for such an entry), so the default run leaves
 * them out and WYV_KNOWN_BUGS=1 turns them on. */
static bool W_FDB_MUTATIONS;

/* One random mutation; failures (EEXIST, EBUSY...) are part of the game. */
static void w_mutate(struct world *w)
{
	uint32_t key = 1 + t_randn(W_LPORTS);
	const struct dp_lport *p = dp_table_lport_get(w->t, key);
	struct dp_lport_cfg c;
	switch (t_randn(10)) {
	case 0:
	case 1:
	case 2: /* new or replaced lport */
		w_rand_lport(w, &c, key);
		(void)dp_table_lport_put(w->t, &c);
		break;
	case 3: /* small edit of an existing lport */
		if (p == NULL)
			break;
		c = p->cfg;
		switch (t_randn(6)) {
		case 0: c.admin_up = !c.admin_up; break;
		case 1: c.port_security = !c.port_security; break;
		case 2: c.macs[0] = w->macs[t_randn(W_MACS)]; break;
		case 3: c.dp_port = t_randn(2) ? (uint16_t)(1 + t_randn(W_PORTS)) : DP_NO_PORT; break;
		case 4: c.network = 1 + t_randn(W_NETS); break;
		case 5:
			if (c.n_ips) {
				c.ips[0] = t_ip4(0, 0, 0, 0, 32);
				memcpy(c.ips[0].addr, w->ip4s[t_randn(W_IP4S)], 4);
			}
			break;
		}
		(void)dp_table_lport_put(w->t, &c);
		break;
	case 4:
	case 5:
		(void)dp_table_lport_del(w->t, key);
		break;
	case 6: { /* extra FDB entry (router MAC); see KNOWN_BUGS below */
		if (!W_FDB_MUTATIONS)
			break;
		uint32_t net = 1 + t_randn(W_NETS);
		(void)dp_table_fdb_put(w->t, net, &w->macs[t_randn(W_MACS)], key);
		break;
	}
	case 7: {
		if (!W_FDB_MUTATIONS)
			break;
		uint32_t net = 1 + t_randn(W_NETS);
		(void)dp_table_fdb_del(w->t, net, &w->macs[t_randn(W_MACS)]);
		break;
	}
	case 8: { /* network config */
		struct dp_network_cfg n = t_net(1 + t_randn(W_NETS));
		n.mtu = (uint16_t)(1400 + t_randn(200));
		(void)dp_table_network_put(w->t, &n);
		break;
	}
	case 9: /* port removed */
		dp_table_port_gone(w->t, (uint16_t)(1 + t_randn(W_PORTS)));
		break;
	}
}

static const uint8_t *w_pick_mac(struct world *w, uint16_t in_port)
{
	static const uint8_t special[][6] = {
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 },
		{ 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 },
		{ 0x02, 0x77, 0x77, 0x77, 0x77, 0x77 },
	};
	unsigned r = t_randn(10);
	if (r < 2)
		return special[t_randn(RTE_DIM(special))];
	if (r < 6) { /* a MAC of the lport on in_port, when there is one */
		uint32_t lk = dp_table_port_lport(w->t, in_port);
		const struct dp_lport *p = lk ? dp_table_lport_get(w->t, lk) : NULL;
		if (p) {
			if (p->cfg.n_aaps && t_randn(3) == 0 &&
			    !rte_is_zero_ether_addr(&p->cfg.aaps[0].mac))
				return p->cfg.aaps[0].mac.addr_bytes;
			return p->cfg.macs[t_randn(p->cfg.n_macs)].addr_bytes;
		}
	}
	return w->macs[t_randn(W_MACS)].addr_bytes;
}

static void w_pick_ip(struct world *w, uint16_t in_port, int fam, uint8_t *out)
{
	uint32_t lk = dp_table_port_lport(w->t, in_port);
	const struct dp_lport *p = lk ? dp_table_lport_get(w->t, lk) : NULL;
	unsigned r = t_randn(10);
	memset(out, 0, 16);
	if (r == 0)
		return; /* unspecified */
	if (r < 6 && p) {
		for (unsigned i = 0; i < p->cfg.n_ips; i++)
			if (p->cfg.ips[i].family == fam) {
				memcpy(out, p->cfg.ips[i].addr, fam == 4 ? 4 : 16);
				return;
			}
		for (unsigned i = 0; i < p->cfg.n_aaps; i++)
			if (p->cfg.aaps[i].ip.family == fam) {
				memcpy(out, p->cfg.aaps[i].ip.addr, fam == 4 ? 4 : 16);
				out[fam == 4 ? 3 : 15] |= (uint8_t)t_randn(2); /* in or near */
				return;
			}
	}
	if (fam == 6 && r == 6 && p) {
		dp_l3_eui64_ll(out, p->cfg.macs[0].addr_bytes);
		return;
	}
	if (fam == 4)
		memcpy(out, w->ip4s[t_randn(W_IP4S)], 4);
	else
		memcpy(out, w->ip6s[t_randn(8)], 16);
}

static void w_rand_key(struct world *w, struct dp_flow_key *k)
{
	uint16_t in_port = (uint16_t)t_randn(W_PORTS + 2);
	const uint8_t *smac = w_pick_mac(w, in_port);
	const uint8_t *dmac = w_pick_mac(w, (uint16_t)t_randn(W_PORTS + 2));
	uint8_t sip[16], dip[16];
	unsigned kind = t_randn(10);
	if (kind < 4) {
		static const uint8_t protos[] = { 17, 6, 1, 17, 47 };
		w_pick_ip(w, in_port, 4, sip);
		w_pick_ip(w, (uint16_t)t_randn(W_PORTS + 2), 4, dip);
		uint16_t sp = t_randn(3) ? (uint16_t)t_rand() : 68;
		uint16_t dpt = t_randn(3) ? (uint16_t)t_rand() : 67;
		t_key_ipv4(k, in_port, smac, dmac, sip, dip, protos[t_randn(RTE_DIM(protos))], sp,
			   dpt);
		if (t_randn(8) == 0)
			k->ip_frag = DP_FRAG_ANY | DP_FRAG_LATER;
	} else if (kind < 6) {
		uint8_t sha[6];
		memcpy(sha, t_randn(4) ? smac : w_pick_mac(w, in_port), 6);
		w_pick_ip(w, in_port, 4, sip);
		w_pick_ip(w, 0, 4, dip);
		t_key_arp(k, in_port, smac, sha, sip, dip);
		if (t_randn(3) == 0)
			memcpy(k->eth_dst, dmac, 6);
		k->arp_op = htons((uint16_t)(1 + t_randn(2)));
	} else if (kind < 9) {
		static const uint8_t protos[] = { 17, 6, 58, 58, 58 };
		w_pick_ip(w, in_port, 6, sip);
		w_pick_ip(w, 0, 6, dip);
		uint8_t proto = protos[t_randn(RTE_DIM(protos))];
		uint16_t sp = proto == 58 ? (uint16_t)(t_randn(2) ? 135 + t_randn(2) : 128)
					  : (uint16_t)t_rand();
		t_key_ipv6(k, in_port, smac, dmac, sip, dip, proto, sp, 0);
		if (proto == 58 && (sp == 135 || sp == 136)) {
			w_pick_ip(w, in_port, 6, k->nd_target);
			if (t_randn(2))
				memcpy(k->nd_ll, t_randn(3) ? smac : w_pick_mac(w, 0), 6);
		}
	} else {
		t_key_eth(k, in_port, smac, dmac, (uint16_t)(t_randn(2) ? 0x88cc : t_rand()));
	}
	if (t_randn(12) == 0)
		k->vlan_tci = (uint16_t)(DP_VLAN_PRESENT | t_randn(4096));
}

/* Check one key: a hit must agree with a fresh translate. Returns 1 on a hit. */
static unsigned check_key(struct world *w, struct dp_mfc *c, const struct dp_flow_key *k,
			  unsigned *bad)
{
	struct dp_megaflow *f = dp_mfc_lookup(c, k);
	if (f == NULL)
		return 0;
	struct dp_megaflow_spec s;
	char a[512], b[512];
	dp_translate(w->t, k, &s, NULL);
	fmt_spec(a, sizeof(a), &s);
	fmt_flow(b, sizeof(b), f);
	if (strcmp(a, b) != 0 || s.n_actions != f->n_actions) {
		if (*bad < 5) {
			char ks[1024];
			dp_key_format(ks, sizeof(ks), k, NULL);
			fprintf(stderr, "\n    MISMATCH key %s\n      cached: %s\n      fresh:  %s\n",
				ks, b, a);
		}
		(*bad)++;
	}
	return 1;
}

#define P_KEYS 600

static void property(void);

static void test_property(void)
{
	W_FDB_MUTATIONS = false;
	property();
}

static void test_property_fdb(void)
{
	W_FDB_MUTATIONS = true;
	property();
	W_FDB_MUTATIONS = false;
}

static void property(void)
{
	struct world w;
	struct tagbuf *tb = calloc(1, sizeof(*tb));
	static struct dp_flow_key keys[P_KEYS];
	unsigned bad = 0, hits = 0, checks = 0, installs = 0, mutations = 0;

	t_rng_state = 0x9e3779b97f4a7c15ull;
	w_init_pools(&w);
	w.t = mk_tables(tb);
	for (uint32_t n = 1; n <= W_NETS; n++) {
		struct dp_network_cfg nc = t_net(n);
		CU_ASSERT_EQUAL(dp_table_network_put(w.t, &nc), 0);
	}
	for (unsigned round = 0; round < 25; round++) {
		struct dp_mfc *c = mk_mfc();
		/* fresh random tables for this round */
		for (unsigned i = 0; i < 60; i++)
			w_mutate(&w);
		tb->n = 0;
		/* install the translations of random keys */
		for (unsigned i = 0; i < P_KEYS; i++) {
			struct dp_megaflow_spec s;
			w_rand_key(&w, &keys[i]);
			if (dp_mfc_lookup(c, &keys[i]) != NULL) {
				hits += check_key(&w, c, &keys[i], &bad);
				checks++;
				continue;
			}
			dp_translate(w.t, &keys[i], &s, NULL);
			if (s.no_install)
				continue;
			if (dp_mfc_insert(c, &s) != NULL)
				installs++;
		}
		/* many more random keys against the cache */
		for (unsigned i = 0; i < 3000; i++) {
			struct dp_flow_key k;
			w_rand_key(&w, &k);
			hits += check_key(&w, c, &k, &bad);
			checks++;
		}
		/* mutate, invalidate by tags, re-check every key we installed for */
		for (unsigned m = 0; m < 40; m++) {
			w_mutate(&w);
			mutations++;
			deliver(c, tb);
			for (unsigned i = 0; i < P_KEYS; i++) {
				hits += check_key(&w, c, &keys[i], &bad);
				checks++;
			}
			for (unsigned i = 0; i < 50; i++) {
				struct dp_flow_key k;
				w_rand_key(&w, &k);
				hits += check_key(&w, c, &k, &bad);
				checks++;
			}
			/* re-install some so the cache stays populated */
			for (unsigned i = 0; i < 20; i++) {
				struct dp_megaflow_spec s;
				unsigned j = t_randn(P_KEYS);
				if (dp_mfc_lookup(c, &keys[j]) != NULL)
					continue;
				dp_translate(w.t, &keys[j], &s, NULL);
				if (!s.no_install && dp_mfc_insert(c, &s) != NULL)
					installs++;
			}
		}
		dp_mfc_destroy(c);
	}
	fprintf(stderr, "\n    property: %u installs, %u mutations, %u checks, %u hits, %u bad\n",
		installs, mutations, checks, hits, bad);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(hits > checks / 10); /* the test must actually exercise hits */
	CU_ASSERT(installs > 1000);
	dp_tables_destroy(w.t);
	free(tb);
}

/* ---- targeted invalidation ------------------------------------------------------------------- */

static struct dp_megaflow *install(struct dp_tables *t, struct dp_mfc *c,
				   const struct dp_flow_key *k)
{
	struct dp_megaflow_spec s;
	dp_translate(t, k, &s, NULL);
	CU_ASSERT_FATAL(!s.no_install);
	return dp_mfc_insert(c, &s);
}

static void test_targeted(void)
{
	struct tagbuf *tb = calloc(1, sizeof(*tb));
	struct dp_tables *t = mk_tables(tb);
	struct dp_mfc *c = mk_mfc();
	struct dp_network_cfg n1 = t_net(1), n2 = t_net(2);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &n1), 0);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &n2), 0);
	struct dp_lport_cfg A = t_lport(1, 1, 1), B = t_lport(2, 1, 2), C = t_lport(3, 1, 3),
			    D = t_lport(4, 1, 4);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &A), 0);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &B), 0);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &C), 0);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &D), 0);
	tb->n = 0;
	struct dp_flow_key ab, cd, bcast;
	t_key_ipv4(&ab, 1, A.macs[0].addr_bytes, B.macs[0].addr_bytes, A.ips[0].addr,
		   B.ips[0].addr, IPPROTO_UDP, 1000, 2000);
	t_key_ipv4(&cd, 3, C.macs[0].addr_bytes, D.macs[0].addr_bytes, C.ips[0].addr,
		   D.ips[0].addr, IPPROTO_TCP, 1000, 80);
	t_key_arp(&bcast, 1, A.macs[0].addr_bytes, A.macs[0].addr_bytes, A.ips[0].addr,
		  B.ips[0].addr);
	CU_ASSERT_PTR_NOT_NULL(install(t, c, &ab));
	CU_ASSERT_PTR_NOT_NULL(install(t, c, &cd));
	CU_ASSERT_PTR_NOT_NULL(install(t, c, &bcast));
	CU_ASSERT_EQUAL(dp_mfc_count(c), 3);

	/* unrelated remote lport E in the same network */
	struct dp_lport_cfg E = t_lport(5, 1, DP_NO_PORT);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &E), 0);
	deliver(c, tb);
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_lookup(c, &ab));
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_lookup(c, &cd));
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_lookup(c, &bcast)); /* flood list unchanged */

	/* unrelated local lport F in the same network: the flood changes,
	 * unicast megaflows stay */
	struct dp_lport_cfg F = t_lport(6, 1, 6);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &F), 0);
	deliver(c, tb);
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_lookup(c, &ab));
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_lookup(c, &cd));
	CU_ASSERT_PTR_NULL(dp_mfc_lookup(c, &bcast));
	CU_ASSERT_PTR_NOT_NULL(install(t, c, &bcast));

	/* lport in another network, and a network config change elsewhere */
	struct dp_lport_cfg G = t_lport(7, 2, 7);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &G), 0);
	n2.mtu = 9000;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &n2), 0);
	deliver(c, tb);
	CU_ASSERT_EQUAL(dp_mfc_count(c), 3);

	/* B's MAC changes: A->B goes, C->D stays */
	struct dp_lport_cfg B2 = B;
	B2.macs[0] = t_mac(0x44, 0x44);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &B2), 0);
	deliver(c, tb);
	CU_ASSERT_PTR_NULL(dp_mfc_lookup(c, &ab));
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_lookup(c, &cd));
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_lookup(c, &bcast));
	/* A->B's old MAC is now unknown unicast: flood */
	struct dp_megaflow *f = install(t, c, &ab);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->actions[0].type, DP_ACT_FLOOD);

	/* D goes admin down: C->D goes, and so does the broadcast megaflow
	 * (D leaves the flood list) */
	struct dp_lport_cfg D2 = D;
	D2.admin_up = false;
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &D2), 0);
	deliver(c, tb);
	CU_ASSERT_PTR_NULL(dp_mfc_lookup(c, &cd));
	CU_ASSERT_PTR_NULL(dp_mfc_lookup(c, &bcast));

	dp_mfc_destroy(c);
	dp_tables_destroy(t);
	free(tb);
}

/* ---- regressions (bugs this suite found, now fixed) ---------------------------------------------------------- */

/* KNOWN BUG (stage_l2.c): when the FDB maps a MAC to an lport key that has
 * no lport (an extra FDB entry via dp_table_fdb_put whose lport is created
 * later, or was deleted and comes back), translate floods and records only
 * the FDB tag, not DP_TAG_LPORT(key).  Creating that lport later emits
 * LPORT(key) (+ its own MACs' FDB tags), so the flood megaflow survives
 * although a fresh translate now decides differently. */
static void test_bug_fdb_dangling_lport(void)
{
	struct tagbuf *tb = calloc(1, sizeof(*tb));
	struct dp_tables *t = mk_tables(tb);
	struct dp_mfc *c = mk_mfc();
	struct dp_network_cfg n1 = t_net(1);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &n1), 0);
	struct dp_lport_cfg A = t_lport(1, 1, 1), B = t_lport(2, 1, 2);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &A), 0);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &B), 0);
	struct rte_ether_addr m = t_mac(0x66, 0x66);
	/* an FDB entry may not point at a missing lport any more */
	CU_ASSERT_EQUAL(dp_table_fdb_put(t, 1, &m, 7), -ENOENT);
	struct dp_lport_cfg L7a = t_lport(7, 1, DP_NO_PORT);
	L7a.macs[0] = t_mac(0x77, 0x77);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &L7a), 0);
	CU_ASSERT_EQUAL(dp_table_fdb_put(t, 1, &m, 7), 0);
	CU_ASSERT_EQUAL(dp_table_lport_del(t, 7), 0); /* entry now dangles */
	deliver(c, tb);
	struct dp_flow_key k;
	t_key_ipv4(&k, 1, A.macs[0].addr_bytes, m.addr_bytes, A.ips[0].addr, B.ips[0].addr,
		   IPPROTO_UDP, 1, 2);
	struct dp_megaflow *f = install(t, c, &k);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->actions[0].type, DP_ACT_FLOOD);
	/* lport 7 appears (remote, another MAC) */
	struct dp_lport_cfg L7 = t_lport(7, 1, DP_NO_PORT);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &L7), 0);
	deliver(c, tb);
	struct dp_megaflow_spec s;
	dp_translate(t, &k, &s, NULL);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_DEST); /* fresh: lport 7 is remote */
	f = dp_mfc_lookup(c, &k);
	if (f != NULL) { /* cached must agree */
		CU_ASSERT_EQUAL(f->actions[0].type, DP_ACT_DROP);
	}
	dp_mfc_destroy(c);
	dp_tables_destroy(t);
	free(tb);
}

int main(int argc, char **argv)
{
	CU_pSuite s;
	(void)argc;
	if (t_eal_init(argv[0], "cache_test", "-l", "0,1", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("cache", NULL, NULL);
	CU_add_test(s, "cache hit == fresh translate (random, with mutations)", test_property);
	CU_add_test(s, "targeted invalidation", test_targeted);
	{ /* regressions of bugs found by this suite (fixed) */
		s = CU_add_suite("regressions", NULL, NULL);
		CU_add_test(s, "FDB entry to a missing lport: no LPORT tag",
			    test_bug_fdb_dangling_lport);
		CU_add_test(s, "property with FDB mutations", test_property_fdb);
	}
	return t_run_all();
}
