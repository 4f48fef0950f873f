/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_compile_nat.c — router gateways and floating IPs -> the
 * datapath's NAT tables (tables_nat.h).  Control thread only.
 *
 *  - A compiled router whose gateway is held (lc_router_gw) gets a NAT
 *    gateway: its gateway rport, the external network, the next hop (the
 *    external subnet's gateway_ip) and that next hop's MAC, which the NAT
 *    application (ctrl/apps/app_nat.c) resolves by ARP and writes into the
 *    table itself; a recompile keeps the learned MAC while the next hop is
 *    the same.  Its resolver MAC (arp_mac, the sender of those ARP
 *    requests) is derived from (chassis, router id).
 *  - A held floating IP (bound to a LOCAL compiled port: lc_reach.c) gets
 *    an entry: its router (router_id, else the held router with its gateway
 *    on the FIP's network and an interface on the port's network), the
 *    port's lport, the fixed IP (fixed_ip_address, else the port's first
 *    IPv4), and a MAC derived from (chassis, port id): stable per chassis
 *    and port, so a FIP that moves to another chassis answers ARP with
 *    another MAC (the gratuitous ARP tells the upstream).
 *  - Distributed SNAT ([ctrl] snat = distributed, the default): the
 *    gateway also gets this chassis' SNAT address, from the router's
 *    network:floatingip_agent_gateway port bound to this chassis (snat_addr
 *    below); without one, a VM with no floating IP stays no-nat.
 *  - Gateway SNAT ([ctrl] snat = gateway, router with enable_snat): on the
 *    elected gateway chassis (lc_gateway.c) the SNAT address is the
 *    router's gateway IP, with a MAC derived from (chassis, router) that
 *    also sends the resolver's requests (so the upstream learns the
 *    gateway IP's MAC from them too); on the other chassis the gateway
 *    gets the gateway chassis' VTEP (gw_vtep) instead.
 * Order: floating IPs that go or change go first, then gateways, then the
 * new floating IPs (an entry never names a router whose gateway is gone).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>


#include "lc_priv.h"
#include "tables_l3.h"

static bool wanted(const struct lc_obj *o)
{
	return o->present && o->reach && o->o;
}

static void count(struct lc *lc, int rc, struct lc_obj *o, const char *what)
{
	lc->st.table_ops++;
	if (rc < 0 && rc != -ENOENT) {
		lc->st.table_errors++;
		lc_log(lc, "%s (%s): %s", what, o->key, strerror(-rc));
	}
}

void lc_fip_mac(struct rte_ether_addr *m, const char *chassis, const char *port_id)
{
	uint64_t h1 = lc_fnv(chassis, strlen(chassis), LC_FNV_BASIS ^ 0x4649u);
	uint64_t h2 = lc_fnv(port_id, strlen(port_id), h1);
	m->addr_bytes[0] = 0xf6; /* locally administered, unicast */
	m->addr_bytes[1] = (uint8_t)(h1 >> 8);
	m->addr_bytes[2] = (uint8_t)h1;
	m->addr_bytes[3] = (uint8_t)(h2 >> 16);
	m->addr_bytes[4] = (uint8_t)(h2 >> 8);
	m->addr_bytes[5] = (uint8_t)h2;
}

static struct lc_obj *fip_router(struct lc *lc, struct lc_obj **v, size_t n,
				 const struct mdl_floating_ip *f, uint32_t net, uint32_t lport_net)
{
	if (f->router_id[0]) {
		struct lc_obj *ro = lc_obj_find_id(lc, MDL_ROUTER, f->router_id);
		return ro && ro->cs->nat_put && ro->cs->nat_gw.network == net ? ro : NULL;
	}
	size_t lo, hi;
	lc_type_range(v, n, MDL_ROUTER, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		const struct lc_obj_cs *rcs = v[i]->cs;
		if (!rcs->nat_put || rcs->nat_gw.network != net || rcs->l3 == NULL)
			continue;
		const struct dp_router *r = dp_l3_router_get(dp_l3_find(lc->t), rcs->nat_gw.router);
		for (unsigned k = 0; r && k < r->n_rports; k++) {
			const struct dp_rport *p = dp_l3_rport_get(dp_l3_find(lc->t), r->rports[k]);
			if (p && p->cfg.network == lport_net)
				return v[i];
		}
	}
	return NULL;
}

/* The wanted entry of floating IP o; -errno (with a reason) when none. */
static int fip_state(struct lc *lc, struct lc_obj **v, size_t n, struct lc_obj *o,
		     struct dp_nat_fip_cfg *c)
{
	const struct mdl_floating_ip *f = mdl_hdr_to_fip(o->o);
	memset(c, 0, sizeof(*c));
	struct lc_obj *po = lc_obj_find_id(lc, MDL_PORT, f->port_id);
	struct lc_obj *no = lc_obj_find_id(lc, MDL_NETWORK, f->floating_network_id);
	const struct dp_lport_cfg *lp = po ? lc_lp(lc, po) : NULL;
	if (lp == NULL || !po->local || no == NULL || no->cs->net == NULL)
		return -ENOENT; /* port or network not compiled (yet) */
	struct dp_ip a;
	if (lc_ip_parse(f->floating_ip_address, &a) < 0 || a.family != 4) {
		lc_skip(lc, o, "floating_ip_address '%.48s' is not IPv4", f->floating_ip_address);
		return -EINVAL;
	}
	memcpy(&c->fip, a.addr, 4);
	if (f->fixed_ip_address[0]) {
		if (lc_ip_parse(f->fixed_ip_address, &a) < 0 || a.family != 4) {
			lc_skip(lc, o, "fixed_ip_address '%.48s' is not IPv4", f->fixed_ip_address);
			return -EINVAL;
		}
		memcpy(&c->fixed, a.addr, 4);
	} else {
		for (unsigned i = 0; i < lp->n_ips && c->fixed == 0; i++)
			if (lp->ips[i].family == 4)
				memcpy(&c->fixed, lp->ips[i].addr, 4);
	}
	if (c->fixed == 0) {
		lc_skip(lc, o, "port %.40s has no IPv4 address", f->port_id);
		return -EINVAL;
	}
	struct lc_obj *ro = fip_router(lc, v, n, f, no->cs->net->key, lp->network);
	if (ro == NULL) {
		lc_skip(lc, o, "no router with a gateway on its network reaches port %.40s",
			f->port_id);
		return -ENOENT;
	}
	c->network = no->cs->net->key;
	c->router = ro->cs->nat_gw.router;
	c->lport = lp->key;
	lc_fip_mac(&c->mac, lc->cfg.chassis, f->port_id);
	return 0;
}

/* Distributed SNAT: this chassis' address for router ro on the external
 * network net — the first IPv4 of a held port with device_owner
 * network:floatingip_agent_gateway, device_id = the router's id and
 * binding:host_id = this chassis, on that network.  Its MAC is derived from
 * (chassis, port id) as a floating IP's.  0 when none (or snat = off). */
static uint32_t snat_addr(struct lc *lc, struct lc_obj **v, size_t n, const struct lc_obj *ro,
			  uint32_t net, struct rte_ether_addr *mac)
{
	if (lc->cfg.snat_mode != LC_SNAT_DISTRIBUTED)
		return 0;
	size_t lo, hi;
	lc_type_range(v, n, MDL_PORT, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		struct lc_obj *o = v[i];
		if (!wanted(o))
			continue;
		const struct lc_port *p = lc_port_of(o);
		if (strcmp(p->device_owner, LC_SNAT_OWNER) != 0 ||
		    strcmp(p->device_id, ro->o->id) != 0 ||
		    strcmp(p->binding_host_id, lc->cfg.chassis) != 0)
			continue;
		struct lc_obj *no = lc_obj_find_id(lc, MDL_NETWORK, p->network_id);
		if (no == NULL || no->cs->net == NULL || no->cs->net->key != net)
			continue;
		for (size_t k = 0; k < p->n_fixed_ips; k++) {
			struct dp_ip a;
			if (lc_port_ip(&p->fixed_ips[k], &a) == 0 && a.family == 4) {
				uint32_t ip;
				memcpy(&ip, a.addr, 4);
				lc_fip_mac(mac, lc->cfg.chassis, o->o->id);
				return ip;
			}
		}
	}
	return 0;
}

/* Gateway SNAT: the gateway IP here, or the gateway chassis' VTEP. */
static void gateway_snat(struct lc *lc, const struct lc_obj *ro, const struct lc_gw *gw,
			 struct dp_nat_gw_cfg *g)
{
	const struct mdl_router *r = mdl_hdr_to_router(ro->o);
	if (!r->gateway.enable_snat || gw->addr.family != 4)
		return;
	if (lc->gw_self) {
		char seed[MDL_ID_SIZE + 8];
		snprintf(seed, sizeof(seed), "gw:%s", ro->o->id);
		memcpy(&g->snat_ip, gw->addr.addr, 4);
		lc_fip_mac(&g->snat_mac, lc->cfg.chassis, seed);
		g->arp_mac = g->snat_mac;
		g->serves_overlay = true;
	} else {
		g->gw_vtep = lc->gw_vtep;
	}
}

/* Floating IPs that go or change (their router's gateway may have gone). */
static void fips_retract(struct lc *lc, struct lc_obj **v, size_t n)
{
	struct dp_nat *nat = dp_nat_find(lc->t);
	struct dp_nat_fip_cfg fc;
	size_t lo, hi;
	lc_type_range(v, n, MDL_FLOATING_IP, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		struct lc_obj *o = v[i];
		struct lc_obj_cs *cs = o->cs;
		if (!cs->nat_put)
			continue;
		bool ok = wanted(o) && fip_state(lc, v, n, o, &fc) == 0;
		if (ok && memcmp(&fc, &cs->nat_fip, sizeof(fc)) == 0)
			continue;
		count(lc, dp_nat_fip_del(nat, cs->nat_fip.network, cs->nat_fip.fip), o, "fip_del");
		cs->nat_put = false;
	}
}

void lc_compile_nat(struct lc *lc, struct lc_obj **v, size_t n)
{
	struct dp_nat *nat = dp_nat_find(lc->t);
	if (nat == NULL)
		return;
	struct dp_nat_fip_cfg fc;
	fips_retract(lc, v, n);
	/* 2: gateways */
	size_t lo, hi;
	lc_type_range(v, n, MDL_ROUTER, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		struct lc_obj *o = v[i];
		struct lc_gw gw;
		bool ok = wanted(o) && o->cs->l3 != NULL && lc_router_gw(lc, o, &gw) == 0;
		struct dp_nat_gw_cfg g = { 0 };
		if (ok) {
			g.router = gw.router;
			g.rport = gw.rport;
			g.network = gw.network;
			/* the resolver MAC: per chassis and router, so chassis
			 * never answer for one another's requests */
			lc_fip_mac(&g.arp_mac, lc->cfg.chassis, o->o->id);
			if (gw.nexthop.family == 4)
				memcpy(&g.nexthop, gw.nexthop.addr, 4);
			if (lc->cfg.snat_mode == LC_SNAT_GATEWAY)
				gateway_snat(lc, o, &gw, &g);
			else
				g.snat_ip = snat_addr(lc, v, n, o, gw.network, &g.snat_mac);
			if (g.snat_ip != 0) {
				g.snat_port_min = lc->cfg.snat_port_min;
				g.snat_port_max = lc->cfg.snat_port_max;
			}
			const struct dp_nat_gw_cfg *cur = dp_nat_gw_get(nat, g.router);
			if (cur && cur->nexthop == g.nexthop && cur->network == g.network)
				g.nexthop_mac = cur->nexthop_mac; /* learned (app_nat.c) */
		}
		struct lc_obj_cs *cs = o->cs;
		const struct dp_nat_gw_cfg *put = &cs->nat_gw;
		if (cs->nat_put && (!ok || put->router != g.router)) {
			count(lc, dp_nat_gw_del(nat, put->router), o, "nat_gw_del");
			cs->nat_put = false;
		}
		if (!ok)
			continue;
		if (cs->nat_put && put->rport == g.rport && put->network == g.network &&
		    put->nexthop == g.nexthop && rte_is_same_ether_addr(&put->arp_mac, &g.arp_mac) &&
		    put->snat_ip == g.snat_ip &&
		    rte_is_same_ether_addr(&put->snat_mac, &g.snat_mac) &&
		    put->snat_port_min == g.snat_port_min &&
		    put->snat_port_max == g.snat_port_max && put->gw_vtep == g.gw_vtep &&
		    put->serves_overlay == g.serves_overlay)
			continue;
		int rc = dp_nat_gw_put(nat, &g);
		count(lc, rc, o, "nat_gw_put");
		if (rc == 0) {
			cs->nat_gw = *dp_nat_gw_get(nat, g.router);
			cs->nat_put = true;
		}
	}
	fips_retract(lc, v, n); /* those whose gateway just went */
	/* 3: floating IPs to put */
	lc_type_range(v, n, MDL_FLOATING_IP, &lo, &hi);
	for (size_t i = lo; i < hi; i++) {
		struct lc_obj *o = v[i];
		if (o->cs->nat_put || !wanted(o))
			continue;
		if (fip_state(lc, v, n, o, &fc) != 0)
			continue;
		int rc = dp_nat_fip_put(nat, &fc);
		count(lc, rc, o, "fip_put");
		if (rc < 0) {
			lc_skip(lc, o, "fip_put: %s", strerror(-rc));
			continue;
		}
		lc_why_clear(lc, o);
		o->cs->nat_fip = fc;
		o->cs->nat_put = true;
	}
}
