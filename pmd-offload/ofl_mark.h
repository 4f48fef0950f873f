/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_mark.h — the mark -> megaflow table PMDs read.
 *
 * A partial rule tags its packets with a mark (mbuf: RTE_MBUF_F_RX_FDIR_ID,
 * m->hash.fdir.hi).  Megaflows are per PMD, rules are per pattern: one rule
 * serves the megaflows of every PMD with that pattern (RSS may send its
 * packets to any PMD polling the port).  So the table has one row per mark
 * and one column per PMD: ids[mark * stride + pmd] is the id of THAT PMD's
 * megaflow for the rule, OFL_ID_NONE when the PMD has none (yet).  The PMD
 * turns the mark into its own megaflow with one load and then finds it by
 * id (the dp's table, which checks that it is still live).  Written only by
 * the offload thread (relaxed atomic stores: a PMD sees the old or the new
 * id, both safe because the dp checks the id's liveness); read by any PMD
 * without locks.  A freed mark is reused last (FIFO), so a packet still
 * carrying it finds OFL_ID_NONE or a dead id.
 */
#ifndef WYV_OFL_MARK_H
#define WYV_OFL_MARK_H

#include <stdint.h>
#include <rte_mbuf.h>

#define OFL_ID_NONE 0

struct ofl_mark_table {
	uint32_t n;           /* marks 1..n-1 are valid */
	uint32_t stride;      /* columns: PMDs (>= 1) */
	uint64_t *ids;        /* [mark * stride + pmd] -> megaflow id, OFL_ID_NONE when none */
};

/* PMD pmd's megaflow id for a mark, OFL_ID_NONE when unknown (stale, bogus,
 * or no megaflow of that PMD shares the rule). */
static inline uint64_t ofl_mark_lookup(const struct ofl_mark_table *t, uint32_t mark,
				       unsigned pmd)
{
	if (mark == 0 || mark >= t->n || pmd >= t->stride)
		return OFL_ID_NONE;
	return __atomic_load_n(&t->ids[(uint64_t)mark * t->stride + pmd], __ATOMIC_ACQUIRE);
}

/* The mark of a received packet, 0 when the NIC set none. */
static inline uint32_t ofl_mbuf_mark(const struct rte_mbuf *m)
{
	return (m->ol_flags & RTE_MBUF_F_RX_FDIR_ID) ? m->hash.fdir.hi : 0;
}

/* Once per rx burst in PMD pmd: ids[i] = its megaflow id of pkts[i]'s mark,
 * OFL_ID_NONE when unmarked or stale.  Returns how many packets carried a
 * mark (*stale: how many of those mapped to no megaflow), so the PMD can
 * skip the lookups when it is 0 and count marked hits / stale marks. */
static inline unsigned ofl_mark_burst(const struct ofl_mark_table *t, unsigned pmd,
				      struct rte_mbuf *const pkts[], unsigned n, uint64_t ids[],
				      unsigned *stale)
{
	unsigned marked = 0, bad = 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t mk = ofl_mbuf_mark(pkts[i]);
		ids[i] = mk ? ofl_mark_lookup(t, mk, pmd) : OFL_ID_NONE;
		marked += mk != 0;
		bad += mk != 0 && ids[i] == OFL_ID_NONE;
	}
	*stale = bad;
	return marked;
}

struct ofl;
const struct ofl_mark_table *ofl_mark_table(const struct ofl *o);

#endif
