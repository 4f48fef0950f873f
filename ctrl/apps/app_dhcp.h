/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/app_dhcp.h — the distributed DHCPv4 server (Dragonflow's DHCP app).
 *
 * The datapath's DHCP stage punts DHCPv4 client messages from ports of
 * networks with controller DHCP (dhcp_v4); this application answers them on
 * the control thread from the controller's held objects: DISCOVER -> OFFER,
 * REQUEST -> ACK (NAK when the requested/claimed address is not the port's),
 * INFORM -> ACK without lease, RELEASE/DECLINE counted.  The reply goes
 * straight out of the dp port the request came in on (dp_send).
 *
 * Per dp port a token bucket (default 20 messages/s, burst 40) limits the
 * work one port can cause; a port that exceeds it is blocked for 5 s (its
 * DHCP is dropped, counted).  WYVERN_DHCP_RATE="RATE,BURST,BLOCK_S" in the
 * environment of wyvernd overrides the defaults (benchmarks).
 *
 * Threads: everything on the control thread (registration, punt callback,
 * counters for `wyctl show dhcp`); one struct app_dhcp per thread.
 */
#ifndef WYV_CTRL_APP_DHCP_H
#define WYV_CTRL_APP_DHCP_H

#include <stdint.h>

#include "dhcp_msg.h"
#include "dp.h"

struct ctrl;

struct app_dhcp_stats {
	uint64_t rx[DHCP_TYPE__MAX];        /* well-formed client messages by type */
	uint64_t offers, acks, naks;        /* sent */
	uint64_t malformed[DHCP_ERR__MAX];  /* by parse error */
	uint64_t malformed_total;
	uint64_t rate_limited;              /* messages that tripped the limit */
	uint64_t blocks;                    /* times a port got blocked */
	uint64_t blocked_drops;             /* messages dropped while blocked */
	uint64_t no_lport;                  /* dp port bound to no lport */
	uint64_t mac_mismatch;              /* chaddr/eth src not the port's MAC */
	uint64_t no_data;                   /* no fixed IPv4 on a DHCP subnet / no
					     * controller (static mode) */
	uint64_t ignored;                   /* REQUEST for another server, etc. */
	uint64_t tx_errors, nomem;
};

/* The application's state; app_dhcp_feature (feature.h) creates it at
 * start-up, punts DP_PUNT_DHCP to it and serves `wyctl show dhcp`. */
struct app_dhcp;
struct ctrl_feature;
extern const struct ctrl_feature app_dhcp_feature;

/* Default limits (20/s, burst 40, 5 s block), no counts.  NULL + errno. */
struct app_dhcp *app_dhcp_create(void);
void app_dhcp_destroy(struct app_dhcp *d);
void app_dhcp_get_stats(const struct app_dhcp *d, struct app_dhcp_stats *out);
/* Currently blocked dp ports into ports[0..max): returns the count;
 * remaining[i] = seconds left. */
unsigned app_dhcp_blocked(const struct app_dhcp *d, uint16_t *ports, double *remaining,
			  unsigned max);

/* Unit tests: the message logic without mbufs.  Given a client frame from
 * dp port `port` whose lport data is info (NULL: no data), write the reply
 * frame into out (cap bytes); returns its length, 0 when nothing is sent.
 * Counts like the real path. */
struct lc_dhcp_info;
size_t app_dhcp_answer(struct app_dhcp *d, const uint8_t *frame, size_t len,
		       const struct lc_dhcp_info *info, int info_rc, uint8_t *out, size_t cap);

#endif
