/* SPDX-License-Identifier: BSD-3-Clause
 * api/api_sg.c — Neutron's own answers for security groups and rules, which
 * clients (tempest) match by status and text, checked before the model's
 * validation runs:
 *  - a group named "default" cannot be created (409: every project has its
 *    default group, made on first use); listing groups makes the caller's
 *    project's default group first, as Neutron does;
 *  - a rule without ethertype is IPv4; port ranges and ICMP type/code with
 *    Neutron's messages ("Invalid value for port N", "port_range_min must be
 *    <= port_range_max", "Invalid value for ICMP type/code", "ICMP type
 *    (port-range-min) is missing"); a remote_ip_prefix of the other family
 *    is "Conflicting value ethertype"; a remote_group_id that is not an
 *    existing group is 404; a rule equal to one of its group is 409
 *    SecurityGroupRuleExists.
 * The duplicate check reads the group's rules and is not a claim: two
 * equal rules created at the same instant may both be written (Neutron has
 * the same race, closed there by a db constraint).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_priv.h"
#include "nb_sg.h"

static int proto_num(const json_t *p)
{
	static const struct { const char *name; int num; } names[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 },
		{ "ipv6-icmp", 58 }, { "sctp", 132 }, { "dccp", 33 }, { "udplite", 136 },
	};
	const char *s = json_string_value(p);
	char *end;
	long n;
	size_t i;

	if (json_is_integer(p))
		return (int)json_integer_value(p);
	if (!s || !s[0])
		return -1;              /* any */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].num;
	n = strtol(s, &end, 10);
	return *end || n < 0 || n > 255 ? -2 : (int)n;
}

static bool bad(struct api_resp *resp, unsigned st, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool bad(struct api_resp *resp, unsigned st, const char *type, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_error(resp, st, type, msg);
	return true;
}

/* Ports and ICMP type/code as Neutron words its errors. */
static bool ports_bad(int proto, const json_t *jmin, const json_t *jmax, struct api_resp *resp)
{
	long long lo = json_is_integer(jmin) ? json_integer_value(jmin) : -1000000;
	long long hi = json_is_integer(jmax) ? json_integer_value(jmax) : -1000000;
	bool has_lo = json_is_integer(jmin), has_hi = json_is_integer(jmax);

	if (proto == 6 || proto == 17 || proto == 132 || proto == 33 || proto == 136) {
		if (has_lo && (lo < 1 || lo > 65535))
			return bad(resp, 400, "InvalidInput", "Invalid input for operation: "
				   "Invalid value for port %lld.", lo);
		if (has_hi && (hi < 1 || hi > 65535))
			return bad(resp, 400, "InvalidInput", "Invalid input for operation: "
				   "Invalid value for port %lld.", hi);
		if ((has_hi && !has_lo) || (has_lo && has_hi && lo > hi))
			return bad(resp, 400, "InvalidInput", "Invalid input for operation: For "
				   "TCP/UDP protocols, port_range_min must be <= port_range_max.");
	} else if (proto == 1 || proto == 58) {
		if (has_lo && (lo < 0 || lo > 255))
			return bad(resp, 400, "InvalidInput", "Invalid input for operation: "
				   "Invalid value for ICMP type (port-range-min): %lld. It must be "
				   "0 to 255.", lo);
		if (has_hi && (hi < 0 || hi > 255))
			return bad(resp, 400, "InvalidInput", "Invalid input for operation: "
				   "Invalid value for ICMP code (port-range-max): %lld. It must be "
				   "0 to 255.", hi);
		if (has_hi && !has_lo)
			return bad(resp, 400, "InvalidInput", "Invalid input for operation: ICMP "
				   "code (port-range-max) %lld is provided but ICMP type "
				   "(port-range-min) is missing.", hi);
	}
	return false;
}

static int rule_prepare(struct nbo *o, json_t *v, struct api_resp *resp)
{
	const json_t *et = json_object_get(v, "ethertype");
	const char *pfx = json_string_value(json_object_get(v, "remote_ip_prefix"));
	const char *rg = json_string_value(json_object_get(v, "remote_group_id"));
	int proto;

	if (!et || json_is_null(et))
		json_object_set_new(v, "ethertype", json_string("IPv4"));
	et = json_object_get(v, "ethertype");
	if (!json_is_string(et))
		return 0;               /* the model reports it */
	proto = proto_num(json_object_get(v, "protocol"));
	if (ports_bad(proto, json_object_get(v, "port_range_min"),
		      json_object_get(v, "port_range_max"), resp))
		return -1;
	if (pfx && (!strcmp(json_string_value(et), "IPv4") ? strchr(pfx, ':') != NULL :
		    !strcmp(json_string_value(et), "IPv6") && !strchr(pfx, ':')) &&
	    bad(resp, 400, "InvalidInput", "Invalid input for operation: Conflicting value "
		"ethertype %s for CIDR %s.", json_string_value(et), pfx))
		return -1;
	if (rg) {
		struct nbo_err e;
		json_t *g = NULL;
		int rc = nbo_show(o, MDL_SECURITY_GROUP, rg, &g, &e);

		json_decref(g);
		if (rc == -ENOENT || rc == -EINVAL) {
			bad(resp, 404, "SecurityGroupNotFound", "Security group %.64s does not "
			    "exist", rg);
			return -1;
		}
	}
	return 0;       /* an equal rule: refused by its claim (409 SecurityGroupRuleExists) */
}

int api_sg_prepare(struct nbo *o, const struct api_req *r, enum mdl_type t, json_t *v,
		   struct api_resp *resp)
{
	(void)r;
	if (t == MDL_SECURITY_GROUP &&
	    !strcmp(json_string_value(json_object_get(v, "name")) ?: "", NB_SG_DEFAULT_NAME)) {
		bad(resp, 409, "SecurityGroupDefaultAlreadyExists", "Default security group "
		    "already exists.");
		return -1;
	}
	if (t == MDL_SECURITY_GROUP_RULE)
		return rule_prepare(o, v, resp);
	return 0;
}

void api_sg_list_prepare(struct nbo *o, const struct api_req *r, enum mdl_type t)
{
	char id[MDL_ID_SIZE], err[256];

	if (t == MDL_SECURITY_GROUP && r->project && r->project[0])
		(void)nb_sg_default_ensure(o->nb, r->project, id, err, sizeof(err));
}
