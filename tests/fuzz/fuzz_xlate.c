/* SPDX-License-Identifier: BSD-3-Clause
 * tests/fuzz/fuzz_xlate.c — libFuzzer harness for the whole miss path:
 * parse -> dp_translate over a FIXED table set -> dp_actions_execute on real
 * mbufs from the datapath's own mempool, tx into net_ring ports that the
 * harness drains; then the same frame twice through dp_pmd_process (EMC,
 * megaflow cache, grouping, clones).  The megaflow's mask is checked too:
 * the key with unmasked bits flipped must translate to the same actions.  After every input the pool's free
 * count must be back where it started, else abort(): a leaked (or doubly
 * freed) mbuf is a finding like a crash.
 *
 * Input: byte 0 picks the ingress port (index mod 5, 4 = the uplink, where
 * VXLAN/Geneve is parsed), byte 1 bit 0 also runs the PMD burst path,
 * bit 1 makes the mbufs two segments (split after (byte 1 >> 2) * 4 + 1
 * bytes), the rest is the Ethernet frame.
 *
 * Tables (built once, never changed):
 *   net1 overlay VNI 5001, flood VTEP 192.168.0.2 (resolved), DHCP on:
 *     A key 1 on p0, port security, 10.0.1.10 + 2001:db8:1::10
 *     B key 2 on p1, port security, 10.0.1.20, allowed pair 10.0.1.128/25
 *     R key 3 remote behind VTEP 192.168.0.2, 10.0.1.30
 *   net2 overlay VNI 5002 (local only):
 *     C key 4 on p2, port security, 10.0.2.40
 *   net3 provider VLAN 30:
 *     D key 5 on p3, no port security; E key 6 remote
 *   router 100: rport on net1 10.0.1.1/24 + 2001:db8:1::1/64, on net2
 *     10.0.2.1/24 + 2001:db8:2::1/64; default route via 10.0.2.40
 *   overlay: uplink p4, VTEP 192.168.0.1, VXLAN.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dp_priv.h"
#include "parse.h"
#include "tables_l3.h"
#include "tables_ovl.h"
#include "translate.h"
#include "fuzz_eal.h"

#define FZ_NPORTS 5
#define FZ_UPLINK 4
#define VTEP_L 0x0100a8c0u /* 192.168.0.1, network order */
#define VTEP_R 0x0200a8c0u /* 192.168.0.2 */

static struct dp *DP;
static struct dp_pmd *PMD;
static int P[FZ_NPORTS];
static uint16_t ETH[FZ_NPORTS];

static void die(const char *what)
{
	fprintf(stderr, "fuzz_xlate setup: %s failed\n", what);
	exit(2);
}

static struct dp_ip ip_of(const char *s, uint8_t plen)
{
	struct dp_ip ip;
	memset(&ip, 0, sizeof(ip));
	if (dp_ip_parse(s, &ip) != 0)
		die(s);
	if (plen)
		ip.plen = plen;
	return ip;
}

static struct dp_lport_cfg lport(uint32_t key, uint32_t net, int port, bool sec, const char *ip)
{
	struct dp_lport_cfg c;
	memset(&c, 0, sizeof(c));
	c.key = key;
	c.network = net;
	snprintf(c.name, sizeof(c.name), "lp%u", key);
	c.n_macs = 1;
	c.macs[0] = (struct rte_ether_addr){ { 0x02, 0, 0, 0, (uint8_t)net, (uint8_t)key } };
	c.n_ips = 1;
	c.ips[0] = ip_of(ip, 0);
	c.port_security = sec;
	c.admin_up = true;
	c.dp_port = port < 0 ? DP_NO_PORT : (uint16_t)P[port];
	return c;
}

static struct dp_network_cfg network(uint32_t key, uint8_t type, uint32_t vni, uint16_t vlan)
{
	struct dp_network_cfg c;
	memset(&c, 0, sizeof(c));
	c.key = key;
	snprintf(c.name, sizeof(c.name), "net%u", key);
	c.type = type;
	c.vni = vni;
	c.vlan = vlan;
	c.mtu = 1500;
	return c;
}

static struct dp_rport_cfg rport(uint32_t key, uint32_t net, const char *v4, const char *v6)
{
	struct dp_rport_cfg c;
	memset(&c, 0, sizeof(c));
	c.key = key;
	c.router = 100;
	c.network = net;
	snprintf(c.name, sizeof(c.name), "rp%u", key);
	c.mac = (struct rte_ether_addr){ { 0x02, 0xee, 0, 0, (uint8_t)net, 1 } };
	c.ips[c.n_ips++] = ip_of(v4, 24);
	c.ips[c.n_ips++] = ip_of(v6, 64);
	c.ra_mode = DP_RA_SLAAC;
	return c;
}

static void tables_setup(void)
{
	struct dp_tables *t = dp_tables(DP);
	struct dp_l3 *l3 = dp_l3(DP);
	struct dp_overlay_cfg ov = { .uplink = (uint16_t)P[FZ_UPLINK], .vtep_ip = VTEP_L,
				     .encap = DP_ENCAP_VXLAN, .underlay_mtu = 1500,
				     .vtep_mac = { { 0x02, 0xfe, 0, 0, 0, 1 } } };
	struct dp_vtep v = { .ip = VTEP_R, .resolved = true, .encap = DP_ENCAP_VXLAN,
			     .mac = { { 0x02, 0xfe, 0, 0, 0, 2 } } };
	struct dp_network_cfg n1 = network(1, DP_NET_OVERLAY, 5001, 0);
	struct dp_network_cfg n2 = network(2, DP_NET_OVERLAY, 5002, 0);
	struct dp_network_cfg n3 = network(3, DP_NET_VLAN, 0, 30);
	static const uint32_t vr[] = { VTEP_R };
	n1.n_flood_vteps = 1;
	n1.flood_vteps = vr;
	n1.dhcp_v4 = true;
	if (dp_overlay_set(t, &ov) || dp_vtep_put(t, &v))
		die("overlay");
	if (dp_table_network_put(t, &n1) || dp_table_network_put(t, &n2) ||
	    dp_table_network_put(t, &n3))
		die("networks");
	struct dp_lport_cfg a = lport(1, 1, 0, true, "10.0.1.10");
	a.ips[a.n_ips++] = ip_of("2001:db8:1::10", 0);
	struct dp_lport_cfg b = lport(2, 1, 1, true, "10.0.1.20");
	b.n_aaps = 1;
	b.aaps[0].ip = ip_of("10.0.1.128/25", 0);
	struct dp_lport_cfg r = lport(3, 1, -1, true, "10.0.1.30");
	r.remote_vtep = VTEP_R;
	struct dp_lport_cfg c = lport(4, 2, 2, true, "10.0.2.40");
	struct dp_lport_cfg d = lport(5, 3, 3, false, "10.0.3.50");
	struct dp_lport_cfg e = lport(6, 3, -1, false, "10.0.3.60");
	const struct dp_lport_cfg *all[] = { &a, &b, &r, &c, &d, &e };
	for (unsigned i = 0; i < RTE_DIM(all); i++)
		if (dp_table_lport_put(t, all[i]) != 0)
			die("lport");
	struct dp_router_cfg rt = { .key = 100, .name = "r1" };
	struct dp_rport_cfg p1 = rport(101, 1, "10.0.1.1", "2001:db8:1::1");
	struct dp_rport_cfg p2 = rport(102, 2, "10.0.2.1", "2001:db8:2::1");
	if (dp_l3_router_put(l3, &rt) || dp_l3_rport_put(l3, &p1) || dp_l3_rport_put(l3, &p2))
		die("router");
	struct dp_route_cfg def;
	memset(&def, 0, sizeof(def));
	def.prefix = ip_of("0.0.0.0/0", 0);
	def.gw = ip_of("10.0.2.40", 0);
	if (dp_l3_route_put(l3, 100, &def))
		die("route");
	/* the tables are final: the PMD's caches start from a clean log */
	dp_pmd_apply_invalidations(PMD);
}

static void fz_teardown_xlate(void)
{
	dp_destroy(DP);
	DP = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_eal_init("xlate", "-l", "0", "--vdev=net_ring0", "--vdev=net_ring1",
		    "--vdev=net_ring2", "--vdev=net_ring3", "--vdev=net_ring4", (char *)NULL);
	struct dp_config cfg;
	dp_config_defaults(&cfg);
	cfg.n_pmds = 1;
	cfg.pmd_lcores[0] = 0;
	cfg.idle_sleep_max_us = 0;
	cfg.n_mbufs = 2048;
	cfg.emc_entries = 1024;
	cfg.emc_insert_inv_prob = 1;
	cfg.megaflows_max = 4096;
	cfg.punt_rate_pps = 1000000;
	cfg.punt_burst = 1000;
	DP = dp_create(&cfg);
	if (DP == NULL)
		die("dp_create");
	fz_teardown = fz_teardown_xlate;
	PMD = DP->pmds[0];
	for (int i = 0; i < FZ_NPORTS; i++) {
		char name[8], dev[16];
		snprintf(name, sizeof(name), "p%d", i);
		snprintf(dev, sizeof(dev), "net_ring%d", i);
		P[i] = dp_port_add(DP, name, dev, NULL);
		if (P[i] < 0)
			die("dp_port_add");
		ETH[i] = DP->ports[P[i]].ethdev;
	}
	tables_setup();
	return 0;
}

/* Free everything the ports transmitted and the control thread was punted. */
static void drain(void)
{
	struct rte_mbuf *m[64];
	unsigned n;
	for (unsigned i = 0; i < FZ_NPORTS; i++) {
		uint16_t k;
		while ((k = rte_eth_rx_burst(ETH[i], 0, m, RTE_DIM(m))) > 0)
			rte_pktmbuf_free_bulk(m, k);
	}
	while ((n = dp_punt_dequeue(DP, m, RTE_DIM(m))) > 0)
		rte_pktmbuf_free_bulk(m, n);
}

static struct rte_mbuf *seg(const uint8_t *bytes, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(DP->mp);
	if (m == NULL)
		abort(); /* the pool is back to full after every input */
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(m, len);
	if (d == NULL && len > 0)
		abort();
	if (len > 0)
		memcpy(d, bytes, len);
	return m;
}

/* The frame as one mbuf, or split after split bytes into two segments
 * (split 0: one segment). */
static struct rte_mbuf *mk(const uint8_t *frame, uint16_t len, uint16_t split, uint16_t port)
{
	struct rte_mbuf *m;
	if (split == 0 || split >= len) {
		m = seg(frame, len);
	} else {
		m = seg(frame, split);
		if (rte_pktmbuf_chain(m, seg(frame + split, (uint16_t)(len - split))) != 0)
			abort();
	}
	m->port = port;
	return m;
}

/* The megaflow contract (translate.h): a key that differs from this one
 * only in bits the mask leaves out must translate to the same actions.
 * Flip a pseudo-random half of those bits (seeded by the input) and compare
 * the formatted action lists. */
static void check_mask(const struct dp_flow_key *key, const struct dp_megaflow_spec *s,
		       const uint8_t *data, size_t size)
{
	if (s->no_install)
		return; /* never cached, so never matched by other keys */
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 0x100000001b3ull;
	struct dp_flow_key k2 = *key;
	const dp_kword *mw = dp_key_words(&s->mask);
	dp_kword *w = dp_key_words_rw(&k2);
	for (unsigned i = 0; i < DP_FLOW_KEY_WORDS; i++) {
		h ^= h << 13;
		h ^= h >> 7;
		h ^= h << 17;
		w[i] ^= (dp_kword)h & ~mw[i];
	}
	static struct dp_megaflow_spec s2;
	char a1[1024], a2[1024];
	dp_translate(dp_tables(DP), &k2, &s2, NULL);
	dp_actions_format(a1, sizeof(a1), s->actions, s->n_actions, s->flood_ports);
	dp_actions_format(a2, sizeof(a2), s2.actions, s2.n_actions, s2.flood_ports);
	if (strcmp(a1, a2) != 0) {
		char k1t[1024], k2t[1024], mt[1024];
		dp_key_format(k1t, sizeof(k1t), key, NULL);
		dp_key_format(k2t, sizeof(k2t), &k2, NULL);
		dp_key_format(mt, sizeof(mt), key, &s->mask);
		fprintf(stderr, "megaflow too wide:\n  key   %s\n  match %s\n  -> %s\n"
			"  other %s\n  -> %s\n", k1t, mt, a1, k2t, a2);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size - 2 > RTE_MBUF_DEFAULT_DATAROOM)
		return -1;
	const uint8_t *frame = data + 2;
	uint16_t len = (uint16_t)(size - 2);
	uint16_t port = (uint16_t)P[data[0] % FZ_NPORTS];
	bool uplink = data[0] % FZ_NPORTS == FZ_UPLINK;
	/* flags bit 1: two segments; the split may fall inside the headers */
	uint16_t split = (data[1] & 2) ? (uint16_t)((data[1] >> 2) * 4 + 1) : 0;
	unsigned avail = rte_mempool_avail_count(DP->mp);

	/* the miss path by hand: parse, translate, execute */
	struct rte_mbuf *m = mk(frame, len, split, port);
	struct dp_flow_key key;
	const struct dp_overlay_cfg *ov = dp_overlay_get(DP->tables);
	unsigned r = uplink ? dp_parse_tnl(m, port, ov ? ov->vtep_ip : 0, &key)
			    : dp_parse(m, port, &key);
	if (r != DP_DROP_NONE) {
		rte_pktmbuf_free(m);
	} else {
		static struct dp_megaflow_spec spec;
		dp_translate(dp_tables(DP), &key, &spec, NULL);
		if (spec.n_actions == 0 || spec.n_actions > DP_MAX_ACTIONS)
			abort();
		check_mask(&key, &spec, data, size);
		dp_actions_execute(PMD, spec.actions, spec.n_actions, spec.flood_ports, &m, 1);
		dp_pmd_flush_tx(PMD);
	}
	drain();
	if (rte_mempool_avail_count(DP->mp) != avail) {
		fprintf(stderr, "mbuf leak after translate+execute: %u free, %u before\n",
			rte_mempool_avail_count(DP->mp), avail);
		abort();
	}

	/* the burst path: two copies through EMC / megaflow cache / groups */
	if (data[1] & 1) {
		struct rte_mbuf *b[2] = { mk(frame, len, split, port), mk(frame, len, split, port) };
		dp_pmd_process(PMD, port, b, 2);
		dp_pmd_flush_tx(PMD);
		drain();
		if (rte_mempool_avail_count(DP->mp) != avail) {
			fprintf(stderr, "mbuf leak after dp_pmd_process: %u free, %u before\n",
				rte_mempool_avail_count(DP->mp), avail);
			abort();
		}
	}
	return 0;
}
