/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/xdp/ofl_xdp_backend.c — the "xdp" offload backend: a FULL
 * megaflow that is pure L2 (in_port + destination MAC [+ source MAC that the
 * port-security map already pins] [+ untagged]) and outputs to another
 * kernel-attached port (or drops) becomes one wyv_l2_flows entry.  Anything
 * else is refused (-EOPNOTSUPP, with the reason) and stays with the PMD.
 * Args: "ifindex=N;pin=DIR" (the ingress kernel interface; maps' pin dir).
 * Thread: the offload manager's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "ofl_provider.h"
#include "ofl_xdp.h"

struct xdpb {
	struct ofl_backend base;
	struct ofl_xdp *x;
	uint32_t ifindex;
	char err[96];
};

static struct xdpb *X(struct ofl_backend *b)
{
	return (struct xdpb *)b;
}

static struct ofl_backend *xdpb_open(uint16_t eth_port, uint16_t dp_port, const char *args)
{
	char buf[512], *save = NULL, pin[256] = OFL_XDP_PIN_DEFAULT;
	struct xdpb *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->base.drv = &ofl_xdp_driver;
	b->base.eth_port = eth_port;
	b->base.dp_port = dp_port;
	if (args && strlen(args) < sizeof(buf)) {
		strcpy(buf, args);
		for (char *w = strtok_r(buf, ";", &save); w; w = strtok_r(NULL, ";", &save)) {
			if (strncmp(w, "ifindex=", 8) == 0)
				b->ifindex = (uint32_t)strtoul(w + 8, NULL, 10);
			else if (strncmp(w, "pin=", 4) == 0)
				snprintf(pin, sizeof(pin), "%s", w + 4);
		}
	}
	if (b->ifindex == 0) {
		free(b);
		errno = EINVAL;
		return NULL;
	}
	b->x = ofl_xdp_open(pin);
	if (b->x == NULL) {
		int e = errno;
		free(b);
		errno = e;
		return NULL;
	}
	return &b->base;
}

static void xdpb_close(struct ofl_backend *b)
{
	ofl_xdp_close(X(b)->x);
	free(b);
}

static int xdpb_probe(struct ofl_backend *b, uint32_t *caps)
{
	*caps = OFL_CAP_MATCH_L2 | OFL_CAP_PORT | OFL_CAP_DROP | OFL_CAP_COUNT;
	return 0;
}

static int nz(const void *p, size_t n)
{
	const uint8_t *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i])
			return 1;
	return 0;
}

/* The rule as an XDP key, or -EOPNOTSUPP with the reason. */
static int to_key(struct xdpb *b, const struct ofl_rule *r, struct ofl_xdp_key *k,
		  enum ofl_xdp_act *act, uint32_t *out)
{
	struct dp_flow_key m = r->mask;
	static const uint8_t ff[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	if (r->decision != OFL_FULL) {
		snprintf(b->err, sizeof(b->err), "xdp takes full rules only");
		return -EOPNOTSUPP;
	}
	if (memcmp(m.eth_dst, ff, 6) != 0) {
		snprintf(b->err, sizeof(b->err), "xdp needs an exact destination MAC");
		return -EOPNOTSUPP;
	}
	if (nz(m.eth_src, 6)) {
		/* the source MAC is enforced by wyv_port_sec, not the flow key:
		 * accept only a full mask (the port's one allowed MAC) */
		if (memcmp(m.eth_src, ff, 6) != 0) {
			snprintf(b->err, sizeof(b->err), "xdp: partial source MAC match");
			return -EOPNOTSUPP;
		}
	}
	if (m.vlan_tci && (r->key.vlan_tci & DP_VLAN_PRESENT)) {
		snprintf(b->err, sizeof(b->err), "xdp: tagged megaflow");
		return -EOPNOTSUPP;
	}
	/* what remains may only be metadata the planner already checked */
	memset(m.eth_dst, 0, 6);
	memset(m.eth_src, 0, 6);
	m.in_port = 0;
	m.recirc_id = 0;
	m.vlan_tci = 0;
	if (nz(&m, sizeof(m))) {
		snprintf(b->err, sizeof(b->err), "xdp matches L2 only");
		return -EOPNOTSUPP;
	}
	memset(k, 0, sizeof(*k));
	k->ifindex = b->ifindex;
	memcpy(k->dst, r->key.eth_dst, 6);
	const struct dp_action *last = &r->acts[r->n_acts ? r->n_acts - 1 : 0];
	if (r->n_acts == 1 && last->type == DP_ACT_DROP) {
		*act = OFL_XDP_DROP;
		*out = 0;
	} else if (r->n_acts == 1 && last->type == DP_ACT_OUTPUT && r->out_ifindex) {
		*act = OFL_XDP_REDIRECT;
		*out = r->out_ifindex;
	} else {
		snprintf(b->err, sizeof(b->err), "xdp: only output to a kernel port or drop");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int xdpb_put(struct ofl_backend *b, const struct ofl_rule *r, uint64_t *handle)
{
	struct ofl_xdp_key k;
	enum ofl_xdp_act act;
	uint32_t out;
	int rc = to_key(X(b), r, &k, &act, &out);
	if (rc)
		return rc;
	struct ofl_xdp_val v;
	if (ofl_xdp_flow_get(X(b)->x, k.ifindex, k.dst, k.vlan, &v) == 0) {
		snprintf(X(b)->err, sizeof(X(b)->err), "xdp: flow exists");
		return -EEXIST;
	}
	rc = ofl_xdp_flow_put(X(b)->x, k.ifindex, k.dst, k.vlan, act, out);
	if (rc == -E2BIG || rc == -ENOMEM)
		rc = -ENOSPC;
	if (rc) {
		snprintf(X(b)->err, sizeof(X(b)->err), "xdp map: %s", strerror(-rc));
		return rc;
	}
	/* handle: the MAC in the low 48 bits (the ifindex is the backend's) */
	uint64_t h = 0;
	for (unsigned i = 0; i < 6; i++)
		h = h << 8 | k.dst[i];
	*handle = h;
	return 0;
}

static void handle_mac(uint64_t h, uint8_t mac[6])
{
	for (int i = 5; i >= 0; i--) {
		mac[i] = (uint8_t)h;
		h >>= 8;
	}
}

static int xdpb_del(struct ofl_backend *b, uint64_t handle)
{
	uint8_t mac[6];
	handle_mac(handle, mac);
	return ofl_xdp_flow_del(X(b)->x, X(b)->ifindex, mac, 0);
}

static int xdpb_query(struct ofl_backend *b, uint64_t handle, struct ofl_flow_stats *st)
{
	uint8_t mac[6];
	struct ofl_xdp_val v;
	handle_mac(handle, mac);
	int rc = ofl_xdp_flow_get(X(b)->x, X(b)->ifindex, mac, 0, &v);
	if (rc)
		return rc;
	if (v.packets != st->packets)
		st->last_used = 1;   /* no clock in the map: "used since last query" */
	st->packets = v.packets;
	st->bytes = v.bytes;
	return 0;
}

static int del_mine(const struct ofl_xdp_key *k, const struct ofl_xdp_val *v, void *arg)
{
	struct xdpb *b = arg;
	if (k->ifindex == b->ifindex)
		ofl_xdp_flow_del(b->x, k->ifindex, k->dst, k->vlan);
	return 0;
}

static int xdpb_flush(struct ofl_backend *b)
{
	return ofl_xdp_flow_foreach(X(b)->x, del_mine, b);
}

static const char *xdpb_last_error(struct ofl_backend *b)
{
	return X(b)->err;
}

const struct ofl_driver ofl_xdp_driver = {
	.name = "xdp",
	.open = xdpb_open,
	.close = xdpb_close,
	.probe = xdpb_probe,
	.put = xdpb_put,
	.del = xdpb_del,
	.query = xdpb_query,
	.flush = xdpb_flush,
	.last_error = xdpb_last_error,
};
