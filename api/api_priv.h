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
	const char *project;            /* X-Project-Id (noauth) or NULL */
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

/* The extensions this server implements (api_ext.c). */
json_t *api_extensions(void);
json_t *api_extension(const char *alias);

#endif
