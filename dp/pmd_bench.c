/* SPDX-License-Identifier: BSD-3-Clause
 * dp/pmd_bench.c — per-packet cost of the datapath, in process.
 *
 * Builds L2 + port-security tables (two lports), then feeds bursts of 32
 * 64-byte UDP frames of N flows through dp_pmd_process() into a net_null
 * port.  A baseline loop does the same mbuf work without the datapath
 * (alloc, copy the frame, tx to net_null), so
 *     datapath cycles/packet = loop cycles/packet - baseline cycles/packet.
 * Each figure is the minimum over several rounds, which filters out
 * preemption on a shared machine.  Prints
 *     PMDBENCH flows=N emc=on|off cycles_per_pkt=X baseline=Y datapath=Z
 * Usage: dp_pmd_bench [flows ...]   (default: 1 1000 100000)
 * WYV_BENCH_QUICK=1 runs one short round, for
 *   valgrind --tool=callgrind --toggle-collect=dp_pmd_process dp_pmd_bench 1000
 * WYV_BENCH_OFFLOAD=1 sets offload hooks that take nothing (no marks ever):
 * the cost of offload being on for unmarked packets.
 * WYV_BENCH_SG=1 makes both lports stateful (one security group: egress and
 * ingress any): bursts alternate a -> b and the replies b -> a, so after the
 * first round every connection is established (two ct() passes a packet).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "acl.h"
#include "dp_priv.h"

static int ROUNDS = 7;
static int BURSTS = 20000;

static uint8_t frame[64];

static void make_frame(uint32_t flow)
{
	static const uint8_t a[6] = { 2, 0, 0, 0, 0, 1 }, b[6] = { 2, 0, 0, 0, 0, 2 };
	memset(frame, 0, sizeof(frame));
	memcpy(frame, b, 6);
	memcpy(frame + 6, a, 6);
	frame[12] = 0x08;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + 14);
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

static uint8_t (*frames)[64];
static uint8_t (*rframes)[64];  /* WYV_BENCH_SG: the replies */
static bool SG;

static void fill(struct rte_mempool *mp, struct rte_mbuf **pkts, unsigned n, uint32_t *next,
		 uint32_t nflows, uint8_t (*fr)[64])
{
	if (rte_pktmbuf_alloc_bulk(mp, pkts, n) != 0) {
		fprintf(stderr, "mbuf alloc failed\n");
		exit(1);
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t f = (*next)++ % nflows;
		char *d = rte_pktmbuf_append(pkts[i], 60);
		memcpy(d, fr[f], 60);
	}
}

static uint16_t out_in; /* WYV_BENCH_SG: the dp port the replies come in on */

static double run(struct dp *dp, uint16_t in, uint16_t out_eth, uint32_t nflows, bool datapath)
{
	struct dp_pmd *pmd = dp->pmds[0];
	struct rte_mbuf *pkts[DP_BURST];
	uint32_t next = 0;
	double best = 1e18;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t t0 = rte_rdtsc();
		for (int b = 0; b < BURSTS; b++) {
			bool rev = SG && (b & 1);
			if (rev)
				next -= DP_BURST; /* the replies of the burst before */
			fill(dp->mp, pkts, DP_BURST, &next, nflows, rev ? rframes : frames);
			if (datapath) {
				dp_pmd_process(pmd, rev ? out_in : in, pkts, DP_BURST);
				dp_pmd_flush_tx(pmd);
			} else {
				uint16_t s = rte_eth_tx_burst(out_eth, 0, pkts, DP_BURST);
				if (s < DP_BURST)
					rte_pktmbuf_free_bulk(pkts + s, DP_BURST - s);
			}
		}
		double c = (double)(rte_rdtsc() - t0) / (BURSTS * DP_BURST);
		if (c < best)
			best = c;
	}
	return best;
}

static int bench_no_install(void *arg, uint64_t id, uint16_t in_port, uint16_t rxq,
			    const struct dp_flow_key *key, const struct dp_flow_key *mask,
			    const struct dp_action *acts, unsigned n_acts)
{
	return -ENOTSUP;
}

static int bench_no_remove(void *arg, uint64_t id)
{
	return -ENOTSUP;
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-telemetry", "-l", "0",
			"--log-level=error", "--file-prefix=pmdbench", "--vdev=net_null0,no-rx=1",
			"--vdev=net_null1,no-rx=1", NULL };
	if (rte_eal_init(12, eal) < 0)
		return 1;
	/* WYV_BENCH_QUICK=1: one short round (for callgrind instruction counts) */
	if (getenv("WYV_BENCH_QUICK")) {
		ROUNDS = 1;
		BURSTS = 2000;
	}
	struct dp_config cfg;
	dp_config_defaults(&cfg);
	cfg.n_pmds = 1;
	cfg.pmd_lcores[0] = 1; /* never started: the bench drives it by hand */
	cfg.n_mbufs = 8192;
	cfg.ct_max_conns = 262144;
	struct dp *dp = dp_create(&cfg);
	if (dp == NULL)
		return 1;
	int p0 = dp_port_add(dp, "p0", "net_null0", NULL);
	int p1 = dp_port_add(dp, "p1", "net_null1", NULL);
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
	if (p0 < 0 || p1 < 0 || dp_table_network_put(dp->tables, &n) || dp_table_lport_put(dp->tables, &a) ||
	    dp_table_lport_put(dp->tables, &b))
		return 1;
	out_in = (uint16_t)p1;
	if (getenv("WYV_BENCH_SG")) {
		SG = true;
		struct dp_acl_rule r[2] = {
			{ .key = 1, .priority = 1, .dir = DP_ACL_EGRESS, .family = 4,
			  .any_proto = true, .src_max = 65535, .dst_max = 65535 },
			{ .key = 2, .priority = 2, .dir = DP_ACL_INGRESS, .family = 4,
			  .any_proto = true, .src_max = 65535, .dst_max = 65535 },
		};
		struct dp_acl_port_cfg c = { .stateful = true, .n_rules = 2, .rules = r };
		if (dp_acl_port_put(dp_get_acl(dp), a.key, &c) ||
		    dp_acl_port_put(dp_get_acl(dp), b.key, &c))
			return 1;
	}
	if (getenv("WYV_BENCH_OFFLOAD")) {
		static const uint64_t no_marks[1];
		struct dp_offload_ops ops = { .installed = bench_no_install, .removed = bench_no_remove,
					      .mark_ids = no_marks, .n_marks = 1 };
		if (dp_set_offload(dp, &ops) != 0)
			return 1;
	}
	uint32_t sizes[8] = { 1, 1000, 100000 };
	int ns = 3;
	if (argc > 1)
		for (ns = 0; ns < argc - 1 && ns < 8; ns++)
			sizes[ns] = (uint32_t)atoi(argv[ns + 1]);
	for (int s = 0; s < ns; s++) {
		uint32_t nf = sizes[s] ? sizes[s] : 1;
		frames = malloc((size_t)nf * 64);
		rframes = malloc((size_t)nf * 64);
		for (uint32_t f = 0; f < nf; f++) {
			make_frame(f);
			memcpy(frames[f], frame, 64);
			/* the reply: MACs, addresses and ports swapped */
			uint8_t *r = rframes[f];
			memcpy(r, frame, 64);
			memcpy(r, frame + 6, 6);
			memcpy(r + 6, frame, 6);
			memcpy(r + 26, frame + 30, 4);
			memcpy(r + 30, frame + 26, 4);
			memcpy(r + 34, frame + 36, 2);
			memcpy(r + 36, frame + 34, 2);
		}
		uint16_t out_eth;
		rte_eth_dev_get_port_by_name("net_null1", &out_eth);
		double base = run(dp, (uint16_t)p0, out_eth, nf, false);
		double all = run(dp, (uint16_t)p0, out_eth, nf, true);
		printf("PMDBENCH %sflows=%u cycles_per_pkt=%.1f baseline=%.1f datapath=%.1f megaflows=%u "
		       "emc_hits=%llu mfc_hits=%llu misses=%llu recirc=%llu ct=%llu\n",
		       SG ? "sg=stateful " : "", nf, all, base, all - base, dp_mfc_count(dp->pmds[0]->mfc),
		       (unsigned long long)dp->pmds[0]->st.emc_hits,
		       (unsigned long long)dp->pmds[0]->st.mfc_hits,
		       (unsigned long long)dp->pmds[0]->st.misses,
		       (unsigned long long)dp->pmds[0]->st.recirculations,
		       (unsigned long long)dp->pmds[0]->st.ct_packets);
		memset(&dp->pmds[0]->st, 0, sizeof(dp->pmds[0]->st));
		free(frames);
		free(rframes);
	}
	dp_destroy(dp);
	rte_eal_cleanup();
	return 0;
}
