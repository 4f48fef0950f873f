/* SPDX-License-Identifier: BSD-3-Clause
 * dp/mfc_priv.h — the classifier's insides, shared by mfc.c (lookup,
 * subtables, insert/remove) and mfc_life.c (tag index, aging, eviction).
 * Threads: as mfc.h (the owning PMD only).
 */
#ifndef WYV_DP_MFC_PRIV_H
#define WYV_DP_MFC_PRIV_H

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "mfc.h"
#include "tables.h"

#define DP_MFC_NAME_MAX    RTE_HASH_NAMESIZE
#define DP_MFC_HASH_SEED   0x2f6b9a1du
/* Word 15 of a hash key carries the subtable id in its last two bytes
 * (flow key pad2, always zero in a packet's key). */
#define MFC_ID_WORD        15u
#define MFC_ID_SHIFT       48

#define MFC_NIL            UINT32_MAX
#define MFC_HEAD           0x80000000u   /* link prev: "head of list at position" */
#define MFC_EVICT_SAMPLE   16u

/* slot_flags bits (private per-slot state, not in the public megaflow) */
#define MFC_SLOT_DEAD      0x01u  /* killed: never matches, still holds its
				   * hash entry, tag links, subtable, slot */
#define MFC_SLOT_QUEUED    0x02u  /* its index is in the reap ring */

struct dp_mfc_subtable {
	struct dp_flow_key mask;
	uint8_t words[DP_FLOW_KEY_WORDS]; /* indices of the non-zero mask words */
	uint32_t n_words;
	uint32_t word_bits;               /* the same as a bit set, minus word 15 */
	uint64_t keep_id_word;            /* ~0 when word 15 is in the mask, else 0 */
	uint64_t id_word;                 /* (id + 1) << MFC_ID_SHIFT */
	uint32_t seed;                    /* hash seed, per subtable */
	uint32_t id;                      /* slot in c->subtables */
	uint32_t n_flows;
	uint32_t in_use;
	uint64_t hits;                    /* decayed at every re-rank */
	/* Which recirculation passes it holds megaflows of (mfc_rid_bit):
	 * a lookup skips the keys of other passes.  rid_n counts per bit,
	 * [MFC_RID_ANY] those whose mask leaves recirc_id partly open. */
	uint32_t rid_bits;
	uint32_t rid_n[33];
} __rte_cache_aligned;

#define MFC_RID_ANY 32
/* The rid_bits bit of a key's recirc_id: ids 0..30 their own, larger ones
 * share bit 31. */
static inline uint32_t mfc_rid_bit(uint32_t recirc_id)
{
	return recirc_id < 31 ? 1u << recirc_id : 1u << 31;
}

/* One (megaflow, tag) membership in the list of its tag: refs are
 * slot * DP_MAX_TAGS + tag index. */
struct mfc_link {
	uint32_t next;                    /* ref or MFC_NIL */
	uint32_t prev;                    /* ref, MFC_HEAD | position, MFC_NIL: unused */
};

struct dp_mfc {
	char name[DP_MFC_NAME_MAX];
	uint32_t max_flows;
	uint32_t max_subtables;
	int socket_id;
	uint32_t owner;                   /* PMD index, in megaflow ids */
	uint32_t port_quota;              /* 0: none */
	uint32_t n_live;
	uint32_t hwm;                     /* slots >= hwm were never used */
	uint32_t n_free;
	uint32_t n_ranked;
	uint32_t bursts;                  /* counted bursts since last re-rank */
	uint32_t age_cursor;
	uint32_t evict_cursor;
	uint32_t *free_slots;             /* stack; top = next slot to use */
	struct dp_megaflow *flows;        /* the pool, max_flows slots */
	struct dp_mfc_subtable *subtables;/* max_subtables slots */
	struct dp_mfc_subtable **ranked;  /* live subtables, best first */
	struct rte_hash *hash;            /* (masked key, subtable id) -> megaflow */
	struct rte_hash *tags;            /* tag -> position in tag_head */
	uint32_t *tag_head;               /* first link ref of each tag's list */
	uint32_t tag_slots;
	struct mfc_link *links;           /* max_flows * DP_MAX_TAGS */
	uint32_t port_flows[DP_MAX_PORTS];
	/* two-step removal (mfc_life.c): killed megaflows wait in a FIFO ring
	 * of slot indices until dp_mfc_reap unlinks and frees them.  A slot
	 * is in the ring at most once (MFC_SLOT_QUEUED), so max_flows entries
	 * always suffice; an entry whose slot was freed meanwhile is skipped. */
	uint8_t *slot_flags;              /* max_flows */
	uint32_t *reap_ring;              /* max_flows */
	uint32_t reap_head, reap_len;
	uint32_t n_dead;                  /* slots flagged MFC_SLOT_DEAD */
	/* a tag-list walk of dp_mfc_kill_tags stopped midway: the next link
	 * to visit (MFC_NIL: the end); mfc_tags_unlink moves it along when it
	 * unlinks that very link */
	uint32_t walk_ref;
	uint32_t walk_active;
	struct dp_mfc_counters ctr;
	dp_mfc_event_fn *ev_fn;           /* lifecycle events (NULL: none) */
	void *ev_arg;
};

static inline void mfc_event(struct dp_mfc *c, struct dp_megaflow *f, int installed)
{
	if (unlikely(c->ev_fn != NULL))
		c->ev_fn(c->ev_arg, f, installed);
}

/* CRC32C over the mask's non-zero words of an already masked key. */
static inline uint32_t mfc_hash(const struct dp_mfc_subtable *st, const struct dp_flow_key *k)
{
	const dp_kword *w = dp_key_words(k);
	uint32_t h = st->seed;

	for (uint32_t i = 0; i < st->n_words; i++)
		h = rte_hash_crc_8byte(w[st->words[i]], h);
	return h;
}

/* The rte_hash key of a masked key in subtable st. */
static inline void mfc_hash_key(const struct dp_mfc_subtable *st, const struct dp_flow_key *masked,
				struct dp_flow_key *out)
{
	*out = *masked;
	dp_key_words_rw(out)[MFC_ID_WORD] |= st->id_word;
}

/* mfc_life.c */
int mfc_tags_link(struct dp_mfc *c, struct dp_megaflow *f);
void mfc_tags_unlink(struct dp_mfc *c, struct dp_megaflow *f);
int mfc_evict_one(struct dp_mfc *c);
/* mfc.c: unlink a live or dead megaflow from everything and free its slot */
void mfc_unlink_free(struct dp_mfc *c, struct dp_megaflow *f);

#endif
