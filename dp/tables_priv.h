/* SPDX-License-Identifier: BSD-3-Clause
 * dp/tables_priv.h — what tables.c shares with its extension files
 * (tables_ovl.c).  Writer (control thread) only unless noted.
 */
#ifndef WYV_DP_TABLES_PRIV_H
#define WYV_DP_TABLES_PRIV_H

#include <stdint.h>
#include "tables.h"
#include "tables_ovl.h"

struct rte_hash;

/* Overlay state embedded in struct dp_tables. */
struct dp_ovl {
	const struct dp_overlay_cfg *cfg;   /* RCU-published, NULL when off */
	uint16_t uplink;                     /* copy of cfg->uplink, DP_NO_PORT */
	uint16_t provider;                   /* cfg->provider_port when it has one,
					      * else DP_NO_PORT */
	struct rte_hash *vteps;              /* IPv4 -> struct dp_vtep * */
};

/* Published lports' memory (tables_lport_pool.c), embedded in struct
 * dp_tables: a size class per number of addresses (no pairs) and per
 * number of address pairs (dp_lport_cfg_size). */
#define DP_LP_CLASSES (DP_LPORT_MAX_IPS + 1 + DP_LPORT_MAX_AAPS)
struct dp_lport_pool {
	void *free[DP_LP_CLASSES];   /* freed slots, linked through their first bytes */
	char *cur[DP_LP_CLASSES];    /* the class's current chunk, next slot */
	size_t left[DP_LP_CLASSES];
	void **chunks;
	unsigned n_chunks, cap_chunks;
};

/* Bytes of a slot for an lport holding c (cache-line multiple). */
size_t dp_lport_pool_slot(const struct dp_lport_cfg *c);
/* A slot for an lport holding c; NULL when out of memory or bad counts. */
void *dp_lport_pool_get(struct dp_lport_pool *p, const struct dp_lport_cfg *c);
/* Back to its class (after the grace period): its cfg's counts name it. */
void dp_lport_pool_put(struct dp_lport_pool *p, struct dp_lport *lp);
void dp_lport_pool_fini(struct dp_lport_pool *p);

int dp_ovl_init(struct dp_ovl *o, const char *prefix);
void dp_ovl_fini(struct dp_ovl *o);

/* Wait until no reader can still see what was unpublished. */
void dp_tables_grace(struct dp_tables *t);
/* Report changed tags (after publishing). */
void dp_tables_notify(struct dp_tables *t, const uint64_t *tags, unsigned n);
/* Readers too. */
struct dp_ovl *dp_tables_ovl(const struct dp_tables *t);

#endif
