/* SPDX-License-Identifier: BSD-3-Clause
 * dp/emc.h — the per-PMD exact-match cache in front of the megaflow
 * classifier (dp/mfc.h).  Private to dp/.
 *
 * Direct-mapped-by-hash, 2-way set associative array of {hash, full key,
 * megaflow idx+gen}.  Insertion is probabilistic (1 in inv_prob; 1 = always,
 * 0 = never) so that a flood of one-packet flows does not thrash it.
 *
 * Bypass.  When many more flows are live than the EMC holds, most probes
 * miss, and a miss costs as much as a hit (the bucket is a cold cache line
 * or three).  The EMC counts its lookups and hits per window of
 * DP_EMC_WINDOW lookups; when fewer than min_hit_pct percent hit, it is
 * bypassed: dp_emc_use() then says yes to one burst in DP_EMC_SAMPLE only
 * (those bursts look up and insert as usual and keep measuring), and the
 * others go straight to the classifier.  A sampled window at or above the
 * threshold turns the bypass off.  min_hit_pct 0: never bypassed.
 *
 * Threads: the owning PMD only; no locks, no atomics.
 */
#ifndef WYV_DP_EMC_H
#define WYV_DP_EMC_H

#include <stdbool.h>
#include <stdint.h>
#include "megaflow.h"
#include "mfc.h"

struct dp_emc;

struct dp_emc *dp_emc_create(uint32_t entries, int socket_id); /* power of 2 */
void dp_emc_destroy(struct dp_emc *e);
void dp_emc_set_insert_inv_prob(struct dp_emc *e, uint32_t inv_prob);
void dp_emc_set_min_hit_pct(struct dp_emc *e, uint32_t pct); /* 0..100 */

#define DP_EMC_WINDOW 8192       /* lookups per hit-rate decision */
#define DP_EMC_SAMPLE 16         /* bypassed: one burst in this many probes */

/* Shall this burst consult the EMC (lookup and insert)?  Once per burst. */
bool dp_emc_use(struct dp_emc *e);
/* After a burst that consulted it: lookups made and hits among them. */
void dp_emc_account(struct dp_emc *e, unsigned lookups, unsigned hits);
/* Bypassed now (see above)?  For show pmd. */
bool dp_emc_bypassed(const struct dp_emc *e);

/* Hash of the fields that vary between flows (cheap, not over all 16 words). */
uint32_t dp_emc_hash(const struct dp_flow_key *k);

/* Lookup: the megaflow (checked live via dp_mfc_get) or NULL. */
struct dp_megaflow *dp_emc_lookup(struct dp_emc *e, struct dp_mfc *c,
				  const struct dp_flow_key *k, uint32_t hash);
/* Prefetch the bucket a later lookup of hash will read. */
void dp_emc_prefetch(const struct dp_emc *e, uint32_t hash);
void dp_emc_insert(struct dp_emc *e, const struct dp_flow_key *k, uint32_t hash,
		   const struct dp_megaflow *f);
void dp_emc_clear(struct dp_emc *e);

#endif
