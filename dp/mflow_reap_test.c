/* SPDX-License-Identifier: BSD-3-Clause
 * dp/mflow_reap_test.c — two-step megaflow removal: invalidation kills
 * (nothing matches a killed megaflow any more: classifier, EMC, get,
 * foreach, insert), dp_mfc_reap frees later, a slot is reused only after it
 * was reaped, an insert reaps what it needs (a slot, or its own key) before
 * evicting anything live, a slot is in the reap queue at most once, and a
 * flush with killed megaflows pending.
 *
 * Run: ./build/dp/dp_mflow_reap_test
 */
#include <errno.h>

#include "emc.h"
#include "mfc.h"
#include "test_main.h"

#define NF 64u

static struct dp_mfc *c;
static struct dp_emc *e;

static int setup(void)
{
	char name[16];
	snprintf(name, sizeof(name), "mrt%d", (int)getpid() % 100000);
	c = dp_mfc_create(name, NF, 4, SOCKET_ID_ANY);
	e = dp_emc_create(1024, SOCKET_ID_ANY);
	if (!c || !e)
		return -1;
	dp_emc_set_insert_inv_prob(e, 1);
	return 0;
}

static int teardown(void)
{
	dp_emc_destroy(e);
	dp_mfc_destroy(c);
	return 0;
}

/* Flow i: exact on recirc_id and in_port; tags fdb:i and dpport:i%2. */
static void spec(struct dp_megaflow_spec *s, uint32_t i, uint16_t out)
{
	memset(s, 0, sizeof(*s));
	s->key.recirc_id = i;
	s->key.in_port = (uint16_t)(1 + i % 2);
	DP_MARK(&s->mask, recirc_id);
	DP_MARK(&s->mask, in_port);
	s->n_actions = 1;
	s->actions[0].type = DP_ACT_OUTPUT;
	s->actions[0].port = out;
	s->n_tags = 2;
	s->tags[0] = DP_TAG(DP_TAG_FDB, i);
	s->tags[1] = DP_TAG(DP_TAG_DPPORT, i % 2);
}

static int count_cb(const struct dp_megaflow *f, void *arg)
{
	(void)f;
	(*(unsigned *)arg)++;
	return 0;
}

static void test_kill_then_reap(void)
{
	struct dp_megaflow_spec s;
	struct dp_megaflow *f[NF];
	struct dp_flow_key k[NF];
	uint64_t id[NF];
	uint32_t h[NF];

	dp_mfc_flush(c);
	dp_emc_clear(e);
	for (uint32_t i = 0; i < NF; i++) { /* the pool is full */
		spec(&s, i, 5);
		f[i] = dp_mfc_insert(c, &s);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f[i]);
		id[i] = f[i]->id;
		k[i] = s.key;
		h[i] = dp_emc_hash(&k[i]);
		dp_emc_insert(e, &k[i], h[i], f[i]);
		CU_ASSERT_PTR_EQUAL(dp_emc_lookup(e, c, &k[i], h[i]), f[i]);
	}
	uint64_t port0 = DP_TAG(DP_TAG_DPPORT, 0);
	CU_ASSERT_EQUAL(dp_mfc_invalidate_tags(c, &port0, 1), NF / 2);
	/* applied: the even flows match nowhere, before any reaping */
	CU_ASSERT_EQUAL(dp_mfc_count(c), NF / 2);
	CU_ASSERT_EQUAL(dp_mfc_dead_count(c), NF / 2);
	CU_ASSERT_EQUAL(dp_mfc_port_count(c, 1), 0);
	CU_ASSERT_EQUAL(dp_mfc_port_count(c, 2), NF / 2);
	const struct dp_flow_key *kp[NF];
	struct dp_megaflow *got[NF];
	for (uint32_t i = 0; i < NF; i++)
		kp[i] = &k[i];
	CU_ASSERT_EQUAL(dp_mfc_lookup_burst(c, kp, NF, got), NF / 2);
	unsigned wrong = 0;
	for (uint32_t i = 0; i < NF; i++) {
		bool dead = i % 2 == 0;
		struct dp_megaflow *want = dead ? NULL : f[i];
		wrong += got[i] != want;
		wrong += dp_mfc_lookup(c, &k[i]) != want;
		wrong += dp_emc_lookup(e, c, &k[i], h[i]) != want;
		wrong += dp_mfc_get(c, DP_MFLOW_ID_SLOT(id[i]), DP_MFLOW_ID_GEN(id[i])) != want;
		/* a killed slot keeps its generation (not freed) until reaped */
		wrong += f[i]->id != id[i] || f[i]->gen != DP_MFLOW_ID_GEN(id[i]);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	unsigned n = 0;
	dp_mfc_foreach(c, count_cb, &n);
	CU_ASSERT_EQUAL(n, NF / 2);
	/* killed again: nothing (no double kill, no double queueing) */
	CU_ASSERT_EQUAL(dp_mfc_invalidate_tags(c, &port0, 1), 0);
	CU_ASSERT_EQUAL(dp_mfc_dead_count(c), NF / 2);

	/* a new key in a full pool reaps a killed megaflow (the oldest),
	 * never evicts a live one */
	spec(&s, 1000, 6);
	struct dp_megaflow *nf = dp_mfc_insert(c, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nf);
	CU_ASSERT_EQUAL(dp_mfc_counters(c)->evicted, 0);
	CU_ASSERT_EQUAL(dp_mfc_dead_count(c), NF / 2 - 1);
	CU_ASSERT_EQUAL(nf->idx % 2, 0); /* one of the killed slots ... */
	CU_ASSERT(nf->gen != DP_MFLOW_ID_GEN(id[nf->idx])); /* ... freed first */
	/* a killed megaflow's own key: the insert reaps it, and its slot
	 * comes back live with a new generation and the new actions */
	spec(&s, 10, 7);
	struct dp_megaflow *re = dp_mfc_insert(c, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(re);
	CU_ASSERT(re->live);
	CU_ASSERT_NOT_EQUAL(re->id, id[10]);
	CU_ASSERT_EQUAL(re->actions[0].port, 7);
	CU_ASSERT_PTR_EQUAL(dp_mfc_lookup(c, &k[10]), re);
	CU_ASSERT_EQUAL(dp_mfc_dead_count(c), NF / 2 - 2);
	/* re's slot is still queued for reaping (a stale entry): killed again
	 * now, it is not queued twice */
	uint64_t t10 = DP_TAG(DP_TAG_FDB, 10);
	CU_ASSERT_EQUAL(dp_mfc_invalidate_tags(c, &t10, 1), 1);
	CU_ASSERT_PTR_NULL(dp_mfc_lookup(c, &k[10]));
	uint32_t dead = dp_mfc_dead_count(c);
	CU_ASSERT_EQUAL(dead, NF / 2 - 1);

	/* reaping, 8 queue entries a call: the queue holds the first 32 kills
	 * minus the one the first insert reaped: 31 entries, all dead (slot
	 * 10's entry went stale at its early reap and is dead again), so 4
	 * calls drain it */
	unsigned calls = 0, freed = 0;
	while (dp_mfc_dead_count(c) > 0 && calls < 100) {
		unsigned r = dp_mfc_reap(c, 8);
		CU_ASSERT(r <= 8);
		freed += r;
		calls++;
	}
	CU_ASSERT_EQUAL(calls, NF / 2 / 8);
	CU_ASSERT_EQUAL(freed, dead);
	CU_ASSERT_EQUAL(dp_mfc_reap(c, 8), 0);
	CU_ASSERT_EQUAL(dp_mfc_count(c), NF / 2 + 1); /* odd ones + flow 1000 */
	CU_ASSERT_PTR_EQUAL(dp_mfc_lookup(c, &nf->key), nf);
	for (uint32_t i = 1; i < NF; i += 2)
		CU_ASSERT_PTR_EQUAL(dp_mfc_lookup(c, &k[i]), f[i]);
	/* every freed slot is usable again, and only then: NF - 33 inserts
	 * fill the pool without evicting */
	for (uint32_t i = 0; i < NF - (NF / 2 + 1); i++) {
		spec(&s, 2000 + i, 5);
		CU_ASSERT_PTR_NOT_NULL(dp_mfc_insert(c, &s));
	}
	CU_ASSERT_EQUAL(dp_mfc_count(c), NF);
	CU_ASSERT_EQUAL(dp_mfc_counters(c)->evicted, 0);
	spec(&s, 3000, 5);
	CU_ASSERT_PTR_NOT_NULL(dp_mfc_insert(c, &s)); /* now one is evicted */
	CU_ASSERT_EQUAL(dp_mfc_counters(c)->evicted, 1);
}

static void test_flush_with_killed(void)
{
	struct dp_megaflow_spec s;
	struct dp_megaflow *f[8];
	uint64_t id[8];

	dp_mfc_flush(c);
	for (uint32_t i = 0; i < 8; i++) {
		spec(&s, i, 5);
		f[i] = dp_mfc_insert(c, &s);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f[i]);
		id[i] = f[i]->id;
	}
	uint64_t port1 = DP_TAG(DP_TAG_DPPORT, 1);
	CU_ASSERT_EQUAL(dp_mfc_invalidate_tags(c, &port1, 1), 4);
	dp_mfc_flush(c);
	CU_ASSERT_EQUAL(dp_mfc_count(c), 0);
	CU_ASSERT_EQUAL(dp_mfc_dead_count(c), 0);
	CU_ASSERT_EQUAL(dp_mfc_subtable_count(c), 0);
	CU_ASSERT_EQUAL(dp_mfc_reap(c, 64), 0);
	for (uint32_t i = 0; i < 8; i++) /* killed ones got a new generation too */
		CU_ASSERT_PTR_NULL(dp_mfc_get(c, DP_MFLOW_ID_SLOT(id[i]), DP_MFLOW_ID_GEN(id[i])));
	/* the pool is whole again */
	for (uint32_t i = 0; i < NF; i++) {
		spec(&s, 100 + i, 5);
		CU_ASSERT_PTR_NOT_NULL(dp_mfc_insert(c, &s));
	}
	CU_ASSERT_EQUAL(dp_mfc_count(c), NF);
	CU_ASSERT_EQUAL(dp_mfc_counters(c)->evicted, 1); /* test_kill_then_reap's */
	CU_ASSERT_EQUAL(dp_mfc_invalidate_tags(c, &port1, 1), NF / 2);
	while (dp_mfc_reap(c, 64) > 0)
		;
	CU_ASSERT_EQUAL(dp_mfc_dead_count(c), 0);
	CU_ASSERT_EQUAL(dp_mfc_count(c), NF / 2);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "mflow_reap_test", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("megaflow two-step removal", setup, teardown);
	CU_add_test(s, "killed: no match anywhere before reaping; slots reused after",
		    test_kill_then_reap);
	CU_add_test(s, "flush with killed megaflows pending", test_flush_with_killed);
	return t_run_all();
}
