/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_ops_net.c — `wyctl network|subnet create` and `network update`
 * through the shared northbound operations (nbo.h), as the API does them: a
 * new overlay or VLAN network gets its segmentation id from the configured
 * ranges and its MTU from the encapsulation (nbo_net_defaults), the
 * provider attributes are immutable afterwards (no controller ever derives
 * a segmentation id); a new subnet gets Neutron's gateway and allocation
 * pools and is refused when it overlaps another of its network.
 * The CLI thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nb_ops_priv.h"
#include "nbo.h"

int nb_nbo_err_out(struct nb_ctx *c, int rc, const struct nbo_err *e)
{
	return nb_fail(c, rc, "%s%s%s", e->type, e->type[0] ? ": " : "",
		       e->msg[0] ? e->msg : strerror(-rc));
}

int nb_ctx_nbo(struct nb_ctx *c, struct nbo *o)
{
	struct nb *nb = nb_ctx_nb(c);
	if (nb == NULL)
		return nb_fail(c, -errno, "database: %s", strerror(errno));
	struct nbo_config cfg;
	nbo_config_defaults(&cfg);
	nbo_init(o, nb, &cfg);
	return 0;
}

int nb_nbo_cmd_create(struct nb_ctx *c, enum mdl_type t, json_t *obj, bool as_json)
{
	struct nbo o;
	int rc0 = nb_ctx_nbo(c, &o);
	if (rc0)
		return rc0;
	struct nbo_err e = { "", "" };
	json_t *out = NULL;
	int rc = nbo_create(&o, t, obj, "", &out, &e);
	if (rc) {
		nb_nbo_err_out(c, rc, &e);
	} else { /* wyctl's own view of it (dp_key and all) */
		struct mdl_hdr *h = NULL;
		rc = nb_get(c->db, t, json_string_value(json_object_get(out, "id")), &h, NULL);
		if (rc)
			nb_fail(c, rc, "%s created, but not read back: %s", mdl_type_name(t),
				strerror(-rc));
		else
			rc = nb_print_obj(c, h, as_json);
		mdl_obj_free(h);
	}
	json_decref(out);
	nbo_fini(&o);
	return rc;
}

int nb_net_check_update(struct nb_ctx *c, const json_t *before, const json_t *after)
{
	static const char *const imm[] = { "provider:network_type", "provider:physical_network",
					   "provider:segmentation_id" };
	for (size_t i = 0; i < sizeof(imm) / sizeof(imm[0]); i++) {
		const json_t *a = json_object_get(before, imm[i]), *b = json_object_get(after, imm[i]);
		bool na = a == NULL || json_is_null(a), nb_ = b == NULL || json_is_null(b);
		if (na && nb_)
			continue;
		if (na != nb_ || !json_equal(a, b))
			return nb_fail(c, -EINVAL, "HTTPBadRequest: Cannot update read-only "
				       "attribute %s", imm[i]);
	}
	return 0;
}
