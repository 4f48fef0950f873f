/* SPDX-License-Identifier: BSD-3-Clause
 * dp/tables_nat.c — router gateways and floating IPs (see tables_nat.h).
 *
 * One rte_hash in lock-free-reader mode holds every index, keyed by
 * {kind, a, b}:
 *   GW        (router)            -> struct dp_nat_gw_cfg *
 *   FIP_EXT   (network, fip)      -> struct dp_nat_fip_cfg *
 *   FIP_FIXED (router, fixed)     -> the same entry
 *   FIP_MAC   (network, MAC)      -> the same entry
 *   GW_MAC    (network, arp_mac)  -> the gateway entry (its resolver MAC)
 *   SNAT_IP   (network, snat_ip)  -> the gateway entry (distributed SNAT)
 *   SNAT_MAC  (network, snat_mac) -> the gateway entry
 * A writer step: unlink the old entry's keys, add the new one's, publish
 * the tags, wait a grace period, then free the old entry and the key slots
 * (RW_CONCURRENCY_LF keeps a deleted key's slot until
 * rte_hash_free_key_with_position).  Between the unlink and the add a
 * reader may miss the FIP; the megaflow it installs carries the tags that
 * are published right after, so it does not outlive the change.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "acl.h"
#include "megaflow.h"
#include "tables_l3.h"
#include "tables_nat.h"

static_assert(DP_TAG_NEIGH < DP_TAG_NAT_RTR, "NAT tags collide with DP_TAG_NEIGH");

#define NAT_KEYS_MAX 65536

enum nat_kind { K_GW = 1, K_FIP_EXT, K_FIP_FIXED, K_FIP_MAC, K_GW_MAC, K_SNAT_IP, K_SNAT_MAC };

struct nat_key {
	uint32_t kind;
	uint32_t a;
	uint8_t b[8];
};

struct dp_nat {
	struct dp_tables *t;
	struct rte_rcu_qsbr *rcu;
	dp_tables_change_cb *on_change;
	void *cb_arg;
	struct rte_hash *h;
};

/* A pending change: tags to publish, entries and key slots to free. */
struct nat_change {
	uint64_t tags[8];
	unsigned n_tags;
	int32_t pos[4];
	unsigned n_pos;
	void *free_ent;
};

static void key_make(struct nat_key *k, enum nat_kind kind, uint32_t a, const void *b,
		     size_t blen)
{
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->a = a;
	if (b != NULL)
		memcpy(k->b, b, blen);
}

static void ch_tag(struct nat_change *ch, uint64_t tag)
{
	for (unsigned i = 0; i < ch->n_tags; i++)
		if (ch->tags[i] == tag)
			return;
	if (ch->n_tags < RTE_DIM(ch->tags))
		ch->tags[ch->n_tags++] = tag;
}

static void ch_del(struct dp_nat *n, struct nat_change *ch, const struct nat_key *k)
{
	int32_t pos = rte_hash_del_key(n->h, k);
	if (pos >= 0 && ch->n_pos < RTE_DIM(ch->pos))
		ch->pos[ch->n_pos++] = pos;
}

static void ch_finish(struct dp_nat *n, struct nat_change *ch)
{
	if (n->on_change != NULL && ch->n_tags)
		n->on_change(n->cb_arg, ch->tags, ch->n_tags);
	if (ch->n_pos || ch->free_ent) {
		if (n->rcu != NULL)
			rte_rcu_qsbr_synchronize(n->rcu, RTE_QSBR_THRID_INVALID);
		for (unsigned i = 0; i < ch->n_pos; i++)
			rte_hash_free_key_with_position(n->h, ch->pos[i]);
		rte_free(ch->free_ent);
	}
}

static void *get(const struct dp_nat *n, const struct nat_key *k)
{
	void *d;
	if (n == NULL || rte_hash_lookup_data(n->h, k, &d) < 0)
		return NULL;
	return d;
}

struct dp_nat *dp_nat_create(const char *name, struct dp_tables *t, struct rte_rcu_qsbr *rcu,
			     dp_tables_change_cb *on_change, void *arg)
{
	if (t == NULL || dp_tables_get_nat(t) != NULL) {
		rte_errno = t == NULL ? EINVAL : EEXIST;
		return NULL;
	}
	struct dp_nat *n = rte_zmalloc("dp_nat", sizeof(*n), RTE_CACHE_LINE_SIZE);
	if (n == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	char hn[RTE_HASH_NAMESIZE];
	snprintf(hn, sizeof(hn), "%s_nat", name);
	struct rte_hash_parameters p = {
		.name = hn,
		.entries = NAT_KEYS_MAX,
		.key_len = sizeof(struct nat_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	n->h = rte_hash_create(&p);
	if (n->h == NULL) {
		rte_free(n);
		rte_errno = ENOMEM;
		return NULL;
	}
	n->t = t;
	n->rcu = rcu;
	n->on_change = on_change;
	n->cb_arg = arg;
	dp_tables_set_nat(t, n);
	return n;
}

void dp_nat_destroy(struct dp_nat *n)
{
	if (n == NULL)
		return;
	if (n->t != NULL && dp_tables_get_nat(n->t) == n)
		dp_tables_set_nat(n->t, NULL);
	const void *k;
	void *d;
	uint32_t it = 0;
	/* every entry is reachable through exactly one primary key */
	while (rte_hash_iterate(n->h, &k, &d, &it) >= 0) {
		const struct nat_key *nk = k;
		if (nk->kind == K_GW || nk->kind == K_FIP_EXT)
			rte_free(d);
	}
	rte_hash_free(n->h);
	rte_free(n);
}

struct dp_nat *dp_nat_find(const struct dp_tables *t)
{
	return t != NULL ? dp_tables_get_nat(t) : NULL;
}

/* ---- gateways ------------------------------------------------------------ */

/* A gateway's secondary keys (resolver MAC, SNAT address and MAC). */
static unsigned gw_keys(const struct dp_nat_gw_cfg *g, struct nat_key ks[3])
{
	unsigned n = 0;
	if (!rte_is_zero_ether_addr(&g->arp_mac))
		key_make(&ks[n++], K_GW_MAC, g->network, g->arp_mac.addr_bytes, 6);
	if (g->snat_ip != 0) {
		key_make(&ks[n++], K_SNAT_IP, g->network, &g->snat_ip, 4);
		key_make(&ks[n++], K_SNAT_MAC, g->network, g->snat_mac.addr_bytes, 6);
	}
	return n;
}

static bool key_in(const struct nat_key *k, const struct nat_key *ks, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (memcmp(k, &ks[i], sizeof(*k)) == 0)
			return true;
	return false;
}

static void gw_tags(struct nat_change *ch, const struct dp_nat_gw_cfg *g)
{
	ch_tag(ch, DP_TAG(DP_TAG_ROUTER, g->router)); /* see stage_nat.c */
	ch_tag(ch, DP_TAG(DP_TAG_NAT_RTR, g->router));
	ch_tag(ch, DP_TAG(DP_TAG_NAT_NET, g->network));
	if (g->snat_ip != 0)
		ch_tag(ch, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(g->network, g->snat_mac.addr_bytes)));
}

int dp_nat_gw_put(struct dp_nat *n, const struct dp_nat_gw_cfg *cfg)
{
	if (n == NULL || cfg == NULL || cfg->router == 0 || cfg->rport == 0 || cfg->network == 0)
		return -EINVAL;
	if (cfg->snat_ip != 0 && (rte_is_zero_ether_addr(&cfg->snat_mac) ||
				  !rte_is_unicast_ether_addr(&cfg->snat_mac)))
		return -EINVAL;
	if (cfg->snat_port_min > cfg->snat_port_max)
		return -EINVAL;
	struct nat_key k;
	key_make(&k, K_GW, cfg->router, NULL, 0);
	struct dp_nat_gw_cfg *old = get(n, &k);
	struct nat_key ks[3], oks[3];
	unsigned nk = gw_keys(cfg, ks), nok = old != NULL ? gw_keys(old, oks) : 0;
	for (unsigned i = 0; i < nk; i++) {
		const void *o = get(n, &ks[i]);
		if (o != NULL && o != old)
			return -EEXIST;
	}
	if (cfg->snat_ip != 0) { /* not a floating IP's address or MAC either */
		struct nat_key fk;
		key_make(&fk, K_FIP_EXT, cfg->network, &cfg->snat_ip, 4);
		if (get(n, &fk) != NULL)
			return -EEXIST;
		key_make(&fk, K_FIP_MAC, cfg->network, cfg->snat_mac.addr_bytes, 6);
		if (get(n, &fk) != NULL)
			return -EEXIST;
	}
	struct dp_nat_gw_cfg *e = rte_zmalloc("dp_nat_gw", sizeof(*e), 0);
	if (e == NULL)
		return -ENOMEM;
	*e = *cfg;
	if (old != NULL) {
		e->zone = old->zone;
	} else {
		int z = dp_acl_zone_alloc(dp_tables_get_acl(n->t));
		if (z < 0) {
			rte_free(e);
			return z == -EINVAL ? -ENOTSUP : z;
		}
		e->zone = (uint16_t)z;
	}
	int rc = rte_hash_add_key_data(n->h, &k, e);
	unsigned added = 0;
	for (; rc == 0 && added < nk; added++)
		rc = rte_hash_add_key_data(n->h, &ks[added], e);
	if (rc < 0) {
		/* only on a full table: back as it was */
		struct nat_change ch = { 0 };
		if (added > 0)
			added--; /* the one that failed was not added */
		for (unsigned i = 0; i < added; i++) {
			if (key_in(&ks[i], oks, nok))
				rte_hash_add_key_data(n->h, &ks[i], old);
			else
				ch_del(n, &ch, &ks[i]);
		}
		if (old != NULL)
			rte_hash_add_key_data(n->h, &k, old);
		else
			ch_del(n, &ch, &k);
		if (old == NULL)
			dp_acl_zone_free(dp_tables_get_acl(n->t), e->zone);
		gw_tags(&ch, cfg);
		ch_finish(n, &ch);
		rte_free(e);
		return rc;
	}
	struct nat_change ch = { .free_ent = old };
	for (unsigned i = 0; i < nok; i++)
		if (!key_in(&oks[i], ks, nk))
			ch_del(n, &ch, &oks[i]);
	gw_tags(&ch, cfg);
	if (old != NULL)
		gw_tags(&ch, old);
	ch_finish(n, &ch);
	return 0;
}

int dp_nat_gw_del(struct dp_nat *n, uint32_t router)
{
	struct nat_key k;
	key_make(&k, K_GW, router, NULL, 0);
	struct dp_nat_gw_cfg *old = get(n, &k);
	if (old == NULL)
		return -ENOENT;
	int zone = old->zone;
	struct nat_change ch = { .free_ent = old };
	ch_del(n, &ch, &k);
	struct nat_key oks[3];
	unsigned nok = gw_keys(old, oks);
	for (unsigned i = 0; i < nok; i++)
		ch_del(n, &ch, &oks[i]);
	gw_tags(&ch, old);
	ch_finish(n, &ch);
	dp_acl_zone_free(dp_tables_get_acl(n->t), (uint16_t)zone);
	return zone;
}

const struct dp_nat_gw_cfg *dp_nat_gw_get(const struct dp_nat *n, uint32_t router)
{
	struct nat_key k;
	key_make(&k, K_GW, router, NULL, 0);
	return get(n, &k);
}

const struct dp_nat_gw_cfg *dp_nat_gw_by_arp_mac(const struct dp_nat *n, uint32_t network,
						 const uint8_t mac[6])
{
	struct nat_key k;
	key_make(&k, K_GW_MAC, network, mac, 6);
	return get(n, &k);
}

const struct dp_nat_gw_cfg *dp_nat_gw_by_snat_ip(const struct dp_nat *n, uint32_t network,
						 uint32_t ip)
{
	struct nat_key k;
	key_make(&k, K_SNAT_IP, network, &ip, 4);
	return get(n, &k);
}

const struct dp_nat_gw_cfg *dp_nat_gw_by_snat_mac(const struct dp_nat *n, uint32_t network,
						  const uint8_t mac[6])
{
	struct nat_key k;
	key_make(&k, K_SNAT_MAC, network, mac, 6);
	return get(n, &k);
}

/* ---- floating IPs --------------------------------------------------------- */

static void fip_keys(const struct dp_nat_fip_cfg *f, struct nat_key ks[3])
{
	key_make(&ks[0], K_FIP_EXT, f->network, &f->fip, 4);
	key_make(&ks[1], K_FIP_FIXED, f->router, &f->fixed, 4);
	key_make(&ks[2], K_FIP_MAC, f->network, f->mac.addr_bytes, 6);
}

static void fip_tags(struct nat_change *ch, const struct dp_nat_fip_cfg *f)
{
	ch_tag(ch, DP_TAG(DP_TAG_NAT_RTR, f->router));
	ch_tag(ch, DP_TAG(DP_TAG_NAT_NET, f->network));
	ch_tag(ch, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(f->network, f->mac.addr_bytes)));
	ch_tag(ch, DP_TAG(DP_TAG_LPORT, f->lport));
}

int dp_nat_fip_put(struct dp_nat *n, const struct dp_nat_fip_cfg *cfg)
{
	if (n == NULL || cfg == NULL || cfg->network == 0 || cfg->fip == 0 || cfg->router == 0 ||
	    cfg->lport == 0 || cfg->fixed == 0 || rte_is_zero_ether_addr(&cfg->mac) ||
	    !rte_is_unicast_ether_addr(&cfg->mac))
		return -EINVAL;
	struct nat_key ks[3];
	fip_keys(cfg, ks);
	const struct dp_nat_fip_cfg *old = get(n, &ks[0]);
	const struct dp_nat_fip_cfg *o1 = get(n, &ks[1]), *o2 = get(n, &ks[2]);
	if ((o1 != NULL && o1 != old) || (o2 != NULL && o2 != old))
		return -EEXIST;
	if (dp_nat_gw_by_snat_ip(n, cfg->network, cfg->fip) != NULL ||
	    dp_nat_gw_by_snat_mac(n, cfg->network, cfg->mac.addr_bytes) != NULL)
		return -EEXIST; /* a chassis' SNAT address or MAC */
	struct dp_nat_fip_cfg *e = rte_zmalloc("dp_nat_fip", sizeof(*e), 0);
	if (e == NULL)
		return -ENOMEM;
	*e = *cfg;
	struct nat_change ch = { .free_ent = (void *)(uintptr_t)old };
	if (old != NULL) {
		struct nat_key oks[3];
		fip_keys(old, oks);
		/* keys the new entry keeps are replaced in place below */
		for (unsigned i = 1; i < 3; i++)
			if (memcmp(&oks[i], &ks[i], sizeof(ks[i])) != 0)
				ch_del(n, &ch, &oks[i]);
		fip_tags(&ch, old);
	}
	for (unsigned i = 0; i < 3; i++) {
		int rc = rte_hash_add_key_data(n->h, &ks[i], e);
		if (rc < 0) {
			/* undo: only possible on a full table; the old
			 * entry (if any) was already unlinked from its
			 * secondary keys, so drop it entirely */
			for (unsigned j = 0; j < i; j++)
				ch_del(n, &ch, &ks[j]);
			if (old != NULL)
				ch_del(n, &ch, &ks[0]);
			fip_tags(&ch, cfg);
			ch_finish(n, &ch);
			rte_free(e);
			return rc;
		}
	}
	fip_tags(&ch, cfg);
	ch_finish(n, &ch);
	return 0;
}

int dp_nat_fip_del(struct dp_nat *n, uint32_t network, uint32_t fip)
{
	struct nat_key k;
	key_make(&k, K_FIP_EXT, network, &fip, 4);
	const struct dp_nat_fip_cfg *old = get(n, &k);
	if (old == NULL)
		return -ENOENT;
	struct nat_key ks[3];
	fip_keys(old, ks);
	struct nat_change ch = { .free_ent = (void *)(uintptr_t)old };
	for (unsigned i = 0; i < 3; i++)
		ch_del(n, &ch, &ks[i]);
	fip_tags(&ch, old);
	ch_finish(n, &ch);
	return 0;
}

const struct dp_nat_fip_cfg *dp_nat_fip_by_ext(const struct dp_nat *n, uint32_t network,
					       uint32_t fip)
{
	struct nat_key k;
	key_make(&k, K_FIP_EXT, network, &fip, 4);
	return get(n, &k);
}

const struct dp_nat_fip_cfg *dp_nat_fip_by_fixed(const struct dp_nat *n, uint32_t router,
						 uint32_t fixed)
{
	struct nat_key k;
	key_make(&k, K_FIP_FIXED, router, &fixed, 4);
	return get(n, &k);
}

const struct dp_nat_fip_cfg *dp_nat_fip_by_mac(const struct dp_nat *n, uint32_t network,
					       const uint8_t mac[6])
{
	struct nat_key k;
	key_make(&k, K_FIP_MAC, network, mac, 6);
	return get(n, &k);
}

void dp_nat_foreach_gw(const struct dp_nat *n,
		       int (*cb)(const struct dp_nat_gw_cfg *g, void *arg), void *arg)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (n != NULL && rte_hash_iterate(n->h, &k, &d, &it) >= 0)
		if (((const struct nat_key *)k)->kind == K_GW && cb(d, arg) != 0)
			return;
}

void dp_nat_foreach_fip(const struct dp_nat *n,
			int (*cb)(const struct dp_nat_fip_cfg *f, void *arg), void *arg)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (n != NULL && rte_hash_iterate(n->h, &k, &d, &it) >= 0)
		if (((const struct nat_key *)k)->kind == K_FIP_EXT && cb(d, arg) != 0)
			return;
}
