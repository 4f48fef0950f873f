/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_route.c — routing of Neutron v2.0 requests onto ctrl/nb's
 * operations (nbo.h), body wrapping (singular key for one object, plural
 * for lists), status codes and NeutronError bodies.
 *
 *   GET /                                  versions
 *   GET /v2.0[/]                           resources
 *   GET /v2.0/extensions[/ALIAS]
 *   GET|POST /v2.0/COLL                    list | create (201)
 *   GET|PUT|DELETE /v2.0/COLL/ID           show | partial update | delete (204)
 *   PUT /v2.0/routers/ID/add_router_interface|remove_router_interface
 *   GET|PUT|DELETE /v2.0/COLL/ID/tags      all tags
 *   GET|PUT|DELETE /v2.0/COLL/ID/tags/TAG  one tag
 * A trailing ".json" on the last segment is accepted (older clients).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_priv.h"

#define MAX_SEGS 6

void api_error(struct api_resp *resp, unsigned status, const char *type, const char *msg)
{
	json_decref(resp->body);
	resp->status = status;
	resp->body = json_pack("{s:{s:s,s:s,s:s}}", "NeutronError", "type", type, "message",
			       msg, "detail", "");
}

unsigned api_status_of(int rc, const char *type)
{
	switch (rc) {
	case -EINVAL: return 400;
	case -ENOENT: return 404;
	case -ECANCELED: return 412;
	case -EADDRINUSE:
	case -EBUSY:
	case -EEXIST:
	case -EAGAIN: return 409;
	case -ENOSPC: return strcmp(type, "NoNetworkAvailable") ? 409 : 503;
	default: return 503;
	}
}

static void fail(struct api_resp *resp, int rc, const struct nbo_err *e)
{
	api_error(resp, api_status_of(rc, e->type), e->type[0] ? e->type : "NeutronError",
		  e->msg[0] ? e->msg : strerror(-rc));
}

static void ok(struct api_resp *resp, unsigned status, json_t *body)
{
	resp->status = body || status == 204 ? status : 503;
	resp->body = body;
	if (!body && status != 204)
		api_error(resp, 503, "ServiceUnavailable", "out of memory");
}

static json_t *wrap(const char *key, json_t *v)
{
	json_t *o = v ? json_object() : NULL;

	if (o && !json_object_set_new(o, key, v))
		return o;
	json_decref(o);
	return NULL;
}

static bool supported(enum mdl_type t)
{
	return t == MDL_NETWORK || t == MDL_SUBNET || t == MDL_PORT || t == MDL_ROUTER ||
	       t == MDL_SECURITY_GROUP || t == MDL_SECURITY_GROUP_RULE || t == MDL_FLOATING_IP ||
	       t == MDL_SUBNETPOOL;
}

static json_t *versions(const struct api_req *r)
{
	char href[512];

	snprintf(href, sizeof(href), "%s/v2.0/", r->base_url ? r->base_url : "");
	return json_pack("{s:[{s:s,s:s,s:[{s:s,s:s}]}]}", "versions", "id", "v2.0", "status",
			 "CURRENT", "links", "href", href, "rel", "self");
}

static json_t *resources(const struct api_req *r)
{
	static const enum mdl_type types[] = { MDL_NETWORK, MDL_SUBNET, MDL_PORT, MDL_ROUTER,
		MDL_SECURITY_GROUP, MDL_SECURITY_GROUP_RULE, MDL_FLOATING_IP, MDL_SUBNETPOOL };
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < sizeof(types) / sizeof(types[0]); i++) {
		char href[512];

		snprintf(href, sizeof(href), "%s/v2.0/%s", r->base_url ? r->base_url : "",
			 nbo_collection(types[i]));
		json_array_append_new(a, json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "name",
						   nbo_singular(types[i]), "collection",
						   nbo_collection(types[i]), "links", "href", href,
						   "rel", "self"));
	}
	return a ? wrap("resources", a) : NULL;
}

/* The body as JSON: NULL + a 400 in resp if it is not a JSON object. */
static json_t *body_json(const struct api_req *r, struct api_resp *resp)
{
	json_error_t je;
	json_t *j;

	if (!r->body || !r->body_len) {
		api_error(resp, 400, "HTTPBadRequest", "Resource body required");
		return NULL;
	}
	j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!j || !json_is_object(j)) {
		char msg[256];

		snprintf(msg, sizeof(msg), "Malformed request body: %s",
			 j ? "expected a JSON object" : je.text);
		json_decref(j);
		api_error(resp, 400, "HTTPBadRequest", msg);
		return NULL;
	}
	return j;
}

/* Neutron converts these attributes with convert_to_int: a decimal string
 * is the number (openstackclient sends `--provider-segment 40` as "40").
 * Anything else is left for the model to refuse. */
void api_body_ints(json_t *v)
{
	static const char *const names[] = {
		"provider:segmentation_id", "mtu", "ip_version", "prefixlen",
		"port_range_min", "port_range_max",
	};
	for (size_t i = 0; json_is_object(v) && i < sizeof(names) / sizeof(names[0]); i++) {
		const char *s = json_string_value(json_object_get(v, names[i]));
		char *end;
		long long n;
		if (s == NULL || !s[0] || strlen(s) > 18)
			continue;
		errno = 0;
		n = strtoll(s, &end, 10);
		if (*end == 0 && errno == 0 && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
			json_object_set_new(v, names[i], json_integer(n));
	}
}

/* The object under `key`, the only member of j. */
static const json_t *unwrap(json_t *j, const char *key, struct api_resp *resp)
{
	const json_t *v = json_object_get(j, key);
	char msg[128];

	if (!v || json_object_size(j) != 1 || !json_is_object(v)) {
		snprintf(msg, sizeof(msg), "Unable to find '%s' in request body", key);
		api_error(resp, 400, "HTTPBadRequest", msg);
		return NULL;
	}
	return v;
}

/* If-Match: revision_number=N.  0 none, -1 malformed (400 set). */
static long long if_match(const struct api_req *r, struct api_resp *resp)
{
	const char *h = r->if_match;
	long long n;
	char *end;

	if (!h || !h[0])
		return 0;
	if (strncmp(h, "revision_number=", 16))
		goto bad;
	n = strtoll(h + 16, &end, 10);
	if (*end || n < 1 || end == h + 16)
		goto bad;
	return n;
bad:
	api_error(resp, 400, "HTTPBadRequest", "If-Match: only revision_number=N is supported");
	return -1;
}

static void do_list(struct nbo *o, enum mdl_type t, const struct api_req *r,
		    struct api_resp *resp)
{
	struct nb_filter f;
	struct nbo_err e;
	char buf[64], err[256];
	json_t *items, *out;
	int rc;

	api_sg_list_prepare(o, r, t);
	api_list_filter_index(r, t, &f, buf, sizeof(buf));
	if ((rc = nbo_list(o, t, &f, &items, &e)))
		return fail(resp, rc, &e);
	if (api_scope_list(o, r, t, items)) {
		json_decref(items);
		return api_error(resp, 503, "ServiceUnavailable", "out of memory");
	}
	rc = api_list_finish(r, nbo_plural(t), items, &out, err, sizeof(err));
	if (rc == -ENOENT)
		return api_error(resp, 404, "MarkerNotFound", err);
	if (rc)
		return api_error(resp, rc == -EINVAL ? 400 : 503,
				 rc == -EINVAL ? "HTTPBadRequest" : "ServiceUnavailable",
				 rc == -EINVAL ? err : "out of memory");
	ok(resp, 200, out);
}

static void one_object(struct nbo *o, enum mdl_type t, const char *id,
		       const struct api_req *r, struct api_resp *resp)
{
	const char *m = r->method;
	struct nbo_err e = { "", "" };
	json_t *body, *out = NULL;
	long long im;
	int rc;

	if (!strcmp(m, "GET")) {
		if ((rc = nbo_show(o, t, id, &out, &e)))
			return fail(resp, rc, &e);
		if (!api_scope_visible(o, r, t, out)) {
			json_decref(out);
			return api_scope_hide(resp, t, id);
		}
		api_fields(r, out);
		return ok(resp, 200, wrap(nbo_singular(t), out));
	}
	if (!strcmp(m, "PUT")) {
		const json_t *v;

		if ((im = if_match(r, resp)) < 0 || api_scope_target(o, r, t, id, resp) ||
		    !(body = body_json(r, resp)))
			return;
		if ((v = unwrap(body, nbo_singular(t), resp)))
			api_body_ints((json_t *)v);
		if (v && api_scope_body(o, r, (int)t, v, false, resp))
			v = NULL;
		if (v && t == MDL_ROUTER && json_is_null(json_object_get(v, "routes")))
			/* Neutron: routes null clears them (tempest sends it) */
			json_object_set_new((json_t *)v, "routes", json_array());
		if (v)
			rc = nbo_update(o, t, id, v, (uint64_t)im, &out, &e);
		json_decref(body);
		if (!v)
			return;
		if (rc)
			return fail(resp, rc, &e);
		return ok(resp, 200, wrap(nbo_singular(t), out));
	}
	if (!strcmp(m, "DELETE")) {
		if ((im = if_match(r, resp)) < 0 || api_scope_target(o, r, t, id, resp))
			return;
		if ((rc = nbo_delete(o, t, id, (uint64_t)im, &e)))
			return fail(resp, rc, &e);
		return ok(resp, 204, NULL);
	}
	api_error(resp, 405, "HTTPMethodNotAllowed", "The method is not allowed for this "
		  "resource.");
}

static void tags(struct nbo *o, enum mdl_type t, const char *id, const char *tag,
		 const struct api_req *r, struct api_resp *resp)
{
	struct nbo_err e = { "", "" };
	json_t *out = NULL, *body, *x;
	size_t i;
	int rc;

	if (!strcmp(r->method, "GET")) {
		if ((rc = nbo_show(o, t, id, &out, &e)))
			return fail(resp, rc, &e);
		if (!api_scope_visible(o, r, t, out)) {
			json_decref(out);
			return api_scope_hide(resp, t, id);
		}
		x = json_incref(json_object_get(out, "tags"));
		json_decref(out);
		if (!tag)
			return ok(resp, 200, wrap("tags", x));
		json_array_foreach(x, i, out)
			if (!strcmp(json_string_value(out) ?: "", tag))
				break;
		rc = i < json_array_size(x);
		json_decref(x);
		if (!rc) {
			char msg[128];

			snprintf(msg, sizeof(msg), "Tag %.60s could not be found.", tag);
			return api_error(resp, 404, "TagNotFound", msg);
		}
		return ok(resp, 204, NULL);
	}
	if (api_scope_target(o, r, t, id, resp))
		return;
	if (!strcmp(r->method, "PUT") && !tag) {
		if (!(body = body_json(r, resp)))
			return;
		x = json_object_get(body, "tags");
		if (!json_is_array(x) || json_object_size(body) != 1) {
			json_decref(body);
			return api_error(resp, 400, "HTTPBadRequest", "Invalid input: the body "
					 "must be {\"tags\": [...]}");
		}
		rc = nbo_tags_set(o, t, id, x, &out, &e);
		json_decref(body);
		if (rc)
			return fail(resp, rc, &e);
		x = json_incref(json_object_get(out, "tags"));
		json_decref(out);
		return ok(resp, 200, wrap("tags", x));
	}
	if (!strcmp(r->method, "PUT")) {
		if ((rc = nbo_tag_add(o, t, id, tag, &e)))
			return fail(resp, rc, &e);
		return ok(resp, 201, json_object());
	}
	if (!strcmp(r->method, "DELETE")) {
		rc = tag ? nbo_tag_del(o, t, id, tag, &e) : nbo_tags_set(o, t, id, NULL, &out, &e);
		json_decref(out);
		if (rc)
			return fail(resp, rc, &e);
		return ok(resp, 204, NULL);
	}
	api_error(resp, 405, "HTTPMethodNotAllowed", "The method is not allowed for tags.");
}

static void collection(struct nbo *o, enum mdl_type t, const struct api_req *r,
		       struct api_resp *resp)
{
	struct nbo_err e = { "", "" };
	const json_t *v;
	json_t *body, *out = NULL;
	int rc = 0;

	if (!strcmp(r->method, "GET"))
		return do_list(o, t, r, resp);
	if (strcmp(r->method, "POST"))
		return api_error(resp, 405, "HTTPMethodNotAllowed", "The method is not allowed "
				 "for this collection.");
	if (!(body = body_json(r, resp)))
		return;
	if (json_object_get(body, nbo_plural(t)) && json_object_size(body) == 1) {
		api_bulk_create(o, t, r, json_object_get(body, nbo_plural(t)), resp);
		json_decref(body);
		return;
	}
	if ((v = unwrap(body, nbo_singular(t), resp)))
		api_body_ints((json_t *)v);
	if (v && (api_scope_body(o, r, (int)t, v, true, resp) ||
	     api_sg_prepare(o, r, t, (json_t *)v, resp)))
		v = NULL;
	if (v)
		rc = nbo_create(o, t, v, r->project ? r->project : "", &out, &e);
	json_decref(body);
	if (!v)
		return;
	if (rc)
		return fail(resp, rc, &e);
	ok(resp, 201, wrap(nbo_singular(t), out));
}

static void not_found(struct api_resp *resp)
{
	api_error(resp, 404, "HTTPNotFound", "The resource could not be found.");
}

static void router_action(struct nbo *o, const char *id, const char *action,
			  const struct api_req *r, struct api_resp *resp)
{
	bool add = !strcmp(action, "add_router_interface");
	struct nbo_err e = { "", "" };
	json_t *body, *out = NULL;
	int rc;

	if (!add && strcmp(action, "remove_router_interface"))
		return not_found(resp);
	if (strcmp(r->method, "PUT"))
		return api_error(resp, 405, "HTTPMethodNotAllowed", "Use PUT.");
	if (api_scope_target(o, r, MDL_ROUTER, id, resp) || !(body = body_json(r, resp)))
		return;
	if (api_scope_body(o, r, -1, body, false, resp)) {
		json_decref(body);
		return;
	}
	rc = nbo_router_iface(o, id, add, body, &out, &e);
	json_decref(body);
	if (rc)
		return fail(resp, rc, &e);
	ok(resp, 200, out);
}

void api_handle(struct nbo *o, const struct api_req *r, struct api_resp *resp)
{
	char path[1024], *seg[MAX_SEGS], *save = NULL, *p, *dot;
	size_t n = 0;
	int t;

	resp->status = 500;
	resp->body = NULL;
	if (strlen(r->path) >= sizeof(path))
		return api_error(resp, 414, "HTTPRequestURITooLong", "The URI is too long.");
	snprintf(path, sizeof(path), "%s", r->path);
	for (p = strtok_r(path, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (n == MAX_SEGS)
			return not_found(resp);
		seg[n++] = p;
	}
	if (n && (dot = strrchr(seg[n - 1], '.')) && !strcmp(dot, ".json"))
		*dot = '\0';
	if (n == 0) {
		if (strcmp(r->method, "GET"))
			return api_error(resp, 405, "HTTPMethodNotAllowed", "Use GET.");
		return ok(resp, 200, versions(r));
	}
	if (strcmp(seg[0], "v2.0"))
		return not_found(resp);
	if (n == 1)
		return strcmp(r->method, "GET") ? api_error(resp, 405, "HTTPMethodNotAllowed",
							    "Use GET.") :
		       ok(resp, 200, resources(r));
	if (!strcmp(seg[1], "extensions")) {
		json_t *x;

		if (strcmp(r->method, "GET"))
			return api_error(resp, 405, "HTTPMethodNotAllowed", "Use GET.");
		if (n == 2)
			return ok(resp, 200, api_extensions());
		if (n == 3 && (x = api_extension(seg[2])))
			return ok(resp, 200, x);
		return api_error(resp, 404, "HTTPNotFound", "Extension with alias could not be "
				 "found");
	}
	if (!strcmp(seg[1], "agents") && n == 2 && !strcmp(r->method, "GET"))
		/* no Neutron agents here (the `agent` extension is not listed);
		 * Neutron answers a caller who may not see agents the same */
		return ok(resp, 200, wrap("agents", json_array()));
	t = nbo_type_of_collection(seg[1]);
	if (t < 0 || !supported((enum mdl_type)t))
		return not_found(resp);
	if (r->read_only && strcmp(r->method, "GET")) {
		/* Neutron's default policy: writes need the member (or admin)
		 * role; a reader reads */
		char what[128];

		if (t == MDL_ROUTER && n == 4)
			snprintf(what, sizeof(what), "rule:%.40s is disallowed by policy", seg[3]);
		else
			snprintf(what, sizeof(what), "rule:%s_%s%s is disallowed by policy",
				 !strcmp(r->method, "POST") ? "create" :
				 !strcmp(r->method, "PUT") ? "update" : "delete",
				 nbo_singular((enum mdl_type)t), n > 3 ? "_tags" : "");
		return api_error(resp, 403, "PolicyNotAuthorized", what);
	}
	if (n == 2)
		return collection(o, (enum mdl_type)t, r, resp);
	if (n == 3)
		return one_object(o, (enum mdl_type)t, seg[2], r, resp);
	if (!strcmp(seg[3], "tags") && n <= 5)
		return tags(o, (enum mdl_type)t, seg[2], n == 5 ? seg[4] : NULL, r, resp);
	if (t == MDL_ROUTER && n == 4)
		return router_action(o, seg[2], seg[3], r, resp);
	not_found(resp);
}
