/* SPDX-License-Identifier: BSD-3-Clause
 * dp/pmd_ct.c — the PMD thread's groups whose megaflow starts with ct():
 * conntrack on the group's keys (two zones in one call when a pass tracks
 * both ends), ct_state into the keys, and recirculation into the lookup
 * (recirculation hint, EMC unless bypassed, classifier, translate on a
 * miss) without parsing again.  Called from dp_pmd_process (pmd.c) only,
 * on the PMD thread.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "ct.h"
#include "dp_priv.h"
#include "translate.h"

/* ---- ct() and recirculation ---------------------------------------------------
 * A megaflow whose list starts with ct() actions is run here, not by the
 * executor: ct() needs the packets' keys.  Each ct() tracks the group in its
 * zone and writes ct_state/ct_zone into the keys; one with a recirc_id
 * re-enters the lookup (EMC, classifier, translate on a miss) with the
 * updated keys, without parsing again.  The rest of the list after ct()
 * actions that do not recirculate (commit) runs in the executor.  Only
 * security-group ports ever get a ct() megaflow: the stateless path pays one
 * test of the first action per group. */

static void recirc(struct dp_pmd *pmd, uint16_t in_port, struct rte_mbuf **pkts,
		   struct dp_flow_key *keys, unsigned n, unsigned depth, struct dp_megaflow *from);

/* ct() with DP_CT_F_TTL: the packets whose TTL expires at this router go
 * to the controller untranslated (ICMP time exceeded to their real source);
 * the others stay, pkts[] and keys[] compacted alike.  Returns how many. */
static __attribute__((noinline)) unsigned
ttl_expired_punt(struct dp_pmd *pmd, struct rte_mbuf **pkts, struct dp_flow_key *keys, unsigned n)
{
	static const struct dp_action punt = { .type = DP_ACT_PUNT, .u32 = DP_PUNT_TTL };
	unsigned k = 0;
	for (unsigned j = 0; j < n; j++) {
		if (keys[j].ip_ttl > 1) {
			if (k != j) {
				pkts[k] = pkts[j];
				keys[k] = keys[j];
			}
			k++;
		} else {
			dp_actions_execute(pmd, &punt, 1, NULL, &pkts[j], 1);
		}
	}
	return k;
}

/* The ct() action at acts[*i] with its label and nat() actions, as
 * conntrack takes it; *i moves past them. */
static void ct_action_of(const struct dp_action *acts, unsigned n_acts, unsigned *i,
			 struct dp_ct_action *ca)
{
	const struct dp_action *a = &acts[(*i)++];
	uint8_t f = a->data[0];

	*ca = (struct dp_ct_action){
		.zone = a->port,
		.commit = (f & DP_CT_F_COMMIT) != 0,
		.set_mark = (f & DP_CT_F_MARK) != 0,
		.set_label = (f & DP_CT_F_LABEL) != 0,
		.sg_dir = (f & DP_CT_F_SG_EGRESS) ? DP_CT_SG_EGRESS
			: (f & DP_CT_F_SG_INGRESS) ? DP_CT_SG_INGRESS : DP_CT_SG_NONE,
		.mark = a->u32,
		.mark_mask = dp_act_ct_mark_mask(a),
	};
	for (; *i < n_acts && acts[*i].type == DP_ACT_CT_LABEL; (*i)++) {
		unsigned h = (acts[*i].port & 1) * 8;
		memcpy(ca->label + h, acts[*i].data, 8);
		memset(ca->label_mask + h, 0xff, 8);
	}
	/* nat(...): NAT rewrites the packets and their keys in place */
	if ((f & DP_CT_F_NAT) && *i < n_acts && acts[*i].type == DP_ACT_CT_NAT) {
		struct dp_ct_nat *nc = &ca->nat_cfg;
		dp_act_ct_nat_get(&acts[(*i)++], &nc->kind, &nc->addr_min, &nc->addr_max,
				  &nc->port_min, &nc->port_max);
		ca->nat = true;
	}
}

/* The source zone's state of a two-zone pass (DP_CT_F_EG), kept apart. */
static inline void ct_state_eg(struct dp_flow_key *keys, const struct dp_ct_result *res,
			       unsigned n)
{
	for (unsigned j = 0; j < n; j++) {
		keys[j].ct_state_eg = res[j].state;
		keys[j].ct_mark_eg = (uint8_t)(res[j].mark & DP_CT_MARK_BLOCKED);
	}
}

/* from: the megaflow whose actions these are (NULL: an uncached spec), for
 * its recirculation hint */
__attribute__((noinline)) void
dp_pmd_run_ct(struct dp_pmd *pmd, uint16_t in_port, const struct dp_action *acts, unsigned n_acts,
       const uint16_t *flood_ports, struct rte_mbuf **pkts, struct dp_flow_key *keys,
       unsigned n, unsigned depth, struct dp_megaflow *from)
{
	struct dp_flow_key *kp[DP_BURST];
	struct dp_ct_result res[DP_BURST], res2[DP_BURST];
	uint64_t now_ms = rte_rdtsc() / (rte_get_tsc_hz() / 1000);
	unsigned i = 0;
	for (unsigned j = 0; j < n; j++)
		kp[j] = &keys[j];
	while (i < n_acts && acts[i].type == DP_ACT_CT) {
		const struct dp_action *a = &acts[i];
		uint8_t f = a->data[0];
		struct dp_ct_action ca;
		struct dp_ct_result *r = res;
		ct_action_of(acts, n_acts, &i, &ca);
		if (unlikely(f & DP_CT_F_TTL)) {
			bool expiring = false;
			for (unsigned j = 0; j < n; j++)
				expiring |= keys[j].ip_ttl <= 1;
			if (unlikely(expiring) && (n = ttl_expired_punt(pmd, pkts, keys, n)) == 0)
				return;
		}
		/* ct_mark/ct_label overlay the ARP/ND fields: a ct() group
		 * never holds such a packet (flow_key.h, stage_sg.c).  The
		 * source zone's lookup of a two-zone pass keeps its state
		 * apart (DP_CT_F_EG): the destination zone's ct() follows,
		 * and the two run as one (dp_ct_process2) */
		if ((f & DP_CT_F_EG) && !ca.nat && i < n_acts && acts[i].type == DP_ACT_CT &&
		    !(acts[i].data[0] & (DP_CT_F_EG | DP_CT_F_TTL | DP_CT_F_NAT))) {
			struct dp_ct_action ca2;
			a = &acts[i];
			f = a->data[0];
			ct_action_of(acts, n_acts, &i, &ca2);
			dp_ct_process2(pmd->dp->ct, pmd->idx, &ca, &ca2, pkts, kp, res, res2, n,
				       now_ms);
			pmd->st.ct_packets += 2 * n;
			ct_state_eg(keys, res, n);
			r = res2;
		} else {
			dp_ct_process(pmd->dp->ct, pmd->idx, &ca, pkts, kp, res, n, now_ms);
			pmd->st.ct_packets += n;
			if (f & DP_CT_F_EG) {
				ct_state_eg(keys, res, n);
				continue;
			}
		}
		for (unsigned j = 0; j < n; j++) {
			keys[j].ct_state = r[j].state;
			keys[j].ct_zone = r[j].zone;
			keys[j].ct_mark = r[j].mark;
			memcpy(keys[j].ct_label, r[j].label, 16);
		}
		if (a->data[1] != 0) {
			for (unsigned j = 0; j < n; j++)
				keys[j].recirc_id = a->data[1];
			recirc(pmd, in_port, pkts, keys, n, depth + 1, from);
			return;
		}
	}
	dp_actions_execute(pmd, acts + i, n_acts - i, flood_ports, pkts, n);
}

/* The recirculation hint: a ct() megaflow remembers the megaflow its last
 * recirculated packet hit (slot and generation); the next keys try it first,
 * by matching them against its mask and masked key (a live megaflow that
 * matches a key is a right answer for it, as in the classifier), before the
 * EMC and the classifier.  Established traffic of one first-pass megaflow
 * goes to one recirculated megaflow, so it skips the EMC hash, probe and
 * insert and the classifier's subtables.  Counted as classifier hits. */
static void recirc(struct dp_pmd *pmd, uint16_t in_port, struct rte_mbuf **pkts,
		   struct dp_flow_key *keys, unsigned n, unsigned depth, struct dp_megaflow *from)
{
	if (unlikely(depth > DP_RECIRC_MAX)) {
		pmd->st.drops[DP_DROP_RECIRC_DEPTH] += n;
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	pmd->st.recirculations += n;
	struct dp_megaflow *flows[DP_BURST];
	uint32_t hashes[DP_BURST];
	const struct dp_flow_key *mk[DP_BURST];
	struct dp_megaflow *mf[DP_BURST];
	uint8_t mi[DP_BURST];
	unsigned n_miss = 0, n_hint = 0;
	uint64_t first_miss_tsc = 0;
	struct dp_megaflow *hint = from != NULL ? dp_mfc_get(pmd->mfc, from->next_idx,
							     from->next_gen) : NULL;
	bool use_emc = dp_emc_use(pmd->emc);
	unsigned n_emc = 0;
	for (unsigned i = 0; i < n; i++) {
		if (hint != NULL && dp_key_match(&keys[i], &hint->mask, &hint->key)) {
			flows[i] = hint;
			n_hint++;
			continue;
		}
		flows[i] = NULL;
		if (use_emc) {
			hashes[i] = dp_emc_hash(&keys[i]);
			flows[i] = dp_emc_lookup(pmd->emc, pmd->mfc, &keys[i], hashes[i]);
			n_emc++;
		}
		if (flows[i] != NULL) {
			pmd->st.emc_hits++;
		} else {
			mk[n_miss] = &keys[i];
			mi[n_miss++] = (uint8_t)i;
		}
	}
	if (use_emc && n_emc)
		dp_emc_account(pmd->emc, n_emc, n_emc - n_miss);
	else if (!use_emc)
		pmd->st.emc_bypassed += n_miss;
	/* the EMC misses in one classifier pass (hit counts rank the
	 * recirculated passes' subtables like the first pass's) */
	if (n_miss)
		pmd->st.mfc_hits += dp_mfc_lookup_burst(pmd->mfc, mk, n_miss, mf);
	bool installed = false;
	for (unsigned j = 0; j < n_miss; j++) {
		unsigned i = mi[j];
		struct dp_megaflow *f = mf[j];
		/* an install earlier in this burst may cover it */
		if (f == NULL && installed && (f = dp_mfc_lookup(pmd->mfc, &keys[i])) != NULL)
			pmd->st.mfc_hits++;
		if (f != NULL) {
			if (use_emc)
				dp_emc_insert(pmd->emc, &keys[i], hashes[i], f);
		} else {
			struct dp_megaflow_spec spec;
			pmd->st.misses++;
			installed = true;
			f = dp_pmd_install(pmd, &keys[i], &spec, &first_miss_tsc);
			if (f == NULL) { /* not cacheable: run the spec */
				if (spec.n_actions && spec.actions[0].type == DP_ACT_CT)
					dp_pmd_run_ct(pmd, in_port, spec.actions, spec.n_actions,
					       spec.flood_ports, &pkts[i], &keys[i], 1, depth, NULL);
				else
					dp_actions_execute(pmd, spec.actions, spec.n_actions,
							   spec.flood_ports, &pkts[i], 1);
				pkts[i] = NULL;
			} else if (use_emc) {
				dp_emc_insert(pmd->emc, &keys[i], hashes[i], f);
			}
		}
		flows[i] = f;
	}
	pmd->st.mfc_hits += n_hint;
	if (from != NULL && n_hint < n) { /* the last other answer is the next hint */
		for (unsigned i = n; i-- > 0;) {
			if (pkts[i] != NULL && flows[i] != NULL && flows[i] != hint) {
				from->next_idx = flows[i]->idx;
				from->next_gen = flows[i]->gen;
				break;
			}
		}
	}
	/* one group at a time (recursion keeps one group's keys per level);
	 * only a ct() group needs its keys: copied, unless it is the whole
	 * burst (then the keys are its own, ct() writes them in place) */
	struct rte_mbuf *gp[DP_BURST];
	struct dp_flow_key gk[DP_BURST];
	uint64_t now = rte_rdtsc();
	for (unsigned i = 0; i < n; i++) {
		if (pkts[i] == NULL)
			continue;
		struct dp_megaflow *f = flows[i];
		bool ct = f->actions[0].type == DP_ACT_CT, all = ct && i == 0;
		for (unsigned j = 1; all && j < n; j++)
			all = pkts[j] != NULL && flows[j] == f;
		unsigned k = 0;
		for (unsigned j = i; j < n; j++) {
			if (pkts[j] == NULL || flows[j] != f)
				continue;
			if (ct && !all)
				gk[k] = keys[j];
			gp[k++] = pkts[j];
			f->bytes += pkts[j]->pkt_len;
			pkts[j] = NULL;
		}
		f->hits += k;
		f->used_tsc = now;
		if (ct)
			dp_pmd_run_ct(pmd, in_port, f->actions, f->n_actions, f->flood_ports, gp,
			       all ? keys : gk, k, depth, f);
		else
			dp_actions_execute(pmd, f->actions, f->n_actions, f->flood_ports, gp, k);
	}
	if (unlikely(first_miss_tsc != 0)) {
		uint64_t end = rte_rdtsc();
		dp_pmd_upcall_charge(pmd, in_port, end, end - first_miss_tsc);
	}
}

/* A group of the burst whose megaflow starts with ct(): gather its keys
 * (the burst's own when the group is the whole burst: nothing reads them
 * after it). */
__attribute__((noinline)) void
dp_pmd_ct_group(struct dp_pmd *pmd, uint16_t in_port, struct dp_megaflow *f,
	 struct dp_megaflow *const *flows, struct rte_mbuf *const *ok,
	 struct dp_flow_key *keys, unsigned n_ok, struct rte_mbuf **grp, unsigned n)
{
	if (n == n_ok) {
		dp_pmd_run_ct(pmd, in_port, f->actions, f->n_actions, f->flood_ports, grp, keys, n, 0, f);
		return;
	}
	struct dp_flow_key gk[DP_BURST];
	unsigned k = 0;
	for (unsigned i = 0; i < n_ok && k < n; i++)
		if (ok[i] != NULL && flows[i] == f)
			gk[k++] = keys[i];
	dp_pmd_run_ct(pmd, in_port, f->actions, f->n_actions, f->flood_ports, grp, gk, n, 0, f);
}
