/* SPDX-License-Identifier: BSD-3-Clause
 * The uplink: the dp port carrying this chassis' VTEP (tables_ovl.h).
 *
 * Ingress (from classify, for packets on the uplink):
 *   - tunnel packets (parse filled tun_*): to our VTEP IP, VNI -> network;
 *     action tnl_pop, then the usual L2 (and L3) lookup in that network,
 *     with no port security (the sending chassis applied it), no DHCP and
 *     no ARP responder (the sender's chassis answers for what it knows);
 *   - ARP for our VTEP IP (untagged): requests answered in the datapath
 *     from the VTEP MAC; replies punted so the controller learns a remote
 *     VTEP's MAC (ctrl/apps/app_underlay.c);
 *   - anything else belongs to a provider network: 802.1Q VLAN id -> VLAN
 *     network (pop_vlan), untagged -> the flat network; else dropped.
 * Egress:
 *   - a destination lport on another chassis: overlay networks push the
 *     tunnel header toward its chassis' VTEP (the underlay MAC is part of
 *     the megaflow; the megaflow depends on that neighbor entry) and output
 *     on the uplink; provider networks push their VLAN (or nothing) and
 *     output on the uplink;
 *   - flood: a tnl_flood to every remote VTEP of the network, or the
 *     provider uplink.
 * Nothing from the uplink goes back to the uplink (split horizon).
 */
#include <arpa/inet.h>
#include <string.h>

#include "drop.h"
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

enum dp_xl_verdict dp_stage_uplink(struct dp_xlate *x)
{
	const struct dp_overlay_cfg *ov = dp_overlay_get(x->t);
	dp_xl_tag(x, DP_TAG(DP_TAG_OVERLAY, 0));
	if (ov == NULL) /* the uplink was just unset: a stale read */
		return dp_xl_drop(x, DP_DROP_NO_LPORT);
	uint32_t tun_dst = DP_XL_READ(x, tun_dst);
	if (tun_dst != 0)
		return tunnel_in(x, ov, tun_dst);
	uint16_t tci = DP_XL_READ(x, vlan_tci);
	if (ntohs(DP_XL_READ(x, eth_type)) == 0x0806 && tci == 0 &&
	    memcmp(DP_XL_READ_IP4(x, ip_dst), &ov->vtep_ip, 4) == 0)
		return vtep_arp(x, ov);
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

/* The overlay config for an egress decision (tagged), NULL + log when none. */
static const struct dp_overlay_cfg *overlay(struct dp_xlate *x)
{
	const struct dp_overlay_cfg *ov = dp_overlay_get(x->t);
	dp_xl_tag(x, DP_TAG(DP_TAG_OVERLAY, 0));
	if (ov == NULL)
		dp_xl_log(x, "no overlay (uplink/VTEP) configured on this chassis");
	return ov;
}

static void provider_out(struct dp_xlate *x, const struct dp_overlay_cfg *ov,
			 const struct dp_network *n)
{
	if (n->cfg.type == DP_NET_VLAN) {
		struct dp_action v = { .type = DP_ACT_PUSH_VLAN, .port = n->cfg.vlan };
		dp_xl_action(x, &v);
	}
	struct dp_action o = { .type = DP_ACT_OUTPUT, .port = ov->uplink };
	dp_xl_action(x, &o);
}

enum dp_xl_verdict dp_stage_output_remote(struct dp_xlate *x)
{
	const struct dp_lport_cfg *d = &x->dst->cfg;
	if (x->from_uplink) {
		dp_xl_log(x, "lport %u is on another chassis: not sent back to the uplink",
			  d->key);
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
	const struct dp_network *n = dp_table_network_get(x->t, d->network);
	dp_xl_tag(x, DP_TAG(DP_TAG_NETWORK, d->network));
	if (n == NULL)
		return dp_xl_drop(x, DP_DROP_NO_NETWORK);
	if (n->cfg.type == DP_NET_OVERLAY && (d->remote_vtep == 0 || n->cfg.vni == 0)) {
		dp_xl_log(x, "lport %u is not local and %s", d->key,
			  d->remote_vtep ? "its network has no VNI" : "its chassis is unknown");
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
	const struct dp_overlay_cfg *ov = overlay(x);
	if (ov == NULL)
		return dp_xl_drop(x, DP_DROP_NO_OVERLAY);
	if (n->cfg.type != DP_NET_OVERLAY) {
		provider_out(x, ov, n);
		dp_xl_log(x, "lport %u on provider network %u: %s%u out of the uplink (port %u)",
			  d->key, n->cfg.key, n->cfg.type == DP_NET_VLAN ? "push VLAN " : "flat ",
			  n->cfg.vlan, ov->uplink);
		return DP_XL_DONE;
	}
	char ip[16];
	ip4_txt(x, ip, sizeof(ip), d->remote_vtep);
	dp_xl_tag(x, DP_TAG(DP_TAG_VTEP, d->remote_vtep));
	const struct dp_vtep *v = dp_vtep_get(x->t, d->remote_vtep);
	if (v == NULL || !v->resolved) {
		dp_xl_log(x, "lport %u is behind VTEP %s, whose underlay MAC is not known yet",
			  d->key, ip);
		return dp_xl_drop(x, DP_DROP_VTEP_UNRESOLVED);
	}
	uint8_t encap = dp_vtep_encap(ov, v);
	struct dp_action p = { .type = DP_ACT_TNL_PUSH, .u32 = d->remote_vtep };
	memcpy(p.data, v->mac.addr_bytes, 6);
	p.data[6] = encap;
	dp_act_set_vni(&p, n->cfg.vni);
	struct dp_action o = { .type = DP_ACT_OUTPUT, .port = ov->uplink };
	dp_xl_action(x, &p);
	dp_xl_action(x, &o);
	dp_xl_log(x, "lport %u is behind VTEP %s: %s VNI %u, output to uplink port %u", d->key,
		  ip, dp_encap_name(encap), n->cfg.vni, ov->uplink);
	return DP_XL_DONE;
}

bool dp_stage_flood_remote(struct dp_xlate *x)
{
	const struct dp_network *n = x->net;
	if (x->from_uplink)
		return false;
	if (n->cfg.type == DP_NET_OVERLAY && (n->cfg.n_flood_vteps == 0 || n->cfg.vni == 0))
		return false;
	const struct dp_overlay_cfg *ov = overlay(x);
	if (ov == NULL)
		return false;
	if (n->cfg.type != DP_NET_OVERLAY) {
		provider_out(x, ov, n);
		dp_xl_log(x, "and to the provider uplink (port %u)", ov->uplink);
		return true;
	}
	struct dp_action f = { .type = DP_ACT_TNL_FLOOD, .u32 = n->cfg.key };
	dp_act_set_vni(&f, n->cfg.vni);
	dp_xl_action(x, &f);
	dp_xl_log(x, "and a %s copy to each of %u remote VTEP(s), VNI %u",
		  dp_encap_name(ov->encap), n->cfg.n_flood_vteps, n->cfg.vni);
	return true;
}
