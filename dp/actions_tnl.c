/* SPDX-License-Identifier: BSD-3-Clause
 * dp/actions_tnl.c — VXLAN / Geneve encapsulation and decapsulation.
 *
 * Push prepends one 50-byte outer header in the mbuf's headroom:
 *   Ethernet (our VTEP MAC -> the remote VTEP's underlay MAC, IPv4)
 *   IPv4 (our VTEP IP -> remote, DF, TTL 64, header checksum in software)
 *   UDP (source port from a hash of the inner flow, 49152..65535 as RFC 7348
 *        suggests, so underlay ECMP/RSS spreads flows; checksum 0, which
 *        both RFCs allow over IPv4)
 *   VXLAN (flags I, VNI) or Geneve (version 0, no options, protocol 0x6558,
 *        VNI).
 * The outer packet must fit the underlay MTU, else it is dropped and counted
 * (encap-too-big): networks are given an MTU that leaves the room
 * (DP_ENCAP_OVERHEAD), so only a guest ignoring its MTU hits it.
 * Pop removes what parse measured (m->outer_l3_len: every byte before the
 * inner Ethernet header).
 * Thread: PMD.
 */
#include <string.h>
#include <arpa/inet.h>

#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "drop.h"
#include "dp_priv.h"
#include "tables_ovl.h"

/* CRC of n bytes at p (packet data: any alignment; copied to words first,
 * rte_hash_crc would load them as unaligned 8-byte words). n <= 32, n % 4 == 0. */
static uint32_t crc_bytes(const uint8_t *p, unsigned n, uint32_t h)
{
	uint32_t w[8];
	memcpy(w, p, n);
	for (unsigned i = 0; i < n / 4; i++)
		h = rte_hash_crc_4byte(w[i], h);
	return h;
}

/* Hash of the inner flow: addresses and ports when IP, MACs otherwise. */
uint16_t dp_tnl_sport(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), l2 = m->l2_len, l3 = m->l3_len;
	uint32_t h = 0x1234567;
	uint16_t et = 0;
	if (l2 >= 14 && l2 <= len)
		memcpy(&et, p + l2 - 2, 2);
	if (et == htons(RTE_ETHER_TYPE_IPV4) && l2 + 20 <= len) {
		h = crc_bytes(p + l2 + 12, 8, h);
		if (l3 && l2 + l3 + 4 <= len && (p[l2 + 9] == 6 || p[l2 + 9] == 17))
			h = crc_bytes(p + l2 + l3, 4, h);
	} else if (et == htons(RTE_ETHER_TYPE_IPV6) && l2 + 40 <= len) {
		h = crc_bytes(p + l2 + 8, 32, h);
		if (l3 && l2 + l3 + 4 <= len)
			h = crc_bytes(p + l2 + l3, 4, h);
	} else if (len >= 12) {
		h = crc_bytes(p, 12, h);
	}
	h ^= h >> 16;
	return (uint16_t)(0xc000 | (h & 0x3fff));
}

unsigned dp_tnl_push(const struct dp_overlay_cfg *ov, struct rte_mbuf *m, uint32_t dst_ip,
		     const uint8_t *dst_mac, uint8_t encap, uint32_t vni)
{
	uint32_t inner = rte_pktmbuf_pkt_len(m);
	uint32_t ip_len = 20 + 8 + 8 + inner;
	if (ip_len > ov->underlay_mtu)
		return DP_DROP_ENCAP_TOO_BIG;
	uint16_t sport = dp_tnl_sport(m);
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(m, DP_ENCAP_HLEN);
	if (h == NULL)
		return DP_DROP_NOMEM;
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)h;
	memcpy(&eh->dst_addr, dst_mac, 6);
	eh->src_addr = ov->vtep_mac;
	eh->ether_type = htons(RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(h + 14);
	ip->version_ihl = 0x45;
	ip->type_of_service = 0;
	ip->total_length = htons((uint16_t)ip_len);
	ip->packet_id = 0;
	ip->fragment_offset = htons(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->hdr_checksum = 0;
	ip->src_addr = ov->vtep_ip;
	ip->dst_addr = dst_ip;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(h + 34);
	udp->src_port = htons(sport);
	udp->dst_port = htons(encap == DP_ENCAP_GENEVE ? DP_GENEVE_PORT : DP_VXLAN_PORT);
	udp->dgram_len = htons((uint16_t)(ip_len - 20));
	udp->dgram_cksum = 0;
	uint8_t *t = h + 42;
	uint32_t vni_be = htonl(vni << 8);
	if (encap == DP_ENCAP_GENEVE) {
		t[0] = 0;         /* version 0, no options */
		t[1] = 0;         /* O, C clear */
		t[2] = 0x65;      /* protocol: Transparent Ethernet Bridging */
		t[3] = 0x58;
	} else {
		t[0] = 0x08;      /* I: VNI valid */
		t[1] = t[2] = t[3] = 0;
	}
	memcpy(t + 4, &vni_be, 4);
	m->l2_len = 14;
	m->l3_len = 20;
	m->outer_l2_len = 0;
	m->outer_l3_len = 0;
	return DP_DROP_NONE;
}

void dp_tnl_pop(struct rte_mbuf *m)
{
	uint16_t n = m->outer_l3_len;
	if (n == 0 || n > rte_pktmbuf_data_len(m))
		return;
	rte_pktmbuf_adj(m, n);
	m->outer_l3_len = 0;
}
