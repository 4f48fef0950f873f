/* SPDX-License-Identifier: BSD-3-Clause
 * dp/dp_priv.h — datapath internals shared by dp.c, port.c, pmd.c, pmd_ct.c and
 * actions.c.  Not for ctrl/.
 *
 * Lock order: none on the packet path.  txq spinlocks are taken only for a
 * port whose driver offers fewer tx queues than PMDs + 1 (control).
 */
#ifndef WYV_DP_PRIV_H
#define WYV_DP_PRIV_H

#include <stdbool.h>
#include <rte_spinlock.h>
#include <rte_ring.h>
#include <rte_rcu_qsbr.h>

#include "actions.h"
#include "dp.h"
#include "emc.h"
#include "mfc.h"
#include "token_bucket.h"

#define DP_BURST     32
#define DP_TXBUF     (DP_BURST * 4)
#define DP_INV_LOG   1024   /* invalidation log entries (power of 2) */
#define DP_MAX_RXQ_PER_PMD 64
#define DP_AGE_BUDGET 32     /* pool slots looked at per aging step */
/* invalidation work per PMD loop iteration (dp_pmd_inv_step) */
#define DP_INV_STEP_WORK 384 /* tags looked up + tag-list entries walked */
#define DP_REAP_BUDGET 32    /* killed megaflows unlinked and freed */
#define DP_CT_EXPIRE_BUDGET 64 /* conntrack slots looked at per expiry step (about 1/ms) */
#define DP_CT_REVAL_BUDGET 128 /* conntrack slots re-validated per loop iteration */

struct dp_port {
	bool used;                 /* slot taken */
	bool active;               /* set up and polled; cleared before teardown */
	uint16_t ethdev;
	uint16_t n_rxq, n_txq;
	bool txq_shared;           /* n_txq < PMDs + 1: lock the queue */
	bool rss;                  /* RSS spreads packets over the rx queues */
	bool rss_symmetric;        /* ... with a symmetric key */
	uint32_t rx_reserved;      /* mbufs its rx rings hold */
	int pmd_lcore;
	char name[DP_NAME_LEN];
	char devargs[256];
	rte_spinlock_t txq_lock[DP_MAX_PMDS + 1];
};

struct dp_rxq {
	uint16_t dp_port;
	uint16_t ethdev;
	uint16_t queue;
};

struct dp_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[DP_TXBUF];
};


/* A request the control thread hands to one PMD. */
enum dp_req_type { DP_REQ_NONE, DP_REQ_DUMP };
struct dp_req {
	enum dp_req_type type;
	struct dp_megaflow *out;
	unsigned max;
	int result;
};

struct dp_pmd {
	struct dp *dp;
	unsigned idx;
	unsigned lcore;
	struct dp_mfc *mfc;
	struct dp_emc *emc;
	/* rx queues: written by control only while the PMD is parked, or via
	 * the rxq generation handshake (dp_port_rxq_assign) */
	unsigned n_rxq;
	struct dp_rxq rxq[DP_MAX_RXQ_PER_PMD];
	volatile uint32_t rxq_gen;       /* control bumps after changing rxq[] */
	volatile uint32_t rxq_ack;       /* PMD copies rxq_gen once it re-read */
	unsigned n_rxq_live;
	struct dp_rxq rxq_live[DP_MAX_RXQ_PER_PMD];
	/* invalidation log cursor and the flush generation seen */
	uint64_t inv_seq;
	uint64_t flush_gen;
	/* tags read from the log (inv_seq is past them) and not all applied:
	 * inv_pend[inv_pend_i..inv_pend_n) */
	uint64_t inv_pend[64];
	uint32_t inv_pend_i, inv_pend_n;
	/* idle aging: next step due at age_next_tsc; 0 idle limit: off */
	uint64_t max_idle_tsc;
	uint64_t age_next_tsc;
	/* conntrack expiry: next bounded step due at ct_next_tsc */
	uint64_t ct_next_tsc;
	/* first-pass hint per ingress port: the megaflow (slot, generation)
	 * the classifier last answered for that port's EMC misses, tried
	 * first (pmd.c); UINT32_MAX: none */
	struct dp_pmd_hint { uint32_t idx, gen; } port_hint[DP_MAX_PORTS];
	/* request mailbox */
	struct dp_req req;
	volatile uint32_t req_seq, req_ack;
	/* back-off */
	uint32_t idle_iters;
	uint32_t sleep_us;
	/* counters (PMD writes, control reads) */
	struct dp_pmd_stats st;
	uint64_t start_tsc;
	/* tx */
	struct dp_txbuf tx[DP_MAX_PORTS];
	uint16_t tx_dirty[DP_MAX_PORTS];
	uint16_t n_tx_dirty;
	struct dp_token_bucket punt_tb[DP_MAX_PORTS]; /* punt limiter per dp port */
	/* upcall budget per ingress port (dp_pmd_upcall_charge): TSC cycles a
	 * port may still spend on translations; below 0 it is not polled */
	int64_t upcall_credit[DP_MAX_PORTS];
	uint64_t upcall_credit_tsc[DP_MAX_PORTS];
	int64_t upcall_credit_cap;       /* 0: no budget */
	uint32_t upcall_credit_div;      /* refill = elapsed cycles / div */
	bool punted;                     /* punted this iteration: wake control */
	bool timed;                      /* this iteration is timed (st.timed_*) */
	uint64_t drv_cycles;             /* its cycles in rx/tx burst calls so far */
	uint16_t cur_rxq;                /* rx queue of the burst being processed */
	struct rte_ring *ofl_stats;      /* hardware counter deltas (pmd_offload.c) */
	uint32_t rng;
} __rte_cache_aligned;

struct dp {
	struct dp_config cfg;
	struct rte_mempool *mp;
	struct dp_tables *tables;
	struct dp_l3 *l3;            /* routers, router ports, neighbors (tables_l3.h) */
	struct dp_acl *acl;          /* security-group ACLs (acl.h) */
	struct dp_nat *nat;          /* gateways, floating IPs (tables_nat.h) */
	struct dp_ct *ct;            /* conntrack (ct.h), shared by the PMDs */
	struct rte_rcu_qsbr *rcu;
	struct rte_ring *punt_ring;
	int punt_evfd;               /* PMDs signal punts; the control thread polls it */
	struct dp_port ports[DP_MAX_PORTS];
	struct dp_pmd *pmds[DP_MAX_PMDS];
	unsigned n_pmds;
	volatile bool running;
	volatile bool stop;
	/* invalidation log: control writes tags then publishes inv_seq */
	uint64_t inv_log[DP_INV_LOG];
	uint64_t inv_seq;
	uint64_t flush_gen;          /* bumped (release) to make every PMD flush */
	/* dump buffers: owned here, not by the caller, so that a PMD answering
	 * after the caller's timeout writes into memory that still exists */
	struct dp_megaflow *dump_buf[DP_MAX_PMDS];
	unsigned dump_cap[DP_MAX_PMDS];
	/* stats baseline for clear */
	struct dp_pmd_stats base[DP_MAX_PMDS];
	uint64_t base_tsc[DP_MAX_PMDS];
	unsigned rr_next;            /* round-robin PMD for new rxqs */
	uint32_t mbufs_reserved;     /* mbufs all rx rings hold */
	struct dp_capture *capture;  /* capture.h: published by control, read by PMDs */
	struct dp_offload_ops *offload; /* dp_set_offload: published by control, read by PMDs */
};

/* pmd.c */
int dp_pmd_main(void *arg);
void dp_pmd_process(struct dp_pmd *pmd, uint16_t in_port, struct rte_mbuf **pkts, uint16_t n);
void dp_pmd_flush_tx(struct dp_pmd *pmd);
/* pmd.c, for pmd_ct.c: a miss translated and installed (NULL: not cached,
 * run spec). */
struct dp_megaflow *dp_pmd_install(struct dp_pmd *pmd, const struct dp_flow_key *key,
				   struct dp_megaflow_spec *spec, uint64_t *first_tsc);
/* pmd_ct.c: run a list that starts with ct() on n packets and their keys
 * (depth: recirculations so far; from: the megaflow, for its hint), and a
 * burst's group of megaflow f (its keys gathered from keys[0..n_ok)). */
void dp_pmd_run_ct(struct dp_pmd *pmd, uint16_t in_port, const struct dp_action *acts,
		   unsigned n_acts, const uint16_t *flood_ports, struct rte_mbuf **pkts,
		   struct dp_flow_key *keys, unsigned n, unsigned depth, struct dp_megaflow *from);
void dp_pmd_ct_group(struct dp_pmd *pmd, uint16_t in_port, struct dp_megaflow *f,
		     struct dp_megaflow *const *flows, struct rte_mbuf *const *ok,
		     struct dp_flow_key *keys, unsigned n_ok, struct rte_mbuf **grp, unsigned n);
struct dp_pmd *dp_pmd_create(struct dp *dp, unsigned idx, unsigned lcore);
void dp_pmd_destroy(struct dp_pmd *pmd);
/* One loop iteration's invalidation work, bounded: a pending flush, then
 * tags (read from the log 64 at a time) and their megaflows killed for at
 * most DP_INV_STEP_WORK units (dp_mfc_kill_tags: one per tag, one per
 * tag-list entry), resuming where the previous step stopped; then
 * DP_REAP_BUDGET reaps.  True while tags remain unread or not fully
 * applied.  The PMD itself, or tests. */
bool dp_pmd_inv_step(struct dp_pmd *pmd);
/* dp_pmd_inv_step until every published tag is read and applied (reaping
 * stays incremental).  Tests, dumps of a stopped PMD. */
void dp_pmd_apply_invalidations(struct dp_pmd *pmd);
/* One aging step at time now; schedules the next (PMD, or tests). */
void dp_pmd_age(struct dp_pmd *pmd, uint64_t now);

/* Upcall budget: a port may spend cfg.upcall_budget_pct % of the PMD's
 * time on bursts that translate (from the burst's first miss to its end;
 * refilled continuously, up to 2 ms worth).  A port that overspent is not
 * polled until its credit is positive again: its packets wait in its rx
 * queue (the device counts what overflows), the other ports keep their share
 * of the PMD.  Charged on the miss path only. */
static inline void dp_pmd_upcall_charge(struct dp_pmd *pmd, uint16_t port, uint64_t now,
					 uint64_t cycles)
{
	if (pmd->upcall_credit_cap == 0 || port >= DP_MAX_PORTS)
		return;
	int64_t c = pmd->upcall_credit[port] +
		    (int64_t)((now - pmd->upcall_credit_tsc[port]) / pmd->upcall_credit_div);
	pmd->upcall_credit[port] = (c > pmd->upcall_credit_cap ? pmd->upcall_credit_cap : c) -
				   (int64_t)cycles;
	pmd->upcall_credit_tsc[port] = now;
}

/* Whether port overspent its upcall budget (checked before each rx burst;
 * one compare unless it did). */
static inline bool dp_pmd_upcall_throttled(struct dp_pmd *pmd, uint16_t port, uint64_t now)
{
	if (likely(pmd->upcall_credit[port] >= 0))
		return false;
	dp_pmd_upcall_charge(pmd, port, now, 0);
	return pmd->upcall_credit[port] < 0;
}
/* Copy live megaflows (owner thread, or control while PMDs are stopped). */
int dp_pmd_dump_now(struct dp_pmd *pmd, struct dp_megaflow *out, unsigned max);

/* pmd_offload.c: the offload side of a PMD.  dp_pmd_mark_path runs the
 * marked packets of a burst whose mark maps to a live megaflow of this PMD
 * and moves the others to the front of pkts; returns how many are left for
 * the software path.  dp_pmd_mflow_event is the classifier's event hook.
 * dp_pmd_ofl_stats_step merges queued hardware counters (loop top). */
uint16_t dp_pmd_mark_path(struct dp_pmd *pmd, const struct dp_offload_ops *ofl,
			  uint16_t in_port, struct rte_mbuf **pkts, uint16_t n);
void dp_pmd_mflow_event(void *arg, struct dp_megaflow *f, int installed);
void dp_pmd_ofl_stats_step(struct dp_pmd *pmd, uint64_t now);
void dp_offload_free(struct dp *dp);   /* dp_destroy, PMDs stopped */

/* actions.c: run a list over a group of packets (all consumed). */
void dp_actions_execute(struct dp_pmd *pmd, const struct dp_action *acts, unsigned n_acts,
			const uint16_t *flood_ports, struct rte_mbuf **pkts, unsigned n);
/* actions.c: in-place answers (ARP reply, ND advertisement), exposed for
 * tests; false when the answer cannot be built (the packet is untouched and
 * the executor drops it: answer-failed). */
bool dp_act_arp_reply(struct rte_mbuf *m, const uint8_t *mac);
bool dp_act_nd_advert(struct rte_mbuf *m, const uint8_t *mac, uint32_t flags);

/* actions_tnl.c: encapsulate / decapsulate one packet */
struct dp_overlay_cfg;
unsigned dp_tnl_push(const struct dp_overlay_cfg *ov, struct rte_mbuf *m, uint32_t dst_ip,
		     const uint8_t *dst_mac, uint8_t encap, uint32_t vni); /* 0 or drop reason */
void dp_tnl_pop(struct rte_mbuf *m);
uint16_t dp_tnl_sport(const struct rte_mbuf *m);

/* dp.c: the tables' change callback; publishes tags to the invalidation log */
void dp_invalidate(void *dp, const uint64_t *tags, unsigned n);

/* sg_reval.c: re-validate lport's connections against its new ACL (control
 * thread), and one bounded step of it (PMD; returns connections blocked). */
void dp_sg_revalidate_port(struct dp *dp, uint32_t lport);
unsigned dp_pmd_ct_reval_step(struct dp_pmd *pmd, uint64_t tsc);

/* port.c */
void dp_port_rxq_assign(struct dp *dp);

#endif
