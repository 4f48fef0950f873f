/* SPDX-License-Identifier: BSD-3-Clause
 * dp/tables.c — networks, logical ports, FDB and the dp-port binding.
 *
 * Three rte_hash tables in lock-free-reader mode (RW_CONCURRENCY_LF, one
 * writer) plus a small array dp port -> lport key:
 *   nets   : network key -> struct dp_network *   (cfg + derived flood list)
 *   lports : lport key   -> struct dp_lport *
 *   fdb    : (network, MAC) -> lport key
 * Objects are immutable once published: a change builds a new copy, swaps
 * the pointer in the hash (an atomic store in LF mode), waits one RCU grace
 * period and frees the old copy (and the hash slots of deleted keys).  The
 * cost is one grace period per mutation — microseconds while PMDs poll, nil
 * while they sleep (a sleeping PMD is offline) — paid on the control thread.
 *
 * Validation happens before anything is modified and capacity is reserved by
 * extendable buckets, so a failing put changes nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "megaflow.h"
#include "tables.h"
#include "tables_l3.h"
#include "tables_ovl.h"
#include "tables_priv.h"

#define NETS_MAX   16384
#define LPORTS_MAX 131072
#define FDB_MAX    262144

struct fdb_key {
	uint32_t network;
	uint8_t mac[6];
	uint8_t pad[2];
};

struct dp_tables {
	struct rte_rcu_qsbr *rcu;
	dp_tables_change_cb *on_change;
	void *cb_arg;
	struct rte_hash *nets;
	struct rte_hash *lports;
	struct rte_hash *fdb;
	struct rte_hash *segs;  /* dp_segment_tag_key(VNI | VLAN) -> network key */
	uint32_t port_lport[DP_MAX_PORTS];
	/* writer-only bookkeeping: lports per network (indexed via hash pos) */
	uint32_t *net_refs;
	size_t lport_bytes;     /* published lports' allocations (trimmed) */
	struct dp_l3 *l3;       /* extension: routers, router ports, neighbors */
	struct dp_acl *acl;     /* extension: security-group ACLs */
	struct dp_nat *nat;     /* extension: gateways, floating IPs */
	struct dp_ovl ovl;      /* overlay config + underlay neighbors (tables_ovl.c) */
	struct dp_lport_pool lp_pool; /* the published lports (tables_lport_pool.c) */
};

static struct rte_hash *make_hash(const char *prefix, const char *what, uint32_t entries,
				  uint32_t key_len)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters p = {
		.entries = entries,
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	snprintf(name, sizeof(name), "%s_%s", prefix, what);
	p.name = name;
	return rte_hash_create(&p);
}

struct dp_tables *dp_tables_create(const char *name, struct rte_rcu_qsbr *rcu,
				   dp_tables_change_cb *on_change, void *arg)
{
	struct dp_tables *t = rte_zmalloc("dp_tables", sizeof(*t), RTE_CACHE_LINE_SIZE);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	t->rcu = rcu;
	t->on_change = on_change;
	t->cb_arg = arg;
	t->nets = make_hash(name, "net", NETS_MAX, sizeof(uint32_t));
	t->lports = make_hash(name, "lp", LPORTS_MAX, sizeof(uint32_t));
	t->fdb = make_hash(name, "fdb", FDB_MAX, sizeof(struct fdb_key));
	t->segs = make_hash(name, "seg", NETS_MAX, sizeof(uint32_t));
	t->net_refs = rte_zmalloc("dp_net_refs", sizeof(uint32_t) * (NETS_MAX * 2),
				  RTE_CACHE_LINE_SIZE);
	if (t->nets == NULL || t->lports == NULL || t->fdb == NULL || t->segs == NULL ||
	    t->net_refs == NULL || dp_ovl_init(&t->ovl, name) < 0) {
		dp_tables_destroy(t);
		rte_errno = ENOMEM;
		return NULL;
	}
	return t;
}

static void free_all_data(struct rte_hash *h)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (rte_hash_iterate(h, &k, &d, &it) >= 0)
		rte_free(d);
}

void dp_tables_destroy(struct dp_tables *t)
{
	if (t == NULL)
		return;
	if (t->nets) {
		free_all_data(t->nets);
		rte_hash_free(t->nets);
	}
	rte_hash_free(t->lports);     /* the lports: in lp_pool's chunks */
	dp_lport_pool_fini(&t->lp_pool);
	rte_hash_free(t->fdb);
	rte_hash_free(t->segs);
	dp_ovl_fini(&t->ovl);
	rte_free(t->net_refs);
	rte_free(t);
}

struct rte_rcu_qsbr *dp_tables_rcu(const struct dp_tables *t)
{
	return t->rcu;
}

void dp_tables_grace(struct dp_tables *t)
{
	if (t->rcu != NULL)
		rte_rcu_qsbr_synchronize(t->rcu, RTE_QSBR_THRID_INVALID);
}

void dp_tables_notify(struct dp_tables *t, const uint64_t *tags, unsigned n)
{
	if (t->on_change != NULL && n > 0)
		t->on_change(t->cb_arg, tags, n);
}

struct dp_ovl *dp_tables_ovl(const struct dp_tables *t)
{
	return (struct dp_ovl *)(uintptr_t)&t->ovl;
}

#define grace_period dp_tables_grace
#define notify dp_tables_notify

/* ---- readers ---------------------------------------------------------- */

const struct dp_network *dp_table_network_get(const struct dp_tables *t, uint32_t key)
{
	void *d;
	if (rte_hash_lookup_data(t->nets, &key, &d) < 0)
		return NULL;
	return d;
}

const struct dp_lport *dp_table_lport_get(const struct dp_tables *t, uint32_t key)
{
	void *d;
	if (rte_hash_lookup_data(t->lports, &key, &d) < 0)
		return NULL;
	return d;
}

uint32_t dp_table_port_lport(const struct dp_tables *t, uint16_t dp_port)
{
	if (dp_port >= DP_MAX_PORTS)
		return 0;
	return __atomic_load_n(&t->port_lport[dp_port], __ATOMIC_ACQUIRE);
}

static void fdb_key_make(struct fdb_key *k, uint32_t network, const uint8_t mac[6])
{
	memset(k, 0, sizeof(*k));
	k->network = network;
	memcpy(k->mac, mac, 6);
}

uint32_t dp_table_fdb_lookup(const struct dp_tables *t, uint32_t network, const uint8_t mac[6])
{
	struct fdb_key k;
	void *d;
	fdb_key_make(&k, network, mac);
	if (rte_hash_lookup_data(t->fdb, &k, &d) < 0)
		return 0;
	return (uint32_t)(uintptr_t)d;
}

uint32_t dp_fdb_tag_key(uint32_t network, const uint8_t mac[6])
{
	/* hash values, not a struct's bytes: rte_hash_crc inlined over a
	 * freshly built struct reads it as words, and under LTO strict aliasing
	 * let the compiler hoist those reads above the stores */
	uint64_t m = 0;
	memcpy(&m, mac, 6);
	return rte_hash_crc_4byte(network, rte_hash_crc_8byte(m, 0x5eed));
}

/* ---- networks ---------------------------------------------------------- */

static uint32_t *net_ref(struct dp_tables *t, uint32_t key)
{
	int32_t pos = rte_hash_lookup(t->nets, &key);
	return pos < 0 ? NULL : &t->net_refs[pos];
}

/* The segment a network occupies on the wire (0: none). */
static uint32_t net_segment(const struct dp_network_cfg *c)
{
	switch (c->type) {
	case DP_NET_OVERLAY:
		return c->vni ? dp_segment_tag_key(DP_SEG_VNI, c->vni) : 0;
	case DP_NET_FLAT:
		return dp_segment_tag_key(DP_SEG_VLAN, 0);
	default:
		return dp_segment_tag_key(DP_SEG_VLAN, c->vlan);
	}
}

static uint32_t segment_owner(const struct dp_tables *t, uint32_t seg)
{
	void *d;
	if (seg == 0 || rte_hash_lookup_data(t->segs, &seg, &d) < 0)
		return 0;
	return (uint32_t)(uintptr_t)d;
}

uint32_t dp_table_network_by_vni(const struct dp_tables *t, uint32_t vni)
{
	return vni ? segment_owner(t, dp_segment_tag_key(DP_SEG_VNI, vni)) : 0;
}

uint32_t dp_table_network_by_vlan(const struct dp_tables *t, uint16_t vlan)
{
	return segment_owner(t, dp_segment_tag_key(DP_SEG_VLAN, vlan));
}

static bool network_cfg_ok(const struct dp_network_cfg *c)
{
	if (c->key == 0 || memchr(c->name, 0, sizeof(c->name)) == NULL || c->vni > 0xffffff ||
	    c->n_flood_vteps > DP_NET_MAX_VTEPS || (c->n_flood_vteps && c->flood_vteps == NULL))
		return false;
	for (unsigned i = 0; i < c->n_flood_vteps; i++)
		if (c->flood_vteps[i] == 0)
			return false;
	switch (c->type) {
	case DP_NET_OVERLAY:
	case DP_NET_FLAT:
		return c->vlan == 0;
	case DP_NET_VLAN:
		return c->vlan >= 1 && c->vlan <= 4094;
	default:
		return false;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

bool dp_network_has_vtep(const struct dp_network *n, uint32_t vtep)
{
	const uint32_t *v = n->cfg.flood_vteps;
	uint32_t lo = 0, hi = n->cfg.n_flood_vteps;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (v[mid] == vtep)
			return true;
		if (v[mid] < vtep)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int dp_table_network_put(struct dp_tables *t, const struct dp_network_cfg *cfg)
{
	if (cfg == NULL || !network_cfg_ok(cfg))
		return -EINVAL;
	const struct dp_network *old = dp_table_network_get(t, cfg->key);
	uint32_t seg = net_segment(cfg), old_seg = old ? net_segment(&old->cfg) : 0;
	uint32_t owner = segment_owner(t, seg);
	if (owner != 0 && owner != cfg->key)
		return -EEXIST;
	size_t nv = cfg->n_flood_vteps;
	struct dp_network *n = rte_zmalloc("dp_network", sizeof(*n) + nv * sizeof(n->vteps[0]),
					   RTE_CACHE_LINE_SIZE);
	if (n == NULL)
		return -ENOMEM;
	if (old != NULL)
		*n = *old;
	n->cfg = *cfg;
	/* our own sorted set: membership by binary search on the miss path */
	if (nv)
		memcpy(n->vteps, cfg->flood_vteps, nv * sizeof(n->vteps[0]));
	qsort(n->vteps, nv, sizeof(n->vteps[0]), cmp_u32);
	size_t u = 0;
	for (size_t i = 0; i < nv; i++)
		if (u == 0 || n->vteps[u - 1] != n->vteps[i])
			n->vteps[u++] = n->vteps[i];
	n->cfg.n_flood_vteps = (uint32_t)u;
	n->cfg.flood_vteps = n->vteps;
	if (seg != 0 && seg != old_seg &&
	    rte_hash_add_key_data(t->segs, &seg, (void *)(uintptr_t)cfg->key) < 0) {
		rte_free(n);
		return -ENOSPC;
	}
	int32_t pos = rte_hash_add_key_data(t->nets, &cfg->key, n);
	if (pos < 0) {
		if (seg != 0 && seg != old_seg)
			rte_hash_del_key(t->segs, &seg); /* not yet visible: no grace */
		rte_free(n);
		return pos;
	}
	int32_t seg_pos = -1;
	if (old_seg != 0 && old_seg != seg)
		seg_pos = rte_hash_del_key(t->segs, &old_seg);
	if (old != NULL || seg_pos >= 0)
		grace_period(t);
	if (old != NULL)
		rte_free((void *)(uintptr_t)old);
	else
		t->net_refs[rte_hash_lookup(t->nets, &cfg->key)] = 0;
	if (seg_pos >= 0)
		rte_hash_free_key_with_position(t->segs, seg_pos);
	uint64_t tags[3] = { DP_TAG(DP_TAG_NETWORK, cfg->key) };
	unsigned nt = 1;
	if (seg != old_seg) {
		if (seg)
			tags[nt++] = DP_TAG(DP_TAG_SEGMENT, seg);
		if (old_seg)
			tags[nt++] = DP_TAG(DP_TAG_SEGMENT, old_seg);
	}
	notify(t, tags, nt);
	return 0;
}

int dp_table_network_del(struct dp_tables *t, uint32_t key)
{
	const struct dp_network *old = dp_table_network_get(t, key);
	if (old == NULL)
		return -ENOENT;
	uint32_t *refs = net_ref(t, key);
	if (refs != NULL && *refs > 0)
		return -EBUSY;
	uint32_t seg = net_segment(&old->cfg);
	int32_t pos = rte_hash_del_key(t->nets, &key);
	if (pos < 0)
		return pos;
	int32_t seg_pos = seg ? rte_hash_del_key(t->segs, &seg) : -1;
	grace_period(t);
	rte_hash_free_key_with_position(t->nets, pos);
	if (seg_pos >= 0)
		rte_hash_free_key_with_position(t->segs, seg_pos);
	rte_free((void *)(uintptr_t)old);
	uint64_t tags[2] = { DP_TAG(DP_TAG_NETWORK, key), DP_TAG(DP_TAG_SEGMENT, seg) };
	notify(t, tags, seg ? 2 : 1);
	return 0;
}

/* New copy of a network with local port dp_port (lport) added or removed.
 * Returns NULL on allocation failure. */
static struct dp_network *net_with_local(const struct dp_network *old, uint16_t dp_port,
					 uint32_t lport, bool add)
{
	size_t vb = old->cfg.n_flood_vteps * sizeof(old->vteps[0]);
	struct dp_network *n = rte_malloc("dp_network", sizeof(*n) + vb, RTE_CACHE_LINE_SIZE);
	if (n == NULL)
		return NULL;
	*n = *old;
	memcpy(n->vteps, old->vteps, vb);
	n->cfg.flood_vteps = n->vteps;
	unsigned j = 0;
	for (unsigned i = 0; i < old->n_local; i++) {
		if (old->local_lports[i] == lport)
			continue;
		n->local_ports[j] = old->local_ports[i];
		n->local_lports[j] = old->local_lports[i];
		j++;
	}
	if (add && j < DP_NET_MAX_LOCAL) {
		n->local_ports[j] = dp_port;
		n->local_lports[j] = lport;
		j++;
	}
	n->n_local = (uint16_t)j;
	return n;
}

/* ---- logical ports ------------------------------------------------------ */

static bool mac_in(const struct rte_ether_addr *macs, unsigned n, const struct rte_ether_addr *m)
{
	for (unsigned i = 0; i < n; i++)
		if (rte_is_same_ether_addr(&macs[i], m))
			return true;
	return false;
}

static int lport_validate(const struct dp_tables *t, const struct dp_lport_cfg *c)
{
	if (c->key == 0 || c->network == 0 || c->n_macs == 0 ||
	    c->n_macs > DP_LPORT_MAX_MACS || c->n_ips > DP_LPORT_MAX_IPS ||
	    c->n_aaps > DP_LPORT_MAX_AAPS || memchr(c->name, 0, sizeof(c->name)) == NULL)
		return -EINVAL;
	if (c->dp_port != DP_NO_PORT && c->dp_port >= DP_MAX_PORTS)
		return -EINVAL;
	for (unsigned i = 0; i < c->n_macs; i++)
		if (!rte_is_unicast_ether_addr(&c->macs[i]) || rte_is_zero_ether_addr(&c->macs[i]))
			return -EINVAL;
	for (unsigned i = 0; i < c->n_ips; i++)
		if ((c->ips[i].family != 4 && c->ips[i].family != 6) ||
		    c->ips[i].plen != (c->ips[i].family == 4 ? 32 : 128))
			return -EINVAL;
	for (unsigned i = 0; i < c->n_aaps; i++)
		if ((c->aaps[i].ip.family != 4 && c->aaps[i].ip.family != 6) ||
		    c->aaps[i].ip.plen > (c->aaps[i].ip.family == 4 ? 32 : 128))
			return -EINVAL;
	if (dp_table_network_get(t, c->network) == NULL)
		return -ENOENT;
	for (unsigned i = 0; i < c->n_macs; i++) {
		uint32_t owner = dp_table_fdb_lookup(t, c->network, c->macs[i].addr_bytes);
		if (owner != 0 && owner != c->key)
			return -EEXIST;
	}
	if (c->dp_port != DP_NO_PORT) {
		uint32_t bound = dp_table_port_lport(t, c->dp_port);
		if (bound != 0 && bound != c->key)
			return -EEXIST;
	}
	return 0;
}

struct change {
	uint64_t tags[3 * DP_LPORT_MAX_MACS + 8];
	unsigned n_tags;
	void *to_free[4];
	unsigned n_free;
	struct dp_lport *lp_free;   /* an unpublished lport (back to the pool) */
};

static void add_tag(struct change *ch, uint64_t tag)
{
	for (unsigned i = 0; i < ch->n_tags; i++)
		if (ch->tags[i] == tag)
			return;
	if (ch->n_tags < RTE_DIM(ch->tags))
		ch->tags[ch->n_tags++] = tag;
}

/* Replace a network's flood list; remembers the old copy for freeing. */
static int net_set_local(struct dp_tables *t, struct change *ch, uint32_t net_key,
			 uint16_t dp_port, uint32_t lport, bool add)
{
	const struct dp_network *old = dp_table_network_get(t, net_key);
	if (old == NULL)
		return 0;
	struct dp_network *n = net_with_local(old, dp_port, lport, add);
	if (n == NULL)
		return -ENOMEM;
	rte_hash_add_key_data(t->nets, &net_key, n); /* existing key: cannot fail */
	ch->to_free[ch->n_free++] = (void *)(uintptr_t)old;
	add_tag(ch, DP_TAG(DP_TAG_NETWORK, net_key));
	return 0;
}

/* Publish ch: free what was unpublished after a grace period, then report
 * the tags.  The grace period is waited for only when something is freed,
 * here or by the caller right after (freeing: hash key positions): a put
 * that only added entries leaves nothing a reader could still hold, and a
 * full sync is 100k of those (the wait was a tenth of its compile when the
 * PMD was awake to answer it). */
static void finish(struct dp_tables *t, struct change *ch, bool freeing)
{
	if (ch->n_free > 0 || ch->lp_free || freeing)
		grace_period(t);
	for (unsigned i = 0; i < ch->n_free; i++)
		rte_free(ch->to_free[i]);
	dp_lport_pool_put(&t->lp_pool, ch->lp_free);
	notify(t, ch->tags, ch->n_tags);
}

void dp_lport_cfg_copy(struct dp_lport_cfg *dst, const struct dp_lport_cfg *src)
{
	memset(dst, 0, sizeof(*dst));
	memcpy(dst, src, dp_lport_cfg_size(src));
}

bool dp_lport_cfg_equal(const struct dp_lport_cfg *a, const struct dp_lport_cfg *b)
{
	size_t n = dp_lport_cfg_size(a);
	return n == dp_lport_cfg_size(b) && memcmp(a, b, n) == 0;
}

size_t dp_tables_lport_bytes(const struct dp_tables *t)
{
	return t->lport_bytes;
}

/* Bytes of a published lport holding c: its pool slot, which ends after
 * c's last address pair, or with none its last address (rounded to a
 * cache line). */
static size_t lport_alloc_size(const struct dp_lport_cfg *c)
{
	return dp_lport_pool_slot(c);
}

int dp_table_lport_put(struct dp_tables *t, const struct dp_lport_cfg *cfg)
{
	if (cfg == NULL)
		return -EINVAL;
	int rc = lport_validate(t, cfg);
	if (rc < 0)
		return rc;
	const struct dp_lport *old = dp_table_lport_get(t, cfg->key);
	size_t sz = lport_alloc_size(cfg);
	struct dp_lport *p = dp_lport_pool_get(&t->lp_pool, cfg);
	if (p == NULL)
		return -ENOMEM;
	memset(p, 0, sz);
	memcpy(&p->cfg, cfg, dp_lport_cfg_size(cfg));
	if (rte_hash_add_key_data(t->lports, &cfg->key, p) < 0) {
		dp_lport_pool_put(&t->lp_pool, p);
		return -ENOSPC;
	}
	t->lport_bytes += sz;
	if (old)
		t->lport_bytes -= lport_alloc_size(&old->cfg);
	struct change ch = { .n_tags = 0 };
	add_tag(&ch, DP_TAG(DP_TAG_LPORT, cfg->key));
	const struct dp_lport_cfg *oc = old ? &old->cfg : NULL;
	bool same_net = oc && oc->network == cfg->network;

	/* FDB: add new MACs, then remove old ones that went away. */
	for (unsigned i = 0; i < cfg->n_macs; i++) {
		struct fdb_key k;
		if (same_net && mac_in(oc->macs, oc->n_macs, &cfg->macs[i]))
			continue;
		fdb_key_make(&k, cfg->network, cfg->macs[i].addr_bytes);
		rte_hash_add_key_data(t->fdb, &k, (void *)(uintptr_t)cfg->key);
		add_tag(&ch, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(cfg->network, k.mac)));
	}
	int32_t freed_pos[DP_LPORT_MAX_MACS];
	unsigned n_freed = 0;
	for (unsigned i = 0; oc && i < oc->n_macs; i++) {
		struct fdb_key k;
		if (same_net && mac_in(cfg->macs, cfg->n_macs, &oc->macs[i]))
			continue;
		fdb_key_make(&k, oc->network, oc->macs[i].addr_bytes);
		int32_t pos = rte_hash_del_key(t->fdb, &k);
		if (pos >= 0)
			freed_pos[n_freed++] = pos;
		add_tag(&ch, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(oc->network, k.mac)));
	}

	/* Network membership and flood lists. */
	if (!same_net) {
		uint32_t *r = net_ref(t, cfg->network);
		if (r)
			(*r)++;
		if (oc && (r = net_ref(t, oc->network)) != NULL && *r > 0)
			(*r)--;
	}
	bool was_local = oc && oc->dp_port != DP_NO_PORT;
	bool is_local = cfg->dp_port != DP_NO_PORT;
	/* flood lists hold local ports that are up (down ports get nothing) */
	bool was_flood = was_local && oc->admin_up, is_flood = is_local && cfg->admin_up;
	if (was_flood && (!is_flood || !same_net || oc->dp_port != cfg->dp_port))
		net_set_local(t, &ch, oc->network, oc->dp_port, cfg->key, false);
	if (is_flood && (!was_flood || !same_net || oc->dp_port != cfg->dp_port))
		net_set_local(t, &ch, cfg->network, cfg->dp_port, cfg->key, true);

	/* dp port binding */
	if (was_local && oc->dp_port != cfg->dp_port) {
		__atomic_store_n(&t->port_lport[oc->dp_port], 0, __ATOMIC_RELEASE);
		add_tag(&ch, DP_TAG(DP_TAG_DPPORT, oc->dp_port));
	}
	if (is_local && (!was_local || oc->dp_port != cfg->dp_port)) {
		__atomic_store_n(&t->port_lport[cfg->dp_port], cfg->key, __ATOMIC_RELEASE);
		add_tag(&ch, DP_TAG(DP_TAG_DPPORT, cfg->dp_port));
	}
	/* the neighbor entries of its addresses, while old is still there to
	 * tell what it had */
	dp_l3_lport_changed(dp_tables_get_l3(t), cfg->key, oc, &p->cfg);
	ch.lp_free = (struct dp_lport *)(uintptr_t)old;
	finish(t, &ch, n_freed > 0);
	for (unsigned i = 0; i < n_freed; i++)
		rte_hash_free_key_with_position(t->fdb, freed_pos[i]);
	return 0;
}

int dp_table_lport_del(struct dp_tables *t, uint32_t key)
{
	const struct dp_lport *old = dp_table_lport_get(t, key);
	if (old == NULL)
		return -ENOENT;
	const struct dp_lport_cfg *oc = &old->cfg;
	t->lport_bytes -= lport_alloc_size(oc);
	struct change ch = { .n_tags = 0 };
	int32_t fpos[DP_LPORT_MAX_MACS];
	unsigned nf = 0;
	add_tag(&ch, DP_TAG(DP_TAG_LPORT, key));
	for (unsigned i = 0; i < oc->n_macs; i++) {
		struct fdb_key k;
		fdb_key_make(&k, oc->network, oc->macs[i].addr_bytes);
		if (dp_table_fdb_lookup(t, oc->network, k.mac) != key)
			continue;
		int32_t pos = rte_hash_del_key(t->fdb, &k);
		if (pos >= 0)
			fpos[nf++] = pos;
		add_tag(&ch, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(oc->network, k.mac)));
	}
	if (oc->dp_port != DP_NO_PORT) {
		net_set_local(t, &ch, oc->network, oc->dp_port, key, false);
		__atomic_store_n(&t->port_lport[oc->dp_port], 0, __ATOMIC_RELEASE);
		add_tag(&ch, DP_TAG(DP_TAG_DPPORT, oc->dp_port));
	}
	uint32_t *r = net_ref(t, oc->network);
	if (r && *r > 0)
		(*r)--;
	int32_t lpos = rte_hash_del_key(t->lports, &key);
	dp_l3_lport_changed(dp_tables_get_l3(t), key, oc, NULL);
	ch.lp_free = (struct dp_lport *)(uintptr_t)old;
	finish(t, &ch, true);
	if (lpos >= 0)
		rte_hash_free_key_with_position(t->lports, lpos);
	for (unsigned i = 0; i < nf; i++)
		rte_hash_free_key_with_position(t->fdb, fpos[i]);
	return 0;
}

void dp_table_port_gone(struct dp_tables *t, uint16_t dp_port)
{
	uint32_t key = dp_table_port_lport(t, dp_port);
	const struct dp_lport *p = key ? dp_table_lport_get(t, key) : NULL;
	if (p != NULL) {
		struct dp_lport_cfg c;
		dp_lport_cfg_copy(&c, &p->cfg);
		c.dp_port = DP_NO_PORT;
		dp_table_lport_put(t, &c);
	}
	/* megaflows that output to the port carry its tag (translate.c),
	 * bound or not (the uplink is bound to no lport) */
	uint64_t tag = DP_TAG(DP_TAG_DPPORT, dp_port);
	notify(t, &tag, 1);
}

/* ---- extra FDB entries ------------------------------------------------ */

int dp_table_fdb_put(struct dp_tables *t, uint32_t network, const struct rte_ether_addr *mac,
		     uint32_t lport)
{
	struct fdb_key k;
	if (network == 0 || lport == 0 || mac == NULL || !rte_is_unicast_ether_addr(mac))
		return -EINVAL;
	if (dp_table_network_get(t, network) == NULL)
		return -ENOENT;
	const struct dp_lport *p = dp_table_lport_get(t, lport);
	if (p == NULL || p->cfg.network != network)
		return -ENOENT; /* never point a network's MAC at another's port */
	fdb_key_make(&k, network, mac->addr_bytes);
	int32_t pos = rte_hash_add_key_data(t->fdb, &k, (void *)(uintptr_t)lport);
	if (pos < 0)
		return pos;
	uint64_t tag = DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(network, k.mac));
	notify(t, &tag, 1);
	return 0;
}

int dp_table_fdb_del(struct dp_tables *t, uint32_t network, const struct rte_ether_addr *mac)
{
	struct fdb_key k;
	if (mac == NULL)
		return -EINVAL;
	fdb_key_make(&k, network, mac->addr_bytes);
	int32_t pos = rte_hash_del_key(t->fdb, &k);
	if (pos < 0)
		return -ENOENT;
	grace_period(t);
	rte_hash_free_key_with_position(t->fdb, pos);
	uint64_t tag = DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(network, k.mac));
	notify(t, &tag, 1);
	return 0;
}

/* ---- iteration ---------------------------------------------------------- */

void dp_table_foreach_network(const struct dp_tables *t,
			      int (*cb)(const struct dp_network *n, void *arg), void *arg)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (rte_hash_iterate(t->nets, &k, &d, &it) >= 0)
		if (cb(d, arg))
			return;
}

void dp_table_foreach_lport(const struct dp_tables *t,
			    int (*cb)(const struct dp_lport *p, void *arg), void *arg)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (rte_hash_iterate(t->lports, &k, &d, &it) >= 0)
		if (cb(d, arg))
			return;
}

void dp_table_foreach_fdb(const struct dp_tables *t,
			  int (*cb)(uint32_t network, const uint8_t mac[6], uint32_t lport,
				    void *arg), void *arg)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (rte_hash_iterate(t->fdb, &k, &d, &it) >= 0) {
		const struct fdb_key *fk = k;
		if (cb(fk->network, fk->mac, (uint32_t)(uintptr_t)d, arg))
			return;
	}
}

void dp_tables_set_l3(struct dp_tables *t, struct dp_l3 *l3)
{
	__atomic_store_n(&t->l3, l3, __ATOMIC_RELEASE);
}

struct dp_l3 *dp_tables_get_l3(const struct dp_tables *t)
{
	return __atomic_load_n(&t->l3, __ATOMIC_ACQUIRE);
}

void dp_tables_set_acl(struct dp_tables *t, struct dp_acl *acl)
{
	__atomic_store_n(&t->acl, acl, __ATOMIC_RELEASE);
}

struct dp_acl *dp_tables_get_acl(const struct dp_tables *t)
{
	return t != NULL ? __atomic_load_n(&t->acl, __ATOMIC_ACQUIRE) : NULL;
}

void dp_tables_set_nat(struct dp_tables *t, struct dp_nat *nat)
{
	__atomic_store_n(&t->nat, nat, __ATOMIC_RELEASE);
}

struct dp_nat *dp_tables_get_nat(const struct dp_tables *t)
{
	return t != NULL ? __atomic_load_n(&t->nat, __ATOMIC_ACQUIRE) : NULL;
}

unsigned dp_tables_n_networks(const struct dp_tables *t)
{
	return (unsigned)rte_hash_count(t->nets);
}

unsigned dp_tables_n_lports(const struct dp_tables *t)
{
	return (unsigned)rte_hash_count(t->lports);
}
