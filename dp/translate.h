/* SPDX-License-Identifier: BSD-3-Clause
 * dp/translate.h — the miss path: walk the stages over the tables and
 * produce the widest correct megaflow for a flow key.
 *
 * Every stage reads the packet key only through DP_XL_READ()/dp_xl_mark*(),
 * which set the corresponding bits in the megaflow mask, so the installed
 * megaflow matches exactly the packets for which every stage would decide
 * the same.  Stages record the table entries they consulted as dependency
 * tags; a table update that touches one of them invalidates the megaflow.
 *
 * Threads: any reader of the tables (a PMD on a miss; the control thread for
 * `wyctl trace`).  No allocation; the context lives on the caller's stack.
 */
#ifndef WYV_DP_TRANSLATE_H
#define WYV_DP_TRANSLATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include "flow_key.h"
#include "megaflow.h"
#include "tables.h"

enum dp_stage_id {
	DP_STAGE_CLASSIFY,
	DP_STAGE_PORT_SEC,
	DP_STAGE_DHCP,
	DP_STAGE_ARP,
	DP_STAGE_L2,
	DP_STAGE_L3,
	DP_STAGE_SG,
	DP_STAGE_NAT,
	DP_STAGE_OUTPUT,
	DP_STAGE__MAX
};

/* What a stage returns. */
enum dp_xl_verdict {
	DP_XL_NEXT,      /* continue with the next stage */
	DP_XL_DONE,      /* terminal action emitted */
};

struct dp_l3;

struct dp_trace_buf {
	char *buf;
	size_t len;
	size_t used;
};

struct dp_xlate {
	const struct dp_tables *t;
	const struct dp_flow_key *pkt;   /* the packet's key (read via marks) */
	struct dp_megaflow_spec *out;    /* mask, actions, tags accumulate here */
	/* logical registers set by stages */
	uint32_t src_lport, dst_lport, network;
	const struct dp_lport *src;
	const struct dp_network *net;
	const struct dp_lport *dst;
	bool flood;                      /* L2 decided: flood in network */
	bool route;                      /* L2 found a router port: L3 routes */
	bool routed;                     /* L3 rewrote it for dst (may hairpin) */
	const void *rport;               /* struct dp_rport the packet was sent to */
	bool tunnel;                     /* arrived encapsulated (decapsulated by TNL_POP) */
	bool from_uplink;                /* arrived on the uplink (tunnel or provider) */
	const struct dp_l3 *l3;          /* L3 tables of t (NULL: none) */
	const struct dp_nat *nat;        /* NAT tables of t (NULL: none) */
	uint32_t snat_addr;              /* !0: the NAT stage SNATs to it (a FIP or
					  * this chassis' SNAT address) */
	uint16_t snat_pmin, snat_pmax;   /* its port range (0/0: keep the port) */
	uint16_t nat_zone;               /* the router's NAT zone (with snat_addr) */
	bool ext_out;                    /* L3 routed it out to the external network
					  * x->network (no dst lport) */
	uint32_t to_gw_vtep;             /* !0: gateway SNAT elsewhere: output sends
					  * the frame unrouted over the overlay to
					  * this VTEP, in network x->network */
	bool nat_in;                     /* translated back by this chassis' NAT
					  * from the external network: may leave
					  * by the overlay although from the uplink */
	struct dp_trace_buf *trace;      /* NULL unless tracing */
	enum dp_stage_id stage;
	int overflow;                    /* too many actions/tags/flood ports */
};

/* Translate key into spec (mask, actions, tags, flood list).  spec->key is
 * set to *key.  trace may be NULL.  Always produces a terminal action (a drop
 * at worst), so the result can be installed. */
void dp_translate(const struct dp_tables *t, const struct dp_flow_key *key,
		  struct dp_megaflow_spec *spec, struct dp_trace_buf *trace);

const char *dp_stage_name(enum dp_stage_id s);

/* ---- helpers for stages --------------------------------------------- */
#define DP_XL_READ(x, field) (DP_MARK(&(x)->out->mask, field), (x)->pkt->field)
#define DP_XL_MARK(x, field) DP_MARK(&(x)->out->mask, field)
/* IPv4 (and ARP) addresses live in the first 4 bytes of ip_src/ip_dst. */
#define DP_XL_READ_IP4(x, field) \
	(memset((x)->out->mask.field, 0xff, 4), (const uint8_t *)(x)->pkt->field)

/* Mark only the high-order bits of a 16-bit network-order field that suffice
 * to prove it differs from value (host order); marks all bits when equal. */
void dp_xl_mark_ne16(struct dp_xlate *x, uint16_t *mask_field, uint16_t pkt_field_net,
		     uint16_t value);
void dp_xl_tag(struct dp_xlate *x, uint64_t tag);

/* What an IPv4/IPv6 packet is, for the DHCP and RA decisions.  Reads
 * ip_proto exactly; for UDP tp_dst with ONE of two fixed masks (0xfc00 when
 * the port is >= 1024, all bits below: so ordinary traffic to a high port
 * folds into one megaflow whatever its ports), and tp_src exactly only when
 * tp_dst is a DHCP port; for ICMPv6 the type (tp_src).  So a VM varying its
 * ports makes at most three masks, not one per differing bit. */
enum dp_xl_l4 {
	DP_L4_OTHER,
	DP_L4_DHCP4_CLIENT,   /* UDP 68 -> 67 */
	DP_L4_DHCP4_SERVER,   /* UDP 67 -> 68 */
	DP_L4_DHCP6_CLIENT,   /* UDP 546 -> 547 */
	DP_L4_DHCP6_SERVER,   /* UDP 547 -> 546 */
	DP_L4_ICMP6_RA,       /* ICMPv6 134 */
	DP_L4_ICMP6_REDIRECT, /* ICMPv6 137 */
};
/* eth_type (network order) must be IPv4 or IPv6 (the caller read it). */
enum dp_xl_l4 dp_xl_l4_kind(struct dp_xlate *x, uint16_t eth_type);
void dp_xl_action(struct dp_xlate *x, const struct dp_action *a);
enum dp_xl_verdict dp_xl_drop(struct dp_xlate *x, unsigned reason);
/* Emit a flood over ports[0..n) (n > 0). */
void dp_xl_flood(struct dp_xlate *x, const uint16_t *ports, unsigned n);
void dp_xl_log(struct dp_xlate *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Stages, in pipeline order; each in its own file. */
enum dp_xl_verdict dp_stage_classify(struct dp_xlate *x);
/* classify's half for the uplink port (stage_classify_uplink.c): VTEP ARP,
 * decap by VNI, provider VLAN/flat ingress */
enum dp_xl_verdict dp_stage_classify_uplink(struct dp_xlate *x);
enum dp_xl_verdict dp_stage_port_sec(struct dp_xlate *x);
enum dp_xl_verdict dp_stage_dhcp(struct dp_xlate *x);
enum dp_xl_verdict dp_stage_arp(struct dp_xlate *x);
enum dp_xl_verdict dp_stage_l2(struct dp_xlate *x);
enum dp_xl_verdict dp_stage_l3(struct dp_xlate *x);
/* security groups (stage_sg.c): egress/ingress ACLs, ct() + recirculation */
enum dp_xl_verdict dp_stage_sg(struct dp_xlate *x);
/* For output's flood: may the packet go to local dp port dp_port (its
 * lport's ingress ACL, rules only; marks what it read; its dependency is the
 * flood's network tag, which the datapath invalidates on every ACL change
 * of the network's ports)? */
bool dp_sg_flood_allows(struct dp_xlate *x, uint16_t dp_port);
/* NAT (stage_nat.c): the stage (SNAT ct(nat) after the security groups)
 * and its pieces called from L2, ARP and L3. */
enum dp_xl_verdict dp_stage_nat(struct dp_xlate *x);
struct dp_rport;
struct dp_router;
struct dp_l3_nh;
const struct dp_rport *dp_nat_l2(struct dp_xlate *x, const uint8_t *mac);
enum dp_xl_verdict dp_nat_arp(struct dp_xlate *x);
/* *done: the verdict is final (ct(nat) emitted, or a drop). */
/* From the external network to dst, this chassis' SNAT address of r? */
bool dp_nat_is_snat_addr(struct dp_xlate *x, const struct dp_router *r, const uint8_t *dst);
enum dp_xl_verdict dp_nat_dnat(struct dp_xlate *x, const struct dp_router *r, bool *done);
/* The route leaves by out: if it is the router's gateway port, decide the
 * floating IP (sets x->ext_out) or drop. */
enum dp_xl_verdict dp_nat_egress(struct dp_xlate *x, const struct dp_router *r,
				 const struct dp_rport *out, const struct dp_l3_nh *nh);
enum dp_xl_verdict dp_stage_output(struct dp_xlate *x);

#endif
