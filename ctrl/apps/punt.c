/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/punt.c — dispatch of punted packets to applications (see punt.h).
 * The table is the context's (struct ctrl's punt[]), filled from the
 * features' punt reasons by ctrl_features_init().
 */
#include <errno.h>
#include "ctrl.h"
#include "punt.h"

int ctrl_punt_register(struct ctrl *c, unsigned reason, ctrl_punt_fn *fn, void *arg)
{
	if (reason == DP_PUNT_NONE || reason >= DP_PUNT__MAX || fn == NULL)
		return -EINVAL;
	c->punt[reason].fn = fn;
	c->punt[reason].arg = arg;
	return 0;
}

void ctrl_punt_unregister(struct ctrl *c, unsigned reason)
{
	if (reason < DP_PUNT__MAX)
		c->punt[reason].fn = NULL;
}

unsigned ctrl_punt_drain(struct ctrl *c, unsigned budget)
{
	struct rte_mbuf *pkts[32];
	unsigned total = 0, n;
	while (total < budget &&
	       (n = dp_punt_dequeue(c->dp, pkts, budget - total < 32 ? budget - total : 32)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			unsigned r = pkts[i]->hash.usr;
			if (r >= DP_PUNT__MAX)
				r = DP_PUNT_NONE;
			struct ctrl_punt_slot *s = &c->punt[r];
			s->seen++;
			if (s->fn != NULL) {
				s->fn(c, pkts[i], s->arg);
			} else {
				s->unhandled++;
				rte_pktmbuf_free(pkts[i]);
			}
		}
		total += n;
		c->punted += n;
	}
	return total;
}

uint64_t ctrl_punt_count(const struct ctrl *c, unsigned reason)
{
	return reason < DP_PUNT__MAX ? c->punt[reason].seen : 0;
}

uint64_t ctrl_punt_unhandled(const struct ctrl *c, unsigned reason)
{
	return reason < DP_PUNT__MAX ? c->punt[reason].unhandled : 0;
}
