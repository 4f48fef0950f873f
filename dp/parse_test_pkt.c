/* SPDX-License-Identifier: BSD-3-Clause
 * dp/parse_test_pkt.c — hand-built test packets (see parse_test_pkt.h).
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "parse_test_pkt.h"

const uint8_t mac_a[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };

const uint8_t mac_b[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };

const uint8_t mac_c[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

const uint8_t ip4_a[4] = { 10, 0, 0, 1 };

const uint8_t ip4_b[4] = { 10, 0, 0, 2 };

const uint8_t ip6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

const uint8_t ip6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

const uint8_t ip6_t[16] = { 0xfe, 0x80, [14] = 0xab, [15] = 0xcd };

void p_bytes(struct pkt *p, const void *d, size_t n)
{
	memcpy(p->b + p->n, d, n);
	p->n += (uint32_t)n;
}

void p_u8(struct pkt *p, uint8_t v)
{
	p->b[p->n++] = v;
}

void p_u16(struct pkt *p, uint16_t v)
{
	p_u8(p, (uint8_t)(v >> 8));
	p_u8(p, (uint8_t)v);
}

void p_u32(struct pkt *p, uint32_t v)
{
	p_u16(p, (uint16_t)(v >> 16));
	p_u16(p, (uint16_t)v);
}

void p_fill(struct pkt *p, uint8_t v, size_t n)
{
	memset(p->b + p->n, v, n);
	p->n += (uint32_t)n;
}

void p_eth(struct pkt *p, uint16_t type)
{
	p->n = 0;
	p_bytes(p, mac_b, 6);
	p_bytes(p, mac_a, 6);
	p_u16(p, type);
}

void p_tag(struct pkt *p, uint16_t tci, uint16_t type)
{
	p_u16(p, tci);
	p_u16(p, type);
}

uint32_t p_ipv4(struct pkt *p, uint8_t proto, uint8_t optlen, uint16_t frag)
{
	uint32_t at = p->n;

	p_u8(p, (uint8_t)(0x40 | (5 + optlen / 4)));
	p_u8(p, 0x10);
	p_u16(p, 0);
	p_u16(p, 0x1234);
	p_u16(p, frag);
	p_u8(p, 64);
	p_u8(p, proto);
	p_u16(p, 0);
	p_bytes(p, ip4_a, 4);
	p_bytes(p, ip4_b, 4);
	p_fill(p, 0x01, optlen);
	return at;
}

void p_ipv4_done(struct pkt *p, uint32_t at)
{
	uint16_t tot = (uint16_t)(p->n - at);

	p->b[at + 2] = (uint8_t)(tot >> 8);
	p->b[at + 3] = (uint8_t)tot;
}

uint32_t p_ipv6(struct pkt *p, uint8_t nh)
{
	uint32_t at = p->n;

	p_u32(p, 0x6b812345); /* tc 0xb8, label 0x12345 */
	p_u16(p, 0);
	p_u8(p, nh);
	p_u8(p, 64);
	p_bytes(p, ip6_a, 16);
	p_bytes(p, ip6_b, 16);
	return at;
}

void p_ipv6_done(struct pkt *p, uint32_t at)
{
	uint16_t plen = (uint16_t)(p->n - at - 40);

	p->b[at + 4] = (uint8_t)(plen >> 8);
	p->b[at + 5] = (uint8_t)plen;
}

void p_ext(struct pkt *p, uint8_t nh, uint8_t len8)
{
	p_u8(p, nh);
	p_u8(p, len8);
	p_fill(p, 0, (size_t)(len8 + 1) * 8 - 2);
}

void p_frag6(struct pkt *p, uint8_t nh, uint16_t off8, bool mf)
{
	p_u8(p, nh);
	p_u8(p, 0);
	p_u16(p, (uint16_t)(off8 << 3 | mf));
	p_u32(p, 0xcafe);
}

void p_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	p_u16(p, sport);
	p_u16(p, dport);
	p_u16(p, 12);
	p_u16(p, 0);
	p_u32(p, 0xdeadbeef);
}

void p_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint16_t flags, uint8_t doff)
{
	p_u16(p, sport);
	p_u16(p, dport);
	p_u32(p, 1000);
	p_u32(p, 2000);
	p_u16(p, (uint16_t)(doff << 12 | (flags & 0x0fff)));
	p_u16(p, 8192);
	p_u32(p, 0);
	p_fill(p, 0x01, doff > 5 ? (size_t)(doff - 5) * 4 : 0);
}

void p_nd(struct pkt *p, uint8_t type, uint8_t opt, uint8_t optlen8)
{
	p_u8(p, type);
	p_u8(p, 0);
	p_u16(p, 0);
	p_u32(p, type == 136 ? 0x60000000 : 0);
	p_bytes(p, ip6_t, 16);
	if (opt) {
		p_u8(p, opt);
		p_u8(p, optlen8);
		p_bytes(p, mac_c, 6);
		if (optlen8 > 1)
			p_fill(p, 0, (size_t)(optlen8 - 1) * 8);
	}
}

void build(int t, struct pkt *p)
{
	uint32_t ip;

	switch (t) {
	case T_UDP4:
		p_eth(p, 0x0800);
		ip = p_ipv4(p, 17, 0, 0);
		p_udp(p, 1234, 53);
		p_ipv4_done(p, ip);
		break;
	case T_TCP4_OPTS:
		p_eth(p, 0x0800);
		ip = p_ipv4(p, 6, 8, 0x4000 /* DF */);
		p_tcp(p, 40000, 80, 0x112, 8);
		p_ipv4_done(p, ip);
		break;
	case T_QINQ_OPTS:
		p_eth(p, 0x88a8);
		p_tag(p, 0x200a, 0x8100);
		p_tag(p, 0x0014, 0x0800);
		ip = p_ipv4(p, 17, 4, 0);
		p_udp(p, 68, 67);
		p_ipv4_done(p, ip);
		break;
	case T_ARP:
	case T_VLAN_ARP:
		if (t == T_ARP) {
			p_eth(p, 0x0806);
		} else {
			p_eth(p, 0x8100);
			p_tag(p, 0xe064, 0x0806);
		}
		p_u16(p, 1);
		p_u16(p, 0x0800);
		p_u8(p, 6);
		p_u8(p, 4);
		p_u16(p, 1);
		p_bytes(p, mac_a, 6);
		p_bytes(p, ip4_a, 4);
		p_bytes(p, mac_c, 6);
		p_bytes(p, ip4_b, 4);
		break;
	case T_ICMP4:
		p_eth(p, 0x0800);
		ip = p_ipv4(p, 1, 0, 0);
		p_u8(p, 3);
		p_u8(p, 1);
		p_fill(p, 0, 6);
		p_ipv4_done(p, ip);
		break;
	case T_FRAG4_FIRST:
	case T_FRAG4_LATER:
		p_eth(p, 0x0800);
		ip = p_ipv4(p, 17, 0, t == T_FRAG4_FIRST ? 0x2000 : 185);
		p_udp(p, 5000, 6000);
		p_ipv4_done(p, ip);
		break;
	case T_TCP6:
		p_eth(p, 0x86dd);
		ip = p_ipv6(p, 6);
		p_tcp(p, 443, 50000, 0x018, 5);
		p_ipv6_done(p, ip);
		break;
	case T_CHAIN6:
	case T_CHAIN6_LATER:
		p_eth(p, 0x86dd);
		ip = p_ipv6(p, 0);
		p_ext(p, 60, 0);
		p_ext(p, 44, 1);
		p_frag6(p, 17, t == T_CHAIN6 ? 0 : 100, t == T_CHAIN6);
		p_udp(p, 546, 547);
		p_ipv6_done(p, ip);
		break;
	case T_AH6:
		p_eth(p, 0x86dd);
		ip = p_ipv6(p, 43);
		p_ext(p, 51, 0); /* routing */
		p_u8(p, 6);      /* AH: 24 bytes */
		p_u8(p, 4);
		p_fill(p, 0, 22);
		p_tcp(p, 22, 1022, 0x010, 5);
		p_ipv6_done(p, ip);
		break;
	case T_NS:
	case T_NA:
		p_eth(p, 0x86dd);
		ip = p_ipv6(p, 58);
		p_nd(p, t == T_NS ? 135 : 136, t == T_NS ? 1 : 2, 1);
		p_ipv6_done(p, ip);
		break;
	case T_SCTP4:
		p_eth(p, 0x0800);
		ip = p_ipv4(p, 132, 0, 0);
		p_u16(p, 2905);
		p_u16(p, 2906);
		p_fill(p, 0, 8);
		p_ipv4_done(p, ip);
		break;
	case T_ICMP6:
		p_eth(p, 0x86dd);
		ip = p_ipv6(p, 58);
		p_u8(p, 128);
		p_u8(p, 0);
		p_fill(p, 0, 6);
		p_ipv6_done(p, ip);
		break;
	case T_NONXT6:
		p_eth(p, 0x86dd);
		ip = p_ipv6(p, 0);
		p_ext(p, 59, 0);
		p_fill(p, 0xee, 5); /* ignored bytes after no-next-header */
		p_ipv6_done(p, ip);
		break;
	}
}
