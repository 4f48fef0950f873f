/* SPDX-License-Identifier: BSD-3-Clause
 * dp/stage_output.c — output: to the destination lport's dp port, or a flood to every
 * other local port of the network plus, for a packet that did not come from
 * the uplink, a copy to every other chassis hosting the network (tunnel
 * head-end replication, or the provider uplink).  Destinations on other
 * chassis: stage_uplink.c.  A routed packet (L3 rewrote it) may leave
 * through its input port (hairpin).
 */
#include "drop.h"
#include "translate.h"

static enum dp_xl_verdict flood(struct dp_xlate *x)
{
	const struct dp_network *n = x->net;
	uint16_t ports[DP_NET_MAX_LOCAL];
	unsigned np = 0;
	dp_xl_tag(x, DP_TAG(DP_TAG_NETWORK, n->cfg.key));
	for (unsigned i = 0; i < n->n_local; i++)
		if (n->local_ports[i] != x->pkt->in_port)
			ports[np++] = n->local_ports[i];
	if (np > 0) {
		dp_xl_flood(x, ports, np);
		dp_xl_log(x, "flood to %u local port(s)", np);
	}
	bool remote = dp_stage_flood_remote(x);
	if (np == 0 && !remote) {
		dp_xl_log(x, "no other port of network %u here or elsewhere", n->cfg.key);
		return dp_xl_drop(x, DP_DROP_NO_FLOOD);
	}
	return DP_XL_DONE;
}

enum dp_xl_verdict dp_stage_output(struct dp_xlate *x)
{
	if (x->flood)
		return flood(x);
	const struct dp_lport_cfg *d = &x->dst->cfg;
	if (!d->admin_up) {
		dp_xl_log(x, "destination lport %u is down", d->key);
		return dp_xl_drop(x, DP_DROP_PORT_DOWN);
	}
	if (d->dp_port == DP_NO_PORT)
		return dp_stage_output_remote(x);
	if (d->dp_port == x->pkt->in_port && !x->routed) {
		dp_xl_log(x, "destination is the input port");
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
	struct dp_action a = { .type = DP_ACT_OUTPUT, .port = d->dp_port };
	dp_xl_action(x, &a);
	dp_xl_log(x, "output to dp port %u (lport %u)", d->dp_port, d->key);
	return DP_XL_DONE;
}
