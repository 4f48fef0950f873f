/* SPDX-License-Identifier: BSD-3-Clause
 * dp/isolation_test.c — what one tenant's VM (or a host on the underlay)
 * must not be able to do through the translate stages: make many megaflow
 * masks with its UDP ports, send DHCP server messages, RAs or redirects, hop
 * VLANs, or inject traffic through a tunnel from an address that is no VTEP
 * of the network.
 *
 * Run: ./build/dp/dp_isolation_test
 */
#include <errno.h>

#include "test_util.h"
#include "translate.h"

#define VTEP_L  0x0100090a /* 10.9.0.1: ours */
#define VTEP_R  0x0200090a /* 10.9.0.2: hosts network 1 */
#define VTEP_R2 0x0300090a /* 10.9.0.3: hosts network 1 too */
#define VTEP_X  0x6300090a /* 10.9.0.99: on the underlay, no VTEP of network 1 */
#define UPLINK  9

/* network 1 (overlay, VNI 5001, remote VTEPs R and R2):
 *   A(1) port 1, B(2) port 2 (port security), RT(3) port 3 router,
 *   DH(4) port 4 DHCP server, D(5) port 5 port security off,
 *   C(6) remote behind R, CD(7) remote DHCP server behind R
 * network 2 (flat): G(8) port 6;  network 3 (VLAN 30): V(9) port 7 */
static struct dp_tables *T;
static struct dp_l3 *L3;
static struct dp_lport_cfg A, B, RT, DH, D, C, CD, G, V;
static struct rec REC;
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t ALLNODES_MAC[6] = { 0x33, 0x33, 0, 0, 0, 1 };
static const uint8_t DHCP6_MAC[6] = { 0x33, 0x33, 0, 1, 0, 2 };
static const uint8_t BC4[4] = { 255, 255, 255, 255 };
static uint8_t ALLNODES[16] = { 0xff, 0x02, [15] = 1 }, DHCP6_ALL[16] = { 0xff, 0x02, [13] = 1, [15] = 2 };

static const uint8_t *mac(const struct dp_lport_cfg *c)
{
	return c->macs[0].addr_bytes;
}

static const uint8_t *ip4(const struct dp_lport_cfg *c)
{
	return c->ips[0].addr;
}

/* the port's EUI-64 link-local address */
static const uint8_t *ll6(const struct dp_lport_cfg *c)
{
	static uint8_t ll[4][16];
	static unsigned i;
	uint8_t *p = ll[i++ % 4];
	dp_l3_eui64_ll(p, mac(c));
	return p;
}

static int suite_init(void)
{
	T = dp_tables_create("iso", NULL, rec_cb, &REC);
	if (T == NULL)
		return -1;
	L3 = dp_l3_create("isol3", T, NULL, NULL, NULL);
	if (L3 == NULL)
		return -1;
	struct dp_network_cfg n1 = t_net(1), n2 = t_net(2), n3 = t_net(3);
	n1.vni = 5001;
	static const uint32_t v12[] = { VTEP_R, VTEP_R2 };
	n1.n_flood_vteps = 2;
	n1.flood_vteps = v12;
	n2.vni = n3.vni = 0;
	n2.type = DP_NET_FLAT;
	n3.type = DP_NET_VLAN;
	n3.vlan = 30;
	if (dp_table_network_put(T, &n1) || dp_table_network_put(T, &n2) ||
	    dp_table_network_put(T, &n3))
		return -1;
	struct dp_overlay_cfg ov = { .uplink = UPLINK, .vtep_ip = VTEP_L, .encap = DP_ENCAP_VXLAN,
				     .underlay_mtu = 1500,
				     .vtep_mac = { { 0x02, 0xee, 0, 0, 0, 1 } } };
	if (dp_overlay_set(T, &ov) != 0)
		return -1;
	A = t_lport(1, 1, 1);
	B = t_lport(2, 1, 2);
	RT = t_lport(3, 1, 3);
	RT.router = true;
	DH = t_lport(4, 1, 4);
	DH.dhcp_server = true;
	D = t_lport(5, 1, 5);
	D.port_security = false;
	C = t_lport(6, 1, DP_NO_PORT);
	C.remote_vtep = VTEP_R;
	CD = t_lport(7, 1, DP_NO_PORT);
	CD.remote_vtep = VTEP_R;
	CD.dhcp_server = true;
	G = t_lport(8, 2, 6);
	V = t_lport(9, 3, 7);
	struct dp_lport_cfg *all[] = { &A, &B, &RT, &DH, &D, &C, &CD, &G, &V };
	for (unsigned i = 0; i < RTE_DIM(all); i++) {
		struct dp_lport_cfg *c = all[i];
		c->ips[1] = t_ip_str("2001:db8::1");
		c->ips[1].addr[15] = (uint8_t)c->key;
		c->n_ips = 2;
		if (dp_table_lport_put(T, c) != 0)
			return -1;
	}
	return 0;
}

static int suite_clean(void)
{
	dp_l3_destroy(L3);
	dp_tables_destroy(T);
	return 0;
}

static char TRACE[4096];

static void xl(const struct dp_flow_key *k, struct dp_megaflow_spec *s)
{
	struct dp_trace_buf tb = { .buf = TRACE, .len = sizeof(TRACE), .used = 0 };
	TRACE[0] = 0;
	memset(s, 0xa5, sizeof(*s));
	dp_translate(T, k, s, &tb);
}

static unsigned drop_of(const struct dp_flow_key *k)
{
	struct dp_megaflow_spec s;
	xl(k, &s);
	return t_spec_drop(&s);
}

static bool delivered(const struct dp_flow_key *k)
{
	struct dp_megaflow_spec s;
	xl(k, &s);
	for (unsigned i = 0; i < s.n_actions; i++)
		if (s.actions[i].type == DP_ACT_OUTPUT || s.actions[i].type == DP_ACT_FLOOD)
			return t_spec_drop(&s) == 0;
	return false;
}

static bool is_ones_mac(const uint8_t *m)
{
	return (m[0] & m[1] & m[2] & m[3] & m[4] & m[5]) == 0xff;
}

/* ---- megaflow masks of the DHCP decision ------------------------------------------------- */

#define MAXM 64
struct maskset {
	unsigned n;
	struct dp_flow_key m[MAXM];
};

static void mask_add(struct maskset *ms, const struct dp_flow_key *m)
{
	for (unsigned i = 0; i < ms->n; i++)
		if (memcmp(&ms->m[i], m, sizeof(*m)) == 0)
			return;
	if (ms->n < MAXM)
		ms->m[ms->n++] = *m;
	else
		ms->n++;
}

/* key & mask, for counting megaflows */
static uint64_t masked_hash(const struct dp_flow_key *k, const struct dp_flow_key *m)
{
	const uint8_t *a = (const uint8_t *)k, *b = (const uint8_t *)m;
	uint8_t buf[sizeof(*k) * 2];
	for (size_t i = 0; i < sizeof(*k); i++)
		buf[i] = a[i] & b[i];
	memcpy(buf + sizeof(*k), m, sizeof(*m));
	return fnv(buf, sizeof(buf), 0xcbf29ce484222325ull);
}

static void test_dhcp_masks(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	/* one VM, UDP to B with every kind of source port: ONE mask (the old
	 * code marked the highest bit where tp_src differs from 67: up to 16) */
	struct maskset ms = { 0 };
	for (unsigned i = 0; i < 4096; i++) {
		t_key_ipv4(&k, 1, mac(&A), mac(&B), ip4(&A), ip4(&B), IPPROTO_UDP,
			   (uint16_t)(i * 16 + t_randn(16)), 5353);
		xl(&k, &s);
		CU_ASSERT_EQUAL(t_spec_output(&s), 2);
		mask_add(&ms, &s.mask);
	}
	CU_ASSERT_EQUAL(ms.n, 1);
	/* random source and destination ports, IPv4 and IPv6, UDP and TCP:
	 * a bounded set per family (non-UDP; UDP >= 1024; UDP < 1024; UDP to
	 * a DHCP port) */
	struct maskset m4 = { 0 }, m6 = { 0 };
	for (unsigned i = 0; i < 20000; i++) {
		uint16_t sp = (uint16_t)t_rand(), dp = (uint16_t)t_rand();
		if (i % 4 == 0)
			dp = (uint16_t)t_randn(1024);
		uint8_t proto = i % 3 ? IPPROTO_UDP : IPPROTO_TCP;
		t_key_ipv4(&k, 1, mac(&A), mac(&B), ip4(&A), ip4(&B), proto, sp, dp);
		xl(&k, &s);
		mask_add(&m4, &s.mask);
		t_key_ipv6(&k, 1, mac(&A), mac(&B), A.ips[1].addr, B.ips[1].addr, proto, sp, dp);
		xl(&k, &s);
		mask_add(&m6, &s.mask);
	}
	if (m4.n > 4 || m6.n > 4)
		fprintf(stderr, "\n  masks: IPv4 %u, IPv6 %u\n", m4.n, m6.n);
	CU_ASSERT(m4.n <= 4);
	CU_ASSERT(m6.n <= 4);
	/* the L2 benchmark's 100k flows (sport 1024 + i % 1000, dport
	 * 5000 + i / 1000) between two ports stay one megaflow */
	uint64_t first = 0;
	unsigned differ = 0;
	for (unsigned i = 0; i < 100000; i += 7) {
		t_key_ipv4(&k, 1, mac(&A), mac(&B), ip4(&A), ip4(&B), IPPROTO_UDP,
			   (uint16_t)(1024 + i % 1000), (uint16_t)(5000 + i / 1000));
		xl(&k, &s);
		uint64_t h = masked_hash(&k, &s.mask);
		if (i == 0)
			first = h;
		else if (h != first)
			differ++;
	}
	CU_ASSERT_EQUAL(differ, 0);
	/* the decision itself: DHCP client traffic is still punted/allowed,
	 * server replies still dropped, a near miss (69) is ordinary */
	t_key_ipv4(&k, 1, mac(&A), BCAST, (const uint8_t[4]){ 0 }, BC4, IPPROTO_UDP, 68, 67);
	CU_ASSERT(delivered(&k));
	t_key_ipv4(&k, 1, mac(&A), BCAST, ip4(&A), BC4, IPPROTO_UDP, 67, 68);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_DHCP_SERVER);
	t_key_ipv4(&k, 1, mac(&A), BCAST, ip4(&A), BC4, IPPROTO_UDP, 67, 69);
	CU_ASSERT(delivered(&k));
	t_key_ipv4(&k, 1, mac(&A), BCAST, ip4(&A), BC4, IPPROTO_UDP, 66, 68);
	CU_ASSERT(delivered(&k));
	/* the widened megaflow of a high port really covers every high port */
	t_key_ipv4(&k, 1, mac(&A), mac(&B), ip4(&A), ip4(&B), IPPROTO_UDP, 67, 40000);
	xl(&k, &s);
	CU_ASSERT_EQUAL(s.mask.tp_src, 0);
	CU_ASSERT_EQUAL(s.mask.tp_dst, htons(0xfc00));
}

/* ---- DHCP server messages, RAs, redirects --------------------------------------------------- */

static void icmp6(struct dp_flow_key *k, const struct dp_lport_cfg *from, uint8_t type)
{
	t_key_ipv6(k, from->dp_port, mac(from), ALLNODES_MAC, ll6(from), ALLNODES, 58, type, 0);
}

static void dhcp6(struct dp_flow_key *k, const struct dp_lport_cfg *from, uint16_t sp,
		  uint16_t dp)
{
	t_key_ipv6(k, from->dp_port, mac(from), DHCP6_MAC, ll6(from), DHCP6_ALL, IPPROTO_UDP, sp,
		   dp);
}

static void test_service_ports(void)
{
	struct dp_flow_key k;
	/* router advertisement: only from a router port */
	icmp6(&k, &A, 134);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_RA);
	icmp6(&k, &RT, 134);
	CU_ASSERT(delivered(&k));
	icmp6(&k, &DH, 134);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_RA);
	/* redirect */
	icmp6(&k, &A, 137);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_REDIRECT);
	icmp6(&k, &RT, 137);
	CU_ASSERT(delivered(&k));
	/* router solicitation, echo from a VM: fine */
	icmp6(&k, &A, 133);
	CU_ASSERT_EQUAL(drop_of(&k), 0);
	icmp6(&k, &A, 128);
	CU_ASSERT(delivered(&k));
	/* DHCPv6: server -> client only from a DHCP port; client -> server fine */
	dhcp6(&k, &A, 547, 546);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_DHCP_SERVER);
	dhcp6(&k, &DH, 547, 546);
	CU_ASSERT(delivered(&k));
	dhcp6(&k, &A, 546, 547);
	CU_ASSERT(delivered(&k));
	/* DHCPv4 server reply */
	t_key_ipv4(&k, 1, mac(&A), BCAST, ip4(&A), BC4, IPPROTO_UDP, 67, 68);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_DHCP_SERVER);
	t_key_ipv4(&k, 4, mac(&DH), BCAST, ip4(&DH), BC4, IPPROTO_UDP, 67, 68);
	CU_ASSERT(delivered(&k));
	/* port security off: the port's owner chose to trust it (Neutron) */
	icmp6(&k, &D, 134);
	CU_ASSERT(delivered(&k));
	/* the names the counters show */
	CU_ASSERT_STRING_EQUAL(dp_drop_name(DP_DROP_PSEC_RA), "psec-ra");
	CU_ASSERT_STRING_EQUAL(dp_drop_name(DP_DROP_PSEC_REDIRECT), "psec-redirect");
}

/* ---- VLAN hopping ---------------------------------------------------------------------------- */

static bool uplink_out(const struct dp_megaflow_spec *s, unsigned *pushes)
{
	bool out = false;
	*pushes = 0;
	for (unsigned i = 0; i < s->n_actions; i++) {
		if (s->actions[i].type == DP_ACT_OUTPUT && s->actions[i].port == UPLINK)
			out = true;
		if (s->actions[i].type == DP_ACT_PUSH_VLAN)
			(*pushes)++;
	}
	return out;
}

static void test_vlan(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	unsigned pushes;
	/* tagged frames from access ports, port security on and off */
	const struct dp_lport_cfg *from[] = { &A, &D, &G, &V };
	for (unsigned i = 0; i < RTE_DIM(from); i++) {
		t_key_ipv4(&k, from[i]->dp_port, mac(from[i]), BCAST, ip4(from[i]), BC4,
			   IPPROTO_UDP, 1000, 2000);
		k.vlan_tci = DP_VLAN_PRESENT | 30;
		CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_VLAN_TAGGED);
		k.vlan_inner_tci = DP_VLAN_PRESENT | 31;
		CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_VLAN_TAGGED);
	}
	/* untagged broadcast to the provider uplink: flat stays untagged, the
	 * VLAN network gets exactly one tag */
	t_key_ipv4(&k, 6, mac(&G), BCAST, ip4(&G), BC4, IPPROTO_UDP, 1000, 2000);
	xl(&k, &s);
	CU_ASSERT(uplink_out(&s, &pushes));
	CU_ASSERT_EQUAL(pushes, 0);
	t_key_ipv4(&k, 7, mac(&V), BCAST, ip4(&V), BC4, IPPROTO_UDP, 1000, 2000);
	xl(&k, &s);
	CU_ASSERT(uplink_out(&s, &pushes));
	CU_ASSERT_EQUAL(pushes, 1);
	/* provider ingress: VLAN 30 -> network 3 (popped) ... */
	t_key_ipv4(&k, UPLINK, (const uint8_t[6]){ 0x02, 0x50, 0, 0, 0, 1 }, mac(&V),
		   (const uint8_t[4]){ 10, 0, 3, 200 }, ip4(&V), IPPROTO_UDP, 1000, 2000);
	k.vlan_tci = DP_VLAN_PRESENT | 30;
	xl(&k, &s);
	CU_ASSERT_EQUAL(s.n_actions, 2);
	CU_ASSERT_EQUAL(s.actions[0].type, DP_ACT_POP_VLAN);
	CU_ASSERT_EQUAL(s.actions[1].type, DP_ACT_OUTPUT);
	/* ... but not with an inner tag (it would reach V still tagged) */
	k.vlan_inner_tci = DP_VLAN_PRESENT | 7;
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_VLAN_INNER);
	/* an untagged frame from the flat provider network reaches G */
	t_key_ipv4(&k, UPLINK, (const uint8_t[6]){ 0x02, 0x50, 0, 0, 0, 1 }, mac(&G),
		   (const uint8_t[4]){ 10, 0, 2, 200 }, ip4(&G), IPPROTO_UDP, 1000, 2000);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_output(&s), 6);
}

/* ---- tunnel sources ------------------------------------------------------------------------------ */

static void tnl(struct dp_flow_key *k, uint32_t src, const uint8_t *smac, const uint8_t *dmac)
{
	t_key_ipv4(k, UPLINK, smac, dmac, ip4(&C), ip4(&A), IPPROTO_UDP, 1000, 2000);
	k->tun_vni = 5001;
	k->tun_src = src;
	k->tun_dst = VTEP_L;
}

static void test_tunnel_source(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	char acts[256];
	/* from a VTEP of the network: decapsulated and delivered */
	tnl(&k, VTEP_R, mac(&C), mac(&A));
	xl(&k, &s);
	t_fmt_actions(acts, sizeof(acts), s.actions, s.n_actions, s.flood_ports);
	CU_ASSERT_STRING_EQUAL(acts, "tnl_pop,output:1");
	CU_ASSERT_EQUAL(s.mask.tun_src, 0xffffffffu);
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_VTEP, VTEP_R)));
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_NETWORK, 1)));
	/* from any other underlay address: dropped, counted as tunnel-src */
	tnl(&k, VTEP_X, mac(&C), mac(&A));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_TNL_SRC);
	CU_ASSERT_PTR_NOT_NULL(strstr(TRACE, "not a VTEP of network 1"));
	/* a VTEP of another network only */
	struct dp_network_cfg n4 = t_net(4);
	n4.vni = 6000;
	static const uint32_t vx[] = { VTEP_X };
	n4.n_flood_vteps = 1;
	n4.flood_vteps = vx;
	CU_ASSERT_EQUAL(dp_table_network_put(T, &n4), 0);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_TNL_SRC);
	k.tun_vni = 6000;     /* its own VNI is fine (flooded: no port there) */
	CU_ASSERT_NOT_EQUAL(drop_of(&k), DP_DROP_TNL_SRC);
	CU_ASSERT_EQUAL(dp_table_network_del(T, 4), 0);
	/* the VTEP list changes: the network tag the megaflow carries fires */
	struct dp_network_cfg n1 = dp_table_network_get(T, 1)->cfg;
	static const uint32_t vr[] = { VTEP_R }, vr12[] = { VTEP_R, VTEP_R2 };
	rec_reset(&REC);
	n1.flood_vteps = vr;  /* R2 leaves */
	n1.n_flood_vteps = 1;
	CU_ASSERT_EQUAL(dp_table_network_put(T, &n1), 0);
	CU_ASSERT(rec_has(&REC, DP_TAG(DP_TAG_NETWORK, 1)));
	tnl(&k, VTEP_R2, mac(&B) /* any */, mac(&A));
	memcpy(k.eth_src, (const uint8_t[6]){ 0x02, 0x77, 0, 0, 0, 1 }, 6);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_TNL_SRC);
	n1.flood_vteps = vr12;
	n1.n_flood_vteps = 2;
	CU_ASSERT_EQUAL(dp_table_network_put(T, &n1), 0);
	CU_ASSERT(delivered(&k));
	/* inner source MAC of a local port, or of a port behind another VTEP */
	tnl(&k, VTEP_R, mac(&B), mac(&A));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_TNL_SPOOF);
	tnl(&k, VTEP_R2, mac(&C), mac(&A));
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_TNL_SPOOF);
	/* DHCP offers and RAs through a tunnel: only from a DHCP server / router
	 * port behind that VTEP */
	tnl(&k, VTEP_R, mac(&C), BCAST);
	k.tp_src = htons(67);
	k.tp_dst = htons(68);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_DHCP_SERVER);
	memcpy(k.eth_src, mac(&CD), 6);
	CU_ASSERT(delivered(&k));
	memcpy(k.eth_src, (const uint8_t[6]){ 0x02, 0x77, 0, 0, 0, 2 }, 6); /* unknown MAC */
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_DHCP_SERVER);
	t_key_ipv6(&k, UPLINK, mac(&C), ALLNODES_MAC, ll6(&C), ALLNODES, 58, 134, 0);
	k.tun_vni = 5001;
	k.tun_src = VTEP_R;
	k.tun_dst = VTEP_L;
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_PSEC_RA);
	/* a tagged inner frame */
	tnl(&k, VTEP_R, mac(&C), mac(&A));
	k.vlan_tci = DP_VLAN_PRESENT | 5;
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_VLAN_TAGGED);
	CU_ASSERT_STRING_EQUAL(dp_drop_name(DP_DROP_TNL_SRC), "tunnel-src");
}

/* Distributed routing: chassis R routed a packet into network 5, where it
 * has no port (so R is not in network 5's VTEP list): accepted because the
 * inner source is the router's MAC in network 5 and R is a VTEP of another
 * network of that router. */
static void test_tunnel_source_routed(void)
{
	static const uint8_t RM1[6] = { 0x02, 0xee, 0, 0, 1, 1 }, RM5[6] = { 0x02, 0xee, 0, 0, 1, 5 };
	struct dp_network_cfg n5 = t_net(5);
	n5.vni = 5005; /* no remote VTEPs */
	CU_ASSERT_EQUAL_FATAL(dp_table_network_put(T, &n5), 0);
	struct dp_lport_cfg q = t_lport(10, 5, 8);
	CU_ASSERT_EQUAL_FATAL(dp_table_lport_put(T, &q), 0);
	struct dp_router_cfg r = { .key = 100, .name = "r" };
	CU_ASSERT_EQUAL_FATAL(dp_l3_router_put(L3, &r), 0);
	struct dp_rport_cfg p1 = { .key = DP_RPORT_KEY(100, 1), .router = 100, .network = 1 };
	struct dp_rport_cfg p5 = { .key = DP_RPORT_KEY(100, 5), .router = 100, .network = 5 };
	memcpy(p1.mac.addr_bytes, RM1, 6);
	memcpy(p5.mac.addr_bytes, RM5, 6);
	p1.ips[p1.n_ips++] = t_ip4(10, 0, 1, 254, 24);
	p5.ips[p5.n_ips++] = t_ip4(10, 0, 5, 254, 24);
	CU_ASSERT_EQUAL_FATAL(dp_l3_rport_put(L3, &p1), 0);
	CU_ASSERT_EQUAL_FATAL(dp_l3_rport_put(L3, &p5), 0);
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	char acts[256];
	t_key_ipv4(&k, UPLINK, RM5, mac(&q), ip4(&C), ip4(&q), IPPROTO_UDP, 1000, 2000);
	k.tun_vni = 5005;
	k.tun_src = VTEP_R;
	k.tun_dst = VTEP_L;
	xl(&k, &s);
	t_fmt_actions(acts, sizeof(acts), s.actions, s.n_actions, s.flood_ports);
	CU_ASSERT_STRING_EQUAL(acts, "tnl_pop,output:8");
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_ROUTER, 100)));
	CU_ASSERT(t_spec_has_tag(&s, DP_TAG(DP_TAG_NETWORK, 1)));
	CU_ASSERT(is_ones_mac(s.mask.eth_src));
	/* not from a VTEP of the router's other networks */
	k.tun_src = VTEP_X;
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_TNL_SRC);
	/* not a router MAC: switched traffic must come from the network's VTEPs */
	k.tun_src = VTEP_R;
	memcpy(k.eth_src, mac(&C), 6);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_TNL_SRC);
	/* the router's MAC of another network */
	memcpy(k.eth_src, RM1, 6);
	CU_ASSERT_EQUAL(drop_of(&k), DP_DROP_TNL_SRC);
	CU_ASSERT_EQUAL(dp_l3_rport_del(L3, p5.key), 0);
	CU_ASSERT_EQUAL(dp_l3_rport_del(L3, p1.key), 0);
	CU_ASSERT_EQUAL(dp_l3_router_del(L3, 100), 0);
	CU_ASSERT_EQUAL(dp_table_lport_del(T, 10), 0);
	CU_ASSERT_EQUAL(dp_table_network_del(T, 5), 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "isolation_test", "-l", "0", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("isolation", suite_init, suite_clean);
	CU_add_test(s, "DHCP decision: protocol first, fixed masks", test_dhcp_masks);
	CU_add_test(s, "RA, redirect, DHCP(v6) server only from router/DHCP ports",
		    test_service_ports);
	CU_add_test(s, "VLAN hopping: access ports, provider ingress/egress", test_vlan);
	CU_add_test(s, "tunnel source: VTEPs of the network only", test_tunnel_source);
	CU_add_test(s, "tunnel source: routed by the sender into a network it lacks",
		    test_tunnel_source_routed);
	return t_run_all();
}
