/* SPDX-License-Identifier: BSD-3-Clause
 * dp/parse_test.c — CUnit suite for dp/parse.c and dp/parse_fmt.c.
 *
 * Packets are built by hand (parse_test_pkt.h), then copied into
 * a malloc'ed buffer of exactly their length before parsing, so that under
 * ASan any read past the end is caught.  Besides one test per protocol there
 * is an exhaustive truncation sweep over a set of templates, targeted
 * malformed inputs, and a seeded fuzz loop (random bytes and mutated
 * templates).  Runs under EAL with --no-huge (only the mbuf tests need it).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <CUnit/Basic.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "drop.h"
#include "flow_key.h"
#include "parse.h"
#include "parse_test_pkt.h"
#include "test_eal_dir.h"

static struct rte_mempool *dp_test_pool;

/* ---- protocol tests ------------------------------------------------------ */

static void test_ipv4_udp(void)
{
	struct dp_flow_key k;
	struct pkt p;
	uint16_t l2, l3;

	CU_ASSERT_EQUAL(parse_t(T_UDP4, &p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.in_port, 7);
	CU_ASSERT(memcmp(k.eth_dst, mac_b, 6) == 0);
	CU_ASSERT(memcmp(k.eth_src, mac_a, 6) == 0);
	CU_ASSERT_EQUAL(k.eth_type, BE16(0x0800));
	CU_ASSERT_EQUAL(k.vlan_tci, 0);
	CU_ASSERT(memcmp(k.ip_src, ip4_a, 4) == 0);
	CU_ASSERT(memcmp(k.ip_dst, ip4_b, 4) == 0);
	CU_ASSERT_EQUAL(k.ip_proto, 17);
	CU_ASSERT_EQUAL(k.ip_tos, 0x10);
	CU_ASSERT_EQUAL(k.ip_ttl, 64);
	CU_ASSERT_EQUAL(k.ip_frag, 0);
	CU_ASSERT_EQUAL(k.tp_src, BE16(1234));
	CU_ASSERT_EQUAL(k.tp_dst, BE16(53));
	CU_ASSERT_EQUAL(k.tcp_flags, 0);
	CU_ASSERT_EQUAL(l2, 14);
	CU_ASSERT_EQUAL(l3, 20);
}

static void test_ipv4_tcp_opts(void)
{
	struct dp_flow_key k;
	struct pkt p;
	uint16_t l2, l3;

	CU_ASSERT_EQUAL(parse_t(T_TCP4_OPTS, &p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(l3, 28);
	CU_ASSERT_EQUAL(k.ip_proto, 6);
	CU_ASSERT_EQUAL(k.ip_frag, 0); /* DF is not a fragment */
	CU_ASSERT_EQUAL(k.tp_src, BE16(40000));
	CU_ASSERT_EQUAL(k.tp_dst, BE16(80));
	CU_ASSERT_EQUAL(k.tcp_flags, BE16(0x112)); /* NS + SYN|ACK, doff bits masked */
}

static void test_vlan(void)
{
	struct dp_flow_key k;
	struct pkt p;
	uint16_t l2, l3;
	uint32_t ip;

	p_eth(&p, 0x8100);
	p_tag(&p, 0x0064, 0x0800);
	ip = p_ipv4(&p, 6, 0, 0);
	p_tcp(&p, 1, 2, 0x002, 5);
	p_ipv4_done(&p, ip);
	CU_ASSERT_EQUAL(parse(&p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.vlan_tci, 0x1064);
	CU_ASSERT_EQUAL(k.vlan_inner_tci, 0);
	CU_ASSERT_EQUAL(k.eth_type, BE16(0x0800));
	CU_ASSERT_EQUAL(k.tcp_flags, BE16(0x002));
	CU_ASSERT_EQUAL(l2, 18);

	/* VID 0 priority tag stays distinguishable from untagged. */
	p_eth(&p, 0x8100);
	p_tag(&p, 0x0000, 0x1234);
	CU_ASSERT_EQUAL(parse(&p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.vlan_tci, 0x1000);
	CU_ASSERT_EQUAL(k.eth_type, BE16(0x1234));
	CU_ASSERT_EQUAL(l3, 0);

	CU_ASSERT_EQUAL(parse_t(T_VLAN_ARP, &p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.vlan_tci, 0xf064);
	CU_ASSERT_EQUAL(k.eth_type, BE16(0x0806));
}

static void test_qinq(void)
{
	struct dp_flow_key k;
	struct pkt p;
	uint16_t l2, l3;

	CU_ASSERT_EQUAL(parse_t(T_QINQ_OPTS, &p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.vlan_tci, 0x300a);
	CU_ASSERT_EQUAL(k.vlan_inner_tci, 0x1014);
	CU_ASSERT_EQUAL(k.eth_type, BE16(0x0800));
	CU_ASSERT_EQUAL(l2, 22);
	CU_ASSERT_EQUAL(l3, 24);
	CU_ASSERT_EQUAL(k.tp_src, BE16(68));
	CU_ASSERT_EQUAL(k.tp_dst, BE16(67));

	/* Three tags, in any TPID combination. */
	p_eth(&p, 0x88a8);
	p_tag(&p, 1, 0x8100);
	p_tag(&p, 2, 0x8100);
	p_tag(&p, 3, 0x0800);
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_TOO_MANY_VLANS);
	p_eth(&p, 0x8100);
	p_tag(&p, 1, 0x8100);
	p_tag(&p, 2, 0x88a8);
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_TOO_MANY_VLANS);

	p_eth(&p, 0x8100);
	p_u16(&p, 5);
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_TRUNC_VLAN);
	p_eth(&p, 0x88a8);
	p_tag(&p, 1, 0x8100);
	p_u16(&p, 2);
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_TRUNC_VLAN);
}

static void test_arp(void)
{
	struct dp_flow_key k;
	struct pkt p;
	uint16_t l2, l3;

	CU_ASSERT_EQUAL(parse_t(T_ARP, &p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.eth_type, BE16(0x0806));
	CU_ASSERT_EQUAL(k.arp_op, BE16(1));
	CU_ASSERT(memcmp(k.arp_sha, mac_a, 6) == 0);
	CU_ASSERT(memcmp(k.arp_tha, mac_c, 6) == 0);
	CU_ASSERT(memcmp(k.ip_src, ip4_a, 4) == 0);
	CU_ASSERT(memcmp(k.ip_dst, ip4_b, 4) == 0);
	CU_ASSERT_EQUAL(k.ip_proto, 0);
	CU_ASSERT_EQUAL(l3, 28);

	build(T_ARP, &p);
	p.b[15] = 6; /* htype 6 (IEEE 802) */
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_ARP);
	build(T_ARP, &p);
	p.b[16] = 0x86; /* ptype IPv6 */
	p.b[17] = 0xdd;
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_ARP);
	build(T_ARP, &p);
	p.b[19] = 16; /* plen */
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_ARP);
	build(T_ARP, &p);
	CU_ASSERT_EQUAL(parse_n(&p, p.n - 1, &k, NULL, NULL), DP_DROP_TRUNC_ARP);
}

static void test_ipv4_frag(void)
{
	struct dp_flow_key k;
	struct pkt p;
	uint16_t l2, l3;

	CU_ASSERT_EQUAL(parse_t(T_FRAG4_FIRST, &p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.ip_frag, DP_FRAG_ANY);
	CU_ASSERT_EQUAL(k.tp_src, BE16(5000));
	CU_ASSERT_EQUAL(k.tp_dst, BE16(6000));

	CU_ASSERT_EQUAL(parse_t(T_FRAG4_LATER, &p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.ip_frag, DP_FRAG_ANY | DP_FRAG_LATER);
	CU_ASSERT_EQUAL(k.ip_proto, 17);
	CU_ASSERT_EQUAL(k.tp_src, 0);
	CU_ASSERT_EQUAL(k.tp_dst, 0);
	CU_ASSERT_EQUAL(l3, 20);

	/* A later fragment too short for a UDP header is still fine. */
	CU_ASSERT_EQUAL(parse_n(&p, 14 + 20, &k, NULL, NULL), DP_DROP_BAD_IPV4);
	p.b[17] = 23; /* total length 23 */
	p.n = 14 + 23;
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.ip_frag, DP_FRAG_ANY | DP_FRAG_LATER);
}

static void test_ipv4_bad(void)
{
	struct dp_flow_key k;
	struct pkt p;
	uint16_t l2, l3;

	build(T_UDP4, &p);
	p.b[14] = 0x44; /* IHL 4 */
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_IPV4);
	build(T_UDP4, &p);
	p.b[14] = 0x65; /* version 6 under 0x0800 */
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_IPV4);
	build(T_UDP4, &p);
	p.b[14] = 0x4f; /* IHL 60 bytes > packet */
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_TRUNC_IPV4);
	build(T_UDP4, &p);
	p.b[17] += 1; /* total length > packet */
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_IPV4);
	build(T_UDP4, &p);
	p.b[16] = 0;
	p.b[17] = 19; /* total length < IHL */
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_IPV4);
	CU_ASSERT_EQUAL(parse_n(&p, 14 + 19, &k, NULL, NULL), DP_DROP_TRUNC_IPV4);

	/* Ethernet padding after the datagram is ignored... */
	build(T_UDP4, &p);
	p_fill(&p, 0xff, 18);
	CU_ASSERT_EQUAL(parse(&p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.tp_dst, BE16(53));
	/* ...and never parsed as L4: total length 24 leaves 4 bytes of UDP. */
	p.b[17] = 24;
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_TRUNC_L4);
}

static void test_tcp_bad(void)
{
	struct dp_flow_key k;
	struct pkt p;

	build(T_TCP4_OPTS, &p);
	p.b[14 + 28 + 12] = 0x40 | (p.b[14 + 28 + 12] & 0x0f); /* doff 4 */
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_TCP);
	build(T_TCP4_OPTS, &p);
	p.b[14 + 28 + 12] = 0xf0 | (p.b[14 + 28 + 12] & 0x0f); /* doff 15 > segment */
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_TCP);
	build(T_TCP4_OPTS, &p);
	p.b[14 + 3] -= 13; /* IP total length leaves 19 bytes of TCP */
	p.n -= 13;
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_TRUNC_L4);
}

static void test_icmp_sctp(void)
{
	struct dp_flow_key k;
	struct pkt p;

	CU_ASSERT_EQUAL(parse_t(T_ICMP4, &p, &k, NULL, NULL), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.ip_proto, 1);
	CU_ASSERT_EQUAL(k.tp_src, BE16(3));
	CU_ASSERT_EQUAL(k.tp_dst, BE16(1));
	CU_ASSERT_EQUAL(parse_t(T_ICMP6, &p, &k, NULL, NULL), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.ip_proto, 58);
	CU_ASSERT_EQUAL(k.tp_src, BE16(128));
	CU_ASSERT_EQUAL(k.tp_dst, 0);
	CU_ASSERT(memcmp(k.nd_target, (uint8_t[16]){ 0 }, 16) == 0);
	CU_ASSERT_EQUAL(parse_t(T_SCTP4, &p, &k, NULL, NULL), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.ip_proto, 132);
	CU_ASSERT_EQUAL(k.tp_src, BE16(2905));
	CU_ASSERT_EQUAL(k.tp_dst, BE16(2906));
}

static void test_ipv6(void)
{
	struct dp_flow_key k;
	struct pkt p;
	uint16_t l2, l3;

	CU_ASSERT_EQUAL(parse_t(T_TCP6, &p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.eth_type, BE16(0x86dd));
	CU_ASSERT(memcmp(k.ip_src, ip6_a, 16) == 0);
	CU_ASSERT(memcmp(k.ip_dst, ip6_b, 16) == 0);
	CU_ASSERT_EQUAL(k.ip_tos, 0xb8);
	CU_ASSERT_EQUAL(k.ipv6_label, htonl(0x12345));
	CU_ASSERT_EQUAL(k.ip_ttl, 64);
	CU_ASSERT_EQUAL(k.ip_proto, 6);
	CU_ASSERT_EQUAL(k.tp_src, BE16(443));
	CU_ASSERT_EQUAL(k.tcp_flags, BE16(0x018));
	CU_ASSERT_EQUAL(l3, 40);

	CU_ASSERT_EQUAL(parse_t(T_CHAIN6, &p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.ip_proto, 17);
	CU_ASSERT_EQUAL(k.ip_frag, DP_FRAG_ANY);
	CU_ASSERT_EQUAL(k.tp_src, BE16(546));
	CU_ASSERT_EQUAL(k.tp_dst, BE16(547));
	CU_ASSERT_EQUAL(l3, 40 + 8 + 16 + 8);

	CU_ASSERT_EQUAL(parse_t(T_CHAIN6_LATER, &p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.ip_proto, 17);
	CU_ASSERT_EQUAL(k.ip_frag, DP_FRAG_ANY | DP_FRAG_LATER);
	CU_ASSERT_EQUAL(k.tp_src, 0);
	CU_ASSERT_EQUAL(l3, 40 + 8 + 16 + 8);

	CU_ASSERT_EQUAL(parse_t(T_AH6, &p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.ip_proto, 6);
	CU_ASSERT_EQUAL(k.tp_src, BE16(22));
	CU_ASSERT_EQUAL(l3, 40 + 8 + 24);

	CU_ASSERT_EQUAL(parse_t(T_NONXT6, &p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.ip_proto, 59);
	CU_ASSERT_EQUAL(l3, 48);
}

static void test_ipv6_bad(void)
{
	struct dp_flow_key k;
	struct pkt p;
	uint32_t ip;

	build(T_TCP6, &p);
	p.b[14] = 0x4b; /* version 4 under 0x86dd */
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_IPV6);
	build(T_TCP6, &p);
	p.b[19] += 1; /* payload length > packet */
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_IPV6);
	CU_ASSERT_EQUAL(parse_n(&p, 14 + 39, &k, NULL, NULL), DP_DROP_TRUNC_IPV6);

	/* Extension header longer than the payload. */
	build(T_CHAIN6, &p);
	p.b[14 + 40 + 8 + 1] = 5;
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_IPV6_EXT);
	/* Payload ends inside an extension header. */
	p_eth(&p, 0x86dd);
	ip = p_ipv6(&p, 0);
	p_u32(&p, 0x3b000000);
	p_ipv6_done(&p, ip);
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_IPV6_EXT);
	/* Eight headers are fine, nine are not. */
	for (int n = 8; n <= 9; n++) {
		p_eth(&p, 0x86dd);
		ip = p_ipv6(&p, 60);
		for (int i = 0; i < n; i++)
			p_ext(&p, i == n - 1 ? 17 : 60, 0);
		p_udp(&p, 1, 2);
		p_ipv6_done(&p, ip);
		CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL),
				n == 8 ? DP_DROP_NONE : DP_DROP_BAD_IPV6_EXT);
	}
	/* Header chain longer than mbuf l3_len can hold. */
	p_eth(&p, 0x86dd);
	ip = p_ipv6(&p, 0);
	p_ext(&p, 60, 60); /* 40 + 488 + 8 > 511 */
	p_ext(&p, 17, 0);
	p_udp(&p, 1, 2);
	p_ipv6_done(&p, ip);
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_BAD_IPV6_EXT);
}

static void test_nd(void)
{
	struct dp_flow_key k;
	struct pkt p;
	uint32_t ip;

	CU_ASSERT_EQUAL(parse_t(T_NS, &p, &k, NULL, NULL), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.ip_proto, 58);
	CU_ASSERT_EQUAL(k.tp_src, BE16(135));
	CU_ASSERT(memcmp(k.nd_target, ip6_t, 16) == 0);
	CU_ASSERT(memcmp(k.nd_ll, mac_c, 6) == 0);
	CU_ASSERT_EQUAL(parse_t(T_NA, &p, &k, NULL, NULL), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.tp_src, BE16(136));
	CU_ASSERT(memcmp(k.nd_target, ip6_t, 16) == 0);
	CU_ASSERT(memcmp(k.nd_ll, mac_c, 6) == 0);

	/* A TLL option in an NS is not the SLL: skipped. NS without options. */
	for (int opt = 2; opt >= 0; opt -= 2) {
		p_eth(&p, 0x86dd);
		ip = p_ipv6(&p, 58);
		p_nd(&p, 135, (uint8_t)opt, 1);
		p_ipv6_done(&p, ip);
		CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_NONE);
		CU_ASSERT(memcmp(k.nd_target, ip6_t, 16) == 0);
		CU_ASSERT(memcmp(k.nd_ll, (uint8_t[6]){ 0 }, 6) == 0);
	}
	/* Code != 0 is not ND (RFC 4861): plain ICMPv6, target not read. */
	build(T_NS, &p);
	p.b[14 + 40 + 1] = 1;
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.tp_dst, BE16(1));
	CU_ASSERT(memcmp(k.nd_target, (uint8_t[16]){ 0 }, 16) == 0);
	/* Option length 0, and option running past the payload. */
	for (int len8 = 0; len8 <= 2; len8 += 2) {
		p_eth(&p, 0x86dd);
		ip = p_ipv6(&p, 58);
		p_nd(&p, 135, 1, (uint8_t)len8);
		if (len8 == 2)
			p.n -= 8;
		p_ipv6_done(&p, ip);
		CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_TRUNC_L4);
	}
	/* Body shorter than the target. */
	build(T_NA, &p);
	p.n -= 8 + 4;
	p_ipv6_done(&p, 14);
	CU_ASSERT_EQUAL(parse(&p, &k, NULL, NULL), DP_DROP_TRUNC_L4);
}

static void test_other_l2(void)
{
	struct dp_flow_key k;
	struct pkt p;
	uint16_t l2 = 99, l3 = 99;

	p_eth(&p, 0x88cc); /* LLDP: key has L2 only */
	p_fill(&p, 0x5a, 30);
	CU_ASSERT_EQUAL(parse(&p, &k, &l2, &l3), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.eth_type, BE16(0x88cc));
	CU_ASSERT_EQUAL(l2, 14);
	CU_ASSERT_EQUAL(l3, 0);
	CU_ASSERT_EQUAL(parse_n(&p, 13, &k, NULL, NULL), DP_DROP_TRUNC_ETH);
	CU_ASSERT_EQUAL(dp_parse_buf(NULL, 0, 1, &k, NULL, NULL), DP_DROP_TRUNC_ETH);
	CU_ASSERT_EQUAL(k.in_port, 1);
}

/* ---- truncation sweep and fuzz ------------------------------------------ */

/* A key from a prefix must agree with the full packet's key wherever it is
 * non-zero (it may know less, never something else). */
static bool key_subset(const struct dp_flow_key *part, const struct dp_flow_key *full)
{
	const uint8_t *a = (const void *)part, *b = (const void *)full;

	for (size_t i = 0; i < sizeof(*part); i++)
		if (a[i] && a[i] != b[i])
			return false;
	return true;
}

static void test_truncation(void)
{
	struct dp_flow_key full, k;
	struct pkt p;
	uint16_t l2, l3;

	for (int t = 0; t < T__MAX; t++) {
		CU_ASSERT_EQUAL_FATAL(parse_t(t, &p, &full, NULL, NULL), DP_DROP_NONE);
		for (uint32_t len = 0; len < p.n; len++) {
			unsigned rc = parse_n(&p, len, &k, &l2, &l3);

			CU_ASSERT(rc < DP_DROP__MAX);
			if (rc != DP_DROP_NONE)
				continue;
			CU_ASSERT(key_subset(&k, &full));
			CU_ASSERT((uint32_t)l2 + l3 <= len);
		}
	}
}

static void test_fuzz(void)
{
	static const uint16_t types[] = { 0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8 };
	struct dp_flow_key k;
	struct pkt p;
	uint16_t l2, l3;
	unsigned ok = 0;

	srandom(12345);
	for (int i = 0; i < 200000; i++) {
		uint32_t len;

		if (i & 1) {
			/* Mutated template, randomly cut. */
			build((int)(random() % T__MAX), &p);
			for (int m = (int)(random() % 4) + 1; m > 0; m--)
				p.b[random() % p.n] = (uint8_t)random();
			len = (uint32_t)random() % (p.n + 1);
		} else {
			len = (uint32_t)random() % 201;
			for (uint32_t j = 0; j < len; j++)
				p.b[j] = (uint8_t)random();
			if (len >= 14 && (random() & 3)) {
				uint16_t t = types[random() % 5];

				p.b[12] = (uint8_t)(t >> 8);
				p.b[13] = (uint8_t)t;
			}
		}
		p.n = len;
		if (parse(&p, &k, &l2, &l3) == DP_DROP_NONE) {
			ok++;
			if ((uint32_t)l2 + l3 > len)
				CU_FAIL("l2_len + l3_len beyond packet");
		}
	}
	CU_ASSERT(ok > 0);
}

/* ---- mbuf entry point ---------------------------------------------------- */

static void test_mbuf(void)
{
	struct rte_mbuf *m, *m2;
	struct dp_flow_key k, kb;
	struct pkt p;

	m = rte_pktmbuf_alloc(dp_test_pool);
	CU_ASSERT_FATAL(m != NULL);
	build(T_QINQ_OPTS, &p);
	memcpy(rte_pktmbuf_append(m, (uint16_t)p.n), p.b, p.n);
	CU_ASSERT_EQUAL(dp_parse(m, 3, &k), DP_DROP_NONE);
	CU_ASSERT_EQUAL(m->l2_len, 22);
	CU_ASSERT_EQUAL(m->l3_len, 24);
	CU_ASSERT_EQUAL(k.in_port, 3);
	CU_ASSERT_EQUAL(dp_parse_buf(p.b, p.n, 3, &kb, NULL, NULL), DP_DROP_NONE);
	CU_ASSERT(dp_key_equal(&k, &kb));
	rte_pktmbuf_free(m);

	m = rte_pktmbuf_alloc(dp_test_pool);
	CU_ASSERT_FATAL(m != NULL);
	build(T_CHAIN6, &p);
	memcpy(rte_pktmbuf_append(m, (uint16_t)p.n), p.b, p.n);
	CU_ASSERT_EQUAL(dp_parse(m, 3, &k), DP_DROP_NONE);
	CU_ASSERT_EQUAL(m->l2_len, 14);
	CU_ASSERT_EQUAL(m->l3_len, 72);
	rte_pktmbuf_free(m);

	/* Two segments, the IPv4 header split across them: first only. */
	m = rte_pktmbuf_alloc(dp_test_pool);
	m2 = rte_pktmbuf_alloc(dp_test_pool);
	CU_ASSERT_FATAL(m != NULL && m2 != NULL);
	build(T_UDP4, &p);
	memcpy(rte_pktmbuf_append(m, 24), p.b, 24);
	memcpy(rte_pktmbuf_append(m2, (uint16_t)(p.n - 24)), p.b + 24, p.n - 24);
	CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_chain(m, m2), 0);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), p.n);
	CU_ASSERT_EQUAL(dp_parse(m, 3, &k), DP_DROP_TRUNC_IPV4);
	CU_ASSERT_EQUAL(m->l2_len, 14);
	rte_pktmbuf_free(m);

	/* Headers whole in the first segment, payload in the second (the IP
	 * lengths count it); then the TCP header itself split. */
	for (uint32_t cut = 14 + 40 + 20; cut >= 14 + 40 + 19; cut--) {
		uint32_t ip;

		m = rte_pktmbuf_alloc(dp_test_pool);
		m2 = rte_pktmbuf_alloc(dp_test_pool);
		CU_ASSERT_FATAL(m != NULL && m2 != NULL);
		p_eth(&p, 0x86dd);
		ip = p_ipv6(&p, 6);
		p_tcp(&p, 443, 50000, 0x018, 5);
		p_fill(&p, 0xab, 100);
		p_ipv6_done(&p, ip);
		memcpy(rte_pktmbuf_append(m, (uint16_t)cut), p.b, cut);
		memcpy(rte_pktmbuf_append(m2, (uint16_t)(p.n - cut)), p.b + cut, p.n - cut);
		CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_chain(m, m2), 0);
		CU_ASSERT_EQUAL(dp_parse(m, 3, &k),
				cut == 14 + 40 + 20 ? DP_DROP_NONE : DP_DROP_TRUNC_L4);
		CU_ASSERT_EQUAL(m->l3_len, 40);
		if (cut == 14 + 40 + 20)
			CU_ASSERT_EQUAL(k.tp_src, BE16(443));
		rte_pktmbuf_free(m);
	}
}

static const struct {
	const char *name;
	CU_TestFunc fn;
} tests[] = {
	{ "ipv4 udp", test_ipv4_udp }, { "ipv4 tcp options flags", test_ipv4_tcp_opts },
	{ "vlan", test_vlan }, { "qinq", test_qinq },
	{ "arp", test_arp }, { "ipv4 fragments", test_ipv4_frag },
	{ "ipv4 malformed", test_ipv4_bad }, { "tcp malformed", test_tcp_bad },
	{ "icmp sctp", test_icmp_sctp }, { "ipv6", test_ipv6 },
	{ "ipv6 malformed", test_ipv6_bad }, { "nd", test_nd },
	{ "other l2", test_other_l2 }, { "truncation sweep", test_truncation },
	{ "fuzz", test_fuzz }, { "mbuf", test_mbuf },
};

int main(void)
{
	char prefix[64];
	char *eal_argv[] = { "parse_test", "--no-huge", "-m", "256", "--no-pci", "--no-telemetry",
			     prefix, "--log-level=error", NULL };
	CU_pSuite s;
	unsigned fails;

	snprintf(prefix, sizeof(prefix), "--file-prefix=parse_test_%d", (int)getpid());
	if (rte_eal_init(8, eal_argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		return 1;
	}
	dp_test_pool = rte_pktmbuf_pool_create("parse_test", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					       (int)rte_socket_id());
	if (!dp_test_pool) {
		fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
		t_eal_cleanup();
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("dp_parse", NULL, NULL);
	for (unsigned i = 0; s && i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!CU_add_test(s, tests[i].name, tests[i].fn))
			s = NULL;
	if (!s) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	rte_mempool_free(dp_test_pool);
	t_eal_cleanup();
	return fails ? 1 : 0;
}
