/* SPDX-License-Identifier: BSD-3-Clause
 * dp/tables_lport_pool.c — where published lports live: chunks of DPDK
 * memory cut into cache-line-aligned slots, one size class per number of
 * address pairs (an lport's allocation ends after its last pair) and, for
 * an lport without pairs, per number of addresses (it ends after them), freed
 * slots kept on a list per class for the next put.  Writer (control
 * thread) only; a slot goes back only after the grace period (tables.c).
 *
 * Why not one rte_malloc per lport: at 100k ports each allocation carried
 * a 64-byte heap header (256 -> 320 bytes) and took ~0.6 us, and every
 * first touch of a 4 KiB page of DPDK's memory (no hugepages) is a page
 * fault, ~11 us on this kind of machine against ~1.2 us a page when a
 * whole range is populated at once (MADV_POPULATE_WRITE, tests/rig-notes.md):
 * a new chunk is populated in one call.  Chunks are not given back (the
 * freed slots are reused); dp_lport_pool_fini frees them all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "tables_priv.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#define LP_CHUNK (256u * 1024)

size_t dp_lport_pool_slot(const struct dp_lport_cfg *c)
{
	size_t sz = offsetof(struct dp_lport, cfg) + dp_lport_cfg_size(c);
	return RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE);
}

/* c's size class: its address count without pairs, else after those. */
static unsigned lp_class(const struct dp_lport_cfg *c)
{
	return c->n_aaps ? DP_LPORT_MAX_IPS + c->n_aaps : c->n_ips;
}

void *dp_lport_pool_get(struct dp_lport_pool *p, const struct dp_lport_cfg *c)
{
	if (c->n_aaps > DP_LPORT_MAX_AAPS || c->n_ips > DP_LPORT_MAX_IPS)
		return NULL;
	unsigned k = lp_class(c);
	size_t sz = dp_lport_pool_slot(c);
	void *o = p->free[k];
	if (o != NULL) {
		p->free[k] = *(void **)o;
		return o;
	}
	if (p->left[k] < sz) {
		if (p->n_chunks == p->cap_chunks) {
			unsigned cap = p->cap_chunks ? p->cap_chunks * 2 : 16;
			void **v = realloc(p->chunks, cap * sizeof(*v));
			if (v == NULL)
				return NULL;
			p->chunks = v;
			p->cap_chunks = cap;
		}
		char *ch = rte_malloc("dp_lports", LP_CHUNK, 4096);
		if (ch == NULL)
			return NULL;
		/* one call instead of 64 page faults; hugepages: a no-op,
		 * an old kernel: EINVAL, the faults come as before */
		(void)madvise(ch, LP_CHUNK, MADV_POPULATE_WRITE);
		p->chunks[p->n_chunks++] = ch;
		p->cur[k] = ch;
		p->left[k] = LP_CHUNK;
	}
	o = p->cur[k];
	p->cur[k] += sz;
	p->left[k] -= sz;
	return o;
}

void dp_lport_pool_put(struct dp_lport_pool *p, struct dp_lport *lp)
{
	if (lp == NULL)
		return;
	unsigned k = lp_class(&lp->cfg);
	*(void **)lp = p->free[k];
	p->free[k] = lp;
}

void dp_lport_pool_fini(struct dp_lport_pool *p)
{
	for (unsigned i = 0; i < p->n_chunks; i++)
		rte_free(p->chunks[i]);
	free(p->chunks);
	memset(p, 0, sizeof(*p));
}
