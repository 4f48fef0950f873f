/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_reval.c — conntrack beyond the packet path: re-validation of a
 * zone's connections after a policy change (bounded steps on the PMDs,
 * connections blocked, see ct.h) and the read-only lookup trace uses.
 * Locking: ct.h.
 */
#include <string.h>
#include <netinet/in.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_hash.h>

#include "ct_priv.h"

#define ET_IPV4 RTE_BE16(0x0800)
#define ET_IPV6 RTE_BE16(0x86dd)

/* -------------------------------------------------------- re-validation --- */

bool dp_ct_reval_pending(const struct dp_ct *ct)
{
	return __atomic_load_n(&ct->reval_active, __ATOMIC_RELAXED) != 0;
}

unsigned dp_ct_revalidate_step(struct dp_ct *ct, unsigned pmd, uint64_t now_ms, unsigned budget,
			       dp_ct_allowed_cb *allowed, void *arg)
{
	struct ct_pmd *pm;
	uint64_t start, cnt;
	unsigned blocked = 0;

	if (unlikely(pmd >= ct->n_pmds) || !dp_ct_reval_pending(ct))
		return 0;
	pm = &ct->pmd[pmd];
	rte_spinlock_lock(&ct->reval_lock);
	start = ct->reval_pos;
	cnt = ct->reval_end_max > start ? RTE_MIN((uint64_t)budget, ct->reval_end_max - start) : 0;
	ct->reval_pos += cnt;
	if (ct->reval_pos >= ct->reval_end_max)
		__atomic_store_n(&ct->reval_active, 0, __ATOMIC_RELAXED);
	rte_spinlock_unlock(&ct->reval_lock);

	for (uint64_t pos = start; pos < start + cnt; pos++) {
		struct ct_conn *c = &ct->conns[pos % ct->n_slots];
		struct dp_ct_key k;
		uint16_t zone;
		uint8_t sg;

		if (!__atomic_load_n(&c->in_use, __ATOMIC_ACQUIRE))
			continue;
		zone = __atomic_load_n(&c->key[0].zone, __ATOMIC_RELAXED);
		if (pos >= __atomic_load_n(&ct->reval_end[zone], __ATOMIC_RELAXED))
			continue;
		rte_spinlock_lock(&c->lock);
		sg = c->sg;
		bool skip = !c->in_use || c->dead || sg == DP_CT_SG_NONE ||
			    (c->mark & DP_CT_MARK_BLOCKED) || c->key[0].zone != zone;
		if (!skip)
			k = c->key[0];
		rte_spinlock_unlock(&c->lock);
		if (skip)
			continue;
		pm->st.reval_checked++;
		if (allowed(arg, __atomic_load_n(&ct->reval_cookie[zone], __ATOMIC_RELAXED), &k, sg))
			continue;
		rte_spinlock_lock(&c->lock);
		/* still the same connection (the slot may have been reused) */
		if (c->in_use && !c->dead && memcmp(&c->key[0], &k, sizeof(k)) == 0 &&
		    !(c->mark & DP_CT_MARK_BLOCKED)) {
			c->mark |= DP_CT_MARK_BLOCKED;
			c->blocked_until = now_ms + ct_sec(DP_CT_BLOCKED_TIMEOUT_S);
			if (c->expires > c->blocked_until)
				__atomic_store_n(&c->expires, c->blocked_until, __ATOMIC_RELAXED);
			blocked++;
		}
		rte_spinlock_unlock(&c->lock);
	}
	pm->st.blocked += blocked;
	return blocked;
}

/* ------------------------------------------------------ read-only lookup --- */

/* A flow without its packet (trace of a text flow): what the key says. */
static void ct_classify_flow(struct ct_pkt *p, const struct dp_flow_key *fk, uint16_t zone)
{
	memset(p, 0, sizeof(*p));
	if (fk->eth_type == ET_IPV4) {
		p->key.af = CT_AF4;
		memcpy(p->key.src, fk->ip_src, 4);
		memcpy(p->key.dst, fk->ip_dst, 4);
	} else if (fk->eth_type == ET_IPV6) {
		p->key.af = CT_AF6;
		memcpy(p->key.src, fk->ip_src, 16);
		memcpy(p->key.dst, fk->ip_dst, 16);
	} else {
		p->kind = CT_PK_NOT_IP;
		return;
	}
	p->key.zone = zone;
	p->key.proto = fk->ip_proto;
	p->kind = (fk->ip_frag & DP_FRAG_LATER) ? CT_PK_FRAG_LATER : CT_PK_TRACK;
	p->l4_len = UINT16_MAX;
	switch (fk->ip_proto) {
	case IPPROTO_TCP:
		p->tcp_flags = rte_be_to_cpu_16(fk->tcp_flags) & 0xfff;
		/* fall through */
	case IPPROTO_UDP:
		p->key.sport = fk->tp_src;
		p->key.dport = fk->tp_dst;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* the identifier is in the packet, not the key: an echo is
		 * looked up with identifier 0 */
		p->icmp_type = (uint8_t)rte_be_to_cpu_16(fk->tp_src);
		p->icmp_code = (uint8_t)rte_be_to_cpu_16(fk->tp_dst);
		p->key.dport = fk->tp_src;
		break;
	default:
		break;
	}
}

int dp_ct_lookup_ro(const struct dp_ct *ct, uint16_t zone, const struct rte_mbuf *m,
		    const struct dp_flow_key *fk, struct dp_ct_result *res,
		    struct dp_ct_entry *e)
{
	struct ct_pkt p;
	struct dp_ct_key inner;
	const struct dp_ct_key *k = &p.key;
	void *data;
	bool err = false;

	if (m != NULL)
		ct_classify(&p, m, fk, zone);
	else
		ct_classify_flow(&p, fk, zone);
	ct_res_none(res, zone, DP_CS_TRK | DP_CS_INV);
	if (p.kind == CT_PK_ICMP_ERR) {
		struct dp_ct_key q;
		if (ct_icmp_inner_key(&p, &q) != 0)
			return 0;
		ct_key_reverse(&q, &inner); /* the error's own direction (ct.c) */
		k = &inner;
		err = true;
	} else if (p.kind != CT_PK_TRACK) {
		return 0;
	}
	if (rte_hash_lookup_data(ct->h, k, &data) >= 0) {
		struct ct_conn *c = (struct ct_conn *)((uintptr_t)data & ~(uintptr_t)1);
		int dir = (int)((uintptr_t)data & 1);
		bool found = false;

		rte_spinlock_lock(&c->lock);
		if (c->in_use && !c->dead) {
			found = true;
			if (err)
				res->state = DP_CS_TRK | DP_CS_REL | (dir == 1 ? DP_CS_RPL : 0);
			else if (dir == 1)
				res->state = DP_CS_TRK | DP_CS_EST | DP_CS_RPL;
			else
				res->state = DP_CS_TRK | (c->reply_seen ? DP_CS_EST : DP_CS_NEW);
			ct_res_conn(res, c);
			if (c->nat_flags)
				res->nat = ct_nat_would(c, dir, &p);
			if (e != NULL) {
				e->orig = c->key[0];
				e->reply = c->key[1];
				e->zone = c->key[0].zone;
				e->proto = c->key[0].proto;
				e->proto_state = c->proto_state;
				e->reply_seen = c->reply_seen;
				e->mark = c->mark;
				memcpy(e->label, c->label, 16);
				e->timeout_left_ms = 0;
				e->nat = c->nat_flags;
			}
		}
		rte_spinlock_unlock(&c->lock);
		if (found)
			return 1;
	}
	if (!err && ct_valid_new(&p))
		res->state = DP_CS_TRK | DP_CS_NEW;
	return 0;
}
