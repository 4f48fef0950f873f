/* SPDX-License-Identifier: BSD-3-Clause
 * dp/parse_test_pkt.h — hand-built test packets for parse_test.c.
 *
 * Byte-level writers (p_eth, p_ipv4, p_ipv6, p_ext, p_tcp, ...) append headers
 * to a struct pkt; build() makes one of the T_* template packets the tests,
 * the truncation sweep and the fuzz loop start from.  A test library
 * (parse_test_pkt.c) linked by parse_test and parse_fmt_test; the parse
 * helpers at the end are static inline.
 *
 * Thread: the test's main thread.
 */
#ifndef WYV_DP_PARSE_TEST_PKT_H
#define WYV_DP_PARSE_TEST_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* ---- packet writers ------------------------------------------------------ */

struct pkt {
	uint8_t b[1024];
	uint32_t n;
};

extern const uint8_t mac_a[6];
extern const uint8_t mac_b[6];
extern const uint8_t mac_c[6];
extern const uint8_t ip4_a[4];
extern const uint8_t ip4_b[4];
extern const uint8_t ip6_a[16];
extern const uint8_t ip6_b[16];
extern const uint8_t ip6_t[16];

void p_bytes(struct pkt *p, const void *d, size_t n);

void p_u8(struct pkt *p, uint8_t v);

void p_u16(struct pkt *p, uint16_t v);

void p_u32(struct pkt *p, uint32_t v);

void p_fill(struct pkt *p, uint8_t v, size_t n);

void p_eth(struct pkt *p, uint16_t type);

void p_tag(struct pkt *p, uint16_t tci, uint16_t type);

/* IPv4 header with optlen bytes of NOP options; returns its offset. */
uint32_t p_ipv4(struct pkt *p, uint8_t proto, uint8_t optlen, uint16_t frag);

void p_ipv4_done(struct pkt *p, uint32_t at);

uint32_t p_ipv6(struct pkt *p, uint8_t nh);

void p_ipv6_done(struct pkt *p, uint32_t at);

/* Hop-by-hop / routing / destination options: (len8 + 1) * 8 bytes. */
void p_ext(struct pkt *p, uint8_t nh, uint8_t len8);

void p_frag6(struct pkt *p, uint8_t nh, uint16_t off8, bool mf);

void p_udp(struct pkt *p, uint16_t sport, uint16_t dport);

/* TCP with doff 32-bit words (>= 5; extra words are NOP options). */
void p_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint16_t flags, uint8_t doff);

/* ND NS/NA with one link-layer option of type opt (0: none). */
void p_nd(struct pkt *p, uint8_t type, uint8_t opt, uint8_t optlen8);

/* ---- templates ----------------------------------------------------------- */

enum {
	T_UDP4, T_TCP4_OPTS, T_QINQ_OPTS, T_ARP, T_ICMP4, T_FRAG4_FIRST, T_FRAG4_LATER, T_TCP6,
	T_CHAIN6, T_CHAIN6_LATER, T_AH6, T_NS, T_NA, T_SCTP4, T_ICMP6, T_NONXT6, T_VLAN_ARP,
	T__MAX
};

void build(int t, struct pkt *p);

/* ---- parse helpers shared by parse_test.c and parse_fmt_test.c ---- */
#include <stdlib.h>
#include <CUnit/Basic.h>
#include "parse.h"

/* Parse from an exact-size heap copy of the first len bytes. */
static inline unsigned parse_n(const struct pkt *p, uint32_t len, struct dp_flow_key *k, uint16_t *l2,
			uint16_t *l3)
{
	uint8_t *d = malloc(len ? len : 1);
	unsigned rc;

	CU_ASSERT_FATAL(d != NULL);
	memcpy(d, p->b, len);
	rc = dp_parse_buf(d, len, 7, k, l2, l3);
	free(d);
	return rc;
}

static inline unsigned parse(const struct pkt *p, struct dp_flow_key *k, uint16_t *l2, uint16_t *l3)
{
	return parse_n(p, p->n, k, l2, l3);
}

#define BE16(x) htons(x)

static inline unsigned parse_t(int t, struct pkt *p, struct dp_flow_key *k, uint16_t *l2, uint16_t *l3)
{
	build(t, p);
	return parse(p, k, l2, l3);
}

#endif
