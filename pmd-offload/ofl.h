/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl.h — the offload manager: per-port backends and probed
 * capabilities, the megaflow id -> rule bookkeeping, the event queue that
 * the datapath feeds, dumps.
 *
 * Threads and locks:
 *  - ofl_megaflow_installed / ofl_megaflow_removed: ANY thread (PMDs
 *    included): they copy the event into a mempool element and enqueue it on
 *    a multi-producer ring; no lock, no backend call.  A lost removal (pool
 *    or ring full) is never silent: it schedules a resync that flushes every
 *    rule and ignores the installs queued before it.
 *  - ofl_run (or the thread of ofl_thread_start): the single consumer.  It
 *    plans and calls the backends under o->lock.
 *  - ofl_port_add / ofl_port_del / ofl_set_overlay / dumps: control thread;
 *    they take o->lock (so they wait for the event being processed).
 *  - ofl_mark_table() / ofl_mark_lookup(): PMDs, lock-free (ofl_mark.h).
 * Lock order: o->lock, then a backend's internal lock (dummy's rule lock).
 */
#ifndef WYV_OFL_H
#define WYV_OFL_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "ofl_plan.h"
#include "ofl_provider.h"
#include "ofl_mark.h"

struct ofl;

/* Hardware counter deltas for megaflow id, merged by the dp into the
 * megaflow's stats (so aging sees hardware-forwarded traffic). Called on the
 * offload thread, under o->lock: must not call back into ofl. */
typedef void (*ofl_stats_fn)(void *arg, uint64_t id, uint64_t dpkts, uint64_t dbytes,
			     uint64_t last_used_tsc);

/* The port reported the FULL rule of megaflow id aged (no hit for the
 * AGE timeout): the rule is gone, the dp should remove the megaflow (its
 * removal event then ends the megaflow's record).  Offload thread, under
 * o->lock: must not call back into ofl. */
typedef void (*ofl_aged_fn)(void *arg, uint64_t id);

struct ofl_config {
	bool enable;              /* false: every event is ignored (counted) */
	uint32_t max_flows;       /* offloaded megaflows tracked (default 65536) */
	uint32_t max_marks;       /* marks 1..max_marks (default = max_flows) */
	uint32_t n_pmds;          /* mark table columns: megaflow ids of PMDs
				   * 0..n_pmds-1 (DP_MFLOW_ID_PMD) share rules
				   * through a mark (default 1) */
	uint32_t queue_size;      /* event ring (power of 2, default 4096) */
	uint32_t age_timeout;     /* AGE action seconds on FULL rules when the port
				   * has AGE (0: none); aged rules are collected
				   * on the stats tick (every second without one) */
	ofl_aged_fn aged_cb;      /* NULL: the aged rule goes, the dp is not told */
	void *aged_arg;
	uint32_t stats_interval_ms;   /* hardware counter poll (0: only on demand) */
	ofl_stats_fn stats_cb;    /* NULL: counters kept, not reported */
	bool stats_full_only;     /* report FULL rules only: the PMD already counts
				   * a partial rule's packets (wyvernd sets it) */
	void *stats_arg;
	const char *name;         /* unique per process (ring/pool names), "ofl" */
	int socket_id;
};

struct ofl_port_cfg {
	uint16_t dp_port;         /* < OFL_MAX_PORTS */
	uint16_t eth_port;        /* ethdev port id */
	const char *backend;      /* "rte_flow", "dummy", "xdp" */
	const char *args;         /* backend-specific (dummy: "caps=mark,queue;max=4") */
	enum ofl_mode mode;
	uint16_t n_rxq;           /* RSS spreads over 0..n_rxq-1 */
	uint32_t domain;          /* switch domain: output offloadable within one */
	uint32_t ifindex;         /* kernel ifindex (xdp backend), 0 otherwise */
};

#define OFL_MAX_PORTS 256

/* NULL + errno. cfg NULL: defaults with enable = true. */
struct ofl *ofl_create(const struct ofl_config *cfg);
void ofl_destroy(struct ofl *o);   /* stops the thread, flushes rules; accepts NULL */

/* Add a port: open its backend and probe its capabilities ONCE (cached for
 * the port's life). -EINVAL (bad cfg, unknown backend), -EEXIST, or the
 * backend's -errno. */
int ofl_port_add(struct ofl *o, const struct ofl_port_cfg *cfg);
/* Remove a port: its rules are deleted (counted as removed), its megaflows
 * go back to state none ("port removed"). -ENOENT. */
int ofl_port_del(struct ofl *o, uint16_t dp_port);
/* The backend of a port (tests, the dummy inspection API); NULL if none. */
struct ofl_backend *ofl_port_backend(struct ofl *o, uint16_t dp_port);
/* Port security of a port from its bound logical port (lp NULL: none, or
 * port security off) handed to the backend, which filters in front of the
 * PMD what it can (the xdp backend: wyv_port_sec).  0 (also when the
 * backend has no such filter: the PMD does it all), -ENOENT (port not
 * offloaded), or the backend's -errno.  The outcome is shown as the port's
 * port_security text.  Control thread. */
struct dp_lport_cfg;
int ofl_port_security(struct ofl *o, uint16_t dp_port, const struct dp_lport_cfg *lp);
/* The overlay config tunnel encap is planned from (copied; NULL clears). */
void ofl_set_overlay(struct ofl *o, const struct dp_overlay_cfg *ovl);

/* ---- events from the datapath (any thread) ----------------------------- */
/* A megaflow was installed (or its actions changed: same id = re-plan).
 * id: global megaflow identity, non-zero (the dp's DP_MFLOW_ID: its PMD
 * index picks the mark table column).  Rules are keyed by pattern (in_port,
 * mask, masked key): a megaflow whose pattern is already in hardware (the
 * same flow on another PMD) joins that rule instead of adding one (a FULL
 * rule only with identical actions); the rule goes with its last megaflow. rxq: the queue it was seen on
 * (QUEUE fate when the port has no RSS). 0, -ENOTSUP (disabled, or port not
 * offloaded: nothing to do), -ENOBUFS (queue full: stays software, counted). */
int ofl_megaflow_installed(struct ofl *o, uint64_t id, uint16_t in_port, uint16_t rxq,
			   const struct dp_flow_key *key, const struct dp_flow_key *mask,
			   const struct dp_action *acts, unsigned n_acts);
/* The megaflow is gone (invalidated, aged, evicted). Never lost (see top). */
int ofl_megaflow_removed(struct ofl *o, uint64_t id);

/* ---- the offload thread ------------------------------------------------ */
/* Process up to max events (and the stats poll when due). Returns how many
 * events were processed. Single consumer: one thread at a time. */
unsigned ofl_run(struct ofl *o, unsigned max);
/* Run ofl_run in a control thread (rte_ctrl_thread_create) until destroy. */
int ofl_thread_start(struct ofl *o);
void ofl_thread_stop(struct ofl *o);
/* Collect the rules the ports report aged now (also done by ofl_run on its
 * tick): each goes, its megaflows are left in software ("aged") and
 * aged_cb is told each id.  Returns how many rules aged.  Control thread
 * or tests (takes o->lock). */
unsigned ofl_age_poll(struct ofl *o);
/* Wait until every event enqueued so far is processed (tests; control). */
int ofl_sync(struct ofl *o, unsigned timeout_ms);

/* ---- data for `wyctl show offload` / `dump megaflows` -------------------- */
struct ofl_port_stats {
	uint16_t dp_port, eth_port;
	char backend[16];
	char mode[8];
	uint32_t caps;            /* probed */
	char probe_error[96];     /* non-empty when the probe failed */
	uint64_t installed, failed, removed, table_full, refused_cached;
	uint64_t shared;          /* megaflows that joined a rule already in hardware */
	uint64_t aged;            /* rules the port reported aged (AGE) */
	char refused[OFL_WHY_LEN];   /* tiers cached refused and why ("" none) */
	uint64_t n_full, n_partial;   /* current rules */
	uint64_t hits, bytes;     /* hardware counters (COUNT) summed */
	char psec[128];           /* port security in the backend ("" none) */
};
struct ofl_flow_info {
	uint64_t id;
	uint16_t dp_port;
	enum ofl_decision state;  /* none / partial / full */
	char why[OFL_WHY_LEN];    /* why not better ("" when full) */
	char rule[128];           /* "full pattern eth/ipv4 actions count/drop" */
	uint32_t mark;
	uint32_t refs;            /* megaflows (PMDs) sharing its rule, 0 in software */
	struct ofl_flow_stats hw;
};
struct ofl_stats {
	uint64_t events, ev_dropped, ev_disabled, resyncs, stale_install;
	uint32_t flows, marks_used;
	uint32_t rules;           /* rules in hardware (shared ones once) */
};

int ofl_port_stats(struct ofl *o, uint16_t dp_port, struct ofl_port_stats *out);
/* -ENOENT when the megaflow has no offload record (never seen / removed). */
int ofl_flow_info(struct ofl *o, uint64_t id, struct ofl_flow_info *out);
void ofl_flow_foreach(struct ofl *o, int (*cb)(const struct ofl_flow_info *f, void *arg),
		      void *arg);
void ofl_get_stats(struct ofl *o, struct ofl_stats *out);
/* {"enabled":..,"ports":[{port stats, "caps":"mark,queue"}], "events":..}
 * for `wyctl show offload --json`. NULL + errno. */
json_t *ofl_show_json(struct ofl *o);
/* Query the hardware counters of one megaflow now: -ENOENT, -EOPNOTSUPP. */
int ofl_flow_stats(struct ofl *o, uint64_t id, struct ofl_flow_stats *out);

#endif
