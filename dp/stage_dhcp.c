/* SPDX-License-Identifier: BSD-3-Clause
 * dp/stage_dhcp.c — DHCP service (Dragonflow's DHCP table): DHCPv4 client messages
 * (IPv4 UDP 68->67) from a port whose network has dhcp_v4 are punted to the
 * local controller, which answers them (ctrl/apps/app_dhcp.c); nothing else is
 * touched.  On a network without controller DHCP the message continues to
 * L2 lookup, so a tenant's own DHCP server on the network can answer.
 *
 * Megaflows: IPv4 only (eth_type, which port security reads anyway); then
 * dp_xl_l4_kind (translate.h): ip_proto, and for UDP tp_dst under one of two
 * fixed masks (tp_src only for a DHCP port), so a VM varying its ports
 * cannot multiply masks.  Only DHCP flows depend on the network's config
 * (tag).
 */
#include <arpa/inet.h>

#include "actions.h"
#include "translate.h"

enum dp_xl_verdict dp_stage_dhcp(struct dp_xlate *x)
{
	if (x->from_uplink) /* a remote port's DHCP is its own chassis' */
		return DP_XL_NEXT;
	uint16_t et = DP_XL_READ(x, eth_type);
	if (et != htons(0x0800) || dp_xl_l4_kind(x, et) != DP_L4_DHCP4_CLIENT)
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
