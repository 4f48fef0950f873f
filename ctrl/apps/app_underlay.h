/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/app_underlay.h — the overlay's underlay side on the control thread:
 * sets the datapath's overlay from [ctrl] (uplink port, vtep-ip, encap,
 * underlay-mtu) and resolves remote VTEPs' MACs by ARP on the uplink, like
 * a host's neighbor table: an unresolved VTEP is asked for once a second
 * (at once when it appears), a resolved one refreshed every 30 s; replies
 * are punted by the datapath (DP_PUNT_UNDERLAY) and learned here.  Static
 * neighbors (`wyctl vtep add IP --mac MAC`) are never asked for.
 * The underlay is one L2 segment: VTEPs reachable without a router.
 * Thread: control.
 */
#ifndef WYV_CTRL_APP_UNDERLAY_H
#define WYV_CTRL_APP_UNDERLAY_H

#include <stdint.h>

struct ctrl;
struct ctrl_reply;

struct app_underlay_stats {
	uint64_t arp_requests;      /* sent */
	uint64_t learned;           /* replies that set or changed a VTEP's MAC */
	uint64_t ignored;           /* replies from addresses that are no VTEP of ours */
};

/* The feature (feature.h): its init sets the overlay (fails when the
 * configured uplink cannot carry it), its tick asks for VTEPs, it consumes
 * DP_PUNT_UNDERLAY and serves `vtep add|del` and `show overlay`.  Its
 * state is a struct app_underlay (the feature's context). */
struct ctrl_feature;
extern const struct ctrl_feature app_underlay_feature;

#endif
