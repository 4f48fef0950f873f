/* SPDX-License-Identifier: BSD-3-Clause
 * dp/parse_fmt_test.c — flow keys as text: dp_key_format (with and without
 * masks) and dp_key_from_string (the `wyctl trace` syntax), round trips,
 * error messages and a fuzz of the reader.  Pure functions: no EAL.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <CUnit/Basic.h>

#include "drop.h"
#include "flow_key.h"
#include "parse.h"
#include "parse_test_pkt.h"

/* ---- text format --------------------------------------------------------- */

static void roundtrip(const struct dp_flow_key *k)
{
	struct dp_flow_key back;
	char buf[1024], err[128];
	int n;

	n = dp_key_format(buf, sizeof(buf), k, NULL);
	CU_ASSERT(n > 0 && (size_t)n < sizeof(buf));
	CU_ASSERT_EQUAL(dp_key_from_string(buf, &back, err, sizeof(err)), 0);
	if (!dp_key_equal(k, &back))
		printf("\nround trip failed: %s (%s)\n", buf, err);
	CU_ASSERT(dp_key_equal(k, &back));
}

static void test_format(void)
{
	struct dp_flow_key k, m;
	struct pkt p;
	char buf[1024], small[16];
	int n;

	parse_t(T_UDP4, &p, &k, NULL, NULL);
	dp_key_format(buf, sizeof(buf), &k, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "in_port=7,eth_src=00:11:22:33:44:55,eth_dst=02:aa:bb:cc:dd:ee,"
				    "eth_type=0x0800,ip_src=10.0.0.1,ip_dst=10.0.0.2,ip_proto=17,"
				    "ip_tos=16,ip_ttl=64,tp_src=1234,tp_dst=53");
	/* snprintf semantics */
	n = dp_key_format(small, sizeof(small), &k, NULL);
	CU_ASSERT_EQUAL(n, (int)strlen(buf));
	CU_ASSERT_STRING_EQUAL(small, "in_port=7,eth_s");

	parse_t(T_QINQ_OPTS, &p, &k, NULL, NULL);
	dp_key_format(buf, sizeof(buf), &k, NULL);
	CU_ASSERT(strstr(buf, "vlan_tci=0x300a,vlan_inner_tci=0x1014,") != NULL);

	parse_t(T_NS, &p, &k, NULL, NULL);
	dp_key_format(buf, sizeof(buf), &k, NULL);
	CU_ASSERT(strstr(buf, "ip_src=2001:db8::1,ip_dst=2001:db8::2,ip_proto=58,") != NULL);
	CU_ASSERT(strstr(buf, "nd_target=fe80::abcd,nd_ll=52:54:00:12:34:56,"
			      "ipv6_label=0x12345") != NULL);

	parse_t(T_ARP, &p, &k, NULL, NULL);
	dp_key_format(buf, sizeof(buf), &k, NULL);
	CU_ASSERT(strstr(buf, "arp_op=1,arp_sha=00:11:22:33:44:55,arp_tha=52:54:00:12:34:56") !=
		  NULL);
	CU_ASSERT(strstr(buf, "nd_target") == NULL);

	parse_t(T_FRAG4_LATER, &p, &k, NULL, NULL);
	dp_key_format(buf, sizeof(buf), &k, NULL);
	CU_ASSERT(strstr(buf, "ip_frag=later") != NULL);

	/* Masked: only masked fields, partial ones as value/mask. */
	parse_t(T_TCP4_OPTS, &p, &k, NULL, NULL);
	memset(&m, 0, sizeof(m));
	m.eth_dst[0] = 0x01;
	m.eth_type = 0xffff;
	memset(m.ip_dst, 0xff, 3);
	m.ip_proto = 0xff;
	m.tcp_flags = BE16(0x002);
	m.ip_frag = 0xff;
	dp_key_format(buf, sizeof(buf), &k, &m);
	CU_ASSERT_STRING_EQUAL(buf, "eth_dst=00:00:00:00:00:00/01:00:00:00:00:00,eth_type=0x0800,"
				    "ip_dst=10.0.0.0/255.255.255.0,ip_proto=6,ip_frag=no,"
				    "tcp_flags=0x002/0x002");
	k.eth_dst[0] = 0x01;
	m.ip_frag = 0;
	m.tcp_flags = 0;
	m.eth_type = 0;
	m.ip_proto = 0;
	dp_key_format(buf, sizeof(buf), &k, &m);
	CU_ASSERT_STRING_EQUAL(buf, "eth_dst=01:00:00:00:00:00/01:00:00:00:00:00,"
				    "ip_dst=10.0.0.0/255.255.255.0");
	parse_t(T_TCP6, &p, &k, NULL, NULL);
	memset(&m, 0, sizeof(m));
	memset(m.ip_src, 0xff, 8);
	dp_key_format(buf, sizeof(buf), &k, &m);
	CU_ASSERT_STRING_EQUAL(buf, "ip_src=2001:db8::/ffff:ffff:ffff:ffff::");
}

static void test_roundtrip(void)
{
	struct dp_flow_key k;
	struct pkt p;

	for (int t = 0; t < T__MAX; t++) {
		parse_t(t, &p, &k, NULL, NULL);
		roundtrip(&k);
	}
	/* Metadata and registers. */
	parse_t(T_TCP4_OPTS, &p, &k, NULL, NULL);
	k.recirc_id = 0x1234;
	k.ct_state = DP_CS_TRK | DP_CS_EST;
	k.ct_zone = 77;
	k.tun_vni = 5001;
	k.tun_src = htonl(0xc0a80001);
	k.tun_dst = htonl(0xc0a80002);
	k.reg_src_lport = 1;
	k.reg_dst_lport = 0xffffffff;
	k.reg_network = 42;
	k.reg_router = 9;
	roundtrip(&k);
	memset(&k, 0, sizeof(k));
	roundtrip(&k);
}

static void expect_err(const char *spec, const char *msg)
{
	struct dp_flow_key k;
	char err[128] = "";

	CU_ASSERT_EQUAL(dp_key_from_string(spec, &k, err, sizeof(err)), -EINVAL);
	if (strcmp(err, msg) != 0)
		printf("\nspec '%s': got '%s', want '%s'\n", spec, err, msg);
	CU_ASSERT_STRING_EQUAL(err, msg);
}

static void test_from_string(void)
{
	struct dp_flow_key k;
	char err[128];

	CU_ASSERT_EQUAL(dp_key_from_string("in_port=3, tcp ,tp_dst=80,tcp_flags=0x12", &k, err,
					   sizeof(err)), 0);
	CU_ASSERT_EQUAL(k.in_port, 3);
	CU_ASSERT_EQUAL(k.eth_type, BE16(0x0800));
	CU_ASSERT_EQUAL(k.ip_proto, 6);
	CU_ASSERT_EQUAL(k.tp_dst, BE16(80));
	CU_ASSERT_EQUAL(k.tcp_flags, BE16(0x12));

	CU_ASSERT_EQUAL(dp_key_from_string("icmp6,icmp_type=135,icmp_code=0,nd_target=fe80::1",
					   &k, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k.eth_type, BE16(0x86dd));
	CU_ASSERT_EQUAL(k.ip_proto, 58);
	CU_ASSERT_EQUAL(k.tp_src, BE16(135));
	CU_ASSERT_EQUAL(k.nd_target[15], 1);

	CU_ASSERT_EQUAL(dp_key_from_string("ipv6,udp,ip_dst=2001:db8::2", &k, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k.eth_type, BE16(0x86dd));
	CU_ASSERT_EQUAL(k.ip_proto, 17);
	CU_ASSERT(memcmp(k.ip_dst, ip6_b, 16) == 0);

	CU_ASSERT_EQUAL(dp_key_from_string("arp,arp_op=2,ip_src=10.0.0.1,ip_dst=10.0.0.9/24,"
					   "eth_dst=ff:ff:ff:ff:ff:ff,vlan_tci=0x1064,ip_ttl=010",
					   &k, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(k.eth_type, BE16(0x0806));
	CU_ASSERT_EQUAL(k.arp_op, BE16(2));
	CU_ASSERT(memcmp(k.ip_src, ip4_a, 4) == 0);
	CU_ASSERT(memcmp(k.ip_dst, (uint8_t[4]){ 10, 0, 0, 0 }, 4) == 0);
	CU_ASSERT_EQUAL(k.vlan_tci, 0x1064);
	CU_ASSERT_EQUAL(k.ip_ttl, 10); /* decimal, not octal */
	CU_ASSERT_EQUAL(dp_key_from_string("", &k, err, sizeof(err)), 0);

	expect_err("foo=1", "unknown field 'foo'");
	expect_err("ip,bogus", "unknown field 'bogus'");
	expect_err("eth_src=zz", "bad MAC 'zz'");
	expect_err("eth_dst=00:11:22:33:44", "bad MAC '00:11:22:33:44'");
	expect_err("eth_dst=00:11:22:33:44:55:66", "bad MAC '00:11:22:33:44:55:66'");
	expect_err("ip_src=1.2.3", "bad IP address '1.2.3' for 'ip_src'");
	expect_err("tun_src=::1", "bad IPv4 address '::1' for 'tun_src'");
	expect_err("nd_target=1.2.3.4", "bad IPv6 address '1.2.3.4' for 'nd_target'");
	expect_err("ip_proto=256", "value '256' out of range for 'ip_proto'");
	expect_err("tp_src=abc", "bad value 'abc' for 'tp_src'");
	expect_err("tp_src=-1", "bad value '-1' for 'tp_src'");
	expect_err("tp_dst=0x", "bad value '0x' for 'tp_dst'");
	expect_err("icmp_type=300", "value '300' out of range for 'icmp_type'");
	expect_err("tp_src", "missing value for 'tp_src'");
	expect_err("tp_src=", "missing value for 'tp_src'");
	expect_err("ip_dst=10.0.0.1/33", "bad mask '33' for 'ip_dst'");
	expect_err("in_port=70000", "value '70000' out of range for 'in_port'");
}

/* Random garbage and mutated formats never crash the text parser. */
static void test_from_string_fuzz(void)
{
	static const char alphabet[] = "=,:./0123456789abcdefx_ inportiptcpvlan";
	struct dp_flow_key k;
	char s[96], err[64];

	srandom(777);
	for (int i = 0; i < 20000; i++) {
		int n = (int)(random() % (sizeof(s) - 1));

		for (int j = 0; j < n; j++)
			s[j] = alphabet[random() % (sizeof(alphabet) - 1)];
		s[n] = '\0';
		(void)dp_key_from_string(s, &k, err, sizeof(err));
	}
	CU_PASS("no crash");
}

/* ---- main ---------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "format", test_format }, { "round trip", test_roundtrip },
	{ "from_string", test_from_string }, { "from_string fuzz", test_from_string_fuzz },
};

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("dp_parse_fmt", NULL, NULL);
	for (unsigned i = 0; s && i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!CU_add_test(s, tests[i].name, tests[i].fn))
			s = NULL;
	if (!s) {
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
