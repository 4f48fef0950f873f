/* SPDX-License-Identifier: BSD-3-Clause
 * dp/mflow_bench.c — what a batch of invalidation tags costs the PMD.
 *
 * Installs `megaflows` megaflows in one classifier, each with the tags a
 * real one carries (in port, source lport, its FDB entry, the output port,
 * a network for one in eight), then times dp_mfc_invalidate_tags over
 * `tags` tags drawn like a controller batch of MAC/port updates (FDB
 * entries, one megaflow each; 1 in 10 matches nothing), 64 at a time as the
 * PMD applies them.  It makes the same classifier calls, in the same order,
 * as the invalidation step of the PMD's loop iterations (dp_pmd_inv_step,
 * dp/pmd.c): each iteration takes the batch 64 tags at a time and kills
 * their megaflows (dp_mfc_kill_tags) for DP_INV_STEP_WORK units (a tag
 * looked up, a tag-list entry visited), resuming where the last one
 * stopped, then reaps (dp_mfc_reap, DP_REAP_BUDGET); once every tag is
 * done, the iterations only reap, until nothing is left to reap.  Each iteration's
 * step is timed with rdtsc around those calls.  The stall of a round is its
 * LONGEST iteration (what one rx poll of the PMD waits at most);
 * pmd_stall_us is the minimum of that over several rounds (each on a fresh
 * set of megaflows), which filters out preemption on a shared machine.
 * kill_iters is the number of iterations that read tags, kill_us their
 * kill part (sum), reap_iters the iterations until every killed megaflow is
 * freed, total_us the sum over all of them (same round as pmd_stall_us).
 * For comparison it also
 * times a linear scan of the pool (what invalidation cost before the tag
 * index).  Prints
 *   BENCH workload=invalidate system=wyvern tags=T megaflows=M pmd_stall_us=X
 *         removed=R kill_iters=N kill_us=K reap_iters=I total_us=S linear_scan_us=Y
 * Usage: dp_mflow_bench [megaflows [tags [rounds]]]  (default 65536 1000 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "dp_priv.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static void fill(struct dp_mfc *c, uint32_t n)
{
	struct dp_megaflow_spec s;
	for (uint32_t i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		s.key.in_port = (uint16_t)(i % 16);
		s.key.reg_src_lport = i % 1024;
		memcpy(s.key.eth_dst, &i, sizeof(i));
		DP_MARK(&s.mask, in_port);
		DP_MARK(&s.mask, eth_dst);
		if (i % 2)
			DP_MARK(&s.mask, ip_src);
		s.n_actions = 1;
		s.actions[0].type = DP_ACT_OUTPUT;
		s.actions[0].port = (uint16_t)((i + 1) % 16);
		s.tags[s.n_tags++] = DP_TAG(DP_TAG_DPPORT, i % 16);
		s.tags[s.n_tags++] = DP_TAG(DP_TAG_LPORT, 100000 + i % 1024);
		s.tags[s.n_tags++] = DP_TAG(DP_TAG_FDB, i);
		s.tags[s.n_tags++] = DP_TAG(DP_TAG_DPPORT, (i + 1) % 16);
		if (i % 8 == 0)
			s.tags[s.n_tags++] = DP_TAG(DP_TAG_NETWORK, i % 64);
		if (dp_mfc_insert(c, &s) == NULL) {
			fprintf(stderr, "insert %u: %s\n", i, rte_strerror(rte_errno));
			exit(1);
		}
	}
}

struct scan_arg {
	const uint64_t *tags;
	unsigned n;
	unsigned hits;
};

static int scan_one(const struct dp_megaflow *f, void *arg)
{
	struct scan_arg *a = arg;
	for (unsigned t = 0; t < f->n_tags; t++)
		for (unsigned j = 0; j < a->n; j++)
			if (f->tags[t] == a->tags[j]) {
				a->hits++;
				return 0;
			}
	return 0;
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "-m", "1024", "--no-pci", "--no-telemetry", "-l", "0",
			"--log-level=error", "--file-prefix=mflowbench", NULL };
	if (rte_eal_init(10, eal) < 0)
		return 1;
	uint32_t nflows = argc > 1 ? (uint32_t)atoi(argv[1]) : 65536;
	unsigned ntags = argc > 2 ? (unsigned)atoi(argv[2]) : 1000;
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	if (nflows == 0 || ntags == 0 || rounds <= 0)
		return 1;
	struct dp_mfc *c = dp_mfc_create("mfb", nflows, 64, SOCKET_ID_ANY);
	uint64_t *tags = calloc(ntags, sizeof(*tags));
	if (c == NULL || tags == NULL)
		return 1;
	double hz = (double)rte_get_tsc_hz(), best = 1e30, best_scan = 1e30;
	double best_kill = 0, best_total = 0;
	unsigned removed = 0, best_iters = 0, best_kill_iters = 0;
	for (int r = 0; r < rounds; r++) {
		dp_mfc_flush(c);
		fill(c, nflows);
		for (unsigned j = 0; j < ntags; j++) {
			uint32_t x = rnd(10);
			if (x == 0)
				tags[j] = DP_TAG(DP_TAG_FDB, nflows + rnd(nflows)); /* no match */
			else
				tags[j] = DP_TAG(DP_TAG_FDB, rnd(nflows));
		}
		struct scan_arg sa = { .tags = tags, .n = RTE_MIN(ntags, 64u) };
		uint64_t t0 = rte_rdtsc();
		/* the old cost: one pass over the pool per 64-tag chunk */
		for (unsigned off = 0; off < ntags; off += 64) {
			sa.tags = tags + off;
			sa.n = RTE_MIN(ntags - off, 64u);
			dp_mfc_foreach(c, scan_one, &sa);
		}
		double scan = (double)(rte_rdtsc() - t0) / hz * 1e6;
		/* PMD loop iterations: kill the batch + reap, then reap only */
		unsigned n = 0, iters = 0, kill_iters = 0;
		unsigned cstart = 0, cn = 0, ci = 0; /* the 64-tag chunk in hand */
		uint64_t worst = 0, total = 0, kill = 0;
		do {
			t0 = rte_rdtsc();
			if (ci < cn || cstart + cn < ntags) {
				unsigned budget = DP_INV_STEP_WORK;
				while (budget > 0) {
					if (ci == cn) {
						if (cstart + cn >= ntags)
							break;
						cstart += cn;
						cn = RTE_MIN(ntags - cstart, 64u);
						ci = 0;
					}
					ci += dp_mfc_kill_tags(c, tags + cstart + ci, cn - ci,
							       &budget, &n);
				}
				kill += rte_rdtsc() - t0;
				kill_iters++;
			}
			dp_mfc_reap(c, DP_REAP_BUDGET);
			uint64_t dt = rte_rdtsc() - t0;
			total += dt;
			worst = RTE_MAX(worst, dt);
			iters++;
		} while (ci < cn || cstart + cn < ntags || dp_mfc_dead_count(c) > 0);
		double us = (double)worst / hz * 1e6;
		if (us < best) {
			best = us;
			removed = n;
			best_kill = (double)kill / hz * 1e6;
			best_total = (double)total / hz * 1e6;
			best_iters = iters;
			best_kill_iters = kill_iters;
		}
		if (scan < best_scan)
			best_scan = scan;
	}
	printf("BENCH workload=invalidate system=wyvern tags=%u megaflows=%u pmd_stall_us=%.1f "
	       "removed=%u kill_iters=%u kill_us=%.1f reap_iters=%u total_us=%.1f "
	       "linear_scan_us=%.1f\n", ntags, nflows, best, removed, best_kill_iters, best_kill,
	       best_iters, best_total, best_scan);
	dp_mfc_destroy(c);
	free(tags);
	rte_eal_cleanup();
	return 0;
}
