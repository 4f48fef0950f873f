/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/lc/lc_dhcp.c — the DHCP application's view of the held model: a local
 * port's fixed IPv4 address and its subnet's options.  Control thread only.
 *
 * lport key -> port object: the lport index (an rte_hash of the lports
 * this controller installed on a local dp port, the only ones whose DHCP
 * is punted here; kept by lc_compile: lc_lport_index_set/del),
 * no scan; the answer is cached per lport until the controller applies
 * anything (events, syncs, table ops, iface changes, a batch's end or a
 * yield inside one bump the generation).  Subnet and network come from the index by id (hash
 * lookups).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_jhash.h>

#include "lc_priv.h"

#define CACHE_SLOTS 256

struct cache_ent {
	uint32_t lport;
	int rc;
	struct lc_dhcp_info info;
};

/* The controller's cache (struct lc's dhcp_cache). */
struct lc_dhcp_cache {
	uint64_t gen[6];
	struct cache_ent e[CACHE_SLOTS];
};

/* ---- the lport index -------------------------------------------------- */

/* At most one lport a local dp port (LC_MAX_IFACES), two for a moment
 * when a batch gives a dp port to a new lport before the old one goes:
 * the table never fills. */
#define INDEX_SIZE (4 * LC_MAX_IFACES)

void lc_lport_index_set(struct lc *lc, uint32_t key, struct lc_obj *o)
{
	if (lc->lport_index == NULL) {
		char name[RTE_HASH_NAMESIZE];
		snprintf(name, sizeof(name), "lcx%lx",
			 (unsigned long)(uintptr_t)lc & 0xffffffffu);
		struct rte_hash_parameters p = {
			.name = name, .entries = INDEX_SIZE, .key_len = sizeof(uint32_t),
			.hash_func = rte_jhash, .socket_id = SOCKET_ID_ANY,
		};
		lc->lport_index = rte_hash_create(&p);
	}
	/* none: DHCP then answers nothing for it, counted as a miss */
	if (lc->lport_index != NULL)
		rte_hash_add_key_data(lc->lport_index, &key, o);
}

void lc_lport_index_del(struct lc *lc, uint32_t key, struct lc_obj *o)
{
	void *d;
	if (lc->lport_index != NULL && rte_hash_lookup_data(lc->lport_index, &key, &d) >= 0 &&
	    d == o)
		rte_hash_del_key(lc->lport_index, &key);
}

struct lc_obj *lc_lport_index_get(const struct lc *lc, uint32_t key)
{
	void *d;
	if (lc->lport_index == NULL || rte_hash_lookup_data(lc->lport_index, &key, &d) < 0)
		return NULL;
	return d;
}

void lc_lport_index_free(struct lc *lc)
{
	rte_hash_free(lc->lport_index);
	lc->lport_index = NULL;
}

static int parse_prefix(const char *s, uint32_t *addr, uint8_t *plen)
{
	struct dp_ip ip;
	if (lc_ip_parse(s, &ip) < 0 || ip.family != 4)
		return -EINVAL;
	memcpy(addr, ip.addr, 4);
	*plen = ip.plen;
	return 0;
}

static uint32_t plen_mask(uint8_t plen)
{
	return plen == 0 ? 0 : htonl(0xffffffffu << (32 - plen));
}

static int resolve(struct lc *lc, uint32_t key, struct lc_dhcp_info *out)
{
	struct lc_obj *o = lc_lport_index_get(lc, key);
	memset(out, 0, sizeof(*out));
	if (o == NULL || o->type != MDL_PORT || !o->held || !o->present || o->o == NULL ||
	    o->lp_key != key)
		return -ENOENT;
	const struct lc_port *p = lc_port_of(o);
	struct rte_ether_addr mac;
	if (lc_port_mac(p, &mac) < 0)
		return -ENOENT;
	memcpy(out->mac, mac.addr_bytes, 6);
	for (size_t i = 0; i < p->n_fixed_ips; i++) {
		struct lc_obj *so = lc_obj_find_id(lc, MDL_SUBNET, p->fixed_ips[i].subnet_id);
		if (so == NULL || so->o == NULL || !so->present)
			continue;
		struct mdl_subnet *s = mdl_hdr_to_subnet(so->o);
		uint32_t ip, net;
		uint8_t plen;
		struct dp_ip a;
		if (s->ip_version != 4 || !s->enable_dhcp || lc_port_ip(&p->fixed_ips[i], &a) < 0 ||
		    a.family != 4 || parse_prefix(s->cidr, &net, &plen) < 0)
			continue;
		memcpy(&ip, a.addr, 4);
		out->ip = ip;
		out->mask = plen_mask(plen);
		out->broadcast = (net & out->mask) | ~out->mask;
		uint8_t gpl;
		if (s->gateway_ip[0] && parse_prefix(s->gateway_ip, &out->gateway, &gpl) < 0)
			out->gateway = 0;
		out->server_id = out->gateway ? out->gateway
					      : ((net & out->mask) | htonl(1));
		for (size_t k = 0; k < s->n_dns_nameservers && out->n_dns < LC_DHCP_MAX_DNS; k++) {
			uint32_t d;
			uint8_t dl;
			if (parse_prefix(s->dns_nameservers[k], &d, &dl) == 0)
				out->dns[out->n_dns++] = d;
		}
		for (size_t k = 0; k < s->n_host_routes && out->n_routes < LC_DHCP_MAX_ROUTES;
		     k++) {
			uint32_t d, gw;
			uint8_t dl, gl;
			if (parse_prefix(s->host_routes[k].destination, &d, &dl) < 0 ||
			    parse_prefix(s->host_routes[k].nexthop, &gw, &gl) < 0)
				continue;
			out->routes[out->n_routes].dst = d & plen_mask(dl);
			out->routes[out->n_routes].plen = dl;
			out->routes[out->n_routes].gw = gw;
			out->n_routes++;
		}
		struct lc_obj *no = lc_obj_find_id(lc, MDL_NETWORK, p->network_id);
		/* the MTU the datapath network has: the NB value less the
		 * tunnel overhead on overlay networks (lc_compile.c) */
		out->mtu = no && no->cs->net ? no->cs->net->mtu
			 : no && no->o ? (uint16_t)mdl_hdr_to_network(no->o)->mtu : 0;
		return 0;
	}
	return -ENODATA;
}

int lc_dhcp_lookup(struct lc *lc, uint32_t lport_key, struct lc_dhcp_info *out)
{
	/* a batch's end (a port becomes held) and a yield inside a batch
	 * (lc_set_yield: the pass moved on) are news too */
	uint64_t gen[6] = { lc->st.events_applied, lc->st.syncs, lc->st.table_ops,
			    lc->n_ifaces + (lc->ifaces_changed ? 1000u : 0u), lc->st.batches,
			    lc->st.yields };
	struct lc_dhcp_cache *cache = lc->dhcp_cache;
	if (cache == NULL) {
		cache = lc->dhcp_cache = calloc(1, sizeof(*cache));
		if (cache == NULL)
			return resolve(lc, lport_key, out);   /* uncached */
		memcpy(cache->gen, gen, sizeof(gen));
	}
	if (memcmp(gen, cache->gen, sizeof(gen)) != 0) {
		memset(cache, 0, sizeof(*cache));
		memcpy(cache->gen, gen, sizeof(gen));
	}
	struct cache_ent *e = &cache->e[lport_key % CACHE_SLOTS];
	if (e->lport != lport_key || lport_key == 0) {
		e->rc = resolve(lc, lport_key, &e->info);
		e->lport = lport_key;
	}
	*out = e->info;
	return e->rc;
}
