/* SPDX-License-Identifier: BSD-3-Clause
 * dp/stage_classify.c — ingress classification: dp port -> logical port -> network.
 * Reads in_port only.  Depends on the port's binding and the lport itself.
 * The overlay's uplink port (and the provider networks' port when they have
 * their own) is bound to no lport: stage_classify_uplink.c classifies what
 * arrives there.
 */
#include "drop.h"
#include "tables_ovl.h"
#include "translate.h"

enum dp_xl_verdict dp_stage_classify(struct dp_xlate *x)
{
	uint16_t in_port = DP_XL_READ(x, in_port);
	dp_xl_tag(x, DP_TAG(DP_TAG_DPPORT, in_port));
	if (in_port == dp_overlay_uplink(x->t) || in_port == dp_overlay_provider(x->t))
		return dp_stage_classify_uplink(x);
	uint32_t lk = dp_table_port_lport(x->t, in_port);
	const struct dp_lport *p = lk ? dp_table_lport_get(x->t, lk) : NULL;
	if (p == NULL) {
		dp_xl_log(x, "dp port %u is bound to no logical port", in_port);
		return dp_xl_drop(x, DP_DROP_NO_LPORT);
	}
	dp_xl_tag(x, DP_TAG(DP_TAG_LPORT, lk));
	if (!p->cfg.admin_up) {
		dp_xl_log(x, "lport %u (%s) is administratively down", lk, p->cfg.name);
		return dp_xl_drop(x, DP_DROP_PORT_DOWN);
	}
	const struct dp_network *n = dp_table_network_get(x->t, p->cfg.network);
	if (n == NULL) {
		dp_xl_log(x, "lport %u: network %u unknown", lk, p->cfg.network);
		return dp_xl_drop(x, DP_DROP_NO_NETWORK);
	}
	x->src = p;
	x->src_lport = lk;
	x->net = n;
	x->network = n->cfg.key;
	dp_xl_log(x, "in_port %u -> lport %u (%s), network %u (%s)", in_port, lk, p->cfg.name,
		  n->cfg.key, n->cfg.name);
	return DP_XL_NEXT;
}
