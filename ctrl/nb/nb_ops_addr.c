/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_ops_addr.c — address defaults for `wyctl subnet|port create|update`:
 * a subnet's default gateway and IP version, and a port's fixed IPs (the
 * subnet of a given address, a free address of a given subnet).
 *
 * Allocation reads the ports and routers of the subnet (interfaces and
 * gateway addresses) and picks the first
 * free address; it is not atomic with the write, but the adapter's
 * duplicate-address check refuses a port that lost a race.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_addr.h"
#include "nb_ops_priv.h"

static void ip_inc(struct mdl_ip *ip)
{
	int i;

	for (i = ip->family == 4 ? 3 : 15; i >= 0; i--)
		if (++ip->b[i])
			break;
}

/* Neutron's default gateway: the first host address of the cidr. */
int nb_subnet_finish(struct nb_ctx *c, json_t *obj)
{
	const char *cidr = json_string_value(json_object_get(obj, "cidr"));
	struct mdl_prefix p;
	struct mdl_ip gw;
	char buf[MDL_IP_SIZE];

	if (!c->create || !cidr)
		return 0;
	if (!json_object_get(obj, "ip_version") &&
	    json_object_set_new(obj, "ip_version", json_integer(strchr(cidr, ':') ? 6 : 4)))
		return -ENOMEM;
	if (json_object_get(obj, "gateway_ip") || mdl_prefix_parse(cidr, &p) ||
	    mdl_prefix_has_host_bits(&p) || p.len >= (p.addr.family == 4 ? 31 : 127))
		return 0;
	mdl_prefix_first(&p, &gw);
	ip_inc(&gw);
	return json_object_set_new(obj, "gateway_ip",
				   json_string(mdl_ip_format(&gw, buf, sizeof(buf)))) ?
	       -ENOMEM : 0;
}

struct used_ips {
	struct mdl_ip *ip;
	size_t n, cap;
};

static int used_add(struct used_ips *u, const char *s)
{
	struct mdl_ip ip;

	if (!s || mdl_ip_parse(s, &ip))
		return 0;
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 64;
		struct mdl_ip *p = realloc(u->ip, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		u->ip = p;
		u->cap = cap;
	}
	u->ip[u->n++] = ip;
	return 0;
}

static bool used_has(const struct used_ips *u, const struct mdl_ip *ip)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (!mdl_ip_cmp(&u->ip[i], ip))
			return true;
	return false;
}

/* Addresses of subnet s taken by other ports, router interfaces, the
 * gateway, and the entries already in `mine`. */
static int collect_used(struct nb_ctx *c, const struct mdl_subnet *s, json_t *mine,
			struct used_ips *u)
{
	struct mdl_hdr **objs;
	size_t n, i, k;
	json_t *e;
	int rc;

	if ((rc = used_add(u, s->gateway_ip)))
		return rc;
	json_array_foreach(mine, i, e)
		if ((rc = used_add(u, json_string_value(json_object_get(e, "ip_address")))))
			return rc;
	if ((rc = nb_list(c->db, MDL_PORT, &objs, &n)))
		return rc;
	for (i = 0; i < n && !rc; i++) {
		const struct mdl_port *p = mdl_hdr_to_port(objs[i]);

		if (strcmp(p->hdr.id, c->self_id))
			for (k = 0; k < p->n_fixed_ips && !rc; k++)
				if (!strcmp(p->fixed_ips[k].subnet_id, s->hdr.id))
					rc = used_add(u, p->fixed_ips[k].ip_address);
	}
	nb_list_free(objs, n);
	if (rc || (rc = nb_list(c->db, MDL_ROUTER, &objs, &n)))
		return rc;
	for (i = 0; i < n && !rc; i++) {
		const struct mdl_router *r = mdl_hdr_to_router(objs[i]);

		for (k = 0; k < r->n_interfaces && !rc; k++)
			if (!strcmp(r->interfaces[k].subnet_id, s->hdr.id))
				rc = used_add(u, r->interfaces[k].ip_address);
		/* a router's gateway address on an external subnet */
		for (k = 0; r->has_gateway && k < r->gateway.n_external_fixed_ips && !rc; k++)
			if (!strcmp(r->gateway.external_fixed_ips[k].subnet_id, s->hdr.id))
				rc = used_add(u, r->gateway.external_fixed_ips[k].ip_address);
	}
	nb_list_free(objs, n);
	return rc;
}

/* First free address of the subnet's pools (or of the cidr without its
 * network and broadcast addresses) into out. */
static int alloc_ip(struct nb_ctx *c, const struct mdl_subnet *s, json_t *mine,
		    char *out, size_t size)
{
	struct used_ips u = { NULL, 0, 0 };
	struct mdl_prefix p;
	struct mdl_ip lo, hi;
	size_t r, tries = 0;
	int rc;

	if (mdl_prefix_parse(s->cidr, &p))
		return nb_fail(c, -EINVAL, "subnet %s: cannot allocate from cidr '%s'",
			       s->hdr.id, s->cidr);
	rc = collect_used(c, s, mine, &u);
	for (r = 0; !rc && r < (s->n_allocation_pools ? s->n_allocation_pools : 1); r++) {
		if (s->n_allocation_pools) {
			if (mdl_ip_parse(s->allocation_pools[r].start, &lo) ||
			    mdl_ip_parse(s->allocation_pools[r].end, &hi))
				continue;
		} else {
			mdl_prefix_first(&p, &lo);
			mdl_prefix_last(&p, &hi);
			if (p.len < (p.addr.family == 4 ? 31 : 127)) {
				ip_inc(&lo);    /* skip the network address */
				if (p.addr.family == 4)
					hi.b[3]--;      /* and the broadcast */
			}
		}
		for (; mdl_ip_cmp(&lo, &hi) <= 0 && tries < 65536; ip_inc(&lo), tries++) {
			if (used_has(&u, &lo))
				continue;
			mdl_ip_format(&lo, out, size);
			free(u.ip);
			return 0;
		}
	}
	free(u.ip);
	return rc ? rc : nb_fail(c, -ENOSPC, "no free IP address left in subnet %s (%s)",
				 s->hdr.id, s->cidr);
}

/* The subnet of network net that contains ip, into id. */
static int subnet_for_ip(struct nb_ctx *c, const char *net, const char *ip, char *id)
{
	struct mdl_hdr **objs;
	struct mdl_prefix p;
	struct mdl_ip a;
	size_t n, i;
	int rc;

	if (mdl_ip_parse(ip, &a))
		return nb_fail(c, -EINVAL, "fixed_ips: '%s' is not a valid IP address", ip);
	if ((rc = nb_list(c->db, MDL_SUBNET, &objs, &n)))
		return rc;
	rc = nb_fail(c, -EINVAL, "fixed_ips: %s is not inside any subnet of network %s",
		     ip, net);
	for (i = 0; i < n; i++) {
		const struct mdl_subnet *s = mdl_hdr_to_subnet(objs[i]);

		if (!strcmp(s->network_id, net) && !mdl_prefix_parse(s->cidr, &p) &&
		    mdl_prefix_contains(&p, &a)) {
			snprintf(id, MDL_ID_SIZE, "%s", s->hdr.id);
			c->err[0] = '\0';
			rc = 0;
			break;
		}
	}
	nb_list_free(objs, n);
	return rc;
}

/* The network's first IPv4 subnet (else its first subnet) into id; "" if
 * the network has none. */
static int default_subnet(struct nb_ctx *c, const char *net, char *id)
{
	struct mdl_hdr **objs;
	size_t n, i;
	int rc;

	id[0] = '\0';
	if ((rc = nb_list(c->db, MDL_SUBNET, &objs, &n)))
		return rc;
	for (i = 0; i < n; i++) {
		const struct mdl_subnet *s = mdl_hdr_to_subnet(objs[i]);

		if (strcmp(s->network_id, net))
			continue;
		if (!id[0] || s->ip_version == 4)
			snprintf(id, MDL_ID_SIZE, "%s", s->hdr.id);
		if (s->ip_version == 4)
			break;
	}
	nb_list_free(objs, n);
	return 0;
}

/* Completes --fixed-ip entries: the subnet from the address, the address
 * from the subnet.  A new port without --fixed-ip gets one address from
 * the network's first IPv4 subnet, as Neutron does. */
int nb_port_finish(struct nb_ctx *c, json_t *obj)
{
	const char *net = json_string_value(json_object_get(obj, "network_id"));
	json_t *ips = json_object_get(obj, "fixed_ips"), *e;
	char id[MDL_ID_SIZE], ip[MDL_IP_SIZE];
	size_t i;
	int rc;

	if (!net)
		return 0;
	if (c->create && !ips) {
		if ((rc = default_subnet(c, net, id)))
			return rc;
		if (!id[0])
			return 0;
		ips = json_pack("[{s:s}]", "subnet_id", id);
		if (!ips || json_object_set_new(obj, "fixed_ips", ips))
			return -ENOMEM;
	}
	json_array_foreach(ips, i, e) {
		const char *sid = json_string_value(json_object_get(e, "subnet_id"));
		const char *addr = json_string_value(json_object_get(e, "ip_address"));
		struct mdl_hdr *s;

		if (!sid && addr) {
			if ((rc = subnet_for_ip(c, net, addr, id)))
				return rc;
			json_object_set_new(e, "subnet_id", json_string(id));
		} else if (sid && !addr) {
			rc = nb_get(c->db, MDL_SUBNET, sid, &s, NULL);
			if (rc)
				return rc == -ENOENT ? nb_fail(c, rc, "subnet %s does not exist",
							       sid) : rc;
			rc = alloc_ip(c, mdl_hdr_to_subnet(s), ips, ip, sizeof(ip));
			mdl_obj_free(s);
			if (rc)
				return rc;
			json_object_set_new(e, "ip_address", json_string(ip));
		}
	}
	return 0;
}
