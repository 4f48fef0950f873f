/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/telemetry.c — exports per-PMD counters as /wyvern/pmd,<index>.
 */
#include <stdlib.h>
#include <rte_telemetry.h>

#include "ctrl.h"
#include "telemetry.h"

static struct ctrl *t_ctrl;

static int pmd_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ctrl *c = t_ctrl;
	unsigned idx = params ? (unsigned)atoi(params) : 0;
	struct dp_pmd_stats s;
	if (c == NULL || c->dp == NULL || dp_pmd_stats(c->dp, idx, &s) < 0)
		return -1;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "lcore", s.lcore);
	rte_tel_data_add_dict_u64(d, "rx_packets", s.rx_packets);
	rte_tel_data_add_dict_u64(d, "tx_packets", s.tx_packets);
	rte_tel_data_add_dict_u64(d, "emc_hits", s.emc_hits);
	rte_tel_data_add_dict_u64(d, "mfc_hits", s.mfc_hits);
	rte_tel_data_add_dict_u64(d, "misses", s.misses);
	rte_tel_data_add_dict_u64(d, "busy_cycles", s.busy_cycles);
	rte_tel_data_add_dict_u64(d, "idle_cycles", s.idle_cycles);
	rte_tel_data_add_dict_u64(d, "megaflows", s.megaflows);
	rte_tel_data_add_dict_u64(d, "megaflows_evicted", s.mflow.evicted);
	rte_tel_data_add_dict_u64(d, "megaflows_expired", s.mflow.expired);
	rte_tel_data_add_dict_u64(d, "over_quota_upcalls", s.mflow.over_quota);
	for (unsigned r = 1; r < DP_DROP__MAX; r++)
		if (s.drops[r])
			rte_tel_data_add_dict_u64(d, dp_drop_name(r), s.drops[r]);
	return 0;
}

void ctrl_telemetry_register(struct ctrl *c)
{
	t_ctrl = c;
	rte_telemetry_register_cmd("/wyvern/pmd", pmd_cb,
				   "Counters of one PMD thread. Parameter: PMD index");
}

void ctrl_telemetry_unregister(void)
{
	t_ctrl = NULL; /* rte_telemetry has no unregister; callbacks see NULL */
}
