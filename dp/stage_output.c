/* SPDX-License-Identifier: BSD-3-Clause
 * dp/stage_output.c — output: to the destination lport's dp port, or a flood to every
 * other local port of the network plus, for a packet that did not come from
 * the uplink, a copy to every other chassis hosting the network (tunnel
 * head-end replication, or the provider uplink).  A routed packet (L3
 * rewrote it) may leave through its input port (hairpin).
 *
 * Destinations on other chassis: overlay networks push the tunnel header
 * toward the lport's chassis' VTEP (the underlay MAC is part of the megaflow;
 * the megaflow depends on that VTEP entry) and output on the uplink; provider
 * networks push their VLAN (or nothing) and output on the uplink.  Flood adds
 * a tnl_flood to every remote VTEP of the network, or the provider uplink.
 * Nothing from the uplink goes back to the uplink (split horizon), except
 * a reply from the external network that this chassis' NAT translated back
 * (x->nat_in, gateway SNAT) toward a VM on another chassis.  Gateway SNAT
 * on another chassis (x->to_gw_vtep): the VM's frame, unrouted, over the
 * overlay to that chassis' VTEP in the VM's network.
 */
#include <arpa/inet.h>
#include <stdio.h>

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
	struct dp_action o = { .type = DP_ACT_OUTPUT, .port = dp_overlay_provider_port(ov) };
	dp_xl_action(x, &o);
}

static enum dp_xl_verdict output_remote(struct dp_xlate *x)
{
	const struct dp_lport_cfg *d = &x->dst->cfg;
	const struct dp_network *n = dp_table_network_get(x->t, d->network);
	dp_xl_tag(x, DP_TAG(DP_TAG_NETWORK, d->network));
	/* the one exception: a reply from the external network that this
	 * chassis' NAT translated back (gateway SNAT), to an overlay network */
	bool ext_reply = x->nat_in && !x->tunnel && n != NULL && n->cfg.type == DP_NET_OVERLAY;
	if (x->from_uplink && !ext_reply) {
		dp_xl_log(x, "lport %u is on another chassis: not sent back to the uplink",
			  d->key);
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
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
		dp_xl_log(x, "lport %u on provider network %u: %s%u out of the %s (port %u)",
			  d->key, n->cfg.key, n->cfg.type == DP_NET_VLAN ? "push VLAN " : "flat ",
			  n->cfg.vlan, ov->has_provider_port ? "provider port" : "uplink",
			  dp_overlay_provider_port(ov));
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

/* Gateway SNAT elsewhere (stage_nat.c): the frame as the VM sent it, to the
 * gateway chassis' VTEP in the VM's overlay network. */
static enum dp_xl_verdict output_gw(struct dp_xlate *x)
{
	const struct dp_network *n = x->net;
	if (n == NULL || n->cfg.type != DP_NET_OVERLAY || n->cfg.vni == 0) {
		dp_xl_log(x, "network %u is no overlay network: the gateway chassis is not reached",
			  x->network);
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
	const struct dp_overlay_cfg *ov = overlay(x);
	if (ov == NULL)
		return dp_xl_drop(x, DP_DROP_NO_OVERLAY);
	char ip[16];
	ip4_txt(x, ip, sizeof(ip), x->to_gw_vtep);
	dp_xl_tag(x, DP_TAG(DP_TAG_VTEP, x->to_gw_vtep));
	const struct dp_vtep *v = dp_vtep_get(x->t, x->to_gw_vtep);
	if (v == NULL || !v->resolved) {
		dp_xl_log(x, "gateway chassis VTEP %s: underlay MAC not known yet", ip);
		return dp_xl_drop(x, DP_DROP_VTEP_UNRESOLVED);
	}
	uint8_t encap = dp_vtep_encap(ov, v);
	struct dp_action p = { .type = DP_ACT_TNL_PUSH, .u32 = x->to_gw_vtep };
	memcpy(p.data, v->mac.addr_bytes, 6);
	p.data[6] = encap;
	dp_act_set_vni(&p, n->cfg.vni);
	struct dp_action o = { .type = DP_ACT_OUTPUT, .port = ov->uplink };
	dp_xl_action(x, &p);
	dp_xl_action(x, &o);
	dp_xl_log(x, "to the gateway chassis, VTEP %s: %s VNI %u, output to uplink port %u", ip,
		  dp_encap_name(encap), n->cfg.vni, ov->uplink);
	return DP_XL_DONE;
}

static bool flood_remote(struct dp_xlate *x)
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
		dp_xl_log(x, "and to the provider %s (port %u)",
			  ov->has_provider_port ? "port" : "uplink", dp_overlay_provider_port(ov));
		return true;
	}
	struct dp_action f = { .type = DP_ACT_TNL_FLOOD, .u32 = n->cfg.key };
	dp_act_set_vni(&f, n->cfg.vni);
	dp_xl_action(x, &f);
	dp_xl_log(x, "and a %s copy to each of %u remote VTEP(s), VNI %u",
		  dp_encap_name(ov->encap), n->cfg.n_flood_vteps, n->cfg.vni);
	return true;
}

static enum dp_xl_verdict flood(struct dp_xlate *x)
{
	const struct dp_network *n = x->net;
	uint16_t ports[DP_NET_MAX_LOCAL];
	unsigned np = 0, denied = 0;
	dp_xl_tag(x, DP_TAG(DP_TAG_NETWORK, n->cfg.key));
	for (unsigned i = 0; i < n->n_local; i++) {
		if (n->local_ports[i] == x->pkt->in_port)
			continue;
		if (!dp_sg_flood_allows(x, n->local_ports[i])) {
			denied++;   /* security group of that port (stage_sg.c) */
			continue;
		}
		ports[np++] = n->local_ports[i];
	}
	if (np > 0) {
		dp_xl_flood(x, ports, np);
		dp_xl_log(x, "flood to %u local port(s)", np);
	}
	bool remote = flood_remote(x);
	if (np == 0 && !remote) {
		if (denied)
			return dp_xl_drop(x, DP_DROP_ACL_DENY);
		dp_xl_log(x, "no other port of network %u here or elsewhere", n->cfg.key);
		return dp_xl_drop(x, DP_DROP_NO_FLOOD);
	}
	return DP_XL_DONE;
}

enum dp_xl_verdict dp_stage_output(struct dp_xlate *x)
{
	if (x->flood)
		return flood(x);
	if (x->to_gw_vtep)
		return output_gw(x);
	if (x->ext_out) { /* routed out to an external network (stage_nat.c) */
		const struct dp_overlay_cfg *ov = overlay(x);
		dp_xl_tag(x, DP_TAG(DP_TAG_NETWORK, x->network));
		if (x->net == NULL)
			return dp_xl_drop(x, DP_DROP_NO_NETWORK);
		if (ov == NULL)
			return dp_xl_drop(x, DP_DROP_NO_OVERLAY);
		if (x->net->cfg.type == DP_NET_OVERLAY) {
			dp_xl_log(x, "external network %u is not a provider network", x->network);
			return dp_xl_drop(x, DP_DROP_NO_DEST);
		}
		provider_out(x, ov, x->net);
		dp_xl_log(x, "external network %u: %s%u out of the %s (port %u)", x->network,
			  x->net->cfg.type == DP_NET_VLAN ? "push VLAN " : "flat ", x->net->cfg.vlan,
			  ov->has_provider_port ? "provider port" : "uplink",
			  dp_overlay_provider_port(ov));
		return DP_XL_DONE;
	}
	if (x->dst == NULL)
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	const struct dp_lport_cfg *d = &x->dst->cfg;
	if (!d->admin_up) {
		dp_xl_log(x, "destination lport %u is down", d->key);
		return dp_xl_drop(x, DP_DROP_PORT_DOWN);
	}
	if (d->dp_port == DP_NO_PORT)
		return output_remote(x);
	if (d->dp_port == x->pkt->in_port && !x->routed) {
		dp_xl_log(x, "destination is the input port");
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
	struct dp_action a = { .type = DP_ACT_OUTPUT, .port = d->dp_port };
	dp_xl_action(x, &a);
	dp_xl_log(x, "output to dp port %u (lport %u)", d->dp_port, d->key);
	return DP_XL_DONE;
}
