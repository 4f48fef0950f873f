/* SPDX-License-Identifier: BSD-3-Clause */
#include "drop.h"

static const char *const names[DP_DROP__MAX] = {
	[DP_DROP_NONE] = "none",
	[DP_DROP_TRUNC_ETH] = "trunc-eth",
	[DP_DROP_TRUNC_VLAN] = "trunc-vlan",
	[DP_DROP_TOO_MANY_VLANS] = "too-many-vlans",
	[DP_DROP_TRUNC_ARP] = "trunc-arp",
	[DP_DROP_BAD_ARP] = "bad-arp",
	[DP_DROP_TRUNC_IPV4] = "trunc-ipv4",
	[DP_DROP_BAD_IPV4] = "bad-ipv4",
	[DP_DROP_TRUNC_IPV6] = "trunc-ipv6",
	[DP_DROP_BAD_IPV6] = "bad-ipv6",
	[DP_DROP_BAD_IPV6_EXT] = "bad-ipv6-ext",
	[DP_DROP_TRUNC_L4] = "trunc-l4",
	[DP_DROP_BAD_TCP] = "bad-tcp",
	[DP_DROP_NO_LPORT] = "no-lport",
	[DP_DROP_NO_NETWORK] = "no-network",
	[DP_DROP_PORT_DOWN] = "port-down",
	[DP_DROP_PSEC_MAC] = "psec-mac",
	[DP_DROP_PSEC_IP] = "psec-ip",
	[DP_DROP_PSEC_ARP] = "psec-arp",
	[DP_DROP_PSEC_ND] = "psec-nd",
	[DP_DROP_PSEC_DHCP_SERVER] = "psec-dhcp-server",
	[DP_DROP_PSEC_RA] = "psec-ra",
	[DP_DROP_PSEC_REDIRECT] = "psec-redirect",
	[DP_DROP_NO_DEST] = "no-dest",
	[DP_DROP_NO_FLOOD] = "no-flood",
	[DP_DROP_VLAN_TAGGED] = "vlan-tagged",
	[DP_DROP_PORT_GONE] = "port-gone",
	[DP_DROP_TX_FULL] = "tx-full",
	[DP_DROP_PUNT_FULL] = "punt-full",
	[DP_DROP_PUNT_RATE] = "punt-rate",
	[DP_DROP_NOMEM] = "nomem",
	[DP_DROP_TTL] = "ttl",
	[DP_DROP_POLICY] = "policy",
	[DP_DROP_ANSWER_FAILED] = "answer-failed",
	[DP_DROP_BAD_TUNNEL] = "bad-tunnel",
	[DP_DROP_TNL_SRC] = "tunnel-src",
	[DP_DROP_TNL_SPOOF] = "tunnel-spoof",
	[DP_DROP_VLAN_INNER] = "vlan-inner",
	[DP_DROP_NO_SEGMENT] = "no-segment",
	[DP_DROP_VTEP_UNRESOLVED] = "vtep-unresolved",
	[DP_DROP_ENCAP_TOO_BIG] = "encap-too-big",
	[DP_DROP_NO_OVERLAY] = "no-overlay",
	[DP_DROP_ACL_DENY] = "acl-deny",
	[DP_DROP_CT_INVALID] = "ct-invalid",
	[DP_DROP_RECIRC_DEPTH] = "recirc-depth",
	[DP_DROP_CT_BLOCKED] = "ct-blocked",
	[DP_DROP_NO_NAT] = "no-nat",
	[DP_DROP_EXT_UNRESOLVED] = "ext-unresolved",
};

const char *dp_drop_name(unsigned reason)
{
	if (reason >= DP_DROP__MAX || names[reason] == 0)
		return "unknown";
	return names[reason];
}
