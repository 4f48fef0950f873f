/* SPDX-License-Identifier: BSD-3-Clause
 * dp/overlay_test.c — the overlay in isolation: tunnel parsing (VXLAN,
 * Geneve, malformed headers), encapsulation/decapsulation round trips on
 * real mbufs, and the translate stages for the uplink (decap by VNI, VTEP
 * ARP, provider VLAN), remote outputs (tnl_push, VLAN push) and head-end
 * flooding.
 */
#include <errno.h>
#include <stdlib.h>
#include <arpa/inet.h>

#include <rte_mempool.h>

#include "tables_ovl.h"
#include "test_util.h"
#include "dp_priv.h"
#include "parse.h"
#include "translate.h"

static struct rte_mempool *MP;
static const uint8_t MA[6] = { 0x02, 0, 0, 0, 0, 0x0a }, MB[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t IA[4] = { 10, 0, 0, 1 }, IB[4] = { 10, 0, 0, 2 };
#define VTEP_L 0x0100a8c0u   /* 192.168.0.1 network order */
#define VTEP_R 0x0200a8c0u   /* 192.168.0.2 */
static const struct dp_overlay_cfg OV = { .uplink = 5, .vtep_ip = VTEP_L, .encap = DP_ENCAP_VXLAN,
					  .underlay_mtu = 1500,
					  .vtep_mac = { { 0x02, 0xee, 0, 0, 0, 1 } } };
static const uint8_t RMAC[6] = { 0x02, 0xee, 0, 0, 0, 2 };

/* encapsulate a fresh UDP packet toward VTEP_R, then parse it on the uplink */
static void test_encap_roundtrip(void)
{
	for (unsigned e = DP_ENCAP_VXLAN; e <= DP_ENCAP_GENEVE; e++) {
		struct rte_mbuf *m = t_pkt_ipv4(MP, MA, MB, IA, IB, IPPROTO_UDP, 1234, 80, 64, 100);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		struct dp_flow_key inner, outer_key;
		CU_ASSERT_EQUAL(dp_parse(m, 1, &inner), DP_DROP_NONE);
		uint32_t inner_len = rte_pktmbuf_pkt_len(m);
		CU_ASSERT_EQUAL(dp_tnl_push(&OV, m, VTEP_R, RMAC, (uint8_t)e, 0x123456), DP_DROP_NONE);
		CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), inner_len + DP_ENCAP_HLEN);
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		CU_ASSERT_EQUAL(memcmp(p, RMAC, 6), 0);
		CU_ASSERT_EQUAL(memcmp(p + 6, OV.vtep_mac.addr_bytes, 6), 0);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(p + 14);
		CU_ASSERT_EQUAL(ntohs(ip->total_length), inner_len + 36);
		struct rte_ipv4_hdr chk = *ip;
		chk.hdr_checksum = 0;
		CU_ASSERT_EQUAL(rte_ipv4_cksum(&chk), ip->hdr_checksum);
		const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)(p + 34);
		CU_ASSERT_EQUAL(ntohs(udp->dst_port), e == DP_ENCAP_GENEVE ? 6081 : 4789);
		CU_ASSERT(ntohs(udp->src_port) >= 49152);
		CU_ASSERT_EQUAL(ntohs(udp->dgram_len), inner_len + 16);
		/* the uplink parser sees the inner packet plus tunnel metadata */
		CU_ASSERT_EQUAL(dp_parse_tnl(m, 5, VTEP_R, &outer_key), DP_DROP_NONE);
		CU_ASSERT_EQUAL(m->outer_l3_len, DP_ENCAP_HLEN);
		CU_ASSERT_EQUAL(outer_key.tun_vni, 0x123456);
		CU_ASSERT_EQUAL(outer_key.tun_src, VTEP_L);
		CU_ASSERT_EQUAL(outer_key.tun_dst, VTEP_R);
		outer_key.tun_vni = outer_key.tun_src = outer_key.tun_dst = 0;
		outer_key.in_port = 1;
		CU_ASSERT(dp_key_equal(&outer_key, &inner));
		/* pop restores the original bytes */
		dp_tnl_pop(m);
		CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), inner_len);
		struct dp_flow_key again;
		CU_ASSERT_EQUAL(dp_parse(m, 1, &again), DP_DROP_NONE);
		CU_ASSERT(dp_key_equal(&again, &inner));
		rte_pktmbuf_free(m);
	}
	/* the source port follows the inner flow */
	struct rte_mbuf *a = t_pkt_ipv4(MP, MA, MB, IA, IB, IPPROTO_UDP, 1, 80, 64, 10);
	struct rte_mbuf *b = t_pkt_ipv4(MP, MA, MB, IA, IB, IPPROTO_UDP, 2, 80, 64, 10);
	struct dp_flow_key k;
	dp_parse(a, 1, &k);
	dp_parse(b, 1, &k);
	CU_ASSERT_NOT_EQUAL(dp_tnl_sport(a), dp_tnl_sport(b));
	/* too big for the underlay: refused, packet untouched */
	struct dp_overlay_cfg small = OV;
	small.underlay_mtu = 80;   /* 52-byte frame + 36 = 88 */
	uint32_t len = rte_pktmbuf_pkt_len(a);
	CU_ASSERT_EQUAL(dp_tnl_push(&small, a, VTEP_R, RMAC, DP_ENCAP_VXLAN, 1),
			DP_DROP_ENCAP_TOO_BIG);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(a), len);
	rte_pktmbuf_free(a);
	rte_pktmbuf_free(b);
}

/* hand-made tunnel frames: outer Eth/IPv4/UDP + tunnel header + inner */
static uint32_t mk_tnl(uint8_t *buf, uint16_t dport, const uint8_t *thdr, unsigned thl,
		       uint32_t inner_len_cut)
{
	uint8_t inner[64];
	memset(inner, 0, sizeof(inner));
	memcpy(inner, MB, 6);
	memcpy(inner + 6, MA, 6);
	inner[12] = 0x08;
	inner[13] = 0x06;          /* ARP */
	uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	memcpy(arp + 8, MA, 6);
	memcpy(arp + 14, IA, 4);
	memcpy(arp + 24, IB, 4);
	memcpy(inner + 14, arp, 28);
	uint32_t ilen = 42 - inner_len_cut;
	memset(buf, 0, 42);
	memcpy(buf, OV.vtep_mac.addr_bytes, 6);
	memcpy(buf + 6, RMAC, 6);
	buf[12] = 0x08;
	uint8_t *ip = buf + 14;
	ip[0] = 0x45;
	uint16_t tot = htons((uint16_t)(20 + 8 + thl + ilen));
	memcpy(ip + 2, &tot, 2);
	ip[8] = 64;
	ip[9] = 17;
	uint32_t s = VTEP_R, d = VTEP_L;
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	uint8_t *u = buf + 34;
	uint16_t sp = htons(50000), dp = htons(dport), ul = htons((uint16_t)(8 + thl + ilen));
	memcpy(u, &sp, 2);
	memcpy(u + 2, &dp, 2);
	memcpy(u + 4, &ul, 2);
	memcpy(buf + 42, thdr, thl);
	memcpy(buf + 42 + thl, inner, ilen);
	return 42 + thl + ilen;
}

static void test_tunnel_parse_malformed(void)
{
	uint8_t buf[256];
	struct dp_flow_key k;
	uint16_t outer;
	static const uint8_t vx_ok[8] = { 0x08, 0, 0, 0, 0, 0, 100, 0 };
	static const uint8_t vx_noi[8] = { 0x00, 0, 0, 0, 0, 0, 100, 0 };
	uint32_t n = mk_tnl(buf, 4789, vx_ok, 8, 0);
	CU_ASSERT_EQUAL(dp_parse_tnl_buf(buf, n, 5, VTEP_L, &k, &outer), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.tun_vni, 100);
	CU_ASSERT_EQUAL(outer, 50);
	CU_ASSERT_EQUAL(ntohs(k.eth_type), 0x0806);
	n = mk_tnl(buf, 4789, vx_noi, 8, 0);
	CU_ASSERT_EQUAL(dp_parse_tnl_buf(buf, n, 5, VTEP_L, &k, &outer), DP_DROP_BAD_TUNNEL);
	n = mk_tnl(buf, 4789, vx_ok, 8, 30);   /* inner shorter than Ethernet */
	CU_ASSERT_EQUAL(dp_parse_tnl_buf(buf, n, 5, VTEP_L, &k, &outer), DP_DROP_BAD_TUNNEL);
	n = mk_tnl(buf, 4789, vx_ok, 8, 10);   /* inner ARP cut short: inner reason */
	CU_ASSERT_EQUAL(dp_parse_tnl_buf(buf, n, 5, VTEP_L, &k, &outer), DP_DROP_TRUNC_ARP);
	/* Geneve: options skipped; critical options, wrong version, non-Ethernet refused */
	uint8_t gv[16] = { 0x02, 0, 0x65, 0x58, 0, 0, 7, 0, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0 };
	n = mk_tnl(buf, 6081, gv, 16, 0);
	CU_ASSERT_EQUAL(dp_parse_tnl_buf(buf, n, 5, VTEP_L, &k, &outer), DP_DROP_NONE);
	CU_ASSERT_EQUAL(k.tun_vni, 7);
	CU_ASSERT_EQUAL(outer, 58);
	gv[1] = 0x40;
	n = mk_tnl(buf, 6081, gv, 16, 0);
	CU_ASSERT_EQUAL(dp_parse_tnl_buf(buf, n, 5, VTEP_L, &k, &outer), DP_DROP_BAD_TUNNEL);
	gv[1] = 0;
	gv[0] = 0x42;
	n = mk_tnl(buf, 6081, gv, 16, 0);
	CU_ASSERT_EQUAL(dp_parse_tnl_buf(buf, n, 5, VTEP_L, &k, &outer), DP_DROP_BAD_TUNNEL);
	gv[0] = 0x02;
	gv[3] = 0x00;
	n = mk_tnl(buf, 6081, gv, 16, 0);
	CU_ASSERT_EQUAL(dp_parse_tnl_buf(buf, n, 5, VTEP_L, &k, &outer), DP_DROP_BAD_TUNNEL);
	gv[3] = 0x58;
	gv[0] = 0x3f;   /* 252 bytes of options: past the frame */
	n = mk_tnl(buf, 6081, gv, 16, 0);
	CU_ASSERT_EQUAL(dp_parse_tnl_buf(buf, n, 5, VTEP_L, &k, &outer), DP_DROP_BAD_TUNNEL);
	/* every truncation of a good frame: never a crash, never "ok" with garbage */
	n = mk_tnl(buf, 4789, vx_ok, 8, 0);
	for (uint32_t l = 0; l < n; l++) {
		unsigned r = dp_parse_tnl_buf(buf, l, 5, VTEP_L, &k, &outer);
		CU_ASSERT(r != DP_DROP_NONE || outer == 0);
	}
	/* other UDP on the uplink is not a tunnel */
	n = mk_tnl(buf, 53, vx_ok, 8, 0);
	CU_ASSERT_EQUAL(dp_parse_tnl_buf(buf, n, 5, VTEP_L, &k, &outer), DP_DROP_NONE);
	CU_ASSERT_EQUAL(outer, 0);
	CU_ASSERT_EQUAL(k.tun_dst, 0);
	/* VXLAN / Geneve not addressed to our VTEP (a VM on a provider network
	 * running its own overlay) is an ordinary UDP packet, not decapsulated */
	static const uint8_t gn_ok[8] = { 0, 0, 0x65, 0x58, 0, 0, 100, 0 };
	for (unsigned g = 0; g < 2; g++) {
		n = g ? mk_tnl(buf, 6081, gn_ok, 8, 0) : mk_tnl(buf, 4789, vx_ok, 8, 0);
		CU_ASSERT_EQUAL(dp_parse_tnl_buf(buf, n, 5, VTEP_L, &k, &outer), DP_DROP_NONE);
		CU_ASSERT_EQUAL(outer, 50);
		CU_ASSERT_EQUAL(dp_parse_tnl_buf(buf, n, 5, VTEP_L + 0x01000000u, &k, &outer),
				DP_DROP_NONE);
		CU_ASSERT_EQUAL(outer, 0);
		CU_ASSERT_EQUAL(k.tun_dst, 0);
		CU_ASSERT_EQUAL(k.tun_vni, 0);
		CU_ASSERT_EQUAL(ntohs(k.tp_dst), g ? 6081 : 4789);
		uint32_t d = VTEP_L;
		CU_ASSERT_EQUAL(memcmp(k.ip_dst, &d, 4), 0);
		/* no overlay configured (vtep_ip 0): nothing is ours */
		CU_ASSERT_EQUAL(dp_parse_tnl_buf(buf, n, 5, 0, &k, &outer), DP_DROP_NONE);
		CU_ASSERT_EQUAL(outer, 0);
	}
}

/* VNI / VLAN / flat -> network: unique, found, moved, freed; tags on change. */
static void test_network_segments(void)
{
	struct rec r = { .n = 0 };
	struct dp_tables *t = t_mk_tables(&r);
	struct dp_network_cfg a = t_net(1), b = t_net(2), v = t_net(3), f = t_net(4);
	a.vni = 100;
	b.vni = 100;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &a), 0);
	CU_ASSERT_EQUAL(dp_table_network_by_vni(t, 100), 1);
	uint64_t dg = table_digest(t);
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &b), -EEXIST);  /* VNI taken */
	CU_ASSERT_EQUAL(r.n, 0);
	CU_ASSERT_EQUAL(table_digest(t), dg);
	CU_ASSERT_PTR_NULL(dp_table_network_get(t, 2));
	/* moving network 1 to VNI 200 frees 100 for network 2 */
	a.vni = 200;
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &a), 0);
	uint64_t mv[] = { TAG_N(1), TAG_SEG(DP_SEG_VNI, 200), TAG_SEG(DP_SEG_VNI, 100) };
	CU_ASSERT(rec_exact(&r, mv, 3));
	CU_ASSERT_EQUAL(dp_table_network_by_vni(t, 100), 0);
	CU_ASSERT_EQUAL(dp_table_network_by_vni(t, 200), 1);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &b), 0);
	CU_ASSERT_EQUAL(dp_table_network_by_vni(t, 100), 2);
	/* VLAN and flat provider networks */
	v.vni = 0;
	v.type = DP_NET_VLAN;
	v.vlan = 0;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &v), -EINVAL);   /* vlan 0 */
	v.vlan = 4095;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &v), -EINVAL);
	v.vlan = 30;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &v), 0);
	CU_ASSERT_EQUAL(dp_table_network_by_vlan(t, 30), 3);
	f.vni = 0;
	f.type = DP_NET_FLAT;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &f), 0);
	CU_ASSERT_EQUAL(dp_table_network_by_vlan(t, 0), 4);
	struct dp_network_cfg f2 = t_net(5);
	f2.vni = 0;
	f2.type = DP_NET_FLAT;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &f2), -EEXIST);  /* one flat network */
	f.type = 7;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &f), -EINVAL);
	/* flood VTEPs: bounded, non-zero, a list given */
	uint32_t fv[1] = { 0 };
	a.n_flood_vteps = DP_NET_MAX_VTEPS + 1;
	a.flood_vteps = fv;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &a), -EINVAL);
	a.n_flood_vteps = 1;
	a.flood_vteps = NULL;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &a), -EINVAL);
	a.flood_vteps = fv;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &a), -EINVAL);
	fv[0] = 0x0200000a;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &a), 0);
	CU_ASSERT_EQUAL(dp_table_network_get(t, 1)->cfg.n_flood_vteps, 1);
	/* no limit of 64: 1000 VTEPs, given unsorted with duplicates, are kept
	 * as a sorted set the table owns; membership by binary search */
	uint32_t *many = malloc(1002 * sizeof(*many));
	CU_ASSERT_PTR_NOT_NULL_FATAL(many);
	for (uint32_t i = 0; i < 1000; i++)
		many[i] = htonl(0x0a000000u | ((i * 7919u) % 1000u + 1));
	many[1000] = many[3];
	many[1001] = many[999];
	a.flood_vteps = many;
	a.n_flood_vteps = 1002;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &a), 0);
	free(many);   /* the table kept its own copy */
	const struct dp_network *big = dp_table_network_get(t, 1);
	CU_ASSERT_EQUAL(big->cfg.n_flood_vteps, 1000);
	for (uint32_t i = 1; i < big->cfg.n_flood_vteps; i++)
		CU_ASSERT(big->cfg.flood_vteps[i - 1] < big->cfg.flood_vteps[i]);
	CU_ASSERT(dp_network_has_vtep(big, htonl(0x0a000001)));
	CU_ASSERT(dp_network_has_vtep(big, htonl(0x0a0003e8)));
	CU_ASSERT(!dp_network_has_vtep(big, htonl(0x0a0003e9)));
	CU_ASSERT(!dp_network_has_vtep(big, htonl(0x0a000000)));
	a.flood_vteps = fv;
	a.n_flood_vteps = 1;
	CU_ASSERT_EQUAL(dp_table_network_put(t, &a), 0);
	CU_ASSERT_EQUAL(dp_table_network_get(t, 1)->cfg.n_flood_vteps, 1);
	CU_ASSERT(!dp_network_has_vtep(dp_table_network_get(t, 1), htonl(0x0a000001)));
	/* deleting frees the segment */
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_network_del(t, 3), 0);
	uint64_t dl[] = { TAG_N(3), TAG_SEG(DP_SEG_VLAN, 30) };
	CU_ASSERT(rec_exact(&r, dl, 2));
	CU_ASSERT_EQUAL(dp_table_network_by_vlan(t, 30), 0);
	for (uint32_t k = 1; k <= 4; k++)
		dp_table_network_del(t, k);
	CU_ASSERT_EQUAL(dp_table_network_by_vni(t, 100), 0);
	dp_tables_destroy(t);
}

static void test_overlay_vteps(void)
{
	struct rec r = { .n = 0 };
	struct dp_tables *t = t_mk_tables(&r);
	CU_ASSERT_PTR_NULL(dp_overlay_get(t));
	CU_ASSERT_EQUAL(dp_overlay_uplink(t), DP_NO_PORT);
	struct dp_overlay_cfg ov = { .uplink = 2, .vtep_ip = 0x0100000a, .encap = DP_ENCAP_GENEVE,
				     .underlay_mtu = 1500,
				     .vtep_mac = { { 0x02, 0, 0, 0, 0, 9 } } };
	struct dp_overlay_cfg bad = ov;
	bad.vtep_ip = 0;
	CU_ASSERT_EQUAL(dp_overlay_set(t, &bad), -EINVAL);
	bad = ov;
	bad.encap = 0;
	CU_ASSERT_EQUAL(dp_overlay_set(t, &bad), -EINVAL);
	bad = ov;
	bad.vtep_mac.addr_bytes[0] = 1;   /* multicast */
	CU_ASSERT_EQUAL(dp_overlay_set(t, &bad), -EINVAL);
	CU_ASSERT_PTR_NULL(dp_overlay_get(t));
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_overlay_set(t, &ov), 0);
	uint64_t e[] = { DP_TAG(DP_TAG_OVERLAY, 0), TAG_P(2) };
	CU_ASSERT(rec_exact(&r, e, 2));   /* packets on the new uplink re-classify */
	CU_ASSERT_EQUAL(dp_overlay_uplink(t), 2);
	CU_ASSERT_EQUAL(dp_overlay_get(t)->encap, DP_ENCAP_GENEVE);

	struct dp_vtep v = { .ip = 0x0200000a };
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_vtep_put(t, &v), 0);
	uint64_t ev[] = { DP_TAG(DP_TAG_VTEP, 0x0200000a) };
	CU_ASSERT(rec_exact(&r, ev, 1));
	CU_ASSERT_FALSE(dp_vtep_get(t, v.ip)->resolved);
	CU_ASSERT_EQUAL(dp_vtep_encap(dp_overlay_get(t), dp_vtep_get(t, v.ip)), DP_ENCAP_GENEVE);
	/* the same entry again: nothing to invalidate */
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_vtep_put(t, &v), 0);
	CU_ASSERT_EQUAL(r.n, 0);
	v.resolved = true;   /* resolved with a zero MAC: refused */
	CU_ASSERT_EQUAL(dp_vtep_put(t, &v), -EINVAL);
	v.mac.addr_bytes[0] = 0x02;
	v.mac.addr_bytes[5] = 0x22;
	v.encap = DP_ENCAP_VXLAN;
	CU_ASSERT_EQUAL(dp_vtep_put(t, &v), 0);
	CU_ASSERT(dp_vtep_get(t, v.ip)->resolved);
	CU_ASSERT_EQUAL(dp_vtep_encap(dp_overlay_get(t), dp_vtep_get(t, v.ip)), DP_ENCAP_VXLAN);
	v.encap = 9;
	CU_ASSERT_EQUAL(dp_vtep_put(t, &v), -EINVAL);
	v.ip = 0;
	CU_ASSERT_EQUAL(dp_vtep_put(t, &v), -EINVAL);
	CU_ASSERT_EQUAL(dp_vtep_count(t), 1);
	CU_ASSERT_EQUAL(dp_vtep_del(t, 0x0200000a), 0);
	CU_ASSERT_EQUAL(dp_vtep_del(t, 0x0200000a), -ENOENT);
	CU_ASSERT_PTR_NULL(dp_vtep_get(t, 0x0200000a));
	/* overlay off */
	CU_ASSERT_EQUAL(dp_overlay_set(t, NULL), 0);
	CU_ASSERT_PTR_NULL(dp_overlay_get(t));
	CU_ASSERT_EQUAL(dp_overlay_uplink(t), DP_NO_PORT);
	dp_tables_destroy(t);
}

/* ---- stages ------------------------------------------------------------------- */

static struct dp_tables *T;

static void xl(const struct dp_flow_key *k, struct dp_megaflow_spec *s, char *acts, size_t n)
{
	dp_translate(T, k, s, NULL);
	t_fmt_actions(acts, n, s->actions, s->n_actions, s->flood_ports);
}

static void test_stages(void)
{
	T = dp_tables_create("ovlt", NULL, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(T);
	struct dp_network_cfg n1 = t_net(1), pv = t_net(2);
	n1.vni = 5001;
	static const uint32_t vr[] = { VTEP_R };
	n1.n_flood_vteps = 1;
	n1.flood_vteps = vr;
	pv.vni = 0;
	pv.type = DP_NET_VLAN;
	pv.vlan = 30;
	CU_ASSERT_EQUAL(dp_table_network_put(T, &n1), 0);
	CU_ASSERT_EQUAL(dp_table_network_put(T, &pv), 0);
	struct dp_lport_cfg a = t_lport(1, 1, 1), b = t_lport(2, 1, DP_NO_PORT);
	struct dp_lport_cfg c = t_lport(3, 2, 2), d = t_lport(4, 2, DP_NO_PORT);
	memcpy(a.macs[0].addr_bytes, MA, 6);
	memcpy(b.macs[0].addr_bytes, MB, 6);
	a.port_security = b.port_security = c.port_security = d.port_security = false;
	b.remote_vtep = VTEP_R;
	CU_ASSERT_EQUAL(dp_table_lport_put(T, &a), 0);
	CU_ASSERT_EQUAL(dp_table_lport_put(T, &b), 0);
	CU_ASSERT_EQUAL(dp_table_lport_put(T, &c), 0);
	CU_ASSERT_EQUAL(dp_table_lport_put(T, &d), 0);
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	char acts[512];

	/* to a remote port, no overlay yet: counted drop */
	t_key_ipv4(&k, 1, MA, MB, IA, IB, IPPROTO_UDP, 1, 2);
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_OVERLAY);
	CU_ASSERT_EQUAL(dp_overlay_set(T, &OV), 0);
	/* overlay, VTEP not resolved: drop that depends on the VTEP entry */
	struct dp_vtep v = { .ip = VTEP_R };
	CU_ASSERT_EQUAL(dp_vtep_put(T, &v), 0);
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_VTEP_UNRESOLVED);
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_VTEP, VTEP_R)));
	/* resolved: tnl_push + output uplink */
	memcpy(v.mac.addr_bytes, RMAC, 6);
	v.resolved = true;
	CU_ASSERT_EQUAL(dp_vtep_put(T, &v), 0);
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_STRING_EQUAL(acts, "tnl_push:vxlan(vni=5001,dst=192.168.0.2,mac=02:ee:00:00:00:02),"
				     "output:5");
	/* broadcast: local ports (none other) + a tnl_flood */
	t_key_ipv4(&k, 1, MA, (const uint8_t[6]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, IA, IB,
		   IPPROTO_UDP, 1, 2);
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_STRING_EQUAL(acts, "tnl_flood:(network=1,vni=5001)");
	/* from the uplink, tunnelled: decap by VNI, then L2; never back to a tunnel */
	t_key_ipv4(&k, 5, MB, MA, IB, IA, IPPROTO_UDP, 2, 1);
	k.tun_vni = 5001;
	k.tun_src = VTEP_R;
	k.tun_dst = VTEP_L;
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_STRING_EQUAL(acts, "tnl_pop,output:1");
	CU_ASSERT(s.mask.tun_vni == 0xffffffffu && s.mask.tun_dst == 0xffffffffu);
	/* to the remote port itself (from a MAC no port has) */
	static const uint8_t MX[6] = { 0x02, 0x77, 0, 0, 0, 1 };
	t_key_ipv4(&k, 5, MX, MB, IA, IB, IPPROTO_UDP, 2, 1);
	k.tun_vni = 5001;
	k.tun_src = VTEP_R;
	k.tun_dst = VTEP_L;
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_DEST);
	/* with the source MAC of a local port: spoofed */
	memcpy(k.eth_src, MA, 6);
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_TNL_SPOOF);
	k.tun_vni = 999;
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_SEGMENT);
	k.tun_vni = 5001;
	k.tun_dst = VTEP_R;   /* not our VTEP */
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_BAD_TUNNEL);
	/* ARP for our VTEP: answered from the VTEP MAC out of the uplink */
	uint32_t vl = VTEP_L;
	t_key_arp(&k, 5, RMAC, RMAC, (const uint8_t *)&(uint32_t){ VTEP_R }, (const uint8_t *)&vl);
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_STRING_EQUAL(acts, "arp_reply:02:ee:00:00:00:01,output:5");
	k.arp_op = htons(2);
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_STRING_EQUAL(acts, "punt:underlay");
	/* provider VLAN 30: from the uplink popped into network 2 ... */
	t_key_ipv4(&k, 5, MB, c.macs[0].addr_bytes, IB, IA, IPPROTO_UDP, 2, 1);
	k.vlan_tci = DP_VLAN_PRESENT | 30;
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_STRING_EQUAL(acts, "pop_vlan,output:2");
	k.vlan_tci = DP_VLAN_PRESENT | 31;
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_SEGMENT);
	/* ... and to its remote port: push VLAN 30 out of the uplink */
	t_key_ipv4(&k, 2, c.macs[0].addr_bytes, d.macs[0].addr_bytes, IA, IB, IPPROTO_UDP, 1, 2);
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_STRING_EQUAL(acts, "push_vlan:30,output:5");

	/* the provider networks on a port of their own (7): the uplink keeps
	 * the overlay, VLAN 30 comes and goes by port 7 */
	struct dp_overlay_cfg ov = OV;
	ov.has_provider_port = true;
	ov.provider_port = ov.uplink;
	CU_ASSERT_EQUAL(dp_overlay_set(T, &ov), -EINVAL);   /* the uplink itself */
	ov.provider_port = DP_MAX_PORTS;
	CU_ASSERT_EQUAL(dp_overlay_set(T, &ov), -EINVAL);
	ov.provider_port = 7;
	CU_ASSERT_EQUAL(dp_overlay_set(T, &ov), 0);
	CU_ASSERT_EQUAL(dp_overlay_provider(T), 7);
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_STRING_EQUAL(acts, "push_vlan:30,output:7");
	t_key_ipv4(&k, 7, MB, c.macs[0].addr_bytes, IB, IA, IPPROTO_UDP, 2, 1);
	k.vlan_tci = DP_VLAN_PRESENT | 30;
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_STRING_EQUAL(acts, "pop_vlan,output:2");
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_DPPORT, 7)));
	/* the tunnel still comes by the uplink ... */
	t_key_ipv4(&k, 5, MB, MA, IB, IA, IPPROTO_UDP, 2, 1);
	k.tun_vni = 5001;
	k.tun_src = VTEP_R;
	k.tun_dst = VTEP_L;
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_STRING_EQUAL(acts, "tnl_pop,output:1");
	/* ... and ARP for the VTEP on the provider port is not the VTEP's */
	t_key_arp(&k, 7, RMAC, RMAC, (const uint8_t *)&(uint32_t){ VTEP_R }, (const uint8_t *)&vl);
	xl(&k, &s, acts, sizeof(acts));
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_SEGMENT);   /* no flat network here */
	/* back on the uplink */
	CU_ASSERT_EQUAL(dp_overlay_set(T, &OV), 0);
	CU_ASSERT_EQUAL(dp_overlay_provider(T), DP_NO_PORT);
	dp_tables_destroy(T);
}

int main(int argc, char **argv)
{
	CU_pSuite s;
	(void)argc;
	if (t_eal_init(argv[0], "overlay_test", "-l", "0", (char *)NULL) < 0)
		return 2;
	MP = rte_pktmbuf_pool_create("ovlt_mp", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	if (MP == NULL || CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("overlay", NULL, NULL);
	CU_add_test(s, "VXLAN/Geneve encap -> uplink parse -> decap", test_encap_roundtrip);
	CU_add_test(s, "malformed tunnel headers", test_tunnel_parse_malformed);
	CU_add_test(s, "uplink, remote output and flood stages", test_stages);
	s = CU_add_suite("overlay tables", NULL, NULL);
	CU_add_test(s, "network segments: VNI / VLAN / flat", test_network_segments);
	CU_add_test(s, "overlay config and VTEP neighbors", test_overlay_vteps);
	return t_run_all();
}
