/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_ops_nbo.c — `wyctl network|subnet|port|router create|update|
 * delete` through the shared northbound operations (nbo.h), exactly as the
 * REST API runs them:
 *  - create: nbo_create — a network's segmentation id from the configured
 *    ranges and its MTU from the encapsulation (no controller ever derives
 *    a segmentation id), a subnet's gateway and allocation pools, a port's
 *    addresses and its project's default group, timestamps;
 *  - update: what the options changed, as a partial update (nbo_update) at
 *    the revision the command read (If-Match), so immutable attributes are
 *    refused in Neutron's words and a concurrent change is read again;
 *  - router interfaces: add_router_interface / remove_router_interface
 *    (nbo_router_iface), one transaction each (port + router);
 *  - delete: nbo_delete (a network with its subnets, floating IPs
 *    disassociated, a router gateway port refused).
 * A command with several interface changes is all or nothing: the
 * interfaces it added are removed again (and a router it created deleted)
 * when a later step fails.  The CLI thread only.
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

/* wyctl's own view of the object (dp_key and all), read back. */
static int print_back(struct nb_ctx *c, enum mdl_type t, const char *id, bool as_json,
		      const char *done)
{
	struct mdl_hdr *h = NULL;
	int rc = nb_get(c->db, t, id, &h, NULL);

	if (rc)
		nb_fail(c, rc, "%s %s %s, but not read back: %s", mdl_type_name(t), id, done,
			strerror(-rc));
	else
		rc = nb_print_obj(c, h, as_json);
	mdl_obj_free(h);
	return rc;
}

/* Undoes the first n interface additions of c->ifaces (best effort). */
static void ifaces_undo(struct nbo *o, struct nb_ctx *c, const char *rid, size_t n,
			json_t *ports)
{
	while (n--) {
		json_t *op = json_array_get(c->ifaces, n), *body, *out = NULL;
		struct nbo_err e;

		if (!json_is_true(json_object_get(op, "add")))
			continue;
		body = json_pack("{s:O}", "port_id", json_array_get(ports, n));
		if (body)
			(void)nbo_router_iface(o, rid, false, body, &out, &e);
		json_decref(body);
		json_decref(out);
	}
}

/* The additions of c->ifaces (removals false) or its removals; when an
 * addition fails the ones made are removed again and its error returned.
 * *added (additions, may be NULL): the ports made, by index of c->ifaces,
 * for ifaces_undo(); the caller json_decref()s it. */
static int ifaces_run(struct nbo *o, struct nb_ctx *c, const char *rid, bool removals,
		      json_t **added)
{
	json_t *ports = json_array(), *op;
	size_t i;
	int rc = ports ? 0 : -ENOMEM;

	json_array_foreach(c->ifaces, i, op) {
		bool add = json_is_true(json_object_get(op, "add"));
		struct nbo_err e = { "", "" };
		json_t *body, *out = NULL;

		if (rc)
			break;
		json_array_append_new(ports, json_null());
		if (add == removals)
			continue;
		body = json_deep_copy(op);
		if (!body) {
			rc = -ENOMEM;
			break;
		}
		json_object_del(body, "add");
		rc = nbo_router_iface(o, rid, add, body, &out, &e);
		json_decref(body);
		if (rc)
			nb_nbo_err_out(c, rc, &e);
		else
			json_array_set(ports, i, json_object_get(out, "port_id"));
		json_decref(out);
		if (rc && add)
			ifaces_undo(o, c, rid, i, ports);
	}
	if (added && !rc)
		*added = json_incref(ports);
	json_decref(ports);
	return rc;
}

int nb_nbo_cmd_create(struct nb_ctx *c, enum mdl_type t, json_t *obj, bool as_json)
{
	struct nbo o;
	int rc0 = nb_ctx_nbo(c, &o);
	if (rc0)
		return rc0;
	struct nbo_err e = { "", "" };
	json_t *out = NULL;
	const char *id;
	int rc;

	json_object_del(obj, "interfaces");
	rc = nbo_create(&o, t, obj, "", &out, &e);
	if (rc) {
		nb_nbo_err_out(c, rc, &e);
		goto out;
	}
	id = json_string_value(json_object_get(out, "id"));
	if (t == MDL_ROUTER && c->ifaces && (rc = ifaces_run(&o, c, id, false, NULL))) {
		struct nbo_err e2;

		(void)nbo_delete(&o, t, id, 0, &e2);  /* all or nothing */
		goto out;
	}
	rc = print_back(c, t, id, as_json, "created");
out:
	json_decref(out);
	nbo_fini(&o);
	return rc;
}

/* What the options changed: every member of after that differs from
 * before, null for a member they removed; never the router's interfaces
 * (those are operations of their own). */
static json_t *diff(const json_t *before, const json_t *after)
{
	json_t *body = json_object(), *v;
	const char *k;

	if (!body)
		return NULL;
	json_object_foreach((json_t *)after, k, v)
		if (strcmp(k, "interfaces") && !json_equal(v, json_object_get(before, k)) &&
		    json_object_set(body, k, v))
			goto fail;
	json_object_foreach((json_t *)before, k, v)
		if (strcmp(k, "interfaces") && !json_object_get(after, k) &&
		    json_object_set_new(body, k, json_null()))
			goto fail;
	return body;
fail:
	json_decref(body);
	return NULL;
}

/* Every removal of c->ifaces names an interface of the router as read
 * (before: its model JSON); else Neutron's 404 and nothing is done. */
static int removals_check(struct nb_ctx *c, const json_t *before)
{
	json_t *op, *itf;
	size_t i, k;

	json_array_foreach(c->ifaces, i, op) {
		const char *sid = json_string_value(json_object_get(op, "subnet_id"));
		const char *pid = json_string_value(json_object_get(op, "port_id"));
		bool found = false;

		if (json_is_true(json_object_get(op, "add")))
			continue;
		json_array_foreach(json_object_get(before, "interfaces"), k, itf)
			found |= sid ? !strcmp(sid, json_string_value(json_object_get(
						       itf, "subnet_id")) ?: "") :
				       !strcmp(pid, json_string_value(json_object_get(
						       itf, "port_id")) ?: "");
		if (!found)
			return sid ? nb_fail(c, -ENOENT, "RouterInterfaceNotFoundForSubnet: Router "
					     "%s has no interface on subnet %s", c->self_id, sid) :
				     nb_fail(c, -ENOENT, "RouterInterfaceNotFound: Router %s does "
					     "not have an interface with id %s", c->self_id, pid);
	}
	return 0;
}

int nb_nbo_cmd_update(struct nb_ctx *c, enum mdl_type t, const json_t *before,
		      const json_t *after, uint64_t version, bool as_json)
{
	struct nbo o;
	int rc = nb_ctx_nbo(c, &o);
	if (rc)
		return rc;
	struct nbo_err e = { "", "" };
	json_t *body = diff(before, after), *out = NULL, *added = NULL;
	bool ifaces = t == MDL_ROUTER && json_array_size(c->ifaces);

	if (!body) {
		rc = -ENOMEM;
		goto out;
	}
	/* a removal of an interface the router (as read) does not have is
	 * refused before anything is written */
	if (ifaces && (rc = removals_check(c, before)))
		goto out;
	/* interfaces first: an addition refused changes nothing */
	if (ifaces && (rc = ifaces_run(&o, c, c->self_id, false, &added)))
		goto out;
	if (json_object_size(body) || !ifaces) {
		/* the revision read, unless our own interfaces moved it */
		rc = nbo_update(&o, t, c->self_id, body, ifaces ? 0 : version, &out, &e);
		if (rc == -ECANCELED)
			goto out;       /* changed meanwhile: the caller reads again */
		if (rc) {
			nb_nbo_err_out(c, rc, &e);
			if (added)      /* all or nothing */
				ifaces_undo(&o, c, c->self_id, json_array_size(added), added);
			goto out;
		}
	}
	if (ifaces && (rc = ifaces_run(&o, c, c->self_id, true, NULL)))
		goto out;
	rc = print_back(c, t, c->self_id, as_json, "updated");
out:
	json_decref(body);
	json_decref(out);
	json_decref(added);
	nbo_fini(&o);
	return rc;
}

int nb_nbo_cmd_delete(struct nb_ctx *c, enum mdl_type t, const char *id)
{
	struct nbo o;
	int rc = nb_ctx_nbo(c, &o);
	if (rc)
		return rc;
	struct nbo_err e = { "", "" };

	rc = nbo_delete(&o, t, id, 0, &e);
	if (rc)
		nb_nbo_err_out(c, rc, &e);
	nbo_fini(&o);
	return rc;
}
