/* SPDX-License-Identifier: BSD-3-Clause
 * dp/include/tables.h — the match-action tables, and the only way the control
 * side changes them.
 *
 * Threads and ownership:
 *  - ONE writer: every *_put / *_del / dp_tables_* mutator is called from a
 *    single control thread (wyvernd's main lcore).  Nothing here locks.
 *  - Readers: PMD threads (translate on a cache miss) and the control thread
 *    (trace, dumps) call the *_get / lookup functions lock-free.  A PMD must
 *    be registered with the tables' RCU variable (dp_tables_rcu) and report
 *    quiescence between bursts; pointers returned by getters are valid only
 *    until the reader's next quiescent state.
 *  - Writers publish a new version of an object (copy, modify, swap the
 *    pointer), wait for a grace period (rte_rcu_qsbr_synchronize), then free
 *    the old one.  A deleted hash key's slot is also freed after the grace
 *    period.  So a reader sees either the old or the new object, never a torn
 *    one.
 *  - Every mutation reports the dependency tags it touched (DP_TAG_* in
 *    megaflow.h) through the on_change callback AFTER publishing, so that
 *    caches drop exactly the megaflows whose translation read something that
 *    changed.
 *
 * All memory is rte_malloc'ed (hugepage memory when EAL has hugepages).
 */
#ifndef WYV_DP_TABLES_H
#define WYV_DP_TABLES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <rte_ether.h>
#include <rte_rcu_qsbr.h>

#define DP_MAX_PORTS      64     /* dp ports (ethdevs) */
#define DP_LPORT_MAX_MACS 4
#define DP_LPORT_MAX_IPS  8
#define DP_LPORT_MAX_AAPS 8
#define DP_NET_MAX_LOCAL  DP_MAX_PORTS
#define DP_NAME_LEN       64
#define DP_NO_PORT        0xffff
#define DP_NET_MAX_VTEPS  65536  /* sanity bound on one network's flood list */

/* How a network reaches other chassis. */
enum dp_net_type {
	DP_NET_OVERLAY = 0,    /* tunnels (VXLAN/Geneve) with VNI = vni */
	DP_NET_FLAT,           /* provider: untagged on the uplink */
	DP_NET_VLAN,           /* provider: 802.1Q tag vlan on the uplink */
};

/* An address or prefix. family: 4 or 6. addr in network order (IPv4: first
 * 4 bytes). plen: prefix length (32/128 for a host address). */
struct dp_ip {
	uint8_t family;
	uint8_t plen;
	uint8_t addr[16];
};

/* Allowed address pair: source IP in prefix ip, with source MAC mac (all
 * zero: the port's own MACs). */
struct dp_aap {
	struct dp_ip ip;
	struct rte_ether_addr mac;
};

struct dp_network_cfg {
	uint32_t key;          /* unique non-zero datapath key */
	char name[DP_NAME_LEN];
	uint32_t vni;          /* DP_NET_OVERLAY: VNI (0: local only, no tunnels) */
	uint16_t mtu;
	uint8_t type;          /* enum dp_net_type */
	uint16_t vlan;         /* DP_NET_VLAN: 1..4094 */
	/* remote VTEPs (IPv4, network order) hosting ports of this network:
	 * broadcast/unknown/multicast is replicated to each (head-end).  Any
	 * length up to DP_NET_MAX_VTEPS: dp_table_network_put() copies the
	 * list (sorted, duplicates dropped) into the published network, whose
	 * cfg.flood_vteps then points at that copy. */
	uint32_t n_flood_vteps;
	const uint32_t *flood_vteps;
	bool dhcp_v4;          /* DHCPv4 from its ports is answered by the local
				* controller (an IPv4 subnet has enable_dhcp);
				* false: DHCP passes through to the network */
};

/* Published network: cfg plus the derived flood list of local ports. */
struct dp_network {
	struct dp_network_cfg cfg;
	uint16_t n_local;
	uint16_t local_ports[DP_NET_MAX_LOCAL];   /* dp port ids */
	uint32_t local_lports[DP_NET_MAX_LOCAL];  /* their lport keys */
	uint32_t vteps[];      /* storage of cfg.flood_vteps (sorted) */
};

/* The fields are ordered so that little pads them: with one address and
 * no pairs a published lport is 128 bytes, one slot of two cache lines. */
struct dp_lport_cfg {
	uint32_t key;          /* unique non-zero datapath key */
	uint32_t network;      /* network key */
	uint32_t remote_vtep;  /* IPv4 (network order) of the remote chassis' VTEP,
				* 0 when local or unknown (used by the overlay) */
	uint16_t dp_port;      /* local dp port, DP_NO_PORT when not local */
	char name[DP_NAME_LEN];
	uint8_t n_macs, n_ips, n_aaps;
	bool port_security;
	bool admin_up;
	bool dhcp_server;      /* may send DHCP server replies (UDP 67->68,
				* DHCPv6 547->546); port security drops them
				* from other ports (device_owner network:dhcp) */
	bool router;           /* may send IPv6 router advertisements and
				* redirects; port security drops them from
				* other ports (device_owner network:router_*) */
	struct rte_ether_addr macs[DP_LPORT_MAX_MACS];
	/* last: a published lport's allocation ends after its n_aaps pairs,
	 * or with no pairs after its n_ips addresses (most ports: one IPv4
	 * address, 128 bytes instead of 448).  So a published cfg is copied
	 * with dp_lport_cfg_copy and compared with dp_lport_cfg_equal, never
	 * by value or sizeof, and ips[] / aaps[] are read below n_ips /
	 * n_aaps only. */
	struct dp_ip ips[DP_LPORT_MAX_IPS];          /* fixed IPs (host addresses) */
	struct dp_aap aaps[DP_LPORT_MAX_AAPS];
};

/* Bytes of c that are set: everything up to its last used aap, or with no
 * aaps up to its last used ip. */
static inline size_t dp_lport_cfg_size(const struct dp_lport_cfg *c)
{
	if (c->n_aaps == 0) {
		unsigned n = c->n_ips < DP_LPORT_MAX_IPS ? c->n_ips : DP_LPORT_MAX_IPS;
		return offsetof(struct dp_lport_cfg, ips) + n * sizeof(c->ips[0]);
	}
	unsigned n = c->n_aaps < DP_LPORT_MAX_AAPS ? c->n_aaps : DP_LPORT_MAX_AAPS;
	return offsetof(struct dp_lport_cfg, aaps) + n * sizeof(c->aaps[0]);
}
/* *dst = *src for a src that may be a published (trimmed) cfg. */
void dp_lport_cfg_copy(struct dp_lport_cfg *dst, const struct dp_lport_cfg *src);
/* The same cfg, byte for byte (padding included: callers zero their cfg). */
bool dp_lport_cfg_equal(const struct dp_lport_cfg *a, const struct dp_lport_cfg *b);

struct dp_lport {
	struct dp_lport_cfg cfg;
};

struct dp_tables;

typedef void dp_tables_change_cb(void *arg, const uint64_t *tags, unsigned n);

/* Create empty tables. rcu: the QSBR variable PMDs report to (may be NULL in
 * single-threaded tests). on_change: called after each published mutation.
 * NULL + rte_errno on failure. */
struct dp_tables *dp_tables_create(const char *name, struct rte_rcu_qsbr *rcu,
				   dp_tables_change_cb *on_change, void *arg);
void dp_tables_destroy(struct dp_tables *t);
struct rte_rcu_qsbr *dp_tables_rcu(const struct dp_tables *t);

/* ---- writer (control thread) ------------------------------------------- */
/* Insert or replace. -EINVAL: key 0 / bad field; -ENOENT: lport's network
 * missing; -EEXIST: a MAC already owned by another lport in the network,
 * the dp port already bound to another lport, or (network) its VNI / VLAN /
 * flat segment already another network's; -ENOSPC: table full. On any
 * error nothing changed. */
int dp_table_network_put(struct dp_tables *t, const struct dp_network_cfg *cfg);
/* -ENOENT unknown; -EBUSY while lports still reference it. */
int dp_table_network_del(struct dp_tables *t, uint32_t key);
int dp_table_lport_put(struct dp_tables *t, const struct dp_lport_cfg *cfg);
int dp_table_lport_del(struct dp_tables *t, uint32_t key);
/* Extra FDB entries (router MACs, remote ports' MACs added by lport_put are
 * automatic). */
int dp_table_fdb_put(struct dp_tables *t, uint32_t network, const struct rte_ether_addr *mac,
		     uint32_t lport);
int dp_table_fdb_del(struct dp_tables *t, uint32_t network, const struct rte_ether_addr *mac);
/* The dp port was removed: unbind whatever lport referenced it and
 * invalidate DP_TAG_DPPORT of it (megaflows from or to the port). */
void dp_table_port_gone(struct dp_tables *t, uint16_t dp_port);

/* ---- readers (PMD translate, control) ----------------------------------- */
const struct dp_network *dp_table_network_get(const struct dp_tables *t, uint32_t key);
/* Whether vtep (IPv4, network order) is in n's flood list (binary search). */
bool dp_network_has_vtep(const struct dp_network *n, uint32_t vtep);
const struct dp_lport *dp_table_lport_get(const struct dp_tables *t, uint32_t key);
/* lport key bound to a dp port, 0 when none. */
uint32_t dp_table_port_lport(const struct dp_tables *t, uint16_t dp_port);
/* lport key owning mac in network, 0 when none. */
uint32_t dp_table_fdb_lookup(const struct dp_tables *t, uint32_t network,
			     const uint8_t mac[6]);
/* The FDB dependency tag key for (network, mac). */
uint32_t dp_fdb_tag_key(uint32_t network, const uint8_t mac[6]);

/* Iteration for dumps (control thread only). Stop when cb returns non-zero. */
void dp_table_foreach_network(const struct dp_tables *t,
			      int (*cb)(const struct dp_network *n, void *arg), void *arg);
void dp_table_foreach_lport(const struct dp_tables *t,
			    int (*cb)(const struct dp_lport *p, void *arg), void *arg);
void dp_table_foreach_fdb(const struct dp_tables *t,
			  int (*cb)(uint32_t network, const uint8_t mac[6], uint32_t lport,
				    void *arg), void *arg);

/* The L3 tables (tables_l3.h) that extend these tables, NULL when none.
 * Set once by dp_l3_create (control thread); read by translate. */
struct dp_l3;
void dp_tables_set_l3(struct dp_tables *t, struct dp_l3 *l3);
struct dp_l3 *dp_tables_get_l3(const struct dp_tables *t);
/* The security-group ACLs (acl.h) translate consults, NULL when none (no
 * port is filtered).  Set once by dp_create (control thread). */
struct dp_acl;
void dp_tables_set_acl(struct dp_tables *t, struct dp_acl *acl);
struct dp_acl *dp_tables_get_acl(const struct dp_tables *t);
/* The NAT tables (tables_nat.h), NULL when none.  Set once by
 * dp_nat_create (control thread); read by translate. */
struct dp_nat;
void dp_tables_set_nat(struct dp_tables *t, struct dp_nat *nat);
struct dp_nat *dp_tables_get_nat(const struct dp_tables *t);

/* Counts (control thread). */
unsigned dp_tables_n_networks(const struct dp_tables *t);
unsigned dp_tables_n_lports(const struct dp_tables *t);
/* Bytes the published lports take in the DPDK heap (their allocations,
 * without the heap's own element headers). */
size_t dp_tables_lport_bytes(const struct dp_tables *t);

/* Address helpers shared by stages and the CLI. */
bool dp_ip_in_prefix(const struct dp_ip *prefix, uint8_t family, const uint8_t *addr);
int dp_ip_parse(const char *s, struct dp_ip *out);  /* "10.0.0.1", "10.0.0.0/24", v6 */
int dp_ip_format(char *buf, size_t len, const struct dp_ip *ip);

#endif
