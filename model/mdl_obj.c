/* SPDX-License-Identifier: BSD-3-Clause
 * model/mdl_obj.c — type descriptors and object lifecycle.
 *
 * The descriptor tables below are the single list of every field of every
 * object with its Neutron JSON name; the codec, defaults, free and dup all
 * walk them, so adding a field is one line here plus the struct member. */
#include "mdl_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR(T) \
	{ "id", MF_STR, offsetof(T, hdr.id), MDL_ID_SIZE, 0, NULL, false, 0 }, \
	{ "dp_key", MF_U32, offsetof(T, hdr.dp_key), 0, 0, NULL, false, 0 }, \
	{ "revision_number", MF_U64, offsetof(T, hdr.version), 0, 0, NULL, false, 0 }, \
	{ "attrs", MF_JSON, offsetof(T, hdr.attrs), 0, 0, NULL, false, 0 }
#define STR(T, json, m, req) \
	{ json, MF_STR, offsetof(T, m), sizeof(((T *)0)->m), 0, NULL, req, 0 }
#define STRN(T, json, m) \
	{ json, MF_STRN, offsetof(T, m), sizeof(((T *)0)->m), 0, NULL, false, 0 }
#define BOOL(T, json, m, d) \
	{ json, MF_BOOL, offsetof(T, m), 0, 0, NULL, false, d }
#define INT(T, json, m, req, d) \
	{ json, MF_INT, offsetof(T, m), 0, 0, NULL, req, d }
#define INTN(T, json, m) \
	{ json, MF_INTN, offsetof(T, m), 0, 0, NULL, false, -1 }
#define STRLIST(T, json, m, sz) \
	{ json, MF_STRLIST, offsetof(T, m), sz, offsetof(T, n_##m), NULL, false, 0 }
#define LIST(T, json, m, E, sub) \
	{ json, MF_LIST, offsetof(T, m), sizeof(E), offsetof(T, n_##m), sub, false, 0 }
#define END { NULL, 0, 0, 0, 0, NULL, false, 0 }

static const struct mdl_field chassis_fields[] = {
	HDR(struct mdl_chassis),
	STR(struct mdl_chassis, "name", name, true),
	STR(struct mdl_chassis, "vtep_ip", vtep_ip, true),
	STRLIST(struct mdl_chassis, "encap_types", encap_types, MDL_ENUM_SIZE),
	BOOL(struct mdl_chassis, "gateway", gateway, false),
	INT(struct mdl_chassis, "gateway_priority", gateway_priority, false, 0),
	END
};

static const struct mdl_field network_fields[] = {
	HDR(struct mdl_network),
	STR(struct mdl_network, "name", name, false),
	STR(struct mdl_network, "project_id", project_id, false),
	INT(struct mdl_network, "mtu", mtu, false, 1500),
	STR(struct mdl_network, "provider:network_type", network_type, true),
	INTN(struct mdl_network, "provider:segmentation_id", segmentation_id),
	STRN(struct mdl_network, "provider:physical_network", physical_network),
	BOOL(struct mdl_network, "router:external", external, false),
	BOOL(struct mdl_network, "admin_state_up", admin_state_up, true),
	END
};

static const struct mdl_field route_fields[] = {
	STR(struct mdl_host_route, "destination", destination, true),
	STR(struct mdl_host_route, "nexthop", nexthop, true),
	END
};

static const struct mdl_field pool_fields[] = {
	STR(struct mdl_alloc_pool, "start", start, true),
	STR(struct mdl_alloc_pool, "end", end, true),
	END
};

static const struct mdl_field subnet_fields[] = {
	HDR(struct mdl_subnet),
	STR(struct mdl_subnet, "name", name, false),
	STR(struct mdl_subnet, "project_id", project_id, false),
	STR(struct mdl_subnet, "network_id", network_id, true),
	INT(struct mdl_subnet, "ip_version", ip_version, true, 4),
	STR(struct mdl_subnet, "cidr", cidr, true),
	STRN(struct mdl_subnet, "gateway_ip", gateway_ip),
	BOOL(struct mdl_subnet, "enable_dhcp", enable_dhcp, true),
	STRLIST(struct mdl_subnet, "dns_nameservers", dns_nameservers, MDL_IP_SIZE),
	LIST(struct mdl_subnet, "host_routes", host_routes, struct mdl_host_route,
	     route_fields),
	LIST(struct mdl_subnet, "allocation_pools", allocation_pools,
	     struct mdl_alloc_pool, pool_fields),
	STRN(struct mdl_subnet, "ipv6_address_mode", ipv6_address_mode),
	STRN(struct mdl_subnet, "ipv6_ra_mode", ipv6_ra_mode),
	{ "subnetpool_id", MF_STRN, offsetof(struct mdl_subnet, subnetpool_id), MDL_ID_SIZE, 0,
	  NULL, false, 1 },     /* def 1: not encoded when null */
	END
};

static const struct mdl_field fixed_ip_fields[] = {
	STR(struct mdl_fixed_ip, "subnet_id", subnet_id, true),
	STR(struct mdl_fixed_ip, "ip_address", ip_address, true),
	END
};

static const struct mdl_field pair_fields[] = {
	STR(struct mdl_addr_pair, "ip_address", ip_address, true),
	STR(struct mdl_addr_pair, "mac_address", mac_address, false),
	END
};

static const struct mdl_field port_fields[] = {
	HDR(struct mdl_port),
	STR(struct mdl_port, "name", name, false),
	STR(struct mdl_port, "project_id", project_id, false),
	STR(struct mdl_port, "network_id", network_id, true),
	STR(struct mdl_port, "mac_address", mac_address, false),
	LIST(struct mdl_port, "fixed_ips", fixed_ips, struct mdl_fixed_ip,
	     fixed_ip_fields),
	LIST(struct mdl_port, "allowed_address_pairs", allowed_address_pairs,
	     struct mdl_addr_pair, pair_fields),
	BOOL(struct mdl_port, "port_security_enabled", port_security_enabled, true),
	STRLIST(struct mdl_port, "security_groups", security_groups, MDL_ID_SIZE),
	STR(struct mdl_port, "device_owner", device_owner, false),
	STR(struct mdl_port, "device_id", device_id, false),
	STR(struct mdl_port, "binding:host_id", binding_host_id, false),
	BOOL(struct mdl_port, "admin_state_up", admin_state_up, true),
	END
};

static const struct mdl_field router_if_fields[] = {
	STR(struct mdl_router_if, "subnet_id", subnet_id, true),
	STR(struct mdl_router_if, "port_id", port_id, false),
	STR(struct mdl_router_if, "ip_address", ip_address, true),
	END
};

static const struct mdl_field router_gw_fields[] = {
	STR(struct mdl_router, "network_id", gateway.network_id, true),
	BOOL(struct mdl_router, "enable_snat", gateway.enable_snat, true),
	{ "external_fixed_ips", MF_LIST, offsetof(struct mdl_router,
	  gateway.external_fixed_ips), sizeof(struct mdl_fixed_ip),
	  offsetof(struct mdl_router, gateway.n_external_fixed_ips),
	  fixed_ip_fields, false, 0 },
	END
};

static const struct mdl_field router_fields[] = {
	HDR(struct mdl_router),
	STR(struct mdl_router, "name", name, false),
	STR(struct mdl_router, "project_id", project_id, false),
	BOOL(struct mdl_router, "admin_state_up", admin_state_up, true),
	LIST(struct mdl_router, "interfaces", interfaces, struct mdl_router_if,
	     router_if_fields),
	LIST(struct mdl_router, "routes", routes, struct mdl_host_route, route_fields),
	{ "external_gateway_info", MF_OBJN, 0, 0,
	  offsetof(struct mdl_router, has_gateway), router_gw_fields, false, 0 },
	END
};

static const struct mdl_field rule_fields[] = {
	STR(struct mdl_sg_rule, "id", id, false),
	STR(struct mdl_sg_rule, "direction", direction, true),
	STR(struct mdl_sg_rule, "ethertype", ethertype, true),
	{ "protocol", MF_PROTO, offsetof(struct mdl_sg_rule, protocol),
	  MDL_ENUM_SIZE, offsetof(struct mdl_sg_rule, protocol_is_number),
	  NULL, false, 0 },
	INTN(struct mdl_sg_rule, "port_range_min", port_range_min),
	INTN(struct mdl_sg_rule, "port_range_max", port_range_max),
	STRN(struct mdl_sg_rule, "remote_ip_prefix", remote_ip_prefix),
	STRN(struct mdl_sg_rule, "remote_group_id", remote_group_id),
	END
};

static const struct mdl_field sg_fields[] = {
	HDR(struct mdl_security_group),
	STR(struct mdl_security_group, "name", name, false),
	STR(struct mdl_security_group, "project_id", project_id, false),
	BOOL(struct mdl_security_group, "stateful", stateful, true),
	{ "security_group_rules", MF_LIST, offsetof(struct mdl_security_group, rules),
	  sizeof(struct mdl_sg_rule), offsetof(struct mdl_security_group, n_rules),
	  rule_fields, false, 0 },
	END
};

#define RULE(m) offsetof(struct mdl_security_group_rule, rule.m)
static const struct mdl_field sg_rule_fields[] = {
	HDR(struct mdl_security_group_rule),
	STR(struct mdl_security_group_rule, "security_group_id", security_group_id, true),
	STR(struct mdl_security_group_rule, "description", description, false),
	STR(struct mdl_security_group_rule, "project_id", project_id, false),
	{ "direction", MF_STR, RULE(direction), MDL_ENUM_SIZE, 0, NULL, true, 0 },
	{ "ethertype", MF_STR, RULE(ethertype), MDL_ENUM_SIZE, 0, NULL, true, 0 },
	{ "protocol", MF_PROTO, RULE(protocol), MDL_ENUM_SIZE, RULE(protocol_is_number),
	  NULL, false, 0 },
	{ "port_range_min", MF_INTN, RULE(port_range_min), 0, 0, NULL, false, -1 },
	{ "port_range_max", MF_INTN, RULE(port_range_max), 0, 0, NULL, false, -1 },
	{ "remote_ip_prefix", MF_STRN, RULE(remote_ip_prefix), MDL_CIDR_SIZE, 0, NULL,
	  false, 0 },
	{ "remote_group_id", MF_STRN, RULE(remote_group_id), MDL_ID_SIZE, 0, NULL, false, 0 },
	END
};
#undef RULE

static const struct mdl_field fip_fields[] = {
	HDR(struct mdl_floating_ip),
	STR(struct mdl_floating_ip, "project_id", project_id, false),
	STR(struct mdl_floating_ip, "floating_network_id", floating_network_id, true),
	STR(struct mdl_floating_ip, "floating_ip_address", floating_ip_address, true),
	STRN(struct mdl_floating_ip, "port_id", port_id),
	STRN(struct mdl_floating_ip, "fixed_ip_address", fixed_ip_address),
	STRN(struct mdl_floating_ip, "router_id", router_id),
	STRN(struct mdl_floating_ip, "subnet_id", subnet_id),
	END
};

static const struct mdl_field subnetpool_fields[] = {
	HDR(struct mdl_subnetpool),
	STR(struct mdl_subnetpool, "name", name, false),
	STR(struct mdl_subnetpool, "project_id", project_id, false),
	STRLIST(struct mdl_subnetpool, "prefixes", prefixes, MDL_CIDR_SIZE),
	INT(struct mdl_subnetpool, "ip_version", ip_version, true, 4),
	INT(struct mdl_subnetpool, "default_prefixlen", default_prefixlen, true, 8),
	INT(struct mdl_subnetpool, "min_prefixlen", min_prefixlen, true, 8),
	INT(struct mdl_subnetpool, "max_prefixlen", max_prefixlen, true, 32),
	BOOL(struct mdl_subnetpool, "shared", shared, false),
	BOOL(struct mdl_subnetpool, "is_default", is_default, false),
	STRN(struct mdl_subnetpool, "address_scope_id", address_scope_id),
	END
};

const struct mdl_type_desc mdl_type_descs[MDL_N_TYPES] = {
	[MDL_CHASSIS] = { "chassis", sizeof(struct mdl_chassis), chassis_fields },
	[MDL_NETWORK] = { "network", sizeof(struct mdl_network), network_fields },
	[MDL_SUBNET] = { "subnet", sizeof(struct mdl_subnet), subnet_fields },
	[MDL_PORT] = { "port", sizeof(struct mdl_port), port_fields },
	[MDL_ROUTER] = { "router", sizeof(struct mdl_router), router_fields },
	[MDL_SECURITY_GROUP] = { "security_group", sizeof(struct mdl_security_group),
				 sg_fields },
	[MDL_FLOATING_IP] = { "floating_ip", sizeof(struct mdl_floating_ip),
			      fip_fields },
	[MDL_SECURITY_GROUP_RULE] = { "security_group_rule",
				      sizeof(struct mdl_security_group_rule), sg_rule_fields },
	[MDL_SUBNETPOOL] = { "subnetpool", sizeof(struct mdl_subnetpool), subnetpool_fields },
};

int mdl_err(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	if (err && err_size) {
		va_start(ap, fmt);
		vsnprintf(err, err_size, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

const char *mdl_type_name(enum mdl_type type)
{
	if ((unsigned)type >= MDL_N_TYPES)
		return NULL;
	return mdl_type_descs[type].name;
}

int mdl_type_from_name(const char *name)
{
	int i;

	for (i = 0; name && i < MDL_N_TYPES; i++)
		if (!strcmp(name, mdl_type_descs[i].name))
			return i;
	return -EINVAL;
}

void mdl_fields_defaults(const struct mdl_field *f, void *base)
{
	char *b = base;

	for (; f->name; f++) {
		switch (f->kind) {
		case MF_BOOL:
			*(bool *)(b + f->off) = f->def != 0;
			break;
		case MF_INT:
		case MF_INTN:
			*(int64_t *)(b + f->off) = f->def;
			break;
		case MF_OBJN:
			mdl_fields_defaults(f->sub, base);
			break;
		default:
			break;
		}
	}
}

void mdl_fields_free(const struct mdl_field *f, void *base)
{
	char *b = base;

	for (; f->name; f++) {
		void **pp = (void **)(b + f->off);
		size_t *pn = (size_t *)(b + f->off_n);
		size_t i;

		switch (f->kind) {
		case MF_LIST:
			for (i = 0; *pp && i < *pn; i++)
				mdl_fields_free(f->sub, (char *)*pp + i * f->size);
			/* fall through */
		case MF_STRLIST:
			free(*pp);
			*pp = NULL;
			*pn = 0;
			break;
		case MF_OBJN:
			mdl_fields_free(f->sub, base);
			break;
		case MF_JSON:
			json_decref(*(json_t **)(b + f->off));
			*(json_t **)(b + f->off) = NULL;
			break;
		default:
			break;
		}
	}
}

struct mdl_hdr *mdl_obj_alloc(enum mdl_type type)
{
	struct mdl_hdr *h;

	if ((unsigned)type >= MDL_N_TYPES) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, mdl_type_descs[type].size);
	if (!h)
		return NULL;
	h->type = type;
	mdl_fields_defaults(mdl_type_descs[type].fields, h);
	return h;
}

void mdl_obj_free(struct mdl_hdr *obj)
{
	if (!obj)
		return;
	if ((unsigned)obj->type < MDL_N_TYPES)
		mdl_fields_free(mdl_type_descs[obj->type].fields, obj);
	free(obj);
}

struct mdl_hdr *mdl_obj_dup(const struct mdl_hdr *obj)
{
	struct mdl_hdr *copy;
	json_t *j;

	j = mdl_obj_to_json(obj);
	if (!j)
		return NULL;
	copy = mdl_obj_from_json(obj->type, j, NULL, 0);
	json_decref(j);
	return copy;
}
