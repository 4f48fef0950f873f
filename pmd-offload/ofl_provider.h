/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_provider.h — the function table every offload backend
 * provides (rte_flow, dummy, xdp), in the manner of db/db_provider.h.
 *
 * A backend instance serves one port.  Backends embed `struct ofl_backend`
 * as their first member.  Entries return 0 or -errno; open returns NULL and
 * sets errno.
 *
 * Threads: the manager (ofl.c) calls every entry under its lock, from the
 * offload thread or from the control thread adding/removing a port, never
 * from a PMD.  Backends therefore need no locking of their own against the
 * manager; the dummy backend's rx callback (a PMD) shares its rule list under
 * a reader/writer lock taken once per burst.
 */
#ifndef WYV_OFL_PROVIDER_H
#define WYV_OFL_PROVIDER_H

#include <stdint.h>
#include <stddef.h>
#include "ofl_plan.h"
#include "tables.h"

struct ofl_flow_stats {
	uint64_t packets;   /* cumulative since put */
	uint64_t bytes;
	uint64_t last_used; /* rte_get_tsc_cycles() of the last hit seen, 0: never */
};

struct ofl_backend;

/* put: refused for this rule's match only (see put). */
#define OFL_EFLOW ENOEXEC

struct ofl_driver {
	const char *name;   /* "rte_flow", "dummy", "xdp" */
	/* Open an instance for ethdev port eth_port (dp port dp_port). args:
	 * backend-specific text (NULL or "" = defaults). NULL + errno. */
	struct ofl_backend *(*open)(uint16_t eth_port, uint16_t dp_port, const char *args);
	void (*close)(struct ofl_backend *b);
	/* Capability set of the port (OFL_CAP_* bits). Called once per port by
	 * the manager, which caches the answer. */
	int (*probe)(struct ofl_backend *b, uint32_t *caps);
	/* Install the planned rule. *handle: the backend's name for it.
	 * -ENOSPC: rule table full; -EOPNOTSUPP: this rule shape is refused
	 * (the manager caches it per port: the tier is not tried again);
	 * -OFL_EFLOW: this one rule is refused for its match, not the tier
	 * (the xdp backend: a field it does not look up), nothing cached;
	 * other -errno: failed this once (OFL_FAIL_STREAK in a row cache the
	 * refusal). */
	int (*put)(struct ofl_backend *b, const struct ofl_rule *r, uint64_t *handle);
	int (*del)(struct ofl_backend *b, uint64_t handle);          /* -ENOENT */
	/* Counters of a rule (-EOPNOTSUPP when it has none). */
	int (*query)(struct ofl_backend *b, uint64_t handle, struct ofl_flow_stats *st);
	int (*flush)(struct ofl_backend *b);                          /* all rules */
	/* Last error text of a put/probe (may be NULL): shown as the reason. */
	const char *(*last_error)(struct ofl_backend *b);
	/* Optional (NULL: the backend filters nothing, the PMD does it all).
	 * Port security of the port, from the logical port bound to it: lp
	 * NULL (no lport, or port security off) removes the filter.  The
	 * backend may drop only what the PMD's port security would drop, and
	 * may filter less (or nothing: it says why in why, returns 0).
	 * 0 or -errno (why says what failed). */
	int (*port_security)(struct ofl_backend *b, const struct dp_lport_cfg *lp,
			     char *why, size_t len);
	/* Optional (NULL: the backend has no AGE).  Rules whose AGE action
	 * timed out (no hit for its timeout): their AGE contexts
	 * (ofl_plan_ctx.age_context) into ctx[0..max), each reported once.
	 * Returns how many (0..max) or -errno.  rte_flow:
	 * rte_flow_get_aged_flows; dummy: its own clock. */
	int (*aged)(struct ofl_backend *b, uint64_t *ctx, unsigned max);
};

struct ofl_backend {
	const struct ofl_driver *drv;
	uint16_t eth_port;
	uint16_t dp_port;
};

extern const struct ofl_driver ofl_rte_flow_driver;
extern const struct ofl_driver ofl_dummy_driver;
extern const struct ofl_driver ofl_xdp_driver;

/* Driver by name, NULL when unknown. */
const struct ofl_driver *ofl_driver_find(const char *name);

#endif
