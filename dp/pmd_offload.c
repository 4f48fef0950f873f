/* SPDX-License-Identifier: BSD-3-Clause
 * dp/pmd_offload.c — the datapath side of megaflow offload (dp.h "offload
 * hooks"; the offloader itself is pmd-offload/).
 *
 *  - Events: the classifier calls dp_pmd_mflow_event when a megaflow is
 *    installed or stops being live; with hooks set, the PMD hands it to the
 *    offloader (a copy onto its ring: never blocks, a full ring is counted).
 *    A removal is announced only for a megaflow whose install the offloader
 *    took (megaflow.announced).
 *  - Mark path: a packet the NIC tagged with a flow mark of one of this
 *    PMD's live megaflows (same ingress port) runs that megaflow's actions
 *    directly: no EMC, no classifier, and no parse unless the actions read
 *    header lengths (megaflow.need_parse).  The mark table has one column
 *    per PMD (a rule is shared by every PMD's megaflow of its pattern), so
 *    a PMD reads its own column.  The megaflow's hits, bytes and last-used
 *    time are updated as on the software path.  Any other mark takes the
 *    software path and is counted: foreign (only other PMDs' columns are
 *    set: this PMD has no megaflow of the rule yet) or stale (freed, reused,
 *    a megaflow that is gone).
 *  - Hardware counters: the offloader queues {id, packets, bytes} per PMD
 *    (dp_offload_stats, any thread); the PMD merges them into its megaflows
 *    at the top of its loop, so idle aging sees hardware-forwarded traffic.
 *
 * Threads: dp_pmd_* on the owning PMD; dp_set_offload on the control
 * thread; dp_offload_stats on any thread.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "dp_priv.h"
#include "parse.h"
#include "tables_ovl.h"

#define OFL_STATS_RING 1024   /* hardware counter deltas queued per PMD */
#define OFL_STATS_BURST 32    /* merged per loop iteration */

struct ofl_hw_delta {
	uint64_t id, pkts, bytes;
	uint64_t aged;   /* 1: the port aged the rule out, remove the megaflow */
};

void dp_pmd_mflow_event(void *arg, struct dp_megaflow *f, int installed)
{
	struct dp_pmd *pmd = arg;
	const struct dp_offload_ops *o = __atomic_load_n(&pmd->dp->offload, __ATOMIC_ACQUIRE);
	int rc;
	if (o == NULL)
		return;
	if (installed) {
		/* ct() megaflows recirculate (nothing a mark could skip); the
		 * uplink's keys are inner headers the NIC cannot match */
		if ((f->n_actions > 0 && f->actions[0].type == DP_ACT_CT) ||
		    f->in_port == dp_overlay_uplink(pmd->dp->tables))
			return;
		rc = o->installed(o->arg, f->id, f->in_port, pmd->cur_rxq, &f->key, &f->mask,
				  f->actions, f->n_actions);
		f->announced = rc == 0;
	} else {
		/* only what the offloader took: megaflows of ports it does not
		 * offload cost nothing when they go (a flush of 64k of them
		 * would otherwise overflow its queue and force a resync) */
		if (!f->announced)
			return;
		f->announced = 0;
		rc = o->removed(o->arg, f->id);
	}
	if (rc == 0)
		pmd->st.ofl_events++;
	else if (rc == -ENOBUFS)
		pmd->st.ofl_events_dropped++;
}

/* Does any PMD's column of this mark row name a megaflow? */
static int mark_row_used(const uint64_t *row, uint32_t stride)
{
	for (uint32_t c = 0; c < stride; c++)
		if (__atomic_load_n(&row[c], __ATOMIC_RELAXED) != 0)
			return 1;
	return 0;
}

uint16_t dp_pmd_mark_path(struct dp_pmd *pmd, const struct dp_offload_ops *ofl,
			  uint16_t in_port, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_megaflow *gflow[DP_BURST];
	struct rte_mbuf *grp[DP_BURST][DP_BURST];
	unsigned gn[DP_BURST], ng = 0, hits = 0, parsed = 0, stale = 0, foreign = 0;
	uint16_t rest = 0;
	uint64_t any = 0;

	/* bursts without a mark (most, on a port whose NIC refuses MARK) cost
	 * one OR per packet */
	for (unsigned i = 0; i < n; i++)
		any |= pkts[i]->ol_flags;
	if (likely(!(any & RTE_MBUF_F_RX_FDIR_ID)))
		return n;
	const uint32_t stride = ofl->mark_stride ? ofl->mark_stride : 1;
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (!(m->ol_flags & RTE_MBUF_F_RX_FDIR_ID)) {
			pkts[rest++] = m;
			continue;
		}
		uint32_t mk = m->hash.fdir.hi;
		const uint64_t *row = mk != 0 && mk < ofl->n_marks
					      ? &ofl->mark_ids[(uint64_t)mk * stride] : NULL;
		uint64_t id = row && pmd->idx < stride
				      ? __atomic_load_n(&row[pmd->idx], __ATOMIC_ACQUIRE) : 0;
		struct dp_megaflow *f = NULL;
		if ((id != 0 && DP_MFLOW_ID_PMD(id) != pmd->idx) ||
		    (id == 0 && row && mark_row_used(row, stride))) {
			/* the rule serves other PMDs' megaflows; this PMD has
			 * no copy yet (its install will join the rule) */
			foreign++;
			pkts[rest++] = m;
			continue;
		}
		if (id != 0)
			f = dp_mfc_get(pmd->mfc, DP_MFLOW_ID_SLOT(id), DP_MFLOW_ID_GEN(id));
		if (f == NULL || f->in_port != in_port ||
		    (f->n_actions > 0 && f->actions[0].type == DP_ACT_CT)) {
			stale++;
			pkts[rest++] = m;
			continue;
		}
		m->port = in_port;
		if (f->need_parse) {
			/* the actions read header lengths: the same parse the
			 * software path does (and the same drop if it fails) */
			struct dp_flow_key k;
			unsigned r = dp_parse(m, in_port, &k);
			if (unlikely(r != DP_DROP_NONE)) {
				pmd->st.drops[r]++;
				rte_pktmbuf_free(m);
				continue;
			}
			parsed++;
		}
		unsigned g = 0;
		while (g < ng && gflow[g] != f)
			g++;
		if (g == ng) {
			gflow[ng] = f;
			gn[ng++] = 0;
		}
		grp[g][gn[g]++] = m;
		f->bytes += m->pkt_len;
		hits++;
	}
	pmd->st.mark_hits += hits;
	pmd->st.mark_parsed += parsed;
	pmd->st.mark_stale += stale;
	pmd->st.mark_foreign += foreign;
	if (ng) {
		uint64_t now = rte_rdtsc();
		for (unsigned g = 0; g < ng; g++) {
			gflow[g]->hits += gn[g];
			gflow[g]->used_tsc = now;
			dp_actions_execute(pmd, gflow[g]->actions, gflow[g]->n_actions,
					   gflow[g]->flood_ports, grp[g], gn[g]);
		}
	}
	return rest;
}

void dp_pmd_ofl_stats_step(struct dp_pmd *pmd, uint64_t now)
{
	struct ofl_hw_delta d[OFL_STATS_BURST];
	if (pmd->ofl_stats == NULL)
		return;
	unsigned k = rte_ring_sc_dequeue_burst_elem(pmd->ofl_stats, d, sizeof(d[0]),
						    OFL_STATS_BURST, NULL);
	for (unsigned i = 0; i < k; i++) {
		if (DP_MFLOW_ID_PMD(d[i].id) != pmd->idx)
			continue;
		struct dp_megaflow *f = dp_mfc_get(pmd->mfc, DP_MFLOW_ID_SLOT(d[i].id),
						   DP_MFLOW_ID_GEN(d[i].id));
		if (f == NULL)
			continue;
		if (d[i].aged) {
			dp_mfc_remove(pmd->mfc, f);   /* announces the removal */
			continue;
		}
		f->hits += d[i].pkts;
		f->bytes += d[i].bytes;
		/* a drop megaflow the port drops itself: its packets count
		 * under the megaflow's reason, as they would in software */
		if (f->n_actions == 1 && f->actions[0].type == DP_ACT_DROP) {
			uint32_t r = f->actions[0].u32;
			pmd->st.drops[r < DP_DROP__MAX ? r : DP_DROP_POLICY] += d[i].pkts;
		}
		if (d[i].pkts)
			f->used_tsc = now;
		pmd->st.ofl_hw_updates++;
	}
}

/* ---- control side ---------------------------------------------------------- */

int dp_set_offload(struct dp *dp, const struct dp_offload_ops *ops)
{
	static unsigned seq;
	struct dp_offload_ops *n = NULL;
	if (ops != NULL) {
		if (ops->installed == NULL || ops->removed == NULL)
			return -EINVAL;
		for (unsigned i = 0; i < dp->n_pmds; i++) {
			struct dp_pmd *p = dp->pmds[i];
			char name[RTE_RING_NAMESIZE];
			if (p->ofl_stats != NULL)
				continue;
			snprintf(name, sizeof(name), "dp_ofs%u_%u", seq++, i);
			p->ofl_stats = rte_ring_create_elem(name, sizeof(struct ofl_hw_delta),
							    OFL_STATS_RING,
							    (int)rte_lcore_to_socket_id(p->lcore),
							    RING_F_SC_DEQ);
			if (p->ofl_stats == NULL)
				return -ENOMEM;
		}
		n = rte_zmalloc("dp_offload", sizeof(*n), 0);
		if (n == NULL)
			return -ENOMEM;
		*n = *ops;
	}
	struct dp_offload_ops *old = dp->offload;
	__atomic_store_n(&dp->offload, n, __ATOMIC_RELEASE);
	if (dp->running)
		rte_rcu_qsbr_synchronize(dp->rcu, RTE_QSBR_THRID_INVALID);
	rte_free(old);
	return 0;
}

int dp_offload_stats(struct dp *dp, uint64_t id, uint64_t pkts, uint64_t bytes)
{
	unsigned i = DP_MFLOW_ID_PMD(id);
	if (i >= dp->n_pmds)
		return -ENOENT;
	struct rte_ring *r = dp->pmds[i]->ofl_stats;
	if (r == NULL || __atomic_load_n(&dp->offload, __ATOMIC_ACQUIRE) == NULL)
		return -ENOTSUP;
	struct ofl_hw_delta d = { .id = id, .pkts = pkts, .bytes = bytes };
	return rte_ring_mp_enqueue_elem(r, &d, sizeof(d)) == 0 ? 0 : -ENOBUFS;
}

int dp_offload_aged(struct dp *dp, uint64_t id)
{
	unsigned i = DP_MFLOW_ID_PMD(id);
	if (i >= dp->n_pmds)
		return -ENOENT;
	struct rte_ring *r = dp->pmds[i]->ofl_stats;
	if (r == NULL || __atomic_load_n(&dp->offload, __ATOMIC_ACQUIRE) == NULL)
		return -ENOTSUP;
	struct ofl_hw_delta d = { .id = id, .aged = 1 };
	return rte_ring_mp_enqueue_elem(r, &d, sizeof(d)) == 0 ? 0 : -ENOBUFS;
}

/* dp_destroy: after the PMDs stopped, before they are freed. */
void dp_offload_free(struct dp *dp)
{
	rte_free(dp->offload);
	dp->offload = NULL;
	for (unsigned i = 0; i < dp->n_pmds; i++)
		if (dp->pmds[i] != NULL) {
			rte_ring_free(dp->pmds[i]->ofl_stats);
			dp->pmds[i]->ofl_stats = NULL;
		}
}
