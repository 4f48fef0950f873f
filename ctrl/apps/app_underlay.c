/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/app_underlay.c — see app_underlay.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "app_underlay.h"
#include "ctrl.h"
#include "feature.h"
#include "mac_fmt.h"
#include "punt.h"
#include "tables_ovl.h"

#define ASK_PERIOD_S     1
#define REFRESH_PERIOD_S 30

/* The application's state (the feature's context). */
struct app_underlay {
	struct app_underlay_stats st;
	uint64_t last_ask, last_refresh;
	unsigned last_unresolved;
};

static int send_request(struct app_underlay *u, struct ctrl *c, const struct dp_overlay_cfg *ov,
			uint32_t target)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp_mempool(c->dp));
	if (m == NULL)
		return -ENOMEM;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 60);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return -ENOMEM;
	}
	memset(p, 0, 60);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	memset(&eh->dst_addr, 0xff, 6);
	eh->src_addr = ov->vtep_mac;
	eh->ether_type = htons(RTE_ETHER_TYPE_ARP);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);
	a->arp_hardware = htons(RTE_ARP_HRD_ETHER);
	a->arp_protocol = htons(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = htons(RTE_ARP_OP_REQUEST);
	a->arp_data.arp_sha = ov->vtep_mac;
	a->arp_data.arp_sip = ov->vtep_ip;
	a->arp_data.arp_tip = target;
	int rc = dp_send(c->dp, ov->uplink, m);
	if (rc == 0)
		u->st.arp_requests++;
	return rc;
}

struct ask_ctx {
	struct app_underlay *u;
	struct ctrl *c;
	const struct dp_overlay_cfg *ov;
	bool refresh;
	unsigned unresolved;
};

static int ask_one(const struct dp_vtep *v, void *arg)
{
	struct ask_ctx *a = arg;
	if (v->is_static)
		return 0;
	if (!v->resolved)
		a->unresolved++;
	if (!v->resolved || a->refresh)
		send_request(a->u, a->c, a->ov, v->ip);
	return 0;
}

static int count_unresolved(const struct dp_vtep *v, void *arg)
{
	if (!v->is_static && !v->resolved)
		(*(unsigned *)arg)++;
	return 0;
}

static void underlay_tick(struct ctrl *c, void *ctx)
{
	struct app_underlay *u = ctx;
	const struct dp_tables *t = dp_tables(c->dp);
	const struct dp_overlay_cfg *ov = dp_overlay_get(t);
	if (ov == NULL)
		return;
	uint64_t now = rte_get_tsc_cycles(), hz = rte_get_tsc_hz();
	unsigned unresolved = 0;
	dp_vtep_foreach(t, count_unresolved, &unresolved);
	struct ask_ctx a = { .u = u, .c = c, .ov = ov };
	a.refresh = now - u->last_refresh >= REFRESH_PERIOD_S * hz;
	/* a VTEP that just appeared is asked for at once */
	bool due = unresolved > u->last_unresolved ||
		   (unresolved > 0 && now - u->last_ask >= ASK_PERIOD_S * hz);
	u->last_unresolved = unresolved;
	if (!due && !a.refresh)
		return;
	dp_vtep_foreach(t, ask_one, &a);
	u->last_ask = now;
	if (a.refresh)
		u->last_refresh = now;
}

/* ARP reply to our VTEP (the datapath checked tpa and untagged). */
static void on_reply(struct ctrl *c, struct rte_mbuf *m, void *arg)
{
	struct app_underlay *u = arg;
	struct dp_tables *t = dp_tables(c->dp);
	if (rte_pktmbuf_data_len(m) >= sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr)) {
		const struct rte_arp_hdr *a = rte_pktmbuf_mtod_offset(
			m, const struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
		uint32_t spa = a->arp_data.arp_sip;
		const struct dp_vtep *v = dp_vtep_get(t, spa);
		if (v == NULL || v->is_static || !rte_is_unicast_ether_addr(&a->arp_data.arp_sha) ||
		    rte_is_zero_ether_addr(&a->arp_data.arp_sha)) {
			u->st.ignored++;
		} else if (!v->resolved || !rte_is_same_ether_addr(&v->mac, &a->arp_data.arp_sha)) {
			struct dp_vtep n = *v;
			n.mac = a->arp_data.arp_sha;
			n.resolved = true;
			if (dp_vtep_put(t, &n) == 0)
				u->st.learned++;
		}
	}
	rte_pktmbuf_free(m);
}

static int underlay_init(struct ctrl *c, void **ctx, char *err, size_t errlen)
{
	const struct lc_config *l = &c->cfg->lc;
	struct app_underlay *u = calloc(1, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	*ctx = u;
	if (l->uplink[0] == 0)
		return 0;
	int rc = -ENOENT;
	int id = dp_port_by_name(c->dp, l->uplink);
	struct dp_port_info pi;
	if (id < 0 || dp_port_info(c->dp, (uint16_t)id, &pi) < 0)
		goto fail;
	struct dp_overlay_cfg ov = { .uplink = (uint16_t)id,
				     .underlay_mtu = (uint16_t)l->underlay_mtu };
	if (l->physnet_port[0]) { /* the provider networks on a port of their own */
		int pp = dp_port_by_name(c->dp, l->physnet_port);
		if (pp < 0) {
			snprintf(err, errlen, "physnet-port %s: no such port", l->physnet_port);
			free(u);
			*ctx = NULL;
			return -ENOENT;
		}
		ov.has_provider_port = true;
		ov.provider_port = (uint16_t)pp;
	}
	rc = -EINVAL;
	if (inet_pton(AF_INET, l->vtep_ip, &ov.vtep_ip) != 1)
		goto fail;
	memcpy(ov.vtep_mac.addr_bytes, pi.mac, 6);
	char first[16] = "";
	sscanf(l->encap, "%15[a-z]", first);
	int e = dp_encap_parse(first);
	ov.encap = (uint8_t)(e > 0 ? e : DP_ENCAP_VXLAN);
	rc = dp_overlay_set(dp_tables(c->dp), &ov);
	if (rc == 0)
		return 0;
fail:
	snprintf(err, errlen, "overlay on uplink %s: %s", l->uplink, strerror(-rc));
	free(u);
	*ctx = NULL;
	return rc;
}

static void underlay_fini(struct ctrl *c, void *ctx)
{
	(void)c;
	free(ctx);
}

/* ---- commands ------------------------------------------------------------ */

static int cmd_vtep_add(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	struct dp_vtep v = { 0 };
	if (argc < 1 || inet_pton(AF_INET, argv[0], &v.ip) != 1 || v.ip == 0)
		return reply_error(r, true, "vtep add IP [--mac MAC] [--encap vxlan|geneve]");
	for (int i = 1; i < argc; i += 2) {
		const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (val == NULL)
			return reply_error(r, true, "option %s needs a value", o);
		if (strcmp(o, "--mac") == 0) {
			if (rte_ether_unformat_addr(val, &v.mac) < 0 ||
			    !rte_is_unicast_ether_addr(&v.mac) || rte_is_zero_ether_addr(&v.mac))
				return reply_error(r, false, "bad unicast MAC '%s'", val);
			v.resolved = v.is_static = true;
		} else if (strcmp(o, "--encap") == 0) {
			int e = dp_encap_parse(val);
			if (e < 0)
				return reply_error(r, false, "--encap vxlan|geneve, not '%s'", val);
			v.encap = (uint8_t)e;
		} else {
			return reply_error(r, true, "unknown option '%s'", o);
		}
	}
	int rc = dp_vtep_put(dp_tables(c->dp), &v);
	if (rc < 0)
		return reply_error(r, false, "vtep %s: %s", argv[0], strerror(-rc));
	reply_printf(r, "vtep %s set (%s)\n", argv[0],
		     v.is_static ? "static" : "resolved by ARP on the uplink");
	return 0;
}

static int cmd_vtep_del(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	uint32_t ip;
	if (argc != 1 || inet_pton(AF_INET, argv[0], &ip) != 1)
		return reply_error(r, true, "vtep del IP");
	int rc = dp_vtep_del(dp_tables(c->dp), ip);
	if (rc < 0)
		return reply_error(r, false, "vtep %s: %s", argv[0],
				   rc == -ENOENT ? "not found" : strerror(-rc));
	reply_printf(r, "vtep %s deleted\n", argv[0]);
	return 0;
}

struct show_ctx {
	struct ctrl_reply *r;
	json_t *arr;
	const struct dp_overlay_cfg *ov;
};

static int show_one(const struct dp_vtep *v, void *arg)
{
	struct show_ctx *s = arg;
	char ip[INET_ADDRSTRLEN], mac[DP_MAC_FMT_SIZE] = "-";
	inet_ntop(AF_INET, &v->ip, ip, sizeof(ip));
	if (v->resolved)
		dp_mac_format(mac, v->mac.addr_bytes);
	const char *encap = dp_encap_name(dp_vtep_encap(s->ov, v));
	reply_printf(s->r, "  %-15s %-17s %-7s %s\n", ip, mac, encap,
		     v->is_static ? "static" : v->resolved ? "resolved" : "unresolved");
	json_array_append_new(s->arr, json_pack("{s:s,s:s,s:s,s:b,s:b}", "ip", ip, "mac", mac,
						"encap", encap, "resolved", v->resolved,
						"static", v->is_static));
	return 0;
}

static int cmd_show_overlay(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	(void)argv;
	if (argc != 0)
		return reply_error(r, true, "show overlay takes no arguments");
	struct app_underlay *u = ctrl_feature_ctx(c, &app_underlay_feature);
	struct app_underlay_stats none = { 0 };
	const struct app_underlay_stats *st = u ? &u->st : &none;
	const struct dp_tables *t = dp_tables(c->dp);
	const struct dp_overlay_cfg *ov = dp_overlay_get(t);
	if (ov == NULL) {
		reply_printf(r, "overlay: off (no [ctrl] uplink)\n");
		json_object_set_new(r->result, "enabled", json_false());
	} else {
		char ip[INET_ADDRSTRLEN], mac[DP_MAC_FMT_SIZE];
		inet_ntop(AF_INET, &ov->vtep_ip, ip, sizeof(ip));
		dp_mac_format(mac, ov->vtep_mac.addr_bytes);
		reply_printf(r, "overlay: VTEP %s (%s) on dp port %u, encap %s, underlay MTU %u\n",
			     ip, mac, ov->uplink, dp_encap_name(ov->encap), ov->underlay_mtu);
		json_object_set_new(r->result, "enabled", json_true());
		json_object_set_new(r->result, "vtep_ip", json_string(ip));
		json_object_set_new(r->result, "vtep_mac", json_string(mac));
		json_object_set_new(r->result, "uplink", json_integer(ov->uplink));
		json_object_set_new(r->result, "provider_port",
				    json_integer(dp_overlay_provider_port(ov)));
		if (ov->has_provider_port)
			reply_printf(r, "provider networks (physnet): own port, dp port %u\n",
				     ov->provider_port);
		else
			reply_printf(r, "provider networks (physnet): on the uplink, VLAN-separated\n");
		json_object_set_new(r->result, "encap", json_string(dp_encap_name(ov->encap)));
		json_object_set_new(r->result, "underlay_mtu", json_integer(ov->underlay_mtu));
	}
	reply_printf(r, "underlay ARP: %llu requests sent, %llu learned, %llu ignored\n",
		     (unsigned long long)st->arp_requests, (unsigned long long)st->learned,
		     (unsigned long long)st->ignored);
	json_object_set_new(r->result, "arp_requests", json_integer((json_int_t)st->arp_requests));
	json_object_set_new(r->result, "learned", json_integer((json_int_t)st->learned));
	reply_printf(r, "remote VTEPs: %u\n", dp_vtep_count(t));
	struct show_ctx s = { .r = r, .arr = json_array(), .ov = ov };
	dp_vtep_foreach(t, show_one, &s);
	json_object_set_new(r->result, "vteps", s.arr);
	return 0;
}

static const struct ctrl_punt_use underlay_punts[] = {
	{ DP_PUNT_UNDERLAY, on_reply },
	{ 0, NULL },
};

static const struct ctrl_cmd underlay_cmds[] = {
	{ "vtep add", cmd_vtep_add },
	{ "vtep del", cmd_vtep_del },
	{ "show overlay", cmd_show_overlay },
	{ NULL, NULL },
};

const struct ctrl_feature app_underlay_feature = {
	.name = "underlay",
	.init = underlay_init,
	.fini = underlay_fini,
	.tick = underlay_tick,
	.punts = underlay_punts,
	.cmds = underlay_cmds,
};
