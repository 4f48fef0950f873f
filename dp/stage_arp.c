/* SPDX-License-Identifier: BSD-3-Clause
 * Stage, ARP/ND responder (Dragonflow's ARP and ND responders): an ARP
 * request or an IPv6 neighbor solicitation for an address the neighbor table
 * knows in the packet's network (a port's fixed IP, a router port address or
 * its link-local) is answered here: the request is rewritten into the reply
 * (DP_ACT_ARP_REPLY / DP_ACT_ND_ADVERT) and sent back out of the input port.
 * Known addresses are never flooded.  A request for the sender's own address
 * (gratuitous ARP, duplicate address detection) and requests for unknown
 * addresses continue to L2 lookup (flood), as on a plain network.  Router
 * solicitations are punted to the controller (ctrl/apps/app_icmp.c answers with a
 * router advertisement when a router port of the network advertises).
 * From the uplink (not tunnelled) only ARP is looked at, by stage_nat.c:
 * requests for a floating IP held here are answered, replies to a
 * gateway's resolver MAC punted (dp_nat_arp).
 *
 * Megaflows: ARP matches arp_op, and for requests the target address (the
 * first 4 bytes of ip_dst); ND matches ip_proto, the ICMPv6 type and for
 * solicitations the target.  Answers depend on the neighbor entry (tag), and
 * so do the floods for unknown targets (a later entry must stop the flood).
 */
#include <arpa/inet.h>
#include <string.h>

#include "actions.h"
#include "tables_l3.h"
#include "translate.h"

static enum dp_xl_verdict answer(struct dp_xlate *x, uint16_t type, const struct dp_neigh *n,
				 uint32_t flags)
{
	struct dp_action a = { .type = type, .u32 = flags };
	memcpy(a.data, n->mac.addr_bytes, 6);
	dp_xl_action(x, &a);
	struct dp_action o = { .type = DP_ACT_OUTPUT, .port = DP_XL_READ(x, in_port) };
	dp_xl_action(x, &o);
	return DP_XL_DONE;
}

static enum dp_xl_verdict arp(struct dp_xlate *x)
{
	if (ntohs(DP_XL_READ(x, arp_op)) != 1)
		return DP_XL_NEXT;
	const uint8_t *tpa = DP_XL_READ_IP4(x, ip_dst);
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, tpa, a, sizeof(a));
	dp_xl_tag(x, DP_TAG(DP_TAG_NEIGH, dp_neigh_tag_key(x->network, 4, tpa)));
	struct dp_neigh nb;
	const struct dp_neigh *n = dp_l3_neigh_get(x->l3, x->network, 4, tpa, &nb) ? &nb : NULL;
	if (n == NULL) {
		dp_xl_log(x, "ARP who-has %s: unknown in network %u, pass", a, x->network);
		return DP_XL_NEXT;
	}
	if (n->lport == x->src_lport) {
		dp_xl_log(x, "ARP who-has %s from its owner (gratuitous/probe), pass", a);
		return DP_XL_NEXT;
	}
	const uint8_t *m = n->mac.addr_bytes;
	dp_xl_log(x, "ARP who-has %s: reply %02x:%02x:%02x:%02x:%02x:%02x (%s %u) to in_port", a,
		  m[0], m[1], m[2], m[3], m[4], m[5], n->router ? "router port" : "lport",
		  n->lport);
	return answer(x, DP_ACT_ARP_REPLY, n, 0);
}

static enum dp_xl_verdict nd(struct dp_xlate *x)
{
	if (DP_XL_READ(x, ip_proto) != 58)
		return DP_XL_NEXT;
	uint8_t type = (uint8_t)ntohs(DP_XL_READ(x, tp_src));
	if (type == 133) {
		struct dp_action p = { .type = DP_ACT_PUNT, .u32 = DP_PUNT_ND,
				       .port = DP_XL_READ(x, in_port) };
		dp_xl_action(x, &p);
		dp_xl_log(x, "router solicitation: punt to the controller");
		return DP_XL_DONE;
	}
	if (type != 135)
		return DP_XL_NEXT;
	const uint8_t *tgt = DP_XL_READ(x, nd_target);
	char a[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, tgt, a, sizeof(a));
	dp_xl_tag(x, DP_TAG(DP_TAG_NEIGH, dp_neigh_tag_key(x->network, 6, tgt)));
	struct dp_neigh nb;
	const struct dp_neigh *n = dp_l3_neigh_get(x->l3, x->network, 6, tgt, &nb) ? &nb : NULL;
	if (n == NULL) {
		dp_xl_log(x, "NS for %s: unknown in network %u, pass", a, x->network);
		return DP_XL_NEXT;
	}
	if (n->lport == x->src_lport) {
		dp_xl_log(x, "NS for %s from its owner (DAD), pass", a);
		return DP_XL_NEXT;
	}
	const uint8_t *m = n->mac.addr_bytes;
	dp_xl_log(x, "NS for %s: advertise %02x:%02x:%02x:%02x:%02x:%02x (%s %u) to in_port", a,
		  m[0], m[1], m[2], m[3], m[4], m[5], n->router ? "router port" : "lport",
		  n->lport);
	return answer(x, DP_ACT_ND_ADVERT, n, n->router ? 1 : 0);
}

enum dp_xl_verdict dp_stage_arp(struct dp_xlate *x)
{
	/* requests from other chassis were answered there when known; the
	 * rest reach the local ports (an answer here would leave unencapsulated) */
	if (x->l3 == NULL)
		return DP_XL_NEXT;
	if (x->from_uplink) /* only floating IPs held here are answered */
		return !x->tunnel && ntohs(DP_XL_READ(x, eth_type)) == 0x0806 ? dp_nat_arp(x)
									      : DP_XL_NEXT;
	switch (ntohs(DP_XL_READ(x, eth_type))) {
	case 0x0806:
		return arp(x);
	case 0x86dd:
		return nd(x);
	default:
		return DP_XL_NEXT;
	}
}
