/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_bulk.c — bulk create: POST /v2.0/COLL with {"<plural>": [...]}.
 *
 * Neutron creates the list all or nothing and answers 201 with the plural
 * key.  Here every item is one nbo_create() (one db transaction each, the
 * same checks as a single create); when one fails, the items created before
 * it are deleted again, in reverse order, and the error of the failed item
 * is the answer.  So a failed bulk leaves nothing behind, though another
 * client may see the first items for the moment between.  Every item is
 * scope-checked before anything is written.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api_priv.h"

#define API_BULK_MAX 1000

static void undo(struct nbo *o, enum mdl_type t, json_t *made)
{
	struct nbo_err e;
	size_t i = json_array_size(made);

	while (i--) {
		const char *id = json_string_value(json_object_get(json_array_get(made, i), "id"));

		if (id)
			nbo_delete(o, t, id, 0, &e);
	}
}

void api_bulk_create(struct nbo *o, enum mdl_type t, const struct api_req *r,
		     const json_t *items, struct api_resp *resp)
{
	struct nbo_err e = { "", "" };
	json_t *made, *out, *it;
	size_t i;
	int rc;

	if (!json_is_array(items) || !json_array_size(items) ||
	    json_array_size(items) > API_BULK_MAX) {
		char msg[128];

		snprintf(msg, sizeof(msg), "Invalid input: '%s' must be a list of 1 to %d objects",
			 nbo_plural(t), API_BULK_MAX);
		return api_error(resp, 400, "HTTPBadRequest", msg);
	}
	json_array_foreach(items, i, it) {
		if (!json_is_object(it))
			return api_error(resp, 400, "HTTPBadRequest", "Invalid input: every item "
					 "of a bulk create must be an object");
		api_body_ints(it);
		if (api_scope_body(o, r, (int)t, it, true, resp) ||
		    api_sg_prepare(o, r, t, it, resp))
			return;
	}
	if (!(made = json_array()))
		return api_error(resp, 503, "ServiceUnavailable", "out of memory");
	json_array_foreach(items, i, it) {
		out = NULL;
		rc = nbo_create(o, t, it, r->project ? r->project : "", &out, &e);
		if (rc || !out || json_array_append_new(made, out)) {
			undo(o, t, made);
			json_decref(made);
			if (!rc)
				return api_error(resp, 503, "ServiceUnavailable", "out of memory");
			return api_error(resp, api_status_of(rc, e.type),
					 e.type[0] ? e.type : "NeutronError",
					 e.msg[0] ? e.msg : strerror(-rc));
		}
	}
	resp->status = 201;
	resp->body = json_pack("{s:o}", nbo_plural(t), made);
	if (!resp->body) {
		undo(o, t, made);
		api_error(resp, 503, "ServiceUnavailable", "out of memory");
	}
}
