/* SPDX-License-Identifier: BSD-3-Clause
 * dp/nat_gw_stage_test.c — gateway SNAT through translate (stage_nat.c,
 * stage_l3.c, stage_output.c, stage_classify_uplink.c): the steering of a
 * VM without a floating IP to the gateway chassis' VTEP, the gateway
 * chassis SNATing a tunnelled packet to the router's gateway IP, its
 * un-NATed replies tunnelled to the VM's chassis, the gateway IP still
 * answering echo, and classify accepting the gateway's routed replies.
 *
 * Tables: network 1 (overlay, VNI 1001) with lport B (local, no FIP), lport
 * A (local, with a FIP) and lport R (remote, behind VTEP_R); network 9
 * (flat, external); router 100 with rports on both, gateway IP 172.24.4.10.
 */
#include <errno.h>
#include <stdlib.h>
#include <rte_ethdev.h>

#include "ct.h"
#include "dp_priv.h"
#include "tables_nat.h"
#include "test_util.h"
#include "translate.h"

#define RP1 DP_RPORT_KEY(100, 1)
#define RPG DP_RPORT_KEY(100, 2)

static struct dp *DP;
static struct dp_tables *T;
static struct dp_lport_cfg A, B, R;
static const uint8_t R1M[6] = { 0x02, 0xee, 0, 0, 0, 1 };
static const uint8_t RGM[6] = { 0x02, 0xee, 0, 0, 0, 9 };
static const uint8_t UPM[6] = { 0x02, 0x99, 0, 0, 0, 1 };
static const uint8_t FM[6] = { 0x02, 0xf1, 0, 0, 0, 5 };
static const uint8_t GWM[6] = { 0x02, 0x6a, 0, 0, 0, 1 };  /* the gateway IP's MAC */
static const uint8_t VM_R[6] = { 0x02, 0x77, 0, 0, 0, 1 }; /* VTEP_R's underlay MAC */
static const uint8_t VM_G[6] = { 0x02, 0x77, 0, 0, 0, 2 }; /* VTEP_G's */
static const uint8_t IP_UP[4] = { 172, 24, 4, 1 }, IP_GW[4] = { 172, 24, 4, 10 };
static const uint8_t IP_FIP[4] = { 172, 24, 4, 100 }, IP_NET[4] = { 8, 8, 8, 8 };
static const uint8_t IP_B[4] = { 10, 0, 1, 6 }, IP_R[4] = { 10, 0, 1, 7 };
static const uint8_t IP_A[4] = { 10, 0, 1, 5 };
static uint32_t VTEP_ME, VTEP_R, VTEP_G;
static uint16_t UPLINK;
static int P[3];

static uint32_t ip4(const uint8_t *b)
{
	uint32_t v;
	memcpy(&v, b, 4);
	return v;
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
	VTEP_ME = htonl(0xc0a80001);
	VTEP_R = htonl(0xc0a80002);
	VTEP_G = htonl(0xc0a80003);
	struct dp_network_cfg n1 = t_net(1), n9 = t_net(9);
	static uint32_t flood_r[1];
	flood_r[0] = VTEP_R;          /* R's chassis; not the gateway's */
	n1.n_flood_vteps = 1;
	n1.flood_vteps = flood_r;
	n9.type = DP_NET_FLAT;
	n9.vni = 0;
	if (dp_table_network_put(T, &n1) || dp_table_network_put(T, &n9))
		return -1;
	for (unsigned i = 0; i < 3; i++) {
		char name[8], dev[16];
		snprintf(name, sizeof(name), "p%u", i);
		snprintf(dev, sizeof(dev), "net_ring%u", i);
		if ((P[i] = dp_port_add(DP, name, dev, NULL)) < 0)
			return -1;
	}
	UPLINK = (uint16_t)P[2];
	A = t_lport(5, 1, (uint16_t)P[0]);
	B = t_lport(6, 1, (uint16_t)P[1]);
	R = t_lport(7, 1, DP_NO_PORT);
	R.remote_vtep = VTEP_R;
	if (dp_table_lport_put(T, &A) || dp_table_lport_put(T, &B) || dp_table_lport_put(T, &R))
		return -1;
	struct dp_overlay_cfg ov = { .uplink = UPLINK, .vtep_ip = VTEP_ME, .underlay_mtu = 1500,
				     .encap = DP_ENCAP_VXLAN };
	memcpy(ov.vtep_mac.addr_bytes, (uint8_t[6]){ 2, 0x55, 0, 0, 0, 1 }, 6);
	if (dp_overlay_set(T, &ov))
		return -1;
	struct dp_vtep vr = { .ip = VTEP_R, .resolved = true }, vg = { .ip = VTEP_G };
	memcpy(vr.mac.addr_bytes, VM_R, 6);
	if (dp_vtep_put(T, &vr) || dp_vtep_put(T, &vg))  /* VTEP_G: unresolved yet */
		return -1;
	struct dp_l3 *l3 = dp_l3(DP);
	struct dp_router_cfg r = { .key = 100, .name = "r" };
	struct dp_rport_cfg p1 = { .key = RP1, .router = 100, .network = 1, .name = "r-in" };
	memcpy(p1.mac.addr_bytes, R1M, 6);
	p1.ips[p1.n_ips++] = t_ip4(10, 0, 1, 254, 24);
	struct dp_rport_cfg pg = { .key = RPG, .router = 100, .network = 9, .name = "r-gw" };
	memcpy(pg.mac.addr_bytes, RGM, 6);
	pg.ips[pg.n_ips++] = t_ip4(172, 24, 4, 10, 24);
	struct dp_route_cfg def = { .prefix = t_ip4(0, 0, 0, 0, 0), .gw = t_ip4(172, 24, 4, 1, 0) };
	if (dp_l3_router_put(l3, &r) || dp_l3_rport_put(l3, &p1) || dp_l3_rport_put(l3, &pg) ||
	    dp_l3_route_put(l3, 100, &def))
		return -1;
	/* not the gateway chassis: the gateway is behind VTEP_G */
	struct dp_nat_gw_cfg g = { .router = 100, .rport = RPG, .network = 9,
				   .nexthop = ip4(IP_UP), .gw_vtep = VTEP_G };
	memcpy(g.nexthop_mac.addr_bytes, UPM, 6);
	struct dp_nat_fip_cfg f = { .network = 9, .fip = ip4(IP_FIP), .router = 100, .lport = 5,
				    .fixed = ip4(IP_A) };
	memcpy(f.mac.addr_bytes, FM, 6);
	struct dp_nat *nat = dp_get_nat(DP);
	return dp_nat_gw_put(nat, &g) || dp_nat_fip_put(nat, &f) ? -1 : 0;
}

static int clean(void)
{
	dp_destroy(DP);
	return 0;
}

static char TR[8192];

static void xl(const struct dp_flow_key *k, struct dp_megaflow_spec *s)
{
	struct dp_trace_buf tb = { .buf = TR, .len = sizeof(TR) };
	TR[0] = 0;
	dp_translate(T, k, s, &tb);
}

static bool has_drop(const struct dp_megaflow_spec *s, unsigned reason)
{
	return s->n_actions >= 1 && s->actions[s->n_actions - 1].type == DP_ACT_DROP &&
	       s->actions[s->n_actions - 1].u32 == reason;
}

static void set_gw(uint32_t snat_ip, uint32_t gw_vtep)
{
	struct dp_nat *nat = dp_get_nat(DP);
	struct dp_nat_gw_cfg g = *dp_nat_gw_get(nat, 100);
	g.snat_ip = snat_ip;
	memset(&g.snat_mac, 0, 6);
	if (snat_ip)
		memcpy(g.snat_mac.addr_bytes, GWM, 6);
	g.arp_mac = g.snat_mac;
	g.gw_vtep = gw_vtep;
	g.serves_overlay = snat_ip != 0;
	CU_ASSERT_EQUAL_FATAL(dp_nat_gw_put(nat, &g), 0);
}

/* Not the gateway chassis: B (no FIP) goes to VTEP_G over the overlay,
 * unrouted; A keeps its FIP; nothing steered arrives from a tunnel. */
static void test_steer_to_gateway(void)
{
	set_gw(0, VTEP_G);
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	t_key_ipv4(&k, (uint16_t)P[1], B.macs[0].addr_bytes, R1M, IP_B, IP_NET, IPPROTO_UDP, 1, 53);
	xl(&k, &s);
	/* VTEP_G's underlay MAC is not known yet */
	CU_ASSERT(has_drop(&s, DP_DROP_VTEP_UNRESOLVED));
	struct dp_vtep vg = { .ip = VTEP_G, .resolved = true };
	memcpy(vg.mac.addr_bytes, VM_G, 6);
	CU_ASSERT_EQUAL_FATAL(dp_vtep_put(T, &vg), 0);
	xl(&k, &s);
	CU_ASSERT_EQUAL_FATAL(s.n_actions, 2);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_TNL_PUSH);
	CU_ASSERT_EQUAL(s.actions[0].u32, VTEP_G);
	CU_ASSERT_EQUAL(dp_act_vni(&s.actions[0]), 1001);
	CU_ASSERT_EQUAL(memcmp(s.actions[0].data, VM_G, 6), 0);
	CU_ASSERT_EQUAL(s.actions[1].type, DP_ACT_OUTPUT);
	CU_ASSERT_EQUAL(s.actions[1].port, UPLINK);
	CU_ASSERT_PTR_NOT_NULL(strstr(TR, "to the gateway chassis"));
	CU_ASSERT(s.mask.ip_src[0] == 0xff && s.mask.ip_src[3] == 0xff);
	CU_ASSERT_TRUE(t_spec_has_tag(&s, DP_TAG(DP_TAG_NAT_RTR, 100)));
	CU_ASSERT_TRUE(t_spec_has_tag(&s, DP_TAG(DP_TAG_VTEP, VTEP_G)));
	/* A has a floating IP: translated here, as without gateway SNAT */
	t_key_ipv4(&k, (uint16_t)P[0], A.macs[0].addr_bytes, R1M, IP_A, IP_NET, IPPROTO_UDP, 1, 53);
	xl(&k, &s);
	CU_ASSERT_FATAL(s.n_actions >= 2);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_CT);
	CU_ASSERT_EQUAL(s.actions[1].type, DP_ACT_CT_NAT);
	CU_ASSERT_EQUAL(s.actions[1].u32, ip4(IP_FIP));
	/* such a frame arriving over the overlay here is not routed out nor
	 * sent on again (this chassis serves no other chassis) */
	t_key_ipv4(&k, UPLINK, R.macs[0].addr_bytes, R1M, IP_R, IP_NET, IPPROTO_UDP, 1, 53);
	k.tun_src = VTEP_R;
	k.tun_dst = VTEP_ME;
	k.tun_vni = 1001;
	xl(&k, &s);
	CU_ASSERT(has_drop(&s, DP_DROP_NO_DEST));
}

/* The gateway's routed replies come from VTEP_G, which hosts no port of
 * network 1: accepted only as the router's gateway chassis. */
static void test_classify_gateway_replies(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	t_key_ipv4(&k, UPLINK, R1M, B.macs[0].addr_bytes, IP_NET, IP_B, IPPROTO_UDP, 53, 1);
	k.tun_src = VTEP_G;
	k.tun_dst = VTEP_ME;
	k.tun_vni = 1001;
	set_gw(0, 0);
	xl(&k, &s);
	CU_ASSERT(has_drop(&s, DP_DROP_TNL_SRC));
	set_gw(0, VTEP_G);
	xl(&k, &s);
	CU_ASSERT_FATAL(s.n_actions >= 2);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_TNL_POP);
	CU_ASSERT_EQUAL(s.actions[s.n_actions - 1].type, DP_ACT_OUTPUT);
	CU_ASSERT_EQUAL(s.actions[s.n_actions - 1].port, P[1]);
	CU_ASSERT_TRUE(t_spec_has_tag(&s, DP_TAG(DP_TAG_NAT_RTR, 100)));
}

/* The gateway chassis: a tunnelled packet of R is SNATed to the gateway IP;
 * replies to the gateway IP are un-NATed and tunnelled back to R's
 * chassis; an untranslated echo to the gateway IP is the router's. */
static void test_gateway_chassis(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	t_key_ipv4(&k, UPLINK, R.macs[0].addr_bytes, R1M, IP_R, IP_NET, IPPROTO_UDP, 1, 53);
	k.tun_src = VTEP_R;
	k.tun_dst = VTEP_ME;
	k.tun_vni = 1001;
	/* a distributed SNAT address does not serve other chassis */
	struct dp_nat *nat = dp_get_nat(DP);
	struct dp_nat_gw_cfg g = *dp_nat_gw_get(nat, 100);
	g.snat_ip = ip4(IP_GW);
	memcpy(g.snat_mac.addr_bytes, GWM, 6);
	g.gw_vtep = 0;
	g.serves_overlay = false;
	CU_ASSERT_EQUAL_FATAL(dp_nat_gw_put(nat, &g), 0);
	xl(&k, &s);
	CU_ASSERT(has_drop(&s, DP_DROP_NO_DEST));
	set_gw(ip4(IP_GW), 0);
	xl(&k, &s);
	CU_ASSERT_FATAL(s.n_actions >= 2);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_CT);
	CU_ASSERT_EQUAL(s.actions[0].data[1], DP_RECIRC_NAT_OUT);
	uint8_t kind;
	uint32_t amin, amax;
	uint16_t pmin, pmax;
	dp_act_ct_nat_get(&s.actions[1], &kind, &amin, &amax, &pmin, &pmax);
	CU_ASSERT(kind == DP_CT_NAT_SRC && amin == ip4(IP_GW) && pmin == 1024 && pmax == 65535);
	/* its NAT_OUT pass: popped, routed, out on the external network */
	k.recirc_id = DP_RECIRC_NAT_OUT;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	memcpy(k.ip_src, IP_GW, 4);
	xl(&k, &s);
	CU_ASSERT_FATAL(s.n_actions >= 3);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_TNL_POP);
	CU_ASSERT_EQUAL(s.actions[s.n_actions - 1].type, DP_ACT_OUTPUT);
	CU_ASSERT_EQUAL(s.actions[s.n_actions - 1].port, UPLINK);
	CU_ASSERT_PTR_NOT_NULL(strstr(TR, "this chassis' SNAT address 172.24.4.10"));
	/* a reply from the upstream to the gateway IP: ct(nat), no commit */
	t_key_ipv4(&k, UPLINK, UPM, GWM, IP_NET, IP_GW, IPPROTO_UDP, 53, 1024);
	xl(&k, &s);
	CU_ASSERT_FATAL(s.n_actions == 2);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_CT);
	CU_ASSERT_EQUAL(s.actions[0].data[0], DP_CT_F_NAT);
	CU_ASSERT_EQUAL(s.actions[0].data[1], DP_RECIRC_NAT_IN);
	/* translated back to R: tunnelled to R's chassis (not split-horizon
	 * dropped: this chassis' NAT translated it) */
	k.recirc_id = DP_RECIRC_NAT_IN;
	k.ct_state = DP_CS_TRK | DP_CS_EST | DP_CS_RPL;
	memcpy(k.ip_dst, IP_R, 4);
	xl(&k, &s);
	CU_ASSERT_FATAL(s.n_actions >= 2);
	CU_ASSERT_EQUAL(s.actions[s.n_actions - 2].type, DP_ACT_TNL_PUSH);
	CU_ASSERT_EQUAL(s.actions[s.n_actions - 2].u32, VTEP_R);
	CU_ASSERT_EQUAL(s.actions[s.n_actions - 1].port, UPLINK);
	/* the same from the provider network without our NAT: dropped */
	k.recirc_id = 0;
	k.ct_state = 0;
	xl(&k, &s);
	CU_ASSERT(has_drop(&s, DP_DROP_NO_NAT));
	/* an echo to the gateway IP that stayed untranslated: the router's */
	t_key_ipv4(&k, UPLINK, UPM, GWM, IP_UP, IP_GW, IPPROTO_ICMP, 8, 0);
	k.recirc_id = DP_RECIRC_NAT_IN;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	xl(&k, &s);
	CU_ASSERT_FATAL(s.n_actions == 1);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_PUNT);
	CU_ASSERT_EQUAL(s.actions[0].u32, DP_PUNT_ICMP);
	/* anything else to it that stayed untranslated: no-nat */
	t_key_ipv4(&k, UPLINK, UPM, GWM, IP_UP, IP_GW, IPPROTO_UDP, 53, 999);
	k.recirc_id = DP_RECIRC_NAT_IN;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	xl(&k, &s);
	CU_ASSERT(has_drop(&s, DP_DROP_NO_DEST));
	/* ARP for the gateway IP is answered here with its MAC */
	t_key_arp(&k, UPLINK, UPM, UPM, IP_UP, IP_GW);
	xl(&k, &s);
	CU_ASSERT_FATAL(s.n_actions >= 2);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_ARP_REPLY);
	CU_ASSERT_EQUAL(memcmp(s.actions[0].data, GWM, 6), 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "nat_gw_stage_test", "-l", "0,1", "--vdev=net_ring0",
		       "--vdev=net_ring1", "--vdev=net_ring2", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("gateway SNAT through translate", init, clean);
	CU_add_test(s, "not the gateway: steered to its VTEP, FIPs stay here",
		    test_steer_to_gateway);
	CU_add_test(s, "classify accepts the gateway chassis' routed replies",
		    test_classify_gateway_replies);
	CU_add_test(s, "the gateway chassis: SNAT, replies back over the overlay, echo, ARP",
		    test_gateway_chassis);
	return t_run_all();
}
