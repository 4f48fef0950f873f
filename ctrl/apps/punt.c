/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/punt.c — dispatch of punted packets to applications (see punt.h).
 */
#include <errno.h>
#include "ctrl.h"
#include "punt.h"

static struct {
	ctrl_punt_fn *fn;
	void *arg;
	uint64_t seen, unhandled;
} apps[DP_PUNT__MAX];

int ctrl_punt_register(unsigned reason, ctrl_punt_fn *fn, void *arg)
{
	if (reason == DP_PUNT_NONE || reason >= DP_PUNT__MAX || fn == NULL)
		return -EINVAL;
	apps[reason].fn = fn;
	apps[reason].arg = arg;
	return 0;
}

void ctrl_punt_unregister(unsigned reason)
{
	if (reason < DP_PUNT__MAX)
		apps[reason].fn = NULL;
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
			apps[r].seen++;
			if (apps[r].fn != NULL) {
				apps[r].fn(c, pkts[i], apps[r].arg);
			} else {
				apps[r].unhandled++;
				rte_pktmbuf_free(pkts[i]);
			}
		}
		total += n;
		c->punted += n;
	}
	return total;
}

uint64_t ctrl_punt_count(unsigned reason)
{
	return reason < DP_PUNT__MAX ? apps[reason].seen : 0;
}

uint64_t ctrl_punt_unhandled(unsigned reason)
{
	return reason < DP_PUNT__MAX ? apps[reason].unhandled : 0;
}
