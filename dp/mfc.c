/* SPDX-License-Identifier: BSD-3-Clause
 * dp/mfc.c — the per-PMD megaflow classifier (tuple-space search).
 *
 * Structure.  Megaflows live in one pool array allocated at create time
 * (max_flows slots, about 800 bytes each); free slots sit on a LIFO stack
 * handed out lowest index first, so scans stop at a high-water mark instead
 * of max_flows.  A slot's generation is bumped whenever it is freed, which
 * lets the EMC hold {idx, gen} instead of a pointer.
 *
 * Every distinct mask gets a subtable: the mask, the list of its non-zero
 * 64-bit words, an rte_hash of masked key -> megaflow, a decayed hit count
 * and a flow count.  Only the non-zero words are masked and hashed (CRC32C
 * chained over those words); the hash value is computed here and handed to
 * rte_hash's *_with_hash calls, so rte_hash never hashes 128 bytes itself.
 *
 * Lookup takes a burst (<= 64 keys) and walks the subtables in rank order.
 * Per subtable: mask and hash every still-unmatched key into a compact
 * scratch array, one bulk rte_hash lookup, mark the hits, and stop as soon
 * as every key has matched.  The scratch keys are reused between subtables:
 * a 16-bit "dirty" word set tracks which words may be non-zero, so moving to
 * the next subtable only zeroes the words the new mask does not cover.
 * Cost: O(subtables visited x unmatched keys x mask words) CRC steps plus one
 * bulk hash probe per subtable visited.  Every 1024 counted bursts the rank
 * array is re-sorted by hit count (insertion sort, nearly sorted already)
 * and the counts are halved so the ranking follows the current traffic.
 *
 * Insert and remove are the slow path (miss / revalidation): finding the
 * subtable for a mask is a linear scan over the live subtables.  A subtable
 * whose last flow goes away leaves the rank array; its slot, and the rte_hash
 * behind it, are kept and recycled for the next new mask (no rte_hash_create
 * on the PMD after warm-up).  Memory cost: each subtable's rte_hash is sized
 * to max_flows (a single mask may hold every flow), about 150 bytes a flow,
 * so the worst case is max_subtables x max_flows x ~150 bytes per PMD.
 *
 * Threads: the owning PMD only; no locks, no atomics (see megaflow.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "megaflow.h"

#define DP_MFC_BURST_MAX   64     /* == RTE_HASH_LOOKUP_BULK_MAX */
#define DP_MFC_RERANK      1024   /* counted bursts between re-rankings */
#define DP_MFC_HASH_SEED   0x2f6b9a1du
#define DP_MFC_NAME_MAX    RTE_HASH_NAMESIZE
/* rte_hash derives ring names ("RG_HT_EXT_<name>") from the hash name and
 * those must fit in a 32-byte memzone name: keep hash names this short. */
#define DP_MFC_HASH_NAME_MAX 21

struct dp_mfc_subtable {
	struct dp_flow_key mask;
	uint8_t words[DP_FLOW_KEY_WORDS]; /* indices of the non-zero mask words */
	uint32_t n_words;
	uint32_t word_bits;               /* the same, as a bit set */
	uint32_t id;                      /* slot in c->subtables */
	uint32_t n_flows;
	uint64_t hits;                    /* decayed at every re-rank */
	struct rte_hash *hash;            /* kept across recycling */
	uint32_t capacity;                /* entries the hash was created with */
	int in_use;
} __rte_cache_aligned;

struct dp_mfc {
	char name[DP_MFC_NAME_MAX];
	uint32_t max_flows;
	uint32_t max_subtables;
	int socket_id;
	uint32_t n_live;
	uint32_t hwm;                     /* slots >= hwm were never used */
	uint32_t n_free;
	uint32_t n_ranked;
	uint32_t bursts;                  /* counted bursts since last re-rank */
	uint32_t hash_seq;                /* unique suffix for rte_hash names */
	uint32_t *free_slots;             /* stack; top = next slot to use */
	struct dp_megaflow *flows;        /* the pool, max_flows slots */
	struct dp_mfc_subtable *subtables;/* max_subtables slots */
	struct dp_mfc_subtable **ranked;  /* live subtables, best first */
};

/* CRC32C over the mask's non-zero words of an already masked key. */
static inline uint32_t
mfc_hash(const struct dp_mfc_subtable *st, const dp_kword *w)
{
	uint32_t h = DP_MFC_HASH_SEED;

	for (uint32_t i = 0; i < st->n_words; i++)
		h = rte_hash_crc_8byte(w[st->words[i]], h);
	return h;
}

static void
mfc_rerank(struct dp_mfc *c)
{
	struct dp_mfc_subtable **r = c->ranked;

	/* Insertion sort, descending by hits; stable, so ties keep order. */
	for (uint32_t i = 1; i < c->n_ranked; i++) {
		struct dp_mfc_subtable *st = r[i];
		uint32_t j = i;

		while (j > 0 && r[j - 1]->hits < st->hits) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = st;
	}
	for (uint32_t i = 0; i < c->n_ranked; i++)
		r[i]->hits >>= 1;
	c->bursts = 0;
}

/* The shared lookup loop; 'count' is a compile-time constant at each call
 * site, so the single-key path carries no statistics code. */
static inline unsigned
mfc_lookup(struct dp_mfc *c, const struct dp_flow_key *const keys[], unsigned n,
	   struct dp_megaflow *flows[], const int count)
{
	struct dp_flow_key masked[DP_MFC_BURST_MAX];
	const void *kp[DP_MFC_BURST_MAX];
	hash_sig_t sig[DP_MFC_BURST_MAX];
	void *data[DP_MFC_BURST_MAX];
	uint8_t map[DP_MFC_BURST_MAX];
	uint64_t todo, tsc = 0;
	uint32_t dirty = (1u << DP_FLOW_KEY_WORDS) - 1; /* scratch is garbage */
	unsigned hits = 0;

	if (unlikely(n == 0))
		return 0;
	if (unlikely(n > DP_MFC_BURST_MAX))
		n = DP_MFC_BURST_MAX;
	for (unsigned i = 0; i < n; i++)
		flows[i] = NULL;
	todo = n == 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
	if (count)
		tsc = rte_rdtsc();

	for (uint32_t r = 0; r < c->n_ranked && todo; r++) {
		const struct dp_mfc_subtable *st = c->ranked[r];
		const dp_kword *mw = dp_key_words(&st->mask);
		uint32_t clear = dirty & ~st->word_bits;
		uint64_t hit_mask = 0;
		unsigned m = 0;
		int ret;

		if (r + 1 < c->n_ranked)
			rte_prefetch0(c->ranked[r + 1]);

		for (uint64_t t = todo; t; t &= t - 1) {
			unsigned i = (unsigned)__builtin_ctzll(t);
			const dp_kword *kw = dp_key_words(keys[i]);
			dp_kword *o = dp_key_words_rw(&masked[m]);
			uint32_t h = DP_MFC_HASH_SEED;

			for (uint32_t z = clear; z; z &= z - 1)
				o[__builtin_ctz(z)] = 0;
			for (uint32_t j = 0; j < st->n_words; j++) {
				unsigned w = st->words[j];

				o[w] = kw[w] & mw[w];
				h = rte_hash_crc_8byte(o[w], h);
			}
			kp[m] = o;
			sig[m] = h;
			map[m] = (uint8_t)i;
			m++;
		}
		/* Scratch slots 0..m-1 now have non-zero words only in this mask;
		 * later subtables see at most m keys, so this holds for them. */
		dirty = st->word_bits;

		ret = rte_hash_lookup_with_hash_bulk_data(st->hash, kp, sig, m, &hit_mask, data);
		if (ret <= 0)
			continue;
		hits += (unsigned)ret;
		if (count)
			c->ranked[r]->hits += (unsigned)ret;
		for (; hit_mask; hit_mask &= hit_mask - 1) {
			unsigned j = (unsigned)__builtin_ctzll(hit_mask);
			unsigned i = map[j];
			struct dp_megaflow *f = data[j];

			flows[i] = f;
			todo &= ~(UINT64_C(1) << i);
			if (count) /* hit counts are the caller's, per group */
				f->used_tsc = tsc;
		}
	}
	if (count && unlikely(++c->bursts >= DP_MFC_RERANK))
		mfc_rerank(c);
	return hits;
}

unsigned
dp_mfc_lookup_burst(struct dp_mfc *c, const struct dp_flow_key *const keys[], unsigned n,
		    struct dp_megaflow *flows[])
{
	return mfc_lookup(c, keys, n, flows, 1);
}

struct dp_megaflow *
dp_mfc_lookup(struct dp_mfc *c, const struct dp_flow_key *key)
{
	struct dp_megaflow *f = NULL;

	mfc_lookup(c, &key, 1, &f, 0);
	return f;
}

/* ---- subtables ---------------------------------------------------------- */

static struct dp_mfc_subtable *
mfc_subtable_find(struct dp_mfc *c, const struct dp_flow_key *mask)
{
	for (uint32_t r = 0; r < c->n_ranked; r++)
		if (dp_key_equal(&c->ranked[r]->mask, mask))
			return c->ranked[r];
	return NULL;
}

/* A subtable for a new mask: recycle a free slot (and its rte_hash). */
/* Subtables start small and grow by 4x when full, so a mask costs memory in
 * proportion to its flows (not max_flows x ~150 bytes each) and creating one
 * on the miss path stays cheap. */
#define MFC_SUBTABLE_MIN 256u

static struct rte_hash *
mfc_hash_create(struct dp_mfc *c, uint32_t entries)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = name,
		.entries = RTE_MAX(entries, 8u),
		.key_len = sizeof(struct dp_flow_key),
		.hash_func = rte_hash_crc,
		.hash_func_init_val = 0,
		.socket_id = c->socket_id,
		/* extendable buckets: never refuses a key below capacity */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	int n = snprintf(name, sizeof(name), "%s_%x", c->name, c->hash_seq++);
	if (n < 0 || n > 21) { /* DPDK derives longer ring names from it */
		rte_errno = ENAMETOOLONG;
		return NULL;
	}
	return rte_hash_create(&p);
}

/* Move a full subtable into a hash four times larger. */
static int
mfc_subtable_grow(struct dp_mfc *c, struct dp_mfc_subtable *st)
{
	uint32_t cap = RTE_MIN(c->max_flows, st->capacity * 4);
	if (cap <= st->capacity)
		return -ENOSPC;
	struct rte_hash *nh = mfc_hash_create(c, cap);
	if (nh == NULL)
		return -rte_errno;
	const void *k;
	void *d;
	uint32_t it = 0;
	while (rte_hash_iterate(st->hash, &k, &d, &it) >= 0) {
		int r = rte_hash_add_key_with_hash_data(nh, k, mfc_hash(st, k), d);
		if (r < 0) {
			rte_hash_free(nh);
			return r;
		}
	}
	rte_hash_free(st->hash);
	st->hash = nh;
	st->capacity = cap;
	return 0;
}

static struct dp_mfc_subtable *
mfc_subtable_new(struct dp_mfc *c, const struct dp_flow_key *mask)
{
	struct dp_mfc_subtable *st = NULL;
	const dp_kword *mw = dp_key_words(mask);

	if (c->n_ranked >= c->max_subtables) {
		rte_errno = ENOSPC;
		return NULL;
	}
	/* Prefer a slot that already owns an rte_hash. */
	for (uint32_t i = 0; i < c->max_subtables; i++) {
		struct dp_mfc_subtable *s = &c->subtables[i];

		if (s->in_use)
			continue;
		if (s->hash) {
			st = s;
			break;
		}
		if (!st)
			st = s;
	}
	if (!st->hash) {
		st->hash = mfc_hash_create(c, RTE_MIN(c->max_flows, MFC_SUBTABLE_MIN));
		if (!st->hash)
			return NULL; /* rte_errno set */
		st->capacity = RTE_MIN(c->max_flows, MFC_SUBTABLE_MIN);
	}
	st->mask = *mask;
	st->n_words = 0;
	st->word_bits = 0;
	for (uint32_t w = 0; w < DP_FLOW_KEY_WORDS; w++) {
		if (mw[w]) {
			st->words[st->n_words++] = (uint8_t)w;
			st->word_bits |= 1u << w;
		}
	}
	st->n_flows = 0;
	st->hits = 0;
	st->in_use = 1;
	c->ranked[c->n_ranked++] = st; /* new masks start at the bottom */
	return st;
}

/* The subtable's last flow went away: drop it from the rank array. */
static void
mfc_subtable_release(struct dp_mfc *c, struct dp_mfc_subtable *st)
{
	for (uint32_t r = 0; r < c->n_ranked; r++) {
		if (c->ranked[r] != st)
			continue;
		memmove(&c->ranked[r], &c->ranked[r + 1],
			(c->n_ranked - r - 1) * sizeof(c->ranked[0]));
		c->n_ranked--;
		break;
	}
	st->in_use = 0;
	st->n_flows = 0;
	st->hits = 0;
}

/* ---- create / destroy --------------------------------------------------- */

struct dp_mfc *
dp_mfc_create(const char *name, uint32_t max_flows, uint32_t max_subtables, int socket_id)
{
	char probe[64];
	struct dp_mfc *c;

	if (!name || !*name || max_flows == 0 || max_subtables == 0 ||
	    max_flows > (UINT32_MAX >> 2)) {
		rte_errno = EINVAL;
		return NULL;
	}
	/* The longest subtable hash name must fit rte_hash's ring names. */
	if (snprintf(probe, sizeof(probe), "%s_%u", name, max_subtables - 1) >
	    DP_MFC_HASH_NAME_MAX) {
		rte_errno = ENAMETOOLONG;
		return NULL;
	}
	c = rte_zmalloc_socket("dp_mfc", sizeof(*c), RTE_CACHE_LINE_SIZE, socket_id);
	if (!c)
		goto nomem;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->max_flows = max_flows;
	c->max_subtables = max_subtables;
	c->socket_id = socket_id;
	c->flows = rte_zmalloc_socket("dp_mfc_pool", (size_t)max_flows * sizeof(c->flows[0]),
				      RTE_CACHE_LINE_SIZE, socket_id);
	c->free_slots = rte_malloc_socket("dp_mfc_free", (size_t)max_flows * sizeof(uint32_t),
					  RTE_CACHE_LINE_SIZE, socket_id);
	c->subtables = rte_zmalloc_socket("dp_mfc_st",
					  (size_t)max_subtables * sizeof(c->subtables[0]),
					  RTE_CACHE_LINE_SIZE, socket_id);
	c->ranked = rte_zmalloc_socket("dp_mfc_rank", (size_t)max_subtables * sizeof(void *),
				       RTE_CACHE_LINE_SIZE, socket_id);
	if (!c->flows || !c->free_slots || !c->subtables || !c->ranked)
		goto nomem;
	for (uint32_t i = 0; i < max_flows; i++) {
		c->flows[i].idx = i;
		c->free_slots[i] = max_flows - 1 - i; /* slot 0 on top */
	}
	c->n_free = max_flows;
	for (uint32_t i = 0; i < max_subtables; i++)
		c->subtables[i].id = i;
	return c;
nomem:
	dp_mfc_destroy(c);
	rte_errno = ENOMEM;
	return NULL;
}

void
dp_mfc_destroy(struct dp_mfc *c)
{
	if (!c)
		return;
	if (c->subtables)
		for (uint32_t i = 0; i < c->max_subtables; i++)
			rte_hash_free(c->subtables[i].hash);
	rte_free(c->ranked);
	rte_free(c->subtables);
	rte_free(c->free_slots);
	rte_free(c->flows);
	rte_free(c);
}

/* ---- insert / remove ---------------------------------------------------- */

struct dp_megaflow *
dp_mfc_insert(struct dp_mfc *c, const struct dp_megaflow_spec *spec)
{
	struct dp_flow_key masked;
	struct dp_mfc_subtable *st;
	struct dp_megaflow *f;
	void *found;
	uint32_t h = 0, idx;
	int ret;

	if (!c || !spec || spec->n_actions > DP_MAX_ACTIONS || spec->n_tags > DP_MAX_TAGS ||
	    spec->n_flood > DP_MAX_FLOOD) {
		rte_errno = EINVAL;
		return NULL;
	}
	dp_key_and(&masked, &spec->key, &spec->mask);
	st = mfc_subtable_find(c, &spec->mask);
	if (st) {
		h = mfc_hash(st, dp_key_words(&masked));
		if (rte_hash_lookup_with_hash_data(st->hash, &masked, h, &found) >= 0)
			return found;
	}
	if (c->n_free == 0) {
		rte_errno = ENOSPC;
		return NULL;
	}
	if (!st) {
		st = mfc_subtable_new(c, &spec->mask);
		if (!st)
			return NULL;
		h = mfc_hash(st, dp_key_words(&masked));
	}
	if (st->n_flows >= st->capacity && (ret = mfc_subtable_grow(c, st)) < 0) {
		rte_errno = -ret;
		return NULL;
	}
	idx = c->free_slots[c->n_free - 1];
	f = &c->flows[idx];
	ret = rte_hash_add_key_with_hash_data(st->hash, &masked, h, f);
	if (ret < 0) {
		if (st->n_flows == 0)
			mfc_subtable_release(c, st);
		rte_errno = -ret;
		return NULL;
	}
	c->n_free--;
	f->key = masked;
	f->mask = spec->mask;
	f->subtable = st->id;
	f->n_actions = spec->n_actions;
	f->n_tags = spec->n_tags;
	f->n_flood = spec->n_flood;
	f->hits = 0;
	f->bytes = 0;
	f->created_tsc = rte_rdtsc();
	f->used_tsc = f->created_tsc;
	memcpy(f->tags, spec->tags, sizeof(f->tags));
	memcpy(f->actions, spec->actions, sizeof(f->actions));
	memcpy(f->flood_ports, spec->flood_ports, sizeof(f->flood_ports));
	f->live = 1;
	st->n_flows++;
	c->n_live++;
	if (idx >= c->hwm)
		c->hwm = idx + 1;
	return f;
}

static void
mfc_slot_free(struct dp_mfc *c, struct dp_megaflow *f)
{
	f->live = 0;
	f->gen++;
	c->free_slots[c->n_free++] = f->idx;
	c->n_live--;
}

void
dp_mfc_remove(struct dp_mfc *c, struct dp_megaflow *f)
{
	struct dp_mfc_subtable *st;

	if (!c || !f || f < c->flows || f >= c->flows + c->max_flows || !f->live)
		return;
	st = &c->subtables[f->subtable];
	rte_hash_del_key_with_hash(st->hash, &f->key, mfc_hash(st, dp_key_words(&f->key)));
	mfc_slot_free(c, f);
	if (--st->n_flows == 0)
		mfc_subtable_release(c, st);
}

void
dp_mfc_flush(struct dp_mfc *c)
{
	if (!c)
		return;
	while (c->n_ranked > 0) {
		struct dp_mfc_subtable *st = c->ranked[c->n_ranked - 1];

		rte_hash_reset(st->hash);
		mfc_subtable_release(c, st);
	}
	for (uint32_t i = 0; i < c->hwm; i++) {
		if (c->flows[i].live) {
			c->flows[i].live = 0;
			c->flows[i].gen++;
		}
	}
	for (uint32_t i = 0; i < c->max_flows; i++)
		c->free_slots[i] = c->max_flows - 1 - i;
	c->n_free = c->max_flows;
	c->n_live = 0;
	c->hwm = 0;
	c->bursts = 0;
}

/* Linear scan over the used part of the pool: O(hwm x tags per flow x n).
 * At 64k flows and a handful of tags this is a few hundred microseconds on
 * the PMD, paid once per control-plane change, not per packet. */
unsigned
dp_mfc_invalidate_tags(struct dp_mfc *c, const uint64_t *tags, unsigned n)
{
	unsigned removed = 0;

	if (!c || !tags || n == 0)
		return 0;
	for (uint32_t i = 0; i < c->hwm; i++) {
		struct dp_megaflow *f = &c->flows[i];
		int hit = 0;

		if (!f->live)
			continue;
		for (unsigned t = 0; t < f->n_tags && !hit; t++)
			for (unsigned j = 0; j < n; j++)
				if (f->tags[t] == tags[j]) {
					hit = 1;
					break;
				}
		if (hit) {
			dp_mfc_remove(c, f);
			removed++;
		}
	}
	return removed;
}

/* ---- queries ------------------------------------------------------------ */

uint32_t
dp_mfc_count(const struct dp_mfc *c)
{
	return c ? c->n_live : 0;
}

uint32_t
dp_mfc_subtable_count(const struct dp_mfc *c)
{
	return c ? c->n_ranked : 0;
}

void
dp_mfc_foreach(struct dp_mfc *c, int (*cb)(const struct dp_megaflow *f, void *arg), void *arg)
{
	if (!c || !cb)
		return;
	for (uint32_t i = 0; i < c->hwm; i++)
		if (c->flows[i].live && cb(&c->flows[i], arg))
			return;
}

struct dp_megaflow *
dp_mfc_get(struct dp_mfc *c, uint32_t idx, uint32_t gen)
{
	struct dp_megaflow *f;

	if (unlikely(idx >= c->max_flows))
		return NULL;
	f = &c->flows[idx];
	return (f->live && f->gen == gen) ? f : NULL;
}
