/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/xdp/ofl_xdp_backend.c — the "xdp" offload backend: a FULL
 * megaflow whose match the program can look up (in_port, untagged, and any
 * bits of the MACs, ethertype, IPv4 addresses, protocol, fragment bits,
 * UDP/TCP ports or ICMP type/code) and that outputs to another
 * kernel-attached port (or drops) becomes one wyv_l2_flows entry under one
 * of the wyv_masks.  Anything else is refused (-OFL_EFLOW for the match,
 * -EOPNOTSUPP for a tier that is not FULL, with the reason) and stays with
 * the PMD.
 * port_security: the bound lport's port security as this port's wyv_port_sec
 * entry (a subset of the PMD's check; removed on NULL and at close).
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

/* The port leaves the manager: its port-security entry goes with it. */
static void xdpb_close(struct ofl_backend *b)
{
	ofl_xdp_portsec_del(X(b)->x, X(b)->ifindex);
	ofl_xdp_close(X(b)->x);
	free(b);
}

static int xdpb_probe(struct ofl_backend *b, uint32_t *caps)
{
	/* L3/L4: the program looks up the IPv4 addresses, protocol, fragment
	 * bits and UDP/TCP ports (ICMP type/code); any other field (IPv6, TTL,
	 * TOS, TCP flags) is refused per megaflow (-OFL_EFLOW) at put */
	*caps = OFL_CAP_MATCH_ALL | OFL_CAP_PORT | OFL_CAP_DROP | OFL_CAP_COUNT;
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

/* The rule as an XDP key and mask, or -OFL_EFLOW (this megaflow only: the
 * port's other megaflows are still tried) / -EOPNOTSUPP (not a FULL rule)
 * with the reason.  The key and mask are the megaflow's own (any bits of
 * the MACs, ethertype, IPv4 addresses, protocol, fragment bits, UDP/TCP
 * ports or ICMP type/code), so the XDP flow matches exactly what the
 * megaflow matches; the ingress port and "untagged" are always exact (a
 * megaflow that does not read the VLAN still sends tagged frames to the
 * PMD).  Metadata the planner let through (zero-valued registers,
 * conntrack and tunnel fields of a fresh key) matches every frame. */
static int to_key(struct xdpb *b, const struct ofl_rule *r, struct ofl_xdp_key *k,
		  struct ofl_xdp_key *km, enum ofl_xdp_act *act, uint32_t *out)
{
	struct dp_flow_key m = r->mask;
	const struct dp_flow_key *key = &r->key;
	if (r->decision != OFL_FULL) {
		snprintf(b->err, sizeof(b->err), "xdp takes full rules only");
		return -EOPNOTSUPP;   /* the tier */
	}
	if (m.vlan_tci && (key->vlan_tci & DP_VLAN_PRESENT)) {
		snprintf(b->err, sizeof(b->err), "xdp: tagged megaflow");
		return -OFL_EFLOW;
	}
	int is4 = m.eth_type == 0xffff && key->eth_type == htons(0x0800);
	int ip = nz(m.ip_src, 4) || nz(m.ip_dst, 4) || m.ip_proto || m.ip_frag;
	int l4 = m.tp_src || m.tp_dst;
	if ((ip || l4) && !is4) {
		snprintf(b->err, sizeof(b->err), "xdp: IP match on a megaflow that is not IPv4");
		return -OFL_EFLOW;
	}
	if (l4 && (m.ip_proto != 0xff ||
		   (key->ip_proto != 17 && key->ip_proto != 6 && key->ip_proto != 1))) {
		snprintf(b->err, sizeof(b->err), "xdp: L4 match without UDP/TCP/ICMP");
		return -OFL_EFLOW;
	}
	memset(k, 0, sizeof(*k));
	memset(km, 0, sizeof(*km));
	k->ifindex = b->ifindex;
	memcpy(k->dst, key->eth_dst, 6);
	memcpy(km->dst, m.eth_dst, 6);
	memcpy(k->src, key->eth_src, 6);
	memcpy(km->src, m.eth_src, 6);
	k->eth_type = key->eth_type;
	km->eth_type = m.eth_type;
	memcpy(&k->ip_src, key->ip_src, 4);
	memcpy(&km->ip_src, m.ip_src, 4);
	memcpy(&k->ip_dst, key->ip_dst, 4);
	memcpy(&km->ip_dst, m.ip_dst, 4);
	k->ip_proto = key->ip_proto;
	km->ip_proto = m.ip_proto;
	k->ip_frag = key->ip_frag;
	km->ip_frag = m.ip_frag;
	k->tp_src = key->tp_src;
	km->tp_src = m.tp_src;
	k->tp_dst = key->tp_dst;
	km->tp_dst = m.tp_dst;
	/* what remains may only be metadata the planner already checked */
	memset(m.eth_dst, 0, 6);
	memset(m.eth_src, 0, 6);
	memset(m.ip_src, 0, 4);
	memset(m.ip_dst, 0, 4);
	m.eth_type = 0;
	m.ip_proto = 0;
	m.ip_frag = 0;
	m.tp_src = m.tp_dst = 0;
	m.in_port = 0;
	m.vlan_tci = 0;
#define ZERO_KEYED(f) do { if (!nz(&key->f, sizeof(key->f))) memset(&m.f, 0, sizeof(m.f)); } while (0)
	ZERO_KEYED(recirc_id);
	ZERO_KEYED(ct_state);
	ZERO_KEYED(ct_zone);
	ZERO_KEYED(reg_src_lport);
	ZERO_KEYED(reg_dst_lport);
	ZERO_KEYED(reg_network);
	ZERO_KEYED(reg_router);
	ZERO_KEYED(tun_vni);
	ZERO_KEYED(tun_src);
	ZERO_KEYED(tun_dst);
#undef ZERO_KEYED
	if (nz(&m, sizeof(m))) {
		snprintf(b->err, sizeof(b->err),
			 "xdp matches MACs, ethertype, IPv4 addresses/protocol/fragment, L4 ports only");
		return -OFL_EFLOW;
	}
	const struct dp_action *last = &r->acts[r->n_acts ? r->n_acts - 1 : 0];
	if (r->n_acts == 1 && last->type == DP_ACT_DROP) {
		*act = OFL_XDP_DROP;
		*out = 0;
	} else if (r->n_acts == 1 && last->type == DP_ACT_OUTPUT && r->out_ifindex) {
		*act = OFL_XDP_REDIRECT;
		*out = r->out_ifindex;
	} else {
		snprintf(b->err, sizeof(b->err), "xdp: only output to a kernel port or drop");
		return -OFL_EFLOW;
	}
	return 0;
}

/* handle: the key, allocated (freed by del). */
static int xdpb_put(struct ofl_backend *b, const struct ofl_rule *r, uint64_t *handle)
{
	struct ofl_xdp_key k, m, *h;
	enum ofl_xdp_act act;
	uint32_t out;
	int rc = to_key(X(b), r, &k, &m, &act, &out);
	if (rc)
		return rc;
	h = malloc(sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	/* the same masked key stored twice would be one entry with two owners */
	if (ofl_xdp_key_exists(X(b)->x, &k, &m)) {
		free(h);
		snprintf(X(b)->err, sizeof(X(b)->err), "xdp: flow exists");
		return -EEXIST;
	}
	rc = ofl_xdp_key_put(X(b)->x, &k, &m, act, out, h);
	if (rc == -ENOSPC) {
		free(h);
		snprintf(X(b)->err, sizeof(X(b)->err), "xdp: %d masks in use", OFL_XDP_N_MASKS);
		return -OFL_EFLOW;   /* another megaflow of a mask in use still fits */
	}
	if (rc == -E2BIG || rc == -ENOMEM)
		rc = -ENOSPC;
	if (rc) {
		free(h);
		snprintf(X(b)->err, sizeof(X(b)->err), "xdp map: %s", strerror(-rc));
		return rc;
	}
	*handle = (uint64_t)(uintptr_t)h;
	return 0;
}

static int xdpb_del(struct ofl_backend *b, uint64_t handle)
{
	struct ofl_xdp_key *k = (struct ofl_xdp_key *)(uintptr_t)handle;
	if (k == NULL)
		return -ENOENT;
	int rc = ofl_xdp_key_del(X(b)->x, k);
	free(k);
	return rc;
}

static int xdpb_query(struct ofl_backend *b, uint64_t handle, struct ofl_flow_stats *st)
{
	const struct ofl_xdp_key *k = (const struct ofl_xdp_key *)(uintptr_t)handle;
	struct ofl_xdp_val v;
	int rc = k ? ofl_xdp_key_get(X(b)->x, k, &v) : -ENOENT;
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
		ofl_xdp_key_del(b->x, k);
	return 0;
}

/* Every flow of this port left in the maps (the manager deletes its rules,
 * and frees their handles, before it flushes). */
static int xdpb_flush(struct ofl_backend *b)
{
	return ofl_xdp_flow_foreach(X(b)->x, del_mine, b);
}

/* The lport's port security as a wyv_port_sec entry (ofl_xdp.h). */
int ofl_xdp_portsec_from_lport(const struct dp_lport_cfg *lp, struct ofl_xdp_portsec *out,
			       char *why, size_t len)
{
	const uint8_t *mac = NULL;
	unsigned n_ip = 0, n_mac = 0;
	int ip_wide = 0;

	memset(out, 0, sizeof(*out));
	if (lp == NULL || !lp->port_security) {
		snprintf(why, len, "%s", "");
		return 0;
	}
	for (unsigned i = 0; i < (unsigned)lp->n_macs + lp->n_aaps; i++) {
		const uint8_t *m = i < lp->n_macs ? lp->macs[i].addr_bytes
						  : lp->aaps[i - lp->n_macs].mac.addr_bytes;
		if (i >= lp->n_macs && !nz(m, 6))
			continue;   /* a pair with the port's own MACs */
		if (mac == NULL || memcmp(mac, m, 6) != 0)
			n_mac++;
		if (mac == NULL)
			mac = m;
	}
	if (n_mac != 1) {
		snprintf(why, len, "pmd only (%s)",
			 n_mac ? "several source MACs, xdp checks one" : "no MAC");
		return 0;
	}
	for (unsigned i = 0; i < (unsigned)lp->n_ips + lp->n_aaps; i++) {
		const struct dp_ip *a = i < lp->n_ips ? &lp->ips[i] : &lp->aaps[i - lp->n_ips].ip;
		if (a->family != 4)
			continue;
		if (a->plen != 32 || n_ip == OFL_XDP_MAX_IP) {
			ip_wide = 1;
			continue;
		}
		memcpy(&out->ip[n_ip++], a->addr, 4);
	}
	if (ip_wide) {
		n_ip = 0;
		memset(out->ip, 0, sizeof(out->ip));
	}
	memcpy(out->mac, mac, 6);
	out->n_ip = (uint16_t)n_ip;
	int n = snprintf(why, len, "xdp: mac %02x:%02x:%02x:%02x:%02x:%02x, ipv4", mac[0],
			 mac[1], mac[2], mac[3], mac[4], mac[5]);
	for (unsigned i = 0; i < n_ip && n > 0 && (size_t)n < len; i++) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &out->ip[i], a, sizeof(a));
		n += snprintf(why + n, len - (size_t)n, "%s%s", i ? "," : " ", a);
	}
	if (n_ip == 0 && n > 0 && (size_t)n < len)
		snprintf(why + n, len - (size_t)n, " %s", ip_wide ? "any (a prefix pair, or over 4)" : "any");
	return 1;
}

static int xdpb_port_security(struct ofl_backend *bk, const struct dp_lport_cfg *lp,
			      char *why, size_t len)
{
	struct xdpb *b = X(bk);
	struct ofl_xdp_portsec ps;
	int rc;
	if (ofl_xdp_portsec_from_lport(lp, &ps, why, len) == 0) {
		rc = ofl_xdp_portsec_del(b->x, b->ifindex);
		return rc == -ENOENT ? 0 : rc;
	}
	rc = ofl_xdp_portsec_set(b->x, b->ifindex, ps.mac, ps.ip, ps.n_ip);
	if (rc < 0)
		snprintf(why, len, "wyv_port_sec: %s", strerror(-rc));
	return rc;
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
	.port_security = xdpb_port_security,
};
