/* SPDX-License-Identifier: BSD-3-Clause
 * Stage 1 for the uplink, the dp port carrying this chassis' VTEP
 * (tables_ovl.h): classify hands it every packet from that port.
 *   - tunnel packets (parse filled tun_* only for packets to our VTEP IP):
 *     VNI -> network, accepted only from a VTEP in that network's list of
 *     remote VTEPs (flood_vteps: the chassis hosting its ports), or, for a
 *     packet routed by the sender (inner source = a router port's MAC in
 *     the network), from a VTEP of another network of that router or
 *     from that router's gateway chassis (gateway SNAT, tables_nat.h); else
 *     dropped (tunnel-src); action tnl_pop, then the usual L2 (and L3)
 *     lookup in that network.  Port security checks what a tunnel may
 *     carry (stage_port_sec.c); no DHCP and no ARP responder (the sender's
 *     chassis answers for what it knows);
 *   - ARP for our VTEP IP (untagged): requests answered in the datapath
 *     from the VTEP MAC; replies punted so the controller learns a remote
 *     VTEP's MAC (ctrl/underlay.c);
 *   - anything else belongs to a provider network: 802.1Q VLAN id -> VLAN
 *     network (pop_vlan), untagged -> the flat network; else dropped; a
 *     frame with a second (inner) tag is dropped (vlan-inner): it would
 *     reach the network's ports still tagged (VLAN hopping).
 * Egress toward other chassis is the output stage's (stage_output.c).
 * Nothing from the uplink goes back to the uplink (split horizon).
 */
#include <arpa/inet.h>
#include <string.h>
#include <stdio.h>

#include "drop.h"
#include "tables_l3.h"
#include "tables_nat.h"
#include "tables_ovl.h"
#include "translate.h"

/* Text of an IPv4 address for the trace; nothing is formatted on a PMD's
 * miss path (no trace buffer). */
static void ip4_txt(const struct dp_xlate *x, char *buf, size_t len, uint32_t ip)
{
	buf[0] = 0;
	if (x->trace != NULL && inet_ntop(AF_INET, &ip, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

static enum dp_xl_verdict use_network(struct dp_xlate *x, uint32_t nk)
{
	const struct dp_network *n = nk ? dp_table_network_get(x->t, nk) : NULL;
	if (n == NULL)
		return dp_xl_drop(x, DP_DROP_NO_SEGMENT);
	dp_xl_tag(x, DP_TAG(DP_TAG_NETWORK, nk));
	x->net = n;
	x->network = nk;
	x->from_uplink = true;
	return DP_XL_NEXT;
}

static bool in_vtep_list(struct dp_xlate *x, uint32_t nk, uint32_t vtep)
{
	const struct dp_network *n = dp_table_network_get(x->t, nk);
	dp_xl_tag(x, DP_TAG(DP_TAG_NETWORK, nk));
	return n != NULL && dp_network_has_vtep(n, vtep);
}

/* Distributed routing: the sending chassis routed the packet into network
 * nk (inner source = a router port's MAC in nk) although it hosts no port
 * of nk.  Accept it when the sender is a VTEP of another network of that
 * same router. */
static bool routed_from(struct dp_xlate *x, uint32_t nk, uint32_t vtep)
{
	const uint8_t *smac = DP_XL_READ(x, eth_src);
	dp_xl_tag(x, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(nk, smac))); /* rmac entries */
	uint32_t rk = x->l3 ? dp_l3_rmac_lookup(x->l3, nk, smac) : 0;
	const struct dp_rport *rp = rk ? dp_l3_rport_get(x->l3, rk) : NULL;
	if (rp == NULL)
		return false;
	dp_xl_tag(x, DP_TAG(DP_TAG_LPORT, rk));
	dp_xl_tag(x, DP_TAG(DP_TAG_ROUTER, rp->cfg.router));
	if (x->nat != NULL) { /* gateway SNAT: the gateway chassis routes replies */
		dp_xl_tag(x, DP_TAG(DP_TAG_NAT_RTR, rp->cfg.router));
		const struct dp_nat_gw_cfg *g = dp_nat_gw_get(x->nat, rp->cfg.router);
		if (g != NULL && g->gw_vtep == vtep)
			return true;
	}
	const struct dp_router *r = dp_l3_router_get(x->l3, rp->cfg.router);
	for (unsigned i = 0; r != NULL && i < r->n_rports; i++) {
		const struct dp_rport *o = dp_l3_rport_get(x->l3, r->rports[i]);
		if (o != NULL && o->cfg.network != nk && in_vtep_list(x, o->cfg.network, vtep))
			return true;
	}
	return false;
}

static enum dp_xl_verdict tunnel_in(struct dp_xlate *x, const struct dp_overlay_cfg *ov,
				    uint32_t tun_dst)
{
	char dst[16], src[16];
	ip4_txt(x, dst, sizeof(dst), tun_dst);
	ip4_txt(x, src, sizeof(src), x->pkt->tun_src);
	if (tun_dst != ov->vtep_ip) {
		dp_xl_log(x, "tunnel packet to %s, not our VTEP", dst);
		return dp_xl_drop(x, DP_DROP_BAD_TUNNEL);
	}
	uint32_t vni = DP_XL_READ(x, tun_vni);
	dp_xl_tag(x, DP_TAG(DP_TAG_SEGMENT, dp_segment_tag_key(DP_SEG_VNI, vni)));
	uint32_t nk = dp_table_network_by_vni(x->t, vni);
	if (nk == 0) {
		dp_xl_log(x, "tunnel from %s: VNI %u is no network here", src, vni);
		return dp_xl_drop(x, DP_DROP_NO_SEGMENT);
	}
	/* the sender must be a VTEP of this network: the decision depends on
	 * the network's VTEP list (network tag) and on that VTEP's entry */
	uint32_t tun_src = DP_XL_READ(x, tun_src);
	dp_xl_tag(x, DP_TAG(DP_TAG_VTEP, tun_src));
	if (!in_vtep_list(x, nk, tun_src) && !routed_from(x, nk, tun_src)) {
		dp_xl_log(x, "tunnel from %s: not a VTEP of network %u (VNI %u)", src, nk, vni);
		return dp_xl_drop(x, DP_DROP_TNL_SRC);
	}
	struct dp_action a = { .type = DP_ACT_TNL_POP };
	dp_xl_action(x, &a);
	x->tunnel = true;
	dp_xl_log(x, "tunnel from VTEP %s, VNI %u -> network %u: tnl_pop", src, vni, nk);
	return use_network(x, nk);
}

static enum dp_xl_verdict vtep_arp(struct dp_xlate *x, const struct dp_overlay_cfg *ov)
{
	uint16_t op = ntohs(DP_XL_READ(x, arp_op));
	char spa[16];
	uint32_t sip;
	memcpy(&sip, x->pkt->ip_src, 4);
	ip4_txt(x, spa, sizeof(spa), sip);
	if (op == 1) {
		struct dp_action r = { .type = DP_ACT_ARP_REPLY };
		memcpy(r.data, ov->vtep_mac.addr_bytes, 6);
		struct dp_action o = { .type = DP_ACT_OUTPUT, .port = x->pkt->in_port };
		dp_xl_action(x, &r);
		dp_xl_action(x, &o);
		dp_xl_log(x, "ARP for our VTEP from %s: reply from the VTEP MAC", spa);
		return DP_XL_DONE;
	}
	if (op == 2) {
		struct dp_action p = { .type = DP_ACT_PUNT, .u32 = DP_PUNT_UNDERLAY,
				       .port = x->pkt->in_port };
		dp_xl_action(x, &p);
		dp_xl_log(x, "ARP reply from VTEP %s: punt to learn its MAC", spa);
		return DP_XL_DONE;
	}
	return dp_xl_drop(x, DP_DROP_BAD_ARP);
}

enum dp_xl_verdict dp_stage_classify_uplink(struct dp_xlate *x)
{
	const struct dp_overlay_cfg *ov = dp_overlay_get(x->t);
	dp_xl_tag(x, DP_TAG(DP_TAG_OVERLAY, 0));
	if (ov == NULL) /* the uplink was just unset: a stale read */
		return dp_xl_drop(x, DP_DROP_NO_LPORT);
	/* the provider networks' own port (has_provider_port) carries no
	 * tunnel and no VTEP (parsed as any port: tun_dst is 0) */
	bool underlay = DP_XL_READ(x, in_port) == ov->uplink;
	uint32_t tun_dst = DP_XL_READ(x, tun_dst);
	if (tun_dst != 0)
		return tunnel_in(x, ov, tun_dst);
	uint16_t tci = DP_XL_READ(x, vlan_tci);
	if (underlay && ntohs(DP_XL_READ(x, eth_type)) == 0x0806 && tci == 0 &&
	    memcmp(DP_XL_READ_IP4(x, ip_dst), &ov->vtep_ip, 4) == 0)
		return vtep_arp(x, ov);
	if (tci != 0 && DP_XL_READ(x, vlan_inner_tci) != 0) {
		dp_xl_log(x, "uplink: VLAN %u with an inner tag: dropped", tci & 0xfff);
		return dp_xl_drop(x, DP_DROP_VLAN_INNER);
	}
	uint16_t vid = tci ? (tci & 0xfff) : 0;
	dp_xl_tag(x, DP_TAG(DP_TAG_SEGMENT, dp_segment_tag_key(DP_SEG_VLAN, vid)));
	uint32_t nk = dp_table_network_by_vlan(x->t, vid);
	if (nk == 0) {
		if (tci)
			dp_xl_log(x, "uplink: VLAN %u is no provider network here", vid);
		else
			dp_xl_log(x, "uplink: untagged, no flat provider network here");
		return dp_xl_drop(x, DP_DROP_NO_SEGMENT);
	}
	if (tci) {
		struct dp_action a = { .type = DP_ACT_POP_VLAN };
		dp_xl_action(x, &a);
	}
	dp_xl_log(x, "uplink: %s%u -> provider network %u", tci ? "VLAN " : "untagged ",
		  tci ? vid : 0, nk);
	return use_network(x, nk);
}
