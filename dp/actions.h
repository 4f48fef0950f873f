/* SPDX-License-Identifier: BSD-3-Clause
 * dp/actions.h — the compiled action list of a megaflow, and its executor.
 *
 * Actions are fixed-size (16 bytes) so a megaflow carries them inline.  The
 * executor runs one megaflow's list once over a whole group of packets (the
 * packets of a burst that hit the same megaflow).  Output appends to the
 * PMD's per-port tx buffer; the PMD flushes after the burst.  An OUTPUT or
 * FLOOD that is not the last packet-consuming action clones (rte_pktmbuf_copy
 * when later actions modify the packet, otherwise a refcount bump).
 *
 * Thread: PMD only (dp_actions_execute), any thread for formatting.
 */
#ifndef WYV_DP_ACTIONS_H
#define WYV_DP_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "drop.h"   /* enum dp_punt_reason */

enum dp_action_type {
	DP_ACT_OUTPUT = 1,  /* port: dp port id */
	DP_ACT_FLOOD,       /* u32: index into the megaflow's port list, port: count */
	DP_ACT_DROP,        /* u32: enum dp_drop_reason */
	DP_ACT_PUNT,        /* u32: enum dp_punt_reason, port: for rate limit (in port) */
	DP_ACT_SET_ETH_SRC, /* data[0..5] */
	DP_ACT_SET_ETH_DST, /* data[0..5] */
	DP_ACT_SET_IPV4_SRC,/* u32 network order; fixes IPv4 + L4 checksums */
	DP_ACT_SET_IPV4_DST,/* u32 network order; fixes IPv4 + L4 checksums */
	DP_ACT_SET_TP_SRC,  /* port (network order); fixes L4 checksum */
	DP_ACT_SET_TP_DST,  /* port (network order); fixes L4 checksum */
	DP_ACT_DEC_TTL,     /* TTL/hop limit - 1; at 0 -> punt(ttl) */
	DP_ACT_PUSH_VLAN,   /* port: TCI (host order) */
	DP_ACT_POP_VLAN,
	DP_ACT_ARP_REPLY,   /* data[0..5]: answer MAC; ARP request -> reply in place
			     * (op 2, sha/spa/tha/tpa, eth src/dst); output to in_port next */
	DP_ACT_ND_ADVERT,   /* data[0..5]: answer MAC, u32 bit0: router flag; ICMPv6 NS
			     * -> NA in place (IPs, hop limit 255, TLL option, checksum) */
	DP_ACT_TNL_PUSH,    /* encapsulate toward a remote VTEP: u32 its IPv4 (network
			     * order), data[0..5] its underlay MAC, data[6] enum dp_encap,
			     * VNI = port | data[7] << 16 (dp_act_tnl_*) */
	DP_ACT_TNL_POP,     /* strip the outer headers parse recorded (m->outer_l3_len) */
	DP_ACT_TNL_FLOOD,   /* consuming: a copy to every remote VTEP of network u32
			     * (its flood_vteps), encapsulated with VNI port|data[7]<<16 */
	DP_ACT_CT,          /* conntrack: port = zone, data[0] = DP_CT_F_*, data[1] =
			     * recirc_id to re-enter the lookup with (0: continue with
			     * the next action); DP_CT_F_MARK: on commit mark =
			     * (mark & ~m) | (u32 & m), m = data[2..5] (host order,
			     * dp_act_ct_mark_mask).  Only at the head of a list
			     * (translate puts them there); run by the PMD, which
			     * holds the packets' keys */
	DP_ACT_CT_LABEL,    /* part of the ct() before it (DP_CT_F_LABEL): on commit
			     * label bytes [8 * port, 8 * port + 8) = data[0..7]
			     * (port 0: the high half, 1: the low half); one or two
			     * follow their ct() */
	DP_ACT_CT_NAT,      /* part of the ct() before it (DP_CT_F_NAT): nat(...),
			     * see dp_act_ct_nat_set/get; at most one, after the
			     * labels */
	DP_ACT__MAX
};

#define DP_CT_F_COMMIT 0x01
#define DP_CT_F_MARK   0x02
#define DP_CT_F_LABEL  0x04  /* DP_ACT_CT_LABEL action(s) follow */
#define DP_CT_F_SG_EGRESS  0x08 /* committed by the egress ACL of the zone's port */
#define DP_CT_F_SG_INGRESS 0x10 /* committed by its ingress ACL (re-validation) */
#define DP_CT_F_NAT    0x20  /* a DP_ACT_CT_NAT action follows: ct(nat...) */
#define DP_CT_F_TTL    0x40  /* before this ct(), IPv4 packets whose TTL would expire
			      * here (ip_ttl <= 1) are punted (DP_PUNT_TTL) as they
			      * are: a router's TTL expiry comes before its SNAT */
#define DP_CT_F_EG     0x80  /* the lookup's state goes to ct_state_eg/ct_mark_eg (the
			      * source zone of a two-zone pass, DP_RECIRC_SG_BOTH),
			      * not to ct_state/ct_zone/ct_mark/ct_label; never with
			      * commit or nat */
/* Recirculation stages (recirc_id values) and the depth cap. */
#define DP_RECIRC_SG_EGRESS  1   /* after ct() in the source port's zone */
#define DP_RECIRC_SG_INGRESS 2   /* after ct() in the destination port's zone */
#define DP_RECIRC_NAT_IN     3   /* after ct(nat) on a packet from an external
				  * network to a floating IP (dst translated) */
#define DP_RECIRC_NAT_OUT    4   /* after ct(nat) toward an external network
				  * (src translated to the floating IP) */
#define DP_RECIRC_SG_BOTH    5   /* after ct() in the source port's zone
				  * (DP_CT_F_EG) and then in the destination
				  * port's: egress and ingress decided in one pass */
#define DP_RECIRC_NAT_HAIRPIN 6  /* after ct(nat) toward an address this chassis
				  * holds on the router's own external network
				  * (a floating IP or SNAT address of the same
				  * router): the packet re-enters the router as
				  * from its gateway port, dst translated back */
#define DP_RECIRC_MAX        4   /* depth cap (recirculations per packet) */

/* The order of the passes, whatever their numbers: 0, NAT_IN (from an
 * external network), SG_EGRESS, SG_INGRESS (or SG_BOTH in its stead: both
 * directions' conntrack states known at once), NAT_OUT.  A hairpin (a VM to
 * a floating IP of its own router held here) runs 0, SG_EGRESS, NAT_OUT,
 * NAT_HAIRPIN, SG_INGRESS: NAT_HAIRPIN ranks as NAT_IN (the destination's
 * ingress is still to come; the source's egress was decided, stage_sg.c
 * skips it in that pass and port security in every recirculated pass).  A stage asks "has
 * pass P run already" as dp_recirc_rank(recirc_id) >= dp_recirc_rank(P). */
static inline unsigned dp_recirc_rank(uint32_t recirc_id)
{
	switch (recirc_id) {
	case DP_RECIRC_NAT_IN:
	case DP_RECIRC_NAT_HAIRPIN:
		return 1;
	case DP_RECIRC_SG_EGRESS:
		return 2;
	case DP_RECIRC_SG_INGRESS:
	case DP_RECIRC_SG_BOTH:
		return 3;
	case DP_RECIRC_NAT_OUT:
		return 4;
	default:
		return 0;
	}
}

struct dp_action {
	uint16_t type;      /* enum dp_action_type */
	uint16_t port;
	uint32_t u32;
	uint8_t data[8];
};

#define DP_MAX_ACTIONS 16

static inline uint32_t dp_act_ct_mark_mask(const struct dp_action *a)
{
	uint32_t m;
	memcpy(&m, &a->data[2], 4);
	return m;
}

static inline void dp_act_ct_set_mark(struct dp_action *a, uint32_t mark, uint32_t mask)
{
	a->data[0] |= DP_CT_F_MARK;
	a->u32 = mark;
	memcpy(&a->data[2], &mask, 4);
}

/* True for the actions that make up ct() (DP_ACT_CT, its labels, its nat). */
static inline bool dp_act_is_ct(const struct dp_action *a)
{
	return a->type == DP_ACT_CT || a->type == DP_ACT_CT_LABEL || a->type == DP_ACT_CT_NAT;
}

/* DP_ACT_CT_NAT's encoding: u32 = addr_min, data[0..3] = addr_max (both
 * IPv4, network order), port = port_min, data[4..5] = port_max (host
 * order), data[6] = kind (0, DP_CT_NAT_SRC or DP_CT_NAT_DST, dp/ct.h).
 * kind 0 is ct(nat) without a range: apply an existing connection's
 * translation only. */
static inline void dp_act_ct_nat_set(struct dp_action *a, uint8_t kind, uint32_t addr_min,
				     uint32_t addr_max, uint16_t port_min, uint16_t port_max)
{
	memset(a, 0, sizeof(*a));
	a->type = DP_ACT_CT_NAT;
	a->u32 = addr_min;
	memcpy(&a->data[0], &addr_max, 4);
	a->port = port_min;
	memcpy(&a->data[4], &port_max, 2);
	a->data[6] = kind;
}

/* Decode a DP_ACT_CT_NAT (the inverse of dp_act_ct_nat_set). */
static inline void dp_act_ct_nat_get(const struct dp_action *a, uint8_t *kind, uint32_t *addr_min,
				     uint32_t *addr_max, uint16_t *port_min, uint16_t *port_max)
{
	*kind = a->data[6];
	*addr_min = a->u32;
	memcpy(addr_max, &a->data[0], 4);
	*port_min = a->port;
	memcpy(port_max, &a->data[4], 2);
}

static inline void dp_act_set_vni(struct dp_action *a, uint32_t vni)
{
	a->port = (uint16_t)vni;
	a->data[7] = (uint8_t)(vni >> 16);
}

static inline uint32_t dp_act_vni(const struct dp_action *a)
{
	return (uint32_t)a->port | (uint32_t)a->data[7] << 16;
}
#define DP_MAX_FLOOD   64

const char *dp_action_name(unsigned type);

/* Append a human-readable form ("output:3,set_eth_dst:...") to buf.
 * flood_ports: the megaflow's port list. Returns chars written (snprintf rules). */
int dp_actions_format(char *buf, size_t len, const struct dp_action *acts, unsigned n,
		      const uint16_t *flood_ports);

/* Incremental Internet checksum update (RFC 1624) for a 16-bit field change. */
static inline uint16_t dp_csum_update16(uint16_t csum, uint16_t old, uint16_t new_)
{
	uint32_t s = (uint16_t)~csum + (uint16_t)~old + (uint32_t)new_;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline uint16_t dp_csum_update32(uint16_t csum, uint32_t old, uint32_t new_)
{
	csum = dp_csum_update16(csum, (uint16_t)(old >> 16), (uint16_t)(new_ >> 16));
	return dp_csum_update16(csum, (uint16_t)old, (uint16_t)new_);
}


/* Does running acts need the packet's header lengths (m->l2_len, l3_len,
 * outer_l3_len), i.e. a parse?  Output, flood, drop and Ethernet address
 * rewrites do not; everything else (L3/L4 rewrites, VLAN, answers, tunnels,
 * punts to the controller, ct) does.  The PMD's mark path (dp/pmd_offload.c)
 * skips the parse of a marked packet when this is false. */
static inline int dp_actions_need_headers(const struct dp_action *acts, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		switch (acts[i].type) {
		case DP_ACT_OUTPUT:
		case DP_ACT_FLOOD:
		case DP_ACT_DROP:
		case DP_ACT_SET_ETH_SRC:
		case DP_ACT_SET_ETH_DST:
			break;
		default:
			return 1;
		}
	return 0;
}

#endif
