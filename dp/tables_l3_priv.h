/* SPDX-License-Identifier: BSD-3-Clause
 * dp/tables_l3_priv.h — internals shared by tables_l3.c (routers, router
 * ports, neighbors) and tables_l3_fib.c (per-router FIBs and routes).
 * Writer (control thread) side only; see tables_l3.h for the rules.
 */
#ifndef WYV_DP_TABLES_L3_PRIV_H
#define WYV_DP_TABLES_L3_PRIV_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "megaflow.h"
#include "tables_l3.h"

static_assert(DP_TAG_SECGROUP < DP_TAG_NEIGH, "DP_TAG_NEIGH collides with enum dp_tag_type");

#define ROUTERS_MAX 4096
#define RPORTS_MAX  16384
#define NEIGH_MAX   262144

struct rmac_key {
	uint32_t network;
	uint8_t mac[6];
	uint8_t pad[2];
};

/* neighbor values (tables_l3.c neigh_val): owner key << 1 | 1 for an rport,
 * with a high bit so that no value is NULL */
#define NEIGH_V_SET (1ull << 40)

struct neigh_key {
	uint32_t network;
	uint8_t family;
	uint8_t pad[3];
	uint8_t ip[16];
};

/* writer-only: what neighbor entries an lport contributed */

struct dp_l3 {
	struct dp_tables *t;
	struct rte_rcu_qsbr *rcu;
	dp_tables_change_cb *on_change;
	void *cb_arg;
	char name[32];
	struct rte_hash *routers, *rports, *rmac, *neigh;
	uint32_t fib_seq;
	/* dp_l3_batch_begin .. end: routers published without a FIB build
	 * (sharing their predecessor's FIBs), their keys here, built once at
	 * the end */
	bool batch;
	uint32_t *dirty;
	unsigned n_dirty, cap_dirty;
};

/* ---- helpers ------------------------------------------------------------ */


static inline unsigned alen(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

static inline struct rte_hash *make_hash(const char *prefix, const char *what, uint32_t entries,
				  uint32_t key_len, bool lf)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.entries = entries,
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = lf ? RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
					   RTE_HASH_EXTRA_FLAGS_EXT_TABLE
				 : RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	snprintf(name, sizeof(name), "%s_%s", prefix, what);
	p.name = name;
	return rte_hash_create(&p);
}

static inline void rmac_key_make(struct rmac_key *k, uint32_t network, const uint8_t mac[6])
{
	memset(k, 0, sizeof(*k));
	k->network = network;
	memcpy(k->mac, mac, 6);
}

static inline void neigh_key_make(struct neigh_key *k, uint32_t network, uint8_t family,
			   const uint8_t *ip)
{
	memset(k, 0, sizeof(*k));
	k->network = network;
	k->family = family;
	memcpy(k->ip, ip, alen(family));
}


static inline void grace_period(struct dp_l3 *l3)
{
	if (l3->rcu != NULL)
		rte_rcu_qsbr_synchronize(l3->rcu, RTE_QSBR_THRID_INVALID);
}

/* A batch of changes: tags to report and objects to free after one grace
 * period. */
struct l3_change {
	uint64_t tags[64];
	unsigned n_tags;
	bool overflow;
	void *to_free[64];
	unsigned n_free;
	struct dp_router *routers_free[2];
	bool rfree_shallow[2];  /* its FIBs went on to its successor (batch) */
	unsigned n_rfree;
	int32_t neigh_pos[32];
	unsigned n_npos;
	int32_t rmac_pos, rport_pos, router_pos;
};

static inline void ch_init(struct l3_change *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->rmac_pos = ch->rport_pos = ch->router_pos = -1;
}

static inline void ch_tag(struct l3_change *ch, uint64_t tag)
{
	for (unsigned i = 0; i < ch->n_tags; i++)
		if (ch->tags[i] == tag)
			return;
	if (ch->n_tags < RTE_DIM(ch->tags))
		ch->tags[ch->n_tags++] = tag;
	else
		ch->overflow = true;
}

static inline void router_free(struct dp_router *r)
{
	if (r == NULL)
		return;
	rte_fib_free(r->fib4);
	rte_fib6_free(r->fib6);
	rte_free(r);
}

static inline void ch_finish(struct dp_l3 *l3, struct l3_change *ch)
{
	/* the grace period only when something unpublished is freed below
	 * (a neighbor added for a new lport frees nothing) */
	if (ch->n_free || ch->n_rfree || ch->n_npos || ch->rmac_pos >= 0 ||
	    ch->rport_pos >= 0 || ch->router_pos >= 0)
		grace_period(l3);
	for (unsigned i = 0; i < ch->n_free; i++)
		rte_free(ch->to_free[i]);
	for (unsigned i = 0; i < ch->n_rfree; i++)
		if (ch->rfree_shallow[i])
			rte_free(ch->routers_free[i]);
		else
			router_free(ch->routers_free[i]);
	for (unsigned i = 0; i < ch->n_npos; i++)
		rte_hash_free_key_with_position(l3->neigh, ch->neigh_pos[i]);
	if (ch->rmac_pos >= 0)
		rte_hash_free_key_with_position(l3->rmac, ch->rmac_pos);
	if (ch->rport_pos >= 0)
		rte_hash_free_key_with_position(l3->rports, ch->rport_pos);
	if (ch->router_pos >= 0)
		rte_hash_free_key_with_position(l3->routers, ch->router_pos);
	if (l3->on_change == NULL)
		return;
	if (ch->overflow) {
		/* more tags than a batch holds: "everything" (the datapath
		 * flushes every PMD's caches, see DP_TAG_FLUSH) */
		uint64_t z = DP_TAG_FLUSH;
		l3->on_change(l3->cb_arg, &z, 1);
	}
	if (ch->n_tags)
		l3->on_change(l3->cb_arg, ch->tags, ch->n_tags);
}

/* tables_l3_fib.c: build a router's FIBs from its ports and routes and
 * publish the new router object (old one freed after the grace period).
 * Inside a batch (dp_l3_batch_begin) the new object keeps old's FIBs and
 * next hops and the build waits for dp_l3_batch_end. */
int l3_router_publish(struct dp_l3 *l3, struct l3_change *ch, const struct dp_router *tmpl,
		      const struct dp_router *old);
/* l3_router_publish as a change of its own (grace period, tags); frees
 * tmpl (malloc'd). */
int l3_router_replace(struct dp_l3 *l3, struct dp_router *tmpl, const struct dp_router *old);

#endif
