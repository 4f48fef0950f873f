/* SPDX-License-Identifier: BSD-3-Clause
 * dp/emc_test.c — the exact-match cache: hits, misses that only the full key
 * compare or the megaflow generation can catch, probabilistic insertion,
 * 2-way replacement and clear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "emc.h"
#include "test_main.h"

#define T_EMC_ENTRIES 1024

static struct dp_mfc *t_c;
static struct dp_emc *t_e;
static uint64_t t_rng = 0x853c49e6748fea9bull;

static uint64_t t_rand(void)
{
	t_rng ^= t_rng << 13;
	t_rng ^= t_rng >> 7;
	t_rng ^= t_rng << 17;
	return t_rng;
}

/* A key that differs from its siblings in the hashed words. */
static void t_key(struct dp_flow_key *k, uint32_t n)
{
	memset(k, 0, sizeof(*k));
	k->in_port = (uint16_t)(n & 0xff);
	k->eth_type = 0x0008;
	memcpy(k->ip_src, &n, sizeof(n));
	k->tp_dst = (uint16_t)(n >> 8);
	k->tun_vni = 77;
}

/* An exact megaflow (full mask) for key k. */
static struct dp_megaflow *t_flow(const struct dp_flow_key *k)
{
	struct dp_megaflow_spec s;
	struct dp_megaflow *f;

	memset(&s, 0, sizeof(s));
	s.key = *k;
	memset(&s.mask, 0xff, sizeof(s.mask));
	s.n_actions = 1;
	s.actions[0].type = DP_ACT_OUTPUT;
	f = dp_mfc_insert(t_c, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	return f;
}

static int t_setup(void)
{
	char name[32];

	snprintf(name, sizeof(name), "emct%d", (int)getpid() % 100000);
	t_c = dp_mfc_create(name, 4096, 4, SOCKET_ID_ANY);
	t_e = dp_emc_create(T_EMC_ENTRIES, SOCKET_ID_ANY);
	return t_c && t_e ? 0 : -1;
}

static int t_teardown(void)
{
	dp_emc_destroy(t_e);
	dp_mfc_destroy(t_c);
	return 0;
}

static void t_reset(uint32_t inv_prob)
{
	dp_emc_clear(t_e);
	dp_mfc_flush(t_c);
	dp_emc_set_insert_inv_prob(t_e, inv_prob);
}

static void test_create_args(void)
{
	rte_errno = 0;
	CU_ASSERT_PTR_NULL(dp_emc_create(1000, SOCKET_ID_ANY));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	CU_ASSERT_PTR_NULL(dp_emc_create(0, SOCKET_ID_ANY));
	CU_ASSERT_PTR_NULL(dp_emc_create(1, SOCKET_ID_ANY));
	dp_emc_destroy(NULL);
}

static void test_hash(void)
{
	struct dp_flow_key a, b;
	uint32_t ha;

	t_key(&a, 1);
	ha = dp_emc_hash(&a);
	CU_ASSERT_NOT_EQUAL(ha, 0);
	b = a;
	b.tun_vni = 99;            /* word 2: not hashed */
	CU_ASSERT_EQUAL(dp_emc_hash(&b), ha);
	b = a;
	b.in_port = 2;
	CU_ASSERT_NOT_EQUAL(dp_emc_hash(&b), ha);
	b = a;
	b.ip_dst[15] = 1;
	CU_ASSERT_NOT_EQUAL(dp_emc_hash(&b), ha);
	b = a;
	b.tp_src = 1;
	CU_ASSERT_NOT_EQUAL(dp_emc_hash(&b), ha);
	b = a;
	b.eth_src[5] = 1;
	CU_ASSERT_NOT_EQUAL(dp_emc_hash(&b), ha);
	memset(&b, 0, sizeof(b));
	CU_ASSERT_NOT_EQUAL(dp_emc_hash(&b), 0);
}

static void test_hit(void)
{
	struct dp_flow_key k;
	struct dp_megaflow *f;
	uint32_t h;

	t_reset(1);
	t_key(&k, 10);
	h = dp_emc_hash(&k);
	f = t_flow(&k);
	CU_ASSERT_PTR_NULL(dp_emc_lookup(t_e, t_c, &k, h));
	dp_emc_insert(t_e, &k, h, f);
	CU_ASSERT_PTR_EQUAL(dp_emc_lookup(t_e, t_c, &k, h), f);
	/* re-insert of the same key refreshes in place */
	dp_emc_insert(t_e, &k, h, f);
	CU_ASSERT_PTR_EQUAL(dp_emc_lookup(t_e, t_c, &k, h), f);
}

/* Same hash, different key: only the full compare tells them apart. */
static void test_same_hash_other_key(void)
{
	struct dp_flow_key a, b, c;
	struct dp_megaflow *fa;
	uint32_t h;

	t_reset(1);
	t_key(&a, 20);
	h = dp_emc_hash(&a);
	fa = t_flow(&a);
	dp_emc_insert(t_e, &a, h, fa);
	b = a;
	b.tun_vni = 1234;          /* unhashed word: same hash for real */
	CU_ASSERT_EQUAL(dp_emc_hash(&b), h);
	CU_ASSERT_PTR_NULL(dp_emc_lookup(t_e, t_c, &b, h));
	/* differences in every 16-byte lane, each on its own */
	for (unsigned off = 0; off < sizeof(c); off += 8) {
		c = a;
		((uint8_t *)&c)[off + 7] ^= 0x80;
		CU_ASSERT_PTR_NULL(dp_emc_lookup(t_e, t_c, &c, h));
	}
	CU_ASSERT_PTR_EQUAL(dp_emc_lookup(t_e, t_c, &a, h), fa);
}

static void test_dead_megaflow(void)
{
	struct dp_flow_key k;
	struct dp_megaflow *f;
	uint32_t h;

	t_reset(1);
	t_key(&k, 30);
	h = dp_emc_hash(&k);
	f = t_flow(&k);
	dp_emc_insert(t_e, &k, h, f);
	CU_ASSERT_PTR_EQUAL(dp_emc_lookup(t_e, t_c, &k, h), f);
	dp_mfc_remove(t_c, f);
	CU_ASSERT_PTR_NULL(dp_emc_lookup(t_e, t_c, &k, h));
	CU_ASSERT_PTR_NULL(dp_emc_lookup(t_e, t_c, &k, h));
}

static void test_slot_reused(void)
{
	struct dp_flow_key a, b;
	struct dp_megaflow *fa, *fb;
	uint32_t ha, hb, idx;

	t_reset(1);
	t_key(&a, 40);
	t_key(&b, 41);
	ha = dp_emc_hash(&a);
	hb = dp_emc_hash(&b);
	fa = t_flow(&a);
	idx = fa->idx;
	dp_emc_insert(t_e, &a, ha, fa);
	dp_mfc_remove(t_c, fa);
	fb = t_flow(&b);
	CU_ASSERT_EQUAL(fb->idx, idx); /* the same slot, a new generation */
	CU_ASSERT_PTR_NULL(dp_emc_lookup(t_e, t_c, &a, ha));
	CU_ASSERT_PTR_NULL(dp_emc_lookup(t_e, t_c, &b, hb));
	dp_emc_insert(t_e, &b, hb, fb);
	CU_ASSERT_PTR_EQUAL(dp_emc_lookup(t_e, t_c, &b, hb), fb);
	/* same key back on the same slot: the old entry must not revive */
	dp_mfc_remove(t_c, fb);
	fa = t_flow(&a);
	CU_ASSERT_EQUAL(fa->idx, idx);
	CU_ASSERT_PTR_NULL(dp_emc_lookup(t_e, t_c, &b, hb));
}

static void test_two_way(void)
{
	struct dp_flow_key k[3];
	struct dp_megaflow *f[3];
	uint32_t h[3], bucket = UINT32_MAX;
	unsigned n = 0, hits = 0;

	t_reset(1);
	/* three keys landing in the same bucket */
	for (uint32_t i = 1000; n < 3 && i < 2000000; i++) {
		struct dp_flow_key t;
		uint32_t th, b;

		t_key(&t, i);
		th = dp_emc_hash(&t);
		b = th & (T_EMC_ENTRIES - 1) & ~1u;
		if (bucket == UINT32_MAX)
			bucket = b;
		if (b != bucket)
			continue;
		k[n] = t;
		h[n] = th;
		n++;
	}
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (unsigned i = 0; i < 3; i++)
		f[i] = t_flow(&k[i]);
	dp_emc_insert(t_e, &k[0], h[0], f[0]);
	dp_emc_insert(t_e, &k[1], h[1], f[1]);
	CU_ASSERT_PTR_EQUAL(dp_emc_lookup(t_e, t_c, &k[0], h[0]), f[0]);
	CU_ASSERT_PTR_EQUAL(dp_emc_lookup(t_e, t_c, &k[1], h[1]), f[1]);
	dp_emc_insert(t_e, &k[2], h[2], f[2]);
	CU_ASSERT_PTR_EQUAL(dp_emc_lookup(t_e, t_c, &k[2], h[2]), f[2]);
	for (unsigned i = 0; i < 2; i++)
		hits += dp_emc_lookup(t_e, t_c, &k[i], h[i]) == f[i];
	CU_ASSERT_EQUAL(hits, 1);      /* one of the first two was evicted */
	/* a dead way found by lookup is the next victim */
	dp_mfc_remove(t_c, f[2]);
	CU_ASSERT_PTR_NULL(dp_emc_lookup(t_e, t_c, &k[2], h[2]));
	f[2] = t_flow(&k[2]);
	for (unsigned i = 0; i < 2; i++) {
		if (dp_emc_lookup(t_e, t_c, &k[i], h[i]))
			continue;
		dp_emc_insert(t_e, &k[i], h[i], f[i]); /* must take the emptied way */
	}
	CU_ASSERT_PTR_EQUAL(dp_emc_lookup(t_e, t_c, &k[0], h[0]), f[0]);
	CU_ASSERT_PTR_EQUAL(dp_emc_lookup(t_e, t_c, &k[1], h[1]), f[1]);
}

static void test_never(void)
{
	struct dp_flow_key k;
	struct dp_megaflow *f;
	unsigned hits = 0;

	t_reset(0);
	t_key(&k, 50);
	f = t_flow(&k);
	for (uint32_t i = 0; i < 1000; i++) {
		struct dp_flow_key x;

		t_key(&x, 100000 + i);
		dp_emc_insert(t_e, &x, dp_emc_hash(&x), f);
		hits += dp_emc_lookup(t_e, t_c, &x, dp_emc_hash(&x)) != NULL;
	}
	dp_emc_insert(t_e, &k, dp_emc_hash(&k), f);
	hits += dp_emc_lookup(t_e, t_c, &k, dp_emc_hash(&k)) != NULL;
	CU_ASSERT_EQUAL(hits, 0);
}

/* 1 in 100: a lookup right after an insert tells whether it happened. */
static void test_probability(void)
{
	struct dp_flow_key k;
	struct dp_megaflow *f;
	unsigned hits = 0;

	t_reset(100);
	t_key(&k, 60);
	f = t_flow(&k);
	for (uint32_t i = 0; i < 100000; i++) {
		struct dp_flow_key x;
		uint32_t h;

		t_key(&x, (uint32_t)t_rand());
		x.recirc_id = i;
		h = dp_emc_hash(&x);
		dp_emc_insert(t_e, &x, h, f);
		hits += dp_emc_lookup(t_e, t_c, &x, h) == f;
	}
	printf("(%u of 100000 inserted) ", hits);
	CU_ASSERT(hits >= 200 && hits <= 3000);
}

static void test_clear(void)
{
	struct dp_flow_key k[64];
	struct dp_megaflow *f;
	unsigned hits = 0;

	t_reset(1);
	t_key(&k[0], 70);
	f = t_flow(&k[0]);
	for (uint32_t i = 0; i < 64; i++) {
		t_key(&k[i], 70 + i);
		dp_emc_insert(t_e, &k[i], dp_emc_hash(&k[i]), f);
	}
	for (uint32_t i = 0; i < 64; i++)
		hits += dp_emc_lookup(t_e, t_c, &k[i], dp_emc_hash(&k[i])) == f;
	CU_ASSERT(hits >= 60); /* a few may share a bucket */
	dp_emc_clear(t_e);
	hits = 0;
	for (uint32_t i = 0; i < 64; i++)
		hits += dp_emc_lookup(t_e, t_c, &k[i], dp_emc_hash(&k[i])) != NULL;
	CU_ASSERT_EQUAL(hits, 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "emc_test", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s;
	s = CU_add_suite("emc", t_setup, t_teardown);
	CU_add_test(s, "create arguments", test_create_args);
	CU_add_test(s, "hash covers the varying words", test_hash);
	CU_add_test(s, "hit after insert", test_hit);
	CU_add_test(s, "same hash, other key", test_same_hash_other_key);
	CU_add_test(s, "dead megaflow", test_dead_megaflow);
	CU_add_test(s, "slot reused with a new generation", test_slot_reused);
	CU_add_test(s, "2-way replacement", test_two_way);
	CU_add_test(s, "inv_prob 0 never inserts", test_never);
	CU_add_test(s, "inv_prob 100 inserts about 1%", test_probability);
	CU_add_test(s, "clear", test_clear);
	return t_run_all();
}
