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

int dp_ovl_init(struct dp_ovl *o, const char *prefix);
void dp_ovl_fini(struct dp_ovl *o);

/* Wait until no reader can still see what was unpublished. */
void dp_tables_grace(struct dp_tables *t);
/* Report changed tags (after publishing). */
void dp_tables_notify(struct dp_tables *t, const uint64_t *tags, unsigned n);
/* Readers too. */
struct dp_ovl *dp_tables_ovl(const struct dp_tables *t);

#endif
