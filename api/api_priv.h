/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_priv.h — the request handler behind the HTTP layer, without
 * libmicrohttpd: a request (method, path, query arguments in order, body,
 * If-Match, base URL) in, a status and a JSON body out.  api_http.c feeds
 * it from libmicrohttpd; api_test.c calls it directly.
 *
 * Threads: api_handle() may run on any number of threads at once (the
 * nbo/nb handle is thread-safe; the handler keeps no state).
 */
#ifndef WYV_API_PRIV_H
#define WYV_API_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "nbo.h"

struct api_config;

struct api_arg {
	const char *key;
	const char *val;
};

struct api_req {
	const char *method;             /* "GET", "POST", "PUT", "DELETE" */
	const char *path;               /* "/v2.0/ports/ID" (no query) */
	const struct api_arg *args;     /* query arguments, in order, repeated kept */
	size_t n_args;
	const char *body;               /* NULL or body_len bytes */
	size_t body_len;
	const char *if_match;           /* If-Match header or NULL */
	const char *project;            /* the caller's project: the token's
					 * (keystone), X-Project-Id (noauth), NULL */
	bool scoped;                    /* a non-admin Keystone caller: sees and
					 * changes only project's objects (plus
					 * shared / external networks to read) */
	bool read_only;                 /* a Keystone caller with neither the
					 * member nor the admin role (reader):
					 * GET only, else 403 PolicyNotAuthorized */
	const char *base_url;           /* "http://host:port" for links */
};

struct api_resp {
	unsigned status;
	json_t *body;                   /* NULL: no body (204) */
};

/* Routes and answers one request.  Always fills resp (an error is a
 * NeutronError body); resp->body is the caller's. */
void api_handle(struct nbo *o, const struct api_req *r, struct api_resp *resp);

/* Sets resp to {"NeutronError": {type, message, detail: ""}} with status. */
void api_error(struct api_resp *resp, unsigned status, const char *type, const char *msg);
/* HTTP status of an nbo error. */
unsigned api_status_of(int rc, const char *type);

/* List processing over Neutron views (api_list.c):
 * nb_filter from the indexed attributes (strings point into r's args or
 * into buf); filters on any attribute, tags filters, sort_key/sort_dir,
 * limit/marker/page_reverse with <plural>_links, fields.  items is
 * consumed; *out = {"<plural>": [...], ["<plural>_links": [...]]}.
 * 0, or -EINVAL / -ENOENT (marker) with a message in err. */
int api_list_filter_index(const struct api_req *r, enum mdl_type type,
			  struct nb_filter *f, char *buf, size_t size);
int api_list_finish(const struct api_req *r, const char *plural, json_t *items,
		    json_t **out, char *err, size_t errlen);
/* Does view v match every attribute filter of r? */
bool api_list_match(const struct api_req *r, const json_t *v);
/* fields= of r applied to one view (in place). */
void api_fields(const struct api_req *r, json_t *v);

/* Project scoping (api_scope.c), Neutron's rules for a non-admin caller
 * (r->scoped); every function allows everything when !r->scoped.
 *  - api_scope_visible: may r read view v of type t?  Its own project's
 *    objects; networks that are shared or router:external; subnets of a
 *    shared network (one network read).
 *  - api_scope_hide: the 404 a hidden object answers (NetworkNotFound...).
 *  - api_scope_list: removes from items what r may not read.
 *  - api_scope_target: before a write to object id: 0 (go on; also when
 *    the object does not exist, the operation answers that), or -1 with
 *    resp set: 404 hidden, 403 visible but not r's (a shared network).
 *  - api_scope_body: before a create (create true) or an update: a
 *    project_id / tenant_id other than r's is 403; the objects the body
 *    refers to (network_id, fixed_ips subnet_id, security_groups,
 *    security_group_id, remote_group_id, port_id, floating_network_id,
 *    external_gateway_info.network_id; subnet_id / port_id of a router
 *    interface: t = -1) must be visible (404), a subnet is created on an
 *    owned network only (403).  0, or -1 with resp set. */
bool api_scope_visible(struct nbo *o, const struct api_req *r, enum mdl_type t,
		       const json_t *v);
void api_scope_hide(struct api_resp *resp, enum mdl_type t, const char *id);
int api_scope_list(struct nbo *o, const struct api_req *r, enum mdl_type t, json_t *items);
int api_scope_target(struct nbo *o, const struct api_req *r, enum mdl_type t,
		     const char *id, struct api_resp *resp);
int api_scope_body(struct nbo *o, const struct api_req *r, int t, const json_t *body,
		   bool create, struct api_resp *resp);

/* TLS files (api_tls.c).  With neither tls-cert nor tls-key: 0 and both
 * NULL.  Else reads both files and checks them with GnuTLS (certificate,
 * unencrypted private key, the key belongs to the certificate); 0 with the
 * PEM texts in *cert / *key (free with api_tls_free), or -errno with the
 * reason in msg and in *bad the key ("tls-cert" / "tls-key") to blame. */
int api_tls_load(const struct api_config *cfg, char **cert, char **key, const char **bad,
		 char *msg, size_t size);
/* Frees what api_tls_load gave (the key wiped first).  NULLs are fine. */
void api_tls_free(char *cert, char *key);

/* Attributes Neutron converts to integers, given as decimal strings,
 * made integers in place (api_route.c). */
void api_body_ints(json_t *v);

/* Bulk create (api_bulk.c): items = the list under the plural key.  All
 * or nothing: on an error the items already created are deleted again and
 * resp is that error; else 201 {"<plural>": [...]}. */
void api_bulk_create(struct nbo *o, enum mdl_type t, const struct api_req *r,
		     const json_t *items, struct api_resp *resp);

/* Security groups and rules as Neutron answers them (api_sg.c), before a
 * create: may complete v (a rule's default ethertype); -1 with resp set
 * for an input Neutron refuses (its status, type and text).  And before a
 * list of groups: the caller's project's default group exists. */
int api_sg_prepare(struct nbo *o, const struct api_req *r, enum mdl_type t, json_t *v,
		   struct api_resp *resp);
void api_sg_list_prepare(struct nbo *o, const struct api_req *r, enum mdl_type t);

/* The extensions this server implements (api_ext.c). */
json_t *api_extensions(void);
json_t *api_extension(const char *alias);

#endif
