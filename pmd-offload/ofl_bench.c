/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/ofl_bench.c — offload-partial-<N>: the L2 workload (two
 * lports with port security, 64-byte UDP frames of N flows, one megaflow)
 * through the PMD, plain software against partial offload with the dummy
 * backend's MARK emulation; in process, the PMD driven by hand on one core.
 *
 * Frames enter through a ring port (rte_eth_from_rings): enqueue, then
 * rte_eth_rx_burst (where the dummy's rx callback marks them, as a NIC
 * would), dp_pmd_process, tx to net_null.  Four loops, each the minimum
 * over ROUNDS rounds of cycles per packet:
 *   base      enqueue + rx + free                        (no callback)
 *   sw        enqueue + rx + dp_pmd_process + tx         (no offload)
 *   emul      enqueue + rx with the dummy callback + free
 *   partial   enqueue + rx with the callback + dp_pmd_process (mark path) + tx
 * The datapath's cost is timed around dp_pmd_process + the tx flush alone
 * (rdtsc per burst), so the emulation (the NIC's job) never enters it; a
 * PMD's per-packet cost is the rx baseline plus that.  Printed:
 *   BENCH workload=offload-partial-<N> system=wyvern-sw mpps=.. cycles_per_pkt=..
 *   BENCH workload=offload-partial-<N> system=wyvern-partial mpps=.. cycles_per_pkt=..
 *   INFO workload=offload-partial-<N> saved_cycles_per_pkt=.. datapath_sw=..
 *        datapath_partial=.. emulation_cycles_per_pkt=.. mark_hits=..
 * cycles_per_pkt = what one PMD core spends per packet (rx + datapath + tx),
 * mpps = TSC rate / cycles_per_pkt.
 * Usage: ofl_bench [N|Nk ...] (default 1k 100k).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_eth_ring.h>
#include <rte_ip.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include "dp_priv.h"
#include "ofl.h"
#include "ofl_dummy.h"

static int ROUNDS = 7;
static int BURSTS = 20000;
static uint8_t (*frames)[64];
static struct rte_ring *rxr;

static void make_frame(uint8_t *f, uint32_t flow)
{
	static const uint8_t a[6] = { 2, 0, 0, 0, 0, 1 }, b[6] = { 2, 0, 0, 0, 0, 2 };
	memset(f, 0, 64);
	memcpy(f, b, 6);
	memcpy(f + 6, a, 6);
	f[12] = 0x08;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	ip->version_ihl = 0x45;
	ip->total_length = htons(46);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = htonl(0x0a000001);
	ip->dst_addr = htonl(0x0a000002 + (flow >> 16));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
	u->src_port = htons((uint16_t)(1024 + (flow & 0x3ff)));
	u->dst_port = htons((uint16_t)(5000 + ((flow >> 10) & 0x3f)));
	u->dgram_len = htons(26);
}

/* One loop: cycles per packet of the whole loop (minimum over the rounds);
 * *dp_cpp: of dp_pmd_process + tx flush alone (rdtsc around them, minimum
 * over the rounds), when datapath. */
static double run(struct dp *dp, uint16_t in_eth, uint16_t in_port, uint32_t nflows,
		  bool datapath, double *dp_cpp)
{
	struct dp_pmd *pmd = dp->pmds[0];
	struct rte_mbuf *pkts[DP_BURST], *rx[DP_BURST];
	uint32_t next = 0;
	double best = 1e18, best_dp = 1e18;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = rte_rdtsc(), in_dp = 0;
		for (int b = 0; b < BURSTS; b++) {
			if (rte_pktmbuf_alloc_bulk(dp->mp, pkts, DP_BURST) != 0) {
				fprintf(stderr, "ofl_bench: mbuf alloc failed\n");
				exit(1);
			}
			for (unsigned i = 0; i < DP_BURST; i++) {
				uint32_t f = next++ % nflows;
				memcpy(rte_pktmbuf_append(pkts[i], 60), frames[f], 60);
			}
			rte_ring_enqueue_burst(rxr, (void **)pkts, DP_BURST, NULL);
			uint16_t n = rte_eth_rx_burst(in_eth, 0, rx, DP_BURST);
			if (datapath) {
				uint64_t a = rte_rdtsc();
				dp_pmd_process(pmd, in_port, rx, n);
				dp_pmd_flush_tx(pmd);
				in_dp += rte_rdtsc() - a;
			} else {
				rte_pktmbuf_free_bulk(rx, n);
			}
		}
		double c = (double)(rte_rdtsc() - t0) / (BURSTS * DP_BURST);
		double d = (double)in_dp / (BURSTS * DP_BURST);
		if (c < best)
			best = c;
		if (d < best_dp)
			best_dp = d;
	}
	if (dp_cpp)
		*dp_cpp = best_dp;
	return best;
}

static int h_installed(void *arg, uint64_t id, uint16_t in_port, uint16_t rxq,
		       const struct dp_flow_key *key, const struct dp_flow_key *mask,
		       const struct dp_action *acts, unsigned n_acts)
{
	return ofl_megaflow_installed(arg, id, in_port, rxq, key, mask, acts, n_acts);
}

static int h_removed(void *arg, uint64_t id)
{
	return ofl_megaflow_removed(arg, id);
}

static uint32_t parse_n(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end == 'k' || *end == 'K')
		v *= 1000;
	return v ? (uint32_t)v : 1;
}

static void bench(uint32_t nf, const char *label)
{
	struct rte_eth_conf conf;
	char name[32];
	static unsigned seq;
	memset(&conf, 0, sizeof(conf));
	struct dp_config cfg;
	dp_config_defaults(&cfg);
	cfg.n_pmds = 1;
	cfg.pmd_lcores[0] = 1;   /* never started: driven by hand */
	cfg.n_mbufs = 16384;
	cfg.megaflow_max_idle_ms = 0;
	struct dp *dp = dp_create(&cfg);
	if (dp == NULL)
		exit(1);
	snprintf(name, sizeof(name), "ob_rx%u", seq);
	rxr = rte_ring_create(name, 1024, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "ob_ring%u", seq++);
	int eth = rte_eth_from_rings(name, &rxr, 1, &rxr, 1, (unsigned)rte_socket_id());
	char dev[48];
	snprintf(dev, sizeof(dev), "net_ring_%s", name);
	int p0 = dp_port_add(dp, "p0", dev, NULL);
	int p1 = dp_port_add(dp, "p1", seq == 1 ? "net_null0" : "net_null1", NULL);
	struct dp_network_cfg n = { .key = 1, .name = "bench", .mtu = 1500 };
	struct dp_lport_cfg a = { .key = 1, .network = 1, .name = "a", .n_macs = 1, .n_ips = 1,
				  .port_security = true, .admin_up = true, .dp_port = (uint16_t)p0 };
	struct dp_lport_cfg b = a;
	a.macs[0] = (struct rte_ether_addr){ { 2, 0, 0, 0, 0, 1 } };
	a.ips[0] = (struct dp_ip){ .family = 4, .plen = 32, .addr = { 10, 0, 0, 1 } };
	b.key = 2;
	snprintf(b.name, sizeof(b.name), "b");
	b.dp_port = (uint16_t)p1;
	b.macs[0] = (struct rte_ether_addr){ { 2, 0, 0, 0, 0, 2 } };
	b.ips[0] = (struct dp_ip){ .family = 4, .plen = 32, .addr = { 10, 0, 0, 2 } };
	if (eth < 0 || p0 < 0 || p1 < 0 || dp_table_network_put(dp->tables, &n) ||
	    dp_table_lport_put(dp->tables, &a) || dp_table_lport_put(dp->tables, &b)) {
		fprintf(stderr, "ofl_bench: setup failed (%d %d %d)\n", eth, p0, p1);
		exit(1);
	}
	dp_pmd_apply_invalidations(dp->pmds[0]);
	uint16_t in_eth = dp->ports[p0].ethdev;
	frames = malloc((size_t)nf * 64);
	for (uint32_t f = 0; f < nf; f++)
		make_frame(frames[f], f);

	double dp_sw, dp_part;
	double base = run(dp, in_eth, (uint16_t)p0, nf, false, NULL);
	run(dp, in_eth, (uint16_t)p0, nf, true, &dp_sw);

	/* partial offload: the manager, the dummy on p0, the dp hooks */
	struct ofl_config oc = { .enable = true, .name = "ob", .max_flows = 1024 };
	struct ofl *o = ofl_create(&oc);
	struct ofl_port_cfg pc = { .dp_port = (uint16_t)p0, .eth_port = in_eth, .backend = "dummy",
				   .args = "caps=mark,rss,queue,count", .n_rxq = 1 };
	if (o == NULL || ofl_port_add(o, &pc) != 0) {
		fprintf(stderr, "ofl_bench: offload manager setup failed\n");
		exit(1);
	}
	const struct ofl_mark_table *mt = ofl_mark_table(o);
	struct dp_offload_ops ops = { .arg = o, .installed = h_installed, .removed = h_removed,
				      .mark_ids = mt->ids, .n_marks = mt->n,
		.mark_stride = mt->stride };
	dp_set_offload(dp, &ops);
	dp_flush_caches(dp);   /* the megaflow again, announced this time */
	dp_pmd_apply_invalidations(dp->pmds[0]);
	int saved_rounds = ROUNDS, saved_bursts = BURSTS;
	ROUNDS = 1;
	BURSTS = 4;
	run(dp, in_eth, (uint16_t)p0, nf, true, NULL);
	ROUNDS = saved_rounds;
	BURSTS = saved_bursts;
	ofl_sync(o, 2000);
	struct ofl_port_stats ps;
	if (ofl_port_stats(o, (uint16_t)p0, &ps) != 0 || ps.n_partial != 1) {
		fprintf(stderr, "ofl_bench: the megaflow did not get its partial rule\n");
		exit(1);
	}
	struct dp_pmd_stats s0 = dp->pmds[0]->st;
	double emul = run(dp, in_eth, (uint16_t)p0, nf, false, NULL);
	run(dp, in_eth, (uint16_t)p0, nf, true, &dp_part);
	uint64_t hits = dp->pmds[0]->st.mark_hits - s0.mark_hits;
	double hz = (double)rte_get_tsc_hz();
	/* what one PMD core pays per packet: rx (the baseline loop: mbuf,
	 * ring, rx burst) + the datapath; the emulation is the NIC's */
	double pmd_sw = base + dp_sw, pmd_part = base + dp_part;
	printf("BENCH workload=offload-partial-%s system=wyvern-sw mpps=%.2f cycles_per_pkt=%.1f\n",
	       label, hz / pmd_sw / 1e6, pmd_sw);
	printf("BENCH workload=offload-partial-%s system=wyvern-partial mpps=%.2f "
	       "cycles_per_pkt=%.1f\n", label, hz / pmd_part / 1e6, pmd_part);
	printf("INFO workload=offload-partial-%s saved_cycles_per_pkt=%.1f datapath_sw=%.1f "
	       "datapath_partial=%.1f rx_baseline=%.1f emulation_cycles_per_pkt=%.1f "
	       "mark_hits=%llu megaflows=%u\n", label, dp_sw - dp_part, dp_sw, dp_part, base,
	       emul - base, (unsigned long long)hits, dp_mfc_count(dp->pmds[0]->mfc));
	fflush(stdout);
	dp_set_offload(dp, NULL);
	ofl_destroy(o);
	dp_destroy(dp);
	free(frames);
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-telemetry", "-l", "0",
			"--log-level=error", "--file-prefix=oflbench", "--vdev=net_null0,no-rx=1",
			"--vdev=net_null1,no-rx=1", NULL };
	if (rte_eal_init(12, eal) < 0)
		return 1;
	if (getenv("WYV_BENCH_QUICK")) {
		ROUNDS = 1;
		BURSTS = 2000;
	}
	const char *def[] = { "1k", "100k" };
	int n = argc > 1 ? argc - 1 : 2;
	for (int i = 0; i < n && i < 2; i++) {
		const char *s = argc > 1 ? argv[i + 1] : def[i];
		bench(parse_n(s), s);
	}
	rte_eal_cleanup();
	return 0;
}
