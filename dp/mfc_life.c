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
 * hash probes (bulk, 64 at a time) plus one list step per megaflow: O(tags +
 * removed megaflows), independent of how many megaflows stay.  A tag that a
 * megaflow carries twice is linked once.  A full tag index makes the
 * insert fail (the packet is forwarded uncached and counted), never a
 * megaflow that invalidation could miss.
 *
 * Two-step removal.  Invalidation only kills (mfc_kill: live = 0, counts
 * drop, slot flagged DEAD and queued on the reap ring): a flag write per
 * megaflow instead of ~10 cold lines.  dp_mfc_reap unlinks and frees them
 * later, a bounded number per PMD loop iteration.  dp_mfc_kill_tags bounds
 * the walk itself (tags looked up + list entries visited) and can stop in
 * the middle of a tag's list: c->walk_ref is the next link to visit, and
 * mfc_tags_unlink moves it along when it unlinks that link.
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
#include <limits.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_prefetch.h>

#include "mfc_priv.h"

#define TAG_BULK 64 /* RTE_HASH_LOOKUP_BULK_MAX */

/* Step one of a removal: the megaflow stops matching now (lookups check
 * `live`, EMC entries go through dp_mfc_get, which checks it too) and stops
 * counting (live count, port quota); it keeps its slot, hash entry, tag
 * links and subtable until dp_mfc_reap frees it. */
static void
mfc_kill(struct dp_mfc *c, struct dp_megaflow *f)
{
	uint8_t *fl = &c->slot_flags[f->idx];

	mfc_event(c, f, 0);
	f->live = 0;
	c->n_live--;
	if (f->in_port < DP_MAX_PORTS)
		c->port_flows[f->in_port]--;
	*fl |= MFC_SLOT_DEAD;
	c->n_dead++;
	if (!(*fl & MFC_SLOT_QUEUED)) {
		uint32_t tail = c->reap_head + c->reap_len;

		if (tail >= c->max_flows)
			tail -= c->max_flows;
		c->reap_ring[tail] = f->idx;
		c->reap_len++;
		*fl |= MFC_SLOT_QUEUED;
	}
}

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
		if (unlikely(c->walk_active && c->walk_ref == base + t))
			c->walk_ref = l->next; /* a stopped walk must not lose its place */
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

/* Continue the walk at c->walk_ref, killing live megaflows, one unit of
 * budget per entry.  True when the end of the list was reached. */
static bool
mfc_walk(struct dp_mfc *c, unsigned *budget, unsigned *kills)
{
	while (c->walk_ref != MFC_NIL) {
		uint32_t ref = c->walk_ref;
		struct dp_megaflow *f = &c->flows[ref / DP_MAX_TAGS];

		if (*budget == 0)
			return false;
		(*budget)--;
		c->walk_ref = c->links[ref].next; /* killing unlinks nothing */
		if (f->live) {
			mfc_kill(c, f);
			(*kills)++;
		}
	}
	return true;
}

unsigned
dp_mfc_kill_tags(struct dp_mfc *c, const uint64_t *tags, unsigned n, unsigned *budget,
		 unsigned *killed)
{
	const void *keys[TAG_BULK];
	int32_t pos[TAG_BULK];
	uint32_t head[TAG_BULK];
	unsigned done = 0, kills = 0;

	if (!c || !tags || !budget)
		return n;
	if (c->walk_active) { /* tags[0]'s walk stopped midway */
		if (n == 0 || !mfc_walk(c, budget, &kills))
			goto out;
		c->walk_active = 0;
		done = 1;
	}
	while (done < n && *budget > 0) {
		unsigned k = RTE_MIN(n - done, (unsigned)TAG_BULK);

		if (k > *budget)
			k = *budget;

		for (unsigned j = 0; j < k; j++)
			keys[j] = &tags[done + j];
		*budget -= k;
		if (rte_hash_lookup_bulk(c->tags, keys, k, pos) < 0) {
			done += k;
			continue;
		}
		/* Memory bound: fetch the list heads of the whole chunk, then
		 * the first megaflow and link of each list, before touching
		 * any of them. */
		for (unsigned j = 0; j < k; j++)
			if (pos[j] >= 0)
				rte_prefetch0(&c->tag_head[pos[j]]);
		for (unsigned j = 0; j < k; j++) {
			head[j] = pos[j] >= 0 ? c->tag_head[pos[j]] : MFC_NIL;
			if (head[j] != MFC_NIL) {
				rte_prefetch0(&c->flows[head[j] / DP_MAX_TAGS].live);
				rte_prefetch0(&c->links[head[j]]);
			}
		}
		for (unsigned j = 0; j < k; j++) {
			c->walk_ref = head[j];
			c->walk_active = 1;
			if (!mfc_walk(c, budget, &kills))
				goto out; /* resumes at tags[done] next call */
			c->walk_active = 0;
			done++;
		}
	}
out:
	c->ctr.invalidated += kills;
	if (killed)
		*killed += kills;
	return done;
}

unsigned
dp_mfc_invalidate_tags(struct dp_mfc *c, const uint64_t *tags, unsigned n)
{
	unsigned budget = UINT_MAX, kills = 0;

	if (!c || !tags)
		return 0;
	if (c->walk_active) { /* finish a bounded walk left midway first */
		mfc_walk(c, &budget, &kills);
		c->walk_active = 0;
		c->ctr.invalidated += kills;
	}
	dp_mfc_kill_tags(c, tags, n, &budget, &kills);
	return kills;
}

unsigned
dp_mfc_reap(struct dp_mfc *c, unsigned budget)
{
	unsigned freed = 0;

	if (!c)
		return 0;
	for (; budget > 0 && c->reap_len > 0; budget--) {
		uint32_t idx = c->reap_ring[c->reap_head];

		if (++c->reap_head == c->max_flows)
			c->reap_head = 0;
		c->reap_len--;
		c->slot_flags[idx] &= (uint8_t)~MFC_SLOT_QUEUED;
		/* not dead any more: reaped early by an insert (and maybe
		 * reused since): nothing to do */
		if (c->slot_flags[idx] & MFC_SLOT_DEAD) {
			mfc_unlink_free(c, &c->flows[idx]);
			freed++;
		}
	}
	return freed;
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
