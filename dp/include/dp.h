/* SPDX-License-Identifier: BSD-3-Clause
 * dp/include/dp.h — the datapath as the control side sees it: create, ports, PMD
 * threads, statistics, megaflow dumps, punted packets (trace: trace.h).
 *
 * Threads: every function here is called from the ONE control thread
 * (wyvernd's main lcore), after rte_eal_init().  PMD threads run on their
 * own lcores from dp_start() to dp_stop().  The control thread reaches a PMD
 * only through (a) the tables (RCU, see tables.h), (b) the invalidation
 * log (lock-free, PMDs apply it at the top of each loop), and (c) a
 * one-slot request mailbox per PMD (dumps), which it waits on with a
 * timeout.  Statistics are plain per-PMD counters read without locks.
 */
#ifndef WYV_DP_DP_H
#define WYV_DP_DP_H

#include <stdint.h>
#include <stdbool.h>
#include <rte_mbuf.h>

#include "drop.h"
#include "tables.h"

#define DP_MAX_PMDS 16

struct dp_config {
	uint32_t n_mbufs;              /* mbuf pool size */
	uint32_t idle_sleep_max_us;    /* adaptive back-off cap; 0: busy poll */
	uint32_t emc_entries;          /* per PMD, power of 2 */
	uint32_t emc_insert_inv_prob;  /* 1 in N; 0 disables the EMC */
	uint32_t emc_min_hit_pct;      /* bypass the EMC while fewer % of its
					* lookups hit (dp/emc.h); 0: never */
	uint32_t megaflows_max;        /* per PMD */
	uint32_t ct_max_conns;         /* conntrack connections (0: 16384) */
	uint32_t megaflow_max_idle_ms; /* idle megaflows go after this; 0: never */
	uint32_t megaflows_per_port;   /* per ingress port and PMD; 0: a quarter
					* of megaflows_max (dp_config_port_quota) */
	uint32_t upcall_budget_pct;    /* % of a PMD's time one port's misses may
					* take (1..100); 0: unlimited */
	uint32_t punt_rate_pps;        /* per dp port, per PMD */
	uint32_t punt_burst;
	unsigned n_pmds;
	unsigned pmd_lcores[DP_MAX_PMDS];
};

void dp_config_defaults(struct dp_config *c);
/* The per-port megaflow quota cfg means (resolves the 0 default). */
uint32_t dp_config_port_quota(const struct dp_config *c);

struct dp_port_opts {
	uint16_t n_rxq;                /* 0: 1 */
	int pmd_lcore;                 /* -1: round robin over PMDs */
	uint16_t mtu;                  /* 0: leave the driver default */
};

struct dp_port_info {
	uint16_t id;                   /* dp port id (flow key in_port) */
	uint16_t ethdev;
	char name[DP_NAME_LEN];
	char devargs[256];
	char driver[32];
	uint8_t mac[6];
	bool link_up;
	uint16_t n_rxq, n_txq;
	bool txq_shared;
	bool rss;                      /* RSS spreads packets over the rx queues */
	bool rss_symmetric;            /* ... with a symmetric key */
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes, rx_missed, rx_errors, tx_errors;
	uint64_t rx_nombuf;             /* rx drops for want of mbufs */
	uint32_t lport;                /* bound lport key, 0 none */
};

/* Megaflow lifecycle counters of one PMD (show pmd, metrics). */
struct dp_mfc_counters {
	uint64_t inserted;        /* megaflows installed */
	uint64_t evicted;         /* removed to make room (pool full, LRU) */
	uint64_t expired;         /* removed by idle aging */
	uint64_t invalidated;     /* removed by dependency tags */
	uint64_t over_quota;      /* upcalls not cached: ingress port at its quota */
	uint64_t uncached;        /* upcalls not cached: no room (masks, tag index) */
};

/* One loop iteration in this many (a power of two) is timed in detail: its
 * rx and tx burst calls apart from the rest (st.timed_*, pmd.c).  Sampling
 * keeps the extra clock reads (about 26 cycles each here) off the others. */
#define DP_PMD_TIMED_EVERY 16

struct dp_pmd_stats {
	unsigned lcore;
	uint64_t rx_packets, tx_packets;
	uint64_t emc_hits, mfc_hits, misses;
	uint64_t emc_bypassed;         /* packets not looked up: EMC bypassed */
	uint64_t port_hint_hits;       /* of mfc_hits: answered by the ingress
					* port's first-pass hint (pmd.c) */
	uint64_t busy_cycles, idle_cycles, upcall_cycles, iterations, sleeps;
	uint64_t drops[DP_DROP__MAX];
	uint64_t punts[DP_PUNT__MAX];
	uint64_t invalidations, flushes;
	struct dp_mfc_counters mflow;  /* megaflow lifecycle */
	uint64_t inv_passes, inv_cycles; /* invalidation passes, cycles they took */
	uint64_t upcall_throttled;     /* rx polls skipped: port over its upcall budget */
	uint64_t recirculations;       /* packets re-entering the lookup after ct() */
	uint64_t ct_packets;           /* packets through ct() (lookups and commits) */
	/* offload (dp_set_offload): the mark path and megaflow events */
	uint64_t mark_hits;            /* marked packets run on their megaflow (no
					* EMC, no classifier) */
	uint64_t mark_parsed;          /* of those, parsed (the actions read headers) */
	uint64_t mark_stale;           /* marks of no live megaflow: software path */
	uint64_t mark_foreign;         /* marks of another PMD's megaflow: software path */
	uint64_t ofl_events;           /* install/remove events handed to the offloader */
	uint64_t ofl_events_dropped;   /* its queue was full (the megaflow stays in software) */
	uint64_t ofl_hw_updates;       /* hardware counter deltas merged into megaflows */
	/* one busy loop iteration in DP_PMD_TIMED_EVERY is timed in detail
	 * (pmd.c): its packets, all its cycles, and of those the cycles
	 * inside the driver's rx and tx burst calls */
	uint64_t timed_iterations, timed_packets, timed_cycles, timed_driver_cycles;
	uint32_t megaflows, subtables;
	bool emc_bypass;               /* EMC bypassed now (low hit rate, dp/emc.h) */
	uint64_t inv_cycles_max;       /* longest pass since the PMD started */
	double seconds;                /* since last clear */
	uint64_t tsc_hz;
};

struct dp;

/* NULL + rte_errno on failure. */
struct dp *dp_create(const struct dp_config *cfg);
/* A lower bound of the EAL memory (MB) dp_create needs for cfg: the mbuf
 * pool plus the tables, measured without hugepages (--check-config compares
 * it with [eal] memory-mb).  Any thread. */
unsigned dp_memory_min_mb(const struct dp_config *cfg);
/* Stops PMDs, closes ports, frees everything. Accepts NULL. */
void dp_destroy(struct dp *dp);

/* Probe a device by devargs ("net_tap0,iface=x") and set it up. Returns the
 * dp port id (>= 0) or -errno (-EEXIST name taken, -ENODEV probe failed,
 * -ENOSPC too many ports). Works before and after dp_start(). */
int dp_port_add(struct dp *dp, const char *name, const char *devargs,
		const struct dp_port_opts *opts);
/* Stop polling, unbind its lport, close and detach the device. */
int dp_port_del(struct dp *dp, const char *name);
int dp_port_by_name(const struct dp *dp, const char *name);   /* id or -ENOENT */
int dp_port_info(struct dp *dp, uint16_t id, struct dp_port_info *out); /* -ENOENT */
unsigned dp_port_max(const struct dp *dp);   /* ids are < this */

int dp_start(struct dp *dp);    /* launch PMD threads */
void dp_stop(struct dp *dp);    /* ask PMDs to stop and wait for them */

struct dp_tables *dp_tables(struct dp *dp);
/* The L3 tables (routers, router ports, neighbors; dp/tables_l3.h). */
struct dp_l3;
struct dp_l3 *dp_l3(struct dp *dp);
/* The security-group ACL table (acl.h; the control thread writes it) and
 * the conntrack table (ct.h) of the datapath; never NULL after dp_create. */
struct dp_acl;
struct dp_ct;
struct dp_acl *dp_get_acl(struct dp *dp);
/* The NAT tables (tables_nat.h): gateways, floating IPs. */
struct dp_nat;
struct dp_nat *dp_get_nat(struct dp *dp);
struct dp_ct *dp_get_ct(struct dp *dp);
struct rte_mempool *dp_mempool(struct dp *dp);

unsigned dp_n_pmds(const struct dp *dp);
/* Counters since the last dp_stats_clear (control-side baseline). */
int dp_pmd_stats(struct dp *dp, unsigned pmd, struct dp_pmd_stats *out);
void dp_stats_clear(struct dp *dp);

/* ---- offload hooks ---------------------------------------------------------
 * pmd-offload/ wires itself here (dp does not depend on it).  While ops are
 * set:
 *  - every PMD announces each megaflow it installs (except ct() megaflows and
 *    the overlay uplink's: nothing to gain) and each it loses (invalidation,
 *    aging, eviction, flush) through installed/removed, on the PMD thread:
 *    those must never block (pmd-offload enqueues on a ring; -ENOBUFS is
 *    counted in ofl_events_dropped);
 *  - a received packet carrying a flow mark (RTE_MBUF_F_RX_FDIR_ID,
 *    hash.fdir.hi) that mark_ids maps, in this PMD's column, to a live
 *    megaflow of this PMD and ingress port skips parse (unless the actions
 *    read headers), EMC and classifier and runs that megaflow's actions;
 *    any other mark takes the software path, counted: mark_foreign when
 *    only other PMDs' columns name a megaflow (this PMD has no copy of the
 *    flow yet: its own install will join the rule), mark_stale otherwise;
 *  - port_added / port_removing are called by dp_port_add (after the port
 *    is up) and dp_port_del (before its ethdev is stopped), control thread.
 * mark_ids[mark * mark_stride + pmd index] (marks 0..n_marks-1, one column
 * per PMD; mark_stride 0 means 1) is written by the offloader (atomic
 * 64-bit stores) and must outlive the ops (clear them first).  A PMD whose
 * index is >= mark_stride never takes the mark path (counted foreign). */
struct dp_flow_key;
struct dp_action;
struct dp_offload_ops {
	void *arg;
	int (*installed)(void *arg, uint64_t id, uint16_t in_port, uint16_t rxq,
			 const struct dp_flow_key *key, const struct dp_flow_key *mask,
			 const struct dp_action *acts, unsigned n_acts);
	int (*removed)(void *arg, uint64_t id);
	void (*port_added)(void *arg, uint16_t port);
	void (*port_removing)(void *arg, uint16_t port);
	const uint64_t *mark_ids;
	uint32_t n_marks;
	uint32_t mark_stride;
};
/* Set (copied) or clear (NULL) the hooks; control thread.  Returns after
 * every PMD stopped using the old ones (one RCU grace period).  0/-ENOMEM. */
int dp_set_offload(struct dp *dp, const struct dp_offload_ops *ops);
/* Hardware counters of megaflow id (packets the NIC forwarded without the
 * PMD): queued to the owning PMD, which adds them to the megaflow's hits and
 * bytes and refreshes its last-used time (so aging keeps it).  Any thread
 * (the offload thread); never blocks.  0, -ENOENT (no such PMD), -ENOBUFS
 * (queue full: dropped), -ENOTSUP (no hooks set). */
int dp_offload_stats(struct dp *dp, uint64_t id, uint64_t pkts, uint64_t bytes);
/* The port aged out the rule of megaflow id (AGE): queued to the owning
 * PMD, which removes the megaflow (its removal event follows) if it is
 * still that generation.  Any thread; never blocks; errors as above (a
 * dropped one leaves the megaflow to the dp's own idle aging). */
int dp_offload_aged(struct dp *dp, uint64_t id);

struct dp_megaflow;
/* Copy up to max megaflows of one PMD into out (caller's array; the PMD
 * writes into a buffer the dp owns, copied to out on success).  Returns the
 * count, -ETIMEDOUT if the PMD did not answer within ~2 s, -EBUSY while it
 * still owes the answer to a timed-out request, -ENOMEM. */
int dp_pmd_dump_megaflows(struct dp *dp, unsigned pmd, struct dp_megaflow *out, unsigned max);
/* Drop every megaflow on every PMD (each does it at the top of its next
 * loop: the EMC follows, its entries point at dead megaflows). */
void dp_flush_caches(struct dp *dp);

/* Punted packets: up to n mbufs (caller frees). m->port = dp port,
 * m->hash.usr = enum dp_punt_reason. */
unsigned dp_punt_dequeue(struct dp *dp, struct rte_mbuf **pkts, unsigned n);
/* An eventfd that becomes readable when PMDs punted packets (poll it with
 * the control thread's other fds; dp_punt_dequeue clears it). */
int dp_punt_fd(const struct dp *dp);
/* Send a packet out of a dp port from the control thread (its own txq).
 * Consumes m. 0 or -errno. */
int dp_send(struct dp *dp, uint16_t port, struct rte_mbuf *m);

#endif
