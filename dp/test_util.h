/* SPDX-License-Identifier: BSD-3-Clause
 * dp/test_util.h — helpers shared by the dp unit tests only (tables_test,
 * stages_test, cache_test, actions_test): EAL start-up, table object
 * builders, hand-made flow keys and packets.  A test library
 * (test_util.c, libwyvdp_test_util) linked by those tests.
 *
 * Thread: the test's main thread.
 */
#ifndef WYV_DP_TEST_UTIL_H
#define WYV_DP_TEST_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <CUnit/Basic.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "actions.h"
#include "drop.h"
#include "flow_key.h"
#include "megaflow.h"
#include "tables.h"
#include "tables_ovl.h"

#include "tables_l3.h"
#include "test_main.h"   /* EAL start-up */

/* ---- random numbers --------------------------------------------------------- */

extern uint64_t t_rng_state;

uint64_t t_rand(void);

uint32_t t_randn(uint32_t n);

/* ---- table objects ---------------------------------------------------------- */

struct dp_network_cfg t_net(uint32_t key);

struct rte_ether_addr t_mac(uint8_t a, uint8_t b);

struct dp_ip t_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t plen);

struct dp_ip t_ip_str(const char *s);

/* An lport with one MAC 02:00:00:00:00:<key>, IPv4 10.0.<net>.<key>, port
 * security on, admin up, on dp port dp_port (DP_NO_PORT: remote). */
struct dp_lport_cfg t_lport(uint32_t key, uint32_t net, uint16_t dp_port);

/* ---- flow keys -------------------------------------------------------------- */

#define T_ET_IPV4 0x0800
#define T_ET_ARP  0x0806
#define T_ET_IPV6 0x86dd

void t_key_eth(struct dp_flow_key *k, uint16_t in_port, const uint8_t *smac,
		      const uint8_t *dmac, uint16_t et);

void t_key_ipv4(struct dp_flow_key *k, uint16_t in_port, const uint8_t *smac,
		const uint8_t *dmac, const uint8_t *sip, const uint8_t *dip, uint8_t proto,
		uint16_t sport, uint16_t dport);

void t_key_arp(struct dp_flow_key *k, uint16_t in_port, const uint8_t *smac,
		      const uint8_t *sha, const uint8_t *spa, const uint8_t *tpa);

void t_key_ipv6(struct dp_flow_key *k, uint16_t in_port, const uint8_t *smac,
		const uint8_t *dmac, const uint8_t *sip, const uint8_t *dip, uint8_t proto,
		uint16_t sport, uint16_t dport);

/* ---- translate results -------------------------------------------------------- */

/* The drop reason of a spec whose only consuming action is a drop, else 0. */
unsigned t_spec_drop(const struct dp_megaflow_spec *s);

/* Output port of a spec that outputs to exactly one port, else -1. */
int t_spec_output(const struct dp_megaflow_spec *s);

bool t_spec_has_tag(const struct dp_megaflow_spec *s, uint64_t tag);

/* Canonical text of an action list with its flood ports resolved. */
void t_fmt_actions(char *buf, size_t len, const struct dp_action *a, unsigned n,
			  const uint16_t *flood);

/* ---- packets ------------------------------------------------------------------- */

/* Build Ethernet + IPv4 + UDP/TCP (valid checksums) with payload_len bytes of
 * payload into a new mbuf; l2_len/l3_len set. NULL on allocation failure. */
struct rte_mbuf *t_pkt_ipv4(struct rte_mempool *mp, const uint8_t *smac,
				   const uint8_t *dmac, const uint8_t *sip, const uint8_t *dip,
				   uint8_t proto, uint16_t sport, uint16_t dport, uint8_t ttl,
				   uint16_t payload_len);

/* Ethernet + ARP request into a new mbuf. */
struct rte_mbuf *t_pkt_arp(struct rte_mempool *mp, const uint8_t *smac,
				  const uint8_t *sha, const uint8_t *spa, const uint8_t *tpa);

/* IPv4 header and L4 checksums of an Ethernet+IPv4(+UDP/TCP) mbuf valid?
 * l2 offset from m->l2_len. */
bool t_ipv4_csums_ok(struct rte_mbuf *m);

/* Receive and free everything queued on rx queue 0 of ethdev (a ring
 * port's far side); how many packets that was. */
unsigned t_drain_port(uint16_t ethdev);

/* ---- recording on_change (tables' tag callback) ------------------------------------------------------ */

struct rec {
	uint64_t tags[256];
	unsigned n;
	unsigned calls;
};

void rec_cb(void *arg, const uint64_t *tags, unsigned n);

void rec_reset(struct rec *r);

bool rec_has(const struct rec *r, uint64_t tag);

/* The recorded tags are exactly the set exp[0..n) (no duplicates, no extras). */
bool rec_exact(const struct rec *r, const uint64_t *exp, unsigned n);

extern unsigned t_tables_seq;

struct dp_tables *t_mk_tables(struct rec *r);

#define TAG_L(k) DP_TAG(DP_TAG_LPORT, k)
#define TAG_N(k) DP_TAG(DP_TAG_NETWORK, k)
#define TAG_P(k) DP_TAG(DP_TAG_DPPORT, k)
#define TAG_SEG(kind, id) DP_TAG(DP_TAG_SEGMENT, dp_segment_tag_key(kind, id))
#define TAG_F(n, mac) DP_TAG(DP_TAG_FDB, dp_fdb_tag_key(n, (mac).addr_bytes))

struct digest {
	uint64_t sum;
	unsigned n;
};

uint64_t table_digest(const struct dp_tables *t);

/* FNV-1a of n bytes, continuing from h. */
uint64_t fnv(const void *p, size_t n, uint64_t h);

#endif
