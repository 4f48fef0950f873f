/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_reach.c — selective distribution: which objects this chassis
 * holds.  Control thread only.
 *
 * LOCAL port: binding:host_id == our chassis name AND its id is the iface-id
 * of one of our dp ports.  Reachable:
 *  - networks of local ports, closed under routers (a router with an
 *    interface on a reachable network makes all its interface networks
 *    reachable);
 *  - subnets and ports of reachable networks (non-local ports are remote);
 *  - routers with an interface on a reachable network;
 *  - security groups referenced by held ports, closed under rules'
 *    remote_group_id;
 *  - chassis: ours, and those named by held ports' binding:host_id (their
 *    vtep_ip is the remote VTEP).
 *  - the external network (and its subnets, not its ports) of a held
 *    router's gateway: it does not join the router closure (every router
 *    of the cloud has its gateway there); of its ports only this chassis'
 *    SNAT address ports (network:floatingip_agent_gateway bound here,
 *    lc_compile_nat.c; never compiled into lports);
 *  - floating IPs bound to a LOCAL port (translated here: tables_nat.h);
 *  - snat = gateway on a chassis configured gateway = true: every router
 *    with a gateway joins the closure (it may be elected gateway chassis,
 *    lc_gateway.c, and must then route the replies to every VM).
 *
 * The full pass runs over the global index (every object, see lc.c) from
 * scratch, O(objects), but only in a batch where an input of it changed:
 * every object keeps a digest of the fields the rules above read
 * (lc_reach_sig: a port's network, host, owner and groups, a subnet's
 * network, a router's interfaces and gateway, ...), compared when its
 * value changes (lc_obj_changed).  A batch of port updates that keep
 * those (a MAC, an address, a name, admin state) leaves every object's
 * reach and local as they were, which is what a full pass would give; a
 * batch in which only ports changed them is followed port by port
 * (lc_reach_inc.c) unless that would move one of the sets below.
 */
#include <stdlib.h>
#include <string.h>

#include "lc_priv.h"

/* struct idset (lc_priv.h): a small open-addressing set of strings,
 * borrowed from the objects (they live through the computation). */
bool lc_idset_has(const struct idset *s, const char *id)
{
	if (s->cap == 0 || id[0] == 0)
		return false;
	for (size_t i = lc_hash_str(id) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i] == NULL)
			return false;
		if (strcmp(s->v[i], id) == 0)
			return true;
	}
}

static bool idset_add(struct idset *s, const char *id);

static void idset_grow(struct idset *s)
{
	struct idset n = { .cap = s->cap ? s->cap * 2 : 64 };
	n.v = calloc(n.cap, sizeof(*n.v));
	if (n.v == NULL)
		abort();   /* control-plane OOM: nothing sensible to do */
	for (size_t i = 0; i < s->cap; i++)
		if (s->v[i])
			idset_add(&n, s->v[i]);
	free(s->v);
	*s = n;
}

/* true if added */
static bool idset_add(struct idset *s, const char *id)
{
	if (id[0] == 0 || lc_idset_has(s, id))
		return false;
	if ((s->n + 1) * 2 > s->cap)
		idset_grow(s);
	size_t i = lc_hash_str(id) & (s->cap - 1);
	while (s->v[i])
		i = (i + 1) & (s->cap - 1);
	s->v[i] = id;
	s->n++;
	return true;
}

static void idset_free(struct idset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static struct mdl_hdr *live(struct lc_obj *o, enum mdl_type t)
{
	return o->present && o->o && o->type == t ? o->o : NULL;
}

/* Network id of a router interface (through its subnet), "" if unknown. */
static const char *if_net(struct lc *lc, const struct mdl_router_if *i)
{
	struct lc_obj *s = lc_obj_find_id(lc, MDL_SUBNET, i->subnet_id);
	return s ? mdl_hdr_to_subnet(s->o)->network_id : "";
}

static bool router_touches(struct lc *lc, struct mdl_router *r, const struct idset *nets)
{
	for (size_t i = 0; i < r->n_interfaces; i++)
		if (lc_idset_has(nets, if_net(lc, &r->interfaces[i])))
			return true;
	return false;
}

static uint64_t sig_str(uint64_t h, const char *s)
{
	return lc_fnv(s, strlen(s) + 1, h);
}

uint64_t lc_reach_sig(const struct lc_obj *o)
{
	if (!o->present)
		return 0;
	if (o->o == NULL)
		return 1;
	uint64_t h = lc_fnv(&o->type, sizeof(o->type), LC_FNV_BASIS);
	h = sig_str(h, o->o->id);
	switch (o->type) {
	case MDL_PORT: {
		const struct lc_port *p = lc_port_of(o);
		h = sig_str(sig_str(sig_str(h, p->network_id), p->binding_host_id),
			    p->device_owner);
		for (size_t k = 0; k < p->n_security_groups; k++)
			h = sig_str(h, p->security_groups[k]);
		break;
	}
	case MDL_SUBNET:
		h = sig_str(h, mdl_hdr_to_subnet(o->o)->network_id);
		break;
	case MDL_ROUTER: {
		const struct mdl_router *r = mdl_hdr_to_router(o->o);
		for (size_t k = 0; k < r->n_interfaces; k++)
			h = sig_str(h, r->interfaces[k].subnet_id);
		uint8_t b[2] = { r->has_gateway, r->admin_state_up };
		h = sig_str(lc_fnv(b, sizeof(b), h), r->gateway.network_id);
		break;
	}
	case MDL_FLOATING_IP: {
		const struct mdl_floating_ip *f = mdl_hdr_to_fip(o->o);
		h = sig_str(sig_str(h, f->port_id), f->floating_network_id);
		break;
	}
	case MDL_SECURITY_GROUP: {
		const struct mdl_security_group *g = mdl_hdr_to_sg(o->o);
		for (size_t k = 0; k < g->n_rules; k++)
			h = sig_str(h, g->rules[k].remote_group_id);
		break;
	}
	case MDL_SECURITY_GROUP_RULE: {
		const struct mdl_security_group_rule *r = mdl_hdr_to_sg_rule(o->o);
		h = sig_str(sig_str(h, r->security_group_id), r->rule.remote_group_id);
		break;
	}
	case MDL_CHASSIS:
		h = sig_str(h, mdl_hdr_to_chassis(o->o)->name);
		break;
	default:
		break;
	}
	return h < 2 ? h + 2 : h;
}

void lc_reach_sets_free(struct lc_reach_sets *s)
{
	idset_free(&s->nets);
	idset_free(&s->ext);
	idset_free(&s->sgs);
}

bool lc_reach_pass(struct lc *lc, struct lc_reach_sets *s)
{
	size_t n;
	struct lc_obj **v = lc_obj_all(lc, &n);
	struct idset nets = { 0 }, sgs = { 0 }, hosts = { 0 }, ext = { 0 }, lports = { 0 };
	struct mdl_hdr *h;

	/* routers and security groups are few: collect them once, so the
	 * closures below iterate over them, not over every object */
	struct mdl_router **rtr = malloc(sizeof(*rtr) * (n ? n : 1));
	struct mdl_security_group **sg = malloc(sizeof(*sg) * (n ? n : 1));
	struct mdl_security_group_rule **sgr = malloc(sizeof(*sgr) * (n ? n : 1));
	size_t n_rtr = 0, n_sg = 0, n_sgr = 0;
	if (rtr == NULL || sg == NULL || sgr == NULL) {
		free(rtr);
		free(sg);
		free(sgr);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		lc_yield_point(lc);
		v[i]->reach = false;
		v[i]->local = false;
		if ((h = live(v[i], MDL_ROUTER)) != NULL)
			rtr[n_rtr++] = mdl_hdr_to_router(h);
		else if ((h = live(v[i], MDL_SECURITY_GROUP)) != NULL)
			sg[n_sg++] = mdl_hdr_to_sg(h);
		else if ((h = live(v[i], MDL_SECURITY_GROUP_RULE)) != NULL)
			sgr[n_sgr++] = mdl_hdr_to_sg_rule(h);
		if ((h = live(v[i], MDL_PORT)) == NULL)
			continue;
		const struct lc_port *p = lc_port_of(v[i]);
		if (strcmp(p->binding_host_id, lc->cfg.chassis) == 0 &&
		    lc_iface_port(lc, h->id) >= 0) {
			v[i]->local = true;
			idset_add(&nets, p->network_id);
			idset_add(&lports, h->id);
		}
	}
	/* close under routers: a router that touches a reachable network makes
	 * all its networks reachable; a router joins the closure once */
	bool *joined = calloc(n_rtr ? n_rtr : 1, sizeof(*joined));
	/* snat = gateway, a chassis that may be elected: every router with a
	 * gateway is held (hot standby: a takeover needs no sync) */
	bool standby = lc->cfg.snat_mode == LC_SNAT_GATEWAY && lc->cfg.gateway;
	for (size_t i = 0; standby && joined != NULL && i < n_rtr; i++) {
		struct mdl_router *r = rtr[i];
		if (!r->has_gateway || !r->admin_state_up)
			continue;
		joined[i] = true;
		for (size_t k = 0; k < r->n_interfaces; k++)
			idset_add(&nets, if_net(lc, &r->interfaces[k]));
	}
	for (bool changed = joined != NULL; changed;) {
		changed = false;
		for (size_t i = 0; i < n_rtr; i++) {
			struct mdl_router *r = rtr[i];
			if (joined[i] || !router_touches(lc, r, &nets))
				continue;
			joined[i] = true;
			for (size_t k = 0; k < r->n_interfaces; k++)
				changed |= idset_add(&nets, if_net(lc, &r->interfaces[k]));
		}
	}
	/* gateways of the held routers: their external networks */
	for (size_t i = 0; joined != NULL && i < n_rtr; i++)
		if (joined[i] && rtr[i]->has_gateway && rtr[i]->admin_state_up)
			idset_add(&ext, rtr[i]->gateway.network_id);
	free(joined);
	for (size_t i = 0; i < n; i++) {
		struct lc_obj *o = v[i];
		lc_yield_point(lc);
		if (!o->present || o->o == NULL)
			continue;
		switch (o->type) {
		case MDL_NETWORK:
			o->reach = lc_idset_has(&nets, o->o->id) || lc_idset_has(&ext, o->o->id);
			break;
		case MDL_SUBNET: {
			const char *nid = mdl_hdr_to_subnet(o->o)->network_id;
			o->reach = lc_idset_has(&nets, nid) || lc_idset_has(&ext, nid);
			break;
		}
		case MDL_FLOATING_IP: {
			struct mdl_floating_ip *f = mdl_hdr_to_fip(o->o);
			o->reach = f->port_id[0] && lc_idset_has(&lports, f->port_id) &&
				   lc_idset_has(&ext, f->floating_network_id);
			break;
		}
		case MDL_PORT: {
			const struct lc_port *p = lc_port_of(o);
			/* our SNAT address port on an external network */
			if (!lc_idset_has(&nets, p->network_id)) {
				o->reach = lc_idset_has(&ext, p->network_id) &&
					   strcmp(p->device_owner, LC_SNAT_OWNER) == 0 &&
					   strcmp(p->binding_host_id, lc->cfg.chassis) == 0;
				break;
			}
			o->reach = true;
			for (size_t k = 0; k < p->n_security_groups; k++)
				idset_add(&sgs, p->security_groups[k]);
			idset_add(&hosts, p->binding_host_id);
			break;
		}
		case MDL_ROUTER: {
			struct mdl_router *r = mdl_hdr_to_router(o->o);
			o->reach = router_touches(lc, r, &nets) ||
				   (standby && r->has_gateway && r->admin_state_up);
			break;
		}
		default:
			break;
		}
	}
	/* security groups: closure over remote_group_id */
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < n_sg; i++) {
			struct mdl_security_group *g = sg[i];
			if (!lc_idset_has(&sgs, g->hdr.id))
				continue;
			for (size_t k = 0; k < g->n_rules; k++)
				changed |= idset_add(&sgs, g->rules[k].remote_group_id);
		}
		/* rule objects of a reachable group name remote groups too */
		for (size_t i = 0; i < n_sgr; i++)
			if (lc_idset_has(&sgs, sgr[i]->security_group_id))
				changed |= idset_add(&sgs, sgr[i]->rule.remote_group_id);
	}
	free(rtr);
	free(sg);
	free(sgr);
	for (size_t i = 0; i < n; i++) {
		if ((h = live(v[i], MDL_SECURITY_GROUP)) != NULL)
			v[i]->reach = lc_idset_has(&sgs, h->id);
		else if ((h = live(v[i], MDL_SECURITY_GROUP_RULE)) != NULL)
			v[i]->reach = lc_idset_has(&sgs, mdl_hdr_to_sg_rule(h)->security_group_id);
		else if ((h = live(v[i], MDL_CHASSIS)) != NULL) {
			const char *name = mdl_hdr_to_chassis(h)->name;
			v[i]->reach = strcmp(name, lc->cfg.chassis) == 0 ||
				      lc_idset_has(&hosts, name);
		}
	}
	idset_free(&hosts);
	idset_free(&lports);
	*s = (struct lc_reach_sets){ .nets = nets, .ext = ext, .sgs = sgs };
	return true;
}

void lc_reach_compute(struct lc *lc)
{
	bool ports = (lc->chg_types & (1u << MDL_PORT)) != 0;
	if (!lc->reach_stale && !lc->ifaces_changed && !ports)
		return;
	/* only ports changed, and none moved a set: those ports alone */
	if (!lc->reach_full && !lc->ifaces_changed && lc_reach_ports(lc)) {
		lc->reach_stale = false;
		lc->st.reach_ports++;
		return;
	}
	struct lc_reach_sets s;
	if (!lc_reach_pass(lc, &s))
		return;                /* no memory: stays stale, tried again */
	lc->reach_stale = lc->reach_full = false;
	lc->reach_ran = true;
	lc->st.reach_runs++;
	lc_reach_adopt(lc, &s);
	lc_reach_sets_free(&s);
	/* the pass set reach and local of every object */
	size_t n;
	struct lc_obj **v = lc_obj_all(lc, &n);
	for (size_t i = 0; i < n; i++)
		lc_count(lc, v[i]);
}
