/* SPDX-License-Identifier: BSD-3-Clause
 * dp/megaflow.h — megaflows, the per-PMD megaflow classifier (tuple-space
 * search) and the per-PMD exact-match cache in front of it.
 *
 * A megaflow is {mask, masked key, compiled actions, dependency tags, stats}.
 * The classifier keeps one subtable per distinct mask; a subtable is an
 * rte_hash keyed by the masked key.  Lookup is batched over a burst: for each
 * subtable in rank order (highest hit count first, re-ranked periodically),
 * the still-unmatched keys are masked, hashed and looked up with one bulk
 * call.  Megaflows installed by translate never overlap in a way that
 * matters: any megaflow that matches a key gives the same result as a fresh
 * translate of it, so the first match is correct.
 *
 * Megaflows live in a fixed pool indexed 0..max-1; each slot has a generation
 * that changes on removal, so that EMC entries (which hold index+generation)
 * never reach a freed or reused megaflow.
 *
 * Threads: every function here is called by the owning PMD thread only
 * (single-threaded structure, no locks, no atomics).  The control thread asks
 * the PMD to invalidate or dump through the invalidation log and the PMD's
 * request mailbox (struct dp_pmd, dp_priv.h).
 */
#ifndef WYV_DP_MEGAFLOW_H
#define WYV_DP_MEGAFLOW_H

#include <stdint.h>
#include "flow_key.h"
#include "actions.h"

/* Dependency tags: what table entries a megaflow's translation read. */
enum dp_tag_type {
	DP_TAG_LPORT = 1,   /* logical port key */
	DP_TAG_NETWORK,     /* network key (flood list, network config) */
	DP_TAG_FDB,         /* hash of (network, MAC) */
	DP_TAG_DPPORT,      /* dp port id binding */
	DP_TAG_ROUTER,
	DP_TAG_SECGROUP,
	DP_TAG_OVERLAY,     /* the overlay config (key 0) */
	DP_TAG_VTEP,        /* an underlay neighbor (remote VTEP IPv4) */
	DP_TAG_SEGMENT,     /* VNI / VLAN -> network (dp_segment_tag_key) */
	DP_TAG_ACL_PORT,    /* a port's security-group ACL entry (lport key), acl.h */
	DP_TAG_ACL_RS,      /* a shared ACL rule set was rebuilt (rule set id), acl.h */
};
#define DP_TAG(type, key) (((uint64_t)(type) << 32) | (uint32_t)(key))
#define DP_TAG_TYPE(t) ((unsigned)((t) >> 32))
#define DP_TAG_KEY(t) ((uint32_t)(t))
#define DP_MAX_TAGS 16

struct dp_megaflow {
	struct dp_flow_key key;   /* masked key */
	struct dp_flow_key mask;
	uint32_t idx;             /* slot in the pool */
	uint32_t gen;             /* changes when the slot is freed */
	uint32_t subtable;        /* owning subtable index (classifier private) */
	uint16_t n_actions;
	uint16_t n_tags;
	uint16_t n_flood;
	uint8_t live;
	uint8_t pad;
	uint64_t hits;
	uint64_t bytes;
	uint64_t created_tsc;
	uint64_t used_tsc;
	uint64_t tags[DP_MAX_TAGS];
	struct dp_action actions[DP_MAX_ACTIONS];
	uint16_t flood_ports[DP_MAX_FLOOD];
};

/* What translate produces; dp_mfc_insert copies it into a pool slot. */
struct dp_megaflow_spec {
	struct dp_flow_key key;   /* unmasked key is fine; insert masks it */
	struct dp_flow_key mask;
	uint16_t n_actions, n_tags, n_flood;
	uint64_t tags[DP_MAX_TAGS];
	struct dp_action actions[DP_MAX_ACTIONS];
	uint16_t flood_ports[DP_MAX_FLOOD];
	uint8_t no_install;       /* translate overflowed: execute, never cache */
};

struct dp_mfc;

/* Create a classifier holding at most max_flows megaflows (and at most
 * max_subtables masks). NULL + rte_errno on failure. name must be unique per
 * process (used for rte_hash names). */
struct dp_mfc *dp_mfc_create(const char *name, uint32_t max_flows, uint32_t max_subtables,
			     int socket_id);
void dp_mfc_destroy(struct dp_mfc *c);   /* accepts NULL */

/* Batched lookup. keys[i] -> flows[i] (NULL on miss). Returns hits.
 * n <= 64. Updates megaflows' used_tsc and subtable hit counts; megaflow hit
 * counts are the caller's (the PMD adds them once per group). */
unsigned dp_mfc_lookup_burst(struct dp_mfc *c, const struct dp_flow_key *const keys[],
			     unsigned n, struct dp_megaflow *flows[]);

/* Single-key lookup (tests, trace). NULL on miss; does not count hits. */
struct dp_megaflow *dp_mfc_lookup(struct dp_mfc *c, const struct dp_flow_key *key);

/* Install. If a megaflow with the same mask and masked key exists, it is
 * returned unchanged. NULL + rte_errno (ENOSPC when full). */
struct dp_megaflow *dp_mfc_insert(struct dp_mfc *c, const struct dp_megaflow_spec *spec);

void dp_mfc_remove(struct dp_mfc *c, struct dp_megaflow *f);
void dp_mfc_flush(struct dp_mfc *c);

/* Remove every megaflow carrying any of tags[0..n). Returns how many. */
unsigned dp_mfc_invalidate_tags(struct dp_mfc *c, const uint64_t *tags, unsigned n);

uint32_t dp_mfc_count(const struct dp_mfc *c);
uint32_t dp_mfc_subtable_count(const struct dp_mfc *c);

/* Visit every live megaflow; stop early when cb returns non-zero. */
void dp_mfc_foreach(struct dp_mfc *c, int (*cb)(const struct dp_megaflow *f, void *arg),
		    void *arg);

/* Megaflow by pool slot if its generation still matches, else NULL. */
struct dp_megaflow *dp_mfc_get(struct dp_mfc *c, uint32_t idx, uint32_t gen);

/* ---- exact-match cache --------------------------------------------------
 * Direct-mapped-by-hash, 2-way set associative array of {hash, full key,
 * megaflow idx+gen}.  Insertion is probabilistic (1 in inv_prob; 1 = always,
 * 0 = never) so that a flood of one-packet flows does not thrash it. */
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
