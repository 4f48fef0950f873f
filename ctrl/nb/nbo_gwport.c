/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nbo_gwport.c — the router gateway port, as Neutron shows it: a
 * port of the external network with device_owner network:router_gateway,
 * device_id the router, the gateway's external fixed IPs, project "" (an
 * admin's view).  wyvern keeps the gateway in the router
 * (external_gateway_info, whose addresses are claimed like a port's), so
 * this port is a view of it, never stored: lists of ports include it (the
 * index filters applied to it too), show finds it, update and delete are
 * refused (409, as Neutron refuses deleting it through the port API:
 * remove the router's gateway instead).  Its id is derived from the
 * router's, stable across reads; its MAC likewise (informational: the
 * chassis answer for the gateway address with MACs of their own).
 * Any thread holding its own struct nbo.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mdl_addr.h"
#include "nbo.h"

#define GW_OWNER "network:router_gateway"

static uint64_t fnv(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The view's id: 128 bits hashed from the router id, as a version-5 UUID. */
static void gw_port_id(const char *router_id, char id[MDL_ID_SIZE])
{
	uint64_t a = fnv(router_id, fnv("router_gateway:", 0xcbf29ce484222325ull));
	uint64_t b = fnv(router_id, fnv("wyvern-gw-port:", 0x84222325cbf29ce4ull));
	snprintf(id, MDL_ID_SIZE, "%08x-%04x-5%03x-%04x-%012llx", (unsigned)(a >> 32),
		 (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
		 (unsigned)((b >> 48) & 0x3fff) | 0x8000,
		 (unsigned long long)(b & 0xffffffffffffull));
}

static void gw_port_mac(const char *router_id, char mac[MDL_MAC_SIZE])
{
	uint64_t h = fnv(router_id, fnv("gw-mac:", 0xcbf29ce484222325ull));
	snprintf(mac, MDL_MAC_SIZE, "fa:16:3e:%02x:%02x:%02x", (unsigned)(h >> 16) & 0xff,
		 (unsigned)(h >> 8) & 0xff, (unsigned)h & 0xff);
}

/* Does the gateway port of r pass f (the index's filters)? */
static bool gw_matches(const struct mdl_router *r, const char *id, const char *mac,
		       const struct nb_filter *f)
{
	if (f == NULL)
		return true;
	if ((f->network_id && strcmp(f->network_id, r->gateway.network_id)) ||
	    (f->device_id && strcmp(f->device_id, r->hdr.id)) ||
	    (f->device_owner && strcmp(f->device_owner, GW_OWNER)) ||
	    (f->mac_address && strcasecmp(f->mac_address, mac)) || f->security_group_id)
		return false;
	(void)id;
	if (!f->subnet_id && !f->ip_address)
		return true;
	for (size_t i = 0; i < r->gateway.n_external_fixed_ips; i++) {
		const struct mdl_fixed_ip *x = &r->gateway.external_fixed_ips[i];
		if ((!f->subnet_id || !strcmp(f->subnet_id, x->subnet_id)) &&
		    (!f->ip_address || !strcmp(f->ip_address, x->ip_address)))
			return true;
	}
	return false;
}

/* The Neutron view of r's gateway port (r has one); NULL out of memory. */
static json_t *gw_view(struct nbo *o, const struct mdl_router *r)
{
	struct mdl_port p;
	memset(&p, 0, sizeof(p));
	p.hdr.type = MDL_PORT;
	gw_port_id(r->hdr.id, p.hdr.id);
	p.hdr.version = r->hdr.version;
	snprintf(p.network_id, sizeof(p.network_id), "%s", r->gateway.network_id);
	gw_port_mac(r->hdr.id, p.mac_address);
	p.fixed_ips = r->gateway.external_fixed_ips;
	p.n_fixed_ips = r->gateway.n_external_fixed_ips;
	snprintf(p.device_owner, sizeof(p.device_owner), "%s", GW_OWNER);
	snprintf(p.device_id, sizeof(p.device_id), "%s", r->hdr.id);
	p.admin_state_up = true;
	json_t *attrs = json_object();
	if (attrs == NULL)
		return NULL;
	static const char *const keep[] = { "created_at", "updated_at" };
	for (size_t i = 0; r->hdr.attrs && i < 2; i++) {
		json_t *x = json_object_get(r->hdr.attrs, keep[i]);
		if (x)
			json_object_set(attrs, keep[i], x);
	}
	p.hdr.attrs = attrs;
	json_t *v = nbo_view(o, &p.hdr);
	json_decref(attrs);
	if (v && json_object_set_new(v, "status", json_string(r->admin_state_up ? "ACTIVE"
										  : "DOWN"))) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

int nbo_gw_ports_append(struct nbo *o, const struct nb_filter *f, json_t *out)
{
	struct mdl_hdr **rs;
	size_t n;
	int rc = nb_find(o->nb, MDL_ROUTER, NULL, &rs, &n);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < n; i++) {
		const struct mdl_router *r = mdl_hdr_to_router(rs[i]);
		char id[MDL_ID_SIZE], mac[MDL_MAC_SIZE];
		if (!r->has_gateway)
			continue;
		gw_port_id(r->hdr.id, id);
		gw_port_mac(r->hdr.id, mac);
		if (!gw_matches(r, id, mac, f))
			continue;
		json_t *v = gw_view(o, r);
		rc = v == NULL || json_array_append_new(out, v) ? -ENOMEM : 0;
	}
	nb_list_free(rs, n);
	return rc;
}

int nbo_gw_port_find(struct nbo *o, const char *port_id, json_t **out)
{
	struct mdl_hdr **rs;
	size_t n;
	int rc = nb_find(o->nb, MDL_ROUTER, NULL, &rs, &n);
	if (rc)
		return rc;
	rc = -ENOENT;
	for (size_t i = 0; rc == -ENOENT && i < n; i++) {
		const struct mdl_router *r = mdl_hdr_to_router(rs[i]);
		char id[MDL_ID_SIZE];
		if (!r->has_gateway)
			continue;
		gw_port_id(r->hdr.id, id);
		if (strcmp(id, port_id) != 0)
			continue;
		if (out == NULL)
			rc = 0;
		else
			rc = (*out = gw_view(o, r)) ? 0 : -ENOMEM;
	}
	nb_list_free(rs, n);
	return rc;
}

int nbo_gw_port_refuse(struct nbo *o, const char *port_id, bool del, struct nbo_err *e)
{
	/* a port stored under this id is not a gateway port (those are views,
	 * never stored): one read instead of a walk over every router */
	struct mdl_hdr *h = NULL;
	if (mdl_uuid_valid(port_id) && nb_get(nb_db(o->nb), MDL_PORT, port_id, &h, NULL) == 0) {
		mdl_obj_free(h);
		return 0;
	}
	if (nbo_gw_port_find(o, port_id, NULL) != 0)
		return 0;
	return nbo_fail(e, -EBUSY, "L3PortInUse", "Port %s has owner %s and therefore cannot be "
			"%s directly via the port API: %s the router's external gateway.", port_id,
			GW_OWNER, del ? "deleted" : "updated", del ? "clear" : "set");
}
