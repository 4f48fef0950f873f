/* SPDX-License-Identifier: BSD-3-Clause
 * dp/nat_stage_test.c — floating IPs through translate: the ct(nat) actions
 * and recirculations emitted on each pass, with and without a stateful
 * security group, the megaflow masks and tags, ARP for a floating IP from
 * the external network, the drops (no-nat, ext-unresolved, ct-invalid), and
 * the tags the NAT tables emit on changes.  The conntrack engine itself is
 * not run here (the passes get their ct_state by hand).
 *
 * Topology:
 *   network 1 (tenant, 10.0.1.0/24): A(5) dp port 1 10.0.1.5, B(6) dp port 2 10.0.1.6
 *   network 9 (external, flat, 172.24.4.0/24), uplink dp port 7
 *   router 100: rport R1 on net 1 (10.0.1.254/24), gateway rport RG on net 9
 *               (172.24.4.10/24), default route via 172.24.4.1 (upstream UP)
 *   floating IP 172.24.4.100 -> A (MAC FM)
 *
 * Run: ./build/dp/dp_nat_stage_test
 */
#include <errno.h>
#include <stdlib.h>

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
static const uint8_t RGM[6] = { 0x02, 0xee, 0, 0, 0, 9 };
static const uint8_t UPM[6] = { 0x02, 0x99, 0, 0, 0, 1 };
static const uint8_t FM[6] = { 0x02, 0xf1, 0, 0, 0, 5 };
static const uint8_t XM[6] = { 0x02, 0x99, 0, 0, 0, 2 };     /* another upstream host */
static const uint8_t IP_A[4] = { 10, 0, 1, 5 }, IP_B[4] = { 10, 0, 1, 6 };
static const uint8_t IP_FIP[4] = { 172, 24, 4, 100 }, IP_UP[4] = { 172, 24, 4, 1 };
static const uint8_t IP_NET[4] = { 8, 8, 8, 8 };
#define RP1   DP_RPORT_KEY(100, 1)
#define RPG   DP_RPORT_KEY(100, 2)
static uint16_t UPLINK;        /* dp port of ring2 */
static int P[3];
static uint16_t ETH[3];
static uint16_t ZONE;

static uint32_t ip4(const uint8_t *b)
{
	uint32_t v;
	memcpy(&v, b, 4);
	return v;
}

static struct dp_nat_fip_cfg fip_a(void)
{
	struct dp_nat_fip_cfg f = { .network = 9, .fip = ip4(IP_FIP), .router = 100,
				    .lport = 5, .fixed = ip4(IP_A) };
	memcpy(f.mac.addr_bytes, FM, 6);
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
	if (DP == NULL) {
		fprintf(stderr, "dp_create: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	T = dp_tables(DP);
	struct dp_network_cfg n1 = t_net(1), n9 = t_net(9);
	n9.type = DP_NET_FLAT;
	if (dp_table_network_put(T, &n1) || dp_table_network_put(T, &n9)) {
		fprintf(stderr, "network_put failed\n");
		return -1;
	}
	for (unsigned i = 0; i < 3; i++) {
		char name[8], dev[16];
		snprintf(name, sizeof(name), "p%u", i);
		snprintf(dev, sizeof(dev), "net_ring%u", i);
		P[i] = dp_port_add(DP, name, dev, NULL);
		if (P[i] < 0) {
			fprintf(stderr, "dp_port_add %s failed\n", dev);
			return -1;
		}
		ETH[i] = DP->ports[P[i]].ethdev;
	}
	UPLINK = (uint16_t)P[2];
	A = t_lport(5, 1, (uint16_t)P[0]);
	B = t_lport(6, 1, (uint16_t)P[1]);
	if (dp_table_lport_put(T, &A) || dp_table_lport_put(T, &B))
		return -1;
	struct dp_overlay_cfg ov = { .uplink = UPLINK, .vtep_ip = htonl(0xc0a80001),
				     .underlay_mtu = 1500, .encap = DP_ENCAP_VXLAN };
	memcpy(ov.vtep_mac.addr_bytes, (uint8_t[6]){ 2, 0x55, 0, 0, 0, 1 }, 6);
	int rc = dp_overlay_set(T, &ov);
	if (rc) {
		fprintf(stderr, "overlay_set: %d\n", rc);
		return -1;
	}
	struct dp_l3 *l3 = dp_l3(DP);
	struct dp_router_cfg r = { .key = 100, .name = "r" };
	struct dp_rport_cfg p1 = { .key = RP1, .router = 100, .network = 1, .name = "r-in" };
	memcpy(p1.mac.addr_bytes, R1M, 6);
	p1.ips[p1.n_ips++] = t_ip4(10, 0, 1, 254, 24);
	struct dp_rport_cfg pg = { .key = RPG, .router = 100, .network = 9, .name = "r-gw" };
	memcpy(pg.mac.addr_bytes, RGM, 6);
	pg.ips[pg.n_ips++] = t_ip4(172, 24, 4, 10, 24);
	struct dp_route_cfg def = { .prefix = t_ip4(0, 0, 0, 0, 0), .gw = t_ip4(172, 24, 4, 1, 32) };
	def.gw.plen = 0;
	if (dp_l3_router_put(l3, &r) || dp_l3_rport_put(l3, &p1) || dp_l3_rport_put(l3, &pg) ||
	    dp_l3_route_put(l3, 100, &def)) {
		fprintf(stderr, "router setup failed\n");
		return -1;
	}
	struct dp_nat_gw_cfg g = { .router = 100, .rport = RPG, .network = 9,
				   .nexthop = ip4(IP_UP) };
	memcpy(g.nexthop_mac.addr_bytes, UPM, 6);
	struct dp_nat_fip_cfg f = fip_a();
	struct dp_nat *nat = dp_get_nat(DP);
	if ((rc = dp_nat_gw_put(nat, &g)) != 0 || (rc = dp_nat_fip_put(nat, &f)) != 0) {
		fprintf(stderr, "nat setup: %d\n", rc);
		return -1;
	}
	ZONE = dp_nat_gw_get(nat, 100)->zone;
	return ZONE != 0 ? 0 : -1;
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

static bool mask_full(const uint8_t *m, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (m[i] != 0xff)
			return false;
	return true;
}

/* The ct(nat) head: ct(zone, commit|nat[|ttl], recirc) then nat(kind, addr). */
static void check_ct_nat(const struct dp_megaflow_spec *s, unsigned at, uint16_t zone,
			 uint8_t kind, const uint8_t *addr, uint8_t recirc)
{
	CU_ASSERT_FATAL(s->n_actions >= at + 2);
	const struct dp_action *c = &s->actions[at], *n = &s->actions[at + 1];
	CU_ASSERT_EQUAL(c->type, DP_ACT_CT);
	CU_ASSERT_EQUAL(c->port, zone);
	/* TTL expiry checked before the translation, both ways */
	CU_ASSERT_EQUAL(c->data[0], DP_CT_F_COMMIT | DP_CT_F_NAT | DP_CT_F_TTL);
	CU_ASSERT_EQUAL(c->data[1], recirc);
	CU_ASSERT_EQUAL(n->type, DP_ACT_CT_NAT);
	CU_ASSERT_EQUAL(n->data[6], kind);
	CU_ASSERT_EQUAL(n->u32, ip4(addr));
	uint32_t amax;
	memcpy(&amax, &n->data[0], 4);
	CU_ASSERT_EQUAL(amax, ip4(addr));
	CU_ASSERT_EQUAL(n->port, 0); /* any source port: conntrack keeps it if it can */
}

static void test_snat_passes(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	char acts[512];
	/* pass 0: A -> 8.8.8.8 through the router: ct(nat(src=FIP)) */
	t_key_ipv4(&k, (uint16_t)P[0], A.macs[0].addr_bytes, R1M, IP_A, IP_NET, IPPROTO_TCP, 40000, 80);
	xl(&k, &s);
	CU_ASSERT_EQUAL(s.n_actions, 2);
	check_ct_nat(&s, 0, ZONE, DP_CT_NAT_SRC, IP_FIP, DP_RECIRC_NAT_OUT);
	CU_ASSERT(mask_full(s.mask.ip_src, 4));
	CU_ASSERT_EQUAL(s.mask.tp_src, 0);  /* ports are conntrack's business */
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_NAT_RTR, 100)));
	CU_ASSERT_PTR_NOT_NULL(strstr(TR, "nat(src=172.24.4.100)"));
	/* pass NAT_OUT: source is the FIP now */
	t_key_ipv4(&k, (uint16_t)P[0], A.macs[0].addr_bytes, R1M, IP_FIP, IP_NET, IPPROTO_TCP, 40000, 80);
	k.recirc_id = DP_RECIRC_NAT_OUT;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	k.ct_zone = ZONE;
	xl(&k, &s);
	t_fmt_actions(acts, sizeof(acts), s.actions, s.n_actions, s.flood_ports);
	char want[256];
	snprintf(want, sizeof(want), "dec_ttl,set_eth_src:02:f1:00:00:00:05,"
		 "set_eth_dst:02:99:00:00:00:01,output:%u", UPLINK);
	CU_ASSERT_STRING_EQUAL(acts, want);
	CU_ASSERT_NOT_EQUAL(s.mask.ct_state, 0);
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_NAT_NET, 9)));
	/* port security did not see the FIP as a spoofed source */
	CU_ASSERT_EQUAL(t_spec_drop(&s), 0);
	/* invalid after ct(nat): dropped */
	k.ct_state = DP_CS_TRK | DP_CS_INV;
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_CT_INVALID);
	/* a source that is no FIP of A in the NAT_OUT pass (B's connection) */
	t_key_ipv4(&k, (uint16_t)P[1], B.macs[0].addr_bytes, R1M, IP_FIP, IP_NET, IPPROTO_TCP, 40000, 80);
	k.recirc_id = DP_RECIRC_NAT_OUT;
	k.ct_state = DP_CS_TRK | DP_CS_EST;
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_NAT);
	/* B has no floating IP (and no SNAT yet): counted drop, not leaked */
	t_key_ipv4(&k, (uint16_t)P[1], B.macs[0].addr_bytes, R1M, IP_B, IP_NET, IPPROTO_UDP, 1, 53);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_NAT);
	CU_ASSERT(mask_full(s.mask.ip_src, 4));
	/* between tenant ports nothing of NAT is read */
	t_key_ipv4(&k, (uint16_t)P[0], A.macs[0].addr_bytes, B.macs[0].addr_bytes, IP_A, IP_B, IPPROTO_UDP,
		   1, 5000);
	xl(&k, &s);
	CU_ASSERT(!t_spec_has_tag(&s, DP_TAG(DP_TAG_NAT_RTR, 100)));
	CU_ASSERT_EQUAL(s.n_actions, 1);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_OUTPUT);
}

static void test_dnat_passes(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	char acts[512];
	/* pass 0 from the external network to the FIP's MAC */
	t_key_ipv4(&k, UPLINK, UPM, FM, IP_UP, IP_FIP, IPPROTO_TCP, 5555, 22);
	xl(&k, &s);
	CU_ASSERT_EQUAL(s.n_actions, 2);
	check_ct_nat(&s, 0, ZONE, DP_CT_NAT_DST, IP_A, DP_RECIRC_NAT_IN);
	CU_ASSERT(mask_full(s.mask.ip_dst, 4));
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_NAT_NET, 9)));
	/* pass NAT_IN: destination is A's fixed IP, routed to A */
	t_key_ipv4(&k, UPLINK, UPM, FM, IP_UP, IP_A, IPPROTO_TCP, 5555, 22);
	k.recirc_id = DP_RECIRC_NAT_IN;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	k.ct_zone = ZONE;
	xl(&k, &s);
	t_fmt_actions(acts, sizeof(acts), s.actions, s.n_actions, s.flood_ports);
	char want[256];
	snprintf(want, sizeof(want), "dec_ttl,set_eth_src:02:ee:00:00:00:01,"
		 "set_eth_dst:02:00:00:00:00:05,output:%d", P[0]);
	CU_ASSERT_STRING_EQUAL(acts, want);
	CU_ASSERT_NOT_EQUAL(s.mask.ct_state, 0);
	k.ct_state = DP_CS_TRK | DP_CS_INV;
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_CT_INVALID);
	/* straight to a fixed IP through the gateway port: no way around NAT */
	t_key_ipv4(&k, UPLINK, UPM, RGM, IP_UP, IP_A, IPPROTO_TCP, 5555, 22);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_NAT);
	/* an unknown MAC on the external network is not routed (flood,
	 * depending on the NAT tables of that network) */
	t_key_ipv4(&k, UPLINK, UPM, XM, IP_UP, IP_FIP, IPPROTO_TCP, 5555, 22);
	xl(&k, &s);
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_NAT_NET, 9)));
	CU_ASSERT_PTR_NOT_NULL(strstr(TR, "flood"));
}

static void test_arp(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	char acts[512];
	t_key_arp(&k, UPLINK, UPM, UPM, IP_UP, IP_FIP);
	xl(&k, &s);
	t_fmt_actions(acts, sizeof(acts), s.actions, s.n_actions, s.flood_ports);
	char want[128];
	snprintf(want, sizeof(want), "arp_reply:02:f1:00:00:00:05,output:%u", UPLINK);
	CU_ASSERT_STRING_EQUAL(acts, want);
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_NAT_NET, 9)));
	/* another address of the external network: not ours to answer */
	t_key_arp(&k, UPLINK, UPM, UPM, IP_UP, (const uint8_t[4]){ 172, 24, 4, 77 });
	xl(&k, &s);
	CU_ASSERT_PTR_NULL(strstr(TR, "arp_reply"));
	CU_ASSERT(s.n_actions == 0 || s.actions[0].type != DP_ACT_ARP_REPLY);
}

/* A stateful group on A: its ct() passes wrap the NAT ones, in its own zone. */
static void test_with_security_group(void)
{
	struct dp_acl_rule rules[] = {
		{ .key = 1, .priority = 1, .dir = DP_ACL_EGRESS, .family = 4, .any_proto = true,
		  .src_max = 65535, .dst_max = 65535 },
		{ .key = 2, .priority = 2, .dir = DP_ACL_INGRESS, .family = 4,
		  .proto = IPPROTO_TCP, .src_max = 65535, .dst_min = 22, .dst_max = 22 },
	};
	struct dp_acl_port_cfg pc = { .stateful = true, .n_rules = 2, .rules = rules };
	CU_ASSERT_EQUAL_FATAL(dp_acl_port_put(dp_get_acl(DP), 5, &pc), 0);
	int pz = dp_acl_port_zone(dp_get_acl(DP), 5);
	CU_ASSERT(pz > 0 && pz != ZONE);
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	/* egress: ct(port zone) first, the fixed IP in the key */
	t_key_ipv4(&k, (uint16_t)P[0], A.macs[0].addr_bytes, R1M, IP_A, IP_NET, IPPROTO_TCP, 40000, 80);
	xl(&k, &s);
	CU_ASSERT_EQUAL(s.n_actions, 1);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_CT);
	CU_ASSERT_EQUAL(s.actions[0].port, pz);
	CU_ASSERT_EQUAL(s.actions[0].data[1], DP_RECIRC_SG_EGRESS);
	/* after it: commit in the port zone, then ct(nat) in the router zone */
	k.recirc_id = DP_RECIRC_SG_EGRESS;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	k.ct_zone = (uint16_t)pz;
	xl(&k, &s);
	CU_ASSERT_EQUAL(s.n_actions, 4);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_CT);
	CU_ASSERT_EQUAL(s.actions[0].port, pz);
	CU_ASSERT(s.actions[0].data[0] & DP_CT_F_COMMIT);
	CU_ASSERT_EQUAL(s.actions[1].type, DP_ACT_CT_LABEL);
	check_ct_nat(&s, 2, ZONE, DP_CT_NAT_SRC, IP_FIP, DP_RECIRC_NAT_OUT);
	/* the NAT_OUT pass does not run the egress group again */
	t_key_ipv4(&k, (uint16_t)P[0], A.macs[0].addr_bytes, R1M, IP_FIP, IP_NET, IPPROTO_TCP, 40000, 80);
	k.recirc_id = DP_RECIRC_NAT_OUT;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	xl(&k, &s);
	CU_ASSERT_EQUAL(s.n_actions, 4);
	CU_ASSERT_EQUAL(s.actions[3].type, DP_ACT_OUTPUT);
	CU_ASSERT_EQUAL(s.actions[3].port, UPLINK);
	/* ingress after DNAT: the group sees the fixed IP, ct(port zone) */
	t_key_ipv4(&k, UPLINK, UPM, FM, IP_UP, IP_A, IPPROTO_TCP, 5555, 22);
	k.recirc_id = DP_RECIRC_NAT_IN;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	xl(&k, &s);
	CU_ASSERT_EQUAL(s.n_actions, 1);
	CU_ASSERT_EQUAL(s.actions[0].port, pz);
	CU_ASSERT_EQUAL(s.actions[0].data[1], DP_RECIRC_SG_INGRESS);
	k.recirc_id = DP_RECIRC_SG_INGRESS;
	k.ct_zone = (uint16_t)pz;
	xl(&k, &s);
	CU_ASSERT(s.actions[0].type == DP_ACT_CT && (s.actions[0].data[0] & DP_CT_F_COMMIT));
	CU_ASSERT_EQUAL(s.actions[s.n_actions - 1].type, DP_ACT_OUTPUT);
	CU_ASSERT_EQUAL(s.actions[s.n_actions - 1].port, P[0]);
	/* a port the ingress group denies: the FIP does not open it */
	k.tp_dst = htons(23);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_ACL_DENY);
	CU_ASSERT(dp_acl_port_del(dp_get_acl(DP), 5) > 0);
}

/* A VLAN external network (30): the answer to ARP from it and the SNATed
 * packet leave with the tag pushed back. */
static void test_vlan_external(void)
{
	struct dp_network_cfg n9 = t_net(9);
	n9.type = DP_NET_VLAN;
	n9.vlan = 30;
	CU_ASSERT_EQUAL_FATAL(dp_table_network_put(T, &n9), 0);
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	char acts[256], want[256];
	t_key_arp(&k, UPLINK, UPM, UPM, IP_UP, IP_FIP);
	k.vlan_tci = 30 | DP_VLAN_PRESENT;
	xl(&k, &s);
	t_fmt_actions(acts, sizeof(acts), s.actions, s.n_actions, s.flood_ports);
	snprintf(want, sizeof(want), "pop_vlan,arp_reply:02:f1:00:00:00:05,push_vlan:30,output:%u",
		 UPLINK);
	CU_ASSERT_STRING_EQUAL(acts, want);
	t_key_ipv4(&k, (uint16_t)P[0], A.macs[0].addr_bytes, R1M, IP_FIP, IP_NET, IPPROTO_UDP, 1,
		   53);
	k.recirc_id = DP_RECIRC_NAT_OUT;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	xl(&k, &s);
	t_fmt_actions(acts, sizeof(acts), s.actions, s.n_actions, s.flood_ports);
	snprintf(want, sizeof(want), "dec_ttl,set_eth_src:02:f1:00:00:00:05,"
		 "set_eth_dst:02:99:00:00:00:01,push_vlan:30,output:%u", UPLINK);
	CU_ASSERT_STRING_EQUAL(acts, want);
	n9.type = DP_NET_FLAT;
	n9.vlan = 0;
	CU_ASSERT_EQUAL(dp_table_network_put(T, &n9), 0);
}

static uint64_t TAGS[64];
static unsigned NTAGS;

static void rec(void *arg, const uint64_t *tags, unsigned n)
{
	(void)arg;
	for (unsigned i = 0; i < n && NTAGS < RTE_DIM(TAGS); i++)
		TAGS[NTAGS++] = tags[i];
}

static bool tagged(uint64_t t)
{
	for (unsigned i = 0; i < NTAGS; i++)
		if (TAGS[i] == t)
			return true;
	return false;
}

/* Table rules and the tags a change emits (a standalone table, so the
 * tags are recorded). */
static void test_table(void)
{
	struct dp_tables *t = dp_tables_create("natt", NULL, NULL, NULL);
	struct dp_acl *acl = dp_acl_create("natt", NULL, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(acl);
	dp_tables_set_acl(t, acl);
	struct dp_nat *n = dp_nat_create("natt", t, NULL, rec, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_PTR_NULL(dp_nat_create("natt2", t, NULL, rec, NULL)); /* one per table */
	CU_ASSERT_PTR_EQUAL(dp_nat_find(t), n);
	struct dp_nat_gw_cfg g = { .router = 100, .rport = RPG, .network = 9 };
	CU_ASSERT_EQUAL(dp_nat_gw_put(n, &g), 0);
	uint16_t z = dp_nat_gw_get(n, 100)->zone;
	CU_ASSERT(z != 0);
	g.nexthop = ip4(IP_UP);
	NTAGS = 0;
	CU_ASSERT_EQUAL(dp_nat_gw_put(n, &g), 0);
	CU_ASSERT_EQUAL(dp_nat_gw_get(n, 100)->zone, z); /* kept on replace */
	CU_ASSERT(tagged(DP_TAG(DP_TAG_NAT_RTR, 100)));
	struct dp_nat_fip_cfg f = fip_a(), bad = f;
	bad.fixed = 0;
	CU_ASSERT_EQUAL(dp_nat_fip_put(n, &bad), -EINVAL);
	bad = f;
	bad.mac.addr_bytes[0] = 0x01; /* multicast */
	CU_ASSERT_EQUAL(dp_nat_fip_put(n, &bad), -EINVAL);
	NTAGS = 0;
	CU_ASSERT_EQUAL(dp_nat_fip_put(n, &f), 0);
	CU_ASSERT(tagged(DP_TAG(DP_TAG_NAT_NET, 9)) && tagged(DP_TAG(DP_TAG_NAT_RTR, 100)));
	CU_ASSERT(tagged(DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(9, FM))));
	CU_ASSERT(tagged(DP_TAG(DP_TAG_LPORT, 5)));
	/* a second FIP for the same fixed IP, or with the same MAC: refused */
	struct dp_nat_fip_cfg f2 = f;
	f2.fip = htonl(0xac180465);
	CU_ASSERT_EQUAL(dp_nat_fip_put(n, &f2), -EEXIST);
	f2.fixed = ip4(IP_B);
	CU_ASSERT_EQUAL(dp_nat_fip_put(n, &f2), -EEXIST); /* MAC */
	f2.mac.addr_bytes[5] = 6;
	f2.lport = 6;
	CU_ASSERT_EQUAL(dp_nat_fip_put(n, &f2), 0);
	/* moving the FIP to B: the old indexes go, the old port's tag too */
	struct dp_nat_fip_cfg mv = f;
	mv.lport = 6;
	mv.fixed = ip4(IP_B);
	CU_ASSERT_EQUAL(dp_nat_fip_put(n, &mv), -EEXIST); /* B has f2 already */
	CU_ASSERT_EQUAL(dp_nat_fip_del(n, 9, f2.fip), 0);
	NTAGS = 0;
	CU_ASSERT_EQUAL(dp_nat_fip_put(n, &mv), 0);
	CU_ASSERT(tagged(DP_TAG(DP_TAG_LPORT, 5)) && tagged(DP_TAG(DP_TAG_LPORT, 6)));
	CU_ASSERT_PTR_NULL(dp_nat_fip_by_fixed(n, 100, ip4(IP_A)));
	CU_ASSERT_PTR_NOT_NULL(dp_nat_fip_by_fixed(n, 100, ip4(IP_B)));
	CU_ASSERT_EQUAL(dp_nat_fip_by_ext(n, 9, ip4(IP_FIP))->lport, 6);
	CU_ASSERT_EQUAL(dp_nat_fip_by_mac(n, 9, FM)->lport, 6);
	CU_ASSERT_EQUAL(dp_nat_fip_del(n, 9, ip4(IP_FIP)), 0);
	CU_ASSERT_EQUAL(dp_nat_fip_del(n, 9, ip4(IP_FIP)), -ENOENT);
	CU_ASSERT_PTR_NULL(dp_nat_fip_by_mac(n, 9, FM));
	/* the gateway's zone goes back to the ACL zone space */
	CU_ASSERT_EQUAL(dp_nat_gw_del(n, 100), z);
	CU_ASSERT_EQUAL(dp_nat_gw_del(n, 100), -ENOENT);
	dp_nat_destroy(n);
	dp_tables_set_acl(t, NULL);
	dp_acl_destroy(acl);
	dp_tables_destroy(t);
}

/* Deleting the FIP: the megaflows that used it carry the tags emitted. */
static void test_fip_gone(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	t_key_ipv4(&k, UPLINK, UPM, FM, IP_UP, IP_FIP, IPPROTO_TCP, 5555, 22);
	xl(&k, &s);
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_NAT_NET, 9)));
	CU_ASSERT_EQUAL(dp_nat_fip_del(dp_get_nat(DP), 9, ip4(IP_FIP)), 0);
	xl(&k, &s);
	CU_ASSERT_PTR_NULL(strstr(TR, "nat(dst"));
	t_key_ipv4(&k, (uint16_t)P[0], A.macs[0].addr_bytes, R1M, IP_A, IP_NET, IPPROTO_TCP, 40000, 80);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_NAT);
	struct dp_nat_fip_cfg f = fip_a();
	CU_ASSERT_EQUAL(dp_nat_fip_put(dp_get_nat(DP), &f), 0);
	xl(&k, &s);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_CT);
	/* the upstream MAC unknown: counted drop that depends on the gateway */
	struct dp_nat_gw_cfg g = *dp_nat_gw_get(dp_get_nat(DP), 100);
	memset(&g.nexthop_mac, 0, 6);
	CU_ASSERT_EQUAL(dp_nat_gw_put(dp_get_nat(DP), &g), 0);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_EXT_UNRESOLVED);
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_NAT_RTR, 100)));
	memcpy(g.nexthop_mac.addr_bytes, UPM, 6);
	CU_ASSERT_EQUAL(dp_nat_gw_put(dp_get_nat(DP), &g), 0);
}


/* ---- through the PMD and the conntrack NAT engine ------------------------ */

static void run(unsigned port, struct rte_mbuf *m)
{
	struct dp_pmd *pmd = DP->pmds[0];
	dp_pmd_apply_invalidations(pmd);
	dp_pmd_process(pmd, (uint16_t)P[port], &m, 1);
	dp_pmd_flush_tx(pmd);
}

/* The one packet queued on ring port i (NULL if none; extra ones freed). */
static struct rte_mbuf *recv_one(unsigned i)
{
	struct rte_mbuf *m[16];
	uint16_t n = rte_eth_rx_burst(ETH[i], 0, m, 16);
	for (uint16_t k = 1; k < n; k++)
		rte_pktmbuf_free(m[k]);
	return n ? m[0] : NULL;
}

static bool check_pkt(struct rte_mbuf *m, const uint8_t *smac, const uint8_t *dmac,
		      const uint8_t *sip, const uint8_t *dip, uint16_t *sport, uint16_t *dport)
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
	return ok;
}

static void test_pmd_end_to_end(void)
{
	struct rte_mempool *mp = dp_mempool(DP);
	uint64_t rc0 = DP->pmds[0]->st.recirculations;
	for (unsigned i = 0; i < 3; i++)
		t_drain_port(ETH[i]);
	/* A -> 8.8.8.8:53 leaves the uplink from the FIP, with the FIP's MAC */
	run(0, t_pkt_ipv4(mp, A.macs[0].addr_bytes, R1M, IP_A, IP_NET, IPPROTO_UDP, 40000, 53,
			  64, 20));
	uint16_t sp = 0, dpt = 0;
	struct rte_mbuf *m = recv_one(2);
	CU_ASSERT(check_pkt(m, FM, UPM, IP_FIP, IP_NET, &sp, &dpt));
	CU_ASSERT_EQUAL(dpt, 53);
	rte_pktmbuf_free(m);
	CU_ASSERT(DP->pmds[0]->st.recirculations > rc0);
	/* the reply, to the FIP's MAC, reaches A at its fixed address */
	run(2, t_pkt_ipv4(mp, UPM, FM, IP_NET, IP_FIP, IPPROTO_UDP, 53, sp, 64, 20));
	uint16_t rp = 0;
	m = recv_one(0);
	CU_ASSERT(check_pkt(m, R1M, A.macs[0].addr_bytes, IP_NET, IP_A, NULL, &rp));
	CU_ASSERT_EQUAL(rp, 40000);
	rte_pktmbuf_free(m);
	/* upstream opens to the FIP: DNAT to A, A's reply leaves from the FIP */
	run(2, t_pkt_ipv4(mp, UPM, FM, IP_UP, IP_FIP, IPPROTO_UDP, 7777, 5000, 64, 20));
	m = recv_one(0);
	CU_ASSERT(check_pkt(m, R1M, A.macs[0].addr_bytes, IP_UP, IP_A, NULL, &rp));
	CU_ASSERT_EQUAL(rp, 5000);
	rte_pktmbuf_free(m);
	run(0, t_pkt_ipv4(mp, A.macs[0].addr_bytes, R1M, IP_A, IP_UP, IPPROTO_UDP, 5000, 7777,
			  64, 20));
	m = recv_one(2);
	CU_ASSERT(check_pkt(m, FM, UPM, IP_FIP, IP_UP, &sp, &dpt));
	CU_ASSERT_EQUAL(sp, 5000);
	CU_ASSERT_EQUAL(dpt, 7777);
	rte_pktmbuf_free(m);
	/* B has no FIP: nothing leaves, counted */
	uint64_t d0 = DP->pmds[0]->st.drops[DP_DROP_NO_NAT];
	run(1, t_pkt_ipv4(mp, B.macs[0].addr_bytes, R1M, IP_B, IP_NET, IPPROTO_UDP, 1, 53, 64,
			  20));
	CU_ASSERT_PTR_NULL(recv_one(2));
	CU_ASSERT_EQUAL(DP->pmds[0]->st.drops[DP_DROP_NO_NAT], d0 + 1);
	/* nor does anything reach A's fixed address from outside directly */
	run(2, t_pkt_ipv4(mp, UPM, RGM, IP_UP, IP_A, IPPROTO_UDP, 1, 5000, 64, 20));
	CU_ASSERT_PTR_NULL(recv_one(0));
	/* the FIP goes: the cached megaflows of both directions go with it */
	struct dp_nat_fip_cfg fc = fip_a();
	CU_ASSERT_EQUAL(dp_nat_fip_del(dp_get_nat(DP), 9, fc.fip), 0);
	run(2, t_pkt_ipv4(mp, UPM, FM, IP_UP, IP_FIP, IPPROTO_UDP, 7777, 5000, 64, 20));
	CU_ASSERT_PTR_NULL(recv_one(0));
	d0 = DP->pmds[0]->st.drops[DP_DROP_NO_NAT];
	run(0, t_pkt_ipv4(mp, A.macs[0].addr_bytes, R1M, IP_A, IP_UP, IPPROTO_UDP, 5000, 7777,
			  64, 20));
	CU_ASSERT_PTR_NULL(recv_one(2));
	CU_ASSERT_EQUAL(DP->pmds[0]->st.drops[DP_DROP_NO_NAT], d0 + 1);
	/* back: traffic flows again (the old connection's translation) */
	CU_ASSERT_EQUAL(dp_nat_fip_put(dp_get_nat(DP), &fc), 0);
	run(0, t_pkt_ipv4(mp, A.macs[0].addr_bytes, R1M, IP_A, IP_UP, IPPROTO_UDP, 5000, 7777,
			  64, 20));
	m = recv_one(2);
	CU_ASSERT(check_pkt(m, FM, UPM, IP_FIP, IP_UP, NULL, NULL));
	rte_pktmbuf_free(m);
}

/* Distributed SNAT: B has no floating IP; the gateway gets this chassis'
 * SNAT address (ports 1024-1025 here): B's traffic leaves from it, replies
 * come back through ct(nat), the third connection exhausts the range. */
static const uint8_t SM[6] = { 0x02, 0x5a, 0, 0, 0, 7 };
static const uint8_t IP_SN[4] = { 172, 24, 4, 50 };

static void test_distributed_snat(void)
{
	struct dp_nat *nat = dp_get_nat(DP);
	struct dp_nat_gw_cfg g = *dp_nat_gw_get(nat, 100), saved = g;
	g.snat_ip = ip4(IP_SN);
	memcpy(g.snat_mac.addr_bytes, SM, 6);
	g.snat_port_min = 1024;
	g.snat_port_max = 1025;
	CU_ASSERT_EQUAL_FATAL(dp_nat_gw_put(nat, &g), 0);
	CU_ASSERT_EQUAL(dp_nat_gw_get(nat, 100)->zone, ZONE);
	CU_ASSERT_PTR_NOT_NULL(dp_nat_gw_by_snat_ip(nat, 9, ip4(IP_SN)));
	CU_ASSERT_PTR_NOT_NULL(dp_nat_gw_by_snat_mac(nat, 9, SM));
	/* bad: an SNAT address without a MAC, a reversed range, a FIP's address */
	struct dp_nat_gw_cfg b = g;
	memset(&b.snat_mac, 0, 6);
	CU_ASSERT_EQUAL(dp_nat_gw_put(nat, &b), -EINVAL);
	b = g;
	b.snat_port_min = 2000;
	b.snat_port_max = 1000;
	CU_ASSERT_EQUAL(dp_nat_gw_put(nat, &b), -EINVAL);
	b = g;
	b.snat_ip = ip4(IP_FIP);
	CU_ASSERT_EQUAL(dp_nat_gw_put(nat, &b), -EEXIST);
	CU_ASSERT_EQUAL(dp_nat_gw_get(nat, 100)->snat_ip, ip4(IP_SN)); /* unchanged */

	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	char acts[512], want[256];
	/* pass 0: B -> 8.8.8.8: ct(commit,nat(src=SNAT:1024-1025)) */
	t_key_ipv4(&k, (uint16_t)P[1], B.macs[0].addr_bytes, R1M, IP_B, IP_NET, IPPROTO_UDP, 1, 53);
	xl(&k, &s);
	CU_ASSERT_EQUAL_FATAL(s.n_actions, 2);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_CT);
	CU_ASSERT_EQUAL(s.actions[0].port, ZONE);
	CU_ASSERT_EQUAL(s.actions[0].data[0], DP_CT_F_COMMIT | DP_CT_F_NAT | DP_CT_F_TTL);
	uint8_t kind;
	uint32_t amin, amax;
	uint16_t pmin, pmax;
	dp_act_ct_nat_get(&s.actions[1], &kind, &amin, &amax, &pmin, &pmax);
	CU_ASSERT_EQUAL(kind, DP_CT_NAT_SRC);
	CU_ASSERT_EQUAL(amin, ip4(IP_SN));
	CU_ASSERT_EQUAL(amax, ip4(IP_SN));
	CU_ASSERT_EQUAL(pmin, 1024);
	CU_ASSERT_EQUAL(pmax, 1025);
	CU_ASSERT(mask_full(s.mask.ip_src, 4));
	CU_ASSERT_EQUAL(s.mask.tp_src, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(TR, "nat(src=172.24.4.50:1024-1025)"));
	/* A keeps its floating IP (no port range) */
	t_key_ipv4(&k, (uint16_t)P[0], A.macs[0].addr_bytes, R1M, IP_A, IP_NET, IPPROTO_TCP, 40000, 80);
	xl(&k, &s);
	check_ct_nat(&s, 0, ZONE, DP_CT_NAT_SRC, IP_FIP, DP_RECIRC_NAT_OUT);
	/* pass NAT_OUT: from the SNAT MAC to the upstream */
	t_key_ipv4(&k, (uint16_t)P[1], B.macs[0].addr_bytes, R1M, IP_SN, IP_NET, IPPROTO_UDP, 1024, 53);
	k.recirc_id = DP_RECIRC_NAT_OUT;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	k.ct_zone = ZONE;
	xl(&k, &s);
	t_fmt_actions(acts, sizeof(acts), s.actions, s.n_actions, s.flood_ports);
	snprintf(want, sizeof(want), "dec_ttl,set_eth_src:02:5a:00:00:00:07,"
		 "set_eth_dst:02:99:00:00:00:01,output:%u", UPLINK);
	CU_ASSERT_STRING_EQUAL(acts, want);
	/* ARP for the SNAT address: answered with the SNAT MAC */
	t_key_arp(&k, UPLINK, UPM, UPM, IP_UP, IP_SN);
	xl(&k, &s);
	t_fmt_actions(acts, sizeof(acts), s.actions, s.n_actions, s.flood_ports);
	snprintf(want, sizeof(want), "arp_reply:02:5a:00:00:00:07,output:%u", UPLINK);
	CU_ASSERT_STRING_EQUAL(acts, want);
	/* from upstream to the SNAT address: ct(nat) without commit */
	t_key_ipv4(&k, UPLINK, UPM, SM, IP_NET, IP_SN, IPPROTO_UDP, 53, 1024);
	xl(&k, &s);
	CU_ASSERT_EQUAL_FATAL(s.n_actions, 2);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_CT);
	CU_ASSERT_EQUAL(s.actions[0].port, ZONE);
	CU_ASSERT_EQUAL(s.actions[0].data[0], DP_CT_F_NAT | DP_CT_F_TTL);
	CU_ASSERT_EQUAL(s.actions[0].data[1], DP_RECIRC_NAT_IN);
	dp_act_ct_nat_get(&s.actions[1], &kind, &amin, &amax, &pmin, &pmax);
	CU_ASSERT_EQUAL(kind, 0);
	/* NAT_IN pass still to the SNAT address (no connection): dropped */
	k.recirc_id = DP_RECIRC_NAT_IN;
	k.ct_state = DP_CS_TRK | DP_CS_NEW;
	k.ct_zone = ZONE;
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_NAT);

	/* through the PMD and conntrack */
	struct rte_mempool *mp = dp_mempool(DP);
	for (unsigned i = 0; i < 3; i++)
		t_drain_port(ETH[i]);
	run(1, t_pkt_ipv4(mp, B.macs[0].addr_bytes, R1M, IP_B, IP_NET, IPPROTO_UDP, 4000, 53,
			  64, 20));
	uint16_t sp = 0, dpt = 0, rp = 0;
	struct rte_mbuf *m = recv_one(2);
	CU_ASSERT(check_pkt(m, SM, UPM, IP_SN, IP_NET, &sp, &dpt));
	CU_ASSERT(sp == 1024 || sp == 1025);
	CU_ASSERT_EQUAL(dpt, 53);
	rte_pktmbuf_free(m);
	run(2, t_pkt_ipv4(mp, UPM, SM, IP_NET, IP_SN, IPPROTO_UDP, 53, sp, 64, 20));
	m = recv_one(1);
	CU_ASSERT(check_pkt(m, R1M, B.macs[0].addr_bytes, IP_NET, IP_B, NULL, &rp));
	CU_ASSERT_EQUAL(rp, 4000);
	rte_pktmbuf_free(m);
	/* nothing new gets in through the SNAT address */
	run(2, t_pkt_ipv4(mp, UPM, SM, IP_NET, IP_SN, IPPROTO_UDP, 53, 9999, 64, 20));
	CU_ASSERT_PTR_NULL(recv_one(1));
	/* two ports: the second connection gets the other, the third none */
	struct dp_ct_stats st0, st1;
	dp_ct_stats_get(dp_get_ct(DP), &st0);
	run(1, t_pkt_ipv4(mp, B.macs[0].addr_bytes, R1M, IP_B, IP_NET, IPPROTO_UDP, 4001, 53,
			  64, 20));
	m = recv_one(2);
	uint16_t sp2 = 0;
	CU_ASSERT(check_pkt(m, SM, UPM, IP_SN, IP_NET, &sp2, NULL));
	CU_ASSERT(sp2 != sp && (sp2 == 1024 || sp2 == 1025));
	rte_pktmbuf_free(m);
	run(1, t_pkt_ipv4(mp, B.macs[0].addr_bytes, R1M, IP_B, IP_NET, IPPROTO_UDP, 4002, 53,
			  64, 20));
	CU_ASSERT_PTR_NULL(recv_one(2));
	dp_ct_stats_get(dp_get_ct(DP), &st1);
	CU_ASSERT_EQUAL(st1.nat_exhausted, st0.nat_exhausted + 1);

	/* back to no SNAT address: the indexes go, B is no-nat again */
	CU_ASSERT_EQUAL(dp_nat_gw_put(nat, &saved), 0);
	CU_ASSERT_PTR_NULL(dp_nat_gw_by_snat_ip(nat, 9, ip4(IP_SN)));
	CU_ASSERT_PTR_NULL(dp_nat_gw_by_snat_mac(nat, 9, SM));
	t_key_ipv4(&k, (uint16_t)P[1], B.macs[0].addr_bytes, R1M, IP_B, IP_NET, IPPROTO_UDP, 1, 53);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_NAT);
}

/* The same with a stateful group on A (egress any, ingress UDP 5000 only):
 * replies come back through two zones, a new connection to another port is
 * denied after DNAT. */
static void test_pmd_with_group(void)
{
	struct dp_acl_rule rules[] = {
		{ .key = 1, .priority = 1, .dir = DP_ACL_EGRESS, .family = 4, .any_proto = true,
		  .src_max = 65535, .dst_max = 65535 },
		{ .key = 2, .priority = 2, .dir = DP_ACL_INGRESS, .family = 4,
		  .proto = IPPROTO_UDP, .src_max = 65535, .dst_min = 5000, .dst_max = 5000 },
	};
	struct dp_acl_port_cfg pc = { .stateful = true, .n_rules = 2, .rules = rules };
	CU_ASSERT_EQUAL_FATAL(dp_acl_port_put(dp_get_acl(DP), 5, &pc), 0);
	struct rte_mempool *mp = dp_mempool(DP);
	for (unsigned i = 0; i < 3; i++)
		t_drain_port(ETH[i]);
	run(0, t_pkt_ipv4(mp, A.macs[0].addr_bytes, R1M, IP_A, IP_NET, IPPROTO_UDP, 41000, 123,
			  64, 20));
	uint16_t sp = 0, rp = 0;
	struct rte_mbuf *m = recv_one(2);
	CU_ASSERT(check_pkt(m, FM, UPM, IP_FIP, IP_NET, &sp, NULL));
	rte_pktmbuf_free(m);
	run(2, t_pkt_ipv4(mp, UPM, FM, IP_NET, IP_FIP, IPPROTO_UDP, 123, sp, 64, 20));
	m = recv_one(0);
	CU_ASSERT(check_pkt(m, R1M, A.macs[0].addr_bytes, IP_NET, IP_A, NULL, &rp));
	CU_ASSERT_EQUAL(rp, 41000);
	rte_pktmbuf_free(m);
	run(2, t_pkt_ipv4(mp, UPM, FM, IP_UP, IP_FIP, IPPROTO_UDP, 7000, 5000, 64, 20));
	m = recv_one(0);
	CU_ASSERT(check_pkt(m, R1M, A.macs[0].addr_bytes, IP_UP, IP_A, NULL, &rp));
	rte_pktmbuf_free(m);
	uint64_t d0 = DP->pmds[0]->st.drops[DP_DROP_ACL_DENY];
	run(2, t_pkt_ipv4(mp, UPM, FM, IP_UP, IP_FIP, IPPROTO_UDP, 7000, 6000, 64, 20));
	CU_ASSERT_PTR_NULL(recv_one(0));
	CU_ASSERT_EQUAL(DP->pmds[0]->st.drops[DP_DROP_ACL_DENY], d0 + 1);
	CU_ASSERT(dp_acl_port_del(dp_get_acl(DP), 5) > 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "nat_stage_test", "-l", "0,1", "--vdev=net_ring0",
		       "--vdev=net_ring1", "--vdev=net_ring2", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("floating IPs through translate", init, clean);
	CU_add_test(s, "SNAT: ct(nat(src)) then out with the FIP's MAC", test_snat_passes);
	CU_add_test(s, "DNAT: ct(nat(dst)) then routed to the VM", test_dnat_passes);
	CU_add_test(s, "ARP for a floating IP from the external network", test_arp);
	CU_add_test(s, "security groups around the NAT passes", test_with_security_group);
	CU_add_test(s, "a VLAN external network: tags pushed back", test_vlan_external);
	CU_add_test(s, "NAT tables: rules, moves, tags, zones", test_table);
	CU_add_test(s, "FIP and gateway changes", test_fip_gone);
	CU_add_test(s, "through the PMD and conntrack NAT, both ways", test_pmd_end_to_end);
	CU_add_test(s, "through the PMD with a stateful group on the VM", test_pmd_with_group);
	CU_add_test(s, "distributed SNAT: the chassis' address, replies, exhaustion",
		    test_distributed_snat);
	return t_run_all();
}
