/* SPDX-License-Identifier: BSD-3-Clause
 * dp/mfc.c — the per-PMD megaflow classifier (tuple-space search): lookup,
 * subtables, insert and remove.  The lifecycle (tag index, idle aging, LRU
 * eviction) is mfc_life.c.
 *
 * Structure.  Megaflows live in one pool array allocated at create time
 * (max_flows slots, about 850 bytes each); free slots sit on a LIFO stack
 * handed out lowest index first, so scans stop at a high-water mark instead
 * of max_flows.  A slot's generation is bumped whenever it is freed, which
 * lets the EMC hold {idx, gen} instead of a pointer.
 *
 * Every distinct mask gets a subtable: the mask, the list of its non-zero
 * 64-bit words, a hash seed, a decayed hit count and a flow count.  All
 * subtables share ONE rte_hash of max_flows entries (extendable buckets:
 * never refuses a key below capacity), keyed by the masked key with the
 * subtable id written into the key's last two bytes (pad2, zero in every
 * packet key; masks never cover it), so equal masked keys of two masks stay
 * apart.  It is created with the classifier: the PMD never calls
 * rte_hash_create/free (which take EAL locks and memzones).  Only the
 * non-zero words are masked and hashed (CRC32C chained over those words,
 * seeded per subtable); the hash value is handed to rte_hash's *_with_hash
 * calls, so rte_hash never hashes 128 bytes itself.
 *
 * Lookup takes a burst (<= 64 keys) and walks the subtables in rank order.
 * Per subtable: mask and hash every still-unmatched key into a compact
 * scratch array, one bulk rte_hash lookup, mark the hits, and stop as soon
 * as every key has matched.  The scratch keys are reused between subtables:
 * a 16-bit "dirty" word set tracks which words may be non-zero, so moving to
 * the next subtable only zeroes the words the new mask does not cover (word
 * 15, which carries the subtable id, is rewritten for every key).
 * Cost: O(subtables visited x unmatched keys x mask words) CRC steps plus one
 * bulk hash probe per subtable visited.  Every 1024 counted bursts the rank
 * array is re-sorted by hit count (insertion sort, nearly sorted already)
 * and the counts are halved so the ranking follows the current traffic.
 *
 * Insert and remove are the slow path (miss / revalidation): finding the
 * subtable for a mask is a linear scan over the live subtables.
 *
 * Threads: the owning PMD only; no locks, no atomics (see mfc.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "mfc_priv.h"

#define DP_MFC_BURST_MAX   64     /* == RTE_HASH_LOOKUP_BULK_MAX */
#define DP_MFC_RERANK      1024   /* counted bursts between re-rankings */
/* rte_hash derives ring names ("RG_HT_EXT_<name>") from the hash name and
 * those must fit in a 32-byte memzone name: keep hash names this short. */
#define DP_MFC_HASH_NAME_MAX 21

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
	/* scratch slots >= hw are garbage; slots below it may be non-zero only
	 * in the words of `dirty`.  Word 15 is rewritten for every key anyway. */
	const uint32_t all = ((1u << DP_FLOW_KEY_WORDS) - 1) & ~(1u << MFC_ID_WORD);
	uint32_t dirty = 0;
	unsigned hits = 0, hw = 0;

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
		uint32_t clear_old = dirty & ~st->word_bits, clear_new = all & ~st->word_bits;
		uint32_t rids = st->rid_bits;
		uint64_t hit_mask = 0, keep = st->keep_id_word, idw = st->id_word;
		unsigned m = 0;
		int ret;

		if (r + 1 < c->n_ranked)
			rte_prefetch0(c->ranked[r + 1]);

		for (uint64_t t = todo; t; t &= t - 1) {
			unsigned i = (unsigned)__builtin_ctzll(t);
			/* no megaflow of this key's pass here */
			if (!(rids & mfc_rid_bit(keys[i]->recirc_id)))
				continue;
			const dp_kword *kw = dp_key_words(keys[i]);
			dp_kword *o = dp_key_words_rw(&masked[m]);
			uint32_t h = st->seed;

			for (uint32_t z = m < hw ? clear_old : clear_new; z; z &= z - 1)
				o[__builtin_ctz(z)] = 0;
			for (uint32_t j = 0; j < st->n_words; j++) {
				unsigned w = st->words[j];

				o[w] = kw[w] & mw[w];
				h = rte_hash_crc_8byte(o[w], h);
			}
			o[MFC_ID_WORD] = (o[MFC_ID_WORD] & keep) | idw;
			kp[m] = o;
			sig[m] = h;
			map[m] = (uint8_t)i;
			m++;
		}
		/* Scratch slots 0..m-1 now have non-zero words only in this
		 * mask; those from m to hw keep what they had. */
		if (m >= hw) {
			dirty = st->word_bits;
			hw = m;
		} else {
			dirty |= st->word_bits;
		}
		if (m == 0)
			continue;
		ret = rte_hash_lookup_with_hash_bulk_data(c->hash, kp, sig, m, &hit_mask, data);
		if (ret <= 0)
			continue;
		unsigned got = 0;
		for (; hit_mask; hit_mask &= hit_mask - 1) {
			unsigned j = (unsigned)__builtin_ctzll(hit_mask);
			unsigned i = map[j];
			struct dp_megaflow *f = data[j];

			/* killed, not reaped yet: no match here (a later
			 * subtable may still hold a live one) */
			if (unlikely(!f->live))
				continue;
			flows[i] = f;
			todo &= ~(UINT64_C(1) << i);
			got++;
			if (count) /* hit counts are the caller's, per group */
				f->used_tsc = tsc;
		}
		hits += got;
		if (count)
			c->ranked[r]->hits += got;
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

/* A subtable for a new mask: a free slot; no allocation. */
static struct dp_mfc_subtable *
mfc_subtable_new(struct dp_mfc *c, const struct dp_flow_key *mask)
{
	struct dp_mfc_subtable *st = NULL;
	const dp_kword *mw = dp_key_words(mask);

	if (c->n_ranked >= c->max_subtables) {
		rte_errno = ENOSPC;
		return NULL;
	}
	for (uint32_t i = 0; i < c->max_subtables && !st; i++)
		if (!c->subtables[i].in_use)
			st = &c->subtables[i];
	st->mask = *mask;
	st->n_words = 0;
	st->word_bits = 0;
	for (uint32_t w = 0; w < DP_FLOW_KEY_WORDS; w++) {
		if (mw[w]) {
			st->words[st->n_words++] = (uint8_t)w;
			if (w != MFC_ID_WORD)
				st->word_bits |= 1u << w;
		}
	}
	st->keep_id_word = mw[MFC_ID_WORD] ? UINT64_MAX : 0;
	st->id_word = (uint64_t)(st->id + 1) << MFC_ID_SHIFT;
	st->seed = DP_MFC_HASH_SEED ^ (st->id * 0x9e3779b9u);
	st->n_flows = 0;
	st->hits = 0;
	st->rid_bits = 0;
	memset(st->rid_n, 0, sizeof(st->rid_n));
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
	st->rid_bits = 0;
}

/* A megaflow of key k joins (+1) or leaves (-1) subtable st. */
static void
mfc_rid_count(struct dp_mfc_subtable *st, const struct dp_flow_key *k, int d)
{
	unsigned b = st->mask.recirc_id != UINT32_MAX ? MFC_RID_ANY
		   : (unsigned)__builtin_ctz(mfc_rid_bit(k->recirc_id));

	st->rid_n[b] += (uint32_t)d;
	st->rid_bits = 0;
	if (st->rid_n[MFC_RID_ANY]) {
		st->rid_bits = UINT32_MAX;
		return;
	}
	for (unsigned i = 0; i < 32; i++)
		if (st->rid_n[i])
			st->rid_bits |= 1u << i;
}

/* ---- create / destroy --------------------------------------------------- */

static struct rte_hash *
mfc_hash_create(struct dp_mfc *c, const char *suffix, uint32_t entries, uint32_t key_len)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.name = name,
		.entries = RTE_MAX(entries, 8u),
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		.hash_func_init_val = 0,
		.socket_id = c->socket_id,
		/* extendable buckets: never refuses a key below capacity */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	snprintf(name, sizeof(name), "%s_%s", c->name, suffix);
	return rte_hash_create(&p);
}

struct dp_mfc *
dp_mfc_create(const char *name, uint32_t max_flows, uint32_t max_subtables, int socket_id)
{
	struct dp_mfc *c;

	if (!name || !*name || max_flows == 0 || max_subtables == 0 ||
	    max_flows > DP_MFLOW_SLOTS_MAX || max_subtables > 65535) {
		rte_errno = EINVAL;
		return NULL;
	}
	/* The hash names ("<name>_m", "<name>_t") must fit rte_hash's rings. */
	if (strlen(name) + 2 > DP_MFC_HASH_NAME_MAX) {
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
	c->links = rte_malloc_socket("dp_mfc_links",
				     (size_t)max_flows * DP_MAX_TAGS * sizeof(c->links[0]),
				     RTE_CACHE_LINE_SIZE, socket_id);
	c->slot_flags = rte_zmalloc_socket("dp_mfc_sflags", max_flows, RTE_CACHE_LINE_SIZE,
					   socket_id);
	c->reap_ring = rte_malloc_socket("dp_mfc_reap", (size_t)max_flows * sizeof(uint32_t),
					 RTE_CACHE_LINE_SIZE, socket_id);
	if (!c->flows || !c->free_slots || !c->subtables || !c->ranked || !c->links ||
	    !c->slot_flags || !c->reap_ring)
		goto nomem;
	c->hash = mfc_hash_create(c, "m", max_flows, sizeof(struct dp_flow_key));
	/* distinct tags: a few per megaflow are shared (ports, networks), about
	 * one is its own (its FDB entry); twice the pool is ample */
	c->tags = mfc_hash_create(c, "t", RTE_MAX(max_flows * 2, 1024u), sizeof(uint64_t));
	if (!c->hash || !c->tags)
		goto fail;
	c->tag_slots = (uint32_t)rte_hash_max_key_id(c->tags) + 1;
	c->tag_head = rte_malloc_socket("dp_mfc_taghead", (size_t)c->tag_slots * sizeof(uint32_t),
					RTE_CACHE_LINE_SIZE, socket_id);
	if (!c->tag_head)
		goto nomem;
	memset(c->tag_head, 0xff, (size_t)c->tag_slots * sizeof(uint32_t));
	/* a slot's idx and gen are set when it is first used (gen 0 = never
	 * used): 64k slots of 848 bytes are 55 MB, which a loop here would
	 * fault in page by page at every start */
	for (uint32_t i = 0; i < max_flows; i++)
		c->free_slots[i] = max_flows - 1 - i; /* slot 0 on top */
	c->n_free = max_flows;
	for (uint32_t i = 0; i < max_subtables; i++)
		c->subtables[i].id = i;
	return c;
nomem:
	rte_errno = ENOMEM;
fail:
	{
		int e = rte_errno ? rte_errno : ENOMEM;
		dp_mfc_destroy(c);
		rte_errno = e;
	}
	return NULL;
}

void
dp_mfc_destroy(struct dp_mfc *c)
{
	if (!c)
		return;
	rte_hash_free(c->hash);
	rte_hash_free(c->tags);
	rte_free(c->tag_head);
	rte_free(c->links);
	rte_free(c->reap_ring);
	rte_free(c->slot_flags);
	rte_free(c->ranked);
	rte_free(c->subtables);
	rte_free(c->free_slots);
	rte_free(c->flows);
	rte_free(c);
}

void
dp_mfc_set_owner(struct dp_mfc *c, unsigned owner)
{
	c->owner = owner & 0xff;
}

void
dp_mfc_set_port_quota(struct dp_mfc *c, uint32_t per_port)
{
	c->port_quota = per_port;
}

void
dp_mfc_set_events(struct dp_mfc *c, dp_mfc_event_fn *fn, void *arg)
{
	c->ev_fn = fn;
	c->ev_arg = arg;
}

const struct dp_mfc_counters *
dp_mfc_counters(const struct dp_mfc *c)
{
	return &c->ctr;
}

/* ---- insert / remove ---------------------------------------------------- */

struct dp_megaflow *
dp_mfc_insert(struct dp_mfc *c, const struct dp_megaflow_spec *spec)
{
	struct dp_flow_key masked, mask, hk;
	struct dp_mfc_subtable *st;
	struct dp_megaflow *f;
	void *found;
	uint32_t h, idx;
	uint16_t in_port;
	int ret;

	if (!c || !spec || spec->n_actions > DP_MAX_ACTIONS || spec->n_tags > DP_MAX_TAGS ||
	    spec->n_flood > DP_MAX_FLOOD) {
		rte_errno = EINVAL;
		return NULL;
	}
	mask = spec->mask;
	mask.pad2[0] = mask.pad2[1] = 0; /* the subtable id lives there */
	dp_key_and(&masked, &spec->key, &mask);
	st = mfc_subtable_find(c, &mask);
	if (st) {
		mfc_hash_key(st, &masked, &hk);
		if (rte_hash_lookup_with_hash_data(c->hash, &hk, mfc_hash(st, &masked), &found) >= 0) {
			struct dp_megaflow *old = found;

			if (likely(old->live))
				return old;
			/* a killed megaflow still holds this key: reap it now
			 * (its reap-ring entry will be skipped) */
			mfc_unlink_free(c, old);
			st = mfc_subtable_find(c, &mask); /* may have emptied it */
		}
	}
	in_port = spec->key.in_port;
	if (c->port_quota && in_port < DP_MAX_PORTS && c->port_flows[in_port] >= c->port_quota) {
		c->ctr.over_quota++;
		rte_errno = EDQUOT;
		return NULL;
	}
	if (c->n_free == 0) {
		/* killed megaflows go before any live one is evicted; a dead
		 * slot is always in the reap ring, so this ends */
		while (c->n_free == 0 && c->n_dead > 0)
			dp_mfc_reap(c, 1);
		if (c->n_free == 0 && mfc_evict_one(c) < 0)
			goto nospace;
		st = mfc_subtable_find(c, &mask); /* reaping or eviction may have emptied it */
	}
	if (!st && !(st = mfc_subtable_new(c, &mask)))
		goto nospace;
	idx = c->free_slots[c->n_free - 1];
	f = &c->flows[idx];
	if (f->gen == 0) {      /* first use of the slot (zeroed pool) */
		f->idx = idx;
		f->gen = 1;     /* never 0: megaflow ids are non-zero (0 = none) */
	}
	f->key = masked;
	f->mask = mask;
	f->subtable = st->id;
	f->in_port = in_port;
	f->n_actions = spec->n_actions;
	f->n_tags = spec->n_tags;
	f->n_flood = spec->n_flood;
	memcpy(f->tags, spec->tags, sizeof(f->tags));
	if (mfc_tags_link(c, f) < 0)
		goto unwind_st;
	mfc_hash_key(st, &masked, &hk);
	h = mfc_hash(st, &masked);
	ret = rte_hash_add_key_with_hash_data(c->hash, &hk, h, f);
	if (ret < 0)
		goto unwind_tags;
	c->n_free--;
	f->id = DP_MFLOW_ID(c->owner, idx, f->gen);
	f->hits = 0;
	f->bytes = 0;
	f->created_tsc = rte_rdtsc();
	f->used_tsc = f->created_tsc;
	memcpy(f->actions, spec->actions, sizeof(f->actions));
	memcpy(f->flood_ports, spec->flood_ports, sizeof(f->flood_ports));
	f->need_parse = (uint8_t)dp_actions_need_headers(f->actions, f->n_actions);
	f->announced = 0;
	f->next_idx = UINT32_MAX; /* no recirculation hint yet */
	f->next_gen = 0;
	f->live = 1;
	st->n_flows++;
	mfc_rid_count(st, &f->key, 1);
	c->n_live++;
	if (in_port < DP_MAX_PORTS)
		c->port_flows[in_port]++;
	if (idx >= c->hwm)
		c->hwm = idx + 1;
	c->ctr.inserted++;
	mfc_event(c, f, 1);
	return f;
unwind_tags:
	mfc_tags_unlink(c, f);
unwind_st:
	if (st->n_flows == 0)
		mfc_subtable_release(c, st);
nospace:
	c->ctr.uncached++;
	rte_errno = ENOSPC;
	return NULL;
}

/* A live or killed megaflow leaves the hash, the tag index and its
 * subtable; its slot goes back to the free stack with a new generation.
 * A killed one's reap-ring entry (if any) stays and is skipped. */
void
mfc_unlink_free(struct dp_mfc *c, struct dp_megaflow *f)
{
	struct dp_mfc_subtable *st = &c->subtables[f->subtable];
	struct dp_flow_key hk;

	mfc_hash_key(st, &f->key, &hk);
	rte_hash_del_key_with_hash(c->hash, &hk, mfc_hash(st, &f->key));
	mfc_tags_unlink(c, f);
	if (f->live) {
		f->live = 0;
		c->n_live--;
		if (f->in_port < DP_MAX_PORTS)
			c->port_flows[f->in_port]--;
	} else { /* killed: its counts went at the kill */
		c->slot_flags[f->idx] &= (uint8_t)~MFC_SLOT_DEAD;
		c->n_dead--;
	}
	if (++f->gen == 0)
		f->gen = 1;
	c->free_slots[c->n_free++] = f->idx;
	mfc_rid_count(st, &f->key, -1);
	if (--st->n_flows == 0)
		mfc_subtable_release(c, st);
}

void
dp_mfc_remove(struct dp_mfc *c, struct dp_megaflow *f)
{
	if (!c || !f || f < c->flows || f >= c->flows + c->max_flows || !f->live)
		return;
	mfc_event(c, f, 0);
	mfc_unlink_free(c, f);
}

void
dp_mfc_flush(struct dp_mfc *c)
{
	if (!c)
		return;
	while (c->n_ranked > 0)
		mfc_subtable_release(c, c->ranked[c->n_ranked - 1]);
	if (c->hwm == 0 && c->n_live == 0 && c->n_dead == 0) {
		/* nothing was put since the last flush (every insert raises
		 * hwm; a failed one unwinds): the tables are as that flush or
		 * the create left them.  rte_hash_reset writes every page of
		 * its key store and buckets (14 MiB for a PMD's two tables),
		 * which made a cache that never held a flow resident, and cost
		 * the PMD that memset at every table change */
		c->bursts = 0;
		return;
	}
	rte_hash_reset(c->hash);
	rte_hash_reset(c->tags);
	memset(c->tag_head, 0xff, (size_t)c->tag_slots * sizeof(uint32_t));
	for (uint32_t i = 0; i < c->hwm; i++) {
		if (c->flows[i].live)
			mfc_event(c, &c->flows[i], 0);
		if (c->flows[i].live || (c->slot_flags[i] & MFC_SLOT_DEAD)) {
			c->flows[i].live = 0;
			if (++c->flows[i].gen == 0)
				c->flows[i].gen = 1;
		}
	}
	/* flags are only ever set below hwm */
	memset(c->slot_flags, 0, c->hwm);
	c->reap_head = c->reap_len = 0;
	c->n_dead = 0;
	c->walk_active = 0;
	for (uint32_t i = 0; i < c->max_flows; i++)
		c->free_slots[i] = c->max_flows - 1 - i;
	memset(c->port_flows, 0, sizeof(c->port_flows));
	c->n_free = c->max_flows;
	c->n_live = 0;
	c->hwm = 0;
	c->bursts = 0;
	c->age_cursor = 0;
	c->evict_cursor = 0;
}

/* ---- queries ------------------------------------------------------------ */

uint32_t
dp_mfc_count(const struct dp_mfc *c)
{
	return c ? c->n_live : 0;
}

uint32_t
dp_mfc_dead_count(const struct dp_mfc *c)
{
	return c ? c->n_dead : 0;
}

uint32_t
dp_mfc_subtable_count(const struct dp_mfc *c)
{
	return c ? c->n_ranked : 0;
}

uint32_t
dp_mfc_high_water(const struct dp_mfc *c)
{
	return c ? c->hwm : 0;
}

uint32_t
dp_mfc_port_count(const struct dp_mfc *c, uint16_t port)
{
	return c && port < DP_MAX_PORTS ? c->port_flows[port] : 0;
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
