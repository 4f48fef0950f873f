/* SPDX-License-Identifier: BSD-3-Clause
 * model/mdl_validate.c — single-object validation (mdl_obj_validate).
 *
 * Each type has one check function that walks its fields in declaration
 * order and stops at the first problem, so error messages are deterministic.
 * Messages start with the field path and quote the offending value. */
#include "mdl_priv.h"
#include "mdl_addr.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define E(...) mdl_err(err, es, __VA_ARGS__)

static int chk_uuid(const char *path, const char *name, const char *v, bool required,
		    char *err, size_t es)
{
	if (!*v)
		return required ? E("%s%s: missing", path, name) : 0;
	if (!mdl_uuid_valid(v))
		return E("%s%s: '%s' is not a valid UUID", path, name, v);
	return 0;
}

static int chk_ip(const char *path, const char *name, const char *v,
		  struct mdl_ip *ip, char *err, size_t es)
{
	struct mdl_ip tmp;

	if (mdl_ip_parse(v, ip ? ip : &tmp))
		return E("%s%s: '%s' is not a valid IP address", path, name, v);
	return 0;
}

static int chk_cidr(const char *path, const char *name, const char *v,
		    struct mdl_prefix *p, char *err, size_t es)
{
	struct mdl_prefix tmp;

	if (mdl_prefix_parse(v, p ? p : &tmp))
		return E("%s%s: '%s' is not a valid CIDR", path, name, v);
	return 0;
}

static int chk_enum(const char *path, const char *name, const char *v,
		    const char *const *vals, char *err, size_t es)
{
	char list[128] = "";
	size_t i;

	for (i = 0; vals[i]; i++)
		if (!strcmp(v, vals[i]))
			return 0;
	for (i = 0; vals[i]; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 i ? ", " : "", vals[i]);
	return E("%s%s: unknown value '%s' (expected %s)", path, name, v, list);
}

static int chk_mac(const char *path, const char *name, const char *v,
		   char *err, size_t es)
{
	static const uint8_t zero[6];
	uint8_t mac[6];

	if (!*v)
		return E("%s%s: missing", path, name);
	if (mdl_mac_parse(v, mac))
		return E("%s%s: '%s' is not a valid MAC address", path, name, v);
	if (mac[0] & 1)
		return E("%s%s: %s is a multicast address", path, name, v);
	if (!memcmp(mac, zero, 6))
		return E("%s%s: %s is all zeros", path, name, v);
	return 0;
}

static int chk_route(const char *path, const struct mdl_host_route *r,
		     char *err, size_t es)
{
	struct mdl_prefix p;
	struct mdl_ip nh;
	int rc;

	if ((rc = chk_cidr(path, "destination", r->destination, &p, err, es)) ||
	    (rc = chk_ip(path, "nexthop", r->nexthop, &nh, err, es)))
		return rc;
	if (p.addr.family != nh.family)
		return E("%snexthop: %s is not the same IP version as destination %s",
			 path, r->nexthop, r->destination);
	return 0;
}

static int validate_chassis(const struct mdl_chassis *c, char *err, size_t es)
{
	static const char *const encaps[] = { "vxlan", "geneve", NULL };
	char path[64];
	size_t i;
	int rc;

	if (!c->name[0])
		return E("name: must not be empty");
	if ((rc = chk_ip("", "vtep_ip", c->vtep_ip, NULL, err, es)))
		return rc;
	if (!c->n_encap_types)
		return E("encap_types: must list at least one of vxlan, geneve");
	for (i = 0; i < c->n_encap_types; i++) {
		snprintf(path, sizeof(path), "encap_types[%zu]", i);
		if ((rc = chk_enum("", path, c->encap_types[i], encaps, err, es)))
			return rc;
	}
	if (c->gateway_priority < 0 || c->gateway_priority > 65535)
		return E("gateway_priority: must be 0..65535");
	return 0;
}

static int validate_network(const struct mdl_network *n, char *err, size_t es)
{
	static const char *const types[] = { "vxlan", "geneve", "vlan", "flat",
					     "local", NULL };
	const char *t = n->network_type;
	int64_t seg = n->segmentation_id, max = 0;
	int rc;

	if (n->mtu < 68 || n->mtu > 9216)
		return E("mtu: %" PRId64 " out of range 68..9216", n->mtu);
	if ((rc = chk_enum("", "provider:network_type", t, types, err, es)))
		return rc;
	if (!strcmp(t, "vxlan") || !strcmp(t, "geneve"))
		max = (1 << 24) - 1;
	else if (!strcmp(t, "vlan"))
		max = 4094;
	if (max) {
		if (!strcmp(t, "vlan") && seg < 0)
			return E("provider:segmentation_id: required for vlan");
		if (seg >= 0 && (seg < 1 || seg > max))
			return E("provider:segmentation_id: %" PRId64 " out of range 1..%"
				 PRId64 " for %s", seg, max, t);
	} else if (seg >= 0) {
		return E("provider:segmentation_id: must be null for %s", t);
	}
	if (!strcmp(t, "vlan") || !strcmp(t, "flat")) {
		if (!n->physical_network[0])
			return E("provider:physical_network: required for %s", t);
	} else if (n->physical_network[0]) {
		return E("provider:physical_network: must be null for %s", t);
	}
	return 0;
}

static int chk_in_subnet(const char *path, const char *name, const char *v,
			 const struct mdl_prefix *net, const char *cidr,
			 struct mdl_ip *out, char *err, size_t es)
{
	int rc = chk_ip(path, name, v, out, err, es);

	if (rc)
		return rc;
	if (!mdl_prefix_contains(net, out))
		return E("%s%s: %s is outside cidr %s", path, name, v, cidr);
	return 0;
}

static int validate_pools(const struct mdl_subnet *s, const struct mdl_prefix *net,
			  const struct mdl_ip *gw, char *err, size_t es)
{
	struct mdl_ip (*rng)[2];
	char path[64];
	size_t i, j;
	int rc = 0;

	if (!s->n_allocation_pools)
		return 0;
	rng = calloc(s->n_allocation_pools, sizeof(*rng));
	if (!rng)
		return -ENOMEM;
	for (i = 0; i < s->n_allocation_pools && !rc; i++) {
		const struct mdl_alloc_pool *p = &s->allocation_pools[i];

		snprintf(path, sizeof(path), "allocation_pools[%zu].", i);
		if ((rc = chk_in_subnet(path, "start", p->start, net, s->cidr,
					&rng[i][0], err, es)) ||
		    (rc = chk_in_subnet(path, "end", p->end, net, s->cidr,
					&rng[i][1], err, es)))
			break;
		if (mdl_ip_cmp(&rng[i][0], &rng[i][1]) > 0) {
			rc = E("allocation_pools[%zu]: start %s is after end %s", i,
			       p->start, p->end);
			break;
		}
		if (gw && mdl_ip_cmp(gw, &rng[i][0]) >= 0 &&
		    mdl_ip_cmp(gw, &rng[i][1]) <= 0) {
			rc = E("allocation_pools[%zu]: contains gateway_ip %s", i,
			       s->gateway_ip);
			break;
		}
		for (j = 0; j < i; j++) {
			if (mdl_ip_cmp(&rng[i][0], &rng[j][1]) <= 0 &&
			    mdl_ip_cmp(&rng[j][0], &rng[i][1]) <= 0) {
				rc = E("allocation_pools[%zu]: overlaps allocation_pools[%zu]",
				       i, j);
				break;
			}
		}
	}
	free(rng);
	return rc;
}

static int validate_subnet(const struct mdl_subnet *s, char *err, size_t es)
{
	static const char *const modes[] = { "slaac", "dhcpv6-stateful",
					     "dhcpv6-stateless", NULL };
	struct mdl_prefix net;
	struct mdl_ip gw;
	char path[64];
	size_t i;
	int rc;

	if ((rc = chk_uuid("", "network_id", s->network_id, true, err, es)) ||
	    (rc = chk_uuid("", "subnetpool_id", s->subnetpool_id, false, err, es)))
		return rc;
	if (s->ip_version != 4 && s->ip_version != 6)
		return E("ip_version: %" PRId64 " is not 4 or 6", s->ip_version);
	if ((rc = chk_cidr("", "cidr", s->cidr, &net, err, es)))
		return rc;
	if (net.addr.family != s->ip_version)
		return E("cidr: %s is not an IPv%" PRId64 " prefix", s->cidr, s->ip_version);
	if (mdl_prefix_has_host_bits(&net))
		return E("cidr: %s has host bits set", s->cidr);
	if (s->gateway_ip[0] && (rc = chk_in_subnet("", "gateway_ip", s->gateway_ip,
						    &net, s->cidr, &gw, err, es)))
		return rc;
	for (i = 0; i < s->n_dns_nameservers; i++) {
		snprintf(path, sizeof(path), "dns_nameservers[%zu]", i);
		if ((rc = chk_ip("", path, s->dns_nameservers[i], NULL, err, es)))
			return rc;
	}
	for (i = 0; i < s->n_host_routes; i++) {
		snprintf(path, sizeof(path), "host_routes[%zu].", i);
		if ((rc = chk_route(path, &s->host_routes[i], err, es)))
			return rc;
	}
	if ((rc = validate_pools(s, &net, s->gateway_ip[0] ? &gw : NULL, err, es)))
		return rc;
	if (s->ip_version == 4) {
		if (s->ipv6_address_mode[0])
			return E("ipv6_address_mode: must be null for an IPv4 subnet");
		if (s->ipv6_ra_mode[0])
			return E("ipv6_ra_mode: must be null for an IPv4 subnet");
		return 0;
	}
	if (s->ipv6_address_mode[0] &&
	    (rc = chk_enum("", "ipv6_address_mode", s->ipv6_address_mode, modes, err, es)))
		return rc;
	if (s->ipv6_ra_mode[0] &&
	    (rc = chk_enum("", "ipv6_ra_mode", s->ipv6_ra_mode, modes, err, es)))
		return rc;
	if (s->ipv6_address_mode[0] && s->ipv6_ra_mode[0] &&
	    strcmp(s->ipv6_address_mode, s->ipv6_ra_mode))
		return E("ipv6_ra_mode: %s does not match ipv6_address_mode %s",
			 s->ipv6_ra_mode, s->ipv6_address_mode);
	return 0;
}

static int validate_port(const struct mdl_port *p, char *err, size_t es)
{
	struct mdl_prefix pfx;
	char path[64];
	size_t i;
	int rc;

	if ((rc = chk_uuid("", "network_id", p->network_id, true, err, es)) ||
	    (rc = chk_mac("", "mac_address", p->mac_address, err, es)))
		return rc;
	if (p->n_fixed_ips > MDL_PORT_MAX_FIXED_IPS)
		return E("fixed_ips: exceeded maximum amount of fixed ips per port (%d)",
			 MDL_PORT_MAX_FIXED_IPS);
	if (p->n_allowed_address_pairs > MDL_PORT_MAX_ADDR_PAIRS)
		return E("allowed_address_pairs: exceeded maximum amount of allowed address "
			 "pairs (%d)", MDL_PORT_MAX_ADDR_PAIRS);
	for (i = 0; i < p->n_fixed_ips; i++) {
		snprintf(path, sizeof(path), "fixed_ips[%zu].", i);
		if ((rc = chk_uuid(path, "subnet_id", p->fixed_ips[i].subnet_id, true,
				   err, es)) ||
		    (rc = chk_ip(path, "ip_address", p->fixed_ips[i].ip_address, NULL,
				 err, es)))
			return rc;
	}
	for (i = 0; i < p->n_allowed_address_pairs; i++) {
		const struct mdl_addr_pair *ap = &p->allowed_address_pairs[i];

		snprintf(path, sizeof(path), "allowed_address_pairs[%zu].", i);
		if (mdl_ip_or_prefix_parse(ap->ip_address, &pfx))
			return E("%sip_address: '%s' is not a valid IP address or CIDR",
				 path, ap->ip_address);
		if (ap->mac_address[0] &&
		    (rc = chk_mac(path, "mac_address", ap->mac_address, err, es)))
			return rc;
	}
	for (i = 0; i < p->n_security_groups; i++) {
		snprintf(path, sizeof(path), "security_groups[%zu]", i);
		if ((rc = chk_uuid("", path, p->security_groups[i], true, err, es)))
			return rc;
	}
	if (!p->port_security_enabled && p->n_security_groups)
		return E("security_groups: must be empty when port_security_enabled is false");
	if (!p->port_security_enabled && p->n_allowed_address_pairs)
		return E("allowed_address_pairs: must be empty when port_security_enabled is false");
	return 0;
}

static int validate_router(const struct mdl_router *r, char *err, size_t es)
{
	char path[96];
	size_t i;
	int rc;

	for (i = 0; i < r->n_interfaces; i++) {
		const struct mdl_router_if *ri = &r->interfaces[i];

		snprintf(path, sizeof(path), "interfaces[%zu].", i);
		if ((rc = chk_uuid(path, "subnet_id", ri->subnet_id, true, err, es)) ||
		    (rc = chk_uuid(path, "port_id", ri->port_id, false, err, es)) ||
		    (rc = chk_ip(path, "ip_address", ri->ip_address, NULL, err, es)))
			return rc;
	}
	for (i = 0; i < r->n_routes; i++) {
		snprintf(path, sizeof(path), "routes[%zu].", i);
		if ((rc = chk_route(path, &r->routes[i], err, es)))
			return rc;
	}
	if (!r->has_gateway)
		return 0;
	if ((rc = chk_uuid("external_gateway_info.", "network_id",
			   r->gateway.network_id, true, err, es)))
		return rc;
	for (i = 0; i < r->gateway.n_external_fixed_ips; i++) {
		const struct mdl_fixed_ip *f = &r->gateway.external_fixed_ips[i];

		snprintf(path, sizeof(path), "external_gateway_info.external_fixed_ips[%zu].", i);
		if ((rc = chk_uuid(path, "subnet_id", f->subnet_id, true, err, es)) ||
		    (rc = chk_ip(path, "ip_address", f->ip_address, NULL, err, es)))
			return rc;
	}
	return 0;
}

/* Returns the IP protocol number for a rule's protocol text, -1 for "any"
 * (null, "any", 0), -2 for an unknown name. */
int mdl_proto_number(const char *p)
{
	static const struct { const char *name; int num; } names[] = {
		{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 },
		{ "dccp", 33 }, { "gre", 47 }, { "esp", 50 }, { "ah", 51 },
		{ "icmpv6", 58 }, { "ipv6-icmp", 58 }, { "ospf", 89 },
		{ "pgm", 113 }, { "vrrp", 112 }, { "sctp", 132 }, { "udplite", 136 },
		{ "any", -1 },
	};
	size_t i;

	if (!*p)
		return -1;
	if (isdigit((unsigned char)*p)) {
		char *end;
		long v = strtol(p, &end, 10);

		if (*end || v > 255)
			return -2;
		return v == 0 ? -1 : (int)v;     /* Neutron: "any or 0" */
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(p, names[i].name))
			return names[i].num;
	return -2;
}

static int validate_rule(const char *path, const struct mdl_sg_rule *r,
			 char *err, size_t es)
{
	static const char *const dirs[] = { "ingress", "egress", NULL };
	static const char *const ets[] = { "IPv4", "IPv6", NULL };
	int64_t lo = r->port_range_min, hi = r->port_range_max;
	struct mdl_prefix pfx;
	int proto, rc;

	if ((rc = chk_uuid(path, "id", r->id, false, err, es)) ||
	    (rc = chk_enum(path, "direction", r->direction, dirs, err, es)) ||
	    (rc = chk_enum(path, "ethertype", r->ethertype, ets, err, es)))
		return rc;
	proto = mdl_proto_number(r->protocol);
	if (proto == -2)
		return E("%sprotocol: unknown protocol '%s'", path, r->protocol);
	if (proto == 58 && !strcmp(r->ethertype, "IPv4"))
		return E("%sprotocol: %s is not an IPv4 protocol", path, r->protocol);
	if (proto == 6 || proto == 17 || proto == 132 || proto == 33 || proto == 136) {
		if (lo >= 0 && (lo < 1 || lo > 65535))
			return E("%sport_range_min: %" PRId64 " out of range 1..65535",
				 path, lo);
		if (hi >= 0 && (hi < 1 || hi > 65535))
			return E("%sport_range_max: %" PRId64 " out of range 1..65535",
				 path, hi);
		if ((lo >= 0) != (hi >= 0))
			return E("%sport_range_min and port_range_max must both be set or both null",
				 path);
		if (lo > hi)
			return E("%sport_range_min %" PRId64 " is greater than port_range_max %"
				 PRId64, path, lo, hi);
	} else if (proto == 1 || proto == 58) {
		if (lo > 255)
			return E("%sport_range_min: ICMP type %" PRId64 " out of range 0..255",
				 path, lo);
		if (hi > 255)
			return E("%sport_range_max: ICMP code %" PRId64 " out of range 0..255",
				 path, hi);
		if (hi >= 0 && lo < 0)
			return E("%sport_range_max: ICMP code requires an ICMP type in port_range_min",
				 path);
	} else if (lo >= 0 || hi >= 0) {
		return E("%sport_range_min: ports need protocol tcp, udp, sctp, dccp, udplite, icmp or icmpv6",
			 path);
	}
	if (r->remote_ip_prefix[0]) {
		if (mdl_ip_or_prefix_parse(r->remote_ip_prefix, &pfx))
			return E("%sremote_ip_prefix: '%s' is not a valid CIDR", path,
				 r->remote_ip_prefix);
		if ((pfx.addr.family == 4) != !strcmp(r->ethertype, "IPv4"))
			return E("%sremote_ip_prefix: %s does not match ethertype %s", path,
				 r->remote_ip_prefix, r->ethertype);
	}
	if ((rc = chk_uuid(path, "remote_group_id", r->remote_group_id, false, err, es)))
		return rc;
	if (r->remote_ip_prefix[0] && r->remote_group_id[0])
		return E("%sremote_ip_prefix and remote_group_id are mutually exclusive",
			 path);
	return 0;
}

static int validate_sg(const struct mdl_security_group *sg, char *err, size_t es)
{
	char path[64];
	size_t i;
	int rc;

	for (i = 0; i < sg->n_rules; i++) {
		snprintf(path, sizeof(path), "security_group_rules[%zu].", i);
		if ((rc = validate_rule(path, &sg->rules[i], err, es)))
			return rc;
	}
	return 0;
}

static int validate_fip(const struct mdl_floating_ip *f, char *err, size_t es)
{
	int rc;

	if ((rc = chk_uuid("", "floating_network_id", f->floating_network_id, true,
			   err, es)) ||
	    (rc = chk_ip("", "floating_ip_address", f->floating_ip_address, NULL,
			 err, es)) ||
	    (rc = chk_uuid("", "port_id", f->port_id, false, err, es)) ||
	    (rc = chk_uuid("", "router_id", f->router_id, false, err, es)) ||
	    (rc = chk_uuid("", "subnet_id", f->subnet_id, false, err, es)))
		return rc;
	if (f->fixed_ip_address[0]) {
		if ((rc = chk_ip("", "fixed_ip_address", f->fixed_ip_address, NULL,
				 err, es)))
			return rc;
		if (!f->port_id[0])
			return E("fixed_ip_address: requires port_id");
	}
	return 0;
}

static int validate_subnetpool(const struct mdl_subnetpool *p, char *err, size_t es)
{
	int64_t bits = p->ip_version == 6 ? 128 : 32;
	struct mdl_prefix a, b;
	char path[64];
	size_t i, j;
	int rc;

	if (p->ip_version != 4 && p->ip_version != 6)
		return E("ip_version: %" PRId64 " is not 4 or 6", p->ip_version);
	if ((rc = chk_uuid("", "address_scope_id", p->address_scope_id, false, err, es)))
		return rc;
	if (!p->n_prefixes)
		return E("prefixes: empty subnet pool prefix list");
	for (i = 0; i < p->n_prefixes; i++) {
		snprintf(path, sizeof(path), "prefixes[%zu]", i);
		if ((rc = chk_cidr("", path, p->prefixes[i], &a, err, es)))
			return rc;
		if (a.addr.family != p->ip_version)
			return E("%s: %s is not an IPv%" PRId64 " prefix", path, p->prefixes[i],
				 p->ip_version);
		if (mdl_prefix_has_host_bits(&a))
			return E("%s: %s has host bits set", path, p->prefixes[i]);
		for (j = 0; j < i; j++)
			if (!mdl_prefix_parse(p->prefixes[j], &b) && mdl_prefix_overlap(&a, &b))
				return E("%s: %s overlaps %s", path, p->prefixes[i],
					 p->prefixes[j]);
	}
	if (p->min_prefixlen < 0 || p->max_prefixlen > bits ||
	    p->min_prefixlen > p->max_prefixlen || p->default_prefixlen < p->min_prefixlen ||
	    p->default_prefixlen > p->max_prefixlen)
		return E("prefixlen: need 0 <= min_prefixlen (%" PRId64 ") <= default_prefixlen "
			 "(%" PRId64 ") <= max_prefixlen (%" PRId64 ") <= %" PRId64,
			 p->min_prefixlen, p->default_prefixlen, p->max_prefixlen, bits);
	return 0;
}

int mdl_sg_rule_check(const char *path, const struct mdl_sg_rule *r, char *err, size_t es)
{
	return validate_rule(path, r, err, es);
}

static int validate_sg_rule(const struct mdl_security_group_rule *r, char *err, size_t es)
{
	int rc;

	if ((rc = chk_uuid("", "security_group_id", r->security_group_id, true, err, es)))
		return rc;
	if (r->rule.id[0])
		return E("id: internal rule.id must be empty");
	return validate_rule("", &r->rule, err, es);
}

int mdl_obj_validate(const struct mdl_hdr *obj, char *err, size_t es)
{
	int rc;

	if (err && es)
		err[0] = '\0';
	if (!obj || (unsigned)obj->type >= MDL_N_TYPES)
		return E("invalid object");
	if ((rc = chk_uuid("", "id", obj->id, true, err, es)))
		return rc;
	switch (obj->type) {
	case MDL_CHASSIS:
		return validate_chassis((const struct mdl_chassis *)obj, err, es);
	case MDL_NETWORK:
		return validate_network((const struct mdl_network *)obj, err, es);
	case MDL_SUBNET:
		return validate_subnet((const struct mdl_subnet *)obj, err, es);
	case MDL_PORT:
		return validate_port((const struct mdl_port *)obj, err, es);
	case MDL_ROUTER:
		return validate_router((const struct mdl_router *)obj, err, es);
	case MDL_SECURITY_GROUP:
		return validate_sg((const struct mdl_security_group *)obj, err, es);
	case MDL_FLOATING_IP:
		return validate_fip((const struct mdl_floating_ip *)obj, err, es);
	case MDL_SECURITY_GROUP_RULE:
		return validate_sg_rule((const struct mdl_security_group_rule *)obj, err, es);
	case MDL_SUBNETPOOL:
		return validate_subnetpool((const struct mdl_subnetpool *)obj, err, es);
	case MDL_N_TYPES:
		break;
	}
	return E("invalid object");
}
