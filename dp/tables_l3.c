/* SPDX-License-Identifier: BSD-3-Clause
 * dp/tables_l3.c — routers + FIBs, router ports, router MACs, neighbors
 * (see tables_l3.h).
 *
 * Four rte_hash tables in lock-free-reader mode (one writer):
 *   routers : router key -> struct dp_router *  (cfg, rports, routes, FIBs)
 *   rports  : rport key  -> struct dp_rport *
 *   rmac    : (network, MAC) -> rport key
 *   neigh   : (network, family, IP) -> its owner, as a value: the owner's
 *             key and kind (lport or rport; neigh_val), not a copy of the
 *             owner's MAC, which a lookup reads from the owner (on the
 *             miss path).  No allocation per neighbor: an rte_malloc'd
 *             14-byte entry cost 128 bytes and an allocator call, for every
 *             address of every port.
 * An lport's neighbor entries are derived from its addresses when the
 * lport table puts or deletes it (dp_l3_lport_changed, called by tables.c
 * while the old lport is still there), so an update or delete retracts
 * exactly what the old one installed.  (They were re-derived from the
 * change tags before, which needed a copy of every lport's addresses: a
 * hash and an allocation per lport, 7 MB at 100k ports.)
 *
 * FIBs: a router change builds a complete new router object with new FIBs
 * (rte_fib / rte_fib6 of the RIB-backed "dummy" type: memory in proportion
 * to the routes — DIR24_8 would cost 16 MB per router, 3 GB at 200 routers —
 * and lookups only on the miss path; created only when the router has routes
 * of that family), publishes it, waits a grace period, then frees the old
 * object and its FIBs.  Routes change rarely; the cost is one FIB build
 * (milliseconds) per router change on the control thread.
 *
 * Conflicts: a neighbor (network, IP) has one owner; the last put wins and a
 * delete only removes an entry its owner installed.
 */
#include "tables_l3_priv.h"


void dp_l3_eui64_ll(uint8_t out[16], const uint8_t mac[6])
{
	memset(out, 0, 16);
	out[0] = 0xfe;
	out[1] = 0x80;
	out[8] = (uint8_t)(mac[0] ^ 0x02);
	out[9] = mac[1];
	out[10] = mac[2];
	out[11] = 0xff;
	out[12] = 0xfe;
	out[13] = mac[3];
	out[14] = mac[4];
	out[15] = mac[5];
}

uint32_t dp_neigh_tag_key(uint32_t network, uint8_t family, const uint8_t *ip)
{
	struct neigh_key k;
	uint64_t w[sizeof(k) / 8];
	neigh_key_make(&k, network, family, ip);
	/* hash a word copy: rte_hash_crc reads uint64_t words, and inlined
	 * (LTO) over the struct, strict aliasing lets the reads move above
	 * the stores that built the key */
	memcpy(w, &k, sizeof(k));
	return rte_hash_crc(w, sizeof(w), 0x4e16);
}

/* ---- create/destroy -------------------------------------------------------- */

struct dp_l3 *dp_l3_create(const char *name, struct dp_tables *t, struct rte_rcu_qsbr *rcu,
			   dp_tables_change_cb *on_change, void *arg)
{
	if (t == NULL || dp_tables_get_l3(t) != NULL) {
		rte_errno = t == NULL ? EINVAL : EEXIST;
		return NULL;
	}
	struct dp_l3 *l3 = rte_zmalloc("dp_l3", sizeof(*l3), RTE_CACHE_LINE_SIZE);
	if (l3 == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	l3->t = t;
	l3->rcu = rcu;
	l3->on_change = on_change;
	l3->cb_arg = arg;
	snprintf(l3->name, sizeof(l3->name), "%s", name);
	l3->routers = make_hash(name, "rtr", ROUTERS_MAX, sizeof(uint32_t), true);
	l3->rports = make_hash(name, "rp", RPORTS_MAX, sizeof(uint32_t), true);
	l3->rmac = make_hash(name, "rmac", RPORTS_MAX, sizeof(struct rmac_key), true);
	l3->neigh = make_hash(name, "nb", NEIGH_MAX, sizeof(struct neigh_key), true);
	if (!l3->routers || !l3->rports || !l3->rmac || !l3->neigh) {
		dp_l3_destroy(l3);
		rte_errno = ENOMEM;
		return NULL;
	}
	dp_tables_set_l3(t, l3); /* translate finds us through the tables */
	return l3;
}

void dp_l3_destroy(struct dp_l3 *l3)
{
	if (l3 == NULL)
		return;
	if (l3->t != NULL && dp_tables_get_l3(l3->t) == l3)
		dp_tables_set_l3(l3->t, NULL);
	const void *k;
	void *d;
	uint32_t it = 0;
	if (l3->routers) {
		while (rte_hash_iterate(l3->routers, &k, &d, &it) >= 0)
			router_free(d);
		rte_hash_free(l3->routers);
	}
	if (l3->rports) {
		it = 0;
		while (rte_hash_iterate(l3->rports, &k, &d, &it) >= 0)
			rte_free(d);
		rte_hash_free(l3->rports);
	}
	rte_hash_free(l3->neigh);       /* values, not pointers (neigh_val) */
	rte_hash_free(l3->rmac);
	free(l3->dirty);
	rte_free(l3);
}

struct dp_l3 *dp_l3_find(const struct dp_tables *t)
{
	return t != NULL ? dp_tables_get_l3(t) : NULL;
}

/* ---- readers ------------------------------------------------------------- */

const struct dp_router *dp_l3_router_get(const struct dp_l3 *l3, uint32_t key)
{
	void *d;
	if (l3 == NULL || rte_hash_lookup_data(l3->routers, &key, &d) < 0)
		return NULL;
	return d;
}

const struct dp_rport *dp_l3_rport_get(const struct dp_l3 *l3, uint32_t key)
{
	void *d;
	if (l3 == NULL || key == 0 || rte_hash_lookup_data(l3->rports, &key, &d) < 0)
		return NULL;
	return d;
}

uint32_t dp_l3_rmac_lookup(const struct dp_l3 *l3, uint32_t network, const uint8_t mac[6])
{
	struct rmac_key k;
	void *d;
	if (l3 == NULL)
		return 0;
	rmac_key_make(&k, network, mac);
	if (rte_hash_lookup_data(l3->rmac, &k, &d) < 0)
		return 0;
	return (uint32_t)(uintptr_t)d;
}

/* The neighbor entry's owner: lport or rport key, and which. */
static inline void *neigh_val(uint32_t owner, bool rport)
{
	return (void *)(uintptr_t)(NEIGH_V_SET | (uint64_t)owner << 1 | (rport ? 1u : 0u));
}

static inline uint32_t neigh_owner(const void *d)
{
	return (uint32_t)((uintptr_t)d >> 1);
}

/* A neighbor as readers see it, from its owner as published now; false when
 * the owner is gone (its neighbors go with it in the same writer call). */
static bool neigh_fill(const struct dp_l3 *l3, const void *d, struct dp_neigh *out)
{
	uint32_t owner = neigh_owner(d);
	if ((uintptr_t)d & 1) {
		const struct dp_rport *p = dp_l3_rport_get(l3, owner);
		if (p == NULL)
			return false;
		out->mac = p->cfg.mac;
		out->router = p->cfg.router;
	} else {
		const struct dp_lport *p = dp_table_lport_get(l3->t, owner);
		if (p == NULL)
			return false;
		out->mac = p->cfg.macs[0];
		out->router = 0;
	}
	out->lport = owner;
	return true;
}

bool dp_l3_neigh_get(const struct dp_l3 *l3, uint32_t network, uint8_t family, const uint8_t *ip,
		     struct dp_neigh *out)
{
	struct neigh_key k;
	void *d;
	if (l3 == NULL)
		return false;
	neigh_key_make(&k, network, family, ip);
	if (rte_hash_lookup_data(l3->neigh, &k, &d) < 0)
		return false;
	return neigh_fill(l3, d, out);
}

const struct dp_l3_nh *dp_l3_route_lookup(const struct dp_router *r, uint8_t family,
					  const uint8_t *ip)
{
	uint64_t nh = 0;
	if (family == 4 && r->fib4 != NULL) {
		uint32_t a;
		memcpy(&a, ip, 4);
		a = ntohl(a);
		rte_fib_lookup_bulk(r->fib4, &a, &nh, 1);
	} else if (family == 6 && r->fib6 != NULL) {
		uint8_t a[1][16];
		memcpy(a[0], ip, 16);
		rte_fib6_lookup_bulk(r->fib6, a, &nh, 1);
	}
	if (nh == 0 || nh >= r->n_nh)
		return NULL;
	return &r->nh[nh];
}

const struct dp_rport *dp_l3_router_owns(const struct dp_l3 *l3, const struct dp_router *r,
					 uint8_t family, const uint8_t *ip)
{
	for (unsigned i = 0; i < r->n_rports; i++) {
		const struct dp_rport *p = dp_l3_rport_get(l3, r->rports[i]);
		if (p == NULL)
			continue;
		for (unsigned j = 0; j < p->cfg.n_ips; j++)
			if (p->cfg.ips[j].family == family &&
			    memcmp(p->cfg.ips[j].addr, ip, alen(family)) == 0)
				return p;
		if (family == 6) {
			uint8_t ll[16];
			dp_l3_eui64_ll(ll, p->cfg.mac.addr_bytes);
			if (memcmp(ll, ip, 16) == 0)
				return p;
		}
	}
	return NULL;
}

const struct dp_rport *dp_l3_router_rport_on(const struct dp_l3 *l3, const struct dp_router *r,
					     uint32_t network)
{
	for (unsigned i = 0; i < r->n_rports; i++) {
		const struct dp_rport *p = dp_l3_rport_get(l3, r->rports[i]);
		if (p != NULL && p->cfg.network == network)
			return p;
	}
	return NULL;
}

/* ---- neighbors ----------------------------------------------------------------- */

static int neigh_put(struct dp_l3 *l3, struct l3_change *ch, uint32_t network, uint8_t family,
		     const uint8_t *ip, uint32_t owner, bool rport)
{
	struct neigh_key k;
	void *d, *v = neigh_val(owner, rport);
	neigh_key_make(&k, network, family, ip);
	if (rte_hash_lookup_data(l3->neigh, &k, &d) >= 0 && d == v)
		return 0;
	if (rte_hash_add_key_data(l3->neigh, &k, v) < 0)
		return -ENOSPC;
	ch_tag(ch, DP_TAG(DP_TAG_NEIGH, dp_neigh_tag_key(network, family, ip)));
	return 0;
}

/* Remove (network, ip) if owner installed it. */
static void neigh_del(struct dp_l3 *l3, struct l3_change *ch, uint32_t network, uint8_t family,
		      const uint8_t *ip, uint32_t owner)
{
	struct neigh_key k;
	void *d;
	neigh_key_make(&k, network, family, ip);
	if (rte_hash_lookup_data(l3->neigh, &k, &d) < 0 || neigh_owner(d) != owner ||
	    ch->n_npos >= RTE_DIM(ch->neigh_pos))
		return;
	int32_t pos = rte_hash_del_key(l3->neigh, &k);
	if (pos < 0)
		return;
	ch->neigh_pos[ch->n_npos++] = pos;
	ch_tag(ch, DP_TAG(DP_TAG_NEIGH, dp_neigh_tag_key(network, family, ip)));
}

static bool rport_has_v6(const struct dp_rport_cfg *c)
{
	for (unsigned i = 0; i < c->n_ips; i++)
		if (c->ips[i].family == 6)
			return true;
	return false;
}

static bool ip_in_list(const struct dp_ip *ips, unsigned n, const struct dp_ip *ip)
{
	for (unsigned i = 0; i < n; i++)
		if (ips[i].family == ip->family && memcmp(ips[i].addr, ip->addr, 16) == 0)
			return true;
	return false;
}

static void rport_neigh_del(struct dp_l3 *l3, struct l3_change *ch, const struct dp_rport_cfg *o,
			    const struct dp_rport_cfg *keep)
{
	/* what stays installed: keep's addresses when it is the same port on
	 * the same network with the same MAC; nothing when keep == NULL
	 * (the port is deleted) */
	const struct dp_ip *kept = NULL;
	unsigned n_kept = 0;
	bool kept_v6 = false;
	if (keep != NULL && keep->network == o->network &&
	    rte_is_same_ether_addr(&keep->mac, &o->mac)) {
		kept = keep->ips;
		n_kept = keep->n_ips;
		kept_v6 = rport_has_v6(keep);
	}
	for (unsigned i = 0; i < o->n_ips; i++)
		if (!ip_in_list(kept, n_kept, &o->ips[i]))
			neigh_del(l3, ch, o->network, o->ips[i].family, o->ips[i].addr, o->key);
	if (rport_has_v6(o) && !kept_v6) {
		uint8_t ll[16];
		dp_l3_eui64_ll(ll, o->mac.addr_bytes);
		neigh_del(l3, ch, o->network, 6, ll, o->key);
	}
}

static int rport_neigh_put(struct dp_l3 *l3, struct l3_change *ch, const struct dp_rport_cfg *c)
{
	int rc = 0;
	for (unsigned i = 0; i < c->n_ips && rc == 0; i++)
		rc = neigh_put(l3, ch, c->network, c->ips[i].family, c->ips[i].addr, c->key, true);
	if (rc == 0 && rport_has_v6(c)) {
		uint8_t ll[16];
		dp_l3_eui64_ll(ll, c->mac.addr_bytes);
		rc = neigh_put(l3, ch, c->network, 6, ll, c->key, true);
	}
	return rc;
}

void dp_l3_lport_changed(struct dp_l3 *l3, uint32_t key, const struct dp_lport_cfg *old,
			 const struct dp_lport_cfg *nw)
{
	if (l3 == NULL || (old == NULL && nw == NULL))
		return;
	unsigned old_n = old ? RTE_MIN(old->n_ips, (uint8_t)DP_LPORT_MAX_IPS) : 0;
	unsigned nw_n = nw ? RTE_MIN(nw->n_ips, (uint8_t)DP_LPORT_MAX_IPS) : 0;
	bool same = old && nw && old->network == nw->network &&
		    rte_is_same_ether_addr(&old->macs[0], &nw->macs[0]);
	struct l3_change ch;
	ch_init(&ch);
	for (unsigned j = 0; j < old_n; j++)
		if (!same || !ip_in_list(nw->ips, nw_n, &old->ips[j]))
			neigh_del(l3, &ch, old->network, old->ips[j].family, old->ips[j].addr,
				  key);
	for (unsigned j = 0; j < nw_n; j++)
		neigh_put(l3, &ch, nw->network, nw->ips[j].family, nw->ips[j].addr, key, false);
	if (ch.n_tags || ch.n_npos)
		ch_finish(l3, &ch);
}

/* ---- routers --------------------------------------------------------------------- */

int dp_l3_router_put(struct dp_l3 *l3, const struct dp_router_cfg *cfg)
{
	if (cfg == NULL || cfg->key == 0 || memchr(cfg->name, 0, sizeof(cfg->name)) == NULL)
		return -EINVAL;
	if (dp_table_lport_get(l3->t, cfg->key) != NULL || dp_l3_rport_get(l3, cfg->key) != NULL)
		return -EEXIST;
	const struct dp_router *old = dp_l3_router_get(l3, cfg->key);
	struct dp_router *tmpl = calloc(1, sizeof(*tmpl));
	if (tmpl == NULL)
		return -ENOMEM;
	if (old)
		memcpy(tmpl, old, sizeof(*tmpl));
	tmpl->cfg = *cfg;
	return l3_router_replace(l3, tmpl, old);
}

int dp_l3_router_del(struct dp_l3 *l3, uint32_t key)
{
	const struct dp_router *old = dp_l3_router_get(l3, key);
	if (old == NULL)
		return -ENOENT;
	if (old->n_rports > 0)
		return -EBUSY;
	struct l3_change ch;
	ch_init(&ch);
	ch.router_pos = rte_hash_del_key(l3->routers, &key);
	ch.routers_free[ch.n_rfree++] = (struct dp_router *)(uintptr_t)old;
	ch_tag(&ch, DP_TAG(DP_TAG_ROUTER, key));
	ch_finish(l3, &ch);
	return 0;
}

/* ---- router ports ------------------------------------------------------------------ */

static int rport_validate(struct dp_l3 *l3, const struct dp_rport_cfg *c,
			  const struct dp_router **rout)
{
	if (c->key == 0 || c->router == 0 || c->network == 0 || c->n_ips > DP_RPORT_MAX_IPS ||
	    memchr(c->name, 0, sizeof(c->name)) == NULL || !rte_is_unicast_ether_addr(&c->mac) ||
	    rte_is_zero_ether_addr(&c->mac) || c->ra_mode > DP_RA_DHCPV6_STATEFUL)
		return -EINVAL;
	for (unsigned i = 0; i < c->n_ips; i++) {
		const struct dp_ip *ip = &c->ips[i];
		if ((ip->family != 4 && ip->family != 6) || ip->plen > (ip->family == 4 ? 32 : 128))
			return -EINVAL;
	}
	const struct dp_router *r = dp_l3_router_get(l3, c->router);
	if (r == NULL || dp_table_network_get(l3->t, c->network) == NULL)
		return -ENOENT;
	if (dp_table_lport_get(l3->t, c->key) != NULL || dp_l3_router_get(l3, c->key) != NULL)
		return -EEXIST;
	if (dp_table_fdb_lookup(l3->t, c->network, c->mac.addr_bytes) != 0)
		return -EEXIST;
	uint32_t owner = dp_l3_rmac_lookup(l3, c->network, c->mac.addr_bytes);
	if (owner != 0 && owner != c->key)
		return -EEXIST;
	bool member = false;
	for (unsigned i = 0; i < r->n_rports; i++) {
		if (r->rports[i] == c->key) {
			member = true;
			continue;
		}
		const struct dp_rport *o = dp_l3_rport_get(l3, r->rports[i]);
		if (o && o->cfg.network == c->network)
			return -EEXIST;
	}
	const struct dp_rport *old = dp_l3_rport_get(l3, c->key);
	if (old && old->cfg.router != c->router)
		return -EEXIST; /* moving between routers: delete first */
	if (!member && r->n_rports >= DP_ROUTER_MAX_RPORTS)
		return -ENOSPC;
	*rout = r;
	return 0;
}

int dp_l3_rport_put(struct dp_l3 *l3, const struct dp_rport_cfg *cfg)
{
	const struct dp_router *r;
	if (cfg == NULL)
		return -EINVAL;
	int rc = rport_validate(l3, cfg, &r);
	if (rc < 0)
		return rc;
	const struct dp_rport *old = dp_l3_rport_get(l3, cfg->key);
	struct dp_rport *p = rte_zmalloc("dp_rport", sizeof(*p), 0);
	if (p == NULL)
		return -ENOMEM;
	p->cfg = *cfg;
	struct dp_router *tmpl = malloc(sizeof(*tmpl));
	if (tmpl == NULL) {
		rte_free(p);
		return -ENOMEM;
	}
	memcpy(tmpl, r, sizeof(*tmpl));
	if (old == NULL)
		tmpl->rports[tmpl->n_rports++] = cfg->key;
	if (rte_hash_add_key_data(l3->rports, &cfg->key, p) < 0) {
		rte_free(p);
		free(tmpl);
		return -ENOSPC;
	}
	struct l3_change ch;
	ch_init(&ch);
	ch_tag(&ch, DP_TAG(DP_TAG_LPORT, cfg->key));
	/* router MAC */
	const struct dp_rport_cfg *oc = old ? &old->cfg : NULL;
	if (!oc || oc->network != cfg->network || !rte_is_same_ether_addr(&oc->mac, &cfg->mac)) {
		struct rmac_key k;
		rmac_key_make(&k, cfg->network, cfg->mac.addr_bytes);
		rte_hash_add_key_data(l3->rmac, &k, (void *)(uintptr_t)cfg->key);
		ch_tag(&ch, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(cfg->network, k.mac)));
		if (oc) {
			rmac_key_make(&k, oc->network, oc->mac.addr_bytes);
			ch.rmac_pos = rte_hash_del_key(l3->rmac, &k);
			ch_tag(&ch, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(oc->network, k.mac)));
		}
	}
	if (oc)
		rport_neigh_del(l3, &ch, oc, cfg);
	rport_neigh_put(l3, &ch, cfg);
	if (old)
		ch.to_free[ch.n_free++] = (void *)(uintptr_t)old;
	rc = l3_router_publish(l3, &ch, tmpl, r);
	free(tmpl);
	/* a failed FIB build leaves the old router (and its FIBs) in place;
	 * the rport itself is published either way */
	ch_finish(l3, &ch);
	return rc;
}

int dp_l3_rport_del(struct dp_l3 *l3, uint32_t key)
{
	const struct dp_rport *old = dp_l3_rport_get(l3, key);
	if (old == NULL)
		return -ENOENT;
	const struct dp_rport_cfg *oc = &old->cfg;
	const struct dp_router *r = dp_l3_router_get(l3, oc->router);
	struct l3_change ch;
	ch_init(&ch);
	ch_tag(&ch, DP_TAG(DP_TAG_LPORT, key));
	struct rmac_key k;
	rmac_key_make(&k, oc->network, oc->mac.addr_bytes);
	ch.rmac_pos = rte_hash_del_key(l3->rmac, &k);
	ch_tag(&ch, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(oc->network, k.mac)));
	rport_neigh_del(l3, &ch, oc, NULL);
	ch.rport_pos = rte_hash_del_key(l3->rports, &key);
	ch.to_free[ch.n_free++] = (void *)(uintptr_t)old;
	int rc = 0;
	if (r != NULL) {
		struct dp_router *tmpl = malloc(sizeof(*tmpl));
		if (tmpl == NULL) {
			rc = -ENOMEM;
		} else {
			memcpy(tmpl, r, sizeof(*tmpl));
			unsigned j = 0;
			for (unsigned i = 0; i < tmpl->n_rports; i++)
				if (tmpl->rports[i] != key)
					tmpl->rports[j++] = tmpl->rports[i];
			tmpl->n_rports = (uint16_t)j;
			rc = l3_router_publish(l3, &ch, tmpl, r);
			free(tmpl);
		}
	}
	ch_finish(l3, &ch);
	return rc;
}

/* ---- iteration -------------------------------------------------------------------- */

void dp_l3_foreach_router(const struct dp_l3 *l3,
			  int (*cb)(const struct dp_router *r, void *arg), void *arg)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (l3 && rte_hash_iterate(l3->routers, &k, &d, &it) >= 0)
		if (cb(d, arg))
			return;
}

void dp_l3_foreach_rport(const struct dp_l3 *l3,
			 int (*cb)(const struct dp_rport *p, void *arg), void *arg)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (l3 && rte_hash_iterate(l3->rports, &k, &d, &it) >= 0)
		if (cb(d, arg))
			return;
}

void dp_l3_foreach_neigh(const struct dp_l3 *l3,
			 int (*cb)(uint32_t network, uint8_t family, const uint8_t *ip,
				   const struct dp_neigh *n, void *arg), void *arg)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (l3 && rte_hash_iterate(l3->neigh, &k, &d, &it) >= 0) {
		const struct neigh_key *nk = k;
		struct dp_neigh n;
		if (neigh_fill(l3, d, &n) && cb(nk->network, nk->family, nk->ip, &n, arg))
			return;
	}
}

unsigned dp_l3_n_routers(const struct dp_l3 *l3)
{
	return l3 ? (unsigned)rte_hash_count(l3->routers) : 0;
}
