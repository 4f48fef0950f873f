/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct.c — conntrack, the PMD side: classify a burst (ct_pkt.c), hash each key once
 * and look the burst up in one bulk rte_hash call, answer established
 * UDP/ICMP lookups without a lock, run the protocol's state machine under
 * the connection's lock, commit new connections under the table's write
 * lock (their reply keys' buckets brought in by one bulk lookup first), and
 * expire incrementally.  Table creation, flush, dump and counters are in
 * ct_ctl.c; re-validation and the read-only lookup in ct_reval.c; the
 * protocols in ct_tcp.c, ct_icmp.c, ct_other.c.
 * Locking and who may call what: ct.h.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_prefetch.h>

#include "ct_priv.h"

/* --------------------------------------------------------------- burst --- */

/* What one burst of dp_ct_process knows about the table since its bulk
 * lookup: the add generation it read before it, how many adds it made
 * itself, and the hashes of the keys it added.  A later miss of the same
 * burst looks up again only when its hash is one of those (its own commit
 * of the same tuple, or of the reverse one); a commit skips the re-lookups
 * under the lock when no other writer added anything since (ct->add_gen). */
struct ct_burst {
	uint64_t gen0;
	unsigned own;
	unsigned n_sig;
	uint64_t bloom[4];         /* 256 bits over the hashes' top byte */
	hash_sig_t sig[2 * CT_BURST];
};

static inline void ct_burst_add(struct ct_burst *b, hash_sig_t sig)
{
	b->bloom[(sig >> 30) & 3] |= 1ull << ((sig >> 24) & 63);
	b->sig[b->n_sig++] = sig;
}

static bool ct_burst_added(const struct ct_burst *b, hash_sig_t sig)
{
	if (!(b->bloom[(sig >> 30) & 3] & (1ull << ((sig >> 24) & 63))))
		return false;
	for (unsigned i = 0; i < b->n_sig; i++)
		if (b->sig[i] == sig)
			return true;
	return false;
}

/* --------------------------------------------------------------- slots --- */

static struct ct_conn *ct_slot_alloc(struct dp_ct *ct, struct ct_pmd *pm)
{
	if (pm->n_cache == 0) {
		pm->n_cache = rte_ring_mc_dequeue_burst_elem(ct->free_slots, pm->cache, 4,
							     CT_SLOT_CACHE / 2, NULL);
		if (pm->n_cache == 0)
			return NULL;
	}
	return &ct->conns[pm->cache[--pm->n_cache]];
}

static void ct_slot_free(struct dp_ct *ct, struct ct_pmd *pm, struct ct_conn *c)
{
	if (pm->n_cache == CT_SLOT_CACHE) {
		rte_ring_mp_enqueue_bulk_elem(ct->free_slots, pm->cache, 4, CT_SLOT_CACHE / 2,
					      NULL);
		pm->n_cache -= CT_SLOT_CACHE / 2;
		memmove(pm->cache, pm->cache + CT_SLOT_CACHE / 2,
			pm->n_cache * sizeof(pm->cache[0]));
	}
	pm->cache[pm->n_cache++] = c->idx;
}

/* ---------------------------------------------------------- kill/free --- */

/* Remove c from the table.  Caller holds ct->wlock.  With only_expired, only
 * if its timeout passed; with zone >= 0, only if it is in that zone (both
 * rechecked under its lock: the slot may have been reused since the caller
 * looked).  Returns 1 if removed. */
int ct_kill_locked(struct dp_ct *ct, struct ct_conn *c, bool only_expired, uint64_t now,
		   int zone)
{
	rte_spinlock_lock(&c->lock);
	if (!c->in_use || c->dead || (only_expired && c->expires > now) ||
	    (zone >= 0 && c->key[0].zone != (uint16_t)zone)) {
		rte_spinlock_unlock(&c->lock);
		return 0;
	}
	c->dead = 1;
	rte_spinlock_unlock(&c->lock);
	/* deleting key[1] frees a NAT connection's translated tuple */
	c->hpos[0] = rte_hash_del_key(ct->h, &c->key[0]);
	c->hpos[1] = rte_hash_del_key(ct->h, &c->key[1]);
	if (c->nat_flags)
		__atomic_store_n(&ct->n_nat, ct->n_nat - 1, __ATOMIC_RELAXED);
	atomic_fetch_sub_explicit(&ct->zone_count[c->key[0].zone], 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&ct->n_conns, 1, memory_order_relaxed);
	return 1;
}

/* Give back a killed connection's hash slots; caller holds ct->wlock and a
 * grace period has passed. */
void ct_release_locked(struct dp_ct *ct, struct ct_conn *c)
{
	for (int i = 0; i < 2; i++)
		if (c->hpos[i] >= 0)
			rte_hash_free_key_with_position(ct->h, c->hpos[i]);
	c->hpos[0] = c->hpos[1] = -1;
	rte_spinlock_lock(&c->lock);
	c->in_use = 0;
	c->dead = 0;
	rte_spinlock_unlock(&c->lock);
}

static unsigned ct_reclaim(struct dp_ct *ct, struct ct_pmd *pm, unsigned budget)
{
	unsigned n = 0, head = pm->limbo_head;

	while (head != pm->limbo_tail && n < budget) {
		uint64_t tok = pm->limbo[head % CT_LIMBO].token;
		if (ct->rcu != NULL && rte_rcu_qsbr_check(ct->rcu, tok, false) != 1)
			break;
		head++;
		n++;
	}
	if (n == 0)
		return 0;
	rte_spinlock_lock(&ct->wlock);
	for (unsigned i = pm->limbo_head; i != head; i++)
		ct_release_locked(ct, &ct->conns[pm->limbo[i % CT_LIMBO].idx]);
	rte_spinlock_unlock(&ct->wlock);
	for (unsigned i = pm->limbo_head; i != head; i++)
		ct_slot_free(ct, pm, &ct->conns[pm->limbo[i % CT_LIMBO].idx]);
	pm->limbo_head = head;
	return n;
}

/* Queue a killed connection for freeing after a grace period.  The caller
 * checked there is room; the token is filled by ct_limbo_seal(). */
static void ct_limbo_push(struct ct_pmd *pm, struct ct_conn *c)
{
	pm->limbo[pm->limbo_tail % CT_LIMBO].idx = c->idx;
	pm->limbo[pm->limbo_tail % CT_LIMBO].token = UINT64_MAX;
	pm->limbo_tail++;
}

static void ct_limbo_seal(struct dp_ct *ct, struct ct_pmd *pm)
{
	uint64_t tok = ct->rcu != NULL ? rte_rcu_qsbr_start(ct->rcu) : 0;

	for (unsigned i = pm->limbo_tail; i != pm->limbo_head; i--) {
		if (pm->limbo[(i - 1) % CT_LIMBO].token != UINT64_MAX)
			break;
		pm->limbo[(i - 1) % CT_LIMBO].token = tok;
	}
}

static inline bool ct_limbo_room(const struct ct_pmd *pm)
{
	return pm->limbo_tail - pm->limbo_head < CT_LIMBO;
}

unsigned dp_ct_expire(struct dp_ct *ct, unsigned pmd, uint64_t now_ms, unsigned budget)
{
	struct ct_pmd *pm;
	unsigned killed = 0;
	uint32_t start;

	if (unlikely(pmd >= ct->n_pmds))
		return 0;
	pm = &ct->pmd[pmd];

	ct_reclaim(ct, pm, CT_LIMBO);
	if (budget > ct->n_slots)
		budget = ct->n_slots;
	start = atomic_fetch_add_explicit(&ct->sweep, budget, memory_order_relaxed);
	for (unsigned i = 0; i < budget && ct_limbo_room(pm); i++) {
		struct ct_conn *c = &ct->conns[(start + i) % ct->n_slots];
		if (!__atomic_load_n(&c->in_use, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&c->expires, __ATOMIC_RELAXED) > now_ms)
			continue;
		rte_spinlock_lock(&ct->wlock);
		int k = ct_kill_locked(ct, c, true, now_ms, -1);
		rte_spinlock_unlock(&ct->wlock);
		if (k) {
			ct_limbo_push(pm, c);
			killed++;
		}
	}
	if (killed) {
		ct_limbo_seal(ct, pm);
		pm->st.expired += killed;
		if (ct->rcu == NULL)
			ct_reclaim(ct, pm, killed);
	}
	return killed;
}

/* -------------------------------------------------------------- commit --- */

static uint32_t ct_zone_limit(const struct dp_ct *ct, uint16_t zone)
{
	uint32_t l = ct_rd_relaxed(&ct->zone_limit[zone]);
	return l == DP_CT_LIMIT_DEFAULT ? ct_rd_relaxed(&ct->default_limit) : l;
}

static void ct_apply_action(struct ct_conn *c, const struct dp_ct_action *a)
{
	if (c->sg == DP_CT_SG_NONE)
		c->sg = a->sg_dir;
	if (a->set_mark)
		c->mark = (c->mark & ~a->mark_mask) | (a->mark & a->mark_mask);
	if (a->set_label)
		for (int i = 0; i < 16; i++)
			c->label[i] = (uint8_t)((c->label[i] & ~a->label_mask[i]) |
						(a->label[i] & a->label_mask[i]));
}

static void ct_proto_init(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p,
			  uint64_t now)
{
	switch (p->key.proto) {
	case IPPROTO_TCP: ct_tcp_init(ct, c, p, now); break;
	case IPPROTO_ICMP: case IPPROTO_ICMPV6: ct_icmp_init(ct, c, p, now); break;
	default: ct_other_init(ct, c, p, now); break;
	}
}

bool ct_valid_new(const struct ct_pkt *p)
{
	switch (p->key.proto) {
	case IPPROTO_TCP: return ct_tcp_valid_new(p);
	case IPPROTO_ICMP: case IPPROTO_ICMPV6: return ct_icmp_valid_new(p);
	default: return ct_other_valid_new(p);
	}
}

static enum ct_upd ct_proto_update(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p,
				   int dir, uint64_t now)
{
	switch (p->key.proto) {
	case IPPROTO_TCP: return ct_tcp_update(ct, c, p, dir, now);
	case IPPROTO_ICMP: case IPPROTO_ICMPV6: return ct_icmp_update(ct, c, p, dir, now);
	default: return ct_other_update(ct, c, p, dir, now);
	}
}

/* Does this commit translate (ct.h "NAT")?  IPv4 only. */
static inline bool ct_nat_commit(const struct dp_ct_action *a, const struct ct_pkt *p)
{
	return a->nat && (a->nat_cfg.kind == DP_CT_NAT_SRC || a->nat_cfg.kind == DP_CT_NAT_DST) &&
	       p->key.af == CT_AF4;
}

/* Create the connection for p.  Returns it, or an existing one another PMD
 * committed meanwhile (*dir set to the packet's direction in it), or NULL
 * with *err (-EDQUOT zone limit, -ENOSPC table full, -EEXIST reply tuple
 * taken, -EADDRNOTAVAIL no NAT tuple free). */
static struct ct_conn *ct_commit_new(struct dp_ct *ct, struct ct_pmd *pm, struct ct_burst *b,
				     const struct ct_pkt *p, hash_sig_t sig0,
				     const struct dp_ct_key *rk, hash_sig_t rsig,
				     const struct dp_ct_action *a, uint64_t now, int *dir,
				     bool *created, int *err)
{
	uint16_t zone = p->key.zone;
	uint32_t lim = ct_zone_limit(ct, zone);
	struct ct_conn *c;
	hash_sig_t sig[2];
	void *data;
	bool nat = ct_nat_commit(a, p), others;
	int hit;

	/* a failed second add retires the connection through limbo: room first */
	if (!ct_limbo_room(pm))
		ct_reclaim(ct, pm, CT_LIMBO);
	if (!ct_limbo_room(pm)) {
		pm->st.table_full++;
		*err = -ENOSPC;
		return NULL;
	}
	if (atomic_fetch_add_explicit(&ct->n_conns, 1, memory_order_relaxed) >= ct->max_conns) {
		atomic_fetch_sub_explicit(&ct->n_conns, 1, memory_order_relaxed);
		pm->st.table_full++;
		*err = -ENOSPC;
		return NULL;
	}
	if (atomic_fetch_add_explicit(&ct->zone_count[zone], 1, memory_order_relaxed) >= lim &&
	    lim != 0) {
		atomic_fetch_sub_explicit(&ct->zone_count[zone], 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&ct->n_conns, 1, memory_order_relaxed);
		pm->st.over_limit++;
		*err = -EDQUOT;
		return NULL;
	}
	c = ct_slot_alloc(ct, pm);
	if (c == NULL) {
		*err = -ENOSPC;
		pm->st.table_full++;
		goto undo_count;
	}
	/* Private until published by the hash add (release). */
	c->dead = 0;
	c->reply_seen = 0;
	c->mark = 0;
	memset(c->label, 0, sizeof(c->label));
	if (p->key.proto == IPPROTO_TCP) /* two lines nothing else uses */
		memset(c->tcp, 0, sizeof(c->tcp));
	c->nat_flags = 0;
	c->sg = DP_CT_SG_NONE;
	c->blocked_until = 0;
	c->hpos[0] = c->hpos[1] = -1;
	c->key[0] = p->key;
	sig[0] = sig0;
	if (!nat) {
		if (rk != NULL)
			c->key[1] = *rk;
		else
			ct_key_reverse(&p->key, &c->key[1]);
		sig[1] = rk != NULL ? rsig : ct_key_hash(&c->key[1], sizeof(c->key[1]), 0);
	}
	ct_proto_init(ct, c, p, now);
	ct_apply_action(c, a);

	rte_spinlock_lock(&ct->wlock);
	/* Nothing added by anyone else since this burst's bulk lookup missed
	 * key[0] (its own adds are other tuples: ct_burst_added): key[0] is
	 * still absent.  So is key[1], its reverse, while no NAT connection
	 * exists (then a connection holding key[1] holds key[0] as its other
	 * direction); a NAT connection's reply key is not its original
	 * reversed, so with any of them live key[1] is looked up, and a NAT
	 * commit looks up every candidate (ct_nat_alloc). */
	others = ct->add_gen != b->gen0 + b->own;
	hit = others ? rte_hash_lookup_with_hash_data(ct->h, &c->key[0], sig[0], &data) : -1;
	if (hit < 0 && !nat && (others || ct->n_nat != 0))
		hit = rte_hash_lookup_with_hash_data(ct->h, &c->key[1], sig[1], &data);
	if (hit >= 0) {
		/* Committed by another PMD, or (NAT) the reply tuple is taken. */
		rte_spinlock_unlock(&ct->wlock);
		ct_slot_free(ct, pm, c);
		if (memcmp(&((struct ct_conn *)((uintptr_t)data & ~(uintptr_t)1))->key[
			   (uintptr_t)data & 1], &p->key, sizeof(p->key)) == 0) {
			*dir = (int)((uintptr_t)data & 1);
			atomic_fetch_sub_explicit(&ct->zone_count[zone], 1, memory_order_relaxed);
			atomic_fetch_sub_explicit(&ct->n_conns, 1, memory_order_relaxed);
			return (struct ct_conn *)((uintptr_t)data & ~(uintptr_t)1);
		}
		*err = -EEXIST;
		goto undo_count;
	}
	if (nat) {
		if (ct_nat_alloc(ct, c, &a->nat_cfg, rk, rsig, &sig[1]) != 0) {
			rte_spinlock_unlock(&ct->wlock);
			ct_slot_free(ct, pm, c);
			pm->st.nat_exhausted++;
			*err = -EADDRNOTAVAIL;
			goto undo_count;
		}
		__atomic_store_n(&ct->n_nat, ct->n_nat + 1, __ATOMIC_RELAXED);
	}
	if (rte_hash_add_key_with_hash_data(ct->h, &c->key[0], sig[0], c) < 0) {
		if (nat)
			__atomic_store_n(&ct->n_nat, ct->n_nat - 1, __ATOMIC_RELAXED);
		rte_spinlock_unlock(&ct->wlock);
		ct_slot_free(ct, pm, c);
		pm->st.table_full++;
		*err = -ENOSPC;
		goto undo_count;
	}
	if (rte_hash_add_key_with_hash_data(ct->h, &c->key[1], sig[1],
					    (void *)((uintptr_t)c | 1)) < 0) {
		/* Readers may already hold c through key[0]: retire it properly. */
		c->in_use = 1;
		ct_kill_locked(ct, c, false, 0, -1);
		rte_spinlock_unlock(&ct->wlock);
		atomic_fetch_add_explicit(&ct->zone_count[zone], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&ct->n_conns, 1, memory_order_relaxed);
		ct_limbo_push(pm, c);
		ct_limbo_seal(ct, pm);
		pm->st.table_full++;
		*err = -ENOSPC;
		goto undo_count;
	}
	__atomic_store_n(&c->in_use, 1, __ATOMIC_RELEASE);
	/* after the adds: a reader of the new generation finds them */
	__atomic_store_n(&ct->add_gen, ct->add_gen + 1, __ATOMIC_RELEASE);
	rte_spinlock_unlock(&ct->wlock);
	b->own++;
	ct_burst_add(b, sig[0]);
	ct_burst_add(b, sig[1]);
	pm->st.committed++;
	*dir = 0;
	*created = true;
	return c;

undo_count:
	atomic_fetch_sub_explicit(&ct->zone_count[zone], 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&ct->n_conns, 1, memory_order_relaxed);
	return NULL;
}

/* SYN on a TIME_WAIT/CLOSE connection with commit: the old one goes. */
static void ct_kill_reopen(struct dp_ct *ct, struct ct_pmd *pm, struct ct_conn *c)
{
	int k;

	if (!ct_limbo_room(pm))
		ct_reclaim(ct, pm, CT_LIMBO);
	if (!ct_limbo_room(pm))
		return; /* the commit below then finds it and reports inv */
	rte_spinlock_lock(&ct->wlock);
	k = ct_kill_locked(ct, c, false, 0, -1);
	rte_spinlock_unlock(&ct->wlock);
	if (k) {
		ct_limbo_push(pm, c);
		ct_limbo_seal(ct, pm);
		pm->st.reopened++;
	}
}

/* ------------------------------------------------------------- process --- */


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

	if (!hit && b->n_sig && ct_burst_added(b, sig))
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

unsigned dp_ct_process(struct dp_ct *ct, unsigned pmd, const struct dp_ct_action *a,
		       struct rte_mbuf *const pkts[], struct dp_flow_key *const keys[],
		       struct dp_ct_result res[], unsigned n, uint64_t now_ms)
{
	struct ct_pmd *pm;
	unsigned n_inv = 0;

	if (unlikely(pmd >= ct->n_pmds)) {
		for (unsigned i = 0; i < n; i++)
			ct_res_none(&res[i], a->zone, DP_CS_TRK | DP_CS_INV);
		return n;
	}
	pm = &ct->pmd[pmd];

	for (unsigned base = 0; base < n; base += CT_BURST) {
		unsigned cnt = RTE_MIN(n - base, (unsigned)CT_BURST), nk = 0;
		struct ct_pkt pk[CT_BURST];
		struct dp_ct_key inner[CT_BURST];
		const void *kp[CT_BURST];
		void *data[CT_BURST];
		hash_sig_t sig[CT_BURST], rsig[CT_BURST];
		struct dp_ct_key rkey[CT_BURST];
		uint8_t slot[CT_BURST];
		uint64_t hits = 0;
		struct ct_burst b = { .own = 0, .n_sig = 0, .bloom = { 0, 0, 0, 0 } };

		for (unsigned i = 0; i < cnt; i++) {
			struct ct_pkt *p = &pk[i];
			ct_classify(p, pkts[base + i], keys[base + i], a->zone);
			slot[i] = UINT8_MAX;
			if (p->kind == CT_PK_TRACK) {
				slot[i] = (uint8_t)nk;
				kp[nk++] = &p->key;
			} else if (p->kind == CT_PK_ICMP_ERR) {
				struct dp_ct_key q;
				/* the quoted packet travelled the other way
				 * (translated, if NAT): its reverse is the key
				 * of the error's own direction */
				if (ct_icmp_inner_key(p, &q) == 0) {
					ct_key_reverse(&q, &inner[i]);
					slot[i] = (uint8_t)nk;
					kp[nk++] = &inner[i];
				} else {
					p->kind = CT_PK_INVALID;
				}
			}
		}
		if (nk) {
			/* one hash per key, reused by a commit's add */
			for (unsigned j = 0; j < nk; j++)
				sig[j] = ct_key_hash(kp[j], sizeof(struct dp_ct_key), 0);
			b.gen0 = __atomic_load_n(&ct->add_gen, __ATOMIC_ACQUIRE);
			rte_hash_lookup_with_hash_bulk_data(ct->h, kp, sig, nk, &hits, data);
			/* all the burst's connections in flight at once: the
			 * first line (all an established UDP/ICMP lookup
			 * reads), and for TCP the keys and windows too */
			for (unsigned j = 0; j < nk; j++)
				if ((hits >> j) & 1) {
					const uint8_t *c = (const uint8_t *)((uintptr_t)data[j] &
									       ~(uintptr_t)1);
					rte_prefetch0(c);
					if (((const struct dp_ct_key *)kp[j])->proto == IPPROTO_TCP) {
						rte_prefetch0(c + RTE_CACHE_LINE_SIZE);
						rte_prefetch0(c + 2 * RTE_CACHE_LINE_SIZE);
						rte_prefetch0(c + 3 * RTE_CACHE_LINE_SIZE);
					}
				}
		}
		/* commit: the misses' reply keys, hashed once, looked up in one
		 * bulk call whose only purpose is to bring their buckets in
		 * (the adds write there); and the connection slots the commits
		 * will take, prefetched for writing */
		uint32_t has_rk = 0;
		if (a->commit && nk != 0 && hits != (nk == 64 ? UINT64_MAX : (1ull << nk) - 1)) {
			const void *rkp[CT_BURST];
			hash_sig_t rsg[CT_BURST];
			void *rd[CT_BURST];
			uint64_t rh;
			unsigned nr = 0;
			for (unsigned i = 0; i < cnt; i++) {
				if (pk[i].kind != CT_PK_TRACK || ((hits >> slot[i]) & 1))
					continue;
				/* NAT: the first candidate's (ct_nat.c) */
				if (!ct_nat_commit(a, &pk[i]))
					ct_key_reverse(&pk[i].key, &rkey[i]);
				else if (ct_nat_first(&pk[i].key, &a->nat_cfg, &rkey[i]) != 0)
					continue;
				rsig[i] = ct_key_hash(&rkey[i], sizeof(rkey[i]), 0);
				rkp[nr] = &rkey[i];
				rsg[nr++] = rsig[i];
				has_rk |= 1u << i;
			}
			if (nr) {
				rte_hash_lookup_with_hash_bulk_data(ct->h, rkp, rsg, nr, &rh, rd);
				for (unsigned j = 0; j < RTE_MIN(nr, pm->n_cache); j++) {
					const uint8_t *c = (const uint8_t *)
						&ct->conns[pm->cache[pm->n_cache - 1 - j]];
					__builtin_prefetch(c, 1, 3);
					__builtin_prefetch(c + RTE_CACHE_LINE_SIZE, 1, 3);
					__builtin_prefetch(c + 2 * RTE_CACHE_LINE_SIZE, 1, 3);
				}
			}
		}
		for (unsigned i = 0; i < cnt; i++) {
			struct ct_pkt *p = &pk[i];
			struct dp_ct_result *r = &res[base + i];
			bool hit = slot[i] != UINT8_MAX && (hits >> slot[i]) & 1;
			void *d = slot[i] != UINT8_MAX ? data[slot[i]] : NULL;

			pm->st.lookups++;
			switch (p->kind) {
			case CT_PK_TRACK: {
				struct ct_conn *c;
				int dir = 0;
				c = ct_one(ct, pm, &b, a, p, sig[slot[i]], d, hit,
					   (has_rk >> i) & 1 ? &rkey[i] : NULL, rsig[i], now_ms, r,
					   &dir);
				if (a->nat)
					ct_nat_do(pm, c, dir, pkts[base + i], p, keys[base + i], r);
				break;
			}
			case CT_PK_ICMP_ERR: {
				struct ct_conn *c = (struct ct_conn *)((uintptr_t)d & ~(uintptr_t)1);
				int dir = (int)((uintptr_t)d & 1);
				if (!hit && b.n_sig && ct_burst_added(&b, sig[slot[i]]))
					hit = rte_hash_lookup_with_hash_data(ct->h, &inner[i],
									     sig[slot[i]], &d) >= 0;
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
					ct_nat_do(pm, c, dir, pkts[base + i], p, keys[base + i], r);
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
	}
	return n_inv;
}
