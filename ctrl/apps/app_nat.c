/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/app_nat.c — see app_nat.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <jansson.h>
#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "app_nat.h"
#include "ct.h"
#include "lc.h"
#include "ctrl.h"
#include "feature.h"
#include "mac_fmt.h"
#include "punt.h"
#include "tables_l3.h"
#include "tables_nat.h"
#include "tables_ovl.h"

#define ASK_PERIOD_S     1
#define REFRESH_PERIOD_S 30
#define GARP_COUNT       3
#define GARP_MAX         4096    /* floating IPs followed for announcements */

struct garp_rec {
	uint32_t network, fip, lport;
	struct rte_ether_addr mac;
	uint8_t left;            /* announcements still to send */
	bool seen;               /* still in the table at the last scan */
};

struct app_nat {
	struct app_nat_stats st;
	uint64_t last_ask, last_refresh, last_garp;
	struct garp_rec g[GARP_MAX];
	unsigned n_g;
};

/* An ARP frame out of the provider networks' port (the uplink, or their own)
 * on network (its VLAN tag pushed). */
static int send_arp(struct app_nat *a, struct ctrl *c, uint32_t network, uint16_t op,
		    const struct rte_ether_addr *src, uint32_t spa, uint32_t tpa)
{
	const struct dp_tables *t = dp_tables(c->dp);
	const struct dp_overlay_cfg *ov = dp_overlay_get(t);
	const struct dp_network *n = dp_table_network_get(t, network);
	if (ov == NULL || n == NULL || n->cfg.type == DP_NET_OVERLAY)
		return -ENOENT;
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp_mempool(c->dp));
	if (m == NULL)
		return -ENOMEM;
	bool vlan = n->cfg.type == DP_NET_VLAN;
	unsigned len = 60 + (vlan ? 4 : 0);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return -ENOMEM;
	}
	memset(p, 0, len);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	memset(&eh->dst_addr, 0xff, 6);
	eh->src_addr = *src;
	uint8_t *q = (uint8_t *)(eh + 1);
	if (vlan) {
		eh->ether_type = htons(RTE_ETHER_TYPE_VLAN);
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)q;
		vh->vlan_tci = htons(n->cfg.vlan);
		vh->eth_proto = htons(RTE_ETHER_TYPE_ARP);
		q += sizeof(*vh);
	} else {
		eh->ether_type = htons(RTE_ETHER_TYPE_ARP);
	}
	struct rte_arp_hdr *ah = (struct rte_arp_hdr *)q;
	ah->arp_hardware = htons(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = htons(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = 6;
	ah->arp_plen = 4;
	ah->arp_opcode = htons(op);
	ah->arp_data.arp_sha = *src;
	ah->arp_data.arp_sip = spa;
	ah->arp_data.arp_tip = tpa;
	int rc = dp_send(c->dp, dp_overlay_provider_port(ov), m);
	if (rc != 0)
		a->st.send_errors++;
	return rc;
}

/* The gateway rport's IPv4 (the requests' sender address), 0 if none. */
static uint32_t gw_ip(struct ctrl *c, const struct dp_nat_gw_cfg *g)
{
	const struct dp_rport *p = dp_l3_rport_get(dp_l3(c->dp), g->rport);
	for (unsigned i = 0; p != NULL && i < p->cfg.n_ips; i++)
		if (p->cfg.ips[i].family == 4) {
			uint32_t v;
			memcpy(&v, p->cfg.ips[i].addr, 4);
			return v;
		}
	return 0;
}

struct ask_ctx {
	struct app_nat *a;
	struct ctrl *c;
	bool refresh;
};

static int ask_one(const struct dp_nat_gw_cfg *g, void *arg)
{
	struct ask_ctx *k = arg;
	if (g->nexthop == 0 || rte_is_zero_ether_addr(&g->arp_mac))
		return 0;
	if (!rte_is_zero_ether_addr(&g->nexthop_mac) && !k->refresh)
		return 0;
	/* gateway SNAT: only the gateway chassis speaks for the gateway IP
	 * (its arp_mac is the SNAT MAC); the others ask with an ARP probe
	 * (sender 0.0.0.0), which updates no neighbor cache upstream */
	uint32_t spa = gw_ip(k->c, g);
	const struct lc_config *lcc = k->c->lc != NULL ? lc_get_config(k->c->lc) : NULL;
	if (lcc != NULL && lcc->snat_mode == LC_SNAT_GATEWAY)
		spa = g->snat_ip;
	if (send_arp(k->a, k->c, g->network, RTE_ARP_OP_REQUEST, &g->arp_mac, spa,
		     g->nexthop) == 0)
		k->a->st.arp_requests++;
	return 0;
}

static struct garp_rec *garp_find(struct app_nat *a, const struct dp_nat_fip_cfg *f)
{
	for (unsigned i = 0; i < a->n_g; i++)
		if (a->g[i].network == f->network && a->g[i].fip == f->fip)
			return &a->g[i];
	return NULL;
}

struct garp_ctx {
	struct app_nat *a;
	struct ctrl *c;
};

static int garp_scan(const struct dp_nat_fip_cfg *f, void *arg)
{
	struct garp_ctx *k = arg;
	struct app_nat *a = k->a;
	struct garp_rec *r = garp_find(a, f);
	if (r == NULL) {
		if (a->n_g >= GARP_MAX)
			return 0;
		r = &a->g[a->n_g++];
		memset(r, 0, sizeof(*r));
		r->network = f->network;
		r->fip = f->fip;
		r->left = GARP_COUNT;
	} else if (r->lport != f->lport || !rte_is_same_ether_addr(&r->mac, &f->mac)) {
		r->left = GARP_COUNT; /* moved: announce again */
	}
	r->lport = f->lport;
	r->mac = f->mac;
	r->seen = true;
	return 0;
}

/* This chassis' SNAT addresses are announced like floating IPs (a port
 * recreated on another chassis moves the address). */
static int garp_scan_snat(const struct dp_nat_gw_cfg *g, void *arg)
{
	if (g->snat_ip == 0)
		return 0;
	struct dp_nat_fip_cfg f = { .network = g->network, .fip = g->snat_ip, .mac = g->snat_mac };
	return garp_scan(&f, arg);
}

static void garp_tick(struct app_nat *a, struct ctrl *c, uint64_t now, uint64_t hz)
{
	for (unsigned i = 0; i < a->n_g; i++)
		a->g[i].seen = false;
	struct garp_ctx k = { .a = a, .c = c };
	dp_nat_foreach_fip(dp_get_nat(c->dp), garp_scan, &k);
	dp_nat_foreach_gw(dp_get_nat(c->dp), garp_scan_snat, &k);
	bool due = now - a->last_garp >= hz;
	for (unsigned i = 0; i < a->n_g;) {
		struct garp_rec *r = &a->g[i];
		if (!r->seen) { /* gone: forget it (a return is announced again) */
			*r = a->g[--a->n_g];
			continue;
		}
		/* the first announcement at once, the others a second apart */
		if (r->left > 0 && (r->left == GARP_COUNT || due)) {
			if (send_arp(a, c, r->network, RTE_ARP_OP_REQUEST, &r->mac, r->fip,
				     r->fip) == 0)
				a->st.garps++;
			r->left--;
		}
		i++;
	}
	if (due)
		a->last_garp = now;
}

static void nat_tick(struct ctrl *c, void *ctx)
{
	struct app_nat *a = ctx;
	struct dp_nat *nat = dp_get_nat(c->dp);
	if (nat == NULL || dp_overlay_get(dp_tables(c->dp)) == NULL)
		return;
	uint64_t now = rte_get_tsc_cycles(), hz = rte_get_tsc_hz();
	garp_tick(a, c, now, hz);
	struct ask_ctx k = { .a = a, .c = c };
	k.refresh = now - a->last_refresh >= REFRESH_PERIOD_S * hz;
	if (!k.refresh && now - a->last_ask < ASK_PERIOD_S * hz)
		return;
	dp_nat_foreach_gw(nat, ask_one, &k);
	a->last_ask = now;
	if (k.refresh)
		a->last_refresh = now;
}

struct learn_ctx {
	const struct rte_ether_addr *dst, *sha;
	uint32_t spa;
	struct dp_nat_gw_cfg hit[8];
	unsigned n;
};

static int learn_match(const struct dp_nat_gw_cfg *g, void *arg)
{
	struct learn_ctx *l = arg;
	if (g->nexthop == l->spa && rte_is_same_ether_addr(&g->arp_mac, l->dst) &&
	    l->n < RTE_DIM(l->hit))
		l->hit[l->n++] = *g;
	return 0;
}

/* ARP reply to a resolver MAC (the datapath checked eth_dst; the frame may
 * still carry its VLAN tag). */
static void on_reply(struct ctrl *c, struct rte_mbuf *m, void *arg)
{
	struct app_nat *a = arg;
	size_t off = sizeof(struct rte_ether_hdr);
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (rte_pktmbuf_data_len(m) >= off && eh->ether_type == htons(RTE_ETHER_TYPE_VLAN))
		off += sizeof(struct rte_vlan_hdr);
	if (rte_pktmbuf_data_len(m) < off + sizeof(struct rte_arp_hdr)) {
		a->st.ignored++;
		rte_pktmbuf_free(m);
		return;
	}
	const struct rte_arp_hdr *ah = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, off);
	struct learn_ctx l = { .dst = &eh->dst_addr, .sha = &ah->arp_data.arp_sha,
			       .spa = ah->arp_data.arp_sip };
	struct dp_nat *nat = dp_get_nat(c->dp);
	if (ah->arp_opcode == htons(RTE_ARP_OP_REPLY) &&
	    rte_is_unicast_ether_addr(l.sha) && !rte_is_zero_ether_addr(l.sha))
		dp_nat_foreach_gw(nat, learn_match, &l);
	if (l.n == 0)
		a->st.ignored++;
	for (unsigned i = 0; i < l.n; i++) {
		if (rte_is_same_ether_addr(&l.hit[i].nexthop_mac, l.sha))
			continue;
		l.hit[i].nexthop_mac = *l.sha;
		if (dp_nat_gw_put(nat, &l.hit[i]) == 0)
			a->st.learned++;
	}
	rte_pktmbuf_free(m);
}

static int nat_init(struct ctrl *c, void **ctx, char *err, size_t errlen)
{
	(void)c;
	(void)err;
	(void)errlen;
	struct app_nat *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	*ctx = a;
	return 0;
}

static void nat_fini(struct ctrl *c, void *ctx)
{
	(void)c;
	free(ctx);
}

/* ---- show nat ---------------------------------------------------------- */

struct show_ctx {
	struct ctrl *c;
	struct ctrl_reply *r;
	json_t *arr;
};

static int show_gw(const struct dp_nat_gw_cfg *g, void *arg)
{
	struct show_ctx *s = arg;
	char ip[INET_ADDRSTRLEN] = "-", hop[INET_ADDRSTRLEN] = "-";
	char mac[DP_MAC_FMT_SIZE], rmac[DP_MAC_FMT_SIZE];
	uint32_t a = gw_ip(s->c, g);
	if (a)
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (g->nexthop)
		inet_ntop(AF_INET, &g->nexthop, hop, sizeof(hop));
	bool res = !rte_is_zero_ether_addr(&g->nexthop_mac);
	dp_mac_format(mac, g->nexthop_mac.addr_bytes);
	dp_mac_format(rmac, g->arp_mac.addr_bytes);
	reply_printf(s->r, "  router %u: gateway port %#x on network %u, %s, next hop %s (%s), "
		     "NAT zone %u, resolver %s\n", g->router, g->rport, g->network, ip, hop,
		     res ? mac : "unresolved", g->zone, rmac);
	json_t *o = json_pack("{s:I, s:I, s:I, s:s, s:s, s:s, s:I, s:s}", "router",
			      (json_int_t)g->router, "rport", (json_int_t)g->rport, "network",
			      (json_int_t)g->network, "address", ip, "nexthop", hop,
			      "nexthop_mac", res ? mac : "", "zone", (json_int_t)g->zone,
			      "resolver_mac", rmac);
	if (g->snat_ip != 0) {
		char sip[INET_ADDRSTRLEN], smac[DP_MAC_FMT_SIZE];
		inet_ntop(AF_INET, &g->snat_ip, sip, sizeof(sip));
		dp_mac_format(smac, g->snat_mac.addr_bytes);
		unsigned lo = g->snat_port_min ? g->snat_port_min : 1024;
		unsigned hi = g->snat_port_max ? g->snat_port_max : 65535;
		reply_printf(s->r, "    SNAT address of this chassis: %s (MAC %s), ports %u-%u\n",
			     sip, smac, lo, hi);
		json_object_set_new(o, "snat_address", json_string(sip));
		json_object_set_new(o, "snat_mac", json_string(smac));
		json_object_set_new(o, "snat_ports", json_pack("[I, I]", (json_int_t)lo,
								(json_int_t)hi));
	}
	if (g->gw_vtep != 0) {
		char vt[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &g->gw_vtep, vt, sizeof(vt));
		reply_printf(s->r, "    SNAT on the gateway chassis, VTEP %s\n", vt);
		json_object_set_new(o, "gateway_vtep", json_string(vt));
	}
	json_array_append_new(s->arr, o);
	return 0;
}

static int show_fip(const struct dp_nat_fip_cfg *f, void *arg)
{
	struct show_ctx *s = arg;
	char fip[INET_ADDRSTRLEN], fixed[INET_ADDRSTRLEN], mac[DP_MAC_FMT_SIZE];
	inet_ntop(AF_INET, &f->fip, fip, sizeof(fip));
	inet_ntop(AF_INET, &f->fixed, fixed, sizeof(fixed));
	dp_mac_format(mac, f->mac.addr_bytes);
	const struct dp_lport *lp = dp_table_lport_get(dp_tables(s->c->dp), f->lport);
	reply_printf(s->r, "  %s -> %s (lport %u %s), router %u, MAC %s, network %u\n", fip,
		     fixed, f->lport, lp ? lp->cfg.name : "?", f->router, mac, f->network);
	json_array_append_new(s->arr, json_pack("{s:s, s:s, s:I, s:s, s:I, s:s, s:I}",
						"floating_ip", fip, "fixed_ip", fixed, "lport",
						(json_int_t)f->lport, "port_name",
						lp ? lp->cfg.name : "", "router",
						(json_int_t)f->router, "mac", mac, "network",
						(json_int_t)f->network));
	return 0;
}

static int cmd_show_nat(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	(void)argc;
	(void)argv;
	struct app_nat *a = ctrl_feature_ctx(c, &app_nat_feature);
	struct dp_nat *nat = dp_get_nat(c->dp);
	struct show_ctx s = { .c = c, .r = r, .arr = json_array() };
	reply_printf(r, "gateways on this chassis:\n");
	dp_nat_foreach_gw(nat, show_gw, &s);
	json_object_set_new(r->result, "gateways", s.arr);
	s.arr = json_array();
	reply_printf(r, "floating IPs translated on this chassis:\n");
	dp_nat_foreach_fip(nat, show_fip, &s);
	json_object_set_new(r->result, "floating_ips", s.arr);
	const struct lc_config *lcc = c->lc != NULL ? lc_get_config(c->lc) : NULL;
	const char *mode = lcc == NULL ? "off (no controller)" : lc_snat_mode_name(lcc->snat_mode);
	struct lc_chassis_info gc;
	bool has_gc = c->lc != NULL && lc_gateway_chassis(c->lc, &gc) == 0;
	if (lcc != NULL && lcc->snat_mode == LC_SNAT_GATEWAY) {
		reply_printf(r, "gateway chassis: %s%s\n", has_gc ? gc.name : "none",
			     has_gc && gc.self ? " (this chassis)" : "");
		json_object_set_new(r->result, "gateway_chassis",
				    json_string(has_gc ? gc.name : ""));
		json_object_set_new(r->result, "gateway_self", json_boolean(has_gc && gc.self));
	}
	struct dp_ct_stats ct;
	dp_ct_stats_get(dp_get_ct(c->dp), &ct);
	reply_printf(r, "SNAT: %s; conntrack NAT: %llu connections translated now, %llu "
		     "exhausted (no free port), %llu failed\n", mode,
		     (unsigned long long)ct.nat_conns, (unsigned long long)ct.nat_exhausted,
		     (unsigned long long)ct.nat_failed);
	json_object_set_new(r->result, "snat_mode", json_string(mode));
	json_object_set_new(r->result, "nat_conns", json_integer((json_int_t)ct.nat_conns));
	json_object_set_new(r->result, "nat_exhausted",
			    json_integer((json_int_t)ct.nat_exhausted));
	json_object_set_new(r->result, "nat_failed", json_integer((json_int_t)ct.nat_failed));
	if (a != NULL) {
		reply_printf(r, "resolver: %llu ARP requests, %llu learned, %llu ignored; "
			     "%llu gratuitous ARPs; %llu send errors\n",
			     (unsigned long long)a->st.arp_requests,
			     (unsigned long long)a->st.learned,
			     (unsigned long long)a->st.ignored, (unsigned long long)a->st.garps,
			     (unsigned long long)a->st.send_errors);
		json_object_set_new(r->result, "arp_requests",
				    json_integer((json_int_t)a->st.arp_requests));
		json_object_set_new(r->result, "learned", json_integer((json_int_t)a->st.learned));
		json_object_set_new(r->result, "garps", json_integer((json_int_t)a->st.garps));
	}
	return 0;
}

static const struct ctrl_punt_use nat_punts[] = {
	{ DP_PUNT_EXT_ARP, on_reply },
	{ 0, NULL },
};

static const struct ctrl_cmd nat_cmds[] = {
	{ "show nat", cmd_show_nat },
	{ NULL, NULL },
};

const struct ctrl_feature app_nat_feature = {
	.name = "nat",
	.init = nat_init,
	.fini = nat_fini,
	.tick = nat_tick,
	.punts = nat_punts,
	.cmds = nat_cmds,
};
