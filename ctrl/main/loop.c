/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/loop.c — one turn of the control thread's event loop: wait (poll) on
 * the management socket and its connections, the controller's event queue,
 * the datapath's punt signal and the features' descriptors (e.g. the
 * northbound worker's completions), then serve whichever is ready.  Punted
 * packets are handled first: their latency is what DHCP clients see.
 */
#include <poll.h>

#include "ctrl.h"
#include "feature.h"
#include "lc.h"
#include "punt.h"

#define MAX_FDS (3 + CTRL_MAX_FEATURES + 80)

/* Punted packets are what must not wait for a long controller pass (a full
 * sync's page or compile): DHCP clients, ARP, ICMP errors.  The
 * management socket and the features wait until the pass returns: a
 * command could change what the pass is compiling. */
void ctrl_lc_yield(void *arg)
{
	struct ctrl *c = arg;
	if (c->dp != NULL)
		ctrl_punt_drain(c, 256);
}

void ctrl_poll(struct ctrl *c, int timeout_ms)
{
	struct pollfd p[MAX_FDS];
	int i_feat[CTRL_MAX_FEATURES];
	unsigned n = 0;
	int i_lc = -1, i_punt = -1;
	if (c->lc != NULL && lc_fd(c->lc) >= 0) {
		i_lc = (int)n;
		p[n++] = (struct pollfd){ .fd = lc_fd(c->lc), .events = POLLIN };
	}
	if (c->dp != NULL && dp_punt_fd(c->dp) >= 0) {
		i_punt = (int)n;
		p[n++] = (struct pollfd){ .fd = dp_punt_fd(c->dp), .events = POLLIN };
	}
	for (unsigned f = 0; f < c->n_feat; f++) {
		const struct ctrl_feature *ft = c->feat[f].f;
		int fd = ft->fd && ft->on_fd ? ft->fd(c->feat[f].ctx) : -1;
		i_feat[f] = fd >= 0 ? (int)n : -1;
		if (fd >= 0)
			p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	}
	unsigned i_mgmt = n;
	n += ctrl_mgmt_pollfds(c, p + n, MAX_FDS - n);
	int rc = poll(p, (nfds_t)n, timeout_ms);
	if (rc <= 0) {
		/* timeout: packets may still sit on the ring if a PMD's wake-up
		 * raced with our read; the drain is cheap when empty */
		if (c->dp != NULL)
			ctrl_punt_drain(c, 256);
		ctrl_mgmt_serve(c, p + i_mgmt, 0);   /* deadlines */
		return;
	}
	if (i_punt >= 0 && p[i_punt].revents)
		ctrl_punt_drain(c, 256);
	if (i_lc >= 0 && p[i_lc].revents)
		lc_run(c->lc);
	for (unsigned f = 0; f < c->n_feat; f++)
		if (i_feat[f] >= 0 && p[i_feat[f]].revents)
			c->feat[f].f->on_fd(c, c->feat[f].ctx);
	ctrl_mgmt_serve(c, p + i_mgmt, n - i_mgmt);
}
