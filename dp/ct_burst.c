/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_burst.c — conntrack, the PMD side's burst: classify each packet
 * once (ct_pkt.c), hash each key once and look the burst up in one bulk
 * rte_hash call — the keys of one ct() action, or of two (a
 * security-group pass between two stateful ports tracks each packet in the
 * source's and the destination's zone: dp_ct_process2) — answer
 * established UDP/ICMP lookups without a lock, run the protocol's state
 * machine under the connection's lock, and commit misses through ct.c
 * (their reply keys' buckets brought in by one bulk lookup first).
 * Locking and who may call what: ct.h.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_hash.h>
#include <rte_prefetch.h>

#include "ct_priv.h"

/* Is the bulk lookup's answer for a key of hash sig out of date?  Only
 * when this burst added a key of that hash since (its own commit of the
 * tuple, or of the reverse one), and the answer was a miss or a connection
 * killed since (a reopen of this burst kills it and commits the tuple
 * anew).  Then the key is looked up again. */
static inline bool ct_burst_stale(const struct ct_burst *b, hash_sig_t sig, bool hit,
				  const void *data)
{
	if (b->n_sig == 0 || !ct_burst_added(b, sig))
		return false;
	return !hit || __atomic_load_n(&((const struct ct_conn *)((uintptr_t)data &
								 ~(uintptr_t)1))->dead,
				       __ATOMIC_ACQUIRE);
}

/* An existing, locked connection: run the protocol; returns -1 if the
 * packet must be handled as a miss (reopen), else fills r and unlocks. */
static int ct_on_conn(struct dp_ct *ct, struct ct_pmd *pm, struct ct_conn *c, int dir,
		      const struct ct_pkt *p, const struct dp_ct_action *a, uint64_t now,
		      struct dp_ct_result *r)
{
	enum ct_upd u = ct_proto_update(ct, c, p, dir, now);

	/* a blocked connection's traffic does not keep it alive */
	if (unlikely(c->mark & DP_CT_MARK_BLOCKED) && c->expires > c->blocked_until)
		c->expires = c->blocked_until;
	r->zone = p->key.zone;
	switch (u) {
	case CT_UPD_INVALID:
		r->state = DP_CS_TRK | DP_CS_INV;
		break;
	case CT_UPD_REOPEN:
		rte_spinlock_unlock(&c->lock);
		return -1;
	case CT_UPD_VALID:
	case CT_UPD_VALID_NEW:
		if (dir == 1 && !c->reply_seen) {
			c->reply_seen = 1;
			pm->st.established++;
		}
		if (dir == 1)
			r->state = DP_CS_TRK | DP_CS_EST | DP_CS_RPL;
		else if (c->reply_seen && u == CT_UPD_VALID)
			r->state = DP_CS_TRK | DP_CS_EST;
		else
			r->state = DP_CS_TRK | DP_CS_NEW;
		if (a->commit)
			ct_apply_action(c, a);
		break;
	}
	ct_res_conn(r, c);
	rte_spinlock_unlock(&c->lock);
	return 0;
}

/* Established UDP, ICMP and address-pair connections without a commit:
 * nothing changes but the expiry time, so no lock — the common case of
 * established traffic.  Both directions seen (MULTIPLE, reply_seen: they
 * never go back), not blocked, not dead (read in that order; a connection
 * being killed right now answers as it would have a moment earlier, and
 * its memory stays valid until this PMD's next quiescent state).  mark is
 * one aligned load; label is read unlocked and could be torn by a
 * concurrent commit that changes it (no decision reads the label). */
static bool ct_fast_est(const struct dp_ct *ct, struct ct_conn *c, int dir,
			const struct ct_pkt *p, const struct dp_ct_action *a, uint64_t now,
			struct dp_ct_result *r)
{
	uint32_t s, mark;
	uint64_t exp;

	if (a->commit || p->key.proto == IPPROTO_TCP ||
	    __atomic_load_n(&c->proto_state, __ATOMIC_RELAXED) != DP_CT_GEN_MULTIPLE ||
	    !__atomic_load_n(&c->reply_seen, __ATOMIC_RELAXED))
		return false;
	mark = __atomic_load_n(&c->mark, __ATOMIC_RELAXED);
	if ((mark & DP_CT_MARK_BLOCKED) || __atomic_load_n(&c->dead, __ATOMIC_ACQUIRE))
		return false;
	if (p->key.proto == IPPROTO_UDP)
		s = ct_rd_relaxed(&ct->to.udp_multiple);
	else if (p->key.proto == IPPROTO_ICMP || p->key.proto == IPPROTO_ICMPV6)
		s = ct_rd_relaxed(&ct->to.icmp_reply);
	else
		s = ct_rd_relaxed(&ct->to.other_multiple);
	exp = now + ct_sec(s);
	if (__atomic_load_n(&c->expires, __ATOMIC_RELAXED) != exp)
		__atomic_store_n(&c->expires, exp, __ATOMIC_RELAXED);
	r->state = DP_CS_TRK | DP_CS_EST | (dir == 1 ? DP_CS_RPL : 0);
	r->nat = 0;
	r->zone = p->key.zone;
	r->mark = mark;
	memcpy(r->label, c->label, 16);
	return true;
}

/* One tracked packet.  Returns its connection (*dirp: the packet's
 * direction) when it has one, for NAT; NULL when not. */
static struct ct_conn *ct_one(struct dp_ct *ct, struct ct_pmd *pm, struct ct_burst *b,
			      const struct dp_ct_action *a, struct ct_pkt *p, hash_sig_t sig,
			      void *data, bool hit, const struct dp_ct_key *rk, hash_sig_t rsig,
			      uint64_t now, struct dp_ct_result *r, int *dirp)
{
	struct ct_conn *c;
	bool created = false;
	int dir, err;

	if (ct_burst_stale(b, sig, hit, data))
		hit = rte_hash_lookup_with_hash_data(ct->h, &p->key, sig, &data) >= 0;
	if (hit) {
		c = (struct ct_conn *)((uintptr_t)data & ~(uintptr_t)1);
		dir = (int)((uintptr_t)data & 1);
		*dirp = dir;
		if (ct_fast_est(ct, c, dir, p, a, now, r))
			return c;
		rte_spinlock_lock(&c->lock);
		if (!c->dead) {
			if (ct_on_conn(ct, pm, c, dir, p, a, now, r) == 0)
				return c;
			/* reopen: a SYN on a closed connection */
			if (a->commit)
				ct_kill_reopen(ct, pm, c);
			goto miss;
		}
		rte_spinlock_unlock(&c->lock);
	}
miss:
	if (!ct_valid_new(p)) {
		ct_res_none(r, p->key.zone, DP_CS_TRK | DP_CS_INV);
		return NULL;
	}
	if (!a->commit) {
		ct_res_none(r, p->key.zone, DP_CS_TRK | DP_CS_NEW);
		return NULL;
	}
	c = ct_commit_new(ct, pm, b, p, sig, rk, rsig, a, now, &dir, &created, &err);
	if (c == NULL) {
		ct_res_none(r, p->key.zone, DP_CS_TRK | DP_CS_INV);
		return NULL;
	}
	rte_spinlock_lock(&c->lock);
	if (c->dead) {
		rte_spinlock_unlock(&c->lock);
		ct_res_none(r, p->key.zone, DP_CS_TRK | DP_CS_INV);
		return NULL;
	}
	*dirp = dir;
	if (!created) {
		/* another PMD committed it first: an ordinary hit */
		if (ct_on_conn(ct, pm, c, dir, p, a, now, r) != 0) {
			ct_res_none(r, p->key.zone, DP_CS_TRK | DP_CS_INV);
			return NULL;
		}
		return c;
	}
	r->zone = p->key.zone;
	r->state = DP_CS_TRK | DP_CS_NEW;
	ct_res_conn(r, c);
	rte_spinlock_unlock(&c->lock);
	return c;
}

/* ct(nat): rewrite a valid packet of a NAT connection (ct.h "NAT"). */
static inline void ct_nat_do(struct ct_pmd *pm, const struct ct_conn *c, int dir,
			     struct rte_mbuf *m, const struct ct_pkt *p, struct dp_flow_key *fk,
			     struct dp_ct_result *r)
{
	int k;

	if (c == NULL || c->nat_flags == 0 || (r->state & DP_CS_INV))
		return;
	k = ct_nat_apply(c, dir, m, p, fk);
	if (unlikely(k < 0)) {
		r->state = DP_CS_TRK | DP_CS_INV;
		pm->st.nat_failed++;
	} else if (k != 0) {
		r->nat = (uint8_t)k;
		pm->st.nat_rewritten++;
	}
}

/* One ct() action's view of a chunk of at most CT_BURST packets: the
 * packets as it tracks them (its zone), where each key sits in the chunk's
 * bulk lookup, and its misses' reply keys. */
struct ct_view {
	const struct dp_ct_action *a;
	struct dp_ct_result *res;     /* one per packet of the chunk */
	struct ct_pkt pk[CT_BURST];
	struct dp_ct_key inner[CT_BURST];
	struct dp_ct_key rkey[CT_BURST];
	hash_sig_t rsig[CT_BURST];
	uint32_t has_rk;
	uint8_t slot[CT_BURST];       /* index in the lookup arrays; UINT8_MAX: none */
};

/* The keys of one chunk, all views' together, and what the lookup found. */
struct ct_look {
	const void *kp[CT_VIEWS * CT_BURST];
	void *data[CT_VIEWS * CT_BURST];
	hash_sig_t sig[CT_VIEWS * CT_BURST];
	uint64_t hits;
	unsigned nk;
};

/* The view's packets: view 0 classifies, a later view takes view 0's
 * packets in its own zone (the same tuple; nothing between two ct()
 * actions of one pass changes what ct_classify reads). */
static void ct_view_classify(struct ct_view *w, const struct ct_view *first,
			     struct rte_mbuf *const pkts[], struct dp_flow_key *const keys[],
			     unsigned cnt, struct ct_look *l)
{
	for (unsigned i = 0; i < cnt; i++) {
		struct ct_pkt *p = &w->pk[i];
		if (first == NULL) {
			ct_classify(p, pkts[i], keys[i], w->a->zone);
		} else {
			*p = first->pk[i];
			p->key.zone = w->a->zone;
		}
		w->slot[i] = UINT8_MAX;
		if (p->kind == CT_PK_TRACK) {
			w->slot[i] = (uint8_t)l->nk;
			l->kp[l->nk++] = &p->key;
		} else if (p->kind == CT_PK_ICMP_ERR) {
			struct dp_ct_key q;
			/* the quoted packet travelled the other way
			 * (translated, if NAT): its reverse is the key
			 * of the error's own direction */
			if (ct_icmp_inner_key(p, &q) == 0) {
				ct_key_reverse(&q, &w->inner[i]);
				w->slot[i] = (uint8_t)l->nk;
				l->kp[l->nk++] = &w->inner[i];
			} else {
				p->kind = CT_PK_INVALID;
			}
		}
	}
}

/* One bulk lookup of every view's keys, one hash per key (reused by a
 * commit's add), and the found connections brought in. */
static void ct_look_up(struct dp_ct *ct, struct ct_look *l, struct ct_burst *b)
{
	l->hits = 0;
	if (l->nk == 0)
		return;
	for (unsigned j = 0; j < l->nk; j++)
		l->sig[j] = ct_key_hash(l->kp[j], sizeof(struct dp_ct_key), 0);
	b->gen0 = __atomic_load_n(&ct->add_gen, __ATOMIC_ACQUIRE);
	rte_hash_lookup_with_hash_bulk_data(ct->h, l->kp, l->sig, l->nk, &l->hits, l->data);
	/* all the chunk's connections in flight at once: the first line (all
	 * an established UDP/ICMP lookup reads), and for TCP the keys and
	 * windows too */
	for (unsigned j = 0; j < l->nk; j++)
		if ((l->hits >> j) & 1) {
			const uint8_t *c = (const uint8_t *)((uintptr_t)l->data[j] & ~(uintptr_t)1);
			rte_prefetch0(c);
			if (((const struct dp_ct_key *)l->kp[j])->proto == IPPROTO_TCP) {
				rte_prefetch0(c + RTE_CACHE_LINE_SIZE);
				rte_prefetch0(c + 2 * RTE_CACHE_LINE_SIZE);
				rte_prefetch0(c + 3 * RTE_CACHE_LINE_SIZE);
			}
		}
}

/* commit: the view's misses' reply keys, hashed once, looked up in one
 * bulk call whose only purpose is to bring their buckets in (the adds
 * write there); and the connection slots the commits will take, prefetched
 * for writing */
static void ct_view_prepare_commit(struct dp_ct *ct, struct ct_pmd *pm, struct ct_view *w,
				   const struct ct_look *l, unsigned cnt)
{
	const struct dp_ct_action *a = w->a;
	const void *rkp[CT_BURST];
	hash_sig_t rsg[CT_BURST];
	void *rd[CT_BURST];
	uint64_t rh;
	unsigned nr = 0;

	w->has_rk = 0;
	if (!a->commit)
		return;
	for (unsigned i = 0; i < cnt; i++) {
		if (w->pk[i].kind != CT_PK_TRACK || ((l->hits >> w->slot[i]) & 1))
			continue;
		/* NAT: the first candidate's (ct_nat.c) */
		if (!ct_nat_commit(a, &w->pk[i]))
			ct_key_reverse(&w->pk[i].key, &w->rkey[i]);
		else if (ct_nat_first(&w->pk[i].key, &a->nat_cfg, &w->rkey[i]) != 0)
			continue;
		w->rsig[i] = ct_key_hash(&w->rkey[i], sizeof(w->rkey[i]), 0);
		rkp[nr] = &w->rkey[i];
		rsg[nr++] = w->rsig[i];
		w->has_rk |= 1u << i;
	}
	if (nr == 0)
		return;
	rte_hash_lookup_with_hash_bulk_data(ct->h, rkp, rsg, nr, &rh, rd);
	for (unsigned j = 0; j < RTE_MIN(nr, pm->n_cache); j++) {
		const uint8_t *c = (const uint8_t *)&ct->conns[pm->cache[pm->n_cache - 1 - j]];
		__builtin_prefetch(c, 1, 3);
		__builtin_prefetch(c + RTE_CACHE_LINE_SIZE, 1, 3);
		__builtin_prefetch(c + 2 * RTE_CACHE_LINE_SIZE, 1, 3);
	}
}

/* The view's packets, one by one, in order.  Returns how many are invalid. */
static unsigned ct_view_run(struct dp_ct *ct, struct ct_pmd *pm, struct ct_burst *b,
			    struct ct_view *w, const struct ct_look *l,
			    struct rte_mbuf *const pkts[], struct dp_flow_key *const keys[],
			    unsigned cnt, uint64_t now_ms)
{
	const struct dp_ct_action *a = w->a;
	unsigned n_inv = 0;

	for (unsigned i = 0; i < cnt; i++) {
		struct ct_pkt *p = &w->pk[i];
		struct dp_ct_result *r = &w->res[i];
		unsigned s = w->slot[i];
		bool hit = s != UINT8_MAX && (l->hits >> s) & 1;
		void *d = s != UINT8_MAX ? l->data[s] : NULL;

		pm->st.lookups++;
		switch (p->kind) {
		case CT_PK_TRACK: {
			struct ct_conn *c;
			int dir = 0;
			c = ct_one(ct, pm, b, a, p, l->sig[s], d, hit,
				   (w->has_rk >> i) & 1 ? &w->rkey[i] : NULL, w->rsig[i], now_ms, r,
				   &dir);
			if (a->nat)
				ct_nat_do(pm, c, dir, pkts[i], p, keys[i], r);
			break;
		}
		case CT_PK_ICMP_ERR: {
			struct ct_conn *c;
			int dir;
			if (ct_burst_stale(b, l->sig[s], hit, d))
				hit = rte_hash_lookup_with_hash_data(ct->h, &w->inner[i], l->sig[s],
								     &d) >= 0;
			c = (struct ct_conn *)((uintptr_t)d & ~(uintptr_t)1);
			dir = (int)((uintptr_t)d & 1);
			ct_res_none(r, a->zone, DP_CS_TRK | DP_CS_INV);
			if (!hit)
				break;
			rte_spinlock_lock(&c->lock);
			if (!c->dead) {
				/* the error travels in direction dir */
				r->state = DP_CS_TRK | DP_CS_REL | (dir == 1 ? DP_CS_RPL : 0);
				ct_res_conn(r, c);
				pm->st.related++;
			}
			rte_spinlock_unlock(&c->lock);
			if (a->nat && !(r->state & DP_CS_INV))
				ct_nat_do(pm, c, dir, pkts[i], p, keys[i], r);
			break;
		}
		case CT_PK_FRAG_LATER:
			pm->st.frag_later++;
			/* fall through */
		default:
			ct_res_none(r, a->zone, DP_CS_TRK | DP_CS_INV);
			break;
		}
		if (r->state & DP_CS_INV) {
			pm->st.invalid++;
			n_inv++;
		}
	}
	return n_inv;
}

/* nv ct() actions on one chunk: all their keys in one bulk lookup, then
 * each action's packets in order, the first action's before the second's
 * (one ct_burst, so a miss of the second re-looks-up what the first added:
 * the same zone twice, a hairpin, stays right). */
static unsigned ct_chunk(struct dp_ct *ct, struct ct_pmd *pm, struct ct_view *v, unsigned nv,
			 struct rte_mbuf *const pkts[], struct dp_flow_key *const keys[],
			 unsigned cnt, uint64_t now_ms)
{
	struct ct_look l;
	struct ct_burst b = { .own = 0, .n_sig = 0, .bloom = { 0, 0, 0, 0 } };
	unsigned n_inv = 0;

	l.nk = 0;
	for (unsigned x = 0; x < nv; x++)
		ct_view_classify(&v[x], x ? &v[0] : NULL, pkts, keys, cnt, &l);
	ct_look_up(ct, &l, &b);
	for (unsigned x = 0; x < nv; x++) {
		ct_view_prepare_commit(ct, pm, &v[x], &l, cnt);
		n_inv += ct_view_run(ct, pm, &b, &v[x], &l, pkts, keys, cnt, now_ms);
	}
	return n_inv;
}

/* nv ct() actions a[x] (results into res[x]) over n packets, in chunks. */
static unsigned ct_process_n(struct dp_ct *ct, unsigned pmd, const struct dp_ct_action *const a[],
			     struct dp_ct_result *const res[], unsigned nv,
			     struct rte_mbuf *const pkts[], struct dp_flow_key *const keys[],
			     unsigned n, uint64_t now_ms)
{
	struct ct_view v[CT_VIEWS];
	unsigned n_inv = 0;

	if (unlikely(pmd >= ct->n_pmds)) {
		for (unsigned x = 0; x < nv; x++)
			for (unsigned i = 0; i < n; i++)
				ct_res_none(&res[x][i], a[x]->zone, DP_CS_TRK | DP_CS_INV);
		return nv * n;
	}
	for (unsigned x = 0; x < nv; x++)
		v[x].a = a[x];
	for (unsigned base = 0; base < n; base += CT_BURST) {
		for (unsigned x = 0; x < nv; x++)
			v[x].res = &res[x][base];
		n_inv += ct_chunk(ct, &ct->pmd[pmd], v, nv, &pkts[base], &keys[base],
				  RTE_MIN(n - base, (unsigned)CT_BURST), now_ms);
	}
	return n_inv;
}

unsigned dp_ct_process(struct dp_ct *ct, unsigned pmd, const struct dp_ct_action *a,
		       struct rte_mbuf *const pkts[], struct dp_flow_key *const keys[],
		       struct dp_ct_result res[], unsigned n, uint64_t now_ms)
{
	return ct_process_n(ct, pmd, &a, &res, 1, pkts, keys, n, now_ms);
}

unsigned dp_ct_process2(struct dp_ct *ct, unsigned pmd, const struct dp_ct_action *a0,
			const struct dp_ct_action *a1, struct rte_mbuf *const pkts[],
			struct dp_flow_key *const keys[], struct dp_ct_result res0[],
			struct dp_ct_result res1[], unsigned n, uint64_t now_ms)
{
	const struct dp_ct_action *a[2] = { a0, a1 };
	struct dp_ct_result *res[2] = { res0, res1 };

	/* NAT rewrites the keys the second reads; one zone twice over more
	 * than a chunk would run the second chunk's first action after the
	 * first chunk's second */
	if (a0->nat || a1->nat || (a0->zone == a1->zone && n > CT_BURST))
		return dp_ct_process(ct, pmd, a0, pkts, keys, res0, n, now_ms) +
		       dp_ct_process(ct, pmd, a1, pkts, keys, res1, n, now_ms);
	return ct_process_n(ct, pmd, a, res, 2, pkts, keys, n, now_ms);
}
