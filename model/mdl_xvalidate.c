/* SPDX-License-Identifier: BSD-3-Clause
 * model/mdl_xvalidate.c — checks across objects (mdl_validate_against).
 *
 * References are resolved through the caller's lookup (get by id, or a scan
 * of one type).  Uniqueness checks (MAC, fixed IP, subnet overlap) scan the
 * objects of the type and compare within the same network; this is O(n) per
 * write, which is fine for the northbound rate and keeps the model free of
 * indexes.  The object's own previous version (same id) is skipped. */
#include "mdl_priv.h"
#include "mdl_addr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define E(...) mdl_err(err, es, __VA_ARGS__)

/* Returns 0 if an object of type with id exists, -EINVAL with a message if it
 * does not, or -errno if the lookup failed. */
static int need(const struct mdl_lookup *lk, enum mdl_type type, const char *path,
		const char *id, struct mdl_hdr **out, char *err, size_t es)
{
	struct mdl_hdr *o;

	errno = 0;
	o = lk->get(lk->ctx, type, id);
	if (!o) {
		if (errno && errno != ENOENT)
			return -errno;
		return E("%s: %s %s does not exist", path, mdl_type_name(type), id);
	}
	if (out)
		*out = o;
	else
		mdl_obj_free(o);
	return 0;
}

struct scan_ctx {
	const struct mdl_hdr *self;
	char *err;
	size_t es;
	const void *arg;        /* what to compare against */
	size_t idx;
};

static int subnet_overlap_cb(const struct mdl_hdr *o, void *arg)
{
	struct scan_ctx *c = arg;
	const struct mdl_subnet *me = (const struct mdl_subnet *)c->self;
	const struct mdl_subnet *s = (const struct mdl_subnet *)o;
	struct mdl_prefix a, b;

	if (!strcmp(o->id, me->hdr.id) || strcmp(s->network_id, me->network_id))
		return 0;
	if (mdl_prefix_parse(me->cidr, &a) || mdl_prefix_parse(s->cidr, &b))
		return 0;
	if (mdl_prefix_overlap(&a, &b))
		return mdl_err(c->err, c->es, "cidr: %s overlaps subnet %s (%s) in network %s",
			       me->cidr, s->cidr, o->id, me->network_id);
	return 0;
}

/* A subnet of a pool: the pool exists, is of its version and holds its
 * cidr (a pool's prefixes only grow, so this stays true). */
static int check_in_pool(const struct mdl_subnet *s, const struct mdl_lookup *lk,
			 char *err, size_t es)
{
	struct mdl_hdr *h = NULL;
	const struct mdl_subnetpool *p;
	struct mdl_prefix me, pre;
	bool in = false;
	size_t i;
	int rc;

	if ((rc = need(lk, MDL_SUBNETPOOL, "subnetpool_id", s->subnetpool_id, &h, err, es)))
		return rc;
	p = (const struct mdl_subnetpool *)h;
	if (p->ip_version == s->ip_version && !mdl_prefix_parse(s->cidr, &me))
		for (i = 0; !in && i < p->n_prefixes; i++)
			in = !mdl_prefix_parse(p->prefixes[i], &pre) && pre.len <= me.len &&
			     mdl_prefix_contains(&pre, &me.addr);
	mdl_obj_free(h);
	return in ? 0 : E("cidr: %s is not in subnetpool %s", s->cidr, s->subnetpool_id);
}

static int check_subnet(const struct mdl_subnet *s, const struct mdl_lookup *lk,
			char *err, size_t es)
{
	struct scan_ctx c = { &s->hdr, err, es, NULL, 0 };
	int rc;

	if ((rc = need(lk, MDL_NETWORK, "network_id", s->network_id, NULL, err, es)))
		return rc;
	if (s->subnetpool_id[0] && (rc = check_in_pool(s, lk, err, es)))
		return rc;
	return lk->foreach(lk->ctx, MDL_SUBNET, subnet_overlap_cb, &c);
}

static int port_dup_cb(const struct mdl_hdr *o, void *arg)
{
	struct scan_ctx *c = arg;
	const struct mdl_port *me = (const struct mdl_port *)c->self;
	const struct mdl_port *p = (const struct mdl_port *)o;
	struct mdl_ip a, b;
	size_t i, j;

	if (!strcmp(o->id, me->hdr.id) || strcmp(p->network_id, me->network_id))
		return 0;
	if (!strcasecmp(p->mac_address, me->mac_address))
		return mdl_err(c->err, c->es,
			       "mac_address: %s is already used by port %s in network %s",
			       me->mac_address, o->id, me->network_id);
	for (i = 0; i < me->n_fixed_ips; i++) {
		if (mdl_ip_parse(me->fixed_ips[i].ip_address, &a))
			continue;
		for (j = 0; j < p->n_fixed_ips; j++) {
			if (mdl_ip_parse(p->fixed_ips[j].ip_address, &b) ||
			    mdl_ip_cmp(&a, &b))
				continue;
			return mdl_err(c->err, c->es,
				       "fixed_ips[%zu].ip_address: %s is already used by port %s in network %s",
				       i, me->fixed_ips[i].ip_address, o->id,
				       me->network_id);
		}
	}
	return 0;
}

static int check_fixed_ip(const struct mdl_port *p, size_t i,
			  const struct mdl_lookup *lk, char *err, size_t es)
{
	const struct mdl_fixed_ip *f = &p->fixed_ips[i];
	struct mdl_hdr *o = NULL;
	struct mdl_subnet *s;
	struct mdl_prefix net;
	struct mdl_ip ip;
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "fixed_ips[%zu].subnet_id", i);
	if ((rc = need(lk, MDL_SUBNET, path, f->subnet_id, &o, err, es)))
		return rc;
	s = mdl_hdr_to_subnet(o);
	if (strcmp(s->network_id, p->network_id))
		rc = E("fixed_ips[%zu].subnet_id: subnet %s belongs to network %s, not %s",
		       i, f->subnet_id, s->network_id, p->network_id);
	else if (mdl_prefix_parse(s->cidr, &net) || mdl_ip_parse(f->ip_address, &ip))
		rc = E("fixed_ips[%zu].ip_address: cannot check %s against subnet %s",
		       i, f->ip_address, f->subnet_id);
	else if (ip.family != net.addr.family)
		rc = E("fixed_ips[%zu].ip_address: %s is not IPv%d like subnet %s (%s)",
		       i, f->ip_address, net.addr.family, s->cidr, f->subnet_id);
	else if (!mdl_prefix_contains(&net, &ip))
		rc = E("fixed_ips[%zu].ip_address %s is outside subnet %s (%s)",
		       i, f->ip_address, s->cidr, f->subnet_id);
	mdl_obj_free(o);
	return rc;
}

static int check_port(const struct mdl_port *p, const struct mdl_lookup *lk,
		      char *err, size_t es)
{
	struct scan_ctx c = { &p->hdr, err, es, NULL, 0 };
	char path[64];
	size_t i;
	bool stateful = true;
	int rc;

	if ((rc = need(lk, MDL_NETWORK, "network_id", p->network_id, NULL, err, es)))
		return rc;
	for (i = 0; i < p->n_fixed_ips; i++)
		if ((rc = check_fixed_ip(p, i, lk, err, es)))
			return rc;
	for (i = 0; i < p->n_security_groups; i++) {
		struct mdl_hdr *g = NULL;
		bool sf;

		snprintf(path, sizeof(path), "security_groups[%zu]", i);
		if ((rc = need(lk, MDL_SECURITY_GROUP, path, p->security_groups[i],
			       &g, err, es)))
			return rc;
		sf = ((const struct mdl_security_group *)g)->stateful;
		mdl_obj_free(g);
		/* Neutron refuses stateful and stateless groups on one port */
		if (i > 0 && sf != stateful)
			return E("%s: cannot mix stateful and stateless security groups on a port",
				 path);
		stateful = sf;
	}
	return lk->foreach(lk->ctx, MDL_PORT, port_dup_cb, &c);
}

static int check_router(const struct mdl_router *r, const struct mdl_lookup *lk,
			char *err, size_t es)
{
	char path[96];
	size_t i;
	int rc;

	for (i = 0; i < r->n_interfaces; i++) {
		snprintf(path, sizeof(path), "interfaces[%zu].subnet_id", i);
		if ((rc = need(lk, MDL_SUBNET, path, r->interfaces[i].subnet_id, NULL,
			       err, es)))
			return rc;
		if (!r->interfaces[i].port_id[0])
			continue;
		snprintf(path, sizeof(path), "interfaces[%zu].port_id", i);
		if ((rc = need(lk, MDL_PORT, path, r->interfaces[i].port_id, NULL,
			       err, es)))
			return rc;
	}
	if (r->has_gateway &&
	    (rc = need(lk, MDL_NETWORK, "external_gateway_info.network_id",
		       r->gateway.network_id, NULL, err, es)))
		return rc;
	return 0;
}

static int check_sg(const struct mdl_security_group *sg, const struct mdl_lookup *lk,
		    char *err, size_t es)
{
	char path[96];
	size_t i;
	int rc;

	for (i = 0; i < sg->n_rules; i++) {
		const char *g = sg->rules[i].remote_group_id;

		if (!g[0] || !strcmp(g, sg->hdr.id))
			continue;
		snprintf(path, sizeof(path), "security_group_rules[%zu].remote_group_id", i);
		if ((rc = need(lk, MDL_SECURITY_GROUP, path, g, NULL, err, es)))
			return rc;
	}
	return 0;
}

static int check_sg_rule(const struct mdl_security_group_rule *r,
			 const struct mdl_lookup *lk, char *err, size_t es)
{
	const char *g = r->rule.remote_group_id;
	int rc;

	if ((rc = need(lk, MDL_SECURITY_GROUP, "security_group_id", r->security_group_id,
		       NULL, err, es)))
		return rc;
	if (g[0] && strcmp(g, r->security_group_id) &&
	    (rc = need(lk, MDL_SECURITY_GROUP, "remote_group_id", g, NULL, err, es)))
		return rc;
	return 0;
}

static int check_fip(const struct mdl_floating_ip *f, const struct mdl_lookup *lk,
		     char *err, size_t es)
{
	int rc;

	if ((rc = need(lk, MDL_NETWORK, "floating_network_id", f->floating_network_id,
		       NULL, err, es)))
		return rc;
	if (f->port_id[0] &&
	    (rc = need(lk, MDL_PORT, "port_id", f->port_id, NULL, err, es)))
		return rc;
	if (f->router_id[0] &&
	    (rc = need(lk, MDL_ROUTER, "router_id", f->router_id, NULL, err, es)))
		return rc;
	return 0;
}

int mdl_validate_against(const struct mdl_hdr *obj, const struct mdl_lookup *lk,
			 char *err, size_t es)
{
	if (err && es)
		err[0] = '\0';
	if (!obj || !lk || !lk->get || !lk->foreach)
		return E("invalid arguments");
	switch (obj->type) {
	case MDL_SUBNET:
		return check_subnet((const struct mdl_subnet *)obj, lk, err, es);
	case MDL_PORT:
		return check_port((const struct mdl_port *)obj, lk, err, es);
	case MDL_ROUTER:
		return check_router((const struct mdl_router *)obj, lk, err, es);
	case MDL_SECURITY_GROUP:
		return check_sg((const struct mdl_security_group *)obj, lk, err, es);
	case MDL_FLOATING_IP:
		return check_fip((const struct mdl_floating_ip *)obj, lk, err, es);
	case MDL_SECURITY_GROUP_RULE:
		return check_sg_rule((const struct mdl_security_group_rule *)obj, lk, err, es);
	default:
		return 0;
	}
}
