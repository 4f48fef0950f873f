/* SPDX-License-Identifier: BSD-3-Clause
 * dp/port_quiet.h — known, harmless driver complaints while a port is set
 * up, told once in plain words instead of as errors.
 *
 * Between dp_port_quiet_begin() and dp_port_quiet_end() DPDK's log stream is
 * a cookie stream that records each message with its level and type.  At the
 * end, messages that match a known pattern are replaced by one INFO line
 * explaining them; every other message is re-emitted unchanged (same level,
 * same type).  Known today (net_tap):
 *  - "number of rx queues N must be equal to number of tx queues M" and
 *    ethdev's "dev_configure = -1": the first configure attempt; port.c
 *    retries with equal queue counts;
 *  - "... qdisc ..." (multiq, "Specified qdisc kind is unknown") and
 *    "Disabling rte flow support": the
 *    kernel lacks the multiq/flower qdiscs; wyvern installs no rte_flow
 *    rules on taps, so forwarding is not affected.
 *
 * Thread: control thread only (the one adding ports).  PMD threads that log
 * meanwhile are recorded and re-emitted too.
 */
#ifndef WYV_DP_PORT_QUIET_H
#define WYV_DP_PORT_QUIET_H

#include <stdbool.h>

void dp_port_quiet_begin(void);
/* port: the dp port name for the explanation; retried: the configure
 * was retried with equal queue counts (the explanation says so). */
void dp_port_quiet_end(const char *port, bool retried);

#endif
