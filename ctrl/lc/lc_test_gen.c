/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_test_gen.c — random northbound change streams for lc_test.c
 * (see lc_test_gen.h).  Test library; one thread.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lc_test_gen.h"
#include "nb.h"

int create_json(struct db *db, enum mdl_type t, char *id_out, const char *fmt, ...)
{
	char json[4096], err[MDL_ERR_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(json, sizeof(json), fmt, ap);
	va_end(ap);
	struct mdl_hdr *h = mdl_obj_from_string(t, json, err, sizeof(err));
	if (h == NULL)
		return -EINVAL;
	int rc = nb_create(db, h, NULL, err, sizeof(err));
	if (rc == 0 && id_out)
		snprintf(id_out, MDL_ID_SIZE, "%s", h->id);
	mdl_obj_free(h);
	return rc;
}

int chassis_create(struct db *db, const char *name, const char *vtep)
{
	return create_json(db, MDL_CHASSIS, NULL,
			   "{\"name\":\"%s\",\"vtep_ip\":\"%s\",\"encap_types\":[\"vxlan\"]}",
			   name, vtep);
}

static unsigned rnd(struct gen *g, unsigned n)
{
	return (unsigned)rand_r(&g->seed) % n;
}

void gen_init(struct gen *g, struct db *db, unsigned seed)
{
	memset(g, 0, sizeof(*g));
	g->db = db;
	g->seed = seed;
	for (unsigned i = 0; i < GEN_IFACES; i++) {
		snprintf(g->ifaces[i], MDL_ID_SIZE, "eeeeeeee-%04x-4000-8000-%012x",
			 seed & 0xffff, i + 1);
		g->iface_ptrs[i] = g->ifaces[i];
	}
	chassis_create(db, "Y", "192.0.2.22");
	chassis_create(db, "Z", "192.0.2.33");
}

/* A random object of type t (caller frees), optionally only those whose
 * network_id (subnet/port) is net. */
static struct mdl_hdr *pick(struct gen *g, enum mdl_type t, const char *net)
{
	struct mdl_hdr **v, *r = NULL, *cand[512];
	size_t n, k = 0;
	if (nb_list(g->db, t, &v, &n) < 0)
		return NULL;
	for (size_t i = 0; i < n && k < 512; i++) {
		const char *nid = t == MDL_SUBNET ? mdl_hdr_to_subnet(v[i])->network_id
			: t == MDL_PORT ? mdl_hdr_to_port(v[i])->network_id : NULL;
		if (net == NULL || (nid && strcmp(nid, net) == 0))
			cand[k++] = v[i];
	}
	if (k)
		r = mdl_obj_dup(cand[rnd(g, (unsigned)k)]);
	nb_list_free(v, n);
	return r;
}

static size_t count(struct gen *g, enum mdl_type t)
{
	struct mdl_hdr **v;
	size_t n;
	if (nb_list(g->db, t, &v, &n) < 0)
		return 0;
	nb_list_free(v, n);
	return n;
}

/* "10.K.0.<host>" for subnet cidr "10.K.0.0/24" */
static void host_ip(const struct mdl_subnet *s, unsigned host, char *out)
{
	char base[MDL_CIDR_SIZE];
	snprintf(base, sizeof(base), "%s", s->cidr);
	char *dot = strrchr(base, '.');
	if (dot)
		*dot = 0;
	snprintf(out, MDL_IP_SIZE, "%s.%u", base, host);
}

static void set_fixed_ips(struct gen *g, struct mdl_port *p)
{
	struct mdl_hdr *sh = pick(g, MDL_SUBNET, p->network_id);
	free(p->fixed_ips);
	p->fixed_ips = NULL;
	p->n_fixed_ips = 0;
	if (sh == NULL)
		return;
	unsigned n = rnd(g, 3);
	p->fixed_ips = calloc(n + 1, sizeof(*p->fixed_ips));
	for (unsigned i = 0; i < n; i++) {
		snprintf(p->fixed_ips[i].subnet_id, MDL_ID_SIZE, "%s", sh->id);
		host_ip(mdl_hdr_to_subnet(sh), 10 + rnd(g, 200), p->fixed_ips[i].ip_address);
	}
	p->n_fixed_ips = n;
	mdl_obj_free(sh);
}

static void set_aaps(struct gen *g, struct mdl_port *p)
{
	free(p->allowed_address_pairs);
	p->allowed_address_pairs = NULL;
	p->n_allowed_address_pairs = 0;
	if (!p->port_security_enabled || rnd(g, 2))
		return;
	unsigned n = 1 + rnd(g, 2);
	p->allowed_address_pairs = calloc(n, sizeof(*p->allowed_address_pairs));
	for (unsigned i = 0; i < n; i++) {
		snprintf(p->allowed_address_pairs[i].ip_address, MDL_CIDR_SIZE, "192.168.%u.0/24",
			 rnd(g, 250));
		if (rnd(g, 2))
			snprintf(p->allowed_address_pairs[i].mac_address, MDL_MAC_SIZE,
				 "fa:16:3e:aa:00:%02x", rnd(g, 250));
	}
	p->n_allowed_address_pairs = n;
}

static void set_sgs(struct gen *g, struct mdl_port *p)
{
	free(p->security_groups);
	p->security_groups = NULL;
	p->n_security_groups = 0;
	struct mdl_hdr *sg = p->port_security_enabled ? pick(g, MDL_SECURITY_GROUP, NULL) : NULL;
	if (sg == NULL)
		return;
	p->security_groups = calloc(1, MDL_ID_SIZE);
	snprintf(p->security_groups[0], MDL_ID_SIZE, "%s", sg->id);
	p->n_security_groups = 1;
	mdl_obj_free(sg);
}

static const char *const hosts[] = { "X", "X", "X", "X", "Y", "Y", "Z", "Z", "" };
#define N_HOSTS 9

static int gen_port_create(struct gen *g)
{
	struct mdl_hdr *nh = pick(g, MDL_NETWORK, NULL);
	if (nh == NULL)
		return -ENOENT;
	struct mdl_hdr *h = mdl_obj_alloc(MDL_PORT);
	struct mdl_port *p = mdl_hdr_to_port(h);
	if (rnd(g, 2))
		snprintf(h->id, MDL_ID_SIZE, "%s", g->ifaces[rnd(g, GEN_IFACES)]);
	snprintf(p->network_id, MDL_ID_SIZE, "%s", nh->id);
	snprintf(p->name, MDL_NAME_SIZE, "p%u", rnd(g, 1000));
	snprintf(p->binding_host_id, MDL_NAME_SIZE, "%s", hosts[rnd(g, N_HOSTS)]);
	p->port_security_enabled = rnd(g, 5) != 0;
	set_fixed_ips(g, p);
	set_aaps(g, p);
	set_sgs(g, p);
	char err[MDL_ERR_SIZE];
	int rc = nb_create(g->db, h, NULL, err, sizeof(err));
	mdl_obj_free(h);
	mdl_obj_free(nh);
	return rc;
}

static int gen_port_update(struct gen *g)
{
	struct mdl_hdr *h = pick(g, MDL_PORT, NULL);
	if (h == NULL)
		return -ENOENT;
	struct mdl_port *p = mdl_hdr_to_port(h);
	switch (rnd(g, 8)) {
	case 0:
		snprintf(p->mac_address, MDL_MAC_SIZE, "fa:16:3e:%02x:%02x:%02x", rnd(g, 256),
			 rnd(g, 256), rnd(g, 256));
		break;
	case 1:
		set_fixed_ips(g, p);
		break;
	case 2:
		set_aaps(g, p);
		break;
	case 3:
		p->port_security_enabled = !p->port_security_enabled;
		set_aaps(g, p);
		set_sgs(g, p);
		break;
	case 4:
	case 5:
		snprintf(p->binding_host_id, MDL_NAME_SIZE, "%s", hosts[rnd(g, N_HOSTS)]);
		break;
	case 6:
		p->admin_state_up = !p->admin_state_up;
		break;
	default:
		snprintf(p->name, MDL_NAME_SIZE, "p%u", rnd(g, 1000));
		set_sgs(g, p);
		break;
	}
	char err[MDL_ERR_SIZE];
	int rc = nb_update(g->db, h, 0, NULL, err, sizeof(err));
	mdl_obj_free(h);
	return rc;
}

static int gen_router(struct gen *g, bool create)
{
	struct mdl_hdr *h = create ? mdl_obj_alloc(MDL_ROUTER) : pick(g, MDL_ROUTER, NULL);
	if (h == NULL)
		return -ENOENT;
	struct mdl_router *r = mdl_hdr_to_router(h);
	if (!create && r->n_interfaces && rnd(g, 2)) {
		r->n_interfaces--;
	} else {
		struct mdl_hdr *sh = pick(g, MDL_SUBNET, NULL);
		if (sh) {
			struct mdl_router_if *ifs = realloc(r->interfaces,
							    (r->n_interfaces + 1) * sizeof(*ifs));
			if (ifs) {
				r->interfaces = ifs;
				memset(&ifs[r->n_interfaces], 0, sizeof(*ifs));
				snprintf(ifs[r->n_interfaces].subnet_id, MDL_ID_SIZE, "%s", sh->id);
				host_ip(mdl_hdr_to_subnet(sh), 1 + rnd(g, 8),
					ifs[r->n_interfaces].ip_address);
				r->n_interfaces++;
			}
			mdl_obj_free(sh);
		}
	}
	char err[MDL_ERR_SIZE];
	int rc = create ? nb_create(g->db, h, NULL, err, sizeof(err))
			: nb_update(g->db, h, 0, NULL, err, sizeof(err));
	mdl_obj_free(h);
	return rc;
}

static int gen_delete(struct gen *g, enum mdl_type t)
{
	struct mdl_hdr *h = pick(g, t, NULL);
	if (h == NULL)
		return -ENOENT;
	char err[MDL_ERR_SIZE];
	int rc = nb_delete(g->db, t, h->id, 0, err, sizeof(err));
	mdl_obj_free(h);
	return rc;
}

int gen_step(struct gen *g)
{
	unsigned op = rnd(g, 100);
	char err[MDL_ERR_SIZE];
	if (op < 8) {
		if (count(g, MDL_NETWORK) >= 5)
			return -ENOSPC;
		return create_json(g->db, MDL_NETWORK, NULL, "{\"name\":\"n%u\","
			"\"provider:network_type\":\"vxlan\",\"provider:segmentation_id\":%u,"
			"\"mtu\":%u}", rnd(g, 100), 1 + rnd(g, 1000), rnd(g, 2) ? 1500 : 1450);
	} else if (op < 16) {
		struct mdl_hdr *nh = pick(g, MDL_NETWORK, NULL);
		if (nh == NULL)
			return -ENOENT;
		g->cidr = g->cidr % 250 + 1;
		int rc = create_json(g->db, MDL_SUBNET, NULL, "{\"network_id\":\"%s\","
			"\"ip_version\":4,\"cidr\":\"10.%u.0.0/24\"}", nh->id, g->cidr);
		mdl_obj_free(nh);
		return rc;
	} else if (op < 40) {
		return gen_port_create(g);
	} else if (op < 65) {
		return gen_port_update(g);
	} else if (op < 73) {
		return gen_delete(g, MDL_PORT);
	} else if (op < 79) {
		return gen_router(g, true);
	} else if (op < 85) {
		return gen_router(g, false);
	} else if (op < 88) {
		return gen_delete(g, MDL_ROUTER);
	} else if (op < 90) {
		return gen_delete(g, rnd(g, 2) ? MDL_SUBNET : MDL_NETWORK);
	} else if (op < 94) {
		struct mdl_hdr *h = pick(g, MDL_NETWORK, NULL);
		if (h == NULL)
			return -ENOENT;
		struct mdl_network *n = mdl_hdr_to_network(h);
		n->mtu = rnd(g, 2) ? 1500 : 1400;
		snprintf(n->name, MDL_NAME_SIZE, "n%u", rnd(g, 100));
		int rc = nb_update(g->db, h, 0, NULL, err, sizeof(err));
		mdl_obj_free(h);
		return rc;
	} else if (op < 97) {
		struct mdl_hdr *other = pick(g, MDL_SECURITY_GROUP, NULL);
		int rc = create_json(g->db, MDL_SECURITY_GROUP, NULL, "{\"name\":\"sg\","
			"\"security_group_rules\":[{\"direction\":\"ingress\",\"ethertype\":\"IPv4\""
			"%s%s%s}]}", other ? ",\"remote_group_id\":\"" : "", other ? other->id : "",
			other ? "\"" : "");
		mdl_obj_free(other);
		return rc;
	} else {
		struct mdl_hdr *h = pick(g, MDL_CHASSIS, NULL);
		if (h == NULL)
			return -ENOENT;
		struct mdl_chassis *c = mdl_hdr_to_chassis(h);
		if (strcmp(c->name, "X") == 0) {
			mdl_obj_free(h);
			return -EPERM;
		}
		snprintf(c->vtep_ip, MDL_IP_SIZE, "192.0.2.%u", 1 + rnd(g, 250));
		int rc = nb_update(g->db, h, 0, NULL, err, sizeof(err));
		mdl_obj_free(h);
		return rc;
	}
}
