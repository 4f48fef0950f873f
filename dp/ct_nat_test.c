/* SPDX-License-Identifier: BSD-3-Clause
 * dp/ct_nat_test.c — conntrack NAT: real frames with correct checksums go
 * through dp_ct_process() with ct(commit,nat(src|dst=...)) / ct(nat), and
 * what comes out is checked field by field and with every checksum
 * recomputed from scratch (rte_ipv4_cksum, rte_ipv4_udptcp_cksum,
 * rte_raw_cksum): SNAT of TCP, UDP and ICMP echo and their replies, DNAT,
 * port kept / collision / exhaustion (bounded, counted), ICMP errors
 * translated outer and inner, expiry and flush freeing the tuple, two
 * threads committing the same connections, the action's text form, trace.
 */
#include <pthread.h>

#include <rte_malloc.h>

#include "test_main.h"
#include "ct_nat_test_util.h"
#include "actions.h"

/* ---- tests --------------------------------------------------------------- */

static void test_snat_tcp(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = snat(1, EXT, EXT, 1024, 65535);
	struct tpk p;
	struct out o;
	struct dp_ct_entry e;
	struct dp_ct_stats st;
	char buf[128];

	/* SYN: source 10.0.0.1:40000 -> 203.0.113.10:40000 (kept: free, in range) */
	mk_tcp(&p, h10(A), h10(B), 40000, 80, TH_SYN, 1000, 0);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	CU_ASSERT_EQUAL(o.nat, DP_CT_NAT_SRC);
	CU_ASSERT_EQUAL(f_src(&o.f, 14), EXT);
	CU_ASSERT_EQUAL(f_dst(&o.f, 14), h10(B));
	CU_ASSERT_EQUAL(f_u16(&o.f, 34), 40000);
	CU_ASSERT_EQUAL(f_u16(&o.f, 36), 80);
	CU_ASSERT(csums_ok(o.f.b, 14, false));
	CU_ASSERT_EQUAL(k_src(&o.k), EXT);
	CU_ASSERT_EQUAL(ntohs(o.k.tp_src), 40000);
	/* SYN-ACK to the external address: de-NAT to 10.0.0.1 */
	mk_tcp(&p, h10(B), EXT, 80, 40000, TH_SYN | TH_ACK, 5000, 1001);
	CU_ASSERT_EQUAL(run(ct, 0, &nat_commit, &p, &o), CS_RPL);
	CU_ASSERT_EQUAL(o.nat, DP_CT_NAT_DST);
	CU_ASSERT_EQUAL(f_dst(&o.f, 14), h10(A));
	CU_ASSERT_EQUAL(f_src(&o.f, 14), h10(B));
	CU_ASSERT_EQUAL(f_u16(&o.f, 36), 40000);
	CU_ASSERT(csums_ok(o.f.b, 14, false));
	CU_ASSERT_EQUAL(k_dst(&o.k), h10(A));
	/* third ACK: established, translated again */
	mk_tcp(&p, h10(A), h10(B), 40000, 80, TH_ACK, 1001, 5001);
	CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &p, &o), CS_EST);
	CU_ASSERT_EQUAL(f_src(&o.f, 14), EXT);
	CU_ASSERT(csums_ok(o.f.b, 14, false));
	/* without nat in the action: tracked, not rewritten (as OVS) */
	struct dp_ct_action plain = { .zone = 1 };
	CU_ASSERT_EQUAL(run(ct, 0, &plain, &p, &o), CS_EST);
	CU_ASSERT_EQUAL(o.nat, 0);
	CU_ASSERT_EQUAL(f_src(&o.f, 14), h10(A));
	CU_ASSERT_EQUAL(memcmp(o.f.b, p.b, p.n), 0);
	/* a reply to the internal address is not this connection's */
	mk_tcp(&p, h10(B), h10(A), 80, 40000, TH_ACK, 5001, 1011);
	CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &p, &o) & DP_CS_INV, DP_CS_INV);
	/* the dump shows both tuples */
	CU_ASSERT_EQUAL_FATAL(t_dump1(ct, 1, &e), 1);
	CU_ASSERT_EQUAL(e.nat, DP_CT_NAT_SRC);
	dp_ct_key_fmt(&e.orig, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "zone=1 tcp 10.0.0.1:40000->10.0.0.2:80");
	dp_ct_key_fmt(&e.reply, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "zone=1 tcp 10.0.0.2:80->203.0.113.10:40000");
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.nat_conns, 1);
	CU_ASSERT_EQUAL(st.nat_rewritten, 3);
	CU_ASSERT_EQUAL(st.nat_exhausted, 0);
	dp_ct_destroy(ct);
}

static void test_snat_udp(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = snat(1, EXT, EXT, 0, 0);
	struct tpk p;
	struct out o;

	for (int z = 0; z < 2; z++) {  /* with a checksum, then with none (0) */
		uint16_t sp = (uint16_t)(5353 + z);
		mk_udp(&p, h10(A), h10(B), sp, 53, z == 1);
		CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
		CU_ASSERT_EQUAL(f_src(&o.f, 14), EXT);
		CU_ASSERT_EQUAL(f_u16(&o.f, 34), sp);   /* 0-0: the port kept */
		CU_ASSERT(csums_ok(o.f.b, 14, false));
		CU_ASSERT_EQUAL(f_u16(&o.f, 40) == 0, z == 1);   /* none stays none */
		mk_udp(&p, h10(B), EXT, 53, sp, z == 1);
		CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &p, &o), CS_RPL);
		CU_ASSERT_EQUAL(f_dst(&o.f, 14), h10(A));
		CU_ASSERT_EQUAL(f_u16(&o.f, 36), sp);
		CU_ASSERT(csums_ok(o.f.b, 14, false));
		/* established, the lock-free path: still translated */
		CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &p, &o), CS_RPL);
		CU_ASSERT_EQUAL(f_dst(&o.f, 14), h10(A));
		mk_udp(&p, h10(A), h10(B), sp, 53, z == 1);
		CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &p, &o), CS_EST);
		CU_ASSERT_EQUAL(f_src(&o.f, 14), EXT);
		CU_ASSERT(csums_ok(o.f.b, 14, false));
	}
	dp_ct_destroy(ct);
}

static void test_snat_icmp(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = snat(1, EXT, EXT, 0, 0);
	struct tpk p;
	struct out o;
	uint16_t id2;

	mk_echo(&p, h10(A), h10(B), 8, 77);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	CU_ASSERT_EQUAL(f_src(&o.f, 14), EXT);
	CU_ASSERT_EQUAL(f_u16(&o.f, 38), 77);          /* the identifier kept */
	CU_ASSERT(csums_ok(o.f.b, 14, false));
	/* another host, same identifier, same peer: another identifier */
	mk_echo(&p, h10(C), h10(B), 8, 77);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	CU_ASSERT_EQUAL(f_src(&o.f, 14), EXT);
	id2 = f_u16(&o.f, 38);
	CU_ASSERT_NOT_EQUAL(id2, 77);
	CU_ASSERT(csums_ok(o.f.b, 14, false));
	/* the replies go to their own hosts, identifiers restored */
	mk_echo(&p, h10(B), EXT, 0, id2);
	CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &p, &o), CS_RPL);
	CU_ASSERT_EQUAL(f_dst(&o.f, 14), h10(C));
	CU_ASSERT_EQUAL(f_u16(&o.f, 38), 77);
	CU_ASSERT(csums_ok(o.f.b, 14, false));
	mk_echo(&p, h10(B), EXT, 0, 77);
	CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &p, &o), CS_RPL);
	CU_ASSERT_EQUAL(f_dst(&o.f, 14), h10(A));
	CU_ASSERT(csums_ok(o.f.b, 14, false));
	/* a port range is for TCP/UDP: an identifier stays as it is */
	struct dp_ct_action r = snat(1, EXT, EXT, 5000, 5001);
	mk_echo(&p, h10(A), h10(R), 8, 99);
	CU_ASSERT_EQUAL(run(ct, 0, &r, &p, &o), CS_NEW);
	CU_ASSERT_EQUAL(f_u16(&o.f, 38), 99);
	dp_ct_destroy(ct);
}

static void test_dnat(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = { .zone = 1, .commit = true, .nat = true,
				  .nat_cfg = { .kind = DP_CT_NAT_DST, .addr_min = h10(5),
					       .addr_max = h10(5) } };
	struct tpk p;
	struct out o;

	/* the Internet to the floating IP: to 10.0.0.5, port kept */
	mk_tcp(&p, UP, FIP, 5555, 80, TH_SYN, 1, 0);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	CU_ASSERT_EQUAL(o.nat, DP_CT_NAT_DST);
	CU_ASSERT_EQUAL(f_dst(&o.f, 14), h10(5));
	CU_ASSERT_EQUAL(f_src(&o.f, 14), UP);
	CU_ASSERT_EQUAL(f_u16(&o.f, 36), 80);
	CU_ASSERT_EQUAL(k_dst(&o.k), h10(5));
	CU_ASSERT(csums_ok(o.f.b, 14, false));
	/* the VM answers: from the floating IP */
	mk_tcp(&p, h10(5), UP, 80, 5555, TH_SYN | TH_ACK, 900, 2);
	CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &p, &o), CS_RPL);
	CU_ASSERT_EQUAL(o.nat, DP_CT_NAT_SRC);
	CU_ASSERT_EQUAL(f_src(&o.f, 14), FIP);
	CU_ASSERT_EQUAL(f_u16(&o.f, 34), 80);
	CU_ASSERT_EQUAL(k_src(&o.k), FIP);
	CU_ASSERT(csums_ok(o.f.b, 14, false));
	/* UDP to the floating IP, then an ICMP port unreachable from the VM:
	 * outer source and the quoted destination back to the floating IP */
	struct tpk u, err;
	mk_udp(&u, UP, FIP, 4444, 53, false);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &u, &o), CS_NEW);
	CU_ASSERT_EQUAL(f_dst(&o.f, 14), h10(5));
	mk_err(&err, h10(5), UP, 3, 3, &o.f, 1000);  /* quotes the translated datagram */
	CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &err, &o), CS_REL | DP_CS_RPL);
	CU_ASSERT_EQUAL(o.nat, DP_CT_NAT_SRC);
	CU_ASSERT_EQUAL(f_src(&o.f, 14), FIP);
	CU_ASSERT_EQUAL(f_dst(&o.f, 14), UP);
	CU_ASSERT_EQUAL(f_src(&o.f, 42), UP);         /* the quote, as UP sent it */
	CU_ASSERT_EQUAL(f_dst(&o.f, 42), FIP);
	CU_ASSERT_EQUAL(f_u16(&o.f, 64), 53);
	CU_ASSERT_EQUAL(memcmp(o.f.b + 42, u.b + 14, u.n - 14), 0);
	CU_ASSERT(csums_ok(o.f.b, 14, true));
	dp_ct_destroy(ct);
}

static void test_collision(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = snat(1, EXT, EXT, 1024, 65535);
	struct tpk p;
	struct out o;
	uint16_t p2;

	mk_tcp(&p, h10(A), h10(B), 40000, 80, TH_SYN, 1, 0);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	CU_ASSERT_EQUAL(f_u16(&o.f, 34), 40000);
	/* the same source port from another host to the same server */
	mk_tcp(&p, h10(C), h10(B), 40000, 80, TH_SYN, 1, 0);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	CU_ASSERT_EQUAL(f_src(&o.f, 14), EXT);
	p2 = f_u16(&o.f, 34);
	CU_ASSERT_NOT_EQUAL(p2, 40000);
	CU_ASSERT(p2 >= 1024);
	CU_ASSERT(csums_ok(o.f.b, 14, false));
	/* to another server the port is free again: kept */
	mk_tcp(&p, h10(C), h10(R), 40000, 80, TH_SYN, 1, 0);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	CU_ASSERT_EQUAL(f_u16(&o.f, 34), 40000);
	/* an original port out of the range is not kept */
	mk_tcp(&p, h10(A), h10(B), 80, 80, TH_SYN, 1, 0);
	struct dp_ct_action lo = snat(1, EXT, EXT, 2000, 2999);
	CU_ASSERT_EQUAL(run(ct, 0, &lo, &p, &o), CS_NEW);
	CU_ASSERT(f_u16(&o.f, 34) >= 2000 && f_u16(&o.f, 34) <= 2999);
	/* an address range: the address is in it */
	mk_udp(&p, h10(A), h10(B), 7, 7, false);
	struct dp_ct_action ar = snat(1, ip4(203, 0, 113, 100), ip4(203, 0, 113, 103), 0, 0);
	CU_ASSERT_EQUAL(run(ct, 0, &ar, &p, &o), CS_NEW);
	CU_ASSERT(ntohl(f_src(&o.f, 14)) >= ntohl(ip4(203, 0, 113, 100)) &&
		  ntohl(f_src(&o.f, 14)) <= ntohl(ip4(203, 0, 113, 103)));
	CU_ASSERT(csums_ok(o.f.b, 14, false));

	/* SNAT onto a host's own address: 10.0.0.3:40001 goes out as
	 * 10.0.0.1:40001.  A plain commit of 10.0.0.1:40001 -> 10.0.0.2:80
	 * would take that reply key: refused (inv), the NAT connection keeps
	 * it (with no NAT connection live, commits skip that re-lookup) */
	struct dp_ct_action onto = snat(1, h10(A), h10(A), 0, 0);
	struct dp_ct_action plain = { .zone = 1, .commit = true };
	mk_tcp(&p, h10(C), h10(B), 40001, 80, TH_SYN, 1, 0);
	CU_ASSERT_EQUAL(run(ct, 0, &onto, &p, &o), CS_NEW);
	CU_ASSERT_EQUAL(f_src(&o.f, 14), h10(A));
	CU_ASSERT_EQUAL(f_u16(&o.f, 34), 40001);
	mk_tcp(&p, h10(A), h10(B), 40001, 80, TH_SYN, 1, 0);
	CU_ASSERT_EQUAL(run(ct, 0, &plain, &p, &o), CS_INV);
	mk_tcp(&p, h10(B), h10(A), 80, 40001, TH_SYN | TH_ACK, 7, 2);
	CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &p, &o), CS_RPL);
	CU_ASSERT_EQUAL(f_dst(&o.f, 14), h10(C));
	dp_ct_destroy(ct);
}

static void test_exhaustion(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = snat(1, EXT, EXT, 5000, 5001);
	struct dp_ct_stats st;
	struct tpk p;
	struct out o;
	bool used[2] = { false, false };

	for (uint8_t h = 10; h < 12; h++) {
		mk_udp(&p, h10(h), h10(B), 9999, 53, false);
		CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
		uint16_t pt = f_u16(&o.f, 34);
		CU_ASSERT_FATAL(pt == 5000 || pt == 5001);
		CU_ASSERT(!used[pt - 5000]);
		used[pt - 5000] = true;
	}
	/* the range is full: inv, nothing committed, counted */
	mk_udp(&p, h10(12), h10(B), 9999, 53, false);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_INV);
	CU_ASSERT_EQUAL(memcmp(o.f.b, p.b, p.n), 0);      /* not rewritten */
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.nat_exhausted, 1);
	CU_ASSERT_EQUAL(st.conns, 2);
	/* to another destination the same two ports serve again */
	mk_udp(&p, h10(12), h10(C), 9999, 53, false);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	/* an empty range is refused the same way */
	struct dp_ct_action bad = snat(1, EXT, ip4(203, 0, 113, 1), 0, 0);
	mk_udp(&p, h10(13), h10(C), 9999, 53, false);
	CU_ASSERT_EQUAL(run(ct, 0, &bad, &p, &o), CS_INV);

	/* a range larger than the bound: 200 clients over 100 ports, each
	 * commit probes at most DP_CT_NAT_TRIES tuples, so some fail before
	 * the range is full; none shares a port */
	struct dp_ct_action big = snat(2, EXT, EXT, 10000, 10099);
	uint8_t seen[100] = { 0 };
	unsigned ok = 0, inv = 0;
	for (unsigned i = 0; i < 200; i++) {
		mk_udp(&p, ip4(10, 1, (uint8_t)(i >> 8), (uint8_t)i), h10(B), 9999, 53, false);
		if (run(ct, 0, &big, &p, &o) == CS_NEW) {
			uint16_t pt = f_u16(&o.f, 34);
			CU_ASSERT_FATAL(pt >= 10000 && pt <= 10099);
			CU_ASSERT(seen[pt - 10000]++ == 0);
			ok++;
		} else {
			inv++;
		}
	}
	dp_ct_stats_get(ct, &st);
	CU_ASSERT(ok <= 100 && ok >= 50);
	CU_ASSERT_EQUAL(st.nat_exhausted, 2 + inv);
	CU_ASSERT_EQUAL(dp_ct_zone_count(ct, 2), ok);
	dp_ct_destroy(ct);
}

static void test_icmp_error(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = snat(1, EXT, EXT, 1024, 65535);
	struct tpk syn, err, tsyn;
	struct out o;
	uint32_t quotes[2] = { 28, 1000 };

	mk_tcp(&syn, h10(A), h10(B), 40000, 80, TH_SYN, 1000, 0);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &syn, &o), CS_NEW);
	tsyn = o.f;                                     /* as it left: 203.0.113.10 */
	for (int q = 0; q < 2; q++) {
		/* a router on the way: time exceeded to the SNAT address */
		mk_err(&err, ip4(192, 0, 2, 1), EXT, 11, 0, &tsyn, quotes[q]);
		CU_ASSERT(csums_ok(err.b, 14, q == 1));
		CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &err, &o), CS_REL | DP_CS_RPL);
		CU_ASSERT_EQUAL(o.nat, DP_CT_NAT_DST);
		CU_ASSERT_EQUAL(f_dst(&o.f, 14), h10(A));      /* outer */
		CU_ASSERT_EQUAL(f_src(&o.f, 14), ip4(192, 0, 2, 1));
		CU_ASSERT_EQUAL(k_dst(&o.k), h10(A));
		CU_ASSERT_EQUAL(f_src(&o.f, 42), h10(A));      /* inner, as A sent it */
		CU_ASSERT_EQUAL(f_dst(&o.f, 42), h10(B));
		CU_ASSERT_EQUAL(f_u16(&o.f, 62), 40000);
		CU_ASSERT(csums_ok(o.f.b, 14, q == 1));
		if (q == 1) /* the whole quote is A's SYN again, checksums too */
			CU_ASSERT_EQUAL(memcmp(o.f.b + 42, syn.b + 14, syn.n - 14), 0);
	}
	/* quoting a port that is not the connection's: not related */
	struct tpk other = tsyn;
	other.b[34] ^= 1;
	mk_err(&err, ip4(192, 0, 2, 1), EXT, 11, 0, &other, 28);
	CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &err, &o), CS_INV);
	CU_ASSERT_EQUAL(memcmp(o.f.b, err.b, err.n), 0);
	/* without nat in the action: related, untouched */
	struct dp_ct_action plain = { .zone = 1 };
	mk_err(&err, ip4(192, 0, 2, 1), EXT, 11, 0, &tsyn, 28);
	CU_ASSERT_EQUAL(run(ct, 0, &plain, &err, &o), CS_REL | DP_CS_RPL);
	CU_ASSERT_EQUAL(memcmp(o.f.b, err.b, err.n), 0);

	/* an echo through SNAT, time exceeded quoting it: identifier back */
	struct tpk ping, tping;
	mk_echo(&ping, h10(C), h10(B), 8, 77);
	mk_echo(&tping, h10(A), h10(B), 8, 77);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &tping, &o), CS_NEW);   /* A has id 77 */
	CU_ASSERT_EQUAL(run(ct, 0, &a, &ping, &o), CS_NEW);    /* C gets another */
	tping = o.f;
	CU_ASSERT_NOT_EQUAL(f_u16(&tping, 38), 77);
	mk_err(&err, ip4(192, 0, 2, 1), EXT, 11, 0, &tping, 1000);
	CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &err, &o), CS_REL | DP_CS_RPL);
	CU_ASSERT_EQUAL(f_dst(&o.f, 14), h10(C));
	CU_ASSERT_EQUAL(f_src(&o.f, 42), h10(C));
	CU_ASSERT_EQUAL(f_u16(&o.f, 42 + 20 + 4), 77);
	CU_ASSERT_EQUAL(memcmp(o.f.b + 42, ping.b + 14, ping.n - 14), 0);
	CU_ASSERT(csums_ok(o.f.b, 14, false));
	dp_ct_destroy(ct);
}

static void test_expiry_frees(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = snat(1, EXT, EXT, 6000, 6000);
	struct dp_ct_stats st;
	struct tpk p, q;
	struct out o;

	mk_udp(&p, h10(A), h10(B), 1111, 53, false);
	mk_udp(&q, h10(C), h10(B), 2222, 53, false);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	CU_ASSERT_EQUAL(f_u16(&o.f, 34), 6000);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &q, &o), CS_INV);
	t_now += 61000;                                   /* udp_first is 60 s */
	CU_ASSERT_EQUAL(dp_ct_expire(ct, 0, t_now, 1u << 20), 1);
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.nat_conns, 0);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &q, &o), CS_NEW);  /* the port is free again */
	CU_ASSERT_EQUAL(f_u16(&o.f, 34), 6000);
	CU_ASSERT_EQUAL(f_src(&o.f, 14), EXT);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_INV);
	/* flush frees it too */
	CU_ASSERT_EQUAL(dp_ct_flush(ct, 1), 1);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	CU_ASSERT_EQUAL(f_u16(&o.f, 34), 6000);
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.nat_conns, 1);
	dp_ct_destroy(ct);
}

/* One burst: a SYN, its SYN-ACK and a colliding SYN from another host. */
static void test_burst(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = snat(1, EXT, EXT, 1024, 65535);
	struct tpk f[3];
	struct rte_mbuf *m[3];
	struct dp_flow_key k[3];
	struct dp_flow_key *kp[3] = { &k[0], &k[1], &k[2] };
	struct dp_ct_result r[3];

	mk_tcp(&f[0], h10(A), h10(B), 40000, 80, TH_SYN, 1000, 0);
	mk_tcp(&f[1], h10(C), h10(B), 40000, 80, TH_SYN, 1000, 0);
	mk_tcp(&f[2], h10(B), EXT, 80, 40000, TH_SYN | TH_ACK, 5000, 1001);
	for (int i = 0; i < 3; i++) {
		m[i] = rte_pktmbuf_alloc(t_mp);
		CU_ASSERT_FATAL(m[i] != NULL);
		memcpy(rte_pktmbuf_append(m[i], (uint16_t)f[i].n), f[i].b, f[i].n);
		CU_ASSERT_FATAL(dp_parse(m[i], 1, &k[i]) == 0);
	}
	dp_ct_process(ct, 0, &a, m, kp, r, 3, t_now);
	CU_ASSERT_EQUAL(r[0].state, CS_NEW);
	CU_ASSERT_EQUAL(r[1].state, CS_NEW);
	CU_ASSERT_EQUAL(r[2].state, CS_RPL);
	CU_ASSERT_EQUAL(ntohs(k[0].tp_src), 40000);
	CU_ASSERT_NOT_EQUAL(ntohs(k[1].tp_src), 40000);
	CU_ASSERT_EQUAL(k_dst(&k[2]), h10(A));
	for (int i = 0; i < 3; i++)
		rte_pktmbuf_free(m[i]);
	dp_ct_destroy(ct);
}

/* Two threads (PMD indexes 0 and 1) commit the same SNAT connections at
 * the same time: each is created once, and both threads' packets of one
 * connection get the same translation. */
#define NF 2000
struct race {
	struct dp_ct *ct;
	pthread_barrier_t go;
	uint16_t port[2][NF];
	unsigned bad[2];
};

/* run() without CUnit (not thread-safe): 0 state on a setup failure */
static uint8_t run_quiet(struct dp_ct *ct, unsigned pmd, const struct dp_ct_action *a,
			 const struct tpk *in, struct out *o)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_mp);
	struct dp_flow_key *kp = &o->k;
	struct dp_ct_result r;

	if (m == NULL)
		return 0;
	memcpy(rte_pktmbuf_append(m, (uint16_t)in->n), in->b, in->n);
	if (dp_parse(m, 1, &o->k) != 0) {
		rte_pktmbuf_free(m);
		return 0;
	}
	dp_ct_process(ct, pmd, a, &m, &kp, &r, 1, t_now);
	o->f.n = rte_pktmbuf_pkt_len(m);
	memcpy(o->f.b, rte_pktmbuf_read(m, 0, o->f.n, o->f.b), o->f.n);
	rte_pktmbuf_free(m);
	return r.state;
}

static void race_one(struct race *x, unsigned me)
{
	struct dp_ct_action a = snat(1, EXT, EXT, 1024, 65535);
	struct tpk p;
	struct out o;

	pthread_barrier_wait(&x->go);
	for (unsigned f = 0; f < NF; f++) {
		/* 8 hosts, the same source ports: collisions on purpose */
		mk_tcp(&p, ip4(10, 2, 0, (uint8_t)(f & 7)), h10(B), (uint16_t)(30000 + f / 8), 80,
		       TH_SYN, 1, 0);
		if (run_quiet(x->ct, me, &a, &p, &o) != CS_NEW || f_src(&o.f, 14) != EXT ||
		    !csums_ok(o.f.b, 14, false))
			x->bad[me]++;
		x->port[me][f] = f_u16(&o.f, 34);
	}
}

static void *race_thread(void *arg)
{
	race_one(arg, 1);
	return NULL;
}

static void test_two_pmds_race(void)
{
	struct race *x = calloc(1, sizeof(*x));
	struct dp_ct_stats st;
	pthread_t t;

	CU_ASSERT_FATAL(x != NULL);
	x->ct = t_ct_new(2, NULL, false);
	pthread_barrier_init(&x->go, NULL, 2);
	CU_ASSERT_FATAL(pthread_create(&t, NULL, race_thread, x) == 0);
	race_one(x, 0);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(x->bad[0], 0);
	CU_ASSERT_EQUAL(x->bad[1], 0);
	dp_ct_stats_get(x->ct, &st);
	CU_ASSERT_EQUAL(st.conns, NF);
	CU_ASSERT_EQUAL(st.committed, NF);
	CU_ASSERT_EQUAL(st.nat_conns, NF);
	unsigned same = 0;
	for (unsigned f = 0; f < NF; f++)
		same += x->port[0][f] == x->port[1][f];
	CU_ASSERT_EQUAL(same, NF);
	/* each (external port, server) pair is one connection's */
	uint8_t *used = calloc(65536, 1);
	unsigned dup = 0;
	for (unsigned f = 0; f < NF; f++)
		dup += used[x->port[0][f]]++ != 0;
	CU_ASSERT_EQUAL(dup, 0);
	free(used);
	pthread_barrier_destroy(&x->go);
	dp_ct_destroy(x->ct);
	free(x);
}

static void test_format_and_trace(void)
{
	struct dp_action acts[3];
	char buf[256];

	memset(acts, 0, sizeof(acts));
	acts[0].type = DP_ACT_CT;
	acts[0].port = 5;
	acts[0].data[0] = DP_CT_F_COMMIT | DP_CT_F_NAT;
	dp_act_ct_nat_set(&acts[1], DP_CT_NAT_SRC, EXT, EXT, 1024, 65535);
	acts[2].type = DP_ACT_OUTPUT;
	acts[2].port = 3;
	dp_actions_format(buf, sizeof(buf), acts, 3, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "ct(zone=5,commit,nat(src=203.0.113.10:1024-65535)),output:3");
	dp_act_ct_nat_set(&acts[1], DP_CT_NAT_DST, h10(5), h10(6), 0, 0);
	acts[0].data[1] = 3;
	dp_actions_format(buf, sizeof(buf), acts, 2, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "ct(zone=5,commit,nat(dst=10.0.0.5-10.0.0.6)),recirc(3)");
	dp_act_ct_nat_set(&acts[1], 0, 0, 0, 0, 0);
	acts[0].data[0] = DP_CT_F_NAT;
	acts[0].data[1] = 0;
	dp_actions_format(buf, sizeof(buf), acts, 2, NULL);
	CU_ASSERT_STRING_EQUAL(buf, "ct(zone=5,nat)");
	uint8_t kind;
	uint32_t a0, a1;
	uint16_t p0, p1;
	dp_act_ct_nat_set(&acts[1], DP_CT_NAT_SRC, EXT, FIP, 7, 9);
	dp_act_ct_nat_get(&acts[1], &kind, &a0, &a1, &p0, &p1);
	CU_ASSERT(kind == DP_CT_NAT_SRC && a0 == EXT && a1 == FIP && p0 == 7 && p1 == 9);

	/* trace: what NAT would do, nothing rewritten */
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = snat(1, EXT, EXT, 0, 0);
	struct tpk p;
	struct out o;
	struct dp_ct_result res;
	struct dp_ct_entry e;
	struct rte_mbuf *m;
	mk_udp(&p, h10(A), h10(B), 53000, 53, false);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	mk_udp(&p, h10(B), EXT, 53, 53000, false);
	m = rte_pktmbuf_alloc(t_mp);
	CU_ASSERT_FATAL(m != NULL);
	memcpy(rte_pktmbuf_append(m, (uint16_t)p.n), p.b, p.n);
	CU_ASSERT_FATAL(dp_parse(m, 1, &o.k) == 0);
	CU_ASSERT_EQUAL(dp_ct_lookup_ro(ct, 1, m, &o.k, &res, &e), 1);
	CU_ASSERT_EQUAL(res.state, CS_RPL);
	CU_ASSERT_EQUAL(res.nat, DP_CT_NAT_DST);
	CU_ASSERT_EQUAL(e.nat, DP_CT_NAT_SRC);
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m, void *), p.b, p.n), 0);
	CU_ASSERT_EQUAL(k_dst(&o.k), EXT);
	/* a text flow (no packet) too */
	CU_ASSERT_EQUAL(dp_ct_lookup_ro(ct, 1, NULL, &o.k, &res, &e), 1);
	CU_ASSERT_EQUAL(res.nat, DP_CT_NAT_DST);
	rte_pktmbuf_free(m);
	dp_ct_destroy(ct);
}

/* Hostile or awkward packets: a quote past the IP length (Ethernet
 * padding is never written), a header split across mbuf segments: inv,
 * counted, the packet untouched. */
static void test_unwritable(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = snat(1, EXT, EXT, 0, 0);
	struct dp_ct_stats st;
	struct tpk p, err;
	struct out o;

	mk_tcp(&p, h10(A), h10(B), 40000, 80, TH_SYN, 1, 0);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	mk_err(&err, ip4(192, 0, 2, 1), EXT, 11, 0, &o.f, 28);
	/* the outer IP length ends at the ICMP header: the quote is padding */
	uint16_t tl = htons(28);
	memcpy(err.b + 14 + 2, &tl, 2);
	fix_csums(err.b, 14, false);
	CU_ASSERT_EQUAL(run(ct, 0, &nat_only, &err, &o), CS_INV);
	CU_ASSERT_EQUAL(memcmp(o.f.b, err.b, err.n), 0);
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.nat_failed, 1);

	/* a UDP header split over two segments (dp_parse refuses such a
	 * packet before ct(); conntrack does not rely on it: the key and
	 * lengths come from a contiguous copy) */
	struct rte_mbuf *m = rte_pktmbuf_alloc(t_mp), *m2 = rte_pktmbuf_alloc(t_mp);
	struct rte_mbuf *mc = rte_pktmbuf_alloc(t_mp);
	struct dp_flow_key k, *kp = &k;
	struct dp_ct_result r;
	CU_ASSERT_FATAL(m != NULL && m2 != NULL && mc != NULL);
	mk_udp(&p, h10(A), h10(B), 999, 53, false);
	memcpy(rte_pktmbuf_append(mc, (uint16_t)p.n), p.b, p.n);
	CU_ASSERT_FATAL(dp_parse(mc, 1, &k) == 0);
	memcpy(rte_pktmbuf_append(m, 37), p.b, 37);
	memcpy(rte_pktmbuf_append(m2, (uint16_t)(p.n - 37)), p.b + 37, p.n - 37);
	CU_ASSERT_FATAL(rte_pktmbuf_chain(m, m2) == 0);
	m->l2_len = mc->l2_len;
	m->l3_len = mc->l3_len;
	m->outer_l3_len = mc->outer_l3_len;
	rte_pktmbuf_free(mc);
	dp_ct_process(ct, 0, &a, &m, &kp, &r, 1, t_now);
	CU_ASSERT_EQUAL(r.state, CS_INV);
	uint8_t buf[128];
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_read(m, 0, p.n, buf), p.b, p.n), 0);
	rte_pktmbuf_free(m);
	dp_ct_stats_get(ct, &st);
	CU_ASSERT_EQUAL(st.nat_failed, 2);
	dp_ct_destroy(ct);
}

/* Hostile ICMP errors and packets toward NAT connections: random bytes
 * flipped in valid ones and random truncation; nothing may crash or write
 * outside the packet (run under ASan in the debug build), every result is
 * tracked, the length never changes, and a REL answer always names a NAT
 * connection's error whose outer address ends up translated. */
static void test_hostile(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = snat(1, EXT, EXT, 1024, 65535);
	struct tpk base[4], p;
	struct out o;
	uint64_t rs = 0x1234567;
	unsigned rel = 0;

	mk_tcp(&p, h10(A), h10(B), 40000, 80, TH_SYN, 1, 0);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	mk_err(&base[0], ip4(192, 0, 2, 1), EXT, 11, 0, &o.f, 1000);
	mk_err(&base[1], ip4(192, 0, 2, 1), EXT, 3, 4, &o.f, 28);
	mk_echo(&p, h10(A), h10(B), 8, 5);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	mk_err(&base[2], ip4(192, 0, 2, 1), EXT, 11, 0, &o.f, 1000);
	mk_udp(&base[3], h10(B), EXT, 80, 40000, false);
	for (unsigned i = 0; i < 20000; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(t_mp);
		struct dp_flow_key k, *kp = &k;
		struct dp_ct_result r;
		p = base[i % 4];
		for (unsigned f = 0; f < 1 + i % 4; f++) {
			rs = rs * 6364136223846793005ull + 1442695040888963407ull;
			p.b[14 + (rs >> 33) % (p.n - 14)] ^= (uint8_t)(1u << ((rs >> 20) & 7));
		}
		if (i % 3 == 0)
			p.n = 14 + (uint32_t)((rs >> 40) % (p.n - 13));
		CU_ASSERT_FATAL(m != NULL);
		memcpy(rte_pktmbuf_append(m, (uint16_t)p.n), p.b, p.n);
		if (dp_parse(m, 1, &k) == 0) {
			dp_ct_process(ct, 0, &nat_only, &m, &kp, &r, 1, t_now);
			CU_ASSERT(r.state & DP_CS_TRK);
			CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), p.n);
			if ((r.state & DP_CS_REL) && p.b[14 + 9] == IPPROTO_ICMP) {
				uint32_t d;
				memcpy(&d, rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 16), 4);
				CU_ASSERT_EQUAL(d, h10(A));
				rel++;
			}
		}
		rte_pktmbuf_free(m);
	}
	CU_ASSERT(rel > 0);   /* some mutations left the error valid */
	dp_ct_destroy(ct);
}

/* IPv6 with nat(src=...): committed without a translation. */
static void test_v6_untranslated(void)
{
	struct dp_ct *ct = t_ct_new(1, NULL, false);
	struct dp_ct_action a = snat(1, EXT, EXT, 0, 0);
	struct tpk p;
	struct out o;
	struct dp_ct_entry e;

	t_udp(&p, 6, A, B, 1000, 53);
	CU_ASSERT_EQUAL(run(ct, 0, &a, &p, &o), CS_NEW);
	CU_ASSERT_EQUAL(o.nat, 0);
	CU_ASSERT_EQUAL(memcmp(o.f.b, p.b, p.n), 0);
	CU_ASSERT_EQUAL_FATAL(t_dump1(ct, 1, &e), 1);
	CU_ASSERT_EQUAL(e.nat, 0);
	dp_ct_destroy(ct);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "ct_nat_test", (char *)NULL) < 0)
		return 2;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite s = CU_add_suite("ct_nat", t_setup, t_teardown);
	CU_add_test(s, "SNAT TCP, reply de-NAT, no rewrite without nat", test_snat_tcp);
	CU_add_test(s, "SNAT UDP, with and without a checksum", test_snat_udp);
	CU_add_test(s, "SNAT ICMP echo: identifiers", test_snat_icmp);
	CU_add_test(s, "DNAT (floating IP), ICMP error from the VM", test_dnat);
	CU_add_test(s, "port kept when free, collision picks another, ranges", test_collision);
	CU_add_test(s, "exhaustion: counted, bounded, nothing committed", test_exhaustion);
	CU_add_test(s, "ICMP errors: outer and quoted headers translated", test_icmp_error);
	CU_add_test(s, "expiry and flush free the translated tuple", test_expiry_frees);
	CU_add_test(s, "one burst: SYN, collision, reply", test_burst);
	CU_add_test(s, "two threads commit the same connections once", test_two_pmds_race);
	CU_add_test(s, "action text, decode, read-only lookup (trace)", test_format_and_trace);
	CU_add_test(s, "IPv6 is committed untranslated", test_v6_untranslated);
	CU_add_test(s, "unwritable headers: inv, counted, untouched", test_unwritable);
	CU_add_test(s, "hostile: mutated errors and packets toward NAT", test_hostile);
	return t_run_all();
}
