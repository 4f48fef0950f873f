/* SPDX-License-Identifier: BSD-3-Clause
 * dp/include/flow_key.h — the fixed-layout flow key every stage, cache and trace reads.
 *
 * The key is 128 bytes (16 x 64-bit words) so that masks and masked keys are
 * plain word arrays: (key & mask) == masked_key, and hashing/comparison work a
 * word at a time.  Packet fields are kept in NETWORK byte order exactly as
 * they sit in the packet (so parse is memcpy); metadata and logical registers
 * are host order.  A zero field means "absent" (e.g. vlan_tci == 0: untagged;
 * the 0x1000 CFI/DEI bit is forced on for tagged frames, as OVS does, so that
 * VLAN 0 is distinguishable from no VLAN).
 *
 * Owned by whoever declares it; no locking (plain value type).
 */
#ifndef WYV_DP_FLOW_KEY_H
#define WYV_DP_FLOW_KEY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <assert.h>

#define DP_VLAN_PRESENT 0x1000 /* host-order bit set in vlan tci when tagged */

/* ip_frag bits */
#define DP_FRAG_ANY   0x01 /* packet is a fragment (any) */
#define DP_FRAG_LATER 0x02 /* non-first fragment: no L4 header */

/* ct_state bits (filled by conntrack, dp/ct.h) */
#define DP_CS_NEW     0x01
#define DP_CS_EST     0x02
#define DP_CS_REL     0x04
#define DP_CS_RPL     0x08
#define DP_CS_INV     0x10
#define DP_CS_TRK     0x20

/* ct_mark bit the datapath owns: the connection was allowed by a security
 * group rule that is gone (set by re-validation, cleared by a commit the
 * ACL allows again); as OVN's ct_mark.blocked. */
#define DP_CT_MARK_BLOCKED 0x01u

struct dp_flow_key {
	/* w0: metadata */
	uint32_t recirc_id;
	uint16_t in_port;      /* dp port id */
	uint8_t ct_state;      /* DP_CS_* */
	uint8_t ip_frag;       /* DP_FRAG_* */
	/* w1 */
	uint16_t ct_zone;
	uint16_t vlan_tci;     /* outer tag, host order, DP_VLAN_PRESENT when tagged */
	uint16_t vlan_inner_tci; /* 802.1ad inner (C-)tag, host order */
	uint16_t eth_type;     /* network order; innermost after VLAN tags */
	/* w2-w3: tunnel metadata (vni host order, IPs network order) */
	uint32_t tun_vni;
	uint32_t tun_src;
	uint32_t tun_dst;
	uint32_t ipv6_label;   /* network order, low 20 bits */
	/* w4-w5: logical registers (host order) */
	uint32_t reg_src_lport;
	uint32_t reg_dst_lport;
	uint32_t reg_network;
	uint32_t reg_router;
	/* w6-w7: Ethernet (network order) */
	uint8_t eth_dst[6];
	uint8_t eth_src[6];
	uint16_t arp_op;       /* network order */
	uint8_t ip_proto;      /* IPv4 proto / IPv6 next header after the ext chain */
	uint8_t ip_tos;        /* DSCP+ECN / traffic class */
	/* w8 */
	uint8_t ip_ttl;        /* TTL / hop limit */
	uint8_t ct_state_eg;   /* recirc_id DP_RECIRC_SG_BOTH only (dp/actions.h): the
				* source zone's ct_state, ct_state being the
				* destination zone's; zero otherwise */
	uint16_t tcp_flags;    /* network order, low 12 bits */
	uint16_t tp_src;       /* network order; ICMP/ICMPv6: htons(type) */
	uint16_t tp_dst;       /* network order; ICMP/ICMPv6: htons(code) */
	/* w9-w12: L3 addresses; IPv4 and ARP SPA/TPA use the first 4 bytes */
	uint8_t ip_src[16];
	uint8_t ip_dst[16];
	/* w13-w15: what one packet kind needs, never two at once.  ARP: the
	 * hardware addresses; ICMPv6 NS/NA: the ND target and link-layer
	 * option; any other packet after a ct() action: ct_label and ct_mark.
	 * conntrack never sees ARP, and the security-group stage sends no
	 * ND message through ct() (stage_sg.c), so a key holding ct_* was
	 * never an ARP or ND key.  A stage reads ct_mark/ct_label only in a
	 * recirculated pass (recirc_id != 0). */
	union {
		struct {
			uint8_t arp_sha[6];
			uint8_t arp_tha[6];
			uint8_t pad1[4];
		};
		uint8_t nd_target[16];
		uint8_t ct_label[16];  /* 128 bits, byte 0 most significant */
	};
	union {
		struct {
			uint8_t nd_ll[6];  /* ND option link-layer address (SLL in NS, TLL in NA) */
			uint8_t pad2[2];   /* zero in every packet: the megaflow classifier
					    * keeps a subtable id here (mfc.c) */
		};
		struct {
			uint32_t ct_mark;  /* host order; DP_CT_MARK_BLOCKED is the datapath's */
			uint8_t ct_mark_eg; /* DP_RECIRC_SG_BOTH: the source zone's
					     * DP_CT_MARK_BLOCKED bit, as ct_state_eg */
			uint8_t pad3;
			uint8_t pad2_ct[2]; /* = pad2 */
		};
	};
} __attribute__((aligned(16)));

#define DP_FLOW_KEY_WORDS (sizeof(struct dp_flow_key) / sizeof(uint64_t))

/* A key seen as 16 words. may_alias: keys are written field by field and
 * read word by word; without it, strict aliasing lets the compiler (LTO in
 * particular) reorder or drop those accesses. */
typedef uint64_t dp_kword __attribute__((may_alias));
static_assert(sizeof(struct dp_flow_key) == 128, "flow key must be 128 bytes");
static_assert(offsetof(struct dp_flow_key, pad2) == 126 &&
	      offsetof(struct dp_flow_key, pad2_ct) == 126, "pad2 is the key's last two bytes");
static_assert(offsetof(struct dp_flow_key, ct_mark) == 120 &&
	      offsetof(struct dp_flow_key, ct_label) == 104, "ct_mark/ct_label overlay w13-w15");

static inline const dp_kword *dp_key_words(const struct dp_flow_key *k)
{
	return (const dp_kword *)(const void *)k;
}

static inline dp_kword *dp_key_words_rw(struct dp_flow_key *k)
{
	return (dp_kword *)(void *)k;
}

/* Zero a key with eight 16-byte stores: memset of 128 bytes compiles to
 * `rep stos` here, whose start-up cost alone is ~20 cycles per packet. */
static inline void dp_key_zero(struct dp_flow_key *k)
{
#if defined(__SSE2__)
	typedef long long v2di __attribute__((vector_size(16), may_alias));
	v2di *p = (v2di *)(void *)k, z = { 0, 0 };
	p[0] = z; p[1] = z; p[2] = z; p[3] = z;
	p[4] = z; p[5] = z; p[6] = z; p[7] = z;
#else
	dp_kword *w = (dp_kword *)(void *)k;
	for (unsigned i = 0; i < 16; i++)
		w[i] = 0;
#endif
}

/* masked = key & mask */
static inline void dp_key_and(struct dp_flow_key *masked, const struct dp_flow_key *key,
			      const struct dp_flow_key *mask)
{
	const dp_kword *a = dp_key_words(key), *b = dp_key_words(mask);
	dp_kword *o = dp_key_words_rw(masked);
	for (unsigned i = 0; i < DP_FLOW_KEY_WORDS; i++)
		o[i] = a[i] & b[i];
}

/* true when (key & mask) == masked */
static inline int dp_key_match(const struct dp_flow_key *key, const struct dp_flow_key *mask,
			       const struct dp_flow_key *masked)
{
	const dp_kword *a = dp_key_words(key), *b = dp_key_words(mask), *c = dp_key_words(masked);
	uint64_t diff = 0;
	for (unsigned i = 0; i < DP_FLOW_KEY_WORDS; i++)
		diff |= (a[i] & b[i]) ^ c[i];
	return diff == 0;
}

static inline int dp_key_equal(const struct dp_flow_key *a, const struct dp_flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* Mark a field of a mask as fully read: DP_MARK(mask, eth_src). */
#define DP_MARK(maskp, field) memset(&(maskp)->field, 0xff, sizeof((maskp)->field))

#endif
