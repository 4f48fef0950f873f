/* SPDX-License-Identifier: BSD-3-Clause
 * dp/pmd.c — the PMD thread.  A packet's whole path, top to bottom:
 *
 *   rx burst -> parse -> exact-match cache -> megaflow classifier (batched)
 *     -> miss: translate over the tables, install the megaflow
 *   -> group the burst by megaflow -> run each group's actions once
 *      (a group whose actions start with ct(): pmd_ct.c, conntrack and
 *      recirculation)
 *   -> tx flush -> RCU quiescent -> idle back-off.
 *
 * At the top of every iteration the PMD flushes its caches if the control
 * thread asked for it (flush generation), applies pending invalidation
 * tags (published by the control thread after a table change) for a bounded
 * amount of work, frees a few megaflows that invalidation killed earlier, ages a few
 * megaflows when their turn has come, serves a pending request (megaflow
 * dump) and re-reads its rx queue list when the control thread changed it.  It never blocks, never locks (except a shared
 * txq, see dp_priv.h) and never logs per packet.
 */
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "capture.h"
#include "ct.h"
#include "dp_priv.h"
#include "parse.h"
#include "tables_ovl.h"
#include "translate.h"

struct dp_pmd *dp_pmd_create(struct dp *dp, unsigned idx, unsigned lcore)
{
	char name[32];
	struct dp_pmd *pmd = rte_zmalloc("dp_pmd", sizeof(*pmd), RTE_CACHE_LINE_SIZE);
	if (pmd == NULL)
		return NULL;
	pmd->dp = dp;
	pmd->idx = idx;
	pmd->lcore = lcore;
	pmd->st.lcore = lcore;
	pmd->rng = 0x9e3779b9u ^ idx;
	snprintf(name, sizeof(name), "pmd%u", idx);
	pmd->mfc = dp_mfc_create(name, dp->cfg.megaflows_max, 256, (int)rte_lcore_to_socket_id(lcore));
	pmd->emc = dp_emc_create(dp->cfg.emc_entries, (int)rte_lcore_to_socket_id(lcore));
	if (pmd->mfc == NULL || pmd->emc == NULL) {
		dp_pmd_destroy(pmd);
		return NULL;
	}
	dp_emc_set_insert_inv_prob(pmd->emc, dp->cfg.emc_insert_inv_prob);
	dp_emc_set_min_hit_pct(pmd->emc, dp->cfg.emc_min_hit_pct);
	dp_mfc_set_owner(pmd->mfc, idx);
	dp_mfc_set_events(pmd->mfc, dp_pmd_mflow_event, pmd); /* no-op until dp_set_offload */
	dp_mfc_set_port_quota(pmd->mfc, dp_config_port_quota(&dp->cfg));
	for (unsigned p = 0; p < DP_MAX_PORTS; p++)
		pmd->port_hint[p].idx = UINT32_MAX;
	pmd->max_idle_tsc = (uint64_t)dp->cfg.megaflow_max_idle_ms * rte_get_tsc_hz() / 1000;
	if (dp->cfg.upcall_budget_pct > 0 && dp->cfg.upcall_budget_pct < 100) {
		pmd->upcall_credit_div = 100 / dp->cfg.upcall_budget_pct;
		pmd->upcall_credit_cap = (int64_t)(rte_get_tsc_hz() / 500); /* 2 ms */
		for (unsigned p = 0; p < DP_MAX_PORTS; p++)
			pmd->upcall_credit[p] = pmd->upcall_credit_cap;
	}
	return pmd;
}

void dp_pmd_destroy(struct dp_pmd *pmd)
{
	if (pmd == NULL)
		return;
	for (unsigned p = 0; p < DP_MAX_PORTS; p++)
		if (pmd->tx[p].n)
			rte_pktmbuf_free_bulk(pmd->tx[p].pkts, pmd->tx[p].n);
	dp_mfc_destroy(pmd->mfc);
	dp_emc_destroy(pmd->emc);
	rte_free(pmd);
}

/* ---- tx ----------------------------------------------------------------- */

void dp_pmd_flush_tx(struct dp_pmd *pmd)
{
	struct dp *dp = pmd->dp;
	for (unsigned i = 0; i < pmd->n_tx_dirty; i++) {
		uint16_t p = pmd->tx_dirty[i];
		struct dp_txbuf *tb = &pmd->tx[p];
		struct dp_port *port = &dp->ports[p];
		uint16_t q = port->txq_shared ? 0 : (uint16_t)pmd->idx, sent = 0;
		if (tb->n == 0)
			continue;
		if (likely(port->active)) {
			struct dp_capture *cap = __atomic_load_n(&dp->capture, __ATOMIC_ACQUIRE);
			if (unlikely(cap != NULL))
				dp_capture_burst(cap, p, port->ethdev, q, tb->pkts, tb->n, false);
			if (unlikely(port->txq_shared))
				rte_spinlock_lock(&port->txq_lock[0]);
			if (unlikely(pmd->timed)) {
				uint64_t t0 = rte_rdtsc();
				sent = rte_eth_tx_burst(port->ethdev, q, tb->pkts, tb->n);
				pmd->drv_cycles += rte_rdtsc() - t0;
			} else {
				sent = rte_eth_tx_burst(port->ethdev, q, tb->pkts, tb->n);
			}
			if (unlikely(port->txq_shared))
				rte_spinlock_unlock(&port->txq_lock[0]);
		}
		pmd->st.tx_packets += sent;
		if (unlikely(sent < tb->n)) {
			pmd->st.drops[port->active ? DP_DROP_TX_FULL : DP_DROP_PORT_GONE] +=
				tb->n - sent;
			rte_pktmbuf_free_bulk(&tb->pkts[sent], tb->n - sent);
		}
		tb->n = 0;
	}
	pmd->n_tx_dirty = 0;
}

/* ---- cache maintenance ------------------------------------------------- */

/* New tags in the log, pending ones, or a flush.  Kills for at most
 * DP_INV_STEP_WORK units; a tag whose megaflows are not all killed yet, and
 * the tags after it, wait (in inv_pend, or unread in the log): for this PMD
 * they are published a little later, which is harmless (nothing waits for
 * PMDs; a translate in between reads the new tables).  A log overrun still
 * means a flush. */
static void apply_news(struct dp_pmd *pmd, uint64_t fgen, uint64_t head)
{
	struct dp *dp = pmd->dp;
	uint64_t from = pmd->inv_seq;
	/* An explicit flush covers every tag published before it: read the
	 * generation first, then the log head, flush, skip to that head. */
	bool flush = fgen != pmd->flush_gen || head - from >= DP_INV_LOG;
	unsigned budget = DP_INV_STEP_WORK, killed = 0;
	while (!flush && budget > 0) {
		if (pmd->inv_pend_i == pmd->inv_pend_n) {
			uint64_t first = from;
			unsigned k = 0;
			if (from == head)
				break;
			while (from < head && k < RTE_DIM(pmd->inv_pend))
				pmd->inv_pend[k++] = dp->inv_log[from++ & (DP_INV_LOG - 1)];
			/* the copies above must be done before we look at the
			 * writer's position again: if it may have lapped them,
			 * they are void */
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&dp->inv_seq, __ATOMIC_RELAXED) - first >= DP_INV_LOG) {
				flush = true;
				break;
			}
			pmd->inv_pend_i = 0;
			pmd->inv_pend_n = k;
		}
		pmd->inv_pend_i += dp_mfc_kill_tags(pmd->mfc, pmd->inv_pend + pmd->inv_pend_i,
						    pmd->inv_pend_n - pmd->inv_pend_i, &budget,
						    &killed);
	}
	pmd->st.invalidations += killed;
	if (flush) {
		/* every tag before this head is covered: its table change is
		 * visible (acquire) to any translate after the flush */
		from = __atomic_load_n(&dp->inv_seq, __ATOMIC_ACQUIRE);
		dp_mfc_flush(pmd->mfc);
		pmd->inv_pend_i = pmd->inv_pend_n = 0;
		pmd->st.flushes++;
	}
	/* EMC entries point at megaflows by index+generation and
	 * dp_mfc_get checks `live`: killed megaflows simply stop matching,
	 * nothing to do here. */
	pmd->inv_seq = from;
	pmd->flush_gen = fgen;
}

bool dp_pmd_inv_step(struct dp_pmd *pmd)
{
	struct dp *dp = pmd->dp;
	uint64_t fgen = __atomic_load_n(&dp->flush_gen, __ATOMIC_ACQUIRE);
	uint64_t head = __atomic_load_n(&dp->inv_seq, __ATOMIC_ACQUIRE);
	bool news = head != pmd->inv_seq || fgen != pmd->flush_gen ||
		    pmd->inv_pend_i != pmd->inv_pend_n;
	if (likely(!news && dp_mfc_dead_count(pmd->mfc) == 0))
		return false;
	uint64_t t0 = rte_rdtsc();
	if (news)
		apply_news(pmd, fgen, head);
	/* step two of removal, bounded: killed megaflows are unlinked and
	 * their slots freed, a few per loop iteration */
	dp_mfc_reap(pmd->mfc, DP_REAP_BUDGET);
	uint64_t dt = rte_rdtsc() - t0;
	pmd->st.inv_passes += news;
	pmd->st.inv_cycles += dt;
	if (dt > pmd->st.inv_cycles_max)
		pmd->st.inv_cycles_max = dt;
	return pmd->inv_seq != head || pmd->inv_pend_i != pmd->inv_pend_n;
}

void dp_pmd_apply_invalidations(struct dp_pmd *pmd)
{
	while (dp_pmd_inv_step(pmd))
		;
}

void dp_pmd_age(struct dp_pmd *pmd, uint64_t now)
{
	if (pmd->max_idle_tsc == 0) {
		pmd->age_next_tsc = UINT64_MAX;
		return;
	}
	uint32_t hwm = dp_mfc_high_water(pmd->mfc);
	if (hwm)
		dp_mfc_age(pmd->mfc, now, pmd->max_idle_tsc, DP_AGE_BUDGET);
	/* pace: one sweep of the used pool in about half the idle limit, so a
	 * megaflow goes between 1 and 1.5 idle limits after its last hit */
	uint64_t step = pmd->max_idle_tsc / 2 * DP_AGE_BUDGET / RTE_MAX(hwm, (uint32_t)DP_AGE_BUDGET);
	pmd->age_next_tsc = now + step;
}

static int dump_one(const struct dp_megaflow *f, void *arg)
{
	struct dp_req *r = arg;
	if ((unsigned)r->result >= r->max)
		return 1;
	r->out[r->result++] = *f;
	return 0;
}

int dp_pmd_dump_now(struct dp_pmd *pmd, struct dp_megaflow *out, unsigned max)
{
	struct dp_req r = { .type = DP_REQ_DUMP, .out = out, .max = max };
	dp_pmd_apply_invalidations(pmd);
	dp_mfc_foreach(pmd->mfc, dump_one, &r);
	return r.result;
}

static void serve_request(struct dp_pmd *pmd)
{
	uint32_t seq = __atomic_load_n(&pmd->req_seq, __ATOMIC_ACQUIRE);
	if (seq == pmd->req_ack)
		return;
	struct dp_req *r = &pmd->req;
	r->result = 0;
	if (r->type == DP_REQ_DUMP)
		dp_mfc_foreach(pmd->mfc, dump_one, r);
	__atomic_store_n(&pmd->req_ack, seq, __ATOMIC_RELEASE);
}

static void reload_rxqs(struct dp_pmd *pmd)
{
	uint32_t gen = __atomic_load_n(&pmd->rxq_gen, __ATOMIC_ACQUIRE);
	if (gen == pmd->rxq_ack)
		return;
	pmd->n_rxq_live = pmd->n_rxq;
	memcpy(pmd->rxq_live, pmd->rxq, sizeof(pmd->rxq[0]) * pmd->n_rxq);
	__atomic_store_n(&pmd->rxq_ack, gen, __ATOMIC_RELEASE);
}

/* ---- the burst ------------------------------------------------------------ */

/* a miss: translate and install (dp_priv.h) */
struct dp_megaflow *dp_pmd_install(struct dp_pmd *pmd, const struct dp_flow_key *key,
				   struct dp_megaflow_spec *spec, uint64_t *first_tsc)
{
	uint64_t t0 = rte_rdtsc();
	if (*first_tsc == 0)
		*first_tsc = t0;
	dp_translate(pmd->dp->tables, key, spec, NULL);
	struct dp_megaflow *f = NULL;
	/* over quota or no room: forwarded uncached, counted by the classifier
	 * (over_quota / uncached), not a drop */
	if (likely(!spec->no_install))
		f = dp_mfc_insert(pmd->mfc, spec);
	pmd->st.upcall_cycles += rte_rdtsc() - t0;
	return f;
}

__attribute__((noinline)) void
dp_pmd_process(struct dp_pmd *pmd, uint16_t in_port, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_flow_key keys[DP_BURST];
	const struct dp_flow_key *kp[DP_BURST];
	struct rte_mbuf *ok[DP_BURST];
	struct dp_megaflow *flows[DP_BURST];
	uint32_t hashes[DP_BURST];
	unsigned n_ok = 0;
	uint64_t first_miss_tsc = 0; /* a burst that translates pays its budget */
	bool uplink = in_port == dp_overlay_uplink(pmd->dp->tables);
	uint32_t vtep_ip = 0; /* only what is addressed to our VTEP is decapsulated */
	if (unlikely(uplink)) {
		const struct dp_overlay_cfg *ov = dp_overlay_get(pmd->dp->tables);
		vtep_ip = ov != NULL ? ov->vtep_ip : 0;
	}
	/* offload on: packets the NIC marked with a live megaflow's mark run
	 * its actions at once (pmd_offload.c); the rest go on below */
	const struct dp_offload_ops *ofl = __atomic_load_n(&pmd->dp->offload, __ATOMIC_RELAXED);
	if (unlikely(ofl != NULL) && !uplink) {
		n = dp_pmd_mark_path(pmd, ofl, in_port, pkts, n);
		if (n == 0)
			return;
	}

	bool use_emc = dp_emc_use(pmd->emc);
	/* parse, hash and prefetch the EMC bucket in one pass, so the bucket
	 * loads of the whole burst overlap; malformed packets are dropped here
	 * with their reason */
	for (unsigned i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		struct rte_mbuf *m = pkts[i];
		m->port = in_port;
		unsigned r = likely(!uplink) ? dp_parse(m, in_port, &keys[n_ok])
					     : dp_parse_tnl(m, in_port, vtep_ip, &keys[n_ok]);
		if (unlikely(r != DP_DROP_NONE)) {
			pmd->st.drops[r]++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (use_emc) {
			hashes[n_ok] = dp_emc_hash(&keys[n_ok]);
			dp_emc_prefetch(pmd->emc, hashes[n_ok]);
		}
		ok[n_ok++] = m;
	}

	/* exact-match cache, unless bypassed (emc.h) */
	unsigned miss_idx[DP_BURST], n_miss = 0;
	for (unsigned i = 0; i < n_ok; i++) {
		flows[i] = use_emc ? dp_emc_lookup(pmd->emc, pmd->mfc, &keys[i], hashes[i]) : NULL;
		if (flows[i] == NULL) {
			kp[n_miss] = &keys[i];
			miss_idx[n_miss++] = i;
		}
	}
	if (use_emc) {
		pmd->st.emc_hits += n_ok - n_miss;
		dp_emc_account(pmd->emc, n_ok, n_ok - n_miss);
	} else {
		pmd->st.emc_bypassed += n_ok;
	}

	/* the ingress port's hint: the megaflow the classifier last answered
	 * for this port (a live megaflow that matches a key is a right answer
	 * for it, as in the classifier); the keys it matches skip the
	 * classifier.  Traffic of a port that mostly hits one megaflow (one
	 * destination, a security-group pass) pays one masked compare */
	struct dp_pmd_hint *ph = in_port < DP_MAX_PORTS ? &pmd->port_hint[in_port] : NULL;
	if (n_miss > 0 && ph != NULL) {
		struct dp_megaflow *h = dp_mfc_get(pmd->mfc, ph->idx, ph->gen);
		if (h != NULL) {
			unsigned k = 0;
			for (unsigned j = 0; j < n_miss; j++) {
				if (dp_key_match(kp[j], &h->mask, &h->key)) {
					unsigned i = miss_idx[j];
					flows[i] = h;
					if (use_emc)
						dp_emc_insert(pmd->emc, &keys[i], hashes[i], h);
					continue;
				}
				kp[k] = kp[j];
				miss_idx[k++] = miss_idx[j];
			}
			pmd->st.mfc_hits += n_miss - k;
			pmd->st.port_hint_hits += n_miss - k;
			n_miss = k;
		}
	}

	/* megaflow classifier, batched over the EMC misses */
	if (n_miss > 0) {
		struct dp_megaflow *mf[DP_BURST];
		unsigned hits = dp_mfc_lookup_burst(pmd->mfc, kp, n_miss, mf);
		pmd->st.mfc_hits += hits;
		for (unsigned j = n_miss; ph != NULL && j-- > 0;) /* the last answer: next hint */
			if (mf[j] != NULL) {
				ph->idx = mf[j]->idx;
				ph->gen = mf[j]->gen;
				break;
			}
		for (unsigned j = 0; j < n_miss; j++) {
			unsigned i = miss_idx[j];
			if (mf[j] != NULL) {
				flows[i] = mf[j];
				if (use_emc)
					dp_emc_insert(pmd->emc, &keys[i], hashes[i], mf[j]);
				continue;
			}
			/* miss: translate; later packets of this burst with the
			 * same megaflow find it in the classifier */
			struct dp_megaflow_spec spec;
			struct dp_megaflow *f = dp_mfc_lookup(pmd->mfc, &keys[i]);
			if (f == NULL) {
				pmd->st.misses++;
				f = dp_pmd_install(pmd, &keys[i], &spec, &first_miss_tsc);
				if (f == NULL) { /* not cacheable: run the spec */
					if (unlikely(spec.actions[0].type == DP_ACT_CT))
						dp_pmd_run_ct(pmd, in_port, spec.actions, spec.n_actions,
						       spec.flood_ports, &ok[i], &keys[i], 1, 0, NULL);
					else
						dp_actions_execute(pmd, spec.actions, spec.n_actions,
								   spec.flood_ports, &ok[i], 1);
					ok[i] = NULL;
					continue;
				}
			} else {
				pmd->st.mfc_hits++;
			}
			flows[i] = f;
			if (use_emc)
				dp_emc_insert(pmd->emc, &keys[i], hashes[i], f);
		}
	}

	/* group by megaflow and run each group's actions once: one pass, a
	 * short list of the distinct megaflows seen in this burst */
	struct dp_megaflow *gflow[DP_BURST];
	struct rte_mbuf *grp[DP_BURST][DP_BURST];
	unsigned gn[DP_BURST], ng = 0;
	for (unsigned i = 0; i < n_ok; i++) {
		if (ok[i] == NULL)
			continue;
		unsigned g = 0;
		while (g < ng && gflow[g] != flows[i])
			g++;
		if (g == ng) {
			gflow[ng] = flows[i];
			gn[ng++] = 0;
		}
		grp[g][gn[g]++] = ok[i];
		flows[i]->bytes += ok[i]->pkt_len;
	}
	uint64_t now = ng ? rte_rdtsc() : 0;
	for (unsigned g = 0; g < ng; g++) {
		gflow[g]->hits += gn[g]; /* once per group, not per packet */
		gflow[g]->used_tsc = now;
		if (unlikely(gflow[g]->actions[0].type == DP_ACT_CT)) {
			dp_pmd_ct_group(pmd, in_port, gflow[g], flows, ok, keys, n_ok, grp[g], gn[g]);
			continue;
		}
		dp_actions_execute(pmd, gflow[g]->actions, gflow[g]->n_actions,
				   gflow[g]->flood_ports, grp[g], gn[g]);
	}
	/* the port's upcall budget pays for the burst from its first
	 * translation on (translations, the rest of the burst's lookups and
	 * actions); bursts without a miss pay nothing and read no clock */
	if (unlikely(first_miss_tsc != 0)) {
		uint64_t end = rte_rdtsc();
		dp_pmd_upcall_charge(pmd, in_port, end, end - first_miss_tsc);
	}
}

/* ---- the loop --------------------------------------------------------------- */

static void idle_backoff(struct dp_pmd *pmd, struct rte_rcu_qsbr *rcu)
{
	uint32_t max = pmd->dp->cfg.idle_sleep_max_us;
	if (max == 0 || ++pmd->idle_iters < 64)
		return;
	pmd->sleep_us = pmd->sleep_us ? pmd->sleep_us * 2 : 1;
	if (pmd->sleep_us > max)
		pmd->sleep_us = max;
	/* a sleeping reader must not hold up writers' grace periods */
	rte_rcu_qsbr_thread_offline(rcu, pmd->idx);
	struct timespec ts = { .tv_sec = pmd->sleep_us / 1000000,
			       .tv_nsec = (long)(pmd->sleep_us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(rcu, pmd->idx);
	pmd->st.sleeps++;
}

int dp_pmd_main(void *arg)
{
	struct dp_pmd *pmd = arg;
	struct dp *dp = pmd->dp;
	struct rte_rcu_qsbr *rcu = dp->rcu;
	struct rte_mbuf *pkts[DP_BURST];

	rte_rcu_qsbr_thread_register(rcu, pmd->idx);
	rte_rcu_qsbr_thread_online(rcu, pmd->idx);
	/* inv_seq and flush_gen are NOT reset here: what was published while
	 * this PMD was stopped still applies to its caches */
	pmd->start_tsc = rte_rdtsc();
	uint64_t prev = pmd->start_tsc;

	while (!dp->stop) {
		reload_rxqs(pmd);
		dp_pmd_inv_step(pmd);
		if (unlikely(prev >= pmd->age_next_tsc))
			dp_pmd_age(pmd, prev);
		serve_request(pmd);
		if (unlikely(__atomic_load_n(&dp->offload, __ATOMIC_RELAXED) != NULL))
			dp_pmd_ofl_stats_step(pmd, prev); /* hardware counters */
		if (unlikely(prev >= pmd->ct_next_tsc)) {
			/* conntrack expiry: a bounded step about every ms */
			uint64_t ms = rte_get_tsc_hz() / 1000;
			dp_ct_expire(dp->ct, pmd->idx, prev / ms, DP_CT_EXPIRE_BUDGET);
			pmd->ct_next_tsc = prev + ms;
		}
		if (unlikely(dp_ct_reval_pending(dp->ct))) {
			/* a port's rules changed: re-validate its connections,
			 * a bounded step per iteration, no sleeping meanwhile */
			dp_pmd_ct_reval_step(pmd, prev);
			pmd->idle_iters = 0;
		}

		unsigned total = 0;
		pmd->timed = (pmd->st.iterations & (DP_PMD_TIMED_EVERY - 1)) == 0;
		pmd->drv_cycles = 0;
		for (unsigned q = 0; q < pmd->n_rxq_live; q++) {
			const struct dp_rxq *rq = &pmd->rxq_live[q];
			if (unlikely(!dp->ports[rq->dp_port].active))
				continue;
			if (unlikely(dp_pmd_upcall_throttled(pmd, rq->dp_port, prev))) {
				pmd->st.upcall_throttled++;
				continue;
			}
			uint16_t nb;
			if (unlikely(pmd->timed)) {
				uint64_t t0 = rte_rdtsc();
				nb = rte_eth_rx_burst(rq->ethdev, rq->queue, pkts, DP_BURST);
				pmd->drv_cycles += rte_rdtsc() - t0;
			} else {
				nb = rte_eth_rx_burst(rq->ethdev, rq->queue, pkts, DP_BURST);
			}
			if (nb == 0)
				continue;
			total += nb;
			pmd->st.rx_packets += nb; /* before the hit counters it explains */
			struct dp_capture *cap = __atomic_load_n(&dp->capture, __ATOMIC_ACQUIRE);
			if (unlikely(cap != NULL))
				dp_capture_burst(cap, rq->dp_port, rq->ethdev, rq->queue, pkts, nb, true);
			pmd->cur_rxq = rq->queue; /* for megaflow install events */
			dp_pmd_process(pmd, rq->dp_port, pkts, nb);
		}
		if (pmd->n_tx_dirty)
			dp_pmd_flush_tx(pmd);
		if (unlikely(pmd->punted)) { /* wake the control thread */
			pmd->punted = false;
			eventfd_write(dp->punt_evfd, 1);
		}
		rte_rcu_qsbr_quiescent(rcu, pmd->idx);

		uint64_t now = rte_rdtsc();
		pmd->st.iterations++;
		if (total) {
			pmd->st.busy_cycles += now - prev;
			if (unlikely(pmd->timed)) {
				pmd->st.timed_iterations++;
				pmd->st.timed_packets += total;
				pmd->st.timed_cycles += now - prev;
				pmd->st.timed_driver_cycles += pmd->drv_cycles;
			}
			pmd->idle_iters = 0;
			pmd->sleep_us = 0;
		} else {
			pmd->st.idle_cycles += now - prev;
			idle_backoff(pmd, rcu);
			uint64_t after = rte_rdtsc(); /* time asleep is idle time */
			pmd->st.idle_cycles += after - now;
			now = after;
		}
		prev = now;
	}
	pmd->timed = false;
	dp_pmd_flush_tx(pmd);
	rte_rcu_qsbr_thread_offline(rcu, pmd->idx);
	rte_rcu_qsbr_thread_unregister(rcu, pmd->idx);
	return 0;
}
