/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nbo_sec.c — the thin part: security groups, their rules, and
 * floating IPs (stored and validated; the NAT work makes them forward).
 *
 * Kept small on purpose: security-group rules are becoming northbound
 * objects of their own with operations in ctrl/nb on another branch; this
 * file only (1) writes a new group together with Neutron's two egress
 * rules as rule objects in one batch, (2) deletes a group together with
 * its rule objects in one batch, (3) shows a group with its rules, (4)
 * fills a floating IP's address (from the external network's first IPv4
 * subnet), fixed address and router.
 *
 * Floating IP addresses are not claim keys (db/DESIGN.md): two clients
 * asking for the same address at once can both get it.  Allocation reads
 * the index and skips addresses other floating IPs and ports hold.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_addr.h"
#include "mdl_sg.h"
#include "nb_sg.h"
#include "nbo.h"

/* The rule objects of group gid (index walk of the rules). */
static int rules_of(struct nbo *o, const char *gid, struct mdl_hdr ***out, size_t *n)
{
	size_t i, k = 0;
	int rc = nb_find(o->nb, MDL_SECURITY_GROUP_RULE, NULL, out, n);

	if (rc)
		return rc;
	for (i = 0; i < *n; i++) {
		if (!strcmp(mdl_hdr_to_sg_rule((*out)[i])->security_group_id, gid))
			(*out)[k++] = (*out)[i];
		else
			mdl_obj_free((*out)[i]);
	}
	*n = k;
	return 0;
}

static json_t *rule_view(const struct mdl_hdr *h);

int nbo_sg_create(struct nbo *o, struct mdl_hdr *g, uint64_t *rev, char *err, size_t es,
		  json_t **rules_out)
{
	struct mdl_security_group_rule **rules = NULL;
	struct nb_op ops[3];
	size_t n = 0, i;
	int rc;

	if (!g->id[0] && (rc = mdl_uuid_generate(g->id)))
		return rc;
	if ((rc = mdl_sg_default_rules(g->id, mdl_hdr_to_sg(g)->project_id, &rules, &n)))
		return rc;
	ops[0] = (struct nb_op){ .kind = NB_OP_CREATE, .obj = g };
	for (i = 0; !rc && i < 2; i++) {  /* Neutron: egress IPv4 and IPv6 for a new group */
		rc = nb_sg_rule_times(&rules[i]->hdr, g);
		ops[1 + i] = (struct nb_op){ .kind = NB_OP_CREATE, .obj = &rules[i]->hdr };
	}
	if (!rc)
		rc = nb_apply(o->nb, ops, 3, rev, err, es);
	/* the answer shows the rules as written: the index may not have all
	 * events of this revision yet */
	*rules_out = rc ? NULL : json_array();
	for (i = 0; *rules_out && i < 2; i++)
		json_array_append_new(*rules_out, rule_view(&rules[i]->hdr));
	for (i = 0; i < n; i++)
		mdl_obj_free(&rules[i]->hdr);
	free(rules);
	return rc;
}

int nbo_sg_delete(struct nbo *o, const char *gid, uint64_t mod, uint64_t *rev, char *err,
		  size_t es)
{
	struct mdl_hdr **rules;
	struct nb_op *ops;
	size_t n, i;
	int rc;

	if ((rc = rules_of(o, gid, &rules, &n)))
		return rc;
	ops = calloc(n + 1, sizeof(*ops));
	if (!ops) {
		nb_list_free(rules, n);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		ops[i].kind = NB_OP_DELETE;
		ops[i].type = MDL_SECURITY_GROUP_RULE;
		snprintf(ops[i].id, sizeof(ops[i].id), "%s", rules[i]->id);
	}
	ops[n] = (struct nb_op){ .kind = NB_OP_DELETE, .type = MDL_SECURITY_GROUP,
				 .expected_mod_revision = mod };
	snprintf(ops[n].id, sizeof(ops[n].id), "%s", gid);
	rc = nb_apply(o->nb, ops, n + 1, rev, err, es);
	free(ops);
	nb_list_free(rules, n);
	return rc;
}

static json_t *rule_view(const struct mdl_hdr *h)
{
	json_t *v = mdl_obj_to_json(h), *attrs, *x;
	const char *key;

	if (!v)
		return NULL;
	attrs = json_incref(json_object_get(v, "attrs"));
	json_object_del(v, "attrs");
	json_object_del(v, "dp_key");
	json_object_foreach(attrs, key, x)
		if (!json_object_get(v, key) || !strcmp(key, "created_at") ||
		    !strcmp(key, "updated_at"))
			json_object_set(v, key, x);
	json_decref(attrs);
	json_object_set(v, "tenant_id", json_object_get(v, "project_id"));
	if (!json_object_get(v, "created_at"))
		json_object_set_new(v, "created_at", json_null());
	if (!json_object_get(v, "updated_at"))
		json_object_set_new(v, "updated_at", json_null());
	json_object_set_new(v, "remote_address_group_id", json_null());
	return v;
}

json_t *nbo_rule_view(const struct mdl_hdr *h)
{
	return rule_view(h);
}

/* Adds security_group_rules (the rule objects, then embedded rules). */
int nbo_sg_view(struct nbo *o, const struct mdl_hdr *h, json_t *v)
{
	const struct mdl_security_group *g = (const struct mdl_security_group *)h;
	json_t *arr = json_array(), *emb = json_incref(json_object_get(v, "security_group_rules"));
	struct mdl_hdr **rules;
	size_t n, i;
	json_t *x;

	if (!arr) {
		json_decref(emb);
		return -ENOMEM;
	}
	if (!rules_of(o, h->id, &rules, &n)) {
		for (i = 0; i < n; i++)
			json_array_append_new(arr, rule_view(rules[i]));
		nb_list_free(rules, n);
	}
	json_array_foreach(emb, i, x) {
		json_t *r = json_deep_copy(x);

		json_object_set_new(r, "security_group_id", json_string(h->id));
		json_object_set_new(r, "project_id", json_string(g->project_id));
		json_object_set_new(r, "tenant_id", json_string(g->project_id));
		json_array_append_new(arr, r);
	}
	json_decref(emb);
	return json_object_set_new(v, "security_group_rules", arr) ? -ENOMEM : 0;
}

/* ---- floating IPs ---- */

static int load_net(struct nbo *o, const char *id, struct mdl_hdr **h, struct nbo_err *e)
{
	int rc = mdl_uuid_valid(id) ? nb_get(nb_db(o->nb), MDL_NETWORK, id, h, NULL) : -ENOENT;

	if (rc == -ENOENT || rc == -EINVAL)
		return nbo_fail(e, -ENOENT, "NetworkNotFound", "Network %s could not be found.",
				id);
	return rc ? nbo_db_fail(e, rc, MDL_NETWORK, "read") : 0;
}

/* Addresses of floating IPs on network net other than self, into a JSON
 * array of strings. */
/* Addresses of an external network that are no port's: floating IPs and
 * router gateways (except object self's own). */
json_t *nbo_ext_addrs(struct nbo *o, const char *net, const char *self)
{
	json_t *a = json_array();
	struct mdl_hdr **fips, **rs;
	size_t n, i, k;

	if (a && !nb_find(o->nb, MDL_FLOATING_IP, NULL, &fips, &n)) {
		for (i = 0; i < n; i++) {
			const struct mdl_floating_ip *f = mdl_hdr_to_fip(fips[i]);

			if (!strcmp(f->floating_network_id, net) && strcmp(f->hdr.id, self))
				json_array_append_new(a, json_string(f->floating_ip_address));
		}
		nb_list_free(fips, n);
	}
	if (a && !nb_find(o->nb, MDL_ROUTER, NULL, &rs, &n)) {
		for (i = 0; i < n; i++) {
			const struct mdl_router *r = mdl_hdr_to_router(rs[i]);

			if (!r->has_gateway || strcmp(r->gateway.network_id, net) ||
			    !strcmp(r->hdr.id, self))
				continue;
			for (k = 0; k < r->gateway.n_external_fixed_ips; k++)
				json_array_append_new(a, json_string(
					r->gateway.external_fixed_ips[k].ip_address));
		}
		nb_list_free(rs, n);
	}
	return a;
}

/* Given gateway addresses must be free: no port's, no floating IP's, no
 * other router's (Neutron: 409 IpAddressAlreadyAllocated). */
static int gw_ips_free(struct nbo *o, const char *net, const char *self, const json_t *fx,
		       struct nbo_err *e)
{
	json_t *used = nbo_ext_addrs(o, net, self), *x, *u;
	size_t i, k;
	int rc = used ? 0 : -ENOMEM;

	json_array_foreach(fx, i, x) {
		const char *sid = json_string_value(json_object_get(x, "subnet_id"));
		const char *ip = json_string_value(json_object_get(x, "ip_address"));
		bool taken = false;

		if (rc || !ip)
			continue;
		json_array_foreach(used, k, u)
			taken |= !strcmp(json_string_value(u) ?: "", ip);
		if (!taken && sid && mdl_uuid_valid(sid))
			taken = nb_ip_used(o->nb, sid, ip) == 1;
		if (taken)
			rc = nbo_fail(e, -EADDRINUSE, "IpAddressAlreadyAllocated", "IP address %s "
				      "already allocated in subnet %s", ip, sid ? sid : net);
	}
	json_decref(used);
	return rc;
}

int nbo_router_gw_defaults(struct nbo *o, json_t *m, const char *self, struct nbo_err *e)
{
	json_t *gw = json_object_get(m, "external_gateway_info");
	const char *net = json_string_value(json_object_get(gw, "network_id"));
	json_t *fx = json_object_get(gw, "external_fixed_ips");
	struct mdl_hdr *nh = NULL;
	int rc;

	if (json_is_object(gw) && !json_object_size(gw)) {
		/* {} is no gateway, as in Neutron (tempest sends it) */
		json_object_set_new(m, "external_gateway_info", json_null());
		return 0;
	}
	if (!json_is_object(gw) || !net)
		return 0;
	if ((rc = load_net(o, net, &nh, e)))
		return rc;
	bool ext = mdl_hdr_to_network(nh)->external;
	mdl_obj_free(nh);
	if (!ext)               /* Neutron */
		return nbo_fail(e, -EINVAL, "BadRequest", "Bad router request: Network %s is "
				"not an external network", net);
	if (json_is_array(fx) && json_array_size(fx))
		return gw_ips_free(o, net, self, fx, e);        /* given: the model
								 * validates the rest */
	/* one address from the external network, as a gateway port would get */
	json_t *used = nbo_ext_addrs(o, net, self);
	json_t *tmp = json_pack("{s:s}", "network_id", net);
	uint64_t autos;
	rc = used && tmp ? nbo_port_ips(o, tmp, true, "", used, &autos, e) : -ENOMEM;
	if (!rc && !json_array_size(json_object_get(tmp, "fixed_ips")))
		rc = nbo_fail(e, -ENOSPC, "IpAddressGenerationFailure", "No more IP addresses "
			      "available on network %s.", net);
	if (!rc)
		json_object_set(gw, "external_fixed_ips", json_object_get(tmp, "fixed_ips"));
	json_decref(tmp);
	json_decref(used);
	return rc;
}

/* The router that can NAT for port p: gateway on net, an interface on one
 * of p's subnets. */
static int router_for(struct nbo *o, const char *net, const struct mdl_port *p, char *rid,
		      char *fixed, struct nbo_err *e)
{
	struct mdl_hdr **rs;
	size_t n, i, k, f;
	int rc;

	if ((rc = nb_find(o->nb, MDL_ROUTER, NULL, &rs, &n)))
		return nbo_db_fail(e, rc, MDL_ROUTER, "list routers");
	rc = -ENOENT;
	for (i = 0; i < n && rc; i++) {
		const struct mdl_router *r = mdl_hdr_to_router(rs[i]);

		if (!r->has_gateway || strcmp(r->gateway.network_id, net))
			continue;
		for (k = 0; k < r->n_interfaces && rc; k++)
			for (f = 0; f < p->n_fixed_ips && rc; f++)
				if (!strcmp(r->interfaces[k].subnet_id, p->fixed_ips[f].subnet_id) &&
				    (!fixed[0] || !strcmp(fixed, p->fixed_ips[f].ip_address))) {
					snprintf(rid, MDL_ID_SIZE, "%s", r->hdr.id);
					if (!fixed[0])
						snprintf(fixed, MDL_IP_SIZE, "%s",
							 p->fixed_ips[f].ip_address);
					rc = 0;
				}
	}
	nb_list_free(rs, n);
	if (rc)
		return nbo_fail(e, -ENOENT, "ExternalGatewayForFloatingIPNotFound", "External "
				"network %s is not reachable from subnet of port %s. Therefore, "
				"cannot associate Port %s with a Floating IP.", net, p->hdr.id,
				p->hdr.id);
	return 0;
}

/* A given floating IP address: the subnet of net it is in goes into m's
 * subnet_id (its claim key), as a port's address would be placed (a port
 * or gateway holding it: 409). */
static int fip_subnet(struct nbo *o, json_t *m, const char *net, const char *want,
		      struct nbo_err *e)
{
	json_t *tmp = json_pack("{s:s,s:[{s:s}]}", "network_id", net, "fixed_ips",
				"ip_address", want);
	json_t *sn = json_object_get(m, "subnet_id");
	uint64_t autos;
	int rc;

	if (!tmp)
		return -ENOMEM;
	if (json_is_string(sn))
		json_object_set(json_array_get(json_object_get(tmp, "fixed_ips"), 0), "subnet_id",
				sn);
	rc = nbo_port_ips(o, tmp, true, "", NULL, &autos, e);
	if (rc == -EADDRINUSE)
		rc = nbo_fail(e, rc, "IpAddressAlreadyAllocated", "IP address %s already "
			      "allocated in subnet of network %s", want, net);
	else if (rc == -EINVAL || rc == -ENOENT) {
		char why[sizeof(e->msg)];
		snprintf(why, sizeof(why), "%s", e->msg);
		rc = nbo_fail(e, -EINVAL, "BadRequest", "Bad floatingip request: %s", why);
	}
	if (!rc)
		json_object_set(m, "subnet_id", json_object_get(json_array_get(
			json_object_get(tmp, "fixed_ips"), 0), "subnet_id"));
	json_decref(tmp);
	return rc;
}

int nbo_fip_defaults(struct nbo *o, json_t *m, bool create, const char *self,
		     const json_t *avoid, struct nbo_err *e)
{
	const char *net = json_string_value(json_object_get(m, "floating_network_id"));
	json_t *jp = json_object_get(m, "port_id"), *used;
	struct mdl_hdr *nh = NULL, *ph = NULL;
	char rid[MDL_ID_SIZE] = "", fixed[MDL_IP_SIZE] = "";
	int rc;

	if (!net)
		return 0;       /* the model reports the missing field */
	if ((rc = load_net(o, net, &nh, e)))
		return rc;
	if (!mdl_hdr_to_network(nh)->external) {
		mdl_obj_free(nh);
		return nbo_fail(e, -EINVAL, "BadRequest", "Bad floatingip request: Network %s is "
				"not a valid external network.", net);
	}
	mdl_obj_free(nh);
	if (!jp || json_is_null(jp) || (json_is_string(jp) && !json_string_length(jp))) {
		json_object_set_new(m, "port_id", json_null());
		json_object_set_new(m, "fixed_ip_address", json_null());
		json_object_set_new(m, "router_id", json_null());
	} else if (json_is_string(jp)) {
		/* the port and its router first: nothing is allocated for a refusal */
		rc = mdl_uuid_valid(json_string_value(jp)) ?
		     nb_get(nb_db(o->nb), MDL_PORT, json_string_value(jp), &ph, NULL) : -ENOENT;
		if (rc == -ENOENT || rc == -EINVAL)
			return nbo_fail(e, -ENOENT, "PortNotFound", "Port %s could not be found.",
					json_string_value(jp));
		if (rc)
			return nbo_db_fail(e, rc, MDL_PORT, "read");
		if (json_is_string(json_object_get(m, "fixed_ip_address")))
			snprintf(fixed, sizeof(fixed), "%s",
				 json_string_value(json_object_get(m, "fixed_ip_address")));
		rc = router_for(o, net, mdl_hdr_to_port(ph), rid, fixed, e);
		mdl_obj_free(ph);
		if (rc)
			return rc;
		json_object_set_new(m, "fixed_ip_address", json_string(fixed));
		json_object_set_new(m, "router_id", json_string(rid));
	}
	used = nbo_ext_addrs(o, net, self);
	if (!used || (avoid && json_array_extend(used, (json_t *)avoid))) {
		json_decref(used);
		return -ENOMEM;
	}
	if (create && !json_object_get(m, "floating_ip_address")) {
		/* an address from the external network (from subnet_id when
		 * given), as a port would get one */
		json_t *tmp = json_pack("{s:s}", "network_id", net);
		json_t *sn = json_object_get(m, "subnet_id");
		uint64_t autos;

		if (tmp && json_is_string(sn))
			json_object_set_new(tmp, "fixed_ips", json_pack("[{s:O}]", "subnet_id", sn));
		rc = tmp ? nbo_port_ips(o, tmp, true, "", used, &autos, e) : -ENOMEM;
		if (!rc && !json_array_size(json_object_get(tmp, "fixed_ips")))
			rc = nbo_fail(e, -ENOSPC, "IpAddressGenerationFailure", "No more IP "
				      "addresses available on network %s.", net);
		if (!rc) {
			json_t *f0 = json_array_get(json_object_get(tmp, "fixed_ips"), 0);
			json_object_set(m, "floating_ip_address", json_object_get(f0, "ip_address"));
			json_object_set(m, "subnet_id", json_object_get(f0, "subnet_id"));
		}
		json_decref(tmp);
	} else if (create) {
		const char *want = json_string_value(json_object_get(m, "floating_ip_address"));
		size_t i;
		json_t *x;

		json_array_foreach(used, i, x)
			if (want && !strcmp(json_string_value(x), want))
				rc = nbo_fail(e, -EADDRINUSE, "IpAddressAlreadyAllocated", "IP "
					      "address %s already allocated in subnet of network "
					      "%s", want, net);
		if (!rc && want)
			rc = fip_subnet(o, m, net, want, e);
	}
	json_decref(used);
	return rc;
}
size_t nbo_fip_delete_ops(enum mdl_type t, const char *id, struct mdl_hdr **fips, size_t n,
			  struct nb_op *ops)
{
	size_t i, k = 0;

	/* Neutron: a port's floating IPs are disassociated when it goes, a
	 * network's unassociated floating IPs go with it */
	for (i = 0; i < n; i++) {
		struct mdl_floating_ip *f = mdl_hdr_to_fip(fips[i]);

		if (t == MDL_PORT && !strcmp(f->port_id, id)) {
			f->port_id[0] = f->fixed_ip_address[0] = f->router_id[0] = '\0';
			ops[k++] = (struct nb_op){ .kind = NB_OP_UPDATE, .obj = fips[i] };
		} else if (t == MDL_NETWORK && !strcmp(f->floating_network_id, id) &&
			   !f->port_id[0]) {
			ops[k] = (struct nb_op){ .kind = NB_OP_DELETE, .type = MDL_FLOATING_IP };
			snprintf(ops[k++].id, sizeof(ops[0].id), "%s", fips[i]->id);
		}
	}
	return k;
}
