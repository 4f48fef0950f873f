/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/metrics.h — Prometheus text endpoint ([metrics] listen = HOST:PORT).
 *
 * libmicrohttpd serves GET /metrics on its own thread (text/plain;
 * version=0.0.4); any other path is 404, any other method 405.
 *
 * Threads: the HTTP thread never touches controller or datapath state.
 * A scrape raises a flag and waits (at most 2 s) on a condition variable;
 * the control thread, once per loop turn (ctrl_metrics_tick, <= 100 ms
 * apart), sees the flag, renders the whole exposition from the same APIs
 * `wyctl show ports/pmd/ctrl/dhcp` use, and publishes it under a mutex.
 * If the control thread is busy for longer, the scrape gets the previous
 * snapshot (or 503 before the first).  So every number is read on the
 * thread that owns it, and a scrape costs nothing when nobody scrapes.
 *
 * start/tick/stop: control thread.
 */
#ifndef WYV_CTRL_METRICS_H
#define WYV_CTRL_METRICS_H

#include <stddef.h>
#include <sys/socket.h>

struct ctrl;

/* "127.0.0.1:9464" or "[::1]:9464" -> sockaddr.  0 or -EINVAL + err. */
int ctrl_metrics_parse_listen(const char *s, struct sockaddr_storage *sa, char *err,
			      size_t errlen);
/* Start the endpoint (c->metrics).  0 or -errno (address in use, ...). */
int ctrl_metrics_start(struct ctrl *c, const char *listen);
void ctrl_metrics_tick(struct ctrl *c);
void ctrl_metrics_stop(struct ctrl *c);
/* The exposition text now (malloc'ed; control thread). */
char *ctrl_metrics_render(struct ctrl *c, size_t *len);

#endif
