/* SPDX-License-Identifier: BSD-3-Clause
 * pmd-offload/xdp/ofl_xdp_check.c — drives the offload manager with the xdp
 * backend on two kernel interfaces, for tests/system/test_xdp_offload.py:
 *   ofl-xdp-check PIN_DIR IF_A IF_B MAC_A MAC_B
 * Adds both interfaces as dp ports 1 and 2 (backend xdp, one domain), then
 * announces megaflows as the datapath would: A->B and B->A L2 forwarding
 * (ids 1, 2), an IPv4 TTL match (id 3: the program does not read the TTL,
 * stays in software), a port-security shape (id 4: source MAC, IPv4 source,
 * protocol), a security-group deny (id 5: no destination MAC, 10.77/16,
 * UDP port 7777 -> drop) and UDP to 5120-6143 under the dp's fixed 0xfc00
 * mask (id 6: A->B).  Prints one
 * line per megaflow "id=N state=S why=..." and "ready".  Then reads stdin:
 * "remove N" -> ofl_megaflow_removed, prints the state again; EOF -> destroy
 * (rules flushed) and exit 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <rte_eal.h>

#include "test_eal_dir.h"
#include "drop.h"
#include "ofl.h"

static void mac(const char *s, uint8_t m[6])
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4],
		   &m[5]) != 6) {
		fprintf(stderr, "bad MAC %s\n", s);
		exit(2);
	}
}

static void show(struct ofl *o, uint64_t id)
{
	struct ofl_flow_info fi;
	if (ofl_flow_info(o, id, &fi) != 0)
		printf("id=%llu state=gone\n", (unsigned long long)id);
	else
		printf("id=%llu state=%s why=%s\n", (unsigned long long)id,
		       ofl_decision_name(fi.state), fi.why);
	fflush(stdout);
}

static void l2_flow(struct dp_flow_key *k, struct dp_flow_key *m, uint16_t port,
		    const uint8_t *src, const uint8_t *dst)
{
	memset(k, 0, sizeof(*k));
	memset(m, 0, sizeof(*m));
	k->in_port = port;
	memcpy(k->eth_src, src, 6);
	memcpy(k->eth_dst, dst, 6);
	DP_MARK(m, in_port);
	DP_MARK(m, recirc_id);
	DP_MARK(m, eth_src);
	DP_MARK(m, eth_dst);
}

int main(int argc, char **argv)
{
	char prefix[64], args[2][320];
	uint8_t ma[6], mb[6];
	if (argc != 6) {
		fprintf(stderr, "usage: ofl-xdp-check PIN IF_A IF_B MAC_A MAC_B\n");
		return 2;
	}
	unsigned ia = if_nametoindex(argv[2]), ib = if_nametoindex(argv[3]);
	mac(argv[4], ma);
	mac(argv[5], mb);
	if (!ia || !ib) {
		fprintf(stderr, "no such interface\n");
		return 2;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=oflx%d", (int)getpid());
	char *eal[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-telemetry",
			"--log-level=error", prefix, NULL };
	if (rte_eal_init(8, eal) < 0)
		return 1;
	struct ofl *o = ofl_create(NULL);
	if (o == NULL)
		return 1;
	snprintf(args[0], sizeof(args[0]), "ifindex=%u;pin=%s", ia, argv[1]);
	snprintf(args[1], sizeof(args[1]), "ifindex=%u;pin=%s", ib, argv[1]);
	struct ofl_port_cfg pa = { .dp_port = 1, .eth_port = 0xffff, .backend = "xdp",
				   .args = args[0], .domain = 99, .ifindex = ia };
	struct ofl_port_cfg pb = pa;
	pb.dp_port = 2;
	pb.args = args[1];
	pb.ifindex = ib;
	int rc = ofl_port_add(o, &pa);
	if (rc == 0)
		rc = ofl_port_add(o, &pb);
	if (rc) {
		fprintf(stderr, "ofl_port_add: %s\n", strerror(-rc));
		return 1;
	}
	struct dp_flow_key k, m;
	struct dp_action out = { .type = DP_ACT_OUTPUT };
	l2_flow(&k, &m, 1, ma, mb);
	out.port = 2;
	ofl_megaflow_installed(o, 1, 1, 0, &k, &m, &out, 1);
	l2_flow(&k, &m, 2, mb, ma);
	out.port = 1;
	ofl_megaflow_installed(o, 2, 2, 0, &k, &m, &out, 1);
	/* an IPv4 TTL match: the program does not read the TTL */
	l2_flow(&k, &m, 1, ma, mb);
	k.eth_type = htons(0x0800);
	k.ip_ttl = 64;
	DP_MARK(&m, eth_type);
	m.ip_ttl = 0xff;
	out.port = 2;
	ofl_megaflow_installed(o, 3, 1, 0, &k, &m, &out, 1);
	/* what port security makes wyvernd's megaflows match: source MAC,
	 * IPv4, source address, protocol (a source no ping here uses): full,
	 * id 3's refusal was for its match only, not cached for the port */
	l2_flow(&k, &m, 1, ma, mb);
	memset(m.eth_src, 0xff, 6);
	k.eth_type = htons(0x0800);
	DP_MARK(&m, eth_type);
	k.ip_src[0] = 10;
	k.ip_src[1] = 255;
	k.ip_src[3] = 1;
	memset(m.ip_src, 0xff, 4);
	k.ip_proto = 17;
	m.ip_proto = 0xff;
	ofl_megaflow_installed(o, 4, 1, 0, &k, &m, &out, 1);
	/* a security-group deny as the dp builds it: no destination MAC, the
	 * IPv4 destination under a prefix, UDP, the destination port exact ->
	 * drop (reason acl-deny) */
	struct dp_action drop = { .type = DP_ACT_DROP, .u32 = DP_DROP_ACL_DENY };
	memset(&k, 0, sizeof(k));
	memset(&m, 0, sizeof(m));
	k.in_port = 1;
	DP_MARK(&m, in_port);
	DP_MARK(&m, recirc_id);
	k.eth_type = htons(0x0800);
	DP_MARK(&m, eth_type);
	k.ip_dst[0] = 10;
	k.ip_dst[1] = 77;
	m.ip_dst[0] = m.ip_dst[1] = 0xff;
	k.ip_proto = 17;
	m.ip_proto = 0xff;
	k.tp_dst = htons(7777);
	m.tp_dst = 0xffff;
	ofl_megaflow_installed(o, 5, 1, 0, &k, &m, &drop, 1);
	/* UDP to a high port as dp_xl_l4_kind masks it (0xfc00: 5120-6143) */
	l2_flow(&k, &m, 1, ma, mb);
	k.eth_type = htons(0x0800);
	DP_MARK(&m, eth_type);
	k.ip_proto = 17;
	m.ip_proto = 0xff;
	k.tp_dst = htons(5120);
	m.tp_dst = htons(0xfc00);
	out.port = 2;
	ofl_megaflow_installed(o, 6, 1, 0, &k, &m, &out, 1);
	ofl_sync(o, 2000);
	for (uint64_t id = 1; id <= 6; id++)
		show(o, id);
	printf("ready\n");
	fflush(stdout);
	char line[64];
	while (fgets(line, sizeof(line), stdin)) {
		unsigned long long id;
		if (sscanf(line, "remove %llu", &id) == 1) {
			ofl_megaflow_removed(o, id);
			ofl_sync(o, 2000);
			show(o, id);
		}
	}
	ofl_destroy(o);
	t_eal_cleanup();
	return 0;
}
