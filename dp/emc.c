/* SPDX-License-Identifier: BSD-3-Clause
 * dp/emc.c — the per-PMD exact-match cache in front of the megaflow classifier.
 *
 * Structure.  A power-of-two array of 192-byte, cache-aligned entries
 * {hash, megaflow idx, megaflow gen, full 128-byte key}; hash 0 marks an
 * empty entry (dp_emc_hash never returns 0).  It is 2-way set associative:
 * a key may live in entry (hash & (n-1) & ~1) or the one after it.
 *
 * Lookup: compare the 32-bit hash of both ways, then the full key (vector
 * compare where the compiler targets SSE2/AVX2), then ask the classifier
 * whether {idx, gen} is still a live megaflow.  A dead megaflow is a miss,
 * and the entry is emptied on the spot so that the following insert reuses
 * it.  Cost of a hit: one cache line of metadata per way tried, the two key
 * lines of the matching way, and one line of the megaflow pool.
 *
 * Insert is probabilistic (1 in inv_prob; 1 = always, 0 = never), drawn from
 * a per-EMC xorshift generator with a multiply instead of a division.  The
 * victim is: the way already holding this key, else an empty way (empty
 * because never used, cleared, or found dead by a lookup), else the two ways
 * alternately.  The EMC keeps no pointer to the classifier; an entry whose
 * megaflow died and is never looked up again just waits to be overwritten.
 *
 * Bypass (emc.h): a per-window hit rate below min_hit_pct stops the probes
 * but for one burst in DP_EMC_SAMPLE, which keep measuring; the EMC's
 * contents are kept, so a workload that shrinks back finds them.
 *
 * The hash covers only the words that differ between flows (metadata,
 * VLAN/ethertype, MACs, L4 ports, IP addresses): 9 CRC32C steps in two
 * independent chains so the CPU runs them in parallel.
 *
 * Threads: the owning PMD only; no locks, no atomics.
 */
#include <errno.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#if defined(__SSE2__)
#include <x86intrin.h>
#endif

#include "emc.h"

#define DP_EMC_DEFAULT_INV_PROB 100

struct dp_emc_entry {
	uint32_t hash;          /* 0: empty */
	uint32_t mf_idx;
	uint32_t mf_gen;
	uint32_t pad;
	struct dp_flow_key key;
} __rte_cache_aligned;

struct dp_emc {
	struct dp_emc_entry *ents;
	uint32_t mask;          /* entries - 1 */
	uint32_t inv_prob;
	uint64_t rng;           /* xorshift64 state, never 0 */
	uint32_t flip;          /* alternating victim way */
	/* bypass (emc.h): the current window's counts, the threshold, the
	 * state and the burst counter that picks the sampled bursts */
	uint32_t win_lookups, win_hits;
	uint32_t min_hit_pct;
	bool bypass;
	uint32_t tick;
};

static inline uint32_t
emc_crc64(uint64_t v, uint32_t h)
{
#if defined(__SSE4_2__) && defined(__x86_64__)
	return (uint32_t)_mm_crc32_u64(h, v);
#else
	return rte_hash_crc_8byte(v, h);
#endif
}

uint32_t
dp_emc_hash(const struct dp_flow_key *k)
{
	const dp_kword *w = dp_key_words(k);
	uint32_t a = 0x6a09e667u, b = 0xbb67ae85u, h;

	a = emc_crc64(w[0], a);   /* recirc, in_port, ct_state, frag */
	b = emc_crc64(w[1], b);   /* ct_zone, vlans, eth_type */
	a = emc_crc64(w[6], a);   /* MACs */
	b = emc_crc64(w[7], b);   /* MACs, arp_op, proto, tos */
	a = emc_crc64(w[8], a);   /* ttl, tcp flags, ports */
	b = emc_crc64(w[9], b);   /* ip_src */
	a = emc_crc64(w[10], a);
	b = emc_crc64(w[11], b);  /* ip_dst */
	a = emc_crc64(w[12], a);
	h = a ^ ((b << 16) | (b >> 16));
	return h ? h : 1;
}

/* Full 128-byte key equality. */
static inline int
emc_key_eq(const struct dp_flow_key *x, const struct dp_flow_key *y)
{
#if defined(__AVX2__)
	const __m256i *p = (const __m256i *)(const void *)x;
	const __m256i *q = (const __m256i *)(const void *)y;
	__m256i d0 = _mm256_xor_si256(_mm256_loadu_si256(p), _mm256_loadu_si256(q));
	__m256i d1 = _mm256_xor_si256(_mm256_loadu_si256(p + 1), _mm256_loadu_si256(q + 1));
	__m256i d2 = _mm256_xor_si256(_mm256_loadu_si256(p + 2), _mm256_loadu_si256(q + 2));
	__m256i d3 = _mm256_xor_si256(_mm256_loadu_si256(p + 3), _mm256_loadu_si256(q + 3));

	d0 = _mm256_or_si256(_mm256_or_si256(d0, d1), _mm256_or_si256(d2, d3));
	return _mm256_testz_si256(d0, d0);
#elif defined(__SSE2__)
	const __m128i *p = (const __m128i *)(const void *)x;
	const __m128i *q = (const __m128i *)(const void *)y;
	__m128i d = _mm_setzero_si128();

	for (int i = 0; i < 8; i++)
		d = _mm_or_si128(d, _mm_xor_si128(_mm_loadu_si128(p + i), _mm_loadu_si128(q + i)));
	return _mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128())) == 0xffff;
#else
	const dp_kword *p = dp_key_words(x), *q = dp_key_words(y);
	uint64_t d = 0;

	for (unsigned i = 0; i < DP_FLOW_KEY_WORDS; i++)
		d |= p[i] ^ q[i];
	return d == 0;
#endif
}

struct dp_emc *
dp_emc_create(uint32_t entries, int socket_id)
{
	struct dp_emc *e;

	if (entries < 2 || (entries & (entries - 1)) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	e = rte_zmalloc_socket("dp_emc", sizeof(*e), RTE_CACHE_LINE_SIZE, socket_id);
	if (!e)
		goto nomem;
	e->ents = rte_zmalloc_socket("dp_emc_ents", (size_t)entries * sizeof(e->ents[0]),
				     RTE_CACHE_LINE_SIZE, socket_id);
	if (!e->ents)
		goto nomem;
	e->mask = entries - 1;
	e->inv_prob = DP_EMC_DEFAULT_INV_PROB;
	e->rng = rte_rdtsc() ^ ((uint64_t)(uintptr_t)e << 17) ^ 0x9e3779b97f4a7c15ull;
	if (e->rng == 0)
		e->rng = 0x9e3779b97f4a7c15ull;
	return e;
nomem:
	dp_emc_destroy(e);
	rte_errno = ENOMEM;
	return NULL;
}

void
dp_emc_destroy(struct dp_emc *e)
{
	if (!e)
		return;
	rte_free(e->ents);
	rte_free(e);
}

void
dp_emc_set_insert_inv_prob(struct dp_emc *e, uint32_t inv_prob)
{
	e->inv_prob = inv_prob;
}

void
dp_emc_set_min_hit_pct(struct dp_emc *e, uint32_t pct)
{
	e->min_hit_pct = pct > 100 ? 100 : pct;
	if (e->min_hit_pct == 0)
		e->bypass = false;
}

bool
dp_emc_use(struct dp_emc *e)
{
	if (likely(!e->bypass))
		return true;
	return (++e->tick % DP_EMC_SAMPLE) == 0;
}

void
dp_emc_account(struct dp_emc *e, unsigned lookups, unsigned hits)
{
	e->win_lookups += lookups;
	e->win_hits += hits;
	if (likely(e->win_lookups < DP_EMC_WINDOW))
		return;
	e->bypass = e->min_hit_pct != 0 &&
		    (uint64_t)e->win_hits * 100 < (uint64_t)e->win_lookups * e->min_hit_pct;
	e->win_lookups = e->win_hits = 0;
}

bool
dp_emc_bypassed(const struct dp_emc *e)
{
	return e->bypass;
}

void
dp_emc_clear(struct dp_emc *e)
{
	if (e)
		memset(e->ents, 0, ((size_t)e->mask + 1) * sizeof(e->ents[0]));
}

struct dp_megaflow *
dp_emc_lookup(struct dp_emc *e, struct dp_mfc *c, const struct dp_flow_key *k, uint32_t hash)
{
	struct dp_emc_entry *b = &e->ents[hash & e->mask & ~1u];

	for (int w = 0; w < 2; w++) {
		struct dp_emc_entry *ent = &b[w];
		struct dp_megaflow *f;

		if (ent->hash != hash || !emc_key_eq(&ent->key, k))
			continue;
		f = dp_mfc_get(c, ent->mf_idx, ent->mf_gen);
		if (likely(f != NULL))
			return f;
		ent->hash = 0; /* dead megaflow: free the way for the next insert */
		return NULL;
	}
	return NULL;
}

/* True with probability ~1/inv_prob (inv_prob >= 2). */
static inline int
emc_chance(struct dp_emc *e)
{
	uint64_t x = e->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	e->rng = x;
	return (((x >> 32) * (uint64_t)e->inv_prob) >> 32) == 0;
}

void
dp_emc_insert(struct dp_emc *e, const struct dp_flow_key *k, uint32_t hash,
	      const struct dp_megaflow *f)
{
	struct dp_emc_entry *b, *ent;

	if (e->inv_prob == 0 || f == NULL || hash == 0)
		return;
	if (e->inv_prob > 1 && !emc_chance(e))
		return;
	b = &e->ents[hash & e->mask & ~1u];
	if (b[0].hash == hash && emc_key_eq(&b[0].key, k))
		ent = &b[0];
	else if (b[1].hash == hash && emc_key_eq(&b[1].key, k))
		ent = &b[1];
	else if (b[0].hash == 0)
		ent = &b[0];
	else if (b[1].hash == 0)
		ent = &b[1];
	else {
		e->flip ^= 1;
		ent = &b[e->flip];
	}
	ent->hash = hash;
	ent->mf_idx = f->idx;
	ent->mf_gen = f->gen;
	ent->key = *k;
}

void dp_emc_prefetch(const struct dp_emc *e, uint32_t hash)
{
	const struct dp_emc_entry *b = &e->ents[hash & e->mask & ~1u];
	/* way 0: hash + most of the key; way 1: its hash line */
	rte_prefetch0(b);
	rte_prefetch0((const char *)b + RTE_CACHE_LINE_SIZE);
	rte_prefetch0((const char *)b + 2 * RTE_CACHE_LINE_SIZE);
	rte_prefetch0(&b[1]);
}
