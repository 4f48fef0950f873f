/* SPDX-License-Identifier: BSD-3-Clause
 * dp/stage_dhcp.c — DHCP service (Dragonflow's DHCP table): DHCPv4 client messages
 * (IPv4 UDP 68->67) from a port whose network has dhcp_v4 are punted to the
 * local controller, which answers them (ctrl/apps/app_dhcp.c); nothing else is
 * touched.  On a network without controller DHCP the message continues to
 * L2 lookup, so a tenant's own DHCP server on the network can answer.
 *
 * Megaflows: IPv4 only (eth_type, which port security reads anyway); then
 * the L4 ports, each tested by ONE bit that proves "not 68" / "not 67" (the
 * highest differing bit; port security tests 67 and 68 and, for ports >=
 * 128, picks the same bit), so ordinary IPv4 flows match one bit of tp_src
 * and not ip_proto.  Only DHCP flows read the protocol and depend on the
 * network's config (tag).
 */
#include <arpa/inet.h>

#include "actions.h"
#include "translate.h"

/* Equal?  Marks one differing bit when not, all bits when equal. */
static bool mark_eq16(uint16_t *mask, uint16_t field, uint16_t value)
{
	uint16_t diff = (uint16_t)(ntohs(field) ^ value);
	if (diff == 0) {
		*mask = 0xffff;
		return true;
	}
	*mask |= htons((uint16_t)(0x8000u >> (__builtin_clz((unsigned)diff) - 16)));
	return false;
}

enum dp_xl_verdict dp_stage_dhcp(struct dp_xlate *x)
{
	if (x->from_uplink) /* a remote port's DHCP is its own chassis' */
		return DP_XL_NEXT;
	if (ntohs(DP_XL_READ(x, eth_type)) != 0x0800 ||
	    !mark_eq16(&x->out->mask.tp_src, x->pkt->tp_src, 68) ||
	    !mark_eq16(&x->out->mask.tp_dst, x->pkt->tp_dst, 67) ||
	    DP_XL_READ(x, ip_proto) != 17)
		return DP_XL_NEXT;
	dp_xl_tag(x, DP_TAG(DP_TAG_NETWORK, x->network));
	if (x->net == NULL || !x->net->cfg.dhcp_v4) {
		dp_xl_log(x, "DHCP client message: no controller DHCP on network %u, pass",
			  x->network);
		return DP_XL_NEXT;
	}
	struct dp_action a = { .type = DP_ACT_PUNT, .u32 = DP_PUNT_DHCP,
			       .port = DP_XL_READ(x, in_port) };
	dp_xl_action(x, &a);
	dp_xl_log(x, "DHCP client message: punt to the controller");
	return DP_XL_DONE;
}
