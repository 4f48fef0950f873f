/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/mgmt/cmd_topology.c — `wyctl show topology`: the logical topology
 * this chassis holds, at a glance (as `ovn-nbctl show` prints a northbound):
 * networks with their subnets and ports (MAC, addresses, host and binding
 * state), then routers with their interfaces.  Read from the local
 * controller's held objects; control thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl.h"
#include "lc.h"
#include "mdl.h"

struct topo {
	const struct mdl_hdr **o;
	int *dp_port;
	bool *local;
	size_t n, cap;
};

static int collect(const struct mdl_hdr *o, bool local, int dp_port, void *arg)
{
	struct topo *t = arg;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		const struct mdl_hdr **no = realloc(t->o, cap * sizeof(*no));
		if (no)
			t->o = no;
		int *np = realloc(t->dp_port, cap * sizeof(*np));
		if (np)
			t->dp_port = np;
		bool *nl = realloc(t->local, cap * sizeof(*nl));
		if (nl)
			t->local = nl;
		if (!no || !np || !nl)
			return 1;
		t->cap = cap;
	}
	if ((t->o[t->n] = mdl_obj_dup(o)) == NULL)
		return 1;
	t->dp_port[t->n] = dp_port;
	t->local[t->n] = local;
	t->n++;
	return 0;
}

static const char *subnet_cidr(const struct topo *t, const char *id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->o[i]->type == MDL_SUBNET && strcmp(t->o[i]->id, id) == 0)
			return ((const struct mdl_subnet *)t->o[i])->cidr;
	return "?";
}

static const char *subnet_name(const struct topo *t, const char *id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->o[i]->type == MDL_SUBNET && strcmp(t->o[i]->id, id) == 0) {
			const struct mdl_subnet *s = (const struct mdl_subnet *)t->o[i];
			return s->name[0] ? s->name : s->hdr.id;
		}
	return id;
}

/* A port's binding as this chassis sees it. */
static const char *binding(struct ctrl *c, const struct mdl_port *p, bool local, int dp_port,
			   char *buf, size_t size)
{
	const char *me = lc_get_config(c->lc)->chassis;
	struct dp_port_info pi;
	if (local && dp_port >= 0 && dp_port_info(c->dp, (uint16_t)dp_port, &pi) == 0)
		snprintf(buf, size, "bound here to %s", pi.name);
	else if (p->binding_host_id[0] == 0)
		snprintf(buf, size, "unbound");
	else if (strcmp(p->binding_host_id, me) == 0)
		snprintf(buf, size, "this chassis, no port with its iface-id");
	else
		snprintf(buf, size, "remote");
	return buf;
}

static void show_network(struct ctrl *c, const struct topo *t, size_t ni, json_t *arr,
			 struct ctrl_reply *r)
{
	const struct mdl_network *n = (const struct mdl_network *)t->o[ni];
	json_t *jn = json_pack("{s:s,s:s,s:s,s:I,s:I}", "id", n->hdr.id, "name", n->name,
			       "type", n->network_type, "segmentation_id",
			       (json_int_t)n->segmentation_id, "mtu", (json_int_t)n->mtu);
	json_t *js = json_array(), *jp = json_array();
	reply_printf(r, "network %s (%s)%s%s", n->name[0] ? n->name : "-", n->hdr.id,
		     n->network_type[0] ? " " : "", n->network_type);
	if (n->segmentation_id >= 0)
		reply_printf(r, " %lld", (long long)n->segmentation_id);
	reply_printf(r, "%s\n", n->external ? " external" : "");
	for (size_t i = 0; i < t->n; i++) {
		if (t->o[i]->type != MDL_SUBNET)
			continue;
		const struct mdl_subnet *s = (const struct mdl_subnet *)t->o[i];
		if (strcmp(s->network_id, n->hdr.id) != 0)
			continue;
		reply_printf(r, "    subnet %s (%s) %s%s%s%s\n", s->name[0] ? s->name : "-", s->hdr.id,
			     s->cidr, s->gateway_ip[0] ? " gateway " : "", s->gateway_ip,
			     s->enable_dhcp ? " dhcp" : "");
		json_array_append_new(js, json_pack("{s:s,s:s,s:s,s:s,s:b}", "id", s->hdr.id, "name",
						    s->name, "cidr", s->cidr, "gateway_ip",
						    s->gateway_ip, "enable_dhcp", s->enable_dhcp));
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->o[i]->type != MDL_PORT)
			continue;
		const struct mdl_port *p = (const struct mdl_port *)t->o[i];
		if (strcmp(p->network_id, n->hdr.id) != 0)
			continue;
		char b[96];
		binding(c, p, t->local[i], t->dp_port[i], b, sizeof(b));
		json_t *ips = json_array();
		reply_printf(r, "    port %s (%s) %s", p->name[0] ? p->name : "-", p->hdr.id,
			     p->mac_address);
		for (size_t k = 0; k < p->n_fixed_ips; k++) {
			reply_printf(r, " %s", p->fixed_ips[k].ip_address);
			json_array_append_new(ips, json_string(p->fixed_ips[k].ip_address));
		}
		if (p->device_owner[0])
			reply_printf(r, " [%s]", p->device_owner);
		reply_printf(r, "\n        host %s: %s\n", p->binding_host_id[0] ? p->binding_host_id :
			     "-", b);
		json_array_append_new(jp, json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:s}", "id", p->hdr.id,
						    "name", p->name, "mac_address", p->mac_address,
						    "ips", ips, "device_owner", p->device_owner,
						    "host", p->binding_host_id, "binding", b));
	}
	json_object_set_new(jn, "subnets", js);
	json_object_set_new(jn, "ports", jp);
	json_array_append_new(arr, jn);
}

static void show_router(const struct topo *t, size_t ri, json_t *arr, struct ctrl_reply *r)
{
	const struct mdl_router *rt = (const struct mdl_router *)t->o[ri];
	json_t *ifs = json_array();
	reply_printf(r, "router %s (%s)\n", rt->name[0] ? rt->name : "-", rt->hdr.id);
	for (size_t k = 0; k < rt->n_interfaces; k++) {
		const struct mdl_router_if *f = &rt->interfaces[k];
		reply_printf(r, "    interface on %s (%s) %s%s%s\n", subnet_name(t, f->subnet_id),
			     subnet_cidr(t, f->subnet_id), f->ip_address, f->port_id[0] ? " port " : "",
			     f->port_id);
		json_array_append_new(ifs, json_pack("{s:s,s:s,s:s}", "subnet_id", f->subnet_id,
						     "ip_address", f->ip_address, "port_id",
						     f->port_id));
	}
	for (size_t k = 0; k < rt->n_routes; k++)
		reply_printf(r, "    route %s via %s\n", rt->routes[k].destination,
			     rt->routes[k].nexthop);
	json_array_append_new(arr, json_pack("{s:s,s:s,s:o}", "id", rt->hdr.id, "name", rt->name,
					     "interfaces", ifs));
}

int cmd_show_topology(struct ctrl *c, int argc, char **argv, struct ctrl_reply *r)
{
	if (argc)
		return reply_error(r, true, "unexpected argument");
	if (c->lc == NULL)
		return reply_error(r, false, "no local controller ([ctrl] db is not set): the "
				   "static tables are in `wyctl show networks` and `show lports`");
	struct topo t = { 0 };
	lc_foreach_held(c->lc, collect, &t);
	json_t *nets = json_array(), *routers = json_array();
	reply_printf(r, "chassis %s\n", lc_get_config(c->lc)->chassis);
	for (size_t i = 0; i < t.n; i++)
		if (t.o[i]->type == MDL_NETWORK)
			show_network(c, &t, i, nets, r);
	for (size_t i = 0; i < t.n; i++)
		if (t.o[i]->type == MDL_ROUTER)
			show_router(&t, i, routers, r);
	json_object_set_new(r->result, "chassis", json_string(lc_get_config(c->lc)->chassis));
	json_object_set_new(r->result, "networks", nets);
	json_object_set_new(r->result, "routers", routers);
	for (size_t i = 0; i < t.n; i++)
		mdl_obj_free((struct mdl_hdr *)(uintptr_t)t.o[i]);
	free(t.o);
	free(t.dp_port);
	free(t.local);
	return 0;
}
