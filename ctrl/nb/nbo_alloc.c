/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/nb/nbo_alloc.c — Neutron defaults and allocations for nbo_create /
 * nbo_update: segmentation ids from the configured ranges and the network
 * MTU, a subnet's ip_version, gateway and allocation pools, a port's fixed
 * IPs.
 *
 * Allocation reads the index (the ports of one subnet, the networks of one
 * type), so it costs in proportion to what the subnet or type holds, and
 * picks the first free value.  It is not atomic with the write: the write's
 * claim keys are (db/nb.h).  A value that lost a race comes back as
 * -EADDRINUSE and the caller retries with it in `avoid`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdl_addr.h"
#include "nbo.h"

void nbo_init(struct nbo *o, struct nb *nb, const struct nbo_config *cfg)
{
	memset(o, 0, sizeof(*o));
	o->nb = nb;
	o->cfg = *cfg;
	pthread_mutex_init(&o->hint_mu, NULL);
}

void nbo_fini(struct nbo *o)
{
	pthread_mutex_destroy(&o->hint_mu);
}

static void hint_get(struct nbo *o, const char *subnet, char *next)
{
	size_t i;

	next[0] = '\0';
	pthread_mutex_lock(&o->hint_mu);
	for (i = 0; i < NBO_HINTS; i++)
		if (!strcmp(o->hints[i].subnet, subnet)) {
			memcpy(next, o->hints[i].next, MDL_IP_SIZE);
			break;
		}
	pthread_mutex_unlock(&o->hint_mu);
}

static void hint_set(struct nbo *o, const char *subnet, const char *next)
{
	size_t i;

	pthread_mutex_lock(&o->hint_mu);
	for (i = 0; i < NBO_HINTS && strcmp(o->hints[i].subnet, subnet); i++)
		;
	if (i == NBO_HINTS)
		i = o->hint_clock++ % NBO_HINTS;
	snprintf(o->hints[i].subnet, MDL_ID_SIZE, "%s", subnet);
	snprintf(o->hints[i].next, MDL_IP_SIZE, "%s", next);
	pthread_mutex_unlock(&o->hint_mu);
}

void nbo_config_defaults(struct nbo_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->network_type, sizeof(cfg->network_type), "vxlan");
	cfg->underlay_mtu = 1500;
	cfg->vni[0] = (struct nbo_range){ "", 1u << 20, (1u << 24) - 1 };
	cfg->n_vni = 1;
	snprintf(cfg->vif_type, sizeof(cfg->vif_type), "tap");
	snprintf(cfg->vhost_dir, sizeof(cfg->vhost_dir), "/var/run/wyvern");
}

int nbo_parse_ranges(struct nbo_config *cfg, bool vlan, const char *s, char *msg,
		     size_t size)
{
	struct nbo_range *r = vlan ? cfg->vlan : cfg->vni;
	size_t *n = vlan ? &cfg->n_vlan : &cfg->n_vni;
	uint32_t max = vlan ? 4094 : (1u << 24) - 1;
	char *copy = strdup(s), *save = NULL, *tok;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		struct nbo_range x = { "", 0, 0 };
		unsigned long lo, hi;
		char *p = tok, *end;

		while (*p == ' ')
			p++;
		if (vlan) {
			char *c = strchr(p, ':');

			if (!c || c == p || (size_t)(c - p) >= sizeof(x.physnet)) {
				rc = -EINVAL;
				break;
			}
			memcpy(x.physnet, p, (size_t)(c - p));
			p = c + 1;
		}
		lo = strtoul(p, &end, 10);
		if (end == p || *end != ':') {
			rc = -EINVAL;
			break;
		}
		p = end + 1;
		hi = strtoul(p, &end, 10);
		while (*end == ' ')
			end++;
		if (end == p || *end || lo < 1 || lo > hi || hi > max || *n >= NBO_MAX_RANGES) {
			rc = -EINVAL;
			break;
		}
		x.lo = (uint32_t)lo;
		x.hi = (uint32_t)hi;
		r[(*n)++] = x;
	}
	free(copy);
	if (rc)
		snprintf(msg, size, "%s must be %sLO:HI[,...] with 1 <= LO <= HI <= %u "
			 "(at most %d ranges), not '%s'", vlan ? "vlan-ranges" : "vni-ranges",
			 vlan ? "PHYSNET:" : "", max, NBO_MAX_RANGES, s);
	return rc;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static bool in_sorted(const int64_t *v, size_t n, int64_t x)
{
	return n > 0 && bsearch(&x, v, n, sizeof(*v), cmp_i64) != NULL;
}

/* First free segmentation id of type/physnet in the configured ranges. */
static int alloc_segid(struct nbo *o, const char *type, const char *physnet,
		       const int64_t *avoid, size_t n_avoid, int64_t *out, struct nbo_err *e)
{
	bool vlan = !strcmp(type, "vlan");
	const struct nbo_range *r = vlan ? o->cfg.vlan : o->cfg.vni;
	size_t nr = vlan ? o->cfg.n_vlan : o->cfg.n_vni, n, i, k = 0;
	struct mdl_hdr **nets;
	int64_t *used;
	int rc;

	if ((rc = nb_find(o->nb, MDL_NETWORK, NULL, &nets, &n)))
		return nbo_db_fail(e, rc, MDL_NETWORK, "list networks");
	used = calloc(n + n_avoid + 1, sizeof(*used));
	if (!used) {
		nb_list_free(nets, n);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct mdl_network *x = mdl_hdr_to_network(nets[i]);
		bool tunnel = strcmp(x->network_type, "vlan") && strcmp(x->network_type, "flat");

		/* vxlan and geneve share the VNI space of the datapath */
		if (x->segmentation_id > 0 &&
		    (vlan ? !strcmp(x->network_type, "vlan") &&
			    !strcmp(x->physical_network, physnet) : tunnel))
			used[k++] = x->segmentation_id;
	}
	nb_list_free(nets, n);
	for (i = 0; i < n_avoid; i++)
		used[k++] = avoid[i];
	if (k > 1)
		qsort(used, k, sizeof(*used), cmp_i64);
	for (i = 0; i < nr; i++) {
		uint64_t v;

		if (vlan && strcmp(r[i].physnet, physnet))
			continue;
		for (v = r[i].lo; v <= r[i].hi; v++)
			if (!in_sorted(used, k, (int64_t)v)) {
				*out = (int64_t)v;
				free(used);
				return 0;
			}
	}
	free(used);
	return nbo_fail(e, -ENOSPC, "NoNetworkAvailable", "Unable to create the network. "
			"No %s segmentation id is available for allocation%s%s.", type,
			vlan ? " on physical network " : "", vlan ? physnet : "");
}

int nbo_net_defaults(struct nbo *o, json_t *m, const int64_t *avoid, size_t n_avoid,
		     struct nbo_err *e)
{
	json_t *jt = json_object_get(m, "provider:network_type");
	json_t *js = json_object_get(m, "provider:segmentation_id");
	const char *type, *physnet;
	int64_t seg = 0;
	int rc;

	if (!jt && json_object_set_new(m, "provider:network_type",
				       json_string(o->cfg.network_type)))
		return -ENOMEM;
	type = json_string_value(json_object_get(m, "provider:network_type"));
	if (!type)
		return 0;       /* the model reports the type error */
	physnet = json_string_value(json_object_get(m, "provider:physical_network"));
	if ((!js || json_is_null(js)) &&
	    (!strcmp(type, "vxlan") || !strcmp(type, "geneve") ||
	     (!strcmp(type, "vlan") && physnet && physnet[0]))) {
		if ((rc = alloc_segid(o, type, physnet ? physnet : "", avoid, n_avoid, &seg, e)))
			return rc;
		if (json_object_set_new(m, "provider:segmentation_id", json_integer(seg)))
			return -ENOMEM;
	}
	if (!json_object_get(m, "mtu")) {
		unsigned mtu = o->cfg.underlay_mtu;

		if (!strcmp(type, "vxlan"))
			mtu -= 50;      /* outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 */
		else if (!strcmp(type, "geneve"))
			mtu -= 58;      /* and 8 bytes of Geneve options */
		if (json_object_set_new(m, "mtu", json_integer(mtu)))
			return -ENOMEM;
	}
	return 0;
}

static void ip_add(struct mdl_ip *ip, int d)
{
	int i;

	for (i = ip->family == 4 ? 3 : 15; i >= 0; i--) {
		if (d > 0 && ++ip->b[i])
			break;
		if (d < 0 && ip->b[i]--)
			break;
	}
}

static json_t *pool(const struct mdl_ip *lo, const struct mdl_ip *hi)
{
	char a[MDL_IP_SIZE], b[MDL_IP_SIZE];

	return json_pack("{s:s,s:s}", "start", mdl_ip_format(lo, a, sizeof(a)),
			 "end", mdl_ip_format(hi, b, sizeof(b)));
}

int nbo_subnet_defaults(struct nbo *o, json_t *m, struct nbo_err *e)
{
	const char *cidr = json_string_value(json_object_get(m, "cidr"));
	json_t *jg = json_object_get(m, "gateway_ip"), *pools;
	struct mdl_prefix p;
	struct mdl_ip lo, hi, gw;
	bool has_gw = false;
	char buf[MDL_IP_SIZE];

	if (!cidr || mdl_prefix_parse(cidr, &p) || mdl_prefix_has_host_bits(&p))
		return 0;       /* the model says what is wrong */
	if (!json_object_get(m, "ip_version") &&
	    json_object_set_new(m, "ip_version", json_integer(p.addr.family)))
		return -ENOMEM;
	mdl_prefix_first(&p, &lo);
	mdl_prefix_last(&p, &hi);
	if (p.len < (p.addr.family == 4 ? 31 : 127)) {
		ip_add(&lo, 1);                 /* not the network address */
		if (p.addr.family == 4)
			ip_add(&hi, -1);        /* nor the broadcast */
	}
	if (!jg) {
		gw = lo;
		has_gw = p.len < (p.addr.family == 4 ? 31 : 127);
		if (has_gw && json_object_set_new(m, "gateway_ip",
						   json_string(mdl_ip_format(&gw, buf, sizeof(buf)))))
			return -ENOMEM;
	} else if (json_is_string(jg) && !mdl_ip_parse(json_string_value(jg), &gw) &&
		   mdl_prefix_contains(&p, &gw)) {
		has_gw = true;
	}
	if (json_object_get(m, "allocation_pools"))
		return 0;
	pools = json_array();
	if (!pools)
		return -ENOMEM;
	if (has_gw && !mdl_ip_cmp(&gw, &lo)) {
		ip_add(&lo, 1);
	} else if (has_gw && !mdl_ip_cmp(&gw, &hi)) {
		ip_add(&hi, -1);
	} else if (has_gw && mdl_ip_cmp(&gw, &lo) > 0 && mdl_ip_cmp(&gw, &hi) < 0) {
		struct mdl_ip a = gw, b = gw;

		ip_add(&a, -1);
		ip_add(&b, 1);
		json_array_append_new(pools, pool(&lo, &a));
		lo = b;
	}
	if (mdl_ip_cmp(&lo, &hi) <= 0)
		json_array_append_new(pools, pool(&lo, &hi));
	(void)o;
	(void)e;
	return json_object_set_new(m, "allocation_pools", pools) ? -ENOMEM : 0;
}

struct used {
	struct mdl_ip *v;
	size_t n, cap;
};

static int used_add(struct used *u, const char *s)
{
	struct mdl_ip ip;

	if (!s || mdl_ip_parse(s, &ip))
		return 0;
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 64;
		struct mdl_ip *p = realloc(u->v, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		u->v = p;
		u->cap = cap;
	}
	u->v[u->n++] = ip;
	return 0;
}

static bool used_has(const struct used *u, const struct mdl_ip *ip)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (!mdl_ip_cmp(&u->v[i], ip))
			return true;
	return false;
}

/* A free address of subnet s, not in `mine` (entries of this port) nor in
 * avoid.  The search walks the pools in order, starting after the last
 * address this process allocated in the subnet (the hint) and wrapping
 * around; each candidate is one index lookup (no decoding), so the cost
 * follows the addresses probed, not the ports of the subnet.  A fresh
 * process, or a subnet without a hint, starts at the first pool address:
 * the lowest free one. */
/* A subnet written without allocation_pools (wyctl's, older objects)
 * allocates from its cidr's host range: without the network and (IPv4)
 * broadcast addresses, the whole range of a /31, /32, /127 or /128. */
static bool whole_cidr(const struct mdl_subnet *s, struct mdl_alloc_pool *out)
{
	struct mdl_prefix p;
	struct mdl_ip lo, hi;

	if (mdl_prefix_parse(s->cidr, &p))
		return false;
	mdl_prefix_first(&p, &lo);
	mdl_prefix_last(&p, &hi);
	if (p.len < (p.addr.family == 4 ? 31 : 127)) {
		ip_add(&lo, 1);
		if (p.addr.family == 4)
			ip_add(&hi, -1);
	}
	mdl_ip_format(&lo, out->start, sizeof(out->start));
	mdl_ip_format(&hi, out->end, sizeof(out->end));
	return true;
}

static int alloc_ip(struct nbo *o, const struct mdl_subnet *s, const char *self,
		    const json_t *mine, const json_t *avoid, char *out, struct nbo_err *e)
{
	struct mdl_alloc_pool whole;
	const struct mdl_alloc_pool *pools = s->allocation_pools;
	size_t n_pools = s->n_allocation_pools;
	struct used u = { NULL, 0, 0 };
	struct mdl_hdr **objs = NULL;
	struct mdl_ip lo, hi, cur, hint;
	size_t n = 0, i, k, r, start = 0, tries;
	char buf[MDL_IP_SIZE];
	bool has_hint;
	json_t *x;
	int rc = 0;

	(void)self;
	if (!n_pools && whole_cidr(s, &whole)) {
		pools = &whole;
		n_pools = 1;
	}
	rc = used_add(&u, s->gateway_ip);
	json_array_foreach((json_t *)mine, i, x)
		if (!rc)
			rc = used_add(&u, json_string_value(json_object_get(x, "ip_address")));
	json_array_foreach((json_t *)avoid, i, x)
		if (!rc)
			rc = used_add(&u, json_string_value(x));
	/* router interfaces without a port hold addresses too */
	if (!rc && (rc = nb_find(o->nb, MDL_ROUTER, NULL, &objs, &n)) == 0) {
		for (i = 0; i < n && !rc; i++) {
			const struct mdl_router *rt = mdl_hdr_to_router(objs[i]);

			for (k = 0; k < rt->n_interfaces && !rc; k++)
				if (!strcmp(rt->interfaces[k].subnet_id, s->hdr.id))
					rc = used_add(&u, rt->interfaces[k].ip_address);
		}
		nb_list_free(objs, n);
	}
	if (rc) {
		free(u.v);
		return nbo_db_fail(e, rc, MDL_ROUTER, "list routers");
	}
	hint_get(o, s->hdr.id, buf);
	has_hint = buf[0] && !mdl_ip_parse(buf, &hint);
	for (r = 0; has_hint && r < n_pools; r++)
		if (!mdl_ip_parse(pools[r].start, &lo) &&
		    !mdl_ip_parse(pools[r].end, &hi) && lo.family == hint.family &&
		    mdl_ip_cmp(&lo, &hint) <= 0 && mdl_ip_cmp(&hint, &hi) <= 0) {
			start = r;
			break;
		}
	if (has_hint && r == n_pools)
		has_hint = false;
	/* pools start .. end, then 0 .. start (its part before the hint) */
	for (k = 0; k < n_pools + (has_hint ? 1 : 0); k++) {
		r = (start + k) % n_pools;
		if (mdl_ip_parse(pools[r].start, &lo) ||
		    mdl_ip_parse(pools[r].end, &hi))
			continue;
		cur = lo;
		if (k == 0 && has_hint)
			cur = hint;
		for (tries = 0; mdl_ip_cmp(&cur, &hi) <= 0 && tries < (1u << 20);
		     ip_add(&cur, 1), tries++) {
			int used;

			if (k == n_pools && has_hint && mdl_ip_cmp(&cur, &hint) >= 0)
				break;          /* wrapped back to the hint */
			if (used_has(&u, &cur))
				continue;
			mdl_ip_format(&cur, out, MDL_IP_SIZE);
			used = nb_ip_used(o->nb, s->hdr.id, out);
			if (used < 0) {
				free(u.v);
				return nbo_db_fail(e, used, MDL_PORT, "index lookup");
			}
			if (used)
				continue;
			free(u.v);
			ip_add(&cur, 1);
			hint_set(o, s->hdr.id, mdl_ip_format(&cur, buf, sizeof(buf)));
			return 0;
		}
	}
	free(u.v);
	return nbo_fail(e, -ENOSPC, "IpAddressGenerationFailure", "No more IP addresses "
			"available on network %s.", s->network_id);
}

/* The subnets of net (sorted by id), from the index. */
static int subnets_of(struct nbo *o, const char *net, struct mdl_hdr ***subs, size_t *n,
		      struct nbo_err *e)
{
	struct nb_filter f = { .network_id = net };
	int rc = nb_find(o->nb, MDL_SUBNET, &f, subs, n);

	return rc ? nbo_db_fail(e, rc, MDL_SUBNET, "list subnets") : 0;
}

/* An IPv6 subnet whose addresses come from SLAAC (address mode slaac or
 * dhcpv6-stateless): a port's address there is the EUI-64 of its MAC. */
static bool auto_addr(const struct mdl_subnet *s)
{
	return s->ip_version == 6 && (!strcmp(s->ipv6_address_mode, "slaac") ||
				      !strcmp(s->ipv6_address_mode, "dhcpv6-stateless"));
}

/* The port's MAC, made here (as nb would at apply time) when the request
 * has none: an EUI-64 address needs it before the write. */
static const char *port_mac(json_t *m)
{
	const char *mac = json_string_value(json_object_get(m, "mac_address"));
	char id[MDL_ID_SIZE], buf[18];

	if (mac)
		return mac;
	if (mdl_uuid_generate(id))
		return NULL;
	snprintf(buf, sizeof(buf), "fa:16:3e:%.2s:%.2s:%.2s", id, id + 2, id + 4);
	json_object_set_new(m, "mac_address", json_string(buf));
	return json_string_value(json_object_get(m, "mac_address"));
}

/* prefix/64 + modified EUI-64 of mac (RFC 4291 2.5.1). */
static int eui64(const struct mdl_subnet *s, const char *mac, char *out, size_t size)
{
	struct mdl_prefix p;
	uint8_t b[6];

	if (!mac || mdl_prefix_parse(s->cidr, &p) || p.addr.family != 6 || p.len > 64 ||
	    mdl_mac_parse(mac, b))
		return -EINVAL;
	p.addr.b[8] = b[0] ^ 0x02;
	p.addr.b[9] = b[1];
	p.addr.b[10] = b[2];
	p.addr.b[11] = 0xff;
	p.addr.b[12] = 0xfe;
	p.addr.b[13] = b[3];
	p.addr.b[14] = b[4];
	p.addr.b[15] = b[5];
	return mdl_ip_format(&p.addr, out, size) ? 0 : -EINVAL;
}

/* A port's requested address may not be a floating IP's or a router
 * gateway's (those hold no port). */
static int not_external(struct nbo *o, const char *net, const char *addr, struct nbo_err *e)
{
	json_t *used = nbo_ext_addrs(o, net, ""), *u;
	size_t k;
	int rc = used ? 0 : -ENOMEM;

	json_array_foreach(used, k, u)
		if (!rc && !strcmp(json_string_value(u) ?: "", addr))
			rc = nbo_fail(e, -EADDRINUSE, "IpAddressAlreadyAllocated", "IP address %s "
				      "already allocated in network %s", addr, net);
	json_decref(used);
	return rc;
}

int nbo_port_ips(struct nbo *o, json_t *m, bool create, const char *self_id,
		 const json_t *avoid, uint64_t *auto_ips, struct nbo_err *e)
{
	const char *net = json_string_value(json_object_get(m, "network_id"));
	json_t *ips = json_object_get(m, "fixed_ips"), *x;
	struct mdl_hdr **subs = NULL;
	size_t n = 0, i, k;
	int rc;

	*auto_ips = 0;
	if (!net)
		return 0;
	if (ips && !json_is_array(ips))
		return 0;       /* the model reports it */
	if ((rc = subnets_of(o, net, &subs, &n, e)))
		return rc;
	if (create && !ips) {
		/* Neutron: one address from the network's first IPv4 subnet, one
		 * from its first IPv6 subnet that is not SLAAC, and the EUI-64
		 * address of every SLAAC subnet (not for router ports) */
		const char *owner = json_string_value(json_object_get(m, "device_owner")) ?: "";
		bool router = !strncmp(owner, "network:router_interface", 24);
		const char *v4 = NULL, *v6 = NULL;

		ips = json_array();
		if (!ips || json_object_set_new(m, "fixed_ips", ips)) {
			rc = -ENOMEM;
			goto out;
		}
		for (i = 0; i < n; i++) {
			const struct mdl_subnet *c = mdl_hdr_to_subnet(subs[i]);

			if (c->ip_version == 4 && !v4)
				v4 = c->hdr.id;
			else if (c->ip_version == 6 && !auto_addr(c) && !v6)
				v6 = c->hdr.id;
		}
		if (v4)
			json_array_append_new(ips, json_pack("{s:s}", "subnet_id", v4));
		if (v6)
			json_array_append_new(ips, json_pack("{s:s}", "subnet_id", v6));
		for (i = 0; i < n && !router; i++)
			if (auto_addr(mdl_hdr_to_subnet(subs[i])))
				json_array_append_new(ips, json_pack("{s:s}", "subnet_id",
								     subs[i]->id));
	}
	json_array_foreach(ips, i, x) {
		const char *sid = json_string_value(json_object_get(x, "subnet_id"));
		const char *addr = json_string_value(json_object_get(x, "ip_address"));
		const struct mdl_subnet *s = NULL;
		char ip[MDL_IP_SIZE];
		struct mdl_prefix p;
		struct mdl_ip a;

		if (!json_is_object(x))
			continue;
		if (!sid && !addr) {
			rc = nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for fixed_ips. "
				      "Reason: entry %zu needs subnet_id or ip_address.", i);
			goto out;
		}
		if (addr && mdl_ip_parse(addr, &a)) {
			rc = nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for fixed_ips. "
				      "Reason: '%s' is not a valid IP address.", addr);
			goto out;
		}
		for (k = 0; k < n && !s; k++) {
			const struct mdl_subnet *c = mdl_hdr_to_subnet(subs[k]);

			if (sid ? !strcmp(c->hdr.id, sid) :
			    (!mdl_prefix_parse(c->cidr, &p) && mdl_prefix_contains(&p, &a)))
				s = c;
		}
		if (!s && sid) {
			rc = nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for fixed_ips. "
				      "Reason: subnet %s is not a subnet of network %s.", sid, net);
			goto out;
		}
		if (!s) {
			rc = nbo_fail(e, -EINVAL, "InvalidIpForNetwork", "IP address %s is not a "
				      "valid IP for any of the subnets on the specified network.",
				      addr);
			goto out;
		}
		if (!sid)
			json_object_set_new(x, "subnet_id", json_string(s->hdr.id));
		if (addr && (rc = not_external(o, net, addr, e)))
			goto out;
		if (!addr && auto_addr(s)) {
			if (eui64(s, port_mac(m), ip, sizeof(ip))) {
				rc = nbo_fail(e, -EINVAL, "InvalidInput", "Invalid input for "
					      "fixed_ips. Reason: no EUI-64 address in subnet %s "
					      "for this port's MAC.", s->hdr.id);
				goto out;
			}
			json_object_set_new(x, "ip_address", json_string(ip));
		} else if (!addr) {
			if ((rc = alloc_ip(o, s, self_id, ips, avoid, ip, e)))
				goto out;
			json_object_set_new(x, "ip_address", json_string(ip));
			if (i < 64)
				*auto_ips |= 1ull << i;
		}
	}
out:
	nb_list_free(subs, n);
	return rc;
}

int nbo_slaac_delete_ops(struct nbo *o, const struct mdl_hdr *subnet, struct mdl_hdr ***ports,
			 size_t *n, struct nb_op **ops)
{
	const struct mdl_subnet *sn = mdl_hdr_to_subnet((struct mdl_hdr *)subnet);
	struct nb_filter f = { .subnet_id = subnet->id };
	size_t i, k, w;
	int rc;

	*ports = NULL;
	*n = 0;
	*ops = NULL;
	if (!auto_addr(sn))
		return 0;
	if ((rc = nb_find(o->nb, MDL_PORT, &f, ports, n)))
		return rc;
	if (*n && !(*ops = calloc(*n, sizeof(**ops))))
		return -ENOMEM;
	for (i = 0; i < *n; i++) {
		struct mdl_port *p = mdl_hdr_to_port((*ports)[i]);

		for (k = w = 0; k < p->n_fixed_ips; k++)
			if (strcmp(p->fixed_ips[k].subnet_id, subnet->id))
				p->fixed_ips[w++] = p->fixed_ips[k];
		p->n_fixed_ips = w;
		(*ops)[i] = (struct nb_op){ .kind = NB_OP_UPDATE, .obj = (*ports)[i] };
	}
	return 0;
}
