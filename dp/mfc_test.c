/* SPDX-License-Identifier: BSD-3-Clause
 * dp/mfc_test.c — the megaflow classifier against a brute-force reference.
 *
 * Random masks are built from whole fields and bit prefixes of fields; keys
 * are assembled field by field from a small pool of values, so megaflows,
 * random keys and partial overlaps collide often.  A candidate megaflow that
 * could match a key some existing megaflow matches is skipped, so every key
 * has at most one right answer: the linear scan with dp_key_match.  Every
 * mask matches in_port (64 values) so that flows under different masks can
 * coexist; without a shared field any two of them would overlap.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_memory.h>

#include "mfc.h"
#include "test_main.h"

#define T_NVAL 8          /* values per field in the pool */
#define T_NPORT 64        /* in_port values: every mask matches in_port */
#define T_MAX_REFS 4096

struct t_field {
	uint8_t off, len, prefix;
};

#define F(name, p) { offsetof(struct dp_flow_key, name), \
		     sizeof(((struct dp_flow_key *)0)->name), p }
static const struct t_field t_fields[] = {
	F(recirc_id, 0), F(in_port, 0), F(ct_state, 1), F(ip_frag, 0), F(ct_zone, 0),
	F(vlan_tci, 1), F(eth_type, 0), F(tun_vni, 0), F(tun_src, 1),
	F(reg_src_lport, 0), F(reg_dst_lport, 0), F(reg_network, 0), F(eth_dst, 1),
	F(eth_src, 0), F(ip_proto, 0), F(ip_ttl, 1), F(tp_src, 1), F(tp_dst, 0),
	F(ip_src, 1), F(ip_dst, 1), F(nd_target, 0), F(nd_ll, 0),
};
#undef F
#define T_NFIELDS (sizeof(t_fields) / sizeof(t_fields[0]))

struct t_ref {
	struct dp_flow_key key, mask;
	struct dp_megaflow *f;
	uint64_t hits;
	int live;
};

struct t_ctx {
	struct dp_mfc *c;
	struct dp_flow_key masks[8];
	unsigned n_masks;
	struct dp_flow_key vals[T_NVAL];
	struct t_ref refs[T_MAX_REFS];
	unsigned n_refs;
};

static uint64_t t_rng = 88172645463325252ull;
static unsigned t_name_seq;

static uint64_t t_rand(void)
{
	t_rng ^= t_rng << 13;
	t_rng ^= t_rng >> 7;
	t_rng ^= t_rng << 17;
	return t_rng;
}

static void t_name(char *buf, size_t len)
{
	snprintf(buf, len, "mt%u", t_name_seq++);
}

static void t_rand_bytes(void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)t_rand();
}

/* A key whose every field comes from one of the pool values; other bytes random. */
static void t_rand_key(const struct t_ctx *x, struct dp_flow_key *k)
{
	t_rand_bytes(k, sizeof(*k));
	for (unsigned i = 0; i < T_NFIELDS; i++) {
		const struct t_field *fl = &t_fields[i];

		memcpy((uint8_t *)k + fl->off, (const uint8_t *)&x->vals[t_rand() % T_NVAL] + fl->off,
		       fl->len);
	}
	k->in_port = (uint16_t)(t_rand() % T_NPORT);
	/* half the keys in a few small recirculation passes, so a burst mixes
	 * passes and subtables hold megaflows of some passes only (the
	 * classifier skips keys by recirc_id) */
	if (t_rand() & 1)
		k->recirc_id = (uint32_t)(t_rand() % 4);
}

static void t_rand_mask(struct dp_flow_key *m)
{
	unsigned nf = 1 + (unsigned)(t_rand() % 5);

	memset(m, 0, sizeof(*m));
	DP_MARK(m, in_port);
	for (unsigned n = 0; n < nf; n++) {
		const struct t_field *fl = &t_fields[t_rand() % T_NFIELDS];
		uint8_t *p = (uint8_t *)m + fl->off;
		unsigned bits = fl->len * 8u;

		if (fl->prefix && (t_rand() & 1))
			bits = 1 + (unsigned)(t_rand() % (fl->len * 8u));
		for (unsigned b = 0; b < bits; b++)
			p[b / 8] |= (uint8_t)(0x80u >> (b % 8));
	}
}

/* Could some key match both (masked) megaflows? */
static int t_overlap(const struct t_ref *a, const struct dp_flow_key *mask,
		     const struct dp_flow_key *key)
{
	const dp_kword *ak = dp_key_words(&a->key), *am = dp_key_words(&a->mask);
	const dp_kword *bk = dp_key_words(key), *bm = dp_key_words(mask);

	for (unsigned w = 0; w < DP_FLOW_KEY_WORDS; w++)
		if ((ak[w] ^ bk[w]) & am[w] & bm[w])
			return 0;
	return 1;
}

/* The one live megaflow matching k, or NULL; *n counts the matches. */
static struct t_ref *t_reference(struct t_ctx *x, const struct dp_flow_key *k, unsigned *n)
{
	struct t_ref *found = NULL;

	*n = 0;
	for (unsigned i = 0; i < x->n_refs; i++) {
		if (x->refs[i].live && dp_key_match(k, &x->refs[i].mask, &x->refs[i].key)) {
			found = &x->refs[i];
			(*n)++;
		}
	}
	return found;
}

static void t_spec(struct dp_megaflow_spec *s, const struct dp_flow_key *key,
		   const struct dp_flow_key *mask)
{
	memset(s, 0, sizeof(*s));
	s->key = *key;
	s->mask = *mask;
	s->n_actions = 1;
	s->actions[0].type = DP_ACT_OUTPUT;
	s->actions[0].port = (uint16_t)t_rand();
}

/* Try to add one megaflow under a random mask; returns 1 if inserted. */
static int t_add_random(struct t_ctx *x)
{
	struct dp_megaflow_spec s;
	struct dp_flow_key key, masked;
	const struct dp_flow_key *mask = &x->masks[t_rand() % x->n_masks];
	struct dp_megaflow *f;
	struct t_ref *r;

	if (x->n_refs >= T_MAX_REFS)
		return 0;
	t_rand_key(x, &key);
	dp_key_and(&masked, &key, mask);
	for (unsigned i = 0; i < x->n_refs; i++)
		if (x->refs[i].live && t_overlap(&x->refs[i], mask, &masked))
			return 0;
	t_spec(&s, &key, mask);
	s.n_tags = 1;
	s.tags[0] = DP_TAG(DP_TAG_LPORT, x->n_refs);
	f = dp_mfc_insert(x->c, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(f->live);
	CU_ASSERT(dp_key_equal(&f->key, &masked));
	CU_ASSERT(dp_key_equal(&f->mask, mask));
	CU_ASSERT(f->n_actions == 1 && f->actions[0].port == s.actions[0].port);
	CU_ASSERT(f->hits == 0);
	r = &x->refs[x->n_refs++];
	r->key = masked;
	r->mask = *mask;
	r->f = f;
	r->hits = 0;
	r->live = 1;
	return 1;
}

static unsigned t_live_refs(const struct t_ctx *x)
{
	unsigned n = 0;

	for (unsigned i = 0; i < x->n_refs; i++)
		n += x->refs[i].live;
	return n;
}

static unsigned t_distinct_masks(const struct t_ctx *x)
{
	unsigned n = 0;

	for (unsigned i = 0; i < x->n_refs; i++) {
		int seen = 0;

		if (!x->refs[i].live)
			continue;
		for (unsigned j = 0; j < i && !seen; j++)
			seen = x->refs[j].live && dp_key_equal(&x->refs[j].mask, &x->refs[i].mask);
		n += !seen;
	}
	return n;
}

/* A key that hits a live megaflow (random bits outside its mask), or a random one.
 * With 'skew' >= 0, derived keys come from masks[skew] nine times in ten. */
static void t_gen_key(struct t_ctx *x, struct dp_flow_key *k, int skew)
{
	struct dp_flow_key rnd;
	struct t_ref *r = NULL;

	t_rand_key(x, &rnd);
	if (x->n_refs && (t_rand() & 1)) {
		for (int tries = 0; tries < 64 && !r; tries++) {
			struct t_ref *c = &x->refs[t_rand() % x->n_refs];

			if (!c->live)
				continue;
			if (skew >= 0 && (t_rand() % 10) != 0 &&
			    !dp_key_equal(&c->mask, &x->masks[skew]))
				continue;
			r = c;
		}
	}
	if (!r) {
		*k = rnd;
		return;
	}
	for (unsigned w = 0; w < DP_FLOW_KEY_WORDS; w++)
		dp_key_words_rw(k)[w] = dp_key_words(&r->key)[w] |
					(dp_key_words(&rnd)[w] & ~dp_key_words(&r->mask)[w]);
}

/* One burst of n keys, checked against the reference.  One assertion per
 * burst, so that a broken classifier fails fast instead of piling up
 * millions of CUnit failure records. */
static void t_burst(struct t_ctx *x, unsigned n, int skew)
{
	struct dp_flow_key keys[64];
	const struct dp_flow_key *kp[64] = { 0 };
	struct dp_megaflow *flows[64];
	unsigned hits, want = 0, bad = 0, overlaps = 0;

	for (unsigned i = 0; i < n; i++) {
		t_gen_key(x, &keys[i], skew);
		kp[i] = &keys[i];
		flows[i] = (void *)(uintptr_t)1; /* must be overwritten */
	}
	hits = dp_mfc_lookup_burst(x->c, kp, n, flows);
	for (unsigned i = 0; i < n; i++) {
		unsigned nm;
		struct t_ref *r = t_reference(x, &keys[i], &nm);

		overlaps += nm > 1;
		bad += flows[i] != (r ? r->f : NULL);
		if (r) {
			r->hits++;
			want++;
		}
	}
	CU_ASSERT_EQUAL(overlaps, 0);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(hits, want);
	/* single-key path agrees and does not count */
	CU_ASSERT_PTR_EQUAL(dp_mfc_lookup(x->c, &keys[0]), flows[0]);
}

static void t_check_hits(const struct t_ctx *x)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < x->n_refs; i++)
		if (x->refs[i].live)
			/* the classifier stamps use; hit counts are the caller's */
			bad += x->refs[i].f->hits != 0 ||
			       (x->refs[i].hits > 0) != (x->refs[i].f->used_tsc != 0);
	CU_ASSERT_EQUAL(bad, 0);
}

static void t_setup(struct t_ctx *x, uint32_t max_flows, uint32_t max_st)
{
	char name[16];

	memset(x, 0, sizeof(*x));
	t_name(name, sizeof(name));
	x->c = dp_mfc_create(name, max_flows, max_st, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->c);
	for (unsigned i = 0; i < T_NVAL; i++)
		t_rand_bytes(&x->vals[i], sizeof(x->vals[i]));
	x->n_masks = 1 + (unsigned)(t_rand() % 8);
	for (unsigned i = 0; i < x->n_masks; i++)
		t_rand_mask(&x->masks[i]);
}

static struct t_ctx *t_ctx_new(void)
{
	struct t_ctx *x = malloc(sizeof(*x));

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	return x;
}

/* ---- tests -------------------------------------------------------------- */

static void test_random_vs_reference(void)
{
	struct t_ctx *x = t_ctx_new();

	for (int round = 0; round < 6; round++) {
		t_setup(x, 4096, 16);
		for (int i = 0; i < 600; i++)
			t_add_random(x);
		CU_ASSERT_EQUAL(dp_mfc_count(x->c), t_live_refs(x));
		CU_ASSERT_EQUAL(dp_mfc_subtable_count(x->c), t_distinct_masks(x));
		/* every burst size once, then random sizes past a re-rank */
		for (unsigned n = 1; n <= 64; n++)
			t_burst(x, n, -1);
		for (int b = 0; b < 1100; b++)
			t_burst(x, 1 + (unsigned)(t_rand() % 64), -1);
		t_check_hits(x);

		/* remove about half; removed ones are gone for good */
		for (unsigned i = 0; i < x->n_refs; i++) {
			struct t_ref *r = &x->refs[i];
			uint32_t idx = r->f->idx, gen = r->f->gen;

			if (!(t_rand() & 1))
				continue;
			CU_ASSERT_PTR_EQUAL(dp_mfc_get(x->c, idx, gen), r->f);
			dp_mfc_remove(x->c, r->f);
			r->live = 0;
			CU_ASSERT_PTR_NULL(dp_mfc_get(x->c, idx, gen));
		}
		CU_ASSERT_EQUAL(dp_mfc_count(x->c), t_live_refs(x));
		CU_ASSERT_EQUAL(dp_mfc_subtable_count(x->c), t_distinct_masks(x));
		for (int b = 0; b < 300; b++)
			t_burst(x, 1 + (unsigned)(t_rand() % 64), -1);
		/* refill (slot reuse), check again */
		for (int i = 0; i < 400; i++)
			t_add_random(x);
		CU_ASSERT_EQUAL(dp_mfc_count(x->c), t_live_refs(x));
		CU_ASSERT_EQUAL(dp_mfc_subtable_count(x->c), t_distinct_masks(x));
		for (int b = 0; b < 300; b++)
			t_burst(x, 1 + (unsigned)(t_rand() % 64), -1);
		t_check_hits(x);
		dp_mfc_destroy(x->c);
	}
	free(x);
}

/* Traffic skewed towards the last-created subtable, across several re-ranks,
 * and then towards another one: results never change. */
static void test_ranking(void)
{
	struct t_ctx *x = t_ctx_new();

	t_setup(x, 2048, 16);
	x->n_masks = 6;
	for (unsigned i = 0; i < x->n_masks; i++) {
		t_rand_mask(&x->masks[i]);
		x->masks[i].recirc_id = UINT32_MAX; /* distinct from any other mask */
		x->masks[i].ip_ttl = (uint8_t)(i + 1);
	}
	for (int i = 0; i < 400; i++)
		t_add_random(x);
	CU_ASSERT(dp_mfc_subtable_count(x->c) >= 2);
	for (int b = 0; b < 2500; b++)
		t_burst(x, 32, 5);
	for (int b = 0; b < 2500; b++)
		t_burst(x, 32, 2);
	t_check_hits(x);
	dp_mfc_destroy(x->c);
	free(x);
}

static struct dp_mfc *t_mfc(uint32_t flows, uint32_t st)
{
	char name[16];
	struct dp_mfc *c;

	t_name(name, sizeof(name));
	c = dp_mfc_create(name, flows, st, SOCKET_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

static void t_simple_spec(struct dp_megaflow_spec *s, uint32_t recirc, uint16_t port)
{
	struct dp_flow_key k, m;

	memset(&k, 0, sizeof(k));
	memset(&m, 0, sizeof(m));
	k.recirc_id = recirc;
	k.in_port = port;
	k.tp_dst = 0x5000;
	DP_MARK(&m, recirc_id);
	DP_MARK(&m, in_port);
	t_spec(s, &k, &m);
}

static void test_duplicate(void)
{
	struct dp_mfc *c = t_mfc(64, 4);
	struct dp_megaflow_spec s;
	struct dp_megaflow *f1, *f2;

	t_simple_spec(&s, 7, 3);
	s.actions[0].port = 11;
	f1 = dp_mfc_insert(c, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f1);
	s.key.tp_dst = 0x1234;      /* outside the mask */
	s.actions[0].port = 12;     /* ignored: the existing flow wins */
	f2 = dp_mfc_insert(c, &s);
	CU_ASSERT_PTR_EQUAL(f1, f2);
	CU_ASSERT_EQUAL(f1->actions[0].port, 11);
	CU_ASSERT_EQUAL(dp_mfc_count(c), 1);
	CU_ASSERT_EQUAL(dp_mfc_subtable_count(c), 1);
	dp_mfc_destroy(c);
}

static void test_remove(void)
{
	struct dp_mfc *c = t_mfc(64, 4);
	struct dp_megaflow_spec s;
	struct dp_megaflow *f, *g;
	uint32_t idx, gen;

	t_simple_spec(&s, 7, 3);
	f = dp_mfc_insert(c, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_EQUAL(dp_mfc_lookup(c, &s.key), f);
	idx = f->idx;
	gen = f->gen;
	dp_mfc_remove(c, f);
	dp_mfc_remove(c, f); /* second remove is a no-op */
	CU_ASSERT_PTR_NULL(dp_mfc_lookup(c, &s.key));
	CU_ASSERT_PTR_NULL(dp_mfc_get(c, idx, gen));
	CU_ASSERT_EQUAL(dp_mfc_count(c), 0);
	CU_ASSERT_EQUAL(dp_mfc_subtable_count(c), 0);
	g = dp_mfc_insert(c, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(g->idx, idx);
	CU_ASSERT_NOT_EQUAL(g->gen, gen);
	CU_ASSERT_PTR_NULL(dp_mfc_get(c, idx, gen));
	CU_ASSERT_PTR_EQUAL(dp_mfc_get(c, idx, g->gen), g);
	CU_ASSERT_PTR_NULL(dp_mfc_get(c, 1000, 0));
	dp_mfc_destroy(c);
}

static void test_enospc(void)
{
	struct dp_mfc *c = t_mfc(8, 2);
	struct dp_megaflow_spec s;
	struct dp_megaflow *f[8];
	uint64_t id[8];

	/* a full pool evicts its least recently used megaflow (exact LRU
	 * for a pool this small): used_tsc order 5, 6, 7, 0, 1, ... */
	for (uint32_t i = 0; i < 8; i++) {
		t_simple_spec(&s, i, 1);
		f[i] = dp_mfc_insert(c, &s);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f[i]);
		f[i]->used_tsc = 1000 + 10 * ((i + 3) % 8);
		id[i] = f[i]->id;
	}
	t_simple_spec(&s, 100, 1);
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_insert(c, &s));
	CU_ASSERT_NOT_EQUAL(f[5]->id, id[5]); /* slot 5 was freed (and reused) */
	for (uint32_t i = 0; i < 8; i++)
		CU_ASSERT(i == 5 || (f[i]->live && f[i]->id == id[i]));
	CU_ASSERT_EQUAL(dp_mfc_count(c), 8);
	CU_ASSERT_EQUAL(dp_mfc_counters(c)->evicted, 1);
	t_simple_spec(&s, 5, 1);
	CU_ASSERT_PTR_NULL(dp_mfc_lookup(c, &s.key));
	t_simple_spec(&s, 0, 1);
	CU_ASSERT_PTR_EQUAL(dp_mfc_insert(c, &s), f[0]); /* duplicate: no eviction */
	CU_ASSERT_EQUAL(dp_mfc_counters(c)->evicted, 1);
	/* a new mask on a full pool: evicts the next LRU, gets a subtable */
	t_simple_spec(&s, 101, 1);
	DP_MARK(&s.mask, eth_type);
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_insert(c, &s));
	CU_ASSERT(f[6]->id != id[6] && f[7]->id == id[7] && f[0]->id == id[0]);
	CU_ASSERT_EQUAL(dp_mfc_subtable_count(c), 2);
	dp_mfc_destroy(c);

	/* out of subtables */
	c = t_mfc(8, 2);
	t_simple_spec(&s, 1, 1);
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_insert(c, &s));
	DP_MARK(&s.mask, eth_type);
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_insert(c, &s));
	DP_MARK(&s.mask, ip_proto);
	rte_errno = 0;
	CU_ASSERT_PTR_NULL(dp_mfc_insert(c, &s));
	CU_ASSERT_EQUAL(rte_errno, ENOSPC);
	CU_ASSERT_EQUAL(dp_mfc_count(c), 2);
	/* bad spec */
	s.n_actions = DP_MAX_ACTIONS + 1;
	rte_errno = 0;
	CU_ASSERT_PTR_NULL(dp_mfc_insert(c, &s));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	dp_mfc_destroy(c);
}

static void test_invalidate_tags(void)
{
	struct dp_mfc *c = t_mfc(256, 4);
	struct dp_megaflow_spec s;
	struct dp_megaflow *f[100];
	struct dp_flow_key keys[100];
	uint64_t tags[2] = { DP_TAG(DP_TAG_LPORT, 3), DP_TAG(DP_TAG_NETWORK, 7) };
	uint64_t before[100];

	for (unsigned i = 0; i < 100; i++) {
		t_simple_spec(&s, i, (uint16_t)(i % 2 ? 5 : 6));
		if (i % 2)
			DP_MARK(&s.mask, tp_dst);
		s.n_tags = 2;
		s.tags[0] = DP_TAG(DP_TAG_LPORT, i % 10);
		s.tags[1] = DP_TAG(DP_TAG_NETWORK, i % 3); /* never 7 */
		f[i] = dp_mfc_insert(c, &s);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f[i]);
		keys[i] = s.key;
	}
	for (unsigned i = 0; i < 100; i++) {
		const struct dp_flow_key *kp = &keys[i];
		struct dp_megaflow *r;

		CU_ASSERT_EQUAL(dp_mfc_lookup_burst(c, &kp, 1, &r), 1);
		before[i] = f[i]->used_tsc;
	}
	CU_ASSERT_EQUAL(dp_mfc_invalidate_tags(c, tags, 2), 10);
	CU_ASSERT_EQUAL(dp_mfc_count(c), 90);
	for (unsigned i = 0; i < 100; i++) {
		const struct dp_flow_key *kp = &keys[i];
		struct dp_megaflow *r = NULL;
		unsigned h = dp_mfc_lookup_burst(c, &kp, 1, &r);

		if (i % 10 == 3) {
			CU_ASSERT_EQUAL(h, 0);
			CU_ASSERT_PTR_NULL(r);
			CU_ASSERT(!f[i]->live);
		} else {
			CU_ASSERT_PTR_EQUAL(r, f[i]);
			CU_ASSERT(f[i]->live);
			CU_ASSERT(f[i]->used_tsc > before[i]); /* still in use, still found */
		}
	}
	CU_ASSERT_EQUAL(dp_mfc_invalidate_tags(c, tags, 2), 0);
	dp_mfc_destroy(c);
}

static void test_subtable_count(void)
{
	struct dp_mfc *c = t_mfc(64, 8);
	struct dp_megaflow_spec s;
	struct dp_megaflow *a1, *a2, *b1;

	t_simple_spec(&s, 1, 1);
	a1 = dp_mfc_insert(c, &s);
	t_simple_spec(&s, 2, 1);
	a2 = dp_mfc_insert(c, &s);
	DP_MARK(&s.mask, ip_ttl);
	b1 = dp_mfc_insert(c, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b1);
	CU_ASSERT_EQUAL(dp_mfc_subtable_count(c), 2);
	dp_mfc_remove(c, a1);
	CU_ASSERT_EQUAL(dp_mfc_subtable_count(c), 2);
	dp_mfc_remove(c, a2);
	CU_ASSERT_EQUAL(dp_mfc_subtable_count(c), 1);
	CU_ASSERT_PTR_EQUAL(dp_mfc_lookup(c, &s.key), b1);
	dp_mfc_remove(c, b1);
	CU_ASSERT_EQUAL(dp_mfc_subtable_count(c), 0);
	/* recycled subtable works for a new mask */
	DP_MARK(&s.mask, eth_src);
	b1 = dp_mfc_insert(c, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b1);
	CU_ASSERT_PTR_EQUAL(dp_mfc_lookup(c, &s.key), b1);
	CU_ASSERT_EQUAL(dp_mfc_subtable_count(c), 1);
	dp_mfc_destroy(c);
}

static void test_flush(void)
{
	struct t_ctx *x = t_ctx_new();
	struct dp_megaflow *f;
	uint32_t idx, gen;

	t_setup(x, 1024, 8);
	while (x->n_refs == 0)
		t_add_random(x);
	for (int i = 0; i < 200; i++)
		t_add_random(x);
	f = x->refs[0].f;
	idx = f->idx;
	gen = f->gen;
	dp_mfc_flush(x->c);
	CU_ASSERT_EQUAL(dp_mfc_count(x->c), 0);
	CU_ASSERT_EQUAL(dp_mfc_subtable_count(x->c), 0);
	CU_ASSERT_PTR_NULL(dp_mfc_get(x->c, idx, gen));
	for (unsigned i = 0; i < x->n_refs; i++) {
		CU_ASSERT_PTR_NULL(dp_mfc_lookup(x->c, &x->refs[i].key));
		x->refs[i].live = 0;
	}
	for (int i = 0; i < 200; i++)
		t_add_random(x);
	CU_ASSERT_EQUAL(dp_mfc_count(x->c), t_live_refs(x));
	for (int b = 0; b < 100; b++)
		t_burst(x, 64, -1);
	dp_mfc_flush(x->c);
	dp_mfc_flush(x->c);
	CU_ASSERT_EQUAL(dp_mfc_count(x->c), 0);
	dp_mfc_destroy(x->c);
	free(x);
}

static int t_count_cb(const struct dp_megaflow *f, void *arg)
{
	unsigned *n = arg;

	CU_ASSERT(f->live);
	return ++*n == 5;
}

static void test_foreach_zero_mask_and_create(void)
{
	struct dp_mfc *c = t_mfc(64, 4);
	struct dp_megaflow_spec s;
	struct dp_flow_key k;
	struct dp_megaflow *any;
	unsigned n = 0;

	for (uint32_t i = 0; i < 3; i++) {
		t_simple_spec(&s, i, 1);
		CU_ASSERT_PTR_NOT_NULL(dp_mfc_insert(c, &s));
	}
	dp_mfc_foreach(c, t_count_cb, &n);
	CU_ASSERT_EQUAL(n, 3);
	for (uint32_t i = 3; i < 10; i++) {
		t_simple_spec(&s, i, 1);
		CU_ASSERT_PTR_NOT_NULL(dp_mfc_insert(c, &s));
	}
	n = 0;
	dp_mfc_foreach(c, t_count_cb, &n);
	CU_ASSERT_EQUAL(n, 5); /* stopped early */
	dp_mfc_flush(c);

	/* an all-zero mask matches everything */
	memset(&s, 0, sizeof(s));
	s.n_actions = 1;
	any = dp_mfc_insert(c, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(any);
	t_rand_bytes(&k, sizeof(k));
	CU_ASSERT_PTR_EQUAL(dp_mfc_lookup(c, &k), any);
	dp_mfc_destroy(c);
	dp_mfc_destroy(NULL);

	rte_errno = 0;
	CU_ASSERT_PTR_NULL(dp_mfc_create("a_name_much_too_long_for_rte_hash", 16, 4,
					 SOCKET_ID_ANY));
	CU_ASSERT_EQUAL(rte_errno, ENAMETOOLONG);
	CU_ASSERT_PTR_NULL(dp_mfc_create("zero", 0, 4, SOCKET_ID_ANY));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "mfc_test", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s;
	s = CU_add_suite("mfc", NULL, NULL);
	CU_add_test(s, "random masks vs brute force", test_random_vs_reference);
	CU_add_test(s, "ranking does not change results", test_ranking);
	CU_add_test(s, "duplicate insert", test_duplicate);
	CU_add_test(s, "remove and generation", test_remove);
	CU_add_test(s, "full pool evicts LRU, ENOSPC", test_enospc);
	CU_add_test(s, "invalidate tags", test_invalidate_tags);
	CU_add_test(s, "subtable count", test_subtable_count);
	CU_add_test(s, "flush", test_flush);
	CU_add_test(s, "foreach, zero mask, create args", test_foreach_zero_mask_and_create);
	return t_run_all();
}
