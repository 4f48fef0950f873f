/* SPDX-License-Identifier: BSD-3-Clause
 * dp/stages_test.c — the translate pipeline over hand-built tables and keys:
 * classification, port security, L2 and output decisions, the megaflow
 * masks and dependency tags they produce, and the trace.
 *
 * Run: ./build/dp/dp_stages_test
 */
#include <errno.h>
#include <stdlib.h>

#include "test_util.h"
#include "translate.h"

/* Topology:
 *  network 1: A(1) port 1 psec, fixed 10.0.1.1 + 2001:db8::1,
 *                aaps 192.168.0.0/24 (own MACs), 172.16.0.5/32 with MAC AAP_MAC
 *             B(2) port 2 psec
 *             C(3) remote (no dp port)
 *             D(4) port 3, port security off
 *             E(5) port 4, admin down
 *  network 2: F(6) port 5, the only local port
 *  dp port 9: bound to nothing
 */
static struct dp_tables *T;
static struct dp_lport_cfg A, B, C, D, E, F;
static const uint8_t AAP_MAC[6] = { 0x02, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MCAST[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };
static const uint8_t UNKNOWN_MAC[6] = { 0x02, 0x99, 0x99, 0x99, 0x99, 0x99 };
static const uint8_t ZERO4[4];
static const uint8_t BC4[4] = { 255, 255, 255, 255 };

static struct rec REC;

static const uint8_t *mac(const struct dp_lport_cfg *c)
{
	return c->macs[0].addr_bytes;
}

static const uint8_t *ip4(const struct dp_lport_cfg *c)
{
	return c->ips[0].addr;
}

static int suite_init(void)
{
	T = dp_tables_create("st", NULL, rec_cb, &REC);
	if (T == NULL)
		return -1;
	struct dp_network_cfg n1 = t_net(1), n2 = t_net(2);
	if (dp_table_network_put(T, &n1) || dp_table_network_put(T, &n2))
		return -1;
	A = t_lport(1, 1, 1);
	A.n_ips = 2;
	A.ips[1] = t_ip_str("2001:db8::1");
	A.n_aaps = 2;
	A.aaps[0].ip = t_ip_str("192.168.0.0/24");
	A.aaps[1].ip = t_ip_str("172.16.0.5");
	memcpy(A.aaps[1].mac.addr_bytes, AAP_MAC, 6);
	B = t_lport(2, 1, 2);
	C = t_lport(3, 1, DP_NO_PORT);
	D = t_lport(4, 1, 3);
	D.port_security = false;
	E = t_lport(5, 1, 4);
	E.admin_up = false;
	F = t_lport(6, 2, 5);
	const struct dp_lport_cfg *all[] = { &A, &B, &C, &D, &E, &F };
	for (unsigned i = 0; i < RTE_DIM(all); i++)
		if (dp_table_lport_put(T, all[i]) != 0)
			return -1;
	return 0;
}

static int suite_clean(void)
{
	dp_tables_destroy(T);
	return 0;
}

static char TRACE[4096];

static void xl(const struct dp_flow_key *k, struct dp_megaflow_spec *s)
{
	struct dp_trace_buf tb = { .buf = TRACE, .len = sizeof(TRACE), .used = 0 };
	TRACE[0] = 0;
	memset(s, 0xa5, sizeof(*s)); /* translate must initialise everything it uses */
	dp_translate(T, k, s, &tb);
}

static unsigned drop_of(const struct dp_flow_key *k)
{
	struct dp_megaflow_spec s;
	xl(k, &s);
	if (s.n_actions != 1 || s.actions[0].type != DP_ACT_DROP)
		return 0;
	return s.actions[0].u32;
}

static bool is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static bool is_ones(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0xff)
			return false;
	return true;
}

/* Flood ports of a spec that floods once, sorted, count returned. */
static unsigned flood_of(const struct dp_megaflow_spec *s, uint16_t *out)
{
	if (s->n_actions != 1 || s->actions[0].type != DP_ACT_FLOOD)
		return 0;
	unsigned n = s->actions[0].port;
	for (unsigned i = 0; i < n; i++)
		out[i] = s->flood_ports[s->actions[0].u32 + i];
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && out[j - 1] > out[j]; j--) {
			uint16_t x = out[j];
			out[j] = out[j - 1];
			out[j - 1] = x;
		}
	return n;
}

static void udp_from_a(struct dp_flow_key *k, const uint8_t *smac, const uint8_t *sip,
		       const uint8_t *dmac)
{
	static const uint8_t dip[4] = { 10, 0, 1, 2 };
	t_key_ipv4(k, 1, smac, dmac, sip, dip, IPPROTO_UDP, 40000, 53);
}

/* ---- classification ------------------------------------------------------------------ */

static void test_classify(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	udp_from_a(&k, mac(&A), ip4(&A), mac(&B));
	k.in_port = 9;
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_LPORT);
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_DPPORT, 9)));
	CU_ASSERT(is_ones(&s.mask.in_port, 2));
	/* decided by in_port alone: nothing else of the packet is in the mask */
	struct dp_flow_key m = s.mask;
	memset(&m.in_port, 0, 2);
	memset(&m.recirc_id, 0, 4);
	CU_ASSERT(is_zero(&m, sizeof(m)));
	CU_ASSERT_EQUAL(s.no_install, 0);

	k.in_port = 4; /* E, admin down */
	k.eth_src[5] = 5;
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_PORT_DOWN);
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_LPORT, 5)));
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_DPPORT, 4)));
}

/* ---- port security ---------------------------------------------------------------------- */

static void test_psec_ipv4(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	uint8_t other_mac[6] = { 0x02, 0, 0, 0, 0x12, 0x34 };
	uint8_t other_ip[4] = { 10, 0, 1, 77 };

	udp_from_a(&k, mac(&A), ip4(&A), mac(&B));
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_output(&s), 2);
	CU_ASSERT_EQUAL(s.n_flood, 0);

	udp_from_a(&k, other_mac, ip4(&A), mac(&B));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_MAC);
	udp_from_a(&k, mac(&A), other_ip, mac(&B));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_IP);
	/* B's IP from A */
	udp_from_a(&k, mac(&A), ip4(&B), mac(&B));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_IP);

	/* DHCP discover from 0.0.0.0: allowed (flooded) */
	t_key_ipv4(&k, 1, mac(&A), BCAST, ZERO4, BC4, IPPROTO_UDP, 68, 67);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), 0);
	CU_ASSERT_EQUAL(s.n_actions, 1);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_FLOOD);
	CU_ASSERT(is_ones(&s.mask.tp_src, 2) && is_ones(&s.mask.tp_dst, 2));
	CU_ASSERT_EQUAL(s.mask.ip_proto, 0xff);
	/* other traffic from 0.0.0.0 */
	t_key_ipv4(&k, 1, mac(&A), BCAST, ZERO4, BC4, IPPROTO_UDP, 68, 68);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_IP);
	t_key_ipv4(&k, 1, mac(&A), BCAST, ZERO4, BC4, IPPROTO_UDP, 67, 67);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_IP);
	t_key_ipv4(&k, 1, mac(&A), BCAST, ZERO4, BC4, IPPROTO_TCP, 68, 67);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_IP);
	/* DHCP from 0.0.0.0 with a spoofed MAC is still a MAC violation */
	t_key_ipv4(&k, 1, other_mac, BCAST, ZERO4, BC4, IPPROTO_UDP, 68, 67);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_MAC);

	/* VLAN-tagged on an access port */
	udp_from_a(&k, mac(&A), ip4(&A), mac(&B));
	k.vlan_tci = DP_VLAN_PRESENT | 100;
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_VLAN_TAGGED);
	k.vlan_tci = DP_VLAN_PRESENT; /* VLAN 0 (priority tag) is tagged too */
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_VLAN_TAGGED);

	/* a non-IP ethertype from the port's MAC passes */
	t_key_eth(&k, 1, mac(&A), mac(&B), 0x88cc);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_output(&s), 2);
}

static void test_psec_aap(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	uint8_t in_pfx[4] = { 192, 168, 0, 77 }, out_pfx[4] = { 192, 168, 1, 77 };
	uint8_t aap_ip[4] = { 172, 16, 0, 5 }, aap_ip_next[4] = { 172, 16, 0, 6 };

	/* prefix pair without MAC: any address in it, with the port's own MAC */
	udp_from_a(&k, mac(&A), in_pfx, mac(&B));
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_output(&s), 2);
	udp_from_a(&k, mac(&A), out_pfx, mac(&B));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_IP);
	/* ... but not with the other pair's MAC */
	udp_from_a(&k, AAP_MAC, in_pfx, mac(&B));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_IP);
	/* pair with MAC: only that MAC + that IP */
	udp_from_a(&k, AAP_MAC, aap_ip, mac(&B));
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_output(&s), 2);
	udp_from_a(&k, mac(&A), aap_ip, mac(&B));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_IP);
	udp_from_a(&k, AAP_MAC, aap_ip_next, mac(&B));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_IP);
	/* the fixed IP belongs with the port's MACs only */
	udp_from_a(&k, AAP_MAC, ip4(&A), mac(&B));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_IP);
	/* ARP from the pair */
	t_key_arp(&k, 1, AAP_MAC, AAP_MAC, aap_ip, ip4(&B));
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), 0);
	t_key_arp(&k, 1, AAP_MAC, AAP_MAC, ip4(&A), ip4(&B));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_ARP);
}

static void test_psec_arp(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	uint8_t other_mac[6] = { 0x02, 0, 0, 0, 0x12, 0x34 };
	uint8_t other_ip[4] = { 10, 0, 1, 77 };
	uint16_t fl[DP_MAX_FLOOD];

	t_key_arp(&k, 1, mac(&A), mac(&A), ip4(&A), ip4(&B));
	xl(&k, &s);
	CU_ASSERT_EQUAL(flood_of(&s, fl), 2); /* B and D (E is admin down: no floods) */
	CU_ASSERT(is_ones(s.mask.arp_sha, 6));
	CU_ASSERT(is_ones(s.mask.ip_src, 4) && is_zero(s.mask.ip_src + 4, 12));
	CU_ASSERT(is_zero(s.mask.ip_dst, 16));      /* target not read */
	CU_ASSERT(is_zero(&s.mask.arp_op, 2));

	t_key_arp(&k, 1, mac(&A), other_mac, ip4(&A), ip4(&B));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_ARP);
	t_key_arp(&k, 1, mac(&A), mac(&A), other_ip, ip4(&B));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_ARP);
	t_key_arp(&k, 1, mac(&A), mac(&A), ip4(&B), ip4(&B));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_ARP);
	/* ARP probe: sender IP 0.0.0.0 */
	t_key_arp(&k, 1, mac(&A), mac(&A), ZERO4, ip4(&A));
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), 0);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_FLOOD);
	/* probe with a foreign sender MAC is still spoofing */
	t_key_arp(&k, 1, mac(&A), other_mac, ZERO4, ip4(&A));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_ARP);
	/* ARP reply (unicast to B) with good fields */
	t_key_arp(&k, 1, mac(&A), mac(&A), ip4(&A), ip4(&B));
	memcpy(k.eth_dst, mac(&B), 6);
	k.arp_op = htons(2);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_output(&s), 2);
}

static void test_psec_ipv6(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	uint8_t own6[16], ll6[16], other6[16], unspec[16] = { 0 }, allnodes[16] = { 0xff, 0x02 };
	uint8_t other_ll[16];
	uint8_t other_mac[6] = { 0x02, 0, 0, 0, 0x12, 0x34 };
	memcpy(own6, A.ips[1].addr, 16);
	dp_l3_eui64_ll(ll6, mac(&A));
	dp_l3_eui64_ll(other_ll, other_mac);
	memcpy(other6, own6, 16);
	other6[15] = 0x77;
	allnodes[15] = 1;

	t_key_ipv6(&k, 1, mac(&A), mac(&B), own6, other6, IPPROTO_UDP, 1000, 2000);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_output(&s), 2);
	CU_ASSERT(is_ones(s.mask.ip_src, 16));
	/* a high destination port: the fixed mask 0xfc00 of tp_dst, no tp_src */
	CU_ASSERT(is_zero(&s.mask.tp_src, 2) && s.mask.tp_dst == htons(0xfc00));
	t_key_ipv6(&k, 1, mac(&A), mac(&B), ll6, other6, IPPROTO_TCP, 1000, 2000);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_output(&s), 2);
	t_key_ipv6(&k, 1, mac(&A), mac(&B), other6, own6, IPPROTO_UDP, 1000, 2000);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_IP);
	/* someone else's link-local */
	t_key_ipv6(&k, 1, mac(&A), mac(&B), other_ll, own6, IPPROTO_UDP, 1000, 2000);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_IP);
	/* from :: only ICMPv6 */
	t_key_ipv6(&k, 1, mac(&A), BCAST, unspec, allnodes, IPPROTO_UDP, 546, 547);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_IP);
	t_key_ipv6(&k, 1, mac(&A), BCAST, unspec, allnodes, IPPROTO_ICMPV6, 135, 0);
	memcpy(k.nd_target, own6, 16); /* DAD NS: no link-layer option */
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), 0);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_FLOOD);
	/* NS with a foreign source link-layer option */
	t_key_ipv6(&k, 1, mac(&A), BCAST, own6, allnodes, IPPROTO_ICMPV6, 135, 0);
	memcpy(k.nd_target, other6, 16);
	memcpy(k.nd_ll, other_mac, 6);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_ND);
	memcpy(k.nd_ll, mac(&A), 6);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), 0);
	/* NA for our own address, and for a foreign one */
	t_key_ipv6(&k, 1, mac(&A), BCAST, own6, allnodes, IPPROTO_ICMPV6, 136, 0);
	memcpy(k.nd_target, own6, 16);
	memcpy(k.nd_ll, mac(&A), 6);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), 0);
	CU_ASSERT(is_ones(s.mask.nd_target, 16));
	memcpy(k.nd_target, ll6, 16);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), 0);
	memcpy(k.nd_target, other6, 16);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_ND);
	memcpy(k.nd_target, other_ll, 16);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_ND);
	/* other ICMPv6 (echo) does not read ND fields */
	t_key_ipv6(&k, 1, mac(&A), mac(&B), own6, other6, IPPROTO_ICMPV6, 128, 0);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_output(&s), 2);
	CU_ASSERT(is_zero(s.mask.nd_target, 16) && is_zero(s.mask.nd_ll, 6));
}

static void test_psec_off(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	uint8_t spoof_mac[6] = { 0x02, 0xde, 0xad, 0xbe, 0xef, 0x01 };
	uint8_t spoof_ip[4] = { 8, 8, 8, 8 };
	udp_from_a(&k, spoof_mac, spoof_ip, mac(&B));
	k.in_port = 3; /* D */
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_output(&s), 2);
	/* nothing but in_port and eth_dst decides: no source fields in the mask */
	CU_ASSERT(is_zero(s.mask.eth_src, 6));
	CU_ASSERT(is_zero(s.mask.ip_src, 16));
	/* (eth_type is read by the DHCP stage: is this DHCP to punt?) */
	/* tagged frames are dropped on every access port, port security or
	 * not (VLAN hopping) */
	CU_ASSERT(is_ones(&s.mask.vlan_tci, 2));
	k.vlan_tci = DP_VLAN_PRESENT | 7;
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_VLAN_TAGGED);
	k.vlan_tci = DP_VLAN_PRESENT; /* priority tag */
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_VLAN_TAGGED);
	k.vlan_tci = 0;
	t_key_arp(&k, 3, spoof_mac, spoof_mac, spoof_ip, ip4(&A));
	xl(&k, &s);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_FLOOD);
}

/* ---- L2 and output ------------------------------------------------------------------------ */

static void test_l2(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	uint16_t fl[DP_MAX_FLOOD];

	/* known unicast */
	udp_from_a(&k, mac(&A), ip4(&A), mac(&D));
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_output(&s), 3);
	/* unknown unicast floods to the other local ports */
	udp_from_a(&k, mac(&A), ip4(&A), UNKNOWN_MAC);
	xl(&k, &s);
	CU_ASSERT_EQUAL_FATAL(flood_of(&s, fl), 2); /* E (port 4) is admin down */
	CU_ASSERT(fl[0] == 2 && fl[1] == 3);
	CU_ASSERT(is_ones(s.mask.eth_dst, 6));
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(1, UNKNOWN_MAC))));
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_NETWORK, 1)));
	/* broadcast from B: every other local port, not B's */
	t_key_arp(&k, 2, mac(&B), mac(&B), ip4(&B), ip4(&A));
	xl(&k, &s);
	CU_ASSERT_EQUAL_FATAL(flood_of(&s, fl), 2); /* A and D; E is down */
	CU_ASSERT(fl[0] == 1 && fl[1] == 3);
	/* multicast floods too, matching only the group bit */
	udp_from_a(&k, mac(&A), ip4(&A), MCAST);
	xl(&k, &s);
	CU_ASSERT_EQUAL(flood_of(&s, fl), 2);
	static const uint8_t group_bit[6] = { 0x01, 0, 0, 0, 0, 0 };
	CU_ASSERT_EQUAL(memcmp(s.mask.eth_dst, group_bit, 6), 0);
	/* the only local port of network 2: nothing to flood to */
	t_key_arp(&k, 5, mac(&F), mac(&F), ip4(&F), ip4(&A));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_NO_FLOOD);
	/* remote destination: no overlay yet */
	udp_from_a(&k, mac(&A), ip4(&A), mac(&C));
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_DEST);
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_LPORT, 3)));
	/* hairpin: A to its own MAC */
	udp_from_a(&k, mac(&A), ip4(&A), mac(&A));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_NO_DEST);
	/* destination administratively down */
	udp_from_a(&k, mac(&A), ip4(&A), mac(&E));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PORT_DOWN);
	/* a MAC of network 2 is unknown in network 1 */
	udp_from_a(&k, mac(&A), ip4(&A), mac(&F));
	xl(&k, &s);
	CU_ASSERT_EQUAL(flood_of(&s, fl), 2);
}

/* ---- masks, tags, trace -------------------------------------------------------------------- */

static void test_mask_and_tags(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;

	udp_from_a(&k, mac(&A), ip4(&A), mac(&B));
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_output(&s), 2);
	/* spec key is the packet key */
	CU_ASSERT(dp_key_equal(&s.key, &k));
	/* what was read */
	CU_ASSERT(is_ones(&s.mask.in_port, 2));
	CU_ASSERT(is_ones(&s.mask.recirc_id, 4));
	CU_ASSERT(is_ones(s.mask.eth_src, 6));
	CU_ASSERT(is_ones(s.mask.eth_dst, 6));
	CU_ASSERT(is_ones(&s.mask.eth_type, 2));
	CU_ASSERT(is_ones(&s.mask.vlan_tci, 2));
	CU_ASSERT(is_ones(s.mask.ip_src, 4));
	/* the DHCP decision (server replies dropped, requests punted): the
	 * protocol, then tp_dst under a fixed mask -- all of it below 1024
	 * (here DNS, 53), 0xfc00 above -- and tp_src only for a DHCP port */
	CU_ASSERT_EQUAL(s.mask.ip_proto, 0xff);
	CU_ASSERT(is_ones(&s.mask.tp_dst, 2));
	CU_ASSERT(is_zero(&s.mask.tp_src, 2));
	CU_ASSERT(is_zero(s.mask.ip_src + 4, 12));
	CU_ASSERT(is_zero(s.mask.ip_dst, 16));
	CU_ASSERT_EQUAL(s.mask.ip_ttl, 0);
	CU_ASSERT_EQUAL(s.mask.ip_tos, 0);
	CU_ASSERT(is_zero(&s.mask.tcp_flags, 2));
	CU_ASSERT(is_zero(&s.mask.tun_vni, 12));
	/* tags: binding, source, the FDB entry, the destination and the
	 * port it outputs to */
	CU_ASSERT_EQUAL(s.n_tags, 5);
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_DPPORT, 1)));
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_DPPORT, (uint16_t)t_spec_output(&s))));
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_LPORT, 1)));
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(1, mac(&B)))));
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_LPORT, 2)));
	CU_ASSERT(!t_spec_has_tag(&s, DP_TAG(DP_TAG_NETWORK, 1)));

	/* TCP the same: no L4 in the mask */
	t_key_ipv4(&k, 1, mac(&A), mac(&B), ip4(&A), ip4(&B), IPPROTO_TCP, 1234, 80);
	k.tcp_flags = htons(0x02);
	xl(&k, &s);
	CU_ASSERT(is_zero(&s.mask.tp_src, 2) && is_zero(&s.mask.tp_dst, 2));
	CU_ASSERT(is_zero(&s.mask.tcp_flags, 2));

	/* broadcast: only the group bit of eth_dst */
	t_key_ipv4(&k, 1, mac(&A), BCAST, ip4(&A), BC4, IPPROTO_UDP, 5000, 5001);
	xl(&k, &s);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_FLOOD);
	static const uint8_t group_bit[6] = { 0x01, 0, 0, 0, 0, 0 };
	CU_ASSERT_EQUAL(memcmp(s.mask.eth_dst, group_bit, 6), 0);
	CU_ASSERT(is_zero(&s.mask.tp_src, 2) && s.mask.tp_dst == htons(0xfc00));
	CU_ASSERT_EQUAL(s.n_tags, 3);
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_DPPORT, 1)));
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_LPORT, 1)));
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_NETWORK, 1)));

	/* the widened megaflow really covers other broadcasts of A: translate
	 * of any key matching (key & mask) gives the same actions */
	struct dp_megaflow_spec s2;
	struct dp_flow_key k2 = k;
	/* other L4 ports: change every bit the megaflow does not match */
	k2.tp_src = (uint16_t)((k.tp_src & s.mask.tp_src) | (htons(1) & ~s.mask.tp_src));
	k2.tp_dst = (uint16_t)((k.tp_dst & s.mask.tp_dst) | (htons(2) & ~s.mask.tp_dst));
	memcpy(k2.ip_dst, (uint8_t[4]){ 10, 0, 1, 255 }, 4);
	memcpy(k2.eth_dst, MCAST, 6);
	struct dp_flow_key m1, m2;
	dp_key_and(&m1, &k, &s.mask);
	dp_key_and(&m2, &k2, &s.mask);
	CU_ASSERT(dp_key_equal(&m1, &m2));
	xl(&k2, &s2);
	CU_ASSERT_EQUAL(s2.n_actions, s.n_actions);
	CU_ASSERT_EQUAL(s2.n_flood, s.n_flood);
	CU_ASSERT_EQUAL(memcmp(s2.flood_ports, s.flood_ports, s.n_flood * 2), 0);
}

static bool trace_has_line(const char *stage)
{
	size_t n = strlen(stage);
	for (const char *l = TRACE; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, stage, n) == 0)
			return true;
	return false;
}

static void test_trace(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	udp_from_a(&k, mac(&A), ip4(&A), mac(&B));
	xl(&k, &s);
	CU_ASSERT(trace_has_line("classify"));
	CU_ASSERT(trace_has_line("port-security"));
	CU_ASSERT(trace_has_line("l2-lookup"));
	CU_ASSERT(trace_has_line("output"));
	CU_ASSERT_PTR_NOT_NULL(strstr(TRACE, "output to dp port 2"));
	unsigned lines = 0;
	for (const char *p = TRACE; *p; p++)
		lines += *p == '\n';
	CU_ASSERT(lines >= 4);

	/* a drop stops the trace at the deciding stage */
	udp_from_a(&k, mac(&B), ip4(&A), mac(&B));
	xl(&k, &s);
	CU_ASSERT(trace_has_line("classify"));
	CU_ASSERT(trace_has_line("port-security"));
	CU_ASSERT(!trace_has_line("l2-lookup"));
	CU_ASSERT_PTR_NOT_NULL(strstr(TRACE, "drop: psec-mac"));

	/* a tiny buffer stays terminated and is never overrun */
	char small[24];
	memset(small, 'Z', sizeof(small));
	struct dp_trace_buf tb = { .buf = small, .len = 16, .used = 0 };
	udp_from_a(&k, mac(&A), ip4(&A), mac(&B));
	dp_translate(T, &k, &s, &tb);
	CU_ASSERT(tb.used < 16);
	CU_ASSERT_EQUAL(small[tb.used], 0);
	CU_ASSERT_EQUAL(small[16], 'Z');
	/* no trace: same result */
	struct dp_megaflow_spec s2;
	dp_translate(T, &k, &s2, NULL);
	CU_ASSERT_EQUAL(t_spec_output(&s2), 2);
	CU_ASSERT_EQUAL(memcmp(&s2.mask, &s.mask, sizeof(s.mask)), 0);
}

/* ---- regressions (bugs this suite found, now fixed) ----------------------------------------------------------- */

/* KNOWN BUG (stage_output.c flood(), tables.c net_with_local): the flood list
 * holds every local lport whatever its admin state, so a broadcast reaches an
 * administratively-down port (E on dp port 4), while unicast to it is dropped
 * with port-down. */
static void test_bug_flood_to_admin_down(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	uint16_t fl[DP_MAX_FLOOD];
	t_key_arp(&k, 1, mac(&A), mac(&A), ip4(&A), ip4(&B));
	xl(&k, &s);
	unsigned n = flood_of(&s, fl);
	bool to_down = false;
	for (unsigned i = 0; i < n; i++)
		to_down |= fl[i] == 4;
	CU_ASSERT(!to_down);
}

int main(int argc, char **argv)
{
	CU_pSuite s;
	(void)argc;
	if (t_eal_init(argv[0], "stages_test", "-l", "0", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("stages", suite_init, suite_clean);
	CU_add_test(s, "classification", test_classify);
	CU_add_test(s, "port security: IPv4, DHCP, VLAN", test_psec_ipv4);
	CU_add_test(s, "port security: allowed address pairs", test_psec_aap);
	CU_add_test(s, "port security: ARP", test_psec_arp);
	CU_add_test(s, "port security: IPv6 and ND", test_psec_ipv6);
	CU_add_test(s, "port security off", test_psec_off);
	CU_add_test(s, "L2 lookup and output", test_l2);
	CU_add_test(s, "megaflow mask and tags", test_mask_and_tags);
	CU_add_test(s, "trace", test_trace);
	{ /* regressions of bugs found by this suite (fixed) */
		s = CU_add_suite("regressions", suite_init, suite_clean);
		CU_add_test(s, "flood reaches admin-down lport", test_bug_flood_to_admin_down);
	}
	return t_run_all();
}
