/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_ops_opts.c — the options of `wyctl TYPE create|update`, one
 * table per type, and the defaults filled in after them (network type,
 * subnet gateway and IP version, port addresses, default egress rules).
 *
 * Every handler edits the object's JSON.  Repeatable list options (--dns,
 * --fixed-ip, --route, ...) replace the stored list on update: the first
 * occurrence starts a new list, later ones append; --no-X empties it.
 * --add-subnet/--remove-subnet and --add-rule/--remove-rule edit in place.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_addr.h"
#include "nb_ops_priv.h"

static int jset(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *key,
		json_t *v)
{
	if (!v)
		return nb_usage_err(c, "%s: invalid value (not UTF-8?)", o->name);
	if (json_object_set_new(obj, key, v))
		return -ENOMEM;
	return 0;
}

static int set_str(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	return jset(c, o, obj, o->field, json_string(arg));
}

static int set_int(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (!*arg || *end || errno)
		return nb_usage_err(c, "%s: '%s' is not an integer", o->name, arg);
	return jset(c, o, obj, o->field, json_integer(v));
}

static int set_true(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	return jset(c, o, obj, o->field, json_true());
}

static int set_false(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	return jset(c, o, obj, o->field, json_false());
}

static int set_null(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	return jset(c, o, obj, o->field, json_null());
}

static int set_empty(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	return jset(c, o, obj, o->field, json_string(""));
}

/* A reference inside the object: like nb_resolve(), but a well-formed uuid
 * that names nothing is passed on, so that the model reports the dangling
 * reference with the field it is in. */
static int resolve_ref(struct nb_ctx *c, enum mdl_type type, const char *arg, char *id)
{
	int rc = nb_resolve(c, type, arg, id);

	if (rc == -ENOENT && mdl_uuid_valid(arg)) {
		snprintf(id, MDL_ID_SIZE, "%s", arg);
		c->err[0] = '\0';
		rc = 0;
	}
	return rc;
}

static int set_ref(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	char id[MDL_ID_SIZE];
	int rc = resolve_ref(c, (enum mdl_type)o->rtype, arg, id);

	return rc ? rc : jset(c, o, obj, o->field, json_string(id));
}

/* "none" (or "") = null. */
static int set_ip_or_none(struct nb_ctx *c, const struct nb_opt *o, json_t *obj,
			  const char *arg)
{
	if (!*arg || !strcmp(arg, "none"))
		return set_null(c, o, obj, arg);
	return set_str(c, o, obj, arg);
}

bool nb_replaced(const struct nb_ctx *c, const char *field)
{
	for (size_t i = 0; i < c->n_reset; i++)
		if (!strcmp(c->reset[i], field))
			return true;
	return false;
}

/* The list in `field` that this command edits: replaced by an empty one the
 * first time the command touches it. */
static json_t *list_of(struct nb_ctx *c, json_t *obj, const char *field)
{
	json_t *a;

	if (nb_replaced(c, field))
		return json_object_get(obj, field);
	if (c->n_reset < sizeof(c->reset) / sizeof(c->reset[0]))
		c->reset[c->n_reset++] = field;
	a = json_array();
	if (a && json_object_set_new(obj, field, a))
		return NULL;
	return a;
}

/* The list in `field` as stored, for in-place edits (created if missing). */
static json_t *list_in(json_t *obj, const char *field)
{
	json_t *a = json_object_get(obj, field);

	if (json_is_array(a))
		return a;
	a = json_array();
	if (a && json_object_set_new(obj, field, a))
		return NULL;
	return a;
}

static int append(struct nb_ctx *c, const struct nb_opt *o, json_t *list, json_t *v)
{
	if (!v)
		return nb_usage_err(c, "%s: invalid value (not UTF-8?)", o->name);
	if (!list || json_array_append_new(list, v))
		return -ENOMEM;
	return 0;
}

static int clear_list(struct nb_ctx *c, const struct nb_opt *o, json_t *obj,
		      const char *arg)
{
	return list_of(c, obj, o->field) ? 0 : -ENOMEM;
}

static int add_str(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	return append(c, o, list_of(c, obj, o->field), json_string(arg));
}

static int add_ref(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	char id[MDL_ID_SIZE];
	int rc = resolve_ref(c, (enum mdl_type)o->rtype, arg, id);

	return rc ? rc : append(c, o, list_of(c, obj, o->field), json_string(id));
}

/* ---- KEY=VALUE[,KEY=VALUE...] values ---- */

struct kv {
	const char *key;
	const char *alias;
	char *val;              /* NULL if absent; points into the parsed copy */
};

/* Splits s (modified) into kv[]; unknown or repeated keys are usage errors. */
static int parse_kv(struct nb_ctx *c, const char *opt, char *s, struct kv *kv, size_t n)
{
	char *save = NULL, *tok;
	size_t i;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			return nb_usage_err(c, "%s: '%s' is not KEY=VALUE", opt, tok);
		*eq = '\0';
		for (i = 0; i < n; i++)
			if (!strcmp(tok, kv[i].key) || (kv[i].alias && !strcmp(tok, kv[i].alias)))
				break;
		if (i == n)
			return nb_usage_err(c, "%s: unknown key '%s'", opt, tok);
		if (kv[i].val)
			return nb_usage_err(c, "%s: '%s' given twice", opt, tok);
		kv[i].val = eq + 1;
	}
	return 0;
}

static int opt_int(struct nb_ctx *c, const char *opt, const char *key, const char *s,
		   json_int_t *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return nb_usage_err(c, "%s: %s '%s' is not an integer", opt, key, s);
	return 0;
}

/* --fixed-ip subnet=SUBNET,ip=IP (either may be left out, see nb_port_finish) */
static int add_fixed_ip(struct nb_ctx *c, const struct nb_opt *o, json_t *obj,
			const char *arg)
{
	struct kv kv[] = { { "subnet", "subnet_id", NULL }, { "ip", "ip_address", NULL } };
	char *s = strdup(arg), id[MDL_ID_SIZE];
	json_t *e = NULL;
	int rc;

	if (!s)
		return -ENOMEM;
	rc = parse_kv(c, o->name, s, kv, 2);
	if (!rc && !kv[0].val && !kv[1].val)
		rc = nb_usage_err(c, "%s: needs subnet=SUBNET and/or ip=IP", o->name);
	if (!rc && kv[0].val)
		rc = resolve_ref(c, MDL_SUBNET, kv[0].val, id);
	if (!rc) {
		e = json_object();
		if (kv[0].val)
			json_object_set_new(e, "subnet_id", json_string(id));
		if (kv[1].val)
			json_object_set_new(e, "ip_address", json_string(kv[1].val));
		rc = append(c, o, list_of(c, obj, o->field), e);
	}
	free(s);
	return rc;
}

/* --allowed-address IP[/LEN][,mac=MAC] */
static int add_pair(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	struct kv kv[] = { { "mac", "mac_address", NULL } };
	char *s = strdup(arg), *comma;
	json_t *e;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	comma = strchr(s, ',');
	if (comma) {
		*comma = '\0';
		rc = parse_kv(c, o->name, comma + 1, kv, 1);
	}
	if (!rc && !*s)
		rc = nb_usage_err(c, "%s: missing IP address", o->name);
	if (!rc) {
		e = json_pack("{s:s?}", "ip_address", s);
		if (e && kv[0].val)
			json_object_set_new(e, "mac_address", json_string(kv[0].val));
		rc = append(c, o, list_of(c, obj, o->field), e);
	}
	free(s);
	return rc;
}

/* DEST=NEXTHOP, or destination=DEST,nexthop=NEXTHOP (gateway= as in the
 * openstack CLI). */
static int add_route(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	struct kv kv[] = { { "destination", NULL, NULL }, { "nexthop", "gateway", NULL } };
	char *s = strdup(arg), *eq;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	if (!strncmp(s, "destination=", 12) || !strncmp(s, "nexthop=", 8) ||
	    !strncmp(s, "gateway=", 8)) {
		rc = parse_kv(c, o->name, s, kv, 2);
	} else if ((eq = strchr(s, '='))) {
		*eq = '\0';
		kv[0].val = s;
		kv[1].val = eq + 1;
	}
	if (!rc && (!kv[0].val || !kv[1].val))
		rc = nb_usage_err(c, "%s: '%s' is not DEST=NEXTHOP", o->name, arg);
	if (!rc)
		rc = append(c, o, list_of(c, obj, o->field),
			    json_pack("{s:s,s:s}", "destination", kv[0].val,
				      "nexthop", kv[1].val));
	free(s);
	return rc;
}

/* --pool START-END, or start=START,end=END */
static int add_pool(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	struct kv kv[] = { { "start", NULL, NULL }, { "end", NULL, NULL } };
	char *s = strdup(arg), *dash;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	if (strchr(s, '=')) {
		rc = parse_kv(c, o->name, s, kv, 2);
	} else if ((dash = strchr(s, '-'))) {
		*dash = '\0';
		kv[0].val = s;
		kv[1].val = dash + 1;
	}
	if (!rc && (!kv[0].val || !kv[1].val))
		rc = nb_usage_err(c, "%s: '%s' is not START-END", o->name, arg);
	if (!rc)
		rc = append(c, o, list_of(c, obj, o->field),
			    json_pack("{s:s,s:s}", "start", kv[0].val, "end", kv[1].val));
	free(s);
	return rc;
}

/* ---- routers ---- */

static int set_ext_gw(struct nb_ctx *c, const struct nb_opt *o, json_t *obj,
		      const char *arg)
{
	json_t *old = json_object_get(obj, o->field);
	char id[MDL_ID_SIZE];
	int rc = resolve_ref(c, MDL_NETWORK, arg, id);

	if (rc)
		return rc;
	if (json_is_object(old) &&
	    !strcmp(json_string_value(json_object_get(old, "network_id")) ?: "", id))
		return 0;       /* same network: keep SNAT and fixed IPs */
	return jset(c, o, obj, o->field, json_pack("{s:s,s:b,s:[]}", "network_id", id,
						  "enable_snat", 1, "external_fixed_ips"));
}

/* --add-subnet / --remove-subnet / --add-port / --remove-port: recorded in
 * c->ifaces, in order, and run as the API's add_router_interface /
 * remove_router_interface (nbo_router_iface: a port on the subnet's gateway
 * address and the router in one transaction) once the router exists and
 * its attributes are written (nb_ops_nbo.c).  The checks (already attached,
 * no gateway, overlaps, another router's address) are the API's. */
static int iface_op(struct nb_ctx *c, const struct nb_opt *o, bool add, enum mdl_type t,
		    const char *arg)
{
	char id[MDL_ID_SIZE];
	int rc;

	/* a subnet or port that is gone can still be detached by id */
	if (!add && mdl_uuid_valid(arg))
		snprintf(id, sizeof(id), "%s", arg);
	else if ((rc = nb_resolve(c, t, arg, id)))
		return rc;
	if (!c->ifaces && !(c->ifaces = json_array()))
		return -ENOMEM;
	return append(c, o, c->ifaces, json_pack("{s:b,s:s}", "add", add,
						 t == MDL_SUBNET ? "subnet_id" : "port_id", id));
}

static int add_subnet(struct nb_ctx *c, const struct nb_opt *o, json_t *obj,
		      const char *arg)
{
	(void)obj;
	return iface_op(c, o, true, MDL_SUBNET, arg);
}

static int remove_subnet(struct nb_ctx *c, const struct nb_opt *o, json_t *obj,
			 const char *arg)
{
	(void)obj;
	return iface_op(c, o, false, MDL_SUBNET, arg);
}

static int add_port(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	(void)obj;
	return iface_op(c, o, true, MDL_PORT, arg);
}

static int remove_port(struct nb_ctx *c, const struct nb_opt *o, json_t *obj,
		       const char *arg)
{
	(void)obj;
	return iface_op(c, o, false, MDL_PORT, arg);
}

/* ---- security groups ---- */

static json_t *new_rule(const char *dir, const char *ethertype)
{
	char id[MDL_ID_SIZE];

	if (mdl_uuid_generate(id))
		return NULL;
	return json_pack("{s:s,s:s,s:s}", "id", id, "direction", dir, "ethertype", ethertype);
}

/* --add-rule direction=ingress,ethertype=IPv4,protocol=tcp,port_min=22,
 * port_max=22 (or port=22[:23]),remote_prefix=CIDR,remote_group=SG */
static int add_rule(struct nb_ctx *c, const struct nb_opt *o, json_t *obj, const char *arg)
{
	enum { DIR, ET, PROTO, PMIN, PMAX, PORT, RPFX, RGRP, N_KV };
	struct kv kv[N_KV] = {
		[DIR] = { "direction", NULL, NULL },
		[ET] = { "ethertype", NULL, NULL },
		[PROTO] = { "protocol", NULL, NULL },
		[PMIN] = { "port_min", "port_range_min", NULL },
		[PMAX] = { "port_max", "port_range_max", NULL },
		[PORT] = { "port", NULL, NULL },
		[RPFX] = { "remote_prefix", "remote_ip_prefix", NULL },
		[RGRP] = { "remote_group", "remote_group_id", NULL },
	};
	char *s = strdup(arg), id[MDL_ID_SIZE];
	json_int_t lo = -1, hi = -1;
	const char *et;
	json_t *r = NULL;
	int rc;

	if (!s)
		return -ENOMEM;
	rc = parse_kv(c, o->name, s, kv, N_KV);
	if (!rc && kv[PORT].val && (kv[PMIN].val || kv[PMAX].val))
		rc = nb_usage_err(c, "%s: give port= or port_min=/port_max=, not both", o->name);
	if (!rc && kv[PORT].val) {
		char *colon = strchr(kv[PORT].val, ':');

		if (colon)
			*colon = '\0';
		rc = opt_int(c, o->name, "port", kv[PORT].val, &lo);
		hi = lo;
		if (!rc && colon)
			rc = opt_int(c, o->name, "port", colon + 1, &hi);
	}
	if (!rc && kv[PMIN].val)
		rc = opt_int(c, o->name, "port_min", kv[PMIN].val, &lo);
	if (!rc && kv[PMAX].val)
		rc = opt_int(c, o->name, "port_max", kv[PMAX].val, &hi);
	if (!rc && kv[RGRP].val)
		rc = resolve_ref(c, MDL_SECURITY_GROUP, kv[RGRP].val, id);
	if (rc)
		goto out;
	et = kv[ET].val ? kv[ET].val :
	     (kv[RPFX].val && strchr(kv[RPFX].val, ':')) ? "IPv6" : "IPv4";
	r = new_rule(kv[DIR].val ? kv[DIR].val : "ingress", et);
	if (!r) {
		rc = -ENOMEM;
		goto out;
	}
	if (kv[PROTO].val && *kv[PROTO].val)
		json_object_set_new(r, "protocol", json_string(kv[PROTO].val));
	if (lo >= 0)
		json_object_set_new(r, "port_range_min", json_integer(lo));
	if (hi >= 0)
		json_object_set_new(r, "port_range_max", json_integer(hi));
	if (kv[RPFX].val)
		json_object_set_new(r, "remote_ip_prefix", json_string(kv[RPFX].val));
	if (kv[RGRP].val)
		json_object_set_new(r, "remote_group_id", json_string(id));
	/* a new rule object, written with the group (nb_ops_sg.c) */
	if (!c->new_rules && !(c->new_rules = json_array())) {
		json_decref(r);
		rc = -ENOMEM;
		goto out;
	}
	rc = append(c, o, c->new_rules, r);
out:
	free(s);
	return rc;
}

/* A rule embedded in the group (older stores) is removed from the group;
 * otherwise the rule object is deleted with the update (nb_ops_sg.c checks
 * that it is one of this group's). */
static int remove_rule(struct nb_ctx *c, const struct nb_opt *o, json_t *obj,
		       const char *arg)
{
	json_t *rules = list_in(obj, o->field), *e;
	char (*v)[MDL_ID_SIZE];
	size_t i;

	json_array_foreach(rules, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "id")) ?: "", arg))
			return json_array_remove(rules, i) ? -ENOMEM : 0;
	if (!mdl_uuid_valid(arg))
		return nb_fail(c, -ENOENT, "security group %s has no rule %s", c->self_id, arg);
	v = realloc(c->del_rules, (c->n_del_rules + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->del_rules = v;
	snprintf(v[c->n_del_rules++], MDL_ID_SIZE, "%s", arg);
	return 0;
}

static int no_default_rules(struct nb_ctx *c, const struct nb_opt *o, json_t *obj,
			    const char *arg)
{
	c->flags |= NB_F_NO_DEFAULT_RULES;
	return 0;
}

/* ---- defaults after the options ---- */

static int network_finish(struct nb_ctx *c, json_t *obj)
{
	if (c->create && !json_object_get(obj, "provider:network_type"))
		return json_object_set_new(obj, "provider:network_type",
					   json_string("vxlan")) ? -ENOMEM : 0;
	return 0;
}

/* Neutron gives a new group two rules, egress IPv4 and IPv6 to anywhere:
 * nb_sg_create adds them as rule objects unless --no-default-rules. */
static int sg_finish(struct nb_ctx *c, json_t *obj)
{
	(void)c, (void)obj;
	return 0;
}

/* ---- tables ---- */

#define A NB_O_ARG
#define C NB_O_CREATE
#define U NB_O_UPDATE
#define B NB_O_BOTH
#define R NB_O_REQ

#define COMMON_OPTS \
	{ "--name", "name", set_str, A | U, 0 }, \
	{ "--project", "project_id", set_str, A | B, 0 }

#define ADMIN_OPTS \
	{ "--enable", "admin_state_up", set_true, B, 0 }, \
	{ "--disable", "admin_state_up", set_false, B, 0 }

static const struct nb_opt network_opts[] = {
	COMMON_OPTS, ADMIN_OPTS,
	{ "--mtu", "mtu", set_int, A | B, 0 },
	{ "--type", "provider:network_type", set_str, A | B, 0 },
	{ "--segment", "provider:segmentation_id", set_int, A | B, 0 },
	{ "--no-segment", "provider:segmentation_id", set_null, U, 0 },
	{ "--physnet", "provider:physical_network", set_str, A | B, 0 },
	{ "--no-physnet", "provider:physical_network", set_null, U, 0 },
	{ "--external", "router:external", set_true, B, 0 },
	{ "--internal", "router:external", set_false, B, 0 },
	{ NULL, NULL, NULL, 0, 0 }
};

static const struct nb_opt subnet_opts[] = {
	COMMON_OPTS,
	{ "--network", "network_id", set_ref, A | C | R, MDL_NETWORK },
	{ "--cidr", "cidr", set_str, A | C | R, 0 },
	{ "--ip-version", "ip_version", set_int, A | C, 0 },
	{ "--gateway", "gateway_ip", set_ip_or_none, A | B, 0 },
	{ "--no-gateway", "gateway_ip", set_null, B, 0 },
	{ "--dhcp", "enable_dhcp", set_true, B, 0 },
	{ "--no-dhcp", "enable_dhcp", set_false, B, 0 },
	{ "--dns", "dns_nameservers", add_str, A | B, 0 },
	{ "--no-dns", "dns_nameservers", clear_list, U, 0 },
	{ "--host-route", "host_routes", add_route, A | B, 0 },
	{ "--no-host-route", "host_routes", clear_list, U, 0 },
	{ "--pool", "allocation_pools", add_pool, A | B, 0 },
	{ "--no-pool", "allocation_pools", clear_list, U, 0 },
	{ "--ipv6-address-mode", "ipv6_address_mode", set_str, A | C, 0 },
	{ "--ipv6-ra-mode", "ipv6_ra_mode", set_str, A | C, 0 },
	{ NULL, NULL, NULL, 0, 0 }
};

static const struct nb_opt port_opts[] = {
	COMMON_OPTS, ADMIN_OPTS,
	{ "--network", "network_id", set_ref, A | C | R, MDL_NETWORK },
	{ "--mac", "mac_address", set_str, A | B, 0 },
	{ "--fixed-ip", "fixed_ips", add_fixed_ip, A | B, 0 },
	{ "--no-fixed-ip", "fixed_ips", clear_list, B, 0 },
	{ "--allowed-address", "allowed_address_pairs", add_pair, A | B, 0 },
	{ "--no-allowed-address", "allowed_address_pairs", clear_list, U, 0 },
	{ "--port-security", "port_security_enabled", set_true, B, 0 },
	{ "--no-port-security", "port_security_enabled", set_false, B, 0 },
	{ "--security-group", "security_groups", add_ref, A | B, MDL_SECURITY_GROUP },
	{ "--no-security-group", "security_groups", clear_list, U, 0 },
	{ "--host", "binding:host_id", set_str, A | B, 0 },
	{ "--no-host", "binding:host_id", set_empty, U, 0 },
	{ "--device-owner", "device_owner", set_str, A | B, 0 },
	{ "--device-id", "device_id", set_str, A | B, 0 },
	{ NULL, NULL, NULL, 0, 0 }
};

static const struct nb_opt router_opts[] = {
	COMMON_OPTS, ADMIN_OPTS,
	{ "--external-gateway", "external_gateway_info", set_ext_gw, A | B, 0 },
	{ "--no-external-gateway", "external_gateway_info", set_null, U, 0 },
	{ "--add-subnet", "interfaces", add_subnet, A | B, 0 },
	{ "--remove-subnet", "interfaces", remove_subnet, A | U, 0 },
	{ "--add-port", "interfaces", add_port, A | B, 0 },
	{ "--remove-port", "interfaces", remove_port, A | U, 0 },
	{ "--route", "routes", add_route, A | B, 0 },
	{ "--no-route", "routes", clear_list, U, 0 },
	{ NULL, NULL, NULL, 0, 0 }
};

static const struct nb_opt sg_opts[] = {
	COMMON_OPTS,
	{ "--add-rule", "security_group_rules", add_rule, A | B, 0 },
	{ "--remove-rule", "security_group_rules", remove_rule, A | U, 0 },
	{ "--no-default-rules", NULL, no_default_rules, C, 0 },
	{ "--stateless", "stateful", set_false, C, 0 },
	{ "--stateful", "stateful", set_true, C, 0 },
	{ NULL, NULL, NULL, 0, 0 }
};

const struct nb_kind nb_kinds[] = {
	{ "network", MDL_NETWORK, network_opts, network_finish,
	  "network create NAME [--mtu N] [--type vxlan|geneve|vlan|flat|local] [--segment N]\n"
	  "    [--physnet NAME] [--external|--internal] [--project ID] [--enable|--disable]",
	  "network update NETWORK [--name NAME] [--mtu N] [--type TYPE] [--segment N|--no-segment]\n"
	  "    [--physnet NAME|--no-physnet] [--external|--internal] [--project ID]\n"
	  "    [--enable|--disable]" },
	{ "subnet", MDL_SUBNET, subnet_opts, nb_subnet_finish,
	  "subnet create NAME --network NETWORK --cidr CIDR [--ip-version 4|6]\n"
	  "    [--gateway IP|none] [--dhcp|--no-dhcp] [--dns IP]... [--host-route DEST=NEXTHOP]...\n"
	  "    [--pool START-END]... [--ipv6-address-mode M] [--ipv6-ra-mode M] [--project ID]",
	  "subnet update SUBNET [--name NAME] [--gateway IP|none] [--dhcp|--no-dhcp]\n"
	  "    [--dns IP]...|--no-dns [--host-route DEST=NEXTHOP]...|--no-host-route\n"
	  "    [--pool START-END]...|--no-pool [--project ID]\n"
	  "  (a repeated list option replaces the whole list)" },
	{ "port", MDL_PORT, port_opts, nb_port_finish,
	  "port create NAME --network NETWORK [--mac MAC] [--fixed-ip subnet=SUBNET,ip=IP]...\n"
	  "    [--no-fixed-ip] [--allowed-address IP[/LEN][,mac=MAC]]... [--no-port-security]\n"
	  "    [--security-group SG]... [--host HOST] [--device-owner S] [--device-id S]\n"
	  "    [--project ID] [--enable|--disable]\n"
	  "  (--fixed-ip without ip= allocates a free address; without any --fixed-ip the\n"
	  "   port gets one from the network's first IPv4 subnet)",
	  "port update PORT [--name NAME] [--mac MAC] [--fixed-ip subnet=SUBNET,ip=IP]...|--no-fixed-ip\n"
	  "    [--allowed-address IP[/LEN][,mac=MAC]]...|--no-allowed-address\n"
	  "    [--port-security|--no-port-security] [--security-group SG]...|--no-security-group\n"
	  "    [--host HOST|--no-host] [--device-owner S] [--device-id S] [--enable|--disable]\n"
	  "  (a repeated list option replaces the whole list)" },
	{ "router", MDL_ROUTER, router_opts, NULL,
	  "router create NAME [--external-gateway NETWORK] [--add-subnet SUBNET]...\n"
	  "    [--add-port PORT]... [--route DEST=NEXTHOP]... [--project ID] [--enable|--disable]",
	  "router update ROUTER [--name NAME] [--add-subnet SUBNET]... [--remove-subnet SUBNET]...\n"
	  "    [--add-port PORT]... [--remove-port PORT]...\n"
	  "    [--route DEST=NEXTHOP]...|--no-route [--external-gateway NETWORK|--no-external-gateway]\n"
	  "    [--enable|--disable]\n"
	  "  (--add-subnet creates a router-interface port on the subnet's gateway address,\n"
	  "   --add-port makes an unused port one, as `openstack router add subnet|port`;\n"
	  "   --route replaces the route list)" },
	{ "security-group", MDL_SECURITY_GROUP, sg_opts, sg_finish,
	  "security-group create NAME [--add-rule RULE]... [--no-default-rules] [--stateless]\n"
	  "    [--project ID]\n"
	  "  (a new group gets the rules egress IPv4 and IPv6 to anywhere, unless\n"
	  "   --no-default-rules; the project's group \"default\" comes with its first port)",
	  "security-group update SG [--name NAME] [--add-rule RULE]... [--remove-rule RULE_ID]...\n"
	  "  RULE: direction=ingress|egress,ethertype=IPv4|IPv6,protocol=P,port_min=N,port_max=N\n"
	  "        (or port=N[:M]),remote_prefix=CIDR,remote_group=SG; default ingress, IPv4\n"
	  "  (each --add-rule creates a rule object, as `security-group rule create` does)" },
	{ NULL, 0, NULL, NULL, NULL, NULL }
};

const struct nb_kind *nb_kind_of(enum mdl_type type)
{
	const struct nb_kind *k;

	for (k = nb_kinds; k->cli; k++)
		if (k->type == type)
			return k;
	return NULL;
}
