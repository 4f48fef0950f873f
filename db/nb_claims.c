/* SPDX-License-Identifier: BSD-3-Clause
 * db/nb_claims.c — northbound: what an object claims (uniqueness keys) and whom it
 * refers to (back-reference keys).  Pure functions of the object; nb.c turns
 * them into compares and ops.  Addresses are canonicalised (lower-case MAC,
 * inet_ntop text) so "10.0.0.5" and a differently spelt equal address claim
 * the same key. */
#include "nb_priv.h"
#include "mdl_addr.h"
#include "mdl_sg.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nb_ref_guard_key(const char *id, char *buf, size_t size)
{
	snprintf(buf, size, NB_PREFIX "_ref/%s", id);
}

void nb_ref_key(const char *id, enum mdl_type rtype, const char *rid, char *buf,
		size_t size)
{
	snprintf(buf, size, NB_PREFIX "_ref/%s/%s/%s", id, mdl_type_name(rtype), rid);
}

int nb_default_sg_key(const char *project_id, char *buf, size_t size)
{
	if (!project_id)
		return -EINVAL;
	/* "" (no project) has a key of its own that no project id can take */
	if (!project_id[0])
		return snprintf(buf, size, NB_PREFIX "_uniq/default_sg/none");
	return snprintf(buf, size, NB_PREFIX "_uniq/default_sg/p/%s", project_id);
}

int nb_default_sg_get(struct db *db, const char *project_id, char id[MDL_ID_SIZE])
{
	char key[NB_KEY_SIZE];
	struct db_kv kv;
	const char *slash;
	int rc;

	if (!db || nb_default_sg_key(project_id, key, sizeof(key)) >= (int)sizeof(key))
		return -EINVAL;
	if ((rc = db_get(db, key, &kv)))
		return rc;
	slash = strchr(kv.value, '/');
	rc = slash && mdl_uuid_valid(slash + 1) ? 0 : -EIO;
	if (!rc)
		snprintf(id, MDL_ID_SIZE, "%s", slash + 1);
	db_kv_clear(&kv);
	return rc;
}

void nb_owner(const struct mdl_hdr *o, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", mdl_type_name(o->type), o->id);
}

static int push_claim(struct nb_claim **v, size_t *n, enum nb_claim_kind kind,
		      size_t idx, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int push_claim(struct nb_claim **v, size_t *n, enum nb_claim_kind kind,
		      size_t idx, const char *fmt, ...)
{
	struct nb_claim *nv = realloc(*v, (*n + 1) * sizeof(**v));
	va_list ap;
	size_t i;

	if (!nv)
		return -ENOMEM;
	*v = nv;
	va_start(ap, fmt);
	vsnprintf(nv[*n].key, sizeof(nv[*n].key), fmt, ap);
	va_end(ap);
	for (i = 0; i < *n; i++)        /* one port, same IP twice: one claim */
		if (!strcmp(nv[i].key, nv[*n].key))
			return 0;
	nv[*n].kind = kind;
	nv[*n].idx = idx;
	(*n)++;
	return 0;
}

int nb_obj_claims(const struct mdl_hdr *o, struct nb_claim **out, size_t *n)
{
	char ip[64], mac[MDL_MAC_SIZE];
	struct mdl_ip a;
	size_t i;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (o->type == MDL_PORT) {
		const struct mdl_port *p = (const struct mdl_port *)o;

		for (i = 0; i < sizeof(mac) - 1 && p->mac_address[i]; i++)
			mac[i] = (char)tolower((unsigned char)p->mac_address[i]);
		mac[i] = '\0';
		rc = push_claim(out, n, NB_CLAIM_MAC, 0, NB_PREFIX "_uniq/mac/%s/%s",
				p->network_id, mac);
		for (i = 0; !rc && i < p->n_fixed_ips; i++) {
			if (mdl_ip_parse(p->fixed_ips[i].ip_address, &a))
				continue;       /* single-object validation refuses it */
			mdl_ip_format(&a, ip, sizeof(ip));
			rc = push_claim(out, n, NB_CLAIM_IP, i, NB_PREFIX "_uniq/ip/%s/%s",
					p->fixed_ips[i].subnet_id, ip);
		}
	} else if (o->type == MDL_ROUTER) {
		/* its gateway addresses: no port may take them, nor they a
		 * port's (Neutron holds them in a router_gateway port) */
		const struct mdl_router *r = (const struct mdl_router *)o;

		for (i = 0; r->has_gateway && !rc && i < r->gateway.n_external_fixed_ips; i++) {
			const struct mdl_fixed_ip *f = &r->gateway.external_fixed_ips[i];

			if (!f->subnet_id[0] || mdl_ip_parse(f->ip_address, &a))
				continue;
			mdl_ip_format(&a, ip, sizeof(ip));
			rc = push_claim(out, n, NB_CLAIM_IP, i, NB_PREFIX "_uniq/ip/%s/%s",
					f->subnet_id, ip);
		}
	} else if (o->type == MDL_FLOATING_IP) {
		/* its address, in the subnet it came from: no port, gateway or
		 * other floating IP may take it */
		const struct mdl_floating_ip *f = (const struct mdl_floating_ip *)o;

		if (!f->subnet_id[0] || mdl_ip_parse(f->floating_ip_address, &a))
			return 0;
		mdl_ip_format(&a, ip, sizeof(ip));
		rc = push_claim(out, n, NB_CLAIM_IP, 0, NB_PREFIX "_uniq/ip/%s/%s", f->subnet_id, ip);
	} else if (o->type == MDL_SECURITY_GROUP) {
		const struct mdl_security_group *g = (const struct mdl_security_group *)o;
		char key[NB_KEY_SIZE];

		if (strcmp(g->name, "default"))
			return 0;
		nb_default_sg_key(g->project_id, key, sizeof(key));
		rc = push_claim(out, n, NB_CLAIM_SG_DEFAULT, 0, "%s", key);
	} else if (o->type == MDL_SECURITY_GROUP_RULE) {
		/* Neutron's "rule already exists": one rule object per group
		 * and allowed traffic, however it is spelt (mdl_sg_rule_same) */
		const struct mdl_security_group_rule *r = (const struct mdl_security_group_rule *)o;
		char fp[MDL_SG_FP_SIZE];

		if (mdl_sg_rule_fingerprint(&r->rule, fp, sizeof(fp)))
			return 0;       /* single-object validation refuses such lengths */
		rc = push_claim(out, n, NB_CLAIM_SG_RULE, 0, NB_PREFIX "_uniq/sgrule/%s/%s",
				r->security_group_id, fp);
	} else if (o->type == MDL_SUBNETPOOL) {
		const struct mdl_subnetpool *sp = (const struct mdl_subnetpool *)o;

		if (sp->is_default)
			rc = push_claim(out, n, NB_CLAIM_POOL_DEFAULT, 0, NB_PREFIX
					"_uniq/default_pool/%" PRId64, sp->ip_version);
	} else if (o->type == MDL_NETWORK) {
		const struct mdl_network *nw = (const struct mdl_network *)o;

		if (nw->segmentation_id < 0)
			return 0;
		if (!strcmp(nw->network_type, "vlan"))
			rc = push_claim(out, n, NB_CLAIM_SEGID, 0,
					NB_PREFIX "_uniq/segid/vlan/%s/%" PRId64,
					nw->physical_network, nw->segmentation_id);
		else if (!strcmp(nw->network_type, "vxlan") ||
			 !strcmp(nw->network_type, "geneve"))
			/* one key for both: they share the datapath's VNI space */
			rc = push_claim(out, n, NB_CLAIM_SEGID, 0,
					NB_PREFIX "_uniq/segid/vni/%" PRId64,
					nw->segmentation_id);
	}
	if (rc) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static int push_ref(struct nb_ref **v, size_t *n, const struct mdl_hdr *self,
		    enum mdl_type type, const char *id, bool exact)
{
	struct nb_ref *nv;
	size_t i;

	if (!id[0] || !strcmp(id, self->id))
		return 0;
	for (i = 0; i < *n; i++)
		if ((*v)[i].type == type && !strcmp((*v)[i].id, id)) {
			(*v)[i].exact |= exact;
			return 0;
		}
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n].type = type;
	snprintf(nv[*n].id, sizeof(nv[*n].id), "%s", id);
	nv[*n].exact = exact;
	(*n)++;
	return 0;
}

int nb_obj_refs(const struct mdl_hdr *o, struct nb_ref **out, size_t *n)
{
	size_t i;
	int rc = 0;

	*out = NULL;
	*n = 0;
	switch (o->type) {
	case MDL_SUBNET:
		rc = push_ref(out, n, o, MDL_NETWORK,
			      ((const struct mdl_subnet *)o)->network_id, false);
		if (!rc)        /* a pool's prefixes only grow: presence is enough */
			rc = push_ref(out, n, o, MDL_SUBNETPOOL,
				      ((const struct mdl_subnet *)o)->subnetpool_id, false);
		break;
	case MDL_PORT: {
		const struct mdl_port *p = (const struct mdl_port *)o;

		rc = push_ref(out, n, o, MDL_NETWORK, p->network_id, false);
		for (i = 0; !rc && i < p->n_fixed_ips; i++)   /* cidr containment */
			rc = push_ref(out, n, o, MDL_SUBNET, p->fixed_ips[i].subnet_id, true);
		for (i = 0; !rc && i < p->n_security_groups; i++)
			rc = push_ref(out, n, o, MDL_SECURITY_GROUP, p->security_groups[i],
				      false);
		break;
	}
	case MDL_ROUTER: {
		const struct mdl_router *r = (const struct mdl_router *)o;

		for (i = 0; !rc && i < r->n_interfaces; i++) {
			rc = push_ref(out, n, o, MDL_SUBNET, r->interfaces[i].subnet_id, false);
			if (!rc)
				rc = push_ref(out, n, o, MDL_PORT, r->interfaces[i].port_id,
					      false);
		}
		if (!rc && r->has_gateway)
			rc = push_ref(out, n, o, MDL_NETWORK, r->gateway.network_id, false);
		break;
	}
	case MDL_FLOATING_IP: {
		const struct mdl_floating_ip *f = (const struct mdl_floating_ip *)o;

		rc = push_ref(out, n, o, MDL_NETWORK, f->floating_network_id, false);
		if (!rc)
			rc = push_ref(out, n, o, MDL_PORT, f->port_id, false);
		if (!rc)
			rc = push_ref(out, n, o, MDL_ROUTER, f->router_id, false);
		break;
	}
	case MDL_SECURITY_GROUP_RULE: {
		const struct mdl_security_group_rule *sr =
			(const struct mdl_security_group_rule *)o;

		rc = push_ref(out, n, o, MDL_SECURITY_GROUP, sr->security_group_id, false);
		if (!rc)
			rc = push_ref(out, n, o, MDL_SECURITY_GROUP, sr->rule.remote_group_id,
				      false);
		break;
	}
	case MDL_SECURITY_GROUP: {
		const struct mdl_security_group *g = (const struct mdl_security_group *)o;

		for (i = 0; !rc && i < g->n_rules; i++)
			rc = push_ref(out, n, o, MDL_SECURITY_GROUP,
				      g->rules[i].remote_group_id, false);
		break;
	}
	default:
		break;
	}
	if (rc) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int nb_claim_err(const struct mdl_hdr *o, const struct nb_claim *c, const char *owner,
		 char *err, size_t es)
{
	const char *oid = strchr(owner, '/');

	int tl = oid ? (int)(oid - owner) : 4;

	oid = oid ? oid + 1 : owner;
	if (c->kind == NB_CLAIM_IP && o->type == MDL_ROUTER) {
		const struct mdl_router *r = (const struct mdl_router *)o;

		return nb_errf(err, es, -EADDRINUSE, "external_gateway_info.external_fixed_ips[%zu]"
			       ".ip_address: %s is already used by %.*s %s", c->idx,
			       r->gateway.external_fixed_ips[c->idx].ip_address, tl, owner, oid);
	}
	if (c->kind == NB_CLAIM_IP && o->type == MDL_FLOATING_IP) {
		const struct mdl_floating_ip *f = (const struct mdl_floating_ip *)o;

		return nb_errf(err, es, -EADDRINUSE, "floating_ip_address: %s is already used by "
			       "%.*s %s", f->floating_ip_address, tl, owner, oid);
	}
	if (c->kind == NB_CLAIM_MAC) {
		const struct mdl_port *p = (const struct mdl_port *)o;

		return nb_errf(err, es, -EADDRINUSE,
			       "mac_address: %s is already used by port %s in network %s",
			       p->mac_address, oid, p->network_id);
	}
	if (c->kind == NB_CLAIM_IP) {
		const struct mdl_port *p = (const struct mdl_port *)o;

		return nb_errf(err, es, -EADDRINUSE,
			       "fixed_ips[%zu].ip_address: %s is already used by %.*s %s in network %s",
			       c->idx, p->fixed_ips[c->idx].ip_address, tl, owner, oid,
			       p->network_id);
	}
	if (c->kind == NB_CLAIM_POOL_DEFAULT)
		return nb_errf(err, es, -EADDRINUSE, "is_default: subnetpool %s is already the "
			       "default of IPv%" PRId64, oid,
			       ((const struct mdl_subnetpool *)o)->ip_version);
	if (c->kind == NB_CLAIM_SG_DEFAULT) {
		const struct mdl_security_group *g = (const struct mdl_security_group *)o;

		return nb_errf(err, es, -EADDRINUSE,
			       "name: project '%s' already has a default security group (%s)",
			       g->project_id, oid);
	}
	if (c->kind == NB_CLAIM_SG_RULE)
		return nb_errf(err, es, -EEXIST, "security group %s already has this rule: %s",
			       ((const struct mdl_security_group_rule *)o)->security_group_id, oid);
	return nb_errf(err, es, -EADDRINUSE,
		       "provider:segmentation_id: %" PRId64 " is already used by network %s",
		       ((const struct mdl_network *)o)->segmentation_id, oid);
}

static bool eq(const char *want, const char *have)
{
	return !want || !want[0] || !strcmp(want, have);
}

bool nb_filter_match(const struct mdl_hdr *o, const struct nb_filter *f)
{
	const struct mdl_port *p;
	struct mdl_ip a, b;
	bool ip_ok = false;
	size_t i;

	if (!f)
		return true;
	if (o->type == MDL_SECURITY_GROUP_RULE)
		return eq(f->security_group_id,
			  ((const struct mdl_security_group_rule *)o)->security_group_id);
	if (o->type == MDL_SUBNET)
		return eq(f->network_id, ((const struct mdl_subnet *)o)->network_id);
	if (o->type != MDL_PORT)
		return true;
	p = (const struct mdl_port *)o;
	if (!eq(f->network_id, p->network_id) || !eq(f->device_id, p->device_id) ||
	    !eq(f->device_owner, p->device_owner) ||
	    (f->mac_address && f->mac_address[0] &&
	     strcasecmp(f->mac_address, p->mac_address)))
		return false;
	if ((!f->subnet_id || !f->subnet_id[0]) && (!f->ip_address || !f->ip_address[0]))
		return true;
	if (f->ip_address && f->ip_address[0] && mdl_ip_parse(f->ip_address, &a))
		return false;
	for (i = 0; i < p->n_fixed_ips && !ip_ok; i++)
		ip_ok = eq(f->subnet_id, p->fixed_ips[i].subnet_id) &&
			(!f->ip_address || !f->ip_address[0] ||
			 (!mdl_ip_parse(p->fixed_ips[i].ip_address, &b) && !mdl_ip_cmp(&a, &b)));
	return ip_ok;
}
