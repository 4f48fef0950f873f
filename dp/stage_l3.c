/* SPDX-License-Identifier: BSD-3-Clause
 * Stage, L3 routing: a packet L2 lookup sent to a router port is routed on
 * this host (distributed routing, Dragonflow's L3 app):
 *   - to one of the router's own addresses: ICMP/ICMPv6 echo requests are
 *     punted to the controller (ctrl/apps/app_icmp.c answers), the rest dropped;
 *   - else longest-prefix match in the router's FIB -> next hop {out router
 *     port, gateway or the destination itself (connected)}; the next hop's
 *     MAC comes from the neighbor table (no ARP for known ports); actions
 *     dec_ttl (the executor punts TTL expiry to the controller, which answers
 *     ICMP time exceeded), set_eth_src (out router port MAC), set_eth_dst
 *     (neighbor MAC), then output (stage output) to the neighbor's lport in
 *     the destination network.  A next hop with no neighbor entry is dropped
 *     (no-dest; see DESIGN.md "L3").
 *
 * Megaflows: connected destinations match the whole ip_dst (the neighbor is
 * per address).  Gateway routes match only the prefix bits that the FIB
 * decided on, widened just enough to exclude every more specific route and
 * router address inside the route's prefix.  TTL is never matched (the
 * executor checks it per packet).  Tags: the router (FIB, rports), the
 * neighbor entry and the destination lport.
 */
#include <arpa/inet.h>
#include <string.h>

#include "drop.h"
#include "tables_l3.h"
#include "translate.h"

static void mark_bits(struct dp_xlate *x, unsigned bits)
{
	uint8_t *m = x->out->mask.ip_dst;
	for (unsigned i = 0; i < bits / 8; i++)
		m[i] = 0xff;
	if (bits % 8)
		m[bits / 8] |= (uint8_t)(0xff << (8 - bits % 8));
}

/* First bit (from the MSB) where a and b differ within len bits, or len. */
static unsigned first_diff(const uint8_t *a, const uint8_t *b, unsigned len)
{
	for (unsigned i = 0; i < len; i++) {
		uint8_t mb = (uint8_t)(0x80 >> (i % 8));
		if ((a[i / 8] ^ b[i / 8]) & mb)
			return i;
	}
	return len;
}

static bool within(const uint8_t *pfx, unsigned plen, const uint8_t *addr)
{
	return first_diff(pfx, addr, plen) == plen;
}

/* Bits of dst a gateway route's megaflow must match: nh->plen, plus enough
 * to tell dst from every more specific prefix and router address inside. */
static unsigned route_bits(const struct dp_xlate *x, const struct dp_router *r,
			   const struct dp_l3_nh *nh, const uint8_t *dst)
{
	unsigned full = nh->family == 4 ? 32 : 128, m = nh->plen;
	for (unsigned i = 1; i < r->n_nh; i++) {
		const struct dp_l3_nh *o = &r->nh[i];
		if (o == nh || o->family != nh->family || o->plen <= nh->plen ||
		    !within(nh->prefix, nh->plen, o->prefix))
			continue;
		unsigned d = first_diff(dst, o->prefix, o->plen);
		if (d == o->plen)
			return full;
		if (d + 1 > m)
			m = d + 1;
	}
	for (unsigned i = 0; i < r->n_rports; i++) {
		const struct dp_rport *p = dp_l3_rport_get(x->l3, r->rports[i]);
		for (unsigned j = 0; p && j <= p->cfg.n_ips; j++) {
			uint8_t ll[16];
			const uint8_t *a;
			if (j == p->cfg.n_ips) {
				if (nh->family != 6)
					break;
				dp_l3_eui64_ll(ll, p->cfg.mac.addr_bytes);
				a = ll;
			} else {
				if (p->cfg.ips[j].family != nh->family)
					continue;
				a = p->cfg.ips[j].addr;
			}
			if (!within(nh->prefix, nh->plen, a))
				continue;
			unsigned d = first_diff(dst, a, full);
			if (d == full)
				return full;
			if (d + 1 > m)
				m = d + 1;
		}
	}
	return m;
}

static enum dp_xl_verdict to_router(struct dp_xlate *x, uint8_t fam, const char *dtxt)
{
	uint8_t proto = DP_XL_READ(x, ip_proto);
	uint8_t want = fam == 4 ? 1 : 58, echo = fam == 4 ? 8 : 128;
	if (proto == want && (uint8_t)ntohs(DP_XL_READ(x, tp_src)) == echo) {
		struct dp_action a = { .type = DP_ACT_PUNT, .u32 = DP_PUNT_ICMP,
				       .port = x->pkt->in_port };
		dp_xl_action(x, &a);
		dp_xl_log(x, "echo request to router address %s: punt to the controller", dtxt);
		return DP_XL_DONE;
	}
	dp_xl_log(x, "to router address %s (proto %u): only echo is answered", dtxt, proto);
	return dp_xl_drop(x, DP_DROP_NO_DEST);
}

enum dp_xl_verdict dp_stage_l3(struct dp_xlate *x)
{
	if (!x->route)
		return DP_XL_NEXT;
	const struct dp_rport *in = x->rport;
	dp_xl_tag(x, DP_TAG(DP_TAG_ROUTER, in->cfg.router));
	const struct dp_router *r = dp_l3_router_get(x->l3, in->cfg.router);
	if (r == NULL) {
		dp_xl_log(x, "router %u of router port %u unknown", in->cfg.router, in->cfg.key);
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
	uint16_t et = ntohs(DP_XL_READ(x, eth_type));
	uint8_t fam = et == 0x0800 ? 4 : et == 0x86dd ? 6 : 0;
	if (fam == 0) {
		dp_xl_log(x, "router %u: ethertype 0x%04x is not routed", r->cfg.key, et);
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
	unsigned full = fam == 4 ? 32 : 128;
	const uint8_t *dst = x->pkt->ip_dst;
	char dtxt[INET6_ADDRSTRLEN];
	inet_ntop(fam == 4 ? AF_INET : AF_INET6, dst, dtxt, sizeof(dtxt));
	bool owns = dp_l3_router_owns(x->l3, r, fam, dst) != NULL;
	if (owns)
		mark_bits(x, full);
	/* a router address is the router's, unless it is the gateway IP held
	 * here as the SNAT address (gateway SNAT): its replies are un-NATed */
	if (fam == 4 && x->nat != NULL && (!owns || dp_nat_is_snat_addr(x, r, dst))) {
		bool done;
		enum dp_xl_verdict v = dp_nat_dnat(x, r, &done);
		if (done)
			return v;
	}
	if (owns)
		return to_router(x, fam, dtxt);
	const struct dp_l3_nh *nh = dp_l3_route_lookup(r, fam, dst);
	if (nh == NULL) {
		mark_bits(x, full);
		dp_xl_log(x, "router %u (%s): no route to %s", r->cfg.key, r->cfg.name, dtxt);
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
	const struct dp_rport *out = dp_l3_rport_get(x->l3, nh->rport);
	if (out == NULL) {
		mark_bits(x, full);
		dp_xl_log(x, "router %u: out router port %u gone", r->cfg.key, nh->rport);
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
	mark_bits(x, nh->connected ? full : route_bits(x, r, nh, dst));
	if (x->nat != NULL) {
		if (dp_nat_egress(x, r, out, nh) == DP_XL_DONE)
			return DP_XL_DONE;
		if (x->ext_out || x->to_gw_vtep)
			return DP_XL_NEXT;
	}
	const uint8_t *gw = nh->connected ? dst : nh->gw;
	char gtxt[INET6_ADDRSTRLEN], ptxt[INET6_ADDRSTRLEN];
	inet_ntop(fam == 4 ? AF_INET : AF_INET6, gw, gtxt, sizeof(gtxt));
	inet_ntop(fam == 4 ? AF_INET : AF_INET6, nh->prefix, ptxt, sizeof(ptxt));
	dp_xl_log(x, "router %u (%s): %s matches %s/%u -> %s%s via router port %u (network %u)",
		  r->cfg.key, r->cfg.name, dtxt, ptxt, nh->plen,
		  nh->connected ? "connected " : "gateway ", gtxt, out->cfg.key, out->cfg.network);
	uint32_t onet = out->cfg.network;
	dp_xl_tag(x, DP_TAG(DP_TAG_NEIGH, dp_neigh_tag_key(onet, fam, gw)));
	struct dp_neigh nb;
	const struct dp_neigh *n = dp_l3_neigh_get(x->l3, onet, fam, gw, &nb) ? &nb : NULL;
	if (n == NULL) {
		dp_xl_log(x, "no neighbor %s in network %u", gtxt, onet);
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
	dp_xl_tag(x, DP_TAG(DP_TAG_LPORT, n->lport));
	if (n->router != 0) {
		dp_xl_log(x, "next hop %s is router port %u: chained routing not supported", gtxt,
			  n->lport);
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
	const struct dp_lport *p = dp_table_lport_get(x->t, n->lport);
	const struct dp_network *net = dp_table_network_get(x->t, onet);
	if (p == NULL || net == NULL) {
		dp_xl_log(x, "neighbor %s: lport %u or network %u gone", gtxt, n->lport, onet);
		return dp_xl_drop(x, DP_DROP_NO_DEST);
	}
	struct dp_action a = { .type = DP_ACT_DEC_TTL };
	dp_xl_action(x, &a);
	a = (struct dp_action){ .type = DP_ACT_SET_ETH_SRC };
	memcpy(a.data, out->cfg.mac.addr_bytes, 6);
	dp_xl_action(x, &a);
	a = (struct dp_action){ .type = DP_ACT_SET_ETH_DST };
	memcpy(a.data, n->mac.addr_bytes, 6);
	dp_xl_action(x, &a);
	const uint8_t *sm = out->cfg.mac.addr_bytes, *dm = n->mac.addr_bytes;
	uint8_t ttl = x->pkt->ip_ttl; /* trace text only: TTL is not matched */
	dp_xl_log(x, "ttl %u%s, eth %02x:%02x:%02x:%02x:%02x:%02x -> %02x:%02x:%02x:%02x:%02x:%02x "
		  "(lport %u %s)", ttl, ttl <= 1 ? " expires: punt ttl (ICMP time exceeded)" : " -1",
		  sm[0], sm[1], sm[2], sm[3], sm[4], sm[5], dm[0], dm[1], dm[2], dm[3], dm[4], dm[5],
		  p->cfg.key, p->cfg.name);
	x->dst = p;
	x->dst_lport = p->cfg.key;
	x->net = net;
	x->network = onet;
	x->routed = true;
	return DP_XL_NEXT;
}
