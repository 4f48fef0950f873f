/* SPDX-License-Identifier: BSD-3-Clause
 * dp/dp.c — the datapath context: mbuf pool, tables, RCU, punt ring, PMDs,
 * statistics, dumps and the invalidation log.
 *
 * Invalidation log: a ring of DP_INV_LOG tags with a 64-bit sequence.  The
 * control thread writes one tag and publishes seq+1 (release); each PMD
 * keeps its own cursor and applies the tags it has not seen at the top of
 * its loop.  No allocation, no waiting for PMDs.  A PMD that fell more than
 * DP_INV_LOG behind cannot tell what it missed and flushes its caches.
 * A flush on purpose (dp_flush_caches, DP_TAG_FLUSH from the tables) is not
 * a flood of tags: it bumps flush_gen, which every PMD compares at the top
 * of its loop, so no PMD can read half of it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "capture.h"
#include "dp_priv.h"
#include "acl.h"
#include "ct.h"
#include "tables_l3.h"
#include "tables_nat.h"

void dp_config_defaults(struct dp_config *c)
{
	memset(c, 0, sizeof(*c));
	c->n_mbufs = 16384;
	c->idle_sleep_max_us = 250;
	c->emc_entries = 8192;
	c->emc_insert_inv_prob = 100;
	c->emc_min_hit_pct = 50;
	c->megaflows_max = 65536;
	c->ct_max_conns = 16384;
	c->megaflow_max_idle_ms = 10000;
	c->megaflows_per_port = 0;
	c->upcall_budget_pct = 2;
	c->punt_rate_pps = 1000;
	c->punt_burst = 200;
}

uint32_t dp_config_port_quota(const struct dp_config *c)
{
	if (c->megaflows_per_port)
		return c->megaflows_per_port;
	return c->megaflows_max / 4 ? c->megaflows_max / 4 : 1;
}

void dp_invalidate(void *arg, const uint64_t *tags, unsigned n)
{
	struct dp *dp = arg;
	uint64_t seq = dp->inv_seq;
	for (unsigned i = 0; i < n; i++) {
		if (tags[i] == DP_TAG_FLUSH) {
			__atomic_fetch_add(&dp->flush_gen, 1, __ATOMIC_RELEASE);
			continue;
		}
		/* the slot we overwrite must not become visible before the
		 * sequence that tells readers it is gone (seqlock writer) */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		dp->inv_log[seq & (DP_INV_LOG - 1)] = tags[i];
		__atomic_store_n(&dp->inv_seq, ++seq, __ATOMIC_RELEASE);
	}
	/* PMDs that are not running (tests, before start) are driven by hand
	 * through dp_pmd_apply_invalidations. */
}


/* The ACL table's change callback.  Megaflows of unfiltered ports carry
 * their lport tag instead of an ACL tag, and floods carry their network's
 * tag instead of one tag per flooded port (stage_sg.c: a flood to many
 * ports would outgrow the tag list), so a port's ACL entry changing also
 * invalidates DP_TAG_LPORT(lport) and its network's tag, and a rule set
 * rebuilt also the networks of the ports that use it. */
struct acl_tags {
	struct dp *dp;
	uint64_t out[64];
	unsigned k;
	uint32_t rs;           /* rule set whose ports' networks to add */
};

static void acl_tag_add(struct acl_tags *a, uint64_t tag)
{
	for (unsigned i = 0; i < a->k; i++)
		if (a->out[i] == tag)
			return;
	if (a->k == RTE_DIM(a->out)) {
		dp_invalidate(a->dp, a->out, a->k);
		a->k = 0;
	}
	a->out[a->k++] = tag;
}

static void acl_tag_net(struct acl_tags *a, uint32_t lport)
{
	const struct dp_lport *lp = dp_table_lport_get(a->dp->tables, lport);
	if (lp != NULL)
		acl_tag_add(a, DP_TAG(DP_TAG_NETWORK, lp->cfg.network));
}

static int acl_rs_port(const struct dp_acl_port_info *pi, void *arg)
{
	struct acl_tags *a = arg;
	if (pi->rule_set == a->rs) {
		acl_tag_net(a, pi->lport);
		dp_sg_revalidate_port(a->dp, pi->lport);
	}
	return 0;
}

static void acl_changed(void *arg, const uint64_t *tags, unsigned n)
{
	struct acl_tags a = { .dp = arg };
	for (unsigned i = 0; i < n; i++) {
		acl_tag_add(&a, tags[i]);
		if (DP_TAG_TYPE(tags[i]) == DP_TAG_ACL_PORT) {
			acl_tag_add(&a, DP_TAG(DP_TAG_LPORT, DP_TAG_KEY(tags[i])));
			acl_tag_net(&a, DP_TAG_KEY(tags[i]));
			/* established connections the new rules no longer
			 * allow are cut (sg_reval.c) */
			dp_sg_revalidate_port(a.dp, DP_TAG_KEY(tags[i]));
		} else if (DP_TAG_TYPE(tags[i]) == DP_TAG_ACL_RS && a.dp->acl != NULL) {
			a.rs = DP_TAG_KEY(tags[i]);
			dp_acl_foreach_port(a.dp->acl, acl_rs_port, &a);
		}
	}
	if (a.k)
		dp_invalidate(a.dp, a.out, a.k);
}

struct dp *dp_create(const struct dp_config *cfg)
{
	struct dp *dp = rte_zmalloc("dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (dp == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	dp->punt_evfd = -1;
	dp->cfg = *cfg;
	if (cfg->n_pmds == 0 || cfg->n_pmds > DP_MAX_PMDS) {
		rte_errno = EINVAL;
		goto fail;
	}
	dp->n_pmds = cfg->n_pmds;
	dp->mp = rte_pktmbuf_pool_create("wyv_mbuf", cfg->n_mbufs, 256, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (dp->mp == NULL)
		goto fail;
	size_t sz = rte_rcu_qsbr_get_memsize(dp->n_pmds);
	dp->rcu = rte_zmalloc("dp_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (dp->rcu == NULL || rte_rcu_qsbr_init(dp->rcu, dp->n_pmds) != 0)
		goto fail;
	/* a table change invalidates; the L3 tables derive their neighbor
	 * entries from an lport's put and delete themselves */
	dp->tables = dp_tables_create("wyv", dp->rcu, dp_invalidate, dp);
	if (dp->tables == NULL)
		goto fail;
	dp->l3 = dp_l3_create("wyv", dp->tables, dp->rcu, dp_invalidate, dp);
	if (dp->l3 == NULL)
		goto fail;
	dp->acl = dp_acl_create("wyv", dp->rcu, acl_changed, dp);
	if (dp->acl == NULL)
		goto fail;
	dp_tables_set_acl(dp->tables, dp->acl);
	dp->nat = dp_nat_create("wyv", dp->tables, dp->rcu, dp_invalidate, dp);
	if (dp->nat == NULL)
		goto fail;
	struct dp_ct_params ctp = {
		.name = "wyv_ct",
		.max_conns = cfg->ct_max_conns ? cfg->ct_max_conns : 16384,
		.n_pmds = dp->n_pmds,
		.socket_id = SOCKET_ID_ANY,
		.rcu = dp->rcu,
	};
	dp->ct = dp_ct_create(&ctp);
	if (dp->ct == NULL)
		goto fail;
	dp->punt_ring = rte_ring_create("wyv_punt", 4096, (int)rte_socket_id(), RING_F_SC_DEQ);
	if (dp->punt_ring == NULL)
		goto fail;
	dp->punt_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dp->punt_evfd < 0) {
		rte_errno = errno;
		goto fail;
	}
	for (unsigned i = 0; i < dp->n_pmds; i++) {
		dp->pmds[i] = dp_pmd_create(dp, i, cfg->pmd_lcores[i]);
		if (dp->pmds[i] == NULL)
			goto fail;
	}
	dp_stats_clear(dp);
	return dp;
fail:
	{
		int e = rte_errno ? rte_errno : ENOMEM;
		dp_destroy(dp);
		rte_errno = e;
	}
	return NULL;
}

void dp_destroy(struct dp *dp)
{
	if (dp == NULL)
		return;
	dp_stop(dp);
	dp_capture_stop(dp, NULL);
	for (unsigned i = 0; i < DP_MAX_PORTS; i++)
		if (dp->ports[i].used)
			dp_port_del(dp, dp->ports[i].name);
	dp_offload_free(dp);
	for (unsigned i = 0; i < DP_MAX_PMDS; i++) {
		dp_pmd_destroy(dp->pmds[i]);
		rte_free(dp->dump_buf[i]);
	}
	if (dp->punt_ring) {
		struct rte_mbuf *m;
		while (rte_ring_sc_dequeue(dp->punt_ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(dp->punt_ring);
	}
	if (dp->punt_evfd >= 0)
		close(dp->punt_evfd);
	dp_ct_destroy(dp->ct);
	dp_nat_destroy(dp->nat); /* before the ACL: its zones come from there */
	if (dp->tables)
		dp_tables_set_acl(dp->tables, NULL);
	dp_acl_destroy(dp->acl);
	dp_l3_destroy(dp->l3);
	dp_tables_destroy(dp->tables);
	rte_free(dp->rcu);
	rte_mempool_free(dp->mp);
	rte_free(dp);
}

int dp_start(struct dp *dp)
{
	if (dp->running)
		return -EALREADY;
	/* check every lcore before launching any: never return with PMDs
	 * running while `running` says otherwise */
	for (unsigned i = 0; i < dp->n_pmds; i++) {
		const struct dp_pmd *p = dp->pmds[i];
		if (p->lcore == rte_get_main_lcore() || !rte_lcore_is_enabled(p->lcore) ||
		    rte_eal_get_lcore_state(p->lcore) != WAIT)
			return -EINVAL;
	}
	dp->stop = false;
	for (unsigned i = 0; i < dp->n_pmds; i++) {
		struct dp_pmd *p = dp->pmds[i];
		int rc = rte_eal_remote_launch(dp_pmd_main, p, p->lcore);
		if (rc < 0) {
			dp_stop(dp); /* waits for those already launched */
			return rc;
		}
	}
	dp->running = true;
	return 0;
}

void dp_stop(struct dp *dp)
{
	dp->stop = true;
	for (unsigned i = 0; i < dp->n_pmds; i++)
		if (dp->pmds[i] && rte_eal_get_lcore_state(dp->pmds[i]->lcore) != WAIT)
			rte_eal_wait_lcore(dp->pmds[i]->lcore);
	dp->running = false;
}

struct dp_tables *dp_tables(struct dp *dp)
{
	return dp->tables;
}

struct dp_l3 *dp_l3(struct dp *dp)
{
	return dp->l3;
}

struct dp_nat *dp_get_nat(struct dp *dp)
{
	return dp->nat;
}

struct dp_acl *dp_get_acl(struct dp *dp)
{
	return dp->acl;
}

struct dp_ct *dp_get_ct(struct dp *dp)
{
	return dp->ct;
}

struct rte_mempool *dp_mempool(struct dp *dp)
{
	return dp->mp;
}

unsigned dp_n_pmds(const struct dp *dp)
{
	return dp->n_pmds;
}

static void snap(const struct dp_pmd *p, struct dp_pmd_stats *s)
{
	/* field-wise copy of counters the PMD keeps writing: each 64-bit
	 * load is atomic on the platforms DPDK runs on; totals may be a few
	 * packets apart, which is fine for statistics */
	memcpy(s, (const void *)&p->st, sizeof(*s));
	s->mflow = *dp_mfc_counters(p->mfc);
}

int dp_pmd_stats(struct dp *dp, unsigned i, struct dp_pmd_stats *out)
{
	if (i >= dp->n_pmds)
		return -ENOENT;
	const struct dp_pmd *p = dp->pmds[i];
	const struct dp_pmd_stats *b = &dp->base[i];
	snap(p, out);
	uint64_t *o = (uint64_t *)&out->rx_packets;
	const uint64_t *bb = (const uint64_t *)&b->rx_packets;
	/* every uint64_t counter from rx_packets through flushes */
	size_t nwords = (offsetof(struct dp_pmd_stats, megaflows) -
			 offsetof(struct dp_pmd_stats, rx_packets)) / sizeof(uint64_t);
	for (size_t w = 0; w < nwords; w++)
		o[w] -= bb[w];
	out->lcore = p->lcore;
	out->megaflows = dp_mfc_count(p->mfc);
	out->subtables = dp_mfc_subtable_count(p->mfc);
	out->emc_bypass = dp_emc_bypassed(p->emc);
	out->tsc_hz = rte_get_tsc_hz();
	out->seconds = (double)(rte_rdtsc() - dp->base_tsc[i]) / (double)out->tsc_hz;
	return 0;
}

void dp_stats_clear(struct dp *dp)
{
	for (unsigned i = 0; i < dp->n_pmds; i++) {
		snap(dp->pmds[i], &dp->base[i]);
		dp->base_tsc[i] = rte_rdtsc();
	}
}

int dp_pmd_dump_megaflows(struct dp *dp, unsigned i, struct dp_megaflow *out, unsigned max)
{
	if (i >= dp->n_pmds)
		return -ENOENT;
	struct dp_pmd *p = dp->pmds[i];
	if (!dp->running) /* no PMD thread: the classifier is ours to read */
		return dp_pmd_dump_now(p, out, max);
	/* a PMD that has not answered an earlier request may still write
	 * into dump_buf: neither reuse nor free it until it has */
	if (__atomic_load_n(&p->req_ack, __ATOMIC_ACQUIRE) != p->req_seq)
		return -EBUSY;
	if (dp->dump_cap[i] < max) {
		rte_free(dp->dump_buf[i]);
		dp->dump_cap[i] = 0;
		dp->dump_buf[i] = rte_malloc("dp_dump", (size_t)max * sizeof(*out), 0);
		if (dp->dump_buf[i] == NULL)
			return -ENOMEM;
		dp->dump_cap[i] = max;
	}
	p->req.type = DP_REQ_DUMP;
	p->req.out = dp->dump_buf[i];
	p->req.max = max;
	p->req.result = 0;
	uint32_t seq = p->req_seq + 1;
	__atomic_store_n(&p->req_seq, seq, __ATOMIC_RELEASE);
	for (unsigned t = 0; t < 200000; t++) { /* up to ~2 s */
		if (__atomic_load_n(&p->req_ack, __ATOMIC_ACQUIRE) == seq) {
			int n = p->req.result;
			memcpy(out, dp->dump_buf[i], (size_t)n * sizeof(*out));
			return n;
		}
		usleep(10);
	}
	return -ETIMEDOUT;
}

void dp_flush_caches(struct dp *dp)
{
	uint64_t tag = DP_TAG_FLUSH;
	dp_invalidate(dp, &tag, 1);
}

unsigned dp_punt_dequeue(struct dp *dp, struct rte_mbuf **pkts, unsigned n)
{
	eventfd_t v;
	eventfd_read(dp->punt_evfd, &v); /* clear first: a later punt re-arms it */
	return rte_ring_sc_dequeue_burst(dp->punt_ring, (void **)pkts, n, NULL);
}

int dp_punt_fd(const struct dp *dp)
{
	return dp->punt_evfd;
}

int dp_send(struct dp *dp, uint16_t id, struct rte_mbuf *m)
{
	if (id >= DP_MAX_PORTS || !dp->ports[id].active) {
		rte_pktmbuf_free(m);
		return -ENOENT;
	}
	struct dp_port *p = &dp->ports[id];
	uint16_t q = p->txq_shared ? 0 : (uint16_t)dp->n_pmds, sent;
	if (unlikely(dp->capture != NULL))
		dp_capture_burst(dp->capture, id, p->ethdev, q, &m, 1, false);
	if (p->txq_shared)
		rte_spinlock_lock(&p->txq_lock[0]);
	sent = rte_eth_tx_burst(p->ethdev, q, &m, 1);
	if (p->txq_shared)
		rte_spinlock_unlock(&p->txq_lock[0]);
	if (sent == 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

/* Measured on DPDK 22.11 --no-huge with one PMD: 16384 mbufs start at 192 MB
 * and fail at 160; 1024 mbufs start at 160.  The tables, caches and rings
 * take about 150 MB; an mbuf with its data room about 2.4 KB. */
#define DP_TABLES_MB 150u
#define DP_MBUF_BYTES 2432u
#define DP_CT_CONN_BYTES 768u

unsigned dp_memory_min_mb(const struct dp_config *cfg)
{
	uint64_t pool = (uint64_t)cfg->n_mbufs * DP_MBUF_BYTES;
	/* conntrack: a connection slot (3 lines) and two hash entries with
	 * their 48-byte keys, rounded up */
	uint64_t ct = (uint64_t)(cfg->ct_max_conns ? cfg->ct_max_conns : 16384) * DP_CT_CONN_BYTES;
	return DP_TABLES_MB + (unsigned)((pool + ct + (1u << 20) - 1) >> 20);
}
