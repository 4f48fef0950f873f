/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/telemetry.h — wyvern counters in rte_telemetry (/wyvern/...), read
 * by dpdk-telemetry.py.  Callbacks run on the telemetry thread and only
 * read counters.
 */
#ifndef WYV_CTRL_TELEMETRY_H
#define WYV_CTRL_TELEMETRY_H

struct ctrl;
void ctrl_telemetry_register(struct ctrl *c);
void ctrl_telemetry_unregister(void);

#endif
