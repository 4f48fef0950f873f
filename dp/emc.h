/* SPDX-License-Identifier: BSD-3-Clause
 * dp/emc.h — the per-PMD exact-match cache in front of the megaflow
 * classifier (dp/mfc.h).  Private to dp/.
 *
 * Direct-mapped-by-hash, 2-way set associative array of {hash, full key,
 * megaflow idx+gen}.  Insertion is probabilistic (1 in inv_prob; 1 = always,
 * 0 = never) so that a flood of one-packet flows does not thrash it.
 *
 * Threads: the owning PMD only; no locks, no atomics.
 */
#ifndef WYV_DP_EMC_H
#define WYV_DP_EMC_H

#include <stdint.h>
#include "megaflow.h"
#include "mfc.h"

struct dp_emc;

struct dp_emc *dp_emc_create(uint32_t entries, int socket_id); /* power of 2 */
void dp_emc_destroy(struct dp_emc *e);
void dp_emc_set_insert_inv_prob(struct dp_emc *e, uint32_t inv_prob);

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
