/* SPDX-License-Identifier: BSD-3-Clause
 * dp/include/tables_l3.h — the L3 tables: routers (with their FIBs), router ports,
 * router MACs and the neighbor table.
 *
 * Keys: a router port ("rport") has a datapath key in the SAME key space as
 * logical ports, so the FDB-like router-MAC table maps (network, rport MAC)
 * -> rport key and L2 lookup finds it the way it finds an lport.  The
 * controller derives rport keys as DP_RPORT_KEY(router dp_key, interface
 * index) (high bit set, never an lport's dp_key); static `wyctl rport add`
 * takes any key that no lport uses.  dp_l3_rport_get() tells the two apart.
 *
 * Objects:
 *  - router: cfg, its rports, its extra routes, and the FIBs built from the
 *    rports' prefixes (connected) and the routes: rte_fib (DIR24_8) for IPv4,
 *    rte_fib6 (TRIE) for IPv6.  A FIB's next hop is an index into the
 *    router's next-hop array {out rport, gateway or none}.  rte_fib has no
 *    RCU integration in DPDK 22.11, so any change builds a NEW router object
 *    with NEW FIBs, swaps the pointer, and frees the old after a grace period.
 *  - rport: cfg {router, network, MAC, addresses with their prefix length}.
 *  - rmac: (network, MAC) -> rport key.
 *  - neighbor: (network, IP) -> its owner, an lport or rport key; a lookup
 *    gives {the owner's MAC as published now, key, router}: every lport fixed
 *    IP (derived automatically from the lport table: its put and delete
 *    call dp_l3_lport_changed) and every rport address (plus the rport's IPv6
 *    link-local when it has an IPv6 address).  L3 uses it for the next hop's
 *    MAC (no ARP for known ports); the ARP/ND responder answers from it.
 *
 * Threads and RCU: exactly as tables.h — ONE writer (the control thread),
 * lock-free readers (PMD translate, control), immutable published objects,
 * frees after rte_rcu_qsbr_synchronize.  Every mutation reports the tags it
 * touched through on_change AFTER publishing:
 *   router objects   DP_TAG_ROUTER(router key)
 *   rports           DP_TAG_LPORT(rport key) + DP_TAG_ROUTER(router)
 *   rmac entries     DP_TAG_FDB(dp_fdb_tag_key(network, mac)) — same tag as
 *                    an FDB entry, since L2 lookup reads both
 *   neighbors        DP_TAG_NEIGH(dp_neigh_tag_key(network, ip))
 */
#ifndef WYV_DP_TABLES_L3_H
#define WYV_DP_TABLES_L3_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <rte_ether.h>
#include <rte_rcu_qsbr.h>

#include "tables.h"

/* Neighbor entries get their own tag type, above enum dp_tag_type. */
#define DP_TAG_NEIGH 0x10

#define DP_RPORT_MAX_IPS      8
#define DP_ROUTER_MAX_RPORTS  16
#define DP_ROUTER_MAX_ROUTES  64
#define DP_ROUTER_MAX_NH      (DP_ROUTER_MAX_ROUTES + DP_ROUTER_MAX_RPORTS * DP_RPORT_MAX_IPS + 1)

/* Controller-derived rport key: high bit, 24 bits of router key, 7 of index. */
#define DP_RPORT_KEY(router, idx) \
	(0x80000000u | (((uint32_t)(router) & 0xffffffu) << 7) | ((uint32_t)(idx) & 0x7fu))

/* RA modes of an rport's IPv6 prefixes (Neutron ipv6_ra_mode/address_mode). */
enum dp_ra_mode {
	DP_RA_NONE = 0,
	DP_RA_SLAAC,            /* A=1 */
	DP_RA_DHCPV6_STATELESS, /* A=1, O=1 */
	DP_RA_DHCPV6_STATEFUL,  /* M=1, A=0 */
};

struct dp_router_cfg {
	uint32_t key;
	char name[DP_NAME_LEN];
};

/* A router port address: addr is the router's own address (host bits
 * kept), plen the connected prefix length. */
struct dp_rport_cfg {
	uint32_t key;
	uint32_t router;
	uint32_t network;
	char name[DP_NAME_LEN];
	struct rte_ether_addr mac;
	uint8_t n_ips;
	uint8_t ra_mode;        /* enum dp_ra_mode, for its IPv6 prefixes */
	struct dp_ip ips[DP_RPORT_MAX_IPS];
};

struct dp_rport {
	struct dp_rport_cfg cfg;
};

/* An extra route: prefix -> gateway (gw.family 0: none) and/or out rport
 * (0: the rport whose connected prefix holds the gateway). */
struct dp_route_cfg {
	struct dp_ip prefix;    /* canonical (host bits clear) */
	struct dp_ip gw;
	uint32_t rport;
};

/* FIB next hop (index 0 = no route). */
struct dp_l3_nh {
	uint32_t rport;         /* out rport key */
	uint8_t family;
	uint8_t plen;           /* of the route that made it */
	uint8_t connected;      /* gw = the destination itself */
	uint8_t pad;
	uint8_t prefix[16];     /* the route's prefix */
	uint8_t gw[16];
};

struct rte_fib;
struct rte_fib6;

/* Published router (immutable). */
struct dp_router {
	struct dp_router_cfg cfg;
	uint16_t n_rports, n_routes, n_nh;
	uint32_t rports[DP_ROUTER_MAX_RPORTS];
	struct dp_route_cfg routes[DP_ROUTER_MAX_ROUTES];
	struct rte_fib *fib4;   /* NULL while the router has no IPv4 route */
	struct rte_fib6 *fib6;
	struct dp_l3_nh nh[DP_ROUTER_MAX_NH];
};

struct dp_neigh {
	struct rte_ether_addr mac;
	uint32_t lport;         /* lport or rport key */
	uint32_t router;        /* non-zero: lport is a port of this router */
};

struct dp_l3;

/* Create empty L3 tables attached to t (dp_l3_find(t) returns them).
 * NULL + rte_errno on failure. */
struct dp_l3 *dp_l3_create(const char *name, struct dp_tables *t, struct rte_rcu_qsbr *rcu,
			   dp_tables_change_cb *on_change, void *arg);
void dp_l3_destroy(struct dp_l3 *l3);
/* The L3 tables attached to t, NULL when none (lock-free; any thread). */
struct dp_l3 *dp_l3_find(const struct dp_tables *t);

/* ---- writer (control thread) ------------------------------------------- */
/* -EINVAL bad cfg; -EEXIST key used by an lport; -ENOSPC. */
int dp_l3_router_put(struct dp_l3 *l3, const struct dp_router_cfg *cfg);
/* -ENOENT; -EBUSY while rports reference it. */
int dp_l3_router_del(struct dp_l3 *l3, uint32_t key);
/* -ENOENT router or network missing; -EEXIST key is an lport's or MAC taken
 * in the network, or another rport of the router is on that network;
 * -ENOSPC router has DP_ROUTER_MAX_RPORTS; -EINVAL bad cfg. */
int dp_l3_rport_put(struct dp_l3 *l3, const struct dp_rport_cfg *cfg);
int dp_l3_rport_del(struct dp_l3 *l3, uint32_t key);
/* Add or replace (same prefix) an extra route. -ENOENT router/rport;
 * -ENOSPC; -EINVAL. */
int dp_l3_route_put(struct dp_l3 *l3, uint32_t router, const struct dp_route_cfg *r);
int dp_l3_route_del(struct dp_l3 *l3, uint32_t router, const struct dp_ip *prefix);
/* A batch of router, router port and route changes: between begin and end
 * each router changed is republished without building its FIBs (it routes
 * as before the batch, the new prefixes not yet), and end builds each one
 * once (a router with 11 ports put one by one: 1 build instead of 11).
 * end returns the last build's error (that router keeps its old FIBs). */
void dp_l3_batch_begin(struct dp_l3 *l3);
int dp_l3_batch_end(struct dp_l3 *l3);
/* The lport table put (nw, old: what it replaced or NULL) or deleted (nw
 * NULL) lport key: its neighbor entries follow its addresses.  Called by
 * tables.c on the writer thread, with old still readable; not by users. */
void dp_l3_lport_changed(struct dp_l3 *l3, uint32_t key, const struct dp_lport_cfg *old,
			 const struct dp_lport_cfg *nw);

/* ---- readers ----------------------------------------------------------- */
const struct dp_router *dp_l3_router_get(const struct dp_l3 *l3, uint32_t key);
const struct dp_rport *dp_l3_rport_get(const struct dp_l3 *l3, uint32_t key);
uint32_t dp_l3_rmac_lookup(const struct dp_l3 *l3, uint32_t network, const uint8_t mac[6]);
/* family 4 or 6; ip network order.  Fills *out (the owner's MAC as it is
 * published now) and returns true; false when unknown. */
bool dp_l3_neigh_get(const struct dp_l3 *l3, uint32_t network, uint8_t family, const uint8_t *ip,
		     struct dp_neigh *out);
uint32_t dp_neigh_tag_key(uint32_t network, uint8_t family, const uint8_t *ip);
/* LPM: next hop for ip (network order) or NULL. */
const struct dp_l3_nh *dp_l3_route_lookup(const struct dp_router *r, uint8_t family,
					  const uint8_t *ip);
/* The router address ip is, or NULL (any family). */
const struct dp_rport *dp_l3_router_owns(const struct dp_l3 *l3, const struct dp_router *r,
					 uint8_t family, const uint8_t *ip);
/* The rport of router r on network, or NULL. */
const struct dp_rport *dp_l3_router_rport_on(const struct dp_l3 *l3, const struct dp_router *r,
					     uint32_t network);

/* Iteration (control thread). */
void dp_l3_foreach_router(const struct dp_l3 *l3,
			  int (*cb)(const struct dp_router *r, void *arg), void *arg);
void dp_l3_foreach_rport(const struct dp_l3 *l3,
			 int (*cb)(const struct dp_rport *p, void *arg), void *arg);
void dp_l3_foreach_neigh(const struct dp_l3 *l3,
			 int (*cb)(uint32_t network, uint8_t family, const uint8_t *ip,
				   const struct dp_neigh *n, void *arg), void *arg);
unsigned dp_l3_n_routers(const struct dp_l3 *l3);

/* fe80::/64 + modified EUI-64 of mac. */
void dp_l3_eui64_ll(uint8_t out[16], const uint8_t mac[6]);

#endif
