/* SPDX-License-Identifier: BSD-3-Clause
 * ctrl/apps/dhcp_test.c — DHCPv4 message parse/build and the DHCP application's
 * answers, without EAL: round trips of every message type, option encoding
 * (121 with several routes, 26, 6, RFC 3396 splitting), malformed inputs
 * (each with its counted reason) and a fuzz run that must never crash.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "app_dhcp.h"
#include "dhcp_msg.h"
#include "lc.h"

static struct app_dhcp *D;   /* the application under test */
static const uint8_t cmac[6] = { 0x02, 0, 0, 0, 0, 0x11 };

static uint32_t A(const char *s)
{
	struct in_addr a;
	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* A client message as a frame: 68 -> 67, 0.0.0.0 -> 255.255.255.255. */
static size_t client_frame(uint8_t *buf, size_t cap, uint8_t type, uint32_t req_ip,
			   uint32_t ciaddr, uint32_t server_id)
{
	struct dhcp_msg m;
	memset(&m, 0, sizeof(m));
	m.op = 1;
	m.xid = htonl(0x12345678);
	m.type = type;
	m.ciaddr = ciaddr;
	m.requested_ip = req_ip;
	m.server_id = server_id;
	memcpy(m.chaddr, cmac, 6);
	m.n_prl = 4;
	m.prl[0] = 1, m.prl[1] = 3, m.prl[2] = 26, m.prl[3] = 121;
	struct dhcp_frame f = { .sport = 68, .dport = 67, .ip_src = ciaddr,
				.ip_dst = 0xffffffffu };
	memcpy(f.eth_src, cmac, 6);
	memset(f.eth_dst, 0xff, 6);
	return dhcp_build_frame(buf, cap, &f, &m);
}

static struct lc_dhcp_info info(void)
{
	struct lc_dhcp_info in;
	memset(&in, 0, sizeof(in));
	memcpy(in.mac, cmac, 6);
	in.ip = A("10.0.0.11");
	in.mask = A("255.255.255.0");
	in.gateway = A("10.0.0.1");
	in.server_id = in.gateway;
	in.broadcast = A("10.0.0.255");
	in.mtu = 1400;
	in.n_dns = 3;
	in.dns[0] = A("10.0.0.2"), in.dns[1] = A("8.8.8.8"), in.dns[2] = A("1.1.1.1");
	in.n_routes = 3;
	in.routes[0].dst = A("192.168.0.0"), in.routes[0].plen = 16, in.routes[0].gw = A("10.0.0.5");
	in.routes[1].dst = A("172.16.5.0"), in.routes[1].plen = 24, in.routes[1].gw = A("10.0.0.6");
	in.routes[2].dst = A("10.9.9.9"), in.routes[2].plen = 32, in.routes[2].gw = A("10.0.0.7");
	return in;
}

/* Answer a client message; parse the reply (server side).  Returns reply len. */
static size_t ask(uint8_t type, uint32_t req_ip, uint32_t ciaddr, uint32_t sid,
		  struct dhcp_frame *rf, struct dhcp_msg *rm)
{
	static uint8_t q[1500], out[2048];
	struct lc_dhcp_info in = info();
	size_t ql = client_frame(q, sizeof(q), type, req_ip, ciaddr, sid);
	CU_ASSERT_FATAL(ql > 0);
	size_t n = app_dhcp_answer(D, q, ql, &in, 0, out, sizeof(out));
	if (n)
		CU_ASSERT_EQUAL(dhcp_parse_frame(out, n, false, rf, rm), 0);
	return n;
}

static void test_client_roundtrip(void)
{
	static const uint8_t types[] = { DHCP_DISCOVER, DHCP_REQUEST, DHCP_DECLINE, DHCP_RELEASE,
					 DHCP_INFORM };
	for (unsigned i = 0; i < sizeof(types); i++) {
		uint8_t buf[1500];
		size_t n = client_frame(buf, sizeof(buf), types[i], A("10.0.0.11"), 0, A("10.0.0.1"));
		CU_ASSERT(n >= 14 + 20 + 8 + DHCP_MIN_BOOTP);
		struct dhcp_frame f;
		struct dhcp_msg m;
		CU_ASSERT_EQUAL(dhcp_parse_frame(buf, n, true, &f, &m), 0);
		CU_ASSERT_EQUAL(m.type, types[i]);
		CU_ASSERT_EQUAL(m.requested_ip, A("10.0.0.11"));
		CU_ASSERT_EQUAL(m.server_id, A("10.0.0.1"));
		CU_ASSERT_EQUAL(m.xid, htonl(0x12345678));
		CU_ASSERT_EQUAL(m.n_prl, 4);
		CU_ASSERT_EQUAL(memcmp(m.chaddr, cmac, 6), 0);
		CU_ASSERT_EQUAL(f.sport, 68);
		/* a client message is not a server message */
		CU_ASSERT_EQUAL(dhcp_parse_frame(buf, n, false, &f, &m), -DHCP_ERR_BAD_PORTS);
	}
}

static void check_options(const struct dhcp_msg *m, bool lease)
{
	CU_ASSERT_EQUAL(m->subnet_mask, A("255.255.255.0"));
	CU_ASSERT_EQUAL(m->router, A("10.0.0.1"));
	CU_ASSERT_EQUAL(m->server_id, A("10.0.0.1"));
	CU_ASSERT_EQUAL(m->broadcast, A("10.0.0.255"));
	CU_ASSERT(m->present & DHCP_HAS_MTU);
	CU_ASSERT_EQUAL(m->mtu, 1400);
	CU_ASSERT_EQUAL(m->n_dns, 3);
	CU_ASSERT_EQUAL(m->dns[1], A("8.8.8.8"));
	CU_ASSERT_EQUAL(m->dns[2], A("1.1.1.1"));
	/* 121: the default route via the gateway first, then the host routes */
	CU_ASSERT_EQUAL(m->n_routes, 4);
	CU_ASSERT_EQUAL(m->routes[0].plen, 0);
	CU_ASSERT_EQUAL(m->routes[0].gw, A("10.0.0.1"));
	CU_ASSERT_EQUAL(m->routes[1].dst, A("192.168.0.0"));
	CU_ASSERT_EQUAL(m->routes[1].plen, 16);
	CU_ASSERT_EQUAL(m->routes[2].dst, A("172.16.5.0"));
	CU_ASSERT_EQUAL(m->routes[3].plen, 32);
	CU_ASSERT_EQUAL(m->routes[3].gw, A("10.0.0.7"));
	CU_ASSERT_EQUAL(!!(m->present & DHCP_HAS_LEASE), lease);
	if (lease) {
		CU_ASSERT_EQUAL(m->lease, 86400);
		CU_ASSERT(m->t1 < m->t2 && m->t2 < m->lease);
	}
}

static void test_answers(void)
{
	struct dhcp_frame f;
	struct dhcp_msg m;
	struct app_dhcp_stats s0, s1;
	app_dhcp_get_stats(D, &s0);
	/* DISCOVER -> OFFER, unicast to yiaddr at the client MAC */
	CU_ASSERT(ask(DHCP_DISCOVER, 0, 0, 0, &f, &m) > 0);
	CU_ASSERT_EQUAL(m.type, DHCP_OFFER);
	CU_ASSERT_EQUAL(m.yiaddr, A("10.0.0.11"));
	CU_ASSERT_EQUAL(f.ip_dst, A("10.0.0.11"));
	CU_ASSERT_EQUAL(f.ip_src, A("10.0.0.1"));
	CU_ASSERT_EQUAL(memcmp(f.eth_dst, cmac, 6), 0);
	check_options(&m, true);
	/* REQUEST (selecting) for the port's IP -> ACK */
	CU_ASSERT(ask(DHCP_REQUEST, A("10.0.0.11"), 0, A("10.0.0.1"), &f, &m) > 0);
	CU_ASSERT_EQUAL(m.type, DHCP_ACK);
	CU_ASSERT_EQUAL(m.yiaddr, A("10.0.0.11"));
	check_options(&m, true);
	/* renewing: ciaddr set, unicast to it */
	CU_ASSERT(ask(DHCP_REQUEST, 0, A("10.0.0.11"), 0, &f, &m) > 0);
	CU_ASSERT_EQUAL(m.type, DHCP_ACK);
	CU_ASSERT_EQUAL(m.ciaddr, A("10.0.0.11"));
	CU_ASSERT_EQUAL(f.ip_dst, A("10.0.0.11"));
	/* another address -> NAK, broadcast */
	CU_ASSERT(ask(DHCP_REQUEST, A("10.0.0.99"), 0, 0, &f, &m) > 0);
	CU_ASSERT_EQUAL(m.type, DHCP_NAK);
	CU_ASSERT_EQUAL(m.yiaddr, 0);
	CU_ASSERT_EQUAL(f.ip_dst, 0xffffffffu);
	CU_ASSERT_EQUAL(f.eth_dst[0], 0xff);
	/* REQUEST for another server: ignored */
	CU_ASSERT_EQUAL(ask(DHCP_REQUEST, A("10.0.0.11"), 0, A("10.0.0.200"), &f, &m), 0);
	/* INFORM -> ACK without lease, to ciaddr */
	CU_ASSERT(ask(DHCP_INFORM, 0, A("10.0.0.11"), 0, &f, &m) > 0);
	CU_ASSERT_EQUAL(m.type, DHCP_ACK);
	CU_ASSERT_EQUAL(m.yiaddr, 0);
	CU_ASSERT_EQUAL(f.ip_dst, A("10.0.0.11"));
	check_options(&m, false);
	/* RELEASE, DECLINE: counted, no answer */
	CU_ASSERT_EQUAL(ask(DHCP_RELEASE, 0, A("10.0.0.11"), A("10.0.0.1"), &f, &m), 0);
	CU_ASSERT_EQUAL(ask(DHCP_DECLINE, A("10.0.0.11"), 0, A("10.0.0.1"), &f, &m), 0);
	app_dhcp_get_stats(D, &s1);
	CU_ASSERT_EQUAL(s1.offers - s0.offers, 1);
	CU_ASSERT_EQUAL(s1.acks - s0.acks, 3);
	CU_ASSERT_EQUAL(s1.naks - s0.naks, 1);
	CU_ASSERT_EQUAL(s1.ignored - s0.ignored, 1);
	CU_ASSERT_EQUAL(s1.rx[DHCP_RELEASE] - s0.rx[DHCP_RELEASE], 1);
	CU_ASSERT_EQUAL(s1.rx[DHCP_DECLINE] - s0.rx[DHCP_DECLINE], 1);
	CU_ASSERT_EQUAL(s1.rx[DHCP_REQUEST] - s0.rx[DHCP_REQUEST], 4);
}

static void test_refusals(void)
{
	uint8_t q[1500], out[2048];
	struct lc_dhcp_info in = info();
	struct app_dhcp_stats s0, s1;
	app_dhcp_get_stats(D, &s0);
	size_t ql = client_frame(q, sizeof(q), DHCP_DISCOVER, 0, 0, 0);
	CU_ASSERT_EQUAL(app_dhcp_answer(D, q, ql, NULL, -ENOENT, out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(app_dhcp_answer(D, q, ql, NULL, -ENODATA, out, sizeof(out)), 0);
	in.mac[5] ^= 1;   /* chaddr is not the port's MAC */
	CU_ASSERT_EQUAL(app_dhcp_answer(D, q, ql, &in, 0, out, sizeof(out)), 0);
	in = info();
	CU_ASSERT_EQUAL(app_dhcp_answer(D, q, ql, &in, 0, out, 100), 0);   /* no room */
	/* broadcast flag: reply to 255.255.255.255 */
	q[14 + 20 + 8 + 10] = 0x80;
	struct dhcp_frame f;
	struct dhcp_msg m;
	/* (the UDP checksum is not checked by the parser) */
	size_t n = app_dhcp_answer(D, q, ql, &in, 0, out, sizeof(out));
	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(dhcp_parse_frame(out, n, false, &f, &m), 0);
	CU_ASSERT_EQUAL(f.ip_dst, 0xffffffffu);
	CU_ASSERT_EQUAL(m.flags, 0x8000);
	app_dhcp_get_stats(D, &s1);
	CU_ASSERT_EQUAL(s1.no_lport - s0.no_lport, 1);
	CU_ASSERT_EQUAL(s1.no_data - s0.no_data, 1);
	CU_ASSERT_EQUAL(s1.mac_mismatch - s0.mac_mismatch, 1);
	CU_ASSERT_EQUAL(s1.tx_errors - s0.tx_errors, 1);
}

static void test_route_encoding(void)
{
	/* RFC 3442 examples: 0/0 via 10.0.0.1; 10.0.0.0/8; 10.17.0.0/16;
	 * 10.27.129.0/24; 10.229.0.128/25; 10.198.122.47/32 */
	struct dhcp_route r[] = {
		{ A("0.0.0.0"), 0, A("10.0.0.1") },       { A("10.0.0.0"), 8, A("1.2.3.4") },
		{ A("10.17.0.0"), 16, A("1.2.3.4") },     { A("10.27.129.0"), 24, A("1.2.3.4") },
		{ A("10.229.0.128"), 25, A("1.2.3.4") },  { A("10.198.122.47"), 32, A("1.2.3.4") },
	};
	uint8_t b[128];
	size_t n = dhcp_encode_routes(b, sizeof(b), r, 6);
	static const uint8_t want_head[] = { 0, 10, 0, 0, 1, 8, 10, 1, 2, 3, 4,
					     16, 10, 17, 1, 2, 3, 4 };
	CU_ASSERT_EQUAL(n, 5 + 6 + 7 + 8 + 9 + 9);
	CU_ASSERT_EQUAL(memcmp(b, want_head, sizeof(want_head)), 0);
	CU_ASSERT_EQUAL(b[5 + 6 + 7 + 8], 25);
	CU_ASSERT_EQUAL(b[5 + 6 + 7 + 8 + 4], 128);
	struct dhcp_route d[8];
	uint8_t nd;
	CU_ASSERT_EQUAL(dhcp_decode_routes(b, n, d, 8, &nd), 0);
	CU_ASSERT_EQUAL(nd, 6);
	CU_ASSERT_EQUAL(memcmp(d, r, sizeof(r)), 0);
	CU_ASSERT_EQUAL(dhcp_encode_routes(b, 10, r, 6), 0);      /* no room */
	CU_ASSERT(dhcp_decode_routes(b, n - 1, d, 8, &nd) < 0);   /* cut short */
	uint8_t bad[] = { 33, 1, 2, 3, 4, 1, 2, 3, 4 };
	CU_ASSERT(dhcp_decode_routes(bad, sizeof(bad), d, 8, &nd) < 0);
	/* 30 routes of /32: 270 bytes -> 121 split in two instances (RFC 3396),
	 * parsed back as one */
	struct dhcp_msg m, p;
	memset(&m, 0, sizeof(m));
	m.op = 2, m.type = DHCP_ACK, m.present = DHCP_HAS_ROUTES;
	for (unsigned i = 0; i < 30; i++)
		m.routes[m.n_routes++] = (struct dhcp_route){ htonl(0x0a630000 + i), 32,
							      A("10.0.0.9") };
	uint8_t buf[2048];
	size_t bl = dhcp_build(buf, sizeof(buf), &m);
	CU_ASSERT(bl > 2 * 270);
	CU_ASSERT_EQUAL(dhcp_parse(buf, bl, &p), 0);
	CU_ASSERT_EQUAL(p.n_routes, 30);
	CU_ASSERT_EQUAL(p.routes[29].dst, htonl(0x0a630000 + 29));
}

static void test_mtu_dns(void)
{
	struct dhcp_msg m, p;
	memset(&m, 0, sizeof(m));
	m.op = 2, m.type = DHCP_OFFER;
	m.present = DHCP_HAS_MTU;
	m.mtu = 9000;
	m.n_dns = DHCP_MAX_DNS;
	for (unsigned i = 0; i < DHCP_MAX_DNS; i++)
		m.dns[i] = htonl(0x08080800 + i);
	snprintf(m.domain, sizeof(m.domain), "example.org");
	uint8_t buf[1024];
	size_t n = dhcp_build(buf, sizeof(buf), &m);
	CU_ASSERT_EQUAL(n, DHCP_MIN_BOOTP);   /* padded */
	CU_ASSERT_EQUAL(dhcp_parse(buf, n, &p), 0);
	CU_ASSERT_EQUAL(p.mtu, 9000);
	CU_ASSERT_EQUAL(p.n_dns, DHCP_MAX_DNS);
	CU_ASSERT_EQUAL(p.dns[7], htonl(0x08080807));
	CU_ASSERT_STRING_EQUAL(p.domain, "example.org");
	/* option 26 bytes on the wire: 26 2 0x23 0x28 */
	bool found = false;
	for (size_t i = 240; i + 3 < n; i++)
		if (buf[i] == 26 && buf[i + 1] == 2 && buf[i + 2] == 0x23 && buf[i + 3] == 0x28)
			found = true;
	CU_ASSERT(found);
}

/* A minimal BOOTP request with the given options bytes after the cookie. */
static size_t raw_bootp(uint8_t *b, const uint8_t *opts, size_t olen)
{
	memset(b, 0, DHCP_BOOTP_FIXED);
	b[0] = 1, b[1] = 1, b[2] = 6;
	memcpy(b + 28, cmac, 6);
	b[236] = 0x63, b[237] = 0x82, b[238] = 0x53, b[239] = 0x63;
	memcpy(b + 240, opts, olen);
	return 240 + olen;
}

static void test_malformed(void)
{
	uint8_t b[4096];
	struct dhcp_msg m;
	static const uint8_t ok[] = { 53, 1, 1, 255 };
	size_t n = raw_bootp(b, ok, sizeof(ok));
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), 0);
	/* truncated BOOTP */
	CU_ASSERT_EQUAL(dhcp_parse(b, 200, &m), -DHCP_ERR_TRUNC_BOOTP);
	CU_ASSERT_EQUAL(dhcp_parse(b, 239, &m), -DHCP_ERR_TRUNC_BOOTP);
	CU_ASSERT_EQUAL(dhcp_parse(NULL, 0, &m), -DHCP_ERR_TRUNC_BOOTP);
	/* bad magic cookie */
	b[239] = 0x64;
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), -DHCP_ERR_BAD_COOKIE);
	/* bad hardware type */
	n = raw_bootp(b, ok, sizeof(ok));
	b[2] = 16;
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), -DHCP_ERR_BAD_HDR);
	/* option length beyond the end */
	static const uint8_t overrun[] = { 53, 1, 1, 12, 200, 'a', 'b' };
	n = raw_bootp(b, overrun, sizeof(overrun));
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), -DHCP_ERR_OPT_OVERRUN);
	static const uint8_t nolen[] = { 53, 1, 1, 12 };
	n = raw_bootp(b, nolen, sizeof(nolen));
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), -DHCP_ERR_OPT_OVERRUN);
	/* missing END */
	static const uint8_t noend[] = { 53, 1, 1, 0, 0 };
	n = raw_bootp(b, noend, sizeof(noend));
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), -DHCP_ERR_NO_END);
	/* pads anywhere are fine */
	static const uint8_t pads[] = { 0, 0, 53, 1, 3, 0, 50, 4, 10, 0, 0, 11, 0, 255, 7, 7 };
	n = raw_bootp(b, pads, sizeof(pads));
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), 0);
	CU_ASSERT_EQUAL(m.type, DHCP_REQUEST);
	CU_ASSERT_EQUAL(m.requested_ip, A("10.0.0.11"));
	/* wrong fixed lengths */
	static const uint8_t badlen[] = { 53, 2, 1, 1, 255 };
	n = raw_bootp(b, badlen, sizeof(badlen));
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), -DHCP_ERR_BAD_OPT);
	static const uint8_t badmtu[] = { 53, 1, 1, 26, 2, 0, 10, 255 };
	n = raw_bootp(b, badmtu, sizeof(badmtu));
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), -DHCP_ERR_BAD_OPT);
	/* no message type / unknown type */
	static const uint8_t notype[] = { 50, 4, 10, 0, 0, 11, 255 };
	n = raw_bootp(b, notype, sizeof(notype));
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), -DHCP_ERR_NO_TYPE);
	static const uint8_t badtype[] = { 53, 1, 99, 255 };
	n = raw_bootp(b, badtype, sizeof(badtype));
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), -DHCP_ERR_BAD_TYPE);
	/* option overload: message type in the file field */
	static const uint8_t ovl[] = { 52, 1, 1, 255 };
	n = raw_bootp(b, ovl, sizeof(ovl));
	b[108] = 53, b[109] = 1, b[110] = DHCP_INFORM, b[111] = 255;
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), 0);
	CU_ASSERT_EQUAL(m.type, DHCP_INFORM);
	CU_ASSERT_EQUAL(m.overload, 1);
	b[109] = 200;   /* overrun inside the file field */
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), -DHCP_ERR_OPT_OVERRUN);
	static const uint8_t badovl[] = { 52, 1, 9, 53, 1, 1, 255 };
	n = raw_bootp(b, badovl, sizeof(badovl));
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), -DHCP_ERR_BAD_OPT);
	/* huge option count: 1000 zero-length options */
	uint8_t many[3000];
	size_t k = 0;
	many[k++] = 53, many[k++] = 1, many[k++] = 1;
	for (unsigned i = 0; i < 1000; i++)
		many[k++] = 250, many[k++] = 0;
	many[k++] = 255;
	n = raw_bootp(b, many, k);
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), -DHCP_ERR_TOO_MANY_OPTS);
	/* oversized 121 (more than 1 KB of routes in 5 instances) */
	k = 0;
	many[k++] = 53, many[k++] = 1, many[k++] = 1;
	for (unsigned i = 0; i < 5; i++) {
		many[k++] = 121, many[k++] = 252;
		for (unsigned j = 0; j < 28; j++) {
			many[k++] = 32;
			memset(many + k, 10, 8);
			k += 8;
		}
	}
	many[k++] = 255;
	n = raw_bootp(b, many, k);
	CU_ASSERT_EQUAL(dhcp_parse(b, n, &m), -DHCP_ERR_BAD_OPT);
	/* frames: not IPv4, not UDP, bad IHL, UDP length past the end, fragment */
	uint8_t fr[1500];
	size_t fl = client_frame(fr, sizeof(fr), DHCP_DISCOVER, 0, 0, 0);
	struct dhcp_frame f;
	CU_ASSERT_EQUAL(dhcp_parse_frame(fr, fl, true, &f, &m), 0);
	CU_ASSERT_EQUAL(dhcp_parse_frame(fr, 40, true, &f, &m), -DHCP_ERR_TRUNC_FRAME);
	CU_ASSERT_EQUAL(dhcp_parse_frame(fr, 100, true, &f, &m), -DHCP_ERR_BAD_IP);
	fr[12] = 0x86;
	CU_ASSERT_EQUAL(dhcp_parse_frame(fr, fl, true, &f, &m), -DHCP_ERR_NOT_IPV4);
	fr[12] = 0x08, fr[23] = 6;
	CU_ASSERT_EQUAL(dhcp_parse_frame(fr, fl, true, &f, &m), -DHCP_ERR_NOT_UDP);
	fr[23] = 17, fr[14] = 0x44;
	CU_ASSERT_EQUAL(dhcp_parse_frame(fr, fl, true, &f, &m), -DHCP_ERR_BAD_IP);
	fr[14] = 0x45, fr[20] = 0x20;
	CU_ASSERT_EQUAL(dhcp_parse_frame(fr, fl, true, &f, &m), -DHCP_ERR_BAD_IP);
	fr[20] = 0, fr[38] = 0xff;
	CU_ASSERT_EQUAL(dhcp_parse_frame(fr, fl, true, &f, &m), -DHCP_ERR_BAD_UDP);
	/* the app counts them */
	struct app_dhcp_stats s0, s1;
	app_dhcp_get_stats(D, &s0);
	uint8_t out[2048];
	struct lc_dhcp_info in = info();
	CU_ASSERT_EQUAL(app_dhcp_answer(D, fr, fl, &in, 0, out, sizeof(out)), 0);
	app_dhcp_get_stats(D, &s1);
	CU_ASSERT_EQUAL(s1.malformed_total - s0.malformed_total, 1);
	CU_ASSERT_EQUAL(s1.malformed[DHCP_ERR_BAD_UDP] - s0.malformed[DHCP_ERR_BAD_UDP], 1);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void test_fuzz(void)
{
	uint8_t good[1500], fr[1600], out[2048];
	size_t gl = client_frame(good, sizeof(good), DHCP_REQUEST, A("10.0.0.11"), 0,
				 A("10.0.0.1"));
	struct lc_dhcp_info in = info();
	struct app_dhcp_stats s0, s1;
	app_dhcp_get_stats(D, &s0);
	unsigned answered = 0, rejected = 0, n = 100000;
	for (unsigned it = 0; it < n; it++) {
		size_t len;
		if (it % 4 == 0) {               /* random bytes behind valid headers */
			len = 42 + rnd() % 1400;
			memcpy(fr, good, 42);
			for (size_t i = 42; i < len; i++)
				fr[i] = (uint8_t)rnd();
			if (len > 42 + 240) {
				fr[42 + 236] = 0x63, fr[42 + 237] = 0x82;
				fr[42 + 238] = 0x53, fr[42 + 239] = 0x63;
			}
		} else {                          /* a few mutations of a good frame */
			len = gl;
			memcpy(fr, good, gl);
			unsigned k = 1 + rnd() % 8;
			for (unsigned j = 0; j < k; j++)
				fr[rnd() % (42 + 260 < len ? 42 + 260 : len)] = (uint8_t)rnd();
			if (rnd() % 3 == 0)
				len = rnd() % (len + 1);
		}
		size_t r = app_dhcp_answer(D, fr, len, &in, 0, out, sizeof(out));
		if (r) {
			struct dhcp_frame f;
			struct dhcp_msg m;
			CU_ASSERT_EQUAL(dhcp_parse_frame(out, r, false, &f, &m), 0);
			answered++;
		} else {
			rejected++;
		}
	}
	app_dhcp_get_stats(D, &s1);
	printf("\n  fuzz: %u inputs, %u answered, %u not (malformed %llu)\n", n, answered,
	       rejected, (unsigned long long)(s1.malformed_total - s0.malformed_total));
	CU_ASSERT(s1.malformed_total - s0.malformed_total > n / 2);
	CU_ASSERT_EQUAL(answered + rejected, n);
}

int main(void)
{
	D = app_dhcp_create();
	if (D == NULL)
		return 1;
	CU_initialize_registry();
	CU_pSuite s = CU_add_suite("dhcp", NULL, NULL);
	CU_add_test(s, "client messages round trip", test_client_roundtrip);
	CU_add_test(s, "offer/ack/nak/inform answers", test_answers);
	CU_add_test(s, "no lport, no data, MAC mismatch, broadcast flag", test_refusals);
	CU_add_test(s, "option 121 encoding (RFC 3442, RFC 3396 split)", test_route_encoding);
	CU_add_test(s, "options 26, 6, 15", test_mtu_dns);
	CU_add_test(s, "malformed inputs are counted drops", test_malformed);
	CU_add_test(s, "fuzz 100k inputs", test_fuzz);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	app_dhcp_destroy(D);
	return failed ? 1 : 0;
}
