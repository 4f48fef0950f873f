/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nbo_view.c — the Neutron view of a model object: its model JSON
 * without wyvern's own members (dp_key, attrs, router interfaces), its
 * attrs merged in, the standard attributes with their defaults, tenant_id,
 * and what Neutron derives (network subnets and status, port status and
 * binding:vif_type / vif_details).
 *
 * Port status is reported: ACTIVE when the chassis that binds the port says
 * so (its wyvernd has the port's interface and installed it: nb_port_status,
 * written by ctrl/lc/lc_status.c under the chassis' lease) and the port is
 * administratively up, DOWN otherwise — unbound, not plugged yet, or its
 * chassis gone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbo.h"

static int dflt(json_t *v, const char *key, json_t *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_get(v, key)) {
		json_decref(val);
		return 0;
	}
	return json_object_set_new(v, key, val) ? -ENOMEM : 0;
}

static int network_view(struct nbo *o, const struct mdl_hdr *h, json_t *v)
{
	struct nb_filter f = { .network_id = h->id };
	struct mdl_hdr **subs;
	size_t n, i;
	json_t *ids = json_array();
	int rc = 0;

	if (!ids)
		return -ENOMEM;
	if (!nb_find(o->nb, MDL_SUBNET, &f, &subs, &n)) {
		for (i = 0; i < n; i++)
			json_array_append_new(ids, json_string(subs[i]->id));
		nb_list_free(subs, n);
	}
	rc |= json_object_set_new(v, "subnets", ids);
	rc |= json_object_set_new(v, "status", json_string("ACTIVE"));
	rc |= dflt(v, "shared", json_false());
	rc |= dflt(v, "port_security_enabled", json_true());
	rc |= dflt(v, "availability_zone_hints", json_array());
	rc |= json_object_set_new(v, "availability_zones", json_array());
	rc |= json_object_set_new(v, "ipv4_address_scope", json_null());
	rc |= json_object_set_new(v, "ipv6_address_scope", json_null());
	return rc ? -ENOMEM : 0;
}

static int port_view(struct nbo *o, const struct mdl_hdr *h, json_t *v)
{
	const struct mdl_port *p = (const struct mdl_port *)h;
	bool bound = p->binding_host_id[0] != '\0';
	json_t *details;
	int rc = 0;

	char st[16] = "";
	bool up = bound && p->admin_state_up &&
		  nb_port_status(o->nb, h->id, p->binding_host_id, st, sizeof(st)) == 0 &&
		  !strcmp(st, "ACTIVE");

	rc |= json_object_set_new(v, "status", json_string(up ? "ACTIVE" : "DOWN"));
	rc |= json_object_set_new(v, "binding:vif_type",
				  json_string(bound ? o->cfg.vif_type : "unbound"));
	if (bound && !strcmp(o->cfg.vif_type, "vhostuser")) {
		char sock[256];

		snprintf(sock, sizeof(sock), "%s/vhu%.11s", o->cfg.vhost_dir, h->id);
		details = json_pack("{s:s,s:s,s:b}", "vhostuser_socket", sock,
				    "vhostuser_mode", "server", "port_filter", 1);
	} else if (bound) {
		details = json_pack("{s:b}", "port_filter", 1);
	} else {
		details = json_object();
	}
	rc |= details ? json_object_set_new(v, "binding:vif_details", details) : -1;
	rc |= dflt(v, "binding:vnic_type", json_string("normal"));
	rc |= dflt(v, "binding:profile", json_object());
	rc |= dflt(v, "extra_dhcp_opts", json_array());
	return rc ? -ENOMEM : 0;
}

json_t *nbo_view(struct nbo *o, const struct mdl_hdr *h)
{
	json_t *v, *attrs, *x;
	const char *key;
	int rc = 0;

	if (h->type == MDL_SECURITY_GROUP_RULE)
		return nbo_rule_view(h);
	v = mdl_obj_to_json(h);
	if (!v)
		return NULL;
	attrs = json_object_get(v, "attrs");
	json_incref(attrs);
	json_object_del(v, "attrs");
	json_object_del(v, "dp_key");
	json_object_foreach(attrs, key, x)
		rc |= json_object_set(v, key, x);
	json_decref(attrs);
	rc |= dflt(v, "description", json_string(""));
	rc |= dflt(v, "tags", json_array());
	rc |= dflt(v, "created_at", json_null());
	rc |= dflt(v, "updated_at", json_null());
	x = json_object_get(v, "project_id");
	rc |= x ? json_object_set(v, "tenant_id", x) :
		  json_object_set_new(v, "tenant_id", json_string(""));
	switch (h->type) {
	case MDL_NETWORK:
		rc |= network_view(o, h, v);
		break;
	case MDL_SUBNET:
		rc |= dflt(v, "subnetpool_id", json_null());
		rc |= dflt(v, "service_types", json_array());
		rc |= dflt(v, "segment_id", json_null());
		break;
	case MDL_PORT:
		rc |= port_view(o, h, v);
		break;
	case MDL_ROUTER:
		json_object_del(v, "interfaces");
		rc |= json_object_set_new(v, "status", json_string("ACTIVE"));
		rc |= dflt(v, "availability_zone_hints", json_array());
		rc |= json_object_set_new(v, "availability_zones", json_array());
		break;
	case MDL_SECURITY_GROUP:
		rc |= nbo_sg_view(o, h, v);
		rc |= json_object_set_new(v, "shared", json_false());
		break;
	case MDL_SUBNETPOOL:
		rc |= dflt(v, "default_quota", json_null());
		break;
	case MDL_FLOATING_IP:
		json_object_del(v, "subnet_id"); /* kept for its claim, not in the view */
		rc |= json_object_set_new(v, "status", json_string(
			((const struct mdl_floating_ip *)h)->port_id[0] ? "ACTIVE" : "DOWN"));
		break;
	default:
		break;
	}
	if (rc) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* ---- names of the resources ---- */
static const struct name {
	enum mdl_type type;
	const char *singular, *plural, *title, *url, *words;
} names[] = {
	{ MDL_NETWORK, "network", "networks", "Network", "networks", "Network" },
	{ MDL_SUBNET, "subnet", "subnets", "Subnet", "subnets", "Subnet" },
	{ MDL_PORT, "port", "ports", "Port", "ports", "Port" },
	{ MDL_ROUTER, "router", "routers", "Router", "routers", "Router" },
	{ MDL_SECURITY_GROUP, "security_group", "security_groups", "SecurityGroup",
	  "security-groups", "SecurityGroup" },
	{ MDL_SECURITY_GROUP_RULE, "security_group_rule", "security_group_rules",
	  "SecurityGroupRule", "security-group-rules", "SecurityGroupRule" },
	{ MDL_FLOATING_IP, "floatingip", "floatingips", "FloatingIP", "floatingips",
	  "FloatingIP" },
	{ MDL_SUBNETPOOL, "subnetpool", "subnetpools", "SubnetPool", "subnetpools",
	  "Subnet pool" },
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

int nbo_type_of_collection(const char *plural)
{
	size_t i;

	for (i = 0; plural && i < N_NAMES; i++)
		if (!strcmp(names[i].url, plural))
			return (int)names[i].type;
	return -EINVAL;
}

/* The names of type, or NULL for a type without a collection. */
static const struct name *entry(enum mdl_type type)
{
	size_t i;

	for (i = 0; i < N_NAMES; i++)
		if (names[i].type == type)
			return &names[i];
	return NULL;
}

const char *nbo_collection(enum mdl_type type)
{
	const struct name *n = entry(type);

	return n ? n->url : "objects";
}

const char *nbo_singular(enum mdl_type type)
{
	const struct name *n = entry(type);

	return n ? n->singular : "object";
}

const char *nbo_plural(enum mdl_type type)
{
	const struct name *n = entry(type);

	return n ? n->plural : "objects";
}

const char *nbo_title(enum mdl_type type)
{
	const struct name *n = entry(type);

	return n ? n->title : "Object";
}

const char *nbo_words(enum mdl_type type)
{
	const struct name *n = entry(type);

	return n ? n->words : "Object";
}

static int cmp_id(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "id"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "id"));
	return strcmp(x ? x : "", y ? y : "");
}

/* arr sorted by "id" again (after the gateway ports' views were appended) */
static int sort_by_id(json_t *arr)
{
	size_t n = json_array_size(arr), i;
	if (n < 2)
		return 0;
	json_t **v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp_id);
	json_array_clear(arr);
	int rc = 0;
	for (i = 0; i < n; i++)
		rc |= json_array_append_new(arr, v[i]);
	free(v);
	return rc ? -ENOMEM : 0;
}

int nbo_list(struct nbo *o, enum mdl_type t, const struct nb_filter *f, json_t **out,
	     struct nbo_err *e)
{
	struct mdl_hdr **objs;
	size_t n, i;
	int rc;

	*out = NULL;
	if ((rc = nb_find(o->nb, t, f, &objs, &n)))
		return nbo_db_fail(e, rc, t, "list");
	*out = json_array();
	for (i = 0; *out && i < n; i++)
		if (json_array_append_new(*out, nbo_view(o, objs[i]))) {
			json_decref(*out);
			*out = NULL;
		}
	nb_list_free(objs, n);
	if (*out && t == MDL_PORT && (rc = nbo_gw_ports_append(o, f, *out)) == 0)
		rc = sort_by_id(*out);
	if (*out && rc) {
		json_decref(*out);
		*out = NULL;
		if (rc != -ENOMEM)
			return nbo_db_fail(e, rc, MDL_ROUTER, "list");
	}
	return *out ? 0 : nbo_fail(e, -ENOMEM, "ServiceUnavailable", "out of memory");
}
