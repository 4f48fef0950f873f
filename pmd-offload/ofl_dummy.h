/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_dummy.h — the dummy backend's inspection API (tests,
 * benchmarks).  Args of the backend (ofl_port_cfg.args), ';'-separated:
 *   caps=mark,queue,drop,count   the capability set the probe reports
 *   max=N                        rule table size (default 1024): put -ENOSPC past it
 *   refuse=full|partial          put refuses that tier with -EOPNOTSUPP although
 *                                the probe claimed it (a NIC whose validate lies)
 *   emulate=0                    no rx callback (default 1)
 * Emulation: an rx callback on every rx queue of the ethdev port parses each
 * received packet (dp_parse_buf) and, when it matches an installed PARTIAL
 * rule, sets m->hash.fdir.hi = mark and RTE_MBUF_F_RX_FDIR|RTE_MBUF_F_RX_FDIR_ID
 * as a NIC does.  It also counts hits per rule for query().
 * AGE: a rule planned with an AGE action (and "age" in caps) records its
 * timeout and context; aged() reports it once when its hit counter has not
 * moved for the timeout on the dummy's clock (the TSC in ms, or the value
 * set with ofl_dummy_set_clock).
 * Threads: inspection functions from any thread (they take the rule lock).
 */
#ifndef WYV_OFL_DUMMY_H
#define WYV_OFL_DUMMY_H

#include <stdint.h>
#include "ofl_provider.h"

enum ofl_dummy_op { OFL_DUMMY_PUT = 1, OFL_DUMMY_DEL, OFL_DUMMY_FLUSH };

struct ofl_dummy_rec {
	enum ofl_dummy_op op;
	uint64_t handle;
	enum ofl_decision decision;   /* put: the rule's tier */
	uint32_t mark;
	int rc;                       /* what the backend answered */
	char rule[128];               /* ofl_rule_format of a put */
	uint32_t age_timeout;         /* put: the AGE action's timeout (s), 0 none */
	uint64_t age_ctx;             /* put: its context */
};

unsigned ofl_dummy_log_count(struct ofl_backend *b);
/* Record i (0 = oldest); 0 or -ENOENT. */
int ofl_dummy_log_get(struct ofl_backend *b, unsigned i, struct ofl_dummy_rec *out);
unsigned ofl_dummy_rule_count(struct ofl_backend *b);
unsigned ofl_dummy_probe_calls(struct ofl_backend *b);
uint64_t ofl_dummy_marked(struct ofl_backend *b);   /* packets tagged by emulation */
/* The AGE clock in ms (< 0: back to the TSC); any thread. */
void ofl_dummy_set_clock(struct ofl_backend *b, int64_t ms);
uint64_t ofl_dummy_aged(struct ofl_backend *b);   /* rules reported aged */
/* Add the rx callback on queue q now (ports configured after open). */
int ofl_dummy_attach_rx(struct ofl_backend *b, uint16_t q);

#endif
