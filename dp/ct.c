/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct.c — conntrack, the PMD side's table work: connection slots, commit
 * of new connections under the table's write lock, kill and release after
 * a grace period, and incremental expiry.  The burst (classify, one bulk
 * lookup, the lock-free established path, the protocols' updates) is in
 * ct_burst.c.  Table creation, flush, dump and counters are in
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

void ct_apply_action(struct ct_conn *c, const struct dp_ct_action *a)
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

enum ct_upd ct_proto_update(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p, int dir,
			    uint64_t now)
{
	switch (p->key.proto) {
	case IPPROTO_TCP: return ct_tcp_update(ct, c, p, dir, now);
	case IPPROTO_ICMP: case IPPROTO_ICMPV6: return ct_icmp_update(ct, c, p, dir, now);
	default: return ct_other_update(ct, c, p, dir, now);
	}
}

/* Create the connection for p (ct_priv.h). */
struct ct_conn *ct_commit_new(struct dp_ct *ct, struct ct_pmd *pm, struct ct_burst *b,
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

/* ct_priv.h */
void ct_kill_reopen(struct dp_ct *ct, struct ct_pmd *pm, struct ct_conn *c)
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
