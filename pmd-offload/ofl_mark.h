/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_mark.h — the mark -> megaflow id table PMDs read.
 *
 * A partial rule tags its packets with a mark (mbuf: RTE_MBUF_F_RX_FDIR_ID,
 * m->hash.fdir.hi).  The PMD turns the mark into the megaflow id with one
 * load and then finds the megaflow by id (the dp's table, which checks that
 * it is still live).  Written only by the offload thread (relaxed atomic
 * stores: a PMD sees the old or the new id, both safe because the dp checks
 * the id's liveness); read by any PMD without locks.  A freed mark is reused
 * last (FIFO), so a packet still carrying it finds OFL_ID_NONE or a dead id.
 */
#ifndef WYV_OFL_MARK_H
#define WYV_OFL_MARK_H

#include <stdint.h>
#include <rte_mbuf.h>

#define OFL_ID_NONE 0

struct ofl_mark_table {
	uint32_t n;           /* marks 1..n-1 are valid */
	uint64_t *ids;        /* [mark] -> megaflow id, OFL_ID_NONE when free */
};

/* The megaflow id of a mark, OFL_ID_NONE when unknown (stale or bogus). */
static inline uint64_t ofl_mark_lookup(const struct ofl_mark_table *t, uint32_t mark)
{
	if (mark == 0 || mark >= t->n)
		return OFL_ID_NONE;
	return __atomic_load_n(&t->ids[mark], __ATOMIC_ACQUIRE);
}

/* The mark of a received packet, 0 when the NIC set none. */
static inline uint32_t ofl_mbuf_mark(const struct rte_mbuf *m)
{
	return (m->ol_flags & RTE_MBUF_F_RX_FDIR_ID) ? m->hash.fdir.hi : 0;
}

struct ofl;
const struct ofl_mark_table *ofl_mark_table(const struct ofl *o);

#endif
