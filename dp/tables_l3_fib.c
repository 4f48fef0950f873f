/* SPDX-License-Identifier: BSD-3-Clause
 * dp/tables_l3_fib.c — per-router FIBs (rte_fib DIR24_8 for IPv4, rte_fib6
 * TRIE for IPv6) and extra routes.  rte_fib has no RCU integration in
 * DPDK 22.11, so any change builds new FIBs for the router, publishes a new
 * router object and frees the old one after a grace period: routes change
 * rarely, lookups never wait.
 */
#include "tables_l3_priv.h"

/* ---- FIB build ---------------------------------------------------------------- */

static void prefix_of(struct dp_ip *out, const struct dp_ip *a)
{
	*out = *a;
	unsigned bits = a->family == 4 ? 32 : 128;
	for (unsigned b = a->plen; b < bits; b++)
		out->addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
}

/* The rport of r whose connected prefix holds gw (longest), 0 if none. */
static uint32_t rport_for_gw(const struct dp_l3 *l3, const struct dp_router *r,
			     const struct dp_ip *gw)
{
	uint32_t best = 0;
	int best_len = -1;
	for (unsigned i = 0; i < r->n_rports; i++) {
		const struct dp_rport *p = dp_l3_rport_get(l3, r->rports[i]);
		for (unsigned j = 0; p && j < p->cfg.n_ips; j++) {
			struct dp_ip pf;
			prefix_of(&pf, &p->cfg.ips[j]);
			if (dp_ip_in_prefix(&pf, gw->family, gw->addr) && (int)pf.plen > best_len) {
				best = p->cfg.key;
				best_len = pf.plen;
			}
		}
	}
	return best;
}

/* A FIB is built whole and never grown (any change builds new ones), so
 * it is sized to the prefixes it will hold: its RIB's node pool is twice
 * that, not the 772 nodes the largest possible router needs, allocated at
 * every router-port put (dp/DESIGN.md "FIBs"). */
struct fib_sizes {
	int n4, n6;
};

static int fib_add(struct dp_l3 *l3, struct dp_router *r, const struct fib_sizes *sz,
		   const struct dp_ip *pf, uint64_t nh)
{
	char name[64];   /* RTE_FIB_NAMESIZE (internal header) */
	if (pf->family == 4) {
		if (r->fib4 == NULL) {
			/* RIB-backed (RTE_FIB_DUMMY): memory grows with the
			 * routes, not 16 MB per router as DIR24_8 would. The
			 * FIB is read only on the miss path (translate):
			 * megaflows carry the result, so per-lookup speed
			 * hardly matters, memory per router does. */
			struct rte_fib_conf c = {
				.type = RTE_FIB_DUMMY,
				.default_nh = 0,
				.max_routes = sz->n4,
			};
			snprintf(name, sizeof(name), "%s_f4_%u", l3->name, ++l3->fib_seq);
			r->fib4 = rte_fib_create(name, SOCKET_ID_ANY, &c);
			if (r->fib4 == NULL)
				return -ENOMEM;
		}
		uint32_t a;
		memcpy(&a, pf->addr, 4);
		return rte_fib_add(r->fib4, ntohl(a), pf->plen, nh);
	}
	if (r->fib6 == NULL) {
		struct rte_fib6_conf c = { /* RIB-backed, as for IPv4 */
			.type = RTE_FIB6_DUMMY,
			.default_nh = 0,
			.max_routes = sz->n6,
		};
		snprintf(name, sizeof(name), "%s_f6_%u", l3->name, ++l3->fib_seq);
		r->fib6 = rte_fib6_create(name, SOCKET_ID_ANY, &c);
		if (r->fib6 == NULL)
			return -ENOMEM;
	}
	return rte_fib6_add(r->fib6, pf->addr, pf->plen, nh);
}

/* Fill r's next hops and FIBs from its rports (as published now) and
 * routes. Extra routes go in first so that a connected prefix wins over an
 * extra route for the same prefix. Unresolvable routes are left out. */
static int router_build(struct dp_l3 *l3, struct dp_router *r)
{
	struct fib_sizes sz = { 1, 1 };   /* an upper bound: each prefix once */
	for (unsigned i = 0; i < r->n_routes; i++)
		*(r->routes[i].prefix.family == 4 ? &sz.n4 : &sz.n6) += 1;
	for (unsigned i = 0; i < r->n_rports; i++) {
		const struct dp_rport *p = dp_l3_rport_get(l3, r->rports[i]);
		for (unsigned j = 0; p && j < p->cfg.n_ips; j++)
			*(p->cfg.ips[j].family == 4 ? &sz.n4 : &sz.n6) += 1;
	}
	r->fib4 = NULL;
	r->fib6 = NULL;
	r->n_nh = 1;
	memset(&r->nh[0], 0, sizeof(r->nh[0]));
	for (unsigned i = 0; i < r->n_routes; i++) {
		const struct dp_route_cfg *rt = &r->routes[i];
		uint32_t out = rt->rport;
		if (out == 0 && rt->gw.family != 0)
			out = rport_for_gw(l3, r, &rt->gw);
		if (out == 0)
			continue;
		struct dp_l3_nh *nh = &r->nh[r->n_nh];
		memset(nh, 0, sizeof(*nh));
		nh->rport = out;
		nh->family = rt->prefix.family;
		nh->plen = rt->prefix.plen;
		memcpy(nh->prefix, rt->prefix.addr, 16);
		nh->connected = rt->gw.family == 0;
		memcpy(nh->gw, rt->gw.addr, 16);
		int rc = fib_add(l3, r, &sz, &rt->prefix, r->n_nh);
		if (rc < 0)
			return rc;
		r->n_nh++;
	}
	for (unsigned i = 0; i < r->n_rports; i++) {
		const struct dp_rport *p = dp_l3_rport_get(l3, r->rports[i]);
		for (unsigned j = 0; p && j < p->cfg.n_ips; j++) {
			struct dp_ip pf;
			prefix_of(&pf, &p->cfg.ips[j]);
			struct dp_l3_nh *nh = &r->nh[r->n_nh];
			memset(nh, 0, sizeof(*nh));
			nh->rport = p->cfg.key;
			nh->family = pf.family;
			nh->plen = pf.plen;
			memcpy(nh->prefix, pf.addr, 16);
			nh->connected = 1;
			int rc = fib_add(l3, r, &sz, &pf, r->n_nh);
			if (rc < 0)
				return rc;
			r->n_nh++;
		}
	}
	return 0;
}

/* Remember a router to build at dp_l3_batch_end (repeats are dropped
 * there, after a sort). */
static int dirty_add(struct dp_l3 *l3, uint32_t key)
{
	if (l3->n_dirty == l3->cap_dirty) {
		unsigned cap = l3->cap_dirty ? l3->cap_dirty * 2 : 64;
		uint32_t *d = realloc(l3->dirty, cap * sizeof(*d));
		if (d == NULL)
			return -ENOMEM;
		l3->dirty = d;
		l3->cap_dirty = cap;
	}
	l3->dirty[l3->n_dirty++] = key;
	return 0;
}

/* Publish a new version of a router built from tmpl (rports/routes set).
 * old: the published version (freed after the batch's grace period). */
int l3_router_publish(struct dp_l3 *l3, struct l3_change *ch, const struct dp_router *tmpl,
			  const struct dp_router *old)
{
	struct dp_router *r = rte_malloc("dp_router", sizeof(*r), RTE_CACHE_LINE_SIZE);
	if (r == NULL)
		return -ENOMEM;
	memcpy(r, tmpl, sizeof(*r));
	/* in a batch: old's FIBs and next hops (tmpl is a copy of old; a new
	 * router has none), built at dp_l3_batch_end */
	bool defer = l3->batch && dirty_add(l3, r->cfg.key) == 0;
	if (defer && old == NULL) {
		r->fib4 = NULL;
		r->fib6 = NULL;
		r->n_nh = 1;
		memset(&r->nh[0], 0, sizeof(r->nh[0]));
	}
	int rc = defer ? 0 : router_build(l3, r);
	if (rc < 0) {
		router_free(r);
		return rc;
	}
	int32_t pos = rte_hash_add_key_data(l3->routers, &r->cfg.key, r);
	if (pos < 0) {
		if (defer)
			rte_free(r);   /* old keeps its FIBs */
		else
			router_free(r);
		return -ENOSPC;
	}
	if (old != NULL) {
		ch->rfree_shallow[ch->n_rfree] = defer;
		ch->routers_free[ch->n_rfree++] = (struct dp_router *)(uintptr_t)old;
	}
	ch_tag(ch, DP_TAG(DP_TAG_ROUTER, r->cfg.key));
	return 0;
}

int l3_router_replace(struct dp_l3 *l3, struct dp_router *tmpl, const struct dp_router *old)
{
	struct l3_change ch;
	ch_init(&ch);
	int rc = l3_router_publish(l3, &ch, tmpl, old);
	free(tmpl);
	if (rc == 0)
		ch_finish(l3, &ch);
	return rc;
}

void dp_l3_batch_begin(struct dp_l3 *l3)
{
	if (l3 != NULL)
		l3->batch = true;
}

static int cmp_key(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int dp_l3_batch_end(struct dp_l3 *l3)
{
	if (l3 == NULL || !l3->batch)
		return 0;
	l3->batch = false;
	int rc = 0;
	if (l3->n_dirty > 1)    /* (an empty batch has no array at all) */
		qsort(l3->dirty, l3->n_dirty, sizeof(*l3->dirty), cmp_key);
	for (unsigned i = 0; i < l3->n_dirty; i++) {
		if (i > 0 && l3->dirty[i] == l3->dirty[i - 1])
			continue;
		const struct dp_router *cur = dp_l3_router_get(l3, l3->dirty[i]);
		if (cur == NULL)   /* deleted in the batch */
			continue;
		struct dp_router *tmpl = malloc(sizeof(*tmpl));
		if (tmpl == NULL) {
			rc = -ENOMEM;
			continue;
		}
		memcpy(tmpl, cur, sizeof(*tmpl));
		int r = l3_router_replace(l3, tmpl, cur);
		if (r < 0)
			rc = r;   /* it keeps the FIBs it had */
	}
	l3->n_dirty = 0;
	return rc;
}

/* ---- routes ----------------------------------------------------------------------- */

int dp_l3_route_put(struct dp_l3 *l3, uint32_t router, const struct dp_route_cfg *rt)
{
	const struct dp_router *r = dp_l3_router_get(l3, router);
	if (r == NULL)
		return -ENOENT;
	if (rt == NULL || (rt->prefix.family != 4 && rt->prefix.family != 6) ||
	    rt->prefix.plen > (rt->prefix.family == 4 ? 32 : 128) ||
	    (rt->gw.family != 0 && rt->gw.family != rt->prefix.family) ||
	    (rt->gw.family == 0 && rt->rport == 0))
		return -EINVAL;
	if (rt->rport != 0) {
		const struct dp_rport *p = dp_l3_rport_get(l3, rt->rport);
		if (p == NULL || p->cfg.router != router)
			return -ENOENT;
	}
	struct dp_route_cfg c = *rt;
	struct dp_ip pf;
	prefix_of(&pf, &c.prefix);
	c.prefix = pf;
	struct dp_router *tmpl = malloc(sizeof(*tmpl));
	if (tmpl == NULL)
		return -ENOMEM;
	memcpy(tmpl, r, sizeof(*tmpl));
	unsigned i;
	for (i = 0; i < tmpl->n_routes; i++)
		if (tmpl->routes[i].prefix.family == c.prefix.family &&
		    tmpl->routes[i].prefix.plen == c.prefix.plen &&
		    memcmp(tmpl->routes[i].prefix.addr, c.prefix.addr, 16) == 0)
			break;
	if (i == tmpl->n_routes) {
		if (tmpl->n_routes >= DP_ROUTER_MAX_ROUTES) {
			free(tmpl);
			return -ENOSPC;
		}
		tmpl->n_routes++;
	}
	tmpl->routes[i] = c;
	return l3_router_replace(l3, tmpl, r);
}

int dp_l3_route_del(struct dp_l3 *l3, uint32_t router, const struct dp_ip *prefix)
{
	const struct dp_router *r = dp_l3_router_get(l3, router);
	if (r == NULL || prefix == NULL)
		return -ENOENT;
	struct dp_ip pf;
	prefix_of(&pf, prefix);
	struct dp_router *tmpl = malloc(sizeof(*tmpl));
	if (tmpl == NULL)
		return -ENOMEM;
	memcpy(tmpl, r, sizeof(*tmpl));
	unsigned j = 0;
	for (unsigned i = 0; i < tmpl->n_routes; i++) {
		const struct dp_ip *p = &tmpl->routes[i].prefix;
		if (p->family == pf.family && p->plen == pf.plen && memcmp(p->addr, pf.addr, 16) == 0)
			continue;
		tmpl->routes[j++] = tmpl->routes[i];
	}
	if (j == tmpl->n_routes) {
		free(tmpl);
		return -ENOENT;
	}
	tmpl->n_routes = (uint16_t)j;
	return l3_router_replace(l3, tmpl, r);
}
