/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_gateway.c — gateway SNAT ([ctrl] snat = gateway): which
 * chassis holds the routers' gateway IPs.  Control thread only.
 *
 * Every chassis registers `gateway` and `gateway_priority` in its chassis
 * object ([ctrl] gateway, gateway-priority; lc_sync.c) and keeps its
 * liveness key alive under a lease (lc_alive.c).  Every controller sees
 * every chassis object and every liveness key, and elects the same chassis:
 * among the chassis with gateway = true whose liveness key exists, the
 * highest gateway_priority, ties broken by the smallest chassis id.  With
 * [ctrl] chassis-ttl = 0 (no liveness keys: a deployment without leases)
 * every registered gateway chassis counts as alive.
 *
 * The election runs at every compile (after each batch of events, a
 * liveness key appearing or expiring included), so when the gateway's lease
 * expires the next one takes over at the next batch; lc_compile_nat.c gives
 * the gateway chassis the routers' gateway IPs as SNAT addresses (the NAT
 * application announces them with gratuitous ARP) and the others the
 * gateway's VTEP to send to.  Connections NATed by the old gateway are lost
 * (its conntrack state is not replicated).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lc_priv.h"

const char *lc_snat_mode_name(unsigned mode)
{
	switch (mode) {
	case LC_SNAT_DISTRIBUTED:
		return "distributed";
	case LC_SNAT_GATEWAY:
		return "gateway";
	default:
		return "off";
	}
}

static bool counts_alive(const struct lc *lc, const char *id)
{
	return lc->cfg.chassis_ttl_s == 0 || lc_chassis_alive(lc, id);
}

/* The elected chassis object among v[0..n), or NULL. */
static const struct mdl_hdr *elect(const struct lc *lc, struct lc_obj **v, size_t n)
{
	const struct mdl_hdr *best = NULL;
	int64_t best_prio = -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i]->type != MDL_CHASSIS || !v[i]->present || v[i]->o == NULL)
			continue;
		const struct mdl_chassis *c = mdl_hdr_to_chassis(v[i]->o);
		if (!c->gateway || !counts_alive(lc, v[i]->o->id))
			continue;
		/* v is sorted by key, hence by id: the first of a priority wins */
		if (c->gateway_priority > best_prio) {
			best = v[i]->o;
			best_prio = c->gateway_priority;
		}
	}
	return best;
}

bool lc_gateway_elect(struct lc *lc, struct lc_obj **v, size_t n)
{
	char id[MDL_ID_SIZE] = "", name[LC_NAME_LEN] = "";
	uint32_t vtep = 0;
	bool self = false;
	const struct mdl_hdr *h = lc->cfg.snat_mode == LC_SNAT_GATEWAY ? elect(lc, v, n) : NULL;
	if (h != NULL) {
		const struct mdl_chassis *c = (const struct mdl_chassis *)h;
		snprintf(id, sizeof(id), "%s", h->id);
		snprintf(name, sizeof(name), "%s", c->name);
		self = strcmp(c->name, lc->cfg.chassis) == 0;
		struct in_addr a;
		if (!self && inet_pton(AF_INET, c->vtep_ip, &a) == 1)
			vtep = a.s_addr;
	}
	bool changed = strcmp(id, lc->gw_id) != 0 || vtep != lc->gw_vtep;
	if (changed)
		lc_log(lc, "gateway chassis: %s%s", name[0] ? name : "none",
		       self ? " (this chassis)" : "");
	memcpy(lc->gw_id, id, sizeof(id));
	memcpy(lc->gw_name, name, sizeof(name));
	lc->gw_self = self;
	lc->gw_vtep = vtep;
	return changed;
}

int lc_gateway_chassis(const struct lc *lc, struct lc_chassis_info *out)
{
	if (lc->cfg.snat_mode != LC_SNAT_GATEWAY || lc->gw_id[0] == 0)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", lc->gw_id);
	snprintf(out->name, sizeof(out->name), "%s", lc->gw_name);
	if (lc->gw_vtep)
		inet_ntop(AF_INET, &lc->gw_vtep, out->vtep_ip, sizeof(out->vtep_ip));
	out->alive = true;
	out->self = lc->gw_self;
	out->gateway = true;
	out->is_gateway = true;
	return 0;
}
