/* SPDX-License-Identifier: BSD-3-Clause
 * dp/tables_test.c — the table API: networks, lports, FDB, dp-port binding,
 * flood lists, errors that must change nothing, the exact tags each mutation
 * reports, the address helpers, and RCU safety with a concurrent reader.
 *
 * Run: ./build/dp/dp_tables_test   (needs lcores 0 and 1 for the RCU test)
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "test_util.h"


static unsigned count_fdb_cb_n;
static int count_fdb_cb(uint32_t net, const uint8_t mac[6], uint32_t lport, void *arg)
{
	count_fdb_cb_n++;
	return 0;
}

static unsigned fdb_count(const struct dp_tables *t)
{
	count_fdb_cb_n = 0;
	dp_table_foreach_fdb(t, count_fdb_cb, NULL);
	return count_fdb_cb_n;
}

static bool net_has_local(const struct dp_tables *t, uint32_t net, uint16_t port, uint32_t lport)
{
	const struct dp_network *n = dp_table_network_get(t, net);
	if (n == NULL)
		return false;
	for (unsigned i = 0; i < n->n_local; i++)
		if (n->local_ports[i] == port && n->local_lports[i] == lport)
			return true;
	return false;
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_network_basic(void)
{
	struct rec r = { .n = 0 };
	struct dp_tables *t = t_mk_tables(&r);
	struct dp_network_cfg n1 = t_net(1);

	CU_ASSERT_PTR_NULL(dp_table_network_get(t, 1));
	CU_ASSERT_EQUAL(dp_table_network_put(t, &n1), 0);
	uint64_t e1[] = { TAG_N(1) }, e1s[] = { TAG_N(1), TAG_SEG(DP_SEG_VNI, 1001) };
	CU_ASSERT(rec_exact(&r, e1s, 2)); /* a new VNI -> network mapping, too */
	CU_ASSERT_EQUAL(r.calls, 1);
	const struct dp_network *n = dp_table_network_get(t, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_STRING_EQUAL(n->cfg.name, "net1");
	CU_ASSERT_EQUAL(n->cfg.vni, 1001);
	CU_ASSERT_EQUAL(n->n_local, 0);
	CU_ASSERT_EQUAL(dp_tables_n_networks(t), 1);

	/* replace: config changes, derived flood list is kept */
	struct dp_lport_cfg a = t_lport(10, 1, 3);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &a), 0);
	n1.mtu = 9000;
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &n1), 0);
	CU_ASSERT(rec_exact(&r, e1, 1));
	n = dp_table_network_get(t, 1);
	CU_ASSERT_EQUAL(n->cfg.mtu, 9000);
	CU_ASSERT(net_has_local(t, 1, 3, 10));
	CU_ASSERT_EQUAL(dp_tables_n_networks(t), 1);

	/* bad fields */
	struct dp_network_cfg bad = t_net(0);
	uint64_t dg = table_digest(t);
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &bad), -EINVAL);
	CU_ASSERT_EQUAL(dp_table_network_put(t, NULL), -EINVAL);
	bad = t_net(5);
	memset(bad.name, 'x', sizeof(bad.name)); /* not terminated */
	CU_ASSERT_EQUAL(dp_table_network_put(t, &bad), -EINVAL);
	/* delete while referenced, delete unknown */
	CU_ASSERT_EQUAL(dp_table_network_del(t, 1), -EBUSY);
	CU_ASSERT_EQUAL(dp_table_network_del(t, 77), -ENOENT);
	CU_ASSERT_EQUAL(r.n, 0);
	CU_ASSERT_EQUAL(table_digest(t), dg);

	CU_ASSERT_EQUAL(dp_table_lport_del(t, 10), 0);
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_network_del(t, 1), 0);
	CU_ASSERT(rec_exact(&r, e1s, 2));
	CU_ASSERT_PTR_NULL(dp_table_network_get(t, 1));
	CU_ASSERT_EQUAL(dp_tables_n_networks(t), 0);
	/* re-create the same key: fresh, no refs left over */
	CU_ASSERT_EQUAL(dp_table_network_put(t, &n1), 0);
	CU_ASSERT_EQUAL(dp_table_network_del(t, 1), 0);
	dp_tables_destroy(t);
}

static void test_lport_fdb_binding(void)
{
	struct rec r = { .n = 0 };
	struct dp_tables *t = t_mk_tables(&r);
	struct dp_network_cfg n1 = t_net(1), n2 = t_net(2);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &n1), 0);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &n2), 0);

	/* local lport on dp port 4 */
	struct dp_lport_cfg a = t_lport(10, 1, 4);
	struct rte_ether_addr m_a = a.macs[0];
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &a), 0);
	uint64_t e_add_local[] = { TAG_L(10), TAG_F(1, m_a), TAG_N(1), TAG_P(4) };
	CU_ASSERT(rec_exact(&r, e_add_local, 4));
	CU_ASSERT_EQUAL(r.calls, 1);
	const struct dp_lport *p = dp_table_lport_get(t, 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(dp_lport_cfg_equal(&p->cfg, &a));
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 1, m_a.addr_bytes), 10);
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 2, m_a.addr_bytes), 0);
	CU_ASSERT_EQUAL(dp_table_port_lport(t, 4), 10);
	CU_ASSERT_EQUAL(dp_table_port_lport(t, 5), 0);
	CU_ASSERT_EQUAL(dp_table_port_lport(t, DP_MAX_PORTS + 3), 0);
	CU_ASSERT(net_has_local(t, 1, 4, 10));
	CU_ASSERT_EQUAL(dp_table_network_get(t, 1)->n_local, 1);

	/* remote lport: LPORT + FDB, no NETWORK, no DPPORT */
	struct dp_lport_cfg b = t_lport(11, 1, DP_NO_PORT);
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &b), 0);
	uint64_t e_add_remote[] = { TAG_L(11), TAG_F(1, b.macs[0]) };
	CU_ASSERT(rec_exact(&r, e_add_remote, 2));
	CU_ASSERT(!rec_has(&r, TAG_N(1)));
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 1, b.macs[0].addr_bytes), 11);
	CU_ASSERT_EQUAL(dp_table_network_get(t, 1)->n_local, 1);
	CU_ASSERT_EQUAL(dp_tables_n_lports(t), 2);

	/* re-put identical: only the LPORT tag */
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &b), 0);
	uint64_t e_same[] = { TAG_L(11) };
	CU_ASSERT(rec_exact(&r, e_same, 1));

	/* change A's MAC: old FDB entry gone, new present, both tagged */
	struct dp_lport_cfg a2 = a;
	a2.macs[0] = t_mac(0x77, 0x01);
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &a2), 0);
	uint64_t e_mac[] = { TAG_L(10), TAG_F(1, m_a), TAG_F(1, a2.macs[0]) };
	CU_ASSERT(rec_exact(&r, e_mac, 3));
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 1, m_a.addr_bytes), 0);
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 1, a2.macs[0].addr_bytes), 10);
	CU_ASSERT_EQUAL(dp_table_port_lport(t, 4), 10);
	CU_ASSERT_EQUAL(fdb_count(t), 2);

	/* a second MAC added, first kept */
	struct dp_lport_cfg a3 = a2;
	a3.n_macs = 2;
	a3.macs[1] = t_mac(0x77, 0x02);
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &a3), 0);
	uint64_t e_mac2[] = { TAG_L(10), TAG_F(1, a3.macs[1]) };
	CU_ASSERT(rec_exact(&r, e_mac2, 2));
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 1, a3.macs[1].addr_bytes), 10);
	CU_ASSERT_EQUAL(fdb_count(t), 3);

	/* move A (local, port 4) to network 2 */
	struct dp_lport_cfg a4 = a3;
	a4.network = 2;
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &a4), 0);
	uint64_t e_move[] = { TAG_L(10), TAG_F(1, a3.macs[0]), TAG_F(1, a3.macs[1]),
			      TAG_F(2, a3.macs[0]), TAG_F(2, a3.macs[1]), TAG_N(1), TAG_N(2) };
	CU_ASSERT(rec_exact(&r, e_move, 7));
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 1, a3.macs[0].addr_bytes), 0);
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 1, a3.macs[1].addr_bytes), 0);
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 2, a3.macs[0].addr_bytes), 10);
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 2, a3.macs[1].addr_bytes), 10);
	CU_ASSERT(!net_has_local(t, 1, 4, 10));
	CU_ASSERT(net_has_local(t, 2, 4, 10));
	CU_ASSERT_EQUAL(dp_table_network_get(t, 1)->n_local, 0);
	CU_ASSERT_EQUAL(dp_table_port_lport(t, 4), 10);
	/* network 1 only has B now; network 2 has A */
	CU_ASSERT_EQUAL(dp_table_network_del(t, 2), -EBUSY);

	/* move A to dp port 6 (same network) */
	struct dp_lport_cfg a5 = a4;
	a5.dp_port = 6;
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &a5), 0);
	uint64_t e_port[] = { TAG_L(10), TAG_N(2), TAG_P(4), TAG_P(6) };
	CU_ASSERT(rec_exact(&r, e_port, 4));
	CU_ASSERT_EQUAL(dp_table_port_lport(t, 4), 0);
	CU_ASSERT_EQUAL(dp_table_port_lport(t, 6), 10);
	CU_ASSERT(net_has_local(t, 2, 6, 10));
	CU_ASSERT(!net_has_local(t, 2, 4, 10));
	CU_ASSERT_EQUAL(dp_table_network_get(t, 2)->n_local, 1);

	/* make B local on port 4: network 1 flood list gains it */
	struct dp_lport_cfg b2 = b;
	b2.dp_port = 4;
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &b2), 0);
	uint64_t e_local[] = { TAG_L(11), TAG_N(1), TAG_P(4) };
	CU_ASSERT(rec_exact(&r, e_local, 3));
	CU_ASSERT(net_has_local(t, 1, 4, 11));

	/* A local -> remote */
	struct dp_lport_cfg a6 = a5;
	a6.dp_port = DP_NO_PORT;
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &a6), 0);
	uint64_t e_remote[] = { TAG_L(10), TAG_N(2), TAG_P(6) };
	CU_ASSERT(rec_exact(&r, e_remote, 3));
	CU_ASSERT_EQUAL(dp_table_port_lport(t, 6), 0);
	CU_ASSERT_EQUAL(dp_table_network_get(t, 2)->n_local, 0);

	/* dp port gone unbinds B */
	rec_reset(&r);
	dp_table_port_gone(t, 4);
	CU_ASSERT_EQUAL(dp_table_port_lport(t, 4), 0);
	CU_ASSERT_EQUAL(dp_table_lport_get(t, 11)->cfg.dp_port, DP_NO_PORT);
	CU_ASSERT_EQUAL(dp_table_network_get(t, 1)->n_local, 0);
	CU_ASSERT(rec_has(&r, TAG_P(4)) && rec_has(&r, TAG_N(1)) && rec_has(&r, TAG_L(11)));
	rec_reset(&r);
	dp_table_port_gone(t, 4); /* nothing bound: only the port's own tag */
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT(rec_has(&r, TAG_P(4)) && !rec_has(&r, TAG_L(11)));

	/* delete local B again after re-binding */
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &b2), 0);
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_lport_del(t, 11), 0);
	uint64_t e_del[] = { TAG_L(11), TAG_F(1, b.macs[0]), TAG_N(1), TAG_P(4) };
	CU_ASSERT(rec_exact(&r, e_del, 4));
	CU_ASSERT_PTR_NULL(dp_table_lport_get(t, 11));
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 1, b.macs[0].addr_bytes), 0);
	CU_ASSERT_EQUAL(dp_table_port_lport(t, 4), 0);
	CU_ASSERT_EQUAL(dp_table_network_get(t, 1)->n_local, 0);
	CU_ASSERT_EQUAL(dp_table_lport_del(t, 11), -ENOENT);
	CU_ASSERT_EQUAL(dp_table_network_del(t, 1), 0);

	/* delete remote A */
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_lport_del(t, 10), 0);
	uint64_t e_del2[] = { TAG_L(10), TAG_F(2, a6.macs[0]), TAG_F(2, a6.macs[1]) };
	CU_ASSERT(rec_exact(&r, e_del2, 3));
	CU_ASSERT_EQUAL(fdb_count(t), 0);
	CU_ASSERT_EQUAL(dp_tables_n_lports(t), 0);
	CU_ASSERT_EQUAL(dp_table_network_del(t, 2), 0);
	dp_tables_destroy(t);
}

/* A published lport takes what its addresses need: its slot (a cache-line
 * multiple, tables_lport_pool.c) ends after its last allowed address pair,
 * or with none after its last address, and copy/equal read only that.  A
 * freed slot is reused by the next put of its class. */
static size_t slot_of(unsigned n_ips, unsigned n_aaps)
{
	size_t b = dp_lport_cfg_size(&(struct dp_lport_cfg){ .n_ips = (uint8_t)n_ips,
							    .n_aaps = (uint8_t)n_aaps });
	return RTE_ALIGN_CEIL(offsetof(struct dp_lport, cfg) + b, RTE_CACHE_LINE_SIZE);
}

static size_t slot(unsigned n_aaps)
{
	return slot_of(1, n_aaps);
}

static void test_lport_trimmed(void)
{
	struct rec r = { .n = 0 };
	struct dp_tables *t = t_mk_tables(&r);
	struct dp_network_cfg n = { .key = 1, .name = "n1", .vni = 100, .mtu = 1500 };
	CU_ASSERT_EQUAL_FATAL(dp_table_network_put(t, &n), 0);
	size_t base = slot(0);
	/* one address, no pairs: two cache lines (dp/include/tables.h) */
	CU_ASSERT_EQUAL(base, 2 * RTE_CACHE_LINE_SIZE);
	CU_ASSERT(base < sizeof(struct dp_lport_cfg) && slot(2) > base);
	CU_ASSERT(slot_of(4, 0) > base && slot_of(4, 0) < slot(1));
	CU_ASSERT_EQUAL(dp_tables_lport_bytes(t), 0);

	struct dp_lport_cfg a = t_lport(10, 1, DP_NO_PORT);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &a), 0);
	CU_ASSERT_EQUAL(dp_tables_lport_bytes(t), base);
	/* two pairs: the lport grows by two, and equal sees them */
	struct dp_lport_cfg b = a;
	b.n_aaps = 2;
	b.aaps[0] = (struct dp_aap){ .ip = t_ip4(10, 0, 1, 0, 24), .mac = a.macs[0] };
	b.aaps[1] = (struct dp_aap){ .ip = t_ip4(10, 0, 2, 7, 32), .mac = a.macs[0] };
	CU_ASSERT_FALSE(dp_lport_cfg_equal(&a, &b));
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &b), 0);
	CU_ASSERT_EQUAL(dp_tables_lport_bytes(t), slot(2));
	const struct dp_lport *p = dp_table_lport_get(t, 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT(dp_lport_cfg_equal(&p->cfg, &b));
	struct dp_lport_cfg c;
	dp_lport_cfg_copy(&c, &p->cfg);
	CU_ASSERT_EQUAL(memcmp(&c, &b, sizeof(c)), 0);   /* the copy is whole */
	/* the second pair differs: not equal */
	c.aaps[1].ip.addr[3] = 8;
	CU_ASSERT_FALSE(dp_lport_cfg_equal(&p->cfg, &c));
	/* back to none, a second lport, a delete: the count follows */
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &a), 0);
	struct dp_lport_cfg d = t_lport(11, 1, DP_NO_PORT);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &d), 0);
	CU_ASSERT_EQUAL(dp_tables_lport_bytes(t), 2 * base);
	const struct dp_lport *p10 = dp_table_lport_get(t, 10);
	CU_ASSERT_EQUAL(dp_table_lport_del(t, 10), 0);
	CU_ASSERT_EQUAL(dp_tables_lport_bytes(t), base);
	/* its slot is the next one of its class */
	struct dp_lport_cfg f = t_lport(13, 1, DP_NO_PORT);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &f), 0);
	CU_ASSERT_PTR_EQUAL(dp_table_lport_get(t, 13), p10);
	CU_ASSERT_EQUAL(dp_table_lport_del(t, 13), 0);
	/* four addresses and no pairs: the slot ends after the fourth; the
	 * copy has all four, equal sees the last, a fifth grows it */
	struct dp_lport_cfg g = t_lport(14, 1, DP_NO_PORT);
	g.n_ips = 4;
	for (uint8_t i = 1; i < 4; i++)
		g.ips[i] = t_ip4(10, 9, 0, i, 32);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &g), 0);
	CU_ASSERT_EQUAL(dp_tables_lport_bytes(t), base + slot_of(4, 0));
	p = dp_table_lport_get(t, 14);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	dp_lport_cfg_copy(&c, &p->cfg);
	CU_ASSERT_EQUAL(memcmp(&c, &g, sizeof(c)), 0);
	c.ips[3].addr[3] = 9;
	CU_ASSERT_FALSE(dp_lport_cfg_equal(&p->cfg, &c));
	g.n_ips = 5;
	g.ips[4] = t_ip4(10, 9, 0, 4, 32);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &g), 0);
	CU_ASSERT_EQUAL(dp_tables_lport_bytes(t), base + slot_of(5, 0));
	CU_ASSERT(dp_lport_cfg_equal(&dp_table_lport_get(t, 14)->cfg, &g));
	CU_ASSERT_EQUAL(dp_table_lport_del(t, 14), 0);
	CU_ASSERT_EQUAL(dp_tables_lport_bytes(t), base);
	/* port_gone copies the trimmed lport and puts it back unbound */
	struct dp_lport_cfg e = t_lport(12, 1, 3);
	e.n_aaps = 1;
	e.aaps[0] = b.aaps[0];
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &e), 0);
	dp_table_port_gone(t, 3);
	p = dp_table_lport_get(t, 12);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->cfg.dp_port, DP_NO_PORT);
	CU_ASSERT_EQUAL(p->cfg.n_aaps, 1);
	CU_ASSERT_EQUAL(memcmp(&p->cfg.aaps[0], &e.aaps[0], sizeof(e.aaps[0])), 0);
	dp_tables_destroy(t);
}

static void test_flood_lists(void)
{
	struct rec r = { .n = 0 };
	struct dp_tables *t = t_mk_tables(&r);
	struct dp_network_cfg n1 = t_net(1);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &n1), 0);
	for (uint32_t k = 1; k <= 8; k++) {
		struct dp_lport_cfg c = t_lport(k, 1, (k % 2) ? (uint16_t)(k + 10) : DP_NO_PORT);
		CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), 0);
	}
	const struct dp_network *n = dp_table_network_get(t, 1);
	CU_ASSERT_EQUAL(n->n_local, 4);
	for (uint32_t k = 1; k <= 8; k += 2)
		CU_ASSERT(net_has_local(t, 1, (uint16_t)(k + 10), k));
	CU_ASSERT_EQUAL(dp_table_lport_del(t, 3), 0);
	n = dp_table_network_get(t, 1);
	CU_ASSERT_EQUAL(n->n_local, 3);
	CU_ASSERT(!net_has_local(t, 1, 13, 3));
	CU_ASSERT(net_has_local(t, 1, 11, 1) && net_has_local(t, 1, 15, 5) &&
		  net_has_local(t, 1, 17, 7));
	/* deleting a remote lport leaves the flood list and its tag alone */
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_lport_del(t, 4), 0);
	CU_ASSERT(!rec_has(&r, TAG_N(1)));
	CU_ASSERT_EQUAL(dp_table_network_get(t, 1)->n_local, 3);
	dp_tables_destroy(t);
}

static void test_errors_change_nothing(void)
{
	struct rec r = { .n = 0 };
	struct dp_tables *t = t_mk_tables(&r);
	struct dp_network_cfg n1 = t_net(1), n2 = t_net(2);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &n1), 0);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &n2), 0);
	struct dp_lport_cfg a = t_lport(10, 1, 4), b = t_lport(11, 1, DP_NO_PORT);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &a), 0);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &b), 0);
	uint64_t dg = table_digest(t);
	rec_reset(&r);

	/* missing network */
	struct dp_lport_cfg c = t_lport(12, 9, 5);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -ENOENT);
	/* existing lport moved to a missing network */
	c = a;
	c.network = 9;
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -ENOENT);
	/* MAC owned by another lport in that network (new and existing lport) */
	c = t_lport(12, 1, 5);
	c.macs[0] = a.macs[0];
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EEXIST);
	c = b;
	c.n_macs = 2;
	c.macs[1] = a.macs[0];
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EEXIST);
	/* same MAC in another network is fine (checked below, after errors) */
	/* dp port bound to another lport */
	c = t_lport(12, 1, 4);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EEXIST);
	c = b;
	c.dp_port = 4;
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EEXIST);
	/* bad fields */
	struct dp_lport_cfg base = t_lport(12, 1, 5);
	c = base; c.key = 0;
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	c = base; c.network = 0;
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	c = base; c.n_macs = 0;
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	c = base; c.n_macs = DP_LPORT_MAX_MACS + 1;
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	c = base; c.n_ips = DP_LPORT_MAX_IPS + 1;
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	c = base; c.n_aaps = DP_LPORT_MAX_AAPS + 1;
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	c = base; c.macs[0].addr_bytes[0] = 0x01; /* multicast */
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	c = base; memset(&c.macs[0], 0, 6);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	c = base; c.ips[0].plen = 24; /* fixed IPs are host addresses */
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	c = base; c.ips[0].family = 5;
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	c = base; c.n_aaps = 1; c.aaps[0].ip = t_ip4(10, 9, 0, 0, 33);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	c = base; c.n_aaps = 1; c.aaps[0].ip.family = 0;
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	c = base; c.dp_port = DP_MAX_PORTS;
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	c = base; memset(c.name, 'x', sizeof(c.name));
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), -EINVAL);
	CU_ASSERT_EQUAL(dp_table_lport_put(t, NULL), -EINVAL);
	/* network delete while lports exist */
	CU_ASSERT_EQUAL(dp_table_network_del(t, 1), -EBUSY);
	CU_ASSERT_EQUAL(dp_table_lport_del(t, 999), -ENOENT);
	/* fdb errors */
	struct rte_ether_addr mm = t_mac(0x55, 0x55);
	struct rte_ether_addr mc = { { 0x01, 0, 0x5e, 0, 0, 1 } };
	CU_ASSERT_EQUAL(dp_table_fdb_put(t, 0, &mm, 10), -EINVAL);
	CU_ASSERT_EQUAL(dp_table_fdb_put(t, 1, &mm, 0), -EINVAL);
	CU_ASSERT_EQUAL(dp_table_fdb_put(t, 1, &mc, 10), -EINVAL);
	CU_ASSERT_EQUAL(dp_table_fdb_put(t, 9, &mm, 10), -ENOENT);
	CU_ASSERT_EQUAL(dp_table_fdb_del(t, 1, &mm), -ENOENT);

	CU_ASSERT_EQUAL(r.n, 0);
	CU_ASSERT_EQUAL(r.calls, 0);
	CU_ASSERT_EQUAL(table_digest(t), dg);
	CU_ASSERT_EQUAL(dp_tables_n_lports(t), 2);
	CU_ASSERT_EQUAL(dp_table_port_lport(t, 5), 0);
	CU_ASSERT_EQUAL(dp_table_network_get(t, 1)->n_local, 1);

	/* the same MAC in another network is allowed */
	c = t_lport(12, 2, DP_NO_PORT);
	c.macs[0] = a.macs[0];
	CU_ASSERT_EQUAL(dp_table_lport_put(t, &c), 0);
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 2, a.macs[0].addr_bytes), 12);
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 1, a.macs[0].addr_bytes), 10);

	/* extra FDB entries */
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_fdb_put(t, 1, &mm, 11), 0);
	uint64_t e_f[] = { TAG_F(1, mm) };
	CU_ASSERT(rec_exact(&r, e_f, 1));
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 1, mm.addr_bytes), 11);
	rec_reset(&r);
	CU_ASSERT_EQUAL(dp_table_fdb_del(t, 1, &mm), 0);
	CU_ASSERT(rec_exact(&r, e_f, 1));
	CU_ASSERT_EQUAL(dp_table_fdb_lookup(t, 1, mm.addr_bytes), 0);
	dp_tables_destroy(t);
}

static void test_ip_helpers(void)
{
	struct dp_ip ip;
	char buf[64];
	uint8_t a4[4] = { 10, 1, 2, 3 }, b4[4] = { 10, 1, 3, 3 };

	CU_ASSERT_EQUAL(dp_ip_parse("10.1.2.3", &ip), 0);
	CU_ASSERT(ip.family == 4 && ip.plen == 32 && memcmp(ip.addr, a4, 4) == 0);
	dp_ip_format(buf, sizeof(buf), &ip);
	CU_ASSERT_STRING_EQUAL(buf, "10.1.2.3");
	CU_ASSERT(dp_ip_in_prefix(&ip, 4, a4));
	CU_ASSERT(!dp_ip_in_prefix(&ip, 4, b4));
	CU_ASSERT(!dp_ip_in_prefix(&ip, 6, a4));

	CU_ASSERT_EQUAL(dp_ip_parse("10.1.2.99/23", &ip), 0);
	CU_ASSERT(ip.family == 4 && ip.plen == 23);
	dp_ip_format(buf, sizeof(buf), &ip);
	CU_ASSERT_STRING_EQUAL(buf, "10.1.2.0/23"); /* host bits cleared */
	CU_ASSERT(dp_ip_in_prefix(&ip, 4, a4));
	CU_ASSERT(dp_ip_in_prefix(&ip, 4, b4));   /* 10.1.3.x in 10.1.2.0/23 */
	uint8_t c4[4] = { 10, 1, 4, 0 };
	CU_ASSERT(!dp_ip_in_prefix(&ip, 4, c4));

	CU_ASSERT_EQUAL(dp_ip_parse("0.0.0.0/0", &ip), 0);
	CU_ASSERT(dp_ip_in_prefix(&ip, 4, c4));
	CU_ASSERT(!dp_ip_in_prefix(&ip, 6, c4));
	dp_ip_format(buf, sizeof(buf), &ip);
	CU_ASSERT_STRING_EQUAL(buf, "0.0.0.0/0");

	uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t v6b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	CU_ASSERT_EQUAL(dp_ip_parse("2001:db8::1", &ip), 0);
	CU_ASSERT(ip.family == 6 && ip.plen == 128 && memcmp(ip.addr, v6a, 16) == 0);
	dp_ip_format(buf, sizeof(buf), &ip);
	CU_ASSERT_STRING_EQUAL(buf, "2001:db8::1");
	CU_ASSERT(dp_ip_in_prefix(&ip, 6, v6a));
	CU_ASSERT(!dp_ip_in_prefix(&ip, 6, v6b));
	CU_ASSERT_EQUAL(dp_ip_parse("2001:db8::ffff/64", &ip), 0);
	dp_ip_format(buf, sizeof(buf), &ip);
	CU_ASSERT_STRING_EQUAL(buf, "2001:db8::/64");
	CU_ASSERT(dp_ip_in_prefix(&ip, 6, v6a));
	CU_ASSERT(!dp_ip_in_prefix(&ip, 6, v6b));
	CU_ASSERT_EQUAL(dp_ip_parse("2001:db8::/47", &ip), 0);
	CU_ASSERT(dp_ip_in_prefix(&ip, 6, v6b)); /* bit 47 differs only below /47 */
	CU_ASSERT_EQUAL(dp_ip_parse("2001:db8::/48", &ip), 0);
	CU_ASSERT(!dp_ip_in_prefix(&ip, 6, v6b));
	CU_ASSERT_EQUAL(dp_ip_parse("::/0", &ip), 0);
	CU_ASSERT(dp_ip_in_prefix(&ip, 6, v6b));
	CU_ASSERT_EQUAL(dp_ip_parse("fe80::1/10", &ip), 0);
	dp_ip_format(buf, sizeof(buf), &ip);
	CU_ASSERT_STRING_EQUAL(buf, "fe80::/10");

	static const char *const bad[] = {
		"", "/24", "10.0.0.1/", "10.0.0.1/33", "10.0.0.1/-1", "10.0.0.1/8x",
		"10.0.0", "10.0.0.256", "2001:db8::1/129", "2001:::1", "hello",
		"10.0.0.1 ", "10.0.0.1/24/1",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	for (unsigned i = 0; i < RTE_DIM(bad); i++) {
		int rc = dp_ip_parse(bad[i], &ip);
		if (rc != -EINVAL)
			fprintf(stderr, "\n    dp_ip_parse(\"%s\") = %d\n", bad[i], rc);
		CU_ASSERT_EQUAL(rc, -EINVAL);
	}
}

/* ---- RCU: a reader on lcore 1 while the writer churns ------------------------------ */

#define RCU_KEYS 16

struct rcu_ctx {
	struct dp_tables *t;
	struct rte_rcu_qsbr *rcu;
	volatile bool stop;
	volatile uint64_t reads, found, bad;
};

/* Every published version v of lport k has name "k<k>v<v>", MAC
 * 02:00:<k>:<v>..., and ips[0] = 10.<v>.<v>.<k>: the reader checks the object
 * is self-consistent and does not change while it holds it. */
static void rcu_cfg(struct dp_lport_cfg *c, uint32_t k, uint32_t v)
{
	*c = t_lport(k, 1, DP_NO_PORT);
	snprintf(c->name, sizeof(c->name), "k%uv%u", k, v);
	c->macs[0] = (struct rte_ether_addr){ { 0x02, 0x00, (uint8_t)k, (uint8_t)(v >> 16),
						(uint8_t)(v >> 8), (uint8_t)v } };
	c->ips[0] = t_ip4(10, (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)k, 32);
}

static int rcu_reader(void *arg)
{
	struct rcu_ctx *x = arg;
	unsigned id = 0;
	rte_rcu_qsbr_thread_register(x->rcu, id);
	rte_rcu_qsbr_thread_online(x->rcu, id);
	while (!x->stop) {
		for (uint32_t k = 1; k <= RCU_KEYS; k++) {
			const struct dp_lport *p = dp_table_lport_get(x->t, k);
			x->reads++;
			if (p == NULL)
				continue;
			x->found++;
			struct dp_lport_cfg snap;
			dp_lport_cfg_copy(&snap, &p->cfg);
			unsigned kk, v;
			if (sscanf(snap.name, "k%uv%u", &kk, &v) != 2 || kk != k ||
			    snap.key != k || snap.macs[0].addr_bytes[2] != (uint8_t)k ||
			    snap.macs[0].addr_bytes[5] != (uint8_t)v ||
			    snap.ips[0].addr[1] != (uint8_t)v) {
				x->bad++;
				continue;
			}
			/* hold the pointer a little: it must not be freed/reused */
			for (volatile int spin = 0; spin < 50; spin++)
				;
			if (!dp_lport_cfg_equal(&snap, &p->cfg))
				x->bad++;
			/* also read the FDB and the network like translate does */
			(void)dp_table_fdb_lookup(x->t, 1, snap.macs[0].addr_bytes);
			const struct dp_network *n = dp_table_network_get(x->t, 1);
			if (n == NULL || n->cfg.key != 1)
				x->bad++;
		}
		rte_rcu_qsbr_quiescent(x->rcu, id);
	}
	rte_rcu_qsbr_thread_offline(x->rcu, id);
	rte_rcu_qsbr_thread_unregister(x->rcu, id);
	return 0;
}

static void test_rcu_reader(void)
{
	unsigned lc = rte_get_next_lcore(-1, 1, 0);
	if (lc >= RTE_MAX_LCORE) {
		fprintf(stderr, "\n    (skipped: needs a second lcore, run with -l 0,1)\n");
		return;
	}
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	struct rte_rcu_qsbr *rcu = rte_zmalloc("t_rcu", sz, RTE_CACHE_LINE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rcu);
	CU_ASSERT_EQUAL_FATAL(rte_rcu_qsbr_init(rcu, 1), 0);
	struct dp_tables *t = dp_tables_create("trcu", rcu, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_EQUAL(dp_tables_rcu(t), rcu);
	struct dp_network_cfg n1 = t_net(1);
	CU_ASSERT_EQUAL(dp_table_network_put(t, &n1), 0);

	struct rcu_ctx x = { .t = t, .rcu = rcu };
	CU_ASSERT_EQUAL_FATAL(rte_eal_remote_launch(rcu_reader, &x, lc), 0);
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	uint32_t ver[RCU_KEYS + 1] = { 0 };
	unsigned cycles = 0, errs = 0;
	for (; cycles < 10000; cycles++) {
		uint32_t k = 1 + (uint32_t)t_randn(RCU_KEYS);
		struct dp_lport_cfg c;
		rcu_cfg(&c, k, ++ver[k]);
		if (dp_table_lport_put(t, &c) != 0)
			errs++;
		if (t_randn(2)) {
			rcu_cfg(&c, k, ++ver[k]);   /* replace (MAC, IP, name change) */
			if (dp_table_lport_put(t, &c) != 0)
				errs++;
		}
		if (dp_table_lport_del(t, k) != 0)
			errs++;
		if (t_randn(4) == 0) { /* keep some alive across cycles */
			rcu_cfg(&c, k, ++ver[k]);
			if (dp_table_lport_put(t, &c) != 0)
				errs++;
		}
		if ((cycles & 255) == 0 && rte_rdtsc() - t0 > 25 * hz)
			break; /* time box on a loaded machine */
	}
	x.stop = true;
	rte_eal_wait_lcore(lc);
	fprintf(stderr, "\n    rcu: %u cycles in %.1f s, %" PRIu64 " reads, %" PRIu64
		" found, %" PRIu64 " bad\n", cycles,
		(double)(rte_rdtsc() - t0) / (double)hz, x.reads, x.found, x.bad);
	CU_ASSERT_EQUAL(errs, 0);
	CU_ASSERT_EQUAL(x.bad, 0);
	CU_ASSERT(x.found > 0);
	CU_ASSERT(cycles >= 1000);
	dp_tables_destroy(t);
	rte_free(rcu);
}

int main(int argc, char **argv)
{
	CU_pSuite s;
	(void)argc;
	if (t_eal_init(argv[0], "tables_test", "-l", "0,1", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("tables", NULL, NULL);
	CU_add_test(s, "network put/get/del", test_network_basic);
	CU_add_test(s, "lport, FDB, binding, tags", test_lport_fdb_binding);
	CU_add_test(s, "lport allocation trimmed to its pairs", test_lport_trimmed);
	CU_add_test(s, "flood lists", test_flood_lists);
	CU_add_test(s, "errors change nothing", test_errors_change_nothing);
	CU_add_test(s, "ip parse/prefix/format", test_ip_helpers);
	CU_add_test(s, "rcu reader vs writer churn", test_rcu_reader);
	return t_run_all();
}
