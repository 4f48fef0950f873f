/* SPDX-License-Identifier: BSD-3-Clause
 * dp/stage_l2.c — L2 lookup: (network, destination MAC) -> logical port.
 *
 * Broadcast/multicast is decided by one bit, so a multicast megaflow matches
 * only that bit of eth_dst.  Unicast reads the whole address and depends on
 * that one FDB entry (a tag per (network, MAC)), so adding an unrelated port
 * does not disturb it.  Unknown unicast floods like broadcast.
 */
#include <rte_ether.h>

#include "drop.h"
#include "tables_l3.h"
#include "translate.h"

enum dp_xl_verdict dp_stage_l2(struct dp_xlate *x)
{
	const uint8_t *dst = x->pkt->eth_dst;
	x->out->mask.eth_dst[0] |= 0x01; /* the group bit */
	if (dst[0] & 0x01) {
		dp_xl_log(x, "%s destination: flood in network %u",
			  (dst[0] & dst[1] & dst[2] & dst[3] & dst[4] & dst[5]) == 0xff ?
				  "broadcast" : "multicast", x->network);
		x->flood = true;
		return DP_XL_NEXT;
	}
	DP_XL_MARK(x, eth_dst);
	dp_xl_tag(x, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(x->network, dst)));
	uint32_t lk = dp_table_fdb_lookup(x->t, x->network, dst);
	if (lk == 0) /* a router port's MAC (same FDB tag) */
		lk = dp_l3_rmac_lookup(x->l3, x->network, dst);
	if (lk == 0 && x->from_uplink) { /* a floating IP's MAC: its router routes */
		const struct dp_rport *gp = dp_nat_l2(x, dst);
		if (gp != NULL) {
			x->route = true;
			x->rport = gp;
			dp_xl_log(x, "%02x:%02x:%02x:%02x:%02x:%02x is a floating IP's MAC -> "
				  "gateway port %u of router %u: route", dst[0], dst[1], dst[2],
				  dst[3], dst[4], dst[5], gp->cfg.key, gp->cfg.router);
			return DP_XL_NEXT;
		}
	}
	if (lk != 0) /* depend on the lport even when it does not exist (yet) */
		dp_xl_tag(x, DP_TAG(DP_TAG_LPORT, lk));
	const struct dp_lport *p = lk ? dp_table_lport_get(x->t, lk) : NULL;
	const struct dp_rport *rp = p == NULL ? dp_l3_rport_get(x->l3, lk) : NULL;
	if (rp != NULL) {
		x->route = true;
		x->rport = rp;
		dp_xl_log(x, "%02x:%02x:%02x:%02x:%02x:%02x -> router port %u (%s) of router %u: route",
			  dst[0], dst[1], dst[2], dst[3], dst[4], dst[5], lk, rp->cfg.name,
			  rp->cfg.router);
		return DP_XL_NEXT;
	}
	if (p == NULL) {
		dp_xl_log(x, "%02x:%02x:%02x:%02x:%02x:%02x unknown in network %u: flood",
			  dst[0], dst[1], dst[2], dst[3], dst[4], dst[5], x->network);
		x->flood = true;
		return DP_XL_NEXT;
	}
	x->dst = p;
	x->dst_lport = lk;
	dp_xl_log(x, "%02x:%02x:%02x:%02x:%02x:%02x -> lport %u (%s)", dst[0], dst[1], dst[2],
		  dst[3], dst[4], dst[5], lk, p->cfg.name);
	return DP_XL_NEXT;
}
