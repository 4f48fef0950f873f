/* SPDX-License-Identifier: BSD-3-Clause
 * dp/stage_nat.c — floating IPs, translated on the chassis that hosts the
 * port (distributed DNAT/SNAT through conntrack; tables_nat.h).
 *
 * Pieces called from other stages, plus the NAT stage itself (after the
 * security groups, before output):
 *  - L2 (dp_nat_l2): a frame from the external network to a floating IP's
 *    MAC is routed by the router's gateway port.
 *  - ARP (dp_nat_arp): a request from the external network for a floating
 *    IP held here is answered with the FIP's MAC (a VLAN network's answer
 *    gets its tag back).
 *  - L3, ingress (dp_nat_dnat): from the external network, pass 0, to a
 *    floating IP: ct(zone = the router's NAT zone, commit, nat(dst = fixed
 *    IP)), recirculate DP_RECIRC_NAT_IN; in that pass the destination is the
 *    fixed IP and routing goes on as for any packet (the security group of
 *    the VM port sees the fixed IP; a reply of an SNATed connection is
 *    translated back by the same ct(nat)).
 *  - L3, egress (dp_nat_egress): the route leaves by the router's gateway
 *    port.  Before the translation: the floating IP of (router, ip_src) is
 *    looked up and remembered; the NAT stage, after the egress security
 *    group committed, emits ct(zone, commit, nat(src = FIP)) and
 *    recirculates DP_RECIRC_NAT_OUT.  In that pass ip_src is the FIP: the
 *    frame leaves with the FIP's MAC toward the upstream next hop's MAC, on
 *    the external network (stage output, x->ext_out).  That ct() carries
 *    DP_CT_F_TTL: a packet whose TTL expires here is punted before it is
 *    translated (ICMP time exceeded to the VM, not to the FIP/SNAT address);
 *    so does the ingress ct(nat) toward a FIP or the SNAT address (the time
 *    exceeded, from the router's gateway address and the FIP's MAC, quotes
 *    the FIP: ctrl/apps/app_icmp.c).
 *
 *  - Hairpin (hairpin_out, hairpin_in): in the NAT_OUT pass, a destination
 *    this chassis holds for the same router (a FIP, the SNAT address) gets
 *    ct(nat(dst = fixed IP)) and DP_RECIRC_NAT_HAIRPIN: routed on to the
 *    VM from the sender's FIP/SNAT address.  Other addresses of the
 *    external subnet leave toward the gateway's MAC.
 *
 *  - Gateway SNAT: on the gateway chassis snat_ip is the router's gateway
 *    IP (L3 sends replies to it here first, dp_nat_is_snat_addr; the
 *    NAT_IN pass sets x->nat_in so output may tunnel them to the VM's
 *    chassis); elsewhere a source without a FIP is steered unrouted to the
 *    gateway chassis' VTEP (to_gateway_chassis, x->to_gw_vtep).
 *
 * Megaflows: the DNAT decision reads all of ip_dst; the SNAT decision all
 * of ip_src; a recirculated NAT pass reads ct_state (trk, inv).  Tags:
 * DP_TAG_NAT_RTR(router) for every decision on a router's gateway,
 * DP_TAG_NAT_NET(network) for lookups by external address or MAC (a FIP
 * appearing must stop a flood or a no-nat drop).
 */
#include <arpa/inet.h>
#include <string.h>

#include "actions.h"
#include "ct.h"
#include "drop.h"
#include "tables_l3.h"
#include "tables_nat.h"
#include "translate.h"

static void ip_txt(const struct dp_xlate *x, char *buf, size_t len, uint32_t ip)
{
	buf[0] = 0;
	if (x->trace != NULL)
		inet_ntop(AF_INET, &ip, buf, (socklen_t)len);
}

/* Keep the ct() actions at the head (a commit of the security group); the
 * recirculated pass redoes everything else. */
static void keep_ct_only(struct dp_xlate *x)
{
	struct dp_megaflow_spec *s = x->out;
	unsigned keep = 0;
	while (keep < s->n_actions && dp_act_is_ct(&s->actions[keep]))
		keep++;
	s->n_actions = keep;
	s->n_flood = 0;
}

static void emit_ct_nat_ports(struct dp_xlate *x, uint16_t zone, uint8_t kind, uint32_t addr,
			      uint16_t pmin, uint16_t pmax, uint8_t recirc)
{
	keep_ct_only(x);
	struct dp_action c = { .type = DP_ACT_CT, .port = zone };
	/* kind 0: ct(nat) of an existing connection only, never a commit */
	c.data[0] = kind ? DP_CT_F_COMMIT | DP_CT_F_NAT : DP_CT_F_NAT;
	c.data[1] = recirc;
	dp_xl_action(x, &c);
	struct dp_action n;
	dp_act_ct_nat_set(&n, kind, addr, addr, pmin, pmax);
	dp_xl_action(x, &n);
}

static void emit_ct_nat(struct dp_xlate *x, uint16_t zone, uint8_t kind, uint32_t addr,
			uint8_t recirc)
{
	emit_ct_nat_ports(x, zone, kind, addr, 0, 0, recirc);
}

/* The router's TTL expiry comes before its NAT (as in a kernel's forward
 * path): a packet that would expire at the ct() just emitted is punted as
 * it is, so the time exceeded quotes what its sender sent (traceroute's
 * hop), not the translated address. */
static void ttl_first(struct dp_xlate *x)
{
	struct dp_megaflow_spec *s = x->out;
	if (s->n_actions >= 2 && s->actions[s->n_actions - 2].type == DP_ACT_CT)
		s->actions[s->n_actions - 2].data[0] |= DP_CT_F_TTL;
}

static void snat_range(const struct dp_nat_gw_cfg *g, uint16_t *lo, uint16_t *hi)
{
	*lo = g->snat_port_min;
	*hi = g->snat_port_max;
	if (*lo == 0 && *hi == 0) {
		*lo = 1024;
		*hi = 65535;
	}
}

/* In a pass after ct(nat): the connection must be tracked and valid. */
static bool ct_ok(struct dp_xlate *x, const char *what)
{
	uint8_t cs = DP_XL_READ(x, ct_state);
	if ((cs & DP_CS_TRK) && !(cs & DP_CS_INV))
		return true;
	dp_xl_log(x, "%s: ct_state %#x after ct(nat)", what, cs);
	return false;
}

const struct dp_rport *dp_nat_l2(struct dp_xlate *x, const uint8_t *mac)
{
	if (x->nat == NULL || !x->from_uplink)
		return NULL;
	dp_xl_tag(x, DP_TAG(DP_TAG_NAT_NET, x->network));
	const struct dp_nat_fip_cfg *f = dp_nat_fip_by_mac(x->nat, x->network, mac);
	uint32_t router;
	if (f != NULL) {
		router = f->router;
	} else {
		const struct dp_nat_gw_cfg *sg = dp_nat_gw_by_snat_mac(x->nat, x->network, mac);
		if (sg == NULL)
			return NULL;
		router = sg->router; /* this chassis' SNAT address */
	}
	dp_xl_tag(x, DP_TAG(DP_TAG_NAT_RTR, router));
	const struct dp_nat_gw_cfg *g = dp_nat_gw_get(x->nat, router);
	if (g == NULL || g->network != x->network)
		return NULL;
	dp_xl_tag(x, DP_TAG(DP_TAG_LPORT, g->rport));
	return dp_l3_rport_get(x->l3, g->rport);
}

enum dp_xl_verdict dp_nat_arp(struct dp_xlate *x)
{
	if (x->nat == NULL)
		return DP_XL_NEXT;
	uint16_t op = ntohs(DP_XL_READ(x, arp_op));
	if (op == 2) { /* a reply to a gateway's resolver: the controller learns */
		const uint8_t *d = DP_XL_READ(x, eth_dst);
		dp_xl_tag(x, DP_TAG(DP_TAG_NAT_NET, x->network));
		const struct dp_nat_gw_cfg *g = dp_nat_gw_by_arp_mac(x->nat, x->network, d);
		if (g == NULL)
			return DP_XL_NEXT;
		struct dp_action p = { .type = DP_ACT_PUNT, .u32 = DP_PUNT_EXT_ARP,
				       .port = DP_XL_READ(x, in_port) };
		dp_xl_action(x, &p);
		dp_xl_log(x, "ARP reply to the resolver of router %u's gateway: punt", g->router);
		return DP_XL_DONE;
	}
	if (op != 1)
		return DP_XL_NEXT;
	uint32_t tpa;
	memcpy(&tpa, DP_XL_READ_IP4(x, ip_dst), 4);
	dp_xl_tag(x, DP_TAG(DP_TAG_NAT_NET, x->network));
	const struct dp_nat_fip_cfg *f = dp_nat_fip_by_ext(x->nat, x->network, tpa);
	const uint8_t *m;
	char a[INET_ADDRSTRLEN];
	ip_txt(x, a, sizeof(a), tpa);
	if (f != NULL) {
		m = f->mac.addr_bytes;
		dp_xl_log(x, "ARP who-has %s (floating IP of lport %u): reply "
			  "%02x:%02x:%02x:%02x:%02x:%02x to the external network", a, f->lport,
			  m[0], m[1], m[2], m[3], m[4], m[5]);
	} else {
		const struct dp_nat_gw_cfg *g = dp_nat_gw_by_snat_ip(x->nat, x->network, tpa);
		if (g == NULL)
			return DP_XL_NEXT;
		m = g->snat_mac.addr_bytes;
		dp_xl_log(x, "ARP who-has %s (SNAT address of router %u here): reply "
			  "%02x:%02x:%02x:%02x:%02x:%02x to the external network", a, g->router,
			  m[0], m[1], m[2], m[3], m[4], m[5]);
	}
	struct dp_action r = { .type = DP_ACT_ARP_REPLY };
	memcpy(r.data, m, 6);
	dp_xl_action(x, &r);
	if (x->net != NULL && x->net->cfg.type == DP_NET_VLAN) {
		struct dp_action v = { .type = DP_ACT_PUSH_VLAN, .port = x->net->cfg.vlan };
		dp_xl_action(x, &v);
	}
	struct dp_action o = { .type = DP_ACT_OUTPUT, .port = DP_XL_READ(x, in_port) };
	dp_xl_action(x, &o);
	return DP_XL_DONE;
}

bool dp_nat_is_snat_addr(struct dp_xlate *x, const struct dp_router *r, const uint8_t *dst)
{
	if (!x->from_uplink)
		return false;
	dp_xl_tag(x, DP_TAG(DP_TAG_NAT_RTR, r->cfg.key));
	const struct dp_nat_gw_cfg *g = dp_nat_gw_get(x->nat, r->cfg.key);
	return g != NULL && g->snat_ip != 0 && memcmp(&g->snat_ip, dst, 4) == 0;
}

/* The pass after a hairpin's ct(nat) (hairpin_out): the destination is the
 * fixed IP again, routed on from the source's router port as any packet. */
static enum dp_xl_verdict hairpin_in(struct dp_xlate *x, const struct dp_router *r, bool *done)
{
	dp_xl_tag(x, DP_TAG(DP_TAG_NAT_RTR, r->cfg.key));
	const struct dp_nat_gw_cfg *g = dp_nat_gw_get(x->nat, r->cfg.key);
	uint32_t d;
	memcpy(&d, DP_XL_READ_IP4(x, ip_dst), 4);
	if (g == NULL || !ct_ok(x, "hairpin")) {
		*done = true;
		return dp_xl_drop(x, DP_DROP_CT_INVALID);
	}
	if (g->snat_ip != 0 && d == g->snat_ip) {
		dp_xl_log(x, "hairpin to the SNAT address: no connection of ours");
		*done = true;
		return dp_xl_drop(x, DP_DROP_NO_NAT);
	}
	dp_xl_log(x, "hairpin: destination translated back, routed by router %u", r->cfg.key);
	return DP_XL_NEXT;
}

/* NAT_OUT pass toward dst on the router's external network.  An address
 * this chassis holds for the same router (a local port's floating IP, or
 * its SNAT address) hairpins: ct(zone, commit, nat(dst = fixed IP)) — or
 * ct(zone, nat) for the SNAT address (only the replies of connections it
 * translated) — and recirculate DP_RECIRC_NAT_HAIRPIN: the source, already
 * the sender's floating IP or SNAT address, reaches the destination VM as
 * it would from outside, and its replies come back the same way.  true
 * when it did. */
static bool hairpin_out(struct dp_xlate *x, const struct dp_router *r,
			const struct dp_nat_gw_cfg *g, uint32_t dst)
{
	dp_xl_tag(x, DP_TAG(DP_TAG_NAT_NET, g->network));
	const struct dp_nat_fip_cfg *f = dp_nat_fip_by_ext(x->nat, g->network, dst);
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	ip_txt(x, a, sizeof(a), dst);
	if (f != NULL && f->router == r->cfg.key) {
		ip_txt(x, b, sizeof(b), f->fixed);
		emit_ct_nat(x, g->zone, DP_CT_NAT_DST, f->fixed, DP_RECIRC_NAT_HAIRPIN);
		dp_xl_log(x, "hairpin: %s is the floating IP of lport %u here: "
			  "ct(zone=%u,commit,nat(dst=%s)), recirculate (%u)", a, f->lport, g->zone,
			  b, DP_RECIRC_NAT_HAIRPIN);
		return true;
	}
	if (f == NULL && g->snat_ip != 0 && dst == g->snat_ip) {
		emit_ct_nat_ports(x, g->zone, 0, 0, 0, 0, DP_RECIRC_NAT_HAIRPIN);
		dp_xl_log(x, "hairpin: %s is this chassis' SNAT address: ct(zone=%u,nat), "
			  "recirculate (%u)", a, g->zone, DP_RECIRC_NAT_HAIRPIN);
		return true;
	}
	return false;
}

enum dp_xl_verdict dp_nat_dnat(struct dp_xlate *x, const struct dp_router *r, bool *done)
{
	*done = false;
	if (x->nat == NULL)
		return DP_XL_NEXT;
	if (DP_XL_READ(x, recirc_id) == DP_RECIRC_NAT_HAIRPIN)
		return hairpin_in(x, r, done);
	if (!x->from_uplink)
		return DP_XL_NEXT;
	dp_xl_tag(x, DP_TAG(DP_TAG_NAT_RTR, r->cfg.key));
	const struct dp_nat_gw_cfg *g = dp_nat_gw_get(x->nat, r->cfg.key);
	const struct dp_rport *in = x->rport;
	if (g == NULL || g->rport != in->cfg.key)
		return DP_XL_NEXT;
	uint32_t rid = DP_XL_READ(x, recirc_id);
	if (rid == DP_RECIRC_NAT_IN) {
		if (!ct_ok(x, "from the external network")) {
			*done = true;
			return dp_xl_drop(x, DP_DROP_CT_INVALID);
		}
		if (g->snat_ip != 0) {
			uint32_t d;
			memcpy(&d, DP_XL_READ_IP4(x, ip_dst), 4);
			if (d == g->snat_ip &&
			    dp_l3_router_owns(x->l3, r, 4, DP_XL_READ_IP4(x, ip_dst)) != NULL) {
				/* the gateway IP itself (gateway SNAT): the
				 * router's address, as for any (echo) */
				dp_xl_log(x, "to the gateway IP, no connection of ours: the "
					  "router's address");
				return DP_XL_NEXT;
			}
			if (d == g->snat_ip) {
				dp_xl_log(x, "to the SNAT address: no connection of ours");
				*done = true;
				return dp_xl_drop(x, DP_DROP_NO_NAT);
			}
		}
		x->nat_in = true;
		return DP_XL_NEXT;
	}
	if (dp_recirc_rank(rid) != 0)
		return DP_XL_NEXT;
	uint32_t dst;
	memcpy(&dst, DP_XL_READ_IP4(x, ip_dst), 4);
	dp_xl_tag(x, DP_TAG(DP_TAG_NAT_NET, in->cfg.network));
	const struct dp_nat_fip_cfg *f = dp_nat_fip_by_ext(x->nat, in->cfg.network, dst);
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	if (f == NULL && g->snat_ip != 0 && dst == g->snat_ip) {
		/* to this chassis' SNAT address: only the replies of connections
		 * it SNATed, translated back by ct(nat) (no commit: nothing new
		 * is let in; the NAT_IN pass drops what stayed untranslated) */
		emit_ct_nat_ports(x, g->zone, 0, 0, 0, 0, DP_RECIRC_NAT_IN);
		/* a reply expiring here: time exceeded from the router (not
		 * for the gateway IP, the router's own address, which answers
		 * echo whatever the TTL) */
		if (dp_l3_router_owns(x->l3, r, 4, DP_XL_READ_IP4(x, ip_dst)) == NULL)
			ttl_first(x);
		ip_txt(x, a, sizeof(a), dst);
		dp_xl_log(x, "SNAT address %s: ct(zone=%u,nat), recirculate (%u)", a, g->zone,
			  DP_RECIRC_NAT_IN);
		*done = true;
		return DP_XL_DONE;
	}
	if (f == NULL || f->router != r->cfg.key) {
		/* no route into the tenant networks around NAT */
		ip_txt(x, a, sizeof(a), dst);
		dp_xl_log(x, "from the external network to %s: no floating IP held here", a);
		*done = true;
		return dp_xl_drop(x, DP_DROP_NO_NAT);
	}
	ip_txt(x, a, sizeof(a), dst);
	ip_txt(x, b, sizeof(b), f->fixed);
	emit_ct_nat(x, g->zone, DP_CT_NAT_DST, f->fixed, DP_RECIRC_NAT_IN);
	ttl_first(x); /* the time exceeded quotes the FIP, as the sender sent it */
	dp_xl_log(x, "floating IP %s of lport %u: ct(zone=%u,commit,nat(dst=%s)), "
		  "recirculate (%u)", a, f->lport, g->zone, b, DP_RECIRC_NAT_IN);
	*done = true;
	return DP_XL_DONE;
}

/* Gateway SNAT on another chassis (g->gw_vtep): a source without a
 * floating IP here goes there over the overlay, unrouted (that chassis
 * routes and SNATs it).  true when decided (x->to_gw_vtep set, or a drop
 * emitted when it is 0). */
static bool to_gateway_chassis(struct dp_xlate *x, const struct dp_router *r,
			       const struct dp_nat_gw_cfg *g)
{
	if (g->gw_vtep == 0 || g->snat_ip != 0)
		return false;
	uint32_t src;
	memcpy(&src, DP_XL_READ_IP4(x, ip_src), 4);
	const struct dp_nat_fip_cfg *f = dp_nat_fip_by_fixed(x->nat, r->cfg.key, src);
	if (f != NULL && f->lport == x->src_lport)
		return false; /* floating IPs stay distributed */
	char st[INET_ADDRSTRLEN], vt[INET_ADDRSTRLEN];
	ip_txt(x, st, sizeof(st), src);
	ip_txt(x, vt, sizeof(vt), g->gw_vtep);
	if (x->from_uplink) {
		dp_xl_log(x, "source %s came over the overlay, but the gateway chassis is %s", st,
			  vt);
		dp_xl_drop(x, DP_DROP_NO_NAT);
		x->to_gw_vtep = 0;
		return true;
	}
	dp_xl_log(x, "source %s has no floating IP: to the gateway chassis (VTEP %s) over the "
		  "overlay, unrouted", st, vt);
	x->to_gw_vtep = g->gw_vtep;
	x->dst = NULL;
	x->dst_lport = 0;
	return true;
}

enum dp_xl_verdict dp_nat_egress(struct dp_xlate *x, const struct dp_router *r,
				 const struct dp_rport *out, const struct dp_l3_nh *nh)
{
	/* not the gateway: ordinary routing, no NAT tag (a gateway appearing
	 * or going also publishes the router's tag, which every routed
	 * megaflow carries: no tag slot spent on the common path) */
	const struct dp_nat_gw_cfg *g = dp_nat_gw_get(x->nat, r->cfg.key);
	if (g == NULL || g->rport != out->cfg.key)
		return DP_XL_NEXT;
	dp_xl_tag(x, DP_TAG(DP_TAG_NAT_RTR, r->cfg.key));
	/* over the overlay only to the gateway chassis of gateway SNAT: the
	 * other chassis send their VMs' traffic to it */
	if (x->from_uplink && !(x->tunnel && g->serves_overlay)) {
		dp_xl_log(x, "external network back to the external network: not routed");
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
	if (nh->family != 4) {
		dp_xl_log(x, "router %u: IPv6 to the external network is not NATed", r->cfg.key);
		return dp_xl_drop(x, DP_DROP_NO_NAT);
	}
	if (dp_recirc_rank(DP_XL_READ(x, recirc_id)) < dp_recirc_rank(DP_RECIRC_NAT_OUT) &&
	    to_gateway_chassis(x, r, g))
		return x->to_gw_vtep ? DP_XL_NEXT : DP_XL_DONE;
	uint32_t hop;
	memcpy(&hop, nh->connected ? DP_XL_READ_IP4(x, ip_dst) : nh->gw, 4);
	char ht[INET_ADDRSTRLEN];
	ip_txt(x, ht, sizeof(ht), hop);
	if (hop != g->nexthop) {
		if (!nh->connected) {
			dp_xl_log(x, "next hop %s on the external network is not its gateway: "
				  "only the gateway is resolved", ht);
			return dp_xl_drop(x, DP_DROP_EXT_UNRESOLVED);
		}
		/* another address of the external subnet: one held here for
		 * this router hairpins (NAT_OUT pass); any other goes through
		 * the external gateway, the one neighbor resolved there */
		dp_xl_log(x, "%s is on the external subnet: via its gateway unless held here", ht);
		memcpy(&hop, &g->nexthop, 4);
		ip_txt(x, ht, sizeof(ht), hop);
	}
	if (rte_is_zero_ether_addr(&g->nexthop_mac)) {
		dp_xl_log(x, "external next hop %s: MAC not resolved yet", ht);
		return dp_xl_drop(x, DP_DROP_EXT_UNRESOLVED);
	}
	uint32_t src;
	memcpy(&src, DP_XL_READ_IP4(x, ip_src), 4);
	char st[INET_ADDRSTRLEN];
	ip_txt(x, st, sizeof(st), src);
	const struct dp_nat_fip_cfg *f;
	if (DP_XL_READ(x, recirc_id) == DP_RECIRC_NAT_OUT) {
		if (!ct_ok(x, "toward the external network"))
			return dp_xl_drop(x, DP_DROP_CT_INVALID);
		/* only a connected destination (the external subnet, all of
		 * ip_dst in the megaflow already) may be held here: a routed
		 * one keeps the route's wildcard */
		uint32_t dst;
		memcpy(&dst, x->pkt->ip_dst, 4);
		if (nh->connected && hairpin_out(x, r, g, dst))
			return DP_XL_DONE;
		dp_xl_tag(x, DP_TAG(DP_TAG_NAT_NET, g->network));
		const uint8_t *m;
		const char *what = "floating IP";
		if (g->snat_ip != 0 && src == g->snat_ip) {
			m = g->snat_mac.addr_bytes; /* SNATed to this chassis' address */
			what = "this chassis' SNAT address";
		} else {
			f = dp_nat_fip_by_ext(x->nat, g->network, src);
			if (f == NULL || f->lport != x->src_lport) {
				dp_xl_log(x, "translated source %s is no floating IP of lport %u "
					  "nor the SNAT address", st, x->src_lport);
				return dp_xl_drop(x, DP_DROP_NO_NAT);
			}
			m = f->mac.addr_bytes;
		}
		struct dp_action a = { .type = DP_ACT_DEC_TTL };
		dp_xl_action(x, &a);
		a = (struct dp_action){ .type = DP_ACT_SET_ETH_SRC };
		memcpy(a.data, m, 6);
		dp_xl_action(x, &a);
		a = (struct dp_action){ .type = DP_ACT_SET_ETH_DST };
		memcpy(a.data, g->nexthop_mac.addr_bytes, 6);
		dp_xl_action(x, &a);
		const uint8_t *d = g->nexthop_mac.addr_bytes;
		dp_xl_log(x, "source is %s %s: eth %02x:%02x:%02x:%02x:%02x:%02x -> "
			  "%02x:%02x:%02x:%02x:%02x:%02x (%s), out on external network %u", what, st,
			  m[0], m[1], m[2], m[3], m[4], m[5], d[0], d[1], d[2], d[3], d[4], d[5],
			  ht, g->network);
		x->net = dp_table_network_get(x->t, g->network);
		x->network = g->network;
		x->dst = NULL;
		x->dst_lport = 0;
		x->ext_out = true;
		x->routed = true;
		return DP_XL_NEXT;
	}
	f = dp_nat_fip_by_fixed(x->nat, r->cfg.key, src);
	char ft[INET_ADDRSTRLEN];
	if (f != NULL && f->lport == x->src_lport) {
		x->snat_addr = f->fip;
		x->snat_pmin = x->snat_pmax = 0;
		ip_txt(x, ft, sizeof(ft), f->fip);
		dp_xl_log(x, "to the external network via gateway %s: source %s has floating IP "
			  "%s", ht, st, ft);
	} else if (g->snat_ip != 0) {
		x->snat_addr = g->snat_ip;
		snat_range(g, &x->snat_pmin, &x->snat_pmax);
		ip_txt(x, ft, sizeof(ft), g->snat_ip);
		dp_xl_log(x, "to the external network via gateway %s: source %s, no floating IP: "
			  "this chassis' SNAT address %s", ht, st, ft);
	} else {
		dp_xl_log(x, "source %s has no floating IP on router %u (no SNAT here)", st,
			  r->cfg.key);
		return dp_xl_drop(x, DP_DROP_NO_NAT);
	}
	x->nat_zone = g->zone;
	x->net = dp_table_network_get(x->t, g->network);
	x->network = g->network;
	x->dst = NULL;
	x->dst_lport = 0;
	x->ext_out = true;
	x->routed = true;
	return DP_XL_NEXT;
}

enum dp_xl_verdict dp_stage_nat(struct dp_xlate *x)
{
	if (x->snat_addr == 0)
		return DP_XL_NEXT;
	char ft[INET_ADDRSTRLEN];
	ip_txt(x, ft, sizeof(ft), x->snat_addr);
	emit_ct_nat_ports(x, x->nat_zone, DP_CT_NAT_SRC, x->snat_addr, x->snat_pmin, x->snat_pmax,
			  DP_RECIRC_NAT_OUT);
	ttl_first(x); /* the time exceeded to the VM, not to the FIP/SNAT address */
	if (x->snat_pmin != 0)
		dp_xl_log(x, "ct(zone=%u,commit,nat(src=%s:%u-%u)), recirculate (%u)", x->nat_zone,
			  ft, x->snat_pmin, x->snat_pmax, DP_RECIRC_NAT_OUT);
	else
		dp_xl_log(x, "ct(zone=%u,commit,nat(src=%s)), recirculate (%u)", x->nat_zone, ft,
			  DP_RECIRC_NAT_OUT);
	return DP_XL_DONE;
}
