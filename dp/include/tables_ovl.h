/* SPDX-License-Identifier: BSD-3-Clause
 * dp/include/tables_ovl.h — the overlay: this chassis' VTEP on an uplink port, and
 * the underlay neighbors (remote VTEPs: IPv4 -> MAC + encapsulation).
 *
 * Part of struct dp_tables (same single writer, same RCU rules as
 * tables.h).  Which networks are reachable how is in the network config
 * (dp_network_cfg: vni, type/vlan, flood_vteps); which chassis a remote port
 * lives on is its lport's remote_vtep.  This file only holds what the
 * datapath needs to build and accept the outer headers.
 *
 * Tags: DP_TAG_OVERLAY (key 0) for the overlay config, DP_TAG_VTEP (IPv4 key)
 * for one underlay neighbor, DP_TAG_SEGMENT (dp_segment_tag_key) for the
 * VNI / VLAN / flat -> network maps.
 */
#ifndef WYV_DP_TABLES_OVL_H
#define WYV_DP_TABLES_OVL_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_ether.h>

#include "tables.h"

enum dp_encap {
	DP_ENCAP_NONE = 0,     /* unknown: use the overlay's default */
	DP_ENCAP_VXLAN = 1,    /* RFC 7348, UDP 4789 */
	DP_ENCAP_GENEVE = 2,   /* RFC 8926, UDP 6081, no options sent */
};

#define DP_VXLAN_PORT  4789
#define DP_GENEVE_PORT 6081
/* Outer Ethernet + IPv4 + UDP + VXLAN (or Geneve without options). */
#define DP_ENCAP_HLEN  50
/* What a network MTU must leave for encapsulation (Geneve: OVN's 58, room
 * for options other implementations send us). */
#define DP_ENCAP_OVERHEAD(e) ((e) == DP_ENCAP_GENEVE ? 58 : 50)

struct dp_overlay_cfg {
	uint16_t uplink;              /* dp port carrying the VTEP */
	uint32_t vtep_ip;             /* IPv4, network order, non-zero */
	struct rte_ether_addr vtep_mac;
	uint8_t encap;                /* default for neighbors with DP_ENCAP_NONE */
	uint16_t underlay_mtu;        /* IP MTU of the uplink (68..9600) */
	bool has_provider_port;       /* the provider networks (flat, VLAN: the
				       * physnet) on a port of their own ... */
	uint16_t provider_port;       /* ... this one (not the uplink); else they
				       * share the uplink, VLAN-separated */
};

/* The dp port carrying the provider networks. */
static inline uint16_t dp_overlay_provider_port(const struct dp_overlay_cfg *ov)
{
	return ov->has_provider_port ? ov->provider_port : ov->uplink;
}

struct dp_vtep {
	uint32_t ip;                  /* IPv4 network order (the key) */
	struct rte_ether_addr mac;    /* valid when resolved */
	bool resolved;
	bool is_static;               /* configured, never re-resolved */
	uint8_t encap;                /* DP_ENCAP_*, NONE: overlay default */
};

/* ---- writer (control thread) ------------------------------------------- */
/* Set (cfg) or clear (NULL) the overlay. -EINVAL: bad cfg. */
int dp_overlay_set(struct dp_tables *t, const struct dp_overlay_cfg *cfg);
/* Insert or replace a neighbor. -EINVAL (ip 0, bad encap), -ENOSPC. */
int dp_vtep_put(struct dp_tables *t, const struct dp_vtep *v);
int dp_vtep_del(struct dp_tables *t, uint32_t ip);   /* -ENOENT */

/* ---- readers ------------------------------------------------------------ */
/* NULL when no overlay is configured. */
const struct dp_overlay_cfg *dp_overlay_get(const struct dp_tables *t);
/* The uplink dp port, DP_NO_PORT when none (one load; PMD per burst). */
uint16_t dp_overlay_uplink(const struct dp_tables *t);
/* The provider networks' own port (has_provider_port), else DP_NO_PORT. */
uint16_t dp_overlay_provider(const struct dp_tables *t);
const struct dp_vtep *dp_vtep_get(const struct dp_tables *t, uint32_t ip);
void dp_vtep_foreach(const struct dp_tables *t,
		     int (*cb)(const struct dp_vtep *v, void *arg), void *arg);
unsigned dp_vtep_count(const struct dp_tables *t);
/* The encapsulation used toward v (its own, else the overlay default). */
uint8_t dp_vtep_encap(const struct dp_overlay_cfg *ov, const struct dp_vtep *v);

/* Segment -> network (decap by VNI, provider ingress by VLAN / untagged). */
uint32_t dp_table_network_by_vni(const struct dp_tables *t, uint32_t vni);
uint32_t dp_table_network_by_vlan(const struct dp_tables *t, uint16_t vlan); /* 0: flat */
#define DP_SEG_VNI  1u
#define DP_SEG_VLAN 2u   /* vlan id 0 = the flat network */
static inline uint32_t dp_segment_tag_key(unsigned kind, uint32_t id)
{
	return (kind << 24) | (id & 0xffffff);
}

const char *dp_encap_name(unsigned encap);
int dp_encap_parse(const char *s);   /* "vxlan" / "geneve", -1 otherwise */

#endif
