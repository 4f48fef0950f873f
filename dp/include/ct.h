/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct.h — connection tracking (conntrack) for the datapath.
 *
 * THREAD SAFETY (read this first: conntrack is the first dp/ structure that
 * PMDs *write*)
 *
 * One table is shared by every PMD of a datapath.  A connection's two
 * directions may arrive on two different PMDs (no symmetric RSS, or a VM and
 * an uplink served by different cores); a shared table makes that case the
 * ordinary one instead of a hand-off protocol.  The alternative, one table
 * per PMD, needs every reply-direction packet that lands on the "wrong" PMD
 * to be forwarded through a ring to the owner, which costs more than the
 * shared lookup it saves (see DESIGN.md, "Conntrack", for the figures:
 * a lock-free read on the shared table costs a few ns more than a plain
 * table, and only commits pay a lock).
 *
 * The table is an rte_hash with RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF and
 * EXT_TABLE.  Each connection is entered twice: its original-direction key
 * and its reply-direction key both point at the same struct (the data word
 * carries the direction in its low bit).  The reply key is stored, not
 * recomputed, so NAT can later make it differ from the reversed original.
 *
 *  - Readers (PMDs, any number, concurrently): lock-free rte_hash lookups.
 *    A reader may hold a connection pointer until its next
 *    rte_rcu_qsbr_quiescent() — which the PMD loop reports once per
 *    iteration (dp/pmd.c).  Connections live in one preallocated array, so a
 *    pointer is always to valid memory; a slot is reused only after an RCU
 *    grace period following its removal from the hash.
 *  - Writers of the *table* (commit of a new connection, expiry, flush,
 *    reopen of a TIME_WAIT connection) serialise on one spinlock, ct->wlock.
 *    The hash's own multi-writer mode would take an equivalent lock inside
 *    rte_hash anyway, and the commit must be "look up both keys again, then
 *    add both" atomically so two PMDs committing the same new connection
 *    (its two first packets on two cores) create it once.  Only commits pay
 *    the lock; established traffic never touches it.
 *  - Writers of a *connection's state* (TCP windows, UDP reply seen, the
 *    expiry time, mark and label): a per-connection rte_spinlock_t, held for
 *    the few dozen cycles of one packet's update.  Two PMDs seeing the two
 *    directions of one TCP connection serialise there; the TCP window check
 *    needs both directions' fields consistent, which atomics alone would not
 *    give.
 *    Exception, the common case of established traffic: a lookup without
 *    commit of a UDP/ICMP/address-pair connection whose both directions
 *    were seen and that is not blocked changes nothing but `expires`; it
 *    reads proto_state, reply_seen, mark, dead with relaxed/acquire loads,
 *    stores `expires` relaxed (the expiry sweep re-checks it under the
 *    locks) and takes no lock.  Those fields never go back (MULTIPLE and
 *    reply_seen stay set); the label is copied unlocked and may be torn by
 *    a concurrent commit changing it (no datapath decision reads it).
 *  - A commit re-looks its original key up under wlock only if some other
 *    writer added anything since its burst's bulk lookup: `add_gen` is
 *    bumped (release) after every commit's adds and read (acquire) before
 *    the bulk lookup.  Its reply key is skipped too only while no NAT
 *    connection exists (`n_nat`, exact under wlock: then every reply key
 *    is its original reversed, so the reverse of an absent key is absent);
 *    a NAT commit looks up every candidate reply key (see DESIGN.md).
 *  - NAT: a connection's translation (its reply key and the per-direction
 *    rewrite) is chosen under wlock at commit, before the hash adds publish
 *    the connection, and never changes: PMDs read it without a lock.  The
 *    rewrite touches only the caller's packet and key.
 *  - Re-validation (dp_ct_revalidate_*): the control thread and the PMDs
 *    claim sweep positions under ct->reval_lock (a few instructions, never
 *    held with another lock); the verdict callback runs with no lock; a
 *    connection is marked blocked under its own lock after checking it is
 *    still the same tuple.
 *  - dp_ct_lookup_ro (trace) takes a connection's lock to read it and
 *    changes nothing.
 *  - Lock order: ct->wlock, then a connection's lock.  Never take wlock while
 *    holding a connection lock.
 *  - A connection is removed ("killed") with wlock and its lock held: `dead`
 *    is set and both keys are deleted in that one critical section.  A reader
 *    that found the connection before the delete sees `dead` under the
 *    connection lock and treats the packet as a miss.  rte_hash key slots are
 *    not freed on delete (LF mode); they and the connection slot are freed
 *    after a grace period: by the same PMD's later dp_ct_expire() call
 *    (tokens from rte_rcu_qsbr_start, checked without blocking), or by the
 *    control thread's flush after rte_rcu_qsbr_synchronize().
 *
 * Who may call what:
 *  - dp_ct_process(), dp_ct_process2(), dp_ct_expire(): a PMD, with its own `pmd` index
 *    (0 <= pmd < params.n_pmds; another index gets every packet TRK|INV),
 *    between two quiescent-state reports.  Two threads must never use the
 *    same index at once.  Nothing here depends on rte_lcore_id(): any
 *    thread may be a PMD, EAL lcore or not.
 *  - dp_ct_revalidate_step(): a PMD, same rules; dp_ct_reval_pending(): any.
 *  - dp_ct_lookup_ro(): the control thread (trace), or any RCU reader.
 *  - Everything else (create/destroy, limits, timeouts, flush, dump, stats,
 *    dp_ct_revalidate_zone):
 *    the control thread, which must NOT be an RCU reader of params.rcu
 *    (flush waits for a grace period).  Config setters are single stores that
 *    PMDs read with relaxed loads; a change applies to the next packet.
 *
 * Time is milliseconds from any monotonic origin, passed in by the caller
 * (`now_ms`), so tests drive a clock and the PMD reads the TSC once per burst.
 */
#ifndef WYV_DP_CT_H
#define WYV_DP_CT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "flow_key.h"

struct dp_ct;

/* One direction of a connection: the hash key.  48 bytes, hashed whole.
 * Addresses and ports in network order; IPv4 uses the first 4 bytes of each
 * address, the rest zero.  ICMP/ICMPv6 echo (and v4 timestamp/info):
 * sport = the identifier, dport = htons(type) of the message this direction
 * carries (request in the original key, reply in the reply key).  Other
 * protocols than TCP/UDP/ICMP: ports zero (tracked by address pair). */
struct dp_ct_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint16_t zone;
	uint8_t proto;
	uint8_t af;            /* 4 or 6 */
	uint32_t pad[2];       /* zero: 48 bytes is a key length rte_hash
				* compares with vector code (40 would be memcmp) */
};

/* Per-state timeouts in seconds (defaults: dp_ct_default_timeouts(), the
 * values OVS's userspace conntrack uses). */
struct dp_ct_timeouts {
	uint32_t tcp_syn_sent;     /* SYN seen, no reply: 30 */
	uint32_t tcp_syn_recv;     /* SYN-ACK seen, handshake not done: 30 */
	uint32_t tcp_established;  /* 86400 */
	uint32_t tcp_fin_wait;     /* one or both FINs, not all acked: 900 */
	uint32_t tcp_time_wait;    /* both FINs acked: 45 */
	uint32_t tcp_close;        /* after a valid RST: 30 */
	uint32_t udp_first;        /* one packet: 60 */
	uint32_t udp_single;       /* several packets, one direction: 60 */
	uint32_t udp_multiple;     /* both directions: 30 */
	uint32_t icmp_first;       /* echo request, no reply: 60 */
	uint32_t icmp_reply;       /* reply seen: 30 */
	uint32_t other_first;      /* other protocols, same three states as UDP */
	uint32_t other_single;
	uint32_t other_multiple;
};

struct dp_ct_params {
	const char *name;          /* unique per process (rte_hash name) */
	uint32_t max_conns;        /* live connections (each = 2 hash entries) */
	unsigned n_pmds;           /* pmd indexes 0..n_pmds-1 */
	int socket_id;             /* SOCKET_ID_ANY is fine */
	struct rte_rcu_qsbr *rcu;  /* the PMDs' QSBR (NULL: no concurrent readers,
				    * removed entries are freed immediately) */
	bool tcp_liberal;          /* accept out-of-window TCP segments */
	uint32_t default_zone_limit; /* 0: unlimited */
	const struct dp_ct_timeouts *timeouts; /* NULL: defaults */
};

/* ---- NAT (IPv4 only: Neutron's floating IPs and router SNAT are IPv4) ----
 * ct(commit, nat(src=...)) / nat(dst=...) on a packet of a NEW connection
 * allocates its translation at commit: the reply key becomes the
 * translated tuple reversed, so replies find the connection.  ct(nat)
 * (action.nat set, any kind) on any packet of a connection that has a
 * translation applies it to that packet's direction: the mbuf is
 * rewritten (addresses, ports or ICMP id, IPv4 and L4 checksums updated
 * incrementally, an ICMP error's inner header too) and so is the caller's
 * key, so a recirculated pass matches the translated packet.
 *
 * Allocation (dp/ct_nat.c), under the table's write lock, bounded: at most
 * DP_CT_NAT_TRIES candidate reply tuples are looked up.  The first keeps
 * the original address when it is in the range (else one chosen by a hash
 * of the addresses) and the original port when it is in the range (or the
 * range is 0-0); the others are hashes of the tuple over the whole
 * address x port space, or every tuple in turn when the space holds no
 * more than DP_CT_NAT_TRIES.  The "port" is the TCP/UDP port of the
 * translated side, or the ICMP query identifier; other protocols translate
 * the address only.  Ports 0-0: SNAT keeps the original port when free,
 * else takes one of 1024-65535; DNAT keeps the destination port.  ICMP
 * identifiers ignore the port range: SNAT keeps the identifier when free,
 * else takes one of 0-65535; DNAT keeps it.  No free candidate (or an empty range, addr_min 0):
 * the packet gets ct_state TRK|INV, nothing is committed, and
 * `nat_exhausted` counts it.  A connection's translation is made once, at
 * its commit; a later commit with another nat() does not change it.
 * IPv6 packets are committed without a translation (nat ignored).
 *
 * Applying: the mbuf must be writable (direct, refcount 1: ct() runs at the
 * head of a megaflow's actions, before any clone).  Packets given INV are
 * never rewritten.  The caller's key gets ip_src/ip_dst and, for TCP/UDP,
 * tp_src/tp_dst (an ICMP identifier is not in the key).  An ICMP error
 * RELATED to a NAT connection: the outer address of the translated side
 * is rewritten (SNAT: the source of an original-direction error, the
 * destination of a reply-direction one; DNAT the opposite), the quoted
 * packet is translated back (its address, port or identifier, its IPv4
 * header checksum, its UDP/TCP checksum when the quote holds it) and the
 * ICMP checksum follows every change, all incrementally (RFC 1624).  UDP
 * checksum 0 (none) stays 0.  A header that cannot be rewritten (split
 * across mbuf segments) makes the packet INV, counted `nat_failed`.
 * Without action.nat, NAT connections are tracked and packets are left
 * as they are (as OVS). */
#define DP_CT_NAT_TRIES 32
#define DP_CT_NAT_SRC 0x01
#define DP_CT_NAT_DST 0x02
struct dp_ct_nat {
	uint8_t kind;              /* 0: apply an existing translation only;
				    * DP_CT_NAT_SRC / DP_CT_NAT_DST: also create one
				    * on commit of a new connection */
	uint32_t addr_min;         /* network order */
	uint32_t addr_max;         /* network order; == addr_min for one address */
	uint16_t port_min;         /* host order; 0 and 0: SNAT keeps the original
				    * port when free, else any of the protocol's
				    * range; DNAT keeps the original port */
	uint16_t port_max;
};

/* The ct() action's arguments. */
struct dp_ct_action {
	uint16_t zone;
	bool commit;               /* create the connection if new and valid */
	bool set_mark;             /* on commit: mark = (mark & ~mask) | value */
	bool set_label;            /* on commit: label likewise, bytewise */
	uint8_t sg_dir;            /* on commit: which policy admitted the
				    * connection (DP_CT_SG_*; kept from the first
				    * commit), for re-validation */
	uint32_t mark;
	uint32_t mark_mask;
	uint8_t label[16];
	uint8_t label_mask[16];
	bool nat;                  /* ct(nat...): see "NAT" above */
	struct dp_ct_nat nat_cfg;
};

#define DP_CT_SG_NONE    0
#define DP_CT_SG_EGRESS  1       /* the egress ACL of the zone's port */
#define DP_CT_SG_INGRESS 2       /* its ingress ACL */

/* What conntrack tells the datapath about one packet (the datapath copies
 * state, zone, mark and label into its key). */
struct dp_ct_result {
	uint8_t state;             /* DP_CS_* from flow_key.h; always has
				    * DP_CS_TRK (non-IP packets: TRK|INV) */
	uint8_t nat;               /* what was rewritten in this packet:
				    * DP_CT_NAT_SRC its source (address, port or
				    * ICMP id), DP_CT_NAT_DST its destination; an
				    * ICMP error: its outer header's side.  0: not
				    * rewritten.  (A SNAT connection's replies get
				    * DST, a DNAT connection's replies SRC.)
				    * dp_ct_lookup_ro: what would be rewritten. */
	uint16_t zone;
	uint32_t mark;
	uint8_t label[16];
};

/* Counters, per PMD, summed by dp_ct_stats_get(). */
struct dp_ct_stats {
	uint64_t lookups;          /* IP packets looked up */
	uint64_t committed;        /* connections created */
	uint64_t established;      /* connections that saw their first reply */
	uint64_t invalid;          /* packets given ct_state inv */
	uint64_t related;          /* ICMP errors matched to a connection */
	uint64_t expired;          /* connections removed by expiry */
	uint64_t over_limit;       /* commits refused: zone limit */
	uint64_t table_full;       /* commits refused: no free connection */
	uint64_t reopened;         /* TIME_WAIT/CLOSE connections reopened by SYN */
	uint64_t frag_later;       /* non-first fragments (inv, not reassembled) */
	uint64_t flushed;          /* connections removed by flush (control) */
	uint64_t reval_checked;    /* connections re-validated against a new policy */
	uint64_t blocked;          /* connections blocked by re-validation */
	uint64_t conns;            /* live connections now */
	uint64_t limbo;            /* removed, waiting for a grace period */
	uint64_t nat_conns;        /* live connections with a translation now */
	uint64_t nat_exhausted;    /* NAT commits refused: no free tuple (inv) */
	uint64_t nat_rewritten;    /* packets rewritten by NAT */
	uint64_t nat_failed;       /* packets not rewritable (inv), see "NAT" */
};

/* TCP states (the connection's, not a peer's); UDP/other/ICMP states. */
enum dp_ct_tcp_state {
	DP_CT_TCP_SYN_SENT, DP_CT_TCP_SYN_RECV, DP_CT_TCP_ESTABLISHED,
	DP_CT_TCP_FIN_WAIT, DP_CT_TCP_TIME_WAIT, DP_CT_TCP_CLOSE,
};
enum dp_ct_gen_state { DP_CT_GEN_FIRST, DP_CT_GEN_SINGLE, DP_CT_GEN_MULTIPLE };

/* One connection as dumped. */
struct dp_ct_entry {
	struct dp_ct_key orig;
	struct dp_ct_key reply;
	uint16_t zone;
	uint8_t proto;
	uint8_t proto_state;       /* enum dp_ct_tcp_state or dp_ct_gen_state */
	bool reply_seen;
	uint32_t mark;
	uint8_t label[16];
	uint32_t timeout_left_ms;
	uint8_t nat;               /* DP_CT_NAT_SRC/DST: the connection's
				    * translation; reply is then the translated
				    * tuple reversed, not orig reversed */
};

/* Fill *t with the defaults. */
void dp_ct_default_timeouts(struct dp_ct_timeouts *t);

/* Create a table.  Returns NULL and sets rte_errno (EINVAL, ENOMEM, EEXIST). */
struct dp_ct *dp_ct_create(const struct dp_ct_params *p);

/* Free everything.  No PMD may be using the table.  NULL is fine. */
void dp_ct_destroy(struct dp_ct *ct);

/**
 * Track a burst: the ct(zone, commit[, mark/label]) action.
 * @param pmd   the caller's PMD index
 * @param a     the action (same for the whole burst)
 * @param pkts  the packets: l2_len and l3_len set by dp_parse() (TCP
 *              seq/ack/window/options and ICMP error bodies are read from the
 *              mbuf, bounds-checked against pkt_len)
 * @param keys  their parsed flow keys (addresses, ports, proto, tcp_flags,
 *              ICMP type/code, ip_frag); a packet NAT rewrites has its key's
 *              ip_src/ip_dst/tp_src/tp_dst rewritten too (see "NAT")
 * @param res   out: one result per packet
 * @param n     burst size (any; processed in chunks of 32)
 * @param now_ms the caller's clock
 * Returns the number of packets whose state includes DP_CS_INV.
 */
unsigned dp_ct_process(struct dp_ct *ct, unsigned pmd, const struct dp_ct_action *a,
		       struct rte_mbuf *const pkts[], struct dp_flow_key *const keys[],
		       struct dp_ct_result res[], unsigned n, uint64_t now_ms);

/**
 * Two ct() actions on the same burst, as a security-group pass between two
 * stateful ports emits them (ct(zone=source), ct(zone=destination)): each
 * packet is classified once and both zones' keys go into one bulk lookup.
 * The same as dp_ct_process(a0) then dp_ct_process(a1) on the same keys
 * (processed in chunks of 32, a0's then a1's; only who is refused when the
 * whole table fills may differ); with a NAT action, or one zone twice over
 * more than 32 packets, it is exactly that.  res0/res1: a result per packet for each action.  Returns the
 * invalid results of both together.
 */
unsigned dp_ct_process2(struct dp_ct *ct, unsigned pmd, const struct dp_ct_action *a0,
			const struct dp_ct_action *a1, struct rte_mbuf *const pkts[],
			struct dp_flow_key *const keys[], struct dp_ct_result res0[],
			struct dp_ct_result res1[], unsigned n, uint64_t now_ms);

/**
 * Incremental expiry: examine at most `budget` connection slots (shared
 * cursor over the table, so any active PMD sweeps everything), remove those
 * whose timeout passed, and free earlier removals whose grace period ended.
 * Never blocks.  Returns the number of connections removed by this call.
 */
unsigned dp_ct_expire(struct dp_ct *ct, unsigned pmd, uint64_t now_ms, unsigned budget);

/* Control thread. */
int dp_ct_set_timeouts(struct dp_ct *ct, const struct dp_ct_timeouts *t);
void dp_ct_get_timeouts(const struct dp_ct *ct, struct dp_ct_timeouts *t);
void dp_ct_set_tcp_liberal(struct dp_ct *ct, bool on);
/* limit 0: unlimited for that zone (the default limit is used until a zone
 * gets its own; dp_ct_set_zone_limit(ct, zone, DP_CT_LIMIT_DEFAULT) reverts). */
#define DP_CT_LIMIT_DEFAULT UINT32_MAX
int dp_ct_set_zone_limit(struct dp_ct *ct, uint16_t zone, uint32_t limit);
void dp_ct_set_default_limit(struct dp_ct *ct, uint32_t limit);
uint32_t dp_ct_zone_count(const struct dp_ct *ct, uint16_t zone);
void dp_ct_stats_get(const struct dp_ct *ct, struct dp_ct_stats *out);

/* Remove every connection of `zone` (zone < 0: all), wait for a grace period
 * and free them.  Returns the number removed.  Control thread only. */
int dp_ct_flush(struct dp_ct *ct, int zone);

/* Dump: call with *cursor = 0; each call returns 1 and fills *e with the next
 * live connection (of `zone`, or any if zone < 0), or 0 at the end.  A
 * connection created or removed during the walk may be missed or seen; each
 * entry is a consistent snapshot.  Control thread. */
int dp_ct_dump_next(const struct dp_ct *ct, int zone, uint32_t *cursor, uint64_t now_ms,
		    struct dp_ct_entry *e);

/* ---- re-validation after a policy change ---------------------------------
 * When the rules of a zone's port change, the control thread calls
 * dp_ct_revalidate_zone() (after publishing the new rules); PMDs then call
 * dp_ct_revalidate_step() every loop iteration while dp_ct_reval_pending()
 * says so.  Each step claims the next `budget` slots of one shared sweep
 * (under ct->reval_lock, a few instructions) and asks `allowed` about each
 * live connection of a zone to re-validate, committed with a sg_dir, and not
 * blocked yet: its original-direction key, the zone's cookie and sg_dir.  One
 * that is no longer allowed gets DP_CT_MARK_BLOCKED in its mark (which the
 * datapath copies into ct_mark: the security-group stage drops it as
 * `ct-blocked` unless a rule allows it again, and a commit clears the bit)
 * and expires DP_CT_BLOCKED_TIMEOUT_S later at the most, whatever traffic
 * it sees.  A request covers every slot from the sweep position it was made
 * at, one full turn of the table: ceil(slots / budget) steps, shared by the
 * running PMDs.  `allowed` runs without any conntrack lock held. */
#define DP_CT_BLOCKED_TIMEOUT_S 10
typedef bool dp_ct_allowed_cb(void *arg, uint32_t cookie, const struct dp_ct_key *orig,
			      uint8_t sg_dir);
/* Control thread: re-validate `zone`; cookie is handed to `allowed`. */
void dp_ct_revalidate_zone(struct dp_ct *ct, uint16_t zone, uint32_t cookie);
/* Any thread: a sweep is under way (one relaxed load). */
bool dp_ct_reval_pending(const struct dp_ct *ct);
/* A PMD (same rules as dp_ct_expire), between quiescent reports: one step.
 * Returns the number of connections blocked by it. */
unsigned dp_ct_revalidate_step(struct dp_ct *ct, unsigned pmd, uint64_t now_ms, unsigned budget,
			       dp_ct_allowed_cb *allowed, void *arg);

/* Read-only lookup for trace (control thread or any RCU reader): what
 * conntrack would say about the packet in `zone` right now, without
 * creating, updating or refreshing anything.  m: the packet (l2_len and
 * l3_len set) or NULL (a flow written as text: ICMP echo identifiers and
 * error bodies are then unknown, lengths are assumed valid).  TCP windows
 * are not checked.  Fills *res (res->nat: what ct(nat) would rewrite in
 * this packet; nothing is rewritten); *e with the connection when one was
 * found (e->nat, e->reply: its translation).  Returns 1 when a connection
 * was found, 0 when not. */
int dp_ct_lookup_ro(const struct dp_ct *ct, uint16_t zone, const struct rte_mbuf *m,
		    const struct dp_flow_key *fk, struct dp_ct_result *res,
		    struct dp_ct_entry *e);

/* "tcp 10.0.0.1:1234->10.0.0.2:80" style, for tests and tools. */
int dp_ct_key_fmt(const struct dp_ct_key *k, char *buf, size_t len);

#endif
