/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_xdp_psec_test.c — a logical port's port security as the
 * XDP program's wyv_port_sec entry (ofl_xdp_portsec_from_lport): what XDP
 * drops must be a subset of what the PMD drops, so every shape the map
 * cannot hold exactly becomes "MAC only" or "no entry".  No root needed
 * (no map is touched).
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>

#include "ofl_xdp.h"
#include "tables.h"
#include "test_main.h"

static const struct rte_ether_addr MAC_A = { { 0x02, 0, 0, 0, 0x79, 0x01 } };
static const struct rte_ether_addr MAC_B = { { 0x02, 0, 0, 0, 0x79, 0x02 } };

static struct dp_ip ip4(const char *s, uint8_t plen)
{
	struct dp_ip a = { .family = 4, .plen = plen };
	CU_ASSERT_FATAL(inet_pton(AF_INET, s, a.addr) == 1);
	return a;
}

static uint32_t be(const char *s)
{
	uint32_t v;
	CU_ASSERT_FATAL(inet_pton(AF_INET, s, &v) == 1);
	return v;
}

static struct dp_lport_cfg lport(void)
{
	struct dp_lport_cfg c;
	memset(&c, 0, sizeof(c));
	c.key = 91;
	c.network = 9;
	c.port_security = true;
	c.n_macs = 1;
	c.macs[0] = MAC_A;
	c.n_ips = 1;
	c.ips[0] = ip4("10.79.0.1", 32);
	return c;
}

static void test_none(void)
{
	struct ofl_xdp_portsec ps;
	char why[128];
	struct dp_lport_cfg c = lport();
	CU_ASSERT_EQUAL(ofl_xdp_portsec_from_lport(NULL, &ps, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(why, "");
	c.port_security = false;
	CU_ASSERT_EQUAL(ofl_xdp_portsec_from_lport(&c, &ps, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(why, "");
}

static void test_mac_and_ips(void)
{
	struct ofl_xdp_portsec ps;
	char why[128];
	struct dp_lport_cfg c = lport();
	/* a fixed IPv6 address is not the program's business */
	c.ips[c.n_ips++] = (struct dp_ip){ .family = 6, .plen = 128, .addr = { 0xfd } };
	/* a /32 pair with the port's own MAC (zero) and one with it spelled out */
	c.aaps[c.n_aaps++] = (struct dp_aap){ .ip = ip4("10.79.0.50", 32) };
	c.aaps[c.n_aaps++] = (struct dp_aap){ .ip = ip4("10.79.0.51", 32), .mac = MAC_A };
	CU_ASSERT_EQUAL(ofl_xdp_portsec_from_lport(&c, &ps, why, sizeof(why)), 1);
	CU_ASSERT_EQUAL(memcmp(ps.mac, MAC_A.addr_bytes, 6), 0);
	CU_ASSERT_EQUAL(ps.n_ip, 3);
	CU_ASSERT_EQUAL(ps.ip[0], be("10.79.0.1"));
	CU_ASSERT_EQUAL(ps.ip[1], be("10.79.0.50"));
	CU_ASSERT_EQUAL(ps.ip[2], be("10.79.0.51"));
	CU_ASSERT_EQUAL(ps.ip[3], 0);
	CU_ASSERT_STRING_EQUAL(why, "xdp: mac 02:00:00:00:79:01, ipv4 10.79.0.1,10.79.0.50,10.79.0.51");
}

static void test_mac_only(void)
{
	struct ofl_xdp_portsec ps;
	char why[128];
	struct dp_lport_cfg c = lport();
	/* a prefix pair: the program checks addresses, not prefixes */
	c.aaps[c.n_aaps++] = (struct dp_aap){ .ip = ip4("10.79.1.0", 24) };
	CU_ASSERT_EQUAL(ofl_xdp_portsec_from_lport(&c, &ps, why, sizeof(why)), 1);
	CU_ASSERT_EQUAL(memcmp(ps.mac, MAC_A.addr_bytes, 6), 0);
	CU_ASSERT_EQUAL(ps.n_ip, 0);
	CU_ASSERT_EQUAL(ps.ip[0], 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "ipv4 any"));
	/* more host addresses than the entry holds */
	c = lport();
	const char *more[] = { "10.79.0.2", "10.79.0.3", "10.79.0.4", "10.79.0.5" };
	for (unsigned i = 0; i < 4; i++)
		c.ips[c.n_ips++] = ip4(more[i], 32);
	CU_ASSERT_EQUAL(ofl_xdp_portsec_from_lport(&c, &ps, why, sizeof(why)), 1);
	CU_ASSERT_EQUAL(ps.n_ip, 0);
	/* exactly four fit */
	c.n_ips = 4;
	CU_ASSERT_EQUAL(ofl_xdp_portsec_from_lport(&c, &ps, why, sizeof(why)), 1);
	CU_ASSERT_EQUAL(ps.n_ip, 4);
	CU_ASSERT_EQUAL(ps.ip[3], be("10.79.0.4"));
	/* IPv6 only: no IPv4 list (the PMD still checks the source) */
	c = lport();
	c.ips[0] = (struct dp_ip){ .family = 6, .plen = 128, .addr = { 0xfd } };
	CU_ASSERT_EQUAL(ofl_xdp_portsec_from_lport(&c, &ps, why, sizeof(why)), 1);
	CU_ASSERT_EQUAL(ps.n_ip, 0);
}

static void test_no_entry(void)
{
	struct ofl_xdp_portsec ps;
	char why[128];
	struct dp_lport_cfg c = lport();
	/* two MACs: the entry holds one, so XDP would drop the other's frames */
	c.macs[c.n_macs++] = MAC_B;
	CU_ASSERT_EQUAL(ofl_xdp_portsec_from_lport(&c, &ps, why, sizeof(why)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "pmd only"));
	/* a pair with another MAC: same */
	c = lport();
	c.aaps[c.n_aaps++] = (struct dp_aap){ .ip = ip4("10.79.0.60", 32), .mac = MAC_B };
	CU_ASSERT_EQUAL(ofl_xdp_portsec_from_lport(&c, &ps, why, sizeof(why)), 0);
	/* no MAC at all */
	c = lport();
	c.n_macs = 0;
	CU_ASSERT_EQUAL(ofl_xdp_portsec_from_lport(&c, &ps, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(why, "pmd only (no MAC)");
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "ofl_xdp_psec", (char *)NULL) != 0)
		return 1;
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("ofl_xdp_psec", NULL, NULL);
	CU_add_test(s, "no lport / port security off: no entry", test_none);
	CU_add_test(s, "MAC and IPv4 host addresses", test_mac_and_ips);
	CU_add_test(s, "prefix pairs, too many, IPv6 only: MAC only", test_mac_only);
	CU_add_test(s, "several MACs / none: no entry", test_no_entry);
	return t_run_all();
}
