/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_age.c — AGE: FULL rules carry an rte_flow AGE action
 * (timeout = the megaflow idle limit, context = the rule's serial); the
 * offload thread asks each port which rules aged (the backend's aged
 * entry: rte_flow_get_aged_flows, or the dummy's clock) and takes each one
 * down through the usual lifecycle: the rule goes, its megaflows are left
 * in software ("aged") and the dp is told to remove them (aged_cb), whose
 * removal events then end their records.
 * Thread: the offload thread, or the control thread through ofl_age_poll;
 * always under o->lock.
 */
#include <string.h>

#include "ofl_priv.h"

#define AGE_BURST 64

/* The port's rule of serial s (lock held); NULL when it is gone already
 * (a report that crossed a removal). */
static struct ofl_hwrule *rule_of_serial(struct ofl *o, uint16_t dp_port, uint64_t s)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (rte_hash_iterate(o->rules, &k, &d, &it) >= 0) {
		struct ofl_hwrule *r = d;
		if (r->serial == s && r->dp_port == dp_port)
			return r;
	}
	return NULL;
}

static unsigned age_one(struct ofl *o, uint16_t dp_port, uint64_t s)
{
	struct ofl_hwrule *r = rule_of_serial(o, dp_port, s);
	if (r == NULL || r->age == 0)
		return 0;
	uint64_t ids[AGE_BURST];
	unsigned n = 0;
	for (const struct ofl_flow *f = r->flows; f && n < AGE_BURST; f = f->next)
		ids[n++] = f->id;
	o->ports[dp_port].aged++;
	ofl_rule_unoffload(o, r, "aged in hardware");
	for (unsigned i = 0; i < n && o->cfg.aged_cb; i++)
		o->cfg.aged_cb(o->cfg.aged_arg, ids[i]);
	return 1;
}

unsigned ofl_age_poll_locked(struct ofl *o)
{
	unsigned aged = 0;
	for (unsigned p = 0; p < OFL_MAX_PORTS; p++) {
		struct ofl_backend *b = o->ports[p].b;
		if (b == NULL || b->drv->aged == NULL || !(o->ports[p].caps & OFL_CAP_AGE))
			continue;
		for (;;) {
			uint64_t ctx[AGE_BURST];
			int n = b->drv->aged(b, ctx, AGE_BURST);
			for (int i = 0; i < n; i++)
				aged += age_one(o, (uint16_t)p, ctx[i]);
			if (n < AGE_BURST)
				break;
		}
	}
	return aged;
}

unsigned ofl_age_poll(struct ofl *o)
{
	pthread_mutex_lock(&o->lock);
	unsigned n = ofl_age_poll_locked(o);
	pthread_mutex_unlock(&o->lock);
	return n;
}
