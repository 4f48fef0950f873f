/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_scope.c — project scoping of a non-admin Keystone caller, as
 * Neutron's default policy does it: a project reads and writes its own
 * objects, reads shared and external networks (and the subnets of shared
 * networks), creates only in its own project, and an object it may not
 * read does not exist for it (404, never 403, so ids of other projects
 * are not revealed).  See api_priv.h.  The project of an object is
 * immutable (nbo.c refuses to change it), so checking it before a write
 * cannot race with the write.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api_priv.h"

void api_scope_hide(struct api_resp *resp, enum mdl_type t, const char *id)
{
	char type[64], msg[160];

	snprintf(type, sizeof(type), "%sNotFound", nbo_title(t));
	snprintf(msg, sizeof(msg), "%s %.64s could not be found.", nbo_words(t), id ? id : "");
	api_error(resp, 404, type, msg);
}

static bool mine(const struct api_req *r, const json_t *v)
{
	const char *p = json_string_value(json_object_get(v, "project_id"));

	return p && r->project && !strcmp(p, r->project);
}

/* Is network `id` shared?  known: a {id: bool} memo or NULL. */
static bool net_shared(struct nbo *o, const char *id, json_t *known)
{
	struct nbo_err e;
	json_t *n = NULL, *k = known ? json_object_get(known, id) : NULL;
	bool shared;

	if (k)
		return json_is_true(k);
	if (nbo_show(o, MDL_NETWORK, id, &n, &e))
		return false;
	shared = json_is_true(json_object_get(n, "shared"));
	json_decref(n);
	if (known)
		json_object_set_new(known, id, json_boolean(shared));
	return shared;
}

static bool visible(struct nbo *o, const struct api_req *r, enum mdl_type t, const json_t *v,
		    json_t *known)
{
	const char *net;

	if (!r->scoped || mine(r, v))
		return true;
	switch (t) {
	case MDL_NETWORK:
		return json_is_true(json_object_get(v, "shared")) ||
		       json_is_true(json_object_get(v, "router:external"));
	case MDL_SUBNET:
		net = json_string_value(json_object_get(v, "network_id"));
		return net && net_shared(o, net, known);
	case MDL_SUBNETPOOL:    /* a shared pool: every project reads and uses it */
		return json_is_true(json_object_get(v, "shared"));
	default:
		return false;
	}
}

bool api_scope_visible(struct nbo *o, const struct api_req *r, enum mdl_type t,
		       const json_t *v)
{
	return visible(o, r, t, v, NULL);
}

int api_scope_list(struct nbo *o, const struct api_req *r, enum mdl_type t, json_t *items)
{
	json_t *known;
	size_t i = 0;

	if (!r->scoped)
		return 0;
	if (!(known = json_object()))
		return -ENOMEM;
	while (i < json_array_size(items)) {
		if (visible(o, r, t, json_array_get(items, i), known))
			i++;
		else
			json_array_remove(items, i);
	}
	json_decref(known);
	return 0;
}

static void forbid(struct api_resp *resp, const char *what)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "%s is disallowed by policy: it belongs to another project.",
		 what);
	api_error(resp, 403, "PolicyNotAuthorized", msg);
}

/* Object t/id as r may use it: own (owner needed) or visible. */
static int check(struct nbo *o, const struct api_req *r, enum mdl_type t, const char *id,
		 bool owner, struct api_resp *resp)
{
	struct nbo_err e;
	json_t *v = NULL;
	int rc = 0;

	if (!id || nbo_show(o, t, id, &v, &e))
		return 0;       /* the operation reports what is missing */
	if (!visible(o, r, t, v, NULL)) {
		api_scope_hide(resp, t, id);
		rc = -1;
	} else if (owner && !mine(r, v)) {
		char what[120];

		snprintf(what, sizeof(what), "Using %s %.64s", nbo_title(t), id);
		forbid(resp, what);
		rc = -1;
	}
	json_decref(v);
	return rc;
}

int api_scope_target(struct nbo *o, const struct api_req *r, enum mdl_type t,
		     const char *id, struct api_resp *resp)
{
	if (!r->scoped)
		return 0;
	return check(o, r, t, id, true, resp);
}

static const char *str(const json_t *body, const char *key)
{
	return json_string_value(json_object_get(body, key));
}

int api_scope_body(struct nbo *o, const struct api_req *r, int t, const json_t *body,
		   bool create, struct api_resp *resp)
{
	static const char *const proj[] = { "project_id", "tenant_id" };
	/* Neutron's default policy: admin only */
	static const char *const admin_only[] = { "shared", "router:external",
		"provider:network_type", "provider:segmentation_id", "provider:physical_network",
		"binding:host_id", "binding:profile", "is_default" };
	const json_t *x;
	size_t i;

	if (!r->scoped)
		return 0;
	for (i = 0; i < sizeof(admin_only) / sizeof(admin_only[0]); i++)
		if (json_object_get(body, admin_only[i])) {
			char what[160];

			snprintf(what, sizeof(what), "(rule:%s_%s:%s) is disallowed by policy",
				 create ? "create" : "update",
				 t >= 0 ? nbo_singular((enum mdl_type)t) : "router", admin_only[i]);
			api_error(resp, 403, "PolicyNotAuthorized", what);
			return -1;
		}
	for (i = 0; create && i < 2; i++) {
		const char *p = str(body, proj[i]);

		if (p && (!r->project || strcmp(p, r->project))) {
			char what[200];

			snprintf(what, sizeof(what), "Creating an object in project %.64s", p);
			forbid(resp, what);
			return -1;
		}
	}
	switch (t) {
	case MDL_SUBNET:        /* only on the caller's own network; a pool it may read */
		return check(o, r, MDL_NETWORK, str(body, "network_id"), true, resp) ||
		       check(o, r, MDL_SUBNETPOOL, str(body, "subnetpool_id"), false, resp) ?
		       -1 : 0;
	case MDL_PORT:
		if (check(o, r, MDL_NETWORK, str(body, "network_id"), false, resp))
			return -1;
		json_array_foreach(json_object_get(body, "fixed_ips"), i, x)
			if (check(o, r, MDL_SUBNET, str(x, "subnet_id"), false, resp))
				return -1;
		json_array_foreach(json_object_get(body, "security_groups"), i, x)
			if (check(o, r, MDL_SECURITY_GROUP, json_string_value(x), true, resp))
				return -1;
		return 0;
	case MDL_SECURITY_GROUP_RULE:
		return check(o, r, MDL_SECURITY_GROUP, str(body, "security_group_id"), true, resp) ||
		       check(o, r, MDL_SECURITY_GROUP, str(body, "remote_group_id"), true, resp) ?
		       -1 : 0;
	case MDL_FLOATING_IP:
		return check(o, r, MDL_NETWORK, str(body, "floating_network_id"), false, resp) ||
		       check(o, r, MDL_PORT, str(body, "port_id"), true, resp) ? -1 : 0;
	case MDL_ROUTER:
		return check(o, r, MDL_NETWORK, str(json_object_get(body, "external_gateway_info"),
						    "network_id"), false, resp);
	case -1:                /* a router interface */
		return check(o, r, MDL_SUBNET, str(body, "subnet_id"), true, resp) ||
		       check(o, r, MDL_PORT, str(body, "port_id"), true, resp) ? -1 : 0;
	default:
		return 0;
	}
}
