/* SPDX-License-Identifier: BSD-3-Clause
 * dp/megaflow.h — what a megaflow is, as the rest of the system may read it:
 * the control thread (dumps, `wyctl dump megaflows`) and, later, an offload
 * layer.  The classifier that holds megaflows is dp/mfc.h, the exact-match
 * cache in front of it dp/emc.h; both are private to dp/.
 *
 * A megaflow is {mask, masked key, compiled actions, dependency tags, stats}.
 * It lives in a slot of its PMD's pool.  Its identity is `id`
 * (DP_MFLOW_ID: PMD index, slot, slot generation): unique for the life of
 * the process, never reused, and resolvable in O(1) by the owning PMD
 * (dp_mfc_get(slot, gen)), so an offload layer can follow a megaflow it
 * mirrored into hardware and notice when it is gone.
 *
 * Threads: a live megaflow is written only by its PMD.  Everyone else sees
 * copies (dumps, see dp.h).
 */
#ifndef WYV_DP_MEGAFLOW_H
#define WYV_DP_MEGAFLOW_H

#include <stdint.h>
#include "flow_key.h"
#include "actions.h"
#include "dp.h"

/* Dependency tags: what table entries a megaflow's translation read. */
enum dp_tag_type {
	DP_TAG_LPORT = 1,   /* logical port key */
	DP_TAG_NETWORK,     /* network key (flood list, network config) */
	DP_TAG_FDB,         /* hash of (network, MAC) */
	DP_TAG_DPPORT,      /* dp port id: binding (in port) and outputs */
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
/* Not a dependency: "every megaflow".  A table change too wide to list
 * (tables_l3) sends it; the datapath turns it into a flush of every PMD's
 * caches (dp.c), it is never stored in a megaflow. */
#define DP_TAG_FLUSH DP_TAG(0, 0)

/* Stable megaflow identity: PMD (8 bits) | pool slot (24) | generation (32). */
#define DP_MFLOW_ID(pmd, slot, gen) \
	(((uint64_t)(pmd) << 56) | ((uint64_t)((slot) & 0xffffffu) << 32) | (uint32_t)(gen))
#define DP_MFLOW_ID_PMD(id)  ((unsigned)((id) >> 56))
#define DP_MFLOW_ID_SLOT(id) ((uint32_t)((id) >> 32) & 0xffffffu)
#define DP_MFLOW_ID_GEN(id)  ((uint32_t)(id))
#define DP_MFLOW_SLOTS_MAX   (1u << 24)

struct dp_megaflow {
	struct dp_flow_key key;   /* masked key */
	struct dp_flow_key mask;
	uint64_t id;              /* DP_MFLOW_ID, fixed while live */
	uint32_t idx;             /* slot in the pool */
	uint32_t gen;             /* changes when the slot is freed */
	uint32_t subtable;        /* owning subtable index (classifier private) */
	uint16_t n_actions;
	uint16_t n_tags;
	uint16_t n_flood;
	uint16_t in_port;         /* ingress dp port (per-port quota) */
	uint8_t live;
	uint8_t need_parse;       /* actions read header lengths: a marked packet
				   * is parsed (dp_actions_need_headers) */
	uint8_t announced;        /* the offloader took its install event: its
				   * removal is announced too (dp/pmd_offload.c) */
	uint8_t pad[5];
	/* a ct() megaflow: slot and generation of the megaflow its last
	 * recirculated packet hit, tried first for the next ones (PMD
	 * private, a hint: checked live and matched, dp/pmd_ct.c) */
	uint32_t next_idx;
	uint32_t next_gen;
	uint64_t hits;
	uint64_t bytes;
	uint64_t created_tsc;
	uint64_t used_tsc;        /* last hit (TSC); idle aging and LRU read it */
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

/* struct dp_mfc_counters, the lifecycle counters of one PMD's classifier
 * (monotonic; the PMD writes, anyone reads them as statistics), is public:
 * dp.h. */

#endif
