/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/app_icmp.c — echo replies for router addresses, ICMP time exceeded,
 * router advertisements (see app_icmp.h).  Control thread only.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "app_icmp.h"
#include "ctrl.h"
#include "feature.h"
#include "punt.h"
#include "tables_l3.h"
#include "tables_nat.h"
#include "tables_ovl.h"
#include "token_bucket.h"

#define ETH_LEN 14
#define V6_MIN_MTU 1280

/* The application's state (the feature's context). */
struct app_icmp {
	struct app_icmp_stats st;
	uint64_t rate, burst;      /* time exceeded per second, burst */
	struct dp_token_bucket tb;
	uint64_t ra_interval_s;
	uint64_t next_ra_tsc;
};

int app_icmp_get_stats(const struct ctrl *c, struct app_icmp_stats *out)
{
	const struct app_icmp *ai = ctrl_feature_ctx(c, &app_icmp_feature);
	if (ai == NULL)
		return -ENOENT;
	*out = ai->st;
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* Ethernet header length (one or two VLAN tags skipped) and inner type. */
static unsigned l2_of(const uint8_t *d, unsigned len, uint16_t *type)
{
	unsigned off = 12;
	if (len < ETH_LEN)
		return 0;
	uint16_t t = (uint16_t)(d[off] << 8 | d[off + 1]);
	while ((t == RTE_ETHER_TYPE_VLAN || t == RTE_ETHER_TYPE_QINQ) && off + 6 <= len) {
		off += 4;
		t = (uint16_t)(d[off] << 8 | d[off + 1]);
	}
	*type = t;
	return off + 2;
}

static bool time_exceeded_allowed(struct app_icmp *ai)
{
	return dp_tb_take(&ai->tb, ai->rate, ai->burst, rte_rdtsc(), rte_get_tsc_hz());
}

/* Network key of the lport bound to dp port, 0 when none. */
static uint32_t port_network(struct ctrl *c, uint16_t port)
{
	const struct dp_tables *t = dp_tables(c->dp);
	uint32_t lk = dp_table_port_lport(t, port);
	const struct dp_lport *p = lk ? dp_table_lport_get(t, lk) : NULL;
	return p ? p->cfg.network : 0;
}

/* First address of family fam of the router port, NULL if none. */
static const struct dp_ip *rport_addr(const struct dp_rport *p, uint8_t fam)
{
	for (unsigned i = 0; i < p->cfg.n_ips; i++)
		if (p->cfg.ips[i].family == fam)
			return &p->cfg.ips[i];
	return NULL;
}

static void send_or_count(struct app_icmp *ai, struct ctrl *c, uint16_t port,
			  struct rte_mbuf *m)
{
	if (dp_send(c->dp, port, m) < 0)
		ai->st.ignored++;
}

/* ---- echo ----------------------------------------------------------------- */

static void on_echo(struct ctrl *c, struct rte_mbuf *m, void *arg)
{
	struct app_icmp *ai = arg;
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	unsigned len = m->data_len;
	uint16_t et = 0;
	unsigned l2 = l2_of(d, len, &et);
	if (m->nb_segs != 1 || l2 == 0)
		goto bad;
	struct rte_ether_addr tmp;
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)d;
	if (et == RTE_ETHER_TYPE_IPV4 && len >= l2 + 20) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + l2);
		unsigned ihl = (ip->version_ihl & 0xf) * 4u, tot = ntohs(ip->total_length);
		if (ihl < 20 || tot < ihl + 8 || l2 + tot > len || ip->next_proto_id != 1)
			goto bad;
		uint8_t *icmp = (uint8_t *)ip + ihl;
		if (icmp[0] != 8 || (ip->fragment_offset & htons(0x3fff)))
			goto bad;
		uint32_t a = ip->src_addr;
		ip->src_addr = ip->dst_addr;
		ip->dst_addr = a;
		ip->time_to_live = 64;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		icmp[0] = 0;
		icmp[2] = icmp[3] = 0;
		uint16_t ck = (uint16_t)~rte_raw_cksum(icmp, tot - ihl);
		memcpy(icmp + 2, &ck, 2);
		rte_pktmbuf_trim(m, (uint16_t)(len - (l2 + tot)));
	} else if (et == RTE_ETHER_TYPE_IPV6 && len >= l2 + 48) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(d + l2);
		unsigned pl = ntohs(ip6->payload_len);
		uint8_t *icmp = (uint8_t *)(ip6 + 1);
		if (ip6->proto != 58 || pl < 8 || l2 + 40 + pl > len || icmp[0] != 128)
			goto bad;
		uint8_t a[16];
		memcpy(a, ip6->src_addr, 16);
		memcpy(ip6->src_addr, ip6->dst_addr, 16);
		memcpy(ip6->dst_addr, a, 16);
		ip6->hop_limits = 64;
		icmp[0] = 129;
		icmp[2] = icmp[3] = 0;
		uint16_t ck = rte_ipv6_udptcp_cksum(ip6, icmp);
		memcpy(icmp + 2, &ck, 2);
		rte_pktmbuf_trim(m, (uint16_t)(len - (l2 + 40 + pl)));
	} else {
		goto bad;
	}
	tmp = eh->src_addr;
	eh->src_addr = eh->dst_addr;  /* the router port MAC it was sent to */
	eh->dst_addr = tmp;
	ai->st.echo_replies++;
	send_or_count(ai, c, m->port, m);
	return;
bad:
	ai->st.ignored++;
	rte_pktmbuf_free(m);
}

/* ---- time exceeded -------------------------------------------------------- */

static bool is_icmp_error(uint8_t fam, uint8_t type)
{
	if (fam == 4)
		return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	return type < 128;
}

/* The router port whose packet expired, and the MAC to answer from: the
 * router port the frame was sent to on its lport's network; or, from the
 * provider networks' port (a packet to a floating IP or an SNAT address,
 * punted before its ct(nat): dp/stage_nat.c), the gateway port of that
 * address' router, found by the frame's destination MAC in the network of
 * its VLAN tag (as classify does), answering from that MAC (the one this
 * chassis owns there). */
static const struct dp_rport *ttl_rport(struct ctrl *c, uint16_t port, const uint8_t *d,
					unsigned l2, const uint8_t **smac)
{
	const struct dp_l3 *l3 = dp_l3(c->dp);
	const struct dp_tables *t = dp_tables(c->dp);
	uint32_t net = port_network(c, port);
	uint32_t rk = net ? dp_l3_rmac_lookup(l3, net, d) : 0;
	const struct dp_rport *rp = rk ? dp_l3_rport_get(l3, rk) : NULL;
	*smac = rp ? rp->cfg.mac.addr_bytes : d;
	const struct dp_overlay_cfg *ov = dp_overlay_get(t);
	if (rp != NULL || ov == NULL || port != dp_overlay_provider_port(ov))
		return rp;
	uint16_t vid = l2 > ETH_LEN ? (uint16_t)((d[14] << 8 | d[15]) & 0xfff) : 0;
	uint32_t ext = dp_table_network_by_vlan(t, vid);
	const struct dp_nat *nat = dp_get_nat(c->dp);
	const struct dp_nat_fip_cfg *f = ext ? dp_nat_fip_by_mac(nat, ext, d) : NULL;
	const struct dp_nat_gw_cfg *s = ext && f == NULL ? dp_nat_gw_by_snat_mac(nat, ext, d)
							 : NULL;
	uint32_t router = f ? f->router : s ? s->router : 0;
	const struct dp_nat_gw_cfg *g = router ? dp_nat_gw_get(nat, router) : NULL;
	return g ? dp_l3_rport_get(l3, g->rport) : NULL;
}

/* Ethernet header of an answer to frame d (its l2 bytes, VLAN tags kept),
 * from smac. */
static void eth_back(uint8_t *o, const uint8_t *d, unsigned l2, const uint8_t *smac)
{
	memcpy(o, d + 6, 6);
	memcpy(o + 6, smac, 6);
	memcpy(o + 12, d + 12, l2 - 12);
}

static void on_ttl(struct ctrl *c, struct rte_mbuf *m, void *arg)
{
	struct app_icmp *ai = arg;
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	unsigned len = m->data_len;
	uint16_t et = 0;
	unsigned l2 = l2_of(d, len, &et);
	struct rte_mbuf *r = NULL;
	const uint8_t *smac = NULL;
	const struct dp_rport *rp = l2 ? ttl_rport(c, m->port, d, l2, &smac) : NULL;
	uint8_t fam = et == RTE_ETHER_TYPE_IPV4 ? 4 : et == RTE_ETHER_TYPE_IPV6 ? 6 : 0;
	const struct dp_ip *src = rp && fam ? rport_addr(rp, fam) : NULL;
	if (l2 == 0 || m->nb_segs != 1 || src == NULL)
		goto ignore;
	if (fam == 4) {
		if (len < l2 + 20)
			goto ignore;
		const struct rte_ipv4_hdr *oip = (const struct rte_ipv4_hdr *)(d + l2);
		unsigned ihl = (oip->version_ihl & 0xf) * 4u;
		if (ihl < 20 || len < l2 + ihl || (oip->fragment_offset & htons(0x1fff)))
			goto ignore;
		if (oip->next_proto_id == 1 && len > l2 + ihl &&
		    is_icmp_error(4, d[l2 + ihl]))
			goto ignore;
		if (!time_exceeded_allowed(ai)) {
			ai->st.rate_limited++;
			goto drop;
		}
		unsigned q = len - l2 < ihl + 8 ? len - l2 : ihl + 8;
		unsigned tot = 20 + 8 + q;
		r = rte_pktmbuf_alloc(dp_mempool(c->dp));
		uint8_t *o = r ? (uint8_t *)rte_pktmbuf_append(r, (uint16_t)(l2 + tot)) : NULL;
		if (o == NULL)
			goto ignore;
		memset(o, 0, l2 + tot);
		eth_back(o, d, l2, smac);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(o + l2);
		ip->version_ihl = 0x45;
		ip->type_of_service = 0xc0;
		ip->total_length = htons((uint16_t)tot);
		ip->time_to_live = 64;
		ip->next_proto_id = 1;
		memcpy(&ip->src_addr, src->addr, 4);
		ip->dst_addr = oip->src_addr;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		uint8_t *ic = (uint8_t *)(ip + 1);
		ic[0] = 11;
		memcpy(ic + 8, oip, q);
		uint16_t ck = (uint16_t)~rte_raw_cksum(ic, 8 + q);
		memcpy(ic + 2, &ck, 2);
	} else {
		if (len < l2 + 40)
			goto ignore;
		const struct rte_ipv6_hdr *oip = (const struct rte_ipv6_hdr *)(d + l2);
		if (oip->proto == 58 && len > l2 + 40 && is_icmp_error(6, d[l2 + 40]))
			goto ignore;
		if (!time_exceeded_allowed(ai)) {
			ai->st.rate_limited++;
			goto drop;
		}
		unsigned q = len - l2;
		if (q > V6_MIN_MTU - 48)
			q = V6_MIN_MTU - 48;
		r = rte_pktmbuf_alloc(dp_mempool(c->dp));
		uint8_t *o = r ? (uint8_t *)rte_pktmbuf_append(r, (uint16_t)(l2 + 48 + q))
			       : NULL;
		if (o == NULL)
			goto ignore;
		memset(o, 0, l2 + 48);
		eth_back(o, d, l2, smac);
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(o + l2);
		ip6->vtc_flow = htonl(6u << 28);
		ip6->payload_len = htons((uint16_t)(8 + q));
		ip6->proto = 58;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, src->addr, 16);
		memcpy(ip6->dst_addr, oip->src_addr, 16);
		uint8_t *ic = (uint8_t *)(ip6 + 1);
		ic[0] = 3;
		memcpy(ic + 8, oip, q);
		uint16_t ck = rte_ipv6_udptcp_cksum(ip6, ic);
		memcpy(ic + 2, &ck, 2);
	}
	ai->st.time_exceeded++;
	send_or_count(ai, c, m->port, r);
	rte_pktmbuf_free(m);
	return;
ignore:
	ai->st.ignored++;
drop:
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);
}

/* ---- router advertisements ------------------------------------------------ */

static struct rte_mbuf *build_ra(struct ctrl *c, const struct dp_rport *p)
{
	static const uint8_t mc[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	unsigned n_pfx = 0;
	for (unsigned i = 0; i < p->cfg.n_ips; i++)
		if (p->cfg.ips[i].family == 6 && p->cfg.ips[i].plen == 64)
			n_pfx++;
	const struct dp_network *net = dp_table_network_get(dp_tables(c->dp), p->cfg.network);
	unsigned icmp_len = 16 + 8 + 8 + 32 * n_pfx;
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp_mempool(c->dp));
	uint8_t *o = m ? (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(ETH_LEN + 40 + icmp_len))
		       : NULL;
	if (o == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(o, 0, ETH_LEN + 40 + icmp_len);
	memcpy(o, mc, 6);
	memcpy(o + 6, p->cfg.mac.addr_bytes, 6);
	o[12] = 0x86;
	o[13] = 0xdd;
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(o + ETH_LEN);
	ip6->vtc_flow = htonl(6u << 28);
	ip6->payload_len = htons((uint16_t)icmp_len);
	ip6->proto = 58;
	ip6->hop_limits = 255;
	dp_l3_eui64_ll(ip6->src_addr, p->cfg.mac.addr_bytes);
	memcpy(ip6->dst_addr, all_nodes, 16);
	uint8_t *ic = (uint8_t *)(ip6 + 1);
	ic[0] = 134;
	ic[4] = 64; /* cur hop limit */
	ic[5] = (uint8_t)((p->cfg.ra_mode == DP_RA_DHCPV6_STATEFUL ? 0x80 : 0) |
			  (p->cfg.ra_mode >= DP_RA_DHCPV6_STATELESS ? 0x40 : 0));
	ic[6] = 1800 >> 8;
	ic[7] = 1800 & 0xff;
	uint8_t *opt = ic + 16;
	opt[0] = 1; /* source link-layer address */
	opt[1] = 1;
	memcpy(opt + 2, p->cfg.mac.addr_bytes, 6);
	opt += 8;
	uint32_t mtu = htonl(net ? net->cfg.mtu : 1500);
	opt[0] = 5; /* MTU */
	opt[1] = 1;
	memcpy(opt + 4, &mtu, 4);
	opt += 8;
	for (unsigned i = 0; i < p->cfg.n_ips; i++) {
		const struct dp_ip *a = &p->cfg.ips[i];
		if (a->family != 6 || a->plen != 64)
			continue;
		uint32_t valid = htonl(2592000), pref = htonl(604800);
		opt[0] = 3; /* prefix information */
		opt[1] = 4;
		opt[2] = 64;
		opt[3] = (uint8_t)(0x80 | (p->cfg.ra_mode == DP_RA_SLAAC ||
						   p->cfg.ra_mode == DP_RA_DHCPV6_STATELESS
					   ? 0x40 : 0));
		memcpy(opt + 4, &valid, 4);
		memcpy(opt + 8, &pref, 4);
		memcpy(opt + 16, a->addr, 8); /* /64: the rest stays zero */
		opt += 32;
	}
	uint16_t ck = rte_ipv6_udptcp_cksum(ip6, ic);
	memcpy(ic + 2, &ck, 2);
	return m;
}

static bool advertises(const struct dp_rport *p)
{
	if (p->cfg.ra_mode == DP_RA_NONE)
		return false;
	for (unsigned i = 0; i < p->cfg.n_ips; i++)
		if (p->cfg.ips[i].family == 6)
			return true;
	return false;
}

struct ra_walk {
	struct app_icmp *a;
	struct ctrl *c;
	uint32_t network;   /* 0: every network */
	int port;           /* -1: every local port of the network */
	unsigned sent;
};

static int ra_one(const struct dp_rport *p, void *arg)
{
	struct ra_walk *w = arg;
	if (!advertises(p) || (w->network && p->cfg.network != w->network))
		return 0;
	const struct dp_network *n = dp_table_network_get(dp_tables(w->c->dp), p->cfg.network);
	if (n == NULL)
		return 0;
	for (unsigned i = 0; i < n->n_local; i++) {
		if (w->port >= 0 && n->local_ports[i] != w->port)
			continue;
		struct rte_mbuf *m = build_ra(w->c, p);
		if (m == NULL)
			break;
		w->a->st.ra_sent++;
		w->sent++;
		send_or_count(w->a, w->c, n->local_ports[i], m);
	}
	return 0;
}

static void on_rs(struct ctrl *c, struct rte_mbuf *m, void *arg)
{
	struct app_icmp *ai = arg;
	struct ra_walk w = { .a = ai, .c = c, .network = port_network(c, m->port), .port = m->port };
	if (w.network != 0)
		dp_l3_foreach_rport(dp_l3(c->dp), ra_one, &w);
	if (w.sent)
		ai->st.rs_answered++;
	else
		ai->st.ignored++;
	rte_pktmbuf_free(m);
}

static void icmp_tick(struct ctrl *c, void *ctx)
{
	struct app_icmp *ai = ctx;
	uint64_t now = rte_rdtsc();
	if (c->dp == NULL || now < ai->next_ra_tsc)
		return;
	ai->next_ra_tsc = now + ai->ra_interval_s * rte_get_tsc_hz();
	struct ra_walk w = { .a = ai, .c = c, .network = 0, .port = -1 };
	dp_l3_foreach_rport(dp_l3(c->dp), ra_one, &w);
}

/* ---- registration ------------------------------------------------------- */

static int icmp_init(struct ctrl *c, void **ctx, char *err, size_t errlen)
{
	(void)c, (void)err, (void)errlen;
	struct app_icmp *ai = calloc(1, sizeof(*ai));
	if (ai == NULL)
		return -ENOMEM;
	unsigned long rate = 100, burst = 50, ra = 30;
	const char *e = getenv("WYVERN_ICMP_RATE");
	if (e != NULL)
		sscanf(e, "%lu,%lu", &rate, &burst);
	e = getenv("WYVERN_RA_INTERVAL");
	if (e != NULL)
		ra = strtoul(e, NULL, 10);
	ai->rate = rate ? rate : 1;
	ai->burst = burst ? burst : 1;
	ai->ra_interval_s = ra ? ra : 30;
	*ctx = ai;
	return 0;
}

static void icmp_fini(struct ctrl *c, void *ctx)
{
	(void)c;
	free(ctx);
}

static const struct ctrl_punt_use icmp_punts[] = {
	{ DP_PUNT_ICMP, on_echo },
	{ DP_PUNT_TTL, on_ttl },
	{ DP_PUNT_ND, on_rs },
	{ 0, NULL },
};

const struct ctrl_feature app_icmp_feature = {
	.name = "icmp",
	.init = icmp_init,
	.fini = icmp_fini,
	.tick = icmp_tick,
	.punts = icmp_punts,
};
