/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/punt.h — the controller's applications for punted packets.
 *
 * PMDs punt packets (dp_action punt(reason)) onto a ring; the control thread
 * drains it and hands each packet to the application registered for its
 * reason (DHCP, ARP/ND for unknowns, ICMP errors, ...).  An application owns
 * the mbuf it is given: it frees it, or re-uses it for its answer and sends
 * that with dp_send().  Packets with no application are counted and freed.
 *
 * Features register their reasons (feature.h: `punts`, the arg is the
 * feature's context); the table lives in struct ctrl.
 *
 * Threads: control thread only (registration and dispatch).
 */
#ifndef WYV_CTRL_PUNT_H
#define WYV_CTRL_PUNT_H

#include <stdint.h>
#include <rte_mbuf.h>

#include "dp.h"

struct ctrl;

/* m->port = dp port it came in on, m->hash.usr = reason. Consumes m. */
typedef void ctrl_punt_fn(struct ctrl *c, struct rte_mbuf *m, void *arg);

/* One application per reason; registering again replaces it. */
int ctrl_punt_register(struct ctrl *c, unsigned reason, ctrl_punt_fn *fn, void *arg);
void ctrl_punt_unregister(struct ctrl *c, unsigned reason);
/* Drain up to budget packets from the datapath's punt ring. Returns count. */
unsigned ctrl_punt_drain(struct ctrl *c, unsigned budget);
/* Packets seen / without an application, per reason. */
uint64_t ctrl_punt_count(const struct ctrl *c, unsigned reason);
uint64_t ctrl_punt_unhandled(const struct ctrl *c, unsigned reason);

#endif
