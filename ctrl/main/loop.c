/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/main/loop.c — one turn of the control thread's event loop: wait (poll) on
 * the management socket, the controller's event queue and the datapath's
 * punt signal, then serve whichever is ready.  Punted packets are handled
 * first: their latency is what DHCP clients see.
 */
#include <poll.h>

#include "ctrl.h"
#include "lc.h"
#include "punt.h"

void ctrl_poll(struct ctrl *c, int timeout_ms)
{
	struct pollfd p[3];
	int n = 0, i_mgmt = -1, i_lc = -1, i_punt = -1;
	if (c->listen_fd >= 0) {
		i_mgmt = n;
		p[n++] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
	}
	if (c->lc != NULL && lc_fd(c->lc) >= 0) {
		i_lc = n;
		p[n++] = (struct pollfd){ .fd = lc_fd(c->lc), .events = POLLIN };
	}
	if (c->dp != NULL && dp_punt_fd(c->dp) >= 0) {
		i_punt = n;
		p[n++] = (struct pollfd){ .fd = dp_punt_fd(c->dp), .events = POLLIN };
	}
	if (poll(p, (nfds_t)n, timeout_ms) <= 0) {
		/* timeout: packets may still sit on the ring if a PMD's wake-up
		 * raced with our read; the drain is cheap when empty */
		if (c->dp != NULL)
			ctrl_punt_drain(c, 256);
		return;
	}
	if (i_punt >= 0 && p[i_punt].revents)
		ctrl_punt_drain(c, 256);
	if (i_lc >= 0 && p[i_lc].revents)
		lc_run(c->lc);
	if (i_mgmt >= 0 && p[i_mgmt].revents)
		ctrl_mgmt_poll(c, 0);
}
