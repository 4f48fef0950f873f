/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_priv.h — conntrack internals shared by ct.c and the protocol files
 * (ct_tcp.c, ct_icmp.c, ct_other.c).  Locking rules: see ct.h.
 */
#ifndef WYV_DP_CT_PRIV_H
#define WYV_DP_CT_PRIV_H

#include <assert.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "ct.h"

#define CT_BURST   32
#define CT_LIMBO   1024          /* removed, waiting for a grace period (per PMD) */
#define CT_SLOT_CACHE 32         /* free connection slots cached per PMD */
#define CT_VIEWS   2             /* ct() actions one burst may run at once */

#define CT_AF4 4
#define CT_AF6 6

/* One TCP direction ("peer" = the sender of that direction). */
struct ct_tcp_peer {
	uint32_t end;              /* highest seq + len sent */
	uint32_t maxend;           /* highest seq it may send (peer's ack + win) */
	uint32_t maxwin;           /* largest (scaled) window it advertised */
	uint32_t fin_end;          /* seq just after its FIN, when fin sent */
	uint32_t syn_end;          /* its ISN + 1: an ack >= this acks its SYN */
	uint8_t wscale;            /* its window-scale option (0..14) */
	uint8_t flags;             /* CT_TP_* */
	uint8_t pad[2];
};
#define CT_TP_SEEN    0x01       /* sent at least one packet (fields valid) */
#define CT_TP_WSCALE  0x02       /* sent the window-scale option in its SYN */
#define CT_TP_FIN     0x04       /* sent a FIN */
#define CT_TP_FIN_ACK 0x08       /* its FIN was acked */
#define CT_TP_SYN     0x10       /* sent a SYN */
#define CT_TP_SYN_ACK 0x20       /* its SYN was acked */

/* A connection.  key[0] = original direction, key[1] = reply direction (the
 * reversed original until NAT rewrites it).  Fields after `lock` are read
 * and written under it, except `in_use`/`dead`, which are also written under
 * ct->wlock, and `expires`, which the expiry sweep pre-reads relaxed. */
struct ct_conn {
	/* first line: all that a lock-free established lookup reads
	 * (ct_fast_est: states, mark, label, expires) */
	rte_spinlock_t lock;
	uint8_t in_use;            /* slot holds a committed connection */
	uint8_t dead;              /* removed from the hash; never live again */
	uint8_t proto_state;       /* dp_ct_tcp_state / dp_ct_gen_state */
	uint8_t reply_seen;
	uint64_t expires;          /* ms */
	uint32_t mark;
	uint32_t idx;              /* own slot index */
	uint8_t label[16];
	/* NAT (ct_nat.c): the connection's kind (DP_CT_NAT_SRC/DST, 0: none)
	 * and, per direction d, what a packet of d gets written on its
	 * translated side (ct_nat_side): address and port / ICMP id, network
	 * order.  The reply key key[1] is the translated tuple reversed.  Set
	 * before the hash adds publish the connection, never changed after. */
	uint8_t nat_flags;
	uint8_t sg;                /* DP_CT_SG_*: the policy that admitted it */
	uint16_t nat_port[2];
	uint16_t pad;
	uint32_t nat_addr[2];
	int32_t hpos[2];           /* hash positions, freed after the grace period */
	/* lines 2-4: the keys (commit, kill, expiry, dump, re-validation) and
	 * TCP's per-direction state */
	struct dp_ct_key key[2];
	struct ct_tcp_peer tcp[2];
	uint64_t blocked_until;    /* ms; while mark has DP_CT_MARK_BLOCKED */
} __rte_cache_aligned;

/* Result of a protocol update on an existing connection. */
enum ct_upd { CT_UPD_VALID, CT_UPD_VALID_NEW, CT_UPD_INVALID, CT_UPD_REOPEN };

/* A packet as conntrack sees it, built once. */
struct ct_pkt {
	struct dp_ct_key key;      /* this packet's direction */
	const struct rte_mbuf *m;
	uint32_t l4_off;           /* L4 header offset in m */
	uint32_t l4_len;           /* L4 header + payload bytes (IP length based) */
	uint16_t tcp_flags;        /* host order */
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint8_t kind;              /* CT_PK_* */
};
enum { CT_PK_TRACK, CT_PK_ICMP_ERR, CT_PK_INVALID, CT_PK_NOT_IP, CT_PK_FRAG_LATER };

struct ct_pmd {
	struct dp_ct_stats st;
	uint32_t cache[CT_SLOT_CACHE];
	unsigned n_cache;
	struct { uint32_t idx; uint64_t token; } limbo[CT_LIMBO];
	unsigned limbo_head, limbo_tail; /* tail - head = entries */
} __rte_cache_aligned;

struct dp_ct {
	struct rte_hash *h;
	struct rte_rcu_qsbr *rcu;
	struct ct_conn *conns;
	uint32_t n_slots;
	uint32_t max_conns;
	struct rte_ring *free_slots; /* MP/MC ring of slot indexes */
	rte_spinlock_t wlock;        /* table writers, see ct.h */
	unsigned n_pmds;
	struct ct_pmd *pmd;
	_Atomic uint32_t sweep;      /* shared expiry cursor */
	_Atomic uint32_t n_conns;
	_Atomic uint32_t *zone_count;   /* [65536] */
	uint32_t *zone_limit;           /* [65536], DP_CT_LIMIT_DEFAULT = default */
	uint32_t default_limit;
	bool tcp_liberal;
	struct dp_ct_timeouts to;
	uint64_t flushed;
	uint64_t add_gen;            /* +1 after each commit's adds (under wlock) */
	uint32_t n_nat;              /* live NAT connections (written under wlock) */
	/* re-validation (ct.h): positions of one sweep, under reval_lock */
	rte_spinlock_t reval_lock;
	uint8_t reval_active;        /* relaxed reads by PMDs */
	uint64_t reval_pos;          /* next position to claim */
	uint64_t reval_end_max;      /* the sweep runs while reval_pos < this */
	uint64_t *reval_end;         /* [65536]: positions below it are checked */
	uint32_t *reval_cookie;      /* [65536] */
};

static_assert(sizeof(struct dp_ct_key) == 48 && offsetof(struct dp_ct_key, pad) == 40,
	      "ct_key_hash skips the last 8 bytes: padding");

/* The table's hash: CRC32-C of the key's first 40 bytes (the last 8 are
 * padding, always zero), 5 crc32 instructions where the CPU has them;
 * rte_hash_crc over all 48 costs ~60 instructions with its length loop. */
static inline uint32_t ct_key_hash(const void *key, uint32_t len, uint32_t init)
{
	const uint8_t *p = key;
	uint64_t w;
	uint32_t h = init;
	(void)len;
	for (unsigned i = 0; i < 40; i += 8) {
		memcpy(&w, p + i, 8);
		h = rte_hash_crc_8byte(w, h);
	}
	return h;
}

static_assert(offsetof(struct ct_conn, key) == RTE_CACHE_LINE_SIZE,
	      "a lock-free lookup reads the first cache line only");

static inline uint32_t ct_rd_relaxed(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Bounded read of len bytes at off: a pointer into the mbuf or into buf, or
 * NULL when the packet is shorter.  Hostile data goes through this only. */
static inline const void *ct_read(const struct rte_mbuf *m, uint32_t off, uint32_t len, void *buf)
{
	return rte_pktmbuf_read(m, off, len, buf);
}

/* ct_pkt.c: a packet as conntrack sees it; ct.c: may it open a connection? */
void ct_classify(struct ct_pkt *p, const struct rte_mbuf *m, const struct dp_flow_key *fk,
		 uint16_t zone);
bool ct_valid_new(const struct ct_pkt *p);

static inline void ct_res_conn(struct dp_ct_result *r, const struct ct_conn *c)
{
	r->nat = 0;
	r->mark = c->mark;
	memcpy(r->label, c->label, 16);
}

static inline void ct_res_none(struct dp_ct_result *r, uint16_t zone, uint8_t state)
{
	r->state = state;
	r->nat = 0;
	r->zone = zone;
	r->mark = 0;
	memset(r->label, 0, 16);
}

/* What one burst (of one or two ct() actions: ct_burst.c) knows about the table since its bulk
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
	hash_sig_t sig[2 * CT_VIEWS * CT_BURST]; /* two per commit */
};

static inline void ct_burst_add(struct ct_burst *b, hash_sig_t sig)
{
	b->bloom[(sig >> 30) & 3] |= 1ull << ((sig >> 24) & 63);
	b->sig[b->n_sig++] = sig;
}

static inline bool ct_burst_added(const struct ct_burst *b, hash_sig_t sig)
{
	if (!(b->bloom[(sig >> 30) & 3] & (1ull << ((sig >> 24) & 63))))
		return false;
	for (unsigned i = 0; i < b->n_sig; i++)
		if (b->sig[i] == sig)
			return true;
	return false;
}

/* Does this commit translate (ct.h "NAT")?  IPv4 only. */
static inline bool ct_nat_commit(const struct dp_ct_action *a, const struct ct_pkt *p)
{
	return a->nat && (a->nat_cfg.kind == DP_CT_NAT_SRC || a->nat_cfg.kind == DP_CT_NAT_DST) &&
	       p->key.af == CT_AF4;
}

/* ct.c, for ct_burst.c.  Create the connection for p (its reply key rk
 * with hash rsig brought in already, or NULL).  Returns it, or an existing
 * one another PMD committed meanwhile (*dir set to the packet's direction
 * in it), or NULL with *err (-EDQUOT zone limit, -ENOSPC table full,
 * -EEXIST reply tuple taken, -EADDRNOTAVAIL no NAT tuple free). */
struct ct_conn *ct_commit_new(struct dp_ct *ct, struct ct_pmd *pm, struct ct_burst *b,
			      const struct ct_pkt *p, hash_sig_t sig0,
			      const struct dp_ct_key *rk, hash_sig_t rsig,
			      const struct dp_ct_action *a, uint64_t now, int *dir,
			      bool *created, int *err);
/* SYN on a TIME_WAIT/CLOSE connection with commit: the old one goes. */
void ct_kill_reopen(struct dp_ct *ct, struct ct_pmd *pm, struct ct_conn *c);
/* The protocol's validity of a first packet and its update of an existing
 * connection (dispatch over ct_tcp.c, ct_icmp.c, ct_other.c). */
enum ct_upd ct_proto_update(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p,
			    int dir, uint64_t now);
void ct_apply_action(struct ct_conn *c, const struct dp_ct_action *a);

/* ct.c: caller holds ct->wlock */
int ct_kill_locked(struct dp_ct *ct, struct ct_conn *c, bool only_expired, uint64_t now,
		   int zone);
void ct_release_locked(struct dp_ct *ct, struct ct_conn *c);

/* ct_tcp.c */
bool ct_tcp_valid_new(const struct ct_pkt *p);
void ct_tcp_init(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p, uint64_t now);
enum ct_upd ct_tcp_update(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p, int dir,
			  uint64_t now);

/* ct_other.c: UDP and every protocol tracked by address pair */
bool ct_other_valid_new(const struct ct_pkt *p);
void ct_other_init(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p, uint64_t now);
enum ct_upd ct_other_update(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p, int dir,
			    uint64_t now);

/* ct_icmp.c */
bool ct_icmp_valid_new(const struct ct_pkt *p);
void ct_icmp_init(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p, uint64_t now);
enum ct_upd ct_icmp_update(struct dp_ct *ct, struct ct_conn *c, const struct ct_pkt *p, int dir,
			   uint64_t now);
/* Classify an ICMP/ICMPv6 packet: fills p->key (echo) or marks it an error
 * (CT_PK_ICMP_ERR) or invalid. */
void ct_icmp_classify(struct ct_pkt *p, const struct dp_flow_key *fk);
/* For an ICMP error: build the key of the inner (offending) packet, as the
 * connection saw it.  Returns 0, or -1 when the inner header is missing,
 * truncated, fragmented, itself an ICMP error, or not addressed back. */
int ct_icmp_inner_key(const struct ct_pkt *p, struct dp_ct_key *inner);
/* Reverse a key: swap addresses and ports; ICMP maps request <-> reply. */
void ct_key_reverse(const struct dp_ct_key *k, struct dp_ct_key *r);

/* ct_nat.c.  The side (DP_CT_NAT_SRC/DST) a packet of direction dir of a
 * NAT connection has rewritten: SNAT rewrites the source of the original
 * direction and the destination of replies, DNAT the opposite. */
static inline uint8_t ct_nat_side(const struct ct_conn *c, int dir)
{
	return dir == 0 ? c->nat_flags : (uint8_t)(c->nat_flags ^ (DP_CT_NAT_SRC | DP_CT_NAT_DST));
}
/* Caller holds ct->wlock; c->key[0] is set.  Choose c->key[1] (bounded
 * search, see ct.h "NAT") and fill c's NAT fields; *rsig = key[1]'s hash.
 * rk0 (or NULL): the first candidate's reply key from ct_nat_first, its
 * hash rsig0.
 * Returns 0, -EINVAL (empty range) or -ENOSPC (no free tuple). */
int ct_nat_alloc(const struct dp_ct *ct, struct ct_conn *c, const struct dp_ct_nat *cfg,
		 const struct dp_ct_key *rk0, hash_sig_t rsig0, hash_sig_t *rsig);
/* The first candidate's reply key for original key k (rk0 above: built and
 * its bucket brought in before the lock).  0, or -EINVAL (empty range). */
int ct_nat_first(const struct dp_ct_key *k, const struct dp_ct_nat *cfg, struct dp_ct_key *rk);
/* Rewrite packet m (parsed as p, key fk) of direction dir of NAT
 * connection c; p->kind CT_PK_ICMP_ERR: an error travelling in direction
 * dir, outer and quoted headers.  Returns the sides rewritten (0 if the
 * translation changes nothing), or -1 if a header could not be written. */
int ct_nat_apply(const struct ct_conn *c, int dir, struct rte_mbuf *m, const struct ct_pkt *p,
		 struct dp_flow_key *fk);
/* What ct_nat_apply would return, without writing (trace; no mbuf needed). */
uint8_t ct_nat_would(const struct ct_conn *c, int dir, const struct ct_pkt *p);

static inline uint64_t ct_sec(uint32_t s)
{
	return (uint64_t)s * 1000;
}

#endif
