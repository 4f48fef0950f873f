/* SPDX-License-Identifier: BSD-3-Clause
 * dp/include/tables_nat.h — the NAT tables: router gateways on external
 * networks and floating IPs translated on this chassis (distributed DNAT/SNAT).
 *
 * Objects (all IPv4; addresses in network order):
 *  - gateway (key: router): the router's gateway rport on the external
 *    network, that network, the next hop upstream (the external subnet's
 *    gateway_ip) and its MAC once resolved (zero: unresolved), and the
 *    router's NAT conntrack zone.  The zone is allocated here from the ACL
 *    table's zone space (dp_acl_zone_alloc), so it never collides with a
 *    port's security-group zone; it is freed when the gateway goes.
 *    With snat_ip set it is also indexed by (network, snat_ip) (ARP, the
 *    replies of SNATed connections) and (network, snat_mac) (L2).  On the
 *    gateway chassis of gateway SNAT, snat_ip is the router's gateway IP;
 *    on the others gw_vtep names that chassis.
 *  - floating IP (key: external network + FIP): router, the bound local
 *    lport, its fixed IP, and the MAC the FIP answers ARP with (stable per
 *    chassis and port: the controller derives it).  Indexed three ways:
 *    (network, FIP) for DNAT and ARP, (router, fixed IP) for SNAT, and
 *    (network, MAC) for L2 (a frame to the FIP's MAC is routed).
 *
 * Threads and RCU: ONE writer (the control thread), lock-free readers (PMD
 * translate, trace).  Entries are immutable; a put replaces the pointer in
 * every index, frees the old after rte_rcu_qsbr_synchronize.  Every mutation
 * reports its tags through on_change after publishing:
 *   DP_TAG(DP_TAG_NAT_RTR, router)    anything of the router changed
 *   DP_TAG(DP_TAG_ROUTER, router)     a gateway put or deleted (every routed
 *                                     megaflow has it: those that did not
 *                                     leave by a gateway read no NAT tag)
 *   DP_TAG(DP_TAG_NAT_NET, network)   a gateway/FIP on that external network
 *   DP_TAG_FDB(network, FIP MAC)      L2's miss megaflows for that MAC
 */
#ifndef WYV_DP_TABLES_NAT_H
#define WYV_DP_TABLES_NAT_H

#include <stdint.h>
#include <rte_ether.h>
#include <rte_rcu_qsbr.h>

#include "tables.h"

/* Tag types above enum dp_tag_type and DP_TAG_NEIGH (tables_l3.h). */
#define DP_TAG_NAT_RTR 0x11
#define DP_TAG_NAT_NET 0x12

struct dp_nat_gw_cfg {
	uint32_t router;
	uint32_t rport;         /* the gateway rport (on network) */
	uint32_t network;       /* external (provider) network */
	uint32_t nexthop;       /* upstream gateway IPv4, 0: none */
	struct rte_ether_addr nexthop_mac; /* zero: not resolved yet */
	struct rte_ether_addr arp_mac; /* this chassis' resolver MAC on network: ARP
					* replies to it are punted (DP_PUNT_EXT_ARP);
					* zero: none */
	uint16_t zone;          /* set by dp_nat_gw_put (output only) */
	/* Distributed SNAT: this chassis' own external address for the router
	 * (0: none, a VM without a floating IP is dropped no-nat), the MAC it
	 * answers ARP with and sends from, and the source port range
	 * (host order; 0/0: 1024-65535). */
	uint32_t snat_ip;
	struct rte_ether_addr snat_mac;
	uint16_t snat_port_min, snat_port_max;
	/* Gateway SNAT on another chassis: its VTEP (IPv4, network order).
	 * A VM here without a floating IP going out by this gateway is sent,
	 * unrouted, over the overlay to it (stage_nat.c, stage_output.c), and
	 * that VTEP may send this router's routed replies into its networks
	 * (stage_classify_uplink.c).  0: none. */
	uint32_t gw_vtep;
	/* Gateway SNAT here: the router's VMs on other chassis send their
	 * external traffic to this chassis over the overlay (a tunnelled
	 * packet may be routed out and SNATed to snat_ip); false: only local
	 * VMs are SNATed (distributed SNAT). */
	bool serves_overlay;
};

struct dp_nat_fip_cfg {
	uint32_t network;       /* external network */
	uint32_t fip;           /* floating IPv4 */
	uint32_t router;
	uint32_t lport;         /* the bound port (local to this chassis) */
	uint32_t fixed;         /* its fixed IPv4 */
	struct rte_ether_addr mac;
};

struct dp_nat;

/* Create empty NAT tables attached to t (dp_nat_find(t) returns them).
 * NULL + rte_errno on failure. */
struct dp_nat *dp_nat_create(const char *name, struct dp_tables *t, struct rte_rcu_qsbr *rcu,
			     dp_tables_change_cb *on_change, void *arg);
void dp_nat_destroy(struct dp_nat *n);
struct dp_nat *dp_nat_find(const struct dp_tables *t);

/* ---- writer (control thread) ----------------------------------------- */
/* Add or replace the gateway of cfg->router (the zone is kept on replace).
 * -EINVAL bad cfg (router/rport/network 0, snat_ip without a unicast
 * snat_mac, port range min > max); -EEXIST snat_ip/snat_mac/arp_mac is
 * another gateway's or a floating IP's; -ENOSPC no zone left. */
int dp_nat_gw_put(struct dp_nat *n, const struct dp_nat_gw_cfg *cfg);
/* Returns the zone it freed (for the caller to flush), or -ENOENT. */
int dp_nat_gw_del(struct dp_nat *n, uint32_t router);
/* Add or replace (same network + fip).  -EINVAL bad cfg; -EEXIST the
 * (router, fixed) pair or the (network, MAC) is another FIP's. */
int dp_nat_fip_put(struct dp_nat *n, const struct dp_nat_fip_cfg *cfg);
int dp_nat_fip_del(struct dp_nat *n, uint32_t network, uint32_t fip);

/* ---- readers (any thread; PMDs under RCU) ------------------------------ */
const struct dp_nat_gw_cfg *dp_nat_gw_get(const struct dp_nat *n, uint32_t router);
/* The gateway whose arp_mac on network is mac, or NULL. */
const struct dp_nat_gw_cfg *dp_nat_gw_by_arp_mac(const struct dp_nat *n, uint32_t network,
						 const uint8_t mac[6]);
/* The gateway whose SNAT address (resp. SNAT MAC) on network is that. */
const struct dp_nat_gw_cfg *dp_nat_gw_by_snat_ip(const struct dp_nat *n, uint32_t network,
						 uint32_t ip);
const struct dp_nat_gw_cfg *dp_nat_gw_by_snat_mac(const struct dp_nat *n, uint32_t network,
						  const uint8_t mac[6]);
const struct dp_nat_fip_cfg *dp_nat_fip_by_ext(const struct dp_nat *n, uint32_t network,
					       uint32_t fip);
const struct dp_nat_fip_cfg *dp_nat_fip_by_fixed(const struct dp_nat *n, uint32_t router,
						 uint32_t fixed);
const struct dp_nat_fip_cfg *dp_nat_fip_by_mac(const struct dp_nat *n, uint32_t network,
					       const uint8_t mac[6]);
/* Iteration (control thread); stop when cb returns non-zero. */
void dp_nat_foreach_gw(const struct dp_nat *n,
		       int (*cb)(const struct dp_nat_gw_cfg *g, void *arg), void *arg);
void dp_nat_foreach_fip(const struct dp_nat *n,
			int (*cb)(const struct dp_nat_fip_cfg *f, void *arg), void *arg);

#endif
