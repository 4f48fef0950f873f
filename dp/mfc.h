/* SPDX-License-Identifier: BSD-3-Clause
 * dp/mfc.h — the per-PMD megaflow classifier (tuple-space search) and the
 * megaflow lifecycle: install, dependency-tag invalidation, idle aging, LRU
 * eviction, per-ingress-port quota.  Private to dp/.
 *
 * The classifier keeps one subtable per distinct mask; all subtables share
 * one rte_hash keyed by (masked key, subtable id), created with the
 * classifier, so nothing on the PMD ever creates or frees an rte_hash.
 * Lookup is batched over a burst: for each subtable in rank order (highest
 * hit count first, re-ranked periodically), the still-unmatched keys are
 * masked, hashed and looked up with one bulk call.  Megaflows installed by
 * translate never overlap in a way that matters: any megaflow that matches a
 * key gives the same result as a fresh translate of it, so the first match is
 * correct.
 *
 * Megaflows live in a fixed pool indexed 0..max-1; each slot has a generation
 * that changes on removal, so that EMC entries (which hold index+generation)
 * never reach a freed or reused megaflow.  A slot is free, live, or killed
 * (dead: matches nothing, waits for dp_mfc_reap to free it).
 *
 * Threads: every function here is called by the owning PMD thread only
 * (single-threaded structure, no locks, no atomics), or by anyone while that
 * PMD is stopped.  The control thread asks the PMD to invalidate or dump
 * through dp.c (invalidation log, request mailbox).
 */
#ifndef WYV_DP_MFC_H
#define WYV_DP_MFC_H

#include <stdint.h>
#include "megaflow.h"

struct dp_mfc;

/* Create a classifier holding at most max_flows megaflows (at most
 * DP_MFLOW_SLOTS_MAX) and at most max_subtables masks (at most 65535).
 * NULL + rte_errno on failure.  name must be unique per process and short
 * (it prefixes rte_hash names: ENAMETOOLONG).  All memory is taken here. */
struct dp_mfc *dp_mfc_create(const char *name, uint32_t max_flows, uint32_t max_subtables,
			     int socket_id);
void dp_mfc_destroy(struct dp_mfc *c);   /* accepts NULL */

/* The PMD index that goes into megaflow ids (default 0). */
void dp_mfc_set_owner(struct dp_mfc *c, unsigned owner);
/* At most per_port megaflows per ingress dp port; 0: no quota.  An insert
 * over quota fails with EDQUOT (the caller forwards the packet uncached). */
void dp_mfc_set_port_quota(struct dp_mfc *c, uint32_t per_port);
/* Lifecycle events, for the offload layer (dp/pmd_offload.c): fn(arg, f, 1)
 * once a megaflow is installed (live, id set), fn(arg, f, 0) once when it
 * stops being live (killed by a tag, aged, evicted, removed, flushed).
 * Called on the owning PMD, inside the classifier call: fn must not call
 * back into the classifier.  NULL: none (the default). */
typedef void dp_mfc_event_fn(void *arg, struct dp_megaflow *f, int installed);
void dp_mfc_set_events(struct dp_mfc *c, dp_mfc_event_fn *fn, void *arg);
/* Lifecycle counters (see megaflow.h). */
const struct dp_mfc_counters *dp_mfc_counters(const struct dp_mfc *c);

/* Batched lookup. keys[i] -> flows[i] (NULL on miss). Returns hits.
 * n <= 64. Updates megaflows' used_tsc and subtable hit counts; megaflow hit
 * counts are the caller's (the PMD adds them once per group). */
unsigned dp_mfc_lookup_burst(struct dp_mfc *c, const struct dp_flow_key *const keys[],
			     unsigned n, struct dp_megaflow *flows[]);

/* Single-key lookup (tests, trace). NULL on miss; does not count hits. */
struct dp_megaflow *dp_mfc_lookup(struct dp_mfc *c, const struct dp_flow_key *key);

/* Install.  If a megaflow with the same mask and masked key exists, it is
 * returned unchanged.  A full pool first evicts, among a sample of 16
 * megaflows, the least recently used one of the ingress port holding the
 * most (exact LRU when one port holds a pool of <= 16).
 * NULL + rte_errno: EDQUOT (ingress port at its quota), ENOSPC (too many
 * masks, tag index full), EINVAL (bad spec). */
struct dp_megaflow *dp_mfc_insert(struct dp_mfc *c, const struct dp_megaflow_spec *spec);

/* Remove a live megaflow now (unlink and free its slot); killed or freed
 * ones are left alone. */
void dp_mfc_remove(struct dp_mfc *c, struct dp_megaflow *f);
void dp_mfc_flush(struct dp_mfc *c);

/* Kill every live megaflow carrying any of tags[0..n).  Returns how many.
 * On return none of them matches any more (classifier and EMC lookups miss,
 * dp_mfc_get fails, insert does not return them, foreach skips them) and
 * dp_mfc_count / dp_mfc_port_count no longer count them; their slots, hash
 * entries and tag links are released later by dp_mfc_reap (two-step
 * removal).  Cost: one tag-index probe per tag plus a flag write per killed
 * megaflow; independent of the number of megaflows that carry none of the
 * tags. */
unsigned dp_mfc_invalidate_tags(struct dp_mfc *c, const uint64_t *tags, unsigned n);

/* The same, in bounded steps: spends at most *budget units (one per tag
 * looked up, one per tag-list entry visited) and decreases *budget by what
 * it spent; adds its kills to *killed.  Returns how many of the tags are
 * done (n: all).  When fewer, the walk of tags[ret] stopped midway: the
 * next call must pass tags + ret, and resumes that walk where it stopped
 * (megaflows linked to the tag since are not killed: they were installed
 * after the tag was read).  dp_mfc_invalidate_tags first finishes such a
 * walk; a flush forgets it. */
unsigned dp_mfc_kill_tags(struct dp_mfc *c, const uint64_t *tags, unsigned n,
			  unsigned *budget, unsigned *killed);

/* Reaping: unlink and free killed megaflows, oldest first, looking at most
 * at `budget` reap-queue entries.  Returns how many it freed.  The PMD calls
 * it with a small budget once per loop iteration while dp_mfc_dead_count()
 * > 0 (dp/pmd.c).  An insert that needs a slot, or whose key a killed
 * megaflow still holds, reaps what it needs itself. */
unsigned dp_mfc_reap(struct dp_mfc *c, unsigned budget);
/* Killed megaflows not yet reaped (they hold pool slots). */
uint32_t dp_mfc_dead_count(const struct dp_mfc *c);

/* Idle aging, incremental: look at the next `budget` pool slots (a cursor
 * that wraps over the used part of the pool) and remove megaflows unused
 * for more than max_idle_tsc at time now.  Returns how many it removed. */
unsigned dp_mfc_age(struct dp_mfc *c, uint64_t now, uint64_t max_idle_tsc, unsigned budget);

uint32_t dp_mfc_count(const struct dp_mfc *c);   /* live megaflows */
uint32_t dp_mfc_subtable_count(const struct dp_mfc *c);
/* Slots in use or once used (the aging cursor's range). */
uint32_t dp_mfc_high_water(const struct dp_mfc *c);
/* Megaflows whose ingress port is port. */
uint32_t dp_mfc_port_count(const struct dp_mfc *c, uint16_t port);

/* Visit every live megaflow; stop early when cb returns non-zero. */
void dp_mfc_foreach(struct dp_mfc *c, int (*cb)(const struct dp_megaflow *f, void *arg),
		    void *arg);

/* Megaflow by pool slot if its generation still matches, else NULL. */
struct dp_megaflow *dp_mfc_get(struct dp_mfc *c, uint32_t idx, uint32_t gen);

#endif
