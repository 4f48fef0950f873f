/* SPDX-License-Identifier: BSD-3-Clause
 * dp/nat_hairpin_test.c — a VM to a floating IP of its own router held on
 * this chassis (hairpin through the router), through the PMD and the
 * conntrack NAT engine: SNAT of the source to its floating IP (or the
 * chassis' SNAT address), ct(nat(dst)) back to the fixed IP, delivered on
 * the other network; the replies back the same way; a stateful group on the
 * destination judges the translated source; nothing leaves the uplink.  An
 * external address not held here goes through the external gateway.
 *
 * Topology:
 *   network 1 (10.0.1.0/24): A(5) dp port 0, 10.0.1.5
 *   network 2 (10.0.2.0/24): B(6) dp port 1, 10.0.2.6
 *   network 9 (external, flat, 172.24.4.0/24), uplink dp port 2
 *   router 100: R1 on net 1 (10.0.1.254), R2 on net 2 (10.0.2.254), gateway
 *               RG on net 9 (172.24.4.10), default route via 172.24.4.1
 *   floating IPs 172.24.4.100 -> A (MAC FA), 172.24.4.101 -> B (MAC FB)
 *
 * Run: ./build/dp/dp_nat_hairpin_test
 */
#include <rte_ethdev.h>

#include "acl.h"
#include "ct.h"
#include "dp_priv.h"
#include "tables_nat.h"
#include "test_util.h"
#include "translate.h"

static struct dp *DP;
static struct dp_tables *T;
static struct dp_lport_cfg A, B;
static const uint8_t R1M[6] = { 0x02, 0xee, 0, 0, 0, 1 };
static const uint8_t R2M[6] = { 0x02, 0xee, 0, 0, 0, 2 };
static const uint8_t RGM[6] = { 0x02, 0xee, 0, 0, 0, 9 };
static const uint8_t UPM[6] = { 0x02, 0x99, 0, 0, 0, 1 };
static const uint8_t FAM[6] = { 0x02, 0xf1, 0, 0, 0, 5 };
static const uint8_t FBM[6] = { 0x02, 0xf1, 0, 0, 0, 6 };
static const uint8_t SM[6] = { 0x02, 0x5a, 0, 0, 0, 7 };
static const uint8_t IP_A[4] = { 10, 0, 1, 5 }, IP_B[4] = { 10, 0, 2, 6 };
static const uint8_t IP_FA[4] = { 172, 24, 4, 100 }, IP_FB[4] = { 172, 24, 4, 101 };
static const uint8_t IP_UP[4] = { 172, 24, 4, 1 }, IP_SN[4] = { 172, 24, 4, 50 };
static const uint8_t IP_X[4] = { 172, 24, 4, 77 }; /* another external host */
#define RP1 DP_RPORT_KEY(100, 1)
#define RP2 DP_RPORT_KEY(100, 2)
#define RPG DP_RPORT_KEY(100, 3)
static int P[3];
static uint16_t ETH[3];

static uint32_t ip4(const uint8_t *b)
{
	uint32_t v;
	memcpy(&v, b, 4);
	return v;
}

static struct dp_nat_fip_cfg fip(const uint8_t *ext, const uint8_t *mac, uint32_t lport,
				 const uint8_t *fixed)
{
	struct dp_nat_fip_cfg f = { .network = 9, .fip = ip4(ext), .router = 100,
				    .lport = lport, .fixed = ip4(fixed) };
	memcpy(f.mac.addr_bytes, mac, 6);
	return f;
}

static int init(void)
{
	struct dp_config cfg;
	dp_config_defaults(&cfg);
	cfg.n_pmds = 1;
	cfg.pmd_lcores[0] = 1;
	cfg.n_mbufs = 1024;
	cfg.ct_max_conns = 1024;
	DP = dp_create(&cfg);
	if (DP == NULL)
		return -1;
	T = dp_tables(DP);
	struct dp_network_cfg n1 = t_net(1), n2 = t_net(2), n9 = t_net(9);
	n9.type = DP_NET_FLAT;
	if (dp_table_network_put(T, &n1) || dp_table_network_put(T, &n2) ||
	    dp_table_network_put(T, &n9))
		return -1;
	for (unsigned i = 0; i < 3; i++) {
		char name[8], dev[16];
		snprintf(name, sizeof(name), "p%u", i);
		snprintf(dev, sizeof(dev), "net_ring%u", i);
		P[i] = dp_port_add(DP, name, dev, NULL);
		if (P[i] < 0)
			return -1;
		ETH[i] = DP->ports[P[i]].ethdev;
	}
	A = t_lport(5, 1, (uint16_t)P[0]);
	B = t_lport(6, 2, (uint16_t)P[1]);
	if (dp_table_lport_put(T, &A) || dp_table_lport_put(T, &B))
		return -1;
	struct dp_overlay_cfg ov = { .uplink = (uint16_t)P[2], .vtep_ip = htonl(0xc0a80001),
				     .underlay_mtu = 1500, .encap = DP_ENCAP_VXLAN };
	memcpy(ov.vtep_mac.addr_bytes, (uint8_t[6]){ 2, 0x55, 0, 0, 0, 1 }, 6);
	if (dp_overlay_set(T, &ov))
		return -1;
	struct dp_l3 *l3 = dp_l3(DP);
	struct dp_router_cfg r = { .key = 100, .name = "r" };
	struct dp_rport_cfg p1 = { .key = RP1, .router = 100, .network = 1, .name = "r-1" };
	memcpy(p1.mac.addr_bytes, R1M, 6);
	p1.ips[p1.n_ips++] = t_ip4(10, 0, 1, 254, 24);
	struct dp_rport_cfg p2 = { .key = RP2, .router = 100, .network = 2, .name = "r-2" };
	memcpy(p2.mac.addr_bytes, R2M, 6);
	p2.ips[p2.n_ips++] = t_ip4(10, 0, 2, 254, 24);
	struct dp_rport_cfg pg = { .key = RPG, .router = 100, .network = 9, .name = "r-gw" };
	memcpy(pg.mac.addr_bytes, RGM, 6);
	pg.ips[pg.n_ips++] = t_ip4(172, 24, 4, 10, 24);
	struct dp_route_cfg def = { .prefix = t_ip4(0, 0, 0, 0, 0), .gw = t_ip4(172, 24, 4, 1, 32) };
	def.gw.plen = 0;
	if (dp_l3_router_put(l3, &r) || dp_l3_rport_put(l3, &p1) || dp_l3_rport_put(l3, &p2) ||
	    dp_l3_rport_put(l3, &pg) || dp_l3_route_put(l3, 100, &def))
		return -1;
	struct dp_nat_gw_cfg g = { .router = 100, .rport = RPG, .network = 9,
				   .nexthop = ip4(IP_UP) };
	memcpy(g.nexthop_mac.addr_bytes, UPM, 6);
	struct dp_nat_fip_cfg fa = fip(IP_FA, FAM, 5, IP_A), fb = fip(IP_FB, FBM, 6, IP_B);
	struct dp_nat *nat = dp_get_nat(DP);
	if (dp_nat_gw_put(nat, &g) || dp_nat_fip_put(nat, &fa) || dp_nat_fip_put(nat, &fb))
		return -1;
	return 0;
}

static int clean(void)
{
	dp_destroy(DP);
	return 0;
}

static void run(unsigned port, struct rte_mbuf *m)
{
	struct dp_pmd *pmd = DP->pmds[0];
	dp_pmd_apply_invalidations(pmd);
	dp_pmd_process(pmd, (uint16_t)P[port], &m, 1);
	dp_pmd_flush_tx(pmd);
}

static struct rte_mbuf *recv_one(unsigned i)
{
	struct rte_mbuf *m[16];
	uint16_t n = rte_eth_rx_burst(ETH[i], 0, m, 16);
	for (uint16_t k = 1; k < n; k++)
		rte_pktmbuf_free(m[k]);
	return n ? m[0] : NULL;
}

/* m as expected (one router hop: TTL 63, checksums right); its ports out;
 * m freed */
static bool got(struct rte_mbuf *m, const uint8_t *smac, const uint8_t *dmac, const uint8_t *sip,
		const uint8_t *dip, uint16_t *sport, uint16_t *dport)
{
	if (m == NULL)
		return false;
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eh + 1);
	const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)(ip + 1);
	m->l2_len = sizeof(*eh);
	m->l3_len = sizeof(*ip);
	bool ok = memcmp(&eh->src_addr, smac, 6) == 0 && memcmp(&eh->dst_addr, dmac, 6) == 0 &&
		  memcmp(&ip->src_addr, sip, 4) == 0 && memcmp(&ip->dst_addr, dip, 4) == 0 &&
		  ip->time_to_live == 63 && t_ipv4_csums_ok(m);
	if (sport)
		*sport = ntohs(uh->src_port);
	if (dport)
		*dport = ntohs(uh->dst_port);
	rte_pktmbuf_free(m);
	return ok;
}

static void drain(void)
{
	for (unsigned i = 0; i < 3; i++)
		t_drain_port(ETH[i]);
}

/* A -> B's floating IP: B sees A's floating IP; B's reply reaches A from
 * B's floating IP; the other way too; nothing on the uplink. */
static void test_fip_to_fip(void)
{
	struct rte_mempool *mp = dp_mempool(DP);
	struct dp_pmd_stats *st = &DP->pmds[0]->st;
	uint64_t depth0 = st->drops[DP_DROP_RECIRC_DEPTH];
	drain();
	uint16_t sp = 0, dpt = 0;
	run(0, t_pkt_ipv4(mp, A.macs[0].addr_bytes, R1M, IP_A, IP_FB, IPPROTO_UDP, 40000, 5000,
			  64, 20));
	CU_ASSERT(got(recv_one(1), R2M, B.macs[0].addr_bytes, IP_FA, IP_B, &sp, &dpt));
	CU_ASSERT_EQUAL(dpt, 5000);
	CU_ASSERT_PTR_NULL(recv_one(2));
	uint16_t rs = 0, rd = 0;
	run(1, t_pkt_ipv4(mp, B.macs[0].addr_bytes, R2M, IP_B, IP_FA, IPPROTO_UDP, 5000, sp, 64,
			  20));
	CU_ASSERT(got(recv_one(0), R1M, A.macs[0].addr_bytes, IP_FB, IP_A, &rs, &rd));
	CU_ASSERT_EQUAL(rs, 5000);
	CU_ASSERT_EQUAL(rd, 40000);
	CU_ASSERT_PTR_NULL(recv_one(2));
	/* again, through the cached megaflows */
	run(0, t_pkt_ipv4(mp, A.macs[0].addr_bytes, R1M, IP_A, IP_FB, IPPROTO_UDP, 40000, 5000,
			  64, 20));
	CU_ASSERT(got(recv_one(1), R2M, B.macs[0].addr_bytes, IP_FA, IP_B, NULL, NULL));
	/* B opens toward A's floating IP */
	run(1, t_pkt_ipv4(mp, B.macs[0].addr_bytes, R2M, IP_B, IP_FA, IPPROTO_UDP, 6000, 7000, 64,
			  20));
	CU_ASSERT(got(recv_one(0), R1M, A.macs[0].addr_bytes, IP_FB, IP_A, &sp, &dpt));
	CU_ASSERT_EQUAL(dpt, 7000);
	run(0, t_pkt_ipv4(mp, A.macs[0].addr_bytes, R1M, IP_A, IP_FB, IPPROTO_UDP, 7000, sp, 64,
			  20));
	CU_ASSERT(got(recv_one(1), R2M, B.macs[0].addr_bytes, IP_FA, IP_B, &rs, &rd));
	CU_ASSERT_EQUAL(rd, 6000);
	/* A to its own floating IP comes back to itself */
	run(0, t_pkt_ipv4(mp, A.macs[0].addr_bytes, R1M, IP_A, IP_FA, IPPROTO_UDP, 8000, 9000, 64,
			  20));
	CU_ASSERT(got(recv_one(0), R1M, A.macs[0].addr_bytes, IP_FA, IP_A, NULL, &dpt));
	CU_ASSERT_EQUAL(dpt, 9000);
	CU_ASSERT_PTR_NULL(recv_one(2));
	CU_ASSERT_EQUAL(st->drops[DP_DROP_RECIRC_DEPTH], depth0);
}

/* A stateful group on B (egress any, ingress UDP 5000 only) and on A
 * (egress any, no ingress): B's ingress judges A's floating IP as the
 * source; the replies come back through A's zone; port 5001 is denied. */
static void test_with_groups(void)
{
	struct dp_acl_rule rb[] = {
		{ .key = 1, .priority = 1, .dir = DP_ACL_EGRESS, .family = 4, .any_proto = true,
		  .src_max = 65535, .dst_max = 65535 },
		{ .key = 2, .priority = 2, .dir = DP_ACL_INGRESS, .family = 4,
		  .proto = IPPROTO_UDP, .src_max = 65535, .dst_min = 5000, .dst_max = 5000 },
	};
	struct dp_acl_rule ra[] = {
		{ .key = 3, .priority = 1, .dir = DP_ACL_EGRESS, .family = 4, .any_proto = true,
		  .src_max = 65535, .dst_max = 65535 },
	};
	struct dp_acl_port_cfg pb = { .stateful = true, .n_rules = 2, .rules = rb };
	struct dp_acl_port_cfg pa = { .stateful = true, .n_rules = 1, .rules = ra };
	CU_ASSERT_EQUAL_FATAL(dp_acl_port_put(dp_get_acl(DP), 6, &pb), 0);
	CU_ASSERT_EQUAL_FATAL(dp_acl_port_put(dp_get_acl(DP), 5, &pa), 0);
	struct rte_mempool *mp = dp_mempool(DP);
	struct dp_pmd_stats *st = &DP->pmds[0]->st;
	uint64_t depth0 = st->drops[DP_DROP_RECIRC_DEPTH];
	drain();
	uint16_t sp = 0, rd = 0;
	run(0, t_pkt_ipv4(mp, A.macs[0].addr_bytes, R1M, IP_A, IP_FB, IPPROTO_UDP, 41000, 5000,
			  64, 20));
	CU_ASSERT(got(recv_one(1), R2M, B.macs[0].addr_bytes, IP_FA, IP_B, &sp, NULL));
	run(1, t_pkt_ipv4(mp, B.macs[0].addr_bytes, R2M, IP_B, IP_FA, IPPROTO_UDP, 5000, sp, 64,
			  20));
	CU_ASSERT(got(recv_one(0), R1M, A.macs[0].addr_bytes, IP_FB, IP_A, NULL, &rd));
	CU_ASSERT_EQUAL(rd, 41000);
	uint64_t d0 = st->drops[DP_DROP_ACL_DENY];
	run(0, t_pkt_ipv4(mp, A.macs[0].addr_bytes, R1M, IP_A, IP_FB, IPPROTO_UDP, 41001, 5001,
			  64, 20));
	CU_ASSERT_PTR_NULL(recv_one(1));
	CU_ASSERT_EQUAL(st->drops[DP_DROP_ACL_DENY], d0 + 1);
	/* B -> A's floating IP: A allows no ingress */
	run(1, t_pkt_ipv4(mp, B.macs[0].addr_bytes, R2M, IP_B, IP_FA, IPPROTO_UDP, 5000, 6001, 64,
			  20));
	CU_ASSERT_PTR_NULL(recv_one(0));
	CU_ASSERT_EQUAL(st->drops[DP_DROP_ACL_DENY], d0 + 2);
	CU_ASSERT_EQUAL(st->drops[DP_DROP_RECIRC_DEPTH], depth0);
	CU_ASSERT(dp_acl_port_del(dp_get_acl(DP), 6) > 0);
	CU_ASSERT(dp_acl_port_del(dp_get_acl(DP), 5) > 0);
}

/* A without a floating IP, the chassis with an SNAT address: B sees that
 * address; replies come back; nothing opens toward the SNAT address. */
static void test_snat_address(void)
{
	struct dp_nat *nat = dp_get_nat(DP);
	struct dp_nat_gw_cfg g = *dp_nat_gw_get(nat, 100), saved = g;
	g.snat_ip = ip4(IP_SN);
	memcpy(g.snat_mac.addr_bytes, SM, 6);
	CU_ASSERT_EQUAL_FATAL(dp_nat_fip_del(nat, 9, ip4(IP_FA)), 0);
	CU_ASSERT_EQUAL_FATAL(dp_nat_gw_put(nat, &g), 0);
	struct rte_mempool *mp = dp_mempool(DP);
	drain();
	uint16_t sp = 0, rd = 0;
	run(0, t_pkt_ipv4(mp, A.macs[0].addr_bytes, R1M, IP_A, IP_FB, IPPROTO_UDP, 42000, 5000,
			  64, 20));
	CU_ASSERT(got(recv_one(1), R2M, B.macs[0].addr_bytes, IP_SN, IP_B, &sp, NULL));
	run(1, t_pkt_ipv4(mp, B.macs[0].addr_bytes, R2M, IP_B, IP_SN, IPPROTO_UDP, 5000, sp, 64,
			  20));
	CU_ASSERT(got(recv_one(0), R1M, A.macs[0].addr_bytes, IP_FB, IP_A, NULL, &rd));
	CU_ASSERT_EQUAL(rd, 42000);
	CU_ASSERT_PTR_NULL(recv_one(2));
	/* B opening toward the SNAT address: no connection, dropped */
	uint64_t d0 = DP->pmds[0]->st.drops[DP_DROP_NO_NAT];
	run(1, t_pkt_ipv4(mp, B.macs[0].addr_bytes, R2M, IP_B, IP_SN, IPPROTO_UDP, 5000, 1111, 64,
			  20));
	CU_ASSERT_PTR_NULL(recv_one(0));
	CU_ASSERT_PTR_NULL(recv_one(2));
	CU_ASSERT_EQUAL(DP->pmds[0]->st.drops[DP_DROP_NO_NAT], d0 + 1);
	struct dp_nat_fip_cfg fa = fip(IP_FA, FAM, 5, IP_A);
	CU_ASSERT_EQUAL(dp_nat_gw_put(nat, &saved), 0);
	CU_ASSERT_EQUAL(dp_nat_fip_put(nat, &fa), 0);
}

/* An address of the external subnet not held here: out through the
 * external gateway, from A's floating IP; the trace says why. */
static void test_other_external_host(void)
{
	struct rte_mempool *mp = dp_mempool(DP);
	drain();
	run(0, t_pkt_ipv4(mp, A.macs[0].addr_bytes, R1M, IP_A, IP_X, IPPROTO_UDP, 43000, 53, 64,
			  20));
	CU_ASSERT(got(recv_one(2), FAM, UPM, IP_FA, IP_X, NULL, NULL));
	CU_ASSERT_PTR_NULL(recv_one(1));
	char tr[8192];
	struct dp_trace_buf tb = { .buf = tr, .len = sizeof(tr) };
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	t_key_ipv4(&k, (uint16_t)P[0], A.macs[0].addr_bytes, R1M, IP_A, IP_X, IPPROTO_UDP, 1, 53);
	tr[0] = 0;
	dp_translate(T, &k, &s, &tb);
	CU_ASSERT_PTR_NOT_NULL(strstr(tr, "172.24.4.77 is on the external subnet: via its gateway"));
	/* a routed destination (default route) keeps the route's wildcard in
	 * the NAT_OUT pass (the bits the LPM needs): the hairpin check reads
	 * all of ip_dst only for the external subnet (one megaflow per flow
	 * would thrash the cache) */
	static const uint8_t IP_NET[4] = { 8, 8, 8, 8 };
	t_key_ipv4(&k, (uint16_t)P[0], A.macs[0].addr_bytes, R1M, IP_FA, IP_NET, IPPROTO_UDP, 1,
		   53);
	k.recirc_id = DP_RECIRC_NAT_OUT;
	k.ct_state = DP_CS_TRK | DP_CS_EST;
	char tr2[8192] = "";
	struct dp_trace_buf tb2 = { .buf = tr2, .len = sizeof(tr2) };
	dp_translate(T, &k, &s, &tb2);
	CU_ASSERT_PTR_NOT_NULL(strstr(tr2, "out on external network 9"));
	/* the route's bits only, not all 32 */
	CU_ASSERT(s.mask.ip_dst[3] != 0xff);
	/* the hairpin's pass translates the destination only as a
	 * connection's: an invalid state drops */
	t_key_ipv4(&k, (uint16_t)P[0], A.macs[0].addr_bytes, R1M, IP_FA, IP_B, IPPROTO_UDP, 1, 53);
	k.recirc_id = DP_RECIRC_NAT_HAIRPIN;
	k.ct_state = DP_CS_TRK | DP_CS_INV;
	dp_translate(T, &k, &s, NULL);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_CT_INVALID);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "nat_hairpin_test", "-l", "0,1", "--vdev=net_ring0",
		       "--vdev=net_ring1", "--vdev=net_ring2", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("hairpin through the router", init, clean);
	CU_add_test(s, "floating IP to floating IP, both ways", test_fip_to_fip);
	CU_add_test(s, "stateful groups on both ends", test_with_groups);
	CU_add_test(s, "from the chassis' SNAT address", test_snat_address);
	CU_add_test(s, "another external host: via the gateway", test_other_external_host);
	return t_run_all();
}
