/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/app_dhcp.c — the distributed DHCPv4 server (see app_dhcp.h).
 * Control thread only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "app_dhcp.h"
#include "ctrl.h"
#include "feature.h"
#include "lc.h"
#include "punt.h"
#include "token_bucket.h"

#define LEASE_S 86400u
#define MAX_FRAME 9216          /* larger punted frames are read truncated */

/* The service's source MAC: locally administered, "wyv" + 0x0067. */
static const uint8_t service_mac[6] = { 0x02, 0x77, 0x79, 0x76, 0x00, 0x67 };

/* The application's state (the feature's context). */
struct app_dhcp {
	struct app_dhcp_stats st;
	uint64_t rate, burst;
	double block_s;
	uint64_t hz;
	struct {
		struct dp_token_bucket tb;
		uint64_t blocked_until;
	} port[DP_MAX_PORTS];
	uint8_t buf[MAX_FRAME], out[2048];   /* one punted frame, its answer */
	struct dhcp_msg q, r;                /* ~1 KB each: off the stack */
};

struct app_dhcp *app_dhcp_create(void)
{
	struct app_dhcp *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->rate = 20;
	d->burst = 40;
	d->block_s = 5;
	d->hz = 1;
	return d;
}

void app_dhcp_destroy(struct app_dhcp *d)
{
	free(d);
}

void app_dhcp_get_stats(const struct app_dhcp *d, struct app_dhcp_stats *out)
{
	*out = d->st;
}

/* ---- the message logic (no mbufs) ---------------------------------------- */

static void fill_options(struct dhcp_msg *r, const struct lc_dhcp_info *in, bool lease)
{
	r->server_id = in->server_id;
	r->subnet_mask = in->mask;
	r->present |= DHCP_HAS_MASK;
	r->broadcast = in->broadcast;
	r->router = in->gateway;
	r->n_dns = in->n_dns < DHCP_MAX_DNS ? in->n_dns : DHCP_MAX_DNS;
	memcpy(r->dns, in->dns, (size_t)r->n_dns * 4);
	if (in->mtu >= 68) {
		r->mtu = in->mtu;
		r->present |= DHCP_HAS_MTU;
	}
	if (in->n_routes) {
		/* RFC 3442: with 121 the client ignores option 3, so the default
		 * route goes inside 121 */
		r->present |= DHCP_HAS_ROUTES;
		if (in->gateway) {
			r->routes[r->n_routes++] = (struct dhcp_route){ .dst = 0, .plen = 0,
									.gw = in->gateway };
		}
		for (unsigned i = 0; i < in->n_routes && r->n_routes < DHCP_MAX_ROUTES; i++)
			r->routes[r->n_routes++] = (struct dhcp_route){
				.dst = in->routes[i].dst, .plen = in->routes[i].plen,
				.gw = in->routes[i].gw };
	}
	if (lease) {
		r->lease = LEASE_S;
		r->t1 = LEASE_S / 2;
		r->t2 = LEASE_S / 8 * 7;
		r->present |= DHCP_HAS_LEASE | DHCP_HAS_T1 | DHCP_HAS_T2;
	}
}

size_t app_dhcp_answer(struct app_dhcp *d, const uint8_t *frame, size_t len,
		       const struct lc_dhcp_info *in, int info_rc, uint8_t *out, size_t cap)
{
	struct dhcp_frame f;
	struct dhcp_msg *q = &d->q, *r = &d->r;
	struct app_dhcp_stats *st = &d->st;
	int rc = dhcp_parse_frame(frame, len, true, &f, q);
	if (rc < 0) {
		st->malformed[-rc < DHCP_ERR__MAX ? -rc : 0]++;
		st->malformed_total++;
		return 0;
	}
	st->rx[q->type]++;
	if (in == NULL || info_rc < 0) {
		if (info_rc == -ENOENT)
			st->no_lport++;
		else
			st->no_data++;
		return 0;
	}
	if (memcmp(q->chaddr, in->mac, 6) != 0 || memcmp(f.eth_src, in->mac, 6) != 0) {
		st->mac_mismatch++;
		return 0;
	}
	memset(r, 0, sizeof(*r));
	r->op = 2;
	r->htype = 1;
	r->hlen = 6;
	r->xid = q->xid;
	r->flags = q->flags & 0x8000;
	r->giaddr = q->giaddr;
	memcpy(r->chaddr, q->chaddr, 16);
	switch (q->type) {
	case DHCP_DISCOVER:
		r->type = DHCP_OFFER;
		r->yiaddr = in->ip;
		fill_options(r, in, true);
		st->offers++;
		break;
	case DHCP_REQUEST: {
		if (q->server_id && q->server_id != in->server_id) {
			st->ignored++;      /* the client chose another server */
			return 0;
		}
		uint32_t want = q->requested_ip ? q->requested_ip : q->ciaddr;
		if (want != in->ip) {
			r->type = DHCP_NAK;
			r->server_id = in->server_id;
			st->naks++;
			break;
		}
		r->type = DHCP_ACK;
		r->ciaddr = q->ciaddr;
		r->yiaddr = in->ip;
		fill_options(r, in, true);
		st->acks++;
		break;
	}
	case DHCP_INFORM:
		r->type = DHCP_ACK;
		r->ciaddr = q->ciaddr;
		fill_options(r, in, false);
		st->acks++;
		break;
	default:   /* RELEASE, DECLINE: the address stays the port's; counted */
		return 0;
	}
	/* RFC 2131 4.1: where the reply goes (no relays here: giaddr is echoed
	 * but the reply is always delivered to the client's port) */
	struct dhcp_frame o = { .sport = DHCP_SERVER_PORT, .dport = DHCP_CLIENT_PORT,
				.ip_src = in->server_id };
	memcpy(o.eth_src, service_mac, 6);
	memcpy(o.eth_dst, in->mac, 6);
	if (r->type == DHCP_NAK) {
		o.ip_dst = 0xffffffffu;
	} else if (q->ciaddr) {
		o.ip_dst = q->ciaddr;
	} else if ((q->flags & 0x8000) || r->yiaddr == 0) {
		o.ip_dst = 0xffffffffu;
	} else {
		o.ip_dst = r->yiaddr;
	}
	if (o.ip_dst == 0xffffffffu)
		memset(o.eth_dst, 0xff, 6);
	size_t n = dhcp_build_frame(out, cap, &o, r);
	if (n == 0)
		st->tx_errors++;
	return n;
}

/* ---- rate limit ------------------------------------------------------------ */

static bool rate_ok(struct app_dhcp *d, uint16_t port)
{
	if (port >= DP_MAX_PORTS)
		port = 0;
	uint64_t now = rte_rdtsc();
	if (d->port[port].blocked_until > now) {
		d->st.blocked_drops++;
		return false;
	}
	if (!dp_tb_take(&d->port[port].tb, d->rate, d->burst, now, d->hz)) {
		d->st.rate_limited++;
		d->st.blocks++;
		d->port[port].blocked_until = now + (uint64_t)(d->block_s * (double)d->hz);
		d->port[port].tb.last_tsc = 0;   /* full again when the block ends */
		return false;
	}
	return true;
}

unsigned app_dhcp_blocked(const struct app_dhcp *d, uint16_t *ports, double *remaining,
			  unsigned max)
{
	unsigned n = 0;
	uint64_t now = rte_rdtsc();
	for (unsigned p = 0; p < DP_MAX_PORTS && n < max; p++)
		if (d->port[p].blocked_until > now) {
			ports[n] = (uint16_t)p;
			remaining[n++] = (double)(d->port[p].blocked_until - now) / (double)d->hz;
		}
	return n;
}

/* ---- the punt application ------------------------------------------------- */

static void on_punt(struct ctrl *c, struct rte_mbuf *m, void *arg)
{
	struct app_dhcp *d = arg;
	uint8_t *buf = d->buf, *out = d->out;
	uint16_t port = m->port;
	if (!rate_ok(d, port)) {
		rte_pktmbuf_free(m);
		return;
	}
	uint32_t len = rte_pktmbuf_pkt_len(m) < MAX_FRAME ? rte_pktmbuf_pkt_len(m) : MAX_FRAME;
	const uint8_t *frame = rte_pktmbuf_read(m, 0, len, buf);
	struct lc_dhcp_info info;
	int rc = -ENODATA;   /* static mode: no model data */
	uint32_t lk = dp_table_port_lport(dp_tables(c->dp), port);
	if (lk == 0)
		rc = -ENOENT;
	else if (c->lc != NULL)
		rc = lc_dhcp_lookup(c->lc, lk, &info);
	size_t n = frame ? app_dhcp_answer(d, frame, len, rc == 0 ? &info : NULL, rc, out,
					   sizeof(d->out))
			 : 0;
	rte_pktmbuf_free(m);
	if (n == 0)
		return;
	struct rte_mbuf *r = rte_pktmbuf_alloc(dp_mempool(c->dp));
	char *data = r ? rte_pktmbuf_append(r, (uint16_t)n) : NULL;
	if (data == NULL) {
		rte_pktmbuf_free(r);
		d->st.nomem++;
		return;
	}
	memcpy(data, out, n);
	if (dp_send(c->dp, port, r) < 0)
		d->st.tx_errors++;
}

static int dhcp_init(struct ctrl *c, void **ctx, char *err, size_t errlen)
{
	(void)c, (void)err, (void)errlen;
	struct app_dhcp *d = app_dhcp_create();
	if (d == NULL)
		return -ENOMEM;
	const char *e = getenv("WYVERN_DHCP_RATE");
	double a, b, k;
	int n = e ? sscanf(e, "%lf,%lf,%lf", &a, &b, &k) : 0;
	if (n >= 1 && a >= 1)
		d->rate = (uint64_t)a;
	if (n >= 2 && b >= 1)
		d->burst = (uint64_t)b;
	if (n >= 3 && k >= 0)
		d->block_s = k;
	d->hz = rte_get_tsc_hz();
	if (d->hz == 0)
		d->hz = 1;
	*ctx = d;
	return 0;
}

static void dhcp_fini(struct ctrl *c, void *ctx)
{
	(void)c;
	app_dhcp_destroy(ctx);
}

/* ---- wyctl show dhcp ------------------------------------------------------ */

static int cmd_show_dhcp(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	(void)argv;
	if (argc)
		return reply_error(r, true, "unexpected argument");
	struct app_dhcp *d = ctrl_feature_ctx(c, &app_dhcp_feature);
	if (d == NULL)
		return reply_error(r, false, "the DHCP application is not running");
	const struct app_dhcp_stats *st = &d->st;
	json_t *o = r->result, *rx = json_object(), *bad = json_object(), *bl = json_array();
	json_object_set_new(o, "controller", json_boolean(c->lc != NULL));
	json_object_set_new(o, "punted", json_integer((json_int_t)ctrl_punt_count(c, DP_PUNT_DHCP)));
	reply_printf(r, "DHCPv4 (controller %s), punted %llu\n  received:",
		     c->lc ? "on" : "off: static mode, no data",
		     (unsigned long long)ctrl_punt_count(c, DP_PUNT_DHCP));
	for (unsigned t = 1; t < DHCP_TYPE__MAX; t++) {
		json_object_set_new(rx, dhcp_type_name(t), json_integer((json_int_t)st->rx[t]));
		reply_printf(r, " %s %llu", dhcp_type_name(t), (unsigned long long)st->rx[t]);
	}
	json_object_set_new(o, "rx", rx);
#define N(name) json_object_set_new(o, #name, json_integer((json_int_t)st->name))
	N(offers); N(acks); N(naks); N(rate_limited); N(blocks); N(blocked_drops); N(no_lport);
	N(mac_mismatch); N(no_data); N(ignored); N(tx_errors); N(nomem);
#undef N
	json_object_set_new(o, "malformed", json_integer((json_int_t)st->malformed_total));
	reply_printf(r, "\n  sent: offers %llu acks %llu naks %llu\n  malformed %llu:",
		     (unsigned long long)st->offers, (unsigned long long)st->acks,
		     (unsigned long long)st->naks, (unsigned long long)st->malformed_total);
	for (unsigned e = 1; e < DHCP_ERR__MAX; e++)
		if (st->malformed[e]) {
			json_object_set_new(bad, dhcp_err_name(e),
					    json_integer((json_int_t)st->malformed[e]));
			reply_printf(r, " %s %llu", dhcp_err_name(e),
				     (unsigned long long)st->malformed[e]);
		}
	json_object_set_new(o, "malformed_by", bad);
	reply_printf(r, "\n  rate-limited %llu, blocks %llu, dropped while blocked %llu\n"
		     "  no-lport %llu, mac-mismatch %llu, no-data %llu, ignored %llu, "
		     "tx-errors %llu, nomem %llu\n",
		     (unsigned long long)st->rate_limited, (unsigned long long)st->blocks,
		     (unsigned long long)st->blocked_drops, (unsigned long long)st->no_lport,
		     (unsigned long long)st->mac_mismatch, (unsigned long long)st->no_data,
		     (unsigned long long)st->ignored, (unsigned long long)st->tx_errors,
		     (unsigned long long)st->nomem);
	uint16_t ports[DP_MAX_PORTS];
	double rem[DP_MAX_PORTS];
	unsigned nb = app_dhcp_blocked(d, ports, rem, DP_MAX_PORTS);
	for (unsigned i = 0; i < nb; i++) {
		json_array_append_new(bl, json_pack("{s:i,s:f}", "port", (int)ports[i],
						    "remaining_s", rem[i]));
		reply_printf(r, "  blocked: dp port %u for %.1f s\n", ports[i], rem[i]);
	}
	json_object_set_new(o, "blocked_ports", bl);
	json_object_set_new(o, "rate_pps", json_real((double)d->rate));
	json_object_set_new(o, "burst", json_real((double)d->burst));
	json_object_set_new(o, "block_s", json_real(d->block_s));
	return 0;
}

static const struct ctrl_punt_use dhcp_punts[] = {
	{ DP_PUNT_DHCP, on_punt },
	{ 0, NULL },
};

static const struct ctrl_cmd dhcp_cmds[] = {
	{ "show dhcp", cmd_show_dhcp },
	{ NULL, NULL },
};

const struct ctrl_feature app_dhcp_feature = {
	.name = "dhcp",
	.init = dhcp_init,
	.fini = dhcp_fini,
	.punts = dhcp_punts,
	.cmds = dhcp_cmds,
};
