/* SPDX-License-Identifier: BSD-3-Clause
 * dp/l3_test.c — distributed L3: the L3 tables (FIBs, router ports,
 * neighbors derived from lports), the ARP/ND responder and routing stages
 * (actions, masks, tags, trace), the in-place ARP/ND answer actions, and
 * which tags table mutations emit.
 *
 * Run: ./build/dp/dp_l3_test
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_arp.h>
#include <rte_malloc.h>

#include "test_util.h"
#include "dp_priv.h"
#include "tables_l3.h"
#include "translate.h"

/* Topology:
 *  network 1 (10.0.1.0/24, 2001:db8:1::/64): A(1) dp port 1 10.0.1.10 2001:db8:1::10
 *                                            C(3) dp port 3 10.0.1.30
 *  network 2 (10.0.2.0/24, 2001:db8:2::/64): B(2) dp port 2 10.0.2.20 2001:db8:2::20
 *                                            G(7) dp port 4 10.0.2.254 (a gateway)
 *  router 100: rport 101 on net 1 (10.0.1.1/24, 2001:db8:1::1/64, MAC R1)
 *              rport 102 on net 2 (10.0.2.1/24, 2001:db8:2::1/64, MAC R2)
 *  routes: 192.168.0.0/16 via 10.0.2.254, 192.168.5.0/24 via 10.0.2.20,
 *          0.0.0.0/0 via 10.0.2.254, 2001:db8:99::/48 via 2001:db8:2::20
 */
static struct dp_tables *T;
static struct dp_l3 *L3;
static struct rte_mempool *MP;
static struct dp_lport_cfg A, B, C, G;
static const uint8_t R1[6] = { 0x02, 0xee, 0, 0, 0, 1 };
static const uint8_t R2[6] = { 0x02, 0xee, 0, 0, 0, 2 };

/* tags reported since the last clear */
static uint64_t TAGS[512];
static unsigned NTAGS;

static void rec(void *arg, const uint64_t *tags, unsigned n)
{
	for (unsigned i = 0; i < n && NTAGS < RTE_DIM(TAGS); i++)
		TAGS[NTAGS++] = tags[i];
}

static bool tagged(uint64_t tag)
{
	for (unsigned i = 0; i < NTAGS; i++)
		if (TAGS[i] == tag)
			return true;
	return false;
}

static uint64_t neigh_tag(uint32_t net, const char *ip)
{
	struct dp_ip a = t_ip_str(ip);
	return DP_TAG(DP_TAG_NEIGH, dp_neigh_tag_key(net, a.family, a.addr));
}

static struct dp_ip addr_plen(const char *s, uint8_t plen)
{
	struct dp_ip a = t_ip_str(s);
	a.plen = plen;
	return a;
}

static struct dp_rport_cfg rport(uint32_t key, uint32_t net, const uint8_t *mac, const char *v4,
				 const char *v6)
{
	struct dp_rport_cfg c;
	memset(&c, 0, sizeof(c));
	c.key = key;
	c.router = 100;
	c.network = net;
	snprintf(c.name, sizeof(c.name), "rp%u", key);
	memcpy(c.mac.addr_bytes, mac, 6);
	c.ips[c.n_ips++] = addr_plen(v4, 24);
	c.ips[c.n_ips++] = addr_plen(v6, 64);
	c.ra_mode = DP_RA_SLAAC;
	return c;
}

static int route(const char *pfx, const char *gw)
{
	struct dp_route_cfg r;
	memset(&r, 0, sizeof(r));
	r.prefix = t_ip_str(pfx);
	r.gw = t_ip_str(gw);
	return dp_l3_route_put(L3, 100, &r);
}

static int suite_init(void)
{
	T = dp_tables_create("l3t", NULL, rec, NULL);
	L3 = T ? dp_l3_create("l3t", T, NULL, rec, NULL) : NULL;
	MP = rte_pktmbuf_pool_create("l3t_mp", 512, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (L3 == NULL || MP == NULL)
		return -1;
	struct dp_network_cfg n1 = t_net(1), n2 = t_net(2);
	if (dp_table_network_put(T, &n1) || dp_table_network_put(T, &n2))
		return -1;
	A = t_lport(1, 1, 1);
	A.n_ips = 2;
	A.ips[0] = t_ip_str("10.0.1.10");
	A.ips[1] = t_ip_str("2001:db8:1::10");
	B = t_lport(2, 2, 2);
	B.n_ips = 2;
	B.ips[0] = t_ip_str("10.0.2.20");
	B.ips[1] = t_ip_str("2001:db8:2::20");
	C = t_lport(3, 1, 3);
	C.ips[0] = t_ip_str("10.0.1.30");
	G = t_lport(7, 2, 4);
	G.ips[0] = t_ip_str("10.0.2.254");
	const struct dp_lport_cfg *all[] = { &A, &B, &C, &G };
	for (unsigned i = 0; i < RTE_DIM(all); i++)
		if (dp_table_lport_put(T, all[i]) != 0)
			return -1;
	struct dp_router_cfg r = { .key = 100, .name = "r1" };
	struct dp_rport_cfg p1 = rport(101, 1, R1, "10.0.1.1", "2001:db8:1::1");
	struct dp_rport_cfg p2 = rport(102, 2, R2, "10.0.2.1", "2001:db8:2::1");
	if (dp_l3_router_put(L3, &r) || dp_l3_rport_put(L3, &p1) || dp_l3_rport_put(L3, &p2))
		return -1;
	if (route("192.168.0.0/16", "10.0.2.254") || route("192.168.5.0/24", "10.0.2.20") ||
	    route("0.0.0.0/0", "10.0.2.254") || route("2001:db8:99::/48", "2001:db8:2::20"))
		return -1;
	return 0;
}

static int suite_clean(void)
{
	dp_l3_destroy(L3);
	dp_tables_destroy(T);
	rte_mempool_free(MP);
	return 0;
}

static char TRACE[8192];

static void xl(const struct dp_flow_key *k, struct dp_megaflow_spec *s)
{
	struct dp_trace_buf tb = { .buf = TRACE, .len = sizeof(TRACE), .used = 0 };
	TRACE[0] = 0;
	memset(s, 0xa5, sizeof(*s));
	dp_translate(T, k, s, &tb);
}

static void key4(struct dp_flow_key *k, const struct dp_lport_cfg *src, const uint8_t *dmac,
		 const char *sip, const char *dip, uint8_t proto, uint16_t sp, uint16_t dpt)
{
	struct dp_ip s = t_ip_str(sip), d = t_ip_str(dip);
	t_key_ipv4(k, src->dp_port, src->macs[0].addr_bytes, dmac, s.addr, d.addr, proto, sp, dpt);
}

static void key6(struct dp_flow_key *k, const struct dp_lport_cfg *src, const uint8_t *dmac,
		 const char *sip, const char *dip, uint8_t proto, uint16_t sp, uint16_t dpt)
{
	struct dp_ip s = t_ip_str(sip), d = t_ip_str(dip);
	t_key_ipv6(k, src->dp_port, src->macs[0].addr_bytes, dmac, s.addr, d.addr, proto, sp, dpt);
}

static const struct dp_action *act(const struct dp_megaflow_spec *s, uint16_t type)
{
	for (unsigned i = 0; i < s->n_actions; i++)
		if (s->actions[i].type == type)
			return &s->actions[i];
	return NULL;
}

static bool has_tag(const struct dp_megaflow_spec *s, uint64_t tag)
{
	return t_spec_has_tag(s, tag);
}

/* ---- FIB ------------------------------------------------------------------------ */

static const struct dp_l3_nh *lookup(const char *ip)
{
	const struct dp_router *r = dp_l3_router_get(L3, 100);
	struct dp_ip a = t_ip_str(ip);
	return r ? dp_l3_route_lookup(r, a.family, a.addr) : NULL;
}

static bool gw_is(const struct dp_l3_nh *nh, const char *gw)
{
	struct dp_ip a = t_ip_str(gw);
	return nh && !nh->connected && memcmp(nh->gw, a.addr, a.family == 4 ? 4 : 16) == 0;
}

static void test_fib(void)
{
	const struct dp_l3_nh *nh = lookup("10.0.1.77");
	CU_ASSERT_PTR_NOT_NULL_FATAL(nh);
	CU_ASSERT(nh->connected);
	CU_ASSERT_EQUAL(nh->rport, 101);
	CU_ASSERT_EQUAL(nh->plen, 24);
	nh = lookup("10.0.2.7");
	CU_ASSERT(nh && nh->connected && nh->rport == 102);
	nh = lookup("192.168.1.1"); /* /16 */
	CU_ASSERT(gw_is(nh, "10.0.2.254") && nh->plen == 16 && nh->rport == 102);
	nh = lookup("192.168.5.9"); /* the longer /24 wins */
	CU_ASSERT(gw_is(nh, "10.0.2.20") && nh->plen == 24);
	nh = lookup("8.8.8.8"); /* default */
	CU_ASSERT(gw_is(nh, "10.0.2.254") && nh->plen == 0);
	nh = lookup("2001:db8:1::99");
	CU_ASSERT(nh && nh->connected && nh->rport == 101 && nh->plen == 64);
	nh = lookup("2001:db8:99:1::5");
	CU_ASSERT(gw_is(nh, "2001:db8:2::20") && nh->plen == 48);
	CU_ASSERT_PTR_NULL(lookup("2001:db8:77::1")); /* no IPv6 default */
	/* without the default route nothing else matches */
	struct dp_ip def = t_ip_str("0.0.0.0/0");
	CU_ASSERT_EQUAL(dp_l3_route_del(L3, 100, &def), 0);
	CU_ASSERT_PTR_NULL(lookup("8.8.8.8"));
	CU_ASSERT_EQUAL(dp_l3_route_del(L3, 100, &def), -ENOENT);
	CU_ASSERT_EQUAL(route("0.0.0.0/0", "10.0.2.254"), 0);
	CU_ASSERT(gw_is(lookup("8.8.8.8"), "10.0.2.254"));
	/* a gateway outside every connected prefix cannot be resolved: left out */
	CU_ASSERT_EQUAL(route("172.16.0.0/12", "10.9.9.9"), 0);
	CU_ASSERT(gw_is(lookup("172.16.1.1"), "10.0.2.254")); /* default still */
	struct dp_ip p = t_ip_str("172.16.0.0/12");
	CU_ASSERT_EQUAL(dp_l3_route_del(L3, 100, &p), 0);
	/* bad routes */
	CU_ASSERT_EQUAL(route("10.1.0.0/16", "2001:db8:2::20"), -EINVAL);
	struct dp_route_cfg r = { .prefix = t_ip_str("10.1.0.0/16") };
	CU_ASSERT_EQUAL(dp_l3_route_put(L3, 999, &r), -ENOENT);
}

/* A batch: changes inside route as before it (the FIBs are built at the
 * end, once per router); a router made and deleted inside leaves nothing;
 * a new router put inside routes after the end. */
static void test_fib_batch(void)
{
	static const uint8_t m3[6] = { 0x02, 0, 0, 0, 0x13, 0x03 };
	struct dp_rport_cfg p3 = rport(103, 3, m3, "10.0.3.1", "2001:db8:3::1");
	struct dp_network_cfg n3 = t_net(3);
	CU_ASSERT_EQUAL_FATAL(dp_table_network_put(T, &n3), 0);
	dp_l3_batch_begin(L3);
	CU_ASSERT_EQUAL(dp_l3_rport_put(L3, &p3), 0);
	CU_ASSERT_EQUAL(route("172.20.0.0/16", "10.0.3.9"), 0);
	/* not yet: the default route still takes both */
	const struct dp_l3_nh *nh = lookup("10.0.3.7");
	CU_ASSERT(nh && nh->plen == 0 && nh->rport == 102);
	nh = lookup("172.20.1.1");
	CU_ASSERT(nh && nh->plen == 0);
	nh = lookup("10.0.1.77");                        /* as before */
	CU_ASSERT(nh && nh->connected && nh->rport == 101);
	CU_ASSERT_EQUAL(dp_l3_router_get(L3, 100)->n_rports, 3);
	/* a second router made and gone inside the batch */
	struct dp_router_cfg r2 = { .key = 200, .name = "r2" };
	CU_ASSERT_EQUAL(dp_l3_router_put(L3, &r2), 0);
	CU_ASSERT_EQUAL(dp_l3_router_del(L3, 200), 0);
	CU_ASSERT_EQUAL(dp_l3_batch_end(L3), 0);
	nh = lookup("10.0.3.7");
	CU_ASSERT(nh && nh->connected && nh->rport == 103);
	CU_ASSERT(gw_is(lookup("172.20.1.1"), "10.0.3.9") && lookup("172.20.1.1")->plen == 16);
	CU_ASSERT(gw_is(lookup("192.168.5.9"), "10.0.2.20"));
	CU_ASSERT_PTR_NULL(dp_l3_router_get(L3, 200));
	/* a router new in a batch: no FIB until the end, then its ports' */
	dp_l3_batch_begin(L3);
	CU_ASSERT_EQUAL(dp_l3_router_put(L3, &r2), 0);
	struct dp_rport_cfg q = rport(201, 3, (const uint8_t[6]){ 0x02, 0, 0, 0, 0x20, 1 },
				      "10.0.3.2", "2001:db8:3::2");
	q.router = 200;
	CU_ASSERT_EQUAL(dp_l3_rport_put(L3, &q), 0);
	struct dp_ip a = t_ip_str("10.0.3.7");
	CU_ASSERT_PTR_NULL(dp_l3_route_lookup(dp_l3_router_get(L3, 200), 4, a.addr));
	CU_ASSERT_EQUAL(dp_l3_batch_end(L3), 0);
	nh = dp_l3_route_lookup(dp_l3_router_get(L3, 200), 4, a.addr);
	CU_ASSERT(nh && nh->connected && nh->rport == 201);
	/* back as the other tests expect */
	CU_ASSERT_EQUAL(dp_l3_rport_del(L3, 201), 0);
	CU_ASSERT_EQUAL(dp_l3_router_del(L3, 200), 0);
	struct dp_ip p = t_ip_str("172.20.0.0/16");
	CU_ASSERT_EQUAL(dp_l3_route_del(L3, 100, &p), 0);
	CU_ASSERT_EQUAL(dp_l3_rport_del(L3, 103), 0);
	CU_ASSERT_EQUAL(dp_table_network_del(T, 3), 0);
	nh = lookup("10.0.3.7");
	CU_ASSERT(nh && nh->plen == 0);
}

/* ---- routing ---------------------------------------------------------------------- */

static void test_route_v4(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	key4(&k, &A, R1, "10.0.1.10", "10.0.2.20", 17, 1234, 5678);
	xl(&k, &s);
	char buf[512];
	t_fmt_actions(buf, sizeof(buf), s.actions, s.n_actions, s.flood_ports);
	CU_ASSERT_STRING_EQUAL(buf, "dec_ttl,set_eth_src:02:ee:00:00:00:02,"
				    "set_eth_dst:02:00:00:00:00:02,output:2");
	/* mask: the whole destination, no TTL, of the L4 ports only the fixed
	 * "not a DHCP port" mask of tp_dst (port security) */
	CU_ASSERT(s.mask.ip_dst[0] == 0xff && s.mask.ip_dst[3] == 0xff);
	CU_ASSERT_EQUAL(s.mask.ip_ttl, 0);
	CU_ASSERT_EQUAL(s.mask.tp_dst, htons(0xfc00));
	CU_ASSERT_EQUAL(s.mask.tp_src, 0);
	CU_ASSERT(has_tag(&s, DP_TAG(DP_TAG_ROUTER, 100)));
	CU_ASSERT(has_tag(&s, DP_TAG(DP_TAG_LPORT, 101))); /* the router port L2 found */
	CU_ASSERT(has_tag(&s, DP_TAG(DP_TAG_LPORT, 2)));
	CU_ASSERT(has_tag(&s, neigh_tag(2, "10.0.2.20")));
	CU_ASSERT(has_tag(&s, DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(1, R1))));
	CU_ASSERT_PTR_NOT_NULL(strstr(TRACE, "l2-lookup"));
	CU_ASSERT_PTR_NOT_NULL(strstr(TRACE, "router port 101"));
	CU_ASSERT_PTR_NOT_NULL(strstr(TRACE, "l3-routing"));
	CU_ASSERT_PTR_NOT_NULL(strstr(TRACE, "connected 10.0.2.20"));

	/* the way back */
	key4(&k, &B, R2, "10.0.2.20", "10.0.1.10", 6, 80, 4000);
	xl(&k, &s);
	CU_ASSERT_EQUAL(act(&s, DP_ACT_OUTPUT) ? act(&s, DP_ACT_OUTPUT)->port : 0, 1);
	CU_ASSERT(act(&s, DP_ACT_SET_ETH_SRC) && memcmp(act(&s, DP_ACT_SET_ETH_SRC)->data, R1, 6) == 0);

	/* gateway route: only the prefix bits that tell it from 192.168.5.0/24 */
	key4(&k, &A, R1, "10.0.1.10", "192.168.1.1", 17, 1, 2);
	xl(&k, &s);
	CU_ASSERT_EQUAL(act(&s, DP_ACT_OUTPUT) ? act(&s, DP_ACT_OUTPUT)->port : 0, 4);
	CU_ASSERT(act(&s, DP_ACT_SET_ETH_DST) &&
		  memcmp(act(&s, DP_ACT_SET_ETH_DST)->data, G.macs[0].addr_bytes, 6) == 0);
	static const uint8_t m22[4] = { 0xff, 0xff, 0xfc, 0x00 };
	CU_ASSERT_EQUAL(memcmp(s.mask.ip_dst, m22, 4), 0);
	CU_ASSERT(has_tag(&s, neigh_tag(2, "10.0.2.254")));
	/* default route: 8.8.8.8 differs from 10/8 at bit 6 and from 192/8 at 0 */
	key4(&k, &A, R1, "10.0.1.10", "8.8.8.8", 17, 1, 2);
	xl(&k, &s);
	CU_ASSERT_EQUAL(act(&s, DP_ACT_OUTPUT) ? act(&s, DP_ACT_OUTPUT)->port : 0, 4);
	CU_ASSERT_EQUAL(s.mask.ip_dst[0], 0xfe);
	CU_ASSERT_EQUAL(s.mask.ip_dst[1], 0);
	/* the megaflow is correct for every address it matches */
	key4(&k, &A, R1, "10.0.1.10", "9.1.2.3", 17, 1, 2);
	struct dp_megaflow_spec s2;
	xl(&k, &s2);
	CU_ASSERT_EQUAL(memcmp(s.actions, s2.actions, sizeof(s.actions[0]) * s.n_actions), 0);
}

static void test_ttl(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	key4(&k, &A, R1, "10.0.1.10", "10.0.2.20", 17, 1234, 5678);
	k.ip_ttl = 1;
	xl(&k, &s);
	/* same megaflow as TTL 64: the executor's dec_ttl punts expiry */
	CU_ASSERT_PTR_NOT_NULL(act(&s, DP_ACT_DEC_TTL));
	CU_ASSERT_EQUAL(s.mask.ip_ttl, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(TRACE, "expires"));
	/* executor: TTL 1 packets go to the punt ring as "ttl", others out */
	struct dp_config cfg;
	dp_config_defaults(&cfg);
	struct dp dp;
	memset(&dp, 0, sizeof(dp));
	dp.cfg = cfg;
	dp.mp = MP;
	dp.punt_ring = rte_ring_create("l3t_punt", 64, SOCKET_ID_ANY, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp.punt_ring);
	struct dp_pmd *pmd = rte_zmalloc("pmd", sizeof(*pmd), RTE_CACHE_LINE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pmd);
	pmd->dp = &dp;
	struct dp_ip a = t_ip_str("10.0.1.10"), b = t_ip_str("10.0.2.20");
	struct rte_mbuf *m = t_pkt_ipv4(MP, A.macs[0].addr_bytes, R1, a.addr, b.addr, 17, 1, 2, 1, 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	/* (no output port is active: anything not punted is dropped) */
	dp_actions_execute(pmd, s.actions, s.n_actions, s.flood_ports, &m, 1);
	struct rte_mbuf *got = NULL;
	CU_ASSERT_EQUAL(rte_ring_dequeue(dp.punt_ring, (void **)&got), 0);
	CU_ASSERT(got == m && got->hash.usr == DP_PUNT_TTL);
	if (got) {
		/* punted before any rewrite: the sender's frame as it came */
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(got, struct rte_ether_hdr *);
		CU_ASSERT_EQUAL(memcmp(&eh->dst_addr, R1, 6), 0);
		rte_pktmbuf_free(got);
	}
	CU_ASSERT_EQUAL(pmd->st.punts[DP_PUNT_TTL], 1);
	rte_free(pmd);
	rte_ring_free(dp.punt_ring);
}

static void test_router_ip(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	key4(&k, &A, R1, "10.0.1.10", "10.0.1.1", 1, 8, 0);
	xl(&k, &s);
	const struct dp_action *p = act(&s, DP_ACT_PUNT);
	CU_ASSERT(p && p->u32 == DP_PUNT_ICMP && s.n_actions == 1);
	/* the far side's router address answers too */
	key4(&k, &A, R1, "10.0.1.10", "10.0.2.1", 1, 8, 0);
	xl(&k, &s);
	p = act(&s, DP_ACT_PUNT);
	CU_ASSERT(p && p->u32 == DP_PUNT_ICMP);
	/* only echo */
	key4(&k, &A, R1, "10.0.1.10", "10.0.2.1", 17, 8, 0);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_DEST);
	key6(&k, &A, R1, "2001:db8:1::10", "2001:db8:2::1", 58, 128, 0);
	xl(&k, &s);
	p = act(&s, DP_ACT_PUNT);
	CU_ASSERT(p && p->u32 == DP_PUNT_ICMP);
	/* the router port's link-local address */
	uint8_t ll[16];
	dp_l3_eui64_ll(ll, R1);
	struct dp_ip src = t_ip_str("2001:db8:1::10");
	t_key_ipv6(&k, 1, A.macs[0].addr_bytes, R1, src.addr, ll, 58, 128, 0);
	xl(&k, &s);
	p = act(&s, DP_ACT_PUNT);
	CU_ASSERT(p && p->u32 == DP_PUNT_ICMP);
}

static void test_unknown_neighbor(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	key4(&k, &A, R1, "10.0.1.10", "10.0.2.99", 17, 1, 2);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_DEST);
	CU_ASSERT(has_tag(&s, neigh_tag(2, "10.0.2.99")));
	CU_ASSERT_PTR_NOT_NULL(strstr(TRACE, "no neighbor 10.0.2.99"));
	/* a port with that address appears: its neighbor tag is reported */
	NTAGS = 0;
	struct dp_lport_cfg H = t_lport(8, 2, 5);
	H.ips[0] = t_ip_str("10.0.2.99");
	CU_ASSERT_EQUAL_FATAL(dp_table_lport_put(T, &H), 0);
	CU_ASSERT(tagged(neigh_tag(2, "10.0.2.99")));
	xl(&k, &s);
	CU_ASSERT_EQUAL(act(&s, DP_ACT_OUTPUT) ? act(&s, DP_ACT_OUTPUT)->port : 0, 5);
	/* ... and goes again */
	NTAGS = 0;
	CU_ASSERT_EQUAL(dp_table_lport_del(T, 8), 0);
	CU_ASSERT(tagged(neigh_tag(2, "10.0.2.99")));
	struct dp_neigh nb;
	CU_ASSERT_FALSE(dp_l3_neigh_get(L3, 2, 4, t_ip_str("10.0.2.99").addr, &nb));
	/* no route at all (IPv6, no default) */
	key6(&k, &A, R1, "2001:db8:1::10", "2001:db8:77::1", 17, 1, 2);
	xl(&k, &s);
	CU_ASSERT_EQUAL(t_spec_drop(&s), DP_DROP_NO_DEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(TRACE, "no route"));
}

/* ---- ARP / ND responder --------------------------------------------------------- */

static void arp_key(struct dp_flow_key *k, const struct dp_lport_cfg *src, const char *tpa)
{
	struct dp_ip t = t_ip_str(tpa);
	t_key_arp(k, src->dp_port, src->macs[0].addr_bytes, src->macs[0].addr_bytes,
		  src->ips[0].addr, t.addr);
}

static void test_arp(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	char buf[256];
	/* router address */
	arp_key(&k, &A, "10.0.1.1");
	xl(&k, &s);
	t_fmt_actions(buf, sizeof(buf), s.actions, s.n_actions, s.flood_ports);
	CU_ASSERT_STRING_EQUAL(buf, "arp_reply:02:ee:00:00:00:01,output:1");
	CU_ASSERT_EQUAL(s.mask.arp_op, 0xffff);
	static const uint8_t ones4[4] = { 0xff, 0xff, 0xff, 0xff };
	CU_ASSERT_EQUAL(memcmp(s.mask.ip_dst, ones4, 4), 0);
	CU_ASSERT(has_tag(&s, neigh_tag(1, "10.0.1.1")));
	CU_ASSERT_PTR_NOT_NULL(strstr(TRACE, "arp-nd"));
	/* a known port: answered, never flooded */
	arp_key(&k, &A, "10.0.1.30");
	xl(&k, &s);
	t_fmt_actions(buf, sizeof(buf), s.actions, s.n_actions, s.flood_ports);
	CU_ASSERT_STRING_EQUAL(buf, "arp_reply:02:00:00:00:00:03,output:1");
	CU_ASSERT_PTR_NULL(act(&s, DP_ACT_FLOOD));
	/* the router address of another network is not on this one */
	arp_key(&k, &A, "10.0.2.1");
	xl(&k, &s);
	CU_ASSERT_PTR_NOT_NULL(act(&s, DP_ACT_FLOOD));
	CU_ASSERT(has_tag(&s, neigh_tag(1, "10.0.2.1")));
	/* unknown: flood as before */
	arp_key(&k, &A, "10.0.1.99");
	xl(&k, &s);
	CU_ASSERT_PTR_NOT_NULL(act(&s, DP_ACT_FLOOD));
	/* its own address (probe/gratuitous): flood */
	arp_key(&k, &A, "10.0.1.10");
	xl(&k, &s);
	CU_ASSERT_PTR_NOT_NULL(act(&s, DP_ACT_FLOOD));
	/* replies are not answered */
	arp_key(&k, &A, "10.0.1.1");
	k.arp_op = htons(2);
	xl(&k, &s);
	CU_ASSERT_PTR_NULL(act(&s, DP_ACT_ARP_REPLY));

	/* the action itself */
	struct dp_ip spa = t_ip_str("10.0.1.10"), tpa = t_ip_str("10.0.1.1");
	struct rte_mbuf *m = t_pkt_arp(MP, A.macs[0].addr_bytes, A.macs[0].addr_bytes, spa.addr,
				       tpa.addr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	dp_act_arp_reply(m, R1);
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	CU_ASSERT_EQUAL(memcmp(d, A.macs[0].addr_bytes, 6), 0);  /* eth dst */
	CU_ASSERT_EQUAL(memcmp(d + 6, R1, 6), 0);                  /* eth src */
	uint8_t *a = d + 14;
	CU_ASSERT_EQUAL(a[7], 2);                                  /* reply */
	CU_ASSERT_EQUAL(memcmp(a + 8, R1, 6), 0);                  /* sha */
	CU_ASSERT_EQUAL(memcmp(a + 14, tpa.addr, 4), 0);           /* spa */
	CU_ASSERT_EQUAL(memcmp(a + 18, A.macs[0].addr_bytes, 6), 0); /* tha */
	CU_ASSERT_EQUAL(memcmp(a + 24, spa.addr, 4), 0);           /* tpa */
	rte_pktmbuf_free(m);
}

/* Ethernet + IPv6 + ICMPv6 NS for target (with an SLL option if sll). */
static struct rte_mbuf *ns_pkt(const uint8_t *smac, const char *src, const char *target, bool sll)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(MP);
	uint16_t icmp_len = (uint16_t)(24 + (sll ? 8 : 0));
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + 40 + icmp_len));
	memset(d, 0, 14 + 40 + icmp_len);
	struct dp_ip s = t_ip_str(src), t = t_ip_str(target);
	d[0] = 0x33; d[1] = 0x33; d[2] = 0xff; d[3] = t.addr[13]; d[4] = t.addr[14]; d[5] = t.addr[15];
	memcpy(d + 6, smac, 6);
	d[12] = 0x86; d[13] = 0xdd;
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(d + 14);
	ip6->vtc_flow = htonl(6u << 28);
	ip6->payload_len = htons(icmp_len);
	ip6->proto = 58;
	ip6->hop_limits = 255;
	memcpy(ip6->src_addr, s.addr, 16);
	static const uint8_t sn[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff };
	memcpy(ip6->dst_addr, sn, 16);
	memcpy(ip6->dst_addr + 13, t.addr + 13, 3);
	uint8_t *ic = d + 54;
	ic[0] = 135;
	memcpy(ic + 8, t.addr, 16);
	if (sll) {
		ic[24] = 1;
		ic[25] = 1;
		memcpy(ic + 26, smac, 6);
	}
	uint16_t *ck = (uint16_t *)(void *)(ic + 2);
	*ck = rte_ipv6_udptcp_cksum(ip6, ic);
	m->l2_len = 14;
	m->l3_len = 40;
	return m;
}

static void check_na(struct rte_mbuf *m, const uint8_t *mac, const char *target,
		     const char *to, bool router)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(d + 14);
	uint8_t *ic = d + 54;
	struct dp_ip t = t_ip_str(target), dst = t_ip_str(to);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), 14 + 40 + 32);
	CU_ASSERT_EQUAL(memcmp(d + 6, mac, 6), 0);
	CU_ASSERT_EQUAL(ntohs(ip6->payload_len), 32);
	CU_ASSERT_EQUAL(ip6->hop_limits, 255);
	CU_ASSERT_EQUAL(memcmp(ip6->src_addr, t.addr, 16), 0);
	CU_ASSERT_EQUAL(memcmp(ip6->dst_addr, dst.addr, 16), 0);
	CU_ASSERT_EQUAL(ic[0], 136);
	CU_ASSERT_EQUAL(ic[4] & 0x80, router ? 0x80 : 0);
	CU_ASSERT_EQUAL(ic[4] & 0x60, 0x60);  /* solicited, override */
	CU_ASSERT_EQUAL(memcmp(ic + 8, t.addr, 16), 0);
	CU_ASSERT(ic[24] == 2 && ic[25] == 1 && memcmp(ic + 26, mac, 6) == 0);
	/* checksum verifies */
	uint16_t *ck = (uint16_t *)(void *)(ic + 2), got = *ck;
	*ck = 0;
	CU_ASSERT_EQUAL(rte_ipv6_udptcp_cksum(ip6, ic), got);
	*ck = got;
}

static void ns_key(struct dp_flow_key *k, const struct dp_lport_cfg *src, const char *sip,
		   const char *target)
{
	static const uint8_t mc[6] = { 0x33, 0x33, 0xff, 0, 0, 1 };
	struct dp_ip s = t_ip_str(sip), t = t_ip_str(target), d = t_ip_str("ff02::1:ff00:1");
	t_key_ipv6(k, src->dp_port, src->macs[0].addr_bytes, mc, s.addr, d.addr, 58, 135, 0);
	memcpy(k->nd_target, t.addr, 16);
	memcpy(k->nd_ll, src->macs[0].addr_bytes, 6);
}

static void test_nd(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	char buf[256];
	ns_key(&k, &A, "2001:db8:1::10", "2001:db8:1::1");
	xl(&k, &s);
	t_fmt_actions(buf, sizeof(buf), s.actions, s.n_actions, s.flood_ports);
	CU_ASSERT_STRING_EQUAL(buf, "nd_advert:02:ee:00:00:00:01,output:1");
	CU_ASSERT(act(&s, DP_ACT_ND_ADVERT) && act(&s, DP_ACT_ND_ADVERT)->u32 == 1);
	CU_ASSERT(has_tag(&s, neigh_tag(1, "2001:db8:1::1")));
	CU_ASSERT(s.mask.nd_target[0] == 0xff && s.mask.nd_target[15] == 0xff);
	/* the router's link-local */
	uint8_t ll[16];
	char lls[64];
	dp_l3_eui64_ll(ll, R1);
	inet_ntop(AF_INET6, ll, lls, sizeof(lls));
	ns_key(&k, &A, "2001:db8:1::10", lls);
	xl(&k, &s);
	CU_ASSERT_PTR_NOT_NULL(act(&s, DP_ACT_ND_ADVERT));
	/* unknown target: passes to L2 (flood) */
	ns_key(&k, &A, "2001:db8:1::10", "2001:db8:1::abc");
	xl(&k, &s);
	CU_ASSERT_PTR_NULL(act(&s, DP_ACT_ND_ADVERT));
	CU_ASSERT_PTR_NOT_NULL(act(&s, DP_ACT_FLOOD));
	/* router solicitation: to the controller */
	static const uint8_t allr[6] = { 0x33, 0x33, 0, 0, 0, 2 };
	struct dp_ip s6 = t_ip_str("2001:db8:1::10"), d6 = t_ip_str("ff02::2");
	t_key_ipv6(&k, 1, A.macs[0].addr_bytes, allr, s6.addr, d6.addr, 58, 133, 0);
	xl(&k, &s);
	CU_ASSERT(act(&s, DP_ACT_PUNT) && act(&s, DP_ACT_PUNT)->u32 == DP_PUNT_ND);

	/* the action: with and without the source link-layer option, and DAD */
	struct rte_mbuf *m = ns_pkt(A.macs[0].addr_bytes, "2001:db8:1::10", "2001:db8:1::1", true);
	dp_act_nd_advert(m, R1, 1);
	check_na(m, R1, "2001:db8:1::1", "2001:db8:1::10", true);
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m, uint8_t *), A.macs[0].addr_bytes, 6), 0);
	rte_pktmbuf_free(m);
	m = ns_pkt(A.macs[0].addr_bytes, "2001:db8:1::10", "2001:db8:1::30", false);
	dp_act_nd_advert(m, C.macs[0].addr_bytes, 0);
	check_na(m, C.macs[0].addr_bytes, "2001:db8:1::30", "2001:db8:1::10", false);
	rte_pktmbuf_free(m);
	m = ns_pkt(A.macs[0].addr_bytes, "::", "2001:db8:1::1", false);
	dp_act_nd_advert(m, R1, 1);
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	static const uint8_t mc1[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	CU_ASSERT_EQUAL(memcmp(d, mc1, 6), 0);
	CU_ASSERT_EQUAL(d[54 + 4] & 0x40, 0); /* not solicited */
	rte_pktmbuf_free(m);
}

static void test_route_v6(void)
{
	struct dp_flow_key k;
	struct dp_megaflow_spec s;
	key6(&k, &A, R1, "2001:db8:1::10", "2001:db8:2::20", 17, 1, 2);
	xl(&k, &s);
	char buf[512];
	t_fmt_actions(buf, sizeof(buf), s.actions, s.n_actions, s.flood_ports);
	CU_ASSERT_STRING_EQUAL(buf, "dec_ttl,set_eth_src:02:ee:00:00:00:02,"
				    "set_eth_dst:02:00:00:00:00:02,output:2");
	CU_ASSERT(s.mask.ip_dst[0] == 0xff && s.mask.ip_dst[15] == 0xff);
	CU_ASSERT(has_tag(&s, neigh_tag(2, "2001:db8:2::20")));
	/* gateway route /48 with nothing more specific inside: 48 bits */
	key6(&k, &A, R1, "2001:db8:1::10", "2001:db8:99:7::1", 17, 1, 2);
	xl(&k, &s);
	CU_ASSERT_EQUAL(act(&s, DP_ACT_OUTPUT) ? act(&s, DP_ACT_OUTPUT)->port : 0, 2);
	CU_ASSERT(s.mask.ip_dst[5] == 0xff && s.mask.ip_dst[6] == 0);
}

/* ---- table mutations --------------------------------------------------------------- */

static void test_mutation_tags(void)
{
	/* a route: the router only */
	NTAGS = 0;
	CU_ASSERT_EQUAL(route("10.50.0.0/16", "10.0.2.254"), 0);
	CU_ASSERT(tagged(DP_TAG(DP_TAG_ROUTER, 100)));
	CU_ASSERT(!tagged(DP_TAG(DP_TAG_LPORT, 101)));
	CU_ASSERT(!tagged(neigh_tag(2, "10.0.2.254")));
	/* a router port: its key, its MAC's FDB tag, its addresses, the router */
	NTAGS = 0;
	static const uint8_t R3[6] = { 0x02, 0xee, 0, 0, 0, 3 };
	struct dp_network_cfg n3 = t_net(3);
	CU_ASSERT_EQUAL(dp_table_network_put(T, &n3), 0);
	NTAGS = 0;
	struct dp_rport_cfg p3 = rport(103, 3, R3, "10.0.3.1", "2001:db8:3::1");
	CU_ASSERT_EQUAL(dp_l3_rport_put(L3, &p3), 0);
	CU_ASSERT(tagged(DP_TAG(DP_TAG_LPORT, 103)));
	CU_ASSERT(tagged(DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(3, R3))));
	CU_ASSERT(tagged(neigh_tag(3, "10.0.3.1")));
	CU_ASSERT(tagged(neigh_tag(3, "2001:db8:3::1")));
	CU_ASSERT(tagged(DP_TAG(DP_TAG_ROUTER, 100)));
	CU_ASSERT(!tagged(neigh_tag(1, "10.0.1.1")));
	CU_ASSERT(lookup("10.0.3.5") && lookup("10.0.3.5")->rport == 103);
	/* conflicts */
	struct dp_rport_cfg bad = p3;
	bad.key = 104;
	CU_ASSERT_EQUAL(dp_l3_rport_put(L3, &bad), -EEXIST);      /* MAC taken */
	bad.mac.addr_bytes[5] = 9;
	CU_ASSERT_EQUAL(dp_l3_rport_put(L3, &bad), -EEXIST);      /* router already on net 3 */
	bad.key = 1;
	bad.network = 2;
	CU_ASSERT_EQUAL(dp_l3_rport_put(L3, &bad), -EEXIST);      /* lport key */
	bad.key = 105;
	bad.router = 999;
	CU_ASSERT_EQUAL(dp_l3_rport_put(L3, &bad), -ENOENT);
	CU_ASSERT_EQUAL(dp_l3_router_del(L3, 100), -EBUSY);
	/* delete: the same tags, and it is gone from the FIB */
	NTAGS = 0;
	CU_ASSERT_EQUAL(dp_l3_rport_del(L3, 103), 0);
	CU_ASSERT(tagged(DP_TAG(DP_TAG_LPORT, 103)));
	CU_ASSERT(tagged(DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(3, R3))));
	CU_ASSERT(tagged(neigh_tag(3, "10.0.3.1")));
	CU_ASSERT(tagged(DP_TAG(DP_TAG_ROUTER, 100)));
	CU_ASSERT_EQUAL(dp_l3_rmac_lookup(L3, 3, R3), 0);
	CU_ASSERT(lookup("10.0.3.5") == NULL || lookup("10.0.3.5")->rport != 103);
	/* an lport's address change: old and new neighbor tags */
	NTAGS = 0;
	struct dp_lport_cfg c2 = C;
	c2.ips[0] = t_ip_str("10.0.1.31");
	CU_ASSERT_EQUAL(dp_table_lport_put(T, &c2), 0);
	CU_ASSERT(tagged(neigh_tag(1, "10.0.1.30")));
	CU_ASSERT(tagged(neigh_tag(1, "10.0.1.31")));
	CU_ASSERT(!tagged(neigh_tag(1, "10.0.1.10")));
	struct dp_neigh n;
	CU_ASSERT_FALSE(dp_l3_neigh_get(L3, 1, 4, t_ip_str("10.0.1.30").addr, &n));
	CU_ASSERT_TRUE(dp_l3_neigh_get(L3, 1, 4, t_ip_str("10.0.1.31").addr, &n));
	CU_ASSERT(n.lport == 3 && n.router == 0 && rte_is_same_ether_addr(&n.mac, &c2.macs[0]));
	/* its MAC changes: the neighbor answers the new one, and its tag says so */
	NTAGS = 0;
	c2.macs[0].addr_bytes[5] ^= 0x55;
	CU_ASSERT_EQUAL(dp_table_lport_put(T, &c2), 0);
	CU_ASSERT(tagged(neigh_tag(1, "10.0.1.31")));
	CU_ASSERT_TRUE(dp_l3_neigh_get(L3, 1, 4, t_ip_str("10.0.1.31").addr, &n));
	CU_ASSERT(n.lport == 3 && rte_is_same_ether_addr(&n.mac, &c2.macs[0]));
	/* a router port's address: the rport, its router and its MAC */
	CU_ASSERT_TRUE(dp_l3_neigh_get(L3, 1, 4, t_ip_str("10.0.1.1").addr, &n));
	const struct dp_rport *rp = dp_l3_rport_get(L3, n.lport);
	CU_ASSERT(rp != NULL && n.router != 0 && n.router == rp->cfg.router &&
		  rte_is_same_ether_addr(&n.mac, &rp->cfg.mac));
	/* three addresses, then one again: each time exactly the addresses
	 * it has are its neighbors (the old lport tells what to retract) */
	c2.n_ips = 3;
	c2.ips[1] = t_ip_str("10.0.1.32");
	c2.ips[2] = t_ip_str("2001:db8:1::33");
	CU_ASSERT_EQUAL(dp_table_lport_put(T, &c2), 0);
	CU_ASSERT_TRUE(dp_l3_neigh_get(L3, 1, 4, t_ip_str("10.0.1.31").addr, &n));
	CU_ASSERT_TRUE(dp_l3_neigh_get(L3, 1, 4, t_ip_str("10.0.1.32").addr, &n));
	CU_ASSERT_TRUE(dp_l3_neigh_get(L3, 1, 6, t_ip_str("2001:db8:1::33").addr, &n));
	CU_ASSERT(n.lport == 3);
	c2.n_ips = 1;
	c2.ips[0] = t_ip_str("10.0.1.32");
	CU_ASSERT_EQUAL(dp_table_lport_put(T, &c2), 0);
	CU_ASSERT_FALSE(dp_l3_neigh_get(L3, 1, 4, t_ip_str("10.0.1.31").addr, &n));
	CU_ASSERT_TRUE(dp_l3_neigh_get(L3, 1, 4, t_ip_str("10.0.1.32").addr, &n));
	CU_ASSERT_FALSE(dp_l3_neigh_get(L3, 1, 6, t_ip_str("2001:db8:1::33").addr, &n));
	CU_ASSERT_EQUAL(dp_table_lport_put(T, &C), 0);
	CU_ASSERT_FALSE(dp_l3_neigh_get(L3, 1, 4, t_ip_str("10.0.1.32").addr, &n));
	CU_ASSERT_TRUE(dp_l3_neigh_get(L3, 1, 4, t_ip_str("10.0.1.30").addr, &n));
	CU_ASSERT(n.lport == 3 && rte_is_same_ether_addr(&n.mac, &C.macs[0]));
	/* the lport goes: so do its neighbors */
	CU_ASSERT_EQUAL(dp_table_lport_del(T, 3), 0);
	CU_ASSERT_FALSE(dp_l3_neigh_get(L3, 1, 4, t_ip_str("10.0.1.30").addr, &n));
	CU_ASSERT_EQUAL(dp_table_lport_put(T, &C), 0);
	/* route delete of an unknown prefix, router delete when empty */
	struct dp_router_cfg r2 = { .key = 200, .name = "r2" };
	CU_ASSERT_EQUAL(dp_l3_router_put(L3, &r2), 0);
	NTAGS = 0;
	CU_ASSERT_EQUAL(dp_l3_router_del(L3, 200), 0);
	CU_ASSERT(tagged(DP_TAG(DP_TAG_ROUTER, 200)));
	CU_ASSERT_EQUAL(dp_l3_router_del(L3, 200), -ENOENT);
}

int main(int argc, char **argv)
{
	if (t_eal_init(argv[0], "l3_test", (char *)NULL) < 0)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("l3", suite_init, suite_clean);
	CU_add_test(s, "FIB: connected, extra routes, longest prefix, default", test_fib);
	CU_add_test(s, "FIB: a batch builds each router once, at its end", test_fib_batch);
	CU_add_test(s, "routing IPv4: actions, mask, tags, trace", test_route_v4);
	CU_add_test(s, "TTL expiry: executor punts", test_ttl);
	CU_add_test(s, "router addresses: echo punted", test_router_ip);
	CU_add_test(s, "unknown neighbor, no route", test_unknown_neighbor);
	CU_add_test(s, "ARP responder", test_arp);
	CU_add_test(s, "ND responder, router solicitation", test_nd);
	CU_add_test(s, "routing IPv6", test_route_v6);
	CU_add_test(s, "table mutations emit the right tags", test_mutation_tags);
	return t_run_all();
}
