/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/app_icmp.h — the router's control-plane answers (Dragonflow's L3
 * ICMP responders), plus the static L3 commands of wyctl.
 *
 * Punt reasons handled (see dp/stage_l3.c, dp/stage_arp.c):
 *  - DP_PUNT_ICMP: echo request (ICMP 8 / ICMPv6 128) to a router address ->
 *    echo reply from that address, out of the port it came in on;
 *  - DP_PUNT_TTL: a routed packet whose TTL/hop limit ran out -> ICMP time
 *    exceeded (11/0) / ICMPv6 time exceeded (3/0) from the address of the
 *    router port that faces the sender, quoting the original IP header + 8
 *    bytes (IPv6: as much as fits in 1280 bytes).  Never about an ICMP error.
 *    Token bucket: WYVERN_ICMP_RATE="RATE,BURST" (default 100/s, burst 50).
 *  - DP_PUNT_ND: router solicitation -> router advertisement on that port
 *    from every router port of its network that advertises (ra_mode).
 * The feature's tick sends unsolicited RAs (every 30 s; WYVERN_RA_INTERVAL=S)
 * out of every local port of networks with an advertising router port:
 * M/O flags from ra_mode, router lifetime 1800 s, source link-layer option,
 * MTU option (the network's), one prefix option per /64 (L, A for slaac and
 * dhcpv6-stateless).
 *
 * Threads: control thread only.
 */
#ifndef WYV_CTRL_APP_ICMP_H
#define WYV_CTRL_APP_ICMP_H

#include <stdint.h>

struct ctrl;
struct ctrl_reply;

struct app_icmp_stats {
	uint64_t echo_replies;       /* v4 + v6 */
	uint64_t time_exceeded;      /* v4 + v6 sent */
	uint64_t rate_limited;       /* time exceeded suppressed */
	uint64_t ra_sent;            /* unsolicited + solicited */
	uint64_t rs_answered;
	uint64_t ignored;            /* malformed / no router port / ICMP errors */
};

/* The feature (feature.h): punts ICMP, TTL and ND; its tick sends the
 * periodic RAs.  Its state is a struct app_icmp (the feature's context). */
struct ctrl_feature;
extern const struct ctrl_feature app_icmp_feature;
/* The counters; -ENOENT when the feature is not up. */
int app_icmp_get_stats(const struct ctrl *c, struct app_icmp_stats *out);

/* cmd_cfg.c: static L3 configuration (routers, router ports, routes) */
int cmd_router_add(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_router_del(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_rport_add(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_rport_del(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_route_add(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_route_del(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);
int cmd_show_routers(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r);

#endif
