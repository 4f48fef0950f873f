/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nbo.c — Neutron operations on an nb handle (nbo.h): the
 * attribute tables (which body attributes go to the model, which to
 * "attrs", which are read-only or immutable), create / show / update /
 * delete / list, and the mapping of nb errors onto Neutron error types.
 * Defaults and allocations are in nbo_alloc.c, the views in nbo_view.c,
 * router interfaces and tags in nbo_router.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mdl_addr.h"
#include "nb_sg.h"
#include "nbo.h"

#define A_EXT 1u        /* kept in attrs (the model does not interpret it) */
#define A_RO 2u         /* never in a body */
#define A_IMM 4u        /* create only */
#define A_PROJ 8u       /* project_id / tenant_id */

struct nbo_attr {
	const char *name;
	unsigned flags;
	json_type jtype;        /* A_EXT: expected JSON type (JSON_NULL: any) */
};

static const struct nbo_attr common_attrs[] = {
	{ "id", A_RO, JSON_NULL },
	{ "dp_key", A_RO, JSON_NULL },
	{ "attrs", A_RO, JSON_NULL },
	{ "status", A_RO, JSON_NULL },
	{ "revision_number", A_RO, JSON_NULL },
	{ "created_at", A_RO, JSON_NULL },
	{ "updated_at", A_RO, JSON_NULL },
	{ "project_id", A_IMM | A_PROJ, JSON_STRING },
	{ "tenant_id", A_IMM | A_PROJ, JSON_STRING },
	{ "description", A_EXT, JSON_STRING },
	{ "tags", A_EXT, JSON_ARRAY },
	{ NULL, 0, JSON_NULL }
};

static const struct nbo_attr network_attrs[] = {
	{ "subnets", A_RO, JSON_NULL },
	{ "availability_zones", A_RO, JSON_NULL },
	{ "ipv4_address_scope", A_RO, JSON_NULL },
	{ "ipv6_address_scope", A_RO, JSON_NULL },
	{ "provider:network_type", A_IMM, JSON_NULL },
	{ "provider:physical_network", A_IMM, JSON_NULL },
	{ "provider:segmentation_id", A_IMM, JSON_NULL },
	{ "shared", A_EXT, JSON_TRUE },
	{ "port_security_enabled", A_EXT, JSON_TRUE },
	{ "availability_zone_hints", A_EXT, JSON_ARRAY },
	{ NULL, 0, JSON_NULL }
};

static const struct nbo_attr subnet_attrs[] = {
	{ "network_id", A_IMM, JSON_NULL },
	{ "cidr", A_IMM, JSON_NULL },
	{ "ip_version", A_IMM, JSON_NULL },
	{ "ipv6_address_mode", A_IMM, JSON_NULL },
	{ "ipv6_ra_mode", A_IMM, JSON_NULL },
	{ "subnetpool_id", A_IMM, JSON_NULL },  /* nbo_pool.c reads these three */
	{ "prefixlen", A_IMM, JSON_NULL },
	{ "use_default_subnetpool", A_IMM, JSON_NULL },
	{ "segment_id", A_RO, JSON_NULL },
	{ "service_types", A_EXT, JSON_ARRAY },
	{ NULL, 0, JSON_NULL }
};

static const struct nbo_attr port_attrs[] = {
	{ "network_id", A_IMM, JSON_NULL },
	{ "binding:vif_type", A_RO, JSON_NULL },
	{ "binding:vif_details", A_RO, JSON_NULL },
	{ "binding:vnic_type", A_EXT, JSON_STRING },
	{ "binding:profile", A_EXT, JSON_OBJECT },
	{ "extra_dhcp_opts", A_EXT, JSON_ARRAY },
	{ NULL, 0, JSON_NULL }
};

static const struct nbo_attr router_attrs[] = {
	{ "interfaces", A_RO, JSON_NULL },
	{ "availability_zones", A_RO, JSON_NULL },
	{ "availability_zone_hints", A_EXT, JSON_ARRAY },
	{ NULL, 0, JSON_NULL }
};

static const struct nbo_attr sg_attrs[] = {
	{ "security_group_rules", A_RO, JSON_NULL },
	{ "shared", A_RO, JSON_NULL },
	{ NULL, 0, JSON_NULL }
};

static const struct nbo_attr sg_rule_attrs[] = {
	{ "security_group_id", A_IMM, JSON_NULL },
	{ "direction", A_IMM, JSON_NULL },
	{ "ethertype", A_IMM, JSON_NULL },
	{ "protocol", A_IMM, JSON_NULL },
	{ "port_range_min", A_IMM, JSON_NULL },
	{ "port_range_max", A_IMM, JSON_NULL },
	{ "remote_ip_prefix", A_IMM, JSON_NULL },
	{ "remote_group_id", A_IMM, JSON_NULL },
	{ "remote_address_group_id", A_RO, JSON_NULL },
	{ "description", 0, JSON_NULL },        /* a model field of rules */
	{ NULL, 0, JSON_NULL }
};

static const struct nbo_attr fip_attrs[] = {
	{ "floating_network_id", A_IMM, JSON_NULL },
	{ "floating_ip_address", A_IMM, JSON_NULL },
	{ "subnet_id", A_IMM, JSON_NULL },
	{ "router_id", A_RO, JSON_NULL },
	{ NULL, 0, JSON_NULL }
};

static const struct nbo_attr pool_attrs[] = {
	{ "ip_version", A_RO, JSON_NULL },      /* derived from the prefixes */
	{ "shared", A_IMM, JSON_NULL },
	{ NULL, 0, JSON_NULL }
};

static const struct nbo_attr none_attrs[] = { { NULL, 0, JSON_NULL } };

static const struct nbo_attr *type_attrs(enum mdl_type t)
{
	switch (t) {
	case MDL_NETWORK: return network_attrs;
	case MDL_SUBNET: return subnet_attrs;
	case MDL_PORT: return port_attrs;
	case MDL_ROUTER: return router_attrs;
	case MDL_SECURITY_GROUP: return sg_attrs;
	case MDL_SECURITY_GROUP_RULE: return sg_rule_attrs;
	case MDL_FLOATING_IP: return fip_attrs;
	case MDL_SUBNETPOOL: return pool_attrs;
	default: return none_attrs;
	}
}

static const struct nbo_attr *attr_find(enum mdl_type t, const char *name)
{
	const struct nbo_attr *a;

	for (a = type_attrs(t); a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	for (a = common_attrs; a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

int nbo_fail(struct nbo_err *e, int rc, const char *type, const char *fmt, ...)
{
	va_list ap;

	snprintf(e->type, sizeof(e->type), "%s", type);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return rc;
}

static int not_found(struct nbo_err *e, enum mdl_type t, const char *id)
{
	char ty[64];

	snprintf(ty, sizeof(ty), "%sNotFound", nbo_title(t));
	return nbo_fail(e, -ENOENT, ty, "%s %s could not be found.", nbo_words(t), id);
}

int nbo_db_fail(struct nbo_err *e, int rc, enum mdl_type type, const char *msg)
{
	char t[64];

	switch (rc) {
	case -EINVAL:
		if (strstr(msg, ": unknown field")) {
			size_t n = strcspn(msg, ":");

			return nbo_fail(e, rc, "HTTPBadRequest", "Unrecognized attribute(s) '%.*s'",
					(int)n, msg);
		}
		if (strstr(msg, "does not exist")) {
			/* a dangling reference: "network_id: network X does not exist" */
			const char *p = strstr(msg, ": ");
			char rt[32] = "", rid[MDL_ID_SIZE] = "";

			if (p && sscanf(p + 2, "%31s %36s", rt, rid) == 2) {
				int ty = mdl_type_from_name(rt);

				if (ty >= 0) {
					snprintf(t, sizeof(t), "%sNotFound", nbo_title(ty));
					return nbo_fail(e, -ENOENT, t, "%s %s could not be found.",
							nbo_words(ty), rid);
				}
			}
		}
		return nbo_fail(e, rc, "InvalidInput", "Invalid input for operation: %s.", msg);
	case -ENOENT:
		snprintf(t, sizeof(t), "%sNotFound", nbo_title(type));
		return nbo_fail(e, rc, t, "%s", msg);
	case -EADDRINUSE:
		if (strstr(msg, " of subnetpool "))     /* a requested cidr (nbo_pool.c) */
			return nbo_fail(e, -EINVAL, "SubnetAllocationError", "Failed to allocate "
					"subnet: Cannot allocate requested subnet from the "
					"available set of prefixes.");
		if (!strncmp(msg, "is_default", 10))
			return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for operation: "
					"A default subnetpool for this IP family has already been "
					"set. Only one default may exist per IP family.");
		if (!strncmp(msg, "mac_address", 11))
			return nbo_fail(e, rc, "MacAddressInUse",
					"Unable to complete operation for network. %s.", msg);
		if (!strncmp(msg, "fixed_ips", 9) || !strncmp(msg, "floating_ip_address", 19) ||
		    !strncmp(msg, "external_gateway_info", 21))
			return nbo_fail(e, rc, "IpAddressAlreadyAllocated", "%s.", msg);
		if (!strncmp(msg, "cidr", 4)) {
			/* Neutron: 400 InvalidInput with this text, which clients
			 * (tempest's create_subnet) match to try the next cidr */
			char c[MDL_CIDR_SIZE] = "", net[MDL_ID_SIZE] = "";
			const char *n = strstr(msg, " in network ");

			sscanf(msg, "cidr: %63s", c);
			if (n)
				sscanf(n + 12, "%36s", net);
			return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for operation: "
					"Requested subnet with cidr: %s for network: %s overlaps "
					"with another subnet.", c, net);
		}
		return nbo_fail(e, rc, "SegmentationIdInUse", "%s.", msg);
	case -EBUSY:
		snprintf(t, sizeof(t), "%sInUse", nbo_title(type));
		return nbo_fail(e, rc, t, "Unable to complete operation on %s: %s.",
				nbo_singular(type), msg);
	case -EEXIST: {
		const char *dup = strstr(msg, "already has this rule: ");

		if (dup)        /* the rule's claim (db/nb_claims.c) */
			return nbo_fail(e, rc, "SecurityGroupRuleExists", "Security group rule "
					"already exists. Rule id is %.36s.", dup + 23);
		return nbo_fail(e, rc, "Conflict", "%s", msg);
	}
	case -EAGAIN:
		return nbo_fail(e, rc, "Conflict", "%s", msg[0] ? msg : "changed meanwhile");
	default:
		return nbo_fail(e, rc, "ServiceUnavailable", "database: %s (%s)",
				msg[0] ? msg : "error", strerror(-rc));
	}
}

void nbo_now(char buf[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int load(struct nbo *o, enum mdl_type t, const char *id, struct mdl_hdr **h,
		uint64_t *mod, struct nbo_err *e)
{
	int rc;

	*h = NULL;
	if (!id || !mdl_uuid_valid(id))
		return not_found(e, t, id ? id : "");
	rc = nb_get(nb_db(o->nb), t, id, h, mod);
	if (rc == -ENOENT || rc == -EINVAL)
		return not_found(e, t, id);
	if (rc)
		return nbo_db_fail(e, rc, t, "read");
	return 0;
}

/* Checks an attrs value's type and shape. */
static int ext_check(const struct nbo_attr *a, const char *key, json_t *v, struct nbo_err *e)
{
	size_t i;
	json_t *x;

	if (a->jtype == JSON_TRUE ? !json_is_boolean(v) : json_typeof(v) != a->jtype)
		return nbo_fail(e, -EINVAL, "InvalidInput",
				"Invalid input for %s. Reason: '%s' has the wrong type.", key, key);
	if (!strcmp(key, "description") && strlen(json_string_value(v)) > 255)
		return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for description. "
				"Reason: longer than 255 characters.");
	if (!strcmp(key, "binding:vnic_type")) {
		static const char *const ok[] = { "normal", "direct", "macvtap", "baremetal",
			"direct-physical", "virtio-forwarder", "smart-nic", "vdpa",
			"remote-managed", NULL };
		for (i = 0; ok[i] && strcmp(ok[i], json_string_value(v)); i++)
			;
		if (!ok[i])
			return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for "
					"binding:vnic_type. Reason: '%s' is not in the valid values.",
					json_string_value(v));
	}
	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, x) {
		if (!strcmp(key, "extra_dhcp_opts")) {
			json_t *n = json_object_get(x, "opt_name"), *val = json_object_get(x, "opt_value");
			json_t *ipv = json_object_get(x, "ip_version");
			const char *k;
			json_t *y;

			if (!json_is_object(x) || !json_is_string(n) || !json_string_length(n) ||
			    (val && !json_is_string(val) && !json_is_null(val)) ||
			    (ipv && !json_is_null(ipv) && json_integer_value(ipv) != 4 &&
			     json_integer_value(ipv) != 6))
				return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for "
						"extra_dhcp_opts. Reason: entry %zu needs opt_name, "
						"opt_value and ip_version 4 or 6.", i);
			json_object_foreach(x, k, y)
				if (strcmp(k, "opt_name") && strcmp(k, "opt_value") &&
				    strcmp(k, "ip_version"))
					return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input "
							"for extra_dhcp_opts. Reason: unknown key "
							"'%s'.", k);
		} else if (!json_is_string(x) || json_string_length(x) > 255 ||
			   (!strcmp(key, "tags") && (json_string_length(x) > 60 ||
						      !json_string_length(x) ||
						      strchr(json_string_value(x), ',')))) {
			return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for %s. Reason: "
					"entry %zu is not a valid string.", key, i);
		}
	}
	return 0;
}

/* Splits a body into the model JSON m and its attrs.  cur: the current
 * model JSON on update (immutable attributes must stay equal), NULL on
 * create.  *project: the project named in the body ("" none). */
static int split_body(enum mdl_type t, const json_t *body, const json_t *cur, json_t *m,
		      json_t *attrs, char *project, size_t psize, struct nbo_err *e)
{
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(body))
		return nbo_fail(e, -EINVAL, "HTTPBadRequest", "Resource body required");
	json_object_foreach((json_t *)body, key, v) {
		const struct nbo_attr *a = attr_find(t, key);

		/* the model reads a negative nullable integer as null: no Neutron
		 * attribute takes a negative number, so say so instead */
		if (json_is_integer(v) && json_integer_value(v) < 0)
			return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for %s. "
					"Reason: %" JSON_INTEGER_FORMAT " is negative.", key,
					json_integer_value(v));

		if (a && (a->flags & A_RO))
			return nbo_fail(e, -EINVAL, "HTTPBadRequest", "Attribute '%s' not allowed "
					"in %s", key, cur ? "PUT" : "POST");
		if (a && (a->flags & A_PROJ)) {
			if (!json_is_string(v) || json_string_length(v) >= psize)
				return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for %s.",
						key);
			if (cur) {
				if (strcmp(json_string_value(v), json_string_value(
						   json_object_get(cur, "project_id"))))
					return nbo_fail(e, -EINVAL, "HTTPBadRequest", "Cannot "
							"update read-only attribute %s", key);
				continue;
			}
			if (project[0] && strcmp(project, json_string_value(v)))
				return nbo_fail(e, -EINVAL, "HTTPBadRequest", "project_id and "
						"tenant_id do not match");
			snprintf(project, psize, "%s", json_string_value(v));
			continue;
		}
		if (cur && a && (a->flags & A_IMM) &&
		    !json_equal(v, json_object_get(cur, key)))
			return nbo_fail(e, -EINVAL, "HTTPBadRequest", "Cannot update read-only "
					"attribute %s", key);
		if (a && (a->flags & A_EXT)) {
			if ((rc = ext_check(a, key, v, e)))
				return rc;
			if (json_object_set(attrs, key, v))
				return -ENOMEM;
		} else if (json_object_set(m, key, v)) {
			return -ENOMEM;
		}
	}
	return 0;
}

static struct mdl_hdr *decode(enum mdl_type t, json_t *m, struct nbo_err *e, int *rc)
{
	char err[MDL_ERR_SIZE];
	struct mdl_hdr *h = mdl_obj_from_json(t, m, err, sizeof(err));

	if (!h)
		*rc = nbo_db_fail(e, -EINVAL, t, err);
	return h;
}

static int refs_exist(struct nbo *o, enum mdl_type t, const json_t *m, struct nbo_err *e)
{
	const char *net = json_string_value(json_object_get(m, "network_id"));
	struct mdl_hdr *h;
	int rc;

	if ((t != MDL_SUBNET && t != MDL_PORT) || !net)
		return 0;
	if ((rc = load(o, MDL_NETWORK, net, &h, NULL, e)))
		return rc;
	mdl_obj_free(h);
	return 0;
}

static void wait_rev(struct nbo *o, uint64_t rev)
{
	if (rev)
		(void)nb_index_wait(o->nb, rev, 3000);
}

/* The fixed_ips index k of an "already used" message, or -1. */
static int lost_ip(const char *msg, char *ip, size_t size)
{
	unsigned k;
	char a[MDL_IP_SIZE];

	if (sscanf(msg, "fixed_ips[%u].ip_address: %63s is already used", &k, a) != 2)
		return -1;
	snprintf(ip, size, "%s", a);
	return (int)k;
}

int nbo_create(struct nbo *o, enum mdl_type t, const json_t *body, const char *caller,
	       json_t **out, struct nbo_err *e)
{
	char project[MDL_NAME_SIZE] = "", now[32], err[MDL_ERR_SIZE];
	json_t *m0 = json_object(), *attrs = json_object(), *avoid_ips = json_array();
	int64_t avoid[32];
	size_t n_avoid = 0;
	uint64_t rev = 0;
	int rc = 0, attempt;
	const json_t *sgs;
	bool no_groups;

	*out = NULL;
	e->type[0] = e->msg[0] = '\0';
	if (!m0 || !attrs || !avoid_ips) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = split_body(t, body, NULL, m0, attrs, project, sizeof(project), e)))
		goto out;
	if (!project[0])
		snprintf(project, sizeof(project), "%s",
			 caller && caller[0] ? caller : o->cfg.default_project);
	nbo_now(now);
	json_object_set_new(attrs, "created_at", json_string(now));
	json_object_set_new(attrs, "updated_at", json_string(now));
	if (json_object_set_new(m0, "project_id", json_string(project)) ||
	    json_object_set(m0, "attrs", attrs)) {
		rc = -ENOMEM;
		goto out;
	}
	if ((t == MDL_SUBNET && (rc = nbo_subnet_defaults(o, m0, e))) ||
	    (t == MDL_SUBNETPOOL && (rc = nbo_pool_prepare(m0, e))))
		goto out;
	if ((rc = refs_exist(o, t, m0, e)))
		goto out;
	/* "security_groups": [] asks for none (Neutron): no default group */
	sgs = json_object_get(body, "security_groups");
	no_groups = t == MDL_PORT && json_is_array(sgs) && !json_array_size(sgs);
	for (attempt = 0; attempt < 64; attempt++) {
		json_t *m = json_deep_copy(m0);
		uint64_t auto_ips = 0;
		struct mdl_hdr *h = NULL;
		json_t *rules = NULL;
		char ip[MDL_IP_SIZE];
		int k;

		if (!m) {
			rc = -ENOMEM;
			break;
		}
		if (t == MDL_NETWORK)
			rc = nbo_net_defaults(o, m, avoid, n_avoid, e);
		else if (t == MDL_PORT)
			rc = nbo_port_ips(o, m, true, "", avoid_ips, &auto_ips, e);
		else if (t == MDL_FLOATING_IP)
			rc = nbo_fip_defaults(o, m, true, "", avoid_ips, e);
		else if (t == MDL_ROUTER)
			rc = nbo_router_gw_defaults(o, m, "", e);
		else if (t == MDL_SUBNET)       /* a cidr from its pool, if any */
			rc = nbo_subnet_pool(o, m, avoid_ips, e);
		if (!rc)
			h = decode(t, m, e, &rc);
		json_decref(m);
		if (rc)
			break;
		if (t == MDL_SECURITY_GROUP)
			rc = nbo_sg_create(o, h, &rev, err, sizeof(err), &rules);
		else if (t == MDL_PORT && !no_groups)  /* + its project's default group */
			rc = nb_sg_port_create(o->nb, mdl_hdr_to_port(h), &rev, err, sizeof(err));
		else
			rc = nb_h_create(o->nb, h, &rev, err, sizeof(err));
		if (rc == -EADDRINUSE && t == MDL_PORT && (k = lost_ip(err, ip, sizeof(ip))) >= 0 &&
		    k < 64 && (auto_ips & (1ull << k))) {
			json_array_append_new(avoid_ips, json_string(ip));
			mdl_obj_free(h);
			continue;       /* an allocated address lost a race: the next one */
		}
		if (rc == -EADDRINUSE && t == MDL_FLOATING_IP && !json_is_string(json_object_get(
			    m0, "floating_ip_address")) && json_array_size(avoid_ips) < 64 &&
		    !strncmp(err, "floating_ip_address", 19)) {
			/* an allocated address lost a race: the next one */
			json_array_append_new(avoid_ips, json_string(
				mdl_hdr_to_fip(h)->floating_ip_address));
			mdl_obj_free(h);
			continue;
		}
		if (rc == -EADDRINUSE && t == MDL_SUBNET && nbo_pool_retry(m0, h, err, avoid_ips)) {
			mdl_obj_free(h);
			continue;       /* a block of the pool taken meanwhile: the next one */
		}
		if (rc == -EADDRINUSE && t == MDL_NETWORK && n_avoid < 32 &&
		    !json_is_integer(json_object_get(m0, "provider:segmentation_id")) &&
		    !strncmp(err, "provider:segmentation_id", 24)) {
			avoid[n_avoid++] = mdl_hdr_to_network(h)->segmentation_id;
			mdl_obj_free(h);
			continue;
		}
		if (rc) {
			rc = nbo_db_fail(e, rc, t, err);
		} else {
			wait_rev(o, rev);       /* the view reads the index (rules, subnets) */
			if (rev)                /* and this object, whatever the event order */
				(void)nb_index_wait_obj(o->nb, h->id, rev, false, 3000);
			*out = nbo_view(o, h);
			if (*out && rules)
				json_object_set(*out, "security_group_rules", rules);
		}
		if (!rc && !*out)
			rc = -ENOMEM;
		json_decref(rules);
		mdl_obj_free(h);
		break;
	}
	if (rc == 0 && !*out)
		rc = nbo_fail(e, -EAGAIN, "Conflict", "too much contention, try again");
	wait_rev(o, rev);
out:
	json_decref(m0);
	json_decref(attrs);
	json_decref(avoid_ips);
	if (rc == -ENOMEM && !e->type[0])
		nbo_fail(e, rc, "ServiceUnavailable", "out of memory");
	return rc;
}

int nbo_show(struct nbo *o, enum mdl_type t, const char *id, json_t **out, struct nbo_err *e)
{
	struct mdl_hdr *h;
	int rc;

	*out = NULL;
	if (t == MDL_PORT && nbo_gw_port_find(o, id, out) == 0)
		return *out ? 0 : nbo_fail(e, -ENOMEM, "ServiceUnavailable", "out of memory");
	if ((rc = load(o, t, id, &h, NULL, e)))
		return rc;
	*out = nbo_view(o, h);
	mdl_obj_free(h);
	return *out ? 0 : nbo_fail(e, -ENOMEM, "ServiceUnavailable", "out of memory");
}

int nbo_update(struct nbo *o, enum mdl_type t, const char *id, const json_t *body,
	       uint64_t if_match, json_t **out, struct nbo_err *e)
{
	char err[MDL_ERR_SIZE], now[32], project[MDL_NAME_SIZE] = "";
	json_t *avoid_ips = json_array();
	uint64_t mod, rev = 0;
	int rc = -EAGAIN, attempt;

	*out = NULL;
	e->type[0] = e->msg[0] = '\0';
	if (t == MDL_PORT && (rc = nbo_gw_port_refuse(o, id, false, e))) {
		json_decref(avoid_ips);
		return rc;
	}
	rc = -EAGAIN;
	for (attempt = 0; attempt < 16 && rc == -EAGAIN; attempt++) {
		struct mdl_hdr *h, *nh = NULL;
		json_t *m, *attrs;
		uint64_t auto_ips = 0;
		char ip[MDL_IP_SIZE];
		int k;

		if ((rc = load(o, t, id, &h, &mod, e)))
			break;
		if (if_match && h->version != if_match) {
			rc = nbo_fail(e, -ECANCELED, "RevisionNumberConstraintFailed",
				      "Constrained to %llu, but current revision is %llu",
				      (unsigned long long)if_match,
				      (unsigned long long)h->version);
			mdl_obj_free(h);
			break;
		}
		m = mdl_obj_to_json(h);
		mdl_obj_free(h);
		attrs = m ? json_object_get(m, "attrs") : NULL;
		if (m && !attrs) {
			attrs = json_object();
			json_object_set_new(m, "attrs", attrs);
		}
		if (!m || !attrs) {
			json_decref(m);
			rc = -ENOMEM;
			break;
		}
		rc = t == MDL_SUBNETPOOL ? nbo_pool_grow(m, body, e) : 0;
		if (!rc)
			rc = split_body(t, body, m, m, attrs, project, sizeof(project), e);
		if (!rc && t == MDL_SUBNETPOOL)
			rc = nbo_pool_prepare(m, e);
		nbo_now(now);
		json_object_set_new(attrs, "updated_at", json_string(now));
		if (!rc && t == MDL_PORT && json_object_get(body, "fixed_ips"))
			rc = nbo_port_ips(o, m, false, id, avoid_ips, &auto_ips, e);
		if (!rc && t == MDL_FLOATING_IP && json_object_get(body, "port_id")) {
			/* a new port: its address, unless the request names one */
			if (!json_object_get(body, "fixed_ip_address"))
				json_object_del(m, "fixed_ip_address");
			rc = nbo_fip_defaults(o, m, false, id, NULL, e);
		}
		if (!rc && t == MDL_ROUTER && json_object_get(body, "external_gateway_info"))
			rc = nbo_router_gw_defaults(o, m, id, e);
		if (!rc)
			nh = decode(t, m, e, &rc);
		json_decref(m);
		if (rc)
			break;
		rc = nb_h_update(o->nb, nh, mod, &rev, err, sizeof(err));
		if (rc == -EADDRINUSE && t == MDL_PORT && (k = lost_ip(err, ip, sizeof(ip))) >= 0 &&
		    k < 64 && (auto_ips & (1ull << k))) {
			json_array_append_new(avoid_ips, json_string(ip));
			rc = -EAGAIN;
		} else if (!rc) {
			wait_rev(o, rev);
			*out = nbo_view(o, nh);
			if (!*out)
				rc = -ENOMEM;
		} else if (rc != -EAGAIN) {
			rc = nbo_db_fail(e, rc, t, err);
		}
		mdl_obj_free(nh);
	}
	if (rc == -EAGAIN && !e->type[0])
		nbo_fail(e, rc, "Conflict", "%s %s keeps changing; try again", nbo_title(t), id);
	if (rc == -ENOMEM && !e->type[0])
		nbo_fail(e, rc, "ServiceUnavailable", "out of memory");
	wait_rev(o, rev);
	json_decref(avoid_ips);
	return rc;
}

static int delete_once(struct nbo *o, enum mdl_type t, const char *id, uint64_t if_match,
		       struct nbo_err *e)
{
	char err[MDL_ERR_SIZE] = "";
	struct mdl_hdr *h, **subs = NULL, **fips = NULL;
	struct nb_op *ops = NULL, *sops = NULL;
	size_t n_subs = 0, n_fips = 0, i, k = 0;
	uint64_t mod, rev = 0;
	int rc;

	e->type[0] = e->msg[0] = '\0';
	if ((rc = load(o, t, id, &h, &mod, e)))
		return rc;
	if (if_match && h->version != if_match) {
		rc = nbo_fail(e, -ECANCELED, "RevisionNumberConstraintFailed",
			      "Constrained to %llu, but current revision is %llu",
			      (unsigned long long)if_match, (unsigned long long)h->version);
		goto out;
	}
	if (t == MDL_ROUTER && mdl_hdr_to_router(h)->n_interfaces) {
		rc = nbo_fail(e, -EBUSY, "RouterInUse", "Router %s still has ports", id);
		goto out;
	}
	if (t == MDL_NETWORK) {
		/* Neutron deletes a network's subnets with it: one batch */
		struct nb_filter f = { .network_id = id };

		if ((rc = nb_find(o->nb, MDL_SUBNET, &f, &subs, &n_subs))) {
			rc = nbo_db_fail(e, rc, t, "list subnets");
			goto out;
		}
	}
	if ((t == MDL_PORT || t == MDL_NETWORK) &&
	    (rc = nb_find(o->nb, MDL_FLOATING_IP, NULL, &fips, &n_fips))) {
		rc = nbo_db_fail(e, rc, t, "list floating IPs");
		goto out;
	}
	if (t == MDL_SUBNET && (rc = nbo_slaac_delete_ops(o, h, &fips, &n_fips, &sops)))
		goto out;       /* fips: here the ports losing a SLAAC address */
	ops = calloc(n_subs + n_fips + 1, sizeof(*ops));
	if (!ops) {
		rc = -ENOMEM;
		goto out;
	}
	if (sops)
		memcpy(ops, sops, n_fips * sizeof(*ops));
	k = sops ? n_fips : nbo_fip_delete_ops(t, id, fips, n_fips, ops);
	for (i = 0; i < n_subs; i++, k++) {
		ops[k].kind = NB_OP_DELETE;
		ops[k].type = MDL_SUBNET;
		snprintf(ops[k].id, sizeof(ops[k].id), "%s", subs[i]->id);
	}
	ops[k].kind = NB_OP_DELETE;
	ops[k].type = t;
	ops[k].expected_mod_revision = mod;
	snprintf(ops[k].id, sizeof(ops[k].id), "%s", id);
	if (t == MDL_SECURITY_GROUP)
		rc = nbo_sg_delete(o, id, mod, &rev, err, sizeof(err));
	else
		rc = nb_apply(o->nb, ops, k + 1, &rev, err, sizeof(err));
	if (rc == -EBUSY && t == MDL_NETWORK)
		rc = nbo_fail(e, rc, "NetworkInUse", "Unable to complete operation on network "
			      "%s. There are one or more ports still in use on the network.", id);
	else if (rc == -EBUSY && t == MDL_SECURITY_GROUP)
		rc = nbo_fail(e, rc, "SecurityGroupInUse", "Security Group %s in use%s%s%s.", id,
			      err[0] ? " (" : "", err, err[0] ? ")" : "");
	else if (rc == -EBUSY && t == MDL_SUBNETPOOL)  /* Neutron: 400 */
		rc = nbo_fail(e, -EINVAL, "SubnetPoolDeleteError", "Unable to delete subnet "
			      "pool: Subnet pool has existing allocations.");
	else if (rc == -EBUSY && t == MDL_SUBNET)
		rc = nbo_fail(e, rc, "SubnetInUse", "Unable to complete operation on subnet %s: "
			      "One or more ports have an IP allocation from this subnet.", id);
	else if (rc == -EAGAIN && if_match)
		rc = nbo_fail(e, -ECANCELED, "RevisionNumberConstraintFailed",
			      "%s %s changed meanwhile", nbo_title(t), id);
	else if (rc == -EAGAIN)
		nbo_fail(e, rc, "Conflict", "%s %s keeps changing; try again", nbo_title(t), id);
	else if (rc == -ENOENT)
		rc = not_found(e, t, id);
	else if (rc)
		rc = nbo_db_fail(e, rc, t, err);
	wait_rev(o, rev);
out:
	if (rc == -ENOMEM && !e->type[0])
		nbo_fail(e, rc, "ServiceUnavailable", "out of memory");
	free(ops);
	free(sops);
	nb_list_free(subs, n_subs);
	nb_list_free(fips, n_fips);
	mdl_obj_free(h);
	return rc;
}

/* The delete compares the revision its checks read (router interfaces, the
 * network's subnets); without If-Match a concurrent change just retries. */
int nbo_delete(struct nbo *o, enum mdl_type t, const char *id, uint64_t if_match,
	       struct nbo_err *e)
{
	int rc = -EAGAIN, attempt;

	if (t == MDL_PORT && (rc = nbo_gw_port_refuse(o, id, true, e)))
		return rc;
	rc = -EAGAIN;
	for (attempt = 0; attempt < 8 && rc == -EAGAIN; attempt++)
		rc = delete_once(o, t, id, if_match, e);
	return rc;
}
