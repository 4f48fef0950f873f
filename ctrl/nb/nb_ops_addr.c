/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nb_ops_addr.c — address defaults for `wyctl subnet|port create|update`:
 * a subnet's default gateway and IP version, and a port's fixed IPs (the
 * subnet of a given address, a free address of a given subnet).
 *
 * Port addresses come from the allocator the REST API uses (nbo_alloc.c):
 * the first free pool address, each candidate checked against the IP claim
 * keys; it is not atomic with the write, but the claim the write makes
 * refuses a port that lost a race (409 / exit 1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_addr.h"
#include "nb_ops_priv.h"
#include "nbo.h"

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

/* Completes --fixed-ip entries with the API's allocator (nbo_port_ips,
 * ctrl/nb/nbo_alloc.c): the subnet from the address, a free address of the
 * subnet (each candidate one claim-key lookup, no scan of the subnet's
 * ports); a new port without --fixed-ip gets one address from the
 * network's first IPv4 subnet, as Neutron does. */
int nb_port_finish(struct nb_ctx *c, json_t *obj)
{
	struct nbo_err e = { "", "" };
	uint64_t auto_ips;
	struct nbo o;
	int rc;

	/* an update that leaves the addresses alone has nothing to complete
	 * (and reads no subnet) */
	if (!c->create && !nb_replaced(c, "fixed_ips"))
		return 0;
	if ((rc = nb_ctx_nbo(c, &o)))
		return rc;
	rc = nbo_port_ips(&o, obj, c->create, c->create ? "" : c->self_id, NULL, &auto_ips, &e);
	nbo_fini(&o);
	if (rc && e.msg[0])
		return nb_fail(c, rc, "fixed_ips: %s", e.msg);
	return rc;
}
