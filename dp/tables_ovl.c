/* SPDX-License-Identifier: BSD-3-Clause
 * dp/tables_ovl.c — the overlay config and the underlay neighbor table
 * (tables_ovl.h).  Same scheme as tables.c: an rte_hash in lock-free-reader
 * mode keyed by the remote VTEP's IPv4, immutable published entries,
 * copy + swap + grace period + free, tags after publishing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "megaflow.h"
#include "tables_priv.h"

#define VTEPS_MAX 4096

int dp_ovl_init(struct dp_ovl *o, const char *prefix)
{
	char name[RTE_HASH_NAMESIZE];
	snprintf(name, sizeof(name), "%s_vtep", prefix);
	struct rte_hash_parameters p = {
		.name = name,
		.entries = VTEPS_MAX,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	o->cfg = NULL;
	o->uplink = DP_NO_PORT;
	o->provider = DP_NO_PORT;
	o->vteps = rte_hash_create(&p);
	return o->vteps ? 0 : -ENOMEM;
}

void dp_ovl_fini(struct dp_ovl *o)
{
	if (o->vteps) {
		const void *k;
		void *d;
		uint32_t it = 0;
		while (rte_hash_iterate(o->vteps, &k, &d, &it) >= 0)
			rte_free(d);
		rte_hash_free(o->vteps);
		o->vteps = NULL;
	}
	rte_free((void *)(uintptr_t)o->cfg);
	o->cfg = NULL;
}

const char *dp_encap_name(unsigned encap)
{
	switch (encap) {
	case DP_ENCAP_VXLAN: return "vxlan";
	case DP_ENCAP_GENEVE: return "geneve";
	default: return "default";
	}
}

int dp_encap_parse(const char *s)
{
	if (strcmp(s, "vxlan") == 0)
		return DP_ENCAP_VXLAN;
	if (strcmp(s, "geneve") == 0)
		return DP_ENCAP_GENEVE;
	return -1;
}

uint8_t dp_vtep_encap(const struct dp_overlay_cfg *ov, const struct dp_vtep *v)
{
	if (v != NULL && v->encap != DP_ENCAP_NONE)
		return v->encap;
	return ov != NULL ? ov->encap : DP_ENCAP_VXLAN;
}

/* ---- overlay config ------------------------------------------------------ */

int dp_overlay_set(struct dp_tables *t, const struct dp_overlay_cfg *cfg)
{
	struct dp_ovl *o = dp_tables_ovl(t);
	struct dp_overlay_cfg *n = NULL;
	if (cfg != NULL) {
		if (cfg->uplink >= DP_MAX_PORTS || cfg->vtep_ip == 0 ||
		    (cfg->encap != DP_ENCAP_VXLAN && cfg->encap != DP_ENCAP_GENEVE) ||
		    cfg->underlay_mtu < 68 || cfg->underlay_mtu > 9600 ||
		    !rte_is_unicast_ether_addr(&cfg->vtep_mac) ||
		    rte_is_zero_ether_addr(&cfg->vtep_mac) ||
		    (cfg->has_provider_port && (cfg->provider_port >= DP_MAX_PORTS ||
						cfg->provider_port == cfg->uplink)))
			return -EINVAL;
		n = rte_malloc("dp_overlay", sizeof(*n), 0);
		if (n == NULL)
			return -ENOMEM;
		*n = *cfg;
	}
	const struct dp_overlay_cfg *old = o->cfg;
	uint16_t old_up = o->uplink, old_pp = o->provider;
	uint16_t new_pp = n && n->has_provider_port ? n->provider_port : DP_NO_PORT;
	__atomic_store_n(&o->cfg, n, __ATOMIC_RELEASE);
	__atomic_store_n(&o->uplink, n ? n->uplink : DP_NO_PORT, __ATOMIC_RELEASE);
	__atomic_store_n(&o->provider, new_pp, __ATOMIC_RELEASE);
	dp_tables_grace(t);
	rte_free((void *)(uintptr_t)old);
	/* packets from the uplink (and the provider port) were classified by
	 * their binding */
	uint64_t tags[5] = { DP_TAG(DP_TAG_OVERLAY, 0) };
	unsigned nt = 1;
	if (old_up != DP_NO_PORT)
		tags[nt++] = DP_TAG(DP_TAG_DPPORT, old_up);
	if (n && n->uplink != old_up)
		tags[nt++] = DP_TAG(DP_TAG_DPPORT, n->uplink);
	if (old_pp != DP_NO_PORT)
		tags[nt++] = DP_TAG(DP_TAG_DPPORT, old_pp);
	if (new_pp != DP_NO_PORT && new_pp != old_pp)
		tags[nt++] = DP_TAG(DP_TAG_DPPORT, new_pp);
	dp_tables_notify(t, tags, nt);
	return 0;
}

const struct dp_overlay_cfg *dp_overlay_get(const struct dp_tables *t)
{
	return __atomic_load_n(&dp_tables_ovl(t)->cfg, __ATOMIC_ACQUIRE);
}

uint16_t dp_overlay_uplink(const struct dp_tables *t)
{
	return __atomic_load_n(&dp_tables_ovl(t)->uplink, __ATOMIC_RELAXED);
}

uint16_t dp_overlay_provider(const struct dp_tables *t)
{
	return __atomic_load_n(&dp_tables_ovl(t)->provider, __ATOMIC_RELAXED);
}

/* ---- underlay neighbors ---------------------------------------------------- */

int dp_vtep_put(struct dp_tables *t, const struct dp_vtep *v)
{
	struct dp_ovl *o = dp_tables_ovl(t);
	if (v == NULL || v->ip == 0 || v->encap > DP_ENCAP_GENEVE ||
	    (v->resolved && (!rte_is_unicast_ether_addr(&v->mac) ||
			     rte_is_zero_ether_addr(&v->mac))))
		return -EINVAL;
	const struct dp_vtep *old = dp_vtep_get(t, v->ip);
	if (old != NULL && memcmp(old, v, sizeof(*v)) == 0)
		return 0;   /* refresh of an unchanged entry: nothing to invalidate */
	struct dp_vtep *n = rte_malloc("dp_vtep", sizeof(*n), 0);
	if (n == NULL)
		return -ENOMEM;
	*n = *v;
	if (!n->resolved)
		memset(&n->mac, 0, sizeof(n->mac));
	if (rte_hash_add_key_data(o->vteps, &n->ip, n) < 0) {
		rte_free(n);
		return -ENOSPC;
	}
	if (old != NULL) {
		dp_tables_grace(t);
		rte_free((void *)(uintptr_t)old);
	}
	uint64_t tag = DP_TAG(DP_TAG_VTEP, v->ip);
	dp_tables_notify(t, &tag, 1);
	return 0;
}

int dp_vtep_del(struct dp_tables *t, uint32_t ip)
{
	struct dp_ovl *o = dp_tables_ovl(t);
	const struct dp_vtep *old = dp_vtep_get(t, ip);
	if (old == NULL)
		return -ENOENT;
	int32_t pos = rte_hash_del_key(o->vteps, &ip);
	dp_tables_grace(t);
	if (pos >= 0)
		rte_hash_free_key_with_position(o->vteps, pos);
	rte_free((void *)(uintptr_t)old);
	uint64_t tag = DP_TAG(DP_TAG_VTEP, ip);
	dp_tables_notify(t, &tag, 1);
	return 0;
}

const struct dp_vtep *dp_vtep_get(const struct dp_tables *t, uint32_t ip)
{
	void *d;
	if (rte_hash_lookup_data(dp_tables_ovl(t)->vteps, &ip, &d) < 0)
		return NULL;
	return d;
}

void dp_vtep_foreach(const struct dp_tables *t,
		     int (*cb)(const struct dp_vtep *v, void *arg), void *arg)
{
	const void *k;
	void *d;
	uint32_t it = 0;
	while (rte_hash_iterate(dp_tables_ovl(t)->vteps, &k, &d, &it) >= 0)
		if (cb(d, arg))
			return;
}

unsigned dp_vtep_count(const struct dp_tables *t)
{
	return (unsigned)rte_hash_count(dp_tables_ovl(t)->vteps);
}
