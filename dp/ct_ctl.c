/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_ctl.c — conntrack, the control side: create/destroy, configuration
 * (timeouts, limits, liberal TCP), counters, flush and dump.  Control thread
 * only (ct.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "ct_priv.h"

void dp_ct_default_timeouts(struct dp_ct_timeouts *t)
{
	*t = (struct dp_ct_timeouts){
		.tcp_syn_sent = 30, .tcp_syn_recv = 30, .tcp_established = 86400,
		.tcp_fin_wait = 900, .tcp_time_wait = 45, .tcp_close = 30,
		.udp_first = 60, .udp_single = 60, .udp_multiple = 30,
		.icmp_first = 60, .icmp_reply = 30,
		.other_first = 60, .other_single = 60, .other_multiple = 30,
	};
}

struct dp_ct *dp_ct_create(const struct dp_ct_params *p)
{
	char name[RTE_HASH_NAMESIZE];
	struct dp_ct *ct;
	int err = ENOMEM;

	if (p == NULL || p->name == NULL || p->max_conns == 0 || p->n_pmds == 0 ||
	    p->max_conns > (1u << 26)) {
		rte_errno = EINVAL;
		return NULL;
	}
	ct = rte_zmalloc_socket("dp_ct", sizeof(*ct), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (ct == NULL)
		goto fail;
	ct->rcu = p->rcu;
	ct->n_pmds = p->n_pmds;
	ct->max_conns = p->max_conns;
	ct->tcp_liberal = p->tcp_liberal;
	ct->default_limit = p->default_zone_limit;
	if (p->timeouts != NULL)
		ct->to = *p->timeouts;
	else
		dp_ct_default_timeouts(&ct->to);
	rte_spinlock_init(&ct->wlock);
	/* Room for every live connection plus what sits in the PMDs' limbo
	 * queues and slot caches. */
	ct->n_slots = p->max_conns + p->n_pmds * (CT_LIMBO + CT_SLOT_CACHE);
	ct->pmd = rte_zmalloc_socket("dp_ct_pmd", sizeof(*ct->pmd) * p->n_pmds,
				     RTE_CACHE_LINE_SIZE, p->socket_id);
	ct->conns = rte_zmalloc_socket("dp_ct_conns", sizeof(*ct->conns) * (size_t)ct->n_slots,
				       RTE_CACHE_LINE_SIZE, p->socket_id);
	ct->zone_count = rte_zmalloc_socket("dp_ct_zc", sizeof(*ct->zone_count) * 65536,
					    RTE_CACHE_LINE_SIZE, p->socket_id);
	ct->zone_limit = rte_malloc_socket("dp_ct_zl", sizeof(*ct->zone_limit) * 65536,
					   RTE_CACHE_LINE_SIZE, p->socket_id);
	ct->reval_end = rte_zmalloc_socket("dp_ct_re", sizeof(*ct->reval_end) * 65536,
					   RTE_CACHE_LINE_SIZE, p->socket_id);
	ct->reval_cookie = rte_zmalloc_socket("dp_ct_rc", sizeof(*ct->reval_cookie) * 65536,
					      RTE_CACHE_LINE_SIZE, p->socket_id);
	rte_spinlock_init(&ct->reval_lock);
	if (ct->pmd == NULL || ct->conns == NULL || ct->zone_count == NULL ||
	    ct->zone_limit == NULL || ct->reval_end == NULL || ct->reval_cookie == NULL)
		goto fail;
	for (unsigned z = 0; z < 65536; z++)
		ct->zone_limit[z] = DP_CT_LIMIT_DEFAULT;

	snprintf(name, sizeof(name), "ctf_%s", p->name);
	ct->free_slots = rte_ring_create_elem(name, 4, ct->n_slots, p->socket_id, RING_F_EXACT_SZ);
	if (ct->free_slots == NULL) {
		err = rte_errno;
		goto fail;
	}
	for (uint32_t i = 0; i < ct->n_slots; i++) {
		ct->conns[i].idx = i;
		ct->conns[i].hpos[0] = ct->conns[i].hpos[1] = -1;
		rte_spinlock_init(&ct->conns[i].lock);
		rte_ring_sp_enqueue_elem(ct->free_slots, &i, 4);
	}
	snprintf(name, sizeof(name), "cth_%s", p->name);
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = 2 * ct->n_slots,
		.key_len = sizeof(struct dp_ct_key), /* 48: vector compare */
		.hash_func = ct_key_hash,
		.socket_id = p->socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	ct->h = rte_hash_create(&hp);
	if (ct->h == NULL) {
		err = rte_errno;
		goto fail;
	}
	return ct;
fail:
	dp_ct_destroy(ct);
	rte_errno = err;
	return NULL;
}

void dp_ct_destroy(struct dp_ct *ct)
{
	if (ct == NULL)
		return;
	rte_hash_free(ct->h);
	rte_ring_free(ct->free_slots);
	rte_free(ct->reval_cookie);
	rte_free(ct->reval_end);
	rte_free(ct->zone_limit);
	rte_free(ct->zone_count);
	rte_free(ct->conns);
	rte_free(ct->pmd);
	rte_free(ct);
}

int dp_ct_set_timeouts(struct dp_ct *ct, const struct dp_ct_timeouts *t)
{
	const uint32_t *src = (const uint32_t *)(const void *)t;
	uint32_t *dst = (uint32_t *)(void *)&ct->to;

	for (size_t i = 0; i < sizeof(*t) / sizeof(uint32_t); i++)
		if (src[i] == 0 || src[i] > 10u * 86400 * 365)
			return -EINVAL;
	for (size_t i = 0; i < sizeof(*t) / sizeof(uint32_t); i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
	return 0;
}

void dp_ct_get_timeouts(const struct dp_ct *ct, struct dp_ct_timeouts *t)
{
	*t = ct->to;
}

void dp_ct_set_tcp_liberal(struct dp_ct *ct, bool on)
{
	__atomic_store_n(&ct->tcp_liberal, on, __ATOMIC_RELAXED);
}

int dp_ct_set_zone_limit(struct dp_ct *ct, uint16_t zone, uint32_t limit)
{
	__atomic_store_n(&ct->zone_limit[zone], limit, __ATOMIC_RELAXED);
	return 0;
}

void dp_ct_set_default_limit(struct dp_ct *ct, uint32_t limit)
{
	__atomic_store_n(&ct->default_limit, limit, __ATOMIC_RELAXED);
}

uint32_t dp_ct_zone_count(const struct dp_ct *ct, uint16_t zone)
{
	return atomic_load_explicit(&ct->zone_count[zone], memory_order_relaxed);
}

void dp_ct_stats_get(const struct dp_ct *ct, struct dp_ct_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < ct->n_pmds; i++) {
		const struct dp_ct_stats *s = &ct->pmd[i].st;
		out->lookups += s->lookups;
		out->committed += s->committed;
		out->established += s->established;
		out->invalid += s->invalid;
		out->related += s->related;
		out->expired += s->expired;
		out->over_limit += s->over_limit;
		out->table_full += s->table_full;
		out->reopened += s->reopened;
		out->frag_later += s->frag_later;
		out->reval_checked += s->reval_checked;
		out->blocked += s->blocked;
		out->limbo += ct->pmd[i].limbo_tail - ct->pmd[i].limbo_head;
		out->nat_exhausted += s->nat_exhausted;
		out->nat_rewritten += s->nat_rewritten;
		out->nat_failed += s->nat_failed;
	}
	out->flushed = ct->flushed;
	out->conns = atomic_load_explicit(&ct->n_conns, memory_order_relaxed);
	out->nat_conns = __atomic_load_n(&ct->n_nat, __ATOMIC_RELAXED);
}

void dp_ct_revalidate_zone(struct dp_ct *ct, uint16_t zone, uint32_t cookie)
{
	/* The new rules were published before this call; a PMD claiming a
	 * chunk after the unlock below sees them (lock order), and every slot
	 * gets a position in [reval_pos, reval_pos + n_slots), claimed after
	 * now. */
	rte_spinlock_lock(&ct->reval_lock);
	uint64_t end = ct->reval_pos + ct->n_slots;
	__atomic_store_n(&ct->reval_cookie[zone], cookie, __ATOMIC_RELAXED);
	__atomic_store_n(&ct->reval_end[zone], end, __ATOMIC_RELAXED);
	if (end > ct->reval_end_max)
		ct->reval_end_max = end;
	__atomic_store_n(&ct->reval_active, 1, __ATOMIC_RELAXED);
	rte_spinlock_unlock(&ct->reval_lock);
}

int dp_ct_flush(struct dp_ct *ct, int zone)
{
	uint32_t *dead = NULL, n = 0, cap = 0;
	int removed = 0;

	/* Kill in batches so the list stays bounded; one grace period each. */
	for (uint32_t i = 0; i < ct->n_slots || n > 0;) {
		for (; i < ct->n_slots && n < 4096; i++) {
			struct ct_conn *c = &ct->conns[i];
			if (!__atomic_load_n(&c->in_use, __ATOMIC_ACQUIRE) ||
			    (zone >= 0 && c->key[0].zone != (uint16_t)zone))
				continue;
			if (cap == 0) {
				cap = 4096;
				dead = malloc(cap * sizeof(*dead));
				if (dead == NULL)
					return -ENOMEM;
			}
			rte_spinlock_lock(&ct->wlock);
			if (ct_kill_locked(ct, c, false, 0, zone))
				dead[n++] = i;
			rte_spinlock_unlock(&ct->wlock);
		}
		if (n == 0)
			break;
		if (ct->rcu != NULL)
			rte_rcu_qsbr_synchronize(ct->rcu, RTE_QSBR_THRID_INVALID);
		rte_spinlock_lock(&ct->wlock);
		for (uint32_t k = 0; k < n; k++)
			ct_release_locked(ct, &ct->conns[dead[k]]);
		rte_spinlock_unlock(&ct->wlock);
		rte_ring_mp_enqueue_bulk_elem(ct->free_slots, dead, 4, n, NULL);
		removed += (int)n;
		n = 0;
	}
	free(dead);
	ct->flushed += (uint64_t)removed;
	return removed;
}

int dp_ct_dump_next(const struct dp_ct *ct, int zone, uint32_t *cursor, uint64_t now_ms,
		    struct dp_ct_entry *e)
{
	for (; *cursor < ct->n_slots; (*cursor)++) {
		struct ct_conn *c = &ct->conns[*cursor];
		bool ok;

		if (!__atomic_load_n(&c->in_use, __ATOMIC_ACQUIRE))
			continue;
		rte_spinlock_lock(&c->lock);
		ok = c->in_use && !c->dead && (zone < 0 || c->key[0].zone == (uint16_t)zone);
		if (ok) {
			e->orig = c->key[0];
			e->reply = c->key[1];
			e->zone = c->key[0].zone;
			e->proto = c->key[0].proto;
			e->proto_state = c->proto_state;
			e->reply_seen = c->reply_seen;
			e->mark = c->mark;
			e->nat = c->nat_flags;
			memcpy(e->label, c->label, 16);
			e->timeout_left_ms = c->expires > now_ms
				? (uint32_t)RTE_MIN(c->expires - now_ms, (uint64_t)UINT32_MAX) : 0;
		}
		rte_spinlock_unlock(&c->lock);
		if (ok) {
			(*cursor)++;
			return 1;
		}
	}
	return 0;
}

int dp_ct_key_fmt(const struct dp_ct_key *k, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int fam = k->af == CT_AF4 ? AF_INET : AF_INET6;
	const char *pn;

	inet_ntop(fam, k->src, s, sizeof(s));
	inet_ntop(fam, k->dst, d, sizeof(d));
	switch (k->proto) {
	case IPPROTO_TCP: pn = "tcp"; break;
	case IPPROTO_UDP: pn = "udp"; break;
	case IPPROTO_ICMP: pn = "icmp"; break;
	case IPPROTO_ICMPV6: pn = "icmp6"; break;
	default: pn = NULL; break;
	}
	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6)
		return snprintf(buf, len, "zone=%u %s %s->%s id=%u type=%u", k->zone, pn, s, d,
				ntohs(k->sport), ntohs(k->dport));
	if (pn == NULL)
		return snprintf(buf, len, "zone=%u proto=%u %s->%s", k->zone, k->proto, s, d);
	if (fam == AF_INET6)
		return snprintf(buf, len, "zone=%u %s [%s]:%u->[%s]:%u", k->zone, pn, s,
				ntohs(k->sport), d, ntohs(k->dport));
	return snprintf(buf, len, "zone=%u %s %s:%u->%s:%u", k->zone, pn, s, ntohs(k->sport), d,
			ntohs(k->dport));
}
