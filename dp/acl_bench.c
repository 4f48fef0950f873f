/* SPDX-License-Identifier: BSD-3-Clause
 * dp/acl_bench.c — security-group ACL costs (not a test): build time and
 * memory for 1k ports x 20 rules, each port with its own rule list (no
 * sharing: the worst case) and all ports in one group (the common case),
 * a remote-group membership change, and lookup ns.
 *   BENCH workload=acl-build-distinct ports=1000 rules=20 ms=... kb_per_port=...
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "acl.h"
#include "test_main.h"

#define PORTS 1000u
#define RULES 20u

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t heap_used(void)
{
	struct rte_malloc_socket_stats st;
	size_t used = 0;
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			used += st.heap_allocsz_bytes;
	return used;
}

/* 20 rules: tcp/udp ports, ICMP, prefixes, a remote group; `salt` makes the
 * list distinct per port (0: the same list for everyone). */
static void make_rules(struct dp_acl_rule *r, uint32_t salt)
{
	for (unsigned i = 0; i < RULES; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].key = 1 + i;
		r[i].priority = 100 - i;
		r[i].dir = i % 3 == 2 ? DP_ACL_EGRESS : DP_ACL_INGRESS;
		r[i].family = i % 4 == 3 ? 6 : 4;
		r[i].proto = i % 5 == 0 ? 17 : i % 7 == 0 ? (r[i].family == 6 ? 58 : 1) : 6;
		r[i].src_max = UINT16_MAX;
		r[i].dst_min = (uint16_t)(1000 + 10 * i + salt % 7);
		r[i].dst_max = (uint16_t)(r[i].dst_min + (i % 2 ? 0 : 50));
		if (r[i].proto == 1 || r[i].proto == 58) {
			r[i].dst_min = 0;
			r[i].dst_max = UINT16_MAX;
			r[i].src_min = r[i].src_max = 8;
		}
		if (i == 4) {
			r[i].remote_set = 1;
		} else if (i % 2 == 0) {
			r[i].remote.family = r[i].family;
			r[i].remote.plen = r[i].family == 4 ? 24 : 64;
			r[i].remote.addr[0] = r[i].family == 4 ? 10 : 0x20;
			r[i].remote.addr[1] = (uint8_t)(salt >> 8);
			r[i].remote.addr[2] = (uint8_t)salt;
		}
	}
}

static void run(const char *what, bool distinct)
{
	struct dp_acl_rule r[RULES];
	struct dp_acl_stats st;
	struct dp_ip members[64];
	char name[24];
	static unsigned no;

	snprintf(name, sizeof(name), "ab%u", no++);
	struct dp_acl *a = dp_acl_create(name, NULL, NULL, NULL);
	if (a == NULL)
		return;
	for (unsigned i = 0; i < 64; i++) {
		memset(&members[i], 0, sizeof(members[i]));
		members[i].family = 4;
		members[i].plen = 32;
		members[i].addr[0] = 10;
		members[i].addr[3] = (uint8_t)i;
	}
	dp_acl_set_put(a, 1, members, 32);
	size_t h0 = heap_used();
	uint64_t t0 = now_ns();
	for (uint32_t p = 1; p <= PORTS; p++) {
		make_rules(r, distinct ? p : 0);
		struct dp_acl_port_cfg cfg = { .stateful = true, .n_rules = RULES, .rules = r };
		if (dp_acl_port_put(a, p, &cfg) < 0) {
			printf("port_put failed\n");
			break;
		}
	}
	uint64_t t1 = now_ns();
	size_t h1 = heap_used();
	dp_acl_get_stats(a, &st);
	printf("BENCH workload=acl-build-%s ports=%u rules=%u ms=%.1f contexts=%u "
	       "build_ms=%.1f kb_per_port=%.1f\n", what, PORTS, RULES, (t1 - t0) / 1e6,
	       st.contexts, st.build_ns / 1e6, (h1 - h0) / 1024.0 / PORTS);
	/* membership change: the set is referenced by every rule set's ingress v4 */
	uint64_t b0 = st.builds;
	t0 = now_ns();
	dp_acl_set_put(a, 1, members, 33);
	t1 = now_ns();
	dp_acl_get_stats(a, &st);
	printf("BENCH workload=acl-set-change-%s ms=%.2f rebuilt=%" PRIu64 "\n", what,
	       (t1 - t0) / 1e6, st.builds - b0);
	/* lookup */
	struct dp_flow_key k, m;
	struct dp_acl_result res;
	unsigned allowed = 0, n = 1000000;
	dp_key_zero(&k);
	k.eth_type = htons(0x0800);
	k.ip_proto = 6;
	k.ip_src[0] = 10;
	uint64_t c0 = rte_rdtsc();
	for (unsigned i = 0; i < n; i++) {
		k.tp_dst = htons((uint16_t)(1000 + (i & 255)));
		k.ip_src[3] = (uint8_t)i;
		dp_key_zero(&m);
		dp_acl_lookup(a, 1 + (i % PORTS), DP_ACL_INGRESS, &k, &m, &res);
		allowed += res.allow;
	}
	uint64_t c1 = rte_rdtsc();
	double cyc = (double)(c1 - c0) / n;
	printf("BENCH workload=acl-lookup-%s cycles=%.0f ns=%.0f allowed=%u/%u\n", what, cyc,
	       cyc * 1e9 / (double)rte_get_tsc_hz(), allowed, n);
	dp_acl_destroy(a);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (t_eal_init(argv[0], "dp_acl_bench", "-m", "1024", (char *)NULL) < 0)
		return 1;
	run("shared", false);
	run("distinct", true);
	rte_eal_cleanup();
	return 0;
}
