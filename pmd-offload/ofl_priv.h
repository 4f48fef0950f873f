/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_priv.h — the manager's private state (ofl.c, ofl_dump.c).
 * Everything below `lock` is guarded by it, except the event counters
 * (atomics, bumped by producers) and the mark table (see ofl_mark.h).
 */
#ifndef WYV_OFL_PRIV_H
#define WYV_OFL_PRIV_H

#include <pthread.h>
#include <rte_hash.h>

#include "ofl.h"

/* Failed creates in a row (not -EOPNOTSUPP) before a tier that has worked
 * on the port is cached refused (a tier that never worked is refused at its
 * first failed create). */
#define OFL_FAIL_STREAK 8

enum ofl_ev_type { OFL_EV_INSTALL = 1, OFL_EV_REMOVE };

struct ofl_event {
	uint64_t seq;
	uint64_t id;
	uint8_t type;
	uint16_t in_port, rxq, n_acts;
	struct dp_flow_key key;
	struct dp_flow_key mask;
	struct dp_action acts[DP_MAX_ACTIONS];
};

struct ofl_port {
	struct ofl_backend *b;      /* NULL: slot free */
	struct ofl_port_cfg cfg;    /* backend points at the driver's name; args NULL */
	uint32_t caps;              /* probed once */
	char probe_error[96];
	uint8_t refused_full, refused_partial;   /* cached refusals */
	uint8_t full_ok, partial_ok;             /* a rule of the tier was created */
	char refused_why[OFL_WHY_LEN];           /* why a tier was cached refused */
	uint32_t full_fail_streak, partial_fail_streak;
	uint64_t installed, failed, removed, table_full, refused_cached, shared;
	uint64_t aged;                           /* rules the port reported aged */
	uint64_t n_full, n_partial;
	uint64_t hits, bytes;
	char psec[128];                          /* ofl_port_security's outcome */
};

/* What a hardware rule matches: the key of o->rules.  Built zeroed, then
 * the megaflow's mask and masked key, so equal megaflows of two PMDs give
 * equal bytes. */
struct ofl_pat {
	uint32_t dp_port;
	uint32_t pad;
	struct dp_flow_key mask;
	struct dp_flow_key key;
};

struct ofl_flow;

/* One rule in a backend, shared by every megaflow (one per PMD) with its
 * pattern.  Goes when its last megaflow does. */
struct ofl_hwrule {
	struct ofl_pat pat;
	uint16_t dp_port;
	uint16_t out_dp_port;       /* FULL output port, 0xffff none */
	enum ofl_decision state;    /* OFL_FULL or OFL_PARTIAL */
	uint32_t mark;              /* PARTIAL: row of the mark table */
	uint64_t handle;
	uint32_t refs;
	struct ofl_flow *flows;     /* the megaflows sharing it; the first one is
				     * told a FULL rule's counters */
	char why[OFL_WHY_LEN];      /* why not better ("" when full) */
	char rule[128];
	uint16_t n_acts;            /* FULL: the actions the hardware runs */
	struct dp_action acts[DP_MAX_ACTIONS];
	uint64_t serial;            /* the manager's name of it (AGE context) */
	uint32_t age;               /* its AGE timeout (s), 0: none */
	struct ofl_flow_stats hw;        /* last queried */
	struct ofl_flow_stats reported;  /* what stats_cb has been told */
};

/* One megaflow (one PMD's), by global id. */
struct ofl_flow {
	uint64_t id;
	uint16_t dp_port;
	uint16_t col;               /* mark table column: the megaflow's PMD */
	struct ofl_hwrule *r;       /* NULL: software */
	struct ofl_flow *next;      /* in r->flows */
	char why[OFL_WHY_LEN];      /* software: why */
};

struct ofl {
	struct ofl_config cfg;
	char name[32];
	struct rte_ring *ring;
	struct rte_mempool *pool;
	/* producers */
	uint64_t seq;
	uint64_t resync_upto;
	uint64_t ev_dropped, ev_disabled;
	/* PMDs */
	struct ofl_mark_table marks;
	/* the rest: under lock */
	pthread_mutex_t lock;
	uint64_t done_seq, resync_done, events, resyncs, stale_install, no_room;
	uint32_t *free_marks;       /* FIFO ring of free marks */
	uint64_t fm_head, fm_tail;
	struct rte_hash *flows;     /* id -> struct ofl_flow * */
	struct rte_hash *rules;     /* struct ofl_pat -> struct ofl_hwrule * */
	struct ofl_port ports[OFL_MAX_PORTS];
	struct dp_overlay_cfg ovl;
	int has_ovl;
	uint64_t last_stats_tsc, last_age_tsc;
	uint64_t next_serial;
	pthread_t thread;
	int thread_running;
	int stop;
};

void ofl_poll_stats_locked(struct ofl *o);
/* Every megaflow of rule r back to software (why), then the rule goes. */
void ofl_rule_unoffload(struct ofl *o, struct ofl_hwrule *r, const char *why);
/* Collect the rules the ports report aged (ofl_age.c); lock held. */
unsigned ofl_age_poll_locked(struct ofl *o);

#endif
