/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nbo_router.c — add_router_interface / remove_router_interface
 * (by subnet or by port) and the tags sub-resource.
 *
 * By subnet, a new port on the subnet's gateway address is created and the
 * router updated in one transaction (nb_add_router_interface).  By port,
 * the port (device_owner, device_id) and the router are updated in one
 * nb_apply batch at the revisions they were read at.  Removing deletes the
 * interface's port with the router update (nb_remove_router_interface).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_addr.h"
#include "nbo.h"

static json_t *iface_answer(const struct mdl_router *r, const char *subnet,
			    const char *port, const char *net)
{
	return json_pack("{s:s,s:s,s:[s],s:s,s:s,s:s,s:s}", "id", r->hdr.id,
			 "subnet_id", subnet, "subnet_ids", subnet, "port_id", port,
			 "network_id", net, "tenant_id", r->project_id,
			 "project_id", r->project_id);
}

/* Neutron's NotFound (RouterNotFound, ...) for a missing or non-UUID id. */
static int get(struct nbo *o, enum mdl_type t, const char *id, struct mdl_hdr **h,
	       uint64_t *mod, struct nbo_err *e)
{
	char what[64];
	int rc;

	*h = NULL;
	if (!mdl_uuid_valid(id))
		rc = -ENOENT;
	else
		rc = nb_get(nb_db(o->nb), t, id, h, mod);
	if (rc == -ENOENT || rc == -EINVAL) {
		snprintf(what, sizeof(what), "%sNotFound", nbo_title(t));
		return nbo_fail(e, -ENOENT, what, "%s %s could not be found.", nbo_words(t), id);
	}
	return rc ? nbo_db_fail(e, rc, t, "read") : 0;
}

/* Neutron: a router's subnets may not overlap (400).  sid is the new one. */
static int overlaps(struct nbo *o, const struct mdl_router *r, const char *sid,
		    struct nbo_err *e)
{
	struct mdl_hdr *nh = NULL, *oh;
	struct mdl_prefix a, b;
	size_t i;
	int rc = 0;

	if (nb_get(nb_db(o->nb), MDL_SUBNET, sid, &nh, NULL))
		return 0;       /* the operation reports it */
	if (mdl_prefix_parse(mdl_hdr_to_subnet(nh)->cidr, &a))
		goto out;
	for (i = 0; !rc && i < r->n_interfaces; i++) {
		const char *c;

		if (nb_get(nb_db(o->nb), MDL_SUBNET, r->interfaces[i].subnet_id, &oh, NULL))
			continue;
		c = mdl_hdr_to_subnet(oh)->cidr;
		if (!mdl_prefix_parse(c, &b) && a.addr.family == b.addr.family &&
		    mdl_prefix_overlap(&a, &b))
			rc = nbo_fail(e, -EINVAL, "BadRequest", "Bad router request: Cidr %s of "
				      "subnet %s overlaps with cidr %s of subnet %s.",
				      mdl_hdr_to_subnet(nh)->cidr, sid, c, oh->id);
		mdl_obj_free(oh);
	}
out:
	mdl_obj_free(nh);
	return rc;
}

static int add_by_subnet(struct nbo *o, const char *rid, const char *sid, json_t **out,
			 struct nbo_err *e)
{
	char err[MDL_ERR_SIZE], now[32];
	struct mdl_hdr *rh = NULL, *sh = NULL, *ph = NULL;
	const struct mdl_subnet *s;
	const struct mdl_router *r;
	struct mdl_port *p;
	uint64_t rev = 0;
	size_t i;
	int rc;

	if ((rc = get(o, MDL_ROUTER, rid, &rh, NULL, e)) ||
	    (rc = get(o, MDL_SUBNET, sid, &sh, NULL, e)))
		goto out;
	s = mdl_hdr_to_subnet(sh);
	r = mdl_hdr_to_router(rh);
	if (!s->gateway_ip[0]) {
		rc = nbo_fail(e, -EINVAL, "BadRequest", "Bad router request: Subnet %s does not "
			      "have a gateway IP.", sid);
		goto out;
	}
	for (i = 0; i < r->n_interfaces; i++)
		if (!strcmp(r->interfaces[i].subnet_id, sid)) {
			rc = nbo_fail(e, -EINVAL, "BadRequest", "Bad router request: Router "
				      "already has a port on subnet %s.", sid);
			goto out;
		}
	if ((rc = overlaps(o, r, sid, e)))
		goto out;
	ph = mdl_obj_alloc(MDL_PORT);
	p = ph ? mdl_hdr_to_port(ph) : NULL;
	if (!p || !(p->fixed_ips = calloc(1, sizeof(*p->fixed_ips)))) {
		rc = -ENOMEM;
		goto out;
	}
	p->n_fixed_ips = 1;
	snprintf(p->network_id, sizeof(p->network_id), "%s", s->network_id);
	snprintf(p->project_id, sizeof(p->project_id), "%s", r->project_id);
	snprintf(p->fixed_ips[0].subnet_id, MDL_ID_SIZE, "%s", sid);
	snprintf(p->fixed_ips[0].ip_address, MDL_IP_SIZE, "%s", s->gateway_ip);
	nbo_now(now);
	ph->attrs = json_pack("{s:s,s:s}", "created_at", now, "updated_at", now);
	rc = nb_add_router_interface(o->nb, rid, ph, &rev, err, sizeof(err));
	if (rc == -EADDRINUSE)
		rc = nbo_fail(e, rc, "IpAddressInUse", "Unable to complete operation for network "
			      "%s. The IP address %s is in use.", s->network_id, s->gateway_ip);
	else if (rc == -ENOENT)
		rc = nbo_fail(e, rc, "RouterNotFound", "Router %s could not be found.", rid);
	else if (rc)
		rc = nbo_db_fail(e, rc, MDL_ROUTER, err);
	else
		*out = iface_answer(r, sid, ph->id, s->network_id);
	if (rev)
		(void)nb_index_wait(o->nb, rev, 3000);
out:
	mdl_obj_free(rh);
	mdl_obj_free(sh);
	mdl_obj_free(ph);
	return rc;
}

static int add_by_port(struct nbo *o, const char *rid, const char *pid, json_t **out,
		       struct nbo_err *e)
{
	char err[MDL_ERR_SIZE];
	int rc = -EAGAIN, attempt;
	uint64_t rev = 0;

	for (attempt = 0; attempt < 8 && rc == -EAGAIN; attempt++) {
		struct mdl_hdr *rh = NULL, *ph = NULL;
		struct mdl_router_if *ifs;
		struct mdl_router *r;
		struct mdl_port *p;
		struct nb_op ops[2];
		uint64_t rmod, pmod;
		size_t i;

		if ((rc = get(o, MDL_ROUTER, rid, &rh, &rmod, e)) ||
		    (rc = get(o, MDL_PORT, pid, &ph, &pmod, e)))
			goto next;
		r = mdl_hdr_to_router(rh);
		p = mdl_hdr_to_port(ph);
		if (p->device_id[0] || p->device_owner[0]) {
			rc = nbo_fail(e, -EBUSY, "PortInUse", "Unable to complete operation on "
				      "port %s for network %s. Port already has an attached device "
				      "%s.", pid, p->network_id, p->device_id);
			goto next;
		}
		if (!p->n_fixed_ips) {
			rc = nbo_fail(e, -EINVAL, "BadRequest", "Bad router request: Router port "
				      "must have at least one fixed IP.");
			goto next;
		}
		for (i = 0; i < r->n_interfaces; i++)
			if (!strcmp(r->interfaces[i].subnet_id, p->fixed_ips[0].subnet_id)) {
				rc = nbo_fail(e, -EINVAL, "BadRequest", "Bad router request: "
					      "Router already has a port on subnet %s.",
					      p->fixed_ips[0].subnet_id);
				goto next;
			}
		if ((rc = overlaps(o, r, p->fixed_ips[0].subnet_id, e)))
			goto next;
		snprintf(p->device_owner, sizeof(p->device_owner), "network:router_interface");
		snprintf(p->device_id, sizeof(p->device_id), "%s", rid);
		ifs = realloc(r->interfaces, (r->n_interfaces + 1) * sizeof(*ifs));
		if (!ifs) {
			rc = -ENOMEM;
			goto next;
		}
		r->interfaces = ifs;
		memset(&ifs[r->n_interfaces], 0, sizeof(*ifs));
		snprintf(ifs[r->n_interfaces].subnet_id, MDL_ID_SIZE, "%s",
			 p->fixed_ips[0].subnet_id);
		snprintf(ifs[r->n_interfaces].port_id, MDL_ID_SIZE, "%s", pid);
		snprintf(ifs[r->n_interfaces].ip_address, MDL_IP_SIZE, "%s",
			 p->fixed_ips[0].ip_address);
		r->n_interfaces++;
		ops[0] = (struct nb_op){ .kind = NB_OP_UPDATE, .obj = ph,
					 .expected_mod_revision = pmod };
		ops[1] = (struct nb_op){ .kind = NB_OP_UPDATE, .obj = rh,
					 .expected_mod_revision = rmod };
		rc = nb_apply(o->nb, ops, 2, &rev, err, sizeof(err));
		if (!rc)
			*out = iface_answer(r, p->fixed_ips[0].subnet_id, pid, p->network_id);
		else if (rc != -EAGAIN)
			rc = nbo_db_fail(e, rc, MDL_ROUTER, err);
next:
		mdl_obj_free(rh);
		mdl_obj_free(ph);
	}
	if (rc == -EAGAIN)
		nbo_fail(e, rc, "Conflict", "router %s keeps changing; try again", rid);
	if (rev)
		(void)nb_index_wait(o->nb, rev, 3000);
	return rc;
}

/* An interface without a port (written straight into the router, e.g. by
 * a bulk loader): only the router changes, at the revision read. */
static int remove_portless(struct nbo *o, struct mdl_hdr *rh, size_t i, uint64_t mod,
			   json_t **out, struct nbo_err *e)
{
	struct mdl_router *r = mdl_hdr_to_router(rh);
	char err[MDL_ERR_SIZE], subnet[MDL_ID_SIZE];
	uint64_t rev = 0;
	int rc;

	snprintf(subnet, sizeof(subnet), "%s", r->interfaces[i].subnet_id);
	memmove(&r->interfaces[i], &r->interfaces[i + 1],
		(r->n_interfaces - i - 1) * sizeof(r->interfaces[0]));
	r->n_interfaces--;
	rc = nb_h_update(o->nb, rh, mod, &rev, err, sizeof(err));
	if (rc == -EAGAIN)
		rc = nbo_fail(e, rc, "Conflict", "router %s changed meanwhile; try again",
			      rh->id);
	else if (rc)
		rc = nbo_db_fail(e, rc, MDL_ROUTER, err);
	else
		*out = iface_answer(r, subnet, "", "");
	if (rev)
		(void)nb_index_wait(o->nb, rev, 3000);
	return rc;
}

static int remove_iface(struct nbo *o, const char *rid, const char *sid, const char *pid,
		  json_t **out, struct nbo_err *e)
{
	char err[MDL_ERR_SIZE], subnet[MDL_ID_SIZE] = "", port[MDL_ID_SIZE] = "";
	char net[MDL_ID_SIZE] = "";
	struct mdl_hdr *rh = NULL, *ph = NULL;
	const struct mdl_router *r;
	uint64_t rev = 0, rmod;
	size_t i;
	int rc;

	if ((rc = get(o, MDL_ROUTER, rid, &rh, &rmod, e)))
		return rc;
	r = mdl_hdr_to_router(rh);
	for (i = 0; i < r->n_interfaces; i++)
		if ((sid && !strcmp(r->interfaces[i].subnet_id, sid)) ||
		    (pid && !strcmp(r->interfaces[i].port_id, pid)))
			break;
	if (i < r->n_interfaces && !r->interfaces[i].port_id[0] && !pid) {
		rc = remove_portless(o, rh, i, rmod, out, e);
		goto out;
	}
	if (i == r->n_interfaces || (sid && pid && strcmp(r->interfaces[i].port_id, pid)) ||
	    !r->interfaces[i].port_id[0]) {
		rc = pid ? nbo_fail(e, -ENOENT, "RouterInterfaceNotFound", "Router %s does not "
				    "have an interface with id %s", rid, pid) :
			   nbo_fail(e, -ENOENT, "RouterInterfaceNotFoundForSubnet", "Router %s "
				    "has no interface on subnet %s", rid, sid);
		goto out;
	}
	snprintf(subnet, sizeof(subnet), "%s", r->interfaces[i].subnet_id);
	snprintf(port, sizeof(port), "%s", r->interfaces[i].port_id);
	if (!nb_get(nb_db(o->nb), MDL_PORT, port, &ph, NULL))
		snprintf(net, sizeof(net), "%s", mdl_hdr_to_port(ph)->network_id);
	rc = nb_remove_router_interface(o->nb, rid, port, &rev, err, sizeof(err));
	if (rc == -ENOENT)
		rc = nbo_fail(e, rc, "RouterInterfaceNotFound", "%s", err);
	else if (rc)
		rc = nbo_db_fail(e, rc, MDL_ROUTER, err);
	else
		*out = iface_answer(r, subnet, port, net);
	if (rev)
		(void)nb_index_wait(o->nb, rev, 3000);
out:
	mdl_obj_free(rh);
	mdl_obj_free(ph);
	return rc;
}

int nbo_router_iface(struct nbo *o, const char *rid, bool add, const json_t *body,
		     json_t **out, struct nbo_err *e)
{
	json_t *js = json_object_get(body, "subnet_id"), *jp = json_object_get(body, "port_id");
	const char *key;
	json_t *v;
	int rc;

	*out = NULL;
	e->type[0] = e->msg[0] = '\0';
	if (!json_is_object(body))
		return nbo_fail(e, -EINVAL, "HTTPBadRequest", "Resource body required");
	json_object_foreach((json_t *)body, key, v)
		if (strcmp(key, "subnet_id") && strcmp(key, "port_id"))
			return nbo_fail(e, -EINVAL, "HTTPBadRequest", "Unrecognized attribute(s) "
					"'%s'", key);
	if ((js && !json_is_string(js)) || (jp && !json_is_string(jp)))
		return nbo_fail(e, -EINVAL, "BadRequest", "Bad router request: subnet_id and "
				"port_id must be strings.");
	if (!js && !jp)
		return nbo_fail(e, -EINVAL, "BadRequest", "Bad router request: Either subnet_id "
				"or port_id must be specified.");
	if (add && js && jp)
		return nbo_fail(e, -EINVAL, "BadRequest", "Bad router request: Cannot specify "
				"both subnet-id and port-id.");
	if (!add)
		rc = remove_iface(o, rid, json_string_value(js), json_string_value(jp), out, e);
	else if (js)
		rc = add_by_subnet(o, rid, json_string_value(js), out, e);
	else
		rc = add_by_port(o, rid, json_string_value(jp), out, e);
	if (!rc && !*out)
		rc = nbo_fail(e, -ENOMEM, "ServiceUnavailable", "out of memory");
	return rc;
}

/* ---- tags ---- */

static int tags_edit(struct nbo *o, enum mdl_type t, const char *id, const json_t *all,
		     const char *add, const char *del, json_t **out, struct nbo_err *e)
{
	json_t *body, *tags, *x;
	json_t *cur = NULL;
	size_t i;
	int rc;

	if ((rc = nbo_show(o, t, id, &cur, e)))
		return rc;
	tags = all ? json_deep_copy(all) : json_deep_copy(json_object_get(cur, "tags"));
	if (!tags || !json_is_array(tags)) {
		json_decref(tags);
		json_decref(cur);
		return nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input: tags must be a list "
				"of strings.");
	}
	if (add || del) {
		json_array_foreach(tags, i, x)
			if (!strcmp(json_string_value(x) ? json_string_value(x) : "",
				    add ? add : del))
				break;
		if (del && i == json_array_size(tags)) {
			json_decref(tags);
			json_decref(cur);
			return nbo_fail(e, -ENOENT, "TagNotFound", "Tag %s could not be found.",
					del);
		}
		if (del)
			json_array_remove(tags, i);
		else if (i == json_array_size(tags))
			json_array_append_new(tags, json_string(add));
	}
	body = json_pack("{s:o}", "tags", tags);
	rc = body ? nbo_update(o, t, id, body, json_integer_value(json_object_get(cur,
				"revision_number")), out, e) : -ENOMEM;
	if (rc == -ECANCELED)   /* changed meanwhile: edit the new version */
		rc = -EAGAIN;
	json_decref(body);
	json_decref(cur);
	return rc;
}

static int tags_retry(struct nbo *o, enum mdl_type t, const char *id, const json_t *all,
		      const char *add, const char *del, json_t **out, struct nbo_err *e)
{
	int rc = -EAGAIN, attempt;

	for (attempt = 0; attempt < 8 && rc == -EAGAIN; attempt++) {
		json_decref(*out);
		*out = NULL;
		rc = tags_edit(o, t, id, all, add, del, out, e);
	}
	return rc;
}

int nbo_tags_set(struct nbo *o, enum mdl_type t, const char *id, const json_t *tags,
		 json_t **out, struct nbo_err *e)
{
	json_t *empty = json_array();
	int rc;

	*out = NULL;
	rc = tags_retry(o, t, id, tags ? tags : empty, NULL, NULL, out, e);
	json_decref(empty);
	return rc;
}

int nbo_tag_add(struct nbo *o, enum mdl_type t, const char *id, const char *tag,
		struct nbo_err *e)
{
	json_t *out = NULL;
	int rc = tags_retry(o, t, id, NULL, tag, NULL, &out, e);    /* checked as tags */

	json_decref(out);
	return rc;
}

int nbo_tag_del(struct nbo *o, enum mdl_type t, const char *id, const char *tag,
		struct nbo_err *e)
{
	json_t *out = NULL;
	int rc = tags_retry(o, t, id, NULL, NULL, tag, &out, e);

	json_decref(out);
	return rc;
}
