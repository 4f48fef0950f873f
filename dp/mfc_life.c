/* SPDX-License-Identifier: BSD-3-Clause
 * dp/mfc_life.c — how megaflows leave the classifier: dependency-tag
 * invalidation through a tag index, incremental idle aging, and LRU
 * eviction when the pool is full.
 *
 * Tag index.  An rte_hash (created with the classifier, 8-byte keys) maps
 * each distinct tag to a position; tag_head[position] is the first link of
 * a doubly linked list threading every (megaflow, tag) membership.  The
 * links live in one array indexed slot * DP_MAX_TAGS + tag index, so a
 * megaflow unlinks its own tags in O(its tags) and nothing is allocated.
 * A tag whose list empties leaves the hash.  Invalidating n tags costs n
 * hash probes (bulk, 64 at a time) plus the removals themselves: O(tags +
 * removed megaflows), independent of how many megaflows stay.  A tag that a
 * megaflow carries twice is linked once.  A full tag index makes the
 * insert fail (the packet is forwarded uncached and counted), never a
 * megaflow that invalidation could miss.
 *
 * Aging.  dp_mfc_age looks at the next `budget` slots of the pool (a cursor
 * over [0, hwm)) and removes megaflows idle longer than the limit; the PMD
 * paces the calls so that a whole sweep takes about half the idle limit
 * (dp/pmd.c): bounded work per loop iteration, no pause.
 *
 * Eviction.  A full pool looks at the next MFC_EVICT_SAMPLE live slots of a
 * second cursor (sampling, as Redis does) and evicts, among them, the least
 * recently used megaflow of the ingress port that holds the most megaflows
 * (plain LRU when one port holds them all; exact when the pool holds no more
 * than the sample).  Plain LRU would not isolate: under a flood of new flows
 * every flood entry is younger than a victim's megaflow hit 20 times a
 * second, so the victim's would go first.  Weighted by port, a flood
 * replaces its own entries and a port with a few busy megaflows keeps them.
 *
 * Threads: the owning PMD only (see mfc.h).
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>

#include "mfc_priv.h"

#define TAG_BULK 64 /* RTE_HASH_LOOKUP_BULK_MAX */

int
mfc_tags_link(struct dp_mfc *c, struct dp_megaflow *f)
{
	uint32_t base = f->idx * DP_MAX_TAGS;

	for (unsigned t = 0; t < f->n_tags; t++) {
		struct mfc_link *l = &c->links[base + t];
		unsigned u;

		for (u = 0; u < t && f->tags[u] != f->tags[t]; u++)
			;
		if (u < t) { /* duplicate: linked once */
			l->prev = l->next = MFC_NIL;
			continue;
		}
		int32_t pos = rte_hash_add_key(c->tags, &f->tags[t]);
		if (pos < 0) {
			uint16_t n = f->n_tags;

			f->n_tags = (uint16_t)t; /* unlink what was linked */
			mfc_tags_unlink(c, f);
			f->n_tags = n;
			return pos;
		}
		l->next = c->tag_head[pos];
		l->prev = MFC_HEAD | (uint32_t)pos;
		if (l->next != MFC_NIL)
			c->links[l->next].prev = base + t;
		c->tag_head[pos] = base + t;
	}
	return 0;
}

void
mfc_tags_unlink(struct dp_mfc *c, struct dp_megaflow *f)
{
	uint32_t base = f->idx * DP_MAX_TAGS;

	for (unsigned t = 0; t < f->n_tags; t++) {
		struct mfc_link *l = &c->links[base + t];

		if (l->prev == MFC_NIL)
			continue;
		if (l->prev & MFC_HEAD) {
			uint32_t pos = l->prev & ~MFC_HEAD;

			c->tag_head[pos] = l->next;
			if (l->next == MFC_NIL)
				rte_hash_del_key(c->tags, &f->tags[t]);
		} else {
			c->links[l->prev].next = l->next;
		}
		if (l->next != MFC_NIL)
			c->links[l->next].prev = l->prev;
		l->prev = l->next = MFC_NIL;
	}
}

unsigned
dp_mfc_invalidate_tags(struct dp_mfc *c, const uint64_t *tags, unsigned n)
{
	const void *keys[TAG_BULK];
	int32_t pos[TAG_BULK];
	unsigned removed = 0;

	if (!c || !tags)
		return 0;
	for (unsigned off = 0; off < n; off += TAG_BULK) {
		unsigned k = RTE_MIN(n - off, (unsigned)TAG_BULK);

		for (unsigned j = 0; j < k; j++)
			keys[j] = &tags[off + j];
		if (rte_hash_lookup_bulk(c->tags, keys, k, pos) < 0)
			continue;
		/* Positions stay valid while we only remove: a tag whose list
		 * empties leaves tag_head[pos] NIL and no add can reuse pos. */
		for (unsigned j = 0; j < k; j++) {
			if (pos[j] < 0)
				continue;
			while (c->tag_head[pos[j]] != MFC_NIL) {
				dp_mfc_remove(c, &c->flows[c->tag_head[pos[j]] / DP_MAX_TAGS]);
				removed++;
			}
		}
	}
	c->ctr.invalidated += removed;
	return removed;
}

unsigned
dp_mfc_age(struct dp_mfc *c, uint64_t now, uint64_t max_idle_tsc, unsigned budget)
{
	unsigned removed = 0;

	if (!c || c->hwm == 0)
		return 0;
	for (unsigned b = 0; b < budget; b++) {
		uint32_t i = c->age_cursor < c->hwm ? c->age_cursor : 0;
		struct dp_megaflow *f = &c->flows[i];

		c->age_cursor = i + 1;
		if (f->live && now > f->used_tsc && now - f->used_tsc > max_idle_tsc) {
			dp_mfc_remove(c, f);
			removed++;
		}
	}
	c->ctr.expired += removed;
	return removed;
}

int
mfc_evict_one(struct dp_mfc *c)
{
	uint32_t best = MFC_NIL, best_load = 0, seen = 0;
	uint64_t best_tsc = UINT64_MAX;

	for (uint32_t n = 0; n < c->hwm && seen < MFC_EVICT_SAMPLE; n++) {
		uint32_t i = c->evict_cursor < c->hwm ? c->evict_cursor : 0;
		const struct dp_megaflow *f = &c->flows[i];

		c->evict_cursor = i + 1;
		if (!f->live)
			continue;
		seen++;
		/* the port holding the most megaflows loses first; within a
		 * port, the least recently used */
		uint32_t load = f->in_port < DP_MAX_PORTS ? c->port_flows[f->in_port] : 0;
		if (load > best_load || (load == best_load && f->used_tsc < best_tsc)) {
			best_load = load;
			best_tsc = f->used_tsc;
			best = i;
		}
	}
	if (best == MFC_NIL)
		return -ENOSPC;
	dp_mfc_remove(c, &c->flows[best]);
	c->ctr.evicted++;
	return 0;
}
