/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/app_nat.h — the control-thread side of floating IPs
 * (dp/include/tables_nat.h, lc/lc_compile_nat.c):
 *  - resolves each NAT gateway's upstream next hop (the external subnet's
 *    gateway_ip) by ARP out of the uplink, from the gateway's per-chassis
 *    resolver MAC; the datapath punts the replies (DP_PUNT_EXT_ARP) and the
 *    learned MAC is written into the gateway entry; unresolved next hops
 *    are asked every second, resolved ones refreshed every 30 s;
 *  - sends a gratuitous ARP for every floating IP that appears or changes
 *    (port, MAC) in the NAT tables — association, move to another port, a
 *    port migrating here — three times, a second apart;
 *  - serves `show nat`.
 * Control thread only; the feature's context is a struct app_nat.
 */
#ifndef WYV_CTRL_APP_NAT_H
#define WYV_CTRL_APP_NAT_H

#include <stdint.h>

struct app_nat_stats {
	uint64_t arp_requests;   /* resolver requests sent */
	uint64_t learned;        /* replies that set or changed a next hop's MAC */
	uint64_t ignored;        /* punted replies that matched no gateway */
	uint64_t garps;          /* gratuitous ARPs sent */
	uint64_t send_errors;
};

struct ctrl_feature;
extern const struct ctrl_feature app_nat_feature;

#endif
