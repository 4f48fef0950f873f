/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_compile_l3.c — held routers -> the datapath's L3 tables (router,
 * router ports, extra routes).  Control thread only (the tables' writer).
 *
 * A router's interfaces are grouped by network: one router port per
 * (router, network) carrying every interface address on that network (an
 * IPv4 and an IPv6 subnet of one network share it).  Its key is
 * DP_RPORT_KEY(router dp_key, index of its first interface) and its MAC a
 * locally administered address derived from (router id, network id) —
 * stable across restarts and hosts, so every chassis routes with the same
 * MAC.  The interface port's own mac_address is used instead when port_id
 * names a held port that is not compiled as an lport (a port compiled as an
 * lport owns its MAC in the FDB already).  Address prefix lengths come from
 * the subnets' cidr; IPv6 subnets with ipv6_ra_mode (else
 * ipv6_address_mode) slaac/dhcpv6-* make the port advertise.
 * Extra routes are the router's "routes" (destination -> nexthop).
 * The external gateway (external_gateway_info, when its network is held)
 * is one more router port, key DP_RPORT_KEY(router, LC_GW_RPORT_IDX), on
 * the external network with the gateway's IPv4 external fixed IP, plus a
 * default route through that subnet's gateway_ip unless the router has an
 * IPv4 default route of its own (lc_compile_nat.c adds the NAT side).
 * Neighbor entries for ports' fixed IPs need nothing here: the datapath
 * derives them from the lport table.
 *
 * Like lc_compile.c, every router object remembers what it put into the
 * tables (o->cs->l3) and a pass issues only the differences; a router that can
 * no longer be compiled (or is gone) is removed: routes, ports, router.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_jhash.h>

#include "lc_priv.h"
#include "tables_l3.h"

struct lc_l3_state {
	struct dp_router_cfg router;
	unsigned n_rports, n_routes;
	struct dp_rport_cfg rports[DP_ROUTER_MAX_RPORTS];
	struct dp_route_cfg routes[DP_ROUTER_MAX_ROUTES];
};

static bool wanted(const struct lc_obj *o)
{
	return o->present && o->reach && o->o;
}

static void derive_mac(struct rte_ether_addr *m, const char *router_id, const char *net_id)
{
	/* rte_jhash reads byte keys of any alignment (rte_hash_crc would load
	 * the strings as unaligned 8-byte words) */
	uint32_t h1 = rte_jhash(router_id, (uint32_t)strlen(router_id), 0x1u);
	uint32_t h2 = rte_jhash(net_id, (uint32_t)strlen(net_id), h1);
	m->addr_bytes[0] = 0xfa; /* locally administered, unicast (like Neutron's fa:16:3e) */
	m->addr_bytes[1] = (uint8_t)(h1 >> 8);
	m->addr_bytes[2] = (uint8_t)h1;
	m->addr_bytes[3] = (uint8_t)(h2 >> 16);
	m->addr_bytes[4] = (uint8_t)(h2 >> 8);
	m->addr_bytes[5] = (uint8_t)h2;
}

static uint8_t ra_mode_of(const struct mdl_subnet *s)
{
	const char *m = s->ipv6_ra_mode[0] ? s->ipv6_ra_mode : s->ipv6_address_mode;
	if (strcmp(m, "slaac") == 0)
		return DP_RA_SLAAC;
	if (strcmp(m, "dhcpv6-stateless") == 0)
		return DP_RA_DHCPV6_STATELESS;
	if (strcmp(m, "dhcpv6-stateful") == 0)
		return DP_RA_DHCPV6_STATEFUL;
	return DP_RA_NONE;
}

/* The wanted L3 state of router object o; -errno (skipped) on failure. */
static int router_state(struct lc *lc, struct lc_obj *o, struct lc_l3_state *s)
{
	struct mdl_router *r = mdl_hdr_to_router(o->o);
	memset(s, 0, sizeof(*s));
	if (o->o->dp_key == 0 || o->o->dp_key > 0xffffff) {
		lc_skip(lc, o, "dp_key %u unusable for router port keys", o->o->dp_key);
		return -EINVAL;
	}
	if (r->n_interfaces > LC_GW_RPORT_IDX) {
		lc_skip(lc, o, "%zu interfaces (max %d)", r->n_interfaces, LC_GW_RPORT_IDX);
		return -EINVAL;
	}
	s->router.key = o->o->dp_key;
	snprintf(s->router.name, sizeof(s->router.name), "%s", r->name);
	if (!r->admin_state_up)
		return 0; /* a down router routes nothing: no ports, no routes */
	for (size_t i = 0; i < r->n_interfaces; i++) {
		const struct mdl_router_if *ifc = &r->interfaces[i];
		struct lc_obj *so = lc_obj_find_id(lc, MDL_SUBNET, ifc->subnet_id);
		if (so == NULL || !wanted(so))
			continue; /* not held here: its network is not reachable */
		struct mdl_subnet *sn = mdl_hdr_to_subnet(so->o);
		struct lc_obj *no = lc_obj_find_id(lc, MDL_NETWORK, sn->network_id);
		if (no == NULL || no->cs->net == NULL || !wanted(no))
			continue;
		struct dp_ip addr, pfx;
		if (lc_ip_parse(ifc->ip_address, &addr) < 0 || lc_ip_parse(sn->cidr, &pfx) < 0 ||
		    addr.family != pfx.family) {
			lc_skip(lc, o, "interface %zu: bad address '%.48s' / cidr '%.48s'", i,
				ifc->ip_address, sn->cidr);
			return -EINVAL;
		}
		addr.plen = pfx.plen;
		struct dp_rport_cfg *p = NULL;
		for (unsigned k = 0; k < s->n_rports; k++)
			if (s->rports[k].network == no->cs->net->key)
				p = &s->rports[k];
		if (p == NULL) {
			if (s->n_rports >= DP_ROUTER_MAX_RPORTS) {
				lc_skip(lc, o, "more than %d networks", DP_ROUTER_MAX_RPORTS);
				return -EINVAL;
			}
			p = &s->rports[s->n_rports++];
			p->key = DP_RPORT_KEY(o->o->dp_key, i);
			p->router = o->o->dp_key;
			p->network = no->cs->net->key;
			snprintf(p->name, sizeof(p->name), "%.40s-%u", r->name, p->network);
			derive_mac(&p->mac, o->o->id, no->o->id);
			struct lc_obj *po = ifc->port_id[0] ? lc_obj_find_id(lc, MDL_PORT, ifc->port_id)
							   : NULL;
			struct rte_ether_addr pm;
			if (po && po->o && po->lp_key == 0 &&
			    lc_port_mac(lc_port_of(po), &pm) == 0 &&
			    rte_is_unicast_ether_addr(&pm) && !rte_is_zero_ether_addr(&pm))
				p->mac = pm;
		}
		if (p->n_ips >= DP_RPORT_MAX_IPS) {
			lc_skip(lc, o, "more than %d addresses on network %u", DP_RPORT_MAX_IPS,
				p->network);
			return -EINVAL;
		}
		p->ips[p->n_ips++] = addr;
		if (addr.family == 6 && ra_mode_of(sn) != DP_RA_NONE)
			p->ra_mode = ra_mode_of(sn);
	}
	bool v4_default = false;
	for (size_t i = 0; i < r->n_routes; i++) {
		struct dp_route_cfg *rt = &s->routes[s->n_routes];
		memset(rt, 0, sizeof(*rt));
		if (lc_ip_parse(r->routes[i].destination, &rt->prefix) < 0 ||
		    lc_ip_parse(r->routes[i].nexthop, &rt->gw) < 0 ||
		    rt->prefix.family != rt->gw.family) {
			lc_skip(lc, o, "bad route %.48s via %.48s", r->routes[i].destination,
				r->routes[i].nexthop);
			return -EINVAL;
		}
		if (s->n_routes >= DP_ROUTER_MAX_ROUTES) {
			lc_skip(lc, o, "more than %d routes", DP_ROUTER_MAX_ROUTES);
			return -EINVAL;
		}
		if (rt->prefix.family == 4 && rt->prefix.plen == 0)
			v4_default = true;
		s->n_routes++;
	}
	struct lc_gw gw;
	if (lc_router_gw(lc, o, &gw) != 0)
		return 0; /* no gateway held here: routed inside the cloud only */
	if (s->n_rports >= DP_ROUTER_MAX_RPORTS) {
		lc_skip(lc, o, "more than %d networks with the gateway", DP_ROUTER_MAX_RPORTS);
		return -EINVAL;
	}
	for (unsigned k = 0; k < s->n_rports; k++)
		if (s->rports[k].network == gw.network) {
			lc_skip(lc, o, "gateway network %u is also an interface network",
				gw.network);
			return -EINVAL;
		}
	struct dp_rport_cfg *p = &s->rports[s->n_rports++];
	p->key = DP_RPORT_KEY(o->o->dp_key, LC_GW_RPORT_IDX);
	p->router = o->o->dp_key;
	p->network = gw.network;
	snprintf(p->name, sizeof(p->name), "%.40s-gw", r->name);
	p->mac = gw.mac;
	p->ips[p->n_ips++] = gw.addr;
	if (!v4_default && gw.nexthop.family == 4 && s->n_routes < DP_ROUTER_MAX_ROUTES) {
		struct dp_route_cfg *rt = &s->routes[s->n_routes++];
		memset(rt, 0, sizeof(*rt));
		rt->prefix.family = 4;
		rt->gw = gw.nexthop;
	}
	return 0;
}

int lc_router_gw(struct lc *lc, struct lc_obj *o, struct lc_gw *gw)
{
	struct mdl_router *r = mdl_hdr_to_router(o->o);
	memset(gw, 0, sizeof(*gw));
	if (!r->has_gateway || !r->admin_state_up || o->o->dp_key == 0 ||
	    o->o->dp_key > 0xffffff)
		return -ENOENT;
	struct lc_obj *no = lc_obj_find_id(lc, MDL_NETWORK, r->gateway.network_id);
	if (no == NULL || no->cs->net == NULL || !wanted(no))
		return -ENOENT;
	for (size_t i = 0; i < r->gateway.n_external_fixed_ips; i++) {
		const struct mdl_fixed_ip *fi = &r->gateway.external_fixed_ips[i];
		struct lc_obj *so = lc_obj_find_id(lc, MDL_SUBNET, fi->subnet_id);
		if (so == NULL || !wanted(so))
			continue;
		struct mdl_subnet *sn = mdl_hdr_to_subnet(so->o);
		struct dp_ip pfx;
		if (lc_ip_parse(fi->ip_address, &gw->addr) < 0 || gw->addr.family != 4 ||
		    lc_ip_parse(sn->cidr, &pfx) < 0 || pfx.family != 4)
			continue;
		gw->addr.plen = pfx.plen;
		if (sn->gateway_ip[0] && (lc_ip_parse(sn->gateway_ip, &gw->nexthop) < 0 ||
					  gw->nexthop.family != 4))
			memset(&gw->nexthop, 0, sizeof(gw->nexthop));
		gw->nexthop.plen = 0;
		gw->network = no->cs->net->key;
		gw->router = o->o->dp_key;
		gw->rport = DP_RPORT_KEY(o->o->dp_key, LC_GW_RPORT_IDX);
		derive_mac(&gw->mac, o->o->id, no->o->id);
		return 0;
	}
	return -ENOENT;
}

static void count(struct lc *lc, int rc, struct lc_obj *o, const char *what)
{
	lc->st.table_ops++;
	if (rc < 0 && rc != -ENOENT) {
		lc->st.table_errors++;
		lc_log(lc, "%s (%s): %s", what, o->key, strerror(-rc));
	}
}

static const struct dp_rport_cfg *find_rport(const struct lc_l3_state *s, uint32_t key)
{
	for (unsigned i = 0; s && i < s->n_rports; i++)
		if (s->rports[i].key == key)
			return &s->rports[i];
	return NULL;
}

static const struct dp_route_cfg *find_route(const struct lc_l3_state *s,
					     const struct dp_route_cfg *r)
{
	for (unsigned i = 0; s && i < s->n_routes; i++)
		if (s->routes[i].prefix.family == r->prefix.family &&
		    s->routes[i].prefix.plen == r->prefix.plen &&
		    memcmp(s->routes[i].prefix.addr, r->prefix.addr, 16) == 0)
			return &s->routes[i];
	return NULL;
}

/* Make the tables hold want (NULL: nothing) instead of have (NULL: nothing). */
static void apply(struct lc *lc, struct dp_l3 *l3, struct lc_obj *o,
		  const struct lc_l3_state *have, const struct lc_l3_state *want)
{
	int rc;
	if (have && (!want || have->router.key != want->router.key)) {
		for (unsigned i = 0; i < have->n_routes; i++)
			count(lc, dp_l3_route_del(l3, have->router.key, &have->routes[i].prefix), o,
			      "route_del");
		for (unsigned i = 0; i < have->n_rports; i++)
			count(lc, dp_l3_rport_del(l3, have->rports[i].key), o, "rport_del");
		count(lc, dp_l3_router_del(l3, have->router.key), o, "router_del");
		have = NULL;
	}
	if (want == NULL)
		return;
	if (!have || memcmp(&have->router, &want->router, sizeof(want->router)) != 0) {
		rc = dp_l3_router_put(l3, &want->router);
		count(lc, rc, o, "router_put");
		if (rc < 0)
			lc_skip(lc, o, "router_put: %s", strerror(-rc));
	}
	for (unsigned i = 0; have && i < have->n_routes; i++)
		if (!find_route(want, &have->routes[i]))
			count(lc, dp_l3_route_del(l3, have->router.key, &have->routes[i].prefix), o,
			      "route_del");
	for (unsigned i = 0; have && i < have->n_rports; i++) {
		const struct dp_rport_cfg *w = find_rport(want, have->rports[i].key);
		if (!w || w->network != have->rports[i].network)
			count(lc, dp_l3_rport_del(l3, have->rports[i].key), o, "rport_del");
	}
	for (unsigned i = 0; i < want->n_rports; i++) {
		const struct dp_rport_cfg *h = find_rport(have, want->rports[i].key);
		if (h && memcmp(h, &want->rports[i], sizeof(*h)) == 0)
			continue;
		rc = dp_l3_rport_put(l3, &want->rports[i]);
		count(lc, rc, o, "rport_put");
		if (rc < 0)
			lc_skip(lc, o, "router port on network %u: %s", want->rports[i].network,
				strerror(-rc));
	}
	for (unsigned i = 0; i < want->n_routes; i++) {
		const struct dp_route_cfg *h = find_route(have, &want->routes[i]);
		if (h && memcmp(h, &want->routes[i], sizeof(*h)) == 0)
			continue;
		rc = dp_l3_route_put(l3, want->router.key, &want->routes[i]);
		count(lc, rc, o, "route_put");
	}
}

void lc_compile_l3(struct lc *lc, struct lc_obj **v, size_t n)
{
	struct dp_l3 *l3 = dp_l3_find(lc->t);
	struct lc_l3_state *want = malloc(sizeof(*want));
	if (l3 == NULL || want == NULL) {
		free(want);
		return;
	}
	/* each router's FIBs built once, after all its ports and routes */
	dp_l3_batch_begin(l3);
	for (size_t i = 0; i < n; i++) {
		struct lc_obj *o = v[i];
		if (o->type != MDL_ROUTER)
			continue;
		bool ok = wanted(o) && router_state(lc, o, want) == 0;
		if (ok && o->cs->l3 && memcmp(o->cs->l3, want, sizeof(*want)) == 0) {
			lc_why_clear(lc, o);
			continue;
		}
		if (!ok && o->cs->l3 == NULL)
			continue;
		if (ok)
			lc_why_clear(lc, o);
		apply(lc, l3, o, o->cs->l3, ok ? want : NULL);
		if (!ok) {
			free(o->cs->l3);
			o->cs->l3 = NULL;
			continue;
		}
		if (o->cs->l3 == NULL && (o->cs->l3 = malloc(sizeof(*o->cs->l3))) == NULL)
			continue;
		memcpy(o->cs->l3, want, sizeof(*want));
	}
	int rc = dp_l3_batch_end(l3);
	if (rc < 0) {
		lc->st.table_errors++;
		lc_log(lc, "router FIBs: %s", strerror(-rc));
	}
	free(want);
}
